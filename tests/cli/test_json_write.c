/* SPDX-License-Identifier: MIT */
/* cli_json_write: the JSON writer's escaping, nesting, misuse errors and round trip. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "json_read.h"
#include "testlib.h"

#define CHECK_STR(a, b) do { \
	const char *_a = (a), *_b = (b); \
	if (!_a || strcmp(_a, _b)) tl_fail(__FILE__, __LINE__, "%s: \"%s\" != \"%s\"", #a, _a ? _a : "(null)", _b); \
} while (0)

static void test_escape_controls_and_quotes(void)
{
	struct jbuf b;

	jb_init(&b);
	jb_str(&b, NULL, "a\"b\\c/\n\r\t\b\f\x01\x1f\x7f");
	CHECK_OK(jb_finish(&b));
	CHECK_STR(b.data, "\"a\\\"b\\\\c/\\n\\r\\t\\b\\f\\u0001\\u001f\x7f\"");
	CHECK(!memchr(b.data, '\n', b.len));
	jb_free(&b);

	/* Every control character is escaped, none survives raw. */
	jb_init(&b);
	{
		char all[32];

		for (int i = 1; i < 32; i++)
			all[i - 1] = (char)i;
		all[31] = '\0';
		jb_str(&b, NULL, all);
	}
	CHECK_OK(jb_finish(&b));
	for (size_t i = 0; i < b.len; i++)
		CHECK((unsigned char)b.data[i] >= 0x20);
	jb_free(&b);

	/* Counted strings carry NUL as \u0000. */
	jb_init(&b);
	jb_strn(&b, NULL, "a\0b", 3);
	CHECK_STR(b.data, "\"a\\u0000b\"");
	jb_free(&b);
}

static void test_utf8(void)
{
	/* é (2 bytes), € (3), U+1D11E (4): byte-exact passthrough. */
	const char *u = "h\xc3\xa9llo \xe2\x82\xac \xf0\x9d\x84\x9e";
	struct jbuf b;
	struct jr_node *n = NULL;

	jb_init(&b);
	jb_str(&b, NULL, u);
	CHECK_OK(jb_finish(&b));
	CHECK(b.len == strlen(u) + 2);
	CHECK(!memcmp(b.data + 1, u, strlen(u)));
	CHECK_OK(jr_parse(b.data, b.len, &n, NULL));
	CHECK_STR(jr_string(n), u);
	jr_free(n);
	jb_free(&b);

	/* Invalid bytes become U+FFFD, so the output is always valid JSON. */
	jb_init(&b);
	jb_str(&b, NULL, "a\xff" "b\xe2\x82" "c\xc0\xaf" "d\xed\xa0\x80");
	CHECK_OK(jb_finish(&b));
	CHECK_STR(b.data, "\"a\\ufffdb\\ufffd\\ufffdc\\ufffd\\ufffdd\\ufffd\\ufffd\\ufffd\"");
	CHECK_OK(jr_validate(b.data, b.len));
	jb_free(&b);
}

static void test_nesting_and_scalars(void)
{
	struct jbuf b;

	jb_init(&b);
	jb_obj_begin(&b, NULL);
	jb_str(&b, "s", "v");
	jb_str(&b, "n", NULL);
	jb_u64(&b, "u", UINT64_MAX);
	jb_i64(&b, "i", INT64_MIN);
	jb_bool(&b, "t", true);
	jb_bool(&b, "f", false);
	jb_null(&b, "z");
	jb_arr_begin(&b, "a");
	jb_u64(&b, NULL, 1);
	jb_obj_begin(&b, NULL);
	jb_arr_begin(&b, "e");
	jb_arr_end(&b);
	jb_obj_end(&b);
	jb_obj_begin(&b, NULL);
	jb_obj_end(&b);
	jb_arr_end(&b);
	jb_raw(&b, "r", "{\n\"x\" :\t[1, 2]}");
	jb_strf(&b, "p", "%d-%s", 7, "x\"y");
	jb_obj_begin(&b, "q\"k");
	jb_obj_end(&b);
	jb_obj_end(&b);
	CHECK_OK(jb_finish(&b));
	CHECK_STR(b.data, "{\"s\":\"v\",\"n\":null,\"u\":18446744073709551615,"
	          "\"i\":-9223372036854775808,\"t\":true,\"f\":false,\"z\":null,"
	          "\"a\":[1,{\"e\":[]},{}],\"r\":{ \"x\" : [1, 2]},\"p\":\"7-x\\\"y\",\"q\\\"k\":{}}");
	CHECK_OK(jr_validate(b.data, b.len));

	/* reset keeps the buffer and forgets everything else */
	jb_reset(&b);
	CHECK_EQ(b.len, 0);
	CHECK_EQ(jb_finish(&b), -EINVAL);   /* nothing written */
	jb_arr_begin(&b, NULL);
	jb_arr_end(&b);
	CHECK_OK(jb_finish(&b));
	CHECK_STR(b.data, "[]");
	jb_free(&b);
	jb_free(&b);                        /* twice is fine */
	jb_free(NULL);
}

