/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `oomguardianctl snapshot [--root DIR] [--json] [--top N]`: one screen that shows where the
 * memory is: totals and PSI, the slab caches (Koji: nfs_inode_cache), memory by service with
 * process counts (devstack: 24 nova-api workers and a stray zookeeper), per-node free memory
 * and the largest free block per zone (the NUMA order-2 case), then plain-language findings.
 * The JSON form is documented in oomguardianctl(8) and versioned by "format".
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guardian/ctl/ctl_snapshot.h"
#include "guardian/base/log.h"
#include "guardian/sources/snapshot.h"
#include "policy/engine/pol_findings.h"
#include "policy/engine/pol_victim.h"
#include "policy/util/cleanup.h"
#include "policy/util/strutil.h"
#include "policy/engine/zone.h"

/* 2: exe null when unreadable; slabs, services and processes complete (--top is for the text) */
#define SNAP_JSON_FORMAT 2
/* Table sizes for the CLI: 32768 is the default pid_max; services and cgroups are far fewer. */
#define SNAP_CAP_PROCS 32768
#define SNAP_CAP_CGROUPS 4096
#define SNAP_CAP_SLABS 1024
#define SNAP_CAP_SERVICES 1024
#define SNAP_CAP_FINDINGS 32

struct snap_opts {
	const char *root;
	bool json;
	unsigned top;
	char time[32]; /* when taken, RFC 3339 UTC: "2026-12-02T03:04:05Z" */
};

static const char *B(char *buf, uint64_t v) /* buf is char[16] */
{
	return og_format_bytes(buf, 16, v);
}

static unsigned pm(uint64_t part, uint64_t whole)
{
	return whole ? (unsigned)(part * 10000 / whole) : 0;
}

/* Printable copy of a hostile comm/cmdline: control characters become '?'. */
static const char *printable(char *dst, size_t size, const char *src)
{
	return og_escape(dst, size, src);
}

static void print_psi(const char *name, const struct og_psi *p)
{
	printf("  %-7s some %3u.%02u%% %3u.%02u%% %3u.%02u%%", name, p->some.avg10_centi / 100,
	       p->some.avg10_centi % 100, p->some.avg60_centi / 100, p->some.avg60_centi % 100,
	       p->some.avg300_centi / 100, p->some.avg300_centi % 100);
	if (p->has_full)
		printf("   full %3u.%02u%% %3u.%02u%% %3u.%02u%%", p->full.avg10_centi / 100,
		       p->full.avg10_centi % 100, p->full.avg60_centi / 100,
		       p->full.avg60_centi % 100, p->full.avg300_centi / 100,
		       p->full.avg300_centi % 100);
	putchar('\n');
}

static void text_memory(const struct og_snapshot *s)
{
	const struct og_meminfo *m = &s->mem;
	char a[16], b[16], c[16], d[16], e[16];
	unsigned av = pm(m->available_bytes, m->total_bytes);

	printf("Memory    total %s  available %s (%u.%u%%)%s  free %s\n", B(a, m->total_bytes),
	       B(b, m->available_bytes), av / 100, av % 100 / 10,
	       m->available_estimated ? " [estimated]" : "", B(c, m->free_bytes));
	printf("          anon %s  page cache %s  shmem %s  slab %s (reclaimable %s)\n",
	       B(a, m->anon_pages_bytes), B(b, m->cached_bytes + m->buffers_bytes),
	       B(c, m->shmem_bytes), B(d, m->slab_bytes), B(e, m->sreclaimable_bytes));
	if (m->swap_total_bytes)
		printf("Swap      total %s  free %s\n", B(a, m->swap_total_bytes),
		       B(b, m->swap_free_bytes));
	else
		printf("Swap      none\n");
	for (size_t i = 0; i < s->nzram; i++)
		printf("          %s: %s stored in %s of RAM\n", s->zram[i].name,
		       B(a, s->zram[i].orig_data_bytes), B(b, s->zram[i].mem_used_bytes));
	if (!s->psi.available) {
		printf("Pressure  not available (kernel without PSI)\n");
	} else {
		printf("Pressure          avg10   avg60  avg300\n");
		print_psi("memory", &s->psi.memory);
		print_psi("io", &s->psi.io);
		print_psi("cpu", &s->psi.cpu);
	}
	if (s->vm.has_oom_kill)
		printf("Since boot: kernel OOM kills %llu", (unsigned long long)s->vm.oom_kill);
	else
		printf("Since boot: kernel OOM kills n/a");
	printf(", direct reclaim scans %llu, compaction stalls %llu\n",
	       (unsigned long long)s->vm.pgscan_direct, (unsigned long long)s->vm.compact_stall);
}

