#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# --dry-run does everything but write to the kernel: a hog parked in the kill zone is left
# alone, yet the daemon decides, logs "dry-run: would ..." and leaves reports that say so, and
# a process matching OOMScoreAdjust= keeps its oom_score_adj.
. "$top_srcdir/tests/integration/lib.sh"

og_init dryrun 512
cp "$HOG" "$OG_TMP/ogadj" || exit 99
printf '[Match]\nName=ogadj\n[Policy]\nOOMScoreAdjust=300\n' >"$OG_TMP/policy.d/20-adj.policy"
og_spawn "$OG_TMP/ogadj" --max 0
adj=$OG_PID
og_wait_holding "$adj" || og_fail "ogadj not ready"
og_start_daemon --dry-run
# the start-up scan decides about it: the line comes before any write would have
og_wait_log "dry-run: would set oom_score_adj of pid $adj " ||
	og_fail "no 'dry-run: would set oom_score_adj' for $adj"
[ "$(cat "/proc/$adj/oom_score_adj")" = 0 ] && og_ok "oom_score_adj untouched" ||
	og_fail "dry-run wrote oom_score_adj"
# 450 of 512 MiB: below the kill rung (20% available), then hold
og_spawn "$HOG" --rate 800 --max 450
hog=$OG_PID
og_wait_holding "$hog" || og_fail "hog did not reach 450 MiB"
# the daemon decides (and says what it would send), after which the hog must still be there
og_wait_log "dry-run: would send SIG\(TERM\|KILL\) pid $hog " &&
	og_ok "the signal it would send is logged" || og_fail "no 'dry-run: would send' line"
og_wait_log "dry-run: would send SIGKILL pid $hog " ||
	og_fail "no 'dry-run: would send SIGKILL' in the kill zone"
og_alive "$hog" && og_ok "hog in the kill zone left alone" || og_fail "dry-run killed the hog"
og_wait_reports "$OG_DEADLINE" term kill
f=$( (og_reports term; og_reports kill) | head -n 1)
[ -n "$f" ] && [ "$(og_report_get "$f" result)" = dry-run ] &&
	[ "$(og_report_get "$f" dry_run)" = yes ] && og_ok "report says dry-run" ||
	og_fail "no dry-run report for the hog"
grep -q '^dry_run=yes$' "$OG_TMP/state" || og_fail "state file does not say dry_run=yes"
og_wait_stage kill && og_ok "state file: stage kill" ||
	og_fail "state file stage: $(sed -n 's/^stage=//p' "$OG_TMP/state")"
kill -9 "$hog"
og_finish
