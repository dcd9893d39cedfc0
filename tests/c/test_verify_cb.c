/*
 * test_verify_cb.c - the verification rules a caller cannot get around,
 * through real handshakes over the in-memory transport (whatever engine
 * the build links) and through ussl_ctx_verify_chain():
 *
 *   - a verify callback may add a rejection, never remove one: returning
 *     0, returning 1, clearing *flags, against a server with the wrong
 *     name and a self-signed one: never accepted, never "verified";
 *   - a leaf without extendedKeyUsage from a trusted private CA is
 *     accepted by default and refused under USSL_STRICT_EKU, with a
 *     message that says so;
 *   - a leaf whose EKU names the other role is refused, the message
 *     naming the purpose;
 *   - a verifying client always has a name: without one it fails, unless
 *     its context has USSL_RELAX_NO_NAME.
 */
#include <string.h>

#include "testutil.h"

/* How the callback under test behaves. */
enum cb_kind {
	CB_NONE,          /* no callback installed */
	CB_ZERO,          /* returns 0 */
	CB_ONE,           /* returns 1 */
	CB_CLEAR,         /* clears *flags, returns 0 */
	CB_CLEAR_ONE,     /* clears *flags, returns 1 */
	CB_SET_EXPIRED,   /* sets USSL_VFY_EXPIRED at the leaf, returns 0 */
	CB_COUNT
};

static const char *const cb_name[CB_COUNT] = {
	"none", "return 0", "return 1", "clear flags", "clear flags, return 1",
	"set EXPIRED",
};

struct cb_state {
	enum cb_kind kind;
	int calls;
	int leaf_seen;
	unsigned leaf_flags;     /* what the leaf's call was shown */
};

static int cb(void *arg, const unsigned char *der, size_t len, int depth,
    unsigned *flags)
{
	struct cb_state *st = arg;

	CHECK(der != NULL && len > 0);
	st->calls++;
	if (depth == 0) {
		st->leaf_seen = 1;
		st->leaf_flags = *flags;
	}
	switch (st->kind) {
	case CB_ZERO:
		return 0;
	case CB_ONE:
		return 1;
	case CB_CLEAR:
		*flags = 0;
		return 0;
	case CB_CLEAR_ONE:
		*flags = 0;
		return 1;
	case CB_SET_EXPIRED:
		if (depth == 0)
			*flags |= USSL_VFY_EXPIRED;
		return 0;
	default:
		return 0;
	}
}

/* Outcome of one handshake. */
struct result {
	int ok;                  /* both sides finished */
	int client_verified;     /* ussl_conn_peer_verified(client) */
	int server_verified;
	int code;                /* error code of the side that failed */
	unsigned flags;          /* its USSL_VFY_* flags */
	char msg[256];
};

/*
 * The server presents scert/skey (and asks for a client certificate when
 * ccert is given, checked under sstrict); the client trusts ca, connects
 * to name (may be NULL) with relax/strict flags and callback st.
 */
static void run(const char *scert, const char *skey, const char *ca,
    const char *name, unsigned relax, unsigned strict, struct cb_state *st,
    const char *ccert, const char *ckey, unsigned sstrict, struct result *r)
{
	ussl_ctx *sc, *cc;
	ussl_conn *s, *c;
	const ussl_error *e;
	ussl_error err;
	tu_link l;

	memset(r, 0, sizeof(*r));
	sc = tu_server_ctx(scert, skey, ccert != NULL ? USSL_VERIFY_REQUIRED :
	    USSL_VERIFY_NONE);
	CHECK(ussl_ctx_set_verify_strict(sc, sstrict) == USSL_OK);
	cc = tu_client_ctx(ca, USSL_VERIFY_REQUIRED);
	CHECK(ussl_ctx_set_verify_relax(cc, relax) == USSL_OK);
	CHECK(ussl_ctx_set_verify_strict(cc, strict) == USSL_OK);
	if (st != NULL && st->kind != CB_NONE)
		ussl_ctx_set_verify_cb(cc, cb, st);
	if (ccert != NULL)
		CHECK(ussl_ctx_use_cert_chain_file(cc, tu_cert(ccert),
		    tu_cert(ckey), NULL) == USSL_OK);
	tu_link_init(&l, 0);
	s = ussl_conn_new(sc, NULL, &err);
	c = ussl_conn_new(cc, name, &err);
	CHECK(s != NULL && c != NULL);
	if (s == NULL || c == NULL)
		exit(2);
	tu_attach(s, &l, 0);
	tu_attach(c, &l, 1);
	r->ok = tu_handshake_pair(c, s) == 0;
	r->client_verified = ussl_conn_peer_verified(c);
	r->server_verified = ussl_conn_peer_verified(s);
	if (!r->ok) {
		e = ussl_conn_error(c)->code == USSL_E_VERIFY ||
		    ussl_conn_error(s)->code != USSL_E_VERIFY ?
		    ussl_conn_error(c) : ussl_conn_error(s);
		r->code = e->code;
		r->flags = e->verify;
		snprintf(r->msg, sizeof(r->msg), "%s", e->msg);
	}
	ussl_conn_free(s);
	ussl_conn_free(c);
	ussl_ctx_free(sc);
	ussl_ctx_free(cc);
	tu_link_free(&l);
}

