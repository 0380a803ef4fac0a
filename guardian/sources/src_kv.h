/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Line iterator for the "key: value [kB]" (/proc/meminfo, node<N>/meminfo after the "Node N "
 * prefix) and "key value" (/proc/vmstat, numastat, memory.stat) files. Pure, no allocation:
 * keys and values point into the caller's buffer.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct src_kv {
	const char *key; /* anchored at line start, not NUL-terminated */
	size_t key_len;
	const char *val; /* after the separator and blanks, up to the end of the line */
	size_t val_len;
	unsigned line; /* 1-based, for debug messages */
};

/*
 * Return the next line of *pos split at the first `sep` (':' or ' ') and advance *pos past
 * it. 1 when a line was returned, 0 at the end of buf. A line without the separator is
 * returned with val_len 0 and val pointing at its end (callers ignore unknown keys anyway).
 * ret->line is incremented, so zero *ret before the first call.
 */
int src_kv_next(const char **pos, char sep, struct src_kv *ret);

/* True if the line's key is exactly `key` (not merely a prefix: "Active" vs "Active(anon)"). */
bool src_kv_key_is(const struct src_kv *kv, const char *key);

/*
 * Parse the value as a decimal u64, followed by " kB" iff kb is true (then converted to bytes),
 * and nothing else but trailing blanks. 0 or -EBADMSG (malformed, wrong unit, overflow).
 */
int src_kv_value(const struct src_kv *kv, bool kb, uint64_t *ret);

enum src_kv_unit {
	SRC_KV_COUNT, /* plain number */
	SRC_KV_KB, /* "N kB", stored in bytes */
};

struct src_kv_field {
	const char *key;
	size_t offset; /* of a uint64_t in the target struct */
	enum src_kv_unit unit;
};

/*
 * Fill the uint64_t fields of `base` named by the table from buf; lines with other keys are
 * ignored. *ret_seen gets bit i set for table entry i found (n <= 64). A known key that occurs
 * twice or has a malformed value gives -EBADMSG. base may be partly
 * written on failure, so callers parse into a zeroed scratch struct.
 */
int src_kv_parse_table(const char *buf, char sep, const struct src_kv_field *tab, size_t n,
		       void *base, uint64_t *ret_seen);
