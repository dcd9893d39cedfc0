/*
 * test_frozen.c - a context is frozen by its first connection, and
 * ussl_ctx_dup() makes a mutable copy that shares the CA store and the
 * own chain copy-on-write.  Every setter is tried on a context in use
 * (each must fail with USSL_E_BADARG and change nothing, proved by
 * verifications and handshakes, not by reading the settings back); a
 * copy's changes must never reach the original nor the reverse; a copy
 * must outlive its original.  Over the in-memory transport.
 */
#include <string.h>

#include "testutil.h"

static unsigned char *ca_other, *ca_main;
static size_t ca_other_len, ca_main_len;

/* The USSL_VFY_* flags ctx gives the chain in file (a leaf, alone). */
static unsigned verdict(ussl_ctx *ctx, const char *file, const char *name)
{
	const unsigned char *certs[1];
	unsigned char *der;
	unsigned flags = 0xffffffffu;
	size_t len;

	der = tu_read(file, &len);
	certs[0] = der;
	CHECK(ussl_ctx_verify_chain(ctx, certs, &len, 1, name, 0, &flags) ==
	    USSL_OK);
	free(der);
	return flags;
}

/* A server context: EC chain, verifying clients against ca.pem. */
static ussl_ctx *server_ctx(void)
{
	ussl_ctx *s = tu_server_ctx("server-ec-chain.pem", "server-ec.key",
	    USSL_VERIFY_REQUIRED);

	return s;
}

/* A client with client cert `who` ("client" or "client-other"). */
static ussl_ctx *client_ctx(const char *who)
{
	ussl_ctx *c = tu_client_ctx("ca.pem", USSL_VERIFY_REQUIRED);
	char cert[64], key[64];

	snprintf(cert, sizeof(cert), "%s.pem", who);
	snprintf(key, sizeof(key), "%s.key", who);
	if (ussl_ctx_use_cert_chain_file(c, tu_cert(cert), tu_cert(key),
	    NULL) != USSL_OK)
		exit(2);
	return c;
}

/* One handshake between a client of cc and a server of sc: 0 if both
   ends completed.  *peer_len (if not NULL) gets the length of the
   server's leaf (DER), which tells the EC and RSA leaves apart; alpn
   (if not NULL) the protocol the client saw agreed. */
static int handshake(ussl_ctx *sc, ussl_ctx *cc, size_t *peer_len,
    char *alpn, size_t alpn_size)
{
	ussl_conn *s, *c;
	ussl_error err;
	const unsigned char *der;
	size_t len;
	tu_link l;
	int r;

	tu_link_init(&l, 0);
	s = ussl_conn_new(sc, NULL, &err);
	c = ussl_conn_new(cc, "localhost", &err);
	if (s == NULL || c == NULL) {
		fprintf(stderr, "conn_new failed: %s\n", err.msg);
		ussl_conn_free(s);
		ussl_conn_free(c);
		tu_link_free(&l);
		return -1;
	}
	tu_attach(s, &l, 0);
	tu_attach(c, &l, 1);
	r = tu_handshake_pair(c, s);
	if (peer_len != NULL)
		*peer_len = r == 0 && ussl_conn_peer_cert(c, &der, &len) ==
		    USSL_OK ? len : 0;
	if (alpn != NULL) {
		const char *a = ussl_conn_alpn(c);

		snprintf(alpn, alpn_size, "%s", a != NULL ? a : "");
	}
	ussl_conn_free(s);
	ussl_conn_free(c);
	tu_link_free(&l);
	return r;
}

static int is_frozen_error(ussl_ctx *ctx, int r)
{
	const ussl_error *e = ussl_ctx_error(ctx);

	return r == USSL_ERROR && e->code == USSL_E_BADARG &&
	    strstr(e->msg, "ussl_ctx_dup") != NULL;
}

