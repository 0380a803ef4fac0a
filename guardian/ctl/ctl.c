/* SPDX-License-Identifier: GPL-2.0-or-later */
/* oomguardianctl: look at what oomguardian sees and check its configuration. */
#include <stdio.h>
#include <string.h>

#include "guardian/ctl/ctl_check.h"
#include "guardian/ctl/ctl_explain.h"
#include "guardian/ctl/ctl_match.h"
#include "guardian/ctl/ctl_reload.h"
#include "guardian/ctl/ctl_snapshot.h"
#include "guardian/ctl/ctl_reports.h"
#include "guardian/base/log.h"

static const struct {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "status", ctl_status_main, "[--json]  is the daemon running, what is it doing" },
	{ "reload", ctl_reload_main, "[--timeout S]  reload the daemon, wait for its answer" },
	{ "reports", ctl_reports_main, "[--since WHEN] [--json]  what it did" },
	{ "report", ctl_report_main, "[--json|--html] ID  one report, or its incident page" },
	{ "snapshot", ctl_snapshot_main, "[--root DIR] [--json] [--top N]  where the memory is" },
	{ "check", ctl_check_main,
	  "[--config FILE] [--policy-dir DIR]... [--root DIR] [--quiet] [FILE...]\n"
	  "            validate the configuration the daemon would load" },
	{ "explain", ctl_explain_main, "[--json] [FILE|-]  explain kernel OOM reports" },
	{ "match", ctl_match_main, "[OPTIONS] PID...|--all  policies, protection, kill order" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: oomguardianctl COMMAND [OPTIONS]\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n  -V, --version  show the version and exit\n  -h, --help     show this help\n"
		   "\nSee oomguardianctl(8).\n");
}

int main(int argc, char **argv)
{
	log_set_ident("oomguardianctl");
	log_set_journal(0);
	if (argc < 2) {
		usage(stderr);
		return 64;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0 ||
	    strcmp(argv[1], "version") == 0) {
		printf("oomguardianctl %s\n", PACKAGE_VERSION); /* as oomguardiand -V */
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].main(argc - 1, argv + 1);
	fprintf(stderr, "oomguardianctl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 64;
}
