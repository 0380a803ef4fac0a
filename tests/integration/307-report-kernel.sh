#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `oomguardianctl report` shows the kernel's OOM report of the same minutes, explained: a hog
# in a 64 MiB test group is killed by the kernel's memcg OOM killer (no daemon runs), and a
# report of this host stamped now finds that kill in this boot's kernel log (text and page).
. "$top_srcdir/tests/integration/lib.sh"
CTL="$top_builddir/oomguardianctl"
"$CTL" explain --help >/dev/null 2>&1 || og_skip "this oomguardianctl has no explain command"
[ -r /dev/kmsg ] || og_skip "/dev/kmsg is not readable"

og_init kreport 64
[ "$OG_LAYOUT" = v1 ] && echo 0 >"$OG_MEMCG/memory.swappiness" 2>/dev/null
og_spawn "$HOG" --rate 200 --max 256
hog=$OG_PID
og_wait_gone "$hog" 30 || og_fail "the kernel did not kill the hog"
[ "$(og_oom_kills)" -ge 1 ] || og_fail "no memcg OOM kill counted"
# a report of ours from the same minute (the fixture's, stamped now, on this host)
python3 - "$top_srcdir/tests/fixtures/reports/20261202T032910.457282Z-17457-3-kill.json" \
	"$OG_TMP/reports" "$(hostname)" <<'EOPY' || exit 99
import datetime, json, sys
r = json.load(open(sys.argv[1]))
now = datetime.datetime.now(datetime.timezone.utc)
r["id"] = now.strftime("%Y%m%dT%H%M%S.%fZ") + "-1-1-kill"
r["time"] = r["updated"] = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
r["host"] = sys.argv[3]
json.dump(r, open("%s/%s.json" % (sys.argv[2], r["id"]), "w"))
EOPY
id=$(ls "$OG_TMP/reports" | sed -n 's/\.json$//p' | head -n 1)
"$CTL" report --report-dir "$OG_TMP/reports" "$id" >"$OG_TMP/out.txt" 2>&1
grep -q "^Kernel: *[0-9]* OOM reports\{0,1\} in the kernel log of this boot around it" "$OG_TMP/out.txt" &&
	og_ok "the kernel's report is found" || { og_fail "no kernel report"; cat "$OG_TMP/out.txt"; }
grep -q "memcg: killed pid $hog memhog" "$OG_TMP/out.txt" && og_ok "it names the hog the kernel killed" ||
	{ og_fail "the kill of $hog is not shown"; cat "$OG_TMP/out.txt"; }
grep -q "memcg_limit" "$OG_TMP/out.txt" || og_fail "the cause memcg_limit is not given"
"$CTL" report --html --report-dir "$OG_TMP/reports" "$id" >"$OG_TMP/page.html"
grep -q "<section id=\"kernel\">" "$OG_TMP/page.html" && grep -q "killed pid $hog memhog" "$OG_TMP/page.html" &&
	og_ok "the page explains it too" || og_fail "no kernel section on the page"
# a report of another host does not look at this host's log
sed -i "s/\"host\": \"[^\"]*\"/\"host\": \"elsewhere.example\"/" "$OG_TMP/reports/$id.json"
"$CTL" report --report-dir "$OG_TMP/reports" "$id" | grep -q "^Kernel: *not looked for: the report is another host's" ||
	og_fail "another host's report read this host's kernel log"
og_finish
