#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# oomguardianctl match on live processes of a test group: which policy matched and why,
# protection and whether the kernel took the oom_score_adj, the budget, the kill order, and
# systemd's ManagedOOMPreference= xattrs (user.oomd_omit / user.oomd_avoid on the cgroup2
# twin of the group: cgroup2 keeps user xattrs since kernel 5.7).
. "$top_srcdir/tests/integration/lib.sh"
CTL=$top_builddir/oomguardianctl

og_init match 256
command -v setfattr >/dev/null || og_skip "no setfattr (Debian package attr)"
printf '[Match]\nName=ogm-keep\n[Policy]\nProtect=yes\nOOMScoreAdjust=100\n' \
	>"$OG_TMP/policy.d/10-keep.policy"
printf '[Match]\nName=ogm-hog\nCgroup=/ogtest-match-*\n[Policy]\nKillPreference=prefer\nMemoryBudget=8M\n' \
	>"$OG_TMP/policy.d/20-hog.policy"
printf '[Match]\nName=ogm-adj\n[Policy]\nOOMScoreAdjust=200\n' >"$OG_TMP/policy.d/30-adj.policy"
og_subgroup omit
og_subgroup avoid
og_subgroup user
og_spawn "$HOG" --name ogm-keep --max 0
keep=$OG_PID
echo 100 >"/proc/$keep/oom_score_adj" # what the daemon would have set (raising needs no caps)
og_spawn "$HOG" --name ogm-hog --max 24
hog=$OG_PID
og_spawn "$HOG" --name ogm-adj --max 4
adj=$OG_PID
og_spawn -g omit "$HOG" --name ogm-omit --max 32
omit=$OG_PID
og_spawn -g avoid "$HOG" --name ogm-avoid --max 16
avoid=$OG_PID
og_spawn "$HOG" --name ogm-plain --max 8
plain=$OG_PID
og_spawn -g user "$HOG" --name ogm-user --max 4
user=$OG_PID
if ! setfattr -n user.oomd_omit -v 1 "$OG_V2CG/omit" 2>"$OG_TMP/xattr.err"; then
	og_skip "cgroup2 refuses user xattrs (kernel < 5.7?): $(cat "$OG_TMP/xattr.err")"
fi
setfattr -n user.oomd_avoid -v 1 "$OG_V2CG/avoid" || og_fail "setfattr user.oomd_avoid"
# a cgroup delegated to a user (nobody): its user.* xattrs do not count for the machine
chown 65534 "$OG_V2CG/user" && setfattr -n user.oomd_omit -v 1 "$OG_V2CG/user" ||
	og_fail "setfattr on the user's cgroup"
# wait until the allocators hold their memory (RssAnon in KiB), then ask
for p in $hog $omit $avoid $plain $user; do
	i=0
	while [ $i -lt 200 ] && [ "$(awk '/^RssAnon/ {print $2}' "/proc/$p/status")" -lt 6000 ]; do
		sleep 0.05
		i=$((i + 1))
	done
done

m() {
	"$CTL" match --config "$OG_TMP/og.conf" --policy-dir "$OG_TMP/policy.d" --scope "/$OG_CG" "$@"
}
m "$keep" "$hog" "$adj" "$omit" "$avoid" "$plain" "$user" >"$OG_TMP/match.out" 2>&1 ||
	og_fail "match exited $?"
cat "$OG_TMP/match.out"
want() { grep -qF -- "$1" "$OG_TMP/match.out" && og_ok "$2" || og_fail "$2: no '$1'"; }
want "matches 10-keep ($OG_TMP/policy.d/10-keep.policy): Name=ogm-keep" "why 10-keep matched"
want "protected: yes, by 10-keep" "protected"
want "oom_score_adj: 100, as 10-keep wants (the kernel took it)" "oom_score_adj taken"
want "oom_score_adj: 0, but 30-adj wants 200: not taken" "oom_score_adj not taken"
want "matches 20-hog ($OG_TMP/policy.d/20-hog.policy): Name=ogm-hog Cgroup=/ogtest-match-*" \
	"why 20-hog matched (two keys)"
want "budget: 8.0M for /$OG_CG (MemoryBudget= of 20-hog)" "budget shown"
want "OVER its budget" "over budget"
want "kill order: 1 of 5 (tier prefer" "the preferred hog is first"
want "kill preference: prefer (KillPreference= of 20-hog at $OG_TMP/policy.d/20-hog.policy:5)" \
	"a policy's preference: its file and line"
