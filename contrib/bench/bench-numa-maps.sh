#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench-numa-maps.sh: what one read of /proc/PID/numa_maps costs against a process holding a
# large heap, by the size of the read (a benchmark, not a test: it prints what it measured).
#
#   contrib/bench/bench-numa-maps.sh [-m MIB] [-n READS] BUILDDIR
#
#   -m  the heap the process holds (default 1024, at most 1792 MiB; a memhog in a test group
#       of MIB + 256 MiB made here, tests/integration/lib.sh, removed afterwards)
#   -n  reads of each size (default 50)
#
# numa_maps is a seq_file that renders whole records, and a record costs a walk of that
# mapping's page tables: a read of a few KiB renders the records up to the heap. The daemon
# reads 64 bytes (src_read_proc_mems, oomguardiand(8) "NUMA nodes"): the first record only.
# Prints microseconds per open+read+close for 4095, 512 and 64 bytes. Needs root (the group);
# only the memhog started here is ended, by pid.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/../.." && pwd)
mib=1024
reads=50
while getopts "m:n:h" o; do
	case $o in
	m) mib=$OPTARG ;;
	n) reads=$OPTARG ;;
	*) sed -n '3,16p' "$0"; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { sed -n '3,16p' "$0"; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench-numa-maps: needs root"; exit 2; }
top_builddir=$(cd "$1" && pwd)
export top_srcdir top_builddir
# shellcheck source=lib-bench.sh
. "$here/lib-bench.sh"
bench_need_memhog bench-numa-maps
# shellcheck source=../../tests/integration/lib.sh
. "$top_srcdir/tests/integration/lib.sh"
og_init benchnumamaps $((mib + 256)) # $OG_TMP; the trap ends what we started, removes the group

cat >"$OG_TMP/reader.c" <<'EOF'
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 4095, 512, 64 };
	int n = atoi(argv[2]);
	char buf[4096];

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct timespec a, b;

		clock_gettime(CLOCK_MONOTONIC, &a);
		for (int i = 0; i < n; i++) {
			int fd = open(argv[1], O_RDONLY);

			if (fd < 0 || read(fd, buf, sizes[s]) <= 0) {
				perror(argv[1]);
				return 1;
			}
			close(fd);
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		printf("%5zu bytes %10.1f us a read\n", sizes[s],
		       ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e3 / n);
	}
	return 0;
}
EOF
cc -O2 -o "$OG_TMP/reader" "$OG_TMP/reader.c" || { echo "bench-numa-maps: cc failed"; exit 2; }
og_spawn "$top_builddir/tests/integration/memhog" --max "$mib" --name numamaps --lifetime 300
hog=$OG_PID
og_wait_holding "$hog" 120 || { echo "bench-numa-maps: memhog does not hold $mib MiB"; exit 1; }
echo "numa_maps of a process holding $mib MiB (kernel $(uname -r)), $reads reads each:"
"$OG_TMP/reader" "/proc/$hog/numa_maps" "$reads"