/* Every setter fails on a context in use, and nothing changes. */
static void test_setters_refused(void)
{
	ussl_ctx *sc = server_ctx(), *cc = client_ctx("client");
	ussl_ctx *other = client_ctx("client-other");
	static const char *const alpn[] = { "h2" };
	static const char *const suites[] = { "TLS_AES_128_GCM_SHA256" };
	char first[128], again[128];
	size_t leaf_len = 0, leaf_len2 = 0;
	ussl_error err;
	ussl_conn *conn;
	unsigned char *cert, *key;
	size_t cert_len, key_len;

	cert = tu_read("server-rsa.pem", &cert_len);
	key = tu_read("server-rsa.key", &key_len);
	CHECK(!ussl_ctx_frozen(sc) && !ussl_ctx_frozen(cc));
	/* Not yet in use: setters work (so the refusals below are real). */
	CHECK(ussl_ctx_set_verify_relax(sc, 0) == USSL_OK);
	CHECK(ussl_ctx_set_verify_cb(sc, NULL, NULL) == USSL_OK);
	CHECK(ussl_ctx_cipher_name(sc, 0, first, sizeof(first)) > 0);
	/* A connection freezes both. */
	CHECK(handshake(sc, cc, &leaf_len, NULL, 0) == 0);
	CHECK(leaf_len > 0);
	CHECK(ussl_ctx_frozen(sc) && ussl_ctx_frozen(cc));
	/* The other client (cert of other-ca) is refused, as it should. */
	CHECK(handshake(sc, other, NULL, NULL, 0) != 0);

	CHECK(is_frozen_error(sc, ussl_ctx_set_verify(sc, USSL_VERIFY_NONE)));
	CHECK(is_frozen_error(sc, ussl_ctx_set_versions(sc, USSL_TLS1_2,
	    USSL_TLS1_2)));
	CHECK(is_frozen_error(sc, ussl_ctx_use_cert_chain(sc, cert, cert_len,
	    key, key_len, NULL)));
	CHECK(is_frozen_error(sc, ussl_ctx_use_cert_chain_file(sc,
	    tu_cert("server-rsa.pem"), tu_cert("server-rsa.key"), NULL)));
	CHECK(is_frozen_error(sc, ussl_ctx_add_ca(sc, ca_other,
	    ca_other_len)));
	CHECK(is_frozen_error(sc, ussl_ctx_add_ca_file(sc,
	    tu_cert("other-ca.pem"))));
	CHECK(is_frozen_error(sc, ussl_ctx_set_alpn(sc, alpn, 1)));
	CHECK(is_frozen_error(sc, ussl_ctx_set_ciphers(sc, suites, 1)));
	CHECK(is_frozen_error(sc, ussl_ctx_set_ciphers(sc, NULL, 0)));
	CHECK(is_frozen_error(sc, ussl_ctx_set_verify_cb(sc, tu_count_cb,
	    NULL)));
	CHECK(is_frozen_error(sc, ussl_ctx_set_verify_relax(sc,
	    USSL_RELAX_ALL)));
	CHECK(is_frozen_error(sc, ussl_ctx_set_tickets(sc, 0)));
	CHECK(is_frozen_error(cc, ussl_ctx_set_max_fragment(cc, 512)));
	CHECK(is_frozen_error(cc, ussl_ctx_set_verify(cc, USSL_VERIFY_NONE)));
	CHECK(is_frozen_error(cc, ussl_ctx_add_ca(cc, ca_other,
	    ca_other_len)));
	/* Bad arguments are refused as frozen too, not judged. */
	CHECK(is_frozen_error(sc, ussl_ctx_set_verify(sc, 77)));

	/* Unchanged: verify mode, ciphers, CA set (other-ca still not
	   trusted), chain (the same EC leaf), callback (not called). */
	CHECK(ussl_ctx_verify(sc) == USSL_VERIFY_REQUIRED);
	CHECK(ussl_ctx_verify(cc) == USSL_VERIFY_REQUIRED);
	CHECK(ussl_ctx_cipher_name(sc, 0, again, sizeof(again)) > 0 &&
	    strcmp(first, again) == 0);
	CHECK(ussl_ctx_cipher_name(sc, 1, again, sizeof(again)) > 0);
	CHECK(verdict(sc, "client-other.pem", NULL) & USSL_VFY_UNTRUSTED);
	CHECK(verdict(sc, "client.pem", NULL) == 0);
	tu_cb_calls = 0;
	CHECK(handshake(sc, other, NULL, NULL, 0) != 0);
	CHECK(handshake(sc, cc, &leaf_len2, NULL, 0) == 0);
	CHECK(tu_cb_calls == 0);
	CHECK(leaf_len2 == leaf_len);
	/* cc still verifies (its verify mode and CA set are unchanged):
	   a server whose chain cc does not trust is refused. */
	{
		ussl_ctx *self = tu_server_ctx("selfsigned.pem",
		    "selfsigned.key", USSL_VERIFY_NONE);

		CHECK(handshake(self, cc, NULL, NULL, 0) != 0);
		ussl_ctx_free(self);
	}
	/* A client context with verification and no name still fails, and
	   a new connection still freezes nothing new. */
	conn = ussl_conn_new(cc, NULL, &err);
	CHECK(conn == NULL && err.code == USSL_E_BADARG);
	free(cert);
	free(key);
	ussl_ctx_free(sc);
	ussl_ctx_free(cc);
	ussl_ctx_free(other);
}

