/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The records of a report, each read by its keys ("min:", "order=", "anon-rss:"), never by
 * column, because the printk formats changed between 2.6.32 and 6.x: the trigger line, the
 * CPU/Pid line, zones and buddy lists (mm/page_alloc.c show_free_areas), Mem-Info counters,
 * the kill lines and the oom-kill: summary (mm/oom_kill.c), the memory cgroup lines
 * (mm/memcontrol.c). Each function adds what its line says to the report and leaves the rest.
 * Pure.
 */
#include <ctype.h>
#include <stddef.h>
#include <string.h>

#include "policy/explain/explain_int.h"
#include "policy/util/strutil.h"

/* "gfp_mask=0x26000c0(GFP_KERNEL|__GFP_NOTRACK)" or "mode:0x..." */
void explain_read_gfp(struct explain_report *r, const char *l)
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

void explain_read_nodes(struct explain_report *r, const char *l)
{
	explain_key_word(l, "nodemask=", r->nodemask, sizeof(r->nodemask));
	explain_key_word(l, "cpuset=", r->cpuset, sizeof(r->cpuset));
	explain_key_word(l, "mems_allowed=", r->mems_allowed, sizeof(r->mems_allowed));
}

void explain_read_trigger(struct explain_report *r, const char *l)
{
	explain_read_gfp(r, l);
	set_num(&r->order, explain_key_num(l, "order="));
	set_num(&r->order, explain_key_num(l, "order:"));
	/* 2.6.32 prints oom_adj (-17..15); oom_score_adj from 2.6.36 wins where both are */
	if (r->trigger.oom_score_adj == EXPLAIN_UNSET)
		set_num(&r->trigger.oom_score_adj, explain_key_num(l, "oom_adj="));
	set_num(&r->trigger.oom_score_adj, explain_key_num(l, "oom_score_adj="));
	explain_read_nodes(r, l);
}

/* "CPU: 9 PID: 24121 Comm: python Tainted: G I --- 3.10.0-1160.2.2.el7.x86_64 #1" and
 * 2.6.32's "Pid: 2517, comm: java Not tainted 2.6.32-431.el6.x86_64 #1" */
void explain_read_cpu_line(struct explain_report *r, const char *l)
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

/* "Node 0 DMA32 " or "DMA32 " at the start: the node (-1 if not printed), the zone name and
 * what follows. NULL if l does not start so. */
const char *explain_zone_prefix(const char *l, int *ret_node, char *name, size_t size)
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

struct explain_zone *explain_find_zone(struct explain_report *r, int node, const char *name)
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

void explain_read_zone_tokens(struct explain_zone *z, const char *l)
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
void explain_read_buddy_tokens(struct explain_report *r, struct explain_zone *z, const char *l)
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

void explain_read_meminfo_tokens(struct explain_report *r, const char *l)
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
void explain_read_kill(struct explain_report *r, const char *l, const char *after)
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

void explain_read_kill_tokens(struct explain_report *r, const char *l)
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
void explain_read_oomkill(struct explain_report *r, const char *l)
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
	explain_read_nodes(r, l);
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
void explain_read_memcg_usage(struct explain_report *r, const char *l, bool swap)
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
void explain_read_memcg_stats(struct explain_report *r, const char *l)
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
void explain_read_slab_row(struct explain_report *r, const char *l)
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

