/*
 * verifycb.c - the verification trampoline: runs inside a handshake and
 * calls the Python verify_callback of an SSLContext.
 *
 * The core's rule (ussl.h, ussl_verify_fn): the callback may add a
 * rejection, never remove one.  0 or None means "no objection", any
 * other int rejects, and so does an exception or a result of another
 * type.  The flags are never touched here: check_hostname = False is the
 * core's USSL_RELAX_NO_NAME on the context (ctxcfg.c), not a flag
 * cleared afterwards.
 */
#include "ctxint.h"

/*
 * Runs in the handshake (GIL released, socket lock held).  arg is the
 * state the connection's ussl_ctx was given (ctxint.h), which its
 * SSLContext keeps; the socket holds a reference to that context, so c
 * outlives every handshake that can call here.  Without a Python
 * callback the GIL is not taken.
 */
int pyussl_verify_tramp(void *arg, const unsigned char *der, size_t len,
    int depth, unsigned *flags)
{
	struct pyussl_vcb *c = arg;
	int reject = 0;
	PyGILState_STATE g;
	PyObject *cb, *b, *r;
	long v;

	(void)flags;
	if (!(c->cb_flags & CB_PYTHON))
		return 0;
	g = PyGILState_Ensure();
	cb = c->verify_cb;
	if (cb != NULL) {
		Py_INCREF(cb);
		b = PyBytes_FromStringAndSize((const char *)der,
		    (Py_ssize_t)len);
		r = b != NULL ?
		    PyObject_CallFunction(cb, "Oi", b, depth) : NULL;
		Py_XDECREF(b);
		if (r == NULL) {
			PyErr_WriteUnraisable(cb);
			reject = 1;
		} else if (r != Py_None) {
			v = PyLong_Check(r) ? PyLong_AsLong(r) : -1;
			if (v == -1 && PyErr_Occurred()) {
				/* Too large for a long: not 0, so it rejects. */
				PyErr_Clear();
				reject = 1;
			} else if (!PyLong_Check(r)) {
				PyErr_Format(PyExc_TypeError, "verify_callback "
				    "must return an int or None, not %.100s",
				    Py_TYPE(r)->tp_name);
				PyErr_WriteUnraisable(cb);
				reject = 1;
			} else {
				reject = v != 0;
			}
		}
		Py_XDECREF(r);
		Py_DECREF(cb);
	}
	PyGILState_Release(g);
	return reject;
}

void pyussl_ctx_update_cb_flags(PyUsslContext *c)
{
	c->cb_flags = c->verify_cb != NULL ? CB_PYTHON : 0;
}

unsigned pyussl_ctx_no_name(const PyUsslContext *c)
{
	return c->role == USSL_CLIENT && !c->check_hostname ?
	    USSL_RELAX_NO_NAME : 0;
}
