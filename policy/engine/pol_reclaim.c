/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Freeing memory without killing: dropping reclaimable slab (the Koji story), compaction of a
 * fragmented zone (the order-2 OOM of seed 003) and NUMA page migration (numad-style).
 * Semantics: see the block comment in pol_engine.c.
 */
#include <string.h>

#include "policy/engine/pol_engine_int.h"
#include "policy/engine/pol_match.h"
#include "policy/util/cleanup.h"
#include "policy/util/strutil.h"
#include "policy/engine/zone.h"

/*
 * When reclaimable slab is worth dropping (pol_plan_slab). MemAvailable already counts it, so
 * on the memory condition slab can never be above the stage's threshold share of MemTotal: it
 * is weighed against what is still available instead. Slab that a drop could not free (the
 * least seen since) does not count again.
 */
#define SLAB_SHARE_PERMYRIAD 2000u /* droppable slab above 20% of total: always worth it */
#define SLAB_AVAIL_PERMYRIAD 3300u /* ... or a third or more of what is still available */
#define SLAB_MIN_PERMYRIAD 300u /* ... and 3% of total at least (less is not what holds the RAM) */
#define SLAB_REDROP_USEC (60 * 1000000ULL) /* between two drops, whatever the episode */
#define NODE_LOW_PERMYRIAD 500u /* a node with < 5% free is short */
#define NODE_ROOMY_PERMYRIAD 2000u /* a node with >= 20% free can take pages */
#define COMPACT_MIN_FREE_BYTES (4ull << 20) /* less free: compaction has no room to work */
#define COMPACT_ORDER 2 /* order-2 (16 KiB: kernel stacks, skbs) is what seed 003 failed */

/* ------------------------------------------------------------------ reclaim */

/*
 * Issue 10 item 6: a daemon guarding one cgroup acts on that cgroup only. drop_caches and
 * compaction work on the whole machine (every tenant's page cache and slab, every node), so in
 * a scope they need MachineWideReclaim=yes; the scope's own memory.reclaim (cgroup2) is always
 * fine.
 */
static bool machine_wide_ok(const struct pol_rules *r, const struct pol_measure *m)
{
	return !m->scope[0] || r->cfg.machine_wide_reclaim;
}

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

/* The reclaimable slab of the guarded scope (the machine's SReclaimable, or the scope's own). */
static bool slab_bytes(const struct og_snapshot *s, const struct pol_measure *m, uint64_t *ret)
{
	if (m->scope[0] && s->has_scope_cg)
		*ret = s->scope_cg.slab_reclaimable_bytes; /* the scope's own, not the host's */
	else if (!m->scope[0] && (s->mem.has & OG_MI_SRECLAIMABLE))
		*ret = s->mem.sreclaimable_bytes;
	else
		return false;
	return true;
}

void pol_slab_track(const struct og_snapshot *s, struct pol_state *st, const struct pol_measure *m)
{
	uint64_t slab;

	if (!st->slab_drop_usec || !slab_bytes(s, m, &slab))
		return;
	/* the least seen since the drop is what it could not free; growth above it is new */
	if (slab < st->slab_left_bytes)
		st->slab_left_bytes = slab;
}

/*
 * Drop reclaimable slab when it is a large part of the memory (SLAB_* above), at most once per
 * SLAB_REDROP_USEC and never again for slab a drop could not free (st->slab_left_bytes).
 */
