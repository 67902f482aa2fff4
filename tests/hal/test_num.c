/* SPDX-License-Identifier: MIT */
/*
 * test_num.c - hal/num.h: only plain decimals, the full range checked, no
 * wrap-around (the numbers of issue 17's loose-parsing attack).
 */
#include <errno.h>
#include <stdint.h>

#include "num.h"
#include "testlib.h"

static void test_accepts(void)
{
	uint64_t v = 7;
	unsigned u = 7;

	CHECK_EQ(e1k_num_parse("0", 0, 10, &v), 0);
	CHECK_U64(v, 0);
	CHECK_EQ(e1k_num_parse("01500", 68, 1500, &v), 0);
	CHECK_U64(v, 1500);
	CHECK_EQ(e1k_num_parse("18446744073709551615", 0, UINT64_MAX, &v), 0);
	CHECK_U64(v, UINT64_MAX);
	CHECK_EQ(e1k_num_parse_uint("4294967295", 0, 0xffffffffu, &u), 0);
	CHECK_U64(u, 0xffffffffu);
}

static void test_refuses(void)
{
	static const char *const not_numbers[] = {
		"", "+1500", "-1", "-4294967228", " 1500", "1500 ", "0x10", "15 00",
		"1e3", "1500\n", "\t68", "99999999999999999999x",
	};
	static const char *const out_of_range[] = {
		"4294967364",            /* 2^32 + 68: was MTU 68 through (unsigned)strtoul */
		"18446744073709551616",  /* 2^64: strtoul's ERANGE */
		"99999999999999999999999999", "67", "1501",
	};
	uint64_t v = 7;
	unsigned u = 7;

	for (size_t i = 0; i < TL_N(not_numbers); i++)
		if (e1k_num_parse(not_numbers[i], 0, UINT64_MAX, &v) != -EINVAL)
			tl_fail(__FILE__, __LINE__, "'%s' taken as a number", not_numbers[i]);
	for (size_t i = 0; i < TL_N(out_of_range); i++)
		if (e1k_num_parse(out_of_range[i], 68, 1500, &v) != -ERANGE)
			tl_fail(__FILE__, __LINE__, "'%s' not out of 68..1500", out_of_range[i]);
	CHECK_EQ(e1k_num_parse_uint("4294967364", 0, 0xffffffffu, &u), -ERANGE);
	CHECK_EQ(e1k_num_parse(NULL, 0, 1, &v), -EINVAL);
	CHECK_U64(v, 7);
	CHECK_U64(u, 7);
}

int main(int argc, char **argv)
{
	static const struct tl_case cases[] = { TL_CASE(test_accepts), TL_CASE(test_refuses) };

	return tl_main(argc, argv, cases, TL_N(cases));
}
