/*
 * test_memio.c - a client and a server in one process over the in-memory
 * transport: handshake, data both ways, clean close versus truncation,
 * partial I/O down to one byte per call, client authentication, and
 * what the connection reports afterwards.
 */
#include <string.h>

#include "testutil.h"

/* Move len bytes from a to b through both engines. */
static int pump(ussl_conn *w, ussl_conn *r, const unsigned char *data,
    size_t len)
{
	unsigned char buf[8192];
	size_t sent = 0, got = 0;
	long n;
	int spins = 0;

	while (got < len && spins++ < 1000000) {
		if (sent < len) {
			n = ussl_write(w, data + sent, len - sent);
			if (n > 0)
				sent += (size_t)n;
			else if (n == USSL_ERROR)
				return -1;
		}
		n = ussl_read(r, buf, sizeof(buf));
		if (n > 0) {
			if (memcmp(buf, data + got, (size_t)n) != 0)
				return -2;
			got += (size_t)n;
		} else if (n == USSL_ERROR || n == 0) {
			return -3;
		}
	}
	return got == len ? 0 : -4;
}

static int client_max;   /* highest version the client offers, 0: any */
static const char *client_chain, *client_key;   /* client certificate */

static void pair(const char *scert, const char *skey, int sverify,
    const char *ca, int cverify, const char *name, int chunk,
    ussl_ctx **sc, ussl_ctx **cc, ussl_conn **s, ussl_conn **c, tu_link *l)
{
	ussl_error err;

	*sc = tu_server_ctx(scert, skey, sverify);
	*cc = tu_client_ctx(ca, cverify);
	/* Settings must be made before connections are created. */
	CHECK(ussl_ctx_set_versions(*cc, USSL_TLS1_2, client_max) == USSL_OK);
	if (client_chain != NULL)
		CHECK(ussl_ctx_use_cert_chain_file(*cc, tu_cert(client_chain),
		    tu_cert(client_key), NULL) == USSL_OK);
	tu_link_init(l, chunk);
	*s = ussl_conn_new(*sc, NULL, &err);
	*c = ussl_conn_new(*cc, name, &err);
	CHECK(*s != NULL && *c != NULL);
	tu_attach(*s, l, 0);
	tu_attach(*c, l, 1);
}

static void unpair(ussl_ctx *sc, ussl_ctx *cc, ussl_conn *s, ussl_conn *c,
    tu_link *l)
{
	ussl_conn_free(s);
	ussl_conn_free(c);
	ussl_ctx_free(sc);
	ussl_ctx_free(cc);
	tu_link_free(l);
}

static void test_basic(int chunk, int tls12)
{
	ussl_ctx *sc, *cc;
	ussl_conn *s, *c;
	tu_link l;
	unsigned char data[100000], buf[16];
	const unsigned char *der;
	size_t i, derlen;
	char subj[256];

	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + i / 251);
	client_max = tls12 ? USSL_TLS1_2 : 0;
	pair("server-ec-chain.pem", "server-ec.key", USSL_VERIFY_NONE,
	    "ca.pem", USSL_VERIFY_REQUIRED, "localhost", chunk,
	    &sc, &cc, &s, &c, &l);
	client_max = 0;
	CHECK(!ussl_handshake_done(c));
	CHECK(ussl_conn_version(c) == NULL);
	CHECK(tu_handshake_pair(c, s) == 0);
	CHECK(ussl_handshake_done(c) && ussl_handshake_done(s));
	CHECK(ussl_conn_peer_verified(c));
	CHECK(!ussl_conn_peer_verified(s));
	CHECK(ussl_conn_version(c) != NULL);
	if (tls12)
		CHECK(strcmp(ussl_conn_version(c), "TLSv1.2") == 0);
	CHECK(ussl_conn_cipher(c) != NULL &&
	    strncmp(ussl_conn_cipher(c), "TLS_", 4) == 0);
	CHECK(ussl_conn_cipher_bits(c) >= 128);
	CHECK(ussl_conn_peer_cert(c, &der, &derlen) == 0);
	CHECK(ussl_cert_subject(der, derlen, subj, sizeof(subj)) > 0);
	CHECK(strstr(subj, "localhost") != NULL);
	CHECK(ussl_conn_peer_cert(s, &der, &derlen) == -1);

	CHECK(pump(c, s, data, sizeof(data)) == 0);
	CHECK(pump(s, c, data, sizeof(data)) == 0);

	/* Clean close: close_notify gives 0, again and again. */
	CHECK(ussl_close(c) == USSL_OK);
	CHECK(ussl_read(s, buf, sizeof(buf)) == 0);
	CHECK(ussl_read(s, buf, sizeof(buf)) == 0);
	CHECK(ussl_close(c) == USSL_OK);
	CHECK(ussl_write(c, "x", 1) == USSL_ERROR);
	CHECK(ussl_conn_error(c)->code == USSL_E_CLOSED);
	/* Half-close: the client still reads what the server sends, then
	   the server's close_notify. */
	CHECK(ussl_read(c, buf, 1) == USSL_WANT_READ);
	CHECK(ussl_write(s, "late", 4) == 4);
	CHECK(ussl_close(s) == USSL_OK);
	CHECK(ussl_read(c, buf, sizeof(buf)) == 4 &&
	    memcmp(buf, "late", 4) == 0);
	CHECK(ussl_read(c, buf, sizeof(buf)) == 0);
	CHECK(ussl_write(s, "x", 1) == USSL_ERROR);
	CHECK(ussl_conn_error(s)->code == USSL_E_CLOSED);
	unpair(sc, cc, s, c, &l);
}

