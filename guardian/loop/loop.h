/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's event loop: the only owner of fds and time (style.md section 1). One sd-event
 * loop over
 *   - signal sources (SIGHUP reload, SIGTERM/SIGINT clean exit; the signals are blocked, so
 *     there are no async handlers),
 *   - PSI trigger fds on /proc/pressure/memory or the scope's cgroup2 memory.pressure
 *     (EPOLLPRI; one trigger per fd; 1 s windows, or 2 s where the kernel wants that),
 *   - cgroup v1 usage threshold eventfds (cgroup.event_control) for a v1 scope,
 *   - the fast adaptive poll of available memory (one pread per poll),
 *   - the proc connector (exec events -> protection) with a periodic rescan,
 *   - victims' pidfds (EPOLLIN = exited) and cgroup.events for killed groups.
 * Everything is allocated in loop_new(): nothing on the path from detection to kill allocates.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "policy/plan.h"
#include "policy/rules.h"

struct loop_opts {
	const char *root_dir; /* NULL = "/" */
	const char *config_path; /* NULL = the default search (see cfg_load()) */
	const char *const *policy_dirs; /* NULL = the default search path */
	const char *scope; /* NULL: from the config (Scope=), "" or "/" = whole machine */
	const char *report_dir; /* NULL: from the config, else OG_STATEDIR "/reports" */
	const char *state_file; /* NULL: OG_RUNSTATEDIR "/state" */
	bool dry_run;
	bool once; /* loop_once(): print the plan, do not act */
};

struct loop;

/*
 * Set everything up from rules (ownership passes to the loop, also on failure): the collector,
 * the preallocated snapshot, engine state, the act context. No fd watches yet.
 * 0 or -errno.
 */
int loop_new(const struct loop_opts *opts, struct pol_rules *rules, struct loop **ret);

/* Close every fd and free everything; NULL is fine. */
void loop_free(struct loop *l);

/*
 * Run until SIGTERM/SIGINT: sets up signals, PSI triggers, thresholds, timers and the proc
 * connector, applies protection once, sends READY=1, then dispatches. 0 on a clean exit or
 * -errno if the loop could not be set up.
 */
int loop_run(struct loop *l);

/* One snapshot and one decision (no acting, no fds watched); prints the plan to out. 0 or
 * -errno (the snapshot could not be taken). */
int loop_once(struct loop *l, FILE *out);

/*
 * Dry-run every action kind once against the real kernel read paths (nothing is written):
 * exercises the code before mlockall so its pages are resident. 0 or -errno of the first
 * action that failed in a way dry-run should never fail.
 */
int loop_self_test(struct loop *l);

/* ------------------------------------------------------------------ pure helpers (tested) */

/* The fastest allocation the poll must keep up with: 2 GiB/s (issue 4). */
#define LOOP_RATE_MAX_BYTES_PER_SEC (2ULL << 30)
#define LOOP_POLL_MIN_USEC 10000ULL /* 10 ms: below this the poll itself becomes the load */
#define LOOP_POLL_MAX_USEC 1000000ULL /* 1 s on a healthy machine */

/*
 * Interval until the next poll: half the time an allocation at rate bytes/s needs to eat the
 * headroom avail - kill_bytes, clamped to [LOOP_POLL_MIN_USEC, LOOP_POLL_MAX_USEC]. At the
 * terminate threshold this is (term - kill) / (2 * rate), so such an allocation is seen at
 * least twice between the terminate and the kill threshold. kill_bytes 0 (no memory threshold
 * configured) gives the maximum.
 */
uint64_t loop_poll_interval_usec(uint64_t avail_bytes, uint64_t kill_bytes, uint64_t rate);

/*
 * A decision is due for a node near a stage of its own (loop_nodes_poll), since_usec after the
 * last one: every 100 ms on a node's crossing into a rung above the one that decision saw
 * (rung > rung_decided) or while a node is in its terminate zone (hot), else every
 * LOOP_NEAR_STEP_USEC, as the machine's near zone. Each decision there reads which processes
 * are confined to the node; at 10 a second that was most of the daemon's CPU in the VM tier's
 * numa scenario (1.15-1.56 CPU s where earlyoom took 0.09).
 */
bool loop_node_step_due(int rung, int rung_decided, bool hot, uint64_t since_usec);

/* The bytes threshold of one rung: max(mem_avail_bytes, mem_avail_permyriad * total / 10000);
 * 0 when the rung has no memory threshold. */
uint64_t loop_threshold_bytes(const struct pol_threshold *t, uint64_t total_bytes);

/*
 * The PSI trigger line for a stall of stall_usec per window_usec ("some 150000 1000000").
 * Returns the length, or -ENOBUFS.
 */
int loop_psi_trigger_format(char *buf, size_t size, bool full, uint64_t stall_usec,
			    uint64_t window_usec);

/* Print a plan as the golden tests expect (one key=value block per action). */
void loop_print_plan(FILE *out, const struct pol_plan *plan, bool dry_run);
