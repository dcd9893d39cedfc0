/*
 * verify.c - our certificate policy on top of the engine's chain check.
 * Engine-neutral: it sees the leaf through ussl_leaf_view and the whole
 * chain as DER (ussl_chain), so every engine applies the same rules:
 *
 *   - host name and IP address matching (RFC 9525 / RFC 6125 rules);
 *   - the extended key usage the role needs;
 *   - name constraints (RFC 5280 4.2.1.10) of every CA over the
 *     certificates below it: DNS, IP, e-mail and directory names;
 *   - the RFC 5280 / CA/B Forum profile rules the engines let through
 *     (a CA certificate as leaf, v1 and v2 certificates, duplicate or
 *     wrongly critical extensions, weak key forms, CN not a copy of a
 *     SAN, ...).
 *
 * The default is strict.  The context's USSL_RELAX_* flags (ctx->relax)
 * each bring back one group of older practice: CN-only leaves, leaves
 * without EKU, CA certificates shaped like roots still in use.
 * docs/limbo.md explains each rule by the x509-limbo cases behind it.
 */
#include <string.h>

#include "engine.h"
#include "internal.h"

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Strict dotted quad: four decimal parts 0-255, no leading zeros. */
static int parse_ipv4(const char *s, unsigned char out[4])
{
	int part, digits, i;

	for (i = 0; i < 4; i++) {
		part = 0;
		digits = 0;
		while (*s >= '0' && *s <= '9') {
			if (digits > 0 && part == 0)
				return -1;
			part = part * 10 + (*s++ - '0');
			if (++digits > 3 || part > 255)
				return -1;
		}
		if (digits == 0)
			return -1;
		out[i] = (unsigned char)part;
		if (i < 3 && *s++ != '.')
			return -1;
	}
	return *s == '\0' ? 0 : -1;
}

/* RFC 4291 text form, with "::" and an optional trailing dotted quad. */
static int parse_ipv6(const char *s, unsigned char out[16])
{
	unsigned char buf[16];
	int n = 0, gap = -1, v, digits;

	if (s[0] == ':' && s[1] == ':') {
		gap = 0;
		s += 2;
	}
	while (*s != '\0') {
		if (n >= 16)
			return -1;
		if (strchr(s, '.') != NULL && strchr(s, ':') == NULL) {
			if (n > 12 || parse_ipv4(s, buf + n) != 0)
				return -1;
			n += 4;
			break;
		}
		v = 0;
		for (digits = 0; hexval(*s) >= 0; digits++, s++) {
			if (digits == 4)
				return -1;
			v = v * 16 + hexval(*s);
		}
		if (digits == 0)
			return -1;
		buf[n++] = (unsigned char)(v >> 8);
		buf[n++] = (unsigned char)v;
		if (*s == ':') {
			s++;
			if (*s == ':') {
				if (gap >= 0)
					return -1;
				gap = n;
				s++;
			} else if (*s == '\0') {
				return -1;
			}
		} else if (*s != '\0') {
			return -1;
		}
	}
	if (gap >= 0) {
		if (n == 16)
			return -1;
		memset(out, 0, 16);
		memcpy(out, buf, (size_t)gap);
		memcpy(out + 16 - (n - gap), buf + gap, (size_t)(n - gap));
	} else {
		if (n != 16)
			return -1;
		memcpy(out, buf, 16);
	}
	return 0;
}

int ussl_parse_ip(const char *s, unsigned char out[16], size_t *len)
{
	if (parse_ipv4(s, out) == 0) {
		*len = 4;
		return 0;
	}
	if (strchr(s, ':') != NULL && parse_ipv6(s, out) == 0) {
		*len = 16;
		return 0;
	}
	return -1;
}

int ussl_name_set(ussl_peer_name *n, const char *host)
{
	size_t len = strlen(host);

	n->host = USSL_CALLOC(1, len + 1);
	if (n->host == NULL)
		return USSL_ERROR;
	memcpy(n->host, host, len + 1);
	n->is_ip = ussl_parse_ip(host, n->ip, &n->ip_len) == 0;
	return USSL_OK;
}

void ussl_name_free(ussl_peer_name *n)
{
	USSL_FREE(n->host);
	n->host = NULL;
}

/* ---------------------------------------------------------------------- */
/* Host names                                                              */

/* Case-insensitive comparison of two byte runs of the same length. */
static int same_ci(const unsigned char *a, const unsigned char *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (lower(a[i]) != lower(b[i]))
			return 0;
	return 1;
}

/* A certificate label run against part of the host the caller gave. */
static int same(const unsigned char *a, const char *b, size_t len)
{
	return same_ci(a, (const unsigned char *)b, len);
}

static int is_ldh(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

/*
 * Is s[0..len) a DNS name in the "preferred name syntax" that RFC 5280
 * (4.2.1.6) demands of a dNSName: labels of 1 to 63 letters, digits and
 * hyphens, not starting or ending with a hyphen, 253 bytes at most; one
 * trailing dot is tolerated.  With wildcard set, a first label of just
 * "*" is allowed too.  Anything else (underscores, spaces, NUL bytes,
 * non-ASCII, empty labels, partial wildcards) is not a host name, and
 * a certificate name that is not one never matches.
 */
static int dns_valid(const unsigned char *s, size_t len, int wildcard)
{
	size_t i, label = 0;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (wildcard && len >= 2 && s[0] == '*' && s[1] == '.') {
		s += 2;
		len -= 2;
	}
	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
		} else if (!is_ldh(s[i]) || (label == 0 && s[i] == '-') ||
		    ++label > 63) {
			return 0;
		}
	}
	return label > 0 && s[len - 1] != '-';
}

/*
 * A DNS name from a certificate against the host the caller asked for.
 * Both must be valid host names (dns_valid).  Wildcards: only a whole
 * left-most label "*", matching exactly one non-empty label, and never
 * directly below a top-level label ("*.com").  One trailing dot on
 * either side is ignored.
 */
int ussl_dns_match(const unsigned char *pat, size_t pat_len,
    const char *host)
{
	size_t host_len = strlen(host), i, dots = 0;
	const char *rest;

	if (!dns_valid(pat, pat_len, 1) ||
	    !dns_valid((const unsigned char *)host, host_len, 0))
		return 0;
	if (pat[pat_len - 1] == '.')
		pat_len--;
	if (host[host_len - 1] == '.')
		host_len--;
	if (pat[0] == '*') {
		for (i = 2; i < pat_len; i++)
			dots += pat[i] == '.';
		if (dots == 0)
			return 0;
		rest = memchr(host, '.', host_len);
		if (rest == NULL || rest == host)
			return 0;
		return (size_t)(host + host_len - rest) == pat_len - 1 &&
		    same(pat + 1, rest, pat_len - 1);
	}
	return pat_len == host_len && same(pat, host, host_len);
}

