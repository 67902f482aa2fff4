/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <strings.h>
#include <time.h>

static atomic_int level = E1K_LOG_WARN;
static const char *const names[] = { "error", "warn", "info", "debug" };

void e1k_log_set_level(enum e1k_log_level l)
{
	atomic_store_explicit(&level, (int)l, memory_order_relaxed);
}

enum e1k_log_level e1k_log_get_level(void)
{
	return (enum e1k_log_level)atomic_load_explicit(&level, memory_order_relaxed);
}

int e1k_log_level_parse(const char *s, enum e1k_log_level *out)
{
	for (unsigned i = 0; i < 4; i++)
		if (strcasecmp(s, names[i]) == 0) {
			*out = (enum e1k_log_level)i;
			return 0;
		}
	return -EINVAL;
}

void e1k_log(enum e1k_log_level l, const char *fmt, ...)
{
	char buf[512];
	struct timespec ts;
	va_list ap;
	int n;

	if ((int)l > atomic_load_explicit(&level, memory_order_relaxed))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	n = snprintf(buf, sizeof(buf), "e1kd[%ld.%03ld] %s: ", (long)ts.tv_sec % 100000,
	             ts.tv_nsec / 1000000, names[l]);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(buf))
		vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	/* One write per line so lines from different threads do not interleave. */
	fprintf(stderr, "%s\n", buf);
}
