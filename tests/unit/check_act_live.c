/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The actions layer on the REAL kernel, with real processes (needs root). Every test makes its
 * own memory-limited group: /sys/fs/cgroup/memory/ogtest-act-<mainpid>-<testpid> (v1, 256 MiB)
 * and its cgroup2 twin /sys/fs/cgroup/unified/ogtest-act-<mainpid>-<testpid> (on a pure
 * cgroup2 host only the latter, with memory.max), forks its children into it and removes
 * everything in teardown. main() sweeps every ogtest-act-<mainpid>-* left behind by a failed
 * or timed-out test (killing only the processes in those groups: ours) before it exits.
 * Only processes these tests started are ever signalled or changed.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <numa.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guardian/actions/act.h"
#include "guardian/actions/act_kill.h"
#include "guardian/actions/act_mem.h"
#include "guardian/actions/act_protect.h"
#include "guardian/base/log.h"
#include "guardian/sources/proc_events.h"
#include "guardian/sources/src_cgroup.h"

#define LIMIT_BYTES (256ull << 20)
/*
 * Every wait for an event (an exit, an empty group, a frozen state, a queued datagram) polls
 * with this deadline: far more than any of them takes (milliseconds here), so a machine loaded
 * by other builds makes a test slower, never wrong. Nothing asserts how long something took.
 */
#define DEADLINE_MS 20000
#ifndef SYS_process_mrelease
#define SYS_process_mrelease 448
#endif

static pid_t main_pid;
static struct og_root root;
static struct og_cg_mounts mounts;
static struct act_ctx ctx;
static char cg[128]; /* "/ogtest-act-<mainpid>-<testpid>" */

/* ------------------------------------------------------------------ cgroup helpers */

static int write_file(int dirfd, const char *path, const char *value)
{
	const char *p = path;

	while (*p == '/')
		p++;
	return og_write_at(dirfd, p, value);
}

static void kill_listed(int dirfd, const char *path)
{
	char buf[8192], file[512];
	char *line, *save = NULL;

	snprintf(file, sizeof(file), "%s/cgroup.procs", path + (path[0] == '/'));
	if (og_read_at(dirfd, file, buf, sizeof(buf)) < 0)
		return;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		pid_t pid = atoi(line);

		/* Only members of our own ogtest-act group: processes this test binary started. */
		if (pid > 1 && pid != getpid())
			kill(pid, SIGKILL);
	}
}

/* Kill what is left in dirfd/path and below, then rmdir depth-first; retry while busy. */
static void destroy_group(int dirfd, const char *path, int depth)
{
	char sub[512];
	int fd;

	if (dirfd < 0 || depth > 4)
		return;
	fd = openat(dirfd, path + (path[0] == '/'), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		DIR *d = fdopendir(fd);
		struct dirent *de;

		while (d && (de = readdir(d))) {
			if (de->d_type != DT_DIR || de->d_name[0] == '.')
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
			destroy_group(dirfd, sub, depth + 1);
		}
		if (d)
			closedir(d);
		else
			close(fd);
	}
	/* busy until the killed tasks have exited: allow a loaded machine 20 s (2000 x 10 ms) */
	for (int i = 0; i < 2000; i++) {
		kill_listed(dirfd, path);
		if (unlinkat(dirfd, path + (path[0] == '/'), AT_REMOVEDIR) == 0 || errno == ENOENT)
			return;
		usleep(10000);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
	fprintf(stderr, "check_act_live: could not remove cgroup '%s': %m\n", path);
}

static void make_group(const char *path)
{
	char limit[32], f[256];

	snprintf(limit, sizeof(limit), "%llu", LIMIT_BYTES);
	if (mounts.memv1_fd >= 0) {
		ck_assert_int_eq(mkdirat(mounts.memv1_fd, path + 1, 0755), 0);
		snprintf(f, sizeof(f), "%s/memory.limit_in_bytes", path);
		ck_assert_int_eq(write_file(mounts.memv1_fd, f, limit), 0);
	}
	if (mounts.v2_fd >= 0) {
		ck_assert_int_eq(mkdirat(mounts.v2_fd, path + 1, 0755), 0);
		if (mounts.layout == OG_CG_V2) {
			snprintf(f, sizeof(f), "%s/memory.max", path);
			ck_assert_int_eq(write_file(mounts.v2_fd, f, limit), 0);
		}
	}
}

static bool join_v1_only; /* spawn into the v1 memory group but not its cgroup2 twin */

/* Move the calling process into path in every hierarchy (v1 memory and cgroup2). */
static int join_group(const char *path)
{
	char f[256], pid[16];
	int r = 0;

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	snprintf(f, sizeof(f), "%s/cgroup.procs", path);
	if (mounts.memv1_fd >= 0)
		r = write_file(mounts.memv1_fd, f, pid);
	if (r == 0 && mounts.v2_fd >= 0 && !join_v1_only)
		r = write_file(mounts.v2_fd, f, pid);
	return r;
}

static void setup(void)
{
	ck_assert_int_eq(og_root_open(&root, "/"), 0);
	ck_assert_int_eq(src_cgroup_detect(&root, &mounts), 0);
	ck_assert_msg(mounts.layout != OG_CG_NONE, "no cgroup memory controller found");
	ck_assert_int_ge(mounts.v2_fd, 0);
	act_ctx_init(&ctx, &root, &mounts, false);
	log_set_journal(0);
	snprintf(cg, sizeof(cg), "/ogtest-act-%d-%d", (int)main_pid, (int)getpid());
	make_group(cg);
	/* Orphaned grandchildren (process-group tests) come back to us to be reaped. */
	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
}

static void teardown(void)
{
	destroy_group(mounts.memv1_fd, cg, 0);
	destroy_group(mounts.v2_fd, cg, 0);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	src_cgroup_mounts_close(&mounts);
	og_root_close(&root);
}

/* ------------------------------------------------------------------ children */

enum behave {
	B_SLEEP,
	B_TERM_EXITS, /* SIGTERM handler exits 0 */
	B_TERM_IGNORED, /* SIG_IGN, holds 64 MiB of touched memory */
	B_PGRP_LEADER, /* setpgid(0,0), forks two sleepers in its group */
};

static volatile sig_atomic_t got_term;

static void on_term(int sig)
{
	got_term = 1;
}

/* Fork a child into group path (NULL: stay where we are). Returns its pid once it is ready;
 * for B_PGRP_LEADER, ret_members gets the two group members' pids. */
static pid_t spawn(const char *path, enum behave b, pid_t ret_members[2])
{
	int p[2];
	pid_t pid, m[2] = {0, 0};

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		sigset_t none, old;

		/* check's forked test process has its own SIGTERM/SIGALRM handlers (they kill the
		 * test's process group): our victims must have the default dispositions. */
		signal(SIGTERM, SIG_DFL);
		signal(SIGALRM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		close(p[0]);
		if (path && join_group(path) < 0)
			_exit(99);
		if (b == B_TERM_EXITS) {
			struct sigaction sa = {.sa_handler = on_term};

			sigaction(SIGTERM, &sa, NULL);
		} else if (b == B_TERM_IGNORED) {
			size_t len = 64u << 20;
			char *mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			signal(SIGTERM, SIG_IGN);
			if (mem == MAP_FAILED)
				_exit(98);
			memset(mem, 0x5a, len);
		} else if (b == B_PGRP_LEADER) {
			setpgid(0, 0);
			for (int i = 0; i < 2; i++) {
				m[i] = fork();
				if (m[i] == 0) {
					for (;;)
						pause();
				}
			}
		}
		/* SIGTERM stays blocked except inside sigsuspend(): one arriving right after the
		 * readiness write cannot slip between the got_term check and the wait. */
		sigaddset(&none, SIGTERM);
		sigprocmask(SIG_BLOCK, &none, &old);
		if (write(p[1], m, sizeof(m)) != sizeof(m))
			_exit(97);
		close(p[1]);
		for (;;) {
			if (got_term)
				_exit(0);
			sigsuspend(&old);
		}
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], m, sizeof(m)), (ssize_t)sizeof(m));
	close(p[0]);
	if (ret_members) {
		ret_members[0] = m[0];
		ret_members[1] = m[1];
	}
	return pid;
}

