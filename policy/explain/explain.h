/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel OOM reports and page allocation failures, parsed and explained (issue 9,
 * `oomguardianctl explain`). Pure: text in, structs out; no syscalls, clock, globals or
 * logging (malloc only). The JSON form (format 1) is built by policy/explain/explain_json.h.
 *
 * Input is kernel log text as users paste it: dmesg, dmesg -T, journalctl -k, syslog files,
 * /dev/kmsg records (see explain_kmsg_to_text()), `> `-quoted mail, hard-wrapped lines,
 * elided middles, unrelated lines interleaved, several reports in one text. Kernels 2.6.32 to 6.x.
 *
 * Every numeric fact is int64_t and EXPLAIN_UNSET where the report does not say it; every
 * string fact is "" where the report does not say it. kB values are as the report prints them;
 * values printed in pages are converted with the report's page size.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EXPLAIN_FORMAT 1 /* version of the --json document */
#define EXPLAIN_UNSET INT64_MIN
#define EXPLAIN_ORDERS_MAX 16 /* MAX_ORDER is 11 on x86_64, up to 14 elsewhere */
#define EXPLAIN_ZONES_MAX 64 /* further zones are counted in zones_dropped */
#define EXPLAIN_RESERVE_MAX 8 /* lowmem_reserve[] has MAX_NR_ZONES (<= 6) entries */
#define EXPLAIN_CAUSES_MAX 8
#define EXPLAIN_SLABS_MAX 4 /* largest "Unreclaimable slab info" entries kept */
#define EXPLAIN_COMM_MAX 64
#define EXPLAIN_PATH_MAX 256

enum explain_kind {
	EXPLAIN_KIND_GLOBAL,		/* "invoked oom-killer", no memcg */
	EXPLAIN_KIND_MEMCG,		/* memory cgroup limit */
	EXPLAIN_KIND_ALLOC_FAILURE,	/* "page allocation failure" (warn_alloc) */
};

enum explain_constraint {
	EXPLAIN_CONSTRAINT_UNKNOWN,	/* the report does not say (JSON null) */
	EXPLAIN_CONSTRAINT_NONE,
	EXPLAIN_CONSTRAINT_MEMCG,
	EXPLAIN_CONSTRAINT_CPUSET,
	EXPLAIN_CONSTRAINT_MEMORY_POLICY,
};

/* The --json cause vocabulary of issue 9, in this order of names. */
enum explain_cause {
	EXPLAIN_CAUSE_ANON,		/* user memory filled RAM (and swap) */
	EXPLAIN_CAUSE_SWAP_EXHAUSTED,
	EXPLAIN_CAUSE_FRAGMENTATION,	/* free memory exists but no block of the order */
	EXPLAIN_CAUSE_MEMCG_LIMIT,
	EXPLAIN_CAUSE_KERNEL_MEMORY,	/* slab and other kernel allocations */
	EXPLAIN_CAUSE_SHMEM,		/* tmpfs/shm that killing cannot free */
	EXPLAIN_CAUSE_NODE_CONSTRAINT,	/* cpuset or memory policy restricted the nodes */
	EXPLAIN_CAUSE_PAGE_CACHE,
	EXPLAIN_CAUSE_COUNT_
};

/* Why a zone could or could not serve the request (the allocator's watermark check). */
enum explain_zone_verdict {
	EXPLAIN_ZONE_UNCHECKED,		/* the report lacks the zone's watermarks or free count */
	EXPLAIN_ZONE_OK,		/* passes min watermark + lowmem_reserve + order */
	EXPLAIN_ZONE_BELOW_WATERMARK,	/* free <= min + lowmem_reserve[classzone] */
	EXPLAIN_ZONE_NO_BLOCK,		/* enough free pages, no free block of the order */
	EXPLAIN_ZONE_NODE_NOT_ALLOWED,	/* node outside nodemask/mems_allowed */
	EXPLAIN_ZONE_ABOVE_REQUEST,	/* zone higher than the gfp mask allows (e.g. Normal for DMA32) */
};

struct explain_task {
	char comm[EXPLAIN_COMM_MAX];
	int64_t pid, uid, oom_score_adj, score;
	int64_t total_vm_kb, anon_rss_kb, file_rss_kb, shmem_rss_kb, pgtables_kb;
};

struct explain_zone {
	int node;			/* -1: printed without "Node N" (non-NUMA kernel) */
	char name[16];			/* "DMA", "DMA32", "Normal", "HighMem", "Movable" */
	int64_t free_kb, min_kb, low_kb, high_kb, present_kb, managed_kb;
	int64_t free_cma_kb, reserved_highatomic_kb;
	int nreserve;
	int64_t lowmem_reserve_pages[EXPLAIN_RESERVE_MAX];
	int norders;			/* 0: no buddy list line for this zone */
	int64_t free_blocks[EXPLAIN_ORDERS_MAX]; /* free blocks of 2^order pages */
	/* diagnosis (explain_parse() fills it) */
	enum explain_zone_verdict verdict;
	int64_t largest_free_block_kb;	/* EXPLAIN_UNSET without buddy list; 0 if none free */
	int64_t blocks_at_order;	/* free blocks of at least the requested order */
	int64_t need_kb;		/* effective min watermark + lowmem_reserve[classzone] */
	int64_t usable_kb;		/* free minus what the check does not count */
};

