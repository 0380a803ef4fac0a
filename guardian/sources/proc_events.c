/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The netlink proc connector (drivers/connector/cn_proc.c): fork, exec, uid, comm and exit. */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guardian/base/log.h"
#include "guardian/sources/proc_events.h"

/* Per call at most this many datagrams: a fork storm must not keep the loop in here forever.
 * pe->more says so; the caller reads again (a bounded number of times) or comes back. */
#define PE_DRAIN_MAX 512
/* Datagrams per recvmmsg(): one connector message each (16 + 20 + 40-byte proc_event; the
 * kernel sizes the skb for the largest event, ~100 bytes). A slot that is too small truncates
 * (MSG_TRUNC) and the parser skips the message. 64 x 256 B = 16 KiB, allocated at open. */
#define PE_BATCH 64
#define PE_SLOT 256

struct pe_pending {
	enum pe_kind kind;
	pid_t pid, parent;
};

struct pe_batch {
	struct mmsghdr msg[PE_BATCH];
	struct iovec iov[PE_BATCH];
	struct sockaddr_nl from[PE_BATCH];
	char buf[PE_BATCH][PE_SLOT] __attribute__((aligned(NLMSG_ALIGNTO)));
	/* the drain's callbacks, deduplicated per pid, made once the socket is empty */
	struct pe_pending pend[PE_DRAIN_MAX];
	size_t npend;
	unsigned kinds;
	unsigned long unwanted; /* events parsed but not asked for */
};

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

/*
 * The socket filter. Offsets into the datagram: nlmsghdr (16: type at 4), cn_msg (20: idx 16,
 * val 20, data 36), proc_event (what 36, cpu 40, timestamp_ns 44, event_data 52; exec, comm and
 * exit all start with process_pid 52, process_tgid 56). Loads are big-endian and the fields
 * host order: constants go through htonl()/htons(); pid == tgid compares two loads swapped
 * alike. A message that is not a proc connector event (another nlmsg type or connector id)
 * passes: userspace skips it, and something new from the kernel must not vanish silently. A
 * load past the end of a short message ends the program with 0: dropped.
 */
#define PE_OFF_CN NLMSG_HDRLEN
#define PE_OFF_EV (PE_OFF_CN + sizeof(struct cn_msg))
#define PE_OFF_PID (PE_OFF_EV + offsetof(struct proc_event, event_data.exec.process_pid))
#define PE_OFF_TGID (PE_OFF_EV + offsetof(struct proc_event, event_data.exec.process_tgid))

_Static_assert(PE_OFF_EV == 36 && PE_OFF_PID == 52 && PE_OFF_TGID == 56, "connector layout");
_Static_assert(offsetof(struct proc_event, event_data.comm.process_pid) ==
			       offsetof(struct proc_event, event_data.exec.process_pid) &&
		       offsetof(struct proc_event, event_data.exit.process_pid) ==
			       offsetof(struct proc_event, event_data.exec.process_pid) &&
		       offsetof(struct proc_event, event_data.id.process_pid) ==
			       offsetof(struct proc_event, event_data.exec.process_pid) &&
		       offsetof(struct proc_event, event_data.id.process_tgid) ==
			       offsetof(struct proc_event, event_data.exec.process_tgid) &&
		       offsetof(struct proc_event, event_data.comm.process_tgid) ==
			       offsetof(struct proc_event, event_data.exec.process_tgid) &&
		       offsetof(struct proc_event, event_data.exit.process_tgid) ==
			       offsetof(struct proc_event, event_data.exec.process_tgid),
	       "pid and tgid at the same offsets in exec, uid, comm and exit");

/* fork: parent_pid 52, parent_tgid 56, child_pid 60, child_tgid 64 */
#define PE_OFF_CHILD_PID (PE_OFF_EV + offsetof(struct proc_event, event_data.fork.child_pid))
#define PE_OFF_CHILD_TGID (PE_OFF_EV + offsetof(struct proc_event, event_data.fork.child_tgid))
_Static_assert(PE_OFF_CHILD_PID == 60 && PE_OFF_CHILD_TGID == 64, "fork event layout");

#define PE_FILTER_MAX 24 /* 14 + one per kind (5) + the child leader check (4) */

/*
 * The program for kinds (PE_WANT() bits) into prog[PE_FILTER_MAX]; returns its length.
 *   0-5  not NLMSG_DONE, not CN_IDX_PROC/CN_VAL_PROC: accept
 *   6    A = what
 *   7..  one test per wanted kind: EXEC accepts, COMM, UID and EXIT go to the leader check
 *   L-1  drop (no wanted kind)
 *   L    A = pid, X = A, A = tgid: pid == tgid accepts, else drop
 */
