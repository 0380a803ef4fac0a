#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A child forked without exec is read as a copy of its parent (uid and exe from the parent's
# entry, proc_table.h): a worker that drops its privileges afterwards (setuid(), as pre-forking
# servers do) must be matched as its new user, which the proc connector's uid event makes the
# daemon read it whole again. A policy for User=nobody sets OOMScoreAdjust=300 (this machine may
# raise oom_score_adj, not lower it); root's copy that keeps its uid must stay at 0.
. "$top_srcdir/tests/integration/lib.sh"

og_init forkuid 256
id nobody >/dev/null 2>&1 || og_skip "no user nobody"
cat >"$OG_TMP/policy.d/10-nobody.policy" <<'EOF2'
[Match]
User=nobody
[Policy]
OOMScoreAdjust=300
EOF2
# The parent forks two workers once the daemon has read it; the first setuid()s to nobody a
# moment after its fork (so it was read as a copy first, on any machine fast enough to read it
# within that time), the second keeps root. Their pids go to $OG_TMP/workers.
cat >"$OG_TMP/forker.py" <<'EOF2'
import os, sys, time
sys.stdin.readline()  # the test says go
pids = []
for drop in (True, False):
    pid = os.fork()
    if pid == 0:
        if drop:
            time.sleep(3)
            os.setuid(65534)
        time.sleep(120)
        os._exit(0)
    pids.append(pid)
with open(sys.argv[1] + ".new", "w") as f:
    f.write("%d %d\n" % tuple(pids))
os.rename(sys.argv[1] + ".new", sys.argv[1])
time.sleep(120)
EOF2
mkfifo "$OG_TMP/go" || exit 99
og_spawn sh -c 'exec python3 "$1" "$2" <"$3"' sh "$OG_TMP/forker.py" "$OG_TMP/workers" "$OG_TMP/go"
og_start_daemon
exec 3>"$OG_TMP/go"
echo go >&3
og_wait_until "$OG_DEADLINE" test -s "$OG_TMP/workers" || og_fail "the workers did not start"
read -r dropped kept <"$OG_TMP/workers"
OG_PIDS="$OG_PIDS $dropped $kept"

adj() { cat "/proc/$1/oom_score_adj" 2>/dev/null; }
adj_is() { [ "$(adj "$1")" = "$2" ]; }
uid_is() { awk -v u="$2" '$1 == "Uid:" { exit !($2 == u) }' "/proc/$1/status" 2>/dev/null; }
og_wait_until "$OG_DEADLINE" uid_is "$dropped" 65534 || og_fail "worker $dropped did not setuid"
if og_wait_until "$OG_DEADLINE" adj_is "$dropped" 300; then
	og_ok "worker that became nobody after its fork matched as nobody (oom_score_adj 300)"
else
	og_fail "worker $dropped (uid 65534): oom_score_adj $(adj "$dropped"), want 300"
fi
# by the connector's uid event (a rescan would find no change: it compares stat and cgroup)
grep -q "debug: process event: pid $dropped changed its uid" "$OG_TMP/daemon.log" &&
	og_ok "by its uid event" || og_fail "no uid event logged for $dropped"
# the root worker was read (as a copy) long before: nothing may have changed it
[ "$(adj "$kept")" = 0 ] && og_ok "worker that kept root untouched" ||
	og_fail "worker $kept (root): oom_score_adj $(adj "$kept"), want 0"
exec 3>&-
og_finish
