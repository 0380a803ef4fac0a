/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of policy/engine/pol_node.c, the per-node stage, on a two-node fixture shaped like
 * the VM tier's numa guest (two nodes of 640 MiB) and issue 8's finding: a hog bound to node 1
 * fills node 1 while the machine has half its memory available. Test ladder (pol_builder.h):
 * reclaim 15%, throttle 10%, terminate 5%, kill 2.5%, hysteresis 2%.
 */
#include <check.h>

#include "policy/engine/zone.h"
#include "tests/unit/og_check.h"
#include "tests/unit/pol_builder.h"

static void setup(void)
{
	tb_machine(1280 * MiB, 640 * MiB); /* 50% available */
	tb_rules_init();
	tb_s.nnodes = 2;
	for (int n = 0; n < 2; n++) {
		tb_s.nodes[n].id = n;
		tb_s.nodes[n].total_bytes = 640 * MiB;
	}
	tb_s.nodes[0].free_bytes = 600 * MiB;
	tb_s.nodes[1].free_bytes = 400 * MiB;
	tb_s.nodes[1].inactive_file_bytes = 10 * MiB;
}

static void teardown(void)
{
	pol_state_free(&tb_st);
	tb_rules_free();
}

/* node 1 available (free + inactive file + active file / 2) to bytes */
static void node1_avail(uint64_t bytes)
{
	tb_s.nodes[1].free_bytes = bytes - tb_s.nodes[1].inactive_file_bytes;
}

static const struct pol_action *node_report(int node)
{
	for (size_t i = 0; i < tb_plan.n; i++)
		if (tb_plan.actions[i].kind == POL_ACT_REPORT &&
		    tb_plan.actions[i].target.kind == POL_TGT_NODE &&
		    tb_plan.actions[i].target.node == node)
			return &tb_plan.actions[i];
	return NULL;
}

START_TEST(node_stage_against_the_nodes_own_size)
{
	struct og_numa_node n = {.id = 1, .total_bytes = 640 * MiB, .free_bytes = 20 * MiB,
				 .inactive_file_bytes = 8 * MiB, .active_file_bytes = 8 * MiB};

	ck_assert_uint_eq(pol_node_avail(&n), 32 * MiB);
	ck_assert_int_eq(pol_node_stage(&tb_r.cfg, &n, 0), POL_STAGE_THROTTLE); /* 5.0% */
	n.free_bytes = 10 * MiB;
	ck_assert_int_eq(pol_node_stage(&tb_r.cfg, &n, 0), POL_STAGE_TERMINATE); /* 3.4% */
	n.free_bytes = 1 * MiB;
	ck_assert_int_eq(pol_node_stage(&tb_r.cfg, &n, 0), POL_STAGE_KILL);
	n.free_bytes = 400 * MiB;
	ck_assert_int_eq(pol_node_stage(&tb_r.cfg, &n, 0), POL_STAGE_NONE);
	ck_assert(!pol_node_near(&tb_r.cfg, &n));
	n.free_bytes = 100 * MiB; /* 17.7% < 15% * 1.25 */
	ck_assert(pol_node_near(&tb_r.cfg, &n));
	ck_assert_uint_eq(pol_node_threshold_bytes(&tb_r.cfg, POL_STAGE_KILL, &n), 16 * MiB);
	/* the kernel keeps the high watermarks free: they are not available (VM run: min 29 MiB,
	 * high 43 MiB on a 583 MiB node, the mempolicy OOM came at 5% "available" without this) */
	n.free_bytes = 72 * MiB;
	ck_assert_int_eq(pol_node_stage(&tb_r.cfg, &n, 0), POL_STAGE_RECLAIM); /* 13.1% */
	n.reserve_bytes = 43 * MiB;
	ck_assert_uint_eq(pol_node_avail(&n), 41 * MiB);
	ck_assert_int_eq(pol_node_stage(&tb_r.cfg, &n, 0), POL_STAGE_THROTTLE); /* 6.4% */
	n.reserve_bytes = 200 * MiB; /* more than free: no free memory left, the file pages are */
	ck_assert_uint_eq(pol_node_avail(&n), 12 * MiB);
	{
		struct og_zone z[2] = {{.node = 1, .has_zoneinfo = true, .high_bytes = 40 * MiB},
				       {.node = 1, .has_zoneinfo = false, .high_bytes = 9 * MiB}};
		struct og_numa_node two[2] = {{.id = 0, .reserve_bytes = 5}, {.id = 1}};

		og_zone_node_reserves(z, 2, two, 2);
		ck_assert_uint_eq(two[0].reserve_bytes, 0);
		ck_assert_uint_eq(two[1].reserve_bytes, 40 * MiB);
	}
	n.total_bytes = 0;
	ck_assert_int_eq(pol_node_stage(&tb_r.cfg, &n, 0), POL_STAGE_NONE);
}
END_TEST

