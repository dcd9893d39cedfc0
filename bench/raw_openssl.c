/*
 * raw_openssl.c - raw-openssl-bench: the benchmark of benchutil.h
 * written directly on OpenSSL 3's libssl, the ceiling for ussl's
 * OpenSSL engine.  It makes the engine's choices -- the same suites,
 * groups and security level, TLS 1.2 at least, no renegotiation or
 * compression, no session cache, one ticket per handshake -- with
 * OpenSSL's own socket BIO and ticket keys, and no policy of its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "benchutil.h"

/* The engine's defaults. */
static const char suites12[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
static const char suites13[] =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"
    "TLS_CHACHA20_POLY1305_SHA256";
static const char groups[] = "X25519:P-256:P-384:P-521:X448";

struct octx {
	SSL_CTX *ssl;
	SSL_SESSION *session;   /* client: kept for resumption */
};

/* The first error OpenSSL queued, and the reason in its words. */
__attribute__((noreturn))
static void die_ssl(const char *what)
{
	unsigned long e = ERR_get_error();
	char text[256] = "no detail";

	if (e != 0)
		ERR_error_string_n(e, text, sizeof(text));
	bu_die("%s: %s", what, text);
}

static const char *engine(void)
{
	return OpenSSL_version(OPENSSL_VERSION);
}

static void *ctx_new(const bu_opts *o, int server)
{
	struct octx *x = calloc(1, sizeof(*x));
	int v = o->tls == 13 ? TLS1_3_VERSION : TLS1_2_VERSION;
	const char *l12 = suites12, *l13 = suites13;
	SSL_CTX *s;

	if (x == NULL)
		bu_die("out of memory");
	s = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (s == NULL)
		die_ssl("SSL_CTX_new");
	x->ssl = s;
	/* The system's openssl.cnf may have set some: these are final. */
	SSL_CTX_clear_options(s, SSL_OP_IGNORE_UNEXPECTED_EOF |
	    SSL_OP_ALLOW_CLIENT_RENEGOTIATION | SSL_OP_LEGACY_SERVER_CONNECT |
	    SSL_OP_ENABLE_KTLS);
	SSL_CTX_set_options(s, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
	    (server ? SSL_OP_CIPHER_SERVER_PREFERENCE : 0));
	SSL_CTX_set_security_level(s, 2);
	SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_OFF);
	if (o->suite != NULL && o->tls == 13)
		l13 = o->suite;
	else if (o->suite != NULL)
		l12 = o->chacha ? "ECDHE-ECDSA-CHACHA20-POLY1305" :
		    "ECDHE-ECDSA-AES128-GCM-SHA256";
	if (SSL_CTX_set_min_proto_version(s, v) != 1 ||
	    SSL_CTX_set_max_proto_version(s, v) != 1 ||
	    SSL_CTX_set1_groups_list(s, groups) != 1 ||
	    SSL_CTX_set_cipher_list(s, l12) != 1 ||
	    SSL_CTX_set_ciphersuites(s, l13) != 1)
		die_ssl("context settings");
	if (server) {
		if (SSL_CTX_use_certificate_chain_file(s, o->cert) != 1)
			die_ssl(o->cert);
		if (SSL_CTX_use_PrivateKey_file(s, o->key,
		    SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(s) != 1)
			die_ssl(o->key);
		/* Stateless tickets under OpenSSL's own keys; one TLS 1.3
		   ticket per handshake, as the engine (and mbedTLS) send. */
		SSL_CTX_clear_options(s, SSL_OP_NO_TICKET);
		if (SSL_CTX_set_session_id_context(s,
		    (const unsigned char *)"bench", 5) != 1 ||
		    SSL_CTX_set_num_tickets(s, 1) != 1)
			die_ssl("tickets");
	} else {
		if (SSL_CTX_load_verify_locations(s, o->ca, NULL) != 1)
			die_ssl(o->ca);
		SSL_CTX_set_verify(s, SSL_VERIFY_PEER, NULL);
		/* As the engine: any CA in the store is an anchor, and
		   OpenSSL's purpose check is off. */
		X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(s),
		    X509_V_FLAG_PARTIAL_CHAIN);
		X509_VERIFY_PARAM_set_purpose(SSL_CTX_get0_param(s),
		    X509_PURPOSE_ANY);
	}
	return x;
}

static void ctx_free(void *p)
{
	struct octx *x = p;

	SSL_SESSION_free(x->session);
	SSL_CTX_free(x->ssl);
	free(x);
}

static void *conn_new(void *p, int fd)
{
	struct octx *x = p;
	SSL *ssl = SSL_new(x->ssl);

	if (ssl == NULL || SSL_set_fd(ssl, fd) != 1)
		die_ssl("SSL_new");
	if (SSL_is_server(ssl)) {
		SSL_set_accept_state(ssl);
	} else {
		if (SSL_set_tlsext_host_name(ssl, "localhost") != 1 ||
		    SSL_set1_host(ssl, "localhost") != 1)
			die_ssl("host name");
		SSL_set_connect_state(ssl);
	}
	return ssl;
}

static void conn_free(void *ssl)
{
	SSL_free(ssl);
}

static void handshake(void *ssl)
{
	if (SSL_do_handshake(ssl) != 1)
		die_ssl("handshake");
}

static void write_all(void *ssl, const void *buf, size_t len)
{
	size_t n;

	/* Without SSL_MODE_ENABLE_PARTIAL_WRITE this writes everything. */
	if (SSL_write_ex(ssl, buf, len, &n) != 1 || n != len)
		die_ssl("write");
}

static size_t read_some(void *ssl, void *buf, size_t len)
{
	size_t n;

	if (SSL_read_ex(ssl, buf, len, &n) == 1)
		return n;
	if (SSL_get_error(ssl, 0) == SSL_ERROR_ZERO_RETURN)
		return 0;
	die_ssl("read");
}

static void close_conn(void *ssl)
{
	unsigned char b[256];

	if (SSL_shutdown(ssl) < 0)
		die_ssl("shutdown");
	while (read_some(ssl, b, sizeof(b)) > 0)
		;
}

static void save_session(void *p, void *ssl)
{
	struct octx *x = p;
	SSL_SESSION *s = SSL_get1_session(ssl);

	if (s == NULL || !SSL_SESSION_is_resumable(s))
		bu_die("no resumable session after the connection");
	SSL_SESSION_free(x->session);
	x->session = s;
}

static void offer_session(void *p, void *ssl)
{
	struct octx *x = p;

	if (SSL_set_session(ssl, x->session) != 1)
		die_ssl("set session");
}

static int reused(void *ssl)
{
	return SSL_session_reused(ssl);
}

static const bu_ops ops = {
	.impl = "raw-openssl",
	.engine = engine,
	.ctx_new = ctx_new,
	.ctx_free = ctx_free,
	.conn_new = conn_new,
	.conn_free = conn_free,
	.handshake = handshake,
	.write_all = write_all,
	.read = read_some,
	.close = close_conn,
	.save_session = save_session,
	.offer_session = offer_session,
	.reused = reused,
};

int main(int argc, char **argv)
{
	bu_opts o;

	bu_parse(argc, argv, &o);
	return bu_run(&ops, &o);
}
