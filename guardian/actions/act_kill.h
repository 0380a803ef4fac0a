/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kill ladder. A victim is held by a pidfd from the moment it is chosen, its identity
 * (pid + starttime) is confirmed right after pidfd_open, and every signal goes through the
 * pidfd, so a reused pid can never be hit. SIGTERM at most once, SIGKILL at most once, and
 * process_mrelease only after SIGKILL (after SIGTERM the kernel rejects it with EINVAL, and
 * the victim may still be cleaning up). The loop waits on act_victim_fd() (POLLIN = exited)
 * or polls with act_victim_wait().
 *
 * Every signal logs one NOTICE line with MESSAGE_ID ACT_KILL_MESSAGE_ID: what, to whom
 * (pid, comm, unit, cgroup), which rule, measured vs limit, and "dry-run" when it is one.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "guardian/actions/act.h"
#include "policy/model.h"
#include "policy/plan.h"

/*
 * journal MESSAGE_ID of every kill-ladder action (SIGTERM, SIGKILL, cgroup.kill, process
 * group kill) and of the "victim exited" report. Generated once with uuid4; never change it:
 * `journalctl MESSAGE_ID=f7ac68fdfe7c4491bac6cde0323adf2d` finds all our kills.
 */
#define ACT_KILL_MESSAGE_ID "f7ac68fdfe7c4491bac6cde0323adf2d"

enum act_sent {
	ACT_SENT_TERM = 1u << 0,
	ACT_SENT_KILL = 1u << 1,
	ACT_SENT_MRELEASE = 1u << 2, /* process_mrelease succeeded */
};

struct act_victim {
	pid_t pid;
	uint64_t starttime_ticks;
	pid_t pgid;
	int pidfd; /* -1 after close, or when pidfd_open failed (kill(2) fallback) */
	bool no_pidfd; /* fallback mode: identity re-checked before each kill(2) */
	char comm[OG_COMM_MAX];
	char unit[OG_UNIT_MAX]; /* for messages only; "" if unknown */
	char cgroup[OG_CGROUP_PATH_MAX];
	unsigned sent; /* enum act_sent */
	int mrelease_r; /* process_mrelease after SIGKILL: 0 or -errno; 1 = not called */
	bool exited;
	uint64_t opened_usec, term_usec, kill_usec, exited_usec; /* ops->now_usec; 0 = not yet */
};

/*
 * Open the victim: pidfd_open(pid), then re-read /proc/PID/stat through ctx->root and compare
 * its starttime with starttime_ticks (what the snapshot saw). Refuses ctx->self_pid and pid <= 1.
 * 0; -ESRCH if the pid is gone or now belongs to another process (nothing was signalled);
 * -EPERM for self, init or a kernel thread; -EINVAL for starttime_ticks 0 (identity is
 * mandatory); other -errno. *ret is untouched on failure (no fd leaked).
 * pidfd_open failing with anything but ESRCH/EINVAL (ENOSYS before 5.3, EPERM under seccomp,
 * EMFILE, ENOMEM) is not "gone": the victim is opened without a pidfd (no_pidfd) and signalled
 * with kill(2) after a fresh start time check (warned once per errno, ENOSYS silently).
 * In dry-run the pidfd is opened too (it changes nothing) so the check is real.
 */
int act_victim_open(const struct act_ctx *ctx, pid_t pid, uint64_t starttime_ticks,
		    struct act_victim *ret);

/* Same, from a plan entry (target.pid, target.starttime_ticks, comm, unit, cgroup). */
int act_victim_open_target(const struct act_ctx *ctx, const struct pol_target *t,
			   struct act_victim *ret);

/*
 * SIGTERM through the pidfd. 1 sent (or would be, in dry-run); -EALREADY if TERM or KILL was
 * already sent on this victim (nothing sent); -ESRCH if it is gone (marks it exited); -errno.
 */
int act_victim_term(const struct act_ctx *ctx, struct act_victim *v, const struct pol_action *why);

/*
 * SIGKILL through the pidfd, then process_mrelease(pidfd, 0) to free its memory now instead of
 * when the exit path gets to it. ENOSYS (kernel < 5.15), EINVAL (not yet dying / already
 * released) and ESRCH (already reaped) from process_mrelease are fine. 1 sent; -EALREADY if
 * KILL was already sent; -ESRCH if it is gone; -errno.
 */
int act_victim_kill(const struct act_ctx *ctx, struct act_victim *v, const struct pol_action *why);

/* The pidfd to watch (POLLIN = the process exited), or -1 (fallback mode: poll instead). */
int act_victim_fd(const struct act_victim *v);

/*
 * Has it exited? Waits at most timeout_ms (0 = just look; the loop uses 0 from an IO source or
 * a timer). 1 exited (exited_usec set), 0 still there, -errno. Only observes: the same in
 * dry-run (a victim that was not signalled may still exit on its own).
 */
int act_victim_wait(const struct act_ctx *ctx, struct act_victim *v, int timeout_ms);

/* Microseconds from the first signal to the exit (0 if not both known). */
uint64_t act_victim_elapsed_usec(const struct act_victim *v);

/*
 * Log (NOTICE, ACT_KILL_MESSAGE_ID) that the victim is gone: freed = before - after (0 if
 * negative), elapsed time, whether it took SIGKILL. Call after act_victim_wait() returned 1.
 */
