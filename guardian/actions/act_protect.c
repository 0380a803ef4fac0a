/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Protection: oom_score_adj through an identity-checked /proc/PID directory fd. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "guardian/actions/act_protect.h"
#include "guardian/base/log.h"
#include "policy/util/cleanup.h"
#include "policy/util/strutil.h"

static int read_adj(int piddir_fd, int *ret)
{
	char buf[16]; /* "-1000\n" */
	ssize_t n = og_read_at(piddir_fd, "oom_score_adj", buf, sizeof(buf));
	int v;

	if (n < 0)
		return n == -ENOENT ? -ESRCH : (int)n;
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	if (og_parse_int(buf, &v) < 0)
		return -EBADMSG;
	*ret = v;
	return 0;
}

int act_get_oom_score_adj(const struct act_ctx *ctx, pid_t pid, int *ret_value)
{
	_cleanup_close_ int fd = -1;
	char path[16];

	snprintf(path, sizeof(path), "%d", (int)pid);
	fd = openat(ctx->root->proc_fd, path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	return read_adj(fd, ret_value);
}

/* pid's /proc directory if it is still the process that started at starttime_ticks. */
static int open_ident(const struct act_ctx *ctx, pid_t pid, uint64_t starttime_ticks,
		      struct act_ident *ret_id)
{
	_cleanup_close_ int fd = -1;
	char path[16];
	int r;

	snprintf(path, sizeof(path), "%d", (int)pid);
	/* Everything below goes through this fd: after the process exits it answers ESRCH, even
	 * if the pid number is reused, so the checked process is the one written. */
	fd = openat(ctx->root->proc_fd, path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	r = act_ident_read(fd, "stat", ret_id);
	if (r < 0)
		return r == -ENOENT ? -ESRCH : r;
	if (starttime_ticks && ret_id->starttime_ticks != starttime_ticks) {
		log_debug("pid %d: starttime %llu, expected %llu: reused, oom_score_adj untouched",
			  (int)pid, (unsigned long long)ret_id->starttime_ticks,
			  (unsigned long long)starttime_ticks);
		return -ESRCH;
	}
	return OG_TAKE_FD(fd);
}

/* open_ident() for a write of value, and the current value: the fd, or -errno. */
static int open_adj(const struct act_ctx *ctx, pid_t pid, uint64_t starttime_ticks, int value,
		    struct act_ident *ret_id, int *ret_cur)
{
	_cleanup_close_ int fd = -1;
	int r;

	if (value < -1000 || value > 1000 || pid <= 0)
		return -EINVAL;
	fd = open_ident(ctx, pid, starttime_ticks, ret_id);
	if (fd < 0)
		return fd;
	r = read_adj(fd, ret_cur);
	if (r < 0)
		return r;
	return OG_TAKE_FD(fd);
}

int act_restore_oom_score_adj(const struct act_ctx *ctx, pid_t pid, uint64_t starttime_ticks,
			      int inherited, int value)
{
	_cleanup_close_ int fd = -1;
	char comm[OG_COMM_MAX];
	struct act_ident id;
	int cur, r;

	if (pid <= 1)
		return -EINVAL;
	fd = open_adj(ctx, pid, starttime_ticks, value, &id, &cur);
	if (fd < 0)
		return fd;
	if (cur != inherited || cur == value || ctx->dry_run)
		return 0; /* dry-run protected nothing, so nothing was inherited from us */
	act_printable(id.comm, comm, sizeof(comm));
	r = ctx->ops->set_oom_score_adj(ctx->ops->userdata, fd, value);
	if (r == -EPERM || r == -EACCES)
		return -EACCES;
	if (r == -ENOENT || r == -ESRCH)
		return -ESRCH;
	if (r < 0)
		return log_debug_errno(r, "pid %d (%s): cannot restore oom_score_adj %d: %m",
				       (int)pid, comm, value);
	log_debug("restored oom_score_adj of pid %d (%s) from %d, inherited from a protected "
		  "ancestor, to %d",
		  (int)pid, comm, cur, value);
	return 1;
}

int act_set_oom_score_adj(const struct act_ctx *ctx, pid_t pid, uint64_t starttime_ticks, int value,
			  const struct pol_action *why)
{
	char whybuf[POL_PATH_MAX + 128], comm[OG_COMM_MAX];
	_cleanup_close_ int fd = -1;
	struct act_ident id;
	int cur, r;

	fd = open_adj(ctx, pid, starttime_ticks, value, &id, &cur);
	if (fd < 0)
		return fd;
	if (cur == value)
		return 0;
	act_why(why, whybuf, sizeof(whybuf));
	act_printable(id.comm, comm, sizeof(comm));
	if (ctx->dry_run) {
		log_notice("dry-run: would set oom_score_adj of pid %d (%s) from %d to %d: %s "
			   "(dry-run)",
			   (int)pid, comm, cur, value, whybuf);
		return 1;
	}
	r = ctx->ops->set_oom_score_adj(ctx->ops->userdata, fd, value);
	if (r == -EPERM || r == -EACCES) {
		/* Lowering below the process's minimum needs CAP_SYS_RESOURCE (kernel
		 * fs/proc/base.c __set_oom_adj). Once per process at WARNING; then debug. */
		if (act_seen_has(ctx->denied, pid, id.starttime_ticks)) {
			log_debug("pid %d (%s): oom_score_adj %d still refused", (int)pid, comm,
				  value);
		} else {
			log_warning("cannot set oom_score_adj of pid %d (%s) from %d to %d: "
				    "permission denied (no CAP_SYS_RESOURCE); protecting it at "
				    "our level only, ignoring",
				    (int)pid, comm, cur, value);
			act_seen_add(ctx->denied, pid, id.starttime_ticks);
		}
		return -EACCES;
	}
	if (r == -ENOENT || r == -ESRCH)
		return -ESRCH;
	if (r < 0)
		return log_error_errno(r, "failed to set oom_score_adj of pid %d (%s): %m",
				       (int)pid, comm);
	log_notice("set oom_score_adj of pid %d (%s) from %d to %d: %s", (int)pid, comm, cur, value,
		   whybuf);
	return 1;
}
