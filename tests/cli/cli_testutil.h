/* SPDX-License-Identifier: MIT */
/*
 * cli_testutil.h - shared pieces of the cli_* tests: temporary directories,
 * a scripted control handler, raw socket helpers, bounded child waits.
 */
#ifndef E1K_TESTS_CLI_TESTUTIL_H
#define E1K_TESTS_CLI_TESTUTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "ctl_proto.h"
#include "ctl_server.h"
#include "json.h"

/* mkdtemp under /tmp; 0 or -errno.  dir must hold 64 bytes. */
int tu_mkdtemp(char *dir, size_t len);
/* Remove a directory tree (no symlinks followed).  Best effort. */
void tu_rm_rf(const char *dir);

/*
 * The scripted handler.  Verbs:
 *   STATUS      -> nested object (state, device{name,mac}, queues[{id,rx}], tags[])
 *   STATS       -> flat counters; blocks while block_stats is set (bounded, 10 s)
 *   PAUSE       -> -EBUSY "adapter is busy"
 *   HALT r      -> a full halt report; final_state "Halted", or "Paused" for r == failed
 *   ECHO a...   -> {"argc":n,"argv":[...]}
 *   BIG n       -> {"blob":"xxx..."} with n bytes of x
 *   STOPME      -> calls ctl_server_stop(th->server) and answers {}
 *   STOPWAIT    -> calls ctl_server_stop(th->server), then blocks like STATS;
 *                  answers {"stopped":true}
 *   BADJSON     -> leaves an unclosed object (the server must answer ERR EPROTO)
 *   anything else -> -ENOTSUP "unknown verb"
 */
struct th_ctx {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned calls;
	char last[CTL_MAX_LINE];       /* "VERB arg arg" of the last request */
	bool block_stats;
	struct ctl_server *server;     /* for STOPME */
};

void th_init(struct th_ctx *t);
void th_fini(struct th_ctx *t);
int th_handler(void *ctx, const struct ctl_request *req, struct jbuf *out, char *errmsg,
               size_t errlen);
unsigned th_calls(struct th_ctx *t);
/* Copy of the last request line. */
void th_last(struct th_ctx *t, char *buf, size_t len);
void th_set_block_stats(struct th_ctx *t, bool on);

/* Raw client: connected fd (blocking) or -errno. */
int tu_connect(const char *path);
/* Read one line (without '\n') within timeout_ms; length, or -ETIMEDOUT / -ECONNRESET (EOF). */
int tu_read_line(int fd, char *buf, size_t len, unsigned timeout_ms);
/* Wait until fd reports EOF (read returns 0 or an error) within timeout_ms; true if it did. */
bool tu_wait_eof(int fd, unsigned timeout_ms);

/* Wait for a child for at most timeout_ms, killing it if it overstays.
 * Returns its exit status (0..255), 128+signal, or -1. */
int tu_wait_child(pid_t pid, unsigned timeout_ms);

/* Read a whole file into a malloc'd NUL-terminated buffer (NULL on error). */
char *tu_slurp(const char *path);

#endif
