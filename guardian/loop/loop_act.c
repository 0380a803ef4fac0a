/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The loop's side of acting: carries a plan out through guardian/act_*.c, holds the victims
 * (pidfds watched by the loop), measures what each kill freed and how long it took, applies
 * protection, and leaves one report per action (queued in the preallocated ring, written when
 * no victim is in flight: loop_report.c). Victim and group slots are preallocated in struct
 * loop; nothing here allocates or writes files.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "guardian/actions/act_mem.h"
#include "guardian/actions/act_protect.h"
#include "guardian/base/log.h"
#include "guardian/loop/loop_int.h"
#include "guardian/sources/src_meminfo.h"
#include "guardian/sources/src_proc.h"
#include "guardian/sources/src_slab.h"
#include "policy/engine/pol_match.h"
#include "policy/engine/pol_victim.h"
#include "policy/util/cleanup.h"
#include "policy/util/strutil.h"

/* ------------------------------------------------------------------ scope and protection */

bool loop_proc_in_scope(const struct loop *l, const struct og_proc *p)
{
	if (!l->scope[0])
		return true;
	return pol_in_scope(l->scope, p->cgroup) ||
	       (p->memcg_v1[0] && pol_in_scope(l->scope, p->memcg_v1));
}

void loop_protect_proc(struct loop *l, const struct og_proc *p)
{
	struct pol_action a;
	int r;

	if (!loop_proc_in_scope(l, p) || p->pid == l->pctx.self_pid)
		return;
	if (pol_protect_plan(&l->rules, p, &l->st, &a) == 0)
		return;
	r = act_set_oom_score_adj(&l->actx, p->pid, p->starttime_ticks, (int)(int64_t)a.value, &a);
	if (r == 1 && !l->dry_run) {
		struct pt_proc *e = proc_table_get(&l->table, p->pid);

		if (e && e->starttime_ticks == p->starttime_ticks)
			e->oom_score_adj = (int16_t)(int64_t)a.value;
		/* what its children will inherit from us, and what they get back */
		loop_lineage_protected(l, p, p->oom_score_adj, (int)(int64_t)a.value);
	}
	if (r == 1)
		loop_report_queue(l, &a, l->dry_run ? "dry-run" : "written", NULL, 0, 0, 0, NULL,
				  0);
	else if (r == -EACCES) /* below 0 without CAP_SYS_RESOURCE: status counts it */
		loop_report_protect_refused(l, &a);
	else if (r < 0 && r != -ESRCH)
		(void)log_debug_errno(r, "oom_score_adj of %d: %m", (int)p->pid);
}

/* Every process of the table that a policy gives an OOMScoreAdjust= (no reads but the writes:
 * what the policy asks is cached in each entry's tag). */
void loop_protect_all(struct loop *l)
{
	for (size_t i = 0; i < l->table.n; i++) {
		const struct pt_proc *e = &l->table.ents[i];

		if ((e->tag & (LOOP_TAG_ADJ | LOOP_TAG_OUTSIDE)) != LOOP_TAG_ADJ ||
		    (e->flags & (PT_STALE | PT_KTHREAD | PT_UNREADABLE)))
			continue;
		loop_lineage_proc(l, e, l->scratch, false);
		loop_protect_proc(l, l->scratch);
	}
}

/*
 * act_protected_fn for the group kills: members that a policy protects are left alone, and so
 * are members outside the scope (a process group may span cgroups: a shell whose job was moved
 * into the guarded group must not go with it).
 */
static bool member_protected(void *userdata, pid_t pid, uint64_t starttime_ticks, const char *comm)
{
	struct loop *l = userdata;
	struct pol_proc_policy pp;
	struct og_proc p;
	bool known, prot = loop_procs_protected(l, pid, starttime_ticks, &known);

	if (known && prot)
		return true;
	/* Its cgroup now (one small read): a member may have moved out of the scope since the
	 * table read it, and no event says so. Unreadable: spare it. */
	if (l->scope[0]) {
		char path[32], buf[4096]; /* one line a hierarchy, ~600 B hybrid */

		snprintf(path, sizeof(path), "%d/cgroup", (int)pid);
		memset(&p, 0, offsetof(struct og_proc, comm));
		if (og_read_at(l->col.root.proc_fd, path, buf, sizeof(buf)) < 0 ||
		    src_proc_parse_cgroup(buf, &p) < 0 || !loop_proc_in_scope(l, &p))
			return true;
	}
	if (known)
		return false;
	for (size_t i = 0; i < l->snap.nprocs; i++) {
		if (l->snap.procs[i].pid == pid &&
		    l->snap.procs[i].starttime_ticks == starttime_ticks) {
			if (!loop_proc_in_scope(l, &l->snap.procs[i]))
				return true;
			pol_policy_for(&l->rules, &l->snap.procs[i], &pp);
			return pp.protect;
		}
	}
	/* Not in the snapshot (forked since): read it now. Unreadable: spare it, be safe. */
	if (src_read_proc(&l->col.root, pid, &p) != 0 || !loop_proc_in_scope(l, &p))
		return true;
	pol_policy_for(&l->rules, &p, &pp);
	return pp.protect;
}

