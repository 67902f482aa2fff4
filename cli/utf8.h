/* SPDX-License-Identifier: MIT */
/*
 * utf8.h - the one UTF-8 validator of the JSON writer and reader.
 *
 * Pure function, no state: Context any, Locks none, May block no.
 */
#ifndef E1K_CLI_UTF8_H
#define E1K_CLI_UTF8_H

#include <stddef.h>

/* Length (1..4) of the valid UTF-8 sequence at s, of which avail >= 1 bytes
 * may be read, or 0 if the bytes there are not one (RFC 3629: no overlongs,
 * no surrogates, nothing above U+10FFFF, no sequence cut short by avail). */
size_t e1k_utf8_seq_len(const unsigned char *s, size_t avail);

#endif
