#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The scope can come from the configuration (Scope= in [Guardian]) instead of --scope.
. "$top_srcdir/tests/integration/lib.sh"

og_init cfgscope 512
sed -i "s|^\[Guardian\]\$|[Guardian]\nScope=/$OG_CG|" "$OG_TMP/og.conf"
grep -q "^Scope=/$OG_CG\$" "$OG_TMP/og.conf" || exit 99
OG_SCOPE_ARG=
og_start_daemon
grep -q "notice: guarding cgroup /$OG_CG:" "$OG_TMP/daemon.log" &&
	og_ok "Scope= from the config is guarded" || og_fail "the daemon does not guard Scope="
og_spawn "$HOG" --rate 800 --max 1024
og_wait_gone "$OG_PID" 30 && og_ok "hog stopped" || og_fail "hog still running"
[ "$(og_oom_kills)" = 0 ] || og_fail "kernel OOM killer fired"
og_finish
