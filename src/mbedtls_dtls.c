/*
 * mbedtls_dtls.c - DTLS 1.2 on mbedTLS (2.28 and 3.6): the datagram
 * configuration, the core's cookies and timer given to mbedTLS, and the
 * HelloVerifyRequest turn of a server.  Builds without
 * MBEDTLS_SSL_PROTO_DTLS refuse DTLS contexts.
 */
#include "mbedtls_engine.h"

/* Path MTU assumed for datagrams (IPv6's minimum is 1280; typical
   Ethernet paths carry 1500). */
#define DTLS_MTU 1400

#if defined(MBEDTLS_SSL_PROTO_DTLS)

static void timer_set(void *arg, uint32_t int_ms, uint32_t fin_ms)
{
	ussl_dtls_timer_set(arg, int_ms, fin_ms);
}

static int timer_get(void *arg)
{
	return ussl_dtls_timer_get(arg);
}

#if defined(MBEDTLS_SSL_DTLS_HELLO_VERIFY)
static int cookie_write(void *arg, unsigned char **p, unsigned char *end,
    const unsigned char *info, size_t ilen)
{
	if ((size_t)(end - *p) < USSL_DTLS_COOKIE_LEN)
		return MBEDTLS_ERR_SSL_BUFFER_TOO_SMALL;
	if (info == NULL || ussl_dtls_cookie_make(arg, info, ilen, *p) != 0)
		return MBEDTLS_ERR_SSL_INTERNAL_ERROR;
	*p += USSL_DTLS_COOKIE_LEN;
	return 0;
}

static int cookie_check(void *arg, const unsigned char *cookie,
    size_t clen, const unsigned char *info, size_t ilen)
{
	return ussl_dtls_cookie_check(arg, info, ilen, cookie, clen) ? 0 : -1;
}
#endif

int meng_dtls_ctx_init(ussl_ctx *ctx)
{
	struct eng_ctx *e = ctx->eng;

#if defined(MBEDTLS_SSL_DTLS_ANTI_REPLAY)
	mbedtls_ssl_conf_dtls_anti_replay(&e->conf,
	    MBEDTLS_SSL_ANTI_REPLAY_ENABLED);
#endif
	if (ctx->role != USSL_SERVER)
		return USSL_OK;
#if defined(MBEDTLS_SSL_DTLS_HELLO_VERIFY)
	mbedtls_ssl_conf_dtls_cookies(&e->conf, cookie_write, cookie_check,
	    ctx);
	return USSL_OK;
#else
	/* A server without cookies keeps state for forged addresses. */
	return ussl_err_set(&ctx->err, USSL_E_CONFIG, "DTLS server: this "
	    "mbedTLS build has no HelloVerifyRequest");
#endif
}

int eng_dtls_conn_init(ussl_conn *conn)
{
	struct eng_conn *e = conn->eng;

	mbedtls_ssl_set_timer_cb(&e->ssl, conn, timer_set, timer_get);
	mbedtls_ssl_set_mtu(&e->ssl, DTLS_MTU);
	return USSL_OK;
}

int eng_dtls_timeout_ms(const ussl_conn *conn)
{
	uint32_t elapsed;

	if (conn->timer_fin == 0)
		return -1;
	elapsed = ussl_clock_ms() - conn->timer_start;
	if (elapsed >= conn->timer_fin)
		return 0;
	return (int)(conn->timer_fin - elapsed);
}

size_t eng_dtls_max_payload(const ussl_conn *conn)
{
	int n = mbedtls_ssl_get_max_out_record_payload(&conn->eng->ssl);

	return n > 0 ? (size_t)n : 0;
}

int eng_dtls_set_client_id(ussl_conn *conn)
{
#if defined(MBEDTLS_SSL_DTLS_HELLO_VERIFY)
	int ret = mbedtls_ssl_set_client_transport_id(&conn->eng->ssl,
	    conn->dtls_id, conn->dtls_id_len);

	if (ret == 0)
		return USSL_OK;
	ussl_err_set(&conn->err, ret == MBEDTLS_ERR_SSL_ALLOC_FAILED ?
	    USSL_E_NOMEM : USSL_E_BADARG, "cannot set the client id");
	meng_append_detail(&conn->err, ret);
	return USSL_ERROR;
#else
	(void)conn;
	return USSL_OK;
#endif
}

int meng_dtls_hello_verify(ussl_conn *conn)
{
	struct eng_conn *e = conn->eng;
	int ret;

	/* Forget the client: it comes back with the cookie, or never. */
	ret = mbedtls_ssl_session_reset(&e->ssl);
	ussl_dtls_timer_set(conn, 0, 0);
	if (ret != 0) {
		ussl_err_set(&conn->err, USSL_E_NOMEM, "DTLS: cannot reset");
		meng_append_detail(&conn->err, ret);
		return USSL_ERROR;
	}
	if (conn->dtls_id != NULL && eng_dtls_set_client_id(conn) != USSL_OK)
		return USSL_ERROR;
	return ussl_err_set(&conn->err, USSL_E_HELLO_VERIFY, "DTLS hello "
	    "verify required: a cookie was sent to the client");
}

#else /* !MBEDTLS_SSL_PROTO_DTLS */

int meng_dtls_ctx_init(ussl_ctx *ctx)
{
	return ussl_err_set(&ctx->err, USSL_E_CONFIG,
	    "DTLS is not in this mbedTLS build");
}

int eng_dtls_conn_init(ussl_conn *conn)
{
	return ussl_err_set(&conn->err, USSL_E_CONFIG,
	    "DTLS is not in this mbedTLS build");
}

int eng_dtls_timeout_ms(const ussl_conn *conn)
{
	(void)conn;
	return -1;
}

size_t eng_dtls_max_payload(const ussl_conn *conn)
{
	(void)conn;
	return 0;
}

int eng_dtls_set_client_id(ussl_conn *conn)
{
	(void)conn;
	return USSL_OK;
}

int meng_dtls_hello_verify(ussl_conn *conn)
{
	return ussl_err_set(&conn->err, USSL_E_INTERNAL, "no DTLS");
}

#endif