/* A copy shares the CA store: changes to it stay in it. */
static void test_dup_copy_on_write(void)
{
	ussl_ctx *sc = server_ctx(), *cc = client_ctx("client");
	ussl_ctx *other = client_ctx("client-other");
	ussl_ctx *d, *d2, *o;
	size_t ec_len = 0, len = 0;

	CHECK(handshake(sc, cc, &ec_len, NULL, 0) == 0);
	d = ussl_ctx_dup(sc);
	CHECK(d != NULL);
	if (d == NULL)
		goto out;
	CHECK(!ussl_ctx_frozen(d));
	CHECK(ussl_ctx_frozen(sc));
	CHECK(ussl_ctx_verify(d) == USSL_VERIFY_REQUIRED);
	/* The copy trusts what the original trusts, serves its chain. */
	CHECK(verdict(d, "client.pem", NULL) == 0);
	CHECK(verdict(d, "client-other.pem", NULL) & USSL_VFY_UNTRUSTED);
	CHECK(handshake(d, cc, &len, NULL, 0) == 0 && len == ec_len);
	/* Fresh copy for changing (d is in use now). */
	d2 = ussl_ctx_dup(d);
	CHECK(d2 != NULL);
	if (d2 == NULL)
		goto out_d;
	CHECK(ussl_ctx_add_ca(d2, ca_other, ca_other_len) == USSL_OK);
	CHECK(!(verdict(d2, "client-other.pem", NULL) & USSL_VFY_UNTRUSTED));
	CHECK(verdict(d2, "client.pem", NULL) == 0);
	CHECK(handshake(d2, other, NULL, NULL, 0) == 0);
	/* Neither the original nor the first copy trusts other-ca. */
	CHECK(verdict(sc, "client-other.pem", NULL) & USSL_VFY_UNTRUSTED);
	CHECK(verdict(d, "client-other.pem", NULL) & USSL_VFY_UNTRUSTED);
	CHECK(handshake(sc, other, NULL, NULL, 0) != 0);
	CHECK(handshake(d, other, NULL, NULL, 0) != 0);
	/* Replacing the copy's chain leaves the original's. */
	{
		ussl_ctx *d3 = ussl_ctx_dup(sc);
		size_t rsa_len = 0;

		CHECK(d3 != NULL && ussl_ctx_use_cert_chain_file(d3,
		    tu_cert("server-rsa.pem"), tu_cert("server-rsa.key"),
		    NULL) == USSL_OK);
		CHECK(handshake(d3, cc, &rsa_len, NULL, 0) == 0);
		CHECK(rsa_len > 0 && rsa_len != ec_len);
		CHECK(handshake(sc, cc, &len, NULL, 0) == 0 && len == ec_len);
		CHECK(handshake(d, cc, &len, NULL, 0) == 0 && len == ec_len);
		ussl_ctx_free(d3);
	}
	ussl_ctx_free(d2);
out_d:
	ussl_ctx_free(d);
out:
	/* The reverse: a copy of a context not in use, then the original
	   changes; the copy must not see it. */
	o = client_ctx("client");
	d = ussl_ctx_dup(o);
	CHECK(d != NULL && !ussl_ctx_frozen(o));
	CHECK(ussl_ctx_add_ca(o, ca_other, ca_other_len) == USSL_OK);
	{
		ussl_ctx *s = ussl_ctx_new(USSL_SERVER);

		CHECK(ussl_ctx_set_verify(s, USSL_VERIFY_REQUIRED) == USSL_OK);
		CHECK(ussl_ctx_add_ca(s, ca_main, ca_main_len) == USSL_OK);
		d2 = ussl_ctx_dup(s);
		CHECK(d2 != NULL);
		CHECK(ussl_ctx_add_ca(s, ca_other, ca_other_len) == USSL_OK);
		CHECK(!(verdict(s, "client-other.pem", NULL) &
		    USSL_VFY_UNTRUSTED));
		CHECK(verdict(d2, "client-other.pem", NULL) &
		    USSL_VFY_UNTRUSTED);
		/* And the copy adds its own, after the original did. */
		CHECK(ussl_ctx_add_ca(d2, ca_main, ca_main_len) == USSL_OK);
		CHECK(verdict(d2, "client.pem", NULL) == 0);
		CHECK(verdict(d2, "client-other.pem", NULL) &
		    USSL_VFY_UNTRUSTED);
		ussl_ctx_free(s);
		ussl_ctx_free(d2);
	}
	ussl_ctx_free(o);
	ussl_ctx_free(d);
	ussl_ctx_free(sc);
	ussl_ctx_free(cc);
	ussl_ctx_free(other);
}

