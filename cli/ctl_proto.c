/* SPDX-License-Identifier: MIT */
#include "ctl_proto.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json_read.h"

static bool tok_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f;
}

int ctl_parse_request(const char *line, size_t len, struct ctl_request *req)
{
	size_t i = 0;
	int ntok = 0;
	char *tok[CTL_MAX_ARGS + 1];

	memset(req, 0, sizeof(*req));
	if (len > 0 && line[len - 1] == '\n')
		len--;
	/* The limit counts the newline, present or not. */
	if (len + 1 > CTL_MAX_LINE)
		return -EMSGSIZE;
	for (size_t k = 0; k < len; k++) {
		unsigned char c = (unsigned char)line[k];

		if (c != ' ' && !tok_char(c))
			return -EINVAL;
	}
	memcpy(req->buf, line, len);
	req->buf[len] = '\0';

	while (i < len) {
		while (i < len && req->buf[i] == ' ')
			req->buf[i++] = '\0';
		if (i >= len)
			break;
		if (ntok == CTL_MAX_ARGS + 1)
			goto invalid;
		tok[ntok++] = req->buf + i;
		while (i < len && req->buf[i] != ' ')
			i++;
	}
	if (ntok == 0 || strlen(tok[0]) > CTL_MAX_VERB)
		goto invalid;
	for (size_t k = 0; tok[0][k]; k++)
		req->verb[k] = (char)toupper((unsigned char)tok[0][k]);
	req->argc = ntok - 1;
	for (int k = 1; k < ntok; k++)
		req->argv[k - 1] = tok[k];
	return 0;

invalid:
	memset(req, 0, sizeof(*req));
	return -EINVAL;
}

bool ctl_arg_is(const struct ctl_request *req, int i, const char *kw)
{
	return i >= 0 && i < req->argc && req->argv[i] && !strcasecmp(req->argv[i], kw);
}

static bool tok_ok(const char *t)
{
	if (!t || !*t)
		return false;
	for (; *t; t++)
		if (!tok_char((unsigned char)*t))
			return false;
	return true;
}

int ctl_format_request(char *buf, size_t len, const char *verb, int argc,
                       const char *const *argv)
{
	size_t pos, n;

	if (!buf || len == 0 || argc < 0 || argc > CTL_MAX_ARGS || !tok_ok(verb) ||
	    strlen(verb) > CTL_MAX_VERB)
		return -EINVAL;
	for (int i = 0; i < argc; i++)
		if (!tok_ok(argv[i]))
			return -EINVAL;
	pos = strlen(verb);
	for (int i = 0; i < argc; i++)
		pos += 1 + strlen(argv[i]);
	if (pos + 1 > CTL_MAX_LINE || pos + 2 > len)
		return -EMSGSIZE;
	n = strlen(verb);
	memcpy(buf, verb, n);
	pos = n;
	for (int i = 0; i < argc; i++) {
		buf[pos++] = ' ';
		n = strlen(argv[i]);
		memcpy(buf + pos, argv[i], n);
		pos += n;
	}
	buf[pos++] = '\n';
	buf[pos] = '\0';
	return (int)pos;
}

static const struct {
	int err;
	const char *name;
} errno_names[] = {
	{ EPERM, "EPERM" },               { ENOENT, "ENOENT" },
	{ ESRCH, "ESRCH" },               { EINTR, "EINTR" },
	{ EIO, "EIO" },                   { ENXIO, "ENXIO" },
	{ E2BIG, "E2BIG" },               { EBADF, "EBADF" },
	{ EAGAIN, "EAGAIN" },             { ENOMEM, "ENOMEM" },
	{ EACCES, "EACCES" },             { EFAULT, "EFAULT" },
	{ EBUSY, "EBUSY" },               { EEXIST, "EEXIST" },
	{ ENODEV, "ENODEV" },             { EINVAL, "EINVAL" },
	{ ENOSPC, "ENOSPC" },             { ERANGE, "ERANGE" },
	{ EDEADLK, "EDEADLK" },           { ENOSYS, "ENOSYS" },
	{ ENODATA, "ENODATA" },           { EPROTO, "EPROTO" },
	{ EOVERFLOW, "EOVERFLOW" },       { EMSGSIZE, "EMSGSIZE" },
	{ ENOTSUP, "ENOTSUP" },           { EADDRINUSE, "EADDRINUSE" },
	{ ENETDOWN, "ENETDOWN" },         { ECONNRESET, "ECONNRESET" },
	{ ENOTCONN, "ENOTCONN" },         { ESHUTDOWN, "ESHUTDOWN" },
	{ ETIMEDOUT, "ETIMEDOUT" },       { ECONNREFUSED, "ECONNREFUSED" },
	{ EALREADY, "EALREADY" },         { EINPROGRESS, "EINPROGRESS" },
	{ ECANCELED, "ECANCELED" },       { ENOLINK, "ENOLINK" },
	{ ENOMSG, "ENOMSG" },             { EILSEQ, "EILSEQ" },
};

