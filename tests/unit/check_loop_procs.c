/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The loop's candidate selection (guardian/loop/loop_procs.c: loop_procs_fill) on a throw-away
 * proc/ tree: processes that may never be killed are not candidates, the newest, highest-pid
 * hog is found, a reused pid (same pid, new starttime) is ranked as the new process, and a
 * table that could not hold every process makes the view partial, said, not hidden; with
 * KillUnit=cgroup, groups are ranked by their counters and only the best one's members are read.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "guardian/loop/loop_int.h"
#include "guardian/sources/proc_table.h"
#include "og_check.h"
#include "policy/util/strutil.h"
#include "proc_fixture.h"

#define KiB 1024ULL
#define PAGES(mib) ((unsigned)((mib) * 256 + 100)) /* statm resident for mib MiB anon */

static char dir[OG_TMPROOT_MAX];
static struct loop *l;

static void setup(void)
{
	og_tmproot_create(dir);
	og_tmproot_put(dir, "proc/sys/kernel/pid_max", "32768\n");
	og_tmproot_mkdir(dir, "sys/fs/cgroup");
	og_put_proc(dir, 1, "init", 10, "/init.scope", PAGES(8), 0);
	og_put_proc(dir, 100, "sshd", 100, "/system.slice/ssh.service", PAGES(40), -1000);
	for (int pid = 200; pid < 210; pid++)
		og_put_proc(dir, pid, "idle", 200, "/user.slice", PAGES(2), 0);
	og_put_proc(dir, 30000, "hog", 5000, "/user.slice", PAGES(300), 0);
	l = calloc(1, sizeof(*l));
	ck_assert_ptr_nonnull(l);
	ck_assert_int_eq(og_collector_open(&l->col, dir), 0);
	ck_assert_int_eq(og_snapshot_alloc(&l->snap, 64, 4, 1), 0);
	ck_assert_int_eq(loop_procs_init(l), 0);
}

static void teardown(void)
{
	loop_procs_free(l);
	og_snapshot_free(&l->snap);
	og_collector_close(&l->col);
	free(l);
	og_tmproot_remove(dir);
}

/* The table as the loop keeps it between decisions: every pid seen and read. */
static void table_current(void)
{
	while (proc_table_rescan_step(&l->table, &l->col.root, true, SIZE_MAX, NULL, NULL) > 0)
		;
	proc_table_refresh(&l->table, &l->col.root, SIZE_MAX, 0, NULL, NULL);
}

static const struct og_proc *snap_proc(pid_t pid)
{
	for (size_t i = 0; i < l->snap.nprocs; i++)
		if (l->snap.procs[i].pid == pid)
			return &l->snap.procs[i];
	return NULL;
}

START_TEST(protected_excluded_newest_hog_found)
{
	const struct og_proc *hog;

	table_current();
	ck_assert_int_eq(loop_procs_fill(l, true, 1000000), 0);
	ck_assert(!l->view_partial);
	ck_assert_ptr_null(snap_proc(1)); /* PID 1 */
	ck_assert_ptr_null(snap_proc(100)); /* oom_score_adj -1000: never, not even read */
	hog = snap_proc(30000);
	ck_assert_ptr_nonnull(hog);
	ck_assert_str_eq(hog->comm, "hog");
	ck_assert_uint_eq(hog->rss_anon_bytes, 300 * 1024 * KiB);
	ck_assert_int_eq(l->snap.procs[0].pid, 30000); /* best first */
	ck_assert_ptr_nonnull(snap_proc(205));
}
END_TEST

START_TEST(new_process_not_in_the_table_yet_is_found)
{
	table_current();
	/* forked after the table was read (its event noted it, not read yet): still ranked */
	og_put_proc(dir, 31000, "newhog", 9000, "/user.slice", PAGES(500), 0);
	ck_assert_int_eq(proc_table_note(&l->table, 31000), 0);
	ck_assert_int_eq(loop_procs_fill(l, true, 1000000), 0);
	ck_assert_int_eq(l->snap.procs[0].pid, 31000);
	ck_assert_str_eq(l->snap.procs[0].comm, "newhog");
	ck_assert_uint_eq(l->snap.procs[0].starttime_ticks, 9000);
}
END_TEST

