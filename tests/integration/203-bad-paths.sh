#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 10 item 10: paths that cannot work are refused at start with the path and the reason
# (78 for the configuration, 64 for usage), instead of starting "guarding" with 0 policies,
# warning once per report or printing nothing.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
ogd="$top_builddir/oomguardiand"
ctl="$top_builddir/oomguardianctl"
fx="$top_srcdir/tests/fixtures/pure-cgroup2"
fail=0
nok() { echo "FAIL: $*"; fail=1; }
tmp=$(mktemp -d /tmp/ogtest-paths-$$.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/empty"
: >"$tmp/file"

# expect RC MESSAGE -- CMD...: exit status RC and MESSAGE (fixed string) on stderr
expect() {
	rc=$1 msg=$2
	shift 3
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	[ "$got" = "$rc" ] || { nok "$*: exit $got, expected $rc"; cat "$tmp/err"; return; }
	[ -z "$msg" ] || grep -qF -- "$msg" "$tmp/err" || { nok "$*: no '$msg' in:"; cat "$tmp/err"; return; }
	echo "ok: $* -> $rc: $msg"
}
once() { "$ogd" --once --dry-run --root "$fx" --state-file "$tmp/state" "$@"; }

expect 78 "/nonexistent-$$: cannot open policy directory: No such file or directory" -- \
	once --policy-dir "/nonexistent-$$" --report-dir "$tmp/rep"
expect 78 "$tmp/file: cannot open policy directory: not a directory" -- \
	once --policy-dir "$tmp/file" --report-dir "$tmp/rep"
expect 64 "--report-dir '$tmp/file': not a directory" -- once --report-dir "$tmp/file"
expect 64 "--report-dir '$tmp/file/reports': '$tmp/file' is not a directory" -- \
	once --report-dir "$tmp/file/reports"
printf '[Guardian]\nReportDirectory=%s\n' "$tmp/file" >"$tmp/c.conf"
expect 78 "ReportDirectory= '$tmp/file': not a directory" -- once --config "$tmp/c.conf"
expect 64 "--state-file '$tmp': is a directory" -- \
	"$ogd" --once --dry-run --root "$fx" --report-dir "$tmp/rep" --state-file "$tmp"
expect 64 "--root '/nonexistent-$$': No such file or directory" -- \
	"$ogd" --once --dry-run --root "/nonexistent-$$"
expect 64 "--root '$tmp/empty': it holds no proc/ directory" -- \
	"$ogd" --once --dry-run --root "$tmp/empty"
expect 64 "--root '/nonexistent-$$': No such file or directory" -- \
	"$ctl" check --root "/nonexistent-$$"
[ -s "$tmp/out" ] && nok "check --root /nonexistent printed a configuration"
expect 64 "--root '$tmp/empty': it holds no proc/ directory" -- \
	"$ctl" snapshot --root "$tmp/empty"
# what still works: an empty policy directory and a report directory yet to be made
expect 0 "" -- once --policy-dir "$tmp/empty" --report-dir "$tmp/new/reports"
exit "$fail"
