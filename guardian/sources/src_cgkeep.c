/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guardian/sources/src_cgkeep.h"
#include "guardian/sources/src_psi.h"
#include "policy/util/cleanup.h"

#define KEEP_PSI_BUF OG_PSI_MAX
#define KEEP_DEPTH_MAX 32
/* A file found absent (no memory controller in that subtree yet) is looked for again on
 * every KEEP_REPROBE-th walk. */
#define KEEP_REPROBE 64

/* The files decisions use (low, events, oom_control are oomguardianctl's), and a sixth */
#define KEEP_FILES                                                                            \
	(SRC_CG_FILE(SRC_CG_CURRENT) | SRC_CG_FILE(SRC_CG_MAX) | SRC_CG_FILE(SRC_CG_HIGH) |     \
	 SRC_CG_FILE(SRC_CG_MIN) | SRC_CG_FILE(SRC_CG_STAT))
/* memory.pressure (v1: of the cgroup2 twin), in the slot after the memory files */
#define KF_PRESSURE SRC_CG__N
#define KF__N (SRC_CG__N + 1)

#define FD_UNOPENED (-1)
#define FD_ABSENT (-2)

struct kept {
	uint64_t ino; /* 0: empty slot */
	uint32_t gen; /* the walk that moved it on (in the old table) */
	int dir;
	int fd[KF__N];
};

struct og_cg_keep {
	struct kept *cur, *next; /* this walk fills next from cur; then they swap */
	size_t nslots; /* a power of two, at least twice cap */
	size_t cap, n, n_next;
	uint32_t gen;
	unsigned long opened;
};

static void kept_init(struct kept *e, uint64_t ino)
{
	e->ino = ino;
	e->gen = 0;
	e->dir = -1;
	for (int i = 0; i < KF__N; i++)
		e->fd[i] = FD_UNOPENED;
}

/* Its files closed; still in its slot (the probe sequences of others go through it). */
static void kept_release(struct kept *e)
{
	if (e->dir >= 0)
		close(e->dir);
	for (int i = 0; i < KF__N; i++)
		if (e->fd[i] >= 0)
			close(e->fd[i]);
	kept_init(e, e->ino);
}

static void kept_close(struct kept *e)
{
	kept_release(e);
	e->ino = 0;
}

int og_cg_keep_new(size_t cap, struct og_cg_keep **ret)
{
	struct og_cg_keep *k = calloc(1, sizeof(*k));

	if (!k)
		return -ENOMEM;
	k->cap = cap;
	k->nslots = 16;
	while (k->nslots < 2 * k->cap)
		k->nslots *= 2;
	k->cur = calloc(k->nslots, sizeof(*k->cur));
	k->next = calloc(k->nslots, sizeof(*k->next));
	if (!k->cur || !k->next) {
		og_cg_keep_free(k);
		return -ENOMEM;
	}
	for (size_t i = 0; i < k->nslots; i++) {
		kept_init(&k->cur[i], 0);
		kept_init(&k->next[i], 0);
	}
	*ret = k;
	return 0;
}

void og_cg_keep_close_all(struct og_cg_keep *k)
{
	if (!k || !k->cur)
		return;
	for (size_t i = 0; i < k->nslots; i++)
		if (k->cur[i].ino)
			kept_close(&k->cur[i]);
	k->n = 0;
}

void og_cg_keep_free(struct og_cg_keep *k)
{
	if (!k)
		return;
	og_cg_keep_close_all(k);
	free(k->cur);
	free(k->next);
	free(k);
}

size_t og_cg_keep_cap(const struct og_cg_keep *k)
{
	return k ? k->cap : 0;
}

size_t og_cg_keep_groups(const struct og_cg_keep *k)
{
	return k ? k->n : 0;
}

unsigned long og_cg_keep_opened(const struct og_cg_keep *k)
{
	return k ? k->opened : 0;
}

static size_t slot_of(const struct kept *t, size_t nslots, uint64_t ino)
{
	size_t i = (size_t)(ino * 0x9E3779B97F4A7C15ULL >> 17) & (nslots - 1);

	while (t[i].ino && t[i].ino != ino)
		i = (i + 1) & (nslots - 1);
	return i;
}

