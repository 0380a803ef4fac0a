/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The actions layer against the recording fake (struct act_recorder) and the fixture tree
 * tests/fixtures/act: dry-run writes nothing, signal ordering (no mrelease after SIGTERM, one
 * after SIGKILL), no double signals, identity mismatch means no signal, group and cgroup
 * kills, memory actions and their arguments, protection. Nothing here touches the kernel:
 * the fixture files are only read (writes go to the fake).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <numa.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardian/actions/act.h"
#include "guardian/actions/act_kill.h"
#include "guardian/actions/act_mem.h"
#include "guardian/actions/act_protect.h"
#include "guardian/base/log.h"
#include "guardian/sources/proc_events.h"
#include "policy/util/strutil.h"
#include "tests/unit/og_check.h"

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>

#define ACT_FIX FIXTURES "/act"
#define FAKE_SELF 31337 /* not a pid of the fixture */

static struct og_root root;
static struct og_cg_mounts mounts;
static struct act_recorder rec;
static struct act_ctx ctx;

/* Every pidfd opened so far was closed again (a macro: a failure names the test's line). */
#define ck_assert_pidfds_closed()                                        \
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_PIDFD_OPEN), \
			  act_recorder_count(&rec, ACT_CALL_CLOSE))

static int open_path(const char *p)
{
	return open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static void setup(void)
{
	ck_assert_int_eq(og_root_open(&root, ACT_FIX), 0);
	memset(&mounts, 0, sizeof(mounts));
	mounts.layout = OG_CG_V1;
	mounts.v2_fd = open_path(ACT_FIX "/sys/fs/cgroup/unified");
	mounts.memv1_fd = open_path(ACT_FIX "/sys/fs/cgroup/memory");
	ck_assert_int_ge(mounts.v2_fd, 0);
	ck_assert_int_ge(mounts.memv1_fd, 0);
	act_recorder_init(&rec);
	ctx = (struct act_ctx){
		.root = &root, .mounts = &mounts, .ops = &rec.ops, .self_pid = FAKE_SELF};
	log_set_journal(0);
}

static void teardown(void)
{
	close(mounts.v2_fd);
	close(mounts.memv1_fd);
	og_root_close(&root);
}

static struct pol_action why_kill(void)
{
	struct pol_action a = {.kind = POL_ACT_KILL, .measured = 100 << 20, .limit = 200 << 20};

	strcpy(a.rule, "oomguardian.conf:12 [Kill]");
	strcpy(a.metric, "mem_available");
	return a;
}

/* Count of recorded calls of kind with signal/value sig. */
static size_t count_sig(enum act_call_kind kind, int sig)
{
	size_t n = 0;

	for (size_t i = 0; i < rec.n; i++)
		n += rec.calls[i].kind == kind && rec.calls[i].sig == sig;
	return n;
}

/* ------------------------------------------------------------------ identity */

START_TEST(ident_parses_and_rejects)
{
	struct act_ident id;

	ck_assert_int_eq(act_ident_read(root.proc_fd, "4242/stat", &id), 0);
	ck_assert_uint_eq(id.starttime_ticks, 777);
	ck_assert_int_eq(id.pgid, 4242);
	ck_assert_str_eq(id.comm, "victim");
	/* hostile comm with a newline and ") R 1 (" inside */
	ck_assert_int_eq(act_ident_read(root.proc_fd, "4245/stat", &id), 0);
	ck_assert_uint_eq(id.starttime_ticks, 900);
	ck_assert_str_eq(id.comm, "evil\n) R 1 (x");
	ck_assert_int_eq(act_ident_read(root.proc_fd, "4246-stat-truncated", &id), -EBADMSG);
	ck_assert_int_eq(act_ident_read(root.proc_fd, "2/stat", &id), -EPERM); /* kthread */
	ck_assert_int_eq(act_ident_read(root.proc_fd, "9999/stat", &id), -ENOENT);
	ck_assert_int_eq(act_ident_parse_buf("", &id), -EBADMSG);
	ck_assert_int_eq(act_ident_parse_buf("12 (x", &id), -EBADMSG);
}
END_TEST

START_TEST(fixture_root_forces_dry_run)
{
	struct act_ctx c;
	struct og_root live;

	act_ctx_init(&c, &root, &mounts, false); /* root is the fixture tree */
	ck_assert(c.dry_run);
	ck_assert_ptr_eq(c.ops, act_ops_real());
	ck_assert_int_eq(c.self_pid, getpid());
	ck_assert_ptr_null(c.denied);
	ck_assert_int_eq(og_root_open(&live, "/"), 0);
	act_ctx_init(&c, &live, &mounts, false);
	ck_assert(!c.dry_run);
	act_ctx_init(&c, &live, &mounts, true);
	ck_assert(c.dry_run);
	og_root_close(&live);
}
END_TEST

START_TEST(printable_and_why)
{
	char buf[256];
	struct pol_action a = why_kill();

	ck_assert_str_eq(act_printable("a\nb\x7f"
				       "c",
				       buf, sizeof(buf)),
			 "a?b?c");
	ck_assert_str_eq(act_printable("abcdef", buf, 4), "abc");
	ck_assert_str_eq(act_why(NULL, buf, sizeof(buf)), "rule=manual");
	act_why(&a, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "rule='oomguardian.conf:12 [Kill]'"));
	ck_assert_ptr_nonnull(strstr(buf, "mem_available=100.0M"));
	ck_assert_ptr_nonnull(strstr(buf, "limit=200.0M"));
	strcpy(a.metric, "psi_full_avg10");
	a.measured = 1234;
	a.limit = 2000;
	act_why(&a, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "psi_full_avg10=12.34% limit=20.00%"));
	strcpy(a.metric, "mem_available_permyriad");
	a.measured = 525;
	act_why(&a, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "mem_available=5.25% limit=20.00%"));
	strcpy(a.metric, "budget_bytes");
	a.measured = 3ull << 30;
	a.limit = 2ull << 30;
	act_why(&a, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "budget=3.0G limit=2.0G"));
	strcpy(a.metric, "term_grace_usec");
	a.measured = 2500000;
	act_why(&a, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "term_grace=2.500s"));
	strcpy(a.metric, "oom_score_adj");
	a.measured = (uint64_t)(int64_t)-900;
	a.limit = 0;
	act_why(&a, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "oom_score_adj=-900 limit=0"));
	a.metric[0] = '\0'; /* no metric: the rule only */
	ck_assert_str_eq(act_why(&a, buf, sizeof(buf)), "rule='oomguardian.conf:12 [Kill]'");
}
END_TEST

