/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Victim choice.
 *
 * Who can never be a victim: PID 1 and 2, kernel threads (PF_KTHREAD in their stat flags: a
 * user process that cleared its cmdline and whose exe is unreadable, a zombie's or another
 * user's, is still a user process; so is a usermode helper that kthreadd forked, ppid 2, such
 * as a core dump pipe handler), the daemon itself, processes with
 * oom_score_adj -1000 (someone, e.g. systemd's OOMScoreAdjust=, told the kernel never to kill
 * them; we honour that as KillPreference=never), zombies (already dead:
 * their memory goes once the parent reaps them), processes whose merged policy protects them
 * (Protect=yes in any matching file) or says KillPreference=never, processes outside the guarded
 * scope (cgroup path prefix at a '/' boundary, cgroup2 path or v1 memory path), victims already
 * signalled and still alive (struct pol_victim_rec), and anything that would free nothing.
 *
 * Badness = the memory killing would actually give back:
 *   process:        RssAnon + VmSwap (og_proc.rss_source says where the anon count came from:
 *                   before Linux 4.5 status has no RssAnon, and statm's resident - shared is
 *                   the same MM_ANONPAGES counter; VmRSS alone is an upper bound; the plan's
 *                   reason names any estimate other than status). Not RssShmem: tmpfs files
 *                   and SysV/POSIX segments outlive the process, and shared anonymous memory
 *                   stays while another process maps it. Not RssFile: clean page cache is
 *                   reclaimable without killing anybody and dirty pages are written back, not
 *                   freed, by a kill.
 *   process-group:  the sum over the live members of its process group (same pgid).
 *   cgroup:         memory.current - file (file includes shmem in memory.stat: it stays) plus
 *                   the members' swap, when the cgroup is in the snapshot with its memory
 *                   counters; this counts kernel memory (slab, stacks, page tables) freed with
 *                   it. Otherwise the sum over its live members as for a process group.
 * A group or cgroup containing a process that may never be signalled (protected, never, PID 1,
 * the daemon) cannot go as a unit: the candidate falls back to its single process. Neither can
 * the root cgroup or the scope cgroup itself (that would be everything guarded).
 *
 * Ranking, best victim first:
 *   1. tier: prefer (KillPreference=prefer, strongly first) < over budget (its service
 *      instance, the policy within its unit, exceeds MemoryBudget= or its PressureLimit=, even
 *      if it says avoid: it broke its own contract)
 *      < [avoid, promoted] < default < avoid. Avoid is promoted ahead of the default tier only
 *      when the caller says how much must be freed (needed_bytes) and no non-avoid candidate
 *      frees that much while an avoid candidate frees more than the best of them.
 *   2. badness, larger first;  3. oom_score, larger first (the kernel's own view as a
 *      tie-breaker);  4. lower pid (deterministic).
 */
#include <string.h>

#include "policy/engine/pol_findings.h"
#include "policy/engine/pol_victim.h"
#include "policy/util/strutil.h"

const char *pol_rss_source_name(enum og_rss_source src)
{
	switch (src) {
	case OG_RSS_STATUS:
		return "status";
	case OG_RSS_STATM:
		return "statm";
	case OG_RSS_SMAPS_ROLLUP:
		return "smaps_rollup";
	case OG_RSS_VMRSS:
		return "vmrss";
	default:
		return "none";
	}
}

const char *pol_rss_source_text(enum og_rss_source src)
{
	switch (src) {
	case OG_RSS_STATM:
		return "anon from statm, no RssAnon before Linux 4.5";
	case OG_RSS_SMAPS_ROLLUP:
		return "anon from smaps_rollup, no RssAnon in status";
	case OG_RSS_VMRSS:
		return "anon taken as all of VmRSS, file pages included";
	default:
		return NULL;
	}
}

uint64_t pol_proc_freeable(const struct og_proc *p)
{
	return p->rss_anon_bytes + p->swap_bytes;
}