static uint64_t starttime_of(pid_t pid)
{
	struct act_ident id;
	char path[32];

	snprintf(path, sizeof(path), "%d/stat", (int)pid);
	ck_assert_int_eq(act_ident_read(root.proc_fd, path, &id), 0);
	return id.starttime_ticks;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Reap our child; returns the signal that killed it, or 0x100 + exit status. */
static int reap(pid_t pid)
{
	int st;

	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return WIFSIGNALED(st) ? WTERMSIG(st) : 0x100 + WEXITSTATUS(st);
}

/* Still running (not a zombie, not gone)? For grandchildren we cannot waitpid at once. */
static bool alive(pid_t pid)
{
	struct act_ident id;
	char path[32];

	snprintf(path, sizeof(path), "%d/stat", (int)pid);
	return act_ident_read(root.proc_fd, path, &id) == 0 && id.state != 'Z';
}

static bool wait_gone(pid_t pid)
{
	uint64_t t0 = now_ms();

	while (alive(pid) && now_ms() - t0 < DEADLINE_MS)
		usleep(5000);
	return !alive(pid);
}

/*
 * Nothing was delivered to our child pid: it is back asleep in sigsuspend() (state S) with no
 * signal pending. A SIGTERM or SIGKILL queued by a call before this one (kill() queues at once)
 * would make it runnable and then end it, which this waits for and reports as false.
 */
static bool quiet(pid_t pid)
{
	char path[32], buf[2048];
	uint64_t t0 = now_ms();

	snprintf(path, sizeof(path), "%d/status", (int)pid);
	while (now_ms() - t0 < DEADLINE_MS) {
		const char *st, *pnd, *shd;

		if (og_read_at(root.proc_fd, path, buf, sizeof(buf)) < 0)
			return false;
		st = strstr(buf, "\nState:\t");
		pnd = strstr(buf, "\nSigPnd:\t");
		shd = strstr(buf, "\nShdPnd:\t");
		if (!st || !pnd || !shd || st[8] == 'Z' || st[8] == 'X')
			return false;
		if (st[8] == 'S' && strspn(pnd + 9, "0") == 16 && strspn(shd + 9, "0") == 16)
			return true;
		usleep(5000);
	}
	return false;
}

/* cgroup2 says our group is frozen (cgroup.events); false where there is no cgroup2 twin. */
static bool frozen(const char *path)
{
	char f[192], buf[256];

	snprintf(f, sizeof(f), "%s/cgroup.events", path + 1);
	if (mounts.v2_fd < 0 || og_read_at(mounts.v2_fd, f, buf, sizeof(buf)) <= 0)
		return false;
	return strstr(buf, "frozen 1") != NULL;
}

static bool wait_frozen(const char *path, bool want)
{
	uint64_t t0 = now_ms();

	while (frozen(path) != want && now_ms() - t0 < DEADLINE_MS)
		usleep(10000);
	return frozen(path) == want;
}

/* cgroup.populated of our group, polled until it is want (the last exit is asynchronous). */
static bool wait_populated(const struct act_ctx *c, int want)
{
	uint64_t t0 = now_ms();

	while (act_cgroup_populated(c, cg) != want && now_ms() - t0 < DEADLINE_MS)
		usleep(10000);
	return act_cgroup_populated(c, cg) == want;
}

/* ------------------------------------------------------------------ kill ladder */

/* SIGTERM to a victim that handles it: the pidfd says it exited, no SIGKILL was needed, and the
 * time the act layer measured is no more than the test's own clock saw. */
START_TEST(term_handler_exit_seen_without_kill)
{
	pid_t pid = spawn(cg, B_TERM_EXITS, NULL);
	struct act_victim v;
	struct pollfd pfd;
	uint64_t t0;

	ck_assert_int_eq(act_victim_open(&ctx, pid, starttime_of(pid), &v), 0);
	ck_assert_int_ge(act_victim_fd(&v), 0);
	ck_assert_int_eq(act_victim_wait(&ctx, &v, 0), 0);
	t0 = now_ms();
	ck_assert_int_eq(act_victim_term(&ctx, &v, NULL), 1);
	/* what the loop does: POLLIN on the pidfd means exited */
	pfd = (struct pollfd){.fd = act_victim_fd(&v), .events = POLLIN};
	ck_assert_int_eq(poll(&pfd, 1, DEADLINE_MS), 1);
	ck_assert_int_eq(act_victim_wait(&ctx, &v, 0), 1);
	ck_assert_uint_gt(act_victim_elapsed_usec(&v), 0);
	ck_assert_uint_le(act_victim_elapsed_usec(&v), (now_ms() - t0 + 1) * 1000);
	ck_assert(!(v.sent & ACT_SENT_KILL));
	ck_assert_int_eq(reap(pid), 0x100); /* exit(0) from its handler, not killed */
	act_victim_report(&ctx, &v, 1000, 0);
	act_victim_close(&ctx, &v);
}
END_TEST

START_TEST(term_ignored_needs_kill_and_mrelease)
{
	pid_t pid = spawn(cg, B_TERM_IGNORED, NULL);
	struct act_victim v;

	ck_assert_int_eq(act_victim_open(&ctx, pid, starttime_of(pid), &v), 0);
	ck_assert_int_eq(act_victim_term(&ctx, &v, NULL), 1);
	ck_assert_int_eq(act_victim_wait(&ctx, &v, 300), 0); /* ignored: still there */
	ck_assert(alive(pid));
	ck_assert_int_eq(act_victim_term(&ctx, &v, NULL), -EALREADY);
	ck_assert_int_eq(act_victim_kill(&ctx, &v, NULL), 1);
	/* 0: released at once; ESRCH: already gone; never EINVAL right after SIGKILL */
	ck_assert_msg(v.mrelease_r == 0 || v.mrelease_r == -ESRCH || v.mrelease_r == -EAGAIN,
		      "process_mrelease gave %d", v.mrelease_r);
	ck_assert_int_eq(act_victim_wait(&ctx, &v, DEADLINE_MS), 1);
	ck_assert_int_eq(act_victim_kill(&ctx, &v, NULL), -EALREADY);
	ck_assert_int_eq(reap(pid), SIGKILL);
	act_victim_close(&ctx, &v);
}
END_TEST

START_TEST(mrelease_after_term_is_never_tried)
{
	pid_t pid = spawn(cg, B_TERM_IGNORED, NULL);
	struct act_victim v;

	ck_assert_int_eq(act_victim_open(&ctx, pid, starttime_of(pid), &v), 0);
	ck_assert_int_eq(act_victim_term(&ctx, &v, NULL), 1);
	ck_assert_int_eq(v.mrelease_r, 1); /* not called after SIGTERM */
	/* Why: the kernel rejects it for a process that is not dying (mm/oom_kill.c). */
	errno = 0;
	ck_assert_int_eq(syscall(SYS_process_mrelease, act_victim_fd(&v), 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(act_victim_kill(&ctx, &v, NULL), 1);
	ck_assert_int_ne(v.mrelease_r, -EINVAL); /* after SIGKILL it is accepted */
	ck_assert_int_eq(reap(pid), SIGKILL);
	act_victim_close(&ctx, &v);
}
END_TEST

START_TEST(pid_reuse_wrong_starttime_signals_nothing)
{
	pid_t pid = spawn(cg, B_TERM_EXITS, NULL);
	uint64_t start = starttime_of(pid);
	struct act_victim v = {.pid = -1};

	ck_assert_int_eq(act_victim_open(&ctx, pid, start + 1, &v), -ESRCH);
	ck_assert_int_eq(v.pid, -1);
	ck_assert(quiet(pid)); /* nothing was delivered */
	ck_assert_int_eq(waitpid(pid, NULL, WNOHANG), 0);
	/* a pid that does not exist at all */
	ck_assert_int_eq(act_victim_open(&ctx, 4194303, 5, &v), -ESRCH);
	/* the right identity works */
	ck_assert_int_eq(act_victim_open(&ctx, pid, start, &v), 0);
	ck_assert_int_eq(act_victim_kill(&ctx, &v, NULL), 1);
	ck_assert_int_eq(reap(pid), SIGKILL);
	/* after the reap the held victim is gone: ESRCH, not a signal to someone else */
	ck_assert_int_eq(act_victim_wait(&ctx, &v, 0), 1);
	act_victim_close(&ctx, &v);
}
END_TEST

static void spawn_three(pid_t pids[3], const char *where)
{
	for (int i = 0; i < 3; i++)
		pids[i] = spawn(where, B_SLEEP, NULL);
}

START_TEST(cgroup_kill_via_cgroup2_twin)
{
	struct og_cg_mounts m = mounts;
	struct act_ctx c = ctx;
	pid_t pids[3];

	spawn_three(pids, cg);
	/* Only the cgroup2 side: this is cgroup.kill alone, as on a pure cgroup2 host. */
	m.layout = OG_CG_V2;
	m.memv1_fd = -1;
	c.mounts = &m;
	ck_assert_int_eq(act_cgroup_populated(&c, cg), 1);
	ck_assert_int_eq(act_kill_cgroup(&c, cg, NULL), 1);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(reap(pids[i]), SIGKILL);
	ck_assert(wait_populated(&c, 0));
}
END_TEST

START_TEST(cgroup_kill_hybrid_layout)
{
	pid_t pids[3];

	spawn_three(pids, cg);
	ck_assert_int_eq(act_kill_cgroup(&ctx, cg, NULL), 1);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(reap(pids[i]), SIGKILL);
	ck_assert_int_eq(act_cgroup_populated(&ctx, cg), 0);
}
END_TEST

START_TEST(cgroup_kill_hybrid_reaches_v1_only_task)
{
	pid_t pids[3];

	if (mounts.layout != OG_CG_V1)
		ck_abort_msg("not a hybrid host");
	pids[0] = spawn(cg, B_SLEEP, NULL);
	pids[1] = spawn(cg, B_SLEEP, NULL);
	join_v1_only = true; /* in the memory group, not in the cgroup2 twin */
	pids[2] = spawn(cg, B_SLEEP, NULL);
	join_v1_only = false;
	ck_assert_int_eq(act_kill_cgroup(&ctx, cg, NULL), 1);
	ck_assert_int_eq(reap(pids[0]), SIGKILL);
	ck_assert_int_eq(reap(pids[1]), SIGKILL);
	ck_assert_int_eq(reap(pids[2]), SIGKILL); /* only the pidfd walk could reach it */
	ck_assert_int_eq(act_cgroup_populated(&ctx, cg), 0);
}
END_TEST

START_TEST(cgroup_kill_v1_tasks_without_twin)
{
	struct og_cg_mounts m = mounts;
	struct act_ctx c = ctx;
	char sub[192];
	pid_t pids[3];

	if (mounts.memv1_fd < 0)
		ck_abort_msg("no v1 memory hierarchy on this host");
	/* one of the three in a nested group: the walk must go down */
	snprintf(sub, sizeof(sub), "%s/nested", cg);
	make_group(sub);
	pids[0] = spawn(cg, B_SLEEP, NULL);
	pids[1] = spawn(cg, B_SLEEP, NULL);
	pids[2] = spawn(sub, B_SLEEP, NULL);
	m.v2_fd = -1; /* no cgroup2 twin: every task by pidfd */
	c.mounts = &m;
	ck_assert_int_eq(act_cgroup_populated(&c, cg), 1);
	ck_assert_int_eq(act_kill_cgroup(&c, cg, NULL), 1);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(reap(pids[i]), SIGKILL);
	ck_assert_int_eq(act_cgroup_populated(&c, cg), 0);
}
END_TEST

static pid_t protected_pid;

static bool prot_pid(void *ud, pid_t pid, uint64_t start, const char *comm)
{
	return pid == protected_pid;
}

START_TEST(cgroup_group_kill_spares_protected)
{
	struct act_group *g = calloc(1, sizeof(*g));
	pid_t pids[3];

	spawn_three(pids, cg);
	protected_pid = pids[1];
	ck_assert_int_eq(act_group_open_cgroup(&ctx, cg, prot_pid, NULL, g), 2);
	ck_assert_uint_eq(g->skipped, 1);
	ck_assert_int_eq(act_group_kill(&ctx, g, NULL), 2);
	ck_assert_int_eq(reap(pids[0]), SIGKILL);
	ck_assert_int_eq(reap(pids[2]), SIGKILL);
	ck_assert_int_eq(act_group_alive(&ctx, g), 0);
	ck_assert(quiet(pids[1])); /* protected: never signalled */
	ck_assert(!frozen(cg)); /* and thawed again */
	ck_assert_int_eq(waitpid(pids[1], NULL, WNOHANG), 0);
	act_group_close(&ctx, g);
	free(g);
}
END_TEST

START_TEST(process_group_term_spares_sibling)
{
	struct act_group *g = calloc(1, sizeof(*g));
	pid_t members[2], leader, sibling;

	leader = spawn(cg, B_PGRP_LEADER, members);
	sibling = spawn(cg, B_SLEEP, NULL); /* same cgroup, other process group */
	ck_assert_int_gt(members[0], 0);
	ck_assert_int_gt(members[1], 0);
	ck_assert_int_eq(act_group_open_pgid(&ctx, leader, NULL, NULL, g), 3);
	ck_assert_int_eq(act_group_term(&ctx, g, NULL), 3); /* the sleepers die of SIGTERM */
	ck_assert_int_eq(act_group_term(&ctx, g, NULL), 0); /* never twice */
	for (uint64_t t0 = now_ms(); act_group_alive(&ctx, g) > 0 && now_ms() - t0 < DEADLINE_MS;)
		usleep(10000);
	ck_assert_int_eq(act_group_alive(&ctx, g), 0);
	/* all gone: the rescan finds only zombies and the held members are known dead */
	ck_assert_int_eq(act_group_kill(&ctx, g, NULL), 0);
	ck_assert_int_eq(reap(leader), SIGTERM);
	ck_assert(wait_gone(members[0]));
	ck_assert(wait_gone(members[1]));
	ck_assert(alive(sibling));
	ck_assert_int_eq(waitpid(sibling, NULL, WNOHANG), 0);
	act_group_close(&ctx, g);
	free(g);
}
END_TEST

START_TEST(process_group_kill_spares_sibling)
{
	struct act_group *g = calloc(1, sizeof(*g));
	pid_t members[2], leader, sibling;

	sibling = spawn(cg, B_SLEEP, NULL);
	leader = spawn(cg, B_PGRP_LEADER, members);
	ck_assert_int_eq(act_group_open_pgid(&ctx, leader, NULL, NULL, g), 3);
	ck_assert_int_eq(act_group_kill(&ctx, g, NULL), 3);
	ck_assert_int_eq(act_group_kill(&ctx, g, NULL), 0);
	ck_assert_int_eq(reap(leader), SIGKILL);
	ck_assert(wait_gone(members[0]));
	ck_assert(wait_gone(members[1]));
	ck_assert(alive(sibling));
	ck_assert_int_eq(waitpid(sibling, NULL, WNOHANG), 0);
	/* a group with no members left */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	act_group_close(&ctx, g);
	ck_assert_int_eq(act_group_open_pgid(&ctx, leader, NULL, NULL, g), -ESRCH);
	free(g);
}
END_TEST

START_TEST(dry_run_signals_nothing)
{
	pid_t pid = spawn(cg, B_SLEEP, NULL);
	struct act_victim v;
	struct act_ctx c = ctx;

	c.dry_run = true;
	ck_assert_int_eq(act_victim_open(&c, pid, starttime_of(pid), &v), 0);
	ck_assert_int_eq(act_victim_term(&c, &v, NULL), 1);
	ck_assert_int_eq(act_victim_kill(&c, &v, NULL), 1);
	ck_assert_int_eq(act_kill_cgroup(&c, cg, NULL), 1);
	ck_assert_int_eq(act_freeze_cgroup(&c, cg, true, NULL), 1);
	ck_assert(quiet(pid));
	ck_assert(!frozen(cg));
	ck_assert_int_eq(act_victim_wait(&c, &v, 0), 0);
	ck_assert_int_eq(act_cgroup_populated(&ctx, cg), 1);
	act_victim_close(&c, &v);
	kill(pid, SIGKILL);
	ck_assert_int_eq(reap(pid), SIGKILL);
}
END_TEST

/* ------------------------------------------------------------------ protection */

START_TEST(protect_raise_works_lowering_refused_once)
{
	static struct act_seen denied;
	pid_t pid = spawn(cg, B_SLEEP, NULL);
	uint64_t start = starttime_of(pid);
	struct act_ctx c = ctx;
	int v;

	c.denied = &denied;
	ck_assert_int_eq(act_set_oom_score_adj(&c, pid, start, 500, NULL), 1);
	ck_assert_int_eq(act_get_oom_score_adj(&c, pid, &v), 0);
	ck_assert_int_eq(v, 500);
	ck_assert_int_eq(act_set_oom_score_adj(&c, pid, start, 500, NULL), 0); /* already */
	ck_assert_int_eq(act_set_oom_score_adj(&c, pid, start + 1, 600, NULL), -ESRCH);
	ck_assert_int_eq(act_get_oom_score_adj(&c, pid, &v), 0);
	ck_assert_int_eq(v, 500);
	/* This machine: root without CAP_SYS_RESOURCE, so below 0 is refused. */
	ck_assert_int_eq(act_set_oom_score_adj(&c, pid, start, -100, NULL), -EACCES);
	ck_assert(act_seen_has(&denied, pid, start));
	ck_assert_int_eq(act_set_oom_score_adj(&c, pid, start, -100, NULL), -EACCES);
	ck_assert_uint_eq(denied.n, 1); /* reported (remembered) once */
	ck_assert_int_eq(act_get_oom_score_adj(&c, pid, &v), 0);
	ck_assert_int_eq(v, 500);
	kill(pid, SIGKILL);
	ck_assert_int_eq(reap(pid), SIGKILL);
	ck_assert_int_eq(act_set_oom_score_adj(&c, pid, start, 500, NULL), -ESRCH); /* gone */
}
END_TEST

struct exec_seen {
	pid_t want;
	bool exec, exit;
};

static void on_event(void *ud, enum pe_kind kind, pid_t pid, pid_t parent)
{
	struct exec_seen *s = ud;

	(void)parent;
	if (pid == s->want && kind == PE_EXEC)
		s->exec = true;
	if (pid == s->want && kind == PE_EXIT)
		s->exit = true;
}

/* Fork a child into the test group that execs argv[0] (a path); its pid. */
static pid_t exec_in_group(const char *const argv[])
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		if (join_group(cg) < 0)
			_exit(99);
		execv(argv[0], (char *const *)argv);
		_exit(98);
	}
	return pid;
}

/* With EXIT subscribed: a child's exec and exit both arrive (how long they take is not a test). */
START_TEST(proc_connector_sees_exec_and_exit)
{
	struct proc_events pe;
	struct exec_seen s = {0};
	uint64_t t0;
	int st = -1, r = proc_events_open_kinds(&pe, PE_WANT_DEFAULT | PE_WANT(PE_EXIT));

	ck_assert_msg(r == 0, "proc connector unavailable: %s", strerror(-r));
	ck_assert_int_ge(proc_events_fd(&pe), 0);
	t0 = now_ms();
	s.want = exec_in_group((const char *[]){"/bin/sleep", "0.2", NULL});
	/* Drain while waiting (other processes on the machine make events too). */
	while (!(s.exec && s.exit && st >= 0) && now_ms() - t0 < DEADLINE_MS) {
		struct pollfd p = {.fd = proc_events_fd(&pe), .events = POLLIN};

		if (poll(&p, 1, 50) > 0)
			ck_assert_int_ge(proc_events_read(&pe, on_event, &s), 0);
		if (st < 0 && waitpid(s.want, &st, WNOHANG) == 0)
			st = -1;
	}
	ck_assert_msg(s.exec, "no EXEC event for pid %d", (int)s.want);
	ck_assert_msg(s.exit, "no EXIT event for pid %d", (int)s.want);
	ck_assert_int_ge(st, 0);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* drain what the rest of the machine queued meanwhile, then it must be empty */
	for (int i = 0; i < 100 && proc_events_read(&pe, on_event, &s) > 0; i++)
		;
	ck_assert_int_ge(proc_events_read(&pe, on_event, &s), 0); /* non-blocking */
	proc_events_close(&pe);
	ck_assert_int_eq(proc_events_fd(&pe), -1);
	proc_events_close(&pe);
	ck_assert_int_eq(proc_events_read(&pe, on_event, &s), -EBADF);
}
END_TEST

struct fork_seen {
	pid_t want, parent;
	bool fork, uid;
};

static void on_fork_event(void *ud, enum pe_kind kind, pid_t pid, pid_t parent)
{
	struct fork_seen *s = ud;

	if (pid == s->want && kind == PE_FORK) {
		s->fork = true;
		s->parent = parent;
	}
	if (pid == s->want && kind == PE_UID)
		s->uid = true;
}

/* A fork names the forking process (the loop reads the child as its copy), and a setuid() in
 * the child arrives as PE_UID (User= may match it now: it is read whole again). */
START_TEST(proc_connector_fork_names_its_parent_uid_seen)
{
	struct proc_events pe;
	struct fork_seen s = {0};
	uint64_t t0;
	int st = -1, r = proc_events_open_kinds(&pe, PE_WANT(PE_FORK) | PE_WANT(PE_UID));

	ck_assert_msg(r == 0, "proc connector unavailable: %s", strerror(-r));
	s.want = fork();
	ck_assert_int_ge(s.want, 0);
	if (s.want == 0)
		_exit(setuid(65534) == 0 ? 0 : 97);
	ck_assert_int_eq(waitpid(s.want, &st, 0), s.want);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* both were queued before the exit that waitpid() saw; other processes' events too */
	t0 = now_ms();
	while (!(s.fork && s.uid) && now_ms() - t0 < DEADLINE_MS) {
		struct pollfd p = {.fd = proc_events_fd(&pe), .events = POLLIN};

		if (poll(&p, 1, 50) > 0)
			ck_assert_int_ge(proc_events_read(&pe, on_fork_event, &s), 0);
	}
	ck_assert_msg(s.fork, "no FORK event for pid %d", (int)s.want);
	ck_assert_int_eq(s.parent, getpid());
	ck_assert_msg(s.uid, "no UID event for pid %d", (int)s.want);
	proc_events_close(&pe);
}
END_TEST

struct two_seen {
	struct exec_seen *a, *b;
};

static void on_event2(void *ud, enum pe_kind kind, pid_t pid, pid_t parent)
{
	struct two_seen *t = ud;

	on_event(t->a, kind, pid, parent);
	if (t->b)
		on_event(t->b, kind, pid, parent);
}

/*
 * A barrier on the event socket: a child execs /bin/true and the socket is drained until its
 * EXEC arrives. The socket is a FIFO and the kernel queues each event as it happens (an exit's
 * before the parent's waitpid() returns), so everything caused before the barrier has been
 * read once it returns, however slow the machine. Events of also->want are recorded meanwhile.
 */
static void barrier(struct proc_events *pe, struct exec_seen *also)
{
	struct exec_seen b = {0};
	struct two_seen t = {&b, also};
	uint64_t t0 = now_ms();
	int st;

	b.want = exec_in_group((const char *[]){"/bin/true", NULL});
	while (!b.exec && now_ms() - t0 < DEADLINE_MS) {
		struct pollfd p = {.fd = proc_events_fd(pe), .events = POLLIN};

		if (poll(&p, 1, 20) > 0)
			ck_assert_int_ge(proc_events_read(pe, on_event2, &t), 0);
	}
	ck_assert_msg(b.exec, "no EXEC event for the barrier pid %d", (int)b.want);
	ck_assert_int_eq(waitpid(b.want, &st, 0), b.want);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/*
 * The default subscription (what the loop uses) is filtered in the kernel: the socket filter is
 * attached, an exec is still seen, but forks without exec, their exits and thread events never
 * reach userspace. 50 children that fork and exit without exec would be
 * >= 100 datagrams (FORK + EXIT each) that userspace reads and ignores; filtered, whatever
 * comes (the machine's own execs) is wanted: not one datagram is ignored.
 */
START_TEST(proc_connector_filter_drops_forks_and_exits)
{
	struct proc_events pe;
	struct exec_seen s = {0};
	unsigned long before;
	socklen_t flen = 0;
	int st, r = proc_events_open(&pe);

	ck_assert_msg(r == 0, "proc connector unavailable: %s", strerror(-r));
	ck_assert_msg(pe.filtered, "socket filter not attached");
	ck_assert_int_eq(pe.kinds, PE_WANT_DEFAULT);
	/* SO_GET_FILTER with a zero length answers the program's length in instructions */
	ck_assert_int_eq(getsockopt(proc_events_fd(&pe), SOL_SOCKET, SO_GET_FILTER, NULL, &flen),
			 0);
	ck_assert_int_ge(flen, 10);

	before = pe.received;
	for (int i = 0; i < 50; i++) {
		pid_t c = fork();

		ck_assert_int_ge(c, 0);
		if (c == 0)
			_exit(0); /* fork, exit: no exec */
		ck_assert_int_eq(waitpid(c, &st, 0), c);
	}
	barrier(&pe, NULL); /* whatever the 50 caused has been read (an exec still comes) */
	ck_assert_msg(pe.ignored == 0, "%lu of %lu datagrams unwanted after 50 fork+exit",
		      pe.ignored, pe.received - before);
	ck_assert_uint_gt(pe.received, before); /* the barrier's EXEC at least */

	/* a child's EXIT is not subscribed: it never comes before the next barrier's EXEC */
	s.want = exec_in_group((const char *[]){"/bin/true", NULL});
	ck_assert_int_eq(waitpid(s.want, &st, 0), s.want);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	barrier(&pe, &s);
	ck_assert_msg(s.exec, "no EXEC event for pid %d", (int)s.want);
	ck_assert_msg(!s.exit, "EXIT delivered without being asked for");
	proc_events_close(&pe);
}
END_TEST

struct pe_count {
	pid_t want;
	int n;
	enum pe_kind kind;
};

static void count_event(void *ud, enum pe_kind kind, pid_t pid, pid_t parent)
{
	struct pe_count *c = ud;

	(void)parent;
	if (pid == c->want) {
		c->n++;
		c->kind = kind;
	}
}

/*
 * An exec then three renames (a daemon naming itself), all queued before one drain: one
 * callback for the pid, as PE_EXEC, so the loop matches the process once per burst.
 */
START_TEST(proc_connector_one_callback_per_pid_per_burst)
{
	struct proc_events pe;
	struct pe_count cnt = {0};
	int st, r = proc_events_open(&pe);

	ck_assert_msg(r == 0, "proc connector unavailable: %s", strerror(-r));
	barrier(&pe, NULL); /* the queue holds nothing older */
	cnt.want =
		exec_in_group((const char *[]){"/bin/sh", "-c",
					       "echo a >/proc/$$/comm && echo b >/proc/$$/comm && "
					       "echo c >/proc/$$/comm",
					       NULL});
	ck_assert_int_eq(waitpid(cnt.want, &st, 0), cnt.want);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* no wait needed: the renames' events are queued in the writes, the exec's in execve(),
	 * all before the exit that waitpid() saw */
	ck_assert_int_ge(proc_events_read(&pe, count_event, &cnt), 1); /* one drain */
	ck_assert_int_eq(cnt.n, 1);
	ck_assert_int_eq(cnt.kind, PE_EXEC);
	proc_events_close(&pe);
}
END_TEST

struct pe_many {
	pid_t pids[300];
	int n, seen;
};

static void many_event(void *ud, enum pe_kind kind, pid_t pid, pid_t parent)
{
	struct pe_many *m = ud;

	(void)parent;
	for (int i = 0; kind == PE_EXEC && i < m->n; i++)
		if (m->pids[i] == pid) {
			m->pids[i] = 0;
			m->seen++;
		}
}

/*
 * More queued than one drain takes (512): the read stops there and says so (pe->more), and
 * reading again gets the rest. The loop reads again while it is set (its source rests 250 ms
 * between dispatches: 512 a rest overflowed at 900 starts a second).
 */
START_TEST(proc_connector_says_more_past_one_drain)
{
	struct proc_events pe;
	struct pe_many m = {.n = 300};
	int st, rounds = 0,
		r = proc_events_open_kinds(&pe,
					   PE_WANT_DEFAULT | PE_WANT(PE_EXIT) | PE_WANT(PE_FORK));

	ck_assert_msg(r == 0, "proc connector unavailable: %s", strerror(-r));
	barrier(&pe, NULL); /* the queue holds nothing older */
	for (int i = 0; i < m.n; i++)
		m.pids[i] = exec_in_group((const char *[]){"/bin/true", NULL});
	for (int i = 0; i < m.n; i++) { /* fork, exec, exit each: >= 900 datagrams queued */
		ck_assert_int_eq(waitpid(m.pids[i], &st, 0), m.pids[i]);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	ck_assert_int_ge(proc_events_read(&pe, many_event, &m), 0);
	ck_assert_msg(pe.more, "one drain read everything of >= 900 datagrams");
	ck_assert_int_lt(m.seen, m.n);
	while (pe.more && rounds++ < 100)
		ck_assert_int_ge(proc_events_read(&pe, many_event, &m), 0);
	ck_assert(!pe.more);
	ck_assert_int_eq(m.seen, m.n);
	proc_events_close(&pe);
}
END_TEST

/* ------------------------------------------------------------------ memory actions */

START_TEST(migrate_same_node_call_path)
{
	/* One NUMA node here: from == to exercises libnuma and migrate_pages(2) for real; a real
	 * move between nodes needs a 2-node host (argument building is in check_act). */
	pid_t pid = spawn(cg, B_TERM_IGNORED, NULL);

	if (numa_available() < 0)
		ck_abort_msg("libnuma: no NUMA support");
	ck_assert_int_eq(act_migrate_pages(&ctx, pid, starttime_of(pid), 0, 0, NULL), 1);
	ck_assert_int_eq(act_migrate_pages(&ctx, pid, starttime_of(pid) + 1, 0, 0, NULL), -ESRCH);
	if (numa_max_node() == 0)
		ck_assert_int_eq(act_migrate_pages(&ctx, pid, starttime_of(pid), 0, 1, NULL),
				 -EINVAL); /* node 1 is not online */
	kill(pid, SIGKILL);
	ck_assert_int_eq(reap(pid), SIGKILL);
}
END_TEST

START_TEST(freeze_and_thaw_cgroup2)
{
	pid_t pid = spawn(cg, B_SLEEP, NULL);

	ck_assert_int_ge(mounts.v2_fd, 0);
	ck_assert_int_eq(act_freeze_cgroup(&ctx, cg, true, NULL), 1);
	ck_assert(wait_frozen(cg, true)); /* every task stopped: asynchronous */
	ck_assert_int_eq(act_freeze_cgroup(&ctx, cg, false, NULL), 1);
	ck_assert(wait_frozen(cg, false));
	ck_assert_int_eq(act_freeze_cgroup(&ctx, "/ogtest-act-does-not-exist", true, NULL), 0);
	kill(pid, SIGKILL);
	ck_assert_int_eq(reap(pid), SIGKILL);
}
END_TEST

START_TEST(throttle_usage_and_reclaim_by_layout)
{
	pid_t pid = spawn(cg, B_TERM_IGNORED, NULL); /* 64 MiB charged to the group */
	uint64_t usage = 0, avail = 0;
	char path[192], buf[64];

	ck_assert_int_eq(act_read_mem_available(&ctx, &avail), 0);
	ck_assert_uint_gt(avail, 0);
	ck_assert_int_eq(act_throttle_cgroup(&ctx, cg, 128ull << 20, NULL), 1);
	if (mounts.layout == OG_CG_V1) {
		ck_assert_int_eq(act_read_cgroup_usage(&ctx, cg, &usage), 0);
		ck_assert_uint_ge(usage, 64ull << 20);
		ck_assert_uint_le(usage, LIMIT_BYTES);
		snprintf(path, sizeof(path), "%s/memory.soft_limit_in_bytes", cg + 1);
		ck_assert_int_gt(og_read_at(mounts.memv1_fd, path, buf, sizeof(buf)), 0);
		ck_assert_str_eq(buf, "134217728\n");
		ck_assert_int_eq(act_reclaim_cgroup(&ctx, cg, 1 << 20, NULL), -EOPNOTSUPP);
	} else {
		snprintf(path, sizeof(path), "%s/memory.high", cg + 1);
		ck_assert_int_gt(og_read_at(mounts.v2_fd, path, buf, sizeof(buf)), 0);
		ck_assert_str_eq(buf, "134217728\n");
		ck_assert_int_eq(act_reclaim_cgroup(&ctx, cg, 1 << 20, NULL), 1);
	}
	ck_assert_int_eq(act_throttle_cgroup(&ctx, cg, OG_UNLIMITED, NULL), 1);
	kill(pid, SIGKILL);
	ck_assert_int_eq(reap(pid), SIGKILL);
}
END_TEST

static Suite *act_live_suite(void)
{
	Suite *s = suite_create("act_live");
	TCase *k = tcase_create("kill"), *p = tcase_create("protect"), *m = tcase_create("mem");

	tcase_add_checked_fixture(k, setup, teardown);
	tcase_set_timeout(k, 120);
	tcase_add_test(k, term_handler_exit_seen_without_kill);
	tcase_add_test(k, term_ignored_needs_kill_and_mrelease);
	tcase_add_test(k, mrelease_after_term_is_never_tried);
	tcase_add_test(k, pid_reuse_wrong_starttime_signals_nothing);
	tcase_add_test(k, cgroup_kill_via_cgroup2_twin);
	tcase_add_test(k, cgroup_kill_hybrid_layout);
	tcase_add_test(k, cgroup_kill_hybrid_reaches_v1_only_task);
	tcase_add_test(k, cgroup_kill_v1_tasks_without_twin);
	tcase_add_test(k, cgroup_group_kill_spares_protected);
	tcase_add_test(k, process_group_term_spares_sibling);
	tcase_add_test(k, process_group_kill_spares_sibling);
	tcase_add_test(k, dry_run_signals_nothing);
	suite_add_tcase(s, k);

	tcase_add_checked_fixture(p, setup, teardown);
	tcase_set_timeout(p, 120);
	tcase_add_test(p, protect_raise_works_lowering_refused_once);
	tcase_add_test(p, proc_connector_sees_exec_and_exit);
	tcase_add_test(p, proc_connector_fork_names_its_parent_uid_seen);
	tcase_add_test(p, proc_connector_filter_drops_forks_and_exits);
	tcase_add_test(p, proc_connector_one_callback_per_pid_per_burst);
	tcase_add_test(p, proc_connector_says_more_past_one_drain);
	suite_add_tcase(s, p);

	tcase_add_checked_fixture(m, setup, teardown);
	tcase_set_timeout(m, 120);
	tcase_add_test(m, migrate_same_node_call_path);
	tcase_add_test(m, freeze_and_thaw_cgroup2);
	tcase_add_test(m, throttle_usage_and_reclaim_by_layout);
	suite_add_tcase(s, m);
	return s;
}

/* Remove every ogtest-act-<main_pid>-* a failed or timed-out test left behind. */
static void sweep(void)
{
	char prefix[64];
	struct og_root r;
	struct og_cg_mounts mm;
	int fds[2];

	if (og_root_open(&r, "/") < 0)
		return;
	if (src_cgroup_detect(&r, &mm) < 0) {
		og_root_close(&r);
		return;
	}
	snprintf(prefix, sizeof(prefix), "ogtest-act-%d-", (int)main_pid);
	fds[0] = mm.memv1_fd;
	fds[1] = mm.v2_fd;
	for (int i = 0; i < 2; i++) {
		int fd = fds[i] >= 0 ? openat(fds[i], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
		DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
		struct dirent *de;

		while (d && (de = readdir(d))) {
			char path[300];

			if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
				continue;
			snprintf(path, sizeof(path), "/%s", de->d_name);
			destroy_group(fds[i], path, 0);
		}
		if (d)
			closedir(d);
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	src_cgroup_mounts_close(&mm);
	og_root_close(&r);
}

int main(void)
{
	SRunner *sr;
	int failed;

	if (geteuid() != 0) {
		fprintf(stderr, "check_act_live: needs root (real cgroups and signals)\n");
		return 77;
	}
	main_pid = getpid();
	/* Children of a timed-out test are orphaned: they come to us, the sweep reaps them. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sr = srunner_create(act_live_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	sweep();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
