/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ExecAfterAction= (guardian/loop/loop_hook.c): the environment a hook gets, a hook that
 * writes its environment to a file, a hook that hangs (killed after the timeout, the next one
 * still runs, the sender never blocks), and the notifier's end with the daemon's socket.
 * Hooks are small shell scripts in a temp dir; every wait polls a condition (generous
 * deadline), never a fixed sleep.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guardian/loop/loop_hook.h"
#include "policy/config/cfg.h"
#include "og_check.h"

#define WAIT_SEC 30 /* a loaded 2-core machine: generous */

static char dir[OG_TMPROOT_MAX];

static void setup(void)
{
	og_tmproot_create(dir);
}

static void teardown(void)
{
	loop_hook_stop();
	og_tmproot_remove(dir);
}

/* An executable script dir/name with body. */
static void script(const char *name, const char *body)
{
	char path[256], text[1024];

	snprintf(text, sizeof(text), "#!/bin/sh\n%s\n", body);
	og_tmproot_put(dir, name, text);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_int_eq(chmod(path, 0755), 0);
}

static bool exists(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

/* Poll until dir/name exists; false after WAIT_SEC. */
static bool wait_file(const char *name)
{
	struct timespec d = {0, 20 * 1000 * 1000};

	for (int i = 0; i < WAIT_SEC * 50; i++) {
		if (exists(name))
			return true;
		nanosleep(&d, NULL);
	}
	return false;
}

static char *slurp(const char *name)
{
	static char buf[8192];
	char path[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static int notify(const char *text)
{
	return loop_hook_notify("/var/lib/oomguardian/reports/1.report", text, strlen(text));
}

START_TEST(hook_env_from_report)
{
	static const char msg[] = "/r/7.report\nresult=killed\nvictim_pid=4242\nBad-Key=x\n"
				  "noequals\nrule=og.conf:12 [Kill]\n";
	char buf[1024], *envp[8];
	size_t n = loop_hook_build_env(msg, sizeof(msg) - 1, buf, sizeof(buf), envp, 8);

	ck_assert_uint_eq(n, 5);
	ck_assert(strncmp(envp[0], "PATH=", 5) == 0);
	ck_assert_str_eq(envp[1], "OOMGUARDIAN_REPORT=/r/7.report");
	ck_assert_str_eq(envp[2], "OOMGUARDIAN_RESULT=killed");
	ck_assert_str_eq(envp[3], "OOMGUARDIAN_VICTIM_PID=4242");
	ck_assert_str_eq(envp[4], "OOMGUARDIAN_RULE=og.conf:12 [Kill]");
	ck_assert_ptr_null(envp[5]);
	/* a small envp or buffer cuts, never overflows */
	ck_assert_uint_eq(loop_hook_build_env(msg, sizeof(msg) - 1, buf, sizeof(buf), envp, 3), 2);
	ck_assert_ptr_null(envp[2]);
	ck_assert_uint_le(loop_hook_build_env(msg, sizeof(msg) - 1, buf, 40, envp, 8), 1);
}
END_TEST

START_TEST(hook_off_does_nothing)
{
	ck_assert_int_eq(loop_hook_start("", 0), 0);
	ck_assert_int_eq(loop_hook_start(NULL, 0), 0);
	ck_assert_int_eq(loop_hook_pid(), -1);
	ck_assert_int_eq(notify("result=killed\n"), 0);
}
END_TEST

START_TEST(hook_gets_the_report_in_its_env)
{
	char cmd[256];
	const char *env;

	script("hook", "env | grep '^OOMGUARDIAN_' | sort >\"$1.tmp\"; echo \"args=$#\" >>\"$1.tmp\"; "
		       "mv \"$1.tmp\" \"$1\"");
	snprintf(cmd, sizeof(cmd), "%s/hook %s/out", dir, dir);
	ck_assert_int_eq(loop_hook_start(cmd, 0), 0);
	ck_assert_int_gt(loop_hook_pid(), 0);
	ck_assert_int_eq(loop_hook_start(cmd, 0), -EALREADY);
	ck_assert_int_eq(notify("result=killed\nvictim_pid=4242\nfreed_bytes=1048576\n"), 1);
	ck_assert_msg(wait_file("out"), "the hook did not run");
	env = slurp("out");
	ck_assert_ptr_nonnull(strstr(env, "OOMGUARDIAN_REPORT=/var/lib/oomguardian/reports/1.report\n"));
	ck_assert_ptr_nonnull(strstr(env, "OOMGUARDIAN_RESULT=killed\n"));
	ck_assert_ptr_nonnull(strstr(env, "OOMGUARDIAN_VICTIM_PID=4242\n"));
	ck_assert_ptr_nonnull(strstr(env, "OOMGUARDIAN_FREED_BYTES=1048576\n"));
	ck_assert_ptr_nonnull(strstr(env, "args=1\n"));
}
END_TEST

/*
 * A hook that hangs: the sender never waits (a full queue drops), the hung hook (and what it
 * started) is killed after the timeout, and the next notification runs its hook.
 */
START_TEST(hook_that_hangs_is_killed_and_never_blocks)
{
	char cmd[256], *pidtext;
	int queued = 0, dropped = 0;
	pid_t hung, child;

	/* first run: write our pid and a child's, then hang; later runs: mark "second" */
	script("hook", "d=$(dirname \"$0\"); if [ ! -e \"$d/hung.pid\" ]; then "
		       "sleep 600 & echo \"$$ $!\" >\"$d/hung.tmp\"; mv \"$d/hung.tmp\" \"$d/hung.pid\"; "
		       "wait; else touch \"$d/second\"; fi");
	snprintf(cmd, sizeof(cmd), "%s/hook", dir);
	ck_assert_int_eq(loop_hook_start(cmd, 1000000), 0); /* 1 s */
	ck_assert_int_eq(notify("result=killed\n"), 1);
	ck_assert_msg(wait_file("hung.pid"), "the first hook did not start");
	pidtext = slurp("hung.pid");
	ck_assert_int_eq(sscanf(pidtext, "%d %d", &hung, &child), 2);
	/* While it hangs, notifications queue and then drop; none of them waits. */
	for (int i = 0; i < 2000; i++) {
		int r = notify("result=killed\nvictim_pid=1\n");

		ck_assert(r == 1 || r == -EAGAIN);
		r == 1 ? queued++ : dropped++;
	}
	ck_assert_int_gt(queued, 0);
	ck_assert_int_gt(dropped, 0);
	ck_assert_msg(wait_file("second"), "the hook after the hung one did not run");
	/* the hung hook and the sleep it started were killed with its process group */
	ck_assert_int_eq(kill(hung, 0) < 0 ? errno : 0, ESRCH);
	for (int i = 0; i < WAIT_SEC * 50 && kill(child, 0) == 0; i++)
		nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
	ck_assert_int_eq(kill(child, 0) < 0 ? errno : 0, ESRCH);
}
END_TEST

START_TEST(hook_notifier_ends_with_the_socket)
{
	char cmd[256];
	pid_t pid;

	script("hook", "exit 3");
	snprintf(cmd, sizeof(cmd), "%s/hook", dir);
	ck_assert_int_eq(loop_hook_start(cmd, 0), 0);
	pid = loop_hook_pid();
	ck_assert_int_eq(notify("result=killed\n"), 1);
	loop_hook_stop(); /* waits for it: it must exit once the socket closes */
	ck_assert_int_eq(kill(pid, 0) < 0 ? errno : 0, ESRCH);
	ck_assert_int_eq(loop_hook_pid(), -1);
	ck_assert_int_eq(notify("result=killed\n"), 0);
}
END_TEST

/* The config keys (policy/config/cfg_main.c): absolute path, timeout range, default off. */
START_TEST(hook_config_keys)
{
	static const char ok[] = "[Guardian]\nExecAfterAction=/usr/local/bin/notify --to ops\n"
				 "ExecAfterActionTimeoutSec=30s\n";
	static const char rel[] = "[Guardian]\nExecAfterAction=notify\n";
	static const char slow[] = "[Guardian]\nExecAfterActionTimeoutSec=2h\n";
	struct pol_config cfg;
	struct cfg_diag diag;

	cfg_diag_init(&diag);
	cfg_config_defaults(&cfg);
	ck_assert_int_eq(cfg_parse_conf_buf("og.conf", "[Guardian]\n", 11, &cfg, &diag), 0);
	ck_assert_str_eq(cfg.exec_after_action, "");
	ck_assert_uint_eq(cfg.exec_after_action_timeout_usec, 10000000);
	ck_assert_int_eq(cfg_parse_conf_buf("og.conf", ok, sizeof(ok) - 1, &cfg, &diag), 0);
	ck_assert_str_eq(cfg.exec_after_action, "/usr/local/bin/notify --to ops");
	ck_assert_uint_eq(cfg.exec_after_action_timeout_usec, 30000000);
	ck_assert_int_lt(cfg_parse_conf_buf("og.conf", rel, sizeof(rel) - 1, &cfg, &diag), 0);
	ck_assert_int_lt(cfg_parse_conf_buf("og.conf", slow, sizeof(slow) - 1, &cfg, &diag), 0);
	ck_assert_uint_eq(diag.nerrors, 2);
	ck_assert_str_eq(diag.entries[0].key, "ExecAfterAction");
	ck_assert_uint_eq(diag.entries[0].line, 2);
	cfg_diag_free(&diag);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("loop_hook");
	TCase *tc = tcase_create("hook");

	tcase_set_timeout(tc, 2 * WAIT_SEC + 10);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, hook_env_from_report);
	tcase_add_test(tc, hook_off_does_nothing);
	tcase_add_test(tc, hook_gets_the_report_in_its_env);
	tcase_add_test(tc, hook_that_hangs_is_killed_and_never_blocks);
	tcase_add_test(tc, hook_notifier_ends_with_the_socket);
	tcase_add_test(tc, hook_config_keys);
	suite_add_tcase(s, tc);
	return og_check_run(s);
}
