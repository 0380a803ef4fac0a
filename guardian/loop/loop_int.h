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
#include "guardian/sources/proc_table.h"
#include "guardian/sources/snapshot.h"
#include "guardian/sources/src_statmkeep.h"
#include "policy/engine/pol_engine.h"

#define LOOP_VICTIMS_MAX 8 /* single processes signalled and not yet gone */
#define LOOP_GROUPS_MAX 2 /* process groups / cgroups being killed */
#define LOOP_PSI_MAX 2 /* "some" and "full" triggers, one fd each */
#define LOOP_THRESH_MAX 4 /* v1 usage thresholds (one per ladder rung) */

/*
 * Processes handed to the engine per decision (loop_procs.c): up to LOOP_CAND_MAX that must be
 * there (in-flight victims, group kills, budgeted services) and the best LOOP_CAND_MAX of the
 * rest by (KillPreference tier, anon RSS). The process table itself has no such bound: it
 * grows with the machine (proc_table.h). Fixture roots (--root) are read whole into the same
 * array (the old path, og_snapshot_take): a tree with more processes is refused, not cut.
 */
#define LOOP_CAND_MAX 512
#define LOOP_CAP_SNAP_PROCS (2 * LOOP_CAND_MAX)
#define LOOP_SNAP_TOUCH_MIN 128 /* slots of it touched at start, 230 KiB (1,816 bytes each) */
/*
 * A decision ranks by the anon RSS measured at the last full ranking or background sweep (one
 * statm per process, started at most LOOP_RANK_FRESH_USEC ago) and reads statm again
 * only for the LOOP_FRESH_TOP best of them, the must-haves and processes never measured (new
 * ones, such as a hog just started): a few dozen reads instead of one per process. A process
 * outside that top that grew past all of them within LOOP_RANK_FRESH_USEC is ranked by its old
 * size until the next full ranking.
 */
#define LOOP_RANK_FRESH_USEC 3000000ULL
/* While a stage is near, the table timer measures the guarded processes in the background
 * (statm, this many every LOOP_SWEEP_TICK_USEC: 20,000 in about 2 s), so that decisions rank
 * from measurements younger than LOOP_RANK_FRESH_USEC and read only their top few again. */
#define LOOP_SWEEP_PER_TICK 1024
#define LOOP_SWEEP_TICK_USEC 100000ULL
/* ... and a new sweep starts at most this long after the last one started (or a decision
 * ranked), so a small table is not read ten times a second */
#define LOOP_SWEEP_REST_USEC 1000000ULL
/* Processes the table has not read yet that one decision reads whole: the largest ones. */
#define LOOP_DECISION_LOADS 64
#define LOOP_FRESH_TOP 64
#define LOOP_CAP_CGROUPS 4096
#define LOOP_CG_KEEP_MAX 128 /* groups whose files stay open near a stage (src_cgkeep.h) */
#define LOOP_STATM_KEEP_MAX 256 /* processes whose statm stays open near a stage */
#define LOOP_ROOT_KEEP_MAX 32 /* machine files kept open (og_root_read): meminfo, zoneinfo, ... */
/* Fds left beside the kept files: pidfds, reports, the proc connector, PSI triggers, ... */
#define LOOP_FDS_SPARE 128
#define LOOP_CAP_SLABS 1024

/* Table rescans (loop_procs.c). Shallow: list proc/, read only pids the table lacks (~2 ms at
 * 20,000 processes). Deep: also stat + cgroup of every known pid (pid reuse, comm and cgroup
 * changes; ~0.2 s of CPU at 20,000): after lost events (ENOBUFS) and now and then. */
#define LOOP_RESCAN_USEC (30 * 1000000ULL) /* shallow, with the proc connector */
#define LOOP_RESCAN_FALLBACK_USEC (2 * 1000000ULL) /* ... and without it */
#define LOOP_DEEP_RESCAN_USEC (600 * 1000000ULL) /* deep, with the proc connector */
#define LOOP_DEEP_FALLBACK_USEC (60 * 1000000ULL) /* ... and without it */
#define LOOP_TABLE_TICK_USEC 50000ULL /* between two bounded steps of table work */
#define LOOP_TABLE_LOADS_PER_TICK 256 /* full reads of new processes per step (~25 us each) */
#define LOOP_TABLE_WORK_USEC 4000ULL /* and at most this long a step (then the poll runs) */
/* A new process is read once it has lived this long (or at once when a decision needs it, or
 * when its comm may match an OOMScoreAdjust= policy): the thousands of short-lived processes
 * of a build cost an insert and a remove each, no read. */
