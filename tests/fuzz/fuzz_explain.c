/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target for explain_parse() and its renderers; build and run: tests/fuzz/run.sh BUILDDIR. */
// clang-format off
// fuzz-sources: policy/explain/explain_input.c policy/explain/explain_parse.c policy/explain/explain_fields.c policy/explain/explain_gfp.c policy/explain/explain_diag.c policy/explain/explain_text.c policy/explain/explain_json.c policy/util/strutil.c
// fuzz-libs: -ljson-c
// clang-format on
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/explain/explain.h"
#include "policy/explain/explain_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct explain_result res = { 0 };
	char *text = NULL, *kmsg = NULL;
	size_t klen;
	int n;

	/* the input is not NUL-terminated: explain_parse() must respect the length */
	n = explain_parse((const char *)data, size, &res);
	if (n < 0)
		return 0;
	if ((size_t)n != res.nreports)
		abort();
	for (size_t i = 0; i < res.nreports; i++) {
		const struct explain_report *r = &res.reports[i];

		if (r->nzones > EXPLAIN_ZONES_MAX || r->ncauses > EXPLAIN_CAUSES_MAX ||
		    r->first_line > r->last_line || strlen(r->summary) >= sizeof(r->summary))
			abort();
	}
	if (explain_format_text(&res, &text) == 0)
		free(text);
	json_object_put(explain_result_json(&res));
	explain_result_free(&res);
	if (explain_kmsg_to_text((const char *)data, size, &kmsg, &klen) == 0) {
		if (explain_parse(kmsg, klen, &res) >= 0)
			explain_result_free(&res);
		free(kmsg);
	}
	return 0;
}
