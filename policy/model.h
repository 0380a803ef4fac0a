/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The model: plain structs that guardian/src_*.c fill from /proc, /sys and cgroupfs, and that
 * policy/ reads. No pointers into kernel buffers, no allocation inside the structs except the
 * tables in struct og_snapshot, which are sized once at start (no allocation on the path from
 * detection to kill). Units are in the names: _bytes, _usec, _centi (PSI percent x 100), _pages.
 * A field the kernel did not provide is 0 and its bit in the matching `has` mask is clear.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define OG_UNLIMITED UINT64_MAX /* memory.max "max", v1 limit at PAGE_COUNTER_MAX */

/* --------------------------------------------------------------------------- /proc/meminfo */
enum og_meminfo_field {
	OG_MI_TOTAL = 1u << 0,
	OG_MI_FREE = 1u << 1,
	OG_MI_AVAILABLE = 1u << 2, /* absent before 3.14: estimated, see available_estimated */
	OG_MI_BUFFERS = 1u << 3,
	OG_MI_CACHED = 1u << 4,
	OG_MI_SWAP_TOTAL = 1u << 5,
	OG_MI_SWAP_FREE = 1u << 6,
	OG_MI_SHMEM = 1u << 7,
	OG_MI_SLAB = 1u << 8,
	OG_MI_SRECLAIMABLE = 1u << 9,
	OG_MI_SUNRECLAIM = 1u << 10,
	OG_MI_ANON_PAGES = 1u << 11,
};

struct og_meminfo {
	uint32_t has; /* enum og_meminfo_field */
	bool available_estimated;
	uint64_t total_bytes;
	uint64_t free_bytes;
	uint64_t available_bytes;
	uint64_t buffers_bytes;
	uint64_t cached_bytes;
	uint64_t swap_cached_bytes;
	uint64_t active_bytes;
	uint64_t inactive_bytes;
	uint64_t active_file_bytes;
	uint64_t inactive_file_bytes;
	uint64_t unevictable_bytes;
	uint64_t mlocked_bytes;
	uint64_t swap_total_bytes;
	uint64_t swap_free_bytes;
	uint64_t dirty_bytes;
	uint64_t writeback_bytes;
	uint64_t anon_pages_bytes;
	uint64_t mapped_bytes;
	uint64_t shmem_bytes;
	uint64_t kreclaimable_bytes;
	uint64_t slab_bytes;
	uint64_t sreclaimable_bytes;
	uint64_t sunreclaim_bytes;
	uint64_t kernel_stack_bytes;
	uint64_t page_tables_bytes;
	uint64_t commit_limit_bytes;
	uint64_t committed_as_bytes;
	uint64_t hugepages_total;
	uint64_t hugepages_free;
	uint64_t hugepage_size_bytes;
};

/* --------------------------------------------------------------------------- /proc/vmstat */
struct og_vmstat {
	uint64_t pgscan_kswapd;
	uint64_t pgscan_direct;
	uint64_t pgscan_khugepaged;
	uint64_t pgsteal_kswapd;
	uint64_t pgsteal_direct;
	uint64_t pgsteal_khugepaged;
	uint64_t workingset_refault_anon; /* 5.9+: split; older kernels fill _file only */
	uint64_t workingset_refault_file;
	uint64_t workingset_activate_anon;
	uint64_t workingset_activate_file;
	uint64_t pswpin;
	uint64_t pswpout;
	uint64_t oom_kill; /* 4.13+ */
	uint64_t compact_stall;
	uint64_t compact_fail;
	uint64_t compact_success;
	uint64_t compact_migrate_scanned;
	uint64_t compact_free_scanned;
	uint64_t numa_pages_migrated;
	uint64_t pgmigrate_success;
	uint64_t pgmigrate_fail;
	bool has_oom_kill;
};

/* --------------------------------------------------------------------------- PSI */
struct og_psi_line {
	uint32_t avg10_centi; /* percent x 100: "avg10=12.34" is 1234 */
	uint32_t avg60_centi;
	uint32_t avg300_centi;
	uint64_t total_usec;
};

