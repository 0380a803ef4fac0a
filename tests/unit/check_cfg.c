/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * policy/cfg_*.c: the config languages, their diagnostics, the policy.d merge and the round
 * trip of the normalised output. Links libogpolicy only: the parser needs nothing of guardian/.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/config/cfg.h"
#include "tests/unit/og_check.h"

#define MERGE FIXTURES "/policy-merge"
#define BROKEN FIXTURES "/policy-broken"
#define P "/t/10-test.policy"
#define C "/t/oomguardian.conf"

static struct cfg_diag diag;

static void setup(void)
{
	cfg_diag_init(&diag);
}

static void teardown(void)
{
	cfg_diag_free(&diag);
}

static bool has_diag(const char *exact)
{
	char buf[1024];

	for (size_t i = 0; i < diag.n; i++)
		if (strcmp(cfg_diag_format(&diag.entries[i], buf, sizeof(buf)), exact) == 0)
			return true;
	return false;
}

static void dump_diag(void)
{
	cfg_diag_print(&diag, stderr);
}

#define ck_assert_diag(exact)                                                    \
	do {                                                                     \
		if (!has_diag(exact))                                            \
			dump_diag();                                             \
		ck_assert_msg(has_diag(exact), "missing diagnostic: %s", exact); \
	} while (0)

static int parse_policy(const char *text, struct pol_service *s)
{
	return cfg_parse_policy_buf(P, text, strlen(text), MERGE, NULL, s, &diag);
}

static int parse_conf(const char *text, struct pol_config *cfg)
{
	cfg_config_defaults(cfg);
	return cfg_parse_conf_buf(C, text, strlen(text), cfg, &diag);
}

/* The text must be rejected with exactly this diagnostic among its errors. */
static void policy_fails(const char *text, const char *expected)
{
	struct pol_service s = {.name = "untouched"};

	ck_assert_int_eq(parse_policy(text, &s), -EINVAL);
	ck_assert_str_eq(s.name, "untouched");
	ck_assert_uint_ge(diag.nerrors, 1);
	ck_assert_diag(expected);
}

static void conf_fails(const char *text, const char *expected)
{
	struct pol_config cfg;

	ck_assert_int_eq(parse_conf(text, &cfg), -EINVAL);
	ck_assert_diag(expected);
}

/* ------------------------------------------------------------------ error classes */
START_TEST(unknown_key)
{
	policy_fails("[Match]\nName=sshd\nColour=blue\n[Policy]\nProtect=yes\n",
		     P ":3: Colour: unknown key in [Match]");
	ck_assert_uint_eq(diag.nerrors, 1);
}
END_TEST

START_TEST(key_in_wrong_section)
{
	policy_fails("[Match]\nName=sshd\nProtect=yes\n", P ":3: Protect: unknown key in [Match]");
}
END_TEST

START_TEST(unknown_section_reported_once)
{
	policy_fails("[Match]\nName=sshd\n[Service]\nA=1\nB=2\n[Policy]\nProtect=yes\n",
		     P ":3: [Service]: unknown section, expected [Match] or [Policy]");
	ck_assert_uint_eq(diag.nerrors, 1); /* A= and B= below it are not reported again */
}
END_TEST

START_TEST(bad_value)
{
	policy_fails("[Match]\nName=x\n[Policy]\nKillUnit=thread\n",
		     P ":4: KillUnit: expected one of process|process-group|cgroup, got 'thread'");
	policy_fails("[Match]\nName=x\n[Policy]\nProtect=maybe\n",
		     P ":4: Protect: expected a boolean (yes or no), got 'maybe'");
	policy_fails("[Match]\nName=x\n[Policy]\nMemoryBudget=4X\n", P
		     ":4: MemoryBudget: expected a size of at least 1M or a percentage, got '4X'");
	policy_fails("[Match]\nName=x\n[Policy]\nPressureLimit=half 20% 10s\n",
		     P ":4: PressureLimit: expected 'some|full PERCENT DURATION', got "
		       "'half 20% 10s'");
}
END_TEST

START_TEST(out_of_range)
{
	policy_fails("[Match]\nName=x\n[Policy]\nOOMScoreAdjust=-1001\n",
		     P ":4: OOMScoreAdjust: expected an integer -1000..1000, got '-1001'");
	policy_fails("[Match]\nName=x\n[Policy]\nTermGraceSec=11min\n",
		     P ":4: TermGraceSec: expected a duration 0-10min, got '11min'");
	policy_fails("[Match]\nName=x\n[Policy]\nPressureLimit=full 120% 10s\n",
		     P ":4: PressureLimit: expected a pressure 0.01%-100%, got '120%'");
	conf_fails(
		"[Reclaim]\nMemoryAvailableBelow=60%\n",
		C ":2: MemoryAvailableBelow: expected a percentage 0.01%-50% or a size, got '60%'");
	conf_fails("[Guardian]\nKillTimeoutSec=0\n",
		   C ":2: KillTimeoutSec: expected a duration 1s-10min, got '0'");
}
END_TEST

START_TEST(bad_regex)
{
	policy_fails("[Match]\nCmdline=~^python3 (nova\n[Policy]\nKillPreference=prefer\n",
		     P ":2: Cmdline: bad regular expression '^python3 (nova': Unmatched ( or \\(");
	policy_fails("[Match]\nCmdline=nova-api\n",
		     P ":2: Cmdline: expected '~' and a POSIX extended regular expression, got "
		       "'nova-api'");
}
END_TEST

/* Found by tests/fuzz/fuzz_policy.c: glibc regcomp needed > 2 GiB for stacked repetitions. */
START_TEST(regex_too_complex)
{
	struct pol_service s;

	policy_fails("[Match]\nCmdline=~((((a+)+)+)+)+b+++++++++++++++\n",
		     P ":2: Cmdline: regular expression '((((a+)+)+)+)+b+++++++++++++++' too "
		       "complex (nested repetitions)");
	policy_fails("[Match]\nCmdline=~(x{200}){200}\n",
		     P ":2: Cmdline: regular expression '(x{200}){200}' too complex (nested "
		       "repetitions)");
	/* an unbalanced ')' (glibc takes it as a literal) does not hang the estimate: it did */
	ck_assert_int_eq(parse_policy("[Match]\nCmdline=~a)+\n[Policy]\nProtect=yes\n", &s), 0);
	pol_service_free(&s);
	/* ordinary patterns, bounded repetition included, are fine */
	ck_assert_int_eq(parse_policy("[Match]\nCmdline=~^/usr/bin/python3 .*(nova|neutron)-api\n"
				      "Cmdline=~[0-9]{1,5}[[:space:]]+x(ab)*c+\n"
				      "[Policy]\nKillPreference=prefer\n",
				      &s),
			 0);
	ck_assert_uint_eq(s.match.cmdline_src.n, 2);
	pol_service_free(&s);
}
END_TEST

START_TEST(protect_prefer_contradiction)
{
	policy_fails("[Match]\nName=sshd\n[Policy]\nProtect=yes\nKillPreference=prefer\n",
		     P ":5: KillPreference: 'prefer' contradicts Protect=yes (line 4): a protected "
		       "process is never killed");
	policy_fails("[Match]\nName=sshd\n[Policy]\nProtect=yes\nNUMA=yes\n",
		     P ":5: NUMA: contradicts Protect=yes (line 4): a protected process is never "
		       "migrated");
	policy_fails("[Match]\nName=sshd\n[Policy]\nThrottle=yes\nProtect=yes\n", P
		     ":4: Throttle: contradicts Protect=yes (line 5): a protected process is never "
		     "throttled");
}
END_TEST

