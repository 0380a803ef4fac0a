/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The event loop (see loop.h). Wake-ups, cheapest first:
 *   fast poll     one pread of meminfo (or the scope's usage and limit) per poll; the interval
 *                 shrinks with the headroom above the kill threshold (loop_poll_interval_usec)
 *   PSI trigger   the kernel wakes us when memory stalls pass 15% (some) / 5% (full) of a window
 *   v1 threshold  the memcg wakes us when the scope's usage crosses a rung (cgroup.event_control)
 *   pidfd         a victim exited: measure what it freed, let the engine go on
 * A full snapshot and a decision (pol_step) run only when one of them says a stage is near, or
 * every LOOP_SLOW_STEP_USEC when the policy has per-service budgets or pressure limits.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "guardian/base/log.h"
#include "guardian/base/log_cfg.h"
#include "guardian/loop/loop_int.h"
#include "guardian/sources/src_cgkeep.h"
#include "guardian/sources/src_slab.h"
#include "policy/config/cfg.h"
#include "policy/util/cleanup.h"
#include "policy/util/strutil.h"

uint64_t loop_now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t realtime_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

static bool scope_is_machine(const char *scope)
{
	return !scope[0] || strcmp(scope, "/") == 0;
}

/* ------------------------------------------------------------------ setup and teardown */

static void apply_rules_config(struct loop *l)
{
	const struct pol_config *cfg = &l->rules.cfg;

	if (!l->scope_from_cli)
		og_strscpy(l->scope, cfg->scope, sizeof(l->scope));
	if (scope_is_machine(l->scope))
		l->scope[0] = '\0';
	if (!l->report_dir[0] && strcmp(l->root_dir, "/") == 0) /* a fixture run: only if told */
		og_strscpy(l->report_dir,
			   cfg->report_dir[0] ? cfg->report_dir : OG_STATEDIR "/reports",
			   sizeof(l->report_dir));
	if (cfg->dry_run)
		l->dry_run = true;
}

static bool live_root(const struct loop *l)
{
	return strcmp(l->root_dir, "/") == 0;
}

static size_t take_room(size_t *left, size_t each, size_t max)
{
	size_t n = *left / each < max ? *left / each : max;

	*left -= n * each;
	return n;
}

struct loop_keep_room loop_keep_room(uint64_t nofile)
{
	struct loop_keep_room k;
	size_t left;

	if (nofile == RLIM_INFINITY || nofile > SIZE_MAX)
		left = SIZE_MAX;
	else
		left = nofile > LOOP_FDS_SPARE ? (size_t)nofile - LOOP_FDS_SPARE : 0;
	k.root = take_room(&left, 1, LOOP_ROOT_KEEP_MAX);
	k.groups = take_room(&left, OG_CG_KEEP_FDS_PER_GROUP, LOOP_CG_KEEP_MAX);
	k.statm = take_room(&left, 1, LOOP_STATM_KEEP_MAX);
	return k;
}

/* What decisions read again and again, kept between them (the daemon on the live root):
 * cgroup files, slab flags, statm, the machine's files. 0 or -ENOMEM. */
static int keep_open_new(struct loop *l)
{
	struct rlimit rl = {.rlim_cur = 1024}; /* the usual soft limit, if it cannot be read */
	struct loop_keep_room room;
	int r;

	(void)getrlimit(RLIMIT_NOFILE, &rl);
	room = loop_keep_room(rl.rlim_cur);
	r = og_cg_keep_new(room.groups, &l->col.cg_keep);

	if (r >= 0)
		r = og_slab_flags_new(&l->col.slab_flags);
	if (r >= 0)
		r = og_statm_keep_new(room.statm, &l->statm_keep);
	if (r >= 0)
		r = og_root_keep(&l->col.root, room.root);
	return r;
}

/* Every file kept open for decisions closed (reopened when they come near again). */
static void keep_open_close(struct loop *l)
{
	og_cg_keep_close_all(l->col.cg_keep);
	og_statm_keep_close_all(l->statm_keep);
	og_root_keep_close(&l->col.root);
}

int loop_new(const struct loop_opts *o, struct pol_rules *rules, struct loop **ret)
{
	struct loop *l = calloc(1, sizeof(*l));
	int r;

	if (!l) {
		pol_rules_free(rules);
		return -ENOMEM;
	}
	l->rules = *rules;
	memset(rules, 0, sizeof(*rules));
	l->psi_fd[0] = l->psi_fd[1] = l->thr_efd = -1;
	l->meminfo_fd = l->usage_fd = l->limit_fd = l->stat_fd = -1;
	l->pe.fd = -1;
	og_strscpy(l->root_dir, o->root_dir ? o->root_dir : "/", sizeof(l->root_dir));
	if (o->config_path) {
		og_strscpy(l->config_path, o->config_path, sizeof(l->config_path));
		l->has_config_path = true;
	}
	l->policy_dirs = o->policy_dirs;
	if (o->scope) {
		og_strscpy(l->scope, o->scope, sizeof(l->scope));
		l->scope_from_cli = true;
	}
	if (o->report_dir) {
		og_strscpy(l->report_dir, o->report_dir, sizeof(l->report_dir));
		l->report_dir_from_cli = true;
	}
	l->dry_run_from_cli = o->dry_run;
	/* A fixture run (--root) writes only where it is told: no state file by default. */
	if (o->state_file)
		og_strscpy(l->state_file, o->state_file, sizeof(l->state_file));
	else if (strcmp(l->root_dir, "/") == 0)
		og_strscpy(l->state_file, OG_RUNSTATEDIR "/state", sizeof(l->state_file));
	l->dry_run = o->dry_run;
	apply_rules_config(l);

	l->groups = calloc(LOOP_GROUPS_MAX, sizeof(*l->groups));
	if (!l->groups || loop_record_alloc(l) < 0) {
		r = -ENOMEM;
		goto fail;
	}
	if (!o->once) { /* one daemon per state file */
		r = loop_lock(l);
		if (r < 0)
			goto fail;
	}
	r = og_collector_open(&l->col, l->root_dir);
	if (r < 0) {
		(void)log_error_errno(r, "cannot open root '%s': %m", l->root_dir);
		goto fail;
	}
	r = og_snapshot_alloc(&l->snap, LOOP_CAP_SNAP_PROCS, LOOP_CAP_CGROUPS, LOOP_CAP_SLABS);
	if (r >= 0 && !o->once && live_root(l))
		r = keep_open_new(l);
	if (r < 0)
		goto fail;
	r = loop_procs_init(l);
	if (r < 0)
		goto fail;
	loop_procs_touch_ahead(l); /* the decision's candidates are written there under pressure */
	loop_act_rules_changed(l);
	r = pol_state_init(&l->st, &l->rules);
	if (r >= 0) /* the per-step policy cache, sized once: pol_step() never allocates */
		r = pol_state_reserve(&l->st, LOOP_CAP_SNAP_PROCS);
	if (r < 0)
		goto fail;
	/* Under a fixture root our own pid means nothing (and must not make plans differ). */
	l->pctx.self_pid = strcmp(l->root_dir, "/") == 0 ? getpid() : 0;
	act_ctx_init(&l->actx, &l->col.root, &l->col.mounts, l->dry_run);
	l->dry_run = l->actx.dry_run; /* a fixture root is dry-run, and its reports say so */
	l->actx.denied = &l->denied;
	l->actx.machine_wide_denied = l->scope[0] && !l->rules.cfg.machine_wide_reclaim;
	r = loop_worker_start(&l->worker); /* before mlockall: its stack is locked with us */
	if (r < 0)
		(void)log_warning_errno(r,
					"no worker thread (%m): caches dropped inline, ignoring");
	l->stage_since_usec = realtime_usec();
	*ret = l;
	return 0;
fail:
	loop_free(l);
	return r;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	loop_act_release_all(l);
	loop_act_teardown(l);
	if (l->reports) /* what was still queued (a victim in flight at exit) */
		loop_report_flush(l);
	loop_unref_src(&l->report_src);
	loop_teardown_watches(l);
	for (size_t i = 0; i < OG_ELEMENTSOF(l->sig_src); i++)
		loop_unref_src(&l->sig_src[i]);
	loop_unref_src(&l->poll_src);
	loop_unref_src(&l->rescan_src);
	loop_unref_src(&l->table_src);
	loop_unref_src(&l->procev_src);
	proc_events_close(&l->pe);
	loop_close_fd(&l->meminfo_fd);
	if (l->ev)
		sd_event_unref(l->ev);
	pol_state_free(&l->st);
	pol_rules_free(&l->rules);
	og_snapshot_free(&l->snap);
	loop_procs_free(l);
	og_statm_keep_free(l->statm_keep);
	og_collector_close(&l->col);
	free(l->groups);
	loop_record_free(l); /* after the flush: marks the state stopped, drops the lock */
	free(l);
}

/* ------------------------------------------------------------------ decisions */

static bool needs_slow_step(const struct loop *l)
{
	const struct pol_config *cfg = &l->rules.cfg;

	for (size_t i = 0; i < l->rules.nservices; i++) {
		const struct pol_service *s = &l->rules.services[i];

		if (s->budget_bytes || s->budget_permyriad || s->pressure_limit.set)
			return true;
	}
	/* PSI rungs without a trigger to tell us: look now and then. */
	for (int s = POL_STAGE_RECLAIM; s < POL_STAGE__MAX; s++)
		if ((cfg->stage[s].psi_some.set || cfg->stage[s].psi_full.set) && l->psi_fd[0] < 0)
			return true;
	return false;
}

static void set_stage(struct loop *l, enum pol_stage stage)
{
	char a[16], t[16];

	if (stage == l->stage)
		return;
	log_info("stage %s -> %s (available %s of %s%s%s)", pol_stage_name(l->stage),
		 pol_stage_name(stage), og_format_bytes(a, sizeof(a), l->plan.avail_bytes),
		 og_format_bytes(t, sizeof(t), l->plan.total_bytes), l->scope[0] ? " in " : "",
		 l->scope);
	l->stage = stage;
	l->stage_since_usec = realtime_usec();
	loop_write_state(l);
	sd_notifyf(0, "STATUS=stage %s, available %s of %s", pol_stage_name(stage), a, t);
}

/*
 * The snapshot of one decision. On the live system the processes come from the table
 * (loop_procs_fill: one statm read a candidate); under a fixture root from a whole read of its
 * proc/ (small trees), refused when it does not fit. 0 or -errno.
 */
static int take_snapshot(struct loop *l, unsigned what, bool hot, uint64_t now)
{
	bool table = live_root(l) && (what & OG_SNAP_PROCS);
	int r;

	if (table)
		what &= ~(unsigned)OG_SNAP_PROCS;
	r = og_snapshot_take(&l->col, what, l->scope, now, &l->snap);
	if (r == OG_SNAP_PROCS_TRUNCATED) {
		log_error("the process table of root '%s' holds more than %zu processes: not "
			  "deciding from a cut table",
			  l->root_dir, l->snap.cap_procs);
		return -EFBIG;
	}
	if (r >= 0 && table)
		r = loop_procs_fill(l, hot, now);
	return r;
}

/* The plan signals somebody (a victim, an escalation). */
static bool plan_signals(const struct pol_plan *plan)
{
	for (size_t i = 0; i < plan->n; i++)
		if (plan->actions[i].kind == POL_ACT_TERM || plan->actions[i].kind == POL_ACT_KILL)
			return true;
	return false;
}

static void full_step(struct loop *l, uint64_t now, bool hot)
{
	unsigned what = OG_SNAP_ALL;
	uint64_t t_snap;
	int r;

	/* In the terminate/kill zone every millisecond counts: skip the slab and NUMA walks
	 * (hundreds of sysfs files), which only the reclaim and NUMA rungs use. */
	if (hot)
		what &= ~(unsigned)(OG_SNAP_SLAB | OG_SNAP_NUMA);
	else if (l->psi_kick && l->stage == POL_STAGE_NONE && !l->near)
		what &= ~(unsigned)OG_SNAP_SLAB; /* LOOP_PSI_STEP_USEC */
	if (l->last_slab_usec && now - l->last_slab_usec < LOOP_SLAB_REFRESH_USEC)
		what &= ~(unsigned)OG_SNAP_SLAB; /* the list kept in snap stays */
	r = take_snapshot(l, what, hot, now);
	if (r >= 0 && (what & OG_SNAP_SLAB))
		l->last_slab_usec = now;
	l->last_full_usec = now;
	l->node_rung_decided = l->node_rung;
	if (r < 0) {
		(void)log_warning_errno(r, "snapshot failed: %m, skipping this tick");
		return;
	}
	if (l->scope[0] && l->snap.has_scope_cg)
		l->reclaim_est_bytes = l->snap.scope_cg.inactive_file_bytes;
	loop_nodes_fill_mems(l);
	t_snap = loop_now_usec();
	r = pol_step(&l->snap, &l->rules, &l->st, &l->pctx, now, &l->plan);
	if (r < 0) {
		(void)log_warning_errno(r, "decision failed: %m, skipping this tick");
		return;
	}
	log_debug("step: stage %s, available %" PRIu64 " of %" PRIu64 ", %d actions, %zu procs "
		  "(%zu guarded, %zu statm, %zu read whole%s); snapshot %" PRIu64 " us, "
		  "decision %" PRIu64 " us",
		  pol_stage_name(l->plan.stage), l->plan.avail_bytes, l->plan.total_bytes, r,
		  l->snap.nprocs, l->fill_seen, l->fill_read, l->fill_loaded,
		  l->fill_cached ? ", ranked from the last full ranking" : "", t_snap - now,
		  loop_now_usec() - t_snap);
	l->hot_idle = hot && !plan_signals(&l->plan);
	if (r > 0)
		loop_act_plan(l, now);
	pol_plan_explain(&l->plan); /* the rest (actions not carried out), for status */
	set_stage(l, l->plan.stage);
}

static void table_arm(struct loop *l, bool more);

static void rearm_poll(struct loop *l, uint64_t now, uint64_t interval)
{
	/* Accuracy 1/10 of the interval: the default 250 ms slack would undo the fast poll. */
	sd_event_source_set_time(l->poll_src, now + interval);
	sd_event_source_set_time_accuracy(l->poll_src, interval / 10 ? interval / 10 : 1);
	sd_event_source_set_enabled(l->poll_src, SD_EVENT_ONESHOT);
}

static void tick(struct loop *l, bool urgent)
{
	const struct pol_config *cfg = &l->rules.cfg;
	uint64_t now = loop_now_usec(), kill_thr, term_thr, top_thr = 0, interval;
	enum pol_stage rung = POL_STAGE_NONE;
	bool inflight, hot, near, hot_due = true;
	int r;

	if (l->scope[0] && l->scope_missing) {
		loop_setup_watches(l);
		if (l->scope_missing) {
			rearm_poll(l, now, LOOP_SCOPE_RECHECK_USEC);
			return;
		}
	}
	r = loop_fast_read(l);
	if (l->scope_missing) {
		rearm_poll(l, now, LOOP_SCOPE_RECHECK_USEC);
		return;
	}
	kill_thr = loop_threshold_bytes(&cfg->stage[POL_STAGE_KILL], l->total_bytes);
	term_thr = loop_threshold_bytes(&cfg->stage[POL_STAGE_TERMINATE], l->total_bytes);
	for (int s = POL_STAGE_RECLAIM; s < POL_STAGE__MAX; s++) {
		uint64_t t = loop_threshold_bytes(&cfg->stage[s], l->total_bytes);

		top_thr = t > top_thr ? t : top_thr;
		if (r >= 0 && l->avail_bytes < t)
			rung = (enum pol_stage)s;
	}
	/* A v1 usage threshold is urgent only into a rung above the stage the last decision
	 * found (loop_kick_threshold); back out of one, the poll's own rules decide. */
	if (l->thr_kick) {
		urgent = r < 0 || rung > l->stage;
		l->thr_kick = urgent;
	}
	if (r >= 0 && l->avail_bytes < kill_thr) {
		if (!l->kill_crossed_usec)
			l->kill_crossed_usec = now;
	} else {
		l->kill_crossed_usec = 0;
	}
	inflight = loop_act_inflight(l, now);
	/* Below the kill threshold with a SIGTERMed victim: SIGKILL it now, before any
	 * decision (a few system calls; the decision that follows only confirms it). */
	if (inflight && l->kill_crossed_usec)
		loop_act_escalate(l, now);
	hot = r < 0 || l->avail_bytes < term_thr + term_thr / 4;
	loop_nodes_poll(l);
	near = hot || l->avail_bytes < top_thr + top_thr / 4 || l->stage != POL_STAGE_NONE;
	l->hot = hot && r >= 0;
	if (near != l->near) { /* the background measurement follows (loop_procs.c) */
		l->near = near;
		table_arm(l, false);
		if (!near) /* decisions are seconds or more apart now: no files held for them */
			keep_open_close(l);
	}
	/* In the hot zone decide on every poll while memory keeps falling (a quarter of the
	 * terminate-kill gap since the last decision), else every 100 ms: a host that sits near
	 * the terminate rung with nothing left to kill must not burn a core on snapshots. Once a
	 * decision there found nothing to signal (nobody eligible, or shmem no kill frees), every
	 * LOOP_NEAR_STEP_USEC while memory holds (VM tier, tmpfs at 3% available, 2026-12-02:
	 * 10 decisions a second cost 81 CPU seconds). */
	if (hot && r >= 0 && !urgent && !inflight &&
	    now - l->last_full_usec < (l->hot_idle ? LOOP_NEAR_STEP_USEC : 100000) &&
	    l->avail_bytes + (term_thr > kill_thr ? (term_thr - kill_thr) / 4 : 0) >
		    l->last_full_avail_bytes)
		hot_due = false;
	/* In flight, the victim's exit (pidfd) and the kill threshold need no decision: one
	 * every LOOP_INFLIGHT_STEP_USEC for grace escalation and further victims. */
	if (inflight && now - l->last_full_usec < LOOP_INFLIGHT_STEP_USEC)
		hot_due = false;
	/* A node near its own stage (a bound process fills it at any rate while the machine is
	 * fine): its crossings and its terminate zone every 100 ms (loop_node_step_due). */
	if (urgent || (inflight && hot_due) || (hot && hot_due) ||
	    (l->node_near && !inflight &&
	     loop_node_step_due(l->node_rung, l->node_rung_decided, l->node_hot,
				now - l->last_full_usec)) ||
	    (near && !hot && now - l->last_full_usec >= LOOP_NEAR_STEP_USEC) ||
	    (now - l->last_full_usec >= LOOP_SLOW_STEP_USEC && needs_slow_step(l))) {
		l->last_full_avail_bytes = l->avail_bytes;
		full_step(l, now, hot);
	}

	interval = loop_poll_interval_usec(l->avail_bytes, kill_thr, LOOP_RATE_MAX_BYTES_PER_SEC);
	if (loop_act_inflight(l, now) && interval > LOOP_INFLIGHT_POLL_USEC)
		interval = LOOP_INFLIGHT_POLL_USEC;
	if (l->node_poll_usec && interval > l->node_poll_usec)
		interval = l->node_poll_usec;
	if (l->stage != POL_STAGE_NONE && interval > 500000)
		interval = 500000;
	loop_record_sample(l, now);
	rearm_poll(l, loop_now_usec(), interval);
}

void loop_kick(struct loop *l, const char *why)
{
	log_debug("woken by %s", why);
	tick(l, true);
}

/*
 * A PSI wake-up with no stage on, far from every memory threshold, under every stage's
 * pressure limit: a step would decide nothing (pol_psi_quiet), and its snapshot is skipped. The
 * trigger fires at 15% stalls, the stages' limits start at 40% (VM tier, thrash, 2026-12-03:
 * a whole snapshot every 2 s for pressure of 10-17%, 4.97 CPU s where earlyoom took 1.08).
 */
static bool psi_wake_quiet(const struct loop *l, struct og_psi *psi)
{
	if (l->stage != POL_STAGE_NONE || l->near || l->node_near || loop_psi_read(l, psi) < 0)
		return false;
	return pol_psi_quiet(&l->rules, &l->st, psi);
}

bool loop_kick_threshold(struct loop *l)
{
	bool decided;

	l->thr_kick = true;
	tick(l, true);
	decided = l->thr_kick;
	l->thr_kick = false;
	log_debug("woken by v1-threshold%s",
		  decided ? "" : " (no rung above the stage: the poll decides)");
	return decided;
}

void loop_kick_psi(struct loop *l)
{
	bool due = loop_now_usec() - l->last_full_usec >= LOOP_PSI_STEP_USEC;
	struct og_psi psi;

	if (due && psi_wake_quiet(l, &psi)) {
		log_debug("woken by psi: some %u.%02u%%, full %u.%02u%% (avg10), under every "
			  "stage's limit: no step",
			  psi.some.avg10_centi / 100, psi.some.avg10_centi % 100,
			  psi.full.avg10_centi / 100, psi.full.avg10_centi % 100);
		tick(l, false);
		return;
	}
	log_debug("woken by psi%s", due ? "" : " (decided less than 2 s ago: the poll decides)");
	l->psi_kick = due;
	tick(l, due);
	l->psi_kick = false;
}

static int poll_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	tick(userdata, false);
	loop_thresholds_wake(userdata);
	return 0;
}

