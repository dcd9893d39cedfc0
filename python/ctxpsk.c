/*
 * ctxpsk.c - SSLContext's pre-shared key attributes, as MicroPython's
 * tls module has them: psk_identity and psk_key (a client's identity,
 * bytes or str, and key, bytes-like; both set to use them) and
 * server_psk_keys (a server's dict, or any object whose get(identity)
 * returns the key as bytes, or None to refuse).  While set, the core
 * makes PSK handshakes only: no certificates, no fallback to them.
 */
#include "ctxint.h"

/*
 * The server's lookup, in the handshake (GIL released, socket lock
 * held).  arg is the SSLContext, which every socket of it references:
 * it outlives the handshake.  The mapping is the one set now.  An
 * exception, or a result that is not a key, refuses the identity.
 */
static int lookup(void *arg, const unsigned char *id, size_t id_len,
    unsigned char *key, size_t *key_len)
{
	PyUsslContext *c = arg;
	PyGILState_STATE g = PyGILState_Ensure();
	PyObject *keys = c->server_psk_keys, *r = NULL;
	Py_buffer b;
	int ret = -1;

	if (keys != NULL) {
		Py_INCREF(keys);
		r = PyObject_CallMethod(keys, "get", "y#", (const char *)id,
		    (Py_ssize_t)id_len);
		if (r == NULL) {
			PyErr_WriteUnraisable(keys);
		} else if (r != Py_None &&
		    PyObject_GetBuffer(r, &b, PyBUF_SIMPLE) == 0) {
			if (b.len > 0 && (size_t)b.len <= *key_len) {
				memcpy(key, b.buf, (size_t)b.len);
				*key_len = (size_t)b.len;
				ret = 0;
			}
			PyBuffer_Release(&b);
		}
		PyErr_Clear();
		Py_XDECREF(r);
		Py_DECREF(keys);
	}
	PyGILState_Release(g);
	return ret;
}

struct psk_op {
	PyUsslContext *c;
	const unsigned char *id, *key;
	size_t id_len, key_len;
	int server_cb;            /* server: install (1) or remove (0) */
};

static int op_psk(ussl_ctx *x, void *arg, size_t *applied)
{
	struct psk_op *o = arg;
	int r;

	if (ussl_ctx_role(x) == USSL_SERVER)
		r = ussl_ctx_set_psk_cb(x, o->server_cb ? lookup : NULL, o->c);
	else
		r = ussl_ctx_set_psk(x, o->id, o->id_len, o->key, o->key_len);
	*applied = r == USSL_OK;
	return r;
}

static PyObject *get_attr(PyObject *v)
{
	if (v == NULL)
		Py_RETURN_NONE;
	Py_INCREF(v);
	return v;
}

PyObject *pyussl_ctx_get_psk(PyUsslContext *c, void *closure)
{
	intptr_t which = (intptr_t)closure;

	return get_attr(which == 0 ? c->psk_identity : which == 1 ?
	    c->psk_key : c->server_psk_keys);
}

/* The identity as bytes: str is encoded in UTF-8. */
static PyObject *identity_bytes(PyObject *v)
{
	if (PyUnicode_Check(v))
		return PyUnicode_AsUTF8String(v);
	if (PyBytes_Check(v) || PyByteArray_Check(v)) {
		Py_INCREF(v);
		return v;
	}
	PyErr_Format(PyExc_TypeError, "psk_identity must be bytes or str, "
	    "not %.100s", Py_TYPE(v)->tp_name);
	return NULL;
}

int pyussl_ctx_set_psk(PyUsslContext *c, PyObject *v, void *closure)
{
	intptr_t which = (intptr_t)closure;
	PyObject *id = which == 0 ? v : c->psk_identity;
	PyObject *key = which == 1 ? v : c->psk_key;
	PyObject *keys = which == 2 ? v : c->server_psk_keys;
	PyObject *idb = NULL, **slot;
	Py_buffer kb = { 0 };
	struct psk_op o = { c, NULL, NULL, 0, 0, 0 };
	pyussl_errinfo e;
	int r = -1;

	if (v == NULL) {
		PyErr_SetString(PyExc_AttributeError,
		    "cannot delete a PSK attribute (set it to None)");
		return -1;
	}
	if (v == Py_None)
		v = NULL;
	if (id == Py_None)
		id = NULL;
	if (key == Py_None)
		key = NULL;
	if (keys == Py_None)
		keys = NULL;
	/* Types first: nothing changes on a bad one. */
	if (id != NULL && (idb = identity_bytes(id)) == NULL)
		return -1;
	if (key != NULL && PyObject_GetBuffer(key, &kb, PyBUF_SIMPLE) < 0)
		goto out;
	/* A client's mapping, a server's identity: kept, not used. */
	if ((which == 2) == (c->role == USSL_SERVER)) {
		if (c->role == USSL_SERVER) {
			o.server_cb = keys != NULL;
		} else if (idb != NULL && key != NULL) {
			o.id = (const unsigned char *)(PyBytes_Check(idb) ?
			    PyBytes_AS_STRING(idb) : PyByteArray_AS_STRING(idb));
			o.id_len = (size_t)(PyBytes_Check(idb) ?
			    PyBytes_GET_SIZE(idb) : PyByteArray_GET_SIZE(idb));
			o.key = kb.buf;
			o.key_len = (size_t)kb.len;
		}
		if (pyussl_ctx_modify(c, op_psk, &o, 0, &e) != 0) {
			pyussl_raise_setup_error(&e, NULL);
			goto out;
		}
	}
	slot = which == 0 ? &c->psk_identity : which == 1 ? &c->psk_key :
	    &c->server_psk_keys;
	Py_XINCREF(v);
	Py_XSETREF(*slot, v);
	r = 0;
out:
	if (kb.obj != NULL)
		PyBuffer_Release(&kb);
	Py_XDECREF(idb);
	return r;
}
