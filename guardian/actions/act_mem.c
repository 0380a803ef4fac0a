/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Actions short of killing: caches, compaction, cgroup reclaim/throttle/freeze, NUMA migration. */
#include <errno.h>
#include <inttypes.h>
#include <numa.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "guardian/actions/act.h"
#include "guardian/actions/act_mem.h"
#include "guardian/base/log.h"
#include "policy/util/strutil.h"

/*
 * The one write every action here ends in: log "dry-run: would write" or write and log.
 * what: the action's name for the log line. 1 written, 0 target gone (ENOENT), -errno.
 */
static int act_write(const struct act_ctx *ctx, const char *what, int dirfd, const char *dir,
		     const char *file, const char *value, const struct pol_action *why)
{
	char whybuf[POL_PATH_MAX + 128];
	int r;

	if (dirfd < 0)
		return -EOPNOTSUPP;
	act_why(why, whybuf, sizeof(whybuf));
	if (ctx->dry_run) {
		log_notice("dry-run: would %s: write '%s' to '%s%s%s': %s (dry-run)", what, value,
			   dir, *dir && strcmp(dir, "/") ? "/" : "", file, whybuf);
		return 1;
	}
	r = ctx->ops->write_at(ctx->ops->userdata, dirfd, dir, file, value);
	if (r == -ENOENT) {
		log_debug("%s: '%s%s%s' is gone, nothing to do", what, dir,
			  *dir && strcmp(dir, "/") ? "/" : "", file);
		return 0;
	}
	if (r < 0)
		return log_error_errno(r, "failed to %s (write '%s' to '%s/%s'): %m", what, value,
				       dir, file);
	log_notice("%s: wrote '%s' to '%s%s%s': %s", what, value, dir,
		   *dir && strcmp(dir, "/") ? "/" : "", file, whybuf);
	return 1;
}

/* A scoped daemon touches the machine only when told to (MachineWideReclaim=yes). */
static int machine_wide_refused(const struct act_ctx *ctx, const char *what)
{
	if (!ctx->machine_wide_denied)
		return 0;
	/* the engine plans neither in a scope: a real run reaching here is worth a warning, the
	 * start-up self-test (dry-run through every action) is not */
	log_internal(ctx->dry_run ? LOG_DEBUG : LOG_WARNING, 0, NULL,
		     "not going to %s: guarding one cgroup, and machine-wide actions need "
		     "MachineWideReclaim=yes, ignoring",
		     what);
	return -EPERM;
}

int act_drop_caches(const struct act_ctx *ctx, int what, const struct pol_action *why)
{
	if (what != 2 && what != 3)
		return -EINVAL;
	if (machine_wide_refused(ctx, "drop caches") < 0)
		return -EPERM;
	return act_write(ctx, what == 2 ? "drop reclaimable slab" : "drop page cache and slab",
			 ctx->root->proc_fd, "sys/vm", "drop_caches", what == 2 ? "2" : "3", why);
}

int act_compact(const struct act_ctx *ctx, int node, const struct pol_action *why)
{
	char dir[64];

	if (machine_wide_refused(ctx, "compact memory") < 0)
		return -EPERM;
	if (node < 0)
		return act_write(ctx, "compact all memory", ctx->root->proc_fd, "sys/vm",
				 "compact_memory", "1", why);
	if (node >= OG_NODES_MAX)
		return -EINVAL;
	snprintf(dir, sizeof(dir), "devices/system/node/node%d", node);
	return act_write(ctx, "compact node", ctx->root->sys_fd, dir, "compact", "1", why);
}

/* The cgroup2 group cg (or, on the v1 layout, its twin) has `file`? */
static bool v2_has(const struct act_ctx *ctx, const char *cg, const char *file)
{
	char path[OG_CGROUP_PATH_MAX + 32];

	if (ctx->mounts->v2_fd < 0)
		return false;
	while (*cg == '/')
		cg++;
	snprintf(path, sizeof(path), "%s%s%s", cg, *cg ? "/" : "", file);
	return faccessat(ctx->mounts->v2_fd, path, F_OK, 0) == 0;
}

int act_reclaim_cgroup(const struct act_ctx *ctx, const char *cg, uint64_t bytes,
		       const struct pol_action *why)
{
	char val[32];

	if (!cg || bytes == 0)
		return -EINVAL;
	if (ctx->mounts->layout != OG_CG_V2 || !v2_has(ctx, cg, "memory.reclaim"))
		return -EOPNOTSUPP;
	snprintf(val, sizeof(val), "%" PRIu64, bytes);
	return act_write(ctx, "reclaim from cgroup", ctx->mounts->v2_fd, cg, "memory.reclaim", val,
			 why);
}

int act_throttle_cgroup(const struct act_ctx *ctx, const char *cg, uint64_t bytes,
			const struct pol_action *why)
{
	char val[32];

	if (!cg || !*cg || bytes == 0)
		return -EINVAL;
	if (ctx->mounts->layout == OG_CG_V2) {
		if (bytes == OG_UNLIMITED)
			og_strscpy(val, "max", sizeof(val));
		else
			snprintf(val, sizeof(val), "%" PRIu64, bytes);
		return act_write(ctx, "throttle cgroup", ctx->mounts->v2_fd, cg, "memory.high", val,
				 why);
	}
	if (ctx->mounts->layout == OG_CG_V1) {
		/* v1 "unlimited" is -1 (the kernel turns it into PAGE_COUNTER_MAX). */
		if (bytes == OG_UNLIMITED)
			og_strscpy(val, "-1", sizeof(val));
		else
			snprintf(val, sizeof(val), "%" PRIu64, bytes);
		return act_write(ctx, "throttle cgroup (v1 soft limit)", ctx->mounts->memv1_fd, cg,
				 "memory.soft_limit_in_bytes", val, why);
	}
	return -EOPNOTSUPP;
}

