#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# [Match] Children=no (issue 8, found in a Debian 12 guest): a policy protects the listener and
# not the copies it forks per connection, the way OpenSSH re-executes itself ("sshd -R") and
# starts the user's shell from there. Children inherit oom_score_adj at fork: the connection
# and its session (another executable) get the listener's value back from the daemon, quietly
# (no NOTICE per connection). 300 because this machine may raise oom_score_adj and lower it
# only down to 0 (no CAP_SYS_RESOURCE).
. "$top_srcdir/tests/integration/lib.sh"

og_init children 256
LISTEN=$top_builddir/tests/integration/oglisten
[ -x "$LISTEN" ] || og_skip "oglisten not built"
cp "$LISTEN" "$OG_TMP/oglisten" || exit 99
mkfifo "$OG_TMP/ctl" || exit 99
cat >"$OG_TMP/policy.d/10-listen.policy" <<EOF2
[Match]
Name=oglisten
Exe=$OG_TMP/oglisten
Children=no
[Policy]
Protect=yes
OOMScoreAdjust=300
EOF2

adj() { cat "/proc/$1/oom_score_adj" 2>/dev/null; }
adj_is() { [ "$(adj "$1")" = "$2" ]; }
wait_adj() { og_wait_until "$OG_DEADLINE" adj_is "$1" "$2"; }
nconns() { [ -f "$OG_TMP/conns" ] && wc -l <"$OG_TMP/conns" || echo 0; }
conns_ge() { [ "$(nconns)" -ge "$1" ]; }

og_spawn "$OG_TMP/oglisten" "$OG_TMP"
listener=$OG_PID
og_start_daemon
wait_adj "$listener" 300 && og_ok "listener protected (oom_score_adj 300)" ||
	og_fail "listener: oom_score_adj of $listener is $(adj "$listener"), want 300"

# Three connections, one after the other: each child forked while the listener is at 300.
for i in 1 2 3; do
	echo go >"$OG_TMP/ctl"
	og_wait_until "$OG_DEADLINE" conns_ge "$i" || og_fail "connection $i did not start"
done
while read -r conn session; do
	OG_PIDS="$OG_PIDS $conn $session"
	wait_adj "$conn" 0 && og_ok "connection $conn: inherited 300 put back to 0" ||
		og_fail "connection $conn: oom_score_adj $(adj "$conn"), want 0"
	wait_adj "$session" 0 && og_ok "session $session: inherited 300 put back to 0" ||
		og_fail "session $session: oom_score_adj $(adj "$session"), want 0"
	if grep -q "notice: .*pid $conn \|notice: .*pid $session " "$OG_TMP/daemon.log"; then
		og_fail "a NOTICE for connection $conn or session $session"
	else
		og_ok "no NOTICE for connection $conn and session $session"
	fi
	grep -q "debug: restored oom_score_adj of pid $conn " "$OG_TMP/daemon.log" &&
		og_ok "the restore of $conn is logged at debug" ||
		og_fail "no debug line for the restore of $conn"
	# The session is forked at once: before or after the daemon put its parent back.
	og_wait_until "$OG_DEADLINE" test -s "$OG_TMP/start.$session"
	start=$(cat "$OG_TMP/start.$session")
	if [ "$start" = 300 ]; then
		grep -q "debug: restored oom_score_adj of pid $session " "$OG_TMP/daemon.log" &&
			og_ok "session $session started at 300, put back by the daemon" ||
			og_fail "session $session started at 300: no debug line for its restore"
	else
		og_ok "session $session started at $start (forked after its parent was put back)"
	fi
done <"$OG_TMP/conns"
n=$(grep -c "such restores are logged at debug" "$OG_TMP/daemon.log")
[ "$n" = 1 ] && og_ok "one INFO line for all restores" || og_fail "$n INFO lines about restores, want 1"
[ "$(adj "$listener")" = 300 ] && og_ok "listener still at 300" ||
	og_fail "listener now at $(adj "$listener")"

# oomguardianctl match says why a connection is not protected.
read -r conn session <"$OG_TMP/conns"
"$top_builddir/oomguardianctl" match --config "$OG_TMP/og.conf" --policy-dir "$OG_TMP/policy.d" \
	--scope "/$OG_CG" "$listener" "$conn" >"$OG_TMP/match.out" 2>&1 || og_fail "match exited $?"
cat "$OG_TMP/match.out"
grep -qF "not matched by 10-listen ($OG_TMP/policy.d/10-listen.policy): parent PID $listener runs the same executable '$OG_TMP/oglisten'; Children=no" \
	"$OG_TMP/match.out" && og_ok "match: the connection is a child (Children=no)" ||
	og_fail "match does not say why connection $conn is not matched"
grep -qF "protected: yes, by 10-listen" "$OG_TMP/match.out" && og_ok "match: the listener is protected" ||
	og_fail "match does not say the listener is protected"

# A daemon that forks into the background: its copy is not matched while the parent lives,
# and is the daemon (matched, protected) once the parent has exited: the exit event has the
# copy read again (no wait for a rescan).
mkfifo "$OG_TMP/bg" || exit 99
og_spawn "$OG_TMP/oglisten" -B "$OG_TMP"
parent=$OG_PID
wait_adj "$parent" 300 || og_fail "background parent $parent not protected"
echo go >"$OG_TMP/bg"
og_wait_until "$OG_DEADLINE" test -s "$OG_TMP/bg.pid" || og_fail "no background copy"
copy=$(cat "$OG_TMP/bg.pid")
OG_PIDS="$OG_PIDS $copy"
wait_adj "$copy" 0 && og_ok "copy $copy not protected while its parent runs" ||
	og_fail "copy $copy: oom_score_adj $(adj "$copy") while its parent runs, want 0"
kill "$parent"
og_wait_gone "$parent" "$OG_DEADLINE" || og_fail "background parent $parent did not exit"
wait_adj "$copy" 300 && og_ok "copy $copy protected once its parent exited" ||
	og_fail "copy $copy: oom_score_adj $(adj "$copy") after its parent exited, want 300"
og_finish
