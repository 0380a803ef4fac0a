/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the libFuzzer targets of the *_parse_buf() readers. */
#pragma once

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The fuzzer's bytes as a NUL-terminated string (what the readers parse); free() it. NULL if out
 * of memory. */
static inline char *og_fuzz_cstr(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);

	if (!buf)
		return NULL;
	memcpy(buf, data, size);
	buf[size] = '\0';
	return buf;
}
