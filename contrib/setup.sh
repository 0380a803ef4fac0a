#!/bin/sh
# Set up, build, run and test oomguardian on a Debian 12 machine.
#   contrib/setup.sh run [DAEMON-ARGS...]  install packages, build, run oomguardiand in the foreground
#   contrib/setup.sh test                  install packages, build, run the whole test suite
#   contrib/setup.sh deps | build          just that step
# Environment: BUILDDIR (default ./build), CONFIGURE_FLAGS (extra ./configure flags).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
builddir=${BUILDDIR:-$top/build}

# Every package the build, the tests and the daemon need (README.md says why each library).
# build: build-essential autoconf automake autoconf-archive pkg-config and the five -dev
# libraries + check; fuzzing: clang libclang-rt-14-dev; tests: systemd (systemd-analyze verify),
# procps, python3 (contrib/capture-this-host.sh), time (/usr/bin/time in the benchmarks),
# chromium (304 renders the incident page headless).
PACKAGES="build-essential autoconf automake autoconf-archive pkg-config
	libsystemd-dev libcgroup-dev libnuma-dev libinih-dev libjson-c-dev check
	clang libclang-rt-14-dev systemd procps python3 time chromium"

deps() {
	missing=""
	for p in $PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "setup.sh: missing packages:$missing (run as root to install them)" >&2
		exit 1
	fi
	echo "setup.sh: installing$missing" >&2
	apt-get update -qq
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
}

build() {
	(cd "$top" && autoreconf -fi >/dev/null 2>&1 || autoreconf -fi)
	mkdir -p "$builddir"
	cd "$builddir"
	if [ ! -f Makefile ] || [ "$top/configure" -nt Makefile ]; then
		# shellcheck disable=SC2086
		"$top/configure" -q --sysconfdir=/etc --localstatedir=/var --runstatedir=/run \
			${CONFIGURE_FLAGS:-}
	fi
	make -j"$(nproc)" >/dev/null
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
deps) deps ;;
build) deps; build ;;
run)
	deps
	build
	# Vendor policies and the default config straight from the source tree (no install).
	exec "$builddir/oomguardiand" --config "$top/policy/vendor/oomguardian.conf" \
		--policy-dir "$top/policy/vendor" "$@"
	;;
test)
	deps
	build
	cd "$builddir"
	make -j"$(nproc)" check
	;;
*)
	sed -n '2,7p' "$0" >&2
	exit 64
	;;
esac
