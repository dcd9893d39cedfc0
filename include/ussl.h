/*
 * ussl.h - public C API of ussl: TLS for any stream transport.
 *
 * Two opaque objects:
 *
 *   ussl_ctx   a configuration: role (client or server), verification
 *              mode, own certificate chain and key, trusted CA store,
 *              ALPN list, buffer sizes.  Reference-counted and shared by
 *              any number of connections; certificates and keys are parsed
 *              once, when loaded.  A context is frozen by its first
 *              connection (ussl_conn_new): from then on every setter
 *              fails with USSL_E_BADARG and leaves it unchanged, and it
 *              may be used by several threads at once.  To change the
 *              settings of a context in use, make a mutable copy with
 *              ussl_ctx_dup() (it shares the parsed CA store and chain),
 *              change the copy and make new connections from it: a
 *              connection always keeps the settings it was made with.
 *
 *   ussl_conn  one TLS connection over a transport.  A connection MUST
 *              NOT be used by two threads at the same time; callers that
 *              want full-duplex use serialise calls with their own lock
 *              (calls never block when the transport does not).
 *
 * Transport: a pair of callbacks (ussl_transport).  The library never
 * touches sockets itself; ussl_conn_set_fd() (ussl_fd.c, POSIX hosts only)
 * is a thin adapter for file descriptors.
 *
 * Return convention for ussl_handshake/ussl_read/ussl_write/ussl_close/
 * ussl_flush:
 *
 *   >= 0             success (a byte count for read/write; 0 from
 *                    ussl_read means the peer sent close_notify)
 *   USSL_WANT_READ   wait until the transport is readable, then call
 *                    again
 *   USSL_WANT_WRITE  wait until the transport is writable, then call
 *                    again
 *   USSL_ERROR       failure: ussl_conn_error() gives the code, the
 *                    message and, for transport failures, the errno.
 *                    Fatal errors are sticky: every later call (after
 *                    ussl_close() too) returns USSL_ERROR with the same
 *                    code and message.  USSL_E_TIMEOUT, USSL_E_BADARG,
 *                    USSL_E_CLOSED and USSL_E_HELLO_VERIFY are not
 *                    fatal.
 *
 * Output (the write rule).  ussl_write() returns how many bytes it
 * accepted: they are encrypted and belong to the stream from then on.
 * The transport may not have taken all of them yet; the rest (at most
 * about one record) stays in the connection and goes out first, before
 * anything else, on the next ussl_write, ussl_read, ussl_handshake,
 * ussl_close or ussl_flush.  A call that returns USSL_WANT_* or fails
 * with USSL_E_TIMEOUT accepted nothing, so the next ussl_write may carry
 * any data (the same or other): the peer receives exactly the accepted
 * bytes, in order, or the connection fails with an error; never does a
 * success drop bytes.  A non-blocking caller that has nothing more to
 * write calls ussl_flush() until USSL_OK before it waits for the peer
 * only (ussl_read also sends first, and asks for USSL_WANT_WRITE while
 * output waits and nothing can be read).
 *
 * Which direction to wait for is what the code names, not which call was
 * made: a read may need to write (TLS 1.3 key update, renegotiation
 * refusal) and a write may need to read (deferred handshake).
 *
 * Errors: the codes below are ussl's own and do not depend on the engine
 * (mbedTLS or OpenSSL); the message carries the engine's detail.
 *
 * Nothing in this API sleeps, spins or waits: blocking, if wanted, is
 * done by the transport (a blocking fd) or by the caller (poll() on the
 * direction named by USSL_WANT_*).
 */
#ifndef USSL_H
#define USSL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && !defined(USSL_STATIC)
#define USSL_API __attribute__((visibility("default")))
#else
#define USSL_API
#endif

#define USSL_VERSION_STRING "0.1.0"

typedef struct ussl_ctx ussl_ctx;
typedef struct ussl_conn ussl_conn;

/* ---------------------------------------------------------------------- */
/* Return codes of I/O calls and of transport callbacks.                   */

#define USSL_OK          0
#define USSL_ERROR      (-1)
#define USSL_WANT_READ  (-2)
#define USSL_WANT_WRITE (-3)

/* ---------------------------------------------------------------------- */
/* Error codes (ussl_conn_error(), ussl_ctx_error()).  Stable values.      */
/* They start at 1000 so that they never collide with errno values.        */

enum ussl_err {
	USSL_E_NONE = 0,
	USSL_E_IO = 1001,        /* transport failed; errno in ->sys_errno */
	USSL_E_TIMEOUT = 1002,   /* the caller's deadline passed (adapters) */
	USSL_E_VERIFY = 1003,    /* peer certificate rejected; see ->verify */
	USSL_E_PROTOCOL = 1004,  /* malformed or unexpected TLS message */
	USSL_E_PEER_ALERT = 1005,/* peer sent a fatal alert (->alert) */
	USSL_E_HANDSHAKE = 1006, /* no common version/cipher/group, etc. */
	USSL_E_TRUNCATED = 1007, /* transport EOF without close_notify */
	USSL_E_CLOSED = 1008,    /* connection already closed by this side */
	USSL_E_NOMEM = 1009,     /* out of memory */
	USSL_E_BADARG = 1010,    /* invalid argument or call sequence */
	USSL_E_BADKEY = 1011,    /* private key unparsable or not matching */
	USSL_E_BADCERT = 1012,   /* certificate / CA data unparsable */
	USSL_E_CONFIG = 1013,    /* context unusable (e.g. server w/o key) */
	USSL_E_INTERNAL = 1014,  /* engine failure not covered above */
	USSL_E_NOFILE = 1015,    /* file could not be read; errno kept */
	USSL_E_HELLO_VERIFY = 1016 /* DTLS server: a cookie was sent (not
	                            fatal, see "Datagrams (DTLS 1.2)") */
};

