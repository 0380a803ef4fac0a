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
#   og_wait_until SECONDS CMD   poll CMD (a shell function or command) until it succeeds;
#                               false on timeout. Tests wait for events this way, never with a
#                               fixed sleep: deadlines are generous, a loaded machine only
#                               makes the wait longer
#   og_wait_log PATTERN [SECONDS]  wait for a daemon log line (grep PATTERN)
#   og_wait_holding PID [SECONDS]  wait until memhog PID holds its --max ("holding" line)
#   og_wait_stage STAGE [SECONDS]  wait until the state file says stage=STAGE
#   og_fail MSG                 record a failure (the test goes on, exits 1 at the end)
#   og_finish                   stop the daemon (SIGTERM must give exit 0); exit 0, or 1 if
#                               anything failed (the daemon log is printed then)
# Never more than 2 GiB per group; every process is ended by pid.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"

OGD="$top_builddir/oomguardiand"
HOG="$top_builddir/tests/integration/memhog"
OG_FAILED=0
# How long a test waits for something the daemon does (a report, a log line, a stage): idle a
# step takes milliseconds, but it includes a walk of /proc, and on this shared machine under
# load (other suites, stress-ng) single steps took 19 s (6570 processes, load 23).
OG_DEADLINE=${OG_DEADLINE:-120}
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
	OG_LIMIT_MIB=$limit_mib
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
	# wait until it is in the group (it execs right after; og_wait_holding waits for a memhog
	# to be ready). Without this nothing may go on: it would allocate outside the group.
	og_wait_until "$OG_DEADLINE" grep -qx "$OG_PID" "$mem" || {
		og_fail "spawned pid $OG_PID did not reach $mem within $OG_DEADLINE s"
		exit 1
	}
}

og_start_daemon() {
	# OG_SCOPE_ARG= (empty): no --scope, the config's Scope= must say it
	"$OGD" --debug ${OG_SCOPE_ARG---scope=/$OG_CG} --config "$OG_TMP/og.conf" --policy-dir "$OG_TMP/policy.d" \
		--report-dir "$OG_TMP/reports" --state-file "$OG_TMP/state" "$@" \
		>"$OG_TMP/daemon.log" 2>&1 &
	OG_DPID=$!
	# start-up (self-test, first snapshot) takes well under a second idle; a loaded machine
	# may stretch it a lot, a daemon that dies ends the wait at once
	og_wait_until "$OG_DEADLINE" og_daemon_up_or_dead
	og_alive "$OG_DPID" && grep -q 'notice: guarding' "$OG_TMP/daemon.log" && return 0
	og_fail "daemon did not start"
	cat "$OG_TMP/daemon.log"
	exit 1
}

# The group's memory usage now, and its peak since it was made (empty without a peak file).
og_group_usage() {
	if [ "$OG_LAYOUT" = v1 ]; then
		cat "$OG_MEMCG/memory.usage_in_bytes"
	else
		cat "$OG_MEMCG/memory.current"
	fi
}

og_group_peak() {
	if [ "$OG_LAYOUT" = v1 ]; then
		cat "$OG_MEMCG/memory.max_usage_in_bytes" 2>/dev/null
	else
		cat "$OG_MEMCG/memory.peak" 2>/dev/null
	fi
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
	end=$(($(og_ms) + $2 * 1000))
	while og_alive "$1"; do
		[ "$(og_ms)" -lt $end ] || return 1
		sleep 0.02
	done
	return 0
}

og_ms() { echo $(($(date +%s%N) / 1000000)); }

og_wait_until() {
	_wend=$(($(og_ms) + $1 * 1000))
	shift
	until "$@" 2>/dev/null; do
		[ "$(og_ms)" -lt $_wend ] || return 1
		sleep 0.02
	done
	return 0
}

# Up (it logged that it guards), or dead: either ends the wait for the start.
og_daemon_up_or_dead() {
	grep -q 'notice: guarding' "$OG_TMP/daemon.log" || ! og_alive "$OG_DPID"
}

og_wait_log() {
	og_wait_until "${2:-$OG_DEADLINE}" grep -q -- "$1" "$OG_TMP/daemon.log"
}

