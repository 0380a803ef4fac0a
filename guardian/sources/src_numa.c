/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardian/base/log.h"
#include "guardian/sources/src_kv.h"
#include "guardian/sources/src_numa.h"
#include "guardian/sources/src_text.h"
#include "policy/util/cleanup.h"
#include "policy/util/strutil.h"

/* node<N>/meminfo is ~1.2 KiB on 6.x (30 lines of "Node N Key: value kB"): 8 KiB headroom.
 * numastat ~100 bytes, distance is 4 bytes per node (64 nodes: 256), cpulist is short unless
 * the CPU ids are scattered: 4 KiB for all three. */
#define OG_NODE_MEMINFO_MAX 8192
#define OG_NODE_SMALL_MAX 4096
#define NODE_DIR "devices/system/node" /* below sys/ */

enum {
	NMI_TOTAL = 1u << 0,
	NMI_FREE = 1u << 1,
	NMI_REQUIRED = NMI_TOTAL | NMI_FREE,
};

static const struct {
	const char *key;
	size_t off;
	unsigned bit;
} node_meminfo_keys[] = {
	{ "MemTotal:", offsetof(struct og_numa_node, total_bytes), NMI_TOTAL },
	{ "MemFree:", offsetof(struct og_numa_node, free_bytes), NMI_FREE },
	{ "MemUsed:", offsetof(struct og_numa_node, used_bytes), 0 },
	{ "FilePages:", offsetof(struct og_numa_node, file_pages_bytes), 0 },
	{ "AnonPages:", offsetof(struct og_numa_node, anon_pages_bytes), 0 },
	{ "SReclaimable:", offsetof(struct og_numa_node, slab_reclaimable_bytes), 0 },
	{ "SUnreclaim:", offsetof(struct og_numa_node, slab_unreclaimable_bytes), 0 },
	{ "Active(file):", offsetof(struct og_numa_node, active_file_bytes), 0 },
	{ "Inactive(file):", offsetof(struct og_numa_node, inactive_file_bytes), 0 },
};

/* One "Node N Key: value [kB]" line. 0 with the node, key and bytes set, or -EBADMSG. */
static int node_meminfo_line(const char *line, int *ret_node, char *key, size_t keysize,
			     uint64_t *ret_bytes)
{
	const char *p = line;
	char word[16];
	uint64_t id, v;
	int r;

	r = src_text_token(&p, word, sizeof(word));
	if (r < 0 || strcmp(word, "Node") != 0)
		return -EBADMSG;
	r = src_text_u64(&p, NULL, &id);
	if (r < 0 || id > 4095)
		return -EBADMSG;
	r = src_text_token(&p, key, keysize);
	if (r < 0 || key[r - 1] != ':')
		return -EBADMSG;
	r = src_text_u64(&p, NULL, &v);
	if (r < 0)
		return -EBADMSG;
	p = src_text_skip_blank(p);
	if (p[0] == 'k' && p[1] == 'B') {
		if (v > UINT64_MAX / 1024)
			return -EBADMSG;
		v *= 1024;
		p += 2;
	}
	if (!src_text_at_eol(p))
		return -EBADMSG;
	*ret_node = (int)id;
	*ret_bytes = v;
	return 0;
}

int src_node_meminfo_parse_buf(const char *buf, int node, struct og_numa_node *n)
{
	struct og_numa_node tmp = *n;
	unsigned seen = 0;

	for (const char *p = buf; *p; p = src_text_next_line(p)) {
		char key[64];
		uint64_t v;
		int id;

		if (src_text_at_eol(p))
			continue;
		if (node_meminfo_line(p, &id, key, sizeof(key), &v) < 0)
			return -EBADMSG;
		if (node < 0)
			node = id;
		if (id != node)
			return -EBADMSG;
		for (size_t i = 0; i < OG_ELEMENTSOF(node_meminfo_keys); i++) {
			if (strcmp(key, node_meminfo_keys[i].key) != 0)
				continue;
			*(uint64_t *)((char *)&tmp + node_meminfo_keys[i].off) = v;
			seen |= node_meminfo_keys[i].bit;
			break;
		}
	}
	if ((seen & NMI_REQUIRED) != NMI_REQUIRED || tmp.free_bytes > tmp.total_bytes)
		return -EBADMSG;
	*n = tmp;
	return 0;
}

