#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The journal catalog: journalctl accepts systemd/oomguardian.catalog (--update-catalog into a
# scratch root, as the package's trigger does), lists an entry for every MESSAGE_ID the
# daemon sends (guardian/loop/journal.h), and every @FIELD@ it substitutes is a field the
# daemon sets (guardian/loop/journal.c). journald need not run.
set -u
: "${top_srcdir:?}"
command -v journalctl >/dev/null || { echo "SKIP: no journalctl"; exit 77; }
tmp=$(mktemp -d /tmp/ogtest-catalog-$$.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0
nok() { echo "FAIL: $*"; fails=$((fails + 1)); }
cat="$top_srcdir/systemd/oomguardian.catalog"

mkdir -p "$tmp/usr/lib/systemd/catalog"
cp "$cat" "$tmp/usr/lib/systemd/catalog/"
journalctl --root="$tmp" --update-catalog 2>"$tmp/err" || { nok "--update-catalog"; cat "$tmp/err"; }
[ -s "$tmp/err" ] && { nok "journalctl complained"; cat "$tmp/err"; }
journalctl --root="$tmp" --list-catalog >"$tmp/list" 2>&1
ids=$(sed -n 's/^#define OG_MID_[A-Z_]* "\([0-9a-f]\{32\}\)".*/\1/p' \
	"$top_srcdir/guardian/loop/journal.h")
[ "$(echo "$ids" | wc -w)" -ge 6 ] || nok "fewer MESSAGE_IDs than kinds in journal.h"
for id in $ids; do
	grep -q "^$id oomguardian: " "$tmp/list" || nok "no catalog entry for $id"
	journalctl --root="$tmp" --dump-catalog "$id" | grep -q '^Support: man:' ||
		nok "$id: no Support: line"
done
# the catalog names no MESSAGE_ID the daemon does not send
for id in $(sed -n 's/^-- \([0-9a-f]\{32\}\)$/\1/p' "$cat"); do
	echo "$ids" | grep -qx "$id" || nok "catalog entry $id is sent by nobody"
done
for f in $(grep -o '@[A-Z_]*@' "$cat" | sort -u | tr -d @); do
	grep -q "\"$f\"" "$top_srcdir/guardian/loop/journal.c" ||
		nok "the catalog substitutes @$f@, which the daemon never sets"
done
[ "$fails" = 0 ] && echo "ok: $(echo "$ids" | wc -w) MESSAGE_IDs, catalog accepted"
[ "$fails" = 0 ]
