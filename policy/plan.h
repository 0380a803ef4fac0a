/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The decision engine's output: a plan of actions, each saying what, to whom, which rule fired
 * and the measured value against the limit, so a report can say why. guardian/act_*.c carries
 * plans out; policy/pol_*.c makes them. Engine state is owned by the caller.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy/model.h"
#include "policy/rules.h"

enum pol_action_kind {
	POL_ACT_REPORT = 0, /* nothing to do to the kernel: note it */
	POL_ACT_OOM_SCORE_ADJ, /* svalue = oom_score_adj to set on target pid */
	POL_ACT_DROP_SLAB, /* drop reclaimable slab (drop_caches=2); value = SReclaimable bytes */
	POL_ACT_DROP_CACHES, /* page cache and slab (drop_caches=3) */
	POL_ACT_COMPACT, /* compact node (target.node) or all (-1) */
	POL_ACT_RECLAIM_CGROUP, /* memory.reclaim value bytes on target.cgroup (cgroup2) */
	POL_ACT_THROTTLE, /* memory.high = value bytes on target.cgroup; OG_UNLIMITED: lift */
	POL_ACT_FREEZE, /* cgroup.freeze = 1 */
	POL_ACT_MIGRATE, /* migrate_pages(target.pid, node -> node_to), value = bytes at most */
	POL_ACT_TERM, /* SIGTERM; value = grace usec */
	POL_ACT_KILL, /* SIGKILL (+ process_mrelease); target kind PROCESS, PROCESS_GROUP, CGROUP */
	POL_ACT__MAX,
};

enum pol_target_kind {
	POL_TGT_SYSTEM = 0,
	POL_TGT_PROCESS,
	POL_TGT_PROCESS_GROUP,
	POL_TGT_CGROUP,
	POL_TGT_NODE,
};

struct pol_target {
	enum pol_target_kind kind;
	pid_t pid;
	uint64_t starttime_ticks; /* identity: act_* re-checks it before signalling */
	pid_t pgid;
	char cgroup[OG_CGROUP_PATH_MAX];
	char comm[OG_COMM_MAX];
	char unit[OG_UNIT_MAX];
	int node; /* compaction node, migration source; -1 = all */
	int node_to; /* migration destination */
	uint64_t expected_free_bytes; /* what acting should free (badness) */
};

/*
 * What made a stage fire, as figures: the engine records these while deciding and formats the
 * sentence only when a report or log asks (pol_cause_text()), after the signal (issue 7).
 */
enum pol_cause_kind {
	POL_CAUSE_NONE = 0, /* nothing fired: the stage is active by hysteresis only */
	POL_CAUSE_MEM_PCT, /* available share below the permyriad threshold */
	POL_CAUSE_MEM_BYTES, /* available bytes below the byte threshold */
	POL_CAUSE_PSI, /* memory PSI avg10 above its limit for its duration */
	/* A service instance over its own limit (pol_service.c); the instance is why.key. */
	POL_CAUSE_BUDGET, /* measured anon+swap of nprocs > limit MemoryBudget, on_budget */
	POL_CAUSE_PRESSURE_LIMIT, /* its cgroup's PSI avg10 (psi_full) measured > limit */
	/* One NUMA node short (pol_node.c): node's available share measured < limit permyriad,
	 * avail_bytes of node_total_bytes (free node_free_bytes), the machine at machine_pm. */
	POL_CAUSE_NODE,
};

struct pol_cause {
	enum pol_cause_kind kind;
	enum pol_stage stage;
	bool held; /* MEM_*: between the threshold and threshold + hysteresis only */
	bool swap_note; /* MEM_*: fired by the absolute floor although swap is free */
	bool psi_full; /* PSI: full, else some */
	const char *avail_name; /* MEM_*: a static "MemAvailable" or "scope available" */
	uint64_t avail_bytes; /* MEM_* */
	uint64_t measured, limit; /* permyriad, bytes or centi per kind */
	uint64_t duration_usec; /* PSI, PRESSURE_LIMIT */
	uint32_t nprocs; /* BUDGET */
	int on_budget; /* BUDGET: enum pol_on_budget as configured */
	int node; /* NODE */
	uint64_t node_free_bytes, node_total_bytes, machine_pm; /* NODE */
};

