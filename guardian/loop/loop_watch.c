/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What wakes the loop, set up and read here: the scope's usage/limit files and meminfo for the
 * fast poll (kept open, one pread each), the PSI triggers (one fd per trigger, EPOLLPRI) and
 * the cgroup v1 usage thresholds (cgroup.event_control + eventfd). The scope may vanish at any
 * time: every read and every watch copes with that (loop_setup_watches() again later).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "guardian/base/log.h"
#include "guardian/loop/loop_int.h"
#include "guardian/sources/src_cgroup.h"
#include "guardian/sources/src_meminfo.h"
#include "guardian/sources/src_psi.h"
#include "policy/util/cleanup.h"
#include "policy/util/strutil.h"

void loop_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void loop_unref_src(sd_event_source **s)
{
	if (*s) {
		sd_event_source_set_enabled(*s, SD_EVENT_OFF);
		sd_event_source_unref(*s);
	}
	*s = NULL;
}

void loop_teardown_watches(struct loop *l)
{
	for (size_t i = 0; i < LOOP_PSI_MAX; i++) {
		loop_unref_src(&l->psi_src[i]);
		loop_close_fd(&l->psi_fd[i]);
	}
	loop_unref_src(&l->thr_src);
	loop_close_fd(&l->thr_efd);
	loop_close_fd(&l->usage_fd);
	loop_close_fd(&l->limit_fd);
	loop_close_fd(&l->stat_fd);
}

/* ------------------------------------------------------------------ scope files */

/* "scope/file" relative to a hierarchy fd ("/a/b" -> "a/b/file"). */
static void scope_rel(const struct loop *l, const char *file, char *buf, size_t size)
{
	const char *s = l->scope;

	while (*s == '/')
		s++;
	snprintf(buf, size, "%s%s%s", s, *s ? "/" : "", file);
}

static int open_rel(int dirfd, const char *path, int flags)
{
	int fd;

	if (dirfd < 0)
		return -ENOENT;
	fd = openat(dirfd, path, flags | O_CLOEXEC | O_NOCTTY);
	return fd < 0 ? -errno : fd;
}

/* The fds of the fast poll for the scope. 0, -ENOENT when the scope does not exist. */
static int open_scope_fds(struct loop *l)
{
	const struct og_cg_mounts *m = &l->col.mounts;
	char path[OG_CGROUP_PATH_MAX + 64];
	int dirfd;
	const char *usage, *limit;

	if (!l->scope[0])
		return 0;
	if (m->layout == OG_CG_V1) {
		dirfd = m->memv1_fd;
		usage = "memory.usage_in_bytes";
		limit = "memory.limit_in_bytes";
	} else if (m->layout == OG_CG_V2 && m->v2_has_memory) {
		dirfd = m->v2_fd;
		usage = "memory.current";
		limit = "memory.max";
	} else {
		/* No memory controller: check the group exists, measure the machine. */
		scope_rel(l, "cgroup.procs", path, sizeof(path));
		return faccessat(m->v2_fd, path, F_OK, 0) < 0 ? -errno : 0;
	}
	scope_rel(l, usage, path, sizeof(path));
	l->usage_fd = open_rel(dirfd, path, O_RDONLY);
	if (l->usage_fd < 0)
		return l->usage_fd;
	scope_rel(l, "memory.stat", path, sizeof(path));
	l->stat_fd = open_rel(dirfd, path, O_RDONLY); /* optional: < 0 falls back to the estimate */
	scope_rel(l, limit, path, sizeof(path));
	l->limit_fd = open_rel(dirfd, path, O_RDONLY);
	if (l->limit_fd < 0) {
		int r = l->limit_fd;

		loop_close_fd(&l->usage_fd);
		return r;
	}
	return 0;
}

/* ------------------------------------------------------------------ PSI triggers */

static int psi_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct loop *l = userdata;

	if (revents & EPOLLERR) {
		/* The group's pressure file went away with the group. */
		log_warning("pressure trigger of '%s' failed (group removed?), ignoring",
			    l->scope[0] ? l->scope : "/proc/pressure/memory");
		sd_event_source_set_enabled(s, SD_EVENT_OFF);
		loop_kick(l, "psi-error");
		return 0;
	}
	loop_kick_psi(l);
	return 0;
}

