/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tmpfs mounts and their use (see src_tmpfs.h). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "guardian/sources/src_bigread.h"
#include "guardian/sources/src_tmpfs.h"
#include "policy/util/strutil.h"

#define TMPFS_MAGIC_NR 0x01021994 /* linux/magic.h TMPFS_MAGIC */
#define TMPFS_SEEN_MAX 256 /* mount points looked at per read: beyond, a host of containers */

/* Copy field [f, end) into dst, undoing mountinfo's \ooo escapes. false if it does not fit. */
static bool unescape(const char *f, const char *end, char *dst, size_t size)
{
	size_t n = 0;

	while (f < end) {
		char c = *f++;

		if (c == '\\' && end - f >= 3 && f[0] >= '0' && f[0] <= '3' && f[1] >= '0' &&
		    f[1] <= '7' && f[2] >= '0' && f[2] <= '7') {
			c = (char)((f[0] - '0') * 64 + (f[1] - '0') * 8 + (f[2] - '0'));
			f += 3;
		}
		if (n + 1 >= size)
			return false;
		dst[n++] = c;
	}
	dst[n] = '\0';
	return true;
}

static const char *next_line(const char *line)
{
	const char *eol = strchr(line, '\n');

	return eol ? eol + 1 : NULL;
}

int tmpfs_parse_mountinfo(const char *buf, struct og_tmpfs *ret, size_t max)
{
	size_t n = 0;

	for (const char *line = buf; line && *line; line = next_line(line)) {
		const char *eol = strchr(line, '\n'), *f = line, *sep, *mp, *mpe;

		if (!eol)
			eol = line + strlen(line);
		if (eol == line)
			continue;
		/* "36 35 98:0 / /mnt/tmp rw,noatime master:1 - tmpfs tmpfs rw,size=..." */
		sep = memmem(line, (size_t)(eol - line), " - ", 3);
		if (!sep)
			return -EBADMSG;
		for (int i = 0; i < 4 && f < sep; i++) { /* to field 5, the mount point */
			f = memchr(f, ' ', (size_t)(sep - f));
			if (!f)
				return -EBADMSG;
			f++;
		}
		mp = f;
		mpe = memchr(mp, ' ', (size_t)(sep - mp));
		if (!mpe)
			mpe = sep;
		if (strncmp(sep + 3, "tmpfs ", 6) != 0 || n >= max)
			continue;
		memset(&ret[n], 0, sizeof(ret[n]));
		if (unescape(mp, mpe, ret[n].path, sizeof(ret[n].path)) && ret[n].path[0] == '/')
			n++;
	}
	return (int)n;
}

/* statfs of the mount point below the root, and its device (bind mounts of one tmpfs count
 * once). 0, -ENOTSUP when it is not a tmpfs there (a fixture's plain directory). */
static int measure(const struct og_root *root, struct og_tmpfs *t, dev_t *ret_dev)
{
	const char *rel = t->path + strspn(t->path, "/");
	struct statfs sf;
	struct stat st;
	int fd, r = 0;

	fd = openat(root->root_fd, *rel ? rel : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstatfs(fd, &sf) < 0 || fstat(fd, &st) < 0)
		r = -errno;
	else if ((unsigned long)sf.f_type != TMPFS_MAGIC_NR)
		r = -ENOTSUP;
	close(fd);
	if (r < 0)
		return r;
	t->size_bytes = (uint64_t)sf.f_blocks * (uint64_t)sf.f_bsize;
	t->used_bytes = (uint64_t)(sf.f_blocks - sf.f_bfree) * (uint64_t)sf.f_bsize;
	*ret_dev = st.st_dev;
	return 0;
}

/* Insert t into ret[0..*n) kept in descending order of used bytes, at most max. */
static void keep_largest(struct og_tmpfs *ret, size_t max, size_t *n, const struct og_tmpfs *t)
{
	size_t k;

	if (*n == max && ret[max - 1].used_bytes >= t->used_bytes)
		return; /* full, and t is not larger than the smallest kept */
	k = *n < max ? (*n)++ : max - 1;
	for (; k > 0 && ret[k - 1].used_bytes < t->used_bytes; k--)
		ret[k] = ret[k - 1];
	ret[k] = *t;
}

int src_read_tmpfs(const struct og_root *root, struct og_tmpfs *ret, size_t max, size_t *ret_n)
{
	static struct og_tmpfs seen[TMPFS_SEEN_MAX]; /* 66 KiB: not on the stack */
	dev_t devs[TMPFS_SEEN_MAX];
	size_t n = 0, ndevs = 0;
	const char *buf;
	ssize_t len;
	int nseen;

	*ret_n = 0;
	if (root->root_fd < 0 || max == 0)
		return -ENOENT;
	len = src_read_large(NULL, root->proc_fd, "self/mountinfo", &buf);
	if (len < 0)
		return (int)len;
	nseen = tmpfs_parse_mountinfo(buf, seen, TMPFS_SEEN_MAX);
	if (nseen < 0)
		return nseen;
	memset(ret, 0, max * sizeof(*ret));
	for (int i = 0; i < nseen; i++) {
		bool dup = false;
		dev_t dev = 0;

		if (measure(root, &seen[i], &dev) < 0 || seen[i].used_bytes == 0)
			continue;
		for (size_t d = 0; d < ndevs && !dup; d++)
			dup = devs[d] == dev;
		if (dup)
			continue;
		devs[ndevs++] = dev;
		keep_largest(ret, max, &n, &seen[i]);
	}
	*ret_n = n;
	return 0;
}
