/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of policy/engine/pol_engine.c: the engine driven through time with synthetic snapshots.
 * The test ladder (pol_builder.h): reclaim 15%, throttle 10%, terminate 5%, kill 2.5% of
 * MemAvailable; hold-off 5 s, kill timeout 10 s, grace 5 s, hysteresis 2%.
 * TB_VERBOSE=1 CK_FORK=no prints every plan the tests look at.
 */
#include <check.h>
#include <errno.h>

#include "policy/config/cfg.h"
#include "policy/util/cleanup.h"
#include "tests/unit/og_check.h"
#include "tests/unit/pol_builder.h"

#define CONTRIB FIXTURES "/../../contrib/policies"
#define VENDOR FIXTURES "/../../policy/vendor"

static void setup(void)
{
	tb_machine(8 * GiB, 6 * GiB);
	tb_rules_init();
}

static void teardown(void)
{
	pol_state_free(&tb_st);
	tb_rules_free();
}

static struct pol_service *protect(const char *name, const char *comm)
{
	struct pol_service *svc = tb_service_name(name, comm);

	svc->protect = true;
	svc->has_oom_score_adj = true;
	svc->oom_score_adj = -1000;
	return svc;
}

/* ------------------------------------------------------------------ basics */

/* Issue 7: the step that decides a kill formats nothing; the sentence is made afterwards,
 * from the figures it recorded, and reads as before. */
START_TEST(kill_reason_is_formatted_after_the_step)
{
	struct pol_action *a = NULL;

	tb_machine(1 * GiB, 500 * MiB);
	tb_proc(500, "apache2", "/system.slice/apache2.service", 60 * MiB);
	tb_proc(600, "hog", "/user.slice/user-0.slice/session-1.scope", 700 * MiB);
	tb_engine_start();
	tb_avail_pm(100);
	tb_s.now_usec = 1000000;
	ck_assert_int_ge(pol_step(&tb_s, &tb_r, &tb_st, &tb_ctx, 1000000, &tb_plan), 1);
	for (size_t i = 0; i < tb_plan.n; i++)
		if (tb_plan.actions[i].kind == POL_ACT_KILL)
			a = &tb_plan.actions[i];
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->reason, "");
	ck_assert_int_eq(a->why.code, POL_WHY_SIGNAL);
	ck_assert_int_eq(a->why.cause.kind, POL_CAUSE_MEM_PCT);
	ck_assert_uint_eq(a->why.free_bytes, 700 * MiB);
	pol_action_explain(a);
	ck_assert_int_eq(a->why.code, POL_WHY_TEXT);
	ck_assert_ptr_nonnull(strstr(a->reason, "MemAvailable 0.99%"));
	ck_assert_ptr_nonnull(strstr(a->reason, "< 2.50% kill threshold; victim hog pid 600 "
						"frees ~700.0M (anon+swap), largest candidate"));
	pol_action_explain(a); /* idempotent */
	ck_assert_ptr_nonnull(strstr(a->reason, "victim hog pid 600"));
}
END_TEST

START_TEST(healthy_machine_does_nothing)
{
	tb_proc(100, "app", "/system.slice/app.service", 1 * GiB);
	tb_engine_start();
	for (uint64_t t = 1; t < 100; t += 3)
		ck_assert_int_eq(tb_step(t), 0);
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_NONE);
	ck_assert_uint_eq(tb_plan.total_bytes, 8 * GiB);
	ck_assert_uint_eq(tb_plan.avail_bytes, 6 * GiB);
}
END_TEST

START_TEST(policy_cache_too_small_falls_back)
{
	struct pol_service *svc = tb_service_name("10-sshd", "sshd");

	svc->protect = true;
	tb_proc(100, "sshd", "/system.slice/ssh.service", 6 * GiB);
	tb_proc(101, "hog", "/", 1 * GiB);
	tb_engine_start();
	ck_assert_int_eq(pol_state_reserve(&tb_st, 1), 0); /* no shrink: still fine */
	pol_state_free(&tb_st);
	ck_assert_int_eq(pol_state_init(&tb_st, &tb_r), 0);
	ck_assert_int_eq(pol_state_reserve(&tb_st, 1), 0); /* 2 processes > 1: not used */
	ck_assert_int_eq(pol_state_reserve(NULL, 1), -EINVAL);
	tb_avail_pm(100);
	tb_step(1);
	ck_assert_ptr_null(tb_signal_to(100));
	ck_assert_ptr_nonnull(tb_signal_to(101));
}
END_TEST

START_TEST(bad_arguments)
{
	struct pol_plan plan;

	tb_engine_start();
	ck_assert_int_eq(pol_step(&tb_s, &tb_r, &tb_st, &tb_ctx, 0, &plan), -EINVAL);
	ck_assert_int_eq(pol_step(NULL, &tb_r, &tb_st, &tb_ctx, 1, &plan), -EINVAL);
	ck_assert_int_eq(pol_step(&tb_s, &tb_r, &tb_st, &tb_ctx, 1, NULL), -EINVAL);
	tb_service("10-new"); /* rules changed without pol_state_rebind() */
	ck_assert_int_eq(pol_step(&tb_s, &tb_r, &tb_st, &tb_ctx, 1, &plan), -EINVAL);
	ck_assert_int_eq(pol_state_rebind(&tb_st, &tb_r), 0);
	ck_assert_int_eq(pol_step(&tb_s, &tb_r, &tb_st, &tb_ctx, 1, &plan), 0);
	tb_s.mem.total_bytes = 0; /* no meminfo */
	ck_assert_int_eq(pol_step(&tb_s, &tb_r, &tb_st, &tb_ctx, 2, &plan), -ENODATA);
	ck_assert_str_eq(pol_stage_name(POL_STAGE_TERMINATE), "terminate");
	ck_assert_str_eq(pol_action_name(POL_ACT_DROP_SLAB), "drop_slab");
	ck_assert_str_eq(pol_stage_name(POL_STAGE__MAX), "?");
}
END_TEST

/* ------------------------------------------------------------------ the seed stories */

START_TEST(xen_sshd_and_cron_survive_the_hog)
{
	/* 002: the dom0 squeezed to 1 GiB, a hog eats it; the kernel killed cron and sshd. */
	const struct pol_action *a;

	tb_machine(1 * GiB, 500 * MiB);
	protect("10-sshd", "sshd");
	protect("10-cron", "cron");
	tb_proc(400, "sshd", "/system.slice/ssh.service", 20 * MiB);
	tb_proc(401, "cron", "/system.slice/cron.service", 5 * MiB);
	tb_proc(500, "apache2", "/system.slice/apache2.service", 60 * MiB);
	tb_proc(600, "hog", "/user.slice/user-0.slice/session-1.scope", 700 * MiB);
	tb_engine_start();

	ck_assert_int_ge(tb_step(1), 2);
	ck_assert_int_eq(tb_signals(), 0);
	ck_assert_uint_eq(tb_count(POL_ACT_OOM_SCORE_ADJ), 2); /* sshd, cron: -1000 kept */
	a = tb_act(POL_ACT_OOM_SCORE_ADJ);
	ck_assert_int_eq(a->svalue, -1000);

	tb_avail_pm(100); /* 1%: the kill stage */
	tb_step(2);
	tb_dump("xen kill");
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_KILL);
	ck_assert_uint_eq(tb_signals(), 1);
	a = tb_signal_to(600);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->kind, POL_ACT_KILL);
	ck_assert_int_eq(a->stage, POL_STAGE_KILL);
	ck_assert_str_eq(a->rule, "/etc/oomguardian/oomguardian.conf:14 [Kill]");
	ck_assert_str_eq(a->metric, "mem_available_permyriad");
	ck_assert_uint_eq(a->limit, 250);
	ck_assert_uint_le(a->measured, 100);
	ck_assert_ptr_nonnull(strstr(a->reason, "MemAvailable 0.99%"));
	ck_assert_ptr_nonnull(strstr(a->reason, "< 2.50% kill threshold"));
	ck_assert_ptr_nonnull(strstr(a->reason, "victim hog pid 600 frees ~700.0M (anon+swap)"));
	ck_assert_uint_ge(tb_plan.ntop, 2);
	ck_assert_int_eq(tb_plan.top[0].target.pid, 600);
	ck_assert_int_eq(tb_plan.top[1].target.pid, 500);
	ck_assert_uint_eq(tb_count(POL_ACT_OOM_SCORE_ADJ), 0); /* planned once, not again */

	/* the hog is gone but memory is still short: apache goes at once (on memory the victim in
	 * flight was the wait, MemAvailable does not lag like PSI), never sshd */
	tb_exit(600);
	tb_step(3);
	ck_assert_ptr_nonnull(tb_signal_to(500));
	ck_assert_uint_eq(tb_signals(), 1);
	tb_exit(500);
	for (uint64_t t = 14; t < 60; t += 2) {
		tb_step(t);
		ck_assert_ptr_null(tb_signal_to(400));
		ck_assert_ptr_null(tb_signal_to(401));
	}
	/* nobody left to kill: said once per episode, not every tick */
	tb_step(61);
	ck_assert_uint_eq(tb_count(POL_ACT_REPORT), 0);
}
END_TEST

START_TEST(only_protected_left_reports_once)
{
	const struct pol_action *a;

	protect("10-sshd", "sshd");
	tb_proc(400, "sshd", "/system.slice/ssh.service", 6 * GiB);
	tb_procs[0].oom_score_adj = -1000;
	tb_engine_start();
	tb_avail_pm(100);
	tb_step(1);
	ck_assert_uint_eq(tb_signals(), 0);
	a = tb_act(POL_ACT_REPORT);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(strstr(a->reason, "no process may be killed"));
	ck_assert_int_eq(tb_step(2), 0);
	ck_assert_int_eq(tb_step(30), 0);
}
END_TEST

/* The last plan is at `stage`, signals nobody and drops slab on `metric` against `limit`. */
static const struct pol_action *expect_slab_drop(enum pol_stage stage, const char *metric,
						 uint64_t limit)
{
	const struct pol_action *a = tb_act(POL_ACT_DROP_SLAB);

	ck_assert_int_eq(tb_plan.stage, stage);
	ck_assert_uint_eq(tb_signals(), 0);
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->metric, metric);
	ck_assert_uint_eq(a->limit, limit);
	return a;
}

START_TEST(koji_slab_is_dropped_before_any_kill)
{
	/* 000: koji used 1 GB but 4-5 GB showed as used; nfs_inode_cache held 2.5 GB. */
	const struct pol_action *a;

	tb_proc(700, "httpd", "/system.slice/httpd.service", 1 * GiB);
	tb_proc(701, "postgres", "/system.slice/postgresql.service", 800 * MiB);
	tb_s.mem.sreclaimable_bytes = 2560 * MiB;
	tb_slab("dentry", 100 * MiB, true);
	tb_slab("nfs_inode_cache", 2450 * MiB, true);
	tb_slab("kmalloc-64", 3000 * MiB, false); /* unreclaimable: not named */
	tb_engine_start();
	tb_avail_pm(400); /* 4%: terminate */
	tb_step(1);
	tb_dump("koji");
	a = expect_slab_drop(POL_STAGE_TERMINATE, "slab_reclaimable_permyriad", 2000);
	ck_assert_uint_eq(a->measured, 3125); /* 2.5 GiB of 8 GiB */
	ck_assert_uint_eq(a->value, 2560 * MiB);
	ck_assert_ptr_nonnull(strstr(a->reason, "SReclaimable 2.5G is 31.25% of MemTotal"));
	ck_assert_ptr_nonnull(strstr(a->reason, "nfs_inode_cache"));
	ck_assert_ptr_null(strstr(a->reason, "kmalloc-64"));
	ck_assert_str_eq(a->rule, "/etc/oomguardian/oomguardian.conf:11 [Reclaim]");
	/* the drop freed the slab and memory recovered: nothing more */
	tb_s.mem.sreclaimable_bytes = 100 * MiB;
	tb_avail_pm(4000);
	ck_assert_int_eq(tb_step(2), 0);
	ck_assert_int_eq(tb_step(7), 0);
}
END_TEST

START_TEST(koji_slab_drop_not_repeated_then_kill)
{
	/* the drop did not help (it came back at once): the next step kills, the drop's hold-off
	 * is the reclaim rung's and holds back no higher one */
	tb_proc(700, "httpd", "/system.slice/httpd.service", 1 * GiB);
	tb_s.mem.sreclaimable_bytes = 2560 * MiB;
	tb_engine_start();
	tb_avail_pm(200);
	tb_step(1);
	ck_assert_ptr_nonnull(tb_act(POL_ACT_DROP_SLAB));
	ck_assert_uint_eq(tb_signals(), 0);
	tb_step(2);
	ck_assert_ptr_null(tb_act(POL_ACT_DROP_SLAB));
	ck_assert_ptr_nonnull(tb_signal_to(700));
}
END_TEST

/* A hog and `slab` bytes of reclaimable slab, one step at the [Reclaim] crossing (14%). */
static void slab_crossing(uint64_t slab)
{
	tb_proc(700, "hog", "/system.slice/oghog.service", 6 * GiB);
	tb_s.mem.sreclaimable_bytes = slab;
	tb_engine_start();
	tb_avail_pm(1400);
	tb_step(1);
}

