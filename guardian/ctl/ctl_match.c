/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oomguardianctl match: for live processes, which policies match and why, whether they are
 * protected (and whether the kernel took the oom_score_adj), their budget, and their place in
 * the kill order right now: the answer to "why was X chosen, why not Y".
 *
 * It does what the daemon does on a step, read-only: load the configuration (cfg_load), take
 * one snapshot (processes, cgroups, xattr preferences), run one pol_step() for the budget
 * instances, and rank every candidate with pol_victims() as a kill would. Nothing is written.
 */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "guardian/base/log.h"
#include "guardian/ctl/ctl_match.h"
#include "guardian/sources/snapshot.h"
#include "guardian/sources/src_xattr.h"
#include "policy/config/cfg.h"
#include "policy/engine/pol_engine.h"
#include "policy/engine/pol_findings.h"
#include "policy/util/strutil.h"

#define MATCH_CAP_PROCS 32768 /* pid_max of a default kernel */
#define MATCH_CAP_CGROUPS 4096
#define MATCH_DIRS_MAX 8
#define MATCH_PIDS_MAX 256

struct match_opts {
	const char *root;
	const char *config;
	const char *dirs[MATCH_DIRS_MAX + 1];
	size_t ndirs;
	const char *scope;
	bool all;
	size_t npids;
	pid_t pids[MATCH_PIDS_MAX];
};

/* What one run found: the snapshot, the rules, the engine state and the ranking. */
struct match_run {
	struct og_collector col;
	struct og_snapshot snap;
	struct pol_rules rules;
	struct pol_state st;
	struct pol_plan plan;
	struct pol_candidate *cands;
	size_t ncands;
	bool col_open;
};

static const char *const pref_names[] = {"default", "prefer", "avoid", "never"};

static void usage(FILE *out)
{
	fputs("Usage: oomguardianctl match [OPTIONS] PID...\n"
	      "       oomguardianctl match [OPTIONS] --all\n"
	      "For live processes: which policies match and why, protection (and whether the\n"
	      "kernel took the oom_score_adj), budget, and the place in the kill order now.\n"
	      "  -a, --all              every process, one line each, in kill order\n"
	      "  -c, --config FILE      main configuration, as oomguardiand --config\n"
	      "  -p, --policy-dir DIR   policy directory, as oomguardiand --policy-dir\n"
	      "  -r, --root DIR         read /proc, /sys and the configuration below DIR\n"
	      "  -s, --scope CGROUP     rank as a daemon guarding only CGROUP would\n"
	      "  -h, --help             show this help\n"
	      "Exit status: 0, 1 if a PID is not found, 64 usage, 78 invalid configuration.\n",
	      out);
}

