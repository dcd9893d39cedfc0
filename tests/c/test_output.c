/*
 * test_output.c - the write rule (ussl.h, "Output"): a write that the
 * transport stops taking at any byte of a record, by would-block or by a
 * timeout, is followed by writes of other data, reads and flushes; the
 * peer must receive exactly the bytes ussl_write() accepted, in order.
 * TLS 1.2 and 1.3, single- and multi-record writes, whichever engine the
 * build has.  Also: fatal errors stay sticky after ussl_close().
 * (A peer's alert that wins over a failed send: test_alerts.c.)
 */
#include <string.h>

#include "testutil.h"

static ussl_ctx *sctx, *cctx[2];

/* The stream the server must receive: every byte the client's writes
   accepted. */
typedef struct stream {
	unsigned char *buf;
	size_t len, cap;
} stream;

static void expect(stream *s, const unsigned char *p, size_t n)
{
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2;
		s->buf = realloc(s->buf, s->cap);
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
}

static unsigned seed_state = 12345;

static void fill(unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed_state = seed_state * 1103515245u + 12345u;
		p[i] = (unsigned char)(seed_state >> 16);
	}
}

/* Read what the server has; the bytes must continue the expected
   stream.  Returns 0 when all was read, 1 at close_notify, -1 on a
   mismatch or failure. */
static int drain(ussl_conn *s, const stream *want, size_t *got)
{
	unsigned char buf[4096];
	long n;
	int i;

	for (i = 0; i < 100000; i++) {
		n = ussl_read(s, buf, sizeof(buf));
		if (n == USSL_WANT_READ)
			return 0;
		if (n == 0)
			return 1;        /* close_notify */
		if (n < 0) {
			fprintf(stderr, "server read: %ld %s\n", n,
			    ussl_conn_error(s)->msg);
			return -1;
		}
		if (*got + (size_t)n > want->len ||
		    memcmp(buf, want->buf + *got, (size_t)n) != 0) {
			fprintf(stderr, "server received bytes that were not "
			    "accepted (at %zu, %ld bytes)\n", *got, n);
			return -1;
		}
		*got += (size_t)n;
	}
	return -1;
}

static int pair(mt_link *l, int tls13, ussl_conn **c, ussl_conn **s)
{
	ussl_error err;

	mt_link_init(l);
	*c = ussl_conn_new(cctx[tls13], "localhost", &err);
	*s = ussl_conn_new(sctx, NULL, &err);
	if (*c == NULL || *s == NULL)
		return -1;
	mt_attach(*c, l, 1);
	mt_attach(*s, l, 0);
	return mt_handshake_pair(*c, *s, 1000);
}

/* What a write that accepted nothing returns in this mode. */
static int blocked(ussl_conn *c, long r, int timeout)
{
	if (timeout)
		return r == USSL_ERROR &&
		    ussl_conn_error(c)->code == USSL_E_TIMEOUT;
	return r == USSL_WANT_WRITE;
}

/*
 * One connection; for every budget k from 0 to the size of a record and
 * a bit more: the transport takes k bytes and then blocks (or times out).
 * Write A (one record), then B (other data: must be refused while the
 * rest of A waits, or accepted if A went out), read on the client, then
 * open the transport and write C.  The server checks every byte.
 */
