/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ManagedOOMPreference= xattrs (guardian/sources/src_xattr.c) and how the engine honours them
 * (pol_policy_for, pol_victims). Fixture trees cannot carry xattrs in git, so the reader's
 * tests build a cgroup-like directory tree in /tmp (ext4/tmpfs keep user.* xattrs on
 * directories) and point the reader's "cgroup2 fd" at it. The live cgroup2 case is
 * tests/integration/043-oomd-xattr.sh.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "guardian/sources/src_xattr.h"
#include "og_check.h"
#include "pol_builder.h"

static char dir[OG_TMPROOT_MAX];
static int cg_fd = -1;

static void tree_setup(void)
{
	og_tmproot_create(dir);
	og_tmproot_mkdir(dir, "system.slice/a.service/sub");
	og_tmproot_mkdir(dir, "system.slice/b.service");
	og_tmproot_mkdir(dir, "system.slice/c.service");
	og_tmproot_mkdir(dir, "system.slice/d.service");
	og_tmproot_mkdir(dir, "system.slice/e.service");
	og_tmproot_mkdir(dir, "plain/leaf");
	og_tmproot_mkdir(dir, "user.slice/u.service");
	cg_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(cg_fd, 0);
}

static void tree_teardown(void)
{
	close(cg_fd);
	og_tmproot_remove(dir);
}

static void set(const char *rel, const char *name, const char *value)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	ck_assert_msg(setxattr(path, name, value, strlen(value), 0) == 0, "setxattr %s %s: %s",
		      path, name, strerror(errno));
}

static int pref(const char *cgroup, const char *unit, uid_t scope_uid, char *from, size_t size)
{
	return src_xattr_oomd_pref(cg_fd, cgroup, unit, scope_uid, from, size);
}

START_TEST(xattr_bool_values)
{
	ck_assert_int_eq(src_xattr_parse_bool("1", 1), 1);
	ck_assert_int_eq(src_xattr_parse_bool("1\n", 2), 1);
	ck_assert_int_eq(src_xattr_parse_bool("yes", 3), 1);
	ck_assert_int_eq(src_xattr_parse_bool("TRUE\0", 5), 1);
	ck_assert_int_eq(src_xattr_parse_bool("0", 1), 0);
	ck_assert_int_eq(src_xattr_parse_bool("off", 3), 0);
	ck_assert_int_eq(src_xattr_parse_bool("", 0), -EINVAL);
	ck_assert_int_eq(src_xattr_parse_bool("2", 1), -EINVAL);
	ck_assert_int_eq(src_xattr_parse_bool("yesyesyes", 9), -EINVAL);
	ck_assert_int_eq(src_xattr_parse_bool("1x", 1), 1); /* only len bytes count */
}
END_TEST

START_TEST(xattr_avoid_on_unit_applies_to_subcgroup)
{
	char from[128];

	set("system.slice/a.service", "user.oomd_avoid", "1");
	ck_assert_int_eq(pref("/system.slice/a.service", "a.service", 0, from, sizeof(from)),
			 OG_OOMD_AVOID);
	ck_assert_str_eq(from, "user.oomd_avoid on /system.slice/a.service");
	ck_assert_int_eq(pref("/system.slice/a.service/sub", "a.service", 0, from, sizeof(from)),
			 OG_OOMD_AVOID);
	ck_assert_str_eq(from, "user.oomd_avoid on /system.slice/a.service");
}
END_TEST

START_TEST(xattr_omit_wins_on_one_cgroup_and_false_is_none)
{
	char from[128];

	set("system.slice/b.service", "user.oomd_avoid", "1");
	set("system.slice/b.service", "user.oomd_omit", "1");
	ck_assert_int_eq(pref("/system.slice/b.service", "b.service", 0, from, sizeof(from)),
			 OG_OOMD_OMIT);
	ck_assert_str_eq(from, "user.oomd_omit on /system.slice/b.service");
	set("system.slice/c.service", "user.oomd_omit", "0");
	ck_assert_int_eq(pref("/system.slice/c.service", "c.service", 0, from, sizeof(from)),
			 OG_OOMD_NONE);
	ck_assert_str_eq(from, "");
	set("system.slice/c.service", "user.oomd_avoid", "garbage");
	ck_assert_int_eq(pref("/system.slice/c.service", "c.service", 0, NULL, 0), OG_OOMD_NONE);
}
END_TEST

