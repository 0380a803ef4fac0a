/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "policy/util/strutil.h"

size_t og_strscpy(char *dst, const char *src, size_t size)
{
	size_t n;

	if (size == 0)
		return 0;
	n = strnlen(src, size - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
	return n;
}

char *og_escape(char *dst, size_t size, const char *src)
{
	size_t i = 0, o = 0;

	if (size == 0)
		return dst;
	for (; src && src[i] && o + 1 < size; o++) {
		unsigned char ch = (unsigned char)src[i];

		if (ch == 0xc2 && (unsigned char)src[i + 1] >= 0x80 &&
		    (unsigned char)src[i + 1] <= 0x9f) {
			dst[o] = '?'; /* U+0080..U+009F: C1 controls (CSI is U+009B) */
			i += 2;
			continue;
		}
		dst[o] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
		i++;
	}
	dst[o] = '\0';
	return dst;
}

bool og_startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int og_parse_u64_prefix(const char *s, uint64_t *ret, const char **ret_end)
{
	uint64_t v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*ret = v;
	*ret_end = p;
	return 0;
}

int og_parse_u64(const char *s, uint64_t *ret)
{
	const char *end;
	uint64_t v;
	int r = og_parse_u64_prefix(s, &v, &end);

	if (r < 0)
		return r;
	if (*end != '\0')
		return -EINVAL;
	*ret = v;
	return 0;
}

int og_parse_int(const char *s, int *ret)
{
	bool neg = false;
	uint64_t v;
	int r;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	r = og_parse_u64(s, &v);
	if (r < 0)
		return r;
	if (v > (neg ? 2147483648ULL : 2147483647ULL))
		return -ERANGE;
	*ret = neg ? (int)(-(int64_t)v) : (int)v;
	return 0;
}

/*
 * Parses "I[.F]" into the integer part I and F as a fraction of 10^scale (truncated to scale
 * digits); *ret_end after the digits. Returns 0 or -EINVAL/-ERANGE (I beyond 64 bits).
 */
static int parse_decimal(const char *s, unsigned scale, uint64_t *ret_ip, uint64_t *ret_frac,
			 const char **ret_end)
{
	uint64_t ip, mul = 1, frac = 0;
	const char *p;
	int r;

	if (scale > 19)
		return -EINVAL; /* 10^20 does not fit in 64 bits */
	for (unsigned i = 0; i < scale; i++)
		mul *= 10;
	r = og_parse_u64_prefix(s, &ip, &p);
	if (r < 0)
		return r;
	if (*p == '.') {
		uint64_t m = mul;

		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (m > 1) {
				m /= 10;
				frac += (uint64_t)(*p - '0') * m;
			}
		}
	}
	*ret_ip = ip;
	*ret_frac = frac;
	*ret_end = p;
	return 0;
}

/*
 * ip * mul + floor(frac * mul / 1000) (frac: thousandths, < 1000), or -ERANGE when it does not
 * fit in 64 bits. The fraction is scaled as frac * (mul / 1000) + frac * (mul % 1000) / 1000,
 * whose products stay below mul and 10^6: frac * mul itself overflows for exabytes ("1.5E" is
 * 500 * 2^60, which wrapped to ~1.0E18) and for hours near the limit.
 */
static int scale_milli(uint64_t ip, uint64_t frac, uint64_t mul, uint64_t *ret)
{
	uint64_t whole, part;

	if (ip > UINT64_MAX / mul)
		return -ERANGE;
	whole = ip * mul;
	part = frac * (mul / 1000) + frac * (mul % 1000) / 1000;
	if (whole > UINT64_MAX - part)
		return -ERANGE;
	*ret = whole + part;
	return 0;
}

/* "I[.F]" into I*10^scale + F (truncated to scale digits); *ret_end after the digits. */
static int parse_fixed_prefix(const char *s, unsigned scale, uint64_t *ret, const char **ret_end)
{
	uint64_t ip, frac, mul = 1;
	int r = parse_decimal(s, scale, &ip, &frac, ret_end);

	if (r < 0)
		return r;
	for (unsigned i = 0; i < scale; i++)
		mul *= 10;
	if (ip > UINT64_MAX / mul || ip * mul > UINT64_MAX - frac)
		return -ERANGE;
	*ret = ip * mul + frac;
	return 0;
}

int og_parse_fixed(const char *s, unsigned scale_digits, uint64_t *ret)
{
	const char *end;
	uint64_t v;
	int r = parse_fixed_prefix(s, scale_digits, &v, &end);

	if (r < 0)
		return r;
	if (*end != '\0')
		return -EINVAL;
	*ret = v;
	return 0;
}

int og_parse_size(const char *s, uint64_t *ret_bytes)
{
	static const char suffixes[] = "KMGTPE";
	const char *end, *pos;
	uint64_t ip, frac, mul = 1;
	int r = parse_decimal(s, 3, &ip, &frac, &end);

	if (r < 0)
		return r;
	if (*end != '\0') {
		pos = strchr(suffixes, *end >= 'a' ? *end - 'a' + 'A' : *end);
		if (!pos || *end == '\0')
			return -EINVAL;
		for (long i = 0; i <= pos - suffixes; i++)
			mul *= 1024;
		end++;
		if (strcmp(end, "") != 0 && strcmp(end, "B") != 0 && strcmp(end, "iB") != 0)
			return -EINVAL;
	}
	return scale_milli(ip, frac, mul, ret_bytes);
}

int og_parse_percent(const char *s, uint32_t *ret_permyriad)
{
	const char *end;
	uint64_t v;
	int r = parse_fixed_prefix(s, 2, &v, &end);

	if (r < 0)
		return r;
	if (strcmp(end, "%") != 0)
		return -EINVAL;
	if (v > 10000)
		return -ERANGE;
	*ret_permyriad = (uint32_t)v;
	return 0;
}

int og_parse_duration(const char *s, uint64_t *ret_usec)
{
	static const struct {
		const char *suffix;
		uint64_t usec;
	} units[] = {
		{ "", 1000000 },	  { "us", 1 },		    { "ms", 1000 },
		{ "s", 1000000 },	  { "sec", 1000000 },	    { "m", 60000000 },
		{ "min", 60000000 },	  { "h", 3600000000ULL },
	};
	const char *end;
	uint64_t ip, frac;
	int r = parse_decimal(s, 3, &ip, &frac, &end);

	if (r < 0)
		return r;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix) != 0)
			continue;
		return scale_milli(ip, frac, units[i].usec, ret_usec);
	}
	return -EINVAL;
}

int og_parse_bool(const char *s)
{
	static const char *const yes[] = { "yes", "true", "on", "1", "y" };
	static const char *const no[] = { "no", "false", "off", "0", "n" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -EINVAL;
}

char *og_format_bytes(char *buf, size_t size, uint64_t bytes)
{
	static const char units[] = "BKMGTPE";
	uint64_t div = 1;
	size_t u = 0;

	while (u + 1 < sizeof(units) - 1 && bytes / div >= 1024) {
		div *= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%lluB", (unsigned long long)bytes);
	else
		/* one decimal, integer arithmetic: no locale, no floats */
		snprintf(buf, size, "%llu.%llu%c", (unsigned long long)(bytes / div),
			 (unsigned long long)((bytes % div) * 10 / div), units[u]);
	return buf;
}
