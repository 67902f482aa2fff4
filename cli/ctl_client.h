/* SPDX-License-Identifier: MIT */
/*
 * ctl_client.h - the e1kctl side of the control socket (protocol: ctl_proto.h).
 *
 * One call = one connection, one request line, one response line
 * (ctl_client_open_peer: then the connection stays the caller's).
 * Context: any thread (no shared state).  Locks: none.  May block: up to
 * timeout_ms in total (connect, send and receive share one deadline).
 */
#ifndef E1K_CLI_CTL_CLIENT_H
#define E1K_CLI_CTL_CLIENT_H

#include <stdbool.h>
#include <sys/types.h>

#define CTL_CLIENT_DEFAULT_TIMEOUT_MS 30000u

/* Who answered on the socket (SO_PEERCRED at connect). */
struct ctl_client_peer {
	bool known;
	uid_t uid;
	pid_t pid;
};

/*
 * Send line (a "\n" is appended unless it ends with one; any other newline in
 * it is -EINVAL) to the server at path and wait for its response line.
 * timeout_ms 0 means CTL_CLIENT_DEFAULT_TIMEOUT_MS.  Returns 0 with
 * *resp_out = the full response line without "\n" (malloc'd, caller frees),
 * or a negative errno with *resp_out = NULL:
 *   -ENOENT / -ECONNREFUSED  no driver answers at path (no socket / nobody listening)
 *   -EACCES                  not allowed to connect
 *   -EPERM                   the server is neither root nor our effective
 *                            uid (or its credentials cannot be read):
 *                            nothing was sent (issue 17)
 *   -ETIMEDOUT               no complete response in time
 *   -ECONNRESET              the server closed without answering
 *   -EPROTO                  the server closed mid-line
 *   -EMSGSIZE                response longer than CTL_MAX_RESPONSE
 *   -ENAMETOOLONG, -EINVAL, -ENOMEM
 * The request is not validated beyond that (the server answers malformed
 * lines with ERR), so the caller can test the server's limits.
 */
int ctl_client_call(const char *path, const char *line, unsigned timeout_ms, char **resp_out);
/* Same, and the server's credentials in *peer (may be NULL; zeroed, then
 * filled once read) -- what a refusal with -EPERM should tell the user. */
int ctl_client_call_peer(const char *path, const char *line, unsigned timeout_ms, char **resp_out,
                         struct ctl_client_peer *peer);
/* Same, and the connection stays open for what the server sends after the
 * response line (nothing past the line's newline is read): *fd_out (non-
 * blocking, the caller closes it) on success, -1 otherwise.  For CAPTURE. */
int ctl_client_open_peer(const char *path, const char *line, unsigned timeout_ms, char **resp_out,
                         struct ctl_client_peer *peer, int *fd_out);

#endif