/* ------------------------------------------------------------------ protection */

/* Table work: soon while some is waiting, else at the next rescan. */
static uint64_t table_due(const struct loop *l, bool more, uint64_t now)
{
	if (l->near) {
		uint64_t at = now + LOOP_SWEEP_TICK_USEC,
			 rested = l->last_rank_usec + LOOP_SWEEP_REST_USEC;

		/* between two sweeps of a small table, with nothing new to read: no step is due
		 * before the next sweep (ten wake-ups a second that did nothing: a guest under TCG
		 * near a stage, 2026-12-03, 1.41 CPU s a minute with them, 1.09 s without) */
		if (l->sweep_pos == 0 && l->last_rank_usec && rested > at && !l->table.nstale &&
		    !l->rescan_due && !l->rescan_deep_due)
			at = rested;
		return at;
	}
	if (more || l->rescan_due || l->rescan_deep_due)
		return now + LOOP_TABLE_TICK_USEC;
	if (l->table.nstale > 0) /* new processes: read once they have lived a while */
		return now + LOOP_TABLE_SETTLE_MS * 1000ULL;
	return l->next_rescan_usec < l->next_deep_usec ? l->next_rescan_usec : l->next_deep_usec;
}

static void table_arm(struct loop *l, bool more)
{
	if (!l->table_src)
		return;
	sd_event_source_set_time(l->table_src, table_due(l, more, loop_now_usec()));
	sd_event_source_set_enabled(l->table_src, SD_EVENT_ONESHOT);
}