struct explain_memcg {
	char path[EXPLAIN_PATH_MAX];	/* the cgroup whose limit was hit */
	char task_path[EXPLAIN_PATH_MAX]; /* the victim's cgroup, if printed */
	int64_t usage_kb, limit_kb, failcnt;
	int64_t swap_usage_kb, swap_limit_kb; /* "memory+swap:" (v1) or "swap:" (v2) */
	bool swap_is_memsw;		/* true: the v1 memory+swap counter (includes memory) */
	int64_t anon_kb, file_kb, shmem_kb, kernel_kb; /* "Memory cgroup stats for" */
};

struct explain_report {
	enum explain_kind kind;
	enum explain_constraint constraint;
	unsigned first_line, last_line;	/* 1-based lines of the input text */
	char time[48];			/* the first line's timestamp as printed, "" if none */
	int64_t monotonic_usec;		/* that stamp in usec when it is printk's clock
					 * ("[ 1447.916805]", /dev/kmsg): about CLOCK_MONOTONIC,
					 * which is how a daemon report is matched to it */
	char kernel[64];		/* "3.10.0-1160.2.2.el7.x86_64" */
	struct explain_task trigger;	/* comm, pid, oom_score_adj (or oom_adj on 2.6.32) */
	int64_t gfp_mask;
	char gfp_flags[256];		/* "GFP_KERNEL|__GFP_NOTRACK", printed or decoded */
	bool gfp_flags_printed;		/* true: the kernel printed them (4.5+) */
	int64_t order, request_bytes;
	char nodemask[64], cpuset[EXPLAIN_PATH_MAX], mems_allowed[64];
	bool has_memcg;
	struct explain_memcg memcg;
	bool has_killed;
	struct explain_task killed;
	bool has_reaper;		/* "oom_reaper: reaped process" */
	struct explain_task reaped;	/* pid, comm, *_rss_kb after reaping */
	int64_t page_size;		/* bytes; from the buddy lists, else 4096 */
	size_t nzones, zones_dropped;
	struct explain_zone zones[EXPLAIN_ZONES_MAX];
	/* Mem-Info totals (pages converted to kB) */
	int64_t active_anon_kb, inactive_anon_kb, active_file_kb, inactive_file_kb;
	int64_t unevictable_kb, free_kb, slab_reclaimable_kb, slab_unreclaimable_kb, shmem_kb;
	int64_t pagetables_kb, ram_kb;	/* ram_kb: "N pages RAM" */
	int64_t swap_total_kb, swap_free_kb;
	size_t nslabs;			/* "Unreclaimable slab info", largest first */
	struct {
		char name[EXPLAIN_COMM_MAX];
		int64_t total_kb;
	} slabs[EXPLAIN_SLABS_MAX];
	unsigned ntasks;		/* rows of the task list */
	bool truncated;			/* ended before its kill line (panic, oops, end of text) */
	char panic[128];		/* "Kernel panic - not syncing: ..." text, "" if none */
	char oops[128];			/* the oops line that cut the report off, "" if none */
	/* diagnosis */
	char classzone[16];		/* highest zone the gfp mask allows ("Normal"), "" if unknown */
	size_t ncauses;
	enum explain_cause causes[EXPLAIN_CAUSES_MAX]; /* most important first */
	char summary[1024];		/* plain words with the numbers */
};

struct explain_result {
	size_t nreports;
	struct explain_report *reports;	/* malloc'd; explain_result_free() */
};

/*
 * Find and explain every OOM report and page allocation failure in text[0..len) (need not be
 * NUL-terminated), in the order of the text. Returns the number of reports (>= 0, *ret
 * filled, free with explain_result_free()) or -ENOMEM (*ret untouched). Never fails on
 * malformed text: what cannot be read stays EXPLAIN_UNSET or "".
 */
int explain_parse(const char *text, size_t len, struct explain_result *ret);

/* Free what explain_parse() allocated; safe on a zeroed result. */
void explain_result_free(struct explain_result *res);

/*
 * The human-readable explanation of every report (what a non-kernel admin reads), into a
 * malloc'd NUL-terminated string. 0 or -ENOMEM (*ret_text untouched).
 */
int explain_format_text(const struct explain_result *res, char **ret_text);

/* The same for one report (appended to by callers such as `oomguardianctl report`). */
int explain_format_report_text(const struct explain_report *r, char **ret_text);

/*
 * /dev/kmsg records ("6,1234,5678901,-;message" with "\xNN" escapes and " KEY=value"
 * dictionary lines) into dmesg-style lines "[    5.678901] message". Text that is not in
 * record form is copied unchanged. Malloc'd, NUL-terminated; 0 or -ENOMEM.
 */
int explain_kmsg_to_text(const char *buf, size_t len, char **ret_text, size_t *ret_len);

/* Names used by the JSON form; never NULL. */
const char *explain_kind_name(enum explain_kind k);
const char *explain_cause_name(enum explain_cause c);
/* NULL for EXPLAIN_CONSTRAINT_UNKNOWN. */
const char *explain_constraint_name(enum explain_constraint c);
const char *explain_zone_verdict_name(enum explain_zone_verdict v);