static bool cgroup_has_protected(struct loop *l, const char *cg)
{
	struct pol_proc_policy pp;

	/* The snapshot holds the candidates only, the table every process. */
	if (strcmp(l->root_dir, "/") == 0 && loop_procs_cgroup_has_protected(l, cg))
		return true;
	for (size_t i = 0; i < l->snap.nprocs; i++) {
		const struct og_proc *p = &l->snap.procs[i];

		if (!pol_in_scope(cg, p->cgroup) &&
		    !(p->memcg_v1[0] && pol_in_scope(cg, p->memcg_v1)))
			continue;
		pol_policy_for(&l->rules, p, &pp);
		if (pp.protect)
			return true;
	}
	return false;
}

/* ------------------------------------------------------------------ measuring */

/* What "freed" is measured on: the scope's usage when it has a memory controller (the fast
 * read keeps its fd open), else the machine's available memory. */
static bool measure_usage(const struct loop *l)
{
	return l->scope[0] && l->usage_fd >= 0;
}

static uint64_t measure_now(const struct loop *l)
{
	return measure_usage(l) ? l->usage_bytes : l->avail_bytes;
}

static uint64_t measure(struct loop *l)
{
	uint64_t v = 0;

	if (measure_usage(l))
		return act_read_cgroup_usage(&l->actx, l->scope, &v) >= 0 ? v : l->usage_bytes;
	return act_read_mem_available(&l->actx, &v) >= 0 ? v : l->avail_bytes;
}

static uint64_t freed_since(struct loop *l, uint64_t before)
{
	uint64_t now = measure(l);

	if (measure_usage(l))
		return before > now ? before - now : 0;
	return now > before ? now - before : 0;
}

/* ------------------------------------------------------------------ single victims */

/*
 * After a victim's exit claimed what was freed since its baseline, every other victim and group
 * in flight starts counting from now: two victims never both claim the same bytes.
 */
static void rebase_others(struct loop *l, const void *done)
{
	uint64_t now = measure(l);

	for (size_t i = 0; i < LOOP_VICTIMS_MAX; i++)
		if (l->victims[i].used && (const void *)&l->victims[i] != done)
			l->victims[i].before_bytes = now;
	for (size_t i = 0; i < LOOP_GROUPS_MAX; i++)
		if (l->groups[i].used && (const void *)&l->groups[i] != done)
			l->groups[i].before_bytes = now;
}

static void report_victim(struct loop *l, const struct pol_action *a, const char *result,
			  const struct act_victim *v, uint64_t own, uint64_t freed,
			  uint64_t elapsed, uint64_t since_cross, char *path, size_t size)
{
	const struct loop_victim *lv = NULL;

	for (size_t i = 0; i < LOOP_VICTIMS_MAX && !lv; i++)
		if (l->victims[i].used && &l->victims[i].v == v)
			lv = &l->victims[i];
	l->rep_extra.victim_bytes = own;
	l->rep_extra.partial = lv ? lv->partial : l->view_partial;
	/* To the SIGKILL call itself: the process_mrelease() after it (tens of ms for a large
	 * victim) reaps memory, it does not delay the signal. */
	l->rep_extra.cross_to_kill_usec =
		lv && lv->crossed_usec && lv->kill_call_usec > lv->crossed_usec
			? lv->kill_call_usec - lv->crossed_usec
			: 0;
	loop_report_queue(l, a, result, v, freed, elapsed, since_cross, path, size);
	memset(&l->rep_extra, 0, sizeof(l->rep_extra));
}

