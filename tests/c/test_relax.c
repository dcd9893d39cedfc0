/*
 * test_relax.c - the default certificate policy, its relaxations
 * (ussl_ctx_set_verify_relax) and its strict option
 * (ussl_ctx_set_verify_strict): for a CN-only X.509 v1 leaf and a root
 * without subjectKeyIdentifier (tests/certs/mkcerts.sh) the default
 * rejects with the right USSL_VFY_* flags, the matching flag accepts and
 * the other flags do not; a leaf without extendedKeyUsage is accepted by
 * default (RFC 5280) and rejected under USSL_STRICT_EKU unless
 * USSL_RELAX_NO_EKU.  Checked through ussl_ctx_verify_chain() and
 * through real handshakes over the in-memory transport.
 */
#include <string.h>

#include "testutil.h"

#define CN_ONLY   USSL_RELAX_CN_ONLY
#define NO_EKU    USSL_RELAX_NO_EKU
#define LEGACY_CA USSL_RELAX_LEGACY_CA
/* Not a relax flag: asks vctx() and handshake() for USSL_STRICT_EKU. */
#define STRICT    0x100u

/* Apply relax (and STRICT) to ctx. */
static void apply(ussl_ctx *ctx, unsigned relax)
{
	CHECK(ussl_ctx_set_verify_relax(ctx, relax & ~STRICT) == USSL_OK);
	CHECK(ussl_ctx_set_verify_strict(ctx, relax & STRICT ?
	    USSL_STRICT_EKU : 0) == USSL_OK);
}

/* A verifying context of role trusting ca, with relax flags set. */
static ussl_ctx *vctx(int role, const char *ca, unsigned relax)
{
	ussl_ctx *ctx = ussl_ctx_new(role);

	if (ctx == NULL ||
	    ussl_ctx_set_verify(ctx, USSL_VERIFY_REQUIRED) != USSL_OK ||
	    ussl_ctx_add_ca_file(ctx, tu_cert(ca)) != USSL_OK) {
		fprintf(stderr, "context for %s failed\n", ca);
		exit(2);
	}
	apply(ctx, relax);
	return ctx;
}

/* The USSL_VFY_* flags of leaf (alone) checked by role under relax. */
static unsigned verdict(int role, const char *ca, const char *leaf,
    const char *name, unsigned relax)
{
	ussl_ctx *ctx = vctx(role, ca, relax);
	unsigned char *der;
	const unsigned char *certs[1];
	size_t len;
	unsigned flags = 0xdead;

	der = tu_read(leaf, &len);
	certs[0] = der;
	CHECK(ussl_ctx_verify_chain(ctx, certs, &len, 1, name, 0, &flags) ==
	    USSL_OK);
	free(der);
	ussl_ctx_free(ctx);
	return flags;
}

/* Expect leaf's verdict under relax; says which case differs. */
static void expect(int role, const char *ca, const char *leaf,
    const char *name, unsigned relax, unsigned want)
{
	unsigned got = verdict(role, ca, leaf, name, relax);

	CHECK(got == want);
	if (got != want)
		fprintf(stderr, "  %s %s (%s) relax %#x: flags %#x, want %#x\n",
		    role == USSL_CLIENT ? "client" : "server", leaf,
		    name ? name : "-", relax, got, want);
}

static void test_api(void)
{
	ussl_ctx *c = ussl_ctx_new(USSL_CLIENT);

	CHECK(c != NULL);
	CHECK(ussl_ctx_set_verify_relax(c, USSL_RELAX_ALL) == USSL_OK);
	CHECK(ussl_ctx_set_verify_relax(c, 0) == USSL_OK);
	CHECK(ussl_ctx_set_verify_relax(c, USSL_RELAX_NO_NAME) == USSL_OK);
	CHECK(ussl_ctx_set_verify_relax(c, USSL_RELAX_ALL |
	    USSL_RELAX_NO_NAME) == USSL_OK);
	CHECK(ussl_ctx_set_verify_relax(c, 0x10) == USSL_ERROR);
	CHECK(ussl_ctx_error(c)->code == USSL_E_BADARG);
	CHECK(ussl_ctx_set_verify_strict(c, USSL_STRICT_EKU) == USSL_OK);
	CHECK(ussl_ctx_set_verify_strict(c, 0) == USSL_OK);
	CHECK(ussl_ctx_set_verify_strict(c, 0x02) == USSL_ERROR);
	CHECK(ussl_ctx_error(c)->code == USSL_E_BADARG);
	CHECK(ussl_ctx_set_verify_relax(c, USSL_RELAX_ALL | 0x100) ==
	    USSL_ERROR);
	CHECK(ussl_ctx_error(c)->code == USSL_E_BADARG);
	ussl_ctx_free(c);
}

