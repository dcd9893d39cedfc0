/*
 * engine_openssl.c - the OpenSSL 3 engine behind engine.h.
 *
 * Mirrors engine_mbedtls.c: the same policy (TLS 1.2 minimum, AEAD and
 * ECDHE suites, no renegotiation, resumption by server tickets only, see
 * openssl_session.c), the same verification (OpenSSL's chain check plus
 * verify.c, see openssl_x509.c) and the same error codes for the same
 * failures.  All I/O goes through a BIO whose read and write call the
 * core's transport glue.  docs/engines.md compares the two engines.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "openssl_engine.h"

/* Modern suites only, in the mbedTLS engine's order. */
static const char default_suites12[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
static const char default_suites13[] =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"
    "TLS_CHACHA20_POLY1305_SHA256";
/* Elliptic curves only, as the suites say "ECDHE". */
static const char groups[] = "X25519:P-256:P-384:P-521:X448";

const char *eng_version(void)
{
	return OpenSSL_version(OPENSSL_VERSION);
}

/* Before each call into OpenSSL that may fail: its error queue is per
   thread, and a stale entry would be taken for this call's.  Emptying it
   costs about a thousand instructions, as much as the rest of a small
   write, so it is only done when something is queued. */
static void begin(struct eng_conn *e)
{
	if (ERR_peek_error() != 0)
		ERR_clear_error();
	e->io_err = 0;
	e->io_eof = 0;
}

/* ---------------------------------------------------------------------- */
/* Transport: a BIO over eng_io_send / eng_io_recv                         */

static BIO_METHOD *bio_method;
static CRYPTO_ONCE bio_once = CRYPTO_ONCE_STATIC_INIT;

static int bio_write(BIO *b, const char *buf, int len)
{
	ussl_conn *conn = BIO_get_data(b);
	long r;

	BIO_clear_retry_flags(b);
	if (len <= 0)
		return 0;
	if (!conn->ctx->dtls && conn->eng->rec == NULL)
		oeng_rec_wrote(conn->eng, (const unsigned char *)buf,
		    (size_t)len);
	/* The core takes the whole record (and sends it, or keeps what the
	   transport does not take): OpenSSL never holds a half-sent one. */
	r = eng_io_send(conn, (const unsigned char *)buf, (size_t)len);
	if (r > 0)
		return (int)r;
	/* DTLS: a datagram waits in the core; this one is made again. */
	if (r == USSL_WANT_WRITE) {
		BIO_set_retry_write(b);
		return -1;
	}
	conn->eng->io_err = 1;
	return -1;
}

static int bio_read(BIO *b, char *buf, int len)
{
	ussl_conn *conn = BIO_get_data(b);
	long r;

	BIO_clear_retry_flags(b);
	if (len <= 0)
		return 0;
	r = eng_io_recv(conn, (unsigned char *)buf, (size_t)len);
	if (r > 0)
		return (int)r;
	if (r == 0) {
		/* End of stream.  BIO_CTRL_EOF stays 0, so OpenSSL reports
		   SSL_ERROR_SYSCALL and does not send a decode_error alert
		   (the mbedTLS engine sends none either); fail() names it
		   truncation. */
		conn->eng->io_eof = 1;
		return 0;
	}
	if (r == USSL_WANT_READ)
		BIO_set_retry_read(b);
	else if (r == USSL_WANT_WRITE)
		BIO_set_flags(b, BIO_FLAGS_WRITE | BIO_FLAGS_SHOULD_RETRY);
	else
		conn->eng->io_err = 1;
	return -1;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	/* Nothing is buffered here: a flush always succeeds. */
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static void make_bio_method(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
	    "ussl transport");

	if (m == NULL)
		return;
	if (BIO_meth_set_write(m, bio_write) != 1 ||
	    BIO_meth_set_read(m, bio_read) != 1 ||
	    BIO_meth_set_ctrl(m, bio_ctrl) != 1 ||
	    BIO_meth_set_create(m, bio_create) != 1) {
		BIO_meth_free(m);
		return;
	}
	bio_method = m;
}

/* ---------------------------------------------------------------------- */
/* Context                                                                 */

/* The server's ALPN choice: its own first protocol that the client
   offers (server preference, like mbedTLS); none in common is fatal. */
static int alpn_select(SSL *ssl, const unsigned char **out,
    unsigned char *outlen, const unsigned char *in, unsigned int inlen,
    void *arg)
{
	const ussl_ctx *ctx = arg;
	size_t i, n;
	unsigned int k;

	(void)ssl;
	if (ctx->alpn[0] == NULL)
		return SSL_TLSEXT_ERR_NOACK;
	for (i = 0; ctx->alpn[i] != NULL; i++) {
		n = strlen(ctx->alpn[i]);
		for (k = 0; k < inlen; k += 1u + in[k]) {
			if (in[k] == n && k + 1u + n <= inlen &&
			    memcmp(in + k + 1, ctx->alpn[i], n) == 0) {
				*out = in + k + 1;
				*outlen = in[k];
				return SSL_TLSEXT_ERR_OK;
			}
		}
	}
	return SSL_TLSEXT_ERR_ALERT_FATAL;
}

/* The handshake's chain check (replaces X509_verify_cert). */
static int app_verify(X509_STORE_CTX *x, void *arg)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(x,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	ussl_conn *conn = ssl != NULL ? SSL_get_app_data(ssl) : NULL;

	(void)arg;
	if (conn == NULL)
		return 0;
	/* A PSK context takes no certificate, whatever the mode. */
	if (oeng_psk_refuses_cert(conn)) {
		X509_STORE_CTX_set_error(x, X509_V_ERR_APPLICATION_VERIFICATION);
		return 0;
	}
	/* Mode NONE: nothing is checked and no callback runs.  The result
	   recorded must not read as "verified" when the session is resumed
	   later by a context that does verify. */
	if (conn->ctx->verify == USSL_VERIFY_NONE) {
		X509_STORE_CTX_set_error(x, X509_V_ERR_APPLICATION_VERIFICATION);
		return 1;
	}
	conn->eng->verified = oeng_run_verify(x, &conn->eng->vs);
	return conn->eng->verified;
}

/*
 * Bring ssl in line with the context's settings (versions, verify mode,
 * client ALPN list).  A suite list without TLS 1.2 (1.3) suites also
 * rules out that version, as it does with mbedTLS.
 */
static int conf_apply(ussl_ctx *ctx, SSL_CTX *ssl)
{
	struct eng_ctx *e = ctx->eng;
	unsigned char wire[USSL_ALPN_MAX * 256];
	size_t i, n, len = 0;
	int min = ctx->min_version, max = ctx->max_version, mode;
	uint8_t mfl;

	if (!e->has12 && min < TLS1_3_VERSION)
		min = TLS1_3_VERSION;
	if (!e->has13 && (max == 0 || max > TLS1_2_VERSION))
		max = TLS1_2_VERSION;
	/* DTLS is 1.2 only; RSA behind a sign callback: PKCS#1 v1.5, TLS 1.2
	   (sign.c). */
	if (ctx->dtls)
		min = max = DTLS1_2_VERSION;
	else if (oeng_sign_is_rsa(e->pkey) &&
	    (max == 0 || max > TLS1_2_VERSION)) {
		if (min > TLS1_2_VERSION)
			return ussl_err_set(&ctx->err, USSL_E_CONFIG, "an RSA "
			    "key behind a sign callback needs TLS 1.2");
		max = TLS1_2_VERSION;
	}
	SSL_CTX_set_min_proto_version(ssl, min);
	SSL_CTX_set_max_proto_version(ssl, max);
	if (ctx->verify == USSL_VERIFY_NONE)
		mode = SSL_VERIFY_NONE;
	else if (ctx->role == USSL_SERVER &&
	    ctx->verify == USSL_VERIFY_REQUIRED)
		mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	else
		mode = SSL_VERIFY_PEER;   /* client OPTIONAL == REQUIRED */
	SSL_CTX_set_verify(ssl, mode, oeng_cert_cb);
	if (ctx->role == USSL_CLIENT) {
		/* RFC 6066 max_fragment_length (servers honour a client's
		   request on their own).  OpenSSL then also keeps the
		   client's own records within the size. */
		switch (ctx->max_frag) {
		case 512:  mfl = TLSEXT_max_fragment_length_512; break;
		case 1024: mfl = TLSEXT_max_fragment_length_1024; break;
		case 2048: mfl = TLSEXT_max_fragment_length_2048; break;
		case 4096: mfl = TLSEXT_max_fragment_length_4096; break;
		default:   mfl = TLSEXT_max_fragment_length_DISABLED; break;
		}
		if (SSL_CTX_set_tlsext_max_fragment_length(ssl, mfl) != 1) {
			ERR_clear_error();
			return ussl_err_set(&ctx->err, USSL_E_BADARG,
			    "max fragment length %u not supported",
			    ctx->max_frag);
		}
		for (i = 0; ctx->alpn[i] != NULL; i++) {
			n = strlen(ctx->alpn[i]);
			wire[len++] = (unsigned char)n;
			memcpy(wire + len, ctx->alpn[i], n);
			len += n;
		}
		ERR_clear_error();
		/* Returns 0 on success. */
		if (SSL_CTX_set_alpn_protos(ssl, len ? wire : NULL,
		    (unsigned)len) != 0) {
			ERR_clear_error();
			return ussl_err_set(&ctx->err, USSL_E_NOMEM,
			    "out of memory");
		}
	}
	return USSL_OK;
}

/* Server: name the trusted CAs in the certificate request, as mbedTLS
   does. */
static int add_client_ca_names(ussl_ctx *ctx, SSL_CTX *ssl,
    STACK_OF(X509) *cas)
{
	STACK_OF(X509_OBJECT) *objs;
	X509 *c;
	int i, n;

	if (ctx->role != USSL_SERVER)
		return 1;
	if (cas != NULL) {
		for (i = 0; i < sk_X509_num(cas); i++)
			if (SSL_CTX_add_client_CA(ssl, sk_X509_value(cas, i))
			    != 1)
				return 0;
		return 1;
	}
	if (X509_STORE_lock(ctx->eng->store) != 1)
		return 0;
	objs = X509_STORE_get0_objects(ctx->eng->store);
	n = sk_X509_OBJECT_num(objs);
	for (i = 0; i < n; i++) {
		c = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));
		if (c != NULL && SSL_CTX_add_client_CA(ssl, c) != 1)
			break;
	}
	X509_STORE_unlock(ctx->eng->store);
	return i == n;
}