START_TEST(seen_table_is_bounded)
{
	static struct act_seen s;

	memset(&s, 0, sizeof(s));
	ck_assert(!act_seen_has(&s, 1, 1));
	for (int i = 0; i < ACT_SEEN_MAX + 44; i++)
		act_seen_add(&s, 100 + i, 7);
	ck_assert_uint_eq(s.n, ACT_SEEN_MAX);
	ck_assert(!act_seen_has(&s, 100, 7)); /* oldest forgotten */
	ck_assert(act_seen_has(&s, 100 + ACT_SEEN_MAX + 43, 7));
	ck_assert(!act_seen_has(&s, 100 + ACT_SEEN_MAX + 43, 8)); /* other starttime */
	act_seen_add(&s, 100 + ACT_SEEN_MAX + 43, 7); /* no duplicate */
	ck_assert_uint_eq(s.n, ACT_SEEN_MAX);
	ck_assert(!act_seen_has(NULL, 1, 1));
}
END_TEST

/* ------------------------------------------------------------------ single victims */

START_TEST(identity_mismatch_sends_nothing)
{
	struct act_victim v = {.pid = -7};

	ck_assert_int_eq(act_victim_open(&ctx, 4242, 778, &v), -ESRCH);
	ck_assert_int_eq(v.pid, -7); /* untouched */
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_PIDFD_OPEN), 1);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_CLOSE), 1); /* pidfd not leaked */
	ck_assert_int_eq(rec.calls[1].fd, ACT_FAKE_PIDFD_BASE + 4242);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_SIGNAL), 0);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_KILL), 0);
	/* pid gone before pidfd_open, and a stat that vanished after it */
	rec.gone_pid[0] = 4243;
	ck_assert_int_eq(act_victim_open(&ctx, 4243, 778, &v), -ESRCH);
	ck_assert_int_eq(act_victim_open(&ctx, 9999, 5, &v), -ESRCH);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_SIGNAL), 0);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_CLOSE), 2);
}
END_TEST

START_TEST(refuses_self_init_kthread_and_no_identity)
{
	struct act_victim v;

	ctx.self_pid = 4242;
	ck_assert_int_eq(act_victim_open(&ctx, 4242, 777, &v), -EPERM);
	ck_assert_int_eq(act_victim_open(&ctx, 1, 1, &v), -EPERM);
	ck_assert_int_eq(act_victim_open(&ctx, 0, 1, &v), -EPERM);
	ck_assert_int_eq(act_victim_open(&ctx, 4243, 0, &v), -EINVAL);
	ck_assert_int_eq(act_victim_open(&ctx, 2, 5, &v), -EPERM); /* kernel thread */
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_SIGNAL), 0);
	ck_assert_pidfds_closed();
}
END_TEST

START_TEST(term_then_kill_ordering)
{
	struct act_victim v;
	struct pol_action a = why_kill();
	ssize_t term, kill, mrel;

	ck_assert_int_eq(act_victim_open(&ctx, 4242, 777, &v), 0);
	ck_assert_int_eq(act_victim_fd(&v), ACT_FAKE_PIDFD_BASE + 4242);
	ck_assert_str_eq(v.comm, "victim");
	ck_assert_int_eq(act_victim_term(&ctx, &v, &a), 1);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_MRELEASE), 0); /* never after TERM */
	ck_assert_int_eq(act_victim_kill(&ctx, &v, &a), 1);
	term = act_recorder_find(&rec, ACT_CALL_SIGNAL, SIGTERM, 0);
	kill = act_recorder_find(&rec, ACT_CALL_SIGNAL, SIGKILL, 0);
	mrel = act_recorder_find(&rec, ACT_CALL_MRELEASE, -1, 0);
	ck_assert_int_ge(term, 0);
	ck_assert_int_gt(kill, term);
	ck_assert_int_gt(mrel, kill);
	ck_assert_int_eq(rec.calls[term].fd, ACT_FAKE_PIDFD_BASE + 4242);
	ck_assert_int_eq(rec.calls[mrel].fd, ACT_FAKE_PIDFD_BASE + 4242);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_MRELEASE), 1);
	ck_assert_uint_eq(v.sent, ACT_SENT_TERM | ACT_SENT_KILL | ACT_SENT_MRELEASE);
	ck_assert_int_eq(v.mrelease_r, 0);
	act_victim_close(&ctx, &v);
	ck_assert_int_eq(act_victim_fd(&v), -1);
	act_victim_close(&ctx, &v); /* twice is safe */
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_CLOSE), 1);
}
END_TEST

START_TEST(refuses_double_signals)
{
	struct act_victim v;

	ck_assert_int_eq(act_victim_open(&ctx, 4242, 777, &v), 0);
	ck_assert_int_eq(act_victim_term(&ctx, &v, NULL), 1);
	ck_assert_int_eq(act_victim_term(&ctx, &v, NULL), -EALREADY);
	ck_assert_int_eq(act_victim_kill(&ctx, &v, NULL), 1);
	ck_assert_int_eq(act_victim_kill(&ctx, &v, NULL), -EALREADY);
	ck_assert_int_eq(act_victim_term(&ctx, &v, NULL), -EALREADY); /* TERM after KILL */
	ck_assert_uint_eq(count_sig(ACT_CALL_SIGNAL, SIGTERM), 1);
	ck_assert_uint_eq(count_sig(ACT_CALL_SIGNAL, SIGKILL), 1);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_MRELEASE), 1);

	/* KILL without TERM first, then TERM is refused too */
	ck_assert_int_eq(act_victim_open(&ctx, 4243, 778, &v), 0);
	ck_assert_int_eq(act_victim_kill(&ctx, &v, NULL), 1);
	ck_assert_int_eq(act_victim_term(&ctx, &v, NULL), -EALREADY);
	ck_assert_uint_eq(count_sig(ACT_CALL_SIGNAL, SIGTERM), 1);
}
END_TEST

START_TEST(failed_send_can_be_retried_and_esrch_marks_exit)
{
	struct act_victim v;

	ck_assert_int_eq(act_victim_open(&ctx, 4242, 777, &v), 0);
	rec.next_ret[ACT_CALL_SIGNAL] = -EPERM;
	ck_assert_int_eq(act_victim_term(&ctx, &v, NULL), -EPERM);
	ck_assert_uint_eq(v.sent, 0);
	rec.next_ret[ACT_CALL_SIGNAL] = 0;
	ck_assert_int_eq(act_victim_term(&ctx, &v, NULL), 1);
	rec.next_ret[ACT_CALL_SIGNAL] = -ESRCH;
	ck_assert_int_eq(act_victim_kill(&ctx, &v, NULL), -ESRCH);
	ck_assert(v.exited);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_MRELEASE), 0); /* kill failed */
	rec.poll_ret = 0;
	ck_assert_int_eq(act_victim_wait(&ctx, &v, 0), 1); /* known: no poll needed */
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_POLL), 0);
}
END_TEST

