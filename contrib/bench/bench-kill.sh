#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench-kill.sh: how well oomguardiand stops a fast allocator and a slow leak (a benchmark, not
# a test: it prints numbers, and exits 1 only if the kernel's OOM killer fired).
#
#   contrib/bench/bench-kill.sh [-n RUNS] [-i IDLE_SEC] [-b BUILDDIR]
#
# Each run creates its own memory cgroup (tests/integration/lib.sh: v1 group + cgroup2 twin on
# a hybrid host), a protected stand-in process in it, oomguardiand scoped to it, and a hog that
# ignores SIGTERM (so it always reaches the kill threshold):
#   fast  1536 MiB/s in a 512 MiB group
#   slow    20 MiB/s in a 256 MiB group
# The ladder: terminate below 30% available, kill below 20%, TermGraceSec=10s (long, so the
# SIGKILL comes from the kill threshold, not from the grace running out).
# Then the daemon runs IDLE_SEC (60) guarding the whole machine in --dry-run, for its idle CPU
# time (utime+stime from /proc/PID/stat) and its RSS.
# Needs root and a build (default: the source tree; -b for a separate build directory).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/../.." && pwd)
top_builddir=$top_srcdir
runs=5
idle=60
while getopts "n:i:b:h" o; do
	case $o in
	n) runs=$OPTARG ;;
	i) idle=$OPTARG ;;
	b) top_builddir=$(cd "$OPTARG" && pwd) ;;
	*) sed -n '3,20p' "$0"; exit 2 ;;
	esac
done
export top_srcdir top_builddir
# shellcheck source=lib-bench.sh
. "$here/lib-bench.sh"
[ "$(id -u)" = 0 ] || { echo "bench-kill: needs root (creates cgroups)"; exit 2; }
[ -x "$top_builddir/oomguardiand" ] && [ -x "$top_builddir/tests/integration/memhog" ] ||
	{ echo "bench-kill: build first (make && make check TESTS=), or pass -b BUILDDIR"; exit 2; }
results=$(mktemp /tmp/ogbench-$$.XXXXXX)
trap 'rm -f "$results"' EXIT

# one_run SCENARIO N LIMIT_MIB RATE STANDIN_MIB: appends one line to $results:
#   scenario oom_kills killed_by_us protected_ok since_kill_threshold_usec elapsed_usec freed
one_run() (
	# shellcheck source=../../tests/integration/lib.sh
	. "$top_srcdir/tests/integration/lib.sh"
	og_init "b$1$2" "$3"
	sed -i 's/^TermGraceSec=.*/TermGraceSec=10s/' "$OG_TMP/og.conf"
	printf '[Match]\nName=ogprot\n[Policy]\nProtect=yes\n' >"$OG_TMP/policy.d/10-standin.policy"
	og_spawn "$HOG" --name ogprot --max "$5"
	prot=$OG_PID
	og_start_daemon
	before=$(og_oom_kills)
	og_spawn "$HOG" --ignore-term --rate "$4" --chunk 4 --max 2048
	hog=$OG_PID
	og_wait_gone "$hog" 60
	sleep 0.3
	kills=$(($(og_oom_kills) - before))
	f=
	for r in "$OG_TMP"/reports/*-kill.json; do
		[ -f "$r" ] && [ "$(og_report_get "$r" pid)" = "$hog" ] && f=$r
	done
	ours=0
	cross=-
	el=-
	freed=-
	if [ -n "$f" ] && [ "$(og_report_get "$f" exited)" = yes ]; then
		ours=1
		cross=$(og_report_get "$f" since_kill_threshold_usec)
		el=$(og_report_get "$f" elapsed_usec)
		freed=$(og_report_get "$f" freed_bytes)
	fi
	og_alive "$prot" && p=1 || p=0
	echo "$1 $kills $ours $p $cross $el $freed" >>"$results"
	OG_FAILED=0
)

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print a[(NR + 1) / 2]; else print int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
maxof() { sort -n | tail -n 1; }

for s in fast slow; do
	for i in $(seq "$runs"); do
		if [ "$s" = fast ]; then
			one_run fast "$i" 512 1536 128 >/dev/null 2>&1
		else
			one_run slow "$i" 256 20 64 >/dev/null 2>&1
		fi
		tail -n 1 "$results" | awk '{ printf "  %s run: kernel OOM kills %s, killed by us %s, protected alive %s, threshold->exit %s us\n", $1, $2, $3, $4, $5 }'
	done
done

echo
printf '%-6s %5s %11s %11s %11s %19s %19s %12s\n' scen runs kernel_oom killed_by_us protected \
	"thr->exit med (ms)" "thr->exit max (ms)" "freed med"
total_oom=0
for s in fast slow; do
	lines=$(awk -v s=$s '$1 == s' "$results")
	n=$(echo "$lines" | grep -c .)
	oom=$(echo "$lines" | awk '{ t += $2 } END { print t + 0 }')
	ours=$(echo "$lines" | awk '{ t += $3 } END { print t + 0 }')
	prot=$(echo "$lines" | awk '{ t += $4 } END { print t + 0 }')
	med=$(echo "$lines" | awk '$5 != "-" { print $5 }' | median)
	max=$(echo "$lines" | awk '$5 != "-" { print $5 }' | maxof)
	fmed=$(echo "$lines" | awk '$7 != "-" { print $7 }' | median)
	total_oom=$((total_oom + oom))
	ms() { [ "$1" = - ] || [ -z "$1" ] && echo - || awk -v u="$1" 'BEGIN { printf "%.1f", u / 1000 }'; }
	mib() { [ "$1" = - ] || [ -z "$1" ] && echo - || awk -v b="$1" 'BEGIN { printf "%.0f MiB", b / 1048576 }'; }
	printf '%-6s %5s %11s %11s %11s %19s %19s %12s\n' "$s" "$n" "$oom" "$ours/$n" "$prot/$n" \
		"$(ms "$med")" "$(ms "$max")" "$(mib "$fmed")"
done

# Idle cost: the whole machine, dry-run, default ladder and the vendor policies.
echo
echo "idle: guarding the whole machine in --dry-run for $idle s ..."
tmp=$(mktemp -d /tmp/ogbench-idle-$$.XXXXXX)
bench_machine_daemon "$tmp"
sleep 2 # start-up (self-test, first rescan) is not idle time
read -r cpu rss ticks < <(bench_cpu_window "$BENCH_DPID" "$idle")
kill -TERM "$BENCH_DPID"
wait "$BENCH_DPID" 2>/dev/null
rm -rf "$tmp"
echo "daemon CPU time idle: $cpu ms per minute ($ticks ticks in $idle s)"
echo "daemon RSS: $rss KiB"
echo
echo "kernel OOM kills, all scenarios: $total_oom"
[ "$total_oom" = 0 ]
