/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-service decisions: MemoryBudget= and OnBudget=, PressureLimit=, the throttle stage and its
 * lifting, and protection (OOMScoreAdjust=). Semantics: see the block comment in pol_engine.c.
 */
#include <string.h>

#include "policy/pol_engine_int.h"
#include "policy/pol_match.h"
#include "policy/util/strutil.h"

#define THROTTLE_CUT_PERMYRIAD 1000u /* the throttle stage lowers memory.high by 10% */

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
		return pol_of_permyriad(s->mem.total_bytes, svc->budget_permyriad);
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

void pol_services_update(const struct og_snapshot *s, const struct pol_rules *r,
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

		if (k == (size_t)-1 || k >= st->nsvc || pol_proc_dead(p))
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
				   budget - pol_of_permyriad(budget, r->cfg.hysteresis_permyriad)) {
			ss->over_budget = false;
		} else if (!budget) {
			ss->over_budget = false;
		}
		if (ss->top_proc != (size_t)-1)
			cg = proc_cgroup(s, &s->procs[ss->top_proc]);
		psi_fired = pol_psi_timer(&svc->pressure_limit, cg && cg->has_psi ? &cg->psi : NULL,
					  now, &ss->psi_above_since_usec);
		if (ss->psi_above_since_usec == 0)
			ss->psi_acted = false;
		st->over_budget[i] = ss->over_budget || psi_fired;
	}
}

static struct pol_action *svc_action(struct pol_plan *plan, const struct pol_service *svc,
				     enum pol_action_kind kind, const char *cgroup)
{
	struct pol_action *a = pol_plan_add(plan, kind, POL_STAGE_NONE);

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
static bool svc_victim(const struct og_snapshot *s, const struct pol_rules *r, struct pol_state *st,
		       const struct pol_ctx *ctx, const struct pol_measure *m,
		       const struct pol_service *svc, const struct pol_why *w, uint64_t now,
		       struct pol_plan *plan)
{
	struct pol_candidate top[1];
	struct pol_victim_opts o;

	pol_fill_opts(s, st, ctx, m, &o);
	o.only_svc = svc;
	if (pol_victims(s, r, &o, top, 1) == 0)
		return false;
	pol_plan_signal(plan, st, r, s, &top[0], false, 0, w, now);
	return true;
}

/* OnBudget= for one over-budget service. Returns true if it planned a victim. */
static bool plan_budget(const struct og_snapshot *s, const struct pol_rules *r,
			struct pol_state *st, const struct pol_ctx *ctx,
			const struct pol_measure *m, size_t i, bool may_kill, uint64_t now,
			struct pol_plan *plan)
{
	const struct pol_service *svc = &r->services[i];
	struct pol_svc_state *ss = &st->svc[i];
	uint64_t budget = svc_budget(s, svc), over = pol_sat_sub(ss->usage_bytes, budget);
	const char *cg = svc_cgroup(s, r, ss, m->scope);
	enum pol_on_budget ob = svc->protect ? POL_OB_REPORT : svc->on_budget;
	char u[16], b[16], text[160];
	struct pol_why w = {.stage = POL_STAGE_NONE,
			    .rule = svc->origin.path,
			    .metric = "budget_bytes",
			    .measured = ss->usage_bytes,
			    .limit = budget,
			    .text = text};
	struct pol_action *a;
	bool killed = false;

