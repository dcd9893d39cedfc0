/*
 * ctx.c - the reference-counted, shareable configuration (ussl_ctx).
 *
 * Parsing of certificates and keys is the engine's; this file keeps the
 * engine-neutral settings, their validation and secure defaults.
 */
#include <string.h>

#include "engine.h"

/* A process-unique, never-zero number (see ussl_ctx.ca_id). */
uint64_t ussl_new_id(void)
{
	static uint64_t last;
#if defined(__GNUC__)
	return __atomic_add_fetch(&last, 1, __ATOMIC_RELAXED);
#else
	return ++last;
#endif
}

ussl_ctx *ussl_ctx_new(int role)
{
	ussl_ctx *ctx;

	if (role != USSL_CLIENT && role != USSL_SERVER)
		return NULL;
	ctx = USSL_CALLOC(1, sizeof(*ctx));
	if (ctx == NULL)
		return NULL;
	ctx->refs = 1;
	ctx->role = role;
	/* Secure default: a client verifies; a server does not ask. */
	ctx->verify = role == USSL_CLIENT ? USSL_VERIFY_REQUIRED :
	    USSL_VERIFY_NONE;
	ctx->min_version = USSL_TLS1_2;
	ctx->max_version = 0;
	ussl_err_clear(&ctx->err);
	if (eng_ctx_init(ctx) != USSL_OK) {
		ussl_err_free(&ctx->err);
		USSL_FREE(ctx);
		return NULL;
	}
	return ctx;
}

ussl_ctx *ussl_ctx_ref(ussl_ctx *ctx)
{
	/* Atomic so that connections on several threads may share it. */
#if defined(__GNUC__)
	__atomic_add_fetch(&ctx->refs, 1, __ATOMIC_RELAXED);
#else
	ctx->refs++;
#endif
	return ctx;
}

static void alpn_clear(ussl_ctx *ctx)
{
	size_t i;

	for (i = 0; ctx->alpn[i] != NULL; i++) {
		USSL_FREE(ctx->alpn[i]);
		ctx->alpn[i] = NULL;
	}
}

void ussl_ctx_free(ussl_ctx *ctx)
{
	int left;

	if (ctx == NULL)
		return;
#if defined(__GNUC__)
	left = __atomic_sub_fetch(&ctx->refs, 1, __ATOMIC_ACQ_REL);
#else
	left = --ctx->refs;
#endif
	if (left > 0)
		return;
	ussl_sess_ctx_free(ctx);
	eng_ctx_free(ctx);
	alpn_clear(ctx);
	ussl_err_free(&ctx->err);
	ussl_wipe(ctx, sizeof(*ctx));
	USSL_FREE(ctx);
}

int ussl_ctx_role(const ussl_ctx *ctx)
{
	return ctx->role;
}

const ussl_error *ussl_ctx_error(const ussl_ctx *ctx)
{
	return &ctx->err.pub;
}

int ussl_ctx_set_verify(ussl_ctx *ctx, int mode)
{
	ussl_err_clear(&ctx->err);
	if (mode != USSL_VERIFY_NONE && mode != USSL_VERIFY_OPTIONAL &&
	    mode != USSL_VERIFY_REQUIRED)
		return ussl_err_set(&ctx->err, USSL_E_BADARG,
		    "invalid verify mode %d", mode);
	ctx->verify = mode;
	return eng_ctx_update(ctx);
}

int ussl_ctx_set_verify_relax(ussl_ctx *ctx, unsigned flags)
{
	ussl_err_clear(&ctx->err);
	if ((flags & ~USSL_RELAX_ALL) != 0)
		return ussl_err_set(&ctx->err, USSL_E_BADARG,
		    "unknown verify relaxation flags 0x%x", flags);
	ctx->relax = flags;
	return USSL_OK;
}

int ussl_ctx_set_max_fragment(ussl_ctx *ctx, unsigned len)
{
	unsigned old = ctx->max_frag;

	ussl_err_clear(&ctx->err);
	if (len != 0 && len != 512 && len != 1024 && len != 2048 &&
	    len != 4096)
		return ussl_err_set(&ctx->err, USSL_E_BADARG,
		    "max fragment length %u: use 512, 1024, 2048, 4096 or 0",
		    len);
	ctx->max_frag = len;
	if (eng_ctx_update(ctx) != USSL_OK) {
		ctx->max_frag = old;
		(void)eng_ctx_update(ctx);
		return USSL_ERROR;
	}
	return USSL_OK;
}

int ussl_ctx_verify(const ussl_ctx *ctx)
{
	return ctx->verify;
}

static int version_ok(int v)
{
	return v == 0 || v == USSL_TLS1_2 || v == USSL_TLS1_3;
}

int ussl_ctx_set_versions(ussl_ctx *ctx, int min, int max)
{
	int old_min, old_max;

	ussl_err_clear(&ctx->err);
	if (!version_ok(min) || !version_ok(max))
		return ussl_err_set(&ctx->err, USSL_E_BADARG,
		    "unsupported TLS version (only TLS 1.2 and 1.3)");
	if (min == 0)
		min = USSL_TLS1_2;
	if (max != 0 && max < min)
		return ussl_err_set(&ctx->err, USSL_E_BADARG,
		    "maximum TLS version below the minimum");
	old_min = ctx->min_version;
	old_max = ctx->max_version;
	ctx->min_version = min;
	ctx->max_version = max;
	if (eng_ctx_update(ctx) != USSL_OK) {
		ctx->min_version = old_min;
		ctx->max_version = old_max;
		eng_ctx_update(ctx);
		return USSL_ERROR;
	}
	return USSL_OK;
}

