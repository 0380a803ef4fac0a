/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The actions layer's plumbing: the real ops, the recording fake, identity reads, log helpers. */
#include <errno.h>
#include <fcntl.h>
#include <numa.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "guardian/actions/act.h"
#include "guardian/base/log.h"
#include "guardian/sources/src_proc.h"
#include "policy/util/cleanup.h"
#include "policy/util/strutil.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_process_mrelease
#define SYS_process_mrelease 448
#endif

/* ------------------------------------------------------------------ real ops */

/* "dir/file" relative to a dir fd: cgroup paths come as "/a/b", the root as "/" or "". */
static int join_path(char *buf, size_t size, const char *dir, const char *file)
{
	int n;

	while (dir && *dir == '/')
		dir++;
	if (!dir || !*dir)
		n = snprintf(buf, size, "%s", file);
	else
		n = snprintf(buf, size, "%s/%s", dir, file);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int real_write_at(void *ud, int dirfd, const char *dir, const char *file, const char *value)
{
	char path[OG_CGROUP_PATH_MAX + 64]; /* a cgroup path plus a control file name */
	int r = join_path(path, sizeof(path), dir, file);

	return r < 0 ? r : og_write_at(dirfd, path, value);
}

static int real_pidfd_open(void *ud, pid_t pid, unsigned flags)
{
	long fd = syscall(SYS_pidfd_open, pid, flags);

	return fd < 0 ? -errno : (int)fd;
}

static int real_pidfd_send_signal(void *ud, int pidfd, int sig)
{
	return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno : 0;
}

static int real_process_mrelease(void *ud, int pidfd, unsigned flags)
{
	return syscall(SYS_process_mrelease, pidfd, flags) < 0 ? -errno : 0;
}

static int real_kill(void *ud, pid_t pid, int sig)
{
	return kill(pid, sig) < 0 ? -errno : 0;
}

static int real_killpg(void *ud, pid_t pgid, int sig)
{
	return killpg(pgid, sig) < 0 ? -errno : 0;
}

static int real_migrate_pages(void *ud, pid_t pid, struct bitmask *from, struct bitmask *to)
{
	int r = numa_migrate_pages(pid, from, to);

	return r < 0 ? -errno : r;
}

static int real_set_oom_score_adj(void *ud, int piddir_fd, int value)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%d", value);
	return og_write_at(piddir_fd, "oom_score_adj", buf);
}

static int real_poll_in(void *ud, int fd, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return 0;
	return p.revents & POLLNVAL ? -EBADF : 1;
}

static int real_close(void *ud, int fd)
{
	return close(fd) < 0 ? -errno : 0;
}

static uint64_t real_now_usec(void *ud)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static const struct act_ops real_ops = {
	.userdata = NULL,
	.write_at = real_write_at,
	.pidfd_open = real_pidfd_open,
	.pidfd_send_signal = real_pidfd_send_signal,
	.process_mrelease = real_process_mrelease,
	.kill = real_kill,
	.killpg = real_killpg,
	.migrate_pages = real_migrate_pages,
	.set_oom_score_adj = real_set_oom_score_adj,
	.poll_in = real_poll_in,
	.close = real_close,
	.now_usec = real_now_usec,
};

const struct act_ops *act_ops_real(void)
{
	return &real_ops;
}