/*
 * A fresh SSL_CTX with every setting of ctx.  Made at creation and again
 * when the own chain is replaced: OpenSSL keeps one certificate per key
 * type, and a new chain must replace, not join, the old one (an RSA
 * chain after an EC one would otherwise leave both in use).
 */
static SSL_CTX *new_ssl_ctx(ussl_ctx *ctx)
{
	struct eng_ctx *e = ctx->eng;
	int server = ctx->role == USSL_SERVER;
	SSL_CTX *s;

	ERR_clear_error();
	s = SSL_CTX_new(ctx->dtls ? oeng_dtls_method(server) :
	    server ? TLS_server_method() : TLS_client_method());
	if (s == NULL)
		return NULL;
	if (ctx->dtls)
		oeng_dtls_ctx_setup(ctx, s);
	/* The system's openssl.cnf may have set options: ours are final. */
	SSL_CTX_clear_options(s, SSL_OP_IGNORE_UNEXPECTED_EOF |
	    SSL_OP_ALLOW_CLIENT_RENEGOTIATION | SSL_OP_LEGACY_SERVER_CONNECT |
	    SSL_OP_ENABLE_KTLS);
	SSL_CTX_set_options(s, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
	    (server ? SSL_OP_CIPHER_SERVER_PREFERENCE : 0));
	/* Record buffers are freed while empty (see idle_buffers); not with
	   DTLS, whose write path in OpenSSL 3.0 does not allocate a freed
	   buffer again (SSL_write crashed). */
	SSL_CTX_set_mode(s, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
	    (ctx->dtls ? 0 : SSL_MODE_RELEASE_BUFFERS));
	/* Resumption by tickets only (oeng_tickets_apply), no server-side
	   session cache, as with mbedTLS.  The id context lets a session
	   with a client certificate be resumed. */
	SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_OFF);
	if (server && (SSL_CTX_set_session_id_context(s,
	    (const unsigned char *)"ussl", 4) != 1 ||
	    !oeng_tickets_apply(ctx, s))) {
		SSL_CTX_free(s);
		return NULL;
	}
	SSL_CTX_set_security_level(s, 2);
	SSL_CTX_set1_cert_store(s, e->store);
	/* Any certificate of the CA store is a trust anchor, as with
	   mbedTLS; chains are as long as mbedTLS allows.  Key usage and EKU
	   are the policy's (verify.c), for both engines alike: OpenSSL's
	   purpose check is turned off. */
	X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(s),
	    X509_V_FLAG_PARTIAL_CHAIN);
	X509_VERIFY_PARAM_set_purpose(SSL_CTX_get0_param(s),
	    X509_PURPOSE_ANY);
	SSL_CTX_set_verify_depth(s, OENG_VERIFY_DEPTH);
	SSL_CTX_set_cert_verify_callback(s, app_verify, NULL);
	if (server)
		SSL_CTX_set_alpn_select_cb(s, alpn_select, ctx);
	/* TLS 1.3 traffic secrets, for parking (openssl_record.c). */
	if (!ctx->dtls)
		SSL_CTX_set_keylog_callback(s, oeng_keylog);
	if (SSL_CTX_set1_groups_list(s, groups) != 1 ||
	    SSL_CTX_set_cipher_list(s, e->suites12 ? e->suites12 :
	    default_suites12) != 1 ||
	    SSL_CTX_set_ciphersuites(s, e->suites13 ? e->suites13 :
	    default_suites13) != 1 ||
	    !add_client_ca_names(ctx, s, NULL) ||
	    conf_apply(ctx, s) != USSL_OK ||
	    (ctx->psk != NULL && !oeng_psk_apply(ctx, s))) {
		SSL_CTX_free(s);
		ERR_clear_error();
		return NULL;
	}
	return s;
}

