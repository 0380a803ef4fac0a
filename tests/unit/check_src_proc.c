/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guardian/sources/src_proc.h"
#include "policy/util/cleanup.h"
#include "policy/util/strutil.h"
#include "tests/unit/og_check.h"

/* A 6.x stat line with the fields the parser reads marked: ppid 1, pgrp 812, flags 4194560,
 * starttime 1520. */
#define STAT_TAIL                                                                                  \
	" S 1 812 812 0 -1 4194560 12000 0 35 0 1200 300 0 0 20 0 1 0 1520 94515200 1825 "         \
	"18446744073709551615 94251347881984 94251347904485 140732536543632 0 0 0 0 4096 81931 0 " \
	"0 0 17 0 0 0 0 0 0 94251347921744 94251347923616 94251371114496 140732536547561 "         \
	"140732536547600 140732536547600 140732536549355 0\n"

static struct og_proc sentinel(void)
{
	struct og_proc p;

	memset(&p, 0x5a, sizeof(p));
	return p;
}

static void assert_untouched(const struct og_proc *p)
{
	struct og_proc s = sentinel();

	ck_assert(memcmp(p, &s, sizeof(s)) == 0);
}

START_TEST(stat_plain)
{
	struct og_proc p = sentinel();

	ck_assert_int_eq(src_proc_parse_stat("812 (sshd)" STAT_TAIL, &p), 0);
	ck_assert_int_eq(p.pid, 812);
	ck_assert_str_eq(p.comm, "sshd");
	ck_assert_int_eq(p.state, 'S');
	ck_assert_int_eq(p.ppid, 1);
	ck_assert_int_eq(p.pgid, 812);
	ck_assert_uint_eq(p.starttime_ticks, 1520);
	ck_assert(!p.kthread);
}
END_TEST

START_TEST(stat_hostile_comm)
{
	static const struct {
		const char *line_head;
		const char *comm;
	} cases[] = {
		{"1234 (evil) R 1 (x)", "evil) R 1 (x"},
		{"1234 (a b c)", "a b c"},
		{"1234 (new\nline)", "new\nline"},
		{"1234 (((()))))", "((())))"},
		{"1234 ())", ")"},
		{"1234 ()", ""},
		{"1234 (x) S 9 9 9)", "x) S 9 9 9"},
	};

	for (size_t i = 0; i < OG_ELEMENTSOF(cases); i++) {
		char line[1024];
		struct og_proc p = sentinel();

		snprintf(line, sizeof(line), "%s%s", cases[i].line_head, STAT_TAIL);
		ck_assert_int_eq(src_proc_parse_stat(line, &p), 0);
		ck_assert_str_eq(p.comm, cases[i].comm);
		ck_assert_int_eq(p.pid, 1234);
		ck_assert_int_eq(p.state, 'S');
		ck_assert_int_eq(p.ppid, 1);
		ck_assert_uint_eq(p.starttime_ticks, 1520);
	}
}
END_TEST

START_TEST(stat_long_comm_truncated)
{
	char line[1024], comm[100];
	struct og_proc p;

	memset(comm, 'k', 80);
	comm[80] = '\0';
	snprintf(line, sizeof(line), "77 (%s)%s", comm, STAT_TAIL);
	ck_assert_int_eq(src_proc_parse_stat(line, &p), 0);
	ck_assert_uint_eq(strlen(p.comm), OG_COMM_MAX - 1);
}
END_TEST

START_TEST(stat_kernel_thread)
{
	struct og_proc p = sentinel();
	const char *kthreadd = "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 24 0 0 "
			       "18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 17 1 0 0 0 0 "
			       "0 0 0 0 0 0 0 0 0\n";

	ck_assert_int_eq(src_proc_parse_stat(kthreadd, &p), SRC_PROC_KTHREAD);
	ck_assert_str_eq(p.comm, "kthreadd");
	ck_assert_int_eq(p.pid, 2);
	ck_assert(p.kthread); /* the model says so too: policy knows kernel threads by it */
}
END_TEST

START_TEST(stat_malformed)
{
	static const char *const bad[] = {
		"",
		"abc",
		"812",
		"812 sshd" STAT_TAIL,
		"812 (sshd S 1 812 812 0 -1 4194560\n",
		"812 (sshd)",
		"812 (sshd) ",
		"812 (sshd)S 1",
		"812 (sshd) S",
		"812 (sshd) S 1 812 812 0 -1 4194560 12000 0 35 0 1200 300 0 0 20 0 1 0\n",
		"812 (sshd) S x 812 812 0 -1 4194560 12000 0 35 0 1200 300 0 0 20 0 1 0 1520 9\n",
		"812 (sshd) S -1 812 812 0 -1 4194560 12000 0 35 0 1200 300 0 0 20 0 1 0 1520 9\n",
		"812 (sshd) S 1 812 812 0 -1 4194560 12000 0 35 0 1200 300 0 0 20 0 1 0 -5 9\n",
		"812 (sshd) S 1  812 812 0 -1 4194560 12000 0 35 0 1200 300 0 0 20 0 1 0 1520 9\n",
		"812 (sshd) S 1 812 812 0 -1 4194560 12000 0 35 0 1200 300 0 0 20 0 1 0 "
		"99999999999999999999999 9\n",
		"0 (sshd)" STAT_TAIL,
		"-5 (sshd)" STAT_TAIL,
		"99999999999 (sshd)" STAT_TAIL,
	};

	for (size_t i = 0; i < OG_ELEMENTSOF(bad); i++) {
		struct og_proc p = sentinel();

		ck_assert_msg(src_proc_parse_stat(bad[i], &p) == -EBADMSG, "case %zu accepted", i);
		assert_untouched(&p);
	}
}
END_TEST

