/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Finding the reports in kernel log text and reading their facts. The printk formats read here
 * (mm/oom_kill.c dump_header/oom_kill_process/__oom_reap_task_mm, mm/page_alloc.c
 * show_free_areas/warn_alloc, mm/memcontrol.c mem_cgroup_print_oom_info/meminfo, lib/show_mem.c)
 * changed often between 2.6.32 and 6.x, so every record is read by its keys ("min:",
 * "order=", "anon-rss:"), never by column, and lines the kernel's text was wrapped onto are
 * read as part of the record before them. Pure.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/explain/explain_int.h"
#include "policy/util/strutil.h"

enum last_rec {
	LAST_NONE,
	LAST_TRIGGER,
	LAST_MEMINFO,
	LAST_ZONE,
	LAST_BUDDY,
	LAST_KILL,
	LAST_MEMCG_STATS,
	LAST_SLABINFO,
	LAST_OOMKILL,
};

struct parser {
	struct explain_report *reports;
	size_t n, cap;
	struct explain_report *cur;	/* open report, NULL if none */
	bool closed;			/* the open report had its kill line */
	enum last_rec last;
	struct explain_zone *last_zone, *buddy_zone;
	bool meminfo_pages;		/* Mem-Info counters seen (in pages) */
	unsigned lineno;
	char ts[48];
};

static void init_task(struct explain_task *t)
{
	memset(t, 0, sizeof(*t));
	t->pid = t->uid = t->oom_score_adj = t->score = EXPLAIN_UNSET;
	t->total_vm_kb = t->anon_rss_kb = t->file_rss_kb = t->shmem_rss_kb = t->pgtables_kb =
		EXPLAIN_UNSET;
}

static void init_report(struct explain_report *r)
{
	memset(r, 0, sizeof(*r));
	init_task(&r->trigger);
	init_task(&r->killed);
	init_task(&r->reaped);
	r->gfp_mask = r->order = r->request_bytes = EXPLAIN_UNSET;
	r->memcg.usage_kb = r->memcg.limit_kb = r->memcg.failcnt = EXPLAIN_UNSET;
	r->memcg.swap_usage_kb = r->memcg.swap_limit_kb = EXPLAIN_UNSET;
	r->memcg.anon_kb = r->memcg.file_kb = r->memcg.shmem_kb = r->memcg.kernel_kb =
		EXPLAIN_UNSET;
	r->page_size = EXPLAIN_UNSET;
	r->active_anon_kb = r->inactive_anon_kb = r->active_file_kb = r->inactive_file_kb =
		EXPLAIN_UNSET;
	r->unevictable_kb = r->free_kb = r->slab_reclaimable_kb = r->slab_unreclaimable_kb =
		EXPLAIN_UNSET;
	r->shmem_kb = r->pagetables_kb = r->ram_kb = EXPLAIN_UNSET;
	r->swap_total_kb = r->swap_free_kb = EXPLAIN_UNSET;
	r->constraint = EXPLAIN_CONSTRAINT_UNKNOWN;
}

static int64_t pages_to_kb(int64_t pages, int64_t page_size)
{
	if (pages == EXPLAIN_UNSET)
		return EXPLAIN_UNSET;
	return pages * (page_size / 1024);
}

static void finish_report(struct parser *ps)
{
	struct explain_report *r = ps->cur;

	if (!r)
		return;
	if (r->kind != EXPLAIN_KIND_ALLOC_FAILURE && !r->has_killed)
		r->truncated = true;
	if (r->page_size == EXPLAIN_UNSET)
		r->page_size = 4096;
	/* Mem-Info counters and "pages RAM" are pages; convert now that the page size is known */
	if (ps->meminfo_pages) {
		int64_t *f[] = { &r->active_anon_kb, &r->inactive_anon_kb, &r->active_file_kb,
				 &r->inactive_file_kb, &r->unevictable_kb, &r->free_kb,
				 &r->slab_reclaimable_kb, &r->slab_unreclaimable_kb,
				 &r->shmem_kb, &r->pagetables_kb };

		for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
			*f[i] = pages_to_kb(*f[i], r->page_size);
	}
	r->ram_kb = pages_to_kb(r->ram_kb, r->page_size);
	if (r->order != EXPLAIN_UNSET && r->order >= 0 && r->order < 40)
		r->request_bytes = r->page_size << r->order;
	if (r->constraint == EXPLAIN_CONSTRAINT_UNKNOWN && r->kind == EXPLAIN_KIND_MEMCG)
		r->constraint = EXPLAIN_CONSTRAINT_MEMCG;
	explain_diagnose(r);
	ps->cur = NULL;
	ps->closed = false;
	ps->last = LAST_NONE;
	ps->last_zone = ps->buddy_zone = NULL;
	ps->meminfo_pages = false;
}

