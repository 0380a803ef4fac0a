/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Builders for the engine's tests: synthetic snapshots (struct og_snapshot with static tables)
 * and rules (struct pol_rules built in C, no policy files), and a driver that steps the engine
 * through time. Header-only so each test stays one program; every test process (CK_FORK) starts
 * from tb_machine() and tb_rules_init().
 */
#pragma once

#include <check.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/engine/pol_engine.h"
#include "policy/engine/pol_match.h"
#include "policy/engine/pol_victim.h"
#include "policy/util/strutil.h"

#define MiB (1024ULL * 1024)
#define GiB (1024ULL * MiB)
#define SEC 1000000ULL

#define TB_PROCS 256
#define TB_CGROUPS 32
#define TB_SLABS 8
#define TB_SERVICES 16
#define TB_REGEX_MAX 4

static struct og_snapshot tb_s;
static struct og_proc tb_procs[TB_PROCS];
static struct og_cgroup tb_cgs[TB_CGROUPS];
static struct og_slab tb_slabs[TB_SLABS];
static struct pol_rules tb_r;
static struct pol_service tb_svcs[TB_SERVICES];
static struct pol_state tb_st;
static struct pol_plan tb_plan;
static struct pol_ctx tb_ctx;

/* ------------------------------------------------------------------ snapshots */

/* A healthy machine: total bytes, avail bytes free, no swap, PSI readable and quiet. */
static inline struct og_snapshot *tb_machine(uint64_t total, uint64_t avail)
{
	memset(&tb_s, 0, sizeof(tb_s));
	memset(tb_procs, 0, sizeof(tb_procs));
	memset(tb_cgs, 0, sizeof(tb_cgs));
	memset(tb_slabs, 0, sizeof(tb_slabs));
	tb_s.page_size = 4096;
	tb_s.mem.has = OG_MI_TOTAL | OG_MI_FREE | OG_MI_AVAILABLE | OG_MI_SWAP_TOTAL |
		       OG_MI_SWAP_FREE | OG_MI_SLAB | OG_MI_SRECLAIMABLE | OG_MI_SUNRECLAIM;
	tb_s.mem.total_bytes = total;
	tb_s.mem.available_bytes = avail;
	tb_s.mem.free_bytes = avail / 2;
	tb_s.mem.sreclaimable_bytes = total / 100;
	tb_s.mem.slab_bytes = total / 50;
	tb_s.psi.available = true;
	tb_s.psi.memory.has_some = true;
	tb_s.psi.memory.has_full = true;
	tb_s.procs = tb_procs;
	tb_s.cap_procs = TB_PROCS;
	tb_s.cgroups = tb_cgs;
	tb_s.cap_cgroups = TB_CGROUPS;
	tb_s.slabs = tb_slabs;
	tb_s.cap_slabs = TB_SLABS;
	memset(&tb_ctx, 0, sizeof(tb_ctx));
	tb_ctx.self_pid = 999;
	return &tb_s;
}

/* Set available memory to permyriad of total. */
static inline void tb_avail_pm(uint64_t permyriad)
{
	tb_s.mem.available_bytes = tb_s.mem.total_bytes / 10000 * permyriad;
}

static inline void tb_unit_from_cgroup(struct og_proc *p)
{
	const char *last = strrchr(p->cgroup, '/');

	p->unit[0] = '\0';
	if (last && strstr(last, ".service"))
		og_strscpy(p->unit, last + 1, sizeof(p->unit));
}