static void text_slabs(const struct og_snapshot *s, unsigned top)
{
	char a[16], b[16];

	if (s->nslabs == 0) {
		printf("\nSlab caches: not readable\n");
		return;
	}
	printf("\nTop slab caches                       size  objects    objsize  reclaimable\n");
	for (size_t i = 0; i < s->nslabs && i < top; i++) {
		const struct og_slab *sl = &s->slabs[i];

		snprintf(b, sizeof(b), "%llu", (unsigned long long)sl->objsize_bytes);
		printf("  %-32s %8s %8llu %10s  %s\n", sl->name, B(a, sl->total_bytes),
		       (unsigned long long)sl->num_objs, b,
		       !sl->has_reclaim_flag ? "?" :
		       sl->reclaimable	     ? "yes" :
					       "no");
	}
}

static void text_services(const struct og_snapshot *s, const struct og_service_usage *svc,
			  size_t nsvc, unsigned top)
{
	char a[16], b[16], c[16], d[16], e[16], name[48];

	printf("\nMemory by service                                procs      rss     anon     "
	       "swap   cgroup    limit\n");
	for (size_t i = 0; i < nsvc && i < top; i++) {
		const struct og_cgroup *cg = svc[i].cg;

		printable(name, sizeof(name), svc[i].name);
		printf("  %-46s %5u %8s %8s %8s %8s %8s\n", name, svc[i].nprocs,
		       B(a, svc[i].rss_bytes), B(b, svc[i].anon_bytes), B(c, svc[i].swap_bytes),
		       cg && cg->has_memory ? B(d, cg->current_bytes) : "-",
		       cg && cg->has_memory && cg->max_bytes != OG_UNLIMITED ? B(e, cg->max_bytes) :
									     "-");
	}
	if (nsvc > top)
		printf("  ... %zu more\n", nsvc - top);
	(void)s;
}

/* Say how anon was estimated where the kernel's status has no RssAnon (before 4.5). */
static void text_rss_sources(const struct og_snapshot *s)
{
	static const enum og_rss_source est[] = {OG_RSS_STATM, OG_RSS_SMAPS_ROLLUP, OG_RSS_VMRSS};

	for (size_t k = 0; k < OG_ELEMENTSOF(est); k++) {
		size_t n = 0;

		for (size_t i = 0; i < s->nprocs; i++)
			n += s->procs[i].rss_source == est[k];
		if (n)
			printf("  %zu of %zu processes: %s\n", n, s->nprocs,
			       pol_rss_source_text(est[k]));
	}
}

static void text_procs(const struct og_snapshot *s, const size_t *idx, unsigned top)
{
	char a[16], b[16], c[16], comm[OG_COMM_MAX], cmd[60], unit[40];

	printf("\nTop processes     pid    uid      rss     anon     swap  oom_score  adj  "
	       "service / command\n");
	for (size_t i = 0; i < s->nprocs && i < top; i++) {
		const struct og_proc *p = &s->procs[idx[i]];

		printable(comm, sizeof(comm), p->comm);
		printable(cmd, sizeof(cmd), p->cmdline[0] ? p->cmdline : p->comm);
		printable(unit, sizeof(unit), pol_service_key(p));
		printf("  %-15.15s %5d %6u %8s %8s %8s %10d %4d  %s  %s\n", comm, (int)p->pid,
		       (unsigned)p->uid,
		       B(a, p->rss_anon_bytes + p->rss_file_bytes + p->rss_shmem_bytes),
		       B(b, p->rss_anon_bytes), B(c, p->swap_bytes), p->oom_score, p->oom_score_adj,
		       unit, cmd);
	}
	text_rss_sources(s);
}

