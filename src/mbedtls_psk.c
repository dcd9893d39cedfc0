/*
 * mbedtls_psk.c - pre-shared keys on mbedTLS (3.6, and 2.28 for TLS
 * 1.2): the client's identity and key in the configuration, the server's
 * lookup callback, and, while a PSK is set, PSK suites only (TLS 1.2)
 * and PSK key exchanges only (TLS 1.3), so that no handshake falls back
 * to certificates.
 */
#include "mbedtls_engine.h"
#include "psk.h"

#if defined(COMPAT_HAS_PSK)

/* AEAD PSK suites; the forward-secret one first.  TLS 1.3 suites come
   first and serve external PSKs (SHA-256 ones: mbedTLS gives an external
   PSK SHA-256, as OpenSSL does). */
static const int psk_suites[] = {
	COMPAT_TLS13_SUITES
	MBEDTLS_TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256,
	MBEDTLS_TLS_PSK_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_PSK_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_PSK_WITH_CHACHA20_POLY1305_SHA256,
	0
};

/* A suite whose handshake is authenticated by the PSK alone: TLS 1.2
   PSK, ECDHE-PSK and DHE-PSK (not RSA-PSK, which also sends a
   certificate), and every TLS 1.3 suite (no key exchange of its own). */
static int is_psk_suite(int id)
{
	const mbedtls_ssl_ciphersuite_t *s = mbedtls_ssl_ciphersuite_from_id(id);

	if (s == NULL)
		return 0;
	switch (s->COMPAT_PRIV(key_exchange)) {
	case MBEDTLS_KEY_EXCHANGE_PSK:
	case MBEDTLS_KEY_EXCHANGE_ECDHE_PSK:
	case MBEDTLS_KEY_EXCHANGE_DHE_PSK:
		return 1;
#if defined(MBEDTLS_SSL_PROTO_TLS1_3)
	case MBEDTLS_KEY_EXCHANGE_NONE:
		return s->COMPAT_PRIV(min_tls_version) ==
		    MBEDTLS_SSL_VERSION_TLS1_3;
#endif
	default:
		return 0;
	}
}

/* mbedTLS takes one PSK per configuration and has no call that drops
   it: what its own ssl_conf_remove_psk() does, on the raw key. */
static void conf_remove_psk(mbedtls_ssl_config *c)
{
	if (c->COMPAT_PRIV(psk) != NULL) {
		mbedtls_platform_zeroize(c->COMPAT_PRIV(psk),
		    c->COMPAT_PRIV(psk_len));
		mbedtls_free(c->COMPAT_PRIV(psk));
		c->COMPAT_PRIV(psk) = NULL;
		c->COMPAT_PRIV(psk_len) = 0;
	}
	if (c->COMPAT_PRIV(psk_identity) != NULL) {
		mbedtls_free(c->COMPAT_PRIV(psk_identity));
		c->COMPAT_PRIV(psk_identity) = NULL;
		c->COMPAT_PRIV(psk_identity_len) = 0;
	}
}

/* Server: the key for the client's identity, for this handshake only. */
static int server_lookup(void *arg, mbedtls_ssl_context *ssl,
    const unsigned char *id, size_t id_len)
{
	ussl_ctx *ctx = arg;
	ussl_conn *conn = ssl->COMPAT_PRIV(p_bio);
	unsigned char key[USSL_PSK_MAX_KEY];
	size_t key_len;
	int ret;

	if (ussl_psk_lookup(ctx, id, id_len, key, &key_len) != 0)
		return -1;
	ret = mbedtls_ssl_set_hs_psk(ssl, key, key_len);
	ussl_wipe(key, sizeof(key));
	if (ret != 0 || (conn != NULL && ussl_psk_note(conn, id, id_len) != 0))
		return -1;
	return 0;
}

/* The suites to offer: with a PSK, the PSK ones of the chosen list (or
   of ours); without, the chosen list or the engine's default. */
static int apply_suites(ussl_ctx *ctx, int psk)
{
	struct eng_ctx *e = ctx->eng;
	const int *from = e->suites != NULL ? e->suites : psk_suites;
	size_t n, k = 0;
	int *list;

	USSL_FREE(e->psk_suites);
	e->psk_suites = NULL;
	if (!psk) {
		mbedtls_ssl_conf_ciphersuites(&e->conf,
		    e->suites != NULL ? e->suites : meng_default_suites);
		return USSL_OK;
	}
	for (n = 0; from[n] != 0; n++)
		;
	if ((list = USSL_CALLOC(n + 1, sizeof(*list))) == NULL)
		return ussl_err_set(&ctx->err, USSL_E_NOMEM, "out of memory");
	for (n = 0; from[n] != 0; n++)
		if (is_psk_suite(from[n]))
			list[k++] = from[n];
	e->psk_suites = list;   /* may be empty: no handshake then */
	mbedtls_ssl_conf_ciphersuites(&e->conf, list);
	return USSL_OK;
}

int eng_ctx_psk_update(ussl_ctx *ctx)
{
	struct eng_ctx *e = ctx->eng;
	const struct ussl_psk *p = ctx->psk;
	int psk = ussl_psk_active(ctx), ret;

	if (ctx->role == USSL_CLIENT) {
		conf_remove_psk(&e->conf);
		if (psk) {
			ret = mbedtls_ssl_conf_psk(&e->conf, p->key, p->key_len,
			    p->id, p->id_len);
			if (ret != 0) {
				conf_remove_psk(&e->conf);
				return ussl_err_set(&ctx->err, ret ==
				    MBEDTLS_ERR_SSL_ALLOC_FAILED ? USSL_E_NOMEM :
				    USSL_E_BADARG, "PSK key or identity too long "
				    "for %s (keys up to %d bytes)", eng_version(),
				    MBEDTLS_PSK_MAX_LEN);
			}
		}
	} else {
		mbedtls_ssl_conf_psk_cb(&e->conf, psk ? server_lookup : NULL,
		    psk ? ctx : NULL);
	}
#if defined(MBEDTLS_SSL_PROTO_TLS1_3)
	/* TLS 1.3: a PSK context takes PSK handshakes only (a client then
	   refuses a server that answers with a certificate). */
	mbedtls_ssl_conf_tls13_key_exchange_modes(&e->conf, psk ?
	    MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_ALL :
	    MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_ALL);
#endif
	return apply_suites(ctx, psk);
}

#else /* no PSK key exchange in this mbedTLS build */

int eng_ctx_psk_update(ussl_ctx *ctx)
{
	if (!ussl_psk_active(ctx))
		return USSL_OK;
	return ussl_err_set(&ctx->err, USSL_E_CONFIG,
	    "pre-shared keys: not in this mbedTLS build");
}

#endif
