/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The loop's process table (issue 7): kept current by process events and bounded background
 * rescans (sources/proc_table.c), read at decision time for ranking only.
 *
 * A decision (loop_procs_fill) enumerates the authoritative list of the guarded processes (the
 * scope's cgroup.procs, recursively; the whole machine: proc/), so a lost event or a table that
 * could not grow never hides a process: what the table lacks is read there and then (the only
 * cost that grows with new processes). Each candidate costs one statm read (its anon RSS), or
 * in the terminate/kill zone only the best few of the last full ranking do (LOOP_FRESH_TOP);
 * comm, exe, cmdline, cgroup and the matching policy come from the table. The engine gets the
 * candidates that can matter: every in-flight victim, every process whose policy kills process
 * groups or cgroups or budgets its service (the engine sums those), and the best
 * LOOP_CAND_MAX of the rest by (KillPreference tier, anon RSS), the engine's own ranking keys.
 * Cgroup-first: KillUnit=cgroup processes in groups the engine ranks by their own counters
 * (pol_cgroups_rank) cost no read, except those of the best such group (rank_groups).
 * When the must-haves alone overflow the array the view is partial: said once at WARNING and in
 * every report made from it (process_table=partial).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardian/base/log.h"
#include "guardian/loop/loop_int.h"
#include "guardian/sources/src_proc.h"
#include "guardian/sources/src_statmkeep.h"
#include "policy/engine/pol_match.h"
#include "policy/util/cleanup.h"
#include "policy/util/strutil.h"

/* ------------------------------------------------------------------ cached policy */

static uint32_t tag_of_proc(const struct loop *l, const struct og_proc *p)
{
	struct pol_proc_policy pp;
	uint32_t t = LOOP_TAG_VALID;

	pol_policy_for(&l->rules, p, &pp);
	if (pp.protect || pp.kill_pref == POL_KP_NEVER || p->oom_score_adj <= -1000 ||
	    p->pid <= 1 || (l->pctx.self_pid > 0 && p->pid == l->pctx.self_pid))
		t |= LOOP_TAG_NEVER;
	if (pp.kill_pref == POL_KP_PREFER)
		t |= LOOP_TAG_PREFER;
	else if (pp.kill_pref == POL_KP_AVOID)
		t |= LOOP_TAG_AVOID;
	if (pp.svc && (pp.svc->budget_bytes || pp.svc->budget_permyriad ||
		       pp.svc->pressure_limit.set || pp.svc->throttle))
		t |= LOOP_TAG_MUST;
	else if (pp.kill_unit == POL_KU_CGROUP)
		t |= LOOP_TAG_MUST | LOOP_TAG_KU_CGROUP;
	if (pp.kill_unit != POL_KU_PROCESS)
		t |= LOOP_TAG_MUST;
	if (pp.oom_score_adj_by)
		t |= LOOP_TAG_ADJ;
	if (!loop_proc_in_scope(l, p))
		t |= LOOP_TAG_OUTSIDE;
	return t;
}

/* A process loaded into the table (event, rescan or decision): its policy, its protection. */
static void loaded(void *userdata, struct pt_proc *e)
{
	struct loop *l = userdata;
	struct og_proc *p = l->scratch;

	e->tag &= LOOP_TAG_HAS_COPY; /* the rest is recomputed now */
	loop_lineage_proc(l, e, p, true);
	e->tag |= tag_of_proc(l, p) | (uint32_t)p->parent_exe << LOOP_TAG_PARENT_SHIFT;
	if ((e->tag & LOOP_TAG_ADJ) && !(e->tag & LOOP_TAG_OUTSIDE))
		loop_protect_proc(l, p);
	else
		loop_lineage_check(l, e);
}

/*
 * Loaded off the decision path (an event, a rescan): a scoped daemon keeps only its scope's
 * processes, so its table and its rescans grow with the scope, not the machine (issue 7). A
 * process outside is dropped again; its next exec or comm event costs one read, as before.
 */
static void loaded_bg(void *userdata, struct pt_proc *e)
{
	struct loop *l = userdata;

	loaded(l, e);
	if (l->scope[0] && (e->tag & LOOP_TAG_OUTSIDE))
		proc_table_remove(&l->table, e->pid); /* callers walk from the end: safe */
}

void loop_procs_retag(struct loop *l)
{
	for (size_t i = 0; i < l->table.n; i++) {
		struct pt_proc *e = &l->table.ents[i];

		if (e->flags & (PT_STALE | PT_KTHREAD | PT_UNREADABLE))
			continue;
		loop_lineage_proc(l, e, l->scratch, false);
		e->tag = tag_of_proc(l, l->scratch) | (e->tag & LOOP_TAG_HAS_COPY) |
			 (uint32_t)l->scratch->parent_exe << LOOP_TAG_PARENT_SHIFT;
	}
}

bool loop_procs_protected(struct loop *l, pid_t pid, uint64_t starttime_ticks, bool *ret_known)
{
	struct pt_proc *e = proc_table_get(&l->table, pid);

	*ret_known = false;
	if (!e || (e->flags & PT_STALE) || e->starttime_ticks != starttime_ticks ||
	    !(e->tag & LOOP_TAG_VALID))
		return false;
	*ret_known = true;
	return (e->tag & (LOOP_TAG_NEVER | LOOP_TAG_OUTSIDE)) != 0;
}

bool loop_procs_cgroup_has_protected(struct loop *l, const char *cg)
{
	for (size_t i = 0; i < l->table.n; i++) {
		const struct pt_proc *e = &l->table.ents[i];

		if (!(e->tag & LOOP_TAG_NEVER) || (e->flags & PT_KTHREAD))
			continue;
		if (pol_in_scope(cg, pt_str(e->cgroup)) ||
		    (pt_str(e->memcg_v1)[0] && pol_in_scope(cg, pt_str(e->memcg_v1))))
			return true;
	}
	return false;
}

/* ------------------------------------------------------------------ keeping it current */

static void remember(struct pt_proc *e, uint64_t anon)
{
	e->anon_kib = anon >> 10 > UINT32_MAX ? UINT32_MAX : (uint32_t)(anon >> 10);
	e->flags |= PT_MEASURED;
}

static int scope_dir(const struct loop *l);
static void walk_cgroup(struct loop *l, int dirfd, int depth, void (*fn)(struct loop *, pid_t));

/*
 * proc_table.admit of a scoped daemon: is pid inside the scope? One small read
 * (proc/PID/cgroup) before the eight files of a full load, so a fork or exec elsewhere on the
 * machine costs that read only (issue 7). Unscoped, or unreadable (gone): no read, or false.
 */
static bool admit_in_scope(void *userdata, pid_t pid)
{
	struct loop *l = userdata;
	char path[32], buf[4096]; /* cgroup: one line a hierarchy (~600 B hybrid) */

	if (!l->scope[0])
		return true;
	snprintf(path, sizeof(path), "%d/cgroup", (int)pid);
	l->scratch->cgroup[0] = l->scratch->memcg_v1[0] = '\0';
	if (og_read_at(l->col.root.proc_fd, path, buf, sizeof(buf)) < 0 ||
	    src_proc_parse_cgroup(buf, l->scratch) < 0)
		return false;
	return loop_proc_in_scope(l, l->scratch);
}

static void count_visit(struct loop *l, pid_t pid)
{
	(void)pid;
	l->fill_seen++;
}

int loop_procs_init(struct loop *l)
{
	char buf[32];
	uint64_t pid_max = 4194304; /* PID_MAX_LIMIT on 64-bit */
	size_t initial = 4096;
	int r;

	if (og_read_at(l->col.root.proc_fd, "sys/kernel/pid_max", buf, sizeof(buf)) > 0 &&
	    og_parse_u64_prefix(buf, &pid_max, &(const char *){NULL}) < 0)
		pid_max = 4194304;
	/* Twice what runs now (at least 4096), touched now; it doubles when full. A scoped
	 * daemon's table holds the scope's processes only: it counts those. */
	if (l->scope[0]) {
		_cleanup_close_ int dfd = scope_dir(l);

		l->fill_seen = 0;
		if (dfd >= 0)
			walk_cgroup(l, dfd, 0, count_visit);
		while (initial < 2 * l->fill_seen)
			initial <<= 1;
		l->fill_seen = 0;
	} else {
		_cleanup_close_ int fd =
			openat(l->col.root.proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		char dents[8192] __attribute__((aligned(8)));
		ssize_t n;
		size_t count = 0;

		while (fd >= 0 && (n = getdents64(fd, dents, sizeof(dents))) > 0)
			count += (size_t)n / 24; /* an upper bound: >= 24 bytes a pid entry */
		while (initial < 2 * count)
			initial <<= 1;
	}
	r = proc_table_init(&l->table, initial, pid_max);
	if (r < 0)
		return r;
	l->table.admit = admit_in_scope;
	l->table.admit_data = l;
	l->scratch = malloc(sizeof(*l->scratch));
	l->cand = malloc(LOOP_CAND_MAX * sizeof(*l->cand));
	l->must = malloc(LOOP_CAND_MAX * sizeof(*l->must));
	if (!l->scratch || !l->cand || !l->must)
		return -ENOMEM;
	memset(l->scratch, 0x5a, sizeof(*l->scratch));
	memset(l->cand, 0x5a, LOOP_CAND_MAX * sizeof(*l->cand));
	memset(l->must, 0x5a, LOOP_CAND_MAX * sizeof(*l->must));
	return 0;
}

void loop_procs_free(struct loop *l)
{
	proc_table_free(&l->table);
	free(l->scratch);
	free(l->cand);
	free(l->must);
	l->scratch = NULL;
	l->cand = l->must = NULL;
}

static void table_partial_warn(struct loop *l)
{
	if (!l->table.partial || l->table_partial_logged)
		return;
	l->table_partial_logged = true;
	log_warning("process table full at %zu processes (could not grow): decisions read what "
		    "it lacks directly, at a cost that grows with the number of processes",
		    l->table.n);
}

void loop_procs_event(struct loop *l, enum pe_kind kind, pid_t pid, pid_t parent)
{
	l->table.clock_ms = (uint32_t)(loop_now_usec() / 1000);
	switch (kind) {
	case PE_FORK: /* a copy of parent: what fork copies comes from its entry (proc_table.h) */
		if (proc_table_note_fork(&l->table, pid, parent) < 0)
			table_partial_warn(l);
		break;
	case PE_UID: /* User= may match it now, or no longer (rare: a privilege drop) */
		log_debug("process event: pid %d changed its uid", (int)pid);
		/* fall through */
	case PE_EXEC:
	case PE_COMM:
		if (proc_table_note(&l->table, pid) < 0)
			table_partial_warn(l);
		break;
	case PE_EXIT:
		loop_lineage_exit(l, pid);
		proc_table_remove(&l->table, pid);
		break;
	case PE_OVERFLOW:
		log_debug("proc connector overflowed: events lost, a deep rescan heals the table");
		l->rescan_deep_due = true;
		break;
	}
}

/*
 * Bounded work for one timer tick: stale entries first (new processes), then a rescan step.
 * Returns true when more work is waiting (the caller comes back soon).
 */
/*
 * Could a process called comm match a policy that sets OOMScoreAdjust=? Only when every such
 * policy lists Name= can the answer be "no" from the comm alone (all keys of a [Match] must
 * match). A build starts thousands of cc1/as/ld a minute: one read of /proc/PID/comm each
 * instead of eight files is what keeps the daemon idle on such a machine.
 */
static bool comm_may_match(const struct loop *l, const char *comm)
{
	for (size_t i = 0; i < l->rules.nservices; i++) {
		const struct pol_service *s = &l->rules.services[i];

		if (!s->has_oom_score_adj)
			continue;
		if (s->match.all || s->match.name.n == 0)
			return true;
		for (size_t j = 0; j < s->match.name.n; j++)
			if (strcmp(s->match.name.v[j], comm) == 0)
				return true;
	}
	return false;
}

static bool rules_protect(const struct loop *l)
{
	for (size_t i = 0; i < l->rules.nservices; i++)
		if (l->rules.services[i].has_oom_score_adj)
			return true;
	return false;
}

/* New processes that an OOMScoreAdjust= policy may match are read (and protected) at once;
 * the others wait for LOOP_TABLE_SETTLE_MS. One comm read each, once per exec. */
static void peek_new(struct loop *l, size_t budget)
{
	size_t seen = 0, want = l->table.nstale;

	if (!want || !rules_protect(l))
		return;
	/* Unread entries only: it stops once it has seen as many as there were. */
	for (size_t i = l->table.n; i > 0 && budget > 0 && seen < want; i--) {
		struct pt_proc *e;
		char path[32], comm[64]; /* TASK_COMM_LEN is 16 */
		pid_t pid;

		if (i > l->table.n)
			continue;
		e = &l->table.ents[i - 1];
		if (!(e->flags & PT_STALE))
			continue;
		seen++;
		if (e->flags & PT_PEEKED)
			continue;
		/* A copy of a process read whole has its comm and its oom_score_adj (the parent's
		 * protection is inherited): no policy can match it that did not match the parent.
		 */
		if (proc_table_fork_parent(&l->table, e))
			continue;
		budget--;
		pid = e->pid;
		e->flags |= PT_PEEKED;
		snprintf(path, sizeof(path), "%d/comm", (int)pid);
		if (og_read_at(l->col.root.proc_fd, path, comm, sizeof(comm)) < 0) {
			proc_table_remove(&l->table, pid); /* gone already */
			continue;
		}
		comm[strcspn(comm, "\n")] = '\0';
		if (!comm_may_match(l, comm))
			continue;
		/* The tests wait for this to tell a protection on the event from a later rescan. */
		log_debug("process event: pid %d may match a policy, checking it", (int)pid);
		if (!admit_in_scope(l, pid)) {
			l->table.nrefused++;
			proc_table_remove(&l->table,
					  pid); /* outside the scope: nothing more read */
			continue;
		}
		e = proc_table_load(&l->table, &l->col.root, pid, NULL);
		if (e)
			loaded_bg(l, e);
	}
}

/* A process's anon RSS from its statm: near a stage through the kept fds (src_statmkeep.h). */
static int statm_anon(struct loop *l, pid_t pid, uint64_t *ret)
{
	return src_statm_anon_kept(l->near ? l->statm_keep : NULL, &l->col.root, pid,
				   l->col.page_size, ret);
}

/*
 * One step of the background measurement (while a stage is near): statm of the next
 * LOOP_SWEEP_PER_TICK guarded entries. A pass that reaches the end dates the ranking.
 */
static void sweep_step(struct loop *l, uint64_t now)
{
	size_t budget = LOOP_SWEEP_PER_TICK;

	/* a table swept in less than LOOP_SWEEP_REST_USEC rests until then: ten sweeps a second
	 * of a small machine's table are no fresher for a decision than one */
	if (l->sweep_pos == 0 && l->last_rank_usec &&
	    now - l->last_rank_usec < LOOP_SWEEP_REST_USEC)
		return;
	if (l->sweep_pos == 0)
		l->sweep_started_usec = now;
	while (budget > 0 && l->sweep_pos < l->table.n) {
		struct pt_proc *e = &l->table.ents[l->sweep_pos];
		uint64_t anon;

		/* not read yet (stale): measured too, its tag is not known yet */
		if ((e->flags & (PT_KTHREAD | PT_UNREADABLE)) ||
		    (!(e->flags & PT_STALE) && (!(e->tag & LOOP_TAG_VALID) ||
						(e->tag & (LOOP_TAG_NEVER | LOOP_TAG_OUTSIDE))))) {
			l->sweep_pos++;
			continue;
		}
		budget--;
		if (statm_anon(l, e->pid, &anon) < 0) {
			proc_table_remove(&l->table, e->pid); /* gone: the last entry moves here */
			continue;
		}
		remember(e, anon);
		l->sweep_pos++;
		if ((budget & 63) == 0 && loop_now_usec() - now > LOOP_TABLE_WORK_USEC)
			break; /* the rest in the next step: the poll comes first */
	}
	if (l->sweep_pos >= l->table.n) {
		l->last_rank_usec = l->sweep_started_usec;
		l->sweep_pos = 0;
		og_statm_keep_end_pass(l->statm_keep); /* the fds of processes it did not read */
	}
}

void loop_procs_peek_all(struct loop *l)
{
	peek_new(l, SIZE_MAX);
}

void loop_procs_peek(struct loop *l, uint64_t now)
{
	l->table.clock_ms = (uint32_t)(now / 1000);
	peek_new(l, LOOP_TABLE_LOADS_PER_TICK);
}

void loop_procs_touch_ahead(struct loop *l)
{
	size_t want = 2 * l->table.n;

	if (want < LOOP_SNAP_TOUCH_MIN)
		want = LOOP_SNAP_TOUCH_MIN;
	if (want > l->snap.cap_procs)
		want = l->snap.cap_procs;
	if (want <= l->snap_touched)
		return;
	/* Not zeroes: the compiler may turn a memset(0) of fresh memory into nothing. */
	memset(l->snap.procs + l->snap_touched, 0x5a,
	       (want - l->snap_touched) * sizeof(*l->snap.procs));
	l->snap_touched = want;
}

bool loop_procs_work(struct loop *l, uint64_t now)
{
	bool deep;
	int r;

	loop_procs_peek(l, now);
	/* In the terminate/kill zone the loop must be free for the poll: no table work. */
	if (l->hot)
		return true;
	/* A burst of new processes: loads in slices of 16 for at most LOOP_TABLE_WORK_USEC,
	 * so the poll is never held up for long; the rest in the next step. */
	for (size_t done = 0; done < LOOP_TABLE_LOADS_PER_TICK; done += 16) {
		if (proc_table_refresh(&l->table, &l->col.root, 16, LOOP_TABLE_SETTLE_MS, loaded_bg,
				       l) == 0)
			break;
		if (loop_now_usec() - now > LOOP_TABLE_WORK_USEC ||
		    done + 16 >= LOOP_TABLE_LOADS_PER_TICK) {
			table_partial_warn(l);
			return true;
		}
	}
	table_partial_warn(l);
	/* Once everything noted at start has had its settle time and been read (new processes
	 * of a busy machine keep nstale above 0 forever: not a condition to wait for). */
	if (!l->table_complete_logged && l->started_usec &&
	    now - l->started_usec > 2 * LOOP_TABLE_SETTLE_MS * 1000ULL) {
		l->table_complete_logged = true;
		log_debug("process table complete: %zu processes read, %zu strings, %zu bytes",
			  l->table.n, l->table.nstrs, proc_table_bytes(&l->table));
	}
	if (l->near) {
		sweep_step(l, now);
		return true; /* keep measuring while near */
	}
	l->sweep_pos = 0;
	if (l->scope_verifying) { /* a scoped deep rescan: 64 entries a step, not all at once */
		l->scope_verify_pos =
			proc_table_verify_step(&l->table, &l->col.root, l->scope_verify_pos,
					       LOOP_TABLE_DEEP_SCAN_PER_TICK, loaded_bg, l);
		l->scope_verifying = l->scope_verify_pos < l->table.n;
		if (!l->scope_verifying)
			log_debug("process table: %zu processes (the scope's only, verified), %zu "
				  "strings, %zu bytes",
				  l->table.n, l->table.nstrs, proc_table_bytes(&l->table));
		return l->scope_verifying;
	}
	if (l->table.scan_fd < 0) {
		if (!l->rescan_deep_due && !l->rescan_due && now < l->next_rescan_usec)
			return false;
		deep = l->rescan_deep_due || now >= l->next_deep_usec;
		l->rescan_due = l->rescan_deep_due = false;
		l->next_rescan_usec =
			now + (l->have_proc_events ? LOOP_RESCAN_USEC : LOOP_RESCAN_FALLBACK_USEC);
		if (deep)
			l->next_deep_usec = now + (l->have_proc_events ? LOOP_DEEP_RESCAN_USEC
								       : LOOP_DEEP_FALLBACK_USEC);
	} else {
		deep = l->table.scan_deep;
	}
	if (l->scope[0]) {
		/* the listing in one go (cgroup.procs, no read a pid), then the deep pass over
		 * the table in bounded steps */
		r = loop_procs_scan_scope(l, false, loaded_bg);
		if (r == 0 && deep) {
			l->scope_verifying = true;
			l->scope_verify_pos = 0;
		}
	} else
		r = proc_table_rescan_step(&l->table, &l->col.root, deep,
					   deep ? LOOP_TABLE_DEEP_SCAN_PER_TICK
						: LOOP_TABLE_SCAN_PER_TICK,
					   loaded_bg, l);
	if (r < 0)
		(void)log_debug_errno(r, "process table rescan: %m");
	table_partial_warn(l);
	if (r == 0 && !l->scope_verifying) /* the tests read this line */
		log_debug("process table: %zu processes%s, %zu strings, %zu bytes; %zu forks read "
			  "as copies of their parent",
			  l->table.n, l->scope[0] ? " (the scope's only)" : "", l->table.nstrs,
			  proc_table_bytes(&l->table), l->table.nforked);
	return r > 0 || l->scope_verifying;
}

/* ------------------------------------------------------------------ decisions */

/* Heap of the best candidates: the root is the worst kept. key: larger is a better victim. */
static uint64_t cand_key(uint32_t tag, uint64_t anon)
{
	uint64_t tier = tag & LOOP_TAG_PREFER ? 2 : tag & LOOP_TAG_AVOID ? 0 : 1;

	return tier << 62 | (anon >> 2);
}

static void heap_sift_down(struct loop_cand *h, size_t n, size_t i)
{
	for (;;) {
		size_t m = i, a = 2 * i + 1, b = a + 1;
		struct loop_cand t;

		if (a < n && h[a].key < h[m].key)
			m = a;
		if (b < n && h[b].key < h[m].key)
			m = b;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static void heap_push(struct loop_cand *h, size_t *n, size_t max, struct loop_cand c)
{
	size_t i;

	if (*n == max) {
		if (c.key <= h[0].key)
			return;
		h[0] = c;
		heap_sift_down(h, *n, 0);
		return;
	}
	i = (*n)++;
	h[i] = c;
	while (i > 0 && h[(i - 1) / 2].key > h[i].key) {
		struct loop_cand t = h[i];

		h[i] = h[(i - 1) / 2];
		h[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static bool is_inflight(const struct loop *l, const struct pt_proc *e)
{
	for (size_t i = 0; i < LOOP_VICTIMS_MAX; i++)
		if (l->victims[i].used && l->victims[i].v.pid == e->pid)
			return true;
	for (size_t i = 0; i < l->st.nvictims; i++) {
		const struct pol_target *t = &l->st.victims[i].target;

		if ((t->kind == POL_TGT_PROCESS && t->pid == e->pid) ||
		    (t->kind == POL_TGT_PROCESS_GROUP && t->pgid == e->pgid) ||
		    (t->kind == POL_TGT_CGROUP && pol_in_scope(t->cgroup, pt_str(e->cgroup))))
			return true;
	}
	return false;
}

/* The group of e among the ranked ones (as the engine finds it: either path), or -1. */
static int cg_rank_of(const struct loop *l, const struct pt_proc *e)
{
	const char *cg = pt_str(e->cgroup), *v1 = pt_str(e->memcg_v1);
	uint64_t h = pol_cgroup_hash(cg);

	for (size_t k = 0; k < l->ncg_rank; k++) {
		const char *path = l->snap.cgroups[l->cg_rank[k].index].path;

		if ((l->cg_rank[k].hash == h && strcmp(path, cg) == 0) ||
		    (v1[0] && strcmp(path, v1) == 0))
			return (int)k;
	}
	return -1;
}

/* Rank a loaded entry: never-victims cost nothing, the rest one statm (unless have_anon). A
 * KillUnit=cgroup member of a ranked group waits (read_best_group): its group's counters rank
 * it, its statm only picks the group's representative. */
static void rank(struct loop *l, struct pt_proc *e, bool have_anon, uint64_t anon, bool fresh)
{
	struct loop_cand c;
	bool must, inflight;
	int k = -1;

	if (e->flags & (PT_KTHREAD | PT_UNREADABLE | PT_STALE))
		return;
	if (!(e->tag & LOOP_TAG_VALID))
		loaded(l, e);
	inflight = is_inflight(l, e);
	must = inflight || (e->tag & LOOP_TAG_MUST);
	if ((e->tag & LOOP_TAG_NEVER) && !must)
		return; /* never a victim: no read at all */
	if (have_anon) {
		/* read by visit() just now */
	} else if (!inflight && (e->tag & LOOP_TAG_KU_CGROUP) && l->ncg_rank &&
		   (k = cg_rank_of(l, e)) >= 0) {
		anon = e->flags & PT_MEASURED ? (uint64_t)e->anon_kib << 10 : 0;
		if (l->cg_rank_best < 0 || k < l->cg_rank_best)
			l->cg_rank_best = k;
	} else if (l->fill_cached && !must && (e->flags & PT_MEASURED)) {
		anon = (uint64_t)e->anon_kib << 10;
	} else {
		if (statm_anon(l, e->pid, &anon) < 0)
			return; /* gone meanwhile */
		remember(e, anon);
		fresh = true;
		l->fill_read++;
	}
	c = (struct loop_cand){.pid = e->pid,
			       .anon_bytes = anon,
			       .key = cand_key(e->tag, anon),
			       .fresh = fresh,
			       .cg_rank = k};
	if (c.anon_bytes > l->fill_best_anon)
		l->fill_best_anon = c.anon_bytes;
	if (must) {
		if (l->nmust < LOOP_CAND_MAX)
			l->must[l->nmust++] = c;
		else
			l->fill_missing++;
		return;
	}
	if (anon == 0)
		return;
	heap_push(l->cand, &l->ncand, LOOP_CAND_MAX, c);
}

/*
 * One pid of the guarded set. A process the table has not read yet (new within the last
 * second, or moved into the scope) costs a statm now; only the LOOP_DECISION_LOADS largest of
 * those are read whole (after the walk), the rest wait for the table timer.
 */
static void visit(struct loop *l, pid_t pid)
{
	struct pt_proc *e = proc_table_get(&l->table, pid);
	struct loop_cand c = {.pid = pid, .cg_rank = -1};

	l->fill_seen++;
	if (e && !(e->flags & PT_STALE) && !(l->scope[0] && (e->tag & LOOP_TAG_OUTSIDE))) {
		rank(l, e, false, 0, false);
		return;
	}
	if (e && (e->flags & (PT_KTHREAD | PT_UNREADABLE)))
		return;
	if (l->fill_cached && e && (e->flags & PT_MEASURED)) {
		c.anon_bytes = (uint64_t)e->anon_kib << 10; /* measured by the sweep */
	} else {
		if (statm_anon(l, pid, &c.anon_bytes) < 0)
			return; /* gone */
		c.fresh = true;
		l->fill_read++;
		if (e)
			remember(e, c.anon_bytes);
	}
	if (c.anon_bytes == 0 && (!e || (!is_inflight(l, e) && !(e->tag & LOOP_TAG_MUST))))
		return; /* frees nothing: never the victim */
	c.key = c.anon_bytes;
	if (l->nstale_cand == LOOP_DECISION_LOADS) {
		struct loop_cand out = c;

		if (c.key > l->stale_cand[0].key) { /* keep the larger: the root is the smallest */
			out = l->stale_cand[0];
			l->stale_cand[0] = c;
			heap_sift_down(l->stale_cand, l->nstale_cand, 0);
		}
		l->fill_unread++;
		if (out.anon_bytes > l->fill_unread_max)
			l->fill_unread_max = out.anon_bytes;
		return;
	}
	heap_push(l->stale_cand, &l->nstale_cand, LOOP_DECISION_LOADS, c);
}

/* The largest unread ones, read whole now; then ranked like the rest. */
static void load_unread(struct loop *l)
{
	for (size_t i = 0; i < l->nstale_cand; i++) {
		const struct loop_cand *c = &l->stale_cand[i];
		struct pt_proc *e = proc_table_load(&l->table, &l->col.root, c->pid, NULL);

		l->fill_loaded++;
		if (!e) {
			if (l->table.partial && !proc_table_get(&l->table, c->pid))
				l->fill_missing++; /* no room in the table: not ranked */
			continue;
		}
		loaded(l, e);
		rank(l, e, true, c->anon_bytes, c->fresh);
	}
	/* Unread ones that could outrank the best candidate by size: this view is partial. */
	if (l->fill_unread && l->fill_unread_max > l->fill_best_anon)
		l->fill_missing += l->fill_unread;
}

/* Every pid listed in dirfd/cgroup.procs, then the same below (child groups). */
static void walk_cgroup(struct loop *l, int dirfd, int depth, void (*fn)(struct loop *, pid_t))
{
	char buf[16384]; /* read in chunks: a pid may straddle two */
	_cleanup_close_ int fd = openat(dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
	uint64_t v = 0;
	bool in = false;
	DIR *d;
	struct dirent *de;
	int dfd;

	for (ssize_t n; fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0;)
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] >= '0' && buf[i] <= '9') {
				v = v * 10 + (uint64_t)(buf[i] - '0');
				in = true;
			} else {
				if (in && v > 0 && v <= INT32_MAX)
					fn(l, (pid_t)v);
				v = 0;
				in = false;
			}
		}
	if (in && v > 0 && v <= INT32_MAX)
		fn(l, (pid_t)v);
	if (depth >= LOOP_CGROUP_DEPTH_MAX)
		return;
	dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return;
	}
	while ((de = readdir(d))) {
		_cleanup_close_ int sub = -1;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sub >= 0)
			walk_cgroup(l, sub, depth + 1, fn);
	}
	closedir(d);
}

static void walk_proc(struct loop *l)
{
	_cleanup_close_ int fd =
		openat(l->col.root.proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char dents[16384] __attribute__((aligned(8)));
	ssize_t len;

	while (fd >= 0 && (len = getdents64(fd, dents, sizeof(dents))) > 0)
		for (ssize_t off = 0; off < len;) {
			struct dirent64 *de = (struct dirent64 *)(void *)(dents + off);
			uint64_t v;

			off += de->d_reclen;
			if (de->d_name[0] >= '1' && de->d_name[0] <= '9' &&
			    og_parse_u64(de->d_name, &v) == 0 && v <= INT32_MAX)
				visit(l, (pid_t)v);
		}
}

/* The scope's directory in the hierarchy that lists its processes; -1 if none. */
static int scope_dir(const struct loop *l)
{
	const struct og_cg_mounts *m = &l->col.mounts;
	int root = m->layout == OG_CG_V1 ? m->memv1_fd : m->v2_fd;
	const char *s = l->scope;

	while (*s == '/')
		s++;
	if (root < 0)
		return -1;
	return openat(root, *s ? s : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void add_proc(struct loop *l, const struct loop_cand *c)
{
	struct pt_proc *e = proc_table_get(&l->table, c->pid);
	struct og_proc *p;

	if (!e || l->snap.nprocs >= l->snap.cap_procs)
		return;
	p = &l->snap.procs[l->snap.nprocs++];
	loop_lineage_proc(l, e, p, false);
	p->rss_anon_bytes = c->anon_bytes;
}

/* Cgroup-first: the groups the policy kills ranked by their counters before any process read,
 * so a fill reads statm only for the KillUnit=cgroup members of the best group (the engine's
 * choice, or, when a member of it may never be killed, its members one by one); members of
 * the others keep the sweep's figure (0 if none): it only names their representative. */
static void rank_groups(struct loop *l)
{
	l->ncg_rank = 0;
	l->cg_rank_best = -1;
	for (size_t i = 0; i < l->rules.nservices; i++)
		if (l->rules.services[i].kill_unit == POL_KU_CGROUP) {
			l->ncg_rank =
				pol_cgroups_rank(&l->snap, l->scope, l->cg_rank, POL_CG_RANK_MAX);
			return;
		}
}

/* c's statm read now (0 if it is gone), remembered in the table. */
static void measure_now(struct loop *l, struct loop_cand *c)
{
	struct pt_proc *e;

	l->fill_read++;
	if (statm_anon(l, c->pid, &c->anon_bytes) < 0) {
		c->anon_bytes = 0; /* gone */
		return;
	}
	c->fresh = true;
	if ((e = proc_table_get(&l->table, c->pid)))
		remember(e, c->anon_bytes);
}

static void read_best_group(struct loop *l)
{
	for (size_t i = 0; l->cg_rank_best >= 0 && i < l->nmust; i++)
		if (l->must[i].cg_rank == l->cg_rank_best)
			measure_now(l, &l->must[i]);
}

static void scan_visit(struct loop *l, pid_t pid)
{
	proc_table_scan_pid(&l->table, &l->col.root, pid, l->scan_cb, l);
}

int loop_procs_scan_scope(struct loop *l, bool deep, void (*cb)(void *userdata, struct pt_proc *e))
{
	_cleanup_close_ int dfd = scope_dir(l);

	if (dfd < 0)
		return -errno;
	l->scan_cb = cb;
	proc_table_scan_begin(&l->table, deep);
	walk_cgroup(l, dfd, 0, scan_visit);
	proc_table_scan_end(&l->table);
	l->scan_cb = NULL;
	return 0;
}

int loop_procs_fill(struct loop *l, bool hot, uint64_t now)
{
	_cleanup_close_ int dfd = -1;

	l->ncand = l->nmust = 0;
	l->fill_seen = l->fill_loaded = l->fill_missing = l->fill_read = l->fill_unread = 0;
	l->fill_unread_max = l->fill_best_anon = 0;
	l->nstale_cand = 0;
	(void)hot; /* any decision may rank from a fresh enough sweep */
	l->fill_cached = l->last_rank_usec && now - l->last_rank_usec < LOOP_RANK_FRESH_USEC;
	if (!l->fill_cached)
		l->last_rank_usec = now;
	rank_groups(l);
	if (l->scope[0]) {
		dfd = scope_dir(l);
		if (dfd < 0)
			return -errno;
		walk_cgroup(l, dfd, 0, visit);
	} else {
		walk_proc(l);
	}
	load_unread(l);
	read_best_group(l);
	l->snap.nprocs = 0;
	for (size_t i = 0; i < l->nmust; i++)
		add_proc(l, &l->must[i]);
	/* best first: the engine ranks again, but a stable order reads better in debug logs */
	for (size_t n = l->ncand; n > 0; n--) {
		struct loop_cand t = l->cand[0];

		l->cand[0] = l->cand[n - 1];
		l->cand[n - 1] = t;
		heap_sift_down(l->cand, n - 1, 0);
	}
	/* Ranked from the last full ranking: the best of them are measured again now. */
	for (size_t i = 0, k = 0; l->fill_cached && i < l->ncand && k < LOOP_FRESH_TOP; i++) {
		if (l->cand[i].fresh)
			continue;
		k++;
		measure_now(l, &l->cand[i]);
	}
	for (size_t i = 0; i < l->ncand && l->snap.nprocs < l->snap.cap_procs; i++)
		if (l->cand[i].anon_bytes > 0)
			add_proc(l, &l->cand[i]);
	l->view_partial = l->fill_missing > 0;
	if (l->view_partial && !l->view_partial_logged) {
		l->view_partial_logged = true;
		log_warning("decision made from a partial process view: %zu of %zu processes could "
			    "not be ranked (not read yet, or the process table or candidate array "
			    "full); reports say process_table=partial",
			    l->fill_missing, l->fill_seen);
	}
	return 0;
}
