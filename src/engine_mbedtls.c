/*
 * engine_mbedtls.c - the mbedTLS engine (2.28 and 3.6) behind engine.h:
 * contexts, connections, transport and errors.  Translates between the
 * core's model (states, codes, policy) and mbedTLS.  Certificates live in
 * mbedtls_x509.c, sessions in mbedtls_session.c.
 */
#include "mbedtls_engine.h"

/* Modern suites only: AEAD with forward secrecy.  USSL_PREFER_CHACHA
   (MicroPython builds for chips without AES instructions): ChaCha20 first,
   where it is faster and its state smaller. */
static const int ciphersuites[] = {
	COMPAT_TLS13_SUITES
#if defined(USSL_PREFER_CHACHA) && defined(MBEDTLS_CHACHAPOLY_C)
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
#endif
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
#if !defined(USSL_PREFER_CHACHA) || !defined(MBEDTLS_CHACHAPOLY_C)
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
#endif
	0
};
const int *const meng_default_suites = ciphersuites;

const char *eng_version(void)
{
	return MBEDTLS_VERSION_STRING_FULL;
}

/* "mbedTLS -0x2700: X509 - Certificate verification failed..." */
void meng_detail(char *buf, size_t size, int ret)
{
	char text[100];

	text[0] = '\0';
#if defined(MBEDTLS_ERROR_C)
	mbedtls_strerror(ret, text, sizeof(text));
#endif
	snprintf(buf, size, "mbedTLS -0x%04X%s%s", (unsigned)-ret,
	    text[0] ? ": " : "", text);
}

/* "(mbedTLS -0x2700: X509 - Certificate verification failed...)" */
void meng_append_detail(ussl_errstate *e, int ret)
{
	char text[128];

	meng_detail(text, sizeof(text), ret);
	ussl_err_append(e, "%s", text);
}

/* ---------------------------------------------------------------------- */
/* Context                                                                 */

static int conf_apply(ussl_ctx *ctx);

int eng_ctx_init(ussl_ctx *ctx)
{
	struct eng_ctx *e;
	int endpoint;
	static const char pers[] = "ussl";

	if (compat_global_init() != 0)
		return USSL_ERROR;
	e = USSL_CALLOC(1, sizeof(*e));
	if (e == NULL)
		return USSL_ERROR;
	mbedtls_ssl_config_init(&e->conf);
	mbedtls_entropy_init(&e->entropy);
	mbedtls_ctr_drbg_init(&e->drbg);
	ctx->eng = e;
	endpoint = ctx->role == USSL_SERVER ? MBEDTLS_SSL_IS_SERVER :
	    MBEDTLS_SSL_IS_CLIENT;
	if (mbedtls_ctr_drbg_seed(&e->drbg, mbedtls_entropy_func, &e->entropy,
	    (const unsigned char *)pers, sizeof(pers) - 1) != 0 ||
	    mbedtls_ssl_config_defaults(&e->conf, endpoint, ctx->dtls ?
	    MBEDTLS_SSL_TRANSPORT_DATAGRAM : MBEDTLS_SSL_TRANSPORT_STREAM,
	    MBEDTLS_SSL_PRESET_DEFAULT) != 0 ||
	    (ctx->dtls && meng_dtls_ctx_init(ctx) != USSL_OK)) {
		eng_ctx_free(ctx);
		return USSL_ERROR;
	}
	mbedtls_ssl_conf_rng(&e->conf, mbedtls_ctr_drbg_random, &e->drbg);
	mbedtls_ssl_conf_ciphersuites(&e->conf, ciphersuites);
	compat_conf_tls13_tickets(&e->conf);
#if defined(MBEDTLS_SSL_RENEGOTIATION)
	mbedtls_ssl_conf_renegotiation(&e->conf,
	    MBEDTLS_SSL_RENEGOTIATION_DISABLED);
#endif
	conf_apply(ctx);
	if (ctx->role == USSL_SERVER &&
	    eng_ctx_set_tickets(ctx, USSL_TICKET_LIFETIME) != USSL_OK) {
		eng_ctx_free(ctx);
		return USSL_ERROR;
	}
	return USSL_OK;
}

