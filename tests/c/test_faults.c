/*
 * test_faults.c - randomized sessions over a fault-injecting in-memory
 * transport: segmentation down to one byte, would-block storms in both
 * directions, short writes and delayed delivery, across TLS 1.2/1.3,
 * RSA/ECDSA, explicit and deferred handshakes and random payload sizes.
 * Servers issue session tickets, which TLS 1.3 sends after the
 * handshake, between application data.  Every byte must arrive in order
 * exactly once, both closes must be clean, and no session may hang.
 *
 *   USSL_FAULT_SESSIONS  number of sessions (default 300)
 *   USSL_FAULT_SEED      first seed (default 1); session i uses seed+i,
 *                        so a failing seed reproduces with SESSIONS=1
 */
#include <string.h>

#include "testutil.h"

typedef struct rng {
	unsigned long long s;
} rng;

static unsigned rnd(rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return (unsigned)(r->s >> 16);
}

/* One direction: bytes written, and how many of them the reader sees. */
typedef struct fpipe {
	unsigned char *buf;
	size_t len, cap, visible;
} fpipe;

typedef struct faults {
	rng r;
	int max_chunk;        /* bytes per transport call at most */
	int block_pct;        /* chance of a spurious would-block */
	int delay_pct;        /* chance that new data stays invisible */
	fpipe c2s, s2c;
} faults;

typedef struct end {
	faults *f;
	int client;
} end;

static size_t chunk(faults *f, size_t len)
{
	size_t c = 1 + rnd(&f->r) % (unsigned)f->max_chunk;

	return len < c ? len : c;
}

static long f_send(void *arg, const unsigned char *buf, size_t len, int *err)
{
	end *e = arg;
	faults *f = e->f;
	fpipe *p = e->client ? &f->c2s : &f->s2c;

	(void)err;
	if ((int)(rnd(&f->r) % 100) < f->block_pct)
		return USSL_WANT_WRITE;
	len = chunk(f, len);     /* a short write */
	if (p->len + len > p->cap) {
		p->cap = (p->len + len) * 2 + 4096;
		p->buf = realloc(p->buf, p->cap);
	}
	memcpy(p->buf + p->len, buf, len);
	p->len += len;
	if ((int)(rnd(&f->r) % 100) >= f->delay_pct)
		p->visible = p->len;
	return (long)len;
}

static long f_recv(void *arg, unsigned char *buf, size_t len, int *err)
{
	end *e = arg;
	faults *f = e->f;
	fpipe *p = e->client ? &f->s2c : &f->c2s;

	(void)err;
	if ((int)(rnd(&f->r) % 100) < f->block_pct)
		return USSL_WANT_READ;
	if (p->visible == 0) {
		p->visible = p->len;   /* delayed data shows up later */
		return USSL_WANT_READ;
	}
	len = chunk(f, len);
	if (len > p->visible)
		len = p->visible;
	memcpy(buf, p->buf, len);
	memmove(p->buf, p->buf + len, p->len - len);
	p->len -= len;
	p->visible -= len;
	return (long)len;
}

/* One side's progress. */
typedef struct side {
	ussl_conn *c;
	const unsigned char *out;
	size_t out_len, sent;
	unsigned char *in;
	size_t in_len, got;
	int hs_explicit, closed, eof;
} side;

/* Do one step; returns -1 on a failure. */
static int step(side *s, rng *r)
{
	long n;

	if (s->hs_explicit && !ussl_handshake_done(s->c)) {
		n = ussl_handshake(s->c);
		return n == USSL_ERROR ? -1 : 0;
	}
	if (s->sent < s->out_len && rnd(r) % 2) {
		/* Same buffer and length again after a would-block. */
		n = ussl_write(s->c, s->out + s->sent, s->out_len - s->sent);
		if (n == USSL_ERROR)
			return -1;
		if (n > 0)
			s->sent += (size_t)n;
		return 0;
	}
	if (s->sent == s->out_len && !s->closed && ussl_handshake_done(s->c)) {
		n = ussl_close(s->c);
		if (n == USSL_ERROR)
			return -1;
		if (n == USSL_OK)
			s->closed = 1;
		return 0;
	}
	if (s->got > s->in_len)
		return -1;      /* more arrived than was sent */
	if (!s->eof) {
		size_t room = s->in_len - s->got;
		size_t want = 1 + rnd(r) % 20000;

		if (room == 0) {
			unsigned char b[1];

			n = ussl_read(s->c, b, 1);
		} else {
			n = ussl_read(s->c, s->in + s->got,
			    want < room ? want : room);
		}
		if (n == USSL_ERROR) {
			/* Reading after our own close is refused by design;
			   the peer's close_notify may not have been read. */
			return ussl_conn_error(s->c)->code == USSL_E_CLOSED ?
			    0 : -1;
		}
		if (n == 0)
			s->eof = 1;
		else if (n > 0)
			s->got += (size_t)n;
	}
	return 0;
}

static ussl_ctx *sctx[2][2], *cctx[2];

