/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the config parser: the input is parsed as a policy file and as a main
 * config, from memory (NUL bytes included), and whatever parses is formatted and parsed again
 * (the round trip must hold). Not part of the automake build:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -std=gnu11 -I. \
 *       tests/fuzz/fuzz_policy.c policy/cfg_*.c policy/util/strutil.c -linih -o /tmp/fuzz_policy
 *   /tmp/fuzz_policy -max_total_time=60 -max_len=4096 /tmp/corpus tests/fuzz/corpus/policy
 *
 * User= names are looked up under a root that does not exist, so no NSS call happens.
 * The two lines below are for tests/fuzz/run.sh.
 */
// clang-format off
// fuzz-sources: policy/config/cfg_ini.c policy/config/cfg_main.c policy/config/cfg_policy.c policy/config/cfg_load.c policy/config/cfg_format.c policy/util/strutil.c
// fuzz-libs: -linih
// clang-format on
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/config/cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ROOT "/nonexistent-fuzz-root"

static void round_trip_service(const struct pol_service *s)
{
	struct pol_service s2;
	struct cfg_diag d;
	char *buf = NULL, *buf2 = NULL;
	size_t n = 0, n2 = 0;
	FILE *f = open_memstream(&buf, &n);

	if (!f)
		return;
	cfg_format_service(s, f);
	fclose(f);
	cfg_diag_init(&d);
	if (cfg_parse_policy_buf("/fuzz/x.policy", buf, n, ROOT, NULL, &s2, &d) < 0) {
		cfg_diag_print(&d, stderr);
		fprintf(stderr, "formatted policy does not parse again:\n%s", buf);
		abort();
	}
	f = open_memstream(&buf2, &n2);
	if (f) {
		cfg_format_service(&s2, f);
		fclose(f);
		if (n != n2 || memcmp(buf, buf2, n) != 0) {
			fprintf(stderr, "round trip differs:\n%s---\n%s", buf, buf2);
			abort();
		}
	}
	pol_service_free(&s2);
	cfg_diag_free(&d);
	free(buf);
	free(buf2);
}

static void round_trip_config(const struct pol_config *c)
{
	struct pol_config c2;
	struct cfg_diag d;
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	if (!f)
		return;
	cfg_format_config(c, f);
	fclose(f);
	cfg_diag_init(&d);
	cfg_config_defaults(&c2);
	if (cfg_parse_conf_buf("/fuzz/oomguardian.conf", buf, n, &c2, &d) < 0) {
		cfg_diag_print(&d, stderr);
		fprintf(stderr, "formatted config does not parse again:\n%s", buf);
		abort();
	}
	for (int i = 0; i < POL_STAGE__MAX; i++)
		c2.stage[i].origin = c->stage[i].origin;
	if (memcmp(&c2, c, sizeof(c2)) != 0) {
		fprintf(stderr, "config round trip differs:\n%s", buf);
		abort();
	}
	cfg_diag_free(&d);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pol_service s;
	struct pol_config cfg;
	struct cfg_diag d;
	char line[1024];

	cfg_diag_init(&d);
	if (cfg_parse_policy_buf("/fuzz/x.policy", (const char *)data, size, ROOT, NULL, &s, &d) ==
	    0) {
		round_trip_service(&s);
		pol_service_free(&s);
	}
	for (size_t i = 0; i < d.n; i++)
		cfg_diag_format(&d.entries[i], line, sizeof(line));
	cfg_diag_free(&d);

	cfg_diag_init(&d);
	cfg_config_defaults(&cfg);
	if (cfg_parse_conf_buf("/fuzz/oomguardian.conf", (const char *)data, size, &cfg, &d) == 0)
		round_trip_config(&cfg);
	cfg_diag_free(&d);
	return 0;
}
