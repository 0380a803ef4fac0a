/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* `oomguardianctl snapshot ...` (argv[0] is "snapshot"). Returns the process exit code. */
int ctl_snapshot_main(int argc, char **argv);
