#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A slow leak (20 MiB/s) in a 256 MiB group beside a protected process: oomguardiand stops the
# leak before the kernel's memcg OOM killer fires, and the protected process survives.
. "$top_srcdir/tests/integration/lib.sh"

og_init slow 256
cat >"$OG_TMP/policy.d/10-standin.policy" <<'EOF2'
[Match]
Name=ogprot
[Policy]
Protect=yes
EOF2

og_spawn "$HOG" --name ogprot --max 64
prot=$OG_PID
sleep 0.3
og_start_daemon
before=$(og_oom_kills)
og_spawn "$HOG" --rate 20 --chunk 1 --max 512
hog=$OG_PID
# 256 MiB - 64 MiB protected, terminate at 30% available: ~115 MiB, under 6 s at 20 MiB/s
og_wait_gone "$hog" 30 || og_fail "leak still running after 30 s"
sleep 0.3
after=$(og_oom_kills)
[ "$after" = "$before" ] && og_ok "kernel OOM kills: 0" ||
	og_fail "kernel OOM killer fired $((after - before)) times"
og_alive "$prot" && og_ok "protected stand-in survived" || og_fail "protected stand-in is gone"
r=$(og_reports term; og_reports kill)
[ -n "$r" ] || og_fail "no term/kill report"
for f in $r; do
	[ "$(og_report_get "$f" pid)" = "$hog" ] || og_fail "$f: victim is not the leak"
done
og_finish
