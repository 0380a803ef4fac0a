/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A stand-in for a listening daemon that re-executes itself per connection, as OpenSSH does
 * (sshd, then "sshd -R", which starts the user's shell), for tests/integration/119-*.sh.
 *
 * /PATH/oglisten DIR: the listener (started by its path). For each line read from the FIFO
 * DIR/ctl it forks a child that re-executes this program as "oglisten -R DIR".
 *
 * oglisten -R DIR: a connection. It forks a "session" (sh, which writes the oom_score_adj it
 * started with to DIR/start.PID, then execs `sleep 600`), appends "CONN_PID SESSION_PID" to
 * DIR/conns and waits.
 *
 * /PATH/oglisten -B DIR: a daemon that forks into the background. At the first line read
 * from DIR/bg it forks a copy (no exec) that writes its pid to DIR/bg.pid and waits; the
 * parent waits to be killed, which leaves the copy as the daemon.
 *
 * Nothing is allocated; the processes end when the test kills them (all in its cgroup).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int connection(const char *dir)
{
	char path[4096], line[64];
	pid_t s = fork();
	int fd, n;

	if (s < 0)
		return perror("oglisten: fork"), 1;
	if (s == 0) {
		/* what it inherited, before the daemon could put anything back */
		execl("/bin/sh", "sh", "-c",
		      "cat /proc/$$/oom_score_adj >\"$0/start.$$\"; exec sleep 600", dir,
		      (char *)NULL);
		_exit(127);
	}
	snprintf(path, sizeof(path), "%s/conns", dir);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	n = snprintf(line, sizeof(line), "%d %d\n", (int)getpid(), (int)s);
	if (fd < 0 || write(fd, line, (size_t)n) != n)
		return perror("oglisten: conns"), 1;
	close(fd);
	while (waitpid(s, NULL, 0) < 0 && errno == EINTR)
		;
	return 0;
}

static int background(const char *dir)
{
	char path[4096], buf[64];
	int fd;
	pid_t c;

	snprintf(path, sizeof(path), "%s/bg", dir);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || read(fd, buf, sizeof(buf)) <= 0)
		return perror("oglisten: bg"), 1;
	c = fork();
	if (c < 0)
		return perror("oglisten: fork"), 1;
	if (c == 0) {
		int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

		snprintf(path, sizeof(path), "%s/bg.pid", dir);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, buf, (size_t)n) != n)
			return perror("oglisten: bg.pid"), 1;
		close(fd);
	}
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	char path[4096], buf[64];
	int fd;

	if (argc == 3 && strcmp(argv[1], "-R") == 0)
		return connection(argv[2]);
	if (argc == 3 && strcmp(argv[1], "-B") == 0)
		return background(argv[2]);
	if (argc != 2) {
		fprintf(stderr, "usage: oglisten DIR | oglisten -R DIR | oglisten -B DIR\n");
		return 2;
	}
	signal(SIGCHLD, SIG_IGN); /* connections are reaped by the kernel */
	snprintf(path, sizeof(path), "%s/ctl", argv[1]);
	/* O_RDWR: the FIFO never reports end of file between the test's writes */
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return perror("oglisten: ctl"), 1;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 1;
		for (ssize_t i = 0; i < n; i++) {
			pid_t c;

			if (buf[i] != '\n')
				continue;
			c = fork();
			if (c < 0)
				return perror("oglisten: fork"), 1;
			if (c == 0) {
				/* argv[0] as given (a path), as sshd re-executes its av[0] */
				execl(argv[0], argv[0], "-R", argv[1], (char *)NULL);
				_exit(127);
			}
		}
	}
}
