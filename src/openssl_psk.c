/*
 * openssl_psk.c - pre-shared keys on OpenSSL 3: TLS 1.2 through the PSK
 * client/server callbacks, TLS 1.3 external PSKs through the session
 * callbacks (binary identities; the PSK is given SHA-256, as mbedTLS
 * does).  While a PSK is set, no handshake may rest on a certificate:
 * TLS 1.2 suites are PSK ones only, a PSK server holds no certificate
 * for its connections, and a PSK client refuses any certificate a
 * server sends (oeng_psk_refuses_cert).
 */
#include <string.h>

#include "openssl_engine.h"
#include "psk.h"

/* TLS 1.2 PSK suites, forward-secret first, as the mbedTLS engine. */
static const char psk_suites12[] =
    "ECDHE-PSK-CHACHA20-POLY1305:PSK-AES128-GCM-SHA256:"
    "PSK-AES256-GCM-SHA384:PSK-CHACHA20-POLY1305";
/* What leaves a chosen list: every suite authenticated by a certificate
   (RSA-PSK included, which sends one). */
static const char no_cert_auth[] = ":!aRSA:!aECDSA:!aDSS:!aNULL";

static ussl_conn *conn_of(SSL *ssl)
{
	return SSL_get_app_data(ssl);
}

static unsigned int client_cb(SSL *ssl, const char *hint, char *identity,
    unsigned int max_identity_len, unsigned char *psk,
    unsigned int max_psk_len)
{
	ussl_conn *conn = conn_of(ssl);
	const struct ussl_psk *p;

	(void)hint;
	if (conn == NULL || !ussl_psk_active(conn->ctx))
		return 0;
	p = conn->ctx->psk;
	if (p->id_len + 1 > max_identity_len || p->key_len > max_psk_len)
		return 0;
	memcpy(identity, p->id, p->id_len);   /* no zero byte (psk.c) */
	identity[p->id_len] = '\0';
	memcpy(psk, p->key, p->key_len);
	return (unsigned int)p->key_len;
}

static unsigned int server_cb(SSL *ssl, const char *identity,
    unsigned char *psk, unsigned int max_psk_len)
{
	ussl_conn *conn = conn_of(ssl);
	unsigned char key[USSL_PSK_MAX_KEY];
	size_t len, id_len;

	if (conn == NULL || identity == NULL)
		return 0;
	id_len = strlen(identity);
	if (ussl_psk_lookup(conn->ctx, (const unsigned char *)identity,
	    id_len, key, &len) != 0)
		return 0;
	if (len > max_psk_len || ussl_psk_note(conn,
	    (const unsigned char *)identity, id_len) != 0)
		len = 0;
	else
		memcpy(psk, key, len);
	ussl_wipe(key, sizeof(key));
	return (unsigned int)len;
}

/* A TLS 1.3 session standing for an external PSK: TLS_AES_128_GCM_SHA256
   names its hash (SHA-256). */
static SSL_SESSION *psk_session(SSL *ssl, const unsigned char *key,
    size_t len)
{
	static const unsigned char aes128gcm[2] = { 0x13, 0x01 };
	const SSL_CIPHER *c = SSL_CIPHER_find(ssl, aes128gcm);
	SSL_SESSION *s;

	if (c == NULL || (s = SSL_SESSION_new()) == NULL)
		return NULL;
	if (SSL_SESSION_set1_master_key(s, key, len) != 1 ||
	    SSL_SESSION_set_cipher(s, c) != 1 ||
	    SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION) != 1) {
		SSL_SESSION_free(s);
		return NULL;
	}
	return s;
}

