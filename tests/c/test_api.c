/*
 * test_api.c - the public API's argument checking and data handling,
 * without any peer: contexts, key/certificate/CA loading in every form
 * (PEM, DER, combined, encrypted, broken), cipher lists, ALPN names,
 * and the error codes each mistake gives.
 */
#include <string.h>

#include "testutil.h"
#include "internal.h"

static int load(ussl_ctx *ctx, const char *cert, const char *key,
    const char *pw)
{
	size_t cl = 0, kl = 0;
	unsigned char *c = tu_read(cert, &cl);
	unsigned char *k = key ? tu_read(key, &kl) : NULL;
	int r = ussl_ctx_use_cert_chain(ctx, c, cl, k, kl, pw);

	free(c);
	free(k);
	return r;
}

static void test_ctx_basics(void)
{
	ussl_ctx *c = ussl_ctx_new(USSL_CLIENT);
	ussl_ctx *s = ussl_ctx_new(USSL_SERVER);

	CHECK(ussl_ctx_new(7) == NULL);
	CHECK(c != NULL && s != NULL);
	CHECK(ussl_ctx_role(c) == USSL_CLIENT);
	CHECK(ussl_ctx_verify(c) == USSL_VERIFY_REQUIRED);   /* secure */
	CHECK(ussl_ctx_verify(s) == USSL_VERIFY_NONE);
	CHECK(ussl_ctx_set_verify(c, 3) == USSL_ERROR);
	CHECK(ussl_ctx_error(c)->code == USSL_E_BADARG);
	CHECK(ussl_ctx_verify(c) == USSL_VERIFY_REQUIRED);
	CHECK(ussl_ctx_set_versions(c, 0x0301, 0) == USSL_ERROR);
	CHECK(ussl_ctx_set_versions(c, USSL_TLS1_3, USSL_TLS1_2) ==
	    USSL_ERROR);
	CHECK(ussl_ctx_set_versions(c, USSL_TLS1_2, USSL_TLS1_3) == USSL_OK);
	/* An engine without TLS 1.3 says so at once, not at the handshake. */
	if (strstr(ussl_engine_version(), " 2.") != NULL) {
		CHECK(ussl_ctx_set_versions(c, USSL_TLS1_3, 0) == USSL_ERROR);
		CHECK(ussl_ctx_error(c)->code == USSL_E_BADARG);
	} else {
		CHECK(ussl_ctx_set_versions(c, USSL_TLS1_3, 0) == USSL_OK);
		CHECK(ussl_ctx_set_versions(c, USSL_TLS1_2, 0) == USSL_OK);
	}
	CHECK(ussl_ctx_ref(c) == c);
	ussl_ctx_free(c);
	ussl_ctx_free(c);
	ussl_ctx_free(s);
	ussl_ctx_free(NULL);
	CHECK(strcmp(ussl_strerror(USSL_E_VERIFY), "USSL_E_VERIFY") == 0);
	CHECK(strcmp(ussl_strerror(12345), "USSL_E_UNKNOWN") == 0);
	CHECK(ussl_engine_version() != NULL && ussl_engine_version()[0] != 0);
}

