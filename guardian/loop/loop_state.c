/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The state file (what the daemon is doing, for oomguardianctl status) and the lock that makes
 * one daemon per state file. The state is formatted into a stack buffer and written through
 * loop_files.c (no stdio, no allocation): it is rewritten on a stage change.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guardian/base/log.h"
#include "guardian/loop/loop_files.h"
#include "guardian/loop/loop_int.h"
#include "guardian/loop/report.h"
#include "policy/engine/pol_engine.h"

static void state_text(struct loop *l, struct loop_sbuf *b, bool running)
{
	char ts[64];
	time_t t = (time_t)(l->stage_since_usec / 1000000);
	struct tm tm;

	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	loop_sbuf_printf(b, "running=%s\npid=%d\nversion=%s\n", running ? "yes" : "no",
			 (int)getpid(), PACKAGE_VERSION);
	loop_sbuf_printf(b, "stage=%s\nsince=%s\nsince_usec=%" PRIu64 "\n",
			 pol_stage_name(l->stage), ts, l->stage_since_usec);
	loop_sbuf_put_str(b, "scope", l->scope[0] ? l->scope : "/");
	/* a scope that does not exist (yet) is not guarded (issue 10 item 11) */
	loop_sbuf_printf(b, "status=%s\n",
			 l->scope[0] && l->scope_missing ? "waiting for scope" : "guarding");
	if (strcmp(l->root_dir, "/") != 0)
		loop_sbuf_put_str(b, "root", l->root_dir);
	loop_sbuf_printf(b, "dry_run=%s\navailable_bytes=%" PRIu64 "\ntotal_bytes=%" PRIu64 "\n",
			 l->dry_run ? "yes" : "no", l->avail_bytes, l->total_bytes);
	loop_sbuf_printf(b, "policies=%zu\npolicy_files=%zu\n", l->rules.nservices,
			 l->rules.nfiles);
	loop_sbuf_printf(b, "protected=%u\nprotect_refused=%u\n", l->rec->protected_ok,
			 l->rec->protected_refused);
	for (size_t i = 0, k = 0; i < LOOP_PROTECT_AGG_MAX; i++) {
		const struct loop_protect_agg *g = &l->rec->agg[i];
		char key[48], val[POL_PATH_MAX + 96];

		if (!g->rule[0])
			continue;
		snprintf(key, sizeof(key), "protect_policy.%zu", ++k);
		if (snprintf(val, sizeof(val), "%u %u %" PRId64 " %s", g->total_ok,
			     g->total_refused, g->oom_score_adj, g->rule) < (int)sizeof(val))
			loop_sbuf_put_str(b, key, val); /* ACCEPTED REFUSED OOM_SCORE_ADJ POLICY */
	}
	loop_sbuf_put_str(b, "report_dir", l->report_dir);
	/* GENERATION ok|refused|none; the reason of a refusal */
	if (!l->reload_gen)
		loop_sbuf_printf(b, "reload=0 none\n");
	else
		loop_sbuf_printf(b, "reload=%u %s\n", l->reload_gen,
				 l->reload_refused ? "refused" : "ok");
	if (l->reload_refused)
		loop_sbuf_put_str(b, "reload_reason", l->reload_reason);
	for (size_t i = 0; i < l->rec->nlast; i++) {
		size_t k = (l->rec->last_next + LOOP_LAST_ACTIONS - l->rec->nlast + i) %
			   LOOP_LAST_ACTIONS;
		const struct loop_last_action *e = &l->rec->last[k];
		char key[48], val[OG_COMM_MAX + 160];

		t = (time_t)(e->time_usec / 1000000);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
		snprintf(key, sizeof(key), "last_action.%zu", i + 1);
		if (snprintf(val, sizeof(val), "%s %s %s %d %" PRIu64 " %s", ts, e->kind, e->result,
			     (int)e->pid, e->freed_bytes, e->comm) >= (int)sizeof(val))
			continue; /* cannot happen: the fields are bounded */
		loop_sbuf_put_str(b, key, val);
	}
}

static void write_state(struct loop *l, bool running)
{
	char why[LOOP_FILES_WHY_MAX];
	struct loop_sbuf b;
	int r;

	/* Not ours: a fixture run without --state-file, --once, or another daemon's. */
	if (!l->state_file[0] || !l->rec || !l->rec->owns_state)
		return;
	/* the record's buffer, touched at start: no fresh stack pages on a stage change */
	b = (struct loop_sbuf){l->rec->state_text, 0, sizeof(l->rec->state_text), false};
	b.p[0] = '\0';
	state_text(l, &b, running);
	if (!running) {
		char ts[64];
		time_t t = time(NULL);
		struct tm tm;

		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
		loop_sbuf_printf(&b, "stopped=%s\n", ts);
	}
	r = loop_file_write(l->state_file, b.p, b.len, 0644, why);
	if (r < 0 && !l->rec->state_warned) {
		(void)log_warning_errno(r,
					"cannot write the state file '%s': %s%s%m; "
					"'oomguardianctl status' cannot show the stage until it "
					"can, ignoring",
					l->state_file, why, why[0] ? ": " : "");
		l->rec->state_warned = true;
	} else if (r >= 0) {
		l->rec->state_warned = false;
	}
}

void loop_write_state(struct loop *l)
{
	write_state(l, true);
}

void loop_write_state_stopped(struct loop *l)
{
	write_state(l, false);
}

int loop_lock(struct loop *l)
{
	char why[LOOP_FILES_WHY_MAX];
	pid_t holder = 0;
	int r;

	if (!l->state_file[0])
		return 0;
	snprintf(l->rec->lock_path, sizeof(l->rec->lock_path), "%s.lock", l->state_file);
	r = loop_lock_take(l->rec->lock_path, &l->rec->lock_fd, &holder, why);
	if (r == -EBUSY) {
		if (holder)
			log_error("another oomguardiand (pid %d) is running with the state file "
				  "'%s' (it holds '%s'): not starting a second one",
				  (int)holder, l->state_file, l->rec->lock_path);
		else
			log_error("another oomguardiand is running with the state file '%s' (it "
				  "holds '%s'): not starting a second one",
				  l->state_file, l->rec->lock_path);
		return r;
	}
	/* The guardian must not stay down for want of a lock file: go on, and say so. */
	l->rec->owns_state = true;
	if (r < 0)
		(void)log_warning_errno(r,
					"cannot take the lock '%s': %s%s%m; a second daemon would "
					"not be refused, ignoring",
					l->rec->lock_path, why, why[0] ? ": " : "");
	return 0;
}
