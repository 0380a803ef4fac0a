/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the loop leaves behind: one JSON report per action and per stage that fired with nothing
 * allowed to be done (report.h, report_json.c), the flight recorder's sampling, the --once
 * plan printout, and the pure arithmetic of the fast poll. The state file and the lock are in
 * loop_state.c.
 *
 * Reports are off the hot path: loop_report_queue() copies what the report needs (the action,
 * the victim, the candidates, a machine summary from the snapshot) into a slot of a ring
 * allocated in loop_new(): no allocation, no file system, no formatting. loop_report_flush()
 * formats (json-c) and writes them later, from an idle-priority defer source that runs only
 * while no victim or group is in flight. Between a SIGTERM and its escalation check nothing
 * opens, allocates or renames anything under the report directory.
 *
 * Measured (an ad-hoc run on this 2-core VM under load, with a 16384-process table):
 * queueing a new report costs ~0.9 us when the victim is among the ranked candidates and ~31 us
 * when its process has to be found by a pass over the table; the idle flush (json-c and the
 * file) ~0.6 ms per report. A slot is ~11.6 KiB, the ring ~182 KiB, the record ~100 KiB.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "guardian/base/log.h"
#include "guardian/loop/loop_hook.h"
#include "guardian/loop/journal.h"
#include "guardian/loop/loop_files.h"
#include "guardian/loop/report.h"
#include "guardian/sources/src_cgroup.h"
#include "guardian/sources/src_psi.h"
#include "guardian/loop/loop_int.h"
#include "policy/util/cleanup.h"
#include "policy/util/strutil.h"

/* ------------------------------------------------------------------ pure helpers */

uint64_t loop_poll_interval_usec(uint64_t avail_bytes, uint64_t kill_bytes, uint64_t rate)
{
	uint64_t headroom, usec;

	if (kill_bytes == 0 || rate == 0)
		return LOOP_POLL_MAX_USEC;
	if (avail_bytes <= kill_bytes)
		return LOOP_POLL_MIN_USEC;
	headroom = avail_bytes - kill_bytes;
	/* usec = headroom / rate * 1e6 / 2, without overflow for any headroom up to 16 EiB. */
	if (headroom / rate >= LOOP_POLL_MAX_USEC / 500000)
		return LOOP_POLL_MAX_USEC;
	usec = (uint64_t)((unsigned __int128)headroom * 500000U / rate);
	if (usec < LOOP_POLL_MIN_USEC)
		return LOOP_POLL_MIN_USEC;
	return usec > LOOP_POLL_MAX_USEC ? LOOP_POLL_MAX_USEC : usec;
}

bool loop_node_step_due(int rung, int rung_decided, bool hot, uint64_t since_usec)
{
	if (since_usec < LOOP_NODE_STEP_MIN_USEC)
		return false;
	return rung > rung_decided || hot || since_usec >= LOOP_NEAR_STEP_USEC;
}

uint64_t loop_threshold_bytes(const struct pol_threshold *t, uint64_t total_bytes)
{
	uint64_t p = (uint64_t)((unsigned __int128)total_bytes * t->mem_avail_permyriad / 10000);

	return p > t->mem_avail_bytes ? p : t->mem_avail_bytes;
}

int loop_psi_trigger_format(char *buf, size_t size, bool full, uint64_t stall_usec,
			    uint64_t window_usec)
{
	int n = snprintf(buf, size, "%s %" PRIu64 " %" PRIu64, full ? "full" : "some", stall_usec,
			 window_usec);

	return n < 0 || (size_t)n >= size ? -ENOBUFS : n;
}

/* ------------------------------------------------------------------ printing */

static const char *target_kind_name(enum pol_target_kind k)
{
	static const char *const names[] = { "system", "process", "process-group", "cgroup",
					     "node" };

	return (size_t)k < OG_ELEMENTSOF(names) ? names[k] : "?";
}

void loop_sbuf_printf(struct loop_sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->len >= b->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->size - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->size - b->len) {
		b->truncated = true;
		b->len = b->size - 1;
		return;
	}
	b->len += (size_t)n;
}

