/*
 * raw_mbedtls.c - raw-mbedtls-bench: the benchmark of benchutil.h
 * written directly on mbedTLS (3.6 or 2.28), linked against the very
 * library and configuration the tree builds ussl with.  It is the
 * ceiling ussl-bench is measured against, so it makes the choices
 * ussl's mbedTLS engine makes -- the same cipher suites and signature
 * algorithms, TLS 1.2 at least, no renegotiation, a CTR-DRBG, session
 * tickets on the server, TLS 1.3 tickets handed to the client -- and
 * nothing more: no policy checks of its own, no session serialization.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <mbedtls/version.h>
#if MBEDTLS_VERSION_MAJOR >= 3
#include <mbedtls/build_info.h>
#include <psa/crypto.h>
#endif
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ciphersuites.h>
#include <mbedtls/x509_crt.h>
#if defined(MBEDTLS_SSL_TICKET_C)
#include <mbedtls/ssl_ticket.h>
#endif

#include "benchutil.h"

#if MBEDTLS_VERSION_MAJOR >= 3 && defined(MBEDTLS_SSL_PROTO_TLS1_3)
#define HAVE_TLS13 1
#define ERR_NEW_TICKET MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET
#else
#define HAVE_TLS13 0
#define ERR_NEW_TICKET (-0x7FF0)   /* never returned by this version */
#endif

/* What ussl's engine offers by default: AEAD suites with ECDHE. */
static const int default_suites[] = {
#if HAVE_TLS13
	MBEDTLS_TLS1_3_AES_128_GCM_SHA256,
	MBEDTLS_TLS1_3_AES_256_GCM_SHA384,
	MBEDTLS_TLS1_3_CHACHA20_POLY1305_SHA256,
#endif
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	0
};

#if MBEDTLS_VERSION_MAJOR >= 3
/* The engine's signature algorithm order: ECDSA, then PKCS#1 v1.5
   before PSS (which TLS 1.2 in mbedTLS 3.6 cannot verify). */
static const uint16_t sig_algs[] = {
	MBEDTLS_TLS1_3_SIG_ECDSA_SECP256R1_SHA256,
	MBEDTLS_TLS1_3_SIG_ECDSA_SECP384R1_SHA384,
	MBEDTLS_TLS1_3_SIG_ECDSA_SECP521R1_SHA512,
	MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA256,
	MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA384,
	MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA512,
	MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA256,
	MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA384,
	MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA512,
	MBEDTLS_TLS1_3_SIG_NONE
};
#endif

struct mctx {
	mbedtls_ssl_config conf;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_x509_crt crt;          /* server: own chain; client: CA */
	mbedtls_pk_context key;
#if defined(MBEDTLS_SSL_TICKET_C)
	mbedtls_ssl_ticket_context ticket;
#endif
	int has_ticket;
	int server;
	int suite[2];
	mbedtls_ssl_session session;   /* client: kept for resumption */
	long verified;                 /* certificates the client checked */
};

struct mconn {
	mbedtls_ssl_context ssl;
	struct mctx *ctx;
	int fd;
	long verified_before;
};

__attribute__((noreturn))
static void die_ret(const char *what, int ret)
{
	char text[160] = "";

#if defined(MBEDTLS_ERROR_C)
	mbedtls_strerror(ret, text, sizeof(text));
#endif
	bu_die("%s: mbedTLS -0x%04X %s", what, (unsigned)-ret, text);
}

static const char *engine(void)
{
	return MBEDTLS_VERSION_STRING_FULL;
}

