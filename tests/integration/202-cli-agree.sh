#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 10 item 14: the two programs and the two ways of saying a thing agree. --scope takes
# what Scope= takes (no "/a/../b"), both programs answer -V/--version in one format.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
ogd="$top_builddir/oomguardiand"
ctl="$top_builddir/oomguardianctl"
fail=0
nok() { echo "FAIL: $*"; fail=1; }
tmp=$(mktemp -d /tmp/ogtest-agree-$$.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT

for s in /a/../b /a/./b /a//b machine.slice; do
	"$ogd" --once --dry-run --root "$top_srcdir/tests/fixtures/pure-cgroup2" --scope "$s" \
		--state-file "$tmp/state" --report-dir "$tmp/rep" >/dev/null 2>"$tmp/err"
	rc=$?
	[ "$rc" = 64 ] || nok "--scope '$s': exit $rc, expected 64"
	grep -qF -- "--scope: expected a cgroup path like '/machine.slice'" "$tmp/err" &&
		grep -qF -- "got '$s'" "$tmp/err" || { nok "--scope '$s': message"; cat "$tmp/err"; }
	printf '[Guardian]\nScope=%s\n' "$s" >"$tmp/c.conf"
	"$ogd" --once --dry-run --root "$top_srcdir/tests/fixtures/pure-cgroup2" --config "$tmp/c.conf" \
		--state-file "$tmp/state" --report-dir "$tmp/rep" >/dev/null 2>"$tmp/err"
	rc=$?
	[ "$rc" = 78 ] || nok "Scope=$s: exit $rc, expected 78"
done

for opt in -V --version; do
	d=$("$ogd" "$opt") || nok "oomguardiand $opt failed"
	c=$("$ctl" "$opt") || nok "oomguardianctl $opt failed"
	echo "$d" | grep -qx 'oomguardiand [0-9][0-9.a-z~-]*' || nok "oomguardiand $opt: '$d'"
	[ "${c#oomguardianctl }" = "${d#oomguardiand }" ] && [ "$c" != "$d" ] ||
		nok "oomguardianctl $opt: '$c' vs '$d'"
done
[ "$fail" = 0 ] && echo "ok: cli agrees"
exit "$fail"
