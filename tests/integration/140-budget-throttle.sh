#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# OnBudget=throttle lowers the service's memory.high (on a v1 memory controller its
# memory.soft_limit_in_bytes) when it goes over its MemoryBudget=, and lifts it back once the
# service has stayed below the budget minus Hysteresis= for HoldOffSec=; nothing is killed and
# both writes are logged and reported. The VM tier's budget scenario found the release missing
# (2026-12-02); this is the same on this host, inside a test group.
. "$top_srcdir/tests/integration/lib.sh"

og_init budget 256
printf '[Guardian]\nHoldOffSec=2s\n' >>"$OG_TMP/og.conf"
printf '[Match]\nCgroup=/ogtest-budget-*/svc\n[Policy]\nMemoryBudget=24M\nOnBudget=throttle\n' \
	>"$OG_TMP/policy.d/50-ogb.policy"
og_subgroup svc
if [ "$OG_LAYOUT" = v1 ]; then
	knob=$OG_MEMCG/svc/memory.soft_limit_in_bytes
else
	knob=$OG_MEMCG/svc/memory.high
fi
before=$(cat "$knob")
og_spawn -g svc "$HOG" --name ogb-base --max 4
base=$OG_PID
og_wait_holding "$base" || og_fail "base did not start"
og_start_daemon
og_spawn -g svc "$HOG" --name ogb-grow --max 40
grow=$OG_PID
og_wait_holding "$grow" || og_fail "the growth did not hold its memory"
changed() { [ "$(cat "$knob")" != "$before" ]; }
restored() { [ "$(cat "$knob")" = "$before" ]; }
# over budget: the slow step (every 10 s with budgets) throttles
og_wait_until 40 changed && og_ok "throttled: $(cat "$knob") (was $before)" ||
	og_fail "$knob still $before"
og_wait_log "wrote '[0-9]*' to '/$OG_CG/svc/" 5 && og_ok "the throttle is logged" ||
	og_fail "no throttle in the log"
low=$(cat "$knob")
[ "$low" -ge $((44 << 20)) ] 2>/dev/null && og_ok "not below the anon it holds (no swap)" ||
	og_fail "throttled to $low, below the 44 MiB the group holds: that freezes it"
# calm: the growth goes, the base stays (the service is still there)
kill -TERM "$grow"
og_wait_gone "$grow" 10 || og_fail "the growth did not exit"
og_wait_until 40 restored && og_ok "lifted back to $before" ||
	og_fail "$knob is $(cat "$knob"), not back to $before"
og_wait_log "wrote '-1\\|max' to '/$OG_CG/svc/" 5 && og_ok "the lift is logged" ||
	og_fail "no lift in the log"
og_alive "$base" && og_ok "nothing killed" || og_fail "the base process died"
if grep -E 'SIGTERM|SIGKILL' "$OG_TMP/daemon.log" | grep -v self-test; then
	og_fail "a signal was sent"
fi
og_wait_reports_n 2 10 throttle && og_ok "both reported" || og_fail "no two throttle reports"
grep -l "until it stays below the budget" "$OG_TMP/reports/"*-throttle.json >/dev/null &&
	og_ok "the throttle report says why" || og_fail "no throttle reason in the reports"
grep -l "back under its budget" "$OG_TMP/reports/"*-throttle.json >/dev/null &&
	og_ok "the release report says why" || og_fail "no release reason in the reports"
og_finish
