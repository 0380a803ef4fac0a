/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target for src_slabinfo_parse_buf(); build and run: tests/fuzz/run.sh BUILDDIR. */
// clang-format off
// fuzz-sources: guardian/sources/src_slab.c guardian/sources/src_text.c guardian/sources/src_bigread.c guardian/base/root.c guardian/base/log.c policy/util/strutil.c
// fuzz-libs: -lsystemd
// clang-format on
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guardian/sources/src_slab.h"
#include "tests/fuzz/fuzz_cstr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct og_slab slabs[64];
	char *buf = og_fuzz_cstr(data, size);
	size_t n = 0;
	int r;

	if (!buf)
		return 0;
	r = src_slabinfo_parse_buf(buf, 4096, slabs, size % 2 ? 4 : 64, &n);
	if (r >= 0) {
		if ((size_t)r < n || n > 64)
			abort();
		for (size_t i = 1; i < n; i++)
			if (slabs[i].total_bytes > slabs[i - 1].total_bytes)
				abort(); /* must be sorted largest first */
		for (size_t i = 0; i < n; i++)
			if (strlen(slabs[i].name) >= OG_SLAB_NAME_MAX ||
			    slabs[i].active_objs > slabs[i].num_objs)
				abort();
	}
	free(buf);
	return 0;
}