static void single_records(int tls13, int timeout, size_t size)
{
	mt_link l;
	ussl_conn *c, *s;
	stream want = { NULL, 0, 0 };
	unsigned char a[2048], b[2048], cbuf[2048], rd[64];
	size_t got = 0, k, wire;
	long r;
	int ok = 1;

	CHECK(pair(&l, tls13, &c, &s) == 0);
	/* Tickets and the like first. */
	CHECK(ussl_read(c, rd, sizeof(rd)) == USSL_WANT_READ);
	/* The size of one record on the wire. */
	fill(a, size);
	wire = l.sent_client;
	CHECK(ussl_write(c, a, size) == (long)size);
	wire = l.sent_client - wire;
	expect(&want, a, size);
	CHECK(drain(s, &want, &got) == 0);
	CHECK(wire > size && wire < size + 64);
	l.block_timeout = timeout;
	for (k = 0; k <= wire + 2 && ok; k++) {
		fill(a, size);
		fill(b, size);
		fill(cbuf, size);
		l.budget_client = k;
		r = ussl_write(c, a, size);
		/* Accepted whole, whether or not the transport took it. */
		CHECK(r == (long)size);
		if (r != (long)size) {
			fprintf(stderr, "k %zu: write returned %ld (%s)\n", k,
			    r, ussl_conn_error(c)->msg);
			ok = 0;
			break;
		}
		expect(&want, a, size);
		r = ussl_write(c, b, size / 2 + 1);
		if (k < wire) {
			/* The rest of A waits: B is refused, nothing taken. */
			CHECK(blocked(c, r, timeout));
			if (!blocked(c, r, timeout)) {
				fprintf(stderr, "k %zu: second write returned "
				    "%ld (%s)\n", k, r,
				    ussl_conn_error(c)->msg);
				ok = 0;
			}
			/* A read with nothing to read asks to write. */
			r = ussl_read(c, rd, sizeof(rd));
			CHECK(r == USSL_WANT_WRITE || (timeout && r ==
			    USSL_ERROR && ussl_conn_error(c)->code ==
			    USSL_E_TIMEOUT));
			/* The server sees only what went out, in order. */
			CHECK(drain(s, &want, &got) == 0);
			if (k % 2)
				CHECK(blocked(c, ussl_flush(c), timeout));
		} else if (r > 0) {
			expect(&want, b, (size_t)r);
		} else {
			CHECK(blocked(c, r, timeout));
		}
		l.budget_client = MT_UNLIMITED;
		if (k % 3 == 0)
			CHECK(ussl_flush(c) == USSL_OK);
		r = ussl_write(c, cbuf, size);
		CHECK(r == (long)size);
		if (r > 0)
			expect(&want, cbuf, (size_t)r);
		CHECK(drain(s, &want, &got) == 0);
		CHECK(got == want.len);
		if (got != want.len)
			ok = 0;
	}
	/* A clean end: close_notify after everything. */
	CHECK(ussl_close(c) == USSL_OK);
	CHECK(drain(s, &want, &got) == 1);
	CHECK(got == want.len);
	ussl_conn_free(c);
	ussl_conn_free(s);
	mt_link_free(&l);
	free(want.buf);
}

/*
 * Large writes (several records, gathered on some engines) cut at
 * assorted budgets, with reads from the server in between and the
 * server writing to the client: what the client's writes return is
 * exactly what arrives.
 */
static void large_writes(int tls13, int timeout)
{
	static unsigned char data[100000], back[3000];
	mt_link l;
	ussl_conn *c, *s;
	stream want = { NULL, 0, 0 };
	size_t got = 0, k, len;
	unsigned char rd[4096];
	long r;
	int i;

	CHECK(pair(&l, tls13, &c, &s) == 0);
	l.block_timeout = timeout;
	for (i = 0; i < 40; i++) {
		k = (size_t)i * 2711 % 70000;
		len = 1 + (size_t)i * 7919 % (sizeof(data) - 1);
		fill(data, len);
		l.budget_client = k;
		r = ussl_write(c, data, len);
		if (r > 0) {
			CHECK((size_t)r <= len);
			expect(&want, data, (size_t)r);
		} else {
			CHECK(blocked(c, r, timeout));
		}
		/* The server talks meanwhile; the client reads it while its
		   own output waits. */
		fill(back, sizeof(back));
		CHECK(ussl_write(s, back, sizeof(back)) ==
		    (long)sizeof(back));
		r = ussl_read(c, rd, sizeof(rd));
		CHECK(r > 0 || r == USSL_WANT_WRITE || r == USSL_WANT_READ ||
		    (timeout && r == USSL_ERROR &&
		    ussl_conn_error(c)->code == USSL_E_TIMEOUT));
		while ((r = ussl_read(c, rd, sizeof(rd))) > 0)
			;
		CHECK(drain(s, &want, &got) == 0);
		l.budget_client = MT_UNLIMITED;
	}
	CHECK(ussl_flush(c) == USSL_OK);
	CHECK(drain(s, &want, &got) == 0);
	CHECK(got == want.len);
	ussl_conn_free(c);
	ussl_conn_free(s);
	mt_link_free(&l);
	free(want.buf);
}

/* close_notify that the transport does not take at once: ussl_close
   says so, and completes later; the server then sees the clean end. */