struct og_psi {
	bool has_some;
	bool has_full; /* cpu "full" only since 5.13; absent is not an error */
	struct og_psi_line some;
	struct og_psi_line full;
};

struct og_pressure {
	bool available; /* false: kernel without PSI (e.g. 3.10) or psi=0 */
	struct og_psi memory;
	struct og_psi io;
	struct og_psi cpu;
};

/* --------------------------------------------------------------------------- swap, zram */
#define OG_SWAP_MAX 32
#define OG_ZRAM_MAX 16

struct og_swapdev {
	char path[256];
	bool is_partition; /* "partition" vs "file" */
	uint64_t size_bytes;
	uint64_t used_bytes;
	int priority;
};

struct og_zram {
	char name[32]; /* "zram0" */
	uint64_t orig_data_bytes; /* mm_stat field 1 */
	uint64_t compr_data_bytes;
	uint64_t mem_used_bytes; /* what zram really costs in RAM */
	uint64_t mem_limit_bytes; /* 0 = no limit */
	uint64_t mem_used_max_bytes;
	uint64_t same_pages;
	uint64_t pages_compacted;
};

/* --------------------------------------------------------------------------- NUMA, zones */
#define OG_NODES_MAX 64
#define OG_ORDERS_MAX 16 /* buddyinfo columns: 11 on x86_64 (orders 0-10) */
#define OG_ZONES_MAX (OG_NODES_MAX * 5)
#define OG_ZONE_NAME_MAX 16

struct og_numa_node {
	int id;
	char cpulist[128];
	uint64_t total_bytes; /* node<N>/meminfo MemTotal */
	uint64_t free_bytes;
	uint64_t used_bytes;
	uint64_t file_pages_bytes;
	uint64_t anon_pages_bytes;
	uint64_t slab_reclaimable_bytes;
	uint64_t slab_unreclaimable_bytes;
	uint64_t active_file_bytes;
	uint64_t inactive_file_bytes;
	/* the high watermarks of its zones (zoneinfo, og_zone_node_reserves()): free memory the
	 * kernel keeps for itself, its OOM killer runs below the min watermark; 0: unknown */
	uint64_t reserve_bytes;
	/* node<N>/numastat, counts of pages */
	uint64_t numa_hit;
	uint64_t numa_miss;
	uint64_t numa_foreign;
	uint64_t interleave_hit;
	uint64_t local_node;
	uint64_t other_node;
	int ndistances;
	uint8_t distance[OG_NODES_MAX]; /* node<N>/distance, indexed by node id */
};

struct og_zone {
	int node;
	char name[OG_ZONE_NAME_MAX]; /* "DMA", "DMA32", "Normal", "Movable", "Device" */
	/* /proc/buddyinfo: free blocks of 2^order pages */
	int norders;
	uint64_t free_blocks[OG_ORDERS_MAX];
	/* /proc/zoneinfo, converted to bytes; has_zoneinfo false if the zone was only in buddyinfo */
	bool has_zoneinfo;
	uint64_t free_bytes;
	uint64_t min_bytes;
	uint64_t low_bytes;
	uint64_t high_bytes;
	uint64_t managed_bytes;
	uint64_t present_bytes;
	int nreserve;
	uint64_t lowmem_reserve_bytes[6];
};

/* --------------------------------------------------------------------------- slab */
#define OG_SLAB_NAME_MAX 64

struct og_slab {
	char name[OG_SLAB_NAME_MAX];
	uint64_t active_objs;
	uint64_t num_objs;
	uint64_t objsize_bytes;
	uint64_t total_bytes; /* num_slabs * pages_per_slab * page size */
	bool reclaimable; /* SLAB_RECLAIM_ACCOUNT: /sys/kernel/slab/<name>/reclaim_account */
	bool has_reclaim_flag; /* false: /sys/kernel/slab unreadable, flag unknown */
};