static void text_numa(const struct og_snapshot *s)
{
	char a[16], b[16], c[16], d[16], e[16];

	if (s->nnodes > 0) {
		printf("\nNUMA nodes      total      free   cpus\n");
		for (size_t i = 0; i < s->nnodes; i++) {
			const struct og_numa_node *n = &s->nodes[i];
			unsigned f = pm(n->free_bytes, n->total_bytes);

			printf("  node %-3d %9s %9s (%u.%u%%)  %s\n", n->id, B(a, n->total_bytes),
			       B(b, n->free_bytes), f / 100, f % 100 / 10, n->cpulist);
		}
	}
	if (s->nzones == 0)
		return;
	printf("\nZones            free  largest free block  unusable for order 2   min/low/high\n");
	for (size_t i = 0; i < s->nzones; i++) {
		const struct og_zone *z = &s->zones[i];
		int top = og_zone_largest_free_order(z);
		unsigned u = og_zone_unusable_permyriad(z, 2);
		uint64_t free_bytes = 0;

		for (int o = 0; o < z->norders; o++)
			free_bytes += z->free_blocks[o] * (s->page_size << o);
		if (top < 0)
			snprintf(c, sizeof(c), "none");
		else
			og_format_bytes(c, sizeof(c), s->page_size << top);
		printf("  node %d %-7s %8s  %8s (order %2d)   %3u.%u%%", z->node, z->name,
		       B(a, free_bytes), c, top, u / 100, u % 100 / 10);
		if (z->has_zoneinfo)
			printf("   %s/%s/%s", B(b, z->min_bytes), B(d, z->low_bytes),
			       B(e, z->high_bytes));
		putchar('\n');
	}
}

static void text_findings(const struct pol_finding *f, size_t n)
{
	printf("\nFindings\n");
	if (n == 0)
		printf("  nothing stands out\n");
	for (size_t i = 0; i < n; i++)
		printf("  * %s\n", f[i].text);
}

/* ------------------------------------------------------------------------------------ JSON */

static json_object *j_u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

static json_object *j_psi(const struct og_psi *p)
{
	json_object *o = json_object_new_object();
	const struct og_psi_line *lines[2] = { &p->some, p->has_full ? &p->full : NULL };
	const char *names[2] = { "some", "full" };

	for (int i = 0; i < 2; i++) {
		json_object *l;

		if (!lines[i])
			continue;
		l = json_object_new_object();
		json_object_object_add(l, "avg10_centi", j_u64(lines[i]->avg10_centi));
		json_object_object_add(l, "avg60_centi", j_u64(lines[i]->avg60_centi));
		json_object_object_add(l, "avg300_centi", j_u64(lines[i]->avg300_centi));
		json_object_object_add(l, "total_usec", j_u64(lines[i]->total_usec));
		json_object_object_add(o, names[i], l);
	}
	return o;
}

/* A u64 member named by offset, for the tables below. */
struct j_field {
	const char *name;
	size_t offset;
};

/* clang-format off */
#define J_MI(name, field) { name, offsetof(struct og_meminfo, field) }
#define J_VM(field) { #field, offsetof(struct og_vmstat, field) }
/* clang-format on */

static void j_add_fields(json_object *o, const void *base, const struct j_field *tab, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v;

		memcpy(&v, (const char *)base + tab[i].offset, sizeof(v));
		json_object_object_add(o, tab[i].name, j_u64(v));
	}
}

