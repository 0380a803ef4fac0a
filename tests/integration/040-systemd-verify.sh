#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The unit validates: `systemd-analyze verify` on a copy of the built unit with ExecStart=
# pointing at the built binary, and with the man pages it names (Documentation=) as built.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
command -v systemd-analyze >/dev/null || { echo "SKIP: no systemd-analyze"; exit 77; }
[ -x "$top_builddir/oomguardiand" ] || { echo "FAIL: oomguardiand not built"; exit 1; }
tmp=$(mktemp -d /tmp/ogtest-unit-$$.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0

# The unit as built (configure's paths substituted), pointed at the built binaries.
[ -f "$top_builddir/systemd/oomguardiand.service" ] || { echo "FAIL: unit not built"; exit 1; }
sed -e "s|^ExecStart=.*/oomguardiand\$|ExecStart=$top_builddir/oomguardiand|" \
	-e "s|^ExecReload=.*/oomguardianctl |ExecReload=$top_builddir/oomguardianctl |" \
	"$top_builddir/systemd/oomguardiand.service" >"$tmp/oomguardiand.service"
# systemctl reload must fail when the daemon refuses: the reload waits for its answer
grep -q "^ExecReload=$top_builddir/oomguardianctl reload\$" "$tmp/oomguardiand.service" ||
	{ echo "FAIL: ExecReload= is not 'oomguardianctl reload'"; fail=1; }
grep -q "^ExecStart=$top_builddir/oomguardiand\$" "$tmp/oomguardiand.service" ||
	{ echo "FAIL: ExecStart not substituted"; fail=1; }

# Documentation=man:... is checked by verify through man(1): give it our pages.
mkdir -p "$tmp/man/man5" "$tmp/man/man8"
for p in "$top_builddir"/man/paths/*.5; do ln -s "$p" "$tmp/man/man5/"; done
for p in "$top_builddir"/man/paths/*.8; do ln -s "$p" "$tmp/man/man8/"; done
if command -v man >/dev/null; then
	manopt=
	export MANPATH="$tmp/man"
else
	manopt=--man=no
fi
# shellcheck disable=SC2086
if (cd "$tmp" && systemd-analyze verify $manopt ./oomguardiand.service) >"$tmp/out" 2>&1 &&
	! grep -q . "$tmp/out"; then
	echo "ok systemd-analyze verify"
else
	echo "FAIL: systemd-analyze verify:"; cat "$tmp/out"; fail=1
fi

# What the unit promises (issue 4): each of these lines must be there.
for want in '^Type=notify$' '^WatchdogSec=' '^Restart=always$' '^OOMScoreAdjust=-1000$' \
	'^ProtectSystem=strict$' '^NoNewPrivileges=yes$' '^LimitMEMLOCK=infinity$' \
	'^CapabilityBoundingSet=' '^SystemCallFilter=@system-service .*process_mrelease' \
	'^ProtectHome=yes$' '^PrivateTmp=yes$' '^StateDirectory=oomguardian$' \
	'^RuntimeDirectory=oomguardian$'; do
	grep -q "$want" "$tmp/oomguardiand.service" || { echo "FAIL: unit lacks $want"; fail=1; }
done
# every capability in the bounding set is named and justified in a comment
for cap in $(sed -n 's/^CapabilityBoundingSet=//p' "$tmp/oomguardiand.service"); do
	grep -q "^#  $cap " "$tmp/oomguardiand.service" ||
		{ echo "FAIL: $cap is not justified"; fail=1; }
done
[ "$fail" = 0 ] && echo "ok unit contents"
exit "$fail"
