/*
 * fuzz_record.c - libFuzzer target: the record layer of an established
 * ussl client connection.
 *
 * Each run completes a real handshake between a ussl client and a ussl
 * server in memory, then lets the input, read as a list of operations,
 * decide what reaches the client: raw bytes, genuine records the server
 * encrypts (whole, mutated, replayed or cut short), close_notify, end of
 * stream; and what the client does: short reads, draining reads, writes,
 * its own close.
 *
 * Input: two header bytes, then operations.
 *   byte 0  bits 0-1  versions: 0 TLS 1.2-1.3, 1 TLS 1.2, 2 TLS 1.3, 3 as 1
 *           bit  2    full handshake (else: resume a session saved from
 *                     an earlier full handshake, which is quicker)
 *           bit  3    client verifies the server (REQUIRED; else NONE)
 *           bits 4-5  client's suites: default, ChaCha20, AES-256, default
 *   byte 1  bytes per client recv call (0: any)
 * Operations: one byte (its value modulo 12 picks), then arguments.
 *   0 RAW n:u8, n bytes      raw bytes to the client
 *   1 APP n:u16              server writes n % 20000 + 1 bytes
 *   2 MUT n:u8 off:u16 x:u8  server writes n + 1 bytes; the byte at
 *                            off (mod the record bytes) is xor-ed with x|1
 *   3 CLOSE                  server sends close_notify
 *   4 READ n:u8              one client read of n + 1 bytes; check
 *                            ussl_pending()
 *   5 DRAIN                  client reads until nothing is left
 *   6 CUT n:u8               drop the last n bytes queued for the client
 *   7 WRITE n:u8             client writes n + 1 bytes (thrown away)
 *   8 REPLAY                 queue the server's last output again
 *   9 CHUNK n:u8             bytes per client recv call (0: any)
 *  10 FIN                    end of stream once the queue is empty
 *  11 CCLOSE                 client sends close_notify (half-close)
 * At the end of the input the stream ends and the client drains.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"

#define NCFG 64
/* Stream bytes an input may have the server write. */
#define MAX_STREAM (256 * 1024)

static ussl_ctx *server_ctxs[4];
static ussl_ctx *client_ctxs[NCFG];
static unsigned char *sessions[NCFG];
static size_t session_lens[NCFG];

static void set_versions(ussl_ctx *ctx, unsigned v)
{
	int rc = 0;

	if (v == 1 || v == 3)
		rc = ussl_ctx_set_versions(ctx, USSL_TLS1_2, USSL_TLS1_2);
	else if (v == 2)
		rc = ussl_ctx_set_versions(ctx, USSL_TLS1_3, USSL_TLS1_3);
	if (rc != 0)
		fu_die("set_versions: %s", ussl_ctx_error(ctx)->msg);
}

static ussl_ctx *server_ctx(unsigned cfg)
{
	ussl_ctx **slot = &server_ctxs[cfg & 3];
	unsigned char *c, *k;
	size_t clen, klen;

	if (*slot != NULL)
		return *slot;
	if ((*slot = ussl_ctx_new(USSL_SERVER)) == NULL)
		fu_die("ussl_ctx_new");
	c = fu_cert_read("server-ec-chain.pem", &clen);
	k = fu_cert_read("server-ec.key", &klen);
	if (ussl_ctx_use_cert_chain(*slot, c, clen, k, klen, NULL) != 0)
		fu_die("use_cert_chain: %s", ussl_ctx_error(*slot)->msg);
	free(c);
	free(k);
	set_versions(*slot, cfg & 3);
	return *slot;
}