/* --------------------------------------------------------------------------- processes */
#define OG_COMM_MAX 64 /* kernel TASK_COMM_LEN is 16; room for escaping is not needed: raw */
#define OG_CMDLINE_MAX 256 /* truncated, NULs turned into spaces */
#define OG_EXE_MAX 256
#define OG_CGROUP_PATH_MAX 512
#define OG_UNIT_MAX 128

/*
 * Where a process's rss_* figures come from (the kernel decides what exists). Ordered from
 * the exact to the roughest; victim choice and snapshot say which one they used.
 */
enum og_rss_source {
	OG_RSS_NONE = 0, /* no memory map (kernel thread, zombie): all 0 */
	OG_RSS_STATUS, /* status RssAnon/RssFile/RssShmem (4.5+): exact */
	OG_RSS_STATM, /* before 4.5: statm resident - shared = anon pages (MM_ANONPAGES) exactly,
		       * shared = file pages with shmem in them (rss_shmem_bytes 0) */
	OG_RSS_SMAPS_ROLLUP, /* smaps_rollup Anonymous (4.14+), file = Rss - Anonymous */
	OG_RSS_VMRSS, /* status VmRSS only: all of it counted as anon (an upper bound) */
};

struct og_proc {
	pid_t pid;
	pid_t ppid;
	pid_t pgid;
	uid_t uid; /* real uid */
	char state; /* 'R', 'S', 'D', 'Z', ... */
	bool kthread; /* PF_KTHREAD in stat field 9 (flags): a kernel thread, never signalled */
	/* enum og_parent_exe: does the parent run the same executable? For [Match] Children=no
	 * (pol_match.h); filled by whoever has the parent at hand, OG_PARENT_UNKNOWN otherwise. */
	uint8_t parent_exe;
	uint64_t starttime_ticks; /* field 22 of stat: identity against pid reuse */
	char comm[OG_COMM_MAX]; /* raw comm: may hold spaces, ')' or newlines */
	char cmdline[OG_CMDLINE_MAX];
	char exe[OG_EXE_MAX]; /* readlink of exe; "" if unreadable */
	uint64_t rss_anon_bytes; /* status RssAnon, or as rss_source says */
	uint64_t rss_file_bytes;
	uint64_t rss_shmem_bytes;
	uint64_t swap_bytes; /* status VmSwap */
	enum og_rss_source rss_source; /* how rss_anon/file/shmem_bytes were obtained */
	int oom_score;
	int oom_score_adj;
	char cgroup[OG_CGROUP_PATH_MAX]; /* cgroup2 path ("0::" line), "/" when none */
	char memcg_v1[OG_CGROUP_PATH_MAX]; /* v1 memory controller path, "" on pure cgroup2 */
	char unit[OG_UNIT_MAX]; /* systemd unit from the cgroup path, "" if none */
	uint8_t oomd_pref; /* enum og_oomd_pref: its unit's ManagedOOMPreference= (src_xattr.h) */
	/* NUMA nodes its memory may come from, a bit per node id: its memory policy's bind
	 * nodes (numa_maps) within its cpuset's Mems_allowed_list (status). 0: not read, which
	 * is the rule: the loop reads it only for the largest processes while a node is short
	 * (src_read_proc_mems()). */
	uint64_t mems_mask;
};

enum og_parent_exe {
	OG_PARENT_UNKNOWN = 0, /* not looked up, or the parent is gone: treated as "other" */
	OG_PARENT_OTHER, /* the parent runs another executable (or none is readable) */
	OG_PARENT_SAME, /* the parent runs the same executable: a forked copy (sshd -R, cron) */
};

/* systemd's ManagedOOMPreference=, read from cgroup xattrs (guardian/sources/src_xattr.h). */
enum og_oomd_pref {
	OG_OOMD_NONE = 0,
	OG_OOMD_AVOID, /* user.oomd_avoid: like KillPreference=avoid */
	OG_OOMD_OMIT, /* user.oomd_omit: like KillPreference=never */
};

