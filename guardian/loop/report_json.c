/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A report slot as JSON (format 1, documented in oomguardiand(8) "REPORTS"), and retention of
 * the report directory. Runs from the idle flush only: json-c allocates.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guardian/loop/report.h"
#include "policy/engine/pol_engine.h"
#include "policy/util/cleanup.h"
#include "policy/util/strutil.h"

const char *loop_report_kind_word(enum pol_action_kind kind)
{
	/* POL_ACT_REPORT is a stage that fired with nothing allowed to be done ("-report.report"
	 * said nothing); the others are the action's own name. */
	return kind == POL_ACT_REPORT ? "no-action" : pol_action_name(kind);
}

static const char *target_kind(enum pol_target_kind k)
{
	static const char *const names[] = {"system", "process", "process-group", "cgroup", "node"};

	return (size_t)k < OG_ELEMENTSOF(names) ? names[k] : "?";
}

static const char *tier_name(enum pol_tier t)
{
	static const char *const names[] = {"prefer", "over-budget", "avoid-needed", "default",
					    "avoid"};

	return (size_t)t < OG_ELEMENTSOF(names) ? names[t] : "?";
}

static void iso_time(char *buf, size_t size, uint64_t usec)
{
	time_t t = (time_t)(usec / 1000000);
	struct tm tm;
	size_t n;

	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", gmtime_r(&t, &tm));
	snprintf(buf + n, size - n, ".%06uZ", (unsigned)(usec % 1000000));
}

