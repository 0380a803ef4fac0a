/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The diagnosis of one report: which zones could serve the request and why not, the causes
 * and a summary in plain words. The zone check is the allocator's __zone_watermark_ok()
 * against the min watermark (what the slow path checks before it gives up or calls the OOM
 * killer), with lowmem_reserve[] of the highest zone the gfp mask allows, __GFP_HIGH and
 * atomic adjustments, and the order rule of the report's kernel: from 4.4 (commit 97a16fc82a7c,
 * "only enforce watermarks for order-0 allocations") one free block of the order suffices;
 * before, each lower order's free pages are taken away while the mark halves per order.
 * Pure: integers only.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "policy/explain/explain_int.h"
#include "policy/util/strutil.h"

static const char *const canonical[] = { "DMA", "DMA32", "Normal", "HighMem", "Movable", "Device" };
#define NCANON (sizeof(canonical) / sizeof(canonical[0]))
#define ZONE_NORMAL_RANK 2

static int zone_rank(const char *name)
{
	for (size_t i = 0; i < NCANON; i++)
		if (strcmp(name, canonical[i]) == 0)
			return (int)i;
	return ZONE_NORMAL_RANK;
}

static bool has_flag(const char *flags, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = strstr(flags, name); p; p = strstr(p + 1, name))
		if ((p == flags || p[-1] == '|' || p[-1] == ' ') &&
		    (p[n] == '\0' || p[n] == '|' || p[n] == ' '))
			return true;
	return false;
}

struct req {
	bool can_reclaim, high, harder, movable, legacy;
	int cz_rank;		/* canonical rank of the class zone */
	int cz_idx;		/* its index in lowmem_reserve[], -1 if unknown */
	uint64_t nodes;		/* allowed nodes (bit per node < 64) */
	bool nodes_known;
};

static bool parse_nodelist(const char *s, uint64_t *ret)
{
	uint64_t m = 0;
	const char *p = s;

	if (!s[0] || strcmp(s, "(null)") == 0)
		return false;
	while (*p) {
		int64_t a, b;

		if (!explain_parse_num(p, &a, &p))
			return false;
		b = a;
		if (*p == '-' && !explain_parse_num(p + 1, &b, &p))
			return false;
		for (int64_t n = a; n <= b && n < 64; n++)
			if (n >= 0)
				m |= (uint64_t)1 << n;
		if (*p == ',')
			p++;
		else if (*p)
			return false;
	}
	*ret = m;
	return true;
}