/* Is root the running system's "/"? A fixture tree's pids are not this kernel's pids. */
static bool root_is_live(const struct og_root *root)
{
	struct stat a, b;

	if (!root || root->root_fd < 0 || fstat(root->root_fd, &a) < 0 || stat("/", &b) < 0)
		return false;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

void act_ctx_init(struct act_ctx *ret, const struct og_root *root,
		  const struct og_cg_mounts *mounts, bool dry_run)
{
	if (!dry_run && !root_is_live(root)) {
		/* --root=FIXTURE: a pid there names some unrelated live process, and the files
		 * are someone's fixture. Never act on either. */
		log_notice("root '%s' is not the running system: actions are dry-run only",
			   root ? root->path : "?");
		dry_run = true;
	}
	*ret = (struct act_ctx){
		.root = root,
		.mounts = mounts,
		.ops = act_ops_real(),
		.dry_run = dry_run,
		.self_pid = getpid(),
		.denied = NULL,
	};
}

/* ------------------------------------------------------------------ log helpers */

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/*
 * The engine names each metric with its unit (policy/pol_*.c): *_bytes, *_permyriad and
 * *_centi (both percent x 100), *_usec; anything else (oom_score_adj, stage, blocks) is a plain
 * integer, possibly a negative one carried in the u64.
 */
static void format_metric(char *buf, size_t size, const char *metric, uint64_t v)
{
	if (ends_with(metric, "_bytes") || strcmp(metric, "mem_available") == 0)
		og_format_bytes(buf, size, v);
	else if (ends_with(metric, "_permyriad") || ends_with(metric, "_centi") ||
		 og_startswith(metric, "psi"))
		snprintf(buf, size, "%llu.%02llu%%", (unsigned long long)(v / 100),
			 (unsigned long long)(v % 100));
	else if (ends_with(metric, "_usec"))
		snprintf(buf, size, "%llu.%03llus", (unsigned long long)(v / 1000000),
			 (unsigned long long)(v / 1000 % 1000));
	else
		snprintf(buf, size, "%lld", (long long)v);
}

/* Length of the metric's name without the unit suffix format_metric() converts away. */
static size_t metric_name_len(const char *metric)
{
	static const char *const units[] = { "_permyriad", "_centi", "_bytes", "_usec" };
	size_t n = strlen(metric);

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (ends_with(metric, units[i]) && n > strlen(units[i]))
			return n - strlen(units[i]);
	return n;
}

const char *act_why(const struct pol_action *why, char *buf, size_t size)
{
	char m[32], l[32];

	if (!why) {
		snprintf(buf, size, "rule=manual");
		return buf;
	}
	if (!why->metric[0]) {
		snprintf(buf, size, "rule='%s'", why->rule[0] ? why->rule : "?");
		return buf;
	}
	format_metric(m, sizeof(m), why->metric, why->measured);
	format_metric(l, sizeof(l), why->metric, why->limit);
	/* The value is shown converted ("4.26%", "1.5G", "2.500s"): its name loses the unit
	 * suffix, no "mem_available_permyriad=4.26%" (issue 10 item 16). */
	snprintf(buf, size, "rule='%s' %.*s=%s limit=%s", why->rule[0] ? why->rule : "?",
		 (int)metric_name_len(why->metric), why->metric, m, l);
	return buf;
}

const char *act_printable(const char *s, char *buf, size_t size)
{
	return og_escape(buf, size, s);
}

bool act_seen_has(const struct act_seen *s, pid_t pid, uint64_t starttime_ticks)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (s->e[i].pid == pid && s->e[i].starttime_ticks == starttime_ticks)
			return true;
	return false;
}

void act_seen_add(struct act_seen *s, pid_t pid, uint64_t starttime_ticks)
{
	if (!s || act_seen_has(s, pid, starttime_ticks))
		return;
	s->e[s->next].pid = pid;
	s->e[s->next].starttime_ticks = starttime_ticks;
	s->next = (s->next + 1) % ACT_SEEN_MAX;
	if (s->n < ACT_SEEN_MAX)
		s->n++;
}

/* ------------------------------------------------------------------ identity */

int act_ident_parse_buf(const char *buf, struct act_ident *ret)
{
	struct og_proc p;
	int r = src_proc_parse_stat(buf, &p);

	if (r < 0)
		return r;
	if (r == SRC_PROC_KTHREAD)
		return -EPERM; /* a kernel thread is never a victim nor protected */
	*ret = (struct act_ident){
		.starttime_ticks = p.starttime_ticks, .pgid = p.pgid, .state = p.state};
	og_strscpy(ret->comm, p.comm, sizeof(ret->comm));
	return 0;
}