/* A callback can never turn a bad server into an accepted one. */
static void test_callback_cannot_accept(void)
{
	static const struct {
		const char *cert, *key;
		unsigned flag;           /* what the library finds */
	} bad[] = {
		{ "wronghost.pem", "wronghost.key", USSL_VFY_NAME_MISMATCH },
		{ "selfsigned.pem", "selfsigned.key", USSL_VFY_UNTRUSTED },
	};
	struct cb_state st;
	struct result r;
	size_t i;
	int k;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (k = 0; k < CB_COUNT; k++) {
			memset(&st, 0, sizeof(st));
			st.kind = (enum cb_kind)k;
			run(bad[i].cert, bad[i].key, "ca.pem", "localhost", 0,
			    0, &st, NULL, NULL, 0, &r);
			CHECK(!r.ok);
			CHECK(!r.client_verified);
			CHECK(r.code == USSL_E_VERIFY);
			CHECK(r.flags & bad[i].flag);
			if (r.ok || !(r.flags & bad[i].flag))
				fprintf(stderr, "  %s, callback %s: ok %d "
				    "flags %#x (%s)\n", bad[i].cert,
				    cb_name[k], r.ok, r.flags, r.msg);
			/* The callback saw the failure at the leaf. */
			if (k != CB_NONE && bad[i].flag ==
			    USSL_VFY_NAME_MISMATCH) {
				CHECK(st.leaf_seen);
				CHECK(st.leaf_flags & USSL_VFY_NAME_MISMATCH);
			}
		}
	}
}

/* On a good server a callback's 0 (or clearing nothing bad) accepts and
   anything else rejects, with USSL_VFY_OTHER or the flag it set. */
static void test_callback_on_good_server(void)
{
	struct cb_state st;
	struct result r;
	int k;

	for (k = 0; k < CB_COUNT; k++) {
		memset(&st, 0, sizeof(st));
		st.kind = (enum cb_kind)k;
		run("server-ec-chain.pem", "server-ec.key", "ca.pem",
		    "localhost", 0, 0, &st, NULL, NULL, 0, &r);
		if (k == CB_NONE || k == CB_ZERO || k == CB_CLEAR) {
			CHECK(r.ok && r.client_verified);
			if (k != CB_NONE)
				CHECK(st.calls >= 2 && st.leaf_seen &&
				    st.leaf_flags == 0);
		} else {
			CHECK(!r.ok && !r.client_verified);
			CHECK(r.code == USSL_E_VERIFY);
			CHECK(r.flags == (k == CB_SET_EXPIRED ?
			    USSL_VFY_EXPIRED : USSL_VFY_OTHER));
			if (k != CB_SET_EXPIRED)
				CHECK(strstr(r.msg, "verify callback") != NULL);
		}
		if (r.ok != (k == CB_NONE || k == CB_ZERO || k == CB_CLEAR))
			fprintf(stderr, "  good server, callback %s: ok %d "
			    "flags %#x (%s)\n", cb_name[k], r.ok, r.flags,
			    r.msg);
	}
}

