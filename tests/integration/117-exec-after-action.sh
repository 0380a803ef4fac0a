#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# ExecAfterAction= end to end: the daemon kills a hog in its 512 MiB group and, once the report
# is written, the hook runs with the report's fields in its environment (the hook writes its
# environment to a file). The notifier is a child of the daemon, started before it is ready.
. "$top_srcdir/tests/integration/lib.sh"

og_init hook 512
printf '#!/bin/sh\nenv | grep "^OOMGUARDIAN_" | sort >"$1.tmp" && mv "$1.tmp" "$1"\n' \
	>"$OG_TMP/hook"
chmod 755 "$OG_TMP/hook"
sed -i "/^\[Guardian\]/a ExecAfterAction=$OG_TMP/hook $OG_TMP/hook.env" "$OG_TMP/og.conf"
og_start_daemon
grep -q "ExecAfterAction '$OG_TMP/hook $OG_TMP/hook.env': notifier pid" "$OG_TMP/daemon.log" &&
	og_ok "notifier started" || og_fail "no notifier started"
# 450 of 512 MiB: into the kill zone
og_spawn "$HOG" --rate 800 --max 450
hog=$OG_PID
i=0
while [ $i -lt 600 ] && ! grep -q "^OOMGUARDIAN_VICTIM_PID=$hog\$" "$OG_TMP/hook.env" 2>/dev/null; do
	sleep 0.05
	i=$((i + 1))
done
if grep -q "^OOMGUARDIAN_VICTIM_PID=$hog\$" "$OG_TMP/hook.env" 2>/dev/null; then
	og_ok "the hook got the victim's pid"
	grep -q '^OOMGUARDIAN_RESULT=' "$OG_TMP/hook.env" && og_ok "and the result" ||
		og_fail "no OOMGUARDIAN_RESULT"
	rep=$(sed -n 's/^OOMGUARDIAN_REPORT=//p' "$OG_TMP/hook.env")
	case $rep in
	"$OG_TMP"/reports/*.json) [ -f "$rep" ] && og_ok "OOMGUARDIAN_REPORT names the report file" ||
		og_fail "OOMGUARDIAN_REPORT=$rep does not exist" ;;
	*) og_fail "OOMGUARDIAN_REPORT=$rep is not in the report directory" ;;
	esac
else
	og_fail "the hook did not report the kill of $hog: $(cat "$OG_TMP/hook.env" 2>/dev/null)"
fi
og_alive "$hog" && kill -9 "$hog"
og_finish
