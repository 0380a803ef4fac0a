#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# SIGHUP with a broken policy keeps the running one: the log says why (path:line: Key: reason),
# the daemon stays up and behaves as before (the protected process still survives a hog).
# A fixed policy is then taken on the next SIGHUP.
. "$top_srcdir/tests/integration/lib.sh"

og_init reload 512
cat >"$OG_TMP/policy.d/10-standin.policy" <<'EOF2'
[Match]
Name=ogprot
[Policy]
Protect=yes
EOF2
og_spawn "$HOG" --name ogprot --max 160
prot=$OG_PID
og_wait_holding "$prot" || og_fail "protected process not ready"
og_start_daemon

cat >"$OG_TMP/policy.d/20-broken.policy" <<'EOF2'
[Match]
Name=ogother
[Policy]
Protect=maybe
NoSuchKey=1
EOF2
kill -HUP "$OG_DPID"
og_wait_log 'keeping the running policy'
grep -q 'reload failed.*keeping the running policy' "$OG_TMP/daemon.log" &&
	og_ok "bad reload refused" || og_fail "no 'keeping the running policy' in the log"
grep -q '20-broken.policy:4: Protect' "$OG_TMP/daemon.log" && og_ok "log says why (file:line)" ||
	og_fail "the reason (20-broken.policy:4: Protect) is not logged"
og_alive "$OG_DPID" && og_ok "daemon alive after a bad reload" || og_fail "daemon died on reload"

# behaviour unchanged: the old policy (protect ogprot) still holds
og_spawn "$HOG" --rate 800 --max 1024
hog=$OG_PID
og_wait_gone "$hog" 30 || og_fail "hog still running"
og_alive "$prot" && og_ok "protected process survived under the old policy" ||
	og_fail "protected process was killed after the bad reload"
[ "$(og_oom_kills)" = 0 ] || og_fail "kernel OOM killer fired"

# a fixed file is taken
printf '[Match]\nName=ogother\n[Policy]\nProtect=yes\n' >"$OG_TMP/policy.d/20-broken.policy"
kill -HUP "$OG_DPID"
og_wait_log 'reloaded: 2 policies' && og_ok "fixed policy reloaded" ||
	og_fail "the fixed policy was not taken"
og_finish
