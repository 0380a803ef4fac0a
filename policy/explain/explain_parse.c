/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Finding the reports in kernel log text: where one starts and ends, and which record each line
 * is (explain_fields.c reads the records). The printk formats read here
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
	bool implicit;			/* it began at "Mem-Info:", without its first lines */
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
	if (ps->implicit && !r->has_killed && !r->has_memcg) {
		/* a Mem-Info dump without any OOM line (SysRq-m, show_mem): not a report */
		ps->n--;
		ps->cur = NULL;
		ps->implicit = ps->closed = ps->meminfo_pages = false;
		ps->last = LAST_NONE;
		ps->last_zone = ps->buddy_zone = NULL;
		return;
	}
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
	ps->closed = ps->implicit = false;
	ps->last = LAST_NONE;
	ps->last_zone = ps->buddy_zone = NULL;
	ps->meminfo_pages = false;
}

/* "1447.916805" (dmesg, /dev/kmsg, journalctl -o short-monotonic) in usec; else EXPLAIN_UNSET */
static int64_t monotonic_usec(const char *ts)
{
	int64_t sec, frac = 0;
	const char *p;
	int digits = 0;

	if (!explain_parse_num(ts, &sec, &p) || sec < 0 || *p != '.')
		return EXPLAIN_UNSET;
	for (p++; isdigit((unsigned char)*p) && digits < 6; p++, digits++)
		frac = frac * 10 + (*p - '0');
	if (*p && !isdigit((unsigned char)*p))
		return EXPLAIN_UNSET;
	for (; digits < 6; digits++)
		frac *= 10;
	return sec * 1000000 + frac;
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
	ps->cur->monotonic_usec = monotonic_usec(ps->ts);
	return 0;
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
		explain_read_trigger(r, l);
		break;
	case LAST_MEMINFO:
		explain_read_meminfo_tokens(r, l);
		break;
	case LAST_ZONE:
		if (ps->last_zone)
			explain_read_zone_tokens(ps->last_zone, l);
		break;
	case LAST_BUDDY:
		if (ps->buddy_zone)
			explain_read_buddy_tokens(r, ps->buddy_zone, l);
		break;
	case LAST_KILL:
		explain_read_kill_tokens(r, l);
		break;
	case LAST_OOMKILL:
		explain_read_oomkill(r, l);
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
		explain_read_trigger(ps->cur, p);
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
		explain_read_trigger(ps->cur, p);
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
		copy_span(ps->cur->oops, sizeof(ps->cur->oops), l, strlen(l));
		finish_report(ps);
		return 1;
	}
	return 0;
}

/*
 * A line of a report whose first lines were not pasted. Drivers also log "Out of memory", so
 * only the OOM killer's own kill lines count, and a report begun by "Mem-Info:" (SysRq-m
 * prints one too) is kept only if a kill line or memory cgroup line follows.
 */
static bool starts_implicit(const char *l)
{
	return og_startswith(l, "Mem-Info:") || og_startswith(l, "Out of memory: K") ||
	       og_startswith(l, "Out of memory: k") ||
	       og_startswith(l, "Out of memory (oom_kill_allocating_task)") ||
	       og_startswith(l, "Memory cgroup out of memory: K") ||
	       og_startswith(l, "Killed process ") ||
	       (og_startswith(l, "Task in ") && strstr(l, "killed as a result of limit")) ||
	       og_startswith(l, "oom-kill:");
}

