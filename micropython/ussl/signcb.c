/*
 * signcb.c - signing callbacks of tls.SSLContext (the core's
 * ussl_ctx_set_sign_cb / ussl_ctx_use_cert_signer):
 *
 *   ecdsa_sign_callback   as MicroPython's stock module has it: called
 *                         as cb(key, digest) for each ECDSA signature
 *                         made with the loaded EC key, key being the
 *                         key's private value d (big-endian, as long as
 *                         the curve's order; a secure element's
 *                         "reference key" names its slot there) and
 *                         digest the hash to sign (both bytearray).  It
 *                         returns the DER signature, or None to have
 *                         the library sign with the key.
 *   sign_callback         ussl's, for any key the engine supports: cb(alg,
 *                         digest) with alg a SIGN_* number; returns the
 *                         signature (DER for ECDSA, modulus-sized for
 *                         RSA) or None (sign with the loaded key).  Set
 *                         before load_cert_chain(cert, None), the chain
 *                         is used without a private key and the
 *                         callback makes every signature.
 *
 * sign_callback is asked first when both are set.  What a callback
 * raises is printed (as the stock module does) and fails the handshake;
 * so do a result that is not bytes-like, a wrong length and a signature
 * that does not verify with the certificate's key (the core checks it).
 * The key value passed to ecdsa_sign_callback is zeroed when the call
 * returns.
 */
#include <string.h>

#include "py/runtime.h"
#include "ussl_mp.h"

static int is_ecdsa(int alg)
{
	return alg == USSL_SIGN_ECDSA_SHA256 || alg == USSL_SIGN_ECDSA_SHA384 ||
	    alg == USSL_SIGN_ECDSA_SHA512;
}

/* Copy the callback's result r into sig: 0, or USSL_SIGN_DECLINE. */
static int take_sig(mp_obj_t r, unsigned char *sig, size_t *sig_len)
{
	mp_buffer_info_t b;

	if (r == mp_const_none)
		return USSL_SIGN_DECLINE;
	mp_get_buffer_raise(r, &b, MP_BUFFER_READ);
	if (b.len == 0 || b.len > *sig_len) {
		/* The core reports the wrong length. */
		*sig_len = b.len == 0 ? 0 : *sig_len + 1;
		return 0;
	}
	memcpy(sig, b.buf, b.len);
	*sig_len = b.len;
	return 0;
}

int ussl_mp_sign_cb(void *arg, int alg, const unsigned char *hash,
    size_t hash_len, unsigned char *sig, size_t *sig_len)
{
	ussl_mp_context_t *self = ussl_mp_unhide(arg);
	unsigned char d[80];
	size_t dlen = sizeof(d);
	volatile mp_obj_t key = MP_OBJ_NULL;
	mp_obj_t r;
	mp_obj_array_t *ka;
	nlr_buf_t nlr;
	int ret;

	if (self->sign_cb == mp_const_none &&
	    (self->ecdsa_sign_cb == mp_const_none || !is_ecdsa(alg) ||
	    ussl_ctx_key_ref(self->ctx, d, &dlen) != 0))
		return USSL_SIGN_DECLINE;
	if (nlr_push(&nlr) != 0) {
		if (key != MP_OBJ_NULL) {
			ka = MP_OBJ_TO_PTR(key);
			memset(ka->items, 0, ka->len);
		}
		memset(d, 0, sizeof(d));
		mp_obj_print_exception(&mp_plat_print,
		    MP_OBJ_FROM_PTR(nlr.ret_val));
		return -1;
	}
	if (self->sign_cb != mp_const_none) {
		r = mp_call_function_2(self->sign_cb, MP_OBJ_NEW_SMALL_INT(alg),
		    mp_obj_new_bytes(hash, hash_len));
	} else {
		key = mp_obj_new_bytearray(dlen, d);
		memset(d, 0, sizeof(d));
		r = mp_call_function_2(self->ecdsa_sign_cb, key,
		    mp_obj_new_bytearray(hash_len, hash));
		ka = MP_OBJ_TO_PTR(key);
		memset(ka->items, 0, ka->len);
		key = MP_OBJ_NULL;
	}
	ret = take_sig(r, sig, sig_len);
	nlr_pop();
	return ret;
}

void ussl_mp_load_signer(ussl_ctx *ctx, mp_obj_t cert, void *hidden_self,
    int style)
{
	mp_buffer_info_t b;

	mp_get_buffer_raise(cert, &b, MP_BUFFER_READ);
	if (ussl_ctx_use_cert_signer(ctx, b.buf, b.len, ussl_mp_sign_cb,
	    hidden_self) != USSL_OK)
		ussl_mp_raise_ctx(ctx, style);
}
