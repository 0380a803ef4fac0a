/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Process events from the netlink proc connector (NETLINK_CONNECTOR, CN_IDX_PROC), so the loop
 * can apply OOMScoreAdjust to a new process within a second of its exec instead of waiting for
 * the next rescan. Listening needs CAP_NET_ADMIN in the initial network namespace; where the
 * connector is missing (CONFIG_PROC_EVENTS=n: EPROTONOSUPPORT) or refused (EPERM, a container)
 * proc_events_open() returns that -errno and the caller rescans /proc periodically instead.
 * The socket is non-blocking: add proc_events_fd() to the event loop (POLLIN) and drain it with
 * proc_events_read().
 *
 * The connector multicasts every event of the machine (fork, exec, uid, gid, sid, ptrace, comm,
 * coredump, exit, for every thread: a busy host makes thousands a second). A classic BPF socket
 * filter makes the kernel drop, before queueing, every message the caller did not ask for, so
 * an idle daemon is not woken by other processes' forks and thread exits.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum pe_kind {
	PE_EXEC = 0, /* pid (a thread group leader) called execve */
	PE_COMM, /* pid changed its comm (prctl PR_SET_NAME, or a write to /proc/PID/comm) */
	PE_EXIT, /* a process (thread group) exited */
	PE_OVERFLOW, /* the socket buffer overflowed (ENOBUFS): events were lost, pid 0; rescan */
	PE_FORK, /* a new process (thread group leader; pid is the child's, parent the forking
		  * process's): fork() without exec */
	PE_UID, /* a process changed its uid (setuid() in its leader thread) */
};

/* What proc_events_read() calls: parent is the forking process for PE_FORK, else 0. */
typedef void (*pe_cb_fn)(void *userdata, enum pe_kind kind, pid_t pid, pid_t parent);

/* Bits for proc_events_open_kinds(): which events the kernel delivers. */
#define PE_WANT(kind) (1u << (kind))
/* What the loop needs: a process that execs or renames itself may now match a policy. */
#define PE_WANT_DEFAULT (PE_WANT(PE_EXEC) | PE_WANT(PE_COMM))

struct pe_batch; /* receive buffers, allocated by proc_events_open_kinds() */

struct proc_events {
	int fd;
	unsigned kinds; /* PE_WANT() bits asked for */
	bool filtered; /* the socket filter is attached: the kernel drops the rest */
	unsigned long received; /* datagrams read since open (what the filter let through) */
	unsigned long ignored; /* ... of them carrying nothing asked for (0 while filtered) */
	bool more; /* the last proc_events_read() stopped at its cap: more are queued */
	struct pe_batch *batch;
};

/*
 * Open the connector socket, bind to the proc multicast group, attach the socket filter for
 * kinds (PE_WANT() bits of PE_EXEC, PE_COMM, PE_EXIT, PE_FORK, PE_UID; all but EXEC only of a
 * thread-group leader: a new thread is no new process) and send PROC_CN_MCAST_LISTEN. If the filter
 * cannot be attached the socket works unfiltered (pe->filtered false; proc_events_read() drops what
 * was not asked for). 0, or -errno: -EPROTONOSUPPORT (no connector), -EPERM/-EACCES (not allowed),
 * -ENOMEM, others. On failure *ret has fd -1 and proc_events_close() is safe.
 */
int proc_events_open_kinds(struct proc_events *ret, unsigned kinds);

/* proc_events_open_kinds(ret, PE_WANT_DEFAULT): exec and comm changes, no exits. */
int proc_events_open(struct proc_events *ret);

/* The fd to poll (POLLIN), or -1. */
int proc_events_fd(const struct proc_events *pe);

/*
 * Read every queued message without blocking (recvmmsg, up to 64 datagrams a call and 512 a
 * drain) and call cb for each FORK, EXEC, UID, COMM and EXIT of a process asked for (thread
 * events are filtered out: for COMM the thread-group id is reported, since oom_score_adj is per
 * process), in the order they came. A burst costs one callback per pid: EXEC, UID and COMM of
 * the same pid in one drain are reported once (as PE_EXEC if it exec'd, at the first one's
 * place). ENOBUFS is reported as one PE_OVERFLOW
 * callback at the end (not an error), which replaces the drain's other callbacks but EXIT: the
 * caller rescans everything anyway. Sets pe->more when it stopped at the 512 with messages
 * still queued. Returns the number of callbacks made (>= 0); -errno on a socket error other
 * than EAGAIN.
 */
int proc_events_read(struct proc_events *pe, pe_cb_fn cb, void *userdata);

/*
 * Parse one received datagram (netlink messages, each a cn_msg holding a struct proc_event) and
 * call cb as proc_events_read() does. Pure: truncated or foreign messages are skipped, never
 * read past len. Returns the number of callbacks made (>= 0).
 */
int proc_events_parse_buf(const char *buf, size_t len, pe_cb_fn cb, void *userdata);

/* Send PROC_CN_MCAST_IGNORE and close; safe twice. */
void proc_events_close(struct proc_events *pe);
