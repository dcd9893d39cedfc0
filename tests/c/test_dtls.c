/*
 * test_dtls.c - DTLS 1.2 over an in-memory datagram link (queues of
 * whole datagrams with loss, duplication, damage and a send that would
 * block) and over connected UDP sockets: the cookie turn and its
 * binding to the client id, a client that never returns the cookie,
 * retransmission after lost flights driven by ussl_conn_timeout_ms(),
 * replayed and altered records dropped while the connection goes on,
 * one record per datagram, and the argument checks.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

/* ---------------------------------------------------------------------- */
/* A datagram link                                                         */

#define QMAX 64
#define DMAX 20000

typedef struct dq {
	unsigned char *d[QMAX];
	size_t len[QMAX];
	int n;
} dq;

typedef struct dlink {
	dq q[2];                /* [0]: to the server, [1]: to the client */
	int drop[2];            /* drop the next this many datagrams sent by
	                           [0] client, [1] server */
	int block[2];           /* the next send of that end would block */
	int sends[2];           /* datagrams each end sent */
	size_t short_send;      /* a send takes only this many bytes */
} dlink;

typedef struct dend {
	dlink *l;
	int is_client;
} dend;

static void dq_put(dq *q, const unsigned char *b, size_t len)
{
	if (q->n == QMAX)
		return;     /* a full queue loses datagrams, like a network */
	q->d[q->n] = malloc(len ? len : 1);
	memcpy(q->d[q->n], b, len);
	q->len[q->n++] = len;
}

static void dq_clear(dq *q)
{
	while (q->n > 0)
		free(q->d[--q->n]);
}

static long d_send(void *arg, const unsigned char *buf, size_t len, int *err)
{
	dend *e = arg;
	int me = e->is_client ? 0 : 1;

	(void)err;
	if (e->l->block[me]) {
		e->l->block[me]--;
		return USSL_WANT_WRITE;
	}
	e->l->sends[me]++;
	if (e->l->short_send && len > e->l->short_send)
		return (long)e->l->short_send;
	if (e->l->drop[me] > 0) {
		e->l->drop[me]--;
		return (long)len;
	}
	dq_put(&e->l->q[me], buf, len);
	return (long)len;
}

static long d_recv(void *arg, unsigned char *buf, size_t len, int *err)
{
	dend *e = arg;
	dq *q = &e->l->q[e->is_client ? 1 : 0];
	size_t n;
	int i;

	(void)err;
	if (q->n == 0)
		return USSL_WANT_READ;
	n = q->len[0] < len ? q->len[0] : len;
	memcpy(buf, q->d[0], n);
	free(q->d[0]);
	for (i = 1; i < q->n; i++) {
		q->d[i - 1] = q->d[i];
		q->len[i - 1] = q->len[i];
	}
	q->n--;
	return (long)n;
}

static dend cend, send_;

static void attach(ussl_conn *c, ussl_conn *s, dlink *l)
{
	ussl_transport t;

	memset(l, 0, sizeof(*l));
	cend.l = send_.l = l;
	cend.is_client = 1;
	send_.is_client = 0;
	t.send = d_send;
	t.recv = d_recv;
	t.arg = &cend;
	ussl_conn_set_transport(c, &t);
	t.arg = &send_;
	if (s != NULL)
		ussl_conn_set_transport(s, &t);
}

static ussl_ctx *sctx, *cctx;

static ussl_conn *new_server(const char *id)
{
	ussl_conn *s = ussl_conn_new(sctx, NULL, NULL);

	CHECK(s != NULL);
	if (id != NULL)
		CHECK(ussl_conn_set_client_id(s, id, strlen(id)) == USSL_OK);
	return s;
}

