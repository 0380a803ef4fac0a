#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Shell completion: sources bash-completion and our completions for oomguardianctl and
# oomguardiand (with the built programs first in PATH) and checks what TAB offers: commands,
# a command's options, an option's value, PIDs for match. zsh: the file parses.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
bc=/usr/share/bash-completion/bash_completion
command -v bash >/dev/null && [ -r "$bc" ] || { echo "SKIP: no bash-completion"; exit 77; }
tmp=$(mktemp -d /tmp/ogtest-completion-$$.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/rootdir" "$tmp/rootdir2"

# complete WORD...: the words TAB offers for the command line "WORD... " (the last word is the
# one being completed), one per line
cat >"$tmp/complete.bash" <<EOS
. $bc
. $top_srcdir/contrib/completion/bash/oomguardianctl
. $top_srcdir/contrib/completion/bash/oomguardiand
PATH=$top_builddir:\$PATH
cd $tmp
COMP_WORDS=("\$@")
COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1))
COMP_LINE=\${OG_LINE:-"\$*"}
COMP_POINT=\${#COMP_LINE}
_\${COMP_WORDS[0]}
printf '%s\n' "\${COMPREPLY[@]}"
EOS
complete() { bash "$tmp/complete.bash" "$@" 2>&1 | sort; }

fail=0
expect() { # expect WHAT "WANTED..." WORD...: TAB after WORD... offers every WANTED word
	what=$1 want=$2; shift 2
	got=$(complete "$@")
	for w in $want; do
		printf '%s\n' "$got" | grep -qxF -- "$w" ||
			{ echo "FAIL: $what: '$*' does not offer '$w' (got: $(echo $got))"; fail=1; return; }
	done
	echo "ok $what"
}

expect "commands" "snapshot check" oomguardianctl ""
expect "command prefix" "snapshot" oomguardianctl sn
expect "snapshot options" "--json" oomguardianctl snapshot --j
expect "check options" "--root --quiet --help" oomguardianctl check -
expect "--root takes a directory" "rootdir rootdir2" oomguardianctl snapshot --root root
# bash splits "--root=ro" at '=' into three words; the line keeps them together
OG_LINE="oomguardianctl snapshot --root=root" \
	expect "--root=DIR too" "rootdir rootdir2" oomguardianctl snapshot --root = root
expect "daemon options" "--config" oomguardiand --co
got=$(complete oomguardiand --co)
[ "$got" = --config ] && echo "ok each option once" || { echo "FAIL: --co offers '$got'"; fail=1; }
cg=/sys/fs/cgroup
[ -e $cg/cgroup.controllers ] || { [ -d $cg/memory ] && cg=$cg/memory || cg=$cg/unified; }
mkdir "$cg/ogtest-completion-$$" 2>/dev/null && trap 'rmdir "$cg/ogtest-completion-$$"; rm -rf "$tmp"' EXIT &&
	expect "daemon --scope lists cgroups" "/ogtest-completion-$$" oomguardiand --scope /ogtest-compl
if "$top_builddir/oomguardianctl" --help 2>/dev/null | grep -q '^  match '; then
	expect "match offers PIDs" "$$" oomguardianctl match ""
	expect "match options" "--all" oomguardianctl match --a
fi
expect "reload options" "--timeout --state-file" oomguardianctl reload --
# a command that does not exist offers nothing and does not break
got=$(complete oomguardianctl nosuch --x)
[ -z "$got" ] && echo "ok unknown command: nothing" || { echo "FAIL: nosuch offers '$got'"; fail=1; }

# zsh: an interactive zsh on a pseudo-terminal (zpty) with our fpath; TAB after each line
# must show the wanted words (read until they appear, 20 s at most).
if command -v zsh >/dev/null; then
	zsh -n "$top_srcdir/contrib/completion/zsh/_oomguardian" && echo "ok zsh completion parses" ||
		{ echo "FAIL: zsh completion does not parse"; fail=1; }
	cat >"$tmp/complete.zsh" <<'ZEOF'
zmodload zsh/zpty zsh/datetime
zpty -b z 'zsh -f -i'
zpty -w z "PS1='P> '; fpath=($1 \$fpath); PATH=$2:\$PATH; autoload -Uz compinit; compinit -u -D; setopt nobeep"
# expect LINE WORD...: type LINE and TAB, read until every WORD was shown
expect() {
  local line=$1 l all= deadline=$((EPOCHSECONDS + 20)) w missing; shift
  zpty -w -n z $'\C-u'"$line"$'\t'
  while (( EPOCHSECONDS < deadline )); do
    zpty -r -t z l && all+=$l || sleep 0.1
    missing=
    for w in "$@"; do [[ $all == *$w* ]] || missing+=" $w"; done
    [[ -z $missing ]] && { print "ok zsh: '$line' offers $*"; return 0 }
  done
  print "FAIL: zsh: '$line' does not offer$missing"
  return 1
}
rc=0
expect 'oomguardianctl ' snapshot check || rc=1
expect 'oomguardiand --con' --config || rc=1
expect 'oomguardianctl snapshot --' --json --root --top || rc=1
zpty -d z
exit $rc
ZEOF
	zsh -f "$tmp/complete.zsh" "$top_srcdir/contrib/completion/zsh" "$top_builddir" || fail=1
fi
exit "$fail"