/* A copy keeps every setting, and outlives its original. */
static void test_dup_settings(void)
{
	static const char *const alpn[] = { "x-frozen", "h2" };
	static const char *const suites[] = {
		"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
	};
	ussl_ctx *sc = server_ctx(), *cc = client_ctx("client");
	ussl_ctx *d, *dc, *other;
	char a[64], n1[128], n2[128];
	size_t len = 0;
	int i;

	CHECK(ussl_ctx_set_alpn(sc, alpn, 2) == USSL_OK);
	CHECK(ussl_ctx_set_alpn(cc, alpn, 1) == USSL_OK);
	CHECK(ussl_ctx_set_ciphers(cc, suites, 1) == USSL_OK);
	CHECK(ussl_ctx_set_versions(cc, USSL_TLS1_2, USSL_TLS1_2) == USSL_OK);
	CHECK(ussl_ctx_set_verify_cb(cc, tu_count_cb, NULL) == USSL_OK);
	CHECK(ussl_ctx_set_verify_relax(cc, USSL_RELAX_CN_ONLY) == USSL_OK);
	d = ussl_ctx_dup(sc);
	dc = ussl_ctx_dup(cc);
	CHECK(d != NULL && dc != NULL);
	if (d == NULL || dc == NULL)
		return;
	/* Originals freed before their copies are used. */
	ussl_ctx_free(sc);
	ussl_ctx_free(cc);
	for (i = 0; ussl_ctx_cipher_name(dc, (size_t)i, n1, sizeof(n1)) > 0;
	    i++)
		;
	CHECK(i == 1);
	CHECK(ussl_ctx_cipher_name(dc, 0, n2, sizeof(n2)) > 0 &&
	    strcmp(n2, suites[0]) == 0);
	tu_cb_calls = 0;
	CHECK(handshake(d, dc, &len, a, sizeof(a)) == 0);
	CHECK(len > 0);
	CHECK(strcmp(a, "x-frozen") == 0);
	CHECK(tu_cb_calls > 0);          /* the callback came along */
	/* The relaxation came along: a CN-only leaf passes the copy. */
	CHECK(verdict(dc, "cnonly.pem", "localhost") == 0);
	{
		ussl_ctx *strict = tu_client_ctx("ca.pem",
		    USSL_VERIFY_REQUIRED);

		CHECK(verdict(strict, "cnonly.pem", "localhost") != 0);
		ussl_ctx_free(strict);
	}
	/* The server copy still requires and checks client certificates. */
	other = client_ctx("client-other");
	CHECK(handshake(d, other, NULL, NULL, 0) != 0);
	ussl_ctx_free(other);
	{
		ussl_ctx *anon = tu_client_ctx("ca.pem", USSL_VERIFY_REQUIRED);

		CHECK(handshake(d, anon, NULL, NULL, 0) != 0);
		ussl_ctx_free(anon);
	}
	/* A copy of a copy, after both are frozen. */
	{
		ussl_ctx *dd = ussl_ctx_dup(d);

		CHECK(dd != NULL);
		ussl_ctx_free(d);
		d = dd;
		dd = ussl_ctx_dup(dc);
		ussl_ctx_free(dc);
		dc = dd;
		CHECK(d != NULL && dc != NULL);
		if (d != NULL && dc != NULL)
			CHECK(handshake(d, dc, &len, a, sizeof(a)) == 0 &&
			    strcmp(a, "x-frozen") == 0);
	}
	CHECK(ussl_ctx_dup(NULL) == NULL);
	ussl_ctx_free(d);
	ussl_ctx_free(dc);
}

