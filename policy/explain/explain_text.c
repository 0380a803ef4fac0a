/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The human-readable explanation and the names of the JSON form. Pure (memory streams only). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/explain/explain_int.h"

const char *explain_kind_name(enum explain_kind k)
{
	switch (k) {
	case EXPLAIN_KIND_MEMCG:
		return "memcg";
	case EXPLAIN_KIND_ALLOC_FAILURE:
		return "allocation_failure";
	default:
		return "global";
	}
}

const char *explain_constraint_name(enum explain_constraint c)
{
	switch (c) {
	case EXPLAIN_CONSTRAINT_NONE:
		return "none";
	case EXPLAIN_CONSTRAINT_MEMCG:
		return "memcg";
	case EXPLAIN_CONSTRAINT_CPUSET:
		return "cpuset";
	case EXPLAIN_CONSTRAINT_MEMORY_POLICY:
		return "memory_policy";
	default:
		return NULL;
	}
}

const char *explain_cause_name(enum explain_cause c)
{
	static const char *const names[] = { "anon",	     "swap_exhausted", "fragmentation",
					     "memcg_limit",  "kernel_memory",  "shmem",
					     "node_constraint", "page_cache" };

	return (unsigned)c < sizeof(names) / sizeof(names[0]) ? names[c] : "unknown";
}

const char *explain_zone_verdict_name(enum explain_zone_verdict v)
{
	static const char *const names[] = { "unchecked",	   "ok",
					     "below_watermark",	   "no_free_block",
					     "node_not_allowed",   "above_request" };

	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "unknown";
}

static const char *kind_words(enum explain_kind k)
{
	switch (k) {
	case EXPLAIN_KIND_MEMCG:
		return "memory cgroup OOM";
	case EXPLAIN_KIND_ALLOC_FAILURE:
		return "page allocation failure";
	default:
		return "global OOM";
	}
}

static void kb(FILE *f, int64_t v)
{
	if (v == EXPLAIN_UNSET)
		fputs("?", f);
	else
		fprintf(f, "%lld kB", (long long)v);
}

/* The summary wrapped at 96 columns with a hanging indent. */
static void wrapped(FILE *f, const char *indent, const char *s)
{
	size_t col = 0, ilen = strlen(indent);

	fputs(indent, f);
	col = ilen;
	while (*s) {
		const char *sp = strchr(s, ' ');
		size_t w = sp ? (size_t)(sp - s) : strlen(s);

		if (col > ilen && col + 1 + w > 96) {
			fprintf(f, "\n%*s", (int)ilen, "");
			col = ilen;
		} else if (col > ilen) {
			fputc(' ', f);
			col++;
		}
		fwrite(s, 1, w, f);
		col += w;
		s += w;
		while (*s == ' ')
			s++;
	}
	fputc('\n', f);
}

static void task_line(FILE *f, const char *label, const struct explain_task *t)
{
	fprintf(f, "  %-10s%s", label, t->comm[0] ? t->comm : "?");
	if (t->pid != EXPLAIN_UNSET)
		fprintf(f, " (pid %lld)", (long long)t->pid);
	if (t->uid != EXPLAIN_UNSET)
		fprintf(f, " uid %lld", (long long)t->uid);
	if (t->oom_score_adj != EXPLAIN_UNSET)
		fprintf(f, " oom_score_adj %lld", (long long)t->oom_score_adj);
	if (t->score != EXPLAIN_UNSET)
		fprintf(f, " score %lld", (long long)t->score);
	if (t->anon_rss_kb != EXPLAIN_UNSET) {
		fputs(" anon ", f);
		kb(f, t->anon_rss_kb);
		fputs(" file ", f);
		kb(f, t->file_rss_kb);
		fputs(" shmem ", f);
		kb(f, t->shmem_rss_kb);
	}
	if (t->total_vm_kb != EXPLAIN_UNSET) {
		fputs(" vm ", f);
		kb(f, t->total_vm_kb);
	}
	fputc('\n', f);
}

static void zones_table(FILE *f, const struct explain_report *r)
{
	fprintf(f, "  zones     (the request may use %s and below; checked against min + "
		   "lowmem_reserve, order %lld)\n",
		r->classzone[0] ? r->classzone : "?", (long long)(r->order == EXPLAIN_UNSET ? 0 : r->order));
	fprintf(f, "    %-14s %10s %8s %8s %8s %10s %10s %8s  %s\n", "zone", "free", "min", "low",
		"high", "need", "largest", ">=order", "verdict");
	for (size_t i = 0; i < r->nzones; i++) {
		const struct explain_zone *z = &r->zones[i];
		char name[40], cols[6][24];
		const int64_t v[6] = { z->free_kb, z->min_kb, z->low_kb, z->high_kb, z->need_kb,
				       z->largest_free_block_kb };

		if (z->node >= 0)
			snprintf(name, sizeof(name), "node %d %s", z->node, z->name);
		else
			snprintf(name, sizeof(name), "%s", z->name);
		for (int c = 0; c < 6; c++) {
			if (v[c] == EXPLAIN_UNSET)
				snprintf(cols[c], sizeof(cols[c]), "-");
			else
				snprintf(cols[c], sizeof(cols[c]), "%lldk", (long long)v[c]);
		}
		fprintf(f, "    %-14s %10s %8s %8s %8s %10s %10s ", name, cols[0], cols[1], cols[2],
			cols[3], cols[4], cols[5]);
		if (z->blocks_at_order == EXPLAIN_UNSET)
			fprintf(f, "%8s", "-");
		else
			fprintf(f, "%8lld", (long long)z->blocks_at_order);
		fprintf(f, "  %s\n", explain_zone_verdict_name(z->verdict));
	}
	if (r->zones_dropped)
		fprintf(f, "    (%zu more zones not shown)\n", r->zones_dropped);
}

