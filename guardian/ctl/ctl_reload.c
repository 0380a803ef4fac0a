/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oomguardianctl reload: SIGHUP to the daemon that holds the state file's lock, then wait for
 * its answer in the state file ("reload=GENERATION ok|refused", "reload_reason=..."), which the
 * daemon rewrites after every reload. The unit's ExecReload= runs this, so `systemctl reload`
 * fails when the daemon refused the new configuration (a kill -HUP cannot know).
 *
 * No fixed sleep: an inotify watch on the state file's directory (the file is replaced by a
 * rename) and a pidfd of the daemon (it died) wake the wait, bounded by --timeout.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "guardian/ctl/ctl_reload.h"
#include "guardian/ctl/ctl_reports.h"
#include "guardian/loop/loop_files.h"
#include "policy/util/cleanup.h"
#include "policy/util/strutil.h"

#define CTL_RELOAD_NOT_RUNNING 3 /* as status */
#define CTL_RELOAD_TIMEOUT_S 60 /* below systemd's default TimeoutStartSec= (90 s) */

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * The state file's reload answer: 1 and *ret_gen (and *ret_refused, ret_reason) when it has
 * one, 0 when the file has no "reload=" key (a daemon older than this command), -errno when
 * it cannot be read.
 */
static int read_answer(const char *state, unsigned *ret_gen, bool *ret_refused, char *ret_reason,
		       size_t reason_size)
{
	_cleanup_free_ char *text = NULL;
	char result[16] = "";
	unsigned gen = 0;
	const char *v;
	int r = ctl_read_file(state, &text);

	if (r < 0)
		return r;
	v = ctl_kv_get(text, "reload");
	if (!v || sscanf(v, "%u %15s", &gen, result) != 2)
		return 0;
	*ret_gen = gen;
	*ret_refused = strcmp(result, "refused") == 0;
	v = ctl_kv_get(text, "reload_reason");
	og_strscpy(ret_reason, v ? v : "", reason_size);
	return 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: oomguardianctl reload [--state-file FILE] [--timeout SECONDS]\n"
		"Ask oomguardiand to reload its configuration and policies (SIGHUP to the pid\n"
		"holding the state file's lock) and wait for its answer (default %d s).\n"
		"Exit status: 0 reloaded, 78 refused (the daemon keeps its running policy; the\n"
		"reason is printed), 3 not running, 1 no answer or another error.\n",
		CTL_RELOAD_TIMEOUT_S);
}

/* Wait for an answer newer than gen0: 0 ok, 78 refused, 1 timeout or daemon gone. */
static int wait_answer(const char *state, pid_t pid, int ifd, int pfd, unsigned gen0,
		       unsigned timeout_s)
{
	uint64_t deadline = mono_ms() + (uint64_t)timeout_s * 1000;
	char reason[2048];

	for (;;) {
		struct pollfd p[2] = {{.fd = ifd, .events = POLLIN}, {.fd = pfd, .events = POLLIN}};
		char ev[4096];
		unsigned gen = 0;
		bool refused = false;
		uint64_t now;
		int r = read_answer(state, &gen, &refused, reason, sizeof(reason));

		if (r > 0 && gen != gen0) {
			if (!refused) {
				printf("oomguardiand (pid %d): reloaded\n", (int)pid);
				return 0;
			}
			fputs("oomguardianctl reload: refused, the daemon keeps its running "
			      "policy: ",
			      stderr);
			ctl_put_safe(stderr, reason[0] ? reason : "(no reason given)");
			fputc('\n', stderr);
			return EX_CONFIG;
		}
		now = mono_ms();
		if (now >= deadline) {
			fprintf(stderr,
				"oomguardianctl reload: no answer from pid %d in '%s' within %u "
				"s\n",
				(int)pid, state, timeout_s);
			return 1;
		}
		r = poll(p, pfd >= 0 ? 2 : 1, (int)(deadline - now));
		if (r < 0 && errno != EINTR) {
			fprintf(stderr, "oomguardianctl reload: poll: %s\n", strerror(errno));
			return 1;
		}
		if (r > 0 && (p[0].revents & POLLIN))
			(void)!read(ifd, ev, sizeof(ev)); /* drained; the file is read again */
		if (r > 0 && (p[1].revents & POLLIN)) {
			/* its last state may still hold the answer: one more look */
			if (read_answer(state, &gen, &refused, reason, sizeof(reason)) > 0 &&
			    gen != gen0)
				continue;
			fprintf(stderr, "oomguardianctl reload: pid %d exited before answering\n",
				(int)pid);
			return 1;
		}
	}
}

int ctl_reload_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"state-file", required_argument, NULL, 'S'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *state = CTL_STATE_DEFAULT;
	unsigned timeout_s = CTL_RELOAD_TIMEOUT_S, gen0 = 0;
	_cleanup_close_ int ifd = -EBADF, pfd = -EBADF;
	char lock[PATH_MAX], dir[PATH_MAX], reason[16];
	bool refused;
	pid_t holder = 0;
	char *end, *slash;
	int c, r, have;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+S:t:h", opts, NULL)) >= 0) {
		switch (c) {
		case 'S':
			state = optarg;
			break;
		case 't':
			errno = 0;
			timeout_s = (unsigned)strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || timeout_s == 0 || timeout_s > 3600) {
				fprintf(stderr,
					"oomguardianctl reload: --timeout: expected 1-3600 "
					"seconds, "
					"got '%s'\n",
					optarg);
				return EX_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind < argc || strlen(state) + sizeof(".lock") > sizeof(lock)) {
		usage(stderr);
		return EX_USAGE;
	}
	snprintf(lock, sizeof(lock), "%s.lock", state);
	r = ctl_probe_state_lock("reload", state, &holder);
	if (r < 0)
		return 1;
	if (r == 0 || holder <= 0) {
		fprintf(stderr, "oomguardianctl reload: oomguardiand is not running (%s '%s')\n",
			r == 0 ? "nobody holds" : "no pid in", lock);
		return r == 0 ? CTL_RELOAD_NOT_RUNNING : 1;
	}
	/* the watch and the pidfd before the signal: an answer cannot slip by */
	og_strscpy(dir, state, sizeof(dir));
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		og_strscpy(dir, ".", sizeof(dir));
	ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ifd < 0 || inotify_add_watch(ifd, dir, IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
		fprintf(stderr, "oomguardianctl reload: cannot watch '%s': %s\n", dir,
			strerror(errno));
		return 1;
	}
	pfd = (int)syscall(SYS_pidfd_open, holder, 0); /* -1 on kernels before 5.3: no wake */
	have = read_answer(state, &gen0, &refused, reason, sizeof(reason));
	if (kill(holder, SIGHUP) < 0) {
		fprintf(stderr, "oomguardianctl reload: cannot signal pid %d: %s\n", (int)holder,
			strerror(errno));
		return errno == ESRCH ? CTL_RELOAD_NOT_RUNNING : 1;
	}
	if (have == 0) {
		printf("oomguardiand (pid %d): SIGHUP sent; its state file '%s' gives no answer "
		       "(an older daemon?): see its log\n",
		       (int)holder, state);
		return 0;
	}
	return wait_answer(state, holder, ifd, pfd, gen0, timeout_s);
}
