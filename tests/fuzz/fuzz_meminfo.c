/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target for src_meminfo_parse_buf(); build and run: tests/fuzz/run.sh BUILDDIR. */
// fuzz-sources: guardian/sources/src_meminfo.c guardian/sources/src_kv.c guardian/base/root.c policy/util/strutil.c
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guardian/sources/src_meminfo.h"
#include "tests/fuzz/fuzz_cstr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct og_meminfo m;
	char *buf = og_fuzz_cstr(data, size);

	if (!buf)
		return 0;
	memset(&m, 0xa5, sizeof(m));
	if (src_meminfo_parse_buf(buf, &m) == 0) {
		/* what the parser promises on success */
		if ((m.has & (OG_MI_TOTAL | OG_MI_FREE)) != (OG_MI_TOTAL | OG_MI_FREE))
			abort();
		if (m.total_bytes == 0 || m.free_bytes > m.total_bytes ||
		    m.available_bytes > m.total_bytes)
			abort();
		if (m.available_estimated == !!(m.has & OG_MI_AVAILABLE))
			abort();
		if (m.total_bytes % 1024 || m.free_bytes % 1024)
			abort();
	}
	free(buf);
	return 0;
}
