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
i=0
while [ $i -lt 200 ] && ! grep -q "SIGTERM pid $v " "$OG_TMP/daemon.log"; do
	sleep 0.02
	i=$((i + 1))
done
grep -q "SIGTERM pid $v " "$OG_TMP/daemon.log" || og_fail "no SIGTERM to $v"
kill -9 "$v"
og_wait_gone "$v" 3
sleep 2.5 # past the grace: the daemon must not trip over the vanished victim
og_alive "$OG_DPID" && og_ok "daemon alive after the victim vanished" ||
	og_fail "daemon died after the victim vanished"
grep -q "SIGKILL pid $v " "$OG_TMP/daemon.log" && og_fail "SIGKILL sent to a vanished victim"

# 2. it still works: the next hog is stopped before the kernel OOM killer fires
og_spawn "$HOG" --rate 800 --max 1024
h=$OG_PID
og_wait_gone "$h" 10 && og_ok "next hog stopped" || og_fail "next hog still running"
[ "$(og_oom_kills)" = 0 ] || og_fail "kernel OOM killer fired"

# 3. the scope goes away
og_kill_group_tasks
sleep 0.2
og_rmdir_groups
[ -d "$OG_MEMCG" ] && og_fail "could not remove the scope group"
i=0
while [ $i -lt 100 ] && ! grep -q "scope cgroup '/$OG_CG' went away" "$OG_TMP/daemon.log"; do
	sleep 0.05
	i=$((i + 1))
done
grep -q "scope cgroup '/$OG_CG' went away" "$OG_TMP/daemon.log" && og_ok "removal logged" ||
	og_fail "the removal of the scope is not logged"
sleep 1
og_alive "$OG_DPID" && og_ok "daemon alive with its scope gone" ||
	og_fail "daemon died when its scope was removed"

# 4. ... and comes back: the daemon guards it again
mkdir "$OG_MEMCG" "$OG_V2CG" 2>/dev/null
if [ "$OG_LAYOUT" = v1 ]; then
	echo $((512 << 20)) >"$OG_MEMCG/memory.limit_in_bytes"
else
	echo $((512 << 20)) >"$OG_MEMCG/memory.max"
fi
i=0
while [ $i -lt 160 ] && ! grep -q "scope cgroup '/$OG_CG' is back" "$OG_TMP/daemon.log"; do
	sleep 0.05
	i=$((i + 1))
done
grep -q "is back" "$OG_TMP/daemon.log" && og_ok "scope re-found" || og_fail "scope not re-found"
og_spawn "$HOG" --rate 800 --max 1024
h=$OG_PID
og_wait_gone "$h" 10 && og_ok "hog in the re-created scope stopped" ||
	og_fail "hog in the re-created scope still running"
[ "$(og_oom_kills)" = 0 ] || og_fail "kernel OOM killer fired in the re-created scope"
og_finish
