/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target for src_swaps_parse_buf() and src_zram_parse_mm_stat(); build and run:
 * tests/fuzz/run.sh BUILDDIR. */
// fuzz-sources: guardian/sources/src_swap.c guardian/base/root.c policy/util/strutil.c
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guardian/sources/src_swap.h"
#include "tests/fuzz/fuzz_cstr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct og_swapdev devs[OG_SWAP_MAX];
	struct og_zram z;
	size_t n = 0, cap = size % 2 ? 2 : OG_SWAP_MAX; /* a small cap too */
	char *buf = og_fuzz_cstr(data, size);

	if (!buf)
		return 0;
	if (src_swaps_parse_buf(buf, devs, cap, &n) == 0) {
		if (n > cap)
			abort();
		for (size_t i = 0; i < n; i++)
			if (devs[i].used_bytes > devs[i].size_bytes ||
			    strnlen(devs[i].path, sizeof(devs[i].path)) == sizeof(devs[i].path))
				abort();
	}
	(void)src_zram_parse_mm_stat(buf, &z);
	free(buf);
	return 0;
}
