/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Scope-bound cleanup, in the systemd style: `_cleanup_free_ char *p = NULL;`. */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void og_freep(void *p)
{
	free(*(void **)p);
}

static inline void og_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static inline void og_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_free_ _cleanup_(og_freep)
#define _cleanup_close_ _cleanup_(og_closep)
#define _cleanup_fclose_ _cleanup_(og_fclosep)

#define OG_ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* Hand over ownership: `return OG_TAKE_PTR(p);` */
#define OG_TAKE_PTR(p)                                                                            \
	({                                                                                        \
		__typeof__(p) _p_ = (p);                                                          \
		(p) = NULL;                                                                       \
		_p_;                                                                              \
	})
#define OG_TAKE_FD(fd)                                                                            \
	({                                                                                        \
		int _fd_ = (fd);                                                                  \
		(fd) = -1;                                                                        \
		_fd_;                                                                             \
	})