static void victim_done(struct loop *l, struct loop_victim *lv, const char *result)
{
	uint64_t now = loop_now_usec(), freed = freed_since(l, lv->before_bytes);
	uint64_t elapsed = act_victim_elapsed_usec(&lv->v);
	uint64_t since_cross =
		lv->crossed_usec && now > lv->crossed_usec
			? (lv->v.exited_usec ? lv->v.exited_usec : now) - lv->crossed_usec
			: 0;

	/* act_victim_report logs freed = before - after: hand it what we measured. */
	if (lv->v.exited)
		act_victim_report(&l->actx, &lv->v, freed, 0);
	if (lv->v.exited)
		rebase_others(l, lv);
	report_victim(l, &lv->why, result, &lv->v, lv->own_bytes, freed, elapsed, since_cross,
		      lv->report, sizeof(lv->report));
	if (lv->src) {
		sd_event_source_set_enabled(lv->src, SD_EVENT_OFF);
		sd_event_source_unref(lv->src);
		lv->src = NULL;
	}
	act_victim_close(&l->actx, &lv->v);
	lv->used = false;
}

static int victim_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct loop *l = userdata;

	for (size_t i = 0; i < LOOP_VICTIMS_MAX; i++) {
		struct loop_victim *lv = &l->victims[i];

		if (!lv->used || lv->src != s)
			continue;
		if (act_victim_wait(&l->actx, &lv->v, 0) == 1) {
			victim_done(l, lv, lv->v.sent & ACT_SENT_KILL ? "killed" : "terminated");
			loop_kick(l, "victim-exit");
		}
		break;
	}
	return 0;
}

static struct loop_victim *victim_find(struct loop *l, const struct pol_target *t)
{
	for (size_t i = 0; i < LOOP_VICTIMS_MAX; i++)
		if (l->victims[i].used && l->victims[i].v.pid == t->pid &&
		    l->victims[i].v.starttime_ticks == t->starttime_ticks)
			return &l->victims[i];
	return NULL;
}

static struct loop_victim *victim_hold(struct loop *l, const struct pol_action *a, uint64_t now)
{
	struct loop_victim *lv = NULL;
	int r;

	for (size_t i = 0; i < LOOP_VICTIMS_MAX && !lv; i++)
		if (!l->victims[i].used)
			lv = &l->victims[i];
	if (!lv) {
		log_warning("too many victims in flight, not acting on %d", (int)a->target.pid);
		return NULL;
	}
	memset(lv, 0, sizeof(*lv));
	r = act_victim_open_target(&l->actx, &a->target, &lv->v);
	if (r < 0) {
		log_info("victim %d '%s' is gone before the signal (%s), nothing to do",
			 (int)a->target.pid, a->target.comm, strerror(-r));
		return NULL;
	}
	lv->used = true;
	lv->why = *a;
	lv->before_bytes = measure_now(l);
	lv->own_bytes = a->target.expected_free_bytes;
	lv->partial = l->view_partial; /* of the decision that chose it */
	lv->crossed_usec = l->kill_crossed_usec;
	lv->deadline_usec =
		now +
		(l->rules.cfg.kill_timeout_usec ? l->rules.cfg.kill_timeout_usec : 10000000ULL) +
		(a->kind == POL_ACT_TERM ? a->value : 0);
	return lv;
}

/* The pidfd watch, added after the signal (it allocates): an exit before it is seen by the
 * first poll of loop_act_inflight() or by the watch itself (a pidfd stays readable). */
static void victim_watch(struct loop *l, struct loop_victim *lv)
{
	if (lv->src || !l->ev || act_victim_fd(&lv->v) < 0)
		return;
	if (sd_event_add_io(l->ev, &lv->src, act_victim_fd(&lv->v), EPOLLIN, victim_io, l) < 0)
		lv->src = NULL; /* polled from loop_act_inflight() instead */
}

