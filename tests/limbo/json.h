/*
 * json.h - a small, strict JSON reader (RFC 8259) for the x509-limbo
 * harness: the whole document becomes a tree of json_value nodes.
 *
 * Robust on hostile input: the input is taken with its length (no NUL
 * needed), nesting is limited (JSON_MAX_DEPTH), every size computation
 * is checked, and any error frees what was built and reports the byte
 * offset.  Strings are decoded (escapes, \uXXXX with surrogate pairs,
 * into UTF-8) and NUL-terminated; they may contain NUL bytes, so their
 * length is kept as well.
 */
#ifndef LIMBO_JSON_H
#define LIMBO_JSON_H

#include <stddef.h>

#define JSON_MAX_DEPTH 200

enum json_type {
	JSON_NULL,
	JSON_FALSE,
	JSON_TRUE,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT
};

typedef struct json_value json_value;

typedef struct json_member {
	char *key;           /* decoded, NUL-terminated */
	size_t key_len;
	json_value *value;
} json_member;

struct json_value {
	enum json_type type;
	double number;                 /* JSON_NUMBER */
	char *str;                     /* JSON_STRING: decoded, NUL-terminated */
	size_t len;                    /* string length, or item/member count */
	json_value **items;            /* JSON_ARRAY */
	json_member *members;          /* JSON_OBJECT, in document order */
};

/*
 * Parse text[0..len) as one JSON value (surrounding white space allowed).
 * Returns the tree (free it with json_free), or NULL with a message in
 * err (if err_size > 0) naming the problem and its byte offset.
 */
json_value *json_parse(const char *text, size_t len, char *err,
    size_t err_size);

void json_free(json_value *v);

/* Member of an object by key (the first one if repeated), else NULL.
   NULL or a non-object gives NULL, so look-ups can be chained. */
const json_value *json_get(const json_value *obj, const char *key);

/* The string of a JSON_STRING value, else NULL. */
const char *json_str(const json_value *v);

/* Number of items of an array, 0 for anything else. */
size_t json_count(const json_value *v);

/* Item i of an array, NULL if out of range or not an array. */
const json_value *json_at(const json_value *v, size_t i);

#endif /* LIMBO_JSON_H */