static void request_of(const struct explain_report *r, struct req *q)
{
	const char *f = r->gfp_flags;
	bool dma, dma32, highmem, movable, have_hm = false;
	bool seen[NCANON] = { false };
	int nres = 0, idx = 0, v = explain_kernel_version(r->kernel);
	uint64_t m;

	memset(q, 0, sizeof(*q));
	q->can_reclaim = has_flag(f, "__GFP_DIRECT_RECLAIM") || has_flag(f, "__GFP_WAIT") ||
			 has_flag(f, "__GFP_RECLAIM") || has_flag(f, "GFP_KERNEL") ||
			 has_flag(f, "GFP_KERNEL_ACCOUNT") || has_flag(f, "GFP_USER") ||
			 has_flag(f, "GFP_HIGHUSER") || has_flag(f, "GFP_HIGHUSER_MOVABLE") ||
			 has_flag(f, "GFP_NOFS") || has_flag(f, "GFP_NOIO") ||
			 has_flag(f, "GFP_TEMPORARY") || has_flag(f, "GFP_TRANSHUGE");
	q->high = has_flag(f, "__GFP_HIGH") || has_flag(f, "GFP_ATOMIC");
	q->harder = f[0] && !q->can_reclaim && !has_flag(f, "__GFP_NOMEMALLOC");
	if (r->gfp_mask != EXPLAIN_UNSET) {
		/* the zone modifiers are the low four bits in every layout */
		dma = r->gfp_mask & 0x01;
		highmem = r->gfp_mask & 0x02;
		dma32 = r->gfp_mask & 0x04;
		movable = r->gfp_mask & 0x08;
	} else {
		dma = has_flag(f, "__GFP_DMA") || has_flag(f, "GFP_DMA");
		dma32 = has_flag(f, "__GFP_DMA32") || has_flag(f, "GFP_DMA32");
		movable = has_flag(f, "__GFP_MOVABLE") || has_flag(f, "GFP_HIGHUSER_MOVABLE") ||
			  strstr(f, "GFP_TRANSHUGE");
		highmem = has_flag(f, "__GFP_HIGHMEM") || strstr(f, "GFP_HIGHUSER") ||
			  strstr(f, "GFP_TRANSHUGE");
	}
	q->movable = movable;
	q->legacy = v ? v < 404 : !r->gfp_flags_printed;
	for (size_t i = 0; i < r->nzones; i++) {
		int k = zone_rank(r->zones[i].name);

		seen[k] = true;
		have_hm |= k == 3;
		if (r->zones[i].nreserve > nres)
			nres = r->zones[i].nreserve;
	}
	if (dma)
		q->cz_rank = 0;
	else if (dma32)
		q->cz_rank = 1;
	else if (highmem && movable)
		q->cz_rank = 4;
	else if (highmem && have_hm)
		q->cz_rank = 3;
	else
		q->cz_rank = ZONE_NORMAL_RANK;
	/* lowmem_reserve[] has one entry per configured zone: the populated ones, Normal and
	 * Movable always, then Device if the count asks for it */
	seen[ZONE_NORMAL_RANK] = seen[4] = true;
	{
		int count = 0;

		for (size_t k = 0; k < NCANON; k++)
			count += seen[k];
		if (count < nres && !seen[5]) {
			seen[5] = true;
			count++;
		}
		if (count < nres && !seen[1] && !seen[3]) {
			seen[1] = true;
			count++;
		}
		q->cz_idx = -1;
		if (count == nres) {
			for (int k = 0; k < q->cz_rank; k++)
				idx += seen[k];
			q->cz_idx = idx;
		}
	}
	q->nodes = ~(uint64_t)0;
	if (parse_nodelist(r->nodemask, &m)) {
		q->nodes &= m;
		q->nodes_known = true;
	}
	if (parse_nodelist(r->mems_allowed, &m)) {
		q->nodes &= m;
		q->nodes_known = true;
	}
}

static bool node_allowed(const struct req *q, int node)
{
	return node < 0 || node >= 64 || (q->nodes >> node) & 1;
}

static int64_t to_pages(int64_t kb, int64_t ps)
{
	return kb == EXPLAIN_UNSET ? 0 : kb * 1024 / ps;
}

static enum explain_zone_verdict check_zone(const struct explain_report *r, struct explain_zone *z,
					    const struct req *q)
{
	int64_t ps = r->page_size, order = r->order == EXPLAIN_UNSET ? 0 : r->order;
	int64_t free_pages, min, reserve = 0, usable;

	if (order < 0 || order >= EXPLAIN_ORDERS_MAX)
		return EXPLAIN_ZONE_UNCHECKED;
	if (z->free_kb == EXPLAIN_UNSET || z->min_kb == EXPLAIN_UNSET) {
		/* without watermarks a buddy list can still show that no block is big enough */
		if (order > 0 && z->norders > 0 && z->blocks_at_order == 0)
			return EXPLAIN_ZONE_NO_BLOCK;
		return EXPLAIN_ZONE_UNCHECKED;
	}
	free_pages = to_pages(z->free_kb, ps);
	min = to_pages(z->min_kb, ps);
	if (q->high)
		min -= min / 2;
	if (q->harder)
		min -= min / 4;
	if (q->cz_idx >= 0 && q->cz_idx < z->nreserve)
		reserve = z->lowmem_reserve_pages[q->cz_idx];
	else if (z->nreserve > 0 && q->cz_idx >= z->nreserve)
		reserve = z->lowmem_reserve_pages[z->nreserve - 1];
	usable = free_pages - (((int64_t)1 << order) - 1);
	if (!q->legacy) {
		if (!q->harder)
			usable -= to_pages(z->reserved_highatomic_kb, ps);
		if (!q->movable)
			usable -= to_pages(z->free_cma_kb, ps);
	}
	z->need_kb = (min + reserve) * ps / 1024;
	z->usable_kb = usable * ps / 1024;
	if (usable <= min + reserve)
		return EXPLAIN_ZONE_BELOW_WATERMARK;
	if (order == 0)
		return EXPLAIN_ZONE_OK;
	if (z->norders == 0)
		return EXPLAIN_ZONE_UNCHECKED;
	if (!q->legacy) {
		for (int o = (int)order; o < z->norders; o++)
			if (z->free_blocks[o] > 0)
				return EXPLAIN_ZONE_OK;
		return EXPLAIN_ZONE_NO_BLOCK;
	}
	for (int o = 0; o < order; o++) {
		usable -= z->free_blocks[o] << o;
		min >>= 1;
		if (usable <= min)
			return EXPLAIN_ZONE_NO_BLOCK;
	}
	return EXPLAIN_ZONE_OK;
}

