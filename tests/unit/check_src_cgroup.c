/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guardian/sources/src_cgroup.h"
#include "policy/util/cleanup.h"
#include "tests/unit/og_check.h"

#define MiB (1024ULL * 1024)

static struct og_cgroup sentinel(void)
{
	struct og_cgroup c;

	memset(&c, 0x5a, sizeof(c));
	return c;
}

static void assert_untouched(const struct og_cgroup *c)
{
	struct og_cgroup s = sentinel();

	ck_assert(memcmp(c, &s, sizeof(s)) == 0);
}

/* The same logical numbers in both formats: anon 100 MiB, file 50 MiB (4 MiB of it shmem),
 * active_file 30 MiB, inactive_file 16 MiB. */
static const char v2_stat[] = "anon 104857600\n"
			      "file 52428800\n"
			      "kernel 3000000\n"
			      "shmem 4194304\n"
			      "file_mapped 1000\n"
			      "inactive_anon 1\n"
			      "active_anon 2\n"
			      "inactive_file 16777216\n"
			      "active_file 31457280\n"
			      "slab_reclaimable 2097152\n"
			      "slab_unreclaimable 100\n"
			      "pgfault 12\n";

static const char v1_stat[] = "cache 1\n"
			      "rss 2\n"
			      "shmem 3\n"
			      "inactive_file 4\n"
			      "active_file 5\n"
			      "hierarchical_memory_limit 9223372036854771712\n"
			      "total_cache 52428800\n"
			      "total_rss 104857600\n"
			      "total_rss_huge 0\n"
			      "total_shmem 4194304\n"
			      "total_mapped_file 1000\n"
			      "total_inactive_file 16777216\n"
			      "total_active_file 31457280\n";

static void assert_logical_stat(const struct og_cgroup *c, bool has_slab)
{
	ck_assert_uint_eq(c->anon_bytes, 100 * MiB);
	ck_assert_uint_eq(c->file_bytes, 50 * MiB);
	ck_assert_uint_eq(c->shmem_bytes, 4 * MiB);
	ck_assert_uint_eq(c->active_file_bytes, 30 * MiB);
	ck_assert_uint_eq(c->inactive_file_bytes, 16 * MiB);
	ck_assert_uint_eq(c->slab_reclaimable_bytes, has_slab ? 2 * MiB : 0);
}

START_TEST(stat_v2_and_v1)
{
	struct og_cgroup c = sentinel();

	ck_assert_int_eq(src_cgroup_parse_stat_buf(v2_stat, OG_CG_V2, &c), 0);
	assert_logical_stat(&c, true);
	c = sentinel();
	ck_assert_int_eq(src_cgroup_parse_stat_buf(v1_stat, OG_CG_V1, &c), 0);
	assert_logical_stat(&c, false); /* total_* win over the group-local keys */
}
END_TEST

START_TEST(stat_v1_without_totals)
{
	struct og_cgroup c = sentinel();

	ck_assert_int_eq(src_cgroup_parse_stat_buf("cache 20\nrss 10\nshmem 3\n", OG_CG_V1, &c), 0);
	ck_assert_uint_eq(c.anon_bytes, 10);
	ck_assert_uint_eq(c.file_bytes, 20);
	ck_assert_uint_eq(c.shmem_bytes, 3);
}
END_TEST

START_TEST(stat_malformed)
{
	static const struct {
		const char *buf;
		enum og_cg_layout layout;
	} bad[] = {
		{"", OG_CG_V2},
		{"file 10\n", OG_CG_V2}, /* no anon */
		{"anon 10\n", OG_CG_V2}, /* no file */
		{"anon x\nfile 1\n", OG_CG_V2},
		{"anon 10 kB\nfile 1\n", OG_CG_V2},
		{"anon 1\nfile 1\nanon 2\n", OG_CG_V2},
		{"anon 99999999999999999999\nfile 1\n", OG_CG_V2},
		{"total_rss 1\n", OG_CG_V1},
		{"total_cache 1\n", OG_CG_V1},
		{v2_stat, OG_CG_V1}, /* v2 keys are not v1 keys */
		{"total_rss 1\ntotal_cache -4\n", OG_CG_V1},
	};

	for (size_t i = 0; i < OG_ELEMENTSOF(bad); i++) {
		struct og_cgroup c = sentinel();

		ck_assert_msg(src_cgroup_parse_stat_buf(bad[i].buf, bad[i].layout, &c) == -EBADMSG,
			      "case %zu accepted", i);
		assert_untouched(&c);
	}
}
END_TEST

