/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The INI layer under both config languages: libinih does the Key=value split, a line reader of
 * ours in front of it does what inih cannot (Debian's build passes no line numbers and has a
 * fixed 200-byte line buffer): it counts lines so every diagnostic names path:line, rejects
 * malformed lines and unknown sections itself (inih would only return the first bad line), and
 * stashes values too long for inih. Then a table lookup {section, key, parser, offset, range}.
 */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "policy/config/cfg_int.h"
#include "policy/util/cleanup.h"
#include "policy/util/strutil.h"

/* Longest line we accept at all; values beyond inih's buffer are stashed (see line_reader). */
#define CFG_LINE_MAX 4096
#define CFG_SECTION_NAME_MAX 32

const struct cfg_enum cfg_kill_pref_names[] = {
	{"default", POL_KP_DEFAULT},
	{"prefer", POL_KP_PREFER},
	{"avoid", POL_KP_AVOID},
	{"never", POL_KP_NEVER},
	{NULL, 0},
};
const struct cfg_enum cfg_kill_unit_names[] = {
	{"process", POL_KU_PROCESS},
	{"process-group", POL_KU_PROCESS_GROUP},
	{"cgroup", POL_KU_CGROUP},
	{NULL, 0},
};
const struct cfg_enum cfg_on_budget_names[] = {
	{"report", POL_OB_REPORT},
	{"reclaim", POL_OB_RECLAIM},
	{"throttle", POL_OB_THROTTLE},
	{"kill", POL_OB_KILL},
	{NULL, 0},
};

/* ------------------------------------------------------------------------- diagnostics */
void cfg_diag_init(struct cfg_diag *d)
{
	*d = (struct cfg_diag){0};
}

void cfg_diag_free(struct cfg_diag *d)
{
	free(d->entries);
	*d = (struct cfg_diag){0};
}

static int diag_vadd(struct cfg_diag *d, enum cfg_severity sev, const char *path, unsigned line,
		     const char *key, const char *fmt, va_list ap)
	__attribute__((format(printf, 6, 0)));

static int diag_vadd(struct cfg_diag *d, enum cfg_severity sev, const char *path, unsigned line,
		     const char *key, const char *fmt, va_list ap)
{
	struct cfg_diag_entry *e;

	if (sev == CFG_SEV_ERROR)
		d->nerrors++;
	else
		d->nwarnings++;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct cfg_diag_entry *v = realloc(d->entries, cap * sizeof(*v));

		if (!v) {
			d->ndropped++;
			goto out;
		}
		d->entries = v;
		d->cap = cap;
	}
	e = &d->entries[d->n++];
	e->severity = sev;
	og_strscpy(e->path, path ? path : "", sizeof(e->path));
	e->line = line;
	og_strscpy(e->key, key ? key : "", sizeof(e->key));
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
out:
	return sev == CFG_SEV_ERROR ? -EINVAL : 0;
}

int cfg_diag_add(struct cfg_diag *d, enum cfg_severity sev, const char *path, unsigned line,
		 const char *key, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = diag_vadd(d, sev, path, line, key, fmt, ap);
	va_end(ap);
	return r;
}

static char *diag_format(const struct cfg_diag_entry *e, bool severity, char *buf, size_t size)
{
	char where[POL_PATH_MAX + 16];

	if (e->line)
		snprintf(where, sizeof(where), "%s:%u", e->path, e->line);
	else
		snprintf(where, sizeof(where), "%s", e->path);
	snprintf(buf, size, "%s: %s%s%s%s", where, e->key, e->key[0] ? ": " : "",
		 severity && e->severity == CFG_SEV_WARNING ? "warning: " : "", e->message);
	return buf;
}

char *cfg_diag_format(const struct cfg_diag_entry *e, char *buf, size_t size)
{
	return diag_format(e, true, buf, size);
}

