/* SPDX-License-Identifier: GPL-2.0-or-later */
/* statm kept open near a stage (guardian/sources/src_statmkeep.c). */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guardian/sources/src_statmkeep.h"
#include "tests/unit/og_check.h"

#define PAGE 4096ULL
#define NPIDS 200

static void put_statm(const char *dir, int pid, unsigned resident)
{
	char rel[64], text[64];

	snprintf(rel, sizeof(rel), "proc/%d/statm", pid);
	snprintf(text, sizeof(text), "%u %u 10 1 0 %u 0\n", resident + 100, resident + 10,
		 resident);
	og_tmproot_put(dir, rel, text);
}

/* Passes that read some pids and not others: the others' fds are closed at the pass's end,
 * and every pid still reads its own file (entries moved back on deletion are found). */
START_TEST(passes_close_the_unread)
{
	char dir[OG_TMPROOT_MAX];
	struct og_root root;
	struct og_statm_keep *k = NULL;
	uint64_t anon;

	og_tmproot_create(dir);
	for (int i = 0; i < NPIDS; i++)
		put_statm(dir, 1000 + i * 7, 100 + (unsigned)i);
	ck_assert_int_eq(og_root_open(&root, dir), 0);
	ck_assert_int_eq(og_statm_keep_new(256, &k), 0);
	for (int pass = 0; pass < 3; pass++) {
		for (int i = 0; i < NPIDS; i++) {
			if (pass == 1 && i % 2)
				continue;
			ck_assert_int_eq(src_statm_anon_kept(k, &root, 1000 + i * 7, PAGE, &anon), 0);
			ck_assert_uint_eq(anon, (100 + (uint64_t)i) * PAGE);
		}
		ck_assert_uint_eq(og_statm_keep_count(k), NPIDS);
		og_statm_keep_end_pass(k);
		ck_assert_uint_eq(og_statm_keep_count(k), pass == 1 ? NPIDS / 2 : NPIDS);
	}
	/* room for 8: the rest are read afresh, with the same figures */
	og_statm_keep_free(k);
	ck_assert_int_eq(og_statm_keep_new(8, &k), 0);
	for (int i = 0; i < NPIDS; i++) {
		ck_assert_int_eq(src_statm_anon_kept(k, &root, 1000 + i * 7, PAGE, &anon), 0);
		ck_assert_uint_eq(anon, (100 + (uint64_t)i) * PAGE);
	}
	ck_assert_uint_eq(og_statm_keep_count(k), 8);
	ck_assert_int_lt(src_statm_anon_kept(k, &root, 999, PAGE, &anon), 0); /* no such pid */
	og_statm_keep_close_all(k);
	ck_assert_uint_eq(og_statm_keep_count(k), 0);
	og_statm_keep_free(k);
	og_root_close(&root);
	og_tmproot_remove(dir);
}
END_TEST

static size_t open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	size_t n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* A live child: the second read opens nothing; once the child has exited, its kept fd fails
 * (ESRCH), is closed, and the pid is reported gone. */
START_TEST(live_child_exits)
{
	struct og_root root;
	struct og_statm_keep *k = NULL;
	uint64_t anon = 0;
	size_t fds;
	int st;
	pid_t child = fork();

	ck_assert_int_ge(child, 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	ck_assert_int_eq(og_root_open(&root, "/"), 0);
	ck_assert_int_eq(og_statm_keep_new(16, &k), 0);
	ck_assert_int_eq(src_statm_anon_kept(k, &root, child, PAGE, &anon), 0);
	ck_assert_uint_eq(og_statm_keep_count(k), 1);
	fds = open_fds();
	ck_assert_int_eq(src_statm_anon_kept(k, &root, child, PAGE, &anon), 0);
	ck_assert_uint_eq(open_fds(), fds);
	kill(child, SIGKILL);
	ck_assert_int_eq(waitpid(child, &st, 0), child);
	ck_assert_int_lt(src_statm_anon_kept(k, &root, child, PAGE, &anon), 0);
	ck_assert_uint_eq(og_statm_keep_count(k), 0);
	ck_assert_uint_eq(open_fds(), fds - 1);
	og_statm_keep_free(k);
	og_root_close(&root);
}
END_TEST

static Suite *statmkeep_suite(void)
{
	Suite *s = suite_create("src_statmkeep");
	TCase *tc = tcase_create("keep");

	tcase_add_test(tc, passes_close_the_unread);
	tcase_add_test(tc, live_child_exits);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return og_check_run(statmkeep_suite());
}
