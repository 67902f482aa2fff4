/* SPDX-License-Identifier: MIT */
/*
 * num.h - the one strict parser for unsigned decimal numbers that arrive as
 * text (the command line, the control protocol).
 *
 * strtoul() takes leading whitespace, a '+', a '-' (and negates: "-1" is
 * ULONG_MAX) and wraps silently once cast to a narrower type
 * ("4294967364" -> 68 as unsigned); callers that cast its result accepted
 * numbers nobody typed.  e1k_num_parse() takes exactly [0-9]+ (no sign, no
 * whitespace, no base prefix, leading zeros allowed), checks the value
 * against the full range while it reads (no overflow is possible), and then
 * against [lo, hi].
 *
 * Pure function, no state, no locale: Context any, Locks none, May block no.
 */
#ifndef E1K_NUM_H
#define E1K_NUM_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Parse s as an unsigned decimal in lo..hi.  Returns 0 with *out set;
 * -EINVAL when s is not a plain decimal number (empty, a sign, a space, any
 * other character); -ERANGE when it is one but outside lo..hi (including
 * anything past UINT64_MAX).  *out is untouched on an error.  Callers say
 * "must be a number in lo..hi" for both, or tell the two apart.
 */
int e1k_num_parse(const char *s, uint64_t lo, uint64_t hi, uint64_t *out);

/* The same into an unsigned int (hi is an unsigned, so nothing wraps). */
int e1k_num_parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out);

#endif /* E1K_NUM_H */
