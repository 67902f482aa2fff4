/* SPDX-License-Identifier: MIT */
/*
 * ctl_render.h - human-readable rendering of control responses (e1kctl without --json).
 *
 * Table: any JSON object flattened to two columns, key and value.  Nested
 * object keys are joined with '.', an array of scalars is one comma-separated
 * value, an array of objects is one indented row per element ("  key[i]" and
 * its members as k=v pairs).  Strings are printed with control characters
 * replaced by '?', so a response cannot drive the terminal.
 *
 * Halt report (halt/halt.h; JSON from cli/halt_report_json.c): a header (reason in
 * both spellings, from_state -> final_state, total time), the stage table
 * (name, result, duration ms = (end_ns - start_ns) / 1e6, detail), the verifier
 * counters, the ledger totals; any other field is appended as table rows, so
 * nothing the driver reports is hidden.
 *
 * Context: any.  Locks: none.  May block: on the FILE only.
 */
#ifndef E1K_CLI_CTL_RENDER_H
#define E1K_CLI_CTL_RENDER_H

#include <stdio.h>

#include "json_read.h"

/* 0, or -ENOMEM. */
int ctl_render_table(FILE *f, const struct jr_node *root);
int ctl_render_halt(FILE *f, const struct jr_node *report);

#endif
