/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "guardian/sources/src_proc.h"
#include "guardian/sources/src_statmkeep.h"

#define STATM_BUF 160 /* 7 numbers of at most 20 digits */

struct kept_statm {
	pid_t pid; /* 0: empty */
	int fd;
	uint32_t pass; /* the pass that last read it */
};

struct og_statm_keep {
	struct kept_statm *slot;
	size_t nslots, cap, n;
	uint32_t pass;
};

int og_statm_keep_new(size_t cap, struct og_statm_keep **ret)
{
	struct og_statm_keep *k = calloc(1, sizeof(*k));

	if (!k)
		return -ENOMEM;
	k->cap = cap;
	k->nslots = 16;
	while (k->nslots < 2 * cap)
		k->nslots *= 2;
	k->slot = calloc(k->nslots, sizeof(*k->slot));
	if (!k->slot) {
		free(k);
		return -ENOMEM;
	}
	k->pass = 1;
	*ret = k;
	return 0;
}

static size_t home(const struct og_statm_keep *k, pid_t pid)
{
	return (size_t)((uint32_t)pid * 2654435761u) & (k->nslots - 1);
}

static size_t find(const struct og_statm_keep *k, pid_t pid)
{
	size_t i = home(k, pid);

	while (k->slot[i].pid && k->slot[i].pid != pid)
		i = (i + 1) & (k->nslots - 1);
	return i;
}

/* Closed and taken out; the entries after it in its run move back (no tombstones). */
static void drop(struct og_statm_keep *k, size_t i)
{
	size_t j = i;

	close(k->slot[i].fd);
	k->slot[i].pid = 0;
	k->n--;
	for (;;) {
		size_t h;

		j = (j + 1) & (k->nslots - 1);
		if (!k->slot[j].pid)
			return;
		h = home(k, k->slot[j].pid);
		/* j's entry may fill the hole at i when its home is not in (i, j] */
		if ((i <= j) ? (h <= i || h > j) : (h <= i && h > j)) {
			k->slot[i] = k->slot[j];
			k->slot[j].pid = 0;
			i = j;
		}
	}
}

void og_statm_keep_close_all(struct og_statm_keep *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->nslots; i++)
		if (k->slot[i].pid) {
			close(k->slot[i].fd);
			k->slot[i].pid = 0;
		}
	k->n = 0;
}

void og_statm_keep_end_pass(struct og_statm_keep *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->nslots;) {
		if (k->slot[i].pid && k->slot[i].pass != k->pass)
			drop(k, i); /* something else may have moved into i: look at it again */
		else
			i++;
	}
	k->pass++;
}

void og_statm_keep_free(struct og_statm_keep *k)
{
	og_statm_keep_close_all(k);
	if (k)
		free(k->slot);
	free(k);
}

size_t og_statm_keep_count(const struct og_statm_keep *k)
{
	return k ? k->n : 0;
}

static int pread_anon(int fd, uint64_t page_size, uint64_t *ret)
{
	char buf[STATM_BUF];
	ssize_t n;

	do
		n = pread(fd, buf, sizeof(buf) - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n == sizeof(buf) - 1)
		return -EFBIG;
	buf[n] = '\0';
	return src_proc_parse_statm_anon(buf, page_size, ret);
}

int src_statm_anon_kept(struct og_statm_keep *k, const struct og_root *root, pid_t pid,
			uint64_t page_size, uint64_t *ret_anon_bytes)
{
	char path[32];
	size_t i;
	int fd, r;

	if (!k || pid <= 0)
		return src_read_statm_anon(root, pid, page_size, ret_anon_bytes);
	i = find(k, pid);
	if (k->slot[i].pid == pid) {
		r = pread_anon(k->slot[i].fd, page_size, ret_anon_bytes);
		if (r >= 0) {
			k->slot[i].pass = k->pass;
			return r;
		}
		drop(k, i); /* exited (the pid may be another process's now): afresh */
		i = find(k, pid);
	}
	if (k->n >= k->cap)
		return src_read_statm_anon(root, pid, page_size, ret_anon_bytes);
	snprintf(path, sizeof(path), "%d/statm", (int)pid);
	fd = openat(root->proc_fd, path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = pread_anon(fd, page_size, ret_anon_bytes);
	if (r < 0) {
		close(fd);
		return r;
	}
	k->slot[i] = (struct kept_statm){ .pid = pid, .fd = fd, .pass = k->pass };
	k->n++;
	return r;
}