/* After process events: the step is made due sooner if need be, never later (events come
 * faster than LOOP_TABLE_TICK_USEC on a busy machine and would put it off for ever). */
static void table_arm_sooner(struct loop *l)
{
	uint64_t at, cur;
	int enabled = SD_EVENT_OFF;

	if (!l->table_src)
		return;
	at = table_due(l, false, loop_now_usec());
	if (sd_event_source_get_enabled(l->table_src, &enabled) >= 0 && enabled != SD_EVENT_OFF &&
	    sd_event_source_get_time(l->table_src, &cur) >= 0 && cur <= at)
		return;
	sd_event_source_set_time(l->table_src, at);
	sd_event_source_set_enabled(l->table_src, SD_EVENT_ONESHOT);
}

static int table_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct loop *l = userdata;
	bool more = loop_procs_work(l, loop_now_usec());

	if (!l->hot) /* not with memory short: the slots already there must do */
		loop_procs_touch_ahead(l);
	table_arm(l, more);
	return 0;
}

static void rescan_arm(struct loop *l)
{
	uint64_t now = loop_now_usec();

	l->next_rescan_usec =
		now + (l->have_proc_events ? LOOP_RESCAN_USEC : LOOP_RESCAN_FALLBACK_USEC);
	if (l->next_deep_usec > now + LOOP_DEEP_RESCAN_USEC || !l->next_deep_usec ||
	    (!l->have_proc_events && l->next_deep_usec > now + LOOP_DEEP_FALLBACK_USEC))
		l->next_deep_usec = now + (l->have_proc_events ? LOOP_DEEP_RESCAN_USEC
							       : LOOP_DEEP_FALLBACK_USEC);
	table_arm(l, false);
}

