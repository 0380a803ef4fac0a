#!/usr/bin/env bash
# Benchmark (not a test): how long one full `oomguardianctl snapshot` takes with ~N live
# processes on this machine, and the command's peak RSS. The extra processes are `sleep`s
# started here, inside a memory cgroup of our own (limit 1 GiB), and ended by pid afterwards.
#   contrib/bench/bench-snapshot.sh [BUILDDIR] [NPROCS] [RUNS]
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
builddir=${1:-$top/build}
nprocs=${2:-5000}
runs=${3:-10}
ctl="$builddir/oomguardianctl"
[ -x "$ctl" ] || { echo "build first: $ctl missing" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "needs root (memory cgroup)" >&2; exit 1; }

cg=/sys/fs/cgroup/memory/ogtest-bench-$$
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for _ in $(seq 300); do # the sleeps are not our children: wait for the group to empty
		[ -s "$cg/cgroup.procs" ] || break
		sleep 0.1
	done
	[ -d "$cg" ] && rmdir "$cg" 2>/dev/null || true
}
trap cleanup EXIT

mkdir "$cg"
echo $((1 << 30)) >"$cg/memory.limit_in_bytes"
before=$(ls /proc | grep -c '^[0-9]')
# A subshell moves itself into the group so only the sleeps (its children) are charged there.
pidfile=$(mktemp)
(
	echo "$BASHPID" >"$cg/cgroup.procs"
	for ((i = 0; i < nprocs; i++)); do
		sleep 3600 &
		echo $!
	done
) >"$pidfile"
mapfile -t pids <"$pidfile"
rm -f "$pidfile"
sleep 1
live=$(ls /proc | grep -c '^[0-9]')
echo "processes: $live live ($before before, $nprocs started in $cg)"

times=()
for ((i = 0; i < runs; i++)); do
	t0=$(date +%s%N)
	"$ctl" snapshot >/dev/null
	t1=$(date +%s%N)
	times+=($(((t1 - t0) / 1000)))
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
median=$(sed -n "$(((runs + 1) / 2))p" <<<"$sorted")
max=$(tail -n1 <<<"$sorted")
min=$(head -n1 <<<"$sorted")
rss=$(/usr/bin/time -f %M "$ctl" snapshot 2>&1 >/dev/null | tail -n1)
rss_json=$(/usr/bin/time -f %M "$ctl" snapshot --json 2>&1 >/dev/null | tail -n1)
echo "snapshot wall time over $runs runs: median ${median} us, min ${min} us, max ${max} us"
echo "snapshot peak RSS: ${rss} KiB (text), ${rss_json} KiB (--json)"