og_wait_holding() {
	og_wait_until "${2:-$OG_DEADLINE}" grep -q "^memhog\[$1\]: holding " "$OG_TMP/spawn.out"
}

og_wait_stage() {
	og_wait_until "${2:-$OG_DEADLINE}" grep -qx "stage=$1" "$OG_TMP/state"
}

# Report files of one action kind ("kill", "term"), newest last.
og_reports() {
	ls "$OG_TMP/reports/"*-"$1".json 2>/dev/null
}

# Wait up to $1 seconds for a report of one of the kinds $2... whose outcome is known (result
# not "signalled"): reports are written once no victim is in flight, the last one when the
# daemon has seen the victim (or group) gone. 0 found, 1 not.
og_wait_reports() {
	og_wait_reports_n 1 "$@"
}

# og_wait_reports_n N SECONDS KIND...: the same, until N such reports exist (a later round of
# a test waits for its own report, not the one an earlier round left).
og_wait_reports_n() {
	_n=$1
	shift
	_t=$1
	shift
	og_wait_until "$_t" og_reports_done_ge "$_n" "$@"
}

# og_reports_done KIND...: how many reports of these kinds have a known outcome.
og_reports_done() {
	_c=0
	for _k in "$@"; do
		for _f in $(og_reports "$_k"); do
			[ "$(og_report_get "$_f" result)" != signalled ] && _c=$((_c + 1))
		done
	done
	echo "$_c"
}

og_reports_done_ge() { # N KIND...
	_m=$1
	shift
	[ "$(og_reports_done "$@")" -ge "$_m" ]
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
		# busy until its killed tasks have exited (and freed their memory): seconds on a
		# loaded machine
		find "$root" -depth -type d 2>/dev/null | while read -r d; do
			og_wait_until "$OG_DEADLINE" og_rmdir_gone "$d"
		done
	done
}

og_rmdir_gone() { rmdir "$1" 2>/dev/null || [ ! -d "$1" ]; }