bool pol_in_scope(const char *scope, const char *cg)
{
	size_t n;

	if (!scope || !scope[0] || strcmp(scope, "/") == 0)
		return true;
	if (!cg || !cg[0])
		return false;
	n = strlen(scope);
	while (n > 1 && scope[n - 1] == '/')
		n--;
	return strncmp(scope, cg, n) == 0 && (cg[n] == '\0' || cg[n] == '/');
}

static bool proc_in_scope(const char *scope, const struct og_proc *p)
{
	return pol_in_scope(scope, p->cgroup) ||
	       (p->memcg_v1[0] && pol_in_scope(scope, p->memcg_v1));
}

bool pol_proc_kthread(const struct og_proc *p)
{
	return p->kthread || p->pid == 2;
}

static bool is_dead(const struct og_proc *p)
{
	return p->state == 'Z' || p->state == 'X' || p->state == 'x';
}

/* May this process ever be signalled by us (independent of the scope and of victims)? */
static bool never_signalled(const struct og_proc *p, const struct pol_proc_policy *pp,
			    pid_t self_pid)
{
	return p->pid <= 1 || pol_proc_kthread(p) || (self_pid > 0 && p->pid == self_pid) ||
	       pp->protect || pp->kill_pref == POL_KP_NEVER || p->oom_score_adj <= -1000;
}

static bool rec_covers(const struct pol_victim_rec *rec, const struct og_proc *p)
{
	switch (rec->target.kind) {
	case POL_TGT_PROCESS:
		return rec->target.pid == p->pid &&
		       rec->target.starttime_ticks == p->starttime_ticks;
	case POL_TGT_PROCESS_GROUP:
		return rec->target.pgid == p->pgid;
	case POL_TGT_CGROUP:
		return rec->target.cgroup[0] && strcmp(rec->target.cgroup, "/") != 0 &&
		       pol_in_scope(rec->target.cgroup, p->cgroup);
	default:
		return false;
	}
}

static bool in_flight(const struct pol_victim_opts *o, const struct og_proc *p)
{
	for (size_t i = 0; i < o->ninflight; i++)
		if (rec_covers(&o->inflight[i], p))
			return true;
	return false;
}

bool pol_victim_eligible(const struct og_snapshot *s, const struct og_proc *p,
			 const struct pol_proc_policy *pp, const struct pol_victim_opts *o)
{
	(void)s;
	if (never_signalled(p, pp, o->self_pid) || is_dead(p))
		return false;
	if (!proc_in_scope(o->scope, p))
		return false;
	if (o->only_svc && pp->svc != o->only_svc)
		return false;
	if (o->only_key && strcmp(pol_service_key(p), o->only_key) != 0)
		return false;
	if (o->only_mems && (!p->mems_mask || (p->mems_mask & ~o->only_mems)))
		return false;
	return !in_flight(o, p);
}

static void policy_of(const struct og_snapshot *s, const struct pol_rules *r,
		      const struct pol_victim_opts *o, size_t i, struct pol_proc_policy *ret)
{
	if (o->policies)
		*ret = o->policies[i];
	else
		pol_policy_for(r, &s->procs[i], ret);
}

static const struct og_cgroup *find_cgroup(const struct og_snapshot *s, const struct og_proc *p)
{
	for (size_t i = 0; i < s->ncgroups; i++) {
		const struct og_cgroup *cg = &s->cgroups[i];

		if (strcmp(cg->path, p->cgroup) == 0 ||
		    (p->memcg_v1[0] && strcmp(cg->path, p->memcg_v1) == 0))
			return cg;
	}
	return NULL;
}

uint64_t pol_cgroup_hash(const char *path)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const unsigned char *c = (const unsigned char *)path; *c; c++)
		h = (h ^ *c) * 0x100000001b3ull;
	return h;
}

static bool same_unit(const struct og_snapshot *s, const struct pol_victim_opts *o,
		      enum pol_kill_unit ku, size_t a, size_t b)
{
	if (ku == POL_KU_PROCESS_GROUP)
		return s->procs[a].pgid == s->procs[b].pgid;
	if (o->cgroup_hash && o->cgroup_hash[a] != o->cgroup_hash[b])
		return false;
	return strcmp(s->procs[a].cgroup, s->procs[b].cgroup) == 0;
}

