/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Finding and reading the files: the main config, then policy.d directories merged in the
 * systemd way (a name in /etc hides the same name in /usr/lib, a symlink to /dev/null masks it,
 * the rest applies in lexical order of the file names). All into a fresh struct pol_rules that
 * the caller gets only when everything was valid.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "policy/config/cfg.h"
#include "policy/util/cleanup.h"
#include "policy/util/strutil.h"

#ifndef OG_SYSCONFDIR
#define OG_SYSCONFDIR "/etc/oomguardian"
#endif
#ifndef OG_VENDORDIR
#define OG_VENDORDIR "/usr/lib/oomguardian"
#endif

/* Policies are a few hundred bytes; 1 MiB means something is wrong (a log file renamed?). */
#define CFG_FILE_MAX (1024 * 1024)
#define DIRS_MAX 8

/*
 * Highest priority first, in systemd's order (/etc, /run, /usr/local/lib, /usr/lib), with the
 * configured OG_SYSCONFDIR and OG_VENDORDIR (configure.ac, "paths") before the fixed ones they
 * stand for; duplicates are dropped.
 */
static const char *const default_dirs[] = {
	OG_SYSCONFDIR "/policy.d",
	"/etc/oomguardian/policy.d",
	"/run/oomguardian/policy.d",
	"/usr/local/lib/oomguardian/policy.d",
	OG_VENDORDIR "/policy.d", /* a --prefix=/usr/local build: the same as the previous */
	"/usr/lib/oomguardian/policy.d",
};
static const char *const default_confs[] = {
	OG_SYSCONFDIR "/oomguardian.conf",
	"/etc/oomguardian/oomguardian.conf",
};

struct entry {
	char *name; /* "10-remote-access.policy" */
	char *path;
	bool masked;
};

struct entries {
	size_t n;
	struct entry *v;
};

static void entries_free(struct entries *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->v[i].name);
		free(e->v[i].path);
	}
	free(e->v);
	*e = (struct entries){0};
}

/* "" for the host, else root without trailing slashes. */
static void root_prefix(const char *root, char *buf, size_t size)
{
	size_t n;

	og_strscpy(buf, root ? root : "", size);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '/')
		buf[--n] = '\0';
}

/* What a file that is not a plain configuration file is, for the message; NULL if it is one. */
static const char *odd_file_kind(const struct stat *st, int fd)
{
	static const struct {
		unsigned long magic;
		const char *what;
	} pseudo[] = {
		/* Regular files of size 0 whose content the kernel makes up when read. */
		{PROC_SUPER_MAGIC, "a file of the kernel's /proc"},
		{SYSFS_MAGIC, "a file of the kernel's /sys"},
		{CGROUP_SUPER_MAGIC, "a cgroup file"},
		{CGROUP2_SUPER_MAGIC, "a cgroup file"},
		{DEBUGFS_MAGIC, "a debugfs file"},
		{TRACEFS_MAGIC, "a tracefs file"},
		{SECURITYFS_MAGIC, "a securityfs file"},
	};
	struct statfs sf;

	if (S_ISDIR(st->st_mode))
		return "a directory";
	if (S_ISFIFO(st->st_mode))
		return "a FIFO";
	if (S_ISSOCK(st->st_mode))
		return "a socket";
	if (S_ISCHR(st->st_mode))
		return "a character device";
	if (S_ISBLK(st->st_mode))
		return "a block device";
	if (!S_ISREG(st->st_mode))
		return "not a file";
	if (fd >= 0 && fstatfs(fd, &sf) == 0)
		for (size_t i = 0; i < OG_ELEMENTSOF(pseudo); i++)
			if ((unsigned long)sf.f_type == pseudo[i].magic)
				return pseudo[i].what;
	return NULL;
}

/* ------------------------------------------------------------------ who may write it */

/*
 * Issue 10 item 5, sshd's StrictModes and sudo's rule: whoever can write a policy chooses the
 * victims (or protects a hog), so a file or directory is trusted only when owned by root (or,
 * for a non-root `check` of one's own files, by the caller) and writable by nobody else. Group
 * write is fine for group 0 (as sudo allows: root's group; files made as root under umask 002)
 * and, for a non-root caller, its own group. sticky_ok: an ancestor directory with the sticky
 * bit (/tmp) cannot have our entry replaced, so its write bits do not matter; a policy
 * directory itself gets no such pass (anyone could add a file). NULL if trusted, else why.
 */
