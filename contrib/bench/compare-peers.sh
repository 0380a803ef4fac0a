#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# compare-peers.sh: oomguardiand side by side with the peers that can run on this machine, on the
# same scenarios (a benchmark, not a test: it prints what it observed and exits 0 unless it
# could not run at all).
#
#   contrib/bench/compare-peers.sh [-n RUNS] [-i IDLE_SEC] [BUILDDIR]
#
#   BUILDDIR      a configured and built tree (default ./build): oomguardiand and
#                 tests/integration/memhog (made here if missing)
#   -n / RUNS     hog runs per guardian (default 3)
#   -i / IDLE_SECONDS   length of the idle measurement (default 60)
#   PEERS_DIR     a directory with earlyoom/ and nohang/ already extracted (dpkg -x); without
#                 it the Debian packages are fetched with `apt-get download` into a temp dir
#                 and extracted there: nothing is installed, no package script runs.
#
# Peers only ever run in a dry run: earlyoom --dryrun; nohang 0.2 has no dry-run option, so it
# runs under a small Python shim that replaces os.kill (for other pids) with a log line
# "DRYRUN: would send signal" and refuses to run commands; its config has no soft actions and
# no post-kill command. oomguardiand acts for real only inside its --scope (the test group).
#
# 1. hog: for each of oomguardiand (--scope the test group), earlyoom --dryrun, nohang (dry),
#    none: a 512 MiB memory group (tests/integration/lib.sh: v1 group + cgroup2 twin), the
#    guardian started, a hog allocating 1.5 GiB/s up to 1 GiB in the group. Recorded: the
#    group's kernel OOM kill counter delta, what the guardian did (or would have done, from its
#    log), the time from the hog's start to its death, the signal it died of.
# 2. idle: the three guardians at once, each guarding the whole machine in dry-run (oomguardiand
#    with the shipped policy/vendor config and policies), IDLE_SEC seconds after a 3 s start-up:
#    CPU time (all threads' /proc/PID/task/*/schedstat; else utime+stime of /proc/PID/stat) in
#    ms per minute, VmRSS and VmHWM.
# Needs root (creates cgroups). Every process it starts is ended by pid, every group removed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/../.." && pwd)
runs=${RUNS:-3}
idle=${IDLE_SECONDS:-60}
while getopts "n:i:h" o; do
	case $o in
	n) runs=$OPTARG ;;
	i) idle=$OPTARG ;;
	*) sed -n '3,30p' "$0"; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
top_builddir=$(cd "${1:-./build}" 2>/dev/null && pwd) ||
	{ echo "compare-peers: no build directory ${1:-./build}"; exit 2; }
export top_srcdir top_builddir
[ "$(id -u)" = 0 ] || { echo "compare-peers: needs root (creates cgroups)"; exit 2; }
[ -x "$top_builddir/oomguardiand" ] || { echo "compare-peers: build oomguardiand first"; exit 2; }
# shellcheck source=lib-bench.sh
. "$here/lib-bench.sh"
bench_need_memhog compare-peers

stale=$(find "$top_srcdir/guardian" "$top_srcdir/policy" "$top_srcdir/tests/integration" \
	-newer "$top_builddir/oomguardiand" \( -name '*.[ch]' -o -name lib.sh \) 2>/dev/null | head -n 1)
[ -z "$stale" ] || echo "warning: $stale is newer than $top_builddir/oomguardiand: run make there"
work=$(mktemp -d /tmp/ogpeers-$$.XXXXXX) || exit 2
results=$work/results
IDLE_PIDS=

alive() {
	[ -r "/proc/$1/stat" ] || return 1
	s=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$s" ] && [ "$s" != Z ] && [ "$s" != X ]
}

