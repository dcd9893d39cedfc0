/*
 * openssl_engine.h - what the files of the OpenSSL engine share:
 * engine_openssl.c (contexts, connections, transport, errors),
 * openssl_x509.c (certificate and key parsing, chain verification),
 * openssl_session.c (session tickets and resumption) and
 * openssl_record.c (the record layer of parked connections).
 * Nothing here is public; the names are hidden like the rest of the core.
 */
#ifndef USSL_OPENSSL_ENGINE_H
#define USSL_OPENSSL_ENGINE_H

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "engine.h"

struct eng_ctx {
	SSL_CTX *ssl;
	X509_STORE *store;     /* trusted CAs; shared with ssl, and with
	                          copies made by ussl_ctx_dup() */
	int *store_users;      /* how many contexts use store (a shared
	                          count: more than one, and adding CAs
	                          makes a store of our own first) */
	X509 *leaf;            /* own chain and key as loaded (references; */
	STACK_OF(X509) *chain; /* OpenSSL counts them), for copies; */
	EVP_PKEY *pkey;        /* NULL: none */
	char *suites12;        /* set_ciphers lists (OpenSSL spelling), */
	char *suites13;        /* NULL: the defaults */
	int has12, has13;      /* the suite list holds TLS 1.2 / 1.3 suites */
	struct oeng_tickets *tickets;   /* server ticket keys, NULL: off */
	struct oeng_memo *memo;         /* client: sessions lately handed out */
};

/* What parking needs to know of a connection still on OpenSSL
   (openssl_record.c): TLS 1.3 traffic secrets (client, server) and, per
   direction (read, write), records since the last key change and TLS 1.3
   key updates. */
struct oeng_pre {
	unsigned char sec[2][48];
	unsigned char seclen[2];
	uint64_t count[2];
	unsigned updates[2];
	unsigned tickets;      /* TLS 1.3 NewSessionTickets received */
	/* TLS 1.2: the explicit nonce of the last record written after
	   our change_cipher_spec (OpenSSL's GCM nonces count from a random
	   start; parking goes on from there). */
	unsigned char explicit_nonce[8];
	unsigned char ccs_written, have_explicit;
};

struct eng_conn {
	SSL *ssl;              /* NULL once parked */
	struct oeng_rec *rec;  /* parked: our record layer, else NULL */
	struct oeng_pre pre;
	ussl_vstate vs;
	/* What the transport did during the current engine call: OpenSSL
	   reports both as SSL_ERROR_SYSCALL, the core needs them apart. */
	int io_err, io_eof;
	int empty_record;      /* the peer sent one during the handshake */
	int verified;          /* the peer's chain was checked and passed */
	unsigned char *peer_der;
	size_t peer_der_len;
	int hvr_sent, listened; /* DTLS server: cookie sent / accepted */
	int got_data;          /* application data was read */
	char *alpn;            /* the protocol agreed, or NULL */
};

/* Chains longer than this many intermediates are refused (mbedTLS's
   MBEDTLS_X509_MAX_INTERMEDIATE_CA is 8 too). */
#define OENG_VERIFY_DEPTH 8

/* openssl_x509.c */

/* Append every certificate of data (PEM with any number, or one DER) to
   out.  Errors (BADCERT, NOMEM) go to err, named by what. */
int oeng_parse_certs(ussl_errstate *err, const unsigned char *data,
    size_t len, const char *what, STACK_OF(X509) *out);
/* Parse a private key (PEM, possibly among certificates and possibly
   encrypted, or DER).  Errors (BADKEY, NOMEM) go to err. */
int oeng_parse_key(ussl_errstate *err, const unsigned char *data,
    size_t len, const char *password, EVP_PKEY **out);
/* The per-certificate callback given to SSL_CTX_set_verify(). */
int oeng_cert_cb(int ok, X509_STORE_CTX *x);
/* Run OpenSSL's chain check on x plus our policy and the user's
   callback under vs; returns 1 if the chain is accepted, else 0 with
   the X509 error of x set to the most telling failure. */
int oeng_run_verify(X509_STORE_CTX *x, const ussl_vstate *vs);
/* USSL_VFY_* flags for an X509_V_ERR_* code. */
unsigned oeng_vflags(long x509_err);
/* Append the engine's text for an OpenSSL error code to e. */
void oeng_detail(ussl_errstate *e, unsigned long code);

