/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tmpfs mounts and what they hold: the mount points of fstype tmpfs from proc/self/mountinfo
 * (the daemon's own mount namespace), each measured with statfs. Files in a tmpfs are shmem
 * (/proc/meminfo Shmem, memory.stat shmem): killing a process that maps them frees nothing
 * while the files exist, so the engine says where that memory is instead of killing for it.
 */
#pragma once

#include <stddef.h>

#include "guardian/base/root.h"
#include "policy/model.h"

/*
 * Mount points of the tmpfs lines of a mountinfo text, octal escapes (\040) undone, into
 * ret[] (size_bytes and used_bytes 0). Returns how many (at most max, the rest are dropped)
 * or -EBADMSG for a line without its " - " separator.
 */
int tmpfs_parse_mountinfo(const char *buf, struct og_tmpfs *ret, size_t max);

/*
 * The tmpfs mounts under root (proc/self/mountinfo, statfs of each below root_fd; a mount
 * point that is not a tmpfs there, as in a fixture tree, is skipped), the largest max by
 * used bytes, empty ones left out. 0 or -errno; *ret_n is 0 on failure.
 */
int src_read_tmpfs(const struct og_root *root, struct og_tmpfs *ret, size_t max, size_t *ret_n);