want "kill preference: never (ManagedOOMPreference=omit of its unit: user.oomd_omit on /$OG_CG/omit)" \
	"omit from the xattr, and where it was found"
want "kill order: not a candidate: its unit says ManagedOOMPreference=omit" "omit is no candidate"
want "kill preference: avoid (ManagedOOMPreference=avoid of its unit: user.oomd_avoid on /$OG_CG/avoid)" \
	"avoid from the xattr"
want "kill order: 5 of 5 (tier avoid" "avoid goes last"
want "kill order: not a candidate: protected by 10-keep" "protected is no candidate"
want "ignored: user.oomd_omit on /$OG_CG/user (owned by uid 65534)" \
	"a user's xattr on its own cgroup: shown as ignored"

# check lists where preferences come from: policy file:line, and every oomd xattr on the
# machine with the owner rule's verdict
"$CTL" check --config "$OG_TMP/og.conf" --policy-dir "$OG_TMP/policy.d" >"$OG_TMP/check.out" 2>&1 ||
	og_fail "check exited $?"
cwant() { grep -qF -- "$1" "$OG_TMP/check.out" && og_ok "check: $2" || og_fail "check: $2: no '$1'"; }
cwant "#   20-hog: KillPreference=prefer at $OG_TMP/policy.d/20-hog.policy:5" "policy file:line"
cwant "#   /$OG_CG/omit: user.oomd_omit (ManagedOOMPreference=omit): KillPreference=never (the cgroup is root's)" \
	"omit xattr counts"
cwant "#   /$OG_CG/avoid: user.oomd_avoid (ManagedOOMPreference=avoid): KillPreference=avoid (the cgroup is root's)" \
	"avoid xattr counts"
cwant "#   /$OG_CG/user: user.oomd_omit (ManagedOOMPreference=omit): ignored: the cgroup is owned by uid 65534" \
	"a user's xattr is ignored (owner rule)"
# as a daemon guarding the user's subtree would see them: only there, and the user's counts
"$CTL" check --config "$OG_TMP/og.conf" --policy-dir "$OG_TMP/policy.d" --scope "/$OG_CG/user" \
	>"$OG_TMP/check.out" 2>&1 || og_fail "check --scope exited $?"
cwant "#   /$OG_CG/user: user.oomd_omit (ManagedOOMPreference=omit): KillPreference=never (the cgroup is uid 65534's, who owns the scope)" \
	"--scope: the scope owner's xattr counts"
! grep -qF "/$OG_CG/omit:" "$OG_TMP/check.out" && og_ok "check: --scope lists its subtree only" ||
	og_fail "check: --scope listed /$OG_CG/omit"
"$CTL" check --scope relative --config "$OG_TMP/og.conf" >/dev/null 2>"$OG_TMP/check.err"
[ $? = 64 ] && grep -q "expected a cgroup path" "$OG_TMP/check.err" && og_ok "check: a bad --scope is a usage error" ||
	og_fail "check: bad --scope: $(cat "$OG_TMP/check.err")"
"$CTL" check --quiet --config "$OG_TMP/og.conf" --policy-dir "$OG_TMP/policy.d" >"$OG_TMP/check.q" 2>"$OG_TMP/check.qerr"
[ ! -s "$OG_TMP/check.q" ] && og_ok "check --quiet prints nothing" ||
	og_fail "check --quiet printed: $(head -n 3 "$OG_TMP/check.q")"

# --all lists every process in kill order
m --all >"$OG_TMP/all.out" 2>&1 || og_fail "match --all exited $?"
first=$(awk '$1 == "1" {print $2}' "$OG_TMP/all.out")
[ "$first" = "$hog" ] && og_ok "--all: the hog first" ||
	{ og_fail "--all: first is '$first'"; cat "$OG_TMP/all.out"; }
grep -q "^- *$omit .*ManagedOOMPreference=omit" "$OG_TMP/all.out" && og_ok "--all: omit says why" ||
	og_fail "--all: no line for the omitted process"
m 999999 >/dev/null 2>&1
[ $? = 1 ] && og_ok "an unknown pid: exit 1" || og_fail "an unknown pid: not exit 1"
m >/dev/null 2>&1
[ $? = 64 ] && og_ok "no pid: usage error" || og_fail "no pid: not exit 64"
og_finish
