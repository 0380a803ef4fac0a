/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The --json form of policy/explain/explain.h, format 1 (documented in oomguardianctl(8)):
 * {"format": 1, "reports": [...]}. Pure (json-c only); compiled into the guardian library
 * because the pure policy library does not link json-c.
 */
#pragma once

#include <json-c/json.h>

#include "policy/explain/explain.h"

/* The whole document; NULL on out of memory. Free with json_object_put(). */
struct json_object *explain_result_json(const struct explain_result *res);

/* One report object (as in "reports"); NULL on out of memory. */
struct json_object *explain_report_json(const struct explain_report *r);
