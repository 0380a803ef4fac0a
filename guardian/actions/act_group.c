/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Groups of victims: KillUnit=process-group and KillUnit=cgroup (act_kill.h), on top of the
 * single-victim ladder in act_kill.c.
 *
 * Why not killpg(2) for KillUnit=process-group: it cannot skip the protected members of a
 * group (an sshd session leader's group may hold a protected helper) and it names the group
 * by a number, with no identity check. We scan /proc for the members and signal each through
 * its own identity-checked pidfd instead; killpg stays in the ops table only for completeness.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "guardian/actions/act_kill.h"
#include "guardian/actions/act_kill_int.h"
#include "guardian/base/log.h"
#include "guardian/sources/src_cgroup.h"
#include "guardian/sources/src_proc.h"
#include "policy/util/cleanup.h"
#include "policy/util/strutil.h"

#define ACT_CG_DEPTH_MAX 16 /* nested groups followed below a killed cgroup */

/* ------------------------------------------------------------------ enumerations */

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/*
 * Call fn for every entry of the directory dirfd/path (O_DIRECTORY), with getdents64 into a
 * stack buffer: no allocation on the kill path (opendir would malloc 32 KiB). Stops at the
 * first fn() < 0 and returns it; 0 at the end; -errno if the directory cannot be read.
 */
static int for_each_dirent(int dirfd, const char *path,
			   int (*fn)(void *ud, const char *name, unsigned char type), void *ud)
{
	char buf[4096] __attribute__((aligned(8)));
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	for (;;) {
		long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));

		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
			int r;

			off += d->d_reclen;
			if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
				continue;
			r = fn(ud, d->d_name, d->d_type);
			if (r < 0)
				return r;
		}
	}
}

static int parse_pid(const char *s, pid_t *ret)
{
	int v;

	if (og_parse_int(s, &v) < 0 || v <= 0)
		return -EINVAL;
	*ret = v;
	return 0;
}

/*
 * Call fn for every pid in dirfd/cgpath/cgroup.procs, read in 4 KiB chunks so a group of any
 * size is handled with a fixed buffer (a pid line is at most 8 bytes: pid_max <= 4194304).
 */
static int for_each_cgroup_pid(int dirfd, const char *cgpath, int (*fn)(void *ud, pid_t pid),
			       void *ud)
{
	char path[OG_CGROUP_PATH_MAX + 32], buf[4096], line[16];
	size_t llen = 0;
	_cleanup_close_ int fd = -1;
	int r;

	while (*cgpath == '/')
		cgpath++;
	snprintf(path, sizeof(path), "%s%scgroup.procs", cgpath, *cgpath ? "/" : "");
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			pid_t pid;

			if (buf[i] != '\n') {
				if (llen + 1 >= sizeof(line))
					return -EBADMSG;
				line[llen++] = buf[i];
				continue;
			}
			line[llen] = '\0';
			llen = 0;
			if (parse_pid(line, &pid) < 0)
				return -EBADMSG;
			r = fn(ud, pid);
			if (r < 0)
				return r;
		}
	}
	return llen ? -EBADMSG : 0;
}

struct cg_walk {
	int dirfd;
	const char *path;
	unsigned depth;
	int (*fn)(void *ud, pid_t pid);
	void *ud;
};

static int cg_walk(int dirfd, const char *path, unsigned depth, int (*fn)(void *ud, pid_t pid),
		   void *ud);

static int cg_walk_child(void *data, const char *name, unsigned char type)
{
	struct cg_walk *w = data;
	char sub[OG_CGROUP_PATH_MAX];
	int n, r;

	if (type != DT_DIR)
		return 0;
	n = snprintf(sub, sizeof(sub), "%s/%s", w->path, name);
	if (n < 0 || (size_t)n >= sizeof(sub))
		return 0; /* cannot be named: skipped (logged by the caller's count) */
	r = cg_walk(w->dirfd, sub, w->depth + 1, w->fn, w->ud);
	return r == -ENOENT ? 0 : r; /* a child removed meanwhile */
}

