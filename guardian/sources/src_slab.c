/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guardian/base/log.h"
#include "guardian/sources/src_bigread.h"
#include "guardian/sources/src_slab.h"
#include "guardian/sources/src_text.h"
#include "policy/util/cleanup.h"
#include "policy/util/strutil.h"

/* Keeps the `cap` largest caches seen so far (unsorted until top_finish()). */
struct top {
	struct og_slab *arr;
	size_t cap, n, seen;
};

static void top_add(struct top *t, const struct og_slab *s)
{
	size_t min = 0;

	t->seen++;
	if (t->n < t->cap) {
		t->arr[t->n++] = *s;
		return;
	}
	if (t->cap == 0)
		return;
	for (size_t i = 1; i < t->n; i++)
		if (t->arr[i].total_bytes < t->arr[min].total_bytes)
			min = i;
	if (s->total_bytes > t->arr[min].total_bytes)
		t->arr[min] = *s;
}

static int cmp_slab(const void *a, const void *b)
{
	const struct og_slab *x = a, *y = b;

	if (x->total_bytes != y->total_bytes)
		return x->total_bytes < y->total_bytes ? 1 : -1;
	return strcmp(x->name, y->name);
}

static void top_finish(struct top *t)
{
	if (t->n > 1) /* arr may be NULL with cap 0 */
		qsort(t->arr, t->n, sizeof(t->arr[0]), cmp_slab);
}

static int mul_ok(uint64_t a, uint64_t b, uint64_t *ret)
{
	if (b && a > UINT64_MAX / b)
		return -EBADMSG;
	*ret = a * b;
	return 0;
}

/* Expect the literal word w next on the line. */
static int expect(const char **p, const char *w)
{
	char tok[16];

	if (src_text_token(p, tok, sizeof(tok)) < 0 || strcmp(tok, w) != 0)
		return -EBADMSG;
	return 0;
}

/* "name active num objsize perslab pagesperslab : tunables l b s : slabdata as ns sa ..." */
static int slabinfo_line(const char *p, uint64_t page_size, struct og_slab *s)
{
	uint64_t v[5], tun, sd[3], bytes;
	int r;

	memset(s, 0, sizeof(*s));
	r = src_text_token(&p, s->name, sizeof(s->name));
	if (r < 0 && r != -ENAMETOOLONG)
		return -EBADMSG; /* a too-long name is kept truncated (no sysfs lookup then) */
	for (int i = 0; i < 5; i++)
		if (src_text_u64(&p, NULL, &v[i]) < 0)
			return -EBADMSG;
	if (expect(&p, ":") < 0 || expect(&p, "tunables") < 0)
		return -EBADMSG;
	for (int i = 0; i < 3; i++)
		if (src_text_u64(&p, NULL, &tun) < 0)
			return -EBADMSG;
	if (expect(&p, ":") < 0 || expect(&p, "slabdata") < 0)
		return -EBADMSG;
	for (int i = 0; i < 3; i++)
		if (src_text_u64(&p, NULL, &sd[i]) < 0)
			return -EBADMSG;
	/* SLAB with statistics appends ": globalstat ... : cpustat ..." */
	p = src_text_skip_blank(p);
	if (!src_text_at_eol(p) && *p != ':')
		return -EBADMSG;
	if (v[0] > v[1] || v[4] == 0 || sd[0] > sd[1])
		return -EBADMSG;
	if (mul_ok(sd[1], v[4], &bytes) < 0 || mul_ok(bytes, page_size, &bytes) < 0)
		return -EBADMSG;
	s->active_objs = v[0];
	s->num_objs = v[1];
	s->objsize_bytes = v[2];
	s->total_bytes = bytes;
	return 0;
}

