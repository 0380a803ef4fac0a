/* SPDX-License-Identifier: GPL-2.0-or-later */
/* oomguardianctl reports and report: the daemon's JSON reports, listed and shown. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "guardian/ctl/ctl_html.h"
#include "guardian/ctl/ctl_kernel.h"
#include "guardian/ctl/ctl_reports.h"
#include "guardian/loop/loop_files.h"
#include "policy/util/cleanup.h"
#include "policy/util/strutil.h"

#define CTL_FILE_MAX (16 << 20) /* a report is ~10-60 KiB; refuse anything absurd */

void ctl_put_safe(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
}

const char *ctl_kv_get(const char *text, const char *key)
{
	static char val[1024];
	size_t k = strlen(key);

	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (n > k && strncmp(p, key, k) == 0 && p[k] == '=') {
			snprintf(val, sizeof(val), "%.*s", (int)(n - k - 1), p + k + 1);
			return val;
		}
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

int ctl_probe_state_lock(const char *cmd, const char *state, pid_t *ret_holder)
{
	char lock[PATH_MAX];
	int r;

	if ((size_t)snprintf(lock, sizeof(lock), "%s.lock", state) >= sizeof(lock))
		r = -ENAMETOOLONG;
	else
		r = loop_lock_probe(lock, ret_holder);
	if (r < 0)
		fprintf(stderr, "oomguardianctl %s: cannot probe '%s.lock': %s\n", cmd, state,
			strerror(-r));
	return r;
}

int ctl_read_file(const char *path, char **ret)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	char *buf;
	size_t len = 0, cap;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (st.st_size > CTL_FILE_MAX)
		return -EFBIG;
	/* /proc files say size 0: read to the end whatever the size said */
	cap = (size_t)st.st_size + 4096;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *nb = cap < CTL_FILE_MAX ? realloc(buf, cap * 2) : NULL;

			if (!nb) {
				free(buf);
				return cap < CTL_FILE_MAX ? -ENOMEM : -EFBIG;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret = buf;
	return 0;
}

const char *ctl_report_dir(const char *dir, const char *state_file)
{
	static char buf[1024];
	_cleanup_free_ char *text = NULL;
	const char *v;

	if (dir)
		return dir;
	if (ctl_read_file(state_file ? state_file : CTL_STATE_DEFAULT, &text) == 0 &&
	    (v = ctl_kv_get(text, "report_dir")) && v[0]) {
		og_strscpy(buf, v, sizeof(buf));
		return buf;
	}
	return CTL_REPORTS_DEFAULT;
}

int ctl_parse_since(const char *s, uint64_t now_usec, uint64_t *ret_usec)
{
	struct tm tm = {0};
	uint64_t d;
	const char *end;

	if (og_parse_duration(s, &d) == 0) {
		*ret_usec = d > now_usec ? 0 : now_usec - d;
		return 0;
	}
	end = strptime(s, "%Y-%m-%d", &tm);
	if (!end)
		return -EINVAL;
	if (*end == 'T' || *end == ' ') {
		const char *e2 = strptime(end + 1, "%H:%M:%S", &tm);

		end = e2 ? e2 : strptime(end + 1, "%H:%M", &tm);
		if (!end)
			return -EINVAL;
	}
	if (*end == 'Z')
		end++;
	if (*end)
		return -EINVAL;
	*ret_usec = (uint64_t)timegm(&tm) * 1000000ULL;
	return 0;
}

struct json_object *ctl_json_get(struct json_object *o, const char *dotted)
{
	char buf[256], *save = NULL;

	og_strscpy(buf, dotted, sizeof(buf));
	for (char *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, strtoul(k, NULL, 10));
		else if (!json_object_object_get_ex(o, k, &o))
			return NULL;
	}
	return o;
}

const char *ctl_json_str(struct json_object *o, const char *k)
{
	struct json_object *v = ctl_json_get(o, k);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

bool ctl_json_int(struct json_object *o, const char *k, int64_t *ret)
{
	struct json_object *v = ctl_json_get(o, k);

	if (!v || !json_object_is_type(v, json_type_int))
		return false;
	*ret = json_object_get_int64(v);
	return true;
}

int64_t ctl_json_i64(struct json_object *o, const char *k)
{
	int64_t v = 0;

	ctl_json_int(o, k, &v);
	return v;
}

bool ctl_json_bool(struct json_object *o, const char *k)
{
	struct json_object *v = ctl_json_get(o, k);

	return v && json_object_get_boolean(v);
}

/* ------------------------------------------------------------------ the list */

static bool is_report_name(const char *n)
{
	size_t len = strlen(n);

	return len > 29 && n[0] >= '0' && n[0] <= '9' && n[8] == 'T' &&
	       strcmp(n + len - 5, ".json") == 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The report names of dir, sorted (= by time); *ret_n of them. */
static int list_names(const char *dir, char ***ret, size_t *ret_n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	size_t n = 0, cap = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!is_report_name(de->d_name))
			continue;
		if (n == cap) {
			char **nv = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*v));

			if (!nv)
				break;
			v = nv;
		}
		v[n] = strdup(de->d_name);
		if (v[n])
			n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	*ret = v;
	*ret_n = n;
	return 0;
}

