/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * `oomguardianctl explain [--json] [FILE|-]` (argv[0] is "explain"): find and explain every
 * kernel OOM report and page allocation failure in FILE, stdin ("-"), or without FILE the
 * kernel log since boot (/dev/kmsg, else `journalctl -k -b -o short`). Returns the exit code:
 * 0 done (also when nothing was found), 64 (EX_USAGE), 66 (EX_NOINPUT) the input could not be
 * read, 74 (EX_IOERR) stdout failed, 70 (EX_SOFTWARE) out of memory.
 */
int ctl_explain_main(int argc, char **argv);