START_TEST(slab_dropped_on_memory_condition_when_most_of_available)
{
	/* VM tier, scenario slab: MemAvailable counts reclaimable slab, so at the [Reclaim] 15%
	 * crossing slab is below 15% of MemTotal too (168 MiB of 1.25 GiB there); it is most of
	 * what is still available: drop it, kill nothing */
	const struct pol_action *a;

	tb_slab("dentry", 900 * MiB, true);
	tb_slab("kmalloc-64", 2 * GiB, false);
	slab_crossing(1 * GiB); /* 12.5% of total */
	tb_dump("slab of available");
	a = expect_slab_drop(POL_STAGE_RECLAIM, "slab_of_available_permyriad", 3300);
	ck_assert_uint_ge(a->measured, 8900); /* 1 GiB of 1.12 GiB */
	ck_assert_uint_eq(a->value, 1 * GiB);
	ck_assert_str_eq(a->target.unit, "dentry");
	ck_assert_ptr_nonnull(strstr(a->reason, "SReclaimable 1.0G (12.50% of MemTotal) is "));
	ck_assert_ptr_nonnull(strstr(a->reason, "still available (>= 33%)"));
	ck_assert_ptr_nonnull(strstr(a->reason, "largest reclaimable cache dentry 900.0M"));
	ck_assert_ptr_null(tb_act(POL_ACT_REPORT)); /* the drop is the reclaim stage's action */
	/* the drop freed it: not again, nothing killed while memory stays at 12% */
	tb_s.mem.sreclaimable_bytes = 40 * MiB;
	tb_avail_pm(1200);
	for (uint64_t t = 2; t < 200; t += 1) {
		tb_step(t);
		ck_assert_ptr_null(tb_act(POL_ACT_DROP_SLAB));
		ck_assert_uint_eq(tb_signals(), 0);
	}
}
END_TEST

START_TEST(small_slab_is_not_dropped)
{
	/* the same crossing with the slab of a busy box (2% of total, 1/7 of what is available):
	 * not what holds the RAM, the reclaim stage only reports */
	const struct pol_action *a;

	tb_slab("dentry", 150 * MiB, true);
	slab_crossing(160 * MiB);
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_RECLAIM);
	ck_assert_ptr_null(tb_act(POL_ACT_DROP_SLAB));
	a = tb_act(POL_ACT_REPORT);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(strstr(a->reason, "reclaimable slab is small"));
	/* a third of what is available but under 3% of total: still not worth a drop */
	tb_engine_start();
	tb_s.mem.sreclaimable_bytes = 200 * MiB; /* 2.4% */
	tb_avail_pm(500); /* 410 MiB: terminate */
	tb_step(1);
	ck_assert_ptr_null(tb_act(POL_ACT_DROP_SLAB));
	ck_assert_ptr_nonnull(tb_signal_to(700));
}
END_TEST

START_TEST(futile_slab_drop_is_not_repeated)
{
	/* a drop that freed nothing (pinned inodes): not again in this episode, nor in the next,
	 * until the slab grows well above what the drop left; then once more, a minute apart */
	const struct pol_action *a;

	slab_crossing(1 * GiB);
	ck_assert_ptr_nonnull(tb_act(POL_ACT_DROP_SLAB));
	for (uint64_t t = 2; t < 300; t += 3) { /* the slab stays: nothing more to drop */
		tb_step(t);
		ck_assert_ptr_null(tb_act(POL_ACT_DROP_SLAB));
	}
	tb_avail_pm(5000); /* the episode ends ... */
	ck_assert_int_eq(tb_step(301), 0);
	tb_avail_pm(1400); /* ... and another begins with the same slab */
	tb_step(302);
	ck_assert_ptr_null(tb_act(POL_ACT_DROP_SLAB));
	ck_assert_ptr_nonnull(tb_act(POL_ACT_REPORT));
	/* 600 MiB more slab, 1/3 of what is available: worth one more drop */
	tb_s.mem.sreclaimable_bytes = 1 * GiB + 600 * MiB;
	tb_step(303);
	a = tb_act(POL_ACT_DROP_SLAB);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->target.expected_free_bytes, 600 * MiB);
	ck_assert_ptr_nonnull(strstr(a->reason, "600.0M above the 1.0G the last drop left"));
	/* it freed nothing either; more growth at once waits for the minute */
	tb_s.mem.sreclaimable_bytes = 2 * GiB + 600 * MiB;
	tb_step(340);
	ck_assert_ptr_null(tb_act(POL_ACT_DROP_SLAB));
	tb_step(364);
	ck_assert_ptr_nonnull(tb_act(POL_ACT_DROP_SLAB));
}
END_TEST

static void devstack(void)
{
	struct pol_service *zk, *api;

	protect("10-sshd", "sshd"); /* lexical order: 10-, 50-, 60- */
	zk = tb_service("50-zookeeper");
	api = tb_service("60-nova-api");
	tb_strv_push(&zk->match.cgroup, "/system.slice/zookeeper.service");
	zk->kill_pref = POL_KP_PREFER;
	tb_match_cmdline(api, "^/usr/bin/python3 .*nova-api");
	api->budget_bytes = 800 * MiB;
	api->on_budget = POL_OB_REPORT;
	tb_proc(10, "sshd", "/system.slice/ssh.service", 10 * MiB)->oom_score_adj = -1000;
	tb_proc(20, "mysqld", "/system.slice/mysql.service", 1200 * MiB);
	tb_proc(21, "beam.smp", "/system.slice/rabbitmq-server.service", 300 * MiB);
	tb_proc(30, "java", "/system.slice/zookeeper.service", 400 * MiB);
	for (int i = 0; i < 24; i++) {
		struct og_proc *p =
			tb_proc(100 + i, "nova-api", "/system.slice/devstack@n-api.service",
				(uint64_t)(50 + i) * MiB);

		og_strscpy(p->cmdline, "/usr/bin/python3 /usr/local/bin/nova-api",
			   sizeof(p->cmdline));
	}
}

START_TEST(openstack_zookeeper_then_api_workers_then_bystanders)
{
	/* 001: 24 nova-api workers on an 8 GiB gate node, and a zookeeper nobody installed. */
	const struct pol_action *a;

	devstack();
	tb_engine_start();
	/* over budget already on a healthy machine: reported, no action */
	tb_step(1);
	a = tb_act(POL_ACT_REPORT);
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->metric, "budget_bytes");
	ck_assert_uint_eq(a->limit, 800 * MiB);
	ck_assert_uint_eq(a->measured, (24 * 50 + 276) * MiB);
	ck_assert_ptr_nonnull(
		strstr(a->reason, "service 60-nova-api (devstack@n-api.service) uses 1.4G"));
	ck_assert_ptr_nonnull(strstr(a->reason, "24 processes"));
	ck_assert_uint_eq(tb_signals(), 0);
	ck_assert_int_eq(tb_step(2), 0); /* once per over-budget episode */

	tb_avail_pm(200);
	tb_step(3);
	tb_dump("devstack 1");
	a = tb_signal_to(30);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(strstr(a->reason, "preferred by policy"));
	ck_assert_ptr_nonnull(strstr(a->reason, "50-zookeeper.policy"));
	ck_assert_uint_eq(tb_signals(), 1);
	tb_exit(30);
	/* then the over-budget API workers, largest first, before mysqld (1.2 GiB) */
	for (int k = 0; k < 3; k++) {
		tb_step(9 + 6 * (uint64_t)k);
		tb_dump("devstack n");
		ck_assert_uint_eq(tb_signals(), 1);
		a = tb_signal_to(123 - k);
		ck_assert_ptr_nonnull(a);
		ck_assert_ptr_nonnull(strstr(a->reason, "over its budget"));
		ck_assert_int_eq(tb_plan.top[0].tier, POL_TIER_OVER_BUDGET);
		tb_exit(123 - k);
	}
}
END_TEST

START_TEST(openstack_within_budget_api_is_a_bystander)
{
	devstack();
	tb_svcs[2].budget_bytes = 4 * GiB;
	tb_exit(30);
	tb_engine_start();
	tb_avail_pm(200);
	tb_step(1);
	ck_assert_ptr_nonnull(tb_signal_to(20)); /* the largest: mysqld */
}
END_TEST

START_TEST(numa_fragmented_node_compacts_and_migrates_not_kills)
{
	/* 003: order-2 OOM on node 1 (Normal: only 4 KiB blocks) while half the RAM is free. */
	struct pol_service *qemu = tb_service_name("30-qemu", "qemu-kvm");
	struct og_zone *z;
	const struct pol_action *a;

	tb_machine(64 * GiB, 32 * GiB);
	tb_r.cfg.numa_rebalance = true;
	qemu->kill_pref = POL_KP_AVOID;
	qemu->numa = true;
	tb_s.nnodes = 2;
	for (int n = 0; n < 2; n++) {
		tb_s.nodes[n].id = n;
		tb_s.nodes[n].total_bytes = 32 * GiB;
	}
	tb_s.nodes[0].free_bytes = 24 * GiB;
	tb_s.nodes[1].free_bytes = 8 * GiB;
	tb_s.nzones = 3;
	z = &tb_s.zones[0]; /* Node 0 Normal: healthy */
	z->node = 0;
	og_strscpy(z->name, "Normal", sizeof(z->name));
	z->norders = 11;
	z->free_blocks[0] = 622118;
	z->free_blocks[1] = 287275;
	z->free_blocks[2] = 161;
	z->free_blocks[5] = 30;
	z = &tb_s.zones[1]; /* Node 1 DMA: has blocks, but DMA is not ours */
	z->node = 1;
	og_strscpy(z->name, "DMA", sizeof(z->name));
	z->norders = 11;
	z->free_blocks[10] = 3;
	z = &tb_s.zones[2]; /* Node 1 Normal: 12930*4kB, nothing of order >= 1 */
	z->node = 1;
	og_strscpy(z->name, "Normal", sizeof(z->name));
	z->norders = 11;
	z->free_blocks[0] = 12930;
	z->has_zoneinfo = true;
	z->free_bytes = 12930 * 4096;
	z->min_bytes = 20 * MiB;
	z->managed_bytes = 28 * GiB;
	tb_proc(26541, "qemu-kvm", "/machine.slice/vm1.scope", 16 * GiB);
	tb_proc(30627, "qemu-kvm", "/machine.slice/vm2.scope", 14 * GiB);
	tb_proc(1500, "libvirtd", "/system.slice/libvirtd.service", 100 * MiB);
	tb_engine_start();

	tb_step(1);
	tb_dump("numa");
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_NONE);
	ck_assert_uint_eq(tb_signals(), 0);
	a = tb_act(POL_ACT_COMPACT);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->target.kind, POL_TGT_NODE);
	ck_assert_int_eq(a->target.node, 1);
	ck_assert_ptr_nonnull(strstr(a->reason, "node 1 zone Normal"));
	ck_assert_ptr_nonnull(strstr(a->reason, "order >= 2"));
	ck_assert_uint_eq(tb_count(POL_ACT_COMPACT), 1);
	a = tb_act(POL_ACT_MIGRATE);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->target.pid, 26541);
	ck_assert_int_eq(a->target.node, 1);
	ck_assert_int_eq(a->target.node_to, 0);
	ck_assert_uint_gt(a->value, 0);
	ck_assert_uint_le(a->value, 16 * GiB);
	ck_assert_str_eq(a->rule, "/etc/oomguardian/policy.d/30-qemu.policy");

	/* still fragmented: not repeated (once until it recovers) */
	for (uint64_t t = 2; t < 30; t += 3) {
		tb_step(t);
		ck_assert_uint_eq(tb_count(POL_ACT_COMPACT) + tb_count(POL_ACT_MIGRATE), 0);
	}
	/* recovered, then fragmented again: a new compaction */
	tb_s.zones[2].free_blocks[3] = 100;
	tb_step(31);
	ck_assert_uint_eq(tb_count(POL_ACT_COMPACT), 0);
	tb_s.zones[2].free_blocks[3] = 0;
	tb_step(32);
	ck_assert_uint_eq(tb_count(POL_ACT_COMPACT), 1);

	/* Issue 10 item 6: guarding one cgroup, the host's nodes are not ours to compact... */
	og_strscpy(tb_r.cfg.scope, "/machine.slice", sizeof(tb_r.cfg.scope));
	tb_s.zones[2].free_blocks[3] = 100;
	tb_step(60);
	tb_s.zones[2].free_blocks[3] = 0;
	for (uint64_t t = 61; t < 90; t += 3) {
		tb_step(t);
		ck_assert_uint_eq(tb_count(POL_ACT_COMPACT), 0);
	}
	/* ...unless the configuration says so */
	tb_r.cfg.machine_wide_reclaim = true;
	tb_step(91);
	ck_assert_uint_eq(tb_count(POL_ACT_COMPACT), 1);
}
END_TEST

START_TEST(numa_off_or_one_node_never_migrates)
{
	struct pol_service *qemu = tb_service_name("30-qemu", "qemu-kvm");

	qemu->numa = true;
	tb_proc(100, "qemu-kvm", "/machine.slice/vm1.scope", 4 * GiB);
	tb_s.nnodes = 2;
	tb_s.nodes[0] =
		(struct og_numa_node){.id = 0, .total_bytes = 4 * GiB, .free_bytes = 100 * MiB};
	tb_s.nodes[1] =
		(struct og_numa_node){.id = 1, .total_bytes = 4 * GiB, .free_bytes = 3 * GiB};
	tb_engine_start();
	tb_step(1);
	ck_assert_ptr_null(tb_act(POL_ACT_MIGRATE)); /* NUMARebalance= off */
	tb_r.cfg.numa_rebalance = true;
	tb_step(2);
	ck_assert_ptr_nonnull(tb_act(POL_ACT_MIGRATE));
	ck_assert_int_eq(tb_act(POL_ACT_MIGRATE)->target.node, 0);
	ck_assert_int_eq(tb_act(POL_ACT_MIGRATE)->target.node_to, 1);
	/* a protected process is never migrated */
	pol_state_free(&tb_st);
	qemu->protect = true;
	tb_engine_start();
	tb_step(3);
	ck_assert_ptr_null(tb_act(POL_ACT_MIGRATE));
}
END_TEST

/* ------------------------------------------------------------------ dynamics */

START_TEST(fast_spike_goes_straight_to_kill)
{
	const struct pol_action *a;

	/* 60% -> 12% (slab-heavy: the reclaim rung drops it) -> 0.8% 100 ms later: the drop's
	 * hold-off is the reclaim rung's, the kill goes at once */
	tb_proc(100, "spiky", "/user.slice", 5 * GiB);
	tb_proc(101, "calm", "/user.slice", 500 * MiB);
	tb_s.mem.sreclaimable_bytes = 2 * GiB;
	tb_engine_start();
	tb_avail_pm(6000);
	ck_assert_int_eq(tb_step(1), 0);
	tb_avail_pm(1200);
	tb_step_usec(2 * SEC);
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_RECLAIM);
	ck_assert_ptr_nonnull(tb_act(POL_ACT_DROP_SLAB));
	tb_avail_pm(80);
	tb_step_usec(2 * SEC + 100000);
	tb_dump("spike");
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_KILL);
	ck_assert_uint_eq(tb_signals(), 1);
	a = tb_signal_to(100);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->kind, POL_ACT_KILL);
	ck_assert_ptr_null(tb_act(POL_ACT_THROTTLE));
	ck_assert_ptr_null(tb_act(POL_ACT_DROP_SLAB)); /* once per episode */
}
END_TEST

