/* SPDX-License-Identifier: GPL-2.0-or-later */
/* oomguardianctl match: why a process is (not) protected and where it stands in the kill order. */
#pragma once

/* argv[0] is "match". Returns the exit status (0, 1 a PID not found, 64 usage, 78 config). */
int ctl_match_main(int argc, char **argv);
