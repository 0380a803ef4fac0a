/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardian/base/log.h"
#include "guardian/sources/snapshot.h"
#include "guardian/sources/src_cgkeep.h"
#include "guardian/sources/src_xattr.h"
#include "guardian/sources/src_meminfo.h"
#include "guardian/sources/src_numa.h"
#include "policy/engine/zone.h"
#include "guardian/sources/src_proc.h"
#include "guardian/sources/src_psi.h"
#include "guardian/sources/src_slab.h"
#include "guardian/sources/src_swap.h"
#include "guardian/sources/src_tmpfs.h"
#include "guardian/sources/src_vmstat.h"
#include "guardian/sources/src_zone.h"
#include "policy/engine/pol_match.h"
#include "policy/util/strutil.h"

/* How deep below the scope the cgroup walk goes: slice/service/sub-group covers systemd's
 * system.slice/foo.service and machine.slice/machine-x.scope/vcpu0 layouts. */
#define OG_CGROUP_WALK_DEPTH 3
/* tmpfs mounts are measured when Shmem is at least this share of MemTotal (percent) */
#define SNAP_TMPFS_SHMEM_PCT 5

int og_collector_open(struct og_collector *ret, const char *dir)
{
	struct og_collector c = { 0 };
	long ps;
	int r;

	r = og_root_open(&c.root, dir);
	if (r < 0)
		return r;
	r = src_cgroup_detect(&c.root, &c.mounts);
	if (r < 0) {
		og_root_close(&c.root);
		return r;
	}
	/* A fixture tree carries no page size: it was captured on x86_64 (4 KiB pages). */
	ps = strcmp(c.root.path, "/") == 0 ? sysconf(_SC_PAGESIZE) : 4096;
	c.page_size = ps > 0 ? (uint64_t)ps : 4096;
	*ret = c;
	return 0;
}

void og_collector_close(struct og_collector *c)
{
	og_cg_keep_free(c->cg_keep);
	c->cg_keep = NULL;
	og_slab_flags_free(c->slab_flags);
	c->slab_flags = NULL;
	src_cgroup_mounts_close(&c->mounts);
	og_root_close(&c->root);
}

int og_snapshot_alloc(struct og_snapshot *s, size_t cap_procs, size_t cap_cgroups,
		      size_t cap_slabs)
{
	memset(s, 0, sizeof(*s));
	s->procs = calloc(cap_procs ? cap_procs : 1, sizeof(*s->procs));
	s->cgroups = calloc(cap_cgroups ? cap_cgroups : 1, sizeof(*s->cgroups));
	s->slabs = calloc(cap_slabs ? cap_slabs : 1, sizeof(*s->slabs));
	if (!s->procs || !s->cgroups || !s->slabs) {
		og_snapshot_free(s);
		return -ENOMEM;
	}
	s->cap_procs = cap_procs;
	s->cap_cgroups = cap_cgroups;
	s->cap_slabs = cap_slabs;
	return 0;
}

void og_snapshot_free(struct og_snapshot *s)
{
	free(s->procs);
	free(s->cgroups);
	free(s->slabs);
	s->procs = NULL;
	s->cgroups = NULL;
	s->slabs = NULL;
	s->cap_procs = s->cap_cgroups = s->cap_slabs = 0;
	s->nprocs = s->ncgroups = s->nslabs = 0;
}

static bool scope_is_machine(const char *scope)
{
	return !scope || !*scope || strcmp(scope, "/") == 0;
}

/* proc/sys/kernel/hostname (the root's UTS name: a fixture's own, if it has one) or "". */
static void read_host(const struct og_root *root, char *buf, size_t size)
{
	char tmp[OG_HOST_MAX + 2]; /* the name, '\n', NUL: anything longer is not a host name */
	ssize_t n = og_read_at(root->proc_fd, "sys/kernel/hostname", tmp, sizeof(tmp));

	buf[0] = '\0';
	if (n <= 0 || (size_t)n >= sizeof(tmp) - 1)
		return;
	if (tmp[n - 1] == '\n')
		tmp[--n] = '\0';
	if ((size_t)n < size && !memchr(tmp, '\n', (size_t)n))
		og_strscpy(buf, tmp, size);
}

/* Shmem at least SNAP_TMPFS_SHMEM_PCT of the machine, or of a scope cgroup's limit. */
static bool shmem_notable(const struct og_snapshot *s)
{
	uint64_t shmem = s->mem.shmem_bytes, total = s->mem.total_bytes;

	if (s->has_scope_cg && s->scope_cg.has_memory) {
		shmem = s->scope_cg.shmem_bytes;
		if (s->scope_cg.max_bytes != OG_UNLIMITED && s->scope_cg.max_bytes < total)
			total = s->scope_cg.max_bytes;
	}
	return shmem > 0 && shmem >= total / 100 * SNAP_TMPFS_SHMEM_PCT;
}

