/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internals shared by policy/cfg_*.c: the key table, the parse context and the value parsers. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "policy/config/cfg.h"

struct cfg_ctx;
struct cfg_key;

/*
 * A value parser. field points at the member (base + offset). value is never NULL; "" is handled
 * by the parser only for keys with CFG_F_EMPTY (otherwise the caller resets the field to its
 * default). Returns 0, or the result of cfg_err() after recording the error.
 */
typedef int (*cfg_parse_fn)(struct cfg_ctx *c, const struct cfg_key *k, const char *value,
			    void *field);

enum {
	CFG_F_EMPTY = 1u << 0, /* parser handles "" itself (lists, multi-field values) */
	CFG_F_FULL = 1u << 1, /* PSI: the "full" line (else "some") */
	CFG_F_ABS = 1u << 2, /* path must be absolute */
	CFG_F_MULTI = 1u << 3, /* repeating the key adds (lists); else a repeat is warned about */
};

struct cfg_enum {
	const char *name;
	int value;
};

struct cfg_key {
	const char *section;
	const char *key;
	cfg_parse_fn parse;
	size_t offset;
	size_t size; /* of the member, for resetting it to its default */
	int64_t min,
		max; /* range in the member's unit (usec, permyriad, ...); unused if min > max */
	unsigned flags;
	const struct cfg_enum *enums; /* NULL-name terminated */
};

#define CFG_KEY(sec, name, fn, type, member, lo, hi, fl, en)                                       \
	{                                                                                          \
		sec, name, fn, offsetof(type, member), sizeof(((type *)0)->member), lo, hi, fl, en \
	}

#define CFG_SECTIONS_MAX 8
/* What separates words in a value, and what is trimmed around lines and values. */
#define CFG_BLANKS " \t\r\v\f"

struct cfg_ctx {
	const char *path;
	struct cfg_diag *diag;
	const char *root; /* for User= lookups */
	const char *const *sections; /* known sections, NULL-terminated */
	const struct cfg_key *keys;
	size_t nkeys;
	unsigned *key_line; /* [nkeys]: line a key was last set (0: unset or reset) */
	unsigned *key_last; /* [nkeys] or NULL: line of its last assignment, resets included */
	/* Where the members of `section` live, and their defaults (same layout). */
	void *(*base)(struct cfg_ctx *c, const char *section, int want_default);
	void *obj; /* the object being filled */
	const void *defaults;
	unsigned section_line[CFG_SECTIONS_MAX]; /* first header line of each known section */
	bool any_key[CFG_SECTIONS_MAX]; /* some key of the section was assigned */

	/* reader state */
	const char *p, *end;
	unsigned line; /* of the line handed to inih last */
	int cur_section; /* index into sections, -1 none, -2 unknown (keys skipped) */
	char *long_value; /* value of a line too long for inih, stashed (see cfg_ini.c) */
	unsigned nerrors;
};

/* Record an error/warning at the current line for key k (or name). Return -EINVAL / 0. */
int cfg_err(struct cfg_ctx *c, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int cfg_warn(struct cfg_ctx *c, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Same, at an explicit line. */
int cfg_err_at(struct cfg_ctx *c, unsigned line, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int cfg_warn_at(struct cfg_ctx *c, unsigned line, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Run inih over buf with the context's tables. Returns 0 or -EINVAL (errors recorded). */
int cfg_ini_parse(struct cfg_ctx *c, const char *buf, size_t len);

/* The table index of (section, key), or -1. */
int cfg_key_index(const struct cfg_ctx *c, const char *section, const char *key);
/* Line where (section, key) was set in this file, 0 if not. */
unsigned cfg_key_line(const struct cfg_ctx *c, const char *section, const char *key);
/* Index of a known section, -1 if not known. */
int cfg_section_index(const struct cfg_ctx *c, const char *section);

/* Generic parsers. */
int cfg_parse_bool(struct cfg_ctx *c, const struct cfg_key *k, const char *v, void *field);
int cfg_parse_int(struct cfg_ctx *c, const struct cfg_key *k, const char *v, void *field);
int cfg_parse_duration(struct cfg_ctx *c, const struct cfg_key *k, const char *v, void *field);
int cfg_parse_enum(struct cfg_ctx *c, const struct cfg_key *k, const char *v, void *field);
int cfg_parse_percent(struct cfg_ctx *c, const struct cfg_key *k, const char *v, void *field);
int cfg_parse_path(struct cfg_ctx *c, const struct cfg_key *k, const char *v, void *field);
/* "20% 10s" (kind from CFG_F_FULL) or, with CFG_F_EMPTY... see cfg_ini.c. */
int cfg_parse_psi(struct cfg_ctx *c, const struct cfg_key *k, const char *v, void *field);
/* "full 20% 10s" / "some 40% 30s" */
int cfg_parse_psi_kind(struct cfg_ctx *c, const struct cfg_key *k, const char *v, void *field);

/* Append a copy of s. 0 or -ENOMEM. */
int cfg_strv_push(struct pol_strv *l, const char *s);
void cfg_strv_free(struct pol_strv *l);

/* Exact, locale-free formatting for the normalised output (round trip). Return buf. */
char *cfg_fmt_duration(char *buf, size_t size, uint64_t usec);
char *cfg_fmt_size(char *buf, size_t size, uint64_t bytes);
char *cfg_fmt_percent(char *buf, size_t size, uint64_t permyriad);
const char *cfg_enum_name(const struct cfg_enum *e, int value);

extern const struct cfg_enum cfg_kill_pref_names[];
extern const struct cfg_enum cfg_kill_unit_names[];
extern const struct cfg_enum cfg_on_budget_names[];

/* PSI durations accepted anywhere: 1 s .. 10 min. */
#define CFG_PSI_DURATION_MIN_USEC 1000000ULL
#define CFG_PSI_DURATION_MAX_USEC 600000000ULL
#define CFG_PSI_DURATION_DEFAULT_USEC 10000000ULL
