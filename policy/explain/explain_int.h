/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internals shared by the files of policy/explain/ (not part of the API). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/explain/explain.h"

#define EXPLAIN_LINE_MAX 2048 /* printk lines are at most 1024 bytes (LOG_LINE_MAX) */

/*
 * One input line without what users and loggers put around the kernel's text: "> " mail
 * quotes, "<4>" levels, syslog/journal "Mon DD hh:mm:ss host kernel: ", dmesg "[  12.345678]",
 * dmesg -T "[Wed Jun 15 06:37:51 2022]", printk caller ids "[T123]". Writes the message into
 * out (NUL-terminated, cut at size) and the first timestamp seen into ts ("" if none).
 * Returns the message length.
 */
size_t explain_strip_line(const char *line, size_t len, char *out, size_t size, char *ts,
			  size_t ts_size);

/* Find "key" (e.g. "min:" or "order=") at a token start in s; the value follows. NULL if absent. */
const char *explain_find_key(const char *s, const char *key);

/*
 * The decimal number (optionally negative, or 0x hex) at s; *ret_end after it.
 * false if none or out of range.
 */
bool explain_parse_num(const char *s, int64_t *ret, const char **ret_end);

/* The number after key, in kB: "123kB", "123KB", "123k" or "123" (kB assumed). */
int64_t explain_key_kb(const char *s, const char *key);

/* The number after key, unit-less. EXPLAIN_UNSET if absent. */
int64_t explain_key_num(const char *s, const char *key);

/* Copy the word after key (up to a space, ',' or the end) into dst; false if key absent. */
bool explain_key_word(const char *s, const char *key, char *dst, size_t size);

/* Decode gfp_mask for the kernel version ("" unknown) into "A|B|C"; false if no table fits. */
bool explain_gfp_decode(uint64_t mask, const char *kernel, char *dst, size_t size);

/* Zone-modifier bits of the mask for the version: the highest zone allowed, or "" if unknown. */
void explain_gfp_classzone(const struct explain_report *r, char *dst, size_t size);

/* Fill the diagnosis: zone verdicts, causes and summary. */
void explain_diagnose(struct explain_report *r);

/* "3.10.0-1160.el7" -> 310; 0 if unknown. */
int explain_kernel_version(const char *kernel);
