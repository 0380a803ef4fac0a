/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the cgroup file parsers: memory.stat in both layouts, memory.events,
 * v1 memory.oom_control, cgroup.events and the limit files. Build and run:
 * tests/fuzz/run.sh BUILDDIR.
 */
// clang-format off
// fuzz-sources: guardian/sources/src_cgroup.c guardian/sources/src_kv.c guardian/sources/src_psi.c guardian/base/root.c guardian/base/log.c policy/util/strutil.c
// fuzz-libs: -lsystemd -lcgroup
// clang-format on
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guardian/sources/src_cgroup.h"
#include "tests/fuzz/fuzz_cstr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int r, const struct og_cgroup *c, const struct og_cgroup *before)
{
	if (r < 0 && (r != -EBADMSG || memcmp(c, before, sizeof(*c)) != 0))
		abort();
	if (r > 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct og_cgroup c, before;
	char *buf = og_fuzz_cstr(data, size);
	uint64_t v = 7;
	bool pop = false;
	int r;

	if (!buf)
		return 0;
	memset(&before, 0x5a, sizeof(before));
	c = before;
	check(src_cgroup_parse_stat_buf(buf, OG_CG_V2, &c), &c, &before);
	c = before;
	check(src_cgroup_parse_stat_buf(buf, OG_CG_V1, &c), &c, &before);
	c = before;
	check(src_cgroup_parse_events_buf(buf, &c), &c, &before);
	c = before;
	check(src_cgroup_parse_oom_control_buf(buf, &c), &c, &before);
	r = src_cgroup_parse_cg_events_buf(buf, &pop);
	if (r != 0 && r != -EBADMSG)
		abort();
	r = src_cgroup_parse_limit_buf(buf, &v);
	if (r < 0 && v != 7)
		abort(); /* failure must leave the value alone */
	free(buf);
	return 0;
}
