/* SPDX-License-Identifier: GPL-2.0-or-later */
/* oomguardian.conf: [Guardian] and the ladder [Reclaim] [Throttle] [Terminate] [Kill]. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/config/cfg_int.h"
#include "policy/util/cleanup.h"
#include "policy/util/strutil.h"

#ifndef OG_STATEDIR
#define OG_STATEDIR "/var/lib/oomguardian"
#endif

#define SEC(s) ((int64_t)(s)*1000000)

/* Indexed like enum pol_stage: [0] is [Guardian]. */
static const char *const conf_sections[] = {
	"Guardian", "Reclaim", "Throttle", "Terminate", "Kill", NULL,
};

void cfg_config_defaults(struct pol_config *ret)
{
	struct pol_config c = {0};
	struct pol_threshold *t = c.stage;

	/*
	 * The ladder. Healthy machines, even ones full of page cache, keep MemAvailable well above
	 * 15% and memory PSI near 0; the stages below only fire when memory is really short.
	 * earlyoom's defaults are SIGTERM below 10% available (and 10% swap free), SIGKILL at half
	 * of that; we have two gentler rungs in front and keep its kill point (halved once more,
	 * to 2.5%, because terminate now sits at 5% and already frees most of the leaker).
	 */
	/* Reclaim (drop caches, compact, memory.reclaim): cheap and reversible, so early. */
	t[POL_STAGE_RECLAIM].mem_avail_permyriad = 1500;
	/* some>40% over 10 s: tasks are stalling on memory a large share of the time. */
	t[POL_STAGE_RECLAIM].psi_some =
		(struct pol_psi_limit){.set = true, .limit_centi = 4000, .duration_usec = SEC(10)};
	/* Throttle (memory.high on the growing service): earlyoom's first line, 10%. */
	t[POL_STAGE_THROTTLE].mem_avail_permyriad = 1000;
	t[POL_STAGE_THROTTLE].psi_some =
		(struct pol_psi_limit){.set = true, .limit_centi = 6000, .duration_usec = SEC(10)};
	t[POL_STAGE_THROTTLE].psi_full = (struct pol_psi_limit){
		.set = true, .full = true, .limit_centi = 2000, .duration_usec = SEC(10)};
	/*
	 * Terminate (SIGTERM, grace, SIGKILL): 5% available and swap nearly gone (swap free is
	 * ignored on machines without swap), or everything stalled 40% of the last 10 s.
	 */
	t[POL_STAGE_TERMINATE].mem_avail_permyriad = 500;
	t[POL_STAGE_TERMINATE].swap_free_permyriad = 1000;
	t[POL_STAGE_TERMINATE].psi_full = (struct pol_psi_limit){
		.set = true, .full = true, .limit_centi = 4000, .duration_usec = SEC(10)};
	/*
	 * Kill (SIGKILL + process_mrelease at once): the kernel OOM killer is close. PSI window
	 * 6 s, not earlyoom's 5: PSI trigger windows must be multiples of 2 s on some kernels.
	 */
	t[POL_STAGE_KILL].mem_avail_permyriad = 250;
	t[POL_STAGE_KILL].swap_free_permyriad = 500;
	t[POL_STAGE_KILL].psi_full = (struct pol_psi_limit){
		.set = true, .full = true, .limit_centi = 8000, .duration_usec = SEC(6)};

	/* avg10 takes ~10 s to show the relief of an action: wait that long before the next. */
	c.holdoff_usec = SEC(10);
	/* A SIGKILLed task with its memory reaped by process_mrelease is gone in well under 1 s;
	 * 10 s covers a task stuck in D state on slow storage before we pick another. */
	c.kill_timeout_usec = SEC(10);
	/* Long enough to flush a log or a journal, short enough to beat the kernel OOM killer. */
	c.default_term_grace_usec = SEC(5);
	/* A stage clears 2 percentage points above its threshold: no flapping at the edge. */
	c.hysteresis_permyriad = 200;
	og_strscpy(c.report_dir, OG_STATEDIR "/reports", sizeof(c.report_dir));
	c.exec_after_action_timeout_usec = SEC(10); /* a notification, not a job */
	/* Retention: a report is 10-60 KiB (the flight recorder is most of it); 1000 of them are
	 * at most ~60 MiB, and a month covers the incident reviews they are for. */
	c.report_max_files = 1000;
	c.report_max_age_usec = SEC(30 * 24 * 3600);
	*ret = c;
}