void eng_ctx_free(ussl_ctx *ctx)
{
	struct eng_ctx *e = ctx->eng;

	if (e == NULL)
		return;
	mbedtls_ssl_config_free(&e->conf);
	meng_own_release(e->own);
	meng_cas_release(e->ca);
	USSL_FREE(e->suites);
	USSL_FREE(e->psk_suites);
#if defined(MBEDTLS_SSL_TICKET_C)
	if (e->has_ticket)
		mbedtls_ssl_ticket_free(&e->ticket);
#endif
	mbedtls_ctr_drbg_free(&e->drbg);
	mbedtls_entropy_free(&e->entropy);
	ussl_wipe(e, sizeof(*e));
	USSL_FREE(e);
	ctx->eng = NULL;
}

/*
 * Bring the mbedTLS configuration in line with the context's settings.
 * Called after every change; mbedTLS keeps pointers to chain, key, CA
 * and ALPN list, which live as long as the context.
 */
static int conf_apply(ussl_ctx *ctx)
{
	struct eng_ctx *e = ctx->eng;
	int max = ctx->max_version ? ctx->max_version : compat_max_version();
	int authmode;

	if (ctx->min_version > compat_max_version())
		return ussl_err_set(&ctx->err, USSL_E_BADARG,
		    "TLS 1.3 is not available with %s", eng_version());
	if (max > compat_max_version() || ctx->dtls)
		max = ctx->dtls ? USSL_TLS1_2 : compat_max_version();
	/* mbedTLS's TLS 1.3 client sends max_fragment_length in its
	   ClientHello but rejects the server's answer (in
	   EncryptedExtensions): a client that asks for it speaks TLS 1.2. */
	if (ctx->role == USSL_CLIENT && ctx->max_frag != 0 &&
	    max > USSL_TLS1_2) {
		if (ctx->min_version > USSL_TLS1_2)
			return ussl_err_set(&ctx->err, USSL_E_BADARG,
			    "max fragment length needs TLS 1.2 with %s",
			    eng_version());
		max = USSL_TLS1_2;
	}
	/* RSA behind a sign callback: PKCS#1 v1.5, so TLS 1.2 only. */
	if (meng_sign_tls12_only(e->own) && max > USSL_TLS1_2) {
		if (ctx->min_version > USSL_TLS1_2)
			return ussl_err_set(&ctx->err, USSL_E_CONFIG, "an RSA "
			    "key behind a sign callback needs TLS 1.2 with %s",
			    eng_version());
		max = USSL_TLS1_2;
	}
	compat_conf_versions(&e->conf, ctx->min_version, max);
	if (ctx->verify == USSL_VERIFY_NONE && ctx->role == USSL_SERVER)
		authmode = MBEDTLS_SSL_VERIFY_NONE;
	else if (ctx->verify == USSL_VERIFY_NONE)
		/* mbedTLS skips the verify callback under NONE; the callback
		   is where we keep the peer's leaf, and it accepts anything
		   when the context does not verify. */
		authmode = MBEDTLS_SSL_VERIFY_OPTIONAL;
	else if (ctx->role == USSL_SERVER)
		/* OPTIONAL and REQUIRED: mbedTLS checks, the engine refuses
		   (check_client_cert in engine_mbedtls.c). */
		authmode = MBEDTLS_SSL_VERIFY_OPTIONAL;
	else
		authmode = MBEDTLS_SSL_VERIFY_REQUIRED;
	mbedtls_ssl_conf_authmode(&e->conf, authmode);
	if (ctx->role == USSL_CLIENT) {
#if defined(MBEDTLS_SSL_MAX_FRAGMENT_LENGTH)
		unsigned char code = MBEDTLS_SSL_MAX_FRAG_LEN_NONE;

		switch (ctx->max_frag) {
		case 512:  code = MBEDTLS_SSL_MAX_FRAG_LEN_512; break;
		case 1024: code = MBEDTLS_SSL_MAX_FRAG_LEN_1024; break;
		case 2048: code = MBEDTLS_SSL_MAX_FRAG_LEN_2048; break;
		case 4096: code = MBEDTLS_SSL_MAX_FRAG_LEN_4096; break;
		}
		if (mbedtls_ssl_conf_max_frag_len(&e->conf, code) != 0)
			return ussl_err_set(&ctx->err, USSL_E_BADARG,
			    "max fragment length %u is larger than this "
			    "build's record buffers", ctx->max_frag);
#else
		if (ctx->max_frag != 0)
			return ussl_err_set(&ctx->err, USSL_E_CONFIG,
			    "max fragment length: not in this mbedTLS build");
#endif
	}
	mbedtls_ssl_conf_ca_chain(&e->conf, e->ca != NULL ? &e->ca->crt : NULL,
	    NULL);
#if defined(MBEDTLS_SSL_ALPN)
	if (ctx->alpn[0] != NULL)
		mbedtls_ssl_conf_alpn_protocols(&e->conf,
		    (const char **)ctx->alpn);
	else
		e->conf.COMPAT_PRIV(alpn_list) = NULL;   /* no setter clears */
#endif
	return USSL_OK;
}

