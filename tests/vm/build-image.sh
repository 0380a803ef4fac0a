#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the Debian 12 guest for the VM test tier (tests/vm/README in the main README, section
# "VM test tier"). Two layers, both cached in $OG_VM_CACHE (default /var/cache/oomguardian-vm):
#   base     debootstrap + tests/vm/packages.list, rebuilt only when that list (or BASE_REV
#            below) changes: base-<hash>/
#   project  the base + this source tree installed the way a user installs it, as an ext4
#            image made without mounting (mkfs.ext4 -d): root.img, vmlinuz, initrd.img;
#            rebuilt when the sources change
#   clean    (--clean) the base alone, with the login key and nothing of the project, for the
#            deb-install scenario (the package installed by dpkg in the running guest):
#            clean/{root.img,vmlinuz,initrd.img}; rebuilt when the base changes. root.img is
#            neither built nor checked then.
# Usage: tests/vm/build-image.sh [--force-base] [--force] [--clean]
# Needs root (debootstrap, chroot). Installs debootstrap, qemu and e2fsprogs when missing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=tests/vm/lib.sh
. "$here/lib.sh"

# Bump when the base step below changes in a way the package list does not show.
BASE_REV=1
# How the project gets into the guest: "make" (./configure with the Debian paths, make install
# DESTDIR=guest) or "deb" (the package built by `make deb`/dpkg-buildpackage, dpkg -i in the
# guest root). Swapping in the .deb is this one line.
INSTALL_METHOD=${OG_VM_INSTALL:-make}

force_base=0 force=0 clean=0
for a in "$@"; do
	case $a in
	--force-base) force_base=1 force=1 ;;
	--force) force=1 ;;
	--clean) clean=1 ;;
	*) echo "usage: $0 [--force-base] [--force] [--clean]" >&2; exit 2 ;;
	esac
done

[ "$(id -u)" = 0 ] || vm_die "build-image.sh needs root (debootstrap, chroot)"
vm_host_deps debootstrap qemu-system-x86 qemu-utils e2fsprogs openssh-client gcc make \
	autoconf automake autoconf-archive pkg-config libsystemd-dev libcgroup-dev libnuma-dev \
	libinih-dev libjson-c-dev
mkdir -p "$VM_CACHE"
chmod 700 "$VM_CACHE"

pkgs=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/packages.list" | tr -s ' \n' '\n' | sort -u)
base_hash=$( { echo "rev=$BASE_REV suite=$VM_SUITE"; echo "$pkgs"; } | sha256sum | cut -c1-16)
base=$VM_CACHE/base-$base_hash

# Run a command in the guest root with /proc and /dev mounted in a private mount namespace:
# the mounts vanish with the namespace, whatever happens. No /sys: nothing in the chroot may
# touch the host's devices or cgroups.
in_root() {
	local root=$1
	shift
	unshare --mount --propagation private -- bash -c '
		set -e
		root=$1; shift
		mount -t proc proc "$root/proc"
		mount --bind /dev "$root/dev"
		mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts" 2>/dev/null || true
		LC_ALL=C DEBIAN_FRONTEND=noninteractive chroot "$root" "$@"
	' in_root "$root" "$@"
}