/* The entry for ino in this walk's table: moved from the last walk's, or new; NULL when the
 * table is full (or ino was seen twice). */
static struct kept *kept_take(struct og_cg_keep *k, uint64_t ino)
{
	size_t i = slot_of(k->cur, k->nslots, ino), j;

	if (k->n_next >= k->cap)
		return NULL;
	j = slot_of(k->next, k->nslots, ino);
	if (k->next[j].ino)
		return NULL;
	if (k->cur[i].ino == ino && k->cur[i].gen != k->gen) {
		k->next[j] = k->cur[i];
		k->cur[i].gen = k->gen; /* moved: not closed at the end */
	} else {
		kept_init(&k->next[j], ino);
	}
	k->next[j].gen = 0;
	k->n_next++;
	return &k->next[j];
}

/* After the walk: what it did not move on is closed, and the tables swap. */
static void walk_end(struct og_cg_keep *k)
{
	struct kept *t;

	for (size_t i = 0; i < k->nslots; i++) {
		if (k->cur[i].ino && k->cur[i].gen != k->gen)
			kept_close(&k->cur[i]);
		kept_init(&k->cur[i], 0);
	}
	t = k->cur;
	k->cur = k->next;
	k->next = t;
	k->n = k->n_next;
	k->n_next = 0;
}

struct kwalk {
	const struct og_cg_mounts *m;
	struct og_cg_keep *k;
	int base;
	char path[OG_CGROUP_PATH_MAX];
	struct og_cgroup *arr;
	size_t cap, n;
	bool reprobe;
};

struct kfile {
	struct kwalk *w;
	struct kept *e;
};

/* One kept file into buf (a src_cg_read_fn; f is its fd's slot): 1 read, 0 absent, -ENOENT
 * when the group is gone, -errno. */
static int kept_file(void *ctx, enum src_cg_file f, const char *name, char *buf, size_t size)
{
	struct kwalk *w = ((struct kfile *)ctx)->w;
	struct kept *e = ((struct kfile *)ctx)->e;
	bool twin = w->m->layout == OG_CG_V1 && f == KF_PRESSURE;
	ssize_t n;

	if (e->fd[f] == FD_ABSENT && !w->reprobe)
		return 0;
	if (e->fd[f] < 0) {
		int fd;

		if (twin) {
			/* the cgroup2 twin may be missing (not every v1 group is mirrored) */
			_cleanup_close_ int dir = w->m->v2_fd >= 0 ?
				src_cgroup_open_rel(w->m->v2_fd, w->path, O_PATH | O_DIRECTORY) :
				-ENOENT;

			fd = dir >= 0 ? openat(dir, name, O_RDONLY | O_NOCTTY | O_CLOEXEC) : -1;
		} else {
			fd = openat(e->dir, name, O_RDONLY | O_NOCTTY | O_CLOEXEC);
		}
		if (fd < 0) {
			if (errno == ENODEV)
				return -ENOENT;
			if (errno != ENOENT && errno != EOPNOTSUPP && errno != ENOTDIR && !twin)
				return -errno;
			e->fd[f] = FD_ABSENT;
			return 0;
		}
		e->fd[f] = fd;
		w->k->opened++;
	}
	do
		n = pread(e->fd[f], buf, size - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		int err = errno;

		if (err == ENODEV)
			return -ENOENT;
		if (err != EOPNOTSUPP) /* memory.pressure with PSI off: absent */
			return -err;
		close(e->fd[f]);
		e->fd[f] = FD_ABSENT;
		return 0;
	}
	if ((size_t)n == size - 1)
		return -EFBIG;
	buf[n] = '\0';
	return 1;
}