/* systemd-oomd's rule: a cgroup not owned by root counts only for a scope of the same owner. */
START_TEST(xattr_owner_rule)
{
	char path[256];

	if (geteuid() != 0)
		return; /* chown needs root; the rest of the suite still runs */
	set("system.slice/d.service", "user.oomd_omit", "1");
	snprintf(path, sizeof(path), "%s/system.slice/d.service", dir);
	ck_assert_int_eq(chown(path, 1000, 1000), 0);
	ck_assert_int_eq(pref("/system.slice/d.service", "d.service", 0, NULL, 0), OG_OOMD_NONE);
	ck_assert_int_eq(pref("/system.slice/d.service", "d.service", 1000, NULL, 0),
			 OG_OOMD_OMIT);
	ck_assert_int_eq(pref("/system.slice/d.service", "d.service", 1001, NULL, 0),
			 OG_OOMD_NONE);
}
END_TEST

static void list_cb(const char *cgroup, const char *xattr, enum og_oomd_pref pref, uid_t owner,
		    bool counts, void *data)
{
	char *out = data;
	size_t n = strlen(out);

	snprintf(out + n, 1024 - n, "%s %s %d %u %d\n", cgroup, xattr, (int)pref, (unsigned)owner,
		 counts);
}

START_TEST(xattr_list_walks_the_tree)
{
	char out[1024] = "", want[256], path[256];
	bool root = geteuid() == 0;

	set("system.slice/a.service/sub", "user.oomd_avoid", "1");
	set("system.slice/b.service", "user.oomd_omit", "0"); /* false: not listed */
	set("plain/leaf", "user.oomd_omit", "yes");
	if (root) {
		snprintf(path, sizeof(path), "%s/plain/leaf", dir);
		ck_assert_int_eq(chown(path, 1000, 1000), 0);
	}
	ck_assert_int_eq(src_xattr_list(cg_fd, NULL, list_cb, out), 2);
	snprintf(want, sizeof(want), "/system.slice/a.service/sub user.oomd_avoid %d %u %d\n",
		 OG_OOMD_AVOID, (unsigned)geteuid(), root);
	ck_assert_msg(strstr(out, want), "no '%s' in '%s'", want, out);
	/* a user's cgroup: its user.* xattr is listed, and does not count */
	snprintf(want, sizeof(want), "/plain/leaf user.oomd_omit %d %u 0\n", OG_OOMD_OMIT,
		 root ? 1000u : (unsigned)geteuid());
	ck_assert_msg(strstr(out, want), "no '%s' in '%s'", want, out);
	ck_assert_int_eq(src_xattr_list(-1, NULL, list_cb, out), -EBADF);
}
END_TEST

START_TEST(xattr_list_under_a_scope_counts_its_owner)
{
	char out[1024] = "", want[256], path[256];
	bool root = geteuid() == 0;
	unsigned uid = root ? 1000u : (unsigned)geteuid();

	set("system.slice/a.service", "user.oomd_avoid", "1");
	set("user.slice/u.service/", "user.oomd_omit", "1");
	if (root) {
		snprintf(path, sizeof(path), "%s/user.slice", dir);
		ck_assert_int_eq(chown(path, 1000, 1000), 0);
		snprintf(path, sizeof(path), "%s/user.slice/u.service", dir);
		ck_assert_int_eq(chown(path, 1000, 1000), 0);
	}
	/* only the subtree, and the scope's owner's user.* xattr counts there (trailing '/') */
	ck_assert_int_eq(src_xattr_list(cg_fd, "/user.slice/", list_cb, out), 1);
	snprintf(want, sizeof(want), "/user.slice/u.service user.oomd_omit %d %u 1\n",
		 OG_OOMD_OMIT, uid);
	ck_assert_msg(strcmp(out, want) == 0, "want '%s', got '%s'", want, out);
	/* for the whole machine the same xattr does not count (when a user owns it) */
	out[0] = '\0';
	ck_assert_int_eq(src_xattr_list(cg_fd, "", list_cb, out), 2);
	snprintf(want, sizeof(want), "/user.slice/u.service user.oomd_omit %d %u 0\n",
		 OG_OOMD_OMIT, uid);
	ck_assert_msg(strstr(out, want), "no '%s' in '%s'", want, out);
	ck_assert_int_eq(src_xattr_list(cg_fd, "/no/such", list_cb, out), -ENOENT);
}
END_TEST

