/*
 * verify_cert.c - the fields of a certificate that the policy's rules
 * read, with the core's DER reader (der.h): version, serial, names, key,
 * and the extensions the rules look at, each at most once.  The engine
 * has already parsed the certificate; whatever this cannot follow is a
 * reason to reject, never to guess.
 */
#include <string.h>

#include "verify_int.h"

static int ext_kind(ussl_span oid)
{
	int k;

	if (USSL_SPAN_IS(oid, OID_AIA))
		return X_AIA;
	if (oid.len != 3 || oid.p[0] != 0x55 || oid.p[1] != 0x1D)
		return -1;
	for (k = 0; k < X_AIA; k++)
		if (oid.p[2] == ce_arc[k])
			return k;
	return -1;
}

/* Does an extension with OID oid come before `end` in the list? */
static int ext_repeated(ussl_span list, const unsigned char *end, ussl_span oid)
{
	ussl_span e, o;

	while (list.p < end && ussl_der_want(&list, DER_SEQ, &e) == 0 &&
	    ussl_der_want(&e, DER_OID, &o) == 0)
		if (o.len == oid.len && memcmp(o.p, oid.p, o.len) == 0)
			return 1;
	return 0;
}

static int read_extensions(cert_info *ci, ussl_span all)
{
	ussl_span list, e, oid, val, b;
	int k, n = 0, crit;

	if (ussl_der_want(&all, DER_SEQ, &list) || all.len != 0 ||
	    list.len == 0)
		return -1;
	for (all = list; list.len > 0; ) {
		const unsigned char *at = list.p;

		if (ussl_der_want(&list, DER_SEQ, &e) ||
		    ussl_der_want(&e, DER_OID, &oid))
			return -1;
		crit = 0;
		if (ussl_der_next_is(&e, DER_BOOLEAN)) {
			if (ussl_der_want(&e, DER_BOOLEAN, &b) || b.len != 1)
				return -1;
			crit = b.p[0] != 0;
		}
		if (ussl_der_want(&e, DER_OCTETS, &val) || e.len != 0 ||
		    ++n > MAX_EXTENSIONS)
			return -1;
		if (ext_repeated(all, at, oid))
			ci->dup_ext = 1;
		k = ext_kind(oid);
		if (k >= 0) {
			ci->seen |= 1u << k;
			ci->crit |= (unsigned)crit << k;
			ci->ext[k] = val;
		}
	}
	return 0;
}

/* basicConstraints and keyUsage, which several rules consult. */
static int read_bc_ku(cert_info *ci)
{
	ussl_span v, seq, b;

	if (HAS(ci, X_BC)) {
		v = ci->ext[X_BC];
		if (ussl_der_want(&v, DER_SEQ, &seq) || v.len != 0)
			return -1;
		if (ussl_der_next_is(&seq, DER_BOOLEAN)) {
			if (ussl_der_want(&seq, DER_BOOLEAN, &b) || b.len != 1)
				return -1;
			ci->ca = b.p[0] != 0;
		}
		if (ussl_der_next_is(&seq, DER_INTEGER)) {
			if (ussl_der_want(&seq, DER_INTEGER, &b) ||
			    b.len == 0 ||
			    (b.p[0] & 0x80))
				return -1;
			ci->has_pathlen = 1;
		}
		if (seq.len != 0)
			return -1;
	}
	if (HAS(ci, X_KU)) {
		v = ci->ext[X_KU];
		if (ussl_der_want(&v, DER_BITSTRING, &b) || v.len != 0 ||
		    b.len < 2 ||
		    b.p[0] > 7)
			return -1;
		ci->ku[0] = b.p[1];
		ci->ku[1] = b.len > 2 ? b.p[2] : 0;
		if (ci->ku[0] == 0 && ci->ku[1] == 0)
			return -1;        /* at least one bit (RFC 5280 4.2.1.3) */
	}
	return 0;
}

