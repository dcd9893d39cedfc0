/*
 * test_park.c - the OpenSSL engine's record layer for parked connections
 * (src/openssl_record.c), attacked from the wire.  Every suite and both
 * versions: connections park, keep the negotiated parameters, carry data
 * byte-exact in every record size and transport cut, update keys both
 * ways (asked for or not, parked or not yet, before and after parking),
 * close with close_notify.  And what must fail does: every bit flipped in
 * a record, a replayed, reordered, dropped or cut record, a flood of
 * empty records; the reader reports it and the writer hears
 * bad_record_mac; random sequences of records of every kind, against a
 * model of what the reader must make of them (USSL_PARK_SEQUENCES, 300
 * by default).  On the mbedTLS engine there is nothing to test: the
 * program says so and is counted as skipped (77).
 */
#include <string.h>

#include "testutil.h"

#ifndef USSL_ENGINE_OPENSSL
int main(void)
{
	printf("test_park: OpenSSL engine only (skipped)\n");
	return 77;
}
#else
#include "openssl_engine.h"

static const char *const suites[] = {
	"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
	"TLS_CHACHA20_POLY1305_SHA256",
	"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
	"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
};
#define N_SUITES (sizeof(suites) / sizeof(suites[0]))

static ussl_ctx *sctx;

typedef struct pair {
	mt_link l;
	ussl_conn *c, *s;
} pair;

static int parked(const ussl_conn *c)
{
	return c->eng != NULL && c->eng->rec != NULL && c->eng->ssl == NULL;
}

static unsigned rnd_state = 4242;

static unsigned rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 16;
}

static void fill(unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)rnd();
}

/* A client context for one suite (TLS 1.3 suites: TLS 1.3 only). */
static ussl_ctx *client_ctx(const char *suite, int tickets)
{
	ussl_ctx *c = tu_client_ctx("ca.pem", USSL_VERIFY_REQUIRED);
	int v = strncmp(suite, "TLS_AES", 7) == 0 ||
	    strncmp(suite, "TLS_CHACHA", 10) == 0 ? USSL_TLS1_3 : USSL_TLS1_2;

	if (ussl_ctx_set_ciphers(c, &suite, 1) != USSL_OK ||
	    ussl_ctx_set_versions(c, v, v) != USSL_OK) {
		fprintf(stderr, "%s: %s\n", suite, ussl_ctx_error(c)->msg);
		exit(2);
	}
	if (!tickets)
		(void)ussl_ctx_set_session_cache(c, 0);
	return c;
}

static int open_pair(pair *p, ussl_ctx *cc, ussl_ctx *sc)
{
	ussl_error err;

	mt_link_init(&p->l);
	p->c = ussl_conn_new(cc, "localhost", &err);
	p->s = ussl_conn_new(sc, NULL, &err);
	if (p->c == NULL || p->s == NULL)
		return -1;
	mt_attach(p->c, &p->l, 1);
	mt_attach(p->s, &p->l, 0);
	return mt_handshake_pair(p->c, p->s, 1000);
}

static void close_pair(pair *p)
{
	ussl_conn_free(p->c);
	ussl_conn_free(p->s);
	mt_link_free(&p->l);
}

/* Write len bytes of buf at one end in pieces of at most piece bytes
   while the other reads them in pieces of at most rpiece; the bytes must
   arrive unchanged.  0 on success. */
static int move(ussl_conn *from, ussl_conn *to, const unsigned char *buf,
    size_t len, size_t piece, size_t rpiece)
{
	static unsigned char got[300000];
	size_t sent = 0, recvd = 0, n;
	long r;
	int i;

	for (i = 0; i < 2000000 && recvd < len; i++) {
		if (sent < len) {
			n = len - sent < piece ? len - sent : piece;
			r = ussl_write(from, buf + sent, n);
			if (r > 0)
				sent += (size_t)r;
			else if (r != USSL_WANT_WRITE && r != USSL_WANT_READ)
				return -1;
		} else if (ussl_flush(from) == USSL_ERROR) {
			return -1;
		}
		n = len - recvd < rpiece ? len - recvd : rpiece;
		r = ussl_read(to, got + recvd, n);
		if (r > 0)
			recvd += (size_t)r;
		else if (r != USSL_WANT_READ && r != USSL_WANT_WRITE) {
			fprintf(stderr, "read: %s\n", ussl_conn_error(to)->msg);
			return -1;
		}
	}
	return recvd == len && memcmp(got, buf, len) == 0 ? 0 : -1;
}