/* engine_openssl.c: install suite strings (NULL: the defaults); 1 or 0. */
int oeng_apply_suites(SSL_CTX *s, const char *l12, const char *l13);

/* openssl_psk.c */
/* Apply ctx's PSK state (callbacks, PSK-only TLS 1.2 suites) to s, a
   context's SSL_CTX (also a new one); 1 or 0 (no PSK suite left). */
int oeng_psk_apply(ussl_ctx *ctx, SSL_CTX *s);
/* A new connection of a PSK context: a server drops its certificate, a
   client looks at any certificate (to refuse it).  1. */
int oeng_psk_conn_init(ussl_conn *conn);
/* 1 if conn's context has a PSK, so the certificate the peer sent is
   refused (flags and reason set), else 0. */
int oeng_psk_refuses_cert(ussl_conn *conn);
/* openssl_dtls.c */
const SSL_METHOD *oeng_dtls_method(int server);
/* Cookie callbacks of a DTLS server context. */
void oeng_dtls_ctx_setup(ussl_ctx *ctx, SSL_CTX *s);
/* Timer and cookie turn before a handshake step: USSL_OK to go on. */
int oeng_dtls_before_handshake(ussl_conn *conn);
/* openssl_sign.c */
/* A key whose signatures go through the sign callback, for pk (keyless:
   the certificate's public key): *out is new, or NULL when pk stays. */
int oeng_sign_wrap(ussl_errstate *err, EVP_PKEY *pk, int keyless,
    EVP_PKEY **out);
/* 1 if pk is an RSA key behind the sign callback (TLS 1.2, PKCS#1 v1.5
   signatures only). */
int oeng_sign_is_rsa(const EVP_PKEY *pk);

/* openssl_record.c */

/* The key-log callback of every SSL_CTX: keeps TLS 1.3 traffic secrets. */
void oeng_keylog(const SSL *ssl, const char *line);
/* The message callback's part: counts records, notes key changes. */
void oeng_rec_watch(struct eng_conn *e, int write_p, int version,
    int content_type, const unsigned char *buf, size_t len);
/* The bytes OpenSSL writes (whole records), for the explicit nonce. */
void oeng_rec_wrote(struct eng_conn *e, const unsigned char *p, size_t n);
/* Leave OpenSSL if conn can now (see openssl_record.c): 1 if it did. */
int oeng_park(ussl_conn *conn);
void oeng_rec_free(struct eng_conn *e);
/* eng_read/eng_write/eng_close_notify/eng_pending of a parked
   connection. */
long oeng_rec_read(ussl_conn *conn, unsigned char *buf, size_t len);
long oeng_rec_write(ussl_conn *conn, const unsigned char *buf, size_t len);
int oeng_rec_close_notify(ussl_conn *conn);
size_t oeng_rec_pending(const struct eng_conn *e);
/* Seal n bytes of p as one record of the given content type and send
   it (the tests use it to send what the engine itself never would);
   USSL_OK or USSL_ERROR. */
int oeng_rec_send(ussl_conn *conn, int type, const unsigned char *p,
    size_t n, const char *during);
/* Send a TLS 1.3 KeyUpdate (request: ask the peer for one too), parked
   or not (then with OpenSSL's next record); USSL_OK or USSL_ERROR. */
int oeng_key_update(ussl_conn *conn, int request);
/* Getters of a parked connection. */
const char *oeng_rec_version(const struct eng_conn *e);
const SSL_CIPHER *oeng_rec_suite(const struct eng_conn *e);
int oeng_rec_reused(const struct eng_conn *e);
/* eng_conn_get_session of a parked connection. */
int oeng_rec_session(const struct eng_conn *e, unsigned char *buf,
    size_t *len);

/* openssl_session.c */

/* The session data of conn (client) in a new buffer, *out NULL when the
   session cannot be resumed; 0, or -1 when out of memory. */
int oeng_session_copy(ussl_conn *conn, unsigned char **out, size_t *len);

/* Apply the context's ticket settings to ssl (a server's); 0 on failure. */
int oeng_tickets_apply(ussl_ctx *ctx, SSL_CTX *ssl);
/* Free (and wipe) the ticket keys. */
void oeng_tickets_free(struct eng_ctx *e);
/* Client contexts: see openssl_session.c.  0 or -1 (out of memory). */
int oeng_memo_new(struct eng_ctx *e);
void oeng_memo_free(struct eng_ctx *e);

#endif /* USSL_OPENSSL_ENGINE_H */
