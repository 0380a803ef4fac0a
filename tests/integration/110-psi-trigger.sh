#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The PSI trigger on the scope's cgroup2 memory.pressure wakes the loop: a process that keeps
# rewriting a shared file mapping twice the group's limit stalls on reclaim and writeback
# (memory pressure without an OOM). The trigger must fire ("woken by psi") and the window
# fallback must have been logged at most once. Then, with no stage conditioned on pressure
# (PressureSomeAbove= and PressureFullAbove= empty) and the memory rungs far below, the same
# wake-ups must take no step: a snapshot would decide nothing (pol_psi_quiet).
. "$top_srcdir/tests/integration/lib.sh"

og_init psi 128
[ -r "$OG_V2CG/memory.pressure" ] || og_skip "no memory.pressure (kernel without PSI)"
og_start_daemon
og_spawn "$HOG" --mmap-file "$OG_TMP/thrash" --max 256 --lifetime 180
thrash=$OG_PID
og_wait_log 'woken by psi'
kill -9 "$thrash"
og_wait_gone "$thrash" 30
grep -q 'debug: PSI triggers armed on' "$OG_TMP/daemon.log" && og_ok "PSI triggers armed" ||
	og_fail "PSI triggers not armed"
grep -q 'woken by psi' "$OG_TMP/daemon.log" && og_ok "woken by the PSI trigger" ||
	og_fail "no PSI wake-up in $OG_DEADLINE s ($(tr '\n' ' ' <"$OG_V2CG/memory.pressure"))"
n=$(grep -c 'needs 2 s windows' "$OG_TMP/daemon.log")
[ "$n" -le 1 ] && og_ok "window fallback logged $n time(s)" ||
	og_fail "window fallback logged $n times"

kill -TERM "$OG_DPID"
wait "$OG_DPID"
OG_DPID=
mv "$OG_TMP/daemon.log" "$OG_TMP/daemon-1.log"
cat >"$OG_TMP/og.conf" <<-EOF
[Reclaim]
MemoryAvailableBelow=4%
PressureSomeAbove=
[Throttle]
MemoryAvailableBelow=3%
PressureSomeAbove=
PressureFullAbove=
[Terminate]
MemoryAvailableBelow=2%
PressureFullAbove=
[Kill]
MemoryAvailableBelow=1%
PressureFullAbove=
EOF
og_start_daemon
og_spawn "$HOG" --mmap-file "$OG_TMP/thrash" --max 256 --lifetime 180
thrash=$OG_PID
og_wait_log "under every stage's limit: no step"
quiet=$(grep -c "under every stage's limit: no step" "$OG_TMP/daemon.log")
steps=$(sed -n '/woken by psi/,$p' "$OG_TMP/daemon.log" | grep -c 'debug: step: ')
kill -9 "$thrash"
og_wait_gone "$thrash" 30
[ "$quiet" -ge 1 ] && [ "$steps" = 0 ] &&
	og_ok "no pressure condition: $quiet PSI wake-up(s) took no step" ||
	og_fail "no pressure condition: $quiet quiet wake-ups, $steps steps after the first"
[ "$(og_oom_kills)" = 0 ] || og_fail "kernel OOM killer fired"
og_finish