	pol_fmtbuf(text, sizeof(text),
		   "service %s uses %s (anon+swap of %u processes) > "
		   "MemoryBudget %s, OnBudget=%s",
		   svc->name, og_format_bytes(u, sizeof(u), ss->usage_bytes), ss->nprocs,
		   og_format_bytes(b, sizeof(b), budget), on_budget_name(svc->on_budget));
	if ((ob == POL_OB_RECLAIM || ob == POL_OB_THROTTLE) && !cg)
		ob = POL_OB_REPORT; /* no cgroup of its own: cannot reclaim or throttle it alone */
	if (ob == POL_OB_KILL) {
		if (!may_kill)
			return false; /* wait for the step that may kill; budget_acted stays false
				       */
		killed = svc_victim(s, r, st, ctx, m, svc, &w, now, plan);
		ob = POL_OB_REPORT;
		if (killed) {
			ss->budget_acted = true;
			return true;
		}
	}
	a = svc_action(plan, svc,
		       ob == POL_OB_RECLAIM    ? POL_ACT_RECLAIM_CGROUP
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
		pol_fmtbuf(a->reason, sizeof(a->reason), "%s: reclaiming the %s overshoot", text,
			   og_format_bytes(u, sizeof(u), over));
	} else if (ob == POL_OB_THROTTLE) {
		const struct og_cgroup *c = cgroup_by_path(s, cg);
		uint64_t cur = c && c->has_memory ? c->current_bytes : ss->usage_bytes;

		a->value = cur > over && cur - over >= budget ? cur - over : budget;
		ss->throttled = true;
		ss->throttle_by_budget = true;
		ss->throttle_bytes = a->value;
		og_strscpy(ss->throttle_cgroup, cg, sizeof(ss->throttle_cgroup));
		pol_fmtbuf(a->reason, sizeof(a->reason), "%s: memory.high of '%s' set to %s", text,
			   cg, og_format_bytes(u, sizeof(u), a->value));
	} else {
		pol_fmtbuf(a->reason, sizeof(a->reason), "%s%s", text,
			   svc->protect ? " (protected: report only)" : "");
	}
	return false;
}

/* PressureLimit= held for its duration: like systemd-oomd, the service's victim goes. */
static bool plan_svc_pressure(const struct og_snapshot *s, const struct pol_rules *r,
			      struct pol_state *st, const struct pol_ctx *ctx,
			      const struct pol_measure *m, size_t i, bool may_kill, uint64_t now,
			      struct pol_plan *plan)
{
	const struct pol_service *svc = &r->services[i];
	struct pol_svc_state *ss = &st->svc[i];
	const struct pol_psi_limit *lim = &svc->pressure_limit;
	const struct og_cgroup *cg =
		ss->top_proc != (size_t)-1 ? proc_cgroup(s, &s->procs[ss->top_proc]) : NULL;
	uint32_t v = cg && cg->has_psi ? pol_psi_avg10(&cg->psi, lim->full) : 0;
	char text[160];
	struct pol_why w = {.stage = POL_STAGE_NONE,
			    .rule = svc->origin.path,
			    .metric = lim->full ? "psi_full_avg10_centi" : "psi_some_avg10_centi",
			    .measured = v,
			    .limit = lim->limit_centi,
			    .text = text};
	struct pol_action *a;

