/*
 * mod_tls_psk.c - the `tls` module's pre-shared key attributes, as
 * MicroPython's own module has them: SSLContext.psk_identity and psk_key
 * (a client's identity and key, both set to use them; str or bytes, and
 * bytes-like) and server_psk_keys (a server's mapping, or any object
 * with get(identity) returning the key as bytes or None).  While set,
 * the core offers PSK handshakes only.  A key the core refuses (longer
 * than 48 bytes) raises OSError and changes nothing.  The lookup runs
 * during the handshake; whatever it raises, or a result that is not a
 * key, refuses the identity.
 */
#include <string.h>

#include "py/runtime.h"
#include "py/mperrno.h"

#include "ussl_mp.h"

void ussl_mp_psk_init(ussl_mp_context_t *self)
{
	self->psk_identity = mp_const_none;
	self->psk_key = mp_const_none;
	self->server_psk_keys = mp_const_none;
}

/* server_psk_keys.get(identity) -> the key, or refused. */
static int lookup(void *arg, const unsigned char *id, size_t id_len,
    unsigned char *key, size_t *key_len)
{
	ussl_mp_context_t *self = ussl_mp_unhide(arg);
	mp_buffer_info_t b;
	nlr_buf_t nlr;
	mp_obj_t dest[3], r;
	int ret = -1;

	if (self->server_psk_keys == mp_const_none)
		return -1;
	if (nlr_push(&nlr) != 0)
		return -1;     /* no get(), or it raised: refused */
	mp_load_method(self->server_psk_keys, MP_QSTR_get, dest);
	dest[2] = mp_obj_new_bytes(id, id_len);
	r = mp_call_method_n_kw(1, 0, dest);
	if (r != mp_const_none && mp_get_buffer(r, &b, MP_BUFFER_READ) &&
	    b.len > 0 && b.len <= *key_len) {
		memcpy(key, b.buf, b.len);
		*key_len = b.len;
		ret = 0;
	}
	nlr_pop();
	return ret;
}

struct psk_arg {
	ussl_mp_context_t *self;
	mp_obj_t id, key, keys;
};

static void apply(ussl_ctx *ctx, void *arg)
{
	struct psk_arg *a = arg;
	const unsigned char *id = NULL, *key = NULL;
	mp_buffer_info_t kb;
	size_t id_len = 0;
	int r;

	if (ussl_ctx_role(ctx) == USSL_SERVER) {
		r = ussl_ctx_set_psk_cb(ctx, a->keys != mp_const_none ?
		    lookup : NULL, ussl_mp_hide(a->self));
	} else {
		/* Both set: the PSK; either None: none. */
		if (a->id != mp_const_none && a->key != mp_const_none) {
			id = (const unsigned char *)mp_obj_str_get_data(a->id,
			    &id_len);
			mp_get_buffer_raise(a->key, &kb, MP_BUFFER_READ);
			key = kb.buf;
		} else {
			kb.len = 0;
		}
		r = ussl_ctx_set_psk(ctx, id, id_len, key, kb.len);
	}
	if (r != USSL_OK)
		mp_raise_OSError(ussl_ctx_error(ctx)->code == USSL_E_NOMEM ?
		    MP_ENOMEM : MP_EINVAL);
}

bool ussl_mp_psk_attr(mp_obj_t self_in, qstr attr, mp_obj_t *dest)
{
	ussl_mp_context_t *self = MP_OBJ_TO_PTR(self_in);
	struct psk_arg a;

	if (attr != MP_QSTR_psk_identity && attr != MP_QSTR_psk_key &&
	    attr != MP_QSTR_server_psk_keys)
		return false;
	if (dest[0] == MP_OBJ_NULL) {
		dest[0] = attr == MP_QSTR_psk_identity ? self->psk_identity :
		    attr == MP_QSTR_psk_key ? self->psk_key :
		    self->server_psk_keys;
		return true;
	}
	if (dest[1] == MP_OBJ_NULL)
		return true;                 /* no deleting */
	if (self->ctx == NULL)
		mp_raise_OSError(MP_EBADF);
	a.self = self;
	a.id = attr == MP_QSTR_psk_identity ? dest[1] : self->psk_identity;
	a.key = attr == MP_QSTR_psk_key ? dest[1] : self->psk_key;
	a.keys = attr == MP_QSTR_server_psk_keys ? dest[1] :
	    self->server_psk_keys;
	/* Type errors as the stock module's, before anything changes. */
	if (a.id != mp_const_none)
		(void)mp_obj_str_get_data(a.id, &(size_t){0});
	if (a.key != mp_const_none) {
		mp_buffer_info_t b;

		mp_get_buffer_raise(a.key, &b, MP_BUFFER_READ);
	}
	/* A client's table or a server's identity is kept, not used. */
	if ((attr == MP_QSTR_server_psk_keys) ==
	    (ussl_ctx_role(self->ctx) == USSL_SERVER))
		ussl_mp_ctx_change(self_in, apply, &a);
	self->psk_identity = a.id;
	self->psk_key = a.key;
	self->server_psk_keys = a.keys;
	dest[0] = MP_OBJ_NULL;
	return true;
}
