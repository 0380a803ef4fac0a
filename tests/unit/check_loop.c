/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The loop's pure parts: the adaptive poll interval, rung thresholds, PSI trigger lines, plan
 * printing, and one --once decision on a fixture tree. */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardian/loop/loop.h"
#include "guardian/loop/loop_int.h"
#include "guardian/loop/loop_worker.h"
#include "guardian/base/root.h"
#include "guardian/sources/src_cgkeep.h"
#include "policy/config/cfg.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

START_TEST(interval_is_max_when_plenty)
{
	ck_assert_uint_eq(loop_poll_interval_usec(20 * GiB, 512 * MiB, LOOP_RATE_MAX_BYTES_PER_SEC),
			  LOOP_POLL_MAX_USEC);
	/* no kill threshold configured: nothing to race against */
	ck_assert_uint_eq(loop_poll_interval_usec(1 * MiB, 0, LOOP_RATE_MAX_BYTES_PER_SEC),
			  LOOP_POLL_MAX_USEC);
	/* absurd headroom does not overflow */
	ck_assert_uint_eq(loop_poll_interval_usec(UINT64_MAX, 1, 1), LOOP_POLL_MAX_USEC);
}
END_TEST

START_TEST(interval_is_min_at_or_below_kill)
{
	ck_assert_uint_eq(loop_poll_interval_usec(100 * MiB, 100 * MiB,
						  LOOP_RATE_MAX_BYTES_PER_SEC),
			  LOOP_POLL_MIN_USEC);
	ck_assert_uint_eq(loop_poll_interval_usec(0, 100 * MiB, LOOP_RATE_MAX_BYTES_PER_SEC),
			  LOOP_POLL_MIN_USEC);
	ck_assert_uint_eq(loop_poll_interval_usec(101 * MiB, 100 * MiB,
						  LOOP_RATE_MAX_BYTES_PER_SEC),
			  LOOP_POLL_MIN_USEC);
}
END_TEST

START_TEST(interval_is_half_the_time_to_kill)
{
	/* 1 GiB above the kill threshold at 2 GiB/s: 0.5 s to get there, poll in 0.25 s */
	ck_assert_uint_eq(loop_poll_interval_usec(2 * GiB, 1 * GiB, 2 * GiB), 250000);
	/* 200 MiB at 2 GiB/s: 97.6 ms, half is 48.8 ms */
	ck_assert_uint_eq(loop_poll_interval_usec(300 * MiB, 100 * MiB, 2 * GiB), 48828);
}
END_TEST

/* A node near a stage of its own: crossings and its terminate zone at 100 ms, else a second */
START_TEST(node_decisions_on_crossings_not_every_poll)
{
	/* in the reclaim rung since the last decision, not hot: once a second */
	ck_assert(!loop_node_step_due(POL_STAGE_RECLAIM, POL_STAGE_RECLAIM, false, 150000));
	ck_assert(!loop_node_step_due(POL_STAGE_RECLAIM, POL_STAGE_RECLAIM, false, 999999));
	ck_assert(loop_node_step_due(POL_STAGE_RECLAIM, POL_STAGE_RECLAIM, false,
				     LOOP_NEAR_STEP_USEC));
	/* into a higher rung: at once, but not faster than 100 ms (a node at a threshold) */
	ck_assert(loop_node_step_due(POL_STAGE_THROTTLE, POL_STAGE_RECLAIM, false, 150000));
	ck_assert(!loop_node_step_due(POL_STAGE_THROTTLE, POL_STAGE_RECLAIM, false, 50000));
	ck_assert(loop_node_step_due(POL_STAGE_RECLAIM, POL_STAGE_NONE, false,
				     LOOP_NODE_STEP_MIN_USEC));
	/* back down: no hurry */
	ck_assert(!loop_node_step_due(POL_STAGE_NONE, POL_STAGE_THROTTLE, false, 500000));
	/* the terminate zone: every 100 ms */
	ck_assert(loop_node_step_due(POL_STAGE_THROTTLE, POL_STAGE_THROTTLE, true, 100000));
	ck_assert(!loop_node_step_due(POL_STAGE_TERMINATE, POL_STAGE_TERMINATE, true, 99999));
}
END_TEST