/* Verification failure flags (ussl_error.verify), several may be set. */
#define USSL_VFY_EXPIRED        0x0001u /* validity period ended */
#define USSL_VFY_NOT_YET_VALID  0x0002u /* validity period not begun */
#define USSL_VFY_UNTRUSTED      0x0004u /* no path to a trusted root */
#define USSL_VFY_NAME_MISMATCH  0x0008u /* host name / IP not in cert */
#define USSL_VFY_BAD_USAGE      0x0010u /* key usage / EKU forbid role */
#define USSL_VFY_NO_CERT        0x0020u /* peer sent no certificate */
#define USSL_VFY_REVOKED        0x0040u /* listed in a CRL */
#define USSL_VFY_BAD_SIGNATURE  0x0080u /* weak or invalid signature */
#define USSL_VFY_BAD_KEY        0x0100u /* key type or size not allowed */
#define USSL_VFY_POLICY         0x0200u /* other rule (CA as leaf, ...) */
#define USSL_VFY_OTHER          0x8000u /* anything else */

/* The error state of a context or connection. */
typedef struct ussl_error {
	int code;          /* enum ussl_err, USSL_E_NONE if no error */
	int sys_errno;     /* errno of a transport/file failure, else 0 */
	unsigned verify;   /* USSL_VFY_* flags when code == USSL_E_VERIFY */
	int alert;         /* TLS alert number received, -1 if none */
	const char *msg;   /* readable text; valid until the next call on
	                      the same object, never NULL */
} ussl_error;

/* Name of an error code ("USSL_E_VERIFY"), never NULL. */
USSL_API const char *ussl_strerror(int code);

/* ---------------------------------------------------------------------- */
/* Transport                                                               */

/*
 * send: write up to len bytes; return the count written (> 0),
 *       USSL_WANT_WRITE if it would block, or USSL_ERROR with *err set to
 *       an errno value.
 * recv: read up to len bytes; return the count (> 0), 0 at end of stream,
 *       USSL_WANT_READ if it would block, or USSL_ERROR with *err set.
 * A callback that blocks makes the ussl call block; one that returns
 * USSL_WANT_* makes it return that code.  arg is passed back unchanged.
 * The timeout code: a callback MAY return USSL_ERROR with *err = -1 to
 * report that the caller's deadline passed (USSL_E_TIMEOUT, not sticky).
 */
typedef struct ussl_transport {
	void *arg;
	long (*send)(void *arg, const unsigned char *buf, size_t len, int *err);
	long (*recv)(void *arg, unsigned char *buf, size_t len, int *err);
} ussl_transport;

/* ---------------------------------------------------------------------- */
/* Context                                                                 */

#define USSL_CLIENT 0
#define USSL_SERVER 1

/*
 * Verification modes (the seed's CERT_* values):
 *   client NONE      no check at all (insecure; explicit opt-in)
 *   client OPTIONAL  same as REQUIRED
 *   client REQUIRED  chain to a trusted CA, validity time, host name
 *   server NONE      no client certificate requested
 *   server OPTIONAL  requested; if sent it must verify
 *   server REQUIRED  requested and must be sent and verify
 */
#define USSL_VERIFY_NONE     0
#define USSL_VERIFY_OPTIONAL 1
#define USSL_VERIFY_REQUIRED 2

/* TLS protocol versions for ussl_ctx_set_versions(). */
#define USSL_TLS1_2 0x0303
#define USSL_TLS1_3 0x0304

/*
 * Create a context for role USSL_CLIENT or USSL_SERVER.  Defaults: client
 * USSL_VERIFY_REQUIRED, server USSL_VERIFY_NONE; TLS 1.2 to the highest
 * version the engine offers; no CA, no certificate.  Returns NULL if out
 * of memory or role is invalid.  The caller owns one reference.
 */
USSL_API ussl_ctx *ussl_ctx_new(int role);

/* Take another reference; returns ctx. */
USSL_API ussl_ctx *ussl_ctx_ref(ussl_ctx *ctx);

/* Drop a reference; the last one frees the context and wipes the key.
   NULL is accepted and ignored. */
USSL_API void ussl_ctx_free(ussl_ctx *ctx);

/* Role given to ussl_ctx_new(). */
USSL_API int ussl_ctx_role(const ussl_ctx *ctx);

/*
 * A new, mutable context (not frozen; the caller owns one reference)
 * with every setting of ctx: role, verify mode and relaxations,
 * versions, own chain and key, trusted CAs, ALPN, cipher suites, verify
 * callback and its arg, max fragment length, ticket lifetime, the
 * bound of the client session cache (not its entries).  The
 * parsed CA store and chain + key are shared with ctx, not parsed or
 * copied again; changes are copy-on-write: adding a CA to the copy or
 * replacing its chain never changes ctx (nor the reverse), and the key
 * is wiped when the last context using it goes.  A server copy gets
 * ticket keys of its own.  ctx may be frozen and in use by other
 * threads; it may be freed before the copy.  NULL if out of memory.
 */
USSL_API ussl_ctx *ussl_ctx_dup(const ussl_ctx *ctx);

/* 1 once a connection has been made from ctx (its setters then fail
   with USSL_E_BADARG), else 0. */
USSL_API int ussl_ctx_frozen(const ussl_ctx *ctx);

/*
 * All setters below return USSL_OK or USSL_ERROR; on error
 * ussl_ctx_error() describes it and the context is left as it was.
 * Once ctx is frozen (see above) they all fail with USSL_E_BADARG
 * ("context is in use by a connection: make a copy with
 * ussl_ctx_dup()").  A setter must not run while another thread calls
 * ussl_conn_new() on the same context.
 * Data is copied or parsed during the call: the caller may free its
 * buffers afterwards.  PEM and DER are both accepted (detected).
 */

/* Set USSL_VERIFY_NONE/OPTIONAL/REQUIRED. */
USSL_API int ussl_ctx_set_verify(ussl_ctx *ctx, int mode);
USSL_API int ussl_ctx_verify(const ussl_ctx *ctx);

/* Restrict protocol versions (USSL_TLS1_2, USSL_TLS1_3; 0 = default).
   Anything below TLS 1.2 is refused. */
USSL_API int ussl_ctx_set_versions(ussl_ctx *ctx, int min, int max);

/*
 * Own certificate chain (leaf first, then intermediates; PEM may hold
 * several certificates, and may also hold the key when key is NULL) and
 * private key.  The key must match the leaf certificate.  password may be
 * NULL.  Replaces any earlier chain.
 */
USSL_API int ussl_ctx_use_cert_chain(ussl_ctx *ctx,
    const unsigned char *cert, size_t cert_len,
    const unsigned char *key, size_t key_len, const char *password);

