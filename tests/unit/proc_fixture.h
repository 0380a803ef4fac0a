/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A user process in a throw-away proc/ tree (og_check.h's og_tmproot), for the process table
 * and the loop's candidate selection tests. */
#pragma once

#include <stdio.h>

#include "og_check.h"

/*
 * pid in dir/proc: stat with comm and starttime, status, cgroup, cmdline, oom_score(_adj) and
 * statm with `resident` pages, 100 of them shared (anon = (resident - 100) pages).
 */
static inline void og_put_proc(const char *dir, int pid, const char *comm,
			       unsigned long long start, const char *cg, unsigned resident,
			       int oom_score_adj)
{
	char rel[64], text[512];

	snprintf(rel, sizeof(rel), "proc/%d/stat", pid);
	snprintf(text, sizeof(text),
		 "%d (%s) S 1 %d %d 0 -1 4194560 100 0 0 0 1 1 0 0 20 0 1 0 %llu 1000000 100 "
		 "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n",
		 pid, comm, pid, pid, start);
	og_tmproot_put(dir, rel, text);
	snprintf(rel, sizeof(rel), "proc/%d/status", pid);
	snprintf(text, sizeof(text),
		 "Name:\t%s\nUid:\t1000\t1000\t1000\t1000\nRssAnon:\t 400 kB\nVmSwap:\t 8 kB\n",
		 comm);
	og_tmproot_put(dir, rel, text);
	snprintf(rel, sizeof(rel), "proc/%d/cgroup", pid);
	snprintf(text, sizeof(text), "0::%s\n", cg);
	og_tmproot_put(dir, rel, text);
	snprintf(rel, sizeof(rel), "proc/%d/cmdline", pid);
	og_tmproot_put(dir, rel, comm);
	snprintf(rel, sizeof(rel), "proc/%d/oom_score", pid);
	og_tmproot_put(dir, rel, "10\n");
	snprintf(rel, sizeof(rel), "proc/%d/oom_score_adj", pid);
	snprintf(text, sizeof(text), "%d\n", oom_score_adj);
	og_tmproot_put(dir, rel, text);
	snprintf(rel, sizeof(rel), "proc/%d/statm", pid);
	snprintf(text, sizeof(text), "%u %u 100 10 0 250 0\n", resident + 1000, resident);
	og_tmproot_put(dir, rel, text);
}