static void put_s(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

static void put_sn(struct json_object *o, const char *k, const char *v) /* "" is null */
{
	put_s(o, k, v && v[0] ? v : NULL);
}

static void put_u(struct json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

static void put_i(struct json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static void put_b(struct json_object *o, const char *k, bool v)
{
	json_object_object_add(o, k, json_object_new_boolean(v));
}

static void put_time(struct json_object *o, const char *k, uint64_t usec)
{
	char ts[48];

	if (!usec) {
		put_s(o, k, NULL);
		return;
	}
	iso_time(ts, sizeof(ts), usec);
	put_s(o, k, ts);
}

static struct json_object *target_json(const struct pol_target *t)
{
	struct json_object *o = json_object_new_object();

	put_s(o, "kind", target_kind(t->kind));
	switch (t->kind) {
	case POL_TGT_PROCESS:
	case POL_TGT_PROCESS_GROUP:
		put_i(o, "pid", t->pid);
		if (t->kind == POL_TGT_PROCESS_GROUP)
			put_i(o, "pgid", t->pgid);
		put_sn(o, "comm", t->comm);
		/* fall through */
	case POL_TGT_CGROUP:
		put_sn(o, "cgroup", t->cgroup);
		put_sn(o, "unit", t->unit);
		break;
	case POL_TGT_NODE:
		put_i(o, "node", t->node);
		put_i(o, "node_to", t->node_to);
		break;
	case POL_TGT_SYSTEM:
		break;
	}
	if (t->expected_free_bytes)
		put_u(o, "expected_free_bytes", t->expected_free_bytes);
	return o;
}

static struct json_object *victim_json(const struct loop_report_slot *s)
{
	const struct act_victim *v = &s->v;
	const struct loop_report_proc *p = &s->victim;
	struct json_object *o;

	if (!s->has_victim && !p->known)
		return NULL;
	o = json_object_new_object();
	put_i(o, "pid", s->has_victim ? v->pid : s->why.target.pid);
	put_sn(o, "comm", s->has_victim && v->comm[0] ? v->comm : s->why.target.comm);
	put_sn(o, "cmdline", p->known ? p->cmdline : NULL);
	put_sn(o, "exe", p->known ? p->exe : NULL);
	if (p->known)
		put_u(o, "uid", p->uid);
	else
		put_s(o, "uid", NULL);
	put_sn(o, "unit", s->has_victim && v->unit[0] ? v->unit : s->why.target.unit);
	put_sn(o, "cgroup", s->has_victim && v->cgroup[0] ? v->cgroup : s->why.target.cgroup);
	if (p->known) {
		put_i(o, "oom_score", p->oom_score);
		put_i(o, "oom_score_adj", p->oom_score_adj);
		put_u(o, "rss_bytes", p->rss_bytes);
		put_u(o, "swap_bytes", p->swap_bytes);
	}
	if (s->has_victim)
		put_u(o, "starttime_ticks", v->starttime_ticks);
	return o;
}

/* Microseconds from the victim's open to an event, null when it did not happen. */
static void put_since_open(struct json_object *o, const char *k, const struct act_victim *v,
			   uint64_t at)
{
	if (at && v->opened_usec && at >= v->opened_usec)
		put_u(o, k, at - v->opened_usec);
	else
		put_s(o, k, NULL);
}

static struct json_object *sent_json(const struct loop_report_slot *s)
{
	const struct act_victim *v = &s->v;
	struct json_object *o = json_object_new_object();
	char buf[64];

	put_b(o, "sigterm", v->sent & ACT_SENT_TERM);
	put_b(o, "sigkill", v->sent & ACT_SENT_KILL);
	put_since_open(o, "sigterm_after_usec", v, v->term_usec);
	put_since_open(o, "sigkill_after_usec", v, v->kill_usec);
	/* process_mrelease: whether it ran and what the kernel said */
	if (!(v->sent & ACT_SENT_MRELEASE) && v->mrelease_r == 1) {
		put_s(o, "memory_release", "not called");
	} else if (v->mrelease_r == 0) {
		put_s(o, "memory_release", "done");
	} else if (v->mrelease_r == -ESRCH) { /* the exit beat it to the memory: fine */
		put_s(o, "memory_release", "not needed: already reaped");
	} else {
		snprintf(buf, sizeof(buf), "failed: %s", strerror(-v->mrelease_r));
		put_s(o, "memory_release", buf);
	}
	put_b(o, "exited", v->exited);
	put_since_open(o, "exited_after_usec", v, v->exited_usec);
	return o;
}

static struct json_object *candidates_json(const struct loop_report_slot *s)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < s->ntop; i++) {
		const struct pol_candidate *c = &s->top[i];
		struct json_object *o = json_object_new_object();

		put_u(o, "rank", i + 1);
		put_s(o, "kind", target_kind(c->target.kind));
		put_i(o, "pid", c->target.pid);
		put_sn(o, "comm", c->target.comm);
		put_sn(o, "cgroup", c->target.cgroup);
		put_sn(o, "unit", c->target.unit);
		put_sn(o, "service", c->service);
		put_sn(o, "policy", c->rule);
		put_s(o, "tier", tier_name(c->tier));
		put_u(o, "free_bytes", c->free_bytes);
		put_i(o, "oom_score", c->oom_score);
		put_b(o, "chosen",
		      c->target.pid == s->why.target.pid && c->target.kind == s->why.target.kind);
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *machine_json(const struct loop_report_machine *m)
{
	struct json_object *o, *a;

	if (!m->valid)
		return NULL;
	o = json_object_new_object();
	put_s(o, "measured_on", m->scope ? "scope" : "machine");
	put_u(o, "available_bytes", m->avail_bytes);
	put_u(o, "total_bytes", m->total_bytes);
	put_u(o, "machine_available_bytes", m->machine_avail_bytes);
	put_u(o, "machine_total_bytes", m->machine_total_bytes);
	put_u(o, "swap_total_bytes", m->swap_total_bytes);
	put_u(o, "swap_free_bytes", m->swap_free_bytes);
	if (m->has_psi) {
		struct json_object *p = json_object_new_object();

		/* percent x 100, as the policy files count it (no floats: no locale) */
		put_u(p, "some_avg10_centi", m->psi_some_avg10_centi);
		put_u(p, "full_avg10_centi", m->psi_full_avg10_centi);
		json_object_object_add(o, "memory_pressure", p);
	} else {
		put_s(o, "memory_pressure", NULL);
	}
	if (m->slabs_read) {
		a = json_object_new_array();
		for (size_t i = 0; i < m->nslabs; i++) {
			struct json_object *e = json_object_new_object();

			put_s(e, "name", m->slabs[i].name);
			put_u(e, "bytes", m->slabs[i].bytes);
			put_b(e, "reclaimable", m->slabs[i].reclaimable);
			json_object_array_add(a, e);
		}
		json_object_object_add(o, "top_slab_caches", a);
	} else {
		put_s(o, "top_slab_caches", NULL); /* not walked in the kill zone */
	}
	a = json_object_new_array();
	for (size_t i = 0; i < m->nnodes; i++) {
		struct json_object *e = json_object_new_object();

		put_i(e, "node", m->nodes[i].id);
		put_u(e, "free_bytes", m->nodes[i].free_bytes);
		put_u(e, "total_bytes", m->nodes[i].total_bytes);
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "nodes", m->nodes_total ? a : (json_object_put(a), NULL));
	if (m->nodes_total > m->nnodes)
		put_u(o, "nodes_not_shown", m->nodes_total - m->nnodes);
	return o;
}

static struct json_object *recorder_json(const struct loop_recorder *fr)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	struct json_object *names = json_object_new_array();

	put_u(o, "period_usec", LOOP_FR_PERIOD_USEC);
	for (size_t i = 0; i < fr->nnames; i++)
		json_object_array_add(names, json_object_new_string(fr->names[i]));
	json_object_object_add(o, "services", names);
	for (size_t i = 0; i < fr->n; i++) {
		const struct loop_fr_sample *s = loop_recorder_at(fr, i);
		struct json_object *e = json_object_new_object(), *sv;
		char ts[48];

		iso_time(ts, sizeof(ts), s->time_usec);
		put_s(e, "time", ts);
		put_u(e, "available_bytes", s->avail_bytes);
		put_u(e, "total_bytes", s->total_bytes);
		if (s->has_psi) {
			put_u(e, "psi_some_avg10_centi", s->psi_some_centi);
			put_u(e, "psi_full_avg10_centi", s->psi_full_centi);
		}
		put_s(e, "stage", pol_stage_name((enum pol_stage)s->stage));
		sv = json_object_new_object();
		for (uint8_t j = 0; j < s->nsvc; j++)
			if (s->svc[j].name < fr->nnames)
				put_u(sv, fr->names[s->svc[j].name], s->svc[j].bytes);
		json_object_object_add(e, "services", sv);
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "samples", a);
	return o;
}

struct json_object *loop_report_json(const struct loop_report_slot *s, const char *host,
				     const struct loop_recorder *fr)
{
	const struct pol_action *a = &s->why;
	struct json_object *o = json_object_new_object();
	const char *base = strrchr(s->path, '/');
	char id[POL_PATH_MAX + 64];
	bool acted = a->kind != POL_ACT_REPORT && strcmp(s->result, "nothing-to-do") != 0 &&
		     strcmp(s->result, "not-supported") != 0 && strcmp(s->result, "failed") != 0 &&
		     strcmp(s->result, "vanished") != 0;

	if (!o)
		return NULL;
	og_strscpy(id, base ? base + 1 : s->path, sizeof(id));
	if (strlen(id) > 5 && strcmp(id + strlen(id) - 5, ".json") == 0)
		id[strlen(id) - 5] = '\0';
	put_u(o, "format", LOOP_REPORT_FORMAT);
	put_s(o, "id", id);
	put_time(o, "time", s->decided_usec);
	put_time(o, "updated", s->updated_usec);
	put_sn(o, "host", host);
	put_b(o, "dry_run", s->dry_run);
	put_s(o, "scope", s->scope[0] ? s->scope : "/");
	put_s(o, "action", pol_action_name(a->kind));
	put_s(o, "decision", acted ? "acted" : "not-acted");
	put_s(o, "result", s->result);
	put_s(o, "stage", pol_stage_name(a->stage));
	put_sn(o, "rule", a->rule);
	put_sn(o, "reason", a->reason);
	/* measured/limit only where the rule measured something (not on protection records) */
	if (a->metric[0] && a->kind != POL_ACT_OOM_SCORE_ADJ) {
		put_s(o, "metric", a->metric);
		put_u(o, "measured", a->measured);
		put_u(o, "limit", a->limit);
	} else {
		put_s(o, "metric", NULL);
		put_s(o, "measured", NULL);
		put_s(o, "limit", NULL);
	}
	if (a->kind == POL_ACT_OOM_SCORE_ADJ) {
		put_i(o, "oom_score_adj", (int64_t)a->value);
		put_u(o, "count", s->count ? s->count : 1);
	} else if (a->kind == POL_ACT_TERM) {
		put_u(o, "grace_usec", a->value);
	} else if (a->kind != POL_ACT_KILL && a->kind != POL_ACT_REPORT) {
		put_u(o, "value", a->value);
	}
	json_object_object_add(o, "target", target_json(&a->target));
	json_object_object_add(o, "victim", victim_json(s));
	json_object_object_add(o, "sent", s->has_victim ? sent_json(s) : NULL);
	put_u(o, "freed_bytes", s->freed_bytes);
	put_u(o, "elapsed_usec", s->elapsed_usec);
	if (s->since_cross_usec)
		put_u(o, "since_kill_threshold_usec", s->since_cross_usec);
	else
		put_s(o, "since_kill_threshold_usec", NULL);
	if (s->victim_bytes)
		put_u(o, "victim_bytes", s->victim_bytes);
	else
		put_s(o, "victim_bytes", NULL);
	if (s->cross_to_kill_usec)
		put_u(o, "kill_threshold_to_sigkill_usec", s->cross_to_kill_usec);
	else
		put_s(o, "kill_threshold_to_sigkill_usec", NULL);
	put_s(o, "process_table", s->partial ? "partial" : "whole");
	json_object_object_add(o, "candidates", candidates_json(s));
	json_object_object_add(o, "machine", machine_json(&s->m));
	json_object_object_add(o, "flight_recorder",
			       fr && a->kind != POL_ACT_OOM_SCORE_ADJ ? recorder_json(fr) : NULL);
	return o;
}

/* ------------------------------------------------------------------ retention */

/* "20261202T031315.123456Z-..." : the report's time in usec, or 0 if not one of ours. */
static uint64_t name_time(const char *name)
{
	struct tm tm = {0};
	unsigned us;
	size_t n = strlen(name);
	int k = 0;

	if (n < 30 || strcmp(name + n - 5, ".json") != 0 || name[0] == '.')
		return 0;
	if (sscanf(name, "%4d%2d%2dT%2d%2d%2d.%6uZ-%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &us, &k) != 7 ||
	    k != 24)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (uint64_t)timegm(&tm) * 1000000ULL + us;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int loop_reports_prune(int dirfd, unsigned max_files, uint64_t max_age_usec,
		       uint64_t now_realtime_usec)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	int fd, deleted = 0, r = 0;
	DIR *d;
	struct dirent *de;

	if (!max_files && !max_age_usec)
		return 0;
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		if (!name_time(de->d_name))
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*names));

			if (!nn) {
				r = -ENOMEM;
				break;
			}
			names = nn;
		}
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (r == 0) {
		qsort(names, n, sizeof(*names),
		      cmp_names); /* oldest first: names start with time */
		for (size_t i = 0; i < n; i++) {
			bool too_many = max_files && n - i > max_files;
			uint64_t t = name_time(names[i]);
			bool too_old = max_age_usec && now_realtime_usec > t &&
				       now_realtime_usec - t > max_age_usec;

			if ((too_many || too_old) && unlinkat(dirfd, names[i], 0) == 0)
				deleted++;
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r < 0 ? r : deleted;
}
