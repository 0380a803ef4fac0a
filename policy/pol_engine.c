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
 *       available < MemAvailablePercent of total AND available < MemAvailableBytes (when both
 *       are set the lower one binds: the bytes cap the percentage on huge machines) AND, on a
 *       machine with swap, swap free < SwapFreePercent of swap total (swap is there to be used
 *       first); a stage with neither memory threshold set does not fire on memory; or
 *   (b) PSI: the scope's memory some/full avg10 has stayed above the stage's limit for at least
 *       its duration ("above since" timers, one per stage and line, reset when avg10 drops to
 *       the limit or below).
 *   HYSTERESIS: an active stage clears only when memory is HysteresisPercent (of total) above
 *   every threshold that made it fire and the PSI avg10 is back at or below its limits. Each
 *   entry into a stage is an "episode"; once-per-episode actions (slab drop, reclaim report,
 *   stage throttles) do not repeat until the stage has cleared and fired again.
 *   The highest active stage is the level (plan->stage).
 *
 * HOLD-OFF. After any action that changes the kernel (everything but REPORT and
 *   OOM_SCORE_ADJ), no new action is planned for HoldOffSec: PSI lags ~2 s and MemAvailable
 *   needs a moment to show what a kill freed. Escalation TERM->KILL and protection
 *   (oom_score_adj) are not held off.
 *
 * VICTIMS IN FLIGHT. A victim once signalled is remembered (pid + starttime, process group or
 *   cgroup). It blocks the next victim until it has exited (gone from the snapshot, its
 *   starttime changed, or a zombie) or KillTimeoutSec has passed; a victim that outlives the
 *   timeout stops blocking but is never chosen again while it lives. A TERM victim is escalated
 *   to KILL exactly once: when its grace expires or when the level reaches kill meanwhile.
 *   Nothing else signals a victim twice. With an empty process table (a memory-only snapshot)
 *   victims are neither retired nor chosen. At most one new kill target per step.
 *
 * ORDER WITHIN A STEP (hold-off permitting):
 *   1. escalations of victims in flight; lifting stage throttles once the throttle stage clears.
 *   2. reclaim, at any level >= reclaim: if reclaimable slab exceeds 20% of total (the Koji
 *      nfs_inode_cache story), DROP_SLAB (machine) or RECLAIM_CGROUP (scope) once per episode,
 *      and no kill in that step: slab is freed before anybody dies.
 *   3. terminate/kill level: one victim (pol_victim.c ranking: prefer, over budget, default,
 *      avoid), needed = what brings available back above the stage threshold plus hysteresis.
 *      terminate: TERM with value = grace (TermGraceSec of the victim's policy, else the
 *      default); a grace of 0 means KILL at once. kill: KILL. Nobody eligible: one REPORT per
 *      episode.
 *   4. services, whatever the level: over MemoryBudget (anon + swap of its processes; N% is of
 *      total) OnBudget= once per over-budget episode (ends below the budget minus hysteresis):
 *      report, reclaim (memory.reclaim of the overshoot), throttle (memory.high lowered by the
 *      overshoot, kept), kill (TERM/KILL of the service's own best victim, one target per step).
 *      PressureLimit= exceeded for its duration: like systemd-oomd, TERM/KILL of the service's
 *      best victim, once per episode. Protect=yes services only ever get a REPORT.
 *   5. throttle level (and above, if no kill was planned): memory.high = usage - 10% on one
 *      Throttle=yes service per step, over-budget services first, then the largest; lifted
 *      (memory.high = max) when the throttle stage clears.
 *   6. reclaim level, no slab to drop: one REPORT per episode (RECLAIM_CGROUP in a scope).
 *   7. fragmentation, whatever the level (the seed 003 order-2 OOM with half the RAM free): a
 *      zone other than DMA with no free block of order >= 2 while it has more free memory than
 *      its min watermark (and at least 4 MiB): COMPACT that node, once until it recovers.
 *      NUMA (Guardian NUMARebalance=yes, >= 2 nodes): a node with < 5% free (or a fragmented
 *      zone) while another has >= 20% free: MIGRATE the largest NUMA=yes, unprotected process
 *      from the short node to the roomiest one, once until the node recovers.
 *   8. protection: OOM_SCORE_ADJ for processes whose oom_score_adj differs from their policy's
 *      OOMScoreAdjust= (pol_protect_plan()), in the plan space left.
 *
 * EVERY ACTION carries the rule ("oomguardian.conf:12 [Kill]" or the policy file), the metric
 * with its unit, the measured value, the limit and a one-sentence reason with the numbers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/pol_engine.h"
#include "policy/pol_match.h"
#include "policy/util/cleanup.h"
#include "policy/util/strutil.h"
#include "policy/zone.h"

#define PERMYRIAD 10000u
#define SLAB_SHARE_PERMYRIAD 2000u /* reclaimable slab above 20% of total is worth dropping */
#define THROTTLE_CUT_PERMYRIAD 1000u /* the throttle stage lowers memory.high by 10% */
#define NODE_LOW_PERMYRIAD 500u /* a node with < 5% free is short */
#define NODE_ROOMY_PERMYRIAD 2000u /* a node with >= 20% free can take pages */
#define COMPACT_MIN_FREE_BYTES (4ull << 20) /* less free: compaction has no room to work */
#define COMPACT_ORDER 2 /* order-2 (16 KiB: kernel stacks, skbs) is what seed 003 failed */

static const char *const stage_names[POL_STAGE__MAX] = {
	[POL_STAGE_NONE] = "none",	     [POL_STAGE_RECLAIM] = "reclaim",
	[POL_STAGE_THROTTLE] = "throttle",   [POL_STAGE_TERMINATE] = "terminate",
	[POL_STAGE_KILL] = "kill",
};

static const char *const section_names[POL_STAGE__MAX] = {
	[POL_STAGE_NONE] = "Guardian",	     [POL_STAGE_RECLAIM] = "Reclaim",
	[POL_STAGE_THROTTLE] = "Throttle",   [POL_STAGE_TERMINATE] = "Terminate",
	[POL_STAGE_KILL] = "Kill",
};

static const char *const action_names[POL_ACT__MAX] = {
	[POL_ACT_REPORT] = "report",
	[POL_ACT_OOM_SCORE_ADJ] = "oom_score_adj",
	[POL_ACT_DROP_SLAB] = "drop_slab",
	[POL_ACT_DROP_CACHES] = "drop_caches",
	[POL_ACT_COMPACT] = "compact",
	[POL_ACT_RECLAIM_CGROUP] = "reclaim_cgroup",
	[POL_ACT_THROTTLE] = "throttle",
	[POL_ACT_FREEZE] = "freeze",
	[POL_ACT_MIGRATE] = "migrate",
	[POL_ACT_TERM] = "term",
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

/* ------------------------------------------------------------------ small helpers */

static void appendf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void appendf(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strnlen(buf, size);
	va_list ap;

	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

/* snprintf that never warns about truncation: a cut reason is better than none. */
static void fmtbuf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fmtbuf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (size == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

/* "12.34%" from permyriad. */
static char *fmt_pct(char *buf, size_t size, uint64_t permyriad)
{
	fmtbuf(buf, size, "%llu.%02llu%%", (unsigned long long)(permyriad / 100),
		       (unsigned long long)(permyriad % 100));
	return buf;
}

static uint64_t share_permyriad(uint64_t part, uint64_t whole)
{
	if (whole == 0)
		return PERMYRIAD;
	if (part >= whole)
		return PERMYRIAD;
	/* part < whole <= 2^64: split to avoid overflow of part * 10000 on exabyte counters */
	if (part <= UINT64_MAX / PERMYRIAD)
		return part * PERMYRIAD / whole;
	return part / (whole / PERMYRIAD);
}

static uint64_t of_permyriad(uint64_t whole, uint64_t permyriad)
{
	if (whole <= UINT64_MAX / PERMYRIAD)
		return whole * permyriad / PERMYRIAD;
	return whole / PERMYRIAD * permyriad;
}

static uint64_t sat_sub(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

static void stage_rule(const struct pol_config *cfg, enum pol_stage stage, char *buf, size_t size)
{
	const struct pol_origin *o = &cfg->stage[stage].origin;

	buf[0] = '\0';
	if (o->path[0] && o->line)
		appendf(buf, size, "%s:%u [%s]", o->path, o->line, section_names[stage]);
	else if (o->path[0])
		appendf(buf, size, "%s [%s]", o->path, section_names[stage]);
	else
		appendf(buf, size, "oomguardian.conf [%s] (built-in default)", section_names[stage]);
}

static struct pol_action *plan_add(struct pol_plan *plan, enum pol_action_kind kind,
				   enum pol_stage stage)
{
	struct pol_action *a;

	if (plan->n >= POL_PLAN_MAX)
		return NULL;
	a = &plan->actions[plan->n++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->stage = stage;
	a->target.kind = POL_TGT_SYSTEM;
	a->target.node = -1;
	a->target.node_to = -1;
	return a;
}

static bool disruptive(enum pol_action_kind kind)
{
	return kind != POL_ACT_REPORT && kind != POL_ACT_OOM_SCORE_ADJ;
}

/* ------------------------------------------------------------------ measurements */

struct measure {
	uint64_t avail, total;
	uint64_t swap_total, swap_free;
	const struct og_psi *psi; /* NULL: no PSI */
	const char *scope; /* "" = machine */
	bool scoped_limit; /* total/avail come from the scope cgroup's limit */
	const char *avail_name; /* "MemAvailable" or "scope available" */
};

static void measure(const struct og_snapshot *s, const struct pol_rules *r,
		    const struct pol_ctx *ctx, struct measure *m)
{
	const struct og_cgroup *cg = &s->scope_cg;

	memset(m, 0, sizeof(*m));
	m->scope = r->cfg.scope[0] ? r->cfg.scope : s->scope;
	if (strcmp(m->scope, "/") == 0)
		m->scope = "";
	m->avail = s->mem.available_bytes;
	m->total = s->mem.total_bytes;
	m->avail_name = "MemAvailable";
	m->swap_total = s->mem.swap_total_bytes;
	m->swap_free = s->mem.swap_free_bytes;
	m->psi = s->psi.available ? &s->psi.memory : NULL;
	if (m->scope[0] && s->has_scope_cg) {
		if (cg->has_memory && cg->max_bytes != OG_UNLIMITED && cg->max_bytes > 0) {
			uint64_t used = cg->current_bytes < cg->max_bytes ? cg->current_bytes
									  : cg->max_bytes;
			uint64_t a = cg->max_bytes - used + cg->inactive_file_bytes +
				     cg->active_file_bytes / 2;

			if (a > cg->max_bytes)
				a = cg->max_bytes;
			if ((s->mem.has & OG_MI_AVAILABLE) && a > s->mem.available_bytes)
				a = s->mem.available_bytes;
			m->avail = a;
			m->total = cg->max_bytes;
			m->scoped_limit = true;
			m->avail_name = "scope available";
		}
		if (cg->has_psi)
			m->psi = &cg->psi;
	}
	if (ctx && ctx->total_bytes)
		m->total = ctx->total_bytes;
	if (m->avail > m->total)
		m->avail = m->total;
}

/* ------------------------------------------------------------------ stages */

struct trigger {
	bool fired;
	char metric[32];
	uint64_t measured, limit;
	char what[128]; /* "MemAvailable 1.20% (98.0M) < 2.50%" */
};

static bool mem_low(const struct pol_threshold *t, const struct measure *m, uint64_t margin_pm)
{
	uint64_t margin_bytes = of_permyriad(m->total, margin_pm);

	if (!t->mem_avail_permyriad && !t->mem_avail_bytes)
		return false;
	if (t->mem_avail_permyriad &&
	    share_permyriad(m->avail, m->total) >= t->mem_avail_permyriad + margin_pm)
		return false;
	if (t->mem_avail_bytes && m->avail >= t->mem_avail_bytes + margin_bytes)
		return false;
	if (t->swap_free_permyriad && m->swap_total > 0 &&
	    share_permyriad(m->swap_free, m->swap_total) >= t->swap_free_permyriad + margin_pm)
		return false;
	return true;
}

static uint32_t psi_avg10(const struct og_psi *psi, bool full)
{
	if (!psi)
		return 0;
	if (full)
		return psi->has_full ? psi->full.avg10_centi : 0;
	return psi->has_some ? psi->some.avg10_centi : 0;
}

/* Update an "above since" timer; true if the limit has held for its duration. */
static bool psi_timer(const struct pol_psi_limit *lim, const struct og_psi *psi, uint64_t now,
		      uint64_t *since)
{
	if (!lim->set || psi_avg10(psi, lim->full) <= lim->limit_centi) {
		*since = 0;
		return false;
	}
	if (*since == 0)
		*since = now;
	return now - *since >= lim->duration_usec;
}

static void describe_mem(const struct pol_threshold *t, const struct measure *m,
			 enum pol_stage stage, struct trigger *tr)
{
	char a[16], l[16], b[16];

	tr->fired = true;
	if (t->mem_avail_permyriad) {
		og_strscpy(tr->metric, "mem_available_permyriad", sizeof(tr->metric));
		tr->measured = share_permyriad(m->avail, m->total);
		tr->limit = t->mem_avail_permyriad;
		fmtbuf(tr->what, sizeof(tr->what), "%s %s (%s) < %s %s threshold",
			       m->avail_name, fmt_pct(a, sizeof(a), tr->measured),
			       og_format_bytes(b, sizeof(b), m->avail),
			       fmt_pct(l, sizeof(l), tr->limit), stage_names[stage]);
	} else {
		og_strscpy(tr->metric, "mem_available_bytes", sizeof(tr->metric));
		tr->measured = m->avail;
		tr->limit = t->mem_avail_bytes;
		fmtbuf(tr->what, sizeof(tr->what), "%s %s < %s %s threshold", m->avail_name,
			       og_format_bytes(a, sizeof(a), m->avail),
			       og_format_bytes(b, sizeof(b), t->mem_avail_bytes),
			       stage_names[stage]);
	}
}

static void describe_psi(const struct pol_psi_limit *lim, const struct measure *m,
			 enum pol_stage stage, struct trigger *tr)
{
	uint32_t v = psi_avg10(m->psi, lim->full);

	tr->fired = true;
	og_strscpy(tr->metric, lim->full ? "psi_full_avg10_centi" : "psi_some_avg10_centi",
		   sizeof(tr->metric));
	tr->measured = v;
	tr->limit = lim->limit_centi;
	fmtbuf(tr->what, sizeof(tr->what),
		       "memory PSI %s avg10 %u.%02u%% > %u.%02u%% for %llus (%s threshold)",
		       lim->full ? "full" : "some", v / 100, v % 100, lim->limit_centi / 100,
		       lim->limit_centi % 100,
		       (unsigned long long)(lim->duration_usec / 1000000), stage_names[stage]);
}

/* Evaluate every stage, update episodes; describe what holds the level. */
static enum pol_stage update_stages(const struct pol_rules *r, const struct measure *m,
				    struct pol_state *st, uint64_t now,
				    struct trigger tr[POL_STAGE__MAX])
{
	enum pol_stage level = POL_STAGE_NONE;

	for (int i = POL_STAGE_RECLAIM; i < POL_STAGE__MAX; i++) {
		const struct pol_threshold *t = &r->cfg.stage[i];
		struct pol_stage_state *ss = &st->stage[i];
		bool low = mem_low(t, m, 0);
		bool some = psi_timer(&t->psi_some, m->psi, now, &ss->psi_some_above_since_usec);
		bool full = psi_timer(&t->psi_full, m->psi, now, &ss->psi_full_above_since_usec);

		memset(&tr[i], 0, sizeof(tr[i]));
		if (low)
			describe_mem(t, m, i, &tr[i]);
		else if (full)
			describe_psi(&t->psi_full, m, i, &tr[i]);
		else if (some)
			describe_psi(&t->psi_some, m, i, &tr[i]);

		if (!ss->active && (low || some || full)) {
			ss->active = true;
			ss->since_usec = now;
			ss->acted = false;
			ss->no_victim_reported = false;
		} else if (ss->active && !low && !some && !full) {
			bool still = mem_low(t, m, r->cfg.hysteresis_permyriad) ||
				     (t->psi_some.set && ss->psi_some_above_since_usec) ||
				     (t->psi_full.set && ss->psi_full_above_since_usec);

			if (!still)
				ss->active = false;
			else if (!tr[i].fired && mem_low(t, m, r->cfg.hysteresis_permyriad))
				describe_mem(t, m, i, &tr[i]); /* held by hysteresis */
		}
		if (ss->active)
			level = i;
	}
	st->level = level;
	return level;
}

/* Bytes to free to bring available above the stage's thresholds plus hysteresis; 0: unknown. */
static uint64_t needed_bytes(const struct pol_rules *r, const struct measure *m,
			     enum pol_stage stage)
{
	const struct pol_threshold *t = &r->cfg.stage[stage];
	uint64_t hyst = of_permyriad(m->total, r->cfg.hysteresis_permyriad);
	uint64_t need = 0;

	if (t->mem_avail_permyriad)
		need = sat_sub(of_permyriad(m->total, t->mem_avail_permyriad) + hyst, m->avail);
	if (t->mem_avail_bytes) {
		uint64_t nb = sat_sub(t->mem_avail_bytes + hyst, m->avail);

		/* both set: the lower threshold binds, so clearing it is enough */
		need = t->mem_avail_permyriad ? (nb < need ? nb : need) : nb;
	}
	return need;
}

/* ------------------------------------------------------------------ victims in flight */

static bool proc_dead(const struct og_proc *p)
{
	return p->state == 'Z' || p->state == 'X' || p->state == 'x';
}

static bool victim_alive(const struct og_snapshot *s, const struct pol_victim_rec *v)
{
	for (size_t i = 0; i < s->nprocs; i++) {
		const struct og_proc *p = &s->procs[i];

		if (proc_dead(p))
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
			if (pol_in_scope(v->target.cgroup, p->cgroup))
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

static void victims_update(const struct og_snapshot *s, const struct pol_rules *r,
			   struct pol_state *st, enum pol_stage level, uint64_t now,
			   struct pol_plan *plan)
{
	size_t j = 0;

	for (size_t i = 0; i < st->nvictims; i++) {
		struct pol_victim_rec *v = &st->victims[i];
		struct pol_action *a;

		if (s->nprocs > 0 && !victim_alive(s, v))
			continue; /* gone: forget it, it no longer blocks */
		if (v->kind == POL_ACT_TERM && !v->escalated &&
		    (now - v->signalled_at_usec >= v->grace_usec || level >= POL_STAGE_KILL) &&
		    (a = plan_add(plan, POL_ACT_KILL, level >= POL_STAGE_KILL ? POL_STAGE_KILL
									: v->stage))) {
			a->target = v->target;
			og_strscpy(a->rule, v->rule, sizeof(a->rule));
			og_strscpy(a->metric, "term_grace_usec", sizeof(a->metric));
			a->measured = now - v->signalled_at_usec;
			a->limit = v->grace_usec;
			if (now - v->signalled_at_usec >= v->grace_usec)
				fmtbuf(a->reason, sizeof(a->reason),
					       "%s pid %d did not exit within its %llu.%llus SIGTERM "
					       "grace: escalating to SIGKILL",
					       v->target.comm, (int)v->target.pid,
					       (unsigned long long)(v->grace_usec / 1000000),
					       (unsigned long long)(v->grace_usec % 1000000 / 100000));
			else
				fmtbuf(a->reason, sizeof(a->reason),
					       "memory reached the kill stage while %s pid %d was "
					       "in its SIGTERM grace (%llums left): escalating to "
					       "SIGKILL",
					       v->target.comm, (int)v->target.pid,
					       (unsigned long long)((v->grace_usec -
								     (now - v->signalled_at_usec)) /
								    1000));
			v->kind = POL_ACT_KILL;
			v->escalated = true;
			v->signalled_at_usec = now;
			v->blocking = true;
		} else if (v->kind == POL_ACT_KILL && v->blocking &&
			   now - v->signalled_at_usec >= r->cfg.kill_timeout_usec) {
			v->blocking = false; /* stuck (D state?): stop waiting, never signal again */
		}
		if (j != i)
			st->victims[j] = *v;
		j++;
	}
	st->nvictims = j;
}

static void victim_record(struct pol_state *st, const struct pol_action *a, uint64_t now,
			  uint64_t grace, const char *service)
{
	struct pol_victim_rec *v;

	if (st->nvictims == POL_VICTIMS_MAX) {
		size_t old = 0;

		/* evict the oldest non-blocking one (at most one victim blocks at a time) */
		for (size_t i = 0; i < st->nvictims; i++)
			if (!st->victims[i].blocking &&
			    (st->victims[old].blocking ||
			     st->victims[i].signalled_at_usec < st->victims[old].signalled_at_usec))
				old = i;
		memmove(&st->victims[old], &st->victims[old + 1],
			(st->nvictims - old - 1) * sizeof(st->victims[0]));
		st->nvictims--;
	}
	v = &st->victims[st->nvictims++];
	memset(v, 0, sizeof(*v));
	v->target = a->target;
	v->kind = a->kind;
	v->stage = a->stage;
	v->signalled_at_usec = now;
	v->grace_usec = grace;
	v->escalated = a->kind == POL_ACT_KILL;
	v->blocking = true;
	og_strscpy(v->rule, a->rule, sizeof(v->rule));
	og_strscpy(v->service, service, sizeof(v->service));
}

/* ------------------------------------------------------------------ choosing and signalling */

static const char *tier_text(const struct pol_candidate *c, uint64_t needed, char *buf,
			     size_t size)
{
	const char *who = c->rule[0] ? c->rule : c->service;
	char n[16];

	buf[0] = '\0';
	switch (c->tier) {
	case POL_TIER_PREFER:
		appendf(buf, size, "preferred by policy %s", who);
		break;
	case POL_TIER_OVER_BUDGET:
		appendf(buf, size, "its service %s is over its budget or pressure limit",
			c->service);
		break;
	case POL_TIER_AVOID_NEEDED:
		appendf(buf, size, "avoided by %s, but no other candidate frees the needed %s", who,
			og_format_bytes(n, sizeof(n), needed));
		break;
	case POL_TIER_AVOID:
		appendf(buf, size, "avoided by %s, no other candidate left", who);
		break;
	default:
		if (c->service[0])
			appendf(buf, size, "largest candidate (policy %s)", who);
		else
			appendf(buf, size, "largest candidate");
		break;
	}
	return buf;
}

static const char *unit_text(const struct pol_candidate *c, char *buf, size_t size)
{
	buf[0] = '\0';
	if (c->target.kind == POL_TGT_PROCESS_GROUP)
		appendf(buf, size, "process group %d, anon+swap", (int)c->target.pgid);
	else if (c->target.kind == POL_TGT_CGROUP)
		appendf(buf, size, "cgroup '%s', current-file+swap", c->target.cgroup);
	else
		appendf(buf, size, "anon+swap");
	return buf;
}

struct why {
	enum pol_stage stage;
	const char *rule;
	const char *metric;
	uint64_t measured, limit;
	const char *text;
};

/* Plan TERM (grace > 0 and !kill_now) or KILL for the best candidate, remember it. */
static void plan_signal(struct pol_plan *plan, struct pol_state *st, const struct pol_rules *r,
			const struct og_snapshot *s, const struct pol_candidate *c, bool kill_now,
			uint64_t needed, const struct why *w, uint64_t now)
{
	const struct og_proc *p = &s->procs[c->proc_index];
	const struct pol_service *svc = pol_service_for(r, p);
	uint64_t grace = svc ? svc->term_grace_usec : r->cfg.default_term_grace_usec;
	enum pol_action_kind kind = kill_now || grace == 0 ? POL_ACT_KILL : POL_ACT_TERM;
	struct pol_action *a = plan_add(plan, kind, w->stage);
	char f[16], t[160], u[96];

	if (!a)
		return;
	a->target = c->target;
	a->value = kind == POL_ACT_TERM ? grace : 0;
	og_strscpy(a->rule, w->rule, sizeof(a->rule));
	og_strscpy(a->metric, w->metric, sizeof(a->metric));
	a->measured = w->measured;
	a->limit = w->limit;
	fmtbuf(a->reason, sizeof(a->reason), "%s; victim %s pid %d frees ~%s (%s), %s",
		       w->text, c->target.comm, (int)c->target.pid,
		       og_format_bytes(f, sizeof(f), c->free_bytes), unit_text(c, u, sizeof(u)),
		       tier_text(c, needed, t, sizeof(t)));
	victim_record(st, a, now, grace, c->service);
}

static void copy_top(struct pol_plan *plan, const struct pol_candidate *top, size_t n)
{
	plan->ntop = n < POL_TOP_MAX ? n : POL_TOP_MAX;
	memcpy(plan->top, top, plan->ntop * sizeof(top[0]));
}

static void fill_opts(const struct og_snapshot *s, const struct pol_state *st,
		      const struct pol_ctx *ctx, const struct measure *m,
		      struct pol_victim_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->self_pid = ctx ? ctx->self_pid : 0;
	o->scope = m->scope;
	o->inflight = st->victims;
	o->ninflight = st->nvictims;
	o->over_budget = st->nsvc ? st->over_budget : NULL;
	o->total_bytes = s->mem.total_bytes;
}

/* Terminate/kill level: one victim. Returns true if a victim was signalled. */
static bool plan_ladder_victim(const struct og_snapshot *s, const struct pol_rules *r,
			       struct pol_state *st, const struct pol_ctx *ctx,
			       const struct measure *m, enum pol_stage level,
			       const struct trigger *tr, uint64_t now, struct pol_plan *plan)
{
	struct pol_candidate top[POL_TOP_MAX];
	struct pol_victim_opts o;
	struct pol_stage_state *ss = &st->stage[level];
	char rule[POL_PATH_MAX + 32], held[96];
	struct why w = { .stage = level, .rule = rule, .metric = tr->metric,
			 .measured = tr->measured, .limit = tr->limit, .text = tr->what };
	size_t n;

	stage_rule(&r->cfg, level, rule, sizeof(rule));
	if (!tr->fired) {
		fmtbuf(held, sizeof(held), "the %s stage is still active (hysteresis)",
			       stage_names[level]);
		w.text = held;
		w.metric = "stage";
	}
	fill_opts(s, st, ctx, m, &o);
	o.needed_bytes = needed_bytes(r, m, level);
	n = pol_victims(s, r, &o, top, POL_TOP_MAX);
	copy_top(plan, top, n);
	if (n == 0) {
		struct pol_action *a;

		if (ss->no_victim_reported || s->nprocs == 0)
			return false;
		a = plan_add(plan, POL_ACT_REPORT, level);
		if (!a)
			return false;
		ss->no_victim_reported = true;
		og_strscpy(a->rule, rule, sizeof(a->rule));
		og_strscpy(a->metric, w.metric, sizeof(a->metric));
		a->measured = w.measured;
		a->limit = w.limit;
		fmtbuf(a->reason, sizeof(a->reason),
			       "%s; no process may be killed (all protected, never, outside the "
			       "scope or already signalled)",
			       w.text);
		return false;
	}
	ss->acted = true;
	plan_signal(plan, st, r, s, &top[0], level >= POL_STAGE_KILL, o.needed_bytes, &w, now);
	return true;
}

/* ------------------------------------------------------------------ services */

static const struct og_cgroup *cgroup_by_path(const struct og_snapshot *s, const char *path)
{
	for (size_t i = 0; i < s->ncgroups; i++)
		if (strcmp(s->cgroups[i].path, path) == 0)
			return &s->cgroups[i];
	return NULL;
}

static const struct og_cgroup *proc_cgroup(const struct og_snapshot *s, const struct og_proc *p)
{
	const struct og_cgroup *cg = cgroup_by_path(s, p->cgroup);

	if (!cg && p->memcg_v1[0])
		cg = cgroup_by_path(s, p->memcg_v1);
	return cg;
}

static uint64_t svc_budget(const struct og_snapshot *s, const struct pol_service *svc)
{
	if (svc->budget_bytes)
		return svc->budget_bytes;
	if (svc->budget_permyriad)
		return of_permyriad(s->mem.total_bytes, svc->budget_permyriad);
	return 0;
}

/* The service's own cgroup: its largest process's, if that is neither the root nor (a parent
 * of) the scope and holds no protected process. NULL otherwise. */
static const char *svc_cgroup(const struct og_snapshot *s, const struct pol_rules *r,
			      const struct pol_svc_state *ss, const char *scope)
{
	const struct og_proc *p;

	if (ss->top_proc == (size_t)-1)
		return NULL;
	p = &s->procs[ss->top_proc];
	if (!p->cgroup[0] || strcmp(p->cgroup, "/") == 0)
		return NULL;
	if (scope[0] && (!pol_in_scope(scope, p->cgroup) || pol_in_scope(p->cgroup, scope)))
		return NULL;
	for (size_t i = 0; i < s->nprocs; i++) {
		struct pol_proc_policy pp;

		if (strcmp(s->procs[i].cgroup, p->cgroup) != 0)
			continue;
		pol_policy_for(r, &s->procs[i], &pp);
		if (pp.protect)
			return NULL;
	}
	return p->cgroup;
}

static void services_update(const struct og_snapshot *s, const struct pol_rules *r,
			    struct pol_state *st, uint64_t now)
{
	for (size_t i = 0; i < st->nsvc; i++) {
		st->svc[i].usage_bytes = 0;
		st->svc[i].nprocs = 0;
		st->svc[i].top_proc = (size_t)-1;
	}
	for (size_t i = 0; i < s->nprocs && st->nsvc; i++) {
		const struct og_proc *p = &s->procs[i];
		size_t k = pol_service_index(r, pol_service_for(r, p));
		struct pol_svc_state *ss;

		if (k == (size_t)-1 || k >= st->nsvc || proc_dead(p))
			continue;
		ss = &st->svc[k];
		ss->usage_bytes += pol_proc_freeable(p);
		ss->nprocs++;
		if (ss->top_proc == (size_t)-1 ||
		    pol_proc_freeable(p) > pol_proc_freeable(&s->procs[ss->top_proc]))
			ss->top_proc = i;
	}
	for (size_t i = 0; i < st->nsvc; i++) {
		const struct pol_service *svc = &r->services[i];
		struct pol_svc_state *ss = &st->svc[i];
		uint64_t budget = svc_budget(s, svc);
		const struct og_cgroup *cg = NULL;
		bool psi_fired;

		if (s->nprocs == 0)
			continue; /* memory-only snapshot: keep what we knew */
		if (budget && ss->usage_bytes > budget) {
			if (!ss->over_budget) {
				ss->over_budget = true;
				ss->over_since_usec = now;
				ss->budget_acted = false;
			}
		} else if (ss->over_budget &&
			   ss->usage_bytes <
				   budget - of_permyriad(budget, r->cfg.hysteresis_permyriad)) {
			ss->over_budget = false;
		} else if (!budget) {
			ss->over_budget = false;
		}
		if (ss->top_proc != (size_t)-1)
			cg = proc_cgroup(s, &s->procs[ss->top_proc]);
		psi_fired = psi_timer(&svc->pressure_limit, cg && cg->has_psi ? &cg->psi : NULL,
				      now, &ss->psi_above_since_usec);
		if (ss->psi_above_since_usec == 0)
			ss->psi_acted = false;
		st->over_budget[i] = ss->over_budget || psi_fired;
	}
}

static struct pol_action *svc_action(struct pol_plan *plan, const struct pol_service *svc,
				     enum pol_action_kind kind, const char *cgroup)
{
	struct pol_action *a = plan_add(plan, kind, POL_STAGE_NONE);

	if (!a)
		return NULL;
	og_strscpy(a->rule, svc->origin.path[0] ? svc->origin.path : svc->name, sizeof(a->rule));
	if (cgroup) {
		a->target.kind = POL_TGT_CGROUP;
		og_strscpy(a->target.cgroup, cgroup, sizeof(a->target.cgroup));
	}
	return a;
}

static const char *on_budget_name(enum pol_on_budget ob)
{
	switch (ob) {
	case POL_OB_RECLAIM:
		return "reclaim";
	case POL_OB_THROTTLE:
		return "throttle";
	case POL_OB_KILL:
		return "kill";
	default:
		return "report";
	}
}

/* Kill the service's own best victim. true if signalled. */
static bool svc_victim(const struct og_snapshot *s, const struct pol_rules *r,
		       struct pol_state *st, const struct pol_ctx *ctx, const struct measure *m,
		       const struct pol_service *svc, const struct why *w, uint64_t now,
		       struct pol_plan *plan)
{
	struct pol_candidate top[1];
	struct pol_victim_opts o;

	fill_opts(s, st, ctx, m, &o);
	o.only_svc = svc;
	if (pol_victims(s, r, &o, top, 1) == 0)
		return false;
	plan_signal(plan, st, r, s, &top[0], false, 0, w, now);
	return true;
}

/* OnBudget= for one over-budget service. Returns true if it planned a victim. */
static bool plan_budget(const struct og_snapshot *s, const struct pol_rules *r,
			struct pol_state *st, const struct pol_ctx *ctx, const struct measure *m,
			size_t i, bool may_kill, uint64_t now, struct pol_plan *plan)
{
	const struct pol_service *svc = &r->services[i];
	struct pol_svc_state *ss = &st->svc[i];
	uint64_t budget = svc_budget(s, svc), over = sat_sub(ss->usage_bytes, budget);
	const char *cg = svc_cgroup(s, r, ss, m->scope);
	enum pol_on_budget ob = svc->protect ? POL_OB_REPORT : svc->on_budget;
	char u[16], b[16], text[160];
	struct why w = { .stage = POL_STAGE_NONE, .rule = svc->origin.path, .metric = "budget_bytes",
			 .measured = ss->usage_bytes, .limit = budget, .text = text };
	struct pol_action *a;
	bool killed = false;

	fmtbuf(text, sizeof(text), "service %s uses %s (anon+swap of %u processes) > "
		       "MemoryBudget %s, OnBudget=%s",
		       svc->name, og_format_bytes(u, sizeof(u), ss->usage_bytes), ss->nprocs,
		       og_format_bytes(b, sizeof(b), budget), on_budget_name(svc->on_budget));
	if ((ob == POL_OB_RECLAIM || ob == POL_OB_THROTTLE) && !cg)
		ob = POL_OB_REPORT; /* no cgroup of its own: cannot reclaim or throttle it alone */
	if (ob == POL_OB_KILL) {
		if (!may_kill)
			return false; /* wait for the step that may kill; budget_acted stays false */
		killed = svc_victim(s, r, st, ctx, m, svc, &w, now, plan);
		ob = POL_OB_REPORT;
		if (killed) {
			ss->budget_acted = true;
			return true;
		}
	}
	a = svc_action(plan, svc,
		       ob == POL_OB_RECLAIM	? POL_ACT_RECLAIM_CGROUP
		       : ob == POL_OB_THROTTLE ? POL_ACT_THROTTLE
					       : POL_ACT_REPORT,
		       cg);
	if (!a)
		return false;
	ss->budget_acted = true;
	og_strscpy(a->metric, "budget_bytes", sizeof(a->metric));
	a->measured = ss->usage_bytes;
	a->limit = budget;
	if (ob == POL_OB_RECLAIM) {
		a->value = over;
		a->target.expected_free_bytes = over;
		fmtbuf(a->reason, sizeof(a->reason), "%s: reclaiming the %s overshoot",
			       text, og_format_bytes(u, sizeof(u), over));
	} else if (ob == POL_OB_THROTTLE) {
		const struct og_cgroup *c = cgroup_by_path(s, cg);
		uint64_t cur = c && c->has_memory ? c->current_bytes : ss->usage_bytes;

		a->value = cur > over && cur - over >= budget ? cur - over : budget;
		ss->throttled = true;
		ss->throttle_by_budget = true;
		ss->throttle_bytes = a->value;
		og_strscpy(ss->throttle_cgroup, cg, sizeof(ss->throttle_cgroup));
		fmtbuf(a->reason, sizeof(a->reason), "%s: memory.high of '%s' set to %s",
			       text, cg, og_format_bytes(u, sizeof(u), a->value));
	} else {
		fmtbuf(a->reason, sizeof(a->reason), "%s%s", text,
			       svc->protect ? " (protected: report only)" : "");
	}
	return false;
}

/* PressureLimit= held for its duration: like systemd-oomd, the service's victim goes. */
static bool plan_svc_pressure(const struct og_snapshot *s, const struct pol_rules *r,
			      struct pol_state *st, const struct pol_ctx *ctx,
			      const struct measure *m, size_t i, bool may_kill, uint64_t now,
			      struct pol_plan *plan)
{
	const struct pol_service *svc = &r->services[i];
	struct pol_svc_state *ss = &st->svc[i];
	const struct pol_psi_limit *lim = &svc->pressure_limit;
	const struct og_cgroup *cg = ss->top_proc != (size_t)-1
					     ? proc_cgroup(s, &s->procs[ss->top_proc])
					     : NULL;
	uint32_t v = cg && cg->has_psi ? psi_avg10(&cg->psi, lim->full) : 0;
	char text[160];
	struct why w = { .stage = POL_STAGE_NONE, .rule = svc->origin.path,
			 .metric = lim->full ? "psi_full_avg10_centi" : "psi_some_avg10_centi",
			 .measured = v, .limit = lim->limit_centi, .text = text };
	struct pol_action *a;

	fmtbuf(text, sizeof(text),
		       "service %s memory PSI %s avg10 %u.%02u%% > PressureLimit %u.%02u%% for %llus",
		       svc->name, lim->full ? "full" : "some", v / 100, v % 100,
		       lim->limit_centi / 100, lim->limit_centi % 100,
		       (unsigned long long)(lim->duration_usec / 1000000));
	if (!svc->protect) {
		if (!may_kill)
			return false;
		if (svc_victim(s, r, st, ctx, m, svc, &w, now, plan)) {
			ss->psi_acted = true;
			return true;
		}
	}
	a = svc_action(plan, svc, POL_ACT_REPORT, NULL);
	if (!a)
		return false;
	ss->psi_acted = true;
	og_strscpy(a->metric, w.metric, sizeof(a->metric));
	a->measured = v;
	a->limit = lim->limit_centi;
	fmtbuf(a->reason, sizeof(a->reason), "%s%s", text,
		       svc->protect ? " (protected: report only)" : ": no victim may be killed");
	return false;
}

static bool plan_services(const struct og_snapshot *s, const struct pol_rules *r,
			  struct pol_state *st, const struct pol_ctx *ctx, const struct measure *m,
			  bool may_kill, uint64_t now, struct pol_plan *plan)
{
	bool killed = false;

	for (size_t i = 0; i < st->nsvc && s->nprocs; i++) {
		struct pol_svc_state *ss = &st->svc[i];

		if (ss->psi_above_since_usec && !ss->psi_acted && st->over_budget[i] &&
		    now - ss->psi_above_since_usec >= r->services[i].pressure_limit.duration_usec)
			killed |= plan_svc_pressure(s, r, st, ctx, m, i, may_kill && !killed, now,
						    plan);
		else if (ss->over_budget && !ss->budget_acted)
			killed |= plan_budget(s, r, st, ctx, m, i, may_kill && !killed, now, plan);
	}
	return killed;
}

/* ------------------------------------------------------------------ throttle */

static void lift_throttles(struct pol_state *st, const struct pol_rules *r, enum pol_stage level,
			   struct pol_plan *plan)
{
	if (level >= POL_STAGE_THROTTLE)
		return;
	for (size_t i = 0; i < st->nsvc; i++) {
		struct pol_svc_state *ss = &st->svc[i];
		struct pol_action *a;

		if (!ss->throttled || ss->throttle_by_budget)
			continue;
		a = svc_action(plan, &r->services[i], POL_ACT_THROTTLE, ss->throttle_cgroup);
		if (!a)
			return;
		a->value = OG_UNLIMITED;
		og_strscpy(a->metric, "memory_high_bytes", sizeof(a->metric));
		a->measured = ss->throttle_bytes;
		a->limit = OG_UNLIMITED;
		fmtbuf(a->reason, sizeof(a->reason),
			       "the throttle stage cleared: lifting memory.high of '%s' (service %s)",
			       ss->throttle_cgroup, ss->name);
		ss->throttled = false;
	}
}

static void plan_throttle(const struct og_snapshot *s, const struct pol_rules *r,
			  struct pol_state *st, const struct measure *m, const struct trigger *tr,
			  struct pol_plan *plan)
{
	size_t best = (size_t)-1;
	const char *best_cg = NULL;
	struct pol_action *a;
	const struct og_cgroup *c;
	uint64_t cur;
	char rule[POL_PATH_MAX + 32], b[16];

	for (size_t i = 0; i < st->nsvc; i++) {
		const struct pol_service *svc = &r->services[i];
		struct pol_svc_state *ss = &st->svc[i];
		const char *cg;

		if (!svc->throttle || svc->protect || ss->throttled || ss->usage_bytes == 0)
			continue;
		cg = svc_cgroup(s, r, ss, m->scope);
		if (!cg)
			continue;
		if (best != (size_t)-1) {
			bool ob = st->over_budget[i], bob = st->over_budget[best];

			if (ob != bob ? !ob : ss->usage_bytes <= st->svc[best].usage_bytes)
				continue;
		}
		best = i;
		best_cg = cg;
	}
	if (best == (size_t)-1)
		return;
	c = cgroup_by_path(s, best_cg);
	cur = c && c->has_memory ? c->current_bytes : st->svc[best].usage_bytes;
	a = plan_add(plan, POL_ACT_THROTTLE, POL_STAGE_THROTTLE);
	if (!a)
		return;
	stage_rule(&r->cfg, POL_STAGE_THROTTLE, rule, sizeof(rule));
	og_strscpy(a->rule, rule, sizeof(a->rule));
	a->target.kind = POL_TGT_CGROUP;
	og_strscpy(a->target.cgroup, best_cg, sizeof(a->target.cgroup));
	a->value = cur - of_permyriad(cur, THROTTLE_CUT_PERMYRIAD);
	og_strscpy(a->metric, tr->metric[0] ? tr->metric : "stage", sizeof(a->metric));
	a->measured = tr->measured;
	a->limit = tr->limit;
	fmtbuf(a->reason, sizeof(a->reason),
		       "%s; throttling service %s (Throttle=yes%s): memory.high of '%s' to %s "
		       "(current - 10%%)",
		       tr->what[0] ? tr->what : "the throttle stage is active",
		       r->services[best].name, st->over_budget[best] ? ", over budget" : "",
		       best_cg, og_format_bytes(b, sizeof(b), a->value));
	st->svc[best].throttled = true;
	st->svc[best].throttle_by_budget = false;
	st->svc[best].throttle_bytes = a->value;
	og_strscpy(st->svc[best].throttle_cgroup, best_cg, sizeof(st->svc[best].throttle_cgroup));
	st->stage[POL_STAGE_THROTTLE].acted = true;
}

/* ------------------------------------------------------------------ reclaim */

static const struct og_slab *largest_reclaimable_slab(const struct og_snapshot *s)
{
	const struct og_slab *best = NULL;

	for (size_t i = 0; i < s->nslabs; i++) {
		const struct og_slab *sl = &s->slabs[i];

		if (sl->has_reclaim_flag && !sl->reclaimable)
			continue;
		if (!best || sl->total_bytes > best->total_bytes)
			best = sl;
	}
	return best;
}

/* Reclaimable slab above SLAB_SHARE of total: drop it (once per episode). */
static bool plan_slab(const struct og_snapshot *s, const struct pol_rules *r,
		      struct pol_state *st, const struct measure *m, enum pol_stage level,
		      const struct trigger *tr, struct pol_plan *plan)
{
	const struct og_slab *big = largest_reclaimable_slab(s);
	uint64_t slab, share;
	struct pol_action *a;
	char rule[POL_PATH_MAX + 32], b[16], p[16], bb[16], extra[112] = "";

	if (st->slab_dropped)
		return false;
	if (m->scoped_limit)
		slab = s->scope_cg.slab_reclaimable_bytes;
	else if (s->mem.has & OG_MI_SRECLAIMABLE)
		slab = s->mem.sreclaimable_bytes;
	else
		return false;
	share = share_permyriad(slab, m->total);
	if (share <= SLAB_SHARE_PERMYRIAD)
		return false;
	a = plan_add(plan, m->scoped_limit ? POL_ACT_RECLAIM_CGROUP : POL_ACT_DROP_SLAB,
		     POL_STAGE_RECLAIM);
	if (!a)
		return false;
	st->slab_dropped = true;
	st->stage[POL_STAGE_RECLAIM].acted = true;
	stage_rule(&r->cfg, POL_STAGE_RECLAIM, rule, sizeof(rule));
	og_strscpy(a->rule, rule, sizeof(a->rule));
	og_strscpy(a->metric, "slab_reclaimable_permyriad", sizeof(a->metric));
	a->measured = share;
	a->limit = SLAB_SHARE_PERMYRIAD;
	a->value = slab;
	a->target.expected_free_bytes = slab;
	if (m->scoped_limit) {
		a->target.kind = POL_TGT_CGROUP;
		og_strscpy(a->target.cgroup, m->scope, sizeof(a->target.cgroup));
	}
	if (big && big->total_bytes)
		fmtbuf(extra, sizeof(extra), ", largest reclaimable cache %s %s",
			       big->name, og_format_bytes(bb, sizeof(bb), big->total_bytes));
	fmtbuf(a->reason, sizeof(a->reason),
		       "%s; %s %s is %s of %s (> 20%%)%s: dropping reclaimable slab before any "
		       "kill (level %s)",
		       tr->what[0] ? tr->what : "memory is low",
		       m->scoped_limit ? "scope slab_reclaimable" : "SReclaimable",
		       og_format_bytes(b, sizeof(b), slab), fmt_pct(p, sizeof(p), share),
		       m->scoped_limit ? "the scope limit" : "MemTotal", extra, stage_names[level]);
	return true;
}

static void plan_reclaim_report(const struct pol_rules *r, struct pol_state *st,
				const struct measure *m, const struct trigger *tr,
				struct pol_plan *plan)
{
	struct pol_stage_state *ss = &st->stage[POL_STAGE_RECLAIM];
	uint64_t need = needed_bytes(r, m, POL_STAGE_RECLAIM);
	bool cg = m->scoped_limit && need > 0;
	struct pol_action *a;
	char rule[POL_PATH_MAX + 32], b[16];

	if (ss->acted)
		return;
	a = plan_add(plan, cg ? POL_ACT_RECLAIM_CGROUP : POL_ACT_REPORT, POL_STAGE_RECLAIM);
	if (!a)
		return;
	ss->acted = true;
	stage_rule(&r->cfg, POL_STAGE_RECLAIM, rule, sizeof(rule));
	og_strscpy(a->rule, rule, sizeof(a->rule));
	og_strscpy(a->metric, tr->metric[0] ? tr->metric : "stage", sizeof(a->metric));
	a->measured = tr->measured;
	a->limit = tr->limit;
	if (cg) {
		a->target.kind = POL_TGT_CGROUP;
		og_strscpy(a->target.cgroup, m->scope, sizeof(a->target.cgroup));
		a->value = need;
		a->target.expected_free_bytes = need;
		fmtbuf(a->reason, sizeof(a->reason),
			       "%s; asking the scope '%s' to reclaim %s", tr->what, m->scope,
			       og_format_bytes(b, sizeof(b), need));
	} else {
		fmtbuf(a->reason, sizeof(a->reason),
			       "%s; reclaimable slab is small, nothing to drop: the kernel is "
			       "reclaiming, watching",
			       tr->what[0] ? tr->what : "the reclaim stage is active");
	}
}

/* ------------------------------------------------------------------ fragmentation, NUMA */

static int zone_kind(const char *name)
{
	static const char *const kinds[] = { "DMA", "DMA32", "Normal", "Movable" };

	for (size_t i = 0; i < OG_ELEMENTSOF(kinds); i++)
		if (strcmp(name, kinds[i]) == 0)
			return (int)i;
	return 4;
}

/* True if z has free memory but no free block of order >= COMPACT_ORDER (seed 003). */
static bool zone_fragmented(const struct og_snapshot *s, const struct og_zone *z)
{
	uint64_t page = s->page_size ? s->page_size : 4096;
	uint64_t free_bytes;

	if (strcmp(z->name, "DMA") == 0 || z->norders <= COMPACT_ORDER)
		return false; /* the 16 MiB ISA zone is reserved for DMA; not our business */
	if (og_zone_largest_free_order(z) >= COMPACT_ORDER)
		return false;
	free_bytes = z->has_zoneinfo ? z->free_bytes : og_zone_free_pages(z) * page;
	if (free_bytes < COMPACT_MIN_FREE_BYTES)
		return false;
	return !z->has_zoneinfo || free_bytes > z->min_bytes;
}

static bool zone_key(const struct og_zone *z, size_t *ret)
{
	size_t k;

	if (z->node < 0 || z->node >= OG_NODES_MAX)
		return false;
	k = (size_t)z->node * 5 + (size_t)zone_kind(z->name);
	if (k >= OG_ZONES_MAX)
		return false;
	*ret = k;
	return true;
}

static void plan_compact(const struct og_snapshot *s, struct pol_state *st, bool allowed,
			 struct pol_plan *plan)
{
	bool planned = false;

	for (size_t i = 0; i < s->nzones && i < OG_ZONES_MAX; i++) {
		const struct og_zone *z = &s->zones[i];
		struct pol_action *a;
		size_t k;
		char b[16];

		if (!zone_key(z, &k))
			continue;
		if (!zone_fragmented(s, z)) {
			st->zone_compacted[k] = false;
			continue;
		}
		if (!allowed || planned || st->zone_compacted[k])
			continue;
		a = plan_add(plan, POL_ACT_COMPACT, POL_STAGE_RECLAIM);
		if (!a)
			return;
		planned = true;
		st->zone_compacted[k] = true;
		a->target.kind = POL_TGT_NODE;
		a->target.node = z->node;
		og_strscpy(a->rule, "oomguardian.conf [Reclaim] (fragmentation)", sizeof(a->rule));
		og_strscpy(a->metric, "zone_free_order2_blocks", sizeof(a->metric));
		a->measured = 0;
		a->limit = 1;
		fmtbuf(a->reason, sizeof(a->reason),
			       "node %d zone %s has %s free but no free block of order >= %d "
			       "(largest order %d): an order-%d allocation would fail, compacting "
			       "node %d",
			       z->node, z->name,
			       og_format_bytes(b, sizeof(b),
					       z->has_zoneinfo ? z->free_bytes
							       : og_zone_free_pages(z) *
									 (s->page_size ? s->page_size
										       : 4096)),
			       COMPACT_ORDER, og_zone_largest_free_order(z), COMPACT_ORDER, z->node);
	}
}

static bool node_has_fragmented_zone(const struct og_snapshot *s, int node)
{
	for (size_t i = 0; i < s->nzones; i++)
		if (s->zones[i].node == node && zone_fragmented(s, &s->zones[i]))
			return true;
	return false;
}

static bool node_short(const struct og_snapshot *s, const struct og_numa_node *n)
{
	return share_permyriad(n->free_bytes, n->total_bytes) < NODE_LOW_PERMYRIAD ||
	       node_has_fragmented_zone(s, n->id);
}

/* The largest NUMA=yes, unprotected, signallable process in scope: index or (size_t)-1. */
static size_t numa_candidate(const struct og_snapshot *s, const struct pol_rules *r,
			     const struct pol_state *st, const struct pol_ctx *ctx,
			     const struct measure *m)
{
	struct pol_victim_opts o;
	size_t best = (size_t)-1;

	fill_opts(s, st, ctx, m, &o);
	for (size_t i = 0; i < s->nprocs; i++) {
		const struct og_proc *p = &s->procs[i];
		struct pol_proc_policy pp;

		pol_policy_for(r, p, &pp);
		if (!pp.svc || !pp.svc->numa || pp.protect || p->rss_anon_bytes == 0)
			continue;
		/* eligibility as a victim, minus the kill preference: NUMA is no kill */
		pp.kill_pref = POL_KP_DEFAULT;
		if (!pol_victim_eligible(s, p, &pp, &o))
			continue;
		if (best == (size_t)-1 || p->rss_anon_bytes > s->procs[best].rss_anon_bytes)
			best = i;
	}
	return best;
}

static void plan_migrate(const struct og_snapshot *s, const struct pol_rules *r,
			 struct pol_state *st, const struct pol_ctx *ctx, const struct measure *m,
			 bool allowed, struct pol_plan *plan)
{
	const struct og_numa_node *from = NULL, *to = NULL;
	struct pol_action *a;
	const struct og_proc *p;
	uint64_t room, move;
	size_t pi;
	char b[16], f[16], t[16];

	if (s->nnodes < 2)
		return;
	for (size_t i = 0; i < s->nnodes; i++) {
		const struct og_numa_node *n = &s->nodes[i];
		bool sh = node_short(s, n);

		if (n->id >= 0 && n->id < OG_NODES_MAX && !sh)
			st->node_migrated[n->id] = false;
		if (sh && !from && n->id >= 0 && n->id < OG_NODES_MAX && !st->node_migrated[n->id])
			from = n;
		if (!sh && share_permyriad(n->free_bytes, n->total_bytes) >= NODE_ROOMY_PERMYRIAD &&
		    (!to || share_permyriad(n->free_bytes, n->total_bytes) >
				    share_permyriad(to->free_bytes, to->total_bytes)))
			to = n;
	}
	if (!r->cfg.numa_rebalance || !allowed || !from || !to || from == to)
		return;
	pi = numa_candidate(s, r, st, ctx, m);
	if (pi == (size_t)-1)
		return;
	p = &s->procs[pi];
	/* leave the destination its own NODE_ROOMY share, do not make it the next short node */
	room = sat_sub(to->free_bytes, of_permyriad(to->total_bytes, NODE_LOW_PERMYRIAD * 2));
	move = p->rss_anon_bytes < room ? p->rss_anon_bytes : room;
	if (move == 0)
		return;
	a = plan_add(plan, POL_ACT_MIGRATE, POL_STAGE_RECLAIM);
	if (!a)
		return;
	st->node_migrated[from->id] = true;
	a->target.kind = POL_TGT_PROCESS;
	a->target.pid = p->pid;
	a->target.starttime_ticks = p->starttime_ticks;
	a->target.pgid = p->pgid;
	og_strscpy(a->target.comm, p->comm, sizeof(a->target.comm));
	og_strscpy(a->target.cgroup, p->cgroup, sizeof(a->target.cgroup));
	og_strscpy(a->target.unit, p->unit, sizeof(a->target.unit));
	a->target.node = from->id;
	a->target.node_to = to->id;
	a->target.expected_free_bytes = move;
	a->value = move;
	{
		const struct pol_service *svc = pol_service_for(r, p);

		og_strscpy(a->rule, svc ? svc->origin.path : "", sizeof(a->rule));
	}
	og_strscpy(a->metric, "node_free_permyriad", sizeof(a->metric));
	a->measured = share_permyriad(from->free_bytes, from->total_bytes);
	a->limit = NODE_LOW_PERMYRIAD;
	fmtbuf(a->reason, sizeof(a->reason),
		       "node %d is short (%s free%s) while node %d has %s free: migrating up to %s "
		       "of %s pid %d (NUMA=yes) from node %d to node %d",
		       from->id, og_format_bytes(f, sizeof(f), from->free_bytes),
		       node_has_fragmented_zone(s, from->id) ? ", a zone without order-2 blocks"
							    : "",
		       to->id, og_format_bytes(t, sizeof(t), to->free_bytes),
		       og_format_bytes(b, sizeof(b), move), p->comm, (int)p->pid, from->id, to->id);
}

/* ------------------------------------------------------------------ protection */

static bool protect_seen(struct pol_state *st, const struct og_proc *p, int value)
{
	for (size_t i = 0; i < st->nprotect; i++) {
		struct pol_protect_rec *rec = &st->protect[i];

		if (rec->pid == p->pid && rec->starttime_ticks == p->starttime_ticks) {
			if (rec->value == value)
				return true;
			rec->value = value; /* policy changed (reload): plan the new value once */
			return false;
		}
	}
	st->protect[st->protect_next] = (struct pol_protect_rec){
		.pid = p->pid, .starttime_ticks = p->starttime_ticks, .value = value
	};
	st->protect_next = (st->protect_next + 1) % POL_PROTECT_MAX;
	if (st->nprotect < POL_PROTECT_MAX)
		st->nprotect++;
	return false;
}

size_t pol_protect_plan(const struct pol_rules *r, const struct og_proc *p, struct pol_state *st,
			struct pol_action *ret)
{
	const struct pol_service *src = NULL;
	struct pol_action a = { .kind = POL_ACT_OOM_SCORE_ADJ, .stage = POL_STAGE_NONE };

	if (!r || !p || !ret || p->pid <= 0 || proc_dead(p) || p->pid == 2 || p->ppid == 2 ||
	    (!p->cmdline[0] && !p->exe[0]))
		return 0; /* kernel threads have no oom_score_adj worth keeping */
	/* OOMScoreAdjust= has its own "set" flag: the last matching file that sets it wins. */
	for (size_t i = r->nservices; i > 0 && !src; i--) {
		const struct pol_service *svc = &r->services[i - 1];

		if (svc->has_oom_score_adj && pol_match_proc(&svc->match, p))
			src = svc;
	}
	if (!src || p->oom_score_adj == src->oom_score_adj)
		return 0;
	if (st && protect_seen(st, p, src->oom_score_adj))
		return 0;
	a.target.kind = POL_TGT_PROCESS;
	a.target.pid = p->pid;
	a.target.starttime_ticks = p->starttime_ticks;
	a.target.pgid = p->pgid;
	a.target.node = -1;
	a.target.node_to = -1;
	og_strscpy(a.target.comm, p->comm, sizeof(a.target.comm));
	og_strscpy(a.target.cgroup, p->cgroup, sizeof(a.target.cgroup));
	og_strscpy(a.target.unit, p->unit, sizeof(a.target.unit));
	a.svalue = src->oom_score_adj;
	a.value = (uint64_t)(int64_t)src->oom_score_adj;
	og_strscpy(a.rule, src->origin.path[0] ? src->origin.path : src->name, sizeof(a.rule));
	og_strscpy(a.metric, "oom_score_adj", sizeof(a.metric));
	fmtbuf(a.reason, sizeof(a.reason),
		       "%s pid %d has oom_score_adj %d, policy %s says OOMScoreAdjust=%d%s", p->comm,
		       (int)p->pid, p->oom_score_adj, src->name, src->oom_score_adj,
		       src->protect ? " (protected)" : "");
	*ret = a;
	return 1;
}

static void plan_protection(const struct og_snapshot *s, const struct pol_rules *r,
			    struct pol_state *st, struct pol_plan *plan)
{
	for (size_t i = 0; i < s->nprocs && plan->n < POL_PLAN_MAX; i++)
		if (pol_protect_plan(r, &s->procs[i], st, &plan->actions[plan->n]))
			plan->n++;
}

/* ------------------------------------------------------------------ state */

static int svc_alloc(size_t n, struct pol_svc_state **ret_svc, bool **ret_ob)
{
	struct pol_svc_state *svc = calloc(n ? n : 1, sizeof(*svc));
	bool *ob = calloc(n ? n : 1, sizeof(*ob));

	if (!svc || !ob) {
		free(svc);
		free(ob);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		svc[i].top_proc = (size_t)-1;
	*ret_svc = svc;
	*ret_ob = ob;
	return 0;
}

int pol_state_init(struct pol_state *st, const struct pol_rules *r)
{
	struct pol_svc_state *svc;
	bool *ob;
	size_t n = r ? r->nservices : 0;

	if (!st)
		return -EINVAL;
	if (svc_alloc(n, &svc, &ob) < 0)
		return -ENOMEM;
	memset(st, 0, sizeof(*st));
	st->svc = svc;
	st->over_budget = ob;
	st->nsvc = n;
	for (size_t i = 0; i < n; i++)
		og_strscpy(svc[i].name, r->services[i].name, sizeof(svc[i].name));
	return 0;
}

void pol_state_free(struct pol_state *st)
{
	if (!st)
		return;
	free(st->svc);
	free(st->over_budget);
	st->svc = NULL;
	st->over_budget = NULL;
	st->nsvc = 0;
}

int pol_state_rebind(struct pol_state *st, const struct pol_rules *new_rules)
{
	struct pol_svc_state *svc;
	bool *ob;
	size_t n = new_rules ? new_rules->nservices : 0;

	if (!st)
		return -EINVAL;
	if (svc_alloc(n, &svc, &ob) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *name = new_rules->services[i].name;

		og_strscpy(svc[i].name, name, sizeof(svc[i].name));
		for (size_t j = 0; j < st->nsvc; j++) {
			if (strcmp(st->svc[j].name, name) != 0)
				continue;
			svc[i] = st->svc[j];
			svc[i].top_proc = (size_t)-1;
			ob[i] = st->over_budget[j];
			break;
		}
	}
	free(st->svc);
	free(st->over_budget);
	st->svc = svc;
	st->over_budget = ob;
	st->nsvc = n;
	return 0;
}

/* ------------------------------------------------------------------ the step */

int pol_step(const struct og_snapshot *s, const struct pol_rules *r, struct pol_state *st,
	     const struct pol_ctx *ctx, uint64_t now_usec, struct pol_plan *ret_plan)
{
	struct trigger tr[POL_STAGE__MAX];
	struct measure m;
	enum pol_stage level;
	bool allowed, slab = false, killed = false;
	size_t first;

	if (!s || !r || !st || !ret_plan || now_usec == 0 || st->nsvc != r->nservices ||
	    (st->nsvc && (!st->svc || !st->over_budget)))
		return -EINVAL;
	ret_plan->n = 0;
	ret_plan->ntop = 0;
	measure(s, r, ctx, &m);
	ret_plan->avail_bytes = m.avail;
	ret_plan->total_bytes = m.total;
	ret_plan->stage = POL_STAGE_NONE;
	if (m.total == 0)
		return -ENODATA;

	level = update_stages(r, &m, st, now_usec, tr);
	ret_plan->stage = level;
	if (level == POL_STAGE_NONE)
		st->slab_dropped = false;

	victims_update(s, r, st, level, now_usec, ret_plan);
	services_update(s, r, st, now_usec);
	lift_throttles(st, r, level, ret_plan);
	first = ret_plan->n;

	allowed = now_usec >= st->holdoff_until_usec;
	if (allowed) {
		bool may_kill = ret_plan->n == 0 && !victim_blocking(st) && s->nprocs > 0;

		if (level >= POL_STAGE_RECLAIM)
			slab = plan_slab(s, r, st, &m, level, &tr[level], ret_plan);
		if (!slab && may_kill && level >= POL_STAGE_TERMINATE)
			killed = plan_ladder_victim(s, r, st, ctx, &m, level, &tr[level], now_usec,
						    ret_plan);
		killed |= plan_services(s, r, st, ctx, &m, may_kill && !slab && !killed, now_usec,
					ret_plan);
		if (level >= POL_STAGE_THROTTLE && !killed && !slab)
			plan_throttle(s, r, st, &m, &tr[level], ret_plan);
		if (level == POL_STAGE_RECLAIM && !slab)
			plan_reclaim_report(r, st, &m, &tr[level], ret_plan);
	}
	plan_compact(s, st, allowed, ret_plan);
	plan_migrate(s, r, st, ctx, &m, allowed, ret_plan);

	for (size_t i = 0; i < ret_plan->n; i++) {
		if (disruptive(ret_plan->actions[i].kind) &&
		    !(i < first && ret_plan->actions[i].kind == POL_ACT_THROTTLE)) {
			st->holdoff_until_usec = now_usec + r->cfg.holdoff_usec;
			st->last_action_usec = now_usec;
			break;
		}
	}
	plan_protection(s, r, st, ret_plan);
	return (int)ret_plan->n;
}
