/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "guardian/base/log.h"
#include "guardian/sources/src_bigread.h"
#include "guardian/sources/src_text.h"
#include "guardian/sources/src_zone.h"
#include "policy/util/cleanup.h"
#include "policy/util/strutil.h"

/*
 * "Node 0, zone   Normal" (both files start a zone with it). Advances *p past the name.
 * 0, or -EBADMSG if the line is not such a header.
 */
static int zone_header(const char **p, int *ret_node, char *name, size_t size)
{
	const char *s = *p;
	uint64_t node;
	char word[8];
	int r;

	if (!og_startswith(s, "Node"))
		return -EBADMSG;
	s += 4;
	if (src_text_u64(&s, ",", &node) < 0 || *s != ',' || node > 4095)
		return -EBADMSG;
	s++;
	if (src_text_token(&s, word, sizeof(word)) < 0 || strcmp(word, "zone") != 0)
		return -EBADMSG;
	r = src_text_token(&s, name, size);
	if (r < 0)
		return -EBADMSG;
	*ret_node = (int)node;
	*p = s;
	return 0;
}

/* Find zone (node, name) in zones[0..*n) or append it. NULL if full. */
static struct og_zone *zone_get(struct og_zone *zones, size_t cap, size_t *n, int node,
				const char *name)
{
	struct og_zone *z;

	for (size_t i = 0; i < *n; i++)
		if (zones[i].node == node && strcmp(zones[i].name, name) == 0)
			return &zones[i];
	if (*n >= cap)
		return NULL;
	z = &zones[(*n)++];
	memset(z, 0, sizeof(*z));
	z->node = node;
	og_strscpy(z->name, name, sizeof(z->name));
	return z;
}

int src_buddyinfo_parse_buf(const char *buf, struct og_zone *zones, size_t cap, size_t *ret_n)
{
	size_t n = *ret_n;
	bool any = false;

	for (const char *p = buf; *p; p = src_text_next_line(p)) {
		uint64_t blocks[OG_ORDERS_MAX];
		char name[OG_ZONE_NAME_MAX];
		struct og_zone *z;
		int node, norders = 0;

		if (src_text_at_eol(p))
			continue;
		if (zone_header(&p, &node, name, sizeof(name)) < 0)
			return -EBADMSG;
		while (!src_text_at_eol(p)) {
			if (norders >= OG_ORDERS_MAX)
				return -EBADMSG;
			if (src_text_u64(&p, NULL, &blocks[norders]) < 0)
				return -EBADMSG;
			norders++;
		}
		if (norders == 0)
			return -EBADMSG;
		z = zone_get(zones, cap, &n, node, name);
		if (!z)
			return -ENOBUFS;
		z->norders = norders;
		memset(z->free_blocks, 0, sizeof(z->free_blocks));
		memcpy(z->free_blocks, blocks, sizeof(blocks[0]) * (size_t)norders);
		any = true;
	}
	if (!any)
		return -EBADMSG;
	*ret_n = n;
	return 0;
}

enum {
	ZI_FREE = 1u << 0,
	ZI_MIN = 1u << 1,
	ZI_LOW = 1u << 2,
	ZI_HIGH = 1u << 3,
	ZI_PRESENT = 1u << 4,
	ZI_MANAGED = 1u << 5,
	ZI_PROTECTION = 1u << 6,
	ZI_REQUIRED = 0x7f,
};

/* "protection: (0, 3071, 31997, 31997)" after the key. Values in pages. */
static int parse_protection(const char *p, uint64_t page_size, struct og_zone *z)
{
	uint64_t v[OG_ELEMENTSOF(z->lowmem_reserve_bytes)];
	int n = 0;

	p = src_text_skip_blank(p);
	if (*p++ != '(')
		return -EBADMSG;
	for (;;) {
		if (n >= (int)OG_ELEMENTSOF(v))
			return -EBADMSG;
		if (src_text_u64(&p, ",)", &v[n]) < 0)
			return -EBADMSG;
		if (v[n] > UINT64_MAX / page_size)
			return -EBADMSG;
		n++;
		p = src_text_skip_blank(p);
		if (*p == ')')
			break;
		if (*p++ != ',')
			return -EBADMSG;
	}
	if (!src_text_at_eol(p + 1))
		return -EBADMSG;
	z->nreserve = n;
	memset(z->lowmem_reserve_bytes, 0, sizeof(z->lowmem_reserve_bytes));
	for (int i = 0; i < n; i++)
		z->lowmem_reserve_bytes[i] = v[i] * page_size;
	return 0;
}

/* One line inside a zone block: sets its bit in *seen if it is a key we want. */
static int zoneinfo_line(const char *p, uint64_t page_size, struct og_zone *z, unsigned *seen)
{
	static const struct {
		const char *key;
		size_t off;
		unsigned bit;
	} keys[] = {
		{ "min", offsetof(struct og_zone, min_bytes), ZI_MIN },
		{ "low", offsetof(struct og_zone, low_bytes), ZI_LOW },
		{ "high", offsetof(struct og_zone, high_bytes), ZI_HIGH },
		{ "present", offsetof(struct og_zone, present_bytes), ZI_PRESENT },
		{ "managed", offsetof(struct og_zone, managed_bytes), ZI_MANAGED },
	};
	char key[32], word[8];
	uint64_t v;
	int r;

	r = src_text_token(&p, key, sizeof(key));
	if (r < 0)
		return 0; /* a long counter name we do not know */
	if (strcmp(key, "protection:") == 0) {
		if (*seen & ZI_PROTECTION)
			return -EBADMSG;
		*seen |= ZI_PROTECTION;
		return parse_protection(p, page_size, z);
	}
	if (strcmp(key, "pages") == 0) {
		/* "pages free N"; "pagesets" is another token */
		if (src_text_token(&p, word, sizeof(word)) < 0 || strcmp(word, "free") != 0)
			return -EBADMSG;
		if (src_text_u64(&p, NULL, &v) < 0 || !src_text_at_eol(p) ||
		    v > UINT64_MAX / page_size)
			return -EBADMSG;
		if (*seen & ZI_FREE)
			return -EBADMSG;
		*seen |= ZI_FREE;
		z->free_bytes = v * page_size;
		return 0;
	}
	for (size_t i = 0; i < OG_ELEMENTSOF(keys); i++) {
		if (strcmp(key, keys[i].key) != 0)
			continue;
		/* "high:" in pagesets has a colon and does not match; these never repeat */
		if (*seen & keys[i].bit)
			return -EBADMSG;
		if (src_text_u64(&p, NULL, &v) < 0 || !src_text_at_eol(p) ||
		    v > UINT64_MAX / page_size)
			return -EBADMSG;
		*(uint64_t *)((char *)z + keys[i].off) = v * page_size;
		*seen |= keys[i].bit;
		return 0;
	}
	return 0;
}

