/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kill ladder for single victims: pidfd, identity, SIGTERM/SIGKILL once each, mrelease,
 * waiting and the exit report. Groups and cgroups are in act_group.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "guardian/actions/act_kill.h"
#include "guardian/actions/act_kill_int.h"
#include "guardian/base/log.h"
#include "guardian/sources/src_cgroup.h"
#include "guardian/sources/src_meminfo.h"
#include "policy/util/strutil.h"

const char *act_sig_name(int sig)
{
	return sig == SIGKILL ? "SIGKILL" : sig == SIGTERM ? "SIGTERM" : "signal";
}

/* ------------------------------------------------------------------ single victims */

/*
 * pidfd_open(pid) failed with something else than "gone": kernel < 5.3 (ENOSYS), a seccomp
 * profile that denies it (EPERM), no fd left (EMFILE, ENFILE) or no memory for one (ENOMEM).
 * The victim is still there and must still be signalled: by kill(2), after an identity check
 * (start time) right before each signal. Anything but ENOSYS is worth one warning per errno,
 * since it means the race-free path is lost on a kernel that has it.
 */
static void no_pidfd(pid_t pid, int err, struct act_victim *v)
{
	static int warned_err;

	v->no_pidfd = true;
	if (err == -ENOSYS)
		return;
	if (err != warned_err) {
		warned_err = err;
		(void)log_warning_errno(
			err,
			"pidfd_open(%d) failed: %m; signalling with kill(2) after a "
			"start time check instead",
			(int)pid);
	} else {
		(void)log_debug_errno(err, "pidfd_open(%d) failed: %m, using kill(2)", (int)pid);
	}
}

/*
 * pidfd_open(pid), then the identity read through the root. expect_start 0 means "whoever
 * holds the pid now" (cgroup members, checked for membership by the caller). ret is written
 * on success only.
 */
int act_victim_open_any(const struct act_ctx *ctx, pid_t pid, uint64_t expect_start,
			struct act_victim *ret)
{
	struct act_victim v = {.pid = pid, .pidfd = -1, .mrelease_r = 1};
	struct act_ident id;
	char path[32];
	int fd, r;

	if (pid <= 1 || pid == ctx->self_pid)
		return -EPERM;
	fd = ctx->ops->pidfd_open(ctx->ops->userdata, pid, 0);
	if (fd == -ESRCH || fd == -EINVAL)
		return -ESRCH; /* gone; EINVAL: not a thread-group leader (any more) */
	if (fd < 0)
		no_pidfd(pid, fd, &v);
	else
		v.pidfd = fd;

	/* With the pidfd held, the stat we read now is of the pidfd's process, or (if it was
	 * reaped meanwhile and the pid reused) of another one whose starttime differs. */
	snprintf(path, sizeof(path), "%d/stat", (int)pid);
	r = act_ident_read(ctx->root->proc_fd, path, &id);
	if (r == -ENOENT)
		r = -ESRCH;
	if (r == 0 && expect_start && id.starttime_ticks != expect_start) {
		log_debug("pid %d: starttime %llu, expected %llu: pid reused, not signalling",
			  (int)pid, (unsigned long long)id.starttime_ticks,
			  (unsigned long long)expect_start);
		r = -ESRCH;
	}
	if (r < 0) {
		if (v.pidfd >= 0)
			ctx->ops->close(ctx->ops->userdata, v.pidfd);
		return r;
	}
	v.starttime_ticks = id.starttime_ticks;
	v.pgid = id.pgid;
	og_strscpy(v.comm, id.comm, sizeof(v.comm));
	v.opened_usec = ctx->ops->now_usec(ctx->ops->userdata);
	*ret = v;
	return 0;
}

int act_victim_open(const struct act_ctx *ctx, pid_t pid, uint64_t starttime_ticks,
		    struct act_victim *ret)
{
	if (starttime_ticks == 0)
		return -EINVAL; /* identity is mandatory for a chosen victim */
	return act_victim_open_any(ctx, pid, starttime_ticks, ret);
}

int act_victim_open_target(const struct act_ctx *ctx, const struct pol_target *t,
			   struct act_victim *ret)
{
	struct act_victim v;
	int r = act_victim_open(ctx, t->pid, t->starttime_ticks, &v);

	if (r < 0)
		return r;
	og_strscpy(v.unit, t->unit, sizeof(v.unit));
	og_strscpy(v.cgroup, t->cgroup, sizeof(v.cgroup));
	*ret = v;
	return 0;
}