static void msleep(int ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

/*
 * Run both handshakes.  A HelloVerifyRequest on the server is counted
 * and the same connection goes on.  When nothing moves, wait for the
 * nearer retransmission timer (the test sleeps; the library never does).
 * Returns 0 when both are done.
 */
static int pair(ussl_conn *c, ussl_conn *s, int *hvr, int max_wait_ms)
{
	int rc = -9, rs = -9, i, tc, ts, t, waited = 0;

	for (i = 0; i < 2000; i++) {
		if (rc != USSL_OK)
			rc = ussl_handshake(c);
		if (rs != USSL_OK) {
			rs = ussl_handshake(s);
			if (rs == USSL_ERROR && ussl_conn_error(s)->code ==
			    USSL_E_HELLO_VERIFY) {
				(*hvr)++;
				rs = USSL_WANT_READ;
			}
		}
		if (rc == USSL_ERROR || rs == USSL_ERROR) {
			fprintf(stderr, "pair: %s / %s\n",
			    ussl_conn_error(c)->msg, ussl_conn_error(s)->msg);
			return -1;
		}
		if (rc == USSL_OK && rs == USSL_OK)
			return 0;
		if (cend.l->q[0].n == 0 && cend.l->q[1].n == 0) {
			tc = rc == USSL_OK ? -1 : ussl_conn_timeout_ms(c);
			ts = rs == USSL_OK ? -1 : ussl_conn_timeout_ms(s);
			t = tc < 0 ? ts : ts < 0 ? tc : tc < ts ? tc : ts;
			if (t < 0 || waited + t > max_wait_ms)
				return -2;
			msleep(t + 5);
			waited += t + 5;
		}
	}
	return -3;
}

static void test_basic(void)
{
	ussl_conn *c, *s;
	dlink l;
	unsigned char buf[256];
	int hvr = 0, sends;

	c = ussl_conn_new(cctx, "localhost", NULL);
	s = new_server("10.0.0.1:5000");
	attach(c, s, &l);
	CHECK(ussl_conn_timeout_ms(c) == -1);
	CHECK(pair(c, s, &hvr, 0) == 0);
	CHECK(hvr == 1);
	CHECK(ussl_conn_version(c) != NULL &&
	    strcmp(ussl_conn_version(c), "DTLSv1.2") == 0);
	CHECK(ussl_conn_peer_verified(c) == 1);
	/* One write, one datagram, one read. */
	sends = l.sends[0];
	CHECK(ussl_write(c, "hello", 5) == 5);
	CHECK(ussl_write(c, "world", 5) == 5);
	CHECK(l.sends[0] == sends + 2);
	CHECK(ussl_read(s, buf, sizeof(buf)) == 5 && memcmp(buf, "hello", 5) == 0);
	CHECK(ussl_read(s, buf, sizeof(buf)) == 5 && memcmp(buf, "world", 5) == 0);
	CHECK(ussl_read(s, buf, sizeof(buf)) == USSL_WANT_READ);
	CHECK(ussl_write(s, "back", 4) == 4);
	CHECK(ussl_read(c, buf, sizeof(buf)) == 4 && memcmp(buf, "back", 4) == 0);
	/* A write larger than a record: refused whole, not fatal. */
	{
		static unsigned char big[DMAX];

		CHECK(ussl_write(c, big, sizeof(big)) == USSL_ERROR);
		CHECK(ussl_conn_error(c)->code == USSL_E_BADARG);
		CHECK(ussl_write(c, "ok", 2) == 2);
		CHECK(ussl_read(s, buf, sizeof(buf)) == 2);
	}
	/* close_notify reaches the peer. */
	CHECK(ussl_close(c) == USSL_OK);
	CHECK(ussl_read(s, buf, sizeof(buf)) == 0);
	ussl_conn_free(c);
	ussl_conn_free(s);
	dq_clear(&l.q[0]);
	dq_clear(&l.q[1]);
}

/* Replayed and altered records are dropped; the connection goes on. */
static void test_replay_alter(void)
{
	ussl_conn *c, *s;
	dlink l;
	unsigned char buf[256];
	int hvr = 0;

	c = ussl_conn_new(cctx, "localhost", NULL);
	s = new_server("client-a");
	attach(c, s, &l);
	CHECK(pair(c, s, &hvr, 0) == 0);
	CHECK(ussl_write(c, "one", 3) == 3);
	CHECK(l.q[0].n == 1);
	/* Duplicate it: the copy is a replay. */
	dq_put(&l.q[0], l.q[0].d[0], l.q[0].len[0]);
	CHECK(ussl_read(s, buf, sizeof(buf)) == 3);
	CHECK(ussl_read(s, buf, sizeof(buf)) == USSL_WANT_READ);
	/* Alter a byte of the ciphertext: dropped. */
	CHECK(ussl_write(c, "two", 3) == 3);
	l.q[0].d[0][l.q[0].len[0] - 1] ^= 0x01;
	CHECK(ussl_read(s, buf, sizeof(buf)) == USSL_WANT_READ);
	CHECK(ussl_conn_error(s)->code == USSL_E_NONE);
	/* Alter the header's length: dropped too. */
	CHECK(ussl_write(c, "three", 5) == 5);
	l.q[0].d[0][12] ^= 0x40;
	CHECK(ussl_read(s, buf, sizeof(buf)) == USSL_WANT_READ);
	/* Garbage datagrams, an empty one. */
	dq_put(&l.q[0], (const unsigned char *)"\x17\xfe\xfd junk", 9);
	dq_put(&l.q[0], (const unsigned char *)"", 0);
	CHECK(ussl_read(s, buf, sizeof(buf)) == USSL_WANT_READ);
	/* Still alive. */
	CHECK(ussl_write(c, "four", 4) == 4);
	CHECK(ussl_read(s, buf, sizeof(buf)) == 4 && memcmp(buf, "four", 4) == 0);
	CHECK(ussl_write(s, "ack", 3) == 3);
	CHECK(ussl_read(c, buf, sizeof(buf)) == 3);
	ussl_conn_free(c);
	ussl_conn_free(s);
	dq_clear(&l.q[0]);
	dq_clear(&l.q[1]);
}

/* Lost flights are resent when the timer fires. */
static void test_loss(void)
{
	ussl_conn *c, *s;
	dlink l;
	unsigned char buf[64];
	int hvr = 0, t;

	c = ussl_conn_new(cctx, "localhost", NULL);
	s = new_server("client-b");
	attach(c, s, &l);
	/* The first ClientHello is lost. */
	l.drop[0] = 1;
	CHECK(ussl_handshake(c) == USSL_WANT_READ);
	CHECK(l.q[0].n == 0);
	t = ussl_conn_timeout_ms(c);
	CHECK(t > 0 && t <= 1000);
	/* Called again before the timer fires: nothing is resent. */
	CHECK(ussl_handshake(c) == USSL_WANT_READ);
	CHECK(l.q[0].n == 0);
	msleep(t + 10);
	CHECK(ussl_conn_timeout_ms(c) == 0);
	CHECK(ussl_handshake(c) == USSL_WANT_READ);
	CHECK(l.q[0].n == 1);
	/* Then the server's first real flight is lost as well. */
	CHECK(ussl_handshake(s) == USSL_ERROR);   /* cookie turn */
	CHECK(ussl_conn_error(s)->code == USSL_E_HELLO_VERIFY);
	CHECK(ussl_handshake(c) == USSL_WANT_READ);
	l.drop[1] = 3;
	CHECK(pair(c, s, &hvr, 10000) == 0);
	CHECK(ussl_write(c, "x", 1) == 1);
	CHECK(ussl_read(s, buf, sizeof(buf)) == 1);
	ussl_conn_free(c);
	ussl_conn_free(s);
	dq_clear(&l.q[0]);
	dq_clear(&l.q[1]);
}

/* A client that never returns the cookie gets HelloVerifyRequests only;
   a cookie made for one client id is refused for another. */
static void test_cookie(void)
{
	ussl_conn *c, *s, *s2;
	dlink l;
	unsigned char hello[DMAX];
	size_t hello_len;
	int i, sends;

	c = ussl_conn_new(cctx, "localhost", NULL);
	s = new_server("client-c");
	attach(c, s, &l);
	CHECK(ussl_handshake(c) == USSL_WANT_READ);
	CHECK(l.q[0].n == 1);
	hello_len = l.q[0].len[0];
	memcpy(hello, l.q[0].d[0], hello_len);
	for (i = 0; i < 5; i++) {
		/* The same cookie-less ClientHello again and again. */
		if (i > 0)
			dq_put(&l.q[0], hello, hello_len);
		sends = l.sends[1];
		CHECK(ussl_handshake(s) == USSL_ERROR);
		CHECK(ussl_conn_error(s)->code == USSL_E_HELLO_VERIFY);
		CHECK(l.sends[1] == sends + 1);    /* one HelloVerifyRequest */
		CHECK(ussl_conn_timeout_ms(s) == -1);   /* no state kept */
		CHECK(!ussl_handshake_done(s));
	}
	dq_clear(&l.q[1]);
	/* The client's answer to the first HelloVerifyRequest ... */
	dq_put(&l.q[0], hello, hello_len);
	CHECK(ussl_handshake(s) == USSL_ERROR);
	CHECK(l.q[1].n == 1);
	CHECK(ussl_handshake(c) == USSL_WANT_READ);
	CHECK(l.q[0].n == 1);     /* ClientHello with the cookie */
	/* ... taken to a server connection of another client id: refused. */
	s2 = new_server("client-d");
	ussl_conn_set_transport(s2, &(ussl_transport){ &send_, d_send, d_recv });
	sends = l.sends[1];
	CHECK(ussl_handshake(s2) == USSL_ERROR);
	CHECK(ussl_conn_error(s2)->code == USSL_E_HELLO_VERIFY);
	CHECK(l.sends[1] == sends + 1);
	ussl_conn_free(s2);
	/* From the same context with the right id (a new connection, as a
	   stateless server makes): accepted. */
	ussl_conn_free(s);
	dq_clear(&l.q[1]);
	CHECK(ussl_handshake(c) == USSL_WANT_READ);
	msleep(ussl_conn_timeout_ms(c) + 10);
	CHECK(ussl_handshake(c) == USSL_WANT_READ);    /* resent */
	s = new_server("client-c");
	ussl_conn_set_transport(s, &(ussl_transport){ &send_, d_send, d_recv });
	{
		int hvr = 0;

		/* the oldest queued ClientHello is the one with the cookie */
		CHECK(pair(c, s, &hvr, 5000) == 0);
		CHECK(hvr == 0);
	}
	ussl_conn_free(c);
	ussl_conn_free(s);
	dq_clear(&l.q[0]);
	dq_clear(&l.q[1]);
}

/* A datagram the transport would not take is kept whole and sent later;
   a transport that takes part of one breaks the contract. */
static void test_blocked_send(void)
{
	ussl_conn *c, *s;
	dlink l;
	unsigned char buf[64];
	int hvr = 0;

	c = ussl_conn_new(cctx, "localhost", NULL);
	s = new_server("client-e");
	attach(c, s, &l);
	/* Sends that would block during the handshake: the flights still
	   go out, datagram by datagram. */
	l.block[0] = 2;
	l.block[1] = 3;
	CHECK(pair(c, s, &hvr, 5000) == 0);
	CHECK(l.block[0] == 0 && l.block[1] == 0);
	/* The send in the write and the one right after it block. */
	l.block[0] = 2;
	CHECK(ussl_write(c, "kept", 4) == 4);
	CHECK(l.q[0].n == 0);
	CHECK(ussl_flush(c) == USSL_OK);
	CHECK(l.q[0].n == 1);
	CHECK(ussl_read(s, buf, sizeof(buf)) == 4 && memcmp(buf, "kept", 4) == 0);
	l.short_send = 10;
	CHECK(ussl_write(c, "0123456789abcdef", 16) == USSL_ERROR);
	CHECK(ussl_conn_error(c)->code == USSL_E_IO);
	CHECK(ussl_conn_error(c)->sys_errno == EMSGSIZE);
	ussl_conn_free(c);
	ussl_conn_free(s);
	dq_clear(&l.q[0]);
	dq_clear(&l.q[1]);
}

static void test_args(void)
{
	ussl_conn *c, *s;
	ussl_ctx *dup;
	dlink l;
	unsigned char buf[8];

	CHECK(ussl_ctx_dtls(sctx) == 1 && ussl_ctx_dtls(cctx) == 1);
	CHECK(ussl_ctx_role(sctx) == USSL_SERVER);
	dup = ussl_ctx_dup(cctx);
	CHECK(dup != NULL && ussl_ctx_dtls(dup) == 1);
	CHECK(ussl_ctx_set_versions(dup, USSL_TLS1_2, USSL_TLS1_3) ==
	    USSL_ERROR);
	CHECK(ussl_ctx_error(dup)->code == USSL_E_BADARG);
	CHECK(ussl_ctx_set_versions(dup, USSL_TLS1_2, USSL_TLS1_2) ==
	    USSL_OK);
	ussl_ctx_free(dup);
	/* A server without the client's address: refused, not fatal. */
	c = ussl_conn_new(cctx, "localhost", NULL);
	s = new_server(NULL);
	attach(c, s, &l);
	CHECK(ussl_handshake(c) == USSL_WANT_READ);
	CHECK(ussl_handshake(s) == USSL_ERROR);
	CHECK(ussl_conn_error(s)->code == USSL_E_BADARG);
	CHECK(ussl_conn_set_client_id(s, "", 0) == USSL_ERROR);
	CHECK(ussl_conn_set_client_id(c, "x", 1) == USSL_ERROR);
	CHECK(ussl_conn_set_client_id(s, "x", 1) == USSL_OK);
	CHECK(ussl_handshake(s) == USSL_ERROR);
	CHECK(ussl_conn_error(s)->code == USSL_E_HELLO_VERIFY);
	CHECK(ussl_read(c, buf, sizeof(buf)) == USSL_WANT_READ);
	CHECK(ussl_read(s, buf, sizeof(buf)) == USSL_WANT_READ);
	CHECK(ussl_read(c, buf, sizeof(buf)) == USSL_WANT_READ);
	CHECK(ussl_read(s, buf, sizeof(buf)) == USSL_WANT_READ);
	CHECK(ussl_read(c, buf, sizeof(buf)) == USSL_WANT_READ);
	CHECK(ussl_handshake_done(c) && ussl_handshake_done(s));
	CHECK(ussl_conn_set_client_id(s, "y", 1) == USSL_ERROR);
	ussl_conn_free(c);
	ussl_conn_free(s);
	dq_clear(&l.q[0]);
	dq_clear(&l.q[1]);
	/* TLS connections have no timer. */
	{
		ussl_ctx *t = ussl_ctx_new(USSL_CLIENT);

		CHECK(ussl_ctx_dtls(t) == 0);
		CHECK(ussl_ctx_set_verify(t, USSL_VERIFY_NONE) == USSL_OK);
		c = ussl_conn_new(t, NULL, NULL);
		CHECK(ussl_conn_timeout_ms(c) == -1);
		CHECK(ussl_conn_set_client_id(c, "x", 1) == USSL_ERROR);
		ussl_conn_free(c);
		ussl_ctx_free(t);
	}
}

/* Connected UDP sockets through ussl_conn_set_fd(); the server's client
   id comes from the socket's peer address. */
static void test_udp(void)
{
	struct sockaddr_in a, b;
	socklen_t n = sizeof(a);
	int fc, fs, rc = -9, rs = -9, i, hvr = 0;
	ussl_conn *c, *s;
	unsigned char buf[64];

	fc = socket(AF_INET, SOCK_DGRAM, 0);
	fs = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	b = a;
	CHECK(bind(fc, (struct sockaddr *)&a, sizeof(a)) == 0);
	CHECK(bind(fs, (struct sockaddr *)&b, sizeof(b)) == 0);
	CHECK(getsockname(fc, (struct sockaddr *)&a, &n) == 0);
	n = sizeof(b);
	CHECK(getsockname(fs, (struct sockaddr *)&b, &n) == 0);
	CHECK(connect(fc, (struct sockaddr *)&b, sizeof(b)) == 0);
	CHECK(connect(fs, (struct sockaddr *)&a, sizeof(a)) == 0);
	c = ussl_conn_new(cctx, "localhost", NULL);
	s = ussl_conn_new(sctx, NULL, NULL);
	ussl_conn_set_fd_flags(c, fc, USSL_FD_DONTWAIT);
	ussl_conn_set_fd_flags(s, fs, USSL_FD_DONTWAIT);
	for (i = 0; i < 200 && (rc != USSL_OK || rs != USSL_OK); i++) {
		if (rc != USSL_OK)
			rc = ussl_handshake(c);
		if (rs != USSL_OK) {
			rs = ussl_handshake(s);
			if (rs == USSL_ERROR && ussl_conn_error(s)->code ==
			    USSL_E_HELLO_VERIFY) {
				hvr++;
				rs = USSL_WANT_READ;
			}
		}
		if (rc == USSL_ERROR || rs == USSL_ERROR)
			break;
		if (rc != USSL_OK)
			ussl_fd_wait(fc, USSL_WANT_READ, 20);
	}
	CHECK(rc == USSL_OK && rs == USSL_OK);
	CHECK(hvr == 1);
	CHECK(ussl_write(c, "udp", 3) == 3);
	CHECK(ussl_fd_wait(fs, USSL_WANT_READ, 1000) == 1);
	CHECK(ussl_read(s, buf, sizeof(buf)) == 3);
	ussl_conn_free(c);
	ussl_conn_free(s);
	close(fc);
	close(fs);
}

int main(void)
{
	ussl_error err;

	sctx = ussl_ctx_new(USSL_SERVER | USSL_DTLS);
	cctx = ussl_ctx_new(USSL_CLIENT | USSL_DTLS);
	CHECK(sctx != NULL && cctx != NULL);
	if (sctx == NULL || cctx == NULL)
		return tu_report("test_dtls");
	CHECK(ussl_ctx_use_cert_chain_file(sctx, tu_cert("server-ec-chain.pem"),
	    tu_cert("server-ec.key"), NULL) == USSL_OK);
	CHECK(ussl_ctx_add_ca_file(cctx, tu_cert("ca.pem")) == USSL_OK);
	(void)err;
	test_args();
	test_basic();
	test_replay_alter();
	test_cookie();
	test_blocked_send();
	test_udp();
	test_loss();
	ussl_ctx_free(sctx);
	ussl_ctx_free(cctx);
	return tu_report("test_dtls");
}