START_TEST(ladder_out_of_order)
{
	/* kill must fire at LOWER available memory than terminate (5% by default) */
	conf_fails("[Kill]\nMemoryAvailableBelow=8%\n",
		   C ":2: MemoryAvailableBelow: [Kill] 8% must not be above [Terminate] 5%: later "
		     "stages fire at lower free memory");
	/* and at HIGHER pressure */
	conf_fails("[Terminate]\nPressureFullAbove=90% 10s\n",
		   C ":2: PressureFullAbove: [Kill] 80% must not be below [Terminate] 90%: later "
		     "stages fire at higher pressure");
	conf_fails("[Throttle]\nMemoryAvailableBelow=2G\n[Terminate]\nMemoryAvailableBelow=3G\n",
		   C ":4: MemoryAvailableBelow: [Terminate] 3G must not be above [Throttle] 2G: "
		     "later stages fire at lower free memory");
}
END_TEST

START_TEST(ladder_in_order_accepted)
{
	struct pol_config cfg;

	ck_assert_int_eq(parse_conf("[Reclaim]\nMemoryAvailableBelow=20%\n[Kill]\n"
				    "MemoryAvailableBelow=1%\nMemoryAvailableBelow=128M\n",
				    &cfg),
			 0);
	ck_assert_uint_eq(diag.n, 0);
	ck_assert_uint_eq(cfg.stage[POL_STAGE_RECLAIM].mem_avail_permyriad, 2000);
	ck_assert_uint_eq(cfg.stage[POL_STAGE_KILL].mem_avail_permyriad, 100);
	ck_assert_uint_eq(cfg.stage[POL_STAGE_KILL].mem_avail_bytes, 128ULL << 20);
	ck_assert_str_eq(cfg.stage[POL_STAGE_KILL].origin.path, C);
	ck_assert_uint_eq(cfg.stage[POL_STAGE_KILL].origin.line, 3);
}
END_TEST

START_TEST(missing_match)
{
	policy_fails("# nothing to match\n[Policy]\nKillPreference=avoid\n",
		     P ":1: [Match]: no match key: the policy would apply to every process; use "
		       "All=yes if that is meant");
	policy_fails("[Policy]\nProtect=yes\n[Match]\n",
		     P ":3: [Match]: no match key: the policy would apply to every process; use "
		       "All=yes if that is meant");
	/* resetting the only key empties the match */
	policy_fails("[Match]\nName=sshd\nName=\n[Policy]\nProtect=yes\n",
		     P ":1: [Match]: no match key: the policy would apply to every process; use "
		       "All=yes if that is meant");
}
END_TEST

START_TEST(match_all)
{
	struct pol_service s;

	ck_assert_int_eq(parse_policy("[Match]\nAll=yes\n[Policy]\nKillPreference=avoid\n", &s), 0);
	ck_assert(s.match.all);
	ck_assert_int_eq(s.kill_pref, POL_KP_AVOID);
	pol_service_free(&s);
	policy_fails("[Match]\nAll=yes\nName=sshd\n[Policy]\nKillPreference=avoid\n",
		     P ":2: All: All=yes cannot be combined with other [Match] keys");
}
END_TEST

static char *format_service(const struct pol_service *s); /* round trip, below */

START_TEST(match_children)
{
	struct pol_service s;
	char *out;

	/* default: forked copies match too (a zeroed pol_match says so) */
	ck_assert_int_eq(parse_policy("[Match]\nName=sshd\n[Policy]\nProtect=yes\n", &s), 0);
	ck_assert(!s.match.no_children);
	pol_service_free(&s);
	ck_assert_int_eq(
		parse_policy("[Match]\nName=sshd\nChildren=yes\n[Policy]\nProtect=yes\n", &s), 0);
	ck_assert(!s.match.no_children);
	pol_service_free(&s);
	ck_assert_int_eq(parse_policy("[Match]\nExe=/usr/sbin/sshd\nChildren=no\n[Policy]\n"
				      "Protect=yes\n",
				      &s),
			 0);
	ck_assert(s.match.no_children);
	out = format_service(&s);
	ck_assert_ptr_nonnull(strstr(out, "\nExe=/usr/sbin/sshd\nChildren=no\n"));
	free(out);
	pol_service_free(&s);
	policy_fails("[Match]\nName=sshd\nChildren=leader\n[Policy]\nProtect=yes\n",
		     P ":3: Children: expected a boolean (yes or no), got 'leader'");
	/* an empty assignment restores the default, as for every single-value key */
	ck_assert_int_eq(parse_policy("[Match]\nName=sshd\nChildren=no\nChildren=\n[Policy]\n"
				      "Protect=yes\n",
				      &s),
			 0);
	ck_assert(!s.match.no_children);
	pol_service_free(&s);
	policy_fails("[Children]\nName=sshd\n", P ":1: [Children]: unknown section, expected "
						  "[Match] or [Policy]");
	policy_fails("[Match]\nName=sshd\n[Policy]\nChildren=no\n",
		     P ":4: Children: unknown key in [Policy]");
	/* not a match key of its own: it narrows the others */
	policy_fails("[Match]\nChildren=no\n[Policy]\nProtect=yes\n",
		     P ":1: [Match]: no match key: the policy would apply to every process; use "
		       "All=yes if that is meant");
	policy_fails("[Match]\nAll=yes\nChildren=no\n[Policy]\nKillPreference=avoid\n",
		     P ":3: Children: Children=no cannot be combined with All=yes (a policy for "
		       "every process has no listener to tell apart from its children)");
}
END_TEST

START_TEST(syntax_errors)
{
	policy_fails("Name=sshd\n[Match]\nName=sshd\n",
		     P ":1: Name: outside of any section, expected a '[Section]' line before it");
	policy_fails("[Match]\nName sshd\n", P ":2: expected 'Key=value', got 'Name sshd'");
	policy_fails("[Match\nName=sshd\n",
		     P ":1: [Match: malformed section header, expected '[Name]'");
	policy_fails("[Ma tch]\nName=sshd\n", P ":1: [Ma tch]: invalid section name, expected "
						 "letters, digits, '_' or '-'");
	policy_fails("[]\nName=sshd\n",
		     P ":1: []: invalid section name, expected letters, digits, '_' or '-'");
	/* the key slot is always there: "path:line: Key: reason" splits on the first ": " */
	policy_fails("[Polcy]\n", P ":1: [Polcy]: unknown section, expected [Match] or [Policy]");
	policy_fails("[Match]\nNa me=sshd\n", P ":2: invalid key name 'Na me'");
}
END_TEST

START_TEST(nul_byte_and_long_lines)
{
	static const char text[] = "[Match]\nName=ss\0hd\n[Policy]\nProtect=yes\n";
	struct pol_service s;
	char *buf = malloc(6000);
	int n;

	ck_assert_int_eq(cfg_parse_policy_buf(P, text, sizeof(text) - 1, NULL, NULL, &s, &diag),
			 -EINVAL);
	ck_assert_diag(P ":2: line contains a NUL byte");

	/* longer than inih's 200-byte line buffer: still parsed, value intact */
	n = sprintf(buf, "[Match]\nCmdline=~^/usr/bin/python3 ");
	memset(buf + n, 'a', 300);
	n += 300;
	n += sprintf(buf + n, "$\n[Policy]\nKillPreference=prefer\n");
	ck_assert_int_eq(cfg_parse_policy_buf(P, buf, (size_t)n, NULL, NULL, &s, &diag), 0);
	ck_assert_uint_eq(s.match.cmdline_src.n, 1);
	ck_assert_uint_eq(strlen(s.match.cmdline_src.v[0]), 18 + 300 + 1);
	memset(buf, 'a', 400);
	memcpy(buf, "/usr/bin/python3 ", 17);
	buf[17 + 300] = '\0';
	ck_assert_int_eq(regexec(&s.match.cmdline[0], buf, 0, NULL, 0), 0);
	buf[17 + 299] = '\0';
	ck_assert_int_eq(regexec(&s.match.cmdline[0], buf, 0, NULL, 0), REG_NOMATCH);
	pol_service_free(&s);

	/* over 4096 bytes: refused, and the line count stays right for the next line */
	n = sprintf(buf, "[Match]\nName=");
	memset(buf + n, 'b', 5000);
	n += 5000;
	n += sprintf(buf + n, "\nBogus=1\n");
	ck_assert_int_eq(cfg_parse_policy_buf(P, buf, (size_t)n, NULL, NULL, &s, &diag), -EINVAL);
	ck_assert_diag(P ":2: line longer than 4096 bytes");
	ck_assert_diag(P ":3: Bogus: unknown key in [Match]");
	free(buf);
}
END_TEST

