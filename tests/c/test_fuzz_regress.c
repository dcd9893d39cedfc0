/*
 * test_fuzz_regress.c - replays the inputs in fuzz/regress/<fuzzer>/ (each
 * one a minimised finding of a fuzzer) through the same calls the fuzzer
 * made, so that a fixed bug stays fixed.  The input formats are those of
 * fuzz/fuzz_client.c, fuzz/fuzz_server.c and fuzz/fuzz_load.c (described
 * at the top of each).  Memory errors show in the sanitizer and valgrind
 * runs; contract violations (a verify callback without a certificate, an
 * error without a code) fail here in every build.
 */
#include <dirent.h>
#include <stdint.h>
#include <string.h>

#include "testutil.h"

/* ---- in-memory peer: the input is what the other side sends ---------- */

struct feed {
	const unsigned char *p;
	size_t len, chunk;
	int eof;
};

static long feed_send(void *arg, const unsigned char *buf, size_t len,
    int *err)
{
	(void)arg;
	(void)buf;
	(void)err;
	return (long)len;
}

static long feed_recv(void *arg, unsigned char *buf, size_t len, int *err)
{
	struct feed *f = arg;

	(void)err;
	if (f->len == 0)
		return f->eof ? 0 : USSL_WANT_READ;
	if (f->chunk > 0 && len > f->chunk)
		len = f->chunk;
	if (len > f->len)
		len = f->len;
	memcpy(buf, f->p, len);
	f->p += len;
	f->len -= len;
	return (long)len;
}

static int cb_calls;

/* Accepts everything, as the fuzzers' callbacks do, after checking that
   it was given a certificate (ussl.h: der is valid during the call). */
static int accept_all(void *arg, const unsigned char *der, size_t len,
    int depth, unsigned *flags)
{
	(void)arg;
	cb_calls++;
	CHECK(der != NULL && len > 0);
	CHECK(depth >= 0);
	*flags = 0;
	return 0;
}

static void run_conn(ussl_ctx *ctx, const char *name, const unsigned char *p,
    size_t len, size_t chunk, int eof)
{
	struct feed f = { p, len, chunk, eof };
	ussl_transport tr = { &f, feed_send, feed_recv };
	ussl_error err;
	ussl_conn *conn = ussl_conn_new(ctx, name, &err);
	int rc = USSL_WANT_READ, i;

	CHECK(conn != NULL);
	if (conn == NULL)
		return;
	ussl_conn_set_transport(conn, &tr);
	for (i = 0; i < 100000; i++) {
		rc = ussl_handshake(conn);
		if (rc != USSL_WANT_READ && rc != USSL_WANT_WRITE)
			break;
		if (rc == USSL_WANT_READ && f.len == 0)
			break;
	}
	/* Nobody who cannot know this run's keys completes a handshake. */
	CHECK(rc != USSL_OK);
	if (rc == USSL_ERROR)
		CHECK(ussl_conn_error(conn)->code != USSL_E_NONE);
	(void)ussl_close(conn);
	ussl_conn_free(conn);
}

static void set_versions(ussl_ctx *ctx, unsigned v)
{
	if (v == 1)
		CHECK(ussl_ctx_set_versions(ctx, USSL_TLS1_2, USSL_TLS1_2) == 0);
	else if (v == 2)
		CHECK(ussl_ctx_set_versions(ctx, USSL_TLS1_3, USSL_TLS1_3) == 0);
}

static const char *const alpn[] = { "h2", "http/1.1" };

