/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "guardian/sources/src_text.h"
#include "policy/util/strutil.h"

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

const char *src_text_skip_blank(const char *p)
{
	while (is_blank(*p))
		p++;
	return p;
}

const char *src_text_next_line(const char *p)
{
	const char *nl = strchr(p, '\n');

	return nl ? nl + 1 : p + strlen(p);
}

int src_text_token(const char **p, char *out, size_t size)
{
	const char *s = src_text_skip_blank(*p), *e = s;
	size_t len;

	while (*e && *e != '\n' && !is_blank(*e))
		e++;
	len = (size_t)(e - s);
	if (len == 0)
		return -EBADMSG;
	*p = e;
	if (size == 0)
		return -ENAMETOOLONG;
	if (len >= size) {
		memcpy(out, s, size - 1);
		out[size - 1] = '\0';
		return -ENAMETOOLONG;
	}
	memcpy(out, s, len);
	out[len] = '\0';
	return (int)len;
}

int src_text_u64(const char **p, const char *stop, uint64_t *ret)
{
	const char *s = src_text_skip_blank(*p), *end;
	uint64_t v;
	int r = og_parse_u64_prefix(s, &v, &end);

	if (r == -EINVAL)
		return -EBADMSG;
	if (r < 0)
		return r;
	if (*end && *end != '\n' && !is_blank(*end) && !(stop && strchr(stop, *end)))
		return -EBADMSG;
	*p = end;
	*ret = v;
	return 0;
}

int src_text_at_eol(const char *p)
{
	p = src_text_skip_blank(p);
	return *p == '\0' || *p == '\n';
}