int eng_ctx_update(ussl_ctx *ctx)
{
	return conf_apply(ctx);
}

int eng_ctx_dup(ussl_ctx *dst, const ussl_ctx *src)
{
	const struct eng_ctx *s = src->eng;
	struct eng_ctx *e = dst->eng;
	size_t n;

	if (s->suites != NULL) {
		for (n = 0; s->suites[n] != 0; n++)
			;
		e->suites = USSL_CALLOC(n + 1, sizeof(*e->suites));
		if (e->suites == NULL)
			return ussl_err_set(&dst->err, USSL_E_NOMEM,
			    "out of memory");
		memcpy(e->suites, s->suites, n * sizeof(*e->suites));
		mbedtls_ssl_conf_ciphersuites(&e->conf, e->suites);
	}
	if (s->ca != NULL) {
		ussl_ref_inc(&s->ca->refs);
		e->ca = s->ca;
	}
	if (s->own != NULL) {
		ussl_ref_inc(&s->own->refs);
		e->own = s->own;
		if (mbedtls_ssl_conf_own_cert(&e->conf, &e->own->chain,
		    &e->own->key) != 0)
			return ussl_err_set(&dst->err, USSL_E_NOMEM,
			    "out of memory");
	}
	if (dst->role == USSL_SERVER && src->tickets != USSL_TICKET_LIFETIME)
		return eng_ctx_set_tickets(dst, src->tickets);
	return USSL_OK;
}

/* mbedTLS names suites "TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256" and
   "TLS1-3-AES-128-GCM-SHA256"; the API speaks IANA names. */
static int to_iana(const char *name, char *buf, size_t size)
{
	size_t i;
	int n;

	if (strncmp(name, "TLS1-3-", 7) == 0)
		n = snprintf(buf, size, "TLS_%s", name + 7);
	else
		n = snprintf(buf, size, "%s", name);
	if (n < 0 || (size_t)n >= size)
		return -1;
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] == '-')
			buf[i] = '_';
	return n;
}

/* Suite id for an IANA or mbedTLS name, 0 if the engine lacks it. */
static int suite_id(const char *name)
{
	char buf[80];
	size_t i;
	int n;

	n = mbedtls_ssl_get_ciphersuite_id(name);
	if (n != 0)
		return n;
	if (strncmp(name, "TLS_", 4) != 0 || strlen(name) + 4 > sizeof(buf))
		return 0;
	/* IANA: TLS 1.3 suites have no "_WITH_". */
	if (strstr(name, "_WITH_") == NULL)
		snprintf(buf, sizeof(buf), "TLS1-3-%s", name + 4);
	else
		snprintf(buf, sizeof(buf), "%s", name);
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] == '_')
			buf[i] = '-';
	return mbedtls_ssl_get_ciphersuite_id(buf);
}

int eng_ctx_set_ciphers(ussl_ctx *ctx, const char *const *names, size_t n)
{
	struct eng_ctx *e = ctx->eng;
	int *list;
	size_t i;

	if (n == 0) {
		USSL_FREE(e->suites);
		e->suites = NULL;
		mbedtls_ssl_conf_ciphersuites(&e->conf, ciphersuites);
		return ctx->psk != NULL ? eng_ctx_psk_update(ctx) : USSL_OK;
	}
	list = USSL_CALLOC(n + 1, sizeof(*list));
	if (list == NULL)
		return ussl_err_set(&ctx->err, USSL_E_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		list[i] = names[i] != NULL ? suite_id(names[i]) : 0;
		if (list[i] == 0) {
			USSL_FREE(list);
			return ussl_err_set(&ctx->err, USSL_E_BADARG,
			    "unknown or unsupported cipher suite: %s",
			    names[i] ? names[i] : "(null)");
		}
	}
	mbedtls_ssl_conf_ciphersuites(&e->conf, list);
	USSL_FREE(e->suites);
	e->suites = list;
	return ctx->psk != NULL ? eng_ctx_psk_update(ctx) : USSL_OK;
}

