/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oomguardianctl status: is the daemon running (its lock is held: a state file alone proves
 * nothing, it outlives a crash), and what its state file says: stage and since when, scope,
 * dry-run, policies, processes protected and refused, the last actions.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "guardian/ctl/ctl_reports.h"
#include "guardian/loop/loop_files.h"
#include "policy/util/cleanup.h"
#include "policy/util/strutil.h"

#define CTL_STATUS_NOT_RUNNING 3 /* as systemctl status and LSB say */

static uint64_t kv_u64(const char *text, const char *key)
{
	const char *v = ctl_kv_get(text, key);

	return v ? strtoull(v, NULL, 10) : 0;
}

static char *kv_dup(const char *text, const char *key)
{
	const char *v = ctl_kv_get(text, key);

	return v ? strdup(v) : NULL;
}

static void put_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

/* "TIME KIND RESULT PID FREED COMM" (comm last: it may hold spaces). */
static struct json_object *last_action(const char *v)
{
	char t[64] = "", kind[32] = "", result[32] = "";
	int pid = 0, n = 0;
	unsigned long long freed = 0;
	struct json_object *o;

	if (sscanf(v, "%63s %31s %31s %d %llu %n", t, kind, result, &pid, &freed, &n) < 5)
		return NULL;
	o = json_object_new_object();
	put_str(o, "time", t);
	put_str(o, "action", kind);
	put_str(o, "result", result);
	json_object_object_add(o, "pid", json_object_new_int(pid));
	put_str(o, "comm", n > 0 ? v + n : "");
	json_object_object_add(o, "freed_bytes", json_object_new_uint64(freed));
	return o;
}

/* "ACCEPTED REFUSED OOM_SCORE_ADJ POLICY" lines: what each protection policy achieved. */
static struct json_object *protect_policies(const char *text)
{
	struct json_object *a = json_object_new_array();

	for (int i = 1; i <= 64; i++) {
		char key[32];
		const char *v;
		unsigned ok = 0, refused = 0;
		long long adj = 0;
		int n = 0;
		struct json_object *o;

		snprintf(key, sizeof(key), "protect_policy.%d", i);
		v = ctl_kv_get(text, key);
		if (!v)
			break;
		if (sscanf(v, "%u %u %lld %n", &ok, &refused, &adj, &n) < 3 || n <= 0)
			continue;
		o = json_object_new_object();
		put_str(o, "policy", v + n);
		json_object_object_add(o, "accepted", json_object_new_int64(ok));
		json_object_object_add(o, "refused", json_object_new_int64(refused));
		json_object_object_add(o, "oom_score_adj", json_object_new_int64(adj));
		json_object_array_add(a, o);
	}
	return a;
}

/* Everything status knows, as JSON (the text form is printed from it). */
static struct json_object *status_json(const char *state_file, int running, pid_t holder,
				       const char *text)
{
	struct json_object *o = json_object_new_object(), *acts = json_object_new_array();
	static const char *const strs[] = {"stage", "since",   "scope",	     "status",
					   "root",  "version", "report_dir", "stopped"};
	static const char *const nums[] = {"available_bytes", "total_bytes", "policies",
					   "policy_files",    "protected",   "protect_refused"};

	put_str(o, "state_file", state_file);
	json_object_object_add(o, "running", json_object_new_boolean(running > 0));
	json_object_object_add(o, "pid",
			       running > 0 && holder ? json_object_new_int(holder) : NULL);
	/* a state file nobody holds the lock of: a daemon that died without marking it */
	json_object_object_add(
		o, "stale",
		json_object_new_boolean(running <= 0 && text &&
					strcmp(ctl_kv_get(text, "running") ?: "", "yes") == 0));
	if (!text) {
		json_object_object_add(o, "last_actions", acts);
		return o;
	}
	for (size_t i = 0; i < OG_ELEMENTSOF(strs); i++) {
		_cleanup_free_ char *v = kv_dup(text, strs[i]);

		put_str(o, strs[i], v);
	}
	json_object_object_add(
		o, "dry_run",
		json_object_new_boolean(strcmp(ctl_kv_get(text, "dry_run") ?: "", "yes") == 0));
	for (size_t i = 0; i < OG_ELEMENTSOF(nums); i++)
		json_object_object_add(o, nums[i],
				       ctl_kv_get(text, nums[i])
					       ? json_object_new_uint64(kv_u64(text, nums[i]))
					       : NULL);
	for (int i = 1; i <= 64; i++) {
		char key[32];
		const char *v;
		struct json_object *a;

		snprintf(key, sizeof(key), "last_action.%d", i);
		v = ctl_kv_get(text, key);
		if (!v)
			break;
		a = last_action(v);
		if (a)
			json_object_array_add(acts, a);
	}
	json_object_object_add(o, "last_actions", acts);
	json_object_object_add(o, "protect_policies", protect_policies(text));
	return o;
}

static uint64_t ju(struct json_object *o, const char *k)
{
	struct json_object *v = ctl_json_get(o, k);

	return v ? (uint64_t)json_object_get_int64(v) : 0;
}

