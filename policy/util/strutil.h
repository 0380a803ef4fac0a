/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Locale-independent number parsing shared by the readers and the policy parser. All pure.
 * Every parser returns 0 on success or a negative errno (-EINVAL malformed, -ERANGE overflow)
 * and never writes *ret on failure.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Copy with truncation, always NUL-terminated. Returns the length copied. */
size_t og_strscpy(char *dst, const char *src, size_t size);

/* Decimal unsigned integer, whole string. 0 or -EINVAL/-ERANGE. */
int og_parse_u64(const char *s, uint64_t *ret);

/* Decimal signed int, whole string. 0 or -EINVAL/-ERANGE. */
int og_parse_int(const char *s, int *ret);

/* Parse a leading decimal integer; *ret_end points after it. 0 or -EINVAL/-ERANGE. */
int og_parse_u64_prefix(const char *s, uint64_t *ret, const char **ret_end);

/*
 * Fixed-point decimal with up to `scale_digits` fractional digits, scaled by 10^scale_digits:
 * og_parse_fixed("12.34", 2, &v) gives 1234; "5" gives 500; extra digits are truncated.
 * 0 or -EINVAL/-ERANGE.
 */
int og_parse_fixed(const char *s, unsigned scale_digits, uint64_t *ret);

/* Size: "4096", "512K", "4G", "1.5G" (base 1024; suffix K M G T P E, optional trailing 'B' or
 * "iB"; fractions exact to the byte, rounded down). 0, -EINVAL, or -ERANGE when the bytes do
 * not fit in 64 bits ("16E"). */
int og_parse_size(const char *s, uint64_t *ret_bytes);

/* Percentage "12.5%" (the '%' is required) into permyriad (1250). 0..10000 only. */
int og_parse_percent(const char *s, uint32_t *ret_permyriad);

/* Duration: "250ms", "10s", "2min", "1h", "1.5s", plain number = seconds. 0, -EINVAL, or
 * -ERANGE when the microseconds do not fit in 64 bits. */
int og_parse_duration(const char *s, uint64_t *ret_usec);

/* Boolean: yes/no, true/false, on/off, 1/0 (case-insensitive). 1, 0 or -EINVAL. */
int og_parse_bool(const char *s);

/* Format bytes as "1.5G", "512M", "4.0K" into buf. Returns buf. */
char *og_format_bytes(char *buf, size_t size, uint64_t bytes);

/*
 * The one escaper for names that come from the kernel or from users (comm, cmdline, cgroup
 * paths, unit and file names) on their way into a log line, a report or a terminal: control
 * characters (C0, DEL and the UTF-8 encoded C1 range, which holds CSI) become '?', so a comm
 * with a newline or a cgroup named "e\r\e[1mFORGED" can neither forge a line nor move the
 * cursor. Truncates to size - 1 bytes. dst may equal src (the output is never longer). NULL src
 * is "". Returns dst.
 */
char *og_escape(char *dst, size_t size, const char *src);

/* True if s starts with prefix. */
bool og_startswith(const char *s, const char *prefix);