static const char status_sshd[] = "Name:\tsshd\n"
				  "Umask:\t0022\n"
				  "State:\tS (sleeping)\n"
				  "Tgid:\t812\n"
				  "PPid:\t1\n"
				  "Uid:\t1000\t0\t0\t0\n"
				  "Gid:\t0\t0\t0\t0\n"
				  "VmRSS:\t    9216 kB\n"
				  "RssAnon:\t    1024 kB\n"
				  "RssFile:\t    8000 kB\n"
				  "RssShmem:\t     192 kB\n"
				  "VmSwap:\t      40 kB\n"
				  "Threads:\t1\n";

START_TEST(status_plain)
{
	struct og_proc p = sentinel();

	ck_assert_int_eq(src_proc_parse_status(status_sshd, &p), 0);
	ck_assert_uint_eq(p.uid, 1000); /* the real uid, not the effective one */
	ck_assert_uint_eq(p.rss_anon_bytes, 1024 * 1024);
	ck_assert_uint_eq(p.rss_file_bytes, 8000 * 1024);
	ck_assert_uint_eq(p.rss_shmem_bytes, 192 * 1024);
	ck_assert_uint_eq(p.swap_bytes, 40 * 1024);
	ck_assert_int_eq(p.rss_source, OG_RSS_STATUS);
}
END_TEST

/* Issue 10 item 1: 3.10 and 4.4 print VmRSS and VmSwap but no RssAnon/RssFile/RssShmem. Every
 * process read 0 bytes; now all of VmRSS counts until statm splits it (OG_RSS_VMRSS). */
START_TEST(status_before_4_5_has_vmrss_only)
{
	struct og_proc p = sentinel();

	ck_assert_int_eq(
		src_proc_parse_status("Name:\tqemu-kvm\nUmask:\t0022\nState:\tS (sleeping)\n"
				      "Uid:\t107\t107\t107\t107\nVmHWM:\t18547600 kB\n"
				      "VmRSS:\t15943600 kB\nVmData:\t15931024 kB\n"
				      "VmPTE:\t   37068 kB\nVmSwap:\t 2604000 kB\n"
				      "Threads:\t12\n",
				      &p),
		0);
	ck_assert_int_eq(p.rss_source, OG_RSS_VMRSS);
	ck_assert_uint_eq(p.rss_anon_bytes, 15943600ULL * 1024);
	ck_assert_uint_eq(p.rss_file_bytes, 0);
	ck_assert_uint_eq(p.rss_shmem_bytes, 0);
	ck_assert_uint_eq(p.swap_bytes, 2604000ULL * 1024);
	ck_assert_uint_eq(p.uid, 107);
}
END_TEST

START_TEST(statm_splits_anon_and_file)
{
	static const char *const bad[] = {
		"",
		"1 2",
		"1 2 3",
		"4585553 3985900\n",
		"x 2 3 4 0 5 0\n",
		"1 2 3x 4 0 5 0\n",
		"10 5 6 1 0 4 0\n", /* shared > resident */
		"1 18014398509481984 0 0 0 0 0\n", /* overflows in bytes */
	};
	struct og_proc p = sentinel();

	/* 3.10 proc_pid_statm(): "%lu %lu %lu %lu 0 %lu 0\n" */
	ck_assert_int_eq(src_proc_parse_statm("4585553 3985900 3400 390 0 3982790 0\n", 4096, &p),
			 0);
	ck_assert_int_eq(p.rss_source, OG_RSS_STATM);
	ck_assert_uint_eq(p.rss_anon_bytes, (3985900ULL - 3400) * 4096);
	ck_assert_uint_eq(p.rss_file_bytes, 3400ULL * 4096);
	ck_assert_uint_eq(p.rss_shmem_bytes, 0);
	ck_assert_int_eq(src_proc_parse_statm("0 0 0 0 0 0 0\n", 65536, &p), 0);
	ck_assert_uint_eq(p.rss_anon_bytes, 0);
	for (size_t i = 0; i < OG_ELEMENTSOF(bad); i++) {
		p = sentinel();
		ck_assert_msg(src_proc_parse_statm(bad[i], 4096, &p) == -EBADMSG,
			      "case %zu accepted", i);
		assert_untouched(&p);
	}
	ck_assert_int_eq(src_proc_parse_statm("1 1 0 0 0 0 0\n", 0, &p), -EINVAL);
	assert_untouched(&p);
}
END_TEST

