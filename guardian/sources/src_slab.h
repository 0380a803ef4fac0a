/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Slab caches: /proc/slabinfo (version 2.1), with the reclaimable flag from
 * sys/kernel/slab/<name>/reclaim_account (SLUB). When /proc/slabinfo cannot be read (it is
 * mode 0400, and absent with SLOB) the sizes come from sys/kernel/slab/<cache>/ instead.
 * Results are sorted by total_bytes, largest first (ties by name).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "guardian/base/root.h"
#include "policy/model.h"

struct og_slab_flags;

/*
 * Parse /proc/slabinfo text. The first line must be "slabinfo - version: 2.1" (optionally
 * followed by " (statistics)"); total_bytes = num_slabs * pagesperslab * page_size.
 * When there are more caches than cap, the cap largest are kept. The reclaim fields are left
 * false. Returns the number of caches in the file (>= *ret_n, which is min(that, cap)),
 * -EPROTONOSUPPORT for another version, -EBADMSG for a missing header or a malformed line,
 * -EINVAL for page_size 0. arr and *ret_n are not meaningful on failure.
 */
int src_slabinfo_parse_buf(const char *buf, uint64_t page_size, struct og_slab *arr, size_t cap,
			   size_t *ret_n);

/*
 * Read proc/slabinfo (falling back to sys/kernel/slab/<cache>/{objects,total_objects,
 * object_size,order,slabs} when it is unreadable) and set reclaimable/has_reclaim_flag from
 * sys/kernel/slab/<name>/reclaim_account: with flags, only for caches whose flag it does not
 * hold yet (it learns them), with NULL for every cache. Same return values as the parser, or
 * -errno when neither source is readable; *ret_n untouched on failure.
 */
int src_read_slabs(const struct og_root *root, uint64_t page_size, struct og_slab *arr,
		   size_t cap, struct og_slab_flags *flags, size_t *ret_n);

/* The reclaim_account flags read so far (a cache keeps its flag for its lifetime): what the
 * daemon's collector holds between slab refreshes. og_slab_flags_new: 0 or -ENOMEM. */
int og_slab_flags_new(struct og_slab_flags **ret);
void og_slab_flags_free(struct og_slab_flags *f);
