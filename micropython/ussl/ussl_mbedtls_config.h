/*
 * ussl_mbedtls_config.h - the mbedTLS configuration for ussl inside
 * MicroPython, when MicroPython's bundled lib/mbedtls is compiled by our
 * micropython.mk (USSL_MBEDTLS=bundled, the default).
 *
 * It starts from the port's own header, mbedtls/mbedtls_config_port.h,
 * because that is where each port hooks mbedTLS to its platform: the
 * time source, the entropy source (mbedtls_hardware_poll on bare-metal
 * ports) and, on ports that want mbedTLS on the MicroPython heap,
 * calloc/free through m_tracked_calloc/m_tracked_free.  That header also
 * brings MicroPython's base feature set (extmod's mbedtls_config_common.h),
 * which keeps the cipher suites a stock MicroPython peer offers.  On top
 * of it we choose what saves RAM per connection and what ussl needs.
 */
#ifndef USSL_MBEDTLS_CONFIG_H
#define USSL_MBEDTLS_CONFIG_H

#include "mbedtls/mbedtls_config_port.h"

/*
 * Record buffers.  A peer may always send 16 KB records (unless it agreed
 * to a smaller maximum fragment length), so the input buffer must hold
 * that; what we send is our choice, and 4 KB records cost little.
 *
 * Variable buffer lengths are opt-in (make USSL_SMALL_RECORDS=1): after a
 * TLS 1.2 handshake mbedTLS 3.6 then shrinks the input buffer to the
 * smaller of the two sizes (4 KB) whether or not the peer agreed to send
 * records that small, and a larger record from the peer fails the
 * connection (measured: a CPython/OpenSSL server sending one 16 KB record
 * gives -0x7100).  That saves about 12 KB per connection but is safe only
 * with peers that never send records over 4 KB.
 */
#undef MBEDTLS_SSL_MAX_CONTENT_LEN
#undef MBEDTLS_SSL_IN_CONTENT_LEN
#undef MBEDTLS_SSL_OUT_CONTENT_LEN
#define MBEDTLS_SSL_IN_CONTENT_LEN 16384
#define MBEDTLS_SSL_OUT_CONTENT_LEN 4096
#if defined(USSL_MP_SMALL_RECORDS) && USSL_MP_SMALL_RECORDS
#define MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH
#endif
/* Honour a client's request for smaller records (RFC 6066). */
#define MBEDTLS_SSL_MAX_FRAGMENT_LENGTH

/* getpeercert() needs the peer's certificate after the handshake (and
   mbedTLS requires it for TLS 1.3). */
#define MBEDTLS_SSL_KEEP_PEER_CERTIFICATE

/* Protocol: TLS 1.2 and 1.3 only (TLS1/TLS1_1 names are no-ops in 3.x). */
#undef MBEDTLS_SSL_PROTO_TLS1
#undef MBEDTLS_SSL_PROTO_TLS1_1
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_PROTO_TLS1_3
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED
/* Middlebox compatibility: some networks drop TLS 1.3 without it. */
#define MBEDTLS_SSL_TLS1_3_COMPATIBILITY_MODE
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#define MBEDTLS_SSL_ENCRYPT_THEN_MAC
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_ALPN
#define MBEDTLS_SSL_SESSION_TICKETS

/* TLS 1.3 needs PSA crypto, HKDF, and RSA-PSS for RSA certificates. */
#define MBEDTLS_PSA_CRYPTO_C
#define MBEDTLS_HKDF_C
#define MBEDTLS_PKCS1_V21
#define MBEDTLS_X509_RSASSA_PSS_SUPPORT

/* Renegotiation stays off (mbedTLS default), so does DTLS, which the
   port's header may have enabled for the stock module. */
#undef MBEDTLS_SSL_RENEGOTIATION
#undef MBEDTLS_SSL_PROTO_DTLS
#undef MBEDTLS_SSL_DTLS_ANTI_REPLAY
#undef MBEDTLS_SSL_DTLS_HELLO_VERIFY
#undef MBEDTLS_SSL_COOKIE_C

/* No threads inside mbedTLS: MicroPython serialises calls (GIL). */
#undef MBEDTLS_THREADING_C

/*
 * ussl's own messages say what failed; mbedTLS's table of error strings
 * would cost flash and is not needed (the core prints the number).
 */
#undef MBEDTLS_ERROR_C

#endif /* USSL_MBEDTLS_CONFIG_H */
