/* SPDX-License-Identifier: MIT */
/*
 * cli_proto: the request parser's limits and refusals (inputs in exact-size
 * heap buffers, so ASan catches any read past len), request formatting, and
 * response lines both ways.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_proto.h"
#include "testlib.h"

static struct ctl_request req;

static int parse_n(const char *s, size_t len)
{
	char *p = malloc(len ? len : 1);
	int rc;

	if (!p)
		return -ENOMEM;
	memcpy(p, s, len);
	rc = ctl_parse_request(p, len, &req);
	free(p);
	return rc;
}

static int parse(const char *s)
{
	return parse_n(s, strlen(s));
}

static void test_parse_basic(void)
{
	CHECK_EQ(parse("STATUS"), 0);
	CHECK(!strcmp(req.verb, "STATUS"));
	CHECK_EQ(req.argc, 0);

	CHECK_EQ(parse("status\n"), 0);          /* verb folded, newline optional */
	CHECK(!strcmp(req.verb, "STATUS"));

	CHECK_EQ(parse("  FILTER  add   02:00:00:00:00:01  \n"), 0);
	CHECK(!strcmp(req.verb, "FILTER"));
	CHECK_EQ(req.argc, 2);
	CHECK(!strcmp(req.argv[0], "add"));      /* arguments verbatim */
	CHECK(!strcmp(req.argv[1], "02:00:00:00:00:01"));
	CHECK(ctl_arg_is(&req, 0, "ADD"));
	CHECK(!ctl_arg_is(&req, 0, "DEL"));
	CHECK(!ctl_arg_is(&req, 2, "ADD"));
	CHECK(!ctl_arg_is(&req, -1, "ADD"));
	/* argv points into req.buf */
	CHECK(req.argv[0] > req.buf && req.argv[1] < req.buf + sizeof(req.buf));

	CHECK_EQ(parse("HALT surprise-removed"), 0);
	CHECK(!strcmp(req.argv[0], "surprise-removed"));
	CHECK_EQ(parse("X ~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',./"), 0);
	CHECK_EQ(req.argc, 1);
}

static void test_parse_refusals(void)
{
	static const char *const bad[] = {
		"", "\n", "   ", "  \n", "\n\n", "STA\tTUS", "STATUS\r\n", "STATUS\r", "\x01",
		"STATUS \x7f", "STATUS \xc3\xa9", "STATUS\nSTATS", "\x1b[2J",
	};

	for (size_t k = 0; k < TL_N(bad); k++) {
		int rc = parse(bad[k]);

		if (rc != -EINVAL)
			tl_fail(__FILE__, __LINE__, "case %zu gave %d, want -EINVAL", k, rc);
	}
	/* an embedded NUL */
	CHECK_EQ(parse_n("STA\0TUS", 7), -EINVAL);
	CHECK_EQ(parse_n("STATUS \0", 8), -EINVAL);
	CHECK_EQ(parse_n("\0", 1), -EINVAL);
	CHECK_EQ(parse_n("", 0), -EINVAL);
	/* req is wiped on failure */
	CHECK_EQ(req.argc, 0);
	CHECK_EQ(req.verb[0], '\0');
}