/* The same rule for ussl_ctx_verify_chain(). */
static void test_callback_verify_chain(void)
{
	struct cb_state st;
	ussl_ctx *ctx;
	unsigned char *der;
	const unsigned char *certs[1];
	size_t len;
	unsigned flags;
	int k;

	der = tu_read("wronghost.pem", &len);
	certs[0] = der;
	for (k = 0; k < CB_COUNT; k++) {
		memset(&st, 0, sizeof(st));
		st.kind = (enum cb_kind)k;
		ctx = tu_client_ctx("ca.pem", USSL_VERIFY_REQUIRED);
		if (k != CB_NONE)
			ussl_ctx_set_verify_cb(ctx, cb, &st);
		flags = 0;
		CHECK(ussl_ctx_verify_chain(ctx, certs, &len, 1, "localhost",
		    0, &flags) == USSL_OK);
		CHECK(flags & USSL_VFY_NAME_MISMATCH);
		ussl_ctx_free(ctx);
	}
	free(der);
}

/* A private CA's leaf without EKU and without keyUsage. */
static void test_private_ca_leaf(void)
{
	struct result r;

	run("private-leaf.pem", "private-leaf.key", "private-ca.pem",
	    "localhost", 0, 0, NULL, NULL, NULL, 0, &r);
	CHECK(r.ok && r.client_verified);
	run("private-leaf.pem", "private-leaf.key", "private-ca.pem",
	    "127.0.0.1", 0, 0, NULL, NULL, NULL, 0, &r);
	CHECK(r.ok && r.client_verified);
	/* The CA/B Forum leaf profile on request. */
	run("private-leaf.pem", "private-leaf.key", "private-ca.pem",
	    "localhost", 0, USSL_STRICT_EKU, NULL, NULL, NULL, 0, &r);
	CHECK(!r.ok && r.code == USSL_E_VERIFY &&
	    r.flags == USSL_VFY_BAD_USAGE);
	CHECK(strstr(r.msg, "no extendedKeyUsage") != NULL);
	if (strstr(r.msg, "no extendedKeyUsage") == NULL)
		fprintf(stderr, "  strict: %s\n", r.msg);
	/* USSL_RELAX_NO_EKU cancels it. */
	run("private-leaf.pem", "private-leaf.key", "private-ca.pem",
	    "localhost", USSL_RELAX_NO_EKU, USSL_STRICT_EKU, NULL, NULL, NULL,
	    0, &r);
	CHECK(r.ok && r.client_verified);
	/* Still a name check. */
	run("private-leaf.pem", "private-leaf.key", "private-ca.pem",
	    "other.example", 0, 0, NULL, NULL, NULL, 0, &r);
	CHECK(!r.ok && r.flags == USSL_VFY_NAME_MISMATCH);
	/* A client certificate without EKU, judged by a server. */
	run("server-ec-chain.pem", "server-ec.key", "ca.pem", "localhost", 0,
	    0, NULL, "noeku.pem", "noeku.key", 0, &r);
	CHECK(r.ok && r.server_verified);
	run("server-ec-chain.pem", "server-ec.key", "ca.pem", "localhost", 0,
	    0, NULL, "noeku.pem", "noeku.key", USSL_STRICT_EKU, &r);
	CHECK(!r.ok && r.code == USSL_E_VERIFY &&
	    r.flags == USSL_VFY_BAD_USAGE);
	CHECK(strstr(r.msg, "no extendedKeyUsage") != NULL);
}

/* A leaf for the other role: the message names the purpose. */
static void test_wrong_role(void)
{
	struct result r;
	static const char server_msg[] =
	    "extendedKeyUsage does not allow server authentication";
	static const char client_msg[] =
	    "extendedKeyUsage does not allow client authentication";

	/* A clientAuth-only leaf presented by a server.  mbedTLS's server
	   will not present it at all (it picks certificates by usage): then
	   this part cannot run here, and tests/python/test_verify_cb.py
	   checks it against CPython's ssl server instead. */
	run("client-san.pem", "client.key", "ca.pem", "localhost", 0, 0, NULL,
	    NULL, NULL, 0, &r);
	if (!r.ok && r.code == USSL_E_NONE) {
		printf("SKIP: the engine's server does not present a "
		    "clientAuth-only certificate (not counted)\n");
	} else {
		CHECK(!r.ok && r.code == USSL_E_VERIFY &&
		    r.flags == USSL_VFY_BAD_USAGE);
		CHECK(strstr(r.msg, server_msg) != NULL);
		if (strstr(r.msg, server_msg) == NULL)
			fprintf(stderr, "  clientAuth leaf as server: %s\n",
			    r.msg);
		/* Whatever the relaxations. */
		run("client-san.pem", "client.key", "ca.pem", "localhost",
		    USSL_RELAX_ALL, 0, NULL, NULL, NULL, 0, &r);
		CHECK(!r.ok && r.flags == USSL_VFY_BAD_USAGE);
		CHECK(strstr(r.msg, server_msg) != NULL);
	}
	/* A serverAuth leaf as client certificate. */
	run("server-ec-chain.pem", "server-ec.key", "ca.pem", "localhost", 0,
	    0, NULL, "server-ec-chain.pem", "server-ec.key", 0, &r);
	CHECK(!r.ok && r.code == USSL_E_VERIFY &&
	    r.flags == USSL_VFY_BAD_USAGE);
	CHECK(strstr(r.msg, client_msg) != NULL);
	if (strstr(r.msg, client_msg) == NULL)
		fprintf(stderr, "  serverAuth leaf as client: %s\n", r.msg);
}