START_TEST(mrelease_errors_are_tolerated)
{
	static const int errs[] = {-ENOSYS, -EINVAL, -ESRCH, -EAGAIN, -EIO};
	struct act_victim v;

	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		ck_assert_int_eq(act_victim_open(&ctx, 4242, 777, &v), 0);
		rec.next_ret[ACT_CALL_MRELEASE] = errs[i];
		ck_assert_int_eq(act_victim_kill(&ctx, &v, NULL), 1);
		ck_assert(v.sent & ACT_SENT_KILL);
		ck_assert(!(v.sent & ACT_SENT_MRELEASE));
		ck_assert_int_eq(v.mrelease_r, errs[i]);
		act_victim_close(&ctx, &v);
	}
}
END_TEST

START_TEST(wait_and_elapsed)
{
	struct act_victim v;

	rec.tick_usec = 250000; /* every clock read advances 250 ms */
	ck_assert_int_eq(act_victim_open(&ctx, 4242, 777, &v), 0);
	ck_assert_int_eq(act_victim_term(&ctx, &v, NULL), 1);
	rec.poll_ret = 0;
	ck_assert_int_eq(act_victim_wait(&ctx, &v, 0), 0);
	ck_assert_uint_eq(act_victim_elapsed_usec(&v), 0);
	rec.poll_ret = 1;
	ck_assert_int_eq(act_victim_wait(&ctx, &v, 0), 1);
	ck_assert(v.exited);
	ck_assert_uint_eq(act_victim_elapsed_usec(&v), 250000);
	rec.poll_ret = -EBADF;
	ck_assert_int_eq(act_victim_wait(&ctx, &v, 0), 1); /* remembered */
	ck_assert_int_eq(act_victim_term(&ctx, &v, NULL), -EALREADY);
	ck_assert_int_eq(act_victim_kill(&ctx, &v, NULL), -ESRCH); /* exited: not signalled */
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_SIGNAL), 1);
	act_victim_report(&ctx, &v, 300 << 20, 100 << 20);
}
END_TEST

/* pidfd_open answers err: the victim 4242 opens without a pidfd, TERM and KILL go by kill(2). */
static void open_and_signal_by_kill(int err, struct act_victim *v)
{
	rec.next_ret[ACT_CALL_PIDFD_OPEN] = err;
	ck_assert_int_eq(act_victim_open(&ctx, 4242, 777, v), 0);
	ck_assert(v->no_pidfd);
	ck_assert_int_eq(act_victim_fd(v), -1);
	ck_assert_int_eq(act_victim_term(&ctx, v, NULL), 1);
	ck_assert_int_eq(act_victim_kill(&ctx, v, NULL), 1);
	ck_assert_uint_eq(count_sig(ACT_CALL_KILL, SIGTERM), 1);
	ck_assert_uint_eq(count_sig(ACT_CALL_KILL, SIGKILL), 1);
	ck_assert_int_eq(rec.calls[act_recorder_find(&rec, ACT_CALL_KILL, SIGKILL, 0)].pid, 4242);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_SIGNAL), 0);
}

START_TEST(no_pidfd_fallback_uses_kill_after_identity_check)
{
	struct act_victim v;

	open_and_signal_by_kill(-ENOSYS, &v);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_MRELEASE), 0); /* needs a pidfd */
	ck_assert_int_eq(act_victim_wait(&ctx, &v, 0), 0); /* fixture stat still matches */
	v.starttime_ticks = 1; /* as if the pid was reused */
	ck_assert_int_eq(act_victim_wait(&ctx, &v, 0), 1);
	act_victim_close(&ctx, &v);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_CLOSE), 0);

	/* reuse between open and signal: nothing sent */
	ck_assert_int_eq(act_victim_open(&ctx, 4243, 778, &v), 0);
	v.starttime_ticks = 1;
	ck_assert_int_eq(act_victim_kill(&ctx, &v, NULL), -ESRCH);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_KILL), 2);
}
END_TEST

/*
 * Issue 10 item 3: pidfd_open failing with anything but ESRCH/EINVAL (EPERM under a seccomp
 * profile, EMFILE, ENFILE, ENOMEM) reported the victim gone and nothing was signalled. It
 * now falls back to kill(2) behind the start time check, as on kernels without pidfds.
 */
START_TEST(pidfd_open_failure_falls_back_to_kill)
{
	static const int errs[] = {-EPERM, -EMFILE, -ENFILE, -ENOMEM, -ENODEV};
	struct act_victim v;

	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		act_recorder_init(&rec);
		open_and_signal_by_kill(errs[i], &v);
		act_victim_close(&ctx, &v);
	}
	/* the identity check still guards every kill(2): a reused pid is not hit */
	ck_assert_int_eq(act_victim_open(&ctx, 4242, 1, &v), -ESRCH); /* wrong start time */
	ck_assert_int_eq(act_victim_open(&ctx, 4243, 778, &v), 0);
	v.starttime_ticks = 1;
	ck_assert_int_eq(act_victim_kill(&ctx, &v, NULL), -ESRCH);
	ck_assert(v.exited);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_KILL), 2);
	/* gone stays gone: ESRCH and EINVAL (not a thread-group leader) are not retried */
	rec.next_ret[ACT_CALL_PIDFD_OPEN] = -EINVAL;
	ck_assert_int_eq(act_victim_open(&ctx, 4242, 777, &v), -ESRCH);
	rec.next_ret[ACT_CALL_PIDFD_OPEN] = -ESRCH;
	ck_assert_int_eq(act_victim_open(&ctx, 4242, 777, &v), -ESRCH);
}
END_TEST

