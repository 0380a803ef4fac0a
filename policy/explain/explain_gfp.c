/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * gfp_mask bits by kernel version (include/linux/gfp.h). The layout changed four times:
 * 4.4 (Mel Gorman's reclaim-flags rework: __GFP_WAIT gone, __GFP_RECLAIMABLE moved to 0x10,
 * __GFP_DIRECT_RECLAIM/__GFP_KSWAPD_RECLAIM added), 4.10 (__GFP_OTHER_NODE removed), 4.15
 * (__GFP_COLD and __GFP_NOTRACK removed, bits packed) and 5.0 (bits sorted: GFP_KERNEL became
 * 0xcc0). From 4.5 on the kernel prints the names itself ("%pGg"), and those are preferred; the
 * tables below are for older reports and for masks printed without names. Pure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/explain/explain_int.h"

struct gfp_bit {
	uint32_t bit;
	const char *name;
};

/* 2.6.32 .. 4.3 */
static const struct gfp_bit gfp_legacy[] = {
	{ 0x01, "__GFP_DMA" },		{ 0x02, "__GFP_HIGHMEM" },   { 0x04, "__GFP_DMA32" },
	{ 0x08, "__GFP_MOVABLE" },	{ 0x10, "__GFP_WAIT" },	     { 0x20, "__GFP_HIGH" },
	{ 0x40, "__GFP_IO" },		{ 0x80, "__GFP_FS" },	     { 0x100, "__GFP_COLD" },
	{ 0x200, "__GFP_NOWARN" },	{ 0x400, "__GFP_REPEAT" },   { 0x800, "__GFP_NOFAIL" },
	{ 0x1000, "__GFP_NORETRY" },	{ 0x2000, "__GFP_MEMALLOC" }, { 0x4000, "__GFP_COMP" },
	{ 0x8000, "__GFP_ZERO" },	{ 0x10000, "__GFP_NOMEMALLOC" },
	{ 0x20000, "__GFP_HARDWALL" },	{ 0x40000, "__GFP_THISNODE" },
	{ 0x80000, "__GFP_RECLAIMABLE" }, { 0x100000, "__GFP_KMEMCG" },
	{ 0x200000, "__GFP_NOTRACK" },	{ 0x400000, "__GFP_NO_KSWAPD" },
	{ 0x800000, "__GFP_OTHER_NODE" }, { 0x1000000, "__GFP_WRITE" },
};

/* 4.4 .. 4.9 (0x100000 is __GFP_NOACCOUNT in 4.4, __GFP_ACCOUNT from 4.5) */
static const struct gfp_bit gfp_44[] = {
	{ 0x01, "__GFP_DMA" },		{ 0x02, "__GFP_HIGHMEM" },   { 0x04, "__GFP_DMA32" },
	{ 0x08, "__GFP_MOVABLE" },	{ 0x10, "__GFP_RECLAIMABLE" }, { 0x20, "__GFP_HIGH" },
	{ 0x40, "__GFP_IO" },		{ 0x80, "__GFP_FS" },	     { 0x100, "__GFP_COLD" },
	{ 0x200, "__GFP_NOWARN" },	{ 0x400, "__GFP_REPEAT" },   { 0x800, "__GFP_NOFAIL" },
	{ 0x1000, "__GFP_NORETRY" },	{ 0x2000, "__GFP_MEMALLOC" }, { 0x4000, "__GFP_COMP" },
	{ 0x8000, "__GFP_ZERO" },	{ 0x10000, "__GFP_NOMEMALLOC" },
	{ 0x20000, "__GFP_HARDWALL" },	{ 0x40000, "__GFP_THISNODE" },
	{ 0x80000, "__GFP_ATOMIC" },	{ 0x100000, "__GFP_ACCOUNT" },
	{ 0x200000, "__GFP_NOTRACK" },	{ 0x400000, "__GFP_DIRECT_RECLAIM" },
	{ 0x800000, "__GFP_OTHER_NODE" }, { 0x1000000, "__GFP_WRITE" },
	{ 0x2000000, "__GFP_KSWAPD_RECLAIM" },
};

