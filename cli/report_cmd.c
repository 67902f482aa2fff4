/* SPDX-License-Identifier: MIT */
/*
 * report_cmd.c - `e1kctl report check|get`: the halt report checker and a
 * dotted-key reader for e1kd's JSON, so shell tests (the e2e guest, where
 * python3 costs seconds) need neither python nor regexes over JSON.
 *
 * What is printed comes from a file someone else wrote: it goes through
 * ctl_safe_text like everything e1kctl prints from the socket.
 */
#include "report_cmd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_proto.h"
#include "halt_report.h"
#include "json.h"
#include "json_read.h"
#include "reasons.h"

enum { R_OK = 0, R_INTERNAL = 1, R_USAGE = 2, R_NOT_CLEAN = 4 };

/* A halt report is a few KiB and a stats document less; this only bounds a
 * mistaken FILE (a disk image, /dev/zero). */
#define MAX_DOC (16u << 20)

static const char usage_text[] =
"usage: e1kctl report check FILE|- [--reason R]\n"
"       e1kctl report get FILE|- KEY...\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("e1kctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(usage_text, stderr);
	return R_USAGE;
}

/* Print s[0..len) safely, then a newline. */
static int put_safe(FILE *f, const char *s, size_t len)
{
	char *c = malloc(len + 1);

	if (!c)
		return R_INTERNAL;
	memcpy(c, s, len);
	c[len] = '\0';
	ctl_safe_text(c, len, false);
	fwrite(c, 1, len, f);
	fputc('\n', f);
	free(c);
	return R_OK;
}

/* Read and parse FILE ("-": stdin) into *root. */
static int load(const char *path, struct jr_node **root)
{
	const char *name = strcmp(path, "-") ? path : "stdin";
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	size_t len = 0, cap = 0;
	struct jr_error err = { 0 };
	char *buf = NULL;
	int rc;

	*root = NULL;
	if (!f) {
		fprintf(stderr, "e1kctl: cannot read %s: %s\n", name, strerror(errno));
		return R_USAGE;
	}
	for (;;) {
		size_t n;

		if (cap - len < 4096) {
			char *nb = cap < MAX_DOC ? realloc(buf, cap + 65536) : NULL;

			if (!nb) {
				if (cap < MAX_DOC) {
					rc = R_INTERNAL;
					fprintf(stderr, "e1kctl: out of memory\n");
				} else {
					rc = R_USAGE;
					fprintf(stderr, "e1kctl: %s: larger than %u bytes\n", name, MAX_DOC);
				}
				goto out;
			}
			buf = nb;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "e1kctl: cannot read %s: %s\n", name, strerror(errno));
		rc = R_USAGE;
		goto out;
	}
	rc = jr_parse(buf, len, root, &err);
	if (rc == -ENOMEM) {
		fprintf(stderr, "e1kctl: out of memory\n");
		rc = R_INTERNAL;
	} else if (rc) {
		fprintf(stderr, "e1kctl: %s: not a JSON document (byte %zu: %s)\n", name,
		        err.offset, len ? (err.what ? err.what : "too deeply nested") : "empty");
		rc = R_USAGE;
	}
out:
	if (f != stdin)
		fclose(f);
	free(buf);
	return rc;
}

static void to_json(struct jbuf *b, const char *key, const struct jr_node *n)
{
	switch (n->type) {
	case JR_OBJ:
		jb_obj_begin(b, key);
		for (const struct jr_node *c = n->child; c; c = c->next)
			to_json(b, c->key, c);
		jb_obj_end(b);
		break;
	case JR_ARR:
		jb_arr_begin(b, key);
		for (const struct jr_node *c = n->child; c; c = c->next)
			to_json(b, NULL, c);
		jb_arr_end(b);
		break;
	case JR_STR:
		jb_strn(b, key, n->str, n->str_len);
		break;
	case JR_NUM:
		jb_raw(b, key, n->str);
		break;
	case JR_BOOL:
		jb_bool(b, key, n->b);
		break;
	case JR_NULL:
		jb_null(b, key);
		break;
	}
}

/* A value on one line: strings without quotes, numbers as written, objects
 * and arrays as compact JSON. */