/* ------------------------------------------------------------------ warnings */
START_TEST(warning_does_not_fail)
{
	struct pol_service s;

	ck_assert_int_eq(
		parse_policy("[Match]\nName=systemd-journald\nExe=/usr/lib/systemd/systemd-journald\n"
			     "[Policy]\nProtect=yes\n",
			     &s),
		0);
	ck_assert_uint_eq(diag.nerrors, 0);
	ck_assert_uint_eq(diag.nwarnings, 1);
	ck_assert_diag(P ":2: Name: warning: 'systemd-journald' can never match: a process name "
			 "(comm) has at most 15 characters, use Exe= or Cmdline=");
	ck_assert_uint_eq(s.match.name.n, 1);
	pol_service_free(&s);
}
END_TEST

START_TEST(other_warnings)
{
	struct pol_service s;

	ck_assert_int_eq(parse_policy("[Match]\nUnit=ssh\nExe=sshd\nUser=nobody-here\n[Policy]\n"
				      "KillPreference=never\nTermGraceSec=3s\nOnBudget=kill\n",
				      &s),
			 -EINVAL); /* OnBudget=kill with never is an error */
	ck_assert_diag(P ":2: Unit: warning: 'ssh' can never match: unit names have a suffix like "
			 "'.service'");
	ck_assert_diag(P ":3: Exe: warning: 'sshd' can never match: executable paths are absolute");
	ck_assert_diag(P ":4: User: warning: unknown user 'nobody-here' in '" MERGE
			 "/etc/passwd': can never match");
	ck_assert_diag(P ":7: TermGraceSec: warning: has no effect with KillPreference=never");
	ck_assert_diag(P ":8: OnBudget: 'kill' contradicts KillPreference=never (line 6)");
	ck_assert_diag(P ":8: OnBudget: warning: has no effect without MemoryBudget= or "
			 "PressureLimit=");
}
END_TEST

/* Name= (comm) and Cmdline= are the process's own say: protection by them alone is forgeable. */
START_TEST(name_only_protection_warns)
{
	static const char *const safe[] = {
		"[Match]\nName=cron\nExe=/usr/sbin/cron\n[Policy]\nProtect=yes\n",
		"[Match]\nName=cron\nUser=0\n[Policy]\nOOMScoreAdjust=-900\n",
		"[Match]\nName=cron\nUnit=cron.service\n[Policy]\nProtect=yes\n",
		"[Match]\nName=cron\nCgroup=/system.slice/cron.service\n[Policy]\nProtect=yes\n",
		"[Match]\nAll=yes\n[Policy]\nOOMScoreAdjust=-1\n",
		/* nothing to gain from impersonating these */
		"[Match]\nName=cron\n[Policy]\nKillPreference=avoid\nOOMScoreAdjust=0\n",
		"[Match]\nName=cron\n[Policy]\nOOMScoreAdjust=500\n",
	};
	struct pol_service s;

	ck_assert_int_eq(parse_policy("# x\n[Match]\nName=cron crond\n[Policy]\nProtect=yes\n", &s),
			 0);
	ck_assert_uint_eq(diag.nerrors, 0);
	ck_assert_uint_eq(diag.nwarnings, 1);
	ck_assert_diag(P ":3: Name: warning: matches by process name only, which any process can "
			 "set (prctl PR_SET_NAME); add Exe= or Unit=");
	pol_service_free(&s);
	ck_assert_int_eq(parse_policy("[Match]\nName=x\nCmdline=~^x\n[Policy]\nOOMScoreAdjust=-1\n",
				      &s),
			 0);
	ck_assert_uint_eq(diag.nwarnings, 2);
	ck_assert_diag(P ":2: Name: warning: matches by process name only, which any process can "
			 "set (prctl PR_SET_NAME); add Exe= or Unit=");
	pol_service_free(&s);
	ck_assert_int_eq(parse_policy("[Match]\nCmdline=~^/usr/bin/x\n[Policy]\nProtect=yes\n", &s),
			 0);
	ck_assert_diag(P ":2: Cmdline: warning: matches by command line only, which any process "
			 "can set (its own argv); add Exe= or Unit=");
	pol_service_free(&s);
	cfg_diag_free(&diag);
	for (size_t i = 0; i < sizeof(safe) / sizeof(safe[0]); i++) {
		ck_assert_int_eq(parse_policy(safe[i], &s), 0);
		if (diag.n)
			dump_diag();
		ck_assert_msg(diag.n == 0, "diagnostics for: %s", safe[i]);
		pol_service_free(&s);
	}
}
END_TEST

START_TEST(prefer_with_negative_oom_score_adj_warns)
{
	struct pol_service s;

	ck_assert_int_eq(parse_policy("[Match]\nUnit=x.service\n[Policy]\nOOMScoreAdjust=-1000\n"
				      "KillPreference=prefer\n",
				      &s),
			 0);
	ck_assert_uint_eq(diag.nerrors, 0);
	ck_assert_diag(P ":5: KillPreference: warning: 'prefer' contradicts OOMScoreAdjust=-1000 "
			 "(line 4): oomguardian would kill first what the kernel's OOM killer is "
			 "told to spare");
	pol_service_free(&s);
	cfg_diag_free(&diag);
	ck_assert_int_eq(parse_policy("[Match]\nUnit=x.service\n[Policy]\nOOMScoreAdjust=300\n"
				      "KillPreference=prefer\n",
				      &s),
			 0);
	ck_assert_uint_eq(diag.n, 0);
	pol_service_free(&s);
}
END_TEST

START_TEST(scalar_given_twice_warns)
{
	struct pol_service s;
	struct pol_config cfg;

	ck_assert_int_eq(parse_policy("[Match]\nUnit=x.service\n[Policy]\nProtect=yes\nProtect=no\n",
				      &s),
			 0);
	ck_assert(!s.protect);
	ck_assert_uint_eq(diag.nwarnings, 1);
	ck_assert_diag(P ":5: Protect: warning: given twice in this file (line 4); the last one "
			 "wins");
	pol_service_free(&s);
	cfg_diag_free(&diag);
	/* an explicit reset in between is deliberate: no warning; neither across sections */
	ck_assert_int_eq(parse_policy("[Match]\nUnit=x.service\n[Policy]\nProtect=yes\nProtect=\n"
				      "Protect=no\nOOMScoreAdjust=5\nOOMScoreAdjust=\n"
				      "OOMScoreAdjust=6\n",
				      &s),
			 0);
	ck_assert_uint_eq(diag.n, 0);
	pol_service_free(&s);
	ck_assert_int_eq(parse_conf("[Guardian]\nHoldOffSec=20s\n[Kill]\nPressureFullAbove=90%\n"
				    "[Guardian]\nHoldOffSec=30s\n[Terminate]\nPressureFullAbove=50%\n"
				    "[Reclaim]\nMemoryAvailableBelow=20%\nMemoryAvailableBelow=2G\n",
				    &cfg),
			 0);
	ck_assert_uint_eq(diag.nwarnings, 1);
	ck_assert_diag(C ":6: HoldOffSec: warning: given twice in this file (line 2); the last one "
			 "wins");
}
END_TEST