static json_object *j_memory(const struct og_snapshot *s)
{
	static const struct j_field head[] = {
		J_MI("total_bytes", total_bytes),
		J_MI("available_bytes", available_bytes),
	};
	static const struct j_field tail[] = {
		J_MI("free_bytes", free_bytes),
		J_MI("anon_bytes", anon_pages_bytes),
		J_MI("cached_bytes", cached_bytes),
		J_MI("buffers_bytes", buffers_bytes),
		J_MI("shmem_bytes", shmem_bytes),
		J_MI("slab_bytes", slab_bytes),
		J_MI("slab_reclaimable_bytes", sreclaimable_bytes),
		J_MI("slab_unreclaimable_bytes", sunreclaim_bytes),
		J_MI("swap_total_bytes", swap_total_bytes),
		J_MI("swap_free_bytes", swap_free_bytes),
		J_MI("swap_cached_bytes", swap_cached_bytes),
		J_MI("active_bytes", active_bytes),
		J_MI("inactive_bytes", inactive_bytes),
		J_MI("active_file_bytes", active_file_bytes),
		J_MI("inactive_file_bytes", inactive_file_bytes),
		J_MI("unevictable_bytes", unevictable_bytes),
		J_MI("mlocked_bytes", mlocked_bytes),
		J_MI("dirty_bytes", dirty_bytes),
		J_MI("writeback_bytes", writeback_bytes),
		J_MI("mapped_bytes", mapped_bytes),
		J_MI("kreclaimable_bytes", kreclaimable_bytes),
		J_MI("kernel_stack_bytes", kernel_stack_bytes),
		J_MI("page_tables_bytes", page_tables_bytes),
		J_MI("commit_limit_bytes", commit_limit_bytes),
		J_MI("committed_as_bytes", committed_as_bytes),
		J_MI("hugepages_total", hugepages_total),
		J_MI("hugepages_free", hugepages_free),
		J_MI("hugepage_size_bytes", hugepage_size_bytes),
	};
	const struct og_meminfo *m = &s->mem;
	json_object *o = json_object_new_object();

	j_add_fields(o, m, head, OG_ELEMENTSOF(head));
	json_object_object_add(o, "available_estimated",
			       json_object_new_boolean(m->available_estimated));
	j_add_fields(o, m, tail, OG_ELEMENTSOF(tail));
	json_object_object_add(o, "kernel_oom_kills",
			       s->vm.has_oom_kill ? j_u64(s->vm.oom_kill) : NULL);
	return o;
}

/* /proc/vmstat as read: the text's "direct reclaim scans" is pgscan_direct, "compaction
 * stalls" compact_stall; oom_kill is null before 4.13. */
static json_object *j_vmstat(const struct og_vmstat *vm)
{
	static const struct j_field tab[] = {
		J_VM(pgscan_kswapd),
		J_VM(pgscan_direct),
		J_VM(pgscan_khugepaged),
		J_VM(pgsteal_kswapd),
		J_VM(pgsteal_direct),
		J_VM(pgsteal_khugepaged),
		J_VM(workingset_refault_anon),
		J_VM(workingset_refault_file),
		J_VM(workingset_activate_anon),
		J_VM(workingset_activate_file),
		J_VM(pswpin),
		J_VM(pswpout),
		J_VM(compact_stall),
		J_VM(compact_fail),
		J_VM(compact_success),
		J_VM(compact_migrate_scanned),
		J_VM(compact_free_scanned),
		J_VM(numa_pages_migrated),
		J_VM(pgmigrate_success),
		J_VM(pgmigrate_fail),
	};
	json_object *o = json_object_new_object();

	j_add_fields(o, vm, tab, OG_ELEMENTSOF(tab));
	json_object_object_add(o, "oom_kill", vm->has_oom_kill ? j_u64(vm->oom_kill) : NULL);
	return o;
}

