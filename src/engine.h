/*
 * engine.h - the one interface between the core and a TLS engine.
 *
 * Exactly one engine is linked per build (engine_mbedtls.c, later
 * engine_openssl.c).  The core (ctx.c, conn.c) owns state, policy and
 * error codes; an engine only translates.  Rules for engines:
 *   - never touch sockets: all I/O goes through conn->tr via the
 *     helpers eng_io_send/eng_io_recv in conn.c;
 *   - report failures with ussl_err_set() on the object's errstate using
 *     the library's codes, the engine's own text appended as detail;
 *   - I/O calls return >= 0, USSL_WANT_READ, USSL_WANT_WRITE or
 *     USSL_ERROR, exactly like the public API.
 */
#ifndef USSL_ENGINE_H
#define USSL_ENGINE_H

#include "internal.h"

/* Engine name and version ("mbed TLS 3.6.4"). */
const char *eng_version(void);

/* Context: allocate ctx->eng; free it (wiping keys). */
int eng_ctx_init(ussl_ctx *ctx);
void eng_ctx_free(ussl_ctx *ctx);
/* Re-apply the context's settings (verify mode, versions, ALPN) to the
   engine's configuration; called after every change. */
int eng_ctx_update(ussl_ctx *ctx);
/* Parse and install chain + key (replacing any earlier ones). */
int eng_ctx_use_cert_chain(ussl_ctx *ctx, const unsigned char *cert,
    size_t cert_len, const unsigned char *key, size_t key_len,
    const char *password);
/* Parse and install a chain without a private key: every signature goes
   to ctx->sign_fn (replacing any earlier chain and key). */
int eng_ctx_use_cert_signer(ussl_ctx *ctx, const unsigned char *cert,
    size_t cert_len);
/* Apply ctx->sign_fn (set, changed or removed) to the own key. */
int eng_ctx_sign_update(ussl_ctx *ctx);
/* The loaded EC private scalar (ussl_ctx_key_ref's protocol). */
int eng_ctx_key_ref(const ussl_ctx *ctx, unsigned char *buf, size_t *len);
/* Parse and add CA certificates. */
int eng_ctx_add_ca(ussl_ctx *ctx, const unsigned char *data, size_t len);

/* Give dst (new, with src's role and plain settings already copied) the
   engine state of src: the CA store and own chain shared (never parsed
   again; a later change to either context must not reach the other),
   the cipher list, and ticket keys of its own for src->tickets. */
int eng_ctx_dup(ussl_ctx *dst, const ussl_ctx *src);

/* Cipher suites by name (IANA or engine spelling); n == 0: default. */
int eng_ctx_set_ciphers(ussl_ctx *ctx, const char *const *names, size_t n);
int eng_ctx_cipher_name(const ussl_ctx *ctx, size_t i, char *buf,
    size_t size);

/* Bring the engine in line with ctx->psk (psk.c; NULL: no PSK): client
   identity and key, the server's lookup (ussl_psk_lookup, reporting the
   identity with ussl_psk_note), PSK-only suites and key exchanges while
   ussl_psk_active().  Called after every PSK or cipher-list change. */
int eng_ctx_psk_update(ussl_ctx *ctx);

/* Server session tickets, rotated every lifetime seconds (0: off). */
int eng_ctx_set_tickets(ussl_ctx *ctx, unsigned lifetime);

/* Connection: set up conn->eng from conn->ctx (errors go to conn->err). */
int eng_conn_init(ussl_conn *conn);
void eng_conn_free(ussl_conn *conn);
int eng_handshake(ussl_conn *conn);
long eng_read(ussl_conn *conn, unsigned char *buf, size_t len);
/* Encrypt one record of buf and hand it to eng_io_send(); returns the
   plaintext taken (> 0), USSL_WANT_* or USSL_ERROR. */
long eng_write(ussl_conn *conn, const unsigned char *buf, size_t len);
int eng_close_notify(ussl_conn *conn);
size_t eng_pending(const ussl_conn *conn);

/* Negotiated parameters (valid after the handshake). */
const char *eng_conn_version(const ussl_conn *conn);
const char *eng_conn_cipher(const ussl_conn *conn);
int eng_conn_cipher_bits(const ussl_conn *conn);
const char *eng_conn_alpn(const ussl_conn *conn);
int eng_conn_peer_cert(const ussl_conn *conn, const unsigned char **der,
    size_t *len);

/* Verify certs (leaf first) under vs; fills *vs->flags.  USSL_ERROR
   (in ctx->err) only when the data cannot be parsed. */
int eng_verify_chain(const ussl_vstate *vs, const unsigned char *const *certs,
    const size_t *lens, size_t n);

