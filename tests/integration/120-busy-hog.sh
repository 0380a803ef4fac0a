#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A busy scope (issue 7): 4,000 idle processes in the guarded group, then a hog that ignores
# SIGTERM, started last (the newest, highest pid): oomguardiand must kill the hog and nobody
# else, before the kernel's memcg OOM killer fires. Its process table follows the new process
# through the proc connector; the decision reads one statm per process of the scope.
. "$top_srcdir/tests/integration/lib.sh"

og_init busy 768
og_idlers 4000
og_start_daemon
og_wait_log 'process table: [0-9]* processes' 30 || og_fail "no process table line"
grep -q 'kept current by the proc connector' "$OG_TMP/daemon.log" ||
	echo "note: no proc connector here; the table is kept by rescans"
# 768 MiB - ~130 MiB idle at 300 MiB/s: the terminate and kill thresholds within 2 s
og_busy_hog "4000 idle" 300 1024 30
last=$(og_reports kill | tail -n 1)
[ -n "$last" ] && [ "$(og_report_get "$last" exited)" = yes ] || og_fail "no kill report with an exit"
grep -q 'step: .*(4[0-9][0-9][0-9] guarded' "$OG_TMP/daemon.log" &&
	og_ok "decisions ranked the whole scope" || og_fail "no decision saw the 4000 processes"
og_finish
