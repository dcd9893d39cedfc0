/*
 * ctx.c - the reference-counted, shareable configuration (ussl_ctx).
 *
 * Parsing of certificates and keys is the engine's; this file keeps the
 * engine-neutral settings, their validation and secure defaults.
 *
 * A context is frozen by its first connection (ussl_conn_new): from then
 * on it may be read by any number of threads, and every setter refuses
 * with USSL_E_BADARG.  ussl_ctx_dup() makes a mutable copy that shares
 * the parsed CA store and own chain with the original (the engines keep
 * them reference-counted and copy on write).
 */
#include <string.h>

#include "engine.h"
#include "psk.h"
#include "ussl_lock.h"

/* A process-unique, never-zero number (see ussl_ctx.ca_id): a 64-bit
   atomic add where the target has one; elsewhere (Cortex-M3, RV32
   without libatomic) the core's lock, which is nothing on ports without
   threads. */
#if defined(__GCC_HAVE_SYNC_COMPARE_AND_SWAP_8)
uint64_t ussl_new_id(void)
{
	static uint64_t last;

	return __atomic_add_fetch(&last, 1, __ATOMIC_RELAXED);
}
#else
USSL_LOCK_STATIC(id_lock);

uint64_t ussl_new_id(void)
{
	static uint64_t last;
	uint64_t id;

	ussl_lock(&id_lock);
	id = ++last;
	ussl_unlock(&id_lock);
	return id;
}
#endif

ussl_ctx *ussl_ctx_new(int role)
{
	ussl_ctx *ctx;
	int dtls = (role & USSL_DTLS) != 0;

	role &= ~USSL_DTLS;
	if (role != USSL_CLIENT && role != USSL_SERVER)
		return NULL;
	ctx = USSL_CALLOC(1, sizeof(*ctx));
	if (ctx == NULL)
		return NULL;
	ctx->refs = 1;
	ctx->role = role;
	ctx->dtls = dtls;
	/* Secure default: a client verifies; a server does not ask. */
	ctx->verify = role == USSL_CLIENT ? USSL_VERIFY_REQUIRED :
	    USSL_VERIFY_NONE;
	ctx->min_version = USSL_TLS1_2;
	ctx->max_version = 0;
	ctx->tickets = role == USSL_SERVER ? USSL_TICKET_LIFETIME : 0;
	ussl_err_clear(&ctx->err);
	if (eng_ctx_init(ctx) != USSL_OK) {
		ussl_err_free(&ctx->err);
		USSL_FREE(ctx);
		return NULL;
	}
	if (dtls && ussl_dtls_ctx_init(ctx) != USSL_OK) {
		ussl_ctx_free(ctx);
		return NULL;
	}
	return ctx;
}

ussl_ctx *ussl_ctx_ref(ussl_ctx *ctx)
{
	/* Atomic so that connections on several threads may share it. */
	ussl_ref_inc(&ctx->refs);
	return ctx;
}

void ussl_ctx_freeze(ussl_ctx *ctx)
{
#if defined(__GNUC__)
	__atomic_store_n(&ctx->frozen, 1, __ATOMIC_RELEASE);
#else
	ctx->frozen = 1;
#endif
}

int ussl_ctx_frozen(const ussl_ctx *ctx)
{
#if defined(__GNUC__)
	return __atomic_load_n(&ctx->frozen, __ATOMIC_ACQUIRE);
#else
	return ctx->frozen;
#endif
}

int ussl_ctx_check_mutable(ussl_ctx *ctx)
{
	ussl_err_clear(&ctx->err);
	if (ussl_ctx_frozen(ctx))
		return ussl_err_set(&ctx->err, USSL_E_BADARG, "context is in "
		    "use by a connection: make a copy with ussl_ctx_dup()");
	return USSL_OK;
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
	left = ussl_ref_dec(&ctx->refs);
	if (left > 0)
		return;
	ussl_sess_ctx_free(ctx);
	ussl_psk_free(ctx);
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
	if (ussl_ctx_check_mutable(ctx) != USSL_OK)
		return USSL_ERROR;
	if (mode != USSL_VERIFY_NONE && mode != USSL_VERIFY_OPTIONAL &&
	    mode != USSL_VERIFY_REQUIRED)
		return ussl_err_set(&ctx->err, USSL_E_BADARG,
		    "invalid verify mode %d", mode);
	ctx->verify = mode;
	return eng_ctx_update(ctx);
}

int ussl_ctx_set_verify_relax(ussl_ctx *ctx, unsigned flags)
{
	if (ussl_ctx_check_mutable(ctx) != USSL_OK)
		return USSL_ERROR;
	if ((flags & ~(USSL_RELAX_ALL | USSL_RELAX_NO_NAME)) != 0)
		return ussl_err_set(&ctx->err, USSL_E_BADARG,
		    "unknown verify relaxation flags 0x%x", flags);
	ctx->relax = flags;
	return USSL_OK;
}

int ussl_ctx_set_verify_strict(ussl_ctx *ctx, unsigned flags)
{
	if (ussl_ctx_check_mutable(ctx) != USSL_OK)
		return USSL_ERROR;
	if ((flags & ~USSL_STRICT_ALL) != 0)
		return ussl_err_set(&ctx->err, USSL_E_BADARG,
		    "unknown verify strictness flags 0x%x", flags);
	ctx->strict = flags;
	return USSL_OK;
}

