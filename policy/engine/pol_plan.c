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

static const char *tier_text(const struct pol_candidate *c, uint64_t needed, char *buf, size_t size)
{
	/* The file's name, not its path: the path is in the action's rule field, and a long one
	 * would crowd the numbers out of the 256-byte sentence. */
	const char *slash = strrchr(c->rule, '/');
	const char *who = !c->rule[0] ? c->service : slash ? slash + 1 : c->rule;
	char n[16];

	buf[0] = '\0';
	switch (c->tier) {
	case POL_TIER_PREFER:
		pol_appendf(buf, size, "preferred by policy %s", who);
		break;
	case POL_TIER_OVER_BUDGET:
		pol_appendf(buf, size, "its service %s is over its budget or pressure limit",
			    c->service);
		break;
	case POL_TIER_AVOID_NEEDED:
		pol_appendf(buf, size, "avoided by %s, but no other candidate frees the needed %s",
			    who, og_format_bytes(n, sizeof(n), needed));
		break;
	case POL_TIER_AVOID:
		pol_appendf(buf, size, "avoided by %s, no other candidate left", who);
		break;
	default:
		if (c->service[0])
			pol_appendf(buf, size, "largest candidate (policy %s)", who);
		else
			pol_appendf(buf, size, "largest candidate");
		break;
	}
	return buf;
}

static const char *unit_text(const struct og_snapshot *s, const struct pol_candidate *c, char *buf,
			     size_t size)
{
	const char *est = c->proc_index < s->nprocs
				  ? pol_rss_source_text(s->procs[c->proc_index].rss_source)
				  : NULL;

	buf[0] = '\0';
	if (c->target.kind == POL_TGT_PROCESS_GROUP)
		pol_appendf(buf, size, "process group %d, anon+swap", (int)c->target.pgid);
	else if (c->target.kind == POL_TGT_CGROUP)
		pol_appendf(buf, size, "cgroup '%s', current-file+swap", c->target.cgroup);
	else
		pol_appendf(buf, size, "anon+swap");
	if (est && c->target.kind != POL_TGT_CGROUP)
		pol_appendf(buf, size, "; %s", est);
	return buf;
}

/* Plan TERM (grace > 0 and !kill_now) or KILL for the best candidate, remember it. */
void pol_plan_signal(struct pol_plan *plan, struct pol_state *st, const struct pol_rules *r,
		     const struct og_snapshot *s, const struct pol_measure *m,
		     const struct pol_candidate *c, bool kill_now, uint64_t needed,
		     const struct pol_why *w, uint64_t now)
{
	struct pol_proc_policy pp;
	const struct pol_service *svc;
	uint64_t grace;
	enum pol_action_kind kind;
	struct pol_action *a;
	char f[16], t[160], u[160];

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
	pol_fmtbuf(a->reason, sizeof(a->reason), "%s; victim %s pid %d frees ~%s (%s), %s", w->text,
		   c->target.comm, (int)c->target.pid, og_format_bytes(f, sizeof(f), c->free_bytes),
		   unit_text(s, c, u, sizeof(u)), tier_text(c, needed, t, sizeof(t)));
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