/* The terminate zone of a node (decisions every 100 ms there): terminate 5% + a quarter */
START_TEST(node_hot_within_a_quarter_of_terminate)
{
	struct og_numa_node n = {.id = 1, .total_bytes = 640 * MiB, .free_bytes = 41 * MiB};

	ck_assert(pol_node_near(&tb_r.cfg, &n)); /* 6.4%: near, throttle rung */
	ck_assert(!pol_node_hot(&tb_r.cfg, &n));
	n.free_bytes = 39 * MiB; /* 6.09% < 6.25% */
	ck_assert(pol_node_hot(&tb_r.cfg, &n));
	ck_assert_int_eq(pol_node_stage(&tb_r.cfg, &n, 0), POL_STAGE_THROTTLE);
	/* no terminate threshold: the kill rung's */
	tb_r.cfg.stage[POL_STAGE_TERMINATE].mem_avail_permyriad = 0;
	ck_assert(!pol_node_hot(&tb_r.cfg, &n));
	n.free_bytes = 19 * MiB; /* 2.97% < 3.125% */
	ck_assert(pol_node_hot(&tb_r.cfg, &n));
	n.total_bytes = 0;
	ck_assert(!pol_node_hot(&tb_r.cfg, &n));
}
END_TEST

START_TEST(bound_hog_filling_its_node_is_killed_not_a_bystander)
{
	const struct pol_action *a;
	struct og_proc *hog, *big;

	/* the bystander is larger but may use both nodes; the hog is bound to node 1 */
	big = tb_proc(300, "bystander", "/system.slice/ogbystander.service", 500 * MiB);
	big->mems_mask = 0x3;
	hog = tb_proc(400, "memhog", "/system.slice/oghog.service", 560 * MiB);
	hog->mems_mask = 0x2;
	tb_proc(500, "unread", "/system.slice/other.service", 700 * MiB); /* mask not read */
	tb_engine_start();

	tb_step(1);
	ck_assert_uint_eq(tb_plan.n, 0); /* node 1 has 64% available */

	node1_avail(80 * MiB); /* 12.5%: reclaim stage of node 1 */
	tb_step(2);
	tb_dump("node reclaim");
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_NONE); /* the machine is fine */
	a = node_report(1);
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->metric, "node_available_permyriad");
	ck_assert_ptr_nonnull(strstr(a->reason, "node 1 12.50% available"));
	ck_assert_ptr_nonnull(strstr(a->reason, "machine has 50.00% available"));
	ck_assert_ptr_nonnull(strstr(a->reason, "confined to node 1: memhog pid 400"));
	ck_assert_ptr_null(strstr(a->reason, "bystander"));
	ck_assert_ptr_null(node_report(0));
	a = tb_act(POL_ACT_COMPACT);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->target.node, 1);
	ck_assert_uint_eq(tb_signals(), 0);

	tb_step(3); /* once per episode */
	ck_assert_ptr_null(node_report(1));
	ck_assert_ptr_null(tb_act(POL_ACT_COMPACT));

	node1_avail(25 * MiB); /* 3.9%: terminate */
	tb_step(4);
	tb_dump("node terminate");
	a = tb_signal_to(400);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->kind, POL_ACT_TERM);
	ck_assert_uint_eq(tb_signals(), 1);
	ck_assert_ptr_nonnull(strstr(a->reason, "node 1"));
	ck_assert_ptr_nonnull(strstr(a->reason, "per-node"));
	ck_assert_ptr_nonnull(strstr(a->rule, "(node 1)"));
	ck_assert_ptr_nonnull(node_report(1)); /* the new stage of the node is reported */

	node1_avail(8 * MiB); /* kill level, the TERM victim still there: escalation only */
	tb_step(5);
	ck_assert_ptr_null(tb_signal_to(300));
	ck_assert_ptr_null(tb_signal_to(500));
}
END_TEST

