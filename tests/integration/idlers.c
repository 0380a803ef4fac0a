/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * idlers: N idle processes for the busy-host tests and benchmark (issue 7). The parent makes
 * itself a process-group leader, starts N children that only pause(), prints "ready N" once all
 * exist, and waits. SIGTERM (or SIGINT) to the parent ends the whole group; every process also
 * ends by itself after --lifetime seconds (default 300), so a test that dies leaves nothing for
 * long. --rate R: after the N, keep starting R short-lived processes a second (each exits at
 * once: fork, exec /bin/true, exit), for the "process starts" CPU figure. Only run inside a
 * memory-limited test cgroup.
 *
 *   idlers N [--lifetime SEC] [--rate PER_SEC]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STACK 4096 /* pause() and a signal's death need far less */

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* A child: its own process (pid == tgid) sharing the parent's address space (CLONE_VM), so it
 * costs a task and a 4 KiB stack, no page tables of its own: ~30 KiB of kernel memory instead of
 * ~100 KiB for a fork() child (measured on 6.18). Lives until SIGALRM or SIGKILL. */
static unsigned long child_lifetime;

static int child(void *arg)
{
	(void)arg;
	alarm((unsigned)child_lifetime); /* SIGALRM's default action ends it */
	for (;;)
		pause();
	return 0;
}

static void reap(int sig)
{
	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

int main(int argc, char **argv)
{
	unsigned long n, lifetime = 300, rate = 0, made = 0;
	struct timespec next;
	char *stacks;
	struct sigaction sa = {.sa_handler = on_term};

	if (argc < 2) {
		fprintf(stderr, "usage: idlers N [--lifetime SEC] [--rate PER_SEC]\n");
		return 2;
	}
	n = strtoul(argv[1], NULL, 10);
	for (int i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--lifetime") == 0)
			lifetime = strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--rate") == 0)
			rate = strtoul(argv[i + 1], NULL, 10);
	}
	setpgid(0, 0);
	child_lifetime = lifetime;
	stacks = mmap(NULL, n * STACK + 1, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (stacks == MAP_FAILED) {
		perror("idlers: mmap");
		return 1;
	}
	for (unsigned long i = 0; i < n; i++) {
		pid_t p = clone(child, stacks + (i + 1) * STACK, CLONE_VM | SIGCHLD, NULL);

		if (p < 0) {
			perror("idlers: clone");
			break;
		}
		made++;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = reap;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	alarm((unsigned)lifetime);
	printf("ready %lu\n", made);
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!stop) {
		if (rate) {
			if (fork() == 0) {
				execl("/bin/true", "true", (char *)NULL);
				_exit(0);
			}
			/* to an absolute time: each child's SIGCHLD interrupts the sleep, and a
			 * relative nanosleep() cut short that way started ~650 a second, not 200 */
			next.tv_nsec += (long)(1000000000UL / rate);
			if (next.tv_nsec >= 1000000000L) {
				next.tv_sec += next.tv_nsec / 1000000000L;
				next.tv_nsec %= 1000000000L;
			}
			while (!stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) ==
						EINTR)
				;
		} else {
			pause();
		}
	}
	signal(SIGTERM, SIG_IGN);
	kill(-getpid(), SIGKILL); /* the whole group, this process included */
	return 0;
}
