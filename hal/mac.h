/* SPDX-License-Identifier: MIT */
/*
 * mac.h - Ethernet addresses: the one parser, the one formatter, and the
 * receive-address register (RAL/RAH) packing of SDM 13.4.27.
 *
 * Pure functions, no state: Context any, Locks none, May block no.
 */
#ifndef E1K_MAC_H
#define E1K_MAC_H

#include <stdbool.h>
#include <stdint.h>

#define E1K_MAC_STRLEN 18   /* "aa:bb:cc:dd:ee:ff" and its NUL */

/* Strict: exactly six pairs of hex digits separated by one separator style,
 * ':' or '-' ("aa:bb:cc:dd:ee:ff", "AA-BB-CC-DD-EE-FF"); no sign, no
 * whitespace, no short or long groups.  0, or -EINVAL (mac untouched). */
int e1k_mac_parse(const char *s, uint8_t mac[6]);
/* Lower-case, ':'-separated; out holds E1K_MAC_STRLEN bytes. */
void e1k_mac_format(const uint8_t mac[6], char out[E1K_MAC_STRLEN]);

/* Unicast (I/G bit clear) and not all zeros. */
bool e1k_mac_is_valid_unicast(const uint8_t mac[6]);

/* RAL holds bytes 0..3 (byte 0 in the low bits), RAH bytes 4..5 in its low
 * 16 bits; e1k_mac_rah() does not set Address Valid. */
static inline uint32_t e1k_mac_ral(const uint8_t m[6])
{
	return (uint32_t)m[0] | (uint32_t)m[1] << 8 | (uint32_t)m[2] << 16 | (uint32_t)m[3] << 24;
}

static inline uint32_t e1k_mac_rah(const uint8_t m[6])
{
	return (uint32_t)m[4] | (uint32_t)m[5] << 8;
}

static inline void e1k_mac_from_rar(uint32_t ral, uint32_t rah, uint8_t m[6])
{
	for (unsigned i = 0; i < 4; i++)
		m[i] = (uint8_t)(ral >> (8 * i));
	m[4] = (uint8_t)rah;
	m[5] = (uint8_t)(rah >> 8);
}

#endif /* E1K_MAC_H */