static int parse_mem_avail(struct cfg_ctx *c, const struct cfg_key *k, const char *v, void *field)
{
	struct pol_threshold *t =
		(void *)((char *)field - offsetof(struct pol_threshold, mem_avail_permyriad));
	char lo[16], hi[16];
	uint64_t bytes;
	uint32_t p;

	/* The first assignment in a file replaces the default; more add (one % and one size). */
	if (v[0] == '\0' || !cfg_key_line(c, k->section, k->key)) {
		t->mem_avail_permyriad = 0;
		t->mem_avail_bytes = 0;
	}
	if (v[0] == '\0')
		return 0;
	if (strchr(v, '%')) {
		if (og_parse_percent(v, &p) < 0 || p < k->min || p > k->max)
			return cfg_err(c, k->key, "expected a percentage %s-%s or a size, got '%s'",
				       cfg_fmt_percent(lo, sizeof(lo), (uint64_t)k->min),
				       cfg_fmt_percent(hi, sizeof(hi), (uint64_t)k->max), v);
		t->mem_avail_permyriad = p;
		return 0;
	}
	if (og_parse_size(v, &bytes) < 0 || bytes == 0)
		return cfg_err(c, k->key, "expected a percentage or a size like '512M', got '%s'",
			       v);
	t->mem_avail_bytes = bytes;
	return 0;
}