/*
 * Signing callback: the private key stays where it is (a secure element,
 * an HSM, another process) and the library asks for each signature the
 * handshake needs (ServerKeyExchange or CertificateVerify, client or
 * server, TLS 1.2 and 1.3).
 *
 * fn(arg, alg, hash, hash_len, sig, sig_len) signs hash (the digest the
 * protocol computed, hash_len bytes: 32, 48 or 64; the callback MUST NOT
 * hash it again) with the key of the leaf certificate:
 *   - alg names the scheme, by its TLS SignatureScheme number (RFC 8446
 *     4.2.3): USSL_SIGN_ECDSA_* (the digest named; the curve is the
 *     certificate's), USSL_SIGN_RSA_PKCS1_*, USSL_SIGN_RSA_PSS_* (MGF1
 *     with the same hash, salt as long as the hash);
 *   - on entry *sig_len is the size of sig; the callback writes the
 *     signature and sets *sig_len to its length: ECDSA as DER
 *     (SEQUENCE { r INTEGER, s INTEGER }), RSA exactly as many bytes as
 *     the modulus;
 *   - it returns 0 when it signed, USSL_SIGN_DECLINE to have the library
 *     sign with the private key loaded with the chain (only where one
 *     was: see ussl_ctx_set_sign_cb), anything else when it failed.
 *   - the callback MUST NOT sign anything but hash with the
 *     certificate's key: it is a signing oracle for that key.
 * The library checks every signature it gets against the certificate's
 * public key before sending it: a failure, a declined request without a
 * loaded key, a wrong length or a signature that does not verify fails
 * the handshake with USSL_E_HANDSHAKE ("sign callback failed", "...
 * returned an invalid signature"); nothing the callback wrote is put in
 * the message.  hash and sig are valid during the call only.  The
 * callback runs in the thread that drives the handshake, inside
 * ussl_handshake/ussl_read/ussl_write, and may block (the call then
 * blocks); it must not call ussl functions on the same connection.  arg
 * is shared by every connection of the context and by its copies.
 *
 * Engines (mbedTLS 3.6 and 2.28, OpenSSL 3): ECDSA (P-256, P-384) in
 * TLS 1.2 and 1.3.  RSA: PKCS#1 v1.5 signatures only (neither engine
 * hands an RSA-PSS signature to a callback: they pad inside), so a
 * context whose callback key is RSA negotiates TLS 1.2 at most (OpenSSL:
 * with PKCS#1 v1.5 signature algorithms only, both ways), and loading
 * one into a context limited to TLS 1.3 fails with USSL_E_CONFIG.  The
 * USSL_SIGN_RSA_PSS_* numbers are reserved for engines that can.
 */
#define USSL_SIGN_DECLINE 1
#define USSL_SIGN_RSA_PKCS1_SHA256 0x0401
#define USSL_SIGN_RSA_PKCS1_SHA384 0x0501
#define USSL_SIGN_RSA_PKCS1_SHA512 0x0601
#define USSL_SIGN_ECDSA_SHA256     0x0403
#define USSL_SIGN_ECDSA_SHA384     0x0503
#define USSL_SIGN_ECDSA_SHA512     0x0603
#define USSL_SIGN_RSA_PSS_SHA256   0x0804
#define USSL_SIGN_RSA_PSS_SHA384   0x0805
#define USSL_SIGN_RSA_PSS_SHA512   0x0806
typedef int (*ussl_sign_fn)(void *arg, int alg, const unsigned char *hash,
    size_t hash_len, unsigned char *sig, size_t *sig_len);

/*
 * Own certificate chain (as for ussl_ctx_use_cert_chain) without a
 * private key: fn makes every signature (see above).  A key found in
 * cert is ignored.  The leaf's key must be ECDSA (P-256, P-384) or RSA.
 * Replaces any earlier chain and key, and sets fn/arg as
 * ussl_ctx_set_sign_cb() does.
 */
USSL_API int ussl_ctx_use_cert_signer(ussl_ctx *ctx,
    const unsigned char *cert, size_t cert_len, ussl_sign_fn fn,
    void *arg);

/*
 * Set or replace the signing callback of the context's own key.  With an
 * EC private key loaded (ussl_ctx_use_cert_chain), fn is asked first and
 * may return USSL_SIGN_DECLINE to let the library sign with that key
 * (the key may be a reference: ussl_ctx_key_ref() gives its value); a
 * loaded RSA key signs in the library, fn is not asked.
 * fn == NULL removes the callback; that fails with USSL_E_BADARG while
 * the chain was loaded without a key (ussl_ctx_use_cert_signer).  May be
 * called before or after the chain is loaded.  Copies made by
 * ussl_ctx_dup() take fn and arg.
 */
USSL_API int ussl_ctx_set_sign_cb(ussl_ctx *ctx, ussl_sign_fn fn,
    void *arg);

/*
 * The private value of the loaded EC key (the scalar d, big-endian, as
 * long as the curve's order), for callbacks whose "key" only names a key
 * held elsewhere (a secure element's reference key).  Same size protocol
 * as ussl_conn_get_session: if buf is NULL or *len too small, stores the
 * size in *len and returns -1.  Returns 0 when stored; -1 with *len = 0
 * when the context has no loaded EC private key.  The caller should wipe
 * the copy when done.
 */
USSL_API int ussl_ctx_key_ref(const ussl_ctx *ctx, unsigned char *buf,
    size_t *len);

/* Add trusted CA certificates (one DER certificate, or PEM with any
   number).  May be called several times. */
USSL_API int ussl_ctx_add_ca(ussl_ctx *ctx,
    const unsigned char *data, size_t len);

/*
 * ALPN protocols to offer (client) or accept (server), in preference
 * order; n == 0 clears the list.  Names are copied.
 */
USSL_API int ussl_ctx_set_alpn(ussl_ctx *ctx, const char *const *protos,
    size_t n);

/*
 * Cipher suites, by IANA name ("TLS_AES_128_GCM_SHA256",
 * "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"; mbedTLS's dashed names are
 * accepted too), in preference order.  n == 0 restores the default list
 * (AEAD suites with forward secrecy only).  A name the engine does not
 * support fails with USSL_E_BADARG naming it; nothing is changed then.
 */
USSL_API int ussl_ctx_set_ciphers(ussl_ctx *ctx, const char *const *names,
    size_t n);

