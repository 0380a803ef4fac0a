/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of policy/engine/pol_match.c: [Match] semantics and which policy file wins. */
#include <check.h>

#include "tests/unit/og_check.h"
#include "tests/unit/pol_builder.h"

static void setup(void)
{
	tb_machine(8 * GiB, 6 * GiB);
	tb_rules_init();
}

static void teardown(void)
{
	tb_rules_free();
}

START_TEST(name_is_exact_comm)
{
	struct pol_service *svc = tb_service("10-sshd");
	struct og_proc *p = tb_proc(100, "sshd", "/system.slice/ssh.service", 10 * MiB);
	struct og_proc *q = tb_proc(101, "sshd-session", "/system.slice/ssh.service", 10 * MiB);
	struct og_proc *r = tb_proc(102, "ssh", "/user.slice", 10 * MiB);

	tb_strv_push(&svc->match.name, "sshd");
	ck_assert(pol_match_proc(&svc->match, p));
	ck_assert(!pol_match_proc(&svc->match, q));
	ck_assert(!pol_match_proc(&svc->match, r));
}
END_TEST

START_TEST(any_value_of_a_key_matches)
{
	struct pol_service *svc = tb_service("20-cron");
	struct og_proc *a = tb_proc(100, "cron", "/system.slice/cron.service", MiB);
	struct og_proc *b = tb_proc(101, "crond", "/system.slice/crond.service", MiB);
	struct og_proc *c = tb_proc(102, "atd", "/system.slice/atd.service", MiB);

	tb_strv_push(&svc->match.name, "cron");
	tb_strv_push(&svc->match.name, "crond");
	ck_assert(pol_match_proc(&svc->match, a));
	ck_assert(pol_match_proc(&svc->match, b));
	ck_assert(!pol_match_proc(&svc->match, c));
}
END_TEST

START_TEST(all_given_keys_must_match)
{
	struct pol_service *svc = tb_service("30-x");
	struct og_proc *p = tb_proc(100, "sshd", "/system.slice/ssh.service", MiB);

	tb_strv_push(&svc->match.name, "sshd");
	tb_match_uid(svc, 0);
	ck_assert(pol_match_proc(&svc->match, p));
	p->uid = 1000;
	ck_assert(!pol_match_proc(&svc->match, p));
	tb_match_uid(svc, 1000);
	ck_assert(pol_match_proc(&svc->match, p));
	tb_strv_push(&svc->match.unit, "cron.service");
	ck_assert(!pol_match_proc(&svc->match, p));
}
END_TEST

START_TEST(exe_unit_cgroup_are_globs)
{
	struct pol_service *svc = tb_service("40-globs");
	struct og_proc *p =
		tb_proc(100, "qemu-kvm", "/machine.slice/machine-qemu\\x2d1.scope/emulator", GiB);

	og_strscpy(p->exe, "/usr/libexec/qemu-kvm", sizeof(p->exe));
	tb_strv_push(&svc->match.exe, "/usr/libexec/qemu-*");
	ck_assert(pol_match_proc(&svc->match, p));
	tb_strv_push(&svc->match.cgroup, "/machine.slice/*");
	ck_assert(pol_match_proc(&svc->match, p)); /* '*' crosses '/' (no FNM_PATHNAME) */
	tb_strv_push(&svc->match.unit, "*.service");
	ck_assert(!pol_match_proc(&svc->match, p)); /* no unit: a Unit= key cannot match */
	og_strscpy(p->unit, "libvirtd.service", sizeof(p->unit));
	ck_assert(pol_match_proc(&svc->match, p));
}
END_TEST

START_TEST(cgroup_glob_also_tries_the_v1_memory_path)
{
	struct pol_service *svc = tb_service("50-v1");
	struct og_proc *p = tb_proc(100, "httpd", "/", 100 * MiB);

	tb_strv_push(&svc->match.cgroup, "/system.slice/httpd.service");
	ck_assert(!pol_match_proc(&svc->match, p));
	og_strscpy(p->memcg_v1, "/system.slice/httpd.service", sizeof(p->memcg_v1));
	ck_assert(pol_match_proc(&svc->match, p));
}
END_TEST

START_TEST(unreadable_exe_never_matches_an_exe_glob)
{
	struct pol_service *svc = tb_service("60-exe");
	struct og_proc *p = tb_proc(100, "x", "/", MiB);

	p->exe[0] = '\0';
	tb_strv_push(&svc->match.exe, "*");
	ck_assert(!pol_match_proc(&svc->match, p));
}
END_TEST

START_TEST(cmdline_is_an_ere)
{
	struct pol_service *svc = tb_service("70-nova");
	struct og_proc *p = tb_proc(100, "python3", "/system.slice/devstack@n-api.service", MiB);

	og_strscpy(p->cmdline, "/usr/bin/python3 /usr/local/bin/nova-api --config-file x",
		   sizeof(p->cmdline));
	tb_match_cmdline(svc, "^/usr/bin/python3 .*nova-api");
	ck_assert(pol_match_proc(&svc->match, p));
	og_strscpy(p->cmdline, "/usr/bin/python3 /usr/local/bin/glance-api", sizeof(p->cmdline));
	ck_assert(!pol_match_proc(&svc->match, p));
	/* sources without compiled regexes (a broken loader) never match */
	regfree(&svc->match.cmdline[0]);
	free(svc->match.cmdline);
	svc->match.cmdline = NULL;
	tb_strv_free(&svc->match.cmdline_src);
	tb_strv_push(&svc->match.cmdline_src, ".*");
	ck_assert(!pol_match_proc(&svc->match, p));
}
END_TEST