static const char *untrusted(const struct stat *st, bool sticky_ok, char *buf, size_t size)
{
	uid_t me = geteuid();
	mode_t mode = st->st_mode & 07777;

	if (st->st_uid != 0 && st->st_uid != me) {
		snprintf(buf, size, "owned by uid %u, not by root", (unsigned)st->st_uid);
		return buf;
	}
	if (sticky_ok && S_ISDIR(st->st_mode) && (mode & S_ISVTX))
		return NULL;
	if (mode & S_IWOTH) {
		snprintf(buf, size, "writable by others (mode %04o)", (unsigned)mode);
		return buf;
	}
	if ((mode & S_IWGRP) && st->st_gid != 0 && !(me != 0 && st->st_gid == getegid())) {
		snprintf(buf, size, "writable by group %u (mode %04o)", (unsigned)st->st_gid,
			 (unsigned)mode);
		return buf;
	}
	return NULL;
}

#define UNTRUSTED_HINT "whoever can write it chooses victims; chown root and chmod go-w"

/* Record why path (of stat st, a file or a policy directory) is not trusted. 0 or -EPERM. */
static int check_trusted(const char *path, const struct stat *st, struct cfg_diag *diag)
{
	char why[96];

	if (!untrusted(st, false, why, sizeof(why)))
		return 0;
	cfg_diag_add(diag, CFG_SEV_ERROR, path, 0, "", "refusing it: %s (" UNTRUSTED_HINT ")",
		     why);
	return -EPERM;
}

/* Every directory above path (resolved: symlinks are followed to where the file really is),
 * up to "/". 0 or -EPERM with the first untrusted one named. */
static int check_ancestors(const char *path, struct cfg_diag *diag)
{
	char real[PATH_MAX], why[96];
	struct stat st;
	char *slash;

	if (!realpath(path, real))
		return 0; /* missing: the read says so */
	while ((slash = strrchr(real, '/'))) {
		if (slash == real)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (stat(real, &st) == 0 && untrusted(&st, true, why, sizeof(why))) {
			cfg_diag_add(diag, CFG_SEV_ERROR, path, 0, "",
				     "refusing it: its directory '%s' is %s (" UNTRUSTED_HINT ")",
				     real, why);
			return -EPERM;
		}
		if (strcmp(real, "/") == 0)
			break;
	}
	return 0;
}

/* Is the file really in the directory it was found in (no symlink to elsewhere)? Then that
 * directory and its ancestors were checked with the scan. */
static bool lives_where_found(const char *path)
{
	char rp[PATH_MAX], rd[PATH_MAX], dir[PATH_MAX];
	char *slash;

	og_strscpy(dir, path, sizeof(dir));
	slash = strrchr(dir, '/');
	if (!slash)
		og_strscpy(dir, ".", sizeof(dir));
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (!realpath(path, rp) || !realpath(dir, rd))
		return false;
	slash = strrchr(rp, '/');
	if (!slash)
		return false;
	*slash = '\0';
	return strcmp(rp[0] ? rp : "/", rd) == 0;
}

/*
 * A file that is not a regular file (a FIFO would block open() and read() forever, a device
 * or a /proc file never ends): found in a policy directory (found) it is skipped with a
 * warning, named by the caller it is an error. Returns 1 (skipped) or -EINVAL.
 */
static int odd_file(const char *path, const char *what, bool found, struct cfg_diag *diag)
{
	if (found) {
		cfg_diag_add(diag, CFG_SEV_WARNING, path, 0, "", "not a regular file (%s), ignoring",
			     what);
		return 1;
	}
	return cfg_diag_add(diag, CFG_SEV_ERROR, path, 0, "", "cannot read: not a regular file (%s)",
			    what);
}

/*
 * Read a whole file. 0, 1 if skipped (see odd_file()), or an error recorded in diag (-errno;
 * -EPERM: not trusted, see untrusted()).
 * *ret_len excludes the NUL. The type is checked before the open (following symlinks: masks are
 * handled before) and again on the fd, which is opened non-blocking in case it changed.
 */
