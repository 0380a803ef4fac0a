#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The capabilities the unit grants (CapabilityBoundingSet= of systemd/oomguardiand.service.in)
# are enough: the daemon runs with exactly that bounding set (setpriv) and still stops a fast
# hog before the kernel OOM killer, spares the protected process, and protects a new process
# on its exec (the process event, which needs CAP_NET_ADMIN for the proc connector).
. "$top_srcdir/tests/integration/lib.sh"

command -v setpriv >/dev/null || og_skip "no setpriv (util-linux)"
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$top_srcdir/systemd/oomguardiand.service.in")
[ -n "$caps" ] || { echo "FAIL: no CapabilityBoundingSet= in the unit"; exit 1; }
set=-all
for c in $caps; do
	set="$set,+$(echo "$c" | sed 's/^CAP_//' | tr 'A-Z' 'a-z')"
done
og_init caps 512
real=$OGD
OGD=$OG_TMP/oomguardiand-caps
printf '#!/bin/sh\nexec setpriv --bounding-set=%s --inh-caps=-all -- %s "$@"\n' "$set" "$real" \
	>"$OGD"
chmod +x "$OGD"
cp "$HOG" "$OG_TMP/ogadj" || exit 99
printf '[Match]\nName=ogprot\n[Policy]\nProtect=yes\n' >"$OG_TMP/policy.d/10-prot.policy"
printf '[Match]\nName=ogadj\n[Policy]\nOOMScoreAdjust=300\n' >"$OG_TMP/policy.d/20-adj.policy"

og_spawn "$HOG" --name ogprot --max 100
prot=$OG_PID
og_wait_holding "$prot" || og_fail "protected process not ready"
og_start_daemon
bnd=$(awk '/^CapBnd:/ { print $2 }' "/proc/$OG_DPID/status")
want=$(setpriv --bounding-set="$set" -- awk '/^CapBnd:/ { print $2 }' /proc/self/status)
[ "$bnd" = "$want" ] && og_ok "daemon runs with the unit's bounding set ($caps)" ||
	og_fail "daemon CapBnd $bnd, want $want"

og_spawn "$OG_TMP/ogadj" --max 0
new=$OG_PID
adj_300() { [ "$(cat "/proc/$new/oom_score_adj")" = 300 ]; }
og_wait_until "$OG_DEADLINE" adj_300 && og_ok "new process protected" ||
	og_fail "new process not protected within $OG_DEADLINE s"
# by the event (the 30 s rescan logs no such line)
grep -q "debug: process event: pid $new " "$OG_TMP/daemon.log" &&
	og_ok "by its exec event: the proc connector works with the unit's capabilities" ||
	og_fail "no process event for $new"

og_spawn "$HOG" --ignore-term --rate 1536 --chunk 8 --max 1024
hog=$OG_PID
og_wait_gone "$hog" 30 || og_fail "hog still running"
[ "$(og_oom_kills)" = 0 ] && og_ok "hog stopped, kernel OOM kills: 0" ||
	og_fail "kernel OOM killer fired"
og_alive "$prot" && og_ok "protected process survived" || og_fail "protected process is gone"
og_finish
