/*
 * verify_profile.c - the profile rules of the policy: what RFC 5280 and
 * the CA/Browser Forum Baseline Requirements ask of CA and leaf
 * certificates that the engines let through (structure, extensions,
 * serials, key forms, CA certificates as leaves), and the purposes a
 * leaf may serve (keyUsage, extendedKeyUsage).  The context's
 * USSL_RELAX_* flags bring back older practice, USSL_STRICT_EKU asks for
 * the CA/B Forum leaf profile.  docs/limbo.md explains each rule by the
 * x509-limbo cases behind it.
 */
#include <string.h>

#include "verify_int.h"

/*
 * Keys the Web PKI (CA/B Forum BR 6.1.5, 7.1.3.1) does not allow and
 * that the engines may still take: RSA moduli whose length is not a
 * whole number of bytes, EC keys on curves below 128-bit strength or
 * with explicit parameters.  (Short RSA keys are the engines' job.)
 */
static unsigned key_flags(const cert_info *ci)
{
	ussl_span k = ci->key, rsa, n;

	if (USSL_SPAN_IS(ci->key_alg, OID_RSA) ||
	    USSL_SPAN_IS(ci->key_alg, OID_RSA_PSS)) {
		if (ussl_der_want(&k, DER_SEQ, &rsa) ||
		    ussl_der_want(&rsa, DER_INTEGER, &n))
			return USSL_VFY_BAD_KEY;
		while (n.len > 0 && n.p[0] == 0) {
			n.p++;
			n.len--;
		}
		/* A multiple of 8 bits: the top bit of the top byte is set. */
		if (n.len == 0 || !(n.p[0] & 0x80))
			return USSL_VFY_BAD_KEY;
	}
	if (USSL_SPAN_IS(ci->key_alg, OID_EC)) {
		if (ci->key_param_tag != DER_OID ||
		    USSL_SPAN_IS(ci->key_param, OID_P192) ||
		    USSL_SPAN_IS(ci->key_param, OID_K192) ||
		    USSL_SPAN_IS(ci->key_param, OID_K224) ||
		    USSL_SPAN_IS(ci->key_param, OID_P224))
			return USSL_VFY_BAD_KEY;
	}
	return 0;
}

/* serialNumber: positive, at most 20 octets (RFC 5280 4.1.2.2; one
   more when that is a leading zero, which CAs commonly encode). */
static int serial_valid(ussl_span s)
{
	if (s.len == 0 || (s.p[0] & 0x80) || ussl_span_zero(s))
		return 0;
	return s.len <= 20 || (s.len == 21 && s.p[0] == 0);
}

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
	ussl_span keyid;
	int names = 0;

	if ((HAS(c, X_BC) && !CRIT(c, X_BC)) ||
	    (HAS(c, X_NC) && !CRIT(c, X_NC)) || !HAS(c, X_SKI))
		return USSL_VFY_POLICY;
	if (HAS(c, X_AKI) && ussl_x509_aki(c, &keyid, &names) && names)
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

/* Set flag with the reason for it; returns flag. */
static unsigned fail(const ussl_vstate *vs, unsigned flag, const char *text)
{
	ussl_vwhy(vs, flag, text);
	return flag;
}

/*
 * The leaf's purpose.  keyUsage, when present, must allow signatures
 * (every suite we offer signs with the leaf's key).  extendedKeyUsage,
 * when present, must name the role: serverAuth for a server, clientAuth
 * or anyExtendedKeyUsage for a client (enterprise PKIs use "any"); a
 * Web PKI server certificate's EKU is neither critical nor "any" (CA/B
 * BR 7.1.2.7.10).  A leaf without EKU may serve any purpose (RFC 5280
 * 4.2.1.12), unless the context asks for the CA/B Forum leaf profile
 * (USSL_STRICT_EKU), where a purpose must be named; USSL_RELAX_NO_EKU
 * cancels that, and so does USSL_RELAX_CN_ONLY for a v1 certificate,
 * which has no extensions at all.
 */