/* Every suite: parking, getters, data, key updates, close_notify. */
static void test_suites(void)
{
	static unsigned char big[250000], sess[8192];
	unsigned char b[16];
	size_t i, k, sl;
	ussl_ctx *cc;
	pair p;
	int tls13;

	fill(big, sizeof(big));
	for (i = 0; i < N_SUITES; i++) {
		cc = client_ctx(suites[i], 1);
		tls13 = i < 3;
		CHECK(open_pair(&p, cc, sctx) == 0);
		/* The server parks at once; a TLS 1.3 client once its ticket
		   came (with the first read), a TLS 1.2 one at once. */
		CHECK(parked(p.s));
		CHECK(parked(p.c) == !tls13);
		CHECK(move(p.s, p.c, big, 100, 100, 100) == 0);
		CHECK(parked(p.c));
		CHECK(strcmp(ussl_conn_cipher(p.c), suites[i]) == 0);
		CHECK(strcmp(ussl_conn_cipher(p.s), suites[i]) == 0);
		CHECK(strcmp(ussl_conn_version(p.c), tls13 ? "TLSv1.3" :
		    "TLSv1.2") == 0);
		CHECK(ussl_conn_cipher_bits(p.c) == (strstr(suites[i],
		    "AES_128") ? 128 : 256));
		CHECK(ussl_conn_peer_cert(p.c, &(const unsigned char *){0},
		    &(size_t){0}) == 0);
		/* The client's session is still there to take. */
		sl = 0;
		(void)ussl_conn_get_session(p.c, NULL, &sl);
		CHECK(sl > 0 && sl <= sizeof(sess) &&
		    ussl_conn_get_session(p.c, sess, &sl) == USSL_OK);
		/* Whole records, single bytes, odd sizes, both ways. */
		CHECK(move(p.c, p.s, big, sizeof(big), sizeof(big), 70000) ==
		    0);
		CHECK(move(p.s, p.c, big, sizeof(big), 16384, 5000) == 0);
		p.l.chunk = 1;
		CHECK(move(p.c, p.s, big, 40000, 3000, 7) == 0);
		p.l.chunk = 0;
		for (k = 0; k < 200; k++)
			CHECK(move(k % 2 ? p.c : p.s, k % 2 ? p.s : p.c,
			    big + k, 1 + rnd() % 600, 1 + rnd() % 600,
			    1 + rnd() % 600) == 0);
		/* Key updates, parked both: asked for or not, either side,
		   many, with data between. */
		for (k = 0; tls13 && k < 12; k++) {
			CHECK(oeng_key_update(k % 2 ? p.c : p.s, (int)(k / 2 % 2))
			    == USSL_OK);
			CHECK(move(k % 2 ? p.c : p.s, k % 2 ? p.s : p.c, big,
			    20000, 20000, 20000) == 0);
			CHECK(move(k % 2 ? p.s : p.c, k % 2 ? p.c : p.s, big,
			    20000, 20000, 20000) == 0);
		}
		/* TLS 1.2 has none. */
		if (!tls13)
			CHECK(oeng_key_update(p.c, 1) == USSL_ERROR);
		/* close_notify both ways; then reads say end of stream. */
		CHECK(ussl_close(p.c) == USSL_OK);
		CHECK(ussl_read(p.s, b, sizeof(b)) == 0);
		CHECK(ussl_close(p.s) == USSL_OK);
		CHECK(ussl_read(p.c, b, sizeof(b)) == 0);
		close_pair(&p);
		ussl_ctx_free(cc);
	}
}

/* Keys changed before parking: a TLS 1.3 client without a ticket stays
   on OpenSSL until it has read data; a key update the parked server
   asked for meanwhile is OpenSSL's to answer, and both ends' counts and
   secrets must still be right after the client parks. */
static void test_update_before_park(void)
{
	ussl_ctx *cc = client_ctx("TLS_AES_128_GCM_SHA256", 1);
	ussl_ctx *sc = tu_server_ctx("server-ec-chain.pem", "server-ec.key",
	    USSL_VERIFY_NONE);
	unsigned char d[5000];
	pair p;
	int k;

	fill(d, sizeof(d));
	CHECK(ussl_ctx_set_tickets(sc, 0) == USSL_OK);
	CHECK(open_pair(&p, cc, sc) == 0);
	CHECK(parked(p.s) && !parked(p.c));
	/* The client writes first: still not parked (no ticket, no data). */
	CHECK(move(p.c, p.s, d, 3000, 1000, 3000) == 0);
	CHECK(!parked(p.c));
	/* Parked server asks for an update and sends records under its new
	   key; OpenSSL reads them, owes an update, so does not park. */
	CHECK(oeng_key_update(p.s, 1) == USSL_OK);
	CHECK(move(p.s, p.c, d, 5000, 700, 5000) == 0);
	CHECK(!parked(p.c));
	/* Its next write carries the update: then it parks. */
	CHECK(move(p.c, p.s, d, 100, 100, 100) == 0);
	CHECK(parked(p.c));
	for (k = 0; k < 4; k++) {
		CHECK(oeng_key_update(k % 2 ? p.c : p.s, 1) == USSL_OK);
		CHECK(move(p.c, p.s, d, sizeof(d), 999, 4096) == 0);
		CHECK(move(p.s, p.c, d, sizeof(d), 4096, 999) == 0);
	}
	close_pair(&p);
	ussl_ctx_free(cc);
	ussl_ctx_free(sc);
}