/* Values printed raw and on one line: a hostile comm with a newline stays on its line. */
void loop_sbuf_put_str(struct loop_sbuf *b, const char *key, const char *v)
{
	size_t room;

	loop_sbuf_printf(b, "%s=", key);
	room = b->len + 2 < b->size ? b->size - b->len - 1 : 0; /* keep one byte for the '\n' */
	if (room) {
		og_escape(b->p + b->len, room, v);
		b->len += strlen(b->p + b->len);
	}
	if (b->len + 2 >= b->size && *v)
		b->truncated = true; /* filled to the brim: maybe cut */
	loop_sbuf_printf(b, "\n");
}

void loop_format_action_buf(struct loop_sbuf *b, const struct pol_action *a)
{
	const struct pol_target *t = &a->target;

	loop_sbuf_printf(b, "action=%s\n", pol_action_name(a->kind));
	loop_sbuf_printf(b, "stage=%s\n", pol_stage_name(a->stage));
	loop_sbuf_printf(b, "target=%s\n", target_kind_name(t->kind));
	switch (t->kind) {
	case POL_TGT_PROCESS:
	case POL_TGT_PROCESS_GROUP:
		loop_sbuf_printf(b, "pid=%d\n", (int)t->pid);
		if (t->kind == POL_TGT_PROCESS_GROUP)
			loop_sbuf_printf(b, "pgid=%d\n", (int)t->pgid);
		loop_sbuf_put_str(b, "comm", t->comm);
		loop_sbuf_put_str(b, "cgroup", t->cgroup);
		loop_sbuf_put_str(b, "unit", t->unit);
		break;
	case POL_TGT_CGROUP:
		loop_sbuf_put_str(b, "cgroup", t->cgroup);
		loop_sbuf_put_str(b, "unit", t->unit);
		break;
	case POL_TGT_NODE:
		loop_sbuf_printf(b, "node=%d\nnode_to=%d\n", t->node, t->node_to);
		break;
	case POL_TGT_SYSTEM:
		break;
	}
	if (t->expected_free_bytes)
		loop_sbuf_printf(b, "expected_free_bytes=%" PRIu64 "\n", t->expected_free_bytes);
	if (a->kind == POL_ACT_OOM_SCORE_ADJ) /* a negative int carried in the u64 */
		loop_sbuf_printf(b, "value=%" PRId64 "\n", (int64_t)a->value);
	else
		loop_sbuf_printf(b, "value=%" PRIu64 "\n", a->value);
	loop_sbuf_put_str(b, "rule", a->rule);
	loop_sbuf_put_str(b, "metric", a->metric);
	loop_sbuf_printf(b, "measured=%" PRIu64 "\nlimit=%" PRIu64 "\n", a->measured, a->limit);
	loop_sbuf_put_str(b, "reason", a->reason);
}

void loop_format_action(FILE *out, const struct pol_action *a)
{
	char text[LOOP_REPORT_TEXT_MAX];
	struct loop_sbuf b = { text, 0, sizeof(text), false };

	text[0] = '\0';
	loop_format_action_buf(&b, a);
	fputs(text, out);
}

static void put_str_file(FILE *out, const char *key, const char *v)
{
	char text[POL_PATH_MAX + 64];
	struct loop_sbuf b = { text, 0, sizeof(text), false };

	text[0] = '\0';
	loop_sbuf_put_str(&b, key, v);
	fputs(text, out);
}

void loop_print_plan(FILE *out, const struct pol_plan *plan, bool dry_run)
{
	fprintf(out, "stage=%s\n", pol_stage_name(plan->stage));
	fprintf(out, "available_bytes=%" PRIu64 "\ntotal_bytes=%" PRIu64 "\n", plan->avail_bytes,
		plan->total_bytes);
	fprintf(out, "dry_run=%s\nactions=%zu\n", dry_run ? "yes" : "no", plan->n);
	for (size_t i = 0; i < plan->n; i++) {
		fprintf(out, "\n[action %zu]\n", i + 1);
		loop_format_action(out, &plan->actions[i]);
	}
	for (size_t i = 0; i < plan->ntop; i++) {
		const struct pol_candidate *c = &plan->top[i];

		fprintf(out, "\n[candidate %zu]\n", i + 1);
		fprintf(out, "target=%s\npid=%d\n", target_kind_name(c->target.kind),
			(int)c->target.pid);
		put_str_file(out, "comm", c->target.comm);
		put_str_file(out, "cgroup", c->target.cgroup);
		fprintf(out, "tier=%d\nfree_bytes=%" PRIu64 "\noom_score=%d\n", (int)c->tier,
			c->free_bytes, c->oom_score);
		put_str_file(out, "service", c->service);
	}
}

