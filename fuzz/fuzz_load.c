/*
 * fuzz_load.c - libFuzzer target: loading keys, certificates, CAs and
 * sessions from bytes, and verifying chains without a handshake.
 *
 * Input: one mode byte, then parts separated by "@@@@" (at most 8; PEM
 * never holds '@', and a dictionary can teach the fuzzer the separator).
 *   mode bits 0-2:
 *     0  ussl_ctx_use_cert_chain(part0, key NULL): key inside the PEM
 *     1  ussl_ctx_use_cert_chain(part0, part1)
 *     2  ussl_ctx_use_cert_chain(part0, part1, password part2)
 *     3  ussl_ctx_add_ca(each part), then verify the test chain with it
 *     4  ussl_ctx_verify_chain(parts) against the test CA
 *     5  ussl_conn_set_session(part0) on a client connection: the
 *        core's envelope check (format, lengths, SHA-256 over it all)
 *        must refuse whatever the fuzzer makes before the engine
 *        parses any of it
 *     6  ussl_cert_subject/ussl_cert_issuer(part0)
 *     7  ussl_ctx_add_ca(part0), ussl_ctx_verify_chain(parts 1..)
 *   bit 3     server context (else client)
 *   bits 4-5  name to match: NULL, "localhost", "127.0.0.1", "::1"
 *   bit 6     judge validity at a fixed time (2030-01-01) instead of now
 *   bit 7     a verify callback that tries to accept everything (clears
 *             the flags, returns 0: the core ignores it)
 */
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"

#define MAXPARTS 8

static ussl_ctx *verify_ctxs[4];
static unsigned char *leaf, *inter;
static size_t leaf_len, inter_len;

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

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	unsigned char *ca;
	size_t len;
	int i;

	(void)argc;
	(void)argv;
	ca = fu_cert_read("ca.pem", &len);
	/* index: bit 0 server, bit 1 callback */
	for (i = 0; i < 4; i++) {
		verify_ctxs[i] = ussl_ctx_new(i & 1 ? USSL_SERVER : USSL_CLIENT);
		if (verify_ctxs[i] == NULL ||
		    ussl_ctx_add_ca(verify_ctxs[i], ca, len) != 0)
			fu_die("verify context");
		if (i & 2)
			ussl_ctx_set_verify_cb(verify_ctxs[i], accept_all, NULL);
	}
	free(ca);
	leaf = fu_cert_read("server-ec.pem", &leaf_len);
	inter = fu_cert_read("int.pem", &inter_len);
	return 0;
}

/* Split at "@@@@" into at most MAXPARTS parts, each copied to its own
   allocation so that ASan catches a read past its end. */
static size_t split(const uint8_t *p, size_t len, unsigned char **parts,
    size_t *lens)
{
	size_t n = 0, start = 0, i;

	for (i = 0; i + 4 <= len && n < MAXPARTS - 1; i++) {
		if (memcmp(p + i, "@@@@", 4) == 0) {
			lens[n] = i - start;
			parts[n] = malloc(lens[n] ? lens[n] : 1);
			memcpy(parts[n], p + start, lens[n]);
			n++;
			start = i + 4;
			i += 3;
		}
	}
	lens[n] = len - start;
	parts[n] = malloc(lens[n] ? lens[n] : 1);
	memcpy(parts[n], p + start, lens[n]);
	return n + 1;
}

static void check_error(const ussl_ctx *ctx, int rc)
{
	const ussl_error *e = ussl_ctx_error(ctx);

	if (e == NULL || e->msg == NULL)
		fu_die("ussl_ctx_error gave no message");
	(void)strlen(e->msg);
	if (rc != USSL_OK && e->code == USSL_E_NONE)
		fu_die("USSL_ERROR without an error code");
}

