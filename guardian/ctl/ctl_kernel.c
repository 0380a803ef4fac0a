/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel's OOM reports around a daemon report (see ctl_kernel.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guardian/ctl/ctl_kernel.h"
#include "guardian/ctl/ctl_reports.h"
#include "policy/util/cleanup.h"

#define EXPLAIN_OUT_MAX (64u << 20) /* the JSON of a whole boot's reports stays far below */

double ctl_kernel_time(const char *t, double btime, int this_year)
{
	struct tm tm = {0};
	const char *end;
	double sec;

	if (!t || !*t)
		return 0;
	if (*t >= '0' && *t <= '9') { /* "123.456789": seconds since boot, as explain prints it */
		char *e;

		sec = strtod(t, &e);
		if (*e == '\0')
			return btime > 0 ? btime + sec : 0;
	}
	if (t[0] == '[') {
		char *e;

		sec = strtod(t + 1, &e);
		if (e != t + 1 && *e == ']')
			return btime > 0 ? btime + sec : 0;
		end = strptime(t + 1, "%a %b %e %H:%M:%S %Y", &tm);
		if (!end || *end != ']')
			return 0;
		tm.tm_isdst = -1;
		return (double)mktime(&tm);
	}
	end = strptime(t, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end) { /* ISO 8601: a zone offset or Z, else local */
		int hh = 0, mm = 0;
		char sign = 0;

		while (*end == '.' || (*end >= '0' && *end <= '9'))
			end++;
		if (*end == 'Z')
			return (double)timegm(&tm);
		if (sscanf(end, "%c%2d:%2d", &sign, &hh, &mm) >= 2 && (sign == '+' || sign == '-'))
			return (double)timegm(&tm) - (sign == '+' ? 1 : -1) * (hh * 3600 + mm * 60);
		tm.tm_isdst = -1;
		return (double)mktime(&tm);
	}
	memset(&tm, 0, sizeof(tm));
	if (strptime(t, "%b %e %H:%M:%S", &tm)) {
		tm.tm_year = this_year - 1900;
		tm.tm_isdst = -1;
		return (double)mktime(&tm);
	}
	return 0;
}

static double boot_time(void)
{
	_cleanup_free_ char *stat = NULL;
	const char *p;

	if (ctl_read_file("/proc/stat", &stat) < 0)
		return 0;
	p = strstr(stat, "\nbtime ");
	return p ? strtod(p + 7, NULL) : 0;
}

/* Run this binary's `explain --json [FILE]`; its stdout into *ret (malloc'd). */
static int run_explain(const char *file, char **ret, int *ret_status)
{
	static char a0[] = "oomguardianctl", a1[] = "explain", a2[] = "--json";
	char *argv[] = {a0, a1, a2, (char *)file, NULL};
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);
	int pfd[2], st = 0;
	pid_t pid;

	if (!buf)
		return -ENOMEM;
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		free(buf);
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		free(buf);
		close(pfd[0]);
		close(pfd[1]);
		return -errno;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		dup2(pfd[1], STDOUT_FILENO);
		if (null >= 0)
			dup2(null, STDERR_FILENO);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *nb = cap < EXPLAIN_OUT_MAX ? realloc(buf, cap * 2) : NULL;

			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		n = read(pfd[0], buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(pfd[0]);
	buf[len] = '\0';
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	*ret_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	*ret = buf;
	return 0;
}

int ctl_kernel_reports(const char *file, double from, double to, struct json_object **ret,
		       const char **ret_why)
{
	_cleanup_free_ char *out = NULL;
	struct json_object *all, *reps, *keep, *res;
	double btime = file ? 0 : boot_time();
	time_t now = time(NULL);
	struct tm tm;
	int st = 0, r;

	*ret = NULL;
	r = run_explain(file, &out, &st);
	if (r < 0) {
		*ret_why = "the kernel log could not be explained (cannot run 'explain')";
		return r;
	}
	if (st == 64 && !out[0]) {
		*ret_why = "not explained: this oomguardianctl has no 'explain' command";
		return 0;
	}
	all = json_tokener_parse(out);
	if (!all || !json_object_object_get_ex(all, "reports", &reps) ||
	    !json_object_is_type(reps, json_type_array)) {
		json_object_put(all);
		*ret_why = st == 66 ? "the kernel log could not be read (needs root or CAP_SYSLOG)"
				    : "the kernel log could not be explained";
		return 0;
	}
	localtime_r(&now, &tm);
	keep = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(reps); i++) {
		struct json_object *e = json_object_array_get_idx(reps, i);
		double t = ctl_kernel_time(ctl_json_str(e, "time"), btime, tm.tm_year + 1900);

		if (t >= from && t <= to) {
			time_t tt = (time_t)t;
			struct tm utc;
			char iso[32];

			strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&tt, &utc));
			json_object_object_add(e, "time_utc", json_object_new_string(iso));
			json_object_array_add(keep, json_object_get(e));
		}
	}
	res = json_object_new_object();
	json_object_object_add(res, "format", json_object_new_int(1));
	json_object_object_add(res, "source",
			       json_object_new_string(file ? file : "the kernel log of this boot"));
	json_object_object_add(res, "reports", keep);
	json_object_put(all);
	*ret = res;
	*ret_why = json_object_array_length(keep) ? NULL
						  : "no kernel OOM report in the minutes around it";
	return 0;
}

void ctl_kernel_print(FILE *out, struct json_object *k, const char *why)
{
	struct json_object *reps = k ? ctl_json_get(k, "reports") : NULL;

	fputs("Kernel:     ", out);
	if (!reps || !json_object_array_length(reps)) {
		fprintf(out, "%s\n", why ? why : "no kernel OOM report in the minutes around it");
		return;
	}
	fprintf(out, "%zu OOM report%s in %s around it\n", json_object_array_length(reps),
		json_object_array_length(reps) == 1 ? "" : "s", ctl_json_str(k, "source") ?: "?");
	for (size_t i = 0; i < json_object_array_length(reps); i++) {
		struct json_object *e = json_object_array_get_idx(reps, i), *c;

		fputs("  ", out);
		ctl_put_safe(out, ctl_json_str(e, "time_utc") ?: ctl_json_str(e, "time") ?: "?");
		fprintf(out, " %s", ctl_json_str(e, "kind") ?: "?");
		if (ctl_json_str(e, "killed.comm")) {
			fprintf(out, ": killed pid %" PRId64 " ", ctl_json_i64(e, "killed.pid"));
			ctl_put_safe(out, ctl_json_str(e, "killed.comm"));
		}
		c = ctl_json_get(e, "causes");
		for (size_t j = 0; c && j < json_object_array_length(c); j++)
			fprintf(out, "%s%s", j ? ", " : " (causes: ",
				json_object_get_string(json_object_array_get_idx(c, j)));
		fputs(c && json_object_array_length(c) ? ")\n    " : "\n    ", out);
		ctl_put_safe(out, ctl_json_str(e, "summary") ?: "");
		fputc('\n', out);
	}
}