/*
 * For a group/cgroup candidate: sum the members, find the representative (largest freeable,
 * then lowest pid). Returns false if the unit cannot go as a whole.
 */
static bool group_scan(const struct og_snapshot *s, const struct pol_rules *r,
		       const struct pol_victim_opts *o, enum pol_kill_unit ku, size_t me,
		       uint64_t *ret_sum, uint64_t *ret_swap, size_t *ret_rep)
{
	uint64_t sum = 0, swap = 0, best = 0;
	size_t best_i = (size_t)-1;

	for (size_t i = 0; i < s->nprocs; i++) {
		const struct og_proc *q = &s->procs[i];
		struct pol_proc_policy qp;
		uint64_t f;

		if (!same_unit(s, o, ku, me, i))
			continue;
		policy_of(s, r, o, i, &qp);
		if (never_signalled(q, &qp, o->self_pid))
			return false;
		if (is_dead(q) || in_flight(o, q))
			continue;
		f = pol_proc_freeable(q);
		sum += f;
		swap += q->swap_bytes;
		if (best_i == (size_t)-1 || f > best ||
		    (f == best && q->pid < s->procs[best_i].pid)) {
			best = f;
			best_i = i;
		}
	}
	*ret_sum = sum;
	*ret_swap = swap;
	*ret_rep = best_i;
	return true;
}

static bool cgroup_unit_ok(const struct og_proc *p, const struct pol_victim_opts *o)
{
	if (!p->cgroup[0] || strcmp(p->cgroup, "/") == 0)
		return false;
	if (o->scope && o->scope[0] && strcmp(o->scope, "/") != 0 &&
	    pol_in_scope(p->cgroup, o->scope))
		return false; /* the scope itself or a parent of it */
	return true;
}

static enum pol_tier tier_of(const struct pol_proc_policy *pp, bool over_budget)
{
	if (pp->kill_pref == POL_KP_PREFER)
		return POL_TIER_PREFER;
	if (over_budget)
		return POL_TIER_OVER_BUDGET;
	if (pp->kill_pref == POL_KP_AVOID)
		return POL_TIER_AVOID;
	return POL_TIER_DEFAULT;
}

/* Build the candidate for process index i. false: not a candidate (or not representative). */
static bool make_candidate(const struct og_snapshot *s, const struct pol_rules *r,
			   const struct pol_victim_opts *o, size_t i, struct pol_candidate *ret)
{
	const struct og_proc *p = &s->procs[i];
	struct pol_proc_policy pp;
	struct pol_candidate c = {.proc_index = i, .oom_score = p->oom_score};
	enum pol_kill_unit ku;
	size_t si;

	policy_of(s, r, o, i, &pp);
	if (!pol_victim_eligible(s, p, &pp, o))
		return false;
	si = pol_service_index(r, pp.svc);
	c.pref = pp.kill_pref;
	c.over_budget = o->is_over_budget && si != (size_t)-1 &&
			o->is_over_budget(o->over_budget_data, si, pol_service_key(p));
	c.tier = tier_of(&pp, c.over_budget);
	c.free_bytes = pol_proc_freeable(p);
	c.target.kind = POL_TGT_PROCESS;
	ku = pp.kill_unit;
	if (ku == POL_KU_CGROUP && !cgroup_unit_ok(p, o))
		ku = POL_KU_PROCESS;
	if (ku != POL_KU_PROCESS) {
		uint64_t sum, swap;
		size_t rep;

		if (group_scan(s, r, o, ku, i, &sum, &swap, &rep)) {
			const struct og_cgroup *cg = ku == POL_KU_CGROUP ? find_cgroup(s, p) : NULL;

			if (rep != i)
				return false; /* another member stands for the unit */
			c.free_bytes = sum;
			if (cg && cg->has_memory && cg->current_bytes >= cg->file_bytes)
				c.free_bytes = cg->current_bytes - cg->file_bytes + swap;
			c.target.kind =
				ku == POL_KU_CGROUP ? POL_TGT_CGROUP : POL_TGT_PROCESS_GROUP;
		}
	}
	if (c.free_bytes == 0)
		return false;
	c.target.pid = p->pid;
	c.target.starttime_ticks = p->starttime_ticks;
	c.target.pgid = p->pgid;
	c.target.node = -1;
	c.target.node_to = -1;
	c.target.expected_free_bytes = c.free_bytes;
	og_strscpy(c.target.cgroup, p->cgroup, sizeof(c.target.cgroup));
	og_strscpy(c.target.comm, p->comm, sizeof(c.target.comm));
	og_strscpy(c.target.unit, p->unit, sizeof(c.target.unit));
	if (pp.svc) {
		og_strscpy(c.service, pp.svc->name, sizeof(c.service));
		og_strscpy(c.rule, pp.svc->origin.path, sizeof(c.rule));
	}
	*ret = c;
	return true;
}

