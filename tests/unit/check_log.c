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
#include "guardian/base/log_cfg.h"
#include "policy/util/strutil.h"
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

/* Issue 10 item 7: a forged cgroup name and a comm with a newline stay on their line. */
START_TEST(names_with_control_characters_are_escaped)
{
	unsetenv("JOURNAL_STREAM");
	capture();
	log_notice("killed pid 42 (%s) in '%s' unit '%s'", "evil\nogtest: notice: fake",
		   "/e\r\x1b[1mFORGED", "a\xc2\x9b" "31mred.service");
	ck_assert_str_eq(captured(), "ogtest: notice: killed pid 42 (evil?ogtest: notice: fake) "
				     "in '/e??[1mFORGED' unit 'a?31mred.service'\n");
}
END_TEST

START_TEST(escape_replaces_controls_keeps_utf8_and_truncates)
{
	char buf[32], small[4];
	char inplace[] = "a\tb\x7f";

	ck_assert_str_eq(og_escape(buf, sizeof(buf), "Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac"),
			 "Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac"); /* UTF-8 letters stay */
	ck_assert_str_eq(og_escape(buf, sizeof(buf), "\x1b]0;title\x07"), "?]0;title?");
	ck_assert_str_eq(og_escape(buf, sizeof(buf), "x\xc2\x9b" "2J"), "x?2J"); /* C1 CSI */
	ck_assert_str_eq(og_escape(buf, sizeof(buf), "machine-qemu\\x2d1.scope"),
			 "machine-qemu\\x2d1.scope"); /* systemd's escapes are kept as written */
	ck_assert_str_eq(og_escape(small, sizeof(small), "abcdef"), "abc");
	ck_assert_str_eq(og_escape(buf, sizeof(buf), NULL), "");
	ck_assert_str_eq(og_escape(inplace, sizeof(inplace), inplace), "a?b?");
}
END_TEST

/* Issue 10 item 16: one "warning:" a line, not "warning: path: Key: warning: reason". */
START_TEST(config_diagnostics_name_their_level_once)
{
	struct cfg_diag d;

	unsetenv("JOURNAL_STREAM");
	cfg_diag_init(&d);
	cfg_diag_add(&d, CFG_SEV_WARNING, "/e/p.policy", 3, "Name", "odd");
	cfg_diag_add(&d, CFG_SEV_ERROR, "/e/p.policy", 4, "Protect", "bad");
	capture();
	log_cfg_diag(&d);
	ck_assert_str_eq(captured(), "ogtest: warning: /e/p.policy:3: Name: odd\n"
				     "ogtest: error: /e/p.policy:4: Protect: bad\n");
	cfg_diag_free(&d);
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
	tcase_add_test(tc, names_with_control_characters_are_escaped);
	tcase_add_test(tc, config_diagnostics_name_their_level_once);
	tcase_add_test(tc, escape_replaces_controls_keeps_utf8_and_truncates);
	suite_add_tcase(s, tc);
	return og_check_run(s);
}
