#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The paths agree (issue 11): the defaults the built daemon prints in --help (configuration,
# reports, state), the built unit's sandbox, the tmpfiles.d snippet and the installed man pages
# all name the directories configure chose, whatever the prefix.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
b=$top_builddir
[ -x "$b/oomguardiand" ] || { echo "FAIL: oomguardiand not built"; exit 1; }
fail=0
no() { echo "FAIL: $*"; fail=1; }

help=$("$b/oomguardiand" --help)
# the configured file comes first: "FILE and" (then /etc's), or "FILE; none" when they are one
conf=$(printf '%s\n' "$help" | sed -n 's#^ *\(/[^ ]*\)/oomguardian.conf\( and\|; none: built-in)\)$#\1#p' | head -n1)
reports=$(printf '%s\n' "$help" | sed -n 's|.*--report-dir DIR .*(default: \(/[^)]*\)/reports)$|\1|p')
state=$(printf '%s\n' "$help" | sed -n 's|.*--state-file FILE .*(default: \(/[^)]*\)/state)$|\1|p')
[ -n "$conf" ] && [ -n "$reports" ] && [ -n "$state" ] ||
	{ echo "FAIL: --help does not name the default paths:"; printf '%s\n' "$help"; exit 1; }
echo "daemon: config $conf, runtime $state, state $reports"

unit=$b/systemd/oomguardiand.service
rw=$(sed -n 's/^ReadWritePaths=//p' "$unit")
for pair in "$state:/run/oomguardian:RuntimeDirectory" "$reports:/var/lib/oomguardian:StateDirectory"; do
	dir=${pair%%:*} rest=${pair#*:} std=${pair#*:} std=${std%%:*} key=${rest#*:}
	if [ "$dir" = "$std" ]; then
		grep -q "^$key=oomguardian\$" "$unit" || no "unit lacks $key=oomguardian for $dir"
	else
		case " $rw " in
		*" -$dir "*) ;;
		*) no "unit's ReadWritePaths= ($rw) lacks -$dir" ;;
		esac
	fi
done
grep -q "^ExecStart=/.*/oomguardiand\$" "$unit" || no "unit's ExecStart= not substituted"
grep -Eq '@[a-zA-Z_]+@' "$unit" && no "unit has an unsubstituted @...@: $(grep -E '@[a-zA-Z_]+@' "$unit")"

tmpf=$b/systemd/tmpfiles/oomguardian.conf
for d in "$state" "$reports" "$reports/reports"; do
	grep -q "^d $d " "$tmpf" || no "tmpfiles.d snippet does not create $d"
done

# The man pages as installed name the same directories (the sources name the package's).
for p in "$top_srcdir"/man/*.[58]; do
	[ -f "$b/man/paths/${p##*/}" ] || no "man page ${p##*/} is not built with the paths (man/man.am)"
done
grep -q "$reports/reports" "$b/man/paths/oomguardiand.8" || no "oomguardiand(8) does not name $reports/reports"
grep -q "$state/state" "$b/man/paths/oomguardiand.8" || no "oomguardiand(8) does not name $state/state"
grep -q "$conf/oomguardian.conf" "$b/man/paths/oomguardian.conf.5" ||
	no "oomguardian.conf(5) does not name $conf/oomguardian.conf"
[ "$fail" = 0 ] && echo "ok daemon, unit, tmpfiles.d and man pages agree"
exit "$fail"
