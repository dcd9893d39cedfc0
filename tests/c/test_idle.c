/*
 * test_idle.c - many connections held idle, then used again: engines
 * free their record buffers (and the core its output buffer) while a
 * connection is idle and take new ones on the next record, so every
 * path that gives a buffer back and takes one again is run here:
 * writes after idle (one record, many records gathered, records cut
 * into single bytes by the transport, a write the transport stopped
 * taking part-way), reads after idle, TLS 1.3 tickets read after idle,
 * key updates after idle (OpenSSL: requested by either side), and
 * close_notify after idle.  TLS 1.2 and 1.3.  Correctness only: every
 * byte is checked, nothing is timed.
 */
#include <string.h>

#include "testutil.h"

#ifdef USSL_ENGINE_OPENSSL
#include "openssl_engine.h"
#endif

#define PAIRS 48
#define BIG 70000     /* several records: a gathered write */

static ussl_ctx *sctx, *cctx[2];

typedef struct pair {
	mt_link l;
	ussl_conn *c, *s;
	size_t left;    /* accepted by the server, not yet read */
} pair;

static unsigned seed_state = 777;

static void fill(unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed_state = seed_state * 1103515245u + 12345u;
		p[i] = (unsigned char)(seed_state >> 16);
	}
}

/* Write all of buf from one end while the other reads it; the bytes
   read must be the bytes written.  0 on success. */
static int move(ussl_conn *from, ussl_conn *to, const unsigned char *buf,
    size_t len)
{
	static unsigned char got[BIG];
	size_t sent = 0, recvd = 0;
	long r;
	int i;

	for (i = 0; i < 1000000 && recvd < len; i++) {
		if (sent < len) {
			r = ussl_write(from, buf + sent, len - sent);
			if (r > 0)
				sent += (size_t)r;
			else if (r != USSL_WANT_WRITE && r != USSL_WANT_READ) {
				fprintf(stderr, "write: %ld %s\n", r,
				    ussl_conn_error(from)->msg);
				return -1;
			}
		} else if (i % 2 == 0) {
			r = ussl_flush(from);
			if (r != USSL_OK && r != USSL_WANT_WRITE)
				return -1;
		}
		r = ussl_read(to, got + recvd, len - recvd);
		if (r > 0)
			recvd += (size_t)r;
		else if (r != USSL_WANT_READ && r != USSL_WANT_WRITE) {
			fprintf(stderr, "read: %ld %s\n", r,
			    ussl_conn_error(to)->msg);
			return -1;
		}
	}
	return recvd == len && memcmp(got, buf, len) == 0 ? 0 : -1;
}

/* Both ends read: nothing may be there but tickets and the like. */
static int quiet(pair *p)
{
	unsigned char b[16];

	return ussl_read(p->c, b, sizeof(b)) == USSL_WANT_READ &&
	    ussl_read(p->s, b, sizeof(b)) == USSL_WANT_READ ? 0 : -1;
}

static int open_pair(pair *p, int tls13)
{
	ussl_error err;

	mt_link_init(&p->l);
	p->c = ussl_conn_new(cctx[tls13], "localhost", &err);
	p->s = ussl_conn_new(sctx, NULL, &err);
	if (p->c == NULL || p->s == NULL)
		return -1;
	mt_attach(p->c, &p->l, 1);
	mt_attach(p->s, &p->l, 0);
	return mt_handshake_pair(p->c, p->s, 1000);
}

#ifdef USSL_ENGINE_OPENSSL
/* Ask for a key update from one end (the peer must answer with its
   own); it goes out with that end's next record. */
static int key_update(ussl_conn *conn)
{
	return oeng_key_update(conn, 1) == USSL_OK ? 0 : -1;
}
#endif