static unsigned short pe_filter_build(unsigned kinds, struct sock_filter *prog)
{
	static const struct {
		enum pe_kind kind;
		uint32_t what;
		bool leader_only;
	} map[] = {
		{PE_EXEC, PROC_EVENT_EXEC, false}, /* after execve the caller is the leader */
		{PE_COMM, PROC_EVENT_COMM, true}, /* a thread's rename leaves /proc/TGID/comm */
		{PE_EXIT, PROC_EVENT_EXIT, true},
		{PE_UID, PROC_EVENT_UID, true}, /* setuid() changes every thread: the leader's */
	};
	bool fork = kinds & PE_WANT(PE_FORK);
	unsigned n = 0, nk = 0, leader, child, drop, accept;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		nk += !!(kinds & PE_WANT(map[i].kind));
	nk += fork;
	leader = 8 + nk;
	child = leader + 4; /* only with fork: the child's pid == tgid */
	drop = child + (fork ? 4 : 0);
	accept = drop + 1;
#define J(i, target) ((unsigned char)((target) - (i)-1))
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_H | BPF_ABS,
						 offsetof(struct nlmsghdr, nlmsg_type));
	prog[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htons(NLMSG_DONE), 0,
					       J(n, accept));
	n++;
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						 PE_OFF_CN + offsetof(struct cb_id, idx));
	prog[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(CN_IDX_PROC), 0,
					       J(n, accept));
	n++;
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						 PE_OFF_CN + offsetof(struct cb_id, val));
	prog[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(CN_VAL_PROC), 0,
					       J(n, accept));
	n++;
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						 PE_OFF_EV + offsetof(struct proc_event, what));
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (!(kinds & PE_WANT(map[i].kind)))
			continue;
		prog[n] =
			(struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(map[i].what),
						     J(n, map[i].leader_only ? leader : accept), 0);
		n++;
	}
	if (fork) {
		prog[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						       htonl(PROC_EVENT_FORK), J(n, child), 0);
		n++;
	}
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0); /* leader - 1 */
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, PE_OFF_PID);
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_MISC | BPF_TAX, 0);
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, PE_OFF_TGID);
	prog[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_X, 0, J(n, accept),
					       J(n, drop));
	n++;
	if (fork) { /* child */
		prog[n++] =
			(struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, PE_OFF_CHILD_PID);
		prog[n++] = (struct sock_filter)BPF_STMT(BPF_MISC | BPF_TAX, 0);
		prog[n++] =
			(struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, PE_OFF_CHILD_TGID);
		prog[n] =
			(struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_X, 0, J(n, accept), 0);
		n++;
	}
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0); /* drop */
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0xffffffffu); /* accept */
#undef J
	return (unsigned short)n;
}

/* Attach the filter for kinds; 0 or -errno (the socket is left unfiltered). */
static int pe_filter_attach(int fd, unsigned kinds)
{
	struct sock_filter prog[PE_FILTER_MAX];
	struct sock_fprog fp = {.filter = prog};

	fp.len = pe_filter_build(kinds, prog);
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)) < 0 ? -errno : 0;
}

int proc_events_open_kinds(struct proc_events *ret, unsigned kinds)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC};
	struct pe_batch *b;
	int fd, r, rcvbuf = 4 << 20;

	*ret = (struct proc_events){.fd = -1};
	kinds &= PE_WANT(PE_EXEC) | PE_WANT(PE_COMM) | PE_WANT(PE_EXIT) | PE_WANT(PE_FORK) |
		 PE_WANT(PE_UID);
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	fd = socket(PF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_CONNECTOR);
	if (fd < 0) {
		r = -errno;
		goto fail;
	}
	/* Filtered, a build with -j32 still makes thousands of execs a second, and the default
	 * ~208 KiB buffer holds only ~250 of them (each skb costs ~800 bytes). 4 MiB rides out a
	 * busy second; best effort (FORCE needs CAP_NET_ADMIN). */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	/* Before bind: from the first event on only the wanted ones are queued. */
	r = pe_filter_attach(fd, kinds);
	if (r < 0)
		(void)log_debug_errno(r,
				      "proc connector: no socket filter (%m), reading unfiltered");
	ret->filtered = r == 0;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		goto fail;
	}
	r = pe_send_op(fd, PROC_CN_MCAST_LISTEN);
	if (r < 0)
		goto fail;
	for (size_t i = 0; i < PE_BATCH; i++) {
		b->iov[i] = (struct iovec){.iov_base = b->buf[i], .iov_len = PE_SLOT};
		b->msg[i].msg_hdr = (struct msghdr){.msg_iov = &b->iov[i], .msg_iovlen = 1};
	}
	b->kinds = kinds;
	ret->fd = fd;
	ret->kinds = kinds;
	ret->batch = b;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	free(b);
	ret->filtered = false;
	return r;
}

int proc_events_open(struct proc_events *ret)
{
	return proc_events_open_kinds(ret, PE_WANT_DEFAULT);
}

int proc_events_fd(const struct proc_events *pe)
{
	return pe->fd;
}

static int pe_dispatch(const struct proc_event *ev, pe_cb_fn cb, void *userdata);

/* Copied out with memcpy: the proc_event sits at offset 36 (16 + 20), not aligned for its u64
 * timestamp. Only the first two pid fields of each event are read. */
