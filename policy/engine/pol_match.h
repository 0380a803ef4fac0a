/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which policy applies to a process. Pure: no syscalls, no allocation.
 *
 * A [Match] section matches a process when every key given matches, and a key matches when any
 * of its values does: Name= exact comm, Exe=/Unit=/Cgroup= fnmatch(3) globs (Cgroup= is tried on
 * the cgroup2 path and on the v1 memory path), Cmdline= the compiled ERE, User= the real uid.
 * All=yes matches every process. A [Match] without any key matches nothing (a policy must say
 * whom it is about).
 *
 * Children=no (pol_match.no_children) keeps a daemon's forked copies out: a process whose
 * parent runs the same executable (og_proc.parent_exe == OG_PARENT_SAME) does not match, even
 * if every key does. OpenSSH re-executes itself for each connection (sshd -R, then "sshd: user
 * [priv]" and "sshd: user@pts/0"), cron forks itself for each job: protecting those would hand
 * the listener's oom_score_adj to every login shell and job (children inherit it at fork). An
 * unknown parent (not looked up, gone) counts as another executable: the process matches, as
 * a daemon whose parent exited (daemonized, reparented) should.
 *
 * Several files may match one process. Like systemd drop-ins, files apply in lexical order and
 * the LAST matching file wins: its [Policy] is the process's policy (pol_service_for()). One
 * exception, for safety (the Xen story: sshd and cron must survive a broad later file such as
 * "Cgroup=/system.slice/\*" with KillPreference=prefer): Protect=yes is sticky, any matching
 * file that protects the process protects it (pol_policy_for()). To unprotect, mask or override
 * the protecting file itself (same name in /etc, or a /dev/null symlink).
 *
 * systemd's ManagedOOMPreference= of the process's unit (og_proc.oomd_pref, from the cgroup
 * xattrs user.oomd_omit / user.oomd_avoid: guardian/sources/src_xattr.h) acts like one more
 * policy file that sorts first: omit is KillPreference=never and sticky like Protect=yes (no
 * policy file lifts it; the unit's author said so), avoid is KillPreference=avoid unless a
 * matching file sets KillPreference= itself. Neither protects (no OOMScoreAdjust=).
 */
#pragma once

#include <stdbool.h>

#include "policy/model.h"
#include "policy/rules.h"

/* True if every key given in m matches p and Children=no does not exclude it; false for an
 * empty match. */
bool pol_match_proc(const struct pol_match *m, const struct og_proc *p);

/* True if every key given in m matches p (Children= not considered). */
bool pol_match_keys(const struct pol_match *m, const struct og_proc *p);

/* True if m says Children=no and p's parent runs the same executable (the reason a process
 * that pol_match_keys() accepts is not matched). */
bool pol_match_is_child(const struct pol_match *m, const struct og_proc *p);

/* What og_proc.parent_exe of p should say, given its parent (NULL, or not p's parent:
 * OG_PARENT_UNKNOWN). */
enum og_parent_exe pol_parent_exe(const struct og_proc *p, const struct og_proc *parent);

/* Fill parent_exe of every process of procs from the others (a snapshot: each parent that is
 * in the array). O(n log n) when sorted by pid, as /proc lists them; O(n^2) otherwise. */
void pol_note_parents(struct og_proc *procs, size_t n);

/* True if m has no key at all and no All=yes (matches nothing). */
bool pol_match_is_empty(const struct pol_match *m);

/* The last service in r (lexical file order) whose [Match] matches p, or NULL. */
const struct pol_service *pol_service_for(const struct pol_rules *r, const struct og_proc *p);

/* The merged view of every file matching one process. */
struct pol_proc_policy {
	const struct pol_service *svc; /* last matching service: its settings apply; NULL: none */
	bool protect; /* any matching service has Protect=yes */
	const struct pol_service *protect_by; /* the first service that protects it */
	enum pol_kill_pref kill_pref; /* svc's, or DEFAULT; NEVER when protected */
	bool pref_from_oomd; /* kill_pref is the unit's ManagedOOMPreference= (cgroup xattr) */
	enum pol_kill_unit kill_unit; /* svc's, or PROCESS */
	/* OOMScoreAdjust= has its own "set" flag, so it merges per key: the last matching file
	 * that sets it. NULL: none does. */
	const struct pol_service *oom_score_adj_by;
};

/* Fill *ret with the merged policy of p (always succeeds; no match gives the defaults). */
void pol_policy_for(const struct pol_rules *r, const struct og_proc *p,
		    struct pol_proc_policy *ret);

/* Index of svc in r->services, or (size_t)-1 for NULL or a foreign pointer. */
size_t pol_service_index(const struct pol_rules *r, const struct pol_service *svc);
