/*
 * mod_ussl.c - the `ussl` module: the seed API, ussl.wrap_socket() with
 * its eight arguments (files read through MicroPython's VFS) plus the
 * key/cert/cadata data forms and verify_relax.  Errors are ussl's own, as
 * in the CPython binding: OSError(USSL_E_*, message), ValueError for bad
 * arguments/data.
 */
#include "py/runtime.h"
#include "py/builtin.h"
#include "py/stream.h"
#include "py/mperrno.h"

#include "ussl_mp.h"

/* One of a path and data (both: ValueError); None if neither. */
static mp_obj_t path_or_data(mp_obj_t path, mp_obj_t data)
{
	if (path != mp_const_none && data != mp_const_none)
		mp_raise_ValueError(
		    MP_ERROR_TEXT("give a file or data, not both"));
	return path != mp_const_none ? ussl_mp_read_file(path) : data;
}

static void configure(ussl_ctx *ctx, const mp_arg_val_t *a);

enum { ARG_sock, ARG_server_side, ARG_keyfile, ARG_certfile, ARG_cert_reqs,
       ARG_ca_certs, ARG_server_hostname, ARG_do_handshake, ARG_key,
       ARG_cert, ARG_cadata, ARG_verify_relax, ARG_session };

static mp_obj_t ussl_wrap_socket(size_t n_args, const mp_obj_t *pos_args,
    mp_map_t *kw_args)
{
	static const mp_arg_t allowed[] = {
		{ MP_QSTR_sock, MP_ARG_REQUIRED | MP_ARG_OBJ, { .u_obj = 0 } },
		{ MP_QSTR_server_side, MP_ARG_BOOL, { .u_bool = false } },
		{ MP_QSTR_keyfile, MP_ARG_OBJ, { .u_rom_obj = MP_ROM_NONE } },
		{ MP_QSTR_certfile, MP_ARG_OBJ, { .u_rom_obj = MP_ROM_NONE } },
		{ MP_QSTR_cert_reqs, MP_ARG_INT,
		  { .u_int = USSL_VERIFY_NONE } },
		{ MP_QSTR_ca_certs, MP_ARG_OBJ, { .u_rom_obj = MP_ROM_NONE } },
		{ MP_QSTR_server_hostname, MP_ARG_OBJ,
		  { .u_rom_obj = MP_ROM_NONE } },
		{ MP_QSTR_do_handshake, MP_ARG_BOOL, { .u_bool = true } },
		{ MP_QSTR_key, MP_ARG_KW_ONLY | MP_ARG_OBJ,
		  { .u_rom_obj = MP_ROM_NONE } },
		{ MP_QSTR_cert, MP_ARG_KW_ONLY | MP_ARG_OBJ,
		  { .u_rom_obj = MP_ROM_NONE } },
		{ MP_QSTR_cadata, MP_ARG_KW_ONLY | MP_ARG_OBJ,
		  { .u_rom_obj = MP_ROM_NONE } },
		{ MP_QSTR_verify_relax, MP_ARG_KW_ONLY | MP_ARG_INT,
		  { .u_int = USSL_MP_RELAX_DEFAULT } },
		#if USSL_MP_SESSIONS
		{ MP_QSTR_session, MP_ARG_KW_ONLY | MP_ARG_OBJ,
		  { .u_rom_obj = MP_ROM_NONE } },
		#endif
	};
	mp_arg_val_t a[MP_ARRAY_SIZE(allowed)];
	const char *host = NULL;
	ussl_ctx *ctx;
	nlr_buf_t nlr;
	mp_obj_t s;

	mp_arg_parse_all(n_args, pos_args, kw_args, MP_ARRAY_SIZE(allowed),
	    allowed, a);
	if (a[ARG_server_hostname].u_obj != mp_const_none)
		host = mp_obj_str_get_str(a[ARG_server_hostname].u_obj);
	ctx = ussl_ctx_new(a[ARG_server_side].u_bool ? USSL_SERVER :
	    USSL_CLIENT);
	if (ctx == NULL)
		mp_raise_OSError(MP_ENOMEM);
	/* The connection keeps its own reference to ctx: drop ours on
	   every path. */
	if (nlr_push(&nlr) != 0) {
		ussl_ctx_free(ctx);
		nlr_jump(nlr.ret_val);
	}
	configure(ctx, a);
	s = ussl_mp_wrap(ctx, MP_OBJ_NULL, a[ARG_sock].u_obj, host,
	    a[ARG_do_handshake].u_bool, USSL_MP_NATIVE,
	    #if USSL_MP_SESSIONS
	    a[ARG_session].u_obj
	    #else
	    MP_OBJ_NULL
	    #endif
	    );
	nlr_pop();
	ussl_ctx_free(ctx);
	return s;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(ussl_wrap_socket_obj, 1, ussl_wrap_socket);

static void configure(ussl_ctx *ctx, const mp_arg_val_t *a)
{
	mp_obj_t cert, key, ca;
	mp_int_t relax = a[ARG_verify_relax].u_int;

	/* Out of range: the core refuses ~0 with its own message. */
	if (ussl_ctx_set_verify(ctx, a[ARG_cert_reqs].u_int) != USSL_OK ||
	    ussl_ctx_set_verify_relax(ctx, relax < 0 || relax > 0xffff ?
	    ~0u : (unsigned)relax) != USSL_OK)
		ussl_mp_raise_ctx(ctx, USSL_MP_NATIVE);
	cert = path_or_data(a[ARG_certfile].u_obj, a[ARG_cert].u_obj);
	key = path_or_data(a[ARG_keyfile].u_obj, a[ARG_key].u_obj);
	ca = path_or_data(a[ARG_ca_certs].u_obj, a[ARG_cadata].u_obj);
	if (cert != mp_const_none)
		ussl_mp_load_chain(ctx, cert, key, USSL_MP_NATIVE);
	else if (key != mp_const_none)
		mp_raise_ValueError(MP_ERROR_TEXT("a key needs a certificate"));
	if (ca != mp_const_none)
		ussl_mp_load_ca(ctx, ca, USSL_MP_NATIVE);
}

static const mp_rom_map_elem_t ussl_globals_table[] = {
	{ MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_ussl) },
	{ MP_ROM_QSTR(MP_QSTR_wrap_socket), MP_ROM_PTR(&ussl_wrap_socket_obj) },
	{ MP_ROM_QSTR(MP_QSTR_CERT_NONE), MP_ROM_INT(USSL_VERIFY_NONE) },
	{ MP_ROM_QSTR(MP_QSTR_CERT_OPTIONAL), MP_ROM_INT(USSL_VERIFY_OPTIONAL) },
	{ MP_ROM_QSTR(MP_QSTR_CERT_REQUIRED), MP_ROM_INT(USSL_VERIFY_REQUIRED) },
	{ MP_ROM_QSTR(MP_QSTR_RELAX_CN_ONLY), MP_ROM_INT(USSL_RELAX_CN_ONLY) },
	{ MP_ROM_QSTR(MP_QSTR_RELAX_NO_EKU), MP_ROM_INT(USSL_RELAX_NO_EKU) },
	{ MP_ROM_QSTR(MP_QSTR_RELAX_LEGACY_CA), MP_ROM_INT(USSL_RELAX_LEGACY_CA) },
	{ MP_ROM_QSTR(MP_QSTR_MBEDTLS_VERSION),
	  MP_ROM_PTR(&ussl_mp_engine_version_obj) },
	{ MP_ROM_QSTR(MP_QSTR_E_IO), MP_ROM_INT(USSL_E_IO) },
	{ MP_ROM_QSTR(MP_QSTR_E_TIMEOUT), MP_ROM_INT(USSL_E_TIMEOUT) },
	{ MP_ROM_QSTR(MP_QSTR_E_VERIFY), MP_ROM_INT(USSL_E_VERIFY) },
	{ MP_ROM_QSTR(MP_QSTR_E_PROTOCOL), MP_ROM_INT(USSL_E_PROTOCOL) },
	{ MP_ROM_QSTR(MP_QSTR_E_PEER_ALERT), MP_ROM_INT(USSL_E_PEER_ALERT) },
	{ MP_ROM_QSTR(MP_QSTR_E_HANDSHAKE), MP_ROM_INT(USSL_E_HANDSHAKE) },
	{ MP_ROM_QSTR(MP_QSTR_E_TRUNCATED), MP_ROM_INT(USSL_E_TRUNCATED) },
	{ MP_ROM_QSTR(MP_QSTR_E_CLOSED), MP_ROM_INT(USSL_E_CLOSED) },
	{ MP_ROM_QSTR(MP_QSTR_E_CONFIG), MP_ROM_INT(USSL_E_CONFIG) },
};
static MP_DEFINE_CONST_DICT(ussl_globals, ussl_globals_table);

const mp_obj_module_t ussl_mp_ussl_module = {
	.base = { &mp_type_module },
	.globals = (mp_obj_dict_t *)&ussl_globals,
};

MP_REGISTER_MODULE(MP_QSTR_ussl, ussl_mp_ussl_module);
