/*
 * test_sign_cb.c - the signing callback (ussl_ctx_use_cert_signer,
 * ussl_ctx_set_sign_cb, ussl_ctx_key_ref) through real handshakes over
 * the in-memory transport, on whatever engine the build links.  The
 * callback signs with a key it holds itself (parsed with the engine's
 * own API, as a secure element would hold it):
 *
 *   - a server and a client whose chain has no private key authenticate
 *     through the callback, TLS 1.2 and 1.3 (EC), TLS 1.2 (RSA, which a
 *     TLS 1.3-only context refuses with USSL_E_CONFIG);
 *   - the callback is asked for the right scheme and digest length;
 *   - a callback that fails, declines without a key, returns a wrong
 *     length or an invalid signature fails the handshake with
 *     USSL_E_HANDSHAKE and a message naming the sign callback, never
 *     anything it wrote;
 *   - with a loaded EC key the callback is asked first and may decline;
 *     ussl_ctx_key_ref gives the key's scalar;
 *   - frozen contexts refuse both setters; ussl_ctx_dup takes the
 *     callback.
 */
#include <string.h>

#include "testutil.h"

#if defined(USSL_ENGINE_MBEDTLS)
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/version.h>
#else
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#endif

/* What the callback does. */
enum mode {
	M_SIGN,          /* sign with its own key */
	M_FAIL,          /* return -1 */
	M_DECLINE,       /* return USSL_SIGN_DECLINE */
	M_SHORT,         /* *sig_len = 0 */
	M_LONG,          /* *sig_len past the buffer */
	M_GARBAGE,       /* a valid-looking length of junk */
	M_BITFLIP        /* a real signature with one bit flipped */
};

struct signer {
	enum mode mode;
	int calls;
	int last_alg;
	size_t last_hash_len;
#if defined(USSL_ENGINE_MBEDTLS)
	mbedtls_pk_context pk;
	mbedtls_entropy_context ent;
	mbedtls_ctr_drbg_context drbg;
#else
	EVP_PKEY *pk;
#endif
};

static void signer_init(struct signer *s, const char *keyfile)
{
	size_t len;
	unsigned char *data = tu_read(keyfile, &len);

	memset(s, 0, sizeof(*s));
#if defined(USSL_ENGINE_MBEDTLS)
	unsigned char *z = calloc(1, len + 1);

	memcpy(z, data, len);
	mbedtls_pk_init(&s->pk);
	mbedtls_entropy_init(&s->ent);
	mbedtls_ctr_drbg_init(&s->drbg);
	if (mbedtls_ctr_drbg_seed(&s->drbg, mbedtls_entropy_func, &s->ent,
	    NULL, 0) != 0)
		exit(2);
#if MBEDTLS_VERSION_MAJOR >= 3
	if (mbedtls_pk_parse_key(&s->pk, z, len + 1, NULL, 0,
	    mbedtls_ctr_drbg_random, &s->drbg) != 0)
		exit(2);
#else
	if (mbedtls_pk_parse_key(&s->pk, z, len + 1, NULL, 0) != 0)
		exit(2);
#endif
	free(z);
#else
	BIO *b = BIO_new_mem_buf(data, (int)len);

	s->pk = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	if (s->pk == NULL)
		exit(2);
#endif
	free(data);
}

static void signer_free(struct signer *s)
{
#if defined(USSL_ENGINE_MBEDTLS)
	mbedtls_pk_free(&s->pk);
	mbedtls_ctr_drbg_free(&s->drbg);
	mbedtls_entropy_free(&s->ent);
#else
	EVP_PKEY_free(s->pk);
#endif
}

