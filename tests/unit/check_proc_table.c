/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The incremental process table (guardian/sources/proc_table.c) on a throw-away proc/ tree:
 * fork/exec/exit events, lost events healed by a rescan, pid reuse (same pid, new starttime),
 * comm and cgroup changes, growth past the initial size, a table that cannot grow, interning,
 * and a forked child read as a copy of its parent (and read whole when it is no plain copy).
 */
#include <check.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "guardian/base/root.h"
#include "guardian/sources/proc_events.h"
#include "guardian/sources/proc_table.h"
#include "guardian/sources/src_proc.h"
#include "og_check.h"
#include "proc_fixture.h"

static char dir[OG_TMPROOT_MAX];
static struct og_root root;
static struct proc_table t;

/* A user process pid in dir/proc (proc_fixture.h), 1200 KiB anon by statm. */
static void put_proc(int pid, const char *comm, unsigned long long start, const char *cg)
{
	og_put_proc(dir, pid, comm, start, cg, 300, 0);
}

static void drop_proc(int pid)
{
	char path[OG_TMPROOT_MAX + 32];

	snprintf(path, sizeof(path), "%s/proc/%d", dir, pid);
	og_tmproot_remove(path);
}

static void setup(void)
{
	og_tmproot_create(dir);
	ck_assert_int_eq(og_root_open(&root, dir), 0);
	ck_assert_int_eq(proc_table_init(&t, 4, 1 << 20), 0);
}

static void teardown(void)
{
	proc_table_free(&t);
	og_root_close(&root);
	og_tmproot_remove(dir);
}

static void rescan_all(bool deep)
{
	int r;

	while ((r = proc_table_rescan_step(&t, &root, deep, 2, NULL, NULL)) > 0)
		;
	ck_assert_int_eq(r, 0);
	proc_table_refresh(&t, &root, SIZE_MAX, 0, NULL, NULL); /* what the rescan noted */
}

START_TEST(fork_exec_exit_events)
{
	struct pt_proc *e;

	put_proc(100, "shell", 5000, "/user.slice/a.service");
	/* fork: known by pid only, stale until read */
	ck_assert_int_eq(proc_table_note(&t, 100), 0);
	e = proc_table_get(&t, 100);
	ck_assert_ptr_nonnull(e);
	ck_assert(e->flags & PT_STALE);
	ck_assert_uint_eq(t.nstale, 1);
	ck_assert_uint_eq(proc_table_refresh(&t, &root, 16, 0, NULL, NULL), 0);
	e = proc_table_get(&t, 100);
	ck_assert(!(e->flags & PT_STALE));
	ck_assert_str_eq(pt_str(e->comm), "shell");
	ck_assert_str_eq(pt_str(e->cgroup), "/user.slice/a.service");
	ck_assert_str_eq(pt_str(e->unit), "a.service");
	ck_assert_uint_eq(e->starttime_ticks, 5000);
	ck_assert_uint_eq(e->swap_kib, 8);
	/* exec: same pid, a new program */
	put_proc(100, "worker", 5000, "/user.slice/a.service");
	ck_assert_int_eq(proc_table_note(&t, 100), 0);
	proc_table_refresh(&t, &root, 16, 0, NULL, NULL);
	ck_assert_str_eq(pt_str(proc_table_get(&t, 100)->comm), "worker");
	/* exit */
	proc_table_remove(&t, 100);
	ck_assert_ptr_null(proc_table_get(&t, 100));
	ck_assert_uint_eq(t.n, 0);
	/* a stale pid that is gone by the time it is read is dropped, not kept */
	ck_assert_int_eq(proc_table_note(&t, 4242), 0);
	proc_table_refresh(&t, &root, 16, 0, NULL, NULL);
	ck_assert_ptr_null(proc_table_get(&t, 4242));
}
END_TEST

/* The table keeps no oom_score (proc_table_to_proc() gives 0): a load does not read it, so an
 * unusable one costs the process nothing there, while a whole read still fails on it. */
START_TEST(load_reads_no_oom_score)
{
	struct og_proc p;
	struct pt_proc *e;

	put_proc(100, "shell", 5000, "/user.slice/a.service");
	og_tmproot_put(dir, "proc/100/oom_score", "not a number\n");
	ck_assert_int_lt(src_read_proc(&root, 100, &p), 0);
	e = proc_table_load(&t, &root, 100, NULL);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(pt_str(e->comm), "shell");
	ck_assert_int_eq(src_read_proc_opt(&root, 100, SRC_PROC_NO_OOM_SCORE, &p), 0);
	ck_assert_int_eq(p.oom_score, 0);
	og_tmproot_put(dir, "proc/100/oom_score", "10\n");
	ck_assert_int_eq(src_read_proc(&root, 100, &p), 0);
	ck_assert_int_eq(p.oom_score, 10);
}
END_TEST

