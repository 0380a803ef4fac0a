/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The per-node side of the loop (policy/engine/pol_node.c decides): on the whole machine with
 * two or more NUMA nodes each tick reads node<N>/meminfo (one small sysfs file per node), so a
 * process bound to one node is seen filling it while MemAvailable says the machine is fine;
 * while a node is near a stage, each decision reads which nodes the largest processes are
 * confined to (numa_maps policy, status Mems_allowed_list), for those only.
 */
#include <errno.h>

#include "guardian/base/log.h"
#include "guardian/loop/loop_int.h"
#include "guardian/sources/src_numa.h"
#include "guardian/sources/src_zone.h"
#include "policy/engine/zone.h"
#include "policy/engine/pol_victim.h"

/* Processes whose confinement is read while a node is short: the victim is among the largest
 * (it filled the node); 16 reads of two small files cost well under a millisecond. */
#define LOOP_MEMS_READS 16

static void probe_nodes(struct loop *l)
{
	struct og_numa_node nodes[OG_NODES_MAX];
	size_t n = 0;

	l->nodes_probed = true;
	l->nnode_ids = 0;
	if (src_read_numa(&l->col.root, nodes, OG_NODES_MAX, &n) < 0 || n < 2)
		return;
	/* the watermarks until the first snapshot has them (l->snap is refilled by it) */
	if (src_read_zones(&l->col.root, l->snap.page_size ? l->snap.page_size : 4096,
			   l->snap.zones, OG_ZONES_MAX, &l->snap.nzones) < 0)
		l->snap.nzones = 0;
	og_zone_node_reserves(l->snap.zones, l->snap.nzones, nodes, n);
	for (size_t i = 0; i < n; i++) {
		l->node_ids[l->nnode_ids++] = nodes[i].id;
		if (nodes[i].id >= 0 && nodes[i].id < OG_NODES_MAX)
			l->node_reserve[nodes[i].id] = nodes[i].reserve_bytes;
	}
}

void loop_nodes_poll(struct loop *l)
{
	const struct pol_config *cfg = &l->rules.cfg;

	l->node_near = false;
	l->node_hot = false;
	l->node_rung = POL_STAGE_NONE;
	l->node_poll_usec = 0;
	if (l->scope[0])
		return; /* a scope's limit is not a node's: the machine ladder covers it */
	if (!l->nodes_probed)
		probe_nodes(l);
	for (size_t i = 0; i < l->nnode_ids; i++) {
		struct og_numa_node n;
		enum pol_stage rung;
		uint64_t kill, usec;

		if (src_read_node_meminfo(&l->col.root, l->node_ids[i], &n) < 0)
			continue;
		if (n.id >= 0 && n.id < OG_NODES_MAX)
			n.reserve_bytes = l->node_reserve[n.id];
		if (pol_node_near(cfg, &n))
			l->node_near = true;
		if (pol_node_hot(cfg, &n))
			l->node_hot = true;
		rung = pol_node_stage(cfg, &n, 0);
		if (rung > l->node_rung)
			l->node_rung = rung;
		kill = pol_node_threshold_bytes(cfg, POL_STAGE_KILL, &n);
		usec = loop_poll_interval_usec(pol_node_avail(&n), kill, LOOP_RATE_MAX_BYTES_PER_SEC);
		if (!l->node_poll_usec || usec < l->node_poll_usec)
			l->node_poll_usec = usec;
	}
}

void loop_nodes_fill_mems(struct loop *l)
{
	struct og_snapshot *s = &l->snap;
	bool near = false;

	for (size_t i = 0; i < s->nprocs; i++)
		s->procs[i].mems_mask = 0;
	for (size_t i = 0; i < s->nnodes; i++)
		if (s->nzones && s->nodes[i].id >= 0 && s->nodes[i].id < OG_NODES_MAX)
			l->node_reserve[s->nodes[i].id] = s->nodes[i].reserve_bytes;
	for (size_t i = 0; i < s->nnodes && s->nnodes >= 2; i++)
		near |= pol_node_near(&l->rules.cfg, &s->nodes[i]);
	if (!near)
		return;
	/* the LOOP_MEMS_READS largest, by what killing them frees: a selection, no sort */
	for (size_t k = 0; k < LOOP_MEMS_READS; k++) {
		size_t best = (size_t)-1;
		uint64_t f = 0;
		int r;

		for (size_t i = 0; i < s->nprocs; i++) {
			const struct og_proc *p = &s->procs[i];

			if (p->mems_mask || pol_proc_kthread(p) || pol_proc_freeable(p) == 0)
				continue;
			if (best == (size_t)-1 || pol_proc_freeable(p) > f) {
				best = i;
				f = pol_proc_freeable(p);
			}
		}
		if (best == (size_t)-1)
			break;
		r = src_read_proc_mems(&l->col.root, s->procs[best].pid, &s->procs[best].mems_mask);
		if (r < 0) {
			log_debug_errno(r, "pid %d: memory nodes unreadable: %m, ignoring",
					(int)s->procs[best].pid);
			s->procs[best].mems_mask = ~0ull; /* seen; confined to nothing we know */
		}
	}
	for (size_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].mems_mask == ~0ull)
			s->procs[i].mems_mask = 0;
}
