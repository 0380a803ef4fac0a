/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of policy/engine/pol_victim.c: who may be a victim, badness, ranking, kill units. */
#include <check.h>

#include "tests/unit/og_check.h"
#include "tests/unit/pol_builder.h"

static struct pol_victim_opts opts;
static struct pol_candidate top[8];

static void setup(void)
{
	tb_machine(8 * GiB, 6 * GiB);
	tb_rules_init();
	memset(&opts, 0, sizeof(opts));
	opts.self_pid = 999;
	opts.total_bytes = 8 * GiB;
}

static void teardown(void)
{
	tb_rules_free();
}

static size_t rank(void)
{
	memset(top, 0, sizeof(top));
	return pol_victims(&tb_s, &tb_r, &opts, top, 8);
}

START_TEST(badness_is_anon_plus_swap)
{
	struct og_proc *p = tb_proc(100, "app", "/", 100 * MiB);

	p->swap_bytes = 50 * MiB;
	p->rss_shmem_bytes = 500 * MiB; /* tmpfs/SysV: outlives the process */
	p->rss_file_bytes = 700 * MiB; /* reclaimable without a kill */
	ck_assert_uint_eq(pol_proc_freeable(p), 150 * MiB);
	ck_assert_uint_eq(rank(), 1);
	ck_assert_uint_eq(top[0].free_bytes, 150 * MiB);
	ck_assert_uint_eq(top[0].target.expected_free_bytes, 150 * MiB);
	ck_assert_int_eq(top[0].target.kind, POL_TGT_PROCESS);
	ck_assert_uint_eq(top[0].target.starttime_ticks, p->starttime_ticks);
}
END_TEST

START_TEST(never_pid1_kthread_self_zombie_or_empty)
{
	struct og_proc *init = tb_proc(1, "systemd", "/init.scope", 4 * GiB);
	struct og_proc *kt = tb_proc(50, "kswapd0", "/", 3 * GiB);
	struct og_proc *kt2 = tb_proc(51, "kworker/0:1", "/", 3 * GiB);
	struct og_proc *self = tb_proc(999, "oomguardiand", "/system.slice/og.service", 2 * GiB);
	struct og_proc *z = tb_proc(60, "defunct", "/", 2 * GiB);
	struct og_proc *empty = tb_proc(61, "empty", "/", 0);

	(void)init;
	(void)self;
	(void)empty;
	kt->ppid = 2;
	kt->kthread = true; /* PF_KTHREAD */
	kt2->kthread = true;
	kt2->cmdline[0] = '\0';
	kt2->exe[0] = '\0';
	tb_proc(2, "kthreadd", "/", 3 * GiB)->ppid = 0;
	z->state = 'Z';
	tb_proc(70, "victim", "/user.slice", 10 * MiB);
	ck_assert_uint_eq(rank(), 1);
	ck_assert_int_eq(top[0].target.pid, 70);
}
END_TEST

/*
 * Issue 10 item 2: a user process with an empty cmdline (it overwrote its argv, or is being
 * set up by exec) and an unreadable exe (another user's, without CAP_SYS_PTRACE) was taken for
 * a kernel thread and could never be chosen. So was a usermode helper forked by kthreadd
 * (ppid 2: modprobe, a core dump pipe handler). Only PF_KTHREAD makes a kernel thread.
 */
START_TEST(empty_cmdline_and_exe_is_still_a_user_process)
{
	struct og_proc *hidden = tb_proc(300, "hog", "/user.slice", 2 * GiB);
	struct og_proc *helper = tb_proc(301, "core-handler", "/", 1 * GiB);

	hidden->cmdline[0] = '\0';
	hidden->exe[0] = '\0';
	helper->ppid = 2;
	tb_proc(302, "small", "/user.slice", 10 * MiB);
	ck_assert_uint_eq(rank(), 3);
	ck_assert_int_eq(top[0].target.pid, 300);
	ck_assert_int_eq(top[1].target.pid, 301);
	ck_assert(!pol_proc_kthread(hidden));
	hidden->kthread = true;
	ck_assert(pol_proc_kthread(hidden));
	ck_assert_uint_eq(rank(), 2);
	ck_assert_int_eq(top[0].target.pid, 301);
}
END_TEST

START_TEST(protected_largest_is_never_chosen)
{
	struct pol_service *svc = tb_service_name("10-sshd", "sshd");

	svc->protect = true;
	tb_proc(100, "sshd", "/system.slice/ssh.service", 6 * GiB);
	tb_proc(101, "hog", "/user.slice", 100 * MiB);
	ck_assert_uint_eq(rank(), 1);
	ck_assert_int_eq(top[0].target.pid, 101);
}
END_TEST