/*
 * The i-th suite (from 0) the context offers, by IANA name, written into
 * buf (NUL-terminated).  Returns the name's length, or -1 when i is past
 * the end of the list or buf is too small.
 */
USSL_API int ussl_ctx_cipher_name(const ussl_ctx *ctx, size_t i,
    char *buf, size_t size);

/*
 * Verification callback: called during the handshake for each
 * certificate of the peer's chain, from the root (highest depth) down to
 * the leaf (depth 0), after the library's own checks.  It may add a
 * rejection, never remove one (the same rule on every engine and in
 * every binding):
 *   - *flags holds the USSL_VFY_* failures found for that certificate,
 *     for the callback to read.  Flags it sets are added to them;
 *     clearing a flag has no effect (a failure found by the library
 *     always stands).
 *   - Returning 0 means "no objection": the library's own judgement
 *     decides.  Non-zero rejects the certificate (with the flags it set,
 *     or USSL_VFY_OTHER if it set none).
 * There is no way to accept a certificate the library refuses; the
 * USSL_RELAX_* flags below name each relaxation of the policy.  der is
 * valid during the call only.  The callback runs only when the verify
 * mode is not USSL_VERIFY_NONE.  fn == NULL removes it.  arg is shared
 * by every connection of ctx (and by copies made with ussl_ctx_dup()).
 * ussl_conn_peer_verified() is 1 only when the policy and the callback
 * found nothing to object to.  Returns USSL_OK, or USSL_ERROR
 * (USSL_E_BADARG) once ctx is frozen, like the other setters.
 */
typedef int (*ussl_verify_fn)(void *arg, const unsigned char *der,
    size_t len, int depth, unsigned *flags);
USSL_API int ussl_ctx_set_verify_cb(ussl_ctx *ctx, ussl_verify_fn fn,
    void *arg);

/*
 * Verify a certificate chain the way a connection of ctx verifies its
 * peer (the engine's chain check plus the library's policy), without a
 * handshake.  A client context checks a server certificate, a server
 * context a client certificate.  certs[0] is the leaf (DER or PEM), the
 * rest untrusted intermediates in any order; trust comes from the
 * context's CA store.  name: host name or IP literal the leaf must match;
 * a client context given NULL reports USSL_VFY_NAME_MISMATCH (a chain
 * alone accepts any host) unless it has USSL_RELAX_NO_NAME.  at_time: seconds since 1970 at which validity is judged
 * (0: now).  Returns USSL_OK with *flags set to the USSL_VFY_* failures
 * (0: the chain is valid), or USSL_ERROR if the data cannot be parsed.
 */
USSL_API int ussl_ctx_verify_chain(ussl_ctx *ctx,
    const unsigned char *const *certs, const size_t *lens, size_t n,
    const char *name, int64_t at_time, unsigned *flags);

/*
 * Relaxations of the verification policy, for certificates that the
 * default (x509-limbo's Web PKI rules, with RFC 5280's reading of a leaf
 * without extendedKeyUsage) rejects.  All off by default; flags replace
 * the earlier set.
 *   USSL_RELAX_CN_ONLY     a leaf without subjectAltName is matched on its
 *                          subject CN; X.509 v1 leaves and leaves without
 *                          authorityKeyIdentifier are accepted (what
 *                          `openssl req -x509` / `openssl x509 -req` make)
 *   USSL_RELAX_NO_EKU      a leaf without extendedKeyUsage is good for
 *                          any purpose (RFC 5280 4.2.1.12).  That is the
 *                          default now: the flag only cancels
 *                          USSL_STRICT_EKU
 *   USSL_RELAX_LEGACY_CA   CA certificates that break RFC 5280's CA
 *                          profile in ways roots in use today do (no
 *                          subjectKeyIdentifier, non-critical
 *                          basicConstraints or nameConstraints, AKI with
 *                          issuer and serial) are accepted
 *   USSL_RELAX_NO_NAME     (client contexts; insecure) the server's name
 *                          is not checked: any certificate of a trusted
 *                          CA passes for any host, and connections need
 *                          no server_name.  Without it a verifying
 *                          client always checks a name: no name fails.
 *                          Not part of USSL_RELAX_ALL.
 */
#define USSL_RELAX_CN_ONLY    0x01u
#define USSL_RELAX_NO_EKU     0x02u
#define USSL_RELAX_LEGACY_CA  0x04u
#define USSL_RELAX_ALL        0x07u
#define USSL_RELAX_NO_NAME    0x08u
USSL_API int ussl_ctx_set_verify_relax(ussl_ctx *ctx, unsigned flags);

/*
 * Stricter rules than the default, on request; all off by default, flags
 * replace the earlier set.
 *   USSL_STRICT_EKU   the CA/Browser Forum leaf profile (BR 7.1.2.7.10):
 *                     a leaf must carry extendedKeyUsage naming its role
 *                     (serverAuth, clientAuth); one without is rejected
 *                     (USSL_VFY_BAD_USAGE, "no extendedKeyUsage").  By
 *                     default (RFC 5280) a leaf without EKU serves any
 *                     purpose, while one whose EKU leaves out the role is
 *                     always rejected.
 */
#define USSL_STRICT_EKU       0x01u
#define USSL_STRICT_ALL       0x01u
USSL_API int ussl_ctx_set_verify_strict(ussl_ctx *ctx, unsigned flags);

/*
 * Client: ask the server for records of at most len bytes of plaintext
 * (RFC 6066 max_fragment_length: 512, 1024, 2048 or 4096; 0 = do not
 * ask, the default).  Where the engine supports it (mbedTLS built with
 * variable-length buffers, TLS 1.2) the connection's buffers shrink to
 * that size once the server agrees, which saves most of a connection's
 * RAM; records we send are never larger than len.  A server that ignores
 * the request may still send full-size records, which are then accepted.
 * Servers honour a client's request on their own.  Other values fail
 * with USSL_E_BADARG.  mbedTLS's TLS 1.3 client cannot take the server's
 * answer, so on mbedTLS a client that asks speaks TLS 1.2 only (and a
 * context limited to TLS 1.3 fails with USSL_E_BADARG).  mbedTLS 2.28
 * cannot reassemble a handshake message split over records: there the
 * server's messages (its certificate chain) must fit in len.
 */