/* 4.10 .. 4.14 */
static const struct gfp_bit gfp_410[] = {
	{ 0x01, "__GFP_DMA" },		{ 0x02, "__GFP_HIGHMEM" },   { 0x04, "__GFP_DMA32" },
	{ 0x08, "__GFP_MOVABLE" },	{ 0x10, "__GFP_RECLAIMABLE" }, { 0x20, "__GFP_HIGH" },
	{ 0x40, "__GFP_IO" },		{ 0x80, "__GFP_FS" },	     { 0x100, "__GFP_COLD" },
	{ 0x200, "__GFP_NOWARN" },	{ 0x400, "__GFP_RETRY_MAYFAIL" }, { 0x800, "__GFP_NOFAIL" },
	{ 0x1000, "__GFP_NORETRY" },	{ 0x2000, "__GFP_MEMALLOC" }, { 0x4000, "__GFP_COMP" },
	{ 0x8000, "__GFP_ZERO" },	{ 0x10000, "__GFP_NOMEMALLOC" },
	{ 0x20000, "__GFP_HARDWALL" },	{ 0x40000, "__GFP_THISNODE" },
	{ 0x80000, "__GFP_ATOMIC" },	{ 0x100000, "__GFP_ACCOUNT" },
	{ 0x200000, "__GFP_NOTRACK" },	{ 0x400000, "__GFP_DIRECT_RECLAIM" },
	{ 0x800000, "__GFP_WRITE" },	{ 0x1000000, "__GFP_KSWAPD_RECLAIM" },
	{ 0x2000000, "__GFP_NOLOCKDEP" },
};

/* 4.15 .. 4.20 */
static const struct gfp_bit gfp_415[] = {
	{ 0x01, "__GFP_DMA" },		{ 0x02, "__GFP_HIGHMEM" },   { 0x04, "__GFP_DMA32" },
	{ 0x08, "__GFP_MOVABLE" },	{ 0x10, "__GFP_RECLAIMABLE" }, { 0x20, "__GFP_HIGH" },
	{ 0x40, "__GFP_IO" },		{ 0x80, "__GFP_FS" },	     { 0x100, "__GFP_WRITE" },
	{ 0x200, "__GFP_NOWARN" },	{ 0x400, "__GFP_RETRY_MAYFAIL" }, { 0x800, "__GFP_NOFAIL" },
	{ 0x1000, "__GFP_NORETRY" },	{ 0x2000, "__GFP_MEMALLOC" }, { 0x4000, "__GFP_COMP" },
	{ 0x8000, "__GFP_ZERO" },	{ 0x10000, "__GFP_NOMEMALLOC" },
	{ 0x20000, "__GFP_HARDWALL" },	{ 0x40000, "__GFP_THISNODE" },
	{ 0x80000, "__GFP_ATOMIC" },	{ 0x100000, "__GFP_ACCOUNT" },
	{ 0x200000, "__GFP_DIRECT_RECLAIM" }, { 0x400000, "__GFP_KSWAPD_RECLAIM" },
	{ 0x800000, "__GFP_NOLOCKDEP" },
};

/* 5.0 .. 6.x (__GFP_ATOMIC, 0x200, is gone from 6.3) */
static const struct gfp_bit gfp_50[] = {
	{ 0x01, "__GFP_DMA" },		{ 0x02, "__GFP_HIGHMEM" },   { 0x04, "__GFP_DMA32" },
	{ 0x08, "__GFP_MOVABLE" },	{ 0x10, "__GFP_RECLAIMABLE" }, { 0x20, "__GFP_HIGH" },
	{ 0x40, "__GFP_IO" },		{ 0x80, "__GFP_FS" },	     { 0x100, "__GFP_ZERO" },
	{ 0x200, "__GFP_ATOMIC" },	{ 0x400, "__GFP_DIRECT_RECLAIM" },
	{ 0x800, "__GFP_KSWAPD_RECLAIM" }, { 0x1000, "__GFP_WRITE" }, { 0x2000, "__GFP_NOWARN" },
	{ 0x4000, "__GFP_RETRY_MAYFAIL" }, { 0x8000, "__GFP_NOFAIL" },
	{ 0x10000, "__GFP_NORETRY" },	{ 0x20000, "__GFP_MEMALLOC" }, { 0x40000, "__GFP_COMP" },
	{ 0x80000, "__GFP_NOMEMALLOC" }, { 0x100000, "__GFP_HARDWALL" },
	{ 0x200000, "__GFP_THISNODE" }, { 0x400000, "__GFP_ACCOUNT" },
	{ 0x800000, "__GFP_ZEROTAGS" },
};

