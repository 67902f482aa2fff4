/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ctl_request.c - ctl_parse_request() (cli/ctl_proto.c), what e1kd's
 * control server runs on every line a client sends.
 *
 * Checks, besides memory safety (the input is an exact-size heap copy, so a
 * read past len is an ASan report):
 *  - the result is what ctl_proto.h specifies, computed here independently
 *    (tokens, verb length, argument count, byte classes, line length);
 *  - on success: the verb is the first token upper-cased, argv[] are the
 *    other tokens verbatim, every pointer is inside req->buf;
 *  - ctl_format_request() of the parsed tokens parses back to the same.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "ctl_proto.h"
#include "fuzz.h"

struct tok {
	size_t off, len;
};

static bool in_buf(const struct ctl_request *r, const char *p)
{
	return p >= r->buf && p < r->buf + sizeof(r->buf);
}

/* The specification of ctl_parse_request, written from ctl_proto.h. */
static int expected(const uint8_t *d, size_t len, struct tok *toks, int *ntok)
{
	bool too_long, bad_byte = false;

	if (len > 0 && d[len - 1] == '\n')
		len--;
	too_long = len + 1 > CTL_MAX_LINE;
	*ntok = 0;
	for (size_t i = 0; i < len; i++)
		if (d[i] != ' ' && (d[i] < 0x21 || d[i] > 0x7e))
			bad_byte = true;
	if (too_long)
		return -EMSGSIZE;
	if (bad_byte)
		return -EINVAL;
	for (size_t i = 0; i < len;) {
		size_t s;

		while (i < len && d[i] == ' ')
			i++;
		if (i == len)
			break;
		s = i;
		while (i < len && d[i] != ' ')
			i++;
		if (*ntok == CTL_MAX_ARGS + 1)
			return -EINVAL;         /* more than CTL_MAX_ARGS arguments */
		toks[*ntok].off = s;
		toks[*ntok].len = i - s;
		(*ntok)++;
	}
	if (*ntok == 0 || toks[0].len > CTL_MAX_VERB)
		return -EINVAL;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctl_request req, again;
	struct tok toks[CTL_MAX_ARGS + 1];
	char line[CTL_MAX_LINE + 8];
	int ntok, want, rc;

	want = expected(data, size, toks, &ntok);
	rc = ctl_parse_request((const char *)data, size, &req);
	FUZZ_CHECK(rc == want, "rc %d, want %d (len %zu)", rc, want, size);
	if (rc < 0)
		return 0;

	FUZZ_CHECK(req.argc == ntok - 1, "argc %d, tokens %d", req.argc, ntok);
	FUZZ_CHECK(strlen(req.verb) == toks[0].len, "verb '%s'", req.verb);
	for (size_t k = 0; k < toks[0].len; k++)
		FUZZ_CHECK(req.verb[k] == toupper(data[toks[0].off + k]), "verb byte %zu", k);
	for (int i = 0; i < req.argc; i++) {
		const struct tok *t = &toks[i + 1];

		FUZZ_CHECK(req.argv[i] && in_buf(&req, req.argv[i]) &&
		           in_buf(&req, req.argv[i] + t->len), "argv[%d] outside buf", i);
		FUZZ_CHECK(strlen(req.argv[i]) == t->len &&
		           memcmp(req.argv[i], data + t->off, t->len) == 0, "argv[%d] differs", i);
		FUZZ_CHECK(ctl_arg_is(&req, i, req.argv[i]), "ctl_arg_is(self)");
	}
	FUZZ_CHECK(!ctl_arg_is(&req, req.argc, "x") && !ctl_arg_is(&req, -1, "x"),
	           "ctl_arg_is out of range");
	for (int i = req.argc; i < CTL_MAX_ARGS; i++)
		FUZZ_CHECK(req.argv[i] == NULL, "argv[%d] set past argc", i);

	/* Round trip: format the tokens, parse again, same request. */
	rc = ctl_format_request(line, sizeof(line), req.verb, req.argc,
	                        (const char *const *)req.argv);
	FUZZ_CHECK(rc > 0 && (size_t)rc < sizeof(line) && line[rc - 1] == '\n' &&
	           (size_t)rc <= CTL_MAX_LINE, "format: %d", rc);
	FUZZ_CHECK(ctl_parse_request(line, (size_t)rc, &again) == 0, "reparse");
	FUZZ_CHECK(strcmp(again.verb, req.verb) == 0 && again.argc == req.argc, "reparse differs");
	for (int i = 0; i < req.argc; i++)
		FUZZ_CHECK(strcmp(again.argv[i], req.argv[i]) == 0, "reparse argv[%d]", i);
	return 0;
}