/* Every warning names a line: SwapFreeBelow= left alone by a cleared MemoryAvailableBelow=. */
START_TEST(swap_alone_warning_has_a_line)
{
	struct pol_config cfg;

	ck_assert_int_eq(parse_conf("# site\n[Terminate]\nMemoryAvailableBelow=\n", &cfg), 0);
	ck_assert_uint_eq(diag.nwarnings, 1);
	ck_assert_diag(C ":3: MemoryAvailableBelow: warning: cleared: the default SwapFreeBelow=10% "
			 "of [Terminate] has no effect without it; clear SwapFreeBelow= too");
	ck_assert_uint_ne(diag.entries[0].line, 0);
	cfg_diag_free(&diag);
	ck_assert_int_eq(parse_conf("[Terminate]\nSwapFreeBelow=20%\nMemoryAvailableBelow=\n", &cfg),
			 0);
	ck_assert_diag(C ":2: SwapFreeBelow: warning: has no effect without MemoryAvailableBelow= "
			 "in [Terminate]");
	cfg_diag_free(&diag);
	ck_assert_int_eq(parse_conf("[Terminate]\nMemoryAvailableBelow=\nSwapFreeBelow=\n", &cfg), 0);
	ck_assert_uint_eq(diag.n, 0);
}
END_TEST

/* ------------------------------------------------------------------ values */
START_TEST(repeated_keys_and_reset)
{
	struct pol_service s;
	struct pol_config cfg;

	ck_assert_int_eq(parse_policy("[Match]\nName=a b\nName=c\nExe=/x\nExe=\nExe=/y /z\n"
				      "User=root 105\nUser=\nUser=postgres koji\n"
				      "[Policy]\nKillPreference=prefer\nKillPreference=avoid\n",
				      &s),
			 0);
	ck_assert_uint_eq(s.match.name.n, 3);
	ck_assert_str_eq(s.match.name.v[0], "a");
	ck_assert_str_eq(s.match.name.v[2], "c");
	ck_assert_uint_eq(s.match.exe.n, 2);
	ck_assert_str_eq(s.match.exe.v[0], "/y");
	ck_assert_uint_eq(s.match.nuids, 2);
	ck_assert_uint_eq(s.match.uids[0], 105);
	ck_assert_uint_eq(s.match.uids[1], 990);
	ck_assert_int_eq(s.kill_pref, POL_KP_AVOID); /* scalars: the last one wins */
	ck_assert_diag(P ":12: KillPreference: warning: given twice in this file (line 11); the "
			 "last one wins");
	ck_assert_uint_eq(diag.nwarnings, 1); /* lists add: no warning for Name= Exe= User= */
	pol_service_free(&s);

	/* words are split on every blank the line reader trims (found by the fuzzer: a word
	 * starting with \f did not survive the round trip) */
	ck_assert_int_eq(parse_policy("[Match]\nName=a\fb\vc\r d\n[Policy]\nProtect=yes\n", &s), 0);
	ck_assert_uint_eq(s.match.name.n, 4);
	ck_assert_str_eq(s.match.name.v[1], "b");
	pol_service_free(&s);

	/* conf: the first MemoryAvailableBelow= replaces the default, more add, "" clears */
	ck_assert_int_eq(parse_conf("[Reclaim]\nMemoryAvailableBelow=1G\nMemoryAvailableBelow=12%\n"
				    "[Throttle]\nMemoryAvailableBelow=\nPressureSomeAbove=\n"
				    "[Guardian]\nHoldOffSec=30s\nHoldOffSec=\n",
				    &cfg),
			 0);
	ck_assert_uint_eq(cfg.stage[POL_STAGE_RECLAIM].mem_avail_bytes, 1ULL << 30);
	ck_assert_uint_eq(cfg.stage[POL_STAGE_RECLAIM].mem_avail_permyriad, 1200);
	ck_assert_uint_eq(cfg.stage[POL_STAGE_THROTTLE].mem_avail_permyriad, 0);
	ck_assert(!cfg.stage[POL_STAGE_THROTTLE].psi_some.set);
	ck_assert(cfg.stage[POL_STAGE_THROTTLE].psi_full.set); /* untouched default */
	ck_assert_uint_eq(cfg.holdoff_usec, 10000000); /* "" back to the default */
}
END_TEST

START_TEST(policy_values)
{
	struct pol_service s;

	ck_assert_int_eq(parse_policy("[Match]\nCgroup=/machine.slice/*\nUnit=devstack@*.service\n"
				      "Cmdline=~qemu-system-.* -name guest=\n"
				      "[Policy]\nKillPreference=avoid\nKillUnit=cgroup\nNUMA=yes\n"
				      "MemoryBudget=25%\nPressureLimit=some 40% 30s\n"
				      "OnBudget=reclaim\nOOMScoreAdjust=-500\nTermGraceSec=1.5s\n",
				      &s),
			 0);
	ck_assert_str_eq(s.name, "10-test");
	ck_assert_str_eq(s.origin.path, P);
	ck_assert_int_eq(s.kill_unit, POL_KU_CGROUP);
	ck_assert(s.numa);
	ck_assert(s.throttle); /* default for unprotected services */
	ck_assert_uint_eq(s.budget_permyriad, 2500);
	ck_assert_uint_eq(s.budget_bytes, 0);
	ck_assert(s.pressure_limit.set && !s.pressure_limit.full);
	ck_assert_uint_eq(s.pressure_limit.limit_centi, 4000);
	ck_assert_uint_eq(s.pressure_limit.duration_usec, 30000000);
	ck_assert_int_eq(s.on_budget, POL_OB_RECLAIM);
	ck_assert(s.has_oom_score_adj);
	ck_assert_int_eq(s.oom_score_adj, -500);
	ck_assert_uint_eq(s.term_grace_usec, 1500000);
	ck_assert_int_eq(regexec(&s.match.cmdline[0], "/usr/bin/qemu-system-x86_64 -name guest=a",
				 0, NULL, 0),
			 0);
	pol_service_free(&s);

	ck_assert_int_eq(parse_policy("[Match]\nName=sshd\n[Policy]\nProtect=yes\n"
				      "PressureLimit=full 20%\nMemoryBudget=4G\n",
				      &s),
			 0);
	ck_assert(!s.throttle); /* protected: not throttled unless said (and then an error) */
	ck_assert_uint_eq(s.term_grace_usec, 5000000); /* from the built-in [Guardian] */
	ck_assert_uint_eq(s.budget_bytes, 4ULL << 30);
	ck_assert(s.pressure_limit.full);
	ck_assert_uint_eq(s.pressure_limit.duration_usec, 10000000); /* default duration */
	pol_service_free(&s);
}
END_TEST