static int session(unsigned long long seed)
{
	faults f;
	end ce, se;
	ussl_transport tr;
	side cs, ss;
	rng r;
	unsigned char *a, *b;
	size_t alen, blen, i;
	int steps, ok = -1, tls13, rsa;
	ussl_error err;

	memset(&f, 0, sizeof(f));
	r.s = seed * 0x9E3779B97F4A7C15ull + 1;
	f.r.s = r.s ^ 0xabcdef;
	f.max_chunk = (int)(rnd(&r) % 4 == 0 ? 1 : 1 + rnd(&r) % 3000);
	f.block_pct = (int)(rnd(&r) % 60);
	f.delay_pct = (int)(rnd(&r) % 50);
	tls13 = (int)(rnd(&r) % 2);
	rsa = (int)(rnd(&r) % 2);
	alen = rnd(&r) % 4 == 0 ? 0 : rnd(&r) % 70000;
	blen = rnd(&r) % 4 == 0 ? 0 : rnd(&r) % 70000;
	a = malloc(alen + 1);
	b = malloc(blen + 1);
	for (i = 0; i < alen; i++)
		a[i] = (unsigned char)rnd(&r);
	for (i = 0; i < blen; i++)
		b[i] = (unsigned char)rnd(&r);

	memset(&cs, 0, sizeof(cs));
	memset(&ss, 0, sizeof(ss));
	cs.c = ussl_conn_new(cctx[tls13], "localhost", &err);
	ss.c = ussl_conn_new(sctx[rsa][tls13], NULL, &err);
	if (cs.c == NULL || ss.c == NULL)
		goto out;
	ce.f = &f;
	ce.client = 1;
	se.f = &f;
	se.client = 0;
	tr.send = f_send;
	tr.recv = f_recv;
	tr.arg = &ce;
	ussl_conn_set_transport(cs.c, &tr);
	tr.arg = &se;
	ussl_conn_set_transport(ss.c, &tr);
	cs.out = a;
	cs.out_len = alen;
	ss.out = b;
	ss.out_len = blen;
	cs.in = malloc(blen + 1);
	cs.in_len = blen;
	ss.in = malloc(alen + 1);
	ss.in_len = alen;
	cs.hs_explicit = (int)(rnd(&r) % 2);
	ss.hs_explicit = (int)(rnd(&r) % 2);

	for (steps = 0; steps < 4000000; steps++) {
		if (step(rnd(&r) % 2 ? &cs : &ss, &r) != 0)
			goto out;
		if (cs.eof && ss.eof && cs.closed && ss.closed)
			break;
	}
	if (!(cs.eof && ss.eof && cs.closed && ss.closed)) {
		fprintf(stderr, "seed %llu: hang (sent %zu/%zu %zu/%zu)\n",
		    seed, cs.sent, alen, ss.sent, blen);
		goto out;
	}
	if (cs.got > blen || ss.got > alen) {
		fprintf(stderr, "seed %llu: more data than sent\n", seed);
		goto out;
	}
	if (cs.got != blen || ss.got != alen ||
	    memcmp(cs.in, b, blen) != 0 || memcmp(ss.in, a, alen) != 0) {
		fprintf(stderr, "seed %llu: data mismatch\n", seed);
		goto out;
	}
	if (strcmp(ussl_conn_version(cs.c), tls13 ? "TLSv1.3" : "TLSv1.2") !=
	    0 && strstr(ussl_engine_version(), " 2.") == NULL) {
		fprintf(stderr, "seed %llu: version %s\n", seed,
		    ussl_conn_version(cs.c));
		goto out;
	}
	ok = 0;
out:
	if (ok != 0) {
		fprintf(stderr, "seed %llu failed: client: %s / server: %s\n"
		    "  (tls13 %d rsa %d chunk %d block %d%% delay %d%% "
		    "sizes %zu/%zu explicit handshake %d/%d)\n",
		    seed, cs.c ? ussl_conn_error(cs.c)->msg : "-",
		    ss.c ? ussl_conn_error(ss.c)->msg : "-", tls13, rsa,
		    f.max_chunk, f.block_pct, f.delay_pct, alen, blen,
		    cs.hs_explicit, ss.hs_explicit);
	}
	ussl_conn_free(cs.c);
	ussl_conn_free(ss.c);
	free(cs.in);
	free(ss.in);
	free(a);
	free(b);
	free(f.c2s.buf);
	free(f.s2c.buf);
	return ok;
}

int main(void)
{
	const char *e;
	unsigned long long seed = 1, i, n = 300;
	int v, k;

	if ((e = getenv("USSL_FAULT_SESSIONS")) != NULL)
		n = strtoull(e, NULL, 10);
	if ((e = getenv("USSL_FAULT_SEED")) != NULL)
		seed = strtoull(e, NULL, 10);
	for (v = 0; v < 2; v++) {
		cctx[v] = tu_client_ctx("ca.pem", USSL_VERIFY_REQUIRED);
		ussl_ctx_set_versions(cctx[v], USSL_TLS1_2,
		    v ? USSL_TLS1_3 : USSL_TLS1_2);
		for (k = 0; k < 2; k++) {
			sctx[k][v] = k ? tu_server_ctx("server-rsa.pem",
			    "server-rsa.key", USSL_VERIFY_NONE) :
			    tu_server_ctx("server-ec-chain.pem",
			    "server-ec.key", USSL_VERIFY_NONE);
			/* TLS 1.3 tickets arrive after the handshake, in the
			   middle of the data: the hardest case for retries. */
			CHECK(ussl_ctx_set_tickets(sctx[k][v], 3600) ==
			    USSL_OK);
		}
	}
	for (i = 0; i < n; i++)
		CHECK(session(seed + i) == 0);
	printf("test_faults: %llu sessions from seed %llu\n", n, seed);
	for (v = 0; v < 2; v++) {
		ussl_ctx_free(cctx[v]);
		for (k = 0; k < 2; k++)
			ussl_ctx_free(sctx[k][v]);
	}
	return tu_report("test_faults");
}
