/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guardian/base/root.h"
#include "guardian/sources/src_swap.h"
#include "tests/unit/og_check.h"

#define HDR "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"

START_TEST(swaps_parses_devices)
{
	struct og_swapdev d[4];
	size_t n = 99;

	ck_assert_int_eq(src_swaps_parse_buf(HDR "/dev/dm-1                               partition"
						 "\t8388604\t\t1024\t\t-2\n"
						 "/swap\\040file\\134x file\t4096\t0\t5\n",
					     d, 4, &n),
			 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(d[0].path, "/dev/dm-1");
	ck_assert(d[0].is_partition);
	ck_assert_uint_eq(d[0].size_bytes, 8388604ull * 1024);
	ck_assert_uint_eq(d[0].used_bytes, 1024ull * 1024);
	ck_assert_int_eq(d[0].priority, -2);
	ck_assert_str_eq(d[1].path, "/swap file\\x");
	ck_assert(!d[1].is_partition);
	ck_assert_int_eq(d[1].priority, 5);
}
END_TEST

START_TEST(swaps_empty_and_cap)
{
	struct og_swapdev d[1];
	size_t n = 99;

	ck_assert_int_eq(src_swaps_parse_buf(HDR, d, 1, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(src_swaps_parse_buf("Filename Type Size Used Priority", d, 1, &n), 0);
	ck_assert_uint_eq(n, 0);
	/* more devices than room: the first cap are kept */
	ck_assert_int_eq(src_swaps_parse_buf(HDR "/a partition 1 0 1\n/b file 2 0 2\n", d, 1, &n),
			 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(d[0].path, "/a");
}
END_TEST

START_TEST(swaps_long_and_odd_paths)
{
	char buf[2048];
	struct og_swapdev d[1];
	size_t n;

	/* 301 characters: truncated to 255, still NUL-terminated */
	snprintf(buf, sizeof(buf), HDR "/%0300d file 8 0 -1\n", 0);
	ck_assert_int_eq(src_swaps_parse_buf(buf, d, 1, &n), 0);
	ck_assert_uint_eq(strlen(d[0].path), 255);
	/* a backslash without three octal digits stays literal; \012 is a newline */
	ck_assert_int_eq(src_swaps_parse_buf(HDR "/x\\9\\01\\012 file 8 0 -1\n", d, 1, &n), 0);
	ck_assert_str_eq(d[0].path, "/x\\9\\01\n");
	ck_assert_int_eq(src_swaps_parse_buf(HDR "/end\\04 file 8 0 -1\n", d, 1, &n), 0);
	ck_assert_str_eq(d[0].path, "/end\\04");
}
END_TEST

START_TEST(swaps_bad_input)
{
	static const char *const bad[] = {
		"",
		"/dev/sda2 partition 1024 0 -2\n", /* no header */
		HDR "/dev/sda2 partition 1024 0\n", /* missing priority */
		HDR "/dev/sda2 partition 1024 0 -2 extra\n",
		HDR "/dev/sda2 partition 1024 2048 -2\n", /* used > size */
		HDR "/dev/sda2 partition 1k 0 -2\n",
		HDR "/dev/sda2 partition 1024 0 high\n",
		HDR "/dev/sda2 partition -1024 0 -2\n",
		HDR "/dev/sda2 partition 18014398509481984 0 -2\n", /* bytes overflow */
		HDR "/dev/sda2 partition 1024 0 99999999999\n", /* priority overflow */
	};
	struct og_swapdev d[2];
	size_t n = 42;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(src_swaps_parse_buf(bad[i], d, 2, &n) == -EBADMSG, "accepted: '%s'",
			      bad[i]);
	ck_assert_uint_eq(n, 42);
}
END_TEST

START_TEST(zram_mm_stat_formats)
{
	struct og_zram z = { .name = "keep" };

	/* 6.x: 9 fields */
	ck_assert_int_eq(src_zram_parse_mm_stat("3221225472 1073741824 1111490560        0 "
						"1207959552    12345      678        9       10\n",
						&z),
			 0);
	ck_assert_str_eq(z.name, "keep");
	ck_assert_uint_eq(z.orig_data_bytes, 3221225472ull);
	ck_assert_uint_eq(z.compr_data_bytes, 1073741824ull);
	ck_assert_uint_eq(z.mem_used_bytes, 1111490560ull);
	ck_assert_uint_eq(z.mem_limit_bytes, 0);
	ck_assert_uint_eq(z.mem_used_max_bytes, 1207959552ull);
	ck_assert_uint_eq(z.same_pages, 12345);
	ck_assert_uint_eq(z.pages_compacted, 678);
	/* 4.1: 7 fields, no newline */
	ck_assert_int_eq(src_zram_parse_mm_stat("1 2 3 4 5 6 7", &z), 0);
	ck_assert_uint_eq(z.pages_compacted, 7);
	/* future: more fields */
	ck_assert_int_eq(src_zram_parse_mm_stat("1 2 3 4 5 6 7 8 9 10 11 12\n", &z), 0);
	ck_assert_uint_eq(z.orig_data_bytes, 1);
}
END_TEST

START_TEST(zram_mm_stat_bad)
{
	struct og_zram z = { .orig_data_bytes = 5 };

	ck_assert_int_eq(src_zram_parse_mm_stat("", &z), -EBADMSG);
	ck_assert_int_eq(src_zram_parse_mm_stat("1 2 3 4 5 6\n", &z), -EBADMSG);
	ck_assert_int_eq(src_zram_parse_mm_stat("1 2 3 4 -5 6 7\n", &z), -EBADMSG);
	ck_assert_int_eq(src_zram_parse_mm_stat("1 2 3 4 5 6 7x\n", &z), -EBADMSG);
	ck_assert_int_eq(src_zram_parse_mm_stat("1 2 3 4 5 6 7 y\n", &z), -EBADMSG);
	ck_assert_int_eq(src_zram_parse_mm_stat("18446744073709551616 2 3 4 5 6 7\n", &z),
			 -EBADMSG);
	ck_assert_uint_eq(z.orig_data_bytes, 5);
}
END_TEST

START_TEST(fixture_zram_host)
{
	struct og_root root;
	struct og_swapdev s[OG_SWAP_MAX];
	struct og_zram z[OG_ZRAM_MAX];
	size_t ns = 0, nz = 0;

	ck_assert_int_eq(og_root_open(&root, FIXTURES "/zram-host"), 0);
	ck_assert_int_eq(src_read_swaps(&root, s, OG_SWAP_MAX, &ns), 0);
	ck_assert_uint_eq(ns, 2);
	ck_assert_str_eq(s[0].path, "/dev/zram0");
	ck_assert(s[0].is_partition);
	ck_assert_int_eq(s[0].priority, 100);
	ck_assert_uint_eq(s[0].used_bytes, 3145728ull * 1024);
	ck_assert_str_eq(s[1].path, "/var/lib/swap file");
	ck_assert(!s[1].is_partition);
	ck_assert_uint_eq(s[1].size_bytes, 2097152ull * 1024);
	ck_assert_int_eq(src_read_zram(&root, z, OG_ZRAM_MAX, &nz), 0);
	ck_assert_uint_eq(nz, 3); /* vda is not zram */
	ck_assert_str_eq(z[0].name, "zram0");
	ck_assert_str_eq(z[1].name, "zram1");
	ck_assert_str_eq(z[2].name, "zram10"); /* sorted by number */
	ck_assert_uint_eq(z[0].mem_used_bytes, 1111490560ull);
	ck_assert_uint_eq(z[1].mem_limit_bytes, 536870912ull);
	ck_assert_uint_eq(z[2].compr_data_bytes, 51);
	/* cap */
	ck_assert_int_eq(src_read_zram(&root, z, 1, &nz), 0);
	ck_assert_uint_eq(nz, 1);
	og_root_close(&root);
}
END_TEST

START_TEST(fixture_no_swap)
{
	struct og_root root;
	struct og_swapdev s[2];
	struct og_zram z[2];
	size_t ns = 7, nz = 7;

	/* no proc/swaps (CONFIG_SWAP=n), no sys at all */
	ck_assert_int_eq(og_root_open(&root, FIXTURES "/no-memavailable"), 0);
	ck_assert_int_eq(src_read_swaps(&root, s, 2, &ns), 0);
	ck_assert_uint_eq(ns, 0);
	ck_assert_int_eq(src_read_zram(&root, z, 2, &nz), 0);
	ck_assert_uint_eq(nz, 0);
	og_root_close(&root);
	ck_assert_int_eq(og_root_open(&root, FIXTURES "/no-psi-3.10"), 0);
	ck_assert_int_eq(src_read_swaps(&root, s, 2, &ns), 0);
	ck_assert_uint_eq(ns, 1);
	ck_assert_int_eq(s[0].priority, -1);
	og_root_close(&root);
}
END_TEST

START_TEST(fixture_bad)
{
	struct og_root root;
	struct og_swapdev s[2];
	struct og_zram z[2];
	size_t n = 7;

	ck_assert_int_eq(og_root_open(&root, FIXTURES "/bad-swaps"), 0);
	ck_assert_int_eq(src_read_swaps(&root, s, 2, &n), -EBADMSG);
	og_root_close(&root);
	ck_assert_int_eq(og_root_open(&root, FIXTURES "/bad-zram"), 0);
	ck_assert_int_eq(src_read_zram(&root, z, 2, &n), -EBADMSG);
	og_root_close(&root);
	ck_assert_uint_eq(n, 7);
}
END_TEST

START_TEST(swaps_truncated_is_efbig)
{
	char dir[OG_TMPROOT_MAX];
	struct og_root root;
	struct og_swapdev s[2];
	size_t n = 7;
	FILE *f;
	int r;

	og_tmproot_create(dir);
	f = og_tmproot_fopen(dir, "proc/swaps");
	fputs(HDR, f);
	for (int i = 0; i < 400; i++) /* 24 KiB > OG_SWAPS_MAX */
		fprintf(f, "/swapfile%04d                           file\t1024\t0\t-2\n", i);
	fclose(f);
	ck_assert_int_eq(og_root_open(&root, dir), 0);
	r = src_read_swaps(&root, s, 2, &n);
	og_root_close(&root);
	og_tmproot_remove(dir);
	ck_assert_int_eq(r, -EFBIG);
	ck_assert_uint_eq(n, 7);
}
END_TEST

START_TEST(live)
{
	struct og_root root;
	struct og_swapdev s[OG_SWAP_MAX];
	struct og_zram z[OG_ZRAM_MAX];
	size_t ns = 99, nz = 99;
	struct stat st;

	ck_assert_int_eq(og_root_open(&root, "/"), 0);
	ck_assert_int_eq(src_read_swaps(&root, s, OG_SWAP_MAX, &ns), 0);
	ck_assert_uint_le(ns, OG_SWAP_MAX);
	for (size_t i = 0; i < ns; i++)
		ck_assert_uint_le(s[i].used_bytes, s[i].size_bytes);
	ck_assert_int_eq(src_read_zram(&root, z, OG_ZRAM_MAX, &nz), 0);
	/* this machine has an (unused) zram0 */
	if (stat("/sys/block/zram0/mm_stat", &st) == 0) {
		ck_assert_uint_ge(nz, 1);
		ck_assert_str_eq(z[0].name, "zram0");
	}
	og_root_close(&root);
}
END_TEST

START_TEST(fixture_this_host)
{
	struct og_root root;
	struct og_swapdev s[OG_SWAP_MAX];
	struct og_zram z[OG_ZRAM_MAX];
	size_t ns = 7, nz = 7;

	ck_assert_int_eq(og_root_open(&root, FIXTURES "/this-host"), 0);
	ck_assert_int_eq(src_read_swaps(&root, s, OG_SWAP_MAX, &ns), 0);
	ck_assert_uint_eq(ns, 0); /* header only */
	ck_assert_int_eq(src_read_zram(&root, z, OG_ZRAM_MAX, &nz), 0);
	ck_assert_uint_eq(nz, 1);
	ck_assert_str_eq(z[0].name, "zram0");
	ck_assert_uint_eq(z[0].orig_data_bytes, 0); /* set up but unused */
	og_root_close(&root);
}
END_TEST

static Suite *swap_suite(void)
{
	Suite *s = suite_create("src_swap");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, swaps_parses_devices);
	tcase_add_test(tc, swaps_empty_and_cap);
	tcase_add_test(tc, swaps_long_and_odd_paths);
	tcase_add_test(tc, swaps_bad_input);
	tcase_add_test(tc, zram_mm_stat_formats);
	tcase_add_test(tc, zram_mm_stat_bad);
	suite_add_tcase(s, tc);
	tc = tcase_create("read");
	tcase_add_test(tc, fixture_zram_host);
	tcase_add_test(tc, fixture_no_swap);
	tcase_add_test(tc, fixture_bad);
	tcase_add_test(tc, swaps_truncated_is_efbig);
	tcase_add_test(tc, live);
	tcase_add_test(tc, fixture_this_host);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return og_check_run(swap_suite());
}
