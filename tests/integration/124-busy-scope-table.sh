#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A scoped daemon's process table follows its scope only (issue 7): 1,500 idle processes in a
# group beside the scope before the start and 500 more after it (fork events), 20 inside. The
# start-up table and the table after the next rescan hold the scope's processes, not the
# machine's: the rescan walks the scope's cgroup.procs, and processes outside that an event
# made it read are dropped again.
. "$top_srcdir/tests/integration/lib.sh"

og_init scopetab 256
[ -x "$IDLERS" ] || og_skip "idlers not built"
out=$(og_outside_group scopeout 256) || exit 99
out_v2=$OG_V2ROOT/ogtest-scopeout-$$
# og_spawn_out N: N idlers in the group beside the scope
og_spawn_out() {
	# shellcheck disable=SC2016
	sh -c 'echo $$ >"$1"; [ ! -d "$2" ] || [ "$1" = "$2/cgroup.procs" ] || echo $$ >"$2/cgroup.procs"; shift 2; exec "$@"' \
		sh "$out/cgroup.procs" "$out_v2" "$IDLERS" "$1" --lifetime 600 >>"$OG_TMP/spawn.out" 2>&1 &
	OG_PIDS="$OG_PIDS $!"
}
out_count() { wc -l <"$out/cgroup.procs"; }
og_wait_out() { [ "$(out_count)" -ge "$1" ]; }

og_spawn_out 1500
og_wait_until "$OG_DEADLINE" og_wait_out 1501 || og_fail "only $(out_count) outside processes started"
og_idlers 20
inside=$(og_group_count)
og_start_daemon
og_wait_log "process table: [0-9]* processes (the scope's only)" 30 ||
	og_fail "no scoped process table line at start"
n=$(sed -n "s/.*process table: \([0-9]*\) processes (the scope's only).*/\1/p" "$OG_TMP/daemon.log" | head -n 1)
[ -n "$n" ] && [ "$n" -le $((inside + 5)) ] &&
	og_ok "start: $n processes in the table ($inside in the scope, $(out_count) beside it)" ||
	og_fail "start: $n processes in the table for $inside in the scope"

# new processes outside: fork events; the table reads them and lets them go
og_spawn_out 500
og_wait_until "$OG_DEADLINE" og_wait_out 2002 || og_fail "only $(out_count) outside processes started"
# the next rescan (LOOP_RESCAN_USEC, 30 s with the proc connector; 5 s without)
lines=$(grep -c "process table: [0-9]* processes (the scope's only)" "$OG_TMP/daemon.log")
og_rescan_line() {
	[ "$(grep -c "process table: [0-9]* processes (the scope's only)" "$OG_TMP/daemon.log")" -gt "$lines" ]
}
og_wait_until 90 og_rescan_line || og_fail "no rescan line within 90 s"
n=$(sed -n "s/.*debug: process table: \([0-9]*\) processes (the scope's only).*/\1/p" "$OG_TMP/daemon.log" | tail -n 1)
[ -n "$n" ] && [ "$n" -le $((inside + 5)) ] &&
	og_ok "after a rescan: $n processes in the table ($(out_count) beside the scope)" ||
	og_fail "after a rescan: $n processes in the table for $inside in the scope"
og_finish
