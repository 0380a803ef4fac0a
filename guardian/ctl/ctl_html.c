/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The incident page (see ctl_html.h). No locale is set in oomguardianctl: "%.1f" prints '.'. */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guardian/ctl/ctl_html.h"
#include "guardian/ctl/ctl_reports.h"
#include "policy/util/cleanup.h"
#include "policy/util/strutil.h"

/* The plot's geometry (SVG user units). */
#define W 960.0
#define H 380.0
#define L 70.0 /* left margin: bytes axis */
#define R 60.0 /* right margin: PSI axis */
#define T 20.0
#define B 50.0 /* bottom: time axis and legend */
#define SERVICES_SHOWN 4

static const char *const svc_colors[SERVICES_SHOWN] = {"#8e44ad", "#16a085", "#d35400", "#7f8c8d"};

static void esc(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '&':
			fputs("&amp;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(out, "\\x%02x", c);
			else
				fputc(c, out);
		}
	}
}

double ctl_html_iso_to_sec(const char *iso)
{
	struct tm tm = {0};
	const char *end;
	double frac = 0, scale = 0.1;

	if (!iso)
		return 0;
	end = strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return 0;
	if (*end == '.')
		for (end++; *end >= '0' && *end <= '9'; end++, scale /= 10)
			frac += (*end - '0') * scale;
	return (double)timegm(&tm) + frac;
}

static void fmt_bytes(FILE *out, int64_t v)
{
	char b[16];

	fputs(og_format_bytes(b, sizeof(b), v > 0 ? (uint64_t)v : 0), out);
}

/* ------------------------------------------------------------------ the plot */

struct plot {
	double t0, t1; /* seconds */
	double ymax; /* bytes */
};

static double px(const struct plot *p, double t)
{
	return L + (t - p->t0) / (p->t1 - p->t0) * (W - L - R);
}

static double py_bytes(const struct plot *p, double v)
{
	return H - B - v / p->ymax * (H - T - B);
}

static double py_psi(double centi)
{
	return H - B - centi / 10000.0 * (H - T - B);
}

/* The services drawn: the SERVICES_SHOWN with the highest peak in the samples. */
static size_t pick_services(struct json_object *samples, const char **ret)
{
	struct {
		const char *name;
		int64_t peak;
	} seen[64];
	size_t n = 0, k = 0;

	for (size_t i = 0; i < json_object_array_length(samples); i++) {
		struct json_object *sv =
			ctl_json_get(json_object_array_get_idx(samples, i), "services");

		if (!sv || !json_object_is_type(sv, json_type_object))
			continue;
		json_object_object_foreach(sv, name, val)
		{
			size_t j;

			for (j = 0; j < n && strcmp(seen[j].name, name) != 0; j++)
				;
			if (j == n) {
				if (n == OG_ELEMENTSOF(seen))
					continue;
				seen[n].name = name;
				seen[n++].peak = 0;
			}
			if (json_object_get_int64(val) > seen[j].peak)
				seen[j].peak = json_object_get_int64(val);
		}
	}
	while (k < SERVICES_SHOWN && n) {
		size_t best = 0;

		for (size_t j = 1; j < n; j++)
			if (seen[j].peak > seen[best].peak)
				best = j;
		ret[k++] = seen[best].name;
		seen[best] = seen[--n];
	}
	return k;
}

/* A service's value in a sample: its name may hold dots, so no dotted lookup. */
static struct json_object *svc_value(struct json_object *sample, const char *svc)
{
	struct json_object *sv = ctl_json_get(sample, "services"), *v = NULL;

	if (!sv || !json_object_is_type(sv, json_type_object) ||
	    !json_object_object_get_ex(sv, svc, &v))
		return NULL;
	return v;
}