int eng_ctx_init(ussl_ctx *ctx)
{
	struct eng_ctx *e;

	e = USSL_CALLOC(1, sizeof(*e));
	if (e == NULL)
		return USSL_ERROR;
	ctx->eng = e;
	e->has12 = 1;
	e->has13 = 1;
	e->store = X509_STORE_new();
	e->store_users = USSL_CALLOC(1, sizeof(*e->store_users));
	if (e->store_users != NULL)
		*e->store_users = 1;
	if (e->store == NULL || e->store_users == NULL ||
	    X509_STORE_set_flags(e->store, X509_V_FLAG_PARTIAL_CHAIN) != 1 ||
	    (e->ssl = new_ssl_ctx(ctx)) == NULL ||
	    (ctx->role == USSL_SERVER &&
	    eng_ctx_set_tickets(ctx, USSL_TICKET_LIFETIME) != USSL_OK) ||
	    (ctx->role == USSL_CLIENT && oeng_memo_new(e) != 0)) {
		eng_ctx_free(ctx);
		ERR_clear_error();
		return USSL_ERROR;
	}
	return USSL_OK;
}

/* Forget the own chain and key kept for copies. */
static void own_drop(struct eng_ctx *e)
{
	X509_free(e->leaf);
	EVP_PKEY_free(e->pkey);
	sk_X509_pop_free(e->chain, X509_free);
	e->leaf = NULL;
	e->pkey = NULL;
	e->chain = NULL;
}

void eng_ctx_free(ussl_ctx *ctx)
{
	struct eng_ctx *e = ctx->eng;

	if (e == NULL)
		return;
	SSL_CTX_free(e->ssl);   /* frees (and clears) the key */
	X509_STORE_free(e->store);
	if (e->store_users != NULL && ussl_ref_dec(e->store_users) == 0)
		USSL_FREE(e->store_users);
	own_drop(e);
	oeng_tickets_free(e);
	oeng_memo_free(e);
	USSL_FREE(e->suites12);
	USSL_FREE(e->suites13);
	ussl_wipe(e, sizeof(*e));
	USSL_FREE(e);
	ctx->eng = NULL;
}

int eng_ctx_update(ussl_ctx *ctx)
{
	return conf_apply(ctx, ctx->eng->ssl);
}

static int own_install(ussl_ctx *ctx, X509 *leaf, EVP_PKEY *pk,
    STACK_OF(X509) *chain);

/* The certificates of cert, parsed into a new stack; NULL: error set. */
static STACK_OF(X509) *parse_chain(ussl_ctx *ctx, const unsigned char *cert,
    size_t cert_len)
{
	STACK_OF(X509) *chain = sk_X509_new_null();

	if (chain == NULL) {
		ussl_err_set(&ctx->err, USSL_E_NOMEM, "out of memory");
		return NULL;
	}
	if (oeng_parse_certs(&ctx->err, cert, cert_len, "certificate",
	    chain) != USSL_OK) {
		sk_X509_pop_free(chain, X509_free);
		return NULL;
	}
	return chain;
}

int eng_ctx_use_cert_chain(ussl_ctx *ctx, const unsigned char *cert,
    size_t cert_len, const unsigned char *key, size_t key_len,
    const char *password)
{
	STACK_OF(X509) *chain = parse_chain(ctx, cert, cert_len);
	EVP_PKEY *pk = NULL;
	X509 *leaf = NULL;
	int r = USSL_ERROR;

	if (chain == NULL)
		goto out;
	/* Without a separate key, the key is in the certificate data. */
	if (key == NULL) {
		key = cert;
		key_len = cert_len;
	}
	if (oeng_parse_key(&ctx->err, key, key_len, password, &pk) != USSL_OK)
		goto out;
	leaf = sk_X509_shift(chain);
	if (X509_check_private_key(leaf, pk) != 1) {
		ussl_err_set(&ctx->err, USSL_E_BADKEY,
		    "private key does not match the certificate");
		goto out;
	}
	/* With a sign callback, an EC key signs through it (sign.c). */
	if (ctx->sign_fn != NULL) {
		EVP_PKEY *w;

		if (oeng_sign_wrap(&ctx->err, pk, 0, &w) != USSL_OK)
			goto out;
		if (w != NULL) {
			EVP_PKEY_free(pk);
			pk = w;
		}
	}
	r = own_install(ctx, leaf, pk, chain);
	leaf = NULL;
	pk = NULL;
	chain = NULL;
out:
	ERR_clear_error();
	X509_free(leaf);
	EVP_PKEY_free(pk);
	sk_X509_pop_free(chain, X509_free);
	return r;
}

/* Only PKCS#1 v1.5 from an RSA key behind the sign callback (the list
   is also what the peer may use). */
