/* SPDX-License-Identifier: MIT */
/* num.c - see num.h. */
#include "num.h"

#include <errno.h>
#include <stdbool.h>

int e1k_num_parse(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	uint64_t v = 0;
	bool big = false;

	if (!s || !*s)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		unsigned d;

		if (*p < '0' || *p > '9')
			return -EINVAL;
		d = (unsigned)(*p - '0');
		/* Keep reading after an overflow: "99999999999999999999x" is
		 * not a number at all, which says more than "out of range". */
		if (big || v > (UINT64_MAX - d) / 10)
			big = true;
		else
			v = v * 10 + d;
	}
	if (big || v < lo || v > hi)
		return -ERANGE;
	*out = v;
	return 0;
}

int e1k_num_parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	uint64_t v;
	int rc = e1k_num_parse(s, lo, hi, &v);

	if (rc == 0)
		*out = (unsigned)v;
	return rc;
}