START_TEST(hostile_comm_matches_only_itself)
{
	struct pol_service *svc = tb_service("80-hostile");
	struct og_proc *p = tb_proc(100, "a) S 1 (b\n", "/", MiB);

	tb_strv_push(&svc->match.name, "a) S 1 (b\n");
	ck_assert(pol_match_proc(&svc->match, p));
	og_strscpy(p->comm, "a) S 1 (b", sizeof(p->comm));
	ck_assert(!pol_match_proc(&svc->match, p));
}
END_TEST

START_TEST(empty_match_matches_nothing_all_matches_everything)
{
	struct pol_service *svc = tb_service("90-empty");
	struct og_proc *p = tb_proc(100, "anything", "/", MiB);

	ck_assert(pol_match_is_empty(&svc->match));
	ck_assert(!pol_match_proc(&svc->match, p));
	ck_assert_ptr_null(pol_service_for(&tb_r, p));
	svc->match.all = true;
	ck_assert(!pol_match_is_empty(&svc->match));
	ck_assert(pol_match_proc(&svc->match, p));
	ck_assert(!pol_match_proc(NULL, p));
	ck_assert(!pol_match_proc(&svc->match, NULL));
}
END_TEST

START_TEST(last_matching_file_wins)
{
	struct pol_service *a = tb_service("10-broad");
	struct pol_service *b = tb_service("50-narrow");
	struct pol_service *c = tb_service("90-other");
	struct og_proc *p = tb_proc(100, "httpd", "/system.slice/httpd.service", MiB);
	struct og_proc *q = tb_proc(101, "cron", "/system.slice/cron.service", MiB);
	struct pol_proc_policy pp;

	tb_strv_push(&a->match.cgroup, "/system.slice/*");
	a->kill_pref = POL_KP_AVOID;
	tb_strv_push(&b->match.name, "httpd");
	b->kill_pref = POL_KP_PREFER;
	b->kill_unit = POL_KU_CGROUP;
	tb_strv_push(&c->match.name, "postgres");
	ck_assert_ptr_eq(pol_service_for(&tb_r, p), b);
	ck_assert_ptr_eq(pol_service_for(&tb_r, q), a);
	pol_policy_for(&tb_r, p, &pp);
	ck_assert_ptr_eq(pp.svc, b);
	ck_assert_int_eq(pp.kill_pref, POL_KP_PREFER);
	ck_assert_int_eq(pp.kill_unit, POL_KU_CGROUP);
	ck_assert(!pp.protect);
	ck_assert_uint_eq(pol_service_index(&tb_r, b), 1);
	ck_assert_uint_eq(pol_service_index(&tb_r, NULL), (size_t)-1);
	ck_assert_uint_eq(pol_service_index(&tb_r, (const struct pol_service *)&pp), (size_t)-1);
}
END_TEST

START_TEST(protect_is_sticky_across_files)
{
	/* Xen story: the vendor file protects sshd; a later broad file must not unprotect it. */
	struct pol_service *vendor = tb_service("10-sshd");
	struct pol_service *broad = tb_service("50-everything");
	struct og_proc *p = tb_proc(100, "sshd", "/system.slice/ssh.service", MiB);
	struct pol_proc_policy pp;

	tb_strv_push(&vendor->match.name, "sshd");
	vendor->protect = true;
	tb_strv_push(&broad->match.cgroup, "/system.slice/*");
	broad->kill_pref = POL_KP_PREFER;
	pol_policy_for(&tb_r, p, &pp);
	ck_assert_ptr_eq(pp.svc, broad);
	ck_assert(pp.protect);
	ck_assert_ptr_eq(pp.protect_by, vendor);
	ck_assert_int_eq(pp.kill_pref, POL_KP_NEVER);
}
END_TEST