START_TEST(smaps_rollup_anonymous)
{
	static const char rollup[] =
		"55d0c0a00000-7ffd4b5f1000 ---p 00000000 00:00 0                          "
		"[rollup]\n"
		"Rss:               12800 kB\nPss:                9100 kB\n"
		"Shared_Clean:       3200 kB\nShared_Dirty:          0 kB\n"
		"Private_Clean:       800 kB\nPrivate_Dirty:      8800 kB\n"
		"Referenced:        12000 kB\nAnonymous:          8600 kB\n"
		"LazyFree:              0 kB\nAnonHugePages:      2048 kB\nSwap:  0 kB\n";
	struct og_proc p = sentinel();

	ck_assert_int_eq(src_proc_parse_smaps_rollup(rollup, &p), 0);
	ck_assert_int_eq(p.rss_source, OG_RSS_SMAPS_ROLLUP);
	ck_assert_uint_eq(p.rss_anon_bytes, 8600 * 1024);
	ck_assert_uint_eq(p.rss_file_bytes, 4200 * 1024);
	p = sentinel();
	ck_assert_int_eq(src_proc_parse_smaps_rollup("Rss: 12 kB\n", &p), -EBADMSG);
	ck_assert_int_eq(src_proc_parse_smaps_rollup("Rss: 12 kB\nAnonymous: 13 kB\n", &p),
			 -EBADMSG);
	ck_assert_int_eq(src_proc_parse_smaps_rollup("Rss: 12\nAnonymous: 1 kB\n", &p), -EBADMSG);
	assert_untouched(&p);
}
END_TEST

/* The fallback chain on a tree: statm first, smaps_rollup when statm is unusable, else VmRSS. */
START_TEST(rss_fallback_chain)
{
	static const char status[] =
		"Name:\tx\nUid:\t0\t0\t0\t0\nVmRSS:\t 800 kB\nVmSwap:\t 8 kB\n";
	static const char stat_fmt[] = "%d (x) S 1 %d %d 0 -1 4202752 0 0 0 0 0 0 0 0 20 0 1 0 77 "
				       "1000 200 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 "
				       "0 0 0 0 0 0 0 0 0 0 0 0 0\n";
	char dir[OG_TMPROOT_MAX], rel[64], line[512];
	struct og_proc p[3];
	struct og_root root;
	int r[3];

	og_tmproot_create(dir);
	for (int pid = 10; pid <= 12; pid++) {
		snprintf(rel, sizeof(rel), "proc/%d/stat", pid);
		snprintf(line, sizeof(line), stat_fmt, pid, pid, pid);
		og_tmproot_put(dir, rel, line);
		snprintf(rel, sizeof(rel), "proc/%d/status", pid);
		og_tmproot_put(dir, rel, status);
		snprintf(rel, sizeof(rel), "proc/%d/cgroup", pid);
		og_tmproot_put(dir, rel, "1:name=systemd:/system.slice/x.service\n");
		snprintf(rel, sizeof(rel), "proc/%d/oom_score", pid);
		og_tmproot_put(dir, rel, "0\n");
		snprintf(rel, sizeof(rel), "proc/%d/oom_score_adj", pid);
		og_tmproot_put(dir, rel, "0\n");
		snprintf(rel, sizeof(rel), "proc/%d/cmdline", pid);
		og_tmproot_put(dir, rel, "x");
	}
	og_tmproot_put(dir, "proc/10/statm", "500 200 50 1 0 150 0\n");
	og_tmproot_put(dir, "proc/11/statm", "garbage\n");
	og_tmproot_put(dir, "proc/11/smaps_rollup",
		       "0-1 ---p 0 00:00 0 [rollup]\nRss:  800 kB\n"
		       "Anonymous:  500 kB\n");
	/* 12: no statm (a fixture captured without it), no smaps_rollup: VmRSS stays */
	ck_assert_int_eq(og_root_open(&root, dir), 0);
	for (int i = 0; i < 3; i++)
		r[i] = src_read_proc(&root, 10 + i, &p[i]);
	og_root_close(&root);
	og_tmproot_remove(dir);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(r[i], 0);
	ck_assert_int_eq(p[0].rss_source, OG_RSS_STATM);
	ck_assert_uint_eq(p[0].rss_anon_bytes, 150 * 4096);
	ck_assert_uint_eq(p[0].rss_file_bytes, 50 * 4096);
	ck_assert_int_eq(p[1].rss_source, OG_RSS_SMAPS_ROLLUP);
	ck_assert_uint_eq(p[1].rss_anon_bytes, 500 * 1024);
	ck_assert_uint_eq(p[1].rss_file_bytes, 300 * 1024);
	ck_assert_int_eq(p[2].rss_source, OG_RSS_VMRSS);
	ck_assert_uint_eq(p[2].rss_anon_bytes, 800 * 1024);
	for (int i = 0; i < 3; i++)
		ck_assert_uint_eq(p[i].swap_bytes, 8 * 1024);
}
END_TEST