int explain_kernel_version(const char *kernel)
{
	char *end;
	long major, minor;

	if (!kernel || !kernel[0])
		return 0;
	major = strtol(kernel, &end, 10);
	if (*end != '.' || major < 2 || major > 99)
		return 0;
	minor = strtol(end + 1, &end, 10);
	if (minor < 0 || minor > 99)
		return 0;
	if (major == 2)
		return 206; /* 2.6.x: older than every layout change */
	return (int)(major * 100 + minor);
}

static const struct gfp_bit *table_for(uint64_t mask, const char *kernel, size_t *ret_n)
{
	int v = explain_kernel_version(kernel);

#define T(t) (*ret_n = sizeof(t) / sizeof(t[0]), t)
	if (v == 0) {
		/* unknown version: a set 4.4-era kswapd bit tells the newer layout */
		if (mask & 0x2000000)
			return T(gfp_44);
		if (mask & 0x1000000 && !(mask & 0x10))
			return T(gfp_410);
		return NULL;
	}
	if (v < 404)
		return T(gfp_legacy);
	if (v < 410)
		return T(gfp_44);
	if (v < 415)
		return T(gfp_410);
	if (v < 500)
		return T(gfp_415);
	return T(gfp_50);
#undef T
}

static uint64_t bit_of(const struct gfp_bit *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return t[i].bit;
	return 0;
}

/* The composite names the kernel's %pGg prints first (include/trace/events/mmflags.h), built
 * from the table's own bits so they hold for every layout. */
static uint64_t composite(const struct gfp_bit *t, size_t n, uint64_t mask, char *dst, size_t size,
			  size_t *len)
{
	uint64_t reclaim = bit_of(t, n, "__GFP_WAIT") |
			   bit_of(t, n, "__GFP_DIRECT_RECLAIM") | bit_of(t, n, "__GFP_KSWAPD_RECLAIM");
	uint64_t io = bit_of(t, n, "__GFP_IO"), fs = bit_of(t, n, "__GFP_FS");
	uint64_t hw = bit_of(t, n, "__GFP_HARDWALL"), hm = bit_of(t, n, "__GFP_HIGHMEM");
	uint64_t mov = bit_of(t, n, "__GFP_MOVABLE");
	const struct {
		const char *name;
		uint64_t bits;
	} c[] = {
		{ "GFP_HIGHUSER_MOVABLE", reclaim | io | fs | hw | hm | mov },
		{ "GFP_HIGHUSER", reclaim | io | fs | hw | hm },
		{ "GFP_USER", reclaim | io | fs | hw },
		{ "GFP_KERNEL", reclaim | io | fs },
		{ "GFP_NOFS", reclaim | io },
		{ "GFP_NOIO", reclaim },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		if ((mask & c[i].bits) == c[i].bits) {
			*len += (size_t)snprintf(dst, size, "%s", c[i].name);
			return c[i].bits;
		}
	}
	return 0;
}

bool explain_gfp_decode(uint64_t mask, const char *kernel, char *dst, size_t size)
{
	size_t n, len = 0;
	const struct gfp_bit *t = table_for(mask, kernel, &n);
	uint64_t rest = mask;

	if (size == 0)
		return false;
	dst[0] = '\0';
	if (!t)
		return false;
	mask &= ~composite(t, n, mask, dst, size, &len);
	rest = mask;
	for (size_t i = 0; i < n; i++) {
		if (!(mask & t[i].bit))
			continue;
		rest &= ~(uint64_t)t[i].bit;
		len += (size_t)snprintf(dst + len, len < size ? size - len : 0, "%s%s",
					len ? "|" : "", t[i].name);
	}
	if (rest)
		len += (size_t)snprintf(dst + len, len < size ? size - len : 0, "%s%#llx",
					len ? "|" : "", (unsigned long long)rest);
	if (len >= size)
		dst[size - 1] = '\0';
	return true;
}