START_TEST(dry_run_writes_nothing)
{
	struct act_victim v;
	struct act_group g;
	struct pol_action a = why_kill();

	ctx.dry_run = true;
	ck_assert_int_eq(act_victim_open(&ctx, 4242, 777, &v), 0);
	ck_assert_int_eq(act_victim_term(&ctx, &v, &a), 1);
	ck_assert_int_eq(act_victim_term(&ctx, &v, &a), -EALREADY); /* same bookkeeping */
	ck_assert_int_eq(act_victim_kill(&ctx, &v, &a), 1);
	act_victim_close(&ctx, &v);
	ck_assert_int_eq(act_kill_cgroup(&ctx, "/ogt", &a), 1);
	ck_assert_int_gt(act_group_open_pgid(&ctx, 4242, NULL, NULL, &g), 0);
	ck_assert_int_gt(act_group_kill(&ctx, &g, &a), 0);
	act_group_close(&ctx, &g);
	ck_assert_int_eq(act_drop_caches(&ctx, 3, &a), 1);
	ck_assert_int_eq(act_compact(&ctx, 0, &a), 1);
	ck_assert_int_eq(act_throttle_cgroup(&ctx, "/ogt", 1 << 30, &a), 1);
	ck_assert_int_eq(act_freeze_cgroup(&ctx, "/ogt", true, &a), 1);
	ck_assert_int_eq(act_set_oom_score_adj(&ctx, 4242, 777, 500, &a), 1);
	if (numa_available() >= 0)
		ck_assert_int_eq(act_migrate_pages(&ctx, 4242, 777, 0, 0, &a), 1);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_SIGNAL), 0);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_MRELEASE), 0);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_KILL), 0);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_KILLPG), 0);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_WRITE), 0);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_OOM_ADJ), 0);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_MIGRATE), 0);
	ck_assert_uint_gt(act_recorder_count(&rec, ACT_CALL_PIDFD_OPEN), 0); /* checks are real */
}
END_TEST

/* ------------------------------------------------------------------ groups and cgroups */

static bool prot_by_comm(void *ud, pid_t pid, uint64_t start, const char *comm)
{
	(*(int *)ud)++;
	return strcmp(comm, "protected") == 0;
}

START_TEST(process_group_skips_protected_and_outsiders)
{
	struct act_group g;
	int asked = 0;

	ck_assert_int_eq(act_group_open_pgid(&ctx, 4242, prot_by_comm, &asked, &g), 2);
	ck_assert_uint_eq(g.skipped, 1);
	ck_assert_int_eq(asked, 3);
	ck_assert_int_eq(act_group_term(&ctx, &g, NULL), 2);
	ck_assert_int_eq(act_group_term(&ctx, &g, NULL), 0); /* no second TERM */
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_MRELEASE), 0);
	ck_assert_int_eq(act_group_kill(&ctx, &g, NULL), 2);
	ck_assert_int_eq(act_group_kill(&ctx, &g, NULL), 0); /* rescan finds nothing new */
	ck_assert_uint_eq(count_sig(ACT_CALL_SIGNAL, SIGTERM), 2);
	ck_assert_uint_eq(count_sig(ACT_CALL_SIGNAL, SIGKILL), 2);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_MRELEASE), 2);
	for (size_t i = 0; i < rec.n; i++) {
		if (rec.calls[i].kind != ACT_CALL_SIGNAL)
			continue;
		ck_assert(rec.calls[i].fd == ACT_FAKE_PIDFD_BASE + 4242 ||
			  rec.calls[i].fd == ACT_FAKE_PIDFD_BASE + 4243);
	}
	ck_assert_int_eq(act_recorder_count(&rec, ACT_CALL_KILLPG), 0);
	rec.poll_ret = 0;
	ck_assert_int_eq(act_group_alive(&ctx, &g), 2);
	rec.poll_ret = 1;
	ck_assert_int_eq(act_group_alive(&ctx, &g), 0);
	act_group_close(&ctx, &g);
	ck_assert_pidfds_closed();

	ck_assert_int_eq(act_group_open_pgid(&ctx, 7777, NULL, NULL, &g), -ESRCH);
	ck_assert_int_eq(act_group_open_pgid(&ctx, 1, NULL, NULL, &g), -EINVAL);
}
END_TEST

/* The same for the members of a process group and of a v1 cgroup (act_group.c). */
START_TEST(group_members_without_pidfd_are_still_signalled)
{
	struct act_group g;
	int asked = 0;

	rec.next_ret[ACT_CALL_PIDFD_OPEN] = -EMFILE;
	ck_assert_int_eq(act_group_open_pgid(&ctx, 4242, prot_by_comm, &asked, &g), 2);
	ck_assert_int_eq(act_group_kill(&ctx, &g, NULL), 2);
	ck_assert_uint_eq(count_sig(ACT_CALL_KILL, SIGKILL), 2);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_SIGNAL), 0);
	act_group_close(&ctx, &g);

	act_recorder_init(&rec);
	rec.next_ret[ACT_CALL_PIDFD_OPEN] = -EPERM;
	close(mounts.v2_fd);
	mounts.v2_fd = -1; /* v1 only: every member signalled by us */
	ck_assert_int_eq(act_kill_cgroup(&ctx, "/ogt", NULL), 1);
	/* 4242, 4244, 4247 in /ogt, 4243 in /ogt/sub; 5001 listed but no longer a member */
	ck_assert_uint_eq(count_sig(ACT_CALL_KILL, SIGKILL), 4);
	for (size_t i = 0; i < rec.n; i++)
		if (rec.calls[i].kind == ACT_CALL_KILL)
			ck_assert_int_ne(rec.calls[i].pid, 5001);
}
END_TEST

START_TEST(cgroup_kill_v2_writes_cgroup_kill)
{
	mounts.layout = OG_CG_V2;
	ck_assert_int_eq(act_kill_cgroup(&ctx, "/ogt", NULL), 1);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_WRITE), 1);
	ck_assert_str_eq(rec.calls[0].path, "/ogt/cgroup.kill");
	ck_assert_str_eq(rec.calls[0].value, "1");
	ck_assert_int_eq(rec.calls[0].fd, mounts.v2_fd);
	/* then only mrelease of the members, no signal of its own */
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_SIGNAL), 0);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_MRELEASE), 3);
	ck_assert_int_eq(act_kill_cgroup(&ctx, "/", NULL), -EINVAL);
	ck_assert_int_eq(act_kill_cgroup(&ctx, "", NULL), -EINVAL);
	ck_assert_int_eq(act_kill_cgroup(&ctx, "/vanished", NULL), 0);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_WRITE), 1);
}
END_TEST

START_TEST(cgroup_kill_v1_signals_members_only)
{
	close(mounts.v2_fd);
	mounts.v2_fd = -1; /* no cgroup2 twin */
	ck_assert_int_eq(act_kill_cgroup(&ctx, "/ogt", NULL), 1);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_WRITE), 0);
	/* 4242, 4244, 4247 in /ogt, 4243 in /ogt/sub; 5001 listed but no longer a member */
	ck_assert_uint_eq(count_sig(ACT_CALL_SIGNAL, SIGKILL), 4);
	for (size_t i = 0; i < rec.n; i++)
		if (rec.calls[i].kind == ACT_CALL_SIGNAL)
			ck_assert_int_ne(rec.calls[i].fd, ACT_FAKE_PIDFD_BASE + 5001);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_MRELEASE), 4);
	ck_assert_pidfds_closed();
	ck_assert_int_eq(act_kill_cgroup(&ctx, "/empty", NULL), 0);
}
END_TEST