static void test_cn_only(void)
{
	const unsigned all = USSL_VFY_NAME_MISMATCH | USSL_VFY_POLICY;

	/* No SAN (name), v1 without AKI (policy); no EKU, which only the
	   strict profile minds. */
	expect(USSL_CLIENT, "ca.pem", "cnonly.pem", "localhost", 0, all);
	expect(USSL_CLIENT, "ca.pem", "cnonly.pem", "localhost", STRICT,
	    all | USSL_VFY_BAD_USAGE);
	expect(USSL_CLIENT, "ca.pem", "cnonly.pem", "localhost", CN_ONLY, 0);
	/* A v1 certificate has no extensions: CN_ONLY takes it without EKU
	   even under the strict profile. */
	expect(USSL_CLIENT, "ca.pem", "cnonly.pem", "localhost",
	    CN_ONLY | STRICT, 0);
	expect(USSL_CLIENT, "ca.pem", "cnonly.pem", "localhost", NO_EKU, all);
	expect(USSL_CLIENT, "ca.pem", "cnonly.pem", "localhost", LEGACY_CA,
	    all);
	expect(USSL_CLIENT, "ca.pem", "cnonly.pem", "localhost",
	    NO_EKU | LEGACY_CA, all);
	/* The CN stands in for DNS names only, and only the one it says. */
	expect(USSL_CLIENT, "ca.pem", "cnonly.pem", "127.0.0.1", CN_ONLY,
	    USSL_VFY_NAME_MISMATCH);
	expect(USSL_CLIENT, "ca.pem", "cnonly.pem", "other.example", CN_ONLY,
	    USSL_VFY_NAME_MISMATCH);
	/* A verifying client without a name fails (a chain alone accepts
	   any host); told not to check names, only the profile rules
	   remain. */
	expect(USSL_CLIENT, "ca.pem", "cnonly.pem", NULL, 0, all);
	expect(USSL_CLIENT, "ca.pem", "cnonly.pem", NULL, USSL_RELAX_NO_NAME,
	    USSL_VFY_POLICY);
	/* A self-signed certificate trusted directly needs no AKI. */
	expect(USSL_CLIENT, "selfsigned.pem", "selfsigned.pem", "localhost", 0,
	    0);
}

static void test_no_eku(void)
{
	/* RFC 5280 4.2.1.12: no EKU, no restriction (the default). */
	expect(USSL_CLIENT, "ca.pem", "noeku.pem", "localhost", 0, 0);
	expect(USSL_CLIENT, "ca.pem", "noeku.pem", "localhost", NO_EKU, 0);
	expect(USSL_CLIENT, "ca.pem", "noeku.pem", "localhost", CN_ONLY, 0);
	/* The CA/B Forum leaf profile on request; NO_EKU cancels it. */
	expect(USSL_CLIENT, "ca.pem", "noeku.pem", "localhost", STRICT,
	    USSL_VFY_BAD_USAGE);
	expect(USSL_CLIENT, "ca.pem", "noeku.pem", "localhost",
	    STRICT | NO_EKU, 0);
	expect(USSL_CLIENT, "ca.pem", "noeku.pem", "localhost",
	    STRICT | CN_ONLY | LEGACY_CA, USSL_VFY_BAD_USAGE);
	/* The same for a client certificate checked by a server. */
	expect(USSL_SERVER, "ca.pem", "noeku.pem", NULL, 0, 0);
	expect(USSL_SERVER, "ca.pem", "noeku.pem", NULL, STRICT,
	    USSL_VFY_BAD_USAGE);
	expect(USSL_SERVER, "ca.pem", "noeku.pem", NULL, STRICT | NO_EKU, 0);
	/* An EKU that leaves out the role stays refused, whatever the
	   flags. */
	expect(USSL_CLIENT, "ca.pem", "client.pem", NULL, USSL_RELAX_NO_NAME,
	    USSL_VFY_BAD_USAGE);
	expect(USSL_CLIENT, "ca.pem", "client.pem", NULL,
	    USSL_RELAX_ALL | USSL_RELAX_NO_NAME, USSL_VFY_BAD_USAGE);
}

