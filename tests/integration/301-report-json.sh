#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A real kill in a test group leaves one JSON report that says everything issue 9 asks for:
# ISO 8601 time, host, rule, measured value and limit, the victim with cmdline, uid, unit and
# cgroup, the candidates with their scores, what was sent, what was freed and when, a machine
# summary at the decision and the flight recorder's samples; the file is named by time.
. "$top_srcdir/tests/integration/lib.sh"
command -v python3 >/dev/null || og_skip "python3 reads the JSON"

og_init rjson 512
og_start_daemon
# parks in the kill zone (460 of 512 MiB) below the group limit: the kernel never has to act
og_spawn "$HOG" --ignore-term --rate 100 --max 460
hog=$OG_PID
og_wait_gone "$hog" 20 || og_fail "hog still running"
og_wait_reports 10 kill term || og_fail "no finished report"
f=$(og_reports kill | tail -n 1) # --ignore-term: the SIGKILL closes the story
[ -n "$f" ] || { og_fail "no kill or term report"; og_finish; }
base=$(basename "$f")
echo "$base" | grep -Eq '^[0-9]{8}T[0-9]{6}\.[0-9]{6}Z-[0-9]+-[0-9]+-(kill|term)\.json$' &&
	og_ok "named by time: $base" || og_fail "report name '$base'"
python3 - "$f" "$hog" "$(hostname)" "/$OG_CG" <<'EOPY' || og_fail "report content (see above)"
import datetime, json, re, sys
path, hog, host, cg = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
r = json.load(open(path))
bad = []
def need(cond, what):
    if not cond:
        bad.append(what)
need(r["format"] == 1, "format 1")
need(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", r["time"] or ""), "ISO time")
need(r["host"] == host, "host %r" % r["host"])
need(r["dry_run"] is False, "dry_run false")
need(r["decision"] == "acted", "decision acted")
need(r["result"] in ("killed", "terminated"), "result %r" % r["result"])
need(r["rule"] and "[" in r["rule"], "rule %r" % r["rule"])
need(r["metric"] and isinstance(r["measured"], int) and isinstance(r["limit"], int),
     "measured and limit")
v = r["victim"] or {}
need(v.get("pid") == hog, "victim pid")
need("memhog" in (v.get("cmdline") or ""), "victim cmdline %r" % v.get("cmdline"))
need(v.get("uid") == 0, "victim uid")
need((v.get("cgroup") or "").startswith(cg), "victim cgroup %r" % v.get("cgroup"))
need("unit" in v, "victim unit key")
c = r["candidates"]
need(len(c) >= 1 and any(x["chosen"] and x["pid"] == hog for x in c), "candidates")
need(all("free_bytes" in x and "oom_score" in x and "tier" in x for x in c), "scores")
s = r["sent"] or {}
need(s.get("sigkill") or s.get("sigterm"), "sent")
need(s.get("exited") is True and isinstance(s.get("exited_after_usec"), int), "exited when")
need(r["freed_bytes"] > 64 << 20, "freed %d" % r["freed_bytes"])
m = r["machine"] or {}
need(m.get("available_bytes", 0) > 0 and m.get("total_bytes", 0) > 0, "machine memory")
need("memory_pressure" in m and "top_slab_caches" in m and "nodes" in m, "machine keys")
fr = r["flight_recorder"] or {}
need(len(fr.get("samples", [])) >= 1, "flight recorder samples")
need(all(x["total_bytes"] > 0 for x in fr.get("samples", [])), "samples carry memory")
# taken by the poll about once a second: never closer than 9/10 of the period
ts = [datetime.datetime.strptime(x["time"], "%Y-%m-%dT%H:%M:%S.%fZ") for x in fr.get("samples", [])]
gaps = [(b - a).total_seconds() for a, b in zip(ts, ts[1:])]
need(all(g >= 0.9 * fr.get("period_usec", 0) / 1e6 - 0.001 for g in gaps),
     "samples a period apart (gaps %s)" % ["%.3f" % g for g in gaps[:8]])
if bad:
    print("report %s lacks: %s" % (path, ", ".join(bad)))
    sys.exit(1)
EOPY
[ "$(stat -c %a "$f")" = 640 ] && og_ok "report mode 0640" || og_fail "report mode $(stat -c %a "$f")"
ls -A "$OG_TMP/reports" | grep -q '\.tmp$' && og_fail "a temporary file was left behind"
[ -n "${OG_KEEP:-}" ] && cp "$f" "$OG_KEEP" # keep it for a look (not in the suite)
og_finish