char *cfg_diag_format_bare(const struct cfg_diag_entry *e, char *buf, size_t size)
{
	return diag_format(e, false, buf, size);
}

void cfg_diag_print(const struct cfg_diag *d, FILE *out)
{
	char buf[POL_PATH_MAX + CFG_KEY_MAX + CFG_MSG_MAX + 32];

	/* Escaped: a file name found in a policy directory may hold control characters. */
	for (size_t i = 0; i < d->n; i++)
		fprintf(out, "%s\n",
			og_escape(buf, sizeof(buf),
				  cfg_diag_format(&d->entries[i], buf, sizeof(buf))));
	if (d->ndropped)
		fprintf(out, "(%u more diagnostics lost: out of memory)\n", d->ndropped);
}

static int ctx_vadd(struct cfg_ctx *c, enum cfg_severity sev, unsigned line, const char *key,
		    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static int ctx_vadd(struct cfg_ctx *c, enum cfg_severity sev, unsigned line, const char *key,
		    const char *fmt, va_list ap)
{
	if (sev == CFG_SEV_ERROR)
		c->nerrors++;
	return diag_vadd(c->diag, sev, c->path, line, key, fmt, ap);
}

#define CTX_ADD(sev, line)                                 \
	do {                                               \
		va_list ap;                                \
		int r_;                                    \
		va_start(ap, fmt);                         \
		r_ = ctx_vadd(c, sev, line, key, fmt, ap); \
		va_end(ap);                                \
		return r_;                                 \
	} while (0)

int cfg_err(struct cfg_ctx *c, const char *key, const char *fmt, ...)
{
	CTX_ADD(CFG_SEV_ERROR, c->line);
}

int cfg_warn(struct cfg_ctx *c, const char *key, const char *fmt, ...)
{
	CTX_ADD(CFG_SEV_WARNING, c->line);
}

int cfg_err_at(struct cfg_ctx *c, unsigned line, const char *key, const char *fmt, ...)
{
	CTX_ADD(CFG_SEV_ERROR, line);
}

int cfg_warn_at(struct cfg_ctx *c, unsigned line, const char *key, const char *fmt, ...)
{
	CTX_ADD(CFG_SEV_WARNING, line);
}

/* ------------------------------------------------------------------------- tables */
int cfg_section_index(const struct cfg_ctx *c, const char *section)
{
	for (int i = 0; c->sections[i]; i++)
		if (strcmp(c->sections[i], section) == 0)
			return i;
	return -1;
}

int cfg_key_index(const struct cfg_ctx *c, const char *section, const char *key)
{
	for (size_t i = 0; i < c->nkeys; i++)
		if (strcmp(c->keys[i].section, section) == 0 && strcmp(c->keys[i].key, key) == 0)
			return (int)i;
	return -1;
}

unsigned cfg_key_line(const struct cfg_ctx *c, const char *section, const char *key)
{
	int i = cfg_key_index(c, section, key);

	return i < 0 ? 0 : c->key_line[i];
}

/* ------------------------------------------------------------------------- the reader */
static bool is_key_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_';
}

static bool is_blank(char ch)
{
	return ch != '\0' && strchr(CFG_BLANKS, ch);
}

/* A line inih ignores, handed over in place of the lines we have dealt with ourselves. */
static char *comment_line(char *str)
{
	strcpy(str, "#\n");
	return str;
}

/* "[A], [B] or [C]": the known sections, for messages. */
static void section_list(const struct cfg_ctx *c, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; c->sections[i] && n < size; i++) {
		const char *sep = i == 0 ? "" : c->sections[i + 1] ? ", " : " or ";

		n += (size_t)snprintf(buf + n, size - n, "%s[%s]", sep, c->sections[i]);
	}
}

