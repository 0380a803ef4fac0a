/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared between act_kill.c (single victims) and act_group.c (groups); not for other modules. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "guardian/actions/act_kill.h"

/* "SIGKILL", "SIGTERM" or "signal". */
const char *act_sig_name(int sig);

/*
 * pidfd_open(pid), then the identity read through the root; expect_start 0 means "whoever holds
 * the pid now" (cgroup members, whose membership the caller checks next, with the pidfd held).
 * 0, -ESRCH gone or reused, -EPERM self/init/kernel thread, -errno. ret written on success only.
 * A pidfd_open failure other than ESRCH/EINVAL opens it without a pidfd (kill(2) fallback).
 */
int act_victim_open_any(const struct act_ctx *ctx, pid_t pid, uint64_t expect_start,
			struct act_victim *ret);

/* Send sig once (quiet: a group member; the group logs one line). 1 sent, -EALREADY, -ESRCH
 * (gone: marked exited), -errno. SIGKILL is followed by process_mrelease. */
int act_victim_signal(const struct act_ctx *ctx, struct act_victim *v, int sig,
		      const struct pol_action *why, bool quiet);

/* process_mrelease on the victim's pidfd; the outcome as a word for log lines. */
const char *act_victim_mrelease(const struct act_ctx *ctx, struct act_victim *v);