static void close_blocked(int tls13)
{
	mt_link l;
	ussl_conn *c, *s;
	unsigned char buf[100];
	long r;

	CHECK(pair(&l, tls13, &c, &s) == 0);
	/* ussl_handshake on an open connection sends what waits, too. */
	l.budget_client = 2;
	CHECK(ussl_write(c, "hello", 5) == 5);
	CHECK(ussl_handshake(c) == USSL_WANT_WRITE);
	l.budget_client = MT_UNLIMITED;
	CHECK(ussl_handshake(c) == USSL_OK);
	CHECK(ussl_read(s, buf, sizeof(buf)) == 5);
	CHECK(ussl_write(c, "hello", 5) == 5);
	l.budget_client = 3;
	CHECK(ussl_close(c) == USSL_WANT_WRITE);
	CHECK(ussl_write(c, "x", 1) == USSL_ERROR &&
	    ussl_conn_error(c)->code == USSL_E_CLOSED);
	l.budget_client = MT_UNLIMITED;
	CHECK(ussl_close(c) == USSL_OK);
	CHECK(ussl_read(s, buf, sizeof(buf)) == 5);
	while ((r = ussl_read(s, buf, sizeof(buf))) == USSL_WANT_READ)
		;
	CHECK(r == 0);
	ussl_conn_free(c);
	ussl_conn_free(s);
	mt_link_free(&l);
}

/* A fatal error stays, with its message, after ussl_close(). */
static void sticky_after_close(int tls13)
{
	mt_link l;
	ussl_conn *c, *s;
	unsigned char buf[100];
	char msg[256];
	long r;

	CHECK(pair(&l, tls13, &c, &s) == 0);
	l.fin_server = 1;        /* the server's FIN, no close_notify */
	while ((r = ussl_read(c, buf, sizeof(buf))) > 0)
		;
	CHECK(r == USSL_ERROR &&
	    ussl_conn_error(c)->code == USSL_E_TRUNCATED);
	snprintf(msg, sizeof(msg), "%s", ussl_conn_error(c)->msg);
	CHECK(msg[0] != '\0');
	CHECK(ussl_close(c) == USSL_OK);
	CHECK(ussl_conn_error(c)->code == USSL_E_TRUNCATED);
	CHECK(ussl_read(c, buf, sizeof(buf)) == USSL_ERROR);
	CHECK(ussl_conn_error(c)->code == USSL_E_TRUNCATED);
	CHECK(strcmp(ussl_conn_error(c)->msg, msg) == 0);
	CHECK(ussl_write(c, "x", 1) == USSL_ERROR &&
	    ussl_conn_error(c)->code == USSL_E_TRUNCATED);
	CHECK(ussl_handshake(c) == USSL_ERROR &&
	    ussl_conn_error(c)->code == USSL_E_TRUNCATED);
	CHECK(ussl_flush(c) == USSL_ERROR &&
	    ussl_conn_error(c)->code == USSL_E_TRUNCATED);
	CHECK(ussl_close(c) == USSL_OK);
	CHECK(ussl_read(c, buf, sizeof(buf)) == USSL_ERROR &&
	    ussl_conn_error(c)->code == USSL_E_TRUNCATED &&
	    strcmp(ussl_conn_error(c)->msg, msg) == 0);
	ussl_conn_free(c);
	ussl_conn_free(s);
	mt_link_free(&l);
}

int main(void)
{
	int v, timeout;

	sctx = tu_server_ctx("server-ec-chain.pem", "server-ec.key",
	    USSL_VERIFY_NONE);
	CHECK(ussl_ctx_set_tickets(sctx, 3600) == USSL_OK);
	for (v = 0; v < 2; v++) {
		cctx[v] = tu_client_ctx("ca.pem", USSL_VERIFY_REQUIRED);
		CHECK(ussl_ctx_set_versions(cctx[v], USSL_TLS1_2,
		    v ? USSL_TLS1_3 : USSL_TLS1_2) == USSL_OK);
	}
	for (v = 0; v < 2; v++) {
		for (timeout = 0; timeout < 2; timeout++) {
			single_records(v, timeout, 300);
			single_records(v, timeout, 1);
			large_writes(v, timeout);
		}
		close_blocked(v);
		sticky_after_close(v);
	}
	for (v = 0; v < 2; v++)
		ussl_ctx_free(cctx[v]);
	ussl_ctx_free(sctx);
	return tu_report("test_output");
}