/* a's reason is formatted here, after the signal (pol_action_explain(), issue 7). */
static void act_process(struct loop *l, struct pol_action *a, uint64_t now)
{
	struct loop_victim *lv = victim_find(l, &a->target);
	int r;

	if (!lv)
		lv = victim_hold(l, a, now);
	if (!lv)
		return;
	if (a->kind == POL_ACT_KILL) {
		/* An escalation is an action of its own: close the SIGTERM's report, start one. */
		if (lv->report[0] && lv->why.kind == POL_ACT_TERM &&
		    !(lv->v.sent & ACT_SENT_KILL)) {
			report_victim(l, &lv->why, "escalated", &lv->v, lv->own_bytes, 0, 0, 0,
				      lv->report, sizeof(lv->report));
			lv->report[0] = '\0';
		}
		lv->why = *a;
		if (!lv->crossed_usec)
			lv->crossed_usec = l->kill_crossed_usec;
		if (!(lv->v.sent & ACT_SENT_KILL))
			lv->kill_call_usec = loop_now_usec();
		r = act_victim_kill(&l->actx, &lv->v, a);
	} else {
		r = act_victim_term(&l->actx, &lv->v, a);
	}
	pol_action_explain(a);
	pol_action_explain(&lv->why);
	if (r == -ESRCH) {
		victim_done(l, lv, "vanished");
		return;
	}
	victim_watch(l, lv);
	if (r < 0 && r != -EALREADY)
		(void)log_warning_errno(r, "signal to %d failed: %m", (int)lv->v.pid);
	if (r == 1) /* a first report now; victim_done() rewrites it with what was freed */
		report_victim(l, a, "signalled", &lv->v, lv->own_bytes, 0, 0, 0, lv->report,
			      sizeof(lv->report));
	if (l->dry_run)
		victim_done(l, lv, "dry-run");
}

void loop_act_rules_changed(struct loop *l)
{
	pol_stage_rule(&l->rules.cfg, POL_STAGE_KILL, l->kill_rule, sizeof(l->kill_rule));
}

void loop_act_escalate(struct loop *l, uint64_t now)
{
	for (size_t i = 0; i < LOOP_VICTIMS_MAX; i++) {
		struct loop_victim *lv = &l->victims[i];
		struct pol_action a;

		if (!lv->used || (lv->v.sent & ACT_SENT_KILL) || lv->why.kind != POL_ACT_TERM ||
		    l->dry_run)
			continue;
		/* Copies only: nothing is formatted before the signal (the rule string was
		 * formatted when the rules were loaded, loop_act_rules_changed()). */
		a = lv->why;
		a.kind = POL_ACT_KILL;
		a.stage = POL_STAGE_KILL;
		og_strscpy(a.rule, l->kill_rule, sizeof(a.rule));
		og_strscpy(a.metric, "available_bytes", sizeof(a.metric));
		a.measured = l->avail_bytes;
		a.limit = loop_threshold_bytes(&l->rules.cfg.stage[POL_STAGE_KILL], l->total_bytes);
		og_strscpy(a.reason,
			   "available memory fell below the kill threshold during the victim's "
			   "SIGTERM grace: SIGKILL at once, no new decision",
			   sizeof(a.reason));
		act_process(l, &a, now);
	}
}

/* ------------------------------------------------------------------ groups */

static struct loop_group *group_slot(struct loop *l, const struct pol_action *a)
{
	for (size_t i = 0; i < LOOP_GROUPS_MAX; i++) {
		struct loop_group *lg = &l->groups[i];

		if (!lg->used)
			continue;
		if (a->target.kind == POL_TGT_PROCESS_GROUP && lg->g.kind == ACT_GROUP_PGID &&
		    lg->g.pgid == a->target.pgid)
			return lg;
		if (a->target.kind == POL_TGT_CGROUP &&
		    strcmp(lg->why.target.cgroup, a->target.cgroup) == 0)
			return lg;
	}
	for (size_t i = 0; i < LOOP_GROUPS_MAX; i++)
		if (!l->groups[i].used)
			return &l->groups[i];
	return NULL;
}

static void group_done(struct loop *l, struct loop_group *lg, const char *result)
{
	uint64_t now = loop_now_usec();
	uint64_t since_cross = lg->crossed_usec ? now - lg->crossed_usec : 0;

	loop_report_queue(l, &lg->why, result, NULL, freed_since(l, lg->before_bytes),
			  now - lg->start_usec, since_cross, lg->report, sizeof(lg->report));
	if (!lg->whole_cgroup)
		act_group_close(&l->actx, &lg->g);
	lg->used = false;
}

