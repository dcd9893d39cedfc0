/*
 * mod_ssl.c - the `ssl` module: MicroPython's documented `ssl` API
 * (wrap_socket, SSLContext, CERT_*, PROTOCOL_*) for firmware built without
 * micropython-lib, whose ssl.py normally provides it on top of `tls`.
 * Behaviour follows that ssl.py: an SSLContext starts with CERT_NONE
 * (tls.SSLContext: clients CERT_REQUIRED), load_cert_chain() and
 * load_verify_locations() take file names as well as data.  A frozen
 * ssl.py, if a port has one too, is shadowed by this built-in module, which
 * offers the same API.  make USSL_SSL_MODULE=0 leaves it out.
 */
#include "py/runtime.h"
#include "py/mperrno.h"

#include "ussl_mp.h"

#define PROTOCOL_TLS_CLIENT 0
#define PROTOCOL_TLS_SERVER 1

static const mp_obj_type_t ssl_context_type;

/* Data as given, or the contents of the file a str names. */
static mp_obj_t file_or_data(mp_obj_t obj)
{
	if (mp_obj_is_str(obj))
		return ussl_mp_read_file(obj);
	return obj;
}

static mp_obj_t ssl_context_make_new(const mp_obj_type_t *type,
    size_t n_args, size_t n_kw, const mp_obj_t *args)
{
	mp_obj_t self = MP_OBJ_TYPE_GET_SLOT(&ussl_mp_tls_context_type,
	    make_new)(type, n_args, n_kw, args);
	ussl_mp_context_t *c = MP_OBJ_TO_PTR(self);

	if (ussl_ctx_set_verify(c->ctx, USSL_VERIFY_NONE) != USSL_OK)
		ussl_mp_raise_ctx(c->ctx, USSL_MP_COMPAT);
	return self;
}

static const mp_obj_dict_t ssl_context_locals_dict;

/*
 * Attributes as tls.SSLContext's (verify_mode, verify_callback, ...);
 * methods our locals do not override come from tls.SSLContext's locals
 * (the runtime does not look in a native parent type's locals itself).
 */
static void ssl_context_attr(mp_obj_t self, qstr attr, mp_obj_t *dest)
{
	const mp_obj_type_t *tls_type = &ussl_mp_tls_context_type;
	const mp_obj_dict_t *d;
	mp_map_elem_t *e;

	MP_OBJ_TYPE_GET_SLOT(tls_type, attr)(self, attr, dest);
	if (dest[0] != MP_OBJ_NULL || dest[1] != MP_OBJ_SENTINEL)
		return;
	e = mp_map_lookup((mp_map_t *)&ssl_context_locals_dict.map,
	    MP_OBJ_NEW_QSTR(attr), MP_MAP_LOOKUP);
	if (e == NULL) {
		d = MP_OBJ_TYPE_GET_SLOT(tls_type, locals_dict);
		e = mp_map_lookup((mp_map_t *)&d->map, MP_OBJ_NEW_QSTR(attr),
		    MP_MAP_LOOKUP);
	}
	if (e != NULL) {
		dest[1] = MP_OBJ_NULL;
		mp_convert_member_lookup(self, mp_obj_get_type(self), e->value,
		    dest);
	}
}

static ussl_ctx *get_ctx(mp_obj_t self_in)
{
	ussl_mp_context_t *self = MP_OBJ_TO_PTR(self_in);

	if (self->ctx == NULL)
		mp_raise_OSError(MP_EBADF);
	return self->ctx;
}

