/* SPDX-License-Identifier: GPL-2.0-or-later */
/* guardian/sources/src_slab.c: /proc/slabinfo 2.1 and sys/kernel/slab, the Koji (seed 000) fixture. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardian/base/root.h"
#include "guardian/sources/src_slab.h"
#include "policy/util/cleanup.h"
#include "tests/unit/og_check.h"

#define PAGE 4096ULL
#define MIB(x) ((uint64_t)(x) * 1024 * 1024)

static struct og_slab slabs[1024];

#define HDR                                                                                       \
	"slabinfo - version: 2.1\n"                                                              \
	"# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : "    \
	"tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> "    \
	"<sharedavail>\n"

static const char slabinfo[] =
	HDR "bio-312               12     12    320   12    1 : tunables    0    0    0 : slabdata "
	    "     1      1      0\n"
	    "dentry             41937  42231    192   21    1 : tunables    0    0    0 : slabdata "
	    "  2011   2011      0\n"
	    "kmalloc-8k           180    184   8192    4    8 : tunables    0    0    0 : slabdata "
	    "    46     46      0\n"
	    "btrfs_delayed_node      0      0    312   13    1 : tunables    0    0    0 : "
	    "slabdata      0      0      0\n";

START_TEST(slabinfo_parses_and_sorts)
{
	size_t n = 0;

	ck_assert_int_eq(src_slabinfo_parse_buf(slabinfo, PAGE, slabs, 16, &n), 4);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(slabs[0].name, "dentry");
	ck_assert_uint_eq(slabs[0].active_objs, 41937);
	ck_assert_uint_eq(slabs[0].num_objs, 42231);
	ck_assert_uint_eq(slabs[0].objsize_bytes, 192);
	ck_assert_uint_eq(slabs[0].total_bytes, 2011 * PAGE);
	ck_assert_str_eq(slabs[1].name, "kmalloc-8k");
	ck_assert_uint_eq(slabs[1].total_bytes, 46 * 8 * PAGE);
	ck_assert_str_eq(slabs[2].name, "bio-312");
	ck_assert_str_eq(slabs[3].name, "btrfs_delayed_node");
	ck_assert_uint_eq(slabs[3].total_bytes, 0);
	ck_assert(!slabs[0].has_reclaim_flag);
	/* 64 KiB pages (arm64, ppc64le): same counts, 16x the bytes */
	ck_assert_int_eq(src_slabinfo_parse_buf(slabinfo, 65536, slabs, 16, &n), 4);
	ck_assert_uint_eq(slabs[0].total_bytes, 2011 * 65536ULL);
}
END_TEST

