/*
 * mod_tls.c - the `tls` module: the API of MicroPython's native module
 * (>= 1.23), on which MicroPython's frozen ssl.py and asyncio build.
 * SSLContext wraps a ussl_ctx; errors take the stock module's form.
 * A setter called after a socket was made changes a copy of the ussl_ctx
 * (the core freezes one in use), so that sockets keep their settings.
 */
#include <string.h>

#include "py/runtime.h"
#include "py/mperrno.h"
#include "py/builtin.h"
#include "py/stream.h"

#include "ussl_mp.h"

#define PROTOCOL_TLS_CLIENT 0
#define PROTOCOL_TLS_SERVER 1
/* The stock module's values: bit 1 is the datagram transport. */
#define PROTOCOL_DTLS_CLIENT 2
#define PROTOCOL_DTLS_SERVER 3

#define ssl_context_type ussl_mp_tls_context_type

/* SSLContext objects not yet finalised (see ussl_mp_psa_crowded). */
size_t ussl_mp_live_ctxs;

/* ---------------------------------------------------------------------- */
/* Helpers shared with the ussl module                                    */

static const unsigned char *get_data(mp_obj_t obj, size_t *len)
{
	mp_buffer_info_t b;

	/* Not data at all (None, ...): the stock module's TypeError, from
	   the str/bytes accessor it uses (MicroPython's tests check it). */
	if (!mp_get_buffer(obj, &b, MP_BUFFER_READ))
		return (const unsigned char *)mp_obj_str_get_data(obj, len);
	*len = b.len;
	return b.buf;
}

mp_obj_t ussl_mp_read_file(mp_obj_t path)
{
	mp_obj_t args[2] = { path, MP_OBJ_NEW_QSTR(MP_QSTR_rb) };
	mp_obj_t f, data, dest[2];

	f = mp_call_function_n_kw(MP_OBJ_FROM_PTR(&mp_builtin_open_obj), 2, 0,
	    args);
	mp_load_method(f, MP_QSTR_read, dest);
	data = mp_call_method_n_kw(0, 0, dest);
	mp_stream_close(f);
	return data;
}

/* Could data be a private key at all (PEM block, or a DER SEQUENCE)? */
static bool looks_like_key(const unsigned char *p, size_t len)
{
	static const char marker[] = "PRIVATE KEY-----";
	size_t i;

	if (len > 0 && p[0] == 0x30)
		return true;
	for (i = 0; i + sizeof(marker) - 1 <= len; i++)
		if (memcmp(p + i, marker, sizeof(marker) - 1) == 0)
			return true;
	return false;
}

void ussl_mp_load_chain(ussl_ctx *ctx, mp_obj_t cert, mp_obj_t key,
    int style)
{
	const unsigned char *c, *k = NULL;
	size_t clen, klen = 0;

	if (key != mp_const_none)
		k = get_data(key, &klen);
	/* The stock module parses the key first, so bad key data is
	   reported as such even when the certificate is missing. */
	if (cert == mp_const_none && k != NULL && style == USSL_MP_COMPAT &&
	    !looks_like_key(k, klen))
		mp_raise_ValueError(MP_ERROR_TEXT("invalid key"));
	c = get_data(cert, &clen);
	if (ussl_ctx_use_cert_chain(ctx, c, clen, k, klen, NULL) != USSL_OK)
		ussl_mp_raise_ctx(ctx, style);
}

void ussl_mp_load_ca(ussl_ctx *ctx, mp_obj_t cadata, int style)
{
	size_t len;
	const unsigned char *p = get_data(cadata, &len);

	if (ussl_ctx_add_ca(ctx, p, len) != USSL_OK)
		ussl_mp_raise_ctx(ctx, style);
}

/*
 * Called by the core for each certificate of the peer's chain.  The
 * Python callback gets (cert DER bytes, depth); a true (non-zero) result
 * rejects the certificate, as in the stock module, while 0 or None is no
 * objection: the core's rule is that a callback may add a rejection,
 * never remove one (flags are left alone).  What it raises rejects too,
 * and is kept and re-raised once the handshake has failed.
 */
