/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Building plans: the engine's shared arithmetic (integers only), reason formatting, the
 * measurement of the guarded scope, and signalling a chosen victim. See pol_engine.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "policy/engine/pol_engine_int.h"
#include "policy/util/strutil.h"

static const char *const section_names[POL_STAGE__MAX] = {
	[POL_STAGE_NONE] = "Guardian",	   [POL_STAGE_RECLAIM] = "Reclaim",
	[POL_STAGE_THROTTLE] = "Throttle", [POL_STAGE_TERMINATE] = "Terminate",
	[POL_STAGE_KILL] = "Kill",
};

/* ------------------------------------------------------------------ small helpers */

void pol_appendf(char *buf, size_t size, const char *fmt, ...)
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
void pol_fmtbuf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (size == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

/* "12.34%" from permyriad. */
char *pol_fmt_pct(char *buf, size_t size, uint64_t permyriad)
{
	pol_fmtbuf(buf, size, "%llu.%02llu%%", (unsigned long long)(permyriad / 100),
		   (unsigned long long)(permyriad % 100));
	return buf;
}

uint64_t pol_share_permyriad(uint64_t part, uint64_t whole)
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

uint64_t pol_of_permyriad(uint64_t whole, uint64_t permyriad)
{
	if (whole <= UINT64_MAX / PERMYRIAD)
		return whole * permyriad / PERMYRIAD;
	return whole / PERMYRIAD * permyriad;
}

uint64_t pol_sat_sub(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

void pol_stage_rule(const struct pol_config *cfg, enum pol_stage stage, char *buf, size_t size)
{
	const struct pol_origin *o = &cfg->stage[stage].origin;

	buf[0] = '\0';
	if (o->path[0] && o->line)
		pol_appendf(buf, size, "%s:%u [%s]", o->path, o->line, section_names[stage]);
	else if (o->path[0])
		pol_appendf(buf, size, "%s [%s]", o->path, section_names[stage]);
	else
		pol_appendf(buf, size, "oomguardian.conf [%s] (built-in default)",
			    section_names[stage]);
}

struct pol_action *pol_plan_add(struct pol_plan *plan, enum pol_action_kind kind,
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

bool pol_disruptive(enum pol_action_kind kind)
{
	return kind != POL_ACT_REPORT && kind != POL_ACT_OOM_SCORE_ADJ;
}

bool pol_can_reclaim_cgroup(const struct og_snapshot *s, const char *path)
{
	enum og_cg_layout layout = OG_CG_NONE;

	/* every cgroup of one snapshot has the mount's layout; the group itself if we have it */
	for (size_t i = 0; path && path[0] && i < s->ncgroups; i++)
		if (strcmp(s->cgroups[i].path, path) == 0)
			return s->cgroups[i].layout != OG_CG_V1;
	if (s->has_scope_cg)
		layout = s->scope_cg.layout;
	else if (s->ncgroups > 0)
		layout = s->cgroups[0].layout;
	return layout != OG_CG_V1; /* memory.reclaim exists on cgroup2 only */
}

/* ------------------------------------------------------------------ measurements */

void pol_measure(const struct og_snapshot *s, const struct pol_rules *r, const struct pol_ctx *ctx,
		 struct pol_measure *m)
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

void pol_policy_of(const struct pol_measure *m, const struct og_snapshot *s,
		   const struct pol_rules *r, size_t i, struct pol_proc_policy *ret)
{
	if (m && m->policies)
		*ret = m->policies[i];
	else
		pol_policy_for(r, &s->procs[i], ret);
}

bool pol_proc_dead(const struct og_proc *p)
{
	return p->state == 'Z' || p->state == 'X' || p->state == 'x';
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

static const char *tier_text(const struct pol_why_data *d, char *buf, size_t size)
{
	char n[16];

	buf[0] = '\0';
	switch ((enum pol_tier)d->tier) {
	case POL_TIER_PREFER:
		pol_appendf(buf, size, "preferred by policy %s", d->who);
		break;
	case POL_TIER_OVER_BUDGET:
		pol_appendf(buf, size, "its service %s is over its budget or pressure limit",
			    d->service);
		break;
	case POL_TIER_AVOID_NEEDED:
		pol_appendf(buf, size, "avoided by %s, but no other candidate frees the needed %s",
			    d->who, og_format_bytes(n, sizeof(n), d->needed_bytes));
		break;
	case POL_TIER_AVOID:
		pol_appendf(buf, size, "avoided by %s, no other candidate left", d->who);
		break;
	default:
		if (d->service[0])
			pol_appendf(buf, size, "largest candidate (policy %s)", d->who);
		else
			pol_appendf(buf, size, "largest candidate");
		break;
	}
	return buf;
}

static const char *unit_text(const struct pol_action *a, char *buf, size_t size)
{
	const struct pol_target *t = &a->target;
	const char *est =
		a->why.rss_source >= 0 ? pol_rss_source_text((enum og_rss_source)a->why.rss_source)
				       : NULL;

	buf[0] = '\0';
	if (t->kind == POL_TGT_PROCESS_GROUP)
		pol_appendf(buf, size, "process group %d, anon+swap", (int)t->pgid);
	else if (t->kind == POL_TGT_CGROUP)
		pol_appendf(buf, size, "cgroup '%s', current-file+swap", t->cgroup);
	else
		pol_appendf(buf, size, "anon+swap");
	if (est && t->kind != POL_TGT_CGROUP)
		pol_appendf(buf, size, "; %s", est);
	return buf;
}

const char *pol_cause_text(const struct pol_cause *c, char *buf, size_t size)
{
	const char *cmp = c->held ? "not yet back above" : "<";
	const char *stage = pol_stage_name(c->stage);
	const char *hyst = c->held ? " + hysteresis" : "";
	const char *swap = c->swap_note ? ", below half of it though swap is free" : "";
	char a[16], l[16], b[16];

	switch (c->kind) {
	case POL_CAUSE_MEM_PCT:
		pol_fmtbuf(buf, size, "%s %s (%s) %s %s %s threshold%s%s", c->avail_name,
			   pol_fmt_pct(a, sizeof(a), c->measured),
			   og_format_bytes(b, sizeof(b), c->avail_bytes), cmp,
			   pol_fmt_pct(l, sizeof(l), c->limit), stage, hyst, swap);
		break;
	case POL_CAUSE_MEM_BYTES:
		pol_fmtbuf(buf, size, "%s %s %s %s %s threshold%s%s", c->avail_name,
			   og_format_bytes(a, sizeof(a), c->avail_bytes), cmp,
			   og_format_bytes(b, sizeof(b), c->limit), stage, hyst, swap);
		break;
	case POL_CAUSE_PSI:
		pol_fmtbuf(buf, size,
			   "memory PSI %s avg10 %u.%02u%% > %u.%02u%% for %llus (%s threshold)",
			   c->psi_full ? "full" : "some", (unsigned)(c->measured / 100),
			   (unsigned)(c->measured % 100), (unsigned)(c->limit / 100),
			   (unsigned)(c->limit % 100),
			   (unsigned long long)(c->duration_usec / 1000000), stage);
		break;
	case POL_CAUSE_NODE:
		pol_node_cause_text(c, buf, size);
		break;
	default:
		pol_fmtbuf(buf, size, "the %s stage is still active (hysteresis)", stage);
		break;
	}
	return buf;
}

const char *pol_trigger_text(const struct pol_trigger *tr, const char *fallback, char *buf,
			     size_t size)
{
	if (!tr->fired)
		return fallback;
	return pol_cause_text(&tr->cause, buf, size);
}

/* "<what>; victim hog pid 600 frees ~700.0M (anon+swap), largest candidate" */
static void signal_sentence(struct pol_action *a, const char *what)
{
	char f[16], u[160], tt[160];

	pol_fmtbuf(a->reason, sizeof(a->reason), "%s; victim %s pid %d frees ~%s (%s), %s", what,
		   a->target.comm, (int)a->target.pid,
		   og_format_bytes(f, sizeof(f), a->why.free_bytes), unit_text(a, u, sizeof(u)),
		   tier_text(&a->why, tt, sizeof(tt)));
}

void pol_action_explain(struct pol_action *a)
{
	const struct pol_why_data *d = &a->why;
	const struct pol_target *t = &a->target;
	char w[200];

	switch (d->code) {
	case POL_WHY_SIGNAL:
		if (d->cause.kind == POL_CAUSE_BUDGET ||
		    d->cause.kind == POL_CAUSE_PRESSURE_LIMIT) {
			char sw[200];

			signal_sentence(a, pol_service_cause_text(&d->cause, d->service, d->key, sw,
								  sizeof(sw)));
		} else {
			signal_sentence(a, pol_cause_text(&d->cause, w, sizeof(w)));
		}
		break;
	case POL_WHY_NO_VICTIM:
		pol_fmtbuf(a->reason, sizeof(a->reason),
			   "%s; no process may be killed (all protected, never, outside the "
			   "scope or already signalled)",
			   pol_cause_text(&d->cause, w, sizeof(w)));
		break;
	case POL_WHY_GRACE_EXPIRED:
		pol_fmtbuf(a->reason, sizeof(a->reason),
			   "%s pid %d did not exit within its %llu.%llus SIGTERM grace: "
			   "escalating to SIGKILL",
			   t->comm, (int)t->pid, (unsigned long long)(d->grace_usec / 1000000),
			   (unsigned long long)(d->grace_usec % 1000000 / 100000));
		break;
	case POL_WHY_ESCALATE:
		pol_fmtbuf(a->reason, sizeof(a->reason),
			   "%s while %s pid %d was in its SIGTERM grace (%llums left): "
			   "escalating to SIGKILL",
			   d->cause.kind != POL_CAUSE_NONE ? pol_cause_text(&d->cause, w, sizeof(w))
							   : "the kill stage is active",
			   t->comm, (int)t->pid, (unsigned long long)(d->left_usec / 1000));
		break;
	default:
		return; /* POL_WHY_TEXT: reason holds it */
	}
	a->why.code = POL_WHY_TEXT;
}

void pol_plan_explain(struct pol_plan *plan)
{
	for (size_t i = 0; i < plan->n; i++)
		pol_action_explain(&plan->actions[i]);
}

/* Plan TERM (grace > 0 and !kill_now) or KILL for the best candidate, remember it. Records
 * figures, formats nothing (pol_action_explain() does, after the signal). */
void pol_plan_signal(struct pol_plan *plan, struct pol_state *st, const struct pol_rules *r,
		     const struct og_snapshot *s, const struct pol_measure *m,
		     const struct pol_candidate *c, bool kill_now, uint64_t needed,
		     const struct pol_why *w, uint64_t now)
{
	/* The file's name, not its path: the path is in the action's rule field, and a long one
	 * would crowd the numbers out of the 256-byte sentence. */
	const char *slash = strrchr(c->rule, '/');
	const char *who = !c->rule[0] ? c->service : slash ? slash + 1 : c->rule;
	struct pol_proc_policy pp;
	const struct pol_service *svc;
	uint64_t grace;
	enum pol_action_kind kind;
	struct pol_action *a;

	pol_policy_of(m, s, r, c->proc_index, &pp);
	svc = pp.svc;
	grace = svc ? svc->term_grace_usec : r->cfg.default_term_grace_usec;
	kind = kill_now || grace == 0 ? POL_ACT_KILL : POL_ACT_TERM;
	a = pol_plan_add(plan, kind, w->stage);
	if (!a)
		return;
	a->target = c->target;
	a->value = kind == POL_ACT_TERM ? grace : 0;
	og_strscpy(a->rule, w->rule, sizeof(a->rule));
	og_strscpy(a->metric, w->metric, sizeof(a->metric));
	a->measured = w->measured;
	a->limit = w->limit;
	a->why.code = POL_WHY_SIGNAL;
	a->why.free_bytes = c->free_bytes;
	a->why.needed_bytes = needed;
	a->why.tier = (int)c->tier;
	a->why.rss_source = c->proc_index < s->nprocs ? (int)s->procs[c->proc_index].rss_source : -1;
	og_strscpy(a->why.who, who, sizeof(a->why.who));
	og_strscpy(a->why.service, c->service, sizeof(a->why.service));
	a->why.cause = *w->cause;
	if (w->key)
		og_strscpy(a->why.key, w->key, sizeof(a->why.key));
	victim_record(st, a, now, grace, c->service);
}

void pol_copy_top(struct pol_plan *plan, const struct pol_candidate *top, size_t n)
{
	plan->ntop = n < POL_TOP_MAX ? n : POL_TOP_MAX;
	memcpy(plan->top, top, plan->ntop * sizeof(top[0]));
}

void pol_fill_opts(const struct og_snapshot *s, const struct pol_state *st,
		   const struct pol_ctx *ctx, const struct pol_measure *m,
		   struct pol_victim_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->self_pid = ctx ? ctx->self_pid : 0;
	o->scope = m->scope;
	o->inflight = st->victims;
	o->ninflight = st->nvictims;
	o->policies = m->policies;
	o->cgroup_hash = m->cgroup_hash;
	o->is_over_budget = pol_inst_over_budget;
	o->over_budget_data = st;
	o->total_bytes = s->mem.total_bytes;
}
