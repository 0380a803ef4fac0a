/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The actions layer: the only code that writes to the kernel (style.md sections 1 and 5).
 * Every write and every signal goes through a `struct act_ops` table: act_ops_real() for the
 * daemon, or a `struct act_recorder` (a fake that records every call and answers from a script)
 * for unit tests. Dry-run lives here only: with ctx->dry_run every action logs one
 * "dry-run: would ..." line and calls no op that changes anything (reads still happen, so the
 * identity checks and the log lines are the real ones).
 *
 * Modules: act_kill.h (the kill ladder), act_mem.h (reclaim, throttle, freeze, compaction,
 * NUMA migration), act_protect.h (oom_score_adj), proc_events.h (exec/comm/exit events).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "guardian/base/root.h"
#include "guardian/sources/src_cgroup.h"
#include "policy/plan.h"

struct bitmask; /* libnuma */

/*
 * Everything that changes kernel state, plus the few syscalls whose answers the fake must
 * script (pidfd_open, poll, the clock). Each returns 0 (or an fd / a count) or -errno; none
 * sets errno as its result. `ud` is ops->userdata.
 */
struct act_ops {
	void *userdata;
	/* Write value to dirfd/dir/file in one write(2). dir is relative to dirfd; a leading '/'
	 * and an empty dir or "/" are allowed (cgroup paths are "/a/b", "/" is the root). */
	int (*write_at)(void *ud, int dirfd, const char *dir, const char *file, const char *value);
	int (*pidfd_open)(void *ud, pid_t pid, unsigned flags); /* fd or -errno (-ESRCH, -ENOSYS) */
	int (*pidfd_send_signal)(void *ud, int pidfd, int sig);
	int (*process_mrelease)(void *ud, int pidfd, unsigned flags);
	int (*kill)(void *ud, pid_t pid, int sig); /* fallback without pidfds (kernel < 5.3) */
	int (*killpg)(void *ud, pid_t pgid, int sig); /* not used by the ladder, see act_kill.c */
	/* libnuma numa_migrate_pages(): pages not migrated (>= 0) or -errno */
	int (*migrate_pages)(void *ud, pid_t pid, struct bitmask *from, struct bitmask *to);
	/* Write value to <piddir_fd>/oom_score_adj, piddir_fd being an open /proc/PID dir. */
	int (*set_oom_score_adj)(void *ud, int piddir_fd, int value);
	int (*poll_in)(void *ud, int fd, int timeout_ms); /* 1 readable, 0 timeout, -errno */
	int (*close)(void *ud, int fd);
	uint64_t (*now_usec)(void *ud); /* CLOCK_MONOTONIC */
};

/* The real table (syscalls, og_write_at, libnuma). */
const struct act_ops *act_ops_real(void);

/*
 * Processes the kernel refused to lower (no CAP_SYS_RESOURCE), remembered by pid + starttime so
 * each is reported once. Bounded: when full the oldest entry is forgotten (it may then be
 * reported again, which is harmless). Zero-initialise.
 */
#define ACT_SEEN_MAX 256
struct act_seen {
	size_t n, next;
	struct {
		pid_t pid;
		uint64_t starttime_ticks;
	} e[ACT_SEEN_MAX];
};

struct act_ctx {
	const struct og_root *root; /* reads: /proc/PID/stat identity, cgroup.procs */
	const struct og_cg_mounts *mounts; /* cgroup writes go to mounts->v2_fd / memv1_fd */
	const struct act_ops *ops;
	bool dry_run;
	pid_t self_pid; /* never signalled, never a group member we kill */
	struct act_seen *denied; /* act_protect: refusals reported once; NULL: report every time */
	/* Guarding one cgroup without MachineWideReclaim=yes: drop_caches and compaction (whole
	 * machine) are refused here too, whatever a plan says (issue 10 item 6). */
	bool machine_wide_denied;
};

/* Fill a context with the real ops; root and mounts must outlive it. A root that is not the
 * running system's "/" (a fixture tree) forces dry_run: its pids are not this kernel's. */