int ussl_mp_verify_cb(void *arg, const unsigned char *der, size_t len,
    int depth, unsigned *flags)
{
	ussl_mp_context_t *self = ussl_mp_unhide(arg);
	nlr_buf_t nlr;
	mp_obj_t r;
	int reject;

	(void)flags;
	if (self->verify_cb == mp_const_none)
		return 0;
	if (nlr_push(&nlr) != 0) {
		self->cb_exc = MP_OBJ_FROM_PTR(nlr.ret_val);
		return 1;
	}
	r = mp_call_function_2(self->verify_cb, mp_obj_new_bytes(der, len),
	    MP_OBJ_NEW_SMALL_INT(depth));
	reject = r != mp_const_none && mp_obj_is_true(r);
	nlr_pop();
	return reject;
}

/* ---------------------------------------------------------------------- */
/* SSLContext                                                             */

static ussl_mp_context_t *get_ctx(mp_obj_t self_in)
{
	ussl_mp_context_t *self = MP_OBJ_TO_PTR(self_in);

	if (self->ctx == NULL)
		mp_raise_OSError(MP_EBADF);
	return self;
}

/* A change to a ussl_ctx: raises on failure. */
typedef void (*change_fn)(ussl_ctx *ctx, void *arg);

/*
 * Apply fn to the context's settings.  The core freezes a ussl_ctx once a
 * socket uses it, so then the change is made on a copy (sharing the
 * parsed CA store and chain) that replaces it: sockets already made keep
 * the settings they were made with.  A failure changes nothing.
 */
static void change(mp_obj_t self_in, change_fn fn, void *arg)
{
	ussl_mp_context_t *self = get_ctx(self_in);
	ussl_ctx *x = self->ctx;
	nlr_buf_t nlr;

	if (ussl_ctx_frozen(x) && (x = ussl_ctx_dup(x)) == NULL)
		mp_raise_OSError(MP_ENOMEM);
	if (nlr_push(&nlr) != 0) {
		if (x != self->ctx)
			ussl_ctx_free(x);
		nlr_jump(nlr.ret_val);
	}
	fn(x, arg);
	nlr_pop();
	if (x != self->ctx) {
		ussl_ctx_free(self->ctx);  /* sockets hold their references */
		self->ctx = x;
	}
}

void ussl_mp_ctx_change(mp_obj_t self_in, ussl_mp_change_fn fn, void *arg)
{
	change(self_in, fn, arg);
}

static mp_obj_t ssl_context_make_new(const mp_obj_type_t *type,
    size_t n_args, size_t n_kw, const mp_obj_t *args)
{
	ussl_mp_context_t *self;
	mp_int_t protocol;

	mp_arg_check_num(n_args, n_kw, 1, 1, false);
	protocol = mp_obj_get_int(args[0]);
	if (protocol < PROTOCOL_TLS_CLIENT || protocol > (USSL_MP_DTLS ?
	    PROTOCOL_DTLS_SERVER : PROTOCOL_TLS_SERVER))
		mp_raise_ValueError(MP_ERROR_TEXT("protocol"));
	#if MICROPY_PY_SSL_FINALISER
	self = mp_obj_malloc_with_finaliser(ussl_mp_context_t, type);
	#else
	self = mp_obj_malloc(ussl_mp_context_t, type);
	#endif
	self->verify_cb = mp_const_none;
	self->cb_exc = MP_OBJ_NULL;
	self->ecdsa_sign_cb = mp_const_none;
	self->sign_cb = mp_const_none;
	self->max_frag = 0;
	self->relax = USSL_MP_RELAX_DEFAULT;
	#if USSL_MP_PSK
	ussl_mp_psk_init(self);
	#endif
	self->ctx = ussl_ctx_new(((protocol & 1) ? USSL_SERVER : USSL_CLIENT) |
	    ((protocol & PROTOCOL_DTLS_CLIENT) ? USSL_DTLS : 0));
	if (self->ctx == NULL)
		mp_raise_OSError(MP_ENOMEM);
	#if MICROPY_PY_SSL_FINALISER
	ussl_mp_live_ctxs++;
	#endif
	(void)ussl_ctx_set_verify_relax(self->ctx, self->relax);
	#if USSL_MP_SIGNCB
	(void)ussl_ctx_set_sign_cb(self->ctx, ussl_mp_sign_cb,
	    ussl_mp_hide(self));
	#endif
	#if USSL_MP_SESSIONS
	ussl_mp_session_cache_init(self->ctx);
	#endif
	/* The core's verify callback is installed only while verify_callback
	   is set: a session made under a callback resumes only in the
	   context and process that made it (the core cannot know that
	   another callback would judge alike), while one made without can
	   be kept in flash and resumed after a reboot. */
	return MP_OBJ_FROM_PTR(self);
}