static int sign_restrict(SSL_CTX *s, const EVP_PKEY *pk)
{
	return !oeng_sign_is_rsa(pk) || SSL_CTX_set1_sigalgs_list(s,
	    "ECDSA+SHA256:ECDSA+SHA384:ECDSA+SHA512:"
	    "RSA+SHA256:RSA+SHA384:RSA+SHA512") == 1;
}

/*
 * Install leaf + pk + chain as the own chain (all three taken over, freed
 * on failure).  A first chain goes into the configuration as it is
 * (OpenSSL checks everything before it changes anything); a replacement
 * is built apart, so that a failure leaves the context as it was.
 */
static int own_install(ussl_ctx *ctx, X509 *leaf, EVP_PKEY *pk,
    STACK_OF(X509) *chain)
{
	struct eng_ctx *e = ctx->eng;
	SSL_CTX *s = NULL;
	int r = USSL_ERROR;

	if (ctx->has_chain && (s = new_ssl_ctx(ctx)) == NULL) {
		ussl_err_set(&ctx->err, USSL_E_NOMEM, "out of memory");
		goto out;
	}
	ERR_clear_error();
	if (SSL_CTX_use_cert_and_key(s != NULL ? s : e->ssl, leaf, pk, chain,
	    1) != 1) {
		/* E.g. a key or digest below the security level. */
		ussl_err_set(&ctx->err, USSL_E_BADCERT,
		    "certificate chain not usable");
		oeng_detail(&ctx->err, ERR_peek_error());
		goto out;
	}
	if (!sign_restrict(s != NULL ? s : e->ssl, pk)) {
		ussl_err_set(&ctx->err, USSL_E_NOMEM, "out of memory");
		goto out;
	}
	if (s != NULL) {
		SSL_CTX_free(e->ssl);
		e->ssl = s;
		s = NULL;
	}
	/* Kept for copies (ussl_ctx_dup), which use them as they are. */
	own_drop(e);
	e->leaf = leaf;
	e->pkey = pk;
	e->chain = chain;
	leaf = NULL;
	pk = NULL;
	chain = NULL;
	r = conf_apply(ctx, e->ssl);
out:
	ERR_clear_error();
	SSL_CTX_free(s);
	X509_free(leaf);
	EVP_PKEY_free(pk);
	sk_X509_pop_free(chain, X509_free);
	return r;
}

int eng_ctx_use_cert_signer(ussl_ctx *ctx, const unsigned char *cert,
    size_t cert_len)
{
	STACK_OF(X509) *chain = parse_chain(ctx, cert, cert_len);
	EVP_PKEY *pub = NULL, *w = NULL;
	X509 *leaf = NULL;
	int r = USSL_ERROR;

	if (chain == NULL)
		goto out;
	leaf = sk_X509_shift(chain);
	if ((pub = X509_get_pubkey(leaf)) == NULL) {
		ussl_err_set(&ctx->err, USSL_E_BADCERT,
		    "the certificate's public key is not usable");
		goto out;
	}
	if (oeng_sign_wrap(&ctx->err, pub, 1, &w) != USSL_OK)
		goto out;
	if (oeng_sign_is_rsa(w) && ctx->min_version > TLS1_2_VERSION) {
		ussl_err_set(&ctx->err, USSL_E_CONFIG, "an RSA key behind a "
		    "sign callback needs TLS 1.2");
		goto out;
	}
	r = own_install(ctx, leaf, w, chain);
	leaf = NULL;
	w = NULL;
	chain = NULL;
out:
	ERR_clear_error();
	X509_free(leaf);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(w);
	sk_X509_pop_free(chain, X509_free);
	return r;
}

int eng_ctx_sign_update(ussl_ctx *ctx)
{
	struct eng_ctx *e = ctx->eng;
	EVP_PKEY *w;
	STACK_OF(X509) *chain;

	/* A loaded EC key gets the method once a callback is set (the
	   method asks the connection's context, so it stays after the
	   callback is removed: it then signs with the key). */
	if (ctx->sign_fn == NULL || e->pkey == NULL)
		return eng_ctx_update(ctx);
	if (oeng_sign_wrap(&ctx->err, e->pkey, 0, &w) != USSL_OK)
		return USSL_ERROR;
	if (w == NULL)
		return eng_ctx_update(ctx);
	if ((chain = X509_chain_up_ref(e->chain)) == NULL ||
	    X509_up_ref(e->leaf) != 1) {
		sk_X509_pop_free(chain, X509_free);
		EVP_PKEY_free(w);
		ERR_clear_error();
		return ussl_err_set(&ctx->err, USSL_E_NOMEM, "out of memory");
	}
	return own_install(ctx, e->leaf, w, chain);
}

static int apply_suites(SSL_CTX *s, const char *l12, const char *l13);

/* A new store holding the certificates of old (the same objects, not
   parsed again); NULL if out of memory. */
static X509_STORE *store_copy(X509_STORE *old)
{
	STACK_OF(X509_OBJECT) *objs;
	X509_STORE *st = X509_STORE_new();
	X509 *c;
	int i, n, ok = st != NULL &&
	    X509_STORE_set_flags(st, X509_V_FLAG_PARTIAL_CHAIN) == 1 &&
	    X509_STORE_lock(old) == 1;

	if (!ok) {
		X509_STORE_free(st);
		return NULL;
	}
	objs = X509_STORE_get0_objects(old);
	n = sk_X509_OBJECT_num(objs);
	for (i = 0; ok && i < n; i++) {
		c = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));
		if (c != NULL && X509_STORE_add_cert(st, c) != 1)
			ok = 0;
	}
	X509_STORE_unlock(old);
	if (!ok) {
		X509_STORE_free(st);
		return NULL;
	}
	return st;
}

static int shared_count(int *users)
{
#if defined(__GNUC__)
	return __atomic_load_n(users, __ATOMIC_ACQUIRE);
#else
	return *users;
#endif
}

