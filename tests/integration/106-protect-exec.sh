#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Protection: OOMScoreAdjust= is applied to matching processes at start-up and to new ones on
# their exec (proc connector), or on a rename (prctl PR_SET_NAME): the log shows the process
# event for that pid (the 30 s rescan would not), the time it took is printed. 300 is used
# because this machine may raise oom_score_adj but not lower it (no CAP_SYS_RESOURCE).
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
adj_is() { [ "$(adj "$1")" = "$2" ]; }
# wait_adj PID VALUE: true once oom_score_adj of PID is VALUE (a generous deadline: the event
# waits while a step walks /proc)
wait_adj() { og_wait_until "$OG_DEADLINE" adj_is "$1" "$2"; }
# by_event PID: the daemon logged the process event for PID (the rescan, every 30 s, logs none)
by_event() { grep -q "debug: process event: pid $1 " "$OG_TMP/daemon.log"; }

og_spawn "$OG_TMP/ogadj" --max 0
early=$OG_PID
# outside the scope: started by this test, in no test group
"$OG_TMP/ogadj" --max 0 --lifetime 60 >/dev/null &
outside=$!
OG_PIDS="$OG_PIDS $outside"
og_start_daemon
wait_adj "$early" 300 && og_ok "running process protected at start-up" ||
	og_fail "start-up: oom_score_adj of $early is $(adj "$early"), want 300"

t0=$(og_ms)
og_spawn "$OG_TMP/ogadj" --max 0
new=$OG_PID
if wait_adj "$new" 300; then
	og_ok "new process protected $(($(og_ms) - t0)) ms after its spawn"
	by_event "$new" && og_ok "by its exec event" || og_fail "exec: no process event for $new"
else
	og_fail "exec: oom_score_adj of $new is $(adj "$new") after $OG_DEADLINE s, want 300"
fi

og_spawn "$HOG" --max 0 --name ogadj
renamed=$OG_PID
if wait_adj "$renamed" 300; then
	og_ok "renamed process protected"
	# memhog's own exec is not looked at (its comm "memhog" matches no Name=): the event
	# logged for this pid is the rename
	by_event "$renamed" && og_ok "by its rename event" ||
		og_fail "rename: no process event for $renamed"
else
	og_fail "rename: oom_score_adj of $renamed is $(adj "$renamed"), want 300"
fi

[ "$(adj "$outside")" = 0 ] && og_ok "process outside the scope untouched" ||
	og_fail "process outside the scope got oom_score_adj $(adj "$outside")"
og_wait_reports "$OG_DEADLINE" oom_score_adj
f=$(og_reports oom_score_adj | head -n 1)
[ -n "$f" ] && og_report_get "$f" rule | grep -q '10-adj.policy' && og_ok "protection leaves a report" ||
	og_fail "no oom_score_adj report naming the policy"
og_finish