START_TEST(oom_score_adj_minus_1000_is_never)
{
	tb_proc(100, "watchdogd", "/system.slice/watchdog.service", 2 * GiB)->oom_score_adj = -1000;
	tb_proc(101, "other", "/", 10 * MiB)->oom_score_adj = -999;
	ck_assert_uint_eq(rank(), 1);
	ck_assert_int_eq(top[0].target.pid, 101);
}
END_TEST

START_TEST(kill_preference_never_excludes)
{
	struct pol_service *svc = tb_service_name("10-db", "postgres");

	svc->kill_pref = POL_KP_NEVER;
	tb_proc(100, "postgres", "/system.slice/postgresql.service", 6 * GiB);
	ck_assert_uint_eq(rank(), 0);
}
END_TEST

START_TEST(prefer_goes_first_even_when_smaller)
{
	struct pol_service *svc = tb_service_name("50-zookeeper", "java");

	svc->kill_pref = POL_KP_PREFER;
	tb_proc(100, "mysqld", "/system.slice/mysql.service", 2 * GiB);
	tb_proc(101, "java", "/system.slice/zookeeper.service", 300 * MiB);
	ck_assert_uint_eq(rank(), 2);
	ck_assert_int_eq(top[0].target.pid, 101);
	ck_assert_int_eq(top[0].tier, POL_TIER_PREFER);
	ck_assert_str_eq(top[0].service, "50-zookeeper");
	ck_assert_str_eq(top[0].rule, "/etc/oomguardian/policy.d/50-zookeeper.policy");
	ck_assert_int_eq(top[1].target.pid, 100);
}
END_TEST

static bool api_over; /* the instance 20-nova-api (nova-api.service) */

static bool over_budget(const void *data, size_t svc, const char *key)
{
	ck_assert_ptr_eq(data, &api_over);
	return svc == 0 && strcmp(key, "nova-api.service") == 0 && api_over;
}

START_TEST(over_budget_before_bystanders_even_if_avoid)
{
	struct pol_service *api = tb_service_name("20-nova-api", "nova-api");

	api->kill_pref = POL_KP_AVOID;
	api_over = true;
	opts.is_over_budget = over_budget;
	opts.over_budget_data = &api_over;
	tb_proc(100, "mysqld", "/system.slice/mysql.service", 2 * GiB);
	tb_proc(101, "nova-api", "/system.slice/nova-api.service", 200 * MiB);
	ck_assert_uint_eq(rank(), 2);
	ck_assert_int_eq(top[0].target.pid, 101);
	ck_assert(top[0].over_budget);
	ck_assert_int_eq(top[0].tier, POL_TIER_OVER_BUDGET);
	api_over = false;
	ck_assert_uint_eq(rank(), 2);
	ck_assert_int_eq(top[0].target.pid, 100);
	ck_assert_int_eq(top[1].tier, POL_TIER_AVOID);
}
END_TEST

START_TEST(avoid_only_when_no_default_frees_enough)
{
	struct pol_service *svc = tb_service_name("30-qemu", "qemu-kvm");

	svc->kill_pref = POL_KP_AVOID;
	tb_proc(100, "qemu-kvm", "/machine.slice/vm1.scope", 16 * GiB);
	tb_proc(101, "updatedb", "/system.slice/x.service", 300 * MiB);
	opts.needed_bytes = 200 * MiB; /* the bystander is enough */
	ck_assert_uint_eq(rank(), 2);
	ck_assert_int_eq(top[0].target.pid, 101);
	opts.needed_bytes = 0; /* unknown: avoid stays last */
	ck_assert_uint_eq(rank(), 2);
	ck_assert_int_eq(top[0].target.pid, 101);
	opts.needed_bytes = 1 * GiB; /* nobody else frees a GiB: the avoided guest goes */
	ck_assert_uint_eq(rank(), 2);
	ck_assert_int_eq(top[0].target.pid, 100);
	ck_assert_int_eq(top[0].tier, POL_TIER_AVOID_NEEDED);
}
END_TEST

START_TEST(oom_score_then_pid_break_ties)
{
	struct og_proc *a = tb_proc(300, "a", "/", 100 * MiB);
	struct og_proc *b = tb_proc(200, "b", "/", 100 * MiB);
	struct og_proc *c = tb_proc(100, "c", "/", 100 * MiB);

	a->oom_score = 10;
	b->oom_score = 500;
	c->oom_score = 10;
	ck_assert_uint_eq(rank(), 3);
	ck_assert_int_eq(top[0].target.pid, 200);
	ck_assert_int_eq(top[1].target.pid, 100);
	ck_assert_int_eq(top[2].target.pid, 300);
}
END_TEST