static void test_parse_limits(void)
{
	char line[CTL_MAX_LINE + 8];
	char verb[40];

	/* verb: 31 characters fine, 32 refused */
	memset(verb, 'V', 31);
	verb[31] = '\0';
	CHECK_EQ(parse(verb), 0);
	CHECK_EQ(strlen(req.verb), 31);
	memset(verb, 'V', 32);
	verb[32] = '\0';
	CHECK_EQ(parse(verb), -EINVAL);

	/* arguments: 16 fine, 17 refused */
	strcpy(line, "ECHO");
	for (int i = 0; i < CTL_MAX_ARGS; i++)
		strcat(line, " a");
	CHECK_EQ(parse(line), 0);
	CHECK_EQ(req.argc, CTL_MAX_ARGS);
	strcat(line, " b");
	CHECK_EQ(parse(line), -EINVAL);

	/* length: CTL_MAX_LINE including the newline */
	memset(line, 'A', sizeof(line));
	line[0] = 'E';
	line[1] = ' ';
	line[CTL_MAX_LINE - 1] = '\n';
	CHECK_EQ(parse_n(line, CTL_MAX_LINE), 0);             /* 4095 + "\n" */
	CHECK_EQ(strlen(req.argv[0]), CTL_MAX_LINE - 3);
	CHECK_EQ(parse_n(line, CTL_MAX_LINE - 1), 0);         /* 4095, no newline */
	line[CTL_MAX_LINE - 1] = 'A';
	CHECK_EQ(parse_n(line, CTL_MAX_LINE), -EMSGSIZE);     /* 4096, no newline: 4097 with it */
	line[CTL_MAX_LINE] = '\n';
	CHECK_EQ(parse_n(line, CTL_MAX_LINE + 1), -EMSGSIZE); /* 4096 + "\n" */
	CHECK_EQ(parse_n(line, CTL_MAX_LINE + 7), -EMSGSIZE);
}

static void test_format_request(void)
{
	char buf[CTL_MAX_LINE + 16];
	const char *args[CTL_MAX_ARGS + 1];
	static char big[CTL_MAX_LINE];

	for (int i = 0; i <= CTL_MAX_ARGS; i++)
		args[i] = "x";
	CHECK_EQ(ctl_format_request(buf, sizeof(buf), "STATUS", 0, NULL), 7);
	CHECK(!strcmp(buf, "STATUS\n"));
	args[0] = "ADD";
	args[1] = "02:00:00:00:00:01";
	CHECK_EQ(ctl_format_request(buf, sizeof(buf), "FILTER", 2, args), 29);
	CHECK(!strcmp(buf, "FILTER ADD 02:00:00:00:00:01\n"));
	CHECK_EQ(ctl_parse_request(buf, strlen(buf), &req), 0);
	CHECK_EQ(req.argc, 2);

	args[1] = "two words";
	CHECK_EQ(ctl_format_request(buf, sizeof(buf), "FILTER", 2, args), -EINVAL);
	args[1] = "";
	CHECK_EQ(ctl_format_request(buf, sizeof(buf), "FILTER", 2, args), -EINVAL);
	args[1] = "x";
	CHECK_EQ(ctl_format_request(buf, sizeof(buf), "", 0, NULL), -EINVAL);
	CHECK_EQ(ctl_format_request(buf, sizeof(buf), "A\nB", 0, NULL), -EINVAL);
	CHECK_EQ(ctl_format_request(buf, sizeof(buf), "X", CTL_MAX_ARGS + 1, args), -EINVAL);
	CHECK(ctl_format_request(buf, sizeof(buf), "X", CTL_MAX_ARGS, args) > 0);
	CHECK_EQ(ctl_format_request(buf, 4, "STATUS", 0, NULL), -EMSGSIZE);
	memset(big, 'a', sizeof(big) - 1);
	args[0] = big;
	CHECK_EQ(ctl_format_request(buf, sizeof(buf), "X", 1, args), -EMSGSIZE);
}

