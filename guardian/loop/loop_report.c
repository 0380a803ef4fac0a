/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the loop leaves behind: one key=value report file per action (why, to whom, what it
 * freed, how long it took), the state file (what stage, since when), the --once plan printout,
 * and the pure arithmetic of the fast poll.
 *
 * Reports are off the hot path: loop_report_queue() formats one into a slot of a ring
 * allocated in loop_new() (snprintf into fixed buffers: no allocation, no file system), and the
 * files are written later by loop_report_flush(), from an idle-priority defer source that
 * writes only while no victim or group is in flight. Between a SIGTERM and its escalation
 * check nothing opens, allocates or renames anything under the report directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "guardian/base/log.h"
#include "guardian/loop/loop_hook.h"
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
static void put_str(struct loop_sbuf *b, const char *key, const char *v)
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
		put_str(b, "comm", t->comm);
		put_str(b, "cgroup", t->cgroup);
		put_str(b, "unit", t->unit);
		break;
	case POL_TGT_CGROUP:
		put_str(b, "cgroup", t->cgroup);
		put_str(b, "unit", t->unit);
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
	put_str(b, "rule", a->rule);
	put_str(b, "metric", a->metric);
	loop_sbuf_printf(b, "measured=%" PRIu64 "\nlimit=%" PRIu64 "\n", a->measured, a->limit);
	put_str(b, "reason", a->reason);
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
	put_str(&b, key, v);
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

/* ------------------------------------------------------------------ files */

int loop_mkdir_p(const char *path)
{
	char buf[POL_PATH_MAX];

	og_strscpy(buf, path, sizeof(buf));
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static void format_report(struct loop_sbuf *b, const struct loop *l, const struct pol_action *a,
			  const char *result, const struct act_victim *v, uint64_t freed,
			  uint64_t elapsed, uint64_t since_cross)
{
	char ts[64];
	struct tm tm;
	time_t t = time(NULL);

	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	loop_sbuf_printf(b, "time=%s\nresult=%s\ndry_run=%s\n", ts, result,
			 l->dry_run ? "yes" : "no");
	put_str(b, "scope", l->scope[0] ? l->scope : "/");
	loop_format_action_buf(b, a);
	if (v) {
		loop_sbuf_printf(b, "victim_pid=%d\nvictim_starttime=%" PRIu64 "\n", (int)v->pid,
				 v->starttime_ticks);
		loop_sbuf_printf(b, "sent_term=%s\nsent_kill=%s\nmrelease=%s\nexited=%s\n",
				 v->sent & ACT_SENT_TERM ? "yes" : "no",
				 v->sent & ACT_SENT_KILL ? "yes" : "no",
				 v->sent & ACT_SENT_MRELEASE ? "yes" : "no", v->exited ? "yes" : "no");
	}
	loop_sbuf_printf(b, "freed_bytes=%" PRIu64 "\nelapsed_usec=%" PRIu64 "\n", freed, elapsed);
	loop_sbuf_printf(b, "since_kill_threshold_usec=%" PRIu64 "\n", since_cross);
	if (l->rep_extra.victim_bytes) /* its own anon + swap when chosen, apart from freed */
		loop_sbuf_printf(b, "victim_bytes=%" PRIu64 "\n", l->rep_extra.victim_bytes);
	if (l->rep_extra.cross_to_kill_usec) /* kill threshold crossing to SIGKILL */
		loop_sbuf_printf(b, "kill_threshold_to_sigkill_usec=%" PRIu64 "\n",
				 l->rep_extra.cross_to_kill_usec);
	if (l->rep_extra.partial) /* chosen from a partial process view (loop_procs.c) */
		put_str(b, "process_table", "partial");
}

int loop_report_queue(struct loop *l, const struct pol_action *a, const char *result,
		      const struct act_victim *v, uint64_t freed_bytes, uint64_t elapsed_usec,
		      uint64_t since_cross_usec, char *path, size_t path_size)
{
	struct loop_report_slot *slot = NULL;
	char buf[POL_PATH_MAX + 64];
	struct loop_sbuf b;

	if (!path || !path[0]) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		snprintf(buf, sizeof(buf), "%s/%lld.%06ld-%d-%u-%s.report", l->report_dir,
			 (long long)ts.tv_sec, ts.tv_nsec / 1000, (int)getpid(), ++l->report_seq,
			 pol_action_name(a->kind));
		if (path)
			og_strscpy(path, buf, path_size);
	} else {
		og_strscpy(buf, path, sizeof(buf));
	}
	/* A newer report of the same file replaces the one not written yet. */
	for (size_t i = 0; i < LOOP_REPORTS_MAX && !slot; i++)
		if (l->reports[i].used && strcmp(l->reports[i].path, buf) == 0)
			slot = &l->reports[i];
	for (size_t i = 0; i < LOOP_REPORTS_MAX && !slot; i++)
		if (!l->reports[i].used)
			slot = &l->reports[i];
	if (!slot) {
		l->reports_dropped++;
		return -ENOBUFS;
	}
	if (!slot->used)
		slot->seq = ++l->report_qseq;
	og_strscpy(slot->path, buf, sizeof(slot->path));
	b = (struct loop_sbuf){ slot->text, 0, sizeof(slot->text), false };
	slot->text[0] = '\0';
	format_report(&b, l, a, result, v, freed_bytes, elapsed_usec, since_cross_usec);
	slot->len = b.len;
	slot->used = true;
	if (l->report_src)
		sd_event_source_set_enabled(l->report_src, SD_EVENT_ONESHOT);
	return 0;
}

