/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Protection: apply a policy's OOMScoreAdjust so the kernel's own OOM killer spares protected
 * processes too. The write goes through an open /proc/PID directory whose stat was checked
 * against the expected starttime first, so a reused pid is never touched (a /proc/PID dir fd
 * of an exited process answers ESRCH, it never switches to the new owner of the pid).
 *
 * Without CAP_SYS_RESOURCE the kernel refuses to lower oom_score_adj below the lowest value the
 * process ever had (EACCES). That is reported once per process (ctx->denied) and the distinct
 * return -EACCES tells the daemon to keep protecting the process "at our level": never
 * signalled, throttled or migrated, whatever the kernel does.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "guardian/actions/act.h"
#include "policy/plan.h"

/*
 * Set /proc/PID/oom_score_adj to value (-1000..1000) if it is not already that.
 * 1 written (or would be, in dry-run), 0 already at value, -ESRCH gone or reused (starttime
 * mismatch; nothing written), -EACCES refused by the kernel (EPERM is folded into it; logged
 * at WARNING the first time for this pid+starttime, at DEBUG after), -EINVAL value out of
 * range, -EPERM a kernel thread, other -errno. starttime_ticks 0 skips the identity check (for the
 * caller's own pid).
 */
int act_set_oom_score_adj(const struct act_ctx *ctx, pid_t pid, uint64_t starttime_ticks, int value,
			  const struct pol_action *why);

/*
 * Put back the oom_score_adj a process inherited from one we protected (a child forked by a
 * protected listener: its copy of our value is no policy's). Writes value only if the process
 * (checked against starttime_ticks) still has inherited, the value it got at fork: one it set
 * itself since is left alone. Logged at debug only (one a login or job would flood the log).
 * 1 written, 0 not at inherited (nothing to do; also in dry-run, which writes nothing),
 * -ESRCH gone or reused, -EACCES refused, -EINVAL value out of range, other -errno.
 */
int act_restore_oom_score_adj(const struct act_ctx *ctx, pid_t pid, uint64_t starttime_ticks,
			      int inherited, int value);

/* Current /proc/PID/oom_score_adj. 0 or -errno. */
int act_get_oom_score_adj(const struct act_ctx *ctx, pid_t pid, int *ret_value);
