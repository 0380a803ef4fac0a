/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oomguardiand: argv, config, self-protection, then the loop (guardian/loop/loop.c).
 * Order matters: everything that allocates or faults in code (config, snapshot tables, the
 * dry-run self-test through every action) runs before mlockall, so that after it the path
 * from detection to kill touches only resident, preallocated memory.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "guardian/actions/act.h"
#include "guardian/actions/act_protect.h"
#include "guardian/base/log.h"
#include "guardian/base/log_cfg.h"
#include "guardian/loop/loop.h"
#include "guardian/loop/loop_hook.h"
#include "guardian/base/root.h"
#include "guardian/sources/src_cgroup.h"
#include "guardian/sources/src_proc.h"
#include "policy/config/cfg.h"
#include "policy/util/strutil.h"

#define POLICY_DIRS_MAX 8

static void help(void)
{
	/* cfg_load() tries OG_SYSCONFDIR's file before /etc's; one name when they are the same */
	static const char fixed_conf[] = "/etc/oomguardian/oomguardian.conf";
	static const char conf[] = OG_SYSCONFDIR "/oomguardian.conf";

	printf("Usage: oomguardiand [OPTION]...\n"
	       "Userspace OOM guardian: watches available memory and memory pressure of the\n"
	       "whole machine or one cgroup and reclaims, throttles, terminates or kills by\n"
	       "policy before the kernel's OOM killer has to.\n"
	       "\n");
	if (strcmp(conf, fixed_conf) == 0)
		printf("  -c, --config FILE      main configuration (default:\n"
		       "                         %s; none: built-in)\n",
		       conf);
	else
		printf("  -c, --config FILE      main configuration (default: the first of\n"
		       "                         %s and\n"
		       "                         %s; none: built-in)\n",
		       conf, fixed_conf);
	printf("  -p, --policy-dir DIR   read *.policy from DIR instead of the default search\n"
	       "                         path (repeatable, highest priority first; must exist)\n"
	       "  -r, --root DIR         read /proc, /sys and the cgroup trees below DIR\n"
	       "                         (fixture trees); without --config and --policy-dir\n"
	       "                         the configuration and policies are read below DIR\n"
	       "                         too (DIR/etc/oomguardian/...), and User= names are\n"
	       "                         looked up in DIR/etc/passwd\n"
	       "  -s, --scope CGROUP     guard only this cgroup (overrides Scope=); a path\n"
	       "                         under the cgroup mount works too\n"
	       "  -n, --dry-run          decide and log, but write nothing to the kernel\n"
	       "  -1, --once             take one snapshot, print the plan and exit\n"
	       "      --report-dir DIR   where action reports go (default: " OG_STATEDIR
	       "/reports)\n"
	       "      --state-file FILE  state file and lock (default: " OG_RUNSTATEDIR "/state)\n"
	       "                         (with --root: no reports or state file unless given)\n"
	       "  -d, --debug            log at debug level\n"
	       "  -h, --help             show this help and exit\n"
	       "  -V, --version          show the version and exit\n"
	       "\n"
	       "Config and policy files and their directories must be owned by root and not\n"
	       "writable by others. Signals: SIGHUP reloads the policy (an invalid one is\n"
	       "refused, the running one kept), SIGTERM and SIGINT exit.\n"
	       "Exit status: 0 success, 1 failure, 64 usage, 78 invalid configuration.\n"
	       "See oomguardiand(8).\n");
}

/*
 * The lowest oom_score_adj the kernel lets us set: -1000 with CAP_SYS_RESOURCE, else no lower
 * than the lowest value this process ever had (binary search over writes; ~11 at most). Always
 * our own process of the running system: through the act layer on the live root "/", whatever
 * --root says (a fixture tree's /proc is not ours).
 */