START_TEST(xattr_stops_at_the_unit_and_never_reads_root)
{
	/* a slice's xattr is not its services' (systemd-oomd reads the candidate's own) */
	set("system.slice", "user.oomd_omit", "1");
	ck_assert_int_eq(pref("/system.slice/e.service", "e.service", 0, NULL, 0), OG_OOMD_NONE);
	/* without a unit only the process's own cgroup */
	set("plain", "user.oomd_avoid", "1");
	ck_assert_int_eq(pref("/plain/leaf", "", 0, NULL, 0), OG_OOMD_NONE);
	ck_assert_int_eq(pref("/plain", "", 0, NULL, 0), OG_OOMD_AVOID);
	/* the root, a missing cgroup, no cgroup2 */
	ck_assert_int_eq(pref("/", "", 0, NULL, 0), OG_OOMD_NONE);
	ck_assert_int_eq(pref("/gone/x.service", "x.service", 0, NULL, 0), OG_OOMD_NONE);
	ck_assert_int_eq(src_xattr_oomd_pref(-1, "/plain", "", 0, NULL, 0), OG_OOMD_NONE);
}
END_TEST

START_TEST(xattr_fill_procs)
{
	struct og_proc p[4] = {0};

	set("system.slice/a.service", "user.oomd_avoid", "1");
	set("system.slice/b.service", "user.oomd_omit", "1");
	og_strscpy(p[0].cgroup, "/system.slice/a.service/sub", sizeof(p[0].cgroup));
	og_strscpy(p[0].unit, "a.service", sizeof(p[0].unit));
	p[1] = p[0];
	og_strscpy(p[2].cgroup, "/system.slice/b.service", sizeof(p[2].cgroup));
	og_strscpy(p[2].unit, "b.service", sizeof(p[2].unit));
	og_strscpy(p[3].cgroup, "/system.slice/c.service", sizeof(p[3].cgroup));
	og_strscpy(p[3].unit, "c.service", sizeof(p[3].unit));
	p[3].oomd_pref = OG_OOMD_OMIT; /* stale: overwritten */
	src_xattr_fill_procs(cg_fd, "", p, 4);
	ck_assert_int_eq(p[0].oomd_pref, OG_OOMD_AVOID);
	ck_assert_int_eq(p[1].oomd_pref, OG_OOMD_AVOID);
	ck_assert_int_eq(p[2].oomd_pref, OG_OOMD_OMIT);
	ck_assert_int_eq(p[3].oomd_pref, OG_OOMD_NONE);
	src_xattr_fill_procs(-1, "", p, 4);
	ck_assert_int_eq(p[2].oomd_pref, OG_OOMD_NONE);
}
END_TEST

/* ------------------------------------------------------------------ the engine */

static void engine_setup(void)
{
	tb_machine(8 * GiB, 4 * GiB);
	tb_rules_init();
}

START_TEST(engine_omit_is_never_and_sticky)
{
	struct og_proc *p = tb_proc(100, "db", "/system.slice/db.service", GiB);
	struct pol_proc_policy pp;

	p->oomd_pref = OG_OOMD_OMIT;
	pol_policy_for(&tb_r, p, &pp);
	ck_assert_int_eq(pp.kill_pref, POL_KP_NEVER);
	ck_assert(pp.pref_from_oomd);
	ck_assert(!pp.protect);
	/* a policy file saying prefer does not lift it */
	tb_service_name("50-db", "db")->kill_pref = POL_KP_PREFER;
	pol_policy_for(&tb_r, p, &pp);
	ck_assert_int_eq(pp.kill_pref, POL_KP_NEVER);
	ck_assert(pp.pref_from_oomd);
	tb_rules_free();
}
END_TEST