static void series(FILE *out, const struct plot *p, struct json_object *samples, const char *id,
		   const char *cls, const char *key, const char *svc, bool psi, const char *color)
{
	size_t npts = 0;

	for (size_t i = 0; i < json_object_array_length(samples); i++) {
		struct json_object *s = json_object_array_get_idx(samples, i);
		struct json_object *v = svc ? svc_value(s, svc) : NULL;

		npts += svc ? v != NULL : ctl_json_get(s, key) != NULL;
	}
	fprintf(out, "<polyline id=\"%s\" class=\"series %s\" data-points=\"%zu\"", id, cls, npts);
	if (svc) {
		fputs(" data-service=\"", out);
		esc(out, svc);
		fputc('"', out);
	}
	fprintf(out, " fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" points=\"", color,
		svc ? "1.5" : "2.5");
	for (size_t i = 0; i < json_object_array_length(samples); i++) {
		struct json_object *s = json_object_array_get_idx(samples, i);
		struct json_object *v = svc ? svc_value(s, svc) : ctl_json_get(s, key);
		double t = ctl_html_iso_to_sec(ctl_json_str(s, "time"));

		if (!v || !t)
			continue;
		fprintf(out, "%.1f,%.1f ", px(p, t),
			psi ? py_psi((double)json_object_get_int64(v))
			    : py_bytes(p, (double)json_object_get_int64(v)));
	}
	fputs("\"/>\n", out);
}

static void marker(FILE *out, const struct plot *p, double t, const char *kind, const char *label,
		   const char *color, int row)
{
	double x;

	if (!t)
		return;
	x = px(p, t);
	fprintf(out,
		"<g class=\"marker\" data-kind=\"%s\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		"y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\" stroke-dasharray=\"5,3\"/>"
		"<text x=\"%.1f\" y=\"%.1f\" fill=\"%s\" font-size=\"12\">%s</text></g>\n",
		kind, x, T, x, H - B, color, x + 3, T + 12 + 14.0 * row, color, label);
}

static void axes(FILE *out, const struct plot *p)
{
	char b[16];

	fprintf(out,
		"<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"#fafafa\" "
		"stroke=\"#ccc\"/>\n",
		L, T, W - L - R, H - T - B);
	for (int i = 0; i <= 4; i++) {
		double v = p->ymax * i / 4, y = py_bytes(p, v);

		fprintf(out,
			"<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>"
			"<text x=\"%.0f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%s</text>"
			"<text x=\"%.0f\" y=\"%.1f\" font-size=\"11\">%d%%</text>\n",
			L, y, W - R, y, L - 4, y + 4, og_format_bytes(b, sizeof(b), (uint64_t)v),
			W - R + 4, y + 4, i * 25);
	}
	for (int i = 0; i <= 4; i++) {
		double t = p->t0 + (p->t1 - p->t0) * i / 4;
		time_t tt = (time_t)t;
		struct tm tm;
		char ts[16];

		strftime(ts, sizeof(ts), "%H:%M:%S", gmtime_r(&tt, &tm));
		fprintf(out,
			"<text x=\"%.1f\" y=\"%.0f\" font-size=\"11\" "
			"text-anchor=\"middle\">%s</text>\n",
			px(p, t), H - B + 14, ts);
	}
	fprintf(out,
		"<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" text-anchor=\"middle\">time "
		"(UTC)</text>\n",
		(L + W - R) / 2, H - B + 28);
}

static void legend(FILE *out, const char **svcs, size_t nsvc)
{
	double x = L;

	fprintf(out, "<g class=\"legend\" font-size=\"12\">");
#define ITEM(color, dash, ...)                                                                 \
	do {                                                                                   \
		fprintf(out,                                                                   \
			"<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"%s\" " \
			"stroke-width=\"2.5\"%s/><text x=\"%.0f\" y=\"%.0f\">",                \
			x, H - 8, x + 18, H - 8, color, dash, x + 22, H - 4);                  \
		__VA_ARGS__;                                                                   \
		fputs("</text>", out);                                                         \
		x += 150;                                                                      \
	} while (0)
	ITEM("#2471a3", "", fputs("available memory", out));
	ITEM("#e67e22", "", fputs("PSI some (right)", out));
	ITEM("#c0392b", "", fputs("PSI full (right)", out));
	for (size_t i = 0; i < nsvc && i < 2; i++)
		ITEM(svc_colors[i], "", esc(out, svcs[i]));
#undef ITEM
	fputs("</g>\n", out);
}

