/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Matching processes against [Match] sections. See pol_match.h for the rules. */
#include <fnmatch.h>
#include <regex.h>
#include <string.h>

#include "policy/engine/pol_match.h"

static bool strv_any_eq(const struct pol_strv *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->v[i] && strcmp(v->v[i], s) == 0)
			return true;
	return false;
}

/* No FNM_PATHNAME: "/system.slice/\*" should match nested cgroups too, like a prefix. */
static bool strv_any_glob(const struct pol_strv *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->v[i] && fnmatch(v->v[i], s, 0) == 0)
			return true;
	return false;
}

bool pol_match_is_empty(const struct pol_match *m)
{
	return !m->all && m->name.n == 0 && m->exe.n == 0 && m->unit.n == 0 && m->cgroup.n == 0 &&
	       m->cmdline_src.n == 0 && m->nuids == 0;
}

static bool match_cmdline(const struct pol_match *m, const char *cmdline)
{
	if (!m->cmdline)
		return false; /* sources without compiled regexes: cannot match, never guess */
	for (size_t i = 0; i < m->cmdline_src.n; i++)
		if (regexec(&m->cmdline[i], cmdline, 0, NULL, 0) == 0)
			return true;
	return false;
}

static bool match_uid(const struct pol_match *m, uid_t uid)
{
	for (size_t i = 0; i < m->nuids; i++)
		if (m->uids[i] == uid)
			return true;
	return false;
}

bool pol_match_proc(const struct pol_match *m, const struct og_proc *p)
{
	return pol_match_keys(m, p) && !pol_match_is_child(m, p);
}

bool pol_match_is_child(const struct pol_match *m, const struct og_proc *p)
{
	return m && p && m->no_children && p->parent_exe == OG_PARENT_SAME;
}

bool pol_match_keys(const struct pol_match *m, const struct og_proc *p)
{
	if (!m || !p || pol_match_is_empty(m))
		return false;
	if (m->all)
		return true; /* All=yes: cfg rejects other keys beside it */
	if (m->name.n && !strv_any_eq(&m->name, p->comm))
		return false;
	/* An unreadable exe ("") or a process outside any unit never matches a glob on it. */
	if (m->exe.n && (!p->exe[0] || !strv_any_glob(&m->exe, p->exe)))
		return false;
	if (m->unit.n && (!p->unit[0] || !strv_any_glob(&m->unit, p->unit)))
		return false;
	if (m->cgroup.n && !((p->cgroup[0] && strv_any_glob(&m->cgroup, p->cgroup)) ||
			     (p->memcg_v1[0] && strv_any_glob(&m->cgroup, p->memcg_v1))))
		return false;
	if (m->cmdline_src.n && !match_cmdline(m, p->cmdline))
		return false;
	if (m->nuids && !match_uid(m, p->uid))
		return false;
	return true;
}

/* procs sorted by pid (as /proc lists them)? Then the parent is found by bisection. */
static const struct og_proc *find_pid(const struct og_proc *procs, size_t n, bool sorted, pid_t pid)
{
	size_t lo = 0, hi = n;

	if (!sorted) {
		for (size_t i = 0; i < n; i++)
			if (procs[i].pid == pid)
				return &procs[i];
		return NULL;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (procs[mid].pid == pid)
			return &procs[mid];
		if (procs[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

enum og_parent_exe pol_parent_exe(const struct og_proc *p, const struct og_proc *parent)
{
	if (!parent || parent->pid != p->ppid || p->ppid <= 0)
		return OG_PARENT_UNKNOWN;
	if (!p->exe[0] || !parent->exe[0] || strcmp(p->exe, parent->exe) != 0)
		return OG_PARENT_OTHER;
	return OG_PARENT_SAME;
}

void pol_note_parents(struct og_proc *procs, size_t n)
{
	bool sorted = true;

	for (size_t i = 1; i < n && sorted; i++)
		sorted = procs[i - 1].pid < procs[i].pid;
	for (size_t i = 0; i < n; i++)
		procs[i].parent_exe =
			pol_parent_exe(&procs[i], find_pid(procs, n, sorted, procs[i].ppid));
}

const struct pol_service *pol_service_for(const struct pol_rules *r, const struct og_proc *p)
{
	if (!r || !p)
		return NULL;
	/* Last match wins (systemd drop-in order): walk backwards, stop at the first hit. */
	for (size_t i = r->nservices; i > 0; i--)
		if (pol_match_proc(&r->services[i - 1].match, p))
			return &r->services[i - 1];
	return NULL;
}

void pol_policy_for(const struct pol_rules *r, const struct og_proc *p, struct pol_proc_policy *ret)
{
	struct pol_proc_policy pp = {.kill_pref = POL_KP_DEFAULT, .kill_unit = POL_KU_PROCESS};

	for (size_t i = 0; r && p && i < r->nservices; i++) {
		const struct pol_service *svc = &r->services[i];

		if (!pol_match_proc(&svc->match, p))
			continue;
		pp.svc = svc;
		if (svc->has_oom_score_adj)
			pp.oom_score_adj_by = svc;
		if (svc->protect && !pp.protect) {
			pp.protect = true;
			pp.protect_by = svc;
		}
	}
	if (pp.svc) {
		pp.kill_pref = pp.svc->kill_pref;
		pp.kill_unit = pp.svc->kill_unit;
	}
	/* systemd's ManagedOOMPreference= (pol_match.h): omit is sticky like Protect=yes, avoid
	 * applies where no matching file sets KillPreference= itself. */
	if (p && !pp.protect && p->oomd_pref == OG_OOMD_OMIT) {
		pp.kill_pref = POL_KP_NEVER;
		pp.pref_from_oomd = true;
	} else if (p && p->oomd_pref == OG_OOMD_AVOID && pp.kill_pref == POL_KP_DEFAULT) {
		pp.kill_pref = POL_KP_AVOID;
		pp.pref_from_oomd = true;
	}
	if (pp.protect)
		pp.kill_pref = POL_KP_NEVER;
	*ret = pp;
}

size_t pol_service_index(const struct pol_rules *r, const struct pol_service *svc)
{
	if (!r || !svc || svc < r->services || svc >= r->services + r->nservices)
		return (size_t)-1;
	return (size_t)(svc - r->services);
}