START_TEST(short_lived_never_read)
{
	put_proc(200, "long", 9, "/x");
	t.clock_ms = 1000;
	ck_assert_int_eq(proc_table_note(&t, 200), 0);
	ck_assert_int_eq(proc_table_note(&t, 201), 0);
	t.clock_ms = 1500;
	/* younger than a second: not read yet */
	ck_assert_uint_eq(proc_table_refresh(&t, &root, 16, 1000, NULL, NULL), 0);
	ck_assert_uint_eq(t.nstale, 2);
	proc_table_remove(&t, 201); /* exited meanwhile: never cost a read */
	t.clock_ms = 2100;
	ck_assert_uint_eq(proc_table_refresh(&t, &root, 16, 1000, NULL, NULL), 0);
	ck_assert_uint_eq(t.nstale, 0);
	ck_assert_str_eq(pt_str(proc_table_get(&t, 200)->comm), "long");
	ck_assert_ptr_null(proc_table_get(&t, 201));
}
END_TEST

START_TEST(lost_events_healed_by_rescan)
{
	put_proc(10, "a", 100, "/x");
	put_proc(11, "b", 101, "/x");
	put_proc(12, "c", 102, "/x");
	rescan_all(false);
	ck_assert_uint_eq(t.n, 3);
	/* ENOBUFS: 11 exited and 13, 14 started, and no event told us */
	drop_proc(11);
	put_proc(13, "d", 103, "/x");
	put_proc(14, "e", 104, "/y");
	rescan_all(true);
	ck_assert_uint_eq(t.n, 4);
	ck_assert_ptr_null(proc_table_get(&t, 11));
	ck_assert_str_eq(pt_str(proc_table_get(&t, 13)->comm), "d");
	ck_assert_str_eq(pt_str(proc_table_get(&t, 14)->cgroup), "/y");
	ck_assert_uint_eq(t.nstale, 0);
}
END_TEST

START_TEST(pid_reuse_new_starttime)
{
	struct og_proc p;

	put_proc(77, "old", 1000, "/x");
	rescan_all(false);
	ck_assert_uint_eq(proc_table_get(&t, 77)->starttime_ticks, 1000);
	/* 77 exited and another process got the pid; the exit event was lost */
	put_proc(77, "new", 2000, "/z");
	rescan_all(false); /* shallow: a known pid is not read again */
	ck_assert_uint_eq(t.nstale, 0);
	ck_assert_str_eq(pt_str(proc_table_get(&t, 77)->comm), "old");
	rescan_all(true); /* deep: stat shows the new starttime */
	ck_assert_uint_eq(proc_table_get(&t, 77)->starttime_ticks, 2000);
	ck_assert_str_eq(pt_str(proc_table_get(&t, 77)->comm), "new");
	ck_assert_str_eq(pt_str(proc_table_get(&t, 77)->cgroup), "/z");
	/* storing a full read of another identity says so */
	ck_assert_int_eq(src_read_proc(&root, 77, &p), 0);
	p.starttime_ticks = 3000;
	ck_assert_int_eq(proc_table_set(&t, &p, 7), 1);
	ck_assert_int_eq(proc_table_set(&t, &p, 7), 0);
	ck_assert_uint_eq(proc_table_get(&t, 77)->tag, 7);
}
END_TEST

START_TEST(comm_and_cgroup_change)
{
	put_proc(5, "before", 50, "/a.slice/one.service");
	rescan_all(false);
	/* prctl(PR_SET_NAME): a COMM event marks it stale */
	put_proc(5, "after", 50, "/a.slice/one.service");
	ck_assert_int_eq(proc_table_note(&t, 5), 0);
	proc_table_refresh(&t, &root, 1, 0, NULL, NULL);
	ck_assert_str_eq(pt_str(proc_table_get(&t, 5)->comm), "after");
	/* moved to another cgroup (no event for that): a deep rescan sees it */
	put_proc(5, "after", 50, "/a.slice/two.service");
	rescan_all(true);
	ck_assert_str_eq(pt_str(proc_table_get(&t, 5)->cgroup), "/a.slice/two.service");
	ck_assert_str_eq(pt_str(proc_table_get(&t, 5)->unit), "two.service");
}
END_TEST

