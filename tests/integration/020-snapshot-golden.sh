#!/bin/sh
# Golden tests of `oomguardianctl snapshot` and `snapshot --json` on the committed fixture
# trees: each seed story must be visible at a glance. UPDATE_GOLDEN=1 rewrites the expected
# files (review the diff before committing).
set -u
ctl="$top_builddir/oomguardianctl"
exp="$top_srcdir/tests/expected"
fails=0

cd "$top_srcdir/tests/fixtures" || exit 99
for fx in xen-dom0 koji-slab koji-slab-low openstack-devstack numa-2node-kvm pure-cgroup2 hostile-comm no-psi-3.10 \
	this-host rhel7-3.10; do
	[ -d "$fx" ] || { echo "missing fixture $fx"; fails=$((fails + 1)); continue; }
	for mode in txt json; do
		want="$exp/snapshot-$fx.$mode"
		got=$(mktemp)
		if [ "$mode" = json ]; then
			# the time of the run is the one thing a fixture cannot fix: checked below
			"$ctl" snapshot --root "$fx" --json 2>&1 |
				sed 's/^  "time": "[^"]*",$/  "time": "@TIME@",/' >"$got"
		else
			"$ctl" snapshot --root "$fx" >"$got" 2>&1
		fi
		rc=$?
		if [ "$rc" != 0 ]; then
			echo "FAIL $fx $mode: exit $rc"; cat "$got"; fails=$((fails + 1))
		elif [ "${UPDATE_GOLDEN:-}" = 1 ]; then
			cp "$got" "$want"
		elif ! diff -u "$want" "$got"; then
			echo "FAIL $fx $mode: differs from $want"; fails=$((fails + 1))
		else
			echo "ok $fx $mode"
		fi
		rm -f "$got"
	done
done

# The seed facts, asserted directly (not only through the golden files):
grep -q 'nfs_inode_cache' "$exp/snapshot-koji-slab.txt" &&
	grep -q 'slab_heavy' "$exp/snapshot-koji-slab.json" || { echo "FAIL koji: slab finding"; fails=$((fails + 1)); }
grep -q 'zookeeper' "$exp/snapshot-openstack-devstack.txt" &&
	grep -q 'many_workers' "$exp/snapshot-openstack-devstack.json" || { echo "FAIL devstack: workers/zookeeper"; fails=$((fails + 1)); }
grep -q 'zone_fragmented' "$exp/snapshot-numa-2node-kvm.json" &&
	grep -q 'node 1 Normal' "$exp/snapshot-numa-2node-kvm.txt" || { echo "FAIL numa: order-2 finding"; fails=$((fails + 1)); }
grep -q 'no_psi' "$exp/snapshot-no-psi-3.10.json" || { echo "FAIL 3.10: no-PSI finding"; fails=$((fails + 1)); }
# Before 4.5 (no RssAnon in status): the guests rank first with their anon from statm, every
# process says so, and no process reads 0 bytes.
if grep -Eq '^  qemu-kvm +2301 +107 +15\.2G +15\.1G +2\.4G' "$exp/snapshot-rhel7-3.10.txt" &&
	grep -q '^  machine-qemu.x2d1.x2dweb01.scope  *1  *15.2G' "$exp/snapshot-rhel7-3.10.txt" &&
	grep -q '13 of 13 processes: anon from statm' "$exp/snapshot-rhel7-3.10.txt" &&
	! grep -q '"rss_source": "status"' "$exp/snapshot-rhel7-3.10.json" &&
	! grep -q '"rss_anon_bytes": 0,' "$exp/snapshot-rhel7-3.10.json"; then
	echo "ok rhel7-3.10: anon from statm"
else
	echo "FAIL rhel7-3.10: processes without RssAnon must rank by statm anon"; fails=$((fails + 1))
fi

# The JSON holds what the text shows, and all of it (--top limits the text only): time, host,
# zram, direct reclaim scans and compaction stalls, every service and process; an unreadable
# exe is null.
j=$("$ctl" snapshot --root rhel7-3.10 --json --top 1)
if echo "$j" | grep -Eq '^  "time": "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z",$' &&
	echo "$j" | grep -q '^  "host": "kvm07.example.com",$' &&
	echo "$j" | grep -q '"pgscan_direct": 18737031,' && echo "$j" | grep -q '"compact_stall": 1840,' &&
	[ "$(echo "$j" | grep -c '"rss_source": "statm"')" = 13 ] &&
	[ "$(echo "$j" | grep -c '"largest_pid"')" = 13 ] &&
	grep -q '"compr_data_bytes"' "$exp/snapshot-this-host.json" &&
	grep -q '"exe": null' "$exp/snapshot-hostile-comm.json" &&
	! grep -q '"exe": ""' "$exp"/snapshot-*.json; then
	echo "ok json: complete, with time and host"
else
	echo "FAIL json: time, host, vmstat, zram or the full tables missing"; fails=$((fails + 1))
fi
"$ctl" snapshot --root rhel7-3.10 --top 2 | grep -q '^  kvm07\|(host kvm07.example.com)' ||
	{ echo "FAIL text: host missing"; fails=$((fails + 1)); }
[ "$("$ctl" snapshot --root rhel7-3.10 --top 2 | grep -c '^  qemu-kvm ')" = 2 ] ||
	{ echo "FAIL text: --top 2 shows other than 2 processes"; fails=$((fails + 1)); }

# Bad input: a missing root and a root without meminfo fail clearly.
if "$ctl" snapshot --root /nonexistent-$$ >/dev/null 2>&1; then echo "FAIL: missing root accepted"; fails=$((fails + 1)); fi
"$ctl" snapshot --top 0 >/dev/null 2>&1; [ $? = 64 ] || { echo "FAIL: --top 0 not a usage error"; fails=$((fails + 1)); }

[ "$fails" = 0 ]