static int use_session_cb(SSL *ssl, const EVP_MD *md,
    const unsigned char **id, size_t *id_len, SSL_SESSION **sess)
{
	ussl_conn *conn = conn_of(ssl);
	const struct ussl_psk *p;

	*sess = NULL;
	if (conn == NULL || !ussl_psk_active(conn->ctx))
		return 1;
	/* After a HelloRetryRequest for a suite of another hash: none. */
	if (md != NULL && EVP_MD_get_type(md) != NID_sha256)
		return 1;
	p = conn->ctx->psk;
	if ((*sess = psk_session(ssl, p->key, p->key_len)) == NULL)
		return 0;
	*id = p->id;
	*id_len = p->id_len;
	return 1;
}

static int find_session_cb(SSL *ssl, const unsigned char *id,
    size_t id_len, SSL_SESSION **sess)
{
	ussl_conn *conn = conn_of(ssl);
	unsigned char key[USSL_PSK_MAX_KEY];
	size_t len;

	*sess = NULL;
	if (conn == NULL ||
	    ussl_psk_lookup(conn->ctx, id, id_len, key, &len) != 0)
		return 1;   /* not this identity */
	*sess = psk_session(ssl, key, len);
	ussl_wipe(key, sizeof(key));
	if (*sess == NULL || ussl_psk_note(conn, id, id_len) != 0) {
		SSL_SESSION_free(*sess);
		*sess = NULL;
		return 0;
	}
	return 1;
}

int oeng_psk_apply(ussl_ctx *ctx, SSL_CTX *s)
{
	struct eng_ctx *e = ctx->eng;
	char *list;
	size_t n;
	int psk = ussl_psk_active(ctx), ok;

	if (ctx->role == USSL_CLIENT) {
		SSL_CTX_set_psk_client_callback(s, psk ? client_cb : NULL);
		SSL_CTX_set_psk_use_session_callback(s,
		    psk ? use_session_cb : NULL);
	} else {
		SSL_CTX_set_psk_server_callback(s, psk ? server_cb : NULL);
		SSL_CTX_set_psk_find_session_callback(s,
		    psk ? find_session_cb : NULL);
	}
	if (!psk)
		return oeng_apply_suites(s, e->suites12, e->suites13);
	/* The chosen TLS 1.2 list less certificate suites, or ours. */
	if (e->suites12 == NULL)
		return oeng_apply_suites(s, psk_suites12, e->suites13);
	n = strlen(e->suites12) + sizeof(no_cert_auth);
	if ((list = USSL_CALLOC(1, n)) == NULL)
		return 0;
	memcpy(list, e->suites12, strlen(e->suites12));
	memcpy(list + strlen(e->suites12), no_cert_auth, sizeof(no_cert_auth));
	ok = oeng_apply_suites(s, list, e->suites13);
	USSL_FREE(list);
	return ok;
}

int eng_ctx_psk_update(ussl_ctx *ctx)
{
	if (!oeng_psk_apply(ctx, ctx->eng->ssl)) {
		ERR_clear_error();
		return ussl_err_set(&ctx->err, USSL_E_BADARG, "no PSK cipher "
		    "suite in the context's list");
	}
	return USSL_OK;
}

int oeng_psk_conn_init(ussl_conn *conn)
{
	SSL *ssl = conn->eng->ssl;

	if (!ussl_psk_active(conn->ctx))
		return 1;
	if (conn->role == USSL_SERVER) {
		/* Nothing to fall back to: no certificate. */
		SSL_certs_clear(ssl);
		return 1;
	}
	/* A client sees any certificate a server sends, whatever the
	   verify mode, so that it can refuse it. */
	SSL_set_verify(ssl, SSL_VERIFY_PEER, oeng_cert_cb);
	return 1;
}

int oeng_psk_refuses_cert(ussl_conn *conn)
{
	if (!ussl_psk_active(conn->ctx))
		return 0;
	conn->verify_flags |= USSL_VFY_POLICY;
	if (conn->vwhy.flag[0] == 0) {
		conn->vwhy.flag[0] = USSL_VFY_POLICY;
		conn->vwhy.text[0] = "a PSK context accepts no certificate";
	}
	return 1;
}
