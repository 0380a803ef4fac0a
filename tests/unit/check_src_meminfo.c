/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guardian/base/root.h"
#include "guardian/sources/src_meminfo.h"
#include "tests/unit/og_check.h"

#define KIB(x) ((uint64_t)(x) * 1024)

static const char *const meminfo_6_18 =
	"MemTotal:       24683584 kB\n"
	"MemFree:        24494848 kB\n"
	"MemAvailable:   24419704 kB\n"
	"Buffers:            1488 kB\n"
	"Cached:           42544 kB\n"
	"SwapCached:            0 kB\n"
	"Active:            21224 kB\n"
	"Inactive:          22916 kB\n"
	"Active(anon):       1552 kB\n"
	"Inactive(anon):     7912 kB\n"
	"Active(file):      19672 kB\n"
	"Inactive(file):    15004 kB\n"
	"Unevictable:       14572 kB\n"
	"Mlocked:           13600 kB\n"
	"SwapTotal:             0 kB\n"
	"SwapFree:              0 kB\n"
	"Dirty:               236 kB\n"
	"Writeback:             0 kB\n"
	"AnonPages:         14620 kB\n"
	"Mapped:            11244 kB\n"
	"Shmem:              9356 kB\n"
	"KReclaimable:      58008 kB\n"
	"Slab:              80564 kB\n"
	"SReclaimable:      58008 kB\n"
	"SUnreclaim:        22556 kB\n"
	"KernelStack:        1508 kB\n"
	"PageTables:         1688 kB\n"
	"CommitLimit:    12341792 kB\n"
	"Committed_AS:      66188 kB\n"
	"HugePages_Total:       7\n"
	"HugePages_Free:        3\n"
	"Hugepagesize:       2048 kB\n";

static int parse_str(const char *s, struct og_meminfo *m)
{
	return src_meminfo_parse_buf(s, m);
}

START_TEST(meminfo_parses_every_field)
{
	struct og_meminfo m;

	ck_assert_int_eq(parse_str(meminfo_6_18, &m), 0);
	ck_assert_uint_eq(m.total_bytes, KIB(24683584));
	ck_assert_uint_eq(m.free_bytes, KIB(24494848));
	ck_assert_uint_eq(m.available_bytes, KIB(24419704));
	ck_assert(!m.available_estimated);
	ck_assert_uint_eq(m.buffers_bytes, KIB(1488));
	ck_assert_uint_eq(m.cached_bytes, KIB(42544));
	/* "Active" must not pick up "Active(anon)" or "Active(file)" (anchored, exact keys). */
	ck_assert_uint_eq(m.active_bytes, KIB(21224));
	ck_assert_uint_eq(m.inactive_bytes, KIB(22916));
	ck_assert_uint_eq(m.active_file_bytes, KIB(19672));
	ck_assert_uint_eq(m.inactive_file_bytes, KIB(15004));
	ck_assert_uint_eq(m.unevictable_bytes, KIB(14572));
	ck_assert_uint_eq(m.mlocked_bytes, KIB(13600));
	ck_assert_uint_eq(m.dirty_bytes, KIB(236));
	ck_assert_uint_eq(m.anon_pages_bytes, KIB(14620));
	ck_assert_uint_eq(m.mapped_bytes, KIB(11244));
	ck_assert_uint_eq(m.shmem_bytes, KIB(9356));
	ck_assert_uint_eq(m.kreclaimable_bytes, KIB(58008));
	ck_assert_uint_eq(m.slab_bytes, KIB(80564));
	ck_assert_uint_eq(m.sreclaimable_bytes, KIB(58008));
	ck_assert_uint_eq(m.sunreclaim_bytes, KIB(22556));
	ck_assert_uint_eq(m.kernel_stack_bytes, KIB(1508));
	ck_assert_uint_eq(m.page_tables_bytes, KIB(1688));
	ck_assert_uint_eq(m.commit_limit_bytes, KIB(12341792));
	ck_assert_uint_eq(m.committed_as_bytes, KIB(66188));
	ck_assert_uint_eq(m.hugepages_total, 7); /* a count, not kB */
	ck_assert_uint_eq(m.hugepages_free, 3);
	ck_assert_uint_eq(m.hugepage_size_bytes, KIB(2048));
	ck_assert_uint_eq(m.has, 0xfff); /* all twelve has bits */
}
END_TEST

