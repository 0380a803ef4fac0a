/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The effective configuration as normalised INI (`oomguardianctl check`). Every value is printed
 * exactly (no rounding: "1536M", not "1.5G") so that the output parses back to the same rules;
 * tests/unit/check_cfg.c holds the round trip.
 */
#include <errno.h>
#include <string.h>

#include "policy/config/cfg_int.h"

static const char *yesno(bool b)
{
	return b ? "yes" : "no";
}

static void put_psi(FILE *out, const char *key, const struct pol_psi_limit *l, bool kind)
{
	char p[16], d[32];

	if (!l->set) {
		fprintf(out, "%s=\n", key);
		return;
	}
	fprintf(out, "%s=%s%s %s\n", key, kind ? (l->full ? "full " : "some ") : "",
		cfg_fmt_percent(p, sizeof(p), l->limit_centi),
		cfg_fmt_duration(d, sizeof(d), l->duration_usec));
}

static const char *const stage_names[POL_STAGE__MAX] = {
	[POL_STAGE_RECLAIM] = "Reclaim",
	[POL_STAGE_THROTTLE] = "Throttle",
	[POL_STAGE_TERMINATE] = "Terminate",
	[POL_STAGE_KILL] = "Kill",
};

int cfg_format_config(const struct pol_config *cfg, FILE *out)
{
	char b[64];

	fprintf(out, "[Guardian]\nScope=%s\n", cfg->scope[0] ? cfg->scope : "/");
	fprintf(out, "DryRun=%s\n", yesno(cfg->dry_run));
	fprintf(out, "HoldOffSec=%s\n", cfg_fmt_duration(b, sizeof(b), cfg->holdoff_usec));
	fprintf(out, "KillTimeoutSec=%s\n", cfg_fmt_duration(b, sizeof(b), cfg->kill_timeout_usec));
	fprintf(out, "TermGraceSec=%s\n",
		cfg_fmt_duration(b, sizeof(b), cfg->default_term_grace_usec));
	fprintf(out, "Hysteresis=%s\n", cfg_fmt_percent(b, sizeof(b), cfg->hysteresis_permyriad));
	fprintf(out, "NUMARebalance=%s\n", yesno(cfg->numa_rebalance));
	fprintf(out, "MachineWideReclaim=%s\n", yesno(cfg->machine_wide_reclaim));
	fprintf(out, "ReportDirectory=%s\n", cfg->report_dir);
	if (cfg->exec_after_action[0])
		fprintf(out, "ExecAfterAction=%s\nExecAfterActionTimeoutSec=%s\n",
			cfg->exec_after_action,
			cfg_fmt_duration(b, sizeof(b), cfg->exec_after_action_timeout_usec));
	fprintf(out, "ReportMaxFiles=%d\n", cfg->report_max_files);
	fprintf(out, "MetricsFile=%s\n", cfg->metrics_file);
	fprintf(out, "MetricsSocket=%s\n", cfg->metrics_socket);
	fprintf(out, "ReportMaxAgeSec=%s\n",
		cfg_fmt_duration(b, sizeof(b), cfg->report_max_age_usec));

	for (int s = POL_STAGE_RECLAIM; s < POL_STAGE__MAX; s++) {
		const struct pol_threshold *t = &cfg->stage[s];

		fputc('\n', out);
		if (t->origin.path[0])
			fprintf(out, "# from %s:%u\n", t->origin.path, t->origin.line);
		else
			fputs("# built-in default\n", out);
		fprintf(out, "[%s]\n", stage_names[s]);
		if (!t->mem_avail_permyriad && !t->mem_avail_bytes)
			fputs("MemoryAvailableBelow=\n", out);
		if (t->mem_avail_permyriad)
			fprintf(out, "MemoryAvailableBelow=%s\n",
				cfg_fmt_percent(b, sizeof(b), t->mem_avail_permyriad));
		if (t->mem_avail_bytes)
			fprintf(out, "MemoryAvailableBelow=%s\n",
				cfg_fmt_size(b, sizeof(b), t->mem_avail_bytes));
		if (t->swap_free_permyriad)
			fprintf(out, "SwapFreeBelow=%s\n",
				cfg_fmt_percent(b, sizeof(b), t->swap_free_permyriad));
		else
			fputs("SwapFreeBelow=\n", out);
		put_psi(out, "PressureSomeAbove", &t->psi_some, false);
		put_psi(out, "PressureFullAbove", &t->psi_full, false);
	}
	return ferror(out) ? -EIO : 0;
}