static unsigned leaf_usage(const ussl_vstate *vs, const cert_info *c,
    unsigned eku)
{
	unsigned relax = vs->ctx != NULL ? vs->ctx->relax : 0;
	unsigned strict = vs->ctx != NULL ? vs->ctx->strict : 0;
	int server = vs->role == USSL_CLIENT;
	unsigned f = 0;

	if (HAS(c, X_KU) && !ussl_x509_ku_bit(c, 0))
		f |= fail(vs, USSL_VFY_BAD_USAGE, "keyUsage does not allow "
		    "digital signatures (digitalSignature)");
	if (!HAS(c, X_EKU)) {
		if ((strict & USSL_STRICT_EKU) &&
		    !(relax & USSL_RELAX_NO_EKU) &&
		    !(c->version == 1 && (relax & USSL_RELAX_CN_ONLY)))
			f |= fail(vs, USSL_VFY_BAD_USAGE, "no "
			    "extendedKeyUsage (required by USSL_STRICT_EKU)");
		return f;
	}
	if (server && !(eku & EKU_SERVER))
		f |= fail(vs, USSL_VFY_BAD_USAGE, "extendedKeyUsage does not "
		    "allow server authentication");
	else if (!server && !(eku & (EKU_CLIENT | EKU_ANY)))
		f |= fail(vs, USSL_VFY_BAD_USAGE, "extendedKeyUsage does not "
		    "allow client authentication");
	if (server && (CRIT(c, X_EKU) || (eku & EKU_ANY)))
		f |= fail(vs, USSL_VFY_BAD_USAGE, "extendedKeyUsage of a "
		    "server certificate is critical or anyExtendedKeyUsage");
	return f;
}

/*
 * Rules for certificate i of n (0: the leaf, n - 1: the top, the trust
 * anchor of a trusted chain).  The engines check signatures, validity,
 * the CA bit and key usage of issuers, path lengths and key sizes; these
 * are the RFC 5280 and CA/B Forum rules they let through, under the
 * context's USSL_RELAX_* and USSL_STRICT_* flags.
 */
