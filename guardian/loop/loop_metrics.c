/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The loop's side of the metrics (metrics.h): the gauges from the loop's state, the file for
 * node_exporter's textfile collector, and the optional unix socket. Everything runs from
 * idle-priority sources and does nothing while a victim or group is in flight; the socket and
 * its connections are non-blocking, and a client that does not read is dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "guardian/base/log.h"
#include "guardian/loop/loop_files.h"
#include "guardian/loop/loop_int.h"
#include "guardian/loop/report.h"
#include "guardian/sources/src_psi.h"
#include "guardian/sources/src_vmstat.h"
#include "policy/util/strutil.h"

#define CONN_TIMEOUT_USEC (2 * 1000000ULL)

/* The exposition text of now into rec->metrics_text: its length or -errno. */
static int format_now(struct loop *l)
{
	struct loop_record *rec = l->rec;
	struct loop_metrics_view v = {0};
	struct og_vmstat vm;
	struct og_psi psi;

	v.stage = (int)l->stage;
	v.stage_since_usec = l->stage_since_usec;
	v.dry_run = l->dry_run;
	v.scoped = l->scope[0] != '\0';
	v.avail_bytes = l->avail_bytes;
	v.total_bytes = l->total_bytes;
	if (loop_psi_read_machine(l, &psi) == 0 && psi.has_some) {
		v.has_psi = true;
		v.psi_some_centi = psi.some.avg10_centi;
		v.psi_full_centi = psi.has_full ? psi.full.avg10_centi : 0;
	}
	v.policies = l->rules.nservices;
	v.protect_accepted = rec->protected_ok;
	v.protect_refused = rec->protected_refused;
	if (src_read_vmstat(&l->col.root, &vm) == 0 && vm.has_oom_kill) {
		v.has_oom_kill = true;
		v.kernel_oom_kill = vm.oom_kill;
	}
	v.start_usec = rec->start_usec;
	return loop_metrics_format(rec->metrics_text, LOOP_METRICS_TEXT_MAX, &rec->metrics, &v);
}

void loop_metrics_write(struct loop *l)
{
	const char *path = l->rules.cfg.metrics_file;
	char why[LOOP_FILES_WHY_MAX];
	int n, r;

	if (!path[0] || strcmp(l->root_dir, "/") != 0 || !loop_reports_may_flush(l))
		return;
	n = format_now(l);
	r = n < 0 ? n : loop_file_write(path, l->rec->metrics_text, (size_t)n, 0644, why);
	if (r < 0 && !l->rec->metrics_warned) {
		(void)log_warning_errno(r,
					"cannot write MetricsFile='%s': %s%s%m; no metrics until "
					"it can, ignoring",
					path, why, why[0] ? ": " : "");
		l->rec->metrics_warned = true;
	} else if (r >= 0) {
		l->rec->metrics_warned = false;
	}
}

static int metrics_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	loop_metrics_write(userdata);
	sd_event_source_set_time(s, usec + LOOP_METRICS_PERIOD_USEC);
	return 0;
}

/* ------------------------------------------------------------------ the socket */