/* Write via a temporary file and rename, so a reader never sees half a file. */
static int write_text_once(const char *path, const char *text, size_t len)
{
	char tmp[POL_PATH_MAX + 80];
	int fd, r = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	for (size_t off = 0; off < len && r == 0;) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			r = n < 0 ? -errno : -EIO;
		else
			off += (size_t)n;
	}
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

/* The same, creating the file's directory when it is missing (the report directory or
 * /run/oomguardian may be removed under us). No stdio: nothing here allocates. */
static int write_text_atomic(const char *path, const char *text, size_t len)
{
	char dir[POL_PATH_MAX + 80];
	char *slash;
	int r = write_text_once(path, text, len);

	if (r != -ENOENT)
		return r;
	og_strscpy(dir, path, sizeof(dir));
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return r;
	*slash = '\0';
	r = loop_mkdir_p(dir);
	return r < 0 ? r : write_text_once(path, text, len);
}

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

int loop_report_flush(struct loop *l)
{
	int n = 0;

	for (;;) {
		struct loop_report_slot *slot = NULL;
		int r;

		for (size_t i = 0; i < LOOP_REPORTS_MAX; i++) /* oldest first */
			if (l->reports[i].used && (!slot || l->reports[i].seq < slot->seq))
				slot = &l->reports[i];
		if (!slot)
			break;
		r = write_text_atomic(slot->path, slot->text, slot->len);
		if (r < 0)
			(void)log_warning_errno(r, "cannot write report '%s': %m, ignoring",
						slot->path);
		else
			n++;
		(void)loop_hook_notify(slot->path, slot->text, slot->len); /* ExecAfterAction= */
		slot->used = false;
	}
	if (l->reports_dropped) {
		log_warning("report queue full: %u reports lost while victims were in flight",
			    l->reports_dropped);
		l->reports_dropped = 0;
	}
	return n;
}

void loop_write_state(struct loop *l)
{
	char text[POL_PATH_MAX + 512], ts[64];
	struct loop_sbuf b = { text, 0, sizeof(text), false };
	time_t t = (time_t)(l->stage_since_usec / 1000000);
	struct tm tm;
	int r;

	text[0] = '\0';
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	loop_sbuf_printf(&b, "stage=%s\nsince=%s\nsince_usec=%" PRIu64 "\npid=%d\n",
			 pol_stage_name(l->stage), ts, l->stage_since_usec, (int)getpid());
	put_str(&b, "scope", l->scope[0] ? l->scope : "/");
	/* issue 10 item 11: a scope that does not exist (yet) is not guarded */
	loop_sbuf_printf(&b, "status=%s\n",
			 l->scope[0] && l->scope_missing ? "waiting for scope" : "guarding");
	loop_sbuf_printf(&b, "dry_run=%s\navailable_bytes=%" PRIu64 "\ntotal_bytes=%" PRIu64 "\n",
			 l->dry_run ? "yes" : "no", l->avail_bytes, l->total_bytes);
	r = write_text_atomic(l->state_file, text, b.len);
	if (r < 0)
		(void)log_debug_errno(r, "cannot write state file '%s': %m", l->state_file);
}
