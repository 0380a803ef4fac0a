/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of policy/engine/pol_findings.c: grouping by service and the plain-language findings. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/og_check.h"

#include "policy/engine/pol_findings.h"
#include "policy/util/strutil.h"

#define GiB (1024ULL * 1024 * 1024)
#define MiB (1024ULL * 1024)

static struct og_proc procs[64];
static struct og_slab slabs[4];
static struct og_snapshot snap;

static void healthy(void)
{
	memset(&snap, 0, sizeof(snap));
	memset(procs, 0, sizeof(procs));
	snap.page_size = 4096;
	snap.mem.total_bytes = 8 * GiB;
	snap.mem.available_bytes = 6 * GiB;
	snap.mem.free_bytes = 5 * GiB;
	snap.mem.slab_bytes = 200 * MiB;
	snap.mem.sreclaimable_bytes = 100 * MiB;
	snap.psi.available = true;
	snap.procs = procs;
	snap.cap_procs = 64;
	snap.slabs = slabs;
	snap.cap_slabs = 4;
}

static struct og_proc *add_proc(pid_t pid, const char *comm, const char *unit, uint64_t anon)
{
	struct og_proc *p = &procs[snap.nprocs++];

	p->pid = pid;
	og_strscpy(p->comm, comm, sizeof(p->comm));
	og_strscpy(p->unit, unit, sizeof(p->unit));
	snprintf(p->cgroup, sizeof(p->cgroup), "/system.slice/%s", unit);
	p->rss_anon_bytes = anon;
	p->rss_file_bytes = anon / 4;
	return p;
}

static bool has_finding(enum pol_finding_kind k, const char *needle)
{
	struct og_service_usage svc[16];
	struct pol_finding f[16];
	size_t nsvc = pol_services_usage(&snap, svc, 16);
	size_t n = pol_findings(&snap, svc, nsvc, f, 16);

	for (size_t i = 0; i < n; i++)
		if (f[i].kind == k && (!needle || strstr(f[i].text, needle)))
			return true;
	return false;
}

START_TEST(healthy_machine_has_no_alarm)
{
	healthy();
	add_proc(100, "sshd", "ssh.service", 10 * MiB);
	ck_assert(!has_finding(POL_FIND_LOW_AVAILABLE, NULL));
	ck_assert(!has_finding(POL_FIND_SLAB_HEAVY, NULL));
	ck_assert(!has_finding(POL_FIND_MANY_WORKERS, NULL));
	ck_assert(!has_finding(POL_FIND_ZONE_FRAGMENTED, NULL));
	ck_assert(!has_finding(POL_FIND_NO_PSI, NULL));
	ck_assert(has_finding(POL_FIND_TOP_SERVICES, "ssh.service"));
}
END_TEST

START_TEST(koji_slab_is_named)
{
	healthy();
	snap.mem.available_bytes = 500 * MiB;
	snap.mem.slab_bytes = 2600 * MiB;
	snap.mem.sreclaimable_bytes = 2550 * MiB;
	og_strscpy(slabs[0].name, "nfs_inode_cache", sizeof(slabs[0].name));
	slabs[0].total_bytes = 2500 * MiB;
	slabs[0].reclaimable = slabs[0].has_reclaim_flag = true;
	snap.nslabs = 1;
	add_proc(200, "httpd", "httpd.service", 1 * GiB);
	ck_assert(has_finding(POL_FIND_SLAB_HEAVY, "nfs_inode_cache 2.4G (reclaimable)"));
	ck_assert(has_finding(POL_FIND_LOW_AVAILABLE, "only 500.0M of 8.0G"));
}
END_TEST

START_TEST(devstack_workers_are_counted)
{
	healthy();
	for (int i = 0; i < 24; i++)
		add_proc(1000 + i, "nova-api", "devstack@n-api.service", 40 * MiB);
	add_proc(2000, "java", "zookeeper.service", 300 * MiB);
	add_proc(2001, "sshd", "ssh.service", 5 * MiB);

	struct og_service_usage svc[8];
	size_t n = pol_services_usage(&snap, svc, 8);

	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(svc[0].name, "devstack@n-api.service");
	ck_assert_uint_eq(svc[0].nprocs, 24);
	ck_assert_uint_eq(svc[0].rss_bytes, 24 * (40 * MiB + 10 * MiB));
	ck_assert_str_eq(svc[1].name, "zookeeper.service");
	ck_assert(has_finding(POL_FIND_MANY_WORKERS, "devstack@n-api.service runs 24 processes"));
	ck_assert(!has_finding(POL_FIND_MANY_WORKERS, "zookeeper"));
}
END_TEST

