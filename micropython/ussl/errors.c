/*
 * errors.c - turning ussl errors into MicroPython exceptions, in the two
 * styles of ussl_mp.h.
 */
#include "py/runtime.h"
#include "py/mperrno.h"

#include "ussl_mp.h"

/*
 * Numbers and names MicroPython's stock mbedTLS module reports for the
 * same conditions (mbedTLS's error codes), so that code written for it,
 * which prints or compares them, keeps working.
 */
static const struct {
	uint16_t code;
	int16_t num;
	const char *name;
} compat_map[] = {
	{ USSL_E_PEER_ALERT, -0x7780, "MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE" },
	{ USSL_E_TRUNCATED, -0x7280, "MBEDTLS_ERR_SSL_CONN_EOF" },
	{ USSL_E_BADARG, -0x5E80, "MBEDTLS_ERR_SSL_BAD_CONFIG" },
	{ USSL_E_CONFIG, -0x5E80, "MBEDTLS_ERR_SSL_BAD_CONFIG" },
	{ USSL_E_HANDSHAKE, -0x6E00, NULL },
	{ USSL_E_PROTOCOL, -0x7200, NULL },
	{ USSL_E_CLOSED, -0x7100, NULL },
	{ USSL_E_INTERNAL, -0x6C00, NULL },
	{ USSL_E_HELLO_VERIFY, -0x6A80,
	  "MBEDTLS_ERR_SSL_HELLO_VERIFY_REQUIRED" },
};

#define COMPAT_NO_CLIENT_CERT (-0x7480)
#define COMPAT_VERIFY_FAILED (-0x2700)
#define COMPAT_CA_CHAIN_REQUIRED (-0x7680)

static MP_NORETURN void raise_oserror2(mp_int_t num, const char *text)
{
	mp_obj_t args[2] = {
		MP_OBJ_NEW_SMALL_INT(num), mp_obj_new_str_from_cstr(text)
	};

	nlr_raise(mp_obj_exception_make_new(&mp_type_OSError, 2, 0, args));
}

static MP_NORETURN void raise_value_error(const char *text)
{
	mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%s"), text);
}

static MP_NORETURN void raise_compat(const ussl_error *e, int role)
{
	char text[200];
	size_t i;

	switch (e->code) {
	case USSL_E_BADKEY:
		raise_value_error("invalid key");
	case USSL_E_BADCERT:
		raise_value_error("invalid cert");
	case USSL_E_VERIFY:
		if (role == USSL_SERVER && (e->verify & USSL_VFY_NO_CERT))
			raise_oserror2(COMPAT_NO_CLIENT_CERT,
			    "MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE");
		if (ussl_mp_verify_text(e->verify, text, sizeof(text)) > 0)
			raise_value_error(text);
		raise_oserror2(COMPAT_VERIFY_FAILED, e->msg);
	default:
		break;
	}
	for (i = 0; i < MP_ARRAY_SIZE(compat_map); i++) {
		if (compat_map[i].code == e->code)
			raise_oserror2(compat_map[i].num, compat_map[i].name ?
			    compat_map[i].name : e->msg);
	}
	raise_oserror2(e->code, e->msg);
}

MP_NORETURN void ussl_mp_raise(const ussl_error *e, int style, int role)
{
	if (e->code == USSL_E_IO && e->sys_errno > 0)
		mp_raise_OSError(e->sys_errno);
	if (e->code == USSL_E_TIMEOUT)
		mp_raise_OSError(MP_ETIMEDOUT);
	if (e->code == USSL_E_NOMEM)
		mp_raise_OSError(MP_ENOMEM);
	if (style == USSL_MP_COMPAT)
		raise_compat(e, role);
	if (e->code == USSL_E_BADKEY || e->code == USSL_E_BADCERT ||
	    e->code == USSL_E_BADARG || e->code == USSL_E_CONFIG)
		raise_value_error(e->msg);
	raise_oserror2(e->code, e->msg);
}

MP_NORETURN void ussl_mp_raise_no_ca(const ussl_error *e, int style,
    int role)
{
	if (style == USSL_MP_COMPAT)
		raise_oserror2(COMPAT_CA_CHAIN_REQUIRED,
		    "MBEDTLS_ERR_SSL_CA_CHAIN_REQUIRED");
	ussl_mp_raise(e, style, role);
}

MP_NORETURN void ussl_mp_raise_ctx(ussl_ctx *ctx, int style)
{
	ussl_mp_raise(ussl_ctx_error(ctx), style, ussl_ctx_role(ctx));
}