/*
 * How an action's reason sentence is made. POL_WHY_TEXT: reason[] already holds it; only
 * actions that signal no process use it (reclaim, throttle, memory.high, a service's report,
 * protection by oom_score_adj): they are not on the path to a signal, and their sentences name
 * figures (overshoot, new limits) only the planner has. Every signal (the ladder's, a
 * service's MemoryBudget=/PressureLimit= kill) is rendered from the figures in struct
 * pol_why_data by pol_action_explain(), after the signal: that path formats nothing.
 */
enum pol_why_code {
	POL_WHY_TEXT = 0,
	POL_WHY_SIGNAL, /* cause; victim target, free_bytes, tier, who, rss_source */
	POL_WHY_NO_VICTIM, /* cause; nobody may be killed */
	POL_WHY_GRACE_EXPIRED, /* target did not exit within grace_usec */
	POL_WHY_ESCALATE, /* cause (NONE: the kill stage is active); left_usec of the grace */
};

struct pol_why_data {
	enum pol_why_code code;
	struct pol_cause cause;
	uint64_t free_bytes, needed_bytes; /* SIGNAL */
	uint64_t grace_usec, left_usec; /* GRACE_EXPIRED, ESCALATE */
	int tier; /* SIGNAL: enum pol_tier */
	int rss_source; /* SIGNAL: enum og_rss_source of the representative process, -1: none */
	char who[POL_NAME_MAX]; /* SIGNAL: the policy file's name, else its service */
	char service[POL_NAME_MAX]; /* SIGNAL */
	char key[OG_CGROUP_PATH_MAX]; /* SIGNAL for a BUDGET or PRESSURE_LIMIT cause: instance */
};

struct pol_action {
	enum pol_action_kind kind;
	enum pol_stage stage; /* the ladder rung; NONE: per service (budget, pressure), protect */
	struct pol_target target;
	uint64_t value; /* per kind, see enum pol_action_kind; THROTTLE OG_UNLIMITED = lift */
	int64_t svalue; /* signed value: the oom_score_adj of POL_ACT_OOM_SCORE_ADJ */
	char rule[POL_PATH_MAX + 32]; /* "oomguardian.conf:12 [Kill]" or "policy.d/10-web.policy" */
	char metric[32]; /* "mem_available_permyriad", "psi_full_avg10_centi", "budget_bytes"... */
	uint64_t measured; /* in the metric's unit (bytes, permyriad or centi) */
	uint64_t limit;
	char reason[256]; /* one human sentence: why (POL_WHY_TEXT, or pol_action_explain()) */
	struct pol_why_data why;
};

#define POL_PLAN_MAX 32
#define POL_TOP_MAX 5 /* candidates the report logs at INFO */

/*
 * One ranked victim candidate, self-contained (no pointers into the snapshot) so a plan can be
 * logged after the snapshot is refilled. Rank: tier first (lower is killed first), then
 * free_bytes, then oom_score, then the lower pid (deterministic).
 */
enum pol_tier {
	POL_TIER_PREFER = 0, /* KillPreference=prefer: strongly first */
	POL_TIER_OVER_BUDGET, /* its service is over MemoryBudget (or its PressureLimit) */
	POL_TIER_AVOID_NEEDED, /* avoid, promoted: no default candidate frees enough */
	POL_TIER_DEFAULT, /* innocent bystanders */
	POL_TIER_AVOID, /* KillPreference=avoid */
};

struct pol_candidate {
	struct pol_target target; /* kind PROCESS, PROCESS_GROUP or CGROUP per KillUnit= */
	enum pol_tier tier;
	enum pol_kill_pref pref;
	bool over_budget;
	uint64_t free_bytes; /* badness: what killing the target frees, see pol_victim.c */
	int oom_score;
	size_t proc_index; /* representative process in the snapshot it was ranked from */
	char service[POL_NAME_MAX]; /* "" = no policy file matched */
	char rule[POL_PATH_MAX]; /* policy file path, "" if none */
};

struct pol_plan {
	size_t n;
	struct pol_action actions[POL_PLAN_MAX];
	/* Context for the report and status, filled by every pol_step(): */
	enum pol_stage stage; /* highest active stage after this step (hysteresis applied) */
	uint64_t avail_bytes; /* available memory of the guarded scope, as the engine saw it */
	uint64_t total_bytes; /* its total (MemTotal or the scope's limit) */
	size_t ntop; /* ranked candidates considered for the kill/terminate action, if any */
	struct pol_candidate top[POL_TOP_MAX];
};
