/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Swap devices (/proc/swaps) and zram devices (/sys/block/zram<N>/mm_stat). */
#pragma once

#include "guardian/base/root.h"
#include "policy/model.h"

/*
 * /proc/swaps: a 50-byte header, then one line per device: the path padded to 40 columns,
 * type and three numbers, ~90 bytes for a short path. MAX_SWAPFILES is at most 32, and paths
 * are escaped (" " is "\040", so up to 4x longer): 16 KiB holds 32 devices with 400-byte
 * lines. Bigger is -EFBIG.
 */
#define OG_SWAPS_MAX 16384

/* mm_stat is one line of 7-10 numbers of at most 20 digits each: 256 bytes is ample. */
#define OG_ZRAM_MM_STAT_MAX 256

/*
 * Parse /proc/swaps. Paths are unescaped ("\040" -> ' ', any "\ooo" octal) and truncated to
 * sizeof(path) - 1; sizes are converted from KiB to bytes. At most cap devices are stored
 * (OG_SWAP_MAX covers the kernel's limit), the rest ignored. 0, or -EBADMSG (no "Filename"
 * header, a malformed line, used > size). *ret_n is written on success only; arr may be partly
 * written on failure.
 */
int src_swaps_parse_buf(const char *buf, struct og_swapdev *arr, size_t cap, size_t *ret_n);

/* Read root/proc/swaps. A kernel without CONFIG_SWAP has no file: 0 devices. 0 or -errno. */
int src_read_swaps(const struct og_root *root, struct og_swapdev *arr, size_t cap,
		   size_t *ret_n);

/*
 * Parse one mm_stat line (Documentation/admin-guide/blockdev/zram.rst): orig_data_size,
 * compr_data_size, mem_used_total, mem_limit, mem_used_max in bytes, then same_pages and
 * pages_compacted in pages; later fields (huge_pages, ...) are ignored. At least these 7
 * (4.1+) are required. ret->name is left untouched. 0 or -EBADMSG; *ret written on success.
 */
int src_zram_parse_mm_stat(const char *buf, struct og_zram *ret);

/*
 * Read root/sys/block/zram<N>/mm_stat for every zram device, sorted by N. No sys/block or no
 * zram device is 0 devices; a device that vanishes while being read is skipped. At most cap
 * are stored. 0, -EFBIG/-EBADMSG (a malformed mm_stat) or -errno.
 */
int src_read_zram(const struct og_root *root, struct og_zram *arr, size_t cap, size_t *ret_n);
