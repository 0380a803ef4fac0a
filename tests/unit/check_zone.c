/* SPDX-License-Identifier: GPL-2.0-or-later */
/* policy/engine/zone.c: fragmentation arithmetic on buddyinfo-style zones (seed 003 numbers). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "policy/engine/zone.h"
#include "tests/unit/og_check.h"

#define PAGE 4096ULL

static struct og_zone mkzone(const uint64_t *blocks, int n)
{
	struct og_zone z;

	memset(&z, 0, sizeof(z));
	z.norders = n;
	memcpy(z.free_blocks, blocks, sizeof(blocks[0]) * (size_t)n);
	return z;
}

/* Seed 003, dmesg at the order-2 OOM */
static const uint64_t n0_normal[11] = { 622118, 287275, 161, 36, 30, 1, 0, 0, 0, 0, 0 };
static const uint64_t n1_dma[11] = { 0, 0, 1, 0, 2, 1, 1, 0, 1, 1, 3 };
static const uint64_t n1_dma32[11] = { 22393, 4279, 44, 4, 0, 0, 0, 0, 0, 0, 0 };
static const uint64_t n1_normal[11] = { 12930, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };

START_TEST(largest_free_order_seed)
{
	struct og_zone z = mkzone(n0_normal, 11);

	/* 1*128kB with 4 kB pages: 128 = 4 * 2^5 */
	ck_assert_int_eq(og_zone_largest_free_order(&z), 5);
	z = mkzone(n1_normal, 11);
	ck_assert_int_eq(og_zone_largest_free_order(&z), 0);
	z = mkzone(n1_dma, 11);
	ck_assert_int_eq(og_zone_largest_free_order(&z), 10);
	z = mkzone(n1_dma32, 11);
	ck_assert_int_eq(og_zone_largest_free_order(&z), 3);
}
END_TEST

START_TEST(largest_free_order_none)
{
	static const uint64_t zero[11] = { 0 };
	struct og_zone z = mkzone(zero, 11);

	ck_assert_int_eq(og_zone_largest_free_order(&z), -1);
	z.norders = 0;
	z.free_blocks[3] = 7; /* beyond norders: not counted */
	ck_assert_int_eq(og_zone_largest_free_order(&z), -1);
	z.norders = -4;
	ck_assert_int_eq(og_zone_largest_free_order(&z), -1);
	z.norders = 1000; /* clamped to OG_ORDERS_MAX */
	ck_assert_int_eq(og_zone_largest_free_order(&z), 3);
}
END_TEST

START_TEST(free_pages_matches_dmesg_totals)
{
	struct og_zone z = mkzone(n0_normal, 11);

	/* "= 4792448kB" */
	ck_assert_uint_eq(og_zone_free_pages(&z) * 4, 4792448);
	z = mkzone(n1_dma, 11);
	ck_assert_uint_eq(og_zone_free_pages(&z) * 4, 15888);
	z = mkzone(n1_dma32, 11);
	ck_assert_uint_eq(og_zone_free_pages(&z) * 4, 124636);
	z = mkzone(n1_normal, 11);
	ck_assert_uint_eq(og_zone_free_pages(&z) * 4, 51720);
}
END_TEST

START_TEST(unusable_index_seed)
{
	struct og_zone z = mkzone(n1_normal, 11);

	/* node 1 Normal: everything free is in single pages, an order-2 request cannot be met */
	ck_assert_uint_eq(og_zone_unusable_permyriad(&z, 0), 0);
	ck_assert_uint_eq(og_zone_unusable_permyriad(&z, 1), 10000);
	ck_assert_uint_eq(og_zone_unusable_permyriad(&z, 2), 10000);
	/* node 0 Normal: order 0+1 pages = 622118 + 574550 = 1196668 of 1198112 */
	z = mkzone(n0_normal, 11);
	ck_assert_uint_eq(og_zone_unusable_permyriad(&z, 2), 1196668ULL * 10000 / 1198112);
	ck_assert_uint_eq(og_zone_unusable_permyriad(&z, 2), 9987);
	ck_assert_uint_eq(og_zone_unusable_permyriad(&z, 5), 9999); /* all but the o5 block */
	ck_assert_uint_eq(og_zone_unusable_permyriad(&z, 6), 10000); /* nothing of 64 pages */
	ck_assert_uint_eq(og_zone_unusable_permyriad(&z, 10), 10000);
	ck_assert_uint_eq(og_zone_unusable_permyriad(&z, 11), 10000);
	ck_assert_uint_eq(og_zone_unusable_permyriad(&z, 99), 10000);
	ck_assert_uint_eq(og_zone_unusable_permyriad(&z, -1), 0);
	/* node 1 DMA: 1 pages of 16kB.. = 3972 pages; blocks < order 2: none */
	z = mkzone(n1_dma, 11);
	ck_assert_uint_eq(og_zone_unusable_permyriad(&z, 2), 0);
	ck_assert_uint_eq(og_zone_unusable_permyriad(&z, 3), 4 * 10000 / 3972);
}
END_TEST

START_TEST(unusable_index_empty_zone)
{
	static const uint64_t zero[11] = { 0 };
	struct og_zone z = mkzone(zero, 11);

	/* as mm/vmstat.c: no free memory is "all unusable" */
	ck_assert_uint_eq(og_zone_unusable_permyriad(&z, 0), 10000);
	ck_assert_uint_eq(og_zone_unusable_permyriad(&z, 3), 10000);
}
END_TEST