/* Sign with the key held; 0 or -1. */
static int own_sign(struct signer *s, int alg, const unsigned char *hash,
    size_t hash_len, unsigned char *sig, size_t *sig_len)
{
	int hi = alg >> 8, rsa = (alg & 0xff) == 0x01;
#if defined(USSL_ENGINE_MBEDTLS)
	mbedtls_md_type_t md = hi == 4 ? MBEDTLS_MD_SHA256 :
	    hi == 5 ? MBEDTLS_MD_SHA384 : MBEDTLS_MD_SHA512;
	size_t len = 0;
	int r;

	(void)rsa;
#if MBEDTLS_VERSION_MAJOR >= 3
	r = mbedtls_pk_sign(&s->pk, md, hash, hash_len, sig, *sig_len, &len,
	    mbedtls_ctr_drbg_random, &s->drbg);
#else
	r = mbedtls_pk_sign(&s->pk, md, hash, hash_len, sig, &len,
	    mbedtls_ctr_drbg_random, &s->drbg);
#endif
	if (r != 0)
		return -1;
	*sig_len = len;
	return 0;
#else
	const EVP_MD *md = hi == 4 ? EVP_sha256() : hi == 5 ? EVP_sha384() :
	    EVP_sha512();
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(s->pk, NULL);
	size_t len = *sig_len;
	int ok = c != NULL && EVP_PKEY_sign_init(c) == 1 &&
	    EVP_PKEY_CTX_set_signature_md(c, md) == 1 &&
	    (!rsa || EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1) &&
	    EVP_PKEY_sign(c, sig, &len, hash, hash_len) == 1;

	EVP_PKEY_CTX_free(c);
	if (!ok)
		return -1;
	*sig_len = len;
	return 0;
#endif
}

static int sign_cb(void *arg, int alg, const unsigned char *hash,
    size_t hash_len, unsigned char *sig, size_t *sig_len)
{
	struct signer *s = arg;
	size_t i;

	s->calls++;
	s->last_alg = alg;
	s->last_hash_len = hash_len;
	switch (s->mode) {
	case M_FAIL:
		memcpy(sig, "SECRET-MARK", 11);
		return -1;
	case M_DECLINE:
		return USSL_SIGN_DECLINE;
	case M_SHORT:
		*sig_len = 0;
		return 0;
	case M_LONG:
		*sig_len += 1;
		return 0;
	case M_GARBAGE:
		for (i = 0; i < 72 && i < *sig_len; i++)
			sig[i] = (unsigned char)(0x30 + i);
		*sig_len = (alg & 0xff) == 0x01 ? 256 : 72;
		return 0;
	case M_BITFLIP:
		if (own_sign(s, alg, hash, hash_len, sig, sig_len) != 0)
			return -1;
		sig[*sig_len - 3] ^= 0x01;
		return 0;
	default:
		return own_sign(s, alg, hash, hash_len, sig, sig_len);
	}
}

static unsigned char *read_cert(const char *name, size_t *len)
{
	return tu_read(name, len);
}

/* A server context whose chain has no key, signing through s. */
static ussl_ctx *signer_server(const char *chain, struct signer *s,
    int min, int max)
{
	ussl_ctx *ctx = ussl_ctx_new(USSL_SERVER);
	size_t len;
	unsigned char *pem = read_cert(chain, &len);

	CHECK(ussl_ctx_set_versions(ctx, min, max) == USSL_OK);
	if (ussl_ctx_use_cert_signer(ctx, pem, len, sign_cb, s) != USSL_OK) {
		fprintf(stderr, "use_cert_signer: %s\n",
		    ussl_ctx_error(ctx)->msg);
		exit(2);
	}
	free(pem);
	return ctx;
}

struct outcome {
	int ok;
	int code_c, code_s;
	char msg_c[256], msg_s[256];
	char version[16];
};

static void run(ussl_ctx *cctx, ussl_ctx *sctx, struct outcome *o)
{
	tu_link l;
	ussl_conn *c, *s;
	const char *v;

	memset(o, 0, sizeof(*o));
	tu_link_init(&l, 0);
	c = ussl_conn_new(cctx, "localhost", NULL);
	s = ussl_conn_new(sctx, NULL, NULL);
	CHECK(c != NULL && s != NULL);
	tu_attach(c, &l, 1);
	tu_attach(s, &l, 0);
	o->ok = tu_handshake_pair(c, s) == 0;
	o->code_c = ussl_conn_error(c)->code;
	o->code_s = ussl_conn_error(s)->code;
	snprintf(o->msg_c, sizeof(o->msg_c), "%s", ussl_conn_error(c)->msg);
	snprintf(o->msg_s, sizeof(o->msg_s), "%s", ussl_conn_error(s)->msg);
	v = ussl_conn_version(c);
	snprintf(o->version, sizeof(o->version), "%s", v ? v : "");
	if (o->ok) {
		CHECK(ussl_conn_peer_verified(c) == 1);
		if (ussl_ctx_verify(sctx) != USSL_VERIFY_NONE)
			CHECK(ussl_conn_peer_verified(s) == 1);
	}
	ussl_conn_free(c);
	ussl_conn_free(s);
	tu_link_free(&l);
}

