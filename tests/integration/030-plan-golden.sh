#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Golden tests of the decision: `oomguardiand --root FIXTURE --dry-run --once` prints the plan
# for each seed story with the shipped ladder, the vendor policies and the scenario's contrib
# policies, and it must match tests/expected/plan-FIXTURE.plan (source paths shown as @SRCDIR@).
# A healthy host plans nothing but protection; a 3.10 kernel without PSI and a pure cgroup2 host
# are decided on as well, and two scoped decisions (--scope: a VM host's machine.slice, a
# cgroup2 system.slice). UPDATE_GOLDEN=1 rewrites the expected files
# (review the diff before committing).
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
ogd="$top_builddir/oomguardiand"
exp="$top_srcdir/tests/expected"
vendor="$top_srcdir/policy/vendor"
contrib="$top_srcdir/contrib/policies"
fails=0
tmp=$(mktemp -d /tmp/ogtest-golden-$$.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT

# fixture  conf  extra-policy-dir  [scope]
while read -r fx conf extra scope; do
	set -- --root "$top_srcdir/tests/fixtures/$fx" --dry-run --once --config "$conf"
	[ "$extra" = - ] || set -- "$@" --policy-dir "$extra"
	set -- "$@" --policy-dir "$vendor"
	name=$fx
	if [ -n "$scope" ]; then
		set -- "$@" --scope "$scope"
		name=$fx-$(echo "$scope" | sed 's|^/||; s|/|-|g')
	fi
	"$ogd" "$@" >"$tmp/raw" 2>"$tmp/err"
	rc=$?
	sed "s|$top_srcdir|@SRCDIR@|g" "$tmp/raw" >"$tmp/got"
	fx=$name
	want="$exp/plan-$fx.plan"
	if [ "$rc" != 0 ]; then
		echo "FAIL $fx: exit $rc"; cat "$tmp/err"; fails=$((fails + 1))
	elif grep -q 'warning:' "$tmp/err"; then
		# shipped and contrib policies must load cleanly on their fixtures
		echo "FAIL $fx: policy warnings"; cat "$tmp/err"; fails=$((fails + 1))
	elif [ "${UPDATE_GOLDEN:-}" = 1 ]; then
		cp "$tmp/got" "$want"; echo "updated $want"
	elif ! diff -u "$want" "$tmp/got"; then
		echo "FAIL $fx: differs from $want"; fails=$((fails + 1))
	else
		echo "ok $fx"
	fi
done <<EOF2
xen-dom0 $vendor/oomguardian.conf -
koji-slab $vendor/oomguardian.conf $contrib/koji-hub
koji-slab-low $vendor/oomguardian.conf $contrib/koji-hub
openstack-devstack $vendor/oomguardian.conf $contrib/openstack-devstack
numa-2node-kvm $contrib/kvm-host/oomguardian.conf $contrib/kvm-host
this-host $vendor/oomguardian.conf -
no-psi-3.10 $vendor/oomguardian.conf -
rhel7-3.10 $vendor/oomguardian.conf -
pure-cgroup2 $vendor/oomguardian.conf -
numa-2node-kvm $contrib/kvm-host/oomguardian.conf $contrib/kvm-host /machine.slice
pure-cgroup2 $vendor/oomguardian.conf - /system.slice
EOF2

# The healthy host: no stage, no kill, no reclaim (protection writes are allowed).
if grep -q '^stage=none$' "$exp/plan-this-host.plan" &&
	! grep -Eq '^action=(term|kill|drop_slab|drop_caches|throttle|reclaim_cgroup|freeze)$' \
		"$exp/plan-this-host.plan"; then
	echo "ok this-host plans no action"
else
	echo "FAIL this-host: a healthy host must plan no action"; fails=$((fails + 1))
fi

# The seed stories, asserted directly: the squeezed Xen dom0 kills the largest (java) and
# protects sshd and crond; Koji short of memory drops the reclaimable slab and kills
# nothing; devstack's first victim is the stray zookeeper; the NUMA host compacts node 1 instead
# of killing a guest; protection of sshd/cron/init shows as oom_score_adj actions.
plan_has() { grep -q "$2" "$exp/plan-$1.plan"; }
if plan_has xen-dom0 '^action=kill$' && plan_has xen-dom0 '^comm=java$' &&
	grep -A3 '^action=oom_score_adj' "$exp/plan-xen-dom0.plan" | grep -q '^pid=2210$' &&
	grep -A3 '^action=oom_score_adj' "$exp/plan-xen-dom0.plan" | grep -q '^pid=2245$'; then
	echo "ok xen: java killed, sshd and crond protected"
else
	echo "FAIL xen-dom0: expected a kill of java and protection of sshd and crond"; fails=$((fails + 1))
fi
if plan_has koji-slab-low '^action=drop_slab$' && plan_has koji-slab-low 'nfs_inode_cache' &&
	! plan_has koji-slab-low '^action=\(term\|kill\)$'; then
	echo "ok koji: slab before any kill"
else
	echo "FAIL koji-slab-low: expected drop_slab naming nfs_inode_cache, no kill"; fails=$((fails + 1))
fi
if plan_has openstack-devstack '^comm=java$' && plan_has openstack-devstack 'zookeeper.policy'; then
	echo "ok devstack: zookeeper first"
else
	echo "FAIL openstack-devstack: zookeeper is not the preferred victim"; fails=$((fails + 1))
fi
# Before 4.5 the victim is still chosen by anon+swap (statm), not skipped for reading 0 bytes.
if plan_has rhel7-3.10 '^action=kill$' && plan_has rhel7-3.10 '^pid=2301$' &&
	plan_has rhel7-3.10 '^expected_free_bytes=18978816000$' &&
	plan_has rhel7-3.10 'anon from statm, no RssAnon before Linux 4.5'; then
	echo "ok rhel7-3.10: the largest guest by statm anon+swap"
else
	echo "FAIL rhel7-3.10: expected a kill of qemu-kvm 2301 by statm anon+swap"; fails=$((fails + 1))
fi
if plan_has numa-2node-kvm '^action=compact$' && ! plan_has numa-2node-kvm '^action=\(term\|kill\)$'
then
	echo "ok numa: compaction, no kill"
else
	echo "FAIL numa-2node-kvm: expected compaction and no kill"; fails=$((fails + 1))
fi

# An invalid policy at start-up exits 78 (EX_CONFIG) with path:line: Key: reason.
mkdir "$tmp/bad"
printf '[Match]\nName=x\n[Policy]\nNoSuchKey=1\n' >"$tmp/bad/10-bad.policy"
"$ogd" --root "$top_srcdir/tests/fixtures/this-host" --once --config "$vendor/oomguardian.conf" \
	--policy-dir "$tmp/bad" >/dev/null 2>"$tmp/err"
rc=$?
if [ "$rc" = 78 ] && grep -q '10-bad.policy:4: NoSuchKey' "$tmp/err"; then
	echo "ok invalid policy exits 78"
else
	echo "FAIL invalid policy: exit $rc"; cat "$tmp/err"; fails=$((fails + 1))
fi
# --help and --version answer and exit 0; a stray argument is a usage error (64)
"$ogd" --help | grep -q -- '--scope CGROUP' || { echo "FAIL --help"; fails=$((fails + 1)); }
"$ogd" --version | grep -q '^oomguardiand ' || { echo "FAIL --version"; fails=$((fails + 1)); }
"$ogd" stray 2>/dev/null
[ $? = 64 ] || { echo "FAIL usage error is not 64"; fails=$((fails + 1)); }
[ "$fails" = 0 ]