# stop PID: SIGTERM, SIGKILL after 3 s (only pids this script started)
stop() {
	alive "$1" || return 0
	kill -TERM "$1" 2>/dev/null
	i=0
	while alive "$1" && [ $i -lt 150 ]; do
		sleep 0.02
		i=$((i + 1))
	done
	alive "$1" && kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

cleanup() {
	for p in $IDLE_PIDS; do
		stop "$p"
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# --- the peers: fetched and extracted, never installed ---
peers=${PEERS_DIR:-$work/peers}
if [ -z "${PEERS_DIR:-}" ]; then
	mkdir -p "$work/dl" "$peers" && chmod 755 "$work" "$work/dl"
	for p in earlyoom nohang; do
		(cd "$work/dl" && apt-get download -q "$p" >/dev/null 2>&1) &&
			dpkg -x "$work/dl/${p}"_*.deb "$peers/$p" &&
			dpkg-deb -f "$work/dl/${p}"_*.deb Version >"$peers/$p.version" ||
			echo "note: could not fetch the Debian package $p (apt-get download)"
	done
fi
EARLYOOM=$peers/earlyoom/usr/bin/earlyoom
NOHANG=$peers/nohang/usr/sbin/nohang
[ -x "$EARLYOOM" ] || EARLYOOM=
[ -f "$NOHANG" ] && command -v python3 >/dev/null || NOHANG=

# nohang's dry run: os.kill() of any other pid only logs; no command may run.
cat >"$work/nohang-dry.py" <<'EOF'
import os, sys, runpy, subprocess
_kill = os.kill
def _dry_kill(pid, sig):
    if int(sig) == 0 or int(pid) == os.getpid():
        return _kill(pid, sig)
    print("DRYRUN: would send signal %d to pid %d" % (int(sig), int(pid)), flush=True)
class _NoPopen:
    def __init__(self, *a, **k):
        raise OSError("dry run: no commands")
subprocess.Popen = _NoPopen
os.kill = _dry_kill
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
EOF
if [ -n "$NOHANG" ]; then
	sed -e '/^@SOFT_ACTION/d' -e '/^@check_kmsg/d' -e 's/^post_kill_exe *=.*/post_kill_exe =/' \
		-e 's/^warning_exe *=.*/warning_exe =/' \
		-e 's/^low_memory_warnings_enabled *=.*/low_memory_warnings_enabled = False/' \
		-e 's/^post_action_gui_notifications *=.*/post_action_gui_notifications = False/' \
		-e 's/^separate_log *=.*/separate_log = False/' \
		"$peers/nohang/etc/nohang/nohang.conf" >"$work/nohang.conf"
fi

# start_peer NAME LOG: the peer in the background, guarding the whole machine in its dry run;
# its pid in PEER_PID once it says it runs (or after 10 s).
start_peer() {
	case $1 in
	earlyoom)
		"$EARLYOOM" --dryrun >"$2" 2>&1 &
		ready='dryrun mode enabled' ;;
	nohang)
		python3 -u "$work/nohang-dry.py" "$NOHANG" --monitor -c "$work/nohang.conf" >"$2" 2>&1 &
		ready='Monitoring has started' ;;
	esac
	PEER_PID=$!
	i=0
	while [ $i -lt 200 ] && ! grep -q "$ready" "$2" 2>/dev/null && alive "$PEER_PID"; do
		sleep 0.05
		i=$((i + 1))
	done
}

# what the peer did or would have done, from its log
peer_actions() {
	case $1 in
	oomguardiand) ls "$2"/reports/*-term.json "$2"/reports/*-kill.json 2>/dev/null |
		while read -r f; do og_report_get "$f" pid; done |
		grep -cx "$3" ;;
	earlyoom) grep -c 'sending SIG[A-Z]* to process' "$2/daemon.log" ;;
	nohang) grep -c '^DRYRUN: would send' "$2/daemon.log" ;;
	*) echo 0 ;;
	esac
}

# one_run GUARDIAN N: appends "guardian n oom_kills actions ms signal" to $results
one_run() (
	# shellcheck source=../../tests/integration/lib.sh
	. "$top_srcdir/tests/integration/lib.sh"
	og_init "c${1:0:4}$2" 512
	case $1 in
	oomguardiand) og_start_daemon ;;
	earlyoom | nohang)
		start_peer "$1" "$OG_TMP/daemon.log"
		OG_DPID=$PEER_PID
		og_alive "$OG_DPID" || { og_fail "$1 did not start"; cat "$OG_TMP/daemon.log"; } ;;
	esac
	sleep 0.5
	before=$(og_oom_kills)
	t0=$(now_ms)
	og_spawn "$HOG" --rate 1536 --chunk 8 --max 1024 --lifetime 30
	hog=$OG_PID
	wait "$hog"
	st=$?
	t1=$(now_ms)
	sleep 0.5 # the guardian's log of what it did
	kills=$(($(og_oom_kills) - before))
	acts=$(peer_actions "$1" "$OG_TMP" "$hog")
	if [ "$st" -gt 128 ]; then
		sig=SIG$(kill -l $((st - 128)))
	else
		sig="exit_$st"
	fi
	echo "$1 $2 $kills ${acts:-0} $((t1 - t0)) $sig" >>"$results"
	[ "$1" = oomguardiand ] || { og_alive "$OG_DPID" || og_fail "$1 died"; }
	# shellcheck disable=SC2034 # read by lib.sh's cleanup
	OG_FAILED=0
)

mem_kib() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
total=$(mem_kib MemTotal)
avail=$(mem_kib MemAvailable)
echo "machine: MemTotal $((total >> 10)) MiB, MemAvailable $((avail >> 10)) MiB," \
	"SwapTotal $(($(mem_kib SwapTotal) >> 10)) MiB, $(nproc) CPUs, kernel $(uname -r)"
[ -n "$EARLYOOM" ] && echo "earlyoom: $("$EARLYOOM" -v 2>&1 | head -n 1)" \
	"(Debian $(cat "$peers/earlyoom.version" 2>/dev/null)), default -m 10:" \
	"acts below $((total / 10 >> 10)) MiB available (machine-wide)"
[ -n "$NOHANG" ] && echo "nohang: $(cat "$peers/nohang.version" 2>/dev/null || echo '?')," \
	"soft threshold $(sed -n 's/^soft_threshold_min_mem *= *//p' "$work/nohang.conf")" \
	"of MemTotal (machine-wide), python3 $(python3 -c 'import sys; print(sys.version.split()[0])')"
