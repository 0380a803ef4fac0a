/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/engine/pol_findings.h"
#include "policy/engine/pol_victim.h"
#include "policy/util/strutil.h"
#include "policy/engine/zone.h"

/* Thresholds of the findings. They only decide what is worth a sentence on the screen; the
 * daemon's actions use the policy's thresholds, never these. */
#define FIND_LOW_AVAILABLE_PERMYRIAD 1000 /* < 10% available: the machine is short */
#define FIND_SLAB_PERMYRIAD 1500 /* slab >= 15% of RAM (Koji: 2.6 GB of 8 GB = 32%) */
#define FIND_MANY_WORKERS 8 /* a service with >= 8 processes (devstack: 24 nova-api) */
#define FIND_WORKERS_PERMYRIAD 200 /* ... that together hold >= 2% of RAM */
#define FIND_ZONE_MIN_FREE (4ULL << 20) /* zones with less free memory are just full */
#define FIND_ZONE_ORDER 2 /* order-2 (16 KiB) blocks: kernel stacks, the NUMA seed */
#define FIND_PSI_SOME_CENTI 1000 /* memory some avg10 >= 10% */
#define FIND_PSI_FULL_CENTI 500 /* memory full avg10 >= 5% */
#define FIND_TOP_SERVICES 3

static uint64_t permyriad(uint64_t part, uint64_t whole)
{
	return whole ? part * 10000 / whole : 0;
}

const char *pol_service_key(const struct og_proc *p)
{
	if (p->unit[0])
		return p->unit;
	/* Hybrid hosts without systemd keep everything at "0::/": the v1 memory path is the
	 * one that tells services apart there. */
	if (p->cgroup[0] && strcmp(p->cgroup, "/") != 0)
		return p->cgroup;
	if (p->memcg_v1[0])
		return p->memcg_v1;
	return "/";
}

static uint64_t proc_rss(const struct og_proc *p)
{
	return p->rss_anon_bytes + p->rss_file_bytes + p->rss_shmem_bytes;
}

static const struct og_cgroup *find_cgroup(const struct og_snapshot *s, const char *path)
{
	for (size_t i = 0; i < s->ncgroups; i++)
		if (strcmp(s->cgroups[i].path, path) == 0)
			return &s->cgroups[i];
	return NULL;
}

static int cmp_usage(const void *a, const void *b)
{
	const struct og_service_usage *x = a, *y = b;

	if (x->rss_bytes != y->rss_bytes)
		return x->rss_bytes < y->rss_bytes ? 1 : -1;
	return strcmp(x->name, y->name);
}

size_t pol_services_usage(const struct og_snapshot *s, struct og_service_usage *arr, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < s->nprocs; i++) {
		const struct og_proc *p = &s->procs[i];
		const char *key = pol_service_key(p), *cg;
		struct og_service_usage *u = NULL;

		for (size_t j = 0; j < n; j++) {
			if (strcmp(arr[j].name, key) == 0) {
				u = &arr[j];
				break;
			}
		}
		if (!u) {
			if (n == cap)
				continue; /* table full: the smallest services are left out */
			u = &arr[n++];
			memset(u, 0, sizeof(*u));
			og_strscpy(u->name, key, sizeof(u->name));
			u->is_unit = p->unit[0] != '\0';
			cg = p->cgroup[0] && strcmp(p->cgroup, "/") != 0 ? p->cgroup : p->memcg_v1;
			/* the root group is the whole machine, not this service (v1 hosts
			 * without MemoryAccounting= keep every service there) */
			u->cg = strcmp(cg, "/") != 0 ? find_cgroup(s, cg) : NULL;
		}
		u->nprocs++;
		u->rss_bytes += proc_rss(p);
		u->anon_bytes += p->rss_anon_bytes;
		u->swap_bytes += p->swap_bytes;
		if (!u->top_pid || proc_rss(p) > u->top_rss_bytes) {
			u->top_pid = p->pid;
			u->top_rss_bytes = proc_rss(p);
			og_strscpy(u->top_comm, p->comm, sizeof(u->top_comm));
		}
	}
	qsort(arr, n, sizeof(*arr), cmp_usage);
	return n;
}

static int cmp_proc_idx(const void *a, const void *b, void *userdata)
{
	const struct og_snapshot *s = userdata;
	const struct og_proc *x = &s->procs[*(const size_t *)a];
	const struct og_proc *y = &s->procs[*(const size_t *)b];

	if (pol_proc_freeable(x) != pol_proc_freeable(y))
		return pol_proc_freeable(x) < pol_proc_freeable(y) ? 1 : -1;
	return x->pid - y->pid;
}

void pol_procs_by_memory(const struct og_snapshot *s, size_t *idx, size_t n)
{
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	qsort_r(idx, n, sizeof(*idx), cmp_proc_idx, (void *)s); /* glibc: context, no global */
}

