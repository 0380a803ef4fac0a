#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Self-protection and the service manager protocol, on a scoped daemon: READY=1 and STATUS=
# reach $NOTIFY_SOCKET, WATCHDOG=1 comes at least every half WatchdogSec, memory is locked
# (mlockall: VmLck > 0), the debug log shows its RSS and oom_score_adj, and SIGTERM ends it
# with exit status 0 and STOPPING=1.
. "$top_srcdir/tests/integration/lib.sh"

sink="$top_builddir/tests/integration/notify_sink"
[ -x "$sink" ] || og_skip "notify_sink not built"
og_init selfprot 256
"$sink" "$OG_TMP/notify.sock" 6 >"$OG_TMP/notify.out" &
sinkpid=$!
OG_PIDS="$OG_PIDS $sinkpid"
sleep 0.2
# 1 s watchdog: pings due every 0.5 s
NOTIFY_SOCKET="$OG_TMP/notify.sock" WATCHDOG_USEC=1000000
export NOTIFY_SOCKET WATCHDOG_USEC
og_start_daemon
unset NOTIFY_SOCKET WATCHDOG_USEC
sleep 3
lck=$(awk '/^VmLck:/ { print $2 }' "/proc/$OG_DPID/status")
if grep -q __asan_init "$OGD"; then
	og_ok "AddressSanitizer build: its mlockall() is a no-op, VmLck not checked"
else
	[ "${lck:-0}" -gt 0 ] && og_ok "memory locked (VmLck $lck kB)" || og_fail "VmLck is ${lck:-?}"
fi
grep -q 'debug: own RSS ' "$OG_TMP/daemon.log" && og_ok "RSS logged at start" ||
	og_fail "no RSS in the debug log"
grep -q 'debug: own oom_score_adj set to ' "$OG_TMP/daemon.log" ||
	og_fail "own oom_score_adj not logged"
kill -TERM "$OG_DPID"
wait "$OG_DPID"
rc=$?
[ "$rc" = 0 ] && og_ok "SIGTERM: exit 0" || og_fail "exit status $rc after SIGTERM"
grep -q 'SIGTERM: exiting' "$OG_TMP/daemon.log" || og_fail "no exit message"
OG_DPID=
wait "$sinkpid" 2>/dev/null

grep -q ' READY=1' "$OG_TMP/notify.out" && og_ok "READY=1" || og_fail "no READY=1"
grep -q 'STATUS=stage none, available ' "$OG_TMP/notify.out" && og_ok "STATUS=" ||
	og_fail "no STATUS="
grep -q ' STOPPING=1' "$OG_TMP/notify.out" && og_ok "STOPPING=1" || og_fail "no STOPPING=1"
n=$(grep -c ' WATCHDOG=1' "$OG_TMP/notify.out")
# about 3 s of running at one ping per <= 0.5 s
[ "$n" -ge 4 ] && og_ok "$n watchdog pings" || og_fail "only $n WATCHDOG=1 in ~3 s"
# no gap above the 1 s watchdog between pings
gap=$(awk '/ WATCHDOG=1/ { if (p) { d = $1 - p; if (d > m) m = d } p = $1 } END { print m + 0 }' \
	"$OG_TMP/notify.out")
[ "$gap" -lt 1000 ] && og_ok "largest watchdog gap ${gap} ms" ||
	og_fail "watchdog gap ${gap} ms >= WatchdogSec"
og_finish