int src_numastat_parse_buf(const char *buf, struct og_numa_node *n)
{
	static const struct src_kv_field keys[] = {
		{ "numa_hit", offsetof(struct og_numa_node, numa_hit), SRC_KV_COUNT },
		{ "numa_miss", offsetof(struct og_numa_node, numa_miss), SRC_KV_COUNT },
		{ "numa_foreign", offsetof(struct og_numa_node, numa_foreign), SRC_KV_COUNT },
		{ "interleave_hit", offsetof(struct og_numa_node, interleave_hit), SRC_KV_COUNT },
		{ "local_node", offsetof(struct og_numa_node, local_node), SRC_KV_COUNT },
		{ "other_node", offsetof(struct og_numa_node, other_node), SRC_KV_COUNT },
	};
	struct og_numa_node tmp = *n;
	uint64_t seen = 0;
	int r = src_kv_parse_table(buf, ' ', keys, OG_ELEMENTSOF(keys), &tmp, &seen);

	if (r < 0)
		return -EBADMSG;
	if ((seen & 3u) != 3u) /* numa_hit, numa_miss: there since 2.6.x */
		return -EBADMSG;
	*n = tmp;
	return 0;
}

int src_distance_parse_buf(const char *buf, uint8_t *dist, size_t cap)
{
	uint8_t tmp[OG_NODES_MAX];
	const char *p = buf;
	size_t n = 0;

	while (!src_text_at_eol(p)) {
		uint64_t v;

		if (src_text_u64(&p, NULL, &v) < 0 || v == 0 || v > 255)
			return -EBADMSG;
		if (n >= cap || n >= OG_ELEMENTSOF(tmp))
			return -ENOBUFS;
		tmp[n++] = (uint8_t)v;
	}
	/* One line only: anything after it is not the format we know. */
	for (p = src_text_next_line(p); *p; p++)
		if (*p != '\n' && *p != ' ' && *p != '\t')
			return -EBADMSG;
	if (n == 0)
		return -EBADMSG;
	memcpy(dist, tmp, n);
	return (int)n;
}

/* Strip the trailing newline of a one-line sysfs file. */
static void chomp(char *s)
{
	size_t len = strlen(s);

	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' '))
		s[--len] = '\0';
}

static int read_node(const struct og_root *root, int id, struct og_numa_node *n, uint8_t *dist,
		     int *ret_ndist)
{
	char path[64], buf[OG_NODE_MEMINFO_MAX];
	ssize_t len;
	int r;

	memset(n, 0, sizeof(*n));
	n->id = id;
	*ret_ndist = 0;

	snprintf(path, sizeof(path), NODE_DIR "/node%d/meminfo", id);
	len = og_root_read(root, root->sys_fd, path, buf, sizeof(buf));
	if (len < 0)
		return (int)len;
	r = src_node_meminfo_parse_buf(buf, id, n);
	if (r < 0) {
		(void)log_debug_errno(r, "node%d/meminfo: cannot parse", id);
		return r;
	}
	if (n->used_bytes == 0)
		n->used_bytes = n->total_bytes - n->free_bytes;

	snprintf(path, sizeof(path), NODE_DIR "/node%d/numastat", id);
	len = og_root_read(root, root->sys_fd, path, buf, OG_NODE_SMALL_MAX);
	if (len >= 0) {
		r = src_numastat_parse_buf(buf, n);
		if (r < 0) {
			(void)log_debug_errno(r, "node%d/numastat: cannot parse", id);
			return r;
		}
	} else if (len != -ENOENT)
		return (int)len;

	snprintf(path, sizeof(path), NODE_DIR "/node%d/cpulist", id);
	len = og_root_read(root, root->sys_fd, path, buf, OG_NODE_SMALL_MAX);
	if (len >= 0) {
		chomp(buf);
		/* A memory-only node has an empty cpulist: keep "". */
		og_strscpy(n->cpulist, buf, sizeof(n->cpulist));
	} else if (len != -ENOENT)
		return (int)len;

	snprintf(path, sizeof(path), NODE_DIR "/node%d/distance", id);
	len = og_root_read(root, root->sys_fd, path, buf, OG_NODE_SMALL_MAX);
	if (len >= 0) {
		r = src_distance_parse_buf(buf, dist, OG_NODES_MAX);
		if (r < 0) {
			(void)log_debug_errno(r, "node%d/distance: cannot parse", id);
			return r;
		}
		*ret_ndist = r;
	} else if (len != -ENOENT)
		return (int)len;
	return 0;
}

