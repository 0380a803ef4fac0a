#!/bin/sh
# Golden tests of `oomguardianctl explain` and `explain --json` on the report corpus in
# tests/explain/ (kernels 2.6.32 to 6.12, every input form; tests/explain/SOURCES.md says where
# each comes from). UPDATE_GOLDEN=1 rewrites tests/expected/explain-* (review the diff).
set -u
ctl="$top_builddir/oomguardianctl"
exp="$top_srcdir/tests/expected"
corpus="$top_srcdir/tests/explain"
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

for in in "$corpus"/*.log "$corpus"/*.txt; do
	[ -e "$in" ] || continue
	name=$(basename "$in"); name=${name%.*}
	for mode in txt json; do
		want="$exp/explain-$name.$mode"
		got=$(mktemp)
		if [ "$mode" = json ]; then
			"$ctl" explain --json "$in" >"$got" 2>&1
		else
			"$ctl" explain "$in" >"$got" 2>&1
		fi
		rc=$?
		if [ "$rc" != 0 ]; then
			fail "$name $mode: exit $rc"; cat "$got"
		elif [ "${UPDATE_GOLDEN:-}" = 1 ]; then
			cp "$got" "$want"
		elif ! diff -u "$want" "$got"; then
			fail "$name $mode: differs from $want"
		else
			echo "ok $name $mode"
		fi
		rm -f "$got"
	done
done

# stdin ("-") gives the same as the file
in="$corpus/5.4-koji-nfs-slab-journal.log"
"$ctl" explain --json - <"$in" | diff -q - "$exp/explain-5.4-koji-nfs-slab-journal.json" >/dev/null ||
	fail "stdin differs from the file"

# The JSON is valid and the contract's keys are there (python3 is a test dependency).
if command -v python3 >/dev/null; then
	for j in "$exp"/explain-*.json; do
		python3 - "$j" <<'PY' || fail "contract keys in $j"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["format"] == 1
keys = ["kind", "constraint", "kernel", "trigger", "gfp_mask", "gfp_flags", "order",
        "request_bytes", "nodemask", "cpuset", "mems_allowed", "memcg", "killed", "zones",
        "swap", "causes", "summary"]
vocab = {"anon", "swap_exhausted", "fragmentation", "memcg_limit", "kernel_memory", "shmem",
         "node_constraint", "page_cache"}
for r in d["reports"]:
    for k in keys:
        assert k in r, k
    assert r["kind"] in ("global", "memcg", "allocation_failure")
    assert r["constraint"] in (None, "none", "memcg", "cpuset", "memory_policy")
    assert set(r["causes"]) <= vocab, r["causes"]
    for k in ("comm", "pid", "oom_score_adj"):
        assert k in r["trigger"]
    if r["killed"] is not None:
        for k in ("pid", "comm", "anon_rss_kb", "file_rss_kb", "shmem_rss_kb", "total_vm_kb",
                  "oom_score_adj"):
            assert k in r["killed"], k
    for z in r["zones"]:
        for k in ("node", "zone", "free_kb", "min_kb", "low_kb", "high_kb",
                  "lowmem_reserve_pages", "largest_free_block_kb"):
            assert k in z, k
PY
	done
fi

# Bad input: a missing file names the file and exits 66; two files are a usage error.
out=$("$ctl" explain /nonexistent-$$ 2>&1); rc=$?
[ "$rc" = 66 ] && echo "$out" | grep -q "/nonexistent-$$" || fail "missing file: rc $rc, '$out'"
"$ctl" explain a b >/dev/null 2>&1; [ $? = 64 ] || fail "two files not a usage error"
"$ctl" explain --bogus >/dev/null 2>&1; [ $? = 64 ] || fail "unknown option not a usage error"
# Text without any report says so and succeeds.
printf 'hello\nworld\n' | "$ctl" explain - | grep -q "No kernel OOM report" || fail "empty input"

# Without FILE and without /dev/kmsg (an unprivileged user under dmesg_restrict): the journal's
# kernel messages are read instead (a stand-in journalctl prints a corpus file), and when that
# gives nothing either, both reasons are named and the exit status is 66.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
	[ "$(cat /proc/sys/kernel/dmesg_restrict 2>/dev/null)" = 1 ]; then
	fake=$(mktemp -d /tmp/ogtest-explain-journal-$$.XXXXXX)
	chmod 755 "$fake"
	cp "$corpus/5.4-koji-nfs-slab-journal.log" "$fake/kern.log"
	printf '#!/bin/sh\necho "$*" >"%s/args" 2>/dev/null; cat "%s/kern.log"\n' "$fake" "$fake" \
		>"$fake/journalctl"
	chmod 755 "$fake/journalctl"
	chmod 777 "$fake"
	asnobody() { setpriv --reuid=65534 --regid=65534 --clear-groups env PATH="$1" "$ctl" explain --json; }
	asnobody "$fake:/usr/bin:/bin" >"$fake/out.json" 2>"$fake/err"
	diff -q "$fake/out.json" "$exp/explain-5.4-koji-nfs-slab-journal.json" >/dev/null ||
		fail "journal fallback: $(cat "$fake/err")"
	grep -q -- "-k -b" "$fake/args" 2>/dev/null || fail "journal fallback did not ask for -k -b"
	rm -f "$fake/kern.log"
	asnobody "$fake:/usr/bin:/bin" >/dev/null 2>"$fake/err"; rc=$?
	[ "$rc" = 66 ] && grep -q "/dev/kmsg: Operation not permitted; journalctl -k -b: no output" \
		"$fake/err" || fail "no kernel log: rc $rc, '$(cat "$fake/err")'"
	rm -rf "$fake"
else
	echo "skip: journal fallback (needs root, setpriv and dmesg_restrict=1)"
fi

[ "$fails" = 0 ]
