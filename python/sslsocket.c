/*
 * sslsocket.c - the ussl.SSLSocket type: a TLS connection over a Python
 * socket object.  This file holds the type itself (life cycle,
 * attributes, the method table), handshake control, connection details
 * and the socket pass-through methods; the data path is in sockstream.c,
 * session resumption in socksession.c, closing in sockclose.c.
 */
#include "pyussl.h"

#include <stddef.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* Locking helper and short queries                                       */

int pyussl_with_conn(PyUsslSocket *self,
    void (*fn)(PyUsslSocket *self, void *arg), void *arg)
{
	int ran = 0;

	/* Uncontended: no need to give up the GIL. */
	if (PyThread_acquire_lock(self->lock, NOWAIT_LOCK)) {
		if (self->conn != NULL) {
			fn(self, arg);
			ran = 1;
		}
		PyThread_release_lock(self->lock);
		return ran;
	}
	Py_BEGIN_ALLOW_THREADS
	PyThread_acquire_lock(self->lock, WAIT_LOCK);
	if (self->conn != NULL) {
		fn(self, arg);
		ran = 1;
	}
	PyThread_release_lock(self->lock);
	Py_END_ALLOW_THREADS
	return ran;
}

struct info_arg {
	char version[32];
	char cipher[128];
	int bits;
	size_t pending;
};

static void copy_str(char *dst, size_t size, const char *src)
{
	if (src == NULL) {
		dst[0] = '\0';
		return;
	}
	strncpy(dst, src, size - 1);
	dst[size - 1] = '\0';
}

static void get_info(PyUsslSocket *self, void *p)
{
	struct info_arg *a = p;

	copy_str(a->version, sizeof(a->version),
	    ussl_conn_version(self->conn));
	copy_str(a->cipher, sizeof(a->cipher), ussl_conn_cipher(self->conn));
	a->bits = ussl_conn_cipher_bits(self->conn);
	a->pending = ussl_pending(self->conn) + (self->rlen - self->rpos);
}

/* Fill *a, or raise for a closed socket.  0 or -1. */
static int info(PyUsslSocket *self, struct info_arg *a)
{
	if (self->closed || !pyussl_with_conn(self, get_info, a)) {
		pyussl_raise_closed();
		return -1;
	}
	return 0;
}

struct peer_arg {
	unsigned char *der;      /* PyMem_RawMalloc'd copy, or NULL */
	size_t len;
	int nomem;
};

static void get_peer(PyUsslSocket *self, void *p)
{
	struct peer_arg *a = p;
	const unsigned char *der;
	size_t len;

	if (ussl_conn_peer_cert(self->conn, &der, &len) != 0)
		return;
	a->der = PyMem_RawMalloc(len ? len : 1);
	if (a->der == NULL) {
		a->nomem = 1;
		return;
	}
	memcpy(a->der, der, len);
	a->len = len;
}

/* A copy of the peer's DER certificate: 1 (a->der set), 0 (none), or -1
   with an exception. */
static int peer_der(PyUsslSocket *self, struct peer_arg *a)
{
	memset(a, 0, sizeof(*a));
	if (self->closed || !pyussl_with_conn(self, get_peer, a)) {
		pyussl_raise_closed();
		return -1;
	}
	if (a->nomem) {
		PyErr_NoMemory();
		return -1;
	}
	return a->der != NULL;
}

typedef int (*dn_fn)(const unsigned char *, size_t, char *, size_t);

/* The subject or issuer DN as str, None if it cannot be had. */
static PyObject *dn_string(dn_fn fn, const unsigned char *der, size_t len)
{
	PyObject *s;
	size_t size;
	char *buf;
	int n;

	/* The core reports a too small buffer like an unparsable
	   certificate (-1) or with a full buffer: retry larger. */
	for (size = 512; size <= 64 * 1024; size *= 4) {
		buf = PyMem_Malloc(size);
		if (buf == NULL)
			return PyErr_NoMemory();
		n = fn(der, len, buf, size);
		if (n >= 0 && (size_t)n < size - 1) {
			s = PyUnicode_DecodeUTF8(buf, n, "replace");
			PyMem_Free(buf);
			return s;
		}
		PyMem_Free(buf);
	}
	Py_RETURN_NONE;
}

/* ---------------------------------------------------------------------- */
/* Methods: socket pass-through                                            */

static PyObject *call_sock(PyUsslSocket *self, const char *name,
    PyObject *arg)
{
	PyObject *sock = self->sock, *r;

	if (self->closed || sock == NULL)
		return pyussl_raise_closed();
	Py_INCREF(sock);
	r = arg != NULL ? PyObject_CallMethod(sock, name, "O", arg) :
	    PyObject_CallMethod(sock, name, NULL);
	Py_DECREF(sock);
	return r;
}