/* Children=no: the listener, not the copies it forks (sshd -R, cron's per-job cron). */
START_TEST(children_no_matches_the_outermost_only)
{
	struct pol_service *svc = tb_service("10-remote-access");
	struct og_proc *listener = tb_proc(100, "sshd", "/system.slice/ssh.service", MiB);
	struct og_proc *conn = tb_proc(200, "sshd", "/system.slice/ssh.service", MiB);
	struct og_proc *priv = tb_proc(201, "sshd", "/system.slice/ssh.service", MiB);
	struct og_proc *shell = tb_proc(300, "bash", "/user.slice", MiB);
	struct pol_proc_policy pp;

	conn->ppid = 100;
	priv->ppid = 200;
	priv->uid = 1000; /* "sshd: user@pts/0" runs as the user */
	shell->ppid = 201;
	tb_strv_push(&svc->match.name, "sshd");
	tb_strv_push(&svc->match.exe, "/usr/bin/sshd");
	svc->protect = true;
	svc->has_oom_score_adj = true;
	svc->oom_score_adj = -1000;
	pol_note_parents(tb_procs, tb_s.nprocs);
	ck_assert_int_eq(listener->parent_exe, OG_PARENT_UNKNOWN); /* pid 1 is not in the list */
	ck_assert_int_eq(conn->parent_exe, OG_PARENT_SAME);
	ck_assert_int_eq(priv->parent_exe, OG_PARENT_SAME);
	ck_assert_int_eq(shell->parent_exe, OG_PARENT_OTHER);

	/* default (Children=yes): every copy matches, as before */
	ck_assert(pol_match_proc(&svc->match, listener));
	ck_assert(pol_match_proc(&svc->match, conn));
	ck_assert(pol_match_proc(&svc->match, priv));

	svc->match.no_children = true;
	ck_assert(pol_match_proc(&svc->match, listener));
	ck_assert(!pol_match_proc(&svc->match, conn));
	ck_assert(!pol_match_proc(&svc->match, priv));
	ck_assert(!pol_match_proc(&svc->match, shell));
	/* why: every key matches, Children=no excludes it */
	ck_assert(pol_match_keys(&svc->match, conn) && pol_match_is_child(&svc->match, conn));
	ck_assert(!pol_match_is_child(&svc->match, listener));
	ck_assert(!pol_match_keys(&svc->match, shell));

	pol_policy_for(&tb_r, listener, &pp);
	ck_assert(pp.protect);
	ck_assert_ptr_eq(pp.oom_score_adj_by, svc);
	pol_policy_for(&tb_r, conn, &pp);
	ck_assert(!pp.protect);
	ck_assert_ptr_null(pp.svc);
	ck_assert_ptr_null(pp.oom_score_adj_by);

	/* the parent exited (a daemon that forks into the background): the copy is the daemon */
	conn->parent_exe = OG_PARENT_UNKNOWN;
	ck_assert(pol_match_proc(&svc->match, conn));
	/* an unreadable executable is never "the same" */
	conn->parent_exe = pol_parent_exe(conn, listener);
	ck_assert_int_eq(conn->parent_exe, OG_PARENT_SAME);
	listener->exe[0] = '\0';
	ck_assert_int_eq(pol_parent_exe(conn, listener), OG_PARENT_OTHER);
	ck_assert_int_eq(pol_parent_exe(conn, shell), OG_PARENT_UNKNOWN); /* not its parent */
}
END_TEST

/* pol_note_parents() finds parents in any order (sorted: bisection; not: a linear search). */
START_TEST(note_parents_unsorted)
{
	struct og_proc *child = tb_proc(50, "cron", "/system.slice/cron.service", MiB);
	struct og_proc *daemon = tb_proc(40, "cron", "/system.slice/cron.service", MiB);
	struct og_proc *job = tb_proc(60, "sh", "/system.slice/cron.service", MiB);

	child->ppid = 40;
	job->ppid = 50;
	pol_note_parents(tb_procs, tb_s.nprocs);
	ck_assert_int_eq(child->parent_exe, OG_PARENT_SAME);
	ck_assert_int_eq(daemon->parent_exe, OG_PARENT_UNKNOWN);
	ck_assert_int_eq(job->parent_exe, OG_PARENT_OTHER);
}
END_TEST

START_TEST(no_policy_gives_defaults)
{
	struct og_proc *p = tb_proc(100, "x", "/", MiB);
	struct pol_proc_policy pp;

	pol_policy_for(&tb_r, p, &pp);
	ck_assert_ptr_null(pp.svc);
	ck_assert(!pp.protect);
	ck_assert_int_eq(pp.kill_pref, POL_KP_DEFAULT);
	ck_assert_int_eq(pp.kill_unit, POL_KU_PROCESS);
	pol_policy_for(NULL, p, &pp);
	ck_assert_ptr_null(pp.svc);
}
END_TEST

static Suite *match_suite(void)
{
	Suite *s = suite_create("pol_match");
	TCase *tc = tcase_create("match");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, name_is_exact_comm);
	tcase_add_test(tc, any_value_of_a_key_matches);
	tcase_add_test(tc, all_given_keys_must_match);
	tcase_add_test(tc, exe_unit_cgroup_are_globs);
	tcase_add_test(tc, cgroup_glob_also_tries_the_v1_memory_path);
	tcase_add_test(tc, unreadable_exe_never_matches_an_exe_glob);
	tcase_add_test(tc, cmdline_is_an_ere);
	tcase_add_test(tc, hostile_comm_matches_only_itself);
	tcase_add_test(tc, empty_match_matches_nothing_all_matches_everything);
	tcase_add_test(tc, last_matching_file_wins);
	tcase_add_test(tc, protect_is_sticky_across_files);
	tcase_add_test(tc, no_policy_gives_defaults);
	tcase_add_test(tc, children_no_matches_the_outermost_only);
	tcase_add_test(tc, note_parents_unsorted);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return og_check_run(match_suite());
}
