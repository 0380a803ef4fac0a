#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# KillUnit=cgroup: when the hog in sub-group "job" is chosen, the whole sub-group goes (its
# idle member too), and a process beside it in the parent group is left alone. Then the same
# in sub-group "job2", which also holds a protected process: that one must survive (the
# engine then takes the hog alone, or the loop kills the group task by task, skipping it).
. "$top_srcdir/tests/integration/lib.sh"

og_init cgkill 512
og_subgroup job
og_subgroup job2
cat >"$OG_TMP/policy.d/10-prot.policy" <<'EOF2'
[Match]
Name=ogprot
[Policy]
Protect=yes
EOF2
cat >"$OG_TMP/policy.d/50-job.policy" <<EOF2
[Match]
Cgroup=/$OG_CG/job /$OG_CG/job2
[Policy]
KillUnit=cgroup
TermGraceSec=0
EOF2

og_spawn "$HOG" --name ogbystander --max 8
bystander=$OG_PID
og_spawn -g job "$HOG" --name ogjobmate --max 8
mate=$OG_PID
og_wait_holding "$bystander" && og_wait_holding "$mate" || og_fail "idle members not ready"
og_start_daemon
og_spawn -g job "$HOG" --rate 800 --max 1024
hog=$OG_PID
og_wait_gone "$hog" 30 || og_fail "hog still running"
og_wait_gone "$mate" 30 && og_ok "the idle member of the sub-group went with it" ||
	og_fail "the hog's sub-group mate survived"
og_alive "$bystander" && og_ok "the process outside the sub-group survived" ||
	og_fail "the bystander outside the sub-group was killed"
[ "$(og_oom_kills)" = 0 ] || og_fail "kernel OOM killer fired"
og_wait_reports "$OG_DEADLINE" kill
k=$(og_reports kill | tail -n 1)
[ -n "$k" ] || og_fail "no kill report"
[ -n "$k" ] && [ "$(og_report_get "$k" target)" = cgroup ] &&
	[ "$(og_report_get "$k" cgroup)" = "/$OG_CG/job" ] && og_ok "report names the cgroup" ||
	og_fail "kill report does not name cgroup /$OG_CG/job"

# 2. a protected member in the chosen sub-group (once the first round is over)
og_wait_stage none || og_fail "stage did not clear after round 1"
done1=$(og_reports_done kill term)
og_spawn -g job2 "$HOG" --name ogprot --max 8
prot=$OG_PID
og_wait_holding "$prot" || og_fail "protected member not ready"
og_spawn -g job2 "$HOG" --rate 800 --max 1024
hog2=$OG_PID
og_wait_gone "$hog2" 30 || og_fail "hog in job2 still running"
# the round's report is written once the daemon has seen its target gone: the kill is over
og_wait_reports_n $((done1 + 1)) "$OG_DEADLINE" kill term || og_fail "no report for round 2"
og_alive "$prot" && og_ok "job2: the protected member survived the group kill" ||
	og_fail "job2: the protected member was killed"
og_alive "$bystander" || og_fail "the bystander was killed in round 2"
[ "$(og_oom_kills)" = 0 ] || og_fail "kernel OOM killer fired in round 2"
og_finish
