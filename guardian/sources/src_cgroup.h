/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cgroup reader (source layer): discovers where the memory controller and the cgroup2 tree are
 * mounted, and reads one group or a whole subtree into struct og_cgroup, in either layout:
 *   OG_CG_V2  pure cgroup2 with the memory controller (memory.current/max/high/...)
 *   OG_CG_V1  memory controller on cgroup v1 (memory.usage_in_bytes/limit_in_bytes/...), with
 *             a cgroup2 mount beside it (hybrid, e.g. /sys/fs/cgroup/unified) for
 *             memory.pressure, cgroup.events and cgroup.kill
 * Reads never write to cgroupfs (libcgroup is only asked where things are mounted).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "guardian/base/root.h"
#include "policy/model.h"

struct og_cg_mounts {
	/* OG_CG_V2 pure cgroup2 with memory controller, OG_CG_V1 memory on v1 (+ cgroup2 beside
	 * it for PSI/kill), OG_CG_NONE */
	enum og_cg_layout layout;
	int v2_fd; /* dir fd of the cgroup2 mount or -1 */
	int memv1_fd; /* dir fd of the v1 memory hierarchy or -1 */
	char v2_path[512]; /* for messages */
	char memv1_path[512];
	bool v2_has_memory; /* "memory" listed in the cgroup2 root's cgroup.controllers */
};

/*
 * Find the cgroup mounts below root. For the live root ("/") the mount points come from
 * libcgroup; under a fixture root from <root>/proc/self/mountinfo, or, if that is absent, by
 * probing <root>/sys/fs/cgroup. Returns 0 (layout may be OG_CG_NONE, fds -1) or -errno
 * (-ENOMEM); *ret is always initialised (fds -1) so src_cgroup_mounts_close() is safe.
 */
int src_cgroup_detect(const struct og_root *root, struct og_cg_mounts *ret);

/* openat(dirfd, path, flags | O_CLOEXEC) with path's leading slashes dropped ("/" is dirfd
 * itself): a group's path below a hierarchy's fd. The fd, or -errno. */
int src_cgroup_open_rel(int dirfd, const char *path, int flags);

/* Close the fds; safe on an initialised or already closed struct. */
void src_cgroup_mounts_close(struct og_cg_mounts *m);

/*
 * memory.stat, either layout. v2 keys anon/file/shmem/slab_reclaimable/active_file/
 * inactive_file; v1 (layout OG_CG_V1) total_rss/total_cache/total_shmem/total_active_file/
 * total_inactive_file (slab unknown: 0), converted to the v2 meaning (anon = total_rss, which
 * in v1 excludes shmem like v2's anon). Fills the stat fields of *ret only.
 * 0, or -EBADMSG when anon or file (rss or cache) is missing or a value is malformed.
 */
int src_cgroup_parse_stat_buf(const char *buf, enum og_cg_layout layout, struct og_cgroup *ret);

/* v2 memory.events (low high max oom, and oom_kill since 4.13; oom_group_kill ignored). Fills
 * events_*. 0, or -EBADMSG when low/high/max/oom is missing or a value is malformed. */
int src_cgroup_parse_events_buf(const char *buf, struct og_cgroup *ret);

/* v1 memory.oom_control: oom_kill_disable, under_oom, oom_kill (4.13+, optional).
 * Fills oom_kill_disable, under_oom, events_oom_kill. 0 or -EBADMSG. */
int src_cgroup_parse_oom_control_buf(const char *buf, struct og_cgroup *ret);

/* cgroup.events: "populated 0|1" (frozen ignored). 0 or -EBADMSG. */
int src_cgroup_parse_cg_events_buf(const char *buf, bool *ret_populated);

/*
 * A limit file: "max" or a decimal number, one trailing newline allowed (memory.max/high/low/
 * min, memory.limit_in_bytes, failcnt, usage_in_bytes). "max" and the v1 PAGE_COUNTER_MAX
 * (9223372036854771712 on 4 KiB pages, any value >= that) become OG_UNLIMITED.
 * 0 or -EINVAL/-ERANGE.
 */
int src_cgroup_parse_limit_buf(const char *buf, uint64_t *ret);

/* Is the comma-separated list [list, list+len) (mount options, /proc/PID/cgroup controllers)
 * holding exactly `word`? Pure. */
bool src_cgroup_list_has(const char *list, size_t len, const char *word);

/* "" and "/" are the root; anything else must start with '/', hold no "..", and fit size
 * (trailing slashes dropped). 0, -EINVAL or -ENAMETOOLONG. */
int src_cgroup_normalise_path(const char *path, char *buf, size_t size);

