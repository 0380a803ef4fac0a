/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>

#include "guardian/base/root.h"
#include "guardian/sources/src_bigread.h"

/*
 * Sizes measured: /proc/slabinfo is 25 KiB for 237 caches here (~107 bytes a line) and stays
 * under 64 KiB with 600 caches; /proc/zoneinfo is 5.3 KiB on this 2-CPU, 1-node VM, but it
 * prints ~170 bytes of pagesets per CPU per populated zone, so a 4-node 256-CPU host reaches
 * ~600 KiB. The static 128 KiB buffer covers every ordinary machine without allocating. A
 * larger file is read into a heap buffer that doubles up to 16 MiB and is then kept, so the
 * allocation happens once (at the first snapshot, before mlockall in the daemon) and not on
 * every tick. A file larger than 16 MiB is -EFBIG, never a silently truncated parse.
 */
#define OG_LARGE_STATIC (128 * 1024)
#define OG_LARGE_MAX (16 * 1024 * 1024)

static char static_buf[OG_LARGE_STATIC];
static char *heap_buf;
static size_t heap_size;

ssize_t src_read_large(const struct og_root *root, int dirfd, const char *path,
		       const char **ret_buf)
{
	ssize_t n;

	if (!heap_buf) {
		n = root ? og_root_read(root, dirfd, path, static_buf, sizeof(static_buf)) :
			   og_read_at(dirfd, path, static_buf, sizeof(static_buf));
		if (n != -EFBIG) {
			if (n >= 0)
				*ret_buf = static_buf;
			return n;
		}
	}
	for (;;) {
		if (!heap_buf) {
			size_t size = heap_size ? heap_size : 2 * OG_LARGE_STATIC;
			char *p = malloc(size);

			if (!p)
				return -ENOMEM;
			heap_buf = p;
			heap_size = size;
		}
		n = root ? og_root_read(root, dirfd, path, heap_buf, heap_size) :
			   og_read_at(dirfd, path, heap_buf, heap_size);
		if (n != -EFBIG) {
			if (n >= 0)
				*ret_buf = heap_buf;
			return n;
		}
		if (heap_size >= OG_LARGE_MAX)
			return -EFBIG;
		free(heap_buf);
		heap_buf = NULL;
		heap_size *= 2;
	}
}
