/* SPDX-License-Identifier: GPL-2.0-or-later */
/* guardian/sources/src_numa.c: node<N>/{meminfo,numastat,cpulist,distance}, the seed 003 fixture. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardian/base/root.h"
#include "guardian/sources/src_numa.h"
#include "policy/util/cleanup.h"
#include "tests/unit/og_check.h"

#define MIB(x) ((uint64_t)(x) * 1024 * 1024)
#define KIB(x) ((uint64_t)(x) * 1024)

static struct og_numa_node nodes[OG_NODES_MAX];

static const char node_meminfo[] = "Node 0 MemTotal:        4417272 kB\n"
				   "Node 0 MemFree:         4229248 kB\n"
				   "Node 0 MemUsed:          188024 kB\n"
				   "Node 0 Active(file):      19672 kB\n"
				   "Node 0 Inactive(file):    15004 kB\n"
				   "Node 0 FilePages:         46000 kB\n"
				   "Node 0 AnonPages:         14620 kB\n"
				   "Node 0 SReclaimable:      58008 kB\n"
				   "Node 0 SUnreclaim:        22556 kB\n"
				   "Node 0 HugePages_Total:     0\n"
				   "Node 0 HugePages_Free:      0\n";

START_TEST(node_meminfo_parses)
{
	struct og_numa_node n = { .id = 0, .numa_hit = 42 };

	ck_assert_int_eq(src_node_meminfo_parse_buf(node_meminfo, 0, &n), 0);
	ck_assert_uint_eq(n.total_bytes, KIB(4417272));
	ck_assert_uint_eq(n.free_bytes, KIB(4229248));
	ck_assert_uint_eq(n.used_bytes, KIB(188024));
	ck_assert_uint_eq(n.active_file_bytes, KIB(19672));
	ck_assert_uint_eq(n.inactive_file_bytes, KIB(15004));
	ck_assert_uint_eq(n.file_pages_bytes, KIB(46000));
	ck_assert_uint_eq(n.anon_pages_bytes, KIB(14620));
	ck_assert_uint_eq(n.slab_reclaimable_bytes, KIB(58008));
	ck_assert_uint_eq(n.slab_unreclaimable_bytes, KIB(22556));
	ck_assert_uint_eq(n.numa_hit, 42); /* other fields untouched */
	ck_assert_int_eq(src_node_meminfo_parse_buf(node_meminfo, -1, &n), 0);
}
END_TEST

START_TEST(node_meminfo_bad_input)
{
	static const char *const bad[] = {
		"",
		"Node 0 MemTotal: 100 kB\n", /* no MemFree */
		"Node 0 MemFree: 100 kB\n",
		"Node 0 MemTotal: 100 kB\nNode 0 MemFree: 200 kB\n", /* free > total */
		"Node 0 MemTotal: 100 kB\nNode 1 MemFree: 20 kB\n", /* two node numbers */
		"Node 0 MemTotal: 100 kB\nNode 0 MemFree: 2x0 kB\n",
		"Node 0 MemTotal: 100 kB\nNode 0 MemFree: 20 MB\n",
		"Node 0 MemTotal: 100 kB\nNode 0 MemFree 20 kB\n",
		"Node 0 MemTotal: 100 kB\nNod 0 MemFree: 20 kB\n",
		"Node 0 MemTotal: 100 kB\nNode 0 MemFree:\n",
		"Node 0 MemTotal: 99999999999999999999 kB\nNode 0 MemFree: 1 kB\n",
		/* x 1024 overflows */
		"Node 0 MemTotal: 18014398509481984 kB\nNode 0 MemFree: 1 kB\n",
		"MemTotal: 100 kB\nMemFree: 20 kB\n",
	};
	struct og_numa_node n = { .total_bytes = 7 };

	for (size_t i = 0; i < OG_ELEMENTSOF(bad); i++) {
		ck_assert_msg(src_node_meminfo_parse_buf(bad[i], -1, &n) == -EBADMSG, "case %zu",
			      i);
		ck_assert_uint_eq(n.total_bytes, 7);
	}
	/* right format, wrong node */
	ck_assert_int_eq(src_node_meminfo_parse_buf(node_meminfo, 1, &n), -EBADMSG);
}
END_TEST