int ussl_ctx_set_max_fragment(ussl_ctx *ctx, unsigned len)
{
	unsigned old = ctx->max_frag;

	if (ussl_ctx_check_mutable(ctx) != USSL_OK)
		return USSL_ERROR;
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

	if (ussl_ctx_check_mutable(ctx) != USSL_OK)
		return USSL_ERROR;
	if (!version_ok(min) || !version_ok(max))
		return ussl_err_set(&ctx->err, USSL_E_BADARG,
		    "unsupported TLS version (only TLS 1.2 and 1.3)");
	if (min == 0)
		min = USSL_TLS1_2;
	if (ctx->dtls && (min != USSL_TLS1_2 || (max != 0 &&
	    max != USSL_TLS1_2)))
		return ussl_err_set(&ctx->err, USSL_E_BADARG,
		    "DTLS 1.2 is the only DTLS version");
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
	if (ussl_ctx_check_mutable(ctx) != USSL_OK)
		return USSL_ERROR;
	if (cert == NULL || cert_len == 0)
		return ussl_err_set(&ctx->err, USSL_E_BADCERT,
		    "no certificate data");
	if (key != NULL && key_len == 0)
		return ussl_err_set(&ctx->err, USSL_E_BADKEY, "no key data");
	if (eng_ctx_use_cert_chain(ctx, cert, cert_len, key, key_len,
	    password) != USSL_OK)
		return USSL_ERROR;
	ctx->has_chain = 1;
	ctx->keyless = 0;
	return USSL_OK;
}

int ussl_ctx_add_ca(ussl_ctx *ctx, const unsigned char *data, size_t len)
{
	if (ussl_ctx_check_mutable(ctx) != USSL_OK)
		return USSL_ERROR;
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

	if (ussl_ctx_check_mutable(ctx) != USSL_OK)
		return USSL_ERROR;
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
	if (ussl_ctx_check_mutable(ctx) != USSL_OK)
		return USSL_ERROR;
	if (n > 0 && names == NULL)
		return ussl_err_set(&ctx->err, USSL_E_BADARG, "no cipher list");
	return eng_ctx_set_ciphers(ctx, names, n);
}

int ussl_ctx_cipher_name(const ussl_ctx *ctx, size_t i, char *buf,
    size_t size)
{
	return eng_ctx_cipher_name(ctx, i, buf, size);
}

int ussl_ctx_set_verify_cb(ussl_ctx *ctx, ussl_verify_fn fn, void *arg)
{
	if (ussl_ctx_check_mutable(ctx) != USSL_OK)
		return USSL_ERROR;
	ctx->verify_fn = fn;
	ctx->verify_arg = arg;
	return USSL_OK;
}

int ussl_ctx_set_tickets(ussl_ctx *ctx, unsigned lifetime)
{
	if (ussl_ctx_check_mutable(ctx) != USSL_OK)
		return USSL_ERROR;
	if (ctx->role != USSL_SERVER)
		return ussl_err_set(&ctx->err, USSL_E_BADARG,
		    "session tickets are issued by servers");
	if (lifetime != 0 && ussl_psk_active(ctx))
		return ussl_err_set(&ctx->err, USSL_E_BADARG,
		    "a PSK server issues no session tickets");
	if (eng_ctx_set_tickets(ctx, lifetime) != USSL_OK)
		return USSL_ERROR;
	ctx->tickets = lifetime;
	return USSL_OK;
}

/*
 * The copy starts as a new context of the same role, takes the plain
 * settings, and then the engine's: the CA store and own chain are shared
 * (reference-counted, copied on write), the cipher list copied, and a
 * server gets ticket keys of its own.
 */
ussl_ctx *ussl_ctx_dup(const ussl_ctx *src)
{
	ussl_ctx *ctx;
	size_t i, len;

	if (src == NULL)
		return NULL;
	ctx = ussl_ctx_new(src->role | (src->dtls ? USSL_DTLS : 0));
	if (ctx == NULL)
		return NULL;
	ctx->verify = src->verify;
	ctx->min_version = src->min_version;
	ctx->max_version = src->max_version;
	ctx->relax = src->relax;
	ctx->strict = src->strict;
	ctx->max_frag = src->max_frag;
	ctx->verify_fn = src->verify_fn;
	ctx->verify_arg = src->verify_arg;
	ctx->sign_fn = src->sign_fn;
	ctx->sign_arg = src->sign_arg;
	ctx->keyless = src->keyless;
	for (i = 0; src->alpn[i] != NULL; i++) {
		len = strlen(src->alpn[i]);
		if ((ctx->alpn[i] = USSL_CALLOC(1, len + 1)) == NULL)
			goto fail;
		memcpy(ctx->alpn[i], src->alpn[i], len + 1);
	}
	if (eng_ctx_dup(ctx, src) != USSL_OK)
		goto fail;
	ctx->has_chain = src->has_chain;
	ctx->n_ca = src->n_ca;
	ctx->ca_id = src->ca_id;
	ctx->tickets = src->tickets;
	/* The cache's bound is a setting; its entries are not copied. */
	ctx->sess.cache_max = src->sess.cache_max;
	ctx->sess.cache_set = src->sess.cache_set;
	if (eng_ctx_update(ctx) != USSL_OK || ussl_psk_dup(ctx, src) != USSL_OK)
		goto fail;
	return ctx;
fail:
	ussl_ctx_free(ctx);
	return NULL;
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
	vs.why = NULL;
	r = eng_verify_chain(&vs, certs, lens, n);
	ussl_name_free(&pn);
	return r;
}

const char *ussl_engine_version(void)
{
	return eng_version();
}