static void free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static uint64_t report_time_usec(const char *name)
{
	struct tm tm = {0};
	unsigned us = 0;

	if (sscanf(name, "%4d%2d%2dT%2d%2d%2d.%6u", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &us) != 7)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (uint64_t)timegm(&tm) * 1000000ULL + us;
}

/* One line (or one JSON object) per report. */
static struct json_object *summary(struct json_object *r)
{
	struct json_object *o = json_object_new_object();
	static const char *const keys[] = {"id",    "time", "action",  "decision",   "result",
					   "stage", "rule", "dry_run", "freed_bytes"};

	for (size_t i = 0; i < OG_ELEMENTSOF(keys); i++) {
		struct json_object *v = ctl_json_get(r, keys[i]);

		json_object_object_add(o, keys[i], v ? json_object_get(v) : NULL);
	}
	json_object_object_add(o, "target", json_object_get(ctl_json_get(r, "target")));
	if (ctl_json_get(r, "count"))
		json_object_object_add(o, "count", json_object_get(ctl_json_get(r, "count")));
	return o;
}

static void print_line(FILE *out, struct json_object *r)
{
	char b[16];
	const char *t = ctl_json_str(r, "time"), *kind = ctl_json_str(r, "target.kind");
	int64_t pid;

	fprintf(out, "%-19.19s %-13s %-13s ", t ? t : "?",
		strcmp(ctl_json_str(r, "action") ?: "", "report") == 0 ? "no-action"
								       : ctl_json_str(r, "action") ?: "?",
		ctl_json_str(r, "result") ?: "?");
	if (ctl_json_int(r, "target.pid", &pid) && pid > 0) {
		fprintf(out, "pid %" PRId64 " ", pid);
		ctl_put_safe(out, ctl_json_str(r, "target.comm") ?: "?");
	} else if (ctl_json_str(r, "target.cgroup")) {
		ctl_put_safe(out, ctl_json_str(r, "target.cgroup"));
	} else {
		fputs(kind ? kind : "-", out);
	}
	if (ctl_json_i64(r, "count") > 1)
		fprintf(out, " (+%" PRId64 " more)", ctl_json_i64(r, "count") - 1);
	if (ctl_json_i64(r, "freed_bytes") > 0)
		fprintf(out, ", freed %s",
			og_format_bytes(b, sizeof(b), (uint64_t)ctl_json_i64(r, "freed_bytes")));
	if (ctl_json_bool(r, "dry_run"))
		fputs(" [dry-run]", out);
	fputs("  ", out);
	ctl_put_safe(out, ctl_json_str(r, "rule") ?: "");
	fputc('\n', out);
}

static void reports_usage(FILE *out)
{
	fputs("Usage: oomguardianctl reports [--since WHEN] [--json] [--report-dir DIR]\n"
	      "List the daemon's reports, oldest first: every action and every stage that fired\n"
	      "with nothing allowed to be done. WHEN: 2026-12-02, 2026-12-02T03:00 (UTC) or a\n"
	      "duration ago (1h, 30min). The directory defaults to the running daemon's.\n",
	      out);
}

