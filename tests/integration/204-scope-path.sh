#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 10 item 11: --scope given as a file system path under a cgroup mount
# (/sys/fs/cgroup/memory/NAME, what many admins type) is taken as the cgroup /NAME; a scope
# that does not exist yet is reported with the path looked for, the state file says
# "waiting for scope", and once the group appears it is guarded (state "guarding").
. "$top_srcdir/tests/integration/lib.sh"

og_init scopepath 128
wait_for() { # SECONDS FILE PATTERN
	_i=0
	while [ $_i -lt $(($1 * 20)) ]; do
		grep -q "$3" "$2" 2>/dev/null && return 0
		sleep 0.05
		_i=$((_i + 1))
	done
	return 1
}
stop_daemon() {
	kill -TERM "$OG_DPID"
	wait "$OG_DPID" || og_fail "daemon exit status $? after SIGTERM"
	OG_DPID=
}

# 1. the file system path of the test group
OG_SCOPE_ARG="--scope=$OG_MEMCG"
og_start_daemon --dry-run
grep -qF "notice: --scope '$OG_MEMCG' is a file system path: guarding cgroup '/$OG_CG'" \
	"$OG_TMP/daemon.log" && og_ok "converted" || og_fail "no conversion notice"
grep -qF "notice: guarding cgroup /$OG_CG:" "$OG_TMP/daemon.log" && og_ok "guarding /$OG_CG" ||
	og_fail "not guarding /$OG_CG"
wait_for 10 "$OG_TMP/state" '^status=guarding$' && grep -qx "scope=/$OG_CG" "$OG_TMP/state" &&
	og_ok "state: guarding /$OG_CG" || { og_fail "state"; cat "$OG_TMP/state"; }
stop_daemon

# 2. a scope that does not exist yet: named where it was looked for, then found
later=ogtest-later-$$
: >"$OG_TMP/daemon.log"
rm -f "$OG_TMP/state"
OG_SCOPE_ARG="--scope=$OG_MEMROOT/$later"
og_start_daemon --dry-run
grep -qF "scope cgroup '/$later' not found: no '$OG_MEMROOT/$later'" "$OG_TMP/daemon.log" &&
	og_ok "missing scope: says where it looked" ||
	og_fail "missing scope message: $(grep 'not found' "$OG_TMP/daemon.log")"
wait_for 10 "$OG_TMP/state" '^status=waiting for scope$' && og_ok "state: waiting for scope" ||
	{ og_fail "state while missing"; cat "$OG_TMP/state"; }
og_outside_group later 64 >/dev/null
wait_for 20 "$OG_TMP/daemon.log" "scope cgroup '/$later' is back, guarding it" &&
	og_ok "found once created" || og_fail "the new group was not picked up"
wait_for 10 "$OG_TMP/state" '^status=guarding$' && og_ok "state: guarding" ||
	{ og_fail "state after creation"; cat "$OG_TMP/state"; }
og_finish
