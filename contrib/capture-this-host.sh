#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# capture-this-host.sh OUTDIR: how tests/fixtures/this-host was made. Starts a small, known set
# of processes in cgroups of its own (v1 memory + cgroup2, as on the development machine):
# four "nova-api" workers, a "zookeeper" holding 96 MiB with oom_score_adj 500 and a process
# with a hostile comm ("a) R 1 (b c") holding 16 MiB; captures them with capture-fixture.sh
# (plus two kernel threads and the 30 largest slab caches), then stops them and removes the
# cgroups. Needs root and the hybrid cgroup layout (/sys/fs/cgroup/{memory,unified}).
set -u
TAG=ogtest-sys-$$
MEM=/sys/fs/cgroup/memory/$TAG
U2=/sys/fs/cgroup/unified/$TAG
BIN=/tmp/$TAG-bin
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	for d in $MEM/nova-api.service $MEM/zookeeper.service $MEM/batch.scope $MEM \
		 $U2/nova-api.service $U2/zookeeper.service $U2/batch.scope $U2; do
		[ -d "$d" ] && rmdir "$d"
	done
	rm -rf "$BIN"
}
trap cleanup EXIT
mkdir -p "$BIN" && cp /bin/sleep "$BIN/nova-api"
for d in $MEM $U2; do
	mkdir "$d" || exit 1
	for s in nova-api.service zookeeper.service batch.scope; do mkdir "$d/$s" || exit 1; done
done
echo $((1024 * 1024 * 1024)) > $MEM/memory.limit_in_bytes
echo $((256 * 1024 * 1024)) > $MEM/nova-api.service/memory.limit_in_bytes
echo $((512 * 1024 * 1024)) > $MEM/zookeeper.service/memory.limit_in_bytes
place() { echo "$1" > "$MEM/$2/cgroup.procs" && echo "$1" > "$U2/$2/cgroup.procs"; }
# Each child moves itself into its cgroup before exec, so every allocation is charged there.
spawn() { # cgroup cmd...
	local cg=$1; shift
	( place $BASHPID "$cg" && exec "$@" ) &
	PIDS+=($!)
}
for _ in 1 2 3 4; do spawn nova-api.service "$BIN/nova-api" 3600; done
spawn zookeeper.service python3 -c '
import time
open("/proc/self/comm", "w").write("zookeeper")
buf = bytearray(96 << 20)
for i in range(0, len(buf), 4096): buf[i] = 1
time.sleep(3600)'
spawn batch.scope python3 -c '
import time
open("/proc/self/comm", "w").write("a) R 1 (b c")
buf = bytearray(16 << 20)
for i in range(0, len(buf), 4096): buf[i] = 1
time.sleep(3600)'
sleep 2
echo 500 > /proc/${PIDS[4]}/oom_score_adj
args=()
for p in "${PIDS[@]}"; do args+=(--pid "$p"); done
"$(dirname "$0")/capture-fixture.sh" "${args[@]}" --kthreads 2 --slabs 30 "$@"
