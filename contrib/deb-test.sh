#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install, upgrade, remove and purge the built package on a throwaway copy of this machine:
#   contrib/deb-test.sh ../oomguardian_VERSION_ARCH.deb
# Runs as root in a private mount namespace, chrooted into an overlay of / whose writes go to a
# tmpfs that vanishes with the namespace: the host's dpkg database, /etc, /run and /var are never
# written, and no daemon is started.
#
# - install: the real maintainer scripts with the real deb-systemd-helper/-invoke. systemd is not
#   PID 1 here (no /run/systemd/system), so postinst enables the unit but must start nothing;
#   the script checks both (symlink made, no oomguardiand process).
# - upgrade (the same package repacked as VERSION+test1): to see what postinst asks of systemd
#   without one, /run/systemd/system is created in the overlay and systemctl/deb-systemd-invoke
#   are replaced by stubs that only log their arguments: the running daemon must be restarted,
#   the administrator's policy and edited conffile kept.
# - remove (stop asked, config and reports kept) and purge (conffile, reports and state gone,
#   the administrator's own policy file left, as dpkg does with files it does not own).
# Starting the unit for real is the VM tier's job.
set -eu
deb=$(realpath "${1:?usage: deb-test.sh PACKAGE.deb}")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v unshare >/dev/null || { echo "SKIP: no unshare"; exit 77; }

if [ "${OG_DEB_TEST_INNER:-}" != 1 ]; then
	tmp=$(mktemp -d /tmp/ogtest-deb-$$.XXXXXX)
	trap 'rm -rf "$tmp"' EXIT
	OG_DEB_TEST_INNER=1 OG_DEB_TEST_TMP=$tmp unshare --mount --propagation private \
		sh "$0" "$deb"
	exit $?
fi

# ---- inside the private mount namespace
t=$OG_DEB_TEST_TMP
mount -t tmpfs -o size=512m ogtest-deb "$t"
mkdir "$t/upper" "$t/work" "$t/root" "$t/pkg"
mount -t overlay ogtest-deb -o "lowerdir=/,upperdir=$t/upper,workdir=$t/work" "$t/root"
mount -t proc proc "$t/root/proc"
mount --bind /dev "$t/root/dev"
# A clean slate: the host's own runtime leftovers are not the package's.
rm -rf "$t/root/run/oomguardian" "$t/root/var/lib/oomguardian"
cp "$deb" "$t/root/tmp/og-1.deb"

# The same package as a newer version: the upgrade path through the maintainer scripts.
dpkg-deb -R "$deb" "$t/pkg/x"
ver=$(sed -n 's/^Version: //p' "$t/pkg/x/DEBIAN/control")
sed -i "s/^Version: .*/Version: $ver+test1/" "$t/pkg/x/DEBIAN/control"
dpkg-deb -b "$t/pkg/x" "$t/root/tmp/og-2.deb" >/dev/null

fail=0
ok() { echo "ok $*"; }
no() { echo "FAIL: $*"; fail=1; }
inroot() { chroot "$t/root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
running() { # an oomguardiand whose binary is the overlay's (the one the package installed)
	for e in /proc/[0-9]*/exe; do
		case "$(readlink "$e" 2>/dev/null)" in "$t"/root/usr/sbin/oomguardiand*) return 0 ;; esac
	done
	return 1
}

inroot dpkg -s oomguardian >/dev/null 2>&1 && { echo "FAIL: oomguardian already installed here"; exit 1; }
[ -d "$t/root/run/systemd/system" ] && { echo "FAIL: systemd runs here; not starting it"; exit 1; }

# ---- install
# The host's policy-rc.d (exit 101, "services may not start") would also stop a start: move it
# out of the way so that the check below shows the postinst's own guard, systemd not running.
[ -e "$t/root/usr/sbin/policy-rc.d" ] && mv "$t/root/usr/sbin/policy-rc.d" "$t/root/tmp/"
if inroot dpkg -i /tmp/og-1.deb >"$t/install.log" 2>&1; then ok "dpkg -i $ver"; else
	no "dpkg -i:"; cat "$t/install.log"; fi
for f in /usr/sbin/oomguardiand /usr/sbin/oomguardianctl /lib/systemd/system/oomguardiand.service \
	/usr/lib/oomguardian/policy.d/10-remote-access.policy /usr/lib/tmpfiles.d/oomguardian.conf \
	/etc/oomguardian/oomguardian.conf /usr/share/man/man8/oomguardiand.8.gz \
	/usr/share/bash-completion/completions/oomguardianctl \
	/usr/share/bash-completion/completions/oomguardiand /usr/share/zsh/vendor-completions/_oomguardian; do
	[ -e "$t/root$f" ] || no "not installed: $f"
