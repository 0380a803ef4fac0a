/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * systemd's ManagedOOMPreference= as cgroup xattrs. systemd writes user.oomd_avoid /
 * user.oomd_omit (and trusted.oomd_*, which only CAP_SYS_ADMIN can read) = "1" on the cgroup of
 * a unit with ManagedOOMPreference=avoid|omit; oomguardian honours them like KillPreference=
 * avoid / never (policy/engine/pol_match.c says how they combine with policy files).
 *
 * Ownership, as systemd-oomd applies it (src/oom/oomd-util.c): anybody may set user.* xattrs on
 * a cgroup they own, so an xattr counts only on a cgroup owned by root, or on one owned by the
 * same user as the guarded scope's cgroup (a user guarding their own delegated subtree, e.g.
 * --scope=/user.slice/user-1000.slice/user@1000.service). trusted.* can only be written with
 * CAP_SYS_ADMIN and counts wherever it is found.
 *
 * Everything is read relative to the cgroup2 hierarchy's dir fd (struct og_cg_mounts.v2_fd),
 * so tests can point it at any directory on a filesystem with user xattrs.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "policy/model.h"

/*
 * An xattr value as a boolean (systemd writes "1"; og_parse_bool()'s forms, a trailing
 * newline or NUL allowed): 1, 0 or -EINVAL. value need not be NUL-terminated.
 */
int src_xattr_parse_bool(const char *value, size_t len);

/*
 * The preference of one process whose cgroup2 path is cgroup and whose unit (from that path,
 * "" if none) is unit: the cgroup itself, then its ancestors up to and including the unit's
 * cgroup (a process in a sub-cgroup of a unit has the unit's preference); without a unit only
 * the cgroup itself. The first level with a counting xattr decides (omit over avoid on one
 * level). scope_uid is the owner of the guarded scope's cgroup (0 for the whole machine).
 * ret_from (may be NULL) gets "user.oomd_omit on /system.slice/x.service" or "".
 * Returns the enum og_oomd_pref (>= 0); vanished cgroups and absent xattrs are OG_OOMD_NONE.
 */
int src_xattr_oomd_pref(int cg2_fd, const char *cgroup, const char *unit, uid_t scope_uid,
			char *ret_from, size_t from_size);

/*
 * The other half of src_xattr_oomd_pref() for "why not?" (oomguardianctl match): the first
 * user.oomd_* xattr set to true on the same levels that the owner rule ignores, as
 * "user.oomd_omit on /user.slice/x.service (owned by uid 1000)" in ret. true if one was found.
 */
bool src_xattr_oomd_ignored(int cg2_fd, const char *cgroup, const char *unit, uid_t scope_uid,
			    char *ret, size_t size);

/* The owner of the cgroup2 directory path ("" or "/": the root). 0 or -errno. */
int src_xattr_cgroup_owner(int cg2_fd, const char *path, uid_t *ret_uid);

/*
 * Fill procs[i].oomd_pref for a snapshot: scope ("" = machine) decides scope_uid. Looks each
 * distinct cgroup up once per call (a fixed table on the stack, no allocation). cg2_fd < 0
 * (no cgroup2): every preference is OG_OOMD_NONE.
 */
void src_xattr_fill_procs(int cg2_fd, const char *scope, struct og_proc *procs, size_t n);

/*
 * One xattr found by src_xattr_list(): the cgroup (path from the hierarchy's root, "/" for
 * it), the xattr's name, the preference it asks for, the cgroup's owner, and whether it counts
 * for the daemon the walk was made for (trusted.*, a root-owned cgroup, or one owned by the
 * scope's owner: a user.* xattr on a cgroup owned by uid U counts only for a daemon guarding
 * --scope inside U's own subtree).
 */
typedef void (*src_xattr_list_cb)(const char *cgroup, const char *xattr, enum og_oomd_pref pref,
				  uid_t owner, bool counts, void *data);

/*
 * Walk the cgroup2 hierarchy below cg2_fd (oomguardianctl check), or only the subtree under
 * (a cgroup path like "/machine.slice"; NULL or "" for all of it), and call cb for every
 * user.oomd_* / trusted.oomd_* xattr set to a true value, its counting decided as the daemon
 * guarding that scope decides it (the scope cgroup's owner; the whole machine: root only).
 * The number found, or -errno (-ENOENT: no such scope cgroup).
 */
int src_xattr_list(int cg2_fd, const char *under, src_xattr_list_cb cb, void *data);
