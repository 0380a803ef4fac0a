/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guardian/base/root.h"
#include "guardian/sources/src_vmstat.h"
#include "tests/unit/og_check.h"

static const char *const vmstat_6_18 = "nr_free_pages 6123712\n"
				       "workingset_refault_anon 11\n"
				       "workingset_refault_file 42091\n"
				       "workingset_activate_anon 12\n"
				       "workingset_activate_file 3485\n"
				       "pswpin 5\n"
				       "pswpout 6\n"
				       "pgsteal_kswapd 101\n"
				       "pgsteal_direct 102\n"
				       "pgsteal_khugepaged 103\n"
				       "pgsteal_proactive 999\n"
				       "pgscan_kswapd 201\n"
				       "pgscan_direct 202\n"
				       "pgscan_khugepaged 203\n"
				       "pgscan_direct_throttle 77\n"
				       "pgscan_anon 999\n"
				       "oom_kill 0\n"
				       "numa_pages_migrated 301\n"
				       "pgmigrate_success 302\n"
				       "pgmigrate_fail 303\n"
				       "compact_migrate_scanned 401\n"
				       "compact_free_scanned 402\n"
				       "compact_stall 403\n"
				       "compact_fail 404\n"
				       "compact_success 405\n"
				       "compact_daemon_wake 999\n";

START_TEST(vmstat_parses_6_18)
{
	struct og_vmstat v;

	ck_assert_int_eq(src_vmstat_parse_buf(vmstat_6_18, &v), 0);
	ck_assert_uint_eq(v.workingset_refault_anon, 11);
	ck_assert_uint_eq(v.workingset_refault_file, 42091);
	ck_assert_uint_eq(v.workingset_activate_anon, 12);
	ck_assert_uint_eq(v.workingset_activate_file, 3485);
	ck_assert_uint_eq(v.pswpin, 5);
	ck_assert_uint_eq(v.pswpout, 6);
	ck_assert_uint_eq(v.pgsteal_kswapd, 101);
	ck_assert_uint_eq(v.pgsteal_direct, 102);
	ck_assert_uint_eq(v.pgsteal_khugepaged, 103);
	ck_assert_uint_eq(v.pgscan_kswapd, 201);
	ck_assert_uint_eq(v.pgscan_direct, 202); /* not + pgscan_direct_throttle */
	ck_assert_uint_eq(v.pgscan_khugepaged, 203);
	ck_assert(v.has_oom_kill);
	ck_assert_uint_eq(v.oom_kill, 0);
	ck_assert_uint_eq(v.numa_pages_migrated, 301);
	ck_assert_uint_eq(v.pgmigrate_success, 302);
	ck_assert_uint_eq(v.pgmigrate_fail, 303);
	ck_assert_uint_eq(v.compact_migrate_scanned, 401);
	ck_assert_uint_eq(v.compact_free_scanned, 402);
	ck_assert_uint_eq(v.compact_stall, 403);
	ck_assert_uint_eq(v.compact_fail, 404);
	ck_assert_uint_eq(v.compact_success, 405);
}
END_TEST

START_TEST(vmstat_old_workingset_names)
{
	struct og_vmstat v;

	ck_assert_int_eq(src_vmstat_parse_buf("workingset_refault 17\nworkingset_activate 4\n"
					      "pgscan_kswapd 1\n",
					      &v),
			 0);
	ck_assert_uint_eq(v.workingset_refault_file, 17);
	ck_assert_uint_eq(v.workingset_activate_file, 4);
	ck_assert_uint_eq(v.workingset_refault_anon, 0);
	ck_assert(!v.has_oom_kill);
	/* both spellings in one file is not a kernel that exists */
	ck_assert_int_eq(src_vmstat_parse_buf("workingset_refault 17\nworkingset_refault_file 4\n",
					      &v),
			 -EBADMSG);
}
END_TEST

START_TEST(vmstat_per_zone_counters_are_summed)
{
	struct og_vmstat v;

	static const char *const zoned = "pgscan_kswapd_dma 1\npgscan_kswapd_dma32 10\n"
					 "pgscan_kswapd_normal 100\npgscan_kswapd_movable 1000\n"
					 "pgscan_direct_normal 7\npgscan_direct_throttle 50\n"
					 "pgsteal_kswapd_normal 3\npgsteal_direct_high 2\n"
					 "pgscan_kswapd_bogus 5000\n";

	ck_assert_int_eq(src_vmstat_parse_buf(zoned, &v), 0);
	ck_assert_uint_eq(v.pgscan_kswapd, 1111);
	ck_assert_uint_eq(v.pgscan_direct, 7);
	ck_assert_uint_eq(v.pgsteal_kswapd, 3);
	ck_assert_uint_eq(v.pgsteal_direct, 2);
}
END_TEST