int eng_ctx_add_ca(ussl_ctx *ctx, const unsigned char *data, size_t len)
{
	struct eng_ctx *e = ctx->eng;
	STACK_OF(X509) *add = sk_X509_new_null();
	X509_STORE *st = e->store;
	int *users = NULL;
	int i, r = USSL_ERROR;

	/* Parse apart first so that bad data leaves the store untouched. */
	if (add == NULL) {
		ussl_err_set(&ctx->err, USSL_E_NOMEM, "out of memory");
		goto out;
	}
	if (oeng_parse_certs(&ctx->err, data, len, "CA data", add) != USSL_OK)
		goto out;
	ERR_clear_error();
	/* A store other contexts use (copies) is copied first. */
	if (shared_count(e->store_users) > 1) {
		users = USSL_CALLOC(1, sizeof(*users));
		st = users != NULL ? store_copy(e->store) : NULL;
		if (st == NULL) {
			ussl_err_set(&ctx->err, USSL_E_NOMEM, "out of memory");
			goto out;
		}
		*users = 1;
	}
	for (i = 0; i < sk_X509_num(add); i++) {
		/* A certificate already present is not an error. */
		if (X509_STORE_add_cert(st, sk_X509_value(add, i)) != 1) {
			ussl_err_set(&ctx->err, USSL_E_NOMEM, "out of memory");
			goto out;
		}
	}
	if (users != NULL) {
		SSL_CTX_set1_cert_store(e->ssl, st);
		X509_STORE_free(e->store);
		if (ussl_ref_dec(e->store_users) == 0)
			USSL_FREE(e->store_users);
		e->store = st;
		e->store_users = users;
		st = NULL;
		users = NULL;
	}
	if (!add_client_ca_names(ctx, e->ssl, add)) {
		ussl_err_set(&ctx->err, USSL_E_NOMEM, "out of memory");
		goto out;
	}
	r = USSL_OK;
out:
	if (users != NULL) {
		X509_STORE_free(st);
		USSL_FREE(users);
	}
	ERR_clear_error();
	sk_X509_pop_free(add, X509_free);
	return r;
}

int eng_ctx_dup(ussl_ctx *dst, const ussl_ctx *src)
{
	const struct eng_ctx *s = src->eng;
	struct eng_ctx *e = dst->eng;

	/* The CA store, shared. */
	if (X509_STORE_up_ref(s->store) != 1)
		return ussl_err_set(&dst->err, USSL_E_NOMEM, "out of memory");
	X509_STORE_free(e->store);
	if (ussl_ref_dec(e->store_users) == 0)
		USSL_FREE(e->store_users);
	e->store = s->store;
	e->store_users = s->store_users;
	ussl_ref_inc(e->store_users);
	SSL_CTX_set1_cert_store(e->ssl, e->store);
	ERR_clear_error();
	if (!add_client_ca_names(dst, e->ssl, NULL))
		goto nomem;
	/* Cipher suites. */
	if ((s->suites12 != NULL && (e->suites12 = USSL_CALLOC(1,
	    strlen(s->suites12) + 1)) == NULL) ||
	    (s->suites13 != NULL && (e->suites13 = USSL_CALLOC(1,
	    strlen(s->suites13) + 1)) == NULL))
		goto nomem;
	if (s->suites12 != NULL)
		strcpy(e->suites12, s->suites12);
	if (s->suites13 != NULL)
		strcpy(e->suites13, s->suites13);
	e->has12 = s->has12;
	e->has13 = s->has13;
	if (!apply_suites(e->ssl, e->suites12, e->suites13))
		goto nomem;
	/* The own chain and key, shared. */
	if (s->leaf != NULL) {
		if (SSL_CTX_use_cert_and_key(e->ssl, s->leaf, s->pkey,
		    s->chain, 1) != 1 || !sign_restrict(e->ssl, s->pkey) ||
		    X509_up_ref(s->leaf) != 1)
			goto nomem;
		e->leaf = s->leaf;
		if (EVP_PKEY_up_ref(s->pkey) != 1)
			goto nomem;
		e->pkey = s->pkey;
		if ((e->chain = X509_chain_up_ref(s->chain)) == NULL)
			goto nomem;
	}
	if (dst->role == USSL_SERVER && src->tickets != USSL_TICKET_LIFETIME)
		return eng_ctx_set_tickets(dst, src->tickets);
	return USSL_OK;
nomem:
	ERR_clear_error();
	return ussl_err_set(&dst->err, USSL_E_NOMEM, "out of memory");
}

/* ---------------------------------------------------------------------- */
/* Cipher suites                                                           */

static int is_tls13(const SSL_CIPHER *c)
{
	return SSL_CIPHER_get_kx_nid(c) == NID_kx_any;
}

/* mbedTLS spells "TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256" and
   "TLS1-3-AES-128-GCM-SHA256"; turn those into IANA names.  Anything
   else (IANA or OpenSSL names) is left as it is. */
static void to_iana(const char *name, char *buf, size_t size)
{
	size_t i;

	if (strncmp(name, "TLS1-3-", 7) == 0)
		snprintf(buf, size, "TLS_%s", name + 7);
	else
		snprintf(buf, size, "%s", name);
	if (strncmp(name, "TLS-", 4) == 0 || strncmp(name, "TLS1-3-", 7) == 0)
		for (i = 0; buf[i] != '\0'; i++)
			if (buf[i] == '-')
				buf[i] = '_';
}

/* Every suite OpenSSL can name, by IANA or OpenSSL name. */
static const SSL_CIPHER *find_suite(STACK_OF(SSL_CIPHER) *all,
    const char *name)
{
	const SSL_CIPHER *c;
	const char *std;
	char iana[96];
	int i;

	to_iana(name, iana, sizeof(iana));
	for (i = 0; i < sk_SSL_CIPHER_num(all); i++) {
		c = sk_SSL_CIPHER_value(all, i);
		std = SSL_CIPHER_standard_name(c);
		if ((std != NULL && strcmp(std, iana) == 0) ||
		    strcmp(SSL_CIPHER_get_name(c), name) == 0)
			return c;
	}
	return NULL;
}

/* Install suite strings (NULL: default) into the SSL_CTX. */
static int apply_suites(SSL_CTX *s, const char *l12, const char *l13)
{
	return oeng_apply_suites(s, l12, l13);
}

int oeng_apply_suites(SSL_CTX *s, const char *l12, const char *l13)
{
	ERR_clear_error();
	if (SSL_CTX_set_cipher_list(s, l12 ? l12 : default_suites12) != 1 ||
	    SSL_CTX_set_ciphersuites(s, l13 ? l13 : default_suites13) != 1) {
		ERR_clear_error();
		return 0;
	}
	return 1;
}