/* A header line: its text (up to 40 bytes) goes in the key slot of the diagnostic. */
static char *reader_section(struct cfg_ctx *c, char *str, const char *s, size_t len)
{
	char name[CFG_SECTION_NAME_MAX + 1], hdr[48], known[160];
	size_t n;
	int idx;

	c->cur_section = -2; /* keys below a broken header are skipped, not reported again */
	snprintf(hdr, sizeof(hdr), "%.*s%s", (int)(len > 40 ? 40 : len), s, len > 40 ? "..." : "");
	if (len < 2 || s[len - 1] != ']') {
		cfg_err(c, hdr, "malformed section header, expected '[Name]'");
		return comment_line(str);
	}
	n = len - 2;
	for (size_t i = 0; i < n; i++) {
		if (!is_key_char(s[1 + i]) && s[1 + i] != '-') {
			n = 0;
			break;
		}
	}
	if (n == 0 || n > CFG_SECTION_NAME_MAX) {
		cfg_err(c, hdr, "invalid section name, expected letters, digits, '_' or '-'");
		return comment_line(str);
	}
	memcpy(name, s + 1, n);
	name[n] = '\0';
	idx = cfg_section_index(c, name);
	if (idx < 0) {
		section_list(c, known, sizeof(known));
		cfg_err(c, hdr, "unknown section, expected %s", known);
		return comment_line(str);
	}
	c->cur_section = idx;
	if (idx < CFG_SECTIONS_MAX && !c->section_line[idx])
		c->section_line[idx] = c->line;
	snprintf(str, CFG_SECTION_NAME_MAX + 4, "[%s]\n", name);
	return str;
}

static char *reader_assignment(struct cfg_ctx *c, char *str, int num, const char *s, size_t len)
{
	const char *eq = memchr(s, '=', len), *v, *e = s + len;
	size_t klen, vlen;

	if (!eq) {
		cfg_err(c, "", "expected 'Key=value', got '%.*s'", (int)(len > 64 ? 64 : len), s);
		return comment_line(str);
	}
	klen = (size_t)(eq - s);
	while (klen > 0 && is_blank(s[klen - 1]))
		klen--;
	for (size_t i = 0; i < klen; i++) {
		if (!is_key_char(s[i])) {
			klen = 0;
			break;
		}
	}
	if (klen == 0 || klen >= 48) { /* inih's name buffer is 50 bytes */
		cfg_err(c, "", "invalid key name '%.*s'", (int)(eq - s > 64 ? 64 : eq - s), s);
		return comment_line(str);
	}
	if (c->cur_section == -1) {
		char key[CFG_KEY_MAX];

		snprintf(key, sizeof(key), "%.*s", (int)klen, s);
		cfg_err(c, key, "outside of any section, expected a '[Section]' line before it");
		return comment_line(str);
	}
	if (c->cur_section == -2)
		return comment_line(str);
	for (v = eq + 1; v < e && is_blank(*v); v++)
		;
	vlen = (size_t)(e - v);
	if (klen + vlen + 3 > (size_t)num) {
		c->long_value = strndup(v, vlen);
		if (!c->long_value) {
			cfg_err(c, "", "out of memory");
			return comment_line(str);
		}
		vlen = 0;
	}
	memcpy(str, s, klen);
	str[klen] = '=';
	memcpy(str + klen + 1, v, vlen);
	memcpy(str + klen + 1 + vlen, "\n", 2);
	return str;
}