	pol_fmtbuf(text, sizeof(text),
		   "service %s memory PSI %s avg10 %u.%02u%% > PressureLimit %u.%02u%% for %llus",
		   svc->name, lim->full ? "full" : "some", v / 100, v % 100, lim->limit_centi / 100,
		   lim->limit_centi % 100, (unsigned long long)(lim->duration_usec / 1000000));
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
	pol_fmtbuf(a->reason, sizeof(a->reason), "%s%s", text,
		   svc->protect ? " (protected: report only)" : ": no victim may be killed");
	return false;
}

bool pol_plan_services(const struct og_snapshot *s, const struct pol_rules *r, struct pol_state *st,
		       const struct pol_ctx *ctx, const struct pol_measure *m, bool may_kill,
		       uint64_t now, struct pol_plan *plan)
{
	bool killed = false;

	for (size_t i = 0; i < st->nsvc && s->nprocs; i++) {
		struct pol_svc_state *ss = &st->svc[i];

		if (ss->psi_above_since_usec && !ss->psi_acted && st->over_budget[i] &&
		    pol_sat_sub(now, ss->psi_above_since_usec) >=
			    r->services[i].pressure_limit.duration_usec)
			killed |= plan_svc_pressure(s, r, st, ctx, m, i, may_kill && !killed, now,
						    plan);
		else if (ss->over_budget && !ss->budget_acted)
			killed |= plan_budget(s, r, st, ctx, m, i, may_kill && !killed, now, plan);
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

void pol_lift_throttles(struct pol_state *st, const struct pol_rules *r, enum pol_stage level,
			struct pol_plan *plan)
{
	lift_orphans(st, plan);
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
		pol_fmtbuf(a->reason, sizeof(a->reason),
			   "the throttle stage cleared: lifting memory.high of '%s' (service %s)",
			   ss->throttle_cgroup, ss->name);
		ss->throttled = false;
	}
}

void pol_plan_throttle(const struct og_snapshot *s, const struct pol_rules *r, struct pol_state *st,
		       const struct pol_measure *m, const struct pol_trigger *tr,
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
	a = pol_plan_add(plan, POL_ACT_THROTTLE, POL_STAGE_THROTTLE);
	if (!a)
		return;
	pol_stage_rule(&r->cfg, POL_STAGE_THROTTLE, rule, sizeof(rule));
	og_strscpy(a->rule, rule, sizeof(a->rule));
	a->target.kind = POL_TGT_CGROUP;
	og_strscpy(a->target.cgroup, best_cg, sizeof(a->target.cgroup));
	a->value = cur - pol_of_permyriad(cur, THROTTLE_CUT_PERMYRIAD);
	og_strscpy(a->metric, tr->metric[0] ? tr->metric : "stage", sizeof(a->metric));
	a->measured = tr->measured;
	a->limit = tr->limit;
	pol_fmtbuf(a->reason, sizeof(a->reason),
		   "%s; throttling service %s (Throttle=yes%s): memory.high of '%s' to %s "
		   "(current - 10%%)",
		   tr->what[0] ? tr->what : "the throttle stage is active", r->services[best].name,
		   st->over_budget[best] ? ", over budget" : "", best_cg,
		   og_format_bytes(b, sizeof(b), a->value));
	st->svc[best].throttled = true;
	st->svc[best].throttle_by_budget = false;
	st->svc[best].throttle_bytes = a->value;
	og_strscpy(st->svc[best].throttle_cgroup, best_cg, sizeof(st->svc[best].throttle_cgroup));
	st->stage[POL_STAGE_THROTTLE].acted = true;
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

size_t pol_protect_plan(const struct pol_rules *r, const struct og_proc *p, struct pol_state *st,
			struct pol_action *ret)
{
	const struct pol_service *src = NULL;
	struct pol_action a = {.kind = POL_ACT_OOM_SCORE_ADJ, .stage = POL_STAGE_NONE};

	if (!r || !p || !ret || p->pid <= 0 || pol_proc_dead(p) || p->pid == 2 || p->ppid == 2 ||
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
	pol_fmtbuf(a.reason, sizeof(a.reason),
		   "%s pid %d has oom_score_adj %d, policy %s says OOMScoreAdjust=%d%s", p->comm,
		   (int)p->pid, p->oom_score_adj, src->name, src->oom_score_adj,
		   src->protect ? " (protected)" : "");
	*ret = a;
	return 1;
}

void pol_plan_protection(const struct og_snapshot *s, const struct pol_rules *r,
			 struct pol_state *st, const struct pol_measure *m, struct pol_plan *plan)
{
	for (size_t i = 0; i < s->nprocs && plan->n < POL_PLAN_MAX; i++) {
		const struct og_proc *p = &s->procs[i];

		if (!pol_in_scope(m->scope, p->cgroup) &&
		    !(p->memcg_v1[0] && pol_in_scope(m->scope, p->memcg_v1)))
			continue; /* a scoped guardian leaves the rest of the machine alone */
		if (pol_protect_plan(r, p, st, &plan->actions[plan->n]))
			plan->n++;
	}
}