int src_zoneinfo_parse_buf(const char *buf, uint64_t page_size, struct og_zone *zones,
			   size_t cap, size_t *ret_n)
{
	struct og_zone cur, *z;
	size_t n = *ret_n;
	unsigned seen = 0;
	bool in_zone = false;
	int node = 0, r;
	char name[OG_ZONE_NAME_MAX];

	if (page_size == 0)
		return -EINVAL;
	for (const char *p = buf;; p = src_text_next_line(p)) {
		bool header = og_startswith(p, "Node");

		if (header || *p == '\0') {
			if (in_zone) {
				if ((seen & ZI_REQUIRED) != ZI_REQUIRED)
					return -EBADMSG;
				/* the kernel keeps min <= low <= high and managed <= present */
				if (cur.min_bytes > cur.low_bytes || cur.low_bytes > cur.high_bytes ||
				    cur.managed_bytes > cur.present_bytes)
					return -EBADMSG;
				z = zone_get(zones, cap, &n, node, name);
				if (!z)
					return -ENOBUFS;
				z->has_zoneinfo = true;
				z->free_bytes = cur.free_bytes;
				z->min_bytes = cur.min_bytes;
				z->low_bytes = cur.low_bytes;
				z->high_bytes = cur.high_bytes;
				z->managed_bytes = cur.managed_bytes;
				z->present_bytes = cur.present_bytes;
				z->nreserve = cur.nreserve;
				memcpy(z->lowmem_reserve_bytes, cur.lowmem_reserve_bytes,
				       sizeof(cur.lowmem_reserve_bytes));
			}
			if (*p == '\0')
				break;
			r = zone_header(&p, &node, name, sizeof(name));
			if (r < 0 || !src_text_at_eol(p))
				return -EBADMSG;
			memset(&cur, 0, sizeof(cur));
			seen = 0;
			in_zone = true;
			continue;
		}
		if (!in_zone || src_text_at_eol(p))
			continue; /* nothing before the first zone is ours */
		r = zoneinfo_line(p, page_size, &cur, &seen);
		if (r < 0)
			return r;
	}
	if (!in_zone)
		return -EBADMSG;
	*ret_n = n;
	return 0;
}

/* In zoneinfo with present 0 and not in buddyinfo (Movable, Device on most machines). */
static bool zone_unpopulated(const struct og_zone *z)
{
	return z->has_zoneinfo && z->present_bytes == 0 && z->norders == 0;
}

int src_read_zones(const struct og_root *root, uint64_t page_size, struct og_zone *zones,
		   size_t cap, size_t *ret_n)
{
	static struct og_zone tmp[OG_ZONES_MAX]; /* scratch, ~80 KiB: not on the stack */
	const char *buf;
	size_t n = 0, out = 0;
	ssize_t len;
	int r;

	/*
	 * zoneinfo first: it lists every zone in kernel order (node, then zone index), and
	 * buddyinfo's populated zones then merge into those entries. buddyinfo is ~110 bytes a
	 * zone (35 KiB at OG_ZONES_MAX), zoneinfo much more (per-CPU pagesets): both go through
	 * the large-file buffer, each parsed before the next read (the buffer is shared).
	 */
	len = src_read_large(root, root->proc_fd, "zoneinfo", &buf);
	if (len >= 0) {
		r = src_zoneinfo_parse_buf(buf, page_size, tmp, OG_ELEMENTSOF(tmp), &n);
		if (r < 0) {
			(void)log_debug_errno(r, "'%s/proc/zoneinfo': cannot parse", root->path);
			return r;
		}
	} else if (len != -ENOENT && len != -EACCES)
		return (int)len;
	len = src_read_large(root, root->proc_fd, "buddyinfo", &buf);
	if (len < 0)
		return (int)len;
	r = src_buddyinfo_parse_buf(buf, tmp, OG_ELEMENTSOF(tmp), &n);
	if (r < 0) {
		(void)log_debug_errno(r, "'%s/proc/buddyinfo': cannot parse", root->path);
		return r;
	}
	/* Unpopulated zones (Movable, Device with present 0, absent from buddyinfo) are noise
	 * on every screen and carry no memory: leave them out, and count only the rest
	 * against cap. */
	for (size_t i = 0; i < n; i++)
		if (!zone_unpopulated(&tmp[i]))
			out++;
	if (out > cap)
		return -ENOBUFS;
	out = 0;
	for (size_t i = 0; i < n; i++) {
		if (zone_unpopulated(&tmp[i]))
			continue;
		zones[out++] = tmp[i];
	}
	*ret_n = out;
	return 0;
}
