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
 *
 * Knobs (set by micropython.mk from make variables of the same meaning):
 *   USSL_MP_TLS13          1: TLS 1.3 as well (USSL_TLS13=1)
 *   USSL_MP_VARIABLE_BUFFERS, USSL_MP_OUT_RECORD: record buffers, below
 *   USSL_MP_USE_PSA        1: TLS 1.2 record keys in PSA key slots
 *                          (USSL_USE_PSA=1; default 0: the legacy cipher
 *                          layer, and no PSA at all without TLS 1.3)
 */
#ifndef USSL_MBEDTLS_CONFIG_H
#define USSL_MBEDTLS_CONFIG_H

#include "mbedtls/mbedtls_config_port.h"

#ifndef USSL_MP_TLS13
#define USSL_MP_TLS13 0
#endif
#ifndef USSL_MP_USE_PSA
#define USSL_MP_USE_PSA 0
#endif
/* The binding's features (micropython.mk: USSL_PSK, USSL_SESSIONS,
   USSL_ALPN, USSL_PEM, USSL_DTLS; 1 unless set), each with the mbedTLS
   options only it needs.  The signing callback (USSL_SIGNCB) needs
   none. */
#include "ussl_mp_features.h"

/* ---- ussl: record buffers (RAM per connection) -------------------
 * Kept in this one block: the rest of the file is about features and
 * flash.
 *
 * A peer may always send 16 KB records unless it agreed to a smaller
 * maximum fragment length (RFC 6066), so during the handshake and
 * afterwards, unless agreed otherwise, the input buffer holds 16 KB; the
 * output buffer holds 4 KB during the handshake (our certificate chain).
 *
 * USSL_MP_VARIABLE_BUFFERS (micropython.mk sets it to 1 when it compiled
 * mbedtls_patch.py's copies of ssl_tls.c and ssl_tls12_client.c, the
 * default): mbedTLS's variable buffer lengths.  After the handshake the
 * input buffer shrinks to the length the server agreed to, if it agreed
 * (a client's SSLContext.max_fragment_length, or a client's request to
 * our server), else stays at 16 KB; the output buffer shrinks to
 * USSL_MP_OUT_RECORD (records of ours after the handshake, make
 * USSL_OUT_RECORD=N) or the agreed length if smaller.  The patch fixes
 * mbedTLS 3.6's sizing, which unpatched cut the input buffer to the
 * requested length even when the server ignored the request, and to 4 KB
 * when nothing was asked; with MicroPython's lib/mbedtls unpatched (a
 * version the patch does not know) this stays 0: fixed buffers.
 * ---------------------------------------------------------------------- */
#ifndef USSL_MP_VARIABLE_BUFFERS
#define USSL_MP_VARIABLE_BUFFERS 0
#endif
#undef MBEDTLS_SSL_MAX_CONTENT_LEN
#undef MBEDTLS_SSL_IN_CONTENT_LEN
#undef MBEDTLS_SSL_OUT_CONTENT_LEN
#define MBEDTLS_SSL_IN_CONTENT_LEN 16384
#define MBEDTLS_SSL_OUT_CONTENT_LEN 4096
#if USSL_MP_VARIABLE_BUFFERS
#define MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH
#if defined(USSL_MP_OUT_RECORD) && USSL_MP_OUT_RECORD > 0 && \
    USSL_MP_OUT_RECORD < MBEDTLS_SSL_OUT_CONTENT_LEN
#define USSL_OUT_RECORD_AFTER_HANDSHAKE USSL_MP_OUT_RECORD
#endif
#endif
/* Ask for smaller records as a client, honour a client's request as a
   server (RFC 6066). */
