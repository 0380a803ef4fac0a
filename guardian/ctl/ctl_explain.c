/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `oomguardianctl explain [--json] [FILE|-]`: the reading half. The parsing and the diagnosis
 * are pure (policy/explain/); this file only gets the text: a file, stdin, or the running
 * kernel's log. /dev/kmsg is read non-blocking, one record per read(), until -EAGAIN (the end
 * of the ring buffer, i.e. everything still kept since boot); when it cannot be opened or read
 * (no CAP_SYSLOG with dmesg_restrict, a container) the journal's kernel messages of this boot
 * are used instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardian/ctl/ctl_explain.h"
#include "policy/explain/explain.h"
#include "policy/explain/explain_json.h"

/* A pasted log larger than this is not a paste: refuse rather than eat the machine's memory. */
#define EXPLAIN_INPUT_MAX (256u << 20)
/* A /dev/kmsg record is at most ~8 KiB with its dictionary (CONSOLE_EXT_LOG_MAX). */
#define KMSG_RECORD_MAX 8192

struct buf {
	char *p;
	size_t len, cap;
};

static int buf_reserve(struct buf *b, size_t more)
{
	char *p;
	size_t cap;

	if (b->len + more + 1 <= b->cap)
		return 0;
	if (b->len + more + 1 > EXPLAIN_INPUT_MAX)
		return -EFBIG;
	cap = b->cap ? b->cap : 65536;
	while (cap < b->len + more + 1)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

static int read_fd(int fd, struct buf *b)
{
	for (;;) {
		ssize_t n;
		int r = buf_reserve(b, 65536);

		if (r < 0)
			return r;
		n = read(fd, b->p + b->len, b->cap - b->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		b->len += (size_t)n;
	}
}

static int read_stream(FILE *f, struct buf *b)
{
	for (;;) {
		size_t n;
		int r = buf_reserve(b, 65536);

		if (r < 0)
			return r;
		n = fread(b->p + b->len, 1, b->cap - b->len - 1, f);
		b->len += n;
		if (n == 0)
			return ferror(f) ? -EIO : 0;
	}
}

/* The kmsg ring since boot. -errno if it cannot be read at all. */
static int read_kmsg(struct buf *b)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC), r = 0;
	size_t records = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if ((r = buf_reserve(b, KMSG_RECORD_MAX)) < 0)
			break;
		n = read(fd, b->p + b->len, KMSG_RECORD_MAX);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EPIPE)
			continue; /* records were overwritten while we read: go on with the next */
		if (n < 0 && errno == EAGAIN) {
			r = 0;
			break;
		}
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
		records++;
	}
	close(fd);
	if (r == 0 && records == 0)
		r = -ENODATA;
	return r;
}

static int read_journal(struct buf *b)
{
	FILE *f = popen("journalctl -k -b -o short --no-pager -q 2>/dev/null", "r");
	int r, st;

	if (!f)
		return -errno;
	r = read_stream(f, b);
	st = pclose(f);
	if (r == 0 && (st != 0 || b->len == 0))
		r = -ENODATA;
	return r;
}

static void usage(FILE *out)
{
	fputs("Usage: oomguardianctl explain [--json] [FILE|-]\n"
	      "Find and explain every kernel OOM report and page allocation failure in FILE\n"
	      "(dmesg, dmesg -T, journalctl -k, syslog, a pasted mail; '-' is stdin), or without\n"
	      "FILE in the kernel log since boot (/dev/kmsg, else journalctl -k -b).\n\n"
	      "  --json   the machine-readable form (format 1, see oomguardianctl(8))\n"
	      "  -h, --help\n\n"
	      "Exit status: 0 done (also when nothing was found), 64 usage error, 66 unreadable\n"
	      "input, 70 out of memory, 74 output failed.\n",
	      out);
}

static int get_input(const char *file, struct buf *b, const char **ret_what, int *ret_kmsg_err)
{
	int r;

	if (file && strcmp(file, "-") == 0) {
		*ret_what = "stdin";
		return read_fd(STDIN_FILENO, b);
	}
	if (file) {
		int fd = open(file, O_RDONLY | O_CLOEXEC);

		*ret_what = file;
		if (fd < 0)
			return -errno;
		r = read_fd(fd, b);
		close(fd);
		return r;
	}
	*ret_what = "/dev/kmsg";
	r = read_kmsg(b);
	if (r >= 0) {
		char *text;
		size_t len;

		if (buf_reserve(b, 0) < 0)
			return -ENOMEM;
		b->p[b->len] = '\0';
		if (explain_kmsg_to_text(b->p, b->len, &text, &len) < 0)
			return -ENOMEM;
		free(b->p);
		b->p = text;
		b->len = b->cap = len;
		return 0;
	}
	*ret_kmsg_err = r;
	b->len = 0;
	*ret_what = "journalctl -k -b";
	return read_journal(b);
}

int ctl_explain_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct explain_result res = { 0 };
	struct buf b = { 0 };
	const char *file = NULL, *what = "";
	bool json = false;
	int c, r, rc = 0, kmsg_err = 0;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+jh", opts, NULL)) >= 0) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 64;
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, "oomguardianctl explain: one FILE at most\n");
		usage(stderr);
		return 64;
	}
	if (optind < argc)
		file = argv[optind];
	r = get_input(file, &b, &what, &kmsg_err);
	if (r < 0) {
		free(b.p);
		if (r == -EFBIG)
			fprintf(stderr, "oomguardianctl explain: '%s': larger than %u MiB, not read\n",
				what, EXPLAIN_INPUT_MAX >> 20);
		else if (!file)
			fprintf(stderr, "oomguardianctl explain: cannot read the kernel log: "
					"/dev/kmsg: %s; journalctl -k -b: %s\n",
				strerror(-kmsg_err), r == -ENODATA ? "no output" : strerror(-r));
		else
			fprintf(stderr, "oomguardianctl explain: '%s': %s\n", what, strerror(-r));
		return r == -ENOMEM ? 70 : 66;
	}
	r = explain_parse(b.p ? b.p : "", b.len, &res);
	free(b.p);
	if (r < 0) {
		fprintf(stderr, "oomguardianctl explain: %s\n", strerror(-r));
		return 70;
	}
	if (json) {
		struct json_object *o = explain_result_json(&res);

		if (!o) {
			rc = 70;
		} else {
			puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								   JSON_C_TO_STRING_SPACED |
								   JSON_C_TO_STRING_NOSLASHESCAPE));
			json_object_put(o);
		}
	} else {
		char *text = NULL;

		if (explain_format_text(&res, &text) < 0) {
			rc = 70;
		} else {
			fputs(text, stdout);
			free(text);
		}
	}
	explain_result_free(&res);
	if (rc == 0 && (fflush(stdout) != 0 || ferror(stdout)))
		rc = 74;
	return rc;
}