START_TEST(status_no_mm)
{
	/* kernel threads and zombies: no Vm or Rss lines at all */
	struct og_proc p = sentinel();

	ck_assert_int_eq(src_proc_parse_status("Name:\tkthreadd\nState:\tS (sleeping)\n"
					       "Uid:\t0\t0\t0\t0\nKthread:\t1\nThreads:\t1\n",
					       &p),
			 0);
	ck_assert_uint_eq(p.uid, 0);
	ck_assert_uint_eq(p.rss_anon_bytes, 0);
	ck_assert_uint_eq(p.rss_file_bytes, 0);
	ck_assert_uint_eq(p.swap_bytes, 0);
}
END_TEST

START_TEST(status_malformed)
{
	static const char *const bad[] = {
		"",
		"Name:\tsshd\n",
		"Uid:\n",
		"Uid:\tx\t0\t0\t0\n",
		"Uid:\t99999999999\t0\t0\t0\n",
		"Uid:\t10x\t0\n",
		"Uid:\t0\t0\t0\t0\nUid:\t1\t1\t1\t1\n",
		"Uid:\t0\t0\t0\t0\nRssAnon:\t12 MB\n",
		"Uid:\t0\t0\t0\t0\nRssAnon:\t12\n",
		"Uid:\t0\t0\t0\t0\nVmSwap:\t 99999999999999999999 kB\n",
		"Uid:\t0\t0\t0\t0\nRssFile:\t18014398509481984 kB\n", /* overflows in bytes */
		"Uid:\t0\t0\t0\t0\nRssAnon:\t1 kB\nRssAnon:\t2 kB\n",
	};

	for (size_t i = 0; i < OG_ELEMENTSOF(bad); i++) {
		struct og_proc p = sentinel();

		ck_assert_msg(src_proc_parse_status(bad[i], &p) == -EBADMSG, "case %zu accepted",
			      i);
		assert_untouched(&p);
	}
}
END_TEST

START_TEST(cgroup_unified)
{
	struct og_proc p = sentinel();

	ck_assert_int_eq(src_proc_parse_cgroup("0::/system.slice/nginx.service\n", &p), 0);
	ck_assert_str_eq(p.cgroup, "/system.slice/nginx.service");
	ck_assert_str_eq(p.memcg_v1, "");
	ck_assert_str_eq(p.unit, "nginx.service");
}
END_TEST

START_TEST(cgroup_hybrid)
{
	struct og_proc p = sentinel();
	const char *buf =
		"12:memory:/system.slice/system-devstack.slice/devstack@n-api.service\n"
		"11:cpuset:/\n"
		"4:cpu,cpuacct:/system.slice/system-devstack.slice/devstack@n-api.service\n"
		"1:name=systemd:/system.slice/system-devstack.slice/devstack@n-api.service\n"
		"0::/system.slice/system-devstack.slice/devstack@n-api.service\n";

	ck_assert_int_eq(src_proc_parse_cgroup(buf, &p), 0);
	ck_assert_str_eq(p.cgroup, "/system.slice/system-devstack.slice/devstack@n-api.service");
	ck_assert_str_eq(p.memcg_v1, "/system.slice/system-devstack.slice/devstack@n-api.service");
	ck_assert_str_eq(p.unit, "devstack@n-api.service");

	/* memory co-mounted with other controllers; no cgroup2 line and no systemd */
	p = sentinel();
	ck_assert_int_eq(src_proc_parse_cgroup("3:cpu,memory,pids:/jobs/a\n2:cpuset:/\n", &p), 0);
	ck_assert_str_eq(p.memcg_v1, "/jobs/a");
	ck_assert_str_eq(p.cgroup, "/");
	ck_assert_str_eq(p.unit, "");

	/* "memoryx" is not "memory" */
	p = sentinel();
	ck_assert_int_eq(src_proc_parse_cgroup("3:memoryx:/a\n0::/\n", &p), 0);
	ck_assert_str_eq(p.memcg_v1, "");

	/* v1-only host: the unit comes from name=systemd */
	p = sentinel();
	ck_assert_int_eq(src_proc_parse_cgroup("5:memory:/system.slice/cron.service\n"
					       "1:name=systemd:/system.slice/cron.service\n",
					       &p),
			 0);
	ck_assert_str_eq(p.cgroup, "/");
	ck_assert_str_eq(p.unit, "cron.service");

	/* this machine: cgroup2 at the root, memory elsewhere, no unit */
	p = sentinel();
	ck_assert_int_eq(src_proc_parse_cgroup("4:memory:/process_api/5149\n0::/\n", &p), 0);
	ck_assert_str_eq(p.cgroup, "/");
	ck_assert_str_eq(p.memcg_v1, "/process_api/5149");
	ck_assert_str_eq(p.unit, "");
}
END_TEST