static int has_tls13(void)
{
	ussl_ctx *c = ussl_ctx_new(USSL_CLIENT);
	int r = ussl_ctx_set_versions(c, USSL_TLS1_3, USSL_TLS1_3) == USSL_OK;

	ussl_ctx_free(c);
	return r;
}

static void test_server_ec(int version)
{
	struct signer s;
	struct outcome o;
	ussl_ctx *cctx = tu_client_ctx("ca.pem", USSL_VERIFY_REQUIRED);
	ussl_ctx *sctx;

	signer_init(&s, "server-ec.key");
	sctx = signer_server("server-ec-chain.pem", &s, version, version);
	run(cctx, sctx, &o);
	CHECK(o.ok);
	if (!o.ok)
		fprintf(stderr, "server ec %x: %s / %s\n", version, o.msg_c,
		    o.msg_s);
	CHECK(s.calls == 1);
	CHECK(s.last_alg == USSL_SIGN_ECDSA_SHA256 ||
	    s.last_alg == USSL_SIGN_ECDSA_SHA384 ||
	    s.last_alg == USSL_SIGN_ECDSA_SHA512);
	CHECK(s.last_hash_len == (size_t)(16 * ((s.last_alg >> 8) - 2)));
	CHECK(strcmp(o.version, version == USSL_TLS1_3 ? "TLSv1.3" :
	    "TLSv1.2") == 0);
	ussl_ctx_free(cctx);
	ussl_ctx_free(sctx);
	signer_free(&s);
}

static void test_client_ec(int version)
{
	struct signer s;
	struct outcome o;
	ussl_ctx *sctx = tu_server_ctx("server-ec-chain.pem", "server-ec.key",
	    USSL_VERIFY_REQUIRED);
	ussl_ctx *cctx = tu_client_ctx("ca.pem", USSL_VERIFY_REQUIRED);
	size_t len;
	unsigned char *pem = read_cert("client.pem", &len);

	signer_init(&s, "client.key");
	CHECK(ussl_ctx_set_versions(cctx, version, version) == USSL_OK);
	CHECK(ussl_ctx_use_cert_signer(cctx, pem, len, sign_cb, &s) ==
	    USSL_OK);
	run(cctx, sctx, &o);
	CHECK(o.ok);
	if (!o.ok)
		fprintf(stderr, "client ec %x: %s / %s\n", version, o.msg_c,
		    o.msg_s);
	CHECK(s.calls == 1);
	/* Failures are the client's, and the server sees no certificate
	   it could accept. */
	s.mode = M_FAIL;
	s.calls = 0;
	{
		ussl_ctx *c2 = ussl_ctx_dup(cctx);

		run(c2, sctx, &o);
		CHECK(!o.ok);
		CHECK(s.calls == 1);
		CHECK(o.code_c == USSL_E_HANDSHAKE);
		CHECK(strstr(o.msg_c, "sign callback failed") != NULL);
		CHECK(strstr(o.msg_c, "SECRET") == NULL);
		CHECK(strstr(o.msg_s, "SECRET") == NULL);
		ussl_ctx_free(c2);
	}
	free(pem);
	ussl_ctx_free(cctx);
	ussl_ctx_free(sctx);
	signer_free(&s);
}

