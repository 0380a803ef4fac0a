/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Input forms: the prefixes loggers and mail put around kernel lines, and /dev/kmsg records.
 * Pure.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/explain/explain_int.h"
#include "policy/util/strutil.h"

static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

static bool is_month(const char *s, const char *e)
{
	if (e - s < 4 || s[3] != ' ')
		return false;
	for (size_t i = 0; i < sizeof(months) / sizeof(months[0]); i++)
		if (memcmp(s, months[i], 3) == 0)
			return true;
	return false;
}

static void set_ts(char *ts, size_t ts_size, const char *s, size_t n)
{
	if (ts_size == 0 || ts[0])
		return;
	while (n && s[n - 1] == ' ')
		n--;
	while (n && *s == ' ') {
		s++;
		n--;
	}
	if (n >= ts_size)
		n = ts_size - 1;
	memcpy(ts, s, n);
	ts[n] = '\0';
}

/*
 * A syslog or journal prefix ending in "kernel: " (or "kernel: " after "[pid]"), such as
 * "Jun 15 06:37:51 host kernel: " or "2022-06-15T06:37:51.123+02:00 host kernel: ". Only a
 * prefix that starts like a time and is short counts, so message text is never cut.
 */
static const char *strip_syslog(const char *s, const char *e, char *ts, size_t ts_size)
{
	const char *k, *limit = e - s > 160 ? s + 160 : e;
	const char *tsend;

	if (!(is_month(s, e) || (e - s > 10 && isdigit((unsigned char)s[0]) &&
				 isdigit((unsigned char)s[3]) && s[4] == '-')))
		return s;
	for (k = s; k + 7 <= limit; k++) {
		if (memcmp(k, "kernel:", 7) == 0 && k > s && k[-1] == ' ')
			break;
		if (memcmp(k, "kernel[", 7) == 0 && k > s && k[-1] == ' ')
			break;
	}
	if (k + 7 > limit)
		return s;
	/* the time is the first token (ISO) or the first three ("Jun 15 06:37:51") */
	tsend = s;
	for (int words = is_month(s, e) ? 3 : 1; words > 0 && tsend < k; words--) {
		while (tsend < k && *tsend == ' ')
			tsend++;
		while (tsend < k && *tsend != ' ')
			tsend++;
	}
	k += 6;
	if (*k == '[')
		while (k < e && *k != ']')
			k++;
	if (k >= e)
		return s; /* "kernel[" without its "]": not a prefix */
	set_ts(ts, ts_size, s, (size_t)(tsend - s));
	k++; /* past ':' or ']' */
	if (k < e && *k == ':')
		k++;
	if (k < e && *k == ' ')
		k++;
	return k;
}

/* "[  123.456789]", "[Wed Jun 15 06:37:51 2022]", "[  +0.002367]", "[    T123]", "[C1]" */
static const char *strip_bracket(const char *s, const char *e, char *ts, size_t ts_size)
{
	const char *p, *q;
	bool digits = false, caller;

	if (s >= e || *s != '[')
		return s;
	for (p = s + 1; p < e && p - s < 40 && *p != ']'; p++) {
		if (isdigit((unsigned char)*p))
			digits = true;
		else if (!strchr(" .:+-TC", *p) && !isalpha((unsigned char)*p))
			return s;
	}
	if (p >= e || *p != ']' || !digits)
		return s;
	/* the task list's "[ pid ]" header and "[ 1234]" rows are kernel text, not stamps */
	q = s + 1;
	while (q < p && *q == ' ')
		q++;
	caller = q < p && (*q == 'T' || *q == 'C') && q + 1 < p;
	for (const char *c = q + 1; caller && c < p; c++)
		caller = isdigit((unsigned char)*c);
	if (!caller && !memchr(s, '.', (size_t)(p - s)) && !memchr(s, ':', (size_t)(p - s)))
		return s;
	if (!caller)
		set_ts(ts, ts_size, s + 1, (size_t)(p - s - 1));
	p++;
	if (p < e && *p == ' ')
		p++;
	return p;
}

size_t explain_strip_line(const char *line, size_t len, char *out, size_t size, char *ts,
			  size_t ts_size)
{
	const char *s = line, *e = line + len, *prev, *q;
	size_t n;

	if (ts_size)
		ts[0] = '\0';
	while (e > s && (e[-1] == '\r' || e[-1] == '\n'))
		e--;
	do {
		prev = s;
		/* mail quotes: "> ", ">> ", "> > " */
		while (s < e && (*s == '>' || (*s == ' ' && s + 1 < e && s[1] == '>')))
			s++;
		if (s > prev && s < e && *s == ' ')
			s++;
		/* printk level "<4>" (dmesg -r, raw syslog) */
		if (e - s >= 3 && s[0] == '<' && isdigit((unsigned char)s[1]) &&
		    (s[2] == '>' || (e - s >= 4 && isdigit((unsigned char)s[2]) && s[3] == '>')))
			s = strchr(s, '>') + 1;
		/* dmesg -x: "kern  :warn  : " */
		if (e - s > 6 && memcmp(s, "kern  :", 7) == 0) {
			const char *c = memchr(s + 7, ':', (size_t)(e - s - 7));

			if (c && c - s < 16)
				s = c + 1 + (c + 1 < e && c[1] == ' ');
		}
		s = strip_syslog(s, e, ts, ts_size);
		q = strip_bracket(s, e, ts, ts_size);
		if (q != s && q < e) {
			/* journalctl -o short-monotonic: "[ 5123.456789] host kernel: " */
			const char *sp = memchr(q, ' ', (size_t)(e - q));

			if (sp && sp > q && e - sp > 8 && memcmp(sp, " kernel: ", 9) == 0)
				q = sp + 9;
		}
		s = q;
	} while (s != prev && s < e);
	n = s < e ? (size_t)(e - s) : 0;
	if (size == 0)
		return 0;
	if (n >= size)
		n = size - 1;
	memcpy(out, s, n);
	out[n] = '\0';
	return n;
}