/*
 * The property the issue asks for: an allocation at 2 GiB/s starting at the terminate threshold
 * is seen at least twice before it reaches the kill threshold, for ladders from a 512 MiB test
 * group to a 64 GiB host (terminate 5%/kill 2.5% as shipped, and the tests' 30%/20%).
 */
START_TEST(fast_allocation_cannot_outrun_the_poll)
{
	static const uint64_t totals[] = { 512 * MiB, 4 * GiB, 24 * GiB, 64 * GiB };
	static const unsigned ladders[][2] = { { 500, 250 }, { 3000, 2000 } };
	const uint64_t rate = LOOP_RATE_MAX_BYTES_PER_SEC;

	for (size_t t = 0; t < sizeof(totals) / sizeof(totals[0]); t++) {
		for (size_t l = 0; l < 2; l++) {
			uint64_t term = totals[t] * ladders[l][0] / 10000;
			uint64_t kill = totals[t] * ladders[l][1] / 10000;
			uint64_t avail = term;
			unsigned polls = 0;

			while (avail > kill) {
				uint64_t iv = loop_poll_interval_usec(avail, kill, rate);
				uint64_t eaten = rate * iv / 1000000;

				avail = eaten >= avail ? 0 : avail - eaten;
				polls++;
			}
			/* With a 10 ms floor a gap below 2 GiB/s x 20 ms = 41 MiB cannot be polled
			 * twice: the v1 thresholds / PSI triggers cover that; assert only above. */
			if (term - kill > 2 * rate / 50)
				ck_assert_uint_ge(polls, 2);
		}
	}
}
END_TEST

START_TEST(threshold_takes_the_larger)
{
	struct pol_threshold t = { .mem_avail_permyriad = 500, .mem_avail_bytes = 0 };

	ck_assert_uint_eq(loop_threshold_bytes(&t, 10000), 500);
	t.mem_avail_bytes = 800;
	ck_assert_uint_eq(loop_threshold_bytes(&t, 10000), 800);
	t.mem_avail_bytes = 100;
	ck_assert_uint_eq(loop_threshold_bytes(&t, 10000), 500);
	memset(&t, 0, sizeof(t));
	ck_assert_uint_eq(loop_threshold_bytes(&t, 24 * GiB), 0);
	/* no overflow near the top */
	t.mem_avail_permyriad = 10000;
	ck_assert_uint_eq(loop_threshold_bytes(&t, UINT64_MAX), UINT64_MAX);
}
END_TEST

static size_t room_fds(struct loop_keep_room k)
{
	return k.root + OG_CG_KEEP_FDS_PER_GROUP * k.groups + k.statm;
}

/* The kept files fit the fd limit beside the spare, whatever it is, and take the most each
 * when it is plenty. */
START_TEST(kept_files_fit_the_fd_limit)
{
	static const uint64_t limits[] = { 0, 64, 128, 129, 160, 1024, 1200, 2000, 4096 };
	struct loop_keep_room k = loop_keep_room(4096);

	ck_assert_uint_eq(k.root, LOOP_ROOT_KEEP_MAX);
	ck_assert_uint_eq(k.groups, LOOP_CG_KEEP_MAX);
	ck_assert_uint_eq(k.statm, LOOP_STATM_KEEP_MAX);
	ck_assert_uint_eq(room_fds(loop_keep_room(RLIM_INFINITY)), room_fds(k));
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		uint64_t n = limits[i];
		size_t used = room_fds(loop_keep_room(n));

		ck_assert_msg(used + LOOP_FDS_SPARE <= (n > LOOP_FDS_SPARE ? n : LOOP_FDS_SPARE),
			      "limit %llu: %zu kept + %d spare", (unsigned long long)n, used,
			      LOOP_FDS_SPARE);
	}
	/* systemd's default soft limit (if raising it failed): machine files, then groups */
	k = loop_keep_room(1024);
	ck_assert_uint_eq(k.root, LOOP_ROOT_KEEP_MAX);
	ck_assert_uint_eq(k.groups, (1024 - LOOP_FDS_SPARE - LOOP_ROOT_KEEP_MAX) /
					    OG_CG_KEEP_FDS_PER_GROUP);
	ck_assert_uint_eq(loop_keep_room(LOOP_FDS_SPARE).root, 0);
}
END_TEST

