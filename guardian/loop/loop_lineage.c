/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parents and children of protected processes (issue 8: found in a Debian 12 guest).
 *
 * [Match] Children=no needs to know whether a process's parent runs the same executable
 * (og_proc.parent_exe): the table usually holds the parent (compare the interned exe), else
 * one readlink of /proc/PPID/exe, made only when a Children=no policy's keys match the process.
 * The answer is kept in the entry's tag (LOOP_TAG_PARENT_*) for later reloads of the policy.
 *
 * A child inherits oom_score_adj at fork: every login shell under a protected sshd, every
 * cron job, would carry -1000 that no policy gave it. Each value this daemon writes is
 * remembered with the value before it (struct loop_adj_rec); a process that no OOMScoreAdjust=
 * policy matches and that still has a remembered value of its nearest remembered ancestor
 * gets the value before put back, once, logged at debug (an INFO line the first time).
 * Ancestors between them (matched by a policy or not) must hold the same inherited value or
 * the one put back: a process that set its own value on the way (choom) ends the walk, and
 * without a record on the way (a unit's own OOMScoreAdjust=) nothing is put back.
 *
 * Known limit: the records live in memory, so after a restart of the daemon the children of a
 * process protected by the previous instance keep what they inherit (the value before is lost).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "guardian/actions/act_protect.h"
#include "guardian/base/log.h"
#include "guardian/loop/loop_int.h"
#include "guardian/sources/src_proc.h"
#include "policy/engine/pol_match.h"

#define LINEAGE_DEPTH_MAX 32 /* login shell under sshd: 5 levels; pid_max bounds loops anyway */

/* ------------------------------------------------------------------ Children=no */

static bool wants_parent(const struct loop *l, const struct og_proc *p)
{
	for (size_t i = 0; i < l->rules.nservices; i++)
		if (l->rules.services[i].match.no_children &&
		    pol_match_keys(&l->rules.services[i].match, p))
			return true;
	return false;
}

static enum og_parent_exe parent_exe_read(const struct loop *l, const struct og_proc *p)
{
	char path[32], exe[OG_EXE_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "%d/exe", (int)p->ppid);
	n = readlinkat(l->col.root.proc_fd, path, exe, sizeof(exe) - 1);
	if (n < 0)
		return errno == ENOENT || errno == ESRCH ? OG_PARENT_UNKNOWN : OG_PARENT_OTHER;
	exe[n] = '\0';
	src_proc_strip_deleted(exe);
	return p->exe[0] && strcmp(exe, p->exe) == 0 ? OG_PARENT_SAME : OG_PARENT_OTHER;
}

void loop_lineage_proc(struct loop *l, const struct pt_proc *e, struct og_proc *p, bool resolve)
{
	struct pt_proc *pe = e->ppid > 0 ? proc_table_get(&l->table, e->ppid) : NULL;

	proc_table_to_proc(e, p);
	/* a parent starts before its child: an entry that does not is a reused pid's */
	if (pe && !(pe->flags & (PT_STALE | PT_UNREADABLE)) && pe->starttime_ticks &&
	    pe->starttime_ticks <= e->starttime_ticks) {
		p->parent_exe = pt_str(e->exe)[0] && strcmp(pt_str(pe->exe), pt_str(e->exe)) == 0
					? OG_PARENT_SAME
					: OG_PARENT_OTHER;
		if (p->parent_exe == OG_PARENT_SAME)
			pe->tag |= LOOP_TAG_HAS_COPY;
	} else if (!resolve && (e->tag & LOOP_TAG_VALID))
		p->parent_exe = (uint8_t)((e->tag & LOOP_TAG_PARENT_MASK) >> LOOP_TAG_PARENT_SHIFT);
	else if (resolve && p->ppid > 0 && wants_parent(l, p))
		p->parent_exe = parent_exe_read(l, p);
}

void loop_lineage_exit(struct loop *l, pid_t pid)
{
	const struct pt_proc *e = proc_table_get(&l->table, pid);

	if (!e || !(e->tag & LOOP_TAG_HAS_COPY))
		return; /* the common case: one lookup */
	for (size_t i = 0; i < l->table.n; i++)
		if (l->table.ents[i].ppid == pid && l->table.ents[i].pid != pid)
			(void)proc_table_note(&l->table, l->table.ents[i].pid);
}

/* ------------------------------------------------------------------ inherited values */

void loop_lineage_protected(struct loop *l, const struct og_proc *p, int before, int after)
{
	struct loop_adj_rec *rec = NULL;

	for (size_t i = 0; i < l->nadj_recs && !rec; i++)
		if (l->adj_recs[i].pid == p->pid &&
		    l->adj_recs[i].starttime_ticks == p->starttime_ticks)
			rec = &l->adj_recs[i];
	if (rec) { /* a new value after a reload: the value before is still the first one */
		rec->after = (int16_t)after;
		return;
	}
	l->adj_recs[l->adj_rec_next] = (struct loop_adj_rec){.pid = p->pid,
							     .starttime_ticks = p->starttime_ticks,
							     .before = (int16_t)before,
							     .after = (int16_t)after};
	l->adj_rec_next = (l->adj_rec_next + 1) % LOOP_ADJ_RECS_MAX;
	if (l->nadj_recs < LOOP_ADJ_RECS_MAX)
		l->nadj_recs++;
}

static const struct loop_adj_rec *rec_of(const struct loop *l, pid_t pid, uint64_t starttime)
{
	for (size_t i = 0; i < l->nadj_recs; i++)
		if (l->adj_recs[i].pid == pid && l->adj_recs[i].starttime_ticks == starttime)
			return &l->adj_recs[i];
	return NULL;
}

static bool any_rec_after(const struct loop *l, int adj)
{
	for (size_t i = 0; i < l->nadj_recs; i++)
		if (l->adj_recs[i].after == adj)
			return true;
	return false;
}

/* One ancestor: from the table when it was read, else from its stat (adj then unknown). */
struct lineage_step {
	pid_t ppid;
	uint64_t starttime_ticks;
	bool has_adj;
	int adj;
};

static int ancestor(const struct loop *l, pid_t pid, struct lineage_step *ret)
{
	const struct pt_proc *a = proc_table_get(&l->table, pid);
	char path[32], buf[4096]; /* stat < 1.2 KiB */
	struct og_proc p;

	if (a && !(a->flags & (PT_STALE | PT_UNREADABLE | PT_KTHREAD)) && a->starttime_ticks) {
		*ret = (struct lineage_step){.ppid = a->ppid,
					     .starttime_ticks = a->starttime_ticks,
					     .has_adj = true,
					     .adj = a->oom_score_adj};
		return 0;
	}
	snprintf(path, sizeof(path), "%d/stat", (int)pid);
	if (og_read_at(l->col.root.proc_fd, path, buf, sizeof(buf)) < 0 ||
	    src_proc_parse_stat(buf, &p) != 0)
		return -ESRCH;
	*ret = (struct lineage_step){.ppid = p.ppid, .starttime_ticks = p.starttime_ticks};
	return 0;
}

/* The record of e's nearest ancestor that this daemon wrote, if e still holds its value. */
static const struct loop_adj_rec *inherited_from(const struct loop *l, const struct pt_proc *e)
{
	int between[LINEAGE_DEPTH_MAX];
	size_t n = 0;
	pid_t pid = e->ppid;

	for (size_t depth = 0; depth < LINEAGE_DEPTH_MAX && pid > 1; depth++) {
		const struct loop_adj_rec *rec;
		struct lineage_step s;

		if (ancestor(l, pid, &s) < 0)
			return NULL; /* gone: its children were reparented, the chain is lost */
		rec = rec_of(l, pid, s.starttime_ticks);
		if (rec) {
			if (rec->after != e->oom_score_adj)
				return NULL;
			for (size_t i = 0; i < n; i++)
				if (between[i] != rec->after && between[i] != rec->before)
					return NULL; /* set on the way: its own choice, kept */
			return rec;
		}
		/* An ancestor that a policy matches but that we did not write (it inherited the
		 * value, Children=yes) is passed like any other: the record above decides. */
		if (s.has_adj)
			between[n++] = s.adj;
		pid = s.ppid;
	}
	return NULL;
}

void loop_lineage_check(struct loop *l, struct pt_proc *e)
{
	const struct loop_adj_rec *rec;
	int r;

	if (!l->nadj_recs || (e->tag & (LOOP_TAG_ADJ | LOOP_TAG_OUTSIDE)) ||
	    (e->flags & (PT_STALE | PT_KTHREAD | PT_UNREADABLE)) || e->pid == l->pctx.self_pid ||
	    !any_rec_after(l, e->oom_score_adj))
		return;
	rec = inherited_from(l, e);
	if (!rec)
		return;
	r = act_restore_oom_score_adj(&l->actx, e->pid, e->starttime_ticks, rec->after,
				      rec->before);
	if (r == 1) {
		e->oom_score_adj = rec->before;
		l->adj_restored++;
		if (!l->adj_restored_logged) {
			l->adj_restored_logged = true;
			log_info(
				"pid %d (%s) inherited oom_score_adj %d from protected pid %d, put "
				"back to %d; such restores are logged at debug from now on",
				(int)e->pid, pt_str(e->comm), (int)rec->after, (int)rec->pid,
				(int)rec->before);
		}
	} else if (r < 0 && r != -ESRCH) {
		(void)log_debug_errno(r, "pid %d: oom_score_adj %d not put back: %m", (int)e->pid,
				      (int)rec->before);
	}
}