/* ------------------------------------------------------------------ the record */

static uint64_t realtime_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

int loop_record_alloc(struct loop *l)
{
	l->reports = malloc(LOOP_REPORTS_MAX * sizeof(*l->reports));
	l->rec = malloc(sizeof(*l->rec));
	if (!l->reports || !l->rec) {
		free(l->reports);
		free(l->rec);
		l->reports = NULL;
		l->rec = NULL;
		return -ENOMEM;
	}
	/* Touch every page now (before mlockall): a report queued under pressure must not fault
	 * in a fresh page. Not zeroes, which the compiler may turn back into an untouched calloc.
	 */
	memset(l->reports, 0x5a, LOOP_REPORTS_MAX * sizeof(*l->reports));
	for (size_t i = 0; i < LOOP_REPORTS_MAX; i++)
		l->reports[i].used = false;
	memset(l->rec, 0x5a, sizeof(*l->rec));
	loop_recorder_init(&l->rec->fr);
	l->rec->lock_fd = -1;
	l->rec->lock_path[0] = '\0';
	l->rec->state_warned = l->rec->report_warned = false;
	l->rec->owns_state = false;
	l->rec->last_prune_usec = 0;
	l->rec->protected_ok = l->rec->protected_refused = 0;
	for (size_t i = 0; i < LOOP_PROTECT_AGG_MAX; i++)
		l->rec->agg[i].rule[0] = '\0';
	l->rec->nlast = l->rec->last_next = 0;
	l->rec->fr_last_usec = 0;
	memset(&l->rec->metrics, 0, sizeof(l->rec->metrics));
	l->rec->metrics_warned = false;
	l->rec->start_usec = realtime_usec();
	l->rec->metrics_src = l->rec->msock_src = NULL;
	l->rec->msock_fd = -1;
	for (size_t i = 0; i < LOOP_METRICS_CONNS; i++) {
		l->rec->conns[i].fd = -1;
		l->rec->conns[i].src = NULL;
	}
	return 0;
}

void loop_record_free(struct loop *l)
{
	loop_metrics_teardown(l);
	if (l->rec && l->rec->owns_state)
		loop_write_state_stopped(l);
	if (l->rec && l->rec->lock_fd >= 0)
		close(l->rec->lock_fd);
	free(l->rec);
	l->rec = NULL;
	free(l->reports);
	l->reports = NULL;
}

/* ------------------------------------------------------------------ capture (no I/O) */

void loop_report_capture_machine(const struct loop *l, struct loop_report_machine *m)
{
	const struct og_snapshot *s = &l->snap;

	m->valid = true;
	m->avail_bytes = l->plan.avail_bytes ? l->plan.avail_bytes : l->avail_bytes;
	m->total_bytes = l->plan.total_bytes ? l->plan.total_bytes : l->total_bytes;
	m->scope = l->scope[0] != '\0';
	m->machine_avail_bytes = s->mem.available_bytes;
	m->machine_total_bytes = s->mem.total_bytes;
	m->swap_total_bytes = s->mem.swap_total_bytes;
	m->swap_free_bytes = s->mem.swap_free_bytes;
	m->has_psi = s->psi.available && s->psi.memory.has_some;
	m->psi_some_avg10_centi = s->psi.memory.some.avg10_centi;
	m->psi_full_avg10_centi = s->psi.memory.has_full ? s->psi.memory.full.avg10_centi : 0;
	m->slabs_read = s->nslabs > 0;
	m->nslabs = 0;
	for (size_t i = 0; i < s->nslabs; i++) { /* the largest LOOP_REPORT_SLABS, by bytes */
		size_t j = m->nslabs < LOOP_REPORT_SLABS ? m->nslabs++ : LOOP_REPORT_SLABS;

		if (j == LOOP_REPORT_SLABS) {
			if (s->slabs[i].total_bytes <= m->slabs[j - 1].bytes)
				continue;
			j--;
		}
		for (; j > 0 && m->slabs[j - 1].bytes < s->slabs[i].total_bytes; j--)
			m->slabs[j] = m->slabs[j - 1];
		og_strscpy(m->slabs[j].name, s->slabs[i].name, sizeof(m->slabs[j].name));
		m->slabs[j].bytes = s->slabs[i].total_bytes;
		m->slabs[j].reclaimable = s->slabs[i].reclaimable;
	}
	m->nodes_total = s->nnodes;
	m->nnodes = s->nnodes < LOOP_REPORT_NODES ? s->nnodes : LOOP_REPORT_NODES;
	for (size_t i = 0; i < m->nnodes; i++) {
		m->nodes[i].id = s->nodes[i].id;
		m->nodes[i].free_bytes = s->nodes[i].free_bytes;
		m->nodes[i].total_bytes = s->nodes[i].total_bytes;
	}
}