USSL_API int ussl_ctx_set_max_fragment(ussl_ctx *ctx, unsigned len);

/*
 * Server: issue session tickets so that clients can resume, encrypted
 * with keys the context rotates every lifetime seconds: a key encrypts
 * new tickets for one lifetime, then only decrypts for one more, then
 * is wiped; a ticket resumes for one lifetime after it was issued
 * (tests/c/test_tickets.c).  lifetime 0 turns tickets off.
 * Server contexts start with tickets on (lifetime 7200); on a client
 * context this fails with USSL_E_BADARG.
 */
USSL_API int ussl_ctx_set_tickets(ussl_ctx *ctx, unsigned lifetime);

/*
 * Pre-shared keys (psk.c; RFC 4279 / RFC 8446 external PSKs).  A context
 * with a PSK authenticates its peer by the key alone, and ONLY by it:
 * it offers (client) or accepts (server) PSK handshakes only (TLS 1.2:
 * ECDHE-PSK and PSK suites; TLS 1.3: psk_dhe_ke / psk_ke), so a
 * connection never falls back to certificates, whatever CA, chain or
 * verify mode the context also has.  On such a connection no
 * certificate is exchanged: ussl_conn_peer_cert() gives -1,
 * ussl_conn_peer_verified() 0, ussl_conn_verify_flags() 0, the verify
 * mode and callback play no part, a client needs neither CA nor
 * server_name (a name given is still sent as SNI) and a server needs
 * no chain; ussl_conn_psk_identity() tells which identity was used.
 * If ussl_ctx_set_ciphers() chose suites, only its PSK suites are kept
 * (TLS 1.3 suites all serve PSKs); a TLS 1.2 list without any is refused
 * (USSL_E_BADARG) by OpenSSL, and leaves mbedTLS no TLS 1.2 suite.
 *
 * Identities are 1 to USSL_PSK_MAX_IDENTITY bytes of any value but 0
 * (OpenSSL's TLS 1.2 code reads them as C strings; the rule is the same
 * on every engine); keys 1 to USSL_PSK_MAX_KEY bytes.  Keys are copied,
 * wiped when replaced or freed, and never appear in messages.  Sessions
 * are bound to the PSK configuration (see "session resumption").
 * mbedTLS 2.28 speaks TLS 1.2 only and may cap keys lower (its
 * MBEDTLS_PSK_MAX_LEN): a longer key fails with USSL_E_BADARG there.
 *
 * ussl_ctx_set_psk (client): the identity to send and its key; identity
 *   NULL (and key NULL) removes the PSK.  USSL_E_BADARG on a server
 *   context, for a bad length or a zero byte in the identity.
 * ussl_ctx_add_psk (server): accept identity with key (replacing the
 *   key of an identity already added).  USSL_E_BADARG on a client.
 * ussl_ctx_set_psk_cb (server): look up identities not added with
 *   ussl_ctx_add_psk: fn gets the client's identity (binary, not
 *   NUL-terminated, valid during the call) and *key_len =
 *   USSL_PSK_MAX_KEY, the size of key; it writes the key and its
 *   length and returns 0, or returns non-zero to refuse the identity
 *   (the handshake then fails, USSL_E_HANDSHAKE or USSL_E_PEER_ALERT at
 *   the client).  It runs during the handshake, on the connection's
 *   thread; the buffer is wiped after the call.  fn NULL removes it.
 * ussl_ctx_clear_psk: forget every PSK, table and callback of ctx.
 * ussl_ctx_has_psk: 1 when ctx has a PSK (client) or a table entry or
 *   callback (server), else 0.
 * All are setters: they refuse once ctx is frozen.  ussl_ctx_dup()
 * copies the PSK state (keys included).
 */
#define USSL_PSK_MAX_IDENTITY 128
#define USSL_PSK_MAX_KEY 48
typedef int (*ussl_psk_fn)(void *arg, const unsigned char *identity,
    size_t identity_len, unsigned char *key, size_t *key_len);
USSL_API int ussl_ctx_set_psk(ussl_ctx *ctx, const unsigned char *identity,
    size_t identity_len, const unsigned char *key, size_t key_len);
USSL_API int ussl_ctx_add_psk(ussl_ctx *ctx, const unsigned char *identity,
    size_t identity_len, const unsigned char *key, size_t key_len);
USSL_API int ussl_ctx_set_psk_cb(ussl_ctx *ctx, ussl_psk_fn fn, void *arg);
USSL_API int ussl_ctx_clear_psk(ussl_ctx *ctx);
USSL_API int ussl_ctx_has_psk(const ussl_ctx *ctx);

/* The last error of a context operation.  Not thread-safe: read it right
   after the failing call, from the same thread. */
USSL_API const ussl_error *ussl_ctx_error(const ussl_ctx *ctx);

/* File helpers (ussl_file.c; hosts with stdio): read the file and call
   the function above.  A missing file gives USSL_E_NOFILE with errno. */
USSL_API int ussl_ctx_use_cert_chain_file(ussl_ctx *ctx,
    const char *cert_path, const char *key_path, const char *password);
USSL_API int ussl_ctx_add_ca_file(ussl_ctx *ctx, const char *path);

/* ---------------------------------------------------------------------- */
/* Connection                                                              */

/*
 * Create a connection from ctx (a reference is taken; the caller may free
 * its own).  server_name (client only, may be NULL) is copied; it is sent
 * as SNI (unless it is an IP address literal) and the peer certificate
 * must match it when verifying.  A client context with verification on
 * and no server_name fails with USSL_E_BADARG: checking a chain without a
 * name accepts any host (unless the context has USSL_RELAX_NO_NAME).  Returns NULL and fills *err (if err is not NULL)
 * on failure; err->msg then points to static text.
 */
USSL_API ussl_conn *ussl_conn_new(ussl_ctx *ctx, const char *server_name,
    ussl_error *err);

/* Free the connection: does not send close_notify (see ussl_close) and
   does not close the transport.  Wipes keys.  NULL is ignored. */
USSL_API void ussl_conn_free(ussl_conn *conn);

/* Set the transport (copied).  Must be done before the first I/O call. */
USSL_API void ussl_conn_set_transport(ussl_conn *conn,
    const ussl_transport *tr);