static void test_legacy_ca(void)
{
	expect(USSL_CLIENT, "legacy-ca.pem", "legacy-leaf.pem", "localhost", 0,
	    USSL_VFY_POLICY);
	expect(USSL_CLIENT, "legacy-ca.pem", "legacy-leaf.pem", "localhost",
	    LEGACY_CA, 0);
	expect(USSL_CLIENT, "legacy-ca.pem", "legacy-leaf.pem", "localhost",
	    CN_ONLY | NO_EKU, USSL_VFY_POLICY);
}

static void test_flags_replace(void)
{
	ussl_ctx *ctx = vctx(USSL_CLIENT, "ca.pem", CN_ONLY);
	unsigned char *der;
	const unsigned char *certs[1];
	size_t len;
	unsigned flags = 0xdead;

	der = tu_read("cnonly.pem", &len);
	certs[0] = der;
	CHECK(ussl_ctx_verify_chain(ctx, certs, &len, 1, "localhost", 0,
	    &flags) == USSL_OK && flags == 0);
	/* A new set replaces the old one: CN_ONLY is gone. */
	CHECK(ussl_ctx_set_verify_relax(ctx, NO_EKU) == USSL_OK);
	CHECK(ussl_ctx_verify_chain(ctx, certs, &len, 1, "localhost", 0,
	    &flags) == USSL_OK);
	CHECK(flags == (USSL_VFY_NAME_MISMATCH | USSL_VFY_POLICY));
	/* A refused set leaves the old one in place. */
	CHECK(ussl_ctx_set_verify_relax(ctx, 0x80) == USSL_ERROR);
	CHECK(ussl_ctx_verify_chain(ctx, certs, &len, 1, "localhost", 0,
	    &flags) == USSL_OK);
	CHECK(flags == (USSL_VFY_NAME_MISMATCH | USSL_VFY_POLICY));
	free(der);
	ussl_ctx_free(ctx);
}

/* Relaxations never touch certificates that pass already. */
static void test_good_chain(void)
{
	unsigned relax;

	for (relax = 0; relax <= (USSL_RELAX_ALL | USSL_RELAX_NO_NAME);
	    relax++) {
		expect(USSL_CLIENT, "ca.pem", "server-ec.pem", "localhost",
		    relax, USSL_VFY_UNTRUSTED);   /* without int.pem */
		expect(USSL_CLIENT, "ca.pem", "server-rsa.pem", "localhost",
		    relax, 0);
		expect(USSL_CLIENT, "ca.pem", "wronghost.pem", "localhost",
		    relax, relax & USSL_RELAX_NO_NAME ? 0 :
		    USSL_VFY_NAME_MISMATCH);
		expect(USSL_SERVER, "ca.pem", "client.pem", NULL, relax, 0);
	}
}

/*
 * A handshake: the server presents scert (with key skey), the client
 * trusts ca and checks "localhost" under crelax; the server asks for a
 * client certificate (ccert) when one is given, checking it under
 * srelax.  0 when both finish; else the failing side's error, whose
 * code must be USSL_E_VERIFY, in *flags.
 */
static int handshake(const char *scert, const char *skey, const char *ca,
    unsigned crelax, const char *ccert, const char *ckey, unsigned srelax,
    unsigned *flags)
{
	ussl_ctx *sc, *cc;
	ussl_conn *s, *c;
	ussl_error err;
	const ussl_error *e;
	tu_link l;
	int r;

	sc = tu_server_ctx(scert, skey, ccert != NULL ? USSL_VERIFY_REQUIRED :
	    USSL_VERIFY_NONE);
	cc = tu_client_ctx(ca, USSL_VERIFY_REQUIRED);
	apply(sc, srelax);
	apply(cc, crelax);
	if (ccert != NULL)
		CHECK(ussl_ctx_use_cert_chain_file(cc, tu_cert(ccert),
		    tu_cert(ckey), NULL) == USSL_OK);
	tu_link_init(&l, 0);
	s = ussl_conn_new(sc, NULL, &err);
	c = ussl_conn_new(cc, "localhost", &err);
	CHECK(s != NULL && c != NULL);
	tu_attach(s, &l, 0);
	tu_attach(c, &l, 1);
	*flags = 0;
	r = tu_handshake_pair(c, s);
	if (r == 0) {
		CHECK(ussl_conn_peer_verified(c));
		CHECK(ccert == NULL || ussl_conn_peer_verified(s));
	} else {
		/* The side that judged the certificate says why. */
		e = ussl_conn_error(c)->code == USSL_E_VERIFY ?
		    ussl_conn_error(c) : ussl_conn_error(s);
		CHECK(e->code == USSL_E_VERIFY);
		if (e->code != USSL_E_VERIFY)
			fprintf(stderr, "  %s: %d %s\n", scert, e->code,
			    e->msg);
		*flags = e->verify;
	}
	ussl_conn_free(s);
	ussl_conn_free(c);
	ussl_ctx_free(sc);
	ussl_ctx_free(cc);
	tu_link_free(&l);
	return r;
}

