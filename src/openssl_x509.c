/*
 * openssl_x509.c - the OpenSSL engine's certificate side: parsing of
 * certificates and keys in the forms the mbedTLS engine accepts (PEM or
 * DER, several certificates per PEM buffer, the key among them,
 * encrypted keys), chain verification with our policy (verify.c) and
 * the user's callback on top of OpenSSL's chain check, and readable
 * distinguished names.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <openssl/decoder.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "openssl_engine.h"

void oeng_detail(ussl_errstate *e, unsigned long code)
{
	char text[160];

	if (code == 0)
		return;
	ERR_error_string_n(code, text, sizeof(text));
	ussl_err_append(e, "OpenSSL %s", text);
}

static int is_nomem(unsigned long code)
{
	return code != 0 && ERR_GET_REASON(code) == ERR_R_MALLOC_FAILURE;
}

/* PEM or DER is told apart the way the mbedTLS engine does it. */
static int is_pem(const unsigned char *data, size_t len)
{
	static const char marker[] = "-----BEGIN";
	size_t i;

	for (i = 0; i + sizeof(marker) - 1 <= len; i++)
		if (data[i] == '-' &&
		    memcmp(data + i, marker, sizeof(marker) - 1) == 0)
			return 1;
	return 0;
}

/* A memory BIO over caller data (read-only, not copied). */
static BIO *mem_bio(const unsigned char *data, size_t len)
{
	return len <= INT_MAX ? BIO_new_mem_buf(data, (int)len) : NULL;
}

/* Never let OpenSSL fall back to prompting on the terminal. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* ---------------------------------------------------------------------- */
/* Certificates and keys                                                   */

int oeng_parse_certs(ussl_errstate *err, const unsigned char *data,
    size_t len, const char *what, STACK_OF(X509) *out)
{
	unsigned long first = 0, last;
	const unsigned char *p = data;
	int ok = 0, bad = 0, i;
	X509 *x;
	BIO *b;

	ERR_clear_error();
	if (!is_pem(data, len)) {
		x = len <= LONG_MAX ? d2i_X509(NULL, &p, (long)len) : NULL;
		if (x != NULL && sk_X509_push(out, x) > 0)
			return USSL_OK;
		if (x != NULL) {
			X509_free(x);
			ERR_clear_error();
			return ussl_err_set(err, USSL_E_NOMEM, "out of memory");
		}
		first = ERR_peek_error();
		bad = 1;
		goto done;
	}
	if ((b = mem_bio(data, len)) == NULL)
		return ussl_err_set(err, USSL_E_NOMEM, "out of memory");
	/* Every certificate block; other blocks (a key) are skipped.  Each
	   read consumes input, the bound is only a safety net. */
	for (i = 0; i < 100000; i++) {
		x = PEM_read_bio_X509(b, NULL, no_password, NULL);
		if (x != NULL) {
			if (sk_X509_push(out, x) <= 0) {
				X509_free(x);
				BIO_free(b);
				ERR_clear_error();
				return ussl_err_set(err, USSL_E_NOMEM,
				    "out of memory");
			}
			ok++;
			continue;
		}
		last = ERR_peek_last_error();
		if (ERR_GET_LIB(last) == ERR_LIB_PEM &&
		    ERR_GET_REASON(last) == PEM_R_NO_START_LINE)
			break;          /* no further certificate */
		if (first == 0)
			first = ERR_peek_error();
		bad++;
		ERR_clear_error();
		if (BIO_eof(b))
			break;
	}
	BIO_free(b);
done:
	ERR_clear_error();
	if (is_nomem(first))
		return ussl_err_set(err, USSL_E_NOMEM, "out of memory");
	if (ok == 0) {
		ussl_err_set(err, USSL_E_BADCERT,
		    "%s: not a valid PEM or DER certificate", what);
		oeng_detail(err, first);
		return USSL_ERROR;
	}
	if (bad > 0)
		return ussl_err_set(err, USSL_E_BADCERT,
		    "%s: %d certificate(s) could not be parsed", what, bad);
	return USSL_OK;
}

struct pw {
	const char *password;
	int asked;     /* the key turned out to be encrypted */
};

static int give_password(char *buf, int size, int rwflag, void *u)
{
	struct pw *pw = u;
	size_t n;

	(void)rwflag;
	pw->asked = 1;
	if (pw->password == NULL)
		return -1;
	n = strlen(pw->password);
	if (size < 0 || n > (size_t)size)
		return -1;
	memcpy(buf, pw->password, n);
	return (int)n;
}

