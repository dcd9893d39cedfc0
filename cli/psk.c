/*
 * psk.c - usslcat's pre-shared key options: --psk-identity ID with
 * --psk HEXKEY set a client's PSK or a key a server accepts.  The key's
 * text is wiped from the argument list once decoded, and never printed.
 */
#include <stdio.h>
#include <string.h>

#include "usslcat.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int cat_psk_apply(ussl_ctx *ctx, const struct cat_opts *o)
{
	unsigned char key[USSL_PSK_MAX_KEY];
	size_t n = 0, i, len = strlen(o->psk_hex);
	int hi, lo, r, bad = len == 0 || len % 2 != 0 ||
	    len / 2 > sizeof(key);

	for (i = 0; !bad && i < len; i += 2) {
		hi = hexval(o->psk_hex[i]);
		lo = hexval(o->psk_hex[i + 1]);
		if (hi < 0 || lo < 0)
			bad = 1;
		else
			key[n++] = (unsigned char)(hi << 4 | lo);
	}
	/* Out of the process's argument list (ps, /proc). */
	memset(o->psk_hex, 'x', len);
	if (bad) {
		memset(key, 0, sizeof(key));
		fprintf(stderr, "usslcat: --psk: not a key of 1 to %d bytes "
		    "in hexadecimal\n", USSL_PSK_MAX_KEY);
		return CAT_EXIT_USAGE;
	}
	r = o->server ?
	    ussl_ctx_add_psk(ctx, (const unsigned char *)o->psk_identity,
	    strlen(o->psk_identity), key, n) :
	    ussl_ctx_set_psk(ctx, (const unsigned char *)o->psk_identity,
	    strlen(o->psk_identity), key, n);
	memset(key, 0, sizeof(key));
	__asm__ __volatile__("" : : "r"(key) : "memory");
	if (r != USSL_OK) {
		fprintf(stderr, "usslcat: --psk-identity/--psk: %s\n",
		    ussl_ctx_error(ctx)->msg);
		return CAT_EXIT_CONFIG;
	}
	return CAT_EXIT_OK;
}

/* "usslcat: psk identity: ID" (bytes outside printable ASCII as \xNN)
   after a PSK handshake (returns 1); nothing otherwise (returns 0). */
int cat_psk_summary(const ussl_conn *conn)
{
	const unsigned char *id;
	size_t len, i;

	if (ussl_conn_psk_identity(conn, &id, &len) != 0)
		return 0;
	fputs("usslcat: psk identity: ", stderr);
	for (i = 0; i < len; i++) {
		if (id[i] >= 0x20 && id[i] < 0x7f && id[i] != '\\')
			fputc(id[i], stderr);
		else
			fprintf(stderr, "\\x%02x", id[i]);
	}
	fputc('\n', stderr);
	return 1;
}