/* ------------------------------------------------------------------ causes and summary */

struct text {
	char *p;
	size_t size, len;
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->len + 1 >= t->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->p + t->len, t->size - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len = t->len + (size_t)n >= t->size ? t->size - 1 : t->len + (size_t)n;
}

static void add_cause(struct explain_report *r, enum explain_cause c)
{
	for (size_t i = 0; i < r->ncauses; i++)
		if (r->causes[i] == c)
			return;
	if (r->ncauses < EXPLAIN_CAUSES_MAX)
		r->causes[r->ncauses++] = c;
}

static int64_t val(int64_t v)
{
	return v == EXPLAIN_UNSET ? 0 : v;
}

static int64_t ram_kb(const struct explain_report *r)
{
	int64_t sum = 0;

	if (r->ram_kb != EXPLAIN_UNSET && r->ram_kb > 0)
		return r->ram_kb;
	for (size_t i = 0; i < r->nzones; i++)
		sum += r->zones[i].managed_kb != EXPLAIN_UNSET ? r->zones[i].managed_kb
							       : val(r->zones[i].present_kb);
	if (sum > 0)
		return sum;
	sum = val(r->active_anon_kb) + val(r->inactive_anon_kb) + val(r->active_file_kb) +
	      val(r->inactive_file_kb) + val(r->free_kb) + val(r->slab_reclaimable_kb) +
	      val(r->slab_unreclaimable_kb) + val(r->unevictable_kb);
	return sum;
}

static void zone_label(char *buf, size_t size, const struct explain_zone *z)
{
	if (z->node >= 0)
		snprintf(buf, size, "node %d %s", z->node, z->name);
	else
		snprintf(buf, size, "%s", z->name);
}

static void size_words(char *buf, size_t size, int64_t bytes)
{
	if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0)
		snprintf(buf, size, "%lld MB", (long long)(bytes / (1024 * 1024)));
	else
		snprintf(buf, size, "%lld kB", (long long)(bytes / 1024));
}

