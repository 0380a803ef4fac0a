/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The loop's candidate selection (guardian/loop/loop_procs.c: loop_procs_fill) on a throw-away
 * proc/ tree: processes that may never be killed are not candidates, the newest, highest-pid
 * hog is found, a reused pid (same pid, new starttime) is ranked as the new process, and a
 * table that could not hold every process makes the view partial, said, not hidden.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "guardian/loop/loop_int.h"
#include "guardian/sources/proc_table.h"
#include "og_check.h"
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

static Suite *loop_procs_suite(void)
{
	Suite *s = suite_create("loop_procs");
	TCase *tc = tcase_create("fill");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, protected_excluded_newest_hog_found);
	tcase_add_test(tc, new_process_not_in_the_table_yet_is_found);
	tcase_add_test(tc, reused_pid_is_the_new_process);
	tcase_add_test(tc, full_table_makes_the_view_partial);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return og_check_run(loop_procs_suite());
}