int oeng_parse_key(ussl_errstate *err, const unsigned char *data,
    size_t len, const char *password, EVP_PKEY **out)
{
	struct pw pw;
	OSSL_DECODER_CTX *dec;
	const unsigned char *p = data;
	size_t left = len;
	EVP_PKEY *key = NULL;
	unsigned long first;
	BIO *b;

	ERR_clear_error();
	pw.password = password;
	pw.asked = 0;
	if (is_pem(data, len)) {
		/* Skips certificate blocks before the key. */
		if ((b = mem_bio(data, len)) != NULL) {
			key = PEM_read_bio_PrivateKey(b, NULL, give_password,
			    &pw);
			BIO_free(b);
		}
	} else {
		/* PKCS#8 (encrypted or not) or a traditional key. */
		dec = OSSL_DECODER_CTX_new_for_pkey(&key, "DER", NULL, NULL,
		    EVP_PKEY_KEYPAIR, NULL, NULL);
		if (dec != NULL &&
		    OSSL_DECODER_CTX_set_pem_password_cb(dec, give_password,
		    &pw) == 1 &&
		    OSSL_DECODER_from_data(dec, &p, &left) != 1) {
			EVP_PKEY_free(key);
			key = NULL;
		}
		OSSL_DECODER_CTX_free(dec);
	}
	if (key != NULL) {
		ERR_clear_error();
		*out = key;
		return USSL_OK;
	}
	first = ERR_peek_error();
	ERR_clear_error();
	if (is_nomem(first))
		return ussl_err_set(err, USSL_E_NOMEM, "out of memory");
	if (pw.asked && password == NULL)
		ussl_err_set(err, USSL_E_BADKEY,
		    "private key is encrypted and no password given");
	else if (pw.asked)
		ussl_err_set(err, USSL_E_BADKEY,
		    "wrong password for the private key");
	else
		ussl_err_set(err, USSL_E_BADKEY,
		    "not a valid PEM or DER private key");
	oeng_detail(err, first);
	return USSL_ERROR;
}

/* ---------------------------------------------------------------------- */
/* Verification                                                            */

unsigned oeng_vflags(long e)
{
	switch (e) {
	case X509_V_OK:
		return 0;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return USSL_VFY_EXPIRED;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return USSL_VFY_NOT_YET_VALID;
	/* No valid path to a trust anchor.  mbedTLS, too, reports a parent
	   that may not sign (not a CA, path length, key usage) as "not
	   trusted", because it never becomes a parent. */
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_UNTRUSTED:
	case X509_V_ERR_CERT_REJECTED:
	case X509_V_ERR_CERT_CHAIN_TOO_LONG:
	case X509_V_ERR_PATH_LENGTH_EXCEEDED:
	case X509_V_ERR_INVALID_CA:
	case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
	case X509_V_ERR_PATH_LOOP:
		return USSL_VFY_UNTRUSTED;
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
	case X509_V_ERR_EMAIL_MISMATCH:
		return USSL_VFY_NAME_MISMATCH;
	case X509_V_ERR_INVALID_PURPOSE:
	case X509_V_ERR_KEYUSAGE_NO_DIGITAL_SIGNATURE:
		return USSL_VFY_BAD_USAGE;
	case X509_V_ERR_CERT_REVOKED:
		return USSL_VFY_REVOKED;
	/* An invalid signature: mbedTLS finds no parent (untrusted);
	   the flag for the signature itself is added. */
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
	case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
		return USSL_VFY_BAD_SIGNATURE | USSL_VFY_UNTRUSTED;
	case X509_V_ERR_CA_MD_TOO_WEAK:
		return USSL_VFY_BAD_SIGNATURE;
	case X509_V_ERR_EE_KEY_TOO_SMALL:
	case X509_V_ERR_CA_KEY_TOO_SMALL:
	case X509_V_ERR_EC_KEY_EXPLICIT_PARAMS:
	case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
		return USSL_VFY_BAD_KEY;
	case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION:
	case X509_V_ERR_INVALID_EXTENSION:
	case X509_V_ERR_INVALID_POLICY_EXTENSION:
	case X509_V_ERR_NO_EXPLICIT_POLICY:
	case X509_V_ERR_INVALID_NON_CA:
	case X509_V_ERR_PERMITTED_VIOLATION:
	case X509_V_ERR_EXCLUDED_VIOLATION:
	case X509_V_ERR_SUBTREE_MINMAX:
	case X509_V_ERR_UNSUPPORTED_CONSTRAINT_TYPE:
	case X509_V_ERR_UNSUPPORTED_CONSTRAINT_SYNTAX:
	case X509_V_ERR_UNSUPPORTED_NAME_SYNTAX:
	case X509_V_ERR_UNSUPPORTED_EXTENSION_FEATURE:
		return USSL_VFY_POLICY;
	default:
		return USSL_VFY_OTHER;
	}
}

