/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of policy/explain/: the facts of every report in the corpus (tests/explain/, see
 * SOURCES.md there), the input forms, gfp decoding by kernel version and the watermark rule of
 * old and new kernels.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/og_check.h"

#include "policy/explain/explain.h"
#include "policy/explain/explain_int.h"
#include "policy/explain/explain_json.h"

static struct explain_result res;

static void parse_text(const char *text, int want_reports)
{
	explain_result_free(&res);
	ck_assert_int_eq(explain_parse(text, strlen(text), &res), want_reports);
	ck_assert_uint_eq(res.nreports, (size_t)want_reports);
}

static void parse_corpus(const char *name, int want_reports)
{
	char path[512], *buf;
	FILE *f;
	long len;

	snprintf(path, sizeof(path), "%s/%s", EXPLAIN_CORPUS, name);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	rewind(f);
	buf = malloc((size_t)len + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	explain_result_free(&res);
	/* not NUL-terminated on purpose: explain_parse() takes a length */
	ck_assert_int_eq(explain_parse(buf, (size_t)len, &res), want_reports);
	free(buf);
}

static const struct explain_zone *zone(const struct explain_report *r, int node, const char *name)
{
	for (size_t i = 0; i < r->nzones; i++)
		if (r->zones[i].node == node && strcmp(r->zones[i].name, name) == 0)
			return &r->zones[i];
	ck_abort_msg("no zone %d %s", node, name);
	return NULL;
}

static bool has_cause(const struct explain_report *r, enum explain_cause c)
{
	for (size_t i = 0; i < r->ncauses; i++)
		if (r->causes[i] == c)
			return true;
	return false;
}

static void teardown(void)
{
	explain_result_free(&res);
}

START_TEST(seed003_centos7_numa_order2)
{
	const struct explain_report *r;
	const struct explain_zone *z;

	parse_corpus("seed003-centos7-kvm-numa-order2.txt", 1);
	r = &res.reports[0];
	ck_assert_int_eq(r->kind, EXPLAIN_KIND_GLOBAL);
	ck_assert_int_eq(r->constraint, EXPLAIN_CONSTRAINT_UNKNOWN);
	ck_assert_str_eq(r->kernel, "3.10.0-1160.2.2.el7.x86_64");
	ck_assert_str_eq(r->time, "Wed Jun 15 06:37:51 2022");
	ck_assert_int_eq(r->monotonic_usec, EXPLAIN_UNSET);
	ck_assert_str_eq(r->trigger.comm, "python");
	ck_assert_int_eq(r->trigger.pid, 24121);
	ck_assert_int_eq(r->trigger.oom_score_adj, 0);
	ck_assert_int_eq(r->gfp_mask, 0x3000d0);
	ck_assert(!r->gfp_flags_printed);
	ck_assert_str_eq(r->gfp_flags, "GFP_KERNEL|__GFP_KMEMCG|__GFP_NOTRACK");
	ck_assert_int_eq(r->order, 2);
	ck_assert_int_eq(r->request_bytes, 16384);
	ck_assert_str_eq(r->cpuset, "/");
	ck_assert_str_eq(r->mems_allowed, "0-1");
	ck_assert_uint_eq(r->nzones, 4);
	z = zone(r, 1, "DMA");
	ck_assert_int_eq(z->free_kb, 15888);
	ck_assert_int_eq(z->min_kb, 20);
	ck_assert_int_eq(z->low_kb, 24);
	ck_assert_int_eq(z->high_kb, 28);
	ck_assert_int_eq(z->nreserve, 4);
	ck_assert_int_eq(z->lowmem_reserve_pages[1], 3071);
	ck_assert_int_eq(z->lowmem_reserve_pages[2], 31997);
	/* (20 kB min + 31997 reserve pages) > 15888 kB free: the blog's own arithmetic */
	ck_assert_int_eq(z->verdict, EXPLAIN_ZONE_BELOW_WATERMARK);
	ck_assert_int_eq(z->need_kb, 20 + 31997 * 4);
	z = zone(r, 1, "DMA32");
	ck_assert_int_eq(z->free_kb, 124624);
	ck_assert_int_eq(z->lowmem_reserve_pages[2], 28925);
	ck_assert_int_eq(z->free_blocks[0], 22393);
	ck_assert_int_eq(z->free_blocks[2], 44);
	ck_assert_int_eq(z->blocks_at_order, 48);
	ck_assert_int_eq(z->largest_free_block_kb, 32);
	/* passes min + reserve, fails 3.10's per-order loop: 31153 - 22393 - 2 * 4279 <= 1076 / 4 */
	ck_assert_int_eq(z->verdict, EXPLAIN_ZONE_NO_BLOCK);
	z = zone(r, 1, "Normal");
	ck_assert_int_eq(z->free_kb, 51720); /* from the buddy list's total */
	ck_assert_int_eq(z->largest_free_block_kb, 4);
	ck_assert_int_eq(z->verdict, EXPLAIN_ZONE_NO_BLOCK);
	z = zone(r, 0, "Normal");
	ck_assert_int_eq(z->free_kb, 4792448);
	ck_assert_int_eq(z->largest_free_block_kb, 128);
	ck_assert_int_eq(z->blocks_at_order, 161 + 36 + 30 + 1);
	ck_assert_int_eq(z->verdict, EXPLAIN_ZONE_UNCHECKED);
	ck_assert(has_cause(r, EXPLAIN_CAUSE_FRAGMENTATION));
	ck_assert(r->truncated);
	ck_assert(!r->has_killed);
	ck_assert_ptr_nonnull(strstr(r->summary, "16 kB in one piece"));
}
END_TEST

START_TEST(xen_dom0_2632_syslog)
{
	const struct explain_report *r;

	parse_corpus("2.6.32-xen-dom0-syslog.log", 3);
	r = &res.reports[0];
	ck_assert_str_eq(r->kernel, "2.6.32-5-xen-amd64");
	ck_assert_str_eq(r->time, "Mar  3 21:14:05");
	ck_assert_str_eq(r->trigger.comm, "sshd");
	ck_assert_int_eq(r->trigger.pid, 1893);
	ck_assert_int_eq(r->trigger.oom_score_adj, 0); /* 2.6.32 prints oom_adj */
	ck_assert_int_eq(r->gfp_mask, 0x201da);
	ck_assert_str_eq(r->gfp_flags, "GFP_HIGHUSER_MOVABLE|__GFP_COLD");
	ck_assert_str_eq(r->classzone, "Movable");
	ck_assert_int_eq(r->order, 0);
	ck_assert(r->has_killed);
	ck_assert_str_eq(r->killed.comm, "mysqld");
	ck_assert_int_eq(r->killed.pid, 2011);
	ck_assert_int_eq(r->killed.score, 181203);
	ck_assert_int_eq(r->killed.anon_rss_kb, EXPLAIN_UNSET); /* 2.6.32 does not print it */
	ck_assert_int_eq(r->swap_total_kb, 524280);
	ck_assert_int_eq(r->swap_free_kb, 0);
	ck_assert_int_eq(r->ram_kb, 65536 * 4);
	ck_assert_int_eq(r->active_anon_kb, 30245 * 4);
	ck_assert_int_eq(r->free_kb, 525 * 4);
	ck_assert_uint_eq(r->ntasks, 7);
	ck_assert_int_eq(zone(r, 0, "DMA")->need_kb, (19 + 236) * 4);
	ck_assert_int_eq(zone(r, 0, "DMA")->verdict, EXPLAIN_ZONE_BELOW_WATERMARK);
	ck_assert_int_eq(zone(r, 0, "DMA32")->verdict, EXPLAIN_ZONE_BELOW_WATERMARK);
	ck_assert_uint_eq(r->ncauses, 2);
	ck_assert_int_eq(r->causes[0], EXPLAIN_CAUSE_ANON);
	ck_assert_int_eq(r->causes[1], EXPLAIN_CAUSE_SWAP_EXHAUSTED);
	ck_assert(!r->truncated);
	ck_assert_str_eq(res.reports[1].killed.comm, "sshd");
	ck_assert_str_eq(res.reports[1].trigger.comm, "cron");
	ck_assert_str_eq(res.reports[2].killed.comm, "cron");
	ck_assert_int_eq(res.reports[2].killed.pid, 1910);
	ck_assert_uint_eq(res.reports[2].ncauses, 0);
	ck_assert_uint_lt(res.reports[0].last_line, res.reports[1].first_line);
}
END_TEST

START_TEST(rhel7_memcg_journal_iso)
{
	const struct explain_report *r;

	parse_corpus("3.10-rhel7-memcg-qemu-journal-iso.log", 1);
	r = &res.reports[0];
	ck_assert_int_eq(r->kind, EXPLAIN_KIND_MEMCG);
	ck_assert_int_eq(r->constraint, EXPLAIN_CONSTRAINT_MEMCG);
	ck_assert_str_eq(r->time, "2022-03-08T02:11:47+0100");
	ck_assert_str_eq(r->kernel, "3.10.0-1160.el7.x86_64");
	ck_assert_str_eq(r->cpuset, "emulator");
	ck_assert(r->has_memcg);
	ck_assert_str_eq(r->memcg.path, "/machine.slice/machine-qemu\\x2d3\\x2dweb01.scope");
	ck_assert_int_eq(r->memcg.usage_kb, 8388608);
	ck_assert_int_eq(r->memcg.limit_kb, 8388608);
	ck_assert_int_eq(r->memcg.failcnt, 1273);
	ck_assert_int_eq(r->memcg.anon_kb, 8386560);
	ck_assert_str_eq(r->killed.comm, "qemu-kvm");
	ck_assert_int_eq(r->killed.uid, 107);
	ck_assert_int_eq(r->killed.score, 1001);
	ck_assert_int_eq(r->killed.total_vm_kb, 11015660);
	ck_assert_int_eq(r->killed.anon_rss_kb, 8380168);
	ck_assert_int_eq(r->killed.file_rss_kb, 7000);
	ck_assert_int_eq(r->killed.shmem_rss_kb, 0);
	ck_assert_int_eq(r->causes[0], EXPLAIN_CAUSE_MEMCG_LIMIT);
	ck_assert(has_cause(r, EXPLAIN_CAUSE_ANON));
	ck_assert(!has_cause(r, EXPLAIN_CAUSE_SWAP_EXHAUSTED));
}
END_TEST

START_TEST(ubuntu44_mail_quoted_wrapped)
{
	const struct explain_report *r;
	const struct explain_zone *z;

	parse_corpus("4.4-devstack-order2-mail-quoted-wrapped.txt", 1);
	r = &res.reports[0];
	ck_assert_str_eq(r->kernel, "4.4.0-62-generic");
	ck_assert_int_eq(r->gfp_mask, 0x26000c0);
	ck_assert_str_eq(r->gfp_flags, "GFP_KERNEL|__GFP_NOTRACK");
	ck_assert_int_eq(r->order, 2);
	ck_assert_uint_eq(r->nzones, 3);
	z = zone(r, 0, "DMA");
	/* the zone line was wrapped over seven mail lines */
	ck_assert_int_eq(z->managed_kb, 15908);
	ck_assert_int_eq(z->nreserve, 5); /* ZONE_DEVICE configured: 5 entries */
	ck_assert_int_eq(z->need_kb, 32 + 7934 * 4);
	ck_assert_int_eq(z->verdict, EXPLAIN_ZONE_BELOW_WATERMARK);
	z = zone(r, 0, "DMA32");
	ck_assert_int_eq(z->free_blocks[0], 12624);
	ck_assert_int_eq(z->free_blocks[1], 1316);
	ck_assert_int_eq(z->verdict, EXPLAIN_ZONE_NO_BLOCK);
	ck_assert_int_eq(zone(r, 0, "Normal")->verdict, EXPLAIN_ZONE_NO_BLOCK);
	ck_assert_int_eq(r->causes[0], EXPLAIN_CAUSE_FRAGMENTATION);
	ck_assert(has_cause(r, EXPLAIN_CAUSE_ANON));
	ck_assert_int_eq(r->swap_total_kb, 0);
	ck_assert_str_eq(r->killed.comm, "java");
	ck_assert_int_eq(r->killed.pid, 4235);
	ck_assert_int_eq(r->killed.anon_rss_kb, 794292);
	ck_assert_int_eq(r->killed.shmem_rss_kb, EXPLAIN_UNSET);
	ck_assert_uint_eq(r->ntasks, 5); /* the mail elided the middle of the list */
}
END_TEST

START_TEST(debian419_docker_memcg_and_oops)
{
	const struct explain_report *r;

	parse_corpus("4.19-docker-memcg-and-oops-dmesg.log", 2);
	r = &res.reports[0];
	ck_assert_int_eq(r->kind, EXPLAIN_KIND_MEMCG);
	ck_assert_int_eq(r->constraint, EXPLAIN_CONSTRAINT_MEMCG);
	ck_assert(r->gfp_flags_printed);
	ck_assert_str_eq(r->gfp_flags, "GFP_KERNEL");
	ck_assert_str_eq(r->nodemask, "(null)");
	ck_assert_str_eq(r->memcg.path, "/docker/4f3a9c8e12ab");
	ck_assert_str_eq(r->memcg.task_path, "/docker/4f3a9c8e12ab");
	ck_assert_int_eq(r->memcg.swap_limit_kb, 4194304);
	ck_assert_int_eq(r->killed.score, 995);
	ck_assert_int_eq(r->killed.anon_rss_kb, 2079524);
	ck_assert_int_eq(r->killed.uid, 1000); /* from the oom-kill: summary */
	ck_assert(r->has_reaper);
	ck_assert_int_eq(r->reaped.pid, 31337);
	ck_assert_int_eq(r->reaped.anon_rss_kb, 0);
	r = &res.reports[1];
	ck_assert_int_eq(r->kind, EXPLAIN_KIND_GLOBAL);
	ck_assert_str_eq(r->trigger.comm, "rsyslogd");
	ck_assert_int_eq(r->trigger.pid, 611);
	ck_assert_int_eq(r->active_anon_kb, 3906115 * 4);
	ck_assert_int_eq(r->free_kb, 33050 * 4);
	ck_assert(r->truncated); /* cut off by an oops */
	ck_assert(!r->has_killed);
	ck_assert_str_eq(r->panic, "");
	ck_assert_str_eq(r->oops, "BUG: unable to handle kernel NULL pointer dereference at "
				  "0000000000000008");
}
END_TEST

START_TEST(ubuntu54_koji_slab)
{
	const struct explain_report *r;

	parse_corpus("5.4-koji-nfs-slab-journal.log", 1);
	r = &res.reports[0];
	ck_assert_int_eq(r->constraint, EXPLAIN_CONSTRAINT_NONE);
	ck_assert_str_eq(r->gfp_flags, "GFP_HIGHUSER_MOVABLE");
	ck_assert_int_eq(r->slab_reclaimable_kb, 655120 * 4);
	ck_assert_int_eq(r->slab_unreclaimable_kb, 22134 * 4);
	ck_assert_int_eq(r->causes[0], EXPLAIN_CAUSE_KERNEL_MEMORY);
	ck_assert(!has_cause(r, EXPLAIN_CAUSE_ANON));
	ck_assert_int_eq(zone(r, 0, "DMA")->need_kb, (34 + 3919) * 4);
	ck_assert_int_eq(zone(r, 0, "DMA")->verdict, EXPLAIN_ZONE_BELOW_WATERMARK);
	ck_assert_int_eq(r->killed.uid, 48);
	ck_assert_int_eq(r->killed.pgtables_kb, 2132);
	ck_assert_int_eq(r->killed.oom_score_adj, 0);
	ck_assert_int_eq(r->killed.shmem_rss_kb, 128);
	ck_assert_int_eq(r->reaped.shmem_rss_kb, 128);
	ck_assert_uint_eq(r->ntasks, 3);
}
END_TEST

START_TEST(debian61_numa_allocfail_and_panic)
{
	const struct explain_report *r;

	parse_corpus("6.1-numa-kvm-allocfail-and-panic-dmesg-T.log", 2);
	r = &res.reports[0];
	ck_assert_int_eq(r->kind, EXPLAIN_KIND_ALLOC_FAILURE);
	ck_assert_str_eq(r->trigger.comm, "qemu-system-x86");
	ck_assert_int_eq(r->order, 2);
	ck_assert_int_eq(r->gfp_mask, 0x40dc0);
	ck_assert_str_eq(r->mems_allowed, "1");
	ck_assert_str_eq(r->cpuset, "emulator");
	ck_assert_int_eq(zone(r, 0, "Normal")->verdict, EXPLAIN_ZONE_NODE_NOT_ALLOWED);
	ck_assert_int_eq(zone(r, 1, "Normal")->verdict, EXPLAIN_ZONE_NO_BLOCK);
	ck_assert_int_eq(r->causes[0], EXPLAIN_CAUSE_NODE_CONSTRAINT);
	ck_assert_int_eq(r->causes[1], EXPLAIN_CAUSE_FRAGMENTATION);
	ck_assert_ptr_nonnull(strstr(r->summary, "node 0 Normal, which could have served it"));
	ck_assert(!r->truncated); /* a failure has no kill line */
	r = &res.reports[1];
	ck_assert_int_eq(r->kind, EXPLAIN_KIND_GLOBAL);
	ck_assert_str_eq(r->classzone, "Movable");
	ck_assert_int_eq(zone(r, 0, "DMA")->need_kb, 31616 * 4);
	ck_assert(r->truncated);
	ck_assert_ptr_nonnull(strstr(r->panic, "panic_on_oom"));
	ck_assert_int_eq(r->causes[0], EXPLAIN_CAUSE_SHMEM);
	ck_assert_int_eq(r->shmem_kb, 13101220LL * 4);
}
END_TEST

START_TEST(debian612_memcg_v2_and_desktop)
{
	const struct explain_report *r;

	parse_corpus("6.12-systemd-memcg-v2-and-desktop-journal-monotonic.log", 2);
	r = &res.reports[0];
	ck_assert_str_eq(r->time, "5123.456789");
	ck_assert_str_eq(r->kernel, "6.12.9-amd64");
	ck_assert_int_eq(r->trigger.pid, 99321);
	ck_assert_str_eq(r->memcg.path, "/system.slice/build-worker.service");
	ck_assert_int_eq(r->memcg.anon_kb, 1067225088 / 1024);
	ck_assert_int_eq(r->memcg.kernel_kb, 6090752 / 1024);
	ck_assert_int_eq(r->memcg.swap_limit_kb, 0);
	ck_assert(r->has_reaper);
	ck_assert_int_eq(r->causes[0], EXPLAIN_CAUSE_MEMCG_LIMIT);
	r = &res.reports[1];
	ck_assert_str_eq(r->trigger.comm, "Web Content");
	ck_assert_int_eq(r->trigger.oom_score_adj, 167);
	ck_assert_str_eq(r->killed.comm, "Isolated Web Co");
	ck_assert_int_eq(r->killed.oom_score_adj, 167);
	ck_assert(has_cause(r, EXPLAIN_CAUSE_ANON));
	ck_assert(has_cause(r, EXPLAIN_CAUSE_SWAP_EXHAUSTED));
}
END_TEST

START_TEST(this_host_618_memcg_v1)
{
	const struct explain_report *r;

	parse_corpus("6.18-this-host-memcg-v1-dmesg.log", 3);
	r = &res.reports[0];
	ck_assert_int_eq(r->kind, EXPLAIN_KIND_MEMCG);
	ck_assert_str_eq(r->kernel, "6.18.44-fc-v1045");
	ck_assert_int_eq(r->monotonic_usec, 1447916805LL);
	ck_assert_str_eq(r->memcg.path, "/ogtest-rjson-18142");
	ck_assert_int_eq(r->memcg.usage_kb, 524288);
	ck_assert_int_eq(r->memcg.failcnt, 45);
	ck_assert_int_eq(r->memcg.kernel_kb, 1092);
	ck_assert_int_eq(r->memcg.anon_kb, 535752704 / 1024); /* "rss" in bytes, one per line */
	ck_assert_int_eq(r->killed.pid, 18188);
	ck_assert_int_eq(r->killed.anon_rss_kb, 523008);
	ck_assert_int_eq(r->killed.pgtables_kb, 1076);
	ck_assert_uint_eq(r->ntasks, 1);
	ck_assert_int_eq(r->causes[0], EXPLAIN_CAUSE_MEMCG_LIMIT);
	ck_assert_int_eq(r->causes[1], EXPLAIN_CAUSE_ANON);
	ck_assert_str_eq(res.reports[2].memcg.path, "/ogtest-slow-25367");
	ck_assert_int_eq(res.reports[2].memcg.limit_kb, 262144);
}
END_TEST

/* What helper "record" calls for one report */
START_TEST(one_report_text_and_json)
{
	struct json_object *o, *v;
	char *text;

	parse_corpus("6.12-systemd-memcg-v2-and-desktop-journal-monotonic.log", 2);
	ck_assert_int_eq(explain_format_report_text(&res.reports[1], &text), 0);
	ck_assert_ptr_nonnull(strstr(text, "global OOM, kernel 6.12.9-amd64, at 7210.118100"));
	ck_assert_ptr_nonnull(strstr(text, "causes    anon, swap_exhausted"));
	ck_assert_ptr_null(strstr(text, "cc1plus")); /* only that report */
	free(text);
	o = explain_report_json(&res.reports[1]);
	ck_assert_ptr_nonnull(o);
	ck_assert(json_object_object_get_ex(o, "monotonic_usec", &v));
	ck_assert_int_eq(json_object_get_int64(v), 7210118100LL);
	ck_assert(json_object_object_get_ex(o, "killed", &v));
	ck_assert(json_object_object_get_ex(v, "comm", &v));
	ck_assert_str_eq(json_object_get_string(v), "Isolated Web Co");
	json_object_put(o);
}
END_TEST

START_TEST(strip_prefixes)
{
	static const struct {
		const char *in, *out, *ts;
	} cases[] = {
		{ "<4>[  12.345678] foo bar", "foo bar", "12.345678" },
		{ "Jun 15 06:37:51 host kernel: [ 1.5] foo", "foo", "Jun 15 06:37:51" },
		{ "2022-06-15T06:37:51.123+02:00 host kernel: foo", "foo",
		  "2022-06-15T06:37:51.123+02:00" },
		{ "> > [Wed Jun 15 06:37:51 2022] foo", "foo", "Wed Jun 15 06:37:51 2022" },
		{ "[Thu Jun 16 06:37:51 2022] foo", "foo", "Thu Jun 16 06:37:51 2022" },
		{ "[  5.000001] [    T123] foo", "foo", "5.000001" },
		{ "kern  :warn  : [  5.1] foo", "foo", "5.1" },
		{ "[  5.1] host kernel: foo", "foo", "5.1" },
		{ "[ 1234]     0  1234    12345 foo", "[ 1234]     0  1234    12345 foo", "" },
		{ "[ pid ]   uid  tgid", "[ pid ]   uid  tgid", "" },
		{ "Mar  3 21:14:05 xen01 kernel: x\r", "x", "Mar  3 21:14:05" },
		{ "Mar  3 21:14:05 xen01 kernel[0]: x", "x", "Mar  3 21:14:05" },
		/* found by fuzz_explain: a "kernel[" prefix without "]" ran past the line */
		{ "Mar  3 21:14:05 xen01 kernel[12", "Mar  3 21:14:05 xen01 kernel[12", "" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[256], ts[48];

		explain_strip_line(cases[i].in, strlen(cases[i].in), out, sizeof(out), ts,
				   sizeof(ts));
		ck_assert_msg(strcmp(out, cases[i].out) == 0, "%zu: '%s'", i, out);
		ck_assert_msg(strcmp(ts, cases[i].ts) == 0, "%zu: ts '%s'", i, ts);
	}
}
END_TEST

START_TEST(kmsg_records)
{
	const char *in = "6,339,5140900,-;hello\\x0aworld\n SUBSYSTEM=pci\n DEVICE=+pci:0000:00:1f.2\n"
			 "4,340,5140901,c;a\\x5cb\n";
	char *text;
	size_t len;

	ck_assert_int_eq(explain_kmsg_to_text(in, strlen(in), &text, &len), 0);
	ck_assert_str_eq(text, "[    5.140900] hello\n[    5.140900] world\n[    5.140901] a\\b\n");
	ck_assert_uint_eq(len, strlen(text));
	free(text);
}
END_TEST

START_TEST(kmsg_report_parses)
{
	const char *in =
		"4,1,100,-;bash invoked oom-killer: gfp_mask=0x100cca(GFP_HIGHUSER_MOVABLE), order=0, "
		"oom_score_adj=0\n"
		"6,2,101,-;active_anon:10 inactive_anon:0 isolated_anon:0\\x0a active_file:1 "
		"inactive_file:1 isolated_file:0\\x0a free:3 free_pcp:0 free_cma:0\n"
		"3,3,102,-;Out of memory: Killed process 7 (bash) total-vm:100kB, anon-rss:40kB, "
		"file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0\n";
	char *text;
	size_t len;

	ck_assert_int_eq(explain_kmsg_to_text(in, strlen(in), &text, &len), 0);
	explain_result_free(&res);
	ck_assert_int_eq(explain_parse(text, len, &res), 1);
	free(text);
	ck_assert_int_eq(res.reports[0].active_file_kb, 4);
	ck_assert_int_eq(res.reports[0].free_kb, 12);
	ck_assert_int_eq(res.reports[0].killed.anon_rss_kb, 40);
	ck_assert_str_eq(res.reports[0].time, "0.000100");
	ck_assert_int_eq(res.reports[0].monotonic_usec, 100);
}
END_TEST

START_TEST(gfp_by_version)
{
	static const struct {
		uint64_t mask;
		const char *kernel, *want;
	} cases[] = {
		{ 0x201da, "2.6.32-431.el6.x86_64", "GFP_HIGHUSER_MOVABLE|__GFP_COLD" },
		{ 0xd0, "3.10.0", "GFP_KERNEL" },
		{ 0x20, "3.10.0", "__GFP_HIGH" },
		{ 0x26000c0, "4.4.0-62-generic", "GFP_KERNEL|__GFP_NOTRACK" },
		{ 0x24201ca, "4.8.0", "GFP_HIGHUSER_MOVABLE|__GFP_COLD" },
		{ 0x14000c0, "4.14.1", "GFP_KERNEL" },
		{ 0x6200ca, "4.19.0-16-amd64", "GFP_HIGHUSER_MOVABLE" },
		{ 0xcc0, "5.10.0", "GFP_KERNEL" },
		{ 0x140cca, "6.1.0", "GFP_HIGHUSER_MOVABLE|__GFP_COMP" },
		/* the same bits mean other flags on an older kernel */
		{ 0xcc0, "3.10.0", "__GFP_IO|__GFP_FS|__GFP_REPEAT|__GFP_NOFAIL" },
		{ 0x26000c0, "", "GFP_KERNEL|__GFP_NOTRACK" },
		{ 0x80000000, "5.4.0", "0x80000000" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[256];

		ck_assert(explain_gfp_decode(cases[i].mask, cases[i].kernel, out, sizeof(out)));
		ck_assert_msg(strcmp(out, cases[i].want) == 0, "%zu: '%s'", i, out);
	}
}
END_TEST

/* The same zone on 3.10 and on 4.4: enough free pages, a few order-2 blocks. */
static const char *watermark_report(const char *kernel)
{
	static char buf[2048];

	snprintf(buf, sizeof(buf),
		 "a invoked oom-killer: gfp_mask=0xd0, order=2, oom_score_adj=0\n"
		 "CPU: 0 PID: 1 Comm: a Not tainted %s #1\n"
		 "Node 0 Normal free:40000kB min:4000kB low:5000kB high:6000kB present:1000000kB\n"
		 "lowmem_reserve[]: 0 0 0 0\n"
		 "Node 0 Normal: 9000*4kB 375*8kB 1*16kB 0*32kB = 40016kB\n",
		 kernel);
	return buf;
}

START_TEST(watermark_rule_by_version)
{
	parse_text(watermark_report("3.10.0-1160.el7.x86_64"), 1);
	/* 3.10: 10000 - 3 - 9000 = 997 > 500; - 750 = 247 <= 250 -> no */
	ck_assert_int_eq(res.reports[0].zones[0].verdict, EXPLAIN_ZONE_NO_BLOCK);
	ck_assert(res.reports[0].truncated);
	parse_text(watermark_report("4.4.0-62-generic"), 1);
	/* 4.4+: one free block of order 2 is enough */
	ck_assert_int_eq(res.reports[0].zones[0].verdict, EXPLAIN_ZONE_OK);
	ck_assert(!has_cause(&res.reports[0], EXPLAIN_CAUSE_FRAGMENTATION));
}
END_TEST

START_TEST(wrapped_kill_line_and_mempolicy)
{
	parse_text("x invoked oom-killer: gfp_mask=0x280da, order=0,\n"
		   " oom_adj=0, oom_score_adj=-17\n"
		   "No available memory (MPOL_BIND): Kill process 5 (my prog) score 10 or sacrifice child\n"
		   "Killed process 5 (my prog) total-vm:10kB,\n"
		   " anon-rss:7kB, file-rss:1kB\n"
		   "unrelated: line\n"
		   "x invoked oom-killer: gfp_mask=0xd0, order=0, oom_score_adj=0\n",
		   2);
	ck_assert_int_eq(res.reports[0].trigger.oom_score_adj, -17);
	ck_assert_int_eq(res.reports[0].constraint, EXPLAIN_CONSTRAINT_MEMORY_POLICY);
	ck_assert_str_eq(res.reports[0].killed.comm, "my prog");
	ck_assert_int_eq(res.reports[0].killed.score, 10);
	ck_assert_int_eq(res.reports[0].killed.anon_rss_kb, 7);
	ck_assert_int_eq(res.reports[0].killed.file_rss_kb, 1);
	ck_assert(!res.reports[0].truncated);
	ck_assert(res.reports[1].truncated); /* the text ends before its kill line */
}
END_TEST

/* RHEL 6 (2.6.32-431): oom_adj and oom_score_adj, "Killed process N, UID N, (comm)" */
START_TEST(rhel6_kill_line)
{
	parse_text("Jun  2 10:00:00 db1 kernel: java invoked oom-killer: gfp_mask=0x201da, order=0, "
		   "oom_adj=0, oom_score_adj=-100\n"
		   "Jun  2 10:00:00 db1 kernel: Pid: 2517, comm: java Not tainted "
		   "2.6.32-431.el6.x86_64 #1\n"
		   "Jun  2 10:00:00 db1 kernel: Out of memory: Kill process 2517 (java) score 904 or "
		   "sacrifice child\n"
		   "Jun  2 10:00:00 db1 kernel: Killed process 2517, UID 500, (java) "
		   "total-vm:12345678kB, anon-rss:7654321kB, file-rss:12kB\n",
		   1);
	ck_assert_int_eq(res.reports[0].trigger.oom_score_adj, -100);
	ck_assert_int_eq(res.reports[0].trigger.pid, 2517);
	ck_assert_str_eq(res.reports[0].trigger.comm, "java");
	ck_assert_str_eq(res.reports[0].kernel, "2.6.32-431.el6.x86_64");
	ck_assert_int_eq(res.reports[0].killed.uid, 500);
	ck_assert_str_eq(res.reports[0].killed.comm, "java");
	ck_assert_int_eq(res.reports[0].killed.score, 904);
	ck_assert_int_eq(res.reports[0].killed.anon_rss_kb, 7654321);
}
END_TEST

/* i386 without NUMA: zones without "Node N", HighMem, GFP_HIGHUSER may use it */
START_TEST(i386_highmem_non_numa)
{
	const struct explain_report *r;

	parse_text("Xorg invoked oom-killer: gfp_mask=0x200da, order=0, oom_score_adj=0\n"
		   "DMA free:3512kB min:64kB low:80kB high:96kB present:15804kB\n"
		   "lowmem_reserve[]: 0 865 3023 3023\n"
		   "Normal free:3644kB min:3728kB low:4660kB high:5592kB present:885944kB\n"
		   "lowmem_reserve[]: 0 0 17267 17267\n"
		   "HighMem free:1232kB min:512kB low:2792kB high:5076kB present:2210180kB\n"
		   "lowmem_reserve[]: 0 0 0 0\n"
		   "DMA: 2*4kB 2*8kB 0*16kB 1*32kB 2*64kB 0*128kB 1*256kB 0*512kB 1*1024kB 1*2048kB 0*4096kB = 3512kB\n"
		   "HighMem: 308*4kB 0*8kB = 1232kB\n",
		   1);
	r = &res.reports[0];
	ck_assert_str_eq(r->classzone, "Movable"); /* HIGHMEM|MOVABLE */
	ck_assert_int_eq(zone(r, -1, "DMA")->verdict, EXPLAIN_ZONE_BELOW_WATERMARK);
	ck_assert_int_eq(zone(r, -1, "Normal")->verdict, EXPLAIN_ZONE_BELOW_WATERMARK);
	/* 308 - 0 > 128 pages: HighMem could serve it */
	ck_assert_int_eq(zone(r, -1, "HighMem")->verdict, EXPLAIN_ZONE_OK);
	ck_assert_int_eq(zone(r, -1, "HighMem")->free_blocks[0], 308);
	parse_text("a invoked oom-killer: gfp_mask=0xd0, order=0, oom_score_adj=0\n"
		   "HighMem free:1232kB min:512kB low:2792kB high:5076kB present:2210180kB\n",
		   1);
	/* GFP_KERNEL may not use HighMem */
	ck_assert_int_eq(res.reports[0].zones[0].verdict, EXPLAIN_ZONE_ABOVE_REQUEST);
}
END_TEST

/* 5.x prints the largest unreclaimable caches when they outgrow the LRU lists */
START_TEST(unreclaimable_slab_info)
{
	const struct explain_report *r;

	parse_text("a invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0\n"
		   "CPU: 0 PID: 9 Comm: a Not tainted 5.10.0-30-amd64 #1\n"
		   "Mem-Info:\n"
		   "active_anon:1000 inactive_anon:1000 isolated_anon:0\n"
		   " active_file:100 inactive_file:100 isolated_file:0\n"
		   " slab_reclaimable:2000 slab_unreclaimable:900000\n"
		   "Unreclaimable slab info:\n"
		   "Name                      Used          Total\n"
		   "kmalloc-64              20480KB      20480KB\n"
		   "nf_conntrack          3500000KB    3520000KB\n"
		   "kmalloc-4k              40000KB      40960KB\n"
		   "1048576 pages RAM\n",
		   1);
	r = &res.reports[0];
	ck_assert_uint_eq(r->nslabs, 3);
	ck_assert_str_eq(r->slabs[0].name, "nf_conntrack");
	ck_assert_int_eq(r->slabs[0].total_kb, 3520000);
	ck_assert_str_eq(r->slabs[1].name, "kmalloc-4k");
	ck_assert_int_eq(r->causes[0], EXPLAIN_CAUSE_KERNEL_MEMORY);
	ck_assert_ptr_nonnull(strstr(r->summary, "nf_conntrack"));
}
END_TEST

/* Pasted without its first lines; and look-alikes that are not reports */
START_TEST(implicit_starts)
{
	parse_text("Mem-Info:\n"
		   "active_anon:10 inactive_anon:0 isolated_anon:0\n"
		   "Out of memory: Killed process 7 (bash) total-vm:100kB, anon-rss:40kB, "
		   "file-rss:0kB, shmem-rss:0kB\n",
		   1);
	ck_assert_int_eq(res.reports[0].killed.pid, 7);
	ck_assert_int_eq(res.reports[0].active_anon_kb, 40);
	/* SysRq-m prints Mem-Info without any OOM; drivers say "Out of memory" */
	parse_text("sysrq: Show Memory\nMem-Info:\nactive_anon:10 inactive_anon:0\n"
		   "Node 0 DMA free:15900kB min:32kB low:40kB high:48kB\n"
		   "mlx5_core 0000:3b:00.0: Out of memory allocating rx ring\n"
		   "ata1: Out of memory\n",
		   0);
}
END_TEST

/* The two causes no corpus report has: a page cache reclaim could not shrink in time, and a
 * memory+swap limit used up */
START_TEST(page_cache_and_memsw_causes)
{
	parse_text("dd invoked oom-killer: gfp_mask=0x100cca(GFP_HIGHUSER_MOVABLE), order=0, "
		   "oom_score_adj=0\n"
		   "CPU: 0 PID: 3 Comm: dd Not tainted 5.15.0-91-generic #101-Ubuntu\n"
		   "Mem-Info:\n"
		   "active_anon:100000 inactive_anon:20000 isolated_anon:0\n"
		   " active_file:150000 inactive_file:160000 isolated_file:0\n"
		   " unevictable:0 dirty:290000 writeback:20000\n"
		   " slab_reclaimable:5000 slab_unreclaimable:8000\n"
		   " mapped:1000 shmem:200 pagetables:900 bounce:0\n"
		   " free:4000 free_pcp:0 free_cma:0\n"
		   "Free swap  = 0kB\nTotal swap = 0kB\n1048576 pages RAM\n"
		   "Out of memory: Killed process 3 (dd) total-vm:10000kB, anon-rss:4000kB, "
		   "file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:40kB oom_score_adj:0\n",
		   1);
	ck_assert_int_eq(res.reports[0].causes[0], EXPLAIN_CAUSE_PAGE_CACHE);
	ck_assert(!has_cause(&res.reports[0], EXPLAIN_CAUSE_ANON));
	ck_assert(!has_cause(&res.reports[0], EXPLAIN_CAUSE_SWAP_EXHAUSTED)); /* no swap at all */
	parse_text("java invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0\n"
		   "memory: usage 1048576kB, limit 2097152kB, failcnt 0\n"
		   "memory+swap: usage 2097152kB, limit 2097152kB, failcnt 812\n"
		   "Memory cgroup stats for /batch:\nrss 1073741824\ncache 0\n"
		   "Memory cgroup out of memory: Killed process 9 (java) total-vm:1kB, anon-rss:1kB, "
		   "file-rss:0kB, shmem-rss:0kB\n",
		   1);
	ck_assert_int_eq(res.reports[0].kind, EXPLAIN_KIND_MEMCG);
	ck_assert_int_eq(res.reports[0].causes[0], EXPLAIN_CAUSE_MEMCG_LIMIT);
	ck_assert(has_cause(&res.reports[0], EXPLAIN_CAUSE_SWAP_EXHAUSTED));
	ck_assert(has_cause(&res.reports[0], EXPLAIN_CAUSE_ANON));
	ck_assert_str_eq(res.reports[0].memcg.path, "/batch");
}
END_TEST

START_TEST(nothing_and_garbage)
{
	static const char garbage[] = "Node 0 DMA: 1*0kB\nNode 99999 Normal free:-5kB min:\n"
				      "lowmem_reserve[]: 1 2 3 4 5 6 7 8 9 10\n[ 1]\n"
				      "Killed process\nKilled process (\n";

	parse_text("", 0);
	parse_text("hello\nworld", 0);
	explain_result_free(&res);
	ck_assert_int_ge(explain_parse(garbage, sizeof(garbage) - 1, &res), 1);
}
END_TEST

START_TEST(json_contract)
{
	struct json_object *o, *r, *v;

	parse_corpus("4.19-docker-memcg-and-oops-dmesg.log", 2);
	o = explain_result_json(&res);
	ck_assert_ptr_nonnull(o);
	ck_assert(json_object_object_get_ex(o, "format", &v));
	ck_assert_int_eq(json_object_get_int(v), 1);
	ck_assert(json_object_object_get_ex(o, "reports", &v));
	r = json_object_array_get_idx(v, 0);
	ck_assert(json_object_object_get_ex(r, "kind", &v));
	ck_assert_str_eq(json_object_get_string(v), "memcg");
	ck_assert(json_object_object_get_ex(r, "gfp_mask", &v));
	ck_assert_str_eq(json_object_get_string(v), "0x6000c0");
	ck_assert(json_object_object_get_ex(r, "nodemask", &v));
	ck_assert_ptr_null(v); /* "(null)" is null */
	ck_assert(json_object_object_get_ex(r, "swap", &v));
	ck_assert_ptr_null(v);
	ck_assert(json_object_object_get_ex(r, "memcg", &v));
	ck_assert(json_object_object_get_ex(v, "limit_kb", &v));
	ck_assert_int_eq(json_object_get_int64(v), 2097152);
	ck_assert(json_object_object_get_ex(r, "causes", &v));
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(v, 0)), "memcg_limit");
	json_object_put(o);
}
END_TEST

static Suite *explain_suite(void)
{
	Suite *s = suite_create("explain");
	TCase *tc = tcase_create("corpus");
	TCase *forms = tcase_create("forms");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, seed003_centos7_numa_order2);
	tcase_add_test(tc, xen_dom0_2632_syslog);
	tcase_add_test(tc, rhel7_memcg_journal_iso);
	tcase_add_test(tc, ubuntu44_mail_quoted_wrapped);
	tcase_add_test(tc, debian419_docker_memcg_and_oops);
	tcase_add_test(tc, ubuntu54_koji_slab);
	tcase_add_test(tc, debian61_numa_allocfail_and_panic);
	tcase_add_test(tc, debian612_memcg_v2_and_desktop);
	tcase_add_test(tc, this_host_618_memcg_v1);
	tcase_add_test(tc, json_contract);
	tcase_add_test(tc, one_report_text_and_json);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(forms, NULL, teardown);
	tcase_add_test(forms, strip_prefixes);
	tcase_add_test(forms, kmsg_records);
	tcase_add_test(forms, kmsg_report_parses);
	tcase_add_test(forms, gfp_by_version);
	tcase_add_test(forms, watermark_rule_by_version);
	tcase_add_test(forms, wrapped_kill_line_and_mempolicy);
	tcase_add_test(forms, rhel6_kill_line);
	tcase_add_test(forms, i386_highmem_non_numa);
	tcase_add_test(forms, unreclaimable_slab_info);
	tcase_add_test(forms, implicit_starts);
	tcase_add_test(forms, page_cache_and_memsw_causes);
	tcase_add_test(forms, nothing_and_garbage);
	suite_add_tcase(s, forms);
	return s;
}

int main(void)
{
	return og_check_run(explain_suite());
}