/* <0: a ranks before b. */
static int cand_cmp(const struct pol_candidate *a, const struct pol_candidate *b)
{
	if (a->tier != b->tier)
		return a->tier < b->tier ? -1 : 1;
	if (a->free_bytes != b->free_bytes)
		return a->free_bytes > b->free_bytes ? -1 : 1;
	if (a->oom_score != b->oom_score)
		return a->oom_score > b->oom_score ? -1 : 1;
	if (a->target.pid != b->target.pid)
		return a->target.pid < b->target.pid ? -1 : 1;
	return 0;
}

static void top_insert(struct pol_candidate *top, size_t *n, size_t max,
		       const struct pol_candidate *c)
{
	size_t pos = *n;

	while (pos > 0 && cand_cmp(c, &top[pos - 1]) < 0)
		pos--;
	if (pos >= max)
		return;
	if (*n < max)
		(*n)++;
	memmove(&top[pos + 1], &top[pos], (*n - 1 - pos) * sizeof(*top));
	top[pos] = *c;
}

/* ------------------------------------------------------------------ cgroup-first */

/* Groups inside the scope (not the scope itself, not the root) that have memory counters. */
static bool cg_rankable(const struct og_cgroup *cg, const char *scope)
{
	if (!cg->has_memory || !cg->path[0] || strcmp(cg->path, "/") == 0)
		return false;
	if (!pol_in_scope(scope, cg->path))
		return false;
	return !(scope && scope[0] && strcmp(scope, "/") != 0 && pol_in_scope(cg->path, scope));
}

size_t pol_cgroups_rank(const struct og_snapshot *s, const char *scope, struct pol_cg_rank *ret,
			size_t max)
{
	size_t n = 0;

	if (!s || !ret || max == 0)
		return 0;
	for (size_t i = 0; i < s->ncgroups; i++) {
		const struct og_cgroup *cg = &s->cgroups[i];
		struct pol_cg_rank c;
		size_t pos;

		if (!cg_rankable(cg, scope))
			continue;
		c = (struct pol_cg_rank){.index = i,
					 .hash = pol_cgroup_hash(cg->path),
					 .free_bytes = cg->current_bytes >= cg->file_bytes
							       ? cg->current_bytes - cg->file_bytes
							       : 0};
		for (pos = n; pos > 0 && c.free_bytes > ret[pos - 1].free_bytes; pos--)
			;
		if (pos >= max)
			continue;
		if (n < max)
			n++;
		memmove(&ret[pos + 1], &ret[pos], (n - 1 - pos) * sizeof(*ret));
		ret[pos] = c;
	}
	return n;
}

/* The ranked group p's KillUnit=cgroup would take, or -1 (not ranked: the per-process way). */
static int cg_rank_of(const struct og_snapshot *s, const struct pol_victim_opts *o, size_t i,
		      const struct pol_cg_rank *rank, size_t nrank)
{
	const struct og_proc *p = &s->procs[i];
	uint64_t h = o->cgroup_hash ? o->cgroup_hash[i] : pol_cgroup_hash(p->cgroup);

	for (size_t k = 0; k < nrank; k++) {
		const char *path = s->cgroups[rank[k].index].path;

		/* make_candidate() finds the group by either path (v1 memory or cgroup2) */
		if ((rank[k].hash == h && strcmp(path, p->cgroup) == 0) ||
		    (p->memcg_v1[0] && strcmp(path, p->memcg_v1) == 0))
			return (int)k;
	}
	return -1;
}

