/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target for src_vmstat_parse_buf(); build and run: tests/fuzz/run.sh BUILDDIR. */
// fuzz-sources: guardian/sources/src_vmstat.c guardian/sources/src_kv.c guardian/base/root.c policy/util/strutil.c
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guardian/sources/src_vmstat.h"
#include "tests/fuzz/fuzz_cstr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct og_vmstat v;
	char *buf = og_fuzz_cstr(data, size);

	if (!buf)
		return 0;
	if (src_vmstat_parse_buf(buf, &v) == 0 && v.has_oom_kill && !strstr(buf, "oom_kill"))
		abort();
	free(buf);
	return 0;
}
