/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging to stderr and the journal. Only main.c, loop.c, ctl*.c and act_*.c log above debug;
 * sources log at debug only. Each line goes to the journal (sd_journal_send, with MESSAGE_ID)
 * when its socket is there, and to stderr unless stderr is itself the journal stream
 * ($JOURNAL_STREAM names it) and the journal took the line: one copy per line, and nothing is
 * lost where journald does not run. On a journal stream, stderr lines carry a <N> prefix.
 */
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <syslog.h>

/* Set the most verbose level printed (LOG_DEBUG .. LOG_ERR). */
void log_set_max_level(int level);
int log_get_max_level(void);

/* Also send to the journal (default on when the journal socket exists). */
void log_set_journal(int on);

/* Prefix for stderr lines ("oomguardiand"). */
void log_set_ident(const char *ident);

/*
 * Log one line. error (>= 0) is put into errno first so "%m" works. message_id is a
 * 32-hex-digit MESSAGE_ID for the journal or NULL. Returns -error (so callers can return it).
 */
int log_internal(int level, int error, const char *message_id, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define log_debug(...) log_internal(LOG_DEBUG, 0, NULL, __VA_ARGS__)
#define log_info(...) log_internal(LOG_INFO, 0, NULL, __VA_ARGS__)
#define log_notice(...) log_internal(LOG_NOTICE, 0, NULL, __VA_ARGS__)
#define log_warning(...) log_internal(LOG_WARNING, 0, NULL, __VA_ARGS__)
#define log_error(...) log_internal(LOG_ERR, 0, NULL, __VA_ARGS__)

/* r is a negative errno; returns r. */
#define log_debug_errno(r, ...) log_internal(LOG_DEBUG, -(r), NULL, __VA_ARGS__)
#define log_warning_errno(r, ...) log_internal(LOG_WARNING, -(r), NULL, __VA_ARGS__)
#define log_error_errno(r, ...) log_internal(LOG_ERR, -(r), NULL, __VA_ARGS__)