/*
 * One trigger on its own fd. Try a 1 s window first (what an unprivileged writer may use on
 * most kernels); EINVAL means this kernel wants multiples of 2 s without CAP_SYS_RESOURCE
 * (measured here on 6.18), so retry with 2 s and the same stall share. fd or -errno.
 */
static int psi_open_one(struct loop *l, int dirfd, const char *path, bool full)
{
	uint64_t stall = full ? 50000 : 150000, window = 1000000;
	char line[64];
	int fd, r;

	for (int attempt = 0; attempt < 2; attempt++) {
		fd = open_rel(dirfd, path, O_RDWR | O_NONBLOCK);
		if (fd < 0)
			return fd;
		loop_psi_trigger_format(line, sizeof(line), full, stall, window);
		if (write(fd, line, strlen(line) + 1) >= 0)
			return fd;
		r = -errno;
		close(fd);
		if (r != -EINVAL || attempt > 0)
			return r;
		if (!l->psi_window_logged) {
			log_info(
				"PSI trigger '%s' refused (EINVAL): this kernel needs 2 s windows, "
				"using 2 s",
				line);
			l->psi_window_logged = true;
		}
		stall *= 2;
		window = 2000000;
	}
	return -EINVAL;
}

static void setup_psi(struct loop *l)
{
	char path[OG_CGROUP_PATH_MAX + 64];
	int dirfd;

	if (l->scope[0]) {
		dirfd = l->col.mounts.v2_fd;
		scope_rel(l, "memory.pressure", path, sizeof(path));
	} else {
		dirfd = l->col.root.proc_fd;
		og_strscpy(path, "pressure/memory", sizeof(path));
	}
	for (int i = 0; i < LOOP_PSI_MAX; i++) {
		int fd = psi_open_one(l, dirfd, path, i == 1);
		int r;

		if (fd < 0) {
			log_info("no PSI trigger on '%s': %s; polling only", path, strerror(-fd));
			return;
		}
		l->psi_fd[i] = fd;
		r = sd_event_add_io(l->ev, &l->psi_src[i], fd, EPOLLPRI, psi_io, l);
		if (r < 0) {
			(void)log_warning_errno(r, "cannot watch PSI trigger: %m, ignoring");
			loop_close_fd(&l->psi_fd[i]);
			return;
		}
	}
	log_debug("PSI triggers armed on '%s'", path);
}

int loop_psi_read(const struct loop *l, struct og_psi *ret)
{
	char buf[OG_PSI_MAX];
	ssize_t n;

	if (l->psi_fd[0] < 0)
		return -EBADF;
	/* a pressure file with a trigger on it reads like any other, from offset 0 */
	n = pread(l->psi_fd[0], buf, sizeof(buf) - 1, 0);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return src_psi_parse_buf(buf, ret);
}

int loop_psi_read_machine(const struct loop *l, struct og_psi *ret)
{
	if (!l->scope[0] && l->psi_fd[0] >= 0)
		return loop_psi_read(l, ret);
	return src_read_psi_at(l->col.root.proc_fd, "pressure/memory", ret);
}

/* ------------------------------------------------------------------ v1 usage thresholds */

static int thr_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct loop *l = userdata;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_debug("threshold eventfd read: %m");
	/* The memcg signals every crossing, both ways, of a usage that counts page cache: a
	 * group cycling its cache around a rung woke the loop for a step a thousand times a
	 * second (a file rewritten through a mapping, 2026-12-03: 28,196 steps in 30 s). Not
	 * into a higher rung, the threshold rests until the next poll (loop_thresholds_wake). */
	if (!loop_kick_threshold(l))
		sd_event_source_set_enabled(s, SD_EVENT_OFF);
	return 0;
}

void loop_thresholds_wake(struct loop *l)
{
	if (l->thr_src)
		sd_event_source_set_enabled(l->thr_src, SD_EVENT_ON);
}

