/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-login.h>

#include "guardian/base/log.h"
#include "guardian/sources/src_cgroup.h"
#include "guardian/sources/src_kv.h"
#include "guardian/sources/src_proc.h"
#include "policy/util/cleanup.h"
#include "policy/util/strutil.h"

/*
 * One buffer serves every file of a pid in turn. Sizes on 6.x: stat < 400 bytes (52 fields of at
 * most 20 digits plus a 64-byte kthread comm: < 1.2 KiB worst case), status ~1.5 KiB (grows with
 * the CPU and node masks: ~2.3 KiB of Cpus_allowed text at 8192 CPUs), cgroup one line on
 * cgroup2 but up to 13 lines of paths on hybrid hosts. 16 KiB holds all of them with headroom;
 * a longer file is -EFBIG and the process is skipped.
 */
#define PROC_BUF_SIZE 16384
/* getdents64 batch: ~32 bytes a pid entry, so ~500 pids a call. */
#define DENTS_BUF_SIZE 16384

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Parses one space-terminated token of stat after the comm: optional '-' then digits. */
static int stat_token(const char **p, int64_t *ret)
{
	const char *s = *p;
	bool neg = false;
	uint64_t v = 0;

	if (*s != ' ')
		return -EBADMSG;
	s++;
	if (*s == '-') {
		neg = true;
		s++;
	}
	if (!is_digit(*s))
		return -EBADMSG;
	for (; is_digit(*s); s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -EBADMSG;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (*s != ' ' && *s != '\n' && *s != '\0')
		return -EBADMSG;
	if (v > INT64_MAX)
		return -EBADMSG;
	*ret = neg ? -(int64_t)v : (int64_t)v;
	*p = s;
	return 0;
}

int src_proc_parse_stat(const char *buf, struct og_proc *ret)
{
	const char *open, *close, *p;
	uint64_t pid;
	int64_t v, ppid = 0, pgid = 0, flags = 0, start = 0;
	size_t len;
	char state;

	if (og_parse_u64_prefix(buf, &pid, &p) < 0 || pid == 0 || pid > INT32_MAX)
		return -EBADMSG;
	if (p[0] != ' ' || p[1] != '(')
		return -EBADMSG;
	open = p + 2;
	/* comm may contain ") R 1 (" itself; the kernel's own ')' is the last one in the line. */
	close = strrchr(open, ')');
	if (!close)
		return -EBADMSG;
	p = close + 1;
	if (p[0] != ' ' || p[1] == '\0' || p[1] == ' ' || p[1] == '\n')
		return -EBADMSG;
	state = p[1];
	p += 2;
	/* Fields 4 (ppid) .. 22 (starttime); the rest of the line is not needed. */
	for (int field = 4; field <= 22; field++) {
		if (stat_token(&p, &v) < 0)
			return -EBADMSG;
		if (field == 4)
			ppid = v;
		else if (field == 5)
			pgid = v;
		else if (field == 9)
			flags = v;
		else if (field == 22)
			start = v;
	}
	if (ppid < 0 || ppid > INT32_MAX || pgid < 0 || pgid > INT32_MAX || flags < 0 || start < 0)
		return -EBADMSG;

	ret->pid = (pid_t)pid;
	ret->ppid = (pid_t)ppid;
	ret->pgid = (pid_t)pgid;
	ret->state = state;
	ret->kthread = ((uint64_t)flags & SRC_PF_KTHREAD) != 0;
	ret->starttime_ticks = (uint64_t)start;
	len = (size_t)(close - open);
	if (len >= sizeof(ret->comm))
		len = sizeof(ret->comm) - 1;
	memcpy(ret->comm, open, len);
	ret->comm[len] = '\0';
	return ret->kthread ? SRC_PROC_KTHREAD : 0;
}

/* The memory lines of status, parsed into scratch before they are trusted. */
struct status_mem {
	uint64_t anon, file, shmem, swap, vmrss;
};

int src_proc_parse_status(const char *buf, struct og_proc *ret)
{
	/* absent in kernel threads and zombies (no mm): 0. RssAnon/RssFile/RssShmem since 4.5
	 * ("mm, procfs: breakdown RSS for anon, shmem and file in /proc/pid/status"); before,
	 * only VmRSS (= file + anon, shmem in file) and VmSwap (2.6.34+). */
	static const struct src_kv_field tab[] = {
		{"RssAnon", offsetof(struct status_mem, anon), SRC_KV_KB},
		{"RssFile", offsetof(struct status_mem, file), SRC_KV_KB},
		{"RssShmem", offsetof(struct status_mem, shmem), SRC_KV_KB},
		{"VmSwap", offsetof(struct status_mem, swap), SRC_KV_KB},
		{"VmRSS", offsetof(struct status_mem, vmrss), SRC_KV_KB},
	};
	enum { SEEN_ANON = 1u << 0, SEEN_VMRSS = 1u << 4 };
	struct status_mem tmp = {0};
	struct src_kv kv = {0};
	const char *pos = buf;
	uint64_t seen, uid = 0;
	bool has_uid = false;

	if (src_kv_parse_table(buf, ':', tab, OG_ELEMENTSOF(tab), &tmp, &seen) < 0)
		return -EBADMSG;
	while (src_kv_next(&pos, ':', &kv) > 0) {
		const char *end;

		if (!src_kv_key_is(&kv, "Uid"))
			continue;
		/* "Uid:\t1000\t1000\t1000\t1000": real, effective, saved, fs */
		if (has_uid || og_parse_u64_prefix(kv.val, &uid, &end) < 0 || uid > UINT32_MAX ||
		    (end != kv.val + kv.val_len && *end != '\t' && *end != ' '))
			return -EBADMSG;
		has_uid = true;
	}
	if (!has_uid)
		return -EBADMSG;
	ret->uid = (uid_t)uid;
	ret->swap_bytes = tmp.swap;
	if (seen & SEEN_ANON) {
		ret->rss_source = OG_RSS_STATUS;
		ret->rss_anon_bytes = tmp.anon;
		ret->rss_file_bytes = tmp.file;
		ret->rss_shmem_bytes = tmp.shmem;
	} else if (seen & SEEN_VMRSS) {
		/* before 4.5: the whole RSS as anon until statm or smaps_rollup says better */
		ret->rss_source = OG_RSS_VMRSS;
		ret->rss_anon_bytes = tmp.vmrss;
		ret->rss_file_bytes = 0;
		ret->rss_shmem_bytes = 0;
	} else {
		ret->rss_source = OG_RSS_NONE;
		ret->rss_anon_bytes = ret->rss_file_bytes = ret->rss_shmem_bytes = 0;
	}
	return 0;
}

int src_proc_parse_statm(const char *buf, uint64_t page_size, struct og_proc *ret)
{
	/* "size resident shared text lib data dt\n" in pages (fs/proc/array.c proc_pid_statm);
	 * task_statm(): shared = MM_FILEPAGES (+ MM_SHMEMPAGES since 4.5), resident = shared +
	 * MM_ANONPAGES, so resident - shared is the anon count on every kernel. */
	uint64_t v[3];
	const char *p = buf;

	if (page_size == 0)
		return -EINVAL;
	for (size_t i = 0; i < OG_ELEMENTSOF(v); i++) {
		if (og_parse_u64_prefix(p, &v[i], &p) < 0 || *p != ' ')
			return -EBADMSG;
		p++;
	}
	if (v[2] > v[1] || v[1] > UINT64_MAX / page_size)
		return -EBADMSG;
	ret->rss_anon_bytes = (v[1] - v[2]) * page_size;
	ret->rss_file_bytes = v[2] * page_size;
	ret->rss_shmem_bytes = 0; /* inside file before 4.5: not separable */
	ret->rss_source = OG_RSS_STATM;
	return 0;
}

int src_proc_parse_smaps_rollup(const char *buf, struct og_proc *ret)
{
	/* "<range> ---p 00000000 00:00 0  [rollup]\nRss:  N kB\nPss: ...\nAnonymous: N kB\n..."
	 * (fs/proc/task_mmu.c, 4.14+); the header line has no known key. */
	static const struct src_kv_field tab[] = {
		{"Rss", offsetof(struct status_mem, vmrss), SRC_KV_KB},
		{"Anonymous", offsetof(struct status_mem, anon), SRC_KV_KB},
	};
	struct status_mem tmp = {0};
	uint64_t seen;

	if (src_kv_parse_table(buf, ':', tab, OG_ELEMENTSOF(tab), &tmp, &seen) < 0 || seen != 3 ||
	    tmp.anon > tmp.vmrss)
		return -EBADMSG;
	ret->rss_anon_bytes = tmp.anon;
	ret->rss_file_bytes = tmp.vmrss - tmp.anon;
	ret->rss_shmem_bytes = 0;
	ret->rss_source = OG_RSS_SMAPS_ROLLUP;
	return 0;
}

/* systemd's unit_name_is_valid(UNIT_NAME_PLAIN|UNIT_NAME_INSTANCE) for [s, s+len). */
static bool unit_name_valid(const char *s, size_t len)
{
	static const char *const suffixes[] = {
		".service", ".socket", ".device", ".mount", ".automount", ".swap",
		".target",  ".path",   ".timer",  ".slice", ".scope",
	};
	const char *at = NULL;
	size_t stem = 0;

	/* UNIT_NAME_MAX is 256 including the NUL */
	if (len == 0 || len >= 256)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
		      strchr(":-_.\\@", c)))
			return false;
		if (c == '@' && !at)
			at = s + i;
	}
	for (size_t i = 0; i < OG_ELEMENTSOF(suffixes); i++) {
		size_t sl = strlen(suffixes[i]);

		if (len > sl && memcmp(s + len - sl, suffixes[i], sl) == 0) {
			stem = len - sl;
			break;
		}
	}
	if (stem == 0)
		return false;
	if (at) {
		/* "@x.service" has no prefix; "x@.service" is a template, never a running unit */
		if (at == s || (size_t)(at - s) + 1 >= stem)
			return false;
	}
	return true;
}