/* The X509 error recorded for rejected flags.  OpenSSL derives the
   alert it sends from it; the order follows the mbedTLS engine's choice
   of alert (unknown CA, expired, bad certificate, ...). */
static long vflags_error(unsigned f)
{
	if (f & (USSL_VFY_OTHER | USSL_VFY_POLICY))
		return X509_V_ERR_APPLICATION_VERIFICATION;
	if (f & USSL_VFY_NAME_MISMATCH)
		return X509_V_ERR_HOSTNAME_MISMATCH;
	if (f & USSL_VFY_BAD_USAGE)
		return X509_V_ERR_INVALID_PURPOSE;
	if (f & USSL_VFY_BAD_KEY)
		return X509_V_ERR_EE_KEY_TOO_SMALL;
	if (f & USSL_VFY_EXPIRED)
		return X509_V_ERR_CERT_HAS_EXPIRED;
	if (f & USSL_VFY_REVOKED)
		return X509_V_ERR_CERT_REVOKED;
	if (f & USSL_VFY_BAD_SIGNATURE)
		return X509_V_ERR_CERT_SIGNATURE_FAILURE;
	if (f & USSL_VFY_UNTRUSTED)
		return X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;
	if (f & USSL_VFY_NOT_YET_VALID)
		return X509_V_ERR_CERT_NOT_YET_VALID;
	return X509_V_ERR_APPLICATION_VERIFICATION;
}

/* Failures by depth during one verification; deeper ones are folded
   into the last slot (the depth limit keeps chains far shorter). */
#define MAX_DEPTH USSL_CHAIN_MAX

struct vrun {
	unsigned flags[MAX_DEPTH];
};

/* Checks that OpenSSL makes but that are judged by rules shared with
   the mbedTLS engine instead: validity times (cert_flags: both bounds
   inclusive, as RFC 5280 and mbedTLS have them, where OpenSSL counts
   the notAfter second as expired) and name constraints (verify.c). */
static int judged_elsewhere(long e)
{
	switch (e) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
	case X509_V_ERR_PERMITTED_VIOLATION:
	case X509_V_ERR_EXCLUDED_VIOLATION:
	case X509_V_ERR_SUBTREE_MINMAX:
	case X509_V_ERR_UNSUPPORTED_CONSTRAINT_TYPE:
	case X509_V_ERR_UNSUPPORTED_CONSTRAINT_SYNTAX:
	case X509_V_ERR_UNSUPPORTED_NAME_SYNTAX:
		return 1;
	default:
		return 0;
	}
}

/*
 * OpenSSL calls this for every failure it finds (ok == 0) and once per
 * certificate that passed.  Failures are only recorded: verification
 * goes on so that every flag is collected, and oeng_run_verify decides
 * once the whole chain has been seen, as the mbedTLS engine does.
 */
int oeng_cert_cb(int ok, X509_STORE_CTX *x)
{
	struct vrun *r = X509_STORE_CTX_get_app_data(x);
	long e;
	int d;

	if (r == NULL)
		return ok;
	if (!ok) {
		e = X509_STORE_CTX_get_error(x);
		d = X509_STORE_CTX_get_error_depth(x);
		if (d < 0)
			d = 0;
		if (d >= MAX_DEPTH)
			d = MAX_DEPTH - 1;
		if (!judged_elsewhere(e))
			r->flags[d] |= oeng_vflags(e);
	}
	return 1;
}