/*
 * Attributes: verify_mode and verify_callback (as the stock module), and
 * ussl's verify_relax (USSL_RELAX_* flags, USSL_MP_RELAX_DEFAULT at first)
 * and max_fragment_length (client: ask the server for records of at most
 * that many bytes, 512/1024/2048/4096; 0, the default, does not ask).
 */
struct attr_arg {
	qstr attr;
	mp_int_t v;
};

static void set_attr(ussl_ctx *ctx, void *arg)
{
	struct attr_arg *a = arg;
	mp_int_t v = a->v;

	if (a->attr == MP_QSTR_verify_mode) {
		if (ussl_ctx_set_verify(ctx, v) != USSL_OK)
			ussl_mp_raise_ctx(ctx, USSL_MP_COMPAT);
	} else {
		/* Out of range: let the core refuse it with its message
		   (ValueError, as for the ussl module's bad arguments). */
		unsigned u = v < 0 || v > 0xffff ? 0xffffu : (unsigned)v;
		int r = a->attr == MP_QSTR_verify_relax ?
		    ussl_ctx_set_verify_relax(ctx, u) :
		    ussl_ctx_set_max_fragment(ctx, u);

		if (r != USSL_OK)
			ussl_mp_raise_ctx(ctx, USSL_MP_NATIVE);
	}
}

/* Install (arg: the context object) or remove (NULL) the core's verify
   callback. */
static void set_cb(ussl_ctx *ctx, void *arg)
{
	if (ussl_ctx_set_verify_cb(ctx, arg != NULL ? ussl_mp_verify_cb : NULL,
	    arg != NULL ? ussl_mp_hide(arg) : NULL) != USSL_OK)
		ussl_mp_raise_ctx(ctx, USSL_MP_NATIVE);
}

static void ssl_context_attr(mp_obj_t self_in, qstr attr, mp_obj_t *dest)
{
	ussl_mp_context_t *self = MP_OBJ_TO_PTR(self_in);
	struct attr_arg a;

	#if USSL_MP_PSK
	if (ussl_mp_psk_attr(self_in, attr, dest))
		return;
	#endif
	if (dest[0] == MP_OBJ_NULL) {
		if (attr == MP_QSTR_verify_mode)
			dest[0] = MP_OBJ_NEW_SMALL_INT(
			    ussl_ctx_verify(get_ctx(self_in)->ctx));
		else if (attr == MP_QSTR_verify_callback)
			dest[0] = self->verify_cb;
		#if USSL_MP_SIGNCB
		else if (attr == MP_QSTR_ecdsa_sign_callback)
			dest[0] = self->ecdsa_sign_cb;
		else if (attr == MP_QSTR_sign_callback)
			dest[0] = self->sign_cb;
		#endif
		else if (attr == MP_QSTR_verify_relax)
			dest[0] = MP_OBJ_NEW_SMALL_INT(self->relax);
		else if (attr == MP_QSTR_max_fragment_length)
			dest[0] = MP_OBJ_NEW_SMALL_INT(self->max_frag);
		else
			dest[1] = MP_OBJ_SENTINEL;   /* go on to locals */
		return;
	}
	if (dest[1] == MP_OBJ_NULL)
		return;                      /* no deleting */
	if (attr == MP_QSTR_verify_callback) {
		if ((dest[1] == mp_const_none) != (self->verify_cb ==
		    mp_const_none))
			change(self_in, set_cb, dest[1] == mp_const_none ?
			    NULL : self);
		self->verify_cb = dest[1];
		dest[0] = MP_OBJ_NULL;
		return;
	}
	#if USSL_MP_SIGNCB
	/* signcb.c: read at each signature. */
	if (attr == MP_QSTR_ecdsa_sign_callback ||
	    attr == MP_QSTR_sign_callback) {
		*(attr == MP_QSTR_sign_callback ? &self->sign_cb :
		    &self->ecdsa_sign_cb) = dest[1];
		dest[0] = MP_OBJ_NULL;
		return;
	}
	#endif
	if (attr != MP_QSTR_verify_mode && attr != MP_QSTR_verify_relax &&
	    attr != MP_QSTR_max_fragment_length)
		return;
	a.attr = attr;
	a.v = mp_obj_get_int(dest[1]);
	change(self_in, set_attr, &a);
	if (attr == MP_QSTR_verify_relax)
		self->relax = (uint8_t)a.v;
	else if (attr == MP_QSTR_max_fragment_length)
		self->max_frag = (uint16_t)a.v;
	dest[0] = MP_OBJ_NULL;
}