PyDoc_STRVAR(setblocking_doc,
"setblocking($self, flag, /)\n--\n\n"
"Set the blocking mode of the underlying socket.");

static PyObject *s_setblocking(PyUsslSocket *self, PyObject *flag)
{
	PyObject *r = call_sock(self, "setblocking", flag);

	if (r == NULL)
		return NULL;
	Py_DECREF(r);
	Py_RETURN_NONE;
}

PyDoc_STRVAR(settimeout_doc,
"settimeout($self, timeout, /)\n--\n\n"
"Set the timeout of the underlying socket (None: blocking, 0: non-blocking).");

static PyObject *s_settimeout(PyUsslSocket *self, PyObject *t)
{
	PyObject *r = call_sock(self, "settimeout", t);

	if (r == NULL)
		return NULL;
	Py_DECREF(r);
	Py_RETURN_NONE;
}

PyDoc_STRVAR(gettimeout_doc,
"gettimeout($self)\n--\n\n"
"The timeout of the underlying socket.");

static PyObject *s_gettimeout(PyUsslSocket *self, PyObject *unused)
{
	(void)unused;
	return call_sock(self, "gettimeout", NULL);
}

PyDoc_STRVAR(fileno_doc,
"fileno($self)\n--\n\n"
"The file descriptor of the underlying socket (for select/selectors);\n"
"-1 after close() for sockets made by SSLContext.wrap_socket().");

static PyObject *s_fileno(PyUsslSocket *self, PyObject *unused)
{
	(void)unused;
	/* -1 once closed, like a socket, so that selectors.unregister()
	   works after close(); wrap_socket()'s sockets keep raising. */
	if (self->closed && !(self->flags & PYUSSL_SOCK_LEGACY))
		return PyLong_FromLong(-1);
	CHECK_OPEN(self);
	/* The socket may have been closed behind our back: its old number
	   may already name another file, which a selector must not watch. */
	if (self->sock != NULL) {
		PyObject *t = PyObject_CallMethod(self->sock, "fileno", NULL);
		long fd;

		if (t == NULL)
			return NULL;
		fd = PyLong_AsLong(t);
		Py_DECREF(t);
		if (fd == -1 && PyErr_Occurred())
			return NULL;
		if (fd != self->fd)
			return PyLong_FromLong(-1);
	}
	return PyLong_FromLong(self->fd);
}

/* ---------------------------------------------------------------------- */
/* Methods: TLS state                                                      */

PyDoc_STRVAR(pending_doc,
"pending($self)\n--\n\n"
"Number of decrypted bytes readable without I/O.");

static PyObject *s_pending(PyUsslSocket *self, PyObject *unused)
{
	struct info_arg a;

	(void)unused;
	if (info(self, &a) < 0)
		return NULL;
	return PyLong_FromSize_t(a.pending);
}

static long step_handshake(PyUsslSocket *self, void *arg)
{
	(void)arg;
	return ussl_handshake(self->conn);
}

PyDoc_STRVAR(do_handshake_doc,
"do_handshake($self)\n--\n\n"
"Run or continue the handshake.  True when it is done, None if a\n"
"non-blocking socket would block (see `want`).");

PyObject *pyussl_do_handshake(PyUsslSocket *self, PyObject *unused)
{
	pyussl_deadline dl;
	long r;

	(void)unused;
	CHECK_OPEN(self);
	if (self->hs_done)
		Py_RETURN_TRUE;
	if (pyussl_deadline_init(self, &dl) < 0)
		return NULL;
	r = pyussl_run(self, "handshake", step_handshake, NULL, &dl);
	if (r == PYUSSL_WOULDBLOCK)
		Py_RETURN_NONE;
	if (r < 0)
		return NULL;
	Py_RETURN_TRUE;
}

PyDoc_STRVAR(version_doc,
"version($self)\n--\n\n"
"The negotiated protocol, 'TLSv1.3' or 'TLSv1.2'; None before the\n"
"handshake.");

static PyObject *s_version(PyUsslSocket *self, PyObject *unused)
{
	struct info_arg a;

	(void)unused;
	if (info(self, &a) < 0)
		return NULL;
	if (a.version[0] == '\0')
		Py_RETURN_NONE;
	return PyUnicode_FromString(a.version);
}

PyDoc_STRVAR(cipher_doc,
"cipher($self)\n--\n\n"
"(name, protocol version, secret bits) of the negotiated cipher suite;\n"
"None before the handshake.");

