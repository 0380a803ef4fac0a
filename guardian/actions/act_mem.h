/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Actions short of killing: drop caches, compaction, cgroup reclaim, throttling, freezing and
 * NUMA page migration. All go through ctx->ops, log one NOTICE line, and in dry-run only log.
 * Every function returns 1 when it acted (or would have, in dry-run), 0 when there was nothing
 * to do (the target vanished), or -errno (-EOPNOTSUPP: not possible on this layout/kernel).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "guardian/actions/act.h"
#include "policy/plan.h"

/* proc/sys/vm/drop_caches: what 2 = reclaimable slab (dentries, inodes), 3 = page cache too.
 * Anything else is -EINVAL. */
int act_drop_caches(const struct act_ctx *ctx, int what, const struct pol_action *why);

/* Compact node N (sys/devices/system/node/nodeN/compact) or, node < 0, all memory
 * (proc/sys/vm/compact_memory). */
int act_compact(const struct act_ctx *ctx, int node, const struct pol_action *why);

/* cgroup2 memory.reclaim (5.19+): ask the kernel to reclaim `bytes` from cg. -EOPNOTSUPP on
 * the v1 layout (v1 has no equivalent short of force_empty, which drops everything) and when
 * the file does not exist (older kernel, no memory controller on cgroup2). */
int act_reclaim_cgroup(const struct act_ctx *ctx, const char *cg, uint64_t bytes,
		       const struct pol_action *why);

/*
 * Throttle cg to `bytes` (OG_UNLIMITED lifts it): cgroup2 memory.high, which makes the
 * group's allocations reclaim and sleep above the value but never OOM-kills. On v1 there is
 * no such knob; we write memory.soft_limit_in_bytes, which makes the group the first one
 * reclaimed under global pressure and never OOM-kills either. Lowering limit_in_bytes instead
 * would throttle for real but triggers the memcg OOM killer at the limit, which is exactly
 * what this stage must not do, and fails with EBUSY when usage is above it.
 */
int act_throttle_cgroup(const struct act_ctx *ctx, const char *cg, uint64_t bytes,
			const struct pol_action *why);

/* cgroup.freeze on the cgroup2 mount (5.2+; on the v1 layout the twin of the same path).
 * freeze true = 1, false = 0 (thaw). -EOPNOTSUPP when no cgroup2 mount/cgroup.freeze. */
int act_freeze_cgroup(const struct act_ctx *ctx, const char *cg, bool freeze,
		      const struct pol_action *why);

/*
 * Migrate the pages of pid (identity-checked against starttime_ticks) from node `from` to node
 * `to` with libnuma's numa_migrate_pages(). from == to is allowed (the kernel moves nothing:
 * how the call path is exercised on a one-node machine). -EOPNOTSUPP without NUMA support
 * (numa_available() < 0), -EINVAL for a node outside 0..OG_NODES_MAX-1 (or offline: the kernel's
 * answer), -ESRCH if the pid is
 * gone or reused, -EINVAL for starttime_ticks 0 or a node out of range, -EPERM for self/init.
 * 1 migrated (pages the kernel could not move are logged, not an error).
 */
int act_migrate_pages(const struct act_ctx *ctx, pid_t pid, uint64_t starttime_ticks, int from,
		      int to, const struct pol_action *why);

/*
 * Carry out one non-kill plan entry (DROP_SLAB, DROP_CACHES, COMPACT, RECLAIM_CGROUP, THROTTLE,
 * FREEZE, MIGRATE; REPORT only logs). TERM/KILL/OOM_SCORE_ADJ are rejected with -EINVAL: they
 * need state the caller owns (act_kill.h, act_protect.h). Returns as the functions above.
 */
int act_mem_apply(const struct act_ctx *ctx, const struct pol_action *a);
