/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "policy/engine/zone.h"

static int zone_orders(const struct og_zone *z)
{
	if (z->norders < 0)
		return 0;
	return z->norders > OG_ORDERS_MAX ? OG_ORDERS_MAX : z->norders;
}

/* blocks << o, saturating at UINT64_MAX */
static uint64_t shl_sat(uint64_t v, int o)
{
	if (o >= 64)
		return v ? UINT64_MAX : 0;
	return v > (UINT64_MAX >> o) ? UINT64_MAX : v << o;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

uint64_t og_zone_free_pages(const struct og_zone *z)
{
	uint64_t sum = 0;

	for (int o = 0; o < zone_orders(z); o++)
		sum = add_sat(sum, shl_sat(z->free_blocks[o], o));
	return sum;
}

int og_zone_largest_free_order(const struct og_zone *z)
{
	for (int o = zone_orders(z) - 1; o >= 0; o--)
		if (z->free_blocks[o] > 0)
			return o;
	return -1;
}

uint32_t og_zone_unusable_permyriad(const struct og_zone *z, int order)
{
	uint64_t total = og_zone_free_pages(z), unusable = 0;

	if (total == 0)
		return 10000;
	if (order <= 0)
		return 0;
	for (int o = 0; o < zone_orders(z) && o < order; o++)
		unusable = add_sat(unusable, shl_sat(z->free_blocks[o], o));
	/* unusable <= total; scale both down until the product fits in 64 bits. */
	while (unusable > UINT64_MAX / 10000) {
		unusable >>= 1;
		total >>= 1;
	}
	if (total == 0)
		return 10000;
	return (uint32_t)(unusable * 10000 / total);
}

bool og_zone_watermark_ok(const struct og_zone *z, int order, uint64_t mark_bytes,
			  int classzone_idx, uint64_t page_size)
{
	uint64_t free_pages, need;

	if (!z->has_zoneinfo || page_size == 0 || order < 0 || order >= OG_ORDERS_MAX)
		return false;
	free_pages = z->free_bytes / page_size;
	need = mark_bytes / page_size;
	if (classzone_idx >= 0 && classzone_idx < z->nreserve)
		need = add_sat(need, z->lowmem_reserve_bytes[classzone_idx] / page_size);
	/* __zone_watermark_unusable_free(): the request itself minus one page */
	if (free_pages < ((uint64_t)1 << order) - 1)
		return false;
	free_pages -= ((uint64_t)1 << order) - 1;
	if (free_pages <= need)
		return false;
	if (order == 0)
		return true;
	for (int o = order; o < zone_orders(z); o++)
		if (z->free_blocks[o] > 0)
			return true;
	return false;
}

void og_zone_node_reserves(const struct og_zone *zones, size_t nzones, struct og_numa_node *nodes,
			   size_t nnodes)
{
	for (size_t i = 0; i < nnodes; i++) {
		nodes[i].reserve_bytes = 0;
		for (size_t k = 0; k < nzones; k++)
			if (zones[k].node == nodes[i].id && zones[k].has_zoneinfo)
				nodes[i].reserve_bytes += zones[k].high_bytes;
	}
}