/* The deep pass over the table's own entries (a scoped rescan), in steps of 2: a reused pid,
 * a moved process and one gone are all caught; the pass ends at the table's end. */
START_TEST(verify_steps_over_the_table)
{
	size_t pos = 0;
	int steps = 0;

	for (int pid = 10; pid < 17; pid++)
		put_proc(pid, "w", 100, "/job");
	rescan_all(false);
	ck_assert_uint_eq(t.n, 7);
	put_proc(11, "reused", 900, "/job"); /* pid reuse */
	put_proc(13, "w", 100, "/elsewhere"); /* moved */
	drop_proc(15); /* gone, its exit lost */
	while ((pos = proc_table_verify_step(&t, &root, pos, 2, NULL, NULL)) < t.n) {
		steps++;
		ck_assert_int_lt(steps, 10);
	}
	ck_assert_int_ge(steps, 3); /* 7 entries, 2 a step */
	ck_assert_uint_eq(proc_table_get(&t, 11)->starttime_ticks, 900);
	ck_assert_str_eq(pt_str(proc_table_get(&t, 11)->comm), "reused");
	ck_assert_str_eq(pt_str(proc_table_get(&t, 13)->cgroup), "/elsewhere");
	ck_assert_ptr_null(proc_table_get(&t, 15));
	ck_assert_uint_eq(t.n, 6);
	for (int pid = 10; pid < 17; pid++) /* none skipped by the removal */
		ck_assert(pid == 15 || proc_table_get(&t, pid));
	ck_assert_uint_eq(proc_table_verify_step(&t, &root, t.n, 2, NULL, NULL), t.n);
}
END_TEST

START_TEST(grows_and_interns)
{
	size_t before;

	for (int pid = 1000; pid < 1100; pid++)
		put_proc(pid, "idle", 7, "/busy/idle");
	rescan_all(false);
	ck_assert_uint_eq(t.n, 100);
	ck_assert_uint_ge(t.cap, 100);
	ck_assert(!t.partial);
	/* one copy of each string for all 100: comm, cmdline, cgroup, exe "", memcg "", unit "" */
	ck_assert_uint_le(t.nstrs, 4);
	for (int pid = 1000; pid < 1100; pid++) {
		const struct pt_proc *e = proc_table_get(&t, pid);

		ck_assert_ptr_nonnull(e);
		ck_assert_int_eq(e->pid, pid);
	}
	/* removals keep every other pid findable (the index shifts back) */
	for (int pid = 1000; pid < 1100; pid += 2)
		proc_table_remove(&t, pid);
	for (int pid = 1001; pid < 1100; pid += 2)
		ck_assert_ptr_nonnull(proc_table_get(&t, pid));
	ck_assert_uint_eq(t.n, 50);
	before = proc_table_bytes(&t);
	ck_assert_uint_gt(before, 0);
	/* about 100 bytes a process (entry + index) */
	ck_assert_uint_le(sizeof(struct pt_proc), 96);
}
END_TEST

START_TEST(full_table_is_partial_not_silent)
{
	proc_table_free(&t);
	ck_assert_int_eq(proc_table_init(&t, 2, 3), 0);
	for (int pid = 20; pid < 25; pid++)
		put_proc(pid, "p", 9, "/x");
	rescan_all(false);
	ck_assert_uint_eq(t.n, 3);
	ck_assert(t.partial);
	ck_assert_int_eq(proc_table_note(&t, 99), -ENOSPC);
}
END_TEST

START_TEST(statm_anon)
{
	uint64_t anon = 0;

	ck_assert_int_eq(src_proc_parse_statm_anon("2000 300 100 10 0 250 0\n", 4096, &anon), 0);
	ck_assert_uint_eq(anon, 200 * 4096);
	ck_assert_int_eq(src_proc_parse_statm_anon("0 0 0 0 0 0 0\n", 4096, &anon), 0);
	ck_assert_uint_eq(anon, 0);
	ck_assert_int_eq(src_proc_parse_statm_anon("12 x", 4096, &anon), -EBADMSG);
	ck_assert_int_eq(src_proc_parse_statm_anon("", 4096, &anon), -EBADMSG);
	put_proc(3, "s", 1, "/");
	ck_assert_int_eq(src_read_statm_anon(&root, 3, 4096, &anon), 0);
	ck_assert_uint_eq(anon, 200 * 4096);
	ck_assert_int_eq(src_read_statm_anon(&root, 4, 4096, &anon), -ENOENT);
}
END_TEST