static json_object *j_swap(const struct og_snapshot *s)
{
	static const struct j_field zram_fields[] = {
		{"orig_data_bytes", offsetof(struct og_zram, orig_data_bytes)},
		{"compr_data_bytes", offsetof(struct og_zram, compr_data_bytes)},
		{"mem_used_bytes", offsetof(struct og_zram, mem_used_bytes)},
		{"mem_used_max_bytes", offsetof(struct og_zram, mem_used_max_bytes)},
		{"same_pages", offsetof(struct og_zram, same_pages)},
		{"pages_compacted", offsetof(struct og_zram, pages_compacted)},
	};
	json_object *o = json_object_new_object(), *devs = json_object_new_array();
	json_object *zram = json_object_new_array();

	for (size_t i = 0; i < s->nswaps; i++) {
		const struct og_swapdev *d = &s->swaps[i];
		json_object *x = json_object_new_object();

		json_object_object_add(x, "path", json_object_new_string(d->path));
		json_object_object_add(
			x, "type", json_object_new_string(d->is_partition ? "partition" : "file"));
		json_object_object_add(x, "size_bytes", j_u64(d->size_bytes));
		json_object_object_add(x, "used_bytes", j_u64(d->used_bytes));
		json_object_object_add(x, "priority", json_object_new_int(d->priority));
		json_object_array_add(devs, x);
	}
	for (size_t i = 0; i < s->nzram; i++) {
		const struct og_zram *z = &s->zram[i];
		json_object *x = json_object_new_object();

		json_object_object_add(x, "name", json_object_new_string(z->name));
		j_add_fields(x, z, zram_fields, OG_ELEMENTSOF(zram_fields));
		json_object_object_add(x, "mem_limit_bytes",
				       z->mem_limit_bytes ? j_u64(z->mem_limit_bytes) : NULL);
		json_object_array_add(zram, x);
	}
	json_object_object_add(o, "devices", devs);
	json_object_object_add(o, "zram", zram);
	return o;
}

static json_object *j_pressure(const struct og_snapshot *s)
{
	json_object *o;

	if (!s->psi.available)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "memory", j_psi(&s->psi.memory));
	json_object_object_add(o, "io", j_psi(&s->psi.io));
	json_object_object_add(o, "cpu", j_psi(&s->psi.cpu));
	return o;
}

static json_object *j_slabs(const struct og_snapshot *s)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < s->nslabs; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(s->slabs[i].name));
		json_object_object_add(o, "total_bytes", j_u64(s->slabs[i].total_bytes));
		json_object_object_add(o, "objects", j_u64(s->slabs[i].num_objs));
		json_object_object_add(o, "object_size_bytes", j_u64(s->slabs[i].objsize_bytes));
		json_object_object_add(o, "reclaimable",
				       s->slabs[i].has_reclaim_flag ?
					       json_object_new_boolean(s->slabs[i].reclaimable) :
					       NULL);
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *j_services(const struct og_service_usage *svc, size_t nsvc)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < nsvc; i++) {
		json_object *o = json_object_new_object();
		const struct og_cgroup *cg = svc[i].cg;

		json_object_object_add(o, "name", json_object_new_string(svc[i].name));
		json_object_object_add(o, "kind", json_object_new_string(svc[i].is_unit ? "unit" :
										   "cgroup"));
		json_object_object_add(o, "processes", j_u64(svc[i].nprocs));
		json_object_object_add(o, "rss_bytes", j_u64(svc[i].rss_bytes));
		json_object_object_add(o, "anon_bytes", j_u64(svc[i].anon_bytes));
		json_object_object_add(o, "swap_bytes", j_u64(svc[i].swap_bytes));
		json_object_object_add(o, "cgroup_current_bytes",
				       cg && cg->has_memory ? j_u64(cg->current_bytes) : NULL);
		json_object_object_add(o, "cgroup_limit_bytes",
				       cg && cg->has_memory && cg->max_bytes != OG_UNLIMITED ?
					       j_u64(cg->max_bytes) :
					       NULL);
		json_object_object_add(o, "largest_pid", json_object_new_int(svc[i].top_pid));
		json_object_object_add(o, "largest_comm", json_object_new_string(svc[i].top_comm));
		json_object_object_add(o, "largest_rss_bytes", j_u64(svc[i].top_rss_bytes));
		json_object_array_add(a, o);
	}
	return a;
}