/* src_unit_from_cgroup() on the first len bytes of cgpath (need not be NUL-terminated). */
static int unit_from_path(const char *cgpath, size_t plen, char *buf, size_t size)
{
	const char *p = cgpath, *end = cgpath + plen;

	if (size == 0)
		return -ENOBUFS;
	buf[0] = '\0';
	for (;;) {
		const char *c;
		size_t len;

		while (p < end && *p == '/')
			p++;
		if (p == end)
			return 0;
		c = memchr(p, '/', (size_t)(end - p));
		len = c ? (size_t)(c - p) : (size_t)(end - p);
		/* cg_unescape(): systemd prefixes '_' to names that could clash with cgroupfs
		 * files ("_cpu.service") */
		if (*p == '_' && len > 1) {
			p++;
			len--;
		}
		if (!unit_name_valid(p, len))
			return 0;
		if (len < 6 || memcmp(p + len - 6, ".slice", 6) != 0) {
			if (len >= size)
				return -ENOBUFS;
			memcpy(buf, p, len);
			buf[len] = '\0';
			return 0;
		}
		p += len;
	}
}

int src_unit_from_cgroup(const char *cgpath, char *buf, size_t size)
{
	return unit_from_path(cgpath, strlen(cgpath), buf, size);
}

/* Copies [s, s+len) into a path field; an overlong path becomes "" (unknown, see header). */
static void set_path(char *dst, size_t size, const char *s, size_t len)
{
	if (len >= size)
		len = 0;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

int src_proc_parse_cgroup(const char *buf, struct og_proc *ret)
{
	const char *v2 = NULL, *mem = NULL, *sysd = NULL;
	size_t v2_len = 0, mem_len = 0, sysd_len = 0;
	char unit[OG_UNIT_MAX] = "";

	for (const char *line = buf; *line;) {
		const char *nl = strchr(line, '\n'), *c1, *c2, *eol;
		uint64_t id;

		eol = nl ? nl : line + strlen(line);
		if (og_parse_u64_prefix(line, &id, &c1) < 0 || *c1 != ':')
			return -EBADMSG;
		c1++;
		c2 = memchr(c1, ':', (size_t)(eol - c1));
		if (!c2 || c2 + 1 >= eol || c2[1] != '/')
			return -EBADMSG;
		if (id == 0 && c2 == c1) {
			v2 = c2 + 1;
			v2_len = (size_t)(eol - v2);
		} else if (src_cgroup_list_has(c1, (size_t)(c2 - c1), "memory")) {
			mem = c2 + 1;
			mem_len = (size_t)(eol - mem);
		} else if (src_cgroup_list_has(c1, (size_t)(c2 - c1), "name=systemd")) {
			sysd = c2 + 1;
			sysd_len = (size_t)(eol - sysd);
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	if (!v2 && !mem && !sysd)
		return -EBADMSG;

	/* The unit: cgroup2 path first (systemd's own view on hybrid and unified hosts), then the
	 * name=systemd hierarchy (v1-only hosts), then the memory controller's path. */
	{
		const char *cand[] = {v2, sysd, mem};
		size_t cand_len[] = {v2_len, sysd_len, mem_len};

		for (size_t i = 0; i < OG_ELEMENTSOF(cand) && !unit[0]; i++)
			if (cand[i] && unit_from_path(cand[i], cand_len[i], unit, sizeof(unit)) < 0)
				unit[0] = '\0';
	}

	if (v2)
		set_path(ret->cgroup, sizeof(ret->cgroup), v2, v2_len);
	else
		og_strscpy(ret->cgroup, "/", sizeof(ret->cgroup));
	if (mem)
		set_path(ret->memcg_v1, sizeof(ret->memcg_v1), mem, mem_len);
	else
		ret->memcg_v1[0] = '\0';
	og_strscpy(ret->unit, unit, sizeof(ret->unit));
	return 0;
}

/*
 * One read() of up to size - 1 bytes. procfs generates a pid file whole and hands it over in
 * the first read when the buffer is large enough, so the extra read() that would prove EOF
 * (og_read_at() does it for regular files) is skipped: it costs ~10% of a 5000-process scan.
 * Returns the length or -errno.
 */
static ssize_t read_once_at(int dirfd, const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	do
		n = read(fd, buf, size - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

/* As read_once_at(), but a full buffer is -EFBIG: the file may have been cut. */
static ssize_t read_whole_at(int dirfd, const char *path, char *buf, size_t size)
{
	ssize_t n = read_once_at(dirfd, path, buf, size);

	return n == (ssize_t)size - 1 ? -EFBIG : n;
}

static int read_int_at(int dirfd, const char *path, int *ret)
{
	char buf[32]; /* "-1000\n" */
	ssize_t n = read_whole_at(dirfd, path, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return og_parse_int(buf, ret) < 0 ? -EBADMSG : 0;
}

static bool is_live_root(const struct og_root *root)
{
	return strcmp(root->path, "/") == 0;
}

/*
 * libsystemd has no public path -> unit API (cg_path_get_unit() is internal), and
 * sd_pid_get_unit() reads the live /proc, so it cannot work on fixture trees. The unit therefore
 * comes from the cgroup path above; at debug level on the live root we compare with systemd's
 * answer to catch divergence from its rules.
 */
static void cross_check_unit(const struct og_root *root, const struct og_proc *p)
{
	char *u = NULL;

	if (log_get_max_level() < LOG_DEBUG || !is_live_root(root))
		return;
	if (sd_pid_get_unit(p->pid, &u) >= 0 && strcmp(u, p->unit) != 0)
		log_debug("pid %d: unit '%s' from cgroup path, sd_pid_get_unit() says '%s'", p->pid,
			  p->unit, u);
	free(u);
}

static void fmt_pid(pid_t pid, char *buf, size_t size)
{
	char tmp[16];
	size_t n = 0, i = 0;
	unsigned v = (unsigned)pid;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < sizeof(tmp));
	for (; i < n && i + 1 < size; i++)
		buf[i] = tmp[n - 1 - i];
	buf[i] = '\0';
}

/*
 * cmdline into the model's field: NULs (and newlines) become spaces. A longer one keeps its
 * head and its tail around " ... ": the part that tells java and python processes apart is
 * usually at the end ("java -cp <1 KiB of jars> org.apache.zookeeper...QuorumPeerMain").
 * src is modified.
 */
#define CMDLINE_HEAD 160
#define CMDLINE_ELLIPSIS " ... "

static void cmdline_store(char *src, size_t n, char *dst, size_t size)
{
	size_t head = CMDLINE_HEAD, mark = sizeof(CMDLINE_ELLIPSIS) - 1, tail;

	for (size_t i = 0; i < n; i++)
		if (src[i] == '\0' || src[i] == '\n')
			src[i] = ' ';
	while (n > 0 && src[n - 1] == ' ')
		n--;
	if (n < size) {
		memcpy(dst, src, n);
		dst[n] = '\0';
		return;
	}
	_Static_assert(CMDLINE_HEAD + sizeof(CMDLINE_ELLIPSIS) + 32 < OG_CMDLINE_MAX,
		       "cmdline head too long");
	tail = size - 1 - head - mark;
	memcpy(dst, src, head);
	memcpy(dst + head, CMDLINE_ELLIPSIS, mark);
	memcpy(dst + head + mark, src + n - tail, tail);
	dst[size - 1] = '\0';
}

int src_proc_read_rss_fallback(int piddir_fd, uint64_t page_size, char *buf, size_t size,
			       struct og_proc *p)
{
	ssize_t n;

	if (p->rss_source != OG_RSS_VMRSS)
		return 0;
	/* ESRCH: gone. ENOENT is left to the next file to tell (gone, or a fixture tree that
	 * has no statm), so a missing statm never costs the process. */
	n = read_whole_at(piddir_fd, "statm", buf, size);
	if (n == -ESRCH)
		return (int)n;
	if (n >= 0 && src_proc_parse_statm(buf, page_size, p) == 0)
		return 0;
	n = read_whole_at(piddir_fd, "smaps_rollup", buf, size);
	if (n == -ESRCH)
		return (int)n;
	if (n >= 0)
		(void)src_proc_parse_smaps_rollup(buf, p); /* on failure VmRSS stays */
	return 0;
}

/*
 * statm counts the kernel's pages. A fixture tree carries no page size: the trees were
 * captured on x86_64 (4 KiB), as og_collector_open() assumes too.
 */
static uint64_t proc_page_size(const struct og_root *root)
{
	long ps = is_live_root(root) ? sysconf(_SC_PAGESIZE) : 4096;

	return ps > 0 ? (uint64_t)ps : 4096;
}

/* cgroup into p (paths and unit), buf (PROC_BUF_SIZE) as scratch. 0 or -errno. */
static int read_cgroup_at(int dfd, char *buf, struct og_proc *p)
{
	ssize_t n = read_whole_at(dfd, "cgroup", buf, PROC_BUF_SIZE);

	return n < 0 ? (int)n : src_proc_parse_cgroup(buf, p);
}

/*
 * cmdline into p, buf (PROC_BUF_SIZE) as scratch: up to 16 KiB, the tail of longer ones is the
 * tail of what was read; unreadable is "" (a zombie). 0, or -ENOENT/-ESRCH (gone). It takes the
 * target's mmap lock, which a task stuck in D state may hold: callers read it last, so the
 * cheap, lock-free fields come first.
 */
static int read_cmdline_at(int dfd, char *buf, struct og_proc *p)
{
	ssize_t n = read_once_at(dfd, "cmdline", buf, PROC_BUF_SIZE);

	if (n == -ENOENT || n == -ESRCH)
		return (int)n;
	cmdline_store(buf, n < 0 ? 0 : (size_t)n, p->cmdline, sizeof(p->cmdline));
	return 0;
}

/* Reads the files after stat; the pid dir fd keeps a reused pid from mixing in (its files
 * fail with ESRCH once the original task is gone). */
static int read_proc_rest(int dfd, unsigned flags, uint64_t page_size, char *buf, struct og_proc *p)
{
	ssize_t n;
	int r;

	n = read_whole_at(dfd, "status", buf, PROC_BUF_SIZE);
	if (n < 0)
		return (int)n;
	r = src_proc_parse_status(buf, p);
	if (r < 0)
		return r;
	r = src_proc_read_rss_fallback(dfd, page_size, buf, PROC_BUF_SIZE, p);
	if (r < 0)
		return r;
	r = read_cgroup_at(dfd, buf, p);
	if (r < 0)
		return r;
	r = flags & SRC_PROC_NO_OOM_SCORE ? 0 : read_int_at(dfd, "oom_score", &p->oom_score);
	if (r < 0)
		return r;
	r = read_int_at(dfd, "oom_score_adj", &p->oom_score_adj);
	if (r < 0 || (flags & SRC_PROC_NO_CMDLINE_EXE))
		return r;
	r = read_cmdline_at(dfd, buf, p);
	if (r < 0)
		return r;
	/* zombies and other users' tasks: exe unreadable is normal */
	if (og_readlink_at(dfd, "exe", p->exe, sizeof(p->exe)) < 0)
		p->exe[0] = '\0';
	else
		src_proc_strip_deleted(p->exe);
	return 0;
}

/* pid's directory into *dfd (O_PATH: a reused pid's files fail with ESRCH once the task is
 * gone) and its stat parsed into *p, buf as scratch. 0, SRC_PROC_KTHREAD, or -errno. */
static int open_pid_stat(const struct og_root *root, pid_t pid, char *buf, size_t size,
			 struct og_proc *p, int *dfd)
{
	char name[16];
	ssize_t n;
	int r;

	if (pid <= 0)
		return -EINVAL;
	fmt_pid(pid, name, sizeof(name));
	*dfd = openat(root->proc_fd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*dfd < 0)
		return -errno;
	n = read_whole_at(*dfd, "stat", buf, size);
	if (n < 0)
		return (int)n;
	r = src_proc_parse_stat(buf, p);
	if (r != 0)
		return r;
	return p->pid == pid ? 0 : -EBADMSG;
}

static int read_proc(const struct og_root *root, pid_t pid, unsigned flags, struct og_proc *ret)
{
	char buf[PROC_BUF_SIZE];
	_cleanup_close_ int dfd = -1;
	struct og_proc p;
	int r;

	memset(&p, 0, sizeof(p));
	r = open_pid_stat(root, pid, buf, sizeof(buf), &p, &dfd);
	if (r != 0)
		return r;
	r = read_proc_rest(dfd, flags, proc_page_size(root), buf, &p);
	if (r < 0)
		return r;
	cross_check_unit(root, &p);
	*ret = p;
	return 0;
}

int src_read_proc_forked(const struct og_root *root, pid_t pid, struct og_proc *ret)
{
	char buf[PROC_BUF_SIZE];
	_cleanup_close_ int dfd = -1;
	int r;

	r = open_pid_stat(root, pid, buf, sizeof(buf), ret, &dfd);
	if (r != 0)
		return r;
	r = read_cgroup_at(dfd, buf, ret);
	if (r < 0)
		return r;
	r = read_int_at(dfd, "oom_score_adj", &ret->oom_score_adj);
	return r < 0 ? r : read_cmdline_at(dfd, buf, ret);
}

void src_proc_strip_deleted(char *exe)
{
	static const char suffix[] = " (deleted)";
	size_t n = strlen(exe), k = sizeof(suffix) - 1;

	/* A binary replaced by a package upgrade reads "/usr/sbin/cron (deleted)" until the
	 * daemon restarts; it is still that program, and Exe= policies must keep matching it. */
	if (n > k && strcmp(exe + n - k, suffix) == 0)
		exe[n - k] = '\0';
}

int src_read_proc(const struct og_root *root, pid_t pid, struct og_proc *ret)
{
	return read_proc(root, pid, 0, ret);
}

int src_read_proc_opt(const struct og_root *root, pid_t pid, unsigned flags, struct og_proc *ret)
{
	return read_proc(root, pid, flags, ret);
}

static int parse_pid_name(const char *s, pid_t *ret)
{
	uint64_t v;

	/* procfs never writes leading zeros: "0123" is some other file */
	if (*s < '1' || *s > '9' || og_parse_u64(s, &v) < 0 || v > INT32_MAX)
		return -EINVAL;
	*ret = (pid_t)v;
	return 0;
}

int src_read_procs_opt(const struct og_root *root, unsigned flags, struct og_proc *arr, size_t cap,
		       size_t *ret_n)
{
	_cleanup_close_ int dfd = -1;
	char dents[DENTS_BUF_SIZE] __attribute__((aligned(8)));
	size_t n = 0;

	dfd = openat(root->proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	for (;;) {
		ssize_t len = getdents64(dfd, dents, sizeof(dents));

		if (len < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (len == 0)
			break;
		for (ssize_t off = 0; off < len;) {
			struct dirent64 *de = (struct dirent64 *)(void *)(dents + off);
			pid_t pid;
			int r;

			off += de->d_reclen;
			if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
				continue;
			if (parse_pid_name(de->d_name, &pid) < 0)
				continue;
			if (n == cap) {
				*ret_n = n;
				return 1;
			}
			r = read_proc(root, pid, flags, &arr[n]);
			if (r == 0)
				n++;
			else if (r == -ENOMEM)
				return r;
			else if (r == SRC_PROC_KTHREAD)
				continue;
			else
				(void)log_debug_errno(r, "pid %d: skipped: %m", pid);
		}
	}
	*ret_n = n;
	return 0;
}

int src_read_procs(const struct og_root *root, struct og_proc *arr, size_t cap, size_t *ret_n)
{
	return src_read_procs_opt(root, 0, arr, cap, ret_n);
}

int src_proc_parse_statm_anon(const char *buf, uint64_t page_size, uint64_t *ret_anon_bytes)
{
	struct og_proc p;
	int r = src_proc_parse_statm(buf, page_size, &p);

	if (r < 0)
		return r;
	*ret_anon_bytes = p.rss_anon_bytes;
	return 0;
}

int src_read_statm_anon(const struct og_root *root, pid_t pid, uint64_t page_size,
			uint64_t *ret_anon_bytes)
{
	char path[32], buf[160]; /* 7 numbers of at most 20 digits */
	ssize_t n;

	fmt_pid(pid, path, sizeof(path) - 8);
	strcat(path, "/statm");
	n = read_whole_at(root->proc_fd, path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return src_proc_parse_statm_anon(buf, page_size, ret_anon_bytes);
}
