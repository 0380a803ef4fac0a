/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's own record: JSON reports (what they say, when they are written), protection
 * records merged per policy and minute, retention, fixture runs that write only where told,
 * the lock and the state file, safe file creation, the flight recorder.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "guardian/base/log.h"
#include "guardian/ctl/ctl_html.h"
#include "guardian/ctl/ctl_kernel.h"
#include "guardian/ctl/ctl_reports.h"
#include "guardian/loop/journal.h"
#include "guardian/loop/loop.h"
#include "guardian/loop/loop_files.h"
#include "guardian/loop/loop_int.h"
#include "guardian/loop/report.h"
#include "tests/unit/og_check.h"

static char *slurp(const char *path)
{
	static char buf[1 << 20];
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static struct json_object *read_json(const char *path)
{
	const char *txt = slurp(path);

	return txt ? json_tokener_parse(txt) : NULL;
}

static struct json_object *jget(struct json_object *o, const char *dotted)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", dotted);
	for (char *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, (size_t)atoi(k));
		else if (!json_object_object_get_ex(o, k, &o))
			return NULL;
	}
	return o;
}

static const char *jstr(struct json_object *o, const char *k)
{
	struct json_object *v = jget(o, k);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static int64_t jint(struct json_object *o, const char *k)
{
	struct json_object *v = jget(o, k);

	ck_assert_msg(v && json_object_is_type(v, json_type_int), "%s is not a number", k);
	return json_object_get_int64(v);
}

static bool jnull(struct json_object *o, const char *k)
{
	return json_object_object_get_ex(o, k, NULL) && jget(o, k) == NULL;
}

static struct pol_action term_action(void)
{
	struct pol_action a = {0};

	a.kind = POL_ACT_TERM;
	a.stage = POL_STAGE_TERMINATE;
	a.target.kind = POL_TGT_PROCESS;
	a.target.pid = 321;
	strcpy(a.target.comm, "hog\nresult=forged");
	strcpy(a.target.cgroup, "/system.slice/hog.service");
	strcpy(a.target.unit, "hog.service");
	strcpy(a.rule, "test.conf:9 [Terminate]");
	strcpy(a.metric, "mem_available_permyriad");
	a.measured = 2994;
	a.limit = 3000;
	a.value = 2000000;
	strcpy(a.reason, "below the terminate threshold");
	return a;
}

/* A report goes into a report directory that does not exist yet, as JSON that says why, to
 * whom, what was sent; it is rewritten in place (same file) when the outcome is known. */
START_TEST(report_is_json_and_says_why)
{
	char tmpl[] = "/tmp/ogtest-report-XXXXXX", dir[256], path[POL_PATH_MAX + 64] = "";
	struct loop_opts o = {.root_dir = FIXTURES "/this-host", .dry_run = true};
	struct pol_rules rules = {0};
	struct pol_action a = term_action();
	struct act_victim v = {0};
	struct loop *l = NULL;
	struct json_object *j;
	const char *base;

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	snprintf(dir, sizeof(dir), "%s/a/b", tmpl);
	o.report_dir = dir;
	ck_assert_int_eq(loop_new(&o, &rules, &l), 0);
	/* a plan as the engine left it: two candidates, the first chosen */
	l->plan.ntop = 2;
	l->plan.top[0].target = a.target;
	l->plan.top[0].free_bytes = 900 << 20;
	l->plan.top[0].tier = POL_TIER_DEFAULT;
	strcpy(l->plan.top[0].service, "hog");
	l->plan.top[1].target.kind = POL_TGT_PROCESS;
	l->plan.top[1].target.pid = 400;
	strcpy(l->plan.top[1].target.comm, "other");
	l->plan.top[1].free_bytes = 100 << 20;
	l->plan.avail_bytes = 12345;
	l->plan.total_bytes = 99999;
	v.pid = 321;
	v.sent = ACT_SENT_TERM;
	v.mrelease_r = 1;
	strcpy(v.comm, "hog\nresult=forged");
	ck_assert_int_eq(loop_report_queue(l, &a, "signalled", &v, 0, 0, 0, path, sizeof(path)), 0);
	ck_assert(strncmp(path, dir, strlen(dir)) == 0);
	base = strrchr(path, '/') + 1;
	/* named by time: 20261202T031315.123456Z-PID-SEQ-term.json */
	ck_assert_int_eq(base[8], 'T');
	ck_assert_int_eq(base[15], '.');
	ck_assert_int_eq(base[22], 'Z');
	ck_assert_ptr_nonnull(strstr(base, "-term.json"));
	/* queued only: neither the file nor its directory exists before the flush */
	ck_assert_int_ne(access(path, F_OK), 0);
	ck_assert_int_ne(access(dir, F_OK), 0);
	ck_assert_int_eq(loop_report_flush(l), 1);
	j = read_json(path);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(jint(j, "format"), 1);
	ck_assert_str_eq(jstr(j, "result"), "signalled");
	ck_assert_str_eq(jstr(j, "action"), "term");
	ck_assert_str_eq(jstr(j, "decision"), "acted");
	ck_assert(json_object_get_boolean(jget(j, "dry_run"))); /* a fixture run is dry-run */
	ck_assert_str_eq(jstr(j, "rule"), "test.conf:9 [Terminate]");
	ck_assert_int_eq(jint(j, "measured"), 2994);
	ck_assert_int_eq(jint(j, "limit"), 3000);
	ck_assert_str_eq(jstr(j, "victim.comm"), "hog\nresult=forged"); /* escaped by JSON */
	ck_assert_str_eq(jstr(j, "victim.unit"), "hog.service");
	ck_assert(json_object_get_boolean(jget(j, "sent.sigterm")));
	ck_assert(!json_object_get_boolean(jget(j, "sent.sigkill")));
	ck_assert_str_eq(jstr(j, "sent.memory_release"), "not called");
	ck_assert_int_eq(json_object_array_length(jget(j, "candidates")), 2);
	ck_assert(json_object_get_boolean(jget(j, "candidates.0.chosen")));
	ck_assert(!json_object_get_boolean(jget(j, "candidates.1.chosen")));
	ck_assert_int_eq(jint(j, "candidates.1.free_bytes"), 100 << 20);
	ck_assert_int_eq(jint(j, "machine.available_bytes"), 12345);
	ck_assert_ptr_nonnull(jstr(j, "host"));
	ck_assert_int_eq(strlen(jstr(j, "time")), strlen("2026-12-02T03:13:15.123456Z"));
	ck_assert_ptr_nonnull(jget(j, "flight_recorder.samples"));
	json_object_put(j);
	/* the outcome rewrites the same file */
	v.exited = true;
	ck_assert_int_eq(
		loop_report_queue(l, &a, "terminated", &v, 4096, 1500, 0, path, sizeof(path)), 0);
	ck_assert_int_eq(loop_report_flush(l), 1);
	j = read_json(path);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(jstr(j, "result"), "terminated");
	ck_assert(json_object_get_boolean(jget(j, "sent.exited")));
	ck_assert_int_eq(jint(j, "freed_bytes"), 4096);
	ck_assert_int_eq(jint(j, "elapsed_usec"), 1500);
	json_object_put(j);
	loop_free(l);
	og_tmproot_remove(tmpl);
}
END_TEST

/* Between a SIGTERM and its escalation no report file is written: the queue holds them while a
 * victim is in flight, a newer report of the same file replaces the queued one, and a full
 * ring refuses (never allocates) until flushed. */
START_TEST(reports_wait_for_the_victim)
{
	char tmpl[] = "/tmp/ogtest-reportq-XXXXXX", path[POL_PATH_MAX + 64] = "";
	char other[POL_PATH_MAX + 64];
	struct loop_opts o = {.root_dir = FIXTURES "/this-host", .dry_run = true};
	struct pol_rules rules = {0};
	struct pol_action a = {0};
	struct loop *l = NULL;
	struct json_object *j;
	int r;

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	o.report_dir = tmpl;
	ck_assert_int_eq(loop_new(&o, &rules, &l), 0);
	a.kind = POL_ACT_TERM;
	a.target.kind = POL_TGT_PROCESS;
	a.target.pid = 77;
	strcpy(a.rule, "r");
	l->victims[0].used = true; /* a victim in flight */
	ck_assert(!loop_reports_may_flush(l));
	ck_assert_int_eq(loop_report_queue(l, &a, "signalled", NULL, 0, 0, 0, path, sizeof(path)),
			 0);
	ck_assert_int_eq(loop_report_queue(l, &a, "escalated", NULL, 0, 0, 0, path, sizeof(path)),
			 0);
	ck_assert_int_ne(access(path, F_OK), 0);
	/* the same path took one slot: LOOP_REPORTS_MAX - 1 more fit, then -ENOBUFS */
	for (int i = 0; i < LOOP_REPORTS_MAX - 1; i++) {
		other[0] = '\0';
		ck_assert_int_eq(
			loop_report_queue(l, &a, "written", NULL, 0, 0, 0, other, sizeof(other)),
			0);
	}
	other[0] = '\0';
	ck_assert_int_eq(loop_report_queue(l, &a, "written", NULL, 0, 0, 0, other, sizeof(other)),
			 -ENOBUFS);
	l->victims[0].used = false;
	l->groups[1].used = true; /* a group in flight holds them as well */
	ck_assert(!loop_reports_may_flush(l));
	l->groups[1].used = false;
	ck_assert(loop_reports_may_flush(l));
	r = loop_report_flush(l);
	ck_assert_int_eq(r, LOOP_REPORTS_MAX);
	j = read_json(path);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(jstr(j, "result"), "escalated");
	json_object_put(j);
	ck_assert_int_eq(loop_report_flush(l), 0); /* written once */
	loop_free(l);
	og_tmproot_remove(tmpl);
}
END_TEST

static int count_files(const char *dir, const char *suffix)
{
	char cmd[512];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | grep -c -- '%s$'", dir, suffix);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

/* 20 short-lived matching processes gave 17 files: now one record per policy and minute, with
 * the count, and without the measured=0 limit=0 of a rule that measured nothing. */
START_TEST(protection_records_merge_per_policy_and_minute)
{
	char tmpl[] = "/tmp/ogtest-protect-XXXXXX", cmd[256];
	struct loop_opts o = {.root_dir = FIXTURES "/this-host", .dry_run = true};
	struct pol_rules rules = {0};
	struct pol_action a = {0}, b;
	struct loop *l = NULL;
	struct json_object *j;
	FILE *p;
	char path[POL_PATH_MAX + 64];

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	o.report_dir = tmpl;
	ck_assert_int_eq(loop_new(&o, &rules, &l), 0);
	a.kind = POL_ACT_OOM_SCORE_ADJ;
	a.target.kind = POL_TGT_PROCESS;
	a.value = (uint64_t)(int64_t)-500;
	strcpy(a.rule, "policy.d/10-db.policy");
	b = a;
	strcpy(b.rule, "policy.d/20-web.policy");
	for (int i = 0; i < 20; i++) {
		a.target.pid = 1000 + i;
		ck_assert_int_eq(loop_report_queue(l, &a, "written", NULL, 0, 0, 0, NULL, 0), 0);
		if (i == 9) /* flushed in between: the same file is rewritten with the count */
			ck_assert_int_eq(loop_report_flush(l), 1);
	}
	ck_assert_int_eq(loop_report_queue(l, &b, "written", NULL, 0, 0, 0, NULL, 0), 0);
	ck_assert_int_eq(loop_report_flush(l), 2);
	ck_assert_int_eq(count_files(tmpl, "-oom_score_adj.json"), 2);
	snprintf(cmd, sizeof(cmd), "grep -l 10-db '%s'/*-oom_score_adj.json", tmpl);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(fgets(path, sizeof(path), p));
	pclose(p);
	path[strcspn(path, "\n")] = '\0';
	j = read_json(path);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(jint(j, "count"), 20);
	ck_assert_int_eq(jint(j, "oom_score_adj"), -500);
	ck_assert(jnull(j, "measured"));
	ck_assert(jnull(j, "limit"));
	json_object_put(j);
	/* a minute later the policy gets a new record */
	for (size_t i = 0; i < LOOP_PROTECT_AGG_MAX; i++)
		l->rec->agg[i].window_start_usec -= LOOP_PROTECT_WINDOW_USEC;
	ck_assert_int_eq(loop_report_queue(l, &a, "written", NULL, 0, 0, 0, NULL, 0), 0);
	ck_assert_int_eq(loop_report_flush(l), 1);
	ck_assert_int_eq(count_files(tmpl, "-oom_score_adj.json"), 3);
	loop_free(l);
	og_tmproot_remove(tmpl);
}
END_TEST

/* A stage that fired with nothing eligible leaves a "no-action" report saying why (not the
 * "-report.report" of before). */
START_TEST(no_action_report_says_why)
{
	char tmpl[] = "/tmp/ogtest-noact-XXXXXX", path[POL_PATH_MAX + 64] = "";
	struct loop_opts o = {.root_dir = FIXTURES "/this-host", .dry_run = true};
	struct pol_rules rules = {0};
	struct pol_action a = {0};
	struct loop *l = NULL;
	struct json_object *j;

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	o.report_dir = tmpl;
	ck_assert_int_eq(loop_new(&o, &rules, &l), 0);
	a.kind = POL_ACT_REPORT;
	a.stage = POL_STAGE_KILL;
	strcpy(a.rule, "oomguardian.conf:20 [Kill]");
	strcpy(a.metric, "mem_available_permyriad");
	a.measured = 100;
	a.limit = 250;
	strcpy(a.reason, "no process may be killed (all protected)");
	ck_assert_int_eq(
		loop_report_queue(l, &a, "nothing-to-do", NULL, 0, 0, 0, path, sizeof(path)), 0);
	ck_assert_ptr_nonnull(strstr(path, "-no-action.json"));
	ck_assert_ptr_null(strstr(path, "report.report"));
	ck_assert_int_eq(loop_report_flush(l), 1);
	j = read_json(path);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(jstr(j, "decision"), "not-acted");
	ck_assert_str_eq(jstr(j, "reason"), "no process may be killed (all protected)");
	ck_assert_int_eq(jint(j, "limit"), 250);
	json_object_put(j);
	loop_free(l);
	og_tmproot_remove(tmpl);
}
END_TEST

static void put_report(const char *dir, const char *name)
{
	og_tmproot_put(dir, name, "{}\n");
}

/* Retention keeps the newest ReportMaxFiles and drops those older than ReportMaxAgeSec, and
 * touches nothing that is not a report of ours. */
START_TEST(retention_by_count_and_age)
{
	char dir[OG_TMPROOT_MAX];
	int fd;
	uint64_t now = (uint64_t)1764645195 * 1000000ULL; /* 2025-12-02T03:13:15Z */

	og_tmproot_create(dir);
	put_report(dir, "20251202T031300.000001Z-1-1-kill.json");
	put_report(dir, "20251202T031301.000001Z-1-2-term.json");
	put_report(dir, "20251202T031302.000001Z-1-3-kill.json");
	put_report(dir, "20251101T000000.000000Z-1-4-kill.json"); /* a month old */
	put_report(dir, "notes.json");
	put_report(dir, "1764645100.000000-1-1-kill.report"); /* the old key=value form */
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(loop_reports_prune(fd, 0, 0, now), 0);
	ck_assert_int_eq(count_files(dir, ".json"), 5);
	/* age: 7 days drops the one of November */
	ck_assert_int_eq(loop_reports_prune(fd, 0, 7 * 24 * 3600 * 1000000ULL, now), 1);
	/* count: the newest two stay */
	ck_assert_int_eq(loop_reports_prune(fd, 2, 0, now), 1);
	ck_assert_int_eq(faccessat(fd, "20251202T031300.000001Z-1-1-kill.json", F_OK, 0), -1);
	ck_assert_int_eq(faccessat(fd, "20251202T031302.000001Z-1-3-kill.json", F_OK, 0), 0);
	ck_assert_int_eq(faccessat(fd, "notes.json", F_OK, 0), 0);
	ck_assert_int_eq(faccessat(fd, "1764645100.000000-1-1-kill.report", F_OK, 0), 0);
	close(fd);
	og_tmproot_remove(dir);
}
END_TEST

/* issue 10 item 9: a --root run is dry-run whatever the config says, and without being told
 * where it writes no state file (not the live /run one) and no reports. */
START_TEST(fixture_run_writes_only_where_told)
{
	struct loop_opts o = {.root_dir = FIXTURES "/this-host"};
	struct pol_rules rules = {0};
	struct pol_action a = {0};
	struct loop *l = NULL;

	ck_assert_int_eq(loop_new(&o, &rules, &l), 0);
	ck_assert(l->dry_run);
	ck_assert(l->actx.dry_run);
	ck_assert_str_eq(l->state_file, "");
	ck_assert_str_eq(l->report_dir, "");
	a.kind = POL_ACT_KILL;
	a.target.kind = POL_TGT_PROCESS;
	ck_assert_int_eq(loop_report_queue(l, &a, "dry-run", NULL, 0, 0, 0, NULL, 0), 0);
	ck_assert_int_eq(loop_report_flush(l), 0); /* nothing written anywhere */
	loop_write_state(l);
	ck_assert_int_eq(l->rec->nlast, 1); /* still remembered for the record */
	loop_free(l);
}
END_TEST

static const char *state_get(const char *text, const char *key, char *buf, size_t size)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "%s=", key);
	for (p = text; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, pat, strlen(pat)) == 0) {
			snprintf(buf, size, "%.*s", (int)strcspn(p + strlen(pat), "\n"),
				 p + strlen(pat));
			return buf;
		}
	return NULL;
}