#define MBEDTLS_SSL_MAX_FRAGMENT_LENGTH
/*
 * GCM (and CCM) on mbedTLS's block cipher layer instead of its generic
 * cipher layer (which mbedTLS 3.6 picks whenever MBEDTLS_CIPHER_C is
 * on): each direction's GCM context then holds its AES key schedule
 * itself rather than in a second allocation made through the cipher
 * layer.  One allocation less per direction: 256 bytes less per TLS 1.2
 * connection in the unix port (32-byte heap blocks, 16-byte tracked
 * headers).  Same code paths otherwise (the legacy AES).
 */
#define MBEDTLS_BLOCK_CIPHER_C
/* ---- end of ussl: record buffers ------------------------------------- */

/*
 * Protocol versions.  TLS 1.2 only by default, as the stock module: every
 * server a MicroPython device talks to speaks it, and a TLS 1.2-only
 * build keeps less per connection (mbedTLS's TLS 1.3 needs the peer's
 * parsed certificate chain kept in the session, and keeps the handshake
 * keys).  TLS 1.3 with make USSL_TLS13=1.
 */
#undef MBEDTLS_SSL_PROTO_TLS1
#undef MBEDTLS_SSL_PROTO_TLS1_1
#define MBEDTLS_SSL_PROTO_TLS1_2
#if USSL_MP_TLS13
#define MBEDTLS_SSL_PROTO_TLS1_3
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED
/* External PSKs (and tickets) under TLS 1.3. */
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_ENABLED
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL_ENABLED
/* Middlebox compatibility: some networks drop TLS 1.3 without it. */
#define MBEDTLS_SSL_TLS1_3_COMPATIBILITY_MODE
/* TLS 1.3's key schedule, and RSA-PSS, which it signs with. */
#define MBEDTLS_HKDF_C
#define MBEDTLS_PKCS1_V21
#define MBEDTLS_X509_RSASSA_PSS_SUPPORT
/* mbedTLS 3.6 cannot build TLS 1.3 without it.  The engine drops the
   peer's chain after the handshake and keeps the leaf itself, which is
   all getpeercert() returns; without TLS 1.3 it is left out. */
#define MBEDTLS_SSL_KEEP_PEER_CERTIFICATE
#else
#undef MBEDTLS_SSL_KEEP_PEER_CERTIFICATE
#endif
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#define MBEDTLS_SSL_ENCRYPT_THEN_MAC
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
/* Session tickets (tls.SSLSession, the context's session cache, a
   server's tickets with rotating keys) and ALPN
   (SSLContext.set_alpn_protocols()). */
#if USSL_MP_SESSIONS
#define MBEDTLS_SSL_SESSION_TICKETS
#define MBEDTLS_SSL_TICKET_C
#endif
#if USSL_MP_ALPN
#define MBEDTLS_SSL_ALPN
#endif

/*
 * PSA crypto: TLS 1.3 runs on it, and with MBEDTLS_USE_PSA_CRYPTO
 * (USSL_USE_PSA=1, not the default) TLS 1.2 keeps a connection's record
 * keys in PSA key slots instead of two cipher contexts, about 1.6 KB less
 * per connection for about 20 KB more flash and a fixed ceiling of
 * connections (below; see docs/micropython.md).  The default has no PSA
 * in a TLS 1.2 build: as many connections as the heap holds, as with the
 * stock module.  PSA's
 * random generator seeds from mbedtls_entropy_func, i.e. the same entropy
 * sources as the rest of mbedTLS (mbedtls_hardware_poll on bare-metal
 * ports).  A TLS 1.2 build with USSL_USE_PSA=0 has no PSA at all (the
 * binding then supplies the psa_crypto_init() the core calls).
 *
 * MBEDTLS_PSA_ASSUME_EXCLUSIVE_BUFFERS: PSA would otherwise copy every
 * record into a temporary heap buffer (a defence for callers whose
 * buffers other parties can change, not a case here): an allocation and
 * a copy per record, and 16 KB more peak.
 *
 * The key store stays static (no MBEDTLS_PSA_KEY_STORE_DYNAMIC): the
 * dynamic one allocates slot tables that live until psa_crypto_free(),
 * which on ports that put mbedTLS on the MicroPython heap would be left
 * pointing into the heap that a soft reset discards.  A static store of
 * MBEDTLS_PSA_KEY_SLOT_COUNT slots (mbedTLS's default 32, 40 bytes each
 * on 32-bit ports) bounds the keys alive at once: a TLS 1.2 connection
 * holds 2 (a TLS 1.3 one 4), a context with an EC key 1, a handshake up
 * to 3 more for a moment.  That is 14 simultaneous TLS 1.2
 * connections with USSL_USE_PSA=1, and 7 with TLS 1.3 (which needs PSA);
 * ports wanting more define a larger count
 * (make USSL_PSA_KEY_SLOTS=N).  The binding runs the collector before a
 * new connection when garbage might be holding the slots it needs, and
 * refuses the connection (ENOMEM) when live objects hold too many.
 *
 * Known difference in mbedTLS 3.6 (3.6.7 too) with MBEDTLS_USE_PSA_CRYPTO: a TLS 1.2
 * server does not check that the client offered the curve of its ECDSA
 * certificate, so a client offering none of them gets a suite it then
 * aborts (the handshake fails either way; only the failing side differs).
 */
