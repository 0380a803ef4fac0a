/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internal to the decision engine (pol_engine.c, pol_plan.c, pol_service.c, pol_reclaim.c):
 * what one step measured, and the helpers the modules share. Not for guardian/.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/engine/pol_engine.h"

#define PERMYRIAD 10000u

/* The guarded scope as this step sees it (see SCOPE in pol_engine.c). */
struct pol_measure {
	uint64_t avail, total;
	uint64_t swap_total, swap_free;
	const struct og_psi *psi; /* NULL: no PSI */
	const char *scope; /* "" = machine */
	bool scoped_limit; /* total/avail come from the scope cgroup's limit */
	const char *avail_name; /* "MemAvailable" or "scope available" */
	const struct pol_proc_policy *policies; /* per process this step; NULL: compute */
	const uint64_t *cgroup_hash; /* per process this step; NULL: compare strings */
};

/* What made a stage fire, for the action's metric/measured/limit and its reason. */
struct pol_trigger {
	bool fired; /* described: the stage fires, or is held by hysteresis (held) */
	bool held; /* memory is between the threshold and threshold + hysteresis only */
	bool on_memory; /* fired on memory (not PSI, not held): MemAvailable does not lag */
	char metric[32];
	uint64_t measured, limit;
	struct pol_cause cause; /* figures of "MemAvailable 1.20% (98.0M) < 2.50%": pol_cause_text() */
};

/* Why a victim is signalled (passed to pol_plan_signal()). */
struct pol_why {
	enum pol_stage stage;
	const char *rule;
	const char *metric;
	uint64_t measured, limit;
	const struct pol_cause *cause; /* the stage's trigger, or a service's own limit */
	const char *key; /* BUDGET, PRESSURE_LIMIT causes: the instance (pol_service_key()) */
};

/* pol_service.c */
/* The sentence of a BUDGET or PRESSURE_LIMIT cause of service svc's instance key into buf
 * ("service 60-web (web.service) uses 1.2G ... > MemoryBudget 1.0G, OnBudget=kill"); buf. */
const char *pol_service_cause_text(const struct pol_cause *c, const char *svc, const char *key,
				   char *buf, size_t size);

/* pol_node.c */
/* The sentence of a NODE cause ("node 1 4.37% available (28.0M, free 9.0M) of 640M < 5.00%
 * terminate threshold, machine 42.30% available (per-node: memory policy/cpuset)"); buf. */
const char *pol_node_cause_text(const struct pol_cause *c, char *buf, size_t size);

/* pol_plan.c */
/* Append to a NUL-terminated buffer, truncating silently. */
void pol_appendf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The trigger's sentence into buf (fallback when nothing fired); returns buf. */
const char *pol_trigger_text(const struct pol_trigger *tr, const char *fallback, char *buf,
			     size_t size);
/* snprintf that never warns about truncation: a cut reason is better than none. */
void pol_fmtbuf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "12.34%" from permyriad. */
char *pol_fmt_pct(char *buf, size_t size, uint64_t permyriad);
/* part / whole in permyriad, at most 10000 (10000 for whole 0); no overflow. */
uint64_t pol_share_permyriad(uint64_t part, uint64_t whole);
/* permyriad of whole, without overflow. */
uint64_t pol_of_permyriad(uint64_t whole, uint64_t permyriad);
/* a - b, or 0. */
uint64_t pol_sat_sub(uint64_t a, uint64_t b);
/* Append a zeroed action (target SYSTEM, nodes -1); NULL when the plan is full. */
struct pol_action *pol_plan_add(struct pol_plan *plan, enum pol_action_kind kind,
				enum pol_stage stage);
/* True for actions that change the kernel (all but REPORT, OOM_SCORE_ADJ): hold-off. */
bool pol_disruptive(enum pol_action_kind kind);
/* memory.reclaim can work on cgroup path (or the scope's, "" or NULL): not the v1 layout. */
bool pol_can_reclaim_cgroup(const struct og_snapshot *s, const char *path);
/* Available/total/PSI of the guarded scope (see SCOPE in pol_engine.c). */
void pol_measure(const struct og_snapshot *s, const struct pol_rules *r, const struct pol_ctx *ctx,
		 struct pol_measure *m);
/* The merged policy of s->procs[i]: from the step's cache, else computed. */
void pol_policy_of(const struct pol_measure *m, const struct og_snapshot *s,
		   const struct pol_rules *r, size_t i, struct pol_proc_policy *ret);
/* Zombie or dead: its memory is gone or goes with the reaping. */
bool pol_proc_dead(const struct og_proc *p);
/* Plan TERM (grace > 0 and !kill_now) or KILL for the best candidate, remember it. */
void pol_plan_signal(struct pol_plan *plan, struct pol_state *st, const struct pol_rules *r,
		     const struct og_snapshot *s, const struct pol_measure *m,
		     const struct pol_candidate *c, bool kill_now, uint64_t needed,
		     const struct pol_why *w, uint64_t now);
/* Copy the best POL_TOP_MAX candidates into plan->top. */
void pol_copy_top(struct pol_plan *plan, const struct pol_candidate *top, size_t n);
/* Victim options from the state: self, scope, victims in flight, over-budget flags. */
void pol_fill_opts(const struct og_snapshot *s, const struct pol_state *st,
		   const struct pol_ctx *ctx, const struct pol_measure *m,
		   struct pol_victim_opts *o);

/* pol_service.c: pol_protect_plan() with the policy already known. */
size_t pol_protect_with(const struct og_proc *p, const struct pol_proc_policy *pp,
			struct pol_state *st, struct pol_action *ret);

