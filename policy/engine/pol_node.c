/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The per-node stage (seed 003, issue 8's numa scenario): a process bound to one NUMA node
 * (set_mempolicy MPOL_BIND, `numactl --membind`, a cpuset's mems) is OOM-killed by the kernel
 * (constraint=CONSTRAINT_MEMORY_POLICY or CONSTRAINT_CPUSET) when its node runs out, whatever
 * the machine has free. So each node is measured against the ladder on its own:
 *   node available = MemFree - the high watermarks of its zones (zoneinfo: the kernel's OOM
 *   killer runs below min, which on a small node is ~5% of it: VM run of 2026-12-02, min
 *   29 MiB of 583 MiB) + Inactive(file) + Active(file)/2 of node<N>/meminfo (what the
 *   kernel reclaims first, the MemAvailable guess per node), as a share of the node's MemTotal,
 *   against every stage's MemoryAvailableBelow= percentage (byte thresholds are machine-wide
 *   and not applied per node). Hysteresis= as for the machine.
 * A node in a stage above the machine's own (a node only as short as the machine is the
 * machine ladder's case, not a per-node one): one REPORT per stage and episode naming the node
 * (free/total, the largest free order of its zones, the processes confined to it, the
 * machine's share available), and a COMPACT of the node once per episode. The whole machine
 * only: a scoped daemon has its scope's ladder. A node whose
 * terminate or kill threshold is crossed: one victim among the processes confined to the
 * short nodes (og_proc.mems_mask set and within them: killing anything else frees nothing
 * there), TERM at terminate, KILL at kill, like the machine ladder.
 */
#include <string.h>

#include "policy/engine/pol_engine_int.h"
#include "policy/engine/pol_victim.h"
#include "policy/engine/zone.h"
#include "policy/util/strutil.h"

uint64_t pol_node_avail(const struct og_numa_node *n)
{
	uint64_t a = pol_sat_sub(n->free_bytes, n->reserve_bytes) + n->inactive_file_bytes +
		     n->active_file_bytes / 2;

	return a < n->total_bytes ? a : n->total_bytes;
}

enum pol_stage pol_node_stage(const struct pol_config *cfg, const struct og_numa_node *n,
			      uint64_t margin_pm)
{
	uint64_t share = pol_share_permyriad(pol_node_avail(n), n->total_bytes);
	enum pol_stage level = POL_STAGE_NONE;

	if (n->total_bytes == 0)
		return POL_STAGE_NONE;
	for (int i = POL_STAGE_RECLAIM; i < POL_STAGE__MAX; i++)
		if (cfg->stage[i].mem_avail_permyriad &&
		    share < cfg->stage[i].mem_avail_permyriad + margin_pm)
			level = i;
	return level;
}

/* The node's available share is below threshold t (permyriad) plus a quarter of it. */
static bool within_quarter_of(const struct og_numa_node *n, uint32_t t)
{
	return n->total_bytes && t &&
	       pol_share_permyriad(pol_node_avail(n), n->total_bytes) < t + t / 4;
}

bool pol_node_near(const struct pol_config *cfg, const struct og_numa_node *n)
{
	uint32_t top = 0;

	for (int i = POL_STAGE_RECLAIM; i < POL_STAGE__MAX; i++)
		if (cfg->stage[i].mem_avail_permyriad > top)
			top = cfg->stage[i].mem_avail_permyriad;
	return within_quarter_of(n, top);
}

bool pol_node_hot(const struct pol_config *cfg, const struct og_numa_node *n)
{
	uint32_t t = cfg->stage[POL_STAGE_TERMINATE].mem_avail_permyriad;

	return within_quarter_of(n, t ? t : cfg->stage[POL_STAGE_KILL].mem_avail_permyriad);
}

uint64_t pol_node_threshold_bytes(const struct pol_config *cfg, enum pol_stage stage,
				  const struct og_numa_node *n)
{
	return pol_of_permyriad(n->total_bytes, cfg->stage[stage].mem_avail_permyriad);
}

static uint64_t node_bit(int id)
{
	return id >= 0 && id < 64 ? 1ull << id : 0;
}

/* "largest free order 1 (Normal)" of the node's zones other than DMA, "" if unknown. */
static void frag_text(const struct og_snapshot *s, int node, char *buf, size_t size)
{
	int best = -1;

	buf[0] = '\0';
	for (size_t i = 0; i < s->nzones; i++) {
		const struct og_zone *z = &s->zones[i];
		int o;

		if (z->node != node || strcmp(z->name, "DMA") == 0 || z->norders == 0)
			continue;
		o = og_zone_largest_free_order(z);
		best = o > best ? o : best;
	}
	if (best >= 0)
		pol_fmtbuf(buf, size, ", largest free block order %d", best);
}

/* "memhog pid 812 590M" for the processes confined to the node (largest first, up to 2). */
static void confined_text(const struct og_snapshot *s, int node, char *buf, size_t size)
{
	size_t shown = 0, more = 0;
	uint64_t bit = node_bit(node), last = UINT64_MAX;

	buf[0] = '\0';
	for (int round = 0; round < 2; round++) {
		size_t best = (size_t)-1;

		for (size_t i = 0; i < s->nprocs; i++) {
			const struct og_proc *p = &s->procs[i];
			uint64_t f = pol_proc_freeable(p);

			if (!bit || p->mems_mask != bit || f >= last)
				continue;
			if (best == (size_t)-1 || f > pol_proc_freeable(&s->procs[best]))
				best = i;
		}
		if (best == (size_t)-1)
			break;
		last = pol_proc_freeable(&s->procs[best]);
		{
			char b[16];

			pol_appendf(buf, size, "%s%s pid %d %s", shown ? ", " : "",
				    s->procs[best].comm, (int)s->procs[best].pid,
				    og_format_bytes(b, sizeof(b), last));
		}
		shown++;
	}
	for (size_t i = 0; i < s->nprocs; i++)
		if (bit && s->procs[i].mems_mask == bit)
			more++;
	if (more > shown)
		pol_appendf(buf, size, " and %zu more", more - shown);
	if (!shown)
		og_strscpy(buf, "none seen", size);
}

/* The figures of node n at level as a cause (machine_pm: the machine's available share). */
static struct pol_cause node_cause(const struct pol_config *cfg, const struct og_numa_node *n,
				   enum pol_stage level, uint64_t machine_pm)
{
	return (struct pol_cause){.kind = POL_CAUSE_NODE,
				  .stage = level,
				  .node = n->id,
				  .measured = pol_share_permyriad(pol_node_avail(n), n->total_bytes),
				  .limit = cfg->stage[level].mem_avail_permyriad,
				  .avail_bytes = pol_node_avail(n),
				  .node_free_bytes = n->free_bytes,
				  .node_total_bytes = n->total_bytes,
				  .machine_pm = machine_pm};
}

/* "node 1 4.37% available (28.0M, free 9.0M) of 640M < 5.00% terminate threshold" */
static const char *node_cause_head(const struct pol_cause *c, char *buf, size_t size)
{
	char a[16], f[16], t[16], sh[16], l[16];

	pol_fmtbuf(buf, size, "node %d %s available (%s, free %s) of %s < %s %s threshold", c->node,
		   pol_fmt_pct(sh, sizeof(sh), c->measured),
		   og_format_bytes(a, sizeof(a), c->avail_bytes),
		   og_format_bytes(f, sizeof(f), c->node_free_bytes),
		   og_format_bytes(t, sizeof(t), c->node_total_bytes),
		   pol_fmt_pct(l, sizeof(l), c->limit), pol_stage_name(c->stage));
	return buf;
}

const char *pol_node_cause_text(const struct pol_cause *c, char *buf, size_t size)
{
	char p[16];

	node_cause_head(c, buf, size);
	pol_appendf(buf, size, ", machine %s available (per-node: memory policy/cpuset)",
		    pol_fmt_pct(p, sizeof(p), c->machine_pm));
	return buf;
}

static void node_rule(const struct pol_rules *r, enum pol_stage level, int node, char *buf,
		      size_t size)
{
	pol_stage_rule(&r->cfg, level, buf, size);
	pol_appendf(buf, size, " (node %d)", node);
}

/* An action on node n at level with its rule, metric and the cause sentence in cause. */
static struct pol_action *node_action(const struct pol_rules *r, const struct og_numa_node *n,
				      enum pol_action_kind kind, enum pol_stage stage,
				      enum pol_stage level, char *cause, size_t size,
				      struct pol_plan *plan)
{
	struct pol_action *a = pol_plan_add(plan, kind, stage);
	struct pol_cause c = node_cause(&r->cfg, n, level, 0);

	if (!a)
		return NULL;
	a->target.kind = POL_TGT_NODE;
	a->target.node = n->id;
	node_rule(r, level, n->id, a->rule, sizeof(a->rule));
	og_strscpy(a->metric, "node_available_permyriad", sizeof(a->metric));
	a->measured = pol_share_permyriad(pol_node_avail(n), n->total_bytes);
	a->limit = r->cfg.stage[level].mem_avail_permyriad;
	a->value = pol_node_avail(n);
	node_cause_head(&c, cause, size);
	return a;
}

static void node_report(const struct og_snapshot *s, const struct pol_rules *r,
			const struct pol_measure *m, const struct og_numa_node *n,
			enum pol_stage level, struct pol_plan *plan)
{
	char cause[128], fr[48], who[96], p[16];
	struct pol_action *a =
		node_action(r, n, POL_ACT_REPORT, level, level, cause, sizeof(cause), plan);

	if (!a)
		return;
	frag_text(s, n->id, fr, sizeof(fr));
	confined_text(s, n->id, who, sizeof(who));
	pol_fmtbuf(a->reason, sizeof(a->reason),
		   "%s%s; the machine has %s available: a per-node shortage (memory "
		   "policy/cpuset); confined to node %d: %s",
		   cause, fr, pol_fmt_pct(p, sizeof(p), pol_share_permyriad(m->avail, m->total)),
		   n->id, who);
}

static void node_compact(const struct pol_rules *r, const struct og_numa_node *n,
			 enum pol_stage level, struct pol_plan *plan)
{
	char cause[128];
	struct pol_action *a = node_action(r, n, POL_ACT_COMPACT, POL_STAGE_RECLAIM, level, cause,
					   sizeof(cause), plan);

	if (a)
		pol_fmtbuf(a->reason, sizeof(a->reason), "%s: compacting node %d before any kill",
			   cause, n->id);
}

/* One victim confined to the short nodes for node n at level (terminate or kill). */
static bool node_victim(const struct og_snapshot *s, const struct pol_rules *r,
			struct pol_state *st, const struct pol_ctx *ctx,
			const struct pol_measure *m, const struct og_numa_node *n,
			enum pol_stage level, uint64_t short_mask, uint64_t now,
			struct pol_plan *plan)
{
	struct pol_candidate top[POL_TOP_MAX];
	struct pol_victim_opts o;
	char rule[POL_PATH_MAX + 48];
	uint64_t need = pol_sat_sub(pol_of_permyriad(n->total_bytes,
						     r->cfg.stage[level].mem_avail_permyriad +
							     r->cfg.hysteresis_permyriad),
				    pol_node_avail(n));
	struct pol_cause cause =
		node_cause(&r->cfg, n, level, pol_share_permyriad(m->avail, m->total));
	struct pol_why w = {.stage = level, .rule = rule, .metric = "node_available_permyriad",
			    .measured = cause.measured, .limit = cause.limit, .cause = &cause};
	size_t k;

	pol_fill_opts(s, st, ctx, m, &o);
	o.only_mems = short_mask;
	o.needed_bytes = need;
	k = pol_victims(s, r, &o, top, POL_TOP_MAX);
	if (k == 0)
		return false;
	node_rule(r, level, n->id, rule, sizeof(rule));
	pol_copy_top(plan, top, k);
	pol_plan_signal(plan, st, r, s, m, &top[0], level >= POL_STAGE_KILL, need, &w, now);
	return true;
}

bool pol_plan_nodes(const struct og_snapshot *s, const struct pol_rules *r, struct pol_state *st,
		    const struct pol_ctx *ctx, const struct pol_measure *m,
		    enum pol_stage machine_level, bool may_kill, bool reclaim_ok, uint64_t now,
		    struct pol_plan *plan)
{
	uint64_t short_mask = 0;
	const struct og_numa_node *worst = NULL;
	enum pol_stage worst_level = POL_STAGE_NONE;

	/* a scope's limit is not a node's: the scope's ladder covers it (and the loop polls
	 * nodes on the whole machine only) */
	if (s->nnodes < 2 || m->scope[0])
		return false;
	for (size_t i = 0; i < s->nnodes; i++) {
		const struct og_numa_node *n = &s->nodes[i];
		struct pol_node_state *ns;
		enum pol_stage fire, held;

		if (n->id < 0 || n->id >= OG_NODES_MAX)
			continue;
		ns = &st->node[n->id];
		fire = pol_node_stage(&r->cfg, n, 0);
		held = pol_node_stage(&r->cfg, n, r->cfg.hysteresis_permyriad);
		/* a node no worse off than the machine is the machine's shortage, its ladder's */
		if (fire <= machine_level)
			fire = POL_STAGE_NONE;
		if (held <= machine_level)
			held = POL_STAGE_NONE;
		if (fire == POL_STAGE_NONE && (ns->level == POL_STAGE_NONE || held == POL_STAGE_NONE)) {
			memset(ns, 0, sizeof(*ns));
			continue;
		}
		ns->level = fire != POL_STAGE_NONE ? fire : held;
		if (fire == POL_STAGE_NONE)
			continue; /* hysteresis: the episode stays open, nothing new */
		if (fire > ns->reported) { /* each stage the node enters, once per episode */
			ns->reported = fire;
			node_report(s, r, m, n, fire, plan);
		}
		if (reclaim_ok && !ns->compacted) {
			ns->compacted = true;
			node_compact(r, n, fire, plan);
		}
		if (fire >= POL_STAGE_TERMINATE) {
			short_mask |= node_bit(n->id);
			if (fire > worst_level) {
				worst = n;
				worst_level = fire;
			}
		}
	}
	if (!may_kill || !worst || !short_mask)
		return false;
	return node_victim(s, r, st, ctx, m, worst, worst_level, short_mask, now, plan);
}
