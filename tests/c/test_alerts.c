/*
 * test_alerts.c - alerts between two ussl ends, whichever engine the
 * build has: a server that requires a client certificate and gets none
 * sends an alert that fits the version (handshake_failure under TLS 1.2,
 * certificate_required under TLS 1.3) in a form the client reads
 * (USSL_E_PEER_ALERT with that alert, not a MAC failure); an untrusted
 * client certificate gets unknown_ca.  And a send that fails after the
 * peer's fatal alert arrived reports the alert, not the transport error.
 */
#include <string.h>

#include "testutil.h"

/* Client and server over a fresh link; the client's result. */
static int run(ussl_ctx *cctx, ussl_ctx *sctx, mt_link *l, ussl_conn **c,
    ussl_conn **s)
{
	ussl_error err;
	unsigned char buf[16];
	int rc = USSL_WANT_READ, rs = USSL_WANT_READ, i;
	long r;

	mt_link_init(l);
	*c = ussl_conn_new(cctx, "localhost", &err);
	*s = ussl_conn_new(sctx, NULL, &err);
	if (*c == NULL || *s == NULL)
		return -9;
	mt_attach(*c, l, 1);
	mt_attach(*s, l, 0);
	for (i = 0; i < 1000 && (rc != USSL_OK && rc != USSL_ERROR); i++) {
		rc = ussl_handshake(*c);
		if (rs != USSL_ERROR && rs != USSL_OK)
			rs = ussl_handshake(*s);
	}
	CHECK(rs == USSL_ERROR);
	CHECK(ussl_conn_error(*s)->code == USSL_E_VERIFY);
	if (rc == USSL_ERROR)
		return rc;
	/* TLS 1.3: the client's handshake is over before the server has
	   judged its certificate; the alert comes with the first read. */
	for (i = 0; i < 100; i++) {
		r = ussl_read(*c, buf, sizeof(buf));
		if (r != USSL_WANT_READ)
			return (int)r;
	}
	return USSL_WANT_READ;
}

static void refused(int tls13, const char *cert, const char *key,
    int alert)
{
	ussl_ctx *cctx = tu_client_ctx("ca.pem", USSL_VERIFY_REQUIRED);
	ussl_ctx *sctx = tu_server_ctx("server-ec-chain.pem", "server-ec.key",
	    USSL_VERIFY_REQUIRED);
	ussl_conn *c = NULL, *s = NULL;
	mt_link l;
	int v = tls13 ? USSL_TLS1_3 : USSL_TLS1_2;

	CHECK(ussl_ctx_set_versions(cctx, v, v) == USSL_OK);
	if (cert != NULL)
		CHECK(ussl_ctx_use_cert_chain_file(cctx, tu_cert(cert),
		    tu_cert(key), NULL) == USSL_OK);
	CHECK(run(cctx, sctx, &l, &c, &s) == USSL_ERROR);
	CHECK(ussl_conn_error(c)->code == USSL_E_PEER_ALERT);
	CHECK(ussl_conn_error(c)->alert == alert);
	if (ussl_conn_error(c)->alert != alert)
		fprintf(stderr, "TLS 1.%d %s: client got %s (%s)\n",
		    tls13 ? 3 : 2, cert ? cert : "no certificate",
		    ussl_strerror(ussl_conn_error(c)->code),
		    ussl_conn_error(c)->msg);
	if (cert == NULL)
		CHECK(ussl_conn_error(s)->verify & USSL_VFY_NO_CERT);
	ussl_conn_free(c);
	ussl_conn_free(s);
	mt_link_free(&l);
	ussl_ctx_free(cctx);
	ussl_ctx_free(sctx);
}

/* A send that fails after the peer's fatal alert arrived reports the
   alert, not the transport error. */
static void alert_wins(int tls13)
{
	ussl_ctx *cctx = tu_client_ctx("ca.pem", USSL_VERIFY_REQUIRED);
	ussl_ctx *sctx = tu_server_ctx("server-ec-chain.pem", "server-ec.key",
	    USSL_VERIFY_NONE);
	ussl_error err;
	ussl_conn *c, *s;
	unsigned char junk[40];
	int v = tls13 ? USSL_TLS1_3 : USSL_TLS1_2;
	mt_link l;

	CHECK(ussl_ctx_set_versions(cctx, v, v) == USSL_OK);
	mt_link_init(&l);
	c = ussl_conn_new(cctx, "localhost", &err);
	s = ussl_conn_new(sctx, NULL, &err);
	mt_attach(c, &l, 1);
	mt_attach(s, &l, 0);
	CHECK(mt_handshake_pair(c, s, 1000) == 0);
	/* A forged record makes the server fail with a fatal alert. */
	memset(junk, 0x55, sizeof(junk));
	junk[0] = 23;
	junk[1] = 3;
	junk[2] = 3;
	junk[3] = 0;
	junk[4] = sizeof(junk) - 5;
	mt_pipe_put(&l.c2s, junk, sizeof(junk));
	CHECK(ussl_read(s, junk, sizeof(junk)) == USSL_ERROR);
	CHECK(l.s2c.len > 0);    /* the alert (after any tickets) */
	l.fin_client = 1;        /* and the server is gone: EPIPE */
	CHECK(ussl_write(c, "hello", 5) == USSL_ERROR);
	CHECK(ussl_conn_error(c)->code == USSL_E_PEER_ALERT);
	CHECK(ussl_conn_error(c)->alert == 20);   /* bad_record_mac */
	/* Without an alert, the transport error it is. */
	ussl_conn_free(c);
	ussl_conn_free(s);
	mt_link_free(&l);
	mt_link_init(&l);
	c = ussl_conn_new(cctx, "localhost", &err);
	s = ussl_conn_new(sctx, NULL, &err);
	mt_attach(c, &l, 1);
	mt_attach(s, &l, 0);
	CHECK(mt_handshake_pair(c, s, 1000) == 0);
	l.fin_client = 1;
	CHECK(ussl_write(c, "hello", 5) == USSL_ERROR);
	CHECK(ussl_conn_error(c)->code == USSL_E_IO);
	CHECK(ussl_conn_error(c)->sys_errno == 32);   /* EPIPE */
	ussl_conn_free(c);
	ussl_conn_free(s);
	mt_link_free(&l);
	ussl_ctx_free(cctx);
	ussl_ctx_free(sctx);
}

int main(void)
{
	int v, tls13 = strstr(ussl_engine_version(), " 2.") == NULL;

	for (v = 0; v <= tls13; v++) {
		refused(v, NULL, NULL, v ? 116 : 40);
		refused(v, "client-other.pem", "client-other.key", 48);
		alert_wins(v);
	}
	return tu_report("test_alerts");
}
