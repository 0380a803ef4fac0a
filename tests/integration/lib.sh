# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by tests/integration/1NN-*.sh: real kernel, real processes, each test in its own
# memory-limited cgroup that it creates and always removes (trap on EXIT, also on failure).
#
#   og_init NAME LIMIT_MIB      create ogtest-NAME-$$ (v1 memory group + cgroup2 twin, or one
#                               cgroup2 group with memory.max on a pure cgroup2 host), a temp dir
#                               with og.conf and policy.d/, and the cleanup trap
#   og_subgroup SUB             create a child group SUB in both hierarchies
#   og_spawn [-g SUB] CMD       start CMD inside the group (or its child SUB); pid in $OG_PID
#   og_start_daemon [ARGS]      oomguardiand scoped to the group (--scope, unless OG_SCOPE_ARG
#                               is set and empty), reports in $OG_TMP/reports
#   og_oom_kills                the kernel memcg OOM kill counter of the group
#   og_alive PID                true if PID runs (zombies count as gone)
#   og_wait_gone PID SECONDS    wait for PID to end; false on timeout
#   og_fail MSG                 record a failure (the test goes on, exits 1 at the end)
#   og_finish                   stop the daemon (SIGTERM must give exit 0); exit 0, or 1 if
#                               anything failed (the daemon log is printed then)
# Never more than 2 GiB per group; every process is ended by pid.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"

OGD="$top_builddir/oomguardiand"
HOG="$top_builddir/tests/integration/memhog"
OG_FAILED=0
OG_DPID=
OG_PID=
OG_PIDS=

og_skip() {
	echo "SKIP: $*"
	exit 77
}

og_fail() {
	echo "FAIL: $*"
	OG_FAILED=1
}

og_ok() {
	echo "ok: $*"
}

