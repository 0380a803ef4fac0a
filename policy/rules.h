/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parsed configuration: the machine-wide ladder (oomguardian.conf) and the per-service policies
 * (policy.d/\*.policy). Filled by policy/cfg_*.c, read by policy/pol_*.c and guardian/.
 * Integers only (no floats: parsing must not depend on the locale). Percentages are stored as
 * _permyriad (1% = 100), PSI limits as _centi (1% = 100, like og_psi_line).
 */
#pragma once

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy/model.h"

#define POL_NAME_MAX 64
#define POL_PATH_MAX 512

enum pol_stage {
	POL_STAGE_NONE = 0,
	POL_STAGE_RECLAIM,
	POL_STAGE_THROTTLE,
	POL_STAGE_TERMINATE,
	POL_STAGE_KILL,
	POL_STAGE__MAX,
};

enum pol_kill_pref {
	POL_KP_DEFAULT = 0,
	POL_KP_PREFER,
	POL_KP_AVOID,
	POL_KP_NEVER,
};

enum pol_kill_unit {
	POL_KU_PROCESS = 0,
	POL_KU_PROCESS_GROUP,
	POL_KU_CGROUP,
};

enum pol_on_budget {
	POL_OB_REPORT = 0,
	POL_OB_RECLAIM,
	POL_OB_THROTTLE,
	POL_OB_KILL,
};

/* "full 20% 10s": the avg10 of `full` (or `some`) above limit for at least duration. */
struct pol_psi_limit {
	bool set;
	bool full; /* false: "some" */
	uint32_t limit_centi;
	uint64_t duration_usec;
};

/* Where a setting came from, for `path:line:` in reports and `oomguardianctl check`. */
struct pol_origin {
	char path[POL_PATH_MAX];
	unsigned line;
};

/* A list of strings given by one key (repeated keys and space-separated values add up). */
struct pol_strv {
	size_t n;
	char **v;
};

struct pol_match {
	bool all; /* [Match] All=yes: every process (no other key may be given) */
	/* Children=no: a process whose parent runs the same executable does not match (the copy
	 * a daemon forks per connection or job); og_proc.parent_exe */
	bool no_children;
	struct pol_strv name; /* exact comm */
	struct pol_strv exe; /* fnmatch(3) glob on exe path */
	struct pol_strv unit; /* glob on systemd unit */
	struct pol_strv cgroup; /* glob on cgroup2 path (or v1 memory path) */
	struct pol_strv cmdline_src; /* the ERE sources, as written (without the leading '~') */
	regex_t *cmdline; /* compiled, cmdline_src.n entries, REG_EXTENDED|REG_NOSUB */
	size_t nuids;
	uid_t *uids; /* User= resolved at load time (names via the root's /etc/passwd) */
};

struct pol_service {
	char name[POL_NAME_MAX]; /* file stem: "10-sshd" */
	struct pol_origin origin; /* the file (line 0) */
	struct pol_match match;

	bool protect;
	bool has_oom_score_adj;
	int oom_score_adj;
	enum pol_kill_pref kill_pref;
	unsigned kill_pref_line; /* KillPreference='s line in origin.path, 0: not given */
	enum pol_kill_unit kill_unit;
	uint64_t term_grace_usec; /* 0: SIGKILL at once */
	bool throttle;
	bool numa; /* eligible for NUMA rebalancing (page migration) */
	uint64_t budget_bytes; /* 0: none; resolved from budget_permyriad against MemTotal too */
	uint32_t budget_permyriad; /* 0: none; "MemoryBudget=25%" */
	struct pol_psi_limit pressure_limit;
	enum pol_on_budget on_budget;
};

/* One rung of the machine-wide ladder. A zero/unset field does not take part. */
struct pol_threshold {
	uint32_t mem_avail_permyriad; /* available below this share of total (or of scope limit) */
	uint64_t mem_avail_bytes; /* available below this many bytes */
	uint32_t swap_free_permyriad; /* and swap free below this share (ignored without swap) */
	struct pol_psi_limit psi_some;
	struct pol_psi_limit psi_full;
	struct pol_origin origin;
};

struct pol_config {
	struct pol_threshold stage[POL_STAGE__MAX]; /* indexed by enum pol_stage; [0] unused */
	char scope[OG_CGROUP_PATH_MAX]; /* "" = whole machine */
	bool dry_run;
	uint64_t holdoff_usec; /* after an action, before the next (PSI lags ~2 s) */
	uint64_t kill_timeout_usec; /* wait this long for a victim to exit */
	uint64_t default_term_grace_usec;
	uint64_t hysteresis_permyriad; /* a stage clears only this far above its threshold */
	bool numa_rebalance;
	/* With a Scope=: may drop_caches and compaction (machine-wide) run? Default no. */
	bool machine_wide_reclaim;
	char report_dir[POL_PATH_MAX];
	char exec_after_action[POL_PATH_MAX]; /* ExecAfterAction= "/path [ARG...]", "" = off */
	uint64_t exec_after_action_timeout_usec; /* ExecAfterActionTimeoutSec= */
	int report_max_files; /* ReportMaxFiles=: keep the newest this many reports; 0 = any */
	uint64_t report_max_age_usec; /* ReportMaxAgeSec=: delete older ones; 0 = never */
	char metrics_file[POL_PATH_MAX]; /* MetricsFile=: Prometheus text, "" = off */
	char metrics_socket[POL_PATH_MAX]; /* MetricsSocket=: served over HTTP/1.0, "" = off */
};

struct pol_rules {
	struct pol_config cfg;
	size_t nservices;
	struct pol_service *services; /* in lexical file order */
	size_t nfiles;
	char **files; /* every file read, in order (for `check` and reports) */
};
