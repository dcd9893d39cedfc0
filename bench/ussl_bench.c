/*
 * ussl_bench.c - ussl-bench: the benchmark of benchutil.h on ussl's
 * public C API (include/ussl.h) only, over blocking TCP sockets.  The
 * raw-*-bench programs run the same tests directly on the engines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ussl.h"
#include "benchutil.h"

/* A context and, on the client, the last session kept for resumption. */
struct uctx {
	ussl_ctx *ctx;
	unsigned char *session;
	size_t session_len, session_cap;
};

__attribute__((noreturn))
static void die_ctx(ussl_ctx *ctx, const char *what)
{
	const ussl_error *e = ussl_ctx_error(ctx);

	bu_die("%s: %s (%s)", what, e->msg, ussl_strerror(e->code));
}

__attribute__((noreturn))
static void die_conn(ussl_conn *c, const char *what)
{
	const ussl_error *e = ussl_conn_error(c);

	bu_die("%s: %s (%s)", what, e->msg, ussl_strerror(e->code));
}

static const char *engine(void)
{
	return ussl_engine_version();
}

static void *ctx_new(const bu_opts *o, int server)
{
	struct uctx *u = calloc(1, sizeof(*u));
	int v = o->tls == 13 ? USSL_TLS1_3 : USSL_TLS1_2;

	if (u == NULL || (u->ctx = ussl_ctx_new(server ? USSL_SERVER :
	    USSL_CLIENT)) == NULL)
		bu_die("out of memory");
	if (ussl_ctx_set_versions(u->ctx, v, v) != USSL_OK)
		die_ctx(u->ctx, "versions");
	if (o->suite != NULL &&
	    ussl_ctx_set_ciphers(u->ctx, &o->suite, 1) != USSL_OK)
		die_ctx(u->ctx, "cipher suite");
	if (server) {
		if (ussl_ctx_use_cert_chain_file(u->ctx, o->cert, o->key,
		    NULL) != USSL_OK)
			die_ctx(u->ctx, o->cert);
	} else {
		if (ussl_ctx_add_ca_file(u->ctx, o->ca) != USSL_OK)
			die_ctx(u->ctx, o->ca);
		u->session_cap = 8192;
		if ((u->session = malloc(u->session_cap)) == NULL)
			bu_die("out of memory");
	}
	return u;
}

static void ctx_free(void *p)
{
	struct uctx *u = p;

	ussl_ctx_free(u->ctx);
	free(u->session);
	free(u);
}

static void *conn_new(void *p, int fd)
{
	struct uctx *u = p;
	ussl_error err;
	ussl_conn *c;

	c = ussl_conn_new(u->ctx, ussl_ctx_role(u->ctx) == USSL_CLIENT ?
	    "localhost" : NULL, &err);
	if (c == NULL)
		bu_die("new connection: %s", err.msg);
	ussl_conn_set_fd(c, fd);
	return c;
}

static void conn_free(void *c)
{
	ussl_conn_free(c);
}

/*
 * The sockets block, so USSL_WANT_* means only "call again" (the API's
 * rule; the call then blocks in the transport if it has to wait).  It
 * happens: mbedTLS 3.6 asks to be called again after it took in a TLS
 * 1.3 NewSessionTicket, before it hands the ticket over.
 */
static int again(long r)
{
	return r == USSL_WANT_READ || r == USSL_WANT_WRITE;
}

static void handshake(void *c)
{
	int r;

	while ((r = ussl_handshake(c)) != USSL_OK)
		if (!again(r))
			die_conn(c, "handshake");
}

static void write_all(void *c, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	long n;

	while (len > 0) {
		n = ussl_write(c, p, len);
		if (again(n))
			continue;
		if (n <= 0)
			die_conn(c, "write");
		p += n;
		len -= (size_t)n;
	}
}

static size_t read_some(void *c, void *buf, size_t len)
{
	long n;

	while (again(n = ussl_read(c, buf, len)))
		;
	if (n < 0)
		die_conn(c, "read");
	return (size_t)n;
}

static void close_conn(void *c)
{
	unsigned char b[256];
	int r;

	while ((r = ussl_close(c)) != USSL_OK)
		if (!again(r))
			die_conn(c, "close");
	while (read_some(c, b, sizeof(b)) > 0)
		;
}

/* One call when the buffer is big enough (it usually is): a call may
   serialize the session, which is work the benchmark should do once. */
static void save_session(void *p, void *c)
{
	struct uctx *u = p;
	size_t len = u->session_cap;

	while (ussl_conn_get_session(c, u->session, &len) != 0) {
		if (len <= u->session_cap)
			bu_die("the connection has no session to resume");
		free(u->session);
		if ((u->session = malloc(len)) == NULL)
			bu_die("out of memory");
		u->session_cap = len;
	}
	u->session_len = len;
}

static void offer_session(void *p, void *c)
{
	struct uctx *u = p;

	if (ussl_conn_set_session(c, u->session, u->session_len) != USSL_OK)
		die_conn(c, "set session");
}

static int reused(void *c)
{
	return ussl_conn_session_reused(c);
}

static const bu_ops ops = {
	.impl = "ussl-c",
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
