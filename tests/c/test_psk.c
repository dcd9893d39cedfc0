/*
 * test_psk.c - pre-shared keys over the in-memory transport, TLS 1.2
 * and (where the engine has it) 1.3: a PSK handshake with a table or a
 * callback, binary identities, the identity reported, no certificate;
 * refusals: wrong key, unknown identity, a PSK client against a
 * certificate server (even one it trusts) and the reverse, a PSK server
 * that also has a certificate; bad identities and keys (the key never
 * in a message), role and frozen-context rules, copies, tickets, and
 * sessions bound to the PSK.
 */
#include <string.h>

#include "testutil.h"
#include "session.h"    /* struct ussl_sess_conn: was a session offered */

static int version;

static const unsigned char ID[] = "device-1";
static const unsigned char KEY[] = "secret-shared-key";
#define IDLEN (sizeof(ID) - 1)
#define KEYLEN (sizeof(KEY) - 1)

static ussl_ctx *psk_client(const unsigned char *id, size_t id_len,
    const unsigned char *key, size_t key_len)
{
	ussl_ctx *c = ussl_ctx_new(USSL_CLIENT);

	CHECK(c != NULL);
	CHECK(ussl_ctx_set_versions(c, version, version) == USSL_OK);
	CHECK(ussl_ctx_set_psk(c, id, id_len, key, key_len) == USSL_OK);
	return c;
}

static ussl_ctx *psk_server(void)
{
	ussl_ctx *s = ussl_ctx_new(USSL_SERVER);

	CHECK(s != NULL);
	CHECK(ussl_ctx_set_versions(s, version, version) == USSL_OK);
	CHECK(ussl_ctx_add_psk(s, ID, IDLEN, KEY, KEYLEN) == USSL_OK);
	return s;
}

typedef struct out {
	int ok;
	int ccode, scode;
	ussl_conn *c, *s;     /* kept when keep is set */
} out;

/* The link of the connections a test keeps (freed by done()). */
static tu_link kept;

static out run(ussl_ctx *sc, ussl_ctx *cc, const char *name, int keep,
    const unsigned char *sess, size_t slen)
{
	ussl_conn *s, *c;
	ussl_error err;
	unsigned char b[8];
	tu_link local, *lp = keep ? &kept : &local;
	out o;
	long r;
	int i;

	memset(&o, 0, sizeof(o));
	tu_link_init(lp, 0);
	s = ussl_conn_new(sc, NULL, &err);
	CHECK(s != NULL);
	c = ussl_conn_new(cc, name, &err);
	CHECK(c != NULL);
	if (s == NULL || c == NULL) {
		fprintf(stderr, "conn_new: %s\n", err.msg);
		exit(2);
	}
	tu_attach(s, lp, 0);
	tu_attach(c, lp, 1);
	if (sess != NULL)
		CHECK(ussl_conn_set_session(c, sess, slen) == USSL_OK);
	o.ok = tu_handshake_pair(c, s) == 0;
	/* A failure stops the pair at one side: let the other read the
	   alert, or the end of the link. */
	for (i = 0; !o.ok && i < 20; i++) {
		if (ussl_conn_error(c)->code == 0 &&
		    ussl_handshake(c) == USSL_ERROR)
			continue;
		if (ussl_conn_error(s)->code == 0 &&
		    ussl_handshake(s) == USSL_ERROR)
			continue;
		if (i == 10) {
			tu_fin(lp, 0);
			tu_fin(lp, 1);
		}
	}
	o.ccode = ussl_conn_error(c)->code;
	o.scode = ussl_conn_error(s)->code;
	if (getenv("TEST_PSK_DEBUG") != NULL)
		fprintf(stderr, "client: %s\nserver: %s\n",
		    ussl_conn_error(c)->msg, ussl_conn_error(s)->msg);
	if (o.ok) {
		CHECK(ussl_write(c, "ping", 4) == 4);
		for (i = 0, r = USSL_WANT_READ; i < 100 && r == USSL_WANT_READ;
		    i++)
			r = ussl_read(s, b, sizeof(b));
		CHECK(r == 4 && memcmp(b, "ping", 4) == 0);
	}
	if (keep) {
		o.c = c;
		o.s = s;
		return o;
	}
	ussl_conn_free(c);
	ussl_conn_free(s);
	tu_link_free(lp);
	return o;
}