/* As act_process(): the reason is formatted after the signal. */
static void act_group_action(struct loop *l, struct pol_action *a, uint64_t now)
{
	struct loop_group *lg = group_slot(l, a);
	bool kill = a->kind == POL_ACT_KILL;
	bool cg = a->target.kind == POL_TGT_CGROUP;
	int r;

	if (!lg) {
		log_warning("too many groups in flight, not acting on '%s'", a->target.cgroup);
		return;
	}
	if (!lg->used) {
		memset(lg, 0, sizeof(*lg));
		lg->before_bytes = measure_now(l);
		lg->crossed_usec = l->kill_crossed_usec;
		lg->start_usec = now;
		lg->deadline_usec = now +
				    (l->rules.cfg.kill_timeout_usec ? l->rules.cfg.kill_timeout_usec
								    : 10000000ULL) +
				    (kill ? 0 : a->value);
		lg->why = *a;
		if (cg && kill && !cgroup_has_protected(l, a->target.cgroup)) {
			r = act_kill_cgroup(&l->actx, a->target.cgroup, a);
			pol_action_explain(a);
			pol_action_explain(&lg->why);
			if (r >= 0) {
				lg->used = !l->dry_run && r == 1;
				lg->whole_cgroup = true;
				loop_report_queue(l, a,
						  l->dry_run ? "dry-run"
						  : r == 1   ? "signalled"
							     : "vanished",
						  NULL, 0, 0, 0, lg->report, sizeof(lg->report));
				return;
			}
			if (r != -EOPNOTSUPP)
				(void)log_warning_errno(
					r,
					"cgroup.kill of '%s' failed: %m, killing its "
					"tasks one by one",
					a->target.cgroup);
		}
		r = cg ? act_group_open_cgroup(&l->actx, a->target.cgroup, member_protected, l,
					       &lg->g)
		       : act_group_open_pgid(&l->actx, a->target.pgid, member_protected, l, &lg->g);
		if (r <= 0) {
			log_info("group %s is empty or gone (%s), nothing to do",
				 cg ? a->target.cgroup : "(process group)",
				 r < 0 ? strerror(-r) : "empty");
			if (r == 0)
				act_group_close(&l->actx, &lg->g);
			return;
		}
		lg->used = true;
	}
	if (kill && lg->why.kind == POL_ACT_TERM && lg->report[0]) { /* escalation: own report */
		loop_report_queue(l, &lg->why, "escalated", NULL, 0, 0, 0, lg->report,
				  sizeof(lg->report));
		lg->report[0] = '\0';
	}
	lg->why = *a;
	r = kill ? act_group_kill(&l->actx, &lg->g, a) : act_group_term(&l->actx, &lg->g, a);
	pol_action_explain(a);
	pol_action_explain(&lg->why);
	if (r < 0)
		(void)log_warning_errno(r, "group signal failed: %m");
	else if (r > 0)
		loop_report_queue(l, a, "signalled", NULL, 0, 0, 0, lg->report, sizeof(lg->report));
	if (l->dry_run)
		group_done(l, lg, "dry-run");
}

/* ------------------------------------------------------------------ memory actions */

/* The size of slab cache `name` in l->snap, 0 when not listed. */
static uint64_t slab_cache_bytes(const struct loop *l, const char *name)
{
	for (size_t i = 0; name[0] && i < l->snap.nslabs; i++)
		if (strcmp(l->snap.slabs[i].name, name) == 0)
			return l->snap.slabs[i].total_bytes;
	return 0;
}

/* The slab list of l->snap read afresh (a drop's before and after); empty when unreadable. */
static bool slabs_refresh(struct loop *l)
{
	if (src_read_slabs(&l->col.root, l->snap.page_size, l->snap.slabs, l->snap.cap_slabs,
			   l->col.slab_flags, &l->snap.nslabs) < 0) {
		l->snap.nslabs = 0;
		return false;
	}
	l->last_slab_usec = loop_now_usec();
	return true;
}

/*
 * A slab drop has settled: what it freed, SReclaimable (a->value, when planned) against now, and
 * the largest reclaimable cache it named (a->target.unit) then and now; one NOTICE line, also
 * appended to the report's reason. The slab list is read afresh for it (two walks per drop).
 */
static void slab_drop_result(struct loop *l, struct pol_action *a)
{
	struct og_meminfo mi;
	uint64_t cache1 = 0;
	char b0[16], b1[16], fr[16], c0[16], c1[16], cache[OG_UNIT_MAX + 48] = "", line[192];
	size_t len;

	if (src_read_meminfo(&l->col.root, &mi) < 0 || !(mi.has & OG_MI_SRECLAIMABLE))
		return;
	if (a->target.unit[0] && slabs_refresh(l)) {
		cache1 = slab_cache_bytes(l, a->target.unit);
		snprintf(cache, sizeof(cache), ", %s %s -> %s", a->target.unit,
			 og_format_bytes(c0, sizeof(c0), l->slab_cache0_bytes),
			 og_format_bytes(c1, sizeof(c1), cache1));
	}
	snprintf(line, sizeof(line), "freed %s (SReclaimable %s -> %s%s)",
		 og_format_bytes(fr, sizeof(fr),
				 a->value > mi.sreclaimable_bytes ? a->value - mi.sreclaimable_bytes : 0),
		 og_format_bytes(b0, sizeof(b0), a->value),
		 og_format_bytes(b1, sizeof(b1), mi.sreclaimable_bytes), cache);
	log_notice("%s: %s", pol_action_name(a->kind), line);
	len = strlen(a->reason);
	if (len + 3 < sizeof(a->reason))
		snprintf(a->reason + len, sizeof(a->reason) - len, "; %s", line);
}

