/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guardian/sources/src_swap.h"
#include "policy/util/cleanup.h"
#include "policy/util/strutil.h"

#define SWAP_TOKENS 5 /* Filename Type Size Used Priority */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_octal(char c)
{
	return c >= '0' && c <= '7';
}

/*
 * Copy [p, end) into dst, undoing the kernel's seq_file escaping of " \t\n\\" as "\ooo"; a
 * backslash not followed by three octal digits is kept as is. Truncates to size - 1.
 */
static void unescape_path(const char *p, const char *end, char *dst, size_t size)
{
	size_t n = 0;

	while (p < end && n + 1 < size) {
		if (*p == '\\' && end - p >= 4 && is_octal(p[1]) && is_octal(p[2]) &&
		    is_octal(p[3])) {
			dst[n++] = (char)(((p[1] - '0') << 6) | ((p[2] - '0') << 3) | (p[3] - '0'));
			p += 4;
		} else {
			dst[n++] = *p++;
		}
	}
	dst[n] = '\0';
}

/* Split [p, nl) at blanks into at most max tokens. Returns the count, or max + 1 if more. */
static size_t split_blanks(const char *p, const char *nl, const char **tok, size_t *len,
			   size_t max)
{
	size_t n = 0;

	for (;;) {
		for (; p < nl && is_blank(*p); p++)
			;
		if (p == nl)
			return n;
		if (n == max)
			return max + 1;
		tok[n] = p;
		for (; p < nl && !is_blank(*p); p++)
			;
		len[n] = (size_t)(p - tok[n]);
		n++;
	}
}

/* Copy a short numeric token into tmp (NUL-terminated) for the whole-string parsers. */
static const char *token_str(const char *tok, size_t len, char *tmp, size_t size)
{
	if (len >= size)
		return NULL;
	memcpy(tmp, tok, len);
	tmp[len] = '\0';
	return tmp;
}

static int parse_swap_line(const char *p, const char *nl, struct og_swapdev *ret)
{
	const char *tok[SWAP_TOKENS], *s;
	size_t len[SWAP_TOKENS];
	struct og_swapdev d = { 0 };
	uint64_t size_kib, used_kib;
	char tmp[3][32];

	if (split_blanks(p, nl, tok, len, SWAP_TOKENS) != SWAP_TOKENS)
		return -EBADMSG;
	s = token_str(tok[2], len[2], tmp[0], sizeof(tmp[0]));
	if (!s || og_parse_u64(s, &size_kib) < 0)
		return -EBADMSG;
	s = token_str(tok[3], len[3], tmp[1], sizeof(tmp[1]));
	if (!s || og_parse_u64(s, &used_kib) < 0)
		return -EBADMSG;
	s = token_str(tok[4], len[4], tmp[2], sizeof(tmp[2]));
	if (!s || og_parse_int(s, &d.priority) < 0)
		return -EBADMSG;
	if (used_kib > size_kib || size_kib > UINT64_MAX / 1024)
		return -EBADMSG;
	unescape_path(tok[0], tok[0] + len[0], d.path, sizeof(d.path));
	/* The kernel prints S_ISBLK ? "partition" : "file". */
	d.is_partition = len[1] == strlen("partition") && memcmp(tok[1], "partition", len[1]) == 0;
	d.size_bytes = size_kib * 1024;
	d.used_bytes = used_kib * 1024;
	*ret = d;
	return 0;
}

int src_swaps_parse_buf(const char *buf, struct og_swapdev *arr, size_t cap, size_t *ret_n)
{
	const char *p = buf;
	size_t n = 0;
	bool header = false;

	while (*p) {
		const char *nl = strchr(p, '\n');

		if (!nl)
			nl = p + strlen(p);
		if (!header) {
			if (!og_startswith(p, "Filename"))
				return -EBADMSG;
			header = true;
		} else if (nl > p) {
			struct og_swapdev d;
			int r = parse_swap_line(p, nl, &d);

			if (r < 0)
				return r;
			if (n < cap)
				arr[n++] = d;
		}
		p = *nl ? nl + 1 : nl;
	}
	if (!header)
		return -EBADMSG;
	*ret_n = n;
	return 0;
}

