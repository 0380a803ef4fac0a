/* SPDX-License-Identifier: GPL-2.0-or-later */
/* guardian/sources/src_tmpfs.c: tmpfs mount points from mountinfo, measured with statfs. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guardian/base/root.h"
#include "guardian/sources/src_tmpfs.h"
#include "tests/unit/og_check.h"

/* Debian 12 guest of the VM tier, with the tmpfs scenario's mount (and a name with a blank) */
static const char mountinfo[] =
	"22 1 254:1 / / rw,relatime - ext4 /dev/vda rw\n"
	"23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
	"25 22 0:5 / /dev rw,nosuid shared:2 - devtmpfs udev rw,size=600000k,mode=755\n"
	"26 25 0:23 / /dev/shm rw,nosuid,nodev shared:3 - tmpfs tmpfs rw,inode64\n"
	"27 22 0:24 / /run rw,nosuid,nodev,noexec,relatime shared:5 - tmpfs tmpfs rw,size=128000k\n"
	"28 22 0:25 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate\n"
	"90 27 0:41 / /run/ogvm/fill rw,relatime shared:50 - tmpfs ogfill rw,size=1280000k\n"
	"91 22 0:42 / /mnt/my\\040disk rw,relatime shared:51 - tmpfs none rw\n"
	"92 22 0:43 / /srv rw,relatime opt:1 opt:2 - xfs /dev/vdb rw\n";

START_TEST(mountinfo_tmpfs_lines)
{
	struct og_tmpfs t[8];

	ck_assert_int_eq(tmpfs_parse_mountinfo(mountinfo, t, 8), 4);
	ck_assert_str_eq(t[0].path, "/dev/shm");
	ck_assert_str_eq(t[1].path, "/run");
	ck_assert_str_eq(t[2].path, "/run/ogvm/fill");
	ck_assert_str_eq(t[3].path, "/mnt/my disk"); /* \040 undone */
	ck_assert_uint_eq(t[0].used_bytes, 0);
	/* at most max; devtmpfs and others are not tmpfs */
	ck_assert_int_eq(tmpfs_parse_mountinfo(mountinfo, t, 2), 2);
	ck_assert_int_eq(tmpfs_parse_mountinfo("", t, 8), 0);
	ck_assert_int_eq(tmpfs_parse_mountinfo("22 1 254:1 / / rw ext4 /dev/vda rw\n", t, 8),
			 -EBADMSG);
}
END_TEST

/* A fixture tree: its mount points are plain directories, not tmpfs: nothing is reported. */
START_TEST(fixture_mount_points_are_not_tmpfs)
{
	char dir[] = "/tmp/og-tmpfs-XXXXXX", path[256];
	struct og_root root;
	struct og_tmpfs t[4];
	size_t n = 99;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/proc", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/proc/self", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/run", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/proc/self/mountinfo", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("27 22 0:24 / /run rw shared:5 - tmpfs tmpfs rw\n", f);
	fclose(f);
	ck_assert_int_eq(og_root_open(&root, dir), 0);
	ck_assert_int_eq(src_read_tmpfs(&root, t, 4, &n), 0);
	ck_assert_uint_eq(n, 0);
	og_root_close(&root);
	ck_assert_int_eq(system((snprintf(path, sizeof(path), "rm -rf '%s'", dir), path)), 0);
}
END_TEST

/* The live system: whatever tmpfs mounts it has, in descending order of use, none empty. */
START_TEST(read_live)
{
	struct og_root root;
	struct og_tmpfs t[8];
	size_t n = 99;

	ck_assert_int_eq(og_root_open(&root, NULL), 0);
	ck_assert_int_eq(src_read_tmpfs(&root, t, 8, &n), 0);
	ck_assert_uint_le(n, 8);
	for (size_t i = 0; i < n; i++) {
		ck_assert_uint_gt(t[i].used_bytes, 0);
		ck_assert_uint_ge(t[i].size_bytes, t[i].used_bytes);
		ck_assert_int_eq(t[i].path[0], '/');
		if (i > 0)
			ck_assert_uint_ge(t[i - 1].used_bytes, t[i].used_bytes);
	}
	og_root_close(&root);
}
END_TEST

static Suite *tmpfs_suite(void)
{
	Suite *s = suite_create("src_tmpfs");
	TCase *tc = tcase_create("tmpfs");

	tcase_add_test(tc, mountinfo_tmpfs_lines);
	tcase_add_test(tc, fixture_mount_points_are_not_tmpfs);
	tcase_add_test(tc, read_live);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return og_check_run(tmpfs_suite());
}
