# SPDX-License-Identifier: GPL-2.0-or-later
# lib-bench.sh: sourced by the benchmarks (bench-kill.sh, bench-scale.sh, bench-idle.sh,
# bench-numa-maps.sh, compare-peers.sh) for a daemon's CPU time and RSS. Needs top_srcdir and
# top_builddir.

# bench_need_memhog NAME: build tests/integration/memhog in top_builddir if it is missing (the
# test library wants it); on failure say so as NAME and exit 2.
bench_need_memhog() {
	[ -x "$top_builddir/tests/integration/memhog" ] ||
		make -s -C "$top_builddir" tests/integration/memhog >/dev/null ||
		{ echo "$1: cannot build tests/integration/memhog"; exit 2; }
}

# bench_ticks PID: utime + stime of PID in clock ticks.
bench_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# bench_forks: processes created on the host since boot (/proc/stat), for a measured start rate.
bench_forks() {
	awk '/^processes/ { print $2 }' /proc/stat
}

# bench_settle PID: wait (up to 120 s) until PID's CPU time stands still for a second, so that
# start-up (self-test, the first read of every process) is not counted as idle time.
bench_settle() {
	local prev=-1 cur i=0
	cur=$(bench_ticks "$1")
	while [ "$cur" != "$prev" ] && [ $i -lt 120 ]; do
		sleep 1
		prev=$cur
		cur=$(bench_ticks "$1")
		i=$((i + 1))
	done
}

# bench_cpu_window PID SECONDS: "MS_PER_MIN RSS_KIB TICKS" of PID over the next SECONDS.
bench_cpu_window() {
	local t0 t1 rss
	t0=$(bench_ticks "$1")
	sleep "$2"
	t1=$(bench_ticks "$1")
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$1/status")
	awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v s="$2" -v rss="$rss" \
		'BEGIN { printf "%.1f %d %d\n", d * 1000 / hz * 60 / s, rss, d }'
}

# bench_machine_daemon DIR: start a daemon guarding the whole machine in --dry-run with the
# vendor configuration and policies, its log, reports and state in DIR; its pid in BENCH_DPID.
bench_machine_daemon() {
	"$top_builddir/oomguardiand" --dry-run --config "$top_srcdir/policy/vendor/oomguardian.conf" \
		--policy-dir "$top_srcdir/policy/vendor" --report-dir "$1/reports" \
		--state-file "$1/state" >"$1/log" 2>&1 &
	BENCH_DPID=$!
}