/* The fork events that feed the table: a new process is reported (its pid), a new thread not. */
struct ev_log {
	int n;
	enum pe_kind kind[4];
	pid_t pid[4], parent[4];
};

static void ev_cb(void *ud, enum pe_kind kind, pid_t pid, pid_t parent)
{
	struct ev_log *l = ud;

	if (l->n < 4) {
		l->kind[l->n] = kind;
		l->pid[l->n] = pid;
		l->parent[l->n] = parent;
	}
	l->n++;
}

static size_t put_fork(char *buf, size_t off, pid_t parent, pid_t child, pid_t child_tgid)
{
	struct proc_event ev = {.what = PROC_EVENT_FORK};
	struct nlmsghdr h = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct cn_msg) + sizeof(ev)),
			     .nlmsg_type = NLMSG_DONE};
	struct cn_msg cn = {.id = {.idx = CN_IDX_PROC, .val = CN_VAL_PROC}, .len = sizeof(ev)};

	ev.event_data.fork.parent_pid = ev.event_data.fork.parent_tgid = parent;
	ev.event_data.fork.child_pid = child;
	ev.event_data.fork.child_tgid = child_tgid;
	memcpy(buf + off, &h, sizeof(h));
	memcpy(buf + off + NLMSG_HDRLEN, &cn, sizeof(cn));
	memcpy(buf + off + NLMSG_HDRLEN + sizeof(cn), &ev, sizeof(ev));
	return off + NLMSG_ALIGN(h.nlmsg_len);
}

static size_t put_uid(char *buf, size_t off, pid_t pid, pid_t tgid)
{
	struct proc_event ev = {.what = PROC_EVENT_UID};
	struct nlmsghdr h = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct cn_msg) + sizeof(ev)),
			     .nlmsg_type = NLMSG_DONE};
	struct cn_msg cn = {.id = {.idx = CN_IDX_PROC, .val = CN_VAL_PROC}, .len = sizeof(ev)};

	ev.event_data.id.process_pid = pid;
	ev.event_data.id.process_tgid = tgid;
	ev.event_data.id.r.ruid = ev.event_data.id.e.euid = 65534;
	memcpy(buf + off, &h, sizeof(h));
	memcpy(buf + off + NLMSG_HDRLEN, &cn, sizeof(cn));
	memcpy(buf + off + NLMSG_HDRLEN + sizeof(cn), &ev, sizeof(ev));
	return off + NLMSG_ALIGN(h.nlmsg_len);
}

/* pid's stat with ppid (og_put_proc() writes 1), its status with uid, its cmdline */
static void put_child(int pid, int ppid, const char *comm, unsigned long long start, const char *cg,
		      int uid, const char *cmdline, int oom_score_adj)
{
	char rel[64], text[512];

	og_put_proc(dir, pid, comm, start, cg, 300, oom_score_adj);
	snprintf(rel, sizeof(rel), "proc/%d/stat", pid);
	snprintf(text, sizeof(text),
		 "%d (%s) S %d %d %d 0 -1 4194560 100 0 0 0 1 1 0 0 20 0 1 0 %llu 1000000 100 "
		 "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n",
		 pid, comm, ppid, ppid, ppid, start);
	og_tmproot_put(dir, rel, text);
	snprintf(rel, sizeof(rel), "proc/%d/status", pid);
	snprintf(text, sizeof(text), "Name:\t%s\nUid:\t%d\t%d\t%d\t%d\nRssAnon:\t 400 kB\n", comm,
		 uid, uid, uid, uid);
	og_tmproot_put(dir, rel, text);
	snprintf(rel, sizeof(rel), "proc/%d/cmdline", pid);
	og_tmproot_put(dir, rel, cmdline);
}

static void put_exe(int pid, const char *target)
{
	char path[OG_TMPROOT_MAX + 32];

	snprintf(path, sizeof(path), "%s/proc/%d/exe", dir, pid);
	ck_assert_int_eq(symlink(target, path), 0);
}

/*
 * A fork event's child is read as a copy of its parent (read whole before it): uid and exe are
 * the parent's, never read (the child's status here is unusable, and it has no exe), while
 * identity, ppid, comm, cgroup, oom_score_adj and cmdline (a retitled worker) are its own.
 */