/* issue 10 item 12: one daemon per state file; the second is refused and says who holds it;
 * at exit the state says running=no and the lock is free. */
START_TEST(one_daemon_per_state_file)
{
	char dir[OG_TMPROOT_MAX], state[128], lock[140], v[64];
	struct loop_opts o = {.root_dir = FIXTURES "/this-host"};
	struct pol_rules r1 = {0}, r2 = {0};
	struct loop *l = NULL, *l2 = NULL;
	struct og_capture cap;
	char *err;
	pid_t holder = 0;

	og_tmproot_create(dir);
	snprintf(state, sizeof(state), "%s/run/state", dir);
	snprintf(lock, sizeof(lock), "%s.lock", state);
	o.state_file = state;
	ck_assert_int_eq(loop_new(&o, &r1, &l), 0);
	ck_assert_int_eq(loop_lock_probe(lock, &holder), 1);
	ck_assert_int_eq(holder, getpid());
	loop_write_state(l);
	ck_assert_str_eq(state_get(slurp(state), "running", v, sizeof(v)), "yes");
	ck_assert_str_eq(state_get(slurp(state), "dry_run", v, sizeof(v)), "yes");
	og_capture_begin(&cap, STDERR_FILENO);
	ck_assert_int_eq(loop_new(&o, &r2, &l2), -EBUSY);
	err = og_capture_end(&cap);
	ck_assert_msg(strstr(err, "another oomguardiand (pid ") && strstr(err, "not starting"),
		      "%s", err);
	free(err);
	ck_assert_ptr_null(l2);
	/* --once takes no lock (it never acts) and leaves the state alone */
	o.once = true;
	ck_assert_int_eq(loop_new(&o, &r2, &l2), 0);
	loop_write_state(l2);
	loop_free(l2);
	ck_assert_str_eq(state_get(slurp(state), "running", v, sizeof(v)), "yes");
	loop_free(l);
	ck_assert_int_eq(loop_lock_probe(lock, &holder), 0);
	ck_assert_str_eq(state_get(slurp(state), "running", v, sizeof(v)), "no");
	ck_assert_ptr_nonnull(state_get(slurp(state), "stopped", v, sizeof(v)));
	og_tmproot_remove(dir);
}
END_TEST

