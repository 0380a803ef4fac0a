/* SPDX-License-Identifier: GPL-2.0-or-later */
/* oomguardianctl check: the loader of policy/config/cfg_load.c, run as the daemon runs it. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>

#include "guardian/base/root.h"
#include "guardian/ctl/ctl_check.h"
#include "policy/config/cfg.h"

static void usage(FILE *out)
{
	fputs("Usage: oomguardianctl check [--root DIR] [--quiet] [FILE...]\n"
	      "Parse oomguardian.conf and policy.d/*.policy as the daemon would (or only the\n"
	      "FILEs given: NAME.conf is the main config, anything else a policy), print the\n"
	      "effective configuration and every problem as 'path:line: Key: reason'.\n"
	      "Exit status: 0 valid (warnings allowed), 78 invalid, 64 usage error.\n"
	      "  -r, --root DIR  look for the files (and users for User=) under DIR\n"
	      "  -q, --quiet     do not print the effective configuration\n"
	      "  -h, --help      show this help\n",
	      out);
}

int ctl_check_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"root", required_argument, NULL, 'r'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct pol_rules rules;
	struct cfg_diag diag;
	const char *root = NULL;
	bool quiet = false;
	int c, r;

	optind = 0; /* we may not be the first getopt user in this process (tests) */
	while ((c = getopt_long(argc, argv, "+r:qh", opts, NULL)) >= 0) {
		switch (c) {
		case 'r':
			root = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (root) {
		char why[160];

		if (og_root_check(root, 0, why, sizeof(why)) < 0) {
			fprintf(stderr, "oomguardianctl check: --root '%s': %s\n", root, why);
			return EX_USAGE;
		}
	}
	cfg_diag_init(&diag);
	if (optind < argc)
		r = cfg_load_files(root, (const char *const *)argv + optind,
				   (size_t)(argc - optind), &rules, &diag);
	else
		r = cfg_load(root, NULL, NULL, &rules, &diag);
	cfg_diag_print(&diag, stderr);
	if (r >= 0 && !quiet && cfg_format_rules(&rules, stdout) < 0)
		r = -EIO;
	if (r >= 0)
		pol_rules_free(&rules);
	if (r < 0)
		fprintf(stderr,
			"oomguardianctl check: %u error%s, %u warning%s: configuration %s\n",
			diag.nerrors, diag.nerrors == 1 ? "" : "s", diag.nwarnings,
			diag.nwarnings == 1 ? "" : "s", r == -EIO ? "not printed" : "invalid");
	cfg_diag_free(&diag);
	return r == -EIO ? EX_IOERR : r < 0 ? EX_CONFIG : EXIT_SUCCESS;
}
