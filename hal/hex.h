/* SPDX-License-Identifier: MIT */
/* hex.h - one hex digit's value: 0..15, or -1 for anything else.  No locale. */
#ifndef E1K_HEX_H
#define E1K_HEX_H

static inline int e1k_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif /* E1K_HEX_H */
