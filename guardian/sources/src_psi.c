/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "guardian/sources/src_kv.h"
#include "guardian/sources/src_psi.h"
#include "policy/util/cleanup.h"

#define PSI_AVG_MAX_CENTI 10000u

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* "12.34" in [p, end) into 1234. Integers only: no strtod, whose result depends on the locale. */
static int parse_centi(const char *p, const char *end, uint32_t *ret)
{
	uint64_t ip = 0;
	uint32_t frac = 0;
	size_t nd = 0;

	for (; p < end && *p >= '0' && *p <= '9'; p++, nd++) {
		ip = ip * 10 + (uint64_t)(*p - '0');
		if (ip > PSI_AVG_MAX_CENTI / 100)
			return -EBADMSG;
	}
	if (nd == 0)
		return -EBADMSG;
	if (p < end && *p == '.') {
		uint32_t mul = 10;

		p++;
		if (p == end || *p < '0' || *p > '9')
			return -EBADMSG;
		for (; p < end && *p >= '0' && *p <= '9'; p++) {
			frac += (uint32_t)(*p - '0') * mul;
			mul /= 10; /* third and later digits multiply by 0: truncated */
		}
	}
	if (p != end)
		return -EBADMSG;
	if (ip * 100 + frac > PSI_AVG_MAX_CENTI)
		return -EBADMSG;
	*ret = (uint32_t)(ip * 100 + frac);
	return 0;
}

/* The line in [p, nl) starts with `word` and a blank. */
static bool starts_word(const char *p, const char *nl, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(nl - p) > n && memcmp(p, word, n) == 0 && is_blank(p[n]);
}

static int parse_total(const char *p, const char *end, uint64_t *ret)
{
	struct src_kv kv = { .val = p, .val_len = (size_t)(end - p) };

	return src_kv_value(&kv, false, ret);
}

/* One line after "some "/"full ": space-separated key=value tokens. */
static int parse_line(const char *p, const char *nl, struct og_psi_line *ret)
{
	struct og_psi_line l = { 0 };
	unsigned seen = 0;

	while (p < nl) {
		const char *tok, *eq, *val;
		unsigned bit = 0;
		int r = 0;

		for (; p < nl && is_blank(*p); p++)
			;
		if (p == nl)
			break;
		tok = p;
		for (; p < nl && !is_blank(*p); p++)
			;
		eq = memchr(tok, '=', (size_t)(p - tok));
		if (!eq)
			return -EBADMSG;
		val = eq + 1;
#define KEY_IS(k) ((size_t)(eq - tok) == strlen(k) && memcmp(tok, k, strlen(k)) == 0)
		if (KEY_IS("avg10")) {
			bit = 1;
			r = parse_centi(val, p, &l.avg10_centi);
		} else if (KEY_IS("avg60")) {
			bit = 2;
			r = parse_centi(val, p, &l.avg60_centi);
		} else if (KEY_IS("avg300")) {
			bit = 4;
			r = parse_centi(val, p, &l.avg300_centi);
		} else if (KEY_IS("total")) {
			bit = 8;
			r = parse_total(val, p, &l.total_usec);
		}
#undef KEY_IS
		if (r < 0 || (seen & bit))
			return -EBADMSG;
		seen |= bit;
	}
	if (seen != 15)
		return -EBADMSG;
	*ret = l;
	return 0;
}

int src_psi_parse_buf(const char *buf, struct og_psi *ret)
{
	struct og_psi psi = { 0 };
	const char *p = buf;

	while (*p) {
		const char *nl = strchr(p, '\n');
		bool *has = NULL;
		struct og_psi_line *line = NULL;

		if (!nl)
			nl = p + strlen(p);
		if (starts_word(p, nl, "some")) {
			has = &psi.has_some;
			line = &psi.some;
		} else if (starts_word(p, nl, "full")) {
			has = &psi.has_full;
			line = &psi.full;
		}
		if (has) {
			if (*has || parse_line(p + 4, nl, line) < 0)
				return -EBADMSG;
			*has = true;
		}
		p = *nl ? nl + 1 : nl;
	}
	if (!psi.has_some)
		return -EBADMSG;
	*ret = psi;
	return 0;
}

int src_read_psi_at(int dirfd, const char *path, struct og_psi *ret)
{
	char buf[OG_PSI_MAX];
	ssize_t n = og_read_at(dirfd, path, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return src_psi_parse_buf(buf, ret);
}

/* A /proc/pressure file through the root's kept files. */
static int read_psi_root(const struct og_root *root, const char *path, struct og_psi *ret)
{
	char buf[OG_PSI_MAX];
	ssize_t n = og_root_read(root, root->proc_fd, path, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return src_psi_parse_buf(buf, ret);
}

static bool psi_missing(int r)
{
	return r == -ENOENT || r == -EOPNOTSUPP;
}

int src_read_pressure(const struct og_root *root, struct og_pressure *ret)
{
	struct og_pressure p = { 0 };
	int r;

	r = read_psi_root(root, "pressure/memory", &p.memory);
	if (psi_missing(r)) {
		*ret = (struct og_pressure){ .available = false };
		return 0;
	}
	if (r < 0)
		return r;
	p.available = true;
	r = read_psi_root(root, "pressure/io", &p.io);
	if (r < 0 && !psi_missing(r))
		return r;
	r = read_psi_root(root, "pressure/cpu", &p.cpu);
	if (r < 0 && !psi_missing(r))
		return r;
	*ret = p;
	return 0;
}