static void lower_own_oom_score_adj(void)
{
	struct og_cg_mounts mounts = { .layout = OG_CG_NONE, .v2_fd = -1, .memv1_fd = -1 };
	int lo = -1000, hi = 1000, best = 1001, saved = log_get_max_level(), r = 0;
	struct act_seen denied = { 0 };
	struct og_root root;
	struct act_ctx ctx;
	struct og_proc self;

	r = og_root_open(&root, "/");
	if (r < 0) {
		(void)log_warning_errno(r, "cannot open /proc to lower our own oom_score_adj: %m; "
					   "the kernel's OOM killer may kill oomguardiand first");
		return;
	}
	act_ctx_init(&ctx, &root, &mounts, false);
	ctx.self_pid = -1;
	ctx.denied = &denied;
	/* Refusals are the expected answers of the search: logged at debug, not as warnings. */
	if (src_read_proc(&root, getpid(), &self) == 0)
		act_seen_add(&denied, getpid(), self.starttime_ticks);
	if (saved < LOG_DEBUG)
		log_set_max_level(LOG_WARNING); /* not one NOTICE per step */
	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;

		r = act_set_oom_score_adj(&ctx, getpid(), 0, mid, NULL);
		if (r >= 0) {
			best = mid;
			hi = mid - 1;
		} else if (r == -EACCES) {
			lo = mid + 1;
		} else {
			break;
		}
		if (best == -1000)
			break;
	}
	log_set_max_level(saved);
	og_root_close(&root);
	/* Issue 10 item 13: once, at start, and with what it means. Under the shipped unit
	 * (OOMScoreAdjust=-1000) the search ends at -1000 and nothing is said. */
	if (best > 1000 && r < 0 && r != -EACCES)
		(void)log_warning_errno(r, "cannot set our own oom_score_adj: %m; the kernel's "
					   "OOM killer may kill oomguardiand first");
	else if (best > 1000)
		log_warning("cannot set our own oom_score_adj (refused at every value); the "
			    "kernel's OOM killer may kill oomguardiand first");
	if (best <= 1000)
		log_debug("own oom_score_adj set to %d", best);
	if (best > -1000 && best <= 1000)
		log_warning("own oom_score_adj is %d, not -1000 (lower needs CAP_SYS_RESOURCE or "
			    "OOMScoreAdjust=-1000 in the unit): the kernel's OOM killer may kill "
			    "oomguardiand before the processes it guards",
			    best);
}

/* Room for the cgroup files a decision keeps open (src_cgkeep.h, 7 a group): the soft
 * RLIMIT_NOFILE raised towards the hard one (systemd's default soft limit is 1024), to at most
 * NOFILE_WANT. Failing that, fewer groups are kept. */
#define NOFILE_WANT 4096

static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= NOFILE_WANT)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > NOFILE_WANT ? NOFILE_WANT :
										   rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		log_debug("cannot raise RLIMIT_NOFILE to %llu: %m",
			  (unsigned long long)rl.rlim_cur);
}

static void lock_memory(void)
{
#ifdef MCL_ONFAULT
	/* ONFAULT: lock pages as they are touched instead of faulting in every mapping now
	 * (libsystemd, libnuma and libc map far more than we use). */
	if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) == 0)
		return;
	if (errno != EINVAL) {
		log_warning("mlockall: %m, continuing without locked memory");
		return;
	}
#endif
	if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
		log_warning("mlockall: %m, continuing without locked memory");
}

/*
 * No transparent huge pages for us: on a host with THP "always" (Debian's and RHEL's default)
 * a touched corner of a sparse preallocated table brought in a whole 2 MiB page, and
 * khugepaged collapsed more later, all of it locked with us (VM tier, 2026-12-03: 2,048 of
 * 7,720 kB resident were AnonHugePages; RSS grew during incidents). Called after the notifier
 * is forked: ExecAfterAction= commands do not inherit it.
 */
static void no_huge_pages(void)
{
	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) < 0)
		log_debug("PR_SET_THP_DISABLE: %m, transparent huge pages stay as the host has them");
}

static void log_own_rss(void)
{
	struct og_root root;
	struct og_proc p;

	if (log_get_max_level() < LOG_DEBUG || og_root_open(&root, "/") < 0)
		return;
	if (src_read_proc(&root, getpid(), &p) == 0) {
		char b[16];

		log_debug("own RSS %s (anon %llu KiB, file %llu KiB)",
			  og_format_bytes(b, sizeof(b),
					  p.rss_anon_bytes + p.rss_file_bytes + p.rss_shmem_bytes),
			  (unsigned long long)p.rss_anon_bytes / 1024,
			  (unsigned long long)p.rss_file_bytes / 1024);
	}
	og_root_close(&root);
}

static int load_config(const struct loop_opts *o, struct pol_rules *ret)
{
	struct cfg_diag diag;
	int r;

	cfg_diag_init(&diag);
	r = cfg_load(o->root_dir && strcmp(o->root_dir, "/") ? o->root_dir : NULL, o->config_path,
		     o->policy_dirs, ret, &diag);
	log_cfg_diag(&diag);
	cfg_diag_free(&diag);
	return r;
}

/* path below mount (a directory): the rest ("" for the mount itself, else "/..."), or NULL. */
static const char *under_mount(const char *path, const char *mount)
{
	size_t n = strlen(mount);

	if (n == 0 || strncmp(path, mount, n) != 0 || (path[n] && path[n] != '/'))
		return NULL;
	return path + n;
}

