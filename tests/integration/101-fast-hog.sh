#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A fast allocator (1.5 GiB/s) in a 512 MiB group: oomguardiand must kill it before the
# kernel's memcg OOM killer fires (oom_kill stays 0), and spare a protected process that
# holds more memory than the hog has when it is stopped. The report says why.
. "$top_srcdir/tests/integration/lib.sh"

og_init fast 512
# 512 MiB - 160 MiB protected at 1.5 GiB/s: stopped within 10 s
og_hog_scenario 160 0.5 10 hog --rate 1536 --chunk 8 --max 1024
for f in $OG_HOG_REPORTS; do
	[ -n "$(og_report_get "$f" reason)" ] || og_fail "$f: no reason"
	[ -n "$(og_report_get "$f" rule)" ] || og_fail "$f: no rule"
	og_report_get "$f" measured | grep -q '^[0-9]' || og_fail "$f: no measured value"
done
# the report that closes the story: a SIGTERM escalated to SIGKILL leaves the term report
# "escalated" (no exit) beside the kill report that saw the exit
last=
for f in $OG_HOG_REPORTS; do
	[ "$(og_report_get "$f" result)" != escalated ] && last=$f
done
[ "$(og_report_get "$last" exited)" = yes ] || og_fail "report does not record the exit"
freed=$(og_report_get "$last" freed_bytes)
[ "${freed:-0}" -gt $((64 << 20)) ] && og_ok "freed $freed bytes" ||
	og_fail "freed only ${freed:-0} bytes"
grep -q 'woken by v1-threshold\|woken by psi\|step: stage' "$OG_TMP/daemon.log" ||
	og_fail "no wake-up logged"
og_finish