/* Two connections of a TLS 1.2 client to sc, the second offering the
   first one's session: 1 if it was resumed. */
static int resumes(ussl_ctx *sc, ussl_ctx *cc)
{
	unsigned char sess[4096];
	size_t len = 0;
	ussl_conn *s, *c;
	ussl_error err;
	tu_link l;
	int i, reused = 0;

	for (i = 0; i < 2; i++) {
		tu_link_init(&l, 0);
		s = ussl_conn_new(sc, NULL, &err);
		c = ussl_conn_new(cc, "localhost", &err);
		tu_attach(s, &l, 0);
		tu_attach(c, &l, 1);
		if (i == 1 && len > 0)
			CHECK(ussl_conn_set_session(c, sess, len) == USSL_OK);
		CHECK(tu_handshake_pair(c, s) == 0);
		len = sizeof(sess);
		if (i == 0 && ussl_conn_get_session(c, sess, &len) != 0)
			len = 0;
		if (i == 1)
			reused = ussl_conn_session_reused(c);
		ussl_conn_free(s);
		ussl_conn_free(c);
		tu_link_free(&l);
	}
	return reused;
}

/* A server copy keeps the ticket setting (off stays off, on stays on). */
static void test_dup_tickets(void)
{
	ussl_ctx *sc = server_ctx(), *cc = client_ctx("client"), *d;

	CHECK(ussl_ctx_set_versions(cc, USSL_TLS1_2, USSL_TLS1_2) == USSL_OK);
	d = ussl_ctx_dup(sc);
	CHECK(d != NULL && resumes(d, cc));
	ussl_ctx_free(d);
	CHECK(ussl_ctx_set_tickets(sc, 0) == USSL_OK);
	d = ussl_ctx_dup(sc);
	CHECK(d != NULL && !resumes(d, cc));
	ussl_ctx_free(d);
	ussl_ctx_free(sc);
	ussl_ctx_free(cc);
}

int main(void)
{
	ca_other = tu_read("other-ca.pem", &ca_other_len);
	ca_main = tu_read("ca.pem", &ca_main_len);
	test_setters_refused();
	test_dup_copy_on_write();
	test_dup_settings();
	test_dup_tickets();
	free(ca_other);
	free(ca_main);
	return tu_report("test_frozen");
}