static void test_truncation(void)
{
	ussl_ctx *sc, *cc;
	ussl_conn *s, *c;
	tu_link l;
	unsigned char buf[16];

	pair("server-ec-chain.pem", "server-ec.key", USSL_VERIFY_NONE,
	    "ca.pem", USSL_VERIFY_REQUIRED, "localhost", 0,
	    &sc, &cc, &s, &c, &l);
	CHECK(tu_handshake_pair(c, s) == 0);
	CHECK(pump(s, c, (const unsigned char *)"hello", 5) == 0);
	tu_fin(&l, 0);   /* server's FIN, no close_notify */
	CHECK(ussl_read(c, buf, sizeof(buf)) == USSL_ERROR);
	CHECK(ussl_conn_error(c)->code == USSL_E_TRUNCATED);
	/* Sticky. */
	CHECK(ussl_read(c, buf, sizeof(buf)) == USSL_ERROR);
	CHECK(ussl_conn_error(c)->code == USSL_E_TRUNCATED);
	CHECK(ussl_write(c, "x", 1) == USSL_ERROR);
	CHECK(ussl_conn_error(c)->code == USSL_E_TRUNCATED);
	CHECK(ussl_close(c) == USSL_OK);
	unpair(sc, cc, s, c, &l);
}

static void expect_verify_fail(const char *scert, const char *skey,
    const char *ca, const char *name, unsigned flag)
{
	ussl_ctx *sc, *cc;
	ussl_conn *s, *c;
	tu_link l;
	const ussl_error *e;

	pair(scert, skey, USSL_VERIFY_NONE, ca, USSL_VERIFY_REQUIRED, name, 0,
	    &sc, &cc, &s, &c, &l);
	CHECK(tu_handshake_pair(c, s) != 0);
	e = ussl_conn_error(c);
	CHECK(e->code == USSL_E_VERIFY);
	CHECK((e->verify & flag) != 0);
	if (e->code != USSL_E_VERIFY || !(e->verify & flag))
		fprintf(stderr, "  %s/%s: code %d flags %#x: %s\n", scert, name,
		    e->code, e->verify, e->msg);
	CHECK(strstr(e->msg, "certificate verify failed") != NULL);
	unpair(sc, cc, s, c, &l);
}