/* pol_engine.c */
/* avg10 of the full or some line, 0 if absent (no PSI never fires). */
uint32_t pol_psi_avg10(const struct og_psi *psi, bool full);
/* Update an "above since" timer; true if the limit has held for its duration. */
bool pol_psi_timer(const struct pol_psi_limit *lim, const struct og_psi *psi, uint64_t now,
		   uint64_t *since);
/* Bytes to free to bring available above the stage's thresholds plus hysteresis; 0: unknown. */
uint64_t pol_needed_bytes(const struct pol_rules *r, const struct pol_measure *m,
			  enum pol_stage stage);

/* pol_service.c */
/* pol_victim_opts.is_over_budget for a struct pol_state: over budget or pressure limit. */
bool pol_inst_over_budget(const void *state, size_t svc_index, const char *key);
/* Per-instance usage, largest process, own cgroup, budget and PressureLimit= episodes. */
void pol_services_update(const struct og_snapshot *s, const struct pol_rules *r,
			 const struct pol_measure *m, struct pol_state *st, uint64_t now);
/* OnBudget= and PressureLimit= actions; true if a victim was signalled. */
bool pol_plan_services(const struct og_snapshot *s, const struct pol_rules *r, struct pol_state *st,
		       const struct pol_ctx *ctx, const struct pol_measure *m, bool may_kill,
		       uint64_t now, struct pol_plan *plan);
/* memory.high back to its value before the throttle: stage throttles once the stage cleared,
 * budget throttles once calm for HoldOffSec=; max for orphans. */
void pol_lift_throttles(const struct og_snapshot *s, struct pol_state *st,
			const struct pol_rules *r, enum pol_stage level, uint64_t now,
			struct pol_plan *plan);
/* The scope's memory PSI minus that of the cgroups whose memory.high OnBudget=throttle
 * lowered: such a throttle makes its own group stall (that is what it is for), which must not
 * climb the ladder (a stage throttle's stalls still count: the ladder must be able to go on).
 * true (and *ret set) when a throttled group's PSI was taken out. */
bool pol_psi_without_throttled(const struct og_snapshot *s, const struct pol_state *st,
			       const struct og_psi *psi, struct og_psi *ret);
/* memory.high on one Throttle=yes service (over budget first, then largest). */
void pol_plan_throttle(const struct og_snapshot *s, const struct pol_rules *r, struct pol_state *st,
		       const struct pol_measure *m, const struct pol_trigger *tr,
		       struct pol_plan *plan);
/* OOM_SCORE_ADJ for the processes in scope whose value differs, in the plan space left. */
void pol_plan_protection(const struct og_snapshot *s, const struct pol_rules *r,
			 struct pol_state *st, const struct pol_measure *m, struct pol_plan *plan);

/* pol_shmem.c */
/* Killing a victim that frees `frees` cannot relieve the shortfall `needed`: shmem (tmpfs
 * files no kill frees) is a quarter of the used memory or more, and the victim frees less
 * than the shortfall or less than a quarter of the shmem. */
bool pol_shmem_futile(const struct og_snapshot *s, const struct pol_measure *m, uint64_t needed,
		      uint64_t frees);
/* "3.00% available: 1.0G of used memory is shmem in tmpfs '/run/fill' 1.0G, charged to
 * '/system.slice/fill.service' (a kill cannot free it ...); best victim 40.0M, need 60.0M" */
void pol_shmem_text(const struct og_snapshot *s, const struct pol_measure *m, uint64_t needed,
		    uint64_t frees, char *buf, size_t size);

/* pol_reclaim.c */
/* Every step: the least slab seen after a drop, what it could not free (st->slab_left_bytes). */
void pol_slab_track(const struct og_snapshot *s, struct pol_state *st, const struct pol_measure *m);
/* DROP_SLAB (RECLAIM_CGROUP in a cgroup2 scope) when the droppable reclaimable slab is above
 * 20% of total, or a third of what is still available (and 3% of total); one a minute at most. */
bool pol_plan_slab(const struct og_snapshot *s, const struct pol_rules *r, struct pol_state *st,
		   const struct pol_measure *m, enum pol_stage level, const struct pol_trigger *tr,
		   uint64_t now_usec, struct pol_plan *plan);
/* Once per reclaim episode: REPORT (machine, v1 scope) or RECLAIM_CGROUP of the need. */
void pol_plan_reclaim_report(const struct og_snapshot *s, const struct pol_rules *r,
			     struct pol_state *st, const struct pol_measure *m,
			     const struct pol_trigger *tr, struct pol_plan *plan);
/* COMPACT the node of a fragmented zone (no order >= 2 block), once until it recovers. */
void pol_plan_compact(const struct og_snapshot *s, const struct pol_rules *r,
		      const struct pol_measure *m, struct pol_state *st, bool allowed,
		      struct pol_plan *plan);
/* MIGRATE the largest NUMA=yes process off a short node, once until it recovers. */
void pol_plan_migrate(const struct og_snapshot *s, const struct pol_rules *r, struct pol_state *st,
		      const struct pol_ctx *ctx, const struct pol_measure *m, bool allowed,
		      struct pol_plan *plan);

/* pol_node.c */
/* Per-node stage: REPORT and COMPACT once per node episode, a victim confined to the short
 * nodes at terminate/kill (when may_kill). True if a victim was signalled. */
bool pol_plan_nodes(const struct og_snapshot *s, const struct pol_rules *r, struct pol_state *st,
		    const struct pol_ctx *ctx, const struct pol_measure *m,
		    enum pol_stage machine_level, bool may_kill, bool reclaim_ok, uint64_t now,
		    struct pol_plan *plan);
