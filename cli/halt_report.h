/* SPDX-License-Identifier: MIT */
/*
 * halt_report.h - reading back and checking a halt report (the JSON document
 * e1k_halt_report_json writes, halt_report_json.h), and looking up values in
 * any JSON document by a dotted key.  Used by `e1kctl report` and the tests,
 * so there is one checker of the halt contract instead of one per test
 * language.
 *
 *   struct e1k_report_problems p = { 0 };
 *   e1k_halt_report_check(doc, E1K_HALT_STOPPED, &p);   -> p.n problems, p.line[]
 *
 * "Clean" is what e1k_halt_report_clean() says, plus: the expected reason,
 * all the stages of stages.h present in order (no unknown ones), each stage
 * starting after the previous one ended, final_state Halted, the ledger's
 * acquired and released equal.  Each problem is one readable line naming
 * the field ("stage free-dma: timeout: ...", "dma_faults = 3").
 *
 * Threading: no global state.  Context: any.  Locks: none.  May block: no.
 */
#ifndef E1K_CLI_HALT_REPORT_H
#define E1K_CLI_HALT_REPORT_H

#include <stdbool.h>

#include "halt.h"
#include "json_read.h"

#define E1K_REPORT_MAX_PROBLEMS 48
#define E1K_REPORT_LINE 256

struct e1k_report_problems {
	unsigned n;        /* problems found; lines beyond the array are counted, not kept */
	char line[E1K_REPORT_MAX_PROBLEMS][E1K_REPORT_LINE];
};

/* Any value for want_reason that is not a reason: do not check the reason. */
#define E1K_REPORT_ANY_REASON (-1)

/* Fill *rep from a halt report document.  Every field that is missing, of
 * the wrong type, or names something unknown (a stage, result, state, reason
 * or ledger kind) is a problem in *p; the field is then left zeroed.  Stages
 * are matched by name, so rep->stages[i] is stage i whatever the document's
 * order.  Returns the number of problems this call added. */
unsigned e1k_halt_report_read(const struct jr_node *doc, struct e1k_halt_report *rep,
                              struct e1k_report_problems *p);

/* Read the document and check it (see above).  want_reason is an enum
 * e1k_halt_reason or E1K_REPORT_ANY_REASON.  Returns p->n: 0 when clean. */
unsigned e1k_halt_report_check(const struct jr_node *doc, int want_reason,
                               struct e1k_report_problems *p);

/* The value at a dotted key: "rx.packets", "ledger.outstanding",
 * "stages.free-dma.result" (an array member is selected by index, "stages.3",
 * or as the first object in it whose "name" is that string).  NULL when
 * absent.  Keys with dots in them cannot be reached. */
const struct jr_node *e1k_json_lookup(const struct jr_node *doc, const char *key);

#endif /* E1K_CLI_HALT_REPORT_H */
