/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "guardian/base/log.h"
#include "policy/util/strutil.h"

static int max_level = LOG_INFO;
static int use_journal = -1; /* -1: decide on first use */
static int stderr_is_journal = -1; /* -1: decide on first use */
static const char *ident = "oomguardian";

void log_set_max_level(int level)
{
	max_level = level;
}

int log_get_max_level(void)
{
	return max_level;
}

void log_set_journal(int on)
{
	use_journal = on;
}

void log_set_ident(const char *s)
{
	ident = s;
}

static const char *level_name(int level)
{
	static const char *const names[] = { "emerg", "alert", "crit",	"error",
					     "warning", "notice", "info", "debug" };

	return level >= 0 && level <= LOG_DEBUG ? names[level] : "?";
}

/* $JOURNAL_STREAM is "device:inode" of the stream systemd connected stderr to; it is
 * inherited by children whose stderr may be elsewhere, so compare it with stderr itself. */
static int stderr_is_journal_stream(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

int log_internal(int level, int error, const char *message_id, const char *fmt, ...)
{
	char msg[1024]; /* one log line; longer ones are cut, never allocated */
	va_list ap;
	int saved = errno, r;
	bool sent = false;

	if (level > max_level)
		return -error;
	if (error > 0)
		errno = error;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Names from the kernel (comm, cgroup, unit) reach here: one line stays one line, and
	 * no escape sequence reaches a terminal or the journal (issue 10 item 7). */
	og_escape(msg, sizeof(msg), msg);

	if (use_journal < 0)
		use_journal = access("/run/systemd/journal/socket", W_OK) == 0;
	if (stderr_is_journal < 0)
		stderr_is_journal = stderr_is_journal_stream();

	/* Under systemd stderr already goes to the journal: send each line once, natively (it
	 * carries MESSAGE_ID), and use the stream only when journald did not take it. */
	if (use_journal) {
		if (message_id)
			r = sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", level, "MESSAGE_ID=%s",
					    message_id, "SYSLOG_IDENTIFIER=%s", ident, NULL);
		else
			r = sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", level,
					    "SYSLOG_IDENTIFIER=%s", ident, NULL);
		sent = r >= 0;
	}
	if (!(stderr_is_journal && sent)) {
		if (stderr_is_journal)
			fprintf(stderr, "<%d>%s\n", level, msg);
		else
			fprintf(stderr, "%s: %s: %s\n", ident, level_name(level), msg);
	}
	errno = saved;
	return -error;
}
