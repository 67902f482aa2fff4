/* SPDX-License-Identifier: MIT */
/*
 * fuzz_json_read.c - jr_parse()/jr_validate() (cli/json_read.c), the reader
 * e1kctl runs on every response body the control socket returns.
 *
 * Checks, besides memory safety and bounded recursion (the input is an
 * exact-size heap copy; nesting is refused past JR_MAX_DEPTH):
 *  - jr_parse and jr_validate agree (same return code) unless memory ran out;
 *  - on failure: *out is NULL and the error offset is within the input;
 *  - on success, the tree is well formed: child counts match the lists, keys
 *    exactly on members of objects, strings NUL-terminated at str_len and
 *    valid UTF-8, numbers valid JSON numbers, depth <= JR_MAX_DEPTH;
 *  - the accessors agree with the tree (jr_get, jr_at, jr_u64/jr_i64 against
 *    the number's text);
 *  - writing the tree back with the JSON writer (json.h) and parsing that
 *    gives the same tree; jb_raw accepts exactly what jr_validate accepts;
 *  - e1kctl's renderers (cli/ctl_render.c: the table, the halt report) take
 *    any tree and never put a control character other than the newline on
 *    the terminal (ctl_render.h: "a response cannot drive the terminal").
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "ctl_render.h"
#include "fuzz.h"
#include "json.h"
#include "json_read.h"

/* UTF-8 check written from RFC 3629 (not shared with the reader). */
static bool utf8_ok(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		uint32_t cp, min;
		size_t n;

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			n = 2; cp = c & 0x1fu; min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 3; cp = c & 0x0fu; min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 4; cp = c & 0x07u; min = 0x10000;
		} else {
			return false;
		}
		if (len - i < n)
			return false;
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3fu);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n;
	}
	return true;
}

struct walk {
	unsigned max_depth;
	bool key_nul;           /* some key contains a NUL: the writer cannot take it */
};

static void check_node(const struct jr_node *n, unsigned depth, bool member, struct walk *w)
{
	size_t count = 0, i = 0;
	uint64_t u;
	int64_t s;
	char txt[32];

	FUZZ_CHECK(n->type <= JR_OBJ, "type %d", (int)n->type);
	FUZZ_CHECK(member == (n->key != NULL), "key on a non-member or member without key");
	if (n->key) {
		FUZZ_CHECK(n->key[n->key_len] == '\0', "key not terminated");
		FUZZ_CHECK(utf8_ok((const unsigned char *)n->key, n->key_len), "key not UTF-8");
		if (strlen(n->key) != n->key_len)
			w->key_nul = true;
	}
	if (depth > w->max_depth)
		w->max_depth = depth;
	switch (n->type) {
	case JR_STR:
		FUZZ_CHECK(n->str && n->str[n->str_len] == '\0', "string not terminated");
		FUZZ_CHECK(utf8_ok((const unsigned char *)n->str, n->str_len), "string not UTF-8");
		FUZZ_CHECK(jr_string(n) == n->str, "jr_string");
		break;
	case JR_NUM:
		FUZZ_CHECK(n->str && n->str_len == strlen(n->str), "number text");
		FUZZ_CHECK(jr_validate(n->str, n->str_len) == 0, "number '%s' is not valid", n->str);
		/* JSON has no leading zeros, so an exact integer prints back as its text. */
		if (jr_u64(n, &u)) {
			snprintf(txt, sizeof(txt), "%" PRIu64, u);
			FUZZ_CHECK(strcmp(txt, n->str) == 0, "jr_u64 %s -> %s", n->str, txt);
		}
		if (jr_i64(n, &s)) {
			snprintf(txt, sizeof(txt), "%" PRId64, s);
			FUZZ_CHECK(strcmp(txt, n->str) == 0 || (s == 0 && strcmp(n->str, "-0") == 0),
			           "jr_i64 %s -> %s", n->str, txt);
		}
		break;
	case JR_ARR:
	case JR_OBJ:
		FUZZ_CHECK(depth <= JR_MAX_DEPTH, "depth %u", depth);
		for (const struct jr_node *c = n->child; c; c = c->next) {
			check_node(c, depth + 1, n->type == JR_OBJ, w);
			FUZZ_CHECK(jr_at(n, i) == (n->type == JR_ARR ? c : NULL), "jr_at(%zu)", i);
			if (n->type == JR_OBJ && strlen(c->key) == c->key_len) {
				const struct jr_node *g = jr_get(n, c->key);

				FUZZ_CHECK(g && g->key_len == c->key_len &&
				           memcmp(g->key, c->key, c->key_len) == 0, "jr_get");
			}
			count++;
			i++;
		}
		FUZZ_CHECK(count == n->n, "n %zu, children %zu", n->n, count);
		FUZZ_CHECK(jr_at(n, count) == NULL, "jr_at past the end");
		break;
	default:
		FUZZ_CHECK(n->child == NULL && n->str == NULL, "scalar with payload");
		break;
	}
	if (n->type != JR_OBJ)
		FUZZ_CHECK(jr_get(n, "") == NULL, "jr_get on a non-object");
}

