/* SPDX-License-Identifier: GPL-2.0-or-later */
/* oomguardianctl reload: SIGHUP to the daemon and wait for its answer (ExecReload=). */
#pragma once

/* `oomguardianctl reload [--state-file FILE] [--timeout S]`: 0 reloaded, 78 (EX_CONFIG) refused,
 * 3 not running, 1 no answer or another error, 64 usage. */
int ctl_reload_main(int argc, char **argv);
