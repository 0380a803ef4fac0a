/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shmem that no kill can free (the VM tier's tmpfs scenario, 2026-12-02: a tmpfs filled to 3%
 * available, and the terminate stage sent SIGTERM to a 40 MiB bystander). Files in a tmpfs
 * (and shm segments nobody removed) stay in memory when every process that maps them dies, so
 * a kill frees only the victim's anon + swap. When shmem makes up a quarter of the used memory
 * or more and the best victim frees less than the shortfall or less than a quarter of the
 * shmem, the terminate and kill stages say where the memory is and kill nobody until available
 * memory is below half the kill threshold: there the kernel's OOM killer, which would kill a
 * process for the same small gain, is next (VM tier, tmpfs at 2.18%: the kill stage killed the
 * bystander while the kernel had nothing to do).
 */
#include <string.h>

#include "policy/engine/pol_engine_int.h"
#include "policy/util/strutil.h"

/* shmem counts only when it is at least this share of the used memory (total - available) */
#define SHMEM_USED_PERMYRIAD 2500u
/* ... and a victim is worth a kill there only if it frees the need and 1/this of the shmem */
#define SHMEM_VICTIM_SHARE 4u

/* Shmem of the guarded scope: memory.stat shmem of a scope cgroup, else meminfo Shmem. */
static uint64_t scope_shmem(const struct og_snapshot *s, const struct pol_measure *m)
{
	if (m->scope[0] && s->has_scope_cg && s->scope_cg.has_memory)
		return s->scope_cg.shmem_bytes;
	return s->mem.shmem_bytes;
}

bool pol_shmem_futile(const struct og_snapshot *s, const struct pol_measure *m, uint64_t needed,
		      uint64_t frees)
{
	uint64_t shmem = scope_shmem(s, m), used = pol_sat_sub(m->total, m->avail);

	/* frees < shmem / 4: a tmpfs still filling crosses the stage with a small shortfall that
	 * any bystander covers, and then the next one (141-tmpfs-shmem under load, 2026-12-02) */
	return needed > 0 && shmem >= pol_of_permyriad(used, SHMEM_USED_PERMYRIAD) &&
	       (frees < needed || frees < shmem / SHMEM_VICTIM_SHARE);
}

/* Depth of a cgroup path ("/a/b" is 2). */
static size_t depth(const char *path)
{
	size_t d = 0;

	for (; *path; path++)
		d += *path == '/' && path[1];
	return d;
}

/* The deepest cgroup charged with at least half the shmem: who wrote the files. */
static const struct og_cgroup *shmem_cgroup(const struct og_snapshot *s, uint64_t shmem)
{
	const struct og_cgroup *best = NULL;

	for (size_t i = 0; i < s->ncgroups; i++) {
		const struct og_cgroup *c = &s->cgroups[i];

		if (!c->has_memory || depth(c->path) == 0 || c->shmem_bytes < shmem / 2 ||
		    c->shmem_bytes == 0)
			continue;
		if (!best || depth(c->path) > depth(best->path))
			best = c;
	}
	return best;
}

void pol_shmem_text(const struct og_snapshot *s, const struct pol_measure *m, uint64_t needed,
		    uint64_t frees, char *buf, size_t size)
{
	uint64_t shmem = scope_shmem(s, m);
	const struct og_cgroup *c = shmem_cgroup(s, shmem);
	char a[16], sh[16], t[16], f[16], nd[16];

	pol_fmtbuf(buf, size, "%s available: %s of used memory is shmem",
		   pol_fmt_pct(a, sizeof(a), pol_share_permyriad(m->avail, m->total)),
		   og_format_bytes(sh, sizeof(sh), shmem));
	if (s->ntmpfs > 0) /* the largest (reason[] is short) */
		pol_appendf(buf, size, " in tmpfs '%s' %s%s", s->tmpfs[0].path,
			    og_format_bytes(t, sizeof(t), s->tmpfs[0].used_bytes),
			    s->ntmpfs > 1 ? " and others" : "");
	if (c)
		pol_appendf(buf, size, ", charged to '%s'", c->path);
	pol_appendf(
		buf, size,
		" (a kill cannot free it unless the files are deleted); best victim %s, need %s",
		og_format_bytes(f, sizeof(f), frees), og_format_bytes(nd, sizeof(nd), needed));
}
