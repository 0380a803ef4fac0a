/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's cgroup walk, with each group's files kept open between walks and read with
 * one pread() each. Opening a file is most of the cost of reading it: measured 2026-12-03 in
 * a Debian 12 guest under TCG (tests/vm), an open+read+close of memory.current took 251 us
 * and a pread() of a kept fd 17 us (memory.stat 349 and 67 us), and the walk of its 20
 * groups (ten files each) 55 ms, once a second near a stage.
 *
 * A kept group is known by its directory's inode number (a removed and re-created group is
 * another one) and holds its directory fd (listed again after an lseek) and up to six files:
 * memory.current, .max, .high, .min, .stat and memory.pressure (v1: usage_in_bytes,
 * limit_in_bytes, stat, and memory.pressure of the cgroup2 twin). What decisions do not use is
 * not read: memory.low, memory.events, cgroup.events, cgroup.procs (low_bytes and events_* stay
 * 0, populated true, nr_procs 0); oomguardianctl reads every file with src_read_cgroups().
 * A cgroup interface file is one record: a read shorter than the buffer has all of it.
 *
 * At most cap groups are kept (the rest are read whole, as src_read_cgroups() does); groups
 * the walk did not visit are closed at its end; og_cg_keep_close_all() closes everything (the
 * daemon away from its stages: each kept file holds a kernel buffer of a page or so).
 */
#pragma once

#include <stddef.h>

#include "guardian/sources/src_cgroup.h"
#include "policy/model.h"

struct og_cg_keep;

/* Room for cap groups, which may hold OG_CG_KEEP_FDS_PER_GROUP fds each (the caller sizes cap
 * to what RLIMIT_NOFILE leaves it). 0 or -ENOMEM. */
int og_cg_keep_new(size_t cap, struct og_cg_keep **ret);
void og_cg_keep_free(struct og_cg_keep *k);
void og_cg_keep_close_all(struct og_cg_keep *k);

/* The most groups kept, and the fds a group can take: its directory and six files. */
size_t og_cg_keep_cap(const struct og_cg_keep *k);
#define OG_CG_KEEP_FDS_PER_GROUP 7

/* Groups kept now; files opened by the walks so far (a walk over kept groups opens none). */
size_t og_cg_keep_groups(const struct og_cg_keep *k);
unsigned long og_cg_keep_opened(const struct og_cg_keep *k);

/* src_read_cgroups() through k (same order, returns and truncation), with the fields above. */
int src_read_cgroups_kept(const struct og_cg_mounts *m, struct og_cg_keep *k, const char *under,
			  unsigned max_depth, struct og_cgroup *arr, size_t cap, size_t *ret_n);
