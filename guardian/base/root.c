/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guardian/base/root.h"
#include "policy/util/cleanup.h"
#include "policy/util/strutil.h"

static int open_dir(int dirfd, const char *path)
{
	int fd = openat(dirfd, path, O_PATH | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int og_root_open(struct og_root *ret, const char *dir)
{
	struct og_root r = { .root_fd = -1, .proc_fd = -1, .sys_fd = -1, .cgroup_fd = -1 };
	int fd;

	if (!dir || !*dir)
		dir = "/";
	og_strscpy(r.path, dir, sizeof(r.path));
	fd = open_dir(AT_FDCWD, dir);
	if (fd < 0)
		return fd;
	r.root_fd = fd;
	fd = open_dir(r.root_fd, "proc");
	if (fd < 0) {
		og_root_close(&r);
		return fd;
	}
	r.proc_fd = fd;
	fd = open_dir(r.root_fd, "sys");
	r.sys_fd = fd < 0 ? -1 : fd;
	fd = open_dir(r.root_fd, "sys/fs/cgroup");
	r.cgroup_fd = fd < 0 ? -1 : fd;
	*ret = r;
	return 0;
}

int og_root_check(const char *dir, int need_proc, char *ret_why, size_t size)
{
	struct stat st;
	int r;

	if (stat(dir, &st) < 0) {
		r = -errno;
		snprintf(ret_why, size, "%s", strerror(-r));
		return r;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(ret_why, size, "not a directory");
		return -ENOTDIR;
	}
	if (need_proc) {
		_cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0 || fstatat(fd, "proc", &st, 0) < 0 || !S_ISDIR(st.st_mode)) {
			snprintf(ret_why, size,
				 "it holds no proc/ directory (not a root tree; fixture trees come "
				 "from contrib/capture-fixture.sh)");
			return -ENOENT;
		}
	}
	return 0;
}

void og_root_close(struct og_root *root)
{
	int *fds[] = { &root->root_fd, &root->proc_fd, &root->sys_fd, &root->cgroup_fd };

	for (size_t i = 0; i < OG_ELEMENTSOF(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

ssize_t og_read_at(int dirfd, const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = -1;
	size_t len = 0;

	if (dirfd < 0)
		return -ENOENT;
	if (size < 2)
		return -EINVAL;
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	/* procfs hands most files over in one read(); regular files (fixtures) may need more. */
	for (;;) {
		ssize_t n = read(fd, buf + len, size - 1 - len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == size - 1) {
			char c;

			/* Exactly full: only an EOF now proves nothing was cut off. */
			n = read(fd, &c, 1);
			if (n != 0)
				return -EFBIG;
			break;
		}
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

int og_write_at(int dirfd, const char *path, const char *value)
{
	_cleanup_close_ int fd = -1;
	size_t len = strlen(value);
	ssize_t n;

	if (dirfd < 0)
		return -ENOENT;
	fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	n = write(fd, value, len);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

ssize_t og_readlink_at(int dirfd, const char *path, char *buf, size_t size)
{
	ssize_t n;

	if (dirfd < 0)
		return -ENOENT;
	n = readlinkat(dirfd, path, buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}
