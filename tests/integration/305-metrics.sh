#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Prometheus metrics: MetricsFile= is written (atomically: never a partial file) in the text
# format node_exporter's textfile collector reads, and counts a real kill with its freed bytes
# and crossing-to-signal latency; MetricsSocket= answers an HTTP GET with the same text.
. "$top_srcdir/tests/integration/lib.sh"
command -v python3 >/dev/null || og_skip "python3 reads the metrics"

og_init metrics 512
printf '[Guardian]\nMetricsFile=%s\nMetricsSocket=%s\n' "$OG_TMP/prom/oomguardian.prom" \
	"$OG_TMP/metrics.sock" >"$OG_TMP/og.conf.tmp"
sed '1d' "$OG_TMP/og.conf" >>"$OG_TMP/og.conf.tmp" && mv "$OG_TMP/og.conf.tmp" "$OG_TMP/og.conf"
og_start_daemon
prom=$OG_TMP/prom/oomguardian.prom
i=0
while [ ! -s "$prom" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
[ -s "$prom" ] && og_ok "MetricsFile written" || og_fail "no MetricsFile"
og_spawn "$HOG" --ignore-term --rate 100 --max 460
hog=$OG_PID
og_wait_gone "$hog" 20 || og_fail "hog still running"
og_wait_reports 10 kill || og_fail "no kill report"
i=0
until grep -q 'oomguardian_actions_total{kind="kill",result="killed"} 1' "$prom" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 200 ] || break
	sleep 0.05
done
# the socket: an HTTP/1.0 GET over the unix socket
python3 - "$OG_TMP/metrics.sock" >"$OG_TMP/http.txt" <<'EOPY' || og_fail "MetricsSocket did not answer"
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
out = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    out += d
sys.stdout.write(out.decode())
EOPY
python3 - "$prom" "$OG_TMP/http.txt" <<'EOPY' || og_fail "metrics content (see above)"
import re, sys
text = open(sys.argv[1]).read()
http = open(sys.argv[2], newline="").read()
bad = []
types, seen = {}, {}
for line in text.splitlines():
    if line.startswith("# TYPE "):
        _, _, name, t = line.split(" ", 3)
        types[name] = t
        continue
    if line.startswith("#") or not line:
        continue
    m = re.fullmatch(r'([a-z_:][a-z0-9_:]*)(\{[^}]*\})? (-?[0-9.e+]+|\+Inf|NaN)', line)
    if not m:
        bad.append("not a sample line: %r" % line)
        continue
    seen.setdefault(m.group(1), []).append((m.group(2) or "", float(m.group(3))))
for name, t in types.items():
    if t == "counter" and not name.endswith("_total"):
        bad.append("counter %s without _total" % name)
def val(name, labels=""):
    return dict(seen.get(name, [])).get(labels)
if val("oomguardian_actions_total", '{kind="kill",result="killed"}') != 1:
    bad.append("kill not counted: %s" % seen.get("oomguardian_actions_total"))
if (val("oomguardian_freed_bytes_total", '{kind="kill"}') or 0) < 64 << 20:
    bad.append("freed bytes %s" % val("oomguardian_freed_bytes_total", '{kind="kill"}'))
if val("oomguardian_kill_latency_seconds_count") != 1:
    bad.append("latency not observed")
if val("oomguardian_kill_latency_seconds_bucket", '{le="+Inf"}') != 1:
    bad.append("histogram +Inf bucket")
for g in ("oomguardian_memory_available_bytes", "oomguardian_stage", "oomguardian_policies",
          "oomguardian_protect_writes_total", "oomguardian_policy_load_failures_total"):
    if g not in seen:
        bad.append("no " + g)
if "oomguardian_kernel_oom_kill_total" not in seen and "oom_kill" in open("/proc/vmstat").read():
    bad.append("no kernel oom_kill counter")
if not http.startswith("HTTP/1.0 200 OK\r\n") or "oomguardian_actions_total" not in http:
    bad.append("socket answer: %r" % http[:80])
if bad:
    print("\n".join(bad))
    sys.exit(1)
EOPY
ls -A "$OG_TMP/prom" | grep -q '\.tmp$' && og_fail "a temporary metrics file was left"
kill -TERM "$OG_DPID"
wait "$OG_DPID"
rc=$?
OG_DPID=
[ "$rc" = 0 ] || og_fail "daemon exit status $rc"
[ -e "$OG_TMP/metrics.sock" ] && og_fail "the metrics socket was left behind at exit"
og_finish
