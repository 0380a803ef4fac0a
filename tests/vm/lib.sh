# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by tests/vm/build-image.sh and tests/vm/run.sh (host side).
#   OG_VM_CACHE   where the image, kernel, key and build live (default /var/cache/oomguardian-vm)
#   OG_VM_MIRROR  the Debian mirror for debootstrap (default: the host's apt configuration)
#   OG_VM_DEB     the package for OG_VM_INSTALL=deb and the deb-install scenario (default:
#                 built from this tree's HEAD by vm_deb below)
set -u

VM_CACHE=${OG_VM_CACHE:-/var/cache/oomguardian-vm}
VM_SUITE=bookworm

vm_log() { echo "vm: $*" >&2; }
vm_die() { echo "vm: error: $*" >&2; exit 1; }

# Host packages the tier needs, installed with apt-get when missing (root only).
vm_host_deps() {
	local p missing=""
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	[ "$(id -u)" = 0 ] || vm_die "missing host packages:$missing (run as root)"
	vm_log "installing host packages:$missing"
	apt-get update -qq
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2
}

# The mirror the host's apt uses for the suite's main component: deb822 .sources first,
# then one-line sources.list entries. Nothing is hard-coded.
vm_mirror() {
	local f uri
	if [ -n "${OG_VM_MIRROR:-}" ]; then
		echo "$OG_VM_MIRROR"
		return 0
	fi
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		uri=$(awk -v suite="$VM_SUITE" 'BEGIN { RS = "" }
			{
				uris = ""; ok = 0; deb = 0; main = 0
				n = split($0, line, "\n")
				for (i = 1; i <= n; i++) {
					if (line[i] ~ /^#/) continue
					if (line[i] ~ /^Types:/ && line[i] ~ /[ \t]deb([ \t]|$)/) deb = 1
					if (line[i] ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", line[i]); split(line[i], u, /[ \t]+/); uris = u[1] }
					if (line[i] ~ /^Suites:/) { m = split(line[i], s, /[ \t]+/); for (j = 2; j <= m; j++) if (s[j] == suite) ok = 1 }
					if (line[i] ~ /^Components:/ && line[i] ~ /[ \t]main([ \t]|$)/) main = 1
				}
				if (deb && ok && main && uris != "") { print uris; exit }
			}' "$f")
		[ -n "$uri" ] && { echo "$uri"; return 0; }
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		uri=$(awk -v suite="$VM_SUITE" '$1 == "deb" {
				i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
				if ($(i + 1) == suite) { for (j = i + 2; j <= NF; j++) if ($j == "main") { print $i; exit } }
			}' "$f")
		[ -n "$uri" ] && { echo "$uri"; return 0; }
	done
	vm_die "no '$VM_SUITE main' entry in the host's apt sources; set OG_VM_MIRROR"
}

# The .deb to install in the guest: $OG_VM_DEB, or the package dpkg-buildpackage makes from a
# clone of this tree's HEAD (committed changes only), cached per commit in $VM_CACHE/deb/ and
# built without its test suite (that is `make check` and .ci/run's business). Prints its path.
vm_deb() {
	local top d commit f
	if [ -n "${OG_VM_DEB:-}" ]; then
		[ -f "$OG_VM_DEB" ] || { vm_log "error: OG_VM_DEB='$OG_VM_DEB' is not a file"; return 1; }
		realpath "$OG_VM_DEB"
		return 0
	fi
	top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	commit=$(git -C "$top" rev-parse --short=12 HEAD) || return 1
	d=$VM_CACHE/deb/$commit
	f=$(ls "$d"/oomguardian_*_"$(dpkg --print-architecture)".deb 2>/dev/null | head -n1)
	[ -n "$f" ] && { echo "$f"; return 0; }
	command -v dpkg-buildpackage >/dev/null ||
		{ vm_log "error: no dpkg-buildpackage (contrib/setup.sh test-deps)"; return 1; }
	vm_log "building the package from HEAD ($commit) in $d"
	rm -rf "$VM_CACHE/deb"
	mkdir -p "$d"
	git clone -q "$top" "$d/src" &&
		(cd "$d/src" && DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b) \
			>"$d/build.log" 2>&1 ||
		{ tail -n 20 "$d/build.log" >&2; vm_log "error: package build failed ($d/build.log)"; return 1; }
	rm -rf "$d/src"
	ls "$d"/oomguardian_*_"$(dpkg --print-architecture)".deb
}

# A memory cgroup (v1 controller on a hybrid host, cgroup2 otherwise) for qemu or the image
# build: vm_cg_create NAME LIMIT_MIB sets VM_CG; vm_cg_enter PID; vm_cg_remove.
VM_CG=
vm_cg_create() {
	local name=$1 mib=$2
	[ "$mib" -le 2048 ] || vm_die "cgroup limit ${mib} MiB above 2 GiB"
	if [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
		VM_CG=/sys/fs/cgroup/memory/$name
		mkdir "$VM_CG"
		echo $((mib << 20)) >"$VM_CG/memory.limit_in_bytes"
		echo $((mib << 20)) >"$VM_CG/memory.memsw.limit_in_bytes" 2>/dev/null || true
	else
		VM_CG=/sys/fs/cgroup/$name
		mkdir "$VM_CG"
		echo $((mib << 20)) >"$VM_CG/memory.max"
		echo 0 >"$VM_CG/memory.swap.max" 2>/dev/null || true
	fi
}
vm_cg_enter() { echo "$1" >"$VM_CG/cgroup.procs"; }
vm_cg_oom_kills() { # kills the host kernel made in the qemu group (qemu itself: a broken run)
	if [ -f "$VM_CG/memory.oom_control" ]; then
		sed -n 's/^oom_kill //p' "$VM_CG/memory.oom_control"
	else
		sed -n 's/^oom_kill //p' "$VM_CG/memory.events"
	fi
}
vm_cg_peak_mib() {
	if [ -f "$VM_CG/memory.max_usage_in_bytes" ]; then
		echo $(($(cat "$VM_CG/memory.max_usage_in_bytes") >> 20))
	elif [ -f "$VM_CG/memory.peak" ]; then
		echo $(($(cat "$VM_CG/memory.peak") >> 20))
	else
		echo "?"
	fi
}
vm_cg_remove() {
	local i p
	[ -n "$VM_CG" ] && [ -d "$VM_CG" ] || return 0
	for i in $(seq 1 50); do
		p=$(head -n1 "$VM_CG/cgroup.procs" 2>/dev/null)
		[ -z "$p" ] && break
		sleep 0.2
	done
	rmdir "$VM_CG" 2>/dev/null || vm_log "could not remove cgroup '$VM_CG' (tasks left?)"
	VM_CG=
}