static void test_loading(void)
{
	ussl_ctx *s = ussl_ctx_new(USSL_SERVER);
	const ussl_error *e = ussl_ctx_error(s);

	/* Every good form. */
	CHECK(load(s, "server-ec.pem", "server-ec.key", NULL) == USSL_OK);
	CHECK(load(s, "server-ec.der", "server-ec.key.der", NULL) == USSL_OK);
	CHECK(load(s, "server-rsa.der", "server-rsa.key", NULL) == USSL_OK);
	CHECK(load(s, "server-ec-combined.pem", NULL, NULL) == USSL_OK);
	CHECK(load(s, "server-ec.pem", "encrypted.key", "secret") == USSL_OK);
	CHECK(ussl_ctx_use_cert_chain_file(s, tu_cert("server-ec-chain.pem"),
	    tu_cert("server-ec.key"), NULL) == USSL_OK);

	/* Every bad one, each with its own code. */
	CHECK(load(s, "server-ec.pem", "server-rsa.key", NULL) == USSL_ERROR);
	CHECK(e->code == USSL_E_BADKEY && strstr(e->msg, "does not match"));
	CHECK(load(s, "server-ec.pem", "encrypted.key", NULL) == USSL_ERROR);
	CHECK(e->code == USSL_E_BADKEY && strstr(e->msg, "password"));
	CHECK(load(s, "server-ec.pem", "encrypted.key", "wrong") == USSL_ERROR);
	CHECK(e->code == USSL_E_BADKEY);
	CHECK(load(s, "garbage.pem", "server-ec.key", NULL) == USSL_ERROR);
	CHECK(e->code == USSL_E_BADCERT);
	CHECK(load(s, "truncated.pem", "server-ec.key", NULL) == USSL_ERROR);
	CHECK(e->code == USSL_E_BADCERT);
	CHECK(load(s, "server-ec.pem", "garbage.pem", NULL) == USSL_ERROR);
	CHECK(e->code == USSL_E_BADKEY);
	CHECK(load(s, "server-ec.pem", NULL, NULL) == USSL_ERROR);
	CHECK(e->code == USSL_E_BADKEY);
	CHECK(ussl_ctx_use_cert_chain(s, NULL, 0, NULL, 0, NULL) ==
	    USSL_ERROR);
	CHECK(e->code == USSL_E_BADCERT);
	CHECK(ussl_ctx_use_cert_chain(s, (const unsigned char *)"x", 1,
	    (const unsigned char *)"", 0, NULL) == USSL_ERROR);
	CHECK(ussl_ctx_use_cert_chain_file(s, tu_cert("no-such-file.pem"),
	    NULL, NULL) == USSL_ERROR);
	CHECK(e->code == USSL_E_NOFILE && e->sys_errno != 0);
	CHECK(ussl_ctx_use_cert_chain_file(s, tu_cert("server-ec.pem"),
	    tu_cert("no-such.key"), NULL) == USSL_ERROR);
	CHECK(e->code == USSL_E_NOFILE);

	/* CA data. */
	CHECK(ussl_ctx_add_ca_file(s, tu_cert("ca.pem")) == USSL_OK);
	CHECK(ussl_ctx_add_ca_file(s, tu_cert("ca.der")) == USSL_OK);
	CHECK(ussl_ctx_add_ca_file(s, tu_cert("garbage.pem")) == USSL_ERROR);
	CHECK(e->code == USSL_E_BADCERT);
	CHECK(ussl_ctx_add_ca(s, (const unsigned char *)"", 0) == USSL_ERROR);
	CHECK(ussl_ctx_add_ca(s, (const unsigned char *)"\x30\x03\x02\x01",
	    4) == USSL_ERROR);
	CHECK(e->code == USSL_E_BADCERT);
	ussl_ctx_free(s);
}