/* A memory-limited cgroup2 (or v1) scope of 512 MiB with a hog in it and the shipped ladder. */
static void fast_hog_scope(enum og_cg_layout layout)
{
	cfg_config_defaults(&tb_r.cfg);
	tb_machine(24 * GiB, 20 * GiB);
	og_strscpy(tb_r.cfg.scope, "/ogtest", sizeof(tb_r.cfg.scope));
	tb_s.has_scope_cg = true;
	og_strscpy(tb_s.scope_cg.path, "/ogtest", sizeof(tb_s.scope_cg.path));
	tb_s.scope_cg.layout = layout;
	tb_s.scope_cg.has_memory = true;
	tb_s.scope_cg.max_bytes = 512 * MiB;
	tb_proc(200, "ogprot", "/ogtest", 20 * MiB);
	tb_proc(201, "memhog", "/ogtest", 300 * MiB);
}

/* scope available = permyriad of the 512 MiB limit */
static void scope_avail_pm(uint64_t pm)
{
	tb_s.scope_cg.current_bytes = 512 * MiB - 512 * MiB / 10000 * pm;
}

START_TEST(fast_hog_climbs_every_rung_within_the_holdoff)
{
	/* 1.5 GiB/s into 512 MiB, a step every 100 ms, HoldOffSec=10s: 30% -> 12% -> 4% -> 1.5% */
	const struct pol_action *a;

	fast_hog_scope(OG_CG_V2);
	ck_assert_uint_eq(tb_r.cfg.holdoff_usec, 10 * SEC);
	tb_engine_start();
	scope_avail_pm(3000);
	ck_assert_int_eq(tb_step_usec(1 * SEC), 0);
	scope_avail_pm(1200);
	tb_step_usec(1 * SEC + 100000);
	tb_dump("hog 12%");
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_RECLAIM);
	a = tb_act(POL_ACT_RECLAIM_CGROUP);
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->target.cgroup, "/ogtest");
	scope_avail_pm(400);
	tb_step_usec(1 * SEC + 200000);
	tb_dump("hog 4%");
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_TERMINATE);
	a = tb_signal_to(201);
	ck_assert_ptr_nonnull(a); /* reclaim was 100 ms ago: it holds back no higher rung */
	ck_assert_int_eq(a->kind, POL_ACT_TERM);
	ck_assert_uint_eq(a->value, 5 * SEC);
	scope_avail_pm(150);
	tb_step_usec(1 * SEC + 300000);
	tb_dump("hog 1.5%");
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_KILL);
	a = tb_signal_to(201);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->kind, POL_ACT_KILL);
	ck_assert_ptr_nonnull(strstr(a->reason, "escalating to SIGKILL"));
	ck_assert_uint_eq(tb_signals(), 1);
	ck_assert_ptr_null(tb_signal_to(200));
}
END_TEST

START_TEST(v1_scope_plans_no_memory_reclaim)
{
	/* memory.reclaim is cgroup2-only: on the v1 layout a report; the slab could only go with
	 * the machine-wide drop, which a scope does only with MachineWideReclaim=yes (issue 10
	 * item 6); nothing inert is planned (nor arms a hold-off) */
	const struct pol_action *a;

	fast_hog_scope(OG_CG_V1);
	tb_engine_start();
	scope_avail_pm(1200);
	tb_step(1);
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_RECLAIM);
	ck_assert_ptr_null(tb_act(POL_ACT_RECLAIM_CGROUP));
	a = tb_act(POL_ACT_REPORT);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(strstr(a->reason, "no memory.reclaim"));
	ck_assert_uint_eq(tb_st.holdoff_until_usec, 0);
	/* slab-heavy v1 scope: no drop_caches for the whole machine by default */
	pol_state_free(&tb_st);
	tb_engine_start();
	tb_s.scope_cg.slab_reclaimable_bytes = 200 * MiB;
	tb_step(2);
	ck_assert_ptr_null(tb_act(POL_ACT_RECLAIM_CGROUP));
	ck_assert_ptr_null(tb_act(POL_ACT_DROP_SLAB));
	ck_assert_ptr_null(tb_act(POL_ACT_DROP_CACHES));
	/* MachineWideReclaim=yes: DROP_SLAB, not RECLAIM_CGROUP */
	pol_state_free(&tb_st);
	tb_r.cfg.machine_wide_reclaim = true;
	tb_engine_start();
	tb_step(3);
	ck_assert_ptr_null(tb_act(POL_ACT_RECLAIM_CGROUP));
	a = tb_act(POL_ACT_DROP_SLAB);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->target.kind, POL_TGT_SYSTEM);
	ck_assert_ptr_nonnull(strstr(a->reason, "machine-wide"));
}
END_TEST

START_TEST(slow_leak_climbs_the_ladder_in_order)
{
	struct pol_service *leaky = tb_service_name("40-leaky", "leaky");
	const struct pol_action *a;

	leaky->throttle = true;
	tb_proc(100, "leaky", "/system.slice/leaky.service", 3 * GiB);
	tb_proc(101, "other", "/system.slice/other.service", 1 * GiB);
	tb_cgroup("/system.slice/leaky.service", 3 * GiB + 400 * MiB, OG_UNLIMITED);
	tb_engine_start();

	tb_avail_pm(2000);
	ck_assert_int_eq(tb_step(1), 0);
	tb_avail_pm(1400); /* reclaim */
	tb_step(10);
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_RECLAIM);
	ck_assert_uint_eq(tb_plan.n, 1);
	a = tb_act(POL_ACT_REPORT);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->stage, POL_STAGE_RECLAIM);
	ck_assert_ptr_nonnull(strstr(a->reason, "reclaim threshold"));

	tb_avail_pm(900); /* throttle */
	tb_step(20);
	tb_dump("leak throttle");
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_THROTTLE);
	a = tb_act(POL_ACT_THROTTLE);
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->target.cgroup, "/system.slice/leaky.service");
	ck_assert_uint_eq(a->value, (3 * GiB + 400 * MiB) - (3 * GiB + 400 * MiB) / 10);
	ck_assert_uint_eq(tb_signals(), 0);
	tb_step(26);
	ck_assert_ptr_null(tb_act(POL_ACT_THROTTLE)); /* once per episode and service */

	tb_avail_pm(450); /* terminate */
	tb_step(30);
	tb_dump("leak term");
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_TERMINATE);
	a = tb_signal_to(100);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->kind, POL_ACT_TERM);
	ck_assert_uint_eq(a->value, 5 * SEC);

	tb_avail_pm(200); /* kill, 2 s into the grace: escalate now, within the hold-off */
	tb_step(32);
	tb_dump("leak kill");
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_KILL);
	ck_assert_uint_eq(tb_signals(), 1);
	a = tb_signal_to(100);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->kind, POL_ACT_KILL);
	ck_assert_ptr_nonnull(strstr(a->reason, "escalating to SIGKILL"));
	ck_assert_ptr_nonnull(strstr(a->reason, "< 2.50% kill threshold while leaky pid 100"));
	ck_assert_str_eq(a->rule, "/etc/oomguardian/oomguardian.conf:14 [Kill]");
	/* escalated once; while it lives no other victim and no second signal */
	for (uint64_t t = 33; t < 42; t++) {
		tb_step(t);
		ck_assert_uint_eq(tb_signals(), 0);
	}
}
END_TEST

START_TEST(term_then_kill_after_grace)
{
	const struct pol_action *a;

	tb_proc(100, "slow", "/", 3 * GiB);
	tb_proc(101, "next", "/", 1 * GiB);
	tb_engine_start();
	tb_avail_pm(400);
	tb_step(10);
	a = tb_signal_to(100);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->kind, POL_ACT_TERM);
	for (uint64_t t = 11; t < 15; t++) {
		tb_step(t);
		ck_assert_uint_eq(tb_signals(), 0);
	}
	tb_step(15);
	a = tb_signal_to(100);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->kind, POL_ACT_KILL);
	ck_assert_str_eq(a->metric, "term_grace_usec");
	ck_assert_uint_eq(a->limit, 5 * SEC);
	ck_assert_ptr_nonnull(strstr(a->reason, "did not exit within its 5.0s SIGTERM grace"));
	ck_assert_uint_eq(tb_signals(), 1);
	/* stuck (D state): blocks until kill timeout (10 s after the KILL), never signalled again
	 */
	for (uint64_t t = 16; t < 25; t++) {
		tb_step(t);
		ck_assert_uint_eq(tb_signals(), 0);
	}
	tb_step(25);
	ck_assert_ptr_null(tb_signal_to(100));
	ck_assert_ptr_nonnull(tb_signal_to(101));
	for (uint64_t t = 26; t < 60; t++) {
		tb_step(t);
		ck_assert_ptr_null(tb_signal_to(100));
	}
}
END_TEST

START_TEST(grace_zero_kills_at_once)
{
	struct pol_service *svc = tb_service_name("40-fast", "fast");

	svc->term_grace_usec = 0;
	tb_proc(100, "fast", "/", 3 * GiB);
	tb_engine_start();
	tb_avail_pm(400);
	tb_step(1);
	ck_assert_ptr_nonnull(tb_signal_to(100));
	ck_assert_int_eq(tb_signal_to(100)->kind, POL_ACT_KILL);
	ck_assert_int_eq(tb_signal_to(100)->stage, POL_STAGE_TERMINATE);
}
END_TEST

START_TEST(vanished_victim_lets_the_next_one_go)
{
	tb_proc(100, "a", "/", 3 * GiB);
	tb_proc(101, "b", "/", 2 * GiB);
	tb_engine_start();
	tb_avail_pm(100);
	tb_step(10);
	ck_assert_ptr_nonnull(tb_signal_to(100));
	tb_step(11); /* still alive: blocks */
	ck_assert_uint_eq(tb_signals(), 0);
	tb_exit(100);
	tb_step(12); /* gone and memory still below the kill threshold: the next one, at once */
	ck_assert_ptr_nonnull(tb_signal_to(101));
	ck_assert_uint_eq(tb_signals(), 1);
}
END_TEST

START_TEST(psi_kill_waits_for_its_holdoff_after_a_vanished_victim)
{
	/* PSI avg10 lags the kill by seconds: on PSI the kill rung waits out its hold-off (5 s) */
	tb_r.cfg.stage[POL_STAGE_KILL].psi_full = (struct pol_psi_limit){
		.set = true, .full = true, .limit_centi = 8000, .duration_usec = 0};
	tb_proc(100, "a", "/", 3 * GiB);
	tb_proc(101, "b", "/", 2 * GiB);
	tb_engine_start();
	tb_s.psi.memory.full.avg10_centi = 9000;
	tb_step(10);
	ck_assert_int_eq(tb_signal_to(100)->kind, POL_ACT_KILL);
	tb_exit(100);
	for (uint64_t t = 11; t < 15; t++)
		ck_assert_uint_eq((tb_step(t), tb_signals()), 0);
	tb_step(15);
	ck_assert_ptr_nonnull(tb_signal_to(101));
	ck_assert_str_eq(tb_signal_to(101)->metric, "psi_full_avg10_centi");
}
END_TEST

START_TEST(zombie_or_reused_pid_counts_as_gone)
{
	tb_proc(100, "a", "/", 3 * GiB);
	tb_proc(101, "b", "/", 2 * GiB);
	tb_engine_start();
	tb_avail_pm(100);
	tb_step(10);
	ck_assert_ptr_nonnull(tb_signal_to(100));
	tb_find_proc(100)->state = 'Z';
	tb_step(16);
	ck_assert_ptr_nonnull(tb_signal_to(101));
	/* b's pid is reused by a new, bigger process: a new process, fair game later */
	tb_exit(100);
	tb_find_proc(101)->starttime_ticks = 99999;
	tb_find_proc(101)->rss_anon_bytes = 4 * GiB;
	tb_step(22);
	ck_assert_ptr_nonnull(tb_signal_to(101));
	ck_assert_uint_eq(tb_signal_to(101)->target.starttime_ticks, 99999);
}
END_TEST

START_TEST(memory_only_snapshot_neither_retires_nor_chooses)
{
	tb_proc(100, "a", "/", 3 * GiB);
	tb_proc(101, "b", "/", 2 * GiB);
	tb_engine_start();
	tb_avail_pm(100);
	tb_step(10);
	ck_assert_ptr_nonnull(tb_signal_to(100));
	tb_s.nprocs = 0; /* fast poll: meminfo only */
	for (uint64_t t = 11; t < 19; t++)
		ck_assert_uint_eq((tb_step(t), tb_signals()), 0);
	tb_s.nprocs = 2; /* a is still there: still blocking (kill timeout at 20), not again */
	tb_step(19);
	ck_assert_uint_eq(tb_signals(), 0);
	tb_step(20); /* timeout: b may go, a never again */
	ck_assert_ptr_nonnull(tb_signal_to(101));
	ck_assert_ptr_null(tb_signal_to(100));
}
END_TEST

START_TEST(never_the_same_victim_twice)
{
	size_t to_a = 0, to_b = 0;

	tb_proc(100, "a", "/", 3 * GiB);
	tb_proc(101, "b", "/", 2 * GiB);
	tb_engine_start();
	tb_avail_pm(100);
	for (uint64_t t = 1; t < 200; t++) {
		tb_step(t);
		to_a += tb_signal_to(100) != NULL;
		to_b += tb_signal_to(101) != NULL;
		ck_assert_uint_le(tb_signals(), 1);
	}
	ck_assert_uint_eq(to_a, 1); /* KILL at the kill stage, never repeated */
	ck_assert_uint_eq(to_b, 1);
}
END_TEST