int eng_ctx_cipher_name(const ussl_ctx *ctx, size_t i, char *buf,
    size_t size)
{
	const struct eng_ctx *e = ctx->eng;
	const int *list = e->suites ? e->suites : ciphersuites;
	const char *name;
	size_t k;

	for (k = 0; k < i && list[k] != 0; k++)
		;
	if (list[k] == 0)
		return -1;
	name = mbedtls_ssl_get_ciphersuite_name(list[k]);
	return name != NULL ? to_iana(name, buf, size) : -1;
}

/* ---------------------------------------------------------------------- */
/* Connection                                                              */

static int bio_send(void *arg, const unsigned char *buf, size_t len)
{
	long r = eng_io_send(arg, buf, len);

	if (r >= 0)
		return (int)r;
	return r == USSL_WANT_WRITE ? MBEDTLS_ERR_SSL_WANT_WRITE :
	    r == USSL_WANT_READ ? MBEDTLS_ERR_SSL_WANT_READ : IO_FAILED;
}

static int bio_recv(void *arg, unsigned char *buf, size_t len)
{
	long r = eng_io_recv(arg, buf, len);

	if (r >= 0)
		return (int)r;   /* 0 is end of stream: mbedTLS says CONN_EOF */
	return r == USSL_WANT_READ ? MBEDTLS_ERR_SSL_WANT_READ :
	    r == USSL_WANT_WRITE ? MBEDTLS_ERR_SSL_WANT_WRITE : IO_FAILED;
}

int eng_conn_init(ussl_conn *conn)
{
	struct eng_ctx *ec = conn->ctx->eng;
	struct eng_conn *e;
	int ret;

	e = USSL_CALLOC(1, sizeof(*e));
	if (e == NULL)
		return ussl_err_set(&conn->err, USSL_E_NOMEM, "out of memory");
	conn->eng = e;
	mbedtls_ssl_init(&e->ssl);
	ret = mbedtls_ssl_setup(&e->ssl, &ec->conf);
	if (ret == 0 && conn->role == USSL_CLIENT) {
		/* SNI and mbedTLS's name check take the DNS name; an IP
		   literal is never sent as SNI and is checked by us. */
		ret = mbedtls_ssl_set_hostname(&e->ssl,
		    conn->name.host != NULL && !conn->name.is_ip ?
		    conn->name.host : NULL);
	}
	if (ret != 0) {
		ussl_err_set(&conn->err, ret == MBEDTLS_ERR_SSL_ALLOC_FAILED ?
		    USSL_E_NOMEM : USSL_E_CONFIG, "cannot set up TLS session");
		meng_append_detail(&conn->err, ret);
		eng_conn_free(conn);
		return USSL_ERROR;
	}
	e->vr.vs.ctx = conn->ctx;
	e->vr.vs.role = conn->role;
	e->vr.vs.name = conn->role == USSL_CLIENT ? &conn->name : NULL;
	e->vr.vs.at_time = 0;
	e->vr.vs.flags = &conn->verify_flags;
	e->vr.vs.why = &conn->vwhy;
	e->vr.e = e;
	mbedtls_ssl_set_verify(&e->ssl, meng_verify_cb, &e->vr);
	mbedtls_ssl_set_bio(&e->ssl, conn, bio_send, bio_recv, NULL);
	if (conn->ctx->dtls && eng_dtls_conn_init(conn) != USSL_OK) {
		eng_conn_free(conn);
		return USSL_ERROR;
	}
	return USSL_OK;
}

void eng_conn_free(ussl_conn *conn)
{
	struct eng_conn *e = conn->eng;

	if (e == NULL)
		return;
	if (e->session != NULL) {
		ussl_wipe(e->session, e->session_len);
		USSL_FREE(e->session);
	}
	USSL_FREE(e->peer);
	USSL_FREE(e->resume_peer);
	USSL_FREE(e->vr.chain);
	USSL_FREE(e->cipher);
	mbedtls_ssl_free(&e->ssl);
	ussl_wipe(e, sizeof(*e));
	USSL_FREE(e);
	conn->eng = NULL;
}

/* Was the message mbedTLS refused after the handshake a TLS 1.3
   KeyUpdate (handshake type 24), which mbedTLS 3.6 does not implement? */
