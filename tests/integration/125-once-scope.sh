#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# --once with --scope reads the scope's processes only (issue 7): 300 idle processes in a group
# beside the scope, 10 inside. Under strace, the one decision opens files of the processes
# inside and of none outside (it lists the scope's cgroup.procs, not /proc).
. "$top_srcdir/tests/integration/lib.sh"

og_init oncescope 256
[ -x "$IDLERS" ] || og_skip "idlers not built"
command -v strace >/dev/null 2>&1 || og_skip "strace not installed"
out=$(og_outside_group oncescopeout 256) || exit 99
out_v2=$OG_V2ROOT/ogtest-oncescopeout-$$
# shellcheck disable=SC2016
sh -c 'echo $$ >"$1"; [ ! -d "$2" ] || [ "$1" = "$2/cgroup.procs" ] || echo $$ >"$2/cgroup.procs"; shift 2; exec "$@"' \
	sh "$out/cgroup.procs" "$out_v2" "$IDLERS" 300 --lifetime 600 >>"$OG_TMP/spawn.out" 2>&1 &
OG_PIDS="$OG_PIDS $!"
out_count() { wc -l <"$out/cgroup.procs"; }
og_wait_out() { [ "$(out_count)" -ge 301 ]; }
og_wait_until "$OG_DEADLINE" og_wait_out || og_fail "only $(out_count) outside processes started"
og_idlers 10
# LeakSanitizer cannot run under ptrace (an ASan build aborts at exit): no leak check here
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -qq -e trace=openat -o "$OG_TMP/strace.out" \
	"$OGD" --once --dry-run --scope="/$OG_CG" --config "$OG_TMP/og.conf" \
	--policy-dir "$OG_TMP/policy.d" --report-dir "$OG_TMP/reports" \
	--state-file "$OG_TMP/state" >"$OG_TMP/once.out" 2>&1 || og_fail "--once failed: $(tail -n 3 "$OG_TMP/once.out")"
# pids with a file opened under /proc/PID/ (or relative to the proc fd: "PID/stat")
opened=$(sed -n 's|.*openat([^"]*"\(/proc/\)\{0,1\}\([0-9][0-9]*\)/[a-z_]*".*|\2|p' "$OG_TMP/strace.out" | sort -u)
inside_n=0
outside_n=0
for p in $opened; do
	if grep -qx "$p" "$out/cgroup.procs"; then
		outside_n=$((outside_n + 1))
	elif grep -qx "$p" "$OG_MEMCG/cgroup.procs"; then
		inside_n=$((inside_n + 1))
	fi
done
[ "$inside_n" -ge 10 ] && og_ok "--once read $inside_n processes of the scope" ||
	og_fail "--once read $inside_n processes of the scope (want >= 10): the count is broken"
[ "$outside_n" -eq 0 ] && og_ok "--once read no process outside the scope ($(out_count) there)" ||
	og_fail "--once read $outside_n of the $(out_count) processes outside the scope"
og_finish
