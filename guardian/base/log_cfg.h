/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging configuration diagnostics (main.c at start, the loop on SIGHUP). A header of its own,
 * inline, so that log.c (linked alone into the fuzz targets) needs nothing of policy/config.
 */
#pragma once

#include "guardian/base/log.h"
#include "policy/config/cfg.h"

/* Log every diagnostic: errors at LOG_ERR, warnings at LOG_WARNING, each as
 * "path:line: Key: reason" (the level names the severity once, not "warning: ...: warning:"). */
static inline void log_cfg_diag(const struct cfg_diag *d)
{
	char line[POL_PATH_MAX + CFG_KEY_MAX + CFG_MSG_MAX + 32];

	for (size_t i = 0; i < d->n; i++)
		log_internal(d->entries[i].severity == CFG_SEV_ERROR ? LOG_ERR : LOG_WARNING, 0,
			     NULL, "%s", cfg_diag_format_bare(&d->entries[i], line, sizeof(line)));
	if (d->ndropped)
		log_error("%u more configuration diagnostics lost: out of memory", d->ndropped);
}