START_TEST(cgroup_kill_hybrid_signals_only_stragglers)
{
	ssize_t w, kill;

	/* v1 layout with the cgroup2 twin: cgroup.kill there, then SIGKILL by pidfd only for
	 * the v1 task the twin does not hold (4247); the others only get process_mrelease. */
	ck_assert_int_eq(act_kill_cgroup(&ctx, "/ogt", NULL), 1);
	w = act_recorder_find(&rec, ACT_CALL_WRITE, -1, 0);
	ck_assert_int_ge(w, 0);
	ck_assert_str_eq(rec.calls[w].path, "/ogt/cgroup.kill");
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_WRITE), 1);
	ck_assert_uint_eq(count_sig(ACT_CALL_SIGNAL, SIGKILL), 1);
	kill = act_recorder_find(&rec, ACT_CALL_SIGNAL, SIGKILL, 0);
	ck_assert_int_gt(kill, w);
	ck_assert_int_eq(rec.calls[kill].fd, ACT_FAKE_PIDFD_BASE + 4247);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_MRELEASE), 4);
	ck_assert_pidfds_closed();
}
END_TEST

START_TEST(group_kill_leaves_a_frozen_group_frozen)
{
	struct act_group g;

	mounts.layout = OG_CG_V2;
	ck_assert_int_eq(act_group_open_cgroup(&ctx, "/frozen", NULL, NULL, &g), 1);
	ck_assert_int_eq(act_group_kill(&ctx, &g, NULL), 1);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_WRITE), 0); /* no freeze, no thaw */
	ck_assert_int_eq(rec.calls[act_recorder_find(&rec, ACT_CALL_SIGNAL, SIGKILL, 0)].fd,
			 ACT_FAKE_PIDFD_BASE + 4248);
	act_group_close(&ctx, &g);
}
END_TEST

START_TEST(cgroup_kill_without_cgroup_kill_file)
{
	struct act_victim v;
	struct pol_target t = {.kind = POL_TGT_PROCESS, .pid = 4242, .starttime_ticks = 777};

	/* kernel < 5.14: the group exists but has no cgroup.kill, the caller must fall back */
	mounts.layout = OG_CG_V2;
	ck_assert_int_eq(act_kill_cgroup(&ctx, "/nokill", NULL), -EOPNOTSUPP);
	ck_assert_uint_eq(rec.n, 0);

	/* a plan target carries its unit and cgroup into the victim (for the log line) */
	strcpy(t.unit, "web.service");
	strcpy(t.cgroup, "/system.slice/web.service");
	ck_assert_int_eq(act_victim_open_target(&ctx, &t, &v), 0);
	ck_assert_str_eq(v.unit, "web.service");
	ck_assert_str_eq(v.cgroup, "/system.slice/web.service");
	ck_assert_str_eq(v.comm, "victim");
	act_victim_close(&ctx, &v);
	t.starttime_ticks = 1;
	ck_assert_int_eq(act_victim_open_target(&ctx, &t, &v), -ESRCH);
}
END_TEST

START_TEST(cgroup_kill_refuses_own_group)
{
	mounts.layout = OG_CG_V2;
	ctx.self_pid = 4244; /* pretend the daemon itself is in /ogt */
	ck_assert_int_eq(act_kill_cgroup(&ctx, "/ogt", NULL), -EDEADLK);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_WRITE), 0);
}
END_TEST

START_TEST(cgroup_group_freezes_around_kill)
{
	struct act_group g;
	int asked = 0;
	ssize_t freeze, kill, thaw;

	ck_assert_int_eq(act_group_open_cgroup(&ctx, "/ogt", prot_by_comm, &asked, &g), 3);
	ck_assert(g.v1);
	ck_assert_uint_eq(g.skipped, 1);
	ck_assert_int_eq(act_group_term(&ctx, &g, NULL), 3);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_WRITE), 0); /* no freeze for TERM */
	ck_assert_int_eq(act_group_kill(&ctx, &g, NULL), 3);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_WRITE), 2);
	freeze = 0;
	while (rec.calls[freeze].kind != ACT_CALL_WRITE)
		freeze++;
	ck_assert_str_eq(rec.calls[freeze].path, "/ogt/cgroup.freeze");
	ck_assert_str_eq(rec.calls[freeze].value, "1");
	kill = act_recorder_find(&rec, ACT_CALL_SIGNAL, SIGKILL, 0);
	thaw = act_recorder_find(&rec, ACT_CALL_WRITE, -1, (size_t)freeze + 1);
	ck_assert_int_gt(kill, freeze);
	ck_assert_int_gt(thaw, kill);
	ck_assert_str_eq(rec.calls[thaw].value, "0");
	act_group_close(&ctx, &g);
	ck_assert_int_eq(act_group_open_cgroup(&ctx, "/", NULL, NULL, &g), -EINVAL);
	ck_assert_int_eq(act_group_open_cgroup(&ctx, "/vanished", NULL, NULL, &g), -ENOENT);
}
END_TEST

START_TEST(populated_and_usage)
{
	uint64_t v = 0;

	ck_assert_int_eq(act_cgroup_populated(&ctx, "/ogt"), 1); /* v1: procs listed */
	ck_assert_int_eq(act_cgroup_populated(&ctx, "/empty"), 0);
	ck_assert_int_eq(act_cgroup_populated(&ctx, "/vanished"), 0);
	mounts.layout = OG_CG_V2;
	ck_assert_int_eq(act_cgroup_populated(&ctx, "/ogt"), 1); /* cgroup.events */
	mounts.layout = OG_CG_V1;
	ck_assert_int_eq(act_read_cgroup_usage(&ctx, "/ogt", &v), 0);
	ck_assert_uint_eq(v, 104857600);
	ck_assert_int_eq(act_read_cgroup_usage(&ctx, "/vanished", &v), -ENOENT);
	mounts.layout = OG_CG_V2; /* without memory on cgroup2 */
	ck_assert_int_eq(act_read_cgroup_usage(&ctx, "/ogt", &v), -EOPNOTSUPP);
	ck_assert_int_eq(act_read_mem_available(&ctx, &v), 0);
	ck_assert_uint_eq(v, 22000000ull * 1024);
}
END_TEST

/* ------------------------------------------------------------------ memory actions */

static void assert_write(size_t i, int fd, const char *path, const char *value)
{
	ck_assert_uint_gt(rec.n, i);
	ck_assert_int_eq(rec.calls[i].kind, ACT_CALL_WRITE);
	ck_assert_int_eq(rec.calls[i].fd, fd);
	ck_assert_str_eq(rec.calls[i].path, path);
	ck_assert_str_eq(rec.calls[i].value, value);
}