START_TEST(forked_child_read_as_copy)
{
	const char *cg = "/system.slice/web.service";
	struct pt_proc *e;

	put_proc(300, "server", 1000, cg);
	put_exe(300, "/usr/sbin/web");
	ck_assert_ptr_nonnull(proc_table_load(&t, &root, 300, NULL));
	ck_assert_uint_eq(proc_table_get(&t, 300)->uid, 1000);
	put_child(301, 300, "server", 1005, cg, 0, "server: worker", -500);
	og_tmproot_put(dir, "proc/301/status", "garbage\n");
	ck_assert_int_eq(proc_table_note_fork(&t, 301, 300), 0);
	e = proc_table_get(&t, 301);
	ck_assert(e->flags & PT_STALE);
	ck_assert(e->flags & PT_FORKED);
	ck_assert_ptr_eq(proc_table_fork_parent(&t, e), proc_table_get(&t, 300));
	ck_assert_uint_eq(proc_table_refresh(&t, &root, 16, 0, NULL, NULL), 0);
	e = proc_table_get(&t, 301);
	ck_assert_ptr_nonnull(e);
	ck_assert(!(e->flags & (PT_STALE | PT_FORKED | PT_UNREADABLE)));
	ck_assert_uint_eq(t.nforked, 1);
	ck_assert_uint_eq(e->starttime_ticks, 1005);
	ck_assert_int_eq(e->ppid, 300);
	ck_assert_uint_eq(e->uid, 1000);
	ck_assert_str_eq(pt_str(e->exe), "/usr/sbin/web");
	ck_assert_str_eq(pt_str(e->cmdline), "server: worker");
	ck_assert_str_eq(pt_str(e->unit), "web.service");
	ck_assert_int_eq(e->oom_score_adj, -500);
	ck_assert_ptr_eq(e->exe, proc_table_get(&t, 300)->exe); /* interned: one copy */
}
END_TEST

/* No plain copy, read whole: moved to another cgroup, reparented (its parent gone),
 * renamed, exec'd since the fork (another event), or a parent never read. */
START_TEST(forked_child_read_whole_when_it_differs)
{
	const char *cg = "/system.slice/web.service";

	put_proc(300, "server", 1000, cg);
	put_exe(300, "/usr/sbin/web");
	ck_assert_ptr_nonnull(proc_table_load(&t, &root, 300, NULL));
	put_child(311, 300, "server", 1005, "/system.slice/other.service", 0, "server", 0);
	put_child(312, 1, "server", 1005, cg, 0, "server", 0);
	put_child(313, 300, "renamed", 1005, cg, 0, "server", 0);
	put_child(314, 300, "server", 1005, cg, 0, "server", 0);
	put_child(315, 999, "server", 1005, cg, 0, "server", 0);
	for (int pid = 311; pid <= 315; pid++)
		ck_assert_int_eq(proc_table_note_fork(&t, pid,
						      pid == 312   ? 300
						      : pid == 315 ? 999
								   : 300),
				 0);
	ck_assert_int_eq(proc_table_note(&t, 314), 0); /* its exec: no copy any more */
	ck_assert(!(proc_table_get(&t, 314)->flags & PT_FORKED));
	ck_assert_ptr_null(proc_table_fork_parent(&t, proc_table_get(&t, 315))); /* 999 unknown */
	ck_assert_uint_eq(proc_table_refresh(&t, &root, 16, 0, NULL, NULL), 0);
	ck_assert_uint_eq(t.nforked, 0);
	for (int pid = 311; pid <= 315; pid++) {
		const struct pt_proc *e = proc_table_get(&t, pid);

		ck_assert_msg(e && !(e->flags & PT_STALE), "pid %d not read", pid);
		ck_assert_msg(e->uid == 0, "pid %d: uid %u, not its own", pid, (unsigned)e->uid);
		ck_assert_str_eq(pt_str(e->exe), ""); /* its own (none in the fixture) */
	}
}
END_TEST

/* Parent and child both new: the parent is read first, the child on the next call as its
 * copy. */
