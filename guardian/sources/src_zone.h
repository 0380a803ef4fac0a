/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Memory zones: /proc/buddyinfo (free blocks per order) and /proc/zoneinfo (free pages,
 * watermarks, managed/present, lowmem_reserve), merged into one struct og_zone per
 * (node, zone name). The fragmentation arithmetic on the result is in policy/engine/zone.h.
 *
 * Both parsers merge into zones[0..*ret_n): on entry *ret_n is the number of valid entries
 * (0 for an empty array), a zone already there (same node and name) is updated, a new one is
 * appended. On success *ret_n is the new count; on failure *ret_n is untouched but entries
 * may have been partly updated, so the reader parses into scratch space first.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "guardian/base/root.h"
#include "policy/model.h"

/*
 * "Node 0, zone   Normal   622118 287275 161 ..." lines: 1..OG_ORDERS_MAX counts each.
 * 0, -EBADMSG (malformed line, no line at all), -ENOBUFS (more zones than cap).
 */
int src_buddyinfo_parse_buf(const char *buf, struct og_zone *zones, size_t cap, size_t *ret_n);

/*
 * Zone blocks starting "Node N, zone NAME": "pages free", min, low, high, present, managed
 * and "protection: (a, b, ...)" (lowmem_reserve) are required in every zone, and converted
 * from pages to bytes with page_size. Works with the 3.10 layout (protection after the
 * counters) and the 4.8+ one (per-node stats first). Sets has_zoneinfo.
 * 0, -EBADMSG (missing key, malformed value, no zone), -ENOBUFS (more zones than cap),
 * -EINVAL (page_size 0).
 */
int src_zoneinfo_parse_buf(const char *buf, uint64_t page_size, struct og_zone *zones,
			   size_t cap, size_t *ret_n);

/*
 * Read proc/zoneinfo and proc/buddyinfo below the root and merge them, ordered as the kernel
 * lists them (node, then zone index). Unpopulated zones (present 0, not in buddyinfo) are
 * left out. A missing or unreadable zoneinfo leaves has_zoneinfo false (buddyinfo alone still
 * gives fragmentation); a missing buddyinfo is -ENOENT.
 * 0 or -errno (as the parsers, plus read errors); zones and *ret_n untouched on failure.
 */
int src_read_zones(const struct og_root *root, uint64_t page_size, struct og_zone *zones,
		   size_t cap, size_t *ret_n);
