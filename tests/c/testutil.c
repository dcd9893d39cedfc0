/*
 * testutil.c - helpers of the C tests: in-memory transport (with an
 * optional limit on bytes per call, to exercise partial I/O), context
 * builders from the generated test PKI, and a handshake pump.
 */
#include <string.h>

#include "testutil.h"

int tu_failures;
int tu_checks;

const char *tu_cert(const char *name)
{
	static char path[4][1024];
	static int slot;
	const char *dir = getenv("USSL_TEST_CERTS");

	slot = (slot + 1) % 4;
	snprintf(path[slot], sizeof(path[slot]), "%s/%s",
	    dir ? dir : "test-certs", name);
	return path[slot];
}

unsigned char *tu_read(const char *name, size_t *len)
{
	FILE *f = fopen(tu_cert(name), "rb");
	unsigned char *buf;
	long n;

	if (f == NULL) {
		fprintf(stderr, "cannot open %s\n", tu_cert(name));
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
		exit(2);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

void tu_link_init(tu_link *l, int chunk)
{
	memset(l, 0, sizeof(*l));
	l->chunk = chunk;
}

void tu_link_free(tu_link *l)
{
	free(l->c2s.buf);
	free(l->s2c.buf);
}

void tu_fin(tu_link *l, int from_client)
{
	(from_client ? &l->c2s : &l->s2c)->closed = 1;
}

struct end {
	tu_link *l;
	int client;
};

static struct end ends[64][2];
static int nends;

static size_t limit(const tu_link *l, size_t len)
{
	return l->chunk > 0 && len > (size_t)l->chunk ? (size_t)l->chunk : len;
}

static long p_send(void *arg, const unsigned char *buf, size_t len, int *err)
{
	struct end *e = arg;
	tu_pipe *p = e->client ? &e->l->c2s : &e->l->s2c;

	(void)err;
	if (p->closed) {
		*err = 32; /* EPIPE */
		return USSL_ERROR;
	}
	len = limit(e->l, len);
	if (p->len + len > p->cap) {
		p->cap = (p->len + len) * 2;
		p->buf = realloc(p->buf, p->cap);
	}
	memcpy(p->buf + p->len, buf, len);
	p->len += len;
	return (long)len;
}

static long p_recv(void *arg, unsigned char *buf, size_t len, int *err)
{
	struct end *e = arg;
	tu_pipe *p = e->client ? &e->l->s2c : &e->l->c2s;

	(void)err;
	if (p->len == 0)
		return p->closed ? 0 : USSL_WANT_READ;
	len = limit(e->l, len);
	if (len > p->len)
		len = p->len;
	memcpy(buf, p->buf, len);
	memmove(p->buf, p->buf + len, p->len - len);
	p->len -= len;
	return (long)len;
}

void tu_attach(ussl_conn *conn, tu_link *l, int is_client)
{
	ussl_transport tr;
	struct end *e = &ends[nends++ % 64][0];

	e->l = l;
	e->client = is_client;
	tr.arg = e;
	tr.send = p_send;
	tr.recv = p_recv;
	ussl_conn_set_transport(conn, &tr);
}

int tu_handshake_pair(ussl_conn *c, ussl_conn *s)
{
	int rc = USSL_WANT_READ, rs = USSL_WANT_READ, i;

	for (i = 0; i < 1000; i++) {
		if (rc != USSL_OK)
			rc = ussl_handshake(c);
		if (rs != USSL_OK)
			rs = ussl_handshake(s);
		if (rc == USSL_ERROR || rs == USSL_ERROR)
			return -1;
		if (rc == USSL_OK && rs == USSL_OK)
			return 0;
	}
	return -1;
}

ussl_ctx *tu_server_ctx(const char *cert, const char *key, int verify)
{
	ussl_ctx *ctx = ussl_ctx_new(USSL_SERVER);

	if (ctx == NULL ||
	    ussl_ctx_use_cert_chain_file(ctx, tu_cert(cert),
	    key ? tu_cert(key) : NULL, NULL) != USSL_OK) {
		fprintf(stderr, "server ctx: %s\n",
		    ctx ? ussl_ctx_error(ctx)->msg : "NULL");
		exit(2);
	}
	if (verify != USSL_VERIFY_NONE &&
	    (ussl_ctx_add_ca_file(ctx, tu_cert("ca.pem")) != USSL_OK ||
	    ussl_ctx_set_verify(ctx, verify) != USSL_OK))
		exit(2);
	return ctx;
}

ussl_ctx *tu_client_ctx(const char *ca, int verify)
{
	ussl_ctx *ctx = ussl_ctx_new(USSL_CLIENT);

	if (ctx == NULL || ussl_ctx_set_verify(ctx, verify) != USSL_OK)
		exit(2);
	if (ca != NULL && ussl_ctx_add_ca_file(ctx, tu_cert(ca)) != USSL_OK) {
		fprintf(stderr, "client ctx: %s\n", ussl_ctx_error(ctx)->msg);
		exit(2);
	}
	return ctx;
}

int tu_report(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, tu_checks, tu_failures);
	return tu_failures ? 1 : 0;
}