og_cleanup() {
	rc=$?
	if [ -n "$OG_DPID" ] && og_alive "$OG_DPID"; then
		kill -TERM "$OG_DPID" 2>/dev/null
		og_wait_gone "$OG_DPID" 10 || kill -9 "$OG_DPID" 2>/dev/null
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
# --name ogprot --max PROT_MIB, a Protect=yes policy) is waited for until it holds its memory
# (SETTLE_S is no longer used: it was a fixed sleep), the daemon starts, then a hog (memhog
# HOG_ARGS) must be stopped within WAIT_S seconds without the kernel's memcg OOM killer firing,
# the stand-in surviving, and every term/kill report naming the hog (WHAT names it in
# failures). Pids in $OG_PROT and $OG_HOG, the reports (kill, then term) in $OG_HOG_REPORTS,
# the hog's wait status in $OG_HOG_STATUS (128 + the signal that ended it), and in
# $OG_HOG_ADDED_BYTES what the hog's run added to the group at most: its peak usage minus its
# usage once the hog is gone (empty if the kernel has no peak file).
og_hog_scenario() {
	cat >"$OG_TMP/policy.d/10-standin.policy" <<'EOF2'
[Match]
Name=ogprot
[Policy]
Protect=yes
EOF2
	og_spawn "$HOG" --name ogprot --max "$1"
	OG_PROT=$OG_PID
	og_wait_holding "$OG_PROT" || og_fail "stand-in does not hold its $1 MiB"
	og_start_daemon
	before=$(og_oom_kills)
	wait_s=$3
	what=$4
	shift 4
	og_spawn "$HOG" "$@"
	OG_HOG=$OG_PID
	OG_HOG_STATUS=
	if og_wait_gone "$OG_HOG" "$wait_s"; then
		wait "$OG_HOG"
		OG_HOG_STATUS=$?
	else
		og_fail "$what still running after $wait_s s"
	fi
	# the group's peak is the stand-in plus the hog at its largest (the stand-in alone is less)
	OG_HOG_ADDED_BYTES=
	peak=$(og_group_peak)
	[ -n "$peak" ] && OG_HOG_ADDED_BYTES=$((peak - $(og_group_usage)))
	# the memcg OOM killer counts its kill before the victim exits: no settling needed
	after=$(og_oom_kills)
	[ "$after" = "$before" ] && og_ok "kernel OOM kills: 0" ||
		og_fail "kernel OOM killer fired $((after - before)) times"
	og_alive "$OG_PROT" && og_ok "protected stand-in survived" ||
		og_fail "protected stand-in is gone"
	og_wait_reports "$OG_DEADLINE" kill term
	OG_HOG_REPORTS=$(og_reports kill; og_reports term)
	[ -n "$OG_HOG_REPORTS" ] || og_fail "no term/kill report"
	for f in $OG_HOG_REPORTS; do
		[ "$(og_report_get "$f" pid)" = "$OG_HOG" ] || og_fail "$f: victim is not the $what"
	done
}

# --- busy hosts (issue 7) ---
#   og_idlers N               start N tiny idle processes in the group (tests/integration/idlers:
#                             one process group, ~30 KiB each) and wait until all N are in it;
#                             the leader's pid in $OG_IDLERS
#   og_group_count            processes in the group (cgroup.procs of the scope, not its children)
#   og_busy_hog WHAT RATE MAX_MIB WAIT_S
#                             a hog (memhog --rate RATE --max MAX_MIB, ignoring SIGTERM) started
#                             after everything else (the newest pid) must be killed by the daemon
#                             within WAIT_S seconds: kernel OOM kills 0, every idle process alive,
#                             every term/kill report naming the hog; pid in $OG_HOG
IDLERS="$top_builddir/tests/integration/idlers"

og_group_count() {
	wc -l <"$OG_MEMCG/cgroup.procs"
}

og_idlers() {
	[ -x "$IDLERS" ] || og_skip "idlers not built"
	_want=$(($(og_group_count) + $1 + 1))
	og_spawn "$IDLERS" "$1" --lifetime 600
	OG_IDLERS=$OG_PID
	_i=0
	while [ "$(og_group_count)" -lt "$_want" ]; do
		[ $_i -lt 1200 ] || { og_fail "only $(og_group_count) of $_want processes started"; exit 1; }
		og_alive "$OG_IDLERS" || { og_fail "idlers died"; exit 1; }
		sleep 0.05
		_i=$((_i + 1))
	done
}

og_busy_hog() {
	_what=$1
	_n=$(og_group_count)
	before=$(og_oom_kills)
	og_spawn "$HOG" --ignore-term --name oghog --rate "$2" --chunk 4 --max "$3" --lifetime 120
	OG_HOG=$OG_PID
	og_wait_gone "$OG_HOG" "$4" || og_fail "$_what: hog still running after $4 s"
	og_wait_reports 10 kill term || og_fail "$_what: no finished term/kill report"
	after=$(og_oom_kills)
	[ "$after" = "$before" ] && og_ok "$_what: kernel OOM kills: 0" ||
		og_fail "$_what: kernel OOM killer fired $((after - before)) times"
	# the hog is gone and nobody else: every idle process (and the leader) still runs
	[ "$(og_group_count)" -ge "$_n" ] && og_ok "$_what: all $_n other processes alive" ||
		og_fail "$_what: $(og_group_count) of $_n other processes left"
	_reports=$(og_reports kill; og_reports term)
	[ -n "$_reports" ] || og_fail "$_what: no term/kill report"
	for _f in $_reports; do
		[ "$(og_report_get "$_f" pid)" = "$OG_HOG" ] ||
			og_fail "$_what: $_f names pid $(og_report_get "$_f" pid), not the hog $OG_HOG"
		[ -n "$(og_report_get "$_f" victim_bytes)" ] ||
			og_fail "$_what: $_f has no victim_bytes"
		grep -q '^process_table=partial' "$_f" && og_fail "$_what: $_f made from a partial view"
	done
	# what the decisions cost (for the log; timing is never asserted)
	grep -E 'step: stage (terminate|kill)|SIGTERM pid|SIGKILL pid' "$OG_TMP/daemon.log" |
		sed 's/^/info: /' | tail -n 6
}
