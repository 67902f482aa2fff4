/* SPDX-License-Identifier: MIT */
/* test_mac.c - the one MAC parser/formatter and the RAL/RAH packing (hal/mac.h). */
#include <errno.h>
#include <string.h>

#include "mac.h"
#include "testlib.h"

static void test_parse_good(void)
{
	uint8_t m[6];

	CHECK_EQ(e1k_mac_parse("52:54:00:12:34:5f", m), 0);
	CHECK(memcmp(m, "\x52\x54\x00\x12\x34\x5f", 6) == 0);
	CHECK_EQ(e1k_mac_parse("AA-BB-CC-DD-EE-FF", m), 0);
	CHECK(memcmp(m, "\xaa\xbb\xcc\xdd\xee\xff", 6) == 0);
}

static void test_parse_bad(void)
{
	static const char *const bad[] = {
		"", "52:54:00:12:34", "52:54:00:12:34:5f:", "52:54:00:12:34:5",
		"-2:-2:-2:-2:-2:-2", "+2:+2:+2:+2:+2:+2", " 2: 2: 2: 2: 2: 2",
		"52-54:00:12:34:5f", "52:54:00:12:34:5g", "5254.0012.345f.", "0x:54:00:12:34:5f",
		"52:54:00:12:34:5f ", "52::4:00:12:34:5f",
	};
	uint8_t m[6] = { 1, 2, 3, 4, 5, 6 };

	for (unsigned i = 0; i < TL_N(bad); i++) {
		if (e1k_mac_parse(bad[i], m) != -EINVAL)
			tl_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
	}
	CHECK_EQ(e1k_mac_parse(NULL, m), -EINVAL);
	CHECK(memcmp(m, "\x01\x02\x03\x04\x05\x06", 6) == 0);   /* untouched */
}

static void test_format_roundtrip(void)
{
	static const uint8_t m[6] = { 0x02, 0xab, 0x00, 0xff, 0x10, 0x9c };
	char s[E1K_MAC_STRLEN];
	uint8_t back[6];

	e1k_mac_format(m, s);
	CHECK(strcmp(s, "02:ab:00:ff:10:9c") == 0);
	CHECK_EQ(e1k_mac_parse(s, back), 0);
	CHECK(memcmp(m, back, 6) == 0);
}

static void test_rar(void)
{
	static const uint8_t m[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	uint8_t back[6];

	CHECK_U64(e1k_mac_ral(m), 0x12005452u);
	CHECK_U64(e1k_mac_rah(m), 0x5634u);
	e1k_mac_from_rar(e1k_mac_ral(m), e1k_mac_rah(m) | 0x80000000u, back);
	CHECK(memcmp(m, back, 6) == 0);
	CHECK(e1k_mac_is_valid_unicast(m));
	CHECK(!e1k_mac_is_valid_unicast((const uint8_t *)"\x01\x00\x5e\x00\x00\x01"));
	CHECK(!e1k_mac_is_valid_unicast((const uint8_t *)"\x00\x00\x00\x00\x00\x00"));
}

int main(void)
{
	static const struct tl_case c[] = {
		TL_CASE(test_parse_good), TL_CASE(test_parse_bad),
		TL_CASE(test_format_roundtrip), TL_CASE(test_rar),
	};

	return tl_run(c, TL_N(c));
}