#define LOOP_TABLE_SETTLE_MS 1000
#define LOOP_TABLE_SCAN_PER_TICK 1024 /* pids listed per rescan step */
/* ... per deep step: each pid costs two reads (~40 us at 20,000 processes), so 64 keep a step
 * near 3 ms and the proc connector drained (1024 took 40 ms a step and, at 200 starts a
 * second, the socket overflowed, forcing the next deep rescan: bench-scale -m, 2026-12-03) */
#define LOOP_TABLE_DEEP_SCAN_PER_TICK 64
#define LOOP_CGROUP_DEPTH_MAX 16 /* scope walk for cgroup.procs */

/* Cached policy of a table entry (pt_proc.tag), computed when it is loaded or on reload. */
#define LOOP_TAG_VALID (1u << 31)
#define LOOP_TAG_NEVER (1u << 0) /* protected, KillPreference=never, adj -1000, PID 1, us */
#define LOOP_TAG_PREFER (1u << 1)
#define LOOP_TAG_AVOID (1u << 2)
#define LOOP_TAG_MUST (1u << 3) /* group kill unit or budgeted service: the engine needs all */
#define LOOP_TAG_ADJ (1u << 4) /* a policy sets OOMScoreAdjust= */
#define LOOP_TAG_OUTSIDE (1u << 5) /* outside the scope (by its cgroup when loaded) */
/* og_proc.parent_exe (enum og_parent_exe) as found when loaded (loop_lineage.c) */
#define LOOP_TAG_PARENT_SHIFT 6
#define LOOP_TAG_PARENT_MASK (3u << LOOP_TAG_PARENT_SHIFT)
#define LOOP_TAG_HAS_COPY (1u << 8) /* a child runs the same executable (Children=no) */
/* KillUnit=cgroup and nothing else that sums its members (no budget, pressure, throttle): in a
 * group ranked by its own counters it is read only if that group is the best (cgroup-first) */
#define LOOP_TAG_KU_CGROUP (1u << 9)

/* A value this daemon wrote to a process's oom_score_adj, and the one before (loop_lineage.c):
 * what its children inherit from us, and what they get back. Protected processes are few. */
#define LOOP_ADJ_RECS_MAX 64
struct loop_adj_rec {
	pid_t pid;
	uint64_t starttime_ticks;
	int16_t before, after;
};
#define LOOP_SLOW_STEP_USEC (10 * 1000000ULL) /* full decision when nothing woke us */
#define LOOP_SCOPE_RECHECK_USEC (5 * 1000000ULL) /* scope cgroup gone: look again */
#define LOOP_INFLIGHT_POLL_USEC 50000ULL /* fast poll while a victim is signalled */
/* While a victim is in flight a full decision runs at most this often: its exit (pidfd) and
 * the kill threshold (SIGKILL at once, loop_act_escalate) need none. */
#define LOOP_INFLIGHT_STEP_USEC 250000ULL
/* A stage is active or near but not the terminate/kill zone: decide once a second. A full
 * snapshot plus decision costs ~100 ms at 4000 processes; a host may sit in the reclaim stage
 * for hours. */
#define LOOP_NEAR_STEP_USEC 1000000ULL
/* A node filling at any rate (loop_node_step_due): at most this often a decision. */
#define LOOP_NODE_STEP_MIN_USEC 100000ULL
/* A PSI trigger fires once per window (2 s here) while the pressure lasts: a decision on every
 * one, with the slab walk, cost a throttled service's guardian 30-40% of a TCG core (VM tier,
 * budget, 2026-12-02). PSI stages need 6-10 s above their limit: a decision at most this often
 * on PSI, without the slab walk while no stage is active (slab is for the reclaim rung). */
#define LOOP_PSI_STEP_USEC 2000000ULL
/* The slab caches (proc/slabinfo and one reclaim_account file per cache, some 200 reads) are
 * read at most this often: the decision takes SReclaimable from meminfo on every step, the list
 * only names the largest caches. */
#define LOOP_SLAB_REFRESH_USEC (10 * 1000000ULL)
/* Dentries and inodes are freed after an RCU grace period: SReclaimable goes on falling for a
 * while after the drop_caches write returns (VM tier under load: 122 MiB 2 s after, 16 MiB
 * later). A drop is reported once it has settled, looked at every LOOP_SLAB_SETTLE_USEC. */
#define LOOP_SLAB_SETTLE_USEC (2 * 1000000ULL)
#define LOOP_SLAB_LOOKS_MAX 5 /* settled: fell by less than 1/64 since the last look, or 10 s */

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

