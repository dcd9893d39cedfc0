/*
 * mbedtls_compat.h - every difference between mbedTLS 2.28 and 3.6 that
 * engine_mbedtls.c needs, in one place, so the engine itself has none.
 */
#ifndef USSL_MBEDTLS_COMPAT_H
#define USSL_MBEDTLS_COMPAT_H

#include <string.h>

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

/* Pre-shared key exchanges built in (mbedtls_psk.c). */
#if defined(MBEDTLS_SSL_HANDSHAKE_WITH_PSK_ENABLED) || \
    (MBEDTLS_VERSION_MAJOR < 3 && defined(MBEDTLS_KEY_EXCHANGE_SOME_PSK_ENABLED))
#define COMPAT_HAS_PSK 1
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

/* Empty the configuration's list of own certificates (a NULL
   certificate does it). */
static inline void compat_conf_clear_own_cert(mbedtls_ssl_config *c)
{
	(void)mbedtls_ssl_conf_own_cert(c, NULL, NULL);
}

static inline int compat_max_version(void)
{
#if defined(MBEDTLS_SSL_PROTO_TLS1_3)
	return 0x0304;
#else
	return 0x0303;
#endif
}

static inline int compat_ssl_state(const mbedtls_ssl_context *ssl)
{
	return ssl->MBEDTLS_PRIVATE(state);
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

/*
 * A fatal alert of a server that refuses the client's certificate, in a
 * form the client can read.  Under TLS 1.3 the server has sent its
 * Finished by then, and the client reads everything that follows under
 * the server's application keys, while mbedTLS would still use the
 * handshake keys until the end of the handshake: switch (what
 * mbedtls_ssl_set_outbound_transform() does; a successful handshake sends
 * nothing in between, and switches again at its end).  The alert:
 * certificate_required (116, TLS 1.3 only) for a missing certificate
 * under TLS 1.3, handshake_failure (40) under TLS 1.2, as OpenSSL sends.
 */
static inline void compat_server_cert_alert(mbedtls_ssl_context *ssl,
    int no_cert, unsigned char alert)
{
	int tls13 = 0;

#if defined(MBEDTLS_SSL_PROTO_TLS1_3)
	tls13 = ssl->MBEDTLS_PRIVATE(tls_version) == MBEDTLS_SSL_VERSION_TLS1_3;
	if (tls13 && ssl->MBEDTLS_PRIVATE(transform_application) != NULL &&
	    ssl->MBEDTLS_PRIVATE(transform_out) !=
	    ssl->MBEDTLS_PRIVATE(transform_application)) {
		ssl->MBEDTLS_PRIVATE(transform_out) =
		    ssl->MBEDTLS_PRIVATE(transform_application);
		memset(ssl->MBEDTLS_PRIVATE(cur_out_ctr), 0,
		    sizeof(ssl->MBEDTLS_PRIVATE(cur_out_ctr)));
	}
#endif
	if (no_cert)
		alert = tls13 ? MBEDTLS_SSL_ALERT_MSG_CERT_REQUIRED :
		    MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE;
	(void)mbedtls_ssl_send_alert_message(ssl,
	    MBEDTLS_SSL_ALERT_LEVEL_FATAL, alert);
}

/* A received fatal alert's description byte. */
static inline int compat_last_alert(const mbedtls_ssl_context *ssl)
{
	const unsigned char *m = ssl->MBEDTLS_PRIVATE(in_msg);

	return m != NULL ? m[1] : -1;
}

/* Codes that only one version has. */
#define COMPAT_ERR_NEW_TICKET MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET
#define COMPAT_ERR_BAD_VERSION MBEDTLS_ERR_SSL_BAD_PROTOCOL_VERSION
#define COMPAT_ERR_HS_FAILURE MBEDTLS_ERR_SSL_HANDSHAKE_FAILURE
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

#include <mbedtls/platform.h>
#include <mbedtls/ssl_internal.h>

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

/* Empty the configuration's list of own certificates (2.28 has no call
   for it: the list is mbedTLS's own allocation). */
static inline void compat_conf_clear_own_cert(mbedtls_ssl_config *c)
{
	mbedtls_ssl_key_cert *k = c->key_cert, *next;

	for (; k != NULL; k = next) {
		next = k->next;
		mbedtls_free(k);
	}
	c->key_cert = NULL;
}

static inline int compat_max_version(void)
{
	return 0x0303;
}

static inline int compat_ssl_state(const mbedtls_ssl_context *ssl)
{
	return ssl->state;
}

static inline void compat_conf_tls13_tickets(mbedtls_ssl_config *c)
{
	(void)c;
}

/* TLS 1.2 only: the alert goes out before our ChangeCipherSpec, in
   the clear. */
static inline void compat_server_cert_alert(mbedtls_ssl_context *ssl,
    int no_cert, unsigned char alert)
{
	(void)mbedtls_ssl_send_alert_message(ssl,
	    MBEDTLS_SSL_ALERT_LEVEL_FATAL,
	    no_cert ? MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE : alert);
}

static inline int compat_last_alert(const mbedtls_ssl_context *ssl)
{
	return ssl->in_msg != NULL ? ssl->in_msg[1] : -1;
}

/* Never returned by 2.28; values chosen outside its code space. */
#define COMPAT_ERR_NEW_TICKET (-0x7FF0)
#define COMPAT_ERR_BAD_VERSION MBEDTLS_ERR_SSL_BAD_HS_PROTOCOL_VERSION
#define COMPAT_ERR_HS_FAILURE (-0x7FF3)
#define MBEDTLS_ERR_SSL_NO_APPLICATION_PROTOCOL (-0x7FF6)
#define COMPAT_ERR_NO_CIPHER MBEDTLS_ERR_SSL_NO_CIPHER_CHOSEN
#define COMPAT_ERR_NO_USABLE_SUITE MBEDTLS_ERR_SSL_NO_USABLE_CIPHERSUITE
#define COMPAT_ERR_ASYNC_CRYPTO MBEDTLS_ERR_SSL_ASYNC_IN_PROGRESS
#define MBEDTLS_ERR_SSL_RECEIVED_EARLY_DATA (-0x7FF1)
#define COMPAT_TLS13_SUITES
#define MBEDTLS_ERR_SSL_UNSUPPORTED_EXTENSION (-0x7FF2)

#endif

#endif /* USSL_MBEDTLS_COMPAT_H */