int src_slabinfo_parse_buf(const char *buf, uint64_t page_size, struct og_slab *arr, size_t cap,
			   size_t *ret_n)
{
	struct top t = { .arr = arr, .cap = cap };
	const char *p = buf;

	if (page_size == 0)
		return -EINVAL;
	if (!og_startswith(p, "slabinfo - version: "))
		return -EBADMSG;
	p += strlen("slabinfo - version: ");
	/* 2.1 since 2.6.10; "2.1 (statistics)" with CONFIG_DEBUG_SLAB. 2.0 had no slabdata. */
	if (!og_startswith(p, "2.1") || !(p[3] == '\n' || p[3] == ' ' || p[3] == '\0'))
		return -EPROTONOSUPPORT;
	for (p = src_text_next_line(p); *p; p = src_text_next_line(p)) {
		struct og_slab s;

		if (*p == '#' || src_text_at_eol(p))
			continue;
		if (slabinfo_line(p, page_size, &s) < 0)
			return -EBADMSG;
		top_add(&t, &s);
	}
	top_finish(&t);
	*ret_n = t.n;
	return (int)(t.seen > INT32_MAX ? INT32_MAX : t.seen);
}

/* First number of a sysfs slab attribute ("42231 N0=42231"). 0 or -errno/-EBADMSG. */
static int read_attr(int dirfd, const char *name, const char *attr, uint64_t *ret)
{
	char path[OG_SLAB_NAME_MAX + 32], buf[512]; /* per-node suffix: ~10 bytes a node */
	const char *p = buf;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", name, attr);
	n = og_read_at(dirfd, path, buf, sizeof(buf));
	if (n == -EFBIG) {
		/* 64 nodes of " N63=123456789" do not fit: the first number is all we need */
		char big[4096];

		n = og_read_at(dirfd, path, big, sizeof(big));
		if (n < 0)
			return (int)n;
		p = big;
		return src_text_u64(&p, NULL, ret);
	}
	if (n < 0)
		return (int)n;
	return src_text_u64(&p, NULL, ret);
}

/* A name we may use as one path component below sys/kernel/slab. */
static bool safe_name(const char *name)
{
	return name[0] && !strchr(name, '/') && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0 && strlen(name) < OG_SLAB_NAME_MAX - 1;
}

static int sysfs_cache(int slab_fd, const char *name, uint64_t page_size, struct og_slab *s)
{
	uint64_t objects, total, size, order, slabs, per_slab;
	int r;

	memset(s, 0, sizeof(*s));
	og_strscpy(s->name, name, sizeof(s->name));
	/* objects, total_objects and slabs need CONFIG_SLUB_DEBUG (on in distro kernels) */
	r = read_attr(slab_fd, name, "objects", &objects);
	if (r >= 0)
		r = read_attr(slab_fd, name, "total_objects", &total);
	if (r >= 0)
		r = read_attr(slab_fd, name, "order", &order);
	if (r < 0)
		return r;
	if (read_attr(slab_fd, name, "slab_size", &size) < 0 &&
	    read_attr(slab_fd, name, "object_size", &size) < 0)
		size = 0;
	if (read_attr(slab_fd, name, "slabs", &slabs) < 0) {
		r = read_attr(slab_fd, name, "objs_per_slab", &per_slab);
		if (r < 0)
			return r;
		slabs = per_slab ? (total + per_slab - 1) / per_slab : 0;
	}
	if (order > 20 || objects > total)
		return -EBADMSG;
	if (mul_ok(slabs, page_size << order, &s->total_bytes) < 0)
		return -EBADMSG;
	s->active_objs = objects;
	s->num_objs = total;
	s->objsize_bytes = size;
	return 0;
}

/* The sysfs fallback: every cache directory (symlinks are aliases of merged caches). */
static int read_sysfs_slabs(int slab_fd, uint64_t page_size, struct top *t)
{
	_cleanup_close_ int fd = openat(slab_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d)
		return -errno;
	fd = -1;
	while ((de = readdir(d))) {
		struct og_slab s;
		struct stat st;
		int r;

		if (de->d_name[0] == '.' || !safe_name(de->d_name))
			continue;
		if (de->d_type == DT_UNKNOWN) {
			if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			if (!S_ISDIR(st.st_mode))
				continue;
		} else if (de->d_type != DT_DIR)
			continue;
		r = sysfs_cache(slab_fd, de->d_name, page_size, &s);
		if (r == -ENOMEM) {
			closedir(d);
			return r;
		}
		if (r < 0) {
			(void)log_debug_errno(r, "slab '%s': unreadable, skipping", de->d_name);
			continue;
		}
		top_add(t, &s);
	}
	closedir(d);
	top_finish(t);
	return 0;
}

