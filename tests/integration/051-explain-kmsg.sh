#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The kernel-log form end to end, on a report the parser has never seen: a memhog in a 64 MiB
# test group is killed by the kernel's own memcg OOM killer (no daemon runs), and
# `oomguardianctl explain` without FILE must find that report in /dev/kmsg with the group, its
# limit and the victim.
. "$top_srcdir/tests/integration/lib.sh"
CTL="$top_builddir/oomguardianctl"

[ -r /dev/kmsg ] || og_skip "/dev/kmsg is not readable"
command -v python3 >/dev/null || og_skip "python3 missing"
og_init explain 64
og_spawn "$HOG" --max 256 --name ogexplainhog --lifetime 60
pid=$OG_PID
og_wait_gone "$pid" 60 || og_fail "memhog $pid was not killed by the kernel"
[ "$(og_oom_kills)" -ge 1 ] || og_fail "the group counts no kernel OOM kill"

# printk may lag the kill: poll the log until the report is complete (kill line included)
found=
i=0
while [ $i -lt 100 ] && [ -z "$found" ]; do
	if ! "$CTL" explain --json >"$OG_TMP/explain.json" 2>"$OG_TMP/explain.err"; then
		og_fail "explain failed: $(cat "$OG_TMP/explain.err")"
		break
	fi
	python3 - "$OG_TMP/explain.json" "/$OG_CG" "$pid" <<'PY' && found=yes
import json, sys
path, pid = sys.argv[2], int(sys.argv[3])
for r in json.load(open(sys.argv[1]))["reports"]:
    m, k = r["memcg"], r["killed"]
    if m and m["path"] == path and k and k["pid"] == pid:
        assert r["kind"] == "memcg", r["kind"]
        assert r["constraint"] in (None, "memcg"), r["constraint"]
        assert m["limit_kb"] == 64 * 1024, m["limit_kb"]
        assert k["comm"] == "ogexplainhog", k["comm"]
        assert k["anon_rss_kb"] > 32 * 1024, k["anon_rss_kb"]
        assert "memcg_limit" in r["causes"], r["causes"]
        assert r["trigger"]["comm"] == "ogexplainhog", r["trigger"]
        sys.exit(0)
sys.exit(1)
PY
	[ -n "$found" ] || sleep 0.1
	i=$((i + 1))
done
[ -n "$found" ] && og_ok "explain found the kill of $pid in /$OG_CG" ||
	og_fail "no explained report for /$OG_CG and pid $pid in /dev/kmsg"
"$CTL" explain | grep -q "memory cgroup /$OG_CG was at its limit (usage" ||
	og_fail "the text form does not name the group at its limit"
og_finish