static void proc_event(void *userdata, enum pe_kind kind, pid_t pid, pid_t parent)
{
	loop_procs_event(userdata, kind, pid, parent);
}

/*
 * Process events keep the process table current (fork, exec, uid, comm, exit: issue 7) and carry
 * protection to new processes. The kernel filters out threads; a burst is read in one go.
 */

/* A burst of execs (a build, a shell loop) is read in one go: after one dispatch the source
 * rests for this long while the kernel queues (4 MiB). A lone exec is still seen at once,
 * one in a burst within 250 ms (each wakeup costs ~50-100 us here: at 100 ms, 107 ms CPU a
 * minute at 175 execs/s; at 250 ms, 64). */
#define LOOP_PROCEV_BATCH_USEC (250 * 1000ULL)
/* ... and up to this many reads of 512 a dispatch: 65,536 events a second */
#define LOOP_PROCEV_ROUNDS 32

static int procev_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct loop *l = userdata;
	int r, rounds = 0;

	/* The source rests LOOP_PROCEV_BATCH_USEC after a dispatch: what queued meanwhile is
	 * read now, not 512 a rest (2,048 a second: 900 starts a second, three events each,
	 * overflowed the socket and forced a deep rescan every 20 s, 2026-12-03). */
	do
		r = proc_events_read(&l->pe, proc_event, l);
	while (r >= 0 && l->pe.more && ++rounds < LOOP_PROCEV_ROUNDS);

	/* A new process a protecting policy may match is looked at now; reading new processes
	 * is the table timer's: the short-lived ones of a burst have exited by then and cost
	 * nothing. */
	loop_procs_peek(l, loop_now_usec());
	table_arm_sooner(l);
	if (r < 0 && r != -EAGAIN) {
		(void)log_warning_errno(
			r, "proc connector failed: %m; rescanning every %llu s instead",
			LOOP_RESCAN_FALLBACK_USEC / 1000000);
		loop_unref_src(&l->procev_src);
		proc_events_close(&l->pe);
		l->have_proc_events = false;
		rescan_arm(l);
	}
	return 0;
}

