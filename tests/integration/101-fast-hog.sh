#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A fast allocator (1.5 GiB/s) in a 512 MiB group: oomguardiand must kill it before the
# kernel's memcg OOM killer fires (oom_kill stays 0), and spare a protected process that
# holds more memory than the hog has when it is stopped. The report says why, and what it
# says about the end is what happened: the signal it sent is the one the hog died of, and the
# memory it says was freed is what the hog's death gave back to the group. The event that woke
# the loop (the v1 usage threshold on a hybrid host) is logged.
. "$top_srcdir/tests/integration/lib.sh"

og_init fast 512
# 512 MiB - 160 MiB protected at 1.5 GiB/s: stopped within a second or two (the deadline is
# generous: left alone, the kernel would kill it sooner)
og_hog_scenario 160 - 30 hog --rate 1536 --chunk 8 --max 1024
[ -n "$OG_HOG_REPORTS" ] || og_finish # failed above: no report to check
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

# Who ended the hog: its wait status names a signal the report says the daemon sent (the
# kernel's OOM killer would have sent SIGKILL, and its counter stayed put above). After an
# escalation the SIGTERM may still be what ended it.
case "${OG_HOG_STATUS:-}" in
143) sig=SIGTERM key=sent_term ;;
137) sig=SIGKILL key=sent_kill ;;
*) sig="status ${OG_HOG_STATUS:-?}" key= ;;
esac
[ -n "$key" ] && [ "$(og_report_get "$last" "$key")" = yes ] &&
	og_ok "the hog died of the daemon's $sig" ||
	og_fail "the hog ended by $sig, the report says sent_term=$(og_report_get "$last" \
sent_term) sent_kill=$(og_report_get "$last" sent_kill)"
case "$(og_report_get "$last" result)" in
terminated | killed) ;;
*) og_fail "$last: result $(og_report_get "$last" result)" ;;
esac

# What was freed: the scope's usage before the signal minus after the exit. It must be the
# hog's memory: at most what the hog added to the group at its peak (the stand-in stays), at
# least half of it (the daemon signals at the terminate rung, 30% available: ~200 of at most
# 352 MiB). Memory freed by anything else, or measured elsewhere, falls outside.
freed=$(og_report_get "$last" freed_bytes)
if [ -z "${OG_HOG_ADDED_BYTES:-}" ]; then
	[ "${freed:-0}" -gt $((64 << 20)) ] && og_ok "freed $freed bytes (no peak file here)" ||
		og_fail "freed only ${freed:-0} bytes"
elif [ "${freed:-0}" -le $((OG_HOG_ADDED_BYTES + (8 << 20))) ] &&
	[ "${freed:-0}" -ge $((OG_HOG_ADDED_BYTES / 2)) ]; then
	og_ok "freed $freed bytes: the hog's (it added at most $OG_HOG_ADDED_BYTES)"
else
	og_fail "freed ${freed:-?} bytes, but the hog added at most $OG_HOG_ADDED_BYTES"
fi

# The wake-up: on a v1 memory group the usage thresholds are armed and crossing them wakes
# the loop (the poll alone would log no such line); on cgroup2 the PSI trigger may or may not
# fire for an allocation this fast (no stall), so only a PSI wake-up there counts, if any.
if [ "$OG_LAYOUT" = v1 ]; then
	grep -q 'debug: [0-9]* v1 usage thresholds armed on ' "$OG_TMP/daemon.log" ||
		og_fail "no v1 usage thresholds armed"
	grep -q 'debug: woken by v1-threshold' "$OG_TMP/daemon.log" &&
		og_ok "woken by the v1 usage threshold" ||
		og_fail "no wake-up by the v1 usage threshold logged"
else
	grep -q 'debug: PSI triggers armed on ' "$OG_TMP/daemon.log" ||
		og_fail "no PSI trigger armed"
	og_ok "cgroup2: the usage crossing wakes no event source here, wake-up not checked"
fi
og_finish