START_TEST(top_is_limited_and_sorted)
{
	struct pol_candidate two[2];

	for (int i = 0; i < 20; i++)
		tb_proc(100 + i, "w", "/", (uint64_t)(i + 1) * MiB);
	ck_assert_uint_eq(pol_victims(&tb_s, &tb_r, &opts, two, 2), 2);
	ck_assert_int_eq(two[0].target.pid, 119);
	ck_assert_int_eq(two[1].target.pid, 118);
	ck_assert_uint_eq(pol_victims(&tb_s, &tb_r, &opts, two, 0), 0);
}
END_TEST

START_TEST(scope_prefix_at_slash_boundary)
{
	ck_assert(pol_in_scope("/machine.slice", "/machine.slice"));
	ck_assert(pol_in_scope("/machine.slice", "/machine.slice/vm1.scope"));
	ck_assert(pol_in_scope("/machine.slice/", "/machine.slice/vm1.scope"));
	ck_assert(!pol_in_scope("/machine.slice", "/machine.slicer/x"));
	ck_assert(!pol_in_scope("/machine.slice", "/"));
	ck_assert(!pol_in_scope("/machine.slice", ""));
	ck_assert(pol_in_scope("", "/anything"));
	ck_assert(pol_in_scope("/", "/anything"));
	ck_assert(pol_in_scope(NULL, "/anything"));

	tb_proc(100, "big", "/system.slice/big.service", 4 * GiB);
	tb_proc(101, "guest", "/machine.slice/vm1.scope", 1 * GiB);
	tb_proc(102, "v1only", "/", 2 * GiB);
	og_strscpy(tb_procs[2].memcg_v1, "/machine.slice/vm2", sizeof(tb_procs[2].memcg_v1));
	opts.scope = "/machine.slice";
	ck_assert_uint_eq(rank(), 2);
	ck_assert_int_eq(top[0].target.pid, 102);
	ck_assert_int_eq(top[1].target.pid, 101);
}
END_TEST

START_TEST(victims_in_flight_are_excluded)
{
	struct pol_victim_rec rec = {0};
	struct og_proc *p = tb_proc(100, "hog", "/", 4 * GiB);

	tb_proc(101, "other", "/", 1 * GiB);
	rec.target.kind = POL_TGT_PROCESS;
	rec.target.pid = 100;
	rec.target.starttime_ticks = p->starttime_ticks;
	opts.inflight = &rec;
	opts.ninflight = 1;
	ck_assert_uint_eq(rank(), 1);
	ck_assert_int_eq(top[0].target.pid, 101);
	/* pid reused by a new process: that one is a stranger, not the victim */
	p->starttime_ticks += 5;
	ck_assert_uint_eq(rank(), 2);
	ck_assert_int_eq(top[0].target.pid, 100);
}
END_TEST

START_TEST(process_group_sums_its_members_once)
{
	struct pol_service *svc = tb_service("40-build");
	struct og_proc *a = tb_proc(100, "make", "/user.slice", 10 * MiB);
	struct og_proc *b = tb_proc(101, "cc1", "/user.slice", 300 * MiB);
	struct og_proc *c = tb_proc(102, "cc1", "/user.slice", 200 * MiB);

	tb_strv_push(&svc->match.cgroup, "/user.slice");
	svc->kill_unit = POL_KU_PROCESS_GROUP;
	b->pgid = c->pgid = a->pid;
	tb_proc(200, "firefox", "/user.slice/app", 400 * MiB);
	ck_assert_uint_eq(rank(), 2);
	ck_assert_int_eq(top[0].target.kind, POL_TGT_PROCESS_GROUP);
	ck_assert_int_eq(top[0].target.pgid, 100);
	ck_assert_int_eq(top[0].target.pid, 101); /* the largest member stands for the group */
	ck_assert_uint_eq(top[0].free_bytes, 510 * MiB);
	ck_assert_int_eq(top[1].target.pid, 200);
}
END_TEST

START_TEST(group_with_protected_member_falls_back_to_process)
{
	struct pol_service *grp = tb_service("40-group");
	struct pol_service *prot = tb_service_name("10-protect", "leader");
	struct og_proc *a = tb_proc(100, "leader", "/x.slice", 10 * MiB);
	struct og_proc *b = tb_proc(101, "helper", "/x.slice", 300 * MiB);

	tb_strv_push(&grp->match.cgroup, "/x.slice");
	grp->kill_unit = POL_KU_PROCESS_GROUP;
	prot->protect = true;
	b->pgid = a->pid;
	ck_assert_uint_eq(rank(), 1);
	ck_assert_int_eq(top[0].target.kind, POL_TGT_PROCESS);
	ck_assert_int_eq(top[0].target.pid, 101);
	ck_assert_uint_eq(top[0].free_bytes, 300 * MiB);
}
END_TEST