START_TEST(unusable_index_huge_counts_do_not_overflow)
{
	uint64_t b[16];
	struct og_zone z;

	for (int i = 0; i < 16; i++)
		b[i] = UINT64_MAX / 4;
	z = mkzone(b, 16);
	ck_assert_uint_eq(og_zone_free_pages(&z), UINT64_MAX); /* saturates */
	ck_assert_uint_le(og_zone_unusable_permyriad(&z, 8), 10000);
	b[0] = UINT64_MAX / 3;
	for (int i = 1; i < 16; i++)
		b[i] = 0;
	b[15] = UINT64_MAX >> 20; /* 2^44 blocks of 2^15 pages */
	z = mkzone(b, 16);
	ck_assert_uint_le(og_zone_unusable_permyriad(&z, 1), 10000);
	ck_assert_uint_ge(og_zone_unusable_permyriad(&z, 1), 1);
}
END_TEST

/* The seed's arithmetic: with lowmem_reserve, DMA32 still serves an order-2 request that
 * falls back from Normal (121080 < 124608 kB), DMA does not (128012 > 15872 kB). */
static struct og_zone seed_zoneinfo(const uint64_t *blocks, uint64_t free_kb, uint64_t low_kb,
				    const uint64_t *reserve_pages)
{
	struct og_zone z = mkzone(blocks, 11);

	z.has_zoneinfo = true;
	z.free_bytes = free_kb * 1024;
	z.low_bytes = low_kb * 1024;
	z.nreserve = 4;
	for (int i = 0; i < 4; i++)
		z.lowmem_reserve_bytes[i] = reserve_pages[i] * PAGE;
	return z;
}

START_TEST(watermark_seed)
{
	static const uint64_t r_dma[4] = { 0, 3071, 31997, 31997 };
	static const uint64_t r_dma32[4] = { 0, 0, 28925, 28925 };
	static const uint64_t r_normal[4] = { 0, 0, 0, 0 };
	struct og_zone dma32 = seed_zoneinfo(n1_dma32, 124624, 5380, r_dma32);
	struct og_zone dma = seed_zoneinfo(n1_dma, 15888, 24, r_dma);
	struct og_zone normal = seed_zoneinfo(n1_normal, 51720, 50660, r_normal);

	ck_assert(og_zone_watermark_ok(&dma32, 2, dma32.low_bytes, 2, PAGE));
	ck_assert(!og_zone_watermark_ok(&dma, 2, dma.low_bytes, 2, PAGE));
	/* DMA for a DMA-only request: no reserve applies */
	ck_assert(og_zone_watermark_ok(&dma, 2, dma.low_bytes, 0, PAGE));
	/* Normal: enough pages for order 0, but no block of order >= 1 */
	ck_assert(og_zone_watermark_ok(&normal, 0, normal.low_bytes, 2, PAGE));
	ck_assert(!og_zone_watermark_ok(&normal, 2, normal.low_bytes, 2, PAGE));
	ck_assert(!og_zone_watermark_ok(&normal, 1, normal.low_bytes, 2, PAGE));
	/* and below the mark even order 0 fails */
	ck_assert(!og_zone_watermark_ok(&normal, 0, normal.free_bytes, 2, PAGE));
}
END_TEST

START_TEST(watermark_bad_arguments)
{
	static const uint64_t r[4] = { 0 };
	struct og_zone z = seed_zoneinfo(n1_dma32, 124624, 5380, r);

	ck_assert(og_zone_watermark_ok(&z, 0, 0, 0, PAGE));
	ck_assert(!og_zone_watermark_ok(&z, 0, 0, 0, 0));
	ck_assert(!og_zone_watermark_ok(&z, -1, 0, 0, PAGE));
	ck_assert(!og_zone_watermark_ok(&z, OG_ORDERS_MAX, 0, 0, PAGE));
	/* classzone beyond nreserve: no reserve added, still ok */
	ck_assert(og_zone_watermark_ok(&z, 0, 0, 5, PAGE));
	z.has_zoneinfo = false;
	ck_assert(!og_zone_watermark_ok(&z, 0, 0, 0, PAGE));
	/* fewer free pages than the request itself */
	z = seed_zoneinfo(n1_dma32, 4, 0, r);
	ck_assert(!og_zone_watermark_ok(&z, 3, 0, 0, PAGE));
}
END_TEST

static Suite *zone_suite(void)
{
	Suite *s = suite_create("zone");
	TCase *tc = tcase_create("frag");

	tcase_add_test(tc, largest_free_order_seed);
	tcase_add_test(tc, largest_free_order_none);
	tcase_add_test(tc, free_pages_matches_dmesg_totals);
	tcase_add_test(tc, unusable_index_seed);
	tcase_add_test(tc, unusable_index_empty_zone);
	tcase_add_test(tc, unusable_index_huge_counts_do_not_overflow);
	suite_add_tcase(s, tc);
	tc = tcase_create("watermark");
	tcase_add_test(tc, watermark_seed);
	tcase_add_test(tc, watermark_bad_arguments);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return og_check_run(zone_suite());
}
