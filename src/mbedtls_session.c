/*
 * mbedtls_session.c - the mbedTLS engine's sessions: server tickets with
 * rotating keys, and client session data saved and offered again.
 */
#include "mbedtls_engine.h"

int eng_ctx_set_tickets(ussl_ctx *ctx, unsigned lifetime)
{
#if defined(MBEDTLS_SSL_TICKET_C) && defined(MBEDTLS_SSL_SESSION_TICKETS)
	struct eng_ctx *e = ctx->eng;
	int ret;

	mbedtls_ssl_conf_session_tickets_cb(&e->conf, NULL, NULL, NULL);
	if (e->has_ticket) {
		mbedtls_ssl_ticket_free(&e->ticket);
		e->has_ticket = 0;
	}
	if (lifetime == 0)
		return USSL_OK;
	mbedtls_ssl_ticket_init(&e->ticket);
	e->has_ticket = 1;
	/* mbedTLS rotates the key once it is lifetime old, and accepts
	   tickets under the previous key too. */
	ret = mbedtls_ssl_ticket_setup(&e->ticket, mbedtls_ctr_drbg_random,
	    &e->drbg, MBEDTLS_CIPHER_AES_256_GCM, lifetime);
	if (ret != 0) {
		ussl_err_set(&ctx->err, USSL_E_INTERNAL,
		    "cannot set up session tickets");
		meng_append_detail(&ctx->err, ret);
		return USSL_ERROR;
	}
	mbedtls_ssl_conf_session_tickets_cb(&e->conf, mbedtls_ssl_ticket_write,
	    mbedtls_ssl_ticket_parse, &e->ticket);
	return USSL_OK;
#else
	(void)ctx;
	(void)lifetime;
	return USSL_OK;
#endif
}

/*
 * Session data: mbedTLS's serialized session, preceded by the peer's leaf
 * (which the client keeps apart, see meng_drop_peer_chain), so that a resumed
 * connection still shows the certificate it was verified with:
 *     "uSP1" | leaf length (4 bytes, big endian) | leaf | mbedTLS session
 */
#define SESS_MAGIC "uSP1"
#define SESS_HDR 8

/* mbedTLS's serialized form of the connection's session, in a new
   buffer; NULL if there is none or memory ran out. */
static unsigned char *serialize_session(const struct eng_conn *e,
    size_t *len)
{
	mbedtls_ssl_session s;
	unsigned char *buf = NULL;

	*len = 0;
	mbedtls_ssl_session_init(&s);
	if (mbedtls_ssl_get_session(&e->ssl, &s) == 0 &&
	    mbedtls_ssl_session_save(&s, NULL, 0, len) ==
	    MBEDTLS_ERR_SSL_BUFFER_TOO_SMALL && *len > 0 &&
	    (buf = USSL_CALLOC(1, *len)) != NULL &&
	    mbedtls_ssl_session_save(&s, buf, *len, len) != 0) {
		USSL_FREE(buf);
		buf = NULL;
	}
	mbedtls_ssl_session_free(&s);
	return buf;
}

/* Keep the current session, serialized (mbedTLS gives each session out
   once): TLS 1.3 when a ticket arrives, TLS 1.2 when first asked for, so
   that a connection nobody asks holds no copy. */
void meng_keep_session(struct eng_conn *e)
{
	unsigned char *buf;
	size_t len;

	if ((buf = serialize_session(e, &len)) == NULL)
		return;
	if (e->session != NULL) {
		ussl_wipe(e->session, e->session_len);
		USSL_FREE(e->session);
	}
	e->session = buf;
	e->session_len = len;
}

int eng_conn_get_session(const ussl_conn *conn, unsigned char *buf,
    size_t *len)
{
	struct eng_conn *e = conn->eng;
	const unsigned char *leaf;
	size_t leaf_len = 0, total;

	if (e->session == NULL && conn->role == USSL_CLIENT &&
	    conn->hs_complete &&
	    strcmp(mbedtls_ssl_get_version(&e->ssl), "TLSv1.2") == 0)
		meng_keep_session(e);
	if ((leaf = meng_peer_der(e, &leaf_len)) == NULL)
		leaf_len = 0;
	total = SESS_HDR + leaf_len + e->session_len;
	if (e->session == NULL || buf == NULL || *len < total) {
		*len = e->session != NULL ? total : 0;
		return -1;
	}
	memcpy(buf, SESS_MAGIC, 4);
	buf[4] = (unsigned char)(leaf_len >> 24);
	buf[5] = (unsigned char)(leaf_len >> 16);
	buf[6] = (unsigned char)(leaf_len >> 8);
	buf[7] = (unsigned char)leaf_len;
	if (leaf_len > 0)
		memcpy(buf + SESS_HDR, leaf, leaf_len);
	memcpy(buf + SESS_HDR + leaf_len, e->session, e->session_len);
	*len = total;
	return 0;
}

int eng_conn_set_session(ussl_conn *conn, const unsigned char *buf,
    size_t len)
{
	struct eng_conn *e = conn->eng;
	mbedtls_ssl_session s;
	unsigned char *leaf = NULL;
	size_t leaf_len = 0;
	int ret;

	if (len < SESS_HDR || memcmp(buf, SESS_MAGIC, 4) != 0)
		return ussl_err_set(&conn->err, USSL_E_BADARG,
		    "unusable session data (not from this build)");
	leaf_len = (size_t)buf[4] << 24 | (size_t)buf[5] << 16 |
	    (size_t)buf[6] << 8 | buf[7];
	if (leaf_len > len - SESS_HDR)
		return ussl_err_set(&conn->err, USSL_E_BADARG,
		    "unusable session data (truncated)");
	if (leaf_len > 0) {
		if ((leaf = USSL_CALLOC(1, leaf_len)) == NULL)
			return ussl_err_set(&conn->err, USSL_E_NOMEM,
			    "out of memory");
		memcpy(leaf, buf + SESS_HDR, leaf_len);
	}
	buf += SESS_HDR + leaf_len;
	len -= SESS_HDR + leaf_len;
	mbedtls_ssl_session_init(&s);
	ret = mbedtls_ssl_session_load(&s, buf, len);
	if (ret == 0)
		ret = mbedtls_ssl_set_session(&conn->eng->ssl, &s);
	mbedtls_ssl_session_free(&s);
	if (ret != 0) {
		USSL_FREE(leaf);
		ussl_err_set(&conn->err, ret == MBEDTLS_ERR_SSL_ALLOC_FAILED ?
		    USSL_E_NOMEM : USSL_E_BADARG, "unusable session data");
		meng_append_detail(&conn->err, ret);
		return USSL_ERROR;
	}
	USSL_FREE(e->resume_peer);
	e->resume_peer = leaf;
	e->resume_peer_len = leaf_len;
	return USSL_OK;
}

int eng_conn_session_reused(const ussl_conn *conn)
{
	return !conn->eng->saw_cert_state;
}