static void setup_proc_events(struct loop *l)
{
	int r;

	if (strcmp(l->root_dir, "/") != 0) /* the connector speaks of this kernel's pids */
		return;
	r = proc_events_open_kinds(&l->pe, PE_WANT(PE_FORK) | PE_WANT(PE_EXEC) | PE_WANT(PE_COMM) |
						   PE_WANT(PE_UID) | PE_WANT(PE_EXIT));

	if (r >= 0)
		r = sd_event_add_io(l->ev, &l->procev_src, proc_events_fd(&l->pe), EPOLLIN,
				    procev_io, l);
	if (r >= 0 && sd_event_source_set_ratelimit(l->procev_src, LOOP_PROCEV_BATCH_USEC, 1) < 0)
		log_debug("proc connector: no rate limit on its source, reading every event");
	if (r < 0) {
		log_info("no proc connector (%s): new processes are found (and protected) by a "
			 "rescan every %llu s",
			 strerror(-r), LOOP_RESCAN_FALLBACK_USEC / 1000000);
		proc_events_close(&l->pe);
		return;
	}
	l->have_proc_events = true;
}

/* ------------------------------------------------------------------ signals */

/* ReportDirectory= and DryRun= follow a reload (unless given on the command line). A report
 * directory that cannot be created keeps the old one. A fixture root stays dry-run. */