static void plot(FILE *out, struct json_object *r)
{
	struct json_object *samples = ctl_json_get(r, "flight_recorder.samples");
	const char *svcs[SERVICES_SHOWN];
	size_t nsvc = 0, n = samples ? json_object_array_length(samples) : 0;
	double decided = ctl_html_iso_to_sec(ctl_json_str(r, "time"));
	struct plot p = {decided - 60, decided + 5, 1};
	int64_t v;

	for (size_t i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(samples, i);
		double t = ctl_html_iso_to_sec(ctl_json_str(s, "time"));

		if (t && (i == 0 || t < p.t0))
			p.t0 = t;
		if (t > p.t1)
			p.t1 = t;
		if (ctl_json_i64(s, "total_bytes") > p.ymax)
			p.ymax = (double)ctl_json_i64(s, "total_bytes");
	}
	if (ctl_json_int(r, "sent.exited_after_usec", &v) && decided + v / 1e6 + 1 > p.t1)
		p.t1 = decided + v / 1e6 + 1;
	if (decided && decided < p.t0)
		p.t0 = decided - 1;
	if (p.t1 <= p.t0)
		p.t1 = p.t0 + 1;
	if (p.ymax <= 1)
		p.ymax = (double)(ctl_json_i64(r, "machine.total_bytes") ?: 1);
	fprintf(out,
		"<svg id=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f "
		"%.0f\" width=\"100%%\" role=\"img\" aria-label=\"timeline\" "
		"data-samples=\"%zu\">\n",
		W, H, n);
	axes(out, &p);
	if (samples) {
		nsvc = pick_services(samples, svcs);
		for (size_t i = 0; i < nsvc; i++) {
			char id[32];

			snprintf(id, sizeof(id), "svc-%zu", i);
			series(out, &p, samples, id, "service", NULL, svcs[i], false,
			       svc_colors[i]);
		}
		series(out, &p, samples, "avail", "available", "available_bytes", NULL, false,
		       "#2471a3");
		series(out, &p, samples, "psi-some", "psi", "psi_some_avg10_centi", NULL, true,
		       "#e67e22");
		series(out, &p, samples, "psi-full", "psi", "psi_full_avg10_centi", NULL, true,
		       "#c0392b");
	}
	marker(out, &p, decided, "decision", ctl_json_str(r, "action") ?: "decision", "#000", 0);
	if (ctl_json_int(r, "sent.sigkill_after_usec", &v) && ctl_json_bool(r, "sent.sigkill") &&
	    strcmp(ctl_json_str(r, "action") ?: "", "kill") != 0)
		marker(out, &p, decided + v / 1e6, "sigkill", "SIGKILL", "#c0392b", 1);
	if (ctl_json_int(r, "sent.exited_after_usec", &v))
		marker(out, &p, decided + v / 1e6, "exited", "exited", "#27ae60", 2);
	legend(out, svcs, nsvc);
	if (!n)
		fprintf(out,
			"<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">the flight recorder "
			"had no samples</text>\n",
			(L + W - R) / 2, H / 2);
	fputs("</svg>\n", out);
	if (nsvc > 2) {
		fputs("<p class=\"small\">Also drawn: ", out);
		for (size_t i = 2; i < nsvc; i++) {
			fprintf(out, "<span style=\"color:%s\">", svc_colors[i]);
			esc(out, svcs[i]);
			fputs("</span> ", out);
		}
		fputs("</p>\n", out);
	}
}

/* ------------------------------------------------------------------ the rest of the page */

static void row(FILE *out, const char *k, const char *v)
{
	fprintf(out, "<tr><th>%s</th><td>", k);
	esc(out, v ? v : "-");
	fputs("</td></tr>\n", out);
}