/* The first record the client sends after both parked, as bytes on the
   wire (the link's c2s queue), with a fresh pair behind it. */
static int parked_pair_with_record(pair *p, ussl_ctx *cc,
    const unsigned char *msg, size_t n)
{
	unsigned char b[64] = "hello";

	if (open_pair(p, cc, sctx) != 0 || move(p->s, p->c, b, 10, 10, 10)
	    != 0 || !parked(p->c) || !parked(p->s))
		return -1;
	if (p->l.c2s.len != 0 || ussl_write(p->c, msg, n) != (long)n)
		return -1;
	return 0;
}

/* What the reader of a damaged stream must do: fail (or wait for bytes
   that never come), never hand out data. */
static int refused(pair *p, int expect_alert)
{
	unsigned char b[256];
	long r = ussl_read(p->s, b, sizeof(b));

	if (r > 0)
		return 0;
	if (r == USSL_WANT_READ)
		return !expect_alert;
	if (r != USSL_ERROR)
		return 0;
	if (!expect_alert)
		return 1;
	/* The writer hears why. */
	r = ussl_read(p->c, b, sizeof(b));
	return r == USSL_ERROR &&
	    ussl_conn_error(p->c)->code == USSL_E_PEER_ALERT &&
	    ussl_conn_error(p->c)->alert == 20 &&
	    ussl_conn_error(p->s)->code == USSL_E_PROTOCOL;
}

static void test_tamper(void)
{
	static const unsigned char msg[] = "transfer 100 to alice";
	unsigned char rec[128], rec2[128];
	size_t len, len2, i, v;
	int bit, ok, all;
	ussl_ctx *cc;
	pair p;

	for (v = 0; v < N_SUITES; v += 2) {
		cc = client_ctx(suites[v], 1);
		CHECK(parked_pair_with_record(&p, cc, msg, sizeof(msg)) == 0);
		len = p.l.c2s.len;
		CHECK(len < sizeof(rec));
		memcpy(rec, p.l.c2s.buf, len);
		close_pair(&p);
		/* Every bit of the record header and body. */
		all = 1;
		for (i = 0; i < len; i++) {
			bit = (int)(rnd() % 8);
			if (parked_pair_with_record(&p, cc, msg, sizeof(msg))
			    != 0 || p.l.c2s.len != len) {
				all = 0;
				close_pair(&p);
				continue;
			}
			p.l.c2s.buf[i] ^= (unsigned char)(1 << bit);
			/* Bytes 3-4 are the length: a longer one waits for
			   more, a shorter one fails; the rest fail at once
			   with bad_record_mac (or a header check). */
			ok = refused(&p, i >= 5);
			if (!ok)
				fprintf(stderr, "%s: byte %lu bit %d passed\n",
				    suites[v], (unsigned long)i, bit);
			all &= ok;
			close_pair(&p);
		}
		CHECK(all);
		/* Replay: the same record twice. */
		CHECK(parked_pair_with_record(&p, cc, msg, sizeof(msg)) == 0);
		memcpy(rec, p.l.c2s.buf, len);
		mt_pipe_put(&p.l.c2s, rec, len);
		{
			unsigned char b[64];

			CHECK(ussl_read(p.s, b, sizeof(b)) == (long)sizeof(msg));
			CHECK(ussl_read(p.s, b, sizeof(b)) == USSL_ERROR);
		}
		close_pair(&p);
		/* Reorder: two records swapped; dropped: the first gone. */
		CHECK(parked_pair_with_record(&p, cc, msg, sizeof(msg)) == 0);
		CHECK(ussl_write(p.c, "second", 6) == 6);
		len2 = p.l.c2s.len - len;
		CHECK(len2 < sizeof(rec2));
		memcpy(rec, p.l.c2s.buf, len);
		memcpy(rec2, p.l.c2s.buf + len, len2);
		mt_pipe_take(&p.l.c2s, len + len2);
		mt_pipe_put(&p.l.c2s, rec2, len2);
		mt_pipe_put(&p.l.c2s, rec, len);
		CHECK(refused(&p, 1));
		close_pair(&p);
		CHECK(parked_pair_with_record(&p, cc, msg, sizeof(msg)) == 0);
		CHECK(ussl_write(p.c, "second", 6) == 6);
		mt_pipe_take(&p.l.c2s, len);
		CHECK(refused(&p, 1));
		close_pair(&p);
		/* Cut: half a record, then the end of the stream. */
		CHECK(parked_pair_with_record(&p, cc, msg, sizeof(msg)) == 0);
		p.l.c2s.len = len / 2;
		p.l.eof_to_server = 1;
		{
			unsigned char b[64];

			CHECK(ussl_read(p.s, b, sizeof(b)) == USSL_ERROR &&
			    ussl_conn_error(p.s)->code == USSL_E_TRUNCATED);
		}
		close_pair(&p);
		ussl_ctx_free(cc);
	}
}