START_TEST(cgroup_overlong_path)
{
	char buf[OG_CGROUP_PATH_MAX + 200], *q = buf;
	struct og_proc p;

	q += sprintf(q, "0::/system.slice/x.service/");
	memset(q, 'd', OG_CGROUP_PATH_MAX);
	q[OG_CGROUP_PATH_MAX] = '\n';
	q[OG_CGROUP_PATH_MAX + 1] = '\0';
	ck_assert_int_eq(src_proc_parse_cgroup(buf, &p), 0);
	ck_assert_str_eq(p.cgroup, ""); /* unknown, never a truncated path */
	ck_assert_str_eq(p.unit, "x.service");
}
END_TEST

START_TEST(cgroup_malformed)
{
	static const char *const bad[] = {
		"",	  "\n",	     "garbage\n",     "0::\n",
		"0:/x\n", "x::/a\n", "0::relative\n", "0::/ok\nbroken\n",
	};

	for (size_t i = 0; i < OG_ELEMENTSOF(bad); i++) {
		struct og_proc p = sentinel();

		ck_assert_msg(src_proc_parse_cgroup(bad[i], &p) == -EBADMSG, "case %zu accepted",
			      i);
		assert_untouched(&p);
	}
}
END_TEST

START_TEST(unit_table)
{
	static const struct {
		const char *path;
		const char *unit;
	} cases[] = {
		{"/", ""},
		{"", ""},
		{"/init.scope", "init.scope"},
		{"/system.slice", ""},
		{"/system.slice/nginx.service", "nginx.service"},
		{"/system.slice/system-devstack.slice/devstack@n-api.service",
		 "devstack@n-api.service"},
		{"/system.slice/docker-0123abcd.scope/init", "docker-0123abcd.scope"},
		{"/user.slice/user-1000.slice/session-3.scope", "session-3.scope"},
		{"/user.slice/user-1000.slice/user@1000.service/app.slice/"
		 "app-gnome-firefox-2211.scope",
		 "user@1000.service"},
		{"/user.slice/user-1000.slice/user@1000.service/init.scope", "user@1000.service"},
		{"/machine.slice/machine-qemu\\x2d1\\x2dvm01.scope/libvirt/emulator",
		 "machine-qemu\\x2d1\\x2dvm01.scope"},
		{"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1a2b.slice/"
		 "cri-containerd-99ff.scope",
		 "cri-containerd-99ff.scope"},
		{"/system.slice/_cpu.service", "cpu.service"}, /* cg_escape()d name */
		{"/docker/0123abcd", ""}, /* first non-slice component is no unit */
		{"/process_api/51499669ef921f191dd3eece3f3ff6ae", ""},
		{"/system.slice/foo@.service", ""}, /* a template never runs */
		{"/system.slice/@x.service", ""},
		{"/system.slice/bad name.service", ""},
		{"/system.slice/noext", ""},
		{"/system.slice/x.bogus", ""},
		{"//system.slice//cron.service/", "cron.service"},
		{"/dev-hugepages.mount", "dev-hugepages.mount"},
	};

	for (size_t i = 0; i < OG_ELEMENTSOF(cases); i++) {
		char unit[OG_UNIT_MAX];

		ck_assert_int_eq(src_unit_from_cgroup(cases[i].path, unit, sizeof(unit)), 0);
		ck_assert_msg(strcmp(unit, cases[i].unit) == 0, "'%s': got '%s', want '%s'",
			      cases[i].path, unit, cases[i].unit);
	}
}
END_TEST

START_TEST(unit_buffer_too_small)
{
	char unit[8];

	ck_assert_int_eq(src_unit_from_cgroup("/system.slice/nginx.service", unit, sizeof(unit)),
			 -ENOBUFS);
	ck_assert_int_eq(src_unit_from_cgroup("/system.slice/a.scope", unit, sizeof(unit)), 0);
	ck_assert_str_eq(unit, "a.scope");
}
END_TEST

static int open_fixture(struct og_root *root, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
	return og_root_open(root, path);
}

static const struct og_proc *find(const struct og_proc *arr, size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (arr[i].pid == pid)
			return &arr[i];
	return NULL;
}

START_TEST(exe_deleted_suffix_is_stripped)
{
	char a[64] = "/usr/sbin/cron (deleted)", b[64] = "/usr/sbin/cron", c[64] = " (deleted)";
	char d[64] = "/opt/x (deleted) (deleted)";

	src_proc_strip_deleted(a);
	ck_assert_str_eq(a, "/usr/sbin/cron");
	src_proc_strip_deleted(b);
	ck_assert_str_eq(b, "/usr/sbin/cron");
	src_proc_strip_deleted(c); /* nothing but the suffix: not a path, left alone */
	ck_assert_str_eq(c, " (deleted)");
	src_proc_strip_deleted(d); /* one suffix is the kernel's; the rest is the name */
	ck_assert_str_eq(d, "/opt/x (deleted)");
}
END_TEST

