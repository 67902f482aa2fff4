/* SPDX-License-Identifier: MIT */
/*
 * json_read.h - a small recursive-descent JSON reader (RFC 8259).
 *
 * Lifecycle:  jr_parse() -> walk the tree (jr_get, jr_first/next, jr_*) -> jr_free()
 *
 * Strict: one value, optional surrounding whitespace, nothing after it; strings
 * must be valid UTF-8 with no raw control characters; \u escapes (surrogate
 * pairs included) are decoded to UTF-8.  Hostile input cannot exhaust the stack:
 * nesting deeper than JR_MAX_DEPTH is refused with -E2BIG before recursing, and
 * jr_free() recurses no deeper than the tree the parser built.
 *
 * Threading: no global state; a tree is owned by one thread at a time.
 * Context: any.  Locks: none.  May block: no (beyond malloc).
 */
#ifndef E1K_CLI_JSON_READ_H
#define E1K_CLI_JSON_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JR_MAX_DEPTH 64

enum jr_type { JR_NULL, JR_BOOL, JR_NUM, JR_STR, JR_ARR, JR_OBJ };

struct jr_node {
	enum jr_type type;
	char *key;             /* member name when the parent is an object, else NULL */
	size_t key_len;
	char *str;             /* JR_STR: decoded UTF-8; JR_NUM: the number's text */
	size_t str_len;        /* bytes in str (a decoded string may contain NUL) */
	bool b;                /* JR_BOOL */
	size_t n;              /* JR_ARR/JR_OBJ: number of children */
	struct jr_node *child; /* first child */
	struct jr_node *next;  /* next sibling */
};

/* Where parsing stopped and why (for messages). */
struct jr_error {
	size_t offset;
	const char *what;
};

/* Parse text[0..len) into a tree.  0 and *out on success; -EINVAL (syntax,
 * with err filled when err != NULL), -E2BIG (nested deeper than JR_MAX_DEPTH),
 * -ENOMEM.  *out is NULL on failure.  Never reads past len. */
int jr_parse(const char *text, size_t len, struct jr_node **out, struct jr_error *err);
/* Same, and -E2BIG ("too many values") past max_nodes values in all (0: no
 * limit): each value costs a node of ~80 bytes, so a 16 MiB "[0,0,...]"
 * would take ~700 MB (issue 17); a reader of a hostile peer bounds it. */
int jr_parse_max(const char *text, size_t len, size_t max_nodes, struct jr_node **out,
                 struct jr_error *err);
/* Same checks, no allocation: 0 if text[0..len) is one valid JSON value. */
int jr_validate(const char *text, size_t len);
/* Free a tree; NULL is fine. */
void jr_free(struct jr_node *root);

/* Member of an object by name (first match), or NULL (also when obj is not an object). */
const struct jr_node *jr_get(const struct jr_node *obj, const char *key);
/* Member of an array by index, or NULL. */
const struct jr_node *jr_at(const struct jr_node *arr, size_t i);
/* The string value, or NULL when n is not a string. */
const char *jr_string(const struct jr_node *n);
/* Numeric value if n is a number that fits exactly; false otherwise. */
bool jr_u64(const struct jr_node *n, uint64_t *v);
bool jr_i64(const struct jr_node *n, int64_t *v);
/* Shorthands: jr_string/jr_u64 of a member; NULL/false when absent or of another type. */
const char *jr_get_str(const struct jr_node *obj, const char *key);
bool jr_get_u64(const struct jr_node *obj, const char *key, uint64_t *v);

#endif
