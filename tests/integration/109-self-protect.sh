#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Self-protection and the service manager protocol, on a scoped daemon: READY=1 and STATUS=
# reach $NOTIFY_SOCKET, WATCHDOG=1 keeps coming with no gap as long as WatchdogSec, the
# daemon's resident memory is locked (every resident page of it lies in a locked mapping, as
# /proc/PID/smaps says: VmLck alone counts mapped size, not resident pages), its own
# oom_score_adj is the lowest this machine lets it have (root here lacks CAP_SYS_RESOURCE: it
# cannot go below what it inherited) and it warns when that is not -1000, the debug log shows
# its RSS, and SIGTERM ends it with exit status 0 and STOPPING=1.
. "$top_srcdir/tests/integration/lib.sh"

sink="$top_builddir/tests/integration/notify_sink"
[ -x "$sink" ] || og_skip "notify_sink not built"
og_init selfprot 256
"$sink" "$OG_TMP/notify.sock" 300 >"$OG_TMP/notify.out" &
sinkpid=$!
OG_PIDS="$OG_PIDS $sinkpid"
og_wait_until "$OG_DEADLINE" test -S "$OG_TMP/notify.sock" || og_fail "notify_sink has no socket"
# The daemon starts at oom_score_adj 500 (raising needs no privilege), so that one which never
# lowers it is seen even where the floor is 0
real=$OGD
OGD=$OG_TMP/oomguardiand-adj500
printf '#!/bin/sh\necho 500 >/proc/self/oom_score_adj || exit 99\nexec %s "$@"\n' "$real" >"$OGD"
chmod +x "$OGD"
# 6 s watchdog (the unit has 20 s): sd-event pings after 1/2 to 3/4 of it, so a ping is due
# every 3-4.5 s and must arrive within 6 s of the last (what systemd would enforce). 2 s left
# too little: a step walking /proc on a loaded machine held the loop for 2.4 s
NOTIFY_SOCKET="$OG_TMP/notify.sock" WATCHDOG_USEC=6000000
export NOTIFY_SOCKET WATCHDOG_USEC
og_start_daemon
unset NOTIFY_SOCKET WATCHDOG_USEC
pings() { grep -c ' WATCHDOG=1' "$OG_TMP/notify.out"; }
pings_ge() { [ "$(pings)" -ge "$1" ]; }

# --- locked memory: every resident page of the daemon is in a VM_LOCKED mapping ("lo" in
# VmFlags), except in the kernel's special mappings, which mlock() skips
locked_kb() { awk '$1 == "Locked:" { print $2 }' "/proc/$OG_DPID/smaps_rollup"; }
unlocked_rss_kb() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { name = $6; rss = 0 }
	     $1 == "Rss:" { rss = $2 }
	     $1 == "VmFlags:" {
		if ($0 !~ / lo( |$)/ && name !~ /^\[(vdso|vvar|vvar_vclock|vsyscall)\]$/) {
			n += rss; if (rss && ++k <= 5) w = w " " name "(" rss ")"
		}
	     }
	     END { print n + 0 w }' "/proc/$OG_DPID/smaps"
}
if grep -q __asan_init "$real"; then
	og_ok "AddressSanitizer build: its mlockall() is a no-op, locked memory not checked"
else
	lck=$(awk '$1 == "VmLck:" { print $2 }' "/proc/$OG_DPID/status")
	res=$(locked_kb)
	set -- $(unlocked_rss_kb)
	unl=$1
	shift
	[ "${lck:-0}" -gt 0 ] || og_fail "VmLck is ${lck:-?}: no mapping is locked"
	[ "${res:-0}" -gt 0 ] && [ "$res" -le "${lck:-0}" ] &&
		og_ok "locked resident ${res} kB (smaps Locked:) of ${lck} kB locked mappings (VmLck)" ||
		og_fail "smaps Locked: ${res:-?} kB, VmLck ${lck:-?} kB"
	[ "$unl" = 0 ] && og_ok "no resident page outside a locked mapping" ||
		og_fail "$unl kB resident outside locked mappings:$*"
fi

# --- own oom_score_adj: what /proc says is what the daemon logged, and a sibling started like
# it cannot go one lower (it inherits the same floor: oom_score_adj_min), so it is the lowest
adj=$(cat "/proc/$OG_DPID/oom_score_adj")
[ "$adj" -lt 500 ] || og_fail "own oom_score_adj still $adj: not lowered from the 500 it began at"
grep -q "debug: own oom_score_adj set to $adj\\b" "$OG_TMP/daemon.log" &&
	og_ok "own oom_score_adj $adj, as logged" ||
	og_fail "own oom_score_adj is $adj, the log says: $(grep 'own oom_score_adj' "$OG_TMP/daemon.log")"
if [ "$adj" -gt -1000 ]; then
	if sh -c 'echo "$1" >/proc/self/oom_score_adj' sh $((adj - 1)) 2>/dev/null; then
		og_fail "a sibling can set oom_score_adj $((adj - 1)), the daemon stopped at $adj"
	else
		og_ok "$adj is the lowest this machine allows (a sibling cannot set $((adj - 1)))"
	fi
else
	og_ok "own oom_score_adj -1000"
fi
grep -q 'debug: own RSS ' "$OG_TMP/daemon.log" && og_ok "RSS logged at start" ||
	og_fail "no RSS in the debug log"

# --- the watchdog: wait for three pings (at least 9 s), then stop
og_wait_until "$OG_DEADLINE" pings_ge 3 || og_fail "only $(pings) WATCHDOG=1 in $OG_DEADLINE s"
kill -TERM "$OG_DPID"
wait "$OG_DPID"
rc=$?
[ "$rc" = 0 ] && og_ok "SIGTERM: exit 0" || og_fail "exit status $rc after SIGTERM"
grep -q 'SIGTERM: exiting' "$OG_TMP/daemon.log" || og_fail "no exit message"
OG_DPID=
# STOPPING=1 is sent before the exit: it is in the socket, the sink prints it soon
og_wait_until "$OG_DEADLINE" grep -q ' STOPPING=1' "$OG_TMP/notify.out" && og_ok "STOPPING=1" ||
	og_fail "no STOPPING=1"
kill "$sinkpid" 2>/dev/null
wait "$sinkpid" 2>/dev/null

grep -q ' READY=1' "$OG_TMP/notify.out" && og_ok "READY=1" || og_fail "no READY=1"
grep -q 'STATUS=stage none, available ' "$OG_TMP/notify.out" && og_ok "STATUS=" ||
	og_fail "no STATUS="
n=$(pings)
# no gap of a whole WatchdogSec between pings
gap=$(awk '/ WATCHDOG=1/ { if (p) { d = $1 - p; if (d > m) m = d } p = $1 } END { print m + 0 }' \
	"$OG_TMP/notify.out")
[ "$gap" -lt 6000 ] && og_ok "$n watchdog pings, largest gap ${gap} ms" ||
	og_fail "watchdog gap ${gap} ms >= WatchdogSec (6 s)"
og_finish