/* Every pid of cgroup path and its descendants (pre-order). */
static int cg_walk(int dirfd, const char *path, unsigned depth, int (*fn)(void *ud, pid_t pid),
		   void *ud)
{
	struct cg_walk w = {.dirfd = dirfd, .path = path, .depth = depth, .fn = fn, .ud = ud};
	const char *rel = path;
	int r;

	r = for_each_cgroup_pid(dirfd, path, fn, ud);
	if (r < 0 || depth >= ACT_CG_DEPTH_MAX)
		return r;
	while (*rel == '/')
		rel++;
	return for_each_dirent(dirfd, *rel ? rel : ".", cg_walk_child, &w);
}

enum {
	CG_IN_V2 = 1 << 0, /* its cgroup2 path is cg or below */
	CG_IN_V1 = 1 << 1, /* its v1 memory path is cg or below */
};

static bool path_within(const char *have, const char *cg)
{
	size_t len = strlen(cg);

	while (len > 1 && cg[len - 1] == '/')
		len--;
	return strncmp(have, cg, len) == 0 && (have[len] == '\0' || have[len] == '/');
}

/*
 * Where is pid (just pidfd-opened) relative to cgroup cg, from /proc/PID/cgroup: CG_IN_V2 and
 * CG_IN_V1 bits (0: not a member), or -errno (-ESRCH gone).
 */
static int cg_membership(const struct act_ctx *ctx, pid_t pid, const char *cg)
{
	char path[32], buf[4096]; /* /proc/PID/cgroup: one line per hierarchy, ~12 lines */
	struct og_proc p;
	ssize_t n;

	snprintf(path, sizeof(path), "%d/cgroup", (int)pid);
	n = og_read_at(ctx->root->proc_fd, path, buf, sizeof(buf));
	if (n < 0)
		return n == -ENOENT ? -ESRCH : (int)n;
	if (src_proc_parse_cgroup(buf, &p) < 0)
		return -EBADMSG;
	return (path_within(p.cgroup, cg) ? CG_IN_V2 : 0) |
	       (p.memcg_v1[0] && path_within(p.memcg_v1, cg) ? CG_IN_V1 : 0);
}

/* 1 if pid is in cg (v1: the memory hierarchy, else cgroup2), 0 if not, -errno. */
static int cg_member(const struct act_ctx *ctx, pid_t pid, const char *cg, bool v1)
{
	int m = cg_membership(ctx, pid, cg);

	return m < 0 ? m : !!(m & (v1 ? CG_IN_V1 : CG_IN_V2));
}

/* ------------------------------------------------------------------ groups */

/* Already held: the same process (pid and starttime), exited or not. */
static bool group_has(const struct act_group *g, pid_t pid, uint64_t start)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->v[i].pid == pid && g->v[i].starttime_ticks == start)
			return true;
	return false;
}

struct group_scan {
	const struct act_ctx *ctx;
	struct act_group *g;
	act_protected_fn prot;
	void *ud;
};

/* Hold pid in g unless it is self, a zombie, protected, not a member or already held. */
static int group_add(struct group_scan *s, pid_t pid)
{
	struct act_group *g = s->g;
	struct act_victim v;
	struct act_ident id;
	char path[32];
	int r;

	if (pid == s->ctx->self_pid)
		return 0;
	snprintf(path, sizeof(path), "%d/stat", (int)pid);
	if (act_ident_read(s->ctx->root->proc_fd, path, &id) < 0 || id.state == 'Z')
		return 0; /* gone, kernel thread, or dead already (nothing left to free) */
	if ((g->kind == ACT_GROUP_PGID && id.pgid != g->pgid) ||
	    group_has(g, pid, id.starttime_ticks))
		return 0;
	if (g->n >= ACT_GROUP_MAX) {
		g->overflow++;
		return 0;
	}
	r = act_victim_open_any(s->ctx, pid, id.starttime_ticks, &v);
	if (r < 0)
		return r == -ENOMEM ? r : 0; /* gone or reused meanwhile: not a member any more */
	/* Membership again with the pidfd held, so a reused pid is never kept. */
	if (g->kind == ACT_GROUP_CGROUP) {
		r = cg_member(s->ctx, pid, g->cgroup, g->v1);
		og_strscpy(v.cgroup, g->cgroup, sizeof(v.cgroup));
	} else {
		r = v.pgid == g->pgid;
	}
	if (r <= 0) {
		act_victim_close(s->ctx, &v);
		return 0;
	}
	if (s->prot && s->prot(s->ud, pid, v.starttime_ticks, v.comm)) {
		g->skipped++;
		act_victim_close(s->ctx, &v);
		return 0;
	}
	g->v[g->n++] = v;
	return 0;
}

