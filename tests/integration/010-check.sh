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
fail=0
nok() { echo "FAIL: $*" >&2; fail=1; }

# 1. shipped vendor policies with the shipped conf
if ! check --root /nonexistent "$top_srcdir/policy/vendor/oomguardian.conf" \
	"$top_srcdir"/policy/vendor/*.policy >"$tmp/out" 2>"$tmp/err"; then
	nok "shipped policies"; cat "$tmp/err" >&2
fi
[ -s "$tmp/err" ] && { nok "shipped policies have diagnostics"; cat "$tmp/err" >&2; }
grep -q '^# policy 10-remote-access from ' "$tmp/out" || nok "effective config not printed"

# 2. every contrib directory, as its own tree: conf (if any) + its policies + the vendor ones
ncontrib=0
for d in "$top_srcdir"/contrib/policies/*/; do
	[ -d "$d" ] || continue
	ncontrib=$((ncontrib + 1))
	set -- "$top_srcdir"/policy/vendor/*.policy "$d"*.policy
	[ -f "$d/oomguardian.conf" ] && set -- "$d/oomguardian.conf" "$@"
	if ! check --quiet --root /nonexistent "$@" 2>"$tmp/err"; then
		nok "contrib $(basename "$d")"; cat "$tmp/err" >&2
	fi
	grep -v ': User: warning: unknown user' "$tmp/err" | grep -q . &&
		{ nok "contrib $(basename "$d") has diagnostics"; cat "$tmp/err" >&2; }
done
[ "$ncontrib" -ge 3 ] || nok "expected at least 3 contrib directories, found $ncontrib"

# 3. a whole tree through --root (the daemon's search path)
mkdir -p "$tmp/root/etc/oomguardian/policy.d" "$tmp/root/usr/lib/oomguardian/policy.d"
cp "$top_srcdir"/policy/vendor/*.policy "$tmp/root/usr/lib/oomguardian/policy.d/"
ln -s /dev/null "$tmp/root/etc/oomguardian/policy.d/20-cron.policy"
check --root "$tmp/root" >"$tmp/out" 2>"$tmp/err" || nok "--root tree"
grep -q '^# policy 05-system' "$tmp/out" || nok "--root: vendor policy missing"
grep -q '20-cron' "$tmp/out" && nok "--root: masked policy still applied"

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
