/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of guardian/base/log.c: line format on a terminal/file and on a journal stream, levels,
 * the *_errno return convention. The journal itself is off here (log_set_journal(0)). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guardian/base/log.h"
#include "tests/unit/og_check.h"

static struct og_capture cap;

/* Point stderr at a fresh temp file. */
static void capture(void)
{
	og_capture_begin(&cap, STDERR_FILENO);
	log_set_journal(0);
	log_set_ident("ogtest");
}

/* What was logged since capture(), stderr given back (valid until the next call). */
static const char *captured(void)
{
	static char *buf;

	free(buf);
	buf = og_capture_end(&cap);
	return buf;
}

START_TEST(plain_stderr_has_ident_and_level)
{
	unsetenv("JOURNAL_STREAM");
	capture();
	log_notice("killed '%s'", "hog");
	log_debug("not shown at the default level");
	ck_assert_str_eq(captured(), "ogtest: notice: killed 'hog'\n");
}
END_TEST

START_TEST(journal_stream_gets_priority_prefix)
{
	struct stat st;
	char env[64];

	capture();
	ck_assert_int_eq(fstat(STDERR_FILENO, &st), 0);
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	log_warning("scope '%s' vanished, ignoring", "/x");
	ck_assert_str_eq(captured(), "<4>scope '/x' vanished, ignoring\n");
}
END_TEST

START_TEST(inherited_journal_stream_of_another_fd_is_ignored)
{
	setenv("JOURNAL_STREAM", "1:1", 1); /* a stream, but not our stderr */
	capture();
	log_error("boom");
	ck_assert_str_eq(captured(), "ogtest: error: boom\n");
}
END_TEST

START_TEST(errno_macros_return_r_and_set_percent_m)
{
	unsetenv("JOURNAL_STREAM");
	capture();
	ck_assert_int_eq(log_error_errno(-ENOENT, "open '%s': %m", "f"), -ENOENT);
	ck_assert_str_eq(captured(), "ogtest: error: open 'f': No such file or directory\n");
}
END_TEST

START_TEST(debug_level_shows_debug)
{
	unsetenv("JOURNAL_STREAM");
	capture();
	log_set_max_level(LOG_DEBUG);
	log_debug("rss %d KiB", 4200);
	ck_assert_str_eq(captured(), "ogtest: debug: rss 4200 KiB\n");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, plain_stderr_has_ident_and_level);
	tcase_add_test(tc, journal_stream_gets_priority_prefix);
	tcase_add_test(tc, inherited_journal_stream_of_another_fd_is_ignored);
	tcase_add_test(tc, errno_macros_return_r_and_set_percent_m);
	tcase_add_test(tc, debug_level_shows_debug);
	suite_add_tcase(s, tc);
	return og_check_run(s);
}
