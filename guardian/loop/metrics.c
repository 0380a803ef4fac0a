/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Prometheus text metrics: counting and formatting (see metrics.h). Pure: no I/O. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "guardian/loop/metrics.h"
#include "policy/engine/pol_engine.h"
#include "policy/util/cleanup.h"

/* 1 ms .. 5 s: the path from crossing to signal is a few ms; seconds mean a slow snapshot. */
const uint64_t loop_latency_bounds_usec[LOOP_LATENCY_BUCKETS] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000,
};

static const char *const results[LOOP_METRICS_RESULTS] = {
	"signalled", "terminated",    "killed",	 "escalated", "timeout",
	"vanished",  "dry-run",	      "written", "done",      "nothing-to-do",
	"failed",    "not-supported", "refused", "other",
};

size_t loop_metrics_result_index(const char *result)
{
	for (size_t i = 0; i + 1 < LOOP_METRICS_RESULTS; i++)
		if (strcmp(results[i], result) == 0)
			return i;
	return LOOP_METRICS_RESULTS - 1;
}

void loop_metrics_count(struct loop_metrics *m, enum pol_action_kind kind, const char *result,
			uint64_t freed_bytes, uint64_t latency_usec)
{
	size_t b = 0;

	if ((unsigned)kind >= POL_ACT__MAX)
		return;
	m->actions[kind][loop_metrics_result_index(result)]++;
	m->freed_bytes[kind] += freed_bytes;
	if (!latency_usec)
		return;
	while (b < LOOP_LATENCY_BUCKETS && latency_usec > loop_latency_bounds_usec[b])
		b++;
	m->latency_bucket[b]++;
	m->latency_count++;
	m->latency_sum_usec += latency_usec;
}

struct out {
	char *p;
	size_t len, size;
	bool full;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->len) {
		o->full = true;
		return;
	}
	o->len += (size_t)n;
}

