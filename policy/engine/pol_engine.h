/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The decision engine: (snapshot, rules, state, now) -> plan. Pure: no syscalls, clock, globals
 * or logging, and no allocation in pol_step(). The semantics are documented at the top of
 * pol_engine.c (the man page's "DECISIONS" section is written from it).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy/model.h"
#include "policy/plan.h"
#include "policy/engine/pol_match.h"
#include "policy/engine/pol_victim.h"
#include "policy/rules.h"

/*
 * Victims remembered (signalled, not yet gone). Only one blocks at a time; the rest are stuck
 * ones outliving KillTimeoutSec=. When all slots are taken the oldest stuck victim is forgotten
 * (it may then be chosen again: by then it has had a SIGKILL that did not work).
 */
#define POL_VICTIMS_MAX 64
#define POL_ORPHANS_MAX 16 /* throttled cgroups of services a reload removed */
#define POL_PROTECT_MAX 1024 /* oom_score_adj writes remembered, so a refusal is not retried */

/* One rung of the ladder. */
struct pol_stage_state {
	bool active; /* entered and not yet cleared (hysteresis) */
	uint64_t since_usec; /* when this episode began */
	uint64_t psi_some_above_since_usec; /* 0: avg10 not above the limit */
	uint64_t psi_full_above_since_usec;
	bool acted; /* the once-per-episode action of this stage was planned */
	bool no_victim_reported; /* "nobody may be killed" reported this episode */
	bool shmem_reported; /* "the memory is shmem a kill cannot free" reported this episode */
	uint64_t holdoff_until_usec; /* this rung and those below: no new action before this */
};

/* Per policy file (indexed like rules->services; remapped by name on reload). */
struct pol_svc_state {
	char name[POL_NAME_MAX];
};

/*
 * Per service instance: the processes of one policy file within one systemd unit (or, without
 * a unit, one cgroup: pol_service_key()). A policy matching several units ("Unit=devstack@*")
 * gives each its own MemoryBudget=, PressureLimit= and throttle, as a drop-in for a template
 * unit would. Only policies with a budget, a pressure limit or Throttle=yes get instances.
 */
#define POL_INSTANCES_MAX 256 /* more instances are not tracked (and not budgeted) */

struct pol_inst_state {
	size_t svc; /* index in rules->services */
	char svc_name[POL_NAME_MAX];
	char key[OG_CGROUP_PATH_MAX]; /* unit, else cgroup path */
	char cgroup[OG_CGROUP_PATH_MAX]; /* its own cgroup (unit cgroup), "" if none */
	bool seen; /* this step */
	uint64_t usage_bytes; /* anon + swap of its processes */
	uint32_t nprocs;
	size_t top_proc; /* this step: snapshot index of its largest process */
	bool over_budget;
	uint64_t over_since_usec;
	bool budget_acted; /* OnBudget= action planned for this over-budget episode */
	uint64_t psi_above_since_usec; /* PressureLimit=: 0 when not above */
	bool distressed; /* PressureLimit= held for its duration */
	bool psi_acted;
	bool throttled; /* memory.high planned and not lifted */
	bool throttle_by_budget; /* set by OnBudget=throttle: lifted when back under budget */
	uint64_t throttle_bytes;
	uint64_t throttle_prev_bytes; /* memory.high before our first write: restored on lift */
	uint64_t calm_since_usec; /* budget throttle: usage below budget - hysteresis since; 0 */
};

struct pol_protect_rec {
	pid_t pid;
	uint64_t starttime_ticks;
	int value;
};

/* One NUMA node's own episode: its available share against the ladder (pol_node.c). */
struct pol_node_state {
	enum pol_stage level; /* highest stage the node is in; NONE: not short */
	enum pol_stage reported; /* the highest stage this episode's REPORTs named */
	bool compacted; /* this episode's COMPACT of the node */
};

struct pol_state {
	struct pol_stage_state stage[POL_STAGE__MAX];
	enum pol_stage level; /* highest active stage */
	uint64_t holdoff_until_usec; /* the latest of the per-rung hold-offs (stage[]) */
	uint64_t last_action_usec;
	uint64_t slab_drop_usec; /* the last slab drop planned; 0: none yet */
	uint64_t slab_left_bytes; /* the reclaimable slab that drop left (pol_slab_track) */
	bool zone_compacted[OG_ZONES_MAX]; /* per node x zone kind, until the zone recovers */
	bool node_migrated[OG_NODES_MAX]; /* per node id, until it recovers */
	struct pol_node_state node[OG_NODES_MAX]; /* per node id: the per-node stage (pol_node.c) */
	size_t nvictims;
	struct pol_victim_rec victims[POL_VICTIMS_MAX];
	size_t nsvc;
	struct pol_svc_state *svc; /* allocated by pol_state_init/rebind only */
	size_t ninst;
	struct pol_inst_state *inst; /* POL_INSTANCES_MAX, allocated by pol_state_init only */
	size_t norphans; /* memory.high we set for services a reload removed: lifted next step */
	char orphan_cgroup[POL_ORPHANS_MAX][OG_CGROUP_PATH_MAX];
	size_t nprotect, protect_next; /* ring */
	struct pol_protect_rec protect[POL_PROTECT_MAX];
	size_t cap_policies; /* pol_state_reserve() */
	struct pol_proc_policy
		*policies; /* per process of the current snapshot, refilled by step */
	uint64_t *cgroup_hash; /* per process: pol_cgroup_hash(cgroup), refilled by step */
};

/* What the caller knows and the snapshot does not. */
struct pol_ctx {
	pid_t self_pid; /* the daemon itself: never a victim */
	uint64_t total_bytes; /* override of the scope's total (0: MemTotal or scope limit) */
};

/* Size the state for r. 0 or -ENOMEM. */
int pol_state_init(struct pol_state *st, const struct pol_rules *r);
void pol_state_free(struct pol_state *st);

/*
 * Reserve the per-step policy cache for snapshots of up to cap_procs processes (pass the
 * snapshot's cap_procs, at start-up). Without it, or for a larger snapshot, pol_step() matches
 * every policy against each process several times per step: correct, but ~50x slower at a few
 * thousand processes. 0 or -ENOMEM (the old cache is kept then).
 */
int pol_state_reserve(struct pol_state *st, size_t cap_procs);

/*
 * After a reload: resize per-service state for new_rules, carrying it over by service name
 * (services that disappeared lose theirs, new ones start clean; a memory.high we set for a
 * removed service is lifted at the next step). Victims in flight, hold-off, stage episodes and
 * protection bookkeeping are kept. 0 or -ENOMEM (st unchanged then).
 */
int pol_state_rebind(struct pol_state *st, const struct pol_rules *new_rules);

/*
 * One decision. Fills *ret_plan (always: on return it holds stage/avail/total even when there
 * is nothing to do) and returns the number of actions (>= 0); -EINVAL on bad arguments (NULL,
 * now_usec 0, or st not bound to r: call pol_state_rebind() after a reload), -ENODATA if the
 * snapshot has no memory total. s needs OG_SNAP_PROCS to choose or retire victims.
 */
int pol_step(const struct og_snapshot *s, const struct pol_rules *r, struct pol_state *st,
	     const struct pol_ctx *ctx, uint64_t now_usec, struct pol_plan *ret_plan);

/*
 * Would a step now decide anything on pressure? false while any stage is active or one of its
 * PSI timers runs, while psi's avg10 (some, full) is above a stage's PressureSomeAbove= /
 * PressureFullAbove=, or when a policy sets PressureLimit=; true otherwise: then pressure at
 * these figures starts no stage and no timer (memory is the caller's to look at: the loop
 * skips the snapshot of a PSI wake-up far from every memory threshold whose pressure is under
 * every limit). psi may be NULL (no PSI: nothing fires on pressure).
 */
bool pol_psi_quiet(const struct pol_rules *r, const struct pol_state *st, const struct og_psi *psi);

/*
 * Protection for one process (also for the daemon's exec-event path): if p's policy sets
 * OOMScoreAdjust= and p's oom_score_adj differs, write one POL_ACT_OOM_SCORE_ADJ to *ret and
 * return 1; else 0. st may be NULL; with st, a value already planned for this very process
 * (pid + starttime) is not planned again (the kernel may refuse to lower it without
 * CAP_SYS_RESOURCE; retrying every tick helps nobody) and the plan is recorded.
 */
size_t pol_protect_plan(const struct pol_rules *r, const struct og_proc *p, struct pol_state *st,
			struct pol_action *ret);

/* "path:line [Kill]" of a stage's threshold, for action->rule (also the loop's own SIGKILL of
 * a victim in its SIGTERM grace). */
void pol_stage_rule(const struct pol_config *cfg, enum pol_stage stage, char *buf, size_t size);

/* pol_node.c: the per-node stage (also for the loop, which polls nodes that are near). */
/* MemFree - reserve (high watermarks) + Inactive(file) + Active(file)/2 of the node, at most
 * its MemTotal. */
uint64_t pol_node_avail(const struct og_numa_node *n);
/* The highest stage whose MemoryAvailableBelow= percentage (+ margin) of the node's own size
 * its available share is below; NONE if none. */
enum pol_stage pol_node_stage(const struct pol_config *cfg, const struct og_numa_node *n,
			      uint64_t margin_pm);
/* Within a quarter of the highest threshold above it: worth a decision, and reading which
 * processes are confined to it. */
bool pol_node_near(const struct pol_config *cfg, const struct og_numa_node *n);
/* The node is in the terminate zone: its available share below the terminate rung's
 * MemoryAvailableBelow= (else the kill rung's) plus a quarter, as the machine's "hot". */
bool pol_node_hot(const struct pol_config *cfg, const struct og_numa_node *n);
/* The stage's MemoryAvailableBelow= percentage of the node's MemTotal, in bytes. */
uint64_t pol_node_threshold_bytes(const struct pol_config *cfg, enum pol_stage stage,
				  const struct og_numa_node *n);

/*
 * The sentences of a plan, from the figures pol_step() recorded (struct pol_why_data): the
 * step itself formats nothing on the terminate/kill path; the loop calls these after the
 * signal, before the report and log. Idempotent (a rendered action is POL_WHY_TEXT).
 */
void pol_action_explain(struct pol_action *a);
void pol_plan_explain(struct pol_plan *plan);
/* "MemAvailable 1.20% (98.0M) < 2.50% kill threshold" of c into buf; returns buf. */
const char *pol_cause_text(const struct pol_cause *c, char *buf, size_t size);

/* Stage name for reports: "none", "reclaim", "throttle", "terminate", "kill". */
const char *pol_stage_name(enum pol_stage stage);

/* Action kind name for reports: "report", "oom_score_adj", "drop_slab", ... */
const char *pol_action_name(enum pol_action_kind kind);
