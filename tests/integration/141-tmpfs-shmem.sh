#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A tmpfs filled from inside the guarded group (its pages are charged there as shmem) down to
# the terminate stage: the daemon names the shmem and the tmpfs that holds it, and does not
# kill the small bystander, whose death would not relieve the shortfall (a kill does not free
# tmpfs files). The VM tier's tmpfs scenario (2026-12-02) found a SIGTERM to a 40 MiB bystander.
. "$top_srcdir/tests/integration/lib.sh"

og_init tmpfs 256
command -v dd >/dev/null || og_skip "no dd"
fill=$OG_TMP/fill
mkdir "$fill" || og_fail "mkdir $fill"
mount -t tmpfs -o size=220m ogtest-fill "$fill" || og_skip "cannot mount a tmpfs here"
unfill() {
	_rc=$?
	rm -f "$fill/f"
	umount "$fill" 2>/dev/null
	(exit "$_rc") # og_cleanup reads the exit status
	og_cleanup
}
trap unfill EXIT
og_spawn "$HOG" --name ogt-bystander --max 8
bystander=$OG_PID
og_wait_holding "$bystander" || og_fail "the bystander did not start"
og_start_daemon
# 190 MiB of 256 in the tmpfs, from inside the group: about 22% available, terminate (30%)
og_spawn dd if=/dev/zero of="$fill/f" bs=1M count=190
wait "$OG_PID" || og_fail "dd failed"
og_wait_stage terminate 30 && og_ok "terminate stage" || og_fail "no terminate stage"
og_wait_log "is shmem in tmpfs '$fill'" 30 && og_ok "the log names the tmpfs" ||
	og_fail "no shmem sentence naming '$fill'"
grep -F "is shmem in tmpfs '$fill'" "$OG_TMP/daemon.log" | head -n 1
og_wait_log "no kill at this stage" 5 && og_ok "says it does not kill for it" ||
	og_fail "no 'no kill at this stage'"
# a few more decisions in the stage: still nobody signalled
n=$(grep -c 'debug: step: stage terminate' "$OG_TMP/daemon.log")
og_wait_until 30 sh -c "[ \$(grep -c 'debug: step: stage terminate' '$OG_TMP/daemon.log') -ge $((n + 3)) ]" ||
	og_fail "no further decisions"
og_alive "$bystander" && og_ok "the bystander lives" || og_fail "the bystander was killed"
[ -z "$(og_reports term)$(og_reports kill)" ] && og_ok "no term/kill report" ||
	og_fail "a term or kill report was written"
[ "$(og_oom_kills)" = 0 ] && og_ok "no kernel OOM kill" || og_fail "kernel OOM kills: $(og_oom_kills)"
og_finish
