/*
 * openssl_sign.c - the signing callback on OpenSSL 3.
 *
 * OpenSSL 3 has no hook for a TLS private-key operation; what it keeps
 * from 1.1 is the key method: an EC_KEY (RSA) with an EC_KEY_METHOD
 * (RSA_METHOD) of its own is a "foreign" key, which OpenSSL signs with
 * through that method instead of a provider, in TLS 1.2 and 1.3 alike.
 * Those are deprecated interfaces, so this file (and only this file)
 * defines OPENSSL_SUPPRESS_DEPRECATED, OpenSSL's documented switch; a
 * provider would do the same job in several hundred lines.
 *
 * The methods are copies of OpenSSL's own with one function replaced:
 * EC's sign (handed the digest, answers DER, as TLS wants) and RSA's
 * rsa_sign (PKCS#1 v1.5, handed the digest).  They ask the callback of
 * the connection signing in this thread (sign.c) and check its answer
 * with the public key.  RSA-PSS (all of TLS 1.3, and TLS 1.2 where the
 * peer prefers it) pads inside OpenSSL and hands the method only a raw
 * private-key operation, which no callback of digests can do: a context
 * with an RSA key behind a callback speaks TLS 1.2 with PKCS#1 v1.5
 * signatures only (oeng_sign_restrict).
 *
 * EC keys loaded with their private key get the method when the context
 * has a callback (asked first; USSL_SIGN_DECLINE signs with the key);
 * RSA keys loaded with their private key sign in OpenSSL, as always.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "openssl_engine.h"

static EC_KEY_METHOD *ec_meth;
static RSA_METHOD *rsa_meth;
static int (*ec_sign_orig)(int, const unsigned char *, int, unsigned char *,
    unsigned int *, const BIGNUM *, const BIGNUM *, EC_KEY *);
static CRYPTO_ONCE meth_once = CRYPTO_ONCE_STATIC_INIT;

static int ec_alg(int dlen)
{
	switch (dlen) {
	case 32: return USSL_SIGN_ECDSA_SHA256;
	case 48: return USSL_SIGN_ECDSA_SHA384;
	case 64: return USSL_SIGN_ECDSA_SHA512;
	}
	return 0;
}

static int ec_sign(int type, const unsigned char *dgst, int dlen,
    unsigned char *sig, unsigned int *siglen, const BIGNUM *kinv,
    const BIGNUM *r, EC_KEY *eckey)
{
	size_t len = (size_t)ECDSA_size(eckey);
	int ret;

	ret = ussl_sign_current() == NULL ? USSL_SIGN_DECLINE :
	    ussl_sign_run(ec_alg(dlen), dgst, (size_t)dlen, sig, &len, 0);
	if (ret == USSL_SIGN_DECLINE) {
		if (EC_KEY_get0_private_key(eckey) == NULL)
			return 0;
		return ec_sign_orig(type, dgst, dlen, sig, siglen, kinv, r,
		    eckey);
	}
	if (ret != 0)
		return 0;
	if (ECDSA_verify(0, dgst, dlen, sig, (int)len, eckey) != 1) {
		ERR_clear_error();
		ussl_wipe(sig, len);
		ussl_sign_bad();
		return 0;
	}
	*siglen = (unsigned int)len;
	return 1;
}

static int rsa_alg(int type)
{
	switch (type) {
	case NID_sha256: return USSL_SIGN_RSA_PKCS1_SHA256;
	case NID_sha384: return USSL_SIGN_RSA_PKCS1_SHA384;
	case NID_sha512: return USSL_SIGN_RSA_PKCS1_SHA512;
	}
	return 0;
}

static int rsa_sign(int type, const unsigned char *m, unsigned int m_len,
    unsigned char *sig, unsigned int *siglen, const RSA *rsa)
{
	size_t want = (size_t)RSA_size(rsa), len = want;

	if (ussl_sign_current() == NULL ||
	    ussl_sign_run(rsa_alg(type), m, m_len, sig, &len, want) != 0)
		return 0;
	if (RSA_verify(type, m, m_len, sig, (unsigned int)len,
	    (RSA *)rsa) != 1) {
		ERR_clear_error();
		ussl_wipe(sig, len);
		ussl_sign_bad();
		return 0;
	}
	*siglen = (unsigned int)len;
	return 1;
}

/* The raw private-key operation (RSA-PSS pads before it): refused. */
static int rsa_priv_enc(int flen, const unsigned char *from,
    unsigned char *to, RSA *rsa, int padding)
{
	ussl_conn *conn = ussl_sign_current();

	(void)flen; (void)from; (void)to; (void)rsa; (void)padding;
	if (conn != NULL && conn->sign_why == NULL)
		conn->sign_why = "RSA-PSS cannot be made by the sign callback";
	return -1;
}

