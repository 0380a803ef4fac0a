/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-service decisions: MemoryBudget= and OnBudget=, PressureLimit=, the throttle stage and its
 * lifting, and protection (OOMScoreAdjust=). A memory.high we lower is lifted back to the value
 * it had before our first write (max, or the unit's MemoryHigh=): a stage throttle when the
 * throttle stage clears, a budget throttle once the service has stayed below its budget minus
 * Hysteresis= for HoldOffSec=. Budgets, pressure limits and throttles apply per
 * instance: the processes of one policy file within one systemd unit, or within one cgroup
 * when they have no unit (struct pol_inst_state). Semantics: see pol_engine.c.
 */
#include <string.h>

#include "policy/engine/pol_engine_int.h"
#include "policy/engine/pol_findings.h"
#include "policy/engine/pol_match.h"
#include "policy/util/strutil.h"

#define THROTTLE_CUT_PERMYRIAD 1000u /* the throttle stage lowers memory.high by 10% */

/* ------------------------------------------------------------------ instances */

/* memory.high of cgroup c as the snapshot saw it; OG_UNLIMITED when unknown (v1: the soft
 * limit is not read, and "unlimited" is what a lift writes there). */
static uint64_t cgroup_high(const struct og_cgroup *c)
{
	return c && c->has_memory && c->layout == OG_CG_V2 && c->high_bytes ? c->high_bytes
									    : OG_UNLIMITED;
}

/* A throttle of in to bytes: the value to restore is the one before our first write. */
static void inst_throttle(struct pol_inst_state *in, const struct og_cgroup *c, bool by_budget,
			  uint64_t bytes)
{
	if (!in->throttled)
		in->throttle_prev_bytes = cgroup_high(c);
	in->throttled = true;
	in->throttle_by_budget = by_budget;
	in->throttle_bytes = bytes;
	in->calm_since_usec = 0;
}

static const struct og_cgroup *cgroup_by_path(const struct og_snapshot *s, const char *path)
{
	for (size_t i = 0; path && path[0] && i < s->ncgroups; i++)
		if (strcmp(s->cgroups[i].path, path) == 0)
			return &s->cgroups[i];
	return NULL;
}

static uint64_t svc_budget(const struct og_snapshot *s, const struct pol_service *svc)
{
	if (svc->budget_bytes)
		return svc->budget_bytes;
	if (svc->budget_permyriad)
		return pol_of_permyriad(s->mem.total_bytes, svc->budget_permyriad);
	return 0;
}

static bool svc_tracked(const struct og_snapshot *s, const struct pol_service *svc)
{
	return svc_budget(s, svc) || svc->pressure_limit.set || svc->throttle;
}

/*
 * The instance's own cgroup: the unit's cgroup (the path up to the component named like the
 * unit), else the process's cgroup. "" for the root or (a parent of) the scope: then it cannot
 * be throttled or reclaimed as a whole.
 */
static void inst_cgroup(const struct og_snapshot *s, const struct pol_rules *r,
			const struct pol_measure *m, const struct og_proc *p, char *buf,
			size_t size)
{
	const char *scope = m->scope;
	const char *path = p->cgroup[0] && strcmp(p->cgroup, "/") != 0 ? p->cgroup : p->memcg_v1;
	size_t ulen = strlen(p->unit);

	buf[0] = '\0';
	if (!path[0] || strcmp(path, "/") == 0)
		return;
	og_strscpy(buf, path, size);
	for (const char *c = strchr(path, '/'); ulen && c; c = strchr(c + 1, '/')) {
		if (strncmp(c + 1, p->unit, ulen) == 0 && (c[1 + ulen] == '/' || !c[1 + ulen])) {
			size_t n = (size_t)(c + 1 + ulen - path);

			if (n < size)
				buf[n] = '\0';
			break;
		}
	}
	if (scope[0] && (!pol_in_scope(scope, buf) || pol_in_scope(buf, scope)))
		buf[0] = '\0';
}

/* A protected process inside cg: then cg is never throttled or reclaimed (only when acting:
 * it costs a pass over the processes). */
static bool cgroup_has_protected(const struct og_snapshot *s, const struct pol_rules *r,
				 const struct pol_measure *m, const char *cg)
{
	for (size_t i = 0; i < s->nprocs; i++) {
		const struct og_proc *q = &s->procs[i];
		struct pol_proc_policy pp;

		if (!pol_in_scope(cg, q->cgroup) &&
		    !(q->memcg_v1[0] && pol_in_scope(cg, q->memcg_v1)))
			continue;
		pol_policy_of(m, s, r, i, &pp);
		if (pp.protect)
			return true;
	}
	return false;
}

static struct pol_inst_state *inst_find(struct pol_state *st, size_t svc, const char *key)
{
	for (size_t i = 0; i < st->ninst; i++)
		if (st->inst[i].svc == svc && strcmp(st->inst[i].key, key) == 0)
			return &st->inst[i];
	return NULL;
}

bool pol_inst_over_budget(const void *state, size_t svc_index, const char *key)
{
	const struct pol_state *st = state;

	for (size_t i = 0; i < st->ninst; i++) {
		const struct pol_inst_state *in = &st->inst[i];

		if (in->svc == svc_index && strcmp(in->key, key) == 0)
			return in->over_budget || in->distressed;
	}
	return false;
}

static struct pol_inst_state *inst_get(struct pol_state *st, const struct pol_rules *r, size_t svc,
				       const char *key)
{
	struct pol_inst_state *in = inst_find(st, svc, key);

	if (in || st->ninst == POL_INSTANCES_MAX)
		return in; /* full: this one is not tracked */
	in = &st->inst[st->ninst++];
	memset(in, 0, sizeof(*in));
	in->svc = svc;
	og_strscpy(in->svc_name, r->services[svc].name, sizeof(in->svc_name));
	og_strscpy(in->key, key, sizeof(in->key));
	in->top_proc = (size_t)-1;
	return in;
}

/* Budget and pressure episodes of one instance. */
static void inst_episodes(const struct og_snapshot *s, const struct pol_rules *r,
			  struct pol_inst_state *in, uint64_t now)
{
	const struct pol_service *svc = &r->services[in->svc];
	uint64_t budget = svc_budget(s, svc);
	const struct og_cgroup *cg = cgroup_by_path(s, in->cgroup);

	if (budget && in->usage_bytes > budget) {
		if (!in->over_budget) {
			in->over_budget = true;
			in->over_since_usec = now;
			in->budget_acted = false;
		}
	} else if (!budget ||
		   in->usage_bytes <
			   budget - pol_of_permyriad(budget, r->cfg.hysteresis_permyriad)) {
		in->over_budget = false;
	}
	/* a budget throttle is lifted once the service has stayed calm (pol_lift_throttles) */
	if (in->throttled && in->throttle_by_budget && !in->over_budget) {
		if (!in->calm_since_usec)
			in->calm_since_usec = now;
	} else {
		in->calm_since_usec = 0;
	}
	in->distressed = pol_psi_timer(&svc->pressure_limit, cg && cg->has_psi ? &cg->psi : NULL,
				       now, &in->psi_above_since_usec);
	if (in->psi_above_since_usec == 0)
		in->psi_acted = false;
}

void pol_services_update(const struct og_snapshot *s, const struct pol_rules *r,
			 const struct pol_measure *m, struct pol_state *st, uint64_t now)
{
	size_t j = 0;

	if (s->nprocs == 0)
		return; /* memory-only snapshot: keep what we knew */
	for (size_t i = 0; i < st->ninst; i++) {
		st->inst[i].seen = false;
		st->inst[i].usage_bytes = 0;
		st->inst[i].nprocs = 0;
		st->inst[i].top_proc = (size_t)-1;
	}
	for (size_t i = 0; i < s->nprocs; i++) {
		const struct og_proc *p = &s->procs[i];
		const struct pol_service *svc;
		struct pol_proc_policy pp;
		struct pol_inst_state *in;

		pol_policy_of(m, s, r, i, &pp);
		svc = pp.svc;
		if (!svc || pol_proc_dead(p) || !svc_tracked(s, svc))
			continue;
		in = inst_get(st, r, pol_service_index(r, svc), pol_service_key(p));
		if (!in)
			continue;
		in->seen = true;
		in->usage_bytes += pol_proc_freeable(p);
		in->nprocs++;
		if (in->top_proc == (size_t)-1 ||
		    pol_proc_freeable(p) > pol_proc_freeable(&s->procs[in->top_proc]))
			in->top_proc = i;
	}
	for (size_t i = 0; i < st->ninst; i++) {
		struct pol_inst_state *in = &st->inst[i];

		/* its processes are gone: forget it, unless a throttle waits to be lifted (a
		 * budget one at once: nothing is left to be over budget) */
		if (!in->seen && !in->throttled)
			continue;
		if (in->seen) {
			inst_cgroup(s, r, m, &s->procs[in->top_proc], in->cgroup,
				    sizeof(in->cgroup));
			inst_episodes(s, r, in, now);
		} else if (in->throttle_by_budget) {
			in->over_budget = false;
			if (!in->calm_since_usec)
				in->calm_since_usec = now;
		}
		if (j != i)
			st->inst[j] = *in;
		j++;
	}
	st->ninst = j;
}

static struct pol_action *inst_action(struct pol_plan *plan, const struct pol_service *svc,
				      enum pol_action_kind kind, const char *cgroup)
{
	struct pol_action *a = pol_plan_add(plan, kind, POL_STAGE_NONE);

	if (!a)
		return NULL;
	og_strscpy(a->rule, svc->origin.path[0] ? svc->origin.path : svc->name, sizeof(a->rule));
	if (cgroup && cgroup[0]) {
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

/* Kill the instance's own best victim. true if signalled. */
static bool inst_victim(const struct og_snapshot *s, const struct pol_rules *r,
			struct pol_state *st, const struct pol_ctx *ctx,
			const struct pol_measure *m, const struct pol_inst_state *in,
			const struct pol_why *w, uint64_t now, struct pol_plan *plan)
{
	struct pol_candidate top[1];
	struct pol_victim_opts o;

	pol_fill_opts(s, st, ctx, m, &o);
	o.only_svc = &r->services[in->svc];
	o.only_key = in->key;
	if (pol_victims(s, r, &o, top, 1) == 0)
		return false;
	pol_plan_signal(plan, st, r, s, m, &top[0], false, 0, w, now);
	return true;
}

/* "60-nova-api (devstack@n-api.service)" */
static const char *inst_name(const struct pol_inst_state *in, char *buf, size_t size)
{
	pol_fmtbuf(buf, size, "%s (%s)", in->svc_name, in->key);
	return buf;
}

const char *pol_service_cause_text(const struct pol_cause *c, const char *svc, const char *key,
				   char *buf, size_t size)
{
	char u[16], b[16];

	if (c->kind == POL_CAUSE_BUDGET)
		pol_fmtbuf(buf, size,
			   "service %s (%s) uses %s (anon+swap of %u processes) > MemoryBudget %s, "
			   "OnBudget=%s",
			   svc, key, og_format_bytes(u, sizeof(u), c->measured), c->nprocs,
			   og_format_bytes(b, sizeof(b), c->limit),
			   on_budget_name((enum pol_on_budget)c->on_budget));
	else
		pol_fmtbuf(buf, size,
			   "service %s (%s) memory PSI %s avg10 %u.%02u%% > PressureLimit "
			   "%u.%02u%% for %llus",
			   svc, key, c->psi_full ? "full" : "some", (unsigned)(c->measured / 100),
			   (unsigned)(c->measured % 100), (unsigned)(c->limit / 100),
			   (unsigned)(c->limit % 100),
			   (unsigned long long)(c->duration_usec / 1000000));
	return buf;
}

/* OnBudget= for one over-budget instance. Returns true if it planned a victim. */
static bool plan_budget(const struct og_snapshot *s, const struct pol_rules *r,
			struct pol_state *st, const struct pol_ctx *ctx,
			const struct pol_measure *m, struct pol_inst_state *in, bool may_kill,
			uint64_t now, struct pol_plan *plan)
{
	const struct pol_service *svc = &r->services[in->svc];
	uint64_t budget = svc_budget(s, svc), over = pol_sat_sub(in->usage_bytes, budget), high = 0;
	enum pol_on_budget ob = svc->protect ? POL_OB_REPORT : svc->on_budget;
	bool high_kept = false;
	char u[16], text[200];
	struct pol_cause cause = {.kind = POL_CAUSE_BUDGET,
				  .measured = in->usage_bytes,
				  .limit = budget,
				  .nprocs = in->nprocs,
				  .on_budget = (int)svc->on_budget};
	struct pol_why w = {.stage = POL_STAGE_NONE,
			    .rule = svc->origin.path,
			    .metric = "budget_bytes",
			    .measured = in->usage_bytes,
			    .limit = budget,
			    .cause = &cause,
			    .key = in->key};
	struct pol_action *a;

	if ((ob == POL_OB_RECLAIM || ob == POL_OB_THROTTLE) &&
	    (!in->cgroup[0] || cgroup_has_protected(s, r, m, in->cgroup)))
		ob = POL_OB_REPORT; /* no cgroup of its own: cannot reclaim or throttle it alone */
	if (ob == POL_OB_RECLAIM && !pol_can_reclaim_cgroup(s, in->cgroup))
		ob = POL_OB_REPORT; /* v1: no memory.reclaim */
	if (ob == POL_OB_THROTTLE) {
		const struct og_cgroup *c = cgroup_by_path(s, in->cgroup);
		uint64_t cur = c && c->has_memory ? c->current_bytes : in->usage_bytes;

		/* lower memory.high by the overshoot (current counts page cache too) */
		high = cur > over && cur - over >= budget ? cur - over : budget;
		/* no swap to take the anon: below its anon + kernel memory a memory.high freezes
		 * the service (2 s stalls per fault batch) instead of slowing its growth */
		if (m->swap_free == 0) {
			uint64_t floor = c && c->has_memory
						 ? pol_sat_sub(cur, c->inactive_file_bytes +
									 c->active_file_bytes)
						 : in->usage_bytes;

			high = high > floor ? high : floor;
		}
		if (high >= cgroup_high(c)) {
			ob = POL_OB_REPORT; /* already as low (the unit's MemoryHigh=, ours) */
			high_kept = true;
		}
	}
	if (ob == POL_OB_KILL) {
		if (!may_kill)
			return false; /* wait for a step that may kill; budget_acted stays false */
		if (inst_victim(s, r, st, ctx, m, in, &w, now, plan)) {
			in->budget_acted = true;
			return true;
		}
		ob = POL_OB_REPORT;
	}
	/* not a signal: this sentence is made here (POL_WHY_TEXT, see plan.h) */
	pol_service_cause_text(&cause, in->svc_name, in->key, text, sizeof(text));
	a = inst_action(plan, svc,
			ob == POL_OB_RECLAIM	? POL_ACT_RECLAIM_CGROUP
			: ob == POL_OB_THROTTLE ? POL_ACT_THROTTLE
						: POL_ACT_REPORT,
			in->cgroup);
	if (!a)
		return false;
	in->budget_acted = true;
	og_strscpy(a->metric, "budget_bytes", sizeof(a->metric));
	a->measured = in->usage_bytes;
	a->limit = budget;
	if (ob == POL_OB_RECLAIM) {
		a->value = over;
		a->target.expected_free_bytes = over;
		pol_fmtbuf(a->reason, sizeof(a->reason), "%s: reclaiming the %s overshoot", text,
			   og_format_bytes(u, sizeof(u), over));
	} else if (ob == POL_OB_THROTTLE) {
		a->value = high;
		inst_throttle(in, cgroup_by_path(s, in->cgroup), true, high);
		pol_fmtbuf(a->reason, sizeof(a->reason),
			   "%s: memory.high of '%s' set to %s until it stays below the budget",
			   text, in->cgroup, og_format_bytes(u, sizeof(u), a->value));
	} else {
		pol_fmtbuf(a->reason, sizeof(a->reason), "%s%s", text,
			   svc->protect ? " (protected: report only)"
			   : high_kept	? " (its memory.high is already that low: report only)"
			   : svc->on_budget == POL_OB_RECLAIM && in->cgroup[0] &&
					   !pol_can_reclaim_cgroup(s, in->cgroup)
				   ? " (v1 memory cgroup: no memory.reclaim, report only)"
				   : "");
	}
	return false;
}

/* PressureLimit= held for its duration: like systemd-oomd, the instance's victim goes. */
static bool plan_pressure(const struct og_snapshot *s, const struct pol_rules *r,
			  struct pol_state *st, const struct pol_ctx *ctx,
			  const struct pol_measure *m, struct pol_inst_state *in, bool may_kill,
			  uint64_t now, struct pol_plan *plan)
{
	const struct pol_service *svc = &r->services[in->svc];
	const struct pol_psi_limit *lim = &svc->pressure_limit;
	const struct og_cgroup *cg = cgroup_by_path(s, in->cgroup);
	uint32_t v = cg && cg->has_psi ? pol_psi_avg10(&cg->psi, lim->full) : 0;
	char text[200];
	struct pol_cause cause = {.kind = POL_CAUSE_PRESSURE_LIMIT,
				  .psi_full = lim->full,
				  .measured = v,
				  .limit = lim->limit_centi,
				  .duration_usec = lim->duration_usec};
	struct pol_why w = {.stage = POL_STAGE_NONE,
			    .rule = svc->origin.path,
			    .metric = lim->full ? "psi_full_avg10_centi" : "psi_some_avg10_centi",
			    .measured = v,
			    .limit = lim->limit_centi,
			    .cause = &cause,
			    .key = in->key};
	struct pol_action *a;

	if (!svc->protect) {
		if (!may_kill)
			return false;
		if (inst_victim(s, r, st, ctx, m, in, &w, now, plan)) {
			in->psi_acted = true;
			return true;
		}
	}
	pol_service_cause_text(&cause, in->svc_name, in->key, text, sizeof(text));
	a = inst_action(plan, svc, POL_ACT_REPORT, NULL);
	if (!a)
		return false;
	in->psi_acted = true;
	og_strscpy(a->metric, w.metric, sizeof(a->metric));
	a->measured = v;
	a->limit = lim->limit_centi;
	pol_fmtbuf(a->reason, sizeof(a->reason), "%s%s", text,
		   svc->protect ? " (protected: report only)" : ": no victim may be killed");
	return false;
}

bool pol_plan_services(const struct og_snapshot *s, const struct pol_rules *r, struct pol_state *st,
		       const struct pol_ctx *ctx, const struct pol_measure *m, bool may_kill,
		       uint64_t now, struct pol_plan *plan)
{
	bool killed = false;

	for (size_t i = 0; i < st->ninst && s->nprocs; i++) {
		struct pol_inst_state *in = &st->inst[i];

		if (!in->seen)
			continue;
		if (in->distressed && !in->psi_acted)
			killed |=
				plan_pressure(s, r, st, ctx, m, in, may_kill && !killed, now, plan);
		else if (in->over_budget && !in->budget_acted)
			killed |= plan_budget(s, r, st, ctx, m, in, may_kill && !killed, now, plan);
	}
	return killed;
}

/* ------------------------------------------------------------------ throttle */

/* memory.high of services a reload removed: nobody is left to lift it later. */
static void lift_orphans(struct pol_state *st, struct pol_plan *plan)
{
	while (st->norphans > 0) {
		const char *cg = st->orphan_cgroup[st->norphans - 1];
		struct pol_action *a = pol_plan_add(plan, POL_ACT_THROTTLE, POL_STAGE_NONE);

		if (!a)
			return;
		a->target.kind = POL_TGT_CGROUP;
		og_strscpy(a->target.cgroup, cg, sizeof(a->target.cgroup));
		a->value = OG_UNLIMITED;
		a->limit = OG_UNLIMITED;
		og_strscpy(a->rule, "reload", sizeof(a->rule));
		og_strscpy(a->metric, "memory_high_bytes", sizeof(a->metric));
		pol_fmtbuf(a->reason, sizeof(a->reason),
			   "the policy that throttled '%s' is gone after a reload: lifting "
			   "memory.high",
			   cg);
		st->norphans--;
	}
}

/* "max" or "180M" for a reason sentence. */
static const char *high_text(uint64_t bytes, char *buf, size_t size)
{
	if (bytes == OG_UNLIMITED)
		og_strscpy(buf, "max", size);
	else
		og_format_bytes(buf, size, bytes);
	return buf;
}

/* A budget throttle is due to be lifted: calm for HoldOffSec=. */
static bool budget_calm(const struct pol_rules *r, const struct pol_inst_state *in, uint64_t now)
{
	return in->calm_since_usec && now - in->calm_since_usec >= r->cfg.holdoff_usec;
}

void pol_lift_throttles(const struct og_snapshot *s, struct pol_state *st,
			const struct pol_rules *r, enum pol_stage level, uint64_t now,
			struct pol_plan *plan)
{
	char n[POL_NAME_MAX + OG_CGROUP_PATH_MAX], h[16], u[16], b[16], to[16];

	lift_orphans(st, plan);
	for (size_t i = 0; i < st->ninst; i++) {
		struct pol_inst_state *in = &st->inst[i];
		const struct pol_service *svc = &r->services[in->svc];
		struct pol_action *a;

		if (!in->throttled)
			continue;
		if (in->throttle_by_budget ? !budget_calm(r, in, now) : level >= POL_STAGE_THROTTLE)
			continue;
		in->throttled = false;
		in->calm_since_usec = 0;
		if (!in->cgroup[0])
			continue;
		a = inst_action(plan, svc, POL_ACT_THROTTLE, in->cgroup);
		if (!a)
			return;
		a->value = in->throttle_prev_bytes ? in->throttle_prev_bytes : OG_UNLIMITED;
		og_strscpy(a->metric, in->throttle_by_budget ? "budget_bytes" : "memory_high_bytes",
			   sizeof(a->metric));
		if (in->throttle_by_budget) {
			a->measured = in->usage_bytes;
			a->limit = svc_budget(s, svc);
			pol_fmtbuf(a->reason, sizeof(a->reason),
				   "service %s is back under its budget (%s < MemoryBudget %s for "
				   "%llus): lifting memory.high of '%s' from %s to %s",
				   inst_name(in, n, sizeof(n)),
				   og_format_bytes(u, sizeof(u), in->usage_bytes),
				   og_format_bytes(b, sizeof(b), a->limit),
				   (unsigned long long)(r->cfg.holdoff_usec / 1000000), in->cgroup,
				   og_format_bytes(h, sizeof(h), in->throttle_bytes),
				   high_text(a->value, to, sizeof(to)));
		} else {
			a->measured = in->throttle_bytes;
			a->limit = a->value;
			pol_fmtbuf(
				a->reason, sizeof(a->reason),
				"the throttle stage cleared: lifting memory.high of '%s' (service "
				"%s) to %s",
				in->cgroup, inst_name(in, n, sizeof(n)),
				high_text(a->value, h, sizeof(h)));
		}
		in->throttle_by_budget = false;
	}
}

bool pol_psi_without_throttled(const struct og_snapshot *s, const struct pol_state *st,
			       const struct og_psi *psi, struct og_psi *ret)
{
	bool any = false;

	*ret = *psi;
	for (size_t i = 0; i < st->ninst; i++) {
		const struct pol_inst_state *in = &st->inst[i];
		const struct og_cgroup *c = in->throttled && in->throttle_by_budget
						    ? cgroup_by_path(s, in->cgroup)
						    : NULL;

		if (!c || !c->has_psi)
			continue;
		/* "some" of the scope is at least that of any group in it: what is left is a lower
		 * bound of the stalls outside the group; "full" the same, against the group's */
		ret->some.avg10_centi = (uint32_t)pol_sat_sub(ret->some.avg10_centi,
							       c->psi.some.avg10_centi);
		ret->full.avg10_centi = (uint32_t)pol_sat_sub(ret->full.avg10_centi,
							       c->psi.full.avg10_centi);
		any = true;
	}
	return any;
}

/* Is a better to throttle than b? Over budget first, then the larger. */
static bool throttle_before(const struct pol_inst_state *a, const struct pol_inst_state *b)
{
	bool oa = a->over_budget || a->distressed, ob = b->over_budget || b->distressed;

	if (oa != ob)
		return oa;
	return a->usage_bytes > b->usage_bytes;
}

void pol_plan_throttle(const struct og_snapshot *s, const struct pol_rules *r, struct pol_state *st,
		       const struct pol_measure *m, const struct pol_trigger *tr,
		       struct pol_plan *plan)
{
	struct pol_inst_state *best = NULL;
	const struct og_cgroup *c;
	struct pol_action *a;
	uint64_t cur;
	char rule[POL_PATH_MAX + 32], b[16], n[POL_NAME_MAX + OG_CGROUP_PATH_MAX], what[128];

	for (size_t i = 0; i < st->ninst; i++) {
		struct pol_inst_state *in = &st->inst[i];
		const struct pol_service *svc = &r->services[in->svc];

		if (!in->seen || !svc->throttle || svc->protect || in->throttled ||
		    !in->cgroup[0] || in->usage_bytes == 0)
			continue;
		if ((!best || throttle_before(in, best)) &&
		    !cgroup_has_protected(s, r, m, in->cgroup))
			best = in;
	}
	if (!best)
		return;
	c = cgroup_by_path(s, best->cgroup);
	cur = c && c->has_memory ? c->current_bytes : best->usage_bytes;
	a = pol_plan_add(plan, POL_ACT_THROTTLE, POL_STAGE_THROTTLE);
	if (!a)
		return;
	pol_stage_rule(&r->cfg, POL_STAGE_THROTTLE, rule, sizeof(rule));
	og_strscpy(a->rule, rule, sizeof(a->rule));
	a->target.kind = POL_TGT_CGROUP;
	og_strscpy(a->target.cgroup, best->cgroup, sizeof(a->target.cgroup));
	a->value = cur - pol_of_permyriad(cur, THROTTLE_CUT_PERMYRIAD);
	og_strscpy(a->metric, tr->metric[0] ? tr->metric : "stage", sizeof(a->metric));
	a->measured = tr->measured;
	a->limit = tr->limit;
	pol_fmtbuf(a->reason, sizeof(a->reason),
		   "%s; throttling service %s (Throttle=yes%s): memory.high of '%s' to %s "
		   "(current - 10%%)",
		   pol_trigger_text(tr, "the throttle stage is active", what, sizeof(what)),
		   inst_name(best, n, sizeof(n)), best->over_budget ? ", over budget" : "",
		   best->cgroup, og_format_bytes(b, sizeof(b), a->value));
	inst_throttle(best, c, false, a->value);
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
		.pid = p->pid, .starttime_ticks = p->starttime_ticks, .value = value};
	st->protect_next = (st->protect_next + 1) % POL_PROTECT_MAX;
	if (st->nprotect < POL_PROTECT_MAX)
		st->nprotect++;
	return false;
}

size_t pol_protect_with(const struct og_proc *p, const struct pol_proc_policy *pp,
			struct pol_state *st, struct pol_action *ret)
{
	const struct pol_service *src = pp->oom_score_adj_by;
	struct pol_action a = {.kind = POL_ACT_OOM_SCORE_ADJ, .stage = POL_STAGE_NONE};

	/* Kernel threads have no oom_score_adj worth keeping. PID 1 neither: the kernel's OOM
	 * killer never picks init (mm/oom_kill.c oom_unkillable_task()), and every service that
	 * systemd starts without its own OOMScoreAdjust= would inherit the value at fork. */
	if (!src || p->pid <= 1 || pol_proc_dead(p) || pol_proc_kthread(p))
		return 0;
	if (p->oom_score_adj == src->oom_score_adj)
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
	pol_fmtbuf(a.reason, sizeof(a.reason),
		   "%s pid %d has oom_score_adj %d, policy %s says OOMScoreAdjust=%d%s", p->comm,
		   (int)p->pid, p->oom_score_adj, src->name, src->oom_score_adj,
		   pp->protect ? " (protected)" : "");
	*ret = a;
	return 1;
}

size_t pol_protect_plan(const struct pol_rules *r, const struct og_proc *p, struct pol_state *st,
			struct pol_action *ret)
{
	struct pol_proc_policy pp;

	if (!r || !p || !ret)
		return 0;
	pol_policy_for(r, p, &pp);
	return pol_protect_with(p, &pp, st, ret);
}

void pol_plan_protection(const struct og_snapshot *s, const struct pol_rules *r,
			 struct pol_state *st, const struct pol_measure *m, struct pol_plan *plan)
{
	for (size_t i = 0; i < s->nprocs && plan->n < POL_PLAN_MAX; i++) {
		const struct og_proc *p = &s->procs[i];
		struct pol_proc_policy pp;

		if (!pol_in_scope(m->scope, p->cgroup) &&
		    !(p->memcg_v1[0] && pol_in_scope(m->scope, p->memcg_v1)))
			continue; /* a scoped guardian leaves the rest of the machine alone */
		pol_policy_of(m, s, r, i, &pp);
		if (pol_protect_with(p, &pp, st, &plan->actions[plan->n]))
			plan->n++;
	}
}