int eng_ctx_set_ciphers(ussl_ctx *ctx, const char *const *names, size_t n)
{
	struct eng_ctx *e = ctx->eng;
	SSL_CTX *every = NULL;
	const SSL_CIPHER *c;
	char *l12 = NULL, *l13 = NULL, *dst;
	size_t i, size;
	int r = USSL_ERROR;

	if (n == 0) {
		if (!apply_suites(e->ssl, NULL, NULL))
			return ussl_err_set(&ctx->err, USSL_E_INTERNAL,
			    "cannot restore the default cipher suites");
		USSL_FREE(e->suites12);
		USSL_FREE(e->suites13);
		e->suites12 = e->suites13 = NULL;
		e->has12 = e->has13 = 1;
		r = conf_apply(ctx, e->ssl);
		return r == USSL_OK && ctx->psk != NULL ?
		    eng_ctx_psk_update(ctx) : r;
	}
	/* Look names up among all suites OpenSSL has (but no anonymous or
	   unencrypted ones), at any security level. */
	ERR_clear_error();
	size = n * 64 + 1;
	every = SSL_CTX_new(TLS_method());
	l12 = USSL_CALLOC(1, size);
	l13 = USSL_CALLOC(1, size);
	if (every == NULL || l12 == NULL || l13 == NULL) {
		ussl_err_set(&ctx->err, USSL_E_NOMEM, "out of memory");
		goto out;
	}
	SSL_CTX_set_security_level(every, 0);
	if (SSL_CTX_set_cipher_list(every, "ALL:!aNULL:!eNULL") != 1 ||
	    SSL_CTX_set_ciphersuites(every, "TLS_AES_128_GCM_SHA256:"
	    "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:"
	    "TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256") != 1) {
		ussl_err_set(&ctx->err, USSL_E_INTERNAL,
		    "cannot list the engine's cipher suites");
		goto out;
	}
	for (i = 0; i < n; i++) {
		c = names[i] != NULL ?
		    find_suite(SSL_CTX_get_ciphers(every), names[i]) : NULL;
		if (c == NULL) {
			ussl_err_set(&ctx->err, USSL_E_BADARG,
			    "unknown or unsupported cipher suite: %s",
			    names[i] ? names[i] : "(null)");
			goto out;
		}
		dst = is_tls13(c) ? l13 : l12;
		if (dst[0] != '\0')
			strcat(dst, ":");
		strncat(dst, is_tls13(c) ? SSL_CIPHER_standard_name(c) :
		    SSL_CIPHER_get_name(c), size - strlen(dst) - 1);
	}
	/* TLS 1.3 may have an empty list; TLS 1.2 may not, so then the
	   default stays and TLS 1.2 is ruled out by conf_apply. */
	if (!apply_suites(e->ssl, l12[0] ? l12 : NULL, l13)) {
		apply_suites(e->ssl, e->suites12, e->suites13);
		ussl_err_set(&ctx->err, USSL_E_BADARG,
		    "cipher suites not usable together");
		goto out;
	}
	USSL_FREE(e->suites12);
	USSL_FREE(e->suites13);
	e->has12 = l12[0] != '\0';
	e->has13 = l13[0] != '\0';
	e->suites12 = e->has12 ? l12 : NULL;
	e->suites13 = l13;
	if (!e->has12)
		USSL_FREE(l12);
	l12 = l13 = NULL;
	r = conf_apply(ctx, e->ssl);
	if (r == USSL_OK && ctx->psk != NULL)
		r = eng_ctx_psk_update(ctx);
out:
	ERR_clear_error();
	SSL_CTX_free(every);
	USSL_FREE(l12);
	USSL_FREE(l13);
	return r;
}

int eng_ctx_cipher_name(const ussl_ctx *ctx, size_t i, char *buf,
    size_t size)
{
	const struct eng_ctx *e = ctx->eng;
	STACK_OF(SSL_CIPHER) *list = SSL_CTX_get_ciphers(e->ssl);
	const SSL_CIPHER *c;
	const char *name;
	size_t k = 0, len;
	int j;

	for (j = 0; j < sk_SSL_CIPHER_num(list); j++) {
		c = sk_SSL_CIPHER_value(list, j);
		/* A version the list rules out is not offered. */
		if (is_tls13(c) ? !e->has13 : !e->has12)
			continue;
		if (k++ < i)
			continue;
		name = SSL_CIPHER_standard_name(c);
		if (name == NULL || (len = strlen(name)) >= size)
			return -1;
		memcpy(buf, name, len + 1);
		return (int)len;
	}
	return -1;
}

/* ---------------------------------------------------------------------- */
/* Connection                                                              */

/*
 * Watches records until the connection is parked.  OpenSSL skips up to
 * 32 empty records in a row and then waits for more; TLS forbids sending
 * empty handshake, alert and change_cipher_spec records (RFC 5246 6.2.1,
 * RFC 8446 5.1), and mbedTLS refuses them at once, so a peer sending
 * them is refused here too rather than waited for.  The record counts
 * and key changes are what parking needs (oeng_rec_watch).
 */
static void watch_records(int write_p, int version, int content_type,
    const void *buf, size_t len, SSL *ssl, void *arg)
{
	const unsigned char *h = buf;
	ussl_conn *conn = arg;

	size_t at = conn->ctx->dtls ? 11 : 3;   /* the length field */

	(void)ssl;
	if (!write_p && content_type == SSL3_RT_HEADER && len >= at + 2 &&
	    h[at] == 0 && h[at + 1] == 0 && h[0] != SSL3_RT_APPLICATION_DATA)
		conn->eng->empty_record = 1;
	oeng_rec_watch(conn->eng, write_p, version, content_type, h, len);
}

