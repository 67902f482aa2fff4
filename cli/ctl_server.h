/* SPDX-License-Identifier: MIT */
/*
 * ctl_server.h - the daemon side of the control socket (protocol: ctl_proto.h).
 *
 * Lifecycle:  ctl_server_create()  ->  [the handler runs on the server thread]
 *             ->  ctl_server_stop()  ->  ctl_server_destroy()
 *
 * Socket: a UNIX stream socket at PATH.  Its parent directory is created 0700
 * when missing (the last component only, like mkdir; a missing grandparent is
 * -ENOENT); an existing parent that is writable by group or others, or owned by
 * a uid other than ours or root, is refused with -EPERM, since whoever can write
 * there could replace the socket.  The socket itself is 0600.  A socket file left
 * behind by a dead daemon (connect() gives ECONNREFUSED) is unlinked and taken
 * over; one that still answers is -EADDRINUSE; a non-socket file at PATH is -EEXIST.
 *
 * Access: every accepted connection's SO_PEERCRED uid must equal the server's
 * effective uid.  Root is not special-cased: a root e1kctl talking to an e1kd
 * that runs as another user is refused too (the socket's mode already keeps
 * other users out; this check is the second lock, and the rule is simple).
 * A refused peer gets one "ERR EPERM ..." line and is closed.
 *
 * Threading: one server thread (named "e1k-ctl", all signals blocked) polls the
 * listening socket, a stop eventfd and up to CTL_SERVER_MAX_CLIENTS clients; a
 * client beyond that gets "ERR EBUSY ..." and is closed.  Reads and writes are
 * non-blocking: a request line must be complete within idle_ms of the
 * connection or of the previous response (so a silent client or one stalling
 * mid-line is closed, and never delays others), a line longer than CTL_MAX_LINE
 * gets "ERR EMSGSIZE ..." and the connection is closed, and a response not taken
 * by the client within write_ms drops the client.  While a response is pending,
 * the client's next request is not read.
 *
 * The handler runs on the server thread, with no server lock held, one request
 * at a time; it may block (a halt); other clients wait meanwhile.  The
 * thread hooks (may be NULL) run on the server thread: on_start first, on_stop last.
 */
#ifndef E1K_CLI_CTL_SERVER_H
#define E1K_CLI_CTL_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "ctl_proto.h"
#include "thread_hooks.h"
#include "json.h"

#define CTL_SERVER_MAX_CLIENTS 16
#define CTL_SERVER_IDLE_MS 5000
#define CTL_SERVER_WRITE_MS 5000

struct ctl_server;

/*
 * Handle one request.  Return 0 with one JSON value (an object) written to out
 * (nothing written -> "{}"), or a negative errno with a message in errmsg
 * (NUL-terminated, at most errlen bytes; empty -> strerror).  out is empty on
 * entry.  Context: the server thread.  Locks: none held by the server.
 */
typedef int (*ctl_handler_fn)(void *ctx, const struct ctl_request *req, struct jbuf *out,
                              char *errmsg, size_t errlen);

/* Tunables; a zero field takes the default. */
struct ctl_server_opts {
	unsigned idle_ms;      /* default CTL_SERVER_IDLE_MS */
	unsigned write_ms;     /* default CTL_SERVER_WRITE_MS */
	unsigned max_clients;  /* default and upper bound CTL_SERVER_MAX_CLIENTS */
};

/* Counters, each read atomically (relaxed: statistics only). */
struct ctl_server_stats {
	uint64_t accepted;        /* connections given a client slot */
	uint64_t requests;        /* lines handed to the handler */
	uint64_t bad_requests;    /* lines refused by the parser (ERR EINVAL/EMSGSIZE) */
	uint64_t refused_busy;    /* ERR EBUSY: no free slot */
	uint64_t refused_uid;     /* ERR EPERM: peer uid differs */
	uint64_t closed_idle;     /* no complete line within idle_ms */
	uint64_t dropped_slow;    /* response not taken within write_ms */
	uint64_t dropped_oversize;/* line longer than CTL_MAX_LINE */
};

/*
 * Create the socket and start the server thread.  0 and *out, or a negative
 * errno (the reason is printed to stderr as "ctl: ..."): -ENAMETOOLONG,
 * -ENOENT, -ENOTDIR, -EPERM, -EEXIST, -EADDRINUSE, -ENOMEM, or what a system
 * call returned.  On failure no thread and no socket file is left behind (a
 * directory it created is kept: it is empty and 0700).
 * Context: control.  May block: briefly (a connect() probe of a stale socket).
 */
int ctl_server_create(const char *path, ctl_handler_fn fn, void *ctx,
                      const struct e1k_thread_hooks *hooks /* may be NULL */,
                      struct ctl_server **out);
/* Same with tunables (opts may be NULL) and the reason in errmsg instead of stderr. */
int ctl_server_create_opts(const char *path, ctl_handler_fn fn, void *ctx,
                           const struct e1k_thread_hooks *hooks,
                           const struct ctl_server_opts *opts, struct ctl_server **out,
                           char *errmsg, size_t errlen);

/*
 * Stop: refuse new connections (connect fails with ECONNREFUSED), answer
 * every request already sent -- complete lines buffered or readable on the
 * clients, and on connections still queued to be accepted -- through the
 * handler as usual, one response each (a connection just accepted or holding
 * part of a line gets 100 ms to complete it; the whole is bounded by
 * write_ms), close every client, join the thread, close the listening
 * socket.  So a request that reached the server is never dropped without an
 * answer: the handler should answer at once now (e1kd's, once halted,
 * answers HALT with the first report and anything else ESHUTDOWN).
 * Idempotent; NULL ok; safe from several threads.
 * Called from the handler (the server thread) it only asks the thread to stop
 * after the current request and returns; a later call from another thread joins.
 * Context: control.  May block: until the handler in progress returns.
 */
void ctl_server_stop(struct ctl_server *s);
/* Stop, unlink the socket path (only if it is still our socket), free.  NULL
 * ok.  Must not be called from the handler (it then only stops, and leaks). */
void ctl_server_destroy(struct ctl_server *s);

/* The socket path, as given.  Context: any. */
const char *ctl_server_path(const struct ctl_server *s);
/* Snapshot of the counters.  Context: any. */
void ctl_server_get_stats(const struct ctl_server *s, struct ctl_server_stats *st);

#endif
