/*
 * mbedtls_compat.h - every difference between mbedTLS 2.28 and 3.6 that
 * engine_mbedtls.c needs, in one place, so the engine itself has none.
 */
#ifndef USSL_MBEDTLS_COMPAT_H
#define USSL_MBEDTLS_COMPAT_H

#include <mbedtls/version.h>

#if MBEDTLS_VERSION_MAJOR >= 3
#include <mbedtls/build_info.h>
#include <psa/crypto.h>
#else
#if !defined(MBEDTLS_CONFIG_FILE)
#include <mbedtls/config.h>
#else
#include MBEDTLS_CONFIG_FILE
#endif
#endif

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ciphersuites.h>
#include <mbedtls/x509_crt.h>

/* Whether mbedTLS keeps the peer's parsed chain in the session (3.6's
   TLS 1.3 needs it; the MicroPython module's TLS 1.2-only configuration
   leaves it out, and the engine relies on its own copy of the leaf). */
#if defined(MBEDTLS_SSL_KEEP_PEER_CERTIFICATE)
#define COMPAT_KEEPS_PEER_CERT 1
#else
#define COMPAT_KEEPS_PEER_CERT 0
#endif

#if MBEDTLS_VERSION_MAJOR >= 3

#define COMPAT_PRIV(x) MBEDTLS_PRIVATE(x)

static inline int compat_global_init(void)
{
	/* TLS 1.3 and the PK layer use PSA; psa_crypto_init is idempotent.
	   A TLS 1.2-only configuration may leave PSA out. */
#if defined(MBEDTLS_PSA_CRYPTO_C)
	return psa_crypto_init() == PSA_SUCCESS ? 0 : -1;
#else
	return 0;
#endif
}

static inline int compat_pk_parse_key(mbedtls_pk_context *pk,
    const unsigned char *key, size_t len, const unsigned char *pw,
    size_t pwlen, mbedtls_ctr_drbg_context *drbg)
{
	return mbedtls_pk_parse_key(pk, key, len, pw, pwlen,
	    mbedtls_ctr_drbg_random, drbg);
}

static inline int compat_pk_check_pair(const mbedtls_pk_context *pub,
    const mbedtls_pk_context *prv, mbedtls_ctr_drbg_context *drbg)
{
	return mbedtls_pk_check_pair(pub, prv, mbedtls_ctr_drbg_random, drbg);
}

/* v is 0x0303 (TLS 1.2) or 0x0304 (TLS 1.3). */
static inline void compat_conf_versions(mbedtls_ssl_config *c, int min,
    int max)
{
	mbedtls_ssl_conf_min_tls_version(c, (mbedtls_ssl_protocol_version)min);
	mbedtls_ssl_conf_max_tls_version(c, (mbedtls_ssl_protocol_version)max);
}

static inline int compat_max_version(void)
{
#if defined(MBEDTLS_SSL_PROTO_TLS1_3)
	return 0x0304;
#else
	return 0x0303;
#endif
}

/*
 * Signature algorithms, PKCS#1 v1.5 before PSS: mbedTLS 3.6 cannot verify
 * RSA-PSS in TLS 1.2, yet offers it (TLS 1.3 needs it), and a TLS 1.2
 * server that honours the client's order (OpenSSL) would pick PSS and
 * fail the handshake.  TLS 1.3 never uses PKCS#1 v1.5 for handshake
 * signatures, so it still picks PSS.
 */
static const uint16_t compat_sig_algs[] = {
	MBEDTLS_TLS1_3_SIG_ECDSA_SECP256R1_SHA256,
	MBEDTLS_TLS1_3_SIG_ECDSA_SECP384R1_SHA384,
	MBEDTLS_TLS1_3_SIG_ECDSA_SECP521R1_SHA512,
	MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA256,
	MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA384,
	MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA512,
	MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA256,
	MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA384,
	MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA512,
	MBEDTLS_TLS1_3_SIG_NONE
};

static inline void compat_conf_sig_algs(mbedtls_ssl_config *c)
{
	mbedtls_ssl_conf_sig_algs(c, compat_sig_algs);
}

static inline int compat_ssl_state(const mbedtls_ssl_context *ssl)
{
	return ssl->MBEDTLS_PRIVATE(state);
}

/* Bytes of an outgoing record not yet accepted by the transport. */
static inline size_t compat_out_left(const mbedtls_ssl_context *ssl)
{
	return ssl->MBEDTLS_PRIVATE(out_left);
}

/* TLS 1.3 tickets are processed only when the caller asks for them. */
static inline void compat_conf_tls13_tickets(mbedtls_ssl_config *c)
{
#if defined(MBEDTLS_SSL_PROTO_TLS1_3) && defined(MBEDTLS_SSL_SESSION_TICKETS)
	mbedtls_ssl_conf_tls13_enable_signal_new_session_tickets(c,
	    MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_ENABLED);
#else
	(void)c;
#endif
}

/* A received fatal alert's description byte. */
static inline int compat_last_alert(const mbedtls_ssl_context *ssl)
{
	const unsigned char *m = ssl->MBEDTLS_PRIVATE(in_msg);

	return m != NULL ? m[1] : -1;
}

static inline int compat_crt_is_ca(const mbedtls_x509_crt *c)
{
	return c->MBEDTLS_PRIVATE(ca_istrue);
}