static void test_responses(void)
{
	struct jbuf b;
	struct ctl_response r;

	jb_init(&b);
	ctl_format_ok(&b, "{\"a\":\n1}", 8);
	CHECK(!strcmp(b.data, "OK {\"a\": 1}\n"));
	CHECK_EQ(ctl_parse_response(b.data, b.len, &r), 0);
	CHECK(r.ok);
	CHECK_EQ(r.json_len, 8);
	CHECK(!memcmp(r.json, "{\"a\": 1}", 8));

	jb_reset(&b);
	ctl_format_ok(&b, NULL, 0);
	CHECK(!strcmp(b.data, "OK {}\n"));

	jb_reset(&b);
	ctl_format_err(&b, -EPERM, "no \"way\"\n");
	CHECK(!strcmp(b.data, "ERR EPERM \"no \\\"way\\\"\\n\"\n"));
	CHECK_EQ(ctl_parse_response(b.data, b.len, &r), 0);
	CHECK(!r.ok);
	CHECK_EQ(r.err, EPERM);
	CHECK(!strcmp(r.code, "EPERM"));
	CHECK(!strcmp(r.msg, "no \"way\"\n"));

	jb_reset(&b);
	ctl_format_err(&b, 200, NULL);
	CHECK(!strncmp(b.data, "ERR 200 \"", 9));
	CHECK_EQ(ctl_parse_response(b.data, b.len - 1, &r), 0);   /* without the newline too */
	CHECK_EQ(r.err, 200);

	jb_reset(&b);
	ctl_format_err(&b, EOPNOTSUPP, "");
	CHECK(!strncmp(b.data, "ERR ENOTSUP \"", 13));
	jb_free(&b);

	CHECK_EQ(ctl_parse_response("ERR EWHAT \"x\"", 13, &r), 0);
	CHECK_EQ(r.err, EPROTO);
	CHECK(!strcmp(r.code, "EWHAT"));

	{
		static const char *const bad[] = {
			"", "OK", "OK ", "OK {", "OK {} x", "ok {}", "ERR", "ERR ", "ERR EPERM",
			"ERR EPERM ", "ERR EPERM msg", "ERR EPERM \"open", "ERR  \"x\"", "HELLO",
			"ERR EPERM 42",
		};

		for (size_t k = 0; k < TL_N(bad); k++)
			if (ctl_parse_response(bad[k], strlen(bad[k]), &r) != -EPROTO)
				tl_fail(__FILE__, __LINE__, "\"%s\" accepted", bad[k]);
		CHECK_EQ(ctl_parse_response(NULL, 0, &r), -EPROTO);
	}
}

static void test_errno_names(void)
{
	static const int errs[] = {
		EPERM, ENOENT, EIO, EAGAIN, ENOMEM, EACCES, EBUSY, EEXIST, ENODEV, EINVAL,
		ENOSPC, ERANGE, ENOSYS, EPROTO, EMSGSIZE, ENOTSUP, EADDRINUSE, ETIMEDOUT,
		ECONNREFUSED, EALREADY, EINPROGRESS, ECANCELED, ESHUTDOWN,
	};

	for (size_t k = 0; k < TL_N(errs); k++) {
		const char *n = ctl_errno_name(errs[k]);

		REQUIRE(n != NULL);
		CHECK_EQ(ctl_errno_parse(n), errs[k]);
		CHECK(ctl_errno_name(-errs[k]) == n);
	}
	CHECK(ctl_errno_name(0) == NULL);
	CHECK(ctl_errno_name(4000) == NULL);
	CHECK_EQ(ctl_errno_parse("17"), 17);
	CHECK_EQ(ctl_errno_parse("EOPNOTSUPP"), EOPNOTSUPP);
	CHECK_EQ(ctl_errno_parse("0"), -EINVAL);
	CHECK_EQ(ctl_errno_parse("-5"), -EINVAL);
	CHECK_EQ(ctl_errno_parse("5x"), -EINVAL);
	CHECK_EQ(ctl_errno_parse("99999"), -EINVAL);
	CHECK_EQ(ctl_errno_parse("eperm"), -EINVAL);
	CHECK_EQ(ctl_errno_parse(""), -EINVAL);
	CHECK_EQ(ctl_errno_parse(NULL), -EINVAL);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_parse_basic),
		TL_CASE(test_parse_refusals),
		TL_CASE(test_parse_limits),
		TL_CASE(test_format_request),
		TL_CASE(test_responses),
		TL_CASE(test_errno_names),
	};

	return tl_run(cases, TL_N(cases));
}
