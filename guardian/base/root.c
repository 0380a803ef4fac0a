/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
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

	if (root->keep) {
		og_root_keep_close(root);
		free(root->keep);
		root->keep = NULL;
	}

	for (size_t i = 0; i < OG_ELEMENTSOF(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* The whole file at fd into buf: read() on, or (positional) pread() from offset 0, to EOF.
 * Length, -EFBIG when it does not fit in size - 1 bytes, or -errno. */
static ssize_t read_whole(int fd, char *buf, size_t size, bool positional)
{
	size_t len = 0;

	if (size < 2)
		return -EINVAL;
	/* procfs hands most files over in one read(); regular files (fixtures) may need more. */
	for (;;) {
		ssize_t n = positional ? pread(fd, buf + len, size - 1 - len, (off_t)len) :
					 read(fd, buf + len, size - 1 - len);

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
			n = positional ? pread(fd, &c, 1, (off_t)len) : read(fd, &c, 1);
			if (n != 0)
				return -EFBIG;
			break;
		}
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

ssize_t og_read_at(int dirfd, const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = -1;

	if (dirfd < 0)
		return -ENOENT;
	if (size < 2)
		return -EINVAL;
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	return read_whole(fd, buf, size, false);
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

/* ------------------------------------------------------------------ kept files */

#define KEEP_PATH_MAX 64 /* "devices/system/node/node1023/meminfo" fits */

struct og_root_keep_file {
	int dirfd;
	int fd;
	char path[KEEP_PATH_MAX];
};

struct og_root_keep {
	size_t cap, n;
	struct og_root_keep_file f[];
};

int og_root_keep(struct og_root *root, size_t cap)
{
	struct og_root_keep *k;

	if (root->keep)
		return 0;
	k = calloc(1, sizeof(*k) + cap * sizeof(k->f[0]));
	if (!k)
		return -ENOMEM;
	k->cap = cap;
	root->keep = k;
	return 0;
}

void og_root_keep_close(const struct og_root *root)
{
	struct og_root_keep *k = root->keep;

	if (!k)
		return;
	for (size_t i = 0; i < k->n; i++)
		close(k->f[i].fd);
	k->n = 0;
}

ssize_t og_root_read(const struct og_root *root, int dirfd, const char *path, char *buf,
		     size_t size)
{
	struct og_root_keep *k = root->keep;
	ssize_t n;
	int fd;

	if (!k || dirfd < 0 || strlen(path) >= KEEP_PATH_MAX)
		return og_read_at(dirfd, path, buf, size);
	for (size_t i = 0; i < k->n; i++) {
		if (k->f[i].dirfd != dirfd || strcmp(k->f[i].path, path) != 0)
			continue;
		n = read_whole(k->f[i].fd, buf, size, true);
		if (n >= 0 || n == -EFBIG)
			return n;
		close(k->f[i].fd); /* gone (a node offlined): afresh, which says so */
		k->f[i] = k->f[--k->n];
		break;
	}
	if (k->n >= k->cap)
		return og_read_at(dirfd, path, buf, size);
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	n = read_whole(fd, buf, size, true);
	if (n < 0 && n != -EFBIG) {
		close(fd);
		return n;
	}
	k->f[k->n].dirfd = dirfd;
	k->f[k->n].fd = fd;
	og_strscpy(k->f[k->n].path, path, KEEP_PATH_MAX);
	k->n++;
	return n;
}
