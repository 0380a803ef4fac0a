/* SPDX-License-Identifier: GPL-2.0-or-later */
/* guardian/ctl/ctl_check.c: `oomguardianctl check`, driven through ctl_check_main(). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardian/ctl/ctl_check.h"
#include "tests/unit/og_check.h"

#define MERGE FIXTURES "/policy-merge"
#define BROKEN FIXTURES "/policy-broken"

/* Run check with argv, what it writes to stdout and stderr in *out and *err (free() them). */
static int run(const char *const *args, char **out, char **err)
{
	struct og_capture co, ce;
	int argc = 0, r;
	char *argv[16];

	for (; args[argc]; argc++) {
		ck_assert_int_lt(argc, 15);
		argv[argc] = strdup(args[argc]);
	}
	argv[argc] = NULL;
	og_capture_begin(&co, STDOUT_FILENO);
	og_capture_begin(&ce, STDERR_FILENO);
	r = ctl_check_main(argc, argv);
	*err = og_capture_end(&ce);
	*out = og_capture_end(&co);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	return r;
}

START_TEST(valid_tree_prints_config)
{
	const char *const argv[] = {"check", "--root", MERGE, NULL};
	char *out, *err;

	ck_assert_int_eq(run(argv, &out, &err), 0);
	ck_assert_str_eq(err, "");
	ck_assert_ptr_nonnull(strstr(out, "# main config from " MERGE
					  "/etc/oomguardian/oomguardian.conf\n[Guardian]\n"));
	ck_assert_ptr_nonnull(strstr(out, "DryRun=yes\n"));
	ck_assert_ptr_nonnull(strstr(out, "# policy 35-web from " MERGE
					  "/etc/oomguardian/policy.d/35-web.policy\n"));
	ck_assert_ptr_null(strstr(out, "30-masked"));
	free(out);
	free(err);
}
END_TEST

START_TEST(quiet)
{
	const char *const argv[] = {"check", "-q", "--root", MERGE, NULL};
	char *out, *err;

	ck_assert_int_eq(run(argv, &out, &err), 0);
	ck_assert_str_eq(out, "");
	free(out);
	free(err);
}
END_TEST

START_TEST(invalid_exits_78)
{
	const char *const argv[] = {"check", "--root", BROKEN, NULL};
	char *out, *err;

	ck_assert_int_eq(run(argv, &out, &err), 78);
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(err, BROKEN
			 "/etc/oomguardian/policy.d/50-broken.policy:5: KillPreference: "
			 "expected one of default|prefer|avoid|never, got 'sometimes'\n"
			 "oomguardianctl check: 1 error, 0 warnings: configuration invalid\n");
	free(out);
	free(err);
}
END_TEST

START_TEST(files_and_warnings)
{
	const char *const argv[] = {"check",
				    "--quiet",
				    "--root",
				    FIXTURES "/act", /* a directory without etc/ */
				    MERGE "/usr/lib/oomguardian/policy.d/40-db.policy",
				    NULL};
	char *out, *err;

	/* postgres is not in act/etc/passwd: a warning, still valid */
	ck_assert_int_eq(run(argv, &out, &err), 0);
	ck_assert_str_eq(err,
			 MERGE "/usr/lib/oomguardian/policy.d/40-db.policy:2: User: warning: "
			       "unknown user 'postgres' in '" FIXTURES "/act/etc/passwd': can never "
			       "match\n");
	free(err);
	free(out);
}
END_TEST

/* A protection anyone could claim (prctl PR_SET_NAME) is a warning, not an error: exit 0. */
START_TEST(name_only_protection_is_a_warning)
{
	char path[] = "/tmp/ogtest-ctlcheck-XXXXXX.policy";
	const char *const argv[] = {"check", "--quiet", "--root", FIXTURES "/act", path, NULL};
	char want[512], *out, *err;
	int fd = mkstemps(path, 7);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_gt(write(fd, "[Match]\nName=cron\n\n[Policy]\nProtect=yes\n", 40), 0);
	close(fd);
	ck_assert_int_eq(run(argv, &out, &err), 0);
	unlink(path);
	snprintf(want, sizeof(want),
		 "%s:2: Name: warning: matches by process name only, which any process can set "
		 "(prctl PR_SET_NAME); add Exe= or Unit=\n",
		 path);
	ck_assert_str_eq(err, want);
	free(err);
	free(out);
}
END_TEST

/* Issue 10 item 10: a root that is not there is a usage error, not built-in defaults. */
START_TEST(missing_root_is_refused)
{
	const char *const argv[] = {"check", "--root", "/nonexistent-ogtest-root", NULL};
	const char *const file[] = {"check", "--root", "/etc/passwd", NULL};
	char *out, *err;

	ck_assert_int_eq(run(argv, &out, &err), 64);
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(err, "oomguardianctl check: --root '/nonexistent-ogtest-root': No such "
			      "file or directory\n");
	free(out);
	free(err);
	ck_assert_int_eq(run(file, &out, &err), 64);
	ck_assert_str_eq(err, "oomguardianctl check: --root '/etc/passwd': not a directory\n");
	free(out);
	free(err);
}
END_TEST

START_TEST(usage)
{
	const char *const argv[] = {"check", "--bogus", NULL};
	char *out, *err;

	ck_assert_int_eq(run(argv, &out, &err), 64);
	free(out);
	free(err);
}
END_TEST

START_TEST(missing_file)
{
	const char *const argv[] = {"check", "/nonexistent/x.policy", NULL};
	char *out, *err;

	ck_assert_int_eq(run(argv, &out, &err), 78);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/x.policy: cannot read: No such file or "
					  "directory\n"));
	free(err);
	free(out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ctl_check");
	TCase *tc = tcase_create("check");

	tcase_add_test(tc, valid_tree_prints_config);
	tcase_add_test(tc, quiet);
	tcase_add_test(tc, invalid_exits_78);
	tcase_add_test(tc, files_and_warnings);
	tcase_add_test(tc, name_only_protection_is_a_warning);
	tcase_add_test(tc, usage);
	tcase_add_test(tc, missing_root_is_refused);
	tcase_add_test(tc, missing_file);
	suite_add_tcase(s, tc);
	return og_check_run(s);
}
