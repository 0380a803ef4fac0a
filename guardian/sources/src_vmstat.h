/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /proc/vmstat event counters into struct og_vmstat. */
#pragma once

#include "guardian/base/root.h"
#include "policy/model.h"

/*
 * /proc/vmstat is 3.9 KiB on 6.18 (~180 lines of <= 40 bytes). Kernels with every VM_EVENT
 * option and many DMA/CMA/NUMA counters reach ~6 KiB; 32 KiB is ample, and a stack buffer
 * costs nothing here. A file that fills it is -EFBIG.
 */
#define OG_VMSTAT_MAX 32768

/*
 * Parse a NUL-terminated /proc/vmstat. Kernels before 4.8 count pgscan/pgsteal per zone
 * ("pgscan_kswapd_normal"): those are summed. Before 5.9 "workingset_refault" and
 * "workingset_activate" go into the _file fields. oom_kill (4.13+) sets has_oom_kill. 0, or
 * -EBADMSG if a known counter is malformed or repeated or no known counter is present.
 * *ret is written on success only.
 */
int src_vmstat_parse_buf(const char *buf, struct og_vmstat *ret);

/* Read and parse root/proc/vmstat. 0, -EFBIG, -EBADMSG or -errno of the read. */
int src_read_vmstat(const struct og_root *root, struct og_vmstat *ret);