static void mem_report(struct loop *l, const struct pol_action *a, int r)
{
	if (r < 0 && r != -EOPNOTSUPP)
		(void)log_warning_errno(r, "%s failed: %m", pol_action_name(a->kind));
	loop_report_queue(l, a,
			  r == -EOPNOTSUPP ? "not-supported"
			  : r < 0	   ? "failed"
			  : r == 0	   ? "nothing-to-do"
			  : l->dry_run	   ? "dry-run"
					   : "done",
			  NULL, 0, 0, 0, NULL, 0);
}

static int slab_settled(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct loop *l = userdata;
	struct og_meminfo mi;

	/* still falling (RCU frees under load): look again, at most LOOP_SLAB_LOOKS_MAX times */
	if (++l->slab_looks < LOOP_SLAB_LOOKS_MAX && src_read_meminfo(&l->col.root, &mi) >= 0 &&
	    (mi.has & OG_MI_SRECLAIMABLE) &&
	    mi.sreclaimable_bytes + l->slab_drop.value / 64 < l->slab_seen_bytes &&
	    sd_event_source_set_time(s, loop_now_usec() + LOOP_SLAB_SETTLE_USEC) >= 0 &&
	    sd_event_source_set_enabled(s, SD_EVENT_ONESHOT) >= 0) {
		l->slab_seen_bytes = mi.sreclaimable_bytes;
		return 0;
	}
	slab_drop_result(l, &l->slab_drop);
	mem_report(l, &l->slab_drop, 1);
	return 0;
}

/* A slab drop is reported once it has settled (what it freed), everything else at once. */
static void mem_done(struct loop *l, const struct pol_action *a, int r)
{
	if (a->kind == POL_ACT_DROP_SLAB && r > 0 && !l->dry_run && l->slab_src &&
	    sd_event_source_set_time(l->slab_src, loop_now_usec() + LOOP_SLAB_SETTLE_USEC) >= 0 &&
	    sd_event_source_set_enabled(l->slab_src, SD_EVENT_ONESHOT) >= 0) {
		l->slab_drop = *a;
		l->slab_seen_bytes = a->value;
		l->slab_looks = 0;
		return;
	}
	mem_report(l, a, r);
}

/* drop_caches and compaction go to the worker (they may block for seconds; the loop must keep
 * polling and be able to kill meanwhile); the rest is quick and runs here. In dry-run nothing
 * is written, so nothing blocks: inline too. */
static void act_mem(struct loop *l, const struct pol_action *a)
{
	int r;

	/* the list may be LOOP_SLAB_REFRESH_USEC old: the cache's size right before the drop */
	if (a->kind == POL_ACT_DROP_SLAB && !l->actx.dry_run)
		l->slab_cache0_bytes = a->target.unit[0] && slabs_refresh(l)
					       ? slab_cache_bytes(l, a->target.unit)
					       : 0;

	if (loop_worker_wants(a->kind) && l->worker.started && !l->actx.dry_run) {
		r = loop_worker_submit(&l->worker, &l->actx, a);
		if (r == 0) {
			log_debug("%s handed to the worker", pol_action_name(a->kind));
			l->worker_busy_logged = false;
			return;
		}
		if (!l->worker_busy_logged)
			log_info("%s: the previous cache drop or compaction is still running, "
				 "skipping",
				 pol_action_name(a->kind));
		l->worker_busy_logged = true;
		return;
	}
	mem_done(l, a, act_mem_apply(&l->actx, a));
}

static int worker_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct loop *l = userdata;
	struct pol_action a;
	int r;

	if (loop_worker_collect(&l->worker, &a, &r) == 1)
		mem_done(l, &a, r);
	return 0;
}

