#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A safe demo of oomguardiand acting: a 512 MiB memory cgroup of its own, the daemon guarding
# only that group, a protected process and an allocator in it. Prints what the daemon logged at
# NOTICE and the report it left, then removes everything. Needs root and a build:
#   contrib/demo-cgroup.sh [BUILDDIR]        (default: ./build)
set -u
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
top_builddir=$(cd "${1:-$top_srcdir/build}" && pwd) || exit 2
export top_srcdir top_builddir
[ -x "$top_builddir/tests/integration/memhog" ] ||
	(cd "$top_builddir" && make -s tests/integration/memhog) || exit 2
. "$top_srcdir/tests/integration/lib.sh"

og_init demo 512
printf '[Match]\nName=ogprot\nExe=*/memhog\n[Policy]\nProtect=yes\n' >"$OG_TMP/policy.d/10-demo.policy"
echo "cgroup: $OG_MEMCG (limit 512 MiB); ladder: $(grep -c Below "$OG_TMP/og.conf") rungs," \
	"terminate below 30% available, kill below 20%"
og_spawn "$HOG" --name ogprot --max 100
echo "protected process 'ogprot' (pid $OG_PID) holds 100 MiB"
prot=$OG_PID
og_start_daemon
echo "oomguardiand (pid $OG_DPID) guards /$OG_CG; starting an allocator at 1 GiB/s ..."
og_spawn "$HOG" --ignore-term --rate 1024 --max 1024
og_wait_gone "$OG_PID" 10
echo
echo "--- what the daemon logged (NOTICE and up, self-test omitted) ---"
grep -E ': (notice|warning|error):' "$OG_TMP/daemon.log" | grep -v -e self-test -e libcgroup
echo
for f in "$OG_TMP"/reports/*-kill.json "$OG_TMP"/reports/*-term.json; do
	[ -f "$f" ] || continue
	echo "--- report $(basename "$f") ---"
	cat "$f"
done
echo
echo "kernel OOM kills in the group: $(og_oom_kills); protected process alive:" \
	"$(og_alive "$prot" && echo yes || echo no)"
og_finish
