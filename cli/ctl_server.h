/* SPDX-License-Identifier: MIT */
/*
 * ctl_server.h - the daemon side of the control socket (protocol: ctl_proto.h).
 *
 * Lifecycle:  ctl_server_create()  ->  [the handler runs on the server thread]
 *             ->  ctl_server_stop()  ->  ctl_server_destroy()
 *
 * Socket: a UNIX stream socket at PATH, reached without letting another local
 * user redirect it (issue 17; docs/robustness.md section 7):
 *  - every directory from "/" down to the socket's directory's parent is
 *    opened one component at a time (safe_path_open_parent(): no symlink, no
 *    "..", each owned by root or us and not writable by group or others
 *    unless sticky) -- else -EPERM, -ELOOP, -ENOENT, -ENOTDIR;
 *  - the socket's directory is created 0700 when missing (the last component
 *    only, like mkdir; mkdirat, then fchmod on the opened descriptor), opened
 *    O_NOFOLLOW, and must be owned by root or us with mode 0700 exactly: an
 *    existing directory with any group or other bit (0755 included) is
 *    refused with -EPERM, never chmod'ed (that would let a command line make
 *    root chmod any directory, /etc say); a symlink there is -ELOOP;
 *  - BASE.lock in that directory is flock'ed for the server's life: a second
 *    server for the same path gets -EADDRINUSE before it touches the socket,
 *    so taking over a stale socket (probe, unlink, bind) is atomic;
 *  - the socket is bound through /proc/self/fd/N/BASE (N the directory's
 *    descriptor), 0600 from the first instant; a rename of any directory on
 *    the path after the walk cannot move it.  (Needs /proc; the socket's
 *    name must leave room for that prefix in sun_path: -ENAMETOOLONG.)
 * A socket file left behind by a dead daemon (connect() gives ECONNREFUSED)
 * is unlinked and taken over; one that still answers is -EADDRINUSE; a
 * non-socket file at PATH is -EEXIST.
 *
 * Access: every accepted connection's SO_PEERCRED uid must equal the server's
 * effective uid.  Root is not special-cased: a root e1kctl talking to an e1kd
 * that runs as another user is refused too (the socket's mode already keeps
 * other users out; this check is the second lock, and the rule is simple).
 * A refused peer gets one "ERR EPERM ..." line and is closed.
 *
 * Threading: one server thread (named "e1k-ctl", all signals blocked) polls the
 * listening socket, a stop eventfd and up to max_clients clients plus one kept
 * for HALT.  Slots: when every ordinary slot is taken, a client whose peer
 * hung up is reaped, else the one idle (between requests) the longest is
 * closed to make room; when none is idle, the newcomer gets the HALT slot,
 * which serves one request and only HALT (anything else: "ERR EBUSY ...");
 * only when that is taken too is a client refused with "ERR EBUSY ..." --
 * so a halt is never refused for lack of slots while anyone is idle or the
 * HALT slot is free.  A connection lives at most lifetime_ms: past it, it is
 * closed between two requests (none is lost).  Reads and writes are
 * non-blocking: a request line must be complete within idle_ms of the
 * connection or of the previous response (so a silent client or one stalling
 * mid-line is closed, and never delays others), a line longer than CTL_MAX_LINE
 * gets "ERR EMSGSIZE ..." and the connection is closed, and a response not taken
 * by the client within write_ms drops the client.  While a response is pending,
 * the client's next request is not read.
 *
 * Log: refused peers (uid), EBUSY, idle closes, slow readers, evictions and
 * lifetime closes go to opts.log when set, at most one line per kind per
 * second (the lines left out are counted in the next one); the counters
 * (ctl_server_get_stats) count every event.
 *
 * The handler runs on the server thread, with no server lock held, one request
 * at a time; it may block (a halt); other clients wait meanwhile.  The
 * thread hooks (may be NULL) run on the server thread: on_start first, on_stop last.
 */
#ifndef E1K_CLI_CTL_SERVER_H
#define E1K_CLI_CTL_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl_proto.h"
#include "thread_hooks.h"
#include "json.h"

#define CTL_SERVER_MAX_CLIENTS 16
#define CTL_SERVER_IDLE_MS 5000
#define CTL_SERVER_WRITE_MS 5000
#define CTL_SERVER_LIFETIME_MS 60000

struct ctl_server;

/*
 * Handle one request.  Return 0 with one JSON value (an object) written to out
 * (nothing written -> "{}"), or a negative errno with a message in errmsg
 * (NUL-terminated, at most errlen bytes; empty -> strerror).  out is empty on
 * entry.  Context: the server thread.  Locks: none held by the server.
 */
typedef int (*ctl_handler_fn)(void *ctx, const struct ctl_request *req, struct jbuf *out,
                              char *errmsg, size_t errlen);

/*
 * From the handler, for the request it is running: once the response line has
 * been written to the peer, the connection is no longer the server's --
 * fn(ctx, fd) gets it (non-blocking; fn's to close), on the server thread,
 * and the server forgets the client (no deadlines, no lifetime cap).  If the
 * handler fails (returns < 0), or the connection fails or the server stops
 * before the response is out, fn(ctx, -1) instead.  -EINVAL outside a
 * handler or when called twice.  Context: the handler.
 */
typedef void (*ctl_handoff_fn)(void *ctx, int fd);
int ctl_server_handoff(ctl_handoff_fn fn, void *ctx);

/* Tunables; a zero field takes the default. */
struct ctl_server_opts {
	unsigned idle_ms;      /* default CTL_SERVER_IDLE_MS */
	unsigned write_ms;     /* default CTL_SERVER_WRITE_MS */
	unsigned max_clients;  /* default and upper bound CTL_SERVER_MAX_CLIENTS */
	unsigned lifetime_ms;  /* default CTL_SERVER_LIFETIME_MS */
	/* Log one line (no newline; warn: a refusal or drop, else routine).
	 * Called on the server thread, rate-limited; NULL: no log. */
	void (*log)(void *log_ctx, bool warn, const char *msg);
	void *log_ctx;
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
	uint64_t evicted_idle;    /* closed between requests to make room for a newcomer */
	uint64_t closed_lifetime; /* closed between requests after lifetime_ms */
	uint64_t halt_slot_used;  /* connections given the slot kept for HALT */
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
/* The server whose handler is running on this thread, else NULL (so a
 * handler can report the server's counters without racing the create that
 * is still storing *out).  Context: any. */
const struct ctl_server *ctl_server_current(void);
/* Snapshot of the counters.  Context: any. */
void ctl_server_get_stats(const struct ctl_server *s, struct ctl_server_stats *st);

#endif