int ussl_ctx_use_cert_chain(ussl_ctx *ctx, const unsigned char *cert,
    size_t cert_len, const unsigned char *key, size_t key_len,
    const char *password)
{
	ussl_err_clear(&ctx->err);
	if (cert == NULL || cert_len == 0)
		return ussl_err_set(&ctx->err, USSL_E_BADCERT,
		    "no certificate data");
	if (key != NULL && key_len == 0)
		return ussl_err_set(&ctx->err, USSL_E_BADKEY, "no key data");
	if (eng_ctx_use_cert_chain(ctx, cert, cert_len, key, key_len,
	    password) != USSL_OK)
		return USSL_ERROR;
	ctx->has_chain = 1;
	return USSL_OK;
}

int ussl_ctx_add_ca(ussl_ctx *ctx, const unsigned char *data, size_t len)
{
	ussl_err_clear(&ctx->err);
	if (data == NULL || len == 0)
		return ussl_err_set(&ctx->err, USSL_E_BADCERT,
		    "no CA certificate data");
	if (eng_ctx_add_ca(ctx, data, len) != USSL_OK)
		return USSL_ERROR;
	ctx->n_ca++;
	ctx->ca_id = ussl_new_id();
	return USSL_OK;
}

int ussl_ctx_set_alpn(ussl_ctx *ctx, const char *const *protos, size_t n)
{
	char *copy[USSL_ALPN_MAX];
	size_t i, len;

	ussl_err_clear(&ctx->err);
	if (n > USSL_ALPN_MAX)
		return ussl_err_set(&ctx->err, USSL_E_BADARG,
		    "too many ALPN protocols (at most %d)", USSL_ALPN_MAX);
	for (i = 0; i < n; i++) {
		len = protos[i] ? strlen(protos[i]) : 0;
		if (len == 0 || len > 255) {
			while (i > 0)
				USSL_FREE(copy[--i]);
			return ussl_err_set(&ctx->err, USSL_E_BADARG,
			    "ALPN protocol names must be 1 to 255 bytes");
		}
		copy[i] = USSL_CALLOC(1, len + 1);
		if (copy[i] == NULL) {
			while (i > 0)
				USSL_FREE(copy[--i]);
			return ussl_err_set(&ctx->err, USSL_E_NOMEM,
			    "out of memory");
		}
		memcpy(copy[i], protos[i], len + 1);
	}
	alpn_clear(ctx);
	for (i = 0; i < n; i++)
		ctx->alpn[i] = copy[i];
	ctx->alpn[n] = NULL;
	return eng_ctx_update(ctx);
}

int ussl_ctx_set_ciphers(ussl_ctx *ctx, const char *const *names, size_t n)
{
	ussl_err_clear(&ctx->err);
	if (n > 0 && names == NULL)
		return ussl_err_set(&ctx->err, USSL_E_BADARG, "no cipher list");
	return eng_ctx_set_ciphers(ctx, names, n);
}

int ussl_ctx_cipher_name(const ussl_ctx *ctx, size_t i, char *buf,
    size_t size)
{
	return eng_ctx_cipher_name(ctx, i, buf, size);
}

void ussl_ctx_set_verify_cb(ussl_ctx *ctx, ussl_verify_fn fn, void *arg)
{
	ctx->verify_fn = fn;
	ctx->verify_arg = arg;
}

int ussl_ctx_set_tickets(ussl_ctx *ctx, unsigned lifetime)
{
	ussl_err_clear(&ctx->err);
	if (ctx->role != USSL_SERVER)
		return ussl_err_set(&ctx->err, USSL_E_BADARG,
		    "session tickets are issued by servers");
	return eng_ctx_set_tickets(ctx, lifetime);
}

int ussl_ctx_verify_chain(ussl_ctx *ctx, const unsigned char *const *certs,
    const size_t *lens, size_t n, const char *name, int64_t at_time,
    unsigned *flags)
{
	ussl_peer_name pn;
	ussl_vstate vs;
	size_t i;
	int r;

	ussl_err_clear(&ctx->err);
	*flags = 0;
	if (certs == NULL || lens == NULL || n == 0)
		return ussl_err_set(&ctx->err, USSL_E_BADARG, "no certificate");
	for (i = 0; i < n; i++)
		if (certs[i] == NULL || lens[i] == 0)
			return ussl_err_set(&ctx->err, USSL_E_BADCERT,
			    "empty certificate at position %u", (unsigned)i);
	memset(&pn, 0, sizeof(pn));
	if (name != NULL && ussl_name_set(&pn, name) != USSL_OK)
		return ussl_err_set(&ctx->err, USSL_E_NOMEM, "out of memory");
	vs.ctx = ctx;
	vs.role = ctx->role;
	vs.name = name != NULL ? &pn : NULL;
	vs.at_time = at_time;
	vs.flags = flags;
	r = eng_verify_chain(&vs, certs, lens, n);
	ussl_name_free(&pn);
	return r;
}

const char *ussl_engine_version(void)
{
	return eng_version();
}