int act_ident_read(int dirfd, const char *path, struct act_ident *ret)
{
	char buf[1024]; /* /proc/PID/stat is ~350 bytes on 6.x with 52 fields and a 15-char comm */
	ssize_t n = og_read_at(dirfd, path, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return act_ident_parse_buf(buf, ret);
}

/* ------------------------------------------------------------------ recording fake */

static struct act_call *rec_add(struct act_recorder *rec, enum act_call_kind kind)
{
	static struct act_call scratch; /* calls beyond the table are counted, not stored */

	if (rec->n >= ACT_RECORDER_MAX) {
		rec->dropped++;
		memset(&scratch, 0, sizeof(scratch));
		return &scratch;
	}
	rec->calls[rec->n] = (struct act_call){.kind = kind, .fd = -1};
	return &rec->calls[rec->n++];
}

static int rec_write_at(void *ud, int dirfd, const char *dir, const char *file, const char *value)
{
	struct act_recorder *rec = ud;
	struct act_call *c = rec_add(rec, ACT_CALL_WRITE);

	c->fd = dirfd;
	snprintf(c->path, sizeof(c->path), "%s%s%s", dir ? dir : "",
		 dir && *dir && strcmp(dir, "/") != 0 ? "/" : "", file);
	og_strscpy(c->value, value, sizeof(c->value));
	return c->ret = rec->next_ret[ACT_CALL_WRITE];
}

static int rec_pidfd_open(void *ud, pid_t pid, unsigned flags)
{
	struct act_recorder *rec = ud;
	struct act_call *c = rec_add(rec, ACT_CALL_PIDFD_OPEN);

	c->pid = pid;
	c->flags = flags;
	for (size_t i = 0; i < OG_ELEMENTSOF(rec->gone_pid); i++)
		if (rec->gone_pid[i] && rec->gone_pid[i] == pid)
			return c->ret = -ESRCH;
	if (rec->next_ret[ACT_CALL_PIDFD_OPEN] < 0)
		return c->ret = rec->next_ret[ACT_CALL_PIDFD_OPEN];
	return c->ret = ACT_FAKE_PIDFD_BASE + pid;
}

static int rec_fd_sig(void *ud, enum act_call_kind kind, int fd, pid_t pid, int sig)
{
	struct act_recorder *rec = ud;
	struct act_call *c = rec_add(rec, kind);

	c->fd = fd;
	c->pid = pid;
	c->sig = sig;
	return c->ret = rec->next_ret[kind];
}

static int rec_pidfd_send_signal(void *ud, int pidfd, int sig)
{
	return rec_fd_sig(ud, ACT_CALL_SIGNAL, pidfd, 0, sig);
}

static int rec_process_mrelease(void *ud, int pidfd, unsigned flags)
{
	return rec_fd_sig(ud, ACT_CALL_MRELEASE, pidfd, 0, 0);
}

static int rec_kill(void *ud, pid_t pid, int sig)
{
	return rec_fd_sig(ud, ACT_CALL_KILL, -1, pid, sig);
}

static int rec_killpg(void *ud, pid_t pgid, int sig)
{
	return rec_fd_sig(ud, ACT_CALL_KILLPG, -1, pgid, sig);
}

static uint64_t mask_bits(const struct bitmask *m)
{
	uint64_t bits = 0;

	for (unsigned i = 0; m && i < 64; i++)
		if (numa_bitmask_isbitset(m, i))
			bits |= 1ull << i;
	return bits;
}

static int rec_migrate_pages(void *ud, pid_t pid, struct bitmask *from, struct bitmask *to)
{
	struct act_recorder *rec = ud;
	struct act_call *c = rec_add(rec, ACT_CALL_MIGRATE);

	c->pid = pid;
	c->from_mask = mask_bits(from);
	c->to_mask = mask_bits(to);
	return c->ret = rec->next_ret[ACT_CALL_MIGRATE];
}

static int rec_set_oom_score_adj(void *ud, int piddir_fd, int value)
{
	return rec_fd_sig(ud, ACT_CALL_OOM_ADJ, piddir_fd, 0, value);
}

static int rec_poll_in(void *ud, int fd, int timeout_ms)
{
	struct act_recorder *rec = ud;
	struct act_call *c = rec_add(rec, ACT_CALL_POLL);

	c->fd = fd;
	c->sig = timeout_ms;
	return c->ret = rec->poll_ret;
}

static int rec_close(void *ud, int fd)
{
	return rec_fd_sig(ud, ACT_CALL_CLOSE, fd, 0, 0);
}

static uint64_t rec_now_usec(void *ud)
{
	struct act_recorder *rec = ud;

	rec->now += rec->tick_usec;
	return rec->now;
}

void act_recorder_init(struct act_recorder *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->ops = (struct act_ops){
		.userdata = rec,
		.write_at = rec_write_at,
		.pidfd_open = rec_pidfd_open,
		.pidfd_send_signal = rec_pidfd_send_signal,
		.process_mrelease = rec_process_mrelease,
		.kill = rec_kill,
		.killpg = rec_killpg,
		.migrate_pages = rec_migrate_pages,
		.set_oom_score_adj = rec_set_oom_score_adj,
		.poll_in = rec_poll_in,
		.close = rec_close,
		.now_usec = rec_now_usec,
	};
	rec->now = 1000000;
	rec->tick_usec = 1000;
}

size_t act_recorder_count(const struct act_recorder *rec, enum act_call_kind kind)
{
	size_t n = 0;

	for (size_t i = 0; i < rec->n; i++)
		if (kind == ACT_CALL__MAX || rec->calls[i].kind == kind)
			n++;
	return n;
}

ssize_t act_recorder_find(const struct act_recorder *rec, enum act_call_kind kind, int sig,
			  size_t from)
{
	for (size_t i = from; i < rec->n; i++)
		if (rec->calls[i].kind == kind && (sig < 0 || rec->calls[i].sig == sig))
			return (ssize_t)i;
	return -1;
}
