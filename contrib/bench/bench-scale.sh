#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench-scale.sh: does the path from a threshold crossing to SIGKILL stay flat as the host gets
# busy (issue 7)? A benchmark, not a test: it prints figures.
#
#   contrib/bench/bench-scale.sh [-n RUNS] [-i IDLE_SEC] [-p "100 1000 ..."] [-r RATE] [-m] [-b BUILDDIR]
#
# For each count of idle processes on the host (-p, default 100 1000 5000 10000 20000; they
# live in a memory cgroup of their own, ogbench-idle-$$, ~30 KiB each: tests/integration/idlers)
# and each hog, RUNS runs (default 10), each in a fresh test group with oomguardiand scoped to
# it (tests/integration/lib.sh), the hog ignoring SIGTERM (so the SIGKILL comes from the kill
# threshold; TermGraceSec=10s):
#   fast  1 GiB/s into a 512 MiB group
#   slow  300 MiB/s into a 150 MiB group
# per run: kernel OOM kills in the group, whether the hog was the victim, and from the report
# kill_threshold_to_sigkill_usec (the poll that saw available memory below the kill threshold
# to the SIGKILL). Then, per count, the daemon (scoped, same config) runs IDLE_SEC (60) idle
# and IDLE_SEC while RATE (-r, default 200) processes a second start on the host (fork + exec
# /bin/true + exit; the rate measured from /proc/stat is printed):
# its CPU time per minute (utime + stime) and its RSS. With -m, the same for a daemon guarding
# the whole machine (--dry-run, the vendor configuration and policies, as bench-kill.sh's idle
# figure): its table holds every process on the host. -n 0 runs no hog (CPU and RSS only).
# Needs root and a build (-b BUILDDIR, default the source tree).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/../.." && pwd)
top_builddir=$top_srcdir
runs=10
idle=60
counts="100 1000 5000 10000 20000"
machine=0
rate=200
while getopts "n:i:p:r:mb:h" o; do
	case $o in
	n) runs=$OPTARG ;;
	i) idle=$OPTARG ;;
	p) counts=$OPTARG ;;
	r) rate=$OPTARG ;;
	m) machine=1 ;;
	b) top_builddir=$(cd "$OPTARG" && pwd) ;;
	*) sed -n '3,23p' "$0"; exit 2 ;;
	esac
done
export top_srcdir top_builddir
# shellcheck source=lib-bench.sh
. "$here/lib-bench.sh"
[ "$(id -u)" = 0 ] || { echo "bench-scale: needs root (creates cgroups)"; exit 2; }
for b in oomguardiand tests/integration/memhog tests/integration/idlers; do
	[ -x "$top_builddir/$b" ] ||
		{ echo "bench-scale: build first (make && make check TESTS=), or pass -b BUILDDIR"; exit 2; }