static int parse_args(int argc, char **argv, struct match_opts *o)
{
	static const struct option opts[] = {
		{"all", no_argument, NULL, 'a'},	{"config", required_argument, NULL, 'c'},
		{"policy-dir", required_argument, NULL, 'p'},
		{"root", required_argument, NULL, 'r'}, {"scope", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},	{NULL, 0, NULL, 0},
	};
	int c, v;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+ac:p:r:s:h", opts, NULL)) >= 0) {
		switch (c) {
		case 'a':
			o->all = true;
			break;
		case 'c':
			o->config = optarg;
			break;
		case 'p':
			if (o->ndirs == MATCH_DIRS_MAX) {
				fprintf(stderr, "oomguardianctl match: at most %d --policy-dir\n",
					MATCH_DIRS_MAX);
				return -EINVAL;
			}
			o->dirs[o->ndirs++] = optarg;
			break;
		case 'r':
			o->root = optarg;
			break;
		case 's':
			o->scope = optarg;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	for (int i = optind; i < argc; i++) {
		if (og_parse_int(argv[i], &v) < 0 || v <= 0) {
			fprintf(stderr, "oomguardianctl match: not a PID: '%s'\n", argv[i]);
			return -EINVAL;
		}
		if (o->npids == MATCH_PIDS_MAX) {
			fprintf(stderr, "oomguardianctl match: at most %d PIDs\n", MATCH_PIDS_MAX);
			return -EINVAL;
		}
		o->pids[o->npids++] = v;
	}
	if (o->all == (o->npids > 0)) {
		fprintf(stderr, "oomguardianctl match: give PIDs or --all\n");
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

/* ---------------------------------------------------------------- why a policy matched */

static void appendf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void appendf(char *buf, size_t size, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, size - n, fmt, ap);
	va_end(ap);
}

static const char *first_glob(const struct pol_strv *v, const char *s)
{
	for (size_t i = 0; s && s[0] && i < v->n; i++)
		if (v->v[i] && fnmatch(v->v[i], s, 0) == 0)
			return v->v[i];
	return NULL;
}

/* "Name=sshd Exe=/usr/sbin/sshd User=0": the value of each [Match] key that matched p. */
static void match_why(const struct pol_match *m, const struct og_proc *p, char *buf, size_t size)
{
	const char *g;

	buf[0] = '\0';
	if (m->all) {
		og_strscpy(buf, "All=yes", size);
		return;
	}
	if (m->name.n)
		appendf(buf, size, " Name=%s", p->comm);
	if ((g = first_glob(&m->exe, p->exe)))
		appendf(buf, size, " Exe=%s", g);
	if ((g = first_glob(&m->unit, p->unit)))
		appendf(buf, size, " Unit=%s (%s)", g, p->unit);
	if ((g = first_glob(&m->cgroup, p->cgroup)) || (g = first_glob(&m->cgroup, p->memcg_v1)))
		appendf(buf, size, " Cgroup=%s", g);
	for (size_t i = 0; m->cmdline && i < m->cmdline_src.n; i++)
		if (regexec(&m->cmdline[i], p->cmdline, 0, NULL, 0) == 0) {
			appendf(buf, size, " Cmdline=~%s", m->cmdline_src.v[i]);
			break;
		}
	if (m->nuids)
		appendf(buf, size, " User=%u", (unsigned)p->uid);
	if (m->no_children)
		appendf(buf, size, " Children=no (parent PID %d runs %s)", (int)p->ppid,
			p->parent_exe == OG_PARENT_UNKNOWN ? "nothing known"
							   : "another executable");
	memmove(buf, buf + (buf[0] == ' '), strlen(buf) + 1);
}

/* ---------------------------------------------------------------- budget and kill order */

static uint64_t svc_budget_bytes(const struct match_run *m, const struct pol_service *svc)
{
	uint64_t total = m->plan.total_bytes ? m->plan.total_bytes : m->snap.mem.total_bytes;

	if (svc->budget_bytes)
		return svc->budget_bytes;
	return svc->budget_permyriad ? total / 10000 * svc->budget_permyriad : 0;
}

static const struct pol_inst_state *inst_of(const struct match_run *m, size_t svc,
					    const char *key)
{
	for (size_t i = 0; i < m->st.ninst; i++)
		if (m->st.inst[i].svc == svc && strcmp(m->st.inst[i].key, key) == 0)
			return &m->st.inst[i];
	return NULL;
}

/* pol_victim_opts.is_over_budget over the instances one pol_step() filled. */
static bool over_budget(const void *data, size_t svc, const char *key)
{
	const struct pol_inst_state *in = inst_of(data, svc, key);

	return in && (in->over_budget || in->distressed);
}

/* Index in m->cands of the candidate that would take p (itself, its group or its cgroup). */
static size_t cand_of(const struct match_run *m, size_t i)
{
	const struct og_proc *p = &m->snap.procs[i];

	for (size_t k = 0; k < m->ncands; k++) {
		const struct pol_target *t = &m->cands[k].target;

		if (m->cands[k].proc_index == i ||
		    (t->kind == POL_TGT_PROCESS_GROUP && t->pgid == p->pgid) ||
		    (t->kind == POL_TGT_CGROUP && pol_in_scope(t->cgroup, p->cgroup)))
			return k;
	}
	return (size_t)-1;
}

/* Why p is no candidate at all, in words (pol_victim.c's rules, in its order). */
static const char *no_candidate_why(const struct match_run *m, const struct og_proc *p,
				    const struct pol_proc_policy *pp, char *buf, size_t size)
{
	if (p->pid <= 2)
		return p->pid == 1 ? "PID 1" : "PID 2 (kthreadd)";
	if (p->ppid == 2 || (!p->cmdline[0] && !p->exe[0]))
		return "a kernel thread";
	if (p->pid == getpid())
		return "this command";
	if (p->state == 'Z' || p->state == 'X')
		return "a zombie (already dead)";
	if (pp->protect) {
		snprintf(buf, size, "protected by %s", pp->protect_by->name);
		return buf;
	}
	if (pp->kill_pref == POL_KP_NEVER)
		return pp->pref_from_oomd ? "its unit says ManagedOOMPreference=omit"
					  : "its policy says KillPreference=never";
	if (p->oom_score_adj <= -1000)
		return "oom_score_adj is -1000 (the kernel is told never to kill it)";
	if (!pol_in_scope(m->snap.scope, p->cgroup) &&
	    !(p->memcg_v1[0] && pol_in_scope(m->snap.scope, p->memcg_v1)))
		return "outside the guarded scope";
	if (pol_proc_freeable(p) == 0)
		return "killing it would free nothing (no anonymous memory or swap)";
	return "not ranked";
}

static const char *tier_name(enum pol_tier t)
{
	switch (t) {
	case POL_TIER_PREFER:
		return "prefer";
	case POL_TIER_OVER_BUDGET:
		return "over budget";
	case POL_TIER_AVOID_NEEDED:
		return "avoid, needed";
	case POL_TIER_DEFAULT:
		return "default";
	case POL_TIER_AVOID:
		return "avoid";
	}
	return "?";
}

/* ---------------------------------------------------------------- output */

static void print_pref(const struct match_run *m, const struct og_proc *p,
		       const struct pol_proc_policy *pp)
{
	char from[OG_CGROUP_PATH_MAX + 64];
	uid_t scope_uid = 0;

	printf("  kill preference: %s", pref_names[pp->kill_pref]);
	if (pp->protect) {
		printf(" (protected)\n");
		return;
	}
	if (m->snap.scope[0])
		(void)src_xattr_cgroup_owner(m->col.mounts.v2_fd, m->snap.scope, &scope_uid);
	if (pp->pref_from_oomd) {
		(void)src_xattr_oomd_pref(m->col.mounts.v2_fd, p->cgroup, p->unit, scope_uid, from,
					  sizeof(from));
		printf(" (ManagedOOMPreference=%s of its unit: %s)\n",
		       p->oomd_pref == OG_OOMD_OMIT ? "omit" : "avoid", from);
		return;
	}
	if (pp->svc && pp->svc->kill_pref != POL_KP_DEFAULT)
		printf(" (KillPreference= of %s at %s:%u)", pp->svc->name, pp->svc->origin.path,
		       pp->svc->kill_pref_line);
	else if (p->oomd_pref != OG_OOMD_NONE)
		printf(" (its unit's ManagedOOMPreference=%s yields to %s)",
		       p->oomd_pref == OG_OOMD_OMIT ? "omit" : "avoid", pp->svc->name);
	printf("\n");
	/* an xattr the owner rule ignores: say so, or "why is my omit not honoured?" stays open */
	if (p->oomd_pref == OG_OOMD_NONE &&
	    src_xattr_oomd_ignored(m->col.mounts.v2_fd, p->cgroup, p->unit, scope_uid, from,
				   sizeof(from)))
		printf("  ignored: %s: a user's xattr counts only for a daemon guarding --scope "
		       "inside that user's own subtree\n",
		       from);
}

static void print_adj(const struct og_proc *p, const struct pol_proc_policy *pp)
{
	int want;

	if (!pp->oom_score_adj_by) {
		printf("  oom_score_adj: %d (no policy sets OOMScoreAdjust=)\n", p->oom_score_adj);
		return;
	}
	want = pp->oom_score_adj_by->oom_score_adj;
	if (p->pid == 1 && p->oom_score_adj != want)
		printf("  oom_score_adj: %d, left alone although %s says %d: the kernel never "
		       "kills PID 1, and the services it starts would inherit it\n",
		       p->oom_score_adj, pp->oom_score_adj_by->name, want);
	else if (p->oom_score_adj == want)
		printf("  oom_score_adj: %d, as %s wants (the kernel took it)\n", want,
		       pp->oom_score_adj_by->name);
	else
		printf("  oom_score_adj: %d, but %s wants %d: not taken%s\n", p->oom_score_adj,
		       pp->oom_score_adj_by->name, want,
		       want < p->oom_score_adj
			       ? " (is oomguardiand running? lowering needs CAP_SYS_RESOURCE)"
			       : " (is oomguardiand running?)");
}

static void print_budget(const struct match_run *m, const struct og_proc *p,
			 const struct pol_proc_policy *pp)
{
	const struct pol_inst_state *in;
	char b1[16], b2[16];
	uint64_t budget;

	if (!pp->svc || !(budget = svc_budget_bytes(m, pp->svc))) {
		printf("  budget: none\n");
		return;
	}
	in = inst_of(m, pol_service_index(&m->rules, pp->svc), pol_service_key(p));
	printf("  budget: %s for %s (MemoryBudget= of %s): uses %s in %u process%s, %s\n",
	       og_format_bytes(b1, sizeof(b1), budget), pol_service_key(p), pp->svc->name,
	       og_format_bytes(b2, sizeof(b2), in ? in->usage_bytes : 0), in ? in->nprocs : 0,
	       in && in->nprocs == 1 ? "" : "es",
	       in && in->over_budget ? "OVER its budget" : "within it");
}

static void print_order(const struct match_run *m, size_t i, const struct pol_proc_policy *pp)
{
	size_t k = cand_of(m, i);
	char why[POL_NAME_MAX + 32], b[16];
	const struct pol_candidate *c;

	if (k == (size_t)-1) {
		printf("  kill order: not a candidate: %s\n",
		       no_candidate_why(m, &m->snap.procs[i], pp, why, sizeof(why)));
		return;
	}
	c = &m->cands[k];
	printf("  kill order: %zu of %zu (tier %s, frees %s", k + 1, m->ncands, tier_name(c->tier),
	       og_format_bytes(b, sizeof(b), c->free_bytes));
	if (c->target.kind == POL_TGT_CGROUP)
		printf(", with its cgroup %s", c->target.cgroup);
	else if (c->target.kind == POL_TGT_PROCESS_GROUP)
		printf(", with its process group %d", (int)c->target.pgid);
	printf(")%s\n", k == 0 ? ": the next victim if memory ran short now" : "");
}

static void print_one(const struct match_run *m, size_t i)
{
	const struct og_proc *p = &m->snap.procs[i];
	const struct pol_rules *r = &m->rules;
	struct pol_proc_policy pp;
	char why[512];
	bool any = false;

	pol_policy_for(r, p, &pp);
	printf("pid %d (%s) uid %u, unit %s, cgroup %s\n", (int)p->pid, p->comm, (unsigned)p->uid,
	       p->unit[0] ? p->unit : "-", p->cgroup);
	printf("  exe %s\n", p->exe[0] ? p->exe : "(unreadable)");
	for (size_t j = 0; j < r->nservices; j++) {
		if (pol_match_keys(&r->services[j].match, p) &&
		    pol_match_is_child(&r->services[j].match, p)) {
			printf("  not matched by %s (%s): parent PID %d runs the same executable "
			       "'%s'; Children=no (the policy is for the outermost process)\n",
			       r->services[j].name, r->services[j].origin.path, (int)p->ppid,
			       p->exe);
			continue;
		}
		if (!pol_match_proc(&r->services[j].match, p))
			continue;
		match_why(&r->services[j].match, p, why, sizeof(why));
		printf("  matches %s (%s): %s\n", r->services[j].name, r->services[j].origin.path,
		       why);
		any = true;
	}
	if (!any)
		printf("  matches no policy\n");
	else
		printf("  in force: %s (the last match); protected: %s%s\n", pp.svc->name,
		       pp.protect ? "yes, by " : "no", pp.protect ? pp.protect_by->name : "");
	print_adj(p, &pp);
	print_pref(m, p, &pp);
	print_budget(m, p, &pp);
	print_order(m, i, &pp);
}

/* --all: one line per process, candidates in kill order first. */
static void print_all(const struct match_run *m)
{
	char b[16], why[POL_NAME_MAX + 32];

	printf("%-6s %7s %-15s %-22s %-9s %-7s %s\n", "ORDER", "PID", "COMM", "POLICY", "PROTECT",
	       "PREF", "FREES / WHY NOT");
	for (size_t k = 0; k < m->ncands; k++) {
		const struct pol_candidate *c = &m->cands[k];
		const struct og_proc *p = &m->snap.procs[c->proc_index];

		printf("%-6zu %7d %-15.15s %-22.22s %-9s %-7s %s %s\n", k + 1, (int)p->pid, p->comm,
		       c->service[0] ? c->service : "-", "no", pref_names[c->pref],
		       og_format_bytes(b, sizeof(b), c->free_bytes), tier_name(c->tier));
	}
	for (size_t i = 0; i < m->snap.nprocs; i++) {
		const struct og_proc *p = &m->snap.procs[i];
		struct pol_proc_policy pp;

		if (cand_of(m, i) != (size_t)-1)
			continue;
		pol_policy_for(&m->rules, p, &pp);
		printf("%-6s %7d %-15.15s %-22.22s %-9s %-7s %s\n", "-", (int)p->pid, p->comm,
		       pp.svc ? pp.svc->name : "-", pp.protect ? "yes" : "no",
		       pref_names[pp.kill_pref], no_candidate_why(m, p, &pp, why, sizeof(why)));
	}
}

/* ---------------------------------------------------------------- the run */

static int run_take(struct match_run *m, const struct match_opts *o)
{
	struct pol_victim_opts vo = {0};
	struct pol_ctx ctx = {.self_pid = getpid()};
	struct timespec ts;
	uint64_t now;
	int r;

	r = og_collector_open(&m->col, o->root);
	if (r < 0)
		return log_error_errno(r, "cannot open root '%s': %m", o->root ? o->root : "/");
	m->col_open = true;
	r = og_snapshot_alloc(&m->snap, MATCH_CAP_PROCS, MATCH_CAP_CGROUPS, 1);
	if (r < 0)
		return log_error_errno(r, "cannot allocate the snapshot: %m");
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000 + 1;
	r = og_snapshot_take(&m->col, OG_SNAP_MEM | OG_SNAP_PSI | OG_SNAP_PROCS | OG_SNAP_CGROUPS,
			     o->scope ? o->scope : m->rules.cfg.scope, now, &m->snap);
	if (r < 0)
		return log_error_errno(r, "cannot read '%s/proc/meminfo': %m", m->col.root.path);
	/* One step for the budget instances; its plan is not carried out. */
	r = pol_state_init(&m->st, &m->rules);
	if (r >= 0)
		r = pol_state_reserve(&m->st, m->snap.nprocs);
	if (r >= 0)
		r = pol_step(&m->snap, &m->rules, &m->st, &ctx, now, &m->plan);
	if (r < 0)
		return log_error_errno(r, "cannot evaluate the policies: %m");
	pol_plan_explain(&m->plan);
	m->cands = calloc(m->snap.nprocs ? m->snap.nprocs : 1, sizeof(*m->cands));
	if (!m->cands)
		return log_error_errno(-ENOMEM, "cannot rank: %m");
	vo.self_pid = ctx.self_pid;
	vo.scope = m->snap.scope;
	vo.is_over_budget = over_budget;
	vo.over_budget_data = m;
	vo.total_bytes = m->plan.total_bytes;
	vo.policies = m->st.policies;
	vo.cgroup_hash = m->st.cgroup_hash;
	m->ncands = pol_victims(&m->snap, &m->rules, &vo, m->cands, m->snap.nprocs);
	return 0;
}

int ctl_match_main(int argc, char **argv)
{
	struct match_opts o = {0};
	struct match_run m = {0};
	struct cfg_diag diag;
	int r = parse_args(argc, argv, &o), status = 0;

	if (r != 0)
		return r > 0 ? EXIT_SUCCESS : EX_USAGE;
	cfg_diag_init(&diag);
	r = cfg_load(o.root, o.config, o.ndirs ? o.dirs : NULL, &m.rules, &diag);
	cfg_diag_print(&diag, stderr);
	cfg_diag_free(&diag);
	if (r < 0) {
		fprintf(stderr, "oomguardianctl match: configuration invalid (see "
				"'oomguardianctl check')\n");
		return EX_CONFIG;
	}
	r = run_take(&m, &o);
	if (r < 0) {
		status = EXIT_FAILURE;
		goto out;
	}
	printf("# %zu processes, %zu kill candidates%s%s, stage %s, available %s of %s\n",
	       m.snap.nprocs, m.ncands, m.snap.scope[0] ? " in " : "", m.snap.scope,
	       pol_stage_name(m.plan.stage), og_format_bytes((char[16]){0}, 16, m.plan.avail_bytes),
	       og_format_bytes((char[16]){0}, 16, m.plan.total_bytes));
	if (o.all)
		print_all(&m);
	for (size_t j = 0; j < o.npids; j++) {
		size_t i;

		for (i = 0; i < m.snap.nprocs && m.snap.procs[i].pid != o.pids[j]; i++)
			;
		if (i == m.snap.nprocs) {
			fprintf(stderr, "oomguardianctl match: no process %d\n", (int)o.pids[j]);
			status = EXIT_FAILURE;
			continue;
		}
		print_one(&m, i);
	}
out:
	free(m.cands);
	pol_state_free(&m.st);
	og_snapshot_free(&m.snap);
	if (m.col_open)
		og_collector_close(&m.col);
	pol_rules_free(&m.rules);
	return status;
}