static void done(out *o)
{
	ussl_conn_free(o->c);
	ussl_conn_free(o->s);
	tu_link_free(&kept);
}

static void test_basic(void)
{
	ussl_ctx *cc = psk_client(ID, IDLEN, KEY, KEYLEN), *sc = psk_server();
	const unsigned char *id, *der;
	size_t len;
	out o;

	/* No CA, no chain, no name: the PSK alone. */
	o = run(sc, cc, NULL, 1, NULL, 0);
	CHECK(o.ok);
	if (o.ok) {
		CHECK(ussl_conn_psk_identity(o.c, &id, &len) == 0 &&
		    len == IDLEN && memcmp(id, ID, len) == 0);
		CHECK(ussl_conn_psk_identity(o.s, &id, &len) == 0 &&
		    len == IDLEN && memcmp(id, ID, len) == 0);
		CHECK(ussl_conn_peer_cert(o.c, &der, &len) == -1);
		CHECK(ussl_conn_peer_cert(o.s, &der, &len) == -1);
		CHECK(ussl_conn_peer_verified(o.c) == 0);
		CHECK(ussl_conn_verify_flags(o.c) == 0);
		if (version == USSL_TLS1_2)
			CHECK(strstr(ussl_conn_cipher(o.c), "PSK") != NULL);
	}
	done(&o);
	/* With a name and the default verify mode, still the PSK. */
	o = run(sc, cc, "psk.example", 0, NULL, 0);
	CHECK(o.ok);
	CHECK(ussl_ctx_has_psk(cc) == 1 && ussl_ctx_has_psk(sc) == 1);
	ussl_ctx_free(cc);
	ussl_ctx_free(sc);
}

static int cb_calls;
static unsigned char cb_seen[USSL_PSK_MAX_IDENTITY];
static size_t cb_seen_len;

static int lookup(void *arg, const unsigned char *id, size_t len,
    unsigned char *key, size_t *key_len)
{
	static const unsigned char bin[] = { 0xff, 0xfe, 0xfd };

	cb_calls++;
	CHECK(arg == (void *)&cb_calls);
	CHECK(*key_len == USSL_PSK_MAX_KEY);
	memcpy(cb_seen, id, len < sizeof(cb_seen) ? len : sizeof(cb_seen));
	cb_seen_len = len;
	if (len != sizeof(bin) || memcmp(id, bin, len) != 0)
		return -1;
	memcpy(key, KEY, KEYLEN);
	*key_len = KEYLEN;
	return 0;
}

static void test_callback_binary(void)
{
	static const unsigned char bin[] = { 0xff, 0xfe, 0xfd };
	ussl_ctx *sc = ussl_ctx_new(USSL_SERVER), *cc, *bad;
	const unsigned char *id;
	size_t len;
	out o;

	CHECK(ussl_ctx_set_versions(sc, version, version) == USSL_OK);
	CHECK(ussl_ctx_set_psk_cb(sc, lookup, &cb_calls) == USSL_OK);
	cc = psk_client(bin, sizeof(bin), KEY, KEYLEN);
	cb_calls = 0;
	o = run(sc, cc, NULL, 1, NULL, 0);
	CHECK(o.ok);
	CHECK(cb_calls >= 1);
	CHECK(cb_seen_len == sizeof(bin) && memcmp(cb_seen, bin, 3) == 0);
	CHECK(o.ok && ussl_conn_psk_identity(o.s, &id, &len) == 0 &&
	    len == sizeof(bin) && memcmp(id, bin, len) == 0);
	done(&o);
	/* The callback refuses another identity. */
	bad = psk_client(ID, IDLEN, KEY, KEYLEN);
	o = run(sc, bad, NULL, 0, NULL, 0);
	CHECK(!o.ok && o.ccode != 0 && o.scode != 0);
	ussl_ctx_free(bad);
	ussl_ctx_free(cc);
	ussl_ctx_free(sc);
}