static int read_file(const char *path, bool found, char **ret, size_t *ret_len,
		     struct cfg_diag *diag)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	const char *what;
	struct stat st;
	size_t len = 0;

	if (stat(path, &st) < 0)
		goto fail;
	what = odd_file_kind(&st, -1);
	if (what)
		return odd_file(path, what, found, diag);
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0)
		goto fail;
	what = odd_file_kind(&st, fd);
	if (what)
		return odd_file(path, what, found, diag);
	if (check_trusted(path, &st, diag) < 0)
		return -EPERM;
	if (st.st_size > CFG_FILE_MAX) {
		errno = EFBIG;
		goto fail;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		goto fail;
	while (len <= (size_t)st.st_size) { /* the file may grow meanwhile: read to EOF */
		ssize_t k = read(fd, buf + len, (size_t)st.st_size + 1 - len);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			goto fail;
		if (k == 0)
			break;
		len += (size_t)k;
	}
	if (len > (size_t)st.st_size) {
		cfg_diag_add(diag, CFG_SEV_ERROR, path, 0, "",
			     "cannot read: the file grew while it was read, try again");
		return -EAGAIN;
	}
	buf[len] = '\0';
	*ret = OG_TAKE_PTR(buf);
	*ret_len = len;
	return 0;
fail:
	cfg_diag_add(diag, CFG_SEV_ERROR, path, 0, "", "cannot read: %s",
		     errno == EFBIG ? "larger than 1 MiB" : strerror(errno));
	return -errno;
}

static bool is_policy_name(const char *n)
{
	size_t l = strlen(n);

	return n[0] != '.' && l > 7 && strcmp(n + l - 7, ".policy") == 0;
}

static int entries_add(struct entries *e, const char *dir, const char *name, bool masked)
{
	struct entry *v = realloc(e->v, (e->n + 1) * sizeof(*v));
	char *path;

	if (!v)
		return -ENOMEM;
	e->v = v;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	v[e->n] = (struct entry){.name = strdup(name), .path = path, .masked = masked};
	if (!v[e->n].name) {
		free(path);
		return -ENOMEM;
	}
	e->n++;
	return 0;
}

/* A symlink to /dev/null (the target as written: under --root it need not exist). */
static bool is_masked(int dfd, const char *name)
{
	char target[32];
	struct stat st;
	ssize_t n;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	if (S_ISCHR(st.st_mode))
		return true;
	if (!S_ISLNK(st.st_mode))
		return false;
	n = readlinkat(dfd, name, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return strcmp(target, "/dev/null") == 0;
}

/*
 * given: named by --policy-dir (must be a directory: "0 policies, protecting nothing" from a
 * typo is refused, issue 10 item 10); else one of the default search path (may be missing).
 */
static const struct entry *entries_get(const struct entries *e, const char *name)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->v[i].name, name) == 0)
			return &e->v[i];
	return NULL;
}