#if MICROPY_PY_SSL_FINALISER
static mp_obj_t ssl_context_del(mp_obj_t self_in)
{
	ussl_mp_context_t *self = MP_OBJ_TO_PTR(self_in);

	/* Connections hold their own reference to the ussl_ctx. */
	if (self->ctx != NULL)
		ussl_mp_live_ctxs--;
	ussl_ctx_free(self->ctx);
	self->ctx = NULL;
	return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(ssl_context_del_obj, ssl_context_del);
#endif

/* Every suite the engine supports (mbedTLS's names, as the stock
   module), whether or not the context offers it by default. */
static mp_obj_t ssl_context_get_ciphers(mp_obj_t self_in)
{
	size_t i, n = ussl_mp_engine_suite_count();
	mp_obj_t list = mp_obj_new_list(0, NULL);

	(void)self_in;
	for (i = 0; i < n; i++)
		mp_obj_list_append(list,
		    mp_obj_new_str_from_cstr(ussl_mp_engine_suite(i)));
	return list;
}
static MP_DEFINE_CONST_FUN_OBJ_1(ssl_context_get_ciphers_obj,
    ssl_context_get_ciphers);

struct ciphers_arg {
	const char **list;
	size_t n;
};

static void set_ciphers(ussl_ctx *ctx, void *arg)
{
	struct ciphers_arg *a = arg;

	if (ussl_ctx_set_ciphers(ctx, a->list, a->n) != USSL_OK)
		ussl_mp_raise_ctx(ctx, USSL_MP_COMPAT);
}

static mp_obj_t ssl_context_set_ciphers(mp_obj_t self_in, mp_obj_t names)
{
	ussl_ctx *ctx = get_ctx(self_in)->ctx;
	struct ciphers_arg a;
	mp_obj_t *items;
	size_t i, n;

	mp_obj_get_array(names, &n, &items);
	if (n == 0) {
		ussl_error e = { USSL_E_BADARG, 0, 0, -1, "no cipher suites" };

		ussl_mp_raise(&e, USSL_MP_COMPAT, ussl_ctx_role(ctx));
	}
	/* On the GC heap: freed by the collector if a name raises. */
	a.list = m_new(const char *, n);
	a.n = n;
	for (i = 0; i < n; i++)
		a.list[i] = mp_obj_str_get_str(items[i]);
	change(self_in, set_ciphers, &a);
	m_del(const char *, a.list, n);
	return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(ssl_context_set_ciphers_obj,
    ssl_context_set_ciphers);

static void load_chain(ussl_ctx *ctx, void *arg)
{
	mp_obj_t *a = arg;
	#if USSL_MP_SIGNCB
	ussl_mp_context_t *self = MP_OBJ_TO_PTR(a[2]);

	/* No key and a sign_callback: the callback signs (signcb.c). */
	if (a[1] == mp_const_none && self->sign_cb != mp_const_none) {
		ussl_mp_load_signer(ctx, a[0], ussl_mp_hide(self),
		    USSL_MP_COMPAT);
		return;
	}
	#endif
	ussl_mp_load_chain(ctx, a[0], a[1], USSL_MP_COMPAT);
}

static mp_obj_t ssl_context_load_cert_chain(mp_obj_t self_in, mp_obj_t cert,
    mp_obj_t key)
{
	mp_obj_t a[3] = { cert, key, self_in };

	change(self_in, load_chain, a);
	return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_3(ssl_context_load_cert_chain_obj,
    ssl_context_load_cert_chain);

static void load_ca(ussl_ctx *ctx, void *arg)
{
	ussl_mp_load_ca(ctx, *(mp_obj_t *)arg, USSL_MP_COMPAT);
}

static mp_obj_t ssl_context_load_verify_locations(mp_obj_t self_in,
    mp_obj_t cadata)
{
	change(self_in, load_ca, &cadata);
	return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(ssl_context_load_verify_locations_obj,
    ssl_context_load_verify_locations);

static mp_obj_t ssl_context_wrap_socket(size_t n_args,
    const mp_obj_t *pos_args, mp_map_t *kw_args)
{
	/* client_id (DTLS) and session (USSL_MP_SESSIONS) exist in builds
	   with the feature. */
	enum { ARG_server_side, ARG_do_handshake_on_connect,
	       ARG_server_hostname,
	       #if USSL_MP_DTLS
	       ARG_client_id,
	       #endif
	       #if USSL_MP_SESSIONS
	       ARG_session,
	       #endif
	};
	static const mp_arg_t allowed[] = {
		{ MP_QSTR_server_side, MP_ARG_KW_ONLY | MP_ARG_BOOL,
		  { .u_bool = false } },
		{ MP_QSTR_do_handshake_on_connect, MP_ARG_KW_ONLY |
		  MP_ARG_BOOL, { .u_bool = true } },
		{ MP_QSTR_server_hostname, MP_ARG_KW_ONLY | MP_ARG_OBJ,
		  { .u_rom_obj = MP_ROM_NONE } },
		#if USSL_MP_DTLS
		{ MP_QSTR_client_id, MP_ARG_KW_ONLY | MP_ARG_OBJ,
		  { .u_rom_obj = MP_ROM_NONE } },
		#endif
		#if USSL_MP_SESSIONS
		{ MP_QSTR_session, MP_ARG_KW_ONLY | MP_ARG_OBJ,
		  { .u_rom_obj = MP_ROM_NONE } },
		#endif
	};
	mp_arg_val_t args[MP_ARRAY_SIZE(allowed)];
	ussl_mp_context_t *self = get_ctx(pos_args[0]);
	const char *host = NULL;
	bool hs;
	#if USSL_MP_SESSIONS
	mp_obj_t session;
	#else
	const mp_obj_t session = MP_OBJ_NULL;
	#endif
	#if USSL_MP_DTLS
	mp_obj_t s;
	#endif

	mp_arg_parse_all(n_args - 2, pos_args + 2, kw_args,
	    MP_ARRAY_SIZE(allowed), allowed, args);
	if (args[ARG_server_hostname].u_obj != mp_const_none)
		host = mp_obj_str_get_str(args[ARG_server_hostname].u_obj);
	/* Checking a chain without a name accepts any host. */
	if (host == NULL && ussl_ctx_role(self->ctx) == USSL_CLIENT &&
	    ussl_ctx_verify(self->ctx) != USSL_VERIFY_NONE)
		mp_raise_ValueError(
		    MP_ERROR_TEXT("CERT_REQUIRED requires server_hostname"));
	self->cb_exc = MP_OBJ_NULL;
	hs = args[ARG_do_handshake_on_connect].u_bool;
	#if USSL_MP_SESSIONS
	session = args[ARG_session].u_obj;
	#endif
	#if USSL_MP_DTLS
	if (ussl_ctx_dtls(self->ctx) &&
	    ussl_ctx_role(self->ctx) == USSL_SERVER) {
		/* A DTLS server binds its cookies to the client's address:
		   set before the handshake. */
		s = ussl_mp_wrap(self->ctx, MP_OBJ_FROM_PTR(self),
		    pos_args[1], host, false, USSL_MP_COMPAT, session);
		ussl_mp_dtls_server_start(s, args[ARG_client_id].u_obj, hs);
		return s;
	}
	#endif
	return ussl_mp_wrap(self->ctx, MP_OBJ_FROM_PTR(self), pos_args[1],
	    host, hs, USSL_MP_COMPAT, session);
}
static MP_DEFINE_CONST_FUN_OBJ_KW(ssl_context_wrap_socket_obj, 2,
    ssl_context_wrap_socket);

static const mp_rom_map_elem_t ssl_context_locals_table[] = {
	#if MICROPY_PY_SSL_FINALISER
	{ MP_ROM_QSTR(MP_QSTR___del__), MP_ROM_PTR(&ssl_context_del_obj) },
	#endif
	{ MP_ROM_QSTR(MP_QSTR_get_ciphers),
	  MP_ROM_PTR(&ssl_context_get_ciphers_obj) },
	{ MP_ROM_QSTR(MP_QSTR_set_ciphers),
	  MP_ROM_PTR(&ssl_context_set_ciphers_obj) },
	{ MP_ROM_QSTR(MP_QSTR_load_cert_chain),
	  MP_ROM_PTR(&ssl_context_load_cert_chain_obj) },
	{ MP_ROM_QSTR(MP_QSTR_load_verify_locations),
	  MP_ROM_PTR(&ssl_context_load_verify_locations_obj) },
	{ MP_ROM_QSTR(MP_QSTR_wrap_socket),
	  MP_ROM_PTR(&ssl_context_wrap_socket_obj) },
	#if USSL_MP_ALPN
	{ MP_ROM_QSTR(MP_QSTR_set_alpn_protocols),
	  MP_ROM_PTR(&ussl_mp_set_alpn_protocols_obj) },
	#endif
	#if USSL_MP_SESSIONS
	{ MP_ROM_QSTR(MP_QSTR_session_stats),
	  MP_ROM_PTR(&ussl_mp_session_stats_obj) },
	#endif
};
static MP_DEFINE_CONST_DICT(ssl_context_locals_dict, ssl_context_locals_table);

MP_DEFINE_CONST_OBJ_TYPE(
	ssl_context_type,
	MP_QSTR_SSLContext,
	MP_TYPE_FLAG_NONE,
	make_new, ssl_context_make_new,
	attr, ssl_context_attr,
	locals_dict, &ssl_context_locals_dict
	);

/* ---------------------------------------------------------------------- */
/* Module                                                                 */

static const mp_rom_map_elem_t tls_globals_table[] = {
	{ MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_tls) },
	{ MP_ROM_QSTR(MP_QSTR_SSLContext), MP_ROM_PTR(&ssl_context_type) },
	#if USSL_MP_SESSIONS
	{ MP_ROM_QSTR(MP_QSTR_SSLSession), MP_ROM_PTR(&ussl_mp_session_type) },
	#endif
	{ MP_ROM_QSTR(MP_QSTR_MBEDTLS_VERSION),
	  MP_ROM_PTR(&ussl_mp_engine_version_obj) },
	{ MP_ROM_QSTR(MP_QSTR_PROTOCOL_TLS_CLIENT),
	  MP_ROM_INT(PROTOCOL_TLS_CLIENT) },
	{ MP_ROM_QSTR(MP_QSTR_PROTOCOL_TLS_SERVER),
	  MP_ROM_INT(PROTOCOL_TLS_SERVER) },
	#if USSL_MP_DTLS
	{ MP_ROM_QSTR(MP_QSTR_PROTOCOL_DTLS_CLIENT),
	  MP_ROM_INT(PROTOCOL_DTLS_CLIENT) },
	{ MP_ROM_QSTR(MP_QSTR_PROTOCOL_DTLS_SERVER),
	  MP_ROM_INT(PROTOCOL_DTLS_SERVER) },
	#endif
	{ MP_ROM_QSTR(MP_QSTR_CERT_NONE), MP_ROM_INT(USSL_VERIFY_NONE) },
	{ MP_ROM_QSTR(MP_QSTR_CERT_OPTIONAL), MP_ROM_INT(USSL_VERIFY_OPTIONAL) },
	{ MP_ROM_QSTR(MP_QSTR_CERT_REQUIRED), MP_ROM_INT(USSL_VERIFY_REQUIRED) },
	{ MP_ROM_QSTR(MP_QSTR_RELAX_CN_ONLY), MP_ROM_INT(USSL_RELAX_CN_ONLY) },
	{ MP_ROM_QSTR(MP_QSTR_RELAX_NO_EKU), MP_ROM_INT(USSL_RELAX_NO_EKU) },
	{ MP_ROM_QSTR(MP_QSTR_RELAX_LEGACY_CA), MP_ROM_INT(USSL_RELAX_LEGACY_CA) },
};
static MP_DEFINE_CONST_DICT(tls_globals, tls_globals_table);

const mp_obj_module_t ussl_mp_tls_module = {
	.base = { &mp_type_module },
	.globals = (mp_obj_dict_t *)&tls_globals,
};

MP_REGISTER_MODULE(MP_QSTR_tls, ussl_mp_tls_module);
