/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ExecAfterAction=: the notifier process and its hand-off. See loop_hook.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guardian/base/log.h"
#include "guardian/loop/loop_hook.h"
#include "policy/util/strutil.h"

#define HOOK_ARGV_MAX 16
#define HOOK_CMD_MAX 512
#define HOOK_TIMEOUT_DEFAULT_USEC 10000000ULL
/* Room for a burst of reports while a hook runs: ~60 notifications of 4 KiB. */
#define HOOK_SNDBUF (256 * 1024)

static int hook_fd = -1; /* the daemon's end of the socketpair */
static pid_t hook_pid = -1;
static unsigned hook_dropped;

pid_t loop_hook_pid(void)
{
	return hook_pid;
}

static bool key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* Append "s" plus a NUL to buf at *off; false if it does not fit. */
static bool put(char *buf, size_t size, size_t *off, const char *s, size_t n)
{
	if (*off + n + 1 > size)
		return false;
	memcpy(buf + *off, s, n);
	buf[*off + n] = '\0';
	*off += n + 1;
	return true;
}

size_t loop_hook_build_env(const char *msg, size_t len, char *buf, size_t size, char **envp,
			   size_t envp_max)
{
	static const char path_var[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	const char *end = msg + len, *nl = memchr(msg, '\n', len);
	size_t off = 0, n = 0;
	char var[160];

	if (envp_max == 0)
		return 0;
	if (n + 1 < envp_max && put(buf, size, &off, path_var, sizeof(path_var) - 1))
		envp[n++] = buf + off - sizeof(path_var);
	if (nl) {
		int k = snprintf(var, sizeof(var), "OOMGUARDIAN_REPORT=%.*s", (int)(nl - msg), msg);

		if (k > 0 && (size_t)k < sizeof(var) && n + 1 < envp_max &&
		    put(buf, size, &off, var, (size_t)k))
			envp[n++] = buf + off - (size_t)k - 1;
	}
	for (const char *p = nl ? nl + 1 : end; p < end && n + 1 < envp_max;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *eq;
		size_t klen, vlen, start = off;

		if (!eol)
			eol = end;
		eq = memchr(p, '=', (size_t)(eol - p));
		klen = eq ? (size_t)(eq - p) : 0;
		for (size_t i = 0; i < klen; i++)
			if (!key_char(p[i]))
				klen = 0;
		if (klen > 0 && klen < 64) {
			vlen = (size_t)(eol - eq - 1);
			if (off + 12 + klen + 1 + vlen + 1 > size)
				break;
			memcpy(buf + off, "OOMGUARDIAN_", 12);
			for (size_t i = 0; i < klen; i++)
				buf[off + 12 + i] = (p[i] >= 'a' && p[i] <= 'z') ? p[i] - 'a' + 'A' : p[i];
			buf[off + 12 + klen] = '=';
			memcpy(buf + off + 13 + klen, eq + 1, vlen);
			buf[off + 13 + klen + vlen] = '\0';
			off += 13 + klen + vlen + 1;
			envp[n++] = buf + start;
		}
		p = eol + 1;
	}
	envp[n] = NULL;
	return n;
}

/* ------------------------------------------------------------------ the notifier */

static uint64_t mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Wait for the hook (pidfd), at most timeout_usec; then SIGKILL its process group. */
static void hook_wait(pid_t pid, const char *cmd, uint64_t timeout_usec)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), status = 0;
	uint64_t deadline = mono_usec() + timeout_usec;
	bool killed = false;

	while (pidfd >= 0) {
		uint64_t now = mono_usec();
		struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
		int r;

		if (now >= deadline) {
			kill(-pid, SIGKILL); /* the hook and whatever it started */
			killed = true;
			break;
		}
		r = poll(&pfd, 1, (int)((deadline - now + 999) / 1000));
		if (r > 0 || (r < 0 && errno != EINTR))
			break;
	}
	if (pidfd >= 0)
		close(pidfd);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (killed)
		log_warning("ExecAfterAction '%s' still ran after %" PRIu64 " ms: killed", cmd,
			    timeout_usec / 1000);
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		log_warning("ExecAfterAction '%s' exited with status %d", cmd, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		log_warning("ExecAfterAction '%s' died of signal %d", cmd, WTERMSIG(status));
}