/* Record that dir/name is hidden or masked by `by` (NULL delta: not wanted). 0 or -ENOMEM. */
static int delta_add(struct cfg_delta *d, const char *dir, const char *name,
		     const struct entry *by)
{
	struct cfg_delta_entry *v;
	char *path;

	if (!d)
		return 0;
	v = realloc(d->v, (d->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	d->v = v;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	v[d->n] = (struct cfg_delta_entry){
		.kind = by->masked ? CFG_DELTA_MASKED : CFG_DELTA_HIDDEN,
		.path = path,
		.by = strdup(by->path),
	};
	if (!v[d->n].by) {
		free(path);
		return -ENOMEM;
	}
	d->n++;
	return 0;
}

void cfg_delta_free(struct cfg_delta *d)
{
	for (size_t i = 0; d && i < d->n; i++) {
		free(d->v[i].path);
		free(d->v[i].by);
	}
	if (d) {
		free(d->v);
		*d = (struct cfg_delta){0};
	}
}

static int scan_dir(const char *dir, bool given, struct entries *e, struct cfg_delta *delta,
		    struct cfg_diag *diag)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int r = 0;

	if (!d) {
		if (given && errno == ENOTDIR)
			return cfg_diag_add(diag, CFG_SEV_ERROR, dir, 0, "",
					    "cannot open policy directory: not a directory");
		if (given && errno == ENOENT)
			return cfg_diag_add(diag, CFG_SEV_ERROR, dir, 0, "",
					    "cannot open policy directory: %s", strerror(errno));
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return cfg_diag_add(diag, CFG_SEV_ERROR, dir, 0, "", "cannot open directory: %s",
				    strerror(errno));
	}
	{
		struct stat st;

		/* an untrusted directory is not scanned: the error makes the whole load fail */
		if ((fstat(dirfd(d), &st) == 0 && check_trusted(dir, &st, diag) < 0) ||
		    check_ancestors(dir, diag) < 0) {
			closedir(d);
			return -EPERM;
		}
	}
	while ((de = readdir(d))) {
		const struct entry *above;

		if (!is_policy_name(de->d_name))
			continue;
		above = entries_get(e, de->d_name);
		if (above) {
			r = delta_add(delta, dir, de->d_name, above);
			if (r < 0)
				break;
			continue;
		}
		r = entries_add(e, dir, de->d_name, is_masked(dirfd(d), de->d_name));
		if (r < 0)
			break;
	}
	closedir(d);
	return r;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static int rules_add_file(struct pol_rules *r, const char *path)
{
	char **v = realloc(r->files, (r->nfiles + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	r->files = v;
	v[r->nfiles] = strdup(path);
	if (!v[r->nfiles])
		return -ENOMEM;
	r->nfiles++;
	return 0;
}

/* read_file(), and path listed in w->files once read: 0, 1 if skipped, or -errno. */
static int read_listed(struct pol_rules *w, const char *path, bool found, char **ret,
		       size_t *ret_len, struct cfg_diag *diag)
{
	int r = read_file(path, found, ret, ret_len, diag);

	if (r != 0)
		return r;
	if ((!found || !lives_where_found(path)) && check_ancestors(path, diag) < 0) {
		free(*ret);
		*ret = NULL;
		return -EPERM;
	}
	return rules_add_file(w, path);
}

static int load_conf(struct pol_rules *w, const char *path, bool must_exist, struct cfg_diag *diag)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	if (!must_exist && access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	r = read_listed(w, path, false, &buf, &len, diag);
	if (r != 0)
		return r;
	return cfg_parse_conf_buf(path, buf, len, &w->cfg, diag);
}

/* The first default conf that exists (none: built-in defaults). */
static int load_default_conf(struct pol_rules *w, const char *prefix, struct cfg_diag *diag)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < OG_ELEMENTSOF(default_confs); i++) {
		snprintf(path, sizeof(path), "%s%s", prefix, default_confs[i]);
		if (access(path, F_OK) == 0)
			return load_conf(w, path, true, diag);
	}
	return 0;
}

/* found: path came from a directory scan (see read_file()). */
static int load_policy(struct pol_rules *w, const char *root, const char *path, bool found,
		       struct cfg_diag *diag)
{
	_cleanup_free_ char *buf = NULL;
	struct pol_service s, *v;
	size_t len;
	int r;

	r = read_listed(w, path, found, &buf, &len, diag);
	if (r > 0)
		return 0; /* skipped, with a warning */
	if (r < 0)
		return r;
	r = cfg_parse_policy_buf(path, buf, len, root && *root ? root : NULL, &w->cfg, &s, diag);
	if (r < 0)
		return r;
	v = realloc(w->services, (w->nservices + 1) * sizeof(*v));
	if (!v) {
		pol_service_free(&s);
		return -ENOMEM;
	}
	w->services = v;
	v[w->nservices++] = s;
	return 0;
}

/* Hand over w if this load added no error, else free it. */
static int finish(struct pol_rules *w, int r, unsigned errors_before, struct pol_rules *ret,
		  struct cfg_diag *diag)
{
	if (r == -ENOMEM) {
		cfg_diag_add(diag, CFG_SEV_ERROR, "", 0, "", "out of memory");
	} else if (diag->nerrors == errors_before) {
		*ret = *w;
		return 0;
	}
	pol_rules_free(w);
	return r == -ENOMEM ? r : -EINVAL;
}

static int delta_cmp(const void *a, const void *b)
{
	const char *x = strrchr(((const struct cfg_delta_entry *)a)->path, '/');
	const char *y = strrchr(((const struct cfg_delta_entry *)b)->path, '/');

	return strcmp(x ? x : "", y ? y : "");
}

int cfg_load(const char *root, const char *conf_path, const char *const *policy_dirs,
	     struct pol_rules *ret, struct cfg_diag *diag)
{
	return cfg_load_delta(root, conf_path, policy_dirs, ret, NULL, diag);
}

int cfg_load_delta(const char *root, const char *conf_path, const char *const *policy_dirs,
		   struct pol_rules *ret, struct cfg_delta *ret_delta, struct cfg_diag *diag)
{
	unsigned before = diag->nerrors;
	struct pol_rules w = {0};
	struct entries e = {0};
	char prefix[PATH_MAX], dir[PATH_MAX];
	int r = 0;

	root_prefix(root, prefix, sizeof(prefix));
	cfg_config_defaults(&w.cfg);
	if (conf_path)
		load_conf(&w, conf_path, true, diag);
	else
		load_default_conf(&w, prefix, diag);

	if (policy_dirs) {
		for (size_t i = 0; policy_dirs[i] && r != -ENOMEM; i++)
			r = scan_dir(policy_dirs[i], true, &e, ret_delta, diag);
	} else {
		const char *seen[OG_ELEMENTSOF(default_dirs)];
		size_t nseen = 0;

		for (size_t i = 0; i < OG_ELEMENTSOF(default_dirs) && r != -ENOMEM; i++) {
			bool dup = false;

			for (size_t j = 0; j < nseen; j++)
				dup |= strcmp(seen[j], default_dirs[i]) == 0;
			if (dup)
				continue;
			seen[nseen++] = default_dirs[i];
			snprintf(dir, sizeof(dir), "%s%s", prefix, default_dirs[i]);
			r = scan_dir(dir, false, &e, ret_delta, diag);
		}
	}
	if (e.n)
		qsort(e.v, e.n, sizeof(e.v[0]), entry_cmp);
	if (ret_delta && ret_delta->n)
		qsort(ret_delta->v, ret_delta->n, sizeof(ret_delta->v[0]), delta_cmp);
	for (size_t i = 0; i < e.n && r != -ENOMEM; i++)
		if (!e.v[i].masked)
			r = load_policy(&w, prefix, e.v[i].path, true, diag);
	entries_free(&e);
	return finish(&w, r, before, ret, diag);
}

static bool is_conf_name(const char *f)
{
	size_t l = strlen(f);

	return l >= 5 && strcmp(f + l - 5, ".conf") == 0;
}

int cfg_load_files(const char *root, const char *const *files, size_t nfiles, struct pol_rules *ret,
		   struct cfg_diag *diag)
{
	return cfg_load_files_conf(root, NULL, files, nfiles, ret, diag);
}

int cfg_load_files_conf(const char *root, const char *conf_path, const char *const *files,
			size_t nfiles, struct pol_rules *ret, struct cfg_diag *diag)
{
	unsigned before = diag->nerrors;
	struct pol_rules w = {0};
	const char *conf = conf_path;
	char prefix[PATH_MAX];
	int r = 0;

	root_prefix(root, prefix, sizeof(prefix));
	cfg_config_defaults(&w.cfg);
	for (size_t i = 0; i < nfiles && !conf_path; i++) {
		if (!is_conf_name(files[i]))
			continue;
		if (conf)
			cfg_diag_add(diag, CFG_SEV_ERROR, files[i], 0, "",
				     "only one main config may be given ('%s' already)", conf);
		else
			conf = files[i];
	}
	if (conf)
		load_conf(&w, conf, true, diag);
	else
		load_default_conf(&w, prefix, diag);
	for (size_t i = 0; i < nfiles && r != -ENOMEM; i++)
		if (conf_path || !is_conf_name(files[i]))
			r = load_policy(&w, prefix, files[i], false, diag);
	return finish(&w, r, before, ret, diag);
}

void pol_rules_free(struct pol_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nservices; i++)
		pol_service_free(&r->services[i]);
	free(r->services);
	for (size_t i = 0; i < r->nfiles; i++)
		free(r->files[i]);
	free(r->files);
	*r = (struct pol_rules){0};
}