static void mark_exited(const struct act_ctx *ctx, struct act_victim *v)
{
	if (!v->exited) {
		v->exited = true;
		v->exited_usec = ctx->ops->now_usec(ctx->ops->userdata);
	}
}

static int victim_send(const struct act_ctx *ctx, struct act_victim *v, int sig)
{
	struct act_ident id;
	char path[32];
	int r;

	if (v->pidfd >= 0)
		return ctx->ops->pidfd_send_signal(ctx->ops->userdata, v->pidfd, sig);
	if (!v->no_pidfd)
		return -EBADF; /* closed */
	/* No pidfds: the window between this check and kill(2) is the best this kernel allows. */
	snprintf(path, sizeof(path), "%d/stat", (int)v->pid);
	r = act_ident_read(ctx->root->proc_fd, path, &id);
	if (r < 0 || id.starttime_ticks != v->starttime_ticks)
		return -ESRCH;
	return ctx->ops->kill(ctx->ops->userdata, v->pid, sig);
}

/* process_mrelease after SIGKILL; the result as a word for the log line. */
const char *act_victim_mrelease(const struct act_ctx *ctx, struct act_victim *v)
{
	int r;

	if (v->pidfd < 0)
		return "no pidfd";
	r = ctx->ops->process_mrelease(ctx->ops->userdata, v->pidfd, 0);
	v->mrelease_r = r;
	switch (r) {
	case 0:
		v->sent |= ACT_SENT_MRELEASE;
		return "released";
	case -ENOSYS:
		return "unsupported";
	case -EINVAL: /* not dying yet in the kernel's eyes, or already being reaped */
		return "not needed";
	case -ESRCH:
		return "already gone";
	case -EAGAIN: /* could not reap everything (mmu notifiers): the exit path will */
		return "partly released";
	default:
		(void)log_debug_errno(r, "process_mrelease(%d) failed: %m, ignoring", (int)v->pid);
		return "failed";
	}
}

/*
 * Send sig once. quiet: a group member (the group logs one line). 1 sent, -EALREADY,
 * -ESRCH (gone: marked exited), -errno.
 */
int act_victim_signal(const struct act_ctx *ctx, struct act_victim *v, int sig,
		      const struct pol_action *why, bool quiet)
{
	unsigned bit = sig == SIGKILL ? ACT_SENT_KILL : ACT_SENT_TERM;
	unsigned refuse = sig == SIGKILL ? ACT_SENT_KILL : ACT_SENT_TERM | ACT_SENT_KILL;
	char whybuf[POL_PATH_MAX + 128], comm[OG_COMM_MAX];
	const char *mrel = NULL;
	int r;

	if (v->sent & refuse) {
		log_debug("pid %d: %s already sent, not sending %s again", (int)v->pid,
			  v->sent & ACT_SENT_KILL ? "SIGKILL" : "SIGTERM", act_sig_name(sig));
		return -EALREADY;
	}
	if (v->exited)
		return -ESRCH;
	if (v->pidfd < 0 && !v->no_pidfd)
		return -EBADF;
	if (!ctx->dry_run) {
		r = victim_send(ctx, v, sig);
		if (r == -ESRCH) {
			mark_exited(ctx, v);
			log_debug("pid %d (%s) exited before %s", (int)v->pid, v->comm,
				  act_sig_name(sig));
			return r;
		}
		if (r < 0)
			return log_error_errno(r, "failed to send %s to pid %d (%s): %m",
					       act_sig_name(sig), (int)v->pid,
					       act_printable(v->comm, comm, sizeof(comm)));
		if (sig == SIGKILL)
			mrel = act_victim_mrelease(ctx, v);
	}
	v->sent |= bit;
	if (sig == SIGKILL)
		v->kill_usec = ctx->ops->now_usec(ctx->ops->userdata);
	else
		v->term_usec = ctx->ops->now_usec(ctx->ops->userdata);
	if (quiet)
		return 1;
	log_internal(LOG_NOTICE, 0, ACT_KILL_MESSAGE_ID,
		     "%s%s pid %d (%s)%s%s%s%s%s%s: %s%s%s%s",
		     ctx->dry_run ? "dry-run: would send " : "", act_sig_name(sig), (int)v->pid,
		     act_printable(v->comm, comm, sizeof(comm)), v->unit[0] ? " unit '" : "",
		     v->unit, v->unit[0] ? "'" : "", v->cgroup[0] ? " cgroup '" : "", v->cgroup,
		     v->cgroup[0] ? "'" : "",
		     act_why(why, whybuf, sizeof(whybuf)), mrel ? ", mrelease " : "",
		     mrel ? mrel : "", ctx->dry_run ? " (dry-run)" : "");
	return 1;
}