int src_read_swaps(const struct og_root *root, struct og_swapdev *arr, size_t cap,
		   size_t *ret_n)
{
	char buf[OG_SWAPS_MAX];
	ssize_t n = og_root_read(root, root->proc_fd, "swaps", buf, sizeof(buf));

	if (n == -ENOENT) { /* CONFIG_SWAP=n */
		*ret_n = 0;
		return 0;
	}
	if (n < 0)
		return (int)n;
	return src_swaps_parse_buf(buf, arr, cap, ret_n);
}

#define MM_STAT_REQUIRED 7

int src_zram_parse_mm_stat(const char *buf, struct og_zram *ret)
{
	uint64_t v[MM_STAT_REQUIRED];
	const char *p = buf;
	size_t n = 0;

	for (;;) {
		const char *end;

		for (; is_blank(*p) || *p == '\n'; p++)
			;
		if (*p == '\0')
			break;
		/* mem_used_max is printed with %ld: a negative value would be a kernel bug. */
		if (og_parse_u64_prefix(p, n < MM_STAT_REQUIRED ? &v[n] : &(uint64_t){ 0 }, &end) <
		    0)
			return -EBADMSG;
		if (*end != '\0' && !is_blank(*end) && *end != '\n')
			return -EBADMSG;
		p = end;
		n++;
	}
	if (n < MM_STAT_REQUIRED)
		return -EBADMSG;
	ret->orig_data_bytes = v[0];
	ret->compr_data_bytes = v[1];
	ret->mem_used_bytes = v[2];
	ret->mem_limit_bytes = v[3];
	ret->mem_used_max_bytes = v[4];
	ret->same_pages = v[5];
	ret->pages_compacted = v[6];
	return 0;
}

/* "zram<N>" with N decimal: N, else -1. */
static long zram_index(const char *name)
{
	uint64_t v;

	if (!og_startswith(name, "zram") || og_parse_u64(name + 4, &v) < 0 || v > 1u << 20)
		return -1;
	return (long)v;
}

static int cmp_zram(const void *a, const void *b)
{
	long x = zram_index(((const struct og_zram *)a)->name);
	long y = zram_index(((const struct og_zram *)b)->name);

	return (x > y) - (x < y);
}

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

int src_read_zram(const struct og_root *root, struct og_zram *arr, size_t cap, size_t *ret_n)
{
	_cleanup_(closedirp) DIR *dir = NULL;
	struct dirent *de;
	size_t n = 0;
	int fd;

	if (root->sys_fd < 0) {
		*ret_n = 0;
		return 0;
	}
	fd = openat(root->sys_fd, "block", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			return -errno;
		*ret_n = 0;
		return 0;
	}
	dir = fdopendir(fd);
	if (!dir) {
		int r = -errno;

		close(fd);
		return r;
	}
	while ((de = readdir(dir)) && n < cap) {
		char path[sizeof(de->d_name) + 16], buf[OG_ZRAM_MM_STAT_MAX];
		struct og_zram z = { 0 };
		ssize_t len;
		int r;

		if (zram_index(de->d_name) < 0)
			continue;
		snprintf(path, sizeof(path), "%s/mm_stat", de->d_name);
		len = og_read_at(dirfd(dir), path, buf, sizeof(buf));
		if (len == -ENOENT || len == -ENODEV)
			continue; /* hot-removed meanwhile */
		if (len < 0)
			return (int)len;
		r = src_zram_parse_mm_stat(buf, &z);
		if (r < 0)
			return r;
		og_strscpy(z.name, de->d_name, sizeof(z.name));
		arr[n++] = z;
	}
	qsort(arr, n, sizeof(*arr), cmp_zram);
	*ret_n = n;
	return 0;
}
