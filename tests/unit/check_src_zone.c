/* SPDX-License-Identifier: GPL-2.0-or-later */
/* guardian/sources/src_zone.c: /proc/buddyinfo and /proc/zoneinfo, the seed 003 NUMA fixture. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardian/base/root.h"
#include "guardian/sources/src_zone.h"
#include "policy/util/cleanup.h"
#include "policy/engine/zone.h"
#include "tests/unit/og_check.h"

#define PAGE 4096ULL
#define KIB(x) ((uint64_t)(x) * 1024)

static struct og_zone zones[OG_ZONES_MAX];

static const struct og_zone *find(const struct og_zone *z, size_t n, int node, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (z[i].node == node && strcmp(z[i].name, name) == 0)
			return &z[i];
	return NULL;
}

static const char buddy_live[] =
	"Node 0, zone      DMA      0      0      0      0      0      0      0      0      1"
	"      1      3 \n"
	"Node 0, zone    DMA32      4      1      2      2      2      2      1      4      4"
	"      2    752 \n"
	"Node 0, zone   Normal    876    357    105    129    514    347    194     97     40"
	"     26    205 \n";

START_TEST(buddyinfo_parses)
{
	size_t n = 0;

	ck_assert_int_eq(src_buddyinfo_parse_buf(buddy_live, zones, OG_ZONES_MAX, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(zones[2].node, 0);
	ck_assert_str_eq(zones[2].name, "Normal");
	ck_assert_int_eq(zones[2].norders, 11);
	ck_assert_uint_eq(zones[2].free_blocks[0], 876);
	ck_assert_uint_eq(zones[2].free_blocks[10], 205);
	ck_assert_uint_eq(zones[1].free_blocks[10], 752);
	ck_assert(!zones[2].has_zoneinfo);
}
END_TEST

START_TEST(buddyinfo_bad_input)
{
	static const char *const bad[] = {
		"",
		"\n\n",
		"Node 0, zone Normal\n",				/* no counts */
		"Node 0 zone Normal 1 2 3\n",				/* no comma */
		"Node x, zone Normal 1 2 3\n",
		"Node 0, zona Normal 1 2 3\n",
		"Node 0, zone Normal 1 2 x3\n",
		"Node 0, zone Normal 1 -2 3\n",
		"Node 0, zone Normal 1 2 99999999999999999999999\n",	/* overflow */
		"Node 0, zone Normal 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n", /* > 16 orders */
		"Node 0, zone AVeryLongZoneNameIndeed 1 2 3\n",
		"garbage\n",
		"Node 0, zone Normal 1 2 3\nNode 1, zone\n",
	};
	for (size_t i = 0; i < OG_ELEMENTSOF(bad); i++) {
		size_t n = 0;

		ck_assert_msg(src_buddyinfo_parse_buf(bad[i], zones, OG_ZONES_MAX, &n) == -EBADMSG,
			      "case %zu", i);
		ck_assert_uint_eq(n, 0);
	}
}
END_TEST

START_TEST(buddyinfo_more_zones_than_cap)
{
	size_t n = 0;

	ck_assert_int_eq(src_buddyinfo_parse_buf(buddy_live, zones, 2, &n), -ENOBUFS);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(src_buddyinfo_parse_buf(buddy_live, zones, 3, &n), 0);
	ck_assert_uint_eq(n, 3);
	/* parsing again merges: same three entries, no duplicates */
	ck_assert_int_eq(src_buddyinfo_parse_buf(buddy_live, zones, 3, &n), 0);
	ck_assert_uint_eq(n, 3);
}
END_TEST