/* issue 10 item 13: a state file that cannot be written warns once, with the consequence. */
START_TEST(state_write_failure_warns_once)
{
	char dir[OG_TMPROOT_MAX], state[128];
	struct loop_opts o = {.root_dir = FIXTURES "/this-host"};
	struct pol_rules rules = {0};
	struct loop *l = NULL;
	struct og_capture cap;
	char *err;
	const char *p;
	int n = 0;

	og_tmproot_create(dir);
	og_tmproot_put(dir, "file", "x");
	snprintf(state, sizeof(state), "%s/file/state", dir); /* a file where a dir must be */
	o.state_file = state;
	/* no lock either: the daemon goes on and says so */
	og_capture_begin(&cap, STDERR_FILENO);
	ck_assert_int_eq(loop_new(&o, &rules, &l), 0);
	err = og_capture_end(&cap);
	ck_assert_ptr_nonnull(strstr(err, "cannot take the lock"));
	free(err);
	og_capture_begin(&cap, STDERR_FILENO);
	loop_write_state(l);
	loop_write_state(l);
	loop_write_state(l);
	err = og_capture_end(&cap);
	for (p = err; (p = strstr(p, "cannot write the state file")); p++)
		n++;
	ck_assert_msg(n == 1, "%d warnings: %s", n, err);
	ck_assert_ptr_nonnull(strstr(err, "warning"));
	ck_assert_ptr_nonnull(strstr(err, "'oomguardianctl status' cannot show the stage"));
	ck_assert_ptr_nonnull(strstr(err, "not a directory"));
	free(err);
	loop_free(l);
	og_tmproot_remove(dir);
}
END_TEST