/* Issue 10 item 6: a scoped daemon without MachineWideReclaim=yes never writes host-wide. */
START_TEST(scoped_machine_wide_actions_are_refused)
{
	size_t n = rec.n;

	ctx.machine_wide_denied = true;
	ck_assert_int_eq(act_drop_caches(&ctx, 2, NULL), -EPERM);
	ck_assert_int_eq(act_drop_caches(&ctx, 3, NULL), -EPERM);
	ck_assert_int_eq(act_compact(&ctx, -1, NULL), -EPERM);
	ck_assert_int_eq(act_compact(&ctx, 0, NULL), -EPERM);
	ck_assert_uint_eq(rec.n, n); /* nothing written */
	ctx.machine_wide_denied = false;
	ck_assert_int_eq(act_drop_caches(&ctx, 2, NULL), 1);
	ck_assert_uint_eq(rec.n, n + 1);
}
END_TEST

START_TEST(mem_actions_write_the_right_files)
{
	ck_assert_int_eq(act_drop_caches(&ctx, 2, NULL), 1);
	assert_write(0, root.proc_fd, "sys/vm/drop_caches", "2");
	ck_assert_int_eq(act_drop_caches(&ctx, 3, NULL), 1);
	assert_write(1, root.proc_fd, "sys/vm/drop_caches", "3");
	ck_assert_int_eq(act_drop_caches(&ctx, 1, NULL), -EINVAL);
	ck_assert_int_eq(act_compact(&ctx, -1, NULL), 1);
	assert_write(2, root.proc_fd, "sys/vm/compact_memory", "1");
	ck_assert_int_eq(act_compact(&ctx, 0, NULL), 1);
	assert_write(3, root.sys_fd, "devices/system/node/node0/compact", "1");
	ck_assert_int_eq(act_compact(&ctx, OG_NODES_MAX, NULL), -EINVAL);

	/* v1 layout: soft limit, no memory.reclaim */
	ck_assert_int_eq(act_throttle_cgroup(&ctx, "/ogt", 512 << 20, NULL), 1);
	assert_write(4, mounts.memv1_fd, "/ogt/memory.soft_limit_in_bytes", "536870912");
	ck_assert_int_eq(act_throttle_cgroup(&ctx, "/ogt", OG_UNLIMITED, NULL), 1);
	assert_write(5, mounts.memv1_fd, "/ogt/memory.soft_limit_in_bytes", "-1");
	ck_assert_int_eq(act_reclaim_cgroup(&ctx, "/ogt", 1 << 20, NULL), -EOPNOTSUPP);
	/* freeze goes to the cgroup2 twin */
	ck_assert_int_eq(act_freeze_cgroup(&ctx, "/ogt", true, NULL), 1);
	assert_write(6, mounts.v2_fd, "/ogt/cgroup.freeze", "1");
	ck_assert_int_eq(act_freeze_cgroup(&ctx, "/ogt", false, NULL), 1);
	assert_write(7, mounts.v2_fd, "/ogt/cgroup.freeze", "0");
	ck_assert_int_eq(act_freeze_cgroup(&ctx, "/vanished", true, NULL), 0);
	ck_assert_int_eq(act_freeze_cgroup(&ctx, "/", true, NULL), -EINVAL);

	mounts.layout = OG_CG_V2;
	ck_assert_int_eq(act_throttle_cgroup(&ctx, "/ogt", 1 << 30, NULL), 1);
	assert_write(8, mounts.v2_fd, "/ogt/memory.high", "1073741824");
	ck_assert_int_eq(act_throttle_cgroup(&ctx, "/ogt", OG_UNLIMITED, NULL), 1);
	assert_write(9, mounts.v2_fd, "/ogt/memory.high", "max");
	ck_assert_int_eq(act_reclaim_cgroup(&ctx, "/ogt", 64 << 20, NULL), 1);
	assert_write(10, mounts.v2_fd, "/ogt/memory.reclaim", "67108864");
	ck_assert_int_eq(act_reclaim_cgroup(&ctx, "/vanished", 1, NULL), -EOPNOTSUPP);
	ck_assert_uint_eq(rec.n, 11);

	/* the kernel's answers come back */
	rec.next_ret[ACT_CALL_WRITE] = -ENOENT;
	ck_assert_int_eq(act_throttle_cgroup(&ctx, "/ogt", 1 << 30, NULL), 0);
	rec.next_ret[ACT_CALL_WRITE] = -EBUSY;
	ck_assert_int_eq(act_drop_caches(&ctx, 3, NULL), -EBUSY);
	mounts.layout = OG_CG_NONE;
	ck_assert_int_eq(act_throttle_cgroup(&ctx, "/ogt", 1 << 30, NULL), -EOPNOTSUPP);
}
END_TEST

START_TEST(migrate_builds_node_masks)
{
	if (numa_available() < 0)
		ck_abort_msg("libnuma reports no NUMA support on this machine");
	ck_assert_int_eq(act_migrate_pages(&ctx, 4242, 777, 1, 0, NULL), 1);
	ck_assert_int_eq(act_migrate_pages(&ctx, 4242, 777, 0, 3, NULL), 1);
	ck_assert_int_eq(act_migrate_pages(&ctx, 4242, 777, 0, 0, NULL), 1);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_MIGRATE), 3);
	ck_assert_int_eq(rec.calls[0].pid, 4242);
	ck_assert_uint_eq(rec.calls[0].from_mask, 1u << 1);
	ck_assert_uint_eq(rec.calls[0].to_mask, 1u << 0);
	ck_assert_uint_eq(rec.calls[1].from_mask, 1u << 0);
	ck_assert_uint_eq(rec.calls[1].to_mask, 1u << 3);
	ck_assert_uint_eq(rec.calls[2].from_mask, rec.calls[2].to_mask);
	/* refused before any call */
	ck_assert_int_eq(act_migrate_pages(&ctx, 4242, 778, 1, 0, NULL), -ESRCH);
	ck_assert_int_eq(act_migrate_pages(&ctx, 9999, 5, 1, 0, NULL), -ESRCH);
	ck_assert_int_eq(act_migrate_pages(&ctx, 4242, 0, 1, 0, NULL), -EINVAL);
	ck_assert_int_eq(act_migrate_pages(&ctx, 4242, 777, -1, 0, NULL), -EINVAL);
	ck_assert_int_eq(act_migrate_pages(&ctx, 4242, 777, 0, OG_NODES_MAX, NULL), -EINVAL);
	ck_assert_int_eq(act_migrate_pages(&ctx, 1, 1, 0, 0, NULL), -EPERM);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_MIGRATE), 3);
	rec.next_ret[ACT_CALL_MIGRATE] = -EINVAL; /* offline node: the kernel's answer */
	ck_assert_int_eq(act_migrate_pages(&ctx, 4242, 777, 0, 5, NULL), -EINVAL);
	rec.next_ret[ACT_CALL_MIGRATE] = 12; /* pages left behind are not an error */
	ck_assert_int_eq(act_migrate_pages(&ctx, 4242, 777, 0, 1, NULL), 1);
}
END_TEST