START_TEST(stuck_victims_fill_the_table_without_repeats)
{
	size_t signals[80] = {0};

	for (int i = 0; i < 70; i++)
		tb_proc(100 + i, "stuck", "/", (uint64_t)(100 - i) * MiB);
	tb_engine_start();
	tb_avail_pm(100);
	/* every victim ignores SIGKILL: one new one per kill timeout (10 s), none twice while the
	 * table holds them all (POL_VICTIMS_MAX) */
	for (uint64_t t = 1; t < 10 * POL_VICTIMS_MAX; t++) {
		tb_step(t);
		for (size_t k = 0; k < tb_plan.n; k++)
			if (tb_plan.actions[k].kind == POL_ACT_KILL)
				signals[tb_plan.actions[k].target.pid - 100]++;
	}
	for (int i = 0; i < POL_VICTIMS_MAX; i++)
		ck_assert_uint_eq(signals[i], 1);
	ck_assert_uint_eq(tb_st.nvictims, POL_VICTIMS_MAX);
	/* full: the oldest stuck one is forgotten to make room, the next victim is new */
	tb_step(10 * POL_VICTIMS_MAX + 1);
	ck_assert_ptr_nonnull(tb_signal_to(100 + POL_VICTIMS_MAX));
	ck_assert_uint_eq(tb_st.nvictims, POL_VICTIMS_MAX);
}
END_TEST

/* Start, one step in the kill stage: its SIGKILL, of a cgroup. */
static const struct pol_action *tb_cgroup_kill_at_start(void)
{
	const struct pol_action *a;

	tb_engine_start();
	tb_avail_pm(100);
	tb_step(1);
	a = tb_act(POL_ACT_KILL);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->target.kind, POL_TGT_CGROUP);
	return a;
}

START_TEST(cgroup_victim_blocks_until_its_last_member_exits)
{
	struct pol_service *svc = tb_service("30-vms");
	const struct pol_action *a;

	tb_strv_push(&svc->match.cgroup, "/machine.slice/*");
	svc->kill_unit = POL_KU_CGROUP;
	svc->term_grace_usec = 0;
	tb_proc(100, "qemu-kvm", "/machine.slice/vm1.scope", 3 * GiB);
	tb_proc(101, "qemu-helper", "/machine.slice/vm1.scope", 100 * MiB);
	tb_proc(200, "other", "/user.slice", 2 * GiB);
	a = tb_cgroup_kill_at_start();
	ck_assert_str_eq(a->target.cgroup, "/machine.slice/vm1.scope");
	ck_assert_ptr_nonnull(strstr(a->reason, "cgroup '/machine.slice/vm1.scope'"));
	tb_exit(100);
	tb_step(7); /* the helper lives on: the cgroup is still in flight */
	ck_assert_uint_eq(tb_signals(), 0);
	tb_exit(101);
	tb_step(8);
	ck_assert_ptr_nonnull(tb_signal_to(200));
}
END_TEST

/* Issue 7, cgroup-first: groups ranked by their own counters (current - file), the scope
 * itself, groups outside it and groups without counters left out. */
START_TEST(cgroups_rank_by_their_counters)
{
	struct pol_cg_rank rk[4];
	struct og_cgroup *b;

	tb_cgroup("/scope", 4 * GiB, OG_UNLIMITED);
	tb_cgroup("/scope/a", 100 * MiB, OG_UNLIMITED)->file_bytes = 10 * MiB;
	b = tb_cgroup("/scope/b", 300 * MiB, OG_UNLIMITED);
	b->file_bytes = 250 * MiB; /* mostly page cache: frees 50M */
	tb_cgroup("/scope/c", 200 * MiB, OG_UNLIMITED);
	tb_cgroup("/scopex", 3 * GiB, OG_UNLIMITED); /* a sibling, not inside */
	tb_cgroup("/other", 1 * GiB, OG_UNLIMITED);
	tb_cgroup("/scope/d", 900 * MiB, OG_UNLIMITED)->has_memory = false;
	ck_assert_uint_eq(pol_cgroups_rank(&tb_s, "/scope", rk, 4), 3);
	ck_assert_str_eq(tb_s.cgroups[rk[0].index].path, "/scope/c");
	ck_assert_uint_eq(rk[0].free_bytes, 200 * MiB);
	ck_assert_str_eq(tb_s.cgroups[rk[1].index].path, "/scope/a");
	ck_assert_uint_eq(rk[1].free_bytes, 90 * MiB);
	ck_assert_str_eq(tb_s.cgroups[rk[2].index].path, "/scope/b");
	ck_assert_uint_eq(pol_cgroups_rank(&tb_s, "/scope", rk, 2), 2); /* the best two */
	ck_assert_str_eq(tb_s.cgroups[rk[1].index].path, "/scope/a");
	ck_assert_uint_eq(pol_cgroups_rank(&tb_s, "", rk, 4), 4); /* machine: all but d */
	ck_assert_str_eq(tb_s.cgroups[rk[0].index].path, "/scope");
}
END_TEST

/* The biggest group by its counters goes as a whole, though its processes hold less than
 * another group's; a group with a protected member gives way to its members one by one. */
START_TEST(cgroup_first_takes_the_biggest_group)
{
	struct pol_service *svc = tb_service("30-jobs");
	const struct pol_action *a;

	protect("10-prot", "ogprot");
	tb_strv_push(&svc->match.cgroup, "/jobs/*");
	svc->kill_unit = POL_KU_CGROUP;
	svc->term_grace_usec = 0;
	tb_cgroup("/jobs/j1", 700 * MiB, OG_UNLIMITED);
	tb_cgroup("/jobs/j2", 1200 * MiB, OG_UNLIMITED)->file_bytes = 100 * MiB;
	tb_cgroup("/jobs/j3", 2 * GiB, OG_UNLIMITED);
	tb_proc(100, "w1", "/jobs/j1", 600 * MiB);
	tb_proc(101, "w1b", "/jobs/j1", 50 * MiB);
	tb_proc(200, "w2", "/jobs/j2", 300 * MiB); /* kernel memory, tmpfs-free: counted */
	tb_proc(201, "w2b", "/jobs/j2", 200 * MiB);
	tb_proc(300, "ogprot", "/jobs/j3", 10 * MiB);
	tb_proc(301, "w3", "/jobs/j3", 400 * MiB);
	a = tb_cgroup_kill_at_start();
	ck_assert_str_eq(a->target.cgroup, "/jobs/j2");
	ck_assert_uint_eq(a->target.expected_free_bytes, 1100 * MiB);
	ck_assert_int_eq(a->target.pid, 200); /* its largest member stands for it */
	ck_assert_uint_ge(tb_plan.ntop, 3);
	ck_assert_int_eq(tb_plan.top[1].target.kind, POL_TGT_CGROUP); /* j1 */
	ck_assert_str_eq(tb_plan.top[1].target.cgroup, "/jobs/j1");
	/* j3 cannot go whole: w3 alone, ranked by itself */
	ck_assert_int_eq(tb_plan.top[2].target.kind, POL_TGT_PROCESS);
	ck_assert_int_eq(tb_plan.top[2].target.pid, 301);
	for (size_t i = 0; i < tb_plan.ntop; i++)
		ck_assert_int_ne(tb_plan.top[i].target.pid, 300);
}
END_TEST

START_TEST(process_group_victim_blocks_until_the_group_is_gone)
{
	struct pol_service *svc = tb_service_name("40-make", "cc1");

	svc->kill_unit = POL_KU_PROCESS_GROUP;
	tb_proc(100, "cc1", "/user.slice", 1 * GiB)->pgid = 90;
	tb_proc(101, "cc1", "/user.slice", 1 * GiB)->pgid = 90;
	tb_proc(200, "other", "/user.slice", 1500 * MiB);
	tb_engine_start();
	tb_avail_pm(100);
	tb_step(1);
	ck_assert_int_eq(tb_act(POL_ACT_KILL)->target.kind, POL_TGT_PROCESS_GROUP);
	ck_assert_int_eq(tb_act(POL_ACT_KILL)->target.pgid, 90);
	tb_exit(100);
	ck_assert_uint_eq((tb_step(7), tb_signals()), 0);
	tb_exit(101);
	tb_step(8);
	ck_assert_ptr_nonnull(tb_signal_to(200));
}
END_TEST

START_TEST(flapping_pressure_does_not_repeat)
{
	size_t reports = 0;

	tb_proc(100, "a", "/", 3 * GiB);
	tb_engine_start();
	/* around the 15% reclaim threshold, never 2% above it: one episode, one action */
	for (uint64_t t = 1; t < 60; t++) {
		tb_avail_pm(t % 2 ? 1450 : 1600);
		tb_step(t);
		reports += tb_count(POL_ACT_REPORT);
		ck_assert_int_eq(tb_plan.stage, POL_STAGE_RECLAIM);
	}
	ck_assert_uint_eq(reports, 1);
	/* clear (> 17%), then dip again: a new episode, a new report */
	tb_avail_pm(1800);
	tb_step(60);
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_NONE);
	tb_avail_pm(1400);
	tb_step(61);
	ck_assert_uint_eq(tb_count(POL_ACT_REPORT), 1);
}
END_TEST

START_TEST(flapping_around_kill_holds_off)
{
	size_t signals = 0;

	tb_r.cfg.stage[POL_STAGE_KILL].psi_full = (struct pol_psi_limit){
		.set = true, .full = true, .limit_centi = 8000, .duration_usec = 0};
	for (int i = 0; i < 10; i++)
		tb_proc(100 + i, "w", "/", (uint64_t)(i + 1) * 100 * MiB);
	tb_engine_start();
	/* 1 s ticks, PSI full flapping 90%/79%, the victim exits at once: one kill per hold-off */
	for (uint64_t t = 1; t <= 5; t++) {
		tb_s.psi.memory.full.avg10_centi = t % 2 ? 9000 : 7900;
		tb_step(t);
		signals += tb_signals();
		if (tb_signals())
			tb_exit(tb_plan.actions[0].target.pid);
	}
	ck_assert_uint_eq(signals, 1);
	tb_s.psi.memory.full.avg10_centi = 9000;
	tb_step(6); /* 5 s after the kill */
	ck_assert_uint_eq(tb_signals(), 1);
	/* on memory there is no lag to wait for: flapping 2%/3% (kill, or terminate in the kill
	 * stage's hysteresis band), each victim gone at once, the next goes at each step */
	tb_s.psi.memory.full.avg10_centi = 0;
	tb_exit(tb_plan.actions[0].target.pid);
	for (uint64_t t = 7; t <= 10; t++) {
		tb_avail_pm(t % 2 ? 200 : 300);
		tb_step(t);
		ck_assert_uint_eq(tb_signals(), 1);
		ck_assert_int_eq(tb_plan.actions[0].kind, t % 2 ? POL_ACT_KILL : POL_ACT_TERM);
		tb_exit(tb_plan.actions[0].target.pid);
	}
}
END_TEST

START_TEST(hysteresis_band_does_not_widen_the_kill_zone)
{
	tb_r.cfg.stage[POL_STAGE_TERMINATE].mem_avail_permyriad = 0; /* kill only */
	tb_proc(100, "a", "/", 3 * GiB);
	tb_proc(101, "b", "/", 2 * GiB);
	tb_engine_start();
	tb_avail_pm(200);
	tb_step(1);
	ck_assert_ptr_nonnull(tb_signal_to(100));
	tb_exit(100);
	/* 3%: above the 2.5% kill threshold, below it + 2% hysteresis: the stage stays, no kill */
	tb_avail_pm(300);
	for (uint64_t t = 10; t < 40; t += 3) {
		tb_step(t);
		ck_assert_int_eq(tb_plan.stage, POL_STAGE_KILL);
		ck_assert_uint_eq(tb_signals(), 0);
	}
	tb_avail_pm(200);
	tb_step(40);
	ck_assert_ptr_nonnull(tb_signal_to(101));
}
END_TEST

START_TEST(terminate_victim_escalates_only_on_a_real_kill_trigger)
{
	tb_proc(100, "a", "/", 3 * GiB);
	tb_engine_start();
	tb_avail_pm(200); /* kill episode opens */
	tb_step(1);
	ck_assert_int_eq(tb_signal_to(100)->kind, POL_ACT_KILL);
	tb_exit(100);
	tb_proc(101, "b", "/", 2 * GiB);
	tb_avail_pm(400); /* terminate fires, kill held by hysteresis only */
	tb_step(10);
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_KILL);
	ck_assert_ptr_nonnull(tb_signal_to(101));
	ck_assert_int_eq(tb_signal_to(101)->kind, POL_ACT_TERM);
	tb_step(11); /* within grace, kill stage only held: no escalation yet */
	ck_assert_uint_eq(tb_signals(), 0);
	tb_step(15); /* grace over */
	ck_assert_int_eq(tb_signal_to(101)->kind, POL_ACT_KILL);
}
END_TEST

START_TEST(psi_limit_must_hold_for_its_duration)
{
	struct pol_threshold *t = &tb_r.cfg.stage[POL_STAGE_TERMINATE];
	const struct pol_action *a;

	t->psi_full = (struct pol_psi_limit){
		.set = true, .full = true, .limit_centi = 1000, .duration_usec = 10 * SEC};
	tb_proc(100, "thrash", "/", 3 * GiB);
	tb_engine_start();
	tb_s.psi.memory.full.avg10_centi = 2000;
	ck_assert_uint_eq((tb_step(10), tb_signals()), 0);
	ck_assert_uint_eq((tb_step(15), tb_signals()), 0);
	tb_s.psi.memory.full.avg10_centi = 900; /* dips: the timer restarts */
	ck_assert_uint_eq((tb_step(16), tb_signals()), 0);
	tb_s.psi.memory.full.avg10_centi = 2500;
	ck_assert_uint_eq((tb_step(17), tb_signals()), 0);
	ck_assert_uint_eq((tb_step(26), tb_signals()), 0);
	tb_step(27);
	a = tb_signal_to(100);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->kind, POL_ACT_TERM);
	ck_assert_str_eq(a->metric, "psi_full_avg10_centi");
	ck_assert_uint_eq(a->measured, 2500);
	ck_assert_uint_eq(a->limit, 1000);
	ck_assert_ptr_nonnull(strstr(a->reason, "memory PSI full avg10 25.00% > 10.00% for 10s"));
}
END_TEST