/* POSIX adapter (ussl_fd.c): send()/recv() on fd with MSG_NOSIGNAL; a
   non-blocking fd makes calls return USSL_WANT_*.  fd is not owned. */
USSL_API void ussl_conn_set_fd(ussl_conn *conn, int fd);

/* The same with flags added to every send() and recv() (for example
   MSG_DONTWAIT: never block, whatever the fd's mode). */
#define USSL_FD_DONTWAIT 0x01u
USSL_API void ussl_conn_set_fd_flags(ussl_conn *conn, int fd,
    unsigned flags);

/*
 * Wait with poll() for fd in the direction named by want (USSL_WANT_READ
 * or USSL_WANT_WRITE) for at most timeout_ms (-1: no limit).  Returns
 * 1 when ready, 0 on timeout, -1 with errno on error (EINTR included, so
 * callers can handle signals).
 */
USSL_API int ussl_fd_wait(int fd, int want, int timeout_ms);

/*
 * Run the handshake.  Optional: the first ussl_read/ussl_write runs it
 * (deferred handshake).  Returns USSL_OK once done (and, when it was done
 * already, once what earlier writes left has gone out).
 */
USSL_API int ussl_handshake(ussl_conn *conn);

/* 1 once the handshake has completed successfully (and still after a
   later failure or close), else 0. */
USSL_API int ussl_handshake_done(const ussl_conn *conn);

/*
 * Read up to len bytes of application data (at most one record).
 * Returns the count, 0 when the peer sent close_notify (every later read
 * returns 0 too), or USSL_WANT_* or USSL_ERROR.  End of the transport
 * without close_notify is USSL_E_TRUNCATED.
 */
USSL_API long ussl_read(ussl_conn *conn, void *buf, size_t len);

/*
 * Write len bytes (see "Output" above).  First sends what earlier calls
 * left; then takes record after record while the transport takes them.
 * Returns the count accepted (less than len when the transport stopped
 * taking records), or USSL_WANT_* / USSL_ERROR when nothing was accepted
 * (a timeout: USSL_E_TIMEOUT, not fatal).  The next call may carry any
 * data.  len == 0 returns 0.
 */
USSL_API long ussl_write(ussl_conn *conn, const void *buf, size_t len);

/*
 * Send what accepted writes (or close_notify) left in the connection.
 * USSL_OK when nothing is left, USSL_WANT_WRITE (call again once the
 * transport is writable), or USSL_ERROR (USSL_E_TIMEOUT, or a fatal
 * error).
 */
USSL_API int ussl_flush(ussl_conn *conn);

/* Bytes of decrypted data buffered and readable without I/O. */
USSL_API size_t ussl_pending(const ussl_conn *conn);

/*
 * Send close_notify (once), after any output still waiting.  Returns
 * USSL_OK when it has left (or when the connection had failed or never
 * completed its handshake, as there is nothing to close cleanly: a
 * failed connection keeps its error), USSL_WANT_WRITE/USSL_WANT_READ
 * (call again), or USSL_ERROR (the transport failed; sticky).  Does not wait for the
 * peer's close_notify and does not close the transport.  Afterwards
 * writes fail with USSL_E_CLOSED, while reads go on until the peer's
 * close_notify (half-close), so a caller may drain what the peer still
 * sends.  A connection closed before its handshake completed refuses
 * all I/O with USSL_E_CLOSED.
 */
USSL_API int ussl_close(ussl_conn *conn);

/* The connection's error state (code USSL_E_NONE when none). */
USSL_API const ussl_error *ussl_conn_error(const ussl_conn *conn);

/*
 * Record a timeout seen by a blocking adapter, so that the message and
 * code are the library's own.  Not sticky: the connection stays usable.
 */
USSL_API void ussl_conn_set_timeout_error(ussl_conn *conn);

/* --- session resumption (client side) ------------------------------- */

/*
 * A resumed handshake exchanges no certificate: the server proves only
 * that it holds the secret of a session made earlier.  So a session is
 * bound to what verified the peer when it was made, and the library
 * offers it only where that verification still holds:
 *
 *   - the same peer name (server_name given to ussl_conn_new(): host
 *     names compared exactly, IP literals as addresses; no name only
 *     with no name);
 *   - the same policy: role, verify mode, USSL_RELAX_* flags, trusted CA
 *     set (by content: the same certificates, loaded in any order),
 *     verify callback (none, or the same function and argument in the
 *     same process) and PSK (none, or the same identity and key: a
 *     session made under one PSK is never offered under another, nor
 *     one made with certificates under a PSK, or the reverse);
 *   - a PSK context's sessions stand for the PSK handshake that made
 *     them: they need no verified certificate;
 *   - if the context verifies: made by a connection that verified its
 *     peer (a session made under USSL_VERIFY_NONE never resumes on a
 *     verifying context), and its saved leaf certificate still passing
 *     the policy now (host name, extendedKeyUsage, validity period).
 *
 * Anything else is not offered and the handshake is a full one, verified
 * as usual: never a resumption that skips verification, never a failure
 * because of the session.  ussl_conn_peer_verified() after a resumption
 * is 1 only when the session was verified under this policy and name.
 * ALPN is negotiated again on every handshake and is not part of it.
 *
 * Session data (ussl_conn_get_session) holds, besides the engine's
 * session: a format version, the peer name, that policy's fingerprint
 * (SHA-256), whether the peer was verified, the peer's leaf (DER), and a
 * SHA-256 of all of it.  Data that is damaged, truncated, of another
 * format version or of another engine is refused (USSL_E_BADARG) before
 * the engine parses any of it.  The digest detects damage, not forgery:
 * the data holds the session's secret, and whoever can write it can make
 * this client accept, without verification, a server that knows that
 * secret.  Keep it like a private key (the MicroPython binding keeps it
 * in flash for resumption after deep sleep: protect that storage).
 */

/*
 * The session to resume later, serialized: a TLS 1.2 session is ready
 * after the handshake, a TLS 1.3 ticket only once the server's
 * NewSessionTicket has been read (it comes after the handshake, with or
 * before the first application data).  If buf is NULL or *len is too
 * small, stores the needed size in *len and returns -1; returns -1 with
 * *len = 0 when there is no session to save.  Returns 0 when stored.
 * A TLS 1.3 ticket this connection was offered is not handed out again
 * (used once); the server's new ticket is.
 */
