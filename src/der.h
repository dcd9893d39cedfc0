/*
 * der.h - the core's one DER reader, for certificates as peers send
 * them: the verification policy (verify*.c) and the certificate
 * description (certinfo.c) read with it.  Engine-neutral, allocation-
 * free, standard C only.  Every length is checked against the enclosing
 * element before anything is touched; what it cannot follow is an
 * error, never a guess.
 */
#ifndef USSL_DER_H
#define USSL_DER_H

#include <stddef.h>

/* A run of bytes: an element's contents, or what is left to read. */
typedef struct ussl_span {
	const unsigned char *p;
	size_t len;
} ussl_span;

#define DER_BOOLEAN   0x01u
#define DER_INTEGER   0x02u
#define DER_BITSTRING 0x03u
#define DER_OCTETS    0x04u
#define DER_OID       0x06u
#define DER_UTF8      0x0cu
#define DER_NUMERIC   0x12u
#define DER_PRINTABLE 0x13u
#define DER_T61       0x14u
#define DER_IA5       0x16u
#define DER_UTCTIME   0x17u
#define DER_GENTIME   0x18u
#define DER_VISIBLE   0x1au
#define DER_UNIVERSAL 0x1cu
#define DER_BMP       0x1eu
#define DER_SEQ       0x30u
#define DER_SET       0x31u
#define DER_CTX(n)    (0x80u | (n))   /* [n] IMPLICIT, primitive */
#define DER_CTXC(n)   (0xA0u | (n))   /* [n], constructed */

/*
 * Take the next element off *in: its tag in *tag, its contents in *val.
 * Definite lengths of at most four octets and low tag numbers only (all
 * that DER certificates use).  0, or -1 if malformed (in unchanged).
 */
int ussl_der_take(ussl_span *in, unsigned *tag, ussl_span *val);
/* ussl_der_take() that also insists on the tag. */
int ussl_der_want(ussl_span *in, unsigned tag, ussl_span *val);
/* The tag of the next element, -1 when nothing is left. */
int ussl_der_peek(const ussl_span *in);
/* Does the next element have this tag? */
int ussl_der_next_is(const ussl_span *in, unsigned tag);

/* Are a's bytes exactly b[0..len)? */
int ussl_span_is(ussl_span a, const unsigned char *b, size_t len);
#define USSL_SPAN_IS(s, bytes) ussl_span_is((s), (bytes), sizeof(bytes))
/* Is every byte zero (true for an empty span)? */
int ussl_span_zero(ussl_span s);

/* The attributes of a Name (its RDN contents), in order. */
typedef struct ussl_name_iter {
	ussl_span rdns, set;
} ussl_name_iter;

void ussl_name_begin(ussl_name_iter *it, ussl_span name);
/* 1 with the attribute's type (OID contents) and value (the string's
   contents, whatever its tag: *tag if tag is not NULL), 0 at the end,
   -1 if the Name is malformed (an empty RDN included). */
int ussl_name_next(ussl_name_iter *it, ussl_span *oid, ussl_span *val,
    unsigned *tag);

#endif /* USSL_DER_H */