static int pgid_visit(void *data, const char *name, unsigned char type)
{
	pid_t pid;

	if (parse_pid(name, &pid) < 0)
		return 0;
	return group_add(data, pid);
}

static int cg_visit(void *data, pid_t pid)
{
	return group_add(data, pid);
}

static int group_scan(const struct act_ctx *ctx, struct act_group *g, act_protected_fn prot,
		      void *ud)
{
	struct group_scan s = {.ctx = ctx, .g = g, .prot = prot, .ud = ud};
	int dirfd;

	g->skipped = 0;
	g->overflow = 0;
	if (g->kind == ACT_GROUP_PGID)
		return for_each_dirent(ctx->root->proc_fd, ".", pgid_visit, &s);
	dirfd = g->v1 ? ctx->mounts->memv1_fd : ctx->mounts->v2_fd;
	return cg_walk(dirfd, g->cgroup, 0, cg_visit, &s);
}

int act_group_open_pgid(const struct act_ctx *ctx, pid_t pgid, act_protected_fn prot,
			void *userdata, struct act_group *ret)
{
	int r;

	if (pgid <= 1)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	ret->kind = ACT_GROUP_PGID;
	ret->pgid = pgid;
	ret->prot = prot;
	ret->prot_userdata = userdata;
	r = group_scan(ctx, ret, prot, userdata);
	if (r < 0) {
		act_group_close(ctx, ret);
		return r;
	}
	return ret->n > 0 ? (int)ret->n : -ESRCH;
}

static bool cg_is_root(const char *cg)
{
	return !cg || !*cg || strspn(cg, "/") == strlen(cg);
}

int act_group_open_cgroup(const struct act_ctx *ctx, const char *cg, act_protected_fn prot,
			  void *userdata, struct act_group *ret)
{
	int r;

	if (cg_is_root(cg))
		return -EINVAL; /* never the whole machine */
	memset(ret, 0, sizeof(*ret));
	ret->kind = ACT_GROUP_CGROUP;
	ret->v1 = ctx->mounts->layout == OG_CG_V1;
	ret->prot = prot;
	ret->prot_userdata = userdata;
	if (og_strscpy(ret->cgroup, cg, sizeof(ret->cgroup)) != strlen(cg))
		return -ENAMETOOLONG;
	r = group_scan(ctx, ret, prot, userdata);
	if (r < 0) {
		act_group_close(ctx, ret);
		return r;
	}
	return (int)ret->n;
}

/*
 * Freeze (or thaw) the cgroup2 group of path, and on freezing wait up to ~20 ms for
 * cgroup.events to say "frozen 1" (freezing is asynchronous: tasks stop on their way back to
 * user space). 1 changed, 0 not possible (no such group, kernel < 5.2), never an error: the
 * kill goes on without it.
 */
static int cg_set_frozen(const struct act_ctx *ctx, const char *cg, bool freeze)
{
	char path[OG_CGROUP_PATH_MAX + 32], buf[256]; /* cgroup.events: two short lines */
	const char *rel = cg;
	int r;

	if (ctx->dry_run || ctx->mounts->v2_fd < 0)
		return 0;
	while (*rel == '/')
		rel++;
	if (freeze) {
		/* Frozen already (a FREEZE action, or an admin): leave it, and do not thaw. */
		snprintf(path, sizeof(path), "%s/cgroup.freeze", rel);
		if (og_read_at(ctx->mounts->v2_fd, path, buf, sizeof(buf)) < 0 || buf[0] != '0')
			return 0;
	}
	r = ctx->ops->write_at(ctx->ops->userdata, ctx->mounts->v2_fd, cg, "cgroup.freeze",
			       freeze ? "1" : "0");
	if (r < 0)
		return 0;
	snprintf(path, sizeof(path), "%s/cgroup.events", rel);
	for (int i = 0; freeze && i < 20; i++) {
		struct timespec ms = {0, 1000000};

		if (og_read_at(ctx->mounts->v2_fd, path, buf, sizeof(buf)) < 0 ||
		    strstr(buf, "frozen 1"))
			break;
		nanosleep(&ms, NULL);
	}
	return 1;
}