/*
 * The flags already read, by name: a cache's reclaim_account is fixed when the cache is
 * created, and reading it for each of ~300 caches is most of a refresh (2026-12-03, a Debian
 * 12 guest under TCG: 258 ms for 306 caches against 3 ms for /proc/slabinfo). Open
 * addressing on a 64-bit FNV-1a hash of the name; full, it stops learning (the rest are read
 * every time).
 */
#define SLAB_FLAGS_SLOTS 2048 /* a power of two; SLAB_FLAGS_MAX of them in use at most */
#define SLAB_FLAGS_MAX (SLAB_FLAGS_SLOTS * 3 / 4)

struct og_slab_flags {
	uint64_t hash[SLAB_FLAGS_SLOTS]; /* 0: empty */
	uint8_t reclaimable[SLAB_FLAGS_SLOTS];
	size_t n;
};

int og_slab_flags_new(struct og_slab_flags **ret)
{
	*ret = calloc(1, sizeof(**ret));
	return *ret ? 0 : -ENOMEM;
}

void og_slab_flags_free(struct og_slab_flags *f)
{
	free(f);
}

static uint64_t name_hash(const char *name)
{
	uint64_t h = 14695981039346656037ULL;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return h ? h : 1;
}

/* The slot of name's hash: its own, or the empty one where it would go. */
static size_t flags_slot(const struct og_slab_flags *f, uint64_t h)
{
	size_t i = (size_t)h & (SLAB_FLAGS_SLOTS - 1);

	while (f->hash[i] && f->hash[i] != h)
		i = (i + 1) & (SLAB_FLAGS_SLOTS - 1);
	return i;
}

static void set_reclaim_flags(int slab_fd, struct og_slab_flags *f, struct og_slab *arr,
			      size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v, h = 0;
		size_t slot = 0;

		arr[i].reclaimable = false;
		arr[i].has_reclaim_flag = false;
		if (slab_fd < 0 || !safe_name(arr[i].name))
			continue;
		if (f) {
			h = name_hash(arr[i].name);
			slot = flags_slot(f, h);
			if (f->hash[slot] == h) {
				arr[i].reclaimable = f->reclaimable[slot];
				arr[i].has_reclaim_flag = true;
				continue;
			}
		}
		if (read_attr(slab_fd, arr[i].name, "reclaim_account", &v) < 0 || v > 1)
			continue;
		arr[i].reclaimable = v == 1;
		arr[i].has_reclaim_flag = true;
		if (f && f->n < SLAB_FLAGS_MAX) {
			f->hash[slot] = h;
			f->reclaimable[slot] = v == 1;
			f->n++;
		}
	}
}

int src_read_slabs(const struct og_root *root, uint64_t page_size, struct og_slab *arr,
		   size_t cap, struct og_slab_flags *flags, size_t *ret_n)
{
	_cleanup_close_ int slab_fd = -1;
	const char *buf;
	size_t n = 0;
	ssize_t len;
	int r;

	if (page_size == 0)
		return -EINVAL;
	if (root->sys_fd >= 0)
		slab_fd = openat(root->sys_fd, "kernel/slab", O_PATH | O_DIRECTORY | O_CLOEXEC);
	len = src_read_large(root, root->proc_fd, "slabinfo", &buf);
	if (len >= 0) {
		r = src_slabinfo_parse_buf(buf, page_size, arr, cap, &n);
		if (r < 0) {
			(void)log_debug_errno(r, "'%s/proc/slabinfo': cannot parse", root->path);
			return r;
		}
	} else {
		struct top t = { .arr = arr, .cap = cap };

		/* 0400 root-only, or SLOB: sysfs has the same numbers (SLUB only) */
		if (slab_fd < 0)
			return (int)len;
		(void)log_debug_errno((int)len, "'%s/proc/slabinfo': %m, using sys/kernel/slab",
				root->path);
		r = read_sysfs_slabs(slab_fd, page_size, &t);
		if (r < 0)
			return r;
		n = t.n;
		r = (int)(t.seen > INT32_MAX ? INT32_MAX : t.seen);
	}
	set_reclaim_flags(slab_fd, flags, arr, n);
	*ret_n = n;
	return r;
}