START_TEST(events)
{
	struct og_cgroup c = sentinel();

	ck_assert_int_eq(src_cgroup_parse_events_buf("low 1\nhigh 2\nmax 3\noom 4\noom_kill 5\n"
						     "oom_group_kill 6\n",
						     &c),
			 0);
	ck_assert_uint_eq(c.events_low, 1);
	ck_assert_uint_eq(c.events_high, 2);
	ck_assert_uint_eq(c.events_max, 3);
	ck_assert_uint_eq(c.events_oom, 4);
	ck_assert_uint_eq(c.events_oom_kill, 5);
	/* 4.5-4.12: no oom_kill */
	ck_assert_int_eq(src_cgroup_parse_events_buf("low 0\nhigh 0\nmax 9\noom 1\n", &c), 0);
	ck_assert_uint_eq(c.events_max, 9);
	ck_assert_uint_eq(c.events_oom_kill, 0);

	c = sentinel();
	ck_assert_int_eq(src_cgroup_parse_events_buf("low 0\nhigh 0\nmax 9\n", &c), -EBADMSG);
	ck_assert_int_eq(src_cgroup_parse_events_buf("low 0\nhigh 0\nmax x\noom 1\n", &c),
			 -EBADMSG);
	ck_assert_int_eq(src_cgroup_parse_events_buf("", &c), -EBADMSG);
	assert_untouched(&c);
}
END_TEST

START_TEST(oom_control)
{
	struct og_cgroup c = sentinel();

	ck_assert_int_eq(src_cgroup_parse_oom_control_buf("oom_kill_disable 1\nunder_oom 1\n"
							  "oom_kill 7\n",
							  &c),
			 0);
	ck_assert(c.oom_kill_disable);
	ck_assert(c.under_oom);
	ck_assert_uint_eq(c.events_oom_kill, 7);
	/* before 4.13: no oom_kill count */
	ck_assert_int_eq(src_cgroup_parse_oom_control_buf("oom_kill_disable 0\nunder_oom 0\n", &c),
			 0);
	ck_assert(!c.oom_kill_disable);
	ck_assert_uint_eq(c.events_oom_kill, 0);

	c = sentinel();
	ck_assert_int_eq(src_cgroup_parse_oom_control_buf("oom_kill_disable 0\n", &c), -EBADMSG);
	ck_assert_int_eq(src_cgroup_parse_oom_control_buf("oom_kill_disable 2\nunder_oom 0\n", &c),
			 -EBADMSG);
	ck_assert_int_eq(
		src_cgroup_parse_oom_control_buf("oom_kill_disable 0\nunder_oom yes\n", &c),
		-EBADMSG);
	assert_untouched(&c);
}
END_TEST

START_TEST(cg_events)
{
	bool pop = false;

	ck_assert_int_eq(src_cgroup_parse_cg_events_buf("populated 1\nfrozen 0\n", &pop), 0);
	ck_assert(pop);
	ck_assert_int_eq(src_cgroup_parse_cg_events_buf("populated 0\nfrozen 1\n", &pop), 0);
	ck_assert(!pop);
	pop = true;
	ck_assert_int_eq(src_cgroup_parse_cg_events_buf("frozen 0\n", &pop), -EBADMSG);
	ck_assert_int_eq(src_cgroup_parse_cg_events_buf("populated 2\n", &pop), -EBADMSG);
	ck_assert(pop);
}
END_TEST

START_TEST(limits)
{
	static const struct {
		const char *buf;
		uint64_t want;
	} good[] = {
		{"max\n", OG_UNLIMITED},
		{"max", OG_UNLIMITED},
		{"0\n", 0},
		{"67108864\n", 64 * MiB},
		{"9223372036854771712\n", OG_UNLIMITED}, /* v1 PAGE_COUNTER_MAX, 4 KiB pages */
		{"9223372036854710272\n", OG_UNLIMITED}, /* the same with 64 KiB pages */
		{"9223372036854710271\n", 9223372036854710271ULL},
	};
	static const char *const bad[] = {
		"",	   "\n",     "maxx\n", "-1\n",
		"12 34\n", "12\n\n", "0x10\n", "99999999999999999999999\n",
		" 5\n"};

	for (size_t i = 0; i < OG_ELEMENTSOF(good); i++) {
		uint64_t v = 1;

		ck_assert_int_eq(src_cgroup_parse_limit_buf(good[i].buf, &v), 0);
		ck_assert_uint_eq(v, good[i].want);
	}
	for (size_t i = 0; i < OG_ELEMENTSOF(bad); i++) {
		uint64_t v = 1;

		ck_assert_msg(src_cgroup_parse_limit_buf(bad[i], &v) < 0, "case %zu accepted", i);
		ck_assert_uint_eq(v, 1);
	}
}
END_TEST

