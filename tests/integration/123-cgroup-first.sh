#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Cgroup-first choice (issue 7): three child memory cgroups of the scope under a KillUnit=cgroup
# policy, ranked by their own counters (v1: memory.usage_in_bytes - total_cache; v2:
# memory.current - file). g2 holds the most (two 110 MiB processes), g1 the largest single
# process (a grower, stopping at 180 MiB), g3 a little. When memory runs short g2 goes as a
# whole; the grower and g3 are left alone, and the kernel's OOM killer never fires.
. "$top_srcdir/tests/integration/lib.sh"

og_init cgfirst 512
og_subgroup g1
og_subgroup g2
og_subgroup g3
cat >"$OG_TMP/policy.d/50-jobs.policy" <<EOF2
[Match]
Cgroup=/$OG_CG/g1 /$OG_CG/g2 /$OG_CG/g3
[Policy]
KillUnit=cgroup
TermGraceSec=0
EOF2

og_spawn -g g2 "$HOG" --name ogbig1 --max 110
b1=$OG_PID
og_spawn -g g2 "$HOG" --name ogbig2 --max 110
b2=$OG_PID
og_spawn -g g3 "$HOG" --name ogsmall --max 40
small=$OG_PID
og_wait_holding "$b1" && og_wait_holding "$b2" && og_wait_holding "$small" ||
	og_fail "holders not ready"
before=$(og_oom_kills)
og_start_daemon
# 260 MiB held: the terminate threshold (30% available of 512 MiB) is crossed when the grower
# holds ~100 MiB, still less than g2's 220 MiB
og_spawn -g g1 "$HOG" --name oggrower --rate 20 --max 180
grower=$OG_PID
og_wait_gone "$b1" 60 && og_wait_gone "$b2" 30 && og_ok "g2, the biggest group, was killed whole" ||
	og_fail "g2 still has members"
og_wait_reports "$OG_DEADLINE" kill || og_fail "no kill report"
k=$(og_reports kill | tail -n 1)
[ -n "$k" ] && [ "$(og_report_get "$k" target)" = cgroup ] &&
	[ "$(og_report_get "$k" cgroup)" = "/$OG_CG/g2" ] && og_ok "the report names /$OG_CG/g2" ||
	og_fail "kill report does not name cgroup /$OG_CG/g2"
og_alive "$grower" && og_ok "the largest single process (g1) was spared" ||
	og_fail "the grower in g1 was killed"
og_alive "$small" && og_ok "g3 was spared" || og_fail "g3's process was killed"
[ "$(og_oom_kills)" = "$before" ] && og_ok "kernel OOM kills: 0" || og_fail "kernel OOM killer fired"
og_finish
