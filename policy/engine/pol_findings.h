/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a snapshot says at a glance: memory grouped by service, and plain-language findings
 * (the slab cache that holds the RAM, the service with two dozen workers, the NUMA zone with no
 * free blocks of the order the kernel needs). Pure: used by `oomguardianctl snapshot` and by
 * the daemon's reports.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "policy/model.h"

struct og_service_usage {
	char name[OG_CGROUP_PATH_MAX]; /* systemd unit, or cgroup path when there is none */
	bool is_unit;
	uint32_t nprocs;
	uint64_t rss_bytes; /* anon + file + shmem of its processes */
	uint64_t anon_bytes;
	uint64_t swap_bytes;
	const struct og_cgroup *cg; /* the snapshot's cgroup of that path, if it was read */
	pid_t top_pid; /* its largest process */
	uint64_t top_rss_bytes;
	char top_comm[OG_COMM_MAX];
};

/* The grouping key of a process: unit, else cgroup2 path, else v1 memory path, else "/". */
const char *pol_service_key(const struct og_proc *p);

/* Group s->procs by service into arr (at most cap), largest rss first. Returns the count. */
size_t pol_services_usage(const struct og_snapshot *s, struct og_service_usage *arr, size_t cap);

/* Sort an index of s->procs by what killing would free (pol_proc_freeable), largest first. */
void pol_procs_by_memory(const struct og_snapshot *s, size_t *idx, size_t n);

enum pol_finding_kind {
	POL_FIND_LOW_AVAILABLE = 0,
	POL_FIND_SLAB_HEAVY,
	POL_FIND_MANY_WORKERS,
	POL_FIND_TOP_SERVICES,
	POL_FIND_ZONE_FRAGMENTED,
	POL_FIND_NODE_IMBALANCE,
	POL_FIND_PRESSURE,
	POL_FIND_NO_PSI,
	POL_FIND_KERNEL_OOM_KILLS,
	POL_FIND__MAX,
};

struct pol_finding {
	enum pol_finding_kind kind;
	char text[320];
};

/* Name of a finding kind for JSON ("slab_heavy", ...). */
const char *pol_finding_kind_name(enum pol_finding_kind k);

/* Findings for s (services from pol_services_usage). Returns the count (<= cap). */
size_t pol_findings(const struct og_snapshot *s, const struct og_service_usage *svc, size_t nsvc,
		    struct pol_finding *arr, size_t cap);