static void global_causes(struct explain_report *r, const struct req *q, bool any_ok,
			  bool blocked_elsewhere, bool frag)
{
	int64_t ram = ram_kb(r);
	int64_t anon = val(r->active_anon_kb) + val(r->inactive_anon_kb);
	int64_t file = val(r->active_file_kb) + val(r->inactive_file_kb);
	int64_t unrecl = val(r->slab_unreclaimable_kb), recl = val(r->slab_reclaimable_kb);
	int64_t shmem = val(r->shmem_kb);
	int64_t lru = anon + file + val(r->unevictable_kb);
	struct {
		enum explain_cause c;
		int64_t kb;
	} big[4];
	size_t nbig = 0;

	if (r->constraint == EXPLAIN_CONSTRAINT_CPUSET ||
	    r->constraint == EXPLAIN_CONSTRAINT_MEMORY_POLICY || (blocked_elsewhere && !any_ok))
		add_cause(r, EXPLAIN_CAUSE_NODE_CONSTRAINT);
	if (frag && !any_ok)
		add_cause(r, EXPLAIN_CAUSE_FRAGMENTATION);
	(void)q;
	if (ram <= 0)
		return;
	/* what filled memory, largest first */
	if (shmem * 5 >= ram)
		big[nbig++] = (typeof(big[0])){ EXPLAIN_CAUSE_SHMEM, shmem };
	if ((anon - shmem) * 2 >= ram || (anon * 2 >= ram && shmem * 5 < ram))
		big[nbig++] = (typeof(big[0])){ EXPLAIN_CAUSE_ANON, anon - shmem };
	/* the kernel's own test for dumping slab (should_dump_unreclaim_slab): more unreclaimable
	 * slab than LRU pages; or a fifth of RAM */
	if (unrecl * 5 >= ram || (lru > 0 && unrecl > lru) || (unrecl + recl) * 10 >= ram * 3)
		big[nbig++] = (typeof(big[0])){ EXPLAIN_CAUSE_KERNEL_MEMORY, unrecl + recl };
	if (file * 5 >= ram)
		big[nbig++] = (typeof(big[0])){ EXPLAIN_CAUSE_PAGE_CACHE, file };
	for (size_t i = 1; i < nbig; i++)
		for (size_t j = i; j > 0 && big[j].kb > big[j - 1].kb; j--) {
			typeof(big[0]) t = big[j];

			big[j] = big[j - 1];
			big[j - 1] = t;
		}
	for (size_t i = 0; i < nbig; i++) {
		add_cause(r, big[i].c);
		if (big[i].c == EXPLAIN_CAUSE_ANON && r->swap_total_kb > 0 &&
		    r->swap_free_kb != EXPLAIN_UNSET && r->swap_free_kb * 50 <= r->swap_total_kb)
			add_cause(r, EXPLAIN_CAUSE_SWAP_EXHAUSTED);
	}
	if (r->swap_total_kb > 0 && r->swap_free_kb != EXPLAIN_UNSET &&
	    r->swap_free_kb * 50 <= r->swap_total_kb)
		add_cause(r, EXPLAIN_CAUSE_SWAP_EXHAUSTED);
}

static void memcg_causes(struct explain_report *r)
{
	const struct explain_memcg *m = &r->memcg;
	int64_t use = m->usage_kb > 0 ? m->usage_kb : val(m->anon_kb) + val(m->file_kb);

	add_cause(r, EXPLAIN_CAUSE_MEMCG_LIMIT);
	if (use <= 0)
		return;
	if (val(m->shmem_kb) * 4 >= use)
		add_cause(r, EXPLAIN_CAUSE_SHMEM);
	if ((val(m->anon_kb) - val(m->shmem_kb)) * 2 >= use)
		add_cause(r, EXPLAIN_CAUSE_ANON);
	/* v1 memory+swap at its limit with swap really in use (usage above the memory usage);
	 * v2 prints swap alone, and at its limit that is swap used up */
	if (m->swap_limit_kb > 0 && m->swap_usage_kb != EXPLAIN_UNSET &&
	    m->swap_usage_kb * 50 >= m->swap_limit_kb * 49 &&
	    (m->usage_kb == EXPLAIN_UNSET || m->swap_usage_kb > m->usage_kb || !m->swap_is_memsw))
		add_cause(r, EXPLAIN_CAUSE_SWAP_EXHAUSTED);
	if (val(m->kernel_kb) * 4 >= use)
		add_cause(r, EXPLAIN_CAUSE_KERNEL_MEMORY);
	if (val(m->file_kb) * 4 >= use)
		add_cause(r, EXPLAIN_CAUSE_PAGE_CACHE);
}