/* The stages' pressure limits as built in (cfg_main.c), for the tests of pol_psi_quiet(). */
static void builtin_psi_limits(void)
{
	struct pol_config *c = &tb_r.cfg;

	c->stage[POL_STAGE_RECLAIM].psi_some =
		(struct pol_psi_limit){.set = true, .limit_centi = 4000, .duration_usec = 10 * SEC};
	c->stage[POL_STAGE_THROTTLE].psi_some =
		(struct pol_psi_limit){.set = true, .limit_centi = 6000, .duration_usec = 10 * SEC};
	c->stage[POL_STAGE_THROTTLE].psi_full = (struct pol_psi_limit){
		.set = true, .full = true, .limit_centi = 2000, .duration_usec = 10 * SEC};
	c->stage[POL_STAGE_TERMINATE].psi_full = (struct pol_psi_limit){
		.set = true, .full = true, .limit_centi = 4000, .duration_usec = 10 * SEC};
}

static bool quiet(void)
{
	return pol_psi_quiet(&tb_r, &tb_st, &tb_s.psi.memory);
}

START_TEST(psi_quiet_only_under_every_limit)
{
	struct og_psi_line *some = &tb_s.psi.memory.some, *full = &tb_s.psi.memory.full;

	builtin_psi_limits();
	tb_proc(100, "a", "/", 1 * GiB);
	tb_engine_start();
	some->avg10_centi = 1700;
	ck_assert(quiet());
	ck_assert(pol_psi_quiet(&tb_r, &tb_st, NULL));
	some->avg10_centi = 4000; /* at the limit is not above it */
	ck_assert(quiet());
	some->avg10_centi = 4001;
	ck_assert(!quiet());
	some->avg10_centi = 1700;
	full->avg10_centi = 2001; /* [Throttle]'s full 20% */
	ck_assert(!quiet());
	full->avg10_centi = 0;
	/* a timer a step started holds it until a step stops it, though pressure fell */
	some->avg10_centi = 5000;
	tb_step(1);
	some->avg10_centi = 1000;
	ck_assert(!quiet());
	tb_step(2);
	ck_assert(quiet());
	/* an active stage (on memory) must be cleared by a step */
	tb_avail_pm(1400);
	tb_step(3);
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_RECLAIM);
	ck_assert(!quiet());
	tb_avail_pm(6000);
	tb_step(4);
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_NONE);
	ck_assert(quiet());
	/* a policy's PressureLimit= is measured on its cgroup, in the snapshot only */
	tb_service("svc")->pressure_limit = (struct pol_psi_limit){
		.set = true, .limit_centi = 3000, .duration_usec = 10 * SEC};
	ck_assert(!quiet());
}
END_TEST

/*
 * What the loop does with a PSI wake-up (loop_kick_psi): no step while pol_psi_quiet(). Over a
 * minute of pressure rising past [Reclaim]'s 40% for longer than its 10 s and falling again,
 * an engine that steps only then decides what one stepping every second does: the same stage
 * at every step it takes, the same actions at the same times, and the skipped seconds are ones
 * where the other stayed at stage none and did nothing.
 */
START_TEST(skipping_quiet_steps_changes_no_decision)
{
	static const uint32_t some[] = {1000, 1500, 2500, 3500, 4100, 4500, 5000, 5000, 4800,
					4600, 4500, 4400, 4300, 4200, 4100, 4100, 3900, 3000,
					2000, 1500, 1000, 4500, 4500, 4500, 1200, 800,  500,
					4200, 4300, 4400, 4500, 4600, 4700, 4800, 4900, 5000,
					5100, 5200, 5300, 5400, 5500, 2000, 1000, 900,  800};
	enum { N = sizeof(some) / sizeof(some[0]) };
	enum pol_stage every[N];
	int acts[N], skipped = 0, reclaim = 0;

	builtin_psi_limits();
	tb_proc(100, "a", "/", 1 * GiB);
	for (int pass = 0; pass < 2; pass++) {
		tb_engine_start();
		for (int t = 0; t < N; t++) {
			tb_s.psi.memory.some.avg10_centi = some[t];
			if (pass == 0) {
				acts[t] = tb_step((uint64_t)t + 1);
				every[t] = tb_plan.stage;
			} else if (quiet()) {
				skipped++;
				ck_assert_msg(every[t] == POL_STAGE_NONE && acts[t] == 0,
					      "t=%d skipped, the other was at %s with %d actions", t,
					      pol_stage_name(every[t]), acts[t]);
			} else {
				int n = tb_step((uint64_t)t + 1);

				ck_assert_msg(tb_plan.stage == every[t] && n == acts[t],
					      "t=%d: %s, %d actions; stepping every second: %s, %d", t,
					      pol_stage_name(tb_plan.stage), n,
					      pol_stage_name(every[t]), acts[t]);
			}
		}
	}
	/* the trace does what it is for: the stage fired, and seconds were skipped */
	for (int t = 0; t < N; t++)
		reclaim += every[t] == POL_STAGE_RECLAIM;
	ck_assert_int_gt(skipped, 5);
	ck_assert_int_ge(reclaim, 2);
	ck_assert_int_eq(every[14], POL_STAGE_RECLAIM); /* above 40% since t=4: 10 s */
	ck_assert_int_eq(every[13], POL_STAGE_NONE);
	ck_assert_int_eq(every[N - 1], POL_STAGE_NONE);
}
END_TEST

START_TEST(swap_free_must_also_be_low)
{
	/* like earlyoom -s: with plenty of swap free, low RAM alone does not terminate or kill
	 * (above half the memory threshold: 3% > 2.5% of terminate's 5%) */
	tb_r.cfg.stage[POL_STAGE_KILL].swap_free_permyriad = 1000;
	tb_r.cfg.stage[POL_STAGE_TERMINATE].swap_free_permyriad = 1000;
	tb_proc(100, "a", "/", 3 * GiB);
	tb_s.mem.swap_total_bytes = 4 * GiB;
	tb_s.mem.swap_free_bytes = 2 * GiB;
	tb_engine_start();
	tb_avail_pm(300);
	tb_step(1);
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_THROTTLE);
	ck_assert_uint_eq(tb_signals(), 0);
	tb_s.mem.swap_free_bytes = 100 * MiB;
	tb_step(2);
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_TERMINATE);
	ck_assert_int_eq(tb_signal_to(100)->kind, POL_ACT_TERM);
	ck_assert_ptr_null(strstr(tb_signal_to(100)->reason, "swap is free"));
}
END_TEST

/* The shipped ladder (cfg_config_defaults: HoldOffSec=10s, swap conditions) on an 8 GiB
 * machine with 4 GiB of swap, all of it free: seed 002's "OOM killer despite swap unused". */
static void shipped_ladder_swap_free(void)
{
	cfg_config_defaults(&tb_r.cfg);
	tb_s.mem.swap_total_bytes = 4 * GiB;
	tb_s.mem.swap_free_bytes = 4 * GiB;
	tb_proc(400, "sshd", "/system.slice/ssh.service", 20 * MiB);
	tb_proc(600, "hog", "/user.slice/user-0.slice/session-1.scope", 6 * GiB);
}

START_TEST(below_half_the_threshold_swap_free_does_not_matter)
{
	const struct pol_action *a;

	shipped_ladder_swap_free();
	tb_engine_start();
	tb_avail_pm(100); /* 1% < 1.25% = half the kill threshold: allocation outruns swap-out */
	tb_step(1);
	tb_dump("floor");
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_KILL);
	a = tb_signal_to(600);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->kind, POL_ACT_KILL);
	ck_assert_int_eq(a->stage, POL_STAGE_KILL);
	ck_assert_str_eq(a->metric, "mem_available_permyriad");
	ck_assert_uint_eq(a->limit, 250);
	ck_assert_ptr_nonnull(strstr(a->reason, "below half of it though swap is free"));
	ck_assert_ptr_null(tb_signal_to(400));
}
END_TEST

START_TEST(above_half_the_threshold_free_swap_is_headroom)
{
	struct pol_threshold *t = &tb_r.cfg.stage[POL_STAGE_TERMINATE];

	shipped_ladder_swap_free();
	tb_engine_start();
	/* 4%: below terminate's 5% but above its half (2.5%), swap 100% free: throttle only */
	tb_avail_pm(400);
	for (uint64_t t_s = 1; t_s < 10; t_s++) {
		tb_step(t_s);
		ck_assert_int_eq(tb_plan.stage, POL_STAGE_THROTTLE);
		ck_assert_uint_eq(tb_signals(), 0);
	}
	/* unless PSI says so: full avg10 > 40% for 10 s */
	ck_assert(t->psi_full.set);
	tb_s.psi.memory.full.avg10_centi = 5000;
	ck_assert_uint_eq((tb_step(10), tb_signals()), 0);
	tb_step(20);
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_TERMINATE);
	ck_assert_int_eq(tb_signal_to(600)->kind, POL_ACT_TERM);
	ck_assert_str_eq(tb_signal_to(600)->metric, "psi_full_avg10_centi");
}
END_TEST

START_TEST(bytes_and_percent_the_lower_binds)
{
	/* 2.5% of 8 GiB = 204 MiB; with 100 MiB also set, only below 100 MiB kills */
	tb_r.cfg.stage[POL_STAGE_KILL].mem_avail_bytes = 100 * MiB;
	tb_proc(100, "a", "/", 3 * GiB);
	tb_engine_start();
	tb_s.mem.available_bytes = 150 * MiB;
	tb_step(1);
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_TERMINATE);
	ck_assert_int_eq(tb_signal_to(100)->kind, POL_ACT_TERM);
	pol_state_free(&tb_st);
	tb_engine_start();
	tb_s.mem.available_bytes = 90 * MiB;
	tb_step(1);
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_KILL);
	ck_assert_int_eq(tb_signal_to(100)->kind, POL_ACT_KILL);
	/* bytes alone */
	pol_state_free(&tb_st);
	tb_r.cfg.stage[POL_STAGE_KILL].mem_avail_permyriad = 0;
	tb_r.cfg.stage[POL_STAGE_TERMINATE].mem_avail_permyriad = 0;
	tb_engine_start();
	tb_step(1);
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_KILL);
	ck_assert_str_eq(tb_signal_to(100)->metric, "mem_available_bytes");
}
END_TEST

/* ------------------------------------------------------------------ shmem */

/* VM tier, scenario tmpfs (2026-12-02): a tmpfs filled to 3% available, the terminate stage
 * sent SIGTERM to a 40 MiB bystander, and nothing said that the memory was shmem. */
static void tmpfs_full(uint64_t shmem)
{
	struct og_cgroup *c;

	tb_proc(100, "bystander", "/system.slice/ogbystander.service", 40 * MiB);
	tb_s.mem.has |= OG_MI_SHMEM;
	tb_s.mem.shmem_bytes = shmem;
	tb_s.ntmpfs = 2;
	og_strscpy(tb_s.tmpfs[0].path, "/run/ogvm/fill", sizeof(tb_s.tmpfs[0].path));
	tb_s.tmpfs[0].used_bytes = shmem - 16 * MiB;
	og_strscpy(tb_s.tmpfs[1].path, "/run", sizeof(tb_s.tmpfs[1].path));
	tb_s.tmpfs[1].used_bytes = 16 * MiB;
	c = tb_cgroup("/system.slice", shmem + 200 * MiB, OG_UNLIMITED);
	c->shmem_bytes = shmem;
	c = tb_cgroup("/system.slice/ogfill.service", shmem, OG_UNLIMITED);
	c->shmem_bytes = shmem - 16 * MiB;
	tb_engine_start();
}

START_TEST(shmem_a_kill_cannot_free_spares_the_bystander)
{
	const struct pol_action *a, *k;

	tmpfs_full(7 * GiB);
	tb_avail_pm(300); /* 3%: terminate (5%), not kill (2.5%) */
	tb_step(1);
	tb_dump("tmpfs terminate");
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_TERMINATE);
	ck_assert_uint_eq(tb_signals(), 0);
	a = tb_act(POL_ACT_REPORT);
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->metric, "shmem_bytes");
	ck_assert_uint_eq(a->measured, 7 * GiB);
	ck_assert_ptr_nonnull(strstr(a->reason, "% available: 7.0G of used memory is shmem"));
	ck_assert_ptr_nonnull(strstr(a->reason, "in tmpfs '/run/ogvm/fill' 6.9G and others"));
	ck_assert_ptr_nonnull(strstr(a->reason, "charged to '/system.slice/ogfill.service'"));
	ck_assert_ptr_nonnull(strstr(a->reason, "best victim 40.0M, need"));
	ck_assert_ptr_nonnull(strstr(a->reason, "no kill at this stage"));
	/* said once per episode, and still nobody killed */
	ck_assert_int_eq(tb_step(2), 0);
	ck_assert_int_eq(tb_step(30), 0);
	/* the kill stage (2.5%): still nobody (VM tier, tmpfs at 2.18%, 2026-12-02) */
	tb_avail_pm(200);
	tb_step(31);
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_KILL);
	ck_assert_uint_eq(tb_signals(), 0);
	a = tb_act(POL_ACT_REPORT);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(strstr(a->reason, "no kill above half the kill stage"));
	ck_assert_int_eq(tb_step(32), 0);
	/* below half of it (1.25%) the kernel's OOM killer is next: the victim goes */
	tb_avail_pm(100);
	tb_step(33);
	tb_dump("tmpfs kill");
	k = tb_signal_to(100);
	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(k->kind, POL_ACT_KILL);
}
END_TEST

START_TEST(shmem_does_not_spare_a_victim_that_frees_enough)
{
	/* the same tmpfs, but a 2 GiB hog: killing it relieves the shortfall */
	tmpfs_full(5 * GiB);
	tb_proc(200, "hog", "/system.slice/hog.service", 2 * GiB);
	tb_avail_pm(300);
	tb_step(1);
	ck_assert_ptr_nonnull(tb_signal_to(200));
	ck_assert_uint_eq(tb_count(POL_ACT_REPORT), 0);
}
END_TEST

