/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The netlink proc connector (drivers/connector/cn_proc.c): exec, comm and exit events. */
#include <errno.h>
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
	struct {
		struct nlmsghdr nl;
		struct cn_msg cn;
		enum proc_cn_mcast_op op;
	} __attribute__((packed)) msg;

	/* NLMSG_LENGTH(sizeof(cn_msg) + 4): the header and cn_msg are both 4-byte multiples, so
	 * the packed layout is the one the kernel expects. */
	memset(&msg, 0, sizeof(msg));
	msg.nl.nlmsg_len = sizeof(msg);
	msg.nl.nlmsg_type = NLMSG_DONE;
	msg.nl.nlmsg_pid = 0;
	msg.cn.id.idx = CN_IDX_PROC;
	msg.cn.id.val = CN_VAL_PROC;
	msg.cn.len = sizeof(msg.op);
	msg.op = op;
	return send(fd, &msg, sizeof(msg), 0) < 0 ? -errno : 0;
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
		int rem = (int)len;

		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, rem);
		     h = NLMSG_NEXT(h, rem)) {
			const struct cn_msg *cn = NLMSG_DATA(h);

			if (h->nlmsg_type != NLMSG_DONE ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof(*cn) + sizeof(struct proc_event)))
				continue;
			if (cn->id.idx != CN_IDX_PROC || cn->id.val != CN_VAL_PROC)
				continue;
			n += pe_dispatch((const struct proc_event *)cn->data, cb, userdata);
		}
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