/* fuzz/fuzz_client.c's format. */
static void replay_client(const unsigned char *p, size_t len)
{
	static const char *const names[] = {
		NULL, "localhost", "127.0.0.1", "::1"
	};
	unsigned cfg = len > 0 ? p[0] : 0, chunk = len > 1 ? p[1] : 0;
	const char *name = names[(cfg >> 4) & 3];
	ussl_ctx *ctx = ussl_ctx_new(USSL_CLIENT);

	set_versions(ctx, cfg & 3);
	if (cfg & 4) {
		CHECK(ussl_ctx_add_ca_file(ctx, tu_cert("ca.pem")) == 0);
		CHECK(ussl_ctx_set_verify(ctx, USSL_VERIFY_REQUIRED) == 0);
		if (name == NULL)
			name = "localhost";
	} else {
		CHECK(ussl_ctx_set_verify(ctx, USSL_VERIFY_NONE) == 0);
	}
	if (cfg & 8)
		CHECK(ussl_ctx_set_alpn(ctx, alpn, 2) == 0);
	if (cfg & 0x40)
		ussl_ctx_set_verify_cb(ctx, accept_all, NULL);
	len = len > 2 ? len - 2 : 0;
	run_conn(ctx, name, p + 2, len, chunk, (cfg & 0x80) != 0);
	ussl_ctx_free(ctx);
}

/* fuzz/fuzz_server.c's format. */
static void replay_server(const unsigned char *p, size_t len)
{
	unsigned cfg = len > 0 ? p[0] : 0, chunk = len > 1 ? p[1] : 0;
	int mode = (cfg >> 2) & 3;
	ussl_ctx *ctx = ussl_ctx_new(USSL_SERVER);

	if (cfg & 0x40)
		CHECK(ussl_ctx_use_cert_chain_file(ctx, tu_cert("server-rsa.pem"),
		    tu_cert("server-rsa.key"), NULL) == 0);
	else
		CHECK(ussl_ctx_use_cert_chain_file(ctx,
		    tu_cert("server-ec-chain.pem"), tu_cert("server-ec.key"),
		    NULL) == 0);
	set_versions(ctx, cfg & 3);
	if (mode != 0) {
		CHECK(ussl_ctx_add_ca_file(ctx, tu_cert("ca.pem")) == 0);
		CHECK(ussl_ctx_set_verify(ctx, mode == 1 ? USSL_VERIFY_OPTIONAL :
		    USSL_VERIFY_REQUIRED) == 0);
		if (mode == 3)
			ussl_ctx_set_verify_cb(ctx, accept_all, NULL);
	}
	if (cfg & 0x10)
		CHECK(ussl_ctx_set_alpn(ctx, alpn, 2) == 0);
	if (cfg & 0x20)
		CHECK(ussl_ctx_set_tickets(ctx, 0) == 0);
	len = len > 2 ? len - 2 : 0;
	run_conn(ctx, NULL, p + 2, len, chunk, (cfg & 0x80) != 0);
	ussl_ctx_free(ctx);
}

/* fuzz/fuzz_load.c's format: mode byte, parts separated by "@@@@". */
#define MAXPARTS 8