/* 141-tmpfs-shmem under load: the tmpfs still filling crossed terminate with a small
 * shortfall that the bystander covered; it is still no victim: it frees < a quarter of the
 * shmem, and the tmpfs goes on. */
START_TEST(shmem_still_filling_spares_a_bystander_that_covers_the_need)
{
	tmpfs_full(2 * GiB);
	tb_proc(201, "worker", "/system.slice/worker.service", 200 * MiB);
	tb_avail_pm(499); /* needed: 7% - 4.99% of 8 GiB, 165 MiB < 200 MiB */
	tb_step(1);
	ck_assert_uint_eq(tb_signals(), 0);
	ck_assert_ptr_nonnull(strstr(tb_act(POL_ACT_REPORT)->reason, "best victim 200.0M, need 16"));
}
END_TEST

START_TEST(shmem_small_share_changes_nothing)
{
	/* 100 MiB of shmem is not where 7.7 GiB went: the bystander is the victim as before */
	tmpfs_full(100 * MiB);
	tb_avail_pm(300);
	tb_step(1);
	ck_assert_ptr_nonnull(tb_signal_to(100));
	ck_assert_uint_eq(tb_count(POL_ACT_REPORT), 0);
}
END_TEST

/* ------------------------------------------------------------------ services */

static struct pol_service *budgeted(enum pol_on_budget ob)
{
	struct pol_service *svc = tb_service_name("60-api", "api");

	svc->budget_bytes = 1 * GiB;
	svc->on_budget = ob;
	tb_proc(100, "api", "/system.slice/api.service", 900 * MiB);
	tb_proc(101, "api", "/system.slice/api.service", 600 * MiB);
	tb_proc(200, "bystander", "/system.slice/big.service", 3 * GiB);
	tb_cgroup("/system.slice/api.service", 1800 * MiB, OG_UNLIMITED)->active_file_bytes =
		300 * MiB;
	return svc;
}

START_TEST(budget_is_per_unit_of_a_template_policy)
{
	/* contrib/policies/openstack-devstack: Unit=devstack@*.service, each unit its budget */
	struct pol_service *api = tb_service("50-devstack-api");
	const struct pol_action *a;
	struct og_proc *p;

	tb_strv_push(&api->match.unit, "devstack@*.service");
	api->budget_bytes = 1 * GiB;
	api->on_budget = POL_OB_THROTTLE;
	for (int i = 0; i < 6; i++) { /* nova-api: 6 x 250 MiB, in a sub-cgroup */
		p = tb_proc(100 + i, "nova-api", "/system.slice/devstack@n-api.service/workers",
			    250 * MiB);
		og_strscpy(p->unit, "devstack@n-api.service", sizeof(p->unit));
	}
	for (int i = 0; i < 4; i++) /* glance-api: 4 x 200 MiB */
		tb_proc(200 + i, "glance-api", "/system.slice/devstack@g-api.service", 200 * MiB);
	tb_proc(300, "mysqld", "/system.slice/mysql.service", 2 * GiB);
	tb_engine_start();
	tb_step(1);
	tb_dump("per unit");
	ck_assert_uint_eq(tb_count(POL_ACT_THROTTLE), 1);
	a = tb_act(POL_ACT_THROTTLE);
	ck_assert_str_eq(a->target.cgroup, "/system.slice/devstack@n-api.service");
	ck_assert_uint_eq(a->measured, 1500 * MiB);
	ck_assert_ptr_nonnull(strstr(a->reason, "(devstack@n-api.service) uses 1.4G"));
	ck_assert_uint_eq(tb_st.ninst, 2);
	/* at the kill stage the over-budget unit's workers go before glance and mysqld */
	tb_avail_pm(200);
	tb_step(7);
	ck_assert_uint_eq(tb_signals(), 1);
	ck_assert_int_eq(tb_plan.actions[0].target.pid, 100);
	ck_assert_int_eq(tb_plan.top[0].tier, POL_TIER_OVER_BUDGET);
	ck_assert_int_eq(tb_plan.top[1].tier, POL_TIER_OVER_BUDGET);
	ck_assert_int_eq(tb_plan.top[1].target.pid, 101);
	ck_assert_int_eq(tb_plan.top[2].target.pid, 102);
}
END_TEST

START_TEST(over_budget_throttle_on_a_healthy_machine)
{
	const struct pol_action *a;

	budgeted(POL_OB_THROTTLE);
	tb_s.mem.swap_total_bytes = tb_s.mem.swap_free_bytes = 4 * GiB;
	tb_engine_start();
	tb_step(1);
	tb_dump("budget throttle");
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_NONE);
	a = tb_act(POL_ACT_THROTTLE);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->stage, POL_STAGE_NONE);
	ck_assert_str_eq(a->target.cgroup, "/system.slice/api.service");
	ck_assert_uint_eq(a->value, 1800 * MiB - 476 * MiB); /* current - overshoot */
	ck_assert_str_eq(a->rule, "/etc/oomguardian/policy.d/60-api.policy");
	ck_assert_uint_eq(a->measured, 1500 * MiB);
	ck_assert_uint_eq(a->limit, 1 * GiB);
	ck_assert_uint_eq(tb_signals(), 0);
	ck_assert_int_eq(tb_step(10), 0);
	/* a budget throttle stays while the service is over its budget, whatever the stage */
	ck_assert_int_eq(tb_step(20), 0);
}
END_TEST

/* VM tier, budget (2026-12-02): without swap, memory.high below the service's anon froze it
 * (its 10 MiB allocations never finished); it goes to the anon + kernel part of current. */
START_TEST(budget_throttle_without_swap_stops_at_the_anon)
{
	budgeted(POL_OB_THROTTLE);
	tb_engine_start();
	tb_step(1);
	ck_assert_ptr_nonnull(tb_act(POL_ACT_THROTTLE));
	ck_assert_uint_eq(tb_act(POL_ACT_THROTTLE)->value, 1500 * MiB); /* 1800 - 300 of file */
}
END_TEST

/* While our memory.high holds, the throttled group's stalls are not the machine's pressure:
 * 55% some of which the group has 50% does not fire [Reclaim] (40% for 10 s). */
START_TEST(throttled_group_pressure_does_not_climb_the_ladder)
{
	struct og_cgroup *c;

	budgeted(POL_OB_THROTTLE);
	c = &tb_cgs[0];
	tb_r.cfg.stage[POL_STAGE_RECLAIM].psi_some =
		(struct pol_psi_limit){.set = true, .limit_centi = 4000, .duration_usec = 10 * SEC};
	tb_engine_start();
	tb_step(1);
	ck_assert_ptr_nonnull(tb_act(POL_ACT_THROTTLE));
	c->has_psi = true;
	c->psi.has_some = c->psi.has_full = true;
	c->psi.some.avg10_centi = 5000;
	c->psi.full.avg10_centi = 800;
	tb_s.psi.memory.some.avg10_centi = 5500;
	tb_s.psi.memory.full.avg10_centi = 900;
	for (uint64_t t = 2; t < 40; t += 2) {
		tb_step(t);
		ck_assert_int_eq(tb_plan.stage, POL_STAGE_NONE);
	}
	/* pressure outside the group still counts: 50% more elsewhere */
	tb_s.psi.memory.some.avg10_centi = 10000;
	for (uint64_t t = 40; t < 60; t += 2)
		tb_step(t);
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_RECLAIM);
}
END_TEST

/* VM tier, scenario budget (2026-12-02): memory.high was lowered and never released. Lifted
 * once usage stays below budget - Hysteresis= (2%) for HoldOffSec= (5 s here), back to the value
 * before (the unit's MemoryHigh=), with nothing killed; a relapse throttles again. */
START_TEST(budget_throttle_is_lifted_when_the_service_calms_down)
{
	struct og_cgroup *c;
	const struct pol_action *a;

	budgeted(POL_OB_THROTTLE);
	tb_s.mem.swap_total_bytes = tb_s.mem.swap_free_bytes = 4 * GiB;
	c = &tb_cgs[0];
	c->high_bytes = 1700 * MiB; /* systemd's MemoryHigh= */
	tb_engine_start();
	tb_step(1);
	a = tb_act(POL_ACT_THROTTLE);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->value, 1800 * MiB - 476 * MiB);
	ck_assert_ptr_nonnull(strstr(a->reason, "until it stays below the budget"));
	c->high_bytes = a->value;
	/* 1024 MiB: below the budget, not below budget - hysteresis (1003.5 MiB): kept */
	tb_find_proc(100)->rss_anon_bytes = 424 * MiB;
	ck_assert_int_eq(tb_step(3), 0);
	ck_assert_int_eq(tb_step(30), 0);
	/* calm: 100 + 600 MiB; lifted only after 5 s of it */
	tb_find_proc(100)->rss_anon_bytes = 100 * MiB;
	c->current_bytes = 800 * MiB;
	ck_assert_int_eq(tb_step(31), 0);
	ck_assert_int_eq(tb_step(35), 0);
	tb_step(36);
	tb_dump("budget lift");
	ck_assert_uint_eq(tb_count(POL_ACT_THROTTLE), 1);
	a = tb_act(POL_ACT_THROTTLE);
	ck_assert_int_eq(a->stage, POL_STAGE_NONE);
	ck_assert_str_eq(a->target.cgroup, "/system.slice/api.service");
	ck_assert_uint_eq(a->value, 1700 * MiB); /* restored, not "max" */
	ck_assert_str_eq(a->metric, "budget_bytes");
	ck_assert_uint_eq(a->measured, 700 * MiB);
	ck_assert_uint_eq(a->limit, 1 * GiB);
	ck_assert_ptr_nonnull(strstr(a->reason, "back under its budget"));
	ck_assert_ptr_nonnull(strstr(a->reason, "to 1.6G"));
	c->high_bytes = 1700 * MiB;
	ck_assert_int_eq(tb_step(40), 0); /* once */
	ck_assert_uint_eq(tb_signals(), 0);
	/* relapse: a new episode, throttled again from the restored value */
	tb_find_proc(100)->rss_anon_bytes = 900 * MiB;
	c->current_bytes = 1800 * MiB;
	tb_step(41);
	ck_assert_uint_eq(tb_count(POL_ACT_THROTTLE), 1);
	ck_assert_uint_eq(tb_st.inst[0].throttle_prev_bytes, 1700 * MiB);
	/* the service stops: its throttle is lifted (to max when it was max) */
	tb_exit(100);
	tb_exit(101);
	ck_assert_int_eq(tb_step(42), 0);
	tb_step(48);
	ck_assert_uint_eq(tb_count(POL_ACT_THROTTLE), 1);
	ck_assert_uint_eq(tb_plan.actions[0].value, 1700 * MiB);
	ck_assert_int_eq(tb_step(49), 0);
	ck_assert_uint_eq(tb_st.ninst, 0); /* then forgotten */
}
END_TEST

/* A unit whose MemoryHigh= is already below what OnBudget=throttle would set: never raised. */
START_TEST(budget_throttle_never_raises_memory_high)
{
	const struct pol_action *a;

	budgeted(POL_OB_THROTTLE);
	tb_cgs[0].high_bytes = 1 * GiB;
	tb_engine_start();
	tb_step(1);
	ck_assert_uint_eq(tb_count(POL_ACT_THROTTLE), 0);
	a = tb_act(POL_ACT_REPORT);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(strstr(a->reason, "already that low"));
	ck_assert(!tb_st.inst[0].throttled);
}
END_TEST

START_TEST(over_budget_kill_takes_the_service_not_the_bystander)
{
	budgeted(POL_OB_KILL);
	tb_engine_start();
	tb_step(1);
	ck_assert_uint_eq(tb_signals(), 1);
	ck_assert_ptr_nonnull(tb_signal_to(100));
	ck_assert_int_eq(tb_signal_to(100)->kind, POL_ACT_TERM);
	ck_assert_ptr_nonnull(strstr(tb_signal_to(100)->reason, "MemoryBudget 1.0G"));
	tb_exit(100); /* 600 MiB left: under budget */
	for (uint64_t t = 2; t < 30; t += 2)
		ck_assert_int_eq(tb_step(t), 0);
}
END_TEST

/* Issue 7: a budget-triggered kill, like the ladder's, formats nothing before the signal; its
 * sentence is made from the recorded figures afterwards and reads as before. */
START_TEST(over_budget_kill_reason_is_formatted_after_the_step)
{
	struct pol_action *a = NULL;

	budgeted(POL_OB_KILL);
	tb_engine_start();
	tb_s.now_usec = 1 * SEC;
	ck_assert_int_ge(pol_step(&tb_s, &tb_r, &tb_st, &tb_ctx, 1 * SEC, &tb_plan), 1);
	for (size_t i = 0; i < tb_plan.n; i++)
		if (tb_plan.actions[i].kind == POL_ACT_TERM)
			a = &tb_plan.actions[i];
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->target.pid, 100);
	ck_assert_str_eq(a->reason, "");
	ck_assert_int_eq(a->why.code, POL_WHY_SIGNAL);
	ck_assert_int_eq(a->why.cause.kind, POL_CAUSE_BUDGET);
	pol_action_explain(a);
	ck_assert_int_eq(a->why.code, POL_WHY_TEXT);
	ck_assert_ptr_nonnull(
		strstr(a->reason, "service 60-api (api.service) uses 1.4G (anon+swap of "));
	ck_assert_ptr_nonnull(strstr(a->reason, "> MemoryBudget 1.0G, OnBudget=kill; victim "));
}
END_TEST