struct loop_cand { /* a process ranked for this decision */
	pid_t pid;
	uint64_t anon_bytes; /* statm, just read */
	uint64_t key; /* tier and anon: larger is a better victim */
	bool fresh; /* anon_bytes read for this decision (else: the last full ranking's) */
	int cg_rank; /* KillUnit=cgroup member not read yet: its group's index in cg_rank, or -1 */
};

struct loop_victim {
	bool used;
	struct act_victim v;
	sd_event_source *src;
	struct pol_action why; /* the plan entry that chose it (copied: the plan is refilled) */
	uint64_t before_bytes; /* available (whole machine) or usage (scope) at the first signal,
				* moved on when another victim's exit claimed what was freed */
	uint64_t own_bytes; /* the victim's own anon + swap when chosen (statm just before) */
	uint64_t kill_call_usec; /* just before the SIGKILL system call (act_victim_kill) */
	bool partial; /* chosen from a partial process view */
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
	struct loop_adj_rec adj_recs[LOOP_ADJ_RECS_MAX]; /* ring: oldest overwritten */
	size_t nadj_recs, adj_rec_next;
	unsigned long adj_restored; /* inherited values put back (loop_lineage.c) */
	bool adj_restored_logged;

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
	uint64_t last_slab_usec; /* the slab list in snap was read then (LOOP_SLAB_REFRESH_USEC) */
	uint64_t last_full_avail_bytes; /* the fast read when the last decision was taken */
	uint64_t next_rescan_usec;

	/* stage bookkeeping for the state file and STATUS= */
	enum pol_stage stage;
	uint64_t stage_since_usec; /* CLOCK_REALTIME */
	unsigned report_seq;
	struct loop_report_slot
		*reports; /* LOOP_REPORTS_MAX, allocated and touched in loop_new() */
	unsigned report_qseq, reports_dropped;
	sd_event_source *report_src; /* idle-priority defer: loop_report_flush() when calm */
	struct loop_record *rec; /* lock, state, protection records, flight recorder (report.h) */
	/* the last SIGHUP's answer, in the state file: oomguardianctl reload waits for it */
	unsigned reload_gen; /* reloads tried since start */
	bool reload_refused;
	char reload_reason[512]; /* why it was refused: the first error, "path:line: Key: reason" */

	/* drop_caches and compaction run here, the loop goes on meanwhile */
	struct loop_worker worker;
	sd_event_source *worker_src;
	bool worker_busy_logged;
	sd_event_source *slab_src; /* a slab drop done: measured LOOP_SLAB_SETTLE_USEC later */
	struct pol_action slab_drop; /* ... that drop */
	uint64_t slab_cache0_bytes; /* its largest cache (target.unit) right before it */
	uint64_t slab_seen_bytes; /* SReclaimable at the last look while it settles */
	unsigned slab_looks; /* ... and how many looks (LOOP_SLAB_LOOKS_MAX) */

	/* the process table (loop_procs.c) and one decision's candidates */
	struct proc_table table;
	struct og_proc *scratch; /* one entry materialised at a time */
	size_t snap_touched; /* l->snap.procs written ahead of need (loop_procs_touch_ahead) */
	struct og_statm_keep *statm_keep; /* statm fds kept near a stage (src_statmkeep.h) */
	struct loop_cand *cand, *must; /* LOOP_CAND_MAX each, allocated and touched at start */
	size_t ncand, nmust, fill_seen, fill_loaded, fill_missing, fill_read, fill_unread;
	uint64_t fill_unread_max, fill_best_anon;
	struct loop_cand stale_cand[LOOP_DECISION_LOADS]; /* heap: unread, by anon */
	/* Cgroup-first (loop_procs_fill): the scope's groups ranked by their own counters, before
	 * any process is read; statm is read only for the best group's KillUnit=cgroup members. */
	struct pol_cg_rank cg_rank[POL_CG_RANK_MAX];
	size_t ncg_rank;
	int cg_rank_best; /* lowest cg_rank of a member seen in this fill, -1: none */
	size_t nstale_cand;
	bool fill_cached; /* this decision ranks from the last full ranking (LOOP_FRESH_TOP) */
	uint64_t last_rank_usec; /* start of the last full ranking or sweep (every statm read) */
	bool near; /* a stage is near (tick): measure in the background */
	bool psi_kick; /* this tick was woken by a PSI trigger (loop_kick_psi) */
	bool thr_kick; /* ... by a v1 usage threshold (loop_kick_threshold); tick() clears it
			* unless the wake-up was urgent */
	bool hot_idle; /* the last decision, in the hot zone, signalled nobody (tick) */
	bool hot; /* the terminate/kill zone (tick): no background table work at all */
	/* NUMA nodes polled per tick on the whole machine (loop_numa.c): ids found once */
	int node_ids[OG_NODES_MAX];
	size_t nnode_ids;
	bool nodes_probed;
	bool node_near; /* some node is near a stage of its own (pol_node_near()) */
	bool node_hot; /* some node is in its terminate zone (pol_node_hot()) */
	enum pol_stage node_rung; /* the highest rung a node is in (pol_node_stage()) */
	enum pol_stage node_rung_decided; /* node_rung when the last decision ran */
	uint64_t node_poll_usec; /* the poll interval its headroom asks for */
	uint64_t node_reserve[OG_NODES_MAX]; /* per node id: reserve_bytes of the last zoneinfo */
	size_t sweep_pos;
	uint64_t sweep_started_usec;
	bool view_partial; /* the last decision's view lacked processes */
	bool view_partial_logged, table_partial_logged, table_complete_logged;
	uint64_t started_usec; /* loop_run(): the table was listed */
	bool rescan_due, rescan_deep_due;
	bool scope_verifying; /* a scoped deep rescan's pass over the table under way ... */
	size_t scope_verify_pos; /* ... at this entry (proc_table_verify_step) */
	void (*scan_cb)(void *userdata, struct pt_proc *e); /* loop_procs_scan_scope() under way */
	uint64_t next_deep_usec;
	sd_event_source *table_src; /* bounded table work (timer) */
	/* what the next loop_report_queue() adds (set by loop_act.c around the call) */
	struct {
		uint64_t victim_bytes;
		uint64_t cross_to_kill_usec; /* kill threshold crossing to SIGKILL */
		bool partial;
	} rep_extra;