START_TEST(meminfo_has_mask_tracks_presence)
{
	struct og_meminfo m;

	ck_assert_int_eq(parse_str("MemTotal: 1000 kB\nMemFree: 10 kB\nMemAvailable: 20 kB\n"
				   "Shmem: 0 kB\n",
				   &m),
			 0);
	ck_assert_uint_eq(m.has, OG_MI_TOTAL | OG_MI_FREE | OG_MI_AVAILABLE | OG_MI_SHMEM);
	ck_assert_uint_eq(m.shmem_bytes, 0);
	ck_assert_uint_eq(m.swap_total_bytes, 0);
}
END_TEST

START_TEST(meminfo_keys_are_anchored)
{
	struct og_meminfo m;

	/* A key in the middle of a line, or as a prefix of a longer key, is not that key. */
	ck_assert_int_eq(parse_str(" MemTotal: 1000 kB\nMemFree: 10 kB\n", &m), -EBADMSG);
	ck_assert_int_eq(parse_str("MemTotalX: 1000 kB\nMemFree: 10 kB\n", &m), -EBADMSG);
	ck_assert_int_eq(parse_str("XMemTotal: 1000 kB\nMemFree: 10 kB\n", &m), -EBADMSG);
	ck_assert_int_eq(parse_str("MemTotal: 1000 kB\nMemFree: 10 kB\nMemTotal2: x\n", &m), 0);
	ck_assert_uint_eq(m.total_bytes, KIB(1000));
}
END_TEST

START_TEST(meminfo_no_trailing_newline)
{
	struct og_meminfo m;

	ck_assert_int_eq(parse_str("MemTotal: 1000 kB\nMemFree: 10 kB", &m), 0);
	ck_assert_uint_eq(m.free_bytes, KIB(10));
}
END_TEST

START_TEST(meminfo_missing_required_is_rejected)
{
	struct og_meminfo m = { .total_bytes = 42 };

	ck_assert_int_eq(parse_str("MemFree: 10 kB\nMemAvailable: 20 kB\n", &m), -EBADMSG);
	ck_assert_int_eq(parse_str("MemTotal: 1000 kB\nMemAvailable: 20 kB\n", &m), -EBADMSG);
	ck_assert_int_eq(parse_str("", &m), -EBADMSG);
	ck_assert_int_eq(parse_str("\n\n\n", &m), -EBADMSG);
	ck_assert_uint_eq(m.total_bytes, 42); /* untouched on failure */
}
END_TEST

START_TEST(meminfo_malformed_values_are_rejected)
{
	struct og_meminfo m;

	ck_assert_int_eq(parse_str("MemTotal: abc kB\nMemFree: 10 kB\n", &m), -EBADMSG);
	ck_assert_int_eq(parse_str("MemTotal: 1000\nMemFree: 10 kB\n", &m), -EBADMSG);
	ck_assert_int_eq(parse_str("MemTotal: 1000 MB\nMemFree: 10 kB\n", &m), -EBADMSG);
	ck_assert_int_eq(parse_str("MemTotal: 1000 kB x\nMemFree: 10 kB\n", &m), -EBADMSG);
	ck_assert_int_eq(parse_str("MemTotal: -1000 kB\nMemFree: 10 kB\n", &m), -EBADMSG);
	ck_assert_int_eq(parse_str("MemTotal:\nMemFree: 10 kB\n", &m), -EBADMSG);
	/* kB -> bytes overflows 64 bits */
	ck_assert_int_eq(parse_str("MemTotal: 18014398509481984 kB\nMemFree: 10 kB\n", &m),
			 -EBADMSG);
	ck_assert_int_eq(parse_str("MemTotal: 99999999999999999999 kB\nMemFree: 10 kB\n", &m),
			 -EBADMSG);
	/* HugePages_Total is a count: a unit is wrong */
	ck_assert_int_eq(parse_str("MemTotal: 1000 kB\nMemFree: 10 kB\nHugePages_Total: 1 kB\n",
				   &m),
			 -EBADMSG);
	/* a known key twice */
	ck_assert_int_eq(parse_str("MemTotal: 1000 kB\nMemFree: 10 kB\nMemFree: 20 kB\n", &m),
			 -EBADMSG);
	/* unknown keys are not validated */
	ck_assert_int_eq(parse_str("MemTotal: 1000 kB\nMemFree: 10 kB\nFuture: ??\nnocolon\n", &m),
			 0);
	/* trailing blanks are fine */
	ck_assert_int_eq(parse_str("MemTotal:\t1000 kB  \nMemFree: 10 kB\t\n", &m), 0);
	ck_assert_uint_eq(m.total_bytes, KIB(1000));
}
END_TEST

