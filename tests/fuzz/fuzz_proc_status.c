/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for src_proc_parse_status(), and with the same input src_proc_parse_statm(),
 * src_proc_parse_smaps_rollup(), src_proc_parse_cgroup() and src_unit_from_cgroup() (all line
 * parsers of /proc/PID). Build and run:
 * tests/fuzz/run.sh BUILDDIR.
 */
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

static void check_untouched(int r, const struct og_proc *p, const struct og_proc *before)
{
	if (r < 0 && (r != -EBADMSG || memcmp(p, before, sizeof(*p)) != 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct og_proc p, before;
	char unit[16];
	char *buf = og_fuzz_cstr(data, size);
	int r;

	if (!buf)
		return 0;
	memset(&p, 0x5a, sizeof(p));
	before = p;
	r = src_proc_parse_status(buf, &p);
	check_untouched(r, &p, &before);

	memset(&p, 0x5a, sizeof(p));
	r = src_proc_parse_statm(buf, 4096, &p);
	check_untouched(r, &p, &before);
	if (r == 0 && (p.rss_source != OG_RSS_STATM || p.rss_shmem_bytes != 0))
		abort();

	memset(&p, 0x5a, sizeof(p));
	r = src_proc_parse_smaps_rollup(buf, &p);
	check_untouched(r, &p, &before);
	if (r == 0 && p.rss_source != OG_RSS_SMAPS_ROLLUP)
		abort();

	memset(&p, 0x5a, sizeof(p));
	r = src_proc_parse_cgroup(buf, &p);
	check_untouched(r, &p, &before);
	if (r == 0 && (!memchr(p.cgroup, '\0', sizeof(p.cgroup)) ||
		       !memchr(p.memcg_v1, '\0', sizeof(p.memcg_v1)) ||
		       !memchr(p.unit, '\0', sizeof(p.unit))))
		abort();

	/* a small buffer, so -ENOBUFS is reached */
	r = src_unit_from_cgroup(buf, unit, sizeof(unit));
	if ((r != 0 && r != -ENOBUFS) || !memchr(unit, '\0', sizeof(unit)))
		abort();
	free(buf);
	return 0;
}