static void test_verify(void)
{
	expect_verify_fail("server-ec-chain.pem", "server-ec.key", "ca.pem",
	    "wrong.example", USSL_VFY_NAME_MISMATCH);
	expect_verify_fail("server-ec-chain.pem", "server-ec.key", "ca.pem",
	    "127.0.0.2", USSL_VFY_NAME_MISMATCH);
	expect_verify_fail("expired.pem", "expired.key", "ca.pem",
	    "localhost", USSL_VFY_EXPIRED);
	expect_verify_fail("notyet.pem", "notyet.key", "ca.pem",
	    "localhost", USSL_VFY_NOT_YET_VALID);
	expect_verify_fail("selfsigned.pem", "selfsigned.key", "ca.pem",
	    "localhost", USSL_VFY_UNTRUSTED);
	expect_verify_fail("server-ec-chain.pem", "server-ec.key",
	    "other-ca.pem", "localhost", USSL_VFY_UNTRUSTED);
	expect_verify_fail("leaf-only-int.pem", "leaf-only-int.key", "ca.pem",
	    "localhost", USSL_VFY_UNTRUSTED);
	expect_verify_fail("wronghost.pem", "wronghost.key", "ca.pem",
	    "localhost", USSL_VFY_NAME_MISMATCH);
}

static void test_ip_and_insecure(void)
{
	ussl_ctx *sc, *cc;
	ussl_conn *s, *c;
	tu_link l;

	/* The IP address SAN of the server certificate matches. */
	pair("server-ec-chain.pem", "server-ec.key", USSL_VERIFY_NONE,
	    "ca.pem", USSL_VERIFY_REQUIRED, "127.0.0.1", 1,
	    &sc, &cc, &s, &c, &l);
	CHECK(tu_handshake_pair(c, s) == 0);
	CHECK(ussl_conn_peer_verified(c));
	unpair(sc, cc, s, c, &l);

	/* CERT_NONE accepts anything but says it did not verify. */
	pair("selfsigned.pem", "selfsigned.key", USSL_VERIFY_NONE,
	    NULL, USSL_VERIFY_NONE, NULL, 0, &sc, &cc, &s, &c, &l);
	CHECK(tu_handshake_pair(c, s) == 0);
	CHECK(!ussl_conn_peer_verified(c));
	unpair(sc, cc, s, c, &l);
}

/* The next pair()'s client presents this certificate (NULL: none). */
static void client_cert(const char *cert, const char *key)
{
	client_chain = cert;
	client_key = key;
}

static void test_client_auth(void)
{
	ussl_ctx *sc, *cc;
	ussl_conn *s, *c;
	tu_link l;
	const unsigned char *der;
	size_t len;
	int v;

	for (v = USSL_VERIFY_OPTIONAL; v <= USSL_VERIFY_REQUIRED; v++) {
		/* Good client certificate. */
		client_cert("client.pem", "client.key");
		pair("server-ec-chain.pem", "server-ec.key", v, "ca.pem",
		    USSL_VERIFY_REQUIRED, "localhost", 0, &sc, &cc, &s, &c, &l);
		client_cert(NULL, NULL);
		CHECK(tu_handshake_pair(c, s) == 0);
		CHECK(ussl_conn_peer_verified(s));
		CHECK(ussl_conn_peer_cert(s, &der, &len) == 0);
		unpair(sc, cc, s, c, &l);

		/* Certificate from another CA: refused in both modes. */
		client_cert("client-other.pem", "client-other.key");
		pair("server-ec-chain.pem", "server-ec.key", v, "ca.pem",
		    USSL_VERIFY_REQUIRED, "localhost", 0, &sc, &cc, &s, &c, &l);
		client_cert(NULL, NULL);
		CHECK(tu_handshake_pair(c, s) != 0);
		CHECK(ussl_conn_error(s)->code == USSL_E_VERIFY);
		CHECK(ussl_conn_error(s)->verify & USSL_VFY_UNTRUSTED);
		unpair(sc, cc, s, c, &l);

		/* No certificate: fine for OPTIONAL, refused for REQUIRED. */
		pair("server-ec-chain.pem", "server-ec.key", v, "ca.pem",
		    USSL_VERIFY_REQUIRED, "localhost", 0, &sc, &cc, &s, &c, &l);
		if (v == USSL_VERIFY_OPTIONAL) {
			CHECK(tu_handshake_pair(c, s) == 0);
			CHECK(!ussl_conn_peer_verified(s));
		} else {
			CHECK(tu_handshake_pair(c, s) != 0);
			CHECK(ussl_conn_error(s)->code == USSL_E_VERIFY);
			CHECK(ussl_conn_error(s)->verify & USSL_VFY_NO_CERT);
			if (ussl_conn_error(s)->code != USSL_E_VERIFY)
				fprintf(stderr, "  no client cert: %d %s\n",
				    ussl_conn_error(s)->code,
				    ussl_conn_error(s)->msg);
		}
		unpair(sc, cc, s, c, &l);
	}
}

