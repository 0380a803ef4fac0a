#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# KillUnit=process-group: a hog with two forked helpers in its own process group; the whole
# group goes, a process in another group of the same cgroup stays, and so does a member of the
# hog's process group that lives in a cgroup outside the scope.
. "$top_srcdir/tests/integration/lib.sh"

og_init pgkill 512
cat >"$OG_TMP/policy.d/50-group.policy" <<'EOF2'
[Match]
Name=oggroup
[Policy]
KillUnit=process-group
TermGraceSec=1s
EOF2

og_spawn "$HOG" --setsid --name ogbystander --max 8
bystander=$OG_PID
og_wait_holding "$bystander" || og_fail "bystander not ready"
og_start_daemon
# The copies allocate nothing until SIGUSR1, sent once one member has been moved out (below):
# no race against the daemon, however loaded the machine.
og_spawn "$HOG" --setsid --name oggroup --children 2 --rate 30 --max 400 --wait-usr1
leader=$OG_PID
three_members() {
	members=$(og_pgid_members "$leader")
	n=$(echo "$members" | wc -w)
	[ "$n" -ge 3 ]
}
og_wait_until "$OG_DEADLINE" three_members
[ "$n" = 3 ] || og_fail "expected 3 members in process group $leader, found $n"
# move one helper out of the scope, into a test group beside it
out=$(og_outside_group pgout 1024)
away=$(echo "$members" | grep -vx "$leader" | head -n 1)
echo "$away" >"$out/cgroup.procs"
[ "$OG_LAYOUT" = v1 ] && echo "$away" >"$OG_V2ROOT/$(basename "$out")/cgroup.procs"
grep -qx "$away" "$out/cgroup.procs" || og_fail "could not move $away out of the scope"
kill -USR1 -- "-$leader" # the process group: our three memhogs
for p in $members; do
	[ "$p" = "$away" ] && continue
	og_wait_gone "$p" 60 || og_fail "group member $p still running"
done
og_alive "$away" && og_ok "the group member outside the scope survived" ||
	og_fail "the group member outside the scope was killed"
kill -9 "$away" 2>/dev/null
og_alive "$bystander" && og_ok "the process in another group survived" ||
	og_fail "the bystander was killed"
[ "$(og_oom_kills)" = 0 ] && og_ok "kernel OOM kills: 0" || og_fail "kernel OOM killer fired"
og_wait_reports "$OG_DEADLINE" term kill
f=$( (og_reports term; og_reports kill) | tail -n 1)
[ -n "$f" ] && [ "$(og_report_get "$f" target)" = process-group ] &&
	og_ok "report names the process group" || og_fail "no process-group report"
og_finish
