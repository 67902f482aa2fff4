/* SPDX-License-Identifier: MIT */
/*
 * halt_report_json.h - the halt report (halt/halt.h) as the JSON document
 * e1kd prints, `e1kctl halt --json` shows and `e1kd --report` writes.
 * Context any; no locks; does not block.
 */
#ifndef E1K_HALT_REPORT_JSON_H
#define E1K_HALT_REPORT_JSON_H

#include "halt.h"
#include "json.h"

/* The report as one JSON object. */
void e1k_halt_report_json(const struct e1k_halt_report *rep, struct jbuf *out);

#endif /* E1K_HALT_REPORT_JSON_H */
