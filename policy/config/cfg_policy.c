/* SPDX-License-Identifier: GPL-2.0-or-later */
/* policy.d/\*.policy: [Match] who, [Policy] what oomguardian may do to them. */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "policy/config/cfg_int.h"
#include "policy/util/cleanup.h"
#include "policy/util/strutil.h"

/* The kernel's TASK_COMM_LEN is 16: comm holds at most 15 characters. */
#define COMM_LEN_MAX 15
/* Longer ERE sources are refused: glibc regcomp time and memory grow fast with the pattern. */
#define CMDLINE_RE_MAX 512
/* A uid that no process has: stands for a User= name that is not in passwd (never matches). */
#define UID_NONE ((uid_t)-1)

static const char *const policy_sections[] = {"Match", "Policy", NULL};

enum list_kind { LIST_NAME, LIST_EXE, LIST_UNIT, LIST_CGROUP };

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* Warn about a value that can never match anything, by kind. */
static void check_list_value(struct cfg_ctx *c, const char *key, enum list_kind kind, const char *v)
{
	switch (kind) {
	case LIST_NAME:
		if (strlen(v) > COMM_LEN_MAX)
			cfg_warn(c, key,
				 "'%s' can never match: a process name (comm) has at most %d "
				 "characters, use Exe= or Cmdline=",
				 v, COMM_LEN_MAX);
		break;
	case LIST_EXE:
		if (v[0] != '/' && v[0] != '*')
			cfg_warn(c, key, "'%s' can never match: executable paths are absolute", v);
		break;
	case LIST_UNIT:
		if (!strchr(v, '.') && !has_glob(v))
			cfg_warn(c, key,
				 "'%s' can never match: unit names have a suffix like '.service'",
				 v);
		break;
	case LIST_CGROUP:
		if (v[0] != '/' && v[0] != '*')
			cfg_warn(c, key, "'%s' can never match: cgroup paths start with '/'", v);
		break;
	}
}

/* Copy the next blank-separated word of *p into tok. Its length, 0 at the end, -1 too long. */
static ssize_t next_token(const char **p, char *tok, size_t size)
{
	size_t n;

	*p += strspn(*p, CFG_BLANKS);
	n = strcspn(*p, CFG_BLANKS);
	if (n >= size)
		return -1;
	memcpy(tok, *p, n);
	tok[n] = '\0';
	*p += n;
	return (ssize_t)n;
}

/* Space-separated values, each added; "" resets. k->min holds the enum list_kind. */
static int parse_list(struct cfg_ctx *c, const struct cfg_key *k, const char *v, void *field)
{
	struct pol_strv *l = field;
	char tok[POL_PATH_MAX];
	ssize_t n;

	if (v[0] == '\0') {
		cfg_strv_free(l);
		return 0;
	}
	for (const char *p = v; (n = next_token(&p, tok, sizeof(tok))) != 0;) {
		if (n < 0)
			return cfg_err(c, k->key, "value longer than %zu bytes", sizeof(tok) - 1);
		check_list_value(c, k->key, (enum list_kind)k->min, tok);
		if (cfg_strv_push(l, tok) < 0)
			return cfg_err(c, k->key, "out of memory");
	}
	return 0;
}

static void match_free_cmdline(struct pol_match *m)
{
	for (size_t i = 0; i < m->cmdline_src.n; i++)
		regfree(&m->cmdline[i]);
	free(m->cmdline);
	m->cmdline = NULL;
	cfg_strv_free(&m->cmdline_src);
}

/*
 * glibc's regcomp copies the subtree under every '+' and {n,m}, so nested repetitions grow the
 * parse tree (and its memory) exponentially: "((a+)+)+..." or "(a{99}){99}" took more than 2 GiB
 * in the fuzzer. Estimate the tree size the way regcomp expands it and refuse big ones; real
 * Cmdline= patterns are a few hundred nodes at most.
 */
