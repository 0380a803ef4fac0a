/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target for proc_events_parse_buf(); build and run: tests/fuzz/run.sh BUILDDIR. */
// clang-format off
// fuzz-sources: guardian/sources/proc_events.c guardian/base/log.c policy/util/strutil.c
// fuzz-libs: -lsystemd
// clang-format on
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guardian/sources/proc_events.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void cb(void *userdata, enum pe_kind kind, pid_t pid, pid_t parent)
{
	int *n = userdata;

	/* the parser never reports an overflow (only recv does), nor a kind it does not know,
	 * and a parent only with a fork */
	if (kind == PE_OVERFLOW || kind > PE_UID || (parent != 0 && kind != PE_FORK))
		abort();
	(*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size heap copy, so ASan sees any read past the datagram */
	char *buf = malloc(size ? size : 1);
	int n = 0, r;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	r = proc_events_parse_buf(buf, size, cb, &n);
	if (r != n || r < 0)
		abort();
	free(buf);
	return 0;
}