static void print_status(FILE *out, struct json_object *s)
{
	struct json_object *acts = ctl_json_get(s, "last_actions");
	char a[16], b[16];

	if (json_object_get_boolean(ctl_json_get(s, "running")))
		fprintf(out, "oomguardiand: running (pid %" PRIu64 "%s%s)\n", ju(s, "pid"),
			ctl_json_str(s, "version") ? ", version " : "",
			ctl_json_str(s, "version") ?: "");
	else if (json_object_get_boolean(ctl_json_get(s, "stale")))
		fprintf(out,
			"oomguardiand: not running (it died without cleaning up: the state "
			"file '%s' is stale)\n",
			ctl_json_str(s, "state_file"));
	else if (ctl_json_str(s, "stage"))
		fprintf(out, "oomguardiand: not running (stopped %s)\n",
			ctl_json_str(s, "stopped") ?: "?");
	else {
		fprintf(out, "oomguardiand: not running (no state file '%s')\n",
			ctl_json_str(s, "state_file"));
		return;
	}
	fprintf(out, "Stage:      %s since %s\n", ctl_json_str(s, "stage") ?: "?",
		ctl_json_str(s, "since") ?: "?");
	fputs("Scope:      ", out);
	if (!ctl_json_str(s, "scope") || strcmp(ctl_json_str(s, "scope"), "/") == 0)
		fputs("the whole machine", out);
	else
		ctl_put_safe(out, ctl_json_str(s, "scope"));
	if (ctl_json_str(s, "status") && strcmp(ctl_json_str(s, "status"), "guarding") != 0)
		fprintf(out, " (%s)", ctl_json_str(s, "status"));
	if (ctl_json_str(s, "root")) {
		fputs(" (fixture root ", out);
		ctl_put_safe(out, ctl_json_str(s, "root"));
		fputc(')', out);
	}
	fprintf(out, "\nDry-run:    %s\n",
		json_object_get_boolean(ctl_json_get(s, "dry_run"))
			? "yes (deciding and logging only)"
			: "no");
	fprintf(out, "Available:  %s of %s\n",
		og_format_bytes(a, sizeof(a), ju(s, "available_bytes")),
		og_format_bytes(b, sizeof(b), ju(s, "total_bytes")));
	fprintf(out, "Policies:   %" PRIu64 " from %" PRIu64 " file%s\n", ju(s, "policies"),
		ju(s, "policy_files"), ju(s, "policy_files") == 1 ? "" : "s");
	fprintf(out, "Protected:  %" PRIu64 " oom_score_adj writes accepted by the kernel",
		ju(s, "protected"));
	if (ju(s, "protect_refused"))
		fprintf(out, ", %" PRIu64 " refused (below 0 needs CAP_SYS_RESOURCE)",
			ju(s, "protect_refused"));
	for (size_t i = 0; ctl_json_get(s, "protect_policies") &&
			   i < json_object_array_length(ctl_json_get(s, "protect_policies"));
	     i++) {
		struct json_object *e =
			json_object_array_get_idx(ctl_json_get(s, "protect_policies"), i);

		fputs("\n            ", out);
		ctl_put_safe(out, ctl_json_str(e, "policy") ?: "?");
		fprintf(out,
			" (oom_score_adj %" PRId64 "): %" PRId64 " accepted, %" PRId64 " refused",
			ctl_json_i64(e, "oom_score_adj"), ctl_json_i64(e, "accepted"),
			ctl_json_i64(e, "refused"));
	}
	fputs("\nReports:    ", out);
	ctl_put_safe(out, ctl_json_str(s, "report_dir") && ctl_json_str(s, "report_dir")[0]
				  ? ctl_json_str(s, "report_dir")
				  : "(none written)");
	fputc('\n', out);
	if (!acts || json_object_array_length(acts) == 0) {
		fputs("Last actions: none\n", out);
		return;
	}
	fputs("Last actions:\n", out);
	for (size_t i = 0; i < json_object_array_length(acts); i++) {
		struct json_object *e = json_object_array_get_idx(acts, i);

		fprintf(out, "  %s %-13s %-12s", ctl_json_str(e, "time") ?: "?",
			ctl_json_str(e, "action") ?: "?", ctl_json_str(e, "result") ?: "?");
		if (ju(e, "pid")) {
			fprintf(out, " pid %" PRIu64 " ", ju(e, "pid"));
			ctl_put_safe(out, ctl_json_str(e, "comm") ?: "");
		}
		if (ju(e, "freed_bytes"))
			fprintf(out, ", freed %s",
				og_format_bytes(a, sizeof(a), ju(e, "freed_bytes")));
		fputc('\n', out);
	}
}

static void usage(FILE *out)
{
	fputs("Usage: oomguardianctl status [--json] [--state-file FILE]\n"
	      "Is oomguardiand running (its lock is held), and what it is doing: stage and\n"
	      "since when, scope, dry-run, policies, protected processes, the last actions.\n"
	      "Exit status: 0 running, 3 not running.\n",
	      out);
}

int ctl_status_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"state-file", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *state = CTL_STATE_DEFAULT;
	_cleanup_free_ char *text = NULL;
	struct json_object *s;
	bool json = false;
	pid_t holder = 0;
	int c, running, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+jS:h", opts, NULL)) >= 0) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'S':
			state = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return EX_USAGE;
	}
	running = ctl_probe_state_lock("status", state, &holder);
	r = ctl_read_file(state, &text);
	if (r < 0 && r != -ENOENT)
		fprintf(stderr, "oomguardianctl status: cannot read '%s': %s\n", state,
			strerror(-r));
	s = status_json(state, running, holder, r < 0 ? NULL : text);
	if (json)
		puts(json_object_to_json_string_ext(s, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_SPACED |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		print_status(stdout, s);
	json_object_put(s);
	return running > 0 ? 0 : CTL_STATUS_NOT_RUNNING;
}
