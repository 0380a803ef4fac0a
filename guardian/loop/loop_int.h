/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internals shared by guardian/loop*.c: the loop's state, all of it allocated in loop_new(). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "guardian/actions/act.h"
#include "guardian/actions/act_kill.h"
#include "guardian/loop/loop.h"
#include "guardian/loop/loop_worker.h"
#include "guardian/sources/proc_events.h"
#include "guardian/sources/snapshot.h"
#include "policy/engine/pol_engine.h"

#define LOOP_VICTIMS_MAX 8 /* single processes signalled and not yet gone */
#define LOOP_GROUPS_MAX 2 /* process groups / cgroups being killed */
#define LOOP_PSI_MAX 2 /* "some" and "full" triggers, one fd each */
#define LOOP_THRESH_MAX 4 /* v1 usage thresholds (one per ladder rung) */

/* The cap of the snapshot tables: pid_max is 4 M but a host with more than 16 k processes is
 * not the target; src_read_procs() stops (and says so) when the table is full. */
#define LOOP_CAP_PROCS 16384
#define LOOP_CAP_CGROUPS 4096
#define LOOP_CAP_SLABS 1024

#define LOOP_RESCAN_USEC (30 * 1000000ULL) /* protection rescan with the proc connector */
#define LOOP_RESCAN_FALLBACK_USEC (2 * 1000000ULL) /* ... and without it */
#define LOOP_SLOW_STEP_USEC (10 * 1000000ULL) /* full decision when nothing woke us */
#define LOOP_SCOPE_RECHECK_USEC (5 * 1000000ULL) /* scope cgroup gone: look again */
#define LOOP_INFLIGHT_POLL_USEC 50000ULL /* while a victim is signalled */
/* A stage is active or near but not the terminate/kill zone: decide once a second. A full
 * snapshot plus decision costs ~100 ms at 4000 processes; a host may sit in the reclaim stage
 * for hours. */
#define LOOP_NEAR_STEP_USEC 1000000ULL

/* Reports waiting to be written (loop_report.c, the slot is in report.h): a victim's reports
 * are rewritten in place (same slot), so a ring this size holds a burst of kills plus
 * protection reports. */
#define LOOP_REPORTS_MAX 16
/* One action printed as key=value (the --once plan): its strings plus ~20 keys. */
#define LOOP_REPORT_TEXT_MAX (sizeof(struct pol_action) + OG_CGROUP_PATH_MAX + 1024)
#define LOOP_PRUNE_EVERY_USEC (60 * 1000000ULL) /* retention is applied at most this often */

struct loop_sbuf { /* appending snprintf into a fixed buffer; never allocates */
	char *p;
	size_t len, size;
	bool truncated;
};

struct loop_report_slot;
struct loop_record;

struct loop_victim {
	bool used;
	struct act_victim v;
	sd_event_source *src;
	struct pol_action why; /* the plan entry that chose it (copied: the plan is refilled) */
	uint64_t before_bytes; /* available (whole machine) or usage (scope) at the first signal */
	uint64_t crossed_usec; /* when available first fell below the kill threshold, 0: never */
	uint64_t deadline_usec; /* give up waiting (kill_timeout) */
	char report[POL_PATH_MAX + 64]; /* its report file */
};

struct loop_group {
	bool used;
	bool whole_cgroup; /* act_kill_cgroup() was used: watch the cgroup, not g */
	struct act_group g;
	struct pol_action why;
	uint64_t before_bytes, crossed_usec, deadline_usec, start_usec;
	char report[POL_PATH_MAX + 64];
};

struct loop {
	/* configuration */
	char root_dir[512];
	char config_path[POL_PATH_MAX];
	bool has_config_path;
	const char *const *policy_dirs;
	char scope[OG_CGROUP_PATH_MAX]; /* "" = whole machine */
	bool scope_from_cli;
	char report_dir[POL_PATH_MAX];
	char state_file[POL_PATH_MAX];
	bool dry_run;
	bool dry_run_from_cli, report_dir_from_cli; /* reload leaves these alone */

	struct pol_rules rules;
	struct pol_state st;
	struct pol_ctx pctx;
	struct og_collector col;
	struct og_snapshot snap;
	struct pol_plan plan;
	struct act_ctx actx;
	struct act_seen denied;

	/* event sources */
	sd_event *ev;
	sd_event_source *sig_src[3];
	sd_event_source *poll_src, *rescan_src, *procev_src;
	sd_event_source *psi_src[LOOP_PSI_MAX];
	sd_event_source *thr_src;
	int psi_fd[LOOP_PSI_MAX];
	int thr_efd;
	struct proc_events pe;
	bool have_proc_events;