static void verify(ussl_ctx *ctx, unsigned char **parts, size_t *lens,
    size_t n, unsigned mode)
{
	static const char *const names[] = {
		NULL, "localhost", "127.0.0.1", "::1"
	};
	unsigned flags = 0xdead;
	int rc;

	rc = ussl_ctx_verify_chain(ctx, (const unsigned char *const *)parts,
	    lens, n, names[(mode >> 4) & 3],
	    mode & 0x40 ? (int64_t)1893456000 : 0, &flags);
	check_error(ctx, rc);
	if (rc == USSL_OK && (flags & ~0x83ffu) != 0)
		fu_die("unknown verify flags %#x", flags);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fu_input in = { data, size };
	unsigned mode = fu_u8(&in);
	int role = mode & 8 ? USSL_SERVER : USSL_CLIENT;
	unsigned char *parts[MAXPARTS], *pw;
	size_t lens[MAXPARTS], n, i;
	ussl_ctx *ctx = NULL;
	ussl_conn *conn;
	ussl_error err;
	char name[300], *small;
	int rc;

	n = split(in.p, in.len, parts, lens);
	switch (mode & 7) {
	case 0:
	case 1:
	case 2:
		ctx = ussl_ctx_new(role);
		if (ctx == NULL)
			fu_die("ussl_ctx_new");
		if ((mode & 7) == 0) {
			rc = ussl_ctx_use_cert_chain(ctx, parts[0], lens[0],
			    NULL, 0, NULL);
		} else if ((mode & 7) == 1 || n < 3) {
			rc = ussl_ctx_use_cert_chain(ctx, parts[0], lens[0],
			    n > 1 ? parts[1] : NULL, n > 1 ? lens[1] : 0, NULL);
		} else {
			pw = malloc(lens[2] + 1);
			memcpy(pw, parts[2], lens[2]);
			pw[lens[2]] = '\0';
			rc = ussl_ctx_use_cert_chain(ctx, parts[0], lens[0],
			    parts[1], lens[1], (const char *)pw);
			free(pw);
		}
		check_error(ctx, rc);
		/* A second load replaces the first. */
		if (rc == USSL_OK)
			check_error(ctx, ussl_ctx_use_cert_chain(ctx, parts[0],
			    lens[0], n > 1 ? parts[1] : NULL,
			    n > 1 ? lens[1] : 0, NULL));
		break;
	case 3:
	case 7:
		ctx = ussl_ctx_new(role);
		if (ctx == NULL)
			fu_die("ussl_ctx_new");
		if (mode & 0x80)
			ussl_ctx_set_verify_cb(ctx, accept_all, NULL);
		for (i = 0; i < ((mode & 7) == 3 ? n : 1); i++)
			check_error(ctx, ussl_ctx_add_ca(ctx, parts[i],
			    lens[i]));
		if ((mode & 7) == 7) {
			if (n > 1)
				verify(ctx, parts + 1, lens + 1, n - 1, mode);
		} else {
			unsigned char *chain[2] = { leaf, inter };
			size_t chain_lens[2] = { leaf_len, inter_len };

			verify(ctx, chain, chain_lens, 2, mode);
		}
		break;
	case 4:
		verify(verify_ctxs[(mode >> 3 & 1) | (mode >> 6 & 2)], parts,
		    lens, n, mode);
		break;
	case 5:
		/* Data with a matching digest is what ussl_conn_get_session()
		   gave (ussl.h); the fuzzer cannot make one, so every input
		   here exercises the envelope check alone. */
		conn = ussl_conn_new(verify_ctxs[0], "localhost", &err);
		if (conn == NULL)
			fu_die("ussl_conn_new: %s", err.msg);
		rc = ussl_conn_set_session(conn, parts[0], lens[0]);
		if (rc != USSL_OK && ussl_conn_error(conn)->code == USSL_E_NONE)
			fu_die("set_session failed without an error code");
		ussl_conn_free(conn);
		break;
	case 6:
		/* A buffer of exactly the size given, 1 to 16 bytes, so that
		   ASan sees a write past it; then a roomy one. */
		small = malloc((mode >> 4) + 1);
		for (i = 0; i < n; i++) {
			if (ussl_cert_subject(parts[i], lens[i], small,
			    (mode >> 4) + 1) >= 0 &&
			    memchr(small, 0, (mode >> 4) + 1) == NULL)
				fu_die("subject not NUL-terminated");
			if (ussl_cert_issuer(parts[i], lens[i], name,
			    sizeof(name)) >= 0)
				(void)strlen(name);
		}
		free(small);
		break;
	}
	ussl_ctx_free(ctx);
	for (i = 0; i < n; i++)
		free(parts[i]);
	return 0;
}
