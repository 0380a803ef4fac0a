#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon listens to the proc connector from the start (fork, exec, comm and exit keep its
# process table current: issue 7; the kernel's socket filter drops threads), with or without
# OOMScoreAdjust=, and keeps that one socket across reloads. A new process matching an
# OOMScoreAdjust= policy loaded by a reload is protected within a second of its exec.
. "$top_srcdir/tests/integration/lib.sh"

og_init procev 64
cp "$HOG" "$OG_TMP/ogpev" || exit 99
printf '[Match]\nName=ogpev\n[Policy]\nProtect=yes\n' >"$OG_TMP/policy.d/10-protect.policy"

# connector_sockets PID: how many NETLINK_CONNECTOR (11) sockets PID holds
connector_sockets() {
	inodes=$(ls -l "/proc/$1/fd" 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\]$/\1/p')
	n=0
	for i in $inodes; do
		awk -v i="$i" '$2 == 11 && $NF == i { f = 1 } END { exit !f }' /proc/net/netlink &&
			n=$((n + 1))
	done
	echo $n
}
reloads_ge() { [ "$(grep -c 'notice: reloaded' "$OG_TMP/daemon.log")" -ge "$1" ]; }
sockets_are() { [ "$(connector_sockets "$OG_DPID")" = "$1" ]; }
# reload N SOCKETS: SIGHUP, wait for the Nth "reloaded" line, then for the connector socket
# count to become SOCKETS (the line comes first, the watches and the connector after it)
reload() {
	kill -HUP "$OG_DPID"
	og_wait_until "$OG_DEADLINE" reloads_ge "$1" || og_fail "no reload $1 in $OG_DEADLINE s"
	og_wait_until "$OG_DEADLINE" sockets_are "$2"
}
adj() { cat "/proc/$1/oom_score_adj" 2>/dev/null; }
adj_300() { [ "$(adj "$1")" = 300 ]; }

og_start_daemon
[ "$(connector_sockets "$OG_DPID")" = 1 ] && og_ok "one connector socket (process table)" ||
	og_fail "$(connector_sockets "$OG_DPID") connector sockets at start, want 1"
grep -q 'process table: .*kept current by the proc connector' "$OG_TMP/daemon.log" ||
	og_fail "no line saying the process table follows the proc connector"

printf '[Match]\nName=ogpev\n[Policy]\nOOMScoreAdjust=300\n' >"$OG_TMP/policy.d/20-adj.policy"
reload 1 1
[ "$(connector_sockets "$OG_DPID")" = 1 ] && og_ok "reload with OOMScoreAdjust=: one socket" ||
	og_fail "reload with OOMScoreAdjust=: $(connector_sockets "$OG_DPID") connector sockets"
og_spawn "$OG_TMP/ogpev" --max 0
new=$OG_PID
og_wait_until "$OG_DEADLINE" adj_300 "$new" && og_ok "new process protected" ||
	og_fail "exec: oom_score_adj of $new is $(adj "$new") after $OG_DEADLINE s, want 300"
# (by its exec event or by the decision step that read the new process first, whichever came
# first: 106 and 112 assert the event path)

rm "$OG_TMP/policy.d/20-adj.policy"
reload 2 1
[ "$(connector_sockets "$OG_DPID")" = 1 ] && og_ok "reload without OOMScoreAdjust=: one socket" ||
	og_fail "reload without OOMScoreAdjust=: $(connector_sockets "$OG_DPID") sockets"
og_finish