START_TEST(cgroup_unit_uses_current_minus_file)
{
	struct pol_service *svc = tb_service("30-qemu");
	struct og_cgroup *cg;
	struct og_proc *p = tb_proc(100, "qemu-kvm", "/machine.slice/vm1.scope", 3 * GiB);

	tb_strv_push(&svc->match.cgroup, "/machine.slice/*");
	svc->kill_unit = POL_KU_CGROUP;
	p->swap_bytes = 100 * MiB;
	tb_proc(101, "qemu-helper", "/machine.slice/vm1.scope", 10 * MiB);
	ck_assert_uint_eq(rank(), 1); /* one candidate for the cgroup */
	ck_assert_int_eq(top[0].target.kind, POL_TGT_CGROUP);
	ck_assert_str_eq(top[0].target.cgroup, "/machine.slice/vm1.scope");
	ck_assert_uint_eq(top[0].free_bytes, 3 * GiB + 110 * MiB); /* members: no counters */
	cg = tb_cgroup("/machine.slice/vm1.scope", 5 * GiB, OG_UNLIMITED);
	cg->file_bytes = 1 * GiB;
	ck_assert_uint_eq(rank(), 1);
	ck_assert_uint_eq(top[0].free_bytes, 4 * GiB + 100 * MiB);
}
END_TEST

START_TEST(root_or_scope_cgroup_is_no_kill_unit)
{
	struct pol_service *svc = tb_service("30-all");

	svc->match.all = true;
	svc->kill_unit = POL_KU_CGROUP;
	tb_proc(100, "a", "/", 300 * MiB);
	tb_proc(101, "b", "/machine.slice", 200 * MiB);
	ck_assert_uint_eq(rank(), 2);
	ck_assert_int_eq(top[0].target.kind, POL_TGT_PROCESS);
	ck_assert_int_eq(top[0].target.pid, 100);
	opts.scope = "/machine.slice";
	ck_assert_uint_eq(rank(), 1);
	ck_assert_int_eq(top[0].target.kind, POL_TGT_PROCESS);
	ck_assert_int_eq(top[0].target.pid, 101);
}
END_TEST

START_TEST(only_service_restricts)
{
	struct pol_service *a = tb_service_name("20-api", "api");

	tb_proc(100, "big", "/", 4 * GiB);
	tb_proc(101, "api", "/system.slice/devstack@a.service", 100 * MiB);
	tb_proc(102, "api", "/system.slice/devstack@b.service", 200 * MiB);
	tb_proc(103, "api", "/system.slice/devstack@a.service", 150 * MiB);
	opts.only_svc = a;
	ck_assert_uint_eq(rank(), 3);
	ck_assert_int_eq(top[0].target.pid, 102);
	opts.only_key = "devstack@a.service"; /* one instance of the policy */
	ck_assert_uint_eq(rank(), 2);
	ck_assert_int_eq(top[0].target.pid, 103);
	ck_assert_int_eq(top[1].target.pid, 101);
}
END_TEST

static Suite *victim_suite(void)
{
	Suite *s = suite_create("pol_victim");
	TCase *tc = tcase_create("victim");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, badness_is_anon_plus_swap);
	tcase_add_test(tc, never_pid1_kthread_self_zombie_or_empty);
	tcase_add_test(tc, empty_cmdline_and_exe_is_still_a_user_process);
	tcase_add_test(tc, protected_largest_is_never_chosen);
	tcase_add_test(tc, oom_score_adj_minus_1000_is_never);
	tcase_add_test(tc, kill_preference_never_excludes);
	tcase_add_test(tc, prefer_goes_first_even_when_smaller);
	tcase_add_test(tc, over_budget_before_bystanders_even_if_avoid);
	tcase_add_test(tc, avoid_only_when_no_default_frees_enough);
	tcase_add_test(tc, oom_score_then_pid_break_ties);
	tcase_add_test(tc, top_is_limited_and_sorted);
	tcase_add_test(tc, scope_prefix_at_slash_boundary);
	tcase_add_test(tc, victims_in_flight_are_excluded);
	tcase_add_test(tc, process_group_sums_its_members_once);
	tcase_add_test(tc, group_with_protected_member_falls_back_to_process);
	tcase_add_test(tc, cgroup_unit_uses_current_minus_file);
	tcase_add_test(tc, root_or_scope_cgroup_is_no_kill_unit);
	tcase_add_test(tc, only_service_restricts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return og_check_run(victim_suite());
}