START_TEST(list_has)
{
	const char *l = "rw,nosuid,memory,cpu";

	ck_assert(src_cgroup_list_has(l, strlen(l), "memory"));
	ck_assert(src_cgroup_list_has(l, strlen(l), "rw"));
	ck_assert(src_cgroup_list_has(l, strlen(l), "cpu"));
	ck_assert(!src_cgroup_list_has(l, strlen(l), "mem"));
	ck_assert(!src_cgroup_list_has(l, strlen(l), "cpuacct"));
	ck_assert(!src_cgroup_list_has(l, 8, "memory")); /* only "rw,nosui" */
	ck_assert(!src_cgroup_list_has("", 0, "memory"));
}
END_TEST

static void open_fixture(struct og_root *root, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
	ck_assert_int_eq(og_root_open(root, path), 0);
}

static void open_mounts(const char *name, struct og_root *root, struct og_cg_mounts *m)
{
	open_fixture(root, name);
	ck_assert_int_eq(src_cgroup_detect(root, m), 0);
}

static void close_mounts(struct og_root *root, struct og_cg_mounts *m)
{
	src_cgroup_mounts_close(m);
	og_root_close(root);
}

START_TEST(detect_pure_cgroup2)
{
	struct og_root root;
	struct og_cg_mounts m;

	open_fixture(&root, "pure-cgroup2");
	ck_assert_int_eq(src_cgroup_detect(&root, &m), 0);
	ck_assert_int_eq(m.layout, OG_CG_V2);
	ck_assert(m.v2_has_memory);
	ck_assert_int_ge(m.v2_fd, 0);
	ck_assert_int_eq(m.memv1_fd, -1);
	ck_assert_ptr_nonnull(strstr(m.v2_path, "pure-cgroup2/sys/fs/cgroup"));
	src_cgroup_mounts_close(&m);
	ck_assert_int_eq(m.v2_fd, -1);
	src_cgroup_mounts_close(&m); /* twice is fine */
	og_root_close(&root);
}
END_TEST

START_TEST(detect_hybrid)
{
	struct og_root root;
	struct og_cg_mounts m;

	open_fixture(&root, "openstack-devstack");
	ck_assert_int_eq(src_cgroup_detect(&root, &m), 0);
	ck_assert_int_eq(m.layout, OG_CG_V1);
	ck_assert(!m.v2_has_memory);
	ck_assert_int_ge(m.v2_fd, 0);
	ck_assert_int_ge(m.memv1_fd, 0);
	ck_assert_ptr_nonnull(strstr(m.memv1_path, "/sys/fs/cgroup/memory"));
	ck_assert_ptr_nonnull(strstr(m.v2_path, "/sys/fs/cgroup/unified"));
	src_cgroup_mounts_close(&m);
	og_root_close(&root);
}
END_TEST