START_TEST(mem_apply_dispatches)
{
	struct pol_action a = {.kind = POL_ACT_THROTTLE, .value = 1 << 30};

	mounts.layout = OG_CG_V2;
	strcpy(a.target.cgroup, "/ogt");
	ck_assert_int_eq(act_mem_apply(&ctx, &a), 1);
	assert_write(0, mounts.v2_fd, "/ogt/memory.high", "1073741824");
	a.kind = POL_ACT_DROP_SLAB;
	ck_assert_int_eq(act_mem_apply(&ctx, &a), 1);
	assert_write(1, root.proc_fd, "sys/vm/drop_caches", "2");
	a.kind = POL_ACT_COMPACT;
	a.target.node = -1;
	ck_assert_int_eq(act_mem_apply(&ctx, &a), 1);
	assert_write(2, root.proc_fd, "sys/vm/compact_memory", "1");
	a.kind = POL_ACT_REPORT;
	ck_assert_int_eq(act_mem_apply(&ctx, &a), 0);
	a.kind = POL_ACT_KILL;
	ck_assert_int_eq(act_mem_apply(&ctx, &a), -EINVAL);
	a.kind = POL_ACT_TERM;
	ck_assert_int_eq(act_mem_apply(&ctx, &a), -EINVAL);
	a.kind = POL_ACT_OOM_SCORE_ADJ;
	ck_assert_int_eq(act_mem_apply(&ctx, &a), -EINVAL);
	ck_assert_uint_eq(rec.n, 3);
}
END_TEST

/* ------------------------------------------------------------------ protection */

/* Run fn with stderr going to a temp file; return how many times needle was logged. */
static int count_logged(const char *needle, void (*fn)(void))
{
	struct og_capture c;
	char *buf;
	int n = 0;

	og_capture_begin(&c, STDERR_FILENO);
	fn();
	buf = og_capture_end(&c);
	for (const char *p = buf; (p = strstr(p, needle)); p++)
		n++;
	free(buf);
	return n;
}

/* Issue 10 item 16: a process outside any unit is not "unit ''" in the kill line. */
static void kill_unitless(void)
{
	struct act_victim v;

	ck_assert_int_eq(act_victim_open(&ctx, 4242, 777, &v), 0);
	v.unit[0] = '\0';
	og_strscpy(v.cgroup, "/user.slice", sizeof(v.cgroup));
	ck_assert_int_eq(act_victim_kill(&ctx, &v, NULL), 1);
	act_victim_close(&ctx, &v);
}

static void kill_unitless_cgroupless(void)
{
	struct act_victim v;

	ck_assert_int_eq(act_victim_open(&ctx, 4242, 777, &v), 0);
	v.unit[0] = '\0';
	v.cgroup[0] = '\0';
	ck_assert_int_eq(act_victim_kill(&ctx, &v, NULL), 1);
	act_victim_close(&ctx, &v);
}

START_TEST(no_empty_unit_in_log_lines)
{
	ck_assert_int_eq(count_logged("unit ''", kill_unitless), 0);
	ck_assert_int_eq(
		count_logged("SIGKILL pid 4242 (victim) cgroup '/user.slice': ", kill_unitless), 1);
	ck_assert_int_eq(count_logged("cgroup ''", kill_unitless_cgroupless), 0);
}
END_TEST

static struct act_seen denied;

static void refuse_twice(void)
{
	rec.next_ret[ACT_CALL_OOM_ADJ] = -EACCES;
	ck_assert_int_eq(act_set_oom_score_adj(&ctx, 4242, 777, -900, NULL), -EACCES);
	rec.next_ret[ACT_CALL_OOM_ADJ] = -EPERM; /* folded into EACCES */
	ck_assert_int_eq(act_set_oom_score_adj(&ctx, 4242, 777, -900, NULL), -EACCES);
}

START_TEST(oom_score_adj_set_and_refusal_reported_once)
{
	int v = 1;

	ck_assert_int_eq(act_get_oom_score_adj(&ctx, 4242, &v), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(act_set_oom_score_adj(&ctx, 4242, 777, 500, NULL), 1);
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_OOM_ADJ), 1);
	ck_assert_int_eq(rec.calls[0].sig, 500);
	ck_assert_int_ge(rec.calls[0].fd, 0); /* the /proc/PID dir fd */
	ck_assert_int_eq(act_set_oom_score_adj(&ctx, 4242, 777, 0, NULL), 0); /* already */
	ck_assert_int_eq(act_set_oom_score_adj(&ctx, 4242, 778, 500, NULL), -ESRCH);
	ck_assert_int_eq(act_set_oom_score_adj(&ctx, 9999, 1, 500, NULL), -ESRCH);
	ck_assert_int_eq(act_set_oom_score_adj(&ctx, 4242, 777, 1001, NULL), -EINVAL);
	ck_assert_int_eq(act_set_oom_score_adj(&ctx, 4242, 777, -1001, NULL), -EINVAL);
	ck_assert_int_eq(act_set_oom_score_adj(&ctx, 2, 0, 500, NULL), -EPERM); /* kthread */
	ck_assert_uint_eq(act_recorder_count(&rec, ACT_CALL_OOM_ADJ), 1);

	memset(&denied, 0, sizeof(denied));
	ctx.denied = &denied;
	ck_assert_int_eq(count_logged("cannot set oom_score_adj", refuse_twice), 1);
	ck_assert(act_seen_has(&denied, 4242, 777));
	ctx.denied = NULL; /* no table: every refusal is reported */
	ck_assert_int_eq(count_logged("cannot set oom_score_adj", refuse_twice), 2);
}
END_TEST

START_TEST(recorder_counts_overflow)
{
	for (int i = 0; i < ACT_RECORDER_MAX + 5; i++)
		rec.ops.kill(rec.ops.userdata, 4242, 0);
	ck_assert_uint_eq(rec.n, ACT_RECORDER_MAX);
	ck_assert_uint_eq(rec.dropped, 5);
	ck_assert_int_eq(act_recorder_find(&rec, ACT_CALL_KILL, 0, ACT_RECORDER_MAX), -1);
}
END_TEST

/* ------------------------------------------------------------------ proc connector parsing */

struct pe_log {
	int n;
	enum pe_kind kind[8];
	pid_t pid[8], parent[8];
};