static void report_text(FILE *f, const struct explain_report *r, size_t index)
{
	const char *cn = explain_constraint_name(r->constraint);

	fprintf(f, "Report %zu (lines %u-%u): %s", index, r->first_line, r->last_line,
		kind_words(r->kind));
	if (r->kernel[0])
		fprintf(f, ", kernel %s", r->kernel);
	if (r->time[0])
		fprintf(f, ", at %s", r->time);
	fputc('\n', f);
	task_line(f, "trigger", &r->trigger);
	fprintf(f, "  %-10s", "request");
	if (r->order != EXPLAIN_UNSET)
		fprintf(f, "order %lld (%lld bytes)", (long long)r->order, (long long)r->request_bytes);
	else
		fputs("order ?", f);
	if (r->gfp_mask != EXPLAIN_UNSET)
		fprintf(f, ", gfp_mask %#llx", (unsigned long long)r->gfp_mask);
	if (r->gfp_flags[0])
		fprintf(f, " = %s%s", r->gfp_flags, r->gfp_flags_printed ? "" : " (decoded)");
	fputc('\n', f);
	fprintf(f, "  %-10sconstraint %s, nodemask %s, cpuset %s, mems_allowed %s\n", "placement",
		cn ? cn : "?", r->nodemask[0] ? r->nodemask : "?", r->cpuset[0] ? r->cpuset : "?",
		r->mems_allowed[0] ? r->mems_allowed : "?");
	if (r->has_memcg) {
		fprintf(f, "  %-10s%s usage ", "memcg", r->memcg.path[0] ? r->memcg.path : "?");
		kb(f, r->memcg.usage_kb);
		fputs(" limit ", f);
		kb(f, r->memcg.limit_kb);
		if (r->memcg.failcnt != EXPLAIN_UNSET)
			fprintf(f, " failcnt %lld", (long long)r->memcg.failcnt);
		fputc('\n', f);
	}
	if (r->has_killed)
		task_line(f, "killed", &r->killed);
	if (r->has_reaper)
		task_line(f, "reaped", &r->reaped);
	if (r->active_anon_kb != EXPLAIN_UNSET || r->slab_unreclaimable_kb != EXPLAIN_UNSET) {
		fprintf(f, "  %-10sanon ", "memory");
		kb(f, r->active_anon_kb == EXPLAIN_UNSET
			      ? EXPLAIN_UNSET
			      : r->active_anon_kb + (r->inactive_anon_kb == EXPLAIN_UNSET ? 0
											 : r->inactive_anon_kb));
		fputs(", file ", f);
		kb(f, r->active_file_kb == EXPLAIN_UNSET
			      ? EXPLAIN_UNSET
			      : r->active_file_kb + (r->inactive_file_kb == EXPLAIN_UNSET ? 0
											 : r->inactive_file_kb));
		fputs(", shmem ", f);
		kb(f, r->shmem_kb);
		fputs(", slab ", f);
		kb(f, r->slab_reclaimable_kb);
		fputs(" reclaimable + ", f);
		kb(f, r->slab_unreclaimable_kb);
		fputs(" unreclaimable, free ", f);
		kb(f, r->free_kb);
		if (r->ram_kb != EXPLAIN_UNSET) {
			fputs(", RAM ", f);
			kb(f, r->ram_kb);
		}
		fputc('\n', f);
	}
	if (r->swap_total_kb != EXPLAIN_UNSET) {
		fprintf(f, "  %-10s", "swap");
		kb(f, r->swap_free_kb);
		fputs(" free of ", f);
		kb(f, r->swap_total_kb);
		fputc('\n', f);
	}
	if (r->nzones)
		zones_table(f, r);
	fprintf(f, "  %-10s", "causes");
	for (size_t i = 0; i < r->ncauses; i++)
		fprintf(f, "%s%s", i ? ", " : "", explain_cause_name(r->causes[i]));
	fputs(r->ncauses ? "\n" : "none found\n", f);
	if (r->truncated)
		fprintf(f, "  %-10sthe report is incomplete (no kill line)\n", "note");
	wrapped(f, "  ", r->summary);
}

/* open_memstream() sets *buf only at fflush/fclose, so take it after */
static int stream_done(FILE *f, char **buf, char **ret_text)
{
	if (fclose(f) != 0) {
		free(*buf);
		return -ENOMEM;
	}
	*ret_text = *buf;
	return 0;
}

int explain_format_report_text(const struct explain_report *r, char **ret_text)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return -ENOMEM;
	report_text(f, r, 1);
	return stream_done(f, &buf, ret_text);
}

int explain_format_text(const struct explain_result *res, char **ret_text)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return -ENOMEM;
	if (res->nreports == 0)
		fputs("No kernel OOM report or page allocation failure found.\n", f);
	for (size_t i = 0; i < res->nreports; i++) {
		if (i)
			fputc('\n', f);
		report_text(f, &res->reports[i], i + 1);
	}
	return stream_done(f, &buf, ret_text);
}