static void put_list(FILE *out, const char *key, const struct pol_strv *l, const char *prefix)
{
	for (size_t i = 0; i < l->n; i++)
		fprintf(out, "%s=%s%s\n", key, prefix, l->v[i]);
}

int cfg_format_service(const struct pol_service *s, FILE *out)
{
	const struct pol_match *m = &s->match;
	bool killable = !s->protect && s->kill_pref != POL_KP_NEVER;
	char b[64];

	fputs("[Match]\n", out);
	if (m->all)
		fputs("All=yes\n", out);
	put_list(out, "Name", &m->name, "");
	put_list(out, "Exe", &m->exe, "");
	put_list(out, "Cmdline", &m->cmdline_src, "~");
	put_list(out, "Unit", &m->unit, "");
	put_list(out, "Cgroup", &m->cgroup, "");
	for (size_t i = 0; i < m->nuids; i++)
		fprintf(out, "User=%u\n", (unsigned)m->uids[i]);
	if (m->no_children)
		fputs("Children=no\n", out);

	fputs("\n[Policy]\n", out);
	fprintf(out, "Protect=%s\n", yesno(s->protect));
	if (s->has_oom_score_adj)
		fprintf(out, "OOMScoreAdjust=%d\n", s->oom_score_adj);
	if (!s->protect || s->kill_pref != POL_KP_DEFAULT)
		fprintf(out, "KillPreference=%s\n",
			cfg_enum_name(cfg_kill_pref_names, (int)s->kill_pref));
	if (killable) {
		fprintf(out, "KillUnit=%s\n",
			cfg_enum_name(cfg_kill_unit_names, (int)s->kill_unit));
		fprintf(out, "TermGraceSec=%s\n",
			cfg_fmt_duration(b, sizeof(b), s->term_grace_usec));
	}
	if (!s->protect) {
		fprintf(out, "Throttle=%s\n", yesno(s->throttle));
		fprintf(out, "NUMA=%s\n", yesno(s->numa));
	}
	if (s->budget_bytes && !s->budget_permyriad)
		fprintf(out, "MemoryBudget=%s\n", cfg_fmt_size(b, sizeof(b), s->budget_bytes));
	if (s->budget_permyriad)
		fprintf(out, "MemoryBudget=%s\n",
			cfg_fmt_percent(b, sizeof(b), s->budget_permyriad));
	if (s->pressure_limit.set)
		put_psi(out, "PressureLimit", &s->pressure_limit, true);
	if (s->budget_bytes || s->budget_permyriad || s->pressure_limit.set)
		fprintf(out, "OnBudget=%s\n",
			cfg_enum_name(cfg_on_budget_names, (int)s->on_budget));
	return ferror(out) ? -EIO : 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

int cfg_format_rules(const struct pol_rules *r, FILE *out)
{
	const char *conf = r->nfiles && ends_with(r->files[0], ".conf") ? r->files[0] : NULL;
	int ret;

	fputs("# oomguardian: effective configuration\n", out);
	fprintf(out, "# main config from %s\n", conf ? conf : "built-in defaults");
	ret = cfg_format_config(&r->cfg, out);
	for (size_t i = 0; i < r->nservices && ret >= 0; i++) {
		fprintf(out, "\n# policy %s from %s\n", r->services[i].name,
			r->services[i].origin.path);
		ret = cfg_format_service(&r->services[i], out);
	}
	return ret < 0 || ferror(out) ? -EIO : 0;
}