static PyObject *s_cipher(PyUsslSocket *self, PyObject *unused)
{
	struct info_arg a;

	(void)unused;
	if (info(self, &a) < 0)
		return NULL;
	if (a.cipher[0] == '\0')
		Py_RETURN_NONE;
	if (a.version[0] == '\0')
		return Py_BuildValue("(sOi)", a.cipher, Py_None, a.bits);
	return Py_BuildValue("(ssi)", a.cipher, a.version, a.bits);
}

PyDoc_STRVAR(getpeercert_doc,
"getpeercert($self, binary_form=...)\n--\n\n"
"The peer's certificate: DER bytes (binary_form=True), or a dict in\n"
"CPython's layout (subject, issuer, version, serialNumber, notBefore,\n"
"notAfter, subjectAltName, ...).  binary_form defaults to False for\n"
"SSLContext sockets, as in CPython, and to True for sockets made by the\n"
"module-level wrap_socket(), whose dict form keeps 'subject' and\n"
"'issuer' as strings.  None if the peer sent no certificate or the\n"
"handshake is not done.");

/* The dict of module-level wrap_socket() sockets: DN strings. */
static PyObject *legacy_cert_dict(const unsigned char *der, size_t len)
{
	PyObject *res, *v;

	res = PyDict_New();
	if (res == NULL)
		return NULL;
	v = dn_string(ussl_cert_subject, der, len);
	if (v == NULL || PyDict_SetItemString(res, "subject", v) < 0)
		goto fail;
	Py_DECREF(v);
	v = dn_string(ussl_cert_issuer, der, len);
	if (v == NULL || PyDict_SetItemString(res, "issuer", v) < 0)
		goto fail;
	Py_DECREF(v);
	return res;
fail:
	Py_XDECREF(v);
	Py_DECREF(res);
	return NULL;
}

static PyObject *s_getpeercert(PyUsslSocket *self, PyObject *args,
    PyObject *kw)
{
	static char *kwlist[] = { "binary_form", NULL };
	struct peer_arg a;
	PyObject *res, *bf = NULL;
	int binary, r;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:getpeercert", kwlist,
	    &bf))
		return NULL;
	if (bf == NULL) {
		binary = (self->flags & PYUSSL_SOCK_LEGACY) != 0;
	} else if ((binary = PyObject_IsTrue(bf)) < 0) {
		return NULL;
	}
	r = peer_der(self, &a);
	if (r < 0)
		return NULL;
	if (r == 0)
		Py_RETURN_NONE;
	if (binary)
		res = PyBytes_FromStringAndSize((const char *)a.der,
		    (Py_ssize_t)a.len);
	else if (self->flags & PYUSSL_SOCK_LEGACY)
		res = legacy_cert_dict(a.der, a.len);
	else
		res = pyussl_cert_dict(a.der, a.len);
	PyMem_RawFree(a.der);
	return res;
}

PyDoc_STRVAR(peer_subject_doc,
"peer_subject($self)\n--\n\n"
"The subject of the peer's certificate, e.g. 'CN=example.com, O=Example';\n"
"None if there is none.");

static PyObject *s_peer_subject(PyUsslSocket *self, PyObject *unused)
{
	struct peer_arg a;
	PyObject *res;
	int r;

	(void)unused;
	r = peer_der(self, &a);
	if (r < 0)
		return NULL;
	if (r == 0)
		Py_RETURN_NONE;
	res = dn_string(ussl_cert_subject, a.der, a.len);
	PyMem_RawFree(a.der);
	return res;
}

/* ---------------------------------------------------------------------- */
/* ALPN                                                                    */

struct alpn_arg {
	char name[256];
	int have;
};

static void get_alpn(PyUsslSocket *self, void *p)
{
	struct alpn_arg *a = p;
	const char *n = ussl_conn_alpn(self->conn);

	if (n != NULL) {
		copy_str(a->name, sizeof(a->name), n);
		a->have = 1;
	}
}

PyDoc_STRVAR(selected_alpn_protocol_doc,
"selected_alpn_protocol($self)\n--\n\n"
"The ALPN protocol both sides agreed on, or None.");

static PyObject *s_selected_alpn_protocol(PyUsslSocket *self,
    PyObject *unused)
{
	struct alpn_arg a;

	(void)unused;
	a.have = 0;
	if (self->closed || !pyussl_with_conn(self, get_alpn, &a))
		return pyussl_raise_closed();
	if (!a.have)
		Py_RETURN_NONE;
	return PyUnicode_DecodeUTF8(a.name, (Py_ssize_t)strlen(a.name),
	    "replace");
}


