/*
 * mbedtls_config.h - ussl's build configuration for mbedTLS 3.6.
 *
 * Selected with MBEDTLS_CONFIG_FILE when the bundled mbedTLS is compiled and
 * when anything that includes mbedTLS headers is compiled: both MUST see the
 * same options, because they change structure layouts.  Pass the macro with
 * an absolute path (the CMake build does): a bare "mbedtls_config.h" would
 * be found next to mbedTLS's own build_info.h first, which silently selects
 * upstream's default configuration instead of this one.
 *
 * What it gives: TLS 1.2 and 1.3, client and server; ECDHE over x25519,
 * secp256r1 and secp384r1; RSA and ECDSA certificates; AES-GCM and
 * ChaCha20-Poly1305; SHA-256/384/512; X.509 chains with CRLs; PEM/DER keys
 * (encrypted PKCS#8 and legacy PEM too).  Nothing older than TLS 1.2, no
 * renegotiation, no static-RSA key exchange, no DES/RC4/CBC cipher suites.
 *
 * Knobs the build may define before this file is read:
 *   USSL_MBEDTLS_THREADING   mutexes via pthreads (hosts; not MicroPython)
 *   USSL_MBEDTLS_FS_IO       mbedTLS's file helpers (hosts with stdio)
 *   USSL_MBEDTLS_DEBUG       mbedtls_debug_* output (debugging only)
 *   USSL_MBEDTLS_NO_PSA_RECORDS  TLS 1.2 records through cipher contexts,
 *                            not PSA (faster, 1.4 KB more per connection)
 *   USSL_MBEDTLS_VARIABLE_BUFFERS  MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH (only
 *                            with the build's fix to mbedTLS, see below)
 *   MBEDTLS_SSL_IN_CONTENT_LEN / MBEDTLS_SSL_OUT_CONTENT_LEN
 * Ports with their own entropy, allocator or clock add those through
 * MBEDTLS_USER_CONFIG_FILE, which mbedTLS reads right after this file.
 */
#ifndef USSL_MBEDTLS_CONFIG_H
#define USSL_MBEDTLS_CONFIG_H

/* Lets code check that this file, not a default one, is in force. */
#define USSL_MBEDTLS_CONFIG 1

/* ---- Platform ----------------------------------------------------------- */

/* Inline assembly for bignum multiplication and the AES-NI fallback path. */
#define MBEDTLS_HAVE_ASM
/* Certificates are checked against the clock: time() and gmtime_r(). */
#define MBEDTLS_HAVE_TIME
#define MBEDTLS_HAVE_TIME_DATE
/* mbedtls_platform_set_calloc_free() and friends, for ports that want them. */
#define MBEDTLS_PLATFORM_C

#if defined(USSL_MBEDTLS_THREADING)
#define MBEDTLS_THREADING_C
#define MBEDTLS_THREADING_PTHREAD
#endif

#if defined(USSL_MBEDTLS_FS_IO)
#define MBEDTLS_FS_IO
#endif

#if defined(USSL_MBEDTLS_DEBUG)
#define MBEDTLS_DEBUG_C
#endif

/* ---- Randomness ---------------------------------------------------------- */

/* The entropy pool reads the OS source (getrandom, /dev/urandom) unless a
 * port adds MBEDTLS_NO_PLATFORM_ENTROPY and a source of its own. */
#define MBEDTLS_ENTROPY_C
#define MBEDTLS_CTR_DRBG_C
/* Deterministic ECDSA (RFC 6979) so a weak RNG cannot leak signing keys. */
#define MBEDTLS_HMAC_DRBG_C

/* ---- Symmetric crypto ---------------------------------------------------- */

#define MBEDTLS_AES_C
/* AES-NI and PCLMULQDQ, chosen at run time from CPUID; x86 only (mbedTLS
 * ignores the option elsewhere). */
#define MBEDTLS_AESNI_C
#define MBEDTLS_GCM_C
#define MBEDTLS_CHACHA20_C
#define MBEDTLS_POLY1305_C
#define MBEDTLS_CHACHAPOLY_C
#define MBEDTLS_CIPHER_C
/* CBC is here only to decrypt password-protected PEM/PKCS#8 keys; the TLS
 * cipher suite list below leaves every CBC suite out. */
#define MBEDTLS_CIPHER_MODE_CBC
#define MBEDTLS_CIPHER_PADDING_PKCS7

/* ---- Hashes -------------------------------------------------------------- */

#define MBEDTLS_MD_C
#define MBEDTLS_SHA224_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA384_C
#define MBEDTLS_SHA512_C
/* SHA-1 and MD5 only because key files need them: SHA-1 is PBKDF2's default
 * PRF in PKCS#5, MD5 derives the key of legacy "Proc-Type: 4,ENCRYPTED" PEM.
 * mbedTLS's default X.509 profile still rejects SHA-1 signatures and no TLS
 * cipher suite uses either. */
#define MBEDTLS_SHA1_C
#define MBEDTLS_MD5_C
#define MBEDTLS_HKDF_C

/* ---- Public-key crypto --------------------------------------------------- */

#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#define MBEDTLS_ECP_DP_CURVE25519_ENABLED
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECDSA_DETERMINISTIC
#define MBEDTLS_RSA_C
/* v1.5 for RSA certificate signatures and TLS 1.2; v2.1 (PSS) is what
 * TLS 1.3 signs with. */
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_PKCS1_V21

