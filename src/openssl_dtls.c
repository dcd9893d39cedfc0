/*
 * openssl_dtls.c - DTLS 1.2 on OpenSSL 3: the datagram context, the
 * core's cookies as OpenSSL's cookie callbacks, the stateless cookie
 * turn of a server (DTLSv1_listen before the handshake proper), the
 * retransmission timer (DTLSv1_get_timeout / DTLSv1_handle_timeout) and
 * the path MTU.
 */
#include <sys/time.h>

#include "openssl_engine.h"

/* Path MTU assumed for datagrams, as in mbedtls_dtls.c. */
#define DTLS_MTU 1400

static int gen_cookie(SSL *ssl, unsigned char *cookie, unsigned int *len)
{
	ussl_conn *conn = SSL_get_app_data(ssl);

	if (conn == NULL || conn->dtls_id == NULL ||
	    ussl_dtls_cookie_make(conn->ctx, conn->dtls_id,
	    conn->dtls_id_len, cookie) != 0)
		return 0;
	*len = USSL_DTLS_COOKIE_LEN;
	conn->eng->hvr_sent = 1;
	return 1;
}

static int check_cookie(SSL *ssl, const unsigned char *cookie,
    unsigned int len)
{
	ussl_conn *conn = SSL_get_app_data(ssl);

	return conn != NULL && conn->dtls_id != NULL &&
	    ussl_dtls_cookie_check(conn->ctx, conn->dtls_id,
	    conn->dtls_id_len, cookie, len);
}

const SSL_METHOD *oeng_dtls_method(int server)
{
	return server ? DTLS_server_method() : DTLS_client_method();
}

void oeng_dtls_ctx_setup(ussl_ctx *ctx, SSL_CTX *s)
{
	if (ctx->role != USSL_SERVER)
		return;
	SSL_CTX_set_cookie_generate_cb(s, gen_cookie);
	SSL_CTX_set_cookie_verify_cb(s, check_cookie);
}

int eng_dtls_conn_init(ussl_conn *conn)
{
	struct eng_conn *e = conn->eng;

	SSL_set_options(e->ssl, SSL_OP_NO_QUERY_MTU);
	if (DTLS_set_link_mtu(e->ssl, DTLS_MTU) != 1) {
		ERR_clear_error();
		return ussl_err_set(&conn->err, USSL_E_CONFIG,
		    "cannot set the DTLS path MTU");
	}
	return USSL_OK;
}

int eng_dtls_timeout_ms(const ussl_conn *conn)
{
	struct timeval tv;
	long ms;

	if (!DTLSv1_get_timeout(conn->eng->ssl, &tv))
		return -1;
	ms = (long)tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;
	return ms > 0x7fffffff ? 0x7fffffff : (int)ms;
}

size_t eng_dtls_max_payload(const ussl_conn *conn)
{
	return DTLS_get_data_mtu(conn->eng->ssl);
}

int eng_dtls_set_client_id(ussl_conn *conn)
{
	(void)conn;   /* the cookie callbacks read conn->dtls_id */
	return USSL_OK;
}

/*
 * Before each handshake step: resend the last flight when the timer has
 * fired, and, on a server, the stateless cookie turn (DTLSv1_listen)
 * until a ClientHello with a valid cookie arrives.  USSL_OK: go on with
 * the handshake; else what to return.
 */
int oeng_dtls_before_handshake(ussl_conn *conn)
{
	struct eng_conn *e = conn->eng;
	BIO_ADDR *peer;
	int r;

	if (DTLSv1_handle_timeout(e->ssl) < 0) {
		ERR_clear_error();
		return ussl_err_set(&conn->err, USSL_E_HANDSHAKE, "DTLS "
		    "handshake: no answer after the retransmissions");
	}
	if (conn->role != USSL_SERVER || e->listened)
		return USSL_OK;
	if ((peer = BIO_ADDR_new()) == NULL)
		return ussl_err_set(&conn->err, USSL_E_NOMEM, "out of memory");
	e->hvr_sent = 0;
	conn->tr_blocked = 0;
	r = DTLSv1_listen(e->ssl, peer);
	BIO_ADDR_free(peer);
	ERR_clear_error();
	if (r > 0) {
		e->listened = 1;
		return USSL_OK;
	}
	if (e->io_err) {
		ussl_failure f;

		ussl_failure_init(&f, USSL_E_IO);
		f.sys_errno = conn->tr_errno;
		return ussl_fail(&conn->err, &f, "handshake", 1);
	}
	if (e->hvr_sent)
		return ussl_err_set(&conn->err, USSL_E_HELLO_VERIFY, "DTLS "
		    "hello verify required: a cookie was sent to the client");
	/* Nothing (valid) to read yet. */
	return USSL_WANT_READ;
}
