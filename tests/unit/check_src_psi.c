/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guardian/base/root.h"
#include "guardian/sources/src_psi.h"
#include "tests/unit/og_check.h"

START_TEST(psi_parses_some_and_full)
{
	struct og_psi p;

	ck_assert_int_eq(src_psi_parse_buf("some avg10=1.23 avg60=45.60 avg300=100.00 total=12345\n"
					   "full avg10=0.07 avg60=0.00 avg300=9.99 total=7\n",
					   &p),
			 0);
	ck_assert(p.has_some);
	ck_assert(p.has_full);
	ck_assert_uint_eq(p.some.avg10_centi, 123);
	ck_assert_uint_eq(p.some.avg60_centi, 4560);
	ck_assert_uint_eq(p.some.avg300_centi, 10000);
	ck_assert_uint_eq(p.some.total_usec, 12345);
	ck_assert_uint_eq(p.full.avg10_centi, 7);
	ck_assert_uint_eq(p.full.avg60_centi, 0);
	ck_assert_uint_eq(p.full.avg300_centi, 999);
	ck_assert_uint_eq(p.full.total_usec, 7);
}
END_TEST

START_TEST(psi_full_is_optional)
{
	struct og_psi p;

	/* cpu before 5.13 */
	ck_assert_int_eq(src_psi_parse_buf("some avg10=2.40 avg60=0.72 avg300=0.38 total=3357448",
					   &p),
			 0);
	ck_assert(p.has_some);
	ck_assert(!p.has_full);
	ck_assert_uint_eq(p.some.avg10_centi, 240);
	ck_assert_uint_eq(p.some.total_usec, 3357448);
}
END_TEST

START_TEST(psi_odd_avg_formats)
{
	struct og_psi p;

	/* no fraction, one digit, extra digits truncated, leading zeros, any token order,
	 * unknown tokens ignored, tabs and repeated blanks */
	ck_assert_int_eq(src_psi_parse_buf("some avg10=5 avg60=1.2 avg300=0.999 total=0\n", &p), 0);
	ck_assert_uint_eq(p.some.avg10_centi, 500);
	ck_assert_uint_eq(p.some.avg60_centi, 120);
	ck_assert_uint_eq(p.some.avg300_centi, 99);
	ck_assert_int_eq(src_psi_parse_buf("some  total=9\tavg300=007.50 avg10=0.01 future=x "
					   "avg60=99.99  \n",
					   &p),
			 0);
	ck_assert_uint_eq(p.some.avg10_centi, 1);
	ck_assert_uint_eq(p.some.avg60_centi, 9999);
	ck_assert_uint_eq(p.some.avg300_centi, 750);
	ck_assert_uint_eq(p.some.total_usec, 9);
	/* unknown lines are ignored */
	ck_assert_int_eq(src_psi_parse_buf("\nnew avg10=1\nsome avg10=0.00 avg60=0.00 avg300=0.00 "
					   "total=18446744073709551615\n",
					   &p),
			 0);
	ck_assert_uint_eq(p.some.total_usec, UINT64_MAX);
}
END_TEST