echo

# --- 1. the hog ---
guardians="oomguardiand"
[ -n "$EARLYOOM" ] && guardians="$guardians earlyoom"
[ -n "$NOHANG" ] && guardians="$guardians nohang"
guardians="$guardians none"
echo "1. hog: 1536 MiB/s up to 1024 MiB in a 512 MiB group, $runs runs each"
for g in $guardians; do
	for i in $(seq "$runs"); do
		one_run "$g" "$i" >"$work/run.log" 2>&1
		last=$(tail -n 1 "$results" 2>/dev/null)
		case $last in
		"$g $i "*) echo "$last" | awk '{ printf "  %-12s run %s: kernel OOM kills %s, " \
			"actions %s, hog dead after %s ms (%s)\n", $1, $2, $3, $4, $5, $6 }' ;;
		*) echo "  $g run $i: no result"; sed 's/^/    /' "$work/run.log" | tail -n 20 ;;
		esac
	done
done

# --- 2. idle cost ---
echo
echo "2. idle: each guardian watching the whole machine in its dry run, $idle s ..."
mkdir -p "$work/idle/reports"
"$top_builddir/oomguardiand" --dry-run --config "$top_srcdir/policy/vendor/oomguardian.conf" \
	--policy-dir "$top_srcdir/policy/vendor" --report-dir "$work/idle/reports" \
	--state-file "$work/idle/state" >"$work/idle/oomguardiand.log" 2>&1 &
ipid_oomguardiand=$!
IDLE_PIDS=$ipid_oomguardiand
idlers=oomguardiand
for p in earlyoom nohang; do
	[ "$p" = earlyoom ] && [ -z "$EARLYOOM" ] && continue
	[ "$p" = nohang ] && [ -z "$NOHANG" ] && continue
	start_peer "$p" "$work/idle/$p.log"
	eval "ipid_$p=$PEER_PID"
	IDLE_PIDS="$IDLE_PIDS $PEER_PID"
	idlers="$idlers $p"