START_TEST(over_budget_reclaim_and_percent_budget)
{
	struct pol_service *svc = budgeted(POL_OB_RECLAIM);
	const struct pol_action *a;

	svc->budget_bytes = 0;
	svc->budget_permyriad = 1250; /* 12.5% of 8 GiB = 1 GiB */
	tb_engine_start();
	tb_step(1);
	a = tb_act(POL_ACT_RECLAIM_CGROUP);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->value, 476 * MiB);
	ck_assert_uint_eq(a->limit, 1 * GiB);
	/* the same service in a v1 memory cgroup: no memory.reclaim there, only a report */
	pol_state_free(&tb_st);
	tb_cgs[0].layout = OG_CG_V1;
	tb_engine_start();
	tb_step(2);
	ck_assert_ptr_null(tb_act(POL_ACT_RECLAIM_CGROUP));
	a = tb_act(POL_ACT_REPORT);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(strstr(a->reason, "no memory.reclaim, report only"));
}
END_TEST

START_TEST(protected_over_budget_is_only_reported)
{
	struct pol_service *svc = budgeted(POL_OB_KILL);

	svc->protect = true;
	tb_engine_start();
	tb_step(1);
	ck_assert_uint_eq(tb_signals(), 0);
	ck_assert_ptr_nonnull(tb_act(POL_ACT_REPORT));
	ck_assert_ptr_nonnull(strstr(tb_act(POL_ACT_REPORT)->reason, "protected"));
}
END_TEST

START_TEST(service_pressure_limit_terminates_its_victim)
{
	struct pol_service *svc = tb_service_name("60-web", "httpd");
	struct og_cgroup *cg;

	svc->pressure_limit = (struct pol_psi_limit){
		.set = true, .full = true, .limit_centi = 2000, .duration_usec = 10 * SEC};
	tb_proc(100, "httpd", "/system.slice/httpd.service", 500 * MiB);
	tb_proc(200, "bystander", "/system.slice/big.service", 3 * GiB);
	cg = tb_cgroup("/system.slice/httpd.service", 600 * MiB, OG_UNLIMITED);
	cg->has_psi = true;
	cg->psi.has_full = true;
	cg->psi.full.avg10_centi = 4000;
	tb_engine_start();
	ck_assert_uint_eq((tb_step(1), tb_signals()), 0);
	tb_step(11);
	ck_assert_uint_eq(tb_signals(), 1);
	ck_assert_ptr_nonnull(tb_signal_to(100));
	ck_assert_ptr_nonnull(strstr(tb_signal_to(100)->reason, "PressureLimit 20.00%"));
}
END_TEST

START_TEST(throttle_prefers_over_budget_and_is_lifted_after)
{
	struct pol_service *a = tb_service_name("40-a", "a");
	struct pol_service *b = tb_service("40-b");
	const struct pol_action *act;

	a->throttle = true;
	tb_strv_push(&b->match.name, "b");
	b->throttle = true;
	b->budget_bytes = 100 * MiB;
	tb_proc(100, "a", "/system.slice/a.service", 3 * GiB);
	tb_proc(101, "b", "/system.slice/b.service", 500 * MiB);
	tb_engine_start();
	tb_step(1); /* b over budget: reported (OnBudget=report) */
	tb_avail_pm(900);
	tb_step(2);
	act = tb_act(POL_ACT_THROTTLE);
	ck_assert_ptr_nonnull(act);
	ck_assert_str_eq(act->target.cgroup, "/system.slice/b.service");
	ck_assert_ptr_nonnull(strstr(act->reason, "over budget"));
	tb_step(8);
	act = tb_act(POL_ACT_THROTTLE);
	ck_assert_ptr_nonnull(act);
	ck_assert_str_eq(act->target.cgroup, "/system.slice/a.service");
	tb_avail_pm(2000); /* the stage clears: both lifted */
	tb_step(9);
	ck_assert_uint_eq(tb_count(POL_ACT_THROTTLE), 2);
	ck_assert_uint_eq(tb_plan.actions[0].value, OG_UNLIMITED);
	ck_assert_uint_eq(tb_plan.actions[1].value, OG_UNLIMITED);
	ck_assert_int_eq(tb_step(20), 0);
}
END_TEST

/* ------------------------------------------------------------------ protection, reload, scope */

START_TEST(protection_is_planned_once_per_process)
{
	struct pol_service *svc = protect("10-sshd", "sshd");
	struct og_proc *p = tb_proc(100, "sshd", "/system.slice/ssh.service", 10 * MiB);
	struct pol_action a;

	tb_engine_start();
	ck_assert_uint_eq(pol_protect_plan(&tb_r, p, NULL, &a), 1);
	ck_assert_int_eq(a.kind, POL_ACT_OOM_SCORE_ADJ);
	ck_assert_int_eq(a.svalue, -1000);
	ck_assert_int_eq(a.target.pid, 100);
	ck_assert_ptr_nonnull(strstr(a.reason, "OOMScoreAdjust=-1000"));
	ck_assert_uint_eq(pol_protect_plan(&tb_r, p, NULL, &a), 1); /* no state: always */
	tb_step(1);
	ck_assert_uint_eq(tb_count(POL_ACT_OOM_SCORE_ADJ), 1);
	tb_step(2); /* the kernel refused (no CAP_SYS_RESOURCE): not retried every tick */
	ck_assert_uint_eq(tb_count(POL_ACT_OOM_SCORE_ADJ), 0);
	p->starttime_ticks++; /* a new sshd with the same pid */
	tb_step(3);
	ck_assert_uint_eq(tb_count(POL_ACT_OOM_SCORE_ADJ), 1);
	p->oom_score_adj = -1000; /* done */
	ck_assert_uint_eq(pol_protect_plan(&tb_r, p, NULL, &a), 0);
	svc->has_oom_score_adj = false;
	p->oom_score_adj = 0;
	ck_assert_uint_eq(pol_protect_plan(&tb_r, p, NULL, &a), 0);
}
END_TEST

START_TEST(reload_mid_incident_keeps_the_victim)
{
	struct pol_service *api;

	budgeted(POL_OB_REPORT);
	tb_engine_start();
	tb_avail_pm(400);
	tb_step(10);
	ck_assert_ptr_nonnull(tb_signal_to(100)); /* 60-api is over budget: its worker first */
	ck_assert_int_eq(tb_signal_to(100)->kind, POL_ACT_TERM);
	ck_assert_ptr_nonnull(tb_act(POL_ACT_REPORT)); /* and the budget report */

	/* SIGHUP: a new file sorts before the old one, indexes shift */
	tb_svcs[1] = tb_svcs[0];
	memset(&tb_svcs[0], 0, sizeof(tb_svcs[0]));
	api = &tb_svcs[0];
	og_strscpy(api->name, "05-new", sizeof(api->name));
	tb_strv_push(&api->match.name, "nothing-matches-this");
	tb_r.nservices = 2;
	ck_assert_int_eq(pol_state_rebind(&tb_st, &tb_r), 0);
	ck_assert_uint_eq(tb_st.nsvc, 2);
	ck_assert_str_eq(tb_st.svc[1].name, "60-api");
	ck_assert_uint_eq(tb_st.ninst, 1);
	ck_assert_uint_eq(tb_st.inst[0].svc, 1); /* remapped by name */
	ck_assert(tb_st.inst[0].budget_acted);

	tb_step(12); /* hold-off kept, victim kept, budget not reported again */
	ck_assert_int_eq(tb_plan.n, 0);
	tb_step(15); /* grace over: escalation of the same victim */
	tb_dump("reload 15");
	ck_assert_ptr_nonnull(tb_signal_to(100));
	ck_assert_int_eq(tb_signal_to(100)->kind, POL_ACT_KILL);
	ck_assert_uint_eq(tb_signals(), 1);
}
END_TEST

START_TEST(reload_lifts_throttles_of_removed_services)
{
	struct pol_service *a = tb_service_name("40-a", "a");
	const struct pol_action *act;

	a->throttle = true;
	tb_proc(100, "a", "/system.slice/a.service", 3 * GiB);
	tb_engine_start();
	tb_avail_pm(900);
	tb_step(1);
	ck_assert_ptr_nonnull(tb_act(POL_ACT_THROTTLE));
	tb_rules_free(); /* the new configuration has no 40-a */
	ck_assert_int_eq(pol_state_rebind(&tb_st, &tb_r), 0);
	tb_step(2);
	act = tb_act(POL_ACT_THROTTLE);
	ck_assert_ptr_nonnull(act);
	ck_assert_uint_eq(act->value, OG_UNLIMITED);
	ck_assert_str_eq(act->target.cgroup, "/system.slice/a.service");
	ck_assert_int_eq(tb_step(3), 0);
}
END_TEST

START_TEST(scope_cgroup_limits_candidates_and_metrics)
{
	const struct pol_action *a;

	tb_machine(32 * GiB, 20 * GiB);
	og_strscpy(tb_r.cfg.scope, "/machine.slice", sizeof(tb_r.cfg.scope));
	tb_s.has_scope_cg = true;
	og_strscpy(tb_s.scope_cg.path, "/machine.slice", sizeof(tb_s.scope_cg.path));
	tb_s.scope_cg.has_memory = true;
	tb_s.scope_cg.max_bytes = 16 * GiB;
	tb_s.scope_cg.current_bytes = 16 * GiB - 100 * MiB;
	tb_s.scope_cg.inactive_file_bytes = 100 * MiB;
	tb_s.scope_cg.active_file_bytes = 100 * MiB;
	tb_proc(100, "huge", "/system.slice/big.service", 10 * GiB); /* outside */
	tb_proc(200, "qemu-kvm", "/machine.slice/vm1.scope", 6 * GiB);
	tb_proc(201, "qemu-kvm", "/machine.slice/vm2.scope", 8 * GiB);
	tb_engine_start();
	tb_step(1);
	tb_dump("scope");
	/* available = 100M headroom + 100M inactive + 50M active = 250M of 16G = 1.52% */
	ck_assert_uint_eq(tb_plan.total_bytes, 16 * GiB);
	ck_assert_uint_eq(tb_plan.avail_bytes, 250 * MiB);
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_KILL);
	a = tb_signal_to(201);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(strstr(a->reason, "scope available 1.52%"));
	ck_assert_ptr_null(tb_signal_to(100));
	for (size_t i = 0; i < tb_plan.ntop; i++)
		ck_assert_int_ne(tb_plan.top[i].target.pid, 100);
}
END_TEST

START_TEST(scope_psi_is_the_scopes)
{
	struct pol_threshold *t = &tb_r.cfg.stage[POL_STAGE_KILL];

	t->psi_some = (struct pol_psi_limit){.set = true, .limit_centi = 5000, .duration_usec = 0};
	og_strscpy(tb_r.cfg.scope, "/machine.slice", sizeof(tb_r.cfg.scope));
	tb_s.has_scope_cg = true;
	tb_s.scope_cg.max_bytes = OG_UNLIMITED; /* no limit: machine memory, scope PSI */
	tb_s.scope_cg.has_psi = true;
	tb_s.scope_cg.psi.has_some = true;
	tb_proc(200, "qemu-kvm", "/machine.slice/vm1.scope", 2 * GiB);
	tb_engine_start();
	tb_s.psi.memory.some.avg10_centi = 9000; /* the machine's: not ours */
	tb_step(1);
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_NONE);
	tb_s.scope_cg.psi.some.avg10_centi = 6000;
	tb_step(2);
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_KILL);
	ck_assert_ptr_nonnull(tb_signal_to(200));
}
END_TEST

START_TEST(scope_reclaim_asks_the_scope)
{
	const struct pol_action *a;

	og_strscpy(tb_r.cfg.scope, "/machine.slice/", sizeof(tb_r.cfg.scope));
	tb_s.has_scope_cg = true;
	tb_s.scope_cg.has_memory = true;
	tb_s.scope_cg.max_bytes = 10 * GiB;
	tb_s.scope_cg.current_bytes = 10 * GiB - 1 * GiB; /* 10% available: throttle */
	tb_proc(200, "qemu-kvm", "/machine.slice/vm1.scope", 8 * GiB);
	tb_engine_start();
	tb_s.scope_cg.current_bytes = 10 * GiB - 1400 * MiB; /* 13.67%: reclaim */
	tb_step(1);
	a = tb_act(POL_ACT_RECLAIM_CGROUP);
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->target.cgroup, "/machine.slice/");
	/* back to 15% + 2% of 10 GiB = 1740.8 MiB available */
	ck_assert_uint_eq(a->value, 10 * GiB * 1500 / 10000 + 10 * GiB * 200 / 10000 - 1400 * MiB);
	/* slab-heavy scope: memory.reclaim of the slab, before any kill */
	pol_state_free(&tb_st);
	tb_engine_start();
	tb_s.scope_cg.current_bytes = 10 * GiB - 100 * MiB;
	tb_s.scope_cg.slab_reclaimable_bytes = 3 * GiB;
	tb_step(2);
	ck_assert_uint_eq(tb_signals(), 0);
	a = tb_act(POL_ACT_RECLAIM_CGROUP);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->value, 3 * GiB);
	ck_assert_ptr_nonnull(strstr(a->reason, "scope slab_reclaimable 3.0G is 30.00%"));
}
END_TEST

START_TEST(ctx_total_overrides_the_scope_total)
{
	tb_proc(100, "a", "/", 1 * GiB);
	tb_ctx.total_bytes = 100 * GiB; /* 6 GiB available of 100: 6%, throttle */
	tb_engine_start();
	tb_step(1);
	ck_assert_uint_eq(tb_plan.total_bytes, 100 * GiB);
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_THROTTLE);
}
END_TEST

START_TEST(pressure_limit_without_victim_reports)
{
	struct pol_service *svc = tb_service_name("60-web", "httpd");
	struct og_cgroup *cg;

	svc->pressure_limit = (struct pol_psi_limit){
		.set = true, .full = false, .limit_centi = 1000, .duration_usec = 0};
	svc->kill_pref = POL_KP_NEVER;
	tb_proc(100, "httpd", "/system.slice/httpd.service", 500 * MiB);
	cg = tb_cgroup("/system.slice/httpd.service", 600 * MiB, OG_UNLIMITED);
	cg->has_psi = true;
	cg->psi.has_some = true;
	cg->psi.some.avg10_centi = 3000;
	tb_engine_start();
	tb_step(1);
	ck_assert_uint_eq(tb_signals(), 0);
	ck_assert_ptr_nonnull(tb_act(POL_ACT_REPORT));
	ck_assert_ptr_nonnull(strstr(tb_act(POL_ACT_REPORT)->reason, "no victim may be killed"));
	ck_assert_int_eq(tb_step(2), 0); /* once per episode */
	cg->psi.some.avg10_centi = 500;
	ck_assert_int_eq(tb_step(3), 0);
	cg->psi.some.avg10_centi = 3000;
	tb_step(4);
	ck_assert_ptr_nonnull(tb_act(POL_ACT_REPORT));
}
END_TEST

