/*
 * ussl_mbedtls_profile.h - the flash side of ussl's mbedTLS configuration
 * in MicroPython (bundled lib/mbedtls), included at the end of
 * ussl_mbedtls_config.h.  Figures and commands: docs/micropython-firmware.md.
 *
 * Knobs (from micropython.mk):
 *   USSL_MP_PROFILE_SMALL  1: the smallest profile (make USSL_PROFILE=small)
 *   USSL_MP_NIST_OPTIM     0: no fast NIST reduction (make USSL_NIST_OPTIM=0)
 */
#ifndef USSL_MBEDTLS_PROFILE_H
#define USSL_MBEDTLS_PROFILE_H

#ifndef USSL_MP_PROFILE_SMALL
#define USSL_MP_PROFILE_SMALL 0
#endif
#ifndef USSL_MP_NIST_OPTIM
#define USSL_MP_NIST_OPTIM 1
#endif

/*
 * Every profile: smaller code for the same protocol features (no suite,
 * curve, key type or hash the stock module has is left out).
 *
 * AES with one forward and one reverse table (2 KB of flash) instead of
 * four of each (8 KB): a few rotations more per round.
 */
#define MBEDTLS_AES_FEWER_TABLES
/* SHA-256 and SHA-512 compressions as loops rather than unrolled. */
#define MBEDTLS_SHA256_SMALLER
#define MBEDTLS_SHA512_SMALLER
/*
 * No certificate dumps, OID descriptions or mbedTLS's verification texts:
 * the core names what failed itself, and the binding keeps the stock
 * module's texts for the failures it reports (mbedtls_glue.c).
 */
#define MBEDTLS_X509_REMOVE_INFO
/*
 * Fast reduction modulo the NIST primes (P-192 to P-521): about 2.7 KB of
 * flash in a Cortex-M3 firmware for roughly ten times fewer instructions
 * per ECDHE-ECDSA handshake (without it every field multiplication ends
 * in a long division).  On by default, whatever the port's header says;
 * make USSL_NIST_OPTIM=0 leaves it out.
 */
#if USSL_MP_NIST_OPTIM
#define MBEDTLS_ECP_NIST_OPTIM
#else
#undef MBEDTLS_ECP_NIST_OPTIM
#endif

/*
 * ChaCha20-Poly1305 suites, preferred by a client (make USSL_CHACHA=0
 * leaves them out): a microcontroller without AES instructions runs them
 * faster than software AES-GCM, and a connection keeps 2 x 256 bytes of
 * cipher state instead of 2 x 640 (the GCM tables and the AES key
 * schedule).  Servers that follow the client's order (OpenSSL and Go by
 * default, nginx's default) pick them; one that prefers AES-GCM gets it.
 */
#ifndef USSL_MP_CHACHA
#define USSL_MP_CHACHA 1
#endif
#if USSL_MP_CHACHA
#define MBEDTLS_CHACHA20_C
#define MBEDTLS_POLY1305_C
#define MBEDTLS_CHACHAPOLY_C
#define USSL_PREFER_CHACHA 1
#endif

/*
 * The smallest profile (make USSL_PROFILE=small): TLS 1.2, ECDHE-ECDSA
 * with P-256 keys and certificates only, AES-GCM and AES-CBC suites with
 * SHA-256.  No RSA (neither RSA keys nor servers with RSA certificates),
 * no other curves, no SHA-384/512, no encrypted PKCS#8 keys.  SHA-1 and
 * MD5 stay (MicroPython's hashlib uses mbedTLS's), so does CBC (cryptolib).
 */
#if USSL_MP_PROFILE_SMALL
#if USSL_MP_TLS13
#error "ussl: USSL_PROFILE=small is TLS 1.2 only (USSL_TLS13=0)"
#endif
#undef MBEDTLS_RSA_C
#undef MBEDTLS_PKCS1_V15
#undef MBEDTLS_PKCS1_V21
#undef MBEDTLS_X509_RSASSA_PSS_SUPPORT
#undef MBEDTLS_KEY_EXCHANGE_RSA_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_DHE_RSA_ENABLED
#undef MBEDTLS_ECP_DP_SECP192R1_ENABLED
#undef MBEDTLS_ECP_DP_SECP224R1_ENABLED
#undef MBEDTLS_ECP_DP_SECP384R1_ENABLED
#undef MBEDTLS_ECP_DP_SECP521R1_ENABLED
#undef MBEDTLS_ECP_DP_SECP192K1_ENABLED
#undef MBEDTLS_ECP_DP_SECP224K1_ENABLED
#undef MBEDTLS_ECP_DP_SECP256K1_ENABLED
#undef MBEDTLS_ECP_DP_BP256R1_ENABLED
#undef MBEDTLS_ECP_DP_BP384R1_ENABLED
#undef MBEDTLS_ECP_DP_BP512R1_ENABLED
#undef MBEDTLS_ECP_DP_CURVE25519_ENABLED
#undef MBEDTLS_ECP_DP_CURVE448_ENABLED
#undef MBEDTLS_SHA384_C
#undef MBEDTLS_SHA512_C
#undef MBEDTLS_PKCS5_C
#endif

#endif /* USSL_MBEDTLS_PROFILE_H */