#define RE_NODES_MAX 20000
#define RE_DEPTH_MAX 32

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a || a + b > RE_NODES_MAX ? RE_NODES_MAX + 1 : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	return b && a > (RE_NODES_MAX + 1) / b ? RE_NODES_MAX + 1 : a * b;
}

/* Skip a bracket expression starting at p[0] == '['; returns the char after its ']'. */
static const char *skip_bracket(const char *p)
{
	p++;
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	for (; *p && *p != ']'; p++) {
		if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
			const char *e = strchr(p + 2, p[1]);

			if (!e || e[1] != ']')
				return p + strlen(p);
			p = e + 1;
		}
	}
	return *p ? p + 1 : p;
}

/* "{n}", "{n,}", "{n,m}": the largest count (n for "{n,}", plus one for the star). */
static uint64_t brace_count(const char **pp)
{
	const char *p = *pp + 1;
	uint64_t n = 0, m = 0;
	bool comma = false;

	for (; *p && *p != '}'; p++) {
		if (*p == ',')
			comma = true;
		else if (*p >= '0' && *p <= '9')
			*(comma ? &m : &n) =
				sat_add(sat_mul(*(comma ? &m : &n), 10), (uint64_t)(*p - '0'));
	}
	*pp = *p ? p + 1 : p;
	if (comma && m == 0)
		return n + 1;
	return (m > n ? m : n) + 1;
}

static bool regex_too_big(const char *re)
{
	uint64_t size[RE_DEPTH_MAX + 1] = {0}, last[RE_DEPTH_MAX + 1] = {0};
	int d = 0;

	for (const char *p = re; *p;) {
		uint64_t k = 0;

		switch (*p) {
		case '(':
			if (++d > RE_DEPTH_MAX)
				return true;
			size[d] = last[d] = 0;
			p++;
			continue;
		case ')':
			if (d == 0) { /* unbalanced: regcomp refuses it, count it as a character */
				p++;
				last[0] = 1;
				size[0] = sat_add(size[0], 1);
				continue;
			}
			last[d - 1] = sat_add(size[d], 1);
			d--;
			size[d] = sat_add(size[d], last[d]);
			p++;
			continue;
		case '+':
			k = 2;
			p++;
			break;
		case '{':
			k = brace_count(&p);
			break;
		case '*':
		case '?':
		case '|':
			size[d] = sat_add(size[d], 1);
			p++;
			continue;
		case '[':
			p = skip_bracket(p);
			last[d] = 1;
			size[d] = sat_add(size[d], 1);
			continue;
		case '\\':
			p += p[1] ? 2 : 1;
			last[d] = 1;
			size[d] = sat_add(size[d], 1);
			continue;
		default:
			p++;
			last[d] = 1;
			size[d] = sat_add(size[d], 1);
			continue;
		}
		/* a repetition: the last element is copied k times (stacked ones multiply) */
		size[d] = sat_add(size[d], sat_mul(last[d], k));
		last[d] = sat_mul(last[d], k + 1);
		if (size[d] > RE_NODES_MAX)
			return true;
	}
	for (; d >= 0; d--)
		if (size[d] > RE_NODES_MAX)
			return true;
	return false;
}

/* "~ERE": one expression per assignment (an ERE may hold spaces), repeated keys add. */
static int parse_cmdline(struct cfg_ctx *c, const struct cfg_key *k, const char *v, void *field)
{
	struct pol_match *m = (void *)((char *)field - offsetof(struct pol_match, cmdline_src));
	regex_t *re;
	char err[160];
	int r;

	if (v[0] == '\0') {
		match_free_cmdline(m);
		return 0;
	}
	if (v[0] != '~' || v[1] == '\0')
		return cfg_err(c, k->key,
			       "expected '~' and a POSIX extended regular expression, got '%s'", v);
	v++;
	if (strlen(v) > CMDLINE_RE_MAX)
		return cfg_err(c, k->key, "regular expression longer than %d bytes",
			       CMDLINE_RE_MAX);
	if (regex_too_big(v))
		return cfg_err(c, k->key,
			       "regular expression '%s' too complex (nested repetitions)", v);
	re = realloc(m->cmdline, (m->cmdline_src.n + 1) * sizeof(*re));
	if (!re)
		return cfg_err(c, k->key, "out of memory");
	m->cmdline = re;
	r = regcomp(&re[m->cmdline_src.n], v, REG_EXTENDED | REG_NOSUB);
	if (r != 0) {
		regerror(r, &re[m->cmdline_src.n], err, sizeof(err));
		regfree(&re[m->cmdline_src.n]);
		return cfg_err(c, k->key, "bad regular expression '%s': %s", v, err);
	}
	if (cfg_strv_push(&m->cmdline_src, v) < 0) {
		regfree(&re[m->cmdline_src.n]);
		return cfg_err(c, k->key, "out of memory");
	}
	return 0;
}