	/* the fast poll: fds kept open, one pread each */
	int meminfo_fd; /* proc/meminfo */
	int usage_fd; /* scope: v1 memory.usage_in_bytes or v2 memory.current */
	int limit_fd; /* scope: v1 memory.limit_in_bytes or v2 memory.max */
	int stat_fd; /* scope: memory.stat, for inactive_file on every fast read */
	bool scope_missing;
	bool psi_window_logged;
	uint64_t avail_bytes, total_bytes, usage_bytes; /* last fast read */
	uint64_t reclaim_est_bytes; /* scope: reclaimable file pages from the last snapshot */
	uint64_t kill_crossed_usec; /* avail < kill threshold since, 0 = above */
	uint64_t last_full_usec;
	uint64_t last_full_avail_bytes; /* the fast read when the last decision was taken */
	uint64_t next_rescan_usec;

	/* stage bookkeeping for the state file and STATUS= */
	enum pol_stage stage;
	uint64_t stage_since_usec; /* CLOCK_REALTIME */
	unsigned report_seq;
	struct loop_report_slot *reports; /* LOOP_REPORTS_MAX, allocated and touched in loop_new() */
	unsigned report_qseq, reports_dropped;
	sd_event_source *report_src; /* idle-priority defer: loop_report_flush() when calm */
	struct loop_record *rec; /* lock, state, protection records, flight recorder (report.h) */

	/* drop_caches and compaction run here, the loop goes on meanwhile */
	struct loop_worker worker;
	sd_event_source *worker_src;
	bool worker_busy_logged;

	struct loop_victim victims[LOOP_VICTIMS_MAX];
	struct loop_group *groups; /* LOOP_GROUPS_MAX, allocated once (act_group is large) */
};

/* loop.c */
uint64_t loop_now_usec(void);
void loop_kick(struct loop *l, const char *why); /* a full step now */

/* loop_watch.c: the fast read, PSI triggers, v1 thresholds (all fds of the scope) */
void loop_close_fd(int *fd); /* close if >= 0, set -1 */
void loop_unref_src(sd_event_source **s); /* disable, unref, set NULL */
void loop_setup_watches(struct loop *l); /* (re)open the scope: sets scope_missing if gone */
void loop_teardown_watches(struct loop *l);

/* loop_act.c: plan execution, victims, protection, reports */
void loop_act_plan(struct loop *l, uint64_t now);
bool loop_act_inflight(struct loop *l, uint64_t now);
void loop_act_release_all(struct loop *l);
int loop_act_setup(struct loop *l); /* the worker's completion source (after sd_event_new) */
void loop_act_teardown(struct loop *l); /* stop the worker, drop its source */
void loop_protect_proc(struct loop *l, const struct og_proc *p);
void loop_protect_pid(struct loop *l, pid_t pid);
void loop_protect_all(struct loop *l);
bool loop_proc_in_scope(const struct loop *l, const struct og_proc *p);
/* inactive_file of a memory.stat buffer (v1: total_inactive_file), in bytes. 0 or -EBADMSG. */
int loop_parse_inactive_file(const char *buf, bool v1, uint64_t *ret_bytes);
int loop_fast_read(struct loop *l); /* 0 or -errno; -ENOENT etc. mark the scope missing */
void loop_write_state(struct loop *l);
void loop_write_state_stopped(struct loop *l); /* at exit: running=no */
/* One daemon per state file: flock its "<state file>.lock". 0, -EBUSY (logged: who holds it)
 * or -errno. Nothing to lock (0) when the run has no state file. */
int loop_lock(struct loop *l);
int loop_record_alloc(struct loop *l); /* the report ring and the record, touched */
void loop_record_free(struct loop *l); /* marks the state stopped, drops the lock */
void loop_record_setup(struct loop *l); /* recorder and metrics sources (after sd_event_new) */
void loop_record_reload_failed(struct loop *l); /* counted for the metrics */
void loop_metrics_setup(struct loop *l); /* MetricsFile= timer, MetricsSocket= */
void loop_metrics_teardown(struct loop *l);
void loop_metrics_write(struct loop *l); /* MetricsFile= now, unless a victim is in flight */
/* The kernel refused the oom_score_adj of protection action a (counted per policy). */
void loop_report_protect_refused(struct loop *l, const struct pol_action *a);
/* Format a report into a free slot of the ring (or the slot already holding `path`): no
 * allocation, no file system. path: in/out, "" = a new file name (written back). 0, or
 * -ENOBUFS when the ring is full (counted, logged at the next flush). Arms report_src. */
int loop_report_queue(struct loop *l, const struct pol_action *a, const char *result,
		      const struct act_victim *v, uint64_t freed_bytes, uint64_t elapsed_usec,
		      uint64_t since_cross_usec, char *path, size_t path_size);
/* True when no victim or group is in flight: writing report files cannot delay a kill. */
bool loop_reports_may_flush(const struct loop *l);
/* Write every queued report (oldest first), creating the directory; the number written. */
int loop_report_flush(struct loop *l);
void loop_sbuf_printf(struct loop_sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "key=value\n" with control characters of value as '?' (one line whatever it holds). */
void loop_sbuf_put_str(struct loop_sbuf *b, const char *key, const char *v);
void loop_format_action_buf(struct loop_sbuf *b, const struct pol_action *a);
void loop_format_action(FILE *out, const struct pol_action *a);
int loop_mkdir_p(const char *path);
