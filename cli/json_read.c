/* SPDX-License-Identifier: MIT */
#include "json_read.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "utf8.h"

struct jr_parser {
	const char *s;
	size_t len, pos;
	bool build;            /* false: validate only, allocate nothing */
	struct jr_error *err;
	size_t nodes, max_nodes;  /* values read so far; 0: no limit */
};

static int jr_syntax(struct jr_parser *p, const char *what)
{
	if (p->err && !p->err->what) {
		p->err->offset = p->pos;
		p->err->what = what;
	}
	return -EINVAL;
}

static void jr_skip_ws(struct jr_parser *p)
{
	while (p->pos < p->len) {
		char c = p->s[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

static bool jr_lit(struct jr_parser *p, const char *lit)
{
	size_t n = strlen(lit);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, lit, n) != 0)
		return false;
	p->pos += n;
	return true;
}

static bool jr_hex4(struct jr_parser *p, size_t at, uint32_t *v)
{
	uint32_t r = 0;

	if (p->len - at < 4)
		return false;
	for (size_t i = 0; i < 4; i++) {
		int h = e1k_hexval((unsigned char)p->s[at + i]);

		if (h < 0)
			return false;
		r = (r << 4) | (uint32_t)h;
	}
	*v = r;
	return true;
}

static size_t put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		if (out)
			out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		if (out) {
			out[0] = (char)(0xc0 | (cp >> 6));
			out[1] = (char)(0x80 | (cp & 0x3f));
		}
		return 2;
	}
	if (cp < 0x10000) {
		if (out) {
			out[0] = (char)(0xe0 | (cp >> 12));
			out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
			out[2] = (char)(0x80 | (cp & 0x3f));
		}
		return 3;
	}
	if (out) {
		out[0] = (char)(0xf0 | (cp >> 18));
		out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[3] = (char)(0x80 | (cp & 0x3f));
	}
	return 4;
}

/*
 * Scan the string starting at p->pos (the opening quote).  With out == NULL
 * only validate and return the decoded length in *dlen; otherwise decode into
 * out (at least *dlen + 1 bytes).  Leaves p->pos after the closing quote.
 */
static int jr_scan_string(struct jr_parser *p, char *out, size_t *dlen)
{
	const unsigned char *s = (const unsigned char *)p->s;
	size_t i = p->pos + 1, d = 0;

	for (;;) {
		unsigned char c;

		if (i >= p->len) {
			p->pos = i;
			return jr_syntax(p, "unterminated string");
		}
		c = s[i];
		if (c == '"')
			break;
		if (c < 0x20) {
			p->pos = i;
			return jr_syntax(p, "control character in string");
		}
		if (c == '\\') {
			uint32_t cp, lo;
			char e;

			if (i + 1 >= p->len) {
				p->pos = i;
				return jr_syntax(p, "unterminated escape");
			}
			e = (char)s[i + 1];
			switch (e) {
			case '"': case '\\': case '/':
				cp = (uint32_t)(unsigned char)e; break;
			case 'b': cp = '\b'; break;
			case 'f': cp = '\f'; break;
			case 'n': cp = '\n'; break;
			case 'r': cp = '\r'; break;
			case 't': cp = '\t'; break;
			case 'u':
				if (!jr_hex4(p, i + 2, &cp)) {
					p->pos = i;
					return jr_syntax(p, "bad \\u escape");
				}
				if (cp >= 0xdc00 && cp <= 0xdfff) {
					p->pos = i;
					return jr_syntax(p, "lone low surrogate");
				}
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (p->len - i < 12 || s[i + 6] != '\\' || s[i + 7] != 'u' ||
					    !jr_hex4(p, i + 8, &lo) || lo < 0xdc00 || lo > 0xdfff) {
						p->pos = i;
						return jr_syntax(p, "unpaired surrogate");
					}
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					i += 6;
				}
				i += 4;
				break;
			default:
				p->pos = i;
				return jr_syntax(p, "bad escape");
			}
			i += 2;
			d += put_utf8(out ? out + d : NULL, cp);
			continue;
		}
		if (c >= 0x80) {
			size_t n = e1k_utf8_seq_len(s + i, p->len - i);

			if (!n) {
				p->pos = i;
				return jr_syntax(p, "invalid UTF-8");
			}
			if (out)
				memcpy(out + d, s + i, n);
			d += n;
			i += n;
			continue;
		}
		if (out)
			out[d] = (char)c;
		d++;
		i++;
	}
	if (out)
		out[d] = '\0';
	*dlen = d;
	p->pos = i + 1;
	return 0;
}