int eng_conn_init(ussl_conn *conn)
{
	struct eng_ctx *ec = conn->ctx->eng;
	struct eng_conn *e;
	BIO *bio;

	CRYPTO_THREAD_run_once(&bio_once, make_bio_method);
	e = USSL_CALLOC(1, sizeof(*e));
	if (e == NULL)
		return ussl_err_set(&conn->err, USSL_E_NOMEM, "out of memory");
	conn->eng = e;
	ERR_clear_error();
	if (bio_method == NULL || (e->ssl = SSL_new(ec->ssl)) == NULL ||
	    (bio = BIO_new(bio_method)) == NULL) {
		ussl_err_set(&conn->err, USSL_E_NOMEM, "out of memory");
		goto fail;
	}
	BIO_set_data(bio, conn);
	SSL_set_bio(e->ssl, bio, bio);   /* takes our one reference */
	SSL_set_app_data(e->ssl, conn);
	if (conn->role == USSL_CLIENT) {
		SSL_set_connect_state(e->ssl);
		/* SNI takes a DNS name; an IP literal is never sent. */
		if (conn->name.host != NULL && !conn->name.is_ip &&
		    SSL_set_tlsext_host_name(e->ssl, conn->name.host) != 1) {
			ussl_err_set(&conn->err, USSL_E_CONFIG,
			    "cannot set up TLS session");
			oeng_detail(&conn->err, ERR_peek_error());
			goto fail;
		}
	} else {
		SSL_set_accept_state(e->ssl);
	}
	SSL_set_msg_callback(e->ssl, watch_records);
	SSL_set_msg_callback_arg(e->ssl, conn);
	oeng_psk_conn_init(conn);
	if (conn->ctx->dtls && eng_dtls_conn_init(conn) != USSL_OK)
		goto fail;
	e->vs.ctx = conn->ctx;
	e->vs.role = conn->role;
	e->vs.name = conn->role == USSL_CLIENT ? &conn->name : NULL;
	e->vs.at_time = 0;
	e->vs.flags = &conn->verify_flags;
	e->vs.why = &conn->vwhy;
	return USSL_OK;
fail:
	ERR_clear_error();
	eng_conn_free(conn);
	return USSL_ERROR;
}

void eng_conn_free(ussl_conn *conn)
{
	struct eng_conn *e = conn->eng;

	if (e == NULL)
		return;
	SSL_free(e->ssl);
	oeng_rec_free(e);
	USSL_FREE(e->peer_der);
	USSL_FREE(e->alpn);
	ussl_wipe(e, sizeof(*e));
	USSL_FREE(e);
	conn->eng = NULL;
}

/* Reasons that mean "nothing in common" rather than a broken peer. */
static int no_common_params(int reason)
{
	switch (reason) {
	case SSL_R_NO_SHARED_CIPHER:
	case SSL_R_NO_CIPHERS_AVAILABLE:
	case SSL_R_UNSUPPORTED_PROTOCOL:
	case SSL_R_NO_PROTOCOLS_AVAILABLE:
	case SSL_R_VERSION_TOO_LOW:
	case SSL_R_VERSION_TOO_HIGH:
	case SSL_R_WRONG_SSL_VERSION:
	case SSL_R_NO_SHARED_GROUPS:
	case SSL_R_NO_SUITABLE_GROUPS:
	case SSL_R_NO_SUITABLE_KEY_SHARE:
	case SSL_R_NO_SHARED_SIGNATURE_ALGORITHMS:
	case SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM:
	case SSL_R_NO_SUITABLE_DIGEST_ALGORITHM:
	case SSL_R_NO_APPLICATION_PROTOCOL:
	case SSL_R_UNSAFE_LEGACY_RENEGOTIATION_DISABLED:
		return 1;
	default:
		return 0;
	}
}

/* "OpenSSL error:0A000086:SSL routines::certificate verify failed". */
static void detail_text(char *buf, size_t size, unsigned long code)
{
	char text[120];

	if (code == 0)
		return;
	ERR_error_string_n(code, text, sizeof(text));
	snprintf(buf, size, "OpenSSL %s", text);
}

/*
 * Classify an OpenSSL failure for the core (ussl_fail() words it).  The
 * queue is read (first entry for the text, first SSL reason for the
 * kind) and emptied.  A would-block is reported by direction, from
 * SSL_get_error(); what the transport did (error, end of stream) decides
 * before OpenSSL's reading of it.
 */
static int fail(ussl_conn *conn, int ret, const char *during)
{
	struct eng_conn *e = conn->eng;
	int se = SSL_get_error(e->ssl, ret), reason = 0, nomem = 0;
	unsigned long code, first = 0;
	ussl_failure f;

	/* The first SSL entry names the TLS failure (lower layers queue
	   theirs first: "cipher operation failed" before "bad record
	   mac"); it gives both the kind and the detail. */
	while ((code = ERR_get_error()) != 0) {
		if (reason == 0 && ERR_GET_LIB(code) == ERR_LIB_SSL) {
			reason = ERR_GET_REASON(code);
			first = code;
		}
		if (first == 0)
			first = code;
		if (ERR_GET_REASON(code) == ERR_R_MALLOC_FAILURE)
			nomem = 1;
	}
	if (conn->sign_why != NULL && se != SSL_ERROR_WANT_READ &&
	    se != SSL_ERROR_WANT_WRITE)
		return ussl_sign_fail(conn, during);
	ussl_failure_init(&f, USSL_E_PROTOCOL);
	if (e->empty_record) {
		f.reason = USSL_FR_EMPTY_RECORD;
		goto out;
	}
	if (se == SSL_ERROR_WANT_READ)
		return USSL_WANT_READ;
	if (se == SSL_ERROR_WANT_WRITE)
		return USSL_WANT_WRITE;
	if (reason > SSL_AD_REASON_OFFSET &&
	    reason < SSL_AD_REASON_OFFSET + 256) {
		/* A fatal alert from the peer. */
		f.code = USSL_E_PEER_ALERT;
		f.alert = reason - SSL_AD_REASON_OFFSET;
		goto out;
	}
	if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED ||
	    reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
		if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
			conn->verify_flags |= USSL_VFY_NO_CERT;
		if (conn->verify_flags == 0)
			conn->verify_flags = oeng_vflags(
			    SSL_get_verify_result(e->ssl));
		if (conn->verify_flags == 0)
			conn->verify_flags = USSL_VFY_OTHER;
		f.code = USSL_E_VERIFY;
		f.verify = conn->verify_flags;
		f.why = &conn->vwhy;
		goto out;
	}
	if (e->io_eof || reason == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
		f.code = USSL_E_TRUNCATED;
		goto out;
	}
	if (e->io_err) {
		f.code = conn->out_nomem ? USSL_E_NOMEM : USSL_E_IO;
		f.sys_errno = conn->tr_errno;
		goto out;
	}
	if (nomem) {
		f.code = USSL_E_NOMEM;
		goto out;
	}
	if (se == SSL_ERROR_ZERO_RETURN)
		f.reason = USSL_FR_PEER_CLOSED;
	else if (no_common_params(reason))
		f.code = USSL_E_HANDSHAKE;
	detail_text(f.detail, sizeof(f.detail), first);
out:
	return ussl_fail(&conn->err, &f, during, conn->state == ST_HANDSHAKE);
}