bool pol_plan_slab(const struct og_snapshot *s, const struct pol_rules *r, struct pol_state *st,
		   const struct pol_measure *m, enum pol_stage level, const struct pol_trigger *tr,
		   uint64_t now_usec, struct pol_plan *plan)
{
	const struct og_slab *big = largest_reclaimable_slab(s);
	uint64_t slab, drop, share, of_avail;
	struct pol_action *a;
	bool cg, by_total;
	char rule[POL_PATH_MAX + 32], b[16], p[16], pa[16], av[16], bb[16], extra[112] = "",
		left[64] = "", what[128];

	if (!slab_bytes(s, m, &slab))
		return false;
	if (st->slab_drop_usec && now_usec - st->slab_drop_usec < SLAB_REDROP_USEC)
		return false;
	drop = st->slab_drop_usec ? pol_sat_sub(slab, st->slab_left_bytes) : slab;
	share = pol_share_permyriad(drop, m->total);
	of_avail = pol_share_permyriad(drop, m->avail ? m->avail : 1);
	by_total = share > SLAB_SHARE_PERMYRIAD;
	if (!by_total && (of_avail < SLAB_AVAIL_PERMYRIAD || share < SLAB_MIN_PERMYRIAD))
		return false;
	/* memory.reclaim is cgroup2-only: a v1 scope's slab could only go with the machine-wide
	 * drop, which a scope may not do unless told (MachineWideReclaim=yes) */
	cg = m->scope[0] && pol_can_reclaim_cgroup(s, m->scope);
	if (!cg && !machine_wide_ok(r, m))
		return false;
	a = pol_plan_add(plan, cg ? POL_ACT_RECLAIM_CGROUP : POL_ACT_DROP_SLAB, POL_STAGE_RECLAIM);
	if (!a)
		return false;
	if (st->slab_drop_usec && st->slab_left_bytes)
		pol_fmtbuf(left, sizeof(left), " (%s above the %s the last drop left)",
			   og_format_bytes(bb, sizeof(bb), drop),
			   og_format_bytes(pa, sizeof(pa), st->slab_left_bytes));
	st->slab_drop_usec = now_usec;
	st->slab_left_bytes = slab;
	st->stage[POL_STAGE_RECLAIM].acted = true;
	pol_stage_rule(&r->cfg, POL_STAGE_RECLAIM, rule, sizeof(rule));
	og_strscpy(a->rule, rule, sizeof(a->rule));
	og_strscpy(a->metric, by_total ? "slab_reclaimable_permyriad" : "slab_of_available_permyriad",
		   sizeof(a->metric));
	a->measured = by_total ? share : of_avail;
	a->limit = by_total ? SLAB_SHARE_PERMYRIAD : SLAB_AVAIL_PERMYRIAD;
	a->value = slab;
	a->target.expected_free_bytes = drop;
	if (cg) {
		a->target.kind = POL_TGT_CGROUP;
		og_strscpy(a->target.cgroup, m->scope, sizeof(a->target.cgroup));
	}
	if (big && big->total_bytes) {
		og_strscpy(a->target.unit, big->name, sizeof(a->target.unit));
		pol_fmtbuf(extra, sizeof(extra), ", largest reclaimable cache %s %s", big->name,
			   og_format_bytes(bb, sizeof(bb), big->total_bytes));
	}
	og_format_bytes(b, sizeof(b), slab);
	pol_fmt_pct(p, sizeof(p), pol_share_permyriad(slab, m->total));
	if (by_total)
		pol_fmtbuf(a->reason, sizeof(a->reason),
			   "%s; %s %s is %s of %s (> 20%%)%s%s: dropping reclaimable slab%s "
			   "before any kill (level %s)",
			   pol_trigger_text(tr, "memory is low", what, sizeof(what)),
			   m->scoped_limit ? "scope slab_reclaimable" : "SReclaimable", b, p,
			   m->scoped_limit ? "the scope limit" : "MemTotal", left, extra,
			   m->scope[0] && !cg ? " machine-wide (v1 has no memory.reclaim; "
						"MachineWideReclaim=yes)"
					      : "",
			   pol_stage_name(level));
	else
		pol_fmtbuf(a->reason, sizeof(a->reason),
			   "%s; %s %s (%s of %s) is %s of the %s still available (>= 33%%)%s%s: "
			   "dropping reclaimable slab%s before any kill (level %s)",
			   pol_trigger_text(tr, "memory is low", what, sizeof(what)),
			   m->scoped_limit ? "scope slab_reclaimable" : "SReclaimable", b, p,
			   m->scoped_limit ? "the scope limit" : "MemTotal",
			   pol_fmt_pct(pa, sizeof(pa), of_avail),
			   og_format_bytes(av, sizeof(av), m->avail), left, extra,
			   m->scope[0] && !cg ? " machine-wide (MachineWideReclaim=yes)" : "",
			   pol_stage_name(level));
	return true;
}

void pol_plan_reclaim_report(const struct og_snapshot *s, const struct pol_rules *r,
			     struct pol_state *st, const struct pol_measure *m,
			     const struct pol_trigger *tr, struct pol_plan *plan)
{
	struct pol_stage_state *ss = &st->stage[POL_STAGE_RECLAIM];
	uint64_t need = pol_needed_bytes(r, m, POL_STAGE_RECLAIM);
	bool cg = m->scoped_limit && need > 0 && pol_can_reclaim_cgroup(s, m->scope);
	bool v1 = m->scoped_limit && need > 0 && !cg;
	struct pol_action *a;
	char rule[POL_PATH_MAX + 32], b[16], what[128];

	if (ss->acted)
		return;
	a = pol_plan_add(plan, cg ? POL_ACT_RECLAIM_CGROUP : POL_ACT_REPORT, POL_STAGE_RECLAIM);
	if (!a)
		return;
	ss->acted = true;
	pol_stage_rule(&r->cfg, POL_STAGE_RECLAIM, rule, sizeof(rule));
	og_strscpy(a->rule, rule, sizeof(a->rule));
	og_strscpy(a->metric, tr->metric[0] ? tr->metric : "stage", sizeof(a->metric));
	a->measured = tr->measured;
	a->limit = tr->limit;
	if (cg) {
		a->target.kind = POL_TGT_CGROUP;
		og_strscpy(a->target.cgroup, m->scope, sizeof(a->target.cgroup));
		a->value = need;
		a->target.expected_free_bytes = need;
		pol_fmtbuf(a->reason, sizeof(a->reason), "%s; asking the scope '%s' to reclaim %s",
			   pol_trigger_text(tr, "", what, sizeof(what)), m->scope, og_format_bytes(b, sizeof(b), need));
	} else {
		pol_fmtbuf(
			a->reason, sizeof(a->reason), "%s; %s: the kernel is reclaiming, watching",
			pol_trigger_text(tr, "the reclaim stage is active", what, sizeof(what)),
			v1 ? "a v1 memory cgroup has no memory.reclaim"
			: m->scope[0] && !machine_wide_ok(r, m)
				? "only the scope is ours to reclaim (MachineWideReclaim=no)"
				: "reclaimable slab is small, nothing to drop");
	}
}