static int is_key_update(const ussl_conn *conn)
{
#if defined(MBEDTLS_SSL_PROTO_TLS1_3)
	const mbedtls_ssl_context *s = &conn->eng->ssl;

	return conn->hs_complete &&
	    s->COMPAT_PRIV(tls_version) == MBEDTLS_SSL_VERSION_TLS1_3 &&
	    s->COMPAT_PRIV(in_msgtype) == MBEDTLS_SSL_MSG_HANDSHAKE &&
	    s->COMPAT_PRIV(in_msg) != NULL && s->COMPAT_PRIV(in_msg)[0] == 24;
#else
	(void)conn;
	return 0;
#endif
}

/*
 * Classify an mbedTLS failure for the core (ussl_fail() words it).  The
 * transport's own outcome (errno) takes precedence over mbedTLS's code.
 */
static int fail(ussl_conn *conn, int ret, const char *during)
{
	struct eng_conn *e = conn->eng;
	ussl_failure f;

	if (ret == MBEDTLS_ERR_SSL_WANT_READ)
		return USSL_WANT_READ;
	if (ret == MBEDTLS_ERR_SSL_WANT_WRITE)
		return USSL_WANT_WRITE;
	if (conn->sign_why != NULL)
		return ussl_sign_fail(conn, during);
	ussl_failure_init(&f, USSL_E_PROTOCOL);
	if (ret == IO_FAILED && conn->tr_errno != 0) {
		f.code = USSL_E_IO;
		f.sys_errno = conn->tr_errno;
		goto out;
	}
	switch (ret) {
	case MBEDTLS_ERR_X509_CERT_VERIFY_FAILED:
	case MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE:
		if (ret == MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE)
			conn->verify_flags |= USSL_VFY_NO_CERT;
		if (conn->verify_flags == 0)
			conn->verify_flags = meng_map_vflags(
			    mbedtls_ssl_get_verify_result(&e->ssl));
		if (conn->verify_flags == 0)
			conn->verify_flags = USSL_VFY_OTHER;
		f.code = USSL_E_VERIFY;
		f.verify = conn->verify_flags;
		f.why = &conn->vwhy;
		goto out;
	case MBEDTLS_ERR_SSL_CONN_EOF:
		f.code = USSL_E_TRUNCATED;
		goto out;
	case MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE:
		f.code = USSL_E_PEER_ALERT;
		f.alert = compat_last_alert(&e->ssl);
		goto out;
	case MBEDTLS_ERR_SSL_ALLOC_FAILED:
	case MBEDTLS_ERR_X509_ALLOC_FAILED:
	case MBEDTLS_ERR_PK_ALLOC_FAILED:
		f.code = USSL_E_NOMEM;
		goto out;
	case COMPAT_ERR_NO_CIPHER:
	case COMPAT_ERR_HS_FAILURE:
	case COMPAT_ERR_BAD_VERSION:
	case COMPAT_ERR_NO_USABLE_SUITE:
	case MBEDTLS_ERR_SSL_NO_APPLICATION_PROTOCOL:
	case MBEDTLS_ERR_SSL_UNSUPPORTED_EXTENSION:
		f.code = USSL_E_HANDSHAKE;
		break;
	case MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY:
		f.reason = USSL_FR_PEER_CLOSED;
		break;
	case MBEDTLS_ERR_SSL_TIMEOUT:
		/* DTLS: the retransmissions went unanswered. */
		f.code = USSL_E_HANDSHAKE;
		break;
	case MBEDTLS_ERR_SSL_UNEXPECTED_MESSAGE:
		if (is_key_update(conn))
			f.reason = USSL_FR_KEY_UPDATE;
		break;
	}
	meng_detail(f.detail, sizeof(f.detail), ret);
out:
	return ussl_fail(&conn->err, &f, during, conn->state == ST_HANDSHAKE);
}

/* The alert for a refused certificate, as mbedTLS's own check picks it. */
static unsigned char cert_alert(unsigned flags)
{
	if (flags & USSL_VFY_UNTRUSTED)
		return MBEDTLS_SSL_ALERT_MSG_UNKNOWN_CA;
	if (flags & (USSL_VFY_EXPIRED | USSL_VFY_NOT_YET_VALID))
		return MBEDTLS_SSL_ALERT_MSG_CERT_EXPIRED;
	if (flags & USSL_VFY_REVOKED)
		return MBEDTLS_SSL_ALERT_MSG_CERT_REVOKED;
	if (flags & USSL_VFY_BAD_USAGE)
		return MBEDTLS_SSL_ALERT_MSG_UNSUPPORTED_CERT;
	return MBEDTLS_SSL_ALERT_MSG_BAD_CERT;
}

