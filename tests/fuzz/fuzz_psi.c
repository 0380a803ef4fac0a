/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target for src_psi_parse_buf(); build and run: tests/fuzz/run.sh BUILDDIR. */
// fuzz-sources: guardian/sources/src_psi.c guardian/sources/src_kv.c guardian/base/root.c policy/util/strutil.c
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guardian/sources/src_psi.h"
#include "tests/fuzz/fuzz_cstr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_line(const struct og_psi_line *l)
{
	if (l->avg10_centi > 10000 || l->avg60_centi > 10000 || l->avg300_centi > 10000)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct og_psi p;
	char *buf = og_fuzz_cstr(data, size);

	if (!buf)
		return 0;
	memset(&p, 0xa5, sizeof(p));
	if (src_psi_parse_buf(buf, &p) == 0) {
		if (!p.has_some)
			abort();
		check_line(&p.some);
		if (p.has_full)
			check_line(&p.full);
	}
	free(buf);
	return 0;
}
