/*
 * test_mfl.c - the RAM-related behaviour of a connection: records limited
 * by a requested max_fragment_length, argument checks of
 * ussl_ctx_set_max_fragment, and resumed sessions still showing the
 * peer's certificate (the engine keeps the leaf itself, not the parsed
 * chain).
 */
#include <string.h>

#include "testutil.h"

#define PAYLOAD 20000

/* Largest record body in the bytes a pipe holds (whole records only). */
static size_t largest_record(const tu_pipe *p, size_t *count)
{
	size_t off = 0, max = 0, n;

	*count = 0;
	while (off + 5 <= p->len) {
		n = (size_t)p->buf[off + 3] << 8 | p->buf[off + 4];
		if (n > max)
			max = n;
		off += 5 + n;
		(*count)++;
	}
	return off == p->len ? max : (size_t)-1;
}

static int write_all(ussl_conn *c, const unsigned char *buf, size_t len)
{
	size_t off = 0;
	long r;

	while (off < len) {
		r = ussl_write(c, buf + off, len - off);
		if (r <= 0)
			return -1;
		off += (size_t)r;
	}
	return 0;
}

static int read_all(ussl_conn *c, unsigned char *buf, size_t len)
{
	size_t off = 0;
	long r;

	while (off < len) {
		r = ussl_read(c, buf + off, len - off);
		if (r <= 0)
			return -1;
		off += (size_t)r;
	}
	return 0;
}

/* Client asks for `mfl`; the server's records must then fit. */
static void test_records(unsigned mfl)
{
	ussl_ctx *sc = tu_server_ctx("server-ec-chain.pem", "server-ec.key",
	    USSL_VERIFY_NONE);
	ussl_ctx *cc = tu_client_ctx("ca.pem", USSL_VERIFY_REQUIRED);
	ussl_conn *c, *s;
	ussl_error err;
	tu_link l;
	static unsigned char out[PAYLOAD], in[PAYLOAD];
	size_t i, max, n;

	for (i = 0; i < sizeof(out); i++)
		out[i] = (unsigned char)(i * 7 + mfl);
	CHECK(ussl_ctx_set_max_fragment(cc, mfl) == USSL_OK);
	tu_link_init(&l, 0);
	c = ussl_conn_new(cc, "localhost", &err);
	s = ussl_conn_new(sc, NULL, &err);
	CHECK(c != NULL && s != NULL);
	if (c == NULL || s == NULL)
		goto out;
	tu_attach(c, &l, 1);
	tu_attach(s, &l, 0);
	CHECK(tu_handshake_pair(c, s) == 0);
	/* mbedTLS's TLS 1.3 client cannot take the answer: TLS 1.2 there. */
	if (mfl != 0 && strncmp(ussl_engine_version(), "mbedTLS", 7) == 0)
		CHECK(strcmp(ussl_conn_version(c), "TLSv1.2") == 0);
	/* Server to client: every record within the agreed size plus the
	   AEAD's expansion (TLS 1.2 GCM: 8-byte nonce, 16-byte tag). */
	CHECK(write_all(s, out, sizeof(out)) == 0);
	max = largest_record(&l.s2c, &n);
	CHECK(max != (size_t)-1);
	if (mfl != 0) {
		CHECK(max <= mfl + 32);
		CHECK(n >= sizeof(out) / mfl);
	} else {
		CHECK(max > 4096);   /* full-size records without a request */
	}
	CHECK(read_all(c, in, sizeof(in)) == 0);
	CHECK(memcmp(in, out, sizeof(out)) == 0);
	/* Client to server: our records obey the limit too. */
	CHECK(write_all(c, out, sizeof(out)) == 0);
	max = largest_record(&l.c2s, &n);
	if (mfl != 0)
		CHECK(max <= mfl + 32);
	CHECK(read_all(s, in, sizeof(in)) == 0);
	CHECK(memcmp(in, out, sizeof(out)) == 0);
out:
	ussl_conn_free(c);
	ussl_conn_free(s);
	tu_link_free(&l);
	ussl_ctx_free(cc);
	ussl_ctx_free(sc);
}

