#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The package on a real systemd machine (a throwaway VM guest, never a host you care about):
#   contrib/deb-guest-check.sh oomguardian_VERSION_ARCH.deb
# The VM tier runs it in a freshly booted clean Debian 12 guest: tests/vm/run.sh -s deb-install.
# As root, with systemd as PID 1:
#   install  the unit enabled and started by the package, ready (Type=notify: active, not
#            activating), the sandbox letting it write its state (/run/oomguardian) and reports
#            (/var/lib/oomguardian: protecting sshd writes one), oomguardianctl status/check
#   reload   systemctl reload succeeds with a valid policy and FAILS with a broken one (the
#            daemon's own answer, through ExecReload=oomguardianctl reload), same daemon
#   upgrade  to the same package repacked as VERSION+guest1: restarted (a new MainPID), the
#            administrator's policy and edited conffile kept
#   remove   stopped, configuration kept;  purge: everything gone
# Prints "ok NAME ..." / "FAIL NAME ..." lines and ends with "deb-guest-check: PASS" or FAIL.
# The package's dependencies (libcgroup2, libinih1, libjson-c5, libnuma1, libsystemd0) must be
# installable: from the guest's apt sources, or installed beforehand (the VM tier's base has
# them).
set -u
deb=$(realpath "${1:?usage: deb-guest-check.sh PACKAGE.deb}")
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 77; }
[ -d /run/systemd/system ] || { echo "SKIP: systemd is not PID 1 here"; exit 77; }
tmp=$(mktemp -d /tmp/ogtest-guest-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
U=oomguardiand.service
ok() { echo "ok $*"; }
no() { echo "FAIL $*"; fail=1; }
mainpid() { systemctl show -p MainPID --value $U; }
journal() { journalctl -u $U --no-pager -o cat 2>/dev/null; }
# wait (up to 120 s: TCG on a loaded host) until the unit is active with a main pid
wait_active() {
	i=0
	while [ $i -lt 240 ]; do
		[ "$(systemctl is-active $U)" = active ] && [ "$(mainpid)" != 0 ] && return 0
		sleep 0.5
		i=$((i + 1))
	done
	return 1
}
# wait_for SECONDS CMD...: until CMD succeeds
wait_for() {
	i=0 n=$(($1 * 2))
	shift
	while [ $i -lt $n ]; do
		"$@" && return 0
		sleep 0.5
		i=$((i + 1))
	done
	return 1
}
has_report() { [ -n "$(ls -A /var/lib/oomguardian/reports 2>/dev/null)" ]; }
state_is() { grep -qx "pid=$1" /run/oomguardian/state 2>/dev/null; }

# ---- install
if command -v apt-get >/dev/null && apt-get install -y "$deb" >"$tmp/install.log" 2>&1; then
	ok install "apt-get install $(basename "$deb")"
elif dpkg -i "$deb" >>"$tmp/install.log" 2>&1; then
	ok install "dpkg -i $(basename "$deb")"
else
	no install "$(tail -n 5 "$tmp/install.log" | tr '\n' ' ')"
	echo "deb-guest-check: FAIL"
	exit 1
fi
[ "$(systemctl is-enabled $U)" = enabled ] && ok enabled "by the package" ||
	no enabled "$(systemctl is-enabled $U)"
if wait_active; then
	ok active "started by the package (MainPID $(mainpid))"
else
	no active "$(systemctl is-active $U): $(journal | tail -n 5 | tr '\n' ' ')"
fi
# Type=notify: systemd calls it active only after READY=1 (until then: activating)
[ "$(systemctl show -p Type --value $U)" = notify ] && [ "$(systemctl is-active $U)" = active ] &&
	ok notify_ready "Type=notify, READY=1 received" ||
	no notify_ready "Type=$(systemctl show -p Type --value $U), $(systemctl is-active $U)"
pid=$(mainpid)
journal | grep -q 'guarding' && ok guarding "the daemon logged what it guards" ||
	no guarding "no 'guarding' line in the journal"
wait_for 60 state_is "$pid" && ok state_written "/run/oomguardian/state (pid=$pid)" ||
	no state_written "no /run/oomguardian/state naming pid $pid"
# sshd is protected by the vendor policy 10-remote-access: the accepted oom_score_adj write is
# reported, so a report file proves StateDirectory= is writable through ProtectSystem=strict
if wait_for 90 has_report; then
	ok report_written "$(ls /var/lib/oomguardian/reports | head -n 1)"
else
	no report_written "nothing in /var/lib/oomguardian/reports after 90 s"
fi
if journal | grep -iE 'read-only file system|permission denied|cannot write' >"$tmp/denied"; then
	no sandbox "$(head -n 3 "$tmp/denied" | tr '\n' ' ')"
else
	ok sandbox "no refused write in the journal"
fi
oomguardianctl status >"$tmp/status" 2>&1 && grep -q "running (pid $pid" "$tmp/status" &&
	ok status "$(head -n 1 "$tmp/status")" || no status "$(head -n 3 "$tmp/status" | tr '\n' ' ')"
oomguardianctl reports >"$tmp/reports" 2>&1 && [ -s "$tmp/reports" ] &&
	ok reports "oomguardianctl reports lists $(wc -l <"$tmp/reports") line(s)" ||
	no reports "$(head -n 3 "$tmp/reports" | tr '\n' ' ')"
oomguardianctl check --quiet >"$tmp/check" 2>&1 && ok check "oomguardianctl check" ||
	no check "$(head -n 3 "$tmp/check" | tr '\n' ' ')"
oomguardianctl match "$pid" >"$tmp/match" 2>&1 && grep -q "oom_score_adj: -1000" "$tmp/match" &&
	ok self_adj "the daemon runs with oom_score_adj -1000" ||
	no self_adj "$(grep oom_score_adj "$tmp/match" | head -n 2 | tr '\n' ' ')"

# ---- reload: systemctl says what the daemon answered
mkdir -p /etc/oomguardian/policy.d
printf '[Match]\nName=ogguest\nExe=/usr/bin/ogguest\n\n[Policy]\nProtect=yes\n' \
	>/etc/oomguardian/policy.d/50-admin.policy
if systemctl reload $U >"$tmp/reload" 2>&1; then
	ok reload "systemctl reload with a valid policy"
else
	no reload "$(head -n 3 "$tmp/reload" | tr '\n' ' ')"
fi
printf '[Match]\nName=ogguest2\n[Policy]\nNoSuchKey=1\n' >/etc/oomguardian/policy.d/60-broken.policy
if systemctl reload $U >"$tmp/reload-bad" 2>&1; then
	no reload_refused "systemctl reload succeeded with a broken policy"
else
	ok reload_refused "systemctl reload failed"
fi
# ExecReload='s own words, in the unit's journal: the daemon's reason
wait_for 30 sh -c "journalctl -u $U --no-pager -o cat | grep -q 'refused.*60-broken.policy:4'" &&
	ok reload_reason "$(journal | grep -m1 'refused.*60-broken.policy:4')" ||
	no reload_reason "no 'refused ... 60-broken.policy:4' from oomguardianctl reload in the journal"
rm -f /etc/oomguardian/policy.d/60-broken.policy
[ "$(systemctl is-active $U)" = active ] && [ "$(mainpid)" = "$pid" ] &&
	ok reload_same_pid "still active, MainPID $pid" ||
	no reload_same_pid "$(systemctl is-active $U), MainPID $pid -> $(mainpid)"

# ---- upgrade
before=$(mainpid)
echo "# edited by the administrator" >>/etc/oomguardian/oomguardian.conf
dpkg-deb -R "$deb" "$tmp/x"
ver=$(sed -n 's/^Version: //p' "$tmp/x/DEBIAN/control")
sed -i "s/^Version: .*/Version: $ver+guest1/" "$tmp/x/DEBIAN/control"
dpkg-deb -b "$tmp/x" "$tmp/og-up.deb" >/dev/null
dpkg -i --force-confold "$tmp/og-up.deb" >"$tmp/upgrade.log" 2>&1 && ok upgrade "to $ver+guest1" ||
	no upgrade "$(tail -n 5 "$tmp/upgrade.log" | tr '\n' ' ')"
if wait_active && [ "$(mainpid)" != "$before" ]; then
	ok upgrade_restart "MainPID $before -> $(mainpid)"
else
	no upgrade_restart "MainPID $before -> $(mainpid), $(systemctl is-active $U)"
fi
oomguardianctl status >"$tmp/status" 2>&1 && grep -q "running (pid $(mainpid)" "$tmp/status" &&
	ok upgrade_status "$(head -n 1 "$tmp/status")" ||
	no upgrade_status "$(head -n 3 "$tmp/status" | tr '\n' ' ')"
[ -f /etc/oomguardian/policy.d/50-admin.policy ] && ok upgrade_policy_kept "50-admin.policy" ||
	no upgrade_policy_kept "the administrator's policy is gone"
grep -q "edited by the administrator" /etc/oomguardian/oomguardian.conf &&
	ok upgrade_conffile_kept "oomguardian.conf" || no upgrade_conffile_kept "edited conffile replaced"

# ---- remove, purge
dpkg -r oomguardian >"$tmp/remove.log" 2>&1 && ok remove "dpkg -r" ||
	no remove "$(tail -n 5 "$tmp/remove.log" | tr '\n' ' ')"
[ "$(systemctl is-active $U)" != active ] && ok remove_stopped "$(systemctl is-active $U)" ||
	no remove_stopped "still running after remove"
[ -f /etc/oomguardian/oomguardian.conf ] && ok remove_config_kept "oomguardian.conf" ||
	no remove_config_kept "configuration removed by remove"
dpkg -P oomguardian >"$tmp/purge.log" 2>&1 && ok purge "dpkg -P" ||
	no purge "$(tail -n 5 "$tmp/purge.log" | tr '\n' ' ')"
left=
for f in /etc/oomguardian/oomguardian.conf /var/lib/oomguardian /run/oomguardian \
	/etc/systemd/system/multi-user.target.wants/$U /usr/sbin/oomguardiand; do
	[ -e "$f" ] && left="$left $f"
done
[ -z "$left" ] && ok purged "nothing left" || no purged "left behind:$left"
rm -f /etc/oomguardian/policy.d/50-admin.policy
rmdir /etc/oomguardian/policy.d /etc/oomguardian 2>/dev/null
[ "$fail" = 0 ] && echo "deb-guest-check: PASS" || echo "deb-guest-check: FAIL"
exit "$fail"
