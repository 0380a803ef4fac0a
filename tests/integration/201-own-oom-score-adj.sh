#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 10 item 13 (and the "1 policy" word of item 16): a daemon that cannot lower its own oom_score_adj to -1000 says so once, at
# warning level, with the consequence (it was a debug line). Run without CAP_SYS_RESOURCE
# (setpriv drops it from the bounding set), so the kernel refuses values below the lowest one
# this process tree ever had; the warning must agree with what /proc says.
. "$top_srcdir/tests/integration/lib.sh"

command -v setpriv >/dev/null || og_skip "setpriv (util-linux) not installed"
og_init ownadj 128
real=$OGD
OGD=$OG_TMP/nocap-daemon
cat >"$OGD" <<WRAP
#!/bin/sh
exec setpriv --bounding-set=-sys_resource --inh-caps=-sys_resource "$real" "\$@"
WRAP
chmod 0755 "$OGD"
printf '[Match]\nName=ogtest-nothing\n\n[Policy]\nKillPreference=avoid\n' >"$OG_TMP/policy.d/10-one.policy"
og_start_daemon --dry-run
# item 16: "1 policy", not "1 policies"
grep -q 'notice: guarding cgroup .*, 1 policy' "$OG_TMP/daemon.log" && og_ok "1 policy" ||
	og_fail "start line: $(grep 'guarding' "$OG_TMP/daemon.log")"
# the search runs right after "guarding" is logged: wait for its debug line
i=0
while [ $i -lt 200 ] && ! grep -q 'own oom_score_adj set to' "$OG_TMP/daemon.log"; do
	sleep 0.05
	i=$((i + 1))
done
adj=$(cat "/proc/$OG_DPID/oom_score_adj")
n=$(grep -c 'warning: own oom_score_adj is .*the kernel.s OOM killer may kill oomguardiand' \
	"$OG_TMP/daemon.log")
if [ "$adj" -gt -1000 ]; then
	[ "$n" = 1 ] && og_ok "oom_score_adj $adj: warned once with the consequence" ||
		og_fail "oom_score_adj $adj but $n warnings"
	grep -q "warning: own oom_score_adj is $adj," "$OG_TMP/daemon.log" ||
		og_fail "the warning does not name the value $adj"
else
	# the tree already had -1000 (a unit with OOMScoreAdjust=-1000): nothing to warn about
	[ "$n" = 0 ] && og_ok "oom_score_adj -1000: no warning" || og_fail "-1000 but warned"
fi
og_finish