static void conn_close(struct loop_metrics_conn *c)
{
	if (c->src) {
		sd_event_source_set_enabled(c->src, SD_EVENT_OFF);
		sd_event_source_unref(c->src);
		c->src = NULL;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* The request (whatever came: one read) gets the metrics as an HTTP/1.0 answer, then close. */
static int conn_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct loop *l = userdata;
	struct loop_metrics_conn *c = NULL;
	static const char hdr[] = "HTTP/1.0 200 OK\r\n"
				  "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
				  "Connection: close\r\n\r\n";
	char req[2048];
	int n;

	for (size_t i = 0; i < LOOP_METRICS_CONNS && !c; i++)
		if (l->rec->conns[i].src == s)
			c = &l->rec->conns[i];
	if (!c)
		return 0;
	(void)!read(fd, req, sizeof(req)); /* the request line is not looked at */
	if (!loop_reports_may_flush(l)) { /* a victim in flight: not now */
		static const char busy[] = "HTTP/1.0 503 Service Unavailable\r\nRetry-After: 1\r\n"
					   "Connection: close\r\n\r\n";

		(void)!send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
		shutdown(fd, SHUT_WR);
		conn_close(c);
		return 0;
	}
	n = format_now(l);
	if (n >= 0 && send(fd, hdr, sizeof(hdr) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) > 0)
		(void)!send(fd, l->rec->metrics_text, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
	shutdown(fd, SHUT_WR);
	conn_close(c);
	return 0;
}

static int sock_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct loop *l = userdata;
	uint64_t now = loop_now_usec();
	struct loop_metrics_conn *c = NULL;
	int cfd;

	/* Clients that never sent a request go first: their slot is needed. */
	for (size_t i = 0; i < LOOP_METRICS_CONNS; i++) {
		struct loop_metrics_conn *e = &l->rec->conns[i];

		if (e->fd >= 0 && now > e->deadline_usec)
			conn_close(e);
		if (e->fd < 0 && !c)
			c = e;
	}
	if (!c) /* all busy: the client waits in the backlog */
		return 0;
	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return 0;
	c->fd = cfd;
	c->deadline_usec = now + CONN_TIMEOUT_USEC;
	if (sd_event_add_io(l->ev, &c->src, cfd, EPOLLIN, conn_io, l) < 0 ||
	    sd_event_source_set_priority(c->src, SD_EVENT_PRIORITY_IDLE) < 0)
		conn_close(c);
	return 0;
}

static int open_socket(struct loop *l, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	og_strscpy(sa.sun_path, path, sizeof(sa.sun_path));
	/* a socket left by an earlier run goes; anything else at that path is not ours */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0660) < 0 ||
	    listen(fd, 8) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	l->rec->msock_fd = fd;
	og_strscpy(l->rec->msock_path, path, sizeof(l->rec->msock_path)); /* rules may go first */
	return 0;
}

void loop_metrics_setup(struct loop *l)
{
	const char *sock = l->rules.cfg.metrics_socket;
	int r;

	if (strcmp(l->root_dir, "/") != 0) /* a fixture run writes only where told */
		return;
	if (l->rules.cfg.metrics_file[0]) {
		r = sd_event_add_time(l->ev, &l->rec->metrics_src, CLOCK_MONOTONIC, loop_now_usec(),
				      LOOP_METRICS_PERIOD_USEC / 10, metrics_timer, l);
		if (r >= 0)
			r = sd_event_source_set_priority(l->rec->metrics_src,
							 SD_EVENT_PRIORITY_IDLE);
		if (r >= 0)
			r = sd_event_source_set_enabled(l->rec->metrics_src, SD_EVENT_ON);
		if (r < 0)
			(void)log_warning_errno(r, "metrics timer: %m, ignoring");
	}
	if (!sock[0])
		return;
	r = open_socket(l, sock);
	if (r >= 0)
		r = sd_event_add_io(l->ev, &l->rec->msock_src, l->rec->msock_fd, EPOLLIN, sock_io,
				    l);
	if (r >= 0)
		r = sd_event_source_set_priority(l->rec->msock_src, SD_EVENT_PRIORITY_IDLE);
	if (r < 0)
		(void)log_warning_errno(
			r, "cannot serve metrics on MetricsSocket='%s': %m, ignoring", sock);
	else
		log_info("metrics served on '%s'", sock);
}

void loop_metrics_teardown(struct loop *l)
{
	if (!l->rec)
		return;
	for (size_t i = 0; i < LOOP_METRICS_CONNS; i++)
		conn_close(&l->rec->conns[i]);
	loop_unref_src(&l->rec->metrics_src);
	loop_unref_src(&l->rec->msock_src);
	if (l->rec->msock_fd >= 0) {
		close(l->rec->msock_fd);
		unlink(l->rec->msock_path);
		l->rec->msock_fd = -1;
	}
}
