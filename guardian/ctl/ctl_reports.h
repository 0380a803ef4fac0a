/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oomguardianctl status, reports, report: what the daemon is doing and what it did, read from
 * its state file (key=value, see oomguardiand(8) "STATE FILE"), its lock and its JSON reports.
 */
#pragma once

#include <sys/types.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct json_object;

#define CTL_STATE_DEFAULT OG_RUNSTATEDIR "/state"
#define CTL_REPORTS_DEFAULT OG_STATEDIR "/reports"

/* `oomguardianctl status [--json] [--state-file FILE]`: 0 running, 3 not running, 64 usage. */
int ctl_status_main(int argc, char **argv);

/* `oomguardianctl reports [--since WHEN] [--json] [--report-dir DIR]`: 0, 1 unreadable, 64. */
int ctl_reports_main(int argc, char **argv);

/* `oomguardianctl report [--json|--html] [--report-dir DIR] ID`: 0, 1 not found, 64. */
int ctl_report_main(int argc, char **argv);

/* Print s with control characters shown as \xNN (names from the kernel may hold escapes). */
void ctl_put_safe(FILE *out, const char *s);

/* The value of key in a key=value text (a state file), or NULL. Points into a static buffer. */
const char *ctl_kv_get(const char *text, const char *key);

/* Read a whole small file (a state file, a report) into a malloc'd NUL-terminated string:
 * 0 or -errno. */
int ctl_read_file(const char *path, char **ret);

/* Is a daemon running on state file `state`: the probe of its lock (`STATE.lock`), as
 * loop_lock_probe (1 held, with the holder's pid in *ret_holder; 0 free; -errno), with a
 * "oomguardianctl CMD: cannot probe" line on stderr for an error. */
int ctl_probe_state_lock(const char *cmd, const char *state, pid_t *ret_holder);

/* The report directory: dir if given, else the running daemon's (its state file), else the
 * default. */
const char *ctl_report_dir(const char *dir, const char *state_file);

/* "2026-12-02", "2026-12-02T03:00[:00][Z]" (UTC) or a duration ago ("1h", "30min"): the time
 * in usec since the epoch. 0 or -EINVAL. */
int ctl_parse_since(const char *s, uint64_t now_usec, uint64_t *ret_usec);

/* Load report dir/ID (ID: a file name with or without .json, a unique prefix, or a path):
 * *ret is the parsed JSON, ret_path (may be NULL, size 1024) its file. 0, -ENOENT,
 * -EEXIST (prefix not unique), -EBADMSG (not JSON). */
int ctl_report_load(const char *dir, const char *id, struct json_object **ret, char *ret_path);

/* A field by dotted path ("victim.pid", "candidates.0.pid"), NULL when absent or null. */
struct json_object *ctl_json_get(struct json_object *o, const char *dotted);
/* The same as a string (NULL unless a string), an integer (false unless one; *ret set), an
 * integer or 0, a boolean (false when absent). */
const char *ctl_json_str(struct json_object *o, const char *dotted);
bool ctl_json_int(struct json_object *o, const char *dotted, int64_t *ret);
int64_t ctl_json_i64(struct json_object *o, const char *dotted);
bool ctl_json_bool(struct json_object *o, const char *dotted);