START_TEST(fixture_hostile)
{
	static const pid_t want[] = {1234, 1235, 1236, 1237, 1238, 1239, 1301};
	struct og_proc arr[32];
	struct og_root root;
	const struct og_proc *p;
	size_t n = 99;

	ck_assert_int_eq(open_fixture(&root, "hostile-comm"), 0);
	ck_assert_int_eq(src_read_procs(&root, arr, OG_ELEMENTSOF(arr), &n), 0);
	ck_assert_uint_eq(n, OG_ELEMENTSOF(want));
	for (size_t i = 0; i < OG_ELEMENTSOF(want); i++)
		ck_assert_msg(find(arr, n, want[i]), "pid %d missing", want[i]);

	p = find(arr, n, 1234);
	ck_assert_str_eq(p->comm, "evil) R 1 (x");
	ck_assert_int_eq(p->state, 'S');
	ck_assert_int_eq(p->ppid, 1);
	ck_assert_str_eq(p->cmdline, "evil) R 1 (x --flag");
	ck_assert_str_eq(p->exe, "/tmp/evil");
	ck_assert_uint_eq(p->rss_anon_bytes, 5000 * 1024);
	ck_assert_str_eq(p->unit, "session-2.scope");
	ck_assert_str_eq(find(arr, n, 1236)->comm, "new\nline");
	ck_assert_str_eq(find(arr, n, 1236)->cmdline, "new line x");
	ck_assert_str_eq(find(arr, n, 1235)->comm, "a b c");
	ck_assert_str_eq(find(arr, n, 1238)->comm, ")");
	ck_assert_str_eq(find(arr, n, 1239)->comm, "");

	p = find(arr, n, 1301); /* zombie */
	ck_assert_int_eq(p->state, 'Z');
	ck_assert_str_eq(p->exe, "");
	ck_assert_str_eq(p->cmdline, "");
	ck_assert_uint_eq(p->rss_anon_bytes + p->rss_file_bytes, 0);
	og_root_close(&root);
}
END_TEST

START_TEST(fixture_single_pids)
{
	struct og_root root;
	struct og_proc p = sentinel();

	ck_assert_int_eq(open_fixture(&root, "hostile-comm"), 0);
	ck_assert_int_eq(src_read_proc(&root, 2, &p), SRC_PROC_KTHREAD);
	assert_untouched(&p);
	ck_assert_int_eq(src_read_proc(&root, 1300, &p), -ENOENT); /* status gone */
	ck_assert_int_eq(src_read_proc(&root, 1302, &p), -EBADMSG); /* truncated stat */
	ck_assert_int_eq(src_read_proc(&root, 1303, &p), -ENOENT); /* empty pid dir */
	ck_assert_int_eq(src_read_proc(&root, 424242, &p), -ENOENT);
	ck_assert_int_eq(src_read_proc(&root, 0, &p), -EINVAL);
	assert_untouched(&p);
	ck_assert_int_eq(src_read_proc(&root, 1235, &p), 0);
	ck_assert_str_eq(p.comm, "a b c");
	ck_assert_str_eq(p.exe, "/tmp/a b c");
	og_root_close(&root);
}
END_TEST

START_TEST(fixture_table_full)
{
	struct og_proc arr[3];
	struct og_root root;
	size_t n = 0;

	ck_assert_int_eq(open_fixture(&root, "hostile-comm"), 0);
	ck_assert_int_eq(src_read_procs(&root, arr, OG_ELEMENTSOF(arr), &n), 1);
	ck_assert_uint_eq(n, 3);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_gt(arr[i].pid, 1000);
	og_root_close(&root);
}
END_TEST

START_TEST(fixture_without_cmdline_exe)
{
	struct og_proc arr[32];
	struct og_root root;
	const struct og_proc *p;
	size_t n = 0;

	ck_assert_int_eq(open_fixture(&root, "hostile-comm"), 0);
	ck_assert_int_eq(src_read_procs_opt(&root, SRC_PROC_NO_CMDLINE_EXE, arr, 32, &n), 0);
	ck_assert_uint_eq(n, 7);
	p = find(arr, n, 1234);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->comm, "evil) R 1 (x");
	ck_assert_str_eq(p->cmdline, "");
	ck_assert_str_eq(p->exe, "");
	ck_assert_uint_eq(p->rss_anon_bytes, 5000 * 1024);
	ck_assert_str_eq(p->unit, "session-2.scope");
	og_root_close(&root);
}
END_TEST

