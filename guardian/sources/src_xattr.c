/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ManagedOOMPreference= from cgroup xattrs. See src_xattr.h for the rules. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "guardian/base/log.h"
#include "guardian/sources/src_xattr.h"
#include "policy/engine/pol_victim.h"
#include "policy/util/cleanup.h"
#include "policy/util/strutil.h"

/* Distinct cgroups remembered per src_xattr_fill_procs() call: a direct-mapped table on the
 * stack (4 KiB). A collision only costs a second lookup. */
#define XATTR_CACHE 256

int src_xattr_parse_bool(const char *value, size_t len)
{
	char v[8];

	while (len > 0 && (value[len - 1] == '\n' || value[len - 1] == '\0'))
		len--;
	if (len == 0 || len >= sizeof(v))
		return -EINVAL;
	memcpy(v, value, len);
	v[len] = '\0';
	return og_parse_bool(v);
}

/* "" and "/" are the hierarchy root ("."), "/a/b" is "a/b". */
static const char *rel_path(const char *path)
{
	while (*path == '/')
		path++;
	return *path ? path : ".";
}

int src_xattr_cgroup_owner(int cg2_fd, const char *path, uid_t *ret_uid)
{
	struct stat st;

	if (cg2_fd < 0)
		return -EBADF;
	if (fstatat(cg2_fd, rel_path(path), &st, 0) < 0)
		return -errno;
	*ret_uid = st.st_uid;
	return 0;
}

/* True if the xattr name is set to a true value on fd. */
static bool xattr_true(int fd, const char *name)
{
	char buf[16]; /* "1\n" at most in practice; longer is not a boolean */
	ssize_t n = fgetxattr(fd, name, buf, sizeof(buf));

	if (n < 0) {
		if (errno != ENODATA && errno != ENOTSUP)
			log_debug_errno(-errno, "xattr %s unreadable: %m, ignoring", name);
		return false;
	}
	return src_xattr_parse_bool(buf, (size_t)n) == 1;
}

static const struct {
	const char *name;
	bool trusted;
	enum og_oomd_pref pref;
} keys[] = {
	/* omit first: on one cgroup omit wins over avoid, as in systemd-oomd */
	{"trusted.oomd_omit", true, OG_OOMD_OMIT},
	{"user.oomd_omit", false, OG_OOMD_OMIT},
	{"trusted.oomd_avoid", true, OG_OOMD_AVOID},
	{"user.oomd_avoid", false, OG_OOMD_AVOID},
};

