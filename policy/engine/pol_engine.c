/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The decision engine: pol_step(snapshot, rules, state, ctx, now) -> plan.
 *
 * Pure: no syscalls, clock, globals, logging or allocation in the step. The caller owns the
 * state (struct pol_state, sized by pol_state_init()) and the clock (now_usec, > 0, monotonic).
 * Integer arithmetic only. What follows is the reference for the man page.
 *
 * SCOPE. The guarded scope is the whole machine ([Guardian] Scope= empty or "/") or a cgroup.
 *   machine: available = MemAvailable, total = MemTotal, PSI = /proc/pressure/memory.
 *   cgroup with a memory limit: total = its limit (memory.max, v1 limit_in_bytes); available =
 *     (limit - usage) + inactive_file + active_file / 2, at most the machine's MemAvailable.
 *     Inactive file pages are what the kernel reclaims first; only half of the active ones are
 *     counted because they are the working set (reclaiming them thrashes), the same guess the
 *     kernel makes for MemAvailable. PSI = the scope's memory.pressure when readable.
 *   cgroup without a limit: the machine's numbers, but victims only from inside the scope.
 *   Victims, throttles and migrations are always chosen inside the scope.
 *
 * STAGES. reclaim < throttle < terminate < kill. A stage fires when
 *   (a) memory is low: like earlyoom's -m/-M/-s, every threshold that is set must hold:
 *       available < MemoryAvailableBelow= percent of total AND available < its bytes (when
 *       both are set the lower one binds: the bytes cap the percentage on huge machines) AND,
 *       on a machine with swap, swap free < SwapFreeBelow= of swap total (swap is there to be
 *       used first), except that below HALF the memory threshold(s) swap does not matter: an
 *       allocation faster than swap-out reaches the kernel OOM killer with swap unused (seed
 *       002); a stage with no memory threshold does not fire on memory; or
 *   (b) PSI: the scope's memory some/full avg10 has stayed above PressureSomeAbove= /
 *       PressureFullAbove= for at least its duration ("above since" timers, one per stage and
 *       line, reset when avg10 drops to the limit or below).
 *   While a memory.high lowered by OnBudget=throttle holds, that cgroup's memory PSI avg10 is
 *   taken out of the scope's (some from some, full from full, never below 0): the stalls a
 *   throttle causes are its purpose and must not fire the ladder (the VM tier's budget
 *   scenario, 2026-12-02: the throttled service alone held the reclaim stage on PSI for 10
 *   minutes, and the near-stage polling cost the daemon 187 CPU seconds).
 *   HYSTERESIS: an active stage clears only when memory is Hysteresis= (of total) above
 *   every threshold that made it fire and the PSI avg10 is back at or below its limits. Each
 *   entry into a stage is an "episode"; once-per-episode actions (slab drop, reclaim report,
 *   stage throttles) do not repeat until the stage has cleared and fired again.
 *   The highest active stage is the level (plan->stage). New victims and throttles need the
 *   trigger itself (the band between threshold and threshold + hysteresis only keeps the
 *   episode open; it does not widen the kill zone).
 *
 * HOLD-OFF, per rung. An action that changes the kernel (everything but REPORT and
 *   OOM_SCORE_ADJ) arms the hold-off of its rung (its stage; the services' own actions: a rung
 *   below reclaim): for HoldOffSec= that rung and the ones below plan no new action, because
 *   PSI avg10 lags seconds behind what the action did. A rung is never held off by a lower
 *   one: a fast allocator crosses reclaim, throttle and terminate within a few hundred ms, and
 *   terminate/kill fire as soon as their own trigger holds. A terminate/kill trigger on memory
 *   is not held off at all (MemAvailable does not lag; the victim in flight already keeps the
 *   next victim waiting until its memory is gone); on PSI it is. Not held off and arming
 *   nothing: lifting throttles, protection. Escalation TERM->KILL is not held off but arms
 *   its rung. COMPACT/MIGRATE wait for the reclaim rung's hold-off and arm nothing (they are
 *   once until the zone or node recovers). Nothing is planned that the snapshot's layout
 *   cannot do: no RECLAIM_CGROUP (memory.reclaim) for a v1 memory cgroup.
 *
 * VICTIMS IN FLIGHT. A victim once signalled is remembered (pid + starttime, process group or
 *   cgroup). It blocks the next victim until it has exited (gone from the snapshot, its
 *   starttime changed, or a zombie) or KillTimeoutSec= has passed; a victim that outlives the
 *   timeout stops blocking but is never chosen again while it lives. A TERM victim is escalated
 *   to KILL exactly once: when its grace expires or when the level reaches kill meanwhile.
 *   Nothing else signals a victim twice. With an empty process table (a memory-only snapshot)
 *   victims are neither retired nor chosen. At most one new kill target per step.
 *
 * ORDER WITHIN A STEP (each rung's hold-off permitting):
 *   1. escalations of victims in flight; lifting stage throttles once the throttle stage clears
 *      (and those of services a reload removed).
 *   2. reclaim, at any level >= reclaim: if reclaimable slab exceeds 20% of total, or a third
 *      of what is still available (the Koji nfs_inode_cache story), DROP_SLAB (machine, or a
 *      v1 scope) or RECLAIM_CGROUP (cgroup2 scope), one a minute at most and never again for
 *      slab a drop could not free; no kill in that step: slab is freed before anybody dies.
 *   3. a terminate/kill trigger fires: one victim (pol_victim.c ranking: prefer, over budget,
 *      default, avoid), needed = what brings available back above the stage threshold plus
 *      hysteresis. terminate: TERM with value = grace (TermGraceSec= of the victim's policy,
 *      else [Guardian] TermGraceSec=); a grace of 0 means KILL at once. kill: KILL. Nobody
 *      eligible: one REPORT per episode. SHMEM (pol_shmem.c): when shmem (tmpfs files, which
 *      no kill frees) is a quarter of the used memory or more, and the best victim frees less
 *      than the need or than a quarter of the shmem, one REPORT per episode says where it is;
 *      nobody is killed for it until available is below half the kill threshold (where the
 *      kernel's OOM killer, which would kill for the same small gain, is next).
 *   4. services, whatever the level. A service instance is what one policy file matches
 *      within one systemd unit (or one cgroup without a unit): "Unit=devstack@*.service" gives
 *      every devstack@ unit its own budget, like a drop-in for a template unit. Over
 *      MemoryBudget= (anon + swap of its processes; N% is of MemTotal):
 *      OnBudget= once per over-budget episode (ends below the budget minus hysteresis):
 *      report, reclaim (memory.reclaim of the overshoot; on v1 a report), throttle
 *      (memory.high lowered by the overshoot, never raised; lifted back to its value before
 *      once usage has stayed below the budget minus hysteresis for HoldOffSec=), kill
 *      (TERM/KILL of the service's own best victim, one target per step).
 *      PressureLimit= exceeded for its duration: like systemd-oomd, TERM/KILL of the service's
 *      best victim, once per episode. Protect=yes services only ever get a REPORT.
 *   5. a throttle (or higher) trigger fires and no kill was planned: memory.high = current -
 *      10% on one Throttle=yes service per step (its own cgroup, without protected members),
 *      over-budget services first, then the largest; lifted (memory.high back to its value
 *      before: max or the unit's MemoryHigh=) when the throttle stage clears.
 *   6. reclaim level, no slab to drop: one REPORT per episode (RECLAIM_CGROUP of the need in
 *      a cgroup2 scope).
 *   7. fragmentation, whatever the level (the seed 003 order-2 OOM with half the RAM free): a
 *      zone other than DMA with no free block of order >= 2 while it has more free memory than
 *      its min watermark (and at least 4 MiB): COMPACT that node, once until it recovers.
 *      NUMA ([Guardian] NUMARebalance=yes, >= 2 nodes): a node with < 5% free (or a fragmented
 *      zone) while another has >= 20% free: MIGRATE the largest NUMA=yes, unprotected process
 *      from the short node to the roomiest one, once until the node recovers.
 *      Per node (pol_node.c, >= 2 nodes), whatever the machine's level: a node whose
 *      MemFree + Inactive(file) + Active(file)/2 is below a stage's MemoryAvailableBelow=
 *      percentage of the node's own MemTotal: a REPORT naming it per stage and episode, a
 *      COMPACT of it once per episode, and at terminate/kill one victim among the processes
 *      confined to the short nodes (og_proc.mems_mask: bind policy, cpuset mems), before the
 *      kernel's CONSTRAINT_MEMORY_POLICY OOM; nobody else (their memory is not there).
 *   8. protection: OOM_SCORE_ADJ for processes whose oom_score_adj differs from their policy's
 *      OOMScoreAdjust= (pol_protect_plan()), in the plan space left.
 *
 * COST. One step matches every policy against every process once (pol_state_reserve() sizes
 *   that cache; without it matching is repeated, ~30x slower) and ranks victims in one pass:
 *   ~30 ms at 4000 processes and 16 policies with Cmdline= regexes on this 2-core test
 *   machine, most of it in regexec(3).
 *
 * EVERY ACTION carries the rule ("oomguardian.conf:12 [Kill]" or the policy file), the metric
 * with its unit, the measured value, the limit and a one-sentence reason with the numbers.
 * On the terminate/kill path the step records the reason as figures (struct pol_why_data) and
 * formats nothing; pol_action_explain() makes the sentence after the signal (issue 7).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/engine/pol_engine_int.h"
#include "policy/engine/pol_match.h"
#include "policy/util/strutil.h"

static const char *const stage_names[POL_STAGE__MAX] = {
	[POL_STAGE_NONE] = "none",	   [POL_STAGE_RECLAIM] = "reclaim",
	[POL_STAGE_THROTTLE] = "throttle", [POL_STAGE_TERMINATE] = "terminate",
	[POL_STAGE_KILL] = "kill",
};

static const char *const action_names[POL_ACT__MAX] = {
	[POL_ACT_REPORT] = "report",	   [POL_ACT_OOM_SCORE_ADJ] = "oom_score_adj",
	[POL_ACT_DROP_SLAB] = "drop_slab", [POL_ACT_DROP_CACHES] = "drop_caches",
	[POL_ACT_COMPACT] = "compact",	   [POL_ACT_RECLAIM_CGROUP] = "reclaim_cgroup",
	[POL_ACT_THROTTLE] = "throttle",   [POL_ACT_FREEZE] = "freeze",
	[POL_ACT_MIGRATE] = "migrate",	   [POL_ACT_TERM] = "term",
	[POL_ACT_KILL] = "kill",
};

const char *pol_stage_name(enum pol_stage stage)
{
	return (unsigned)stage < POL_STAGE__MAX ? stage_names[stage] : "?";
}

const char *pol_action_name(enum pol_action_kind kind)
{
	return (unsigned)kind < POL_ACT__MAX ? action_names[kind] : "?";
}

/* ------------------------------------------------------------------ stages */

/* Available below every memory threshold that is set, each divided by div, plus the margin. */
static bool mem_below(const struct pol_threshold *t, const struct pol_measure *m,
		      uint64_t margin_pm, unsigned div)
{
	if (t->mem_avail_permyriad &&
	    pol_share_permyriad(m->avail, m->total) >= t->mem_avail_permyriad / div + margin_pm)
		return false;
	if (t->mem_avail_bytes &&
	    m->avail >= t->mem_avail_bytes / div + pol_of_permyriad(m->total, margin_pm))
		return false;
	return true;
}

/* Swap is set as a condition, there is swap, and enough of it is free: headroom left. */
static bool swap_headroom(const struct pol_threshold *t, const struct pol_measure *m,
			  uint64_t margin_pm)
{
	return t->swap_free_permyriad && m->swap_total > 0 &&
	       pol_share_permyriad(m->swap_free, m->swap_total) >=
		       t->swap_free_permyriad + margin_pm;
}

/* The memory condition of a stage (see STAGES (a)): the swap condition is waived below half
 * the memory threshold (the absolute floor). */
static bool mem_low(const struct pol_threshold *t, const struct pol_measure *m, uint64_t margin_pm)
{
	if (!t->mem_avail_permyriad && !t->mem_avail_bytes)
		return false;
	if (!mem_below(t, m, margin_pm, 1))
		return false;
	return !swap_headroom(t, m, margin_pm) || mem_below(t, m, margin_pm, 2);
}

uint32_t pol_psi_avg10(const struct og_psi *psi, bool full)
{
	if (!psi)
		return 0;
	if (full)
		return psi->has_full ? psi->full.avg10_centi : 0;
	return psi->has_some ? psi->some.avg10_centi : 0;
}

/* Update an "above since" timer; true if the limit has held for its duration. */
bool pol_psi_timer(const struct pol_psi_limit *lim, const struct og_psi *psi, uint64_t now,
		   uint64_t *since)
{
	if (!lim->set || pol_psi_avg10(psi, lim->full) <= lim->limit_centi) {
		*since = 0;
		return false;
	}
	if (*since == 0)
		*since = now;
	return pol_sat_sub(now, *since) >= lim->duration_usec;
}

bool pol_psi_quiet(const struct pol_rules *r, const struct pol_state *st, const struct og_psi *psi)
{
	for (int i = POL_STAGE_RECLAIM; i < POL_STAGE__MAX; i++) {
		const struct pol_threshold *t = &r->cfg.stage[i];
		const struct pol_stage_state *ss = &st->stage[i];

		/* an episode to clear, or a timer a step must stop (or let fire) */
		if (ss->active || ss->psi_some_above_since_usec || ss->psi_full_above_since_usec)
			return false;
		if ((t->psi_some.set && pol_psi_avg10(psi, false) > t->psi_some.limit_centi) ||
		    (t->psi_full.set && pol_psi_avg10(psi, true) > t->psi_full.limit_centi))
			return false;
	}
	for (size_t i = 0; i < r->nservices; i++)
		if (r->services[i].pressure_limit.set)
			return false; /* the services' own pressure is in the snapshot only */
	return true;
}

/* held: below threshold + hysteresis only (the stage has not cleared yet). Figures only: the
 * sentence is made by pol_cause_text() when a report asks for it. */
static void describe_mem(const struct pol_threshold *t, const struct pol_measure *m,
			 enum pol_stage stage, bool held, struct pol_trigger *tr)
{
	struct pol_cause *c = &tr->cause;

	tr->fired = true;
	tr->held = held;
	tr->on_memory = !held;
	c->stage = stage;
	c->held = held;
	/* fired only by the absolute floor: say why free swap did not hold it back */
	c->swap_note = !held && swap_headroom(t, m, 0);
	c->avail_name = m->avail_name;
	c->avail_bytes = m->avail;
	if (t->mem_avail_permyriad) {
		og_strscpy(tr->metric, "mem_available_permyriad", sizeof(tr->metric));
		c->kind = POL_CAUSE_MEM_PCT;
		tr->measured = pol_share_permyriad(m->avail, m->total);
		tr->limit = t->mem_avail_permyriad;
	} else {
		og_strscpy(tr->metric, "mem_available_bytes", sizeof(tr->metric));
		c->kind = POL_CAUSE_MEM_BYTES;
		tr->measured = m->avail;
		tr->limit = t->mem_avail_bytes;
	}
	c->measured = tr->measured;
	c->limit = tr->limit;
}

static void describe_psi(const struct pol_psi_limit *lim, const struct pol_measure *m,
			 enum pol_stage stage, struct pol_trigger *tr)
{
	uint32_t v = pol_psi_avg10(m->psi, lim->full);

	tr->fired = true;
	og_strscpy(tr->metric, lim->full ? "psi_full_avg10_centi" : "psi_some_avg10_centi",
		   sizeof(tr->metric));
	tr->measured = v;
	tr->limit = lim->limit_centi;
	tr->cause = (struct pol_cause){.kind = POL_CAUSE_PSI,
				       .stage = stage,
				       .psi_full = lim->full,
				       .measured = v,
				       .limit = lim->limit_centi,
				       .duration_usec = lim->duration_usec};
}

/* Evaluate every stage, update episodes; describe what holds the level. */
static enum pol_stage update_stages(const struct pol_rules *r, const struct pol_measure *m,
				    struct pol_state *st, uint64_t now,
				    struct pol_trigger tr[POL_STAGE__MAX])
{
	enum pol_stage level = POL_STAGE_NONE;

	for (int i = POL_STAGE_RECLAIM; i < POL_STAGE__MAX; i++) {
		const struct pol_threshold *t = &r->cfg.stage[i];
		struct pol_stage_state *ss = &st->stage[i];
		bool low = mem_low(t, m, 0);
		bool some =
			pol_psi_timer(&t->psi_some, m->psi, now, &ss->psi_some_above_since_usec);
		bool full =
			pol_psi_timer(&t->psi_full, m->psi, now, &ss->psi_full_above_since_usec);

		memset(&tr[i], 0, sizeof(tr[i]));
		if (low)
			describe_mem(t, m, i, false, &tr[i]);
		else if (full)
			describe_psi(&t->psi_full, m, i, &tr[i]);
		else if (some)
			describe_psi(&t->psi_some, m, i, &tr[i]);

		if (!ss->active && (low || some || full)) {
			ss->active = true;
			ss->since_usec = now;
			ss->acted = false;
			ss->no_victim_reported = false;
			ss->shmem_reported = false;
		} else if (ss->active && !low && !some && !full) {
			bool still = mem_low(t, m, r->cfg.hysteresis_permyriad) ||
				     (t->psi_some.set && ss->psi_some_above_since_usec) ||
				     (t->psi_full.set && ss->psi_full_above_since_usec);

			if (!still)
				ss->active = false;
			else if (!tr[i].fired && mem_low(t, m, r->cfg.hysteresis_permyriad))
				describe_mem(t, m, i, true, &tr[i]);
		}
		if (ss->active)
			level = i;
	}
	st->level = level;
	return level;
}

/* Bytes to free to bring available above the stage's thresholds plus hysteresis; 0: unknown. */
uint64_t pol_needed_bytes(const struct pol_rules *r, const struct pol_measure *m,
			  enum pol_stage stage)
{
	const struct pol_threshold *t = &r->cfg.stage[stage];
	uint64_t hyst = pol_of_permyriad(m->total, r->cfg.hysteresis_permyriad);
	uint64_t need = 0;

	if (t->mem_avail_permyriad)
		need = pol_sat_sub(pol_of_permyriad(m->total, t->mem_avail_permyriad) + hyst,
				   m->avail);
	if (t->mem_avail_bytes) {
		uint64_t nb = pol_sat_sub(t->mem_avail_bytes + hyst, m->avail);

		/* both set: the lower threshold binds, so clearing it is enough */
		need = t->mem_avail_permyriad ? (nb < need ? nb : need) : nb;
	}
	return need;
}

/* ------------------------------------------------------------------ victims in flight */

static bool victim_alive(const struct og_snapshot *s, const struct pol_victim_rec *v)
{
	for (size_t i = 0; i < s->nprocs; i++) {
		const struct og_proc *p = &s->procs[i];

		if (pol_proc_dead(p))
			continue;
		switch (v->target.kind) {
		case POL_TGT_PROCESS:
			if (p->pid == v->target.pid &&
			    p->starttime_ticks == v->target.starttime_ticks)
				return true;
			break;
		case POL_TGT_PROCESS_GROUP:
			if (p->pgid == v->target.pgid)
				return true;
			break;
		case POL_TGT_CGROUP:
			if (v->target.cgroup[0] && pol_in_scope(v->target.cgroup, p->cgroup))
				return true;
			break;
		default:
			break;
		}
	}
	return false;
}

static bool victim_blocking(const struct pol_state *st)
{
	for (size_t i = 0; i < st->nvictims; i++)
		if (st->victims[i].blocking)
			return true;
	return false;
}

/* A TERM victim still alive: KILL it, exactly once, when its grace is over or the level reached
 * kill meanwhile. */
static void escalate(const struct pol_rules *r, struct pol_victim_rec *v, enum pol_stage level,
		     const struct pol_trigger *tr_kill, uint64_t now, struct pol_plan *plan)
{
	uint64_t waited = pol_sat_sub(now, v->signalled_at_usec); /* clock went back: 0 */
	bool expired = waited >= v->grace_usec;
	struct pol_action *a;

	if (v->kind != POL_ACT_TERM || v->escalated ||
	    (!expired && (level < POL_STAGE_KILL || !tr_kill->fired || tr_kill->held)))
		return;
	a = pol_plan_add(plan, POL_ACT_KILL, level >= POL_STAGE_KILL ? POL_STAGE_KILL : v->stage);
	if (!a)
		return; /* plan full: next step */
	a->target = v->target;
	if (expired) {
		og_strscpy(a->rule, v->rule, sizeof(a->rule));
		og_strscpy(a->metric, "term_grace_usec", sizeof(a->metric));
		a->measured = waited;
		a->limit = v->grace_usec;
		a->why.code = POL_WHY_GRACE_EXPIRED;
	} else {
		pol_stage_rule(&r->cfg, POL_STAGE_KILL, a->rule, sizeof(a->rule));
		og_strscpy(a->metric, tr_kill->fired ? tr_kill->metric : "stage",
			   sizeof(a->metric));
		a->measured = tr_kill->measured;
		a->limit = tr_kill->limit;
		a->why.code = POL_WHY_ESCALATE;
		if (tr_kill->fired)
			a->why.cause = tr_kill->cause;
		a->why.left_usec = v->grace_usec - waited;
	}
	a->why.grace_usec = v->grace_usec;
	v->kind = POL_ACT_KILL;
	v->escalated = true;
	v->signalled_at_usec = now;
	v->blocking = true;
}

/* Retire victims that are gone, escalate TERMs, stop waiting for stuck KILLs. */
static void victims_update(const struct og_snapshot *s, const struct pol_rules *r,
			   struct pol_state *st, enum pol_stage level,
			   const struct pol_trigger *tr_kill, uint64_t now, struct pol_plan *plan)
{
	size_t j = 0;

	for (size_t i = 0; i < st->nvictims; i++) {
		struct pol_victim_rec *v = &st->victims[i];

		/* an empty process table (memory-only snapshot) proves nothing: keep them */
		if (s->nprocs > 0 && !victim_alive(s, v))
			continue; /* gone: forget it, it no longer blocks */
		escalate(r, v, level, tr_kill, now, plan);
		/* stuck (D state, or process_mrelease failed): stop waiting, never signal again */
		if (v->kind == POL_ACT_KILL && v->blocking &&
		    pol_sat_sub(now, v->signalled_at_usec) >= r->cfg.kill_timeout_usec)
			v->blocking = false;
		if (j != i)
			st->victims[j] = *v;
		j++;
	}
	st->nvictims = j;
}

/* Terminate/kill level: one victim. Returns true if a victim was signalled. */
static bool plan_ladder_victim(const struct og_snapshot *s, const struct pol_rules *r,
			       struct pol_state *st, const struct pol_ctx *ctx,
			       const struct pol_measure *m, enum pol_stage level,
			       const struct pol_trigger *tr, uint64_t now, struct pol_plan *plan)
{
	struct pol_candidate top[POL_TOP_MAX];
	struct pol_victim_opts o;
	struct pol_stage_state *ss = &st->stage[level];
	char rule[POL_PATH_MAX + 32];
	struct pol_cause none = {.kind = POL_CAUSE_NONE, .stage = level};
	struct pol_why w = {.stage = level,
			    .rule = rule,
			    .metric = tr->metric,
			    .measured = tr->measured,
			    .limit = tr->limit,
			    .cause = tr->fired ? &tr->cause : &none};
	size_t n;

	pol_stage_rule(&r->cfg, level, rule, sizeof(rule));
	if (!tr->fired)
		w.metric = "stage"; /* "the kill stage is still active (hysteresis)" */
	pol_fill_opts(s, st, ctx, m, &o);
	o.needed_bytes = pol_needed_bytes(r, m, level);
	n = pol_victims(s, r, &o, top, POL_TOP_MAX);
	pol_copy_top(plan, top, n);
	if (n == 0) {
		struct pol_action *a;

		if (ss->no_victim_reported || s->nprocs == 0)
			return false;
		a = pol_plan_add(plan, POL_ACT_REPORT, level);
		if (!a)
			return false;
		ss->no_victim_reported = true;
		og_strscpy(a->rule, rule, sizeof(a->rule));
		og_strscpy(a->metric, w.metric, sizeof(a->metric));
		a->measured = w.measured;
		a->limit = w.limit;
		a->why.code = POL_WHY_NO_VICTIM;
		a->why.cause = *w.cause;
		return false;
	}
	if (pol_shmem_futile(s, m, o.needed_bytes, top[0].free_bytes)) {
		/* shmem no kill frees: say so once; kill nobody for it until available is below
		 * half the kill threshold, where the kernel's OOM killer is next */
		bool last = level >= POL_STAGE_KILL &&
			    mem_below(&r->cfg.stage[POL_STAGE_KILL], m, 0, 2);
		struct pol_action *a =
			ss->shmem_reported ? NULL : pol_plan_add(plan, POL_ACT_REPORT, level);

		if (a) {
			ss->shmem_reported = true;
			og_strscpy(a->rule, rule, sizeof(a->rule));
			og_strscpy(a->metric, "shmem_bytes", sizeof(a->metric));
			a->measured = m->scope[0] && s->has_scope_cg ? s->scope_cg.shmem_bytes
								     : s->mem.shmem_bytes;
			a->limit = o.needed_bytes;
			pol_shmem_text(s, m, o.needed_bytes, top[0].free_bytes, a->reason,
				       sizeof(a->reason));
			pol_appendf(a->reason, sizeof(a->reason), ": %s",
				    last		     ? "killing anyway (the kernel is next)"
				    : level < POL_STAGE_KILL ? "no kill at this stage"
							     : "no kill above half the kill stage");
		}
		if (!last)
			return false;
	}
	ss->acted = true;
	pol_plan_signal(plan, st, r, s, m, &top[0], level >= POL_STAGE_KILL, o.needed_bytes, &w,
			now);
	return true;
}

/* ------------------------------------------------------------------ state */

static struct pol_svc_state *svc_alloc(const struct pol_rules *r)
{
	size_t n = r ? r->nservices : 0;
	struct pol_svc_state *svc = calloc(n ? n : 1, sizeof(*svc));

	for (size_t i = 0; svc && i < n; i++)
		og_strscpy(svc[i].name, r->services[i].name, sizeof(svc[i].name));
	return svc;
}

int pol_state_init(struct pol_state *st, const struct pol_rules *r)
{
	struct pol_svc_state *svc;
	struct pol_inst_state *inst;

	if (!st)
		return -EINVAL;
	svc = svc_alloc(r);
	inst = calloc(POL_INSTANCES_MAX, sizeof(*inst));
	if (!svc || !inst) {
		free(svc);
		free(inst);
		return -ENOMEM;
	}
	memset(st, 0, sizeof(*st));
	st->svc = svc;
	st->nsvc = r ? r->nservices : 0;
	st->inst = inst;
	return 0;
}

int pol_state_reserve(struct pol_state *st, size_t cap_procs)
{
	struct pol_proc_policy *pc;
	uint64_t *h;

	if (!st)
		return -EINVAL;
	if (cap_procs <= st->cap_policies)
		return 0;
	pc = calloc(cap_procs, sizeof(*pc));
	h = calloc(cap_procs, sizeof(*h));
	if (!pc || !h) {
		free(pc);
		free(h);
		return -ENOMEM;
	}
	free(st->policies);
	free(st->cgroup_hash);
	st->policies = pc;
	st->cgroup_hash = h;
	st->cap_policies = cap_procs;
	return 0;
}

void pol_state_free(struct pol_state *st)
{
	if (!st)
		return;
	free(st->svc);
	free(st->inst);
	free(st->policies);
	free(st->cgroup_hash);
	st->svc = NULL;
	st->inst = NULL;
	st->policies = NULL;
	st->cgroup_hash = NULL;
	st->cap_policies = 0;
	st->nsvc = 0;
	st->ninst = 0;
}

static size_t service_by_name(const struct pol_rules *r, const char *name)
{
	for (size_t i = 0; r && i < r->nservices; i++)
		if (strcmp(r->services[i].name, name) == 0)
			return i;
	return (size_t)-1;
}

int pol_state_rebind(struct pol_state *st, const struct pol_rules *new_rules)
{
	struct pol_svc_state *svc;
	size_t j = 0;

	if (!st || !st->inst)
		return -EINVAL;
	svc = svc_alloc(new_rules);
	if (!svc)
		return -ENOMEM;
	/* Instances follow their policy by name; those of a removed policy go, and a memory.high
	 * we set for one is lifted at the next step (nobody else would). */
	for (size_t i = 0; i < st->ninst; i++) {
		struct pol_inst_state *in = &st->inst[i];
		size_t k = service_by_name(new_rules, in->svc_name);

		if (k == (size_t)-1) {
			if (in->throttled && in->cgroup[0] && st->norphans < POL_ORPHANS_MAX)
				og_strscpy(st->orphan_cgroup[st->norphans++], in->cgroup,
					   sizeof(st->orphan_cgroup[0]));
			continue;
		}
		in->svc = k;
		in->top_proc = (size_t)-1;
		if (j != i)
			st->inst[j] = *in;
		j++;
	}
	st->ninst = j;
	free(st->svc);
	st->svc = svc;
	st->nsvc = new_rules ? new_rules->nservices : 0;
	return 0;
}

/* ------------------------------------------------------------------ hold-off */

/* No hold-off of rung q or of any rung above it runs at now. */
static bool rung_free(const struct pol_state *st, enum pol_stage q, uint64_t now)
{
	for (int i = q; i < POL_STAGE__MAX; i++)
		if (now < st->stage[i].holdoff_until_usec)
			return false;
	return true;
}

/* The highest terminate/kill rung whose trigger fires and may act now: on memory always (the
 * victim in flight waits for the memory to be freed), on PSI once its hold-off is over. */
static enum pol_stage victim_rung(const struct pol_state *st, const struct pol_trigger *tr,
				  enum pol_stage fire, uint64_t now)
{
	for (int i = fire; i >= POL_STAGE_TERMINATE; i--)
		if (tr[i].fired && !tr[i].held && (tr[i].on_memory || rung_free(st, i, now)))
			return i;
	return POL_STAGE_NONE;
}

/* Each action that changes the kernel arms the hold-off of its rung (services: NONE). Not:
 * lifting throttles (before first), COMPACT/MIGRATE (from arm_from: once until the zone or
 * node recovers, they hold back nothing). */
static void holdoff_arm(const struct pol_rules *r, struct pol_state *st,
			const struct pol_plan *plan, size_t first, size_t arm_from, uint64_t now)
{
	for (size_t i = 0; i < plan->n && i < arm_from; i++) {
		const struct pol_action *a = &plan->actions[i];
		uint64_t until = now + r->cfg.holdoff_usec;

		if (!pol_disruptive(a->kind) || a->kind == POL_ACT_COMPACT ||
		    (i < first && a->kind == POL_ACT_THROTTLE) ||
		    (unsigned)a->stage >= POL_STAGE__MAX)
			continue;
		st->stage[a->stage].holdoff_until_usec = until;
		if (until > st->holdoff_until_usec)
			st->holdoff_until_usec = until;
		st->last_action_usec = now;
	}
}

/* ------------------------------------------------------------------ the step */

int pol_step(const struct og_snapshot *s, const struct pol_rules *r, struct pol_state *st,
	     const struct pol_ctx *ctx, uint64_t now_usec, struct pol_plan *ret_plan)
{
	struct pol_trigger tr[POL_STAGE__MAX];
	struct pol_measure m;
	struct og_psi psi_own;
	enum pol_stage level, fire;
	bool escalated, slab = false, killed = false;
	size_t first, arm_from;

	if (!s || !r || !st || !ret_plan || now_usec == 0 || st->nsvc != r->nservices || !st->svc ||
	    !st->inst)
		return -EINVAL;
	ret_plan->n = 0;
	ret_plan->ntop = 0;
	pol_measure(s, r, ctx, &m);
	ret_plan->avail_bytes = m.avail;
	ret_plan->total_bytes = m.total;
	ret_plan->stage = POL_STAGE_NONE;
	if (m.total == 0)
		return -ENODATA;
	/* Match every process against the policies once for the whole step. */
	if (st->policies && s->nprocs <= st->cap_policies) {
		for (size_t i = 0; i < s->nprocs; i++) {
			pol_policy_for(r, &s->procs[i], &st->policies[i]);
			st->cgroup_hash[i] = pol_cgroup_hash(s->procs[i].cgroup);
		}
		m.policies = st->policies;
		m.cgroup_hash = st->cgroup_hash;
	}

	/* Our own throttles' stalls are not the scope's pressure (pol_service.c). */
	if (m.psi && pol_psi_without_throttled(s, st, m.psi, &psi_own))
		m.psi = &psi_own;
	level = update_stages(r, &m, st, now_usec, tr);
	ret_plan->stage = level;
	/* New victims and throttles only where a trigger really fires, not in the hysteresis
	 * band: the band keeps an episode open (no repeated once-per-episode actions), it does
	 * not widen the kill zone. */
	fire = POL_STAGE_NONE;
	for (int i = POL_STAGE_RECLAIM; i < POL_STAGE__MAX; i++)
		if (tr[i].fired && !tr[i].held)
			fire = i;
	pol_slab_track(s, st, &m);

	victims_update(s, r, st, level, &tr[POL_STAGE_KILL], now_usec, ret_plan);
	escalated = ret_plan->n > 0;
	pol_services_update(s, r, &m, st, now_usec);
	pol_lift_throttles(s, st, r, level, now_usec, ret_plan);
	first = ret_plan->n;

	/* Hold-off per rung: an action holds back its own rung and those below, never one
	 * above; a terminate/kill trigger on memory is not held back at all. */
	{
		bool may_kill = !escalated && !victim_blocking(st) && s->nprocs > 0;
		bool reclaim_ok = rung_free(st, POL_STAGE_RECLAIM, now_usec);
		enum pol_stage v = victim_rung(st, tr, fire, now_usec);

		if (level >= POL_STAGE_RECLAIM && reclaim_ok)
			slab = pol_plan_slab(s, r, st, &m, level, &tr[level], now_usec, ret_plan);
		if (!slab && may_kill && v != POL_STAGE_NONE)
			killed = plan_ladder_victim(s, r, st, ctx, &m, v, &tr[v], now_usec,
						    ret_plan);
		if (rung_free(st, POL_STAGE_NONE, now_usec))
			killed |= pol_plan_services(s, r, st, ctx, &m, may_kill && !slab && !killed,
						    now_usec, ret_plan);
		if (fire >= POL_STAGE_THROTTLE && !killed && !slab &&
		    rung_free(st, POL_STAGE_THROTTLE, now_usec))
			pol_plan_throttle(s, r, st, &m, &tr[fire], ret_plan);
		if (level == POL_STAGE_RECLAIM && !slab && reclaim_ok)
			pol_plan_reclaim_report(s, r, st, &m, &tr[level], ret_plan);
		/* per NUMA node (pol_node.c): a bound process dies of its node, not of the machine */
		killed |= pol_plan_nodes(s, r, st, ctx, &m, level, may_kill && !slab && !killed,
					 reclaim_ok, now_usec, ret_plan);
		arm_from = ret_plan->n;
		pol_plan_compact(s, r, &m, st, reclaim_ok, ret_plan);
		pol_plan_migrate(s, r, st, ctx, &m, reclaim_ok, ret_plan);
	}
	holdoff_arm(r, st, ret_plan, first, arm_from, now_usec);
	pol_plan_protection(s, r, st, &m, ret_plan);
	return (int)ret_plan->n;
}