/*
 * Register one usage threshold per rung: usage = limit - rung's available bytes. Available also
 * counts reclaimable pages, so these fire a little early: they only wake the loop, the engine
 * decides.
 */
static void setup_v1_thresholds(struct loop *l)
{
	const struct og_cg_mounts *m = &l->col.mounts;
	char path[OG_CGROUP_PATH_MAX + 64], line[96], buf[32];
	_cleanup_close_ int ctl = -1;
	uint64_t limit;
	int n = 0, r;

	if (!l->scope[0] || m->layout != OG_CG_V1 || l->usage_fd < 0)
		return;
	r = (int)pread(l->limit_fd, buf, sizeof(buf) - 1, 0);
	if (r <= 0)
		return;
	buf[r] = '\0';
	if (src_cgroup_parse_limit_buf(buf, &limit) < 0 || limit == OG_UNLIMITED)
		return;
	scope_rel(l, "cgroup.event_control", path, sizeof(path));
	ctl = open_rel(m->memv1_fd, path, O_WRONLY);
	if (ctl < 0) {
		(void)log_debug_errno(ctl, "no cgroup.event_control for '%s': %m", l->scope);
		return;
	}
	l->thr_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->thr_efd < 0)
		return;
	for (int s = POL_STAGE_RECLAIM; s < POL_STAGE__MAX; s++) {
		uint64_t t = loop_threshold_bytes(&l->rules.cfg.stage[s], limit);

		if (t == 0 || t >= limit)
			continue;
		snprintf(line, sizeof(line), "%d %d %" PRIu64, l->thr_efd, l->usage_fd, limit - t);
		if (write(ctl, line, strlen(line)) < 0)
			log_debug("cgroup.event_control '%s': %m", line);
		else
			n++;
	}
	if (n == 0 || sd_event_add_io(l->ev, &l->thr_src, l->thr_efd, EPOLLIN, thr_io, l) < 0) {
		loop_close_fd(&l->thr_efd);
		return;
	}
	log_debug("%d v1 usage thresholds armed on '%s'", n, l->scope);
}

/* (Re)arm everything that depends on the scope existing. */
void loop_setup_watches(struct loop *l)
{
	int r;

	loop_teardown_watches(l);
	r = open_scope_fds(l);
	if (r < 0) {
		if (!l->scope_missing) {
			const struct og_cg_mounts *m = &l->col.mounts;
			const char *mnt = m->layout == OG_CG_V1 ? m->memv1_path : m->v2_path;

			/* say what was looked for where (issue 10 item 11) */
			(void)log_warning_errno(
				r,
				"scope cgroup '%s' not found: no '%s%s' (%s): %m; waiting for it, "
				"looking again every %llu s",
				l->scope, mnt[0] ? mnt : "(no cgroup mount)", l->scope,
				m->layout == OG_CG_V1 ? "the memory controller's v1 hierarchy"
						      : "the cgroup2 hierarchy",
				LOOP_SCOPE_RECHECK_USEC / 1000000);
		}
		if (!l->scope_missing) {
			l->scope_missing = true;
			loop_write_state(l); /* "waiting for scope" */
		}
		return;
	}
	if (l->scope_missing) {
		log_notice("scope cgroup '%s' is back, guarding it", l->scope);
		l->scope_missing = false;
		l->rescan_due = true; /* the table follows the scope: fill it from its cgroup.procs */
		loop_write_state(l);
	}
	l->scope_missing = false;
	/* Triggers and thresholds are writes: never into a fixture tree (--root), whose files
	 * would take them as plain text. There the poll alone runs. */
	if (strcmp(l->root_dir, "/") != 0) {
		log_info("root '%s' is not the live system: no PSI triggers or thresholds, polling "
			 "only",
			 l->root_dir);
		return;
	}
	/* What a kernel without PSI and thresholds (3.10) leaves: the poll alone (tests). */
	if (getenv("OOMGUARDIAND_POLL_ONLY")) {
		log_info("OOMGUARDIAND_POLL_ONLY set: no PSI triggers or thresholds, polling only");
		return;
	}
	setup_psi(l);
	setup_v1_thresholds(l);
}

