#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The package on a real systemd machine (a throwaway VM guest, never a host you care about):
#   contrib/deb-guest-check.sh oomguardian_VERSION_ARCH.deb
# As root, with systemd as PID 1: install (the unit must be enabled and running), upgrade to the
# same package repacked as VERSION+guest1 (the daemon must be restarted: a new MainPID; the
# administrator's policy and edited conffile kept), remove (stopped, configuration kept), purge
# (everything gone). Prints "ok ..." lines and ends with "deb-guest-check: PASS" or FAIL.
# The package's dependencies (libcgroup2, libinih1, libjson-c5, libnuma1, libsystemd0) must be
# installable: from the guest's apt sources, or copied in beside the .deb
# (apt-get download them on the host) and installed first with dpkg -i.
set -u
deb=$(realpath "${1:?usage: deb-guest-check.sh PACKAGE.deb}")
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 77; }
[ -d /run/systemd/system ] || { echo "SKIP: systemd is not PID 1 here"; exit 77; }
tmp=$(mktemp -d /tmp/ogtest-guest-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok $*"; }
no() { echo "FAIL: $*"; fail=1; }
mainpid() { systemctl show -p MainPID --value oomguardiand.service; }
# wait (up to 60 s) until the unit is active with a main pid
wait_active() {
	i=0
	while [ $i -lt 120 ]; do
		[ "$(systemctl is-active oomguardiand.service)" = active ] && [ "$(mainpid)" != 0 ] &&
			return 0
		sleep 0.5
		i=$((i + 1))
	done
	return 1
}

if command -v apt-get >/dev/null && apt-get install -y "$deb" >"$tmp/install.log" 2>&1; then
	ok "apt-get install $(basename "$deb")"
elif dpkg -i "$deb" >"$tmp/install.log" 2>&1; then
	ok "dpkg -i $(basename "$deb")"
else
	no "install:"; cat "$tmp/install.log"; exit 1
fi
[ "$(systemctl is-enabled oomguardiand.service)" = enabled ] && ok "unit enabled" ||
	no "unit not enabled: $(systemctl is-enabled oomguardiand.service)"
if wait_active; then
	ok "unit active (MainPID $(mainpid))"
else
	no "unit not active:"; systemctl status --no-pager oomguardiand.service
	journalctl -u oomguardiand.service --no-pager | tail -n 30
fi
journalctl -u oomguardiand.service --no-pager 2>/dev/null | grep -q 'guarding' &&
	ok "the daemon logged what it guards" || no "no 'guarding' line in the journal"
[ -d /var/lib/oomguardian ] && [ -d /run/oomguardian ] && ok "state directories exist" ||
	no "no /var/lib/oomguardian or /run/oomguardian"
oomguardianctl check --quiet && ok "oomguardianctl check" || no "oomguardianctl check failed"
oomguardianctl match "$(mainpid)" >"$tmp/match" 2>&1 && grep -q "oom_score_adj: -1000" "$tmp/match" &&
	ok "the daemon runs with oom_score_adj -1000" || { no "match of the daemon:"; cat "$tmp/match"; }

# upgrade
before=$(mainpid)
mkdir -p /etc/oomguardian/policy.d
printf '[Match]\nName=ogguest\nExe=/usr/bin/ogguest\n\n[Policy]\nProtect=yes\n' \
	>/etc/oomguardian/policy.d/50-admin.policy
echo "# edited by the administrator" >>/etc/oomguardian/oomguardian.conf
dpkg-deb -R "$deb" "$tmp/x"
ver=$(sed -n 's/^Version: //p' "$tmp/x/DEBIAN/control")
sed -i "s/^Version: .*/Version: $ver+guest1/" "$tmp/x/DEBIAN/control"
dpkg-deb -b "$tmp/x" "$tmp/og-up.deb" >/dev/null
dpkg -i --force-confold "$tmp/og-up.deb" >"$tmp/upgrade.log" 2>&1 && ok "upgrade to $ver+guest1" ||
	{ no "upgrade:"; cat "$tmp/upgrade.log"; }
if wait_active && [ "$(mainpid)" != "$before" ]; then
	ok "restarted on upgrade (MainPID $before -> $(mainpid))"
else
	no "not restarted on upgrade (MainPID $before -> $(mainpid))"
fi
[ -f /etc/oomguardian/policy.d/50-admin.policy ] && ok "administrator's policy kept" ||
	no "administrator's policy lost"
grep -q "edited by the administrator" /etc/oomguardian/oomguardian.conf && ok "edited conffile kept" ||
	no "edited conffile replaced"

# remove, purge
dpkg -r oomguardian >"$tmp/remove.log" 2>&1 && ok "dpkg -r" || { no "dpkg -r:"; cat "$tmp/remove.log"; }
[ "$(systemctl is-active oomguardiand.service)" != active ] && ok "stopped on remove" ||
	no "still running after remove"
[ -f /etc/oomguardian/oomguardian.conf ] && ok "configuration kept on remove" ||
	no "configuration removed by remove"
dpkg -P oomguardian >"$tmp/purge.log" 2>&1 && ok "dpkg -P" || { no "dpkg -P:"; cat "$tmp/purge.log"; }
[ ! -e /etc/oomguardian/oomguardian.conf ] && [ ! -e /var/lib/oomguardian ] &&
	[ ! -e /etc/systemd/system/multi-user.target.wants/oomguardiand.service ] &&
	ok "purged" || no "purge left files behind"
rm -f /etc/oomguardian/policy.d/50-admin.policy
rmdir /etc/oomguardian/policy.d /etc/oomguardian 2>/dev/null
[ "$fail" = 0 ] && echo "deb-guest-check: PASS" || echo "deb-guest-check: FAIL"
exit "$fail"
