/*
 * mbedtls_engine.h - what the files of the mbedTLS engine (2.28 and 3.6)
 * share: engine_mbedtls.c (contexts, connections, transport, errors),
 * mbedtls_x509.c (certificate and key loading, chain verification) and
 * mbedtls_session.c (session tickets and resumption).  Version
 * differences live in mbedtls_compat.h.  Nothing here is public API.
 */
#ifndef USSL_MBEDTLS_ENGINE_H
#define USSL_MBEDTLS_ENGINE_H

#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "mbedtls_compat.h"

#include <mbedtls/md.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/platform.h>
#if defined(MBEDTLS_SSL_TICKET_C)
#include <mbedtls/ssl_ticket.h>
#endif

/* Return code our transport callbacks give mbedTLS for a hard failure;
   the real cause (errno) is kept in the connection. */
#define IO_FAILED MBEDTLS_ERR_NET_SEND_FAILED

/*
 * The trusted CA store, shared by a context and its copies: a list of
 * segments, each holding the certificates one ussl_ctx_add_ca() call
 * added, the last of them linked to the segment before it (tail), so
 * that the head's certificates are one mbedtls_x509_crt list, as
 * mbedtls_ssl_conf_ca_chain() wants.  Segments never change once made:
 * adding CAs makes a new head, so contexts sharing older segments are not
 * touched.  Each segment counts the heads and contexts that point to it.
 */
struct meng_cas {
	int refs;
	mbedtls_x509_crt crt;       /* own certificates, then tail's */
	mbedtls_x509_crt *last;     /* the last own one (next: tail->crt) */
	struct meng_cas *tail;
};

/* The own chain and key, shared by a context and its copies, which
   mbedTLS's configurations point to; replaced, never changed. */
struct meng_own {
	int refs;
	mbedtls_x509_crt chain;
	mbedtls_pk_context key;
	struct meng_sign *sign;     /* key's signing table (mbedtls_sign.c),
	                               NULL: mbedTLS's own */
};

struct eng_ctx {
	mbedtls_ssl_config conf;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	struct meng_own *own;       /* NULL: no chain loaded */
	struct meng_cas *ca;        /* NULL: no CA loaded */
	int *suites;          /* set_ciphers list, NULL: the default */
	int *psk_suites;      /* in use while a PSK is set (mbedtls_psk.c) */
#if defined(MBEDTLS_SSL_TICKET_C)
	mbedtls_ssl_ticket_context ticket;
	int has_ticket;
#endif
};

/* What the verification callback works on: the state to judge against
   (a copy: a connection's is its own) and the chain mbedTLS shows it,
   root first, for the policy's chain rules at the leaf. */
struct vrun {
	ussl_vstate vs;
	ussl_chain *chain;        /* a connection's lives only while the
	                             certificates are being verified */
	struct eng_conn *e;       /* the connection verified, NULL if none */
};

#define CIPHER_NAME_MAX 64

/* Held for the connection's life: the pointers first, then the 32-bit
   lengths (certificates and session data are far below 4 GB), so that
   no padding is kept. */
struct eng_conn {
	mbedtls_ssl_context ssl;
	struct vrun vr;
	unsigned char *session;   /* a TLS 1.3 client's last ticket,
	                             serialized (TLS 1.2: none kept, see
	                             mbedtls_session.c) */
	/* The peer's leaf certificate (DER), kept by us so that a client
	   need not keep mbedTLS's parsed copy of the peer's chain for the
	   connection's life (about 2 KB per certificate). */
	unsigned char *peer;
	/* The leaf saved with a session given to ussl_conn_set_session:
	   becomes peer if the handshake resumes that session. */
	unsigned char *resume_peer;
	char *cipher;             /* IANA suite name, made when asked for */
	uint32_t session_len, peer_len, resume_peer_len;
	int saw_cert_state;       /* the handshake went through the
	                             server-certificate step: no resumption */
};

/* engine_mbedtls.c */
/* The default suite list (without PSK). */
extern const int *const meng_default_suites;
/* "mbedTLS -0x2700: text" of an mbedTLS code, into buf. */
void meng_detail(char *buf, size_t size, int ret);
/* Append it to an error message. */
void meng_append_detail(ussl_errstate *e, int ret);

/* mbedtls_x509.c */
/* Drop a reference to a CA store or own chain (NULL is ignored); the
   last one frees it, wiping the key. */
void meng_cas_release(struct meng_cas *h);
void meng_own_release(struct meng_own *o);
/* USSL_VFY_* flags of mbedTLS's verification flags. */
unsigned meng_map_vflags(uint32_t f);
/* The verification callback set on every connection (arg: struct vrun). */
int meng_verify_cb(void *arg, mbedtls_x509_crt *crt, int depth,
    uint32_t *flags);
/* The peer's leaf (DER) kept by the connection or mbedTLS, NULL if none. */
const unsigned char *meng_peer_der(const struct eng_conn *e, size_t *len);
/* Replace the kept leaf by der (owned from now on). */
void meng_set_peer(struct eng_conn *e, unsigned char *der, size_t len);
/* After the handshake: drop mbedTLS's parsed copy of the peer's chain. */
void meng_drop_peer_chain(struct eng_conn *e, int role);

/* mbedtls_dtls.c */
/* A DTLS context: anti-replay, the core's cookies on a server. */
int meng_dtls_ctx_init(ussl_ctx *ctx);
/* The server sent a HelloVerifyRequest: reset, USSL_E_HELLO_VERIFY. */
int meng_dtls_hello_verify(ussl_conn *conn);
/* mbedtls_sign.c */
/* Route o->key's signatures through the sign callback (keyless: o->key
   holds only the leaf's public key). */
int meng_sign_wrap(ussl_errstate *err, struct meng_own *o, int keyless);
/* Give the key back its own table (before it is freed). */
void meng_sign_unwrap(struct meng_own *o);
/* 1 if o's key can sign through the callback in TLS 1.2 only. */
int meng_sign_tls12_only(const struct meng_own *o);

/* mbedtls_session.c */
/* Keep the connection's current session, serialized (see the file). */
void meng_keep_session(struct eng_conn *e);

#endif /* USSL_MBEDTLS_ENGINE_H */
