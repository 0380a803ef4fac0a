/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The flight recorder: the last LOOP_FR_SAMPLES seconds of available memory, memory PSI, the
 * stage and the largest services, in a ring allocated (and touched) once. Sampled once a
 * second from a timer of its own (one pread of the PSI file; available memory is the fast
 * poll's last read). Services come from the loop's snapshot while it is fresh (near or in a
 * stage, when the loop takes them anyway); between snapshots the services the last one found
 * largest are read directly every LOOP_FR_SVC_EVERY samples (one usage file each).
 * Written with every report (report_json.c).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "policy/model.h"

#define LOOP_FR_SAMPLES 300 /* five minutes at one sample a second */
#define LOOP_FR_PERIOD_USEC 1000000ULL
#define LOOP_FR_TOP 6 /* services per sample */
#define LOOP_FR_NAMES 48 /* distinct service names in the ring (least recently seen replaced) */
#define LOOP_FR_NAME_MAX 96
#define LOOP_FR_SNAP_FRESH_USEC 3000000ULL /* a snapshot older than this is not sampled */
#define LOOP_FR_SVC_EVERY 5 /* between snapshots: read the tracked services every 5th sample */

struct loop_fr_sample {
	uint64_t time_usec; /* CLOCK_REALTIME */
	uint64_t avail_bytes, total_bytes;
	uint32_t psi_some_centi, psi_full_centi; /* avg10 */
	bool has_psi;
	uint8_t stage;
	uint8_t nsvc;
	struct {
		uint16_t name; /* index into names */
		uint64_t bytes;
	} svc[LOOP_FR_TOP];
};

struct loop_recorder {
	size_t n, next; /* samples held; where the next goes */
	struct loop_fr_sample s[LOOP_FR_SAMPLES];
	size_t nnames;
	char names[LOOP_FR_NAMES][LOOP_FR_NAME_MAX];
	uint64_t name_seen[LOOP_FR_NAMES]; /* sample counter when last used */
	uint64_t nsamples; /* ever taken */
	uint64_t last_snap_usec; /* monotonic now_usec of the snapshot last sampled */
	size_t ntracked; /* the largest services of the last fresh snapshot, by cgroup path */
	char tracked[LOOP_FR_TOP][OG_CGROUP_PATH_MAX];
};

/* Empty the ring and touch every page of it (before mlockall). */
void loop_recorder_init(struct loop_recorder *fr);

/*
 * Add one sample. snap: the loop's snapshot, or NULL; its cgroups are sampled only when it is
 * not older than LOOP_FR_SNAP_FRESH_USEC at now_mono_usec (the largest LOOP_FR_TOP service
 * cgroups by usage); otherwise the sample carries no services. Pure: no I/O, no allocation.
 */
void loop_recorder_add(struct loop_recorder *fr, uint64_t now_realtime_usec, uint64_t now_mono_usec,
		       uint64_t avail_bytes, uint64_t total_bytes, const struct og_psi *psi,
		       int stage, const struct og_snapshot *snap);

/* Add a service's usage to the newest sample (between snapshots). Pure. */
void loop_recorder_add_service(struct loop_recorder *fr, const char *path, uint64_t bytes);

/* The i-th sample, oldest first (i < fr->n). */
const struct loop_fr_sample *loop_recorder_at(const struct loop_recorder *fr, size_t i);
