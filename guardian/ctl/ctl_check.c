/* SPDX-License-Identifier: GPL-2.0-or-later */
/* oomguardianctl check: the loader of policy/config/cfg_load.c, run as the daemon runs it. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "guardian/base/root.h"
#include "guardian/ctl/ctl_check.h"
#include "guardian/sources/src_cgroup.h"
#include "guardian/sources/src_xattr.h"
#include "policy/config/cfg.h"
#include "policy/util/strutil.h"

#define CHECK_POLICY_DIRS_MAX 8 /* as oomguardiand --policy-dir */

static void usage(FILE *out)
{
	fputs("Usage: oomguardianctl check [--config FILE] [--policy-dir DIR]... [--root DIR]\n"
	      "                            [--scope CGROUP] [--quiet] [FILE...]\n"
	      "Parse the main config and the policies exactly as oomguardiand with the same\n"
	      "options would (or only the FILEs given: without --config, NAME.conf is the main\n"
	      "config, anything else a policy), print which policy files are hidden or masked\n"
	      "by which, the effective configuration, where kill preferences come from (a\n"
	      "policy's KillPreference= at file:line, units' ManagedOOMPreference= xattrs on\n"
	      "cgroups and whether they count), and every problem as 'path:line: Key: reason'.\n"
	      "Exit status: 0 valid (warnings allowed), 78 invalid, 64 usage error.\n"
	      "  -c, --config FILE      the main config, any name (as oomguardiand --config)\n"
	      "  -p, --policy-dir DIR   read *.policy from DIR instead of the search path\n"
	      "                         (repeatable, highest priority first, at most 8)\n"
	      "  -r, --root DIR         look for the files (and users for User=) under DIR\n"
	      "  -s, --scope CGROUP     list the xattrs as a daemon guarding CGROUP counts them\n"
	      "                         (only that subtree; default: the config's Scope=)\n"
	      "  -q, --quiet            do not print the effective configuration\n"
	      "  -h, --help             show this help\n",
	      out);
}

/* systemd-delta's words, as comment lines the normalised output still parses with. */
static void print_delta(const struct cfg_delta *d, FILE *out)
{
	char a[POL_PATH_MAX], b[POL_PATH_MAX];

	for (size_t i = 0; i < d->n; i++)
		fprintf(out, "# [%s] %s by %s\n",
			d->v[i].kind == CFG_DELTA_MASKED ? "MASKED" : "OVERRIDDEN",
			og_escape(a, sizeof(a), d->v[i].path), og_escape(b, sizeof(b), d->v[i].by));
	if (d->n)
		fputc('\n', out);
}

static void print_xattr(const char *cgroup, const char *xattr, enum og_oomd_pref pref, uid_t owner,
			bool counts, void *data)
{
	char a[OG_CGROUP_PATH_MAX * 4];
	FILE *out = data;

	fprintf(out, "#   %s: %s (ManagedOOMPreference=%s): ", og_escape(a, sizeof(a), cgroup),
		xattr, pref == OG_OOMD_OMIT ? "omit" : "avoid");
	if (counts && strncmp(xattr, "trusted.", 8) == 0)
		fprintf(out, "KillPreference=%s (trusted.*: set with CAP_SYS_ADMIN)\n",
			pref == OG_OOMD_OMIT ? "never" : "avoid");
	else if (counts && owner == 0)
		fprintf(out, "KillPreference=%s (the cgroup is root's)\n",
			pref == OG_OOMD_OMIT ? "never" : "avoid");
	else if (counts)
		fprintf(out, "KillPreference=%s (the cgroup is uid %u's, who owns the scope)\n",
			pref == OG_OOMD_OMIT ? "never" : "avoid", (unsigned)owner);
	else
		fprintf(out,
			"ignored: the cgroup is owned by uid %u, whose user.* xattrs count only "
			"for a daemon guarding --scope inside that user's own subtree\n",
			(unsigned)owner);
}

/* A scope given as the cgroup2 mount's file system path ("/sys/fs/cgroup/machine.slice"). */
static const char *scope_in_v2(const struct og_cg_mounts *m, const char *scope)
{
	size_t n = strlen(m->v2_path);

	if (n > 1 && strncmp(scope, m->v2_path, n) == 0 && (scope[n] == '/' || !scope[n]))
		return scope[n] ? scope + n : "";
	return scope;
}

/*
 * systemd's ManagedOOMPreference= as the daemon would find it: every cgroup of this machine
 * (or of --root; of the scope's subtree for a scope) carrying user.oomd_* / trusted.oomd_*,
 * and whether it counts for a daemon guarding that scope. Comment lines, so the output still
 * parses as a configuration.
 */
