/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The journal entry of a finished report (see journal.h). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "guardian/loop/journal.h"
#include "guardian/loop/report.h"
#include "policy/engine/pol_engine.h"
#include "policy/util/strutil.h"

static loop_journal_sink_fn sink;
static void *sink_userdata;
static int have_journal = -1;

void loop_journal_set_sink(loop_journal_sink_fn fn, void *userdata)
{
	sink = fn;
	sink_userdata = userdata;
}

const char *loop_journal_message_id(const struct loop_report_slot *s)
{
	switch (s->why.kind) {
	case POL_ACT_REPORT:
		return OG_MID_NO_ACTION;
	case POL_ACT_OOM_SCORE_ADJ:
		return OG_MID_PROTECT;
	case POL_ACT_TERM:
	case POL_ACT_KILL:
		if (strcmp(s->result, "timeout") == 0)
			return OG_MID_TIMEOUT;
		return strcmp(s->result, "terminated") == 0 || s->why.kind == POL_ACT_TERM
			       ? OG_MID_TERM
			       : OG_MID_KILL;
	default:
		return OG_MID_MEMORY;
	}
}

struct entry {
	struct iovec iov[LOOP_JOURNAL_FIELDS];
	size_t n;
	char buf[8192];
	size_t used;
};

static void add(struct entry *e, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add(struct entry *e, const char *key, const char *fmt, ...)
{
	va_list ap;
	int n, k;

	if (e->n == LOOP_JOURNAL_FIELDS || e->used >= sizeof(e->buf))
		return;
	k = snprintf(e->buf + e->used, sizeof(e->buf) - e->used, "%s=", key);
	if (k < 0 || (size_t)k >= sizeof(e->buf) - e->used)
		return;
	va_start(ap, fmt);
	n = vsnprintf(e->buf + e->used + k, sizeof(e->buf) - e->used - (size_t)k, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(e->buf) - e->used - (size_t)k)
		return; /* a field cut short is left out, not sent half */
	e->iov[e->n].iov_base = e->buf + e->used;
	e->iov[e->n].iov_len = (size_t)k + (size_t)n;
	e->n++;
	e->used += (size_t)k + (size_t)n + 1;
}

static void message(struct entry *e, const struct loop_report_slot *s)
{
	const struct pol_action *a = &s->why;
	char comm[OG_COMM_MAX], freed[16], rule[160];
	const char *dry = s->dry_run ? "dry-run: " : "";

	/* names from the kernel escaped in MESSAGE (the fields keep the bytes) */
	og_escape(comm, sizeof(comm), s->has_victim && s->v.comm[0] ? s->v.comm : a->target.comm);
	og_escape(rule, sizeof(rule), a->rule);
	og_format_bytes(freed, sizeof(freed), s->freed_bytes);
	switch (a->kind) {
	case POL_ACT_TERM:
	case POL_ACT_KILL:
		if (a->target.kind == POL_TGT_PROCESS)
			add(e, "MESSAGE", "%s%s %s (pid %d): %s, freed %s", dry,
			    pol_action_name(a->kind), comm, (int)a->target.pid, s->result, freed);
		else
			add(e, "MESSAGE", "%s%s group %s: %s, freed %s", dry,
			    pol_action_name(a->kind),
			    a->target.cgroup[0] ? a->target.cgroup : "(process group)", s->result,
			    freed);
		break;
	case POL_ACT_REPORT:
		add(e, "MESSAGE", "stage %s fired (%s), nothing may be done",
		    pol_stage_name(a->stage), rule);
		break;
	case POL_ACT_OOM_SCORE_ADJ:
		add(e, "MESSAGE", "%soom_score_adj %" PRId64 " for %s (pid %d) by %s", dry,
		    (int64_t)a->value, comm, (int)a->target.pid, rule);
		break;
	default:
		add(e, "MESSAGE", "%s%s: %s", dry, pol_action_name(a->kind), s->result);
		break;
	}
}

void loop_journal_report(const struct loop_report_slot *s, const char *path, bool fixture)
{
	const struct pol_action *a = &s->why;
	const char *mid = loop_journal_message_id(s);
	static struct entry e; /* 8 KiB: static, the flush runs in one thread */
	bool warn = a->kind == POL_ACT_TERM || a->kind == POL_ACT_KILL || a->kind == POL_ACT_REPORT;

	/* protection: the first process of a policy's minute (the report counts the rest) */
	if (a->kind == POL_ACT_OOM_SCORE_ADJ && s->count > 1)
		return;
	if (!sink && fixture)
		return;
	if (!sink && have_journal < 0)
		have_journal = access("/run/systemd/journal/socket", W_OK) == 0;
	if (!sink && !have_journal)
		return;
	e.n = e.used = 0;
	message(&e, s);
	add(&e, "MESSAGE_ID", "%s", mid);
	add(&e, "PRIORITY", "%d", warn && !s->dry_run ? LOG_WARNING : LOG_NOTICE);
	add(&e, "SYSLOG_IDENTIFIER", "oomguardiand");
	add(&e, "OOMGUARDIAN_ACTION", "%s", pol_action_name(a->kind));
	add(&e, "OOMGUARDIAN_RESULT", "%s", s->result);
	add(&e, "OOMGUARDIAN_STAGE", "%s", pol_stage_name(a->stage));
	add(&e, "OOMGUARDIAN_DRY_RUN", "%s", s->dry_run ? "yes" : "no");
	if (a->rule[0])
		add(&e, "OOMGUARDIAN_RULE", "%s", a->rule);
	if (a->metric[0] && a->kind != POL_ACT_OOM_SCORE_ADJ) {
		add(&e, "OOMGUARDIAN_METRIC", "%s", a->metric);
		add(&e, "OOMGUARDIAN_MEASURED", "%" PRIu64, a->measured);
		add(&e, "OOMGUARDIAN_LIMIT", "%" PRIu64, a->limit);
	}
	if (a->target.kind == POL_TGT_PROCESS || a->target.kind == POL_TGT_PROCESS_GROUP) {
		add(&e, "OOMGUARDIAN_VICTIM_PID", "%d", (int)a->target.pid);
		add(&e, "OOMGUARDIAN_VICTIM_COMM", "%s",
		    s->has_victim && s->v.comm[0] ? s->v.comm : a->target.comm);
	}
	if (a->target.unit[0])
		add(&e, "OOMGUARDIAN_VICTIM_UNIT", "%s", a->target.unit);
	if (a->target.cgroup[0])
		add(&e, "OOMGUARDIAN_VICTIM_CGROUP", "%s", a->target.cgroup);
	if (a->kind == POL_ACT_TERM || a->kind == POL_ACT_KILL || s->freed_bytes)
		add(&e, "OOMGUARDIAN_FREED_BYTES", "%" PRIu64, s->freed_bytes);
	if (a->kind == POL_ACT_OOM_SCORE_ADJ)
		add(&e, "OOMGUARDIAN_OOM_SCORE_ADJ", "%" PRId64, (int64_t)a->value);
	if (path)
		add(&e, "OOMGUARDIAN_REPORT", "%s", path);
	if (sink)
		sink(sink_userdata, e.iov, e.n);
	else
		(void)sd_journal_sendv(e.iov, (int)e.n);
}
