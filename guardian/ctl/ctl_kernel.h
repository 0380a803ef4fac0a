/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel's OOM reports of the same minutes as one of the daemon's reports, for
 * `oomguardianctl report`: the kernel log (a FILE, or the live one: /dev/kmsg or the journal)
 * goes through `oomguardianctl explain --json` (run as a child of this very binary, so the
 * parser has one home), and the reports whose time falls in the window are kept.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

struct json_object;

#define CTL_KERNEL_BEFORE_SEC 300 /* the kernel reports of the five minutes before ... */
#define CTL_KERNEL_AFTER_SEC 120 /* ... and two after the daemon's decision */

/*
 * Explain the kernel log (file, or NULL for the live one) and keep the reports between
 * from_sec and to_sec (Unix time). *ret: {"format": 1, "source": ..., "reports": [...]}, or
 * NULL with *ret_why saying why there is nothing to show (static text). 0 or -errno.
 */
int ctl_kernel_reports(const char *file, double from_sec, double to_sec, struct json_object **ret,
		       const char **ret_why);

/* Seconds since the epoch of an explain report's "time" as the kernel log printed it:
 * "123.456789" or "[  123.456789]" (since boot: btime_sec added), "[Wed Dec  2 03:29:10 2026]"
 * (dmesg -T, local time), "Dec  2 03:29:10" (syslog, local time, this year) or ISO 8601. 0 if
 * unknown. */
double ctl_kernel_time(const char *printed, double btime_sec, int this_year);

/* Print the kept reports as text (after a report's own lines). */
void ctl_kernel_print(FILE *out, struct json_object *k, const char *why);
