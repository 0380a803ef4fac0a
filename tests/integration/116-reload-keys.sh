#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# SIGHUP applies DryRun= and ReportDirectory= (not given on the command line): the log says so,
# the state file follows DryRun=, and a ReportDirectory= that cannot be created keeps the old.
. "$top_srcdir/tests/integration/lib.sh"

og_init reloadkeys 512
"$OGD" --debug --scope="/$OG_CG" --config "$OG_TMP/og.conf" --policy-dir "$OG_TMP/policy.d" \
	--state-file "$OG_TMP/state" >"$OG_TMP/daemon.log" 2>&1 &
OG_DPID=$!
wait_log() { og_wait_log "$1"; }
wait_log 'notice: guarding' || og_fail "daemon did not start"
grep -q '^dry_run=no' "$OG_TMP/state" || og_fail "state file does not say dry_run=no at start"

printf '[Guardian]\nDryRun=yes\nReportDirectory=%s/rep2\n' "$OG_TMP" >>"$OG_TMP/og.conf"
kill -HUP "$OG_DPID"
wait_log 'reload: DryRun=yes' && og_ok "DryRun=yes applied on reload" ||
	og_fail "no 'reload: DryRun=yes' in the log"
wait_log "reports now go to '$OG_TMP/rep2'" && og_ok "ReportDirectory= applied on reload" ||
	og_fail "ReportDirectory= not applied"
[ -d "$OG_TMP/rep2" ] && og_ok "new report directory created" || og_fail "rep2 not created"
grep -q '^dry_run=yes' "$OG_TMP/state" && og_ok "state file says dry_run=yes" ||
	og_fail "state file still says dry_run=no"

# a directory that cannot be made (below a regular file): the old one is kept
: >"$OG_TMP/afile"
sed -i "s|^ReportDirectory=.*|ReportDirectory=$OG_TMP/afile/sub|" "$OG_TMP/og.conf"
kill -HUP "$OG_DPID"
wait_log "reports stay in '$OG_TMP/rep2'" && og_ok "uncreatable ReportDirectory= refused" ||
	og_fail "no refusal of ReportDirectory=$OG_TMP/afile/sub"

# an OOM-level hog is only logged now (dry-run): it survives its own limit only because the
# kernel memcg kills it, so check just that no signal came from us
og_spawn "$HOG" --rate 800 --max 440
hog=$OG_PID
wait_log 'dry-run: would' && og_ok "acts in dry-run after the reload" ||
	og_fail "no dry-run action after DryRun=yes"
kill -9 "$hog" 2>/dev/null
og_alive "$OG_DPID" && og_ok "daemon alive" || og_fail "daemon died"
og_finish