/* issue 10 item 8: a symlink anywhere in the path is refused, so are directories others may
 * write; a file planted under the temporary name is not written through. */
START_TEST(files_are_created_safely)
{
	char dir[OG_TMPROOT_MAX], p[256], why[LOOP_FILES_WHY_MAX], target[256];
	int fd = -1;

	og_tmproot_create(dir);
	og_tmproot_mkdir(dir, "real");
	snprintf(target, sizeof(target), "%s/real", dir);
	snprintf(p, sizeof(p), "%s/link", dir);
	ck_assert_int_eq(symlink(target, p), 0);
	snprintf(p, sizeof(p), "%s/link/reports", dir);
	ck_assert_int_eq(loop_dir_open(p, true, &fd, why), -ELOOP);
	ck_assert_ptr_nonnull(strstr(why, "link' is a symlink"));
	snprintf(p, sizeof(p), "%s/real/reports", dir);
	ck_assert_int_ne(access(p, F_OK), 0); /* nothing created behind the link */
	/* group- or world-writable: refused */
	og_tmproot_mkdir(dir, "open");
	snprintf(p, sizeof(p), "%s/open", dir);
	ck_assert_int_eq(chmod(p, 0777), 0);
	snprintf(p, sizeof(p), "%s/open/state", dir);
	ck_assert_int_eq(loop_file_write(p, "x\n", 2, 0644, why), -EPERM);
	ck_assert_ptr_nonnull(strstr(why, "writable by others"));
	/* a sticky root-owned world-writable ancestor is fine (/tmp), the rest is created */
	snprintf(p, sizeof(p), "%s/new/sub/state", dir);
	ck_assert_int_eq(loop_file_write(p, "stage=none\n", 11, 0644, why), 0);
	ck_assert_str_eq(slurp(p), "stage=none\n");
	/* the final name is replaced, not written through: a symlink there stays a symlink's
	 * target untouched */
	snprintf(p, sizeof(p), "%s/real/victim", dir);
	og_tmproot_put(dir, "real/victim", "precious\n");
	snprintf(target, sizeof(target), "%s/new/sub/state", dir);
	ck_assert_int_eq(unlink(target), 0);
	ck_assert_int_eq(symlink(p, target), 0);
	ck_assert_int_eq(loop_file_write(target, "stage=kill\n", 11, 0644, why), 0);
	ck_assert_str_eq(slurp(p), "precious\n");
	ck_assert_str_eq(slurp(target), "stage=kill\n");
	og_tmproot_remove(dir);
}
END_TEST