/*
 * Server, right after the client's Certificate message: mbedTLS runs in
 * its OPTIONAL mode (which never refuses), and the rule is ours: with
 * USSL_VERIFY_REQUIRED a certificate must have been sent, with either
 * mode one that was sent must verify.  Refusing here, and not inside
 * mbedTLS, lets the alert fit the version and reach the client in a
 * form it can read (compat_server_cert_alert).
 */
static int check_client_cert(ussl_conn *conn)
{
	struct eng_conn *e = conn->eng;
	uint32_t flags = mbedtls_ssl_get_verify_result(&e->ssl);
	int no_cert = (flags & MBEDTLS_X509_BADCERT_MISSING) != 0;

	if (no_cert) {
		if (conn->ctx->verify != USSL_VERIFY_REQUIRED)
			return USSL_OK;
		conn->verify_flags |= USSL_VFY_NO_CERT;
	} else if (flags == 0) {
		return USSL_OK;
	} else {
		conn->verify_flags |= meng_map_vflags(flags);
	}
	compat_server_cert_alert(&e->ssl, no_cert,
	    cert_alert(conn->verify_flags));
	return fail(conn, MBEDTLS_ERR_X509_CERT_VERIFY_FAILED, "handshake");
}

int eng_handshake(ussl_conn *conn)
{
	struct eng_conn *e = conn->eng;
	size_t len;
	int ret, st;

	/* mbedtls_ssl_handshake() step by step, to see whether the
	   certificate step ran (it does not when a session is resumed). */
	while ((st = compat_ssl_state(&e->ssl)) != MBEDTLS_SSL_HANDSHAKE_OVER) {
		long r;

		if (st == MBEDTLS_SSL_SERVER_CERTIFICATE)
			e->saw_cert_state = 1;
		/* Before signing, let the peer have the messages so far (a
		   server's certificate above all): it checks them while we
		   sign, instead of waiting for the whole flight. */
		if ((st == MBEDTLS_SSL_SERVER_KEY_EXCHANGE ||
		    st == MBEDTLS_SSL_CERTIFICATE_VERIFY) &&
		    (r = eng_io_flush(conn)) != 0)
			return (int)r;
		ussl_sign_enter(conn);
		ret = mbedtls_ssl_handshake_step(&e->ssl);
		ussl_sign_leave();
		if (ret == COMPAT_ERR_NEW_TICKET) {
			meng_keep_session(conn->eng);
			continue;
		}
#if defined(MBEDTLS_SSL_DTLS_HELLO_VERIFY)
		if (ret == MBEDTLS_ERR_SSL_HELLO_VERIFY_REQUIRED)
			return meng_dtls_hello_verify(conn);
#endif
		if (ret != 0)
			return fail(conn, ret, "handshake");
		if (st == MBEDTLS_SSL_CLIENT_CERTIFICATE &&
		    conn->role == USSL_SERVER &&
		    conn->ctx->verify != USSL_VERIFY_NONE &&
		    compat_ssl_state(&e->ssl) != st &&
		    check_client_cert(conn) != USSL_OK)
			return USSL_ERROR;
	}
	if (e->peer == NULL && e->resume_peer != NULL &&
	    !e->saw_cert_state) {
		/* Resumed: the leaf saved with the session is the peer's. */
		meng_set_peer(e, e->resume_peer, e->resume_peer_len);
		e->resume_peer = NULL;
	}
	USSL_FREE(e->resume_peer);
	e->resume_peer = NULL;
	meng_drop_peer_chain(e, conn->role);
	USSL_FREE(e->vr.chain);
	e->vr.chain = NULL;

	/* Verified by the policy: a callback cannot clear a flag. */
	conn->peer_verified = conn->ctx->verify != USSL_VERIFY_NONE &&
	    meng_peer_der(e, &len) != NULL && conn->verify_flags == 0 &&
	    mbedtls_ssl_get_verify_result(&e->ssl) == 0;
	/* mbedTLS's copy of the server's name served SNI and its name
	   check; below TLS 1.3 (whose tickets, arriving later, carry it)
	   nothing uses it again (no renegotiation), and a held connection
	   need not keep it. */
	if (conn->role == USSL_CLIENT &&
	    strcmp(mbedtls_ssl_get_version(&e->ssl), "TLSv1.3") != 0)
		(void)mbedtls_ssl_set_hostname(&e->ssl, NULL);
	return USSL_OK;
}

