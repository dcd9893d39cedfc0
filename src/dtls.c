/*
 * dtls.c - the core's side of DTLS 1.2: the clock and the retransmission
 * timer engines drive, cookies (HelloVerifyRequest) bound to the client's
 * transport address under a context secret renewed every period, and the
 * public calls of the datagram mode.  Engine-neutral; the engines' glue
 * is in mbedtls_dtls.c and openssl_dtls.c.
 */
#if !defined(USSL_CLOCK_MS) && !defined(_POSIX_C_SOURCE) && \
    !defined(_GNU_SOURCE)
#define _POSIX_C_SOURCE 200112L   /* clock_gettime() under strict C99 */
#endif
#include <stdint.h>
#include <string.h>

#if !defined(USSL_CLOCK_MS)
#include <time.h>
#endif

#include "engine.h"

#if defined(USSL_CLOCK_MS)
/* The port's clock: a function's name, given when compiling. */
uint32_t USSL_CLOCK_MS(void);
#endif

/* A cookie is made under the secret of the current period and accepted
   under it or the one before: valid for COOKIE_PERIOD to twice that. */
#define COOKIE_PERIOD_MS 60000u
#define CLIENT_ID_MAX 255

uint32_t ussl_clock_ms(void)
{
#if defined(USSL_CLOCK_MS)
	return (uint32_t)USSL_CLOCK_MS();
#else
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (uint32_t)((uint64_t)ts.tv_sec * 1000u +
	    (uint64_t)ts.tv_nsec / 1000000u);
#endif
}

int ussl_dtls_ctx_init(ussl_ctx *ctx)
{
	if (ctx->role != USSL_SERVER)
		return USSL_OK;
	return eng_random(ctx->cookie_key, sizeof(ctx->cookie_key)) == 0 ?
	    USSL_OK : USSL_ERROR;
}

int ussl_ctx_dtls(const ussl_ctx *ctx)
{
	return ctx->dtls;
}

/* ---------------------------------------------------------------------- */
/* Timer                                                                   */

void ussl_dtls_timer_set(ussl_conn *conn, uint32_t int_ms, uint32_t fin_ms)
{
	conn->timer_int = int_ms;
	conn->timer_fin = fin_ms;
	if (fin_ms != 0)
		conn->timer_start = ussl_clock_ms();
}

int ussl_dtls_timer_get(const ussl_conn *conn)
{
	uint32_t elapsed;

	if (conn->timer_fin == 0)
		return -1;
	elapsed = ussl_clock_ms() - conn->timer_start;
	if (elapsed >= conn->timer_fin)
		return 2;
	if (elapsed >= conn->timer_int)
		return 1;
	return 0;
}

int ussl_conn_timeout_ms(const ussl_conn *conn)
{
	if (!conn->ctx->dtls || conn->eng == NULL ||
	    conn->state == ST_FAILED || conn->state == ST_CLOSED)
		return -1;
	return eng_dtls_timeout_ms(conn);
}

/* ---------------------------------------------------------------------- */
/* Cookies                                                                 */

/* HMAC-SHA-256 of (period, id) under the context's secret. */
static int cookie_mac(const ussl_ctx *ctx, uint32_t period,
    const unsigned char *id, size_t id_len, unsigned char mac[32])
{
	unsigned char buf[64 + 4 + CLIENT_ID_MAX];
	unsigned char outer[64 + 32];
	size_t i;
	int r;

	if (id_len > CLIENT_ID_MAX)
		return -1;
	memset(buf, 0, 64);
	memcpy(buf, ctx->cookie_key, sizeof(ctx->cookie_key));
	memcpy(outer, buf, 64);
	for (i = 0; i < 64; i++) {
		buf[i] ^= 0x36;
		outer[i] ^= 0x5c;
	}
	buf[64] = (unsigned char)(period >> 24);
	buf[65] = (unsigned char)(period >> 16);
	buf[66] = (unsigned char)(period >> 8);
	buf[67] = (unsigned char)period;
	if (id_len > 0)
		memcpy(buf + 68, id, id_len);
	r = eng_sha256(buf, 68 + id_len, outer + 64);
	if (r == 0)
		r = eng_sha256(outer, sizeof(outer), mac);
	ussl_wipe(buf, 64);
	ussl_wipe(outer, 64);
	return r;
}

static uint32_t period_now(void)
{
	return ussl_clock_ms() / COOKIE_PERIOD_MS;
}

/* Cookie: the low byte of the period, then 16 bytes of the MAC. */
int ussl_dtls_cookie_make(const ussl_ctx *ctx, const unsigned char *id,
    size_t id_len, unsigned char out[USSL_DTLS_COOKIE_LEN])
{
	unsigned char mac[32];
	uint32_t p = period_now();

	if (cookie_mac(ctx, p, id, id_len, mac) != 0)
		return -1;
	out[0] = (unsigned char)p;
	memcpy(out + 1, mac, USSL_DTLS_COOKIE_LEN - 1);
	return 0;
}

int ussl_dtls_cookie_check(const ussl_ctx *ctx, const unsigned char *id,
    size_t id_len, const unsigned char *cookie, size_t len)
{
	unsigned char mac[32];
	uint32_t p = period_now();
	unsigned diff = 0;
	size_t i;

	if (len != USSL_DTLS_COOKIE_LEN || id == NULL)
		return 0;
	if (cookie[0] != (unsigned char)p) {
		p--;    /* made in the period before? */
		if (cookie[0] != (unsigned char)p)
			return 0;
	}
	if (cookie_mac(ctx, p, id, id_len, mac) != 0)
		return 0;
	for (i = 1; i < USSL_DTLS_COOKIE_LEN; i++)
		diff |= (unsigned)(cookie[i] ^ mac[i - 1]);
	return diff == 0;
}

int ussl_conn_set_client_id(ussl_conn *conn, const void *id, size_t len)
{
	unsigned char *copy;

	if (!conn->ctx->dtls || conn->role != USSL_SERVER)
		return ussl_err_set(&conn->err, USSL_E_BADARG,
		    "a client id is for DTLS server connections only");
	if (conn->state != ST_NEW)
		return ussl_err_set(&conn->err, USSL_E_BADARG,
		    "the client id must be set before the handshake");
	if (id == NULL || len == 0 || len > CLIENT_ID_MAX)
		return ussl_err_set(&conn->err, USSL_E_BADARG,
		    "a client id has 1 to %d bytes", CLIENT_ID_MAX);
	copy = USSL_CALLOC(1, len);
	if (copy == NULL)
		return ussl_err_set(&conn->err, USSL_E_NOMEM, "out of memory");
	memcpy(copy, id, len);
	USSL_FREE(conn->dtls_id);
	conn->dtls_id = copy;
	conn->dtls_id_len = len;
	if (eng_dtls_set_client_id(conn) != USSL_OK)
		return USSL_ERROR;
	return USSL_OK;
}
