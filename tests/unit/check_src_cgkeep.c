/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The cgroup walk that keeps its files open (guardian/sources/src_cgkeep.c). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guardian/sources/src_cgkeep.h"
#include "policy/util/cleanup.h"
#include "tests/unit/og_check.h"

#define MiB (1024ULL * 1024)

static struct og_cgroup plain[64], kept[64];

static void open_mounts(const char *dir, struct og_root *root, struct og_cg_mounts *m)
{
	ck_assert_int_eq(og_root_open(root, dir), 0);
	ck_assert_int_eq(src_cgroup_detect(root, m), 0);
}

static void close_mounts(struct og_root *root, struct og_cg_mounts *m)
{
	src_cgroup_mounts_close(m);
	og_root_close(root);
}

static const struct og_cgroup *find(const struct og_cgroup *arr, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(arr[i].path, path) == 0)
			return &arr[i];
	return NULL;
}

/* Everything a decision reads is what the whole read finds. */
static void assert_same(const struct og_cgroup *a, const struct og_cgroup *b)
{
	ck_assert_str_eq(a->path, b->path);
	ck_assert_int_eq(a->layout, b->layout);
	ck_assert_int_eq(a->has_memory, b->has_memory);
	ck_assert_uint_eq(a->current_bytes, b->current_bytes);
	ck_assert_uint_eq(a->max_bytes, b->max_bytes);
	ck_assert_uint_eq(a->high_bytes, b->high_bytes);
	ck_assert_uint_eq(a->min_bytes, b->min_bytes);
	ck_assert_uint_eq(a->anon_bytes, b->anon_bytes);
	ck_assert_uint_eq(a->file_bytes, b->file_bytes);
	ck_assert_uint_eq(a->shmem_bytes, b->shmem_bytes);
	ck_assert_uint_eq(a->slab_reclaimable_bytes, b->slab_reclaimable_bytes);
	ck_assert_uint_eq(a->inactive_file_bytes, b->inactive_file_bytes);
	ck_assert_uint_eq(a->active_file_bytes, b->active_file_bytes);
	ck_assert_int_eq(a->has_psi, b->has_psi);
	ck_assert_mem_eq(&a->psi, &b->psi, sizeof(a->psi));
}

static void compare_walks(const char *fixture, const char *under)
{
	char dir[512];
	struct og_root root;
	struct og_cg_mounts m;
	struct og_cg_keep *k = NULL;
	size_t np = 0, nk = 0;
	unsigned long opened;

	snprintf(dir, sizeof(dir), "%s/%s", FIXTURES, fixture);
	open_mounts(dir, &root, &m);
	ck_assert_int_eq(og_cg_keep_new(64, &k), 0);
	ck_assert_int_eq(src_read_cgroups(&m, under, 8, plain, 64, &np), 0);
	for (int pass = 0; pass < 2; pass++) {
		ck_assert_int_eq(src_read_cgroups_kept(&m, k, under, 8, kept, 64, &nk), 0);
		ck_assert_uint_eq(nk, np);
		for (size_t i = 0; i < np; i++)
			assert_same(&kept[i], &plain[i]);
		if (pass == 0)
			opened = og_cg_keep_opened(k);
	}
	ck_assert_uint_gt(opened, np); /* a directory and files a group */
	ck_assert_uint_eq(og_cg_keep_opened(k), opened); /* the second walk opened nothing */
	ck_assert_uint_eq(og_cg_keep_groups(k), np);
	og_cg_keep_close_all(k);
	ck_assert_uint_eq(og_cg_keep_groups(k), 0);
	ck_assert_int_eq(src_read_cgroups_kept(&m, k, under, 8, kept, 64, &nk), 0);
	ck_assert_uint_eq(og_cg_keep_opened(k), 2 * opened); /* all again after closing */
	og_cg_keep_free(k);
	close_mounts(&root, &m);
}

START_TEST(same_as_the_whole_read_v2)
{
	compare_walks("pure-cgroup2", "/");
}
END_TEST

START_TEST(same_as_the_whole_read_v1)
{
	compare_walks("openstack-devstack", "/system.slice/system-devstack.slice");
}
END_TEST

static void put_group(const char *dir, const char *g, const char *current)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "sys/fs/cgroup%s/memory.current", g);
	og_tmproot_put(dir, rel, current);
	snprintf(rel, sizeof(rel), "sys/fs/cgroup%s/memory.max", g);
	og_tmproot_put(dir, rel, "max\n");
	snprintf(rel, sizeof(rel), "sys/fs/cgroup%s/memory.stat", g);
	og_tmproot_put(dir, rel, "anon 4096\nfile 0\nshmem 0\n");
	snprintf(rel, sizeof(rel), "sys/fs/cgroup%s/cgroup.procs", g);
	og_tmproot_put(dir, rel, "");
}

static void rm_group(const char *dir, const char *g)
{
	static const char *const files[] = { "memory.current", "memory.max", "memory.stat",
					     "cgroup.procs" };
	char path[512];

	for (size_t i = 0; i < OG_ELEMENTSOF(files); i++) {
		snprintf(path, sizeof(path), "%s/sys/fs/cgroup%s/%s", dir, g, files[i]);
		ck_assert_int_eq(unlink(path), 0);
	}
	snprintf(path, sizeof(path), "%s/sys/fs/cgroup%s", dir, g);
	ck_assert_int_eq(rmdir(path), 0);
}