static void test_rsa(void)
{
	struct signer s;
	struct outcome o;
	ussl_ctx *cctx = tu_client_ctx("ca.pem", USSL_VERIFY_REQUIRED);
	ussl_ctx *sctx, *bad = ussl_ctx_new(USSL_SERVER);
	size_t len;
	unsigned char *pem = read_cert("server-rsa.pem", &len);

	signer_init(&s, "server-rsa.key");
	sctx = signer_server("server-rsa.pem", &s, 0, 0);
	run(cctx, sctx, &o);
	CHECK(o.ok);
	if (!o.ok)
		fprintf(stderr, "rsa: %s / %s\n", o.msg_c, o.msg_s);
	CHECK(strcmp(o.version, "TLSv1.2") == 0);
	CHECK(s.calls == 1);
	CHECK(s.last_alg == USSL_SIGN_RSA_PKCS1_SHA256 ||
	    s.last_alg == USSL_SIGN_RSA_PKCS1_SHA384 ||
	    s.last_alg == USSL_SIGN_RSA_PKCS1_SHA512);
	/* Garbage of the right length is caught before it is sent. */
	s.mode = M_BITFLIP;
	run(cctx, sctx, &o);
	CHECK(!o.ok && o.code_s == USSL_E_HANDSHAKE);
	CHECK(strstr(o.msg_s, "invalid signature") != NULL);
	/* TLS 1.3 only cannot work with an RSA key behind a callback. */
	if (has_tls13()) {
		CHECK(ussl_ctx_set_versions(bad, USSL_TLS1_3, USSL_TLS1_3) ==
		    USSL_OK);
		CHECK(ussl_ctx_use_cert_signer(bad, pem, len, sign_cb, &s) ==
		    USSL_ERROR);
		CHECK(ussl_ctx_error(bad)->code == USSL_E_CONFIG);
	}
	free(pem);
	ussl_ctx_free(bad);
	ussl_ctx_free(cctx);
	ussl_ctx_free(sctx);
	signer_free(&s);
}

/* Each bad answer fails the server's handshake, named, with nothing the
   callback wrote in the message. */
static void test_failures(int version)
{
	static const enum mode modes[] = { M_FAIL, M_DECLINE, M_SHORT,
	    M_LONG, M_GARBAGE, M_BITFLIP };
	static const char *const want[] = { "sign callback failed",
	    "declined", "wrong length", "wrong length", "invalid signature",
	    "invalid signature" };
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct signer s;
		struct outcome o;
		ussl_ctx *cctx = tu_client_ctx("ca.pem", USSL_VERIFY_REQUIRED);
		ussl_ctx *sctx;

		signer_init(&s, "server-ec.key");
		sctx = signer_server("server-ec-chain.pem", &s, version,
		    version);
		s.mode = modes[i];
		run(cctx, sctx, &o);
		CHECK(!o.ok);
		CHECK(o.code_s == USSL_E_HANDSHAKE);
		CHECK(strstr(o.msg_s, want[i]) != NULL);
		if (strstr(o.msg_s, want[i]) == NULL)
			fprintf(stderr, "mode %d: %s\n", (int)modes[i],
			    o.msg_s);
		CHECK(strstr(o.msg_s, "SECRET") == NULL);
		ussl_ctx_free(cctx);
		ussl_ctx_free(sctx);
		signer_free(&s);
	}
}

/* A loaded EC key with a callback: asked first, may decline. */
static void test_loaded_key(void)
{
	struct signer s;
	struct outcome o;
	ussl_ctx *cctx = tu_client_ctx("ca.pem", USSL_VERIFY_REQUIRED);
	ussl_ctx *sctx = ussl_ctx_new(USSL_SERVER), *copy, *copy2;
	unsigned char d[80];
	size_t dlen = 0;

	signer_init(&s, "server-ec.key");
	/* Callback first, chain after: the order does not matter. */
	CHECK(ussl_ctx_set_sign_cb(sctx, sign_cb, &s) == USSL_OK);
	CHECK(ussl_ctx_use_cert_chain_file(sctx, tu_cert("server-ec-chain.pem"),
	    tu_cert("server-ec.key"), NULL) == USSL_OK);
	CHECK(ussl_ctx_key_ref(sctx, NULL, &dlen) == -1 && dlen == 32);
	CHECK(ussl_ctx_key_ref(sctx, d, &dlen) == 0 && dlen == 32);
	s.mode = M_DECLINE;
	run(cctx, sctx, &o);
	CHECK(o.ok && s.calls == 1);
	s.mode = M_SIGN;
	run(cctx, sctx, &o);
	CHECK(o.ok && s.calls == 2);
	s.mode = M_GARBAGE;
	run(cctx, sctx, &o);
	CHECK(!o.ok && strstr(o.msg_s, "invalid signature") != NULL);
	/* Frozen: both setters refuse and change nothing. */
	CHECK(ussl_ctx_set_sign_cb(sctx, NULL, NULL) == USSL_ERROR);
	CHECK(ussl_ctx_error(sctx)->code == USSL_E_BADARG);
	CHECK(ussl_ctx_use_cert_signer(sctx, d, 1, sign_cb, &s) ==
	    USSL_ERROR);
	CHECK(ussl_ctx_error(sctx)->code == USSL_E_BADARG);
	/* A copy takes the callback; removing it from another copy leaves
	   sctx's. */
	copy = ussl_ctx_dup(sctx);
	copy2 = ussl_ctx_dup(sctx);
	s.mode = M_FAIL;
	s.calls = 0;
	run(cctx, copy, &o);
	CHECK(!o.ok && s.calls == 1);
	CHECK(ussl_ctx_set_sign_cb(copy2, NULL, NULL) == USSL_OK);
	run(cctx, copy2, &o);
	CHECK(o.ok && s.calls == 1);
	run(cctx, sctx, &o);
	CHECK(!o.ok && s.calls == 2);
	ussl_ctx_free(copy2);
	memset(d, 0, sizeof(d));
	ussl_ctx_free(copy);
	ussl_ctx_free(cctx);
	ussl_ctx_free(sctx);
	signer_free(&s);
}

