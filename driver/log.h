/* SPDX-License-Identifier: MIT */
/* log.h - leveled logging to stderr.  Context: any; thread-safe (one fprintf). */
#ifndef E1K_LOG_H
#define E1K_LOG_H

enum e1k_log_level { E1K_LOG_ERROR, E1K_LOG_WARN, E1K_LOG_INFO, E1K_LOG_DEBUG };

void e1k_log_set_level(enum e1k_log_level l);
enum e1k_log_level e1k_log_get_level(void);
/* "error", "warn", "info", "debug"; -EINVAL otherwise. */
int e1k_log_level_parse(const char *s, enum e1k_log_level *out);
void e1k_log(enum e1k_log_level l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