START_TEST(root_cgroup_is_not_a_service)
{
	healthy();
	for (int i = 0; i < 10; i++)
		add_proc(3000 + i, "java", "", 80 * MiB)->cgroup[0] = '\0';
	ck_assert(!has_finding(POL_FIND_MANY_WORKERS, NULL));
	ck_assert(!has_finding(POL_FIND_TOP_SERVICES, NULL));
}
END_TEST

START_TEST(service_table_full_drops_smallest_not_crash)
{
	struct og_service_usage svc[2];

	healthy();
	add_proc(1, "a", "a.service", 1 * MiB);
	add_proc(2, "b", "b.service", 2 * MiB);
	add_proc(3, "c", "c.service", 3 * MiB);
	ck_assert_uint_eq(pol_services_usage(&snap, svc, 2), 2);
}
END_TEST

START_TEST(numa_order2_zone_is_flagged)
{
	struct og_zone *z;

	healthy();
	snap.nzones = 1;
	z = &snap.zones[0];
	z->node = 1;
	og_strscpy(z->name, "Normal", sizeof(z->name));
	z->norders = 11;
	z->free_blocks[0] = 12930; /* the seed: 12930*4kB and nothing larger */
	ck_assert(has_finding(POL_FIND_ZONE_FRAGMENTED, "node 1 Normal has 50.5M free"));
	z->free_blocks[2] = 10; /* one order-2 block and it is fine */
	ck_assert(!has_finding(POL_FIND_ZONE_FRAGMENTED, NULL));
}
END_TEST

START_TEST(numa_imbalance)
{
	healthy();
	snap.nnodes = 2;
	snap.nodes[0] = (struct og_numa_node){ .id = 0, .total_bytes = 32 * GiB,
					       .free_bytes = 1 * GiB };
	snap.nodes[1] = (struct og_numa_node){ .id = 1, .total_bytes = 32 * GiB,
					       .free_bytes = 5 * GiB };
	ck_assert(has_finding(POL_FIND_NODE_IMBALANCE, "node 0 has 1.0G free (3.1%)"));
}
END_TEST

START_TEST(no_psi_and_kernel_kills)
{
	healthy();
	snap.psi.available = false;
	snap.vm.has_oom_kill = true;
	snap.vm.oom_kill = 3;
	ck_assert(has_finding(POL_FIND_NO_PSI, NULL));
	ck_assert(has_finding(POL_FIND_KERNEL_OOM_KILLS, "killed 3 process"));
}
END_TEST

START_TEST(procs_sorted_by_freeable_memory)
{
	size_t idx[3];

	healthy();
	add_proc(1, "small", "a.service", 1 * MiB);
	add_proc(2, "big", "b.service", 9 * MiB);
	add_proc(3, "mid", "c.service", 5 * MiB)->swap_bytes = 1 * MiB;
	pol_procs_by_memory(&snap, idx, 3);
	ck_assert_int_eq(procs[idx[0]].pid, 2);
	ck_assert_int_eq(procs[idx[1]].pid, 3);
	ck_assert_int_eq(procs[idx[2]].pid, 1);
}
END_TEST

START_TEST(service_key_fallbacks)
{
	struct og_proc p = { 0 };

	ck_assert_str_eq(pol_service_key(&p), "/");
	og_strscpy(p.memcg_v1, "/process_api/x", sizeof(p.memcg_v1));
	og_strscpy(p.cgroup, "/", sizeof(p.cgroup));
	ck_assert_str_eq(pol_service_key(&p), "/process_api/x");
	og_strscpy(p.cgroup, "/user.slice", sizeof(p.cgroup));
	ck_assert_str_eq(pol_service_key(&p), "/user.slice");
	og_strscpy(p.unit, "cron.service", sizeof(p.unit));
	ck_assert_str_eq(pol_service_key(&p), "cron.service");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("findings");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, healthy_machine_has_no_alarm);
	tcase_add_test(tc, koji_slab_is_named);
	tcase_add_test(tc, devstack_workers_are_counted);
	tcase_add_test(tc, service_table_full_drops_smallest_not_crash);
	tcase_add_test(tc, root_cgroup_is_not_a_service);
	tcase_add_test(tc, numa_order2_zone_is_flagged);
	tcase_add_test(tc, numa_imbalance);
	tcase_add_test(tc, no_psi_and_kernel_kills);
	tcase_add_test(tc, procs_sorted_by_freeable_memory);
	tcase_add_test(tc, service_key_fallbacks);
	suite_add_tcase(s, tc);
	return og_check_run(s);
}
