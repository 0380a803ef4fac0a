/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oomguardianctl report --html: one self-contained page (no script, no external resource): an
 * inline SVG timeline of the flight recorder (available memory, memory PSI some/full, the
 * largest services, the action as markers), the decision, the victim, the candidates, the
 * machine at the decision, and the kernel's OOM reports of the same minutes explained.
 */
#pragma once

#include <stdio.h>

struct json_object;

/*
 * Write the page for report (a parsed report file). kernel: `explain --json` output for the
 * kernel log around the report ({"format": 1, "reports": [...]}) or NULL; why: what the page
 * says when there is none (NULL: the section is left out). 0 or -EIO.
 */
int ctl_html_write(FILE *out, struct json_object *report, struct json_object *kernel,
		   const char *why);

/* Seconds since the epoch (with microseconds) of an ISO 8601 UTC time as reports write it
 * ("2026-12-02T03:28:47.737801Z"), or 0 when it is not one. */
double ctl_html_iso_to_sec(const char *iso);