/* --------------------------------------------------------------------------- cgroups */
enum og_cg_layout {
	OG_CG_NONE = 0,
	OG_CG_V2, /* memory controller on cgroup2 */
	OG_CG_V1, /* memory controller on v1, PSI (if any) from the cgroup2 tree beside it */
};

struct og_cgroup {
	char path[OG_CGROUP_PATH_MAX]; /* relative to the hierarchy root, starting with '/' */
	enum og_cg_layout layout;
	bool has_memory; /* memory controller files readable */
	uint64_t current_bytes; /* v2 memory.current, v1 memory.usage_in_bytes */
	uint64_t max_bytes; /* v2 memory.max, v1 memory.limit_in_bytes; OG_UNLIMITED */
	uint64_t high_bytes; /* v2 only; OG_UNLIMITED */
	uint64_t low_bytes;
	uint64_t min_bytes;
	/* memory.stat (v1: total_* keys, converted to the v2 meaning) */
	uint64_t anon_bytes;
	uint64_t file_bytes;
	uint64_t shmem_bytes;
	uint64_t slab_reclaimable_bytes;
	uint64_t inactive_file_bytes;
	uint64_t active_file_bytes;
	/* v2 memory.events; v1: failcnt -> events_max, oom_control oom_kill -> events_oom_kill */
	uint64_t events_low;
	uint64_t events_high;
	uint64_t events_max;
	uint64_t events_oom;
	uint64_t events_oom_kill;
	bool oom_kill_disable; /* v1 oom_control */
	bool under_oom; /* v1 oom_control */
	/* cgroup2 memory.pressure (v1 layout: the same path in the cgroup2 mount) */
	bool has_psi;
	struct og_psi psi;
	bool populated; /* cgroup.events; true when unknown */
	uint32_t nr_procs; /* lines of cgroup.procs */
};

/* --------------------------------------------------------------------------- tmpfs */
/* tmpfs mounts holding shmem: memory no kill frees while the files exist (src_tmpfs.h). */
#define OG_TMPFS_MAX 8 /* the largest by used bytes */
#define OG_TMPFS_PATH_MAX 256

struct og_tmpfs {
	char path[OG_TMPFS_PATH_MAX]; /* mount point as mountinfo has it (escapes undone) */
	uint64_t used_bytes; /* statfs: (f_blocks - f_bfree) * f_bsize */
	uint64_t size_bytes; /* its size= limit */
};

/* --------------------------------------------------------------------------- snapshot */
#define OG_HOST_MAX 65 /* HOST_NAME_MAX 64 + NUL */
struct og_snapshot {
	uint64_t now_usec; /* CLOCK_MONOTONIC when taken; the caller's clock, not read by policy */
	uint64_t page_size;
	struct og_meminfo mem;
	struct og_vmstat vm;
	struct og_pressure psi;

	size_t nswaps;
	struct og_swapdev swaps[OG_SWAP_MAX];
	size_t nzram;
	struct og_zram zram[OG_ZRAM_MAX];

	size_t ntmpfs; /* read when Shmem is a notable share of MemTotal (src_tmpfs.h) */
	struct og_tmpfs tmpfs[OG_TMPFS_MAX];

	size_t nnodes;
	struct og_numa_node nodes[OG_NODES_MAX];
	size_t nzones;
	struct og_zone zones[OG_ZONES_MAX];

	/* Tables allocated once by og_snapshot_alloc(); n* <= cap*. */
	size_t nslabs, cap_slabs;
	struct og_slab *slabs;
	size_t nprocs, cap_procs;
	struct og_proc *procs;
	size_t ncgroups, cap_cgroups;
	struct og_cgroup *cgroups;

	/* proc/sys/kernel/hostname under the root (OG_SNAP_HOST), "" if not read or unreadable */
	char host[OG_HOST_MAX];

	/* The guarded scope ("" or "/" is the whole machine) and its cgroup, if any. */
	char scope[OG_CGROUP_PATH_MAX];
	bool has_scope_cg;
	struct og_cgroup scope_cg;
};