static void decision(FILE *out, struct json_object *r)
{
	char buf[256];
	int64_t v;

	fputs("<section id=\"decision\"><h2>The decision</h2><table class=\"kv\">\n", out);
	snprintf(buf, sizeof(buf), "%s at stage %s: %s (%s)", ctl_json_str(r, "action") ?: "?",
		 ctl_json_str(r, "stage") ?: "?", ctl_json_str(r, "result") ?: "?",
		 ctl_json_str(r, "decision") ?: "?");
	row(out, "Action", buf);
	row(out, "Rule", ctl_json_str(r, "rule"));
	row(out, "Why", ctl_json_str(r, "reason"));
	if (ctl_json_str(r, "metric")) {
		snprintf(buf, sizeof(buf), "%s = %" PRId64 ", limit %" PRId64,
			 ctl_json_str(r, "metric"), ctl_json_i64(r, "measured"),
			 ctl_json_i64(r, "limit"));
		row(out, "Measured", buf);
	}
	row(out, "Scope", ctl_json_str(r, "scope"));
	row(out, "Dry-run", ctl_json_bool(r, "dry_run") ? "yes: nothing was done" : "no");
	if (ctl_json_get(r, "victim")) {
		fputs("<tr><th>Victim</th><td>", out);
		fprintf(out, "pid %" PRId64 " <b>", ctl_json_i64(r, "victim.pid"));
		esc(out, ctl_json_str(r, "victim.comm") ?: "?");
		fputs("</b>", out);
		if (ctl_json_int(r, "victim.uid", &v))
			fprintf(out, ", uid %" PRId64, v);
		fputs(", cgroup <code>", out);
		esc(out, ctl_json_str(r, "victim.cgroup") ?: "-");
		fputs("</code>, unit ", out);
		esc(out, ctl_json_str(r, "victim.unit") ?: "-");
		if (ctl_json_str(r, "victim.cmdline")) {
			fputs("<br><code>", out);
			esc(out, ctl_json_str(r, "victim.cmdline"));
			fputs("</code>", out);
		}
		fputs("</td></tr>\n", out);
	}
	if (ctl_json_get(r, "sent")) {
		snprintf(buf, sizeof(buf), "%s%s; memory release: %s; %s",
			 ctl_json_bool(r, "sent.sigterm") ? "SIGTERM " : "",
			 ctl_json_bool(r, "sent.sigkill") ? "SIGKILL" : "",
			 ctl_json_str(r, "sent.memory_release") ?: "-",
			 ctl_json_bool(r, "sent.exited") ? "exited" : "did not exit");
		row(out, "Sent", buf);
	}
	fputs("<tr><th>Freed</th><td>", out);
	fmt_bytes(out, ctl_json_i64(r, "freed_bytes"));
	fprintf(out, " in %" PRId64 " ms", ctl_json_i64(r, "elapsed_usec") / 1000);
	if (ctl_json_int(r, "since_kill_threshold_usec", &v))
		fprintf(out, " (%" PRId64 " ms after the kill threshold was crossed)", v / 1000);
	fputs("</td></tr>\n</table></section>\n", out);
}

static void candidates(FILE *out, struct json_object *r)
{
	struct json_object *c = ctl_json_get(r, "candidates");

	fputs("<section id=\"candidates\"><h2>Candidates considered</h2>\n", out);
	if (!c || !json_object_array_length(c)) {
		fputs("<p>None ranked for this decision.</p></section>\n", out);
		return;
	}
	fputs("<table class=\"grid\"><tr><th>#</th><th>pid</th><th>comm</th><th>service</th>"
	      "<th>cgroup</th><th>tier</th><th>would free</th><th>oom_score</th></tr>\n",
	      out);
	for (size_t i = 0; i < json_object_array_length(c); i++) {
		struct json_object *e = json_object_array_get_idx(c, i);

		fprintf(out, "<tr%s><td>%zu%s</td><td>%" PRId64 "</td><td>",
			ctl_json_bool(e, "chosen") ? " class=\"chosen\"" : "", i + 1,
			ctl_json_bool(e, "chosen") ? " (chosen)" : "", ctl_json_i64(e, "pid"));
		esc(out, ctl_json_str(e, "comm") ?: "?");
		fputs("</td><td>", out);
		esc(out, ctl_json_str(e, "service") ?: "-");
		fputs("</td><td><code>", out);
		esc(out, ctl_json_str(e, "cgroup") ?: "-");
		fputs("</code></td><td>", out);
		esc(out, ctl_json_str(e, "tier") ?: "?");
		fputs("</td><td>", out);
		fmt_bytes(out, ctl_json_i64(e, "free_bytes"));
		fprintf(out, "</td><td>%" PRId64 "</td></tr>\n", ctl_json_i64(e, "oom_score"));
	}
	fputs("</table></section>\n", out);
}