int act_victim_term(const struct act_ctx *ctx, struct act_victim *v, const struct pol_action *why)
{
	return act_victim_signal(ctx, v, SIGTERM, why, false);
}

int act_victim_kill(const struct act_ctx *ctx, struct act_victim *v, const struct pol_action *why)
{
	return act_victim_signal(ctx, v, SIGKILL, why, false);
}

int act_victim_fd(const struct act_victim *v)
{
	return v->pidfd;
}

int act_victim_wait(const struct act_ctx *ctx, struct act_victim *v, int timeout_ms)
{
	struct act_ident id;
	char path[32];
	int r;

	if (v->exited)
		return 1;
	if (v->pidfd >= 0) {
		r = ctx->ops->poll_in(ctx->ops->userdata, v->pidfd, timeout_ms);
		if (r < 0)
			return r;
		if (r == 0)
			return 0;
		mark_exited(ctx, v);
		return 1;
	}
	if (!v->no_pidfd)
		return -EBADF;
	/* Fallback: gone, reused or a zombie (its memory is freed) all count as exited. */
	snprintf(path, sizeof(path), "%d/stat", (int)v->pid);
	r = act_ident_read(ctx->root->proc_fd, path, &id);
	if (r == 0 && id.starttime_ticks == v->starttime_ticks && id.state != 'Z')
		return 0;
	mark_exited(ctx, v);
	return 1;
}

uint64_t act_victim_elapsed_usec(const struct act_victim *v)
{
	uint64_t first = v->term_usec ? v->term_usec : v->kill_usec;

	if (!first || !v->exited_usec || v->exited_usec < first)
		return 0;
	return v->exited_usec - first;
}

void act_victim_report(const struct act_ctx *ctx, const struct act_victim *v, uint64_t before_bytes,
		       uint64_t after_bytes)
{
	char freed[32], comm[OG_COMM_MAX];
	uint64_t us = act_victim_elapsed_usec(v);

	og_format_bytes(freed, sizeof(freed),
			after_bytes > before_bytes ? 0 : before_bytes - after_bytes);
	log_internal(LOG_NOTICE, 0, ACT_KILL_MESSAGE_ID,
		     "pid %d (%s)%s%s%s%s%s%s exited %llu.%03llu s after %s, freed %s%s",
		     (int)v->pid, act_printable(v->comm, comm, sizeof(comm)),
		     v->unit[0] ? " unit '" : "", v->unit, v->unit[0] ? "'" : "",
		     v->cgroup[0] ? " cgroup '" : "", v->cgroup, v->cgroup[0] ? "'" : "",
		     (unsigned long long)(us / 1000000), (unsigned long long)(us / 1000 % 1000),
		     v->sent & ACT_SENT_TERM ? "SIGTERM" : "SIGKILL", freed,
		     v->sent & ACT_SENT_KILL && v->sent & ACT_SENT_TERM
			     ? " (SIGTERM was not enough: SIGKILL)"
			     : "");
}

void act_victim_close(const struct act_ctx *ctx, struct act_victim *v)
{
	if (v->pidfd >= 0)
		ctx->ops->close(ctx->ops->userdata, v->pidfd);
	v->pidfd = -1;
	v->no_pidfd = false;
}

int act_read_mem_available(const struct act_ctx *ctx, uint64_t *ret_bytes)
{
	struct og_meminfo mi;
	int r = src_read_meminfo(ctx->root, &mi);

	if (r < 0)
		return r;
	*ret_bytes = mi.available_bytes;
	return 0;
}

int act_read_cgroup_usage(const struct act_ctx *ctx, const char *cg, uint64_t *ret_bytes)
{
	char path[OG_CGROUP_PATH_MAX + 32], buf[64]; /* one decimal number */
	const struct og_cg_mounts *m = ctx->mounts;
	const char *rel = cg, *file;
	int dirfd, r;

	if (m->layout == OG_CG_V1) {
		dirfd = m->memv1_fd;
		file = "memory.usage_in_bytes";
	} else if (m->layout == OG_CG_V2 && m->v2_has_memory) {
		dirfd = m->v2_fd;
		file = "memory.current";
	} else {
		return -EOPNOTSUPP;
	}
	while (*rel == '/')
		rel++;
	snprintf(path, sizeof(path), "%s%s%s", rel, *rel ? "/" : "", file);
	r = (int)og_read_at(dirfd, path, buf, sizeof(buf));
	if (r < 0)
		return r;
	return src_cgroup_parse_limit_buf(buf, ret_bytes) < 0 ? -EBADMSG : 0;
}
