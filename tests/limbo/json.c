/*
 * json.c - the strict JSON reader of the x509-limbo harness (json.h).
 *
 * Recursive descent over a length-delimited buffer.  Recursion depth is
 * bounded by JSON_MAX_DEPTH so that hostile nesting cannot exhaust the
 * stack; every allocation size is checked for overflow; on any error the
 * partial tree is freed and the offset of the offending byte reported.
 */
#include "json.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
	const unsigned char *start, *p, *end;
	int depth;
	char *err;
	size_t err_size;
	int failed;
} parser;

static void fail(parser *ps, const char *what)
{
	if (ps->failed)
		return;          /* keep the first, innermost message */
	ps->failed = 1;
	if (ps->err != NULL && ps->err_size > 0)
		snprintf(ps->err, ps->err_size, "JSON: %s at byte %zu", what,
		    (size_t)(ps->p - ps->start));
}

static void skip_ws(parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
	    *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static json_value *new_value(parser *ps, enum json_type t)
{
	json_value *v = calloc(1, sizeof(*v));

	if (v == NULL)
		fail(ps, "out of memory");
	else
		v->type = t;
	return v;
}

/* Grow *arr (of elem-sized items, *cap of them) to hold n + 1 items. */
static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *q;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	if (ncap < *cap || ncap > SIZE_MAX / elem)
		return -1;
	q = realloc(*arr, ncap * elem);
	if (q == NULL)
		return -1;
	*arr = q;
	*cap = ncap;
	return 0;
}

static json_value *parse_value(parser *ps);

static int literal(parser *ps, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) {
		fail(ps, "invalid literal");
		return -1;
	}
	ps->p += n;
	return 0;
}

static int hex4(const unsigned char *s, unsigned *out)
{
	unsigned v = 0;
	int i, d;

	for (i = 0; i < 4; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else if (s[i] >= 'A' && s[i] <= 'F')
			d = s[i] - 'A' + 10;
		else
			return -1;
		v = v * 16 + (unsigned)d;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(unsigned char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xC0 | (cp >> 6));
		o[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xE0 | (cp >> 12));
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (unsigned char)(0xF0 | (cp >> 18));
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

/*
 * Length of the well-formed UTF-8 sequence at s (at most avail bytes),
 * or 0 if it is malformed: overlong forms, surrogates and code points
 * above U+10FFFF are refused (RFC 3629).
 */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
	unsigned c = s[0];
	size_t n, i;
	unsigned cp, min;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		cp = c & 0x1F;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		cp = c & 0x0F;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		cp = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

/*
 * A string starting at the opening quote.  Decoding never makes it
 * longer than its source text, so one buffer of the source length is
 * enough.
 */
static char *parse_string(parser *ps, size_t *out_len)
{
	const unsigned char *q;
	unsigned char *buf, *o;
	unsigned cp, lo;
	size_t n;

	ps->p++;                                  /* opening quote */
	for (q = ps->p; q < ps->end && *q != '"'; q++)
		if (*q == '\\' && q + 1 < ps->end)
			q++;
	if (q >= ps->end) {
		fail(ps, "unterminated string");
		return NULL;
	}
	buf = malloc((size_t)(q - ps->p) + 1);
	if (buf == NULL) {
		fail(ps, "out of memory");
		return NULL;
	}
	o = buf;
	while (*ps->p != '"') {
		if (*ps->p < 0x20) {
			fail(ps, "control character in string");
			goto bad;
		}
		if (*ps->p != '\\') {
			n = utf8_len(ps->p, (size_t)(ps->end - ps->p));
			if (n == 0) {
				fail(ps, "invalid UTF-8 in string");
				goto bad;
			}
			memcpy(o, ps->p, n);
			o += n;
			ps->p += n;
			continue;
		}
		ps->p++;          /* the loop above ensured a byte follows */
		switch (*ps->p) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			if (ps->end - ps->p < 5 || hex4(ps->p + 1, &cp) != 0) {
				fail(ps, "bad \\u escape");
				goto bad;
			}
			ps->p += 4;
			if (cp >= 0xDC00 && cp <= 0xDFFF) {
				fail(ps, "lone low surrogate");
				goto bad;
			}
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				/* A high surrogate must be followed by \u and a
				   low surrogate. */
				if (ps->end - ps->p < 7 || ps->p[1] != '\\' ||
				    ps->p[2] != 'u' || hex4(ps->p + 3, &lo) != 0 ||
				    lo < 0xDC00 || lo > 0xDFFF) {
					fail(ps, "unpaired high surrogate");
					goto bad;
				}
				ps->p += 6;
				cp = 0x10000 + ((cp - 0xD800) << 10) +
				    (lo - 0xDC00);
			}
			o += put_utf8(o, cp);
			break;
		default:
			fail(ps, "unknown escape");
			goto bad;
		}
		ps->p++;
	}
	ps->p++;                                  /* closing quote */
	*o = '\0';
	*out_len = (size_t)(o - buf);
	return (char *)buf;
bad:
	free(buf);
	return NULL;
}

static json_value *parse_number(parser *ps)
{
	const unsigned char *s = ps->p;
	json_value *v;
	char *copy, *endp;
	size_t n;

	if (ps->p < ps->end && *ps->p == '-')
		ps->p++;
	if (ps->p < ps->end && *ps->p == '0') {
		ps->p++;
	} else if (ps->p < ps->end && *ps->p >= '1' && *ps->p <= '9') {
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	} else {
		fail(ps, "invalid number");
		return NULL;
	}
	if (ps->p < ps->end && *ps->p == '.') {
		ps->p++;
		if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') {
			fail(ps, "invalid fraction");
			return NULL;
		}
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') {
			fail(ps, "invalid exponent");
			return NULL;
		}
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	/* strtod needs a terminated copy; the grammar is already checked. */
	n = (size_t)(ps->p - s);
	copy = malloc(n + 1);
	v = copy != NULL ? new_value(ps, JSON_NUMBER) : NULL;
	if (v == NULL) {
		free(copy);
		fail(ps, "out of memory");
		return NULL;
	}
	memcpy(copy, s, n);
	copy[n] = '\0';
	v->number = strtod(copy, &endp);
	free(copy);
	return v;
}