static void test_conn_rules(void)
{
	ussl_ctx *c = ussl_ctx_new(USSL_CLIENT);
	ussl_ctx *s = ussl_ctx_new(USSL_SERVER);
	ussl_conn *conn;
	ussl_error err;
	unsigned char buf[4];

	/* Verification without a name, or without CAs, is refused. */
	CHECK(ussl_conn_new(c, NULL, &err) == NULL);
	CHECK(err.code == USSL_E_BADARG && strstr(err.msg, "host name"));
	CHECK(ussl_conn_new(c, "", &err) == NULL);
	CHECK(ussl_conn_new(c, "localhost", &err) == NULL);
	CHECK(err.code == USSL_E_CONFIG);
	CHECK(ussl_conn_new(NULL, "x", &err) == NULL);
	/* A server needs a key. */
	CHECK(ussl_conn_new(s, NULL, &err) == NULL);
	CHECK(err.code == USSL_E_CONFIG);

	CHECK(ussl_ctx_set_verify(c, USSL_VERIFY_NONE) == USSL_OK);
	conn = ussl_conn_new(c, NULL, &err);
	CHECK(conn != NULL && err.code == USSL_E_NONE);
	/* Zero-length read is an argument error, not end of stream. */
	CHECK(ussl_read(conn, buf, 0) == USSL_ERROR);
	CHECK(ussl_conn_error(conn)->code == USSL_E_BADARG);
	/* No transport: an I/O error, and sticky. */
	CHECK(ussl_handshake(conn) == USSL_ERROR);
	CHECK(ussl_conn_error(conn)->code == USSL_E_IO);
	CHECK(ussl_write(conn, "x", 1) == USSL_ERROR);
	CHECK(ussl_conn_error(conn)->code == USSL_E_IO);
	CHECK(ussl_conn_version(conn) == NULL);
	CHECK(ussl_pending(conn) == 0);
	CHECK(ussl_close(conn) == USSL_OK);
	CHECK(ussl_close(conn) == USSL_OK);
	ussl_conn_free(conn);
	ussl_conn_free(NULL);
	ussl_ctx_free(c);
	ussl_ctx_free(s);
}