done
inroot dpkg-query -W -f='${Conffiles}\n' oomguardian | grep -q '^ /etc/oomguardian/oomguardian.conf ' &&
	ok "oomguardian.conf is a conffile" || no "oomguardian.conf is not a conffile"
[ -L "$t/root/etc/systemd/system/multi-user.target.wants/oomguardiand.service" ] &&
	ok "unit enabled (multi-user.target.wants)" || no "unit not enabled"
[ -d "$t/root/run/oomguardian" ] && [ -d "$t/root/var/lib/oomguardian/reports" ] &&
	ok "tmpfiles.d made /run/oomguardian and /var/lib/oomguardian/reports" ||
	no "tmpfiles.d did not make the directories"
inroot /usr/sbin/oomguardiand --version >/dev/null && ok "installed daemon runs (--version)" ||
	no "installed daemon does not run"
inroot /usr/sbin/oomguardianctl check >"$t/check.log" 2>&1 && ok "oomguardianctl check of the installed policies" ||
	{ no "oomguardianctl check:"; cat "$t/check.log"; }
running && no "an oomguardiand was started" || ok "nothing started (no /run/systemd/system)"

# ---- upgrade, with a stub systemd that logs what the scripts ask
mkdir -p "$t/root/run/systemd/system"
for tool in systemctl deb-systemd-invoke; do
	p=$(inroot sh -c "command -v $tool") || { no "no $tool"; continue; }
	printf '#!/bin/sh\necho "%s $*" >>/tmp/systemd-calls\n' "$tool" >"$t/root$p"
	chmod 755 "$t/root$p"
done
mkdir -p "$t/root/etc/oomguardian/policy.d"
printf '[Match]\nName=postgres\n\n[Policy]\nProtect=yes\n' >"$t/root/etc/oomguardian/policy.d/50-admin.policy"
echo "# edited by the administrator" >>"$t/root/etc/oomguardian/oomguardian.conf"
if inroot dpkg -i --force-confold /tmp/og-2.deb >"$t/upgrade.log" 2>&1; then ok "upgrade to $ver+test1"; else
	no "upgrade:"; cat "$t/upgrade.log"; fi
grep -q "^deb-systemd-invoke restart oomguardiand.service" "$t/root/tmp/systemd-calls" &&
	ok "upgrade restarts the running daemon" ||
	{ no "upgrade does not restart the daemon:"; cat "$t/root/tmp/systemd-calls"; }
[ -f "$t/root/etc/oomguardian/policy.d/50-admin.policy" ] && ok "administrator's policy kept" ||
	no "administrator's policy lost"
grep -q "edited by the administrator" "$t/root/etc/oomguardian/oomguardian.conf" &&
	ok "edited conffile kept" || no "edited conffile replaced"
[ -f "$t/root/usr/lib/oomguardian/policy.d/10-remote-access.policy" ] && ok "vendor policies present" ||
	no "vendor policies gone after upgrade"

# ---- remove, then purge
touch "$t/root/var/lib/oomguardian/reports/1.report"
: >"$t/root/tmp/systemd-calls"
inroot dpkg -r oomguardian >"$t/remove.log" 2>&1 && ok "dpkg -r" || { no "dpkg -r:"; cat "$t/remove.log"; }
grep -q "^deb-systemd-invoke stop oomguardiand.service" "$t/root/tmp/systemd-calls" &&
	ok "remove stops the daemon" || no "remove does not stop the daemon"
[ ! -e "$t/root/usr/sbin/oomguardiand" ] && [ -f "$t/root/etc/oomguardian/oomguardian.conf" ] &&
	[ -f "$t/root/var/lib/oomguardian/reports/1.report" ] &&
	ok "removed; configuration and reports kept" || no "remove removed too much or too little"
inroot dpkg -P oomguardian >"$t/purge.log" 2>&1 && ok "dpkg -P" || { no "dpkg -P:"; cat "$t/purge.log"; }
[ ! -e "$t/root/etc/oomguardian/oomguardian.conf" ] && [ ! -e "$t/root/var/lib/oomguardian" ] &&
	[ ! -e "$t/root/run/oomguardian" ] &&
	[ ! -e "$t/root/etc/systemd/system/multi-user.target.wants/oomguardiand.service" ] &&
	ok "purged: conffile, reports, state and the enablement symlink gone" ||
	no "purge left files behind"
[ -f "$t/root/etc/oomguardian/policy.d/50-admin.policy" ] && ok "administrator's own file left alone" ||
	no "purge removed a file the package does not own"
inroot dpkg -s oomguardian >/dev/null 2>&1 && no "still known to dpkg"
running && no "an oomguardiand is running"
[ "$fail" = 0 ] && echo "deb-test: PASS" || echo "deb-test: FAIL"
exit "$fail"
