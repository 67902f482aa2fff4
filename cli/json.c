/* SPDX-License-Identifier: MIT */
#include "json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_read.h"
#include "utf8.h"

#define JB_MIN_CAP 256

void jb_init(struct jbuf *b)
{
	memset(b, 0, sizeof(*b));
}

void jb_free(struct jbuf *b)
{
	if (!b)
		return;
	free(b->data);
	jb_init(b);
}

void jb_reset(struct jbuf *b)
{
	b->len = 0;
	b->err = 0;
	b->depth = 0;
	b->is_obj = 0;
	memset(b->need_comma, 0, sizeof(b->need_comma));
	if (b->data)
		b->data[0] = '\0';
}

static void jb_fail(struct jbuf *b, int err)
{
	if (!b->err)
		b->err = err;
}

/* Make room for n more bytes plus the terminating NUL. */
static bool jb_reserve(struct jbuf *b, size_t n)
{
	size_t need, cap;
	char *p;

	if (b->err)
		return false;
	if (n > SIZE_MAX / 2 - b->len - 1) {
		jb_fail(b, -ENOMEM);
		return false;
	}
	need = b->len + n + 1;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : JB_MIN_CAP;
	while (cap < need)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p) {
		/* Keep the old buffer: the caller still owns and frees it. */
		jb_fail(b, -ENOMEM);
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

static void jb_put(struct jbuf *b, const char *s, size_t n)
{
	if (n == 0 || !jb_reserve(b, n))
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void jb_append(struct jbuf *b, const char *s, size_t n)
{
	jb_put(b, s, n);
}

static void jb_putc(struct jbuf *b, char c)
{
	jb_put(b, &c, 1);
}

static bool in_object(const struct jbuf *b)
{
	return b->depth > 0 && (b->is_obj & (1u << (b->depth - 1)));
}

static void jb_quoted(struct jbuf *b, const char *val, size_t len)
{
	const unsigned char *s = (const unsigned char *)val;
	size_t i = 0, run = 0;

	jb_putc(b, '"');
	while (i < len) {
		unsigned char c = s[i];
		char esc[8];
		size_t n;

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			run++;
			i++;
			continue;
		}
		if (c >= 0x80) {
			n = e1k_utf8_seq_len(s + i, len - i);
			if (n) {
				run += n;
				i += n;
				continue;
			}
		}
		/* Flush the plain run, then the escape for s[i]. */
		jb_put(b, (const char *)s + i - run, run);
		run = 0;
		switch (c) {
		case '"':  jb_put(b, "\\\"", 2); break;
		case '\\': jb_put(b, "\\\\", 2); break;
		case '\b': jb_put(b, "\\b", 2); break;
		case '\f': jb_put(b, "\\f", 2); break;
		case '\n': jb_put(b, "\\n", 2); break;
		case '\r': jb_put(b, "\\r", 2); break;
		case '\t': jb_put(b, "\\t", 2); break;
		default:
			if (c < 0x20) {
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				jb_put(b, esc, 6);
			} else {
				/* An invalid UTF-8 byte: replace it so the output stays valid. */
				jb_put(b, "\\ufffd", 6);
			}
			break;
		}
		i++;
	}
	jb_put(b, (const char *)s + i - run, run);
	jb_putc(b, '"');
}

/* Separator and key before a value.  Returns false if the value must not be written. */
static bool jb_value_prefix(struct jbuf *b, const char *key)
{
	if (b->err)
		return false;
	if (b->depth == 0) {
		if (key || b->need_comma[0]) {
			jb_fail(b, -EINVAL);
			return false;
		}
		b->need_comma[0] = true;
		return true;
	}
	if (in_object(b) != (key != NULL)) {
		jb_fail(b, -EINVAL);
		return false;
	}
	if (b->need_comma[b->depth])
		jb_putc(b, ',');
	b->need_comma[b->depth] = true;
	if (key) {
		jb_quoted(b, key, strlen(key));
		jb_putc(b, ':');
	}
	return !b->err;
}

static void jb_begin(struct jbuf *b, const char *key, bool obj)
{
	if (b->err)
		return;
	if (b->depth + 1 >= JB_MAX_DEPTH) {
		jb_fail(b, -EINVAL);
		return;
	}
	if (!jb_value_prefix(b, key))
		return;
	jb_putc(b, obj ? '{' : '[');
	b->depth++;
	b->need_comma[b->depth] = false;
	if (obj)
		b->is_obj |= 1u << (b->depth - 1);
	else
		b->is_obj &= ~(1u << (b->depth - 1));
}

static void jb_end(struct jbuf *b, bool obj)
{
	if (b->err)
		return;
	if (b->depth == 0 || in_object(b) != obj) {
		jb_fail(b, -EINVAL);
		return;
	}
	jb_putc(b, obj ? '}' : ']');
	b->depth--;
}

void jb_obj_begin(struct jbuf *b, const char *key) { jb_begin(b, key, true); }
void jb_obj_end(struct jbuf *b) { jb_end(b, true); }
void jb_arr_begin(struct jbuf *b, const char *key) { jb_begin(b, key, false); }
void jb_arr_end(struct jbuf *b) { jb_end(b, false); }

void jb_strn(struct jbuf *b, const char *key, const char *val, size_t len)
{
	if (!jb_value_prefix(b, key))
		return;
	if (!val)
		jb_put(b, "null", 4);
	else
		jb_quoted(b, val, len);
}

void jb_str(struct jbuf *b, const char *key, const char *val)
{
	jb_strn(b, key, val, val ? strlen(val) : 0);
}

void jb_strf(struct jbuf *b, const char *key, const char *fmt, ...)
{
	va_list ap;
	char small[256], *p = small;
	int n;

	if (b->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		jb_fail(b, -EINVAL);
		return;
	}
	if ((size_t)n >= sizeof(small)) {
		p = malloc((size_t)n + 1);
		if (!p) {
			jb_fail(b, -ENOMEM);
			return;
		}
		va_start(ap, fmt);
		vsnprintf(p, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	jb_strn(b, key, p, (size_t)n);
	if (p != small)
		free(p);
}

void jb_u64(struct jbuf *b, const char *key, uint64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%" PRIu64, v);

	if (jb_value_prefix(b, key))
		jb_put(b, num, (size_t)n);
}

void jb_i64(struct jbuf *b, const char *key, int64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%" PRId64, v);

	if (jb_value_prefix(b, key))
		jb_put(b, num, (size_t)n);
}

void jb_bool(struct jbuf *b, const char *key, bool v)
{
	if (jb_value_prefix(b, key))
		jb_put(b, v ? "true" : "false", v ? 4 : 5);
}

void jb_null(struct jbuf *b, const char *key)
{
	if (jb_value_prefix(b, key))
		jb_put(b, "null", 4);
}

void jb_raw(struct jbuf *b, const char *key, const char *json)
{
	size_t len, start;

	if (b->err)
		return;
	if (!json) {
		jb_null(b, key);
		return;
	}
	len = strlen(json);
	if (jr_validate(json, len) != 0) {
		jb_fail(b, -EINVAL);
		return;
	}
	if (!jb_value_prefix(b, key))
		return;
	start = b->len;
	jb_put(b, json, len);
	if (b->err)
		return;
	/* Valid JSON has raw control characters only as whitespace between tokens. */
	for (size_t i = start; i < b->len; i++)
		if (b->data[i] == '\n' || b->data[i] == '\r' || b->data[i] == '\t')
			b->data[i] = ' ';
}

int jb_finish(const struct jbuf *b)
{
	if (b->err)
		return b->err;
	if (b->depth != 0 || !b->need_comma[0])
		return -EINVAL;
	return 0;
}