START_TEST(numastat_parses)
{
	struct og_numa_node n = { 0 };

	ck_assert_int_eq(src_numastat_parse_buf("numa_hit 1722893\nnuma_miss 5\nnuma_foreign 6\n"
						"interleave_hit 1131\nlocal_node 1722890\n"
						"other_node 3\nsome_future_counter 9\n",
						&n),
			 0);
	ck_assert_uint_eq(n.numa_hit, 1722893);
	ck_assert_uint_eq(n.numa_miss, 5);
	ck_assert_uint_eq(n.numa_foreign, 6);
	ck_assert_uint_eq(n.interleave_hit, 1131);
	ck_assert_uint_eq(n.local_node, 1722890);
	ck_assert_uint_eq(n.other_node, 3);
	ck_assert_int_eq(src_numastat_parse_buf("numa_miss 5\n", &n), -EBADMSG);
	ck_assert_int_eq(src_numastat_parse_buf("numa_hit 1\nnuma_miss x\n", &n), -EBADMSG);
	ck_assert_int_eq(src_numastat_parse_buf("numa_hit 1\nnuma_miss 2 3\n", &n), -EBADMSG);
	ck_assert_int_eq(src_numastat_parse_buf("", &n), -EBADMSG);
	ck_assert_uint_eq(n.numa_hit, 1722893);
}
END_TEST

START_TEST(distance_parses)
{
	uint8_t d[OG_NODES_MAX];

	ck_assert_int_eq(src_distance_parse_buf("10 20\n", d, OG_NODES_MAX), 2);
	ck_assert_uint_eq(d[0], 10);
	ck_assert_uint_eq(d[1], 20);
	ck_assert_int_eq(src_distance_parse_buf("10", d, OG_NODES_MAX), 1);
	ck_assert_int_eq(src_distance_parse_buf("10 21 31 31\n", d, 4), 4);
	ck_assert_int_eq(src_distance_parse_buf("10 21 31 31\n", d, 3), -ENOBUFS);
	ck_assert_int_eq(src_distance_parse_buf("", d, 4), -EBADMSG);
	ck_assert_int_eq(src_distance_parse_buf("\n", d, 4), -EBADMSG);
	ck_assert_int_eq(src_distance_parse_buf("10 0\n", d, 4), -EBADMSG);
	ck_assert_int_eq(src_distance_parse_buf("10 256\n", d, 4), -EBADMSG);
	ck_assert_int_eq(src_distance_parse_buf("10,20\n", d, 4), -EBADMSG);
	ck_assert_int_eq(src_distance_parse_buf("10 20\n20 10\n", d, 4), -EBADMSG);
	ck_assert_uint_eq(d[3], 31);
}
END_TEST

START_TEST(read_seed_fixture)
{
	struct og_root root;
	size_t n = 99;

	ck_assert_int_eq(og_root_open(&root, FIXTURES "/numa-2node-kvm"), 0);
	ck_assert_int_eq(src_read_numa(&root, nodes, OG_NODES_MAX, &n), 0);
	og_root_close(&root);
	/* numactl --hardware of seed 003 */
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(nodes[0].id, 0);
	ck_assert_str_eq(nodes[0].cpulist, "0,2,4,6,8,10,12,14,16,18,20,22");
	ck_assert_uint_eq(nodes[0].total_bytes, MIB(32237));
	ck_assert_uint_eq(nodes[0].free_bytes, MIB(1554));
	ck_assert_int_eq(nodes[1].id, 1);
	ck_assert_str_eq(nodes[1].cpulist, "1,3,5,7,9,11,13,15,17,19,21,23");
	ck_assert_uint_eq(nodes[1].total_bytes, MIB(32012));
	ck_assert_uint_eq(nodes[1].free_bytes, MIB(4897));
	ck_assert_uint_eq(nodes[1].used_bytes, MIB(32012 - 4897));
	ck_assert_int_eq(nodes[0].ndistances, 2);
	ck_assert_uint_eq(nodes[0].distance[0], 10);
	ck_assert_uint_eq(nodes[0].distance[1], 20);
	ck_assert_uint_eq(nodes[1].distance[0], 20);
	ck_assert_uint_eq(nodes[1].distance[1], 10);
	ck_assert_uint_gt(nodes[1].numa_hit, 0);
	ck_assert_uint_eq(nodes[1].numa_miss, nodes[0].numa_foreign);
	ck_assert_uint_gt(nodes[0].anon_pages_bytes, MIB(24253));
}
END_TEST

