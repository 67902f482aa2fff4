/* SPDX-License-Identifier: MIT */
/*
 * cli_json_read: the reader on valid, invalid and hostile input.  Every input
 * is copied into an exact-size heap buffer with no terminator, so ASan catches
 * any read past len.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_read.h"
#include "testlib.h"

static char *exact(const char *s, size_t len)
{
	char *p = malloc(len ? len : 1);

	if (p && len)
		memcpy(p, s, len);
	return p;
}

static int parse_n(const char *s, size_t len, struct jr_node **out, struct jr_error *err)
{
	char *p = exact(s, len);
	int rc, rv;

	if (!p)
		return -ENOMEM;
	rc = jr_parse(p, len, out, err);
	rv = jr_validate(p, len);
	/* The validator and the parser agree on every input. */
	if ((rc == 0) != (rv == 0) || (rc != -ENOMEM && rc != rv))
		tl_fail(__FILE__, __LINE__, "parse %d vs validate %d on \"%.*s\"", rc, rv,
		        (int)(len > 60 ? 60 : len), s);
	free(p);
	return rc;
}

static int parse(const char *s, struct jr_node **out)
{
	return parse_n(s, strlen(s), out, NULL);
}

static void test_valid(void)
{
	struct jr_node *n = NULL;
	const struct jr_node *c;
	uint64_t u;
	int64_t i;

	REQUIRE(parse(" { \"a\" : [1, -2, 3.5e-1, true, false, null, \"x\"], \"b\": {\"c\": {}}, "
	              "\"\": 0 } \n", &n) == 0);
	CHECK_EQ(n->type, JR_OBJ);
	CHECK_EQ(n->n, 3);
	c = jr_get(n, "a");
	REQUIRE(c && c->type == JR_ARR && c->n == 7);
	CHECK(jr_u64(jr_at(c, 0), &u) && u == 1);
	CHECK(!jr_u64(jr_at(c, 1), &u));
	CHECK(jr_i64(jr_at(c, 1), &i) && i == -2);
	CHECK(!jr_i64(jr_at(c, 2), &i));             /* not an integer */
	CHECK(!strcmp(jr_at(c, 2)->str, "3.5e-1"));  /* number text kept verbatim */
	CHECK(jr_at(c, 3)->type == JR_BOOL && jr_at(c, 3)->b);
	CHECK(jr_at(c, 4)->type == JR_BOOL && !jr_at(c, 4)->b);
	CHECK(jr_at(c, 5)->type == JR_NULL);
	CHECK(!strcmp(jr_string(jr_at(c, 6)), "x"));
	CHECK(jr_at(c, 7) == NULL);
	CHECK(jr_get(jr_get(jr_get(n, "b"), "c"), "d") == NULL);
	CHECK(jr_get(n, "") != NULL);
	CHECK(jr_get(n, "zz") == NULL);
	CHECK(jr_get(c, "a") == NULL);               /* not an object */
	jr_free(n);

	/* scalars at the top */
	REQUIRE(parse("-0", &n) == 0);
	CHECK(n->type == JR_NUM && jr_i64(n, &i) && i == 0);
	jr_free(n);
	REQUIRE(parse("\"\"", &n) == 0);
	CHECK(n->type == JR_STR && n->str_len == 0);
	jr_free(n);

	/* integer limits */
	REQUIRE(parse("[18446744073709551615, 18446744073709551616, -9223372036854775808, "
	              "-9223372036854775809, 9223372036854775807, 1E2]", &n) == 0);
	CHECK(jr_u64(jr_at(n, 0), &u) && u == UINT64_MAX);
	CHECK(!jr_u64(jr_at(n, 1), &u));
	CHECK(jr_i64(jr_at(n, 2), &i) && i == INT64_MIN);
	CHECK(!jr_i64(jr_at(n, 3), &i));
	CHECK(jr_i64(jr_at(n, 4), &i) && i == INT64_MAX);
	CHECK(!jr_u64(jr_at(n, 5), &u));
	jr_free(n);
	jr_free(NULL);
}

