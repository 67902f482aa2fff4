/* SPDX-License-Identifier: MIT */
/*
 * json.h - an append-only JSON writer into a growable buffer.
 *
 * Lifecycle:  jb_init()  ->  jb_obj_begin()/jb_str()/... /jb_obj_end()
 *             ->  [read b->data, b->len; check jb_finish()]  ->  jb_reset() to reuse
 *             ->  jb_free()
 *
 * The writer never fails silently: the first error (-ENOMEM when the buffer
 * cannot grow, -EINVAL on misuse: a missing key inside an object, an unbalanced
 * end, nesting deeper than JB_MAX_DEPTH, a second top-level value, jb_raw()
 * text that is not one valid JSON value) is stored in b->err and sticks; every
 * later call is then a no-op.  Check b->err (or jb_finish()) once at the end
 * instead of after every call.  b->data is always NUL-terminated once anything
 * has been written, and never contains a raw newline: the control protocol
 * relies on that (one response per line).
 *
 * Keys: inside an object every value needs a non-NULL key; inside an array and
 * at the top level the key must be NULL (a key there is -EINVAL).
 *
 * Threading: a jbuf is a plain value owned by one thread at a time; the
 * functions keep no global state and may be called from any context.
 * None of them blocks (beyond malloc).
 */
#ifndef E1K_CLI_JSON_H
#define E1K_CLI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JB_MAX_DEPTH 32

struct jbuf {
	char *data;
	size_t len, cap;
	int err;                        /* first error, sticky: -ENOMEM or -EINVAL */
	int depth;                      /* open containers */
	bool need_comma[JB_MAX_DEPTH];  /* [0]: a top-level value was written */
	uint32_t is_obj;                /* bit d-1 set: the container at depth d is an object */
};

/* Context: any.  Locks: none.  May block: no (jb_init/jb_free/jb_reset). */
void jb_init(struct jbuf *b);
/* Frees the buffer and re-initialises; NULL and a zeroed jbuf are fine, twice is fine. */
void jb_free(struct jbuf *b);
/* Forget the content and any error, keep the allocation. */
void jb_reset(struct jbuf *b);

void jb_obj_begin(struct jbuf *b, const char *key /* NULL inside arrays/top */);
void jb_obj_end(struct jbuf *b);
void jb_arr_begin(struct jbuf *b, const char *key);
void jb_arr_end(struct jbuf *b);
/* Escapes per RFC 8259 (quote, backslash, every control character); valid
 * UTF-8 passes through byte for byte, an invalid byte becomes U+FFFD.  NULL val -> null. */
void jb_str(struct jbuf *b, const char *key, const char *val);
/* Same for a counted string (may contain NUL, written as \u0000). */
void jb_strn(struct jbuf *b, const char *key, const char *val, size_t len);
void jb_u64(struct jbuf *b, const char *key, uint64_t v);
void jb_i64(struct jbuf *b, const char *key, int64_t v);
void jb_bool(struct jbuf *b, const char *key, bool v);
void jb_null(struct jbuf *b, const char *key);
/* json must be exactly one valid JSON value (checked; else -EINVAL).  Whitespace
 * in it, newlines included, is copied as single spaces. */
void jb_raw(struct jbuf *b, const char *key, const char *json);
/* printf-formatted string value (escaped like jb_str). */
void jb_strf(struct jbuf *b, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Append n bytes verbatim, outside the JSON structure (framing such as the
 * "OK " of a protocol line); keeps the NUL terminator and the sticky error. */
void jb_append(struct jbuf *b, const char *s, size_t n);

/* 0 when b holds one complete JSON value; b->err if set; -EINVAL if a container
 * is still open or nothing was written. */
int jb_finish(const struct jbuf *b);

#endif
