#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The adaptive poll alone (no PSI trigger, no v1 threshold: a 3.10-era kernel) keeps up with a
# 1.5 GiB/s allocator in a 512 MiB group: the hog is stopped before the kernel's memcg OOM
# killer fires, and a hog that ignores SIGTERM is killed at the kill threshold.
. "$top_srcdir/tests/integration/lib.sh"

og_init pollonly 512
OOMGUARDIAND_POLL_ONLY=1
export OOMGUARDIAND_POLL_ONLY
og_start_daemon
unset OOMGUARDIAND_POLL_ONLY
grep -q 'polling only' "$OG_TMP/daemon.log" || og_fail "events were armed"
grep -q 'PSI triggers armed\|usage thresholds armed' "$OG_TMP/daemon.log" &&
	og_fail "a trigger or threshold was armed"

for mode in --handle-term-exit --ignore-term; do
	og_spawn "$HOG" $mode --rate 1536 --chunk 8 --max 1024
	hog=$OG_PID
	og_wait_gone "$hog" 30 || og_fail "hog ($mode) still running"
	[ "$(og_oom_kills)" = 0 ] && og_ok "hog ($mode) stopped by the poll, kernel OOM kills: 0" ||
		og_fail "kernel OOM killer fired ($mode)"
	og_wait_stage none || og_fail "stage did not clear after the hog ($mode)"
done
grep -Eq 'woken by (psi|v1-threshold)' "$OG_TMP/daemon.log" &&
	og_fail "woken by a PSI or threshold event in poll-only mode"
og_wait_reports "$OG_DEADLINE" kill
k=$(og_reports kill | tail -n 1)
[ -n "$k" ] && [ "$(og_report_get "$k" sent_kill)" = yes ] &&
	og_ok "SIGKILL at the kill threshold" || og_fail "no SIGKILL report for the hog that ignored SIGTERM"
og_finish