START_TEST(meminfo_sanity)
{
	struct og_meminfo m;

	ck_assert_int_eq(parse_str("MemTotal: 1000 kB\nMemFree: 1001 kB\n", &m), -EBADMSG);
	ck_assert_int_eq(parse_str("MemTotal: 1000 kB\nMemFree: 10 kB\nMemAvailable: 1001 kB\n",
				   &m),
			 -EBADMSG);
	ck_assert_int_eq(parse_str("MemTotal: 0 kB\nMemFree: 0 kB\n", &m), -EBADMSG);
	ck_assert_int_eq(parse_str("MemTotal: 1000 kB\nMemFree: 1000 kB\nMemAvailable: 1000 kB\n",
				   &m),
			 0);
}
END_TEST

START_TEST(meminfo_estimates_available_before_3_14)
{
	struct og_meminfo m;

	ck_assert_int_eq(parse_str("MemTotal: 1000 kB\nMemFree: 100 kB\nActive(file): 200 kB\n"
				   "Inactive(file): 100 kB\nSReclaimable: 50 kB\n",
				   &m),
			 0);
	ck_assert(m.available_estimated);
	ck_assert(!(m.has & OG_MI_AVAILABLE));
	ck_assert_uint_eq(m.available_bytes, KIB(100 + 150 + 25));
	/* capped at MemTotal */
	ck_assert_int_eq(parse_str("MemTotal: 1000 kB\nMemFree: 900 kB\nActive(file): 2000 kB\n",
				   &m),
			 0);
	ck_assert_uint_eq(m.available_bytes, KIB(1000));
}
END_TEST

START_TEST(meminfo_fixture_rhel7)
{
	struct og_root root;
	struct og_meminfo m;

	ck_assert_int_eq(og_root_open(&root, FIXTURES "/no-psi-3.10"), 0);
	ck_assert_int_eq(src_read_meminfo(&root, &m), 0);
	ck_assert_uint_eq(m.total_bytes, KIB(16266788));
	ck_assert_uint_eq(m.available_bytes, KIB(9874512));
	ck_assert(!m.available_estimated);
	ck_assert_uint_eq(m.swap_total_bytes, KIB(8388604));
	ck_assert_uint_eq(m.swap_free_bytes, KIB(8310012));
	ck_assert_uint_eq(m.sreclaimable_bytes, KIB(1290348));
	og_root_close(&root);
}
END_TEST

START_TEST(meminfo_fixture_no_memavailable)
{
	struct og_root root;
	struct og_meminfo m;

	ck_assert_int_eq(og_root_open(&root, FIXTURES "/no-memavailable"), 0);
	ck_assert_int_eq(src_read_meminfo(&root, &m), 0);
	ck_assert(m.available_estimated);
	/* 512340 + (4802024 + 4307588) / 2 + 1290348 / 2 kB */
	ck_assert_uint_eq(m.available_bytes, KIB(5712320));
	ck_assert_uint_eq(m.has & OG_MI_AVAILABLE, 0);
	og_root_close(&root);
}
END_TEST