/*
 * Issue 10 item 11: "--scope /sys/fs/cgroup/memory/machine.slice" is what many admins type. A
 * path under the memory (v1) or cgroup2 mount of the root (as the running system names them,
 * or below --root DIR) is the cgroup path below that mount. Anything else is returned as
 * given. Returns scope or a static buffer.
 */
static const char *scope_from_fs_path(const char *root_dir, const char *scope, const char *what)
{
	static char buf[OG_CGROUP_PATH_MAX];
	struct og_cg_mounts m;
	struct og_root root;
	const char *rest = NULL;
	size_t rn;

	if (!og_startswith(scope, "/sys/") && !(root_dir && og_startswith(scope, root_dir)))
		return scope; /* not a file system path: spare the mount lookup */
	if (og_root_open(&root, root_dir) < 0)
		return scope;
	if (src_cgroup_detect(&root, &m) == 0) {
		const char *mounts[] = { m.memv1_path, m.v2_path };

		rn = root_dir && strcmp(root.path, "/") ? strlen(root.path) : 0;
		for (size_t i = 0; i < 2 && !rest; i++) {
			rest = under_mount(scope, mounts[i]);
			if (!rest && rn && strlen(mounts[i]) > rn)
				rest = under_mount(scope, mounts[i] + rn); /* the live name of it */
		}
		src_cgroup_mounts_close(&m);
	}
	og_root_close(&root);
	if (!rest)
		return scope;
	og_strscpy(buf, rest[0] ? rest : "/", sizeof(buf));
	log_notice("%s '%s' is a file system path: guarding cgroup '%s'", what, scope, buf);
	return strcmp(buf, "/") == 0 ? "" : buf;
}

/*
 * Whether path is, or can be made, a directory (mkdir -p): it is one, or the nearest part of it
 * that exists is one. 0, or -errno with the reason in why ("not a directory", "'/a' is not a
 * directory", strerror).
 */
static int check_dir_path(const char *path, char *why, size_t size)
{
	char p[PATH_MAX];
	struct stat st;

	if (og_strscpy(p, path, sizeof(p)) != strlen(path)) {
		snprintf(why, size, "path too long");
		return -ENAMETOOLONG;
	}
	for (;;) {
		char *slash;

		if (stat(p, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				return 0;
			if (strcmp(p, path) == 0)
				snprintf(why, size, "not a directory");
			else
				snprintf(why, size, "'%s' is not a directory", p);
			return -ENOTDIR;
		}
		if (errno != ENOENT && errno != ENOTDIR) {
			snprintf(why, size, "%s", strerror(errno));
			return -errno;
		}
		slash = strrchr(p, '/');
		if (!slash)
			return 0; /* relative, nothing of it exists: below the working directory */
		if (slash == p)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
}

/*
 * Issue 10 item 10: paths that cannot work are refused at start with the path and the reason
 * (they used to start "guarding" with 0 policies, or warn once per report). Command-line paths
 * are usage errors (64), ReportDirectory= a configuration error (78). Returns -1 to go on.
 */
static int check_paths(const struct loop_opts *o, const struct pol_rules *rules)
{
	char why[PATH_MAX + 64], dir[PATH_MAX];
	struct stat st;
	char *slash;

	if (o->report_dir && check_dir_path(o->report_dir, why, sizeof(why)) < 0) {
		fprintf(stderr, "oomguardiand: --report-dir '%s': %s\n", o->report_dir, why);
		return EX_USAGE;
	}
	if (!o->report_dir && rules->cfg.report_dir[0] &&
	    check_dir_path(rules->cfg.report_dir, why, sizeof(why)) < 0) {
		log_error("ReportDirectory= '%s': %s, not starting", rules->cfg.report_dir, why);
		return EX_CONFIG;
	}
	if (!o->state_file)
		return -1;
	if (stat(o->state_file, &st) == 0 && S_ISDIR(st.st_mode)) {
		fprintf(stderr, "oomguardiand: --state-file '%s': is a directory\n", o->state_file);
		return EX_USAGE;
	}
	og_strscpy(dir, o->state_file, sizeof(dir));
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (check_dir_path(dir, why, sizeof(why)) < 0) {
			fprintf(stderr, "oomguardiand: --state-file '%s': %s\n", o->state_file, why);
			return EX_USAGE;
		}
	}
	return -1;
}

/* Fill *o from argv. Returns -1 to go on, else the exit status (--help, --version, usage). */
static int parse_args(int argc, char **argv, struct loop_opts *o, const char **policy_dirs)
{
	enum { OPT_REPORT_DIR = 0x100, OPT_STATE_FILE };
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "policy-dir", required_argument, NULL, 'p' },
		{ "root", required_argument, NULL, 'r' },
		{ "scope", required_argument, NULL, 's' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "once", no_argument, NULL, '1' },
		{ "report-dir", required_argument, NULL, OPT_REPORT_DIR },
		{ "state-file", required_argument, NULL, OPT_STATE_FILE },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	size_t ndirs = 0;
	int c;

	while ((c = getopt_long(argc, argv, "c:p:r:s:n1dhV", options, NULL)) >= 0) {
		switch (c) {
		case 'c':
			o->config_path = optarg;
			break;
		case 'p':
			if (ndirs == POLICY_DIRS_MAX) {
				fprintf(stderr, "oomguardiand: at most %d --policy-dir\n",
					POLICY_DIRS_MAX);
				return EX_USAGE;
			}
			policy_dirs[ndirs++] = optarg;
			o->policy_dirs = policy_dirs;
			break;
		case 'r':
			o->root_dir = optarg;
			break;
		case 's':
			o->scope = optarg;
			break;
		case 'n':
			o->dry_run = true;
			break;
		case '1':
			o->once = true;
			break;
		case OPT_REPORT_DIR:
			o->report_dir = optarg;
			break;
		case OPT_STATE_FILE:
			o->state_file = optarg;
			break;
		case 'd':
			log_set_max_level(LOG_DEBUG);
			break;
		case 'h':
			help();
			return 0;
		case 'V':
			printf("oomguardiand %s\n", PACKAGE_VERSION); /* as oomguardianctl -V */
			return 0;
		default:
			fprintf(stderr, "Try 'oomguardiand --help'.\n");
			return EX_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "oomguardiand: unexpected argument '%s'\n", argv[optind]);
		return EX_USAGE;
	}
	if (o->root_dir) {
		char why[160];

		if (og_root_check(o->root_dir, 1, why, sizeof(why)) < 0) {
			fprintf(stderr, "oomguardiand: --root '%s': %s\n", o->root_dir, why);
			return EX_USAGE;
		}
	}
	if (o->scope && o->scope[0]) {
		/* the same rule as Scope= (issue 10 item 14: "/a/../b" was taken here only) */
		static char scope[OG_CGROUP_PATH_MAX];
		int r = cfg_scope_normalize(o->scope, scope, sizeof(scope));

		if (r < 0) {
			fprintf(stderr,
				"oomguardiand: --scope: expected a cgroup path like '/machine.slice' "
				"(absolute, no '.', '..' or empty components), got '%s'\n",
				o->scope);
			return EX_USAGE;
		}
		o->scope = scope_from_fs_path(o->root_dir, scope, "--scope");
	}
	return -1;
}