/* Called from the fast read when the scope's files stopped answering. */
static void scope_lost(struct loop *l, int r)
{
	(void)log_warning_errno(r,
				"scope cgroup '%s' went away: %m; idle, looking again every %llu s",
				l->scope, LOOP_SCOPE_RECHECK_USEC / 1000000);
	loop_teardown_watches(l);
	l->scope_missing = true;
	loop_write_state(l); /* "waiting for scope" */
}

/* ------------------------------------------------------------------ the fast read */

static int pread_str(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);

	if (n < 0)
		return -errno;
	if ((size_t)n == size - 1)
		return -EFBIG;
	buf[n] = '\0';
	return 0;
}

static int read_machine(struct loop *l)
{
	char buf[OG_MEMINFO_MAX];
	struct og_meminfo mi;
	int r;

	if (l->meminfo_fd < 0) {
		l->meminfo_fd = open_rel(l->col.root.proc_fd, "meminfo", O_RDONLY);
		if (l->meminfo_fd < 0)
			return l->meminfo_fd;
	}
	r = pread_str(l->meminfo_fd, buf, sizeof(buf));
	if (r >= 0)
		r = src_meminfo_parse_buf(buf, &mi);
	if (r < 0)
		return r;
	l->avail_bytes = mi.available_bytes;
	l->total_bytes = mi.total_bytes;
	return 0;
}

int loop_parse_inactive_file(const char *buf, bool v1, uint64_t *ret_bytes)
{
	const char *key = v1 ? "total_inactive_file " : "inactive_file ";
	size_t klen = strlen(key);
	const char *p = buf;
	char *end;
	unsigned long long v;

	for (;;) {
		if (strncmp(p, key, klen) == 0)
			break;
		p = strchr(p, '\n');
		if (!p)
			return -EBADMSG;
		p++;
	}
	p += klen;
	if (*p < '0' || *p > '9')
		return -EBADMSG;
	errno = 0;
	v = strtoull(p, &end, 10);
	if (errno || (*end != '\n' && *end != '\0'))
		return -EBADMSG;
	*ret_bytes = v;
	return 0;
}

/*
 * Reclaimable file pages of the scope, counted as available: read now (a hog evicting page
 * cache makes the last snapshot's figure, up to 10 s old, too big). Without memory.stat the
 * snapshot's estimate counts only while younger than a second, else nothing.
 */
static uint64_t scope_reclaimable(struct loop *l)
{
	char buf[8192]; /* v1 memory.stat with total_* keys ~1.5 KiB on 6.x, v2 ~1.2 KiB */
	uint64_t v;

	if (l->stat_fd >= 0 && pread_str(l->stat_fd, buf, sizeof(buf)) >= 0 &&
	    loop_parse_inactive_file(buf, l->col.mounts.layout == OG_CG_V1, &v) >= 0)
		return v;
	return loop_now_usec() - l->last_full_usec < 1000000ULL ? l->reclaim_est_bytes : 0;
}

int loop_fast_read(struct loop *l)
{
	char buf[64];
	uint64_t usage, limit;
	int r;

	if (l->scope[0] && l->scope_missing)
		return -ENOENT;
	if (l->usage_fd < 0)
		return read_machine(l);
	r = pread_str(l->usage_fd, buf, sizeof(buf));
	if (r >= 0)
		r = src_cgroup_parse_limit_buf(buf, &usage);
	if (r >= 0)
		r = pread_str(l->limit_fd, buf, sizeof(buf));
	if (r >= 0)
		r = src_cgroup_parse_limit_buf(buf, &limit);
	if (r == -ENOENT || r == -ENODEV || r == -ESRCH) {
		scope_lost(l, r);
		return r;
	}
	if (r < 0)
		return r;
	l->usage_bytes = usage;
	if (limit == OG_UNLIMITED)
		return read_machine(l);
	l->total_bytes = limit;
	l->avail_bytes = (limit > usage ? limit - usage : 0) + scope_reclaimable(l);
	if (l->avail_bytes > limit)
		l->avail_bytes = limit;
	return 0;
}
