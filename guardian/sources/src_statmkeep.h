/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /proc/PID/statm of the processes a daemon measures again and again (the near sweep once a
 * second, the decision's candidates), kept open and read with one pread() each: in a Debian 12
 * guest under TCG an open+read+close of a statm took 191 us and a pread() of a kept fd 15 us
 * (2026-12-03, tests/vm), for each of its 75 processes every second near a stage.
 *
 * A kept fd names the task it was opened for: once that process has exited, a read fails
 * (ESRCH) even if its pid is in use again; the fd is then closed and the pid read afresh, as
 * src_read_statm_anon() does. At most cap fds are kept (the rest are read afresh); those not
 * read since the previous og_statm_keep_end_pass() are closed by it, everything by
 * og_statm_keep_close_all() (the daemon away from its stages).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "guardian/base/root.h"

struct og_statm_keep;

int og_statm_keep_new(size_t cap, struct og_statm_keep **ret); /* 0 or -ENOMEM */
void og_statm_keep_free(struct og_statm_keep *k);
void og_statm_keep_close_all(struct og_statm_keep *k);
void og_statm_keep_end_pass(struct og_statm_keep *k);
size_t og_statm_keep_count(const struct og_statm_keep *k);

/* src_read_statm_anon() through k (NULL: as src_read_statm_anon()). */
int src_statm_anon_kept(struct og_statm_keep *k, const struct og_root *root, pid_t pid,
			uint64_t page_size, uint64_t *ret_anon_bytes);
