#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 10 items 9 and 12: one daemon per state file (the second exits and says who runs), no
# stale state after exit, and a --root fixture run that writes nothing it was not told to
# (not the live state file) and says dry-run in what it does write.
. "$top_srcdir/tests/integration/lib.sh"

og_init onedaemon 256
og_start_daemon
grep -q '^running=yes$' "$OG_TMP/state" || og_fail "state file does not say running=yes"
grep -q "^pid=$OG_DPID\$" "$OG_TMP/state" || og_fail "state file does not name pid $OG_DPID"
# a second daemon on the same state file
"$OGD" --scope="/$OG_CG" --config "$OG_TMP/og.conf" --policy-dir "$OG_TMP/policy.d" \
	--report-dir "$OG_TMP/reports" --state-file "$OG_TMP/state" >"$OG_TMP/second.log" 2>&1 &
second=$!
og_wait_gone "$second" 20 || { kill -9 "$second"; og_fail "second daemon kept running"; }
wait "$second"
rc=$?
[ "$rc" = 1 ] && og_ok "second daemon exits 1" || og_fail "second daemon exit status $rc"
grep -q "another oomguardiand (pid $OG_DPID) is running with the state file" "$OG_TMP/second.log" &&
	og_ok "it names the running one" || { og_fail "no clear message"; cat "$OG_TMP/second.log"; }
grep -q "^pid=$OG_DPID\$" "$OG_TMP/state" || og_fail "the second daemon touched the state file"
kill -TERM "$OG_DPID"
wait "$OG_DPID"
rc=$?
OG_DPID=
[ "$rc" = 0 ] || og_fail "daemon exit status $rc"
grep -q '^running=no$' "$OG_TMP/state" && grep -q '^stopped=' "$OG_TMP/state" &&
	og_ok "state marked stopped at exit" || og_fail "stale state after exit"

# a fixture run: without --state-file it must not write the live one, and it is dry-run
fx="$top_srcdir/tests/fixtures/this-host"
cfg="$top_srcdir/policy/vendor/oomguardian.conf"
"$OGD" --root "$fx" --config "$cfg" --policy-dir "$OG_TMP/policy.d" >"$OG_TMP/fx.log" 2>&1 &
fxpid=$!
OG_PIDS="$OG_PIDS $fxpid"
i=0
while [ $i -lt 200 ] && ! grep -q 'notice: guarding' "$OG_TMP/fx.log"; do
	og_alive "$fxpid" || break
	sleep 0.05
	i=$((i + 1))
done
grep -q 'guarding.*(dry-run)' "$OG_TMP/fx.log" && og_ok "fixture run says dry-run" ||
	{ og_fail "fixture run not dry-run"; cat "$OG_TMP/fx.log"; }
kill -TERM "$fxpid"
wait "$fxpid"
grep -q "cannot write\|cannot use report" "$OG_TMP/fx.log" && og_fail "fixture run tried to write files"
# the live state file is the compiled-in default (--help says which)
rt=$("$OGD" --help | sed -n 's/.*--state-file FILE.*(default: \(.*\))$/\1/p')
[ -n "$rt" ] || og_fail "--help does not name the default state file"
if [ -e "$rt.lock" ] && [ "$rt.lock" -nt "$OG_TMP/og.conf" ]; then
	og_fail "fixture run took the live lock '$rt.lock'"
elif [ -e "$rt" ] && [ "$rt" -nt "$OG_TMP/og.conf" ]; then
	og_fail "fixture run wrote the live state '$rt'"
else
	og_ok "fixture run left '$rt' alone"
fi
og_finish
