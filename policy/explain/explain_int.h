/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internals shared by the files of policy/explain/ (not part of the API). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <string.h>

#include "policy/explain/explain.h"

#define EXPLAIN_LINE_MAX 2048 /* printk lines are at most 1024 bytes (LOG_LINE_MAX) */

/*
 * One input line without what users and loggers put around the kernel's text: "> " mail
 * quotes, "<4>" levels, syslog/journal "Mon DD hh:mm:ss host kernel: ", dmesg "[  12.345678]",
 * dmesg -T "[Wed Jun 15 06:37:51 2022]", printk caller ids "[T123]". Writes the message into
 * out (NUL-terminated, cut at size) and the first timestamp seen into ts ("" if none).
 * Returns the message length.
 */
size_t explain_strip_line(const char *line, size_t len, char *out, size_t size, char *ts,
			  size_t ts_size);

/* Find "key" (e.g. "min:" or "order=") at a token start in s; the value follows. NULL if absent. */
const char *explain_find_key(const char *s, const char *key);

/*
 * The decimal number (optionally negative, or 0x hex) at s; *ret_end after it.
 * false if none or out of range.
 */
bool explain_parse_num(const char *s, int64_t *ret, const char **ret_end);

/* The number after key, in kB: "123kB", "123KB", "123k" or "123" (kB assumed). */
int64_t explain_key_kb(const char *s, const char *key);

/* The number after key, unit-less. EXPLAIN_UNSET if absent. */
int64_t explain_key_num(const char *s, const char *key);

/* Copy the word after key (up to a space, ',' or the end) into dst; false if key absent. */
bool explain_key_word(const char *s, const char *key, char *dst, size_t size);

/* Decode gfp_mask for the kernel version ("" unknown) into "A|B|C"; false if no table fits. */
bool explain_gfp_decode(uint64_t mask, const char *kernel, char *dst, size_t size);

/* Zone-modifier bits of the mask for the version: the highest zone allowed, or "" if unknown. */
void explain_gfp_classzone(const struct explain_report *r, char *dst, size_t size);

/* Fill the diagnosis: zone verdicts, causes and summary. */
void explain_diagnose(struct explain_report *r);

/* "3.10.0-1160.el7" -> 310; 0 if unknown. */
int explain_kernel_version(const char *kernel);

/* ---------------------------------------------------------- records (explain_fields.c) */
/* Each adds what line l says to the report; keys absent from l leave the fields as they are. */

/* "gfp_mask=0x..(NAMES)" or "mode:0x..(NAMES)" */
void explain_read_gfp(struct explain_report *r, const char *l);
/* nodemask=, cpuset=, mems_allowed= */
void explain_read_nodes(struct explain_report *r, const char *l);
/* the "invoked oom-killer:" / "page allocation failure" line after the comm */
void explain_read_trigger(struct explain_report *r, const char *l);
/* "CPU: N PID: N Comm: C ... VERSION" or 2.6.32's "Pid: N, comm: C ... VERSION" */
void explain_read_cpu_line(struct explain_report *r, const char *l);
/* "Node N ZONE" or "ZONE" at the start of l: what follows it, or NULL */
const char *explain_zone_prefix(const char *l, int *ret_node, char *name, size_t size);
/* The report's zone (created if new); NULL when EXPLAIN_ZONES_MAX are taken (counted). */
struct explain_zone *explain_find_zone(struct explain_report *r, int node, const char *name);
/* free: min: low: high: present: managed: free_cma: reserved_highatomic: */
void explain_read_zone_tokens(struct explain_zone *z, const char *l);
/* "N*SIZEkB" entries and the "= TOTALkB"; the first list sets the page size */
void explain_read_buddy_tokens(struct explain_report *r, struct explain_zone *z, const char *l);
/* Mem-Info counters (pages; converted when the report ends) */
void explain_read_meminfo_tokens(struct explain_report *r, const char *l);
/* a kill line; after points past "Kill process " or "Killed process " */
void explain_read_kill(struct explain_report *r, const char *l, const char *after);
/* the wrapped tail of a kill line */
void explain_read_kill_tokens(struct explain_report *r, const char *l);
/* 4.19+ "oom-kill:constraint=...,task=...,pid=...,uid=..." */
void explain_read_oomkill(struct explain_report *r, const char *l);
/* "memory: usage NkB, limit NkB, failcnt N" (swap: "memory+swap:" or "swap:") */
void explain_read_memcg_usage(struct explain_report *r, const char *l, bool swap);
/* "Memory cgroup stats for": v1 inline "rss:NKB" or one "key bytes" per line */
void explain_read_memcg_stats(struct explain_report *r, const char *l);
/* a row of "Unreclaimable slab info": "name usedKB totalKB" */
void explain_read_slab_row(struct explain_report *r, const char *l);

/* ---------------------------------------------------------- small helpers */

static inline void copy_span(char *dst, size_t size, const char *s, size_t n)
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

static inline void set_num(int64_t *dst, int64_t v)
{
	if (v != EXPLAIN_UNSET)
		*dst = v;
}

static inline const char *skip_sp(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