const char *pol_finding_kind_name(enum pol_finding_kind k)
{
	static const char *const names[POL_FIND__MAX] = {
		[POL_FIND_LOW_AVAILABLE] = "low_available",
		[POL_FIND_SLAB_HEAVY] = "slab_heavy",
		[POL_FIND_MANY_WORKERS] = "many_workers",
		[POL_FIND_TOP_SERVICES] = "top_services",
		[POL_FIND_ZONE_FRAGMENTED] = "zone_fragmented",
		[POL_FIND_NODE_IMBALANCE] = "node_imbalance",
		[POL_FIND_PRESSURE] = "pressure",
		[POL_FIND_NO_PSI] = "no_psi",
		[POL_FIND_KERNEL_OOM_KILLS] = "kernel_oom_kills",
	};

	return k < POL_FIND__MAX && names[k] ? names[k] : "unknown";
}

struct findings {
	struct pol_finding *arr;
	size_t n, cap;
};

static struct pol_finding *add(struct findings *f, enum pol_finding_kind kind)
{
	if (f->n == f->cap)
		return NULL;
	f->arr[f->n].kind = kind;
	f->arr[f->n].text[0] = '\0';
	return &f->arr[f->n++];
}

#define PCT(pm) (unsigned)((pm) / 100), (unsigned)((pm) % 100 / 10)

static void find_memory(const struct og_snapshot *s, struct findings *f)
{
	const struct og_meminfo *m = &s->mem;
	uint64_t avail = permyriad(m->available_bytes, m->total_bytes);
	struct pol_finding *x;
	char a[16], b[16];

	if (avail < FIND_LOW_AVAILABLE_PERMYRIAD && (x = add(f, POL_FIND_LOW_AVAILABLE)))
		snprintf(x->text, sizeof(x->text), "only %s of %s available (%u.%u%%)",
			 og_format_bytes(a, sizeof(a), m->available_bytes),
			 og_format_bytes(b, sizeof(b), m->total_bytes), PCT(avail));
	if (s->vm.has_oom_kill && s->vm.oom_kill > 0 && (x = add(f, POL_FIND_KERNEL_OOM_KILLS)))
		snprintf(x->text, sizeof(x->text),
			 "the kernel's OOM killer has killed %llu process(es) since boot",
			 (unsigned long long)s->vm.oom_kill);
	if (!s->psi.available) {
		if ((x = add(f, POL_FIND_NO_PSI)))
			snprintf(x->text, sizeof(x->text),
				 "no pressure stall information (kernel without PSI): "
				 "oomguardiand polls available memory only");
	} else if ((s->psi.memory.some.avg10_centi >= FIND_PSI_SOME_CENTI ||
		    s->psi.memory.full.avg10_centi >= FIND_PSI_FULL_CENTI) &&
		   (x = add(f, POL_FIND_PRESSURE))) {
		snprintf(x->text, sizeof(x->text),
			 "memory pressure: tasks stalled %u.%02u%% (some) / %u.%02u%% (full) of "
			 "the last 10 s",
			 s->psi.memory.some.avg10_centi / 100, s->psi.memory.some.avg10_centi % 100,
			 s->psi.memory.full.avg10_centi / 100, s->psi.memory.full.avg10_centi % 100);
	}
}

static void find_slab(const struct og_snapshot *s, uint64_t procs_rss, struct findings *f)
{
	const struct og_meminfo *m = &s->mem;
	uint64_t share = permyriad(m->slab_bytes, m->total_bytes);
	uint64_t recl = permyriad(m->sreclaimable_bytes, m->slab_bytes);
	struct pol_finding *x;
	char a[16], b[16], c[16];
	int len;

	if (share < FIND_SLAB_PERMYRIAD || !(x = add(f, POL_FIND_SLAB_HEAVY)))
		return;
	len = snprintf(x->text, sizeof(x->text),
		       "kernel slab caches hold %s (%u.%u%% of RAM, %u.%u%% reclaimable) while "
		       "all processes together use %s",
		       og_format_bytes(a, sizeof(a), m->slab_bytes), PCT(share), PCT(recl),
		       og_format_bytes(b, sizeof(b), procs_rss));
	/* s->slabs is sorted largest first by the reader */
	if (s->nslabs > 0 && len > 0 && (size_t)len < sizeof(x->text))
		snprintf(x->text + len, sizeof(x->text) - (size_t)len, "; largest: %s %s%s",
			 s->slabs[0].name, og_format_bytes(c, sizeof(c), s->slabs[0].total_bytes),
			 !s->slabs[0].has_reclaim_flag ? "" :
			 s->slabs[0].reclaimable	 ? " (reclaimable)" :
							   " (unreclaimable)");
}