static ussl_ctx *client_ctx(unsigned cfg)
{
	static const char *const chacha[] = {
		"TLS_CHACHA20_POLY1305_SHA256",
		"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
	};
	static const char *const aes256[] = {
		"TLS_AES_256_GCM_SHA384",
		"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
	};
	ussl_ctx **slot = &client_ctxs[cfg & 0x3b];
	unsigned char *ca;
	size_t len;
	int rc = 0;

	if (*slot != NULL)
		return *slot;
	if ((*slot = ussl_ctx_new(USSL_CLIENT)) == NULL)
		fu_die("ussl_ctx_new");
	set_versions(*slot, cfg & 3);
	if (cfg & 8) {
		ca = fu_cert_read("ca.pem", &len);
		if (ussl_ctx_add_ca(*slot, ca, len) != 0)
			fu_die("add_ca: %s", ussl_ctx_error(*slot)->msg);
		free(ca);
	} else if (ussl_ctx_set_verify(*slot, USSL_VERIFY_NONE) != 0) {
		fu_die("set_verify");
	}
	if (((cfg >> 4) & 3) == 1)
		rc = ussl_ctx_set_ciphers(*slot, chacha, 2);
	else if (((cfg >> 4) & 3) == 2)
		rc = ussl_ctx_set_ciphers(*slot, aes256, 2);
	if (rc != 0)
		fu_die("set_ciphers: %s", ussl_ctx_error(*slot)->msg);
	return *slot;
}

