/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Prometheus text metrics (exposition format 0.0.4), named by its conventions: oomguardian_*,
 * base units (bytes, seconds, ratios), counters end in _total. The counters are kept in the
 * preallocated record and bumped where a finished report is handed out (off the kill path);
 * the text is formatted into a fixed buffer and written atomically to MetricsFile= for
 * node_exporter's textfile collector, and served on MetricsSocket= (HTTP/1.0 over a unix
 * socket) when set: both from idle-priority sources that skip while a victim is in flight.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/plan.h"

/* The result words of reports, as the metrics label them. */
#define LOOP_METRICS_RESULTS 14
#define LOOP_LATENCY_BUCKETS 12 /* + Inf */
#define LOOP_METRICS_TEXT_MAX 16384 /* ~11 KiB with every kind and result seen */
#define LOOP_METRICS_PERIOD_USEC (15 * 1000000ULL) /* node_exporter reads the file at scrape */
#define LOOP_METRICS_CONNS 4 /* socket clients served at once; more wait in the backlog */

struct loop_metrics {
	uint64_t actions[POL_ACT__MAX][LOOP_METRICS_RESULTS];
	uint64_t freed_bytes[POL_ACT__MAX];
	/* crossing of the kill threshold to the signal, seconds (le) */
	uint64_t latency_bucket[LOOP_LATENCY_BUCKETS + 1];
	uint64_t latency_count, latency_sum_usec;
	uint64_t reports_written, reports_lost, reload_failures;
};

/* What the gauges show, filled by the loop at formatting time. */
struct loop_metrics_view {
	int stage; /* enum pol_stage */
	uint64_t stage_since_usec; /* realtime */
	bool dry_run, scoped;
	uint64_t avail_bytes, total_bytes;
	bool has_psi;
	uint32_t psi_some_centi, psi_full_centi; /* avg10 */
	size_t policies;
	uint64_t protect_accepted, protect_refused;
	bool has_oom_kill;
	uint64_t kernel_oom_kill;
	uint64_t start_usec; /* realtime */
};

/* The bucket bounds in usec (le), for tests and the format. */
extern const uint64_t loop_latency_bounds_usec[LOOP_LATENCY_BUCKETS];

/* Index of a result word ("killed", "dry-run", ...); the last index is "other". */
size_t loop_metrics_result_index(const char *result);

/* Count one finished action: kind, result word, freed bytes; latency_usec 0 = not measured. */
void loop_metrics_count(struct loop_metrics *m, enum pol_action_kind kind, const char *result,
			uint64_t freed_bytes, uint64_t latency_usec);

/* The exposition text into buf (NUL-terminated): its length, or -ENOBUFS. Pure. */
int loop_metrics_format(char *buf, size_t size, const struct loop_metrics *m,
			const struct loop_metrics_view *v);
