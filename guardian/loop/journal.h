/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One journal entry per finished report, with a MESSAGE_ID per kind of event (explained by
 * systemd/oomguardian.catalog: `journalctl -x`) and structured fields a query can use
 * (journalctl MESSAGE_ID=... OOMGUARDIAN_VICTIM_UNIT=...). Sent from the idle flush, never on
 * the kill path. The sink is sd_journal_sendv() where journald runs; tests install their own.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

struct loop_report_slot;

/* The MESSAGE_IDs (128-bit, lower-case hex, as in the catalog). */
#define OG_MID_KILL "559d97f2a4b947068530183d81c3cb7f" /* a process or group killed */
#define OG_MID_TERM "4039c5a8ac314b99ac44132d2a376338" /* terminated within its grace */
#define OG_MID_NO_ACTION "37377432044a459690cf94896655e1e0" /* a stage fired, nothing allowed */
#define OG_MID_MEMORY "2ff232f1dfc24be4898cc733916910e9" /* reclaim, throttle, caches, ... */
#define OG_MID_PROTECT "e4b3a4f077014e13838030ff1dd6c2a8" /* oom_score_adj set by a policy */
#define OG_MID_TIMEOUT "7cc76aa7cadd4ebb8b896d218f115c71" /* a victim did not exit in time */

#define LOOP_JOURNAL_FIELDS 24

/* Where entries go: n "KEY=value" iovecs (MESSAGE, MESSAGE_ID, PRIORITY first). */
typedef void (*loop_journal_sink_fn)(void *userdata, const struct iovec *iov, size_t n);

/* Replace the sink (NULL: back to the journal). */
void loop_journal_set_sink(loop_journal_sink_fn fn, void *userdata);

/* The MESSAGE_ID of a finished report (by action and result). */
const char *loop_journal_message_id(const struct loop_report_slot *s);

/* Send the entry of one finished report; path: its file or NULL. A fixture run (--root) sends
 * nothing to the journal (its pids are not this machine's), only to an installed sink. */
void loop_journal_report(const struct loop_report_slot *s, const char *path, bool fixture);