/*
 * OpenSSL read a record's header, the body has not come: it holds half
 * a record (nothing that SSL_has_pending() sees).  A TLS 1.3 client that
 * has its ticket and then writes must not park now (the header would be
 * lost with the SSL object); the record reads whole later.
 */
static void test_park_mid_record(void)
{
	ussl_ctx *cc = client_ctx("TLS_AES_128_GCM_SHA256", 1);
	unsigned char body[64], b[64];
	size_t l0, l1;
	pair p;

	CHECK(open_pair(&p, cc, sctx) == 0);
	CHECK(parked(p.s) && !parked(p.c));
	l0 = p.l.s2c.len;               /* the tickets */
	CHECK(ussl_write(p.s, "hello", 5) == 5);
	l1 = p.l.s2c.len;
	CHECK(l1 - l0 > 5 && l1 - l0 - 5 <= sizeof(body));
	memcpy(body, p.l.s2c.buf + l0 + 5, l1 - l0 - 5);
	p.l.s2c.len = l0 + 5;           /* the header only */
	CHECK(ussl_read(p.c, b, sizeof(b)) == USSL_WANT_READ);
	CHECK(ussl_write(p.c, "x", 1) == 1);
	mt_pipe_put(&p.l.s2c, body, l1 - l0 - 5);
	CHECK(ussl_read(p.c, b, sizeof(b)) == 5 && memcmp(b, "hello", 5) ==
	    0);
	CHECK(ussl_read(p.s, b, sizeof(b)) == 1 && b[0] == 'x');
	CHECK(ussl_write(p.s, "again", 5) == 5);
	CHECK(ussl_read(p.c, b, sizeof(b)) == 5 && memcmp(b, "again", 5) ==
	    0);
	CHECK(parked(p.c));
	close_pair(&p);
	ussl_ctx_free(cc);
}

/*
 * A negotiated max_fragment_length (RFC 6066) binds the peer too: a
 * longer record is refused with record_overflow, as OpenSSL does before
 * parking.  And after its close_notify a parked TLS 1.2 end sends
 * nothing more, not even the no_renegotiation warning.
 */
static void test_mfl_and_closed(void)
{
	unsigned char big[2000], b[64];
	ussl_ctx *cc;
	size_t i;
	pair p;

	fill(big, sizeof(big));
	for (i = 0; i < N_SUITES; i += 3) {
		cc = client_ctx(suites[i], 1);
		CHECK(ussl_ctx_set_max_fragment(cc, 512) == USSL_OK);
		CHECK(parked_pair_with_record(&p, cc,
		    (const unsigned char *)"x", 1) == 0);
		CHECK(ussl_write(p.s, big, sizeof(big)) == sizeof(big));
		CHECK(move(p.s, p.c, big, sizeof(big), sizeof(big), 100) == 0);
		CHECK(oeng_rec_send(p.c, SSL3_RT_APPLICATION_DATA, big, 513,
		    "write") == USSL_OK);
		CHECK(ussl_read(p.s, b, sizeof(b)) == 1 && b[0] == 'x');
		CHECK(ussl_read(p.s, b, sizeof(b)) == USSL_ERROR &&
		    ussl_conn_error(p.s)->code == USSL_E_PROTOCOL);
		close_pair(&p);
		ussl_ctx_free(cc);
	}
	cc = client_ctx(suites[3], 1);
	CHECK(parked_pair_with_record(&p, cc, (const unsigned char *)"x",
	    1) == 0);
	CHECK(ussl_read(p.s, b, sizeof(b)) == 1);
	CHECK(ussl_close(p.s) == USSL_OK);
	CHECK(ussl_read(p.c, b, sizeof(b)) == 0);
	/* A ClientHello (renegotiation) to the server, which has closed. */
	memset(b, 0, 4);
	b[0] = SSL3_MT_CLIENT_HELLO;
	CHECK(oeng_rec_send(p.c, SSL3_RT_HANDSHAKE, b, 4, "write") ==
	    USSL_OK);
	CHECK(ussl_read(p.s, b, sizeof(b)) == USSL_WANT_READ);
	CHECK(p.l.s2c.len == 0);
	close_pair(&p);
	ussl_ctx_free(cc);
}

