/*
 * sign.c - the signing callback (ussl_ctx_use_cert_signer,
 * ussl_ctx_set_sign_cb): the setters, and the one place that calls the
 * application's callback and judges what it returns, for every engine.
 *
 * An engine signs from deep inside its handshake, through a key object
 * (mbedtls_sign.c, openssl_sign.c) that knows neither the context nor
 * the connection; the engine marks the connection that is running a
 * handshake step in this thread (ussl_sign_enter/leave), and the key
 * object asks ussl_sign_run() for the signature.
 */
#include <string.h>

#include "engine.h"

/* One connection at a time per thread runs a handshake step.  Hosts
   without threads or thread-local storage (bare-metal firmware: no
   __unix__) keep one variable; USSL_NO_THREAD_LOCAL forces that. */
#if defined(__GNUC__) && (defined(__unix__) || defined(__APPLE__)) && \
    !defined(USSL_NO_THREAD_LOCAL)
static __thread ussl_conn *signing;
#else
static ussl_conn *signing;
#endif

void ussl_sign_enter(ussl_conn *conn)
{
	signing = conn;
}

void ussl_sign_leave(void)
{
	signing = NULL;
}

ussl_conn *ussl_sign_current(void)
{
	return signing;
}

static size_t alg_hash_len(int alg)
{
	switch (alg & 0xff00) {
	case 0x0400: return 32;
	case 0x0500: return 48;
	case 0x0600: return 64;
	}
	switch (alg) {
	case USSL_SIGN_RSA_PSS_SHA256: return 32;
	case USSL_SIGN_RSA_PSS_SHA384: return 48;
	case USSL_SIGN_RSA_PSS_SHA512: return 64;
	}
	return 0;
}

static int sign_failed(const char *why)
{
	if (signing != NULL && signing->sign_why == NULL)
		signing->sign_why = why;
	return -1;
}

int ussl_sign_run(int alg, const unsigned char *hash, size_t hash_len,
    unsigned char *sig, size_t *sig_len, size_t want_len)
{
	ussl_ctx *ctx;
	size_t cap = *sig_len, len;
	int r;

	if (signing == NULL)
		return -1;
	ctx = signing->ctx;
	if (ctx->sign_fn == NULL)
		return ctx->keyless ? sign_failed("no sign callback") :
		    USSL_SIGN_DECLINE;
	if (alg_hash_len(alg) != hash_len)
		return sign_failed("no signature scheme for this digest");
	len = cap;
	r = ctx->sign_fn(ctx->sign_arg, alg, hash, hash_len, sig, &len);
	if (r == USSL_SIGN_DECLINE) {
		if (ctx->keyless)
			return sign_failed("the sign callback declined and "
			    "no private key is loaded");
		return USSL_SIGN_DECLINE;
	}
	if (r != 0)
		return sign_failed("the sign callback failed");
	if (len == 0 || len > cap || (want_len != 0 && len != want_len)) {
		ussl_wipe(sig, cap);
		return sign_failed("the sign callback returned a signature of "
		    "the wrong length");
	}
	*sig_len = len;
	return 0;
}

int ussl_sign_bad(void)
{
	return sign_failed("the sign callback returned an invalid "
	    "signature");
}

int ussl_sign_fail(ussl_conn *conn, const char *during)
{
	return ussl_err_set(&conn->err, USSL_E_HANDSHAKE, "%s failed: %s",
	    during, conn->sign_why);
}

int ussl_ctx_set_sign_cb(ussl_ctx *ctx, ussl_sign_fn fn, void *arg)
{
	ussl_sign_fn old_fn;
	void *old_arg;

	if (ussl_ctx_check_mutable(ctx) != USSL_OK)
		return USSL_ERROR;
	if (fn == NULL && ctx->keyless)
		return ussl_err_set(&ctx->err, USSL_E_BADARG, "the chain has "
		    "no private key: it needs a sign callback");
	old_fn = ctx->sign_fn;
	old_arg = ctx->sign_arg;
	ctx->sign_fn = fn;
	ctx->sign_arg = arg;
	if (eng_ctx_sign_update(ctx) != USSL_OK) {
		ctx->sign_fn = old_fn;
		ctx->sign_arg = old_arg;
		return USSL_ERROR;
	}
	return USSL_OK;
}

int ussl_ctx_use_cert_signer(ussl_ctx *ctx, const unsigned char *cert,
    size_t cert_len, ussl_sign_fn fn, void *arg)
{
	ussl_sign_fn old_fn;
	void *old_arg;

	if (ussl_ctx_check_mutable(ctx) != USSL_OK)
		return USSL_ERROR;
	if (cert == NULL || cert_len == 0)
		return ussl_err_set(&ctx->err, USSL_E_BADCERT,
		    "no certificate data");
	if (fn == NULL)
		return ussl_err_set(&ctx->err, USSL_E_BADARG,
		    "no sign callback");
	old_fn = ctx->sign_fn;
	old_arg = ctx->sign_arg;
	ctx->sign_fn = fn;
	ctx->sign_arg = arg;
	if (eng_ctx_use_cert_signer(ctx, cert, cert_len) != USSL_OK) {
		ctx->sign_fn = old_fn;
		ctx->sign_arg = old_arg;
		return USSL_ERROR;
	}
	ctx->has_chain = 1;
	ctx->keyless = 1;
	return USSL_OK;
}

int ussl_ctx_key_ref(const ussl_ctx *ctx, unsigned char *buf, size_t *len)
{
	if (ctx->keyless) {
		*len = 0;
		return -1;
	}
	return eng_ctx_key_ref(ctx, buf, len);
}