static int cmp_node(const void *a, const void *b)
{
	const struct og_numa_node *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/* Collect the node ids under dirfd ("node0", "node1", ...), unsorted. */
static int list_nodes(int dirfd, int *ids, size_t cap, size_t *ret_n)
{
	_cleanup_close_ int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *de;
	size_t n = 0;
	int r = 0;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d)
		return -errno;
	fd = -1; /* owned by d now */
	while ((de = readdir(d))) {
		int id;

		if (!og_startswith(de->d_name, "node") || og_parse_int(de->d_name + 4, &id) < 0 ||
		    id < 0 || de->d_name[4] == '+' || de->d_name[4] == '-')
			continue;
		if (n >= cap) {
			r = -ENOBUFS;
			break;
		}
		ids[n++] = id;
	}
	closedir(d);
	if (r == 0)
		*ret_n = n;
	return r;
}

int src_read_numa(const struct og_root *root, struct og_numa_node *arr, size_t cap,
		  size_t *ret_n)
{
	uint8_t dist[OG_NODES_MAX][OG_NODES_MAX]; /* positional rows, 4 KiB */
	int ndist[OG_NODES_MAX], ids[OG_NODES_MAX];
	_cleanup_close_ int nodes_fd = -1;
	size_t nids = 0, n = 0;
	int r;

	if (root->sys_fd < 0) {
		*ret_n = 0;
		return 0;
	}
	nodes_fd = openat(root->sys_fd, NODE_DIR, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (nodes_fd < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			return -errno;
		log_debug("no NUMA sysfs below '%s', no nodes", root->path);
		*ret_n = 0;
		return 0;
	}
	r = list_nodes(nodes_fd, ids, OG_ELEMENTSOF(ids), &nids);
	if (r < 0)
		return r;
	if (nids > cap)
		return -ENOBUFS;
	for (size_t i = 0; i < nids; i++) {
		r = read_node(root, ids[i], &arr[n], dist[n], &ndist[n]);
		if (r == -ENOENT) {
			log_debug("node%d vanished while read, skipping", ids[i]);
			continue;
		}
		if (r < 0)
			return r;
		n++;
	}
	/* Sort by id, carrying each node's positional distance row along. */
	for (size_t i = 1; i < n; i++) {
		for (size_t j = i; j > 0 && cmp_node(&arr[j - 1], &arr[j]) > 0; j--) {
			struct og_numa_node t = arr[j];
			uint8_t drow[OG_NODES_MAX];
			int tn = ndist[j];

			arr[j] = arr[j - 1];
			arr[j - 1] = t;
			memcpy(drow, dist[j], sizeof(drow));
			memcpy(dist[j], dist[j - 1], sizeof(drow));
			memcpy(dist[j - 1], drow, sizeof(drow));
			ndist[j] = ndist[j - 1];
			ndist[j - 1] = tn;
		}
	}
	/* Entry k of a distance row is the k-th online node in id order: map it to its id. */
	for (size_t i = 0; i < n; i++) {
		memset(arr[i].distance, 0, sizeof(arr[i].distance));
		arr[i].ndistances = 0;
		if ((size_t)ndist[i] != n) {
			log_debug("node%d/distance has %d entries for %zu nodes, ignoring",
				  arr[i].id, ndist[i], n);
			continue;
		}
		for (size_t k = 0; k < n; k++) {
			if (arr[k].id >= OG_NODES_MAX)
				continue;
			arr[i].distance[arr[k].id] = dist[i][k];
			if (arr[k].id + 1 > arr[i].ndistances)
				arr[i].ndistances = arr[k].id + 1;
		}
	}
	*ret_n = n;
	return 0;
}

int src_read_node_meminfo(const struct og_root *root, int id, struct og_numa_node *ret)
{
	char path[64], buf[OG_NODE_MEMINFO_MAX];
	struct og_numa_node n = { .id = id };
	ssize_t len;
	int r;

	snprintf(path, sizeof(path), "devices/system/node/node%d/meminfo", id);
	len = og_root_read(root, root->sys_fd, path, buf, sizeof(buf));
	if (len < 0)
		return (int)len;
	r = src_node_meminfo_parse_buf(buf, id, &n);
	if (r < 0)
		return r;
	*ret = n;
	return 0;
}

int src_nodelist_parse(const char *s, uint64_t *ret_mask)
{
	uint64_t mask = 0;
	const char *p = s;

	while (*p && *p != '\n' && *p != ' ') {
		char *end;
		unsigned long a = strtoul(p, &end, 10), b;

		if (end == p)
			return -EBADMSG;
		b = a;
		p = end;
		if (*p == '-') {
			b = strtoul(p + 1, &end, 10);
			if (end == p + 1 || b < a)
				return -EBADMSG;
			p = end;
		}
		for (unsigned long i = a; i <= b && i < 64; i++)
			mask |= 1ull << i;
		if (*p == ',')
			p++;
	}
	if (!mask)
		return -EBADMSG;
	*ret_mask = mask;
	return 0;
}

/* What src_read_proc_mems reads of numa_maps: an address (12 hex digits) and a policy. */
#define NUMA_MAPS_HEAD 64

int src_proc_mems_parse(const char *numa_maps, const char *status, uint64_t *ret_mask)
{
	uint64_t bind = ~0ull, allowed = ~0ull, m;
	const char *p;

	/* "55d0c0a00000 bind:1 file=/usr/bin/memhog ...": the first VMA shows the task's policy
	 * unless mbind(2) gave it its own; "bind=static:1" carries mode flags. */
	p = numa_maps ? strchr(numa_maps, ' ') : NULL;
	/* a head cut inside the policy (src_read_proc_mems reads a few bytes) says nothing */
	if (p && !strpbrk(p + 1, " \n"))
		p = NULL;
	if (p && strncmp(p + 1, "bind", 4) == 0) {
		p += 5;
		if (*p == '=')
			p = strchr(p, ':');
		if (p && *p == ':' && src_nodelist_parse(p + 1, &m) == 0)
			bind = m;
	}
	p = status ? strstr(status, "\nMems_allowed_list:") : NULL;
	if (p) {
		p += strlen("\nMems_allowed_list:");
		p += strspn(p, " \t");
		if (src_nodelist_parse(p, &m) == 0)
			allowed = m;
	}
	if ((bind & allowed) == ~0ull)
		return -ENODATA; /* neither read: unknown, not "everywhere" */
	*ret_mask = bind & allowed;
	return 0;
}

int src_read_proc_mems(const struct og_root *root, pid_t pid, uint64_t *ret_mask)
{
	/* numa_maps is a seq_file that renders whole records, and a record (a VMA) costs a walk
	 * of its page tables: a read of 4 KiB (or 512 bytes) renders the records up to the first
	 * large anonymous mapping, 8-16 ms for a 1 GiB heap (this host, 2026-12-04; under the VM
	 * tier's TCG many times that, at every decision while a node is short). A read of
	 * NUMA_MAPS_HEAD bytes renders the first record only (the binary's first mapping, as a
	 * rule longer than that; a shorter one adds the next), 8 us. The policy ends within it:
	 * "55d0c0a00000 bind:1 file=...", or the parse takes it as unread. */
	char maps[NUMA_MAPS_HEAD + 1], status[4096], path[64];
	_cleanup_close_ int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "%d/numa_maps", (int)pid);
	fd = openat(root->proc_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	n = fd >= 0 ? read(fd, maps, NUMA_MAPS_HEAD) : -1;
	maps[n > 0 ? n : 0] = '\0';
	snprintf(path, sizeof(path), "%d/status", (int)pid);
	n = og_read_at(root->proc_fd, path, status, sizeof(status));
	if (n < 0)
		return (int)n; /* vanished (-ENOENT, -ESRCH) */
	return src_proc_mems_parse(maps, status, ret_mask);
}