START_TEST(read_more_nodes_than_cap)
{
	struct og_root root;
	size_t n = 99;

	ck_assert_int_eq(og_root_open(&root, FIXTURES "/numa-2node-kvm"), 0);
	ck_assert_int_eq(src_read_numa(&root, nodes, 1, &n), -ENOBUFS);
	og_root_close(&root);
	ck_assert_uint_eq(n, 99);
}
END_TEST

START_TEST(read_no_numa_sysfs)
{
	char dir[OG_TMPROOT_MAX];
	struct og_root root;
	size_t n1 = 99, n2 = 99;
	int r1, r2;

	og_tmproot_create(dir);
	ck_assert_int_eq(og_root_open(&root, dir), 0); /* no sys/ at all */
	r1 = src_read_numa(&root, nodes, OG_NODES_MAX, &n1);
	og_root_close(&root);
	og_tmproot_mkdir(dir, "sys/devices/system"); /* sys/, but no node/ */
	ck_assert_int_eq(og_root_open(&root, dir), 0);
	r2 = src_read_numa(&root, nodes, OG_NODES_MAX, &n2);
	og_root_close(&root);
	og_tmproot_remove(dir);
	ck_assert_int_eq(r1, 0);
	ck_assert_uint_eq(n1, 0);
	ck_assert_int_eq(r2, 0);
	ck_assert_uint_eq(n2, 0);
}
END_TEST

/* Sparse node ids (node0, node2): distance rows are per online node, mapped back to ids;
 * a node directory without meminfo (being offlined) is skipped; optional files missing. */