/* The group at w->path through e; as src_read_cgroup(). */
static int kept_read(struct kwalk *w, struct kept *e, struct og_cgroup *ret)
{
	struct kfile ctx = { w, e };
	struct og_cgroup cg;
	char buf[KEEP_PSI_BUF];
	int r;

	memset(&cg, 0, sizeof(cg));
	memcpy(cg.path, w->path, sizeof(cg.path));
	cg.layout = w->m->layout;
	cg.max_bytes = cg.high_bytes = OG_UNLIMITED;
	cg.populated = true;
	if (e->dir < 0) {
		e->dir = src_cgroup_open_rel(w->base, w->path, O_RDONLY | O_DIRECTORY);
		if (e->dir < 0) {
			r = e->dir;
			e->dir = -1;
			return r;
		}
		w->k->opened++;
	}
	if (w->m->layout == OG_CG_V1 || w->m->v2_has_memory) {
		r = src_cgroup_read_memory(cg.layout, KEEP_FILES, kept_file, &ctx, &cg);
		if (r < 0)
			return r;
	}
	r = kept_file(&ctx, KF_PRESSURE, "memory.pressure", buf, sizeof(buf));
	if (r > 0)
		r = src_psi_parse_buf(buf, &cg.psi) < 0 ? -EBADMSG : 1;
	if (r < 0)
		return r;
	cg.has_psi = r > 0;
	*ret = cg;
	return 0;
}

struct kwalk_level {
	struct kwalk *w;
	unsigned depth_left;
};

static int kwalk_group(struct kwalk *w, size_t len, uint64_t ino, unsigned depth_left);

static int kwalk_child(void *ud, size_t len, uint64_t ino)
{
	struct kwalk_level *lv = ud;

	return kwalk_group(lv->w, len, ino, lv->depth_left);
}

static int kwalk_group(struct kwalk *w, size_t len, uint64_t ino, unsigned depth_left)
{
	struct kwalk_level lv = { .w = w, .depth_left = depth_left - 1 };
	_cleanup_close_ int own = -1;
	struct kept *e;
	int r, dfd;

	if (w->n == w->cap)
		return 1;
	e = kept_take(w->k, ino);
	if (e) {
		r = kept_read(w, e, &w->arr[w->n]);
		if (r < 0)
			kept_release(e); /* gone, or unreadable: opened again next time */
	} else {
		r = src_read_cgroup(w->m, w->path, &w->arr[w->n]);
	}
	r = src_cgroup_walk_counts(r, w->path, &w->n);
	if (r != 0 || depth_left == 0)
		return r < 0 ? r : 0;
	if (e && e->dir >= 0 && lseek(e->dir, 0, SEEK_SET) == 0) {
		dfd = e->dir; /* listed again from its start */
	} else {
		own = src_cgroup_open_rel(w->base, w->path, O_RDONLY | O_DIRECTORY);
		if (own < 0)
			return 0;
		dfd = own;
	}
	return src_cgroup_each_child(dfd, w->path, len, kwalk_child, &lv);
}

int src_read_cgroups_kept(const struct og_cg_mounts *m, struct og_cg_keep *k, const char *under,
			  unsigned max_depth, struct og_cgroup *arr, size_t cap, size_t *ret_n)
{
	struct kwalk w = { .m = m, .k = k, .arr = arr, .cap = cap };
	struct stat st;
	int r;

	if (!k)
		return src_read_cgroups(m, under, max_depth, arr, cap, ret_n);
	w.base = m->layout == OG_CG_V1 ? m->memv1_fd : m->layout == OG_CG_V2 ? m->v2_fd : -1;
	if (w.base < 0)
		return -ENODEV;
	r = src_cgroup_normalise_path(under, w.path, sizeof(w.path));
	if (r < 0)
		return r;
	if (fstatat(w.base, w.path[1] ? w.path + 1 : ".", &st, 0) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (max_depth > KEEP_DEPTH_MAX)
		max_depth = KEEP_DEPTH_MAX;
	k->gen++;
	if (k->gen == 0) /* 0 marks an entry not moved yet */
		k->gen = 1;
	w.reprobe = k->gen % KEEP_REPROBE == 0;
	k->n_next = 0;
	r = kwalk_group(&w, strlen(w.path), st.st_ino ? st.st_ino : 1, max_depth);
	walk_end(k);
	if (r < 0)
		return r;
	*ret_n = w.n;
	return r;
}