START_TEST(psi_trigger_lines)
{
	char buf[64];

	ck_assert_int_eq(loop_psi_trigger_format(buf, sizeof(buf), false, 150000, 1000000), 19);
	ck_assert_str_eq(buf, "some 150000 1000000");
	ck_assert_int_gt(loop_psi_trigger_format(buf, sizeof(buf), true, 100000, 2000000), 0);
	ck_assert_str_eq(buf, "full 100000 2000000");
	ck_assert_int_eq(loop_psi_trigger_format(buf, 8, false, 150000, 1000000), -ENOBUFS);
}
END_TEST

START_TEST(plan_print_is_one_line_per_key)
{
	struct pol_plan plan = { 0 };
	struct pol_action *a = &plan.actions[0];
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	plan.n = 2;
	plan.stage = POL_STAGE_KILL;
	plan.avail_bytes = 1000;
	plan.total_bytes = 10000;
	a->kind = POL_ACT_KILL;
	a->stage = POL_STAGE_KILL;
	a->target.kind = POL_TGT_PROCESS;
	a->target.pid = 4242;
	strcpy(a->target.comm, "evil\nstage=none");
	strcpy(a->rule, "oomguardian.conf:12 [Kill]");
	strcpy(a->metric, "mem_available");
	a->measured = 1000;
	a->limit = 2500;
	strcpy(a->reason, "because");
	a = &plan.actions[1];
	a->kind = POL_ACT_OOM_SCORE_ADJ;
	a->stage = POL_STAGE_KILL;
	a->target.kind = POL_TGT_PROCESS;
	a->target.pid = 1;
	a->value = (uint64_t)(int64_t)-900;
	ck_assert_ptr_nonnull(f);
	loop_print_plan(f, &plan, true);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(out, "stage=kill\navailable_bytes=1000\ntotal_bytes=10000\n"
					  "dry_run=yes\nactions=2\n"));
	ck_assert_ptr_nonnull(strstr(out, "[action 1]\naction=kill\nstage=kill\ntarget=process\n"
					  "pid=4242\ncomm=evil?stage=none\n"));
	/* the hostile comm cannot forge a line of its own */
	ck_assert_ptr_null(strstr(out, "\nstage=none"));
	ck_assert_ptr_nonnull(strstr(out, "measured=1000\nlimit=2500\nreason=because\n"));
	ck_assert_ptr_nonnull(strstr(out, "action=oom_score_adj\n"));
	ck_assert_ptr_nonnull(strstr(out, "value=-900\n"));
	free(out);
}
END_TEST

/* One --once decision on a fixture: the whole read + decide path without the kernel. */
START_TEST(once_on_fixture)
{
	struct loop_opts o = { .root_dir = FIXTURES "/openstack-devstack", .dry_run = true,
			       .once = true };
	const char *dirs[] = { FIXTURES "/act", NULL }; /* a directory without policies */
	struct pol_rules rules = { 0 };
	struct cfg_diag diag;
	struct loop *l = NULL;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	cfg_diag_init(&diag);
	o.policy_dirs = dirs;
	/* no conf under the fixture root: the built-in ladder */
	ck_assert_int_eq(cfg_load(o.root_dir, NULL, dirs, &rules, &diag), 0);
	cfg_diag_free(&diag);
	ck_assert_int_eq(loop_new(&o, &rules, &l), 0);
	f = open_memstream(&out, &len);
	ck_assert_int_eq(loop_once(l, f), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(out, "dry_run=yes\n"));
	ck_assert_ptr_nonnull(strstr(out, "stage="));
	/* devstack fixture: 3.75% available is below the default 5% terminate rung */
	ck_assert_ptr_nonnull(strstr(out, "stage=terminate\n"));
	free(out);
	loop_free(l);
}
END_TEST

