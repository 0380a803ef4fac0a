/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Whole-file reads of the kernel tables whose size grows with the machine (/proc/slabinfo,
 * /proc/zoneinfo, /proc/buddyinfo): one call returns the complete NUL-terminated text, never a
 * truncated prefix. Not reentrant: the guardian reads its sources from one thread.
 */
#pragma once

#include <sys/types.h>

#include "guardian/base/root.h"

/*
 * Read dirfd/path completely. *ret_buf points into a module-owned buffer that stays valid until
 * the next src_read_large() call. Returns the length, -EFBIG if the file exceeds the largest
 * buffer (16 MiB), -ENOMEM if that buffer cannot be allocated, or -errno from og_read_at().
 * With root, through og_root_read() (its kept files); NULL: og_read_at().
 */
ssize_t src_read_large(const struct og_root *root, int dirfd, const char *path,
		       const char **ret_buf);