static void capture_proc(const struct og_proc *p, struct loop_report_proc *ret)
{
	ret->known = true;
	ret->uid = p->uid;
	ret->oom_score = p->oom_score;
	ret->oom_score_adj = p->oom_score_adj;
	ret->rss_bytes = p->rss_anon_bytes + p->rss_file_bytes + p->rss_shmem_bytes;
	ret->swap_bytes = p->swap_bytes;
	og_strscpy(ret->cmdline, p->cmdline, sizeof(ret->cmdline));
	og_strscpy(ret->exe, p->exe, sizeof(ret->exe));
}

/* The victim's process as the snapshot saw it: through the candidates first (their index into
 * the snapshot), else one pass over the table. */
static void capture_victim(const struct loop *l, const struct pol_target *t,
			   struct loop_report_proc *ret)
{
	ret->known = false;
	if (t->kind != POL_TGT_PROCESS && t->kind != POL_TGT_PROCESS_GROUP)
		return;
	for (size_t i = 0; i < l->plan.ntop; i++) {
		size_t k = l->plan.top[i].proc_index;

		if (l->plan.top[i].target.pid == t->pid && k < l->snap.nprocs &&
		    l->snap.procs[k].pid == t->pid) {
			capture_proc(&l->snap.procs[k], ret);
			return;
		}
	}
	for (size_t i = 0; i < l->snap.nprocs; i++)
		if (l->snap.procs[i].pid == t->pid &&
		    (!t->starttime_ticks ||
		     l->snap.procs[i].starttime_ticks == t->starttime_ticks)) {
			capture_proc(&l->snap.procs[i], ret);
			return;
		}
}

/* A new report's name: the time (ISO 8601 basic, UTC, microseconds), our pid, a sequence
 * number and the kind; sorted by name is sorted by time. */
static void report_name(struct loop *l, enum pol_action_kind kind, uint64_t now_rt, char *buf,
			size_t size)
{
	time_t t = (time_t)(now_rt / 1000000);
	struct tm tm;
	char ts[32];

	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%S", gmtime_r(&t, &tm));
	snprintf(buf, size, "%s%s%s.%06uZ-%d-%u-%s.json", l->report_dir,
		 l->report_dir[0] ? "/" : "", ts, (unsigned)(now_rt % 1000000), (int)getpid(),
		 ++l->report_seq, loop_report_kind_word(kind));
}

static struct loop_report_slot *slot_for(struct loop *l, const char *path)
{
	for (size_t i = 0; i < LOOP_REPORTS_MAX; i++)
		if (l->reports[i].used && strcmp(l->reports[i].path, path) == 0)
			return &l->reports[i];
	return NULL;
}