static void summary_request(struct explain_report *r, struct text *t)
{
	char size[32];
	static const char *const what[] = { "Out of memory", "Memory cgroup out of memory",
					    "Page allocation failure" };

	add(t, "%s: ", what[r->kind]);
	add(t, "%s", r->trigger.comm[0] ? r->trigger.comm : "a task");
	if (r->trigger.pid != EXPLAIN_UNSET)
		add(t, " (pid %lld)", (long long)r->trigger.pid);
	if (r->request_bytes != EXPLAIN_UNSET) {
		size_words(size, sizeof(size), r->request_bytes);
		add(t, " asked for %s%s (order %lld", size, r->order > 0 ? " in one piece" : "",
		    (long long)r->order);
		if (r->gfp_flags[0])
			add(t, ", %s", r->gfp_flags);
		add(t, ")");
	} else {
		add(t, " needed memory");
	}
	add(t, ". ");
}

static void summary_zones(struct explain_report *r, const struct req *q, struct text *t)
{
	char label[48], size[32];
	bool any = false;

	if (r->kind == EXPLAIN_KIND_MEMCG || r->nzones == 0)
		return;
	size_words(size, sizeof(size), r->request_bytes == EXPLAIN_UNSET ? r->page_size
									 : r->request_bytes);
	for (size_t i = 0; i < r->nzones; i++) {
		const struct explain_zone *z = &r->zones[i];

		if (z->verdict == EXPLAIN_ZONE_ABOVE_REQUEST)
			continue;
		zone_label(label, sizeof(label), z);
		add(t, "%s%s", any ? "; " : "Zones: ", label);
		any = true;
		switch (z->verdict) {
		case EXPLAIN_ZONE_OK:
			add(t, " could serve it (%lld kB free, needs more than %lld kB)",
			    (long long)z->free_kb, (long long)z->need_kb);
			break;
		case EXPLAIN_ZONE_BELOW_WATERMARK:
			add(t, " is below its watermark (%lld kB free, needs more than %lld kB = min "
			       "watermark%s)",
			    (long long)z->free_kb, (long long)z->need_kb,
			    q->cz_idx >= 0 && z->need_kb > z->min_kb ? " + lowmem_reserve" : "");
			break;
		case EXPLAIN_ZONE_NO_BLOCK:
			if (!q->legacy || z->blocks_at_order == 0)
				add(t, " has %lld kB free but no free block of %s or more "
				       "(largest %lld kB)",
				    (long long)z->free_kb, size, (long long)z->largest_free_block_kb);
			else
				add(t, " has %lld kB free but too little of it in blocks of %s or "
				       "more (%lld such blocks) for the per-order watermark of "
				       "kernels before 4.4",
				    (long long)z->free_kb, size, (long long)z->blocks_at_order);
			break;
		case EXPLAIN_ZONE_UNCHECKED:
			if (z->free_kb != EXPLAIN_UNSET)
				add(t, " has %lld kB free", (long long)z->free_kb);
			if (z->largest_free_block_kb != EXPLAIN_UNSET)
				add(t, "%s largest free block %lld kB", z->free_kb != EXPLAIN_UNSET ? "," : "",
				    (long long)z->largest_free_block_kb);
			add(t, " (its watermarks are not in the report)");
			break;
		case EXPLAIN_ZONE_NODE_NOT_ALLOWED:
			add(t, " (%lld kB free) is on a node the task may not use",
			    (long long)z->free_kb);
			break;
		default:
			break;
		}
	}
	if (any)
		add(t, ". ");
}

struct diag {
	int64_t frag_free_kb;
	bool legacy_frag;
	const struct explain_zone *elsewhere; /* a zone that could serve it, on a node not allowed */
};

