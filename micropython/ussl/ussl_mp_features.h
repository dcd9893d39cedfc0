/*
 * ussl_mp_features.h - the MicroPython binding's build-time features,
 * each 1 (on) unless the build says otherwise (micropython.mk sets them
 * from make variables of the same name without the MP_; see there).
 * Read by the binding and by ussl_mbedtls_config.h, which leaves out the
 * mbedTLS options of a feature that is off.
 */
#ifndef USSL_MP_FEATURES_H
#define USSL_MP_FEATURES_H

/* Pre-shared keys (mod_tls_psk.c). */
#ifndef USSL_MP_PSK
#define USSL_MP_PSK 1
#endif
/* Session resumption and tickets (sslsession.c). */
#ifndef USSL_MP_SESSIONS
#define USSL_MP_SESSIONS 1
#endif
/* ALPN (sslsession.c). */
#ifndef USSL_MP_ALPN
#define USSL_MP_ALPN 1
#endif
/* The signing callbacks (signcb.c). */
#ifndef USSL_MP_SIGNCB
#define USSL_MP_SIGNCB 1
#endif
/* PEM input as well as DER. */
#ifndef USSL_MP_PEM
#define USSL_MP_PEM 1
#endif
/* DTLS (PROTOCOL_DTLS_CLIENT, PROTOCOL_DTLS_SERVER). */
#ifndef USSL_MP_DTLS
#define USSL_MP_DTLS 1
#endif

#endif /* USSL_MP_FEATURES_H */