static inline int compat_crt_has_ext(const mbedtls_x509_crt *c, int type)
{
	return mbedtls_x509_crt_has_ext_type(c, type);
}

/* Codes that only one version has. */
#define COMPAT_ERR_NEW_TICKET MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET
#define COMPAT_ERR_BAD_VERSION MBEDTLS_ERR_SSL_BAD_PROTOCOL_VERSION
#define COMPAT_ERR_HS_FAILURE MBEDTLS_ERR_SSL_HANDSHAKE_FAILURE
#define COMPAT_ALERT_CERT_REQUIRED MBEDTLS_SSL_ALERT_MSG_CERT_REQUIRED
/* 3.x folds these into HANDSHAKE_FAILURE; placeholders never returned. */
#define COMPAT_ERR_NO_CIPHER (-0x7FF4)
#define COMPAT_ERR_NO_USABLE_SUITE (-0x7FF5)
#define COMPAT_ERR_ASYNC_CRYPTO MBEDTLS_ERR_SSL_CRYPTO_IN_PROGRESS
#ifndef MBEDTLS_ERR_SSL_RECEIVED_EARLY_DATA
#define MBEDTLS_ERR_SSL_RECEIVED_EARLY_DATA (-0x7C00)
#endif

/*
 * Only in a build with TLS 1.3: a TLS 1.2-only mbedTLS 3.6 server that
 * finds a TLS 1.3 suite in its own list and the client's (every modern
 * client offers them) fails the handshake with an internal error, as
 * those suites are not compiled in (ssl_ciphersuite_match).
 */
#if defined(MBEDTLS_SSL_PROTO_TLS1_3)
#define COMPAT_TLS13_SUITES \
	MBEDTLS_TLS1_3_AES_128_GCM_SHA256, \
	MBEDTLS_TLS1_3_AES_256_GCM_SHA384, \
	MBEDTLS_TLS1_3_CHACHA20_POLY1305_SHA256,
#else
#define COMPAT_TLS13_SUITES
#endif

#else /* mbedTLS 2.28 */

#define COMPAT_PRIV(x) x

static inline int compat_global_init(void)
{
	return 0;
}

static inline int compat_pk_parse_key(mbedtls_pk_context *pk,
    const unsigned char *key, size_t len, const unsigned char *pw,
    size_t pwlen, mbedtls_ctr_drbg_context *drbg)
{
	(void)drbg;
	return mbedtls_pk_parse_key(pk, key, len, pw, pwlen);
}

static inline int compat_pk_check_pair(const mbedtls_pk_context *pub,
    const mbedtls_pk_context *prv, mbedtls_ctr_drbg_context *drbg)
{
	(void)drbg;
	return mbedtls_pk_check_pair(pub, prv);
}

static inline void compat_conf_versions(mbedtls_ssl_config *c, int min,
    int max)
{
	mbedtls_ssl_conf_min_version(c, MBEDTLS_SSL_MAJOR_VERSION_3,
	    min & 0xff);
	mbedtls_ssl_conf_max_version(c, MBEDTLS_SSL_MAJOR_VERSION_3,
	    max & 0xff);
}

static inline int compat_max_version(void)
{
	return 0x0303;
}

static inline void compat_conf_sig_algs(mbedtls_ssl_config *c)
{
	(void)c;   /* 2.28's defaults are TLS 1.2-only and fine */
}

static inline int compat_ssl_state(const mbedtls_ssl_context *ssl)
{
	return ssl->state;
}

static inline size_t compat_out_left(const mbedtls_ssl_context *ssl)
{
	return ssl->out_left;
}

static inline void compat_conf_tls13_tickets(mbedtls_ssl_config *c)
{
	(void)c;
}

static inline int compat_last_alert(const mbedtls_ssl_context *ssl)
{
	return ssl->in_msg != NULL ? ssl->in_msg[1] : -1;
}

static inline int compat_crt_is_ca(const mbedtls_x509_crt *c)
{
	return c->ca_istrue;
}

static inline int compat_crt_has_ext(const mbedtls_x509_crt *c, int type)
{
	return (c->ext_types & type) != 0;
}

/* Never returned by 2.28; values chosen outside its code space. */
#define COMPAT_ERR_NEW_TICKET (-0x7FF0)
#define COMPAT_ERR_BAD_VERSION MBEDTLS_ERR_SSL_BAD_HS_PROTOCOL_VERSION
#define COMPAT_ERR_HS_FAILURE (-0x7FF3)
#define MBEDTLS_ERR_SSL_NO_APPLICATION_PROTOCOL (-0x7FF6)
#define COMPAT_ALERT_CERT_REQUIRED MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE
#define COMPAT_ERR_NO_CIPHER MBEDTLS_ERR_SSL_NO_CIPHER_CHOSEN
#define COMPAT_ERR_NO_USABLE_SUITE MBEDTLS_ERR_SSL_NO_USABLE_CIPHERSUITE
#define COMPAT_ERR_ASYNC_CRYPTO MBEDTLS_ERR_SSL_ASYNC_IN_PROGRESS
#define MBEDTLS_ERR_SSL_RECEIVED_EARLY_DATA (-0x7FF1)
#define COMPAT_TLS13_SUITES
#define MBEDTLS_ERR_SSL_UNSUPPORTED_EXTENSION (-0x7FF2)

#endif

#endif /* USSL_MBEDTLS_COMPAT_H */