START_TEST(psi_bad_input)
{
	static const char *const bad[] = {
		"",
		"\n",
		"full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", /* no some */
		"some avg10=0.00 avg60=0.00 avg300=0.00\n", /* no total */
		"some avg10=0.00 avg60=0.00 total=0\n", /* no avg300 */
		"some avg10=0.00 avg60=0.0", /* cut off */
		"some avg10= avg60=0.00 avg300=0.00 total=0\n",
		"some avg10=abc avg60=0.00 avg300=0.00 total=0\n",
		"some avg10=1. avg60=0.00 avg300=0.00 total=0\n",
		"some avg10=.5 avg60=0.00 avg300=0.00 total=0\n",
		"some avg10=-1.00 avg60=0.00 avg300=0.00 total=0\n",
		"some avg10=1,50 avg60=0.00 avg300=0.00 total=0\n", /* a locale's comma */
		"some avg10=1.5e2 avg60=0.00 avg300=0.00 total=0\n",
		"some avg10=100.01 avg60=0.00 avg300=0.00 total=0\n", /* above 100% */
		"some avg10=1000 avg60=0.00 avg300=0.00 total=0\n",
		"some avg10=99999999999999999999 avg60=0.00 avg300=0.00 total=0\n",
		"some avg10=0.00 avg60=0.00 avg300=0.00 total=18446744073709551616\n",
		"some avg10=0.00 avg60=0.00 avg300=0.00 total=12x\n",
		"some avg10=0.00 avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", /* repeated key */
		"some avg10=0.00 avg60=0.00 avg300=0.00 total=0 junk\n", /* token without '=' */
		"some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
		"some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", /* repeated line */
		"some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
		"full avg10=x avg60=0.00 avg300=0.00 total=0\n", /* bad full */
	};
	struct og_psi p = { .some.total_usec = 3 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(src_psi_parse_buf(bad[i], &p) == -EBADMSG, "accepted: '%s'", bad[i]);
	ck_assert_uint_eq(p.some.total_usec, 3);
}
END_TEST

START_TEST(pressure_fixture_zram_host)
{
	struct og_root root;
	struct og_pressure p;

	ck_assert_int_eq(og_root_open(&root, FIXTURES "/zram-host"), 0);
	ck_assert_int_eq(src_read_pressure(&root, &p), 0);
	ck_assert(p.available);
	ck_assert_uint_eq(p.memory.some.avg10_centi, 1234);
	ck_assert_uint_eq(p.memory.some.avg60_centi, 801);
	ck_assert_uint_eq(p.memory.some.avg300_centi, 250);
	ck_assert_uint_eq(p.memory.some.total_usec, 987654321);
	ck_assert(p.memory.has_full);
	ck_assert_uint_eq(p.memory.full.avg10_centi, 420);
	ck_assert_uint_eq(p.memory.full.total_usec, 123456789);
	ck_assert(p.io.has_some && p.io.has_full);
	ck_assert_uint_eq(p.io.full.total_usec, 500);
	ck_assert(p.cpu.has_some);
	ck_assert(!p.cpu.has_full);
	ck_assert_uint_eq(p.cpu.some.avg10_centi, 9999);
	ck_assert_uint_eq(p.cpu.some.avg60_centi, 10000);
	og_root_close(&root);
}
END_TEST

START_TEST(pressure_kernel_without_psi)
{
	struct og_root root;
	struct og_pressure p = { .available = true, .memory.has_some = true };

	ck_assert_int_eq(og_root_open(&root, FIXTURES "/no-psi-3.10"), 0);
	ck_assert_int_eq(src_read_pressure(&root, &p), 0);
	ck_assert(!p.available);
	ck_assert(!p.memory.has_some);
	ck_assert_int_eq(src_read_psi_at(root.proc_fd, "pressure/memory", &p.memory), -ENOENT);
	og_root_close(&root);
}
END_TEST

START_TEST(pressure_bad_fixtures)
{
	struct og_root root;
	struct og_pressure p = { .available = true };

	ck_assert_int_eq(og_root_open(&root, FIXTURES "/bad-pressure"), 0);
	ck_assert_int_eq(src_read_pressure(&root, &p), -EBADMSG);
	og_root_close(&root);
	ck_assert_int_eq(og_root_open(&root, FIXTURES "/bad-pressure-cut"), 0);
	ck_assert_int_eq(src_read_pressure(&root, &p), -EBADMSG);
	og_root_close(&root);
	ck_assert_int_eq(og_root_open(&root, FIXTURES "/bad-pressure-big"), 0);
	ck_assert_int_eq(src_read_pressure(&root, &p), -EFBIG);
	og_root_close(&root);
	ck_assert(p.available); /* untouched */
}
END_TEST

/* Only ENOENT and EOPNOTSUPP mean "no PSI"; any other read error (here EISDIR) is an error.
 * (EOPNOTSUPP itself, psi=0 on 4.20-era kernels, cannot be faked with plain files.) */
START_TEST(pressure_other_errors_propagate)
{
	char dir[OG_TMPROOT_MAX];
	struct og_root root;
	struct og_pressure p = { .available = true }, q;
	int r_empty, r_dir;

	og_tmproot_create(dir);
	og_tmproot_mkdir(dir, "proc/pressure");
	ck_assert_int_eq(og_root_open(&root, dir), 0);
	/* proc/pressure exists but is empty: a kernel without the files, not available */
	r_empty = src_read_pressure(&root, &p);
	og_tmproot_mkdir(dir, "proc/pressure/memory");
	r_dir = src_read_pressure(&root, &q);
	og_root_close(&root);
	og_tmproot_remove(dir);
	ck_assert_int_eq(r_empty, 0);
	ck_assert(!p.available);
	ck_assert_int_eq(r_dir, -EISDIR);
}
END_TEST

START_TEST(pressure_live)
{
	struct og_root root;
	struct og_pressure p, q;

	ck_assert_int_eq(og_root_open(&root, "/"), 0);
	ck_assert_int_eq(src_read_pressure(&root, &p), 0);
	ck_assert(p.available); /* this machine has PSI */
	ck_assert(p.memory.has_some && p.memory.has_full);
	ck_assert(p.io.has_some && p.cpu.has_some);
	ck_assert_uint_le(p.memory.some.avg10_centi, 10000);
	ck_assert_uint_le(p.cpu.some.avg300_centi, 10000);
	ck_assert_uint_le(p.memory.full.total_usec, p.memory.some.total_usec + 1000000);
	ck_assert_int_eq(src_read_pressure(&root, &q), 0);
	ck_assert_uint_ge(q.cpu.some.total_usec, p.cpu.some.total_usec);
	og_root_close(&root);
}
END_TEST

START_TEST(pressure_fixture_this_host)
{
	struct og_root root;
	struct og_pressure p;
	struct og_psi cg;

	ck_assert_int_eq(og_root_open(&root, FIXTURES "/this-host"), 0);
	ck_assert_int_eq(src_read_pressure(&root, &p), 0);
	ck_assert(p.available);
	ck_assert(p.memory.has_some && p.memory.has_full);
	ck_assert(p.cpu.has_some && p.cpu.has_full); /* 6.18: cpu has "full" too */
	ck_assert_uint_le(p.memory.full.total_usec, p.memory.some.total_usec);
	/* cgroup2 root memory.pressure, beside the v1 memory hierarchy */
	ck_assert_int_eq(src_read_psi_at(root.cgroup_fd, "unified/memory.pressure", &cg), 0);
	ck_assert(cg.has_some && cg.has_full);
	og_root_close(&root);
}
END_TEST

/* cgroup2 memory.pressure through src_read_psi_at, and a cgroup with cgroup.pressure=0 (6.5+),
 * whose PSI files disappear: -ENOENT, which callers treat as "no PSI". */
START_TEST(psi_live_cgroup2)
{
	char name[64], path[128];
	struct og_root root;
	struct og_psi p;
	const char *base = "unified/";
	int r_root, r_on, r_off, r_write;

	ck_assert_int_eq(og_root_open(&root, "/"), 0);
	ck_assert_int_ge(root.cgroup_fd, 0);
	r_root = src_read_psi_at(root.cgroup_fd, "unified/memory.pressure", &p);
	if (r_root == -ENOENT) { /* pure cgroup2 host */
		base = "";
		r_root = src_read_psi_at(root.cgroup_fd, "memory.pressure", &p);
	}
	ck_assert_int_eq(r_root, 0);
	ck_assert(p.has_some);
	snprintf(name, sizeof(name), "%sogtest-sys-%d", base, (int)getpid());
	snprintf(path, sizeof(path), "/sys/fs/cgroup/%s", name);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/memory.pressure", name);
	r_on = src_read_psi_at(root.cgroup_fd, path, &p);
	snprintf(path, sizeof(path), "%s/cgroup.pressure", name);
	r_write = og_write_at(root.cgroup_fd, path, "0");
	snprintf(path, sizeof(path), "%s/memory.pressure", name);
	r_off = src_read_psi_at(root.cgroup_fd, path, &p);
	snprintf(path, sizeof(path), "/sys/fs/cgroup/%s", name);
	ck_assert_int_eq(rmdir(path), 0); /* before any assertion can fail */
	og_root_close(&root);
	ck_assert_int_eq(r_on, 0);
	ck_assert_int_eq(r_write, 0);
	ck_assert_int_eq(r_off, -ENOENT);
}
END_TEST

static Suite *psi_suite(void)
{
	Suite *s = suite_create("src_psi");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, psi_parses_some_and_full);
	tcase_add_test(tc, psi_full_is_optional);
	tcase_add_test(tc, psi_odd_avg_formats);
	tcase_add_test(tc, psi_bad_input);
	suite_add_tcase(s, tc);
	tc = tcase_create("read");
	tcase_add_test(tc, pressure_fixture_zram_host);
	tcase_add_test(tc, pressure_kernel_without_psi);
	tcase_add_test(tc, pressure_bad_fixtures);
	tcase_add_test(tc, pressure_other_errors_propagate);
	tcase_add_test(tc, pressure_live);
	tcase_add_test(tc, psi_live_cgroup2);
	tcase_add_test(tc, pressure_fixture_this_host);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return og_check_run(psi_suite());
}