int loop_act_setup(struct loop *l)
{
	int r;

	r = sd_event_add_time(l->ev, &l->slab_src, CLOCK_MONOTONIC, UINT64_MAX, 100000,
			      slab_settled, l);
	if (r >= 0)
		r = sd_event_source_set_enabled(l->slab_src, SD_EVENT_OFF);
	if (r < 0) /* without it a drop is reported when the write returns */
		(void)log_warning_errno(r, "slab drop timer: %m, reporting drops at once");
	if (!l->worker.started)
		return 0;
	r = sd_event_add_io(l->ev, &l->worker_src, loop_worker_fd(&l->worker), EPOLLIN, worker_io,
			    l);
	if (r < 0) { /* without its completion source the worker is no use: run inline */
		(void)log_warning_errno(r, "worker completion source: %m, dropping caches inline");
		loop_worker_stop(&l->worker);
	}
	return 0;
}

void loop_act_teardown(struct loop *l)
{
	loop_worker_stop(&l->worker); /* waits for a write in progress */
	loop_unref_src(&l->worker_src);
	loop_unref_src(&l->slab_src);
}

/* ------------------------------------------------------------------ the plan */

static bool target_in_scope(struct loop *l, const struct pol_target *t)
{
	if (!l->scope[0])
		return true;
	if (t->kind == POL_TGT_CGROUP)
		return pol_in_scope(l->scope, t->cgroup);
	for (size_t i = 0; i < l->snap.nprocs; i++)
		if (l->snap.procs[i].pid == t->pid)
			return loop_proc_in_scope(l, &l->snap.procs[i]);
	return t->kind == POL_TGT_PROCESS_GROUP; /* members are checked one by one */
}

void loop_act_plan(struct loop *l, uint64_t now)
{
	for (size_t i = 0; i < l->plan.n; i++) {
		struct pol_action *a = &l->plan.actions[i];
		int r;

		if (a->kind != POL_ACT_TERM && a->kind != POL_ACT_KILL)
			pol_action_explain(a); /* signals: after the signal, in act_process() */
		if (a->target.kind != POL_TGT_SYSTEM && a->target.kind != POL_TGT_NODE &&
		    !target_in_scope(l, &a->target)) {
			log_warning("plan names %d '%s' outside the scope '%s', ignoring",
				    (int)a->target.pid, a->target.comm, l->scope);
			continue;
		}
		switch (a->kind) {
		case POL_ACT_TERM:
		case POL_ACT_KILL:
			if (a->target.kind == POL_TGT_PROCESS)
				act_process(l, a, now);
			else
				act_group_action(l, a, now);
			break;
		case POL_ACT_OOM_SCORE_ADJ:
			r = act_set_oom_score_adj(&l->actx, a->target.pid,
						  a->target.starttime_ticks, (int)(int64_t)a->value,
						  a);
			if (r == 1)
				loop_report_queue(l, a, l->dry_run ? "dry-run" : "written", NULL, 0,
						  0, 0, NULL, 0);
			break;
		default:
			act_mem(l, a);
			break;
		}
	}
}

/* Victims still in flight? Also reaps victims without a pidfd watch and those timed out. */
bool loop_act_inflight(struct loop *l, uint64_t now)
{
	bool any = false;

	for (size_t i = 0; i < LOOP_VICTIMS_MAX; i++) {
		struct loop_victim *lv = &l->victims[i];

		if (!lv->used)
			continue;
		if (!lv->src && act_victim_wait(&l->actx, &lv->v, 0) == 1) {
			victim_done(l, lv, lv->v.sent & ACT_SENT_KILL ? "killed" : "terminated");
			continue;
		}
		if (now > lv->deadline_usec) {
			log_warning("victim %d '%s' did not exit in time, giving up on it",
				    (int)lv->v.pid, lv->v.comm);
			victim_done(l, lv, "timeout");
			continue;
		}
		any = true;
	}
	for (size_t i = 0; i < LOOP_GROUPS_MAX; i++) {
		struct loop_group *lg = &l->groups[i];
		int alive;

		if (!lg->used)
			continue;
		alive = lg->whole_cgroup ? act_cgroup_populated(&l->actx, lg->why.target.cgroup)
					 : act_group_alive(&l->actx, &lg->g);
		if (alive <= 0) {
			group_done(l, lg, lg->why.kind == POL_ACT_KILL ? "killed" : "terminated");
			continue;
		}
		if (now > lg->deadline_usec) {
			log_warning("group '%s' did not exit in time, giving up on it",
				    lg->why.target.cgroup);
			group_done(l, lg, "timeout");
			continue;
		}
		any = true;
	}
	return any;
}