static struct loop_report_slot *slot_new(struct loop *l, const struct pol_action *a,
					 const char *path, uint64_t now_rt)
{
	struct loop_report_slot *s = NULL;

	for (size_t i = 0; i < LOOP_REPORTS_MAX && !s; i++)
		if (!l->reports[i].used)
			s = &l->reports[i];
	if (!s)
		return NULL;
	s->seq = ++l->report_qseq;
	og_strscpy(s->path, path, sizeof(s->path));
	s->decided_usec = now_rt;
	s->count = 0;
	s->has_victim = false;
	s->victim_bytes = s->cross_to_kill_usec = 0;
	s->partial = false;
	og_strscpy(s->scope, l->scope, sizeof(s->scope));
	loop_report_capture_machine(l, &s->m);
	s->ntop = 0;
	if (a->kind == POL_ACT_TERM || a->kind == POL_ACT_KILL || a->kind == POL_ACT_REPORT) {
		const struct loop_report_slot *from = NULL;

		/* An escalation is decided without a new ranking: the SIGTERM's report (still in
		 * the ring, its victim in flight) has the candidates it was chosen from. */
		for (size_t i = 0; !l->plan.ntop && i < LOOP_REPORTS_MAX && !from; i++)
			if (&l->reports[i] != s && l->reports[i].used && l->reports[i].ntop &&
			    l->reports[i].why.target.pid == a->target.pid)
				from = &l->reports[i];
		s->ntop = from ? from->ntop : l->plan.ntop;
		memcpy(s->top, from ? from->top : l->plan.top, s->ntop * sizeof(s->top[0]));
	}
	if (a->kind == POL_ACT_OOM_SCORE_ADJ)
		s->victim.known = false;
	else
		capture_victim(l, &a->target, &s->victim);
	s->used = true;
	return s;
}

static int queue(struct loop *l, const struct pol_action *a, const char *result,
		 const struct act_victim *v, uint64_t freed_bytes, uint64_t elapsed_usec,
		 uint64_t since_cross_usec, char *path, size_t path_size, unsigned count)
{
	uint64_t now_rt = realtime_usec();
	struct loop_report_slot *s = NULL;
	char buf[POL_PATH_MAX + 64];

	if (!path || !path[0]) {
		report_name(l, a->kind, now_rt, buf, sizeof(buf));
		if (path)
			og_strscpy(path, buf, path_size);
	} else {
		og_strscpy(buf, path, sizeof(buf));
		s = slot_for(l, buf); /* a newer report of the same file replaces the queued one */
	}
	if (!s)
		s = slot_new(l, a, buf, now_rt);
	if (!s) {
		l->reports_dropped++;
		return -ENOBUFS;
	}
	s->updated_usec = now_rt;
	s->dry_run = l->dry_run;
	og_strscpy(s->result, result, sizeof(s->result));
	s->why = *a;
	if (v) {
		s->has_victim = true;
		s->v = *v;
	}
	s->freed_bytes = freed_bytes;
	s->elapsed_usec = elapsed_usec;
	s->since_cross_usec = since_cross_usec;
	if (l->rep_extra.victim_bytes) /* set by the victim's reports, kept on later updates */
		s->victim_bytes = l->rep_extra.victim_bytes;
	if (l->rep_extra.cross_to_kill_usec)
		s->cross_to_kill_usec = l->rep_extra.cross_to_kill_usec;
	s->partial = s->partial || l->rep_extra.partial;
	if (count)
		s->count = count;
	if (l->report_src)
		sd_event_source_set_enabled(l->report_src, SD_EVENT_ONESHOT);
	return 0;
}

/* Protection records: one report per policy and minute, rewritten with the count so far. */
/* The bookkeeping of a protection policy (made on first use; the least recent one goes). */
static struct loop_protect_agg *protect_agg(struct loop *l, const struct pol_action *a)
{
	struct loop_protect_agg *g = NULL, *oldest = &l->rec->agg[0];

	for (size_t i = 0; i < LOOP_PROTECT_AGG_MAX && !g; i++) {
		struct loop_protect_agg *e = &l->rec->agg[i];

		if (e->rule[0] && strcmp(e->rule, a->rule) == 0)
			g = e;
		else if (!e->rule[0] ||
			 (oldest->rule[0] && e->window_start_usec < oldest->window_start_usec))
			oldest = e;
	}
	if (!g) {
		g = oldest;
		og_strscpy(g->rule, a->rule, sizeof(g->rule));
		g->window_start_usec = 0;
		g->total_ok = g->total_refused = 0;
	}
	g->oom_score_adj = (int64_t)a->value;
	return g;
}

