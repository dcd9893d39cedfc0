/*
 * fuzzutil.c - helpers shared by the fuzzers and the seed recorder: test
 * PKI files, an input reader, reading past records without data, poking
 * at getters (the in-memory transport is tests/c/memtransport.c).
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