done
IDL=$top_builddir/tests/integration/idlers
if [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
	memroot=/sys/fs/cgroup/memory
else
	memroot=/sys/fs/cgroup
fi
idle_cg=$memroot/ogbench-idle-$$
results=$(mktemp /tmp/ogbench-scale-$$.XXXXXX)
idle_pid=
rate_pid=

stop_idlers() {
	for p in $rate_pid $idle_pid; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $(cat "$idle_cg/cgroup.procs" 2>/dev/null); do
		kill -9 "$p" 2>/dev/null
	done
	wait 2>/dev/null
	idle_pid=
	rate_pid=
}
cleanup() {
	stop_idlers
	i=0
	while [ -d "$idle_cg" ] && ! rmdir "$idle_cg" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	rm -f "$results"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

mkdir -p "$idle_cg" || exit 1
if [ -f "$idle_cg/memory.limit_in_bytes" ]; then
	echo $((1536 << 20)) >"$idle_cg/memory.limit_in_bytes"
else
	echo $((1536 << 20)) >"$idle_cg/memory.max"
fi

# start_idlers N [RATE]: N idle processes (or, with RATE, a spawner) in the idle group.
start_idlers() {
	sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$idle_cg/cgroup.procs" "$IDL" "$@" \
		--lifetime 7200 >/dev/null 2>&1 &
	echo $!
}

wait_count() { # N: wait until the idle group holds at least N processes
	i=0
	while [ "$(wc -l <"$idle_cg/cgroup.procs")" -lt "$1" ] && [ $i -lt 1200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
}

# one_run COUNT SCEN RUN LIMIT_MIB RATE: one line in $results:
#   count scen oom_kills victim_right cross_to_sigkill_usec
one_run() (
	# shellcheck source=../../tests/integration/lib.sh
	. "$top_srcdir/tests/integration/lib.sh"
	og_init "s$1$2$3" "$4"
	sed -i 's/^TermGraceSec=.*/TermGraceSec=10s/' "$OG_TMP/og.conf"
	og_start_daemon
	before=$(og_oom_kills)
	og_spawn "$HOG" --ignore-term --name oghog --rate "$5" --chunk 4 --max 2048 --lifetime 60
	hog=$OG_PID
	og_wait_gone "$hog" 60
	og_wait_reports 5 kill term
	kills=$(($(og_oom_kills) - before))
	f=
	for g in $(og_reports kill); do
		[ "$(og_report_get "$g" pid)" = "$hog" ] && f=$g
	done
	right=0
	cross=-
	if [ -n "$f" ] && [ "$(og_report_get "$f" exited)" = yes ]; then
		right=1
		cross=$(og_report_get "$f" kill_threshold_to_sigkill_usec)
		[ -n "$cross" ] || cross=0 # SIGKILL in the same poll that saw the crossing
	fi
	for g in $(og_reports kill; og_reports term); do # a bystander named anywhere is wrong
		[ "$(og_report_get "$g" pid)" = "$hog" ] || right=0
	done
	echo "$1 $2 $kills $right $cross" >>"$results"
	OG_FAILED=0
)

# daemon_cpu SECONDS NAME: CPU ms per minute and RSS KiB of a scoped daemon over SECONDS.
daemon_cpu() ( # SECONDS NAME
	. "$top_srcdir/tests/integration/lib.sh"
	og_init "sidle$2" 256
	og_start_daemon
	# start-up (self-test, reading every process once) is not idle time
	og_wait_log 'process table complete' 300
	sleep 1
	fig=$(bench_cpu_window "$OG_DPID" "$1")
	echo "${fig% *}"
	OG_FAILED=0
)

# machine_cpu SECONDS: the same for a daemon guarding the whole machine in --dry-run.
machine_cpu() {
	local tmp fig
	tmp=$(mktemp -d /tmp/ogbench-mach-$$.XXXXXX)
	bench_machine_daemon "$tmp"
	bench_settle "$BENCH_DPID"
	fig=$(bench_cpu_window "$BENCH_DPID" "$1")
	kill -TERM "$BENCH_DPID"
	wait "$BENCH_DPID" 2>/dev/null
	rm -rf "$tmp"
	echo "${fig% *}"
}

pct() { # P: the P-th percentile (nearest rank) of the numbers on stdin
	sort -n | awk -v p="$1" '{ a[NR] = $1 } END { if (NR == 0) { print "-"; exit }
		k = int((p * NR + 99) / 100); if (k < 1) k = 1; print a[k] }'
}
ms() { [ "$1" = - ] && echo - || awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }

echo "bench-scale: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r)," \
	"$runs runs, idle $idle s"
declare -A cpu_idle cpu_busy rss_of m_idle m_busy m_rss
for n in $counts; do
	stop_idlers
	# what runs on the host besides: the idle group brings the total to about n
	others=$(ls -d /proc/[0-9]* 2>/dev/null | wc -l)
	want=$((n > others ? n - others : 0))
	idle_pid=$(start_idlers "$want")
	wait_count "$want"
	echo "== $n processes on the host ($want idle ones started, $others others)"
	for s in fast slow; do
		for i in $(seq "$runs"); do
			if [ "$s" = fast ]; then
				one_run "$n" fast "$i" 512 1024 >/dev/null 2>&1
			else
				one_run "$n" slow "$i" 150 300 >/dev/null 2>&1
			fi
			tail -n 1 "$results" | awk '{ printf "  %s run: kernel OOM kills %s, victim right %s, crossing->SIGKILL %s us\n", $2, $3, $4, $5 }'
		done
	done
	read -r c r < <(daemon_cpu "$idle" "i$n" 2>/dev/null)
	cpu_idle[$n]=$c
	rss_of[$n]=$r
	[ $machine = 1 ] && read -r m_idle[$n] m_rss[$n] < <(machine_cpu "$idle" 2>/dev/null)
	rate_pid=$(start_idlers 0 --rate "$rate")
	f0=$(bench_forks) s0=$(date +%s)
	read -r c r < <(daemon_cpu "$idle" "b$n" 2>/dev/null)
	cpu_busy[$n]=$c
	[ $machine = 1 ] && read -r m_busy[$n] r < <(machine_cpu "$idle" 2>/dev/null)
	starts=$((($(bench_forks) - f0) / ($(date +%s) - s0 + 1)))
	kill -TERM "$rate_pid" 2>/dev/null
	wait "$rate_pid" 2>/dev/null
	rate_pid=
	echo "  daemon: ${cpu_idle[$n]} ms CPU/min idle, ${cpu_busy[$n]} ms/min at $rate starts/s ($starts measured), RSS ${rss_of[$n]} KiB (load $(cut -d' ' -f1-3 /proc/loadavg))"
	[ $machine = 1 ] &&
		echo "  whole-machine daemon: ${m_idle[$n]} ms CPU/min idle, ${m_busy[$n]} ms/min at $rate starts/s, RSS ${m_rss[$n]} KiB"
done

echo
printf '%-7s %-5s %5s %11s %13s %14s %14s %12s %12s %9s\n' procs hog runs kernel_oom victim_right \
	"p50 ->KILL ms" "p99 ->KILL ms" "CPU idle/min" "CPU $rate/s" "RSS KiB"
for n in $counts; do
	for s in fast slow; do
		lines=$(awk -v n="$n" -v s="$s" '$1 == n && $2 == s' "$results")
		cnt=$(echo "$lines" | grep -c .)
		oom=$(echo "$lines" | awk '{ t += $3 } END { print t + 0 }')
		right=$(echo "$lines" | awk '{ t += $4 } END { print t + 0 }')
		p50=$(echo "$lines" | awk '$5 != "-" { print $5 }' | pct 50)
		p99=$(echo "$lines" | awk '$5 != "-" { print $5 }' | pct 99)
		printf '%-7s %-5s %5s %11s %13s %14s %14s %12s %12s %9s\n' "$n" "$s" "$cnt" "$oom" \
			"$right/$cnt" "$(ms "$p50")" "$(ms "$p99")" "${cpu_idle[$n]} ms" \
			"${cpu_busy[$n]} ms" "${rss_of[$n]}"
	done
done
first=${counts%% *}
last=${counts##* }
awk -v a="${rss_of[$first]}" -v b="${rss_of[$last]}" -v na="$first" -v nb="$last" 'BEGIN {
	if (nb > na) printf "RSS growth %d -> %d processes: %.0f bytes a process\n", na, nb, (b - a) * 1024 / (nb - na) }'
echo "kernel OOM kills, all runs: $(awk '{ t += $3 } END { print t + 0 }' "$results")"