static void meth_init(void)
{
	ec_meth = EC_KEY_METHOD_new(EC_KEY_OpenSSL());
	rsa_meth = RSA_meth_dup(RSA_PKCS1_OpenSSL());
	if (ec_meth != NULL) {
		int (*setup)(EC_KEY *, BN_CTX *, BIGNUM **, BIGNUM **);
		ECDSA_SIG *(*sign_sig)(const unsigned char *, int,
		    const BIGNUM *, const BIGNUM *, EC_KEY *);

		/* Only sign is ours; OpenSSL's sign_sig stays (the fallback
		   to the loaded key goes through it). */
		EC_KEY_METHOD_get_sign(EC_KEY_OpenSSL(), &ec_sign_orig, &setup,
		    &sign_sig);
		EC_KEY_METHOD_set_sign(ec_meth, ec_sign, setup, sign_sig);
	}
	if (rsa_meth != NULL &&
	    (RSA_meth_set1_name(rsa_meth, "ussl sign callback") != 1 ||
	    RSA_meth_set_sign(rsa_meth, rsa_sign) != 1 ||
	    RSA_meth_set_priv_enc(rsa_meth, rsa_priv_enc) != 1)) {
		RSA_meth_free(rsa_meth);
		rsa_meth = NULL;
	}
}

int oeng_sign_is_rsa(const EVP_PKEY *pk)
{
	const RSA *r;

	if (pk == NULL || EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA)
		return 0;
	r = EVP_PKEY_get0_RSA(pk);
	return r != NULL && rsa_meth != NULL && RSA_get_method(r) == rsa_meth;
}

static int is_wrapped_ec(const EVP_PKEY *pk)
{
	const EC_KEY *ec;

	if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC)
		return 0;
	ec = EVP_PKEY_get0_EC_KEY(pk);
	return ec != NULL && ec_meth != NULL && EC_KEY_get_method(ec) == ec_meth;
}

/*
 * A key for pk whose signatures go through the callback: *out is a new
 * key (the caller owns it), or NULL when pk is left as it is (a loaded
 * RSA key, or a key that already has the method).  keyless: pk is the
 * certificate's public key.
 */
int oeng_sign_wrap(ussl_errstate *err, EVP_PKEY *pk, int keyless,
    EVP_PKEY **out)
{
	EVP_PKEY *w = NULL;
	EC_KEY *ec = NULL;
	RSA *rsa = NULL;
	int id = EVP_PKEY_get_base_id(pk);

	*out = NULL;
	if (!CRYPTO_THREAD_run_once(&meth_once, meth_init) ||
	    ec_meth == NULL || rsa_meth == NULL)
		return ussl_err_set(err, USSL_E_NOMEM, "out of memory");
	if (id != EVP_PKEY_EC && id != EVP_PKEY_RSA)
		return keyless ? ussl_err_set(err, USSL_E_BADCERT,
		    "the certificate's key is neither EC nor RSA") : USSL_OK;
	if ((id == EVP_PKEY_RSA && !keyless) || is_wrapped_ec(pk))
		return USSL_OK;
	if ((w = EVP_PKEY_new()) == NULL)
		goto nomem;
	if (id == EVP_PKEY_EC) {
		if ((ec = EVP_PKEY_get1_EC_KEY(pk)) == NULL ||
		    EC_KEY_set_method(ec, ec_meth) != 1 ||
		    EVP_PKEY_assign_EC_KEY(w, ec) != 1)
			goto nomem;
	} else {
		if ((rsa = EVP_PKEY_get1_RSA(pk)) == NULL ||
		    RSA_set_method(rsa, rsa_meth) != 1 ||
		    EVP_PKEY_assign_RSA(w, rsa) != 1)
			goto nomem;
	}
	*out = w;
	return USSL_OK;
nomem:
	EC_KEY_free(ec);
	RSA_free(rsa);
	EVP_PKEY_free(w);
	ERR_clear_error();
	return ussl_err_set(err, USSL_E_NOMEM, "out of memory");
}

int eng_ctx_key_ref(const ussl_ctx *ctx, unsigned char *buf, size_t *len)
{
	const EVP_PKEY *pk = ctx->eng->pkey;
	const EC_KEY *ec;
	const BIGNUM *d;
	size_t n;

	if (pk == NULL || EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC ||
	    (ec = EVP_PKEY_get0_EC_KEY(pk)) == NULL ||
	    (d = EC_KEY_get0_private_key(ec)) == NULL) {
		ERR_clear_error();
		*len = 0;
		return -1;
	}
	n = (size_t)(EC_GROUP_order_bits(EC_KEY_get0_group(ec)) + 7) / 8;
	if (buf == NULL || *len < n) {
		*len = n;
		return -1;
	}
	if (BN_bn2binpad(d, buf, (int)n) != (int)n) {
		*len = 0;
		return -1;
	}
	*len = n;
	return 0;
}
