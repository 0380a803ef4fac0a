/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pure fragmentation arithmetic on struct og_zone (buddyinfo free blocks per order), used by
 * the snapshot screen and by policy to tell "memory is free but not contiguous" (the order-2
 * OOM of seed 003) from "memory is gone". No syscalls, no floats.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "policy/model.h"

/* Free pages in the zone according to buddyinfo: sum of free_blocks[o] << o (saturating). */
uint64_t og_zone_free_pages(const struct og_zone *z);

/* Highest order with at least one free block, or -1 if the zone has no free block at all. */
int og_zone_largest_free_order(const struct og_zone *z);

/*
 * The kernel's "unusable free space index" (mm/vmstat.c unusable_free_index(), shown in
 * /sys/kernel/debug/extfrag/unusable_index) in permyriad: the share of free memory that lies
 * in blocks smaller than 2^order pages, so cannot serve an order-`order` allocation.
 * 0 = all free memory usable, 10000 = none. A zone without free memory is 10000 (as in the
 * kernel); order <= 0 is 0 when anything is free; order beyond the zone's orders is 10000.
 */
uint32_t og_zone_unusable_permyriad(const struct og_zone *z, int order);

/*
 * The kernel's __zone_watermark_ok() for an order-`order` request against mark_bytes (the
 * zone's min, low or high), with lowmem_reserve[classzone_idx] added, as the allocator checks
 * before falling back to a lower zone: true if free pages - (2^order - 1) exceed mark +
 * reserve and a free block of at least that order exists. Needs has_zoneinfo (false
 * otherwise). Ignores CMA and high-atomic reserves, which zoneinfo does not break out.
 */
bool og_zone_watermark_ok(const struct og_zone *z, int order, uint64_t mark_bytes,
			  int classzone_idx, uint64_t page_size);

/* nodes[].reserve_bytes = the sum of the high watermarks of each node's zones (zoneinfo). */
void og_zone_node_reserves(const struct og_zone *zones, size_t nzones, struct og_numa_node *nodes,
			   size_t nnodes);