static void test_refusals(void)
{
	static const unsigned char wrong[] = "wrong-key";
	ussl_ctx *sc = psk_server(), *cc, *cert_sc, *cert_cc;
	out o;

	/* Wrong key. */
	cc = psk_client(ID, IDLEN, wrong, sizeof(wrong) - 1);
	o = run(sc, cc, NULL, 0, NULL, 0);
	CHECK(!o.ok && o.ccode != 0 && o.scode != 0);
	ussl_ctx_free(cc);
	/* Unknown identity. */
	cc = psk_client((const unsigned char *)"stranger", 8, KEY, KEYLEN);
	o = run(sc, cc, NULL, 0, NULL, 0);
	CHECK(!o.ok && o.ccode != 0 && o.scode != 0);
	ussl_ctx_free(cc);

	/* A PSK client, trusting the certificate server: no fallback. */
	cert_sc = tu_server_ctx("server-ec-chain.pem", "server-ec.key",
	    USSL_VERIFY_NONE);
	CHECK(ussl_ctx_set_versions(cert_sc, version, version) == USSL_OK);
	cc = tu_client_ctx("ca.pem", USSL_VERIFY_REQUIRED);
	CHECK(ussl_ctx_set_versions(cc, version, version) == USSL_OK);
	CHECK(ussl_ctx_set_psk(cc, ID, IDLEN, KEY, KEYLEN) == USSL_OK);
	o = run(cert_sc, cc, "localhost", 0, NULL, 0);
	CHECK(!o.ok && o.ccode != 0 && o.scode != 0);
	/* ... and with verification off. */
	ussl_ctx_free(cc);
	cc = psk_client(ID, IDLEN, KEY, KEYLEN);
	CHECK(ussl_ctx_set_verify(cc, USSL_VERIFY_NONE) == USSL_OK);
	o = run(cert_sc, cc, NULL, 0, NULL, 0);
	CHECK(!o.ok && o.ccode != 0 && o.scode != 0);
	ussl_ctx_free(cc);

	/* A certificate client against a PSK server that also has a
	   certificate the client trusts: no fallback either. */
	ussl_ctx_free(sc);
	sc = tu_server_ctx("server-ec-chain.pem", "server-ec.key",
	    USSL_VERIFY_NONE);
	CHECK(ussl_ctx_set_versions(sc, version, version) == USSL_OK);
	CHECK(ussl_ctx_add_psk(sc, ID, IDLEN, KEY, KEYLEN) == USSL_OK);
	cert_cc = tu_client_ctx("ca.pem", USSL_VERIFY_REQUIRED);
	CHECK(ussl_ctx_set_versions(cert_cc, version, version) == USSL_OK);
	o = run(sc, cert_cc, "localhost", 0, NULL, 0);
	CHECK(!o.ok && o.ccode != 0 && o.scode != 0);
	/* The same pair without PSK connects (the test is sound). */
	o = run(cert_sc, cert_cc, "localhost", 0, NULL, 0);
	CHECK(o.ok);
	ussl_ctx_free(cert_cc);
	ussl_ctx_free(cert_sc);
	ussl_ctx_free(sc);
}

