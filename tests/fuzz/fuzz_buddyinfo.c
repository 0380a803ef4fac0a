/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target for src_buddyinfo_parse_buf(); build and run: tests/fuzz/run.sh BUILDDIR. */
// clang-format off
// fuzz-sources: guardian/sources/src_zone.c guardian/sources/src_text.c guardian/sources/src_bigread.c guardian/base/root.c guardian/base/log.c policy/engine/zone.c policy/util/strutil.c
// fuzz-libs: -lsystemd
// clang-format on
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guardian/sources/src_zone.h"
#include "policy/engine/zone.h"
#include "tests/fuzz/fuzz_cstr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct og_zone zones[OG_ZONES_MAX];
	char *buf = og_fuzz_cstr(data, size);
	size_t n = 0;

	if (!buf)
		return 0;
	/* a small cap too, so the -ENOBUFS path is exercised */
	if (src_buddyinfo_parse_buf(buf, zones, size % 2 ? 3 : OG_ZONES_MAX, &n) == 0) {
		if (n > OG_ZONES_MAX)
			abort();
		for (size_t i = 0; i < n; i++) {
			int o = og_zone_largest_free_order(&zones[i]);

			if (o < -1 || o >= OG_ORDERS_MAX || zones[i].norders > OG_ORDERS_MAX)
				abort();
			for (int k = -1; k <= OG_ORDERS_MAX; k++)
				if (og_zone_unusable_permyriad(&zones[i], k) > 10000)
					abort();
		}
	}
	free(buf);
	return 0;
}
