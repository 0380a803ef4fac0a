/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "guardian/sources/src_kv.h"
#include "guardian/sources/src_vmstat.h"
#include "policy/util/cleanup.h"

#define F(k, field) { k, offsetof(struct og_vmstat, field), SRC_KV_COUNT }

static const struct src_kv_field vmstat_fields[] = {
	F("pgscan_kswapd", pgscan_kswapd),
	F("pgscan_direct", pgscan_direct),
	F("pgscan_khugepaged", pgscan_khugepaged),
	F("pgsteal_kswapd", pgsteal_kswapd),
	F("pgsteal_direct", pgsteal_direct),
	F("pgsteal_khugepaged", pgsteal_khugepaged),
	F("workingset_refault_anon", workingset_refault_anon),
	F("workingset_refault_file", workingset_refault_file),
	F("workingset_activate_anon", workingset_activate_anon),
	F("workingset_activate_file", workingset_activate_file),
	F("pswpin", pswpin),
	F("pswpout", pswpout),
	F("oom_kill", oom_kill),
	F("compact_stall", compact_stall),
	F("compact_fail", compact_fail),
	F("compact_success", compact_success),
	F("compact_migrate_scanned", compact_migrate_scanned),
	F("compact_free_scanned", compact_free_scanned),
	F("numa_pages_migrated", numa_pages_migrated),
	F("pgmigrate_success", pgmigrate_success),
	F("pgmigrate_fail", pgmigrate_fail),
	/* 3.15..5.8 names, before the anon/file split of 5.9: they count file pages. */
	F("workingset_refault", workingset_refault_file),
	F("workingset_activate", workingset_activate_file),
};

/* The `seen` bit of a table key (looked up, so reordering the table cannot break it). */
static uint64_t seen_bit(const char *key)
{
	for (size_t i = 0; i < OG_ELEMENTSOF(vmstat_fields); i++)
		if (strcmp(vmstat_fields[i].key, key) == 0)
			return UINT64_C(1) << i;
	return 0;
}

/*
 * Before 4.8 (LRU lists moved from zones to nodes) reclaim counted per zone:
 * pgscan_kswapd_normal, pgsteal_direct_dma32, ... Sum them into the node-wide field.
 * pgscan_direct_throttle is not a zone and must not be added.
 */
static const char *const zone_suffixes[] = { "dma", "dma32", "normal", "high", "movable",
					     "device" };

static uint64_t *zone_counter(struct og_vmstat *v, const struct src_kv *kv)
{
	static const struct {
		const char *prefix;
		size_t offset;
	} bases[] = {
		{ "pgscan_kswapd_", offsetof(struct og_vmstat, pgscan_kswapd) },
		{ "pgscan_direct_", offsetof(struct og_vmstat, pgscan_direct) },
		{ "pgsteal_kswapd_", offsetof(struct og_vmstat, pgsteal_kswapd) },
		{ "pgsteal_direct_", offsetof(struct og_vmstat, pgsteal_direct) },
	};

	for (size_t i = 0; i < OG_ELEMENTSOF(bases); i++) {
		size_t pl = strlen(bases[i].prefix);

		if (kv->key_len <= pl || memcmp(kv->key, bases[i].prefix, pl) != 0)
			continue;
		for (size_t j = 0; j < OG_ELEMENTSOF(zone_suffixes); j++) {
			size_t sl = strlen(zone_suffixes[j]);

			if (kv->key_len == pl + sl &&
			    memcmp(kv->key + pl, zone_suffixes[j], sl) == 0)
				return (uint64_t *)(void *)((char *)v + bases[i].offset);
		}
	}
	return NULL;
}

/* Sum the per-zone counters of pre-4.8 kernels. 1 if any was found, 0 if none, -EBADMSG. */
static int sum_zone_counters(const char *buf, struct og_vmstat *v)
{
	const char *pos = buf;
	struct src_kv kv = { 0 };
	int found = 0;

	while (src_kv_next(&pos, ' ', &kv) > 0) {
		uint64_t *dst = zone_counter(v, &kv), x;
		int r;

		if (!dst)
			continue;
		r = src_kv_value(&kv, false, &x);
		if (r < 0)
			return r;
		*dst += x; /* wraps like the kernel's own counters would */
		found = 1;
	}
	return found;
}

int src_vmstat_parse_buf(const char *buf, struct og_vmstat *ret)
{
	struct og_vmstat v = { 0 };
	const uint64_t refault = seen_bit("workingset_refault_file");
	const uint64_t old_refault = seen_bit("workingset_refault");
	const uint64_t activate = seen_bit("workingset_activate_file");
	const uint64_t old_activate = seen_bit("workingset_activate");
	uint64_t seen;
	int r;

	r = src_kv_parse_table(buf, ' ', vmstat_fields, OG_ELEMENTSOF(vmstat_fields), &v, &seen);
	if (r < 0)
		return r;
	/* Old and new names for the same field in one file: not a kernel we know. */
	if (((seen & refault) && (seen & old_refault)) ||
	    ((seen & activate) && (seen & old_activate)))
		return -EBADMSG;
	r = sum_zone_counters(buf, &v);
	if (r < 0)
		return r;
	if (seen == 0 && r == 0)
		return -EBADMSG;
	v.has_oom_kill = (seen & seen_bit("oom_kill")) != 0;
	*ret = v;
	return 0;
}

int src_read_vmstat(const struct og_root *root, struct og_vmstat *ret)
{
	char buf[OG_VMSTAT_MAX];
	ssize_t n = og_root_read(root, root->proc_fd, "vmstat", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return src_vmstat_parse_buf(buf, ret);
}
