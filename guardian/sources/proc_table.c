/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The incremental process table (see proc_table.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardian/base/log.h"
#include "guardian/sources/proc_table.h"
#include "guardian/sources/src_proc.h"
#include "policy/util/strutil.h"

struct pt_str {
	struct pt_str *next;
	uint32_t refs, hash;
	char s[];
};

const char *pt_str(const struct pt_str *s)
{
	return s ? s->s : "";
}

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* ------------------------------------------------------------------ strings */

static const struct pt_str *str_get(struct proc_table *t, const char *s)
{
	uint32_t h = hash_str(s);
	size_t b = h & (t->str_buckets - 1), len;
	struct pt_str *e;

	for (e = t->strs[b]; e; e = e->next)
		if (e->hash == h && strcmp(e->s, s) == 0) {
			e->refs++;
			return e;
		}
	len = strlen(s);
	e = malloc(sizeof(*e) + len + 1);
	if (!e)
		return NULL;
	e->refs = 1;
	e->hash = h;
	memcpy(e->s, s, len + 1);
	e->next = t->strs[b];
	t->strs[b] = e;
	t->nstrs++;
	return e;
}

static void str_put(struct proc_table *t, const struct pt_str *cs)
{
	struct pt_str **pp;

	if (!cs || --((struct pt_str *)cs)->refs > 0)
		return;
	for (pp = &t->strs[cs->hash & (t->str_buckets - 1)]; *pp; pp = &(*pp)->next)
		if (*pp == cs) {
			*pp = cs->next;
			free((void *)cs);
			t->nstrs--;
			return;
		}
}

static void ent_strings_put(struct proc_table *t, struct pt_proc *e)
{
	str_put(t, e->comm);
	str_put(t, e->exe);
	str_put(t, e->cmdline);
	str_put(t, e->cgroup);
	str_put(t, e->memcg_v1);
	str_put(t, e->unit);
	e->comm = e->exe = e->cmdline = e->cgroup = e->memcg_v1 = e->unit = NULL;
}

/* ------------------------------------------------------------------ the table */

static size_t slot_of(const struct proc_table *t, pid_t pid)
{
	return ((uint32_t)pid * 2654435761u) & (t->idx_cap - 1);
}

static size_t find_slot(const struct proc_table *t, pid_t pid)
{
	for (size_t s = slot_of(t, pid);; s = (s + 1) & (t->idx_cap - 1))
		if (!t->idx[s] || t->ents[t->idx[s] - 1].pid == pid)
			return s;
}

static void touch(void *p, size_t n)
{
	/* Not zeroes: the compiler may turn a memset(0) after calloc back into nothing. */
	memset(p, 0x5a, n);
	memset(p, 0, n);
}

static int table_alloc(struct proc_table *t, size_t cap)
{
	struct pt_proc *ents;
	uint32_t *idx;
	size_t idx_cap = 16;

	while (idx_cap < 2 * cap)
		idx_cap <<= 1;
	ents = malloc(cap * sizeof(*ents));
	idx = malloc(idx_cap * sizeof(*idx));
	if (!ents || !idx) {
		free(ents);
		free(idx);
		return -ENOMEM;
	}
	touch(ents, cap * sizeof(*ents));
	touch(idx, idx_cap * sizeof(*idx));
	if (t->n)
		memcpy(ents, t->ents, t->n * sizeof(*ents));
	free(t->ents);
	free(t->idx);
	t->ents = ents;
	t->idx = idx;
	t->cap = cap;
	t->idx_cap = idx_cap;
	for (size_t i = 0; i < t->n; i++)
		t->idx[find_slot(t, t->ents[i].pid)] = (uint32_t)i + 1;
	return 0;
}

int proc_table_init(struct proc_table *t, size_t initial, size_t max)
{
	memset(t, 0, sizeof(*t));
	t->scan_fd = -1;
	t->max = max ? max : 1;
	t->str_buckets = 4096;
	t->strs = calloc(t->str_buckets, sizeof(*t->strs));
	if (!t->strs)
		return -ENOMEM;
	touch(t->strs, t->str_buckets * sizeof(*t->strs));
	if (initial > t->max)
		initial = t->max;
	return table_alloc(t, initial ? initial : 16);
}

void proc_table_free(struct proc_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		ent_strings_put(t, &t->ents[i]);
	for (size_t b = 0; t->strs && b < t->str_buckets; b++)
		while (t->strs[b]) {
			struct pt_str *e = t->strs[b];

			t->strs[b] = e->next;
			free(e);
		}
	free(t->strs);
	free(t->ents);
	free(t->idx);
	if (t->scan_fd >= 0)
		close(t->scan_fd);
	memset(t, 0, sizeof(*t));
	t->scan_fd = -1;
}

struct pt_proc *proc_table_get(const struct proc_table *t, pid_t pid)
{
	size_t s;

	if (!t->idx)
		return NULL;
	s = find_slot(t, pid);
	return t->idx[s] ? &t->ents[t->idx[s] - 1] : NULL;
}

/* A new, stale entry for pid (not present). NULL: cannot grow (partial set). */
static struct pt_proc *ent_insert(struct proc_table *t, pid_t pid)
{
	struct pt_proc *e;

	if (t->n == t->cap) {
		size_t cap = t->cap * 2 > t->max ? t->max : t->cap * 2;

		if (cap <= t->cap || table_alloc(t, cap) < 0) {
			t->partial = true;
			return NULL;
		}
	}
	e = &t->ents[t->n];
	memset(e, 0, sizeof(*e));
	e->pid = pid;
	e->flags = PT_STALE;
	e->gen = t->gen;
	e->noted_ms = t->clock_ms;
	t->idx[find_slot(t, pid)] = (uint32_t)++t->n;
	t->nstale++;
	return e;
}

void proc_table_remove(struct proc_table *t, pid_t pid)
{
	size_t s = find_slot(t, pid), i, last, hole, j;

	if (!t->idx[s])
		return;
	i = t->idx[s] - 1;
	if (t->ents[i].flags & PT_STALE)
		t->nstale--;
	ent_strings_put(t, &t->ents[i]);
	/* backward-shift deletion keeps every probe chain unbroken */
	hole = s;
	for (j = (s + 1) & (t->idx_cap - 1); t->idx[j]; j = (j + 1) & (t->idx_cap - 1)) {
		size_t home = slot_of(t, t->ents[t->idx[j] - 1].pid);

		if (((j - home) & (t->idx_cap - 1)) >= ((j - hole) & (t->idx_cap - 1))) {
			t->idx[hole] = t->idx[j];
			hole = j;
		}
	}
	t->idx[hole] = 0;
	/* the last entry fills the gap in the dense array */
	last = t->n - 1;
	if (i != last) {
		t->ents[i] = t->ents[last];
		t->idx[find_slot(t, t->ents[i].pid)] = (uint32_t)i + 1;
	}
	t->n--;
}

int proc_table_note(struct proc_table *t, pid_t pid)
{
	struct pt_proc *e = proc_table_get(t, pid);

	if (pid <= 0)
		return -EINVAL;
	if (!e)
		return ent_insert(t, pid) ? 0 : -ENOSPC;
	if (!(e->flags & PT_STALE)) {
		e->flags |= PT_STALE;
		t->nstale++;
	}
	e->flags &= (uint16_t) ~(PT_PEEKED | PT_FORKED);
	e->noted_ms = t->clock_ms;
	return 0;
}

int proc_table_note_fork(struct proc_table *t, pid_t pid, pid_t parent)
{
	int r = proc_table_note(t, pid);
	struct pt_proc *e;

	if (r < 0 || parent <= 0 || parent == pid || !(e = proc_table_get(t, pid)))
		return r;
	e->flags |= PT_FORKED;
	e->ppid = parent;
	return 0;
}

/* The entry of the process that forked e (PT_FORKED), read or not; NULL: none. */
static const struct pt_proc *forked_from(const struct proc_table *t, const struct pt_proc *e)
{
	return e->flags & PT_FORKED ? proc_table_get(t, e->ppid) : NULL;
}

const struct pt_proc *proc_table_fork_parent(const struct proc_table *t, const struct pt_proc *e)
{
	const struct pt_proc *par = forked_from(t, e);

	if (!par || (par->flags & (PT_STALE | PT_KTHREAD | PT_UNREADABLE)) || !par->starttime_ticks)
		return NULL;
	return par;
}

/*
 * pid as a copy of its parent's entry (src_read_proc_forked() for the child's own part). 0: *p
 * filled; 1: not a copy (another parent, renamed, moved: read it whole); -errno: gone or
 * unreadable.
 */
static int load_forked(const struct proc_table *t, const struct og_root *root,
		       const struct pt_proc *par, pid_t pid, struct og_proc *p)
{
	int r;

	proc_table_to_proc(par, p);
	r = src_read_proc_forked(root, pid, p);
	if (r != 0)
		return r == SRC_PROC_KTHREAD ? 1 : r;
	if (p->ppid != par->pid || p->starttime_ticks < par->starttime_ticks ||
	    strcmp(p->comm, pt_str(par->comm)) != 0 ||
	    strcmp(p->cgroup, pt_str(par->cgroup)) != 0 ||
	    strcmp(p->memcg_v1, pt_str(par->memcg_v1)) != 0)
		return 1;
	return 0;
}

int proc_table_set_flags(struct proc_table *t, pid_t pid, uint16_t flags)
{
	struct pt_proc *e = proc_table_get(t, pid);

	if (!e && !(e = ent_insert(t, pid)))
		return -ENOSPC;
	if (e->flags & PT_STALE)
		t->nstale--;
	ent_strings_put(t, e);
	e->flags = flags & (uint16_t)~PT_STALE;
	e->gen = t->gen;
	return 0;
}

int proc_table_set(struct proc_table *t, const struct og_proc *p, uint32_t tag)
{
	struct pt_proc *e = proc_table_get(t, p->pid);
	struct pt_proc n = {0};
	int ret = 0;

	if (!e) {
		e = ent_insert(t, p->pid);
		if (!e)
			return -ENOSPC;
		ret = 1;
	} else if (e->starttime_ticks != p->starttime_ticks) {
		ret = 1; /* a reused pid (or a stale entry's first read) */
	}
	n.pid = p->pid;
	n.ppid = p->ppid;
	n.pgid = p->pgid;
	n.uid = p->uid;
	n.starttime_ticks = p->starttime_ticks;
	n.comm = str_get(t, p->comm);
	n.exe = str_get(t, p->exe);
	n.cmdline = str_get(t, p->cmdline);
	n.cgroup = str_get(t, p->cgroup);
	n.memcg_v1 = str_get(t, p->memcg_v1);
	n.unit = str_get(t, p->unit);
	if (!n.comm || !n.exe || !n.cmdline || !n.cgroup || !n.memcg_v1 || !n.unit) {
		ent_strings_put(t, &n);
		t->partial = true;
		return -ENOMEM;
	}
	/* The same process (or one known by pid only so far): its last measurement holds. */
	if ((!ret || (e->flags & PT_STALE && !e->starttime_ticks)) && (e->flags & PT_MEASURED)) {
		n.anon_kib = e->anon_kib;
		n.flags |= PT_MEASURED;
	}
	n.swap_kib = (uint32_t)(p->swap_bytes >> 10);
	n.oom_score_adj = (int16_t)p->oom_score_adj;
	n.tag = tag;
	n.gen = t->gen;
	if (e->flags & PT_STALE)
		t->nstale--;
	ent_strings_put(t, e);
	*e = n;
	return ret;
}

void proc_table_to_proc(const struct pt_proc *e, struct og_proc *ret)
{
	memset(ret, 0, offsetof(struct og_proc, comm));
	ret->pid = e->pid;
	ret->ppid = e->ppid;
	ret->pgid = e->pgid;
	ret->uid = e->uid;
	ret->state = 'S';
	ret->starttime_ticks = e->starttime_ticks;
	og_strscpy(ret->comm, pt_str(e->comm), sizeof(ret->comm));
	og_strscpy(ret->cmdline, pt_str(e->cmdline), sizeof(ret->cmdline));
	og_strscpy(ret->exe, pt_str(e->exe), sizeof(ret->exe));
	ret->rss_anon_bytes = ret->rss_file_bytes = ret->rss_shmem_bytes = 0;
	ret->swap_bytes = (uint64_t)e->swap_kib << 10;
	ret->oom_score = 0;
	ret->oom_score_adj = e->oom_score_adj;
	og_strscpy(ret->cgroup, pt_str(e->cgroup), sizeof(ret->cgroup));
	og_strscpy(ret->memcg_v1, pt_str(e->memcg_v1), sizeof(ret->memcg_v1));
	og_strscpy(ret->unit, pt_str(e->unit), sizeof(ret->unit));
}

struct pt_proc *proc_table_load(struct proc_table *t, const struct og_root *root, pid_t pid,
				bool *ret_new)
{
	struct og_proc p;
	const struct pt_proc *e = proc_table_get(t, pid),
			     *par = e ? proc_table_fork_parent(t, e) : NULL;
	int r = par ? load_forked(t, root, par, pid, &p) : 1;

	if (r == 0)
		t->nforked++;
	else if (r == 1)
		r = src_read_proc_opt(root, pid, SRC_PROC_NO_OOM_SCORE, &p);
	if (ret_new)
		*ret_new = false;
	if (r == -ENOENT || r == -ESRCH) {
		proc_table_remove(t, pid);
		return NULL;
	}
	if (r != 0) {
		(void)proc_table_set_flags(t, pid,
					   r == SRC_PROC_KTHREAD ? PT_KTHREAD : PT_UNREADABLE);
		return NULL;
	}
	r = proc_table_set(t, &p, 0);
	if (r < 0)
		return NULL;
	if (ret_new)
		*ret_new = r == 1;
	return proc_table_get(t, pid);
}

/*
 * A forked child whose parent is known but not read yet: 0 (no, read it), 1 (its parent is read
 * first, in this pass: the child comes next time) or 2 (its parent is younger than min_age_ms,
 * as after an exec or rename since the fork: both wait, and nobody needs to come back sooner).
 */
static int waits_for_parent(const struct proc_table *t, const struct pt_proc *e,
			    uint32_t min_age_ms)
{
	const struct pt_proc *par = forked_from(t, e);

	if (!par || !(par->flags & PT_STALE))
		return 0;
	return t->clock_ms - par->noted_ms < min_age_ms ? 2 : 1;
}

size_t proc_table_refresh(struct proc_table *t, const struct og_root *root, size_t budget,
			  uint32_t min_age_ms, void (*cb)(void *userdata, struct pt_proc *e),
			  void *userdata)
{
	size_t left = 0, seen = 0, want = t->nstale;
	int w;

	/* From the end, where new entries are appended: loads may drop entries (the last one
	 * moves into the hole). It stops once it has seen as many unread entries as there were,
	 * so on a busy machine, where some are always too young, a tick walks back to the oldest
	 * unread entry rather than always to the table's start. */
	for (size_t i = t->n; i > 0 && seen < want; i--) {
		struct pt_proc *e;

		if (i > t->n || !(t->ents[i - 1].flags & PT_STALE))
			continue;
		seen++;
		if (t->clock_ms - t->ents[i - 1].noted_ms < min_age_ms)
			continue;
		w = waits_for_parent(t, &t->ents[i - 1], min_age_ms);
		if (w) {
			left += w == 1; /* its parent, nearer the start, is read first */
			continue;
		}
		if (budget == 0) {
			left++;
			continue;
		}
		budget--;
		if (t->admit && !t->admit(t->admit_data, t->ents[i - 1].pid)) {
			t->nrefused++;
			proc_table_remove(t, t->ents[i - 1].pid); /* the last entry moves here */
			continue;
		}
		e = proc_table_load(t, root, t->ents[i - 1].pid, NULL);
		if (e && cb)
			cb(userdata, e);
	}
	return left;
}

/* ------------------------------------------------------------------ rescans */

/* Does the known entry still describe pid? stat (identity, comm) and cgroup, two reads. */
static bool still_same(const struct og_root *root, const struct pt_proc *e)
{
	char path[48], buf[4096]; /* stat < 1.2 KiB; cgroup one line a hierarchy (~600 B hybrid) */
	struct og_proc p;

	if (e->flags & (PT_KTHREAD | PT_UNREADABLE))
		return !(e->flags & PT_UNREADABLE);
	snprintf(path, sizeof(path), "%d/stat", (int)e->pid);
	if (og_read_at(root->proc_fd, path, buf, sizeof(buf)) < 0 ||
	    src_proc_parse_stat(buf, &p) < 0)
		return false;
	if (p.starttime_ticks != e->starttime_ticks || strcmp(p.comm, pt_str(e->comm)) != 0 ||
	    p.pgid != e->pgid)
		return false;
	snprintf(path, sizeof(path), "%d/cgroup", (int)e->pid);
	if (og_read_at(root->proc_fd, path, buf, sizeof(buf)) < 0 ||
	    src_proc_parse_cgroup(buf, &p) < 0)
		return false;
	return strcmp(p.cgroup, pt_str(e->cgroup)) == 0 &&
	       strcmp(p.memcg_v1, pt_str(e->memcg_v1)) == 0;
}

/* A known process whose identity, comm or cgroup changed: read again, cb told; the entry or
 * NULL (gone, or flagged a kernel thread or unreadable). */
static struct pt_proc *reload(struct proc_table *t, const struct og_root *root, pid_t pid,
			      void (*cb)(void *userdata, struct pt_proc *e), void *userdata)
{
	struct pt_proc *e = proc_table_load(t, root, pid, NULL);

	if (e && cb)
		cb(userdata, e);
	return e;
}

static void scan_one(struct proc_table *t, const struct og_root *root, pid_t pid,
		     void (*cb)(void *userdata, struct pt_proc *e), void *userdata)
{
	struct pt_proc *e = proc_table_get(t, pid);

	if (e && ((e->flags & PT_STALE) || !t->scan_deep || still_same(root, e))) {
		e->gen = t->gen; /* known (or already waiting to be read) */
		return;
	}
	if (!e) { /* new to us: read later (proc_table_refresh), like a fork event */
		if (proc_table_note(t, pid) == 0)
			proc_table_get(t, pid)->gen = t->gen;
		return;
	}
	e = reload(t, root, pid, cb, userdata);
	if (e)
		e->gen = t->gen;
	else if ((e = proc_table_get(t, pid)))
		e->gen = t->gen; /* kernel thread or unreadable: flagged, still there */
}

/* The walk ended: whatever it did not see is gone. */
static void scan_sweep(struct proc_table *t)
{
	for (size_t i = t->n; i > 0; i--)
		if (i <= t->n && t->ents[i - 1].gen != t->gen)
			proc_table_remove(t, t->ents[i - 1].pid);
	if (t->scan_fd >= 0)
		close(t->scan_fd);
	t->scan_fd = -1;
}

void proc_table_scan_begin(struct proc_table *t, bool deep)
{
	t->gen++;
	t->scan_deep = deep;
	t->scan_seen = 0;
}

void proc_table_scan_pid(struct proc_table *t, const struct og_root *root, pid_t pid,
			 void (*cb)(void *userdata, struct pt_proc *e), void *userdata)
{
	scan_one(t, root, pid, cb, userdata);
	t->scan_seen++;
}

void proc_table_scan_end(struct proc_table *t)
{
	scan_sweep(t);
}

int proc_table_rescan_step(struct proc_table *t, const struct og_root *root, bool deep,
			   size_t budget, void (*cb)(void *userdata, struct pt_proc *e),
			   void *userdata)
{
	char dents[8192] __attribute__((aligned(8))); /* ~32 bytes a pid: ~250 a call */
	/* a call lists about budget pids (a 5-digit pid's entry is 32 bytes), so a deep step's
	 * reads stay near its budget and do not run to the ~250 of a full buffer */
	size_t done = 0, want = budget < sizeof(dents) / 32 ? budget * 32 : sizeof(dents);

	if (t->scan_fd < 0) {
		t->scan_fd = openat(root->proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (t->scan_fd < 0)
			return -errno;
		proc_table_scan_begin(t, deep);
	}
	while (done < budget) {
		ssize_t len = getdents64(t->scan_fd, dents, want < 512 ? 512 : want);

		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0) {
			int r = -errno;

			close(t->scan_fd);
			t->scan_fd = -1;
			return r;
		}
		if (len == 0) {
			scan_sweep(t);
			return 0;
		}
		for (ssize_t off = 0; off < len;) {
			struct dirent64 *de = (struct dirent64 *)(void *)(dents + off);
			uint64_t v;

			off += de->d_reclen;
			if (de->d_name[0] < '1' || de->d_name[0] > '9' ||
			    og_parse_u64(de->d_name, &v) < 0 || v > INT32_MAX)
				continue;
			proc_table_scan_pid(t, root, (pid_t)v, cb, userdata);
			done++;
		}
	}
	return 1;
}

size_t proc_table_verify_step(struct proc_table *t, const struct og_root *root, size_t pos,
			      size_t budget, void (*cb)(void *userdata, struct pt_proc *e),
			      void *userdata)
{
	for (; pos < t->n && budget > 0; budget--) {
		struct pt_proc *e = &t->ents[pos];
		pid_t pid = e->pid;

		if ((e->flags & PT_STALE) || still_same(root, e)) {
			pos++;
			continue;
		}
		reload(t, root, pid, cb, userdata);
		/* gone: the last entry moved into pos, which is looked at next */
		if (pos < t->n && t->ents[pos].pid == pid)
			pos++;
	}
	return pos;
}

size_t proc_table_bytes(const struct proc_table *t)
{
	size_t b = t->cap * sizeof(*t->ents) + t->idx_cap * sizeof(*t->idx) +
		   t->str_buckets * sizeof(*t->strs);

	for (size_t i = 0; i < t->str_buckets; i++)
		for (const struct pt_str *s = t->strs[i]; s; s = s->next)
			b += sizeof(*s) + strlen(s->s) + 1;
	return b;
}