/*
 * A peer that asks for key updates (TLS 1.3) or renegotiation (TLS 1.2)
 * between bytes of data and never reads: the answers cannot leave, and
 * what waits for the transport must not grow with every request (OpenSSL
 * owes one key update at a time).  Once the way is free the answer goes,
 * and both ends still agree on the keys.
 */
static void test_answers_backlog(void)
{
	unsigned char b[64], hr[4] = { SSL3_MT_CLIENT_HELLO, 0, 0, 0 };
	ussl_ctx *cc;
	size_t i, k;
	pair p;

	for (i = 0; i < N_SUITES; i += 3) {
		cc = client_ctx(suites[i], 1);
		CHECK(parked_pair_with_record(&p, cc,
		    (const unsigned char *)"x", 1) == 0);
		p.l.budget_server = 0;
		for (k = 0; k < 2000; k++) {
			if (i < 3)
				CHECK(oeng_key_update(p.c, 1) == USSL_OK);
			else
				CHECK(oeng_rec_send(p.c, SSL3_RT_HANDSHAKE, hr, 4,
				    "write") == USSL_OK);
			CHECK(ussl_write(p.c, "a", 1) == 1);
			CHECK(ussl_read(p.s, b, sizeof(b)) > 0);
			if (p.s->out_len - p.s->out_off > 1024)
				break;
		}
		CHECK(p.s->out_len - p.s->out_off <= 1024);
		while (ussl_read(p.s, b, sizeof(b)) > 0)
			;
		p.l.budget_server = MT_UNLIMITED;
		CHECK(ussl_write(p.s, "done", 4) == 4);
		CHECK(ussl_read(p.c, b, sizeof(b)) == 4 &&
		    memcmp(b, "done", 4) == 0);
		CHECK(move(p.c, p.s, b, 10, 10, 10) == 0);
		CHECK(move(p.s, p.c, b, 10, 10, 10) == 0);
		close_pair(&p);
		ussl_ctx_free(cc);
	}
}

/*
 * A connection that ended with a fatal alert (ours or the peer's) or cut
 * short gives no session to resume (RFC 5246 7.2.2), as OpenSSL marks
 * it unresumable; a parked client's kept copy goes too.
 */
static void test_no_session_after_failure(void)
{
	unsigned char b[64];
	ussl_ctx *cc;
	size_t i, sl;
	int how;
	pair p;

	for (i = 0; i < N_SUITES; i++) {
		for (how = 0; how < 3; how++) {
			cc = client_ctx(suites[i], 1);
			CHECK(open_pair(&p, cc, sctx) == 0);
			CHECK(move(p.s, p.c, b, 10, 10, 10) == 0);
			CHECK(parked(p.c));
			sl = 0;
			(void)ussl_conn_get_session(p.c, NULL, &sl);
			CHECK(sl > 0);
			CHECK(ussl_write(p.s, "y", 1) == 1);
			if (how == 0) {         /* damaged: bad_record_mac */
				p.l.s2c.buf[p.l.s2c.len - 1] ^= 1;
			} else if (how == 1) {  /* the peer's fatal alert */
				p.l.s2c.len = 0;
				b[0] = 2;
				b[1] = 40;
				CHECK(oeng_rec_send(p.s, SSL3_RT_ALERT, b, 2,
				    "write") == USSL_OK);
			} else {                /* cut */
				p.l.s2c.len -= 3;
				p.l.eof_to_client = 1;
			}
			CHECK(ussl_read(p.c, b, sizeof(b)) == USSL_ERROR);
			sl = 0;
			CHECK(ussl_conn_get_session(p.c, NULL, &sl) == -1 &&
			    sl == 0);
			close_pair(&p);
			ussl_ctx_free(cc);
		}
	}
}

/*
 * Handshakes of other shapes, where the record counts at parking come
 * out differently: a HelloRetryRequest (with its change_cipher_spec),
 * resumed sessions (TLS 1.3 PSK, TLS 1.2 abbreviated: the server's
 * Finished first), every transport cut.  Data and key updates both
 * ways after both parked prove the counts and keys.
 */