static void replay_load(const unsigned char *p, size_t len)
{
	static const char *const names[] = {
		NULL, "localhost", "127.0.0.1", "::1"
	};
	unsigned mode = len > 0 ? p[0] : 0;
	unsigned char *parts[MAXPARTS];
	size_t lens[MAXPARTS], n = 0, start = 1, i;
	ussl_ctx *ctx = ussl_ctx_new(mode & 8 ? USSL_SERVER : USSL_CLIENT);
	ussl_conn *conn;
	ussl_error err;
	unsigned flags;
	char dn[300];
	int rc = USSL_OK;

	if (len == 0)
		len = 1;
	for (i = 1; i + 4 <= len && n < MAXPARTS - 1; i++)
		if (memcmp(p + i, "@@@@", 4) == 0) {
			lens[n] = i - start;
			parts[n] = malloc(lens[n] + 1);
			memcpy(parts[n++], p + start, i - start);
			start = i + 4;
			i += 3;
		}
	lens[n] = len - start;
	parts[n] = malloc(lens[n] + 1);
	memcpy(parts[n++], p + start, len - start);

	switch (mode & 7) {
	case 0:
	case 1:
	case 2:
		if ((mode & 7) == 2 && n >= 3) {
			parts[2][lens[2]] = '\0';
			rc = ussl_ctx_use_cert_chain(ctx, parts[0], lens[0],
			    parts[1], lens[1], (const char *)parts[2]);
		} else {
			rc = ussl_ctx_use_cert_chain(ctx, parts[0], lens[0],
			    (mode & 7) && n > 1 ? parts[1] : NULL,
			    (mode & 7) && n > 1 ? lens[1] : 0, NULL);
		}
		break;
	case 3:
	case 7:
	case 4:
		if (mode & 0x80)
			ussl_ctx_set_verify_cb(ctx, accept_all, NULL);
		if ((mode & 7) == 4)
			CHECK(ussl_ctx_add_ca_file(ctx, tu_cert("ca.pem")) == 0);
		for (i = 0; (mode & 7) != 4 && i < ((mode & 7) == 3 ? n : 1); i++)
			(void)ussl_ctx_add_ca(ctx, parts[i], lens[i]);
		if ((mode & 7) == 4)
			rc = ussl_ctx_verify_chain(ctx,
			    (const unsigned char *const *)parts, lens, n,
			    names[(mode >> 4) & 3],
			    mode & 0x40 ? (int64_t)1893456000 : 0, &flags);
		else if ((mode & 7) == 7 && n > 1)
			rc = ussl_ctx_verify_chain(ctx,
			    (const unsigned char *const *)parts + 1, lens + 1,
			    n - 1, names[(mode >> 4) & 3],
			    mode & 0x40 ? (int64_t)1893456000 : 0, &flags);
		break;
	case 5:
		CHECK(ussl_ctx_set_verify(ctx, USSL_VERIFY_NONE) == 0);
		conn = ussl_conn_new(ctx, "localhost", &err);
		CHECK(conn != NULL);
		if (conn != NULL) {
			if (ussl_conn_set_session(conn, parts[0], lens[0]) != 0)
				CHECK(ussl_conn_error(conn)->code != USSL_E_NONE);
			ussl_conn_free(conn);
		}
		break;
	case 6:
		for (i = 0; i < n; i++) {
			(void)ussl_cert_subject(parts[i], lens[i], dn, sizeof(dn));
			(void)ussl_cert_issuer(parts[i], lens[i], dn, sizeof(dn));
		}
		break;
	}
	if (rc != USSL_OK)
		CHECK(ussl_ctx_error(ctx)->code != USSL_E_NONE);
	ussl_ctx_free(ctx);
	for (i = 0; i < n; i++)
		free(parts[i]);
}

/* ---- driver ------------------------------------------------------------- */

static unsigned char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL &&
	    fread(buf, 1, (size_t)n, f) == (size_t)n) {
		*len = (size_t)n;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static int replay_dir(const char *root, const char *fuzzer,
    void (*fn)(const unsigned char *, size_t))
{
	char dir[1024], path[2048];
	struct dirent *de;
	unsigned char *data;
	size_t len;
	DIR *d;
	int count = 0, before;

	snprintf(dir, sizeof(dir), "%s/%s", root, fuzzer);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strstr(de->d_name, ".md") != NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		data = read_file(path, &len);
		CHECK(data != NULL);
		if (data == NULL)
			continue;
		before = tu_failures;
		fn(data, len);
		printf("%s %s/%s\n", tu_failures == before ? "ok  " : "FAIL",
		    fuzzer, de->d_name);
		free(data);
		count++;
	}
	closedir(d);
	return count;
}

int main(void)
{
	char root[1024];
	const char *src = getenv("USSL_SRC");
	int n = 0;

	/* ctest sets USSL_SRC; else the source tree this file is in. */
	if (src != NULL && *src) {
		snprintf(root, sizeof(root), "%s/fuzz/regress", src);
	} else {
		/* __FILE__ is .../tests/c/test_fuzz_regress.c */
		const char *file = __FILE__, *slash = strrchr(file, '/');

		snprintf(root, sizeof(root), "%.*s/../../fuzz/regress",
		    slash ? (int)(slash - file) : 1, slash ? file : ".");
	}
	n += replay_dir(root, "fuzz_client", replay_client);
	n += replay_dir(root, "fuzz_server", replay_server);
	n += replay_dir(root, "fuzz_load", replay_load);
	printf("%d inputs from %s\n", n, root);
	CHECK(n > 0);
	return tu_report("test_fuzz_regress");
}