START_TEST(read_sparse_nodes)
{
	char dir[OG_TMPROOT_MAX];
	struct og_root root;
	size_t n = 0;
	int r;

	og_tmproot_create(dir);
	og_tmproot_put(dir, "sys/devices/system/node/node2/meminfo",
	    "Node 2 MemTotal: 2048 kB\nNode 2 MemFree: 1024 kB\n");
	og_tmproot_put(dir, "sys/devices/system/node/node2/distance", "21 10\n");
	og_tmproot_put(dir, "sys/devices/system/node/node2/cpulist", "\n");
	og_tmproot_put(dir, "sys/devices/system/node/node0/meminfo",
	    "Node 0 MemTotal: 4096 kB\nNode 0 MemFree: 1024 kB\n");
	og_tmproot_put(dir, "sys/devices/system/node/node0/distance", "10 21\n");
	og_tmproot_put(dir, "sys/devices/system/node/node0/cpulist", "0-3\n");
	og_tmproot_mkdir(dir, "sys/devices/system/node/node5"); /* vanished: no meminfo */
	og_tmproot_mkdir(dir, "sys/devices/system/node/nodex");
	og_tmproot_mkdir(dir, "sys/devices/system/node/power");
	ck_assert_int_eq(og_root_open(&root, dir), 0);
	r = src_read_numa(&root, nodes, OG_NODES_MAX, &n);
	og_root_close(&root);
	og_tmproot_remove(dir);
	ck_assert_int_eq(r, 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(nodes[0].id, 0);
	ck_assert_int_eq(nodes[1].id, 2);
	ck_assert_str_eq(nodes[0].cpulist, "0-3");
	ck_assert_str_eq(nodes[1].cpulist, ""); /* memory-only node */
	ck_assert_uint_eq(nodes[1].used_bytes, KIB(1024)); /* derived without MemUsed */
	ck_assert_int_eq(nodes[0].ndistances, 3);
	ck_assert_uint_eq(nodes[0].distance[0], 10);
	ck_assert_uint_eq(nodes[0].distance[1], 0);
	ck_assert_uint_eq(nodes[0].distance[2], 21);
	ck_assert_uint_eq(nodes[1].distance[2], 10);
	ck_assert_uint_eq(nodes[1].numa_hit, 0); /* no numastat */
}
END_TEST

START_TEST(read_malformed_node_file)
{
	char dir[OG_TMPROOT_MAX];
	struct og_root root;
	size_t n = 99;
	int r;

	og_tmproot_create(dir);
	og_tmproot_put(dir, "sys/devices/system/node/node0/meminfo",
	    "Node 0 MemTotal: 4096 kB\nNode 0 MemFree: 1024 kB\n");
	og_tmproot_put(dir, "sys/devices/system/node/node0/numastat", "numa_hit x\n");
	ck_assert_int_eq(og_root_open(&root, dir), 0);
	r = src_read_numa(&root, nodes, OG_NODES_MAX, &n);
	og_root_close(&root);
	og_tmproot_remove(dir);
	ck_assert_int_eq(r, -EBADMSG);
	ck_assert_uint_eq(n, 99);
}
END_TEST

START_TEST(read_live)
{
	struct og_root root;
	size_t n = 0;

	ck_assert_int_eq(og_root_open(&root, "/"), 0);
	ck_assert_int_eq(src_read_numa(&root, nodes, OG_NODES_MAX, &n), 0);
	og_root_close(&root);
	/* this machine: one node with all the memory and CPUs */
	ck_assert_uint_ge(n, 1);
	ck_assert_int_eq(nodes[0].id, 0);
	ck_assert_uint_gt(nodes[0].total_bytes, MIB(64));
	ck_assert_uint_le(nodes[0].free_bytes, nodes[0].total_bytes);
	ck_assert_uint_gt(nodes[0].numa_hit, 0);
	ck_assert_uint_eq(nodes[0].distance[0], 10);
	ck_assert_int_eq(nodes[0].ndistances, (int)n);
	ck_assert_str_ne(nodes[0].cpulist, "");
}
END_TEST

START_TEST(nodelist_parses)
{
	uint64_t m = 0;

	ck_assert_int_eq(src_nodelist_parse("1\n", &m), 0);
	ck_assert_uint_eq(m, 0x2);
	ck_assert_int_eq(src_nodelist_parse("0-1,3", &m), 0);
	ck_assert_uint_eq(m, 0xb);
	ck_assert_int_eq(src_nodelist_parse("", &m), -EBADMSG);
	ck_assert_int_eq(src_nodelist_parse("x", &m), -EBADMSG);
	ck_assert_int_eq(src_nodelist_parse("3-1", &m), -EBADMSG);
}
END_TEST

START_TEST(proc_mems_from_policy_and_cpuset)
{
	/* `numactl --membind=1 memhog`: the task policy shows on the first VMA; status keeps the
	 * cpuset's 0-1 (set_mempolicy does not change Mems_allowed) */
	const char *bound = "55d0c0a00000 bind:1 file=/usr/local/lib/ogvm/memhog mapped=2 N1=2 "
			    "kernelpagesize_kB=4\n7f0000000000 bind:1 anon=1000 N1=1000\n";
	const char *bound_flags = "55d0c0a00000 bind=static:1 file=/bin/x mapped=1 N1=1\n";
	const char *deflt = "55d0c0a00000 default file=/usr/sbin/sshd mapped=20 N0=20\n";
	const char *interleave = "55d0c0a00000 interleave:0-1 file=/bin/x N0=1\n";
	const char *st01 = "Name:\tmemhog\nCpus_allowed_list:\t0-1\nMems_allowed:\t3\n"
			   "Mems_allowed_list:\t0-1\nvoluntary_ctxt_switches:\t1\n";
	const char *st0 = "Name:\tqemu\nMems_allowed_list:\t0\n";
	uint64_t m = 0;

	ck_assert_int_eq(src_proc_mems_parse(bound, st01, &m), 0);
	ck_assert_uint_eq(m, 0x2);
	ck_assert_int_eq(src_proc_mems_parse(bound_flags, st01, &m), 0);
	ck_assert_uint_eq(m, 0x2);
	ck_assert_int_eq(src_proc_mems_parse(deflt, st01, &m), 0);
	ck_assert_uint_eq(m, 0x3); /* may use both: not confined */
	ck_assert_int_eq(src_proc_mems_parse(interleave, st01, &m), 0);
	ck_assert_uint_eq(m, 0x3);
	ck_assert_int_eq(src_proc_mems_parse(deflt, st0, &m), 0); /* cpuset.mems=0 */
	ck_assert_uint_eq(m, 0x1);
	ck_assert_int_eq(src_proc_mems_parse(bound, NULL, &m), 0); /* status unreadable */
	ck_assert_uint_eq(m, 0x2);
	/* the head src_read_proc_mems reads: a policy cut short says nothing */
	ck_assert_int_eq(src_proc_mems_parse("55d0c0a00000 bind:1 fil", st01, &m), 0);
	ck_assert_uint_eq(m, 0x2);
	ck_assert_int_eq(src_proc_mems_parse("55d0c0a00000 bind:0-", st01, &m), 0);
	ck_assert_uint_eq(m, 0x3);
	ck_assert_int_eq(src_proc_mems_parse("55d0c0a00000 bind=static:1", st01, &m), 0);
	ck_assert_uint_eq(m, 0x3);
	m = 7;
	ck_assert_int_eq(src_proc_mems_parse("55d0c0a00000 bind:1", "Name:\tx\n", &m), -ENODATA);
	ck_assert_uint_eq(m, 7);
	ck_assert_int_eq(src_proc_mems_parse("", "Name:\tx\n", &m), -ENODATA);
	ck_assert_uint_eq(m, 7);
}
END_TEST

START_TEST(proc_mems_read_live_self)
{
	uint64_t m = 0;
	struct og_root root;

	ck_assert_int_eq(og_root_open(&root, "/"), 0);
	/* this process: its numa_maps may be absent (CONFIG_NUMA=n), status is not */
	ck_assert_int_eq(src_read_proc_mems(&root, getpid(), &m), 0);
	ck_assert_uint_ne(m, 0);
	ck_assert_int_lt(src_read_proc_mems(&root, 0x7ffffff0, &m), 0);
	og_root_close(&root);
}
END_TEST

static Suite *numa_suite(void)
{
	Suite *s = suite_create("src_numa");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, node_meminfo_parses);
	tcase_add_test(tc, node_meminfo_bad_input);
	tcase_add_test(tc, numastat_parses);
	tcase_add_test(tc, distance_parses);
	tcase_add_test(tc, nodelist_parses);
	tcase_add_test(tc, proc_mems_from_policy_and_cpuset);
	suite_add_tcase(s, tc);
	tc = tcase_create("read");
	tcase_add_test(tc, read_seed_fixture);
	tcase_add_test(tc, read_more_nodes_than_cap);
	tcase_add_test(tc, read_no_numa_sysfs);
	tcase_add_test(tc, read_sparse_nodes);
	tcase_add_test(tc, read_malformed_node_file);
	tcase_add_test(tc, read_live);
	tcase_add_test(tc, proc_mems_read_live_self);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return og_check_run(numa_suite());
}