/* A verifying client always has a name. */
static void test_no_name(void)
{
	ussl_ctx *ctx;
	ussl_conn *c;
	ussl_error err;
	struct result r;
	unsigned char *der;
	const unsigned char *certs[1];
	size_t len;
	unsigned flags;

	ctx = tu_client_ctx("ca.pem", USSL_VERIFY_REQUIRED);
	c = ussl_conn_new(ctx, NULL, &err);
	CHECK(c == NULL && err.code == USSL_E_BADARG);
	c = ussl_conn_new(ctx, "", &err);
	CHECK(c == NULL && err.code == USSL_E_BADARG);
	/* Through ussl_ctx_verify_chain: NAME_MISMATCH, saying why. */
	der = tu_read("server-rsa.pem", &len);
	certs[0] = der;
	flags = 0;
	CHECK(ussl_ctx_verify_chain(ctx, certs, &len, 1, NULL, 0, &flags) ==
	    USSL_OK && flags == USSL_VFY_NAME_MISMATCH);
	CHECK(ussl_ctx_verify_chain(ctx, certs, &len, 1, "localhost", 0,
	    &flags) == USSL_OK && flags == 0);
	/* Told not to check names: the chain alone. */
	CHECK(ussl_ctx_set_verify_relax(ctx, USSL_RELAX_NO_NAME) == USSL_OK);
	CHECK(ussl_ctx_verify_chain(ctx, certs, &len, 1, NULL, 0, &flags) ==
	    USSL_OK && flags == 0);
	c = ussl_conn_new(ctx, NULL, &err);
	CHECK(c != NULL);
	ussl_conn_free(c);
	free(der);
	ussl_ctx_free(ctx);
	/* A server role ignores it: no name is checked there anyway. */
	ctx = ussl_ctx_new(USSL_SERVER);
	CHECK(ussl_ctx_set_verify_relax(ctx, USSL_RELAX_NO_NAME) == USSL_OK);
	ussl_ctx_free(ctx);

	/* Handshakes under USSL_RELAX_NO_NAME: any host of a trusted CA
	   passes (that is what the flag says), an untrusted one does not. */
	run("wronghost.pem", "wronghost.key", "ca.pem", NULL,
	    USSL_RELAX_NO_NAME, 0, NULL, NULL, NULL, 0, &r);
	CHECK(r.ok && r.client_verified);
	run("wronghost.pem", "wronghost.key", "ca.pem", "localhost",
	    USSL_RELAX_NO_NAME, 0, NULL, NULL, NULL, 0, &r);
	CHECK(r.ok && r.client_verified);
	run("selfsigned.pem", "selfsigned.key", "ca.pem", NULL,
	    USSL_RELAX_NO_NAME, 0, NULL, NULL, NULL, 0, &r);
	CHECK(!r.ok && (r.flags & USSL_VFY_UNTRUSTED));
	/* And without it, the name counts again. */
	run("wronghost.pem", "wronghost.key", "ca.pem", "localhost", 0, 0,
	    NULL, NULL, NULL, 0, &r);
	CHECK(!r.ok && r.flags == USSL_VFY_NAME_MISMATCH);
}

int main(void)
{
	test_callback_cannot_accept();
	test_callback_on_good_server();
	test_callback_verify_chain();
	test_private_ca_leaf();
	test_wrong_role();
	test_no_name();
	return tu_report("test_verify_cb");
}
