#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A fast allocator (1.5 GiB/s) in a 512 MiB group: oomguardiand must kill it before the
# kernel's memcg OOM killer fires (oom_kill stays 0), and spare a protected process that
# holds more memory than the hog has when it is stopped. The report says why.
. "$top_srcdir/tests/integration/lib.sh"

og_init fast 512
cat >"$OG_TMP/policy.d/10-standin.policy" <<'EOF2'
[Match]
Name=ogprot
[Policy]
Protect=yes
EOF2

og_spawn "$HOG" --name ogprot --max 160
prot=$OG_PID
sleep 0.5
og_start_daemon
before=$(og_oom_kills)
og_spawn "$HOG" --rate 1536 --chunk 8 --max 1024
hog=$OG_PID
og_wait_gone "$hog" 10 || og_fail "hog still running after 10 s"
sleep 0.3
after=$(og_oom_kills)
[ "$after" = "$before" ] && og_ok "kernel OOM kills: 0" ||
	og_fail "kernel OOM killer fired $((after - before)) times"
og_alive "$prot" && og_ok "protected stand-in survived" || og_fail "protected stand-in is gone"

r=$(og_reports kill; og_reports term)
[ -n "$r" ] || og_fail "no term/kill report"
for f in $r; do
	[ "$(og_report_get "$f" pid)" = "$hog" ] || og_fail "$f: victim is not the hog"
	grep -q '^reason=.' "$f" || og_fail "$f: no reason"
	grep -q '^rule=.' "$f" || og_fail "$f: no rule"
	grep -q '^measured=[0-9]' "$f" || og_fail "$f: no measured value"
done
last=$(echo "$r" | tail -n 1)
[ "$(og_report_get "$last" exited)" = yes ] || og_fail "report does not record the exit"
freed=$(og_report_get "$last" freed_bytes)
[ "${freed:-0}" -gt $((64 << 20)) ] && og_ok "freed $freed bytes" ||
	og_fail "freed only ${freed:-0} bytes"
grep -q 'woken by v1-threshold\|woken by psi\|step: stage' "$OG_TMP/daemon.log" ||
	og_fail "no wake-up logged"
og_finish