/* Trees without proc/self/mountinfo: detection by probing sys/fs/cgroup. */
START_TEST(detect_probe)
{
	char dir[OG_TMPROOT_MAX];
	struct og_root root;
	struct og_cg_mounts m;
	enum og_cg_layout got[5];
	bool mem2;

	og_tmproot_create(dir);
	og_tmproot_mkdir(dir, "sys/fs/cgroup");
	ck_assert_int_eq(og_root_open(&root, dir), 0);
	src_cgroup_detect(&root, &m);
	got[0] = m.layout;
	src_cgroup_mounts_close(&m);
	og_root_close(&root);

	og_tmproot_put(dir, "sys/fs/cgroup/memory/memory.usage_in_bytes", "");
	og_tmproot_put(dir, "sys/fs/cgroup/unified/cgroup.controllers", "");
	ck_assert_int_eq(og_root_open(&root, dir), 0);
	src_cgroup_detect(&root, &m);
	got[1] = m.layout;
	src_cgroup_mounts_close(&m);
	og_root_close(&root);

	og_tmproot_put(dir, "sys/fs/cgroup/cgroup.controllers", "cpu memory pids\n");
	ck_assert_int_eq(og_root_open(&root, dir), 0);
	src_cgroup_detect(&root, &m);
	got[2] = m.layout;
	mem2 = m.v2_has_memory;
	src_cgroup_mounts_close(&m);
	og_root_close(&root);

	/* a mountinfo that names no cgroup mount does not hide the tree */
	og_tmproot_put(dir, "proc/self/mountinfo",
		       "28 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n");
	ck_assert_int_eq(og_root_open(&root, dir), 0);
	src_cgroup_detect(&root, &m);
	got[3] = m.layout;
	src_cgroup_mounts_close(&m);
	og_root_close(&root);

	/* while one that does wins over the tree: here it says v1 memory only */
	og_tmproot_put(dir, "proc/self/mountinfo",
	    "35 30 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n");
	ck_assert_int_eq(og_root_open(&root, dir), 0);
	src_cgroup_detect(&root, &m);
	got[4] = m.layout;
	src_cgroup_mounts_close(&m);
	og_root_close(&root);
	og_tmproot_remove(dir);

	ck_assert_int_eq(got[0], OG_CG_NONE);
	ck_assert_int_eq(got[1], OG_CG_V1);
	ck_assert_int_eq(got[2], OG_CG_V2);
	ck_assert(mem2);
	ck_assert_int_eq(got[3], OG_CG_V2);
	ck_assert_int_eq(got[4], OG_CG_V1);
}
END_TEST

START_TEST(read_v2_group)
{
	struct og_root root;
	struct og_cg_mounts m;
	struct og_cgroup c;

	open_mounts("pure-cgroup2", &root, &m);
	ck_assert_int_eq(src_read_cgroup(&m, "/system.slice/nginx.service", &c), 0);
	ck_assert_str_eq(c.path, "/system.slice/nginx.service");
	ck_assert_int_eq(c.layout, OG_CG_V2);
	ck_assert(c.has_memory);
	ck_assert_uint_eq(c.current_bytes, 238387200);
	ck_assert_uint_eq(c.max_bytes, 1024 * MiB);
	ck_assert_uint_eq(c.high_bytes, 900 * MiB);
	ck_assert_uint_eq(c.low_bytes, 64 * MiB);
	ck_assert_uint_eq(c.min_bytes, 0);
	ck_assert_uint_eq(c.anon_bytes, 204902400);
	ck_assert_uint_eq(c.shmem_bytes, 4 * 2048 * 1024);
	ck_assert_uint_eq(c.events_max, 3);
	ck_assert_uint_eq(c.events_oom_kill, 1);
	ck_assert(c.has_psi);
	ck_assert_uint_eq(c.psi.some.avg10_centi, 250);
	ck_assert_uint_eq(c.psi.full.total_usec, 4410221);
	ck_assert(c.populated);
	ck_assert_uint_eq(c.nr_procs, 5);

	ck_assert_int_eq(src_read_cgroup(&m, "/system.slice/systemd-journald.service/", &c), 0);
	ck_assert_str_eq(c.path, "/system.slice/systemd-journald.service");
	ck_assert(!c.populated);
	ck_assert_uint_eq(c.nr_procs, 0);
	ck_assert_uint_eq(c.max_bytes, OG_UNLIMITED);

	/* the root group has memory.stat and pressure but no memory.current/max */
	ck_assert_int_eq(src_read_cgroup(&m, "/", &c), 0);
	ck_assert_str_eq(c.path, "/");
	ck_assert(c.has_memory);
	ck_assert_uint_eq(c.current_bytes, 0);
	ck_assert_uint_eq(c.max_bytes, OG_UNLIMITED);
	ck_assert_uint_eq(c.nr_procs, 2);

	c = sentinel();
	ck_assert_int_eq(src_read_cgroup(&m, "/system.slice/gone.service", &c), -ENOENT);
	ck_assert_int_eq(src_read_cgroup(&m, "relative", &c), -EINVAL);
	ck_assert_int_eq(src_read_cgroup(&m, "/system.slice/../../..", &c), -EINVAL);
	ck_assert_int_eq(src_read_cgroup(&m, "/..", &c), -EINVAL);
	assert_untouched(&c);
	close_mounts(&root, &m);
}
END_TEST