static bool is_token_start(const char *s, const char *p)
{
	return p == s || strchr(" ,(\t:", p[-1]);
}

const char *explain_find_key(const char *s, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = strstr(s, key); p; p = strstr(p + 1, key))
		if (is_token_start(s, p))
			return p + kl;
	return NULL;
}

bool explain_parse_num(const char *s, int64_t *ret, const char **ret_end)
{
	bool neg = false;
	uint64_t v = 0;
	const char *p = s;

	if (*p == '-') {
		neg = true;
		p++;
	}
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && isxdigit((unsigned char)p[2])) {
		for (p += 2; isxdigit((unsigned char)*p); p++) {
			if (v >> 59)
				return false;
			v = v * 16 + (uint64_t)(isdigit((unsigned char)*p) ? *p - '0'
								  : (tolower(*p) - 'a' + 10));
		}
	} else {
		if (!isdigit((unsigned char)*p))
			return false;
		for (; isdigit((unsigned char)*p); p++) {
			if (v > ((uint64_t)INT64_MAX - 9) / 10)
				return false;
			v = v * 10 + (uint64_t)(*p - '0');
		}
	}
	*ret = neg ? -(int64_t)v : (int64_t)v;
	if (ret_end)
		*ret_end = p;
	return true;
}

int64_t explain_key_num(const char *s, const char *key)
{
	const char *v = explain_find_key(s, key);
	int64_t n;

	if (!v || !explain_parse_num(v, &n, NULL))
		return EXPLAIN_UNSET;
	return n;
}

int64_t explain_key_kb(const char *s, const char *key)
{
	const char *v = explain_find_key(s, key), *end;
	int64_t n;

	if (!v || !explain_parse_num(v, &n, &end))
		return EXPLAIN_UNSET;
	if (end[0] == 'M' && (end[1] == 'B' || end[1] == 'i'))
		return n * 1024;
	return n;
}

bool explain_key_word(const char *s, const char *key, char *dst, size_t size)
{
	const char *v = explain_find_key(s, key);
	size_t n = 0;

	if (!v || size == 0)
		return false;
	while (v[n] && v[n] != ' ' && v[n] != ',' && v[n] != '\t')
		n++;
	if (n >= size)
		n = size - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return true;
}

/* ---------------------------------------------------------------- /dev/kmsg records */

struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* " SUBSYSTEM=pci", " DEVICE=+pci:0000:00:1f.2": a record's dictionary */
static bool is_dict_line(const char *s, const char *e)
{
	const char *p = s + 1;

	if (s >= e || *s != ' ')
		return false;
	while (p < e && (isupper((unsigned char)*p) || *p == '_'))
		p++;
	return p > s + 1 && p < e && *p == '=';
}

/* "6,339,5140900,-;" -> the usec field; NULL if the line is not a record */
static const char *kmsg_header(const char *s, const char *e, uint64_t *ret_usec)
{
	const char *p = s;
	int commas = 0;
	uint64_t usec = 0;

	for (; p < e && *p != ';'; p++) {
		if (*p == ',') {
			commas++;
			continue;
		}
		if (commas == 2 && isdigit((unsigned char)*p))
			usec = usec * 10 + (uint64_t)(*p - '0');
		else if (commas < 3 && !isdigit((unsigned char)*p))
			return NULL;
	}
	if (p >= e || commas < 3 || !isdigit((unsigned char)*s))
		return NULL;
	*ret_usec = usec;
	return p + 1;
}

int explain_kmsg_to_text(const char *buf, size_t len, char **ret_text, size_t *ret_len)
{
	struct sbuf b = { 0 };
	const char *s = buf, *e = buf + len;

	sb_add(&b, "", 0);
	while (s < e) {
		const char *nl = memchr(s, '\n', (size_t)(e - s)), *le = nl ? nl : e, *msg;
		uint64_t usec;

		msg = kmsg_header(s, le, &usec);
		if (msg) {
			char stamp[40];
			int n = snprintf(stamp, sizeof(stamp), "[%5llu.%06llu] ",
					 (unsigned long long)(usec / 1000000),
					 (unsigned long long)(usec % 1000000));

			sb_add(&b, stamp, (size_t)n);
			/* "\xNN" escapes: a newline inside one printk starts a new line */
			for (const char *p = msg; p < le; p++) {
				if (p + 3 < le && p[0] == '\\' && p[1] == 'x' &&
				    isxdigit((unsigned char)p[2]) && isxdigit((unsigned char)p[3])) {
					char h[3] = { p[2], p[3], 0 };
					char c = (char)strtol(h, NULL, 16);

					if (c == '\n') {
						sb_add(&b, "\n", 1);
						sb_add(&b, stamp, (size_t)n);
					} else {
						sb_add(&b, &c, 1);
					}
					p += 3;
				} else {
					sb_add(&b, p, 1);
				}
			}
			sb_add(&b, "\n", 1);
		} else if (!is_dict_line(s, le)) {
			/* not a record and not a " KEY=value" dictionary line: keep */
			sb_add(&b, s, (size_t)(le - s));
			sb_add(&b, "\n", 1);
		}
		s = nl ? nl + 1 : e;
	}
	if (b.oom) {
		free(b.p);
		return -ENOMEM;
	}
	*ret_text = b.p;
	if (ret_len)
		*ret_len = b.len;
	return 0;
}