static void test_handshake_shapes(void)
{
	static unsigned char sess[8192];
	unsigned char d[3000];
	ussl_error err;
	ussl_ctx *cc;
	size_t i, sl;
	int round, chunk;
	pair p;

	fill(d, sizeof(d));
	for (i = 0; i < N_SUITES; i++) {
		cc = client_ctx(suites[i], 1);
		sl = 0;
		for (round = 0; round < 3; round++) {
			chunk = round == 2 ? 1 : 0;
			mt_link_init(&p.l);
			p.l.chunk = (size_t)chunk;
			p.c = ussl_conn_new(cc, "localhost", &err);
			p.s = ussl_conn_new(sctx, NULL, &err);
			CHECK(p.c != NULL && p.s != NULL);
			mt_attach(p.c, &p.l, 1);
			mt_attach(p.s, &p.l, 0);
			if (round == 0 && i < 3) {
				/* The client's key share is for a group the
				   server does not take: HelloRetryRequest. */
				CHECK(SSL_set1_groups_list(p.c->eng->ssl,
				    "P-256:X25519") == 1);
				CHECK(SSL_set1_groups_list(p.s->eng->ssl,
				    "X25519") == 1);
			}
			if (round > 0)
				CHECK(ussl_conn_set_session(p.c, sess, sl) ==
				    USSL_OK);
			CHECK(mt_handshake_pair(p.c, p.s, 100000) == 0);
			CHECK(ussl_conn_session_reused(p.c) == (round > 0));
			CHECK(move(p.s, p.c, d, 10, 10, 10) == 0);
			CHECK(parked(p.c) && parked(p.s));
			if (round == 0) {
				sl = sizeof(sess);
				CHECK(ussl_conn_get_session(p.c, sess, &sl) ==
				    USSL_OK);
			}
			CHECK(move(p.c, p.s, d, sizeof(d), 1000, 700) == 0);
			CHECK(move(p.s, p.c, d, sizeof(d), 700, 1000) == 0);
			if (i < 3) {
				CHECK(oeng_key_update(p.c, 1) == USSL_OK);
				CHECK(move(p.c, p.s, d, 100, 100, 100) == 0);
				CHECK(move(p.s, p.c, d, 100, 100, 100) == 0);
			}
			close_pair(&p);
		}
		ussl_ctx_free(cc);
	}
}

/* Empty records are allowed, a flood of them is not. */
static void test_empty_records(void)
{
	ussl_ctx *cc = client_ctx("TLS_AES_128_GCM_SHA256", 1);
	unsigned char b[16] = { 0 };
	pair p;
	int i;

	CHECK(parked_pair_with_record(&p, cc, (const unsigned char *)"x",
	    1) == 0);
	for (i = 0; i < 10; i++)
		CHECK(oeng_rec_write(p.c, b, 0) == 0);
	CHECK(ussl_write(p.c, "y", 1) == 1);
	CHECK(ussl_read(p.s, b, sizeof(b)) == 1 && b[0] == 'x');
	CHECK(ussl_read(p.s, b, sizeof(b)) == 1 && b[0] == 'y');
	for (i = 0; i < 40; i++)
		CHECK(oeng_rec_write(p.c, b, 0) == 0);
	CHECK(ussl_read(p.s, b, sizeof(b)) == USSL_ERROR &&
	    ussl_conn_error(p.s)->code == USSL_E_PROTOCOL);
	close_pair(&p);
	ussl_ctx_free(cc);
}

/* TLS 1.2 alerts: a few warnings in a row are let pass, six are not;
   a fatal close_notify is fatal (as in OpenSSL). */
static void test_alert_levels(void)
{
	ussl_ctx *cc = client_ctx(suites[3], 1);
	unsigned char b[16] = { 0 }, warn[2] = { 1, 90 };
	pair p;
	int i;

	CHECK(parked_pair_with_record(&p, cc, (const unsigned char *)"x",
	    1) == 0);
	for (i = 0; i < 5; i++)
		CHECK(oeng_rec_send(p.c, SSL3_RT_ALERT, warn, 2, "w") == USSL_OK);
	CHECK(ussl_write(p.c, "y", 1) == 1);
	for (i = 0; i < 5; i++)
		CHECK(oeng_rec_send(p.c, SSL3_RT_ALERT, warn, 2, "w") == USSL_OK);
	CHECK(ussl_write(p.c, "z", 1) == 1);
	CHECK(ussl_read(p.s, b, sizeof(b)) == 1 && b[0] == 'x');
	CHECK(ussl_read(p.s, b, sizeof(b)) == 1 && b[0] == 'y');
	CHECK(ussl_read(p.s, b, sizeof(b)) == 1 && b[0] == 'z');
	for (i = 0; i < 6; i++)
		CHECK(oeng_rec_send(p.c, SSL3_RT_ALERT, warn, 2, "w") == USSL_OK);
	CHECK(ussl_read(p.s, b, sizeof(b)) == USSL_ERROR &&
	    ussl_conn_error(p.s)->code == USSL_E_PROTOCOL);
	close_pair(&p);
	CHECK(parked_pair_with_record(&p, cc, (const unsigned char *)"x",
	    1) == 0);
	warn[0] = 2;
	warn[1] = 0;
	CHECK(oeng_rec_send(p.c, SSL3_RT_ALERT, warn, 2, "w") == USSL_OK);
	CHECK(ussl_read(p.s, b, sizeof(b)) == 1);
	CHECK(ussl_read(p.s, b, sizeof(b)) == USSL_ERROR &&
	    ussl_conn_error(p.s)->code == USSL_E_PEER_ALERT &&
	    ussl_conn_error(p.s)->alert == 0);
	close_pair(&p);
	ussl_ctx_free(cc);
}

