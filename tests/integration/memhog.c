/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memhog: the allocator the integration tests and the benchmark point oomguardiand at.
 * Touches every page it allocates (anonymous memory that really counts), at a given rate.
 * Only ever run inside a memory-limited test cgroup (tests/integration/lib.sh).
 *
 *   memhog [--rate MiB/s] [--chunk MiB] [--max MiB] [--ignore-term] [--handle-term-exit]
 *          [--name COMM] [--children N] [--setsid] [--lifetime SEC] [--mmap-file PATH]
 *          [--wait-usr1]
 *
 * --rate 0 (default) allocates as fast as the machine can; --max 0 allocates nothing (a
 * stand-in process that just waits); after --max it holds the memory and waits. --children N
 * forks N copies before starting (same process group, same options: for KillUnit= tests).
 * --mmap-file PATH writes --max MiB through a shared mapping of PATH, over and over until
 * --lifetime: in a group smaller than that, dirty pages are written back and faulted in again
 * all the time, which is memory pressure (PSI) without an OOM.
 * --setsid makes it the leader of a new session and process group first.
 * --wait-usr1 allocates nothing until SIGUSR1 arrives (after the --children forks): a test
 * sets the stage (moves a member elsewhere) and then starts them all, without a race.
 * --lifetime (default 120 s) bounds every run: a test that dies leaves nothing for long.
 * Once it holds --max MiB (after the name is set: at once with --max 0) it prints
 * "memhog[PID]: holding N MiB", the event tests wait for instead of sleeping.
 * Exit status: 0 on SIGTERM with --handle-term-exit, 2 on bad usage, 3 if malloc failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static char term_msg[64]; /* "memhog[PID]: SIGTERM, exiting\n", made before the handler runs */
static size_t term_msg_len;

/* --handle-term-exit: exit in the handler itself. Checking a flag between chunks let a hog
 * that a loaded machine rarely schedules fault in seconds' worth of its chunk first, past the
 * kill threshold (the daemon then rightly escalated). */
static void on_term(int sig)
{
	(void)sig;
	if (write(STDERR_FILENO, term_msg, term_msg_len) < 0) {
		/* nothing to do: exiting is what counts */
	}
	_exit(0);
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

static unsigned long parse_num(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end) {
		fprintf(stderr, "memhog: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

/* Write every page of a shared mapping of path (size bytes), forever (until the alarm). */
static int thrash_file(const char *path, size_t size, long page)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	char *p;

	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		perror("memhog: mmap-file");
		return 3;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("memhog: mmap");
		return 3;
	}
	for (unsigned round = 1;; round++)
		for (size_t off = 0; off < size; off += (size_t)page)
			p[off] = (char)round;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rate", required_argument, NULL, 'r' },
		{ "chunk", required_argument, NULL, 'c' },
		{ "max", required_argument, NULL, 'm' },
		{ "ignore-term", no_argument, NULL, 'i' },
		{ "handle-term-exit", no_argument, NULL, 'e' },
		{ "name", required_argument, NULL, 'n' },
		{ "children", required_argument, NULL, 'k' },
		{ "lifetime", required_argument, NULL, 'l' },
		{ "setsid", no_argument, NULL, 's' },
		{ "mmap-file", required_argument, NULL, 'f' },
		{ "wait-usr1", no_argument, NULL, 'w' },
		{}
	};
	unsigned long rate = 0, chunk = 4, max = 1024, children = 0, lifetime = 120;
	int ignore_term = 0, handle_exit = 0, new_session = 0, wait_usr1 = 0, c;
	const char *name = NULL, *file = NULL;
	uint64_t start, done = 0;
	long page = sysconf(_SC_PAGESIZE);
	sigset_t usr1;

	while ((c = getopt_long(argc, argv, "r:c:m:ien:k:l:sf:w", opts, NULL)) >= 0) {
		switch (c) {
		case 'r':
			rate = parse_num(optarg, "rate");
			break;
		case 'c':
			chunk = parse_num(optarg, "chunk");
			break;
		case 'm':
			max = parse_num(optarg, "max");
			break;
		case 'i':
			ignore_term = 1;
			break;
		case 'e':
			handle_exit = 1;
			break;
		case 'n':
			name = optarg;
			break;
		case 'k':
			children = parse_num(optarg, "children");
			break;
		case 's':
			new_session = 1;
			break;
		case 'f':
			file = optarg;
			break;
		case 'l':
			lifetime = parse_num(optarg, "lifetime");
			break;
		case 'w':
			wait_usr1 = 1;
			break;
		default:
			fprintf(stderr, "usage: memhog [--rate MiB/s] [--chunk MiB] [--max MiB] "
					"[--ignore-term] [--handle-term-exit] [--name COMM] "
					"[--children N] [--setsid] [--lifetime SEC] "
					"[--mmap-file PATH] [--wait-usr1]\n");
			return 2;
		}
	}
	if (chunk == 0)
		chunk = 1;
	if (ignore_term)
		signal(SIGTERM, SIG_IGN);
	else if (handle_exit) {
		snprintf(term_msg, sizeof(term_msg), "memhog[%d]: SIGTERM, exiting\n", (int)getpid());
		term_msg_len = strlen(term_msg);
		signal(SIGTERM, on_term);
	}
	if (new_session && setsid() < 0)
		perror("memhog: setsid");
	alarm((unsigned)lifetime); /* SIGALRM's default action ends us, also with --ignore-term */
	if (name)
		prctl(PR_SET_NAME, name, 0, 0, 0);
	if (wait_usr1) { /* blocked before the forks: one sent early stays pending */
		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		sigprocmask(SIG_BLOCK, &usr1, NULL);
	}
	for (unsigned long i = 0; i < children; i++) {
		pid_t p = fork();

		if (p == 0)
			break;
		if (p < 0)
			perror("memhog: fork");
	}
	if (handle_exit) { /* a forked copy says its own pid (a signal meanwhile: the parent's) */
		snprintf(term_msg, sizeof(term_msg), "memhog[%d]: SIGTERM, exiting\n", (int)getpid());
		term_msg_len = strlen(term_msg);
	}
	printf("%d\n", (int)getpid());
	fflush(stdout);
	if (wait_usr1) {
		int sig;

		sigwait(&usr1, &sig);
	}
	if (file)
		return thrash_file(file, (size_t)max << 20, page);

	start = now_usec();
	while (done < max) {
		unsigned long n = chunk > max - done ? max - done : chunk;
		size_t bytes = (size_t)n << 20;
		char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			       0);

		if (p == MAP_FAILED) {
			perror("memhog: mmap");
			return 3;
		}
		for (size_t off = 0; off < bytes; off += (size_t)page)
			p[off] = (char)off | 1;
		done += n;
		if (rate) {
			uint64_t due = start + done * 1000000ULL / rate, now = now_usec();

			if (due > now)
				usleep((useconds_t)(due - now));
		}
	}
	printf("memhog[%d]: holding %lu MiB\n", (int)getpid(), (unsigned long)done);
	fflush(stdout);
	for (;;)
		pause();
}
