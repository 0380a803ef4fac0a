/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ExecAfterAction=: a command run after each action with the report's fields in its
 * environment (OOMGUARDIAN_RESULT=killed, OOMGUARDIAN_VICTIM_PID=1234, ...,
 * OOMGUARDIAN_REPORT=<report file>), for notifications.
 *
 * Nothing forks on the kill path and a hung hook never delays a kill: a notifier process is
 * forked once at start (before loop_new(), so while the daemon is still single-threaded, and
 * before mlockall), and the daemon hands it each finished report over a SOCK_SEQPACKET
 * socketpair with one non-blocking send (a full queue drops the notification, never waits).
 * The notifier runs the hooks one at a time, each in its own process group with a timeout after
 * which the group is SIGKILLed. It dies with the daemon (PR_SET_PDEATHSIG, and EOF on the
 * socket). The state is this module's own (one notifier per daemon process).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Environment variables a hook gets at most (report keys + OOMGUARDIAN_REPORT + PATH). */
#define LOOP_HOOK_ENV_MAX 64
/* One notification: report path, newline, report text (LOOP_REPORT_TEXT_MAX is ~3.5 KiB). */
#define LOOP_HOOK_MSG_MAX 8192

/*
 * Start the notifier for cmd ("/path/to/hook [ARG...]", split at blanks, no shell; "" or NULL:
 * off, nothing is started) with timeout_usec per hook run (0: 10 s). Call before loop_new() and
 * mlockall. Returns 0 (also when off), -EALREADY if started, or -errno from socketpair/fork.
 */
int loop_hook_start(const char *cmd, uint64_t timeout_usec);

/*
 * Hand one finished report to the notifier: a single non-blocking send, no allocation, no
 * fork. Returns 1 if queued, 0 if no notifier runs, -EAGAIN if its queue is full (dropped;
 * counted and logged once the queue drains), other -errno (the notifier is gone: stopped).
 */
int loop_hook_notify(const char *report_path, const char *text, size_t len);

/* Stop the notifier: close the socket, wait for it to finish the running hook and exit. */
void loop_hook_stop(void);

/* The notifier's pid, or -1 (for tests). */
pid_t loop_hook_pid(void);

/*
 * The environment of one hook run from a notification ("path\nkey=value\n..."): KEY=value
 * becomes OOMGUARDIAN_KEY=value (keys upper-cased; lines that are not [a-z0-9_]+=... are
 * skipped), plus OOMGUARDIAN_REPORT=path and PATH. Pure: writes into buf (NUL-separated
 * strings) and envp (NULL-terminated, at most envp_max - 1 entries). Returns the count.
 */
size_t loop_hook_build_env(const char *msg, size_t len, char *buf, size_t size, char **envp,
			   size_t envp_max);
