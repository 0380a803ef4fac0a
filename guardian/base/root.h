/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The root every kernel read is relative to. `--root=DIR` repoints all of it at a fixture tree;
 * no code outside this module builds "/proc/..." strings.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

struct og_root_keep;

struct og_root {
	char path[512]; /* "/" or the fixture directory, for messages */
	int root_fd; /* DIR itself (etc/passwd, ...) */
	int proc_fd; /* DIR/proc */
	int sys_fd; /* DIR/sys */
	int cgroup_fd; /* DIR/sys/fs/cgroup, -1 if absent */
	struct og_root_keep *keep; /* og_root_keep(): files kept open for og_root_read() */
};

/* Open DIR (NULL = "/") and its proc, sys and sys/fs/cgroup with O_PATH. 0 or -errno
 * (missing proc is an error; a missing sys or cgroup directory leaves that fd at -1). */
int og_root_open(struct og_root *ret, const char *dir);

/*
 * Why DIR cannot serve as a root, in words for the message: 0 if it can, else -errno with
 * ret_why set to "No such file or directory", "not a directory" or, with need_proc, "it holds
 * no proc/ directory (not a root tree; fixtures come from contrib/capture-fixture.sh)".
 * `check --root` needs only a directory (it reads etc/), the daemon and snapshot need proc/.
 */
int og_root_check(const char *dir, int need_proc, char *ret_why, size_t size);

/* Close every fd; safe on an opened or already closed root (fds are -1 after). */
void og_root_close(struct og_root *root);

/*
 * Read the whole file dirfd/path into buf (NUL-terminated). Returns the length read, -EFBIG if
 * it does not fit in size - 1 bytes (truncation is never parsed), or -errno from open/read
 * (-ENOENT, -ESRCH for a vanished pid, -EACCES).
 */
ssize_t og_read_at(int dirfd, const char *path, char *buf, size_t size);

/*
 * og_read_at() of a file read again and again (meminfo, vmstat, zoneinfo, PSI, a node's
 * meminfo): after og_root_keep(), the fd stays open and each read is pread() from offset 0
 * until EOF (seq_file files may hand over a page at a time), for up to cap files by (dirfd,
 * path); a kept fd that fails is closed and the file opened afresh. Opening is most of the cost
 * of such a read: 120-330 us against 15-170 us for a pread of a kept fd, in a guest under TCG
 * (2026-12-03, tests/vm). Without og_root_keep() it is og_read_at().
 */
ssize_t og_root_read(const struct og_root *root, int dirfd, const char *path, char *buf,
		     size_t size);
int og_root_keep(struct og_root *root, size_t cap); /* 0 or -ENOMEM */
void og_root_keep_close(const struct og_root *root); /* closes what is kept (kept again on use) */

/* Write the string to dirfd/path in one write(2). 0 or -errno. For guardian/act_*.c only. */
int og_write_at(int dirfd, const char *path, const char *value);

/* Read a symlink below dirfd into buf (NUL-terminated, truncated). Length or -errno. */
ssize_t og_readlink_at(int dirfd, const char *path, char *buf, size_t size);