START_TEST(read_v1_group)
{
	struct og_root root;
	struct og_cg_mounts m;
	struct og_cgroup c;

	open_mounts("openstack-devstack", &root, &m);
	ck_assert_int_eq(src_read_cgroup(&m,
					 "/system.slice/system-devstack.slice/"
					 "devstack@n-api.service",
					 &c),
			 0);
	ck_assert_int_eq(c.layout, OG_CG_V1);
	ck_assert(c.has_memory);
	ck_assert_uint_eq(c.max_bytes, OG_UNLIMITED); /* 9223372036854771712 in the file */
	ck_assert_uint_eq(c.high_bytes, OG_UNLIMITED);
	ck_assert_uint_gt(c.current_bytes, c.anon_bytes);
	ck_assert_uint_gt(c.anon_bytes, 1500 * MiB); /* 25 python processes */
	ck_assert_uint_eq(c.nr_procs, 25);
	ck_assert(c.has_psi); /* from the cgroup2 twin in unified/ */
	ck_assert_uint_eq(c.psi.some.avg10_centi, 3102);
	ck_assert(c.populated);
	ck_assert(!c.under_oom);
	close_mounts(&root, &m);
}
END_TEST

/* Writes one group in the given layout with the same logical values into a temp root. */
static void write_group(const char *dir, bool v1)
{
	static const char *const psi = "some avg10=1.50 avg60=1.00 avg300=0.50 total=12345\n"
				       "full avg10=0.50 avg60=0.25 avg300=0.10 total=2345\n";
	const char *g = v1 ? "sys/fs/cgroup/memory/job" : "sys/fs/cgroup/job";
	const char *u = v1 ? "sys/fs/cgroup/unified/job" : "sys/fs/cgroup/job";
	char path[256];
	struct {
		const char *name, *v1, *v2;
	} files[] = {
		{"memory.current", NULL, "157286400\n"},
		{"memory.usage_in_bytes", "157286400\n", NULL},
		{"memory.max", NULL, "268435456\n"},
		{"memory.limit_in_bytes", "268435456\n", NULL},
		{"memory.stat", v1_stat, v2_stat},
		{"memory.events", NULL, "low 0\nhigh 0\nmax 17\noom 2\noom_kill 2\n"},
		{"memory.failcnt", "17\n", NULL},
		{"memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n", NULL},
		{"cgroup.procs", "100\n200\n", "100\n200\n"},
	};

	for (size_t i = 0; i < OG_ELEMENTSOF(files); i++) {
		const char *data = v1 ? files[i].v1 : files[i].v2;

		if (!data)
			continue;
		snprintf(path, sizeof(path), "%s/%s", g, files[i].name);
		og_tmproot_put(dir, path, data);
	}
	snprintf(path, sizeof(path), "%s/memory.pressure", u);
	og_tmproot_put(dir, path, psi);
	snprintf(path, sizeof(path), "%s/cgroup.events", u);
	og_tmproot_put(dir, path, "populated 1\nfrozen 0\n");
	if (v1) {
		og_tmproot_put(dir, "sys/fs/cgroup/memory/memory.usage_in_bytes", "");
		og_tmproot_put(dir, "sys/fs/cgroup/unified/cgroup.controllers", "");
	} else {
		og_tmproot_put(dir, "sys/fs/cgroup/cgroup.controllers", "memory pids\n");
	}
}

START_TEST(v1_and_v2_agree)
{
	struct og_cgroup c[2];
	struct og_cg_mounts m;
	struct og_root root;
	enum og_cg_layout layout[2];
	int r[2];

	for (int i = 0; i < 2; i++) {
		char dir[OG_TMPROOT_MAX];

		og_tmproot_create(dir);
		write_group(dir, i == 1);
		ck_assert_int_eq(og_root_open(&root, dir), 0);
		src_cgroup_detect(&root, &m);
		layout[i] = m.layout;
		r[i] = src_read_cgroup(&m, "/job", &c[i]);
		src_cgroup_mounts_close(&m);
		og_root_close(&root);
		og_tmproot_remove(dir);
	}
	ck_assert_int_eq(layout[0], OG_CG_V2);
	ck_assert_int_eq(layout[1], OG_CG_V1);
	ck_assert_int_eq(r[0], 0);
	ck_assert_int_eq(r[1], 0);
	for (int i = 0; i < 2; i++) {
		ck_assert(c[i].has_memory);
		ck_assert_uint_eq(c[i].current_bytes, 150 * MiB);
		ck_assert_uint_eq(c[i].max_bytes, 256 * MiB);
		assert_logical_stat(&c[i], i == 0);
		ck_assert_uint_eq(c[i].events_max, 17);
		ck_assert_uint_eq(c[i].events_oom_kill, 2);
		ck_assert_uint_eq(c[i].nr_procs, 2);
		ck_assert(c[i].has_psi);
		ck_assert_uint_eq(c[i].psi.some.avg10_centi, 150);
		ck_assert_uint_eq(c[i].psi.full.avg60_centi, 25);
		ck_assert(c[i].populated);
	}
}
END_TEST