/* A string, or null when it is "" (not known: an unreadable exe, no v1 memory group). */
static json_object *j_str_or_null(const char *v)
{
	return v[0] ? json_object_new_string(v) : NULL;
}

static json_object *j_procs(const struct og_snapshot *s, const size_t *idx)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < s->nprocs; i++) {
		const struct og_proc *p = &s->procs[idx[i]];
		json_object *o = json_object_new_object();
		char state[2] = {p->state, '\0'};

		json_object_object_add(o, "pid", json_object_new_int(p->pid));
		json_object_object_add(o, "ppid", json_object_new_int(p->ppid));
		json_object_object_add(o, "pgid", json_object_new_int(p->pgid));
		json_object_object_add(o, "uid", j_u64(p->uid));
		json_object_object_add(o, "state", json_object_new_string(state));
		json_object_object_add(o, "starttime_ticks", j_u64(p->starttime_ticks));
		json_object_object_add(o, "comm", json_object_new_string(p->comm));
		json_object_object_add(o, "cmdline", json_object_new_string(p->cmdline));
		json_object_object_add(o, "exe", j_str_or_null(p->exe));
		json_object_object_add(o, "rss_anon_bytes", j_u64(p->rss_anon_bytes));
		json_object_object_add(o, "rss_file_bytes", j_u64(p->rss_file_bytes));
		json_object_object_add(o, "rss_shmem_bytes", j_u64(p->rss_shmem_bytes));
		json_object_object_add(o, "swap_bytes", j_u64(p->swap_bytes));
		json_object_object_add(o, "rss_source",
				       json_object_new_string(pol_rss_source_name(p->rss_source)));
		json_object_object_add(o, "oom_score", json_object_new_int(p->oom_score));
		json_object_object_add(o, "oom_score_adj", json_object_new_int(p->oom_score_adj));
		json_object_object_add(o, "cgroup", json_object_new_string(p->cgroup));
		json_object_object_add(o, "memcg_v1", j_str_or_null(p->memcg_v1));
		json_object_object_add(o, "unit", json_object_new_string(p->unit));
		json_object_array_add(a, o);
	}
	return a;
}

/* A limit: null when unlimited. */
static json_object *j_limit(uint64_t v)
{
	return v == OG_UNLIMITED ? NULL : j_u64(v);
}