static void test_strings(void)
{
	struct jr_node *n = NULL;

	REQUIRE(parse("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u00e9 \\u20AC \\ud834\\udd1e \\u0000!\"", &n) == 0);
	REQUIRE(n->type == JR_STR);
	{
		static const char want[] = "q\" b\\ s/ \b\f\n\r\t \xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e \0!";

		CHECK_EQ(n->str_len, sizeof(want) - 1);
		CHECK(!memcmp(n->str, want, sizeof(want) - 1));
	}
	jr_free(n);

	/* raw UTF-8 passes */
	REQUIRE(parse("\"h\xc3\xa9llo \xf0\x9f\x98\x80\"", &n) == 0);
	CHECK(!strcmp(n->str, "h\xc3\xa9llo \xf0\x9f\x98\x80"));
	jr_free(n);

	/* keys are decoded too */
	REQUIRE(parse("{\"k\\u0041\": 1}", &n) == 0);
	CHECK(jr_get(n, "kA") != NULL);
	jr_free(n);
}

static void test_invalid(void)
{
	static const char *const bad[] = {
		"", " ", "{", "}", "[", "[1,]", "[,1]", "[1 2]", "{\"a\"}", "{\"a\":}", "{\"a\":1,}",
		"{a:1}", "{'a':1}", "{\"a\" 1}", "{1:2}", "01", "1.", ".5", "-", "+1", "1e", "1e+",
		"0x10", "tru", "truex", "nul", "NaN", "Infinity", "\"abc", "\"\\x\"", "\"\\u12\"",
		"\"\\u12G4\"", "\"\\ud800\"", "\"\\ud800x\"", "\"\\ud800\\u0041\"", "\"\\udc00\"",
		"\"tab\there\"", "\"nl\nhere\"", "[1] x", "{} {}", "\xff", "\"\xc0\xaf\"",
		"\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xe2\x82\"", "\"\x80\"", "[\"a\"\"b\"]",
		"\"\\",
	};

	for (size_t k = 0; k < TL_N(bad); k++) {
		struct jr_node *n = (struct jr_node *)1;
		struct jr_error err = { 0 };
		int rc = parse_n(bad[k], strlen(bad[k]), &n, &err);

		if (rc != -EINVAL)
			tl_fail(__FILE__, __LINE__, "\"%s\" gave %d, want -EINVAL", bad[k], rc);
		CHECK(n == NULL);
		CHECK(err.what != NULL);
		CHECK(err.offset <= strlen(bad[k]));
	}

	/* An embedded NUL is just an invalid byte outside strings, a control char inside. */
	{
		struct jr_node *n = NULL;

		CHECK_EQ(parse_n("[1]\0", 4, &n, NULL), -EINVAL);
		CHECK_EQ(parse_n("\"a\0b\"", 5, &n, NULL), -EINVAL);
	}

	/* len bounds the input: a valid prefix parses, the rest is never looked at. */
	{
		struct jr_node *n = NULL;

		CHECK_EQ(parse_n("[1,2]garbage", 5, &n, NULL), 0);
		CHECK(n && n->n == 2);
		jr_free(n);
		CHECK_EQ(parse_n("[1,2]", 4, &n, NULL), -EINVAL);
		CHECK_EQ(parse_n("\"\\u00e9\"", 6, &n, NULL), -EINVAL);
		CHECK_EQ(parse_n("\"\\ud834\\udd1e\"", 12, &n, NULL), -EINVAL);
		CHECK_EQ(parse_n("\"\xf0\x9d\x84\x9e\"", 4, &n, NULL), -EINVAL);
		CHECK_EQ(parse_n("truefalse", 3, &n, NULL), -EINVAL);
	}
	CHECK_EQ(jr_validate(NULL, 0), -EINVAL);
}