#if USSL_MP_TLS13 || USSL_MP_USE_PSA
#define MBEDTLS_PSA_CRYPTO_C
#endif
#if USSL_MP_USE_PSA
#define MBEDTLS_USE_PSA_CRYPTO
#define MBEDTLS_PSA_ASSUME_EXCLUSIVE_BUFFERS
#endif

/* PEM certificates and keys, which both modules accept (the core tells
   PEM from DER); MicroPython 1.26's base configuration leaves PEM out. */
#if USSL_MP_PEM
#define MBEDTLS_BASE64_C
#define MBEDTLS_PEM_PARSE_C
#else
#undef MBEDTLS_BASE64_C
#undef MBEDTLS_PEM_PARSE_C
#endif

/* Pre-shared keys (SSLContext.psk_identity, psk_key, server_psk_keys):
   plain PSK, as the stock module has, and ECDHE-PSK; keys up to 48
   bytes, as the core takes. */
#if USSL_MP_PSK
#define MBEDTLS_KEY_EXCHANGE_PSK_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_PSK_ENABLED
#undef MBEDTLS_PSK_MAX_LEN
#define MBEDTLS_PSK_MAX_LEN 48
#else
#undef MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_ENABLED
#undef MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL_ENABLED
#endif

/* Renegotiation stays off (mbedTLS default).  DTLS 1.2 is on, with
   replay protection and the server's cookies (made by the ussl core,
   so mbedTLS's cookie module is not needed). */
#undef MBEDTLS_SSL_RENEGOTIATION
#if USSL_MP_DTLS
#define MBEDTLS_SSL_PROTO_DTLS
#define MBEDTLS_SSL_DTLS_ANTI_REPLAY
#define MBEDTLS_SSL_DTLS_HELLO_VERIFY
#else
#undef MBEDTLS_SSL_PROTO_DTLS
#undef MBEDTLS_SSL_DTLS_ANTI_REPLAY
#undef MBEDTLS_SSL_DTLS_HELLO_VERIFY
#endif
#undef MBEDTLS_SSL_COOKIE_C

/* No threads inside mbedTLS: MicroPython serialises calls (GIL). */
#undef MBEDTLS_THREADING_C

/*
 * ussl's own messages say what failed; mbedTLS's table of error strings
 * would cost flash and is not needed (the core prints the number).
 */
#undef MBEDTLS_ERROR_C

/* ---- Flash profile (kept in its own header): AES tables, SHA loops,
   no X.509 info texts, NIST reduction, the small profile. ---- */
#include "ussl_mbedtls_profile.h"

#endif /* USSL_MBEDTLS_CONFIG_H */