static int asn1_epoch(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	*out = ussl_epoch(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
	return 1;
}

/* Validity at now, both bounds inclusive; the key type as mbedTLS can
   use it (RSA, EC; EdDSA is OpenSSL's extra), so that DSA and other
   legacy keys are refused by both engines. */
static unsigned cert_flags(X509 *c, int64_t now)
{
	EVP_PKEY *key;
	int64_t from, to;
	unsigned f = 0;

	if (!asn1_epoch(X509_get0_notBefore(c), &from) ||
	    !asn1_epoch(X509_get0_notAfter(c), &to))
		return USSL_VFY_OTHER;
	if (now < from)
		f |= USSL_VFY_NOT_YET_VALID;
	if (now > to)
		f |= USSL_VFY_EXPIRED;
	/* No key: one OpenSSL cannot decode (unknown or malformed). */
	key = X509_get0_pubkey(c);
	switch (key != NULL ? EVP_PKEY_get_base_id(key) : EVP_PKEY_NONE) {
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
	case EVP_PKEY_EC:
	case EVP_PKEY_ED25519:
	case EVP_PKEY_ED448:
		break;
	default:
		f |= USSL_VFY_BAD_KEY;
	}
	return f;
}

/*
 * The DER of the chain OpenSSL built (leaf first; just the leaf when it
 * built none), for the policy's chain rules and the user's callback, in
 * one buffer (*buf, to be freed).  Returns 0 if out of memory.
 */
static int chain_der(STACK_OF(X509) *chain, X509 *leaf, ussl_chain *ch,
    unsigned char **buf)
{
	int n = chain != NULL ? sk_X509_num(chain) : 0, i, len;
	size_t total = 0;
	unsigned char *p, *start;

	memset(ch, 0, sizeof(*ch));
	*buf = NULL;
	if (n == 0 && leaf == NULL)
		return 1;
	for (i = 0; i < (n > 0 ? n : 1); i++) {
		len = i2d_X509(n > 0 ? sk_X509_value(chain, i) : leaf, NULL);
		if (len <= 0)
			return 0;
		total += (size_t)len;
	}
	if ((*buf = p = USSL_CALLOC(1, total)) == NULL)
		return 0;
	for (i = 0; i < (n > 0 ? n : 1); i++) {
		start = p;
		len = i2d_X509(n > 0 ? sk_X509_value(chain, i) : leaf, &p);
		ussl_chain_note(ch, i, start, (size_t)len);
	}
	return 1;
}

int oeng_run_verify(X509_STORE_CTX *x, const ussl_vstate *vs)
{
	struct vrun r;
	STACK_OF(X509) *chain;
	ussl_chain ch;
	unsigned char *der;
	X509 *leaf = X509_STORE_CTX_get0_cert(x);
	int64_t now = vs->at_time != 0 ? vs->at_time : (int64_t)time(NULL);
	unsigned total = 0, f;
	int ok, have_der, n, d;

	memset(&r, 0, sizeof(r));
	X509_STORE_CTX_set_app_data(x, &r);
	X509_STORE_CTX_set_verify_cb(x, oeng_cert_cb);
	ok = X509_verify_cert(x);
	X509_STORE_CTX_set_app_data(x, NULL);
	chain = X509_STORE_CTX_get0_chain(x);
	for (d = 0; chain != NULL && d < sk_X509_num(chain); d++)
		r.flags[d < MAX_DEPTH ? d : MAX_DEPTH - 1] |=
		    cert_flags(sk_X509_value(chain, d), now);
	if ((chain == NULL || sk_X509_num(chain) == 0) && leaf != NULL)
		r.flags[0] |= cert_flags(leaf, now);
	have_der = chain_der(chain, leaf, &ch, &der);
	if (!have_der)
		total |= USSL_VFY_OTHER;
	/* Our policy replaces OpenSSL's name and usage checks (never asked
	   for); it reads the chain's DER, and its flags count for the leaf. */
	if (leaf != NULL)
		r.flags[0] |= ussl_verify_leaf(vs, have_der ? &ch : NULL);
	n = ch.n > 0 ? (int)ch.n : 1;
	for (d = n; d < MAX_DEPTH; d++)
		r.flags[n - 1] |= r.flags[d];
	/* The user's callback sees the chain from the root down; it may
	   add a rejection, never remove one (the core's rule). */
	for (d = n - 1; d >= 0; d--) {
		f = r.flags[d];
		if ((size_t)d < ch.n)
			f = ussl_verify_user(vs, ch.der[d], ch.len[d], d, f);
		total |= f;
	}
	USSL_FREE(der);
	/* Only an internal failure (memory) stops OpenSSL early, since
	   oeng_cert_cb always goes on. */
	if (ok <= 0 && total == 0)
		total = USSL_VFY_OTHER;
	*vs->flags |= total;
	ERR_clear_error();
	X509_STORE_CTX_set_error(x, total ? vflags_error(total) : X509_V_OK);
	return total == 0;
}

int eng_verify_chain(const ussl_vstate *vs, const unsigned char *const *certs,
    const size_t *lens, size_t n)
{
	struct eng_ctx *e = vs->ctx->eng;
	STACK_OF(X509) *all = sk_X509_new_null();
	STACK_OF(X509) *rest = sk_X509_new_null();
	X509_STORE_CTX *x = X509_STORE_CTX_new();
	X509_VERIFY_PARAM *param;
	size_t i;
	int r = USSL_ERROR;

	if (all == NULL || rest == NULL || x == NULL) {
		ussl_err_set(&vs->ctx->err, USSL_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		if (oeng_parse_certs(&vs->ctx->err, certs[i], lens[i],
		    i == 0 ? "leaf certificate" : "intermediate", all) !=
		    USSL_OK)
			goto out;
	for (i = 1; i < (size_t)sk_X509_num(all); i++)
		if (sk_X509_push(rest, sk_X509_value(all, (int)i)) <= 0) {
			ussl_err_set(&vs->ctx->err, USSL_E_NOMEM,
			    "out of memory");
			goto out;
		}
	/* The same settings as a connection's check (see new_ssl_ctx in
	   engine_openssl.c), at the caller's time if one is given. */
	if (X509_STORE_CTX_init(x, e->store, sk_X509_value(all, 0),
	    rest) != 1 || X509_STORE_CTX_set_default(x,
	    vs->role == USSL_CLIENT ? "ssl_server" : "ssl_client") != 1) {
		ussl_err_set(&vs->ctx->err, USSL_E_NOMEM, "out of memory");
		goto out;
	}
	param = X509_STORE_CTX_get0_param(x);
	X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
	X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_ANY);
	/* A handshake checks key sizes and digests at the connection's
	   security level (engine_openssl.c sets 2). */
	X509_VERIFY_PARAM_set_auth_level(param, 2);
	X509_VERIFY_PARAM_set_depth(param, OENG_VERIFY_DEPTH);
	if (vs->at_time != 0)
		X509_VERIFY_PARAM_set_time(param, (time_t)vs->at_time);
	oeng_run_verify(x, vs);
	r = USSL_OK;
out:
	ERR_clear_error();
	X509_STORE_CTX_free(x);
	sk_X509_free(rest);
	sk_X509_pop_free(all, X509_free);
	return r;
}

/* ---------------------------------------------------------------------- */
/* Distinguished names                                                     */

/* "C=.., O=.., CN=.." in certificate order, as mbedTLS prints it:
   short names, ", " between RDNs, " + " inside one, RFC 4514 escapes
   with hex for bytes outside printable ASCII. */
#define DN_FLAGS (ASN1_STRFLGS_RFC2253 | XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_FN_SN)

int eng_cert_dn(const unsigned char *der, size_t len, int issuer, char *buf,
    size_t size)
{
	const unsigned char *p = der;
	X509 *x;
	BIO *b = NULL;
	char *s;
	long n;
	int r = -1;

	ERR_clear_error();
	x = len <= LONG_MAX ? d2i_X509(NULL, &p, (long)len) : NULL;
	if (x != NULL && (b = BIO_new(BIO_s_mem())) != NULL &&
	    X509_NAME_print_ex(b, issuer ? X509_get_issuer_name(x) :
	    X509_get_subject_name(x), 0, DN_FLAGS) >= 0 &&
	    (n = BIO_get_mem_data(b, &s)) >= 0 && size > 0) {
		/* Too small a buffer is an error, as with mbedTLS; what fits
		   is still written. */
		if ((size_t)n < size) {
			memcpy(buf, s, (size_t)n);
			buf[n] = '\0';
			r = (int)n;
		} else {
			memcpy(buf, s, size - 1);
			buf[size - 1] = '\0';
		}
	}
	BIO_free(b);
	X509_free(x);
	ERR_clear_error();
	return r;
}

int eng_cert_self_signed(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x;
	EVP_PKEY *k;
	int r = 0;

	ERR_clear_error();
	x = len <= LONG_MAX ? d2i_X509(NULL, &p, (long)len) : NULL;
	if (x != NULL && (k = X509_get0_pubkey(x)) != NULL)
		r = X509_verify(x, k) == 1;
	X509_free(x);
	ERR_clear_error();
	return r;
}