int ctl_reports_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"since", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"report-dir", required_argument, NULL, 'd'},
		{"state-file", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = NULL, *state = NULL;
	uint64_t since = 0;
	struct json_object *arr = NULL;
	bool json = false;
	char **names = NULL;
	size_t n = 0, shown = 0;
	struct timespec now;
	int c, r;

	clock_gettime(CLOCK_REALTIME, &now);
	optind = 0;
	while ((c = getopt_long(argc, argv, "+s:jd:h", opts, NULL)) >= 0) {
		switch (c) {
		case 's':
			if (ctl_parse_since(optarg,
					    (uint64_t)now.tv_sec * 1000000ULL +
						    (uint64_t)now.tv_nsec / 1000,
					    &since) < 0) {
				fprintf(stderr,
					"oomguardianctl reports: --since: cannot read '%s'\n",
					optarg);
				return EX_USAGE;
			}
			break;
		case 'j':
			json = true;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'S':
			state = optarg;
			break;
		case 'h':
			reports_usage(stdout);
			return 0;
		default:
			reports_usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind < argc) {
		reports_usage(stderr);
		return EX_USAGE;
	}
	dir = ctl_report_dir(dir, state);
	r = list_names(dir, &names, &n);
	if (r < 0) {
		fprintf(stderr, "oomguardianctl reports: cannot read '%s': %s\n", dir,
			strerror(-r));
		return 1;
	}
	if (json)
		arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		char path[1024];
		_cleanup_free_ char *text = NULL;
		struct json_object *rep;

		if (since && report_time_usec(names[i]) < since)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (ctl_read_file(path, &text) < 0 || !(rep = json_tokener_parse(text)))
			continue; /* vanished (retention) or not ours */
		if (json)
			json_object_array_add(arr, summary(rep));
		else
			print_line(stdout, rep);
		json_object_put(rep);
		shown++;
	}
	free_names(names, n);
	if (json) {
		puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
								 JSON_C_TO_STRING_SPACED |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(arr);
	} else if (!shown) {
		printf("no reports in '%s'%s\n", dir, since ? " in that time" : "");
	}
	return 0;
}

/* ------------------------------------------------------------------ one report */