const char *ctl_errno_name(int err)
{
	if (err < 0)
		err = -err;
	for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
		if (errno_names[i].err == err)
			return errno_names[i].name;
	return NULL;
}

int ctl_errno_parse(const char *s)
{
	char *end;
	long v;

	if (!s || !*s)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
		if (!strcmp(errno_names[i].name, s))
			return errno_names[i].err;
	/* EOPNOTSUPP is ENOTSUP on Linux; accept the other spelling too. */
	if (!strcmp(s, "EOPNOTSUPP"))
		return EOPNOTSUPP;
	if (*s < '1' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v <= 0 || v > 4095)
		return -EINVAL;
	return (int)v;
}

void ctl_format_ok(struct jbuf *out, const char *json, size_t json_len)
{
	size_t start;

	if (!json || json_len == 0) {
		json = "{}";
		json_len = 2;
	}
	jb_append(out, "OK ", 3);
	start = out->len;
	jb_append(out, json, json_len);
	if (out->err)
		return;
	/* One response per line: a raw newline can only be whitespace in valid JSON. */
	for (size_t i = start; i < out->len; i++)
		if (out->data[i] == '\n' || out->data[i] == '\r')
			out->data[i] = ' ';
	jb_append(out, "\n", 1);
}

void ctl_format_err(struct jbuf *out, int err, const char *msg)
{
	const char *name;
	char code[24];
	struct jbuf m;

	if (err < 0)
		err = -err;
	if (err == 0)
		err = EPROTO;
	name = ctl_errno_name(err);
	if (name)
		snprintf(code, sizeof(code), "ERR %s ", name);
	else
		snprintf(code, sizeof(code), "ERR %d ", err);
	if (!msg || !*msg)
		msg = strerror(err);
	jb_init(&m);
	jb_str(&m, NULL, msg);
	if (m.err && !out->err)
		out->err = m.err;
	jb_append(out, code, strlen(code));
	jb_append(out, m.data, m.len);
	jb_append(out, "\n", 1);
	jb_free(&m);
}

int ctl_parse_response(const char *line, size_t len, struct ctl_response *r)
{
	const char *p, *end;
	struct jr_node *msg = NULL;
	size_t n;
	int e;

	memset(r, 0, sizeof(*r));
	if (!line)
		return -EPROTO;
	if (len > 0 && line[len - 1] == '\n')
		len--;
	end = line + len;
	if (len >= 3 && !memcmp(line, "OK ", 3)) {
		r->ok = true;
		r->json = line + 3;
		r->json_len = len - 3;
		if (jr_validate(r->json, r->json_len) != 0)
			goto bad;
		return 0;
	}
	if (len < 4 || memcmp(line, "ERR ", 4) != 0)
		goto bad;
	p = line + 4;
	n = 0;
	while (p + n < end && p[n] != ' ')
		n++;
	if (n == 0 || n >= sizeof(r->code) || p + n >= end)
		goto bad;
	memcpy(r->code, p, n);
	r->code[n] = '\0';
	e = ctl_errno_parse(r->code);
	r->err = e > 0 ? e : EPROTO;
	r->json = p + n + 1;
	r->json_len = (size_t)(end - r->json);
	if (jr_parse(r->json, r->json_len, &msg, NULL) != 0 || msg->type != JR_STR) {
		jr_free(msg);
		goto bad;
	}
	snprintf(r->msg, sizeof(r->msg), "%s", msg->str);
	jr_free(msg);
	return 0;

bad:
	memset(r, 0, sizeof(*r));
	return -EPROTO;
}

size_t ctl_safe_text(char *s, size_t len, bool keep_newlines)
{
	size_t changed = 0;

	if (!s)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n' && keep_newlines)
			continue;
		if (c >= 0x20 && c < 0x7f)
			continue;
		s[i] = c == '\t' || c == '\r' || c == '\n' ? ' ' : '?';
		changed++;
	}
	return changed;
}
