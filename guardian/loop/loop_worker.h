/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The loop's one worker thread, for the two writes that can block for seconds: drop_caches
 * (inode eviction on NFS, the Koji incident) and compaction (a 32 GB node). The loop hands an
 * action over through a one-slot mailbox and keeps polling (and killing) meanwhile; the worker
 * signals completion on an eventfd the loop watches. Started in loop_new(), so before mlockall;
 * nothing here allocates after that.
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "guardian/actions/act.h"
#include "policy/plan.h"

enum loop_worker_state {
	LOOP_WORKER_IDLE = 0,
	LOOP_WORKER_QUEUED, /* handed over, not picked up yet */
	LOOP_WORKER_RUNNING,
	LOOP_WORKER_DONE, /* result ready for loop_worker_collect() */
};

struct loop_worker {
	bool started;
	bool stop;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int efd; /* eventfd: readable when a result is ready; -1 when not started */
	enum loop_worker_state state;
	struct act_ctx ctx; /* copied at submit: the loop may switch dry-run meanwhile */
	struct pol_action a;
	int result;
};

/* The actions worth a thread: DROP_SLAB, DROP_CACHES, COMPACT (writes that may take seconds). */
bool loop_worker_wants(enum pol_action_kind kind);

/* Create the eventfd and the thread (small stack). 0 or -errno; on failure w->started is false
 * and the caller runs those actions inline. */
int loop_worker_start(struct loop_worker *w);

/* Tell the thread to finish (after the write in progress, if any) and join it. Idempotent. */
void loop_worker_stop(struct loop_worker *w);

/* Hand a over (ctx copied, a copied). 0, -EBUSY when the slot is taken (one action at a time:
 * a second drop_caches while the first runs would only queue behind it in the kernel),
 * -ENOTCONN when not started. */
int loop_worker_submit(struct loop_worker *w, const struct act_ctx *ctx,
		       const struct pol_action *a);

/* Take a finished result: 1 (action in *ret_a, act_mem_apply's return in *ret_r, slot free
 * again), 0 nothing finished. Drains the eventfd. */
int loop_worker_collect(struct loop_worker *w, struct pol_action *ret_a, int *ret_r);

static inline int loop_worker_fd(const struct loop_worker *w)
{
	return w->efd;
}