START_TEST(reused_pid_is_the_new_process)
{
	const struct og_proc *p;

	table_current();
	ck_assert_uint_eq(proc_table_get(&l->table, 205)->starttime_ticks, 200);
	/* 205 exited, a new big process got the pid: its fork event marks the entry stale */
	og_put_proc(dir, 205, "reuser", 7000, "/user.slice", PAGES(600), 0);
	ck_assert_int_eq(proc_table_note(&l->table, 205), 0);
	ck_assert_int_eq(loop_procs_fill(l, true, 1000000), 0);
	p = snap_proc(205);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->comm, "reuser"); /* not the old idle process's identity */
	ck_assert_uint_eq(p->starttime_ticks, 7000);
	ck_assert_uint_eq(p->rss_anon_bytes, 600 * 1024 * KiB);
	ck_assert_int_eq(l->snap.procs[0].pid, 205);
}
END_TEST

START_TEST(full_table_makes_the_view_partial)
{
	/* room for 4 entries only, and the hog is not among them */
	proc_table_free(&l->table);
	ck_assert_int_eq(proc_table_init(&l->table, 4, 4), 0);
	for (pid_t pid = 200; pid < 204; pid++)
		ck_assert_int_eq(proc_table_note(&l->table, pid), 0);
	proc_table_refresh(&l->table, &l->col.root, SIZE_MAX, 0, NULL, NULL);
	ck_assert_int_lt(proc_table_note(&l->table, 30000), 0);
	ck_assert(l->table.partial);
	ck_assert_int_eq(loop_procs_fill(l, true, 1000000), 0);
	ck_assert(l->view_partial); /* reports say process_table=partial */
	ck_assert_uint_gt(l->fill_missing, 0);
	ck_assert_ptr_null(snap_proc(30000)); /* never ranked as if the table were whole */
}
END_TEST

/* The decision's slots are written ahead for twice the table (at least LOOP_SNAP_TOUCH_MIN),
 * not all LOOP_CAP_SNAP_PROCS of them at start (1.8 MiB resident and locked), and follow the
 * table as it grows. */
START_TEST(slots_touched_ahead_follow_the_table)
{
	const int touched = 0x5a5a5a5a;

	og_snapshot_free(&l->snap);
	ck_assert_int_eq(og_snapshot_alloc(&l->snap, LOOP_CAP_SNAP_PROCS, 4, 1), 0);
	table_current();
	ck_assert_uint_eq(l->table.n, 13);
	loop_procs_touch_ahead(l);
	ck_assert_uint_eq(l->snap_touched, LOOP_SNAP_TOUCH_MIN);
	ck_assert_int_eq(l->snap.procs[LOOP_SNAP_TOUCH_MIN - 1].pid, touched);
	ck_assert_int_eq(l->snap.procs[LOOP_SNAP_TOUCH_MIN].pid, 0); /* not yet */
	for (int pid = 1000; pid < 1100; pid++)
		og_put_proc(dir, pid, "worker", 300, "/system.slice/w.service", PAGES(1), 0);
	table_current();
	ck_assert_uint_eq(l->table.n, 113);
	loop_procs_touch_ahead(l);
	ck_assert_uint_eq(l->snap_touched, 226);
	ck_assert_int_eq(l->snap.procs[225].pid, touched);
	ck_assert_int_eq(l->snap.procs[226].pid, 0);
}
END_TEST

