/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's own record (issue 9): what a report slot holds, the JSON a slot becomes, and the
 * bookkeeping behind the state file, the lock, protection records, retention and the flight
 * recorder. Everything here is allocated once (loop_record_alloc(), from loop_new(), touched
 * before mlockall); capturing a report copies plain structs into a slot, and formatting (json-c)
 * and file writes happen later, from an idle source, when no victim is in flight.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "guardian/actions/act_kill.h"
#include "guardian/loop/metrics.h"
#include "guardian/loop/recorder.h"
#include "policy/plan.h"

#define LOOP_REPORT_FORMAT 1
#define LOOP_REPORT_SLABS 5 /* top slab caches in the machine summary */
#define LOOP_REPORT_NODES 8 /* NUMA nodes in the machine summary (the rest are counted) */
#define LOOP_PROTECT_AGG_MAX 32 /* policies whose protection records are merged per minute */
#define LOOP_PROTECT_WINDOW_USEC (60 * 1000000ULL)
#define LOOP_LAST_ACTIONS 8 /* kept for the state file (oomguardianctl status) */

/* The machine at the decision (from the snapshot the plan was made from). */
struct loop_report_machine {
	bool valid;
	bool scope; /* avail/total are the guarded scope's (its limit), not the machine's */
	uint64_t avail_bytes, total_bytes, swap_total_bytes, swap_free_bytes;
	uint64_t machine_avail_bytes, machine_total_bytes; /* MemAvailable, MemTotal */
	bool has_psi;
	uint32_t psi_some_avg10_centi, psi_full_avg10_centi;
	size_t nslabs; /* 0 and slabs_read false: the kill zone skips the slab walk */
	bool slabs_read;
	struct {
		char name[OG_SLAB_NAME_MAX];
		uint64_t bytes;
		bool reclaimable;
	} slabs[LOOP_REPORT_SLABS];
	size_t nnodes, nodes_total;
	struct {
		int id;
		uint64_t free_bytes, total_bytes;
	} nodes[LOOP_REPORT_NODES];
};

/* What the snapshot knew of the victim (the target names pid, comm, cgroup, unit). */
struct loop_report_proc {
	bool known;
	uid_t uid;
	int oom_score, oom_score_adj;
	uint64_t rss_bytes, swap_bytes;
	char cmdline[OG_CMDLINE_MAX];
	char exe[OG_EXE_MAX];
};

struct loop_report_slot {
	bool used;
	unsigned seq; /* queue order: the oldest is written first */
	char path[POL_PATH_MAX + 64]; /* "" when the run writes no reports */
	uint64_t decided_usec, updated_usec; /* CLOCK_REALTIME */
	bool dry_run;
	char result[24];
	struct pol_action why;
	bool has_victim;
	struct act_victim v;
	uint64_t freed_bytes, elapsed_usec, since_cross_usec;
	uint64_t victim_bytes; /* its own anon + swap when chosen, apart from what was freed */
	uint64_t cross_to_kill_usec; /* kill threshold crossing to the SIGKILL call, 0: none */
	bool partial; /* chosen from a partial process view (loop_procs.c) */
	unsigned count; /* protection records: how many processes in this minute */
	struct loop_report_proc victim;
	struct loop_report_machine m;
	size_t ntop;
	struct pol_candidate top[POL_TOP_MAX];
	char scope[OG_CGROUP_PATH_MAX];
};

struct loop_protect_agg {
	char rule[POL_PATH_MAX + 32];
	uint64_t window_start_usec; /* monotonic */
	unsigned count;
	char path[POL_PATH_MAX + 64]; /* the report of this window */
	unsigned total_ok, total_refused; /* since start (or since this entry was reused) */
	int64_t oom_score_adj; /* what the policy sets */
};

struct loop_last_action {
	uint64_t time_usec; /* realtime */
	char kind[16];
	char result[24];
	pid_t pid;
	char comm[OG_COMM_MAX];
	uint64_t freed_bytes;
};

struct loop_record {
	int lock_fd;
	char lock_path[POL_PATH_MAX + 8];
	bool owns_state; /* the lock is ours (or could not be taken): we write the state file */
	bool state_warned, report_warned;
	uint64_t last_prune_usec;
	unsigned protected_ok, protected_refused; /* oom_score_adj writes since start */
	struct loop_protect_agg agg[LOOP_PROTECT_AGG_MAX];
	size_t nlast, last_next;
	struct loop_last_action last[LOOP_LAST_ACTIONS];
	struct loop_recorder fr;
	uint64_t fr_last_usec; /* the last sample (loop_record_sample, from the poll) */

	/* the state file's text: ~40 keys, a refused reload's reason (512 bytes, escaped up to
	 * 4 times as long), the last actions and one line per protection policy */
	char state_text[POL_PATH_MAX * 2 + 2048 + 4 * 512 +
			LOOP_LAST_ACTIONS * (OG_COMM_MAX + 160) +
			LOOP_PROTECT_AGG_MAX * (POL_PATH_MAX + 128)];

	/* metrics (metrics.h, loop_metrics.c) */
	struct loop_metrics metrics;
	char metrics_text[LOOP_METRICS_TEXT_MAX];
	bool metrics_warned;
	uint64_t start_usec; /* realtime */
	struct sd_event_source *metrics_src, *msock_src;
	int msock_fd;
	char msock_path[108]; /* sizeof(sun_path) */
	struct loop_metrics_conn {
		int fd;
		struct sd_event_source *src;
		uint64_t deadline_usec;
	} conns[LOOP_METRICS_CONNS];
};

struct loop;
struct json_object;

/* Allocate and touch the report ring and the record (loop_new()). 0 or -ENOMEM. */
int loop_record_alloc(struct loop *l);
void loop_record_free(struct loop *l);

/* Fill *m from the loop's last snapshot and plan (pure copy, no I/O). */
void loop_report_capture_machine(const struct loop *l, struct loop_report_machine *m);

/* A slot as the JSON object that goes into its file (json-c, allocates): NULL on -ENOMEM. */
struct json_object *loop_report_json(const struct loop_report_slot *s, const char *host,
				     const struct loop_recorder *fr);

/* The file name part of a report path (between the directory and ".json"). */
const char *loop_report_kind_word(enum pol_action_kind kind);

/*
 * Retention: delete report files in dirfd beyond the newest max_files, and those older than
 * max_age_usec (by their name's time) measured from now_realtime_usec; 0 disables either.
 * Only names this daemon makes are touched. The number deleted, or -errno.
 */
int loop_reports_prune(int dirfd, unsigned max_files, uint64_t max_age_usec,
		       uint64_t now_realtime_usec);

/*
 * The single place a finished report is handed out (remembered, counted, journalled). Hook
 * for anything that wants to see finished reports (ExecAfterAction=): called once per report,
 * after its file is on disk, from the idle flush. path: the file, NULL when none was written;
 * text/len: its JSON; s: its slot.
 */
void loop_report_finished(struct loop *l, const struct loop_report_slot *s, const char *path,
			  const char *text, size_t len);