	char kill_rule[POL_PATH_MAX + 32]; /* "path:line [Kill]", for loop_act_escalate() */

	struct loop_victim victims[LOOP_VICTIMS_MAX];
	struct loop_group *groups; /* LOOP_GROUPS_MAX, allocated once (act_group is large) */
};

/* loop.c */
uint64_t loop_now_usec(void);
void loop_kick(struct loop *l, const char *why); /* a full step now */
void loop_kick_psi(struct loop *l); /* a PSI trigger fired: a step, LOOP_PSI_STEP_USEC apart */
/* A v1 usage threshold fired: a step now if available fell into a rung above the stage; true
 * if so (else the caller rests the threshold until the next poll). */
bool loop_kick_threshold(struct loop *l);
/* How many files of each kind decisions may keep open with a soft RLIMIT_NOFILE of nofile,
 * LOOP_FDS_SPARE left over: the machine's first, then cgroup groups (OG_CG_KEEP_FDS_PER_GROUP
 * fds each), then statm; each at most its LOOP_*_KEEP_MAX. Pure. */
struct loop_keep_room {
	size_t root, groups, statm;
};
struct loop_keep_room loop_keep_room(uint64_t nofile);

/* loop_watch.c: the fast read, PSI triggers, v1 thresholds (all fds of the scope) */
void loop_close_fd(int *fd); /* close if >= 0, set -1 */
void loop_unref_src(sd_event_source **s); /* disable, unref, set NULL */
void loop_setup_watches(struct loop *l); /* (re)open the scope: sets scope_missing if gone */
void loop_teardown_watches(struct loop *l);
/* The pressure the trigger watches (the scope's, or the machine's), read through the trigger's
 * own fd: 0 or -errno (-EBADF: no trigger). */
int loop_psi_read(const struct loop *l, struct og_psi *ret);
/* The v1 usage thresholds listen again (after a wake-up that decided nothing; each poll). */
void loop_thresholds_wake(struct loop *l);
/* The machine's memory pressure: through the trigger's fd when it watches the machine. */
int loop_psi_read_machine(const struct loop *l, struct og_psi *ret);

/* loop_procs.c: the process table and the decision's candidates */
int loop_procs_init(struct loop *l); /* 0 or -ENOMEM */
void loop_procs_free(struct loop *l);
void loop_procs_event(struct loop *l, enum pe_kind kind, pid_t pid, pid_t parent);
/* Bounded table work (stale entries, a rescan step); true: more waiting. */
bool loop_procs_work(struct loop *l, uint64_t now);
/* The decision's slots (l->snap.procs) written once ahead of need: for twice the processes in
 * the table, at least LOOP_SNAP_TOUCH_MIN, so that a fill under pressure finds them resident
 * (and locked). Grows with the table, from the table timer. */
