#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# oomguardianctl status tells a running daemon from a state file (its lock), shows the stage,
# scope and the last actions; reports lists what it did and report shows one; a daemon that
# died without cleaning up is called stale, not running.
. "$top_srcdir/tests/integration/lib.sh"
CTL="$top_builddir/oomguardianctl"

# status_when PATTERN: wait (up to 10 s) for status to show PATTERN; its text in st.txt
status_when() {
	i=0
	until "$CTL" status --state-file "$OG_TMP/state" | grep -q "$1"; do
		i=$((i + 1))
		[ $i -lt 200 ] || break
		sleep 0.05
	done
	"$CTL" status --state-file "$OG_TMP/state" >"$OG_TMP/st.txt"
}

og_init ctlstatus 512
# two protection policies: +300 the kernel accepts; -100 it refuses without CAP_SYS_RESOURCE
printf '[Match]\nName=ogplus\n[Policy]\nOOMScoreAdjust=300\n' >"$OG_TMP/policy.d/20-plus.policy"
printf '[Match]\nName=ogminus\n[Policy]\nOOMScoreAdjust=-100\n' >"$OG_TMP/policy.d/21-minus.policy"
og_spawn "$HOG" --name ogplus --max 0
og_spawn "$HOG" --name ogminus --max 0
og_start_daemon
"$CTL" status --state-file "$OG_TMP/state" >"$OG_TMP/st.txt"
rc=$?
[ "$rc" = 0 ] && grep -q "^oomguardiand: running (pid $OG_DPID" "$OG_TMP/st.txt" &&
	og_ok "status: running" || { og_fail "status rc $rc"; cat "$OG_TMP/st.txt"; }
grep -q "^Scope: *//*$OG_CG" "$OG_TMP/st.txt" || og_fail "status does not show the scope"
status_when "21-minus.policy (oom_score_adj -100): [0-9]* accepted, [0-9]* refused"
grep -q "20-plus.policy (oom_score_adj 300): [1-9][0-9]* accepted, 0 refused" "$OG_TMP/st.txt" &&
	og_ok "status: a protection policy the kernel accepted" ||
	{ og_fail "status: no accepted protection policy"; cat "$OG_TMP/st.txt"; }
if [ "$(cat "/proc/$OG_PID/oom_score_adj")" = -100 ]; then # CAP_SYS_RESOURCE here
	grep -q "21-minus.policy (oom_score_adj -100): [1-9][0-9]* accepted" "$OG_TMP/st.txt"
else
	grep -q "21-minus.policy (oom_score_adj -100): 0 accepted, [1-9][0-9]* refused" "$OG_TMP/st.txt"
fi && og_ok "status: what the kernel said to -100" ||
	{ og_fail "status: the -100 policy"; cat "$OG_TMP/st.txt"; }
"$CTL" status --json --state-file "$OG_TMP/state" >"$OG_TMP/st.json"
python3 - "$OG_TMP/st.json" "$OG_DPID" <<'EOPY' || og_fail "status --json"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["running"] is True and s["pid"] == int(sys.argv[2]) and s["stale"] is False, s
assert s["dry_run"] is False and s["stage"] == "none", s
EOPY
# an action to show: a hog parked in the kill zone
og_spawn "$HOG" --ignore-term --rate 100 --max 460
hog=$OG_PID
og_wait_gone "$hog" 20 || og_fail "hog still running"
og_wait_reports 10 kill || og_fail "no kill report"
status_when " kill .*pid $hog"
grep -q "^  .* kill .*pid $hog memhog, freed" "$OG_TMP/st.txt" && og_ok "status: the last action" ||
	{ og_fail "status does not show the kill"; cat "$OG_TMP/st.txt"; }
"$CTL" reports --report-dir "$OG_TMP/reports" >"$OG_TMP/list.txt"
grep -q " kill .*pid $hog memhog" "$OG_TMP/list.txt" && og_ok "reports lists the kill" ||
	{ og_fail "reports"; cat "$OG_TMP/list.txt"; }
# the state file knows the report directory: no --report-dir needed
"$CTL" reports --state-file "$OG_TMP/state" --json >"$OG_TMP/list.json"
id=$(python3 -c 'import json,sys; print([r["id"] for r in json.load(open(sys.argv[1])) if r["action"] == "kill"][-1])' "$OG_TMP/list.json") ||
	og_fail "reports --json"
"$CTL" report --report-dir "$OG_TMP/reports" "$id" >"$OG_TMP/one.txt" &&
	grep -q "^Victim: *pid $hog memhog uid 0" "$OG_TMP/one.txt" && og_ok "report $id" ||
	{ og_fail "report $id"; cat "$OG_TMP/one.txt"; }
"$CTL" reports --report-dir "$OG_TMP/reports" --since 1h | grep -q " kill " ||
	og_fail "reports --since 1h misses the kill"
"$CTL" reports --report-dir "$OG_TMP/reports" --since 2099-01-01 | grep -q " kill " &&
	og_fail "reports --since 2099 shows the kill"
# died without cleaning up: the state says running=yes, the lock says otherwise
kill -9 "$OG_DPID"
wait "$OG_DPID" 2>/dev/null
OG_DPID=
"$CTL" status --state-file "$OG_TMP/state" >"$OG_TMP/st.txt"
rc=$?
[ "$rc" = 3 ] && grep -q "not running (it died without cleaning up" "$OG_TMP/st.txt" &&
	og_ok "status: stale state, exit 3" || { og_fail "stale: rc $rc"; cat "$OG_TMP/st.txt"; }
"$CTL" status --state-file "$OG_TMP/nonexistent" >"$OG_TMP/st.txt"
[ $? = 3 ] && grep -q "no state file" "$OG_TMP/st.txt" || og_fail "status without a state file"
og_finish