static void pe_cb(void *ud, enum pe_kind kind, pid_t pid, pid_t parent)
{
	struct pe_log *l = ud;

	if (l->n < 8) {
		l->kind[l->n] = kind;
		l->pid[l->n] = pid;
		l->parent[l->n] = parent;
	}
	l->n++;
}

/* Append one connector message carrying ev (cn.len = evlen) at buf+off; returns new off. */
static size_t put_event(char *buf, size_t off, const struct proc_event *ev, size_t evlen,
			unsigned idx)
{
	struct nlmsghdr h = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct cn_msg) + evlen),
			     .nlmsg_type = NLMSG_DONE};
	struct cn_msg cn = {.id = {.idx = idx, .val = CN_VAL_PROC}, .len = evlen};

	memcpy(buf + off, &h, sizeof(h));
	memcpy(buf + off + NLMSG_HDRLEN, &cn, sizeof(cn));
	memcpy(buf + off + NLMSG_HDRLEN + sizeof(cn), ev, evlen);
	return off + NLMSG_ALIGN(h.nlmsg_len);
}

START_TEST(proc_events_parse_kinds_and_junk)
{
	char buf[2048] __attribute__((aligned(8)));
	struct proc_event ev;
	struct pe_log l = {0};
	size_t off = 0;

	memset(buf, 0, sizeof(buf));
	memset(&ev, 0, sizeof(ev));
	ev.what = PROC_EVENT_EXEC;
	ev.event_data.exec.process_pid = ev.event_data.exec.process_tgid = 100;
	off = put_event(buf, off, &ev, sizeof(ev), CN_IDX_PROC);
	ev.what = PROC_EVENT_COMM; /* a thread renamed itself: reported as its process */
	ev.event_data.comm.process_pid = 102;
	ev.event_data.comm.process_tgid = 101;
	off = put_event(buf, off, &ev, sizeof(ev), CN_IDX_PROC);
	ev.what = PROC_EVENT_EXIT; /* a thread exit: dropped */
	ev.event_data.exit.process_pid = 103;
	ev.event_data.exit.process_tgid = 101;
	off = put_event(buf, off, &ev, sizeof(ev), CN_IDX_PROC);
	ev.event_data.exit.process_pid = 101; /* the process exit */
	off = put_event(buf, off, &ev, sizeof(ev), CN_IDX_PROC);
	ev.what = PROC_EVENT_FORK; /* not wanted */
	off = put_event(buf, off, &ev, sizeof(ev), CN_IDX_PROC);
	ev.what = PROC_EVENT_EXEC; /* another connector index: not ours */
	off = put_event(buf, off, &ev, sizeof(ev), CN_IDX_PROC + 1);
	ev.event_data.exec.process_tgid = 104; /* too short to hold the pids */
	off = put_event(buf, off, &ev, offsetof(struct proc_event, event_data) + 4, CN_IDX_PROC);

	ck_assert_int_eq(proc_events_parse_buf(buf, off, pe_cb, &l), 3);
	ck_assert_int_eq(l.n, 3);
	ck_assert_int_eq(l.kind[0], PE_EXEC);
	ck_assert_int_eq(l.pid[0], 100);
	ck_assert_int_eq(l.kind[1], PE_COMM);
	ck_assert_int_eq(l.pid[1], 101);
	ck_assert_int_eq(l.kind[2], PE_EXIT);
	ck_assert_int_eq(l.pid[2], 101);

	/* every truncation of the datagram: never more, never a read past the end (ASan) */
	for (size_t cut = 0; cut < off; cut++) {
		char *copy = malloc(cut ? cut : 1);
		struct pe_log m = {0};

		memcpy(copy, buf, cut);
		ck_assert_int_le(proc_events_parse_buf(copy, cut, pe_cb, &m), 3);
		free(copy);
	}
	/* a length field larger than the datagram stops the walk */
	((struct nlmsghdr *)buf)->nlmsg_len = 4000;
	ck_assert_int_eq(proc_events_parse_buf(buf, off, pe_cb, &l), 0);
	((struct nlmsghdr *)buf)->nlmsg_len = 3; /* shorter than a header */
	ck_assert_int_eq(proc_events_parse_buf(buf, off, pe_cb, &l), 0);
}
END_TEST

static Suite *act_suite(void)
{
	Suite *s = suite_create("act");
	TCase *tc = tcase_create("fake");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, ident_parses_and_rejects);
	tcase_add_test(tc, fixture_root_forces_dry_run);
	tcase_add_test(tc, printable_and_why);
	tcase_add_test(tc, seen_table_is_bounded);
	tcase_add_test(tc, identity_mismatch_sends_nothing);
	tcase_add_test(tc, refuses_self_init_kthread_and_no_identity);
	tcase_add_test(tc, term_then_kill_ordering);
	tcase_add_test(tc, no_empty_unit_in_log_lines);
	tcase_add_test(tc, scoped_machine_wide_actions_are_refused);
	tcase_add_test(tc, refuses_double_signals);
	tcase_add_test(tc, failed_send_can_be_retried_and_esrch_marks_exit);
	tcase_add_test(tc, mrelease_errors_are_tolerated);
	tcase_add_test(tc, wait_and_elapsed);
	tcase_add_test(tc, no_pidfd_fallback_uses_kill_after_identity_check);
	tcase_add_test(tc, pidfd_open_failure_falls_back_to_kill);
	tcase_add_test(tc, group_members_without_pidfd_are_still_signalled);
	tcase_add_test(tc, dry_run_writes_nothing);
	tcase_add_test(tc, process_group_skips_protected_and_outsiders);
	tcase_add_test(tc, cgroup_kill_v2_writes_cgroup_kill);
	tcase_add_test(tc, cgroup_kill_v1_signals_members_only);
	tcase_add_test(tc, cgroup_kill_hybrid_signals_only_stragglers);
	tcase_add_test(tc, group_kill_leaves_a_frozen_group_frozen);
	tcase_add_test(tc, cgroup_kill_without_cgroup_kill_file);
	tcase_add_test(tc, cgroup_kill_refuses_own_group);
	tcase_add_test(tc, cgroup_group_freezes_around_kill);
	tcase_add_test(tc, populated_and_usage);
	tcase_add_test(tc, mem_actions_write_the_right_files);
	tcase_add_test(tc, migrate_builds_node_masks);
	tcase_add_test(tc, mem_apply_dispatches);
	tcase_add_test(tc, oom_score_adj_set_and_refusal_reported_once);
	tcase_add_test(tc, recorder_counts_overflow);
	tcase_add_test(tc, proc_events_parse_kinds_and_junk);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return og_check_run(act_suite());
}