static void reload_report_dir_and_dry_run(struct loop *l, const struct pol_config *cfg)
{
	const char *dir = cfg->report_dir[0] ? cfg->report_dir : OG_STATEDIR "/reports";
	int r;

	if (!l->report_dir_from_cli && strcmp(l->root_dir, "/") == 0 &&
	    strcmp(dir, l->report_dir) != 0) {
		r = loop_mkdir_p(dir);
		if (r < 0)
			(void)log_warning_errno(r,
						"reload: ReportDirectory='%s' cannot be created: "
						"%m; reports stay in '%s', ignoring",
						dir, l->report_dir);
		else {
			log_notice("reload: reports now go to '%s' (were '%s')", dir,
				   l->report_dir);
			og_strscpy(l->report_dir, dir, sizeof(l->report_dir));
		}
	}
	if (!l->dry_run_from_cli && cfg->dry_run != l->dry_run && strcmp(l->root_dir, "/") == 0) {
		l->dry_run = cfg->dry_run;
		l->actx.dry_run = cfg->dry_run;
		log_notice("reload: DryRun=%s: %s", cfg->dry_run ? "yes" : "no",
			   cfg->dry_run ? "deciding and logging only from now on"
					: "acting for real from now on");
		loop_write_state(l);
	}
}

/* Why a reload was refused, for the state file: the first error and how many more. */
static void reload_refused(struct loop *l, const struct cfg_diag *diag, int r)
{
	char line[POL_PATH_MAX + CFG_KEY_MAX + CFG_MSG_MAX + 32];

	l->reload_refused = true;
	for (size_t i = 0; i < diag->n; i++) {
		if (diag->entries[i].severity != CFG_SEV_ERROR)
			continue;
		snprintf(l->reload_reason, sizeof(l->reload_reason), "%s%s",
			 cfg_diag_format_bare(&diag->entries[i], line, sizeof(line)),
			 diag->nerrors > 1 ? " (and more errors: see the log)" : "");
		return;
	}
	snprintf(l->reload_reason, sizeof(l->reload_reason), "%s", strerror(-r));
}