START_TEST(conf_values)
{
	struct pol_config cfg;

	ck_assert_int_eq(parse_conf("[Guardian]\nScope=/machine.slice/\nDryRun=on\nHoldOffSec=1s\n"
				    "Hysteresis=0.5%\nNUMARebalance=yes\nReportDirectory=/srv/r\n"
				    "MachineWideReclaim=yes\n"
				    "[Terminate]\nPressureSomeAbove=70%\nSwapFreeBelow=\n",
				    &cfg),
			 0);
	ck_assert_str_eq(cfg.scope, "/machine.slice");
	ck_assert(cfg.dry_run && cfg.numa_rebalance && cfg.machine_wide_reclaim);
	ck_assert_uint_eq(cfg.holdoff_usec, 1000000);
	ck_assert_uint_eq(cfg.hysteresis_permyriad, 50);
	ck_assert_str_eq(cfg.report_dir, "/srv/r");
	ck_assert(cfg.stage[POL_STAGE_TERMINATE].psi_some.set);
	ck_assert(!cfg.stage[POL_STAGE_TERMINATE].psi_some.full);
	ck_assert_uint_eq(cfg.stage[POL_STAGE_TERMINATE].psi_some.duration_usec, 10000000);
	ck_assert_uint_eq(cfg.stage[POL_STAGE_TERMINATE].swap_free_permyriad, 0);
	ck_assert_uint_eq(diag.nerrors, 0);
	ck_assert_diag(C ":4: HoldOffSec: warning: below 2s: PSI lags ~2 s, one event may be acted "
			 "on twice");

	ck_assert_int_eq(parse_conf("[Guardian]\nScope=/\n", &cfg), 0);
	ck_assert_str_eq(cfg.scope, "");
	conf_fails("[Guardian]\nScope=/a/../b\n",
		   C ":2: Scope: expected a cgroup path like '/machine.slice', got '/a/../b'");
	conf_fails("[Guardian]\nScope=machine.slice\n", C
		   ":2: Scope: expected a cgroup path like '/machine.slice', got 'machine.slice'");
	conf_fails("[Guardian]\nReportDirectory=reports\n",
		   C ":2: ReportDirectory: expected an absolute path, got 'reports'");
	conf_fails("[Kill]\nPressureFullAbove=80% 1h\n",
		   C ":2: PressureFullAbove: expected a duration 1s-10min, got '1h'");
	conf_fails("[Policy]\nProtect=yes\n", C ":1: [Policy]: unknown section, expected "
						"[Guardian], [Reclaim], [Throttle], [Terminate] "
						"or [Kill]");
}
END_TEST

/* Issue 10 item 14: a comment after a value is part of it, and says so. */
START_TEST(inline_hash_is_warned_about)
{
	struct pol_service s;

	ck_assert_int_eq(parse_policy("[Match]\nName=memcached # the cache\n[Policy]\n"
				      "KillPreference=avoid\n",
				      &s),
			 0);
	ck_assert_uint_eq(s.match.name.n, 4); /* still what the language says... */
	ck_assert_diag(P ":2: Name: warning: '# the cache' is part of the value: '#' starts a "
			 "comment only at the start of a line; put the comment on a line of its "
			 "own"); /* ...but no longer silently */
	pol_service_free(&s);
	cfg_diag_free(&diag);
	cfg_diag_init(&diag);
	/* a '#' inside a word (a regex, a path) is no comment: no warning */
	ck_assert_int_eq(parse_policy("[Match]\nCmdline=~^/usr/bin/x#1\n[Policy]\n"
				      "KillPreference=avoid\n",
				      &s),
			 0);
	ck_assert_uint_eq(diag.nwarnings, 0);
	pol_service_free(&s);
}
END_TEST

/* Issue 11: check says which file hid which (systemd-delta's OVERRIDDEN). */
START_TEST(delta_lists_hidden_files)
{
	struct cfg_delta d = {0};
	struct pol_rules r;

	ck_assert_int_eq(cfg_load_delta(MERGE, NULL, NULL, &r, &d, &diag), 0);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_int_eq(d.v[0].kind, CFG_DELTA_HIDDEN);
	ck_assert_str_eq(d.v[0].path, MERGE "/usr/lib/oomguardian/policy.d/20-cron.policy");
	ck_assert_str_eq(d.v[0].by, MERGE "/etc/oomguardian/policy.d/20-cron.policy");
	cfg_delta_free(&d);
	pol_rules_free(&r);
}
END_TEST

/* A policy that protects everything: what an attacker would write. */
#define GREEDY "[Match]\nAll=yes\n[Policy]\nKillPreference=never\n"

