/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Process events from the netlink proc connector (NETLINK_CONNECTOR, CN_IDX_PROC), so the loop
 * can apply OOMScoreAdjust to a new process within a second of its exec instead of waiting for
 * the next rescan. Listening needs CAP_NET_ADMIN in the initial network namespace; where the
 * connector is missing (CONFIG_PROC_EVENTS=n: EPROTONOSUPPORT) or refused (EPERM, a container)
 * proc_events_open() returns that -errno and the caller rescans /proc periodically instead.
 * The socket is non-blocking: add proc_events_fd() to the event loop (POLLIN) and drain it with
 * proc_events_read().
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

enum pe_kind {
	PE_EXEC = 0, /* pid (a thread group leader) called execve */
	PE_COMM, /* pid changed its comm (prctl PR_SET_NAME, or a write to /proc/PID/comm) */
	PE_EXIT, /* a process (thread group) exited */
	PE_OVERFLOW, /* the socket buffer overflowed (ENOBUFS): events were lost, pid 0; rescan */
};

struct proc_events {
	int fd;
};

/*
 * Open the connector socket, bind to the proc multicast group and send PROC_CN_MCAST_LISTEN.
 * 0, or -errno: -EPROTONOSUPPORT (no connector), -EPERM/-EACCES (not allowed), others. On
 * failure *ret has fd -1 and proc_events_close() is safe.
 */
int proc_events_open(struct proc_events *ret);

/* The fd to poll (POLLIN), or -1. */
int proc_events_fd(const struct proc_events *pe);

/*
 * Read every queued message without blocking and call cb for each EXEC, COMM and EXIT of a
 * process (thread events are filtered out: for COMM the thread-group id is reported, since
 * oom_score_adj is per process). Returns the number of callbacks made (>= 0); -errno on a
 * socket error other than EAGAIN. ENOBUFS is reported as one PE_OVERFLOW callback, not an error.
 */
int proc_events_read(struct proc_events *pe,
		     void (*cb)(void *userdata, enum pe_kind kind, pid_t pid), void *userdata);

/*
 * Parse one received datagram (netlink messages, each a cn_msg holding a struct proc_event) and
 * call cb as proc_events_read() does. Pure: truncated or foreign messages are skipped, never
 * read past len. Returns the number of callbacks made (>= 0).
 */
int proc_events_parse_buf(const char *buf, size_t len,
			  void (*cb)(void *userdata, enum pe_kind kind, pid_t pid), void *userdata);

/* Send PROC_CN_MCAST_IGNORE and close; safe twice. */
void proc_events_close(struct proc_events *pe);
