#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# oomguardianctl reload (the unit's ExecReload=) says what the daemon answered: 0 for a reload
# taken, 78 with the daemon's reason (path:line: Key: reason) for one refused, the daemon still
# running with its old rules; 3 when nothing runs; 1 when the lock holder never answers or dies
# while we wait (the pidfd ends the wait at once, long before --timeout).
. "$top_srcdir/tests/integration/lib.sh"
CTL="$top_builddir/oomguardianctl"

og_init reloadans 256
printf '[Match]\nName=ogprot\n[Policy]\nProtect=yes\n' >"$OG_TMP/policy.d/10-standin.policy"
og_start_daemon
S="--state-file $OG_TMP/state"

# shellcheck disable=SC2086
"$CTL" reload $S >"$OG_TMP/out" 2>"$OG_TMP/err"
rc=$?
[ "$rc" = 0 ] && grep -q "pid $OG_DPID): reloaded" "$OG_TMP/out" && og_ok "valid reload: exit 0" ||
	{ og_fail "valid reload: exit $rc"; cat "$OG_TMP/out" "$OG_TMP/err"; }
grep -qx 'reload=1 ok' "$OG_TMP/state" && og_ok "state file: reload=1 ok" ||
	og_fail "state file has no 'reload=1 ok': $(grep reload "$OG_TMP/state")"

printf '[Match]\nName=ogother\n[Policy]\nProtect=maybe\n' >"$OG_TMP/policy.d/20-broken.policy"
# shellcheck disable=SC2086
"$CTL" reload $S >"$OG_TMP/out" 2>"$OG_TMP/err"
rc=$?
[ "$rc" = 78 ] && og_ok "refused reload: exit 78" || og_fail "refused reload: exit $rc (want 78)"
grep -q 'refused.*20-broken.policy:4: Protect' "$OG_TMP/err" &&
	og_ok "the daemon's reason is printed (file:line)" ||
	{ og_fail "no reason naming 20-broken.policy:4 on stderr"; cat "$OG_TMP/err"; }
grep -qx 'reload=2 refused' "$OG_TMP/state" && grep -q '^reload_reason=.*20-broken.policy:4' \
	"$OG_TMP/state" && og_ok "state file: reload=2 refused and its reason" ||
	og_fail "state file: $(grep reload "$OG_TMP/state" | tr '\n' ' ')"
og_alive "$OG_DPID" && og_ok "daemon alive after the refused reload" || og_fail "daemon died"
grep -q 'reload failed.*keeping the running policy' "$OG_TMP/daemon.log" ||
	og_fail "the daemon did not log that it keeps the running policy"

printf '[Match]\nName=ogother\n[Policy]\nProtect=yes\n' >"$OG_TMP/policy.d/20-broken.policy"
# shellcheck disable=SC2086
"$CTL" reload $S >/dev/null 2>"$OG_TMP/err" && grep -q 'reloaded: 2 policies' "$OG_TMP/daemon.log" &&
	og_ok "fixed policy: exit 0, taken" || { og_fail "fixed policy not taken"; cat "$OG_TMP/err"; }

# nobody holds the lock: 3
kill -TERM "$OG_DPID"
wait "$OG_DPID" || og_fail "daemon exit status $? after SIGTERM"
OG_DPID=
# shellcheck disable=SC2086
"$CTL" reload $S 2>"$OG_TMP/err"
rc=$?
[ "$rc" = 3 ] && grep -q 'not running' "$OG_TMP/err" && og_ok "not running: exit 3" ||
	og_fail "not running: exit $rc ($(cat "$OG_TMP/err"))"

# a lock holder that ignores SIGHUP: no answer by the deadline (1 s here), exit 1
F=$OG_TMP/fake
printf 'reload=0 none\n' >"$F"
flock "$F.lock" sh -c 'echo $$ >"$1.lock"; trap "" HUP; exec sleep 300' sh "$F" &
OG_PIDS="$OG_PIDS $!"
holder_up() { [ -s "$F.lock" ] && "$CTL" status --state-file "$F" >/dev/null; }
og_wait_until 30 holder_up || og_fail "fake holder not up"
"$CTL" reload --state-file "$F" --timeout 1 2>"$OG_TMP/err"
rc=$?
[ "$rc" = 1 ] && grep -q 'no answer' "$OG_TMP/err" && og_ok "no answer: exit 1 at the deadline" ||
	og_fail "no answer: exit $rc ($(cat "$OG_TMP/err"))"
# ... and one that dies while we wait: the wait ends then, not at --timeout
t0=$(og_ms)
"$CTL" reload --state-file "$F" --timeout 600 2>"$OG_TMP/err" &
cpid=$!
holder=$(cat "$F.lock")
OG_PIDS="$OG_PIDS $holder"
# signal sent, now in poll(): kill the holder only then
in_poll() { grep -q poll "/proc/$cpid/wchan" 2>/dev/null; }
og_wait_until 60 in_poll || og_fail "reload never waited"
kill -TERM "$holder"
wait "$cpid"
rc=$?
[ "$rc" = 1 ] && grep -q 'exited before answering' "$OG_TMP/err" &&
	[ $(($(og_ms) - t0)) -lt 300000 ] && og_ok "holder died: exit 1 at once ($(($(og_ms) - t0)) ms)" ||
	og_fail "holder died: exit $rc after $(($(og_ms) - t0)) ms ($(cat "$OG_TMP/err"))"
og_finish