static void test_handshakes(void)
{
	unsigned f;

	/* Server without EKU: accepted, unless the client is strict. */
	CHECK(handshake("noeku.pem", "noeku.key", "ca.pem", 0, NULL, NULL, 0,
	    &f) == 0);
	CHECK(handshake("noeku.pem", "noeku.key", "ca.pem", STRICT, NULL, NULL,
	    0, &f) != 0 && f == USSL_VFY_BAD_USAGE);
	CHECK(handshake("noeku.pem", "noeku.key", "ca.pem", STRICT | NO_EKU,
	    NULL, NULL, 0, &f) == 0);
	CHECK(handshake("noeku.pem", "noeku.key", "ca.pem",
	    STRICT | CN_ONLY | LEGACY_CA, NULL, NULL, 0, &f) != 0 &&
	    f == USSL_VFY_BAD_USAGE);
	/* CN-only v1 server. */
	CHECK(handshake("cnonly.pem", "cnonly.key", "ca.pem", 0, NULL, NULL, 0,
	    &f) != 0 && (f & USSL_VFY_NAME_MISMATCH) &&
	    (f & USSL_VFY_POLICY));
	CHECK(handshake("cnonly.pem", "cnonly.key", "ca.pem", CN_ONLY, NULL,
	    NULL, 0, &f) == 0);
	CHECK(handshake("cnonly.pem", "cnonly.key", "ca.pem",
	    NO_EKU | LEGACY_CA, NULL, NULL, 0, &f) != 0 &&
	    (f & USSL_VFY_NAME_MISMATCH));
	/* Server under a root without SKI. */
	CHECK(handshake("legacy-leaf.pem", "legacy-leaf.key", "legacy-ca.pem",
	    0, NULL, NULL, 0, &f) != 0 && f == USSL_VFY_POLICY);
	CHECK(handshake("legacy-leaf.pem", "legacy-leaf.key", "legacy-ca.pem",
	    LEGACY_CA, NULL, NULL, 0, &f) == 0);
	CHECK(handshake("legacy-leaf.pem", "legacy-leaf.key", "legacy-ca.pem",
	    CN_ONLY | NO_EKU, NULL, NULL, 0, &f) != 0 && f == USSL_VFY_POLICY);
	/* Client certificate without EKU, judged by the server. */
	CHECK(handshake("server-ec-chain.pem", "server-ec.key", "ca.pem", 0,
	    "noeku.pem", "noeku.key", 0, &f) == 0);
	CHECK(handshake("server-ec-chain.pem", "server-ec.key", "ca.pem", 0,
	    "noeku.pem", "noeku.key", STRICT, &f) != 0 &&
	    f == USSL_VFY_BAD_USAGE);
	CHECK(handshake("server-ec-chain.pem", "server-ec.key", "ca.pem", 0,
	    "noeku.pem", "noeku.key", STRICT | NO_EKU, &f) == 0);
	/* The client's relaxations are its own: the server stays strict. */
	CHECK(handshake("server-ec-chain.pem", "server-ec.key", "ca.pem",
	    NO_EKU, "noeku.pem", "noeku.key", STRICT, &f) != 0 &&
	    f == USSL_VFY_BAD_USAGE);
}

int main(void)
{
	test_api();
	test_cn_only();
	test_no_eku();
	test_legacy_ca();
	test_flags_replace();
	test_good_chain();
	test_handshakes();
	return tu_report("test_relax");
}