/* Avoid candidates kept aside in one pass; beyond this many, a promoted avoid tier is cut. */
#define AVOID_KEEP 16

/* Rank c: the others into ret, avoid aside (whether it is promoted depends on all of them). */
static void consider(const struct pol_candidate *c, struct pol_candidate *ret, size_t *n,
		     size_t max, struct pol_candidate *avoid, size_t *navoid, uint64_t *best_other,
		     uint64_t *best_avoid)
{
	if (c->tier == POL_TIER_AVOID) {
		if (c->free_bytes > *best_avoid)
			*best_avoid = c->free_bytes;
		top_insert(avoid, navoid, max < AVOID_KEEP ? max : AVOID_KEEP, c);
	} else {
		if (c->free_bytes > *best_other)
			*best_other = c->free_bytes;
		top_insert(ret, n, max, c);
	}
}

/* One ranked group, from its member `first`: the group as a unit (its representative), or,
 * when it cannot go whole (a protected member), each eligible member by itself. */
static void look_inside(const struct og_snapshot *s, const struct pol_rules *r,
			const struct pol_victim_opts *o, size_t first, struct pol_candidate *ret,
			size_t *n, size_t max, struct pol_candidate *avoid, size_t *navoid,
			uint64_t *best_other, uint64_t *best_avoid)
{
	struct pol_candidate c;
	uint64_t sum, swap;
	size_t rep;

	if (group_scan(s, r, o, POL_KU_CGROUP, first, &sum, &swap, &rep)) {
		if (rep != (size_t)-1 && make_candidate(s, r, o, rep, &c))
			consider(&c, ret, n, max, avoid, navoid, best_other, best_avoid);
		return;
	}
	for (size_t i = 0; i < s->nprocs; i++)
		if (same_unit(s, o, POL_KU_CGROUP, first, i) && make_candidate(s, r, o, i, &c))
			consider(&c, ret, n, max, avoid, navoid, best_other, best_avoid);
}

size_t pol_victims(const struct og_snapshot *s, const struct pol_rules *r,
		   const struct pol_victim_opts *o, struct pol_candidate *ret, size_t max)
{
	struct pol_candidate avoid[AVOID_KEEP];
	struct pol_cg_rank rank[POL_CG_RANK_MAX];
	uint64_t best_other = 0, best_avoid = 0;
	size_t n = 0, navoid = 0, nrank;
	bool promote;

	if (!s || !o || !ret || max == 0)
		return 0;
	/* One pass: the others ranked into ret, avoid aside (whether it is promoted depends on
	 * all of them). Avoid ranks last unless promoted, so adding it at the end is right. */
	/* Cgroup-first: the groups ranked by their own counters; a KillUnit=cgroup process in
	 * one of them is not ranked by itself (that would sum its group once per member), its
	 * group is looked into below, largest first, and only those groups. */
	nrank = pol_cgroups_rank(s, o->scope, rank, POL_CG_RANK_MAX);
	for (size_t i = 0; i < s->nprocs; i++) {
		struct pol_candidate c;
		struct pol_proc_policy pp;
		int k;

		if (nrank) {
			policy_of(s, r, o, i, &pp);
			if (pp.kill_unit == POL_KU_CGROUP && (k = cg_rank_of(s, o, i, rank, nrank)) >= 0) {
				if (rank[k].first == 0)
					rank[k].first = i + 1;
				continue;
			}
		}
		if (make_candidate(s, r, o, i, &c))
			consider(&c, ret, &n, max, avoid, &navoid, &best_other, &best_avoid);
	}
	for (size_t k = 0; k < nrank; k++)
		if (rank[k].first)
			look_inside(s, r, o, rank[k].first - 1, ret, &n, max, avoid, &navoid,
				    &best_other, &best_avoid);
	promote = o->needed_bytes > 0 && best_other < o->needed_bytes && best_avoid > best_other;
	for (size_t k = 0; k < navoid; k++) {
		if (promote)
			avoid[k].tier = POL_TIER_AVOID_NEEDED;
		top_insert(ret, &n, max, &avoid[k]);
	}
	return n;
}
