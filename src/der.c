/*
 * der.c - the core's one DER reader (see der.h).
 */
#include <string.h>

#include "der.h"

int ussl_der_take(ussl_span *in, unsigned *tag, ussl_span *val)
{
	size_t len, hdr = 2, n, i;

	if (in->len < 2 || (in->p[0] & 0x1Fu) == 0x1Fu)
		return -1;
	len = in->p[1];
	if (len & 0x80u) {
		n = len & 0x7Fu;
		if (n == 0 || n > 4 || in->len - 2 < n)
			return -1;
		for (len = 0, i = 0; i < n; i++)
			len = (len << 8) | in->p[2 + i];
		hdr += n;
	}
	if (len > in->len - hdr)
		return -1;
	*tag = in->p[0];
	val->p = in->p + hdr;
	val->len = len;
	in->p += hdr + len;
	in->len -= hdr + len;
	return 0;
}

int ussl_der_want(ussl_span *in, unsigned tag, ussl_span *val)
{
	ussl_span save = *in;
	unsigned t;

	if (ussl_der_take(in, &t, val) != 0)
		return -1;
	if (t != tag) {
		*in = save;
		return -1;
	}
	return 0;
}

int ussl_der_peek(const ussl_span *in)
{
	return in->len > 0 ? (int)in->p[0] : -1;
}

int ussl_der_next_is(const ussl_span *in, unsigned tag)
{
	return in->len > 0 && in->p[0] == tag;
}

int ussl_span_is(ussl_span a, const unsigned char *b, size_t len)
{
	return a.len == len && (len == 0 || memcmp(a.p, b, len) == 0);
}

int ussl_span_zero(ussl_span s)
{
	size_t i;

	for (i = 0; i < s.len; i++)
		if (s.p[i] != 0)
			return 0;
	return 1;
}

void ussl_name_begin(ussl_name_iter *it, ussl_span name)
{
	it->rdns = name;
	it->set.p = NULL;
	it->set.len = 0;
}

int ussl_name_next(ussl_name_iter *it, ussl_span *oid, ussl_span *val,
    unsigned *tag)
{
	ussl_span atv;
	unsigned t;

	while (it->set.len == 0) {
		if (it->rdns.len == 0)
			return 0;
		if (ussl_der_want(&it->rdns, DER_SET, &it->set) ||
		    it->set.len == 0)
			return -1;
	}
	if (ussl_der_want(&it->set, DER_SEQ, &atv) ||
	    ussl_der_want(&atv, DER_OID, oid) ||
	    ussl_der_take(&atv, &t, val) || atv.len != 0)
		return -1;
	if (tag != NULL)
		*tag = t;
	return 1;
}
