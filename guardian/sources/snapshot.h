/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Collects every source into one struct og_snapshot. The tables are allocated once
 * (og_snapshot_alloc) so taking a snapshot under pressure never allocates.
 */
#pragma once

#include "guardian/base/root.h"
#include "guardian/sources/src_cgroup.h"
#include "policy/model.h"

enum og_snap_what {
	OG_SNAP_MEM = 1u << 0, /* meminfo + vmstat (cheap: the fast poll) */
	OG_SNAP_PSI = 1u << 1, /* /proc/pressure and the scope's memory.pressure */
	OG_SNAP_SWAP = 1u << 2, /* swaps + zram */
	OG_SNAP_NUMA = 1u << 3, /* nodes + buddyinfo/zoneinfo */
	OG_SNAP_SLAB = 1u << 4,
	OG_SNAP_PROCS = 1u << 5,
	OG_SNAP_CGROUPS = 1u << 6,
	OG_SNAP_TMPFS = 1u << 8, /* tmpfs mounts, when Shmem >= SNAP_TMPFS_SHMEM_PCT of MemTotal */
	OG_SNAP_ALL = 0x7f | OG_SNAP_TMPFS,
	OG_SNAP_HOST = 1u << 7, /* the host name (for oomguardianctl; not in OG_SNAP_ALL) */
};

struct og_collector {
	struct og_root root;
	struct og_cg_mounts mounts;
	uint64_t page_size;
	/* What a daemon keeps between snapshots (NULL after og_collector_open: everything is read
	 * afresh, as oomguardianctl does): the cgroup files kept open (src_cgkeep.h) and the slab
	 * caches' reclaim flags (src_slab.h). Freed by og_collector_close(). */
	struct og_cg_keep *cg_keep;
	struct og_slab_flags *slab_flags;
};

/* Open DIR as the root and discover the cgroup layout. 0 or -errno. */
int og_collector_open(struct og_collector *ret, const char *dir);
void og_collector_close(struct og_collector *c);

/* Allocate the tables. 0 or -ENOMEM. */
int og_snapshot_alloc(struct og_snapshot *s, size_t cap_procs, size_t cap_cgroups,
		      size_t cap_slabs);
void og_snapshot_free(struct og_snapshot *s);

/*
 * Fill the parts of s named by `what` (enum og_snap_what); scope is a cgroup path or NULL/""
 * for the whole machine. now_usec is stored as given. Missing optional sources (no PSI, no
 * NUMA sysfs, unreadable slabinfo) leave their part empty. Returns 0,
 * OG_SNAP_PROCS_TRUNCATED when the process table filled up before the end of proc/ (the
 * caller must not rank from it as if it were whole), or -errno when meminfo itself cannot be
 * read (nothing else is fatal).
 */
#define OG_SNAP_PROCS_TRUNCATED 1
int og_snapshot_take(const struct og_collector *c, unsigned what, const char *scope,
		     uint64_t now_usec, struct og_snapshot *s);