long eng_read(ussl_conn *conn, unsigned char *buf, size_t len)
{
	struct eng_conn *e = conn->eng;
	int ret, again = 0;

	if (len > 0x7fffffff)
		len = 0x7fffffff;
	for (;;) {
		conn->tr_blocked = 0;
		ret = mbedtls_ssl_read(&e->ssl, buf, len);
		if (ret > 0)
			return ret;
		/* A TLS 1.3 ticket is not data: keep it and go on. */
		if (ret == COMPAT_ERR_NEW_TICKET) {
			meng_keep_session(conn->eng);
			continue;
		}
		/* mbedTLS also says WANT_READ after a post-handshake message
		   or an ignored warning alert, meaning "call again", with the
		   transport never asked: on a blocking socket that would look
		   like a would-block.  Call again while that is so (bounded:
		   each round consumes a record). */
		if ((ret == MBEDTLS_ERR_SSL_WANT_READ ||
		    ret == MBEDTLS_ERR_SSL_WANT_WRITE) && !conn->tr_blocked &&
		    ++again < 64)
			continue;
		/* mbedTLS reports a transport EOF without close_notify as 0. */
		if (ret == 0)
			ret = MBEDTLS_ERR_SSL_CONN_EOF;
		if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
			return 0;
		return fail(conn, ret, "read");
	}
}

/* No gathering: records go out one per send, each as soon as it is made
   (a microcontroller keeps no more than one record of output). */
const size_t eng_write_gather = 0;

long eng_write(ussl_conn *conn, const unsigned char *buf, size_t len)
{
	int ret;

	if (len > 0x7fffffff)
		len = 0x7fffffff;
	/* One record.  The send callback takes all of it (conn.c keeps
	   what the transport does not take), so mbedTLS never holds a
	   half-sent record that would tie the next call to this data. */
	while ((ret = mbedtls_ssl_write(&conn->eng->ssl, buf, len)) ==
	    COMPAT_ERR_NEW_TICKET)
		meng_keep_session(conn->eng);   /* a TLS 1.3 ticket read */
	return ret >= 0 ? ret : fail(conn, ret, "write");
}

int eng_close_notify(ussl_conn *conn)
{
	int ret;

	while ((ret = mbedtls_ssl_close_notify(&conn->eng->ssl)) ==
	    COMPAT_ERR_NEW_TICKET)
		meng_keep_session(conn->eng);
	return ret == 0 ? USSL_OK : fail(conn, ret, "close");
}

size_t eng_pending(const ussl_conn *conn)
{
	return mbedtls_ssl_get_bytes_avail(&conn->eng->ssl);
}

const char *eng_conn_version(const ussl_conn *conn)
{
	return mbedtls_ssl_get_version(&conn->eng->ssl);
}

const char *eng_conn_cipher(const ussl_conn *conn)
{
	struct eng_conn *e = conn->eng;
	const char *name = mbedtls_ssl_get_ciphersuite(&e->ssl);

	if (name == NULL || (e->cipher == NULL &&
	    (e->cipher = USSL_CALLOC(1, CIPHER_NAME_MAX)) == NULL) ||
	    to_iana(name, e->cipher, CIPHER_NAME_MAX) < 0)
		return NULL;
	return e->cipher;
}

int eng_conn_cipher_bits(const ussl_conn *conn)
{
	const char *c = eng_conn_cipher(conn);

	if (c == NULL)
		return 0;
	if (strstr(c, "_128_") != NULL)
		return 128;
	if (strstr(c, "_256_") != NULL || strstr(c, "CHACHA20") != NULL)
		return 256;
	return 0;
}

const char *eng_conn_alpn(const ussl_conn *conn)
{
#if defined(MBEDTLS_SSL_ALPN)
	return mbedtls_ssl_get_alpn_protocol(&conn->eng->ssl);
#else
	(void)conn;
	return NULL;
#endif
}

int eng_conn_peer_cert(const ussl_conn *conn, const unsigned char **der,
    size_t *len)
{
	*der = meng_peer_der(conn->eng, len);
	return *der != NULL ? 0 : -1;
}
