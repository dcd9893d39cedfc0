/*
 * psk.h - the core's pre-shared key state (psk.c), shared with the
 * engines' PSK files (mbedtls_psk.c, openssl_psk.c).  Not public API.
 */
#ifndef USSL_PSK_H
#define USSL_PSK_H

#include "internal.h"

/* One identity a server accepts (ussl_ctx_add_psk). */
struct ussl_psk_entry {
	struct ussl_psk_entry *next;
	size_t id_len, key_len;
	unsigned char key[USSL_PSK_MAX_KEY];
	unsigned char id[USSL_PSK_MAX_IDENTITY];
};

/* A context's PSK configuration (ctx->psk, NULL: none).  Keys are wiped
   when replaced and when the context goes. */
struct ussl_psk {
	/* Client: the identity sent and its key (id_len 0: none). */
	size_t id_len, key_len;
	unsigned char id[USSL_PSK_MAX_IDENTITY];
	unsigned char key[USSL_PSK_MAX_KEY];
	/* Server: the table, then the callback. */
	struct ussl_psk_entry *table;
	ussl_psk_fn fn;
	void *arg;
};

/* 1 when ctx authenticates by PSK only (see ussl_ctx_set_psk). */
int ussl_psk_active(const ussl_ctx *ctx);
/* Server: the key for identity into key[USSL_PSK_MAX_KEY] (table first,
   then the callback); 0 with *key_len set, or -1 (refused).  The caller
   wipes key. */
int ussl_psk_lookup(const ussl_ctx *ctx, const unsigned char *id,
    size_t id_len, unsigned char *key, size_t *key_len);
/* Record the identity a connection's handshake used (copied); 0 or -1
   (out of memory). */
int ussl_psk_note(ussl_conn *conn, const unsigned char *id, size_t len);
/* A digest of the PSK configuration for the session fingerprint: 32
   zero bytes without PSK.  0, or -1 on failure. */
int ussl_psk_digest(const ussl_ctx *ctx, unsigned char out[32]);
/* ussl_ctx_dup / ussl_ctx_free / ussl_conn_free helpers. */
int ussl_psk_dup(ussl_ctx *dst, const ussl_ctx *src);
void ussl_psk_free(ussl_ctx *ctx);
void ussl_psk_conn_free(ussl_conn *conn);

#endif /* USSL_PSK_H */
