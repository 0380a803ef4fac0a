/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "guardian/sources/src_kv.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int src_kv_next(const char **pos, char sep, struct src_kv *ret)
{
	const char *p = *pos, *nl, *s;

	if (!p || *p == '\0')
		return 0;
	nl = strchr(p, '\n');
	if (!nl)
		nl = p + strlen(p);
	ret->key = p;
	s = memchr(p, sep, (size_t)(nl - p));
	if (!s) {
		ret->key_len = (size_t)(nl - p);
		ret->val = nl;
		ret->val_len = 0;
	} else {
		ret->key_len = (size_t)(s - p);
		for (s++; s < nl && is_blank(*s); s++)
			;
		ret->val = s;
		ret->val_len = (size_t)(nl - s);
	}
	ret->line++;
	*pos = *nl ? nl + 1 : nl;
	return 1;
}

bool src_kv_key_is(const struct src_kv *kv, const char *key)
{
	size_t n = strlen(key);

	return kv->key_len == n && memcmp(kv->key, key, n) == 0;
}

int src_kv_value(const struct src_kv *kv, bool kb, uint64_t *ret)
{
	const char *p = kv->val, *end = kv->val + kv->val_len;
	uint64_t v = 0;
	size_t ndig = 0;

	/* Hand-rolled rather than og_parse_u64_prefix: the value is not NUL-terminated. */
	for (; p < end && *p >= '0' && *p <= '9'; p++, ndig++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -EBADMSG;
		v = v * 10 + d;
	}
	if (ndig == 0)
		return -EBADMSG;
	if (kb) {
		if (end - p < 3 || *p != ' ' || p[1] != 'k' || p[2] != 'B')
			return -EBADMSG;
		p += 3;
		if (v > UINT64_MAX / 1024)
			return -EBADMSG;
		v *= 1024;
	}
	for (; p < end && is_blank(*p); p++)
		;
	if (p != end)
		return -EBADMSG;
	*ret = v;
	return 0;
}

int src_kv_parse_table(const char *buf, char sep, const struct src_kv_field *tab, size_t n,
		       void *base, uint64_t *ret_seen)
{
	const char *pos = buf;
	struct src_kv kv = { 0 };
	uint64_t seen = 0;

	if (n > 64)
		return -EINVAL;
	while (src_kv_next(&pos, sep, &kv) > 0) {
		for (size_t i = 0; i < n; i++) {
			uint64_t v;
			int r;

			if (!src_kv_key_is(&kv, tab[i].key))
				continue;
			if (seen & (UINT64_C(1) << i))
				return -EBADMSG;
			r = src_kv_value(&kv, tab[i].unit == SRC_KV_KB, &v);
			if (r < 0)
				return r;
			memcpy((char *)base + tab[i].offset, &v, sizeof(v));
			seen |= UINT64_C(1) << i;
			break;
		}
	}
	*ret_seen = seen;
	return 0;
}