int main(int argc, char **argv)
{
	const char *policy_dirs[POLICY_DIRS_MAX + 1] = { NULL };
	struct loop_opts o = { 0 };
	struct pol_rules rules = { 0 };
	struct loop *l = NULL;
	int r;

	log_set_ident("oomguardiand");
	r = parse_args(argc, argv, &o, policy_dirs);
	if (r >= 0)
		return r;
	r = load_config(&o, &rules);
	if (r == -EINVAL) {
		log_error("invalid configuration, not starting");
		return EX_CONFIG;
	}
	if (r < 0) {
		(void)log_error_errno(r, "cannot load the configuration: %m");
		return 1;
	}
	if (!o.scope && rules.cfg.scope[0]) {
		/* Scope= may be a file system path too. Converted, it is passed like --scope (so
		 * a reload does not take it for a changed Scope=). */
		const char *s = scope_from_fs_path(o.root_dir, rules.cfg.scope, "Scope=");

		if (s != rules.cfg.scope)
			o.scope = s;
	}
	r = check_paths(&o, &rules);
	if (r >= 0) {
		pol_rules_free(&rules);
		return r;
	}
	/* ExecAfterAction=: the notifier is forked now, single-threaded and before mlockall. */
	r = o.once ? 0 : loop_hook_start(rules.cfg.exec_after_action,
					 rules.cfg.exec_after_action_timeout_usec);
	if (r < 0)
		(void)log_warning_errno(r, "cannot start ExecAfterAction: %m, continuing without");
	if (!o.once) {
		raise_fd_limit();
		no_huge_pages();
	}
	r = loop_new(&o, &rules, &l);
	if (r < 0) {
		(void)log_error_errno(r, "cannot set up: %m");
		return 1;
	}
	if (o.once) {
		r = loop_once(l, stdout);
		loop_free(l);
		return r < 0 ? 1 : 0;
	}
	r = loop_self_test(l);
	if (r < 0)
		(void)log_warning_errno(r, "self-test: %m, continuing");
	lock_memory();
	lower_own_oom_score_adj();
	log_own_rss();
	r = loop_run(l);
	loop_free(l);
	return r < 0 ? 1 : 0;
}