START_TEST(fixture_openstack)
{
	static struct og_proc arr[256];
	struct og_root root;
	size_t n = 0, napi = 0, nnova = 0;
	const struct og_proc *zk = NULL, *top1 = NULL, *top2 = NULL;

	ck_assert_int_eq(open_fixture(&root, "openstack-devstack"), 0);
	ck_assert_int_eq(src_read_procs(&root, arr, OG_ELEMENTSOF(arr), &n), 0);
	ck_assert_uint_eq(n, 78); /* 81 pids minus 3 kernel threads */
	for (size_t i = 0; i < n; i++) {
		const struct og_proc *p = &arr[i];
		static const char *const api_units[] = {
			"devstack@n-api.service",    "devstack@q-svc.service",
			"devstack@g-api.service",    "devstack@c-api.service",
			"devstack@keystone.service",
		};

		for (size_t u = 0; u < OG_ELEMENTSOF(api_units); u++)
			if (strcmp(p->unit, api_units[u]) == 0 && p->ppid != 1)
				napi++; /* a worker: forked by the service's parent */
		if (strcmp(p->unit, "devstack@n-api.service") == 0) {
			nnova++;
			ck_assert_str_eq(
				p->cgroup,
				"/system.slice/system-devstack.slice/devstack@n-api.service");
			ck_assert_str_eq(p->memcg_v1, p->cgroup);
			ck_assert_str_eq(p->cmdline, "/usr/bin/python /usr/local/bin/nova-api");
		}
		if (strstr(p->cmdline, "org.apache.zookeeper.server.quorum.QuorumPeerMain"))
			zk = p;
		if (!top1 || p->rss_anon_bytes > top1->rss_anon_bytes) {
			top2 = top1;
			top1 = p;
		} else if (!top2 || p->rss_anon_bytes > top2->rss_anon_bytes) {
			top2 = p;
		}
	}
	ck_assert_uint_eq(nnova, 25); /* the parent + 24 workers */
	ck_assert_uint_gt(napi, 50);
	ck_assert_ptr_nonnull(zk);
	/* ~900 bytes of java command line: head and tail kept around " ... " */
	ck_assert_uint_eq(strlen(zk->cmdline), OG_CMDLINE_MAX - 1);
	ck_assert(og_startswith(zk->cmdline, "/usr/bin/java -cp /etc/zookeeper/conf:"));
	ck_assert_ptr_nonnull(strstr(zk->cmdline, " ... "));
	{
		const char *end = "QuorumPeerMain /etc/zookeeper/conf/zoo.cfg";

		ck_assert_str_eq(zk->cmdline + strlen(zk->cmdline) - strlen(end), end);
	}
	ck_assert_str_eq(zk->unit, "zookeeper.service");
	ck_assert_str_eq(zk->comm, "java");
	ck_assert_str_eq(top1->comm, "mysqld");
	ck_assert_ptr_eq(top2, zk); /* the stray zookeeper is the second largest */
	og_root_close(&root);
}
END_TEST

/* The RHEL 7 (3.10) tree: non-zero anon for every user process, from statm; kthreads out. */
START_TEST(fixture_rhel7_statm)
{
	struct og_proc arr[32];
	struct og_root root;
	const struct og_proc *p;
	size_t n = 0;

	ck_assert_int_eq(open_fixture(&root, "rhel7-3.10"), 0);
	ck_assert_int_eq(src_read_procs(&root, arr, OG_ELEMENTSOF(arr), &n), 0);
	og_root_close(&root);
	ck_assert_uint_eq(n, 13);
	ck_assert_ptr_null(find(arr, n, 2));
	ck_assert_ptr_null(find(arr, n, 38));
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(arr[i].rss_source, OG_RSS_STATM);
		ck_assert_uint_gt(arr[i].rss_anon_bytes, 0);
		ck_assert_uint_gt(arr[i].rss_file_bytes, 0);
		ck_assert(!arr[i].kthread);
	}
	p = find(arr, n, 2301);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->rss_anon_bytes, 15930000ULL * 1024);
	ck_assert_uint_eq(p->rss_file_bytes, 13600ULL * 1024);
	ck_assert_uint_eq(p->swap_bytes, 2604000ULL * 1024);
	ck_assert_str_eq(p->unit, "machine-qemu\\x2d1\\x2dweb01.scope");
	ck_assert_str_eq(p->memcg_v1, "/");
	ck_assert_str_eq(p->cgroup, "/");
	p = find(arr, n, 1);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->unit, ""); /* systemd 219: PID 1 in the root, no init.scope */
	ck_assert_str_eq(find(arr, n, 1031)->unit, "sshd.service");
}
END_TEST

START_TEST(fixture_pure_cgroup2)
{
	struct og_proc arr[64];
	struct og_root root;
	size_t n = 0, workers = 0;

	ck_assert_int_eq(open_fixture(&root, "pure-cgroup2"), 0);
	ck_assert_int_eq(src_read_procs(&root, arr, OG_ELEMENTSOF(arr), &n), 0);
	ck_assert_uint_eq(n, 12);
	for (size_t i = 0; i < n; i++) {
		ck_assert_str_eq(arr[i].memcg_v1, "");
		if (arr[i].uid == 33) {
			workers++;
			ck_assert_str_eq(arr[i].unit, "nginx.service");
			ck_assert_int_eq(arr[i].ppid, 901);
			ck_assert_str_eq(arr[i].cmdline, "nginx: worker process");
		}
	}
	ck_assert_uint_eq(workers, 4);
	ck_assert_str_eq(find(arr, n, 1)->unit, "init.scope");
	ck_assert_str_eq(find(arr, n, 1530)->unit, "user@1000.service");
	ck_assert_int_eq(find(arr, n, 812)->oom_score_adj, -1000);
	ck_assert_int_eq(find(arr, n, 812)->oom_score, 0);
	og_root_close(&root);
}
END_TEST