static int queue_protect(struct loop *l, const struct pol_action *a, const char *result)
{
	uint64_t now = loop_now_usec();
	struct loop_protect_agg *g = protect_agg(l, a);

	l->rec->protected_ok++;
	g->total_ok++;
	if (!g->window_start_usec || now - g->window_start_usec >= LOOP_PROTECT_WINDOW_USEC) {
		g->window_start_usec = now;
		g->count = 0;
		g->path[0] = '\0';
	}
	g->count++;
	return queue(l, a, result, NULL, 0, 0, 0, g->path, sizeof(g->path), g->count);
}

int loop_report_queue(struct loop *l, const struct pol_action *a, const char *result,
		      const struct act_victim *v, uint64_t freed_bytes, uint64_t elapsed_usec,
		      uint64_t since_cross_usec, char *path, size_t path_size)
{
	if (a->kind == POL_ACT_OOM_SCORE_ADJ && !path)
		return queue_protect(l, a, result);
	return queue(l, a, result, v, freed_bytes, elapsed_usec, since_cross_usec, path, path_size,
		     0);
}

void loop_report_protect_refused(struct loop *l, const struct pol_action *a)
{
	l->rec->protected_refused++;
	protect_agg(l, a)->total_refused++;
}

/* ------------------------------------------------------------------ flight recorder */

/* Between snapshots: the usage of the services the last snapshot found largest, one small
 * read each (v1 memory.usage_in_bytes, v2 memory.current). */
static void fr_read_tracked(struct loop *l)
{
	const struct og_cg_mounts *m = &l->col.mounts;
	bool v1 = m->layout == OG_CG_V1;
	int fd = v1 ? m->memv1_fd : m->v2_fd;
	struct loop_recorder *fr = &l->rec->fr;

	if (fd < 0 || m->layout == OG_CG_NONE)
		return;
	for (size_t i = 0; i < fr->ntracked; i++) {
		char rel[OG_CGROUP_PATH_MAX + 32], buf[64]; /* a decimal u64 and a newline */
		uint64_t bytes;

		snprintf(rel, sizeof(rel), "%s/%s", fr->tracked[i][1] ? fr->tracked[i] + 1 : ".",
			 v1 ? "memory.usage_in_bytes" : "memory.current");
		if (og_read_at(fd, rel, buf, sizeof(buf)) >= 0 &&
		    src_cgroup_parse_limit_buf(buf, &bytes) >= 0 && bytes != OG_UNLIMITED)
			loop_recorder_add_service(fr, fr->tracked[i], bytes);
	}
}

void loop_record_sample(struct loop *l, uint64_t now)
{
	struct og_psi psi;
	bool have_psi;

	/* about once a second: the poll runs at least that often (LOOP_POLL_MAX_USEC), and a
	 * timer of its own woke the loop once more a second, the costliest part of a wake-up
	 * under TCG (VM tier, 2026-12-03) */
	if (l->rec->fr_last_usec && now - l->rec->fr_last_usec < LOOP_FR_PERIOD_USEC * 9 / 10)
		return;
	l->rec->fr_last_usec = now;
	have_psi = loop_psi_read_machine(l, &psi) == 0;
	/* available: the fast poll's last read (of the scope, when there is one) */
	loop_recorder_add(&l->rec->fr, realtime_usec(), now, l->avail_bytes, l->total_bytes,
			  have_psi ? &psi : NULL, (int)l->stage, &l->snap);
	if (!loop_recorder_at(&l->rec->fr, l->rec->fr.n - 1)->nsvc &&
	    l->rec->fr.nsamples % LOOP_FR_SVC_EVERY == 0)
		fr_read_tracked(l); /* no fresh snapshot: read the services it last found */
}

void loop_record_setup(struct loop *l)
{
	loop_metrics_setup(l);
}

void loop_record_reload_failed(struct loop *l)
{
	l->rec->metrics.reload_failures++;
}

/* ------------------------------------------------------------------ flush (idle) */

bool loop_reports_may_flush(const struct loop *l)
{
	for (size_t i = 0; i < LOOP_VICTIMS_MAX; i++)
		if (l->victims[i].used)
			return false;
	for (size_t i = 0; l->groups && i < LOOP_GROUPS_MAX; i++)
		if (l->groups[i].used)
			return false;
	return true;
}