static void run(int tls13)
{
	static pair p[PAIRS];
	static unsigned char big[BIG];
	unsigned char small[300];
	int i, k, ok = 0, updates = 0;

	/* Open them all, one record each way, then leave them idle. */
	for (i = 0; i < PAIRS; i++) {
		CHECK(open_pair(&p[i], tls13) == 0);
		fill(small, sizeof(small));
		CHECK(move(p[i].s, p[i].c, small, sizeof(small)) == 0);
		CHECK(move(p[i].c, p[i].s, small, 17) == 0);
		CHECK(quiet(&p[i]) == 0);
	}
	/* Every connection used again after all the others went idle, in
	   several ways, twice over. */
	for (k = 0; k < 2; k++) {
		for (i = 0; i < PAIRS; i++) {
			pair *q = &p[i];
			int mode = (i + k) % 6;

			fill(big, sizeof(big));
			switch (mode) {
			case 0:     /* one small record each way */
				CHECK(move(q->c, q->s, big, 100) == 0);
				CHECK(move(q->s, q->c, big + 100, 1) == 0);
				break;
			case 1:     /* gathered writes each way */
				CHECK(move(q->s, q->c, big, BIG) == 0);
				CHECK(move(q->c, q->s, big, BIG) == 0);
				break;
			case 2:     /* records a byte at a time */
				q->l.chunk = 1;
				CHECK(move(q->s, q->c, big, 5000) == 0);
				CHECK(move(q->c, q->s, big, 20000) == 0);
				q->l.chunk = 0;
				break;
			case 3:     /* a write cut short, left so, resumed */
				q->l.budget_server = 1000;
				{
					/* One record or more: whatever
					   the engine's records hold. */
					long w = ussl_write(q->s, big, 16384);

					CHECK(w > 1000);
					q->left = w > 0 ? (size_t)w : 0;
				}
				CHECK(ussl_flush(q->s) == USSL_WANT_WRITE);
				q->l.budget_server = MT_UNLIMITED;
				break;
			case 4:     /* the client's read left with half a
				       record buffered, then idle */
				CHECK(ussl_write(q->s, big, 4000) == 4000);
				{
					/* Only the first 100 bytes arrive
					   now, the rest later. */
					mt_pipe *sc = &q->l.s2c;
					unsigned char *b0 = sc->buf, rd[8];
					size_t keep = sc->len;

					sc->len = 100;
					CHECK(ussl_read(q->c, rd, sizeof(rd)) ==
					    USSL_WANT_READ);
					CHECK(sc->len == 0);
					sc->buf = b0 + 100;
					sc->len = keep - 100;
				}
				break;
			case 5:     /* a key update after idle */
#ifdef USSL_ENGINE_OPENSSL
				if (tls13) {
					CHECK(key_update(k ? q->s : q->c) ==
					    0);
					updates++;
				}
#endif
				CHECK(move(q->c, q->s, big, 3000) == 0);
				CHECK(move(q->s, q->c, big, 3000) == 0);
				CHECK(move(q->c, q->s, big, 10) == 0);
				break;
			}
		}
		/* What mode 3 and 4 left pending arrives now, whole. */
		for (i = 0; i < PAIRS; i++) {
			int mode = (i + k) % 6;
			static unsigned char rd[16384];
			size_t want = mode == 3 ? p[i].left :
			    mode == 4 ? 4000 : 0;
			size_t got = 0;
			long r;
			int j;

			for (j = 0; j < 100000 && got < want; j++) {
				(void)ussl_flush(p[i].s);
				r = ussl_read(p[i].c, rd, want - got < sizeof(rd) ?
				    want - got : sizeof(rd));
				if (r > 0)
					got += (size_t)r;
				else if (r != USSL_WANT_READ)
					break;
			}
			CHECK(got == want);
			if (mode == 3)
				CHECK(move(p[i].s, p[i].c, big, 10) == 0);
			CHECK(quiet(&p[i]) == 0);
		}
	}
	/* A clean end after idle: close_notify both ways. */
	for (i = 0; i < PAIRS; i++) {
		unsigned char rd[8];

		CHECK(ussl_close(p[i].c) == USSL_OK);
		CHECK(ussl_read(p[i].s, rd, sizeof(rd)) == 0);
		CHECK(ussl_close(p[i].s) == USSL_OK);
		if (ussl_read(p[i].c, rd, sizeof(rd)) == 0)
			ok++;
		ussl_conn_free(p[i].c);
		ussl_conn_free(p[i].s);
		mt_link_free(&p[i].l);
	}
	CHECK(ok == PAIRS);
	printf("TLS 1.%d: %d connections held idle and used again, %d key "
	    "updates%s\n", tls13 ? 3 : 2, PAIRS, updates,
	    tls13 && updates == 0 ? " (the engine has no key update "
	    "request to make)" : "");
}

int main(void)
{
	int v;

	sctx = tu_server_ctx("server-ec-chain.pem", "server-ec.key",
	    USSL_VERIFY_NONE);
	CHECK(ussl_ctx_set_tickets(sctx, 3600) == USSL_OK);
	for (v = 0; v < 2; v++) {
		cctx[v] = tu_client_ctx("ca.pem", USSL_VERIFY_REQUIRED);
		CHECK(ussl_ctx_set_versions(cctx[v], USSL_TLS1_2,
		    v ? USSL_TLS1_3 : USSL_TLS1_2) == USSL_OK);
	}
	for (v = 0; v < 2; v++)
		run(v);
	for (v = 0; v < 2; v++)
		ussl_ctx_free(cctx[v]);
	ussl_ctx_free(sctx);
	return tu_report("test_idle");
}
