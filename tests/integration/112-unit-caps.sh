#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The capabilities the unit grants (CapabilityBoundingSet= of systemd/oomguardiand.service.in)
# are enough: the daemon runs with exactly that bounding set (setpriv) and still stops a fast
# hog before the kernel OOM killer, spares the protected process, and protects a new process
# within a second of its exec.
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
og_start_daemon
bnd=$(awk '/^CapBnd:/ { print $2 }' "/proc/$OG_DPID/status")
want=$(setpriv --bounding-set="$set" -- awk '/^CapBnd:/ { print $2 }' /proc/self/status)
[ "$bnd" = "$want" ] && og_ok "daemon runs with the unit's bounding set ($caps)" ||
	og_fail "daemon CapBnd $bnd, want $want"

og_spawn "$OG_TMP/ogadj" --max 0
new=$OG_PID
i=0
while [ $i -lt 50 ] && [ "$(cat "/proc/$new/oom_score_adj")" != 300 ]; do
	sleep 0.02
	i=$((i + 1))
done
[ "$(cat "/proc/$new/oom_score_adj")" = 300 ] && og_ok "exec protection within 1 s" ||
	og_fail "exec protection did not happen within 1 s"

og_spawn "$HOG" --ignore-term --rate 1536 --chunk 8 --max 1024
hog=$OG_PID
og_wait_gone "$hog" 10 || og_fail "hog still running"
[ "$(og_oom_kills)" = 0 ] && og_ok "hog stopped, kernel OOM kills: 0" ||
	og_fail "kernel OOM killer fired"
og_alive "$prot" && og_ok "protected process survived" || og_fail "protected process is gone"
og_finish
