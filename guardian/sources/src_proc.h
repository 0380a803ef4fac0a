/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Process reader (source layer): /proc/PID/{stat,status,cmdline,exe,oom_score,oom_score_adj,
 * cgroup} (and statm before 4.5) into struct og_proc, relative to struct og_root so fixture trees
 * work. Kernel threads are excluded; processes that vanish while being read are skipped, never
 * errors.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "guardian/base/root.h"
#include "policy/model.h"

/* PF_KTHREAD in /proc/PID/stat field 9 (flags): include/linux/sched.h */
#define SRC_PF_KTHREAD 0x00200000u

/*
 * Positive return of src_proc_parse_stat() and src_read_proc(): the task is a kernel thread.
 * Not an error; callers skip it. (A positive code rather than -EPERM/-ECHILD so that
 * "r < 0 means failure" stays true and a kthread is never logged as a read failure.)
 */
#define SRC_PROC_KTHREAD 1

/*
 * /proc/PID/stat: pid, comm, state, ppid, pgrp, flags (9), starttime (22). Split at the LAST
 * ')' because comm may hold spaces, parentheses and newlines. Fills pid, comm, state, ppid,
 * pgid, kthread, starttime_ticks. Returns 0, SRC_PROC_KTHREAD (fields filled, flags has
 * PF_KTHREAD), or -EBADMSG (malformed or truncated; *ret untouched).
 */
int src_proc_parse_stat(const char *buf, struct og_proc *ret);

/*
 * /proc/PID/status: Uid (real), RssAnon, RssFile, RssShmem, VmSwap, VmRSS (kB -> bytes). Only
 * Uid is required: kernel threads and zombies have no Vm or Rss lines (rss_source OG_RSS_NONE,
 * all 0). With RssAnon (4.5+) rss_source is OG_RSS_STATUS; with VmRSS only (3.10, 4.4) it is
 * OG_RSS_VMRSS and rss_anon_bytes holds all of VmRSS until src_proc_read_rss_fallback()
 * refines it. Fills uid, swap_bytes, rss_source and the rss fields. 0 or -EBADMSG (*ret
 * untouched).
 */
int src_proc_parse_status(const char *buf, struct og_proc *ret);

/*
 * /proc/PID/statm ("size resident shared text lib data dt", pages of page_size bytes):
 * rss_anon_bytes = resident - shared, rss_file_bytes = shared (shmem included; rss_shmem_bytes
 * 0), rss_source OG_RSS_STATM. 0, -EINVAL (page_size 0) or -EBADMSG (malformed, shared >
 * resident, overflow; *ret untouched).
 */
int src_proc_parse_statm(const char *buf, uint64_t page_size, struct og_proc *ret);

/*
 * /proc/PID/smaps_rollup (4.14+): rss_anon_bytes = Anonymous, rss_file_bytes = Rss -
 * Anonymous, rss_shmem_bytes 0, rss_source OG_RSS_SMAPS_ROLLUP. Both keys required. 0 or
 * -EBADMSG (*ret untouched).
 */
int src_proc_parse_smaps_rollup(const char *buf, struct og_proc *ret);

/*
 * For a process whose status had VmRSS but no RssAnon (p->rss_source OG_RSS_VMRSS, kernels
 * before 4.5): read statm from the pid directory fd (one small read, only on those kernels),
 * else smaps_rollup, to split the RSS into anon and file; if neither is usable VmRSS stays
 * (OG_RSS_VMRSS). buf (size bytes) is scratch. Does nothing for other sources. 0, or -ESRCH
 * when the process is gone (a missing file is not an error here).
 */
int src_proc_read_rss_fallback(int piddir_fd, uint64_t page_size, char *buf, size_t size,
			       struct og_proc *p);

/*
 * /proc/PID/cgroup: "0::/path" -> cgroup, "N:memory:/path" or "N:a,memory,b:/path" ->
 * memcg_v1, and unit from the cgroup2 path (or the name=systemd path on v1-only hosts). cgroup
 * is "/" when there is no cgroup2 line; memcg_v1 "" on pure cgroup2; unit "" if none. A path
 * longer than the model's field is stored as "" (unknown: never a truncated path that could
 * name another group), the unit is still taken from it. 0 or -EBADMSG (*ret untouched).
 */
int src_proc_parse_cgroup(const char *buf, struct og_proc *ret);

