#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `oomguardianctl check`: the shipped policies and every contrib example are valid (exit 0),
# a broken file exits 78 (EX_CONFIG) with a path:line: Key: reason message, bad usage exits 64.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"

ctl="$top_builddir/oomguardianctl"
if [ -x "$ctl" ] && "$ctl" check --help >/dev/null 2>&1; then
	check() { "$ctl" check "$@"; }
else
	# until oomguardianctl dispatches `check`: the same code through a small driver
	check() { "$top_builddir/tests/integration/og_check_driver" check "$@"; }
fi

tmp=$(mktemp -d /tmp/ogtest-check-$$.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/empty" # a root without etc/: the built-in defaults, no host file read
fail=0
nok() { echo "FAIL: $*" >&2; fail=1; }

# 1. shipped vendor policies with the shipped conf
if ! check --root "$tmp/empty" "$top_srcdir/policy/vendor/oomguardian.conf" \
	"$top_srcdir"/policy/vendor/*.policy >"$tmp/out" 2>"$tmp/err"; then
	nok "shipped policies"; cat "$tmp/err" >&2
fi
[ -s "$tmp/err" ] && { nok "shipped policies have diagnostics"; cat "$tmp/err" >&2; }
grep -q '^# policy 10-remote-access from ' "$tmp/out" || nok "effective config not printed"

# 2. every contrib directory, as its own tree: conf (if any) + its policies + the vendor ones.
# Any diagnostic but an unknown user fails, "matches by process name only" included.
ncontrib=0
for d in "$top_srcdir"/contrib/policies/*/; do
	[ -d "$d" ] || continue
	ncontrib=$((ncontrib + 1))
	set -- "$top_srcdir"/policy/vendor/*.policy "$d"*.policy
	[ -f "$d/oomguardian.conf" ] && set -- "$d/oomguardian.conf" "$@"
	if ! check --quiet --root "$tmp/empty" "$@" 2>"$tmp/err"; then
		nok "contrib $(basename "$d")"; cat "$tmp/err" >&2
	fi
	grep -v ': User: warning: unknown user' "$tmp/err" | grep -q . &&
		{ nok "contrib $(basename "$d") has diagnostics"; cat "$tmp/err" >&2; }
done
[ "$ncontrib" -ge 3 ] || nok "expected at least 3 contrib directories, found $ncontrib"

# 2c. the Koji policies on the Koji fixtures: every User= resolves (etc/passwd), no warning
for fx in koji-slab koji-slab-low; do
	if ! check --quiet --root "$top_srcdir/tests/fixtures/$fx" \
		"$top_srcdir"/contrib/policies/koji-hub/*.policy 2>"$tmp/err"; then
		nok "koji-hub on $fx"; cat "$tmp/err" >&2
	fi
	[ -s "$tmp/err" ] && { nok "koji-hub on $fx has diagnostics"; cat "$tmp/err" >&2; }
done

# 3. a whole tree through --root (the daemon's search path)
mkdir -p "$tmp/root/etc/oomguardian/policy.d" "$tmp/root/usr/lib/oomguardian/policy.d"
cp "$top_srcdir"/policy/vendor/*.policy "$tmp/root/usr/lib/oomguardian/policy.d/"
ln -s /dev/null "$tmp/root/etc/oomguardian/policy.d/20-cron.policy"
check --root "$tmp/root" >"$tmp/out" 2>"$tmp/err" || nok "--root tree"
grep -q '^# policy 05-system' "$tmp/out" || nok "--root: vendor policy missing"
grep -q '^# policy 20-cron' "$tmp/out" && nok "--root: masked policy still applied"
# which file was masked by which, as systemd-delta says it
grep -qxF "# [MASKED] $tmp/root/usr/lib/oomguardian/policy.d/20-cron.policy by $tmp/root/etc/oomguardian/policy.d/20-cron.policy" \
	"$tmp/out" || { nok "--root: no [MASKED] line"; cat "$tmp/out" >&2; }

# 3a. the daemon's options: --config of any name, --policy-dir (repeatable), hidden files
mkdir -p "$tmp/opt/high" "$tmp/opt/low"
printf '[Guardian]\nHoldOffSec=7s\n' >"$tmp/opt/guardian.cfg"
printf '[Match]\nName=ogx\n[Policy]\nKillPreference=avoid\n' >"$tmp/opt/high/30-x.policy"
printf '[Match]\nName=ogx\n[Policy]\nKillPreference=prefer\n' >"$tmp/opt/low/30-x.policy"
printf '[Match]\nName=ogy\n[Policy]\nKillPreference=avoid\n' >"$tmp/opt/low/40-y.policy"
check --root "$tmp/empty" --config "$tmp/opt/guardian.cfg" --policy-dir "$tmp/opt/high" \
	--policy-dir "$tmp/opt/low" >"$tmp/out" 2>"$tmp/err" || { nok "options"; cat "$tmp/err" >&2; }
grep -qx 'HoldOffSec=7s' "$tmp/out" || nok "--config guardian.cfg not taken"
grep -qxF "# [OVERRIDDEN] $tmp/opt/low/30-x.policy by $tmp/opt/high/30-x.policy" "$tmp/out" ||
	{ nok "no [OVERRIDDEN] line"; cat "$tmp/out" >&2; }
grep -q '^# policy 40-y from ' "$tmp/out" || nok "--policy-dir low not read"
grep -qx 'KillPreference=prefer' "$tmp/out" && nok "the hidden policy applied"
# what check accepts, oomguardiand accepts (and the other way round)
"$top_builddir/oomguardiand" --once --dry-run --root "$top_srcdir/tests/fixtures/pure-cgroup2" \
	--config "$tmp/opt/guardian.cfg" --policy-dir "$tmp/opt/high" --policy-dir "$tmp/opt/low" \
	--state-file "$tmp/state" --report-dir "$tmp/rep" >/dev/null 2>"$tmp/err" ||
	{ nok "the daemon refused what check took"; cat "$tmp/err" >&2; }
# a main config of any name with policy FILEs
check --quiet --root "$tmp/empty" --config "$tmp/opt/guardian.cfg" "$tmp/opt/low/40-y.policy" \
	2>"$tmp/err" || { nok "--config with FILEs"; cat "$tmp/err" >&2; }

# 3b. a FIFO named *.policy: skipped with a warning, no hang (it blocked open() forever)
mkfifo "$tmp/root/etc/oomguardian/policy.d/30-fifo.policy"
check --root "$tmp/root" --quiet 2>"$tmp/err" &
pid=$!
(sleep 20 && kill "$pid") >/dev/null 2>&1 &
watchdog=$!
wait "$pid"
rc=$?
kill "$watchdog" 2>/dev/null
[ "$rc" -eq 0 ] || { nok "FIFO policy: exit $rc, expected 0 (143: it hung and was killed)"; cat "$tmp/err" >&2; }
grep -qxF "$tmp/root/etc/oomguardian/policy.d/30-fifo.policy: warning: not a regular file (a FIFO), ignoring" \
	"$tmp/err" || { nok "FIFO policy: message"; cat "$tmp/err" >&2; }
rm -f "$tmp/root/etc/oomguardian/policy.d/30-fifo.policy"

# 4. a broken file: exit 78 and path:line: Key: reason
bad="$tmp/root/etc/oomguardian/policy.d/50-bad.policy"
printf '[Match]\nName=nginx\n\n[Policy]\nProtect=yes\nKillPreference=prefer\n' >"$bad"
check --root "$tmp/root" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 78 ] || nok "broken file: exit $rc, expected 78"
grep -qxF "$bad:6: KillPreference: 'prefer' contradicts Protect=yes (line 5): a protected process is never killed" \
	"$tmp/err" || { nok "broken file: message"; cat "$tmp/err" >&2; }
[ -s "$tmp/out" ] && nok "broken file: config printed anyway"

check --bogus >/dev/null 2>&1
rc=$?
[ "$rc" -eq 64 ] || nok "usage: exit $rc, expected 64"

exit $fail