int ctl_report_load(const char *dir, const char *id, struct json_object **ret, char *ret_path)
{
	char path[1024], want[512];
	_cleanup_free_ char *text = NULL;
	char **names = NULL;
	size_t n = 0, found = 0;
	int r;

	if (strchr(id, '/')) {
		og_strscpy(path, id, sizeof(path));
	} else {
		snprintf(want, sizeof(want), "%s", id);
		r = list_names(dir, &names, &n);
		if (r < 0)
			return r;
		for (size_t i = 0; i < n; i++) {
			size_t len = strlen(names[i]), w = strlen(want);

			if (strncmp(names[i], want, w) != 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			if (len == w || (len == w + 5 && strcmp(names[i] + w, ".json") == 0)) {
				found = 1; /* the whole name: no ambiguity */
				break;
			}
			found++;
		}
		free_names(names, n);
		if (!found)
			return -ENOENT;
		if (found > 1)
			return -EEXIST;
	}
	r = ctl_read_file(path, &text);
	if (r < 0)
		return r;
	*ret = json_tokener_parse(text);
	if (!*ret)
		return -EBADMSG;
	if (ret_path)
		og_strscpy(ret_path, path, 1024);
	return 0;
}

static void print_report(FILE *out, struct json_object *r, const char *path)
{
	struct json_object *c = ctl_json_get(r, "candidates"), *m = ctl_json_get(r, "machine");
	char a[16], b[16];
	int64_t v;

	fprintf(out, "Report %s\n  (%s)\n", ctl_json_str(r, "id") ?: "?", path);
	fprintf(out, "Time:       %s on %s%s\n", ctl_json_str(r, "time") ?: "?",
		ctl_json_str(r, "host") ?: "?",
		ctl_json_bool(r, "dry_run") ? " (dry-run: nothing was done)" : "");
	fprintf(out, "Scope:      ");
	ctl_put_safe(out, ctl_json_str(r, "scope") ?: "/");
	fprintf(out, "\nAction:     %s at stage %s: %s (%s)\n", ctl_json_str(r, "action") ?: "?",
		ctl_json_str(r, "stage") ?: "?", ctl_json_str(r, "result") ?: "?",
		ctl_json_str(r, "decision") ?: "?");
	fprintf(out, "Rule:       ");
	ctl_put_safe(out, ctl_json_str(r, "rule") ?: "-");
	fprintf(out, "\nWhy:        ");
	ctl_put_safe(out, ctl_json_str(r, "reason") ?: "-");
	fputc('\n', out);
	if (ctl_json_str(r, "metric"))
		fprintf(out, "Measured:   %s %" PRId64 " (limit %" PRId64 ")\n",
			ctl_json_str(r, "metric"), ctl_json_i64(r, "measured"),
			ctl_json_i64(r, "limit"));
	if (ctl_json_int(r, "count", &v))
		fprintf(out, "Processes:  %" PRId64 " in this minute (oom_score_adj %" PRId64 ")\n",
			v, ctl_json_i64(r, "oom_score_adj"));
	if (ctl_json_get(r, "victim")) {
		fprintf(out, "Victim:     pid %" PRId64 " ", ctl_json_i64(r, "victim.pid"));
		ctl_put_safe(out, ctl_json_str(r, "victim.comm") ?: "?");
		if (ctl_json_int(r, "victim.uid", &v))
			fprintf(out, " uid %" PRId64, v);
		fputs(" cgroup ", out);
		ctl_put_safe(out, ctl_json_str(r, "victim.cgroup") ?: "-");
		fputs(" unit ", out);
		ctl_put_safe(out, ctl_json_str(r, "victim.unit") ?: "-");
		if (ctl_json_str(r, "victim.cmdline")) {
			fputs("\n            cmdline: ", out);
			ctl_put_safe(out, ctl_json_str(r, "victim.cmdline"));
		}
		fputc('\n', out);
	}
	if (ctl_json_get(r, "sent")) {
		fprintf(out, "Sent:       %s%s", ctl_json_bool(r, "sent.sigterm") ? "SIGTERM " : "",
			ctl_json_bool(r, "sent.sigkill") ? "SIGKILL " : "");
		if (ctl_json_int(r, "sent.sigkill_after_usec", &v))
			fprintf(out, "(SIGKILL after %" PRId64 " ms) ", v / 1000);
		fprintf(out, "memory release: %s; %s",
			ctl_json_str(r, "sent.memory_release") ?: "-",
			ctl_json_bool(r, "sent.exited") ? "exited" : "did not exit");
		if (ctl_json_int(r, "sent.exited_after_usec", &v))
			fprintf(out, " after %" PRId64 " ms", v / 1000);
		fputc('\n', out);
	}
	fprintf(out, "Freed:      %s in %" PRId64 " ms",
		og_format_bytes(a, sizeof(a), (uint64_t)ctl_json_i64(r, "freed_bytes")),
		ctl_json_i64(r, "elapsed_usec") / 1000);
	if (ctl_json_int(r, "since_kill_threshold_usec", &v))
		fprintf(out, " (%" PRId64 " ms after the kill threshold was crossed)", v / 1000);
	fputc('\n', out);
	if (m) {
		fprintf(out, "Machine:    available %s of %s (%s)",
			og_format_bytes(a, sizeof(a), (uint64_t)ctl_json_i64(m, "available_bytes")),
			og_format_bytes(b, sizeof(b), (uint64_t)ctl_json_i64(m, "total_bytes")),
			ctl_json_str(m, "measured_on") ?: "?");
		if (ctl_json_get(m, "memory_pressure"))
			fprintf(out,
				", memory PSI some %" PRId64 ".%02" PRId64 "%% full %" PRId64
				".%02" PRId64 "%%",
				ctl_json_i64(m, "memory_pressure.some_avg10_centi") / 100,
				ctl_json_i64(m, "memory_pressure.some_avg10_centi") % 100,
				ctl_json_i64(m, "memory_pressure.full_avg10_centi") / 100,
				ctl_json_i64(m, "memory_pressure.full_avg10_centi") % 100);
		fputc('\n', out);
		if (ctl_json_get(m, "top_slab_caches")) {
			struct json_object *s = ctl_json_get(m, "top_slab_caches");

			fputs("Slab:      ", out);
			for (size_t i = 0; i < json_object_array_length(s); i++) {
				struct json_object *e = json_object_array_get_idx(s, i);

				fprintf(out, " %s %s%s", ctl_json_str(e, "name") ?: "?",
					og_format_bytes(a, sizeof(a),
							(uint64_t)ctl_json_i64(e, "bytes")),
					i + 1 < json_object_array_length(s) ? "," : "");
			}
			fputc('\n', out);
		}
		for (size_t i = 0; ctl_json_get(m, "nodes") &&
				   i < json_object_array_length(ctl_json_get(m, "nodes"));
		     i++) {
			struct json_object *e =
				json_object_array_get_idx(ctl_json_get(m, "nodes"), i);

			fprintf(out, "Node %-6" PRId64 " free %s of %s\n", ctl_json_i64(e, "node"),
				og_format_bytes(a, sizeof(a),
						(uint64_t)ctl_json_i64(e, "free_bytes")),
				og_format_bytes(b, sizeof(b),
						(uint64_t)ctl_json_i64(e, "total_bytes")));
		}
	}
	if (c && json_object_array_length(c)) {
		fputs("Candidates:\n", out);
		for (size_t i = 0; i < json_object_array_length(c); i++) {
			struct json_object *e = json_object_array_get_idx(c, i);

			fprintf(out, "  %zu %s pid %-7" PRId64 " ", i + 1,
				ctl_json_bool(e, "chosen") ? "*" : " ", ctl_json_i64(e, "pid"));
			ctl_put_safe(out, ctl_json_str(e, "comm") ?: "?");
			fprintf(out, "  frees %s  oom_score %" PRId64 "  tier %s  service ",
				og_format_bytes(a, sizeof(a),
						(uint64_t)ctl_json_i64(e, "free_bytes")),
				ctl_json_i64(e, "oom_score"), ctl_json_str(e, "tier") ?: "?");
			ctl_put_safe(out, ctl_json_str(e, "service") ?: "-");
			fputc('\n', out);
		}
	}
	if (ctl_json_get(r, "flight_recorder.samples")) {
		struct json_object *s = ctl_json_get(r, "flight_recorder.samples");
		size_t k = json_object_array_length(s);

		if (k)
			fprintf(out, "Recorded:   %zu samples, %s to %s\n", k,
				ctl_json_str(json_object_array_get_idx(s, 0), "time") ?: "?",
				ctl_json_str(json_object_array_get_idx(s, k - 1), "time") ?: "?");
	}
}

/* The kernel's reports of the minutes around r: from klog, else this boot's log when r is
 * this host's (another host's report says nothing about our kernel log). */
static void kernel_around(struct json_object *r, const char *klog, struct json_object **ret,
			  const char **ret_why)
{
	char host[256] = "";
	double t = ctl_html_iso_to_sec(ctl_json_str(r, "time"));
	double u = ctl_html_iso_to_sec(ctl_json_str(r, "updated"));

	if (!klog && (gethostname(host, sizeof(host) - 1) < 0 || !ctl_json_str(r, "host") ||
		      strcmp(host, ctl_json_str(r, "host")) != 0)) {
		*ret_why = "not looked for: the report is another host's (give --kernel-log FILE)";
		return;
	}
	if (!t) {
		*ret_why = "not looked for: the report has no time";
		return;
	}
	ctl_kernel_reports(klog, t - CTL_KERNEL_BEFORE_SEC, (u > t ? u : t) + CTL_KERNEL_AFTER_SEC,
			   ret, ret_why);
}

static void report_usage(FILE *out)
{
	fputs("Usage: oomguardianctl report [--json|--html] [--report-dir DIR]\n"
	      "                            [--kernel-log FILE|--no-kernel-log] ID\n"
	      "Show one report (ID: its name as 'reports' lists it, a unique prefix, or a path)\n"
	      "with the kernel's OOM reports of the same minutes explained (from FILE, or the\n"
	      "kernel log of this boot when the report is this host's). --json prints the\n"
	      "report file, --html one self-contained page with a timeline plot of the flight\n"
	      "recorder, the decision, the candidates and the kernel's reports.\n",
	      out);
}

int ctl_report_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"html", no_argument, NULL, 'H'},
		{"report-dir", required_argument, NULL, 'd'},
		{"state-file", required_argument, NULL, 'S'},
		{"kernel-log", required_argument, NULL, 'k'},
		{"no-kernel-log", no_argument, NULL, 'K'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = NULL, *state = NULL, *klog = NULL, *why = NULL;
	bool json = false, html = false, no_kernel = false;
	struct json_object *kernel = NULL;
	struct json_object *r = NULL;
	char path[1024];
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+jd:h", opts, NULL)) >= 0) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'H':
			html = true;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'S':
			state = optarg;
			break;
		case 'k':
			klog = optarg;
			break;
		case 'K':
			no_kernel = true;
			break;
		case 'h':
			report_usage(stdout);
			return 0;
		default:
			report_usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind + 1 != argc || (json && html)) {
		report_usage(stderr);
		return EX_USAGE;
	}
	dir = ctl_report_dir(dir, state);
	ret = ctl_report_load(dir, argv[optind], &r, path);
	if (ret < 0) {
		fprintf(stderr, "oomguardianctl report: '%s' in '%s': %s\n", argv[optind], dir,
			ret == -EEXIST	  ? "more than one report starts so; give more of the name"
			: ret == -EBADMSG ? "not a JSON report"
					  : strerror(-ret));
		return 1;
	}
	if (!json && !no_kernel)
		kernel_around(r, klog, &kernel, &why);
	if (json)
		puts(json_object_to_json_string_ext(r, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_SPACED |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
	else if (html)
		ret = ctl_html_write(stdout, r, kernel, why);
	else {
		print_report(stdout, r, path);
		if (!no_kernel)
			ctl_kernel_print(stdout, kernel, why);
	}
	json_object_put(kernel);
	json_object_put(r);
	return ret < 0 || fflush(stdout) != 0 ? 1 : 0;
}