static void remember_action(struct loop *l, const struct loop_report_slot *s)
{
	struct loop_last_action *e;

	if (s->why.kind == POL_ACT_OOM_SCORE_ADJ || strcmp(s->result, "signalled") == 0)
		return;
	e = &l->rec->last[l->rec->last_next];
	l->rec->last_next = (l->rec->last_next + 1) % LOOP_LAST_ACTIONS;
	if (l->rec->nlast < LOOP_LAST_ACTIONS)
		l->rec->nlast++;
	e->time_usec = s->decided_usec;
	og_strscpy(e->kind, pol_action_name(s->why.kind), sizeof(e->kind));
	og_strscpy(e->result, s->result, sizeof(e->result));
	e->pid = s->why.target.pid;
	og_strscpy(e->comm, s->has_victim ? s->v.comm : s->why.target.comm, sizeof(e->comm));
	e->freed_bytes = s->freed_bytes;
}

/* From the kill threshold's crossing to the signal: the report knows the crossing to the exit
 * (since_cross) and, on the act layer's clock, the signal and the exit. 0: not measured. */
static uint64_t signal_latency_usec(const struct loop_report_slot *s)
{
	const struct act_victim *v = &s->v;
	uint64_t sig;

	if (!s->has_victim || !s->since_cross_usec || !v->exited_usec)
		return 0;
	sig = v->sent & ACT_SENT_KILL ? v->kill_usec : v->term_usec;
	if (!sig || sig > v->exited_usec || v->exited_usec - sig >= s->since_cross_usec)
		return 0;
	return s->since_cross_usec - (v->exited_usec - sig);
}

/*
 * What ExecAfterAction= hooks get (loop_hook.c, after the report file's path): the main fields
 * as key=value lines (values escaped onto one line), which the notifier turns
 * into OOMGUARDIAN_KEY variables. The JSON holds everything; the hook gets the file's name.
 */
static size_t hook_text(const struct loop_report_slot *s, char *buf, size_t size)
{
	struct loop_sbuf b = { .p = buf, .size = size };
	const struct pol_action *a = &s->why;

	loop_sbuf_printf(&b, "result=%s\naction=%s\ndry_run=%s\n", s->result,
			 loop_report_kind_word(a->kind), s->dry_run ? "yes" : "no");
	loop_sbuf_put_str(&b, "rule", a->rule);
	loop_sbuf_put_str(&b, "metric", a->metric);
	loop_sbuf_printf(&b, "measured=%" PRIu64 "\nlimit=%" PRIu64 "\n", a->measured, a->limit);
	loop_sbuf_put_str(&b, "reason", a->reason);
	loop_sbuf_put_str(&b, "scope", s->scope[0] ? s->scope : "/");
	if (s->has_victim) {
		loop_sbuf_printf(&b, "victim_pid=%d\n", (int)s->v.pid);
		loop_sbuf_put_str(&b, "victim_comm", s->v.comm);
		loop_sbuf_put_str(&b, "victim_unit", s->v.unit);
		loop_sbuf_put_str(&b, "victim_cgroup", s->v.cgroup);
	}
	loop_sbuf_printf(&b, "freed_bytes=%" PRIu64 "\nelapsed_usec=%" PRIu64 "\n",
			 s->freed_bytes, s->elapsed_usec);
	return b.truncated ? 0 : b.len;
}

void loop_report_finished(struct loop *l, const struct loop_report_slot *s, const char *path,
			  const char *text, size_t len)
{
	static char hook_buf[4096]; /* after the signal, one report at a time: no stack burst */
	size_t hook_len;

	/* The one place a finished report goes out: remembered for the state file (status),
	 * counted for the metrics, sent to the journal, and handed to whatever else wants it
	 * after these lines (ExecAfterAction=). path is NULL when the run writes no report
	 * files; text/len is the report's JSON (NULL/0 if it could not be formatted). */
	remember_action(l, s);
	if (s->why.kind != POL_ACT_OOM_SCORE_ADJ)
		loop_metrics_count(&l->rec->metrics, s->why.kind, s->result, s->freed_bytes,
				   signal_latency_usec(s));
	if (path)
		l->rec->metrics.reports_written++;
	loop_journal_report(s, path, strcmp(l->root_dir, "/") != 0);
	hook_len = hook_text(s, hook_buf, sizeof(hook_buf));
	if (hook_len)
		(void)loop_hook_notify(path ? path : "", hook_buf, hook_len); /* ExecAfterAction= */
}

