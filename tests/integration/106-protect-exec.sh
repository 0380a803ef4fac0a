#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Protection: OOMScoreAdjust= is applied to matching processes at start-up and to new ones
# within a second of their exec (proc connector), or of a rename (prctl PR_SET_NAME). 300 is
# used because this machine may raise oom_score_adj but not lower it (no CAP_SYS_RESOURCE).
# A matching process outside the scope is never touched.
. "$top_srcdir/tests/integration/lib.sh"

og_init protect 256
cp "$HOG" "$OG_TMP/ogadj" || exit 99
cat >"$OG_TMP/policy.d/10-adj.policy" <<'EOF2'
[Match]
Name=ogadj
[Policy]
OOMScoreAdjust=300
EOF2

adj() { cat "/proc/$1/oom_score_adj" 2>/dev/null; }
# wait_adj PID VALUE MS: true if oom_score_adj of PID becomes VALUE within MS milliseconds
wait_adj() {
	end=$(($(date +%s%N) / 1000000 + $3))
	while [ "$(adj "$1")" != "$2" ]; do
		[ $(($(date +%s%N) / 1000000)) -lt $end ] || return 1
		sleep 0.01
	done
}

og_spawn "$OG_TMP/ogadj" --max 0
early=$OG_PID
# outside the scope: started by this test, in no test group
"$OG_TMP/ogadj" --max 0 --lifetime 60 >/dev/null &
outside=$!
OG_PIDS="$OG_PIDS $outside"
og_start_daemon
wait_adj "$early" 300 2000 && og_ok "running process protected at start-up" ||
	og_fail "start-up: oom_score_adj of $early is $(adj "$early"), want 300"

t0=$(date +%s%N)
og_spawn "$OG_TMP/ogadj" --max 0
new=$OG_PID
if wait_adj "$new" 300 1000; then
	og_ok "new process protected $((($(date +%s%N) - t0) / 1000000)) ms after exec"
else
	og_fail "exec: oom_score_adj of $new is $(adj "$new") after 1 s, want 300"
fi

og_spawn "$HOG" --max 0 --name ogadj
renamed=$OG_PID
wait_adj "$renamed" 300 1000 && og_ok "renamed process protected within 1 s" ||
	og_fail "rename: oom_score_adj of $renamed is $(adj "$renamed"), want 300"

[ "$(adj "$outside")" = 0 ] && og_ok "process outside the scope untouched" ||
	og_fail "process outside the scope got oom_score_adj $(adj "$outside")"
og_wait_reports 5 oom_score_adj
f=$(og_reports oom_score_adj | head -n 1)
[ -n "$f" ] && og_report_get "$f" rule | grep -q '10-adj.policy' && og_ok "protection leaves a report" ||
	og_fail "no oom_score_adj report naming the policy"
og_finish