START_TEST(protection_follows_a_reloaded_value)
{
	struct pol_service *svc = protect("10-sshd", "sshd");

	tb_proc(100, "sshd", "/system.slice/ssh.service", 10 * MiB);
	tb_engine_start();
	tb_step(1);
	ck_assert_int_eq(tb_act(POL_ACT_OOM_SCORE_ADJ)->svalue, -1000);
	svc->oom_score_adj = -900; /* reload with another value */
	ck_assert_int_eq(pol_state_rebind(&tb_st, &tb_r), 0);
	tb_step(2);
	ck_assert_int_eq(tb_act(POL_ACT_OOM_SCORE_ADJ)->svalue, -900);
	ck_assert_int_eq(tb_step(3), 0);
}
END_TEST

START_TEST(self_is_never_a_victim)
{
	tb_proc(999, "oomguardiand", "/system.slice/oomguardiand.service", 6 * GiB);
	tb_proc(100, "small", "/", 10 * MiB);
	tb_engine_start();
	tb_avail_pm(100);
	tb_step(1);
	ck_assert_ptr_null(tb_signal_to(999));
	ck_assert_ptr_nonnull(tb_signal_to(100));
}
END_TEST

/* ------------------------------------------------------------------ shipped policies */

static struct pol_rules loaded;

/* Load files as `oomguardianctl check FILE...` would, into tb_r (the builder's rules). */
static void load(const char *const *files, size_t n)
{
	struct cfg_diag diag;
	int r;

	cfg_diag_init(&diag);
	r = cfg_load_files(NULL, files, n, &loaded, &diag);
	if (r < 0)
		cfg_diag_print(&diag, stderr);
	ck_assert_int_eq(r, 0);
	cfg_diag_free(&diag);
	tb_r = loaded; /* struct copy: the services and strings stay owned by `loaded` */
}

static void unload(void)
{
	pol_state_free(&tb_st);
	memset(&tb_r, 0, sizeof(tb_r));
	pol_rules_free(&loaded);
}

START_TEST(shipped_devstack_policies_kill_zookeeper_keep_sshd)
{
	static const char *const files[] = {
		VENDOR "/oomguardian.conf",
		VENDOR "/05-system.policy",
		VENDOR "/10-remote-access.policy",
		VENDOR "/20-cron.policy",
		CONTRIB "/openstack-devstack/50-devstack-api.policy",
		CONTRIB "/openstack-devstack/60-mysqld.policy",
		CONTRIB "/openstack-devstack/61-rabbitmq.policy",
		CONTRIB "/openstack-devstack/80-zookeeper.policy",
	};
	const struct pol_action *a;
	struct og_proc *p;

	tb_machine(8 * GiB, 6 * GiB);
	load(files, OG_ELEMENTSOF(files));
	p = tb_proc(10, "sshd", "/system.slice/ssh.service", 3 * GiB); /* the largest */
	og_strscpy(p->exe, "/usr/sbin/sshd", sizeof(p->exe));
	/* the shipped policies match the executable too (Exe=), not the name alone */
	p = tb_proc(11, "cron", "/system.slice/cron.service", 5 * MiB);
	og_strscpy(p->exe, "/usr/sbin/cron", sizeof(p->exe));
	p = tb_proc(20, "mysqld", "/system.slice/mysql.service", 1200 * MiB);
	og_strscpy(p->exe, "/usr/sbin/mysqld", sizeof(p->exe));
	p = tb_proc(30, "java", "/system.slice/zookeeper.service", 400 * MiB);
	og_strscpy(
		p->cmdline,
		"java -Xmx512m -cp zookeeper.jar org.apache.zookeeper.server.quorum.QuorumPeerMain "
		"/etc/zookeeper/zoo.cfg",
		sizeof(p->cmdline));
	tb_proc(31, "java", "/system.slice/zookeeper.service", 50 * MiB)->ppid = 30;
	for (int i = 0; i < 24; i++)
		tb_proc(100 + i, "nova-api", "/system.slice/devstack@n-api.service", 60 * MiB);
	tb_engine_start();
	tb_step(1);
	tb_dump("shipped devstack healthy");
	ck_assert_uint_eq(tb_signals(), 0);
	ck_assert_uint_eq(tb_count(POL_ACT_OOM_SCORE_ADJ), 3); /* sshd, cron, mysqld */
	tb_avail_pm(200);
	tb_step(20);
	tb_dump("shipped devstack kill");
	a = tb_act(POL_ACT_KILL);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->target.kind, POL_TGT_CGROUP); /* KillUnit=cgroup: the whole unit */
	ck_assert_str_eq(a->target.cgroup, "/system.slice/zookeeper.service");
	ck_assert_uint_eq(a->target.expected_free_bytes, 450 * MiB);
	ck_assert_ptr_nonnull(strstr(a->reason, "80-zookeeper.policy"));
	for (size_t i = 0; i < tb_plan.ntop; i++)
		ck_assert_int_ne(tb_plan.top[i].target.pid, 10);
	unload();
}
END_TEST

START_TEST(shipped_kvm_policies_migrate_a_guest)
{
	static const char *const files[] = {
		CONTRIB "/kvm-host/oomguardian.conf",
		VENDOR "/05-system.policy",
		CONTRIB "/kvm-host/10-libvirt.policy",
		CONTRIB "/kvm-host/50-qemu-guests.policy",
	};
	const struct pol_action *a;

	tb_machine(64 * GiB, 32 * GiB);
	load(files, OG_ELEMENTSOF(files));
	ck_assert(tb_r.cfg.numa_rebalance);
	tb_s.nnodes = 2;
	tb_s.nodes[0] =
		(struct og_numa_node){.id = 0, .total_bytes = 32 * GiB, .free_bytes = 1 * GiB};
	tb_s.nodes[1] =
		(struct og_numa_node){.id = 1, .total_bytes = 32 * GiB, .free_bytes = 20 * GiB};
	tb_proc(26346, "qemu-kvm",
		"/machine.slice/machine-qemu\\x2d1\\x2dvm1.scope/libvirt/emulator", 8 * GiB);
	tb_proc(26541, "qemu-kvm",
		"/machine.slice/machine-qemu\\x2d2\\x2dvm2.scope/libvirt/emulator", 16 * GiB);
	tb_proc(1200, "libvirtd", "/system.slice/libvirtd.service", 12 * GiB); /* protected */
	tb_engine_start();
	tb_step(1);
	tb_dump("shipped kvm");
	a = tb_act(POL_ACT_MIGRATE);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->target.pid, 26541);
	ck_assert_int_eq(a->target.node, 0);
	ck_assert_int_eq(a->target.node_to, 1);
	ck_assert_uint_eq(tb_signals(), 0);
	unload();
}
END_TEST

static Suite *engine_suite(void)
{
	Suite *s = suite_create("pol_engine");
	TCase *basics = tcase_create("basics");
	TCase *seeds = tcase_create("seeds");
	TCase *dyn = tcase_create("dynamics");
	TCase *svc = tcase_create("services");
	TCase *misc = tcase_create("protect-reload-scope");
	TCase *shipped = tcase_create("shipped-policies");

	tcase_add_checked_fixture(basics, setup, teardown);
	tcase_add_test(basics, healthy_machine_does_nothing);
	tcase_add_test(basics, bad_arguments);
	tcase_add_test(basics, kill_reason_is_formatted_after_the_step);
	tcase_add_test(basics, cgroups_rank_by_their_counters);
	tcase_add_test(basics, cgroup_first_takes_the_biggest_group);
	tcase_add_test(basics, policy_cache_too_small_falls_back);
	suite_add_tcase(s, basics);

	tcase_add_checked_fixture(seeds, setup, teardown);
	tcase_add_test(seeds, xen_sshd_and_cron_survive_the_hog);
	tcase_add_test(seeds, only_protected_left_reports_once);
	tcase_add_test(seeds, koji_slab_is_dropped_before_any_kill);
	tcase_add_test(seeds, koji_slab_drop_not_repeated_then_kill);
	tcase_add_test(seeds, slab_dropped_on_memory_condition_when_most_of_available);
	tcase_add_test(seeds, small_slab_is_not_dropped);
	tcase_add_test(seeds, futile_slab_drop_is_not_repeated);
	tcase_add_test(seeds, openstack_zookeeper_then_api_workers_then_bystanders);
	tcase_add_test(seeds, openstack_within_budget_api_is_a_bystander);
	tcase_add_test(seeds, numa_fragmented_node_compacts_and_migrates_not_kills);
	tcase_add_test(seeds, numa_off_or_one_node_never_migrates);
	suite_add_tcase(s, seeds);

	tcase_add_checked_fixture(dyn, setup, teardown);
	tcase_add_test(dyn, fast_spike_goes_straight_to_kill);
	tcase_add_test(dyn, fast_hog_climbs_every_rung_within_the_holdoff);
	tcase_add_test(dyn, v1_scope_plans_no_memory_reclaim);
	tcase_add_test(dyn, slow_leak_climbs_the_ladder_in_order);
	tcase_add_test(dyn, term_then_kill_after_grace);
	tcase_add_test(dyn, grace_zero_kills_at_once);
	tcase_add_test(dyn, vanished_victim_lets_the_next_one_go);
	tcase_add_test(dyn, psi_kill_waits_for_its_holdoff_after_a_vanished_victim);
	tcase_add_test(dyn, zombie_or_reused_pid_counts_as_gone);
	tcase_add_test(dyn, memory_only_snapshot_neither_retires_nor_chooses);
	tcase_add_test(dyn, never_the_same_victim_twice);
	tcase_add_test(dyn, stuck_victims_fill_the_table_without_repeats);
	tcase_add_test(dyn, cgroup_victim_blocks_until_its_last_member_exits);
	tcase_add_test(dyn, process_group_victim_blocks_until_the_group_is_gone);
	tcase_add_test(dyn, flapping_pressure_does_not_repeat);
	tcase_add_test(dyn, flapping_around_kill_holds_off);
	tcase_add_test(dyn, hysteresis_band_does_not_widen_the_kill_zone);
	tcase_add_test(dyn, terminate_victim_escalates_only_on_a_real_kill_trigger);
	tcase_add_test(dyn, psi_limit_must_hold_for_its_duration);
	tcase_add_test(dyn, psi_quiet_only_under_every_limit);
	tcase_add_test(dyn, skipping_quiet_steps_changes_no_decision);
	tcase_add_test(dyn, swap_free_must_also_be_low);
	tcase_add_test(dyn, below_half_the_threshold_swap_free_does_not_matter);
	tcase_add_test(dyn, above_half_the_threshold_free_swap_is_headroom);
	tcase_add_test(dyn, bytes_and_percent_the_lower_binds);
	suite_add_tcase(s, dyn);

	tcase_add_checked_fixture(svc, setup, teardown);
	tcase_add_test(svc, budget_is_per_unit_of_a_template_policy);
	tcase_add_test(svc, over_budget_throttle_on_a_healthy_machine);
	tcase_add_test(svc, shmem_a_kill_cannot_free_spares_the_bystander);
	tcase_add_test(svc, shmem_does_not_spare_a_victim_that_frees_enough);
	tcase_add_test(svc, shmem_small_share_changes_nothing);
	tcase_add_test(svc, shmem_still_filling_spares_a_bystander_that_covers_the_need);
	tcase_add_test(svc, budget_throttle_is_lifted_when_the_service_calms_down);
	tcase_add_test(svc, budget_throttle_without_swap_stops_at_the_anon);
	tcase_add_test(svc, throttled_group_pressure_does_not_climb_the_ladder);
	tcase_add_test(svc, budget_throttle_never_raises_memory_high);
	tcase_add_test(svc, over_budget_kill_takes_the_service_not_the_bystander);
	tcase_add_test(svc, over_budget_kill_reason_is_formatted_after_the_step);
	tcase_add_test(svc, over_budget_reclaim_and_percent_budget);
	tcase_add_test(svc, protected_over_budget_is_only_reported);
	tcase_add_test(svc, service_pressure_limit_terminates_its_victim);
	tcase_add_test(svc, throttle_prefers_over_budget_and_is_lifted_after);
	suite_add_tcase(s, svc);

	tcase_add_checked_fixture(misc, setup, teardown);
	tcase_add_test(misc, protection_is_planned_once_per_process);
	tcase_add_test(misc, reload_mid_incident_keeps_the_victim);
	tcase_add_test(misc, reload_lifts_throttles_of_removed_services);
	tcase_add_test(misc, scope_cgroup_limits_candidates_and_metrics);
	tcase_add_test(misc, scope_psi_is_the_scopes);
	tcase_add_test(misc, scope_reclaim_asks_the_scope);
	tcase_add_test(misc, ctx_total_overrides_the_scope_total);
	tcase_add_test(misc, pressure_limit_without_victim_reports);
	tcase_add_test(misc, protection_follows_a_reloaded_value);
	tcase_add_test(misc, self_is_never_a_victim);
	suite_add_tcase(s, misc);

	tcase_add_checked_fixture(shipped, setup, teardown);
	tcase_add_test(shipped, shipped_devstack_policies_kill_zookeeper_keep_sshd);
	tcase_add_test(shipped, shipped_kvm_policies_migrate_a_guest);
	suite_add_tcase(s, shipped);
	return s;
}

int main(void)
{
	int cached, uncached;

	/* Everything twice: with the policy cache the daemon reserves, and without it. */
	tb_cached = true;
	cached = og_check_run(engine_suite());
	tb_cached = false;
	uncached = og_check_run(engine_suite());
	return cached == EXIT_SUCCESS && uncached == EXIT_SUCCESS ? EXIT_SUCCESS : EXIT_FAILURE;
}
