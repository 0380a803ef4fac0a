#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `oomguardianctl report --html` renders in a real browser (headless Chromium, Debian's
# package): the page loads, its timeline plot has the report's samples as data points, the
# action is marked, and a hostile comm from the kernel is shown as text, never run.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
ctl="$top_builddir/oomguardianctl"
fx="$top_srcdir/tests/fixtures/reports"
id=20261202T032910.457282Z-17457-3-kill
browser=$(command -v chromium || command -v chromium-browser) || {
	echo "SKIP: chromium is not installed (apt-get install chromium)"
	exit 77
}
tmp=$(mktemp -d /tmp/ogtest-html-$$.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0
nok() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$ctl" report --html --report-dir "$fx" "$id" >"$tmp/page.html" || nok "report --html failed"
grep -q '<script' "$tmp/page.html" && nok "the page holds a script element (hostile comm unescaped)"
# a fresh profile, nothing from the network, no sandbox (we run as root in a container)
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
	--disable-component-update --disable-sync --no-first-run --user-data-dir="$tmp/profile" \
	--dump-dom "file://$tmp/page.html" >"$tmp/dom.html" 2>"$tmp/browser.err" ||
	{ nok "chromium could not render the page"; cat "$tmp/browser.err"; }
samples=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["flight_recorder"]["samples"]))' \
	"$fx/$id.json")
python3 - "$tmp/dom.html" "$samples" <<'EOPY' || nok "the rendered plot (see above)"
import re, sys
from html.parser import HTMLParser
dom, samples = open(sys.argv[1]).read(), int(sys.argv[2])
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.lines, self.markers, self.scripts, self.title, self.in_title = {}, [], 0, "", False
    def handle_starttag(self, tag, a):
        a = dict(a)
        if tag == "polyline":
            self.lines[a.get("id")] = a.get("points", "").split()
        if tag == "g" and "marker" in (a.get("class") or ""):
            self.markers.append(a.get("data-kind"))
        if tag == "script":
            self.scripts += 1
        self.in_title = tag == "title"
    def handle_data(self, d):
        if self.in_title:
            self.title += d
p = P()
p.feed(dom)
bad = []
if len(p.lines.get("avail", [])) != samples:
    bad.append("available memory has %d points, want %d" % (len(p.lines.get("avail", [])), samples))
for k in ("psi-some", "psi-full", "svc-0", "svc-1"):
    if len(p.lines.get(k, [])) < 2:
        bad.append("%s has no data points" % k)
pts = [tuple(map(float, x.split(","))) for x in p.lines.get("avail", [])]
if pts and not all(70 <= x <= 900 and 20 <= y <= 330 for x, y in pts):
    bad.append("points outside the plot area: %s" % pts)
if pts and not all(pts[i][0] < pts[i + 1][0] for i in range(len(pts) - 1)):
    bad.append("time does not increase left to right")
if "decision" not in p.markers or "exited" not in p.markers:
    bad.append("markers %s" % p.markers)
if p.scripts or "pwned" in p.title:
    bad.append("the hostile comm ran")
if "mem<script>document.title" not in re.sub(r"&lt;", "<", dom) and "mem&lt;script&gt;" not in dom:
    bad.append("the hostile comm is not shown as text")
if "chosen" not in dom or "qemu-vm2" not in dom:
    bad.append("the candidates table")
if bad:
    print("\n".join(bad))
    sys.exit(1)
print("ok: %d samples plotted, markers %s" % (samples, ", ".join(p.markers)))
EOPY
# a screenshot too: the page paints (a PNG of some size)
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
	--disable-component-update --disable-sync --no-first-run --user-data-dir="$tmp/profile" \
	--window-size=1100,1400 --screenshot="$tmp/shot.png" "file://$tmp/page.html" \
	>/dev/null 2>>"$tmp/browser.err"
[ "$(head -c 4 "$tmp/shot.png" 2>/dev/null | od -An -c | tr -d ' ')" = "211PNG" ] &&
	[ "$(stat -c %s "$tmp/shot.png")" -gt 20000 ] || nok "no screenshot of the page"
[ "$fails" = 0 ]