/* TLS 1.2 GCM: OpenSSL's explicit nonces count from a random start; the
   first record sealed after parking carries the next one after the last
   record OpenSSL sealed (its Finished), so none can repeat. */
static void test_explicit_nonce(void)
{
	static const char *const gcm12[] = {
	    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
	    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" };
	unsigned char b[16] = "x", last[8], first[8];
	const unsigned char *q;
	ussl_error err;
	ussl_ctx *cc;
	size_t i, n, len = 0, at = 0, ccs;
	int k;
	pair p;

	for (k = 0; k < 2; k++) {
		cc = client_ctx(gcm12[k], 1);
		mt_link_init(&p.l);
		p.l.logging = 1;
		p.c = ussl_conn_new(cc, "localhost", &err);
		p.s = ussl_conn_new(sctx, NULL, &err);
		mt_attach(p.c, &p.l, 1);
		mt_attach(p.s, &p.l, 0);
		CHECK(mt_handshake_pair(p.c, p.s, 1000) == 0);
		CHECK(parked(p.c));
		/* The client's records so far: the last is its Finished. */
		q = p.l.log_c2s.buf;
		n = p.l.log_c2s.len;
		ccs = 0;
		for (i = 0; i + 5 <= n; i += 5 + len) {
			len = (size_t)q[i + 3] << 8 | q[i + 4];
			if (q[i] == SSL3_RT_CHANGE_CIPHER_SPEC)
				ccs = 1;
			at = i;
		}
		CHECK(ccs && i == n && q[at] == SSL3_RT_HANDSHAKE);
		memcpy(last, q + at + 5, 8);
		CHECK(ussl_write(p.c, b, 1) == 1);
		CHECK(p.l.log_c2s.len > n + 13);
		memcpy(first, p.l.log_c2s.buf + n + 5, 8);
		/* first == last + 1 (64-bit, big-endian) */
		for (i = 8; i-- > 0;)
			if (++last[i] != 0)
				break;
		CHECK(memcmp(first, last, 8) == 0);
		CHECK(ussl_read(p.s, b, sizeof(b)) == 1 && b[0] == 'x');
		close_pair(&p);
		ussl_ctx_free(cc);
	}
}

/*
 * Random record sequences from a parked client to a parked server, with
 * what the server must make of them worked out beside (the model):
 * data in order up to the first record that ends the stream, and that
 * end: close_notify, the peer's fatal alert, or our refusal (a bad
 * alert, an unexpected or malformed handshake message, an unknown type,
 * too many records without data).  Key updates are real ones
 * (oeng_key_update); the server's answers (its own key updates, TLS 1.2
 * no_renegotiation warnings) must not disturb the client, which reads a
 * last message if the stream did not end.
 */
enum { END_NONE, END_EOF, END_ALERT, END_PROTOCOL };

static void random_sequence(const char *suite, int tls13)
{
	static unsigned char want[200000], got[200000];
	unsigned char b[4000];
	size_t wn = 0, gn = 0, n;
	int steps, i, k, idle = 0, warn = 0, end = END_NONE, alert = 0;
	ussl_ctx *cc = client_ctx(suite, 1);
	long r;
	pair p;

	CHECK(parked_pair_with_record(&p, cc, (const unsigned char *)"x",
	    1) == 0);
	want[wn++] = 'x';
	steps = 1 + (int)(rnd() % 60);
	for (i = 0; i < steps && end == END_NONE; i++) {
		k = (int)(rnd() % 100);
		if (k < 40) {                   /* data, sometimes empty */
			n = rnd() % 5 == 0 ? 0 : 1 + rnd() % sizeof(b);
			fill(b, n);
			CHECK(oeng_rec_send(p.c, SSL3_RT_APPLICATION_DATA, b, n,
			    "write") == USSL_OK);
			memcpy(want + wn, b, n);
			wn += n;
			idle = n > 0 ? 0 : idle + 1;
		} else if (k < 60) {            /* an alert */
			b[0] = (unsigned char)(rnd() % 3 == 0 ? 2 : 1);
			b[1] = (unsigned char)(rnd() % 4 == 0 ? 0 : rnd() % 3 ==
			    0 ? 90 : rnd() % 120);
			n = rnd() % 10 == 0 ? 1 + rnd() % 3 : 2;
			CHECK(oeng_rec_send(p.c, SSL3_RT_ALERT, b, n, "write") ==
			    USSL_OK);
			if (n != 2)
				end = END_PROTOCOL;
			else if (b[1] == 0 && (tls13 || b[0] == 1))
				end = END_EOF;
			else if (tls13 ? b[1] == 90 : b[0] == 1)
				idle++, end = ++warn > 5 ? END_PROTOCOL : end;
			else
				end = END_ALERT, alert = b[1];
		} else if (k < 75 && tls13) {   /* a real key update */
			CHECK(oeng_key_update(p.c, (int)(rnd() % 2)) == USSL_OK);
			idle++;
		} else if (k < 90) {            /* handshake bytes */
			n = rnd() % 8 == 0 ? 0 : 1 + rnd() % 40;
			fill(b, n);
			if (n >= 4 && tls13) {  /* a whole message */
				b[1] = 0;
				b[2] = 0;
				b[3] = (unsigned char)(n - 4);
				if (b[0] == SSL3_MT_KEY_UPDATE && n == 5)
					b[4] = (unsigned char)(2 + rnd() % 200);
			}
			if (!tls13 && n > 0 && rnd() % 2)
				b[0] = SSL3_MT_CLIENT_HELLO;
			CHECK(oeng_rec_send(p.c, SSL3_RT_HANDSHAKE, b, n,
			    "write") == USSL_OK);
			/* TLS 1.3: nothing a client may send after its
			   Finished but a (valid) KeyUpdate, and half a
			   message is refused with the next record, which
			   is data; TLS 1.2: a ClientHello is refused
			   renegotiation, anything else unexpected. */
			if (n == 0) {
				end = END_PROTOCOL;
			} else if (tls13 && n < 4) {
				CHECK(oeng_rec_send(p.c,
				    SSL3_RT_APPLICATION_DATA, b, 1, "write")
				    == USSL_OK);
				end = END_PROTOCOL;
			} else if (tls13 || b[0] != SSL3_MT_CLIENT_HELLO) {
				end = END_PROTOCOL;
			} else {
				idle++;
			}
		} else {                        /* a type nobody uses */
			b[0] = 1;
			CHECK(oeng_rec_send(p.c, rnd() % 2 ? 20 : 24 + (int)(rnd()
			    % 200), b, 1, "write") == USSL_OK);
			end = END_PROTOCOL;
		}
		if (k >= 60 || k < 40)
			warn = 0;       /* any other record */
		if (end == END_NONE && idle > 32)
			end = END_PROTOCOL;
	}
	/* The server reads all of it. */
	for (i = 0; i < 100000; i++) {
		r = ussl_read(p.s, got + gn, sizeof(got) - gn);
		if (r <= 0)
			break;
		gn += (size_t)r;
	}
	CHECK(gn == wn && memcmp(got, want, wn) == 0);
	switch (end) {
	case END_NONE:
		CHECK(r == USSL_WANT_READ);
		break;
	case END_EOF:
		CHECK(r == 0);
		break;
	case END_ALERT:
		CHECK(r == USSL_ERROR &&
		    ussl_conn_error(p.s)->code == USSL_E_PEER_ALERT &&
		    ussl_conn_error(p.s)->alert == alert);
		break;
	default:
		CHECK(r == USSL_ERROR &&
		    ussl_conn_error(p.s)->code == USSL_E_PROTOCOL);
		break;
	}
	if (end == END_NONE) {
		CHECK(ussl_write(p.s, "done", 4) == 4);
		r = ussl_read(p.c, b, sizeof(b));
		CHECK(r == 4 && memcmp(b, "done", 4) == 0);
	}
	if (tu_failures > 0 && end != END_NONE)
		fprintf(stderr, "%s: end %d alert %d r %ld: %s\n", suite, end,
		    alert, r, ussl_conn_error(p.s)->msg);
	close_pair(&p);
	ussl_ctx_free(cc);
}

static void test_random_records(void)
{
	const char *env = getenv("USSL_PARK_SEQUENCES");
	int i, n = env != NULL ? atoi(env) : 300, v;

	for (i = 0; i < n && tu_failures == 0; i++) {
		v = (int)(rnd() % N_SUITES);
		random_sequence(suites[v], v < 3);
	}
}

int main(void)
{
	sctx = tu_server_ctx("server-ec-chain.pem", "server-ec.key",
	    USSL_VERIFY_NONE);
	test_suites();
	test_update_before_park();
	test_tamper();
	test_empty_records();
	test_park_mid_record();
	test_mfl_and_closed();
	test_answers_backlog();
	test_no_session_after_failure();
	test_handshake_shapes();
	test_alert_levels();
	test_explicit_nonce();
	test_random_records();
	ussl_ctx_free(sctx);
	return tu_report("test_park");
}
#endif
