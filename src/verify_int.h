/*
 * verify_int.h - what the files of the verification policy share:
 * verify.c (entry points, the callback rule), verify_cert.c (reading a
 * certificate's fields), verify_names.c (host names, IP literals,
 * wildcards, the CN rules), verify_nc.c (name constraints) and
 * verify_profile.c (RFC 5280 / CA/B Forum profile rules, key usage and
 * extended key usage).  Nothing here is public API.
 */
#ifndef USSL_VERIFY_INT_H
#define USSL_VERIFY_INT_H

#include "der.h"
#include "internal.h"

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
	ussl_span serial;         /* INTEGER contents */
	ussl_span issuer, subject;   /* Name contents: the RDNs */
	ussl_span key_alg;        /* subjectPublicKeyInfo algorithm OID */
	unsigned key_param_tag;   /* its parameters' tag, 0 if absent */
	ussl_span key_param;
	ussl_span key;            /* subjectPublicKey, unused-bits byte cut */
	unsigned seen, crit;      /* X_* bits */
	ussl_span ext[X_COUNT];   /* extnValue contents */
	int dup_ext;              /* one extension twice */
	int ca, has_pathlen;      /* basicConstraints */
	unsigned char ku[2];      /* keyUsage bits 0-15, as encoded */
	int self_issued;          /* issuer and subject are the same bytes */
	int self_signed;          /* its own key verifies it (trust anchors
	                             without AKI only: see verify.c) */
} cert_info;

/* extendedKeyUsage purposes (ussl_x509_eku). */
#define EKU_SERVER 1u
#define EKU_CLIENT 2u
#define EKU_ANY    4u

/* GeneralName forms (the low bits of their tags). */
enum { GN_OTHER = 0, GN_EMAIL = 1, GN_DNS = 2, GN_DIR = 4, GN_IP = 7 };

/* verify.c: record why flag was set, if nothing was recorded yet (text
   is static). */
void ussl_vwhy(const ussl_vstate *vs, unsigned flag, const char *text);

/* verify_cert.c: read a certificate; 0, or -1 if the policy cannot
   follow it (a reason to reject, never to guess). */
int ussl_x509_read(const unsigned char *der, size_t len, cert_info *ci);
/* keyUsage bit n: 0 digitalSignature, 5 keyCertSign. */
int ussl_x509_ku_bit(const cert_info *ci, int n);
/* The EKU_* purposes in extKeyUsage; -1 if it is malformed or empty. */
int ussl_x509_eku(const cert_info *ci, unsigned *bits);
/* authorityKeyIdentifier well formed (1) or not (0); *keyid (len 0 if
   absent) and *names (issuer and serial there) filled. */
int ussl_x509_aki(const cert_info *ci, ussl_span *keyid, int *names);
/* subjectKeyIdentifier: 1 with *ski non-empty, else 0. */
int ussl_x509_ski(const cert_info *ci, ussl_span *ski);
/* authorityInfoAccess well formed. */
int ussl_x509_aia_ok(const cert_info *ci);

/* verify_names.c */
/* Case-insensitive comparison of two byte runs of the same length. */
int ussl_same_ci(const unsigned char *a, const unsigned char *b, size_t len);
/* A DNS name in RFC 5280's preferred syntax (wildcard: "*." first too). */
int ussl_dns_valid(const unsigned char *s, size_t len, int wildcard);
/* Does the leaf prove name (SAN, or the CN under USSL_RELAX_CN_ONLY)? */
int ussl_name_matches(const ussl_peer_name *name, const cert_info *leaf,
    unsigned relax);
/* CA/B BR 7.1.4.3: a server certificate's CN repeats its SAN. */
unsigned ussl_cn_rules(const cert_info *c);

/* verify_nc.c */
/* nameConstraints well formed (RFC 5280 4.2.1.10, CA/B BR 7.1.2.5.2). */
int ussl_nc_valid(ussl_span nc);
/* Every CA's name constraints over the certificates below it. */
unsigned ussl_name_constraints(const ussl_vstate *vs, const cert_info *ci,
    size_t n);

/* verify_profile.c: the rules for certificate i of n (0: the leaf). */
unsigned ussl_cert_rules(const ussl_vstate *vs, const cert_info *ci,
    size_t i, size_t n);

#endif /* USSL_VERIFY_INT_H */
