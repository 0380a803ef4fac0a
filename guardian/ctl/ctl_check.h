/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * `oomguardianctl check [--config FILE] [--policy-dir DIR]... [--root DIR] [--quiet] [FILE...]`
 * (argv[0] is "check"): parse the configuration as the daemon with the same options would,
 * print the hidden and masked policy files and the effective configuration to stdout (unless
 * --quiet) and every diagnostic to stderr. Returns the exit code: 0 valid (warnings allowed),
 * 78 (EX_CONFIG) invalid, 64 (EX_USAGE) bad arguments, 74 (EX_IOERR) stdout failed.
 */
int ctl_check_main(int argc, char **argv);