/* The flight recorder keeps the last LOOP_FR_SAMPLES, oldest first, with the largest services
 * of a fresh snapshot and none from a stale one. */
START_TEST(flight_recorder_ring)
{
	static struct loop_recorder fr;
	static struct og_cgroup cgs[4];
	struct og_snapshot snap = {0};
	struct og_psi psi = {.has_some = true, .has_full = true};

	loop_recorder_init(&fr);
	strcpy(cgs[0].path, "/system.slice");
	strcpy(cgs[1].path, "/system.slice/db.service");
	strcpy(cgs[2].path, "/system.slice/web.service");
	strcpy(cgs[3].path, "/user.slice/user-1000.slice/session-2.scope");
	for (int i = 0; i < 4; i++) {
		cgs[i].has_memory = true;
		cgs[i].current_bytes = (uint64_t)(i + 1) << 20;
	}
	cgs[0].current_bytes = 100ULL << 20; /* a slice: its children, not itself */
	snap.cgroups = cgs;
	snap.ncgroups = 4;
	snap.now_usec = 5000000;
	psi.some.avg10_centi = 1234;
	psi.full.avg10_centi = 56;
	for (int i = 0; i < LOOP_FR_SAMPLES + 10; i++)
		loop_recorder_add(&fr, 1000000ULL * (uint64_t)i, 5000000 + 1000000ULL * (uint64_t)i,
				  (uint64_t)i, 1000, &psi, 0, &snap);
	ck_assert_uint_eq(fr.n, LOOP_FR_SAMPLES);
	ck_assert_uint_eq(loop_recorder_at(&fr, 0)->avail_bytes, 10);
	ck_assert_uint_eq(loop_recorder_at(&fr, LOOP_FR_SAMPLES - 1)->avail_bytes,
			  LOOP_FR_SAMPLES + 9);
	/* the snapshot went stale after 3 s: the first samples had services, the later none */
	ck_assert_uint_eq(loop_recorder_at(&fr, LOOP_FR_SAMPLES - 1)->nsvc, 0);
	loop_recorder_init(&fr);
	loop_recorder_add(&fr, 1, snap.now_usec, 1, 1000, &psi, 2, &snap);
	ck_assert_uint_eq(fr.s[0].nsvc, 3);
	ck_assert_str_eq(fr.names[fr.s[0].svc[0].name], "session-2.scope");
	ck_assert_uint_eq(fr.s[0].svc[0].bytes, 4 << 20);
	ck_assert_str_eq(fr.names[fr.s[0].svc[2].name], "db.service");
	ck_assert_uint_eq(fr.s[0].psi_some_centi, 1234);
	ck_assert_uint_eq(fr.s[0].psi_full_centi, 56);
	/* between snapshots the tracked services are added by path, under their names */
	ck_assert_uint_eq(fr.ntracked, 3);
	ck_assert_str_eq(fr.tracked[2], "/system.slice/db.service");
	loop_recorder_add(&fr, 2, snap.now_usec + 10000000, 1, 1000, NULL, 2, &snap);
	ck_assert_uint_eq(fr.s[1].nsvc, 0);
	ck_assert(!fr.s[1].has_psi);
	loop_recorder_add_service(&fr, fr.tracked[2], 77);
	ck_assert_uint_eq(fr.s[1].nsvc, 1);
	ck_assert_str_eq(fr.names[fr.s[1].svc[0].name], "db.service");
	ck_assert_uint_eq(fr.s[1].svc[0].bytes, 77);
}
END_TEST