static PyObject *s_getpeername(PyUsslSocket *self, PyObject *unused)
{
	(void)unused;
	return call_sock(self, "getpeername", NULL);
}

static PyObject *s_getsockname(PyUsslSocket *self, PyObject *unused)
{
	(void)unused;
	return call_sock(self, "getsockname", NULL);
}

static PyObject *get_context(PyUsslSocket *self, void *closure)
{
	(void)closure;
	/* wrap_socket()'s context is shared by every call with the same
	   files (ctxcache.c): nobody may change it through one socket. */
	if (self->flags & PYUSSL_SOCK_LEGACY)
		return Py_NewRef(Py_None);
	return Py_NewRef(self->context != NULL ? self->context : Py_None);
}

static PyObject *get_server_hostname(PyUsslSocket *self, void *closure)
{
	(void)closure;
	return Py_NewRef(self->hostname != NULL ? self->hostname : Py_None);
}


/* ---------------------------------------------------------------------- */
/* Attributes, repr, life cycle                                            */

static PyObject *get_want(PyUsslSocket *self, void *closure)
{
	(void)closure;
	return PyLong_FromLong(self->want);
}

static PyObject *get_handshake_done(PyUsslSocket *self, void *closure)
{
	(void)closure;
	return PyBool_FromLong(self->hs_done);
}

static PyObject *get_server_side(PyUsslSocket *self, void *closure)
{
	(void)closure;
	return PyBool_FromLong(self->server_side);
}

static PyObject *s_repr(PyUsslSocket *self)
{
	struct info_arg a;

	if (self->closed)
		return PyUnicode_FromString("<ussl.SSLSocket [closed]>");
	if (!self->hs_done || !pyussl_with_conn(self, get_info, &a) ||
	    a.version[0] == '\0')
		return PyUnicode_FromFormat("<ussl.SSLSocket fd=%d, %s, "
		    "handshake %s>", self->fd,
		    self->server_side ? "server" : "client",
		    self->hs_done ? "done" : "pending");
	return PyUnicode_FromFormat("<ussl.SSLSocket fd=%d, %s, %s, %s>",
	    self->fd, self->server_side ? "server" : "client", a.version,
	    a.cipher);
}

static int s_traverse(PyUsslSocket *self, visitproc visit, void *arg)
{
	Py_VISIT(self->sock);
	Py_VISIT(self->context);
	return 0;
}

/* The context is kept: the engine context of conn may call back into it
   (verify_callback) until conn is freed in s_dealloc. */
static int s_clear(PyUsslSocket *self)
{
	Py_CLEAR(self->sock);
	return 0;
}

/* Dropped without close(): free the TLS state without sending anything;
   the socket object is left to its own finaliser. */