START_TEST(engine_avoid_yields_to_a_policy_file)
{
	struct og_proc *p = tb_proc(100, "db", "/system.slice/db.service", GiB);
	struct pol_proc_policy pp;
	struct pol_service *svc;

	p->oomd_pref = OG_OOMD_AVOID;
	pol_policy_for(&tb_r, p, &pp);
	ck_assert_int_eq(pp.kill_pref, POL_KP_AVOID);
	ck_assert(pp.pref_from_oomd);
	svc = tb_service_name("50-db", "db"); /* matches, says nothing about KillPreference= */
	pol_policy_for(&tb_r, p, &pp);
	ck_assert_int_eq(pp.kill_pref, POL_KP_AVOID);
	ck_assert(pp.pref_from_oomd);
	svc->kill_pref = POL_KP_PREFER;
	pol_policy_for(&tb_r, p, &pp);
	ck_assert_int_eq(pp.kill_pref, POL_KP_PREFER);
	ck_assert(!pp.pref_from_oomd);
	svc->kill_pref = POL_KP_DEFAULT;
	svc->protect = true; /* Protect=yes stays what it is */
	pol_policy_for(&tb_r, p, &pp);
	ck_assert_int_eq(pp.kill_pref, POL_KP_NEVER);
	ck_assert(pp.protect);
	tb_rules_free();
}
END_TEST

/* The kill order: omit is never a candidate, avoid goes after a smaller bystander. */
START_TEST(engine_victim_order)
{
	struct pol_victim_opts o = {.self_pid = -1, .total_bytes = 8 * GiB};
	struct pol_candidate top[4];
	size_t n;

	tb_proc(100, "big", "/system.slice/big.service", 3 * GiB)->oomd_pref = OG_OOMD_OMIT;
	tb_proc(101, "mid", "/system.slice/mid.service", 2 * GiB)->oomd_pref = OG_OOMD_AVOID;
	tb_proc(102, "small", "/system.slice/small.service", GiB);
	n = pol_victims(&tb_s, &tb_r, &o, top, 4);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(top[0].target.pid, 102);
	ck_assert_int_eq(top[1].target.pid, 101);
	ck_assert_int_eq(top[1].tier, POL_TIER_AVOID);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("src_xattr");
	TCase *tc = tcase_create("reader");
	TCase *te = tcase_create("engine");
	char probe[] = "/tmp/og-xattr-probe-XXXXXX";

	/* The reader's tests need user xattrs on /tmp's directories. */
	if (!mkdtemp(probe))
		return 99;
	if (setxattr(probe, "user.oomd_probe", "1", 1, 0) < 0 &&
	    (errno == ENOTSUP || errno == EPERM)) {
		rmdir(probe);
		printf("SKIP: /tmp keeps no user xattrs on directories (%s)\n", strerror(errno));
		return 77;
	}
	rmdir(probe);
	tcase_add_checked_fixture(tc, tree_setup, tree_teardown);
	tcase_add_test(tc, xattr_bool_values);
	tcase_add_test(tc, xattr_avoid_on_unit_applies_to_subcgroup);
	tcase_add_test(tc, xattr_omit_wins_on_one_cgroup_and_false_is_none);
	tcase_add_test(tc, xattr_owner_rule);
	tcase_add_test(tc, xattr_stops_at_the_unit_and_never_reads_root);
	tcase_add_test(tc, xattr_fill_procs);
	tcase_add_test(tc, xattr_list_walks_the_tree);
	tcase_add_test(tc, xattr_list_under_a_scope_counts_its_owner);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(te, engine_setup, NULL);
	tcase_add_test(te, engine_omit_is_never_and_sticky);
	tcase_add_test(te, engine_avoid_yields_to_a_policy_file);
	tcase_add_test(te, engine_victim_order);
	suite_add_tcase(s, te);
	return og_check_run(s);
}