static void expect_fixture_error(const char *dir, int err)
{
	struct og_root root;
	struct og_meminfo m = { .total_bytes = 7 };
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", FIXTURES, dir);
	ck_assert_int_eq(og_root_open(&root, path), 0);
	ck_assert_int_eq(src_read_meminfo(&root, &m), err);
	ck_assert_uint_eq(m.total_bytes, 7);
	og_root_close(&root);
}

START_TEST(meminfo_fixture_bad)
{
	expect_fixture_error("bad-meminfo-nototal", -EBADMSG);
	expect_fixture_error("bad-meminfo-cut", -EBADMSG);
	expect_fixture_error("bad-meminfo-avail", -EBADMSG);
	expect_fixture_error("bad-meminfo-unit", -EBADMSG);
	expect_fixture_error("bad-meminfo-big", -EFBIG);
}
END_TEST

START_TEST(meminfo_missing_file)
{
	char dir[OG_TMPROOT_MAX];
	struct og_root root;
	struct og_meminfo m;
	int r;

	og_tmproot_create(dir);
	ck_assert_int_eq(og_root_open(&root, dir), 0);
	r = src_read_meminfo(&root, &m);
	og_root_close(&root);
	og_tmproot_remove(dir);
	ck_assert_int_eq(r, -ENOENT);
}
END_TEST

START_TEST(meminfo_live)
{
	struct og_root root;
	struct og_meminfo m;

	ck_assert_int_eq(og_root_open(&root, "/"), 0);
	ck_assert_int_eq(src_read_meminfo(&root, &m), 0);
	ck_assert_uint_gt(m.total_bytes, 0);
	ck_assert_uint_le(m.available_bytes, m.total_bytes);
	ck_assert_uint_le(m.free_bytes, m.total_bytes);
	ck_assert(!m.available_estimated); /* this kernel is 6.x */
	ck_assert_uint_eq(m.has & (OG_MI_TOTAL | OG_MI_FREE | OG_MI_AVAILABLE | OG_MI_SLAB),
			  OG_MI_TOTAL | OG_MI_FREE | OG_MI_AVAILABLE | OG_MI_SLAB);
	og_root_close(&root);
}
END_TEST

static size_t open_fds(void)
{
	size_t n = 0;
	char path[64];

	for (int fd = 0; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n += access(path, F_OK) == 0;
	}
	return n;
}

/* og_root_read() with kept files: a file rewritten in place is read as it is now, through
 * the fd kept open; past the cap files are read as og_read_at() does; closing drops them. */
START_TEST(kept_files_follow_the_file)
{
	char dir[OG_TMPROOT_MAX], buf[256];
	struct og_root root;
	struct og_meminfo m;
	size_t fds;

	og_tmproot_create(dir);
	og_tmproot_put(dir, "proc/meminfo", meminfo_6_18);
	og_tmproot_put(dir, "proc/a", "one\n");
	og_tmproot_put(dir, "proc/b", "two\n");
	ck_assert_int_eq(og_root_open(&root, dir), 0);
	ck_assert_int_eq(og_root_keep(&root, 2), 0);
	fds = open_fds();
	ck_assert_int_eq(src_read_meminfo(&root, &m), 0);
	ck_assert_uint_eq(m.total_bytes, KIB(24683584));
	ck_assert_uint_eq(open_fds(), fds + 1); /* kept */
	og_tmproot_put(dir, "proc/meminfo", "MemTotal: 1000 kB\nMemFree: 500 kB\n"
					    "MemAvailable: 600 kB\nSlab: 10 kB\n");
	ck_assert_int_eq(src_read_meminfo(&root, &m), 0);
	ck_assert_uint_eq(m.total_bytes, KIB(1000));
	ck_assert_uint_eq(open_fds(), fds + 1); /* the same fd */
	ck_assert_int_eq(og_root_read(&root, root.proc_fd, "a", buf, sizeof(buf)), 4);
	ck_assert_str_eq(buf, "one\n");
	ck_assert_int_eq(og_root_read(&root, root.proc_fd, "b", buf, sizeof(buf)), 4);
	ck_assert_str_eq(buf, "two\n");
	ck_assert_uint_eq(open_fds(), fds + 2); /* full: b was read afresh */
	ck_assert_int_eq(og_root_read(&root, root.proc_fd, "a", buf, 3), -EFBIG);
	ck_assert_int_eq(og_root_read(&root, root.proc_fd, "nope", buf, sizeof(buf)), -ENOENT);
	og_root_keep_close(&root);
	ck_assert_uint_eq(open_fds(), fds);
	og_root_close(&root);
	og_tmproot_remove(dir);
}
END_TEST