int ussl_x509_read(const unsigned char *der, size_t len, cert_info *ci)
{
	ussl_span in, cert, tbs, s, alg, spki, val;
	unsigned tag;

	memset(ci, 0, sizeof(*ci));
	in.p = der;
	in.len = len;
	if (der == NULL || ussl_der_want(&in, DER_SEQ, &cert) ||
	    ussl_der_want(&cert, DER_SEQ, &tbs))
		return -1;
	ci->version = 1;
	if (ussl_der_next_is(&tbs, DER_CTXC(0))) {
		if (ussl_der_take(&tbs, &tag, &s) ||
		    ussl_der_want(&s, DER_INTEGER, &val) ||
		    s.len != 0 || val.len != 1 || val.p[0] > 2)
			return -1;
		ci->version = val.p[0] + 1;
	}
	if (ussl_der_want(&tbs, DER_INTEGER, &ci->serial) ||
	    ussl_der_want(&tbs, DER_SEQ, &s) ||                  /* signature */
	    ussl_der_want(&tbs, DER_SEQ, &ci->issuer) ||
	    ussl_der_want(&tbs, DER_SEQ, &s) ||                  /* validity */
	    ussl_der_want(&tbs, DER_SEQ, &ci->subject) ||
	    ussl_der_want(&tbs, DER_SEQ, &spki) ||
	    ussl_der_want(&spki, DER_SEQ, &alg) ||
	    ussl_der_want(&alg, DER_OID, &ci->key_alg) ||
	    ussl_der_want(&spki, DER_BITSTRING, &val) || spki.len != 0 ||
	    val.len < 1 || val.p[0] != 0)
		return -1;
	if (alg.len > 0 && (ussl_der_take(&alg, &ci->key_param_tag,
	    &ci->key_param) || alg.len != 0))
		return -1;
	ci->key.p = val.p + 1;
	ci->key.len = val.len - 1;
	ci->self_issued = ci->issuer.len == ci->subject.len &&
	    memcmp(ci->issuer.p, ci->subject.p, ci->issuer.len) == 0;
	/* issuerUniqueID, subjectUniqueID: only in v2 and v3. */
	if (ussl_der_next_is(&tbs, DER_CTX(1)) && ussl_der_take(&tbs, &tag, &s))
		return -1;
	if (ussl_der_next_is(&tbs, DER_CTX(2)) && ussl_der_take(&tbs, &tag, &s))
		return -1;
	if (ussl_der_next_is(&tbs, DER_CTXC(3))) {
		if (ci->version != 3 || ussl_der_take(&tbs, &tag, &s) ||
		    read_extensions(ci, s) != 0)
			return -1;
	}
	if (tbs.len != 0)
		return -1;
	return read_bc_ku(ci);
}

/* keyUsage bit n: 0 digitalSignature, 5 keyCertSign. */
int ussl_x509_ku_bit(const cert_info *ci, int n)
{
	return (ci->ku[n / 8] & (0x80 >> (n % 8))) != 0;
}

/* The purposes in extKeyUsage; -1 if it is malformed or empty. */
int ussl_x509_eku(const cert_info *ci, unsigned *bits)
{
	ussl_span v = ci->ext[X_EKU], seq, oid;

	*bits = 0;
	if (ussl_der_want(&v, DER_SEQ, &seq) || v.len != 0 || seq.len == 0)
		return -1;
	while (seq.len > 0) {
		if (ussl_der_want(&seq, DER_OID, &oid))
			return -1;
		if (USSL_SPAN_IS(oid, OID_KP_SERVER))
			*bits |= EKU_SERVER;
		else if (USSL_SPAN_IS(oid, OID_KP_CLIENT))
			*bits |= EKU_CLIENT;
		else if (USSL_SPAN_IS(oid, OID_KP_ANY))
			*bits |= EKU_ANY;
	}
	return 0;
}


/* ---------------------------------------------------------------------- */
/* Extensions                                                              */

/* authorityKeyIdentifier: some content, and authorityCertIssuer with
   authorityCertSerialNumber or neither (RFC 5280 4.2.1.1).  *keyid is
   set to the keyIdentifier (len 0 if absent), *names to whether the
   issuer and serial are there. */
int ussl_x509_aki(const cert_info *ci, ussl_span *keyid, int *names)
{
	ussl_span v = ci->ext[X_AKI], seq, f;
	int issuer = 0, serial = 0;

	keyid->p = NULL;
	keyid->len = 0;
	*names = 0;
	if (ussl_der_want(&v, DER_SEQ, &seq) || v.len != 0 || seq.len == 0)
		return 0;
	if (ussl_der_next_is(&seq, DER_CTX(0)) &&
	    ussl_der_want(&seq, DER_CTX(0), keyid))
		return 0;
	if (ussl_der_next_is(&seq, DER_CTXC(1))) {
		if (ussl_der_want(&seq, DER_CTXC(1), &f))
			return 0;
		issuer = 1;
	}
	if (ussl_der_next_is(&seq, DER_CTX(2))) {
		if (ussl_der_want(&seq, DER_CTX(2), &f))
			return 0;
		serial = 1;
	}
	*names = issuer;
	return seq.len == 0 && issuer == serial;
}

int ussl_x509_ski(const cert_info *ci, ussl_span *ski)
{
	ussl_span v = ci->ext[X_SKI];

	return ussl_der_want(&v, DER_OCTETS, ski) == 0 && v.len == 0 &&
	    ski->len > 0;
}

/* authorityInfoAccess: one or more AccessDescriptions (RFC 5280 4.2.2.1). */
int ussl_x509_aia_ok(const cert_info *ci)
{
	ussl_span v = ci->ext[X_AIA], seq, ad, oid, gn;
	unsigned tag;

	if (ussl_der_want(&v, DER_SEQ, &seq) || v.len != 0 || seq.len == 0)
		return 0;
	while (seq.len > 0)
		if (ussl_der_want(&seq, DER_SEQ, &ad) ||
		    ussl_der_want(&ad, DER_OID, &oid) ||
		    ussl_der_take(&ad, &tag, &gn) || ad.len != 0)
			return 0;
	return 1;
}