static json_object *j_cgroups(const struct og_snapshot *s)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < s->ncgroups; i++) {
		const struct og_cgroup *cg = &s->cgroups[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "path", json_object_new_string(cg->path));
		json_object_object_add(o, "processes", j_u64(cg->nr_procs));
		json_object_object_add(o, "populated", json_object_new_boolean(cg->populated));
		if (cg->has_memory) {
			json_object_object_add(o, "current_bytes", j_u64(cg->current_bytes));
			json_object_object_add(o, "max_bytes", j_limit(cg->max_bytes));
			json_object_object_add(o, "high_bytes", j_limit(cg->high_bytes));
			json_object_object_add(o, "low_bytes", j_u64(cg->low_bytes));
			json_object_object_add(o, "min_bytes", j_u64(cg->min_bytes));
			json_object_object_add(o, "anon_bytes", j_u64(cg->anon_bytes));
			json_object_object_add(o, "file_bytes", j_u64(cg->file_bytes));
			json_object_object_add(o, "shmem_bytes", j_u64(cg->shmem_bytes));
			json_object_object_add(o, "events_max", j_u64(cg->events_max));
			json_object_object_add(o, "events_oom", j_u64(cg->events_oom));
			json_object_object_add(o, "events_oom_kill", j_u64(cg->events_oom_kill));
		}
		json_object_object_add(o, "memory_pressure", cg->has_psi ? j_psi(&cg->psi) : NULL);
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *j_numa(const struct og_snapshot *s)
{
	json_object *o = json_object_new_object(), *nodes = json_object_new_array();
	json_object *zones = json_object_new_array();

	for (size_t i = 0; i < s->nnodes; i++) {
		json_object *n = json_object_new_object();

		json_object_object_add(n, "id", json_object_new_int(s->nodes[i].id));
		json_object_object_add(n, "total_bytes", j_u64(s->nodes[i].total_bytes));
		json_object_object_add(n, "free_bytes", j_u64(s->nodes[i].free_bytes));
		json_object_object_add(n, "cpus", json_object_new_string(s->nodes[i].cpulist));
		json_object_array_add(nodes, n);
	}
	for (size_t i = 0; i < s->nzones; i++) {
		const struct og_zone *z = &s->zones[i];
		json_object *n = json_object_new_object(), *blocks = json_object_new_array();

		json_object_object_add(n, "node", json_object_new_int(z->node));
		json_object_object_add(n, "zone", json_object_new_string(z->name));
		for (int k = 0; k < z->norders; k++)
			json_object_array_add(blocks, j_u64(z->free_blocks[k]));
		json_object_object_add(n, "free_blocks", blocks);
		json_object_object_add(n, "largest_free_order",
				       json_object_new_int(og_zone_largest_free_order(z)));
		json_object_object_add(n, "unusable_order2_permyriad",
				       j_u64(og_zone_unusable_permyriad(z, 2)));
		if (z->has_zoneinfo) {
			json_object_object_add(n, "min_bytes", j_u64(z->min_bytes));
			json_object_object_add(n, "low_bytes", j_u64(z->low_bytes));
			json_object_object_add(n, "high_bytes", j_u64(z->high_bytes));
			json_object_object_add(n, "managed_bytes", j_u64(z->managed_bytes));
		}
		json_object_array_add(zones, n);
	}
	json_object_object_add(o, "nodes", nodes);
	json_object_object_add(o, "zones", zones);
	return o;
}

static int print_json(const struct og_snapshot *s, const struct og_service_usage *svc,
		      size_t nsvc, const size_t *idx, const struct pol_finding *f, size_t nf,
		      const struct snap_opts *o)
{
	json_object *root = json_object_new_object(), *fa = json_object_new_array();

	json_object_object_add(root, "format", json_object_new_int(SNAP_JSON_FORMAT));
	json_object_object_add(root, "root", json_object_new_string(o->root ? o->root : "/"));
	json_object_object_add(root, "time", json_object_new_string(o->time));
	json_object_object_add(root, "host", j_str_or_null(s->host));
	json_object_object_add(root, "memory", j_memory(s));
	json_object_object_add(root, "swap", j_swap(s));
	json_object_object_add(root, "vmstat", j_vmstat(&s->vm));
	json_object_object_add(root, "pressure", j_pressure(s));
	json_object_object_add(root, "slabs", j_slabs(s));
	json_object_object_add(root, "services", j_services(svc, nsvc));
	json_object_object_add(root, "processes", j_procs(s, idx));
	json_object_object_add(root, "cgroups", j_cgroups(s));
	json_object_object_add(root, "numa", j_numa(s));
	for (size_t i = 0; i < nf; i++) {
		json_object *x = json_object_new_object();

		json_object_object_add(x, "kind",
				       json_object_new_string(pol_finding_kind_name(f[i].kind)));
		json_object_object_add(x, "text", json_object_new_string(f[i].text));
		json_object_array_add(fa, x);
	}
	json_object_object_add(root, "findings", fa);
	puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							  JSON_C_TO_STRING_SPACED |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return 0;
}

static int parse_args(int argc, char **argv, struct snap_opts *o)
{
	static const struct option longopts[] = {
		{ "root", required_argument, NULL, 'r' }, { "json", no_argument, NULL, 'j' },
		{ "top", required_argument, NULL, 't' },	  { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "r:jt:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o->root = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 't':
			if (og_parse_u64(optarg, &v) < 0 || v == 0 || v > 100000) {
				fprintf(stderr, "oomguardianctl snapshot: --top: expected 1-100000, "
						"got '%s'\n",
					optarg);
				return -EINVAL;
			}
			o->top = (unsigned)v;
			break;
		case 'h':
			printf("Usage: oomguardianctl snapshot [--root DIR] [--json] [--top N]\n"
			       "  --root DIR  read DIR/proc and DIR/sys instead of the live "
			       "system\n"
			       "  --json      everything as JSON (format in oomguardianctl(8))\n"
			       "  --top N     rows per table in the text (default 10); the JSON "
			       "holds "
			       "all\n");
			return 1;
		default:
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "oomguardianctl snapshot: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* The wall clock as RFC 3339 UTC (digits only: no locale). */
static void format_now(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0 || !gmtime_r(&ts.tv_sec, &tm) ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		og_strscpy(buf, "", size);
}

static const char *layout_name(const struct og_cg_mounts *m)
{
	if (m->layout == OG_CG_V2)
		return "cgroup2";
	if (m->layout == OG_CG_V1)
		return m->v2_fd >= 0 ? "cgroup v1 memory + cgroup2" : "cgroup v1 only";
	return "no memory cgroups";
}

int ctl_snapshot_main(int argc, char **argv)
{
	struct snap_opts o = { .top = 10 };
	struct og_collector c;
	struct og_snapshot s;
	struct og_service_usage *svc = NULL;
	struct pol_finding f[SNAP_CAP_FINDINGS];
	size_t *idx = NULL, nsvc, nf;
	int r = parse_args(argc, argv, &o);

	if (r != 0)
		return r > 0 ? 0 : 64;
	if (o.root) { /* "No such file or directory" about a directory that exists helps nobody */
		char why[160];

		if (og_root_check(o.root, 1, why, sizeof(why)) < 0) {
			log_error("--root '%s': %s", o.root, why);
			return 64;
		}
	}
	r = og_collector_open(&c, o.root);
	if (r < 0) {
		log_error_errno(r, "cannot open root '%s': %m", o.root ? o.root : "/");
		return 1;
	}
	r = og_snapshot_alloc(&s, SNAP_CAP_PROCS, SNAP_CAP_CGROUPS, SNAP_CAP_SLABS);
	if (r < 0)
		goto out_close;
	format_now(o.time, sizeof(o.time));
	r = og_snapshot_take(&c, OG_SNAP_ALL | OG_SNAP_HOST, NULL, 0, &s);
	if (r < 0) {
		log_error_errno(r, "cannot read '%s/proc/meminfo': %m", c.root.path);
		goto out_free;
	}
	svc = calloc(SNAP_CAP_SERVICES, sizeof(*svc));
	idx = calloc(s.nprocs ? s.nprocs : 1, sizeof(*idx));
	if (!svc || !idx) {
		r = -ENOMEM;
		goto out_free;
	}
	nsvc = pol_services_usage(&s, svc, SNAP_CAP_SERVICES);
	pol_procs_by_memory(&s, idx, s.nprocs);
	nf = pol_findings(&s, svc, nsvc, f, SNAP_CAP_FINDINGS);
	if (o.json) {
		print_json(&s, svc, nsvc, idx, f, nf, &o);
	} else {
		printf("oomguardian snapshot of %s%s%s%s: %zu processes, %zu cgroups (%s)\n",
		       c.root.path, s.host[0] ? " (host " : "", s.host, s.host[0] ? ")" : "",
		       s.nprocs, s.ncgroups, layout_name(&c.mounts));
		text_memory(&s);
		text_slabs(&s, o.top);
		text_services(&s, svc, nsvc, o.top);
		text_procs(&s, idx, o.top);
		text_numa(&s);
		text_findings(f, nf);
	}
	r = 0;
out_free:
	free(svc);
	free(idx);
	og_snapshot_free(&s);
out_close:
	og_collector_close(&c);
	return r < 0 ? 1 : 0;
}
