/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The flight recorder's ring (see recorder.h). */
#include <string.h>

#include "guardian/loop/recorder.h"
#include "policy/util/strutil.h"

void loop_recorder_init(struct loop_recorder *fr)
{
	/* Not zeroes, which the compiler may turn into an untouched calloc: touch every page. */
	memset(fr, 0x5a, sizeof(*fr));
	fr->n = fr->next = fr->nnames = 0;
	fr->nsamples = 0;
	fr->last_snap_usec = 0;
	fr->ntracked = 0;
}

const struct loop_fr_sample *loop_recorder_at(const struct loop_recorder *fr, size_t i)
{
	size_t first = fr->n < LOOP_FR_SAMPLES ? 0 : fr->next;

	return &fr->s[(first + i) % LOOP_FR_SAMPLES];
}

/* A service as the report names it: the unit when the cgroup path ends in one, else the path. */
static const char *service_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *last = slash ? slash + 1 : path;
	size_t n = strlen(last);

	if ((n > 8 && strcmp(last + n - 8, ".service") == 0) ||
	    (n > 6 && strcmp(last + n - 6, ".scope") == 0))
		return last;
	return path;
}

static bool is_service(const struct og_cgroup *cg)
{
	const char *slash = strrchr(cg->path, '/');
	const char *last = slash ? slash + 1 : cg->path;
	size_t n = strlen(last);

	if (!cg->has_memory || strcmp(cg->path, "/") == 0)
		return false;
	/* services, scopes and groups outside systemd's tree; slices only sum their children */
	return !(n > 6 && strcmp(last + n - 6, ".slice") == 0);
}

static uint16_t name_index(struct loop_recorder *fr, const char *name)
{
	size_t victim = 0;

	for (size_t i = 0; i < fr->nnames; i++) {
		if (strcmp(fr->names[i], name) == 0) {
			fr->name_seen[i] = fr->nsamples;
			return (uint16_t)i;
		}
		if (fr->name_seen[i] < fr->name_seen[victim])
			victim = i;
	}
	if (fr->nnames < LOOP_FR_NAMES) {
		victim = fr->nnames++;
	} else { /* the least recently seen name goes: samples naming it lose that entry */
		for (size_t i = 0; i < fr->n; i++) {
			struct loop_fr_sample *s = &fr->s[i];
			uint8_t k = 0;

			for (uint8_t j = 0; j < s->nsvc; j++)
				if (s->svc[j].name != victim)
					s->svc[k++] = s->svc[j];
			s->nsvc = k;
		}
	}
	og_strscpy(fr->names[victim], name, LOOP_FR_NAME_MAX);
	fr->name_seen[victim] = fr->nsamples;
	return (uint16_t)victim;
}

static void add_services(struct loop_recorder *fr, struct loop_fr_sample *s,
			 const struct og_snapshot *snap)
{
	size_t best[LOOP_FR_TOP];
	size_t nb = 0;

	for (size_t i = 0; i < snap->ncgroups; i++) {
		const struct og_cgroup *cg = &snap->cgroups[i];
		size_t j;

		if (!is_service(cg) || cg->current_bytes == 0)
			continue;
		if (nb == LOOP_FR_TOP &&
		    cg->current_bytes <= snap->cgroups[best[nb - 1]].current_bytes)
			continue;
		j = nb < LOOP_FR_TOP ? nb++ : nb - 1;
		for (; j > 0 && snap->cgroups[best[j - 1]].current_bytes < cg->current_bytes; j--)
			best[j] = best[j - 1];
		best[j] = i;
	}
	for (size_t i = 0; i < nb; i++) {
		s->svc[i].name = name_index(fr, service_name(snap->cgroups[best[i]].path));
		s->svc[i].bytes = snap->cgroups[best[i]].current_bytes;
		og_strscpy(fr->tracked[i], snap->cgroups[best[i]].path, sizeof(fr->tracked[i]));
	}
	s->nsvc = (uint8_t)nb;
	if (nb) /* a processes-only snapshot (the protection rescan) has no cgroups */
		fr->ntracked = nb;
}

void loop_recorder_add(struct loop_recorder *fr, uint64_t now_realtime_usec, uint64_t now_mono_usec,
		       uint64_t avail_bytes, uint64_t total_bytes, const struct og_psi *psi,
		       int stage, const struct og_snapshot *snap)
{
	struct loop_fr_sample *s = &fr->s[fr->next];

	memset(s, 0, sizeof(*s));
	s->time_usec = now_realtime_usec;
	s->avail_bytes = avail_bytes;
	s->total_bytes = total_bytes;
	s->stage = (uint8_t)stage;
	if (psi && psi->has_some) {
		s->has_psi = true;
		s->psi_some_centi = psi->some.avg10_centi;
		s->psi_full_centi = psi->has_full ? psi->full.avg10_centi : 0;
	}
	fr->nsamples++;
	fr->next = (fr->next + 1) % LOOP_FR_SAMPLES;
	if (fr->n < LOOP_FR_SAMPLES)
		fr->n++;
	if (snap && snap->now_usec && now_mono_usec >= snap->now_usec &&
	    now_mono_usec - snap->now_usec <= LOOP_FR_SNAP_FRESH_USEC) {
		add_services(fr, s, snap);
		fr->last_snap_usec = snap->now_usec;
	}
}

void loop_recorder_add_service(struct loop_recorder *fr, const char *path, uint64_t bytes)
{
	struct loop_fr_sample *s;

	if (!fr->n)
		return;
	s = &fr->s[(fr->next + LOOP_FR_SAMPLES - 1) % LOOP_FR_SAMPLES];
	if (s->nsvc == LOOP_FR_TOP)
		return;
	s->svc[s->nsvc].name = name_index(fr, service_name(path));
	s->svc[s->nsvc].bytes = bytes;
	s->nsvc++;
}
