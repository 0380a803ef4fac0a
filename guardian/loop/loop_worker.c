/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The worker thread of the slow memory writes (see loop_worker.h). */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "guardian/actions/act_mem.h"
#include "guardian/loop/loop_worker.h"

/* drop_caches and compaction need a few KiB of stack (act_write's message buffer, log lines):
 * 256 KiB leaves room for libc and keeps the locked footprint small. */
#define LOOP_WORKER_STACK (256 * 1024)

bool loop_worker_wants(enum pol_action_kind kind)
{
	return kind == POL_ACT_DROP_SLAB || kind == POL_ACT_DROP_CACHES || kind == POL_ACT_COMPACT;
}

static void *worker_main(void *userdata)
{
	struct loop_worker *w = userdata;
	const uint64_t one = 1;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct act_ctx ctx;
		struct pol_action a;
		int r;

		while (!w->stop && w->state != LOOP_WORKER_QUEUED)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->stop)
			break;
		w->state = LOOP_WORKER_RUNNING;
		ctx = w->ctx;
		a = w->a;
		pthread_mutex_unlock(&w->mu);
		r = act_mem_apply(&ctx, &a); /* may block for seconds: the loop goes on */
		pthread_mutex_lock(&w->mu);
		w->result = r;
		w->state = LOOP_WORKER_DONE;
		if (write(w->efd, &one, sizeof(one)) < 0) {
			/* cannot fail for a counter far below its maximum; the loop also collects
			 * on its next tick */
		}
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int loop_worker_start(struct loop_worker *w)
{
	pthread_attr_t attr;
	sigset_t all, old;
	int r;

	memset(w, 0, sizeof(*w));
	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->efd < 0)
		return -errno;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, LOOP_WORKER_STACK);
	/* The thread takes no signals: SIGHUP/SIGTERM stay the loop's (signalfd). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(&w->thread, &attr, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (r < 0) {
		close(w->efd);
		w->efd = -1;
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		return r;
	}
	w->started = true;
	return 0;
}

void loop_worker_stop(struct loop_worker *w)
{
	if (!w->started)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	close(w->efd);
	w->efd = -1;
	w->started = false;
}

int loop_worker_submit(struct loop_worker *w, const struct act_ctx *ctx,
		       const struct pol_action *a)
{
	int r = 0;

	if (!w->started)
		return -ENOTCONN;
	pthread_mutex_lock(&w->mu);
	if (w->state != LOOP_WORKER_IDLE) {
		r = -EBUSY;
	} else {
		w->ctx = *ctx;
		w->a = *a;
		w->state = LOOP_WORKER_QUEUED;
		pthread_cond_signal(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return r;
}

int loop_worker_collect(struct loop_worker *w, struct pol_action *ret_a, int *ret_r)
{
	uint64_t n;
	int done = 0;

	if (!w->started)
		return 0;
	if (read(w->efd, &n, sizeof(n)) < 0) {
		/* EAGAIN: nothing signalled; the state below is the truth anyway */
	}
	pthread_mutex_lock(&w->mu);
	if (w->state == LOOP_WORKER_DONE) {
		*ret_a = w->a;
		*ret_r = w->result;
		w->state = LOOP_WORKER_IDLE;
		done = 1;
	}
	pthread_mutex_unlock(&w->mu);
	return done;
}
