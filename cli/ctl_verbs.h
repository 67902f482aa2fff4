/* SPDX-License-Identifier: MIT */
/*
 * ctl_verbs.h - the control verbs, once: what e1kd answers and e1kctl sends.
 *
 * One row per command form ("filter add", "filter del" and "filter list" are
 * three forms of the verb FILTER): its wire verb and keyword, its arguments
 * on the wire and on e1kctl's command line with their counts, its help line
 * and flags.  e1kd looks a request up here (ctl_verb_match) and checks its
 * argument count before calling the one handler it registered for the verb;
 * e1kctl builds its help, its command matching and its argument-count checks
 * from the same rows.  A verb added here without an e1kd handler or an e1kctl
 * request builder fails cli_verbs (tests/cli/test_verbs.c).
 *
 * Read-only data and pure functions: Context any, Locks none, May block no.
 */
#ifndef E1K_CLI_CTL_VERBS_H
#define E1K_CLI_CTL_VERBS_H

#include <stdbool.h>
#include <stddef.h>

#include "ctl_proto.h"

enum ctl_verb_id {
	CTL_VERB_STATUS,
	CTL_VERB_STATS,
	CTL_VERB_PAUSE,
	CTL_VERB_RESTART,
	CTL_VERB_SHUTDOWN,
	CTL_VERB_HALT,
	CTL_VERB_FILTER,
	CTL_VERB_MCAST,
	CTL_VERB_PROMISC,
	CTL_VERB_MTU,
	CTL_VERB_FAULT,
	CTL_VERB_DUMP,
	CTL_VERB_SELFTEST,
	CTL_VERB_CAPTURE,
	CTL_VERB_COUNT
};

/* Answered after the halt too (HALT: the halt's report); every other verb
 * then gets ESHUTDOWN. */
#define CTL_VERB_WHILE_HALTED 0x1u
/* Touches the device itself, which a halt closes: e1kd runs the handler
 * under its halt lock. */
#define CTL_VERB_NEEDS_DEVICE 0x2u

struct ctl_verb {
	enum ctl_verb_id id;     /* the e1kd handler and e1kctl builder; the rows of one id are adjacent */
	const char *wire;        /* request verb: "FILTER" */
	const char *sub;         /* keyword that is the first wire argument, or NULL: "ADD" */
	const char *wire_args;   /* wire arguments after the keyword: "MAC" ("" for none) */
	int wire_min, wire_max;  /* wire argument count, the keyword included */
	const char *cli;         /* e1kctl spelling: "filter add" (a keyword form has two words) */
	const char *cli_args;    /* e1kctl arguments after the spelling: "MAC", "--reason R" */
	int cli_min, cli_max;    /* e1kctl words after the spelling (options not counted) */
	const char *help;        /* one line for e1kctl --help */
	const char *more;        /* further help lines ('\n'-separated), or NULL */
	unsigned flags;          /* CTL_VERB_* */
};

extern const struct ctl_verb ctl_verbs[];
extern const size_t ctl_nverbs;

/* The first row of the wire verb (any case), or NULL: an unknown request. */
const struct ctl_verb *ctl_verb_by_wire(const char *verb);
/* The first row of id (never NULL for id < CTL_VERB_COUNT). */
const struct ctl_verb *ctl_verb_first(enum ctl_verb_id id);
/* The row a parsed request is: its verb, its keyword (first argument, any
 * case) and an argument count in range; NULL if none fits. */
const struct ctl_verb *ctl_verb_match(const struct ctl_request *req);

/* e1kctl's words: the row whose spelling starts words (any case), or NULL.
 * *cmd gets the first row whose spelling starts with words[0] (NULL: not a
 * command at all), *nspell the number of words the spelling took (1 or 2). */
const struct ctl_verb *ctl_verb_match_cli(int nwords, char *const *words,
                                          const struct ctl_verb **cmd, int *nspell);

/* Usage of every form of id in one line, forms that differ only in their
 * keyword folded: cli "filter add|del MAC | filter list", wire
 * "FILTER ADD|DEL MAC | FILTER LIST".  Returns snprintf's result. */
int ctl_verb_usage(enum ctl_verb_id id, bool cli, char *buf, size_t len);

#endif
