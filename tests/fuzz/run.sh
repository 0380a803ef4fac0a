#!/usr/bin/env bash
# Build every libFuzzer target in tests/fuzz/ with clang and run each for FUZZ_SECONDS
# (default 20). Usage: tests/fuzz/run.sh BUILDDIR. Exits non-zero if a target fails to build or
# a crash is found. Each fuzz_<name>.c lists the sources it needs in a "// fuzz-sources:" line.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$top/build-fuzz}
secs=${FUZZ_SECONDS:-20}
mkdir -p "$out"
status=0

# config.h comes from a configured tree (OG_CONFIG_H, else the first build*/config.h here).
cfgh=${OG_CONFIG_H:-$(find "$top" -maxdepth 2 -name config.h -path '*build*' | head -n1)}
[ -f "$cfgh" ] || { echo "fuzz: no config.h (set OG_CONFIG_H to a configured tree's)" >&2; exit 1; }

for src in "$top"/tests/fuzz/fuzz_*.c; do
	[ -e "$src" ] || continue
	name=$(basename "$src" .c)
	extra=$(sed -n 's|^// fuzz-sources:||p' "$src" | head -n1)
	libs=$(sed -n 's|^// fuzz-libs:||p' "$src" | head -n1)
	srcs=""
	for f in $extra; do srcs="$srcs $top/$f"; done
	# shellcheck disable=SC2086
	if ! clang -g -O1 -fsanitize=fuzzer,address,undefined -include "$cfgh" -I"$top" \
		"$src" $srcs $libs -o "$out/$name" 2>"$out/$name.build.log"; then
		echo "fuzz $name: BUILD FAILED"
		cat "$out/$name.build.log"
		status=1
		continue
	fi
	corpus="$out/corpus-$name"
	mkdir -p "$corpus"
	seed="$top/tests/fuzz/corpus/${name#fuzz_}"
	[ -d "$seed" ] && cp -r "$seed"/. "$corpus"/ 2>/dev/null
	if "$out/$name" -max_total_time="$secs" -rss_limit_mb=1024 -artifact_prefix="$out/$name-" \
		"$corpus" >"$out/$name.log" 2>&1; then
		echo "fuzz $name: PASS ($(grep -o 'Done [0-9]* runs' "$out/$name.log" | tail -n1))"
	else
		echo "fuzz $name: CRASH"
		tail -n 30 "$out/$name.log"
		status=1
	fi
done
exit $status
