#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The kill ladder's grace: a victim that handles SIGTERM exits within TermGraceSec (5 s here:
# room for a loaded machine to schedule it) and gets no SIGKILL; one that ignores SIGTERM, and
# then sits between the terminate and the kill threshold, gets SIGKILL when its grace runs out.
. "$top_srcdir/tests/integration/lib.sh"

og_init grace 512
sed -i 's/^TermGraceSec=.*/TermGraceSec=5s/' "$OG_TMP/og.conf"
grep -qx 'TermGraceSec=5s' "$OG_TMP/og.conf" || exit 99
og_start_daemon

# 1. handles SIGTERM: 512 MiB limit, terminate below 30% available (~358 MiB used). It stops
# at 380 MiB, short of the kill rung (410): only a grace running out could bring SIGKILL, not
# a daemon that a loaded machine slowed until the kill rung was crossed as well
og_spawn "$HOG" --handle-term-exit --rate 400 --max 380
polite=$OG_PID
og_wait_gone "$polite" 30 || og_fail "SIGTERM-handling hog still running"
grep -q "memhog\[$polite\]: SIGTERM, exiting" "$OG_TMP/spawn.out" &&
	og_ok "victim handled SIGTERM" || og_fail "victim did not see SIGTERM"
og_wait_reports "$OG_DEADLINE" term
f=$(og_reports term | tail -n 1)
if [ -z "$f" ]; then
	og_fail "no term report"
else
	[ "$(og_report_get "$f" pid)" = "$polite" ] || og_fail "term report names another pid"
	[ "$(og_report_get "$f" sent_kill)" = no ] && og_ok "no SIGKILL needed" ||
		og_fail "SIGKILL sent to a victim that handled SIGTERM"
	el=$(og_report_get "$f" elapsed_usec)
	[ "${el:-9999999}" -lt 5000000 ] && og_ok "exited ${el} us after SIGTERM (grace 5 s)" ||
		og_fail "exit took ${el:-?} us, grace is 5 s"
fi
[ -z "$(og_reports kill)" ] || og_fail "a kill report for the polite victim"

# the group recovers and the stage clears (the state file says so)
og_wait_stage none || og_fail "stage did not go back to none: $(grep '^stage=' "$OG_TMP/state")"

# 2. ignores SIGTERM and stops at 380 MiB: between terminate (358) and kill (410)
kills=$(og_reports_done kill)
og_spawn "$HOG" --ignore-term --rate 400 --max 380
stubborn=$OG_PID
og_wait_gone "$stubborn" 60 || og_fail "SIGTERM-ignoring hog still running after 60 s"
og_wait_reports_n $((kills + 1)) "$OG_DEADLINE" kill # its own, not one of round 1
k=$(og_reports kill | tail -n 1)
if [ -z "$k" ]; then
	og_fail "no kill report for the hog that ignored SIGTERM"
else
	[ "$(og_report_get "$k" pid)" = "$stubborn" ] || og_fail "kill report names another pid"
	[ "$(og_report_get "$k" sent_term)" = yes ] || og_fail "SIGKILL without SIGTERM first"
	[ "$(og_report_get "$k" sent_kill)" = yes ] && og_ok "SIGKILL after the grace" ||
		og_fail "no SIGKILL recorded"
	el=$(og_report_get "$k" elapsed_usec)
	[ "${el:-0}" -ge 4900000 ] && og_ok "SIGKILL came after the 5 s grace (${el} us)" ||
		og_fail "SIGKILL ${el:-?} us after SIGTERM: before the grace ran out"
fi
og_finish