static void test_args(void)
{
	ussl_ctx *cc = tu_client_ctx("ca.pem", USSL_VERIFY_REQUIRED);
	static const unsigned bad[] = { 1, 256, 511, 513, 3000, 8192, 16384 };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(ussl_ctx_set_max_fragment(cc, bad[i]) == USSL_ERROR);
		CHECK(ussl_ctx_error(cc)->code == USSL_E_BADARG);
	}
	CHECK(ussl_ctx_set_max_fragment(cc, 1024) == USSL_OK);
	CHECK(ussl_ctx_set_max_fragment(cc, 0) == USSL_OK);
	ussl_ctx_free(cc);
}

/* Session data carries the peer's certificate: a resumed connection shows
   the same certificate and counts as verified. */
static void test_resumed_peer(int version)
{
	ussl_ctx *sc = tu_server_ctx("server-ec-chain.pem", "server-ec.key",
	    USSL_VERIFY_NONE);
	ussl_ctx *cc = tu_client_ctx("ca.pem", USSL_VERIFY_REQUIRED);
	ussl_conn *c = NULL, *s = NULL;
	const unsigned char *der1, *der2;
	unsigned char *sess = NULL, *first = NULL, byte;
	size_t len1 = 0, len2 = 0, slen = 0;
	ussl_error err;
	tu_link l;
	int round;

	if (ussl_ctx_set_versions(cc, version, version) != USSL_OK) {
		/* An engine without TLS 1.3 (mbedTLS 2.28). */
		ussl_ctx_free(cc);
		ussl_ctx_free(sc);
		return;
	}
	for (round = 0; round < 2; round++) {
		tu_link_init(&l, 0);
		c = ussl_conn_new(cc, "localhost", &err);
		s = ussl_conn_new(sc, NULL, &err);
		CHECK(c != NULL && s != NULL);
		if (c == NULL || s == NULL)
			break;
		tu_attach(c, &l, 1);
		tu_attach(s, &l, 0);
		if (round == 1)
			CHECK(ussl_conn_set_session(c, sess, slen) == USSL_OK);
		CHECK(tu_handshake_pair(c, s) == 0);
		/* One byte each way: a TLS 1.3 ticket arrives before it. */
		CHECK(ussl_write(s, (const unsigned char *)"x", 1) == 1);
		CHECK(ussl_read(c, &byte, 1) == 1);
		CHECK(ussl_conn_session_reused(c) == round);
		CHECK(ussl_conn_peer_verified(c) == 1);
		CHECK(ussl_conn_peer_cert(c, &der2, &len2) == 0);
		if (round == 0) {
			der1 = der2;
			len1 = len2;
			first = malloc(len1);
			memcpy(first, der1, len1);
			CHECK(ussl_conn_get_session(c, NULL, &slen) != 0 &&
			    slen > len1);
			sess = malloc(slen);
			CHECK(ussl_conn_get_session(c, sess, &slen) == 0);
			/* Asked twice: the same data. */
			CHECK(ussl_conn_get_session(c, sess, &slen) == 0);
		} else {
			CHECK(len2 == len1 && first != NULL &&
			    memcmp(der2, first, len1) == 0);
		}
		ussl_conn_free(c);
		ussl_conn_free(s);
		c = s = NULL;
		tu_link_free(&l);
	}
	/* Damaged session data is refused before any handshake. */
	if (sess != NULL && slen > 8) {
		c = ussl_conn_new(cc, "localhost", &err);
		CHECK(ussl_conn_set_session(c, sess, 7) == USSL_ERROR);
		sess[0] ^= 0xff;
		CHECK(ussl_conn_set_session(c, sess, slen) == USSL_ERROR);
		ussl_conn_free(c);
	}
	free(sess);
	free(first);
	ussl_ctx_free(cc);
	ussl_ctx_free(sc);
}

int main(void)
{
	test_args();
	test_records(0);
	test_records(512);
	test_records(1024);
	test_records(4096);
	test_resumed_peer(USSL_TLS1_2);
	test_resumed_peer(USSL_TLS1_3);
	return tu_report("test_mfl");
}
