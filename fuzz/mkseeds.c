/*
 * mkseeds.c - writes seed inputs for the fuzzers that need recorded TLS
 * traffic: real handshakes between a ussl client and a ussl server in
 * memory, with the bytes each side sent saved in the input format of
 * fuzz_client (the server's flights), fuzz_server (the client's), plus
 * operation lists for fuzz_record and a saved session for fuzz_load.
 *
 * Usage: mkseeds SEEDDIR   (writes a directory per fuzzer; the test PKI is
 * found as in the fuzzers: $USSL_FUZZ_CERTS or the build's certs/)
 * The recordings hold this run's randomness: replayed, the handshakes get
 * as far as the first message that depends on the peer's keys.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzzutil.h"

static const char *outdir;
static int nfiles;

static void save(const char *fuzzer, const char *name, const void *hdr,
    size_t hlen, const void *data, size_t len)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, fuzzer);
	if (mkdir(path, 0777) != 0 && errno != EEXIST)
		fu_die("mkdir %s", path);
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, fuzzer, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(hdr, 1, hlen, f) != hlen ||
	    (len > 0 && fwrite(data, 1, len, f) != len) || fclose(f) != 0)
		fu_die("cannot write %s", path);
	nfiles++;
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

static void add_ca(ussl_ctx *ctx)
{
	size_t len;
	unsigned char *ca = fu_cert_read("ca.pem", &len);

	if (ussl_ctx_add_ca(ctx, ca, len) != 0)
		fu_die("add_ca: %s", ussl_ctx_error(ctx)->msg);
	free(ca);
}

static void versions(ussl_ctx *ctx, unsigned v)
{
	if (v == 1)
		ussl_ctx_set_versions(ctx, USSL_TLS1_2, USSL_TLS1_2);
	else if (v == 2)
		ussl_ctx_set_versions(ctx, USSL_TLS1_3, USSL_TLS1_3);
}

/*
 * One recorded handshake.  v: 0 default, 1 TLS 1.2, 2 TLS 1.3; rsa: the
 * server's RSA certificate; alpn: both offer ALPN; ccert: the server asks
 * for a client certificate and the client has one.
 */
static void record(unsigned v, int rsa, int alpn, int ccert)
{
	static const char *const protos[] = { "h2", "http/1.1" };
	ussl_ctx *cc = ussl_ctx_new(USSL_CLIENT), *sc = ussl_ctx_new(USSL_SERVER);
	ussl_conn *c, *s;
	ussl_error err;
	fu_link link;
	unsigned char hdr[2];
	char name[64];
	int chunk;

	if (cc == NULL || sc == NULL)
		fu_die("ussl_ctx_new");
	versions(cc, v);
	versions(sc, v);
	ussl_ctx_set_verify(cc, USSL_VERIFY_NONE);
	if (rsa)
		load_chain(sc, "server-rsa.pem", "server-rsa.key");
	else
		load_chain(sc, "server-ec-chain.pem", "server-ec.key");
	if (alpn && (ussl_ctx_set_alpn(cc, protos, 2) != 0 ||
	    ussl_ctx_set_alpn(sc, protos, 2) != 0))
		fu_die("set_alpn");
	if (ccert) {
		add_ca(sc);
		ussl_ctx_set_verify(sc, USSL_VERIFY_REQUIRED);
		load_chain(cc, "client.pem", "client.key");
	}
	c = ussl_conn_new(cc, "localhost", &err);
	s = ussl_conn_new(sc, NULL, &err);
	if (c == NULL || s == NULL)
		fu_die("ussl_conn_new");
	fu_link_init(&link);
	link.logging = 1;
	fu_attach(c, &link, 1);
	fu_attach(s, &link, 0);
	if (fu_handshake_pair(c, s) != 0)
		fu_die("handshake: %s / %s", ussl_conn_error(c)->msg,
		    ussl_conn_error(s)->msg);
	/* Some application data and a close, so that the recordings go on
	   past the handshake (tickets, records, alerts). */
	if (ussl_write(s, "hello", 5) != 5 || fu_read_some(c) != 5)
		fu_die("data: %s", ussl_conn_error(c)->msg);
	(void)ussl_close(s);
	(void)fu_read_some(c);

	for (chunk = 0; chunk <= 7; chunk += 7) {
		/* fuzz_client: the server's bytes; header as documented
		   there (name "localhost", verify off and on). */
		hdr[0] = (unsigned char)(v | (alpn ? 8 : 0) | 0x10);
		hdr[1] = (unsigned char)chunk;
		snprintf(name, sizeof(name), "flight-v%u-%s%s%s-c%d", v,
		    rsa ? "rsa" : "ec", alpn ? "-alpn" : "",
		    ccert ? "-ccert" : "", chunk);
		save("fuzz_client", name, hdr, 2, link.log_s2c.buf,
		    link.log_s2c.len);
		hdr[0] |= 4;
		snprintf(name, sizeof(name), "flight-v%u-%s%s%s-c%d-verify", v,
		    rsa ? "rsa" : "ec", alpn ? "-alpn" : "",
		    ccert ? "-ccert" : "", chunk);
		save("fuzz_client", name, hdr, 2, link.log_s2c.buf,
		    link.log_s2c.len);
		/* fuzz_server: the client's bytes. */
		hdr[0] = (unsigned char)(v | (ccert ? 8 : 0) |
		    (alpn ? 0x10 : 0) | (rsa ? 0x40 : 0));
		snprintf(name, sizeof(name), "hello-v%u-%s%s%s-c%d", v,
		    rsa ? "rsa" : "ec", alpn ? "-alpn" : "",
		    ccert ? "-ccert" : "", chunk);
		save("fuzz_server", name, hdr, 2, link.log_c2s.buf,
		    link.log_c2s.len);
	}
	ussl_conn_free(c);
	ussl_conn_free(s);
	ussl_ctx_free(cc);
	ussl_ctx_free(sc);
	fu_link_free(&link);
}

