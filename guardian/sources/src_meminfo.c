/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stddef.h>

#include "guardian/sources/src_kv.h"
#include "guardian/sources/src_meminfo.h"
#include "policy/util/cleanup.h"

#define F(k, field, unit) { k, offsetof(struct og_meminfo, field), unit }
#define KB SRC_KV_KB

/* Entries 0..11 are in the order of enum og_meminfo_field, so bit i of `seen` is the has bit. */
static const struct src_kv_field meminfo_fields[] = {
	F("MemTotal", total_bytes, KB),
	F("MemFree", free_bytes, KB),
	F("MemAvailable", available_bytes, KB),
	F("Buffers", buffers_bytes, KB),
	F("Cached", cached_bytes, KB),
	F("SwapTotal", swap_total_bytes, KB),
	F("SwapFree", swap_free_bytes, KB),
	F("Shmem", shmem_bytes, KB),
	F("Slab", slab_bytes, KB),
	F("SReclaimable", sreclaimable_bytes, KB),
	F("SUnreclaim", sunreclaim_bytes, KB),
	F("AnonPages", anon_pages_bytes, KB),
	/* No has bit: 0 when absent. */
	F("SwapCached", swap_cached_bytes, KB),
	F("Active", active_bytes, KB),
	F("Inactive", inactive_bytes, KB),
	F("Active(file)", active_file_bytes, KB),
	F("Inactive(file)", inactive_file_bytes, KB),
	F("Unevictable", unevictable_bytes, KB),
	F("Mlocked", mlocked_bytes, KB),
	F("Dirty", dirty_bytes, KB),
	F("Writeback", writeback_bytes, KB),
	F("Mapped", mapped_bytes, KB),
	F("KReclaimable", kreclaimable_bytes, KB),
	F("KernelStack", kernel_stack_bytes, KB),
	F("PageTables", page_tables_bytes, KB),
	F("CommitLimit", commit_limit_bytes, KB),
	F("Committed_AS", committed_as_bytes, KB),
	F("HugePages_Total", hugepages_total, SRC_KV_COUNT),
	F("HugePages_Free", hugepages_free, SRC_KV_COUNT),
	F("Hugepagesize", hugepage_size_bytes, KB),
};
#define NR_HAS_FIELDS 12
#define REQUIRED (OG_MI_TOTAL | OG_MI_FREE)

/*
 * Before 3.14 (commit 34e431b0ae39 "/proc/meminfo: provide estimated available memory") there
 * is no MemAvailable. The kernel's formula is free - watermark_low + file - min(file / 2, low)
 * + reclaimable slab - min(slab / 2, low); the low watermarks are not in meminfo, so use the
 * common approximation free + file / 2 + SReclaimable / 2 (the low watermark sum is a small
 * fraction of RAM, and halving the reclaimables over-subtracts it), capped at MemTotal.
 */
static uint64_t estimate_available(const struct og_meminfo *m)
{
	uint64_t file = m->active_file_bytes + m->inactive_file_bytes;
	uint64_t est = m->free_bytes + file / 2 + m->sreclaimable_bytes / 2;

	return est > m->total_bytes ? m->total_bytes : est;
}

int src_meminfo_parse_buf(const char *buf, struct og_meminfo *ret)
{
	struct og_meminfo m = { 0 };
	uint64_t seen;
	int r;

	r = src_kv_parse_table(buf, ':', meminfo_fields, OG_ELEMENTSOF(meminfo_fields), &m, &seen);
	if (r < 0)
		return r;
	m.has = (uint32_t)(seen & ((UINT64_C(1) << NR_HAS_FIELDS) - 1));
	if ((m.has & REQUIRED) != REQUIRED)
		return -EBADMSG;
	if (m.total_bytes == 0 || m.free_bytes > m.total_bytes)
		return -EBADMSG;
	if (!(m.has & OG_MI_AVAILABLE)) {
		m.available_bytes = estimate_available(&m);
		m.available_estimated = true;
	} else if (m.available_bytes > m.total_bytes) {
		return -EBADMSG;
	}
	*ret = m;
	return 0;
}

int src_read_meminfo(const struct og_root *root, struct og_meminfo *ret)
{
	char buf[OG_MEMINFO_MAX];
	ssize_t n = og_root_read(root, root->proc_fd, "meminfo", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return src_meminfo_parse_buf(buf, ret);
}