void loop_procs_touch_ahead(struct loop *l);
/* After process events: only a look (comm) at new processes a protecting policy may match;
 * loads and rescans are loop_procs_work()'s, on the table timer. Done on every wake-up of a
 * busy machine's events, they took the CPU from reading them and the connector overflowed
 * (900 starts a second with 20,000 processes, 2026-12-03), each overflow forcing a deep
 * rescan. */
void loop_procs_peek(struct loop *l, uint64_t now);
void loop_procs_retag(struct loop *l); /* after a reload */
/* A scoped daemon's rescan: its scope's cgroup.procs (recursively), in one walk; entries not
 * listed are dropped, so the table holds the scope's processes only. 0 or -errno (no scope
 * directory). cb (may be NULL) for each entry reloaded. */
int loop_procs_scan_scope(struct loop *l, bool deep, void (*cb)(void *userdata, struct pt_proc *e));
/* Every stale entry an OOMScoreAdjust= policy may match: read and protected now (start-up). */
void loop_procs_peek_all(struct loop *l);
/* Fill l->snap.procs with this decision's candidates; hot: the terminate/kill zone (see
 * LOOP_FRESH_TOP). 0 or -errno (scope unreadable). */
int loop_procs_fill(struct loop *l, bool hot, uint64_t now);
/* From the table: is pid (this starttime) never to be signalled? *ret_known false: not known. */
bool loop_procs_protected(struct loop *l, pid_t pid, uint64_t starttime_ticks, bool *ret_known);
bool loop_procs_cgroup_has_protected(struct loop *l, const char *cg);

/* loop_act.c: plan execution, victims, protection, reports */
/* Below the kill threshold with a SIGTERMed victim in flight: SIGKILL it now, no decision. */
void loop_act_escalate(struct loop *l, uint64_t now);
void loop_act_rules_changed(struct loop *l); /* at start and after a reload */
void loop_act_plan(struct loop *l, uint64_t now);
bool loop_act_inflight(struct loop *l, uint64_t now);
void loop_act_release_all(struct loop *l);
int loop_act_setup(struct loop *l); /* the worker's completion source (after sd_event_new) */
void loop_act_teardown(struct loop *l); /* stop the worker, drop its source */
void loop_protect_proc(struct loop *l, const struct og_proc *p);
void loop_protect_all(struct loop *l);
bool loop_proc_in_scope(const struct loop *l, const struct og_proc *p);

/* loop_lineage.c: parents and children of protected processes */
/* proc_table_to_proc() plus parent_exe: from the table, else (resolve) one readlink when a
 * Children=no policy's keys match, else (!resolve) as the tag remembers it. */
void loop_lineage_proc(struct loop *l, const struct pt_proc *e, struct og_proc *p, bool resolve);
/* This daemon set p's oom_score_adj from before to after: remember it for its children. */
void loop_lineage_protected(struct loop *l, const struct og_proc *p, int before, int after);
/* e was loaded and no OOMScoreAdjust= policy matches it: put back a value it inherited from
 * a process we protected (loop_lineage.c has the rules). */
void loop_lineage_check(struct loop *l, struct pt_proc *e);
/* pid exited (its children are reparented by now): a child that was a copy of it may be the
 * daemon now (it daemonized), so those children are read again. */
void loop_lineage_exit(struct loop *l, pid_t pid);
/* inactive_file of a memory.stat buffer (v1: total_inactive_file), in bytes. 0 or -EBADMSG. */
int loop_parse_inactive_file(const char *buf, bool v1, uint64_t *ret_bytes);
int loop_fast_read(struct loop *l); /* 0 or -errno; -ENOENT etc. mark the scope missing */
/* loop_numa.c: node<N>/meminfo of every node (machine scope, >= 2 nodes): node_near and
 * node_poll_usec. */
void loop_nodes_poll(struct loop *l);
/* A node near its stage in the snapshot: read which nodes the largest processes are confined
 * to (og_proc.mems_mask) for the per-node stage. */
void loop_nodes_fill_mems(struct loop *l);
void loop_write_state(struct loop *l);
void loop_write_state_stopped(struct loop *l); /* at exit: running=no */
/* One daemon per state file: flock its "<state file>.lock". 0, -EBUSY (logged: who holds it)
 * or -errno. Nothing to lock (0) when the run has no state file. */
int loop_lock(struct loop *l);
int loop_record_alloc(struct loop *l); /* the report ring and the record, touched */
void loop_record_free(struct loop *l); /* marks the state stopped, drops the lock */
void loop_record_setup(struct loop *l); /* the metrics sources (after sd_event_new) */
/* The flight recorder's sample, about once a second: called by every tick (loop.c). */
void loop_record_sample(struct loop *l, uint64_t now);
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
