/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The --json form, format 1 (see explain_json.h and oomguardianctl(8)). Pure. */
#include <stdio.h>
#include <string.h>

#include "policy/explain/explain_json.h"

static struct json_object *num(int64_t v)
{
	return v == EXPLAIN_UNSET ? NULL : json_object_new_int64(v);
}

static struct json_object *str(const char *s)
{
	return s[0] ? json_object_new_string(s) : NULL;
}

/* nodemask "(null)" means "no nodemask": null */
static struct json_object *nodes(const char *s)
{
	return s[0] && strcmp(s, "(null)") ? json_object_new_string(s) : NULL;
}

static void put(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

static struct json_object *task_json(const struct explain_task *t, bool full)
{
	struct json_object *o = json_object_new_object();

	put(o, "pid", num(t->pid));
	put(o, "comm", str(t->comm));
	if (full) {
		put(o, "uid", num(t->uid));
		put(o, "score", num(t->score));
		put(o, "anon_rss_kb", num(t->anon_rss_kb));
		put(o, "file_rss_kb", num(t->file_rss_kb));
		put(o, "shmem_rss_kb", num(t->shmem_rss_kb));
		put(o, "total_vm_kb", num(t->total_vm_kb));
		put(o, "pgtables_kb", num(t->pgtables_kb));
	}
	put(o, "oom_score_adj", num(t->oom_score_adj));
	return o;
}

static struct json_object *flags_json(const char *flags)
{
	struct json_object *a = json_object_new_array();
	const char *s = flags;

	while (*s) {
		const char *bar = strchr(s, '|');
		size_t n = bar ? (size_t)(bar - s) : strlen(s);

		if (n)
			json_object_array_add(a, json_object_new_string_len(s, (int)n));
		s += n + (bar ? 1 : 0);
	}
	return a;
}

static struct json_object *zone_json(const struct explain_zone *z)
{
	struct json_object *o = json_object_new_object(), *res = json_object_new_array();
	struct json_object *blocks = json_object_new_array();

	put(o, "node", z->node >= 0 ? json_object_new_int(z->node) : NULL);
	put(o, "zone", json_object_new_string(z->name));
	put(o, "free_kb", num(z->free_kb));
	put(o, "min_kb", num(z->min_kb));
	put(o, "low_kb", num(z->low_kb));
	put(o, "high_kb", num(z->high_kb));
	put(o, "managed_kb", num(z->managed_kb));
	for (int i = 0; i < z->nreserve; i++)
		json_object_array_add(res, json_object_new_int64(z->lowmem_reserve_pages[i]));
	put(o, "lowmem_reserve_pages", z->nreserve ? res : NULL);
	if (!z->nreserve)
		json_object_put(res);
	for (int i = 0; i < z->norders; i++)
		json_object_array_add(blocks, json_object_new_int64(z->free_blocks[i]));
	put(o, "free_blocks", z->norders ? blocks : NULL);
	if (!z->norders)
		json_object_put(blocks);
	put(o, "largest_free_block_kb", num(z->largest_free_block_kb));
	put(o, "free_blocks_at_order", num(z->blocks_at_order));
	put(o, "need_kb", num(z->need_kb));
	put(o, "verdict", json_object_new_string(explain_zone_verdict_name(z->verdict)));
	return o;
}

struct json_object *explain_report_json(const struct explain_report *r)
{
	struct json_object *o = json_object_new_object(), *a;
	const char *cn = explain_constraint_name(r->constraint);

	if (!o)
		return NULL;
	put(o, "kind", json_object_new_string(explain_kind_name(r->kind)));
	put(o, "constraint", cn ? json_object_new_string(cn) : NULL);
	put(o, "kernel", str(r->kernel));
	put(o, "time", str(r->time));
	put(o, "monotonic_usec", num(r->monotonic_usec));
	put(o, "first_line", json_object_new_int64(r->first_line));
	put(o, "last_line", json_object_new_int64(r->last_line));
	put(o, "trigger", task_json(&r->trigger, false));
	put(o, "gfp_mask", NULL);
	if (r->gfp_mask != EXPLAIN_UNSET) {
		char hex[24];

		snprintf(hex, sizeof(hex), "%#llx", (unsigned long long)r->gfp_mask);
		put(o, "gfp_mask", json_object_new_string(hex));
	}
	put(o, "gfp_flags", r->gfp_flags[0] ? flags_json(r->gfp_flags) : NULL);
	put(o, "gfp_flags_printed", json_object_new_boolean(r->gfp_flags_printed));
	put(o, "order", num(r->order));
	put(o, "request_bytes", num(r->request_bytes));
	put(o, "nodemask", nodes(r->nodemask));
	put(o, "cpuset", str(r->cpuset));
	put(o, "mems_allowed", nodes(r->mems_allowed));
	if (r->has_memcg) {
		struct json_object *m = json_object_new_object();

		put(m, "path", str(r->memcg.path));
		put(m, "task_path", str(r->memcg.task_path));
		put(m, "usage_kb", num(r->memcg.usage_kb));
		put(m, "limit_kb", num(r->memcg.limit_kb));
		put(m, "failcnt", num(r->memcg.failcnt));
		put(m, "swap_usage_kb", num(r->memcg.swap_usage_kb));
		put(m, "swap_limit_kb", num(r->memcg.swap_limit_kb));
		put(m, "anon_kb", num(r->memcg.anon_kb));
		put(m, "file_kb", num(r->memcg.file_kb));
		put(m, "shmem_kb", num(r->memcg.shmem_kb));
		put(m, "kernel_kb", num(r->memcg.kernel_kb));
		put(o, "memcg", m);
	} else {
		put(o, "memcg", NULL);
	}
	put(o, "killed", r->has_killed ? task_json(&r->killed, true) : NULL);
	put(o, "reaper", r->has_reaper ? task_json(&r->reaped, true) : NULL);
	put(o, "page_size", num(r->page_size));
	a = json_object_new_array();
	for (size_t i = 0; i < r->nzones; i++)
		json_object_array_add(a, zone_json(&r->zones[i]));
	put(o, "zones", a);
	if (r->swap_total_kb != EXPLAIN_UNSET || r->swap_free_kb != EXPLAIN_UNSET) {
		struct json_object *s = json_object_new_object();

		put(s, "total_kb", num(r->swap_total_kb));
		put(s, "free_kb", num(r->swap_free_kb));
		put(o, "swap", s);
	} else {
		put(o, "swap", NULL);
	}
	{
		struct json_object *m = json_object_new_object(), *sl = json_object_new_array();

		put(m, "ram_kb", num(r->ram_kb));
		put(m, "free_kb", num(r->free_kb));
		put(m, "active_anon_kb", num(r->active_anon_kb));
		put(m, "inactive_anon_kb", num(r->inactive_anon_kb));
		put(m, "active_file_kb", num(r->active_file_kb));
		put(m, "inactive_file_kb", num(r->inactive_file_kb));
		put(m, "unevictable_kb", num(r->unevictable_kb));
		put(m, "shmem_kb", num(r->shmem_kb));
		put(m, "slab_reclaimable_kb", num(r->slab_reclaimable_kb));
		put(m, "slab_unreclaimable_kb", num(r->slab_unreclaimable_kb));
		put(m, "pagetables_kb", num(r->pagetables_kb));
		for (size_t i = 0; i < r->nslabs; i++) {
			struct json_object *e = json_object_new_object();

			put(e, "name", json_object_new_string(r->slabs[i].name));
			put(e, "total_kb", json_object_new_int64(r->slabs[i].total_kb));
			json_object_array_add(sl, e);
		}
		put(m, "unreclaimable_slabs", sl);
		put(o, "memory", m);
	}
	put(o, "tasks_listed", json_object_new_int64(r->ntasks));
	put(o, "truncated", json_object_new_boolean(r->truncated));
	put(o, "panic", str(r->panic));
	put(o, "oops", str(r->oops));
	put(o, "classzone", str(r->classzone));
	a = json_object_new_array();
	for (size_t i = 0; i < r->ncauses; i++)
		json_object_array_add(a, json_object_new_string(explain_cause_name(r->causes[i])));
	put(o, "causes", a);
	put(o, "summary", json_object_new_string(r->summary));
	return o;
}

struct json_object *explain_result_json(const struct explain_result *res)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();

	if (!o || !a) {
		json_object_put(o);
		json_object_put(a);
		return NULL;
	}
	put(o, "format", json_object_new_int(EXPLAIN_FORMAT));
	for (size_t i = 0; i < res->nreports; i++)
		json_object_array_add(a, explain_report_json(&res->reports[i]));
	put(o, "reports", a);
	return o;
}
