/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The netlink proc connector (drivers/connector/cn_proc.c): exec, comm and exit events. */
#include <errno.h>
#include <stddef.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guardian/proc_events.h"

/* Per call at most this many datagrams: a fork storm must not keep the loop in here forever.
 * The fd stays readable, so the loop comes back on its next iteration. */
#define PE_DRAIN_MAX 512

static int pe_send_op(int fd, enum proc_cn_mcast_op op)
{
	/* nlmsghdr (16) + cn_msg (20) + the 4-byte op: built byte-wise, since struct cn_msg ends
	 * in a flexible array and cannot be embedded in a struct. */
	char buf[NLMSG_LENGTH(sizeof(struct cn_msg) + sizeof(op))] __attribute__((aligned(8)));
	struct nlmsghdr nl = {.nlmsg_len = sizeof(buf), .nlmsg_type = NLMSG_DONE};
	struct cn_msg cn = {.id = {.idx = CN_IDX_PROC, .val = CN_VAL_PROC}, .len = sizeof(op)};

	memset(buf, 0, sizeof(buf));
	memcpy(buf, &nl, sizeof(nl));
	memcpy(buf + NLMSG_HDRLEN, &cn, sizeof(cn));
	memcpy(buf + NLMSG_HDRLEN + sizeof(cn), &op, sizeof(op));
	return send(fd, buf, sizeof(buf), 0) < 0 ? -errno : 0;
}

int proc_events_open(struct proc_events *ret)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC};
	int fd, r, rcvbuf = 4 << 20;

	ret->fd = -1;
	fd = socket(PF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_CONNECTOR);
	if (fd < 0)
		return -errno;
	/* Every exec/exit on the machine lands here: a build with -j32 makes thousands a second,
	 * and the default ~208 KiB buffer holds only ~250 of them (each skb costs ~800 bytes).
	 * 4 MiB rides out a busy second; best effort (FORCE needs CAP_NET_ADMIN). */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	r = pe_send_op(fd, PROC_CN_MCAST_LISTEN);
	if (r < 0) {
		close(fd);
		return r;
	}
	ret->fd = fd;
	return 0;
}

int proc_events_fd(const struct proc_events *pe)
{
	return pe->fd;
}

static int pe_dispatch(const struct proc_event *ev,
		       void (*cb)(void *userdata, enum pe_kind kind, pid_t pid), void *userdata);

/* Copied out with memcpy: the proc_event sits at offset 36 (16 + 20), not aligned for its u64
 * timestamp. Only the first two pid fields of each event are read. */
int proc_events_parse_buf(const char *buf, size_t len,
			  void (*cb)(void *userdata, enum pe_kind kind, pid_t pid), void *userdata)
{
	size_t need = offsetof(struct proc_event, event_data) + 2 * sizeof(__kernel_pid_t);
	int n = 0;

	for (size_t off = 0; off + NLMSG_HDRLEN <= len;) {
		struct proc_event ev;
		struct nlmsghdr h;
		struct cn_msg cn;

		memcpy(&h, buf + off, sizeof(h));
		if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > len - off)
			break;
		if (h.nlmsg_type == NLMSG_DONE && h.nlmsg_len >= NLMSG_HDRLEN + sizeof(cn)) {
			memcpy(&cn, buf + off + NLMSG_HDRLEN, sizeof(cn));
			if (cn.id.idx == CN_IDX_PROC && cn.id.val == CN_VAL_PROC &&
			    cn.len >= need && cn.len <= h.nlmsg_len - NLMSG_HDRLEN - sizeof(cn)) {
				memset(&ev, 0, sizeof(ev));
				memcpy(&ev, buf + off + NLMSG_HDRLEN + sizeof(cn),
				       cn.len < sizeof(ev) ? cn.len : sizeof(ev));
				n += pe_dispatch(&ev, cb, userdata);
			}
		}
		off += NLMSG_ALIGN(h.nlmsg_len);
	}
	return n;
}

/* One proc_event into a callback; thread events are dropped. 1 if cb was called. */
static int pe_dispatch(const struct proc_event *ev,
		       void (*cb)(void *userdata, enum pe_kind kind, pid_t pid), void *userdata)
{
	switch (ev->what) {
	case PROC_EVENT_EXEC:
		cb(userdata, PE_EXEC, ev->event_data.exec.process_tgid);
		return 1;
	case PROC_EVENT_COMM:
		cb(userdata, PE_COMM, ev->event_data.comm.process_tgid);
		return 1;
	case PROC_EVENT_EXIT:
		if (ev->event_data.exit.process_pid != ev->event_data.exit.process_tgid)
			return 0; /* a thread, not the process */
		cb(userdata, PE_EXIT, ev->event_data.exit.process_tgid);
		return 1;
	default:
		return 0; /* fork, uid, gid, sid, ptrace, coredump, the LISTEN ack (NONE) */
	}
}

int proc_events_read(struct proc_events *pe,
		     void (*cb)(void *userdata, enum pe_kind kind, pid_t pid), void *userdata)
{
	/* One datagram holds one event (~100 bytes); 4 KiB is plenty and stays on the stack. */
	char buf[4096] __attribute__((aligned(NLMSG_ALIGNTO)));
	int n = 0;

	if (pe->fd < 0)
		return -EBADF;
	for (int i = 0; i < PE_DRAIN_MAX; i++) {
		struct sockaddr_nl from;
		socklen_t fromlen = sizeof(from);
		ssize_t len =
			recvfrom(pe->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);

		if (len < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			if (errno == ENOBUFS) {
				cb(userdata, PE_OVERFLOW, 0);
				n++;
				continue;
			}
			return -errno;
		}
		if (from.nl_pid != 0)
			continue; /* not from the kernel */
		n += proc_events_parse_buf(buf, (size_t)len, cb, userdata);
	}
	return n;
}

void proc_events_close(struct proc_events *pe)
{
	if (pe->fd >= 0) {
		(void)pe_send_op(pe->fd, PROC_CN_MCAST_IGNORE);
		close(pe->fd);
	}
	pe->fd = -1;
}
