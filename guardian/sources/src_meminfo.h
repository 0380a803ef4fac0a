/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /proc/meminfo into struct og_meminfo (bytes). */
#pragma once

#include "guardian/base/root.h"
#include "policy/model.h"

/*
 * /proc/meminfo is ~1.5 KiB on 6.18 (56 lines of at most 28 bytes); 8 KiB leaves room for
 * every config option and years of new fields. A file that fills it is -EFBIG, not parsed.
 */
#define OG_MEMINFO_MAX 8192

/*
 * Parse a NUL-terminated /proc/meminfo. Keys are anchored at line start, values converted
 * from kB to bytes (HugePages_* stay counts). MemTotal and MemFree are required; without
 * MemAvailable (before 3.14) it is estimated and available_estimated is set. 0, or -EBADMSG
 * for a missing required key, a malformed known line or available/free > total. *ret is
 * written on success only.
 */
int src_meminfo_parse_buf(const char *buf, struct og_meminfo *ret);

/* Read and parse root/proc/meminfo. 0, -EFBIG (truncated), -EBADMSG or -errno of the read. */
int src_read_meminfo(const struct og_root *root, struct og_meminfo *ret);
