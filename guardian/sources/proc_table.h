/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The process table kept current between decisions (issue 7). What never changes about a
 * process (identity pid + starttime, ppid, pgid, uid, comm, exe, cmdline, cgroup paths, unit)
 * is read once, when the process is first seen (a fork/exec event or a rescan), and kept in a
 * lean entry (96 bytes) whose strings are interned: 20,000 children of one program share one
 * copy of each string. A decision then reads only what ranks (statm of each candidate).
 *
 * Kept current by the caller: proc_table_note() for exec/comm/uid events (the entry becomes
 * stale: read again by proc_table_refresh(), off the hot path), proc_table_note_fork() for a
 * fork (stale too, but read as a copy of its parent: 4 small files instead of 5 and a readlink,
 * what keeps 2,000 workers of a pre-forking server cheap), proc_table_remove() for exits,
 * and proc_table_rescan_step() where events are missing or were lost (ENOBUFS): a walk of
 * proc/ in bounded steps that adds what it finds, re-reads what changed identity (pid reuse:
 * new starttime), comm or cgroup, and drops what is gone.
 *
 * Memory: the table grows by doubling when an insert finds it full (never on a decision: the
 * loop inserts from events and rescans), up to max entries. When it cannot grow (max reached or
 * -ENOMEM) it is partial: the insert fails, t->partial is set, and the caller must not rank from
 * it as if it were whole (the loop enumerates the authoritative source, cgroup.procs or proc/,
 * and reads what the table lacks directly).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "guardian/base/root.h"
#include "policy/model.h"

struct pt_str; /* an interned, reference-counted string */

enum pt_flags {
	PT_STALE = 1u << 0, /* known by pid only (an event): read it before use */
	PT_KTHREAD = 1u << 1, /* a kernel thread: never a candidate, kept so it is not re-read */
	PT_UNREADABLE = 1u << 2, /* its files could not be used: skipped, retried by a rescan */
	PT_MEASURED = 1u << 3, /* anon_kib holds a measurement (the caller's, from statm) */
	PT_PEEKED = 1u << 4, /* stale, and the caller has looked at it once (its comm) */
	PT_FORKED = 1u << 5, /* stale from its fork event and nothing since: ppid is the parent */
};

struct pt_proc {
	pid_t pid, ppid, pgid;
	uid_t uid;
	uint64_t starttime_ticks; /* identity against pid reuse; 0 while PT_STALE */
	const struct pt_str *comm, *exe, *cmdline, *cgroup, *memcg_v1, *unit;
	uint32_t swap_kib; /* VmSwap when last read (statm has no swap) */
	uint32_t anon_kib; /* anon RSS at the caller's last measurement (PT_MEASURED) */
	int16_t oom_score_adj;
	uint16_t flags; /* enum pt_flags */
	uint32_t tag; /* the caller's own word (the loop: cached policy of this process) */
	uint32_t gen; /* rescan generation that last saw it */
	uint32_t noted_ms; /* t->clock_ms when an event marked it stale */
};

struct proc_table {
	struct pt_proc *ents; /* dense, n used of cap */
	size_t n, cap, max;
	uint32_t *idx; /* open addressing by pid: entry index + 1, 0 empty; idx_cap = 2 cap */
	size_t idx_cap;
	struct pt_str **strs; /* intern buckets */
	size_t str_buckets, nstrs;
	size_t nstale;
	bool partial; /* an insert failed: the table lacks processes */
	uint32_t gen;
	uint32_t clock_ms; /* the caller's clock (ms, may wrap), stamped on noted entries */
	/* the rescan in progress (proc_table_rescan_step) */
	int scan_fd;
	bool scan_deep;
	size_t scan_seen;
	/* The owner's filter (may be NULL): proc_table_refresh() asks it before reading a stale
	 * entry, and removes the entry unread when it says no (a scoped daemon: one read of
	 * proc/PID/cgroup instead of eight files for a process outside its scope). */
	bool (*admit)(void *userdata, pid_t pid);
	void *admit_data;
	size_t nrefused; /* entries admit() turned away (the debug log, the tests) */
	size_t nforked; /* loads done as a copy of the parent (the debug log, the tests) */
};

/* Allocate for `initial` entries (every page touched now, so mlockall(MCL_ONFAULT) locks them),
 * growing up to max. 0 or -ENOMEM. */
int proc_table_init(struct proc_table *t, size_t initial, size_t max);
void proc_table_free(struct proc_table *t);

/* The entry of pid, or NULL. */
struct pt_proc *proc_table_get(const struct proc_table *t, pid_t pid);

/* An event says pid is new or changed (fork, exec, comm): mark it stale (insert if unknown).
 * 0, or -ENOMEM / -ENOSPC (could not grow: t->partial is set). */
int proc_table_note(struct proc_table *t, pid_t pid);

