/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the check(3) suites: the common main() and throw-away root directories
 * for cases a committed fixture cannot hold (files larger than a reader's buffer, a proc/
 * without the file, a file that is a directory), stdout/stderr captured into a string.
 * Header-only so each test stays one program.
 */
#pragma once

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Run the suite (CK_FORK as configured), return EXIT_FAILURE if any check failed. */
static inline int og_check_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#define OG_TMPROOT_MAX 64

/* Create /tmp/og-test-XXXXXX with an empty proc/ in it; dir gets the path. */
static inline void og_tmproot_create(char dir[OG_TMPROOT_MAX])
{
	char proc[OG_TMPROOT_MAX + 8];

	snprintf(dir, OG_TMPROOT_MAX, "/tmp/og-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(proc, sizeof(proc), "%s/proc", dir);
	ck_assert_int_eq(mkdir(proc, 0700), 0);
}

/* Create dir/rel (parents included) as a directory. */
static inline void og_tmproot_mkdir(const char *dir, const char *rel)
{
	char path[512];

	ck_assert_int_lt(snprintf(path, sizeof(path), "%s/%s", dir, rel), (int)sizeof(path));
	for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		ck_assert(mkdir(path, 0700) == 0 || errno == EEXIST);
		*p = '/';
	}
	ck_assert(mkdir(path, 0700) == 0 || errno == EEXIST);
}

/* Open dir/rel for writing, creating its parents. */
static inline FILE *og_tmproot_fopen(const char *dir, const char *rel)
{
	char path[512], parent[512];
	char *slash;
	FILE *f;

	ck_assert_int_lt(snprintf(parent, sizeof(parent), "%s", rel), (int)sizeof(parent));
	slash = strrchr(parent, '/');
	if (slash) {
		*slash = '\0';
		og_tmproot_mkdir(dir, parent);
	}
	ck_assert_int_lt(snprintf(path, sizeof(path), "%s/%s", dir, rel), (int)sizeof(path));
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	return f;
}

/* Write dir/rel (parents created) with text. */
static inline void og_tmproot_put(const char *dir, const char *rel, const char *text)
{
	FILE *f = og_tmproot_fopen(dir, rel);

	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

static inline int og_tmproot_rm_one(const char *path, const struct stat *st, int type,
				    struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

/* Remove the whole tree (call it before asserting on results, so a failure leaves nothing). */
static inline void og_tmproot_remove(const char *dir)
{
	nftw(dir, og_tmproot_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A file descriptor (STDOUT_FILENO, STDERR_FILENO) sent to a temp file for a while. */
struct og_capture {
	int fd, saved;
	FILE *f;
};

static inline void og_capture_begin(struct og_capture *c, int fd)
{
	c->fd = fd;
	c->f = tmpfile();
	ck_assert_ptr_nonnull(c->f);
	fflush(NULL);
	c->saved = dup(fd);
	ck_assert_int_ge(c->saved, 0);
	ck_assert_int_ge(dup2(fileno(c->f), fd), 0);
}

/* Give the fd back; what was written to it meanwhile (NUL-terminated, free() it). */
static inline char *og_capture_end(struct og_capture *c)
{
	char *buf;
	long len;

	fflush(NULL);
	ck_assert_int_ge(dup2(c->saved, c->fd), 0);
	close(c->saved);
	ck_assert_int_eq(fseek(c->f, 0, SEEK_END), 0);
	len = ftell(c->f);
	ck_assert_int_ge(len, 0);
	rewind(c->f);
	buf = malloc((size_t)len + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)len, c->f), (size_t)len);
	buf[len] = '\0';
	fclose(c->f);
	return buf;
}
