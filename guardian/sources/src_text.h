/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tiny scanners for the line-oriented kernel tables (buddyinfo, zoneinfo, slabinfo, node
 * files). They never read past the NUL that og_read_at() puts after the text, and never
 * cross a newline except src_text_next_line().
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Skip spaces and tabs (not newlines). */
const char *src_text_skip_blank(const char *p);

/* Start of the line after the one p is in (at the NUL if none). */
const char *src_text_next_line(const char *p);

/*
 * Skip blanks, then copy one token (a run of non-blank, non-newline characters) into out.
 * Advances *p past it. Returns its length, -EBADMSG if there is none on this line,
 * -ENAMETOOLONG if it does not fit in size - 1 (out holds the truncated token).
 */
int src_text_token(const char **p, char *out, size_t size);

/*
 * Skip blanks, then parse a decimal u64 that must end at a blank, newline, NUL or one of the
 * characters in `stop` (may be NULL). Advances *p past the digits. 0, -EBADMSG, -ERANGE.
 */
int src_text_u64(const char **p, const char *stop, uint64_t *ret);

/* True if the rest of the line holds only blanks. */
int src_text_at_eol(const char *p);