/* Values changed in place are read again through the kept files; a removed group is dropped
 * (and its files closed), a new one is opened; beyond the cap groups are read whole. */
START_TEST(follows_the_tree)
{
	char dir[OG_TMPROOT_MAX];
	struct og_root root;
	struct og_cg_mounts m;
	struct og_cg_keep *k = NULL;
	const struct og_cgroup *g;
	size_t n = 0;
	unsigned long opened;

	og_tmproot_create(dir);
	og_tmproot_put(dir, "sys/fs/cgroup/cgroup.controllers", "memory pids\n");
	og_tmproot_put(dir, "sys/fs/cgroup/memory.stat", "anon 0\nfile 0\nshmem 0\n");
	og_tmproot_put(dir, "sys/fs/cgroup/cgroup.procs", "1\n");
	put_group(dir, "/a.slice", "1048576\n");
	put_group(dir, "/a.slice/x.service", "524288\n");
	put_group(dir, "/b.slice", "2097152\n");
	open_mounts(dir, &root, &m);
	ck_assert_int_eq(og_cg_keep_new(64, &k), 0);
	ck_assert_int_eq(src_read_cgroups_kept(&m, k, "/", 8, kept, 64, &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(og_cg_keep_groups(k), 4);
	opened = og_cg_keep_opened(k);

	og_tmproot_put(dir, "sys/fs/cgroup/a.slice/x.service/memory.current", "8388608\n");
	rm_group(dir, "/b.slice");
	ck_assert_int_eq(src_read_cgroups_kept(&m, k, "/", 8, kept, 64, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_ptr_null(find(kept, n, "/b.slice"));
	g = find(kept, n, "/a.slice/x.service");
	ck_assert_ptr_nonnull(g);
	ck_assert_uint_eq(g->current_bytes, 8 * MiB);
	ck_assert_uint_eq(og_cg_keep_opened(k), opened);
	ck_assert_uint_eq(og_cg_keep_groups(k), 3);

	put_group(dir, "/c.slice", "3145728\n");
	ck_assert_int_eq(src_read_cgroups_kept(&m, k, "/", 8, kept, 64, &n), 0);
	ck_assert_uint_eq(n, 4);
	g = find(kept, n, "/c.slice");
	ck_assert_ptr_nonnull(g);
	ck_assert_uint_eq(g->current_bytes, 3 * MiB);
	ck_assert_uint_gt(og_cg_keep_opened(k), opened);
	og_cg_keep_free(k);

	/* room for two: the other two are read whole, with the same figures */
	ck_assert_int_eq(og_cg_keep_new(2, &k), 0);
	ck_assert_int_eq(src_read_cgroups_kept(&m, k, "/", 8, kept, 64, &n), 0);
	ck_assert_int_eq(src_read_cgroups(&m, "/", 8, plain, 64, &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(og_cg_keep_groups(k), 2);
	for (size_t i = 0; i < n; i++)
		assert_same(&kept[i], &plain[i]);
	/* a table too small for the tree: truncated as the whole read is */
	ck_assert_int_eq(src_read_cgroups_kept(&m, k, "/", 8, kept, 3, &n), 1);
	ck_assert_uint_eq(n, 3);
	og_cg_keep_free(k);
	close_mounts(&root, &m);
	og_tmproot_remove(dir);
}
END_TEST

/* On this host's v1 memory hierarchy: a group removed while its files are kept open is
 * removable (rmdir succeeds) and is gone from the next walk, which fails nothing. */
START_TEST(live_group_removed_under_kept_files)
{
	static struct og_cgroup arr[1024];
	char path[128];
	const char *name;
	struct og_root root;
	struct og_cg_mounts m;
	struct og_cg_keep *k = NULL;
	size_t n = 0;

	snprintf(path, sizeof(path), "/sys/fs/cgroup/memory/ogtest-keep-%d", getpid());
	if (access("/sys/fs/cgroup/memory/memory.usage_in_bytes", F_OK) < 0 ||
	    mkdir(path, 0755) < 0)
		return; /* not a v1 memory host, or not root: nothing to look at */
	name = strrchr(path, '/');
	open_mounts("/", &root, &m);
	ck_assert_int_eq(og_cg_keep_new(64, &k), 0);
	ck_assert_int_ge(src_read_cgroups_kept(&m, k, "/", 1, arr, OG_ELEMENTSOF(arr), &n), 0);
	ck_assert_ptr_nonnull(find(arr, n, name));
	ck_assert_int_eq(rmdir(path), 0);
	ck_assert_int_ge(src_read_cgroups_kept(&m, k, "/", 1, arr, OG_ELEMENTSOF(arr), &n), 0);
	ck_assert_ptr_null(find(arr, n, name));
	og_cg_keep_free(k);
	close_mounts(&root, &m);
}
END_TEST

static Suite *src_cgkeep_suite(void)
{
	Suite *s = suite_create("src_cgkeep");
	TCase *tc = tcase_create("walk");

	tcase_add_test(tc, same_as_the_whole_read_v2);
	tcase_add_test(tc, same_as_the_whole_read_v1);
	tcase_add_test(tc, follows_the_tree);
	tcase_add_test(tc, live_group_removed_under_kept_files);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return og_check_run(src_cgkeep_suite());
}
