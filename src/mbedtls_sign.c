/*
 * mbedtls_sign.c - the signing callback on mbedTLS (2.28 and 3.6).
 *
 * mbedTLS signs through the key's mbedtls_pk_info_t, a table of
 * functions that is not public API.  A key whose signatures the callback
 * may make gets a table of its own: a copy of mbedTLS's (so every other
 * operation, the type, the parsed key and its freeing stay mbedTLS's)
 * whose sign_func asks the callback first (sign.c) and checks the
 * signature with the public key.  The struct comes from the library's
 * own header (3.6: library/pk_wrap.h of the source the library was built
 * from; 2.28: the installed mbedtls/pk_internal.h), so its layout is the
 * one the library was compiled with.
 *
 * EC keys: every loaded EC key gets the table (a context without a
 * callback signs with the key, as before); a keyless chain's public key
 * is parsed from the leaf.  RSA: only keyless chains, with PKCS#1 v1.5
 * (mbedTLS makes RSA-PSS signatures, which TLS 1.3 needs, from the
 * private key directly, not through the table), so the table refuses PSS
 * and the engine caps such a context at TLS 1.2 (meng_sign_tls12_only).
 */
#include "mbedtls_engine.h"

#if MBEDTLS_VERSION_MAJOR >= 3
#include "pk_wrap.h"
#else
#include <mbedtls/pk_internal.h>
#endif

struct meng_sign {
	mbedtls_pk_info_t info;          /* ours: sign_func below */
	const mbedtls_pk_info_t *orig;   /* mbedTLS's */
	int keyless;                     /* no private key: never orig's
	                                    sign_func */
};

static int md_alg_to_sign(mbedtls_pk_type_t type, mbedtls_md_type_t md)
{
	int base = type == MBEDTLS_PK_RSA ? 0x01 : 0x03;

	switch (md) {
	case MBEDTLS_MD_SHA256: return 0x0400 | base;
	case MBEDTLS_MD_SHA384: return 0x0500 | base;
	case MBEDTLS_MD_SHA512: return 0x0600 | base;
	default: return 0;
	}
}

#if MBEDTLS_VERSION_MAJOR < 3
/* The table of the key the signing connection uses (2.28's sign_func is
   given the key's data, not the key). */
static struct meng_sign *current_sign(void)
{
	ussl_conn *conn = ussl_sign_current();
	struct eng_ctx *e;

	if (conn == NULL)
		return NULL;
	e = conn->ctx->eng;
	return e->own != NULL ? e->own->sign : NULL;
}
#endif

