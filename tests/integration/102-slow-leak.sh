#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A slow leak (20 MiB/s) in a 256 MiB group beside a protected process: oomguardiand stops the
# leak before the kernel's memcg OOM killer fires, and the protected process survives.
. "$top_srcdir/tests/integration/lib.sh"

og_init slow 256
# 256 MiB - 64 MiB protected, terminate at 30% available: ~115 MiB, under 6 s at 20 MiB/s
# (a generous deadline)
og_hog_scenario 64 - 60 leak --rate 20 --chunk 1 --max 512
og_finish