static void test_badargs(void)
{
	static const unsigned char nul_id[] = { 'a', 0, 'b' };
	unsigned char big[200];
	ussl_ctx *c = ussl_ctx_new(USSL_CLIENT), *s = ussl_ctx_new(USSL_SERVER);
	ussl_ctx *d;
	const ussl_error *e;
	ussl_conn *conn;
	ussl_error err;

	memset(big, 'S', sizeof(big));
	CHECK(ussl_ctx_set_psk(c, ID, 0, KEY, KEYLEN) == USSL_ERROR);
	CHECK(ussl_ctx_error(c)->code == USSL_E_BADARG);
	CHECK(ussl_ctx_set_psk(c, big, USSL_PSK_MAX_IDENTITY + 1, KEY,
	    KEYLEN) == USSL_ERROR);
	CHECK(ussl_ctx_set_psk(c, nul_id, 3, KEY, KEYLEN) == USSL_ERROR);
	CHECK(ussl_ctx_set_psk(c, ID, IDLEN, KEY, 0) == USSL_ERROR);
	CHECK(ussl_ctx_set_psk(c, ID, IDLEN, NULL, 4) == USSL_ERROR);
	CHECK(ussl_ctx_set_psk(c, ID, IDLEN, big, USSL_PSK_MAX_KEY + 1) ==
	    USSL_ERROR);
	e = ussl_ctx_error(c);
	CHECK(e->code == USSL_E_BADARG && strstr(e->msg, "SSS") == NULL);
	CHECK(ussl_ctx_has_psk(c) == 0);
	/* The longest identity and key are taken. */
	CHECK(ussl_ctx_set_psk(c, big, USSL_PSK_MAX_IDENTITY, big,
	    USSL_PSK_MAX_KEY) == USSL_OK || (version == USSL_TLS1_2 &&
	    strstr(ussl_engine_version(), "2.") != NULL));
	CHECK(ussl_ctx_set_psk(c, ID, IDLEN, KEY, KEYLEN) == USSL_OK);
	/* Roles. */
	CHECK(ussl_ctx_add_psk(c, ID, IDLEN, KEY, KEYLEN) == USSL_ERROR);
	CHECK(ussl_ctx_set_psk_cb(c, lookup, NULL) == USSL_ERROR);
	CHECK(ussl_ctx_set_psk(s, ID, IDLEN, KEY, KEYLEN) == USSL_ERROR);
	CHECK(ussl_ctx_error(s)->code == USSL_E_BADARG);
	CHECK(ussl_ctx_add_psk(s, nul_id, 3, KEY, KEYLEN) == USSL_ERROR);
	CHECK(ussl_ctx_add_psk(s, ID, IDLEN, big, USSL_PSK_MAX_KEY + 1) ==
	    USSL_ERROR);
	CHECK(ussl_ctx_has_psk(s) == 0);
	CHECK(ussl_ctx_add_psk(s, ID, IDLEN, KEY, KEYLEN) == USSL_OK);
	CHECK(ussl_ctx_add_psk(s, ID, IDLEN, big, 20) == USSL_OK);
	/* A PSK server issues no tickets. */
	CHECK(ussl_ctx_set_tickets(s, 300) == USSL_ERROR);
	CHECK(ussl_ctx_set_tickets(s, 0) == USSL_OK);
	/* Clearing, then frozen contexts refuse. */
	CHECK(ussl_ctx_clear_psk(s) == USSL_OK && ussl_ctx_has_psk(s) == 0);
	CHECK(ussl_ctx_set_psk(c, NULL, 0, NULL, 0) == USSL_OK &&
	    ussl_ctx_has_psk(c) == 0);
	CHECK(ussl_ctx_set_psk(c, ID, IDLEN, KEY, KEYLEN) == USSL_OK);
	conn = ussl_conn_new(c, NULL, &err);
	CHECK(conn != NULL);
	CHECK(ussl_ctx_set_psk(c, ID, IDLEN, KEY, KEYLEN) == USSL_ERROR);
	CHECK(ussl_ctx_error(c)->code == USSL_E_BADARG);
	CHECK(ussl_ctx_clear_psk(c) == USSL_ERROR);
	CHECK(ussl_ctx_has_psk(c) == 1);
	/* A copy is mutable and keeps the PSK. */
	d = ussl_ctx_dup(c);
	CHECK(d != NULL && ussl_ctx_has_psk(d) == 1);
	ussl_conn_free(conn);
	ussl_ctx_free(c);
	ussl_ctx_free(d);
	ussl_ctx_free(s);
}