static void test_misuse_is_sticky(void)
{
	struct jbuf b;

	/* a value without a key inside an object */
	jb_init(&b);
	jb_obj_begin(&b, NULL);
	jb_u64(&b, NULL, 1);
	CHECK_EQ(b.err, -EINVAL);
	jb_obj_end(&b);
	CHECK_EQ(jb_finish(&b), -EINVAL);
	jb_free(&b);

	/* a key inside an array, and at the top */
	jb_init(&b);
	jb_arr_begin(&b, NULL);
	jb_u64(&b, "k", 1);
	CHECK_EQ(b.err, -EINVAL);
	jb_free(&b);
	jb_init(&b);
	jb_str(&b, "k", "v");
	CHECK_EQ(b.err, -EINVAL);
	jb_free(&b);

	/* mismatched and extra ends */
	jb_init(&b);
	jb_obj_begin(&b, NULL);
	jb_arr_end(&b);
	CHECK_EQ(b.err, -EINVAL);
	jb_free(&b);
	jb_init(&b);
	jb_obj_end(&b);
	CHECK_EQ(b.err, -EINVAL);
	jb_free(&b);

	/* two top-level values */
	jb_init(&b);
	jb_u64(&b, NULL, 1);
	jb_u64(&b, NULL, 2);
	CHECK_EQ(b.err, -EINVAL);
	jb_free(&b);

	/* an open container */
	jb_init(&b);
	jb_arr_begin(&b, NULL);
	CHECK_EQ(jb_finish(&b), -EINVAL);
	jb_free(&b);

	/* invalid raw JSON is refused, and the error sticks */
	jb_init(&b);
	jb_arr_begin(&b, NULL);
	jb_raw(&b, NULL, "{\"a\":}");
	CHECK_EQ(b.err, -EINVAL);
	jb_u64(&b, NULL, 1);
	jb_arr_end(&b);
	CHECK_EQ(jb_finish(&b), -EINVAL);
	CHECK_STR(b.data, "[");
	jb_free(&b);
}

static void test_depth_limit(void)
{
	struct jbuf b;

	jb_init(&b);
	for (int i = 0; i < JB_MAX_DEPTH - 1; i++)
		jb_arr_begin(&b, NULL);
	CHECK_EQ(b.err, 0);
	jb_arr_begin(&b, NULL);
	CHECK_EQ(b.err, -EINVAL);
	jb_free(&b);

	jb_init(&b);
	for (int i = 0; i < JB_MAX_DEPTH - 1; i++)
		jb_obj_begin(&b, i ? "k" : NULL);
	for (int i = 0; i < JB_MAX_DEPTH - 1; i++)
		jb_obj_end(&b);
	CHECK_OK(jb_finish(&b));
	CHECK_OK(jr_validate(b.data, b.len));
	jb_free(&b);
}

static void test_growth_round_trip(void)
{
	unsigned long n = tl_scaled(20000, 2000);
	struct jbuf b;
	struct jr_node *root = NULL;
	const struct jr_node *arr;
	uint64_t v;

	jb_init(&b);
	jb_obj_begin(&b, NULL);
	jb_arr_begin(&b, "v");
	for (unsigned long i = 0; i < n; i++)
		jb_u64(&b, NULL, i * 3);
	jb_arr_end(&b);
	jb_str(&b, "end", "\xe2\x82\xac\"\n");
	jb_obj_end(&b);
	REQUIRE(jb_finish(&b) == 0);
	CHECK(b.cap >= b.len + 1);
	CHECK_EQ(b.data[b.len], '\0');
	REQUIRE(jr_parse(b.data, b.len, &root, NULL) == 0);
	arr = jr_get(root, "v");
	REQUIRE(arr && arr->type == JR_ARR);
	CHECK_EQ(arr->n, n);
	CHECK(jr_u64(jr_at(arr, n - 1), &v) && v == (n - 1) * 3);
	CHECK_STR(jr_get_str(root, "end"), "\xe2\x82\xac\"\n");
	jr_free(root);
	jb_free(&b);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_escape_controls_and_quotes),
		TL_CASE(test_utf8),
		TL_CASE(test_nesting_and_scalars),
		TL_CASE(test_misuse_is_sticky),
		TL_CASE(test_depth_limit),
		TL_CASE(test_growth_round_trip),
	};

	return tl_run(cases, TL_N(cases));
}