/*
 * The systemd unit a cgroup path belongs to, by systemd's rule (cg_path_get_unit): leading
 * "*.slice" components are skipped; the first other component is the unit if it is a valid unit
 * name with a known type suffix (.service, .scope, .socket, .mount, ...), else there is none.
 * Escaped names ("machine-qemu\x2d1.scope") are kept verbatim; systemd's '_' escape prefix is
 * removed. Returns 0 (buf "" when no unit) or -ENOBUFS if the unit does not fit in size.
 */
int src_unit_from_cgroup(const char *cgpath, char *buf, size_t size);

/* Drop the " (deleted)" the kernel appends to the exe link of a replaced binary, in place. */
void src_proc_strip_deleted(char *exe);

/*
 * Read one process below root->proc_fd. cmdline has NULs turned into spaces; one longer than
 * OG_CMDLINE_MAX keeps its first 160 bytes and its end around " ... " (java and python
 * processes differ at the end). Returns 0 (*ret filled), SRC_PROC_KTHREAD (kernel
 * thread, *ret untouched), -ENOENT or -ESRCH when the pid vanished before or during the read
 * (any of its files), or -EFBIG/-EBADMSG/-EACCES/-errno for unusable files. exe is "" when
 * unreadable (zombies, kernel threads, permission), without a " (deleted)" suffix.
 */
int src_read_proc(const struct og_root *root, pid_t pid, struct og_proc *ret);

/*
 * Read every process in root's proc/ into arr (at most cap), in directory order. Vanished pids,
 * kernel threads and processes whose files cannot be used are skipped (debug log). Returns 0,
 * 1 when the table filled up before the end of the directory (truncated, *ret_n = cap; not an
 * error), or -errno when proc/ itself cannot be listed (-ENOMEM is the only other hard error).
 * Cost: ~110 ms of CPU for 5000 processes on the 2-vCPU test VM, ~22 us a process, over 90% of
 * it in the kernel (one dir open, 6 file reads and a readlink each).
 */
int src_read_procs(const struct og_root *root, struct og_proc *arr, size_t cap, size_t *ret_n);

/*
 * Flags of src_read_procs_opt(). SRC_PROC_NO_CMDLINE_EXE leaves cmdline and exe "" (not read):
 * they are ~23% of a scan here (110 -> 85 ms for 5000 processes; cmdline copies from the
 * target's memory under its mmap lock), so a caller whose rules match on neither can take
 * the cheaper table.
 */
enum src_proc_flags {
	SRC_PROC_NO_CMDLINE_EXE = 1u << 0,
	/* oom_score left 0 (not read): the process table keeps no oom_score (a decision reads
	 * its candidates afresh), one file fewer for each process it loads */
	SRC_PROC_NO_OOM_SCORE = 1u << 1,
};

/* src_read_proc() with enum src_proc_flags; same returns. */
int src_read_proc_opt(const struct og_root *root, pid_t pid, unsigned flags, struct og_proc *ret);

/*
 * For a child known from its fork event whose parent was read whole: what fork() does not copy,
 * or what may change without an event. stat (identity, ppid, pgid, comm, state), cgroup and
 * unit (a move sends no event), oom_score_adj (written by anyone) and cmdline (a child may
 * retitle itself, setproctitle(): postgres, nginx and sshd workers do). The rest of *ret (uid,
 * exe, swap) is left as the caller put it: the parent's, which only an exec or a setuid()
 * changes, and both send an event. 4 files and the pid dir, where a whole read for the table is
 * 5 files (status the costliest) and the exe link. 0, SRC_PROC_KTHREAD, or -errno
 * (-ENOENT/-ESRCH: gone).
 */
int src_read_proc_forked(const struct og_root *root, pid_t pid, struct og_proc *ret);

/* src_read_procs() with enum src_proc_flags; same returns. */
int src_read_procs_opt(const struct og_root *root, unsigned flags, struct og_proc *arr, size_t cap,
		       size_t *ret_n);

/*
 * The anonymous RSS of src_proc_parse_statm() (resident - shared): what ranking needs, from the
 * smallest file the kernel has per process (~30 bytes, no mmap lock taken). Same returns.
 */
int src_proc_parse_statm_anon(const char *buf, uint64_t page_size, uint64_t *ret_anon_bytes);

/* src_proc_parse_statm_anon() of root's proc/PID/statm. 0, -ENOENT/-ESRCH (gone), -EBADMSG. */
int src_read_statm_anon(const struct og_root *root, pid_t pid, uint64_t page_size,
			uint64_t *ret_anon_bytes);