/* The preference set on one cgroup (path starts with '/'), with systemd-oomd's owner rule. */
static int level_pref(int cg2_fd, const char *path, uid_t scope_uid, char *from, size_t size)
{
	_cleanup_close_ int fd = openat(cg2_fd, rel_path(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	bool owner_ok;

	if (fd < 0 || fstat(fd, &st) < 0)
		return OG_OOMD_NONE; /* vanished meanwhile: nothing to honour */
	owner_ok = st.st_uid == 0 || st.st_uid == scope_uid;
	for (size_t i = 0; i < OG_ELEMENTSOF(keys); i++) {
		if (!keys[i].trusted && !owner_ok)
			continue;
		if (!xattr_true(fd, keys[i].name))
			continue;
		if (from)
			snprintf(from, size, "%s on %s", keys[i].name, path);
		return keys[i].pref;
	}
	return OG_OOMD_NONE;
}

/* A level's user.* xattr that the owner rule ignores: NONE if there is none. */
static int level_ignored(int cg2_fd, const char *path, uid_t scope_uid, char *from, size_t size)
{
	_cleanup_close_ int fd = openat(cg2_fd, rel_path(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0 || st.st_uid == 0 || st.st_uid == scope_uid)
		return OG_OOMD_NONE;
	for (size_t i = 0; i < OG_ELEMENTSOF(keys); i++)
		if (!keys[i].trusted && xattr_true(fd, keys[i].name)) {
			snprintf(from, size, "%s on %s (owned by uid %u)", keys[i].name, path,
				 (unsigned)st.st_uid);
			return keys[i].pref;
		}
	return OG_OOMD_NONE;
}

/*
 * The levels src_xattr_oomd_pref() reads: the cgroup, then its ancestors up to the unit's own
 * cgroup (only the cgroup itself without a unit), never the root. The first one where fn finds
 * something decides.
 */
static int walk_levels(int cg2_fd, const char *cgroup, const char *unit, uid_t scope_uid,
		       int (*fn)(int, const char *, uid_t, char *, size_t), char *from, size_t size)
{
	char path[OG_CGROUP_PATH_MAX];
	size_t ulen = unit ? strlen(unit) : 0;

	if (cg2_fd < 0 || !cgroup || cgroup[0] != '/')
		return OG_OOMD_NONE;
	og_strscpy(path, cgroup, sizeof(path));
	for (;;) {
		char *slash = strrchr(path, '/');
		int pref;

		if (!slash || slash[1] == '\0')
			return OG_OOMD_NONE; /* the root: systemd never marks it */
		pref = fn(cg2_fd, path, scope_uid, from, size);
		if (pref != OG_OOMD_NONE)
			return pref;
		/* this level is the unit's own cgroup (or there is no unit): stop here */
		if (ulen == 0 || strcmp(slash + 1, unit) == 0)
			return OG_OOMD_NONE;
		*slash = '\0';
	}
}

int src_xattr_oomd_pref(int cg2_fd, const char *cgroup, const char *unit, uid_t scope_uid,
			char *ret_from, size_t from_size)
{
	if (ret_from && from_size)
		ret_from[0] = '\0';
	return walk_levels(cg2_fd, cgroup, unit, scope_uid, level_pref, ret_from, from_size);
}

bool src_xattr_oomd_ignored(int cg2_fd, const char *cgroup, const char *unit, uid_t scope_uid,
			    char *ret, size_t size)
{
	if (!ret || !size)
		return false;
	ret[0] = '\0';
	return walk_levels(cg2_fd, cgroup, unit, scope_uid, level_ignored, ret, size) !=
	       OG_OOMD_NONE;
}

void src_xattr_fill_procs(int cg2_fd, const char *scope, struct og_proc *procs, size_t n)
{
	struct {
		uint64_t hash;
		uint8_t pref;
		bool used;
	} cache[XATTR_CACHE] = {0};
	uid_t scope_uid = 0;

	if (cg2_fd >= 0 && scope && scope[0] && strcmp(scope, "/") != 0 &&
	    src_xattr_cgroup_owner(cg2_fd, scope, &scope_uid) < 0)
		scope_uid = 0;
	for (size_t i = 0; i < n; i++) {
		struct og_proc *p = &procs[i];
		uint64_t h;
		size_t slot;

		p->oomd_pref = OG_OOMD_NONE;
		if (cg2_fd < 0 || p->cgroup[0] != '/' || p->cgroup[1] == '\0')
			continue;
		h = pol_cgroup_hash(p->cgroup);
		slot = h % XATTR_CACHE;
		if (!cache[slot].used || cache[slot].hash != h) {
			cache[slot].hash = h;
			cache[slot].used = true;
			cache[slot].pref = (uint8_t)src_xattr_oomd_pref(cg2_fd, p->cgroup, p->unit,
									scope_uid, NULL, 0);
		}
		p->oomd_pref = cache[slot].pref;
	}
}

/* One directory of src_xattr_list(): its xattrs, then its children (depth-first). */
static int list_dir(int fd, char *path, size_t len, size_t size, unsigned depth, uid_t scope_uid,
		    src_xattr_list_cb cb, void *data)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	int n = 0;

	if (fstat(fd, &st) < 0) {
		close(fd);
		return 0; /* vanished meanwhile */
	}
	for (size_t i = 0; i < OG_ELEMENTSOF(keys); i++)
		if (xattr_true(fd, keys[i].name)) {
			cb(len ? path : "/", keys[i].name, keys[i].pref, st.st_uid,
			   keys[i].trusted || st.st_uid == 0 || st.st_uid == scope_uid, data);
			n++;
		}
	if (depth >= 64 || !(d = fdopendir(fd))) { /* deeper than systemd ever nests */
		close(fd);
		return n;
	}
	while ((de = readdir(d))) {
		int cfd;
		size_t l = strlen(de->d_name);

		if (de->d_type != DT_DIR || de->d_name[0] == '.' || len + 1 + l >= size)
			continue;
		cfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (cfd < 0)
			continue;
		path[len] = '/';
		memcpy(path + len + 1, de->d_name, l + 1);
		n += list_dir(cfd, path, len + 1 + l, size, depth + 1, scope_uid, cb, data);
		path[len] = '\0';
	}
	closedir(d);
	return n;
}

int src_xattr_list(int cg2_fd, const char *under, src_xattr_list_cb cb, void *data)
{
	char path[OG_CGROUP_PATH_MAX] = "";
	uid_t scope_uid = 0;
	size_t len = 0;
	int fd, r;

	if (cg2_fd < 0)
		return -EBADF;
	if (under && under[0] && strcmp(under, "/") != 0) {
		len = strlen(under);
		if (len >= sizeof(path))
			return -ENAMETOOLONG;
		memcpy(path, under, len + 1);
		while (len > 1 && path[len - 1] == '/')
			path[--len] = '\0';
		r = src_xattr_cgroup_owner(cg2_fd, path, &scope_uid);
		if (r < 0)
			return r;
	}
	fd = openat(cg2_fd, len ? rel_path(path) : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return list_dir(fd, path, len, sizeof(path), 0, scope_uid, cb, data);
}