int proc_events_parse_buf(const char *buf, size_t len, pe_cb_fn cb, void *userdata)
{
	/* the two pid fields of exec/comm/exit; a fork is checked for its child fields below */
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
static int pe_dispatch(const struct proc_event *ev, pe_cb_fn cb, void *userdata)
{
	switch (ev->what) {
	case PROC_EVENT_EXEC:
		cb(userdata, PE_EXEC, ev->event_data.exec.process_tgid, 0);
		return 1;
	case PROC_EVENT_COMM:
		cb(userdata, PE_COMM, ev->event_data.comm.process_tgid, 0);
		return 1;
	case PROC_EVENT_UID:
		if (ev->event_data.id.process_pid != ev->event_data.id.process_tgid)
			return 0; /* another thread of the same change */
		cb(userdata, PE_UID, ev->event_data.id.process_tgid, 0);
		return 1;
	case PROC_EVENT_EXIT:
		if (ev->event_data.exit.process_pid != ev->event_data.exit.process_tgid)
			return 0; /* a thread, not the process */
		cb(userdata, PE_EXIT, ev->event_data.exit.process_tgid, 0);
		return 1;
	case PROC_EVENT_FORK:
		if (ev->event_data.fork.child_pid != ev->event_data.fork.child_tgid ||
		    ev->event_data.fork.child_pid <= 0)
			return 0; /* a new thread (or no child at all) */
		cb(userdata, PE_FORK, ev->event_data.fork.child_tgid,
		   ev->event_data.fork.parent_tgid);
		return 1;
	default:
		return 0; /* uid, gid, sid, ptrace, coredump, the LISTEN ack (NONE) */
	}
}

/* parse callback: into the drain's pending list, one entry per pid for EXEC, COMM and UID */
static void pe_collect(void *userdata, enum pe_kind kind, pid_t pid, pid_t parent)
{
	struct pe_batch *b = userdata;

	if (!(b->kinds & PE_WANT(kind))) { /* unfiltered socket: what was not asked for */
		b->unwanted++;
		return;
	}
	if (kind == PE_EXEC || kind == PE_COMM || kind == PE_UID) {
		for (size_t i = 0; i < b->npend; i++) {
			struct pe_pending *q = &b->pend[i];

			if (q->pid != pid ||
			    (q->kind != PE_EXEC && q->kind != PE_COMM && q->kind != PE_UID))
				continue;
			if (kind == PE_EXEC)
				q->kind = PE_EXEC;
			return;
		}
	}
	if (b->npend < PE_DRAIN_MAX)
		b->pend[b->npend++] = (struct pe_pending){kind, pid, parent};
}

int proc_events_read(struct proc_events *pe, pe_cb_fn cb, void *userdata)
{
	struct pe_batch *b = pe->batch;
	bool overflow = false;
	int n = 0, r = 0;

	if (pe->fd < 0 || !b)
		return -EBADF;
	b->npend = 0;
	pe->more = true; /* until the queue is seen empty */
	for (unsigned got = 0, calls = 0; got < PE_DRAIN_MAX && calls < PE_DRAIN_MAX; calls++) {
		int m;

		for (size_t i = 0; i < PE_BATCH; i++) {
			b->msg[i].msg_hdr.msg_name = &b->from[i];
			b->msg[i].msg_hdr.msg_namelen = sizeof(b->from[i]);
		}
		m = recvmmsg(pe->fd, b->msg, PE_BATCH, MSG_DONTWAIT, NULL);
		if (m < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				pe->more = false;
				break;
			}
			if (errno == ENOBUFS) {
				overflow = true;
				continue;
			}
			r = -errno;
			pe->more = false;
			break;
		}
		for (int i = 0; i < m; i++) {
			if (b->from[i].nl_pid != 0)
				continue; /* not from the kernel */
			unsigned long unwanted = b->unwanted;

			if (proc_events_parse_buf(b->buf[i], b->msg[i].msg_len, pe_collect, b) ==
				    0 ||
			    b->unwanted != unwanted)
				pe->ignored++;
		}
		got += (unsigned)m;
		pe->received += (unsigned long)m;
		if (m < PE_BATCH) {
			pe->more = false;
			break; /* the queue is empty: spare the call that would say EAGAIN */
		}
	}
	for (size_t i = 0; i < b->npend; i++) {
		if (overflow && b->pend[i].kind != PE_EXIT)
			continue; /* the rescan covers it */
		cb(userdata, b->pend[i].kind, b->pend[i].pid, b->pend[i].parent);
		n++;
	}
	if (overflow) {
		cb(userdata, PE_OVERFLOW, 0, 0);
		n++;
	}
	return r < 0 ? r : n;
}

void proc_events_close(struct proc_events *pe)
{
	if (pe->fd >= 0) {
		(void)pe_send_op(pe->fd, PROC_CN_MCAST_IGNORE);
		close(pe->fd);
	}
	pe->fd = -1;
	free(pe->batch);
	pe->batch = NULL;
}