static void summary_causes(struct explain_report *r, const struct diag *d, struct text *t)
{
	int64_t ram = ram_kb(r);
	const struct explain_memcg *m = &r->memcg;

	for (size_t i = 0; i < r->ncauses; i++) {
		switch (r->causes[i]) {
		case EXPLAIN_CAUSE_MEMCG_LIMIT:
			add(t, "The memory cgroup %s was at its limit",
			    m->path[0] ? m->path : "(unnamed)");
			if (m->usage_kb != EXPLAIN_UNSET && m->limit_kb != EXPLAIN_UNSET)
				add(t, " (usage %lld kB of %lld kB", (long long)m->usage_kb,
				    (long long)m->limit_kb);
			if (m->failcnt > 0 && m->usage_kb != EXPLAIN_UNSET)
				add(t, ", hit %lld times", (long long)m->failcnt);
			add(t, "%s. ", m->usage_kb != EXPLAIN_UNSET ? ")" : "");
			break;
		case EXPLAIN_CAUSE_NODE_CONSTRAINT:
			add(t, "The task may only use memory on node(s) %s%s",
			    r->nodemask[0] && strcmp(r->nodemask, "(null)") ? r->nodemask
									    : r->mems_allowed,
			    r->constraint == EXPLAIN_CONSTRAINT_CPUSET ? " (cpuset)"
			    : r->constraint == EXPLAIN_CONSTRAINT_MEMORY_POLICY ? " (memory policy)"
										 : "");
			if (d->elsewhere) {
				char label[48];

				zone_label(label, sizeof(label), d->elsewhere);
				add(t, ", but %s, which could have served it (%lld kB free), is on "
				       "another node",
				    label, (long long)d->elsewhere->free_kb);
			}
			add(t, ". ");
			break;
		case EXPLAIN_CAUSE_FRAGMENTATION:
			add(t, "Memory was free but fragmented: the zones the request could use had "
			       "%lld kB free, but %s. ",
			    (long long)d->frag_free_kb,
			    d->legacy_frag ? "too little of it in blocks of the requested size "
					     "(kernels before 4.4 also require free pages above a "
					     "halved watermark at every order)"
					   : "no free block of the requested size");
			break;
		case EXPLAIN_CAUSE_ANON:
			if (r->kind == EXPLAIN_KIND_MEMCG)
				add(t, "Process memory (anon) took %lld kB of it. ", (long long)val(m->anon_kb));
			else
				add(t, "Process memory (anon) filled RAM: %lld kB of %lld kB%s. ",
				    (long long)(val(r->active_anon_kb) + val(r->inactive_anon_kb)),
				    (long long)ram, r->swap_total_kb == 0 ? ", and there is no swap" : "");
			break;
		case EXPLAIN_CAUSE_SWAP_EXHAUSTED:
			if (r->kind == EXPLAIN_KIND_MEMCG)
				add(t, "Its memory+swap limit was used up (%lld kB of %lld kB). ",
				    (long long)m->swap_usage_kb, (long long)m->swap_limit_kb);
			else
				add(t, "Swap was used up: %lld kB free of %lld kB. ",
				    (long long)r->swap_free_kb, (long long)r->swap_total_kb);
			break;
		case EXPLAIN_CAUSE_SHMEM:
			add(t, "Shared memory and tmpfs held %lld kB, which killing processes does not "
			       "free. ",
			    (long long)(r->kind == EXPLAIN_KIND_MEMCG ? val(m->shmem_kb)
								       : val(r->shmem_kb)));
			break;
		case EXPLAIN_CAUSE_KERNEL_MEMORY:
			if (r->kind == EXPLAIN_KIND_MEMCG) {
				add(t, "Kernel memory charged to it: %lld kB. ", (long long)val(m->kernel_kb));
				break;
			}
			add(t, "Kernel memory: %lld kB unreclaimable slab and %lld kB reclaimable slab "
			       "of %lld kB RAM",
			    (long long)val(r->slab_unreclaimable_kb),
			    (long long)val(r->slab_reclaimable_kb), (long long)ram);
			if (r->nslabs)
				add(t, ", largest cache %s with %lld kB", r->slabs[0].name,
				    (long long)r->slabs[0].total_kb);
			add(t, ". ");
			break;
		case EXPLAIN_CAUSE_PAGE_CACHE:
			add(t, "The page cache held %lld kB that reclaim did not free in time. ",
			    (long long)(r->kind == EXPLAIN_KIND_MEMCG
						? val(m->file_kb)
						: val(r->active_file_kb) + val(r->inactive_file_kb)));
			break;
		default:
			break;
		}
	}
}