/*
 * Session resumption.  Engines produce and take their own serialized
 * session only; the core (session.c) wraps it with what verified the
 * peer, checks it, and decides whether it is offered at all.
 *   eng_conn_get_session: the engine's bytes of conn's session (client);
 *     same size protocol as ussl_conn_get_session.
 *   eng_conn_set_session: offer those bytes (they passed the core's
 *     checks); leaf is the peer's leaf (DER) saved with them, which the
 *     connection shows as the peer's certificate if the session resumes.
 */
int eng_conn_get_session(const ussl_conn *conn, unsigned char *buf,
    size_t *len);
int eng_conn_set_session(ussl_conn *conn, const unsigned char *buf,
    size_t len, const unsigned char *leaf, size_t leaf_len);
int eng_conn_session_reused(const ussl_conn *conn);
/* Which serialized form eng_conn_get_session makes (ENG_SESS_*). */
#define ENG_SESS_MBEDTLS2 1
#define ENG_SESS_MBEDTLS3 2
#define ENG_SESS_OPENSSL3 3
int eng_session_format(void);
/* SHA-256 of p[0..n) into out; 0, or -1 on failure. */
int eng_sha256(const unsigned char *p, size_t n, unsigned char out[32]);
/* n random bytes from the engine's generator; 0 or -1. */
int eng_random(unsigned char *buf, size_t n);
/* Seconds since 1970 by the engine's clock, 0 when it has none. */
int64_t eng_time_now(void);
/* Call fn with the DER of each trusted CA certificate of ctx; stops at,
   and returns, fn's first non-zero value.  -1 if the store cannot be
   read. */
int eng_ctx_ca_each(const ussl_ctx *ctx,
    int (*fn)(void *arg, const unsigned char *der, size_t len), void *arg);

/* Distinguished names of a DER certificate. */
int eng_cert_dn(const unsigned char *der, size_t len, int issuer,
    char *buf, size_t size);
/* 1 if a DER certificate's signature verifies with its own key. */
int eng_cert_self_signed(const unsigned char *der, size_t len);

/*
 * Transport glue offered by conn.c to engines.  eng_write() encrypts one
 * record (or what fits in one) and returns the plaintext it took; the
 * core sends.  eng_io_send() takes every record whole and returns len
 * (what the transport does not take at once, conn.c keeps and sends
 * first later), or USSL_ERROR when it cannot keep it (out of memory,
 * tr_errno -1); a failed send is not reported to the engine (conn.c
 * looks for the peer's alert before reporting it).  So an engine never
 * holds a half-sent record.  eng_io_recv(): the same return codes as
 * ussl_transport's recv, errno/EOF/timeout recorded in conn; it sends
 * pending output first and asks to wait for writing (USSL_WANT_WRITE)
 * when that output still waits and nothing can be read.
 */
long eng_io_send(ussl_conn *conn, const unsigned char *buf, size_t len);
long eng_io_recv(ussl_conn *conn, unsigned char *buf, size_t len);
/* Send the handshake messages gathered so far: 0 when all went out (or
   a send failed: the next read finds out why), else USSL_WANT_WRITE. */
long eng_io_flush(ussl_conn *conn);
/* Bytes of records a large write gathers per send (0: one send per
   record): engines whose per-send cost is high gain from more. */
extern const size_t eng_write_gather;

/*
 * DTLS (mbedtls_dtls.c, openssl_dtls.c); the core's side is dtls.c.
 *   eng_ctx_init() makes a datagram configuration when ctx->dtls, with
 *     the core's cookies (ussl_dtls_cookie_*) on a server.
 *   eng_dtls_conn_init: from eng_conn_init() for a DTLS connection
 *     (timer, path MTU).
 *   eng_dtls_timeout_ms: ms until the retransmission timer fires, 0 when
 *     it has, -1 when none runs.
 *   eng_dtls_max_payload: the most plaintext one record carries now.
 *   eng_dtls_set_client_id: give the engine conn->dtls_id (server).
 * A server handshake that sent a HelloVerifyRequest forgets the client
 * (the engine resets its session) and fails with USSL_E_HELLO_VERIFY,
 * which the core does not make sticky.
 */
int eng_dtls_conn_init(ussl_conn *conn);
int eng_dtls_timeout_ms(const ussl_conn *conn);
size_t eng_dtls_max_payload(const ussl_conn *conn);
int eng_dtls_set_client_id(ussl_conn *conn);

/* The policy's host-name/EKU/leaf checks (verify.c) are run by the
   engine from inside its chain verification, so that a failure aborts
   the handshake with the right alert. */

#endif /* USSL_ENGINE_H */