build_base() {
	local tmp=$base.tmp mirror
	mirror=$(vm_mirror)
	vm_log "building base image $base_hash (debootstrap $VM_SUITE; takes a while)"
	rm -rf "$tmp"
	mkdir -p "$tmp"
	# Minimal base first, then policy-rc.d, then everything else: no maintainer script may
	# start a service (sshd!) inside the chroot on the host.
	unshare --mount --propagation private -- \
		debootstrap --variant=minbase "$VM_SUITE" "$tmp" "$mirror" >"$VM_CACHE/debootstrap.log" 2>&1 ||
		{ tail -n 30 "$VM_CACHE/debootstrap.log" >&2; vm_die "debootstrap failed (log: $VM_CACHE/debootstrap.log)"; }
	printf '#!/bin/sh\n# oomguardian VM tier: never start services in the image build chroot.\nexit 101\n' \
		>"$tmp/usr/sbin/policy-rc.d"
	chmod 755 "$tmp/usr/sbin/policy-rc.d"
	# shellcheck disable=SC2086
	in_root "$tmp" apt-get install -y -q --no-install-recommends $pkgs >"$VM_CACHE/apt.log" 2>&1 ||
		{ tail -n 30 "$VM_CACHE/apt.log" >&2; vm_die "apt-get install in the guest failed (log: $VM_CACHE/apt.log)"; }
	in_root "$tmp" apt-get clean
	rm -rf "$tmp"/var/lib/apt/lists/* "$tmp"/var/cache/apt/*.bin
	configure_base "$tmp"
	rm -rf "$VM_CACHE"/base-*[!p]  # older bases (not .tmp of this one: it is renamed now)
	mv "$tmp" "$base"
	vm_log "base image $base_hash ready"
}

# Everything about the guest that is not a package: boot, network, login, units.
configure_base() {
	local r=$1 u
	echo ogvm >"$r/etc/hostname"
	printf '127.0.0.1 localhost\n127.0.1.1 ogvm\n' >"$r/etc/hosts"
	printf '/dev/vda / ext4 rw,noatime 0 1\n' >"$r/etc/fstab"
	# user-mode networking: fixed address, no DHCP wait
	mkdir -p "$r/etc/systemd/network"
	printf '[Match]\nName=en* eth*\n\n[Network]\nAddress=10.0.2.15/24\nGateway=10.0.2.2\nDNS=10.0.2.3\n' \
		>"$r/etc/systemd/network/10-qemu.network"
	in_root "$r" systemctl enable systemd-networkd.service >/dev/null 2>&1
	# Nothing runs unless a run asks for it (systemd.wants= on the kernel command line).
	for u in earlyoom.service nohang.service nohang-desktop.service systemd-oomd.service \
		systemd-oomd.socket; do
		in_root "$r" systemctl disable "$u" >/dev/null 2>&1 || true
	done
	for u in systemd-networkd-wait-online.service apt-daily.timer apt-daily-upgrade.timer \
		man-db.timer e2scrub_all.timer fstrim.timer systemd-tmpfiles-clean.timer \
		getty@tty1.service serial-getty@ttyS0.service; do
		in_root "$r" systemctl mask "$u" >/dev/null 2>&1 || true
	done
	# The ManagedOOM*= settings a distribution enables with systemd-oomd (Fedora's
	# systemd-oomd-defaults; Ubuntu 22.04 ships the same two): swap-based kill on the root
	# slice, pressure-based kill of user@.service above 50% for 20 s (oomd.conf default).
	mkdir -p "$r/etc/systemd/system/-.slice.d" "$r/etc/systemd/system/user@.service.d"
	printf '[Slice]\nManagedOOMSwap=kill\n' >"$r/etc/systemd/system/-.slice.d/10-oomd-defaults.conf"
	printf '[Service]\nManagedOOMMemoryPressure=kill\nManagedOOMMemoryPressureLimit=50%%\n' \
		>"$r/etc/systemd/system/user@.service.d/10-oomd-defaults.conf"
	# ssh: root by key only; many logins at once during an incident are fine
	mkdir -p "$r/etc/ssh/sshd_config.d"
	printf 'PermitRootLogin prohibit-password\nPasswordAuthentication no\nUseDNS no\nMaxStartups 100\n' \
		>"$r/etc/ssh/sshd_config.d/ogvm.conf"
	# journald in memory, small
	mkdir -p "$r/etc/systemd/journald.conf.d"
	printf '[Journal]\nStorage=volatile\nRuntimeMaxUse=16M\n' >"$r/etc/systemd/journald.conf.d/ogvm.conf"
	# the shared test directory (9p, read-only)
	mkdir -p "$r/mnt/ogvm"
	printf 'ogvm /mnt/ogvm 9p trans=virtio,version=9p2000.L,ro,nofail,x-systemd.device-timeout=5s 0 0\n' \
		>>"$r/etc/fstab"
	printf '9p\n9pnet_virtio\nzram\n' >"$r/etc/modules-load.d/ogvm.conf"
}

# The project, installed the way a user installs it.
install_make() { # ROOT
	local root=$1 b=$VM_CACHE/build
	(cd "$top" && { [ -x configure ] || autoreconf -fi >/dev/null 2>&1; })
	# a build configured from another tree (CI clones into a new folder each time) is stale
	[ "$(cat "$b/.og-top" 2>/dev/null)" = "$top" ] || rm -rf "$b"
	mkdir -p "$b"
	echo "$top" >"$b/.og-top"
	(cd "$b" && { [ -f Makefile ] || "$top/configure" -q --prefix=/usr --sysconfdir=/etc \
		--localstatedir=/var --runstatedir=/run; } && make -s -j2 >/dev/null &&
		make -s install DESTDIR="$root" >/dev/null)
}
install_deb() { # ROOT; the .deb in $OG_VM_DEB (main sets it: vm_deb in lib.sh)
	local root=$1
	cp "$OG_VM_DEB" "$root/tmp/og.deb"
	in_root "$root" dpkg -i /tmp/og.deb >/dev/null
	rm -f "$root/tmp/og.deb"
}

src_hash() {
	local deb=
	# the package's content, and only when it is what gets installed
	[ "$INSTALL_METHOD" = deb ] && deb=$(sha256sum "$OG_VM_DEB" | cut -c1-16)
	(cd "$top" && find guardian policy systemd man contrib/policies configure.ac Makefile.am \
		tests/integration/memhog.c tests/vm/build-image.sh tests/vm/guest/negdentry.c -type f 2>/dev/null | sort |
		xargs sha256sum; echo "$base_hash $INSTALL_METHOD $deb") | sha256sum | cut -c1-16
}

# The login key in a guest root.
add_key() { # ROOT
	[ -f "$VM_CACHE/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C ogvm -f "$VM_CACHE/id_ed25519"
	mkdir -p "$1/root/.ssh"
	chmod 700 "$1/root/.ssh"
	cp "$VM_CACHE/id_ed25519.pub" "$1/root/.ssh/authorized_keys"
	chmod 600 "$1/root/.ssh/authorized_keys"
}

# A freshly installed Debian 12 as far as the project is concerned (deb-install scenario).
build_clean() {
	local out=$VM_CACHE/clean stage=$VM_CACHE/clean-stage
	vm_log "building the clean guest (base $base_hash, no project)"
	rm -rf "$stage" "$out.new"
	cp -a "$base" "$stage"
	# services start as on any installed system: the package's postinst must start the unit
	rm -f "$stage/usr/sbin/policy-rc.d"
	add_key "$stage"
	mkdir -p "$out.new"
	cp "$stage"/boot/vmlinuz-* "$out.new/vmlinuz"
	cp "$stage"/boot/initrd.img-* "$out.new/initrd.img"
	mkfs.ext4 -q -F -L ogvm -E root_owner=0:0 -d "$stage" "$out.new/root.img" \
		"$(($(du -sm "$stage" | cut -f1) + 512))M"
	rm -rf "$stage"
	echo "$base_hash" >"$out.new/hash"
	rm -rf "$out"
	mv "$out.new" "$out"
	vm_log "clean guest ready: $out/root.img"
}

build_project() {
	local stage=$VM_CACHE/stage h=$1 size_mib
	vm_log "installing the project ($INSTALL_METHOD) into a copy of the base"
	rm -rf "$stage"
	cp -a "$base" "$stage"
	"install_$INSTALL_METHOD" "$stage"
	# the guardian is started per run (systemd.wants=), not at every boot
	in_root "$stage" systemctl disable oomguardiand.service >/dev/null 2>&1 || true
	# the scenario hog, built here against the same glibc (Debian 12 both sides)
	mkdir -p "$stage/usr/local/lib/ogvm"
	gcc -O2 -o "$stage/usr/local/lib/ogvm/memhog" "$top/tests/integration/memhog.c"
	gcc -O2 -o "$stage/usr/local/lib/ogvm/negdentry" "$here/guest/negdentry.c"
	# the host's key logs in as root
	add_key "$stage"
	cp "$stage"/boot/vmlinuz-* "$VM_CACHE/vmlinuz.new"
	cp "$stage"/boot/initrd.img-* "$VM_CACHE/initrd.img.new"
	ls "$stage"/boot/vmlinuz-* | sed 's|.*/vmlinuz-||' >"$VM_CACHE/kernel-version"
	# room for the scenarios' files: thrash writes a working set of 40% of the guest's RAM
	# (512 MiB of slack left 387 MiB free after boot: its dd ran out of space, 2026-12-03)
	size_mib=$(($(du -sm "$stage" | cut -f1) + 1536))
	rm -f "$VM_CACHE/root.img.new"
	mkfs.ext4 -q -F -L ogvm -E root_owner=0:0 -d "$stage" "$VM_CACHE/root.img.new" "${size_mib}M"
	rm -rf "$stage"
	mv "$VM_CACHE/vmlinuz.new" "$VM_CACHE/vmlinuz"
	mv "$VM_CACHE/initrd.img.new" "$VM_CACHE/initrd.img"
	mv "$VM_CACHE/root.img.new" "$VM_CACHE/root.img"
	echo "$h" >"$VM_CACHE/root.img.hash"
	vm_log "image ready: $VM_CACHE/root.img (${size_mib} MiB, kernel $(cat "$VM_CACHE/kernel-version"))"
}

# All in a function: bash has read the whole script before anything runs (editing it during
# a build cannot change what the build does).
main() {
	exec 9>"$VM_CACHE/.lock"
	flock 9
	[ "$force_base" = 1 ] && rm -rf "$base"
	[ -d "$base" ] || build_base
	if [ "$clean" = 1 ]; then
		if [ "$force" = 1 ] || [ "$(cat "$VM_CACHE/clean/hash" 2>/dev/null)" != "$base_hash" ]; then
			build_clean
		else
			vm_log "clean guest up to date ($base_hash)"
		fi
		return 0
	fi
	if [ "$INSTALL_METHOD" = deb ]; then
		OG_VM_DEB=$(vm_deb) || exit 1
	fi
	h=$(src_hash)
	if [ "$force" = 1 ] || [ ! -f "$VM_CACHE/root.img" ] || [ "$(cat "$VM_CACHE/root.img.hash" 2>/dev/null)" != "$h" ]; then
		build_project "$h"
	else
		vm_log "image up to date ($h)"
	fi
}
main; exit $?
