/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Safe creation of the daemon's files and its lock (see loop_files.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guardian/loop/loop_files.h"
#include "policy/util/cleanup.h"
#include "policy/util/strutil.h"

#define PATH_MAX_HERE 1024

static void set_why(char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_why(char *why, const char *fmt, ...)
{
	va_list ap;

	if (!why)
		return;
	va_start(ap, fmt);
	vsnprintf(why, LOOP_FILES_WHY_MAX, fmt, ap);
	va_end(ap);
}

/*
 * May we trust directory fd (the one named so far as shown)? last: we write into it, so
 * nobody else may. Ancestors may be world-writable only when sticky and root's (/tmp).
 */
static int check_dir(int fd, const char *shown, bool last, char *why)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode)) {
		set_why(why, "'%s' is not a directory", shown);
		return -ENOTDIR;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		set_why(why, "'%s' is owned by uid %u, not root", shown, (unsigned)st.st_uid);
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		if (last || !(st.st_mode & S_ISVTX) || st.st_uid != 0) {
			set_why(why, "'%s' is writable by %s", shown,
				st.st_mode & S_IWOTH ? "others" : "its group");
			return -EPERM;
		}
	}
	return 0;
}

int loop_dir_open(const char *path, bool create, int *ret_fd, char *why)
{
	char buf[PATH_MAX_HERE], shown[PATH_MAX_HERE];
	_cleanup_close_ int fd = -1;
	char *p, *next;
	int r;

	if (why)
		why[0] = '\0';
	if (!path || !path[0] || strlen(path) >= sizeof(buf))
		return -EINVAL;
	og_strscpy(buf, path, sizeof(buf));
	fd = open(buf[0] == '/' ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	og_strscpy(shown, buf[0] == '/' ? "/" : ".", sizeof(shown));
	for (p = buf; *p == '/'; p++)
		;
	if (!*p) { /* "/" itself */
		r = check_dir(fd, shown, true, why);
		if (r < 0)
			return r;
		*ret_fd = OG_TAKE_FD(fd);
		return 0;
	}
	for (; p && *p; p = next) {
		int nfd;
		bool last;

		next = strchr(p, '/');
		if (next) {
			*next++ = '\0';
			while (*next == '/')
				next++;
		}
		last = !next || !*next;
		if (strcmp(p, ".") == 0)
			continue;
		if (strcmp(p, "..") == 0) {
			set_why(why, "'%s': '..' in the path", path);
			return -EINVAL;
		}
		{
			size_t used = strlen(shown), need = strlen(p) + 1;

			if (used + need + 1 > sizeof(shown))
				return -ENAMETOOLONG;
			if (strcmp(shown, "/") != 0)
				shown[used++] = '/';
			memcpy(shown + used, p, need);
		}
		nfd = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, p, 0755) < 0 && errno != EEXIST)
				return -errno;
			nfd = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (nfd < 0) {
			struct stat st;

			r = -errno;
			if ((r == -ELOOP || r == -ENOTDIR) &&
			    fstatat(fd, p, &st, AT_SYMLINK_NOFOLLOW) == 0) {
				set_why(why, "'%s' is %s", shown,
					S_ISLNK(st.st_mode) ? "a symlink" : "not a directory");
				return S_ISLNK(st.st_mode) ? -ELOOP : -ENOTDIR;
			}
			if (r == -ENOENT)
				set_why(why, "'%s' does not exist", shown);
			return r;
		}
		close(fd);
		fd = nfd;
		r = check_dir(fd, shown, last, why);
		if (r < 0)
			return r;
	}
	*ret_fd = OG_TAKE_FD(fd);
	return 0;
}

static int write_all(int fd, const char *text, size_t len)
{
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		off += (size_t)n;
	}
	return 0;
}

int loop_file_write_at(int dirfd, const char *name, const char *text, size_t len, mode_t mode)
{
	static unsigned counter;
	char tmp[PATH_MAX_HERE];
	int fd = -1, r;

	if (!name[0] || strchr(name, '/') || strlen(name) > 200)
		return -EINVAL;
	/* A name nobody could have planted for us: O_EXCL, and another try if it exists. */
	for (int i = 0; i < 16 && fd < 0; i++) {
		snprintf(tmp, sizeof(tmp), ".%s.%d.%u.tmp", name, (int)getpid(), ++counter);
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd < 0 && errno != EEXIST)
			return -errno;
	}
	if (fd < 0)
		return -EEXIST;
	r = write_all(fd, text, len);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(dirfd, tmp, 0);
	return r;
}

/* Split path into its directory (written to dir) and the last component (returned). */
static const char *split_path(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (!slash) {
		og_strscpy(dir, ".", size);
		return path;
	}
	if (slash == path)
		og_strscpy(dir, "/", size);
	else
		snprintf(dir, size, "%.*s", (int)(slash - path), path);
	return slash + 1;
}

int loop_file_write(const char *path, const char *text, size_t len, mode_t mode, char *why)
{
	char dir[PATH_MAX_HERE];
	const char *name;
	_cleanup_close_ int dfd = -1;
	int r;

	if (strlen(path) >= sizeof(dir))
		return -ENAMETOOLONG;
	name = split_path(path, dir, sizeof(dir));
	r = loop_dir_open(dir, true, &dfd, why);
	if (r < 0)
		return r;
	return loop_file_write_at(dfd, name, text, len, mode);
}

static pid_t read_pid(int fd)
{
	char b[32];
	ssize_t n = pread(fd, b, sizeof(b) - 1, 0);
	int pid;

	if (n <= 0)
		return 0;
	b[n] = '\0';
	b[strcspn(b, "\n")] = '\0';
	return og_parse_int(b, &pid) == 0 && pid > 0 ? pid : 0;
}

int loop_lock_take(const char *lock_path, int *ret_fd, pid_t *ret_holder, char *why)
{
	char dir[PATH_MAX_HERE], b[32];
	const char *name;
	_cleanup_close_ int dfd = -1, fd = -1;
	struct stat st;
	int r, n;

	if (strlen(lock_path) >= sizeof(dir))
		return -ENAMETOOLONG;
	name = split_path(lock_path, dir, sizeof(dir));
	r = loop_dir_open(dir, true, &dfd, why);
	if (r < 0)
		return r;
	fd = openat(dfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || st.st_nlink != 1) {
		set_why(why, "'%s' is not a plain file of ours", lock_path);
		return -EPERM;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = -errno;
		if (r == -EWOULDBLOCK) {
			if (ret_holder)
				*ret_holder = read_pid(fd);
			return -EBUSY;
		}
		return r;
	}
	n = snprintf(b, sizeof(b), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, b, (size_t)n, 0) != n)
		return -errno ? -errno : -EIO;
	*ret_fd = OG_TAKE_FD(fd);
	return 0;
}

int loop_lock_probe(const char *lock_path, pid_t *ret_holder)
{
	_cleanup_close_ int fd = open(lock_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (flock(fd, LOCK_SH | LOCK_NB) == 0)
		return 0; /* nobody holds it; closing the fd drops our shared lock */
	if (errno != EWOULDBLOCK)
		return -errno;
	if (ret_holder)
		*ret_holder = read_pid(fd);
	return 1;
}