#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PK_WRITE_C
/* PBES2 (PKCS#5) encrypted PKCS#8 keys, as openssl writes them by default. */
#define MBEDTLS_PKCS5_C

/* ---- PSA crypto ---------------------------------------------------------- */

/* TLS 1.3 runs its key schedule through PSA.  MBEDTLS_PSA_CRYPTO_CONFIG stays
 * undefined, so PSA_WANT_* follow from the legacy options above.  The
 * application must call psa_crypto_init() before the first handshake. */
#define MBEDTLS_PSA_CRYPTO_C
#define MBEDTLS_PSA_KEY_STORE_DYNAMIC
/* TLS 1.2 through PSA too: a connection's record keys then live in PSA key
 * slots instead of per-direction cipher contexts, about 1.4 KB less per
 * connection (3 KB for TLS 1.3, whose handshake keys mbedTLS keeps).  The
 * price: PSA sets the AES-GCM key up again for every record (a small
 * allocation and the key schedule).  USSL_MBEDTLS_NO_PSA_RECORDS keeps
 * the cipher contexts instead. */
#if !defined(USSL_MBEDTLS_NO_PSA_RECORDS)
#define MBEDTLS_USE_PSA_CRYPTO
#endif
/* PSA would otherwise copy every record into a temporary heap buffer
 * (a defence for callers whose buffers other parties can change, not a
 * case here): an allocation and a copy per record, and 16 KB more peak. */
#define MBEDTLS_PSA_ASSUME_EXCLUSIVE_BUFFERS

/* ---- Encodings and X.509 ------------------------------------------------- */

#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_PEM_WRITE_C
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_CRL_PARSE_C
#define MBEDTLS_X509_RSASSA_PSS_SUPPORT

/* ---- TLS ----------------------------------------------------------------- */

#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_SRV_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_PROTO_TLS1_3
/* DTLS 1.2 (src/mbedtls_dtls.c): replay protection and the server's
   cookies (the core makes them: no MBEDTLS_SSL_COOKIE_C). */
#define MBEDTLS_SSL_PROTO_DTLS
#define MBEDTLS_SSL_DTLS_ANTI_REPLAY
#define MBEDTLS_SSL_DTLS_HELLO_VERIFY

/* TLS 1.2 key exchanges: forward secrecy only. */
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
/* Pre-shared keys (ussl_ctx_set_psk): ECDHE-PSK, and plain PSK for peers
 * that have nothing else.  Offered only by a context that has a PSK. */
#define MBEDTLS_KEY_EXCHANGE_ECDHE_PSK_ENABLED
#define MBEDTLS_KEY_EXCHANGE_PSK_ENABLED
#define MBEDTLS_PSK_MAX_LEN 48
/* Inert without CBC suites, but harmless if someone configures them. */
#define MBEDTLS_SSL_ENCRYPT_THEN_MAC

/* TLS 1.3. */
#define MBEDTLS_SSL_TLS1_3_COMPATIBILITY_MODE
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL_ENABLED
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_ENABLED

/* Extensions and features. */
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_ALPN
#define MBEDTLS_SSL_SESSION_TICKETS
#define MBEDTLS_SSL_TICKET_C
#define MBEDTLS_SSL_CACHE_C
/* Needed by TLS 1.3; the engine drops the parsed chain after the handshake. */
#define MBEDTLS_SSL_KEEP_PEER_CERTIFICATE
#define MBEDTLS_SSL_MAX_FRAGMENT_LENGTH
#define MBEDTLS_SSL_ALL_ALERT_MESSAGES

/* Record buffers.  A peer may always send 16 KB records (unless max fragment
 * length is negotiated), so the input side keeps the full size; our own
 * records can be smaller. */
#ifndef MBEDTLS_SSL_IN_CONTENT_LEN
#define MBEDTLS_SSL_IN_CONTENT_LEN 16384
#endif
#ifndef MBEDTLS_SSL_OUT_CONTENT_LEN
#define MBEDTLS_SSL_OUT_CONTENT_LEN 4096
#endif

/* Buffers that shrink to the negotiated maximum fragment length after the
 * handshake (ussl_ctx_set_max_fragment): on when the build applied its fix
 * to mbedTLS 3.6.7 (cmake/UsslMbedtls.cmake, USSL_MBEDTLS_VARIABLE_BUFFERS).
 * Unfixed, mbedTLS cuts the input buffer to min(IN, OUT) after the
 * handshake when nothing was negotiated, and every full 16 KB record from
 * the peer then fails; so never define this for an unfixed mbedTLS with
 * unequal sizes. */
#if defined(USSL_MBEDTLS_VARIABLE_BUFFERS)
#define MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH
#endif

/* Default cipher suites, strongest first: AEAD only, forward secret only. */
#define MBEDTLS_SSL_CIPHERSUITES                                \
    MBEDTLS_TLS1_3_AES_256_GCM_SHA384,                          \
    MBEDTLS_TLS1_3_CHACHA20_POLY1305_SHA256,                    \
    MBEDTLS_TLS1_3_AES_128_GCM_SHA256,                          \
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,            \
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,              \
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,      \
    MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,        \
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,            \
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256

/* ---- Diagnostics --------------------------------------------------------- */

/* mbedtls_strerror() with real messages, for ussl's error strings. */
#define MBEDTLS_ERROR_C
/* mbedtls_version_get_string(), for ussl_engine_version(). */
#define MBEDTLS_VERSION_C

#endif /* USSL_MBEDTLS_CONFIG_H */