START_TEST(slabinfo_cap_keeps_the_largest)
{
	size_t n = 0;

	ck_assert_int_eq(src_slabinfo_parse_buf(slabinfo, PAGE, slabs, 2, &n), 4);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(slabs[0].name, "dentry");
	ck_assert_str_eq(slabs[1].name, "kmalloc-8k");
	ck_assert_int_eq(src_slabinfo_parse_buf(slabinfo, PAGE, slabs, 0, &n), 4);
	ck_assert_uint_eq(n, 0);
	n = 7; /* counting only: no table at all */
	ck_assert_int_eq(src_slabinfo_parse_buf(slabinfo, PAGE, NULL, 0, &n), 4);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(slabinfo_versions)
{
	size_t n = 99;

	ck_assert_int_eq(src_slabinfo_parse_buf("slabinfo - version: 2.0\n", PAGE, slabs, 4, &n),
			 -EPROTONOSUPPORT);
	ck_assert_int_eq(src_slabinfo_parse_buf("slabinfo - version: 3.0\n", PAGE, slabs, 4, &n),
			 -EPROTONOSUPPORT);
	ck_assert_int_eq(src_slabinfo_parse_buf("slabinfo - version: 2.10\n", PAGE, slabs, 4, &n),
			 -EPROTONOSUPPORT);
	ck_assert_int_eq(src_slabinfo_parse_buf("slabinfo - version 2.1\n", PAGE, slabs, 4, &n),
			 -EBADMSG);
	ck_assert_int_eq(src_slabinfo_parse_buf("", PAGE, slabs, 4, &n), -EBADMSG);
	ck_assert_int_eq(src_slabinfo_parse_buf("dentry 1 1 192 21 1 : tunables 0 0 0 : slabdata "
						"1 1 0\n",
						PAGE, slabs, 4, &n),
			 -EBADMSG); /* no header */
	ck_assert_uint_eq(n, 99);
	/* header only: a valid, empty table */
	ck_assert_int_eq(src_slabinfo_parse_buf("slabinfo - version: 2.1\n", PAGE, slabs, 4, &n),
			 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(src_slabinfo_parse_buf(slabinfo, 0, slabs, 4, &n), -EINVAL);
}
END_TEST

START_TEST(slabinfo_statistics_columns)
{
	/* CONFIG_DEBUG_SLAB (SLAB) appends globalstat and cpustat groups */
	static const char stats[] =
		"slabinfo - version: 2.1 (statistics)\n"
		"# name <active_objs> ...\n"
		"nfs_inode_cache 2400 2430 1064 3 1 : tunables 24 12 8 : slabdata 810 810 0 "
		": globalstat 9123 2430 810 0 0 0 0 0 0 : cpustat 8001 900 412 23\n";
	size_t n = 0;

	ck_assert_int_eq(src_slabinfo_parse_buf(stats, PAGE, slabs, 4, &n), 1);
	ck_assert_uint_eq(slabs[0].total_bytes, 810 * PAGE);
}
END_TEST

static int parse_line(const char *line)
{
	char buf[512];
	size_t n = 0;

	snprintf(buf, sizeof(buf), HDR "%s", line);
	return src_slabinfo_parse_buf(buf, PAGE, slabs, 4, &n);
}

START_TEST(slabinfo_malformed_lines)
{
	static const char *const bad[] = {
		"dentry 1 1 192 21 1 : tunables 0 0 0 : slabdata 1 1\n", /* truncated */
		"dentry 1 1 192 21 1 : tunables 0 0 0 : slabdata\n",
		"dentry 1 1 192 21 1\n",
		"dentry\n",
		"dentry 1 1 192 21 1 tunables 0 0 0 : slabdata 1 1 0\n",
		"dentry 1 1 192 21 1 : tunable 0 0 0 : slabdata 1 1 0\n",
		"dentry 1 x 192 21 1 : tunables 0 0 0 : slabdata 1 1 0\n",
		"dentry 5 1 192 21 1 : tunables 0 0 0 : slabdata 1 1 0\n", /* active > num */
		"dentry 1 1 192 21 0 : tunables 0 0 0 : slabdata 1 1 0\n", /* 0 pages a slab */
		"dentry 1 1 192 21 1 : tunables 0 0 0 : slabdata 2 1 0\n", /* active > num slabs */
		"dentry 1 1 192 21 1 : tunables 0 0 0 : slabdata 1 1 0 junk\n",
		"dentry 1 1 192 21 4096 : tunables 0 0 0 : slabdata 1 4503599627370496 0\n",
		"dentry 1 1 192 21 1 : tunables 0 0 0 : slabdata 1 99999999999999999999 0\n",
	};
	for (size_t i = 0; i < OG_ELEMENTSOF(bad); i++)
		ck_assert_msg(parse_line(bad[i]) == -EBADMSG, "case %zu", i);
	/* the same line, well formed, passes: the test is not vacuous */
	ck_assert_int_eq(parse_line("dentry 1 1 192 21 1 : tunables 0 0 0 : slabdata 1 1 0\n"), 1);
	ck_assert_int_eq(parse_line("dentry 1 1 192 21 1 : tunables 0 0 0 : slabdata 1 1 0"), 1);
}
END_TEST

START_TEST(slabinfo_long_name_is_truncated_not_rejected)
{
	size_t n = 0;
	char line[256];

	snprintf(line, sizeof(line), "%s 1 1 192 21 1 : tunables 0 0 0 : slabdata 1 1 0\n",
		 "a_very_long_cache_name_that_does_not_fit_into_sixty_four_bytes_of_storage");
	ck_assert_int_eq(parse_line(line), 1);
	(void)n;
	ck_assert_uint_eq(strlen(slabs[0].name), OG_SLAB_NAME_MAX - 1);
}
END_TEST

START_TEST(read_koji_fixture)
{
	struct og_root root;
	size_t n = 0;
	int r;

	ck_assert_int_eq(og_root_open(&root, FIXTURES "/koji-slab"), 0);
	r = src_read_slabs(&root, PAGE, slabs, OG_ELEMENTSOF(slabs), NULL, &n);
	og_root_close(&root);
	ck_assert_int_ge(r, 20);
	ck_assert_uint_eq(n, (size_t)r);
	/* seed 000: nfs_inode_cache holds 2.5 GB, and it is reclaimable */
	ck_assert_str_eq(slabs[0].name, "nfs_inode_cache");
	ck_assert_uint_eq(slabs[0].total_bytes, 81920 * 8 * PAGE);
	ck_assert_uint_ge(slabs[0].total_bytes, MIB(2500));
	ck_assert(slabs[0].has_reclaim_flag);
	ck_assert(slabs[0].reclaimable);
	ck_assert_str_eq(slabs[1].name, "dentry");
	ck_assert(slabs[1].reclaimable);
	for (size_t i = 1; i < n; i++)
		ck_assert_uint_le(slabs[i].total_bytes, slabs[i - 1].total_bytes);
	for (size_t i = 0; i < n; i++) {
		ck_assert(slabs[i].has_reclaim_flag);
		if (strncmp(slabs[i].name, "kmalloc-", 8) == 0 ||
		    strcmp(slabs[i].name, "task_struct") == 0)
			ck_assert(!slabs[i].reclaimable);
	}
}
END_TEST

/* A tree with the koji caches only in sys/kernel/slab (slabinfo unreadable). */
static void make_sysfs_only(char dir[OG_TMPROOT_MAX], bool with_slabinfo_dir)
{
	static const struct {
		const char *name, *objects, *total, *size, *order, *slabs, *reclaim;
	} caches[] = {
		{ "nfs_inode_cache", "2433024 N0=2433024", "2457600 N0=2457600", "1064", "3",
		  "81920 N0=81920", "1" },
		{ "kmalloc-64", "184320", "192000", "64", "0", "3000", "0" },
		{ ":0000192", "1000", "2100", "192", "0", NULL, "0" }, /* no slabs file */
		{ "broken", "x", "1", "64", "0", "1", "0" },
	};
	FILE *f;

	og_tmproot_create(dir);
	for (size_t i = 0; i < OG_ELEMENTSOF(caches); i++) {
		const char *attrs[][2] = {
			{ "objects", caches[i].objects }, { "total_objects", caches[i].total },
			{ "slab_size", caches[i].size },  { "order", caches[i].order },
			{ "slabs", caches[i].slabs },	  { "reclaim_account", caches[i].reclaim },
			{ "objs_per_slab", "21" },
		};
		for (size_t a = 0; a < OG_ELEMENTSOF(attrs); a++) {
			char rel[256];

			if (!attrs[a][1])
				continue;
			snprintf(rel, sizeof(rel), "sys/kernel/slab/%s/%s", caches[i].name,
				 attrs[a][0]);
			f = og_tmproot_fopen(dir, rel);
			fprintf(f, "%s\n", attrs[a][1]);
			fclose(f);
		}
	}
	/* an alias symlink of a merged cache: must not be counted twice */
	{
		char path[256];

		snprintf(path, sizeof(path), "%s/sys/kernel/slab/dentry", dir);
		ck_assert_int_eq(symlink(":0000192", path), 0);
	}
	if (with_slabinfo_dir) /* slabinfo that cannot be read (a directory) */
		og_tmproot_mkdir(dir, "proc/slabinfo");
}

/* The flags a refresh has read are kept by name: a changed reclaim_account file is not read
 * again with them (the kernel never changes it), and is without; a new cache's is read. */
START_TEST(read_flags_are_learned_once)
{
	struct og_slab_flags *flags = NULL;
	char dir[OG_TMPROOT_MAX];
	struct og_root root;
	size_t n = 0;
	FILE *f;

	ck_assert_int_eq(og_slab_flags_new(&flags), 0);
	make_sysfs_only(dir, true);
	ck_assert_int_eq(og_root_open(&root, dir), 0);
	ck_assert_int_eq(src_read_slabs(&root, PAGE, slabs, OG_ELEMENTSOF(slabs), flags, &n), 3);
	ck_assert_str_eq(slabs[1].name, "kmalloc-64");
	ck_assert(!slabs[1].reclaimable && slabs[1].has_reclaim_flag);
	/* the file says otherwise now, and a cache appeared */
	f = og_tmproot_fopen(dir, "sys/kernel/slab/kmalloc-64/reclaim_account");
	fprintf(f, "1\n");
	fclose(f);
	{
		const char *attrs[][2] = { { "objects", "10" }, { "total_objects", "21" },
					   { "slab_size", "64" }, { "order", "0" },
					   { "slabs", "1" }, { "reclaim_account", "1" } };

		for (size_t a = 0; a < OG_ELEMENTSOF(attrs); a++) {
			char rel[256];

			snprintf(rel, sizeof(rel), "sys/kernel/slab/newcache/%s", attrs[a][0]);
			f = og_tmproot_fopen(dir, rel);
			fprintf(f, "%s\n", attrs[a][1]);
			fclose(f);
		}
	}
	ck_assert_int_eq(src_read_slabs(&root, PAGE, slabs, OG_ELEMENTSOF(slabs), flags, &n), 4);
	ck_assert_str_eq(slabs[1].name, "kmalloc-64");
	ck_assert(!slabs[1].reclaimable && slabs[1].has_reclaim_flag); /* as learned */
	ck_assert_str_eq(slabs[3].name, "newcache");
	ck_assert(slabs[3].reclaimable && slabs[3].has_reclaim_flag); /* read */
	ck_assert_int_eq(src_read_slabs(&root, PAGE, slabs, OG_ELEMENTSOF(slabs), NULL, &n), 4);
	ck_assert(slabs[1].reclaimable); /* without the cache: the file as it is */
	og_root_close(&root);
	og_tmproot_remove(dir);
	og_slab_flags_free(flags);
}
END_TEST

START_TEST(read_sysfs_fallback)
{
	char dir[OG_TMPROOT_MAX];
	struct og_root root;
	size_t n = 0;
	int r;

	make_sysfs_only(dir, true);
	ck_assert_int_eq(og_root_open(&root, dir), 0);
	r = src_read_slabs(&root, PAGE, slabs, OG_ELEMENTSOF(slabs), NULL, &n);
	og_root_close(&root);
	og_tmproot_remove(dir);
	ck_assert_int_eq(r, 3); /* "broken" skipped, the alias not counted */
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(slabs[0].name, "nfs_inode_cache");
	ck_assert_uint_eq(slabs[0].total_bytes, 81920 * 8 * PAGE);
	ck_assert_uint_eq(slabs[0].active_objs, 2433024);
	ck_assert_uint_eq(slabs[0].num_objs, 2457600);
	ck_assert_uint_eq(slabs[0].objsize_bytes, 1064);
	ck_assert(slabs[0].reclaimable && slabs[0].has_reclaim_flag);
	ck_assert_str_eq(slabs[1].name, "kmalloc-64");
	ck_assert_uint_eq(slabs[1].total_bytes, 3000 * PAGE);
	ck_assert(!slabs[1].reclaimable && slabs[1].has_reclaim_flag);
	ck_assert_str_eq(slabs[2].name, ":0000192");
	ck_assert_uint_eq(slabs[2].total_bytes, 100 * PAGE); /* ceil(2100 / 21) slabs */
}
END_TEST

START_TEST(read_missing_sys_kernel_slab)
{
	char dir[OG_TMPROOT_MAX];
	struct og_root root;
	size_t n1 = 0, n2 = 77;
	int r1, r2;

	og_tmproot_create(dir);
	og_tmproot_put(dir, "proc/slabinfo", slabinfo);
	ck_assert_int_eq(og_root_open(&root, dir), 0); /* slabinfo, but no sys/kernel/slab */
	r1 = src_read_slabs(&root, PAGE, slabs, OG_ELEMENTSOF(slabs), NULL, &n1);
	og_root_close(&root);
	og_tmproot_remove(dir);
	ck_assert_int_eq(r1, 4);
	ck_assert_uint_eq(n1, 4);
	for (size_t i = 0; i < n1; i++) {
		ck_assert(!slabs[i].has_reclaim_flag);
		ck_assert(!slabs[i].reclaimable);
	}
	og_tmproot_create(dir); /* neither slabinfo nor sysfs */
	ck_assert_int_eq(og_root_open(&root, dir), 0);
	r2 = src_read_slabs(&root, PAGE, slabs, OG_ELEMENTSOF(slabs), NULL, &n2);
	og_root_close(&root);
	og_tmproot_remove(dir);
	ck_assert_int_eq(r2, -ENOENT);
	ck_assert_uint_eq(n2, 77);
}
END_TEST

START_TEST(read_hostile_names_skip_lookup)
{
	/* a name that would climb out of sys/kernel/slab must not be looked up */
	char dir[OG_TMPROOT_MAX];
	struct og_root root;
	size_t n = 0;
	int r;

	og_tmproot_create(dir);
	og_tmproot_put(dir, "proc/slabinfo",
		       HDR "../../../x 1 1 64 64 1 : tunables 0 0 0 : slabdata 1 1 0\n"
			   ".. 1 1 64 64 1 : tunables 0 0 0 : slabdata 1 1 0\n");
	og_tmproot_put(dir, "x/reclaim_account", "1\n");
	og_tmproot_put(dir, "sys/kernel/reclaim_account", "1\n");
	og_tmproot_mkdir(dir, "sys/kernel/slab");
	ck_assert_int_eq(og_root_open(&root, dir), 0);
	r = src_read_slabs(&root, PAGE, slabs, OG_ELEMENTSOF(slabs), NULL, &n);
	og_root_close(&root);
	og_tmproot_remove(dir);
	ck_assert_int_eq(r, 2);
	ck_assert(!slabs[0].has_reclaim_flag);
	ck_assert(!slabs[1].has_reclaim_flag);
}
END_TEST

START_TEST(read_large_slabinfo)
{
	/* ~3000 caches (280 KiB): more than the static buffer, read whole, not cut */
	char dir[OG_TMPROOT_MAX];
	struct og_root root;
	size_t n = 0;
	FILE *f;
	int r;

	og_tmproot_create(dir);
	f = og_tmproot_fopen(dir, "proc/slabinfo");
	fputs(HDR, f);
	for (int i = 0; i < 3000; i++)
		fprintf(f, "cache-%04d %6d %6d    192   21    1 : tunables    0    0    0 : "
			   "slabdata %6d %6d      0\n",
			i, 21 * i, 21 * i, i, i);
	ck_assert_int_gt(ftell(f), 256 * 1024);
	fclose(f);
	ck_assert_int_eq(og_root_open(&root, dir), 0);
	r = src_read_slabs(&root, PAGE, slabs, 10, NULL, &n);
	og_root_close(&root);
	og_tmproot_remove(dir);
	ck_assert_int_eq(r, 3000);
	ck_assert_uint_eq(n, 10);
	ck_assert_str_eq(slabs[0].name, "cache-2999"); /* the last line was parsed */
	ck_assert_str_eq(slabs[9].name, "cache-2990");
}
END_TEST

START_TEST(read_live)
{
	struct og_root root;
	size_t n = 0;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	bool dentry = false;
	int r;

	ck_assert_int_eq(og_root_open(&root, "/"), 0);
	r = src_read_slabs(&root, page, slabs, OG_ELEMENTSOF(slabs), NULL, &n);
	og_root_close(&root);
	ck_assert_int_gt(r, 20); /* 237 caches on this machine */
	ck_assert_uint_gt(n, 20);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			ck_assert_uint_le(slabs[i].total_bytes, slabs[i - 1].total_bytes);
		ck_assert_uint_le(slabs[i].active_objs, slabs[i].num_objs);
		if (strcmp(slabs[i].name, "dentry") == 0) {
			dentry = true;
			ck_assert(slabs[i].has_reclaim_flag); /* SLUB: via the alias symlink */
			ck_assert(slabs[i].reclaimable);
		}
	}
	ck_assert(dentry);
}
END_TEST

static Suite *slab_suite(void)
{
	Suite *s = suite_create("src_slab");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, slabinfo_parses_and_sorts);
	tcase_add_test(tc, slabinfo_cap_keeps_the_largest);
	tcase_add_test(tc, slabinfo_versions);
	tcase_add_test(tc, slabinfo_statistics_columns);
	tcase_add_test(tc, slabinfo_malformed_lines);
	tcase_add_test(tc, slabinfo_long_name_is_truncated_not_rejected);
	suite_add_tcase(s, tc);
	tc = tcase_create("read");
	tcase_add_test(tc, read_koji_fixture);
	tcase_add_test(tc, read_sysfs_fallback);
	tcase_add_test(tc, read_flags_are_learned_once);
	tcase_add_test(tc, read_missing_sys_kernel_slab);
	tcase_add_test(tc, read_hostile_names_skip_lookup);
	tcase_add_test(tc, read_large_slabinfo);
	tcase_add_test(tc, read_live);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return og_check_run(slab_suite());
}