static void write_mode(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

/* Issue 10 item 5: files and directories others can write are refused, naming why. */
START_TEST(untrusted_files_and_dirs_are_refused)
{
	char dir[] = "/tmp/ogtest-trust-XXXXXX", pd[64], pol[96], conf[96], want[256];
	const char *dirs[] = {pd, NULL};
	struct pol_rules r;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(pd, sizeof(pd), "%s/policy.d", dir);
	snprintf(pol, sizeof(pol), "%s/10-greedy.policy", pd);
	snprintf(conf, sizeof(conf), "%s/any-name.cfg", dir);
	ck_assert_int_eq(mkdir(pd, 0755), 0);
	write_mode(pol, GREEDY, 0644);
	write_mode(conf, "[Guardian]\nHoldOffSec=5s\n", 0644);
	ck_assert_int_eq(cfg_load(FIXTURES "/act", conf, dirs, &r, &diag), 0); /* trusted */
	pol_rules_free(&r);

	/* a world-writable policy */
	ck_assert_int_eq(chmod(pol, 0666), 0);
	ck_assert_int_eq(cfg_load(FIXTURES "/act", conf, dirs, &r, &diag), -EINVAL);
	snprintf(want, sizeof(want),
		 "%s: refusing it: writable by others (mode 0666) (whoever can write it chooses "
		 "victims; chown root and chmod go-w)",
		 pol);
	ck_assert_diag(want);
	ck_assert_int_eq(chmod(pol, 0644), 0);

	/* a world-writable policy directory: no sticky pass, anyone could add a file */
	ck_assert_int_eq(chmod(pd, 01777), 0);
	ck_assert_int_eq(cfg_load(FIXTURES "/act", conf, dirs, &r, &diag), -EINVAL);
	snprintf(want, sizeof(want),
		 "%s: refusing it: writable by others (mode 1777) (whoever can write it chooses "
		 "victims; chown root and chmod go-w)",
		 pd);
	ck_assert_diag(want);
	ck_assert_int_eq(chmod(pd, 0755), 0);

	/* the main config in a directory others can write (not sticky) */
	ck_assert_int_eq(chmod(dir, 0777), 0);
	ck_assert_int_eq(cfg_load(FIXTURES "/act", conf, NULL, &r, &diag), -EINVAL);
	snprintf(want, sizeof(want),
		 "%s: refusing it: its directory '%s' is writable by others (mode 0777) "
		 "(whoever can write it chooses victims; chown root and chmod go-w)",
		 conf, dir);
	ck_assert_diag(want);
	ck_assert_int_eq(chmod(dir, 0700), 0);

	/* group write of root's group (a checkout made as root under umask 002) is fine */
	if (geteuid() == 0) {
		ck_assert_int_eq(chown(pol, 0, 0), 0);
		ck_assert_int_eq(chmod(pol, 0664), 0);
		ck_assert_int_eq(cfg_load(FIXTURES "/act", conf, dirs, &r, &diag), 0);
		pol_rules_free(&r);
		/* ...of another group is not */
		ck_assert_int_eq(chown(pol, 0, 65534), 0);
		ck_assert_int_eq(cfg_load(FIXTURES "/act", conf, dirs, &r, &diag), -EINVAL);
		snprintf(want, sizeof(want),
			 "%s: refusing it: writable by group 65534 (mode 0664) (whoever can write "
			 "it chooses victims; chown root and chmod go-w)",
			 pol);
		ck_assert_diag(want);
		/* owned by nobody, even read-only */
		ck_assert_int_eq(chmod(pol, 0444), 0);
		ck_assert_int_eq(chown(pol, 65534, 65534), 0);
		ck_assert_int_eq(cfg_load(FIXTURES "/act", conf, dirs, &r, &diag), -EINVAL);
		snprintf(want, sizeof(want),
			 "%s: refusing it: owned by uid 65534, not by root (whoever can write it "
			 "chooses victims; chown root and chmod go-w)",
			 pol);
		ck_assert_diag(want);
		/* named on the command line (check FILE) as well */
		ck_assert_int_eq(cfg_load_files(FIXTURES "/act", (const char *const[]){pol}, 1, &r,
						&diag),
				 -EINVAL);
	}
	unlink(pol);
	unlink(conf);
	rmdir(pd);
	rmdir(dir);
}
END_TEST

/* Issue 10 item 10: a --policy-dir that is missing or a file is an error, not "0 policies". */
START_TEST(given_policy_dir_must_be_a_directory)
{
	const char *const missing[] = {"/nonexistent-ogtest-dir", NULL};
	const char *const file[] = {SRCDIR "/policy/vendor/oomguardian.conf", NULL};
	struct pol_rules r;

	ck_assert_int_eq(cfg_load(FIXTURES "/act", NULL, missing, &r, &diag), -EINVAL);
	ck_assert_diag("/nonexistent-ogtest-dir: cannot open policy directory: No such file or "
		       "directory");
	ck_assert_int_eq(cfg_load(FIXTURES "/act", NULL, file, &r, &diag), -EINVAL);
	ck_assert_diag(SRCDIR "/policy/vendor/oomguardian.conf: cannot open policy directory: "
			      "not a directory");
	/* the default search path may well be missing: no error */
	ck_assert_int_eq(cfg_load(FIXTURES "/act", NULL, NULL, &r, &diag), 0);
	pol_rules_free(&r);
}
END_TEST

/* Same class as issue 10 item 7: no escape sequence gets into a name (check output, logs). */
START_TEST(control_characters_are_refused)
{
	struct pol_service s;

	ck_assert_int_eq(parse_policy("[Match]\nName=ev\x1b[2Jil\n[Policy]\nKillPreference=avoid\n",
				      &s),
			 -EINVAL);
	ck_assert_diag(P ":2: line contains the control character 0x1b");
}
END_TEST

/* --scope and Scope= share one rule (issue 10 item 14). */
START_TEST(scope_normalize_is_the_scope_rule)
{
	char buf[OG_CGROUP_PATH_MAX] = "untouched";

	ck_assert_int_eq(cfg_scope_normalize("/a/../b", buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(cfg_scope_normalize("/a/./b", buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(cfg_scope_normalize("/a//b", buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(cfg_scope_normalize("machine.slice", buf, sizeof(buf)), -EINVAL);
	ck_assert_str_eq(buf, "untouched");
	ck_assert_int_eq(cfg_scope_normalize("/machine.slice/", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "/machine.slice");
	ck_assert_int_eq(cfg_scope_normalize("/", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(cfg_scope_normalize("/machine.slice", buf, 8), -ENAMETOOLONG);
}
END_TEST

START_TEST(diag_format)
{
	char buf[512];

	cfg_diag_add(&diag, CFG_SEV_ERROR, "/p", 0, "", "cannot read: %s", "EACCES");
	cfg_diag_add(&diag, CFG_SEV_WARNING, "/p", 3, "Name", "odd");
	ck_assert_uint_eq(diag.nerrors, 1);
	ck_assert_uint_eq(diag.nwarnings, 1);
	ck_assert_str_eq(cfg_diag_format(&diag.entries[0], buf, sizeof(buf)),
			 "/p: cannot read: EACCES");
	ck_assert_str_eq(cfg_diag_format(&diag.entries[1], buf, sizeof(buf)),
			 "/p:3: Name: warning: odd");
}
END_TEST

START_TEST(defaults_are_documented)
{
	struct pol_config c;
	const struct pol_threshold *t = c.stage;

	cfg_config_defaults(&c);
	ck_assert_str_eq(c.scope, "");
	ck_assert(!c.dry_run);
	ck_assert(!c.numa_rebalance);
	ck_assert_uint_eq(c.holdoff_usec, 10000000);
	ck_assert_uint_eq(c.kill_timeout_usec, 10000000);
	ck_assert_uint_eq(c.default_term_grace_usec, 5000000);
	ck_assert_uint_eq(c.hysteresis_permyriad, 200);
	ck_assert_str_eq(c.report_dir, OG_STATEDIR "/reports");
	ck_assert_uint_eq(t[POL_STAGE_RECLAIM].mem_avail_permyriad, 1500);
	ck_assert_uint_eq(t[POL_STAGE_RECLAIM].psi_some.limit_centi, 4000);
	ck_assert_uint_eq(t[POL_STAGE_RECLAIM].psi_some.duration_usec, 10000000);
	ck_assert(!t[POL_STAGE_RECLAIM].psi_full.set);
	ck_assert_uint_eq(t[POL_STAGE_THROTTLE].mem_avail_permyriad, 1000);
	ck_assert_uint_eq(t[POL_STAGE_THROTTLE].psi_some.limit_centi, 6000);
	ck_assert_uint_eq(t[POL_STAGE_THROTTLE].psi_full.limit_centi, 2000);
	ck_assert_uint_eq(t[POL_STAGE_TERMINATE].mem_avail_permyriad, 500);
	ck_assert_uint_eq(t[POL_STAGE_TERMINATE].swap_free_permyriad, 1000);
	ck_assert_uint_eq(t[POL_STAGE_TERMINATE].psi_full.limit_centi, 4000);
	ck_assert(!t[POL_STAGE_TERMINATE].psi_some.set);
	ck_assert_uint_eq(t[POL_STAGE_KILL].mem_avail_permyriad, 250);
	ck_assert_uint_eq(t[POL_STAGE_KILL].swap_free_permyriad, 500);
	ck_assert_uint_eq(t[POL_STAGE_KILL].psi_full.limit_centi, 8000);
	ck_assert_uint_eq(t[POL_STAGE_KILL].psi_full.duration_usec, 6000000);
	ck_assert(t[POL_STAGE_KILL].psi_full.full);
	for (int s = POL_STAGE_RECLAIM; s < POL_STAGE__MAX; s++)
		ck_assert_uint_eq(t[s].mem_avail_bytes, 0);
}
END_TEST

START_TEST(shipped_conf_is_the_defaults)
{
	struct pol_rules r;
	struct pol_config d;
	const char *conf = SRCDIR "/policy/vendor/oomguardian.conf";

	ck_assert_int_eq(cfg_load_files("/nonexistent", &conf, 1, &r, &diag), 0);
	ck_assert_uint_eq(diag.n, 0);
	cfg_config_defaults(&d);
	/* origins included: sections holding only comments are still the built-in defaults */
	ck_assert_int_eq(memcmp(&d, &r.cfg, sizeof(d)), 0);
	pol_rules_free(&r);
}
END_TEST

/* ------------------------------------------------------------------ loading */
START_TEST(merge_override_mask_order)
{
	struct pol_rules r;

	ck_assert_int_eq(cfg_load(MERGE, NULL, NULL, &r, &diag), 0);
	dump_diag();
	ck_assert_uint_eq(diag.nerrors, 0);
	/* 10 (usr/lib), 20 (etc overrides usr/lib), 35 (etc), 40 (usr/lib); README and
	 * .hidden.policy are not policies */
	ck_assert_uint_eq(r.nservices, 4);
	ck_assert_str_eq(r.services[0].name, "10-remote-access");
	ck_assert_str_eq(r.services[1].name, "20-cron");
	ck_assert_str_eq(r.services[1].origin.path,
			 MERGE "/etc/oomguardian/policy.d/20-cron.policy");
	ck_assert_str_eq(r.services[1].match.name.v[0], "crond");
	ck_assert(!r.services[1].protect);
	ck_assert_str_eq(r.services[2].name, "35-web");
	ck_assert_str_eq(r.services[3].name, "40-db");
	ck_assert_uint_eq(r.services[3].match.uids[0], 105); /* postgres from MERGE/etc/passwd */
	/* the site conf was read and its TermGraceSec is the policies' default */
	ck_assert_uint_eq(r.nfiles, 5);
	ck_assert_str_eq(r.files[0], MERGE "/etc/oomguardian/oomguardian.conf");
	ck_assert(r.cfg.dry_run);
	ck_assert_uint_eq(r.services[0].term_grace_usec, 3000000);
	ck_assert_uint_eq(r.services[2].term_grace_usec, 10000000);
	ck_assert_uint_eq(r.cfg.stage[POL_STAGE_KILL].mem_avail_bytes, 256ULL << 20);
	pol_rules_free(&r);
}
END_TEST

START_TEST(explicit_dirs)
{
	const char *const dirs[] = {MERGE "/usr/lib/oomguardian/policy.d",
				    MERGE "/etc/oomguardian/policy.d", NULL};
	struct pol_rules r;

	/* usr/lib first now: its 20-cron wins */
	ck_assert_int_eq(cfg_load(MERGE, "/nonexistent.conf", dirs, &r, &diag), -EINVAL);
	ck_assert_diag("/nonexistent.conf: cannot read: No such file or directory");
	cfg_diag_free(&diag);
	ck_assert_int_eq(
		cfg_load(MERGE, MERGE "/etc/oomguardian/oomguardian.conf", dirs, &r, &diag), 0);
	ck_assert_uint_eq(r.nservices, 4);
	ck_assert_str_eq(r.services[1].match.name.v[0], "cron");
	ck_assert(r.services[1].protect);
	pol_rules_free(&r);
}
END_TEST

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/*
 * Masking, in a tree made at run time: a committed symlink to /dev/null would be dereferenced
 * by `make dist` (tar -h) into a device node that cannot be unpacked without root.
 */
START_TEST(mask_with_dev_null)
{
	char root[] = "/tmp/ogtest-cfg-mask-XXXXXX", etc[128], usr[128], link[256], cmd[320];
	struct pol_rules r;

	ck_assert_ptr_nonnull(mkdtemp(root));
	snprintf(etc, sizeof(etc), "%s/etc/oomguardian/policy.d", root);
	snprintf(usr, sizeof(usr), "%s/usr/lib/oomguardian/policy.d", root);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s' '%s'", etc, usr);
	ck_assert_int_eq(system(cmd), 0);
	write_file(usr, "10-keep.policy",
		   "[Match]\nName=keep\nExe=/usr/bin/keep\n[Policy]\nProtect=yes\n");
	write_file(usr, "30-masked.policy",
		   "[Match]\nName=masked\n[Policy]\nKillPreference=prefer\n");
	write_file(usr, "40-broken-but-masked.policy", "[Match]\nBogus=1\n");
	snprintf(link, sizeof(link), "%s/30-masked.policy", etc);
	ck_assert_int_eq(symlink("/dev/null", link), 0);
	snprintf(link, sizeof(link), "%s/40-broken-but-masked.policy", etc);
	ck_assert_int_eq(symlink("/dev/null", link), 0);

	ck_assert_int_eq(cfg_load(root, NULL, NULL, &r, &diag), 0);
	ck_assert_uint_eq(diag.n, 0); /* the broken file was never read */
	ck_assert_uint_eq(r.nservices, 1);
	ck_assert_str_eq(r.services[0].name, "10-keep");
	pol_rules_free(&r);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/*
 * A FIFO named *.policy used to hang the loader in open() (no O_NONBLOCK, the type was checked
 * after the open): `check` at start-up and the daemon on SIGHUP never came back. Found in a
 * policy directory, anything not a regular file is skipped with a warning; named on the command
 * line it is an error. Also a symlink to a /proc file (size 0, content made up when read): it
 * was reported as "larger than 1 MiB". The test case has a timeout: a hang fails it.
 */
START_TEST(fifo_and_pseudo_files)
{
	char root[] = "/tmp/ogtest-cfg-fifo-XXXXXX", dir[128], path[256], cmd[320];
	const char *files[1] = {path};
	struct pol_rules r;
	char want[512];

	ck_assert_ptr_nonnull(mkdtemp(root));
	snprintf(dir, sizeof(dir), "%s/etc/oomguardian/policy.d", root);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/sub.policy'", dir);
	ck_assert_int_eq(system(cmd), 0);
	write_file(dir, "10-keep.policy",
		   "[Match]\nName=keep\nExe=/usr/bin/keep\n[Policy]\nProtect=yes\n");
	snprintf(path, sizeof(path), "%s/20-fifo.policy", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	snprintf(path, sizeof(path), "%s/30-proc.policy", dir);
	ck_assert_int_eq(symlink("/proc/self/status", path), 0);
	snprintf(path, sizeof(path), "%s/40-zero.policy", dir);
	ck_assert_int_eq(symlink("/dev/zero", path), 0);

	ck_assert_int_eq(cfg_load(root, NULL, NULL, &r, &diag), 0);
	ck_assert_uint_eq(diag.nerrors, 0);
	ck_assert_uint_eq(diag.nwarnings, 4);
	snprintf(want, sizeof(want), "%s/20-fifo.policy: warning: not a regular file (a FIFO), "
		 "ignoring", dir);
	ck_assert_diag(want);
	snprintf(want, sizeof(want), "%s/30-proc.policy: warning: not a regular file (a file of "
		 "the kernel's /proc), ignoring", dir);
	ck_assert_diag(want);
	snprintf(want, sizeof(want), "%s/40-zero.policy: warning: not a regular file (a character "
		 "device), ignoring", dir);
	ck_assert_diag(want);
	snprintf(want, sizeof(want), "%s/sub.policy: warning: not a regular file (a directory), "
		 "ignoring", dir);
	ck_assert_diag(want);
	ck_assert_uint_eq(r.nservices, 1);
	ck_assert_str_eq(r.services[0].name, "10-keep");
	pol_rules_free(&r);

	/* named explicitly (oomguardianctl check FILE): an error, and still no hang */
	cfg_diag_free(&diag);
	snprintf(path, sizeof(path), "%s/20-fifo.policy", dir);
	ck_assert_int_eq(cfg_load_files(root, files, 1, &r, &diag), -EINVAL);
	snprintf(want, sizeof(want), "%s: cannot read: not a regular file (a FIFO)", path);
	ck_assert_diag(want);
	cfg_diag_free(&diag);
	snprintf(path, sizeof(path), "%s/30-proc.policy", dir);
	ck_assert_int_eq(cfg_load_files(root, files, 1, &r, &diag), -EINVAL);
	snprintf(want, sizeof(want), "%s: cannot read: not a regular file (a file of the kernel's "
		 "/proc)", path);
	ck_assert_diag(want);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(failed_load_keeps_old_rules)
{
	struct pol_rules r, old;

	ck_assert_int_eq(cfg_load(MERGE, NULL, NULL, &r, &diag), 0);
	old = r;
	ck_assert_int_eq(cfg_load(BROKEN, NULL, NULL, &r, &diag), -EINVAL);
	ck_assert_int_eq(memcmp(&old, &r, sizeof(r)), 0);
	ck_assert_diag(BROKEN "/etc/oomguardian/policy.d/50-broken.policy:5: KillPreference: "
			      "expected one of default|prefer|avoid|never, got 'sometimes'");
	ck_assert_uint_eq(diag.nerrors, 1);
	ck_assert_uint_eq(r.nservices, 4); /* still the old, usable rules */
	ck_assert_str_eq(r.services[0].match.name.v[0], "sshd");
	pol_rules_free(&r);
}
END_TEST

START_TEST(load_files)
{
	const char *files[] = {MERGE "/etc/oomguardian/policy.d/35-web.policy",
			       MERGE "/etc/oomguardian/oomguardian.conf",
			       MERGE "/usr/lib/oomguardian/policy.d/10-remote-access.policy"};
	const char *two[] = {MERGE "/etc/oomguardian/oomguardian.conf",
			     SRCDIR "/policy/vendor/oomguardian.conf"};
	struct pol_rules r;

	ck_assert_int_eq(cfg_load_files(MERGE, files, 3, &r, &diag), 0);
	ck_assert_uint_eq(r.nservices, 2);
	ck_assert_str_eq(r.services[0].name, "35-web"); /* command-line order */
	ck_assert(r.cfg.dry_run);
	pol_rules_free(&r);
	ck_assert_int_eq(cfg_load_files(MERGE, two, 2, &r, &diag), -EINVAL);
	ck_assert_diag(SRCDIR "/policy/vendor/oomguardian.conf: only one main config may be "
			      "given ('" MERGE "/etc/oomguardian/oomguardian.conf' already)");
}
END_TEST

START_TEST(shipped_policies_load)
{
	const char *const dirs[] = {SRCDIR "/policy/vendor", NULL};
	struct pol_rules r;

	ck_assert_int_eq(
		cfg_load("/nonexistent", SRCDIR "/policy/vendor/oomguardian.conf", dirs, &r, &diag),
		0);
	dump_diag();
	ck_assert_uint_eq(diag.n, 0);
	ck_assert_uint_eq(r.nservices, 4);
	for (size_t i = 0; i < r.nservices; i++) {
		const struct pol_match *m = &r.services[i].match;

		ck_assert(r.services[i].protect);
		/* never by name alone (the check warns, see name_only_protection_warns) */
		ck_assert_uint_gt(m->exe.n, 0);
		/* the daemons, not the copies they fork per connection or job (issue 8) */
		ck_assert(m->no_children);
	}
	pol_rules_free(&r);
}
END_TEST

/* ------------------------------------------------------------------ round trip */
/* cfg_format_config(c) or, with c NULL, cfg_format_service(s) into a string (free() it). */
static char *format(const struct pol_config *c, const struct pol_service *s)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(c ? cfg_format_config(c, f) : cfg_format_service(s, f), 0);
	fclose(f);
	return buf;
}

static char *format_config(const struct pol_config *c)
{
	return format(c, NULL);
}

static char *format_service(const struct pol_service *s)
{
	return format(NULL, s);
}

/* Drop the "# from path:line" comments: origins differ when the output is parsed again. */
static char *strip_comments(char *s)
{
	char *w = s;

	for (char *r = s; *r;) {
		char *nl = strchr(r, '\n');
		size_t n = nl ? (size_t)(nl - r + 1) : strlen(r);

		if (*r != '#') {
			memmove(w, r, n);
			w += n;
		}
		r += n;
	}
	*w = '\0';
	return s;
}

START_TEST(round_trip)
{
	struct pol_config c2;
	struct pol_service s2;
	struct pol_rules r;
	char *a, *b;

	ck_assert_int_eq(cfg_load(MERGE, NULL, NULL, &r, &diag), 0);
	a = format_config(&r.cfg);
	cfg_config_defaults(&c2);
	ck_assert_int_eq(cfg_parse_conf_buf(r.files[0], a, strlen(a), &c2, &diag), 0);
	ck_assert_uint_eq(c2.stage[POL_STAGE_KILL].mem_avail_bytes, 256ULL << 20);
	ck_assert(c2.dry_run);
	b = format_config(&c2);
	ck_assert_str_eq(strip_comments(a), strip_comments(b));
	ck_assert_ptr_nonnull(strstr(a, "MemoryAvailableBelow=2%\nMemoryAvailableBelow=256M\n"));
	free(a);
	free(b);
	for (size_t i = 0; i < r.nservices; i++) {
		const struct pol_service *s = &r.services[i];

		a = format_service(s);
		ck_assert_int_eq(cfg_parse_policy_buf(s->origin.path, a, strlen(a), MERGE, &r.cfg,
						      &s2, &diag),
				 0);
		b = format_service(&s2);
		ck_assert_str_eq(a, b);
		ck_assert_int_eq(s2.kill_pref, s->kill_pref);
		ck_assert_uint_eq(s2.budget_bytes, s->budget_bytes);
		ck_assert_uint_eq(s2.match.cmdline_src.n, s->match.cmdline_src.n);
		pol_service_free(&s2);
		free(a);
		free(b);
	}
	ck_assert_uint_eq(diag.nerrors, 0);
	ck_assert_uint_eq(diag.nwarnings, 0);
	pol_rules_free(&r);
}
END_TEST

START_TEST(format_exact)
{
	struct pol_service s;
	char *a;

	ck_assert_int_eq(parse_policy("[Match]\nUnit=httpd.service\n[Policy]\nMemoryBudget=1536M\n"
				      "PressureLimit=full 12.5% 2500ms\nOnBudget=throttle\n"
				      "TermGraceSec=90s\n",
				      &s),
			 0);
	a = format_service(&s);
	ck_assert_str_eq(a, "[Match]\nUnit=httpd.service\n\n[Policy]\nProtect=no\n"
			    "KillPreference=default\nKillUnit=process\nTermGraceSec=90s\n"
			    "Throttle=yes\nNUMA=no\nMemoryBudget=1536M\n"
			    "PressureLimit=full 12.5% 2500ms\nOnBudget=throttle\n");
	free(a);
	pol_service_free(&s);
}
END_TEST

static Suite *cfg_suite(void)
{
	Suite *s = suite_create("cfg");
	TCase *tc = tcase_create("errors");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, unknown_key);
	tcase_add_test(tc, key_in_wrong_section);
	tcase_add_test(tc, unknown_section_reported_once);
	tcase_add_test(tc, bad_value);
	tcase_add_test(tc, out_of_range);
	tcase_add_test(tc, bad_regex);
	tcase_add_test(tc, regex_too_complex);
	tcase_add_test(tc, protect_prefer_contradiction);
	tcase_add_test(tc, ladder_out_of_order);
	tcase_add_test(tc, ladder_in_order_accepted);
	tcase_add_test(tc, missing_match);
	tcase_add_test(tc, match_all);
	tcase_add_test(tc, match_children);
	tcase_add_test(tc, syntax_errors);
	tcase_add_test(tc, nul_byte_and_long_lines);
	tcase_add_test(tc, warning_does_not_fail);
	tcase_add_test(tc, other_warnings);
	tcase_add_test(tc, name_only_protection_warns);
	tcase_add_test(tc, prefer_with_negative_oom_score_adj_warns);
	tcase_add_test(tc, scalar_given_twice_warns);
	tcase_add_test(tc, swap_alone_warning_has_a_line);
	suite_add_tcase(s, tc);

	tc = tcase_create("values");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, repeated_keys_and_reset);
	tcase_add_test(tc, policy_values);
	tcase_add_test(tc, conf_values);
	tcase_add_test(tc, diag_format);
	tcase_add_test(tc, defaults_are_documented);
	tcase_add_test(tc, shipped_conf_is_the_defaults);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 10); /* fifo_and_pseudo_files: a hang must fail, not block */
	tcase_add_test(tc, merge_override_mask_order);
	tcase_add_test(tc, explicit_dirs);
	tcase_add_test(tc, mask_with_dev_null);
	tcase_add_test(tc, fifo_and_pseudo_files);
	tcase_add_test(tc, failed_load_keeps_old_rules);
	tcase_add_test(tc, load_files);
	tcase_add_test(tc, shipped_policies_load);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, format_exact);
	tcase_add_test(tc, inline_hash_is_warned_about);
	tcase_add_test(tc, scope_normalize_is_the_scope_rule);
	tcase_add_test(tc, given_policy_dir_must_be_a_directory);
	tcase_add_test(tc, untrusted_files_and_dirs_are_refused);
	tcase_add_test(tc, delta_lists_hidden_files);
	tcase_add_test(tc, control_characters_are_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return og_check_run(cfg_suite());
}