static int start_report(struct parser *ps, enum explain_kind kind)
{
	finish_report(ps);
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 4;
		struct explain_report *p = realloc(ps->reports, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		ps->reports = p;
		ps->cap = cap;
	}
	ps->cur = &ps->reports[ps->n++];
	init_report(ps->cur);
	ps->cur->kind = kind;
	ps->cur->first_line = ps->cur->last_line = ps->lineno;
	og_strscpy(ps->cur->time, ps->ts, sizeof(ps->cur->time));
	return 0;
}

static void copy_span(char *dst, size_t size, const char *s, size_t n)
{
	if (size == 0)
		return;
	while (n && s[n - 1] == ' ')
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static void set_num(int64_t *dst, int64_t v)
{
	if (v != EXPLAIN_UNSET)
		*dst = v;
}

/* "gfp_mask=0x26000c0(GFP_KERNEL|__GFP_NOTRACK)" or "mode:0x..." */
static void parse_gfp(struct explain_report *r, const char *l)
{
	const char *v = explain_find_key(l, "gfp_mask=");
	const char *end;
	int64_t mask;

	if (!v)
		v = explain_find_key(l, "mode:");
	if (!v || !explain_parse_num(v, &mask, &end))
		return;
	r->gfp_mask = mask;
	if (*end == '(') {
		const char *close = strchr(end, ')');

		if (close) {
			copy_span(r->gfp_flags, sizeof(r->gfp_flags), end + 1,
				  (size_t)(close - end - 1));
			r->gfp_flags_printed = true;
		}
	}
}

static void parse_nodes(struct explain_report *r, const char *l)
{
	explain_key_word(l, "nodemask=", r->nodemask, sizeof(r->nodemask));
	explain_key_word(l, "cpuset=", r->cpuset, sizeof(r->cpuset));
	explain_key_word(l, "mems_allowed=", r->mems_allowed, sizeof(r->mems_allowed));
}

static void parse_trigger(struct explain_report *r, const char *l)
{
	parse_gfp(r, l);
	set_num(&r->order, explain_key_num(l, "order="));
	set_num(&r->order, explain_key_num(l, "order:"));
	/* 2.6.32 prints oom_adj (-17..15); oom_score_adj from 2.6.36 wins where both are */
	if (r->trigger.oom_score_adj == EXPLAIN_UNSET)
		set_num(&r->trigger.oom_score_adj, explain_key_num(l, "oom_adj="));
	set_num(&r->trigger.oom_score_adj, explain_key_num(l, "oom_score_adj="));
	parse_nodes(r, l);
}

/* "CPU: 9 PID: 24121 Comm: python Tainted: G I --- 3.10.0-1160.2.2.el7.x86_64 #1" and
 * 2.6.32's "Pid: 2517, comm: java Not tainted 2.6.32-431.el6.x86_64 #1" */
static void parse_cpu_line(struct explain_report *r, const char *l)
{
	const char *pid = explain_find_key(l, "PID:"), *comm = strstr(l, "Comm: ");
	const char *t = strstr(l, "ainted");
	int64_t v;

	if (!pid) {
		pid = strstr(l, "Pid: ");
		pid = pid ? pid + 4 : NULL;
		comm = strstr(l, ", comm: ");
		comm = comm ? comm + 2 : NULL;
	}
	if (pid && r->trigger.pid == EXPLAIN_UNSET) {
		while (*pid == ' ')
			pid++;
		if (explain_parse_num(pid, &v, NULL))
			r->trigger.pid = v;
	}
	if (comm && !r->trigger.comm[0]) {
		const char *c = comm + 6, *end = strstr(c, " Not tainted");

		if (!end)
			end = strstr(c, " Tainted:");
		if (end)
			copy_span(r->trigger.comm, sizeof(r->trigger.comm), c, (size_t)(end - c));
	}
	if (t && !r->kernel[0]) {
		/* the first word after the taint flags that starts like a version */
		for (const char *p = t; *p; p++) {
			if (p[-1] == ' ' && isdigit((unsigned char)p[0]) && p[1] == '.' &&
			    isdigit((unsigned char)p[2])) {
				explain_key_word(p, "", r->kernel, sizeof(r->kernel));
				break;
			}
		}
	}
}

static const char *skip_sp(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* "Node 0 DMA32 " or "DMA32 " at the start: the node (-1 if not printed), the zone name and
 * what follows. NULL if l does not start so. */
static const char *zone_prefix(const char *l, int *ret_node, char *name, size_t size)
{
	const char *p = l, *s;
	int64_t node = -1;
	size_t n;

	if (og_startswith(p, "Node ")) {
		if (!explain_parse_num(p + 5, &node, &p) || *p != ' ' || node < 0 || node > 4095)
			return NULL;
		p++;
	}
	s = p;
	while (isalnum((unsigned char)*p))
		p++;
	n = (size_t)(p - s);
	if (n < 3 || n > 8 || !isupper((unsigned char)*s))
		return NULL;
	copy_span(name, size, s, n);
	*ret_node = (int)node;
	return p;
}

static struct explain_zone *find_zone(struct explain_report *r, int node, const char *name)
{
	struct explain_zone *z;

	for (size_t i = 0; i < r->nzones; i++)
		if (r->zones[i].node == node && strcmp(r->zones[i].name, name) == 0)
			return &r->zones[i];
	if (r->nzones == EXPLAIN_ZONES_MAX) {
		r->zones_dropped++;
		return NULL;
	}
	z = &r->zones[r->nzones++];
	memset(z, 0, sizeof(*z));
	z->node = node;
	og_strscpy(z->name, name, sizeof(z->name));
	z->free_kb = z->min_kb = z->low_kb = z->high_kb = z->present_kb = z->managed_kb =
		EXPLAIN_UNSET;
	z->free_cma_kb = z->reserved_highatomic_kb = EXPLAIN_UNSET;
	z->largest_free_block_kb = z->blocks_at_order = z->need_kb = z->usable_kb =
		EXPLAIN_UNSET;
	return z;
}

static void parse_zone_tokens(struct explain_zone *z, const char *l)
{
	set_num(&z->free_kb, explain_key_kb(l, "free:"));
	set_num(&z->min_kb, explain_key_kb(l, "min:"));
	set_num(&z->low_kb, explain_key_kb(l, "low:"));
	set_num(&z->high_kb, explain_key_kb(l, "high:"));
	set_num(&z->present_kb, explain_key_kb(l, "present:"));
	set_num(&z->managed_kb, explain_key_kb(l, "managed:"));
	set_num(&z->free_cma_kb, explain_key_kb(l, "free_cma:"));
	set_num(&z->reserved_highatomic_kb, explain_key_kb(l, "reserved_highatomic:"));
}

/* "622118*4kB (UEM) 287275*8kB ... = 4792448kB": blocks per order; sets the page size */
static void parse_buddy_tokens(struct explain_report *r, struct explain_zone *z, const char *l)
{
	const char *total = strstr(l, "= ");

	/* the list's total is the zone's free memory when its "free:" line was not pasted */
	if (total && z->free_kb == EXPLAIN_UNSET)
		z->free_kb = explain_key_kb(total, "= ");
	for (const char *p = l; *p; p++) {
		int64_t count, size_kb;
		const char *e;

		if (!isdigit((unsigned char)*p) || (p > l && !strchr(" :", p[-1])))
			continue;
		if (!explain_parse_num(p, &count, &e) || *e != '*' ||
		    !explain_parse_num(e + 1, &size_kb, &e) || size_kb <= 0 ||
		    (e[0] != 'k' && e[0] != 'K'))
			continue;
		if (r->page_size == EXPLAIN_UNSET && z->norders == 0)
			r->page_size = size_kb * 1024;
		if (r->page_size > 0) {
			int64_t base = r->page_size / 1024;
			int o = 0;

			while (o < EXPLAIN_ORDERS_MAX - 1 && (base << o) < size_kb)
				o++;
			if ((base << o) == size_kb) {
				z->free_blocks[o] = count;
				if (o + 1 > z->norders)
					z->norders = o + 1;
			}
		}
		p = e;
	}
}

static void parse_meminfo_tokens(struct explain_report *r, const char *l)
{
	set_num(&r->active_anon_kb, explain_key_num(l, "active_anon:"));
	set_num(&r->inactive_anon_kb, explain_key_num(l, "inactive_anon:"));
	set_num(&r->active_file_kb, explain_key_num(l, "active_file:"));
	set_num(&r->inactive_file_kb, explain_key_num(l, "inactive_file:"));
	set_num(&r->unevictable_kb, explain_key_num(l, "unevictable:"));
	set_num(&r->free_kb, explain_key_num(l, "free:"));
	set_num(&r->slab_reclaimable_kb, explain_key_num(l, "slab_reclaimable:"));
	set_num(&r->slab_unreclaimable_kb, explain_key_num(l, "slab_unreclaimable:"));
	set_num(&r->shmem_kb, explain_key_num(l, "shmem:"));
	set_num(&r->pagetables_kb, explain_key_num(l, "pagetables:"));
}

/* "Kill process 1234 (foo) score 900 or sacrifice child", "Killed process 1234 (foo)
 * total-vm:...", RHEL6's "Killed process 1234, UID 0, (foo) total-vm:..." */
static void parse_kill(struct explain_report *r, const char *l, const char *after)
{
	struct explain_task *t = &r->killed;
	const char *p = skip_sp(after), *open, *close = NULL;
	int64_t v;

	if (explain_parse_num(p, &v, &p))
		t->pid = v;
	if (og_startswith(p, ", UID ") && explain_parse_num(p + 6, &v, NULL))
		t->uid = v;
	open = strchr(p, '(');
	if (open) {
		static const char *const after_comm[] = { ") score", ") total-vm", ") vsz",
							  "), ", ")," };

		for (size_t i = 0; !close && i < sizeof(after_comm) / sizeof(after_comm[0]); i++)
			close = strstr(open, after_comm[i]);
		if (!close)
			close = strrchr(open, ')');
		if (close)
			copy_span(t->comm, sizeof(t->comm), open + 1, (size_t)(close - open - 1));
	}
	p = close ? close : p;
	set_num(&t->score, explain_key_num(p, "score "));
	set_num(&t->total_vm_kb, explain_key_kb(p, "total-vm:"));
	set_num(&t->total_vm_kb, explain_key_kb(p, "vsz:"));
	set_num(&t->anon_rss_kb, explain_key_kb(p, "anon-rss:"));
	set_num(&t->file_rss_kb, explain_key_kb(p, "file-rss:"));
	set_num(&t->shmem_rss_kb, explain_key_kb(p, "shmem-rss:"));
	set_num(&t->uid, explain_key_num(p, "UID:"));
	set_num(&t->uid, explain_key_num(p, "UID ")); /* RHEL 7: "(comm), UID 107, total-vm:" */
	set_num(&t->pgtables_kb, explain_key_kb(p, "pgtables:"));
	set_num(&t->oom_score_adj, explain_key_num(p, "oom_score_adj:"));
	r->has_killed = true;
	(void)l;
}

static void parse_kill_tokens(struct explain_report *r, const char *l)
{
	struct explain_task *t = &r->killed;

	set_num(&t->anon_rss_kb, explain_key_kb(l, "anon-rss:"));
	set_num(&t->file_rss_kb, explain_key_kb(l, "file-rss:"));
	set_num(&t->shmem_rss_kb, explain_key_kb(l, "shmem-rss:"));
	set_num(&t->uid, explain_key_num(l, "UID:"));
	set_num(&t->pgtables_kb, explain_key_kb(l, "pgtables:"));
	set_num(&t->oom_score_adj, explain_key_num(l, "oom_score_adj:"));
}

/* 4.19+: "oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,
 * global_oom,task_memcg=/user.slice,task=stress,pid=1234,uid=0" (oom_memcg= for memcg OOM) */
static void parse_oomkill(struct explain_report *r, const char *l)
{
	char w[EXPLAIN_PATH_MAX];
	static const struct {
		const char *name;
		enum explain_constraint c;
	} cs[] = {
		{ "CONSTRAINT_NONE", EXPLAIN_CONSTRAINT_NONE },
		{ "CONSTRAINT_CPUSET", EXPLAIN_CONSTRAINT_CPUSET },
		{ "CONSTRAINT_MEMORY_POLICY", EXPLAIN_CONSTRAINT_MEMORY_POLICY },
		{ "CONSTRAINT_MEMCG", EXPLAIN_CONSTRAINT_MEMCG },
	};
	char *c;

	if (explain_key_word(l, "constraint=", w, sizeof(w))) {
		if ((c = strchr(w, ',')))
			*c = '\0';
		for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++)
			if (strcmp(w, cs[i].name) == 0)
				r->constraint = cs[i].c;
	}
	/* comma-separated: explain_key_word() stops at ',' */
	parse_nodes(r, l);
	if (explain_key_word(l, "oom_memcg=", w, sizeof(w))) {
		r->has_memcg = true;
		r->kind = EXPLAIN_KIND_MEMCG;
		og_strscpy(r->memcg.path, w, sizeof(r->memcg.path));
	}
	if (explain_key_word(l, "task_memcg=", w, sizeof(w)) && r->has_memcg)
		og_strscpy(r->memcg.task_path, w, sizeof(r->memcg.task_path));
	if (explain_key_word(l, "task=", w, sizeof(w)) && !r->killed.comm[0])
		og_strscpy(r->killed.comm, w, sizeof(r->killed.comm));
	if (r->killed.pid == EXPLAIN_UNSET)
		set_num(&r->killed.pid, explain_key_num(l, "pid="));
	if (r->killed.uid == EXPLAIN_UNSET)
		set_num(&r->killed.uid, explain_key_num(l, "uid="));
}

/* "memory: usage 102400kB, limit 102400kB, failcnt 42" (v1 and v2) */
static void parse_memcg_usage(struct explain_report *r, const char *l, bool swap)
{
	int64_t u = explain_key_kb(l, "usage "), lim = explain_key_kb(l, "limit ");

	r->has_memcg = true;
	r->kind = EXPLAIN_KIND_MEMCG;
	if (swap) {
		set_num(&r->memcg.swap_usage_kb, u);
		set_num(&r->memcg.swap_limit_kb, lim);
	} else {
		set_num(&r->memcg.usage_kb, u);
		set_num(&r->memcg.limit_kb, lim);
		set_num(&r->memcg.failcnt, explain_key_num(l, "failcnt "));
	}
}

/* v1 (<= 4.x): "cache:0KB rss:1020KB ... shmem:0KB"; v2 and 5.x+: "anon 104857600" lines */
static void parse_memcg_stats(struct explain_report *r, const char *l)
{
	static const struct {
		const char *key;
		size_t off;
		bool bytes;
	} keys[] = {
		{ "rss:", offsetof(struct explain_memcg, anon_kb), false },
		{ "cache:", offsetof(struct explain_memcg, file_kb), false },
		{ "shmem:", offsetof(struct explain_memcg, shmem_kb), false },
		{ "anon ", offsetof(struct explain_memcg, anon_kb), true },
		{ "rss ", offsetof(struct explain_memcg, anon_kb), true },	/* v1 on 5.x+ */
		{ "cache ", offsetof(struct explain_memcg, file_kb), true },
		{ "file ", offsetof(struct explain_memcg, file_kb), true },
		{ "shmem ", offsetof(struct explain_memcg, shmem_kb), true },
		{ "kernel ", offsetof(struct explain_memcg, kernel_kb), true },
		{ "slab ", offsetof(struct explain_memcg, kernel_kb), true },
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		int64_t *dst = (int64_t *)((char *)&r->memcg + keys[i].off), v;

		if (keys[i].bytes) {
			/* whole line "key N": 5.x prints one stat per line */
			if (!og_startswith(l, keys[i].key) || *dst != EXPLAIN_UNSET ||
			    !explain_parse_num(l + strlen(keys[i].key), &v, NULL))
				continue;
			*dst = v / 1024;
		} else {
			set_num(dst, explain_key_kb(l, keys[i].key));
		}
	}
}

/* "Unreclaimable slab info:" rows: "nfs_inode_cache  2516372KB  2516372KB" (used, total) */
static void parse_slab_row(struct explain_report *r, const char *l)
{
	const char *p = l;
	int64_t used, total;
	size_t n = 0, i;

	while (p[n] && p[n] != ' ')
		n++;
	p = skip_sp(p + n);
	if (!n || !explain_parse_num(p, &used, &p) || !og_startswith(p, "KB"))
		return;
	p = skip_sp(p + 2);
	if (!explain_parse_num(p, &total, &p) || !og_startswith(p, "KB"))
		return;
	for (i = 0; i < r->nslabs && r->slabs[i].total_kb >= total; i++)
		;
	if (i >= EXPLAIN_SLABS_MAX)
		return;
	if (r->nslabs < EXPLAIN_SLABS_MAX)
		r->nslabs++;
	memmove(&r->slabs[i + 1], &r->slabs[i], (r->nslabs - 1 - i) * sizeof(r->slabs[0]));
	copy_span(r->slabs[i].name, sizeof(r->slabs[i].name), l, n);
	r->slabs[i].total_kb = total;
}

/* A line the kernel's record was wrapped onto: starts with "key:N", "key=N", "N*4kB", "(UEM)". */
static bool looks_like_continuation(const char *l)
{
	const char *p = l;

	if (*p == '(' || (isdigit((unsigned char)*p) && strchr(p, '*')) || og_startswith(p, "= "))
		return true;
	while (isalnum((unsigned char)*p) || strchr("_-()[]", *p))
		p++;
	if (p == l)
		return false;
	if ((*p == ':' || *p == '=') && (isdigit((unsigned char)p[1]) || p[1] == '-' || p[1] == '('))
		return true;
	return og_startswith(p, "? yes") || og_startswith(p, "? no");
}

static bool is_elision(const char *l)
{
	return strcmp(l, "...") == 0 || strcmp(l, "[...]") == 0 || strcmp(l, "<snip>") == 0 ||
	       strcmp(l, "[snip]") == 0 || og_startswith(l, "....");
}

static void continuation(struct parser *ps, const char *l)
{
	struct explain_report *r = ps->cur;

	switch (ps->last) {
	case LAST_TRIGGER:
		parse_trigger(r, l);
		break;
	case LAST_MEMINFO:
		parse_meminfo_tokens(r, l);
		break;
	case LAST_ZONE:
		if (ps->last_zone)
			parse_zone_tokens(ps->last_zone, l);
		break;
	case LAST_BUDDY:
		if (ps->buddy_zone)
			parse_buddy_tokens(r, ps->buddy_zone, l);
		break;
	case LAST_KILL:
		parse_kill_tokens(r, l);
		break;
	case LAST_OOMKILL:
		parse_oomkill(r, l);
		break;
	default:
		return;
	}
	r->last_line = ps->lineno;
}

static void attach_reaper(struct parser *ps, const char *l)
{
	const char *p = strstr(l, "reaped process ");
	struct explain_task t;
	int64_t pid;

	if (!p || !explain_parse_num(p + 15, &pid, &p))
		return;
	init_task(&t);
	t.pid = pid;
	if (*p == ' ' && p[1] == '(') {
		const char *close = strstr(p, "), now");

		if (close)
			copy_span(t.comm, sizeof(t.comm), p + 2, (size_t)(close - p - 2));
	}
	t.anon_rss_kb = explain_key_kb(l, "anon-rss:");
	t.file_rss_kb = explain_key_kb(l, "file-rss:");
	t.shmem_rss_kb = explain_key_kb(l, "shmem-rss:");
	for (size_t i = ps->n; i-- > 0;) {
		struct explain_report *r = &ps->reports[i];

		if (r->has_killed && r->killed.pid == pid && !r->has_reaper) {
			r->reaped = t;
			r->has_reaper = true;
			if (r->last_line < ps->lineno)
				r->last_line = ps->lineno;
			return;
		}
	}
}

/* Lines that begin a report, or end the open one. 1 if handled, <0 on ENOMEM. */
static int boundary(struct parser *ps, const char *l)
{
	const char *p;
	int r;

	if ((p = strstr(l, " invoked oom-killer:"))) {
		if ((r = start_report(ps, EXPLAIN_KIND_GLOBAL)) < 0)
			return r;
		copy_span(ps->cur->trigger.comm, sizeof(ps->cur->trigger.comm), l,
			  (size_t)(p - l));
		parse_trigger(ps->cur, p);
		ps->last = LAST_TRIGGER;
		return 1;
	}
	if ((p = strstr(l, "page allocation failure"))) {
		size_t n = (size_t)(p - l);

		if ((r = start_report(ps, EXPLAIN_KIND_ALLOC_FAILURE)) < 0)
			return r;
		while (n && (l[n - 1] == ' ' || l[n - 1] == ':'))
			n--;
		copy_span(ps->cur->trigger.comm, sizeof(ps->cur->trigger.comm), l, n);
		parse_trigger(ps->cur, p);
		ps->last = LAST_TRIGGER;
		return 1;
	}
	if ((p = strstr(l, "Kernel panic - not syncing"))) {
		struct explain_report *rep = ps->cur ? ps->cur : (ps->n ? &ps->reports[ps->n - 1] : NULL);

		if (rep && (ps->cur || rep->last_line + 400 > ps->lineno)) {
			copy_span(rep->panic, sizeof(rep->panic), p, strlen(p));
			rep->last_line = ps->lineno;
		}
		finish_report(ps);
		return 1;
	}
	if (ps->cur && (og_startswith(l, "BUG: unable to handle") || og_startswith(l, "Oops:") ||
			og_startswith(l, "general protection fault") ||
			og_startswith(l, "kernel BUG at") || og_startswith(l, "---[ end trace"))) {
		finish_report(ps);
		return 1;
	}
	return 0;
}

static bool starts_implicit(const char *l)
{
	return og_startswith(l, "Mem-Info:") || strstr(l, "Out of memory") ||
	       strstr(l, "Memory cgroup out of memory") || og_startswith(l, "Killed process") ||
	       (og_startswith(l, "Task in ") && strstr(l, "killed as a result of limit")) ||
	       og_startswith(l, "oom-kill:");
}

static void parse_report_line(struct parser *ps, const char *l)
{
	struct explain_report *r = ps->cur;
	const char *p;
	struct explain_zone *z;
	char name[16];
	int node;

	if ((og_startswith(l, "CPU: ") && strstr(l, "PID: ")) ||
	    (og_startswith(l, "Pid: ") && strstr(l, ", comm: "))) {
		if (!r->kernel[0])
			parse_cpu_line(r, l);
		ps->last = LAST_NONE;
	} else if (strstr(l, " cpuset=") && strstr(l, "mems_allowed=") &&
		   !og_startswith(l, "oom-kill:")) {
		parse_nodes(r, l);
		ps->last = LAST_NONE;
	} else if (og_startswith(l, "oom-kill:")) {
		parse_oomkill(r, l);
		ps->last = LAST_OOMKILL;
	} else if (og_startswith(l, "Mem-Info:")) {
		ps->last = LAST_NONE;
	} else if ((og_startswith(l, "active_anon:") || og_startswith(l, "active_file:") ||
		    og_startswith(l, "unevictable:") || og_startswith(l, "free:") ||
		    og_startswith(l, "slab_reclaimable:") || og_startswith(l, "mapped:")) &&
		   !strstr(l, "kB")) {
		parse_meminfo_tokens(r, l);
		ps->meminfo_pages = true;
		ps->last = LAST_MEMINFO;
	} else if (og_startswith(l, "lowmem_reserve[]:")) {
		z = ps->last_zone;
		if (z && z->nreserve == 0) {
			const char *q = l + 17;
			int64_t v;

			while (*(q = skip_sp(q)) && z->nreserve < EXPLAIN_RESERVE_MAX &&
			       explain_parse_num(q, &v, &q))
				z->lowmem_reserve_pages[z->nreserve++] = v;
		}
		ps->last = LAST_NONE;
	} else if ((p = zone_prefix(l, &node, name, sizeof(name))) && og_startswith(p, " free:") &&
		   strstr(p, "min:")) {
		z = find_zone(r, node, name);
		if (z)
			parse_zone_tokens(z, p);
		ps->last_zone = z;
		ps->last = z ? LAST_ZONE : LAST_NONE;
	} else if (p && p[0] == ':' && p[1] == ' ' && isdigit((unsigned char)p[2]) &&
		   strchr(p, '*')) {
		z = find_zone(r, node, name);
		if (z)
			parse_buddy_tokens(r, z, p + 1);
		ps->buddy_zone = z;
		ps->last = z && !strstr(p, "= ") ? LAST_BUDDY : LAST_NONE;
	} else if (og_startswith(l, "Free swap")) {
		set_num(&r->swap_free_kb, explain_key_kb(l, "= "));
	} else if (og_startswith(l, "Total swap")) {
		set_num(&r->swap_total_kb, explain_key_kb(l, "= "));
	} else if ((p = strstr(l, " pages RAM")) && isdigit((unsigned char)l[0])) {
		int64_t v;

		if (explain_parse_num(l, &v, NULL))
			r->ram_kb = v;
	} else if (l[0] == '[' && isdigit((unsigned char)*skip_sp(l + 1)) && strchr(l, ']')) {
		r->ntasks++;
	} else if (og_startswith(l, "Task in ") && (p = strstr(l, " killed as a result of limit of "))) {
		r->has_memcg = true;
		r->kind = EXPLAIN_KIND_MEMCG;
		copy_span(r->memcg.task_path, sizeof(r->memcg.task_path), l + 8, (size_t)(p - l - 8));
		og_strscpy(r->memcg.path, p + 32, sizeof(r->memcg.path));
	} else if (og_startswith(l, "memory: usage ")) {
		parse_memcg_usage(r, l, false);
	} else if (og_startswith(l, "memory+swap: usage ") || og_startswith(l, "swap: usage ")) {
		parse_memcg_usage(r, l, true);
	} else if (og_startswith(l, "kmem: usage ")) {
		set_num(&r->memcg.kernel_kb, explain_key_kb(l, "usage "));
	} else if (og_startswith(l, "Memory cgroup stats for ")) {
		const char *path = l + 24, *colon = strchr(path, ':');

		if (colon && !r->memcg.path[0])
			copy_span(r->memcg.path, sizeof(r->memcg.path), path, (size_t)(colon - path));
		r->has_memcg = true;
		if (colon)
			parse_memcg_stats(r, colon + 1);
		ps->last = LAST_MEMCG_STATS;
	} else if (og_startswith(l, "Unreclaimable slab info:")) {
		ps->last = LAST_SLABINFO;
	} else if ((p = strstr(l, "Killed process "))) {
		struct explain_task chosen = r->killed;

		if (strstr(l, "Memory cgroup out of memory")) {
			r->kind = EXPLAIN_KIND_MEMCG;
			r->has_memcg = true;
		}
		init_task(&r->killed);
		parse_kill(r, l, p + 15);
		/* the "Kill process ... score" line and the oom-kill: summary named the same task
		 * (2.6.32-4.x may kill a child instead: then they are about another task) */
		if (chosen.pid == r->killed.pid) {
			if (r->killed.uid == EXPLAIN_UNSET)
				r->killed.uid = chosen.uid;
			if (r->killed.score == EXPLAIN_UNSET)
				r->killed.score = chosen.score;
		}
		ps->closed = true;
		ps->last = LAST_KILL;
	} else if ((p = strstr(l, "ill process ")) && (p[-1] == 'K' || p[-1] == 'k')) {
		if (strstr(l, "Memory cgroup out of memory")) {
			r->kind = EXPLAIN_KIND_MEMCG;
			r->has_memcg = true;
		}
		if (strstr(l, "MPOL_BIND"))
			r->constraint = EXPLAIN_CONSTRAINT_MEMORY_POLICY;
		parse_kill(r, l, p + 12);
		ps->last = LAST_NONE;
	} else if (ps->last == LAST_MEMCG_STATS && islower((unsigned char)l[0]) &&
		   strchr(l, ' ')) {
		parse_memcg_stats(r, l);
	} else if (ps->last == LAST_SLABINFO && strstr(l, "KB")) {
		parse_slab_row(r, l);
	} else if (looks_like_continuation(l)) {
		continuation(ps, l);
		return;
	} else {
		if (ps->last != LAST_MEMCG_STATS && ps->last != LAST_SLABINFO)
			ps->last = LAST_NONE;
		return;
	}
	r->last_line = ps->lineno;
}

static int parse_line(struct parser *ps, const char *raw, size_t len)
{
	char line[EXPLAIN_LINE_MAX];
	const char *l;
	int r;

	explain_strip_line(raw, len, line, sizeof(line), ps->ts, sizeof(ps->ts));
	l = skip_sp(line);
	if (!*l)
		return 0;
	if (is_elision(l)) {
		ps->last = LAST_NONE;
		return 0;
	}
	if (og_startswith(l, "oom_reaper: reaped process")) {
		attach_reaper(ps, l);
		return 0;
	}
	r = boundary(ps, l);
	if (r != 0)
		return r < 0 ? r : 0;
	if (!ps->cur || ps->closed) {
		/* after the kill line only its wrapped tail belongs to the report */
		if (ps->cur && ps->last == LAST_KILL && looks_like_continuation(l)) {
			continuation(ps, l);
			return 0;
		}
		if (!starts_implicit(l))
			return 0;
		if ((r = start_report(ps, strstr(l, "Memory cgroup") || og_startswith(l, "Task in ")
						  ? EXPLAIN_KIND_MEMCG
						  : EXPLAIN_KIND_GLOBAL)) < 0)
			return r;
	}
	parse_report_line(ps, l);
	return 0;
}

int explain_parse(const char *text, size_t len, struct explain_result *ret)
{
	struct parser ps = { 0 };
	const char *s = text, *e = text + len;
	int r = 0;

	while (s < e && r >= 0) {
		const char *nl = memchr(s, '\n', (size_t)(e - s));
		const char *le = nl ? nl : e;

		ps.lineno++;
		r = parse_line(&ps, s, (size_t)(le - s));
		s = nl ? nl + 1 : e;
	}
	if (r < 0) {
		free(ps.reports);
		return r;
	}
	finish_report(&ps);
	ret->nreports = ps.n;
	ret->reports = ps.reports;
	return (int)(ps.n > INT32_MAX ? INT32_MAX : ps.n);
}

void explain_result_free(struct explain_result *res)
{
	free(res->reports);
	res->reports = NULL;
	res->nreports = 0;
}