static int print_value(const struct jr_node *n)
{
	struct jbuf b;
	int rc;

	switch (n->type) {
	case JR_STR:
		return put_safe(stdout, n->str, n->str_len);
	case JR_NUM:
		return put_safe(stdout, n->str, strlen(n->str));
	case JR_BOOL:
		puts(n->b ? "true" : "false");
		return R_OK;
	case JR_NULL:
		puts("null");
		return R_OK;
	default:
		break;
	}
	jb_init(&b);
	to_json(&b, NULL, n);
	if (jb_finish(&b)) {
		fprintf(stderr, "e1kctl: cannot print the value (%s)\n",
		        b.err == -ENOMEM ? "out of memory" : "nested too deeply");
		rc = b.err == -ENOMEM ? R_INTERNAL : R_USAGE;
	} else {
		rc = put_safe(stdout, b.data, b.len);
	}
	jb_free(&b);
	return rc;
}

static int cmd_get(int argc, char **argv)
{
	struct jr_node *root;
	int rc, worst = R_OK;

	if (argc < 3)
		return usage_error("report get needs a FILE (or -) and at least one KEY");
	rc = load(argv[1], &root);
	if (rc)
		return rc;
	for (int i = 2; i < argc; i++) {
		const struct jr_node *n = e1k_json_lookup(root, argv[i]);

		if (!n) {
			/* "null" keeps line i-2 the value of key i-2 for the caller. */
			puts("null");
			fprintf(stderr, "e1kctl: %s: no such key\n", argv[i]);
			if (worst == R_OK)
				worst = R_NOT_CLEAN;
			continue;
		}
		rc = print_value(n);
		if (rc && (worst == R_OK || worst == R_NOT_CLEAN))
			worst = rc;
	}
	jr_free(root);
	return worst;
}

static int cmd_check(int argc, char **argv)
{
	const char *file = NULL, *reason = NULL;
	struct e1k_report_problems *p;
	struct jr_node *root;
	int want = E1K_REPORT_ANY_REASON, rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--reason")) {
			if (++i == argc)
				return usage_error("--reason needs a halt reason");
			reason = argv[i];
		} else if (!strncmp(argv[i], "--reason=", 9)) {
			reason = argv[i] + 9;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return usage_error("unknown option '%s'", argv[i]);
		} else if (!file) {
			file = argv[i];
		} else {
			return usage_error("report check takes one FILE");
		}
	}
	if (!file)
		return usage_error("report check needs a FILE (or -)");
	if (reason) {
		want = e1k_halt_reason_parse(reason);
		if (want < 0)
			return usage_error("unknown halt reason '%s' (see e1kctl --help)", reason);
	}
	rc = load(file, &root);
	if (rc)
		return rc;
	p = calloc(1, sizeof(*p));
	if (!p) {
		jr_free(root);
		fprintf(stderr, "e1kctl: out of memory\n");
		return R_INTERNAL;
	}
	if (e1k_halt_report_check(root, want, p)) {
		for (unsigned i = 0; i < p->n && i < E1K_REPORT_MAX_PROBLEMS; i++)
			put_safe(stderr, p->line[i], strlen(p->line[i]));
		if (p->n > E1K_REPORT_MAX_PROBLEMS)
			fprintf(stderr, "(and %u more problems)\n", p->n - E1K_REPORT_MAX_PROBLEMS);
		rc = R_NOT_CLEAN;
	} else {
		const struct jr_node *led = jr_get(root, "ledger");
		uint64_t acq = 0, rel = 0, ns = 0;

		/* Clean: every name below is one of the known ones, safe to print. */
		jr_get_u64(led, "acquired", &acq);
		jr_get_u64(led, "released", &rel);
		jr_get_u64(root, "total_ns", &ns);
		printf("clean: %s from %s, ledger %llu acquired / %llu released, %.1f ms\n",
		       jr_get_str(root, "reason"), jr_get_str(root, "from_state"),
		       (unsigned long long)acq, (unsigned long long)rel, (double)ns / 1e6);
		rc = R_OK;
	}
	free(p);
	jr_free(root);
	return rc;
}

int e1kctl_report_main(int argc, char **argv)
{
	int rc;

	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage_text, stdout);
		rc = R_OK;
	} else if (argc >= 2 && !strcmp(argv[1], "check")) {
		rc = cmd_check(argc - 1, argv + 1);
	} else if (argc >= 2 && !strcmp(argv[1], "get")) {
		rc = cmd_get(argc - 1, argv + 1);
	} else if (argc >= 2) {
		return usage_error("unknown report command '%s'", argv[1]);
	} else {
		return usage_error("report needs check or get");
	}
	if (fflush(stdout) != 0 && rc == R_OK) {
		fprintf(stderr, "e1kctl: cannot write the output: %s\n", strerror(errno));
		rc = R_INTERNAL;
	}
	return rc;
}
