/*
 * fuzz_server.c - libFuzzer target: a ussl server handshake against bytes
 * from the fuzzer, which play the client.
 *
 * Input: two header bytes, then everything the "client" sends.
 *   byte 0  bits 0-1  versions: 0 TLS 1.2-1.3, 1 TLS 1.2, 2 TLS 1.3, 3 as 0
 *           bits 2-3  client certificates: NONE, OPTIONAL, REQUIRED,
 *                     REQUIRED with a verify callback accepting all
 *           bit  4    accept ALPN "h2", "http/1.1"
 *           bit  5    session tickets off (on by default)
 *           bit  6    RSA certificate (else the P-256 chain)
 *           bit  7    end of stream after the input (else WANT_READ)
 *   byte 1  bytes per recv call (0: any)
 * The server's key and certificates are the test PKI made at build time
 * (tests/certs/mkcerts.sh; $USSL_FUZZ_CERTS overrides the directory).
 * What the server sends is thrown away; its randomness differs per run.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"

static ussl_ctx *ctxs[128];

static int accept_all(void *arg, const unsigned char *der, size_t len,
    int depth, unsigned *flags)
{
	(void)arg;
	(void)depth;
	if (der == NULL || len == 0)
		fu_die("verify callback without certificate");
	*flags = 0;
	return 0;
}

static void load_chain(ussl_ctx *ctx, const char *cert, const char *key)
{
	size_t clen, klen;
	unsigned char *c = fu_cert_read(cert, &clen);
	unsigned char *k = fu_cert_read(key, &klen);

	if (ussl_ctx_use_cert_chain(ctx, c, clen, k, klen, NULL) != 0)
		fu_die("use_cert_chain %s: %s", cert, ussl_ctx_error(ctx)->msg);
	free(c);
	free(k);
}

static ussl_ctx *server_ctx(unsigned cfg)
{
	static const char *const alpn[] = { "h2", "http/1.1" };
	unsigned key = cfg & 0x7f;
	ussl_ctx *ctx = ctxs[key];
	unsigned char *ca;
	size_t len;
	int mode = (cfg >> 2) & 3;

	if (ctx != NULL)
		return ctx;
	ctx = ussl_ctx_new(USSL_SERVER);
	if (ctx == NULL)
		fu_die("ussl_ctx_new");
	if (cfg & 0x40)
		load_chain(ctx, "server-rsa.pem", "server-rsa.key");
	else
		load_chain(ctx, "server-ec-chain.pem", "server-ec.key");
	switch (cfg & 3) {
	case 1:
		if (ussl_ctx_set_versions(ctx, USSL_TLS1_2, USSL_TLS1_2) != 0)
			fu_die("set_versions 1.2");
		break;
	case 2:
		if (ussl_ctx_set_versions(ctx, USSL_TLS1_3, USSL_TLS1_3) != 0)
			fu_die("set_versions 1.3");
		break;
	}
	if (mode != 0) {
		ca = fu_cert_read("ca.pem", &len);
		if (ussl_ctx_add_ca(ctx, ca, len) != 0)
			fu_die("add_ca: %s", ussl_ctx_error(ctx)->msg);
		free(ca);
		if (ussl_ctx_set_verify(ctx, mode == 1 ? USSL_VERIFY_OPTIONAL :
		    USSL_VERIFY_REQUIRED) != 0)
			fu_die("set_verify");
		if (mode == 3)
			ussl_ctx_set_verify_cb(ctx, accept_all, NULL);
	}
	if ((cfg & 0x10) && ussl_ctx_set_alpn(ctx, alpn, 2) != 0)
		fu_die("set_alpn");
	if ((cfg & 0x20) && ussl_ctx_set_tickets(ctx, 0) != 0)
		fu_die("set_tickets");
	ctxs[key] = ctx;
	return ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fu_input in = { data, size };
	unsigned cfg = fu_u8(&in), chunk = fu_u8(&in);
	ussl_ctx *ctx = server_ctx(cfg);
	ussl_conn *conn;
	ussl_error err;
	fu_link link;
	unsigned char buf[1024];
	int rc, i;

	conn = ussl_conn_new(ctx, NULL, &err);
	if (conn == NULL)
		fu_die("ussl_conn_new: %s", err.msg);
	fu_link_init(&link);
	link.discard_server = 1;
	link.chunk = chunk;
	link.eof_to_server = (cfg & 0x80) != 0;
	fu_pipe_put(&link.c2s, in.p, in.len);
	fu_attach(conn, &link, 0);

	for (i = 0; i < 100000; i++) {
		rc = ussl_handshake(conn);
		if (rc != USSL_WANT_READ && rc != USSL_WANT_WRITE)
			break;
		if (rc == USSL_WANT_READ && link.c2s.len == 0)
			break;
	}
	fu_poke_conn(conn);
	/* The input cannot know this run's random values or keys, so a
	   completed handshake means a forged one. */
	if (rc == USSL_OK)
		fu_die("handshake completed against bytes that could not "
		    "know this run's keys (%s)", ussl_conn_version(conn));
	if (rc == USSL_OK) {
		for (i = 0; i < 1000; i++)
			if (ussl_read(conn, buf, sizeof(buf)) <= 0)
				break;
		(void)ussl_write(conn, "pong", 4);
		fu_poke_conn(conn);
	}
	if (rc == USSL_ERROR && ussl_conn_error(conn)->code == USSL_E_NONE)
		fu_die("USSL_ERROR without an error code");
	(void)ussl_close(conn);
	ussl_conn_free(conn);
	fu_link_free(&link);
	return 0;
}