/* Parse a string into a fresh allocation (build mode) or just check it. */
static int jr_string_alloc(struct jr_parser *p, char **str, size_t *slen)
{
	size_t start = p->pos, dlen;
	int rc = jr_scan_string(p, NULL, &dlen);

	if (rc || !p->build)
		return rc;
	*str = malloc(dlen + 1);
	if (!*str)
		return -ENOMEM;
	p->pos = start;
	rc = jr_scan_string(p, *str, slen);
	return rc;
}

static int jr_number(struct jr_parser *p, struct jr_node *n)
{
	size_t start = p->pos;
	const char *s = p->s;

	if (p->pos < p->len && s[p->pos] == '-')
		p->pos++;
	if (p->pos >= p->len)
		return jr_syntax(p, "bad number");
	if (s[p->pos] == '0') {
		p->pos++;
	} else if (s[p->pos] >= '1' && s[p->pos] <= '9') {
		while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9')
			p->pos++;
	} else {
		return jr_syntax(p, "bad number");
	}
	if (p->pos < p->len && s[p->pos] == '.') {
		p->pos++;
		if (p->pos >= p->len || s[p->pos] < '0' || s[p->pos] > '9')
			return jr_syntax(p, "bad fraction");
		while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9')
			p->pos++;
	}
	if (p->pos < p->len && (s[p->pos] == 'e' || s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->len && (s[p->pos] == '+' || s[p->pos] == '-'))
			p->pos++;
		if (p->pos >= p->len || s[p->pos] < '0' || s[p->pos] > '9')
			return jr_syntax(p, "bad exponent");
		while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9')
			p->pos++;
	}
	if (n) {
		size_t len = p->pos - start;

		n->str = malloc(len + 1);
		if (!n->str)
			return -ENOMEM;
		memcpy(n->str, s + start, len);
		n->str[len] = '\0';
		n->str_len = len;
	}
	return 0;
}

static int jr_value(struct jr_parser *p, int depth, struct jr_node **out);

/* Array or object body; p->pos is at '[' or '{'.  depth counts this container. */
static int jr_container(struct jr_parser *p, int depth, struct jr_node *n, bool obj)
{
	struct jr_node **tail = n ? &n->child : NULL;
	char close = obj ? '}' : ']';

	if (depth > JR_MAX_DEPTH)
		return -E2BIG;
	p->pos++;
	jr_skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		return 0;
	}
	for (;;) {
		char *key = NULL;
		size_t key_len = 0;
		struct jr_node *child = NULL;
		int rc;

		if (obj) {
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return jr_syntax(p, "expected member name");
			rc = jr_string_alloc(p, &key, &key_len);
			if (rc)
				return rc;
			jr_skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':') {
				free(key);
				return jr_syntax(p, "expected ':'");
			}
			p->pos++;
		}
		rc = jr_value(p, depth, n ? &child : NULL);
		if (rc) {
			free(key);
			return rc;
		}
		if (n) {
			child->key = key;
			child->key_len = key_len;
			*tail = child;
			tail = &child->next;
			n->n++;
		}
		jr_skip_ws(p);
		if (p->pos >= p->len)
			return jr_syntax(p, obj ? "unterminated object" : "unterminated array");
		if (p->s[p->pos] == ',') {
			p->pos++;
			jr_skip_ws(p);
			continue;
		}
		if (p->s[p->pos] == close) {
			p->pos++;
			return 0;
		}
		return jr_syntax(p, "expected ',' or end of container");
	}
}

/*
 * One value.  depth is the nesting of the enclosing containers; a container
 * here is at depth + 1 and is refused before any recursion if that exceeds
 * JR_MAX_DEPTH, so the C stack holds at most JR_MAX_DEPTH frames of each kind.
 * With out == NULL nothing is allocated (validate mode).
 */
static int jr_value(struct jr_parser *p, int depth, struct jr_node **out)
{
	struct jr_node *n = NULL;
	int rc;
	char c;

	jr_skip_ws(p);
	if (p->pos >= p->len)
		return jr_syntax(p, "expected a value");
	if (p->max_nodes && ++p->nodes > p->max_nodes) {
		if (p->err && !p->err->what) {
			p->err->offset = p->pos;
			p->err->what = "too many values";
		}
		return -E2BIG;
	}
	if (out) {
		n = calloc(1, sizeof(*n));
		if (!n)
			return -ENOMEM;
	}
	c = p->s[p->pos];
	switch (c) {
	case '{':
	case '[':
		if (n)
			n->type = c == '{' ? JR_OBJ : JR_ARR;
		rc = jr_container(p, depth + 1, n, c == '{');
		break;
	case '"':
		if (n)
			n->type = JR_STR;
		rc = jr_string_alloc(p, n ? &n->str : NULL, n ? &n->str_len : NULL);
		break;
	case 't':
	case 'f':
		if (n) {
			n->type = JR_BOOL;
			n->b = c == 't';
		}
		rc = jr_lit(p, c == 't' ? "true" : "false") ? 0 : jr_syntax(p, "bad literal");
		break;
	case 'n':
		if (n)
			n->type = JR_NULL;
		rc = jr_lit(p, "null") ? 0 : jr_syntax(p, "bad literal");
		break;
	default:
		if (n)
			n->type = JR_NUM;
		rc = (c == '-' || (c >= '0' && c <= '9')) ? jr_number(p, n)
		                                          : jr_syntax(p, "unexpected character");
		break;
	}
	if (rc) {
		jr_free(n);
		return rc;
	}
	if (out)
		*out = n;
	return 0;
}