#if MBEDTLS_VERSION_MAJOR >= 3
static int sign_wrap(mbedtls_pk_context *pk, mbedtls_md_type_t md_alg,
    const unsigned char *hash, size_t hash_len, unsigned char *sig,
    size_t sig_size, size_t *sig_len,
    int (*f_rng)(void *, unsigned char *, size_t), void *p_rng)
{
	/* Our table is the first member of its struct meng_sign. */
	const struct meng_sign *ms = (const struct meng_sign *)pk->COMPAT_PRIV(pk_info);
#else
static int sign_wrap(void *pk, mbedtls_md_type_t md_alg,
    const unsigned char *hash, size_t hash_len, unsigned char *sig,
    size_t *sig_len, int (*f_rng)(void *, unsigned char *, size_t),
    void *p_rng)
{
	const struct meng_sign *ms = current_sign();
	size_t sig_size = MBEDTLS_PK_SIGNATURE_MAX_SIZE;
#endif
	mbedtls_pk_type_t type;
	size_t len = sig_size, want = 0;
	int r;

	if (ms == NULL)
		return MBEDTLS_ERR_PK_BAD_INPUT_DATA;
	type = ms->orig->type;
	if (ussl_sign_current() == NULL) {
		/* Not inside a handshake step (cannot happen in TLS): only
		   the loaded key can sign. */
		r = USSL_SIGN_DECLINE;
	} else {
		if (type == MBEDTLS_PK_RSA)
			want = (ms->orig->get_bitlen(pk) + 7) / 8;
		r = ussl_sign_run(md_alg_to_sign(type, md_alg), hash,
		    hash_len, sig, &len, want);
	}
	if (r == USSL_SIGN_DECLINE && !ms->keyless)
#if MBEDTLS_VERSION_MAJOR >= 3
		return ms->orig->sign_func(pk, md_alg, hash, hash_len, sig,
		    sig_size, sig_len, f_rng, p_rng);
#else
		return ms->orig->sign_func(pk, md_alg, hash, hash_len, sig,
		    sig_len, f_rng, p_rng);
#endif
	if (r != 0)
		return MBEDTLS_ERR_PK_BAD_INPUT_DATA;
	if (ms->orig->verify_func(pk, md_alg, hash, hash_len, sig, len) != 0) {
		ussl_wipe(sig, len);
		ussl_sign_bad();
		return MBEDTLS_ERR_PK_BAD_INPUT_DATA;
	}
	*sig_len = len;
	return 0;
}

/* RSA through the callback: PKCS#1 v1.5 only (see above). */
static int rsa_can_do_pkcs1(mbedtls_pk_type_t type)
{
	return type == MBEDTLS_PK_RSA;
}

/*
 * Give o->key (parsed, EC or RSA) our table.  keyless: it holds only the
 * public key.  A loaded RSA key keeps mbedTLS's table (the library signs
 * with it, PSS included); anything else unknown is refused.
 */
int meng_sign_wrap(ussl_errstate *err, struct meng_own *o, int keyless)
{
	const mbedtls_pk_info_t *orig = o->key.COMPAT_PRIV(pk_info);
	struct meng_sign *ms;

#if defined(USSL_NO_SIGN_CB)
	/* A build without signing callbacks (MicroPython's USSL_SIGNCB=0):
	   the loaded key signs, never wrapped. */
	(void)orig;
	(void)ms;
	return keyless ? ussl_err_set(err, USSL_E_CONFIG,
	    "no signing callbacks in this build") : USSL_OK;
#endif
	if (orig == NULL || (orig->type != MBEDTLS_PK_ECKEY &&
	    orig->type != MBEDTLS_PK_RSA))
		return keyless ? ussl_err_set(err, USSL_E_BADCERT,
		    "the certificate's key is neither EC nor RSA") : USSL_OK;
	if (orig->type == MBEDTLS_PK_RSA && !keyless)
		return USSL_OK;
	ms = USSL_CALLOC(1, sizeof(*ms));
	if (ms == NULL)
		return ussl_err_set(err, USSL_E_NOMEM, "out of memory");
	ms->info = *orig;
	ms->orig = orig;
	ms->keyless = keyless;
	ms->info.sign_func = sign_wrap;
#if defined(MBEDTLS_ECDSA_C) && defined(MBEDTLS_ECP_RESTARTABLE)
	ms->info.sign_rs_func = NULL;   /* mbedTLS falls back to sign_func */
#endif
	if (orig->type == MBEDTLS_PK_RSA)
		ms->info.can_do = rsa_can_do_pkcs1;
	o->key.COMPAT_PRIV(pk_info) = &ms->info;
	o->sign = ms;
	return USSL_OK;
}

/* Before mbedtls_pk_free: mbedTLS's own table frees the key. */
void meng_sign_unwrap(struct meng_own *o)
{
	if (o->sign == NULL)
		return;
	o->key.COMPAT_PRIV(pk_info) = o->sign->orig;
	USSL_FREE(o->sign);
	o->sign = NULL;
}

int meng_sign_tls12_only(const struct meng_own *o)
{
	return o != NULL && o->sign != NULL &&
	    o->sign->orig->type == MBEDTLS_PK_RSA;
}

int eng_ctx_sign_update(ussl_ctx *ctx)
{
	/* The tables ask the connection's context at each signature. */
	return eng_ctx_update(ctx);
}

int eng_ctx_key_ref(const ussl_ctx *ctx, unsigned char *buf, size_t *len)
{
	const struct meng_own *o = ctx->eng->own;
	const mbedtls_ecp_keypair *kp;
	size_t n;

	if (o == NULL || o->sign == NULL || o->sign->keyless ||
	    o->sign->orig->type != MBEDTLS_PK_ECKEY) {
		*len = 0;
		return -1;
	}
	kp = (const mbedtls_ecp_keypair *)o->key.COMPAT_PRIV(pk_ctx);
	n = (kp->COMPAT_PRIV(grp).nbits + 7) / 8;
	if (buf == NULL || *len < n) {
		*len = n;
		return -1;
	}
	if (mbedtls_mpi_write_binary(&kp->COMPAT_PRIV(d), buf, n) != 0) {
		*len = 0;
		return -1;
	}
	*len = n;
	return 0;
}