static void write_all(ussl_conn *conn, const unsigned char *buf, size_t len)
{
	long n;

	while (len > 0) {
		n = ussl_write(conn, buf, len);
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/* A full handshake whose session (for TLS 1.3 the ticket, which comes
   with the first data) is kept for later runs to resume. */
static void save_session(unsigned cfg)
{
	unsigned key = cfg & 0x3b;
	ussl_error err;
	ussl_conn *c, *s;
	fu_link link;
	size_t len = 0;

	c = ussl_conn_new(client_ctx(cfg), "localhost", &err);
	s = ussl_conn_new(server_ctx(cfg), NULL, &err);
	if (c == NULL || s == NULL)
		fu_die("ussl_conn_new");
	fu_link_init(&link);
	fu_attach(c, &link, 1);
	fu_attach(s, &link, 0);
	if (fu_handshake_pair(c, s) != 0)
		fu_die("priming handshake: %s / %s", ussl_conn_error(c)->msg,
		    ussl_conn_error(s)->msg);
	write_all(s, (const unsigned char *)"x", 1);
	if (fu_read_some(c) != 1)
		fu_die("priming read: %s", ussl_conn_error(c)->msg);
	if (ussl_conn_get_session(c, NULL, &len) != -1 || len == 0)
		fu_die("no session to save");
	sessions[key] = malloc(len);
	if (sessions[key] == NULL ||
	    ussl_conn_get_session(c, sessions[key], &len) != 0)
		fu_die("get_session");
	session_lens[key] = len;
	ussl_conn_free(c);
	ussl_conn_free(s);
	fu_link_free(&link);
}

/*
 * What the run has done so far, for the checks on every client read:
 * the data stream is pat(0), pat(1), ... so that a record replayed or
 * altered and still accepted shows up as wrong bytes.
 */
struct run {
	ussl_conn *c, *s;
	fu_link link;
	size_t sent, got;       /* stream bytes written by server / read */
	int server_closed;      /* the server's close_notify went out */
	int tampered;           /* RAW, MUT, CUT or REPLAY was used */
	int fin;                /* end of stream was announced */
	int client_closed;      /* the client called ussl_close */
	int zero_seen;          /* a read returned 0 (close_notify) */
	int err_code;           /* first fatal error of a read, 0: none */
	unsigned char *data;    /* scratch: what the server writes */
};

static unsigned char pat(size_t pos)
{
	return (unsigned char)(((uint32_t)pos * 2654435761u) >> 24);
}

static void server_send(struct run *r, size_t len)
{
	size_t i;
	long n;

	for (i = 0; i < len; i++)
		r->data[i] = pat(r->sent + i);
	i = 0;
	while (i < len) {
		n = ussl_write(r->s, r->data + i, len - i);
		if (n <= 0)
			break;
		i += (size_t)n;
	}
	r->sent += i;
}

/* One client read, checked against the contract in ussl.h. */
static long client_read(struct run *r, size_t len)
{
	unsigned char buf[4096];
	long n;
	int code;
	size_t i;

	if (len > sizeof(buf))
		len = sizeof(buf);
	n = ussl_read(r->c, buf, len);
	code = ussl_conn_error(r->c)->code;
	if (r->zero_seen && n != 0)
		fu_die("read after close_notify returned %ld, not 0", n);
	if (n > 0) {
		if ((size_t)n > len)
			fu_die("read returned %ld > %zu", n, len);
		if (r->got + (size_t)n > r->sent)
			fu_die("client read %zu bytes, server wrote %zu",
			    r->got + (size_t)n, r->sent);
		for (i = 0; i < (size_t)n; i++)
			if (buf[i] != pat(r->got + i))
				fu_die("byte %zu of the stream is wrong: the "
				    "client accepted data the server never sent",
				    r->got + i);
		r->got += (size_t)n;
	} else if (n == 0) {
		if (!r->server_closed)
			fu_die("read gave 0 (close_notify) but the server "
			    "never closed");
		if (r->got != r->sent)
			fu_die("close_notify accepted with %zu of %zu bytes "
			    "unread (truncation)", r->sent - r->got, r->sent);
		r->zero_seen = 1;
	} else if (n == USSL_ERROR) {
		if (code == USSL_E_NONE)
			fu_die("USSL_ERROR without an error code");
		/* Fatal errors are sticky (until the client closes: a
		   closed connection answers USSL_E_CLOSED). */
		if (r->err_code != 0 && code != r->err_code &&
		    !r->client_closed)
			fu_die("error changed from %d to %d", r->err_code, code);
		if (r->err_code == 0)
			r->err_code = code;
		/* Genuine records only: the one failure allowed is the
		   stream ending without close_notify. */
		if (!r->tampered && !(r->fin && code == USSL_E_TRUNCATED) &&
		    !(r->client_closed && code == USSL_E_CLOSED))
			fu_die("read of untampered records failed: %s (%s)",
			    ussl_strerror(code), ussl_conn_error(r->c)->msg);
	} else if (n == USSL_WANT_WRITE) {
		fu_die("read gave WANT_WRITE on a transport that never blocks");
	} else if (n != USSL_WANT_READ) {
		fu_die("read returned %ld", n);
	}
	if (n != USSL_ERROR && r->err_code != 0 && !r->client_closed)
		fu_die("read returned %ld after a fatal error", n);
	return n;
}

/* Client reads until it has nothing more to give; returns its last rc.
   A read that only handled a record without data (a TLS 1.3 ticket)
   returns USSL_WANT_READ, so that one counts as progress when the queue
   shrank. */
static long drain(struct run *r)
{
	long n = USSL_WANT_READ;
	size_t before;
	int i;

	for (i = 0; i < 10000; i++) {
		before = r->link.s2c.len;
		n = client_read(r, 4096);
		if (n > 0 || (n == USSL_WANT_READ && r->link.s2c.len < before))
			continue;
		break;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fu_input in = { data, size };
	unsigned cfg = fu_u8(&in), chunk = fu_u8(&in);
	unsigned key = cfg & 0x3b;
	ussl_error err;
	struct run r;
	unsigned char *last = NULL;
	size_t last_len = 0, before, n, off, got;
	const uint8_t *raw;
	long rc;

	if (!(cfg & 4) && sessions[key] == NULL)
		save_session(cfg);
	memset(&r, 0, sizeof(r));
	r.c = ussl_conn_new(client_ctx(cfg), "localhost", &err);
	r.s = ussl_conn_new(server_ctx(cfg), NULL, &err);
	if (r.c == NULL || r.s == NULL)
		fu_die("ussl_conn_new");
	if (!(cfg & 4) &&
	    ussl_conn_set_session(r.c, sessions[key], session_lens[key]) != 0)
		fu_die("set_session: %s", ussl_conn_error(r.c)->msg);
	fu_link_init(&r.link);
	fu_attach(r.c, &r.link, 1);
	fu_attach(r.s, &r.link, 0);
	if (fu_handshake_pair(r.c, r.s) != 0)
		fu_die("handshake: %s / %s", ussl_conn_error(r.c)->msg,
		    ussl_conn_error(r.s)->msg);
	/* From here on the client's output is of no interest, and the
	   handshake's last server bytes (e.g. tickets) stay queued. */
	r.link.discard_client = 1;
	fu_pipe_free(&r.link.c2s);
	r.link.chunk = chunk;
	r.data = malloc(20000);
	if (r.data == NULL)
		fu_die("out of memory");

	while (in.len > 0) {
		unsigned op = fu_u8(&in) % 12;

		before = r.link.s2c.len;
		switch (op) {
		case 0:
			raw = fu_bytes(&in, fu_u8(&in), &got);
			fu_pipe_put(&r.link.s2c, raw, got);
			r.tampered |= got > 0;
			break;
		case 1:
			/* Bounded, so that an input of one-byte reads stays
			   quick. */
			n = fu_u16(&in) % 20000 + 1;
			if (r.sent < MAX_STREAM)
				server_send(&r, n);
			break;
		case 2:
			n = fu_u8(&in) + 1;
			off = fu_u16(&in);
			server_send(&r, n);
			if (r.link.s2c.len > before) {
				r.link.s2c.buf[before + off %
				    (r.link.s2c.len - before)] ^=
				    (unsigned char)(fu_u8(&in) | 1);
				r.tampered = 1;
			}
			break;
		case 3:
			if (ussl_close(r.s) == USSL_OK)
				r.server_closed = 1;
			break;
		case 4:
			(void)client_read(&r, fu_u8(&in) + 1);
			/* What a short read left over is no more than the
			   server wrote and the client has not read yet. */
			if (ussl_pending(r.c) > r.sent - r.got)
				fu_die("%zu bytes pending, %zu unread",
				    ussl_pending(r.c), r.sent - r.got);
			break;
		case 5:
			(void)drain(&r);
			break;
		case 6:
			n = fu_u8(&in);
			n = n < r.link.s2c.len ? n : r.link.s2c.len;
			r.link.s2c.len -= n;
			r.tampered |= n > 0;
			break;
		case 7:
			rc = ussl_write(r.c, r.data, fu_u8(&in) + 1);
			if (rc < 0 && !r.tampered && !r.fin && !r.client_closed &&
			    !r.zero_seen)
				fu_die("client write failed: %s",
				    ussl_conn_error(r.c)->msg);
			break;
		case 8:
			fu_pipe_put(&r.link.s2c, last, last_len);
			r.tampered |= last_len > 0;
			break;
		case 9:
			r.link.chunk = fu_u8(&in);
			break;
		case 10:
			r.link.eof_to_client = 1;
			r.fin = 1;
			break;
		case 11:
			(void)ussl_close(r.c);
			r.client_closed = 1;
			break;
		}
		if (op != 8 && r.link.s2c.len > before) {
			free(last);
			last_len = r.link.s2c.len - before;
			last = malloc(last_len);
			if (last == NULL)
				fu_die("out of memory");
			memcpy(last, r.link.s2c.buf + before, last_len);
		}
	}
	r.link.eof_to_client = 1;
	r.fin = 1;
	rc = drain(&r);
	/* At the end of the stream reads must end too: a caller waiting for
	   "readable" would be woken by the EOF and call again, but not for
	   ever. */
	for (n = 0; n < 3 && rc == USSL_WANT_READ; n++)
		rc = drain(&r);
	if (rc == USSL_WANT_READ)
		fu_die("reads at end of stream keep giving WANT_READ");
	/* Untampered: everything the server wrote arrived. */
	if (!r.tampered && r.got != r.sent && r.err_code == 0)
		fu_die("%zu of %zu bytes never arrived", r.sent - r.got, r.sent);
	fu_poke_conn(r.c);
	ussl_conn_free(r.c);
	ussl_conn_free(r.s);
	fu_link_free(&r.link);
	free(last);
	free(r.data);
	return 0;
}