START_TEST(malformed_group_file)
{
	char dir[OG_TMPROOT_MAX];
	struct og_cgroup c = sentinel();
	struct og_cg_mounts m;
	struct og_root root;
	int r;

	og_tmproot_create(dir);
	write_group(dir, false);
	og_tmproot_put(dir, "sys/fs/cgroup/job/memory.max", "lots\n");
	ck_assert_int_eq(og_root_open(&root, dir), 0);
	src_cgroup_detect(&root, &m);
	r = src_read_cgroup(&m, "/job", &c);
	close_mounts(&root, &m);
	og_tmproot_remove(dir);
	ck_assert_int_eq(r, -EBADMSG);
	assert_untouched(&c);
}
END_TEST

static bool has_path(const struct og_cgroup *arr, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(arr[i].path, path) == 0)
			return true;
	return false;
}

START_TEST(walk_tree)
{
	struct og_cgroup arr[64];
	struct og_root root;
	struct og_cg_mounts m;
	size_t n = 0;

	open_mounts("pure-cgroup2", &root, &m);
	ck_assert_int_eq(src_read_cgroups(&m, "/system.slice", 1, arr, 64, &n), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_str_eq(arr[0].path, "/system.slice"); /* pre-order: `under` first */
	ck_assert(has_path(arr, n, "/system.slice/nginx.service"));
	ck_assert(has_path(arr, n, "/system.slice/ssh.service"));

	ck_assert_int_eq(src_read_cgroups(&m, "/system.slice", 0, arr, 64, &n), 0);
	ck_assert_uint_eq(n, 1);

	ck_assert_int_eq(src_read_cgroups(&m, "/", 8, arr, 64, &n), 0);
	ck_assert_uint_eq(n, 12);
	ck_assert_str_eq(arr[0].path, "/");
	ck_assert(has_path(arr, n, "/user.slice/user-1000.slice/user@1000.service/init.scope"));
	ck_assert_int_eq(src_read_cgroups(&m, "", 1, arr, 64, &n), 0);
	ck_assert_uint_eq(n, 4); /* /, init.scope, system.slice, user.slice */

	ck_assert_int_eq(src_read_cgroups(&m, "/", 8, arr, 3, &n), 1); /* full: truncated */
	ck_assert_uint_eq(n, 3);

	n = 77;
	ck_assert_int_eq(src_read_cgroups(&m, "/nope.slice", 8, arr, 64, &n), -ENOENT);
	ck_assert_uint_eq(n, 77);
	close_mounts(&root, &m);
}
END_TEST

START_TEST(walk_v1_tree)
{
	struct og_cgroup arr[64];
	struct og_root root;
	struct og_cg_mounts m;
	size_t n = 0;

	open_mounts("openstack-devstack", &root, &m);
	ck_assert_int_eq(
		src_read_cgroups(&m, "/system.slice/system-devstack.slice", 4, arr, 64, &n), 0);
	ck_assert_uint_eq(n, 13); /* the slice and its 12 devstack@ units */
	for (size_t i = 0; i < n; i++) {
		ck_assert(arr[i].has_memory);
		ck_assert(arr[i].has_psi);
	}
	close_mounts(&root, &m);
}
END_TEST

START_TEST(procs_list)
{
	pid_t pids[64];
	struct og_root root;
	struct og_cg_mounts m;
	size_t n = 0;

	open_mounts("pure-cgroup2", &root, &m);
	ck_assert_int_eq(src_cgroup_read_procs(&m, "/system.slice/nginx.service", pids, 64, &n), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(pids[0], 901);
	ck_assert_int_eq(pids[4], 905);
	ck_assert_int_eq(src_cgroup_read_procs(&m, "/system.slice/nginx.service", pids, 2, &n), 1);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(src_cgroup_read_procs(&m, "/system.slice/gone.service", pids, 2, &n),
			 -ENOENT);
	close_mounts(&root, &m);

	open_mounts("openstack-devstack", &root, &m);
	ck_assert_int_eq(src_cgroup_read_procs(&m,
					       "/system.slice/system-devstack.slice/"
					       "devstack@n-api.service",
					       pids, 64, &n),
			 0);
	ck_assert_uint_eq(n, 25);
	close_mounts(&root, &m);
}
END_TEST

START_TEST(procs_malformed)
{
	char dir[OG_TMPROOT_MAX];
	struct og_cg_mounts m;
	struct og_root root;
	pid_t pids[8];
	size_t n = 0;
	int r;

	og_tmproot_create(dir);
	write_group(dir, false);
	og_tmproot_put(dir, "sys/fs/cgroup/job/cgroup.procs", "100\nabc\n");
	ck_assert_int_eq(og_root_open(&root, dir), 0);
	src_cgroup_detect(&root, &m);
	r = src_cgroup_read_procs(&m, "/job", pids, 8, &n);
	close_mounts(&root, &m);
	og_tmproot_remove(dir);
	ck_assert_int_eq(r, -EBADMSG);
}
END_TEST

/* ------------------------------------------------------------------ live, this machine */

static char live_mem[128], live_uni[128];
static pid_t live_child = -1;
static int live_ready = -1; /* read end: the child wrote one byte once it allocated */

static void write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, s, strlen(s)) < 0)
			perror(path);
		close(fd);
	}
}