static void reload(struct loop *l)
{
	struct pol_rules fresh = {0};
	struct cfg_diag diag;
	int r;

	l->reload_gen++;
	l->reload_refused = false;
	l->reload_reason[0] = '\0';
	cfg_diag_init(&diag);
	r = cfg_load(strcmp(l->root_dir, "/") ? l->root_dir : NULL,
		     l->has_config_path ? l->config_path : NULL, l->policy_dirs, &fresh, &diag);
	log_cfg_diag(&diag);
	if (r < 0)
		reload_refused(l, &diag, r);
	cfg_diag_free(&diag);
	if (r < 0) {
		loop_record_reload_failed(l);
		(void)log_error_errno(r, "reload failed (%m): keeping the running policy");
		return;
	}
	r = pol_state_rebind(&l->st, &fresh);
	if (r < 0) {
		(void)log_error_errno(r, "reload: cannot carry engine state over (%m): keeping the "
					 "running policy");
		l->reload_refused = true;
		snprintf(l->reload_reason, sizeof(l->reload_reason),
			 "cannot carry engine state over: %s", strerror(-r));
		pol_rules_free(&fresh);
		return;
	}
	if (!l->scope_from_cli && strcmp(fresh.cfg.scope, l->rules.cfg.scope) != 0)
		log_warning("reload: Scope= changed to '%s'; takes effect on restart, ignoring",
			    fresh.cfg.scope);
	reload_report_dir_and_dry_run(l, &fresh.cfg);
	pol_rules_free(&l->rules);
	l->rules = fresh;
	l->actx.machine_wide_denied = l->scope[0] && !l->rules.cfg.machine_wide_reclaim;
	log_notice("reloaded: %zu polic%s from %zu file%s", l->rules.nservices,
		   l->rules.nservices == 1 ? "y" : "ies", l->rules.nfiles,
		   l->rules.nfiles == 1 ? "" : "s");
	loop_setup_watches(l); /* thresholds follow the new ladder */
	if (!l->have_proc_events)
		setup_proc_events(l);
	rescan_arm(l); /* its period depends on the connector */
	loop_procs_retag(l); /* the cached policy of every process follows the new rules */
	loop_act_rules_changed(l);
	loop_protect_all(l);
	tick(l, true);
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	struct loop *l = userdata;

	if (si->ssi_signo == SIGHUP) {
		sd_notify(0, "RELOADING=1");
		log_info("SIGHUP: reloading policy");
		reload(l);
		loop_write_state(l); /* the answer oomguardianctl reload waits for */
		sd_notify(0, "READY=1");
		return 0;
	}
	log_info("%s: exiting", si->ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
	sd_notify(0, "STOPPING=1");
	sd_event_exit(l->ev, 0);
	return 0;
}

/* ------------------------------------------------------------------ reports */

/* Idle priority: runs only when no poll, PSI, threshold or pidfd event is pending, and writes
 * only when no victim is in flight. Re-armed by every loop_report_queue(); the report that
 * closes the last victim's story re-arms it once nothing is in flight any more. */
static int report_defer(sd_event_source *s, void *userdata)
{
	struct loop *l = userdata;

	if (loop_reports_may_flush(l))
		loop_report_flush(l);
	return 0;
}

/* ------------------------------------------------------------------ run */

static int setup(struct loop *l)
{
	static const int sigs[] = {SIGHUP, SIGTERM, SIGINT};
	sigset_t mask;
	int r;

	r = sd_event_new(&l->ev);
	if (r < 0)
		return log_error_errno(r, "sd_event_new: %m");
	sigemptyset(&mask);
	for (size_t i = 0; i < OG_ELEMENTSOF(sigs); i++)
		sigaddset(&mask, sigs[i]);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return log_error_errno(-errno, "sigprocmask: %m");
	for (size_t i = 0; i < OG_ELEMENTSOF(sigs); i++) {
		r = sd_event_add_signal(l->ev, &l->sig_src[i], sigs[i], on_signal, l);
		if (r < 0)
			return log_error_errno(r, "cannot watch signal %d: %m", sigs[i]);
	}
	r = sd_event_set_watchdog(l->ev, 1);
	if (r < 0)
		(void)log_warning_errno(r, "watchdog: %m, ignoring");
	r = sd_event_add_time(l->ev, &l->poll_src, CLOCK_MONOTONIC, loop_now_usec(), 1000,
			      poll_timer, l);
	if (r >= 0)
		r = sd_event_add_time(l->ev, &l->table_src, CLOCK_MONOTONIC, UINT64_MAX, 10000,
				      table_timer, l);
	if (r < 0)
		return log_error_errno(r, "cannot add timers: %m");
	sd_event_source_set_enabled(l->poll_src, SD_EVENT_ONESHOT);
	r = sd_event_add_defer(l->ev, &l->report_src, report_defer, l);
	if (r >= 0)
		r = sd_event_source_set_priority(l->report_src, SD_EVENT_PRIORITY_IDLE);
	if (r < 0)
		return log_error_errno(r, "cannot add the report source: %m");
	sd_event_source_set_enabled(l->report_src, SD_EVENT_OFF);
	loop_act_setup(l);
	loop_record_setup(l);
	loop_setup_watches(l);
	setup_proc_events(l);
	return 0;
}

int loop_run(struct loop *l)
{
	char a[16], t[16];
	int r = setup(l);

	if (r < 0)
		return r;
	/* Every pid now; those an OOMScoreAdjust= policy may match are read (and protected) at
	 * once, the rest in bounded steps from the table timer: ~20,000 processes at ~30 us
	 * each would hold up the start by a second. Events and rescans keep it current. */
	l->table.clock_ms = (uint32_t)(loop_now_usec() / 1000);
	if (l->scope[0]) /* the scope's processes only; missing yet: the next rescan */
		(void)loop_procs_scan_scope(l, false, NULL);
	else
		while (proc_table_rescan_step(&l->table, &l->col.root, false, SIZE_MAX, NULL,
					      NULL) > 0)
			;
	loop_procs_peek_all(l);
	l->started_usec = loop_now_usec();
	log_info("process table: %zu processes%s, %zu bytes%s", l->table.n,
		 l->scope[0] ? " (the scope's only)" : "", proc_table_bytes(&l->table),
		 l->have_proc_events ? ", kept current by the proc connector"
				     : ", kept current by rescans");
	rescan_arm(l);
	r = loop_fast_read(l);
	loop_write_state(l);
	log_notice("guarding %s%s: available %s of %s, %zu polic%s%s",
		   l->scope[0] ? "cgroup " : "the whole machine", l->scope,
		   og_format_bytes(a, sizeof(a), l->avail_bytes),
		   og_format_bytes(t, sizeof(t), l->total_bytes), l->rules.nservices,
		   l->rules.nservices == 1 ? "y" : "ies", l->dry_run ? " (dry-run)" : "");
	sd_notifyf(0, "READY=1\nSTATUS=stage none, available %s of %s", a, t);
	r = sd_event_loop(l->ev);
	if (r < 0)
		return log_error_errno(r, "event loop failed: %m");
	return 0;
}

int loop_once(struct loop *l, FILE *out)
{
	uint64_t now = loop_now_usec();
	int r;

	if (live_root(l)) { /* one decision and out: read every guarded process now, whole */
		if (l->scope[0]) { /* the scope's cgroup.procs only, not all of /proc */
			r = loop_procs_scan_scope(l, false, NULL);
			if (r < 0)
				(void)log_debug_errno(r, "listing the scope's processes: %m");
		} else {
			while (proc_table_rescan_step(&l->table, &l->col.root, false, SIZE_MAX,
						      NULL, NULL) > 0)
				;
		}
		while (proc_table_refresh(&l->table, &l->col.root, SIZE_MAX, 0, NULL, NULL) > 0)
			;
		loop_procs_retag(l);
	}
	r = take_snapshot(l, OG_SNAP_ALL, false, now);
	if (r < 0)
		return log_error_errno(r, "cannot take a snapshot of '%s': %m", l->root_dir);
	r = pol_step(&l->snap, &l->rules, &l->st, &l->pctx, now, &l->plan);
	if (r < 0)
		return log_error_errno(r, "decision failed: %m");
	pol_plan_explain(&l->plan);
	loop_print_plan(out, &l->plan, l->dry_run);
	return 0;
}