/* Mem-Info, zones, buddy lists, swap, RAM and task list lines; false if l is none of them. */
static bool mem_record(struct parser *ps, const char *l)
{
	struct explain_report *r = ps->cur;
	const char *p;
	struct explain_zone *z;
	char name[16];
	int node;

	if (og_startswith(l, "Mem-Info:")) {
		ps->last = LAST_NONE;
	} else if ((og_startswith(l, "active_anon:") || og_startswith(l, "active_file:") ||
		    og_startswith(l, "unevictable:") || og_startswith(l, "free:") ||
		    og_startswith(l, "slab_reclaimable:") || og_startswith(l, "mapped:")) &&
		   !strstr(l, "kB")) {
		explain_read_meminfo_tokens(r, l);
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
	} else if ((p = explain_zone_prefix(l, &node, name, sizeof(name))) && og_startswith(p, " free:") &&
		   strstr(p, "min:")) {
		z = explain_find_zone(r, node, name);
		if (z)
			explain_read_zone_tokens(z, p);
		ps->last_zone = z;
		ps->last = z ? LAST_ZONE : LAST_NONE;
	} else if (p && p[0] == ':' && p[1] == ' ' && isdigit((unsigned char)p[2]) &&
		   strchr(p, '*')) {
		z = explain_find_zone(r, node, name);
		if (z)
			explain_read_buddy_tokens(r, z, p + 1);
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
	} else {
		return false;
	}
	return true;
}

/* Memory cgroup and kill lines; false if l is none of them. */
static bool oom_record(struct parser *ps, const char *l)
{
	struct explain_report *r = ps->cur;
	const char *p;

	if (og_startswith(l, "Task in ") && (p = strstr(l, " killed as a result of limit of "))) {
		r->has_memcg = true;
		r->kind = EXPLAIN_KIND_MEMCG;
		copy_span(r->memcg.task_path, sizeof(r->memcg.task_path), l + 8, (size_t)(p - l - 8));
		og_strscpy(r->memcg.path, p + 32, sizeof(r->memcg.path));
	} else if (og_startswith(l, "memory: usage ")) {
		explain_read_memcg_usage(r, l, false);
	} else if (og_startswith(l, "memory+swap: usage ") || og_startswith(l, "swap: usage ")) {
		explain_read_memcg_usage(r, l, true);
		r->memcg.swap_is_memsw = og_startswith(l, "memory+swap:");
	} else if (og_startswith(l, "kmem: usage ")) {
		set_num(&r->memcg.kernel_kb, explain_key_kb(l, "usage "));
	} else if (og_startswith(l, "Memory cgroup stats for ")) {
		const char *path = l + 24, *colon = strchr(path, ':');

		if (colon && !r->memcg.path[0])
			copy_span(r->memcg.path, sizeof(r->memcg.path), path, (size_t)(colon - path));
		r->has_memcg = true;
		if (colon)
			explain_read_memcg_stats(r, colon + 1);
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
		explain_read_kill(r, l, p + 15);
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
	} else if ((p = strstr(l, "ill process ")) && p > l && (p[-1] == 'K' || p[-1] == 'k')) {
		if (strstr(l, "Memory cgroup out of memory")) {
			r->kind = EXPLAIN_KIND_MEMCG;
			r->has_memcg = true;
		}
		if (strstr(l, "MPOL_BIND"))
			r->constraint = EXPLAIN_CONSTRAINT_MEMORY_POLICY;
		explain_read_kill(r, l, p + 12);
		ps->last = LAST_NONE;
	} else {
		return false;
	}
	return true;
}

static void parse_report_line(struct parser *ps, const char *l)
{
	struct explain_report *r = ps->cur;

	if ((og_startswith(l, "CPU: ") && strstr(l, "PID: ")) ||
	    (og_startswith(l, "Pid: ") && strstr(l, ", comm: "))) {
		if (!r->kernel[0])
			explain_read_cpu_line(r, l);
		ps->last = LAST_NONE;
	} else if (strstr(l, " cpuset=") && strstr(l, "mems_allowed=") &&
		   !og_startswith(l, "oom-kill:")) {
		explain_read_nodes(r, l);
		ps->last = LAST_NONE;
	} else if (og_startswith(l, "oom-kill:")) {
		explain_read_oomkill(r, l);
		ps->last = LAST_OOMKILL;
	} else if (mem_record(ps, l) || oom_record(ps, l)) {
		/* done */
	} else if (ps->last == LAST_MEMCG_STATS && islower((unsigned char)l[0]) &&
		   strchr(l, ' ')) {
		explain_read_memcg_stats(r, l);
	} else if (ps->last == LAST_SLABINFO && strstr(l, "KB")) {
		explain_read_slab_row(r, l);
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
		ps->implicit = og_startswith(l, "Mem-Info:");
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