static void machine(FILE *out, struct json_object *r)
{
	struct json_object *m = ctl_json_get(r, "machine"), *a;

	fputs("<section id=\"machine\"><h2>The machine at the decision</h2>\n", out);
	if (!m) {
		fputs("<p>Not recorded.</p></section>\n", out);
		return;
	}
	fputs("<table class=\"kv\"><tr><th>Available</th><td>", out);
	fmt_bytes(out, ctl_json_i64(m, "available_bytes"));
	fputs(" of ", out);
	fmt_bytes(out, ctl_json_i64(m, "total_bytes"));
	fprintf(out, " (%s)</td></tr>\n<tr><th>Whole machine</th><td>",
		ctl_json_str(m, "measured_on") ?: "?");
	fmt_bytes(out, ctl_json_i64(m, "machine_available_bytes"));
	fputs(" of ", out);
	fmt_bytes(out, ctl_json_i64(m, "machine_total_bytes"));
	fputs("; swap free ", out);
	fmt_bytes(out, ctl_json_i64(m, "swap_free_bytes"));
	fputs(" of ", out);
	fmt_bytes(out, ctl_json_i64(m, "swap_total_bytes"));
	fputs("</td></tr>\n", out);
	if (ctl_json_get(m, "memory_pressure"))
		fprintf(out,
			"<tr><th>Memory PSI avg10</th><td>some %" PRId64 ".%02" PRId64
			"%%, full %" PRId64 ".%02" PRId64 "%%</td></tr>\n",
			ctl_json_i64(m, "memory_pressure.some_avg10_centi") / 100,
			ctl_json_i64(m, "memory_pressure.some_avg10_centi") % 100,
			ctl_json_i64(m, "memory_pressure.full_avg10_centi") / 100,
			ctl_json_i64(m, "memory_pressure.full_avg10_centi") % 100);
	a = ctl_json_get(m, "top_slab_caches");
	fputs("<tr><th>Largest slab caches</th><td>", out);
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		struct json_object *e = json_object_array_get_idx(a, i);

		esc(out, ctl_json_str(e, "name") ?: "?");
		fputc(' ', out);
		fmt_bytes(out, ctl_json_i64(e, "bytes"));
		fputs(ctl_json_bool(e, "reclaimable") ? " (reclaimable)" : "", out);
		fputs(i + 1 < json_object_array_length(a) ? ", " : "", out);
	}
	fputs(a ? "" : "not read in the kill zone", out);
	fputs("</td></tr>\n", out);
	a = ctl_json_get(m, "nodes");
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		struct json_object *e = json_object_array_get_idx(a, i);

		fprintf(out, "<tr><th>NUMA node %" PRId64 "</th><td>free ",
			ctl_json_i64(e, "node"));
		fmt_bytes(out, ctl_json_i64(e, "free_bytes"));
		fputs(" of ", out);
		fmt_bytes(out, ctl_json_i64(e, "total_bytes"));
		fputs("</td></tr>\n", out);
	}
	fputs("</table></section>\n", out);
}