/* One connection between existing contexts; returns the client conn
   after a small exchange (so a TLS 1.3 ticket gets read). */
static void resume_round(ussl_ctx *sc, ussl_ctx *cc, const unsigned char *sess,
    size_t slen, unsigned char *out, size_t *olen, int *reused_c,
    int *reused_s)
{
	ussl_conn *s, *c;
	ussl_error err;
	tu_link l;

	tu_link_init(&l, 0);
	s = ussl_conn_new(sc, NULL, &err);
	c = ussl_conn_new(cc, "localhost", &err);
	tu_attach(s, &l, 0);
	tu_attach(c, &l, 1);
	if (sess != NULL)
		CHECK(ussl_conn_set_session(c, sess, slen) == USSL_OK);
	CHECK(tu_handshake_pair(c, s) == 0);
	CHECK(ussl_conn_set_session(c, sess ? sess : (const unsigned char *)
	    "x", 1) == USSL_ERROR);   /* too late */
	CHECK(pump(s, c, (const unsigned char *)"ticket?", 7) == 0);
	*reused_c = ussl_conn_session_reused(c);
	*reused_s = ussl_conn_session_reused(s);
	*olen = 4096;
	if (ussl_conn_get_session(c, out, olen) != 0)
		*olen = 0;
	ussl_conn_free(s);
	ussl_conn_free(c);
	tu_link_free(&l);
}

static void test_resumption(int max)
{
	ussl_ctx *sc = tu_server_ctx("server-ec-chain.pem", "server-ec.key",
	    USSL_VERIFY_NONE);
	ussl_ctx *cc = tu_client_ctx("ca.pem", USSL_VERIFY_REQUIRED);
	unsigned char sess[4096], sess2[4096];
	size_t len, len2, need = 0;
	int rc, rs;

	CHECK(ussl_ctx_set_versions(cc, USSL_TLS1_2, max) == USSL_OK);
	CHECK(ussl_ctx_set_tickets(cc, 60) == USSL_ERROR);
	CHECK(ussl_ctx_set_tickets(sc, 3600) == USSL_OK);
	resume_round(sc, cc, NULL, 0, sess, &len, &rc, &rs);
	CHECK(!rc && !rs);
	CHECK(len > 0);
	resume_round(sc, cc, sess, len, sess2, &len2, &rc, &rs);
	CHECK(rc && rs);
	/* Garbage is refused, a session from nowhere too. */
	{
		ussl_error err;
		ussl_conn *c = ussl_conn_new(cc, "localhost", &err);

		CHECK(ussl_conn_set_session(c, (const unsigned char *)"junk", 4)
		    == USSL_ERROR);
		CHECK(ussl_conn_error(c)->code == USSL_E_BADARG);
		CHECK(ussl_conn_get_session(c, NULL, &need) == -1 && need == 0);
		ussl_conn_free(c);
	}
	/* Without tickets on the server there is nothing to resume (a used
	   context no longer changes: a copy does). */
	CHECK(ussl_ctx_set_tickets(sc, 0) == USSL_ERROR);
	{
		ussl_ctx *sc2 = ussl_ctx_dup(sc);

		CHECK(sc2 != NULL && ussl_ctx_set_tickets(sc2, 0) == USSL_OK);
		resume_round(sc2, cc, sess, len, sess2, &len2, &rc, &rs);
		CHECK(!rc && !rs);
		ussl_ctx_free(sc2);
	}
	ussl_ctx_free(sc);
	ussl_ctx_free(cc);
}

int main(void)
{
	test_resumption(USSL_TLS1_2);
	if (strstr(ussl_engine_version(), " 2.") == NULL)
		test_resumption(USSL_TLS1_3);
	test_basic(0, 0);
	test_basic(0, 1);
	test_basic(1, 0);
	test_basic(7, 1);
	test_truncation();
	test_verify();
	test_ip_and_insecure();
	test_client_auth();
	return tu_report("test_memio");
}
