#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon keeps running (and keeps working) when a victim vanishes mid-kill, and when the
# scope cgroup itself is removed and created again.
. "$top_srcdir/tests/integration/lib.sh"

og_init vanish 512
og_start_daemon

# 1. the victim ignores SIGTERM and is killed by someone else during its grace
og_spawn "$HOG" --ignore-term --rate 400 --max 380
v=$OG_PID
og_wait_log "SIGTERM pid $v " || og_fail "no SIGTERM to $v"
t_term=$(og_ms)
kill -9 "$v"
og_wait_gone "$v" 30 || og_fail "$v survived SIGKILL"
# the daemon sees it gone (its pidfd) and closes the victim: its report is written then
og_wait_reports "$OG_DEADLINE" term kill || og_fail "no report for the vanished victim"
f=$(og_reports term | tail -n 1)
[ -n "$f" ] && [ "$(og_report_get "$f" pid)" = "$v" ] &&
	[ "$(og_report_get "$f" exited)" = yes ] && [ "$(og_report_get "$f" sent_kill)" = no ] &&
	og_ok "victim recorded as exited, no SIGKILL" ||
	og_fail "report of the vanished victim: ${f:-none}"
og_alive "$OG_DPID" && og_ok "daemon alive after the victim vanished" ||
	og_fail "daemon died after the victim vanished"

# 2. it still works: the next hog is stopped before the kernel OOM killer fires
og_spawn "$HOG" --rate 800 --max 1024
h=$OG_PID
og_wait_gone "$h" 30 && og_ok "next hog stopped" || og_fail "next hog still running"
[ "$(og_oom_kills)" = 0 ] || og_fail "kernel OOM killer fired"
# past the grace (2 s from the SIGTERM; the round above takes about that): the daemon never
# went back to the vanished victim
past_grace() { [ "$(og_ms)" -ge $((t_term + 2500)) ]; }
og_wait_until 10 past_grace
grep -q "SIGKILL pid $v " "$OG_TMP/daemon.log" && og_fail "SIGKILL sent to a vanished victim"

# 3. the scope goes away
og_kill_group_tasks
og_rmdir_groups # retries while the killed tasks exit
[ -d "$OG_MEMCG" ] && og_fail "could not remove the scope group"
og_wait_log "scope cgroup '/$OG_CG' went away" && og_ok "removal logged" ||
	og_fail "the removal of the scope is not logged"
og_alive "$OG_DPID" && og_ok "daemon alive with its scope gone" ||
	og_fail "daemon died when its scope was removed"

# 4. ... and comes back: the daemon guards it again
mkdir "$OG_MEMCG" "$OG_V2CG" 2>/dev/null
if [ "$OG_LAYOUT" = v1 ]; then
	echo $((512 << 20)) >"$OG_MEMCG/memory.limit_in_bytes"
else
	echo $((512 << 20)) >"$OG_MEMCG/memory.max"
fi
# looked for every 5 s
og_wait_log "scope cgroup '/$OG_CG' is back" && og_ok "scope re-found" ||
	og_fail "scope not re-found"
og_spawn "$HOG" --rate 800 --max 1024
h=$OG_PID
og_wait_gone "$h" 30 && og_ok "hog in the re-created scope stopped" ||
	og_fail "hog in the re-created scope still running"
[ "$(og_oom_kills)" = 0 ] || og_fail "kernel OOM killer fired in the re-created scope"
og_finish