void act_victim_report(const struct act_ctx *ctx, const struct act_victim *v, uint64_t before_bytes,
		       uint64_t after_bytes);

/* Close the pidfd; safe twice and on a zeroed victim with pidfd -1. */
void act_victim_close(const struct act_ctx *ctx, struct act_victim *v);

/*
 * Predicate for the group kills: true = protected, skip it (never signalled). May be NULL.
 */
typedef bool (*act_protected_fn)(void *userdata, pid_t pid, uint64_t starttime_ticks,
				 const char *comm);

/*
 * A set of victims killed together (KillUnit=process-group, or a v1 cgroup / a cgroup with
 * protected members). Fixed size, lives in the caller's preallocated state: no allocation on
 * the kill path. Members found beyond ACT_GROUP_MAX are counted in `overflow` and killed by
 * a later act_group_kill() rescan once earlier ones have gone.
 */
#define ACT_GROUP_MAX 128
enum act_group_kind {
	ACT_GROUP_PGID = 0,
	ACT_GROUP_CGROUP,
};
struct act_group {
	enum act_group_kind kind;
	pid_t pgid;
	char cgroup[OG_CGROUP_PATH_MAX];
	bool v1; /* cgroup: tasks from the v1 memory hierarchy */
	act_protected_fn prot; /* as given to act_group_open_*(), for act_group_kill's rescan */
	void *prot_userdata;
	size_t skipped; /* protected members left alone */
	size_t overflow;
	size_t n;
	struct act_victim v[ACT_GROUP_MAX];
};

/*
 * Collect the members of process group pgid (a scan of /proc, each member pidfd-opened and
 * identity-checked; self and protected ones skipped). Returns the number held (> 0), -ESRCH
 * if no member could be held (empty group), -errno.
 */
int act_group_open_pgid(const struct act_ctx *ctx, pid_t pgid, act_protected_fn prot,
			void *userdata, struct act_group *ret);

/*
 * Collect the tasks of a cgroup and its descendants: cgroup.procs of the v1 memory group when
 * mounts->layout is OG_CG_V1, else of the cgroup2 group. Each pid is pidfd-opened and then
 * checked to still be a member (/proc/PID/cgroup), so a pid reused between the read and the
 * open is never held. Returns the number held (>= 0), -ENOENT if the group is gone, -EINVAL for
 * the root group, -errno.
 */
int act_group_open_cgroup(const struct act_ctx *ctx, const char *cg, act_protected_fn prot,
			  void *userdata, struct act_group *ret);

/*
 * SIGTERM / SIGKILL (+ mrelease) every member not yet sent that signal, one NOTICE line for the
 * group. act_group_kill first freezes the cgroup2 group (v1: its cgroup2 twin, when present) so
 * nothing forks away, rescans for members that appeared, kills, and thaws again (the killed
 * tasks then die; a frozen task still dies of SIGKILL, but a thaw keeps protected members from
 * staying frozen). No freeze for SIGTERM: a frozen task could not run its handler.
 * Returns how many were signalled (>= 0) or -errno.
 */
int act_group_term(const struct act_ctx *ctx, struct act_group *g, const struct pol_action *why);
int act_group_kill(const struct act_ctx *ctx, struct act_group *g, const struct pol_action *why);

/* Members still alive (polls each pidfd, timeout 0). >= 0. */
int act_group_alive(const struct act_ctx *ctx, struct act_group *g);

/* Close every pidfd. */
void act_group_close(const struct act_ctx *ctx, struct act_group *g);

/*
 * KillUnit=cgroup, preferred form: write "1" to <cg>/cgroup.kill on the cgroup2 mount (5.14+;
 * kills the whole subtree atomically, including tasks forked meanwhile). Layout OG_CG_V1: the
 * cgroup2 twin of the same path is killed the same way, then every task of the v1 memory group
 * that the twin does not hold is SIGKILLed by pidfd (nothing is signalled twice). Every killed
 * task then gets process_mrelease. Do not use this when the group holds a protected process:
 * use act_group_open_cgroup() + act_group_kill(), which skip them. 1 killed (or would be, in
 * dry-run); 0 if the group is gone or empty; -EINVAL for the root group; -EDEADLK if the
 * daemon itself is inside; -EOPNOTSUPP if neither cgroup.kill nor a v1 group exists (caller
 * falls back to the group API); -errno.
 */
int act_kill_cgroup(const struct act_ctx *ctx, const char *cg, const struct pol_action *why);

/*
 * Is the cgroup still populated? v2 cgroup.events "populated", v1 a non-empty cgroup.procs.
 * 1 yes, 0 no (or gone), -errno.
 */
int act_cgroup_populated(const struct act_ctx *ctx, const char *cg);

/*
 * Memory to measure "freed" against: MemAvailable of the machine (cg NULL or "/") or the
 * usage of cgroup cg (v2 memory.current, v1 memory.usage_in_bytes; for a cgroup, freed =
 * before - after of usage, so callers pass (after, before) to act_victim_report).
 * 0 or -errno.
 */
int act_read_mem_available(const struct act_ctx *ctx, uint64_t *ret_bytes);
int act_read_cgroup_usage(const struct act_ctx *ctx, const char *cg, uint64_t *ret_bytes);
