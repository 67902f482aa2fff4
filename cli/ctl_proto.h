/* SPDX-License-Identifier: MIT */
/*
 * ctl_proto.h - the control line protocol between e1kctl and e1kd.
 *
 * Request (client -> driver), one per line:
 *     VERB [ARG ...]\n
 *   tokens separated by one or more spaces; printable ASCII only (0x21..0x7e
 *   inside tokens); at most CTL_MAX_LINE bytes including the newline; at most
 *   CTL_MAX_ARGS arguments after the verb; the verb at most 31 characters and
 *   folded to upper case by the parser (arguments are passed verbatim: compare
 *   keywords with ctl_arg_is(), which ignores case).
 *
 * Response (driver -> client), exactly one per request, one line:
 *     OK <json>\n                      <json> is one JSON value (an object)
 *     ERR <code> <json-string>\n       <code> is the errno name ("EPERM",
 *                                      "EINVAL", ...) or, for an errno this
 *                                      table does not name, its positive number;
 *                                      the JSON string is a human message.
 * Responses have no length limit of the protocol (the client bounds them at
 * CTL_MAX_RESPONSE).  A connection may carry any number of request/response
 * pairs; the server answers them in order.
 *
 * The verbs, their arguments and counts: ctl_verbs.h (one table for e1kd
 * and e1kctl; the driver's handlers define what they do).
 *
 * Pure functions, no state: Context any, Locks none, May block no.
 */
#ifndef E1K_CLI_CTL_PROTO_H
#define E1K_CLI_CTL_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#include "json.h"

#define CTL_MAX_LINE 4096
#define CTL_MAX_ARGS 16
#define CTL_MAX_VERB 31
#define CTL_MAX_RESPONSE (16u << 20)

struct ctl_request {
	char verb[32];               /* upper-cased, NUL-terminated */
	int argc;                    /* arguments after the verb */
	char *argv[CTL_MAX_ARGS];    /* point into buf; argv[0] is the first argument */
	char buf[CTL_MAX_LINE];      /* the line, NUL at the end of every token */
};

/* Parse one request line of len bytes (a trailing "\n" is optional and is not
 * part of the content).  0 on success; -EINVAL: empty, a byte outside
 * printable ASCII and space (an embedded NUL or "\r" included), more than
 * CTL_MAX_ARGS arguments, a verb longer than CTL_MAX_VERB; -EMSGSIZE: longer
 * than CTL_MAX_LINE including the newline.  Never reads past len; req is
 * overwritten (fully initialised on success). */
int ctl_parse_request(const char *line, size_t len, struct ctl_request *req);

/* True when argument i exists and equals kw ignoring case. */
bool ctl_arg_is(const struct ctl_request *req, int i, const char *kw);

/* Build "VERB ARG...\n" from tokens into buf (NUL-terminated).  Returns the
 * length without the NUL, -EINVAL for an empty or non-printable token or too
 * many arguments, -EMSGSIZE when it would exceed CTL_MAX_LINE or len. */
int ctl_format_request(char *buf, size_t len, const char *verb, int argc,
                       const char *const *argv);

/* Append a whole response line (with its "\n") to out.  ok: "OK " + json
 * (json must be one JSON value without a raw newline; NULL or "" -> "{}").
 * err: "ERR <code> <msg as JSON string>"; err may be given negative or positive. */
void ctl_format_ok(struct jbuf *out, const char *json, size_t json_len);
void ctl_format_err(struct jbuf *out, int err, const char *msg);

/* Errno name <-> number ("EPERM" <-> EPERM).  ctl_errno_name returns NULL for
 * a number it does not name; ctl_errno_parse accepts a name or a positive
 * decimal number and returns the positive errno, or -EINVAL. */
const char *ctl_errno_name(int err);
int ctl_errno_parse(const char *s);

/* A parsed response line.  json points into the line that was parsed. */
struct ctl_response {
	bool ok;
	int err;                   /* ERR: positive errno (EPROTO if the code is unknown) */
	char code[24];             /* ERR: the code as received */
	const char *json;          /* OK: the JSON value; ERR: the JSON string */
	size_t json_len;
	char msg[512];             /* ERR: the decoded message (truncated) */
};

/* Parse a response line (with or without its "\n").  0, or -EPROTO when it
 * is neither a well-formed OK nor a well-formed ERR line. */
int ctl_parse_response(const char *line, size_t len, struct ctl_response *r);

/* Make len bytes received from the other end safe to print on a terminal, in
 * place: '\t', '\r' and (unless keep_newlines) '\n' become ' '; every other
 * byte outside printable ASCII (0x20..0x7e) becomes '?'.  The driver speaks
 * ASCII; anything else -- ESC, DEL, NUL, C1 controls such as CSI (raw, or as
 * UTF-8 0xc2 0x9b) -- could drive the terminal, so it is never printed.  JSON
 * stays valid: such bytes can only sit inside strings, and the whitespace
 * replacements are whitespace.  Returns how many bytes were changed. */
size_t ctl_safe_text(char *s, size_t len, bool keep_newlines);

#endif