static void head(struct out *o, const char *name, const char *type, const char *help)
{
	put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* usec as seconds with 6 decimals, without floats */
static void put_sec(struct out *o, uint64_t usec)
{
	put(o, "%" PRIu64 ".%06" PRIu64, usec / 1000000, usec % 1000000);
}

/* percent x 100 as a ratio 0..1 */
static void put_ratio(struct out *o, uint32_t centi)
{
	put(o, "%u.%04u", centi / 10000, centi % 10000);
}

static void gauges(struct out *o, const struct loop_metrics_view *v)
{
	head(o, "oomguardian_stage", "gauge",
	     "The active stage of the ladder (1 for the current one; level 0 none .. 4 kill).");
	for (int s = POL_STAGE_NONE; s < POL_STAGE__MAX; s++)
		put(o, "oomguardian_stage{stage=\"%s\",level=\"%d\"} %d\n",
		    pol_stage_name((enum pol_stage)s), s, s == v->stage);
	head(o, "oomguardian_stage_since_seconds", "gauge",
	     "When the current stage began (Unix time).");
	put(o, "oomguardian_stage_since_seconds ");
	put_sec(o, v->stage_since_usec);
	put(o, "\n");
	head(o, "oomguardian_dry_run", "gauge", "1 when the daemon decides and logs only.");
	put(o, "oomguardian_dry_run %d\n", v->dry_run);
	head(o, "oomguardian_memory_available_bytes", "gauge",
	     "Available memory of the guarded scope (MemAvailable, or limit - usage + "
	     "reclaimable).");
	put(o, "oomguardian_memory_available_bytes{scope=\"%s\"} %" PRIu64 "\n",
	    v->scoped ? "cgroup" : "machine", v->avail_bytes);
	head(o, "oomguardian_memory_total_bytes", "gauge", "Its total (MemTotal or the limit).");
	put(o, "oomguardian_memory_total_bytes{scope=\"%s\"} %" PRIu64 "\n",
	    v->scoped ? "cgroup" : "machine", v->total_bytes);
	if (v->has_psi) {
		head(o, "oomguardian_memory_pressure_avg10_ratio", "gauge",
		     "Memory PSI avg10 of the machine (share of time stalled, 0..1).");
		put(o, "oomguardian_memory_pressure_avg10_ratio{kind=\"some\"} ");
		put_ratio(o, v->psi_some_centi);
		put(o, "\noomguardian_memory_pressure_avg10_ratio{kind=\"full\"} ");
		put_ratio(o, v->psi_full_centi);
		put(o, "\n");
	}
	head(o, "oomguardian_policies", "gauge", "Policies loaded.");
	put(o, "oomguardian_policies %zu\n", v->policies);
	head(o, "oomguardian_protect_writes_total", "counter",
	     "oom_score_adj writes of protection policies, by what the kernel said.");
	put(o, "oomguardian_protect_writes_total{result=\"accepted\"} %" PRIu64 "\n",
	    v->protect_accepted);
	put(o, "oomguardian_protect_writes_total{result=\"refused\"} %" PRIu64 "\n",
	    v->protect_refused);
	if (v->has_oom_kill) {
		head(o, "oomguardian_kernel_oom_kill_total", "counter",
		     "The kernel's OOM killer kills since boot (/proc/vmstat oom_kill).");
		put(o, "oomguardian_kernel_oom_kill_total %" PRIu64 "\n", v->kernel_oom_kill);
	}
	head(o, "oomguardian_start_time_seconds", "gauge", "When the daemon started (Unix time).");
	put(o, "oomguardian_start_time_seconds ");
	put_sec(o, v->start_usec);
	put(o, "\n");
}

int loop_metrics_format(char *buf, size_t size, const struct loop_metrics *m,
			const struct loop_metrics_view *v)
{
	struct out o = {buf, 0, size, false};
	uint64_t cum = 0;

	if (!size)
		return -ENOBUFS;
	buf[0] = '\0';
	gauges(&o, v);
	head(&o, "oomguardian_actions_total", "counter",
	     "Finished actions (and stages with nothing allowed: kind \"report\"), by result.");
	for (int k = 0; k < POL_ACT__MAX; k++)
		for (size_t r = 0; r < LOOP_METRICS_RESULTS; r++)
			if (m->actions[k][r])
				put(&o,
				    "oomguardian_actions_total{kind=\"%s\",result=\"%s\"} %" PRIu64
				    "\n",
				    pol_action_name((enum pol_action_kind)k), results[r],
				    m->actions[k][r]);
	head(&o, "oomguardian_freed_bytes_total", "counter",
	     "Memory measured as freed after actions, by kind.");
	for (int k = 0; k < POL_ACT__MAX; k++)
		if (m->freed_bytes[k] || k == POL_ACT_KILL)
			put(&o, "oomguardian_freed_bytes_total{kind=\"%s\"} %" PRIu64 "\n",
			    pol_action_name((enum pol_action_kind)k), m->freed_bytes[k]);
	head(&o, "oomguardian_kill_latency_seconds", "histogram",
	     "From available memory crossing the kill threshold to the signal.");
	for (size_t b = 0; b <= LOOP_LATENCY_BUCKETS; b++) {
		cum += m->latency_bucket[b];
		if (b < LOOP_LATENCY_BUCKETS) {
			put(&o, "oomguardian_kill_latency_seconds_bucket{le=\"");
			put_sec(&o, loop_latency_bounds_usec[b]);
			put(&o, "\"} %" PRIu64 "\n", cum);
		} else {
			put(&o,
			    "oomguardian_kill_latency_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n",
			    cum);
		}
	}
	put(&o, "oomguardian_kill_latency_seconds_sum ");
	put_sec(&o, m->latency_sum_usec);
	put(&o, "\noomguardian_kill_latency_seconds_count %" PRIu64 "\n", m->latency_count);
	head(&o, "oomguardian_reports_written_total", "counter", "Report files written.");
	put(&o, "oomguardian_reports_written_total %" PRIu64 "\n", m->reports_written);
	head(&o, "oomguardian_reports_lost_total", "counter",
	     "Reports lost: the ring was full while victims were in flight.");
	put(&o, "oomguardian_reports_lost_total %" PRIu64 "\n", m->reports_lost);
	head(&o, "oomguardian_policy_load_failures_total", "counter",
	     "Reloads refused because the configuration or a policy was invalid.");
	put(&o, "oomguardian_policy_load_failures_total %" PRIu64 "\n", m->reload_failures);
	return o.full ? -ENOBUFS : (int)o.len;
}