/* inih's fgets-style reader: one physical line per call, already checked. */
static char *line_reader(char *str, int num, void *stream)
{
	struct cfg_ctx *c = stream;
	const char *s = c->p, *e, *nl;
	size_t len;

	if (s >= c->end || num < CFG_SECTION_NAME_MAX + 8)
		return NULL;
	nl = memchr(s, '\n', (size_t)(c->end - s));
	e = nl ? nl : c->end;
	c->p = nl ? nl + 1 : c->end;
	c->line++;
	free(c->long_value);
	c->long_value = NULL;
	if (c->line == 1 && e - s >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3; /* UTF-8 BOM */
	while (s < e && is_blank(*s))
		s++;
	while (e > s && is_blank(e[-1]))
		e--;
	len = (size_t)(e - s);
	if (memchr(s, '\0', len)) {
		cfg_err(c, "", "line contains a NUL byte");
		return comment_line(str);
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		/* an escape sequence in a name would reach `check` output and log lines */
		if ((ch < 0x20 && !is_blank((char)ch)) || ch == 0x7f) {
			cfg_err(c, "", "line contains the control character 0x%02x", ch);
			return comment_line(str);
		}
	}
	if (len == 0 || *s == '#' || *s == ';')
		return comment_line(str);
	if (len > CFG_LINE_MAX) {
		cfg_err(c, "", "line longer than %d bytes", CFG_LINE_MAX);
		return comment_line(str);
	}
	if (*s == '[')
		return reader_section(c, str, s, len);
	return reader_assignment(c, str, num, s, len);
}

/*
 * "Name=memcached # the cache" is four names: '#' starts a comment only at the start of a line
 * (systemd's rule). A blank then '#' in a value is almost always a comment meant inline.
 */
static void warn_inline_comment(struct cfg_ctx *c, const struct cfg_key *k, const char *value)
{
	for (const char *h = strchr(value, '#'); h; h = strchr(h + 1, '#')) {
		if (h > value && is_blank(h[-1])) {
			cfg_warn(c, k->key,
				 "'%.40s' is part of the value: '#' starts a comment only at the "
				 "start of a line; put the comment on a line of its own",
				 h);
			return;
		}
	}
}

static int key_handler(void *user, const char *section, const char *name, const char *value)
{
	struct cfg_ctx *c = user;
	const struct cfg_key *k;
	void *base, *field;
	int i, r;

	(void)section; /* ours (cur_section) is authoritative: inih's follows it */
	if (c->cur_section < 0)
		return 1;
	if (c->long_value)
		value = c->long_value;
	i = cfg_key_index(c, c->sections[c->cur_section], name);
	if (i < 0) {
		cfg_err(c, name, "unknown key in [%s]", c->sections[c->cur_section]);
		return 1;
	}
	k = &c->keys[i];
	if (c->cur_section < CFG_SECTIONS_MAX)
		c->any_key[c->cur_section] = true;
	base = c->base(c, k->section, 0);
	field = (char *)base + k->offset;
	if (value[0] == '\0' && !(k->flags & CFG_F_EMPTY)) {
		const char *def = c->base(c, k->section, 1);

		memcpy(field, def + k->offset, k->size);
		c->key_line[i] = 0;
		if (c->key_last)
			c->key_last[i] = c->line;
		return 1;
	}
	warn_inline_comment(c, k, value);
	r = k->parse(c, k, value, field);
	if (r >= 0 && value[0] && c->key_line[i] && !(k->flags & CFG_F_MULTI))
		cfg_warn(c, k->key, "given twice in this file (line %u); the last one wins",
			 c->key_line[i]);
	if (r >= 0)
		c->key_line[i] = value[0] ? c->line : 0;
	if (c->key_last)
		c->key_last[i] = c->line;
	return 1; /* keep going: collect every error */
}

int cfg_ini_parse(struct cfg_ctx *c, const char *buf, size_t len)
{
	int r;

	/* Debian's libinih exposes its compile-time options as globals: systemd semantics. */
	ini_allow_multiline = false; /* an indented line is not a continuation */
	ini_allow_inline_comments = false; /* '#' and ';' only start a comment at line start */
	ini_allow_no_value = false;
	ini_stop_on_first_error = false;

	c->p = buf;
	c->end = buf + len;
	c->line = 0;
	c->cur_section = -1;
	r = ini_parse_stream(line_reader, c, key_handler, c);
	free(c->long_value);
	c->long_value = NULL;
	if (r != 0 && c->nerrors == 0)
		cfg_err(c, "", "malformed line"); /* cannot happen: we hand inih valid lines */
	return c->nerrors ? -EINVAL : 0;
}

/* ------------------------------------------------------------------------- value parsers */
int cfg_parse_bool(struct cfg_ctx *c, const struct cfg_key *k, const char *v, void *field)
{
	int b = og_parse_bool(v);

	if (b < 0)
		return cfg_err(c, k->key, "expected a boolean (yes or no), got '%s'", v);
	*(bool *)field = b;
	return 0;
}

int cfg_parse_int(struct cfg_ctx *c, const struct cfg_key *k, const char *v, void *field)
{
	int x;

	if (og_parse_int(v, &x) < 0 || x < k->min || x > k->max)
		return cfg_err(c, k->key, "expected an integer %lld..%lld, got '%s'",
			       (long long)k->min, (long long)k->max, v);
	*(int *)field = x;
	return 0;
}

int cfg_parse_duration(struct cfg_ctx *c, const struct cfg_key *k, const char *v, void *field)
{
	char lo[32], hi[32];
	uint64_t us;
	int r = og_parse_duration(v, &us);

	if (r < 0 || us < (uint64_t)k->min || us > (uint64_t)k->max)
		return cfg_err(c, k->key, "expected a duration %s-%s, got '%s'",
			       cfg_fmt_duration(lo, sizeof(lo), (uint64_t)k->min),
			       cfg_fmt_duration(hi, sizeof(hi), (uint64_t)k->max), v);
	*(uint64_t *)field = us;
	return 0;
}

int cfg_parse_enum(struct cfg_ctx *c, const struct cfg_key *k, const char *v, void *field)
{
	char names[128] = "";

	for (const struct cfg_enum *e = k->enums; e->name; e++) {
		if (strcmp(e->name, v) == 0) {
			*(int *)field = e->value;
			return 0;
		}
		if (names[0])
			strncat(names, "|", sizeof(names) - strlen(names) - 1);
		strncat(names, e->name, sizeof(names) - strlen(names) - 1);
	}
	return cfg_err(c, k->key, "expected one of %s, got '%s'", names, v);
}

int cfg_parse_percent(struct cfg_ctx *c, const struct cfg_key *k, const char *v, void *field)
{
	char lo[16], hi[16];
	uint32_t p;

	if (v[0] == '\0') { /* CFG_F_EMPTY keys: no condition */
		*(uint32_t *)field = 0;
		return 0;
	}
	if (og_parse_percent(v, &p) < 0 || p < k->min || p > k->max)
		return cfg_err(c, k->key, "expected a percentage %s-%s, got '%s'",
			       cfg_fmt_percent(lo, sizeof(lo), (uint64_t)k->min),
			       cfg_fmt_percent(hi, sizeof(hi), (uint64_t)k->max), v);
	*(uint32_t *)field = p;
	return 0;
}

int cfg_parse_path(struct cfg_ctx *c, const struct cfg_key *k, const char *v, void *field)
{
	if ((k->flags & CFG_F_ABS) && v[0] != '/')
		return cfg_err(c, k->key, "expected an absolute path, got '%s'", v);
	if (strlen(v) >= k->size)
		return cfg_err(c, k->key, "path longer than %zu bytes", k->size - 1);
	og_strscpy(field, v, k->size);
	return 0;
}

/* "PERCENT [DURATION]" into l; kind and the key name for messages from the caller. */
static int parse_psi_rest(struct cfg_ctx *c, const char *key, const char *v, bool full,
			  struct pol_psi_limit *l)
{
	char pct[32], dur[32] = "", extra[2] = "";
	uint64_t us = CFG_PSI_DURATION_DEFAULT_USEC;
	uint32_t p;
	int n;

	n = sscanf(v, "%31s %31s %1s", pct, dur, extra);
	if (n < 1 || n > 2)
		return cfg_err(c, key, "expected 'PERCENT DURATION' like '20%% 10s', got '%s'", v);
	if (og_parse_percent(pct, &p) < 0 || p < 1)
		return cfg_err(c, key, "expected a pressure 0.01%%-100%%, got '%s'", pct);
	if (n == 2 && (og_parse_duration(dur, &us) < 0 || us < CFG_PSI_DURATION_MIN_USEC ||
		       us > CFG_PSI_DURATION_MAX_USEC))
		return cfg_err(c, key, "expected a duration 1s-10min, got '%s'", dur);
	*l = (struct pol_psi_limit){
		.set = true, .full = full, .limit_centi = p, .duration_usec = us};
	return 0;
}

int cfg_parse_psi(struct cfg_ctx *c, const struct cfg_key *k, const char *v, void *field)
{
	if (v[0] == '\0') { /* CFG_F_EMPTY keys: no condition */
		*(struct pol_psi_limit *)field = (struct pol_psi_limit){0};
		return 0;
	}
	return parse_psi_rest(c, k->key, v, k->flags & CFG_F_FULL, field);
}

int cfg_parse_psi_kind(struct cfg_ctx *c, const struct cfg_key *k, const char *v, void *field)
{
	bool full;

	if (og_startswith(v, "full") && is_blank(v[4]))
		full = true;
	else if (og_startswith(v, "some") && is_blank(v[4]))
		full = false;
	else
		return cfg_err(c, k->key, "expected 'some|full PERCENT DURATION', got '%s'", v);
	return parse_psi_rest(c, k->key, v + 5, full, field);
}

/* ------------------------------------------------------------------------- lists */
int cfg_strv_push(struct pol_strv *l, const char *s)
{
	char **v = realloc(l->v, (l->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	l->v = v;
	l->v[l->n] = strdup(s);
	if (!l->v[l->n])
		return -ENOMEM;
	l->n++;
	return 0;
}

void cfg_strv_free(struct pol_strv *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	*l = (struct pol_strv){0};
}

/* ------------------------------------------------------------------------- formatting */
char *cfg_fmt_duration(char *buf, size_t size, uint64_t usec)
{
	static const struct {
		const char *suffix;
		uint64_t usec;
	} units[] = {
		{"h", 3600000000ULL}, {"min", 60000000ULL}, {"s", 1000000ULL},
		{"ms", 1000ULL},      {"us", 1ULL},
	};

	if (usec == 0) {
		snprintf(buf, size, "0");
		return buf;
	}
	for (size_t i = 0; i < OG_ELEMENTSOF(units); i++) {
		if (usec % units[i].usec == 0) {
			snprintf(buf, size, "%llu%s", (unsigned long long)(usec / units[i].usec),
				 units[i].suffix);
			break;
		}
	}
	return buf;
}

char *cfg_fmt_size(char *buf, size_t size, uint64_t bytes)
{
	static const char suffix[] = "EPTGMK";

	for (int i = 0; i < 6; i++) {
		uint64_t mul = 1ULL << (10 * (6 - i));

		if (bytes >= mul && bytes % mul == 0) {
			snprintf(buf, size, "%llu%c", (unsigned long long)(bytes / mul), suffix[i]);
			return buf;
		}
	}
	snprintf(buf, size, "%llu", (unsigned long long)bytes);
	return buf;
}

char *cfg_fmt_percent(char *buf, size_t size, uint64_t permyriad)
{
	unsigned long long i = permyriad / 100, f = permyriad % 100;

	if (f == 0)
		snprintf(buf, size, "%llu%%", i);
	else if (f % 10 == 0)
		snprintf(buf, size, "%llu.%llu%%", i, f / 10);
	else
		snprintf(buf, size, "%llu.%02llu%%", i, f);
	return buf;
}

const char *cfg_enum_name(const struct cfg_enum *e, int value)
{
	for (; e->name; e++)
		if (e->value == value)
			return e->name;
	return "?";
}