done
sleep 3 # start-up is not idle time
# CPU time in ns: all threads' schedstat (exact), else utime+stime ticks of /proc/PID/stat
if [ -r /proc/self/schedstat ]; then
	cpu_unit=schedstat
	cpu_ns() {
		cat /proc/"$1"/task/*/schedstat 2>/dev/null |
			awk '{ t += $1 } END { if (NR) printf "%d\n", t }'
	}
else
	cpu_unit="stat ticks"
	cpu_ns() {
		awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%d\n", ($12 + $13) * 1e9 / hz }' \
			"/proc/$1/stat" 2>/dev/null
	}
fi
pid=
for p in $idlers; do
	eval "pid=\$ipid_$p"
	eval "t0_$p=$(cpu_ns "$pid")"
done
forks0=$(awk '$1 == "processes" { print $2 }' /proc/stat)
sleep "$idle" & # in the background: a signal's trap runs at once, not after the sleep
IDLE_PIDS="$IDLE_PIDS $!"
wait $!
for p in $idlers; do
	eval "pid=\$ipid_$p"
	eval "t0=\$t0_$p"
	t1=$(cpu_ns "$pid")
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
	hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
	if [ -z "$t1" ] || [ -z "$t0" ]; then
		echo "idle $p - - - -" >>"$results"
		echo "  $p: died during the idle run"
		continue
	fi
	echo "idle $p $((t1 - t0)) $rss $hwm" >>"$results"
	stop "$pid"
done
IDLE_PIDS=
forks=$(($(awk '$1 == "processes" { print $2 }' /proc/stat) - forks0))

# --- the table ---
echo
echo "=== hog in a 512 MiB group (1536 MiB/s, up to 1 GiB), $runs runs each ==="
printf '%-13s %-18s %-22s %-20s %s\n' guardian "kernel OOM kills" "guardian acted" \
	"hog death med (ms)" "hog died of"
for g in $guardians; do
	awk -v g="$g" -v runs="$runs" '
	$1 == g { n++; oom += $3; if ($4 > 0) act++; t[n] = $5; sig[$6]++ }
	END {
		if (n == 0) { printf "%-13s no result\n", g; exit }
		for (i = 1; i <= n; i++)
			for (j = i + 1; j <= n; j++)
				if (t[j] < t[i]) { x = t[i]; t[i] = t[j]; t[j] = x }
		med = n % 2 ? t[(n + 1) / 2] : (t[n / 2] + t[n / 2 + 1]) / 2
		verb = (g == "oomguardiand") ? "acted" : (g == "none") ? "-" : "would act"
		s = ""; for (k in sig) s = s (s == "" ? "" : ", ") sig[k] "x " k
		printf "%-13s %-18s %-22s %-20s %s\n", g, oom " in " n " runs", \
			(g == "none") ? "-" : (act + 0) "/" n " " verb, med " (" t[1] "-" t[n] ")", s
	}' "$results"
done
echo
echo "=== idle, whole machine, dry run, $idle s (CPU from $cpu_unit) ==="
printf '%-13s %-22s %-12s %s\n' guardian "CPU ms per minute" "VmRSS KiB" "VmHWM KiB"
awk -v s="$idle" '$1 == "idle" {
	cpu = ($3 == "-") ? "-" : sprintf("%.1f", $3 / 1e6 * 60 / s)
	printf "%-13s %-22s %-12s %s\n", $2, cpu, $4, $5 }' "$results"
echo "(the machine started $forks processes meanwhile, $((forks / idle))/s: oomguardiand follows" \
	"process events, the peers only poll memory)"
echo
echo "=== not measured here ==="
pid1=$(cat /proc/1/comm 2>/dev/null)
v2mem=no
for f in /sys/fs/cgroup/cgroup.controllers /sys/fs/cgroup/unified/cgroup.controllers; do
	grep -qw memory "$f" 2>/dev/null && v2mem=yes
done
nodes=$(ls -d /sys/devices/system/node/node[0-9]* 2>/dev/null | wc -l)
[ "$pid1" = systemd ] && [ "$v2mem" = yes ] &&
	echo "systemd-oomd: could run here (PID 1 is systemd, cgroup2 has memory), not scripted yet" ||
	echo "systemd-oomd: needs systemd as PID 1 (here: $pid1) and the cgroup2 memory controller" \
		"(here: $v2mem); it acts on units' ManagedOOM* settings via systemd"
echo "oomd (Facebook): reads memory.current/memory.stat/memory.pressure of cgroup2 groups;" \
	"cgroup2 memory controller here: $v2mem, so its memory detectors and kill plugins have no input"
echo "lmkd (Android): needs Android (init, property service, the lmkd socket of the" \
	"ActivityManager); it does not run on a Linux distribution"
echo "senpai: sets memory.high from memory.pressure on cgroup2 (memory controller here: $v2mem);" \
	"it is a reclaim tuner, not a killer"
echo "numad: places processes across NUMA nodes, needs more than one (here: $nodes); it does not" \
	"kill, so a hog scenario shows nothing"
echo "machine-wide low memory (all guardians' main case): not run: it would mean exhausting" \
	"$((total >> 20)) GiB of a shared machine, outside any test group"
exit 0