USSL_API int ussl_conn_get_session(const ussl_conn *conn,
    unsigned char *buf, size_t *len);

/*
 * Offer saved session data on a client connection before its handshake
 * (at most once).  Returns USSL_OK both when the session is offered and
 * when it is not because it is bound to another name or policy (see
 * above: the handshake is then a full one).  A session the server no
 * longer accepts also means a full handshake.  USSL_ERROR with
 * USSL_E_BADARG for data that is not valid session data of this
 * library, engine and format version, or when called too late.
 */
USSL_API int ussl_conn_set_session(ussl_conn *conn,
    const unsigned char *buf, size_t len);

/*
 * Client session cache of a context, keyed by (host name, port).  Each
 * client context has one, made when first used and bounded to
 * max_entries (default 100; the least recently used entry goes first).
 * Entries obey the rules above when offered; one that does not is
 * dropped.  A TLS 1.3 ticket is taken out of the cache when offered
 * (used once, RFC 8446 C.4); a TLS 1.2 session stays until replaced, or
 * until a server declines it.  The cache is shared by every thread using
 * the context, and it is the one part of a context that changes after
 * connections were made; a copy made by ussl_ctx_dup() starts empty,
 * with the same bound.
 *
 * ussl_ctx_set_session_cache: bound the cache (entries beyond it are
 * dropped); 0 empties it and turns it off.  USSL_E_BADARG on a server.
 * ussl_ctx_flush_sessions: forget every entry.
 * ussl_ctx_session_stats: entries held, the bound, and counters: hits
 * (a cached session offered and resumed), misses (offered, declined by
 * the server), dropped (found but not offered: another name or policy,
 * or damaged).
 */
typedef struct ussl_session_stats {
	size_t entries;
	size_t max_entries;
	unsigned long long hits, misses, dropped;
} ussl_session_stats;
USSL_API int ussl_ctx_set_session_cache(ussl_ctx *ctx, size_t max_entries);
USSL_API void ussl_ctx_flush_sessions(ussl_ctx *ctx);
USSL_API void ussl_ctx_session_stats(ussl_ctx *ctx, ussl_session_stats *st);

/*
 * Use the context's cache for this client connection, before its
 * handshake (instead of ussl_conn_set_session, once): the entry for
 * (host, port) (host compared exactly) is offered now if there is one, and the connection's own
 * session is stored under that key: a TLS 1.2 session when the
 * handshake completes, a TLS 1.3 ticket when the connection ends
 * (ussl_close() or ussl_conn_free(), if it did not fail; a ticket is
 * read with application data).  host NULL means the server_name given
 * to ussl_conn_new() ("" if none); the key only picks the entry, the
 * binding rules above still apply to it.  USSL_OK, or USSL_ERROR
 * (USSL_E_BADARG: not a client, too late, called twice; USSL_E_NOMEM).
 */
USSL_API int ussl_conn_set_cache_key(ussl_conn *conn, const char *host,
    unsigned port);

/* 1 if the handshake resumed a session (no certificate was exchanged). */
USSL_API int ussl_conn_session_reused(const ussl_conn *conn);

/* --- after the handshake: what was negotiated (NULL / 0 before) ------- */

/* "TLSv1.2" or "TLSv1.3". */
USSL_API const char *ussl_conn_version(const ussl_conn *conn);
/* IANA cipher suite name, e.g. "TLS_AES_128_GCM_SHA256". */
USSL_API const char *ussl_conn_cipher(const ussl_conn *conn);
/* Secret bits of the cipher (128, 256). */
USSL_API int ussl_conn_cipher_bits(const ussl_conn *conn);
/* Negotiated ALPN protocol, NULL if none. */
USSL_API const char *ussl_conn_alpn(const ussl_conn *conn);
/* DER of the peer's leaf certificate; returns 0 and sets *der and *len
   (valid while conn lives), or -1 if the peer sent none. */
USSL_API int ussl_conn_peer_cert(const ussl_conn *conn,
    const unsigned char **der, size_t *len);
/* Verification flags of the peer certificate (0 = verified, or not
   checked when the mode is NONE). */
USSL_API unsigned ussl_conn_verify_flags(const ussl_conn *conn);
/* 1 if the peer certificate was checked and passed: verified by the
   policy, with no flag set and no objection from the verify callback
   (which cannot accept what the policy refused). */
USSL_API int ussl_conn_peer_verified(const ussl_conn *conn);
/* Role of the connection. */
USSL_API int ussl_conn_role(const ussl_conn *conn);
/* After a PSK handshake (see ussl_ctx_set_psk): 0 with *identity and
   *len set to the PSK identity used (valid while conn lives), else -1. */
USSL_API int ussl_conn_psk_identity(const ussl_conn *conn,
    const unsigned char **identity, size_t *len);

/*
 * Readable summary of a certificate (DER): writes the subject DN
 * ("CN=example.com, O=Example") into buf (always NUL-terminated when
 * size > 0).  Returns the length, or -1 if der is not a certificate.
 */
USSL_API int ussl_cert_subject(const unsigned char *der, size_t len,
    char *buf, size_t size);
USSL_API int ussl_cert_issuer(const unsigned char *der, size_t len,
    char *buf, size_t size);

/* Engine name and version, e.g. "mbedTLS 3.6.4". */
USSL_API const char *ussl_engine_version(void);

/* ---------------------------------------------------------------------- */
/* Datagrams (DTLS 1.2; dtls.c)                                            */

