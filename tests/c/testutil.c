/*
 * testutil.c - helpers of the C tests: certificate files, context
 * builders from the generated test PKI, the in-memory link's set-up.
 */
#include <string.h>

#include "testutil.h"

int tu_failures;
int tu_checks;

const char *tu_cert(const char *name)
{
	static char path[4][1024];
	static int slot;
	const char *dir = getenv("USSL_TEST_CERTS");

	slot = (slot + 1) % 4;
	snprintf(path[slot], sizeof(path[slot]), "%s/%s",
	    dir ? dir : "test-certs", name);
	return path[slot];
}

unsigned char *tu_read(const char *name, size_t *len)
{
	FILE *f = fopen(tu_cert(name), "rb");
	unsigned char *buf;
	long n;

	if (f == NULL) {
		fprintf(stderr, "cannot open %s\n", tu_cert(name));
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
		exit(2);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

void tu_link_init(tu_link *l, int chunk)
{
	mt_link_init(l);
	l->chunk = chunk > 0 ? (size_t)chunk : 0;
}

void tu_fin(tu_link *l, int from_client)
{
	if (from_client)
		l->fin_client = 1;
	else
		l->fin_server = 1;
}

ussl_ctx *tu_server_ctx(const char *cert, const char *key, int verify)
{
	ussl_ctx *ctx = ussl_ctx_new(USSL_SERVER);

	if (ctx == NULL ||
	    ussl_ctx_use_cert_chain_file(ctx, tu_cert(cert),
	    key ? tu_cert(key) : NULL, NULL) != USSL_OK) {
		fprintf(stderr, "server ctx: %s\n",
		    ctx ? ussl_ctx_error(ctx)->msg : "NULL");
		exit(2);
	}
	if (verify != USSL_VERIFY_NONE &&
	    (ussl_ctx_add_ca_file(ctx, tu_cert("ca.pem")) != USSL_OK ||
	    ussl_ctx_set_verify(ctx, verify) != USSL_OK))
		exit(2);
	return ctx;
}

ussl_ctx *tu_client_ctx(const char *ca, int verify)
{
	ussl_ctx *ctx = ussl_ctx_new(USSL_CLIENT);

	if (ctx == NULL || ussl_ctx_set_verify(ctx, verify) != USSL_OK)
		exit(2);
	if (ca != NULL && ussl_ctx_add_ca_file(ctx, tu_cert(ca)) != USSL_OK) {
		fprintf(stderr, "client ctx: %s\n", ussl_ctx_error(ctx)->msg);
		exit(2);
	}
	return ctx;
}

int tu_report(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, tu_checks, tu_failures);
	return tu_failures ? 1 : 0;
}

int tu_cb_calls;

int tu_count_cb(void *arg, const unsigned char *der, size_t len, int depth,
    unsigned *flags)
{
	(void)arg;
	(void)der;
	(void)len;
	(void)depth;
	(void)flags;
	tu_cb_calls++;
	return 0;
}