static int name_matches(const ussl_peer_name *name, const ussl_leaf_view *v,
    unsigned relax)
{
	const void *it = NULL;
	const unsigned char *p;
	size_t len;
	int type;

	while (v->next_san != NULL && v->next_san(v->cert, &it, &type, &p,
	    &len)) {
		if (type == USSL_SAN_IP && name->is_ip) {
			if (len == name->ip_len &&
			    memcmp(p, name->ip, len) == 0)
				return 1;
		} else if (type == USSL_SAN_DNS) {
			if (!name->is_ip && ussl_dns_match(p, len, name->host))
				return 1;
		}
	}
	/* The subject CN counts only when asked for (USSL_RELAX_CN_ONLY:
	   CN-only certificates are what common tools still make; RFC 9525
	   and the CA/B BR want a SAN), only for a DNS name and only when the
	   certificate has no subjectAltName at all. */
	if (!(relax & USSL_RELAX_CN_ONLY) || name->is_ip || v->has_san ||
	    v->cn == NULL)
		return 0;
	return ussl_dns_match(v->cn, v->cn_len, name->host) &&
	    v->cn[0] != '*';
}

/* ---------------------------------------------------------------------- */
/* A small DER reader                                                      */

/*
 * The chain rules read the certificates themselves, so that every engine
 * applies them alike whatever its own parser exposes.  The engine has
 * already parsed each certificate; whatever this reader cannot follow is
 * a reason to reject, never to guess.
 */
typedef struct span {
	const unsigned char *p;
	size_t len;
} span;

#define T_BOOLEAN   0x01u
#define T_INTEGER   0x02u
#define T_BITSTRING 0x03u
#define T_OCTETS    0x04u
#define T_OID       0x06u
#define T_SEQ       0x30u
#define T_SET       0x31u
#define T_CTX(n)    (0x80u | (n))   /* [n] IMPLICIT, primitive */
#define T_CTXC(n)   (0xA0u | (n))   /* [n], constructed */

/* Take the next element off *in: its tag and contents.  Definite
   lengths only, at most four length bytes. */
static int der_take(span *in, unsigned *tag, span *val)
{
	size_t len, i = 2, n;

	if (in->len < 2 || (in->p[0] & 0x1F) == 0x1F)
		return -1;
	*tag = in->p[0];
	len = in->p[1];
	if (len & 0x80) {
		n = len & 0x7F;
		if (n == 0 || n > 4 || in->len - 2 < n)
			return -1;
		for (len = 0; n > 0; n--)
			len = (len << 8) | in->p[i++];
	}
	if (len > in->len - i)
		return -1;
	val->p = in->p + i;
	val->len = len;
	in->p += i + len;
	in->len -= i + len;
	return 0;
}

static int der_want(span *in, unsigned tag, span *val)
{
	unsigned t;

	return der_take(in, &t, val) == 0 && t == tag ? 0 : -1;
}

static int der_next_is(const span *in, unsigned tag)
{
	return in->len > 0 && in->p[0] == tag;
}

static int span_is(span a, const unsigned char *b, size_t len)
{
	return a.len == len && memcmp(a.p, b, len) == 0;
}

#define SPAN_IS(s, oid) span_is((s), (oid), sizeof(oid))

static int all_zero(span s)
{
	size_t i;

	for (i = 0; i < s.len; i++)
		if (s.p[i] != 0)
			return 0;
	return 1;
}

/* Object identifiers, DER contents. */
static const unsigned char OID_AIA[] = { 0x2B, 6, 1, 5, 5, 7, 1, 1 };
static const unsigned char OID_KP_SERVER[] = { 0x2B, 6, 1, 5, 5, 7, 3, 1 };
static const unsigned char OID_KP_CLIENT[] = { 0x2B, 6, 1, 5, 5, 7, 3, 2 };
static const unsigned char OID_KP_ANY[] = { 0x55, 0x1D, 0x25, 0x00 };
static const unsigned char OID_CN[] = { 0x55, 0x04, 0x03 };
static const unsigned char OID_EMAIL[] = {
	0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x01 };
static const unsigned char OID_RSA[] = {
	0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01 };
static const unsigned char OID_RSA_PSS[] = {
	0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0A };
static const unsigned char OID_EC[] = { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 2, 1 };
/* Named curves below 128-bit security: secp192r1, secp192k1,
   secp224k1, secp224r1. */
static const unsigned char OID_P192[] = {
	0x2A, 0x86, 0x48, 0xCE, 0x3D, 3, 1, 1 };
static const unsigned char OID_K192[] = { 0x2B, 0x81, 0x04, 0x00, 0x1F };
static const unsigned char OID_K224[] = { 0x2B, 0x81, 0x04, 0x00, 0x20 };
static const unsigned char OID_P224[] = { 0x2B, 0x81, 0x04, 0x00, 0x21 };

/* The extensions the rules look at; the others (2.5.29.x) by last arc. */
enum { X_SKI, X_KU, X_SAN, X_BC, X_NC, X_AKI, X_PC, X_EKU, X_AIA, X_COUNT };
static const unsigned char ce_arc[X_AIA] = { 14, 15, 17, 19, 30, 35, 36, 37 };

#define HAS(c, x)  (((c)->seen >> (x)) & 1u)
#define CRIT(c, x) (((c)->crit >> (x)) & 1u)

/* A certificate has no business with more extensions than this. */
#define MAX_EXTENSIONS 64

/* What the chain rules need of one certificate. */
typedef struct cert_info {
	int version;              /* 1, 2 or 3 */
	span serial;              /* INTEGER contents */
	span issuer, subject;     /* Name contents: the RDNs */
	span key_alg;             /* subjectPublicKeyInfo algorithm OID */
	unsigned key_param_tag;   /* its parameters' tag, 0 if absent */
	span key_param;
	span key;                 /* subjectPublicKey, unused-bits byte cut */
	unsigned seen, crit;      /* X_* bits */
	span ext[X_COUNT];        /* extnValue contents */
	int dup_ext;              /* one extension twice */
	int ca, has_pathlen;      /* basicConstraints */
	unsigned char ku[2];      /* keyUsage bits 0-15, as encoded */
	int self_issued;          /* issuer and subject are the same bytes */
	int self_signed;          /* its own key verifies it (trust anchors
	                             without AKI only: see ussl_verify_chain) */
} cert_info;

