/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Victim choice: which process (group, cgroup) to terminate or kill, and why. Pure.
 * The badness and the ranking are documented at the top of pol_victim.c.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/model.h"
#include "policy/plan.h"
#include "policy/engine/pol_match.h"
#include "policy/rules.h"

/* A victim already signalled (kept in struct pol_state): never chosen again while it lives. */
struct pol_victim_rec {
	struct pol_target target; /* pid + starttime_ticks, pgid or cgroup, per target.kind */
	enum pol_action_kind kind; /* POL_ACT_TERM or POL_ACT_KILL: the last signal sent */
	enum pol_stage stage;
	uint64_t signalled_at_usec; /* when the last signal was planned */
	uint64_t grace_usec; /* TERM: escalate to KILL after this */
	bool escalated; /* TERM was followed by KILL: never again */
	bool blocking; /* still blocks the next victim (until exit or kill_timeout) */
	char rule[POL_PATH_MAX + 32];
	char service[POL_NAME_MAX];
};

struct pol_victim_opts {
	pid_t self_pid; /* the daemon: never a candidate */
	const char *scope; /* cgroup path prefix; NULL, "" or "/" = whole machine */
	uint64_t needed_bytes; /* to free to leave the stage; 0 = unknown (avoid stays last) */
	const struct pol_victim_rec *inflight; /* victims already signalled, excluded */
	size_t ninflight;
	/* Is the instance (policy index, pol_service_key()) over its budget or pressure limit?
	 * NULL: nobody is. */
	bool (*is_over_budget)(const void *data, size_t svc_index, const char *key);
	const void *over_budget_data;
	const struct pol_service *only_svc; /* restrict to this service's processes; NULL = all */
	const char *only_key; /* and to this instance (pol_service_key()); NULL = all */
	/* restrict to processes confined to these NUMA nodes (og_proc.mems_mask set and within
	 * it: a kill frees memory there); 0 = all */
	uint64_t only_mems;
	uint64_t total_bytes; /* MemTotal or scope limit, to resolve MemoryBudget=N% */
	/* pol_policy_for() of every process, indexed like s->procs (a cache filled by the
	 * caller for this snapshot); NULL: computed here, which costs one match of every policy
	 * per process and member scanned. */
	const struct pol_proc_policy *policies;
	/* pol_cgroup_hash() of every process's cgroup, indexed like s->procs; NULL: compare the
	 * strings (slower for KillUnit=cgroup: every member is compared with every process). */
	const uint64_t *cgroup_hash;
};

/* FNV-1a of a cgroup path, for pol_victim_opts.cgroup_hash. */
uint64_t pol_cgroup_hash(const char *path);

/* "status", "statm", "smaps_rollup", "vmrss" or "none" (snapshot JSON, logs). */
const char *pol_rss_source_name(enum og_rss_source src);

/* How an estimate other than status was made, for a plan's reason; NULL for status/none. */
const char *pol_rss_source_text(enum og_rss_source src);

/* A kernel thread (PF_KTHREAD, or kthreadd itself): never signalled, never re-scored. */
bool pol_proc_kthread(const struct og_proc *p);

/*
 * Badness of one process alone: anon + swap (see pol_victim.c for why shmem and file pages are
 * not counted).
 */
uint64_t pol_proc_freeable(const struct og_proc *p);

/*
 * True if p may ever be signalled by oomguardian regardless of ranking: not PID 1 or 2, not a
 * kernel thread, not the daemon, not a zombie, not protected, KillPreference not never, inside
 * the scope, not in flight. pp is p's merged policy.
 */
bool pol_victim_eligible(const struct og_snapshot *s, const struct og_proc *p,
			 const struct pol_proc_policy *pp, const struct pol_victim_opts *o);

/* True if the cgroup path cg lies inside scope (prefix at a '/' boundary). */
bool pol_in_scope(const char *scope, const char *cg);

/*
 * Cgroup-first choice (issue 7): the groups inside the scope (not the scope itself) with
 * memory counters, ranked by memory.current - file (v1: usage_in_bytes - total_cache), largest
 * first. KillUnit=cgroup processes in them are not ranked one by one: pol_victims() looks
 * inside these groups only, best first. Groups past POL_CG_RANK_MAX are ranked per process.
 */
#define POL_CG_RANK_MAX 32
struct pol_cg_rank {
	size_t index; /* in s->cgroups */
	uint64_t hash; /* pol_cgroup_hash() of its path */
	uint64_t free_bytes; /* current - file */
	size_t first; /* pol_victims(): 1 + index of its first KillUnit=cgroup process, 0: none */
};

/* The best `max` groups of s inside scope into ret, best first; returns how many. O(ncgroups x
 * max). */
size_t pol_cgroups_rank(const struct og_snapshot *s, const char *scope, struct pol_cg_rank *ret,
			size_t max);

/*
 * Rank the candidates of snapshot s and write the best `max` of them, best first, into ret.
 * Returns how many were written (0: nobody may be killed). O(nprocs x group size).
 */
size_t pol_victims(const struct og_snapshot *s, const struct pol_rules *r,
		   const struct pol_victim_opts *o, struct pol_candidate *ret, size_t max);