static void find_services(const struct og_snapshot *s, const struct og_service_usage *svc,
			  size_t nsvc, struct findings *f)
{
	uint64_t total = s->mem.total_bytes;
	struct pol_finding *x;
	char a[16];

	for (size_t i = 0; i < nsvc; i++) {
		uint64_t share = permyriad(svc[i].rss_bytes, total);

		/* "/" is every process of a host without cgroups or systemd: not a service */
		if (svc[i].nprocs < FIND_MANY_WORKERS || share < FIND_WORKERS_PERMYRIAD ||
		    strcmp(svc[i].name, "/") == 0)
			continue;
		if (!(x = add(f, POL_FIND_MANY_WORKERS)))
			return;
		snprintf(x->text, sizeof(x->text),
			 "%s runs %u processes (%s) using %s (%u.%u%% of RAM)", svc[i].name,
			 svc[i].nprocs, svc[i].top_comm, og_format_bytes(a, sizeof(a), svc[i].rss_bytes),
			 PCT(share));
	}
	if (nsvc > 0 && !(nsvc == 1 && strcmp(svc[0].name, "/") == 0) &&
	    (x = add(f, POL_FIND_TOP_SERVICES))) {
		size_t len = (size_t)snprintf(x->text, sizeof(x->text), "largest services:");

		for (size_t i = 0; i < nsvc && i < FIND_TOP_SERVICES && len < sizeof(x->text); i++)
			len += (size_t)snprintf(x->text + len, sizeof(x->text) - len,
						"%s %s %s (%u.%u%%)", i ? "," : "", svc[i].name,
						og_format_bytes(a, sizeof(a), svc[i].rss_bytes),
						PCT(permyriad(svc[i].rss_bytes, total)));
	}
}

static void find_numa(const struct og_snapshot *s, struct findings *f)
{
	struct pol_finding *x;
	char a[16], b[16], c[16];

	for (size_t i = 0; i < s->nzones; i++) {
		const struct og_zone *z = &s->zones[i];
		uint64_t free_bytes = 0;
		int top = og_zone_largest_free_order(z);

		for (int o = 0; o < z->norders; o++)
			free_bytes += z->free_blocks[o] * (s->page_size << o);
		if (free_bytes < FIND_ZONE_MIN_FREE || top >= FIND_ZONE_ORDER)
			continue;
		if (!(x = add(f, POL_FIND_ZONE_FRAGMENTED)))
			return;
		snprintf(x->text, sizeof(x->text),
			 "node %d %s has %s free but no free block larger than %s (order %d): "
			 "order-%d (%s) allocations cannot be served there; compaction needed",
			 z->node, z->name, og_format_bytes(a, sizeof(a), free_bytes),
			 og_format_bytes(b, sizeof(b), top < 0 ? 0 : s->page_size << top), top,
			 FIND_ZONE_ORDER,
			 og_format_bytes(c, sizeof(c), s->page_size << FIND_ZONE_ORDER));
	}
	if (s->nnodes >= 2) {
		size_t lo = 0, hi = 0;

		for (size_t i = 1; i < s->nnodes; i++) {
			if (permyriad(s->nodes[i].free_bytes, s->nodes[i].total_bytes) <
			    permyriad(s->nodes[lo].free_bytes, s->nodes[lo].total_bytes))
				lo = i;
			if (permyriad(s->nodes[i].free_bytes, s->nodes[i].total_bytes) >
			    permyriad(s->nodes[hi].free_bytes, s->nodes[hi].total_bytes))
				hi = i;
		}
		uint64_t plo = permyriad(s->nodes[lo].free_bytes, s->nodes[lo].total_bytes);
		uint64_t phi = permyriad(s->nodes[hi].free_bytes, s->nodes[hi].total_bytes);

		if (lo != hi && plo < FIND_LOW_AVAILABLE_PERMYRIAD && phi >= 2 * plo &&
		    (x = add(f, POL_FIND_NODE_IMBALANCE)))
			snprintf(x->text, sizeof(x->text),
				 "NUMA imbalance: node %d has %s free (%u.%u%%), node %d %s "
				 "(%u.%u%%): processes bound to node %d can fail while the "
				 "machine has free memory",
				 s->nodes[lo].id,
				 og_format_bytes(a, sizeof(a), s->nodes[lo].free_bytes), PCT(plo),
				 s->nodes[hi].id,
				 og_format_bytes(b, sizeof(b), s->nodes[hi].free_bytes), PCT(phi),
				 s->nodes[lo].id);
	}
}

size_t pol_findings(const struct og_snapshot *s, const struct og_service_usage *svc, size_t nsvc,
		    struct pol_finding *arr, size_t cap)
{
	struct findings f = { .arr = arr, .cap = cap };
	uint64_t procs_rss = 0;

	for (size_t i = 0; i < s->nprocs; i++)
		procs_rss += proc_rss(&s->procs[i]);
	find_memory(s, &f);
	find_slab(s, procs_rss, &f);
	find_services(s, svc, nsvc, &f);
	find_numa(s, &f);
	return f.n;
}
