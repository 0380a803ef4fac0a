/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Pressure stall information: /proc/pressure/{memory,io,cpu} and cgroup2 *.pressure files. */
#pragma once

#include "guardian/base/root.h"
#include "policy/model.h"

/*
 * A PSI file is two lines of at most 72 bytes ("some avg10=100.00 avg60=100.00 avg300=100.00
 * total=18446744073709551615\n"); 512 bytes leaves room for new fields. Full is -EFBIG.
 */
#define OG_PSI_MAX 512

/*
 * Parse "some avg10=A avg60=B avg300=C total=N" and an optional "full ..." line. Averages are
 * kept as percent x 100 without floats ("1.23" is 123, "5" is 500, digits past the second are
 * truncated) and must be <= 100.00; total is in microseconds. Unknown key=value tokens and
 * unknown lines are ignored. 0, or -EBADMSG (no "some" line, a repeated line, a missing or
 * malformed avg10/avg60/avg300/total). *ret is written on success only.
 */
int src_psi_parse_buf(const char *buf, struct og_psi *ret);

/*
 * Read and parse dirfd/path (also used for cgroup2 memory.pressure). 0, -EFBIG, -EBADMSG or
 * -errno of the read: -ENOENT (no PSI file), -EOPNOTSUPP (PSI disabled: psi=0, or
 * cgroup.pressure set to 0).
 */
int src_read_psi_at(int dirfd, const char *path, struct og_psi *ret);

/*
 * Read root/proc/pressure/{memory,io,cpu}. A kernel without PSI (no proc/pressure, 3.10-era,
 * CONFIG_PSI=n) or with PSI disabled (psi=0: -EOPNOTSUPP) gives available = false and returns
 * 0. A missing io or cpu file leaves that part zeroed (has_some false). 0 or -EFBIG/-EBADMSG/
 * -errno; *ret is written on success only.
 */
int src_read_pressure(const struct og_root *root, struct og_pressure *ret);
