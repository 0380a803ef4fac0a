/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of policy/util/strutil.c: the number, size and duration parsers at their limits. */
#include <check.h>
#include <errno.h>
#include <stdint.h>

#include "policy/util/strutil.h"
#include "tests/unit/og_check.h"

#define EiB (1ULL << 60)

START_TEST(size_units_and_fractions)
{
	uint64_t v = 0;

	ck_assert_int_eq(og_parse_size("4096", &v), 0);
	ck_assert_uint_eq(v, 4096);
	ck_assert_int_eq(og_parse_size("1.5G", &v), 0);
	ck_assert_uint_eq(v, 3ULL << 29);
	ck_assert_int_eq(og_parse_size("512KiB", &v), 0);
	ck_assert_uint_eq(v, 512ULL << 10);
	ck_assert_int_eq(og_parse_size("1.5", &v), 0);
	ck_assert_uint_eq(v, 1);
}
END_TEST

/* Issue 10 item 4: "1.5E" parsed as ~1.0E18 (500 * 2^60 wrapped). It fits: exact value. */
START_TEST(size_fractional_exabytes_are_exact)
{
	uint64_t v = 0;

	ck_assert_int_eq(og_parse_size("1.5E", &v), 0);
	ck_assert_uint_eq(v, EiB + EiB / 2);
	ck_assert_int_eq(og_parse_size("15.999E", &v), 0);
	ck_assert_uint_eq(v, 15 * EiB + 999 * (EiB / 1000) + 999 * (EiB % 1000) / 1000);
	ck_assert_int_eq(og_parse_size("0.001E", &v), 0);
	ck_assert_uint_eq(v, EiB / 1000);
	ck_assert_int_eq(og_parse_size("8191.5P", &v), 0);
	ck_assert_uint_eq(v, 8191ULL * (1ULL << 50) + (1ULL << 49));
}
END_TEST

START_TEST(size_that_does_not_fit_is_rejected)
{
	uint64_t v = 42;

	ck_assert_int_eq(og_parse_size("16E", &v), -ERANGE);
	ck_assert_int_eq(og_parse_size("16.5E", &v), -ERANGE);
	ck_assert_int_eq(og_parse_size("16384P", &v), -ERANGE);
	ck_assert_int_eq(og_parse_size("18446744073709551616", &v), -ERANGE);
	ck_assert_int_eq(og_parse_size("18446744073709551616.5", &v), -ERANGE);
	ck_assert_uint_eq(v, 42); /* untouched on failure */
	ck_assert_int_eq(og_parse_size("18446744073709551615", &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(og_parse_size("1.5X", &v), -EINVAL);
	ck_assert_int_eq(og_parse_size("1.G", &v), -EINVAL);
}
END_TEST

/* The same fraction arithmetic in durations: hours near the 64-bit limit. */
START_TEST(duration_that_does_not_fit_is_rejected)
{
	uint64_t v = 42;

	/* UINT64_MAX / 3600000000 = 5124095576 h; .999 h more wrapped before the fix */
	ck_assert_int_eq(og_parse_duration("5124095576.999h", &v), -ERANGE);
	ck_assert_int_eq(og_parse_duration("5124095577h", &v), -ERANGE);
	ck_assert_uint_eq(v, 42);
	ck_assert_int_eq(og_parse_duration("5124095576h", &v), 0);
	ck_assert_uint_eq(v, 5124095576ULL * 3600000000ULL);
	ck_assert_int_eq(og_parse_duration("1.5h", &v), 0);
	ck_assert_uint_eq(v, 5400000000ULL);
	ck_assert_int_eq(og_parse_duration("250ms", &v), 0);
	ck_assert_uint_eq(v, 250000);
}
END_TEST

START_TEST(integers_and_fixed_point_limits)
{
	uint64_t u = 0;
	int i = 0;

	ck_assert_int_eq(og_parse_u64("18446744073709551615", &u), 0);
	ck_assert_uint_eq(u, UINT64_MAX);
	ck_assert_int_eq(og_parse_u64("18446744073709551616", &u), -ERANGE);
	ck_assert_int_eq(og_parse_int("-2147483648", &i), 0);
	ck_assert_int_eq(i, INT32_MIN);
	ck_assert_int_eq(og_parse_int("2147483648", &i), -ERANGE);
	ck_assert_int_eq(og_parse_fixed("18446744073709551.615", 3, &u), 0);
	ck_assert_uint_eq(u, UINT64_MAX);
	ck_assert_int_eq(og_parse_fixed("18446744073709551.616", 3, &u), -ERANGE);
	ck_assert_int_eq(og_parse_fixed("1", 20, &u), -EINVAL); /* 10^20 does not fit */
}
END_TEST

static Suite *strutil_suite(void)
{
	Suite *s = suite_create("strutil");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, size_units_and_fractions);
	tcase_add_test(tc, size_fractional_exabytes_are_exact);
	tcase_add_test(tc, size_that_does_not_fit_is_rejected);
	tcase_add_test(tc, duration_that_does_not_fit_is_rejected);
	tcase_add_test(tc, integers_and_fixed_point_limits);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return og_check_run(strutil_suite());
}