static int ext_kind(span oid)
{
	int k;

	if (SPAN_IS(oid, OID_AIA))
		return X_AIA;
	if (oid.len != 3 || oid.p[0] != 0x55 || oid.p[1] != 0x1D)
		return -1;
	for (k = 0; k < X_AIA; k++)
		if (oid.p[2] == ce_arc[k])
			return k;
	return -1;
}

/* Does an extension with OID oid come before `end` in the list? */
static int ext_repeated(span list, const unsigned char *end, span oid)
{
	span e, o;

	while (list.p < end && der_want(&list, T_SEQ, &e) == 0 &&
	    der_want(&e, T_OID, &o) == 0)
		if (o.len == oid.len && memcmp(o.p, oid.p, o.len) == 0)
			return 1;
	return 0;
}

static int read_extensions(cert_info *ci, span all)
{
	span list, e, oid, val, b;
	int k, n = 0, crit;

	if (der_want(&all, T_SEQ, &list) || all.len != 0 || list.len == 0)
		return -1;
	for (all = list; list.len > 0; ) {
		const unsigned char *at = list.p;

		if (der_want(&list, T_SEQ, &e) || der_want(&e, T_OID, &oid))
			return -1;
		crit = 0;
		if (der_next_is(&e, T_BOOLEAN)) {
			if (der_want(&e, T_BOOLEAN, &b) || b.len != 1)
				return -1;
			crit = b.p[0] != 0;
		}
		if (der_want(&e, T_OCTETS, &val) || e.len != 0 ||
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
	span v, seq, b;

	if (HAS(ci, X_BC)) {
		v = ci->ext[X_BC];
		if (der_want(&v, T_SEQ, &seq) || v.len != 0)
			return -1;
		if (der_next_is(&seq, T_BOOLEAN)) {
			if (der_want(&seq, T_BOOLEAN, &b) || b.len != 1)
				return -1;
			ci->ca = b.p[0] != 0;
		}
		if (der_next_is(&seq, T_INTEGER)) {
			if (der_want(&seq, T_INTEGER, &b) || b.len == 0 ||
			    (b.p[0] & 0x80))
				return -1;
			ci->has_pathlen = 1;
		}
		if (seq.len != 0)
			return -1;
	}
	if (HAS(ci, X_KU)) {
		v = ci->ext[X_KU];
		if (der_want(&v, T_BITSTRING, &b) || v.len != 0 || b.len < 2 ||
		    b.p[0] > 7)
			return -1;
		ci->ku[0] = b.p[1];
		ci->ku[1] = b.len > 2 ? b.p[2] : 0;
		if (ci->ku[0] == 0 && ci->ku[1] == 0)
			return -1;        /* at least one bit (RFC 5280 4.2.1.3) */
	}
	return 0;
}

static int read_cert(const unsigned char *der, size_t len, cert_info *ci)
{
	span in, cert, tbs, s, alg, spki, val;
	unsigned tag;

	memset(ci, 0, sizeof(*ci));
	in.p = der;
	in.len = len;
	if (der == NULL || der_want(&in, T_SEQ, &cert) ||
	    der_want(&cert, T_SEQ, &tbs))
		return -1;
	ci->version = 1;
	if (der_next_is(&tbs, T_CTXC(0))) {
		if (der_take(&tbs, &tag, &s) || der_want(&s, T_INTEGER, &val) ||
		    s.len != 0 || val.len != 1 || val.p[0] > 2)
			return -1;
		ci->version = val.p[0] + 1;
	}
	if (der_want(&tbs, T_INTEGER, &ci->serial) ||
	    der_want(&tbs, T_SEQ, &s) ||                  /* signature */
	    der_want(&tbs, T_SEQ, &ci->issuer) ||
	    der_want(&tbs, T_SEQ, &s) ||                  /* validity */
	    der_want(&tbs, T_SEQ, &ci->subject) ||
	    der_want(&tbs, T_SEQ, &spki) ||
	    der_want(&spki, T_SEQ, &alg) ||
	    der_want(&alg, T_OID, &ci->key_alg) ||
	    der_want(&spki, T_BITSTRING, &val) || spki.len != 0 ||
	    val.len < 1 || val.p[0] != 0)
		return -1;
	if (alg.len > 0 && (der_take(&alg, &ci->key_param_tag,
	    &ci->key_param) || alg.len != 0))
		return -1;
	ci->key.p = val.p + 1;
	ci->key.len = val.len - 1;
	ci->self_issued = ci->issuer.len == ci->subject.len &&
	    memcmp(ci->issuer.p, ci->subject.p, ci->issuer.len) == 0;
	/* issuerUniqueID, subjectUniqueID: only in v2 and v3. */
	if (der_next_is(&tbs, T_CTX(1)) && der_take(&tbs, &tag, &s))
		return -1;
	if (der_next_is(&tbs, T_CTX(2)) && der_take(&tbs, &tag, &s))
		return -1;
	if (der_next_is(&tbs, T_CTXC(3))) {
		if (ci->version != 3 || der_take(&tbs, &tag, &s) ||
		    read_extensions(ci, s) != 0)
			return -1;
	}
	if (tbs.len != 0)
		return -1;
	return read_bc_ku(ci);
}

/* keyUsage bit n: 0 digitalSignature, 5 keyCertSign. */
static int ku_bit(const cert_info *ci, int n)
{
	return (ci->ku[n / 8] & (0x80 >> (n % 8))) != 0;
}

#define EKU_SERVER 1u
#define EKU_CLIENT 2u
#define EKU_ANY    4u

/* The purposes in extKeyUsage; -1 if it is malformed or empty. */
static int eku_bits(const cert_info *ci, unsigned *bits)
{
	span v = ci->ext[X_EKU], seq, oid;

	*bits = 0;
	if (der_want(&v, T_SEQ, &seq) || v.len != 0 || seq.len == 0)
		return -1;
	while (seq.len > 0) {
		if (der_want(&seq, T_OID, &oid))
			return -1;
		if (SPAN_IS(oid, OID_KP_SERVER))
			*bits |= EKU_SERVER;
		else if (SPAN_IS(oid, OID_KP_CLIENT))
			*bits |= EKU_CLIENT;
		else if (SPAN_IS(oid, OID_KP_ANY))
			*bits |= EKU_ANY;
	}
	return 0;
}

/* Iterate the attributes of a Name (its RDN contents). */
typedef struct name_iter {
	span rdns, set;
} name_iter;

static void name_begin(name_iter *it, span name)
{
	it->rdns = name;
	it->set.p = NULL;
	it->set.len = 0;
}

/* 1 with the attribute's type and value, 0 at the end, -1 if broken. */
static int name_next(name_iter *it, span *oid, span *val)
{
	span atv;
	unsigned tag;

	while (it->set.len == 0) {
		if (it->rdns.len == 0)
			return 0;
		if (der_want(&it->rdns, T_SET, &it->set) || it->set.len == 0)
			return -1;
	}
	if (der_want(&it->set, T_SEQ, &atv) || der_want(&atv, T_OID, oid) ||
	    der_take(&atv, &tag, val) || atv.len != 0)
		return -1;
	return 1;
}

/* ---------------------------------------------------------------------- */
/* Extension and key rules                                                 */

/* authorityKeyIdentifier: some content, and authorityCertIssuer with
   authorityCertSerialNumber or neither (RFC 5280 4.2.1.1).  *keyid is
   set to the keyIdentifier (len 0 if absent), *names to whether the
   issuer and serial are there. */
static int aki_valid(const cert_info *ci, span *keyid, int *names)
{
	span v = ci->ext[X_AKI], seq, f;
	int issuer = 0, serial = 0;

	keyid->p = NULL;
	keyid->len = 0;
	*names = 0;
	if (der_want(&v, T_SEQ, &seq) || v.len != 0 || seq.len == 0)
		return 0;
	if (der_next_is(&seq, T_CTX(0)) && der_want(&seq, T_CTX(0), keyid))
		return 0;
	if (der_next_is(&seq, T_CTXC(1))) {
		if (der_want(&seq, T_CTXC(1), &f))
			return 0;
		issuer = 1;
	}
	if (der_next_is(&seq, T_CTX(2))) {
		if (der_want(&seq, T_CTX(2), &f))
			return 0;
		serial = 1;
	}
	*names = issuer;
	return seq.len == 0 && issuer == serial;
}

static int ski_get(const cert_info *ci, span *ski)
{
	span v = ci->ext[X_SKI];

	return der_want(&v, T_OCTETS, ski) == 0 && v.len == 0 && ski->len > 0;
}

/* authorityInfoAccess: one or more AccessDescriptions (RFC 5280 4.2.2.1). */
static int aia_valid(const cert_info *ci)
{
	span v = ci->ext[X_AIA], seq, ad, oid, gn;
	unsigned tag;

	if (der_want(&v, T_SEQ, &seq) || v.len != 0 || seq.len == 0)
		return 0;
	while (seq.len > 0)
		if (der_want(&seq, T_SEQ, &ad) || der_want(&ad, T_OID, &oid) ||
		    der_take(&ad, &tag, &gn) || ad.len != 0)
			return 0;
	return 1;
}

/*
 * Keys the Web PKI (CA/B Forum BR 6.1.5, 7.1.3.1) does not allow and
 * that the engines may still take: RSA moduli whose length is not a
 * whole number of bytes, EC keys on curves below 128-bit strength or
 * with explicit parameters.  (Short RSA keys are the engines' job.)
 */
static unsigned key_flags(const cert_info *ci)
{
	span k = ci->key, rsa, n;

	if (SPAN_IS(ci->key_alg, OID_RSA) || SPAN_IS(ci->key_alg, OID_RSA_PSS)) {
		if (der_want(&k, T_SEQ, &rsa) || der_want(&rsa, T_INTEGER, &n))
			return USSL_VFY_BAD_KEY;
		while (n.len > 0 && n.p[0] == 0) {
			n.p++;
			n.len--;
		}
		/* A multiple of 8 bits: the top bit of the top byte is set. */
		if (n.len == 0 || !(n.p[0] & 0x80))
			return USSL_VFY_BAD_KEY;
	}
	if (SPAN_IS(ci->key_alg, OID_EC)) {
		if (ci->key_param_tag != T_OID ||
		    SPAN_IS(ci->key_param, OID_P192) ||
		    SPAN_IS(ci->key_param, OID_K192) ||
		    SPAN_IS(ci->key_param, OID_K224) ||
		    SPAN_IS(ci->key_param, OID_P224))
			return USSL_VFY_BAD_KEY;
	}
	return 0;
}

/* serialNumber: positive, at most 20 octets (RFC 5280 4.1.2.2; one
   more when that is a leading zero, which CAs commonly encode). */
static int serial_valid(span s)
{
	if (s.len == 0 || (s.p[0] & 0x80) || all_zero(s))
		return 0;
	return s.len <= 20 || (s.len == 21 && s.p[0] == 0);
}

/* ---------------------------------------------------------------------- */
/* Name forms used by name constraints                                     */

enum { GN_OTHER = 0, GN_EMAIL = 1, GN_DNS = 2, GN_DIR = 4, GN_IP = 7 };

/* Budget of subtree visits per chain: a quadratic flood of names and
   constraints is rejected rather than evaluated. */
#define NC_BUDGET 262144ul

/* Strip one trailing dot. */
static size_t dns_len(const unsigned char *s, size_t len)
{
	return len > 0 && s[len - 1] == '.' ? len - 1 : len;
}

/* Is name (no wildcard) inside the DNS subtree c: c itself or below it? */
static int dns_within(const unsigned char *n, size_t nl,
    const unsigned char *c, size_t cl)
{
	nl = dns_len(n, nl);
	cl = dns_len(c, cl);
	if (cl == 0)
		return 1;                 /* an empty constraint is every name */
	if (nl < cl || !same_ci(n + nl - cl, c, cl))
		return 0;
	return nl == cl || n[nl - cl - 1] == '.';
}

/*
 * A dNSName against one DNS subtree.  A wildcard name "*.B" stands for
 * every one-label name under B: it is permitted only when all of them
 * are (B inside the subtree), and excluded when any of them is (B inside
 * the subtree, or the subtree exactly one label below B).  Otherwise a
 * wildcard could reach a name the constraint forbids (CVE-2025-61727).
 */
static int dns_constraint(span name, span c, int excluded)
{
	const unsigned char *b;
	size_t bl, cl, i;

	if (name.len < 2 || name.p[0] != '*')
		return dns_within(name.p, name.len, c.p, c.len);
	b = name.p + 2;
	bl = dns_len(b, name.len - 2);
	if (dns_within(b, bl, c.p, c.len))
		return 1;
	if (!excluded)
		return 0;
	cl = dns_len(c.p, c.len);
	if (cl <= bl + 1 || !dns_within(c.p, cl, b, bl))
		return 0;
	for (i = 0; i < cl - bl - 1; i++)
		if (c.p[i] == '.')
			return 0;
	return 1;
}

/* local@domain with printable ASCII, one '@' and a valid domain. */
static int email_valid(span s, int constraint)
{
	const unsigned char *at = NULL;
	size_t i;

	for (i = 0; i < s.len; i++) {
		if (s.p[i] <= 0x20 || s.p[i] >= 0x7F)
			return 0;
		if (s.p[i] == '@') {
			if (at != NULL)
				return 0;
			at = s.p + i;
		}
	}
	if (at == NULL) {
		/* A constraint may be a host, or a domain with a leading
		   dot for every host below it. */
		if (!constraint)
			return 0;
		if (s.len > 0 && s.p[0] == '.')
			return dns_valid(s.p + 1, s.len - 1, 0);
		return dns_valid(s.p, s.len, 0);
	}
	return at > s.p && dns_valid(at + 1, (size_t)(s.p + s.len - at - 1), 0);
}

/* rfc822Name against a constraint (RFC 5280 4.2.1.10): a mailbox
   matches exactly (the local part case-sensitively), a host all of its
   mailboxes, ".domain" every host below the domain. */
static int email_constraint(span name, span c)
{
	const unsigned char *at = memchr(name.p, '@', name.len);
	const unsigned char *dom = at + 1;
	size_t dl = (size_t)(name.p + name.len - dom), local = (size_t)(at - name.p);

	if (memchr(c.p, '@', c.len) != NULL)
		return c.len == name.len && memcmp(c.p, name.p, local + 1) == 0 &&
		    same_ci(c.p + local + 1, dom, dl);
	if (c.len > 0 && c.p[0] == '.')
		return dl > c.len - 1 && dns_within(dom, dl, c.p + 1, c.len - 1);
	return dns_len(dom, dl) == dns_len(c.p, c.len) &&
	    same_ci(dom, c.p, dns_len(c.p, c.len));
}

/* IP constraint: address and mask of the same family, mask contiguous. */
static int ip_constraint_valid(span c)
{
	size_t i, half = c.len / 2;
	int zero = 0, b;

	if (c.len != 8 && c.len != 32)
		return 0;
	for (i = half; i < c.len; i++) {
		for (b = 7; b >= 0; b--) {
			if (c.p[i] & (1 << b)) {
				if (zero)
					return 0;
			} else {
				zero = 1;
			}
		}
	}
	return 1;
}

static int ip_within(span ip, span c)
{
	size_t i;

	if (c.len != 2 * ip.len)
		return 0;                 /* the other address family */
	for (i = 0; i < ip.len; i++)
		if ((ip.p[i] & c.p[ip.len + i]) != (c.p[i] & c.p[ip.len + i]))
			return 0;
	return 1;
}

/* The RDNs of the constraint are the first RDNs of the name. */
static int dn_within(span name, span c)
{
	span a, b;
	unsigned ta, tb;
	const unsigned char *pa, *pb;

	while (c.len > 0) {
		pa = name.p;
		pb = c.p;
		if (der_take(&c, &tb, &b))
			return -1;
		if (name.len == 0)
			return 0;
		if (der_take(&name, &ta, &a))
			return -1;
		if ((size_t)(name.p - pa) != (size_t)(c.p - pb) ||
		    memcmp(pa, pb, (size_t)(c.p - pb)) != 0)
			return 0;
	}
	return 1;
}

/* The contents of the Name inside a directoryName ([4] EXPLICIT). */
static int dir_name(span v, span *rdns)
{
	return der_want(&v, T_SEQ, rdns) == 0 && v.len == 0 ? 0 : -1;
}

/* Is a constraint's base well formed for its form? */
static int nc_base_valid(unsigned tag, span base)
{
	span rdns;

	switch (tag) {
	case T_CTX(GN_DNS):
		return base.len == 0 || dns_valid(base.p, base.len, 0);
	case T_CTX(GN_EMAIL):
		return email_valid(base, 1);
	case T_CTX(GN_IP):
		return ip_constraint_valid(base);
	case T_CTXC(GN_DIR):
		return dir_name(base, &rdns) == 0;
	case T_CTXC(0): case T_CTXC(3): case T_CTXC(5):    /* otherName, */
	case T_CTX(6): case T_CTX(8):       /* x400, edi, URI, registeredID */
		return 1;         /* not evaluated: names of these forms fail */
	default:
		return 0;
	}
}

/*
 * nameConstraints well formed (RFC 5280 4.2.1.10, CA/B BR 7.1.2.5.2):
 * permitted and/or excluded subtrees, each list non-empty, minimum 0
 * and no maximum, every base valid for its form.
 */
static int nc_valid(span nc)
{
	span seq, part, sub, base, m;
	unsigned tag, ptag, last = 0;

	if (der_want(&nc, T_SEQ, &seq) || nc.len != 0 || seq.len == 0)
		return 0;
	while (seq.len > 0) {
		if (der_take(&seq, &ptag, &part) || part.len == 0 ||
		    (ptag != T_CTXC(0) && ptag != T_CTXC(1)) || ptag <= last)
			return 0;
		last = ptag;
		while (part.len > 0) {
			if (der_want(&part, T_SEQ, &sub) ||
			    der_take(&sub, &tag, &base) ||
			    !nc_base_valid(tag, base))
				return 0;
			if (der_next_is(&sub, T_CTX(0)) &&
			    (der_want(&sub, T_CTX(0), &m) || !all_zero(m)))
				return 0;
			if (sub.len != 0)
				return 0;
		}
	}
	return 1;
}

/*
 * One name of form `form` against one base: 1 inside, 0 outside, -1
 * when it cannot be decided (a malformed name, a form we do not
 * evaluate).  RFC 5280 lets us reject what we cannot process.
 */
static int gn_within(int form, span name, span base, int excluded)
{
	span rdns;

	switch (form) {
	case GN_DNS:
		if (!dns_valid(name.p, name.len, 1))
			return -1;
		return dns_constraint(name, base, excluded);
	case GN_EMAIL:
		if (!email_valid(name, 0))
			return -1;
		return email_constraint(name, base);
	case GN_IP:
		if (name.len != 4 && name.len != 16)
			return -1;
		return ip_within(name, base);
	case GN_DIR:
		return dir_name(base, &rdns) ? -1 : dn_within(name, rdns);
	default:
		return -1;
	}
}

/* 0 when the name satisfies the constraints nc, -1 when it does not or
   cannot be checked.  Subtrees of other forms do not concern it. */
static int nc_check_name(span nc, int form, span name, unsigned long *budget)
{
	span seq, part, sub, base;
	unsigned tag, ptag;
	int has_permitted = 0, permitted = 0, m;

	if (der_want(&nc, T_SEQ, &seq))
		return -1;
	while (seq.len > 0) {
		if (der_take(&seq, &ptag, &part))
			return -1;
		while (part.len > 0) {
			if (*budget == 0)
				return -1;
			(*budget)--;
			if (der_want(&part, T_SEQ, &sub) ||
			    der_take(&sub, &tag, &base))
				return -1;
			if ((int)(tag & 0x1F) != form)
				continue;
			m = gn_within(form, name, base, ptag == T_CTXC(1));
			if (m < 0 || (m && ptag == T_CTXC(1)))
				return -1;
			if (ptag == T_CTXC(0)) {
				has_permitted = 1;
				permitted |= m;
			}
		}
	}
	return has_permitted && !permitted ? -1 : 0;
}

/*
 * Every name of certificate c under the constraints nc: its subject (a
 * directoryName) and the e-mail addresses in it, its subjectAltName
 * entries, and - for a server leaf without subjectAltName, whose CN may
 * stand in as host name - the CNs that are host names.
 */
static int nc_check_cert(span nc, const cert_info *c, int cn_as_host,
    unsigned long *budget)
{
	name_iter it;
	span oid, val, list, gn;
	unsigned tag;
	int r;

	if (c->subject.len > 0 &&
	    nc_check_name(nc, GN_DIR, c->subject, budget) != 0)
		return -1;
	name_begin(&it, c->subject);
	while ((r = name_next(&it, &oid, &val)) > 0) {
		if (SPAN_IS(oid, OID_EMAIL) &&
		    nc_check_name(nc, GN_EMAIL, val, budget) != 0)
			return -1;
		if (cn_as_host && SPAN_IS(oid, OID_CN) &&
		    dns_valid(val.p, val.len, 1) &&
		    nc_check_name(nc, GN_DNS, val, budget) != 0)
			return -1;
	}
	if (r < 0)
		return -1;
	if (!HAS(c, X_SAN))
		return 0;
	val = c->ext[X_SAN];
	if (der_want(&val, T_SEQ, &list) || val.len != 0)
		return -1;
	while (list.len > 0) {
		if (der_take(&list, &tag, &gn))
			return -1;
		if ((tag & 0x1F) == GN_DIR && dir_name(gn, &gn) != 0)
			return -1;
		if (nc_check_name(nc, (int)(tag & 0x1F), gn, budget) != 0)
			return -1;
	}
	return 0;
}

/*
 * Name constraints of every CA in the chain (the trust anchor's too)
 * over every certificate below it, self-issued intermediates excepted
 * (RFC 5280 6.1.3 b/c, 4.2.1.10).  Each CA's constraints apply on their
 * own, so a lower CA cannot widen what a higher one allowed.
 */
static unsigned name_constraints(const ussl_vstate *vs, const cert_info *ci,
    size_t n)
{
	unsigned long budget = NC_BUDGET;
	size_t i, j;

	for (j = 1; j < n; j++) {
		if (!HAS(&ci[j], X_NC))
			continue;
		for (i = 0; i < j; i++) {
			if (i > 0 && ci[i].self_issued)
				continue;
			if (nc_check_cert(ci[j].ext[X_NC], &ci[i], i == 0 &&
			    vs->role == USSL_CLIENT && !HAS(&ci[i], X_SAN),
			    &budget) != 0)
				return USSL_VFY_POLICY;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* The server certificate's subject CN                                     */

/* Text form of an IP address as RFC 5952 (IPv6) or dotted quad writes
   it; out holds at least 46 bytes. */
static void ip_text(const unsigned char *ip, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	int g[8], i, best = -1, best_len = 1, run, k;
	char *o = out;

	if (len == 4) {
		/* By hand: bare-metal hosts (MicroPython) may lack sprintf. */
		for (i = 0; i < 4; i++) {
			if (ip[i] >= 100)
				*o++ = (char)('0' + ip[i] / 100);
			if (ip[i] >= 10)
				*o++ = (char)('0' + ip[i] / 10 % 10);
			*o++ = (char)('0' + ip[i] % 10);
			*o++ = i < 3 ? '.' : '\0';
		}
		return;
	}
	for (i = 0; i < 8; i++)
		g[i] = ip[2 * i] << 8 | ip[2 * i + 1];
	/* The first longest run of two or more zero groups becomes "::". */
	for (i = 0; i < 8; i += run > 0 ? run : 1) {
		for (run = 0; i + run < 8 && g[i + run] == 0; run++)
			;
		if (run > best_len) {
			best = i;
			best_len = run;
		}
	}
	for (i = 0; i < 8; i++) {
		if (i == best) {
			*o++ = ':';
			if (i == 0)
				*o++ = ':';
			i += best_len - 1;
			continue;
		}
		for (k = 12; k > 0 && (g[i] >> k) == 0; k -= 4)
			;
		for (; k >= 0; k -= 4)
			*o++ = hex[(g[i] >> k) & 15];
		if (i < 7)
			*o++ = ':';
	}
	*o = '\0';
}

/* How a CN reads: CN_IP for an address in any text form ("0xC0A80101",
   "2001:DB8::1"), CN_HOST for a host name, 0 for a label such as
   "My Server", "kube-apiserver" or "system:node:x", which names nothing. */
#define CN_HOST 1
#define CN_IP 2

static int cn_kind(span v)
{
	size_t i;
	int host = v.len > 0, ip = v.len > 0, dot = 0, colon = 0, digit = 0;

	for (i = 0; i < v.len; i++) {
		unsigned char c = v.p[i];

		dot |= c == '.';
		colon |= c == ':';
		digit |= c >= '0' && c <= '9';
		if (!is_ldh(c) && c != '.' && c != '*' && c != '_' && c < 0x80)
			host = 0;
		if (hexval(c) < 0 && c != '.' && c != ':' && c != 'x' &&
		    c != 'X')
			ip = 0;
	}
	if (ip && digit && (dot || colon || (v.len > 2 && v.p[0] == '0' &&
	    lower(v.p[1]) == 'x')))
		return CN_IP;
	return host && dot ? CN_HOST : 0;
}

/* Byte-for-byte: is a equal to b, or below it by whole labels? */
static int below_or_same(span a, span b)
{
	if (a.len < b.len || memcmp(a.p + a.len - b.len, b.p, b.len) != 0)
		return 0;
	return a.len == b.len || (b.len > 0 && a.p[a.len - b.len - 1] == '.');
}

/*
 * CA/B BR 7.1.4.3: a server certificate's CN, when it names a host or an
 * address, repeats what the subjectAltName says.  An address must be the
 * canonical text (dotted quad, RFC 5952) of an iPAddress entry; a host
 * name must be byte-for-byte one of the dNSNames, or their parent domain
 * or a host below one (a wildcard counting as its domain): certificates
 * commonly carry CN=example.com over SANs of hosts in example.com.  A CN
 * in another case, as a U-label or for a sibling host is refused: it is
 * a name the CA did not vouch for as the SAN shows it.  Certificates
 * with no SAN entry of the CN's kind are left alone.
 */
static unsigned cn_rules(const cert_info *c)
{
	name_iter it;
	span oid, val, v, list, gn, base;
	unsigned tag;
	char text[48];
	int r, kind, found, any;

	if (!HAS(c, X_SAN))
		return 0;
	name_begin(&it, c->subject);
	while ((r = name_next(&it, &oid, &val)) > 0) {
		if (!SPAN_IS(oid, OID_CN) || (kind = cn_kind(val)) == 0)
			continue;
		v = c->ext[X_SAN];
		if (der_want(&v, T_SEQ, &list))
			return USSL_VFY_POLICY;
		for (found = any = 0; !found && list.len > 0; ) {
			if (der_take(&list, &tag, &gn))
				return USSL_VFY_POLICY;
			if (kind == CN_HOST && tag == T_CTX(GN_DNS)) {
				any = 1;
				base = gn;
				if (base.len >= 2 && base.p[0] == '*') {
					base.p += 2;
					base.len -= 2;
				}
				found = below_or_same(val, base) ||
				    below_or_same(base, val);
			} else if (kind == CN_IP && tag == T_CTX(GN_IP) &&
			    (gn.len == 4 || gn.len == 16)) {
				any = 1;
				ip_text(gn.p, gn.len, text);
				found = strlen(text) == val.len &&
				    memcmp(text, val.p, val.len) == 0;
			}
		}
		if (any && !found)
			return USSL_VFY_POLICY;
	}
	return r < 0 ? USSL_VFY_POLICY : 0;
}

/* ---------------------------------------------------------------------- */
/* The chain rules                                                         */

/*
 * RFC 5280's CA profile, where roots still in use break it (docs/limbo.md
 * names some): basicConstraints and nameConstraints critical (4.2.1.9,
 * 4.2.1.10; the CA/B BR allow non-critical name constraints), a
 * subjectKeyIdentifier (4.2.1.2), an authorityKeyIdentifier unless the
 * certificate is self-issued (4.2.1.1) and with a keyIdentifier only
 * (CA/B BR 7.1.2.1.3, 7.1.2.2.5).  USSL_RELAX_LEGACY_CA lets these
 * through; intermediates still need an SKI and an AKI (cert_rules).
 */
static unsigned legacy_ca_rules(const cert_info *c, int top)
{
	span keyid;
	int names = 0;

	if ((HAS(c, X_BC) && !CRIT(c, X_BC)) ||
	    (HAS(c, X_NC) && !CRIT(c, X_NC)) || !HAS(c, X_SKI))
		return USSL_VFY_POLICY;
	if (HAS(c, X_AKI) && aki_valid(c, &keyid, &names) && names)
		return USSL_VFY_POLICY;
	/* A trust anchor another CA issued (a cross-signed root) names its
	   issuer's key like any issued certificate. */
	if (top && !HAS(c, X_AKI) && !c->self_issued && !c->self_signed)
		return USSL_VFY_POLICY;
	return 0;
}

/*
 * The leaf's profile where certificates that common tools make break it:
 * `openssl x509 -req` without an extension file makes X.509 v1
 * certificates (CA/B BR 7.1.1: v3), and older tools leaves without AKI
 * (RFC 5280 4.2.1.1: every issued certificate has one; a self-issued
 * one, such as a self-signed certificate trusted directly, may go
 * without).  USSL_RELAX_CN_ONLY lets these through.
 */
static unsigned cn_only_rules(const cert_info *c)
{
	if (c->version == 1 || (!HAS(c, X_AKI) && !c->self_issued))
		return USSL_VFY_POLICY;
	return 0;
}

/*
 * Rules for certificate i of n (0: the leaf, n - 1: the top, the trust
 * anchor of a trusted chain).  The engines check signatures, validity,
 * the CA bit and key usage of issuers, path lengths and key sizes; these
 * are the RFC 5280 and CA/B Forum rules they let through.  relax holds
 * the context's USSL_RELAX_* flags.
 */
static unsigned cert_rules(const ussl_vstate *vs, const cert_info *ci,
    size_t i, size_t n, unsigned relax)
{
	const cert_info *c = &ci[i];
	int leaf = i == 0, top = i == n - 1;
	int server = vs->role == USSL_CLIENT;
	unsigned f = 0, eku = 0, role = server ? EKU_SERVER : EKU_CLIENT;
	span keyid, ski;
	int names;

	f |= key_flags(c);
	/* Structure: v2 is obsolete (CA/B BR 7.1.1 wants v3), extensions
	   appear once (4.2), and these are never critical. */
	if (c->version == 2 || c->dup_ext ||
	    (c->crit & (1u << X_AKI | 1u << X_SKI | 1u << X_AIA)))
		f |= USSL_VFY_POLICY;
	/* Names: an issuer always; an empty subject only with a critical
	   subjectAltName (4.1.2.4, 4.1.2.6). */
	if (c->issuer.len == 0 ||
	    (c->subject.len == 0 && (!HAS(c, X_SAN) || !CRIT(c, X_SAN))))
		f |= USSL_VFY_POLICY;
	/* Signing certificates is for CAs only (4.2.1.3, 4.2.1.9). */
	if ((HAS(c, X_KU) && ku_bit(c, 5) && !c->ca) ||
	    (c->has_pathlen && (!c->ca || (HAS(c, X_KU) && !ku_bit(c, 5)))))
		f |= USSL_VFY_POLICY;
	if (HAS(c, X_NC) && (!c->ca || !nc_valid(c->ext[X_NC])))
		f |= USSL_VFY_POLICY;
	if ((HAS(c, X_PC) && !CRIT(c, X_PC)) ||
	    (HAS(c, X_AKI) && !aki_valid(c, &keyid, &names)) ||
	    (HAS(c, X_SKI) && !ski_get(c, &ski)) ||
	    (HAS(c, X_AIA) && !aia_valid(c)) ||
	    (HAS(c, X_EKU) && eku_bits(c, &eku) != 0))
		f |= USSL_VFY_POLICY;
	/* The serial of every certificate but the trust anchor. */
	if (!top && !serial_valid(c->serial))
		f |= USSL_VFY_POLICY;
	if (!leaf) {
		/* An issuer: named; an intermediate identified for path
		   building (4.2.1.1, 4.2.1.2); its EKU, if any, allowing the
		   role, and a root with no EKU at all (CA/B BR 7.1.2.1.2). */
		if (c->subject.len == 0 || (!top && (!HAS(c, X_SKI) ||
		    (!HAS(c, X_AKI) && !c->self_issued))))
			f |= USSL_VFY_POLICY;
		if (HAS(c, X_EKU) && ((top && c->self_issued) ||
		    !(eku & (role | EKU_ANY))))
			f |= USSL_VFY_BAD_USAGE;
		if (top && c->self_issued && HAS(c, X_AKI) && HAS(c, X_SKI) &&
		    aki_valid(c, &keyid, &names) && ski_get(c, &ski) &&
		    keyid.len > 0 && (keyid.len != ski.len ||
		    memcmp(keyid.p, ski.p, ski.len) != 0))
			f |= USSL_VFY_POLICY;
		if (!(relax & USSL_RELAX_LEGACY_CA))
			f |= legacy_ca_rules(c, top);
		return f;
	}
	/* The leaf.  A CA certificate is no end entity (CA/B BR 7.1.2.7.8)
	   unless it is itself the trust anchor: a self-signed certificate
	   that the user trusts directly. */
	if (c->ca && n > 1)
		f |= USSL_VFY_POLICY;
	/* Every suite we offer signs with the leaf's key. */
	if (HAS(c, X_KU) && !ku_bit(c, 0))
		f |= USSL_VFY_BAD_USAGE;
	if (!(relax & USSL_RELAX_CN_ONLY))
		f |= cn_only_rules(c);
	/* A purpose named (CA/B BR 7.1.2.7.10), where RFC 5280 (4.2.1.12)
	   lets a leaf without EKU serve any (USSL_RELAX_NO_EKU).  A v1
	   certificate has no extensions at all: taking it as a CN-only
	   certificate (USSL_RELAX_CN_ONLY) takes it without EKU too. */
	if (!HAS(c, X_EKU) && !(relax & USSL_RELAX_NO_EKU) &&
	    !(c->version == 1 && (relax & USSL_RELAX_CN_ONLY)))
		f |= USSL_VFY_BAD_USAGE;
	if (server) {
		/* Web PKI server profile (CA/B BR 7.1.2.7): no critical or
		   "any" EKU, a critical SAN only with an empty subject, and
		   a CN that copies a SAN entry. */
		if (HAS(c, X_EKU) && (CRIT(c, X_EKU) || (eku & EKU_ANY)))
			f |= USSL_VFY_BAD_USAGE;
		if (HAS(c, X_SAN) && CRIT(c, X_SAN) && c->subject.len > 0)
			f |= USSL_VFY_POLICY;
		f |= cn_rules(c);
	}
	return f;
}

static unsigned chain_rules(const ussl_vstate *vs, const ussl_chain *ch,
    unsigned relax)
{
	cert_info *ci;
	unsigned f = 0;
	size_t i;

	if (ch->overflow || ch->n == 0 || ch->n > USSL_CHAIN_MAX)
		return USSL_VFY_POLICY;
	ci = USSL_CALLOC(ch->n, sizeof(*ci));
	if (ci == NULL)
		return USSL_VFY_OTHER;
	for (i = 0; i < ch->n; i++) {
		if (read_cert(ch->der[i], ch->len[i], &ci[i]) != 0) {
			f |= USSL_VFY_POLICY;
			goto out;
		}
	}
	/* A root without AKI whose issuer name differs from its subject may
	   still be self-signed (a renamed root): the signature tells. */
	i = ch->n - 1;
	if (!HAS(&ci[i], X_AKI) && !ci[i].self_issued)
		ci[i].self_signed = eng_cert_self_signed(ch->der[i], ch->len[i]);
	for (i = 0; i < ch->n; i++)
		f |= cert_rules(vs, ci, i, ch->n, relax);
	f |= name_constraints(vs, ci, ch->n);
out:
	USSL_FREE(ci);
	return f;
}

void ussl_chain_note(ussl_chain *c, int depth, const unsigned char *der,
    size_t len)
{
	if (depth < 0 || depth >= USSL_CHAIN_MAX) {
		c->overflow = 1;
		return;
	}
	c->der[depth] = der;
	c->len[depth] = len;
	if ((size_t)depth + 1 > c->n)
		c->n = (size_t)depth + 1;
}

unsigned ussl_verify_leaf(const ussl_vstate *vs, const ussl_leaf_view *v)
{
	unsigned flags = 0;
	unsigned relax = vs->ctx != NULL ? vs->ctx->relax : 0;
	int ok;

	if (vs->name != NULL && vs->name->host != NULL &&
	    !name_matches(vs->name, v, relax))
		flags |= USSL_VFY_NAME_MISMATCH;
	/* The role's purpose, named: "any" serves for client certificates
	   (enterprise PKIs use it), not for servers (see cert_rules). */
	if (v->has_eku) {
		ok = vs->role == USSL_CLIENT ? v->eku_server :
		    v->eku_client || v->eku_any;
		if (!ok)
			flags |= USSL_VFY_BAD_USAGE;
	}
	if (v->chain != NULL)
		flags |= chain_rules(vs, v->chain, relax);
	return flags;
}

int64_t ussl_epoch(int year, int mon, int day, int hour, int min, int sec)
{
	/* Days from civil (H. Hinnant's algorithm). */
	int64_t y = year - (mon <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = era * 146097 + doe - 719468;

	return days * 86400 + hour * 3600 + min * 60 + sec;
}