/* Chain and key first, callback after (the OpenSSL engine then gives
   the loaded key its method). */
static void test_callback_after_chain(void)
{
	struct signer s;
	struct outcome o;
	ussl_ctx *cctx = tu_client_ctx("ca.pem", USSL_VERIFY_REQUIRED);
	ussl_ctx *sctx = tu_server_ctx("server-ec-chain.pem", "server-ec.key",
	    USSL_VERIFY_NONE);

	signer_init(&s, "server-ec.key");
	CHECK(ussl_ctx_set_sign_cb(sctx, sign_cb, &s) == USSL_OK);
	run(cctx, sctx, &o);
	CHECK(o.ok && s.calls == 1);
	ussl_ctx_free(cctx);
	ussl_ctx_free(sctx);
	signer_free(&s);
}

static void test_args(void)
{
	struct signer s;
	ussl_ctx *ctx = ussl_ctx_new(USSL_CLIENT);
	size_t len, dlen = 5;
	unsigned char *pem = read_cert("client.pem", &len);

	memset(&s, 0, sizeof(s));
	CHECK(ussl_ctx_use_cert_signer(ctx, pem, len, NULL, NULL) ==
	    USSL_ERROR);
	CHECK(ussl_ctx_error(ctx)->code == USSL_E_BADARG);
	CHECK(ussl_ctx_use_cert_signer(ctx, pem, 0, sign_cb, &s) ==
	    USSL_ERROR);
	CHECK(ussl_ctx_use_cert_signer(ctx, (const unsigned char *)"junk", 4,
	    sign_cb, &s) == USSL_ERROR);
	CHECK(ussl_ctx_error(ctx)->code == USSL_E_BADCERT);
	CHECK(ussl_ctx_use_cert_signer(ctx, pem, len, sign_cb, &s) ==
	    USSL_OK);
	/* No key: the callback cannot go, and there is no key value. */
	CHECK(ussl_ctx_set_sign_cb(ctx, NULL, NULL) == USSL_ERROR);
	CHECK(ussl_ctx_error(ctx)->code == USSL_E_BADARG);
	CHECK(ussl_ctx_key_ref(ctx, NULL, &dlen) == -1 && dlen == 0);
	/* Loading a chain with its key makes it a normal context again. */
	CHECK(ussl_ctx_use_cert_chain_file(ctx, tu_cert("client.pem"),
	    tu_cert("client.key"), NULL) == USSL_OK);
	CHECK(ussl_ctx_set_sign_cb(ctx, NULL, NULL) == USSL_OK);
	free(pem);
	ussl_ctx_free(ctx);
}

int main(void)
{
	test_args();
	test_server_ec(USSL_TLS1_2);
	test_client_ec(USSL_TLS1_2);
	test_failures(USSL_TLS1_2);
	if (has_tls13()) {
		test_server_ec(USSL_TLS1_3);
		test_client_ec(USSL_TLS1_3);
		test_failures(USSL_TLS1_3);
	}
	test_rsa();
	test_loaded_key();
	test_callback_after_chain();
	return tu_report("test_sign_cb");
}
