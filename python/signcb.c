/*
 * signcb.c - SSLContext.load_cert_chain(..., sign_callback=fn): the
 * private key stays outside (a secure element, an HSM, another
 * process) and fn makes the handshake's signature.
 *
 *   fn(alg, digest) -> bytes
 *
 * alg is one of ussl.SIGN_* (the TLS SignatureScheme number), digest the
 * hash to sign (bytes; not to be hashed again).  fn returns the
 * signature: DER for ECDSA, as many bytes as the modulus for RSA; or
 * None to let the library sign with a key loaded with the chain (only
 * when keyfile was given: an EC key is then asked about first).  An
 * exception, another type, a wrong length or an invalid signature fails
 * the handshake (OSError E_HANDSHAKE, "sign callback ..."); the
 * exception itself goes to sys.unraisablehook, like verify_callback's.
 *
 * Each call of load_cert_chain with a callback makes a small record (the
 * callback's arg in the core) that lives until the SSLContext goes:
 * connections made before keep the ussl_ctx, and with it the record,
 * that they were made with.
 */
#include "ctxint.h"

struct pyussl_scb {
	struct pyussl_scb *next;
	PyObject *fn;          /* strong reference; NULL once cleared */
};

/* Runs in the handshake, GIL released (socket lock held). */
static int sign_tramp(void *arg, int alg, const unsigned char *hash,
    size_t hash_len, unsigned char *sig, size_t *sig_len)
{
	struct pyussl_scb *s = arg;
	PyGILState_STATE g = PyGILState_Ensure();
	PyObject *fn = s->fn, *r = NULL;
	Py_buffer view;
	int ret = -1;

	if (fn == NULL)
		goto out;
	Py_INCREF(fn);
	r = PyObject_CallFunction(fn, "iy#", alg, (const char *)hash,
	    (Py_ssize_t)hash_len);
	if (r == NULL) {
		PyErr_WriteUnraisable(fn);
	} else if (r == Py_None) {
		ret = USSL_SIGN_DECLINE;
	} else if (PyObject_GetBuffer(r, &view, PyBUF_SIMPLE) != 0) {
		PyErr_Clear();
		PyErr_Format(PyExc_TypeError, "sign_callback must return "
		    "bytes or None, not %.100s", Py_TYPE(r)->tp_name);
		PyErr_WriteUnraisable(fn);
	} else {
		if ((size_t)view.len <= *sig_len && view.len > 0) {
			memcpy(sig, view.buf, (size_t)view.len);
			*sig_len = (size_t)view.len;
		} else {
			/* The core reports the wrong length. */
			*sig_len = view.len > 0 ? *sig_len + 1 : 0;
		}
		PyBuffer_Release(&view);
		ret = 0;
	}
	Py_XDECREF(r);
	Py_DECREF(fn);
out:
	PyGILState_Release(g);
	return ret;
}

static struct pyussl_scb *scb_new(PyUsslContext *c, PyObject *fn)
{
	struct pyussl_scb *s = PyMem_RawCalloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->fn = Py_NewRef(fn);
	pyussl_ctx_lock(c);
	s->next = c->scb;
	c->scb = s;
	pyussl_ctx_unlock(c);
	return s;
}

struct signer_arg {
	const unsigned char *cert;
	size_t cert_len;
	struct pyussl_scb *s;
	int keyless;
};

static int op_signer(ussl_ctx *x, void *arg, size_t *applied)
{
	struct signer_arg *a = arg;
	int r = a->keyless ?
	    ussl_ctx_use_cert_signer(x, a->cert, a->cert_len, sign_tramp,
	    a->s) : ussl_ctx_set_sign_cb(x, a->s != NULL ? sign_tramp : NULL,
	    a->s);

	*applied = r == USSL_OK;
	return r;
}

int pyussl_ctx_set_signer(PyUsslContext *c, const unsigned char *cert,
    size_t cert_len, PyObject *fn, int keyless, pyussl_errinfo *e)
{
	struct signer_arg a;

	a.cert = cert;
	a.cert_len = cert_len;
	a.keyless = keyless;
	a.s = fn != NULL ? scb_new(c, fn) : NULL;
	if (fn != NULL && a.s == NULL) {
		memset(e, 0, sizeof(*e));
		e->code = USSL_E_NOMEM;
		snprintf(e->msg, sizeof(e->msg), "out of memory");
		return -1;
	}
	return pyussl_ctx_modify(c, op_signer, &a, keyless, e);
}

void pyussl_ctx_scb_clear(PyUsslContext *c)
{
	struct pyussl_scb *s;

	for (s = c->scb; s != NULL; s = s->next)
		Py_CLEAR(s->fn);
}

int pyussl_ctx_scb_traverse(PyUsslContext *c, visitproc visit, void *arg)
{
	struct pyussl_scb *s;

	for (s = c->scb; s != NULL; s = s->next)
		Py_VISIT(s->fn);
	return 0;
}

void pyussl_ctx_scb_free(PyUsslContext *c)
{
	struct pyussl_scb *s, *next;

	pyussl_ctx_scb_clear(c);
	for (s = c->scb; s != NULL; s = next) {
		next = s->next;
		PyMem_RawFree(s);
	}
	c->scb = NULL;
}