/* Optional parts: a failure leaves the part empty and is logged at debug (sources are
 * allowed to be missing: no PSI on 3.10, no NUMA sysfs in a container, slabinfo 0400). */
static int take_optional(const struct og_collector *c, unsigned what, struct og_snapshot *s)
{
	const struct og_root *root = &c->root;
	int r, ret = 0;

	if (what & OG_SNAP_PSI) {
		r = src_read_pressure(root, &s->psi);
		if (r < 0) {
			log_debug_errno(r, "pressure unreadable: %m, ignoring");
			memset(&s->psi, 0, sizeof(s->psi));
		}
	}
	if (what & OG_SNAP_SWAP) {
		if (src_read_swaps(root, s->swaps, OG_SWAP_MAX, &s->nswaps) < 0)
			s->nswaps = 0;
		if (src_read_zram(root, s->zram, OG_ZRAM_MAX, &s->nzram) < 0)
			s->nzram = 0;
	}
	if (what & OG_SNAP_NUMA) {
		if (src_read_numa(root, s->nodes, OG_NODES_MAX, &s->nnodes) < 0)
			s->nnodes = 0;
		if (src_read_zones(root, s->page_size, s->zones, OG_ZONES_MAX, &s->nzones) < 0)
			s->nzones = 0;
		og_zone_node_reserves(s->zones, s->nzones, s->nodes, s->nnodes);
	}
	if (what & OG_SNAP_SLAB) {
		r = src_read_slabs(root, s->page_size, s->slabs, s->cap_slabs, c->slab_flags,
				   &s->nslabs);
		if (r < 0) {
			log_debug_errno(r, "slab caches unreadable: %m, ignoring");
			s->nslabs = 0;
		}
	}
	/* Where shmem lives: only when it is a notable share of the scope's memory (a mountinfo
	 * read and a statfs per tmpfs; cheap, but not for nothing) */
	s->ntmpfs = 0;
	if ((what & OG_SNAP_TMPFS) && shmem_notable(s)) {
		r = src_read_tmpfs(root, s->tmpfs, OG_TMPFS_MAX, &s->ntmpfs);
		if (r < 0)
			log_debug_errno(r, "tmpfs mounts unreadable: %m, ignoring");
	}
	if (what & OG_SNAP_PROCS) {
		r = src_read_procs(root, s->procs, s->cap_procs, &s->nprocs);
		if (r < 0) {
			log_debug_errno(r, "process table unreadable: %m, ignoring");
			s->nprocs = 0;
		} else if (r == 1) {
			ret = OG_SNAP_PROCS_TRUNCATED; /* never silently: the caller says so */
		}
		src_xattr_fill_procs(c->mounts.v2_fd, s->scope, s->procs, s->nprocs);
		pol_note_parents(s->procs, s->nprocs); /* for [Match] Children=no */
	}
	if (what & OG_SNAP_HOST)
		read_host(root, s->host, sizeof(s->host));
	if ((what & OG_SNAP_CGROUPS) && c->mounts.layout != OG_CG_NONE) {
		r = src_read_cgroups_kept(&c->mounts, c->cg_keep,
					  scope_is_machine(s->scope) ? "/" : s->scope,
					  OG_CGROUP_WALK_DEPTH, s->cgroups, s->cap_cgroups,
					  &s->ncgroups);
		if (r < 0) {
			log_debug_errno(r, "cgroups unreadable: %m, ignoring");
			s->ncgroups = 0;
		}
	}
	return ret;
}

int og_snapshot_take(const struct og_collector *c, unsigned what, const char *scope,
		     uint64_t now_usec, struct og_snapshot *s)
{
	int r;

	s->now_usec = now_usec;
	s->page_size = c->page_size;
	og_strscpy(s->scope, scope_is_machine(scope) ? "" : scope, sizeof(s->scope));

	/* meminfo is the one source we cannot do without: every stage is measured on it. */
	r = src_read_meminfo(&c->root, &s->mem);
	if (r < 0)
		return r;
	if (src_read_vmstat(&c->root, &s->vm) < 0)
		memset(&s->vm, 0, sizeof(s->vm));

	s->has_scope_cg = false;
	if (!scope_is_machine(scope)) {
		r = src_read_cgroup(&c->mounts, scope, &s->scope_cg);
		if (r < 0)
			log_debug_errno(r, "scope cgroup '%s' unreadable: %m", scope);
		else
			s->has_scope_cg = true;
	}
	return take_optional(c, what, s);
}
