/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NUMA nodes from sysfs: sys/devices/system/node/node<N>/{meminfo,numastat,cpulist,distance},
 * relative to the root. libnuma is deliberately not used here: its topology calls
 * (numa_max_node, numa_node_size64, numa_distance) read the live /sys of the running system,
 * and even its string parsers validate against it: on this 2-CPU, 1-node machine
 * numa_parse_cpustring_all("0,2,...,22") and numa_parse_nodestring_all("0-1") return NULL and
 * print "out of range" warnings to stderr, so they cannot read a --root fixture of the seed 003
 * host. libnuma belongs in the NUMA action code (migrate_pages, numa_move_pages), which acts on
 * the live system anyway; cpulist is kept as the kernel's string.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "guardian/base/root.h"
#include "policy/model.h"

/*
 * Parse node<N>/meminfo ("Node 0 MemTotal:  32237 kB") into n's memory fields, in bytes.
 * node is the expected N (-1: accept any, as long as every line has the same N). MemTotal and
 * MemFree are required. 0, or -EBADMSG (missing keys, foreign node number, malformed line).
 * Fields of n other than the memory ones are untouched; nothing is written on failure.
 */
int src_node_meminfo_parse_buf(const char *buf, int node, struct og_numa_node *n);

/* Parse node<N>/numastat ("numa_hit 1722893"); numa_hit and numa_miss are required.
 * 0 or -EBADMSG; nothing is written on failure. */
int src_numastat_parse_buf(const char *buf, struct og_numa_node *n);

/*
 * Parse node<N>/distance ("10 20"): one distance per online node, in node order, each
 * 1..255. Returns the number of entries (>= 1), -EBADMSG if malformed or empty, -ENOBUFS if
 * more than cap entries. dist is not written on failure.
 */
int src_distance_parse_buf(const char *buf, uint8_t *dist, size_t cap);

/*
 * Read every node<N> directory, sorted by id, into arr. distance[] is indexed by node id
 * (the kernel lists it per online node in id order; we map it back through the ids found).
 * A root without sys/devices/system/node (no NUMA sysfs, CONFIG_NUMA=n, or a fixture
 * without it) gives *ret_n = 0 and returns 0: callers treat "no nodes" as "use the
 * machine-wide meminfo", rather than us inventing a node 0 from /proc/meminfo.
 * A node directory that vanishes while read (offlined) is skipped; a missing numastat,
 * cpulist or distance file leaves those fields empty.
 * 0, -ENOBUFS (more than cap nodes), -EBADMSG (a malformed file), -errno from reading.
 * On failure *ret_n is untouched and the contents of arr are unspecified (used as scratch).
 */
int src_read_numa(const struct og_root *root, struct og_numa_node *arr, size_t cap,
		  size_t *ret_n);

/* node<id>/meminfo alone (the loop's per-node poll): 0 or -errno, *ret untouched then. */
int src_read_node_meminfo(const struct og_root *root, int id, struct og_numa_node *ret);

/* "0-1,3" (cpuset list syntax) into a bit mask of ids < 64. 0 or -EBADMSG (empty too). */
int src_nodelist_parse(const char *s, uint64_t *ret_mask);

/*
 * The nodes a process may allocate from (og_proc.mems_mask): the bind nodes of the policy on
 * the first line of numa_maps (set_mempolicy(MPOL_BIND), `numactl --membind`) within
 * status Mems_allowed_list (its cpuset). Either may be NULL or unparsable. 0 or -ENODATA
 * when neither says anything.
 */
int src_proc_mems_parse(const char *numa_maps, const char *status, uint64_t *ret_mask);

/* src_proc_mems_parse() of /proc/PID/numa_maps (its first 64 bytes) and status. 0 or -errno. */
int src_read_proc_mems(const struct og_root *root, pid_t pid, uint64_t *ret_mask);