/* A saved session (TLS 1.2 and 1.3) for fuzz_load's mode 5. */
static void session(unsigned v)
{
	ussl_ctx *cc = ussl_ctx_new(USSL_CLIENT), *sc = ussl_ctx_new(USSL_SERVER);
	ussl_conn *c, *s;
	ussl_error err;
	fu_link link;
	unsigned char *sess = NULL, mode = 5;
	size_t len = 0;
	char name[32];

	versions(cc, v);
	versions(sc, v);
	ussl_ctx_set_verify(cc, USSL_VERIFY_NONE);
	load_chain(sc, "server-ec-chain.pem", "server-ec.key");
	c = ussl_conn_new(cc, "localhost", &err);
	s = ussl_conn_new(sc, NULL, &err);
	if (c == NULL || s == NULL)
		fu_die("ussl_conn_new");
	fu_link_init(&link);
	fu_attach(c, &link, 1);
	fu_attach(s, &link, 0);
	if (fu_handshake_pair(c, s) != 0 || ussl_write(s, "x", 1) != 1 ||
	    fu_read_some(c) != 1)
		fu_die("session handshake");
	if (ussl_conn_get_session(c, NULL, &len) != -1 || len == 0 ||
	    (sess = malloc(len)) == NULL ||
	    ussl_conn_get_session(c, sess, &len) != 0)
		fu_die("get_session");
	snprintf(name, sizeof(name), "session-v%u", v);
	save("fuzz_load", name, &mode, 1, sess, len);
	free(sess);
	ussl_conn_free(c);
	ussl_conn_free(s);
	ussl_ctx_free(cc);
	ussl_ctx_free(sc);
	fu_link_free(&link);
}

/* Operation lists for fuzz_record (see its header for the encoding). */
static void record_ops(void)
{
	static const struct {
		const char *name;
		size_t len;
		const char *ops;
	} seeds[] = {
		{ "app-drain", 4, "\x01\x00\x10\x05" },
		{ "app-big", 4, "\x01\x4e\x10\x05" },
		{ "app-close", 5, "\x01\x00\x20\x03\x05" },
		{ "short-reads", 9, "\x01\x01\x00\x04\x03\x04\x10\x04\xff" },
		{ "mutate", 6, "\x02\x10\x00\x05\x80\x05" },
		{ "replay", 6, "\x01\x00\x08\x08\x05\x05" },
		{ "cut", 6, "\x01\x00\x40\x06\x05\x05" },
		{ "fin-mid-record", 7, "\x01\x00\x40\x06\x05\x0a\x05" },
		{ "raw-record", 24, "\x00\x15\x17\x03\x03\x00\x10"
		    "0123456789abcdef\x05" },
		{ "raw-alert", 10, "\x00\x07\x15\x03\x03\x00\x02\x02\x28\x05" },
		{ "chunked", 7, "\x09\x03\x01\x02\x00\x05\x03" },
		{ "client-close", 6, "\x0b\x01\x00\x20\x05\x03" },
		{ "client-write", 5, "\x07\x20\x01\x00\x05" },
	};
	static const unsigned char cfgs[] = { 0x00, 0x01, 0x02, 0x04, 0x05,
		0x0c, 0x11, 0x21 };
	unsigned char hdr[2];
	char name[64];
	size_t i, j;

	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		for (j = 0; j < sizeof(cfgs); j++) {
			/* Only some seeds in every configuration. */
			if (j > 2 && i % 4 != j % 4)
				continue;
			hdr[0] = cfgs[j];
			hdr[1] = 0;
			snprintf(name, sizeof(name), "%s-cfg%02x", seeds[i].name,
			    cfgs[j]);
			save("fuzz_record", name, hdr, 2, seeds[i].ops,
			    seeds[i].len);
		}
}

int main(int argc, char **argv)
{
	unsigned v;

	if (argc != 2) {
		fprintf(stderr, "usage: %s SEEDDIR\n", argv[0]);
		return 2;
	}
	outdir = argv[1];
	if (mkdir(outdir, 0777) != 0 && errno != EEXIST)
		fu_die("mkdir %s", outdir);
	for (v = 0; v <= 2; v++) {
		record(v, 0, 0, 0);
		record(v, 1, 1, 0);
		record(v, 0, 1, 1);
	}
	session(1);
	session(2);
	record_ops();
	printf("mkseeds: %d files in %s\n", nfiles, outdir);
	return 0;
}