void act_ctx_init(struct act_ctx *ret, const struct og_root *root,
		  const struct og_cg_mounts *mounts, bool dry_run);

/*
 * The "which rule, measured vs limit" part of an action's log line, from the plan entry that
 * caused it (NULL: "rule=manual"). Writes into buf and returns buf. Never fails.
 */
const char *act_why(const struct pol_action *why, char *buf, size_t size);

/* Copy s into buf with control characters (newlines in a hostile comm) as '?', so one log
 * line stays one line. Returns buf. */
const char *act_printable(const char *s, char *buf, size_t size);

/* act_seen: true if (pid, starttime) is remembered; act_seen_add remembers it. */
bool act_seen_has(const struct act_seen *s, pid_t pid, uint64_t starttime_ticks);
void act_seen_add(struct act_seen *s, pid_t pid, uint64_t starttime_ticks);

/*
 * The identity of /proc/PID: starttime (field 22), pgid (field 5) and comm, from one read of
 * `stat` below dirfd (an open /proc/PID dir, or proc_fd with path "PID/stat").
 * 0, -ENOENT/-ESRCH when the pid is gone, -EBADMSG when the line is malformed, -EPERM for a
 * kernel thread (never a victim). Parsing is src_proc_parse_stat()'s.
 */
struct act_ident {
	uint64_t starttime_ticks;
	pid_t pgid;
	char state;
	char comm[OG_COMM_MAX];
};
int act_ident_parse_buf(const char *buf, struct act_ident *ret);
int act_ident_read(int dirfd, const char *path, struct act_ident *ret);

/* ------------------------------------------------------------------ recording fake */
enum act_call_kind {
	ACT_CALL_WRITE = 0,
	ACT_CALL_PIDFD_OPEN,
	ACT_CALL_SIGNAL, /* pidfd_send_signal */
	ACT_CALL_MRELEASE,
	ACT_CALL_KILL,
	ACT_CALL_KILLPG,
	ACT_CALL_MIGRATE,
	ACT_CALL_OOM_ADJ,
	ACT_CALL_POLL,
	ACT_CALL_CLOSE,
	ACT_CALL__MAX,
};

struct act_call {
	enum act_call_kind kind;
	int fd; /* dirfd, pidfd or piddir fd */
	pid_t pid;
	int sig; /* signal, or oom_score_adj value */
	unsigned flags;
	char path[256]; /* write: "dir/file" as given (dir's leading '/' kept) */
	char value[64];
	uint64_t from_mask, to_mask; /* migrate: nodes 0..63 */
	int ret; /* what the fake answered */
};

#define ACT_RECORDER_MAX 128
#define ACT_FAKE_PIDFD_BASE 1000 /* fake pidfds are BASE + pid */

/*
 * The recording fake. Answers: pidfd_open returns ACT_FAKE_PIDFD_BASE + pid unless the pid
 * is listed in gone_pid (then -ESRCH); everything else returns next_ret[kind] (default 0);
 * poll_in returns poll_ret; now_usec returns now and adds tick_usec. Calls beyond
 * ACT_RECORDER_MAX are counted in `dropped` but not stored.
 */
struct act_recorder {
	struct act_ops ops; /* userdata points at the recorder itself */
	size_t n, dropped;
	struct act_call calls[ACT_RECORDER_MAX];
	int next_ret[ACT_CALL__MAX];
	pid_t gone_pid[8];
	int poll_ret;
	uint64_t now, tick_usec;
};

/* Zero the recorder and wire its ops. */
void act_recorder_init(struct act_recorder *rec);

/* Number of recorded calls of that kind (kind ACT_CALL__MAX: all). */
size_t act_recorder_count(const struct act_recorder *rec, enum act_call_kind kind);

/* Index of the first recorded call of that kind with signal sig (-1: any) at or after `from`,
 * or -1. */
ssize_t act_recorder_find(const struct act_recorder *rec, enum act_call_kind kind, int sig,
			  size_t from);