static void summary_outcome(struct explain_report *r, struct text *t)
{
	const struct explain_task *k = &r->killed;

	if (r->has_killed) {
		add(t, "The kernel killed %s", k->comm[0] ? k->comm : "a process");
		if (k->pid != EXPLAIN_UNSET)
			add(t, " (pid %lld)", (long long)k->pid);
		if (k->anon_rss_kb != EXPLAIN_UNSET) {
			add(t, ", which held %lld kB anon", (long long)k->anon_rss_kb);
			if (k->file_rss_kb != EXPLAIN_UNSET)
				add(t, ", %lld kB file", (long long)k->file_rss_kb);
			if (k->shmem_rss_kb != EXPLAIN_UNSET)
				add(t, ", %lld kB shmem", (long long)k->shmem_rss_kb);
			add(t, " memory");
		}
		add(t, ". ");
		if (r->has_reaper)
			add(t, "The OOM reaper then freed its memory down to %lld kB anon. ",
			    (long long)val(r->reaped.anon_rss_kb));
	} else if (r->truncated) {
		if (r->oops[0])
			add(t, "The report ends before a process was killed, cut off by a kernel "
			       "oops (%s). ", r->oops);
		else
			add(t, "The report ends before a process was killed%s. ",
			    r->panic[0] ? "" : " (the text ends or was cut)");
	}
	if (r->panic[0])
		add(t, "The machine panicked: %s. ", r->panic);
	if (t->len && t->p[t->len - 1] == ' ')
		t->p[--t->len] = '\0';
}

void explain_diagnose(struct explain_report *r)
{
	struct req q;
	bool any_ok = false, blocked_elsewhere = false, frag = false;
	struct text t = { r->summary, sizeof(r->summary), 0 };
	char decoded[sizeof(r->gfp_flags)];
	struct diag d = { 0 };

	if (!r->gfp_flags[0] && r->gfp_mask != EXPLAIN_UNSET &&
	    explain_gfp_decode((uint64_t)r->gfp_mask, r->kernel, decoded, sizeof(decoded)))
		og_strscpy(r->gfp_flags, decoded, sizeof(r->gfp_flags));
	request_of(r, &q);
	og_strscpy(r->classzone, canonical[q.cz_rank], sizeof(r->classzone));
	for (size_t i = 0; i < r->nzones; i++) {
		struct explain_zone *z = &r->zones[i];
		int64_t order = r->order == EXPLAIN_UNSET || r->order < 0 ? 0 : r->order;
		int top = -1;

		z->blocks_at_order = z->norders ? 0 : EXPLAIN_UNSET;
		for (int o = 0; o < z->norders; o++) {
			if (z->free_blocks[o] > 0)
				top = o;
			if (o >= order)
				z->blocks_at_order += z->free_blocks[o];
		}
		if (z->norders)
			z->largest_free_block_kb = top < 0 ? 0 : (r->page_size / 1024) << top;
		if (zone_rank(z->name) > q.cz_rank) {
			z->verdict = EXPLAIN_ZONE_ABOVE_REQUEST;
			continue;
		}
		z->verdict = check_zone(r, z, &q);
		if (!node_allowed(&q, z->node)) {
			if (z->verdict == EXPLAIN_ZONE_OK) {
				blocked_elsewhere = true;
				if (!d.elsewhere || z->free_kb > d.elsewhere->free_kb)
					d.elsewhere = z;
			}
			z->verdict = EXPLAIN_ZONE_NODE_NOT_ALLOWED;
			continue;
		}
		any_ok |= z->verdict == EXPLAIN_ZONE_OK;
		if (z->verdict == EXPLAIN_ZONE_NO_BLOCK) {
			frag = true;
			d.frag_free_kb += z->free_kb;
			d.legacy_frag |= q.legacy && z->blocks_at_order > 0;
		}
	}
	r->ncauses = 0;
	if (r->kind == EXPLAIN_KIND_MEMCG)
		memcg_causes(r);
	else
		global_causes(r, &q, any_ok, blocked_elsewhere, frag);
	summary_request(r, &t);
	summary_zones(r, &q, &t);
	summary_causes(r, &d, &t);
	summary_outcome(r, &t);
}
