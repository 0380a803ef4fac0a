#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# suite-under-load.sh: run the whole test suite several times while `stress-ng --cpu N` keeps
# every core busy, to show that no test depends on timing (a proof run, not a test: it prints
# one line per run and a total, and exits 1 if any run had a failure).
#
#   contrib/bench/suite-under-load.sh [-n RUNS] [-c CPU_WORKERS] BUILDDIR
#
#   BUILDDIR  a configured and built tree (contrib/setup.sh build); `make check` runs there
#   -n        how many suite runs (default 5)
#   -c        stress-ng CPU workers (default: the number of cores)
#
# stress-ng runs inside a 256 MiB memory cgroup made here (tests/integration/lib.sh, the same
# helpers the tests use), and is ended by pid and the group removed on exit, even on failure.
# Each run's test-suite.log is kept as BUILDDIR/test-suite.under-load.K.log. Needs root and
# stress-ng (apt-get install stress-ng).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/../.." && pwd)
runs=5
workers=$(nproc)
while getopts "n:c:h" o; do
	case $o in
	n) runs=$OPTARG ;;
	c) workers=$OPTARG ;;
	*) sed -n '3,17p' "$0"; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { sed -n '3,17p' "$0"; exit 2; }
[ "$(id -u)" = 0 ] || { echo "suite-under-load: needs root"; exit 2; }
command -v stress-ng >/dev/null || { echo "suite-under-load: needs stress-ng"; exit 2; }
top_builddir=$(cd "$1" && pwd)
[ -f "$top_builddir/Makefile" ] || { echo "suite-under-load: $1 is not a configured tree"; exit 2; }
make -s -C "$top_builddir" >/dev/null || { echo "suite-under-load: $1 does not build"; exit 2; }
make -s -C "$top_builddir" tests/integration/memhog >/dev/null ||
	{ echo "suite-under-load: cannot build tests/integration/memhog"; exit 2; }
export top_srcdir top_builddir
# shellcheck source=../../tests/integration/lib.sh
. "$top_srcdir/tests/integration/lib.sh"
og_init underload 256 # stress-ng's group and $OG_TMP; the trap ends stress-ng and removes both

og_spawn stress-ng --cpu "$workers" --timeout 0 --quiet
echo "suite-under-load: stress-ng --cpu $workers (pid $OG_PID) in $OG_MEMCG; $runs runs of make check in $top_builddir"

bad=0
for k in $(seq "$runs"); do
	og_alive "$OG_PID" || { echo "suite-under-load: stress-ng is gone"; exit 1; }
	t0=$(date +%s)
	make -C "$top_builddir" check >"$OG_TMP/run$k.out" 2>&1
	rc=$?
	t1=$(date +%s)
	log=$top_builddir/test-suite.log
	[ -f "$log" ] && cp "$log" "$top_builddir/test-suite.under-load.$k.log"
	load=$(cut -d' ' -f1-3 /proc/loadavg)
	summary=$(sed -n 's/^# \(TOTAL\|PASS\|SKIP\|XFAIL\|FAIL\|XPASS\|ERROR\): */\1=/p' \
		"$OG_TMP/run$k.out" | tr '\n' ' ')
	printf 'run %d: make check exit %d in %d s, load %s: %s\n' "$k" "$rc" $((t1 - t0)) "$load" "$summary"
	if [ "$rc" != 0 ]; then
		bad=$((bad + 1))
		grep -E '^(FAIL|ERROR):' "$OG_TMP/run$k.out"
	fi
done
echo "suite-under-load: $((runs - bad)) of $runs runs green under stress-ng --cpu $workers"
[ "$bad" = 0 ]
