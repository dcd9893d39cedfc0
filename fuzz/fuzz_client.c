/*
 * fuzz_client.c - libFuzzer target: a ussl client handshake against bytes
 * from the fuzzer, which play the server.
 *
 * Input: two header bytes, then everything the "server" sends.
 *   byte 0  bits 0-1  versions: 0 TLS 1.2-1.3, 1 TLS 1.2, 2 TLS 1.3, 3 as 0
 *           bit  2    verification REQUIRED against the test CA (else NONE)
 *           bit  3    offer ALPN "h2", "http/1.1"
 *           bits 4-5  server name: NULL (verify off only), "localhost",
 *                     "127.0.0.1", "::1"
 *           bit  6    a verify callback that tries to accept everything
 *                     (clears the flags, returns 0: the core ignores it)
 *           bit  7    end of stream after the input (else WANT_READ)
 *   byte 1  bytes per recv call (0: any)
 * What the client sends is thrown away.  The client's own randomness (its
 * random, key shares) differs between runs: only the public API is used,
 * which has no hook for a fixed RNG.  Beyond a ServerHello the fuzzer
 * cannot produce what the client's keys would accept, so this target is
 * about the plaintext part of the handshake and error handling.
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

/* Contexts are made once per configuration: making one seeds a DRBG and
   parses the CA, which would otherwise dominate every run. */
static ussl_ctx *client_ctx(unsigned cfg)
{
	static const char *const alpn[] = { "h2", "http/1.1" };
	unsigned key = cfg & 0x4f;
	ussl_ctx *ctx = ctxs[key];
	size_t len;
	unsigned char *ca;

	if (ctx != NULL)
		return ctx;
	ctx = ussl_ctx_new(USSL_CLIENT);
	if (ctx == NULL)
		fu_die("ussl_ctx_new");
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
	if (cfg & 4) {
		ca = fu_cert_read("ca.pem", &len);
		if (ussl_ctx_add_ca(ctx, ca, len) != 0)
			fu_die("add_ca: %s", ussl_ctx_error(ctx)->msg);
		free(ca);
		if (ussl_ctx_set_verify(ctx, USSL_VERIFY_REQUIRED) != 0)
			fu_die("set_verify");
	} else if (ussl_ctx_set_verify(ctx, USSL_VERIFY_NONE) != 0) {
		fu_die("set_verify");
	}
	if ((cfg & 8) && ussl_ctx_set_alpn(ctx, alpn, 2) != 0)
		fu_die("set_alpn");
	if (cfg & 0x40)
		ussl_ctx_set_verify_cb(ctx, accept_all, NULL);
	ctxs[key] = ctx;
	return ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {
		NULL, "localhost", "127.0.0.1", "::1"
	};
	fu_input in = { data, size };
	unsigned cfg = fu_u8(&in), chunk = fu_u8(&in);
	const char *name = names[(cfg >> 4) & 3];
	ussl_ctx *ctx = client_ctx(cfg);
	ussl_conn *conn;
	ussl_error err;
	fu_link link;
	unsigned char buf[1024];
	int rc, i;

	if ((cfg & 4) && name == NULL)
		name = "localhost";
	conn = ussl_conn_new(ctx, name, &err);
	if (conn == NULL)
		fu_die("ussl_conn_new: %s", err.msg);
	fu_link_init(&link);
	link.discard_client = 1;
	link.chunk = chunk;
	link.eof_to_client = (cfg & 0x80) != 0;
	fu_pipe_put(&link.s2c, in.p, in.len);
	fu_attach(conn, &link, 1);

	/* Each WANT_READ with data still queued is progress; the loop is
	   bounded all the same. */
	for (i = 0; i < 100000; i++) {
		rc = ussl_handshake(conn);
		if (rc != USSL_WANT_READ && rc != USSL_WANT_WRITE)
			break;
		if (rc == USSL_WANT_READ && link.s2c.len == 0)
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
		(void)ussl_write(conn, "ping", 4);
		fu_poke_conn(conn);
	}
	if (rc == USSL_ERROR && ussl_conn_error(conn)->code == USSL_E_NONE)
		fu_die("USSL_ERROR without an error code");
	(void)ussl_close(conn);
	ussl_conn_free(conn);
	fu_link_free(&link);
	return 0;
}