START_TEST(once_on_missing_root_fails)
{
	struct loop_opts o = { .root_dir = "/nonexistent-oomguardian-root", .once = true };
	struct pol_rules rules = { 0 };
	struct loop *l = NULL;

	ck_assert_int_lt(loop_new(&o, &rules, &l), 0);
	ck_assert_ptr_null(l);
}
END_TEST

/* The worker's writes go through the act layer's recording fake; write_at blocks until the
 * test lets it go, like a drop_caches evicting NFS inodes. */
struct slow_fake {
	struct act_recorder rec;
	struct act_ops ops;
	int gate[2]; /* write_at waits for a byte on gate[0] */
};

static int slow_write_at(void *ud, int dirfd, const char *dir, const char *file, const char *value)
{
	struct slow_fake *f = ud;
	char c;

	if (read(f->gate[0], &c, 1) != 1)
		return -EIO;
	return f->rec.ops.write_at(&f->rec, dirfd, dir, file, value);
}

/* Generous: the worker thread is scheduled in microseconds idle, seconds on a loaded machine. */
#define WORKER_DEADLINE_MS 30000

static int wait_fd(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms);
}

START_TEST(worker_runs_slow_writes_beside_the_loop)
{
	struct og_cg_mounts mounts = { .v2_fd = -1, .memv1_fd = -1 };
	static struct slow_fake f; /* large: the recorder holds 128 calls */
	struct loop_worker w = { .efd = -1 };
	struct pol_action a = { 0 }, got;
	struct og_root root;
	struct act_ctx ctx;
	int r = 99;

	ck_assert(loop_worker_wants(POL_ACT_DROP_CACHES));
	ck_assert(loop_worker_wants(POL_ACT_DROP_SLAB));
	ck_assert(loop_worker_wants(POL_ACT_COMPACT));
	ck_assert(!loop_worker_wants(POL_ACT_KILL));
	ck_assert(!loop_worker_wants(POL_ACT_THROTTLE));
	ck_assert_int_eq(og_root_open(&root, FIXTURES "/this-host"), 0);
	act_recorder_init(&f.rec);
	f.ops = f.rec.ops;
	f.ops.userdata = &f;
	f.ops.write_at = slow_write_at;
	ck_assert_int_eq(pipe(f.gate), 0);
	act_ctx_init(&ctx, &root, &mounts, false);
	ctx.dry_run = false; /* the fixture root forced it: the fake writes nothing anyway */
	ctx.ops = &f.ops;

	ck_assert_int_eq(loop_worker_submit(&w, &ctx, &a), -ENOTCONN); /* not started */
	ck_assert_int_eq(loop_worker_start(&w), 0);
	a.kind = POL_ACT_DROP_CACHES;
	a.target.kind = POL_TGT_SYSTEM;
	ck_assert_int_eq(loop_worker_submit(&w, &ctx, &a), 0);
	/* the write is stuck: the slot is taken, nothing to collect, the fd stays quiet (200 ms
	 * of looking cannot fail the test however slow the machine: the gate holds the write) */
	ck_assert_int_eq(loop_worker_submit(&w, &ctx, &a), -EBUSY);
	ck_assert_int_eq(wait_fd(loop_worker_fd(&w), 200), 0);
	ck_assert_int_eq(loop_worker_collect(&w, &got, &r), 0);
	ck_assert_int_eq(act_recorder_count(&f.rec, ACT_CALL_WRITE), 0);
	/* let it finish: the eventfd says so, the result is the action's */
	ck_assert_int_eq(write(f.gate[1], "x", 1), 1);
	ck_assert_int_eq(wait_fd(loop_worker_fd(&w), WORKER_DEADLINE_MS), 1);
	ck_assert_int_eq(loop_worker_collect(&w, &got, &r), 1);
	ck_assert_int_eq(r, 1);
	ck_assert_int_eq(got.kind, POL_ACT_DROP_CACHES);
	ck_assert_int_eq(act_recorder_count(&f.rec, ACT_CALL_WRITE), 1);
	ck_assert_str_eq(f.rec.calls[0].path, "sys/vm/drop_caches");
	ck_assert_str_eq(f.rec.calls[0].value, "3");
	ck_assert_int_eq(loop_worker_collect(&w, &got, &r), 0); /* taken once */
	/* the slot is free again: a node compaction, answered with an error */
	a.kind = POL_ACT_COMPACT;
	a.target.kind = POL_TGT_NODE;
	a.target.node = 0;
	f.rec.next_ret[ACT_CALL_WRITE] = -EBUSY;
	ck_assert_int_eq(loop_worker_submit(&w, &ctx, &a), 0);
	ck_assert_int_eq(write(f.gate[1], "x", 1), 1);
	ck_assert_int_eq(wait_fd(loop_worker_fd(&w), WORKER_DEADLINE_MS), 1);
	ck_assert_int_eq(loop_worker_collect(&w, &got, &r), 1);
	ck_assert_int_eq(r, -EBUSY);
	ck_assert_int_eq(got.kind, POL_ACT_COMPACT);
	ck_assert_ptr_nonnull(strstr(f.rec.calls[1].path, "node0"));
	loop_worker_stop(&w);
	loop_worker_stop(&w); /* idempotent */
	ck_assert_int_eq(loop_worker_fd(&w), -1);
	og_root_close(&root);
}
END_TEST

