/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Configuration loading: oomguardian.conf (the machine-wide ladder) and policy.d/\*.policy (per
 * service) into struct pol_rules. Pure apart from reading the files it is pointed at: no logging,
 * no globals of our own (libinih's option globals are set before each parse). Every problem is
 * collected into a struct cfg_diag as `path:line: Key: reason`; the caller prints them.
 * See man/oomguardian.conf.5 and man/oomguardian.policy.5 for the language.
 */
#pragma once

#include <stdio.h>

#include "policy/rules.h"

enum cfg_severity {
	CFG_SEV_WARNING = 1, /* reported, does not make the configuration invalid */
	CFG_SEV_ERROR = 2,
};

#define CFG_KEY_MAX 64
#define CFG_MSG_MAX 320

struct cfg_diag_entry {
	enum cfg_severity severity;
	char path[POL_PATH_MAX];
	unsigned line; /* 0: the file as a whole */
	char key[CFG_KEY_MAX]; /* "MemoryBudget", "[Match]", or "" */
	char message[CFG_MSG_MAX];
};

struct cfg_diag {
	size_t n, cap;
	struct cfg_diag_entry *entries;
	unsigned nerrors;
	unsigned nwarnings;
	unsigned ndropped; /* entries lost to allocation failure (still counted above) */
};

void cfg_diag_init(struct cfg_diag *d);
void cfg_diag_free(struct cfg_diag *d);

/* Record one diagnostic. Returns -EINVAL for an error, 0 for a warning. */
int cfg_diag_add(struct cfg_diag *d, enum cfg_severity sev, const char *path, unsigned line,
		 const char *key, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* "path:line: Key: reason" (warnings: "path:line: Key: warning: reason"). Returns buf. */
char *cfg_diag_format(const struct cfg_diag_entry *e, char *buf, size_t size);

/* The same without the "warning: " word, for a logger whose level already says it (one
 * "warning:" a line, not "warning: path: Key: warning: reason"). Returns buf. */
char *cfg_diag_format_bare(const struct cfg_diag_entry *e, char *buf, size_t size);

/* Print every entry, one a line. */
void cfg_diag_print(const struct cfg_diag *d, FILE *out);

/*
 * A scope (Scope=, --scope) as a cgroup path: absolute, no "." / ".." / empty components (a
 * trailing '/' is dropped; "/" becomes "", the whole machine). One rule for both, so the
 * command line accepts exactly what the configuration does. 0, -EINVAL, or -ENAMETOOLONG when
 * it does not fit size (or OG_CGROUP_PATH_MAX). buf is written only on success.
 */
int cfg_scope_normalize(const char *v, char *buf, size_t size);

/* The built-in ladder and [Guardian] defaults (see policy/config/cfg_main.c for the reasons). */
void cfg_config_defaults(struct pol_config *ret);

/*
 * Parse a main config from memory (buf need not be NUL-terminated; NUL bytes are errors) on top
 * of *cfg (pass cfg_config_defaults() output). path names the file in diagnostics. Returns 0, or
 * -EINVAL with the errors in diag and *cfg untouched.
 */
int cfg_parse_conf_buf(const char *path, const char *buf, size_t len, struct pol_config *cfg,
		       struct cfg_diag *diag);

/*
 * Parse one policy file from memory. The service name is the file name without ".policy".
 * root (NULL: the host, via NSS) is where User= names are looked up (<root>/etc/passwd).
 * cfg supplies the default TermGraceSec (NULL: built-in). Returns 0 with *ret filled (free it
 * with pol_service_free()), or -EINVAL with the errors in diag and *ret untouched.
 */
int cfg_parse_policy_buf(const char *path, const char *buf, size_t len, const char *root,
			 const struct pol_config *cfg, struct pol_service *ret,
			 struct cfg_diag *diag);

/*
 * Load everything as the daemon does. root: a directory prefix (NULL or "/" = the host).
 * conf_path: NULL = <root>/etc/oomguardian/oomguardian.conf (missing file: built-in defaults),
 * else that file (relative to cwd, not root; missing is an error). policy_dirs: NULL-terminated,
 * highest priority first (NULL = the default search path: <root>/etc/oomguardian/policy.d,
 * <root>/run/oomguardian/policy.d, <root>/usr/local/lib/oomguardian/policy.d,
 * <root>/usr/lib/oomguardian/policy.d, plus the configured sysconfdir/vendordir).
 * A name in a higher-priority dir hides the same name below it; a symlink to /dev/null masks it;
 * the remaining *.policy files apply in lexical order of their names.
 * Returns 0 (warnings possible), or -EINVAL (errors in diag), -ENOMEM; *ret is written only on
 * success, so a failed reload keeps the old rules.
 */
int cfg_load(const char *root, const char *conf_path, const char *const *policy_dirs,
	     struct pol_rules *ret, struct cfg_diag *diag);

/* What the policy.d merge set aside (systemd-delta's [OVERRIDDEN] and [MASKED]). */
enum cfg_delta_kind {
	CFG_DELTA_HIDDEN = 1, /* path has the name of a file higher up: `by` applies instead */
	CFG_DELTA_MASKED, /* `by` is a symlink to /dev/null of the same name: neither applies */
};

struct cfg_delta_entry {
	enum cfg_delta_kind kind;
	char *path;
	char *by;
};

struct cfg_delta {
	size_t n;
	struct cfg_delta_entry *v; /* in lexical order of the file names */
};

void cfg_delta_free(struct cfg_delta *d);

/* cfg_load() that also lists, into *ret_delta (zero-initialised; filled whatever the result,
 * free it with cfg_delta_free()), every policy file hidden or masked by a higher one. */
int cfg_load_delta(const char *root, const char *conf_path, const char *const *policy_dirs,
		   struct pol_rules *ret, struct cfg_delta *ret_delta, struct cfg_diag *diag);

/*
 * Load explicit files (`oomguardianctl check FILE...`), in the order given: a name ending in
 * ".conf" is the main config (at most one; without one the default conf is used as in
 * cfg_load()), anything else a policy. Same return and *ret contract as cfg_load().
 */
int cfg_load_files(const char *root, const char *const *files, size_t nfiles, struct pol_rules *ret,
		   struct cfg_diag *diag);

/* The same with the main config named (conf_path, any name, as `oomguardiand --config`): then
 * every file given is a policy. conf_path NULL: as cfg_load_files(). */
int cfg_load_files_conf(const char *root, const char *conf_path, const char *const *files,
			size_t nfiles, struct pol_rules *ret, struct cfg_diag *diag);

/* Print the effective configuration as normalised INI that parses back to the same rules.
 * cfg_format_rules() writes the main config, then each policy after a "# policy" comment line.
 * Return 0 or -EIO. */
int cfg_format_config(const struct pol_config *cfg, FILE *out);
int cfg_format_service(const struct pol_service *s, FILE *out);
int cfg_format_rules(const struct pol_rules *r, FILE *out);

/* Free what a service / the rules own (regfree included) and zero them. NULL is fine. */
void pol_service_free(struct pol_service *s);
void pol_rules_free(struct pol_rules *r);