/* A copy connects with the PSK it copied, after the original is gone. */
static void test_dup(void)
{
	ussl_ctx *cc = psk_client(ID, IDLEN, KEY, KEYLEN), *sc = psk_server();
	ussl_ctx *cd = ussl_ctx_dup(cc), *sd = ussl_ctx_dup(sc);
	out o;

	ussl_ctx_free(cc);
	ussl_ctx_free(sc);
	CHECK(cd != NULL && sd != NULL);
	o = run(sd, cd, NULL, 0, NULL, 0);
	CHECK(o.ok);
	ussl_ctx_free(cd);
	ussl_ctx_free(sd);
}

/* Session data made under one PSK is not offered under another, nor
   under certificates; under the same PSK it is. */
static void test_sessions(void)
{
	static const unsigned char other[] = "other-shared-key";
	ussl_ctx *sc = psk_server(), *cc = psk_client(ID, IDLEN, KEY, KEYLEN);
	ussl_ctx *c2, *c3, *c4;
	unsigned char *data = NULL;
	size_t len = 0;
	ussl_conn *conn;
	ussl_error err;
	out o;

	o = run(sc, cc, NULL, 1, NULL, 0);
	CHECK(o.ok);
	if (o.ok && ussl_conn_get_session(o.c, NULL, &len) == -1 && len > 0) {
		data = malloc(len);
		CHECK(ussl_conn_get_session(o.c, data, &len) == 0);
	}
	done(&o);
	if (data == NULL) {
		/* TLS 1.3 without a ticket (a PSK server issues none). */
		ussl_ctx_free(cc);
		ussl_ctx_free(sc);
		return;
	}
	c2 = psk_client(ID, IDLEN, KEY, KEYLEN);           /* same PSK */
	c3 = psk_client(ID, IDLEN, other, sizeof(other) - 1);
	c4 = tu_client_ctx(NULL, USSL_VERIFY_NONE);        /* no PSK */
	conn = ussl_conn_new(c2, NULL, &err);
	CHECK(ussl_conn_set_session(conn, data, len) == USSL_OK);
	CHECK(conn->sess != NULL && conn->sess->offered == 1);
	ussl_conn_free(conn);
	conn = ussl_conn_new(c3, NULL, &err);
	CHECK(ussl_conn_set_session(conn, data, len) == USSL_OK);
	CHECK(conn->sess == NULL || conn->sess->offered == 0);
	ussl_conn_free(conn);
	conn = ussl_conn_new(c4, NULL, &err);
	CHECK(ussl_conn_set_session(conn, data, len) == USSL_OK);
	CHECK(conn->sess == NULL || conn->sess->offered == 0);
	ussl_conn_free(conn);
	free(data);
	ussl_ctx_free(c2);
	ussl_ctx_free(c3);
	ussl_ctx_free(c4);
	ussl_ctx_free(cc);
	ussl_ctx_free(sc);
}

int main(void)
{
	static const int versions[] = { USSL_TLS1_2, USSL_TLS1_3 };
	ussl_ctx *probe;
	size_t i;

	for (i = 0; i < 2; i++) {
		version = versions[i];
		probe = ussl_ctx_new(USSL_CLIENT);
		if (ussl_ctx_set_versions(probe, version, version) != USSL_OK) {
			printf("TLS 1.3: not in %s, skipped\n",
			    ussl_engine_version());
			ussl_ctx_free(probe);
			continue;
		}
		ussl_ctx_free(probe);
		test_basic();
		test_callback_binary();
		test_refusals();
		test_badargs();
		test_dup();
		test_sessions();
	}
	return tu_report("test_psk");
}