/* inotify watches on proc/PID/statm: every open of one is a read the fill made. */
static int statm_watch(int fd, pid_t pid)
{
	char path[OG_TMPROOT_MAX + 64];
	int wd;

	snprintf(path, sizeof(path), "%s/proc/%d/statm", dir, (int)pid);
	wd = inotify_add_watch(fd, path, IN_OPEN);
	ck_assert_int_ge(wd, 0);
	return wd;
}

/* Opens seen so far of the watches wd_a[0..1] and wd_b[0..1] (ranges), in one pass. */
static void statm_opens(int fd, const int *wd_a, const int *wd_b, size_t *ret_a, size_t *ret_b)
{
	char buf[4096] __attribute__((aligned(8)));
	ssize_t len;

	*ret_a = *ret_b = 0;
	while ((len = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0; off < len;) {
			const struct inotify_event *ev = (const void *)(buf + off);

			if (ev->mask & IN_OPEN) {
				*ret_a += ev->wd >= wd_a[0] && ev->wd <= wd_a[1];
				*ret_b += ev->wd >= wd_b[0] && ev->wd <= wd_b[1];
			}
			off += (ssize_t)(sizeof(*ev) + ev->len);
		}
}

/* Issue 7, cgroup-first: with KillUnit=cgroup the groups are ranked by their own counters
 * (memory.current - file) before any process is read; statm is read for the best group's
 * members only, not for every member of every group. */
START_TEST(cgroup_first_reads_only_the_best_group)
{
	static struct pol_service svc;
	struct pol_victim_opts o = {.self_pid = 999, .scope = ""};
	struct pol_candidate cand[4];
	int fd, wd_a[2], wd_b[2];
	size_t na, nb;

	for (pid_t pid = 400; pid < 405; pid++)
		og_put_proc(dir, pid, "small", 300, "/user.slice/a.scope", PAGES(10), 0);
	for (pid_t pid = 500; pid < 505; pid++)
		og_put_proc(dir, pid, "big", 300, "/user.slice/b.scope", PAGES(50 + pid - 500), 0);
	memset(&svc, 0, sizeof(svc));
	og_strscpy(svc.name, "50-groups", sizeof(svc.name));
	svc.match.all = true;
	svc.kill_unit = POL_KU_CGROUP;
	l->rules.services = &svc;
	l->rules.nservices = 1;
	l->snap.ncgroups = 2;
	l->snap.cgroups[0] = (struct og_cgroup){.path = "/user.slice/a.scope",
						.has_memory = true,
						.current_bytes = 60 * 1024 * KiB,
						.file_bytes = 10 * 1024 * KiB};
	l->snap.cgroups[1] = (struct og_cgroup){.path = "/user.slice/b.scope",
						.has_memory = true,
						.current_bytes = 600 * 1024 * KiB,
						.file_bytes = 100 * 1024 * KiB};
	table_current();
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	wd_a[0] = statm_watch(fd, 400);
	for (pid_t pid = 401; pid < 405; pid++)
		wd_a[1] = statm_watch(fd, pid);
	wd_b[0] = statm_watch(fd, 500);
	for (pid_t pid = 501; pid < 505; pid++)
		wd_b[1] = statm_watch(fd, pid);
	ck_assert_int_eq(loop_procs_fill(l, true, 1000000), 0);
	statm_opens(fd, wd_a, wd_b, &na, &nb);
	ck_assert_uint_eq(nb, 5); /* the best group: each member once */
	ck_assert_uint_eq(na, 0); /* the other group: never */
	close(fd);
	/* every member is still in the snapshot (protection of the group is checked on them) */
	for (pid_t pid = 400; pid < 405; pid++)
		ck_assert_ptr_nonnull(snap_proc(pid));
	ck_assert_uint_eq(snap_proc(504)->rss_anon_bytes, 54 * 1024 * KiB);
	ck_assert_uint_eq(snap_proc(400)->rss_anon_bytes, 0); /* not measured, not read */
	/* and the engine takes the best group whole, 504 (its largest) standing for it */
	ck_assert_uint_ge(pol_victims(&l->snap, &l->rules, &o, cand, 4), 2);
	ck_assert_int_eq(cand[0].target.kind, POL_TGT_CGROUP);
	ck_assert_str_eq(cand[0].target.cgroup, "/user.slice/b.scope");
	ck_assert_int_eq(cand[0].target.pid, 504);
	/* the counters (not the members' anon), plus the members' swap (VmSwap 8 kB each) */
	ck_assert_uint_eq(cand[0].free_bytes, 500 * 1024 * KiB + 5 * 8 * KiB);
	l->rules.services = NULL;
	l->rules.nservices = 0;
}
END_TEST

/* Issue 7: a scoped daemon's table turns a process outside its scope away after one small
 * read (proc/PID/cgroup), before the eight files of a full load. */
START_TEST(scoped_event_outside_costs_one_read)
{
	char path[OG_TMPROOT_MAX + 32], buf[4096] __attribute__((aligned(8)));
	size_t in_opens = 0, out_opens = 0, out_cgroup = 0;
	int fd, wd_in, wd_out;
	ssize_t len;

	og_put_proc(dir, 600, "inside", 300, "/scope/job", PAGES(5), 0);
	og_put_proc(dir, 601, "outside", 300, "/user.slice", PAGES(5), 0);
	og_strscpy(l->scope, "/scope", sizeof(l->scope));
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	snprintf(path, sizeof(path), "%s/proc/600", dir);
	wd_in = inotify_add_watch(fd, path, IN_OPEN);
	snprintf(path, sizeof(path), "%s/proc/601", dir);
	wd_out = inotify_add_watch(fd, path, IN_OPEN);
	ck_assert_int_ge(wd_in, 0);
	ck_assert_int_ge(wd_out, 0);
	/* their fork events, then the table's refresh (as loop_procs_work runs it) */
	ck_assert_int_eq(proc_table_note(&l->table, 600), 0);
	ck_assert_int_eq(proc_table_note(&l->table, 601), 0);
	proc_table_refresh(&l->table, &l->col.root, SIZE_MAX, 0, NULL, NULL);
	while ((len = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0; off < len;) {
			const struct inotify_event *ev = (const void *)(buf + off);

			if (ev->len > 0 && ev->wd == wd_in)
				in_opens++;
			if (ev->len > 0 && ev->wd == wd_out) {
				out_opens++;
				out_cgroup += strcmp(ev->name, "cgroup") == 0;
			}
			off += (ssize_t)(sizeof(*ev) + ev->len);
		}
	close(fd);
	ck_assert_uint_eq(out_opens, 1); /* one file read ... */
	ck_assert_uint_eq(out_cgroup, 1); /* ... its cgroup */
	ck_assert_ptr_null(proc_table_get(&l->table, 601)); /* and it is not kept */
	ck_assert_uint_eq(l->table.nrefused, 1);
	ck_assert_uint_gt(in_opens, 3); /* the one inside is read whole */
	ck_assert_ptr_nonnull(proc_table_get(&l->table, 600));
	ck_assert(!(proc_table_get(&l->table, 600)->flags & PT_STALE));
	ck_assert_str_eq(pt_str(proc_table_get(&l->table, 600)->comm), "inside");
}
END_TEST

static Suite *loop_procs_suite(void)
{
	Suite *s = suite_create("loop_procs");
	TCase *tc = tcase_create("fill");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, protected_excluded_newest_hog_found);
	tcase_add_test(tc, new_process_not_in_the_table_yet_is_found);
	tcase_add_test(tc, reused_pid_is_the_new_process);
	tcase_add_test(tc, full_table_makes_the_view_partial);
	tcase_add_test(tc, slots_touched_ahead_follow_the_table);
	tcase_add_test(tc, cgroup_first_reads_only_the_best_group);
	tcase_add_test(tc, scoped_event_outside_costs_one_read);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return og_check_run(loop_procs_suite());
}