/*
 * Record buffers while nothing is buffered: SSL_MODE_RELEASE_BUFFERS
 * (set on every SSL_CTX) frees the write buffer once a record is out and
 * the read buffer when a read finds nothing; a read that empties the
 * buffer leaves it allocated (16 KiB and more), so it is freed here.  An
 * idle connection then holds no record buffer; the next record allocates
 * one again.  SSL_free_buffers refuses while anything is buffered.
 */
static void idle_buffers(struct eng_conn *e)
{
	if (!SSL_is_dtls(e->ssl) && !SSL_has_pending(e->ssl))
		(void)SSL_free_buffers(e->ssl);
}

int eng_handshake(ussl_conn *conn)
{
	struct eng_conn *e = conn->eng;
	const unsigned char *p;
	unsigned int n;
	int ret;

	/* Done, and parked, while the core still had its last flight to
	   send. */
	if (e->rec != NULL)
		return USSL_OK;
	begin(e);
	if (conn->ctx->dtls && (ret = oeng_dtls_before_handshake(conn)) !=
	    USSL_OK)
		return ret;
	ussl_sign_enter(conn);
	ret = SSL_do_handshake(e->ssl);
	ussl_sign_leave();
	if (ret != 1 || e->empty_record)
		return fail(conn, ret, "handshake");
	idle_buffers(e);
	/* Kept here so the getters neither copy nor allocate later. */
	SSL_get0_alpn_selected(e->ssl, &p, &n);
	if (n > 0 && e->alpn == NULL) {
		if ((e->alpn = USSL_CALLOC(1, n + 1)) == NULL)
			return ussl_err_set(&conn->err, USSL_E_NOMEM,
			    "out of memory");
		memcpy(e->alpn, p, n);
	}
	/* A resumed session was verified when it was made; its result
	   travels with it. */
	conn->peer_verified = conn->ctx->verify != USSL_VERIFY_NONE &&
	    SSL_get0_peer_certificate(e->ssl) != NULL &&
	    (SSL_session_reused(e->ssl) ?
	    SSL_get_verify_result(e->ssl) == X509_V_OK :
	    e->verified && conn->verify_flags == 0);
	(void)oeng_park(conn);
	return USSL_OK;
}

long eng_read(ussl_conn *conn, unsigned char *buf, size_t len)
{
	struct eng_conn *e = conn->eng;
	int ret;

	if (e->rec != NULL)
		return oeng_rec_read(conn, buf, len);
	if (len > 0x7fffffff)
		len = 0x7fffffff;
	begin(e);
	/* TLS 1.3 tickets and key updates are handled inside. */
	ret = SSL_read(e->ssl, buf, (int)len);
	if (ret > 0) {
		e->got_data = 1;
		idle_buffers(e);
		(void)oeng_park(conn);
		return ret;
	}
	/* 0 only for the peer's close_notify; a bare end of stream is
	   truncation (see bio_read). */
	if (!e->io_err && !e->io_eof &&
	    SSL_get_error(e->ssl, ret) == SSL_ERROR_ZERO_RETURN) {
		ERR_clear_error();
		return 0;
	}
	return fail(conn, ret, "read");
}

/* Records of a large write go out four at a time (conn.c gathers them):
   one send() instead of four saves system calls and wake-ups of the
   receiver. */
const size_t eng_write_gather = 4 * 16384;

/*
 * One record (partial writes are on: SSL_write returns after each).  The
 * core sends it (eng_io_send takes it whole), so a later call may carry
 * any data.
 */
long eng_write(ussl_conn *conn, const unsigned char *buf, size_t len)
{
	struct eng_conn *e = conn->eng;
	int ret;

	if (e->rec != NULL)
		return oeng_rec_write(conn, buf, len);
	begin(e);
	if (len > 0x7fffffff)
		len = 0x7fffffff;
	ret = SSL_write(e->ssl, buf, (int)len);
	if (ret <= 0)
		return fail(conn, ret, "write");
	(void)oeng_park(conn);
	return ret;
}

int eng_close_notify(ussl_conn *conn)
{
	struct eng_conn *e = conn->eng;
	int ret;

	if (e->rec != NULL)
		return oeng_rec_close_notify(conn);
	begin(e);
	/* 0: ours sent, the peer's not seen (not waited for); 1: both.
	   After a would-block the next call only flushes the alert. */
	ret = SSL_shutdown(e->ssl);
	if (ret >= 0) {
		ERR_clear_error();
		return USSL_OK;
	}
	return fail(conn, ret, "close");
}

size_t eng_pending(const ussl_conn *conn)
{
	int n;

	if (conn->eng->rec != NULL)
		return oeng_rec_pending(conn->eng);
	n = SSL_pending(conn->eng->ssl);

	return n > 0 ? (size_t)n : 0;
}

const char *eng_conn_version(const ussl_conn *conn)
{
	if (conn->eng->rec != NULL)
		return oeng_rec_version(conn->eng);
	return SSL_get_version(conn->eng->ssl);
}

static const SSL_CIPHER *suite_of(const ussl_conn *conn)
{
	if (conn->eng->rec != NULL)
		return oeng_rec_suite(conn->eng);
	return SSL_get_current_cipher(conn->eng->ssl);
}

const char *eng_conn_cipher(const ussl_conn *conn)
{
	const SSL_CIPHER *c = suite_of(conn);

	return c != NULL ? SSL_CIPHER_standard_name(c) : NULL;
}

int eng_conn_cipher_bits(const ussl_conn *conn)
{
	const SSL_CIPHER *c = suite_of(conn);

	return c != NULL ? SSL_CIPHER_get_bits(c, NULL) : 0;
}

const char *eng_conn_alpn(const ussl_conn *conn)
{
	return conn->eng->alpn;
}

int eng_conn_peer_cert(const ussl_conn *conn, const unsigned char **der,
    size_t *len)
{
	struct eng_conn *e = conn->eng;
	X509 *x;
	unsigned char *p;
	int n;

	if (e->peer_der == NULL) {
		if (e->ssl == NULL)
			return -1;      /* parked: none was sent */
		x = SSL_get0_peer_certificate(e->ssl);
		if (x == NULL || (n = i2d_X509(x, NULL)) <= 0)
			return -1;
		if ((p = USSL_CALLOC(1, (size_t)n)) == NULL)
			return -1;
		e->peer_der = p;
		e->peer_der_len = (size_t)i2d_X509(x, &p);
	}
	*der = e->peer_der;
	*len = e->peer_der_len;
	return 0;
}