# Where the memory controller is: v1 (hybrid, this machine) or a pure cgroup2 with memory.
og_layout() {
	if [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
		OG_LAYOUT=v1
		OG_MEMROOT=/sys/fs/cgroup/memory
		OG_V2ROOT=/sys/fs/cgroup/unified
	elif grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
		OG_LAYOUT=v2
		OG_MEMROOT=/sys/fs/cgroup
		OG_V2ROOT=/sys/fs/cgroup
	else
		og_skip "no memory cgroup controller"
	fi
}

og_init() {
	name=$1
	limit_mib=$2
	[ "$(id -u)" = 0 ] || og_skip "needs root (creates cgroups)"
	[ -x "$OGD" ] || og_skip "oomguardiand not built"
	[ -x "$HOG" ] || og_skip "memhog not built"
	[ "$limit_mib" -le 2048 ] || { echo "refusing a limit above 2 GiB"; exit 99; }
	og_layout
	OG_CG=ogtest-$name-$$
	OG_MEMCG=$OG_MEMROOT/$OG_CG
	OG_V2CG=$OG_V2ROOT/$OG_CG
	OG_TMP=$(mktemp -d "/tmp/ogtest-$name-$$.XXXXXX") || exit 99
	trap og_cleanup EXIT
	trap 'exit 1' INT TERM HUP PIPE # a closed pipe (demo | head) must clean up too
	mkdir "$OG_MEMCG" || exit 99
	[ -d "$OG_V2CG" ] || mkdir "$OG_V2CG" || exit 99
	if [ "$OG_LAYOUT" = v1 ]; then
		echo $((limit_mib << 20)) >"$OG_MEMCG/memory.limit_in_bytes" || exit 99
	else
		echo $((limit_mib << 20)) >"$OG_MEMCG/memory.max" || exit 99
		echo 0 >"$OG_MEMCG/memory.swap.max" 2>/dev/null
	fi
	mkdir -p "$OG_TMP/policy.d" "$OG_TMP/reports"
	# The ladder in shares of the group's limit.
	cat >"$OG_TMP/og.conf" <<-EOF
	[Guardian]
	KillTimeoutSec=5s
	TermGraceSec=2s
	[Reclaim]
	MemoryAvailableBelow=50%
	[Throttle]
	MemoryAvailableBelow=40%
	[Terminate]
	MemoryAvailableBelow=30%
	[Kill]
	MemoryAvailableBelow=20%
	EOF
}

# og_outside_group NAME LIMIT_MIB: a second test group beside the scope (not inside it), with
# its own memory limit; its path (v1 memory, or cgroup2 on a pure cgroup2 host) is printed.
# Removed on exit like the scope.
og_outside_group() {
	[ "$2" -le 2048 ] || { echo "refusing a limit above 2 GiB" >&2; exit 99; }
	d=$OG_MEMROOT/ogtest-$1-$$
	mkdir -p "$d" || exit 99
	if [ "$OG_LAYOUT" = v1 ]; then
		mkdir -p "$OG_V2ROOT/ogtest-$1-$$" || exit 99
		echo $(($2 << 20)) >"$d/memory.limit_in_bytes" || exit 99
	else
		echo $(($2 << 20)) >"$d/memory.max" || exit 99
	fi
	echo "$d"
}

# Every test group of this test: the scope and the ones beside it.
og_all_groups() {
	echo "$OG_MEMCG" "$OG_V2CG"
	for d in "$OG_MEMROOT"/ogtest-*-$$ "$OG_V2ROOT"/ogtest-*-$$; do
		[ -d "$d" ] && [ "$d" != "$OG_MEMCG" ] && [ "$d" != "$OG_V2CG" ] && echo "$d"
	done
}

og_subgroup() {
	mkdir -p "$OG_MEMCG/$1" || exit 99
	[ -d "$OG_V2CG/$1" ] || mkdir -p "$OG_V2CG/$1" || exit 99
}

# og_spawn [-g SUB] CMD...: the command execs inside the group; output in $OG_TMP.
og_spawn() {
	sub=
	if [ "$1" = -g ]; then
		sub=/$2
		shift 2
	fi
	mem=$OG_MEMCG$sub/cgroup.procs
	v2=$OG_V2CG$sub/cgroup.procs
	# shellcheck disable=SC2016
	sh -c 'echo $$ >"$1"; [ "$1" = "$2" ] || echo $$ >"$2"; shift 2; exec "$@"' \
		sh "$mem" "$v2" "$@" >>"$OG_TMP/spawn.out" 2>&1 &
	OG_PID=$!
	OG_PIDS="$OG_PIDS $OG_PID"
	# wait until it is in the group (and has exec'd)
	i=0
	while [ $i -lt 50 ] && ! grep -qx "$OG_PID" "$mem" 2>/dev/null; do
		sleep 0.02
		i=$((i + 1))
	done
}

og_start_daemon() {
	# OG_SCOPE_ARG= (empty): no --scope, the config's Scope= must say it
	"$OGD" --debug ${OG_SCOPE_ARG---scope=/$OG_CG} --config "$OG_TMP/og.conf" --policy-dir "$OG_TMP/policy.d" \
		--report-dir "$OG_TMP/reports" --state-file "$OG_TMP/state" "$@" \
		>"$OG_TMP/daemon.log" 2>&1 &
	OG_DPID=$!
	i=0
	# generous: the start-up self-test takes a full snapshot, seconds on a loaded machine
	while [ $i -lt 600 ]; do
		grep -q 'notice: guarding' "$OG_TMP/daemon.log" && return 0
		og_alive "$OG_DPID" || break
		sleep 0.05
		i=$((i + 1))
	done
	og_fail "daemon did not start"
	cat "$OG_TMP/daemon.log"
	exit 1
}

og_oom_kills() {
	if [ "$OG_LAYOUT" = v1 ]; then
		awk '$1 == "oom_kill" { print $2 }' "$OG_MEMCG/memory.oom_control"
	else
		awk '$1 == "oom_kill" { print $2 }' "$OG_MEMCG/memory.events"
	fi
}

og_alive() {
	[ -r "/proc/$1/stat" ] || return 1
	state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

og_wait_gone() {
	end=$(($(date +%s%N) / 1000000 + $2 * 1000))
	while og_alive "$1"; do
		[ $(($(date +%s%N) / 1000000)) -lt $end ] || return 1
		sleep 0.02
	done
	return 0
}

# Report files of one action kind ("kill", "term"), newest last (names start with the time).
og_reports() {
	ls "$OG_TMP/reports/"*-"$1".json 2>/dev/null
}

# Wait up to $1 seconds for a report of one of the kinds $2... whose outcome is known (result
# not "signalled"): reports are written once no victim is in flight, the last one when the
# daemon has seen the victim (or group) gone. 0 found, 1 not.
og_wait_reports() {
	_t=$1
	shift
	_i=0
	while [ "$_i" -lt $((_t * 20)) ]; do
		for _k in "$@"; do
			for _f in $(og_reports "$_k"); do
				[ "$(og_report_get "$_f" result)" != signalled ] && return 0
			done
		done
		sleep 0.05
		_i=$((_i + 1))
	done
	return 1
}

# Pids whose process group is $1.
og_pgid_members() {
	for s in /proc/[0-9]*/stat; do
		sed 's/.*) //' "$s" 2>/dev/null | awk -v g="$1" -v f="$s" \
			'$3 == g { split(f, a, "/"); print a[3] }'
	done
}

# og_report_get FILE KEY: one value of a JSON report, booleans as yes/no, null as "". KEY is a
# dotted path (victim.cmdline) or one of the short names below.
og_report_get() {
	python3 - "$1" "$2" <<'EOPY'
import json, sys
short = {"pid": "target.pid", "target": "target.kind", "cgroup": "target.cgroup",
         "sent_term": "sent.sigterm", "sent_kill": "sent.sigkill", "exited": "sent.exited"}
try:
    v = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    sys.exit(0)
for k in short.get(sys.argv[2], sys.argv[2]).split("."):
    v = v[int(k)] if isinstance(v, list) else (v or {}).get(k)
print("" if v is None else ("yes" if v else "no") if isinstance(v, bool) else v)
EOPY
}

# Kill every task of the group and its children (all started by this test), remove the groups.
og_kill_group_tasks() {
	[ -n "${OG_MEMCG:-}" ] || return 0
	for f in $(find $(og_all_groups) -name cgroup.procs 2>/dev/null); do
		for p in $(cat "$f" 2>/dev/null); do
			kill -9 "$p" 2>/dev/null
		done
	done
}

og_rmdir_groups() {
	[ -n "${OG_MEMCG:-}" ] || return 0
	for root in $(og_all_groups); do
		[ -d "$root" ] || continue
		find "$root" -depth -type d 2>/dev/null | while read -r d; do
			i=0
			while ! rmdir "$d" 2>/dev/null && [ -d "$d" ] && [ $i -lt 50 ]; do
				sleep 0.1
				i=$((i + 1))
			done
		done
	done
}

og_cleanup() {
	rc=$?
	if [ -n "$OG_DPID" ] && og_alive "$OG_DPID"; then
		kill -TERM "$OG_DPID" 2>/dev/null
		og_wait_gone "$OG_DPID" 3 || kill -9 "$OG_DPID" 2>/dev/null
	fi
	for p in $OG_PIDS; do
		kill -9 "$p" 2>/dev/null
	done
	og_kill_group_tasks
	wait 2>/dev/null
	og_rmdir_groups
	if [ "$rc" != 0 ] || [ "$OG_FAILED" != 0 ]; then
		echo "--- daemon log (last 60 lines) ---"
		tail -n 60 "${OG_TMP:-/nonexistent}/daemon.log" 2>/dev/null
		echo "--- reports ---"
		for f in "${OG_TMP:-/nonexistent}"/reports/*; do
			[ -f "$f" ] && { echo "# $f"; cat "$f"; }
		done
	fi
	[ -n "${OG_TMP:-}" ] && rm -rf "$OG_TMP"
}

# The daemon must still run, and end with status 0 on SIGTERM.
og_finish() {
	if [ -n "$OG_DPID" ]; then
		if og_alive "$OG_DPID"; then
			kill -TERM "$OG_DPID"
			wait "$OG_DPID"
			rc=$?
			[ "$rc" = 0 ] || og_fail "daemon exit status $rc after SIGTERM"
		else
			og_fail "daemon died"
		fi
		OG_DPID=
	fi
	[ "$OG_FAILED" = 0 ] && exit 0
	exit 1
}

# og_hog_scenario PROT_MIB SETTLE_S WAIT_S WHAT HOG_ARGS...: a protected stand-in (memhog
# --name ogprot --max PROT_MIB, a Protect=yes policy) settles for SETTLE_S, the daemon starts,
# then a hog (memhog HOG_ARGS) must be stopped within WAIT_S seconds without the kernel's memcg
# OOM killer firing, the stand-in surviving, and every term/kill report naming the hog (WHAT
# names it in failures). Pids in $OG_PROT and $OG_HOG, the reports (kill, then term) in
# $OG_HOG_REPORTS.
og_hog_scenario() {
	cat >"$OG_TMP/policy.d/10-standin.policy" <<'EOF2'
[Match]
Name=ogprot
[Policy]
Protect=yes
EOF2
	og_spawn "$HOG" --name ogprot --max "$1"
	OG_PROT=$OG_PID
	sleep "$2"
	og_start_daemon
	before=$(og_oom_kills)
	wait_s=$3
	what=$4
	shift 4
	og_spawn "$HOG" "$@"
	OG_HOG=$OG_PID
	og_wait_gone "$OG_HOG" "$wait_s" || og_fail "$what still running after $wait_s s"
	sleep 0.3
	after=$(og_oom_kills)
	[ "$after" = "$before" ] && og_ok "kernel OOM kills: 0" ||
		og_fail "kernel OOM killer fired $((after - before)) times"
	og_alive "$OG_PROT" && og_ok "protected stand-in survived" ||
		og_fail "protected stand-in is gone"
	og_wait_reports 5 kill term
	OG_HOG_REPORTS=$(og_reports kill; og_reports term)
	[ -n "$OG_HOG_REPORTS" ] || og_fail "no term/kill report"
	for f in $OG_HOG_REPORTS; do
		[ "$(og_report_get "$f" pid)" = "$OG_HOG" ] || og_fail "$f: victim is not the $what"
	done
}
