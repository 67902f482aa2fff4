/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ctl_response.c - ctl_parse_response() (cli/ctl_proto.c), what e1kctl
 * runs on whatever the control socket returns.
 *
 * Checks, besides memory safety:
 *  - OK: json points just after "OK " inside the input, json_len reaches the
 *    end of the line, and it is one valid JSON value (jr_validate);
 *  - ERR: the code is the token after "ERR ", err is positive, msg is
 *    NUL-terminated, and what follows the code is one JSON string;
 *  - a line that starts with neither "OK " nor "ERR " is refused;
 *  - round trip: ctl_format_ok/ctl_format_err of the parsed response parse
 *    back to the same json / err / message.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "ctl_proto.h"
#include "fuzz.h"
#include "json.h"
#include "json_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line = (const char *)data;
	struct ctl_response r, r2;
	size_t len = size;
	struct jbuf b;
	int rc;

	rc = ctl_parse_response(line, size, &r);
	if (len > 0 && data[len - 1] == '\n')
		len--;
	if (rc < 0) {
		FUZZ_CHECK(rc == -EPROTO, "rc %d", rc);
		FUZZ_CHECK(!r.ok && r.json == NULL && r.code[0] == '\0', "not cleared on error");
		return 0;
	}
	FUZZ_CHECK(rc == 0, "rc %d", rc);
	FUZZ_CHECK(r.json >= line && r.json + r.json_len == line + len, "json outside the line");
	jb_init(&b);
	if (r.ok) {
		FUZZ_CHECK(len >= 3 && memcmp(line, "OK ", 3) == 0 && r.json == line + 3, "OK framing");
		FUZZ_CHECK(jr_validate(r.json, r.json_len) == 0, "OK json does not validate");
		ctl_format_ok(&b, r.json, r.json_len);
		FUZZ_CHECK(b.err == 0, "format_ok err %d", b.err);
		FUZZ_CHECK(ctl_parse_response(b.data, b.len, &r2) == 0 && r2.ok, "OK reparse");
		/* ctl_format_ok turns raw CR/LF (JSON whitespace) into spaces. */
		FUZZ_CHECK(r2.json_len == r.json_len, "OK reparse length");
		for (size_t i = 0; i < r.json_len; i++) {
			char c = r.json[i] == '\n' || r.json[i] == '\r' ? ' ' : r.json[i];

			FUZZ_CHECK(r2.json[i] == c, "OK reparse byte %zu", i);
		}
	} else {
		const char *sp = memchr(line + 4, ' ', len - 4);
		size_t clen = sp ? (size_t)(sp - (line + 4)) : 0;
		struct jr_node *msg = NULL;

		/* The code is the bytes up to the next space, whatever they are
		 * (a NUL among them cuts it short as a C string). */
		FUZZ_CHECK(len >= 4 && memcmp(line, "ERR ", 4) == 0, "ERR framing");
		FUZZ_CHECK(clen > 0 && clen < sizeof(r.code) && memcmp(r.code, line + 4, clen) == 0 &&
		           r.code[clen] == '\0' && r.json == line + 5 + clen, "ERR code");
		FUZZ_CHECK(r.err > 0, "err %d", r.err);
		FUZZ_CHECK(memchr(r.msg, '\0', sizeof(r.msg)) != NULL, "msg not terminated");
		FUZZ_CHECK(jr_parse(r.json, r.json_len, &msg, NULL) == 0 && msg->type == JR_STR,
		           "ERR message is not one JSON string");
		jr_free(msg);
		ctl_format_err(&b, r.err, r.msg);
		FUZZ_CHECK(b.err == 0, "format_err err %d", b.err);
		FUZZ_CHECK(ctl_parse_response(b.data, b.len, &r2) == 0 && !r2.ok, "ERR reparse");
		FUZZ_CHECK(r2.err == r.err, "ERR reparse err %d != %d", r2.err, r.err);
		/* An empty message is replaced by strerror; one cut at the end of
		 * msg[] may end inside a UTF-8 sequence, which the writer replaces;
		 * shorter ones come back byte for byte (up to an embedded NUL). */
		if (r.msg[0] && strlen(r.msg) < sizeof(r.msg) - 1)
			FUZZ_CHECK(strcmp(r2.msg, r.msg) == 0, "ERR reparse msg '%s' != '%s'", r2.msg, r.msg);
	}
	jb_free(&b);
	return 0;
}