/* `explain --json` output: one block per kernel report, its summary and causes. */
static void kernel(FILE *out, struct json_object *k, const char *why)
{
	struct json_object *reps = k ? ctl_json_get(k, "reports") : NULL;

	fputs("<section id=\"kernel\"><h2>The kernel's OOM reports of the same minutes</h2>\n",
	      out);
	if (!reps || !json_object_array_length(reps)) {
		fputs("<p>", out);
		esc(out, why ? why : "None in the kernel log around this report.");
		fputs("</p></section>\n", out);
		return;
	}
	fputs("<p class=\"small\">From ", out);
	esc(out, ctl_json_str(k, "source") ?: "the kernel log");
	fputs(", explained by <code>oomguardianctl explain</code>.</p>\n", out);
	for (size_t i = 0; i < json_object_array_length(reps); i++) {
		struct json_object *e = json_object_array_get_idx(reps, i), *c;

		fputs("<div class=\"kreport\"><h3>", out);
		esc(out, ctl_json_str(e, "time_utc") ?: ctl_json_str(e, "time") ?: "");
		fputs(" ", out);
		esc(out, ctl_json_str(e, "kind") ?: "report");
		if (ctl_json_str(e, "killed.comm")) {
			fprintf(out, ": killed pid %" PRId64 " ", ctl_json_i64(e, "killed.pid"));
			esc(out, ctl_json_str(e, "killed.comm"));
		}
		fputs("</h3><p>", out);
		esc(out, ctl_json_str(e, "summary") ?: "");
		fputs("</p>", out);
		c = ctl_json_get(e, "causes");
		if (c && json_object_array_length(c)) {
			fputs("<p>Causes: ", out);
			for (size_t j = 0; j < json_object_array_length(c); j++) {
				esc(out, json_object_get_string(json_object_array_get_idx(c, j)));
				fputs(j + 1 < json_object_array_length(c) ? ", " : "", out);
			}
			fputs("</p>", out);
		}
		fputs("</div>\n", out);
	}
	fputs("</section>\n", out);
}

int ctl_html_write(FILE *out, struct json_object *r, struct json_object *k, const char *why)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
	      "charset=\"utf-8\">\n<title>oomguardian: ",
	      out);
	esc(out, ctl_json_str(r, "action") ?: "report");
	fputs(" ", out);
	esc(out, ctl_json_str(r, "id") ?: "");
	fputs("</title>\n<style>\n"
	      "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em auto;max-width:1000px;"
	      "color:#222}\n"
	      "h1{font-size:1.4em;margin-bottom:.2em}h2{font-size:1.1em;border-bottom:1px solid "
	      "#ddd;margin-top:1.5em}\n"
	      ".sub{color:#666;margin-top:0}.small{font-size:.9em;color:#555}\n"
	      "table{border-collapse:collapse}.kv th{text-align:left;padding:2px 1em 2px 0;"
	      "vertical-align:top;white-space:nowrap}\n"
	      ".grid td,.grid th{border:1px solid #ddd;padding:3px 8px}.grid "
	      "th{background:#f3f3f3}\n"
	      "tr.chosen{background:#fdecea;font-weight:bold}code{font-size:.95em}\n"
	      ".kreport{border-left:3px solid #c0392b;padding-left:.8em}\n"
	      "</style></head><body>\n<h1>",
	      out);
	esc(out, ctl_json_str(r, "action") ?: "?");
	fputs(": ", out);
	esc(out, ctl_json_str(r, "result") ?: "?");
	if (ctl_json_get(r, "victim")) {
		fputs(" &mdash; ", out);
		esc(out, ctl_json_str(r, "victim.comm") ?: "?");
		fprintf(out, " (pid %" PRId64 ")", ctl_json_i64(r, "victim.pid"));
	}
	fputs("</h1>\n<p class=\"sub\">", out);
	esc(out, ctl_json_str(r, "time") ?: "?");
	fputs(" on ", out);
	esc(out, ctl_json_str(r, "host") ?: "?");
	fputs(ctl_json_bool(r, "dry_run") ? " &middot; dry-run" : "", out);
	fputs(" &middot; report ", out);
	esc(out, ctl_json_str(r, "id") ?: "?");
	fputs("</p>\n<section id=\"timeline\"><h2>Timeline</h2>\n", out);
	plot(out, r);
	fputs("</section>\n", out);
	decision(out, r);
	candidates(out, r);
	machine(out, r);
	if (k || why)
		kernel(out, k, why);
	fputs("<p class=\"small\">Written by oomguardianctl " PACKAGE_VERSION
	      " from the daemon's report file.</p>\n</body></html>\n",
	      out);
	return ferror(out) ? -EIO : 0;
}