static json_value *parse_array(parser *ps)
{
	json_value *v = new_value(ps, JSON_ARRAY), *item;
	size_t cap = 0;

	if (v == NULL)
		return NULL;
	ps->p++;                                  /* [ */
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		return v;
	}
	for (;;) {
		item = parse_value(ps);
		if (item == NULL)
			goto bad;
		if (grow((void **)&v->items, &cap, v->len,
		    sizeof(*v->items)) != 0) {
			json_free(item);
			fail(ps, "out of memory");
			goto bad;
		}
		v->items[v->len++] = item;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == ']') {
			ps->p++;
			return v;
		}
		fail(ps, "expected ',' or ']'");
		goto bad;
	}
bad:
	json_free(v);
	return NULL;
}

static json_value *parse_object(parser *ps)
{
	json_value *v = new_value(ps, JSON_OBJECT), *item;
	size_t cap = 0, klen = 0;
	char *key;

	if (v == NULL)
		return NULL;
	ps->p++;                                  /* { */
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		return v;
	}
	for (;;) {
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != '"') {
			fail(ps, "expected a member name");
			goto bad;
		}
		key = parse_string(ps, &klen);
		if (key == NULL)
			goto bad;
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != ':') {
			free(key);
			fail(ps, "expected ':'");
			goto bad;
		}
		ps->p++;
		item = parse_value(ps);
		if (item == NULL) {
			free(key);
			goto bad;
		}
		if (grow((void **)&v->members, &cap, v->len,
		    sizeof(*v->members)) != 0) {
			free(key);
			json_free(item);
			fail(ps, "out of memory");
			goto bad;
		}
		v->members[v->len].key = key;
		v->members[v->len].key_len = klen;
		v->members[v->len].value = item;
		v->len++;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == '}') {
			ps->p++;
			return v;
		}
		fail(ps, "expected ',' or '}'");
		goto bad;
	}
bad:
	json_free(v);
	return NULL;
}

static json_value *parse_value(parser *ps)
{
	json_value *v = NULL;

	skip_ws(ps);
	if (ps->p >= ps->end) {
		fail(ps, "unexpected end of input");
		return NULL;
	}
	if (++ps->depth > JSON_MAX_DEPTH) {
		fail(ps, "nesting too deep");
		return NULL;
	}
	switch (*ps->p) {
	case '{':
		v = parse_object(ps);
		break;
	case '[':
		v = parse_array(ps);
		break;
	case '"':
		v = new_value(ps, JSON_STRING);
		if (v != NULL && (v->str = parse_string(ps, &v->len)) == NULL) {
			free(v);
			v = NULL;
		}
		break;
	case 't':
		if (literal(ps, "true") == 0)
			v = new_value(ps, JSON_TRUE);
		break;
	case 'f':
		if (literal(ps, "false") == 0)
			v = new_value(ps, JSON_FALSE);
		break;
	case 'n':
		if (literal(ps, "null") == 0)
			v = new_value(ps, JSON_NULL);
		break;
	default:
		if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
			v = parse_number(ps);
		else
			fail(ps, "unexpected character");
		break;
	}
	ps->depth--;
	return v;
}

json_value *json_parse(const char *text, size_t len, char *err,
    size_t err_size)
{
	parser ps;
	json_value *v;

	memset(&ps, 0, sizeof(ps));
	ps.start = ps.p = (const unsigned char *)text;
	ps.end = ps.start + len;
	ps.err = err;
	ps.err_size = err_size;
	if (err != NULL && err_size > 0)
		err[0] = '\0';
	if (text == NULL) {
		ps.end = ps.p;
		fail(&ps, "no input");
		return NULL;
	}
	v = parse_value(&ps);
	if (v == NULL)
		return NULL;
	skip_ws(&ps);
	if (ps.p != ps.end) {
		fail(&ps, "trailing data after the value");
		json_free(v);
		return NULL;
	}
	return v;
}

void json_free(json_value *v)
{
	size_t i;

	if (v == NULL)
		return;
	if (v->type == JSON_ARRAY) {
		for (i = 0; i < v->len; i++)
			json_free(v->items[i]);
		free(v->items);
	} else if (v->type == JSON_OBJECT) {
		for (i = 0; i < v->len; i++) {
			free(v->members[i].key);
			json_free(v->members[i].value);
		}
		free(v->members);
	}
	free(v->str);
	free(v);
}

const json_value *json_get(const json_value *obj, const char *key)
{
	size_t i, klen;

	if (obj == NULL || obj->type != JSON_OBJECT || key == NULL)
		return NULL;
	klen = strlen(key);
	for (i = 0; i < obj->len; i++)
		if (obj->members[i].key_len == klen &&
		    memcmp(obj->members[i].key, key, klen) == 0)
			return obj->members[i].value;
	return NULL;
}

const char *json_str(const json_value *v)
{
	return v != NULL && v->type == JSON_STRING ? v->str : NULL;
}

size_t json_count(const json_value *v)
{
	return v != NULL && v->type == JSON_ARRAY ? v->len : 0;
}

const json_value *json_at(const json_value *v, size_t i)
{
	return v != NULL && v->type == JSON_ARRAY && i < v->len ?
	    v->items[i] : NULL;
}