int act_freeze_cgroup(const struct act_ctx *ctx, const char *cg, bool freeze,
		      const struct pol_action *why)
{
	if (!cg || !*cg || strspn(cg, "/") == strlen(cg))
		return -EINVAL; /* the root group cannot be frozen */
	if (!v2_has(ctx, cg, "cgroup.freeze")) {
		if (!v2_has(ctx, cg, "cgroup.procs"))
			return 0; /* gone (or never there on the cgroup2 side) */
		return -EOPNOTSUPP; /* kernel < 5.2 */
	}
	return act_write(ctx, freeze ? "freeze cgroup" : "thaw cgroup", ctx->mounts->v2_fd, cg,
			 "cgroup.freeze", freeze ? "1" : "0", why);
}

/* ------------------------------------------------------------------ NUMA */

static int migrate_call(const struct act_ctx *ctx, pid_t pid, int from, int to, const char *comm,
			const struct pol_action *why)
{
	char whybuf[POL_PATH_MAX + 128], c[OG_COMM_MAX];
	struct bitmask *fm = numa_allocate_nodemask(), *tm = numa_allocate_nodemask();
	int r = -ENOMEM;

	if (!fm || !tm)
		goto out;
	numa_bitmask_setbit(fm, (unsigned)from);
	numa_bitmask_setbit(tm, (unsigned)to);
	act_why(why, whybuf, sizeof(whybuf));
	act_printable(comm, c, sizeof(c));
	if (ctx->dry_run) {
		log_notice(
			"dry-run: would migrate pages of pid %d (%s) from node %d to node %d: %s "
			"(dry-run)",
			(int)pid, c, from, to, whybuf);
		r = 1;
		goto out;
	}
	r = ctx->ops->migrate_pages(ctx->ops->userdata, pid, fm, tm);
	if (r == -ESRCH)
		goto out;
	if (r < 0) {
		r = log_error_errno(r, "failed to migrate pages of pid %d (%s): %m", (int)pid, c);
		goto out;
	}
	log_notice("migrated pages of pid %d (%s) from node %d to node %d (%d could not move): %s",
		   (int)pid, c, from, to, r, whybuf);
	r = 1;
out:
	if (fm)
		numa_bitmask_free(fm);
	if (tm)
		numa_bitmask_free(tm);
	return r;
}

int act_migrate_pages(const struct act_ctx *ctx, pid_t pid, uint64_t starttime_ticks, int from,
		      int to, const struct pol_action *why)
{
	struct act_ident id;
	char path[32];
	int r;

	if (pid <= 1 || pid == ctx->self_pid)
		return -EPERM;
	if (starttime_ticks == 0)
		return -EINVAL; /* identity is mandatory */
	if (numa_available() < 0)
		return -EOPNOTSUPP;
	/* Nodes that exist but are offline are the kernel's to refuse (EINVAL). */
	if (from < 0 || to < 0 || from >= OG_NODES_MAX || to >= OG_NODES_MAX)
		return -EINVAL;
	/* migrate_pages(2) takes a pid, not a pidfd: this check narrows the reuse window to
	 * microseconds, and moving a stranger's pages between nodes is harmless anyway. */
	snprintf(path, sizeof(path), "%d/stat", (int)pid);
	r = act_ident_read(ctx->root->proc_fd, path, &id);
	if (r == -ENOENT)
		return -ESRCH;
	if (r < 0)
		return r;
	if (id.starttime_ticks != starttime_ticks)
		return -ESRCH;
	return migrate_call(ctx, pid, from, to, id.comm, why);
}

int act_mem_apply(const struct act_ctx *ctx, const struct pol_action *a)
{
	const struct pol_target *t = &a->target;
	char whybuf[POL_PATH_MAX + 128];

	switch (a->kind) {
	case POL_ACT_REPORT:
		log_notice("report: %s: %s", a->reason, act_why(a, whybuf, sizeof(whybuf)));
		return 0;
	case POL_ACT_DROP_SLAB:
		return act_drop_caches(ctx, 2, a);
	case POL_ACT_DROP_CACHES:
		return act_drop_caches(ctx, 3, a);
	case POL_ACT_COMPACT:
		return act_compact(ctx, t->node, a);
	case POL_ACT_RECLAIM_CGROUP:
		return act_reclaim_cgroup(ctx, t->cgroup, a->value, a);
	case POL_ACT_THROTTLE:
		return act_throttle_cgroup(ctx, t->cgroup, a->value, a);
	case POL_ACT_FREEZE:
		return act_freeze_cgroup(ctx, t->cgroup, true, a);
	case POL_ACT_MIGRATE:
		return act_migrate_pages(ctx, t->pid, t->starttime_ticks, t->node, t->node_to, a);
	default:
		return -EINVAL;
	}
}