/* ------------------------------------------------------------------ fragmentation, NUMA */

static int zone_kind(const char *name)
{
	static const char *const kinds[] = {"DMA", "DMA32", "Normal", "Movable"};

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

/* Whether plan already compacts node (the per-node stage, pol_node.c). */
static bool node_compacting(const struct pol_plan *plan, int node)
{
	for (size_t i = 0; i < plan->n; i++)
		if (plan->actions[i].kind == POL_ACT_COMPACT &&
		    plan->actions[i].target.kind == POL_TGT_NODE &&
		    plan->actions[i].target.node == node)
			return true;
	return false;
}

void pol_plan_compact(const struct og_snapshot *s, const struct pol_rules *r,
		      const struct pol_measure *m, struct pol_state *st, bool allowed,
		      struct pol_plan *plan)
{
	bool planned = false;

	allowed = allowed && machine_wide_ok(r, m); /* compaction is of host nodes */

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
		if (node_compacting(plan, z->node)) { /* the node stage's compaction covers it */
			st->zone_compacted[k] = true;
			continue;
		}
		a = pol_plan_add(plan, POL_ACT_COMPACT, POL_STAGE_RECLAIM);
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
		pol_fmtbuf(a->reason, sizeof(a->reason),
			   "node %d zone %s has %s free but no free block of order >= %d "
			   "(largest order %d): an order-%d allocation would fail, compacting "
			   "node %d",
			   z->node, z->name,
			   og_format_bytes(b, sizeof(b),
					   z->has_zoneinfo
						   ? z->free_bytes
						   : og_zone_free_pages(z) *
							     (s->page_size ? s->page_size : 4096)),
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
	return pol_share_permyriad(n->free_bytes, n->total_bytes) < NODE_LOW_PERMYRIAD ||
	       node_has_fragmented_zone(s, n->id);
}

/* The largest NUMA=yes, unprotected, signallable process in scope: index or (size_t)-1. */
static size_t numa_candidate(const struct og_snapshot *s, const struct pol_rules *r,
			     const struct pol_state *st, const struct pol_ctx *ctx,
			     const struct pol_measure *m)
{
	struct pol_victim_opts o;
	size_t best = (size_t)-1;

	pol_fill_opts(s, st, ctx, m, &o);
	for (size_t i = 0; i < s->nprocs; i++) {
		const struct og_proc *p = &s->procs[i];
		struct pol_proc_policy pp;

		pol_policy_of(m, s, r, i, &pp);
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

void pol_plan_migrate(const struct og_snapshot *s, const struct pol_rules *r, struct pol_state *st,
		      const struct pol_ctx *ctx, const struct pol_measure *m, bool allowed,
		      struct pol_plan *plan)
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
		if (!sh &&
		    pol_share_permyriad(n->free_bytes, n->total_bytes) >= NODE_ROOMY_PERMYRIAD &&
		    (!to || pol_share_permyriad(n->free_bytes, n->total_bytes) >
				    pol_share_permyriad(to->free_bytes, to->total_bytes)))
			to = n;
	}
	if (!r->cfg.numa_rebalance || !allowed || !from || !to || from == to)
		return;
	pi = numa_candidate(s, r, st, ctx, m);
	if (pi == (size_t)-1)
		return;
	p = &s->procs[pi];
	/* bound elsewhere (membind, cpuset mems: og_proc.mems_mask, when read): it cannot move */
	if (p->mems_mask && to->id < 64 && !(p->mems_mask & (1ull << to->id)))
		return;
	/* leave the destination its own NODE_ROOMY share, do not make it the next short node */
	room = pol_sat_sub(to->free_bytes,
			   pol_of_permyriad(to->total_bytes, NODE_LOW_PERMYRIAD * 2));
	move = p->rss_anon_bytes < room ? p->rss_anon_bytes : room;
	if (move == 0)
		return;
	a = pol_plan_add(plan, POL_ACT_MIGRATE, POL_STAGE_RECLAIM);
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
	a->measured = pol_share_permyriad(from->free_bytes, from->total_bytes);
	a->limit = NODE_LOW_PERMYRIAD;
	pol_fmtbuf(a->reason, sizeof(a->reason),
		   "node %d is short (%s free%s) while node %d has %s free: migrating up to %s "
		   "of %s pid %d (NUMA=yes) from node %d to node %d",
		   from->id, og_format_bytes(f, sizeof(f), from->free_bytes),
		   node_has_fragmented_zone(s, from->id) ? ", a zone without order-2 blocks" : "",
		   to->id, og_format_bytes(t, sizeof(t), to->free_bytes),
		   og_format_bytes(b, sizeof(b), move), p->comm, (int)p->pid, from->id, to->id);
}
