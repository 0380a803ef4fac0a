#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench-idle.sh: what oomguardiand costs on a quiet machine and on one that starts processes
# (a benchmark, not a test: it prints what it measured and exits 0 unless it could not run).
#
#   contrib/bench/bench-idle.sh [-d SECONDS] [-r STARTS_PER_SEC] [-w WORKERS] BUILDDIR [BUILDDIR...]
#
#   BUILDDIR  a built tree with oomguardiand; several are measured one after the other (e.g.
#             a build of the previous commit beside the current one)
#   -d        length of each measurement window (default 30)
#   -r        process starts per second of the load (default 200): a loop running /bin/true
#             in batches every 100 ms, in a 640 MiB test group made here (tests/integration/
#             lib.sh: v1 memory group + cgroup2 twin, or one cgroup2 group), removed afterwards
#   -w        long-lived children forked by one process (a pre-forking server's workers,
#             memhog --children, default 2000; 0: no such window) in the same group: the
#             "forks" window starts with their fork, and the line after it says what each
#             cost the daemon beyond the idle window's rate (they are read as copies of
#             their parent, oomguardiand(8) "Process tracking")
#
# For each build: oomguardiand --dry-run with the shipped policy/vendor policies and config,
# 3 s start-up, then the window idle, then the window with the load, then the forks window. CPU is the sum over all of
# the daemon's threads of /proc/PID/task/*/schedstat (run time, ns), shown in ms per minute.
# The "starts/s" column is the machine's fork rate in the window (/proc/stat "processes"), so
# other activity on the machine shows. Needs root (the connector, cgroups). Only processes this
# script started are ended, by pid.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/../.." && pwd)
secs=30
rate=200
workers=2000
while getopts "d:r:w:h" o; do
	case $o in
	d) secs=$OPTARG ;;
	r) rate=$OPTARG ;;
	w) workers=$OPTARG ;;
	*) sed -n '3,25p' "$0"; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { sed -n '3,25p' "$0"; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench-idle: needs root"; exit 2; }
for b in "$@"; do
	[ -x "$b/oomguardiand" ] || { echo "bench-idle: no $b/oomguardiand"; exit 2; }
done
top_builddir=$(cd "$1" && pwd)
export top_srcdir top_builddir
# shellcheck source=lib-bench.sh
. "$here/lib-bench.sh"
bench_need_memhog bench-idle # the workers (and lib.sh wants it)
# shellcheck source=../../tests/integration/lib.sh
. "$top_srcdir/tests/integration/lib.sh"
# the group of the load and the workers (2,000 memhogs take ~400 MiB), $OG_TMP; the trap
# ends all we started and removes it
og_init benchidle 640

cpu_ns() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ t += $1 } END { printf "%d\n", t }'
}
forks() { awk '$1 == "processes" { print $2 }' /proc/stat; }

# the load: $rate / 10 runs of /bin/true every 100 ms, inside the test group
load_start() {
	# shellcheck disable=SC2016
	og_spawn bash -c 'while :; do for ((i = 0; i < $1; i++)); do /bin/true; done; sleep 0.1; done' \
		bash $((rate / 10))
	LPID=$OG_PID
}

# window LABEL [CMD...]: start CMD (if any), sleep $secs, print one result line for the
# running daemon; its CPU in ns is left in $wcpu, the window's length in ns in $wlen
window() {
	c0=$(cpu_ns "$DPID") f0=$(forks) t0=$(date +%s%N)
	label=$1
	shift
	[ $# -gt 0 ] && "$@"
	sleep "$secs"
	c1=$(cpu_ns "$DPID") f1=$(forks) t1=$(date +%s%N)
	og_alive "$DPID" || { echo "bench-idle: oomguardiand died, log:"; cat "$OG_TMP/log"; exit 1; }
	wcpu=$((c1 - c0)) wlen=$((t1 - t0))
	awk -v b="$build" -v l="$label" -v c=$wcpu -v f=$((f1 - f0)) -v t=$wlen \
		'BEGIN { printf "%-40s %-6s %10.1f %10.0f\n", b, l, c / 1e6 * 60e9 / t, f * 1e9 / t }'
}

# the workers: one memhog forking $workers children that wait, inside the test group
workers_start() {
	og_spawn "$HOG" --max 0 --children "$workers" --name ogworker --lifetime 600
}
no_workers() { ! pgrep -x ogworker >/dev/null; }

printf '%-40s %-6s %10s %10s\n' build window "CPU ms/min" "starts/s"
for b in "$@"; do
	build=$(cd "$b" && pwd)
	"$build/oomguardiand" --dry-run --config "$top_srcdir/policy/vendor/oomguardian.conf" \
		--policy-dir "$top_srcdir/policy/vendor" --report-dir "$OG_TMP/reports" \
		--state-file "$OG_TMP/state" >"$OG_TMP/log" 2>&1 &
	DPID=$!
	OG_DPID=$DPID # for the cleanup
	sleep 3
	window idle
	idle_cpu=$wcpu idle_len=$wlen
	load_start
	window load
	kill -TERM "$LPID" && og_wait_gone "$LPID" 3 || kill -KILL "$LPID"
	wait "$LPID" 2>/dev/null
	if [ "$workers" -gt 0 ]; then
		window forks workers_start
		n=$(pgrep -c -x ogworker)
		awk -v b="$build" -v n="$n" -v c=$wcpu -v l=$wlen -v ic="$idle_cpu" -v il="$idle_len" \
			'BEGIN { printf "%-40s forks: %d workers, %.1f us of CPU each beyond idle\n", b, n,
				n ? (c - ic * l / il) / 1e3 / n : 0 }'
		og_kill_group_tasks # the workers and their parent, all started here
		og_wait_until 30 no_workers
	fi
	kill -TERM "$DPID" && og_wait_gone "$DPID" 3 || kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null
	OG_DPID=
done
exit 0
