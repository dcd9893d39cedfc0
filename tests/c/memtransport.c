/*
 * memtransport.c - the in-memory transport of the C tests and fuzzers
 * (see memtransport.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memtransport.h"

static void die(const char *what)
{
	fprintf(stderr, "memtransport: %s\n", what);
	abort();
}

void mt_pipe_put(mt_pipe *p, const void *data, size_t len)
{
	size_t head = (size_t)(p->buf - p->base);

	if (len == 0)
		return;
	if (head + p->len + len > p->cap) {
		if (p->len + len <= p->cap / 2 + 1 && head > 0) {
			memmove(p->base, p->buf, p->len);
		} else {
			size_t cap = (p->len + len) * 2;
			unsigned char *nb = malloc(cap);

			if (nb == NULL)
				die("out of memory");
			if (p->len > 0)
				memcpy(nb, p->buf, p->len);
			free(p->base);
			p->base = nb;
			p->cap = cap;
		}
		p->buf = p->base;
	}
	memcpy(p->buf + p->len, data, len);
	p->len += len;
}

void mt_pipe_take(mt_pipe *p, size_t n)
{
	if (n > p->len)
		n = p->len;
	p->buf += n;
	p->len -= n;
	if (p->len == 0)
		p->buf = p->base;
}

void mt_pipe_free(mt_pipe *p)
{
	free(p->base);
	memset(p, 0, sizeof(*p));
}

void mt_link_init(mt_link *l)
{
	memset(l, 0, sizeof(*l));
	l->budget_client = l->budget_server = MT_UNLIMITED;
}

void mt_link_free(mt_link *l)
{
	mt_pipe_free(&l->c2s);
	mt_pipe_free(&l->s2c);
	mt_pipe_free(&l->log_c2s);
	mt_pipe_free(&l->log_s2c);
}

/* The transport's arg: which end of which link.  Ends live as long as
   the program (a connection keeps a pointer to its transport's arg); a
   test or fuzz input has fewer than this many alive at once (the most:
   test_idle.c, 96). */
struct mt_end {
	mt_link *l;
	int client;
};
static struct mt_end ends[256];
static unsigned nends;

static long end_send(void *arg, const unsigned char *buf, size_t len,
    int *err)
{
	struct mt_end *e = arg;
	mt_link *l = e->l;
	size_t *budget = e->client ? &l->budget_client : &l->budget_server;

	if (e->client ? l->fin_client : l->fin_server) {
		*err = EPIPE;
		return USSL_ERROR;
	}
	if (l->chunk > 0 && len > l->chunk)
		len = l->chunk;
	if (*budget != MT_UNLIMITED && len > *budget)
		len = *budget;
	if (len == 0) {
		if (l->block_timeout) {
			*err = -1;
			return USSL_ERROR;
		}
		return USSL_WANT_WRITE;
	}
	if (*budget != MT_UNLIMITED)
		*budget -= len;
	if (l->logging)
		mt_pipe_put(e->client ? &l->log_c2s : &l->log_s2c, buf, len);
	if (e->client) {
		l->sent_client += len;
		if (!l->discard_client)
			mt_pipe_put(&l->c2s, buf, len);
	} else {
		l->sent_server += len;
		if (!l->discard_server)
			mt_pipe_put(&l->s2c, buf, len);
	}
	return (long)len;
}

static long end_recv(void *arg, unsigned char *buf, size_t len, int *err)
{
	struct mt_end *e = arg;
	mt_link *l = e->l;
	mt_pipe *p = e->client ? &l->s2c : &l->c2s;
	int eof = e->client ? l->eof_to_client || l->fin_server :
	    l->eof_to_server || l->fin_client;

	(void)err;
	if (len == 0)
		return 0;
	if (p->len == 0)
		return eof ? 0 : USSL_WANT_READ;
	if (l->chunk > 0 && len > l->chunk)
		len = l->chunk;
	if (len > p->len)
		len = p->len;
	memcpy(buf, p->buf, len);
	mt_pipe_take(p, len);
	return (long)len;
}

void mt_attach(ussl_conn *conn, mt_link *l, int is_client)
{
	/* Atomic: threaded tests attach connections from several threads
	   (a plain ++ could hand two connections the same end). */
	unsigned i = __atomic_fetch_add(&nends, 1, __ATOMIC_RELAXED);
	struct mt_end *e = &ends[i % (sizeof(ends) / sizeof(ends[0]))];
	ussl_transport tr;

	e->l = l;
	e->client = is_client;
	tr.arg = e;
	tr.send = end_send;
	tr.recv = end_recv;
	ussl_conn_set_transport(conn, &tr);
}

int mt_handshake_pair(ussl_conn *c, ussl_conn *s, int rounds)
{
	int rc = USSL_WANT_READ, rs = USSL_WANT_READ, i;

	for (i = 0; i < rounds; i++) {
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