/* A seq_file of more than a page (zoneinfo) read through a kept fd: whole, as og_read_at(). */
START_TEST(kept_files_read_a_seq_file_whole)
{
	static char kept[1 << 16], plain[1 << 16];
	struct og_root root;
	ssize_t nk, np;
	size_t lk = 0, lp = 0;

	ck_assert_int_eq(og_root_open(&root, "/"), 0);
	ck_assert_int_eq(og_root_keep(&root, 4), 0);
	for (int i = 0; i < 2; i++) /* the second time through the kept fd */
		nk = og_root_read(&root, root.proc_fd, "zoneinfo", kept, sizeof(kept));
	np = og_read_at(root.proc_fd, "zoneinfo", plain, sizeof(plain));
	ck_assert_int_gt(np, 4096);
	ck_assert_int_gt(nk, 4096);
	for (ssize_t i = 0; i < nk; i++)
		lk += kept[i] == '\n';
	for (ssize_t i = 0; i < np; i++)
		lp += plain[i] == '\n';
	ck_assert_uint_eq(lk, lp);
	ck_assert_int_eq(strncmp(kept, plain, 16), 0);
	og_root_close(&root);
}
END_TEST

/* The tree contrib/capture-fixture.sh made of the development machine. */
START_TEST(meminfo_fixture_this_host)
{
	struct og_root root;
	struct og_meminfo m;

	ck_assert_int_eq(og_root_open(&root, FIXTURES "/this-host"), 0);
	ck_assert_int_eq(src_read_meminfo(&root, &m), 0);
	ck_assert_uint_eq(m.total_bytes, KIB(24683584)); /* 24 GiB machine */
	ck_assert_uint_le(m.available_bytes, m.total_bytes);
	ck_assert_uint_eq(m.swap_total_bytes, 0); /* no swap */
	ck_assert(m.has & OG_MI_SWAP_TOTAL);
	ck_assert(!m.available_estimated);
	og_root_close(&root);
}
END_TEST

static Suite *meminfo_suite(void)
{
	Suite *s = suite_create("src_meminfo");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, meminfo_parses_every_field);
	tcase_add_test(tc, meminfo_has_mask_tracks_presence);
	tcase_add_test(tc, meminfo_keys_are_anchored);
	tcase_add_test(tc, meminfo_no_trailing_newline);
	tcase_add_test(tc, meminfo_missing_required_is_rejected);
	tcase_add_test(tc, meminfo_malformed_values_are_rejected);
	tcase_add_test(tc, meminfo_sanity);
	tcase_add_test(tc, meminfo_estimates_available_before_3_14);
	suite_add_tcase(s, tc);
	tc = tcase_create("read");
	tcase_add_test(tc, meminfo_fixture_rhel7);
	tcase_add_test(tc, meminfo_fixture_no_memavailable);
	tcase_add_test(tc, meminfo_fixture_bad);
	tcase_add_test(tc, meminfo_missing_file);
	tcase_add_test(tc, meminfo_live);
	tcase_add_test(tc, kept_files_follow_the_file);
	tcase_add_test(tc, kept_files_read_a_seq_file_whole);
	tcase_add_test(tc, meminfo_fixture_this_host);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return og_check_run(meminfo_suite());
}