static void render(const struct jr_node *root, bool halt)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	int rc;

	FUZZ_CHECK(f != NULL, "open_memstream");
	rc = halt ? ctl_render_halt(f, root) : ctl_render_table(f, root);
	FUZZ_CHECK(fclose(f) == 0, "fclose");
	FUZZ_CHECK(rc == 0 || rc == -ENOMEM, "render %s: %d", halt ? "halt" : "table", rc);
	for (size_t i = 0; i < len; i++)
		FUZZ_CHECK(out[i] == '\n' || ((unsigned char)out[i] >= 0x20 && out[i] != 0x7f),
		           "render %s: byte %#x at %zu", halt ? "halt" : "table",
		           (unsigned char)out[i], i);
	free(out);
}

static void write_node(struct jbuf *b, const struct jr_node *n)
{
	switch (n->type) {
	case JR_NULL: jb_null(b, n->key); break;
	case JR_BOOL: jb_bool(b, n->key, n->b); break;
	case JR_NUM:  jb_raw(b, n->key, n->str); break;
	case JR_STR:  jb_strn(b, n->key, n->str, n->str_len); break;
	case JR_ARR:
	case JR_OBJ:
		if (n->type == JR_OBJ)
			jb_obj_begin(b, n->key);
		else
			jb_arr_begin(b, n->key);
		for (const struct jr_node *c = n->child; c; c = c->next)
			write_node(b, c);
		if (n->type == JR_OBJ)
			jb_obj_end(b);
		else
			jb_arr_end(b);
		break;
	}
}

static void same_tree(const struct jr_node *a, const struct jr_node *b)
{
	for (; a || b; a = a->next, b = b->next) {
		FUZZ_CHECK(a && b, "sibling count differs");
		FUZZ_CHECK(a->type == b->type && a->n == b->n && a->b == b->b, "node differs");
		FUZZ_CHECK((a->key == NULL) == (b->key == NULL) && a->key_len == b->key_len &&
		           (!a->key || memcmp(a->key, b->key, a->key_len) == 0), "key differs");
		FUZZ_CHECK((a->str == NULL) == (b->str == NULL) && a->str_len == b->str_len &&
		           (!a->str || memcmp(a->str, b->str, a->str_len) == 0), "value differs");
		same_tree(a->child, b->child);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct jr_node *root = (struct jr_node *)1, *again = NULL;
	struct jr_error err = { 0 };
	struct walk w = { 0 };
	int rp, rv;

	rp = jr_parse(text, size, &root, &err);
	rv = jr_validate(text, size);
	if (rp == -ENOMEM)
		return 0;
	FUZZ_CHECK(rp == rv, "jr_parse %d, jr_validate %d", rp, rv);
	if (rp < 0) {
		FUZZ_CHECK(rp == -EINVAL || rp == -E2BIG, "rc %d", rp);
		FUZZ_CHECK(root == NULL, "*out set on failure");
		FUZZ_CHECK(err.what && err.offset <= size, "error '%s' at %zu of %zu",
		           err.what ? err.what : "(none)", err.offset, size);
	} else {
		FUZZ_CHECK(root && root->next == NULL, "root");
		check_node(root, 0, false, &w);
		render(root, false);
		render(root, true);

		/* The writer nests at most JB_MAX_DEPTH - 1 containers and takes
		 * keys as C strings. */
		if (w.max_depth < JB_MAX_DEPTH - 1 && !w.key_nul) {
			struct jbuf b;

			jb_init(&b);
			write_node(&b, root);
			FUZZ_CHECK(jb_finish(&b) == 0, "writer: %d", b.err);
			FUZZ_CHECK(jr_parse(b.data, b.len, &again, NULL) == 0, "rewritten text does not parse");
			same_tree(root, again);
			jr_free(again);
			jb_free(&b);
		}
	}
	jr_free(root);

	/* jb_raw takes a C string: it must accept exactly the valid values. */
	if (size < 4096 && !memchr(data, '\0', size)) {
		char *s = malloc(size + 1);
		struct jbuf b;

		if (!s)
			return 0;
		memcpy(s, data, size);
		s[size] = '\0';
		jb_init(&b);
		jb_raw(&b, NULL, s);
		FUZZ_CHECK((jb_finish(&b) == 0) == (rv == 0), "jb_raw %d, jr_validate %d", b.err, rv);
		jb_free(&b);
		free(s);
	}
	return 0;
}