static mp_obj_t ssl_context_load_cert_chain(mp_obj_t self_in,
    mp_obj_t certfile, mp_obj_t keyfile)
{
	ussl_mp_load_chain(get_ctx(self_in), file_or_data(certfile),
	    file_or_data(keyfile), USSL_MP_COMPAT);
	return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_3(ssl_context_load_cert_chain_obj,
    ssl_context_load_cert_chain);

static mp_obj_t ssl_context_load_verify_locations(size_t n_args,
    const mp_obj_t *pos_args, mp_map_t *kw_args)
{
	enum { ARG_cafile, ARG_cadata };
	static const mp_arg_t allowed[] = {
		{ MP_QSTR_cafile, MP_ARG_OBJ, { .u_rom_obj = MP_ROM_NONE } },
		{ MP_QSTR_cadata, MP_ARG_OBJ, { .u_rom_obj = MP_ROM_NONE } },
	};
	mp_arg_val_t a[MP_ARRAY_SIZE(allowed)];
	mp_obj_t data;

	mp_arg_parse_all(n_args - 1, pos_args + 1, kw_args,
	    MP_ARRAY_SIZE(allowed), allowed, a);
	data = a[ARG_cadata].u_obj;
	if (a[ARG_cafile].u_obj != mp_const_none)
		data = ussl_mp_read_file(a[ARG_cafile].u_obj);
	if (data == mp_const_none)
		mp_raise_TypeError(MP_ERROR_TEXT("cafile or cadata needed"));
	ussl_mp_load_ca(get_ctx(pos_args[0]), data, USSL_MP_COMPAT);
	return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(ssl_context_load_verify_locations_obj, 1,
    ssl_context_load_verify_locations);

/* Methods not listed here (wrap_socket, get_ciphers, set_ciphers,
   set_alpn_protocols, session_stats, __del__) are tls.SSLContext's, found by ssl_context_attr. */
static const mp_rom_map_elem_t ssl_context_locals_table[] = {
	{ MP_ROM_QSTR(MP_QSTR_load_cert_chain),
	  MP_ROM_PTR(&ssl_context_load_cert_chain_obj) },
	{ MP_ROM_QSTR(MP_QSTR_load_verify_locations),
	  MP_ROM_PTR(&ssl_context_load_verify_locations_obj) },
};
static MP_DEFINE_CONST_DICT(ssl_context_locals_dict, ssl_context_locals_table);

static MP_DEFINE_CONST_OBJ_TYPE(
	ssl_context_type,
	MP_QSTR_SSLContext,
	MP_TYPE_FLAG_NONE,
	make_new, ssl_context_make_new,
	attr, ssl_context_attr,
	parent, &ussl_mp_tls_context_type,
	locals_dict, &ssl_context_locals_dict
	);

/*
 * ssl.wrap_socket(sock, server_side=False, key=None, cert=None,
 * cert_reqs=CERT_NONE, cadata=None, server_hostname=None,
 * do_handshake=True): a new SSLContext of the side's protocol, set up
 * from the arguments, wrapping sock.
 */
static mp_obj_t ssl_wrap_socket(size_t n_args, const mp_obj_t *pos_args,
    mp_map_t *kw_args)
{
	enum { ARG_sock, ARG_server_side, ARG_key, ARG_cert, ARG_cert_reqs,
	       ARG_cadata, ARG_server_hostname, ARG_do_handshake };
	static const mp_arg_t allowed[] = {
		{ MP_QSTR_sock, MP_ARG_REQUIRED | MP_ARG_OBJ, { .u_obj = 0 } },
		{ MP_QSTR_server_side, MP_ARG_BOOL, { .u_bool = false } },
		{ MP_QSTR_key, MP_ARG_OBJ, { .u_rom_obj = MP_ROM_NONE } },
		{ MP_QSTR_cert, MP_ARG_OBJ, { .u_rom_obj = MP_ROM_NONE } },
		{ MP_QSTR_cert_reqs, MP_ARG_INT,
		  { .u_int = USSL_VERIFY_NONE } },
		{ MP_QSTR_cadata, MP_ARG_OBJ, { .u_rom_obj = MP_ROM_NONE } },
		{ MP_QSTR_server_hostname, MP_ARG_OBJ,
		  { .u_rom_obj = MP_ROM_NONE } },
		{ MP_QSTR_do_handshake, MP_ARG_BOOL, { .u_bool = true } },
	};
	mp_arg_val_t a[MP_ARRAY_SIZE(allowed)];
	mp_obj_t proto, ctx, call[2 + 1 + 6];

	mp_arg_parse_all(n_args, pos_args, kw_args, MP_ARRAY_SIZE(allowed),
	    allowed, a);
	proto = MP_OBJ_NEW_SMALL_INT(a[ARG_server_side].u_bool ?
	    PROTOCOL_TLS_SERVER : PROTOCOL_TLS_CLIENT);
	ctx = ssl_context_make_new(&ssl_context_type, 1, 0, &proto);
	if (mp_obj_is_true(a[ARG_cert].u_obj) ||
	    mp_obj_is_true(a[ARG_key].u_obj))
		ssl_context_load_cert_chain(ctx, a[ARG_cert].u_obj,
		    a[ARG_key].u_obj);
	if (mp_obj_is_true(a[ARG_cadata].u_obj))
		ussl_mp_load_ca(get_ctx(ctx), a[ARG_cadata].u_obj,
		    USSL_MP_COMPAT);
	mp_store_attr(ctx, MP_QSTR_verify_mode,
	    MP_OBJ_NEW_SMALL_INT(a[ARG_cert_reqs].u_int));
	/* ctx.wrap_socket(sock, server_side=..., do_handshake_on_connect=...,
	   server_hostname=...) */
	mp_load_method(ctx, MP_QSTR_wrap_socket, call);
	call[2] = a[ARG_sock].u_obj;
	call[3] = MP_OBJ_NEW_QSTR(MP_QSTR_server_side);
	call[4] = mp_obj_new_bool(a[ARG_server_side].u_bool);
	call[5] = MP_OBJ_NEW_QSTR(MP_QSTR_do_handshake_on_connect);
	call[6] = mp_obj_new_bool(a[ARG_do_handshake].u_bool);
	call[7] = MP_OBJ_NEW_QSTR(MP_QSTR_server_hostname);
	call[8] = a[ARG_server_hostname].u_obj;
	return mp_call_method_n_kw(1, 3, call);
}
static MP_DEFINE_CONST_FUN_OBJ_KW(ssl_wrap_socket_obj, 1, ssl_wrap_socket);

static const mp_rom_map_elem_t ssl_globals_table[] = {
	{ MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_ssl) },
	{ MP_ROM_QSTR(MP_QSTR_SSLContext), MP_ROM_PTR(&ssl_context_type) },
	#if USSL_MP_SESSIONS
	{ MP_ROM_QSTR(MP_QSTR_SSLSession), MP_ROM_PTR(&ussl_mp_session_type) },
	#endif
	{ MP_ROM_QSTR(MP_QSTR_wrap_socket), MP_ROM_PTR(&ssl_wrap_socket_obj) },
	{ MP_ROM_QSTR(MP_QSTR_MBEDTLS_VERSION),
	  MP_ROM_PTR(&ussl_mp_engine_version_obj) },
	{ MP_ROM_QSTR(MP_QSTR_PROTOCOL_TLS_CLIENT),
	  MP_ROM_INT(PROTOCOL_TLS_CLIENT) },
	{ MP_ROM_QSTR(MP_QSTR_PROTOCOL_TLS_SERVER),
	  MP_ROM_INT(PROTOCOL_TLS_SERVER) },
	{ MP_ROM_QSTR(MP_QSTR_CERT_NONE), MP_ROM_INT(USSL_VERIFY_NONE) },
	{ MP_ROM_QSTR(MP_QSTR_CERT_OPTIONAL), MP_ROM_INT(USSL_VERIFY_OPTIONAL) },
	{ MP_ROM_QSTR(MP_QSTR_CERT_REQUIRED), MP_ROM_INT(USSL_VERIFY_REQUIRED) },
};
static MP_DEFINE_CONST_DICT(ssl_globals, ssl_globals_table);

const mp_obj_module_t ussl_mp_ssl_module = {
	.base = { &mp_type_module },
	.globals = (mp_obj_dict_t *)&ssl_globals,
};

MP_REGISTER_MODULE(MP_QSTR_ssl, ussl_mp_ssl_module);