/* Look name up in <root>/etc/passwd (root NULL: NSS). 1 found, 0 not, <0 error. */
static int lookup_user(const char *root, const char *name, uid_t *ret)
{
	char buf[4096], path[POL_PATH_MAX + 16];
	struct passwd pw, *res = NULL;
	_cleanup_fclose_ FILE *f = NULL;

	if (!root) {
		if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0 || !res)
			return 0;
		*ret = res->pw_uid;
		return 1;
	}
	snprintf(path, sizeof(path), "%s/etc/passwd", root);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgetpwent_r(f, &pw, buf, sizeof(buf), &res) == 0) {
		if (strcmp(res->pw_name, name) == 0) {
			*ret = res->pw_uid;
			return 1;
		}
	}
	return 0;
}

static int push_uid(struct pol_match *m, uid_t uid)
{
	uid_t *v;

	for (size_t i = 0; i < m->nuids; i++)
		if (m->uids[i] == uid)
			return 0;
	v = realloc(m->uids, (m->nuids + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	m->uids = v;
	m->uids[m->nuids++] = uid;
	return 0;
}

static int parse_user_one(struct cfg_ctx *c, const struct cfg_key *k, struct pol_match *m,
			  const char *tok)
{
	uint64_t n;
	uid_t uid = UID_NONE;
	int r;

	if (og_parse_u64(tok, &n) == 0) {
		if (n > UINT32_MAX)
			return cfg_err(c, k->key, "expected a user name or uid, got '%s'", tok);
		uid = (uid_t)n;
	} else if (strpbrk(tok, ":/") || strlen(tok) > 64) {
		return cfg_err(c, k->key, "expected a user name or uid, got '%s'", tok);
	} else {
		r = lookup_user(c->root, tok, &uid);
		if (r <= 0) {
			cfg_warn(c, k->key, "unknown user '%s' in '%s%s': can never match", tok,
				 c->root ? c->root : "",
				 c->root ? "/etc/passwd" : "the user database");
			uid = UID_NONE;
		}
	}
	if (push_uid(m, uid) < 0)
		return cfg_err(c, k->key, "out of memory");
	return 0;
}

static int parse_user(struct cfg_ctx *c, const struct cfg_key *k, const char *v, void *field)
{
	struct pol_match *m = (void *)((char *)field - offsetof(struct pol_match, nuids));
	char tok[128];
	ssize_t n;
	int r = 0;

	if (v[0] == '\0') {
		free(m->uids);
		m->uids = NULL;
		m->nuids = 0;
		return 0;
	}
	for (const char *p = v; (n = next_token(&p, tok, sizeof(tok))) != 0;) {
		if (n < 0)
			return cfg_err(c, k->key, "user name too long");
		if (parse_user_one(c, k, m, tok) < 0)
			r = -EINVAL;
	}
	return r;
}

static int parse_oom_adj(struct cfg_ctx *c, const struct cfg_key *k, const char *v, void *field)
{
	struct pol_service *s =
		(void *)((char *)field - offsetof(struct pol_service, oom_score_adj));

	if (v[0] == '\0') {
		s->has_oom_score_adj = false;
		s->oom_score_adj = 0;
		return 0;
	}
	if (cfg_parse_int(c, k, v, field) < 0)
		return -EINVAL;
	s->has_oom_score_adj = true;
	return 0;
}

/* "4G" or "25%" (of RAM, or of the scope's limit). "" resets to none. */
static int parse_budget(struct cfg_ctx *c, const struct cfg_key *k, const char *v, void *field)
{
	struct pol_service *s =
		(void *)((char *)field - offsetof(struct pol_service, budget_bytes));
	uint64_t bytes;
	uint32_t p;

	s->budget_bytes = 0;
	s->budget_permyriad = 0;
	if (v[0] == '\0')
		return 0;
	if (strchr(v, '%')) {
		if (og_parse_percent(v, &p) < 0 || p < 1)
			return cfg_err(c, k->key, "expected a percentage 0.01%%-100%%, got '%s'",
				       v);
		s->budget_permyriad = p;
		return 0;
	}
	if (og_parse_size(v, &bytes) < 0 || bytes < 1024 * 1024)
		return cfg_err(c, k->key,
			       "expected a size of at least 1M or a percentage, got '%s'", v);
	s->budget_bytes = bytes;
	return 0;
}

/* Children=no is stored as no_children, so a zeroed pol_match (the default) matches copies. */
static int parse_children(struct cfg_ctx *c, const struct cfg_key *k, const char *v, void *field)
{
	bool b;
	int r = cfg_parse_bool(c, k, v, &b);

	if (r == 0)
		*(bool *)field = !b;
	return r;
}

#define M(name, fn, member, kind, fl) \
	CFG_KEY("Match", name, fn, struct pol_service, member, kind, 0, fl, NULL)
#define P(name, fn, member, lo, hi, fl, en) \
	CFG_KEY("Policy", name, fn, struct pol_service, member, lo, hi, fl, en)

static const struct cfg_key policy_keys[] = {
	M("Name", parse_list, match.name, LIST_NAME, CFG_F_EMPTY | CFG_F_MULTI),
	M("Exe", parse_list, match.exe, LIST_EXE, CFG_F_EMPTY | CFG_F_MULTI),
	M("Cmdline", parse_cmdline, match.cmdline_src, 0, CFG_F_EMPTY | CFG_F_MULTI),
	M("Unit", parse_list, match.unit, LIST_UNIT, CFG_F_EMPTY | CFG_F_MULTI),
	M("Cgroup", parse_list, match.cgroup, LIST_CGROUP, CFG_F_EMPTY | CFG_F_MULTI),
	M("User", parse_user, match.nuids, 0, CFG_F_EMPTY | CFG_F_MULTI),
	M("All", cfg_parse_bool, match.all, 0, 0),
	M("Children", parse_children, match.no_children, 0, 0),
	P("Protect", cfg_parse_bool, protect, 0, 0, 0, NULL),
	P("OOMScoreAdjust", parse_oom_adj, oom_score_adj, -1000, 1000, CFG_F_EMPTY, NULL),
	P("KillPreference", cfg_parse_enum, kill_pref, 0, 0, 0, cfg_kill_pref_names),
	P("KillUnit", cfg_parse_enum, kill_unit, 0, 0, 0, cfg_kill_unit_names),
	P("TermGraceSec", cfg_parse_duration, term_grace_usec, 0, 600000000, 0, NULL),
	P("Throttle", cfg_parse_bool, throttle, 0, 0, 0, NULL),
	P("NUMA", cfg_parse_bool, numa, 0, 0, 0, NULL),
	P("MemoryBudget", parse_budget, budget_bytes, 0, 0, CFG_F_EMPTY, NULL),
	P("PressureLimit", cfg_parse_psi_kind, pressure_limit, 0, 0, 0, NULL),
	P("OnBudget", cfg_parse_enum, on_budget, 0, 0, 0, cfg_on_budget_names),
};

static void *policy_base(struct cfg_ctx *c, const char *section, int want_default)
{
	(void)section;
	return want_default ? (void *)c->defaults : c->obj;
}

#define LINE(key) cfg_key_line(c, "Policy", key)

static bool match_empty(const struct pol_match *m)
{
	return !m->name.n && !m->exe.n && !m->unit.n && !m->cgroup.n && !m->cmdline_src.n &&
	       !m->nuids;
}

static void check_match(struct cfg_ctx *c, const struct pol_service *s)
{
	unsigned hdr = c->section_line[0];

	if (s->match.all && !match_empty(&s->match))
		cfg_err_at(c, cfg_key_line(c, "Match", "All"), "All",
			   "All=yes cannot be combined with other [Match] keys");
	else if (s->match.all && s->match.no_children)
		cfg_err_at(c, cfg_key_line(c, "Match", "Children"), "Children",
			   "Children=no cannot be combined with All=yes (a policy for every "
			   "process has no listener to tell apart from its children)");
	else if (!s->match.all && match_empty(&s->match))
		cfg_err_at(c, hdr ? hdr : 1, "[Match]",
			   "no match key: the policy would apply to every process; "
			   "use All=yes if that is meant");
}

static void check_policy(struct cfg_ctx *c, const struct pol_service *s)
{
	unsigned protect = LINE("Protect");
	bool any = false;

	for (size_t i = 0; i < c->nkeys; i++)
		any |= strcmp(c->keys[i].section, "Policy") == 0 && c->key_line[i];
	if (!any && !c->nerrors) /* a rejected key is no reason to say more */
		cfg_warn_at(c, c->section_line[1] ? c->section_line[1] : 1, "[Policy]",
			    "no settings: the policy changes nothing");
	if (s->protect) {
		if (s->kill_pref == POL_KP_PREFER)
			cfg_err_at(c, LINE("KillPreference"), "KillPreference",
				   "'prefer' contradicts Protect=yes (line %u): a protected "
				   "process is never killed",
				   protect);
		if (LINE("Throttle") && s->throttle)
			cfg_err_at(c, LINE("Throttle"), "Throttle",
				   "contradicts Protect=yes (line %u): a protected process is "
				   "never throttled",
				   protect);
		if (s->numa)
			cfg_err_at(c, LINE("NUMA"), "NUMA",
				   "contradicts Protect=yes (line %u): a protected process is "
				   "never migrated",
				   protect);
		if (s->on_budget == POL_OB_THROTTLE || s->on_budget == POL_OB_KILL)
			cfg_err_at(c, LINE("OnBudget"), "OnBudget",
				   "'%s' contradicts Protect=yes (line %u)",
				   cfg_enum_name(cfg_on_budget_names, (int)s->on_budget), protect);
	}
	if (s->has_oom_score_adj && s->oom_score_adj < 0 && s->kill_pref == POL_KP_PREFER)
		cfg_warn_at(c, LINE("KillPreference"), "KillPreference",
			    "'prefer' contradicts OOMScoreAdjust=%d (line %u): oomguardian would "
			    "kill first what the kernel's OOM killer is told to spare",
			    s->oom_score_adj, LINE("OOMScoreAdjust"));
	if (LINE("TermGraceSec") && (s->protect || s->kill_pref == POL_KP_NEVER))
		cfg_warn_at(c, LINE("TermGraceSec"), "TermGraceSec", "has no effect with %s",
			    s->protect ? "Protect=yes" : "KillPreference=never");
	if (LINE("KillUnit") && (s->protect || s->kill_pref == POL_KP_NEVER))
		cfg_warn_at(c, LINE("KillUnit"), "KillUnit", "has no effect with %s",
			    s->protect ? "Protect=yes" : "KillPreference=never");
	if (LINE("OnBudget") && !s->budget_bytes && !s->budget_permyriad && !s->pressure_limit.set)
		cfg_warn_at(c, LINE("OnBudget"), "OnBudget",
			    "has no effect without MemoryBudget= or PressureLimit=");
	if (s->kill_pref == POL_KP_NEVER && s->on_budget == POL_OB_KILL)
		cfg_err_at(c, LINE("OnBudget"), "OnBudget",
			   "'kill' contradicts KillPreference=never (line %u)",
			   LINE("KillPreference"));
}

/*
 * comm (Name=) is whatever the process says (prctl(PR_SET_NAME), or exec through a symlink of
 * that name) and so is argv (Cmdline=): any user could make a process of theirs unkillable, and
 * have oomguardian lower its oom_score_adj. Exe= (the kernel's /proc/PID/exe), Unit= and
 * Cgroup= (only root moves processes between services) and User= cannot be forged that way.
 */
static void check_impersonation(struct cfg_ctx *c, const struct pol_service *s)
{
	const struct pol_match *m = &s->match;

	if (!s->protect && !(s->has_oom_score_adj && s->oom_score_adj < 0))
		return;
	if (m->all || m->exe.n || m->unit.n || m->cgroup.n || m->nuids)
		return;
	if (m->name.n)
		cfg_warn_at(c, cfg_key_line(c, "Match", "Name"), "Name",
			    "matches by process name only, which any process can set "
			    "(prctl PR_SET_NAME); add Exe= or Unit=");
	else if (m->cmdline_src.n)
		cfg_warn_at(c, cfg_key_line(c, "Match", "Cmdline"), "Cmdline",
			    "matches by command line only, which any process can set "
			    "(its own argv); add Exe= or Unit=");
}

/* The service name: the file name without directory and ".policy". */
static int service_name(struct cfg_ctx *c, const char *path, char *buf, size_t size)
{
	const char *b = strrchr(path, '/');
	size_t n;

	b = b ? b + 1 : path;
	n = strlen(b);
	if (n > 7 && strcmp(b + n - 7, ".policy") == 0)
		n -= 7;
	if (n == 0 || n >= size)
		return cfg_err_at(c, 0, "", "file name must be 1-%zu characters before '.policy'",
				  size - 1);
	memcpy(buf, b, n);
	buf[n] = '\0';
	return 0;
}

int cfg_parse_policy_buf(const char *path, const char *buf, size_t len, const char *root,
			 const struct pol_config *cfg, struct pol_service *ret,
			 struct cfg_diag *diag)
{
	unsigned key_line[OG_ELEMENTSOF(policy_keys)] = {0};
	struct pol_service work = {0}, defaults = {0};
	struct pol_config builtin;
	struct cfg_ctx c = {
		.path = path,
		.diag = diag,
		.root = root,
		.sections = policy_sections,
		.keys = policy_keys,
		.nkeys = OG_ELEMENTSOF(policy_keys),
		.key_line = key_line,
		.base = policy_base,
		.obj = &work,
		.defaults = &defaults,
	};

	if (!cfg) {
		cfg_config_defaults(&builtin);
		cfg = &builtin;
	}
	service_name(&c, path, work.name, sizeof(work.name));
	og_strscpy(work.origin.path, path, sizeof(work.origin.path));
	cfg_ini_parse(&c, buf, len);
	/* Defaults that depend on other keys. */
	if (!cfg_key_line(&c, "Policy", "Throttle"))
		work.throttle = !work.protect;
	if (!cfg_key_line(&c, "Policy", "TermGraceSec"))
		work.term_grace_usec = cfg->default_term_grace_usec;
	if (c.nerrors == 0) {
		check_match(&c, &work); /* a rejected value would make it look empty */
		check_impersonation(&c, &work);
	}
	check_policy(&c, &work);
	work.kill_pref_line = cfg_key_line(&c, "Policy", "KillPreference");
	if (c.nerrors) {
		pol_service_free(&work);
		return -EINVAL;
	}
	*ret = work;
	return 0;
}

void pol_service_free(struct pol_service *s)
{
	if (!s)
		return;
	cfg_strv_free(&s->match.name);
	cfg_strv_free(&s->match.exe);
	cfg_strv_free(&s->match.unit);
	cfg_strv_free(&s->match.cgroup);
	match_free_cmdline(&s->match);
	free(s->match.uids);
	*s = (struct pol_service){0};
}