static char *nest(size_t depth, char open, char close, const char *inner)
{
	size_t il = strlen(inner);
	char *s = malloc(2 * depth + il + 1);

	if (!s)
		return NULL;
	memset(s, open, depth);
	memcpy(s + depth, inner, il);
	memset(s + depth + il, close, depth);
	s[2 * depth + il] = '\0';
	return s;
}

static void test_depth(void)
{
	struct jr_node *n = NULL;
	char *s;

	s = nest(JR_MAX_DEPTH, '[', ']', "1");
	REQUIRE(s);
	CHECK_EQ(parse(s, &n), 0);
	jr_free(n);
	free(s);

	s = nest(JR_MAX_DEPTH + 1, '[', ']', "1");
	REQUIRE(s);
	CHECK_EQ(parse(s, &n), -E2BIG);
	CHECK(n == NULL);
	free(s);

	/* Objects count the same way. */
	{
		size_t d = JR_MAX_DEPTH + 1, pos = 0;
		char *o = malloc(d * 6 + 2 + d + 1);

		REQUIRE(o);
		for (size_t i = 0; i < d; i++) {
			memcpy(o + pos, "{\"k\": ", 6);
			pos += 6;
		}
		o[pos++] = '1';
		memset(o + pos, '}', d);
		pos += d;
		CHECK_EQ(parse_n(o, pos, &n, NULL), -E2BIG);
		CHECK_EQ(parse_n(o + 6, pos - 7, &n, NULL), 0);
		jr_free(n);
		free(o);
	}

	/* Hostile: a million opening brackets, nothing else.  Refused at depth
	 * JR_MAX_DEPTH + 1 without walking (or recursing into) the rest. */
	{
		size_t big = 1000000;
		char *h = malloc(big);
		uint64_t t0 = tl_now_ns();

		REQUIRE(h);
		memset(h, '[', big);
		CHECK_EQ(jr_parse(h, big, &n, NULL), -E2BIG);
		CHECK_EQ(jr_validate(h, big), -E2BIG);
		memset(h, '{', big);
		CHECK_EQ(jr_validate(h, big), -EINVAL);   /* '{' then '{' is not a member name */
		CHECK(tl_now_ns() - t0 < 2000000000ull);
		free(h);
	}
}

static void test_many_members(void)
{
	/* A long flat document: no recursion in width. */
	unsigned long n = tl_scaled(100000, 10000);
	size_t cap = n * 2 + 3, pos = 0;
	char *s = malloc(cap);
	struct jr_node *root = NULL;

	REQUIRE(s);
	s[pos++] = '[';
	for (unsigned long i = 0; i < n; i++) {
		s[pos++] = '0';
		s[pos++] = i + 1 < n ? ',' : ']';
	}
	CHECK_EQ(jr_parse(s, pos, &root, NULL), 0);
	CHECK(root && root->n == n);
	jr_free(root);
	free(s);
}

/* jr_parse_max: every value counts, containers included (issue 17). */
static void test_max_nodes(void)
{
	struct jr_node *root = NULL;
	struct jr_error err;

	CHECK_EQ(jr_parse_max("[1,2,3]", 7, 4, &root, &err), 0);
	CHECK(root && root->n == 3);
	jr_free(root);
	CHECK_EQ(jr_parse_max("[1,2,3]", 7, 3, &root, &err), -E2BIG);
	CHECK(root == NULL);
	CHECK(err.what && !strcmp(err.what, "too many values"));
	CHECK_EQ(jr_parse_max("{\"a\":{\"b\":1}}", 13, 2, &root, &err), -E2BIG);
	CHECK_EQ(jr_parse_max("{\"a\":{\"b\":1}}", 13, 0, &root, &err), 0);
	jr_free(root);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_valid),
		TL_CASE(test_strings),
		TL_CASE(test_invalid),
		TL_CASE(test_depth),
		TL_CASE(test_many_members),
		TL_CASE(test_max_nodes),
	};

	return tl_run(cases, TL_N(cases));
}
