#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest side of the VM test tier, once after each boot (tests/vm/run.sh): touch the guest's
# RAM before the first measured run. qemu backs guest memory on its first touch (host page
# faults); the first hog after a boot filled the guest at about half the speed of the next
# (fast-hog, 2026-12-04: 944 MiB in 6.4 s against 890 MiB in 3.4 s), which made whichever
# guardian ran first look slower. Allocates up to 12% of MemTotal above what is available
# (no guardian's stage that kills is that high), waits until it holds, and ends it.
set -u
hog=/usr/local/lib/ogvm/memhog
log=/run/ogvm-warm.log
avail=$(awk '$1 == "MemAvailable:" { print int($2 / 1024) }' /proc/meminfo)
total=$(awk '$1 == "MemTotal:" { print int($2 / 1024) }' /proc/meminfo)
mib=$((avail - total * 12 / 100))
[ "$mib" -gt 0 ] || { echo "warm: nothing to touch (${avail} MiB available)"; exit 0; }
"$hog" --max "$mib" --name ogwarm --lifetime 300 >"$log" 2>&1 &
pid=$!
i=0
while [ "$i" -lt 1500 ] && kill -0 "$pid" 2>/dev/null && ! grep -q holding "$log"; do
	sleep 0.2
	i=$((i + 1))
done
held=$(grep -c holding "$log")
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
rm -f "$log"
echo "warm: touched ${mib} MiB of ${total} MiB (held: $held)"