START_TEST(vmstat_bad_input)
{
	struct og_vmstat v = { .pswpin = 9 };

	ck_assert_int_eq(src_vmstat_parse_buf("", &v), -EBADMSG);
	ck_assert_int_eq(src_vmstat_parse_buf("nr_free_pages 1\nfoo 2\n", &v), -EBADMSG);
	ck_assert_int_eq(src_vmstat_parse_buf("pswpin x\n", &v), -EBADMSG);
	ck_assert_int_eq(src_vmstat_parse_buf("pswpin 1 2\n", &v), -EBADMSG);
	ck_assert_int_eq(src_vmstat_parse_buf("pswpin -1\n", &v), -EBADMSG);
	ck_assert_int_eq(src_vmstat_parse_buf("pswpin 1 kB\n", &v), -EBADMSG);
	ck_assert_int_eq(src_vmstat_parse_buf("pswpin\n", &v), -EBADMSG);
	ck_assert_int_eq(src_vmstat_parse_buf("pswpin 1\npswpin 2\n", &v), -EBADMSG);
	ck_assert_int_eq(src_vmstat_parse_buf("pswpin 18446744073709551616\n", &v), -EBADMSG);
	ck_assert_int_eq(src_vmstat_parse_buf("pgscan_kswapd_normal x\n", &v), -EBADMSG);
	ck_assert_uint_eq(v.pswpin, 9);
	/* largest u64 is fine, no trailing newline is fine */
	ck_assert_int_eq(src_vmstat_parse_buf("pswpin 18446744073709551615", &v), 0);
	ck_assert_uint_eq(v.pswpin, UINT64_MAX);
}
END_TEST

START_TEST(vmstat_fixture_3_10)
{
	struct og_root root;
	struct og_vmstat v;

	ck_assert_int_eq(og_root_open(&root, FIXTURES "/no-psi-3.10"), 0);
	ck_assert_int_eq(src_read_vmstat(&root, &v), 0);
	ck_assert_uint_eq(v.pgscan_kswapd, 1301220 + 9820133);
	ck_assert_uint_eq(v.pgscan_direct, 2510 + 40121);
	ck_assert_uint_eq(v.pgsteal_kswapd, 1203012 + 9021478);
	ck_assert_uint_eq(v.pgsteal_direct, 2012 + 30120);
	ck_assert_uint_eq(v.pswpin, 20412);
	ck_assert_uint_eq(v.pswpout, 38120);
	ck_assert_uint_eq(v.compact_stall, 211);
	ck_assert_uint_eq(v.pgmigrate_fail, 41);
	ck_assert_uint_eq(v.numa_pages_migrated, 12);
	ck_assert_uint_eq(v.workingset_refault_file, 4711); /* old single counter */
	ck_assert_uint_eq(v.workingset_refault_anon, 0);
	ck_assert(!v.has_oom_kill);
	og_root_close(&root);
}
END_TEST

START_TEST(vmstat_fixture_zram_host)
{
	struct og_root root;
	struct og_vmstat v;

	ck_assert_int_eq(og_root_open(&root, FIXTURES "/zram-host"), 0);
	ck_assert_int_eq(src_read_vmstat(&root, &v), 0);
	ck_assert_uint_eq(v.pswpin, 812345);
	ck_assert_uint_eq(v.pswpout, 1786541);
	ck_assert(v.has_oom_kill);
	ck_assert_uint_eq(v.oom_kill, 3);
	og_root_close(&root);
}
END_TEST

START_TEST(vmstat_truncated_is_efbig)
{
	char dir[OG_TMPROOT_MAX];
	struct og_root root;
	struct og_vmstat v;
	FILE *f;
	int r;

	og_tmproot_create(dir);
	f = og_tmproot_fopen(dir, "proc/vmstat");
	for (int i = 0; i < 2000; i++) /* 56 KiB > OG_VMSTAT_MAX */
		fprintf(f, "nr_padding_counter_%04d %d\n", i, i);
	fclose(f);
	ck_assert_int_eq(og_root_open(&root, dir), 0);
	r = src_read_vmstat(&root, &v);
	og_root_close(&root);
	og_tmproot_remove(dir);
	ck_assert_int_eq(r, -EFBIG);
}
END_TEST

START_TEST(vmstat_live)
{
	struct og_root root;
	struct og_vmstat v, w;

	ck_assert_int_eq(og_root_open(&root, "/"), 0);
	ck_assert_int_eq(src_read_vmstat(&root, &v), 0);
	ck_assert(v.has_oom_kill); /* 6.x */
	/* event counters only grow */
	ck_assert_int_eq(src_read_vmstat(&root, &w), 0);
	ck_assert_uint_ge(w.workingset_refault_file, v.workingset_refault_file);
	ck_assert_uint_ge(w.pgscan_kswapd, v.pgscan_kswapd);
	ck_assert_uint_ge(w.oom_kill, v.oom_kill);
	og_root_close(&root);
}
END_TEST

START_TEST(vmstat_fixture_this_host)
{
	struct og_root root;
	struct og_vmstat v;

	ck_assert_int_eq(og_root_open(&root, FIXTURES "/this-host"), 0);
	ck_assert_int_eq(src_read_vmstat(&root, &v), 0);
	ck_assert(v.has_oom_kill);
	ck_assert_uint_eq(v.pswpin, 0); /* no swap */
	ck_assert_uint_gt(v.workingset_refault_file, 0);
	og_root_close(&root);
}
END_TEST

static Suite *vmstat_suite(void)
{
	Suite *s = suite_create("src_vmstat");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, vmstat_parses_6_18);
	tcase_add_test(tc, vmstat_old_workingset_names);
	tcase_add_test(tc, vmstat_per_zone_counters_are_summed);
	tcase_add_test(tc, vmstat_bad_input);
	suite_add_tcase(s, tc);
	tc = tcase_create("read");
	tcase_add_test(tc, vmstat_fixture_3_10);
	tcase_add_test(tc, vmstat_fixture_zram_host);
	tcase_add_test(tc, vmstat_truncated_is_efbig);
	tcase_add_test(tc, vmstat_live);
	tcase_add_test(tc, vmstat_fixture_this_host);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return og_check_run(vmstat_suite());
}
