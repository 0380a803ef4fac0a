#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# contrib/capture-fixture.sh: a live capture has the promised shape, re-capturing a committed
# fixture gives the same tree, bad files are skipped (not fatal), bad usage is refused.
set -u
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
cap=$top/contrib/capture-fixture.sh
tmp=$(mktemp -d /tmp/og-capture-XXXXXX) || exit 99
sleep 300 &
sp=$!
trap 'kill $sp 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do # until the forked shell has exec'd sleep
	[ "$(tr '\0' ' ' <"/proc/$sp/cmdline")" = "sleep 300 " ] && break
	sleep 0.1
done
fail() { echo "FAIL: $*" >&2; exit 1; }

# --- live
"$cap" --pids 4 --slabs 3 "$tmp/live" >/dev/null || fail "live capture exited $?"
L=$tmp/live
for f in proc/meminfo proc/vmstat proc/swaps proc/buddyinfo proc/zoneinfo proc/self/mountinfo \
	sys/devices/system/node/node0/meminfo; do
	[ -s "$L/$f" ] || fail "live: '$f' missing or empty"
done
[ -L "$L/proc/mounts" ] || fail "live: proc/mounts is not a symlink"
grep -q '^processes: 4 ' "$L/README" || fail "live: README: $(grep processes "$L/README")"
# pid 2 (kthreadd) first, no exe for it; some user process has exe as a symlink
[ -f "$L/proc/2/stat" ] || fail "live: kthreadd not captured"
[ ! -e "$L/proc/2/exe" ] && [ ! -L "$L/proc/2/exe" ] || fail "live: kthread with an exe"

# --- live, chosen processes: our own sleep, its exe recorded as a symlink with the same target
"$cap" --pid "$sp" --kthreads 1 --slabs 0 --cgroups tree --cgroup-depth 0 "$tmp/one" >/dev/null ||
	fail "--pid capture exited $?"
grep -q "^processes: 2 (2 $sp)" "$tmp/one/README" || fail "--pid: $(grep processes "$tmp/one/README")"
[ -L "$tmp/one/proc/$sp/exe" ] || fail "--pid: exe is not a symlink"
[ "$(readlink "$tmp/one/proc/$sp/exe")" = "$(readlink "/proc/$sp/exe")" ] || fail "--pid: exe target"
[ -z "$(find "$tmp/one/sys/fs/cgroup" -mindepth 2 -type d)" ] || fail "--cgroup-depth 0: subgroups"
[ -n "$(ls "$tmp/one/sys/fs/cgroup"/*/cgroup.procs "$tmp/one/sys/fs/cgroup/cgroup.procs" 2>/dev/null)" ] ||
	fail "--cgroups tree: no hierarchy root captured"
cmp "$tmp/one/proc/$sp/cmdline" "/proc/$sp/cmdline" || { od -c "$tmp/one/proc/$sp/cmdline"; od -c /proc/$sp/cmdline; fail "--pid: cmdline differs"; }
# mountinfo keeps only what the guardian reads
awk '{ for (i = 7; $i != "-"; i++); t = $(i + 1)
	if (!($5 == "/" || t == "proc" || t == "sysfs" || t ~ /^cgroup2?$/ || $5 == "/sys/fs/cgroup"))
		{ print; bad = 1 } } END { exit bad }' "$L/proc/self/mountinfo" ||
	fail "live: unexpected mounts kept"
# the 3 largest slab caches, each resolvable to a directory holding reclaim_account
n=0
for s in "$L"/sys/kernel/slab/*; do
	case "${s##*/}" in :*) continue ;; esac
	n=$((n + 1))
	[ -f "$s/reclaim_account" ] || fail "live: slab '${s##*/}' without reclaim_account"
done
[ "$n" -eq 3 ] || fail "live: $n slab caches, expected 3"
# cgroup files of the captured processes' cgroups, write-only ones as empty placeholders
mi=$(ls "$L"/sys/fs/cgroup/*/memory.pressure "$L"/sys/fs/cgroup/memory.pressure 2>/dev/null | head -n1)
[ -n "$mi" ] && [ -s "$mi" ] || fail "live: no cgroup2 memory.pressure"

# --- round trip: a fixture re-captured from itself is the same tree
fx=$top/tests/fixtures/this-host
"$cap" --source "$fx" --pids 100 --kthreads 2 "$tmp/rt" >/dev/null || fail "round trip exited $?"
diff -r --no-dereference -x README "$fx" "$tmp/rt" || fail "round trip differs"

# --- a file that cannot be read is skipped and listed, the rest is captured
cp -a "$top/tests/fixtures/zram-host" "$tmp/src"
rm "$tmp/src/proc/vmstat" && mkdir "$tmp/src/proc/vmstat"
"$cap" --source "$tmp/src" "$tmp/bad" >/dev/null || fail "capture with a bad file exited $?"
[ ! -e "$tmp/bad/proc/vmstat" ] || fail "bad: unreadable vmstat captured"
grep -q '^  /proc/vmstat: unreadable' "$tmp/bad/README" || fail "bad: skip not listed"
[ -s "$tmp/bad/proc/meminfo" ] && [ -s "$tmp/bad/sys/block/zram10/mm_stat" ] ||
	fail "bad: the rest was not captured"

# --- usage
"$cap" --bogus "$tmp/x" >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown option not refused"
"$cap" --pids x "$tmp/x" >/dev/null 2>&1; [ $? -ne 0 ] || fail "--pids x accepted"
"$cap" --source "$fx" "$tmp/rt" >/dev/null 2>&1; [ $? -eq 1 ] || fail "non-empty OUTDIR reused"
"$cap" --source /nonexistent "$tmp/y" >/dev/null 2>&1; [ $? -eq 1 ] || fail "bad --source"
echo "capture-fixture: ok"
