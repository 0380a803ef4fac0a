#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 10 item 5: a policy anyone could have written (owned by nobody, mode 0666, or in a
# directory others can write) with All=yes and KillPreference=never is refused: `check`
# reports it (78), the daemon does not start on it (78), and on SIGHUP the running policy stays.
. "$top_srcdir/tests/integration/lib.sh"

og_init untrusted 128
ctl="$top_builddir/oomguardianctl"
pd=$OG_TMP/policy.d
printf '[Match]\nName=ogprot\n[Policy]\nProtect=yes\n' >"$pd/10-standin.policy"
greedy='[Match]\nAll=yes\n[Policy]\nKillPreference=never\n'
hint='(whoever can write it chooses victims; chown root and chmod go-w)'

hup_and_wait() { # PATTERN: SIGHUP, then wait up to 5 s for PATTERN in the log
	kill -HUP "$OG_DPID"
	i=0
	while [ $i -lt 100 ] && ! grep -q "$1" "$OG_TMP/daemon.log"; do
		sleep 0.05
		i=$((i + 1))
	done
}

checks() { # WHAT MESSAGE: check and a daemon start both refuse, naming the file and why
	"$ctl" check --quiet --config "$OG_TMP/og.conf" --policy-dir "$pd" 2>"$OG_TMP/err"
	rc=$?
	[ "$rc" = 78 ] && grep -qF "$2 $hint" "$OG_TMP/err" && og_ok "check refuses $1" ||
		{ og_fail "check on $1: exit $rc"; cat "$OG_TMP/err"; }
	"$OGD" --once --dry-run --config "$OG_TMP/og.conf" --policy-dir "$pd" \
		--report-dir "$OG_TMP/reports" --state-file "$OG_TMP/state" >/dev/null 2>"$OG_TMP/err"
	rc=$?
	[ "$rc" = 78 ] && grep -qF "$2 $hint" "$OG_TMP/err" && og_ok "daemon refuses $1" ||
		{ og_fail "daemon on $1: exit $rc"; cat "$OG_TMP/err"; }
}

printf "$greedy" >"$pd/50-greedy.policy"
chown nobody "$pd/50-greedy.policy"
checks "a file owned by nobody" "$pd/50-greedy.policy: refusing it: owned by uid $(id -u nobody), not by root"
chown root "$pd/50-greedy.policy"
chmod 0666 "$pd/50-greedy.policy"
checks "a 0666 file" "$pd/50-greedy.policy: refusing it: writable by others (mode 0666)"
chmod 0644 "$pd/50-greedy.policy"
chmod 0777 "$pd"
checks "a 0777 directory" "$pd: refusing it: writable by others (mode 0777)"
chmod 0755 "$pd"
rm "$pd/50-greedy.policy"

# SIGHUP: the running policy (one file) stays while the new file is untrusted
og_start_daemon
printf "$greedy" >"$pd/50-greedy.policy"
chown nobody "$pd/50-greedy.policy"
hup_and_wait 'keeping the running policy'
grep -q 'reload failed.*keeping the running policy' "$OG_TMP/daemon.log" &&
	og_ok "reload refused" || og_fail "no 'keeping the running policy'"
grep -qF "error: $pd/50-greedy.policy: refusing it: owned by uid" "$OG_TMP/daemon.log" &&
	og_ok "the log names the file and why" || og_fail "no reason logged"
grep -q 'reloaded:' "$OG_TMP/daemon.log" && og_fail "an untrusted policy was loaded"
# the same file, made root's, is taken: ownership was the only reason
chown root "$pd/50-greedy.policy"
hup_and_wait 'reloaded: 2 policies'
grep -q 'reloaded: 2 policies' "$OG_TMP/daemon.log" && og_ok "root's file reloaded" ||
	og_fail "root's file was not taken"
og_finish