static int jr_run(struct jr_parser *p, struct jr_node **out)
{
	int rc = jr_value(p, 0, out);

	if (rc)
		return rc;
	jr_skip_ws(p);
	if (p->pos != p->len) {
		if (out) {
			jr_free(*out);
			*out = NULL;
		}
		return jr_syntax(p, "trailing characters");
	}
	return 0;
}

int jr_parse(const char *text, size_t len, struct jr_node **out, struct jr_error *err)
{
	return jr_parse_max(text, len, 0, out, err);
}

int jr_parse_max(const char *text, size_t len, size_t max_nodes, struct jr_node **out,
                 struct jr_error *err)
{
	struct jr_parser p = { .s = text, .len = len, .build = true, .err = err,
	                       .max_nodes = max_nodes };
	int rc;

	*out = NULL;
	if (err) {
		err->offset = 0;
		err->what = NULL;
	}
	if (!text)
		return -EINVAL;
	rc = jr_run(&p, out);
	if (rc) {
		*out = NULL;
		if (err && !err->what) {
			err->offset = p.pos;
			err->what = rc == -E2BIG ? "nested too deeply" : "out of memory";
		}
	}
	return rc;
}

int jr_validate(const char *text, size_t len)
{
	struct jr_parser p = { .s = text, .len = len, .build = false };

	if (!text)
		return -EINVAL;
	return jr_run(&p, NULL);
}

void jr_free(struct jr_node *root)
{
	while (root) {
		struct jr_node *next = root->next;

		/* Recursion depth is bounded by the depth the parser accepted. */
		jr_free(root->child);
		free(root->key);
		free(root->str);
		free(root);
		root = next;
	}
}

const struct jr_node *jr_get(const struct jr_node *obj, const char *key)
{
	size_t klen;

	if (!obj || obj->type != JR_OBJ || !key)
		return NULL;
	klen = strlen(key);
	for (const struct jr_node *c = obj->child; c; c = c->next)
		if (c->key_len == klen && memcmp(c->key, key, klen) == 0)
			return c;
	return NULL;
}

const struct jr_node *jr_at(const struct jr_node *arr, size_t i)
{
	const struct jr_node *c;

	if (!arr || arr->type != JR_ARR)
		return NULL;
	for (c = arr->child; c && i; c = c->next)
		i--;
	return c;
}

const char *jr_string(const struct jr_node *n)
{
	return n && n->type == JR_STR ? n->str : NULL;
}

bool jr_u64(const struct jr_node *n, uint64_t *v)
{
	uint64_t r = 0;

	if (!n || n->type != JR_NUM || n->str_len == 0)
		return false;
	for (size_t i = 0; i < n->str_len; i++) {
		char c = n->str[i];

		if (c < '0' || c > '9')
			return false;   /* sign, fraction or exponent */
		if (r > (UINT64_MAX - (uint64_t)(c - '0')) / 10)
			return false;
		r = r * 10 + (uint64_t)(c - '0');
	}
	*v = r;
	return true;
}

bool jr_i64(const struct jr_node *n, int64_t *v)
{
	struct jr_node tmp;
	uint64_t mag;
	bool neg;

	if (!n || n->type != JR_NUM || n->str_len == 0)
		return false;
	neg = n->str[0] == '-';
	tmp = *n;
	if (neg) {
		tmp.str++;
		tmp.str_len--;
	}
	if (!jr_u64(&tmp, &mag))
		return false;
	if (neg) {
		if (mag > (uint64_t)INT64_MAX + 1)
			return false;
		*v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	} else {
		if (mag > (uint64_t)INT64_MAX)
			return false;
		*v = (int64_t)mag;
	}
	return true;
}

const char *jr_get_str(const struct jr_node *obj, const char *key)
{
	return jr_string(jr_get(obj, key));
}

bool jr_get_u64(const struct jr_node *obj, const char *key, uint64_t *v)
{
	return jr_u64(jr_get(obj, key), v);
}
