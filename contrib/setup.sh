#!/bin/sh
# Set up, build, run and test oomguardian on a Debian 12 machine.
#   contrib/setup.sh run [DAEMON-ARGS...]  install what running needs, build, run oomguardiand
#                                          in the foreground
#   contrib/setup.sh test                  install the test toolchain too, build, run the suite
#   contrib/setup.sh deps | build          just that step (deps: the run packages;
#   contrib/setup.sh test-deps             test-deps: the test toolchain as well)
# Environment: BUILDDIR (default ./build), CONFIGURE_FLAGS (extra ./configure flags).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
builddir=${BUILDDIR:-$top/build}

# Packages, by what needs them (README.md says why each library).
# (1) run: build the daemon from source and run it: the compiler, autotools and the five -dev
# libraries, and check (configure requires it; it is only linked into the tests).
RUN_PACKAGES="build-essential autoconf automake autoconf-archive pkg-config
	libsystemd-dev libcgroup-dev libnuma-dev libinih-dev libjson-c-dev check"
# (2) test: the whole suite on top: clang + libclang-rt-14-dev (fuzzing), procps (ps, pgrep
# in the integration tests), systemd
# (systemd-analyze verify of the unit), python3 (contrib/capture-this-host.sh), time
# (/usr/bin/time in the benchmarks), bash-completion (the completion test), attr (setfattr:
# the ManagedOOMPreference= xattr test), debhelper, lintian
# and fakeroot (.ci/run builds and checks the Debian package), chromium (304 renders the
# incident page headless).
TEST_PACKAGES="$RUN_PACKAGES
	clang libclang-rt-14-dev procps systemd python3 time bash-completion attr debhelper lintian
	fakeroot chromium"

deps() {
	missing=""
	for p in $1; do
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
		# configure's defaults are /etc, /run and /var whatever the prefix (configure.ac)
		# shellcheck disable=SC2086
		"$top/configure" -q ${CONFIGURE_FLAGS:-}
	fi
	make -j"$(nproc)" >/dev/null
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
deps) deps "$RUN_PACKAGES" ;;
test-deps) deps "$TEST_PACKAGES" ;;
build) deps "$RUN_PACKAGES"; build ;;
run)
	deps "$RUN_PACKAGES"
	build
	# Vendor policies and the default config straight from the source tree (no install).
	exec "$builddir/oomguardiand" --config "$top/policy/vendor/oomguardian.conf" \
		--policy-dir "$top/policy/vendor" "$@"
	;;
test)
	deps "$TEST_PACKAGES"
	build
	cd "$builddir"
	make -j"$(nproc)" check
	;;
*)
	sed -n '2,9p' "$0" >&2
	exit 64
	;;
esac
