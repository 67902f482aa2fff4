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
 * Register dump, EEPROM dump, self-test (e1kctl dump regs|eeprom, selftest):
 * one line per register (name, offset, value, decoded bits), the EEPROM
 * words eight to a line with the checksum verdict, one line per test
 * (name, result, time, detail) and the overall verdict.  A response
 * without the expected members is shown as a table instead.
 *
 * Bounds (a hostile peer's response; issue 17): at most max_rows rows per
 * table (then one "(cut: more than N rows)" line), each key path at most
 * max_key bytes (cut with "..."), and the walk stops with -ETIMEDOUT once
 * deadline_ns (e1k_now_ns(); 0 = none) has passed.  The tree's size is the
 * reader's to bound (jr_parse_max).
 *
 * Context: any.  Locks: none.  May block: on the FILE only.
 */
#ifndef E1K_CLI_CTL_RENDER_H
#define E1K_CLI_CTL_RENDER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "json_read.h"

#define CTL_RENDER_MAX_ROWS 10000
#define CTL_RENDER_MAX_KEY 256

struct ctl_render_limits {
	size_t max_rows;       /* > 0 */
	size_t max_key;        /* >= 4 */
	uint64_t deadline_ns;  /* 0: none */
};

/* 0, -ENOMEM, or -ETIMEDOUT (past lim->deadline_ns).  lim NULL: the
 * CTL_RENDER_* limits, no deadline. */
int ctl_render_table(FILE *f, const struct jr_node *root);
int ctl_render_halt(FILE *f, const struct jr_node *report);
int ctl_render_table_lim(FILE *f, const struct jr_node *root, const struct ctl_render_limits *lim);
int ctl_render_halt_lim(FILE *f, const struct jr_node *report, const struct ctl_render_limits *lim);
int ctl_render_regs(FILE *f, const struct jr_node *root, const struct ctl_render_limits *lim);
int ctl_render_eeprom(FILE *f, const struct jr_node *root, const struct ctl_render_limits *lim);
int ctl_render_selftest(FILE *f, const struct jr_node *root, const struct ctl_render_limits *lim);

#endif