static void s_dealloc(PyUsslSocket *self)
{
	PyObject_GC_UnTrack(self);
	if (self->weakreflist != NULL)
		PyObject_ClearWeakRefs((PyObject *)self);
	ussl_conn_free(self->conn);
	self->conn = NULL;
	PyMem_RawFree(self->rbuf);
	if (self->lock != NULL)
		PyThread_free_lock(self->lock);
	Py_CLEAR(self->sock);
	/* Only now that conn is gone may the context go. */
	Py_CLEAR(self->context);
	Py_CLEAR(self->hostname);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

PyObject *pyussl_socket_new(PyObject *sock, int fd, ussl_conn *conn,
    int server_side)
{
	PyUsslSocket *self;

	self = PyObject_GC_New(PyUsslSocket, &PyUsslSocket_Type);
	if (self == NULL) {
		ussl_conn_free(conn);
		return NULL;
	}
	self->sock = Py_NewRef(sock);
	self->weakreflist = NULL;
	self->conn = conn;
	self->rbuf = NULL;
	self->rpos = self->rlen = self->rcap = 0;
	self->fd = fd;
	self->server_side = server_side;
	self->closed = 0;
	self->want = PYUSSL_WANT_NONE;
	self->hs_done = 0;
	self->flags = 0;
	self->got_data = 0;
	self->io_refs = 0;
	self->close_pending = 0;
	self->context = NULL;
	self->hostname = NULL;
	self->lock = PyThread_allocate_lock();
	pyussl_set_fd_transport(conn, fd);
	PyObject_GC_Track(self);
	if (self->lock == NULL) {
		Py_DECREF(self);
		return PyErr_NoMemory();
	}
	return (PyObject *)self;
}

static PyMethodDef base_methods[] = {
	{ "setblocking", (PyCFunction)s_setblocking, METH_O,
	  setblocking_doc },
	{ "settimeout", (PyCFunction)s_settimeout, METH_O, settimeout_doc },
	{ "gettimeout", (PyCFunction)s_gettimeout, METH_NOARGS,
	  gettimeout_doc },
	{ "fileno", (PyCFunction)s_fileno, METH_NOARGS, fileno_doc },
	{ "pending", (PyCFunction)s_pending, METH_NOARGS, pending_doc },
	{ "do_handshake", (PyCFunction)pyussl_do_handshake, METH_NOARGS,
	  do_handshake_doc },
	{ "version", (PyCFunction)s_version, METH_NOARGS, version_doc },
	{ "cipher", (PyCFunction)s_cipher, METH_NOARGS, cipher_doc },
	{ "getpeercert", (PyCFunction)(void (*)(void))s_getpeercert,
	  METH_VARARGS | METH_KEYWORDS, getpeercert_doc },
	{ "peer_subject", (PyCFunction)s_peer_subject, METH_NOARGS,
	  peer_subject_doc },
	{ "selected_alpn_protocol", (PyCFunction)s_selected_alpn_protocol,
	  METH_NOARGS, selected_alpn_protocol_doc },
	{ "getpeername", (PyCFunction)s_getpeername, METH_NOARGS, NULL },
	{ "getsockname", (PyCFunction)s_getsockname, METH_NOARGS, NULL },
	{ NULL, NULL, 0, NULL }
};

/* Filled from the parts' tables by pyussl_socket_type_ready(). */
static PyMethodDef s_methods[48];

static PyGetSetDef s_getset[] = {
	/* makefile()'s reference count (sockfile.c). */
	{ "_io_refs", NULL, NULL, NULL, NULL },
	{ "_closed", NULL, NULL, NULL, NULL },
	{ "want", (getter)get_want, NULL,
	  "0, WANT_READ or WANT_WRITE: the direction the last call that\n"
	  "returned None (or the pending handshake) waits for.", NULL },
	{ "handshake_done", (getter)get_handshake_done, NULL,
	  "True once the handshake has completed.", NULL },
	{ "server_side", (getter)get_server_side, NULL,
	  "True for the server end of the connection.", NULL },
	{ "session_reused", (getter)pyussl_sock_get_session_reused, NULL,
	  "True if the handshake resumed an earlier session.", NULL },
	{ "context", (getter)get_context, NULL,
	  "The SSLContext the socket was made from.", NULL },
	{ "server_hostname", (getter)get_server_hostname, NULL,
	  "server_hostname as given to wrap_socket(), or None.", NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

PyDoc_STRVAR(sslsocket_doc,
"A TLS connection over a socket, made by ussl.wrap_socket().\n\n"
"Stream methods read/readinto/readline/write follow the socket's mode:\n"
"blocking, timeout (TimeoutError) or non-blocking (None when the call\n"
"would block; `want` says which direction to wait for).  Errors are\n"
"OSError; see the module's E_* codes.");

PyTypeObject PyUsslSocket_Type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "ussl.SSLSocket",
	.tp_basicsize = sizeof(PyUsslSocket),
	.tp_dealloc = (destructor)s_dealloc,
	.tp_repr = (reprfunc)s_repr,
	.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC |
	    Py_TPFLAGS_DISALLOW_INSTANTIATION,
	.tp_doc = sslsocket_doc,
	.tp_traverse = (traverseproc)s_traverse,
	.tp_clear = (inquiry)s_clear,
	.tp_weaklistoffset = offsetof(PyUsslSocket, weakreflist),
	.tp_methods = s_methods,
	.tp_getset = s_getset,
};


int pyussl_socket_type_ready(void)
{
	const PyMethodDef *parts[] = { base_methods,
	    pyussl_sock_stream_methods, pyussl_sock_close_methods,
	    pyussl_sock_file_methods };
	const PyMethodDef *m;
	size_t i, n = 0;

	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		for (m = parts[i]; m->ml_name != NULL; m++) {
			/* The last slot stays the terminator. */
			if (n + 1 >= sizeof(s_methods) / sizeof(s_methods[0])) {
				PyErr_SetString(PyExc_SystemError,
				    "SSLSocket: too many methods");
				return -1;
			}
			s_methods[n++] = *m;
		}
	}
	/* The makefile() attributes, from sockfile.c. */
	s_getset[0] = pyussl_sock_file_getset[0];
	s_getset[1] = pyussl_sock_file_getset[1];
	return PyType_Ready(&PyUsslSocket_Type);
}
