/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target for src_proc_parse_stat(); build and run: tests/fuzz/run.sh BUILDDIR. */
// clang-format off
// fuzz-sources: guardian/sources/src_proc.c guardian/sources/src_cgroup.c guardian/sources/src_kv.c guardian/sources/src_psi.c guardian/base/root.c guardian/base/log.c policy/util/strutil.c
// fuzz-libs: -lsystemd -lcgroup
// clang-format on
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guardian/sources/src_proc.h"
#include "tests/fuzz/fuzz_cstr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct og_proc p, before;
	char *buf = og_fuzz_cstr(data, size);
	int r;

	if (!buf)
		return 0;
	memset(&p, 0x5a, sizeof(p));
	before = p;
	r = src_proc_parse_stat(buf, &p);
	if (r == 0 || r == SRC_PROC_KTHREAD) {
		/* a parsed comm is NUL-terminated inside its field, the pid is positive */
		if (memchr(p.comm, '\0', sizeof(p.comm)) == NULL || p.pid <= 0 || p.ppid < 0 ||
		    p.pgid < 0)
			abort();
	} else if (r != -EBADMSG || memcmp(&p, &before, sizeof(p)) != 0) {
		abort(); /* failure must leave *ret alone */
	}
	free(buf);
	return 0;
}