/* The Prometheus text: counters end in _total, the histogram is cumulative and its buckets
 * take the latency where it belongs, base units (seconds, ratios), and the buffer's end is
 * -ENOBUFS, not a cut text. */
START_TEST(metrics_text)
{
	static char buf[LOOP_METRICS_TEXT_MAX];
	struct loop_metrics m = {0};
	struct loop_metrics_view v = {0};
	int n;

	v.stage = POL_STAGE_KILL;
	v.stage_since_usec = 1764645195000001ULL;
	v.avail_bytes = 123;
	v.total_bytes = 1000;
	v.has_psi = true;
	v.psi_some_centi = 1234; /* 12.34 % */
	v.psi_full_centi = 5;
	v.protect_accepted = 7;
	v.has_oom_kill = true;
	v.kernel_oom_kill = 3;
	loop_metrics_count(&m, POL_ACT_KILL, "killed", 4096, 3000); /* 3 ms: le 0.005 */
	loop_metrics_count(&m, POL_ACT_KILL, "killed", 1024, 7000000); /* 7 s: +Inf only */
	loop_metrics_count(&m, POL_ACT_TERM, "escalated", 0, 0);
	loop_metrics_count(&m, POL_ACT_REPORT, "nothing-to-do", 0, 0);
	loop_metrics_count(&m, POL_ACT_DROP_CACHES, "some new word", 0, 0);
	n = loop_metrics_format(buf, sizeof(buf), &m, &v);
	ck_assert_int_gt(n, 0);
	ck_assert_uint_eq(strlen(buf), (size_t)n);
	ck_assert_ptr_nonnull(strstr(buf, "\noomguardian_stage{stage=\"kill\",level=\"4\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(buf, "\noomguardian_stage{stage=\"none\",level=\"0\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(buf, "\noomguardian_stage_since_seconds 1764645195.000001\n"));
	ck_assert_ptr_nonnull(
		strstr(buf, "oomguardian_memory_available_bytes{scope=\"machine\"} 123\n"));
	ck_assert_ptr_nonnull(
		strstr(buf, "oomguardian_memory_pressure_avg10_ratio{kind=\"some\"} 0.1234\n"));
	ck_assert_ptr_nonnull(
		strstr(buf, "oomguardian_memory_pressure_avg10_ratio{kind=\"full\"} 0.0005\n"));
	ck_assert_ptr_nonnull(
		strstr(buf, "oomguardian_actions_total{kind=\"kill\",result=\"killed\"} 2\n"));
	ck_assert_ptr_nonnull(
		strstr(buf, "oomguardian_actions_total{kind=\"term\",result=\"escalated\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(
		buf, "oomguardian_actions_total{kind=\"drop_caches\",result=\"other\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(buf, "oomguardian_freed_bytes_total{kind=\"kill\"} 5120\n"));
	ck_assert_ptr_nonnull(strstr(buf, "_bucket{le=\"0.002500\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(buf, "_bucket{le=\"0.005000\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(buf, "_bucket{le=\"5.000000\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(buf, "_bucket{le=\"+Inf\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(buf, "oomguardian_kill_latency_seconds_sum 7.003000\n"));
	ck_assert_ptr_nonnull(strstr(buf, "oomguardian_kill_latency_seconds_count 2\n"));
	ck_assert_ptr_nonnull(strstr(buf, "oomguardian_kernel_oom_kill_total 3\n"));
	ck_assert_ptr_nonnull(strstr(buf, "# TYPE oomguardian_actions_total counter\n"));
	ck_assert_ptr_nonnull(strstr(buf, "# TYPE oomguardian_kill_latency_seconds histogram\n"));
	/* every sample line: name{labels} value; every counter ends in _total */
	for (const char *p = buf; *p; p = strchr(p, '\n') + 1) {
		if (strncmp(p, "# TYPE ", 7) == 0 && strstr(p, " counter\n") &&
		    strstr(p, " counter\n") < strchr(p, '\n') + 1)
			ck_assert_msg(strncmp(strstr(p, " counter\n") - 6, "_total", 6) == 0,
				      "%.60s", p);
		ck_assert_msg(*p == '#' || strncmp(p, "oomguardian_", 12) == 0, "%.60s", p);
	}
	ck_assert_int_eq(loop_metrics_format(buf, 200, &m, &v), -ENOBUFS);
}
END_TEST

/* The journal entries, through a recording sink: one per finished report, the MESSAGE_ID of
 * its kind, the structured fields; one entry per policy and minute for protection. */
static char journal_seen[8][4096];
static int journal_n;

static void record_sink(void *userdata, const struct iovec *iov, size_t n)
{
	char *p;

	(void)userdata;
	if (journal_n == 8)
		return;
	p = journal_seen[journal_n++];
	p[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		strncat(p, iov[i].iov_base, iov[i].iov_len);
		strcat(p, "\n");
	}
}

START_TEST(journal_fields)
{
	char tmpl[] = "/tmp/ogtest-journal-XXXXXX", path[POL_PATH_MAX + 64] = "";
	struct loop_opts o = {.root_dir = FIXTURES "/this-host", .dry_run = true};
	struct pol_rules rules = {0};
	struct pol_action a = term_action(), p = {0};
	struct act_victim v = {0};
	struct loop *l = NULL;

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	o.report_dir = tmpl;
	ck_assert_int_eq(loop_new(&o, &rules, &l), 0);
	loop_journal_set_sink(record_sink, NULL);
	a.kind = POL_ACT_KILL;
	v.pid = 321;
	v.sent = ACT_SENT_KILL;
	v.exited = true;
	strcpy(v.comm, "hog\nFORGED");
	ck_assert_int_eq(
		loop_report_queue(l, &a, "killed", &v, 5 << 20, 900, 0, path, sizeof(path)), 0);
	p.kind = POL_ACT_OOM_SCORE_ADJ;
	p.target.kind = POL_TGT_PROCESS;
	strcpy(p.rule, "policy.d/10-db.policy");
	p.value = (uint64_t)(int64_t)-900;
	for (int i = 0; i < 5; i++) {
		p.target.pid = 500 + i;
		ck_assert_int_eq(loop_report_queue(l, &p, "written", NULL, 0, 0, 0, NULL, 0), 0);
		loop_report_flush(l);
	}
	loop_journal_set_sink(NULL, NULL);
	ck_assert_int_eq(journal_n, 2); /* the kill, and the policy's first process */
	ck_assert_ptr_nonnull(strstr(journal_seen[0], "MESSAGE_ID=" OG_MID_KILL "\n"));
	ck_assert_ptr_nonnull(strstr(journal_seen[0], "\nOOMGUARDIAN_VICTIM_PID=321\n"));
	ck_assert_ptr_nonnull(strstr(journal_seen[0], "\nOOMGUARDIAN_VICTIM_UNIT=hog.service\n"));
	ck_assert_ptr_nonnull(
		strstr(journal_seen[0], "\nOOMGUARDIAN_RULE=test.conf:9 [Terminate]\n"));
	ck_assert_ptr_nonnull(strstr(journal_seen[0], "\nOOMGUARDIAN_FREED_BYTES=5242880\n"));
	ck_assert_ptr_nonnull(strstr(journal_seen[0], "\nOOMGUARDIAN_DRY_RUN=yes\n"));
	ck_assert_ptr_nonnull(strstr(journal_seen[0], "\nOOMGUARDIAN_REPORT=/tmp/ogtest-journal-"));
	/* the comm keeps its bytes in its field, MESSAGE shows it on one line */
	ck_assert_ptr_nonnull(strstr(journal_seen[0], "OOMGUARDIAN_VICTIM_COMM=hog\nFORGED\n"));
	ck_assert_ptr_nonnull(
		strstr(journal_seen[0], "MESSAGE=dry-run: kill hog?FORGED (pid 321)"));
	ck_assert_ptr_nonnull(strstr(journal_seen[1], "MESSAGE_ID=" OG_MID_PROTECT "\n"));
	ck_assert_ptr_nonnull(strstr(journal_seen[1], "\nOOMGUARDIAN_OOM_SCORE_ADJ=-900\n"));
	ck_assert_ptr_null(strstr(journal_seen[1], "OOMGUARDIAN_MEASURED"));
	loop_free(l);
	og_tmproot_remove(tmpl);
}
END_TEST

/* oomguardianctl's readers: --since forms, report IDs (whole name, unique prefix, ambiguous),
 * and the HTML page's escaping and plot from the committed fixture report. */
START_TEST(ctl_since_and_ids)
{
	const char *dir = FIXTURES "/reports";
	uint64_t now = 1764645195ULL * 1000000ULL, t = 0;
	struct json_object *r = NULL;
	char path[1024];

	ck_assert_int_eq(ctl_parse_since("1h", now, &t), 0);
	ck_assert_uint_eq(t, now - 3600ULL * 1000000ULL);
	ck_assert_int_eq(ctl_parse_since("2026-12-02", now, &t), 0);
	ck_assert_uint_eq(t, 1796169600ULL * 1000000ULL);
	ck_assert_int_eq(ctl_parse_since("2026-12-02T03:15", now, &t), 0);
	ck_assert_uint_eq(t, (1796169600ULL + 3 * 3600 + 15 * 60) * 1000000ULL);
	ck_assert_int_eq(ctl_parse_since("2026-12-02T03:15:30Z", now, &t), 0);
	ck_assert_int_eq(ctl_parse_since("yesterday", now, &t), -EINVAL);
	ck_assert_int_eq(ctl_parse_since("2026-12-02T03", now, &t), -EINVAL);
	ck_assert_str_eq(ctl_kv_get("a=1\nrunning=no\nrun=x\n", "running"), "no");
	ck_assert_ptr_null(ctl_kv_get("running_x=1\n", "running"));
	/* kernel log times as explain passes them on */
	ck_assert(ctl_kernel_time("3893.5", 1000.0, 2026) == 4893.5);
	ck_assert(ctl_kernel_time("[ 3893.5]", 1000.0, 2026) == 4893.5);
	ck_assert(ctl_kernel_time("3893.5", 0, 2026) == 0); /* no boot time: cannot place it */
	ck_assert(ctl_kernel_time("2026-12-02T03:29:10Z", 0, 2026) == 1796182150.0);
	ck_assert(ctl_kernel_time("2026-12-02T04:29:10+01:00", 0, 2026) == 1796182150.0);
	ck_assert(ctl_kernel_time("nonsense", 1000.0, 2026) == 0);
	ck_assert_int_eq(ctl_report_load(dir, "2026", &r, path), -EEXIST);
	ck_assert_int_eq(ctl_report_load(dir, "2099", &r, path), -ENOENT);
	ck_assert_int_eq(ctl_report_load(dir, "20261202T0329", &r, path), 0);
	ck_assert_str_eq(ctl_json_str(r, "action"), "kill");
	json_object_put(r);
	ck_assert_int_eq(
		ctl_report_load(dir, "20261202T032000.500000Z-17457-2-no-action.json", &r, path),
		0);
	ck_assert_str_eq(ctl_json_str(r, "decision"), "not-acted");
	json_object_put(r);
}
END_TEST

START_TEST(html_page_escapes_and_plots)
{
	struct json_object *r = NULL, *k;
	char path[1024], *page = NULL;
	size_t len = 0;
	FILE *f;
	const char *p;
	int polylines = 0;

	ck_assert_int_eq(ctl_report_load(FIXTURES "/reports", "20261202T0329", &r, path), 0);
	k = json_tokener_parse(
		"{\"format\": 1, \"reports\": [{\"kind\": \"memcg\", "
		"\"killed\": {\"pid\": 17470, \"comm\": \"memhog\"}, "
		"\"causes\": [\"memcg_limit\", \"anon\"], \"summary\": \"a <b>limit</b>\"}]}");
	ck_assert_ptr_nonnull(k);
	f = open_memstream(&page, &len);
	ck_assert_int_eq(ctl_html_write(f, r, k, NULL), 0);
	fclose(f);
	ck_assert_ptr_null(strstr(page, "<script"));
	ck_assert_ptr_nonnull(strstr(page, "mem&lt;script&gt;document.title=&#39;pwned&#39;"));
	ck_assert_ptr_nonnull(strstr(page, "\\x1b[1mFORGED")); /* the escape shown, not sent */
	ck_assert_ptr_nonnull(
		strstr(page, "id=\"avail\" class=\"series available\" data-points=\"5\""));
	for (p = page; (p = strstr(p, "<polyline")); p++)
		polylines++;
	ck_assert_int_eq(polylines, 5); /* available, PSI some and full, two services */
	ck_assert_ptr_nonnull(strstr(page, "memcg_limit, anon"));
	ck_assert_ptr_nonnull(strstr(page, "a &lt;b&gt;limit&lt;/b&gt;"));
	ck_assert(ctl_html_iso_to_sec("2026-12-02T03:29:10.457282Z") > 1796182150.45);
	ck_assert(ctl_html_iso_to_sec("2026-12-02T03:29:10.457282Z") < 1796182150.46);
	free(page);
	json_object_put(k);
	json_object_put(r);
}
END_TEST

static Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("record");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, report_is_json_and_says_why);
	tcase_add_test(tc, reports_wait_for_the_victim);
	tcase_add_test(tc, protection_records_merge_per_policy_and_minute);
	tcase_add_test(tc, no_action_report_says_why);
	tcase_add_test(tc, retention_by_count_and_age);
	tcase_add_test(tc, fixture_run_writes_only_where_told);
	tcase_add_test(tc, one_daemon_per_state_file);
	tcase_add_test(tc, state_write_failure_warns_once);
	tcase_add_test(tc, files_are_created_safely);
	tcase_add_test(tc, flight_recorder_ring);
	tcase_add_test(tc, metrics_text);
	tcase_add_test(tc, journal_fields);
	suite_add_tcase(s, tc);
	tc = tcase_create("ctl");
	tcase_add_test(tc, ctl_since_and_ids);
	tcase_add_test(tc, html_page_escapes_and_plots);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	log_set_journal(0);
	return og_check_run(report_suite());
}
