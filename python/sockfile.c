/*
 * sockfile.c - SSLSocket.makefile() and shutdown(), for the standard
 * library's clients (http.client, urllib.request, smtplib, imaplib,
 * poplib, ftplib), which read responses through a file made from the
 * socket and shut it down before closing it.
 *
 * The file is socket.socket's own: makefile() runs socket.socket.makefile
 * with this socket as self, which builds a socket.SocketIO over our
 * recv_into()/send() and the buffered or text layers on top, with every
 * mode, buffering and encoding argument as the standard library has it.
 * What that needs from us is socket.socket's reference counting: _io_refs
 * (one per open file), _decref_socketios() (a file closed) and close()
 * waiting for the last file (sockclose.c), so that `conn.close()` in
 * http.client does not cut a response still being read.
 */
#include "pyussl.h"

PyDoc_STRVAR(makefile_doc,
"makefile($self, mode='r', buffering=None, *, encoding=None,\n"
"         errors=None, newline=None)\n--\n\n"
"A file object reading and/or writing the TLS connection, as\n"
"socket.socket.makefile() makes it (modes 'r', 'w', 'b'; buffered,\n"
"unbuffered binary, or text).  close() of the socket takes effect once\n"
"every such file is closed too.");

static PyObject *s_makefile(PyUsslSocket *self, PyObject *args,
    PyObject *kw)
{
	PyObject *mod, *cls = NULL, *fn = NULL, *full = NULL, *r = NULL;
	Py_ssize_t i, n;

	if (self->closed || self->close_pending) {
		PyErr_SetString(PyExc_ValueError, "I/O operation on closed "
		    "SSLSocket");
		return NULL;
	}
	if ((mod = PyImport_ImportModule("socket")) == NULL)
		return NULL;
	if ((cls = PyObject_GetAttrString(mod, "socket")) == NULL ||
	    (fn = PyObject_GetAttrString(cls, "makefile")) == NULL)
		goto out;
	n = PyTuple_GET_SIZE(args);
	if ((full = PyTuple_New(n + 1)) == NULL)
		goto out;
	PyTuple_SET_ITEM(full, 0, Py_NewRef((PyObject *)self));
	for (i = 0; i < n; i++)
		PyTuple_SET_ITEM(full, i + 1,
		    Py_NewRef(PyTuple_GET_ITEM(args, i)));
	r = PyObject_Call(fn, full, kw);
out:
	Py_XDECREF(full);
	Py_XDECREF(fn);
	Py_XDECREF(cls);
	Py_DECREF(mod);
	return r;
}

/* A file made by makefile() was closed (socket.SocketIO.close). */
static PyObject *s_decref_socketios(PyUsslSocket *self, PyObject *unused)
{
	(void)unused;
	if (self->io_refs > 0)
		self->io_refs--;
	if (self->close_pending && self->io_refs == 0)
		return pyussl_sock_real_close(self);
	Py_RETURN_NONE;
}

PyDoc_STRVAR(shutdown_doc,
"shutdown($self, how, /)\n--\n\n"
"Shut down the TCP connection underneath (socket.shutdown(how)), as the\n"
"standard library does before close(); no close_notify is sent.");

static PyObject *s_shutdown(PyUsslSocket *self, PyObject *how)
{
	PyObject *sock = self->sock;

	if (sock == NULL || self->closed) {
		PyErr_SetString(PyExc_ValueError, "I/O operation on closed "
		    "SSLSocket");
		return NULL;
	}
	return PyObject_CallMethod(sock, "shutdown", "O", how);
}

PyMethodDef pyussl_sock_file_methods[] = {
	{ "shutdown", (PyCFunction)s_shutdown, METH_O, shutdown_doc },
	{ "makefile", (PyCFunction)(void (*)(void))s_makefile,
	  METH_VARARGS | METH_KEYWORDS, makefile_doc },
	{ "_decref_socketios", (PyCFunction)s_decref_socketios, METH_NOARGS,
	  NULL },
	{ NULL, NULL, 0, NULL }
};

static PyObject *get_io_refs(PyUsslSocket *self, void *closure)
{
	(void)closure;
	return PyLong_FromLong(self->io_refs);
}

/* socket.socket.makefile() does `self._io_refs += 1`. */
static int set_io_refs(PyUsslSocket *self, PyObject *v, void *closure)
{
	long n;

	(void)closure;
	if (v == NULL) {
		PyErr_SetString(PyExc_AttributeError, "cannot delete _io_refs");
		return -1;
	}
	n = PyLong_AsLong(v);
	if (n == -1 && PyErr_Occurred())
		return -1;
	if (n < 0 || n > 1000000) {
		PyErr_SetString(PyExc_ValueError, "_io_refs out of range");
		return -1;
	}
	self->io_refs = (int)n;
	return 0;
}

static PyObject *get_closed(PyUsslSocket *self, void *closure)
{
	(void)closure;
	return PyBool_FromLong(self->closed || self->close_pending);
}

PyGetSetDef pyussl_sock_file_getset[] = {
	{ "_io_refs", (getter)get_io_refs, (setter)set_io_refs,
	  "Open files made by makefile().", NULL },
	{ "_closed", (getter)get_closed, NULL,
	  "True once close() was called.", NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};