START_TEST(buddyinfo_truncated_line_without_newline)
{
	size_t n = 0;

	/* the last line cut mid-number is still numbers: fewer orders, accepted as such */
	ck_assert_int_eq(src_buddyinfo_parse_buf("Node 1, zone Normal 5 0 2", zones, 4, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(zones[0].norders, 3);
	ck_assert_int_eq(og_zone_largest_free_order(&zones[0]), 2);
}
END_TEST

static const char zoneinfo_310[] =
	"Node 0, zone      DMA\n"
	"  pages free     3975\n"
	"        min      5\n"
	"        low      6\n"
	"        high     7\n"
	"        scanned  0\n"
	"        spanned  4095\n"
	"        present  3996\n"
	"        managed  3975\n"
	"    nr_free_pages 3975\n"
	"    nr_alloc_batch 1\n"
	"        protection: (0, 3071, 31997, 31997)\n"
	"  pagesets\n"
	"    cpu: 0\n"
	"              count: 0\n"
	"              high:  0\n"
	"              batch: 1\n"
	"  vm stats threshold: 8\n"
	"  all_unreclaimable: 1\n"
	"  start_pfn:         1\n"
	"  inactive_ratio:    1\n";

START_TEST(zoneinfo_310_layout)
{
	size_t n = 0;

	ck_assert_int_eq(src_zoneinfo_parse_buf(zoneinfo_310, PAGE, zones, 4, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert(zones[0].has_zoneinfo);
	ck_assert_uint_eq(zones[0].free_bytes, 3975 * PAGE);
	ck_assert_uint_eq(zones[0].min_bytes, 5 * PAGE);
	ck_assert_uint_eq(zones[0].low_bytes, 6 * PAGE);
	ck_assert_uint_eq(zones[0].high_bytes, 7 * PAGE); /* not the pagesets "high:  0" */
	ck_assert_uint_eq(zones[0].present_bytes, 3996 * PAGE);
	ck_assert_uint_eq(zones[0].managed_bytes, 3975 * PAGE);
	ck_assert_int_eq(zones[0].nreserve, 4);
	ck_assert_uint_eq(zones[0].lowmem_reserve_bytes[1], 3071 * PAGE);
	ck_assert_uint_eq(zones[0].lowmem_reserve_bytes[3], 31997 * PAGE);
	ck_assert_int_eq(zones[0].norders, 0);
}
END_TEST

/* Replace the first occurrence of `from` in zoneinfo_310 by `to`, parse, return the result. */
static int parse_edited(const char *from, const char *to)
{
	char buf[2048];
	const char *at = strstr(zoneinfo_310, from);
	size_t n = 0;

	ck_assert_ptr_nonnull(at);
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - zoneinfo_310), zoneinfo_310, to,
		 at + strlen(from));
	return src_zoneinfo_parse_buf(buf, PAGE, zones, 4, &n);
}

START_TEST(zoneinfo_bad_input)
{
	size_t n = 0;

	ck_assert_int_eq(parse_edited("        protection: (0, 3071, 31997, 31997)\n", ""),
			 -EBADMSG);
	ck_assert_int_eq(parse_edited("        managed  3975\n", ""), -EBADMSG);
	ck_assert_int_eq(parse_edited("  pages free     3975\n", ""), -EBADMSG);
	ck_assert_int_eq(parse_edited("  pages free     3975\n", "  pages fre 3975\n"), -EBADMSG);
	ck_assert_int_eq(parse_edited("        min      5\n", "        min      5x\n"), -EBADMSG);
	ck_assert_int_eq(parse_edited("        min      5\n", "        min\n"), -EBADMSG);
	ck_assert_int_eq(parse_edited("        low      6\n", "        low 6\n        low 6\n"),
			 -EBADMSG);
	ck_assert_int_eq(parse_edited("(0, 3071, 31997, 31997)", "(0, 3071, 31997, 31997"),
			 -EBADMSG);
	ck_assert_int_eq(parse_edited("(0, 3071, 31997, 31997)", "0, 3071, 31997, 31997)"),
			 -EBADMSG);
	ck_assert_int_eq(parse_edited("(0, 3071, 31997, 31997)", "(0, , 31997)"), -EBADMSG);
	ck_assert_int_eq(parse_edited("(0, 3071, 31997, 31997)", "(0, 1, 2, 3, 4, 5, 6)"),
			 -EBADMSG);
	ck_assert_int_eq(parse_edited("(0, 3071, 31997, 31997)", "(0, 1) trailing"), -EBADMSG);
	ck_assert_int_eq(parse_edited("(0, 3071, 31997, 31997)", "(0, 9999999999999999999)"),
			 -EBADMSG);
	ck_assert_int_eq(parse_edited("Node 0, zone      DMA\n", "Node 0, zone      DMA x\n"),
			 -EBADMSG);
	/* sanity: low below min, managed above present */
	ck_assert_int_eq(parse_edited("        low      6\n", "        low      4\n"), -EBADMSG);
	ck_assert_int_eq(parse_edited("        managed  3975\n", "        managed  3997\n"), -EBADMSG);
	/* the edits really are what fails: the original passes */
	ck_assert_int_eq(parse_edited("        min      5\n", "        min      5\n"), 0);
	/* truncated in the middle of the zone: the required keys after the cut are missing */
	{
		char cut[128];

		snprintf(cut, sizeof(cut), "%.*s", 80, zoneinfo_310);
		ck_assert_int_eq(src_zoneinfo_parse_buf(cut, PAGE, zones, 4, &n), -EBADMSG);
	}
	ck_assert_int_eq(src_zoneinfo_parse_buf("", PAGE, zones, 4, &n), -EBADMSG);
	ck_assert_int_eq(src_zoneinfo_parse_buf("  pages free 1\n", PAGE, zones, 4, &n), -EBADMSG);
	ck_assert_int_eq(src_zoneinfo_parse_buf(zoneinfo_310, 0, zones, 4, &n), -EINVAL);
	ck_assert_int_eq(src_zoneinfo_parse_buf(zoneinfo_310, PAGE, zones, 0, &n), -ENOBUFS);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(zoneinfo_merges_into_buddyinfo)
{
	size_t n = 0;

	ck_assert_int_eq(src_buddyinfo_parse_buf(buddy_live, zones, 8, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(src_zoneinfo_parse_buf(zoneinfo_310, PAGE, zones, 8, &n), 0);
	ck_assert_uint_eq(n, 3); /* Node 0 DMA matched, not appended */
	ck_assert(zones[0].has_zoneinfo);
	ck_assert_int_eq(zones[0].norders, 11);
	ck_assert_uint_eq(zones[0].free_blocks[10], 3);
	ck_assert(!zones[1].has_zoneinfo);
}
END_TEST

START_TEST(read_numa_fixture)
{
	const struct og_zone *z;
	struct og_root root;
	size_t n = 12345;

	ck_assert_int_eq(og_root_open(&root, FIXTURES "/numa-2node-kvm"), 0);
	ck_assert_int_eq(src_read_zones(&root, PAGE, zones, OG_ZONES_MAX, &n), 0);
	og_root_close(&root);
	/* populated zones only: node 0 Normal, node 1 DMA, DMA32, Normal; kernel order */
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(zones[0].node, 0);
	ck_assert_str_eq(zones[0].name, "Normal");
	ck_assert_str_eq(zones[1].name, "DMA");
	ck_assert_str_eq(zones[2].name, "DMA32");
	ck_assert_str_eq(zones[3].name, "Normal");
	ck_assert_int_eq(zones[3].node, 1);

	/* the seed: node 1 Normal has nothing above order 0, node 0 Normal tops at 128 kB */
	z = find(zones, n, 1, "Normal");
	ck_assert_ptr_nonnull(z);
	ck_assert_int_eq(og_zone_largest_free_order(z), 0);
	ck_assert_uint_eq(og_zone_unusable_permyriad(z, 2), 10000);
	ck_assert_uint_eq(z->free_blocks[0], 12930);
	z = find(zones, n, 0, "Normal");
	ck_assert_int_eq(og_zone_largest_free_order(z), 5);
	ck_assert_uint_eq(z->free_blocks[0], 622118);
	ck_assert_uint_eq(z->free_blocks[1], 287275);
	ck_assert_uint_eq(og_zone_free_pages(z) * 4, 4792448);

	/* seed zoneinfo, node 1 DMA: free:15888kB min:20kB low:24kB high:28kB present:15988kB
	 * managed:15904kB, lowmem_reserve[]: 0 3071 31997 31997 */
	z = find(zones, n, 1, "DMA");
	ck_assert(z->has_zoneinfo);
	ck_assert_uint_eq(z->free_bytes, KIB(15888));
	ck_assert_uint_eq(z->min_bytes, KIB(20));
	ck_assert_uint_eq(z->low_bytes, KIB(24));
	ck_assert_uint_eq(z->high_bytes, KIB(28));
	ck_assert_uint_eq(z->present_bytes, KIB(15988));
	ck_assert_uint_eq(z->managed_bytes, KIB(15904));
	ck_assert_int_eq(z->nreserve, 4);
	ck_assert_uint_eq(z->lowmem_reserve_bytes[2], 31997 * PAGE);
	ck_assert_int_eq(og_zone_largest_free_order(z), 10);
	/* node 1 DMA32: free:124624kB low:5380kB managed:3145156kB, reserve 0 0 28925 28925 */
	z = find(zones, n, 1, "DMA32");
	ck_assert_uint_eq(z->free_bytes, KIB(124624));
	ck_assert_uint_eq(z->low_bytes, KIB(5380));
	ck_assert_uint_eq(z->managed_bytes, KIB(3145156));
	ck_assert_uint_eq(z->lowmem_reserve_bytes[2], 28925 * PAGE);
	/* the seed's conclusion: an order-2 Normal fallback is served by DMA32, not DMA */
	ck_assert(og_zone_watermark_ok(z, 2, z->low_bytes, 2, PAGE));
	ck_assert(!og_zone_watermark_ok(find(zones, n, 1, "DMA"), 2, KIB(24), 2, PAGE));
	ck_assert(!og_zone_watermark_ok(find(zones, n, 1, "Normal"), 2,
					find(zones, n, 1, "Normal")->min_bytes, 2, PAGE));
}
END_TEST

START_TEST(read_cap_counts_populated_zones_only)
{
	struct og_root root;
	size_t n = 99;
	int r3, r4;

	/* 8 zones in zoneinfo, 4 of them populated: a cap of 4 is enough, 3 is not */
	ck_assert_int_eq(og_root_open(&root, FIXTURES "/numa-2node-kvm"), 0);
	r3 = src_read_zones(&root, PAGE, zones, 3, &n);
	ck_assert_uint_eq(n, 99);
	r4 = src_read_zones(&root, PAGE, zones, 4, &n);
	og_root_close(&root);
	ck_assert_int_eq(r3, -ENOBUFS);
	ck_assert_int_eq(r4, 0);
	ck_assert_uint_eq(n, 4);
}
END_TEST

START_TEST(read_missing_files)
{
	char dir[OG_TMPROOT_MAX];
	struct og_root root;
	size_t n = 77;
	int r1, r2;

	og_tmproot_create(dir);
	ck_assert_int_eq(og_root_open(&root, dir), 0);
	r1 = src_read_zones(&root, PAGE, zones, OG_ZONES_MAX, &n); /* neither file */
	og_tmproot_put(dir, "proc/buddyinfo", buddy_live);
	r2 = src_read_zones(&root, PAGE, zones, OG_ZONES_MAX, &n); /* no zoneinfo: still ok */
	og_root_close(&root);
	og_tmproot_remove(dir);
	ck_assert_int_eq(r1, -ENOENT);
	ck_assert_int_eq(r2, 0);
	ck_assert_uint_eq(n, 3);
	ck_assert(!zones[0].has_zoneinfo);
}
END_TEST

START_TEST(read_bad_zoneinfo_leaves_output)
{
	char dir[OG_TMPROOT_MAX];
	struct og_root root;
	size_t n = 77;
	int r;

	og_tmproot_create(dir);
	og_tmproot_put(dir, "proc/buddyinfo", buddy_live);
	og_tmproot_put(dir, "proc/zoneinfo", "Node 0, zone      DMA\n  pages free     3975\n");
	ck_assert_int_eq(og_root_open(&root, dir), 0);
	r = src_read_zones(&root, PAGE, zones, OG_ZONES_MAX, &n);
	og_root_close(&root);
	og_tmproot_remove(dir);
	ck_assert_int_eq(r, -EBADMSG);
	ck_assert_uint_eq(n, 77);
}
END_TEST

START_TEST(read_large_zoneinfo)
{
	/* a zoneinfo larger than the 128 KiB static buffer (a many-CPU host) is read whole */
	char dir[OG_TMPROOT_MAX];
	struct og_root root;
	size_t n = 0;
	FILE *f;
	int r;

	og_tmproot_create(dir);
	og_tmproot_put(dir, "proc/buddyinfo", buddy_live);
	f = og_tmproot_fopen(dir, "proc/zoneinfo");
	fputs("Node 0, zone   Normal\n  pages free     876\n        min      5\n"
	      "        low      6\n        high     7\n        spanned  10\n"
	      "        present  10\n        managed  10\n        protection: (0, 0, 0)\n"
	      "  pagesets\n", f);
	for (int cpu = 0; cpu < 4000; cpu++)
		fprintf(f, "    cpu: %d\n              count: 1\n              high:  378\n"
			   "              batch: 63\n  vm stats threshold: 10\n", cpu);
	fputs("  node_unreclaimable:  0\n", f);
	ck_assert_int_gt(ftell(f), 256 * 1024);
	fclose(f);
	ck_assert_int_eq(og_root_open(&root, dir), 0);
	r = src_read_zones(&root, PAGE, zones, OG_ZONES_MAX, &n);
	og_root_close(&root);
	og_tmproot_remove(dir);
	ck_assert_int_eq(r, 0);
	ck_assert_uint_eq(n, 3);
	ck_assert(find(zones, n, 0, "Normal")->has_zoneinfo);
	ck_assert_uint_eq(find(zones, n, 0, "Normal")->high_bytes, 7 * PAGE);
}
END_TEST

START_TEST(read_live)
{
	struct og_root root;
	size_t n = 0;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);

	ck_assert_int_eq(og_root_open(&root, "/"), 0);
	ck_assert_int_eq(src_read_zones(&root, page, zones, OG_ZONES_MAX, &n), 0);
	og_root_close(&root);
	ck_assert_uint_ge(n, 1);
	for (size_t i = 0; i < n; i++) {
		ck_assert(zones[i].has_zoneinfo);
		ck_assert_int_ge(zones[i].norders, 1);
		ck_assert_uint_le(zones[i].min_bytes, zones[i].low_bytes);
		ck_assert_uint_le(zones[i].low_bytes, zones[i].high_bytes);
		ck_assert_uint_le(zones[i].managed_bytes, zones[i].present_bytes);
		ck_assert_uint_gt(zones[i].present_bytes, 0);
		ck_assert_uint_le(og_zone_unusable_permyriad(&zones[i], 2), 10000);
	}
	ck_assert_ptr_nonnull(find(zones, n, 0, "Normal"));
}
END_TEST

static Suite *zone_suite(void)
{
	Suite *s = suite_create("src_zone");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, buddyinfo_parses);
	tcase_add_test(tc, buddyinfo_bad_input);
	tcase_add_test(tc, buddyinfo_more_zones_than_cap);
	tcase_add_test(tc, buddyinfo_truncated_line_without_newline);
	tcase_add_test(tc, zoneinfo_310_layout);
	tcase_add_test(tc, zoneinfo_bad_input);
	tcase_add_test(tc, zoneinfo_merges_into_buddyinfo);
	suite_add_tcase(s, tc);
	tc = tcase_create("read");
	tcase_add_test(tc, read_numa_fixture);
	tcase_add_test(tc, read_cap_counts_populated_zones_only);
	tcase_add_test(tc, read_missing_files);
	tcase_add_test(tc, read_bad_zoneinfo_leaves_output);
	tcase_add_test(tc, read_large_zoneinfo);
	tcase_add_test(tc, read_live);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return og_check_run(zone_suite());
}