/*
 * A fork event: pid is a new process, a copy of parent. Noted as proc_table_note() does, and
 * PT_FORKED until another event notes it: proc_table_load() then takes what fork copies and
 * only an exec or a setuid() changes (uid, exe, swap) from the parent's entry when that was
 * read (src_read_proc_forked(): identity, comm, cgroup, oom_score_adj and cmdline are the
 * child's own), and reads the child whole when it is no plain copy (another parent by now,
 * renamed, moved to another cgroup). Same returns as proc_table_note().
 */
int proc_table_note_fork(struct proc_table *t, pid_t pid, pid_t parent);

/* The entry a PT_FORKED e will be read as a copy of: its parent, read (not stale), a user
 * process. NULL: e is read whole. */
const struct pt_proc *proc_table_fork_parent(const struct proc_table *t, const struct pt_proc *e);

/* The process exited: drop its entry (if any). */
void proc_table_remove(struct proc_table *t, pid_t pid);

/*
 * Store p (a full read) as pid's entry: insert, or replace the entry. Returns 0 (same process:
 * updated), 1 (new entry, or a reused pid: the old identity was dropped), -ENOMEM/-ENOSPC
 * (t->partial set).
 */
int proc_table_set(struct proc_table *t, const struct og_proc *p, uint32_t tag);

/* A kernel thread or an unusable pid: remember that, so it is not read again. */
int proc_table_set_flags(struct proc_table *t, pid_t pid, uint16_t flags);

/* Fill *ret from e (strings copied; memory fields 0 except swap; state 'S'). */
void proc_table_to_proc(const struct pt_proc *e, struct og_proc *ret);

/*
 * Read pid fully (src_read_proc) and store it with tag 0; the entry or NULL (vanished,
 * unreadable: then the pid is dropped or flagged). *ret_new (may be NULL): a new identity.
 */
struct pt_proc *proc_table_load(struct proc_table *t, const struct og_root *root, pid_t pid,
				bool *ret_new);

/*
 * Read up to budget stale entries noted at least min_age_ms ago (by t->clock_ms: a process
 * that lives shorter than that is never read), each once t->admit (if set) lets it in (else it
 * is removed unread, counted in nrefused); cb (may be NULL) is called for each one stored. A
 * forked child whose parent is still unread waits for a later call (its parent is older, so
 * this one reads it first, and the child is then read as its copy); it counts as left when its
 * parent is old enough to be read now.
 * Returns how many old enough were left for lack of budget (t->nstale counts all).
 */
size_t proc_table_refresh(struct proc_table *t, const struct og_root *root, size_t budget,
			  uint32_t min_age_ms, void (*cb)(void *userdata, struct pt_proc *e),
			  void *userdata);

/*
 * A rescan of root's proc/ in steps of at most budget pids. Unknown pids are noted (stale: read
 * by proc_table_refresh(), as after a fork event). deep: also read each known pid's stat and
 * cgroup (pid reuse, comm and cgroup changes; ~2 small reads a pid) and reload those that
 * changed. cb as for proc_table_refresh() for every entry reloaded. Returns 1
 * while the walk goes on, 0 when it finished (entries not seen by it were dropped), -errno when
 * proc/ cannot be listed. A new walk starts with the first call after the last one ended.
 */
int proc_table_rescan_step(struct proc_table *t, const struct og_root *root, bool deep,
			   size_t budget, void (*cb)(void *userdata, struct pt_proc *e),
			   void *userdata);

/*
 * The deep part of a rescan over the table's own entries, for a caller that lists its
 * processes another way (a scope's cgroup.procs): from index pos, up to budget entries have
 * their stat and cgroup read, and those that changed are reloaded (cb as above). Returns the
 * index to go on from; t->n when the pass is done. An entry removed meanwhile moves the last
 * one into its place, so a pass may miss an entry that moved behind it (the next pass sees it).
 */
size_t proc_table_verify_step(struct proc_table *t, const struct og_root *root, size_t pos,
			      size_t budget, void (*cb)(void *userdata, struct pt_proc *e),
			      void *userdata);

/*
 * The same walk over pids the caller lists (a scoped daemon: its scope's cgroup.procs, so the
 * table holds the scope's processes only): begin, scan_pid for each pid (as a rescan step sees
 * one), end (entries not seen since begin are dropped). Not mixed with a rescan_step walk.
 */
void proc_table_scan_begin(struct proc_table *t, bool deep);
void proc_table_scan_pid(struct proc_table *t, const struct og_root *root, pid_t pid,
			 void (*cb)(void *userdata, struct pt_proc *e), void *userdata);
void proc_table_scan_end(struct proc_table *t);

/* Bytes the table holds (entries, index, strings): for the benchmark and the debug log. */
size_t proc_table_bytes(const struct proc_table *t);

/* The string of an interned string ("" for NULL). */
const char *pt_str(const struct pt_str *s);
