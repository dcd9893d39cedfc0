/*
 * fuzzutil.c - helpers shared by the fuzzers and the seed recorder: test
 * PKI files, in-memory transports, an input reader, a handshake pump.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"

#ifndef FUZZ_CERT_DIR
#define FUZZ_CERT_DIR "build-fuzz/certs"
#endif

void fu_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("fuzz harness: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

const char *fu_cert_path(const char *name)
{
	static char path[1024];
	const char *dir = getenv("USSL_FUZZ_CERTS");

	snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : FUZZ_CERT_DIR,
	    name);
	return path;
}

unsigned char *fu_cert_read(const char *name, size_t *len)
{
	const char *path = fu_cert_path(name);
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n = 0;

	if (f == NULL)
		fu_die("cannot open %s (set USSL_FUZZ_CERTS to the directory "
		    "tests/certs/mkcerts.sh made)", path);
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		fu_die("cannot size %s", path);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
		fu_die("cannot read %s", path);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

unsigned fu_u8(fu_input *in)
{
	unsigned v = 0;

	if (in->len > 0) {
		v = in->p[0];
		in->p++;
		in->len--;
	}
	return v;
}

unsigned fu_u16(fu_input *in)
{
	unsigned hi = fu_u8(in);

	return hi << 8 | fu_u8(in);
}

const uint8_t *fu_bytes(fu_input *in, size_t n, size_t *got)
{
	const uint8_t *p = in->p;

	if (n > in->len)
		n = in->len;
	in->p += n;
	in->len -= n;
	*got = n;
	return p;
}

void fu_pipe_put(fu_pipe *p, const void *data, size_t len)
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
				fu_die("out of memory");
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

void fu_pipe_take(fu_pipe *p, size_t n)
{
	if (n > p->len)
		n = p->len;
	p->buf += n;
	p->len -= n;
	if (p->len == 0)
		p->buf = p->base;
}

void fu_pipe_free(fu_pipe *p)
{
	free(p->base);
	memset(p, 0, sizeof(*p));
}

void fu_link_init(fu_link *l)
{
	memset(l, 0, sizeof(*l));
}

void fu_link_free(fu_link *l)
{
	fu_pipe_free(&l->c2s);
	fu_pipe_free(&l->s2c);
	fu_pipe_free(&l->log_c2s);
	fu_pipe_free(&l->log_s2c);
}

/* The transport's arg: which end of which link. */
struct fu_end {
	fu_link *l;
	int client;
};

/* Ends live as long as the program: a connection keeps a pointer to its
   transport's arg, and the fuzzers make at most a few per input. */
static struct fu_end ends[16];
static unsigned nends;

static long end_send(void *arg, const unsigned char *buf, size_t len,
    int *err)
{
	struct fu_end *e = arg;
	fu_link *l = e->l;

	(void)err;
	if (l->logging)
		fu_pipe_put(e->client ? &l->log_c2s : &l->log_s2c, buf, len);
	if (e->client) {
		l->sent_client += len;
		if (!l->discard_client)
			fu_pipe_put(&l->c2s, buf, len);
	} else {
		l->sent_server += len;
		if (!l->discard_server)
			fu_pipe_put(&l->s2c, buf, len);
	}
	return (long)len;
}

static long end_recv(void *arg, unsigned char *buf, size_t len, int *err)
{
	struct fu_end *e = arg;
	fu_link *l = e->l;
	fu_pipe *p = e->client ? &l->s2c : &l->c2s;
	int eof = e->client ? l->eof_to_client : l->eof_to_server;

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
	fu_pipe_take(p, len);
	return (long)len;
}

void fu_attach(ussl_conn *conn, fu_link *l, int is_client)
{
	struct fu_end *e = &ends[nends++ % (sizeof(ends) / sizeof(ends[0]))];
	ussl_transport tr;

	e->l = l;
	e->client = is_client;
	tr.arg = e;
	tr.send = end_send;
	tr.recv = end_recv;
	ussl_conn_set_transport(conn, &tr);
}

int fu_handshake_pair(ussl_conn *c, ussl_conn *s)
{
	int rc = USSL_WANT_READ, rs = USSL_WANT_READ, i;

	for (i = 0; i < 200; i++) {
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

long fu_read_some(ussl_conn *c)
{
	unsigned char buf[64];
	long n = USSL_WANT_READ;
	int i;

	for (i = 0; i < 10 && n == USSL_WANT_READ; i++)
		n = ussl_read(c, buf, sizeof(buf));
	return n;
}

/* Read every byte of [p, p+n) so that ASan checks the whole range. */
static void touch(const void *p, size_t n)
{
	const volatile unsigned char *b = p;
	unsigned char x = 0;
	size_t i;

	for (i = 0; i < n; i++)
		x ^= b[i];
	(void)x;
}

static void touch_str(const char *s)
{
	if (s != NULL)
		touch(s, strlen(s) + 1);
}

void fu_poke_conn(const ussl_conn *conn)
{
	const ussl_error *err = ussl_conn_error(conn);
	const unsigned char *der;
	size_t len = 0;
	char name[256];

	if (err == NULL || err->msg == NULL)
		fu_die("ussl_conn_error gave no message");
	touch_str(err->msg);
	touch_str(ussl_strerror(err->code));
	touch_str(ussl_conn_version(conn));
	touch_str(ussl_conn_cipher(conn));
	touch_str(ussl_conn_alpn(conn));
	(void)ussl_conn_cipher_bits(conn);
	(void)ussl_conn_verify_flags(conn);
	(void)ussl_conn_peer_verified(conn);
	(void)ussl_conn_session_reused(conn);
	(void)ussl_conn_role(conn);
	(void)ussl_handshake_done(conn);
	(void)ussl_pending(conn);
	if (ussl_conn_peer_cert(conn, &der, &len) == 0) {
		touch(der, len);
		if (ussl_cert_subject(der, len, name, sizeof(name)) >= 0)
			touch_str(name);
		if (ussl_cert_issuer(der, len, name, sizeof(name)) >= 0)
			touch_str(name);
	}
	len = 0;
	if (ussl_conn_get_session(conn, NULL, &len) == -1 && len > 0) {
		unsigned char *buf = malloc(len);

		if (buf != NULL && ussl_conn_get_session(conn, buf, &len) == 0)
			touch(buf, len);
		free(buf);
	}
}