static void hook_run(char *const *argv, const char *cmd, const char *msg, size_t len,
		     uint64_t timeout_usec)
{
	static char envbuf[LOOP_HOOK_MSG_MAX + 1024];
	char *envp[LOOP_HOOK_ENV_MAX];
	pid_t pid;

	loop_hook_build_env(msg, len, envbuf, sizeof(envbuf), envp, LOOP_HOOK_ENV_MAX);
	pid = fork();
	if (pid < 0) {
		log_warning_errno(-errno, "cannot start ExecAfterAction '%s': %m", cmd);
		return;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

		setpgid(0, 0); /* its own group: a timeout kills what it started, too */
		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
		execve(argv[0], argv, envp);
		fprintf(stderr, "oomguardiand: cannot execute '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid); /* both sides, so the group exists before any kill(-pid) */
	hook_wait(pid, cmd, timeout_usec);
}

/* Split cmd at blanks into argv (no shell, no quoting). Returns argc. */
static size_t split_cmd(char *cmd, char **argv, size_t max)
{
	size_t n = 0;

	for (char *p = strtok(cmd, " \t"); p && n + 1 < max; p = strtok(NULL, " \t"))
		argv[n++] = p;
	argv[n] = NULL;
	return n;
}

static void notifier_main(int fd, pid_t parent, const char *cmd, uint64_t timeout_usec)
{
	static char msg[LOOP_HOOK_MSG_MAX];
	char words[HOOK_CMD_MAX], *argv[HOOK_ARGV_MAX];
	sigset_t all;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0); /* the daemon died before PR_SET_PDEATHSIG took */
	prctl(PR_SET_NAME, "og-notifier");
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	/* The daemon's -1000 (OOMScoreAdjust= of the unit) must not pass to hooks: raising it needs
	 * no privilege. Our own process, not an action on the system. */
	{
		int adj = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

		if (adj >= 0) {
			(void)!write(adj, "0", 1);
			close(adj);
		}
	}
	og_strscpy(words, cmd, sizeof(words));
	if (split_cmd(words, argv, HOOK_ARGV_MAX) == 0)
		_exit(1);
	for (;;) {
		ssize_t n = recv(fd, msg, sizeof(msg), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0); /* the daemon closed its end (or exited) */
		hook_run(argv, cmd, msg, (size_t)n, timeout_usec);
	}
}

int loop_hook_start(const char *cmd, uint64_t timeout_usec)
{
	int sv[2], sndbuf = HOOK_SNDBUF;
	pid_t parent = getpid(), pid;

	if (!cmd || !cmd[0])
		return 0;
	if (hook_pid > 0)
		return -EALREADY;
	if (timeout_usec == 0)
		timeout_usec = HOOK_TIMEOUT_DEFAULT_USEC;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	(void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int r = -errno;

		close(sv[0]);
		close(sv[1]);
		return r;
	}
	if (pid == 0) {
		close(sv[0]);
		notifier_main(sv[1], parent, cmd, timeout_usec);
		_exit(0);
	}
	close(sv[1]);
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0)
		log_debug_errno(-errno, "notifier socket blocking: %m, ignoring (sends use MSG_DONTWAIT)");
	hook_fd = sv[0];
	hook_pid = pid;
	log_info("ExecAfterAction '%s': notifier pid %d", cmd, (int)pid);
	return 0;
}

int loop_hook_notify(const char *report_path, const char *text, size_t len)
{
	struct iovec iov[3] = {
		{.iov_base = (void *)report_path, .iov_len = strlen(report_path)},
		{.iov_base = (void *)"\n", .iov_len = 1},
		{.iov_base = (void *)text, .iov_len = len},
	};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 3};

	if (hook_fd < 0)
		return 0;
	if (iov[0].iov_len + 1 + len > LOOP_HOOK_MSG_MAX)
		iov[2].iov_len = LOOP_HOOK_MSG_MAX - 1 - iov[0].iov_len; /* cut, never fail */
	if (sendmsg(hook_fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			hook_dropped++;
			return -EAGAIN;
		}
		return -errno;
	}
	if (hook_dropped) {
		log_warning("ExecAfterAction: %u notifications dropped while the hook was busy",
			    hook_dropped);
		hook_dropped = 0;
	}
	return 1;
}

void loop_hook_stop(void)
{
	if (hook_fd >= 0)
		close(hook_fd);
	hook_fd = -1;
	if (hook_pid > 0)
		while (waitpid(hook_pid, NULL, 0) < 0 && errno == EINTR)
			;
	hook_pid = -1;
	hook_dropped = 0;
}
