/*
 * verifycb.c - the verification trampoline: runs inside a handshake and
 * calls the Python verify_callback of an SSLContext.
 */
#include "ctxint.h"

/* ---------------------------------------------------------------------- */
/* Verification callback                                                   */

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
	int mode = c->cb_flags, reject = 0;
	PyGILState_STATE g;
	PyObject *cb, *b, *r;
	long v;

	if ((mode & CB_NO_NAME) && depth == 0)
		*flags &= ~(unsigned)USSL_VFY_NAME_MISMATCH;
	if (!(mode & CB_PYTHON))
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
		/* MicroPython's convention: the result replaces the failure
		   flags, so 0 accepts and anything else rejects; None keeps
		   the library's own judgement. */
		if (r == NULL) {
			PyErr_WriteUnraisable(cb);
			reject = 1;
		} else if (r != Py_None) {
			v = PyLong_Check(r) ? PyLong_AsLong(r) : -1;
			if (v == -1 && PyErr_Occurred()) {
				PyErr_WriteUnraisable(cb);
				reject = 1;
			} else if (!PyLong_Check(r)) {
				PyErr_Format(PyExc_TypeError, "verify_callback "
				    "must return an int or None, not %.100s",
				    Py_TYPE(r)->tp_name);
				PyErr_WriteUnraisable(cb);
				reject = 1;
			} else if (v == 0) {
				*flags = 0;
			} else {
				reject = 1;
			}
		}
		Py_XDECREF(r);
		Py_DECREF(cb);
	}
	PyGILState_Release(g);
	return reject;
}

static int cb_flags_of(PyUsslContext *c)
{
	return (c->verify_cb != NULL ? CB_PYTHON : 0) |
	    (c->role == USSL_CLIENT && !c->check_hostname ? CB_NO_NAME : 0);
}

void pyussl_ctx_update_cb_flags(PyUsslContext *c)
{
	c->cb_flags = cb_flags_of(c);
}