/*
 * ussl_ctx_new(USSL_CLIENT | USSL_DTLS) or (USSL_SERVER | USSL_DTLS)
 * makes a DTLS 1.2 context; every setter, ussl_ctx_dup() (a copy is
 * DTLS too, with a cookie secret of its own), the frozen-context and
 * session rules apply as for TLS.  ussl_ctx_set_versions() takes
 * USSL_TLS1_2 only (meaning DTLS 1.2); ussl_ctx_role() gives the role
 * without the flag.
 *
 * Transport contract for a DTLS connection: one send() call is one
 * datagram, which the transport sends whole (returns len) or not at all
 * (USSL_WANT_WRITE, USSL_ERROR); one recv() call returns one datagram
 * (a longer one may be cut: it is then dropped as damaged).  0 from
 * recv() is an empty datagram, not an end of stream: DTLS has none.  A
 * connected UDP socket given to ussl_conn_set_fd() is such a transport.
 * The library never puts two datagrams in one send, never splits a
 * record across datagrams, and keeps a datagram the transport would not
 * take whole until it goes (it never hands it out in pieces).  Records
 * are at most about 1400 bytes (the path MTU the library assumes), and
 * handshake messages longer than that are fragmented.
 *
 * ussl_write() sends one record (one datagram): it takes all of len or,
 * when len is larger than a record can carry, nothing (USSL_E_BADARG,
 * not fatal).  ussl_read() returns the data of one record.  Records
 * that are damaged, forged or replayed are dropped silently (the
 * connection goes on); lost ones are not resent after the handshake.
 *
 * Retransmission: during the handshake, ussl_handshake() (and
 * read/write running it) returns USSL_WANT_READ while the library waits
 * for the peer.  ussl_conn_timeout_ms() then tells how long the caller
 * may wait before calling again even if nothing arrives: the library
 * resends its last flight on that call.  Nothing sleeps; after too many
 * retransmissions (about a minute) the handshake fails (USSL_E_HANDSHAKE).
 *
 * Cookies (server): before a DTLS server keeps any state for a client,
 * it answers its first ClientHello with a HelloVerifyRequest holding a
 * cookie, a MAC of the client's transport address (ussl_conn_set_client_id)
 * under a secret of the context, renewed every 60 seconds (a cookie is
 * accepted for 60 to 120 seconds).  The handshake then returns
 * USSL_ERROR with USSL_E_HELLO_VERIFY, which is not fatal: the
 * connection has forgotten the client and waits for its ClientHello
 * with the cookie (call ussl_handshake() again), or may be freed (a
 * server that wants no state per unknown client makes a new connection
 * from the same context for the next datagram; the cookie is accepted
 * there).  A client that never returns the cookie gets nothing else.
 */
#define USSL_DTLS 0x100

/* 1 if ctx was made with USSL_DTLS, else 0. */
USSL_API int ussl_ctx_dtls(const ussl_ctx *ctx);

/*
 * Milliseconds until the connection's retransmission timer fires (0: it
 * has fired, call again now), or -1 when no timer runs (TLS, or nothing
 * to resend).  Meant for the caller's poll() after USSL_WANT_READ.
 */
USSL_API int ussl_conn_timeout_ms(const ussl_conn *conn);

/*
 * DTLS server: the client's transport address (any bytes, e.g. its IP
 * address and port; at most 255 bytes), which the cookie is bound to.
 * Set before the handshake; ussl_conn_set_fd() on a connected socket
 * sets it from getpeername() when it was not set.  A DTLS server
 * handshake without it fails with USSL_E_BADARG.  USSL_OK, or USSL_ERROR
 * (USSL_E_BADARG: not a DTLS server, too late, bad length; USSL_E_NOMEM).
 */
USSL_API int ussl_conn_set_client_id(ussl_conn *conn, const void *id,
    size_t len);

/* ---------------------------------------------------------------------- */
/* Certificate details (certinfo.c; engine-neutral, no allocation)        */

/* What a ussl_cert_item describes (ussl_cert_item.field). */
enum ussl_cert_field {
	USSL_CERT_VERSION = 1,   /* value: "1", "2" or "3" */
	USSL_CERT_SERIAL,        /* value: hex, upper case ("0A1B"), with a
	                            leading "-" if negative */
	USSL_CERT_ISSUER,        /* one attribute of the issuer's name */
	USSL_CERT_NOT_BEFORE,    /* value: "Jun  1 00:00:00 2025 GMT" */
	USSL_CERT_NOT_AFTER,     /* same format */
	USSL_CERT_SUBJECT,       /* one attribute of the subject's name */
	USSL_CERT_SAN,           /* one subjectAltName entry */
	USSL_CERT_SAN_DIRNAME,   /* one attribute of the directoryName of the
	                            SAN entry reported just before */
	USSL_CERT_OCSP,          /* authorityInfoAccess OCSP URI */
	USSL_CERT_CA_ISSUERS,    /* authorityInfoAccess caIssuers URI */
	USSL_CERT_CRL_DP         /* cRLDistributionPoints URI */
};

/*
 * One piece of a certificate.  For name attributes (ISSUER, SUBJECT,
 * SAN_DIRNAME): name is the attribute's long name as OpenSSL spells it
 * ("commonName", "organizationName", "emailAddress", ...) or its dotted
 * OID when unknown, short_name its short name ("CN", "O") or NULL, and
 * index the number of the RDN (from 0; the attributes of a multi-valued
 * RDN share it).  For SAN: name is the entry's type as CPython's ssl
 * names it ("DNS", "IP Address", "URI", "email", "DirName",
 * "Registered ID", "othername", "X400Name", "EdiPartyName") and index
 * the entry's number.  Otherwise name is NULL and index 0.
 *
 * value is UTF-8 text of value_len bytes, NOT NUL-terminated, and may
 * hold any byte a hostile certificate puts there (NUL included).  IP
 * addresses are text ("127.0.0.1", IPv6 as eight upper-case hex groups
 * "2001:DB8:0:0:0:0:0:1"); types without a text form read
 * "<unsupported>".  Pointers are valid during the callback only.
 */
typedef struct ussl_cert_item {
	int field;
	int index;
	const char *name;
	const char *short_name;
	const char *value;
	size_t value_len;
} ussl_cert_item;

/* Called for each item, in certificate order; a non-zero return stops
   the walk and is returned by ussl_cert_info(). */
typedef int (*ussl_cert_item_fn)(void *arg, const ussl_cert_item *item);

/*
 * Walk the DER certificate der[0..len) and report its version, serial
 * number, issuer, validity, subject, subjectAltName, authorityInfoAccess
 * and cRLDistributionPoints.  The certificate's signature is NOT
 * checked: this describes, it does not verify.  Returns 0 when the whole
 * certificate was walked, -1 if it is malformed (items already reported
 * must then be discarded), or the callback's non-zero value.  Safe on any
 * input: every length is checked against the buffer.
 */
USSL_API int ussl_cert_info(const unsigned char *der, size_t len,
    ussl_cert_item_fn fn, void *arg);

#ifdef __cplusplus
}
#endif
#endif /* USSL_H */
