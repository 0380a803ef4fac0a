/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the loop leaves behind: one key=value report file per action (why, to whom, what it
 * freed, how long it took), the state file (what stage, since when), the --once plan printout,
 * and the pure arithmetic of the fast poll.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "guardian/log.h"
#include "guardian/loop_int.h"
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

/* Values printed raw and on one line: a hostile comm with a newline stays on its line. */
static void put_str(FILE *out, const char *key, const char *v)
{
	fprintf(out, "%s=", key);
	for (; *v; v++)
		fputc((unsigned char)*v < 0x20 || *v == 0x7f ? '?' : *v, out);
	fputc('\n', out);
}

void loop_format_action(FILE *out, const struct pol_action *a)
{
	const struct pol_target *t = &a->target;

	fprintf(out, "action=%s\n", pol_action_name(a->kind));
	fprintf(out, "stage=%s\n", pol_stage_name(a->stage));
	fprintf(out, "target=%s\n", target_kind_name(t->kind));
	switch (t->kind) {
	case POL_TGT_PROCESS:
	case POL_TGT_PROCESS_GROUP:
		fprintf(out, "pid=%d\n", (int)t->pid);
		if (t->kind == POL_TGT_PROCESS_GROUP)
			fprintf(out, "pgid=%d\n", (int)t->pgid);
		put_str(out, "comm", t->comm);
		put_str(out, "cgroup", t->cgroup);
		put_str(out, "unit", t->unit);
		break;
	case POL_TGT_CGROUP:
		put_str(out, "cgroup", t->cgroup);
		put_str(out, "unit", t->unit);
		break;
	case POL_TGT_NODE:
		fprintf(out, "node=%d\nnode_to=%d\n", t->node, t->node_to);
		break;
	case POL_TGT_SYSTEM:
		break;
	}
	if (t->expected_free_bytes)
		fprintf(out, "expected_free_bytes=%" PRIu64 "\n", t->expected_free_bytes);
	if (a->kind == POL_ACT_OOM_SCORE_ADJ) /* a negative int carried in the u64 */
		fprintf(out, "value=%" PRId64 "\n", (int64_t)a->value);
	else
		fprintf(out, "value=%" PRIu64 "\n", a->value);
	put_str(out, "rule", a->rule);
	put_str(out, "metric", a->metric);
	fprintf(out, "measured=%" PRIu64 "\nlimit=%" PRIu64 "\n", a->measured, a->limit);
	put_str(out, "reason", a->reason);
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
		put_str(out, "comm", c->target.comm);
		put_str(out, "cgroup", c->target.cgroup);
		fprintf(out, "tier=%d\nfree_bytes=%" PRIu64 "\noom_score=%d\n", (int)c->tier,
			c->free_bytes, c->oom_score);
		put_str(out, "service", c->service);
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

/* Write via a temporary file and rename, so a reader never sees half a file. */
static int write_file_atomic(const char *path, void (*fill)(FILE *, void *), void *ud)
{
	char tmp[POL_PATH_MAX + 80];
	FILE *f;
	int r = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fill(f, ud);
	if (fflush(f) != 0 || ferror(f))
		r = -EIO;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

struct report_args {
	const struct loop *l;
	const struct pol_action *a;
	const char *result;
	const struct act_victim *v;
	uint64_t freed, elapsed, since_cross;
};

static void fill_report(FILE *f, void *ud)
{
	const struct report_args *r = ud;
	char ts[64];
	struct tm tm;
	time_t t = time(NULL);

	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	fprintf(f, "time=%s\nresult=%s\ndry_run=%s\n", ts, r->result, r->l->dry_run ? "yes" : "no");
	put_str(f, "scope", r->l->scope[0] ? r->l->scope : "/");
	loop_format_action(f, r->a);
	if (r->v) {
		fprintf(f, "victim_pid=%d\nvictim_starttime=%" PRIu64 "\n", (int)r->v->pid,
			r->v->starttime_ticks);
		fprintf(f, "sent_term=%s\nsent_kill=%s\nmrelease=%s\nexited=%s\n",
			r->v->sent & ACT_SENT_TERM ? "yes" : "no",
			r->v->sent & ACT_SENT_KILL ? "yes" : "no",
			r->v->sent & ACT_SENT_MRELEASE ? "yes" : "no", r->v->exited ? "yes" : "no");
	}
	fprintf(f, "freed_bytes=%" PRIu64 "\nelapsed_usec=%" PRIu64 "\n", r->freed, r->elapsed);
	fprintf(f, "since_kill_threshold_usec=%" PRIu64 "\n", r->since_cross);
}

int loop_write_report(struct loop *l, const struct pol_action *a, const char *result,
		      const struct act_victim *v, uint64_t freed_bytes, uint64_t elapsed_usec,
		      uint64_t since_cross_usec, char *path, size_t path_size)
{
	struct report_args args = { l, a, result, v, freed_bytes, elapsed_usec, since_cross_usec };
	char buf[POL_PATH_MAX + 64];
	int r;

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
	r = write_file_atomic(buf, fill_report, &args);
	if (r == -ENOENT) {
		r = loop_mkdir_p(l->report_dir);
		if (r >= 0)
			r = write_file_atomic(buf, fill_report, &args);
	}
	if (r < 0)
		(void)log_warning_errno(r, "cannot write report '%s': %m, ignoring", buf);
	return r;
}

static void fill_state(FILE *f, void *ud)
{
	const struct loop *l = ud;

	time_t t = (time_t)(l->stage_since_usec / 1000000);
	struct tm tm;
	char ts[64];

	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	fprintf(f, "stage=%s\nsince=%s\nsince_usec=%" PRIu64 "\npid=%d\n", pol_stage_name(l->stage),
		ts, l->stage_since_usec, (int)getpid());
	put_str(f, "scope", l->scope[0] ? l->scope : "/");
	fprintf(f, "dry_run=%s\navailable_bytes=%" PRIu64 "\ntotal_bytes=%" PRIu64 "\n",
		l->dry_run ? "yes" : "no", l->avail_bytes, l->total_bytes);
}

void loop_write_state(struct loop *l)
{
	char dir[POL_PATH_MAX];
	char *slash;
	int r = write_file_atomic(l->state_file, fill_state, l);

	if (r == -ENOENT) {
		og_strscpy(dir, l->state_file, sizeof(dir));
		slash = strrchr(dir, '/');
		if (slash && slash != dir) {
			*slash = '\0';
			if (loop_mkdir_p(dir) >= 0)
				r = write_file_atomic(l->state_file, fill_state, l);
		}
	}
	if (r < 0)
		(void)log_debug_errno(r, "cannot write state file '%s': %m", l->state_file);
}