/* Format one slot, write it (dirfd >= 0), and hand it out. 1 written, 0 not (no report
 * directory, or it could not be used), -errno. */
static int flush_slot(struct loop *l, int dirfd, struct loop_report_slot *s, const char *host)
{
	struct json_object *o = loop_report_json(s, host, &l->rec->fr);
	const char *text = NULL, *name = strrchr(s->path, '/');
	int r = -ENOMEM;

	if (o)
		text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								 JSON_C_TO_STRING_SPACED |
								 JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text && dirfd >= 0)
		r = loop_file_write_at(dirfd, name ? name + 1 : s->path, text, strlen(text), 0640);
	else if (text)
		r = 0;
	if (r < 0 && dirfd >= 0)
		(void)log_warning_errno(r, "cannot write report '%s': %m, ignoring", s->path);
	loop_report_finished(l, s, r == 0 && dirfd >= 0 ? s->path : NULL, text,
			     text ? strlen(text) : 0);
	json_object_put(o);
	return r < 0 ? r : dirfd >= 0;
}

static void prune(struct loop *l, int dirfd)
{
	const struct pol_config *cfg = &l->rules.cfg;
	uint64_t now = loop_now_usec();
	int r;

	if (l->rec->last_prune_usec && now - l->rec->last_prune_usec < LOOP_PRUNE_EVERY_USEC)
		return;
	l->rec->last_prune_usec = now;
	r = loop_reports_prune(dirfd, cfg->report_max_files, cfg->report_max_age_usec,
			       realtime_usec());
	if (r > 0)
		log_info("deleted %d old reports in '%s' (ReportMaxFiles=%u, ReportMaxAgeSec=%llu)",
			 r, l->report_dir, cfg->report_max_files,
			 (unsigned long long)(cfg->report_max_age_usec / 1000000));
	else if (r < 0)
		(void)log_debug_errno(r, "pruning '%s': %m", l->report_dir);
}

int loop_report_flush(struct loop *l)
{
	char host[256] = "", why[LOOP_FILES_WHY_MAX];
	int n = 0, dirfd = -1, dr = 0;

	if (!l->rec || !l->reports)
		return 0;
	if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	for (;;) {
		struct loop_report_slot *slot = NULL;
		int r;

		for (size_t i = 0; i < LOOP_REPORTS_MAX; i++) /* oldest first */
			if (l->reports[i].used && (!slot || l->reports[i].seq < slot->seq))
				slot = &l->reports[i];
		if (!slot)
			break;
		if (l->report_dir[0] && dirfd < 0 && dr == 0) {
			dr = loop_dir_open(l->report_dir, true, &dirfd, why);
			if (dr < 0 && !l->rec->report_warned) {
				(void)log_warning_errno(dr,
							"cannot use report directory '%s': %s%s%m; "
							"no reports are written until it is "
							"fixed, ignoring",
							l->report_dir, why, why[0] ? ": " : "");
				l->rec->report_warned = true;
			}
		}
		r = flush_slot(l, dirfd, slot, host);
		if (r > 0) {
			n++;
			l->rec->report_warned = false;
		}
		slot->used = false;
	}
	if (dirfd >= 0) {
		prune(l, dirfd);
		close(dirfd);
	}
	if (l->reports_dropped) {
		l->rec->metrics.reports_lost += l->reports_dropped;
		log_warning("report queue full: %u reports lost while victims were in flight",
			    l->reports_dropped);
		l->reports_dropped = 0;
	}
	loop_write_state(l); /* the last actions and protection counts */
	loop_metrics_write(l);
	return n;
}

int loop_mkdir_p(const char *path)
{
	_cleanup_close_ int fd = -1;

	return loop_dir_open(path, true, &fd, NULL);
}