static void print_oomd_xattrs(const char *root_dir, const char *scope, FILE *out)
{
	struct og_root root;
	struct og_cg_mounts m;
	char a[OG_CGROUP_PATH_MAX * 4];
	int n;

	if (og_root_open(&root, root_dir ? root_dir : "/") < 0)
		return;
	if (src_cgroup_detect(&root, &m) == 0 && m.v2_fd >= 0) {
		scope = scope_in_v2(&m, scope);
		if (scope[0])
			fprintf(out,
				"\n# ManagedOOMPreference= of units (cgroup xattrs under %s%s, as a "
				"daemon guarding %s counts them; a policy's KillPreference= "
				"overrides them):\n",
				m.v2_path, og_escape(a, sizeof(a), scope), a);
		else
			fprintf(out,
				"\n# ManagedOOMPreference= of units (cgroup xattrs under %s; a "
				"policy's KillPreference= overrides them):\n",
				m.v2_path);
		n = src_xattr_list(m.v2_fd, scope, print_xattr, out);
		if (n == 0)
			fputs("#   none set\n", out);
		else if (n == -ENOENT && scope[0])
			fputs("#   no such cgroup: the scope does not exist (yet)\n", out);
		else if (n < 0)
			fprintf(out, "#   cannot be read: %s\n", strerror(-n));
	}
	src_cgroup_mounts_close(&m);
	og_root_close(&root);
}

static const char *const kill_pref_names[] = {"default", "prefer", "avoid", "never"};

/* Where each policy's KillPreference= was set: the file and line, for "why avoid?". */
static void print_kill_pref_origins(const struct pol_rules *r, FILE *out)
{
	bool any = false;

	for (size_t i = 0; i < r->nservices; i++) {
		const struct pol_service *s = &r->services[i];
		char a[POL_PATH_MAX * 4];

		if (!s->kill_pref_line)
			continue;
		if (!any)
			fputs("\n# KillPreference= set by policies:\n", out);
		any = true;
		fprintf(out, "#   %s: KillPreference=%s at %s:%u\n", s->name,
			kill_pref_names[s->kill_pref], og_escape(a, sizeof(a), s->origin.path),
			s->kill_pref_line);
	}
}

struct check_opts {
	const char *root, *config, *scope;
	const char *dirs[CHECK_POLICY_DIRS_MAX + 1];
	size_t ndirs;
	bool quiet;
};

/* -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, struct check_opts *o)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"policy-dir", required_argument, NULL, 'p'},
		{"root", required_argument, NULL, 'r'},
		{"scope", required_argument, NULL, 's'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char why[160];
	int c;

	optind = 0; /* we may not be the first getopt user in this process (tests) */
	while ((c = getopt_long(argc, argv, "+c:p:r:s:qh", opts, NULL)) >= 0) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'p':
			if (o->ndirs == CHECK_POLICY_DIRS_MAX) {
				fprintf(stderr, "oomguardianctl check: at most %d --policy-dir\n",
					CHECK_POLICY_DIRS_MAX);
				return EX_USAGE;
			}
			o->dirs[o->ndirs++] = optarg;
			break;
		case 'r':
			o->root = optarg;
			break;
		case 's':
			o->scope = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (o->ndirs && optind < argc) {
		fprintf(stderr, "oomguardianctl check: --policy-dir and policy FILEs exclude each "
				"other\n");
		return EX_USAGE;
	}
	if (o->scope && o->scope[0] != '/') {
		fprintf(stderr,
			"oomguardianctl check: --scope '%s': expected a cgroup path like "
			"'/machine.slice'\n",
			o->scope);
		return EX_USAGE;
	}
	if (o->root && og_root_check(o->root, 0, why, sizeof(why)) < 0) {
		fprintf(stderr, "oomguardianctl check: --root '%s': %s\n", o->root, why);
		return EX_USAGE;
	}
	return -1;
}

int ctl_check_main(int argc, char **argv)
{
	struct check_opts o = {0};
	struct cfg_delta delta = {0};
	struct pol_rules rules;
	struct cfg_diag diag;
	int r = parse_args(argc, argv, &o);

	if (r >= 0)
		return r;
	cfg_diag_init(&diag);
	if (optind < argc)
		r = cfg_load_files_conf(o.root, o.config, (const char *const *)argv + optind,
					(size_t)(argc - optind), &rules, &diag);
	else
		r = cfg_load_delta(o.root, o.config, o.ndirs ? o.dirs : NULL, &rules, &delta,
				   &diag);
	cfg_diag_print(&diag, stderr);
	if (r >= 0 && !o.quiet) /* stdout stays empty for an invalid configuration */
		print_delta(&delta, stdout);
	cfg_delta_free(&delta);
	if (r >= 0 && !o.quiet && cfg_format_rules(&rules, stdout) < 0)
		r = -EIO;
	if (r >= 0 && !o.quiet) {
		print_kill_pref_origins(&rules, stdout);
		print_oomd_xattrs(o.root, o.scope ? o.scope : rules.cfg.scope, stdout);
		if (fflush(stdout) != 0 || ferror(stdout))
			r = -EIO;
	}
	if (r >= 0)
		pol_rules_free(&rules);
	if (r < 0)
		fprintf(stderr,
			"oomguardianctl check: %u error%s, %u warning%s: configuration %s\n",
			diag.nerrors, diag.nerrors == 1 ? "" : "s", diag.nwarnings,
			diag.nwarnings == 1 ? "" : "s", r == -EIO ? "not printed" : "invalid");
	cfg_diag_free(&diag);
	return r == -EIO ? EX_IOERR : r < 0 ? EX_CONFIG : EXIT_SUCCESS;
}
