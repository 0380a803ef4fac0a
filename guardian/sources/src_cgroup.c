/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libcgroup.h>
#include <linux/magic.h>

#include "guardian/base/log.h"
#include "guardian/sources/src_cgroup.h"
#include "guardian/sources/src_kv.h"
#include "guardian/sources/src_psi.h"
#include "policy/util/cleanup.h"
#include "policy/util/strutil.h"

/*
 * memory.stat: ~1.9 KiB with ~60 keys on 6.x cgroup2, ~1.6 KiB on v1 (plain and total_ keys).
 * 8 KiB leaves room for new keys. Other files are one line.
 */
#define CG_STAT_BUF 8192
#define CG_LINE_BUF 256
/* mountinfo: ~150 bytes a line; hosts with thousands of mounts (containers) exceed any fixed
 * buffer, so it is read in chunks and split at newlines. */
#define MOUNTINFO_CHUNK 8192
/* v1 PAGE_COUNTER_MAX is LONG_MAX rounded down to the page size: 9223372036854771712 with 4 KiB
 * pages, 9223372036854710272 with 64 KiB. Anything at or above the lowest one is "no limit". */
#define V1_UNLIMITED_MIN 9223372036854710272ULL

int src_cgroup_open_rel(int dirfd, const char *path, int flags)
{
	int fd;

	while (*path == '/')
		path++;
	fd = openat(dirfd, *path ? path : ".", flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int open_dir_at(int dirfd, const char *path)
{
	return src_cgroup_open_rel(dirfd, path, O_PATH | O_DIRECTORY);
}

static void mounts_init(struct og_cg_mounts *m)
{
	memset(m, 0, sizeof(*m));
	m->layout = OG_CG_NONE;
	m->v2_fd = -1;
	m->memv1_fd = -1;
}

void src_cgroup_mounts_close(struct og_cg_mounts *m)
{
	if (m->v2_fd >= 0)
		close(m->v2_fd);
	if (m->memv1_fd >= 0)
		close(m->memv1_fd);
	m->v2_fd = m->memv1_fd = -1;
	m->layout = OG_CG_NONE;
}

/* ------------------------------------------------------------------------- parsers */

/* Scratch values for src_kv_parse_table(): slot i of a table lands in v[i]. */
struct cg_vals {
	uint64_t v[12];
};

#define SLOT(i) (offsetof(struct cg_vals, v) + (i) * sizeof(uint64_t))
#define BIT(i) (UINT64_C(1) << (i))

static int parse_table(const char *buf, const struct src_kv_field *tab, size_t n, uint64_t required,
		       struct cg_vals *ret, uint64_t *ret_seen)
{
	struct cg_vals v = {{0}};
	uint64_t seen;
	int r = src_kv_parse_table(buf, ' ', tab, n, &v, &seen);

	if (r < 0)
		return -EBADMSG;
	if ((seen & required) != required)
		return -EBADMSG;
	*ret = v;
	if (ret_seen)
		*ret_seen = seen;
	return 0;
}

int src_cgroup_parse_stat_buf(const char *buf, enum og_cg_layout layout, struct og_cgroup *ret)
{
	static const struct src_kv_field v2[] = {
		{"anon", SLOT(0), SRC_KV_COUNT},
		{"file", SLOT(1), SRC_KV_COUNT},
		{"shmem", SLOT(2), SRC_KV_COUNT},
		{"active_file", SLOT(3), SRC_KV_COUNT},
		{"inactive_file", SLOT(4), SRC_KV_COUNT},
		{"slab_reclaimable", SLOT(5), SRC_KV_COUNT},
	};
	/*
	 * v1 rss excludes shmem like v2 anon; v1 cache includes shmem like v2 file. The total_*
	 * keys include descendants as v2 always does, so they win; the plain keys are a fallback
	 * for kernels without totals. v1 has no slab split (slab_reclaimable stays 0).
	 */
	static const struct src_kv_field v1[] = {
		{"total_rss", SLOT(0), SRC_KV_COUNT},
		{"total_cache", SLOT(1), SRC_KV_COUNT},
		{"total_shmem", SLOT(2), SRC_KV_COUNT},
		{"total_active_file", SLOT(3), SRC_KV_COUNT},
		{"total_inactive_file", SLOT(4), SRC_KV_COUNT},
		{"rss", SLOT(6), SRC_KV_COUNT},
		{"cache", SLOT(7), SRC_KV_COUNT},
		{"shmem", SLOT(8), SRC_KV_COUNT},
		{"active_file", SLOT(9), SRC_KV_COUNT},
		{"inactive_file", SLOT(10), SRC_KV_COUNT},
	};
	struct cg_vals v;
	uint64_t seen;
	int r;

	if (layout == OG_CG_V1) {
		r = parse_table(buf, v1, OG_ELEMENTSOF(v1), 0, &v, &seen);
		if (r < 0)
			return r;
		/* table entry i fills slot i (i < 5) or slot i + 1 (plain keys, i >= 5) */
		for (unsigned i = 0; i < 5; i++)
			if (!(seen & BIT(i)))
				v.v[i] = v.v[i + 6];
		/* required: rss and cache, in either form */
		if (!(seen & (BIT(0) | BIT(5))) || !(seen & (BIT(1) | BIT(6))))
			return -EBADMSG;
		v.v[5] = 0;
	} else {
		r = parse_table(buf, v2, OG_ELEMENTSOF(v2), BIT(0) | BIT(1), &v, NULL);
		if (r < 0)
			return r;
	}
	ret->anon_bytes = v.v[0];
	ret->file_bytes = v.v[1];
	ret->shmem_bytes = v.v[2];
	ret->active_file_bytes = v.v[3];
	ret->inactive_file_bytes = v.v[4];
	ret->slab_reclaimable_bytes = v.v[5];
	return 0;
}

int src_cgroup_parse_events_buf(const char *buf, struct og_cgroup *ret)
{
	/* low/high/max/oom since 4.5 (required), oom_kill since 4.13 (optional) */
	static const struct src_kv_field tab[] = {
		{"low", SLOT(0), SRC_KV_COUNT},	     {"high", SLOT(1), SRC_KV_COUNT},
		{"max", SLOT(2), SRC_KV_COUNT},	     {"oom", SLOT(3), SRC_KV_COUNT},
		{"oom_kill", SLOT(4), SRC_KV_COUNT},
	};
	struct cg_vals v;
	int r = parse_table(buf, tab, OG_ELEMENTSOF(tab), 0xf, &v, NULL);

	if (r < 0)
		return r;
	ret->events_low = v.v[0];
	ret->events_high = v.v[1];
	ret->events_max = v.v[2];
	ret->events_oom = v.v[3];
	ret->events_oom_kill = v.v[4];
	return 0;
}

int src_cgroup_parse_oom_control_buf(const char *buf, struct og_cgroup *ret)
{
	/* oom_kill (the count) since 4.13: optional */
	static const struct src_kv_field tab[] = {
		{"oom_kill_disable", SLOT(0), SRC_KV_COUNT},
		{"under_oom", SLOT(1), SRC_KV_COUNT},
		{"oom_kill", SLOT(2), SRC_KV_COUNT},
	};
	struct cg_vals v;
	int r = parse_table(buf, tab, OG_ELEMENTSOF(tab), 0x3, &v, NULL);

	if (r < 0)
		return r;
	if (v.v[0] > 1 || v.v[1] > 1)
		return -EBADMSG;
	ret->oom_kill_disable = v.v[0];
	ret->under_oom = v.v[1];
	ret->events_oom_kill = v.v[2];
	return 0;
}

int src_cgroup_parse_cg_events_buf(const char *buf, bool *ret_populated)
{
	static const struct src_kv_field tab[] = {{"populated", SLOT(0), SRC_KV_COUNT}};
	struct cg_vals v;
	int r = parse_table(buf, tab, OG_ELEMENTSOF(tab), 0x1, &v, NULL);

	if (r < 0)
		return r;
	if (v.v[0] > 1)
		return -EBADMSG;
	*ret_populated = v.v[0] == 1;
	return 0;
}

int src_cgroup_parse_limit_buf(const char *buf, uint64_t *ret)
{
	uint64_t v;
	const char *end;
	int r;

	if (strcmp(buf, "max\n") == 0 || strcmp(buf, "max") == 0) {
		*ret = OG_UNLIMITED;
		return 0;
	}
	r = og_parse_u64_prefix(buf, &v, &end);
	if (r < 0)
		return r;
	if (!(end[0] == '\0' || (end[0] == '\n' && end[1] == '\0')))
		return -EINVAL;
	*ret = v >= V1_UNLIMITED_MIN ? OG_UNLIMITED : v;
	return 0;
}

/* ------------------------------------------------------------------------- detection */

struct cg_found {
	char memv1[512]; /* mount points as absolute paths inside the root */
	char v2[512];
};

/* mountinfo escapes ' ', '\t', '\n' and '\\' as \ooo. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (const char *r = s; *r;) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

bool src_cgroup_list_has(const char *list, size_t len, const char *word)
{
	size_t wl = strlen(word);
	const char *s = list, *end = list + len;

	while (s < end) {
		const char *c = memchr(s, ',', (size_t)(end - s));
		size_t l = c ? (size_t)(c - s) : (size_t)(end - s);

		if (l == wl && memcmp(s, word, wl) == 0)
			return true;
		if (!c)
			break;
		s = c + 1;
	}
	return false;
}

/* One mountinfo line (NUL-terminated, no newline):
 * "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw" */
static void mountinfo_line(char *line, struct cg_found *f)
{
	char *field[6] = {0};
	char *sep, *fstype, *source, *superopts, *save = NULL;
	size_t i = 0;

	sep = strstr(line, " - ");
	if (!sep)
		return;
	*sep = '\0';
	for (char *t = strtok_r(line, " ", &save); t && i < OG_ELEMENTSOF(field);
	     t = strtok_r(NULL, " ", &save))
		field[i++] = t;
	if (i < 5)
		return;
	save = NULL;
	fstype = strtok_r(sep + 3, " ", &save);
	source = fstype ? strtok_r(NULL, " ", &save) : NULL;
	superopts = source ? strtok_r(NULL, " ", &save) : NULL;
	if (!superopts)
		return;
	unescape_octal(field[4]);
	if (strcmp(fstype, "cgroup2") == 0 && !f->v2[0])
		og_strscpy(f->v2, field[4], sizeof(f->v2));
	else if (strcmp(fstype, "cgroup") == 0 && !f->memv1[0] &&
		 src_cgroup_list_has(superopts, strlen(superopts), "memory"))
		og_strscpy(f->memv1, field[4], sizeof(f->memv1));
}

/* Fills f from root's proc/self/mountinfo. 0, or -ENOENT if there is none. */
static int detect_mountinfo(const struct og_root *root, struct cg_found *f)
{
	char buf[MOUNTINFO_CHUNK + 1];
	_cleanup_close_ int fd = -1;
	size_t have = 0;
	bool skipping = false;

	fd = openat(root->proc_fd, "self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, buf + have, MOUNTINFO_CHUNK - have);
		char *line = buf, *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0 && have == 0)
			break;
		have += (size_t)n;
		buf[have] = '\0';
		while ((nl = strchr(line, '\n')) || (n == 0 && *line)) {
			if (nl)
				*nl = '\0';
			if (!skipping)
				mountinfo_line(line, f);
			skipping = false;
			line = nl ? nl + 1 : line + strlen(line);
		}
		have = (size_t)(buf + have - line);
		memmove(buf, line, have);
		if (n == 0)
			break;
		if (have == MOUNTINFO_CHUNK) {
			/* one line longer than the chunk: drop it up to its newline */
			have = 0;
			skipping = true;
		}
	}
	return 0;
}

/* No mountinfo in the tree (a bare fixture): guess from the layout below sys/fs/cgroup. */
static void detect_probe(const struct og_root *root, struct cg_found *f)
{
	if (root->cgroup_fd < 0)
		return;
	if (faccessat(root->cgroup_fd, "cgroup.controllers", F_OK, 0) == 0) {
		og_strscpy(f->v2, "/sys/fs/cgroup", sizeof(f->v2));
		return;
	}
	if (faccessat(root->cgroup_fd, "memory/memory.usage_in_bytes", F_OK, 0) == 0)
		og_strscpy(f->memv1, "/sys/fs/cgroup/memory", sizeof(f->memv1));
	if (faccessat(root->cgroup_fd, "unified/cgroup.controllers", F_OK, 0) == 0)
		og_strscpy(f->v2, "/sys/fs/cgroup/unified", sizeof(f->v2));
}

/* fmt comes from libcgroup itself (its logger callback hands us its own format strings). */
static void libcgroup_log(void *userdata, int level, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void libcgroup_log(void *userdata, int level, const char *fmt, va_list ap)
{
	char msg[512];

	(void)userdata;
	(void)level;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("libcgroup: %s", msg);
}

static bool is_cgroup2(const char *path)
{
	struct statfs sfs;

	return statfs(path, &sfs) == 0 && (unsigned long)sfs.f_type == CGROUP2_SUPER_MAGIC;
}

/*
 * The live root: ask libcgroup (it only reads /proc/cgroups and /proc/self/mounts here; nothing
 * in this module calls its cgroup_create_*() family, which writes "+memory" into
 * cgroup.subtree_control on cgroup2). libcgroup 2.0.2 lists a cgroup2 mount only when it has
 * controllers, so the hybrid "unified" mount (usually empty) may be missing: the caller then
 * takes it from mountinfo.
 */
static int detect_libcgroup(struct cg_found *f)
{
	struct cgroup_mount_point mp;
	char *mem = NULL;
	void *h = NULL;
	int r;

	/* libcgroup logs errors to stdout by default, which would corrupt `snapshot --json` */
	cgroup_set_logger(libcgroup_log, CGROUP_LOG_DEBUG, NULL);
	r = cgroup_init();
	if (r != 0) {
		log_debug("libcgroup: cgroup_init() failed: %s", cgroup_strerror(r));
		return -ENODEV;
	}
	if (cgroup_get_subsys_mount_point("memory", &mem) == 0 && mem) {
		if (is_cgroup2(mem))
			og_strscpy(f->v2, mem, sizeof(f->v2));
		else
			og_strscpy(f->memv1, mem, sizeof(f->memv1));
		free(mem);
	}
	for (r = cgroup_get_controller_begin(&h, &mp); r == 0 && !f->v2[0];
	     r = cgroup_get_controller_next(&h, &mp))
		if (is_cgroup2(mp.path))
			og_strscpy(f->v2, mp.path, sizeof(f->v2));
	cgroup_get_controller_end(&h);
	return 0;
}

/*
 * detect_libcgroup() in a child that hands its answer back through a pipe: cgroup_init()
 * clears libcgroup's mount tables (100 controllers of two PATH_MAX names each, ~800 KiB of
 * its .bss), and in the daemon those pages would stay resident for its whole life, to be
 * read once. Called before any thread starts (og_collector_open(), the --scope lookup);
 * without a child (fork refused) it runs here.
 */
static int detect_libcgroup_apart(struct cg_found *f)
{
	struct cg_found got = {"", ""};
	int p[2], status = 0, r;
	size_t have = 0;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return detect_libcgroup(f);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return detect_libcgroup(f);
	}
	if (pid == 0) {
		close(p[0]);
		r = detect_libcgroup(&got);
		if (r == 0 && write(p[1], &got, sizeof(got)) != (ssize_t)sizeof(got))
			r = -EIO;
		_exit(r == 0 ? 0 : 1);
	}
	close(p[1]);
	while (have < sizeof(got)) {
		ssize_t n = read(p[0], (char *)&got + have, sizeof(got) - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (have != sizeof(got) || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -ENODEV; /* the caller reads mountinfo, as when cgroup_init() fails */
	got.memv1[sizeof(got.memv1) - 1] = '\0';
	got.v2[sizeof(got.v2) - 1] = '\0';
	*f = got;
	return 0;
}

static bool v2_lists_memory(int v2_fd)
{
	char buf[CG_LINE_BUF]; /* "cpuset cpu io memory hugetlb pids rdma misc" */
	char *save = NULL;

	if (og_read_at(v2_fd, "cgroup.controllers", buf, sizeof(buf)) < 0)
		return false;
	for (char *t = strtok_r(buf, " \n", &save); t; t = strtok_r(NULL, " \n", &save))
		if (strcmp(t, "memory") == 0)
			return true;
	return false;
}

static void mount_label(const struct og_root *root, const char *mnt, char *buf, size_t size)
{
	size_t n = 0;

	if (strcmp(root->path, "/") != 0)
		n = og_strscpy(buf, root->path, size);
	og_strscpy(buf + n, mnt, size - n);
}

int src_cgroup_detect(const struct og_root *root, struct og_cg_mounts *ret)
{
	struct cg_found f = {"", ""};
	struct og_cg_mounts m;
	int r = -ENODEV;

	mounts_init(&m);
	if (strcmp(root->path, "/") == 0)
		r = detect_libcgroup_apart(&f);
	if (r < 0 || !f.v2[0]) {
		struct cg_found mi = {"", ""};

		if (detect_mountinfo(root, &mi) == 0) {
			if (!f.memv1[0])
				og_strscpy(f.memv1, mi.memv1, sizeof(f.memv1));
			if (!f.v2[0])
				og_strscpy(f.v2, mi.v2, sizeof(f.v2));
		}
	}
	/* no mountinfo, or one that names no cgroup mount (a partial capture): look at the tree */
	if (!f.memv1[0] && !f.v2[0])
		detect_probe(root, &f);
	if (f.memv1[0]) {
		r = open_dir_at(root->root_fd, f.memv1);
		if (r >= 0) {
			m.memv1_fd = r;
			mount_label(root, f.memv1, m.memv1_path, sizeof(m.memv1_path));
		} else {
			(void)log_debug_errno(r, "memory cgroup v1 '%s' unusable: %m", f.memv1);
		}
	}
	if (f.v2[0]) {
		r = open_dir_at(root->root_fd, f.v2);
		if (r >= 0) {
			m.v2_fd = r;
			mount_label(root, f.v2, m.v2_path, sizeof(m.v2_path));
			m.v2_has_memory = v2_lists_memory(m.v2_fd);
		} else {
			(void)log_debug_errno(r, "cgroup2 '%s' unusable: %m", f.v2);
		}
	}
	/* memory on v1 cannot be on cgroup2 at the same time: v1 wins when both are seen */
	if (m.memv1_fd >= 0)
		m.layout = OG_CG_V1;
	else if (m.v2_fd >= 0)
		m.layout = OG_CG_V2;
	log_debug("cgroups: layout %s, memory v1 '%s', cgroup2 '%s'%s",
		  m.layout == OG_CG_V1	 ? "v1"
		  : m.layout == OG_CG_V2 ? "v2"
					 : "none",
		  m.memv1_path, m.v2_path, m.v2_has_memory ? " (memory)" : "");
	*ret = m;
	return 0;
}

/* ------------------------------------------------------------------------- reading */

/* Reads an optional file. 1 when read, 0 when absent (-ENOENT, or -EOPNOTSUPP for pressure
 * files with PSI off), -ENOENT when the group was removed under an open fd (-ENODEV). */
static int read_opt(int dfd, const char *name, char *buf, size_t size)
{
	ssize_t n = og_read_at(dfd, name, buf, size);

	if (n == -ENOENT || n == -EOPNOTSUPP)
		return 0;
	if (n == -ENODEV)
		return -ENOENT;
	return n < 0 ? (int)n : 1;
}

/*
 * Streams a cgroup.procs (can be far larger than any stack buffer: ~8 bytes a pid) and stores
 * up to cap pids in arr (arr may be NULL to count). Returns the number of pids listed (>= 0,
 * may exceed cap), -ENOENT if the group is gone, -EBADMSG if malformed.
 */
static int stream_procs(int dfd, pid_t *arr, size_t cap)
{
	_cleanup_close_ int fd = openat(dfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
	char buf[4096];
	uint64_t v = 0;
	bool digits = false;
	int n = 0;

	if (fd < 0)
		return errno == ENODEV ? -ENOENT : -errno;
	for (;;) {
		ssize_t len = read(fd, buf, sizeof(buf));

		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0)
			return errno == ENODEV ? -ENOENT : -errno;
		if (len == 0)
			break;
		for (ssize_t i = 0; i < len; i++) {
			char c = buf[i];

			if (c >= '0' && c <= '9') {
				v = v * 10 + (uint64_t)(c - '0');
				if (v > INT32_MAX)
					return -EBADMSG;
				digits = true;
			} else if (c == '\n') {
				if (!digits)
					continue;
				if (arr && (size_t)n < cap)
					arr[n] = (pid_t)v;
				if (n == INT32_MAX)
					return -EBADMSG;
				n++;
				v = 0;
				digits = false;
			} else {
				return -EBADMSG;
			}
		}
	}
	if (digits) {
		if (arr && (size_t)n < cap)
			arr[n] = (pid_t)v;
		n++;
	}
	return n;
}

static const char *const cg_file_names[2][SRC_CG__N] = {
	[0] = { /* OG_CG_V1 */
		[SRC_CG_CURRENT] = "memory.usage_in_bytes",
		[SRC_CG_MAX] = "memory.limit_in_bytes",
		[SRC_CG_STAT] = "memory.stat",
		[SRC_CG_EVENTS] = "memory.failcnt",
		[SRC_CG_OOM_CONTROL] = "memory.oom_control",
	},
	[1] = { /* OG_CG_V2 */
		[SRC_CG_CURRENT] = "memory.current",
		[SRC_CG_MAX] = "memory.max",
		[SRC_CG_HIGH] = "memory.high",
		[SRC_CG_LOW] = "memory.low",
		[SRC_CG_MIN] = "memory.min",
		[SRC_CG_STAT] = "memory.stat",
		[SRC_CG_EVENTS] = "memory.events",
	},
};

const char *src_cgroup_file_name(enum og_cg_layout layout, enum src_cg_file f)
{
	if ((layout != OG_CG_V1 && layout != OG_CG_V2) || (unsigned)f >= SRC_CG__N)
		return NULL;
	return cg_file_names[layout == OG_CG_V2][f];
}

struct mem_src {
	enum og_cg_layout layout;
	unsigned files;
	src_cg_read_fn rd;
	void *ctx;
};

/* File f into buf as rd reads it; 0 (absent) when not asked for or not in this layout. */
static int mem_file(const struct mem_src *s, enum src_cg_file f, char *buf, size_t size)
{
	const char *name = src_cgroup_file_name(s->layout, f);

	if (!name || !(s->files & SRC_CG_FILE(f)))
		return 0;
	return s->rd(s->ctx, f, name, buf, size);
}

/* A limit file; absent leaves *v alone. 0 or -errno. */
static int mem_limit(const struct mem_src *s, enum src_cg_file f, uint64_t *v, bool *ret_found)
{
	char buf[CG_LINE_BUF];
	int r = mem_file(s, f, buf, sizeof(buf));

	if (ret_found)
		*ret_found = r > 0;
	if (r <= 0)
		return r;
	return src_cgroup_parse_limit_buf(buf, v) < 0 ? -EBADMSG : 0;
}

int src_cgroup_read_memory(enum og_cg_layout layout, unsigned files, src_cg_read_fn rd,
			   void *ctx, struct og_cgroup *cg)
{
	static const struct {
		enum src_cg_file f;
		size_t off;
	} limits[] = {
		{SRC_CG_MAX, offsetof(struct og_cgroup, max_bytes)},
		{SRC_CG_HIGH, offsetof(struct og_cgroup, high_bytes)},
		{SRC_CG_LOW, offsetof(struct og_cgroup, low_bytes)},
		{SRC_CG_MIN, offsetof(struct og_cgroup, min_bytes)},
	};
	const struct mem_src s = { layout, files, rd, ctx };
	char buf[CG_STAT_BUF];
	bool found;
	int r;

	/* v2: the root group has memory.stat but no memory.current/max (before 6.x) */
	r = mem_limit(&s, SRC_CG_CURRENT, &cg->current_bytes, &found);
	if (r < 0 || (!found && layout == OG_CG_V1))
		return r;
	cg->has_memory = found;
	for (size_t i = 0; i < OG_ELEMENTSOF(limits); i++) {
		r = mem_limit(&s, limits[i].f, (uint64_t *)(void *)((char *)cg + limits[i].off),
			      NULL);
		if (r < 0)
			return r;
	}
	if (layout == OG_CG_V1) {
		r = mem_limit(&s, SRC_CG_EVENTS, &cg->events_max, NULL);
		if (r < 0)
			return r;
		if (cg->events_max == OG_UNLIMITED)
			return -EBADMSG;
	}
	r = mem_file(&s, SRC_CG_STAT, buf, sizeof(buf));
	if (r > 0) {
		r = src_cgroup_parse_stat_buf(buf, layout, cg);
		cg->has_memory = true;
	}
	if (r < 0)
		return r;
	if (layout == OG_CG_V2) {
		r = mem_file(&s, SRC_CG_EVENTS, buf, sizeof(buf));
		if (r > 0)
			r = src_cgroup_parse_events_buf(buf, cg);
	} else {
		r = mem_file(&s, SRC_CG_OOM_CONTROL, buf, sizeof(buf));
		if (r > 0)
			r = src_cgroup_parse_oom_control_buf(buf, cg);
	}
	return r < 0 ? r : 0;
}

/* src_cg_read_fn of the whole read: ctx points to the group's directory fd. */
static int read_by_name(void *ctx, enum src_cg_file f, const char *name, char *buf, size_t size)
{
	(void)f;
	return read_opt(*(const int *)ctx, name, buf, size);
}

/* memory.pressure and cgroup.events from a cgroup2 directory. */
static int read_v2_common(int v2g, struct og_cgroup *cg)
{
	char buf[CG_LINE_BUF];
	int r;

	/* -ENOENT: no PSI in this kernel; -EOPNOTSUPP: psi=0 or cgroup.pressure 0 */
	r = src_read_psi_at(v2g, "memory.pressure", &cg->psi);
	if (r == -ENODEV)
		return -ENOENT;
	if (r < 0 && r != -ENOENT && r != -EOPNOTSUPP)
		return r;
	cg->has_psi = r == 0;
	r = read_opt(v2g, "cgroup.events", buf, sizeof(buf));
	if (r > 0)
		r = src_cgroup_parse_cg_events_buf(buf, &cg->populated);
	return r < 0 ? r : 0;
}

int src_cgroup_normalise_path(const char *path, char *buf, size_t size)
{
	size_t len;

	if (!path || !*path)
		path = "/";
	if (path[0] != '/')
		return -EINVAL;
	/* ".." would leave the hierarchy (openat() below the mount fd follows it) */
	for (const char *d = strstr(path, "/.."); d; d = strstr(d + 1, "/.."))
		if (d[3] == '/' || d[3] == '\0')
			return -EINVAL;
	len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	if (len >= size)
		return -ENAMETOOLONG;
	memcpy(buf, path, len);
	buf[len] = '\0';
	return 0;
}

static int hierarchy_fd(const struct og_cg_mounts *m)
{
	if (m->layout == OG_CG_V1)
		return m->memv1_fd;
	if (m->layout == OG_CG_V2)
		return m->v2_fd;
	return -1;
}

int src_read_cgroup(const struct og_cg_mounts *m, const char *path, struct og_cgroup *ret)
{
	_cleanup_close_ int gfd = -1, v2g = -1;
	struct og_cgroup cg;
	int base = hierarchy_fd(m), r, nprocs;

	if (base < 0)
		return -ENODEV;
	memset(&cg, 0, sizeof(cg));
	r = src_cgroup_normalise_path(path, cg.path, sizeof(cg.path));
	if (r < 0)
		return r;
	cg.layout = m->layout;
	cg.max_bytes = cg.high_bytes = OG_UNLIMITED;
	cg.populated = true;
	gfd = open_dir_at(base, cg.path);
	if (gfd < 0)
		return gfd;

	if (m->layout == OG_CG_V1) {
		r = src_cgroup_read_memory(OG_CG_V1, SRC_CG_ALL_FILES, read_by_name, &gfd, &cg);
		if (r >= 0 && m->v2_fd >= 0) {
			/* the cgroup2 twin may be missing (not every v1 group is mirrored) */
			v2g = open_dir_at(m->v2_fd, cg.path);
			if (v2g >= 0)
				r = read_v2_common(v2g, &cg);
		}
	} else {
		r = m->v2_has_memory ? src_cgroup_read_memory(OG_CG_V2, SRC_CG_ALL_FILES,
							       read_by_name, &gfd, &cg) :
				       0;
		if (r >= 0)
			r = read_v2_common(gfd, &cg);
	}
	if (r < 0)
		return r;
	/* last: every group has cgroup.procs, so its absence now means the group vanished */
	nprocs = stream_procs(gfd, NULL, 0);
	if (nprocs < 0)
		return nprocs;
	cg.nr_procs = (uint32_t)nprocs;
	*ret = cg;
	return 0;
}

/* Deeper trees are cut here: each level holds a dir fd and a getdents buffer on the stack. */
#define WALK_DEPTH_MAX 32
#define WALK_DENTS_BUF 2048

int src_cgroup_each_child(int dfd, char *path, size_t len, src_cgroup_child_fn fn, void *ud)
{
	char dents[WALK_DENTS_BUF] __attribute__((aligned(8)));

	for (;;) {
		ssize_t got = getdents64(dfd, dents, sizeof(dents));

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return 0;
		for (ssize_t off = 0; off < got;) {
			struct dirent64 *de = (struct dirent64 *)(void *)(dents + off);
			size_t nl = strlen(de->d_name), sub = len > 1 ? len : 0;
			uint64_t ino = de->d_ino;
			int r;

			off += de->d_reclen;
			if (de->d_name[0] == '.' ||
			    (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
				continue;
			if (de->d_type == DT_UNKNOWN) {
				struct stat st;

				if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
				    !S_ISDIR(st.st_mode))
					continue;
				ino = st.st_ino;
			}
			if (sub + 1 + nl >= OG_CGROUP_PATH_MAX) {
				log_debug("cgroup '%s/%s': path too long, skipped", path, de->d_name);
				continue;
			}
			path[sub] = '/';
			memcpy(path + sub + 1, de->d_name, nl + 1);
			r = fn(ud, sub + 1 + nl, ino ? ino : 1);
			path[len] = '\0';
			if (r != 0)
				return r;
		}
	}
}

int src_cgroup_walk_counts(int r, const char *path, size_t *n)
{
	if (r == -ENOENT)
		return 1; /* vanished: so did its children */
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		(void)log_debug_errno(r, "cgroup '%s': skipped: %m", path);
	else
		(*n)++;
	return 0;
}

struct walk {
	const struct og_cg_mounts *m;
	int base;
	char path[OG_CGROUP_PATH_MAX];
	struct og_cgroup *arr;
	size_t cap, n;
};

struct walk_level {
	struct walk *w;
	unsigned depth_left;
};

static int walk_group(struct walk *w, size_t len, unsigned depth_left);

static int walk_child(void *ud, size_t len, uint64_t ino)
{
	struct walk_level *lv = ud;

	(void)ino;
	return walk_group(lv->w, len, lv->depth_left);
}

static int walk_group(struct walk *w, size_t len, unsigned depth_left)
{
	struct walk_level lv = { .w = w, .depth_left = depth_left - 1 };
	_cleanup_close_ int dfd = -1;
	int r;

	if (w->n == w->cap)
		return 1;
	r = src_cgroup_walk_counts(src_read_cgroup(w->m, w->path, &w->arr[w->n]), w->path, &w->n);
	if (r != 0 || depth_left == 0)
		return r < 0 ? r : 0;
	dfd = openat(w->base, len > 1 ? w->path + 1 : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return 0;
	return src_cgroup_each_child(dfd, w->path, len, walk_child, &lv);
}

int src_read_cgroups(const struct og_cg_mounts *m, const char *under, unsigned max_depth,
		     struct og_cgroup *arr, size_t cap, size_t *ret_n)
{
	struct walk w = {.m = m, .base = hierarchy_fd(m), .arr = arr, .cap = cap};
	_cleanup_close_ int top = -1;
	int r;

	if (w.base < 0)
		return -ENODEV;
	r = src_cgroup_normalise_path(under, w.path, sizeof(w.path));
	if (r < 0)
		return r;
	top = open_dir_at(w.base, w.path);
	if (top < 0)
		return top;
	if (max_depth > WALK_DEPTH_MAX)
		max_depth = WALK_DEPTH_MAX;
	r = walk_group(&w, strlen(w.path), max_depth);
	if (r < 0)
		return r;
	*ret_n = w.n;
	return r;
}

int src_cgroup_read_procs(const struct og_cg_mounts *m, const char *path, pid_t *arr, size_t cap,
			  size_t *ret_n)
{
	char norm[OG_CGROUP_PATH_MAX];
	_cleanup_close_ int gfd = -1;
	int base = hierarchy_fd(m), r;

	if (base < 0)
		return -ENODEV;
	r = src_cgroup_normalise_path(path, norm, sizeof(norm));
	if (r < 0)
		return r;
	gfd = open_dir_at(base, norm);
	if (gfd < 0)
		return gfd;
	r = stream_procs(gfd, arr, cap);
	if (r < 0)
		return r;
	*ret_n = (size_t)r < cap ? (size_t)r : cap;
	return (size_t)r > cap ? 1 : 0;
}