START_TEST(forked_child_waits_for_its_parent)
{
	const char *cg = "/system.slice/web.service";

	put_proc(400, "server", 2000, cg);
	put_exe(400, "/usr/sbin/web");
	put_child(401, 400, "server", 2001, cg, 1000, "server", 0);
	ck_assert_int_eq(proc_table_note(&t, 400), 0); /* its exec */
	ck_assert_int_eq(proc_table_note_fork(&t, 401, 400), 0);
	ck_assert_uint_eq(proc_table_refresh(&t, &root, 16, 0, NULL, NULL),
			  1); /* the child waits */
	ck_assert(!(proc_table_get(&t, 400)->flags & PT_STALE));
	ck_assert(proc_table_get(&t, 401)->flags & PT_STALE);
	ck_assert_uint_eq(proc_table_refresh(&t, &root, 16, 0, NULL, NULL), 0);
	ck_assert(!(proc_table_get(&t, 401)->flags & PT_STALE));
	ck_assert_uint_eq(t.nforked, 1);
	ck_assert_str_eq(pt_str(proc_table_get(&t, 401)->exe), "/usr/sbin/web");

	/* a parent noted again after the fork (an exec) is younger than its child: the child waits
	 * with it and is not counted as left (nothing to come back for before the parent's age) */
	put_proc(500, "server", 3000, cg);
	put_child(501, 500, "server", 3001, cg, 1000, "server", 0);
	ck_assert_ptr_nonnull(proc_table_load(&t, &root, 500, NULL));
	t.clock_ms = 10000;
	ck_assert_int_eq(proc_table_note_fork(&t, 501, 500), 0);
	t.clock_ms = 10900;
	ck_assert_int_eq(proc_table_note(&t, 500), 0);
	t.clock_ms = 11100; /* the child 1100 ms old, its parent 200 */
	ck_assert_uint_eq(proc_table_refresh(&t, &root, 16, 1000, NULL, NULL), 0);
	ck_assert(proc_table_get(&t, 501)->flags & PT_STALE);
	ck_assert(proc_table_get(&t, 500)->flags & PT_STALE);
	t.clock_ms = 12000; /* the parent old enough: read now, the child counted as left */
	ck_assert_uint_eq(proc_table_refresh(&t, &root, 16, 1000, NULL, NULL), 1);
	ck_assert(!(proc_table_get(&t, 500)->flags & PT_STALE));
	ck_assert_uint_eq(proc_table_refresh(&t, &root, 16, 1000, NULL, NULL), 0);
	ck_assert(!(proc_table_get(&t, 501)->flags & PT_STALE));
	ck_assert_uint_eq(t.nforked, 2);
}
END_TEST

START_TEST(fork_events_parsed)
{
	char buf[1024] __attribute__((aligned(8)));
	struct ev_log l = {0};
	size_t off = 0;

	memset(buf, 0, sizeof(buf));
	off = put_fork(buf, off, 10, 11, 11); /* a process */
	off = put_fork(buf, off, 10, 12, 10); /* a thread of 10 */
	off = put_fork(buf, off, 10, 0, 0); /* nonsense */
	off = put_uid(buf, off, 11, 11); /* the child's setuid() */
	off = put_uid(buf, off, 12, 10); /* ... and one of a thread of 10: its leader's says it */
	ck_assert_int_eq(proc_events_parse_buf(buf, off, ev_cb, &l), 2);
	ck_assert_int_eq(l.n, 2);
	ck_assert_int_eq(l.kind[0], PE_FORK);
	ck_assert_int_eq(l.pid[0], 11);
	ck_assert_int_eq(l.parent[0], 10); /* the forking process: what the child is a copy of */
	ck_assert_int_eq(l.kind[1], PE_UID);
	ck_assert_int_eq(l.pid[1], 11);
	ck_assert_int_eq(l.parent[1], 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("proc_table");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60); /* a loaded machine creates the proc/ trees slowly */
	tcase_add_test(tc, fork_exec_exit_events);
	tcase_add_test(tc, load_reads_no_oom_score);
	tcase_add_test(tc, short_lived_never_read);
	tcase_add_test(tc, lost_events_healed_by_rescan);
	tcase_add_test(tc, pid_reuse_new_starttime);
	tcase_add_test(tc, comm_and_cgroup_change);
	tcase_add_test(tc, verify_steps_over_the_table);
	tcase_add_test(tc, grows_and_interns);
	tcase_add_test(tc, full_table_is_partial_not_silent);
	tcase_add_test(tc, statm_anon);
	tcase_add_test(tc, fork_events_parsed);
	tcase_add_test(tc, forked_child_read_as_copy);
	tcase_add_test(tc, forked_child_read_whole_when_it_differs);
	tcase_add_test(tc, forked_child_waits_for_its_parent);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return og_check_run(suite());
}