START_TEST(nobody_confined_nobody_killed)
{
	struct og_proc *p = tb_proc(300, "bystander", "/system.slice/ogbystander.service", 500 * MiB);

	p->mems_mask = 0x3;
	tb_proc(500, "unread", "/system.slice/other.service", 700 * MiB);
	tb_engine_start();
	node1_avail(8 * MiB);
	tb_step(1);
	ck_assert_uint_eq(tb_signals(), 0);
	ck_assert_ptr_nonnull(strstr(node_report(1)->reason, "confined to node 1: none seen"));
}
END_TEST

START_TEST(node_recovers_with_hysteresis_then_reports_again)
{
	struct og_proc *hog = tb_proc(400, "memhog", "/system.slice/oghog.service", 560 * MiB);

	hog->mems_mask = 0x2;
	tb_engine_start();
	node1_avail(90 * MiB); /* 14.1% */
	tb_step(1);
	ck_assert_ptr_nonnull(node_report(1));
	node1_avail(100 * MiB); /* 15.6%: above 15%, within 15% + 2% */
	tb_step(2);
	ck_assert_uint_eq(tb_plan.n, 0);
	ck_assert_int_eq(tb_st.node[1].level, POL_STAGE_RECLAIM);
	node1_avail(90 * MiB);
	tb_step(3);
	ck_assert_ptr_null(node_report(1)); /* same episode */
	node1_avail(120 * MiB); /* 18.75%: cleared */
	tb_step(4);
	ck_assert_int_eq(tb_st.node[1].level, POL_STAGE_NONE);
	node1_avail(90 * MiB);
	tb_step(5);
	ck_assert_ptr_nonnull(node_report(1));
}
END_TEST

START_TEST(node_as_short_as_the_machine_is_the_machines_case)
{
	/* the golden numa fixture's shape: the machine itself at reclaim (14%), node 1 at 14.1%
	 * is not a per-node shortage (no node report, no node compaction); node 1 at throttle
	 * (8.6%, below the machine's stage) is */
	struct og_proc *hog = tb_proc(400, "memhog", "/system.slice/oghog.service", 560 * MiB);

	hog->mems_mask = 0x2;
	tb_engine_start();
	tb_avail_pm(1400);
	node1_avail(90 * MiB);
	tb_step(1);
	ck_assert_int_eq(tb_plan.stage, POL_STAGE_RECLAIM);
	ck_assert_ptr_null(node_report(1));
	ck_assert_int_eq(tb_st.node[1].level, POL_STAGE_NONE);
	node1_avail(55 * MiB);
	tb_step(2);
	ck_assert_ptr_nonnull(node_report(1));
	ck_assert_int_eq(node_report(1)->stage, POL_STAGE_THROTTLE);
	ck_assert_ptr_nonnull(strstr(node_report(1)->reason, "; the machine has 13.99% available: a per-node"));
	ck_assert_uint_eq(tb_signals(), 0);
}
END_TEST

START_TEST(one_node_or_a_scope_has_no_node_stage)
{
	struct og_proc *hog = tb_proc(400, "memhog", "/system.slice/oghog.service", 560 * MiB);

	hog->mems_mask = 0x2;
	tb_s.nnodes = 1;
	tb_engine_start();
	node1_avail(8 * MiB);
	tb_step(1);
	ck_assert_uint_eq(tb_plan.n, 0); /* one node: the machine ladder is the node's */
	tb_s.nnodes = 2;
	tb_step(2);
	ck_assert_uint_eq(tb_signals(), 1); /* the fixture does act on the whole machine */
	pol_state_free(&tb_st);
	og_strscpy(tb_r.cfg.scope, "/system.slice", sizeof(tb_r.cfg.scope));
	tb_engine_start();
	tb_step(3);
	ck_assert_uint_eq(tb_plan.n, 0); /* a scope: its own ladder, no node stage */
}
END_TEST

static Suite *node_suite(void)
{
	Suite *s = suite_create("pol_node");
	TCase *tc = tcase_create("node");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, node_stage_against_the_nodes_own_size);
	tcase_add_test(tc, node_hot_within_a_quarter_of_terminate);
	tcase_add_test(tc, bound_hog_filling_its_node_is_killed_not_a_bystander);
	tcase_add_test(tc, nobody_confined_nobody_killed);
	tcase_add_test(tc, node_recovers_with_hysteresis_then_reports_again);
	tcase_add_test(tc, node_as_short_as_the_machine_is_the_machines_case);
	tcase_add_test(tc, one_node_or_a_scope_has_no_node_stage);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return og_check_run(node_suite());
}