/* Blocking send()/recv() on the socket; EINTR is no failure. */
static int bio_send(void *arg, const unsigned char *buf, size_t len)
{
	ssize_t n;

	if (len > INT_MAX)
		len = INT_MAX;
	do {
		n = send(*(int *)arg, buf, len, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	return n >= 0 ? (int)n : MBEDTLS_ERR_NET_SEND_FAILED;
}

static int bio_recv(void *arg, unsigned char *buf, size_t len)
{
	ssize_t n;

	if (len > INT_MAX)
		len = INT_MAX;
	do {
		n = recv(*(int *)arg, buf, len, 0);
	} while (n < 0 && errno == EINTR);
	return n >= 0 ? (int)n : MBEDTLS_ERR_NET_RECV_FAILED;
}

/* Counts certificate checks: a resumed handshake makes none. */
static int count_verify(void *arg, mbedtls_x509_crt *crt, int depth,
    uint32_t *flags)
{
	(void)crt;
	(void)flags;
	if (depth == 0)
		++*(long *)arg;
	return 0;
}

static void set_versions(mbedtls_ssl_config *conf, int tls)
{
#if MBEDTLS_VERSION_MAJOR >= 3
	mbedtls_ssl_protocol_version v = tls == 13 ?
	    MBEDTLS_SSL_VERSION_TLS1_3 : MBEDTLS_SSL_VERSION_TLS1_2;

	mbedtls_ssl_conf_min_tls_version(conf, v);
	mbedtls_ssl_conf_max_tls_version(conf, v);
#else
	mbedtls_ssl_conf_min_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3,
	    MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_max_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3,
	    MBEDTLS_SSL_MINOR_VERSION_3);
	(void)tls;
#endif
}

static void *ctx_new(const bu_opts *o, int server)
{
	static const char pers[] = "raw-mbedtls-bench";
	struct mctx *m;
	int ret;

	if (o->tls == 13 && !HAVE_TLS13)
		bu_die("TLS 1.3 is not available in mbedTLS %s",
		    MBEDTLS_VERSION_STRING);
#if MBEDTLS_VERSION_MAJOR >= 3
	if (psa_crypto_init() != PSA_SUCCESS)
		bu_die("psa_crypto_init failed");
#endif
	if ((m = calloc(1, sizeof(*m))) == NULL)
		bu_die("out of memory");
	m->server = server;
	mbedtls_ssl_config_init(&m->conf);
	mbedtls_entropy_init(&m->entropy);
	mbedtls_ctr_drbg_init(&m->drbg);
	mbedtls_x509_crt_init(&m->crt);
	mbedtls_pk_init(&m->key);
	mbedtls_ssl_session_init(&m->session);
	if ((ret = mbedtls_ctr_drbg_seed(&m->drbg, mbedtls_entropy_func,
	    &m->entropy, (const unsigned char *)pers, sizeof(pers) - 1)) != 0)
		die_ret("ctr_drbg_seed", ret);
	if ((ret = mbedtls_ssl_config_defaults(&m->conf, server ?
	    MBEDTLS_SSL_IS_SERVER : MBEDTLS_SSL_IS_CLIENT,
	    MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT)) != 0)
		die_ret("ssl_config_defaults", ret);
	mbedtls_ssl_conf_rng(&m->conf, mbedtls_ctr_drbg_random, &m->drbg);
	set_versions(&m->conf, o->tls);
	if (o->suite != NULL) {
#if HAVE_TLS13
		if (o->tls == 13)
			m->suite[0] = o->chacha ?
			    MBEDTLS_TLS1_3_CHACHA20_POLY1305_SHA256 :
			    MBEDTLS_TLS1_3_AES_128_GCM_SHA256;
		else
#endif
			m->suite[0] = o->chacha ?
			    MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 :
			    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
		mbedtls_ssl_conf_ciphersuites(&m->conf, m->suite);
	} else {
		mbedtls_ssl_conf_ciphersuites(&m->conf, default_suites);
	}
#if MBEDTLS_VERSION_MAJOR >= 3
	mbedtls_ssl_conf_sig_algs(&m->conf, sig_algs);
#endif
#if HAVE_TLS13 && defined(MBEDTLS_SSL_SESSION_TICKETS)
	/* Otherwise a 3.6 client drops TLS 1.3 tickets unread. */
	mbedtls_ssl_conf_tls13_enable_signal_new_session_tickets(&m->conf,
	    MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_ENABLED);
#endif
#if defined(MBEDTLS_SSL_RENEGOTIATION)
	mbedtls_ssl_conf_renegotiation(&m->conf,
	    MBEDTLS_SSL_RENEGOTIATION_DISABLED);
#endif
	if (server) {
		mbedtls_ssl_conf_authmode(&m->conf, MBEDTLS_SSL_VERIFY_NONE);
		if ((ret = mbedtls_x509_crt_parse_file(&m->crt, o->cert)) != 0)
			die_ret(o->cert, ret);
#if MBEDTLS_VERSION_MAJOR >= 3
		ret = mbedtls_pk_parse_keyfile(&m->key, o->key, NULL,
		    mbedtls_ctr_drbg_random, &m->drbg);
#else
		ret = mbedtls_pk_parse_keyfile(&m->key, o->key, NULL);
#endif
		if (ret != 0)
			die_ret(o->key, ret);
		if ((ret = mbedtls_ssl_conf_own_cert(&m->conf, &m->crt,
		    &m->key)) != 0)
			die_ret("own certificate", ret);
#if defined(MBEDTLS_SSL_TICKET_C) && defined(MBEDTLS_SSL_SESSION_TICKETS)
		/* As the engine: AES-256-GCM ticket keys, rotated every 2 h. */
		mbedtls_ssl_ticket_init(&m->ticket);
		m->has_ticket = 1;
		if ((ret = mbedtls_ssl_ticket_setup(&m->ticket,
		    mbedtls_ctr_drbg_random, &m->drbg,
		    MBEDTLS_CIPHER_AES_256_GCM, 7200)) != 0)
			die_ret("ticket setup", ret);
		mbedtls_ssl_conf_session_tickets_cb(&m->conf,
		    mbedtls_ssl_ticket_write, mbedtls_ssl_ticket_parse,
		    &m->ticket);
#endif
	} else {
		mbedtls_ssl_conf_authmode(&m->conf,
		    MBEDTLS_SSL_VERIFY_REQUIRED);
		if ((ret = mbedtls_x509_crt_parse_file(&m->crt, o->ca)) != 0)
			die_ret(o->ca, ret);
		mbedtls_ssl_conf_ca_chain(&m->conf, &m->crt, NULL);
		mbedtls_ssl_conf_verify(&m->conf, count_verify, &m->verified);
	}
	return m;
}

static void ctx_free(void *p)
{
	struct mctx *m = p;

	mbedtls_ssl_config_free(&m->conf);
	mbedtls_x509_crt_free(&m->crt);
	mbedtls_pk_free(&m->key);
#if defined(MBEDTLS_SSL_TICKET_C)
	if (m->has_ticket)
		mbedtls_ssl_ticket_free(&m->ticket);
#endif
	mbedtls_ssl_session_free(&m->session);
	mbedtls_ctr_drbg_free(&m->drbg);
	mbedtls_entropy_free(&m->entropy);
	free(m);
}

static void *conn_new(void *p, int fd)
{
	struct mctx *m = p;
	struct mconn *c = calloc(1, sizeof(*c));
	int ret;

	if (c == NULL)
		bu_die("out of memory");
	c->ctx = m;
	c->fd = fd;
	c->verified_before = m->verified;
	mbedtls_ssl_init(&c->ssl);
	if ((ret = mbedtls_ssl_setup(&c->ssl, &m->conf)) != 0)
		die_ret("ssl_setup", ret);
	if (!m->server && (ret = mbedtls_ssl_set_hostname(&c->ssl, "localhost")) != 0)
		die_ret("set_hostname", ret);
	mbedtls_ssl_set_bio(&c->ssl, &c->fd, bio_send, bio_recv, NULL);
	return c;
}

static void conn_free(void *p)
{
	struct mconn *c = p;

	mbedtls_ssl_free(&c->ssl);
	free(c);
}

static void handshake(void *p)
{
	struct mconn *c = p;
	int ret;

	while ((ret = mbedtls_ssl_handshake(&c->ssl)) != 0) {
		if (ret != MBEDTLS_ERR_SSL_WANT_READ &&
		    ret != MBEDTLS_ERR_SSL_WANT_WRITE && ret != ERR_NEW_TICKET)
			die_ret("handshake", ret);
	}
}

static void write_all(void *p, const void *buf, size_t len)
{
	struct mconn *c = p;
	const unsigned char *b = buf;
	int ret;

	while (len > 0) {
		ret = mbedtls_ssl_write(&c->ssl, b, len);
		if (ret > 0) {
			b += ret;
			len -= (size_t)ret;
		} else if (ret != MBEDTLS_ERR_SSL_WANT_READ &&
		    ret != MBEDTLS_ERR_SSL_WANT_WRITE &&
		    ret != ERR_NEW_TICKET) {
			die_ret("write", ret);
		}
	}
}

static size_t read_some(void *p, void *buf, size_t len)
{
	struct mconn *c = p;
	int ret;

	for (;;) {
		ret = mbedtls_ssl_read(&c->ssl, buf, len);
		if (ret > 0)
			return (size_t)ret;
		if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
			return 0;
		if (ret == 0)
			bu_die("read: connection closed without close_notify");
		/* A TLS 1.3 ticket: now part of the session; read on. */
		if (ret != ERR_NEW_TICKET && ret != MBEDTLS_ERR_SSL_WANT_READ &&
		    ret != MBEDTLS_ERR_SSL_WANT_WRITE)
			die_ret("read", ret);
	}
}

static void close_conn(void *p)
{
	struct mconn *c = p;
	unsigned char b[256];
	int ret;

	while ((ret = mbedtls_ssl_close_notify(&c->ssl)) != 0) {
		if (ret != MBEDTLS_ERR_SSL_WANT_READ &&
		    ret != MBEDTLS_ERR_SSL_WANT_WRITE && ret != ERR_NEW_TICKET)
			die_ret("close_notify", ret);
	}
	while (read_some(c, b, sizeof(b)) > 0)
		;
}

static void save_session(void *p, void *conn)
{
	struct mctx *m = p;
	struct mconn *c = conn;
	int ret;

	mbedtls_ssl_session_free(&m->session);
	mbedtls_ssl_session_init(&m->session);
	if ((ret = mbedtls_ssl_get_session(&c->ssl, &m->session)) != 0)
		die_ret("get_session", ret);
}

static void offer_session(void *p, void *conn)
{
	struct mctx *m = p;
	struct mconn *c = conn;
	int ret;

	if ((ret = mbedtls_ssl_set_session(&c->ssl, &m->session)) != 0)
		die_ret("set_session", ret);
}

static int reused(void *conn)
{
	struct mconn *c = conn;

	return c->ctx->verified == c->verified_before;
}

static const bu_ops ops = {
	.impl = "raw-mbedtls",
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