void loop_act_release_all(struct loop *l)
{
	for (size_t i = 0; i < LOOP_VICTIMS_MAX; i++) {
		struct loop_victim *lv = &l->victims[i];

		if (!lv->used)
			continue;
		if (lv->src)
			sd_event_source_unref(lv->src);
		lv->src = NULL;
		act_victim_close(&l->actx, &lv->v);
		lv->used = false;
	}
	for (size_t i = 0; l->groups && i < LOOP_GROUPS_MAX; i++) {
		if (l->groups[i].used && !l->groups[i].whole_cgroup)
			act_group_close(&l->actx, &l->groups[i].g);
		l->groups[i].used = false;
	}
}

/* ------------------------------------------------------------------ self-test */

int loop_self_test(struct loop *l)
{
	static const enum pol_action_kind kinds[] = {
		POL_ACT_REPORT,		POL_ACT_DROP_SLAB, POL_ACT_DROP_CACHES, POL_ACT_COMPACT,
		POL_ACT_RECLAIM_CGROUP, POL_ACT_THROTTLE,  POL_ACT_FREEZE,	POL_ACT_MIGRATE,
	};
	struct act_ctx dry = l->actx;
	struct pol_action a = { 0 };
	struct act_victim v;
	struct og_proc self;
	int saved = log_get_max_level(), adj = 0, r, ret = 0;
	bool self_ok;

	/* Dry-run everything, and let it target ourselves: nothing is written or sent. */
	dry.dry_run = true;
	dry.denied = NULL;
	dry.self_pid = -1;
	og_strscpy(a.rule, "self-test", sizeof(a.rule));
	og_strscpy(a.reason, "start-up self-test (dry-run)", sizeof(a.reason));
	a.target.pid = getpid();
	a.target.node = 0;
	a.target.node_to = 0;
	og_strscpy(a.target.cgroup, l->scope[0] ? l->scope : "/oomguardian-self-test",
		   sizeof(a.target.cgroup));
	if (saved < LOG_DEBUG)
		log_set_max_level(LOG_WARNING);

	self_ok = src_read_proc(&l->col.root, getpid(), &self) == 0;
	if (self_ok) {
		a.target.starttime_ticks = self.starttime_ticks;
		if (act_get_oom_score_adj(&dry, getpid(), &adj) >= 0)
			act_set_oom_score_adj(&dry, getpid(), self.starttime_ticks, adj, &a);
	}
	for (size_t i = 0; i < OG_ELEMENTSOF(kinds); i++) {
		a.kind = kinds[i];
		a.target.kind = i == 0 ? POL_TGT_SYSTEM : POL_TGT_CGROUP;
		if (kinds[i] == POL_ACT_MIGRATE)
			a.target.kind = POL_TGT_PROCESS;
		if (kinds[i] == POL_ACT_THROTTLE || kinds[i] == POL_ACT_RECLAIM_CGROUP)
			a.value = OG_UNLIMITED;
		r = act_mem_apply(&dry, &a);
		if (r < 0 && r != -EOPNOTSUPP && r != -ENOENT && r != -EINVAL)
			(void)log_debug_errno(r, "self-test %s: %m", pol_action_name(kinds[i]));
	}
	a.target.kind = POL_TGT_PROCESS;
	a.kind = POL_ACT_TERM;
	if (self_ok && act_victim_open(&dry, getpid(), a.target.starttime_ticks, &v) >= 0) {
		act_victim_term(&dry, &v, &a);
		a.kind = POL_ACT_KILL;
		act_victim_kill(&dry, &v, &a);
		act_victim_wait(&dry, &v, 0);
		act_victim_close(&dry, &v);
	} else if (strcmp(l->root_dir, "/") == 0) {
		ret = -ESRCH; /* on the live system a dry-run victim open of ourselves must work */
	}
	a.target.kind = POL_TGT_CGROUP;
	og_strscpy(a.target.cgroup, "/oomguardian-self-test-none", sizeof(a.target.cgroup));
	act_kill_cgroup(&dry, a.target.cgroup, &a);
	log_set_max_level(saved);
	/* One full snapshot too: readers size their buffers on the first read (src_bigread),
	 * which must happen before mlockall, not under pressure. */
	r = og_snapshot_take(&l->col, OG_SNAP_ALL, l->scope, loop_now_usec(), &l->snap);
	if (r < 0 && ret == 0)
		ret = r;
	return ret;
}