/* A user process: ppid 1, its own process group, uid 0, sleeping, cmdline = comm. */
static inline struct og_proc *tb_proc(pid_t pid, const char *comm, const char *cgroup,
				      uint64_t anon)
{
	struct og_proc *p;

	ck_assert_uint_lt(tb_s.nprocs, TB_PROCS);
	p = &tb_procs[tb_s.nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->ppid = 1;
	p->pgid = pid;
	p->state = 'S';
	p->starttime_ticks = 1000 + (uint64_t)pid;
	og_strscpy(p->comm, comm, sizeof(p->comm));
	snprintf(p->cmdline, sizeof(p->cmdline), "/usr/bin/%s", comm);
	snprintf(p->exe, sizeof(p->exe), "/usr/bin/%s", comm);
	og_strscpy(p->cgroup, cgroup, sizeof(p->cgroup));
	tb_unit_from_cgroup(p);
	p->rss_anon_bytes = anon;
	p->rss_file_bytes = anon / 8;
	p->oom_score = (int)(anon / MiB);
	return p;
}

static inline struct og_proc *tb_find_proc(pid_t pid)
{
	for (size_t i = 0; i < tb_s.nprocs; i++)
		if (tb_procs[i].pid == pid)
			return &tb_procs[i];
	return NULL;
}

/* The process exits (removed from the table). */
static inline void tb_exit(pid_t pid)
{
	for (size_t i = 0; i < tb_s.nprocs; i++) {
		if (tb_procs[i].pid != pid)
			continue;
		memmove(&tb_procs[i], &tb_procs[i + 1],
			(tb_s.nprocs - i - 1) * sizeof(tb_procs[0]));
		tb_s.nprocs--;
		return;
	}
}

static inline struct og_cgroup *tb_cgroup(const char *path, uint64_t current, uint64_t max)
{
	struct og_cgroup *c;

	ck_assert_uint_lt(tb_s.ncgroups, TB_CGROUPS);
	c = &tb_cgs[tb_s.ncgroups++];
	memset(c, 0, sizeof(*c));
	og_strscpy(c->path, path, sizeof(c->path));
	c->layout = OG_CG_V2;
	c->has_memory = true;
	c->current_bytes = current;
	c->max_bytes = max;
	c->high_bytes = OG_UNLIMITED;
	c->populated = true;
	return c;
}

static inline struct og_slab *tb_slab(const char *name, uint64_t bytes, bool reclaimable)
{
	struct og_slab *sl;

	ck_assert_uint_lt(tb_s.nslabs, TB_SLABS);
	sl = &tb_slabs[tb_s.nslabs++];
	og_strscpy(sl->name, name, sizeof(sl->name));
	sl->total_bytes = bytes;
	sl->reclaimable = reclaimable;
	sl->has_reclaim_flag = true;
	return sl;
}

/* ------------------------------------------------------------------ rules */

static inline void tb_strv_push(struct pol_strv *v, const char *s)
{
	v->v = realloc(v->v, (v->n + 1) * sizeof(*v->v));
	ck_assert_ptr_nonnull(v->v);
	v->v[v->n] = strdup(s);
	ck_assert_ptr_nonnull(v->v[v->n]);
	v->n++;
}

static inline void tb_strv_free(struct pol_strv *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

/* The test ladder: reclaim 15%, throttle 10%, terminate 5%, kill 2.5% of MemAvailable,
 * hold-off 5 s, kill timeout 10 s, default grace 5 s, hysteresis 2%. */
static inline struct pol_rules *tb_rules_init(void)
{
	struct pol_config *c = &tb_r.cfg;

	memset(&tb_r, 0, sizeof(tb_r));
	memset(tb_svcs, 0, sizeof(tb_svcs));
	tb_r.services = tb_svcs;
	c->stage[POL_STAGE_RECLAIM].mem_avail_permyriad = 1500;
	c->stage[POL_STAGE_THROTTLE].mem_avail_permyriad = 1000;
	c->stage[POL_STAGE_TERMINATE].mem_avail_permyriad = 500;
	c->stage[POL_STAGE_KILL].mem_avail_permyriad = 250;
	for (int i = POL_STAGE_RECLAIM; i < POL_STAGE__MAX; i++) {
		og_strscpy(c->stage[i].origin.path, "/etc/oomguardian/oomguardian.conf",
			   sizeof(c->stage[i].origin.path));
		c->stage[i].origin.line = 10 + (unsigned)i;
	}
	c->holdoff_usec = 5 * SEC;
	c->kill_timeout_usec = 10 * SEC;
	c->default_term_grace_usec = 5 * SEC;
	c->hysteresis_permyriad = 200;
	return &tb_r;
}

/* Append a policy "policy.d/<name>.policy" with the defaults (grace 5 s). */
static inline struct pol_service *tb_service(const char *name)
{
	struct pol_service *svc;

	ck_assert_uint_lt(tb_r.nservices, TB_SERVICES);
	svc = &tb_svcs[tb_r.nservices++];
	memset(svc, 0, sizeof(*svc));
	og_strscpy(svc->name, name, sizeof(svc->name));
	snprintf(svc->origin.path, sizeof(svc->origin.path), "/etc/oomguardian/policy.d/%s.policy",
		 name);
	svc->term_grace_usec = 5 * SEC;
	return svc;
}

/* tb_service(name) matching processes named comm (Name=comm). */
static inline struct pol_service *tb_service_name(const char *name, const char *comm)
{
	struct pol_service *svc = tb_service(name);

	tb_strv_push(&svc->match.name, comm);
	return svc;
}

static inline void tb_match_cmdline(struct pol_service *svc, const char *ere)
{
	struct pol_match *m = &svc->match;

	if (!m->cmdline) {
		m->cmdline = calloc(TB_REGEX_MAX, sizeof(regex_t));
		ck_assert_ptr_nonnull(m->cmdline);
	}
	ck_assert_uint_lt(m->cmdline_src.n, TB_REGEX_MAX);
	ck_assert_int_eq(regcomp(&m->cmdline[m->cmdline_src.n], ere, REG_EXTENDED | REG_NOSUB), 0);
	tb_strv_push(&m->cmdline_src, ere);
}

static inline void tb_match_uid(struct pol_service *svc, uid_t uid)
{
	struct pol_match *m = &svc->match;

	m->uids = realloc(m->uids, (m->nuids + 1) * sizeof(*m->uids));
	ck_assert_ptr_nonnull(m->uids);
	m->uids[m->nuids++] = uid;
}

static inline void tb_rules_free(void)
{
	for (size_t i = 0; i < tb_r.nservices; i++) {
		struct pol_match *m = &tb_svcs[i].match;

		for (size_t j = 0; m->cmdline && j < m->cmdline_src.n; j++)
			regfree(&m->cmdline[j]);
		free(m->cmdline);
		m->cmdline = NULL;
		tb_strv_free(&m->name);
		tb_strv_free(&m->exe);
		tb_strv_free(&m->unit);
		tb_strv_free(&m->cgroup);
		tb_strv_free(&m->cmdline_src);
		free(m->uids);
		m->uids = NULL;
		m->nuids = 0;
	}
	tb_r.nservices = 0;
}

/* ------------------------------------------------------------------ driving the engine */

/* Reserve the per-step policy cache (the daemon's way) or not (the fallback path). */
static bool tb_cached = true;

/* Start (or start again) the engine: a state from an earlier start is freed first. */
static inline void tb_engine_start(void)
{
	pol_state_free(&tb_st);
	ck_assert_int_eq(pol_state_init(&tb_st, &tb_r), 0);
	if (tb_cached)
		ck_assert_int_eq(pol_state_reserve(&tb_st, TB_PROCS), 0);
}

/* One step at t microseconds (t > 0); returns the number of actions. */
static inline int tb_step_usec(uint64_t t_usec)
{
	int n;

	tb_s.now_usec = t_usec;
	n = pol_step(&tb_s, &tb_r, &tb_st, &tb_ctx, t_usec, &tb_plan);
	ck_assert_int_ge(n, 0);
	ck_assert_int_eq((int)tb_plan.n, n);
	pol_plan_explain(&tb_plan); /* as the loop does after the signal */
	return n;
}

/* One step at t seconds (t > 0); returns the number of actions. */
static inline int tb_step(uint64_t t_sec)
{
	return tb_step_usec(t_sec * SEC);
}

/* The first action of kind in the last plan (any target), or NULL. */
static inline const struct pol_action *tb_act(enum pol_action_kind kind)
{
	for (size_t i = 0; i < tb_plan.n; i++)
		if (tb_plan.actions[i].kind == kind)
			return &tb_plan.actions[i];
	return NULL;
}

static inline size_t tb_count(enum pol_action_kind kind)
{
	size_t n = 0;

	for (size_t i = 0; i < tb_plan.n; i++)
		n += tb_plan.actions[i].kind == kind;
	return n;
}

/* Number of TERM + KILL actions in the last plan. */
static inline size_t tb_signals(void)
{
	return tb_count(POL_ACT_TERM) + tb_count(POL_ACT_KILL);
}

/* The signal (TERM or KILL) sent to pid in the last plan, or NULL. */
static inline const struct pol_action *tb_signal_to(pid_t pid)
{
	for (size_t i = 0; i < tb_plan.n; i++) {
		const struct pol_action *a = &tb_plan.actions[i];

		if ((a->kind == POL_ACT_TERM || a->kind == POL_ACT_KILL) && a->target.pid == pid)
			return a;
	}
	return NULL;
}

/* Print the last plan (on failure, `CK_FORK=no` runs show it). */
static inline void tb_dump(const char *label)
{
	if (!getenv("TB_VERBOSE"))
		return;
	fprintf(stderr, "-- %s: stage %s, %zu actions\n", label, pol_stage_name(tb_plan.stage),
		tb_plan.n);
	for (size_t i = 0; i < tb_plan.n; i++)
		fprintf(stderr, "   %s pid %d cg '%s' [%s] %s\n",
			pol_action_name(tb_plan.actions[i].kind),
			(int)tb_plan.actions[i].target.pid, tb_plan.actions[i].target.cgroup,
			tb_plan.actions[i].rule, tb_plan.actions[i].reason);
}
