/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Files the daemon leaves behind (reports, the state file, metrics) and its lock, created the
 * way a root daemon must: every directory is walked one component at a time from "/" with
 * O_NOFOLLOW (a symlink anywhere is refused), missing components are made with mkdirat() and
 * opened again, and each directory is checked (owned by root or us; the ones we write into
 * not writable by group or others; a world-writable ancestor only if sticky and root's, like
 * /tmp). Files are written to an O_EXCL temporary under the directory fd and renamed over the
 * old one, so a reader never sees half a file and nobody can plant one for us to write through.
 * No FILE streams and no allocation (snprintf into stack buffers only): the state file is
 * written on a stage change.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define LOOP_FILES_WHY_MAX 160

/*
 * Open directory path (absolute) safely, creating what is missing when create is set (mode
 * 0755). *ret_fd: an O_RDONLY|O_DIRECTORY fd. why (LOOP_FILES_WHY_MAX): on failure, which
 * component and what is wrong with it. 0, or -ELOOP (a symlink), -EPERM (owner or mode),
 * -ENOTDIR, -ENOENT (missing, create not set), another -errno.
 */
int loop_dir_open(const char *path, bool create, int *ret_fd, char *why);

/* Write text to dirfd/name via an O_EXCL temporary and renameat(). 0 or -errno. */
int loop_file_write_at(int dirfd, const char *name, const char *text, size_t len, mode_t mode);

/* The same for an absolute path: its directory is opened (and created) with loop_dir_open().
 * why as there (may be NULL). 0 or -errno. */
int loop_file_write(const char *path, const char *text, size_t len, mode_t mode, char *why);

/*
 * Take the daemon's lock: lock_path is created (directory checked as above), flock()ed
 * exclusively without waiting, and our pid written into it. *ret_fd holds the lock until
 * closed. 0; -EBUSY when another process holds it (*ret_holder: its pid from the file, or 0);
 * another -errno.
 */
int loop_lock_take(const char *lock_path, int *ret_fd, pid_t *ret_holder, char *why);

/*
 * Is the lock held by a running daemon? 1 yes (*ret_holder: its pid, or 0 if unreadable),
 * 0 no (no file, or nobody holds it: a stale state file), <0 -errno.
 */
int loop_lock_probe(const char *lock_path, pid_t *ret_holder);
