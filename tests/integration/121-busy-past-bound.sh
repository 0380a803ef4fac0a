#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# More processes than any bound the daemon keeps (issue 7): 17,000 idle processes in the guarded
# group, past the 16,384 where the old process table stopped without a word, past the initial
# size of the new table (it doubles) and 30 times the candidate array of one decision; the hog
# starts last. It must be the one killed, with 0 kernel OOM kills and no partial view.
# ~30 KiB of kernel memory an idle process: ~520 MiB, well under the group's 1.5 GiB.
. "$top_srcdir/tests/integration/lib.sh"

[ "$(cat /proc/sys/kernel/pid_max)" -ge 24000 ] || og_skip "pid_max below 24000"
og_init busybound 1536
og_idlers 17000
og_start_daemon
og_wait_log 'process table: [0-9]* processes' 60 || og_fail "no process table line"
n=$(sed -n 's/.*process table: \([0-9]*\) processes.*/\1/p' "$OG_TMP/daemon.log" | head -n 1)
[ "${n:-0}" -gt 16384 ] && og_ok "the table holds $n processes" ||
	og_fail "the table holds ${n:-0} processes, want more than 16384"
og_busy_hog "17000 idle" 300 1400 60
grep -q 'step: .*(1[7-9][0-9][0-9][0-9] guarded' "$OG_TMP/daemon.log" &&
	og_ok "decisions ranked all 17,000" || og_fail "no decision saw the 17,000 processes"
grep -q 'partial process view\|process table full' "$OG_TMP/daemon.log" &&
	og_fail "the daemon worked from a partial view"
og_finish