static void test_ciphers_alpn(void)
{
	ussl_ctx *c = ussl_ctx_new(USSL_CLIENT);
	const char *one[] = { "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" };
	const char *dashed[] = { "TLS-ECDHE-RSA-WITH-AES-256-GCM-SHA384" };
	const char *bad[] = { "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
	    "NOPE" };
	const char *alpn[] = { "h2", "http/1.1" };
	const char *badalpn[] = { "" };
	char name[80];
	int n;

	CHECK(ussl_ctx_cipher_name(c, 0, name, sizeof(name)) > 0);
	CHECK(strncmp(name, "TLS_", 4) == 0);
	for (n = 0; ussl_ctx_cipher_name(c, (size_t)n, name, sizeof(name)) >= 0;
	    n++)
		CHECK(strstr(name, "CBC") == NULL && strstr(name, "RC4") == NULL);
	CHECK(n >= 6);
	CHECK(ussl_ctx_set_ciphers(c, one, 1) == USSL_OK);
	CHECK(ussl_ctx_cipher_name(c, 0, name, sizeof(name)) > 0);
	CHECK(strcmp(name, one[0]) == 0);
	CHECK(ussl_ctx_cipher_name(c, 1, name, sizeof(name)) == -1);
	CHECK(ussl_ctx_set_ciphers(c, dashed, 1) == USSL_OK);
	CHECK(ussl_ctx_cipher_name(c, 0, name, sizeof(name)) > 0);
	CHECK(strcmp(name, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384") == 0);
	CHECK(ussl_ctx_set_ciphers(c, bad, 2) == USSL_ERROR);
	CHECK(ussl_ctx_error(c)->code == USSL_E_BADARG);
	CHECK(strstr(ussl_ctx_error(c)->msg, "NOPE") != NULL);
	CHECK(strcmp(name, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384") == 0);
	CHECK(ussl_ctx_set_ciphers(c, NULL, 0) == USSL_OK);
	CHECK(ussl_ctx_cipher_name(c, 1, name, sizeof(name)) > 0);
	CHECK(ussl_ctx_cipher_name(c, 0, name, 3) == -1);

	CHECK(ussl_ctx_set_alpn(c, alpn, 2) == USSL_OK);
	CHECK(ussl_ctx_set_alpn(c, badalpn, 1) == USSL_ERROR);
	CHECK(ussl_ctx_error(c)->code == USSL_E_BADARG);
	CHECK(ussl_ctx_set_alpn(c, NULL, 0) == USSL_OK);
	ussl_ctx_free(c);
}

static unsigned vchain(ussl_ctx *ctx, const char *leaf, const char *inter,
    const char *name, int64_t at)
{
	unsigned char *c[2];
	size_t l[2];
	unsigned flags = 0xdead;
	size_t n = inter ? 2 : 1;

	c[0] = tu_read(leaf, &l[0]);
	c[1] = inter ? tu_read(inter, &l[1]) : NULL;
	CHECK(ussl_ctx_verify_chain(ctx, (const unsigned char *const *)c, l,
	    n, name, at, &flags) == USSL_OK);
	free(c[0]);
	free(c[1]);
	return flags;
}

static void test_verify_chain(void)
{
	ussl_ctx *c = ussl_ctx_new(USSL_CLIENT);
	ussl_ctx *s = ussl_ctx_new(USSL_SERVER);
	const unsigned char *junk[1] = { (const unsigned char *)"junk" };
	size_t junklen[1] = { 4 };
	unsigned flags;
	const int64_t y2015 = 1435708800;   /* 2015-07-01 */
	const int64_t y2045 = 2382998400;   /* 2045-07-01 */

	CHECK(ussl_ctx_add_ca_file(c, tu_cert("ca.pem")) == USSL_OK);
	CHECK(ussl_ctx_add_ca_file(s, tu_cert("ca.pem")) == USSL_OK);
	CHECK(vchain(c, "server-ec.pem", "int.pem", "localhost", 0) == 0);
	CHECK(vchain(c, "server-ec.pem", "int.pem", "127.0.0.1", 0) == 0);
	/* A verifying client always has a name: without one the chain
	   alone would accept any host. */
	CHECK(vchain(c, "server-ec.pem", "int.pem", NULL, 0) ==
	    USSL_VFY_NAME_MISMATCH);
	CHECK(vchain(c, "server-ec.pem", "int.pem", "other.example", 0) ==
	    USSL_VFY_NAME_MISMATCH);
	CHECK(vchain(c, "server-ec.pem", NULL, "localhost", 0) ==
	    USSL_VFY_UNTRUSTED);
	CHECK(vchain(c, "expired.pem", NULL, "localhost", 0) ==
	    USSL_VFY_EXPIRED);
	/* The verification time is the caller's, both ways (the test CA
	   itself is valid only from today for ten years). */
	CHECK(vchain(c, "expired.pem", NULL, "localhost", y2015) ==
	    USSL_VFY_NOT_YET_VALID);
	CHECK(vchain(c, "notyet.pem", NULL, "localhost", 0) ==
	    USSL_VFY_NOT_YET_VALID);
	CHECK(vchain(c, "notyet.pem", NULL, "localhost", y2045) ==
	    USSL_VFY_EXPIRED);
	CHECK(vchain(c, "server-rsa.pem", NULL, "localhost", y2045) ==
	    USSL_VFY_EXPIRED);
	/* Roles: a client certificate is no server certificate. */
	CHECK(vchain(c, "client.pem", NULL, "localhost", 0) ==
	    (USSL_VFY_BAD_USAGE | USSL_VFY_NAME_MISMATCH));
	CHECK(vchain(s, "client.pem", NULL, NULL, 0) == 0);
	CHECK(vchain(s, "server-ec.pem", "int.pem", NULL, 0) ==
	    USSL_VFY_BAD_USAGE);
	CHECK(ussl_ctx_verify_chain(c, junk, junklen, 1, NULL, 0, &flags) ==
	    USSL_ERROR);
	CHECK(ussl_ctx_error(c)->code == USSL_E_BADCERT);
	CHECK(ussl_ctx_verify_chain(c, junk, junklen, 0, NULL, 0, &flags) ==
	    USSL_ERROR);
	CHECK(ussl_epoch(1970, 1, 1, 0, 0, 0) == 0);
	CHECK(ussl_epoch(2000, 3, 1, 0, 0, 1) == 951868801);
	ussl_ctx_free(c);
	ussl_ctx_free(s);
}

int main(void)
{
	test_verify_chain();
	test_ctx_basics();
	test_loading();
	test_conn_rules();
	test_ciphers_alpn();
	return tu_report("test_api");
}
