/*
 * mbedtls_session.c - the mbedTLS engine's sessions: server tickets with
 * rotating keys, client session data saved and offered again (the core
 * wraps and checks it, see session.c), and what the core's session code
 * asks of an engine (digest, random bytes, clock, the CA set).
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

/* mbedTLS's serialized form of the connection's session, in a new
   buffer; NULL if there is none or memory ran out. */
static unsigned char *serialize_session(const struct eng_conn *e,
    size_t *len)
{
	mbedtls_ssl_session s;
	unsigned char *buf = NULL;

	*len = 0;
#if defined(USSL_NO_SESSIONS)
	/* A build without resumption (session_none.c) keeps no session. */
	(void)e;
	(void)s;
	return buf;
#endif
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
   once): a TLS 1.3 ticket, when it arrives. */
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
	e->session_len = (uint32_t)len;
}

/*
 * A TLS 1.2 client's session, serialized straight from mbedTLS's own
 * each time it is asked for (mbedtls_ssl_get_session() would give it out
 * only once): the connection keeps no copy of it, its ticket included,
 * beside the one mbedTLS keeps anyway.  Into buf (*len bytes), or only
 * its length when buf is NULL or too small; 0 when written.
 */
static int save_tls12(const struct eng_conn *e, unsigned char *buf,
    size_t *len)
{
	const mbedtls_ssl_session *s = e->ssl.COMPAT_PRIV(session);
	size_t need = 0;

	if (s == NULL || mbedtls_ssl_session_save(s, NULL, 0, &need) !=
	    MBEDTLS_ERR_SSL_BUFFER_TOO_SMALL || need == 0) {
		*len = 0;
		return -1;
	}
	if (buf == NULL || *len < need) {
		*len = need;
		return -1;
	}
	if (mbedtls_ssl_session_save(s, buf, *len, len) != 0) {
		ussl_wipe(buf, need);
		*len = 0;
		return -1;
	}
	return 0;
}

/* The engine's part of the session data: mbedTLS's serialized session
   (the core adds the peer's leaf and what verified it, see session.c). */
int eng_conn_get_session(const ussl_conn *conn, unsigned char *buf,
    size_t *len)
{
	struct eng_conn *e = conn->eng;

	if (e->session == NULL && conn->role == USSL_CLIENT &&
	    conn->hs_complete &&
	    strcmp(mbedtls_ssl_get_version(&e->ssl), "TLSv1.2") == 0)
		return save_tls12(e, buf, len);
	if (e->session == NULL || buf == NULL || *len < e->session_len) {
		*len = e->session != NULL ? e->session_len : 0;
		return -1;
	}
	memcpy(buf, e->session, e->session_len);
	*len = e->session_len;
	return 0;
}

int eng_conn_set_session(ussl_conn *conn, const unsigned char *buf,
    size_t len, const unsigned char *leaf, size_t leaf_len)
{
	struct eng_conn *e = conn->eng;
	mbedtls_ssl_session s;
	unsigned char *copy = NULL;
	int ret;

	if (leaf_len > 0) {
		if ((copy = USSL_CALLOC(1, leaf_len)) == NULL)
			return ussl_err_set(&conn->err, USSL_E_NOMEM,
			    "out of memory");
		memcpy(copy, leaf, leaf_len);
	}
	mbedtls_ssl_session_init(&s);
	ret = mbedtls_ssl_session_load(&s, buf, len);
	if (ret == 0)
		ret = mbedtls_ssl_set_session(&conn->eng->ssl, &s);
	mbedtls_ssl_session_free(&s);
	if (ret != 0) {
		USSL_FREE(copy);
		ussl_err_set(&conn->err, ret == MBEDTLS_ERR_SSL_ALLOC_FAILED ?
		    USSL_E_NOMEM : USSL_E_BADARG, "unusable session data");
		meng_append_detail(&conn->err, ret);
		return USSL_ERROR;
	}
	USSL_FREE(e->resume_peer);
	e->resume_peer = copy;
	e->resume_peer_len = (uint32_t)leaf_len;
	return USSL_OK;
}

int eng_session_format(void)
{
#if MBEDTLS_VERSION_MAJOR >= 3
	return ENG_SESS_MBEDTLS3;
#else
	return ENG_SESS_MBEDTLS2;
#endif
}

int eng_sha256(const unsigned char *p, size_t n, unsigned char out[32])
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(
	    MBEDTLS_MD_SHA256);

	return md != NULL && mbedtls_md(md, p, n, out) == 0 ? 0 : -1;
}

int eng_random(unsigned char *buf, size_t n)
{
	mbedtls_entropy_context ent;
	mbedtls_ctr_drbg_context drbg;
	static const char pers[] = "ussl session";
	int ret;

	mbedtls_entropy_init(&ent);
	mbedtls_ctr_drbg_init(&drbg);
	ret = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent,
	    (const unsigned char *)pers, sizeof(pers) - 1);
	if (ret == 0)
		ret = mbedtls_ctr_drbg_random(&drbg, buf, n);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&ent);
	return ret == 0 ? 0 : -1;
}

int64_t eng_time_now(void)
{
#if defined(MBEDTLS_HAVE_TIME)
	return (int64_t)mbedtls_time(NULL);
#else
	return 0;
#endif
}

int eng_ctx_ca_each(const ussl_ctx *ctx,
    int (*fn)(void *arg, const unsigned char *der, size_t len), void *arg)
{
	const struct eng_ctx *e = ctx->eng;
	const mbedtls_x509_crt *c;
	int r;

	if (e->ca == NULL)
		return 0;
	/* The segments' lists are linked: the first walks them all. */
	for (c = &e->ca->crt; c != NULL && c->raw.p != NULL; c = c->next)
		if ((r = fn(arg, c->raw.p, c->raw.len)) != 0)
			return r;
	return 0;
}

int eng_conn_session_reused(const ussl_conn *conn)
{
	return !conn->eng->saw_cert_state;
}
