/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * negdentry DIR COUNT: look up COUNT names that do not exist in DIR, so the kernel caches
 * one negative dentry for each (dentry slab, reclaimable, owned by no process). Runs in the
 * VM test tier's guest only (tests/vm/guest/scenario.sh, scenario "slab").
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
	char name[4096];
	struct stat st;
	long n;

	if (argc != 3 || (n = strtol(argv[2], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: negdentry DIR COUNT\n");
		return 2;
	}
	for (long i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s/og-negative-dentry-%ld", argv[1], i);
		(void)stat(name, &st);
	}
	return 0;
}