/*
 * A group's memory files, in either layout, for src_cgroup_read_memory(): the whole read
 * (src_read_cgroup) opens each by name, the daemon's kept walk (src_cgkeep.c) preads its fds.
 */
enum src_cg_file {
	SRC_CG_CURRENT, /* memory.current; v1 memory.usage_in_bytes */
	SRC_CG_MAX, /* memory.max; v1 memory.limit_in_bytes */
	SRC_CG_HIGH, /* memory.high; none in v1 */
	SRC_CG_LOW, /* memory.low; none in v1 */
	SRC_CG_MIN, /* memory.min; none in v1 */
	SRC_CG_STAT, /* memory.stat */
	SRC_CG_EVENTS, /* memory.events; v1 memory.failcnt */
	SRC_CG_OOM_CONTROL, /* none in v2; v1 memory.oom_control */
	SRC_CG__N,
};
#define SRC_CG_FILE(f) (1u << (f))
#define SRC_CG_ALL_FILES (SRC_CG_FILE(SRC_CG__N) - 1)

/* The file's name in layout (OG_CG_V1 or OG_CG_V2), or NULL when that layout has none. */
const char *src_cgroup_file_name(enum og_cg_layout layout, enum src_cg_file f);

/* Read file f (named name) of the group into buf, NUL-terminated: 1 read, 0 absent (no such
 * file, or a pressure file with PSI off), -ENOENT when the group is gone, -errno. */
typedef int (*src_cg_read_fn)(void *ctx, enum src_cg_file f, const char *name, char *buf,
			      size_t size);

/*
 * The memory fields of *cg from the files (SRC_CG_FILE() bits) that rd reads, in order:
 * current, max, high, low, min, (v1) failcnt, stat, (v2) events, (v1) oom_control. A v1
 * group without usage_in_bytes has no memory controller: nothing more is read. has_memory:
 * current or stat was there. 0, or rd's error, or -EBADMSG for a malformed file.
 */
int src_cgroup_read_memory(enum og_cg_layout layout, unsigned files, src_cg_read_fn rd,
			   void *ctx, struct og_cgroup *cg);

/*
 * Read one group (path relative to the hierarchy root, starting with '/') in the detected
 * layout. v1: memory.usage_in_bytes, limit_in_bytes, stat, oom_control, failcnt, cgroup.procs
 * from memv1_fd; memory.pressure and cgroup.events from v2_fd at the same path (when present).
 * Layout v2 without a memory controller: only procs/events/pressure (has_memory false).
 * 0, -ENOENT if the group vanished (or never existed), -EINVAL for a relative path or one with
 * "..", -ENODEV when the layout is OG_CG_NONE, -EFBIG/-EBADMSG/-errno otherwise.
 * *ret is untouched on failure.
 */
int src_read_cgroup(const struct og_cg_mounts *m, const char *path, struct og_cgroup *ret);

/*
 * Each child directory of the group open at dfd, for a walk: path (OG_CGROUP_PATH_MAX bytes,
 * the group's path in its first len) is extended with "/<name>" while fn(ud, new_len, inode)
 * runs and cut back after; names too long are skipped. Returns fn's first non-zero return, or
 * 0 after the last child (or when dfd cannot be listed).
 */
/* A walk's count after reading the group at path with result r: *n counted on success, a
 * failure logged and skipped (0: on to its children), 1 when it vanished (its children with
 * it), -ENOMEM. */
int src_cgroup_walk_counts(int r, const char *path, size_t *n);

typedef int (*src_cgroup_child_fn)(void *ud, size_t len, uint64_t ino);
int src_cgroup_each_child(int dfd, char *path, size_t len, src_cgroup_child_fn fn, void *ud);

/*
 * Walk the memory hierarchy (or cgroup2 when no memory controller exists) from `under`
 * (itself included, "/" or "" = the root) down to max_depth levels below it (0 = only
 * `under`), pre-order, filling arr. Groups that vanish during the walk are skipped. When the
 * table is full the walk stops: the function returns 1 (truncated) with *ret_n = cap; this is
 * not an error. Returns 0 when all fitted, -ENOENT if `under` does not exist, other -errno.
 */
int src_read_cgroups(const struct og_cg_mounts *m, const char *under, unsigned max_depth,
		     struct og_cgroup *arr, size_t cap, size_t *ret_n);

/*
 * The pids in <path>/cgroup.procs (v1 layout: of the memory hierarchy, else cgroup2), up to
 * cap. Returns 0, or 1 if more pids were listed than fitted (*ret_n = cap), -ENOENT if the group
 * vanished, -EFBIG if the file exceeds the read buffer, -EBADMSG if malformed.
 */
int src_cgroup_read_procs(const struct og_cg_mounts *m, const char *path, pid_t *arr, size_t cap,
			  size_t *ret_n);