/* Unchecked fixture: runs in the runner process, so the teardown runs even when a (forked)
 * test fails. Creates memory/ogtest-proc-<pid> (64 MiB limit) and its unified twin, and a child
 * in both that touches 8 MiB. */
static void live_setup(void)
{
	int go[2], ready[2];
	char buf[32];

	snprintf(live_mem, sizeof(live_mem), "/sys/fs/cgroup/memory/ogtest-proc-%d", getpid());
	snprintf(live_uni, sizeof(live_uni), "/sys/fs/cgroup/unified/ogtest-proc-%d", getpid());
	if (mkdir(live_mem, 0755) < 0 || mkdir(live_uni, 0755) < 0)
		return;
	snprintf(buf, sizeof(buf), "%llu", 64 * MiB);
	{
		char p[192];

		snprintf(p, sizeof(p), "%s/memory.limit_in_bytes", live_mem);
		write_str(p, buf);
	}
	if (pipe(go) < 0 || pipe(ready) < 0)
		return;
	live_child = fork();
	if (live_child == 0) {
		char c;
		char *mem;

		if (read(go[0], &c, 1) != 1)
			_exit(1);
		mem = mmap(NULL, 8 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			   0);
		if (mem == MAP_FAILED)
			_exit(1);
		memset(mem, 1, 8 * MiB);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(go[0]);
	close(ready[1]);
	live_ready = ready[0];
	if (live_child < 0)
		return;
	snprintf(buf, sizeof(buf), "%d", live_child);
	{
		char p[192];

		snprintf(p, sizeof(p), "%s/cgroup.procs", live_mem);
		write_str(p, buf);
		snprintf(p, sizeof(p), "%s/cgroup.procs", live_uni);
		write_str(p, buf);
	}
	if (write(go[1], "g", 1) != 1)
		perror("pipe");
	close(go[1]);
	{
		char c;

		if (read(live_ready, &c, 1) != 1)
			perror("child");
	}
}

static void live_teardown(void)
{
	if (live_child > 0) {
		kill(live_child, SIGKILL);
		waitpid(live_child, NULL, 0);
		live_child = -1;
	}
	if (live_ready >= 0)
		close(live_ready);
	/* the group is empty once the child is reaped; the kernel may take a moment */
	for (int i = 0; i < 50 && (rmdir(live_mem) < 0 && errno == EBUSY); i++)
		usleep(20000);
	rmdir(live_uni);
	{
		char gone[160];

		snprintf(gone, sizeof(gone), "%s-gone", live_mem); /* live_walk_and_vanished */
		rmdir(gone);
	}
}

START_TEST(live_detect)
{
	struct og_root root;
	struct og_cg_mounts m;

	ck_assert_int_eq(og_root_open(&root, "/"), 0);
	ck_assert_int_eq(src_cgroup_detect(&root, &m), 0);
	ck_assert_int_eq(m.layout, OG_CG_V1);
	ck_assert_int_ge(m.memv1_fd, 0);
	ck_assert_int_ge(m.v2_fd, 0);
	ck_assert_str_eq(m.memv1_path, "/sys/fs/cgroup/memory");
	ck_assert_str_eq(m.v2_path, "/sys/fs/cgroup/unified");
	ck_assert(!m.v2_has_memory);
	close_mounts(&root, &m);
}
END_TEST

START_TEST(live_own_group)
{
	struct og_root root;
	struct og_cg_mounts m;
	struct og_cgroup c;
	pid_t pids[4];
	size_t n = 0;
	const char *name = strrchr(live_mem, '/');

	ck_assert_int_gt(live_child, 0);
	ck_assert_int_eq(og_root_open(&root, "/"), 0);
	ck_assert_int_eq(src_cgroup_detect(&root, &m), 0);
	ck_assert_int_eq(src_read_cgroup(&m, name, &c), 0);
	ck_assert_str_eq(c.path, name);
	ck_assert(c.has_memory);
	ck_assert_uint_gt(c.current_bytes, 0);
	ck_assert_uint_ge(c.anon_bytes, 8 * MiB);
	ck_assert_uint_eq(c.max_bytes, 64 * MiB);
	ck_assert_uint_eq(c.nr_procs, 1);
	ck_assert(c.has_psi);
	ck_assert(c.populated);
	ck_assert_int_eq(src_cgroup_read_procs(&m, name, pids, 4, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(pids[0], live_child);
	close_mounts(&root, &m);
}
END_TEST

START_TEST(live_walk_and_vanished)
{
	static struct og_cgroup arr[512];
	struct og_root root;
	struct og_cg_mounts m;
	struct og_cgroup c = sentinel();
	char gone[160];
	size_t n = 0;
	int r_gone, r_walk;
	bool found = false;

	ck_assert_int_gt(live_child, 0);
	ck_assert_int_eq(og_root_open(&root, "/"), 0);
	ck_assert_int_eq(src_cgroup_detect(&root, &m), 0);
	/* a group that existed and is gone by the time it is read */
	snprintf(gone, sizeof(gone), "%s-gone", live_mem);
	ck_assert_int_eq(mkdir(gone, 0755), 0);
	ck_assert_int_eq(rmdir(gone), 0);
	r_gone = src_read_cgroup(&m, strrchr(gone, '/'), &c);
	r_walk = src_read_cgroups(&m, "/", 1, arr, OG_ELEMENTSOF(arr), &n);
	ck_assert_int_eq(r_gone, -ENOENT);
	assert_untouched(&c);
	ck_assert_int_ge(r_walk, 0);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(arr[i].path, strrchr(live_mem, '/')) != 0)
			continue;
		found = true;
		ck_assert_uint_eq(arr[i].nr_procs, 1);
		ck_assert_uint_eq(arr[i].max_bytes, 64 * MiB);
		ck_assert(arr[i].has_psi);
	}
	ck_assert(found);
	close_mounts(&root, &m);
}
END_TEST

static Suite *src_cgroup_suite(void)
{
	Suite *s = suite_create("src_cgroup");
	TCase *tc = tcase_create("parse");
	TCase *fx = tcase_create("fixtures");
	TCase *live = tcase_create("live");

	tcase_add_test(tc, stat_v2_and_v1);
	tcase_add_test(tc, stat_v1_without_totals);
	tcase_add_test(tc, stat_malformed);
	tcase_add_test(tc, events);
	tcase_add_test(tc, oom_control);
	tcase_add_test(tc, cg_events);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, list_has);
	suite_add_tcase(s, tc);

	tcase_add_test(fx, detect_pure_cgroup2);
	tcase_add_test(fx, detect_hybrid);
	tcase_add_test(fx, detect_probe);
	tcase_add_test(fx, read_v2_group);
	tcase_add_test(fx, read_v1_group);
	tcase_add_test(fx, v1_and_v2_agree);
	tcase_add_test(fx, malformed_group_file);
	tcase_add_test(fx, walk_tree);
	tcase_add_test(fx, walk_v1_tree);
	tcase_add_test(fx, procs_list);
	tcase_add_test(fx, procs_malformed);
	suite_add_tcase(s, fx);

	tcase_add_unchecked_fixture(live, live_setup, live_teardown);
	tcase_add_test(live, live_detect);
	tcase_add_test(live, live_own_group);
	tcase_add_test(live, live_walk_and_vanished);
	tcase_set_timeout(live, 20);
	suite_add_tcase(s, live);
	return s;
}

int main(void)
{
	return og_check_run(src_cgroup_suite());
}