/* The fast read's inactive_file: v1 wants the hierarchical total_ key, not the group's own. */
START_TEST(inactive_file_of_memory_stat)
{
	const char *v1 = "cache 10\ninactive_file 5\ntotal_cache 9000\ntotal_inactive_file 4096\n";
	const char *v2 = "anon 1\nfile 2\nactive_file 7\ninactive_file 8192\nslab 3\n";
	uint64_t v = 1;

	ck_assert_int_eq(loop_parse_inactive_file(v1, true, &v), 0);
	ck_assert_uint_eq(v, 4096);
	ck_assert_int_eq(loop_parse_inactive_file(v1, false, &v), 0);
	ck_assert_uint_eq(v, 5);
	ck_assert_int_eq(loop_parse_inactive_file(v2, false, &v), 0);
	ck_assert_uint_eq(v, 8192);
	v = 77;
	ck_assert_int_eq(loop_parse_inactive_file(v2, true, &v), -EBADMSG);
	ck_assert_int_eq(loop_parse_inactive_file("inactive_file x\n", false, &v), -EBADMSG);
	ck_assert_int_eq(loop_parse_inactive_file("inactive_file 12k\n", false, &v), -EBADMSG);
	ck_assert_int_eq(loop_parse_inactive_file("inactive_file", false, &v), -EBADMSG);
	ck_assert_uint_eq(v, 77); /* untouched on failure */
}
END_TEST

static Suite *loop_suite(void)
{
	Suite *s = suite_create("loop");
	TCase *tc = tcase_create("pure");

	tcase_add_test(tc, interval_is_max_when_plenty);
	tcase_add_test(tc, interval_is_min_at_or_below_kill);
	tcase_add_test(tc, interval_is_half_the_time_to_kill);
	tcase_add_test(tc, node_decisions_on_crossings_not_every_poll);
	tcase_add_test(tc, fast_allocation_cannot_outrun_the_poll);
	tcase_add_test(tc, threshold_takes_the_larger);
	tcase_add_test(tc, psi_trigger_lines);
	tcase_add_test(tc, kept_files_fit_the_fd_limit);
	tcase_add_test(tc, plan_print_is_one_line_per_key);
	tcase_add_test(tc, inactive_file_of_memory_stat);
	suite_add_tcase(s, tc);
	tc = tcase_create("once");
	tcase_add_test(tc, once_on_fixture);
	tcase_add_test(tc, once_on_missing_root_fails);
	suite_add_tcase(s, tc);
	tc = tcase_create("worker");
	tcase_add_test(tc, worker_runs_slow_writes_beside_the_loop);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(loop_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