/* Signal every member; one NOTICE line for the group. */
static int group_signal(const struct act_ctx *ctx, struct act_group *g, int sig,
			const struct pol_action *why)
{
	char whybuf[POL_PATH_MAX + 128], what[OG_CGROUP_PATH_MAX + 32];
	int n = 0, mrel = 0;

	for (size_t i = 0; i < g->n; i++) {
		int r = act_victim_signal(ctx, &g->v[i], sig, why, true);

		if (r > 0) {
			n++;
			mrel += !!(g->v[i].sent & ACT_SENT_MRELEASE);
		}
	}
	if (g->kind == ACT_GROUP_PGID)
		snprintf(what, sizeof(what), "process group %d", (int)g->pgid);
	else
		snprintf(what, sizeof(what), "cgroup '%s'%s", g->cgroup,
			 g->v1 ? " (v1 tasks)" : "");
	log_internal(LOG_NOTICE, 0, ACT_KILL_MESSAGE_ID,
		     "%s%s %s: %d processes (%zu protected skipped%s), %d released: %s%s",
		     ctx->dry_run ? "dry-run: would send " : "", act_sig_name(sig), what, n,
		     g->skipped, g->overflow ? ", more than the table holds" : "", mrel,
		     act_why(why, whybuf, sizeof(whybuf)), ctx->dry_run ? " (dry-run)" : "");
	return n;
}

int act_group_term(const struct act_ctx *ctx, struct act_group *g, const struct pol_action *why)
{
	return group_signal(ctx, g, SIGTERM, why);
}

int act_group_kill(const struct act_ctx *ctx, struct act_group *g, const struct pol_action *why)
{
	bool froze = false;
	int r, n;

	if (g->kind == ACT_GROUP_CGROUP)
		froze = cg_set_frozen(ctx, g->cgroup, true) > 0;
	r = group_scan(ctx, g, g->prot, g->prot_userdata);
	if (r < 0)
		(void)log_debug_errno(r,
				      "rescan before SIGKILL failed: %m, killing the members held");
	n = group_signal(ctx, g, SIGKILL, why);
	if (froze)
		cg_set_frozen(ctx, g->cgroup, false);
	return n;
}

int act_group_alive(const struct act_ctx *ctx, struct act_group *g)
{
	int n = 0;

	for (size_t i = 0; i < g->n; i++)
		if (act_victim_wait(ctx, &g->v[i], 0) == 0)
			n++;
	return n;
}

void act_group_close(const struct act_ctx *ctx, struct act_group *g)
{
	for (size_t i = 0; i < g->n; i++)
		act_victim_close(ctx, &g->v[i]);
	g->n = 0;
}

/* ------------------------------------------------------------------ cgroups */

/* dirfd/cg/file exists? (F_OK through the mount's dir fd: no write, fine in dry-run) */
static bool cg_file_exists(int dirfd, const char *cg, const char *file)
{
	char path[OG_CGROUP_PATH_MAX + 32];

	if (dirfd < 0)
		return false;
	while (*cg == '/')
		cg++;
	snprintf(path, sizeof(path), "%s%s%s", cg, *cg ? "/" : "", file);
	return faccessat(dirfd, path, F_OK, 0) == 0;
}

struct cg_kill {
	const struct act_ctx *ctx;
	const char *cg;
	bool v1_walk; /* walking the v1 memory group: SIGKILL who cgroup.kill did not reach */
	bool twin_killed; /* cgroup.kill was written (or would be, in dry-run) */
	int n, released;
};

static int cg_kill_visit(void *data, pid_t pid)
{
	struct cg_kill *k = data;
	struct act_victim v;
	int m;

	if (pid == k->ctx->self_pid || act_victim_open_any(k->ctx, pid, 0, &v) < 0)
		return 0;
	/* The pidfd is held: if the pid was reused since cgroup.procs was read, the new owner is
	 * not a member and is left alone. */
	m = cg_membership(k->ctx, pid, k->cg);
	if (!k->v1_walk || (m > 0 && (m & CG_IN_V2) && k->twin_killed)) {
		/* Already SIGKILLed by cgroup.kill (never signalled twice): only free its memory
		 * now. A process that is not dying answers EINVAL, so a reused pid costs nothing.
		 */
		if (!k->ctx->dry_run && m > 0)
			act_victim_mrelease(k->ctx, &v);
	} else if (m > 0 && (m & CG_IN_V1) &&
		   act_victim_signal(k->ctx, &v, SIGKILL, NULL, true) > 0) {
		k->n++;
	}
	k->released += !!(v.sent & ACT_SENT_MRELEASE);
	act_victim_close(k->ctx, &v);
	return 0;
}

