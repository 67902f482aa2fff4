/* SPDX-License-Identifier: MIT */
/* mac.c - see mac.h. */
#include "mac.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hex.h"

int e1k_mac_parse(const char *s, uint8_t mac[6])
{
	uint8_t m[6];

	if (!s || strlen(s) != 17 || (s[2] != ':' && s[2] != '-'))
		return -EINVAL;
	for (unsigned i = 0; i < 6; i++) {
		const char *p = s + 3 * i;
		int hi = e1k_hexval(p[0]), lo = e1k_hexval(p[1]);

		if (hi < 0 || lo < 0 || (i < 5 && p[2] != s[2]))
			return -EINVAL;
		m[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(mac, m, 6);
	return 0;
}

void e1k_mac_format(const uint8_t m[6], char out[E1K_MAC_STRLEN])
{
	snprintf(out, E1K_MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x",
	         m[0], m[1], m[2], m[3], m[4], m[5]);
}

bool e1k_mac_is_valid_unicast(const uint8_t m[6])
{
	static const uint8_t zero[6];

	return !(m[0] & 1) && memcmp(m, zero, 6) != 0;
}
