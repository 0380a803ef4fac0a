/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "guardian/log.h"

static int max_level = LOG_INFO;
static int use_journal = -1; /* -1: decide on first use */
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

int log_internal(int level, int error, const char *message_id, const char *fmt, ...)
{
	char msg[1024]; /* one log line; longer ones are cut, never allocated */
	va_list ap;
	int saved = errno;

	if (level > max_level)
		return -error;
	if (error > 0)
		errno = error;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (getenv("JOURNAL_STREAM"))
		fprintf(stderr, "<%d>%s\n", level, msg);
	else
		fprintf(stderr, "%s: %s: %s\n", ident, level_name(level), msg);

	if (use_journal < 0)
		use_journal = access("/run/systemd/journal/socket", W_OK) == 0;
	if (use_journal) {
		if (message_id)
			sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", level, "MESSAGE_ID=%s",
					message_id, "SYSLOG_IDENTIFIER=%s", ident, NULL);
		else
			sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", level,
					"SYSLOG_IDENTIFIER=%s", ident, NULL);
	}
	errno = saved;
	return -error;
}