unsigned ussl_cert_rules(const ussl_vstate *vs, const cert_info *ci,
    size_t i, size_t n)
{
	const cert_info *c = &ci[i];
	unsigned relax = vs->ctx != NULL ? vs->ctx->relax : 0;
	int leaf = i == 0, top = i == n - 1;
	int server = vs->role == USSL_CLIENT;
	unsigned f = 0, eku = 0, role = server ? EKU_SERVER : EKU_CLIENT;
	ussl_span keyid, ski;
	int names;

	f |= key_flags(c);
	/* Structure: v2 is obsolete (CA/B BR 7.1.1 wants v3), extensions
	   appear once (4.2), and these are never critical. */
	if (c->version == 2 || c->dup_ext ||
	    (c->crit & (1u << X_AKI | 1u << X_SKI | 1u << X_AIA)))
		f |= fail(vs, USSL_VFY_POLICY, "X.509 v2 certificate, or an "
		    "extension repeated or wrongly critical");
	/* Names: an issuer always; an empty subject only with a critical
	   subjectAltName (4.1.2.4, 4.1.2.6). */
	if (c->issuer.len == 0 ||
	    (c->subject.len == 0 && (!HAS(c, X_SAN) || !CRIT(c, X_SAN))))
		f |= fail(vs, USSL_VFY_POLICY, "empty issuer or subject name");
	/* Signing certificates is for CAs only (4.2.1.3, 4.2.1.9). */
	if ((HAS(c, X_KU) && ussl_x509_ku_bit(c, 5) && !c->ca) ||
	    (c->has_pathlen && (!c->ca ||
	    (HAS(c, X_KU) && !ussl_x509_ku_bit(c, 5)))))
		f |= fail(vs, USSL_VFY_POLICY, "certificate signing allowed "
		    "to a certificate that is not a CA");
	if (HAS(c, X_NC) && (!c->ca || !ussl_nc_valid(c->ext[X_NC])))
		f |= fail(vs, USSL_VFY_POLICY, "malformed nameConstraints");
	if ((HAS(c, X_PC) && !CRIT(c, X_PC)) ||
	    (HAS(c, X_AKI) && !ussl_x509_aki(c, &keyid, &names)) ||
	    (HAS(c, X_SKI) && !ussl_x509_ski(c, &ski)) ||
	    (HAS(c, X_AIA) && !ussl_x509_aia_ok(c)) ||
	    (HAS(c, X_EKU) && ussl_x509_eku(c, &eku) != 0))
		f |= fail(vs, USSL_VFY_POLICY, "malformed extension");
	/* The serial of every certificate but the trust anchor. */
	if (!top && !serial_valid(c->serial))
		f |= fail(vs, USSL_VFY_POLICY, "invalid serial number");
	if (!leaf) {
		/* An issuer: named; an intermediate identified for path
		   building (4.2.1.1, 4.2.1.2); its EKU, if any, allowing the
		   role, and a root with no EKU at all (CA/B BR 7.1.2.1.2). */
		if (c->subject.len == 0 || (!top && (!HAS(c, X_SKI) ||
		    (!HAS(c, X_AKI) && !c->self_issued))))
			f |= fail(vs, USSL_VFY_POLICY, "intermediate CA "
			    "without subject, subjectKeyIdentifier or "
			    "authorityKeyIdentifier");
		if (HAS(c, X_EKU) && top && c->self_issued)
			f |= fail(vs, USSL_VFY_BAD_USAGE, "root certificate "
			    "with extendedKeyUsage");
		else if (HAS(c, X_EKU) && !(eku & (role | EKU_ANY)))
			f |= fail(vs, USSL_VFY_BAD_USAGE, server ?
			    "an issuer's extendedKeyUsage does not allow "
			    "server authentication" : "an issuer's "
			    "extendedKeyUsage does not allow client "
			    "authentication");
		if (top && c->self_issued && HAS(c, X_AKI) && HAS(c, X_SKI) &&
		    ussl_x509_aki(c, &keyid, &names) &&
		    ussl_x509_ski(c, &ski) && keyid.len > 0 &&
		    (keyid.len != ski.len ||
		    memcmp(keyid.p, ski.p, ski.len) != 0))
			f |= fail(vs, USSL_VFY_POLICY, "self-issued root whose "
			    "authorityKeyIdentifier is not its own key");
		if (!(relax & USSL_RELAX_LEGACY_CA) && legacy_ca_rules(c, top))
			f |= fail(vs, USSL_VFY_POLICY, "CA certificate of an "
			    "older profile (USSL_RELAX_LEGACY_CA accepts it)");
		return f;
	}
	/* The leaf.  A CA certificate is no end entity (CA/B BR 7.1.2.7.8)
	   unless it is itself the trust anchor: a self-signed certificate
	   that the user trusts directly. */
	if (c->ca && n > 1)
		f |= fail(vs, USSL_VFY_POLICY, "CA certificate used as a leaf");
	if (!(relax & USSL_RELAX_CN_ONLY) && cn_only_rules(c))
		f |= fail(vs, USSL_VFY_POLICY, "X.509 v1 leaf or leaf without "
		    "authorityKeyIdentifier (USSL_RELAX_CN_ONLY accepts it)");
	f |= leaf_usage(vs, c, eku);
	if (server) {
		/* Web PKI server profile (CA/B BR 7.1.2.7): a critical SAN
		   only with an empty subject, and a CN that copies a SAN
		   entry. */
		if (HAS(c, X_SAN) && CRIT(c, X_SAN) && c->subject.len > 0)
			f |= fail(vs, USSL_VFY_POLICY, "critical "
			    "subjectAltName with a subject name");
		if (ussl_cn_rules(c))
			f |= fail(vs, USSL_VFY_POLICY, "subject CN not among "
			    "the subjectAltName entries");
	}
	return f;
}