START_TEST(live_self)
{
	struct og_root root;
	struct og_proc p;
	char comm[17] = "";

	ck_assert_int_eq(prctl(PR_GET_NAME, comm), 0);
	ck_assert_int_eq(og_root_open(&root, "/"), 0);
	ck_assert_int_eq(src_read_proc(&root, getpid(), &p), 0);
	ck_assert_int_eq(p.pid, getpid());
	ck_assert_int_eq(p.ppid, getppid());
	ck_assert_uint_eq(p.uid, getuid());
	ck_assert_str_eq(p.comm, comm);
	ck_assert_uint_gt(p.rss_anon_bytes, 0);
	ck_assert_uint_gt(p.starttime_ticks, 0);
	ck_assert_ptr_nonnull(strstr(p.exe, "check_src_proc"));
	ck_assert_ptr_nonnull(strstr(p.cmdline, "check_src_proc"));
	ck_assert_ptr_nonnull(strstr(p.exe, comm));
	ck_assert_int_eq(p.cgroup[0], '/');
	og_root_close(&root);
}
END_TEST

START_TEST(live_kthread_and_all)
{
	static struct og_proc arr[8192];
	struct og_root root;
	struct og_proc p;
	size_t n = 0;

	ck_assert_int_eq(og_root_open(&root, "/"), 0);
	ck_assert_int_eq(src_read_proc(&root, 2, &p), SRC_PROC_KTHREAD); /* kthreadd */
	ck_assert_int_ge(src_read_procs(&root, arr, OG_ELEMENTSOF(arr), &n), 0);
	ck_assert_ptr_nonnull(find(arr, n, getpid()));
	ck_assert_ptr_null(find(arr, n, 2));
	for (size_t i = 0; i < n; i++)
		ck_assert_int_gt(arr[i].pid, 0);
	og_root_close(&root);
}
END_TEST

START_TEST(live_vanished_and_zombie)
{
	struct og_root root;
	struct og_proc p = sentinel();
	pid_t child;
	int status;

	ck_assert_int_eq(og_root_open(&root, "/"), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0)
		_exit(0);
	/* not reaped yet: a zombie, still listed */
	for (int i = 0; i < 200; i++) {
		ck_assert_int_eq(src_read_proc(&root, child, &p), 0);
		if (p.state == 'Z')
			break;
		usleep(10000);
	}
	ck_assert_int_eq(p.state, 'Z');
	ck_assert_uint_eq(p.rss_anon_bytes, 0);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	p = sentinel();
	ck_assert_int_eq(src_read_proc(&root, child, &p), -ENOENT);
	assert_untouched(&p);
	og_root_close(&root);
}
END_TEST

static Suite *src_proc_suite(void)
{
	Suite *s = suite_create("src_proc");
	TCase *tc = tcase_create("parse");
	TCase *fx = tcase_create("fixtures");
	TCase *live = tcase_create("live");

	tcase_add_test(tc, stat_plain);
	tcase_add_test(tc, exe_deleted_suffix_is_stripped);
	tcase_add_test(tc, stat_hostile_comm);
	tcase_add_test(tc, stat_long_comm_truncated);
	tcase_add_test(tc, stat_kernel_thread);
	tcase_add_test(tc, stat_malformed);
	tcase_add_test(tc, status_plain);
	tcase_add_test(tc, status_no_mm);
	tcase_add_test(tc, status_before_4_5_has_vmrss_only);
	tcase_add_test(tc, statm_splits_anon_and_file);
	tcase_add_test(tc, smaps_rollup_anonymous);
	tcase_add_test(tc, status_malformed);
	tcase_add_test(tc, cgroup_unified);
	tcase_add_test(tc, cgroup_hybrid);
	tcase_add_test(tc, cgroup_overlong_path);
	tcase_add_test(tc, cgroup_malformed);
	tcase_add_test(tc, unit_table);
	tcase_add_test(tc, unit_buffer_too_small);
	suite_add_tcase(s, tc);

	tcase_add_test(fx, fixture_hostile);
	tcase_add_test(fx, fixture_single_pids);
	tcase_add_test(fx, fixture_table_full);
	tcase_add_test(fx, fixture_without_cmdline_exe);
	tcase_add_test(fx, fixture_openstack);
	tcase_add_test(fx, fixture_pure_cgroup2);
	tcase_add_test(fx, fixture_rhel7_statm);
	tcase_add_test(fx, rss_fallback_chain);
	suite_add_tcase(s, fx);

	tcase_add_test(live, live_self);
	tcase_add_test(live, live_kthread_and_all);
	tcase_add_test(live, live_vanished_and_zombie);
	tcase_set_timeout(live, 20);
	suite_add_tcase(s, live);
	return s;
}

int main(void)
{
	return og_check_run(src_proc_suite());
}