/* A cgroup path: absolute, no "." or ".." components, no empty ones but a trailing '/'. */
static bool cgroup_path_ok(const char *v)
{
	for (const char *p = v; *p;) {
		size_t n;

		p++; /* the '/' */
		n = strcspn(p, "/");
		if ((n == 0 && p[0] == '/') || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
	}
	return true;
}

int cfg_scope_normalize(const char *v, char *buf, size_t size)
{
	char tmp[OG_CGROUP_PATH_MAX];
	size_t n;

	if (v[0] != '/' || !cgroup_path_ok(v))
		return -EINVAL;
	n = og_strscpy(tmp, v, sizeof(tmp));
	if (n != strlen(v) || n >= size)
		return -ENAMETOOLONG;
	while (n > 0 && tmp[n - 1] == '/')
		tmp[--n] = '\0'; /* "/" is the whole machine: "" */
	og_strscpy(buf, tmp, size);
	return 0;
}

static int parse_scope(struct cfg_ctx *c, const struct cfg_key *k, const char *v, void *field)
{
	int r = cfg_scope_normalize(v, field, k->size);

	if (r == -ENAMETOOLONG)
		return cfg_err(c, k->key, "cgroup path longer than %zu bytes", k->size - 1);
	if (r < 0)
		return cfg_err(c, k->key, "expected a cgroup path like '/machine.slice', got '%s'",
			       v);
	return 0;
}

static int parse_hysteresis(struct cfg_ctx *c, const struct cfg_key *k, const char *v, void *field)
{
	uint32_t p;
	int r = cfg_parse_percent(c, k, v, &p);

	if (r >= 0)
		*(uint64_t *)field = p;
	return r;
}

#define G(name, fn, member, lo, hi, fl) \
	CFG_KEY("Guardian", name, fn, struct pol_config, member, lo, hi, fl, NULL)
#define STAGE_KEYS(sec)                                                                          \
	CFG_KEY(sec, "MemoryAvailableBelow", parse_mem_avail, struct pol_threshold,              \
		mem_avail_permyriad, 1, 5000, CFG_F_EMPTY | CFG_F_MULTI, NULL),                  \
		CFG_KEY(sec, "SwapFreeBelow", cfg_parse_percent, struct pol_threshold,           \
			swap_free_permyriad, 1, 10000, CFG_F_EMPTY, NULL),                       \
		CFG_KEY(sec, "PressureSomeAbove", cfg_parse_psi, struct pol_threshold, psi_some, \
			0, 0, CFG_F_EMPTY, NULL),                                                \
		CFG_KEY(sec, "PressureFullAbove", cfg_parse_psi, struct pol_threshold, psi_full, \
			0, 0, CFG_F_FULL | CFG_F_EMPTY, NULL)

static const struct cfg_key conf_keys[] = {
	G("Scope", parse_scope, scope, 0, 0, 0),
	G("DryRun", cfg_parse_bool, dry_run, 0, 0, 0),
	G("HoldOffSec", cfg_parse_duration, holdoff_usec, 0, SEC(600), 0),
	G("KillTimeoutSec", cfg_parse_duration, kill_timeout_usec, SEC(1), SEC(600), 0),
	G("TermGraceSec", cfg_parse_duration, default_term_grace_usec, 0, SEC(600), 0),
	G("Hysteresis", parse_hysteresis, hysteresis_permyriad, 0, 5000, 0),
	G("NUMARebalance", cfg_parse_bool, numa_rebalance, 0, 0, 0),
	G("MachineWideReclaim", cfg_parse_bool, machine_wide_reclaim, 0, 0, 0),
	G("ReportDirectory", cfg_parse_path, report_dir, 0, 0, CFG_F_ABS),
	G("ExecAfterAction", cfg_parse_path, exec_after_action, 0, 0, CFG_F_ABS),
	G("ExecAfterActionTimeoutSec", cfg_parse_duration, exec_after_action_timeout_usec, SEC(1),
	  SEC(3600), 0),
	G("ReportMaxFiles", cfg_parse_int, report_max_files, 0, 1000000, 0),
	G("MetricsFile", cfg_parse_path, metrics_file, 0, 0, CFG_F_ABS),
	G("MetricsSocket", cfg_parse_path, metrics_socket, 0, 0, CFG_F_ABS),
	G("ReportMaxAgeSec", cfg_parse_duration, report_max_age_usec, 0, SEC(3650LL * 24 * 3600),
	  0),
	STAGE_KEYS("Reclaim"),
	STAGE_KEYS("Throttle"),
	STAGE_KEYS("Terminate"),
	STAGE_KEYS("Kill"),
};

static void *conf_base(struct cfg_ctx *c, const char *section, int want_default)
{
	struct pol_config *cfg = (struct pol_config *)(want_default ? c->defaults : c->obj);
	int i = cfg_section_index(c, section);

	return i <= 0 ? (void *)cfg : (void *)&cfg->stage[i];
}

/* Line of the later stage's key if set in this file, else the earlier one's. */
static unsigned pair_line(struct cfg_ctx *c, int a, int b, const char *key)
{
	unsigned l = cfg_key_line(c, conf_sections[b], key);

	return l ? l : cfg_key_line(c, conf_sections[a], key);
}

/*
 * Later stages fire at LOWER available memory / swap free and HIGHER pressure. Each stage is
 * compared with the nearest earlier stage that sets the same metric (one error per mistake).
 */
static void check_ladder(struct cfg_ctx *c, const struct pol_config *cfg)
{
	static const struct {
		const char *key;
		size_t offset;
		bool bytes, psi, rising;
	} m[] = {
		{.key = "MemoryAvailableBelow",
		 .offset = offsetof(struct pol_threshold, mem_avail_permyriad)},
		{.key = "MemoryAvailableBelow",
		 .offset = offsetof(struct pol_threshold, mem_avail_bytes),
		 .bytes = true},
		{.key = "SwapFreeBelow",
		 .offset = offsetof(struct pol_threshold, swap_free_permyriad)},
		{.key = "PressureSomeAbove",
		 .offset = offsetof(struct pol_threshold, psi_some),
		 .psi = true,
		 .rising = true},
		{.key = "PressureFullAbove",
		 .offset = offsetof(struct pol_threshold, psi_full),
		 .psi = true,
		 .rising = true},
	};

	for (size_t i = 0; i < OG_ELEMENTSOF(m); i++) {
		int prev = 0;
		uint64_t pv = 0;

		for (int s = POL_STAGE_RECLAIM; s < POL_STAGE__MAX; s++) {
			const char *f = (const char *)&cfg->stage[s] + m[i].offset;
			char a[32], b[32];
			uint64_t v;

			if (m[i].psi) {
				const struct pol_psi_limit *l = (const void *)f;

				v = l->set ? l->limit_centi : 0;
			} else {
				v = m[i].bytes ? *(const uint64_t *)f : *(const uint32_t *)f;
			}
			if (!v)
				continue;
			if (prev && (m[i].rising ? v < pv : v > pv)) {
				if (m[i].bytes) {
					cfg_fmt_size(a, sizeof(a), v);
					cfg_fmt_size(b, sizeof(b), pv);
				} else {
					cfg_fmt_percent(a, sizeof(a), v);
					cfg_fmt_percent(b, sizeof(b), pv);
				}
				cfg_err_at(
					c, pair_line(c, prev, s, m[i].key), m[i].key,
					"[%s] %s must not be %s [%s] %s: later stages fire at %s",
					conf_sections[s], a, m[i].rising ? "below" : "above",
					conf_sections[prev], b,
					m[i].rising ? "higher pressure" : "lower free memory");
			}
			prev = s;
			pv = v;
		}
	}
}

/*
 * SwapFreeBelow= only narrows MemoryAvailableBelow=. Point at SwapFreeBelow= if this file sets
 * it, else at the line that cleared MemoryAvailableBelow= (the swap limit is the default then).
 */
static void warn_swap_alone(struct cfg_ctx *c, int s, const struct pol_threshold *t)
{
	unsigned l = cfg_key_line(c, conf_sections[s], "SwapFreeBelow");
	int i = cfg_key_index(c, conf_sections[s], "MemoryAvailableBelow");
	char p[16];

	if (l) {
		cfg_warn_at(c, l, "SwapFreeBelow",
			    "has no effect without MemoryAvailableBelow= in [%s]",
			    conf_sections[s]);
		return;
	}
	l = i >= 0 && c->key_last[i] ? c->key_last[i] : c->section_line[s];
	cfg_warn_at(c, l, "MemoryAvailableBelow",
		    "cleared: the default SwapFreeBelow=%s of [%s] has no effect without it; "
		    "clear SwapFreeBelow= too",
		    cfg_fmt_percent(p, sizeof(p), t->swap_free_permyriad), conf_sections[s]);
}

static void check_guardian(struct cfg_ctx *c, const struct pol_config *cfg)
{
	unsigned l = cfg_key_line(c, "Guardian", "HoldOffSec");

	if (l && cfg->holdoff_usec < SEC(2))
		cfg_warn_at(c, l, "HoldOffSec",
			    "below 2s: PSI lags ~2 s, one event may be acted on twice");
	for (int s = POL_STAGE_RECLAIM; s < POL_STAGE__MAX; s++) {
		const struct pol_threshold *t = &cfg->stage[s];
		unsigned h = s < CFG_SECTIONS_MAX ? c->section_line[s] : 0;

		if (h && !t->mem_avail_permyriad && !t->mem_avail_bytes && !t->psi_some.set &&
		    !t->psi_full.set)
			cfg_warn_at(c, h, "", "[%s] has no trigger left: the stage never fires",
				    conf_sections[s]);
		if (h && t->swap_free_permyriad && !t->mem_avail_permyriad && !t->mem_avail_bytes)
			warn_swap_alone(c, s, t);
	}
}

/* Whether any key of stage section s was assigned in this file (a reset counts). */
static bool section_changed(const struct cfg_ctx *c, int s)
{
	return c->section_line[s] && c->any_key[s];
}

int cfg_parse_conf_buf(const char *path, const char *buf, size_t len, struct pol_config *cfg,
		       struct cfg_diag *diag)
{
	unsigned key_line[OG_ELEMENTSOF(conf_keys)] = {0}, key_last[OG_ELEMENTSOF(conf_keys)] = {0};
	struct pol_config work = *cfg, defaults = *cfg;
	struct cfg_ctx c = {
		.path = path,
		.diag = diag,
		.sections = conf_sections,
		.keys = conf_keys,
		.nkeys = OG_ELEMENTSOF(conf_keys),
		.key_line = key_line,
		.key_last = key_last,
		.base = conf_base,
		.obj = &work,
		.defaults = &defaults,
	};

	cfg_ini_parse(&c, buf, len);
	check_ladder(&c, &work);
	check_guardian(&c, &work);
	if (c.nerrors)
		return -EINVAL;
	for (int s = POL_STAGE_RECLAIM; s < POL_STAGE__MAX; s++) {
		if (!section_changed(&c, s))
			continue; /* only comments (the shipped file): still the built-in default */
		og_strscpy(work.stage[s].origin.path, path, sizeof(work.stage[s].origin.path));
		work.stage[s].origin.line = c.section_line[s];
	}
	*cfg = work;
	return 0;
}