int act_kill_cgroup(const struct act_ctx *ctx, const char *cg, const struct pol_action *why)
{
	const struct og_cg_mounts *m = ctx->mounts;
	struct cg_kill k = {.ctx = ctx, .cg = cg};
	char whybuf[POL_PATH_MAX + 128];
	bool has_kill, v1_group;
	int r;

	if (cg_is_root(cg))
		return -EINVAL; /* never the whole machine */
	has_kill = cg_file_exists(m->v2_fd, cg, "cgroup.kill");
	v1_group = m->layout == OG_CG_V1 && cg_file_exists(m->memv1_fd, cg, "cgroup.procs");
	if (!has_kill && !v1_group) {
		if (!cg_file_exists(m->v2_fd, cg, "cgroup.procs") &&
		    !cg_file_exists(m->memv1_fd, cg, "cgroup.procs"))
			return 0; /* gone meanwhile: nothing to do */
		return -EOPNOTSUPP; /* kernel < 5.14: the caller uses act_group_open_cgroup() */
	}
	if ((has_kill && cg_member(ctx, ctx->self_pid, cg, false) > 0) ||
	    (v1_group && cg_member(ctx, ctx->self_pid, cg, true) > 0))
		return log_error_errno(-EDEADLK,
				       "not killing cgroup '%s': it holds oomguardiand "
				       "itself, ignoring",
				       cg);

	if (has_kill && ctx->dry_run) {
		k.twin_killed = true;
	} else if (has_kill) {
		r = ctx->ops->write_at(ctx->ops->userdata, m->v2_fd, cg, "cgroup.kill", "1");
		if (r < 0 && r != -ENOENT && !v1_group)
			return log_error_errno(r, "failed to kill cgroup '%s': %m", cg);
		if (r < 0 && r != -ENOENT)
			(void)log_warning_errno(
				r, "cgroup.kill of '%s' failed: %m, killing its v1 tasks", cg);
		k.twin_killed = r == 0;
	}
	/* v1: every task of the memory group; the ones cgroup.kill reached only get mrelease.
	 * v2: mrelease of what cgroup.kill killed. */
	k.v1_walk = v1_group;
	if (v1_group || k.twin_killed) {
		r = cg_walk(v1_group ? m->memv1_fd : m->v2_fd, cg, 0, cg_kill_visit, &k);
		if (r < 0 && r != -ENOENT)
			(void)log_warning_errno(r, "listing the tasks of '%s' failed: %m", cg);
	}
	log_internal(LOG_NOTICE, 0, ACT_KILL_MESSAGE_ID,
		     "%sSIGKILL cgroup '%s':%s%s %d v1 tasks by pidfd, %d released: %s%s",
		     ctx->dry_run ? "dry-run: would send " : "", cg,
		     has_kill ? " cgroup.kill on cgroup2" : "", has_kill && v1_group ? " +" : "",
		     k.n, k.released, act_why(why, whybuf, sizeof(whybuf)),
		     ctx->dry_run ? " (dry-run)" : "");
	return k.twin_killed || k.n > 0 ? 1 : 0;
}

static int count_visit(void *data, pid_t pid)
{
	(*(int *)data)++;
	return 0;
}

int act_cgroup_populated(const struct act_ctx *ctx, const char *cg)
{
	char path[OG_CGROUP_PATH_MAX + 32], buf[256]; /* cgroup.events: "populated N\nfrozen N\n" */
	const struct og_cg_mounts *m = ctx->mounts;
	const char *rel = cg;
	bool populated;
	int n = 0, r;

	if (!cg)
		return -EINVAL;
	if (m->layout == OG_CG_V1 && m->memv1_fd >= 0) {
		r = cg_walk(m->memv1_fd, cg, 0, count_visit, &n);
		if (r == -ENOENT)
			return 0;
		return r < 0 ? r : n > 0;
	}
	while (*rel == '/')
		rel++;
	snprintf(path, sizeof(path), "%s%scgroup.events", rel, *rel ? "/" : "");
	r = (int)og_read_at(m->v2_fd, path, buf, sizeof(buf));
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = src_cgroup_parse_cg_events_buf(buf, &populated);
	return r < 0 ? r : populated;
}
