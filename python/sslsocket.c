/*
 * sslsocket.c - the ussl.SSLSocket type: a TLS connection over a Python
 * socket object, with MicroPython's stream methods (read, readinto,
 * readline, write) plus handshake control and connection details.
 *
 * Each I/O method is a "step" run by pyussl_run() (transport.c) with the
 * connection lock held and the GIL released; the step never blocks, and
 * pyussl_run() does the waiting.  The readahead buffer exists for
 * readline() (and keeps what a failed read(-1) had collected); read()
 * and readinto() drain it first and otherwise decrypt straight into the
 * caller's memory.
 */
#include "pyussl.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

/* readline() fills the readahead in pieces of this size. */
#define RBUF_CHUNK 8192
/* A readahead grown past this (a very long line) is freed once drained. */
#define RBUF_KEEP (64 * 1024)
/* read(-1) starts with this much room and doubles it. */
#define READALL_START (16 * 1024)

/* ---------------------------------------------------------------------- */
/* Readahead buffer; every function here runs with self->lock held.       */

static void rbuf_reset(PyUsslSocket *self)
{
	self->rpos = 0;
	self->rlen = 0;
	if (self->rcap > RBUF_KEEP) {
		PyMem_RawFree(self->rbuf);
		self->rbuf = NULL;
		self->rcap = 0;
	}
}

/* Move up to n buffered bytes to dst; returns the count. */
static size_t rbuf_take(PyUsslSocket *self, unsigned char *dst, size_t n)
{
	size_t avail = self->rlen - self->rpos;

	if (avail == 0)
		return 0;
	if (n > avail)
		n = avail;
	memcpy(dst, self->rbuf + self->rpos, n);
	self->rpos += n;
	if (self->rpos == self->rlen)
		rbuf_reset(self);
	return n;
}

/* Make room for at least need more bytes at the end.  0, or -1. */
static int rbuf_reserve(PyUsslSocket *self, size_t need)
{
	unsigned char *p;
	size_t cap;

	if (self->rcap - self->rlen >= need)
		return 0;
	if (self->rpos > 0) {
		memmove(self->rbuf, self->rbuf + self->rpos,
		    self->rlen - self->rpos);
		self->rlen -= self->rpos;
		self->rpos = 0;
		if (self->rcap - self->rlen >= need)
			return 0;
	}
	cap = self->rcap ? self->rcap : RBUF_CHUNK;
	while (cap - self->rlen < need) {
		if (cap > ((size_t)PY_SSIZE_T_MAX) / 2)
			return -1;
		cap *= 2;
	}
	p = PyMem_RawRealloc(self->rbuf, cap);
	if (p == NULL)
		return -1;
	self->rbuf = p;
	self->rcap = cap;
	return 0;
}

/* Put data back in front of the buffered bytes (read(-1) failing after
   it had already collected data: nothing is lost). */
struct unread_arg {
	const unsigned char *src;
	size_t len;
	int failed;
};

static void rbuf_unread(PyUsslSocket *self, void *p)
{
	struct unread_arg *a = p;
	size_t avail = self->rlen - self->rpos, cap;
	unsigned char *nb;

	if (self->rpos >= a->len) {
		self->rpos -= a->len;
		memcpy(self->rbuf + self->rpos, a->src, a->len);
		return;
	}
	cap = avail + a->len;
	if (cap < RBUF_CHUNK)
		cap = RBUF_CHUNK;
	nb = PyMem_RawMalloc(cap);
	if (nb == NULL) {
		a->failed = 1;
		return;
	}
	memcpy(nb, a->src, a->len);
	if (avail > 0)
		memcpy(nb + a->len, self->rbuf + self->rpos, avail);
	PyMem_RawFree(self->rbuf);
	self->rbuf = nb;
	self->rcap = cap;
	self->rpos = 0;
	self->rlen = a->len + avail;
}

/* ---------------------------------------------------------------------- */
/* Steps (see pyussl_step): lock held, GIL released, conn open.           */

/* suppress_ragged_eofs: a bare FIN ends a read as close_notify would
   (the caller asked for CPython's leniency). */
static long ragged_eof(PyUsslSocket *self, long r)
{
	if (r == USSL_ERROR && (self->flags & PYUSSL_SOCK_RAGGED) &&
	    ussl_conn_error(self->conn)->code == USSL_E_TRUNCATED)
		return 0;
	return r;
}

static long step_handshake(PyUsslSocket *self, void *arg)
{
	(void)arg;
	return ussl_handshake(self->conn);
}

struct read_arg {
	unsigned char *dst;
	size_t len;              /* > 0 */
};

/*
 * Buffered bytes first, then records; once something has been read, stop
 * at the first would-block (or end, or error, which the next call sees
 * again: fatal errors are sticky and the end is reported every time).
 */
static long step_read(PyUsslSocket *self, void *arg)
{
	struct read_arg *a = arg;
	size_t got = rbuf_take(self, a->dst, a->len);
	long r;

	while (got < a->len) {
		r = ragged_eof(self, ussl_read(self->conn, a->dst + got,
		    a->len - got));
		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (got > 0)
			break;
		return r;
	}
	return (long)got;
}

struct readline_arg {
	size_t scanned;          /* buffered bytes known to hold no '\n' */
	size_t linelen;          /* result: bytes of the line, '\n' included */
};

/* Fill the readahead until it holds a '\n' or the stream ends. */
static long step_readline(PyUsslSocket *self, void *arg)
{
	struct readline_arg *a = arg;
	unsigned char *start, *nl;
	size_t avail;
	long r;

	for (;;) {
		start = self->rbuf + self->rpos;
		avail = self->rlen - self->rpos;
		if (a->scanned > avail)
			a->scanned = 0;
		if (a->scanned < avail) {
			nl = memchr(start + a->scanned, '\n',
			    avail - a->scanned);
			if (nl != NULL) {
				a->linelen = (size_t)(nl - start) + 1;
				return 1;
			}
			a->scanned = avail;
		}
		if (rbuf_reserve(self, RBUF_CHUNK) < 0)
			return PYUSSL_STEP_NOMEM;
		r = ragged_eof(self, ussl_read(self->conn,
		    self->rbuf + self->rlen, self->rcap - self->rlen));
		if (r > 0) {
			self->rlen += (size_t)r;
			continue;
		}
		if (r == 0) {
			a->linelen = avail;     /* last line, or b"" */
			return 1;
		}
		return r;
	}
}

struct write_arg {
	const unsigned char *src;
	size_t len;              /* > 0 */
};

static long step_write(PyUsslSocket *self, void *arg)
{
	struct write_arg *a = arg;

	/* ussl_write() loops over records and returns what it accepted;
	   after USSL_WANT_* (nothing accepted) we are called again. */
	return ussl_write(self->conn, a->src, a->len);
}

/* What accepted writes left in the connection goes out: 0 once done. */
static long step_flush(PyUsslSocket *self, void *arg)
{
	(void)arg;
	return ussl_flush(self->conn);
}

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
	int reused;
};

static void get_peer(PyUsslSocket *self, void *p)
{
	struct peer_arg *a = p;
	const unsigned char *der;
	size_t len;

	a->reused = ussl_conn_session_reused(self->conn);
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
	/* A resumed session authenticated the peer when it was made. */
	if (a->der == NULL && a->reused && self->session_cert != NULL) {
		a->len = (size_t)PyBytes_GET_SIZE(self->session_cert);
		a->der = PyMem_RawMalloc(a->len ? a->len : 1);
		if (a->der == NULL) {
			PyErr_NoMemory();
			return -1;
		}
		memcpy(a->der, PyBytes_AS_STRING(self->session_cert), a->len);
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
/* Argument helpers                                                        */

#define CHECK_OPEN(self) \
	do { \
		if ((self)->closed) \
			return pyussl_raise_closed(); \
	} while (0)

/* "O&" converter: None -> -1, else an index. */
static int size_conv(PyObject *o, void *p)
{
	Py_ssize_t *n = p;

	if (o == Py_None) {
		*n = -1;
		return 1;
	}
	if (!PyIndex_Check(o)) {
		PyErr_Format(PyExc_TypeError,
		    "size must be an integer or None, not %.100s",
		    Py_TYPE(o)->tp_name);
		return 0;
	}
	*n = PyNumber_AsSsize_t(o, PyExc_OverflowError);
	return !(*n == -1 && PyErr_Occurred());
}

/*
 * The stream methods and their socket-style aliases are METH_FASTCALL:
 * they are the hot path, and a fast call skips building an argument
 * tuple and parsing a format string.  These check what the format did.
 */
static int nargs_ok(const char *name, Py_ssize_t nargs, Py_ssize_t min,
    Py_ssize_t max)
{
	if (nargs >= min && nargs <= max)
		return 1;
	PyErr_Format(PyExc_TypeError, "%s() takes %s %zd argument%s "
	    "(%zd given)", name, min == max ? "exactly" : nargs < min ?
	    "at least" : "at most", nargs < min ? min : max,
	    (nargs < min ? min : max) == 1 ? "" : "s", nargs);
	return 0;
}

/* The flags argument of recv()/send()...: an int, and only 0. */
static int flags_ok(PyObject *o)
{
	long f = PyLong_AsLong(o);

	if (f == -1 && PyErr_Occurred())
		return 0;
	if (f != 0) {
		PyErr_SetString(PyExc_ValueError,
		    "non-zero flags not allowed on TLS sockets");
		return 0;
	}
	return 1;
}

/* A C-contiguous bytes-like object (writable for reads).  0 or -1. */
static int get_buffer(const char *name, PyObject *o, Py_buffer *view,
    int writable)
{
	if (PyObject_GetBuffer(o, view, writable ? PyBUF_WRITABLE :
	    PyBUF_SIMPLE) == 0)
		return 0;
	if (PyErr_ExceptionMatches(PyExc_TypeError) ||
	    PyErr_ExceptionMatches(PyExc_BufferError)) {
		PyErr_Clear();
		PyErr_Format(PyExc_TypeError, "%s() argument must be a "
		    "%scontiguous bytes-like object, not %.100s", name,
		    writable ? "writable " : "", Py_TYPE(o)->tp_name);
	}
	return -1;
}

/* ---------------------------------------------------------------------- */
/* Methods: stream                                                         */

static PyObject *read_all(PyUsslSocket *self)
{
	struct read_arg a;
	struct unread_arg u;
	pyussl_deadline dl;
	PyObject *out;
	size_t cap = READALL_START, len = 0;
	long r;

	if (pyussl_deadline_init(self, &dl) < 0)
		return NULL;
	out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)cap);
	if (out == NULL)
		return NULL;
	for (;;) {
		if (cap - len < READALL_START / 2) {
			if (cap > (size_t)PY_SSIZE_T_MAX / 2) {
				PyErr_NoMemory();
				goto fail;
			}
			cap *= 2;
			if (_PyBytes_Resize(&out, (Py_ssize_t)cap) < 0)
				return NULL;    /* out freed; data lost */
		}
		a.dst = (unsigned char *)PyBytes_AS_STRING(out) + len;
		a.len = cap - len;
		r = pyussl_run(self, "read", step_read, &a, &dl);
		if (r > 0) {
			len += (size_t)r;
			continue;
		}
		if (r == 0)
			break;
		if (r == PYUSSL_WOULDBLOCK) {
			if (len == 0) {
				Py_DECREF(out);
				Py_RETURN_NONE;
			}
			break;
		}
		goto fail;
	}
	if (_PyBytes_Resize(&out, (Py_ssize_t)len) < 0)
		return NULL;
	return out;
fail:
	/* Keep what was read for the next read (a timeout is not the end). */
	if (len > 0) {
		u.src = (const unsigned char *)PyBytes_AS_STRING(out);
		u.len = len;
		u.failed = 0;
		pyussl_with_conn(self, rbuf_unread, &u);
	}
	Py_DECREF(out);
	return NULL;
}

PyDoc_STRVAR(read_doc,
"read($self, n=-1, /)\n--\n\n"
"Read up to n bytes: block (per the socket's mode and timeout) until at\n"
"least one byte is available, then return what is available without\n"
"blocking further.  n < 0 (or None) reads to the end of the stream.\n"
"b'' at the clean end (peer's close_notify); None when a non-blocking\n"
"socket has nothing to read (see `want`).");

/* read(n) and recv(n): n < 0 reads to the end of the stream. */
static PyObject *do_read(PyUsslSocket *self, Py_ssize_t n)
{
	struct read_arg a;
	pyussl_deadline dl;
	PyObject *out;
	long r;

	CHECK_OPEN(self);
	if (n < 0)
		return read_all(self);
	if (n == 0)
		return PyBytes_FromStringAndSize(NULL, 0);
	if (pyussl_deadline_init(self, &dl) < 0)
		return NULL;
	out = PyBytes_FromStringAndSize(NULL, n);
	if (out == NULL)
		return NULL;
	a.dst = (unsigned char *)PyBytes_AS_STRING(out);
	a.len = (size_t)n;
	r = pyussl_run(self, "read", step_read, &a, &dl);
	if (r < 0) {
		Py_DECREF(out);
		if (r == PYUSSL_WOULDBLOCK)
			Py_RETURN_NONE;
		return NULL;
	}
	if (r != n && _PyBytes_Resize(&out, (Py_ssize_t)r) < 0)
		return NULL;
	return out;
}

static PyObject *s_read(PyUsslSocket *self, PyObject *const *args,
    Py_ssize_t nargs)
{
	Py_ssize_t n = -1;

	if (!nargs_ok("read", nargs, 0, 1) ||
	    (nargs == 1 && !size_conv(args[0], &n)))
		return NULL;
	return do_read(self, n);
}

PyDoc_STRVAR(readinto_doc,
"readinto(buf, n=len(buf), /) -> int or None\n\n"
"Read up to n bytes into the writable buffer buf, like read().  Returns\n"
"the count, 0 at the clean end, None if a non-blocking socket would\n"
"block.");

/*
 * readinto(buf, n) and recv_into(buf, n): the records are decrypted
 * straight into buf.  n_obj NULL or None: all of buf.  Returns the count
 * as int, None if a non-blocking socket would block, or NULL.
 */
static PyObject *do_readinto(PyUsslSocket *self, PyObject *buf,
    PyObject *n_obj)
{
	struct read_arg a;
	pyussl_deadline dl;
	Py_buffer view;
	Py_ssize_t n;
	long r;

	if (get_buffer("readinto", buf, &view, 1) < 0)
		return NULL;
	if (self->closed) {
		PyBuffer_Release(&view);
		return pyussl_raise_closed();
	}
	n = view.len;
	if (n_obj != NULL && n_obj != Py_None) {
		if (!size_conv(n_obj, &n))
			goto fail;
		if (n < 0 || n > view.len) {
			PyErr_SetString(PyExc_ValueError,
			    "n must be between 0 and len(buf)");
			goto fail;
		}
	}
	if (n == 0) {
		PyBuffer_Release(&view);
		return PyLong_FromLong(0);
	}
	if (pyussl_deadline_init(self, &dl) < 0)
		goto fail;
	a.dst = view.buf;
	a.len = (size_t)n;
	r = pyussl_run(self, "read", step_read, &a, &dl);
	PyBuffer_Release(&view);
	if (r == PYUSSL_WOULDBLOCK)
		Py_RETURN_NONE;
	if (r < 0)
		return NULL;
	return PyLong_FromLong(r);
fail:
	PyBuffer_Release(&view);
	return NULL;
}

static PyObject *s_readinto(PyUsslSocket *self, PyObject *const *args,
    Py_ssize_t nargs)
{
	if (!nargs_ok("readinto", nargs, 1, 2))
		return NULL;
	return do_readinto(self, args[0], nargs > 1 ? args[1] : NULL);
}

struct takeline_arg {
	unsigned char *dst;
	size_t len;
	size_t got;
};

static void take_line(PyUsslSocket *self, void *p)
{
	struct takeline_arg *a = p;

	a->got = rbuf_take(self, a->dst, a->len);
}

PyDoc_STRVAR(readline_doc,
"readline($self)\n--\n\n"
"Read a line, up to and including b'\\n' (or to the end of the stream).\n"
"A non-blocking socket that has no complete line yet returns None and\n"
"keeps the partial line for the next call (or for read()).");

static PyObject *s_readline(PyUsslSocket *self, PyObject *unused)
{
	struct readline_arg a = { 0, 0 };
	struct takeline_arg t;
	pyussl_deadline dl;
	PyObject *out;
	long r;

	(void)unused;
	CHECK_OPEN(self);
	if (pyussl_deadline_init(self, &dl) < 0)
		return NULL;
	r = pyussl_run(self, "read", step_readline, &a, &dl);
	if (r == PYUSSL_WOULDBLOCK)
		Py_RETURN_NONE;
	if (r < 0)
		return NULL;
	out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)a.linelen);
	if (out == NULL || a.linelen == 0)
		return out;
	t.dst = (unsigned char *)PyBytes_AS_STRING(out);
	t.len = a.linelen;
	t.got = 0;
	if (!pyussl_with_conn(self, take_line, &t)) {
		Py_DECREF(out);
		return pyussl_raise_closed();
	}
	/* Shorter only if another thread read concurrently. */
	if (t.got != a.linelen &&
	    _PyBytes_Resize(&out, (Py_ssize_t)t.got) < 0)
		return NULL;
	return out;
}

PyDoc_STRVAR(write_doc,
"write($self, buf, /)\n--\n\n"
"Write the bytes-like buf.  A blocking socket writes all of it (or\n"
"raises); a non-blocking one takes what it can and returns the count,\n"
"or None if it took nothing.  What was taken is sent in order before\n"
"anything later; the next call may carry any data.  write(b\"\") sends\n"
"what earlier writes left (non-blocking: None while it cannot, and\n"
"want is WANT_WRITE while some waits).");

/*
 * write(data), send(data) and sendall(data).  A blocking socket (or one
 * with a timeout) writes all of data, under one deadline.  A non-blocking
 * one writes what the socket takes: write() and send() stop after the
 * first step that made progress, sendall() goes on until the socket is
 * full.  Returns the count, PYUSSL_WOULDBLOCK when a non-blocking socket
 * took nothing (write(), send()) or filled up (sendall()), or
 * PYUSSL_RAISED.
 */
static Py_ssize_t do_write(PyUsslSocket *self, PyObject *data, int all)
{
	struct write_arg a;
	pyussl_deadline dl;
	Py_buffer view;
	size_t off = 0, len;
	long r;

	if (get_buffer(all ? "sendall" : "write", data, &view, 0) < 0)
		return PYUSSL_RAISED;
	if (self->closed) {
		PyBuffer_Release(&view);
		pyussl_raise_closed();
		return PYUSSL_RAISED;
	}
	len = (size_t)view.len;
	if (pyussl_deadline_init(self, &dl) < 0)
		goto fail;
	while (off < len) {
		a.src = (const unsigned char *)view.buf + off;
		a.len = len - off;
		r = pyussl_run(self, "write", step_write, &a, &dl);
		if (r == PYUSSL_WOULDBLOCK) {
			if (off == 0 || all) {
				PyBuffer_Release(&view);
				return PYUSSL_WOULDBLOCK;
			}
			break;
		}
		if (r < 0)
			goto fail;
		if (r == 0) {
			PyErr_SetString(PyExc_SystemError,
			    "ussl: write made no progress");
			goto fail;
		}
		off += (size_t)r;
		if (dl.mode == PYUSSL_NONBLOCK && !all)
			break;
	}
	/*
	 * What was taken may not all be in the socket yet.  A blocking
	 * write returns once it is (a timeout here raises: the data was
	 * taken, and goes out first on the next call).  A non-blocking one
	 * tries once: want then says WANT_WRITE while some waits, and
	 * write(b"") sends it (None while it cannot).
	 */
	if (off > 0 || len == 0) {
		r = pyussl_run(self, "write", step_flush, NULL, &dl);
		if (r == PYUSSL_WOULDBLOCK && len == 0) {
			PyBuffer_Release(&view);
			return PYUSSL_WOULDBLOCK;
		}
		if (r < 0 && r != PYUSSL_WOULDBLOCK)
			goto fail;
	}
	PyBuffer_Release(&view);
	return (Py_ssize_t)off;
fail:
	PyBuffer_Release(&view);
	return PYUSSL_RAISED;
}

static PyObject *s_write(PyUsslSocket *self, PyObject *const *args,
    Py_ssize_t nargs)
{
	Py_ssize_t r;

	if (!nargs_ok("write", nargs, 1, 1))
		return NULL;
	r = do_write(self, args[0], 0);
	if (r == PYUSSL_WOULDBLOCK)
		Py_RETURN_NONE;
	return r < 0 ? NULL : PyLong_FromSsize_t(r);
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
/* Session resumption (client side)                                        */

struct sess_arg {
	unsigned char *buf;      /* PyMem_RawMalloc'd copy, or NULL */
	size_t len;
	struct peer_arg peer;    /* the peer certificate, if known */
	int drain;               /* first process records already received */
	int reused;
	int tls13;
	int ended;               /* draining met the end or an error */
};

static void get_session(PyUsslSocket *self, void *p)
{
	struct sess_arg *a = p;
	unsigned char scratch[2048];
	const char *v;
	size_t len = 0;
	long r;
	int i;

	a->reused = ussl_conn_session_reused(self->conn);
	if (!ussl_handshake_done(self->conn))
		return;
	v = ussl_conn_version(self->conn);
	a->tls13 = v != NULL && strcmp(v, "TLSv1.3") == 0;
	if (a->drain && a->tls13) {
		/* TLS 1.3 tickets come after the handshake; at close() any
		   that already arrived are processed (the transport never
		   blocks; application data read here was unwanted anyway). */
		for (i = 0; i < 32; i++) {
			r = ussl_read(self->conn, scratch, sizeof(scratch));
			if (r <= 0) {
				a->ended = r == 0 || r == USSL_ERROR;
				break;
			}
		}
	}
	if (ussl_conn_get_session(self->conn, NULL, &len) == 0 || len == 0)
		return;
	a->buf = PyMem_RawMalloc(len);
	if (a->buf == NULL)
		return;
	if (ussl_conn_get_session(self->conn, a->buf, &len) != 0) {
		PyMem_RawFree(a->buf);
		a->buf = NULL;
		return;
	}
	a->len = len;
	get_peer(self, &a->peer);
}

/* How long close() waits for a TLS 1.3 ticket that has not come yet. */
#define TICKET_WAIT 0.1

/*
 * Offer the connection's session to the context's cache.  Never raises.
 * wait > 0 (close() of a blocking socket): a TLS 1.3 client that has
 * read nothing has seen no ticket yet, because servers send them just
 * after the handshake; wait that long (at most) for one, so that a
 * connection closed right after its handshake can still be resumed.
 */
static void save_session(PyUsslSocket *self, int drain, int count,
    double wait)
{
	struct sess_arg a;
	PyObject *b, *cert, *entry;
	double end, left;
	int ready;

	if (self->session_key == NULL || self->context == NULL)
		return;
	memset(&a, 0, sizeof(a));
	a.drain = drain;
	if (!pyussl_with_conn(self, get_session, &a))
		return;
	if (a.buf == NULL && a.tls13 && !a.reused && wait > 0.0 &&
	    !self->got_data) {
		/* The ticket may come in several pieces: wait again until
		   the time is up. */
		end = pyussl_now() + (wait < TICKET_WAIT ? wait : TICKET_WAIT);
		while (a.buf == NULL && !a.ended &&
		    (left = end - pyussl_now()) > 0.0) {
			PyMem_RawFree(a.peer.der);
			Py_BEGIN_ALLOW_THREADS
			ready = ussl_fd_wait(self->fd, USSL_WANT_READ,
			    (int)(left * 1000.0) + 1);
			Py_END_ALLOW_THREADS
			memset(&a, 0, sizeof(a));
			a.drain = drain;
			if (ready <= 0 ||
			    !pyussl_with_conn(self, get_session, &a))
				return;
		}
	}
	if (count && (self->flags & PYUSSL_SOCK_OFFERED))
		pyussl_context_count_resumption(self->context, a.reused);
	/* The engine shows the peer's certificate itself (a resumed session
	   included): the copy kept for the session offered is not needed. */
	if (a.peer.der != NULL)
		Py_CLEAR(self->session_cert);
	if (a.buf == NULL) {
		PyMem_RawFree(a.peer.der);
		return;
	}
	b = PyBytes_FromStringAndSize((const char *)a.buf, (Py_ssize_t)a.len);
	pyussl_wipe(a.buf, a.len);
	PyMem_RawFree(a.buf);
	if (a.peer.der != NULL)
		cert = PyBytes_FromStringAndSize((const char *)a.peer.der,
		    (Py_ssize_t)a.peer.len);
	else if (a.reused && self->session_cert != NULL)
		cert = Py_NewRef(self->session_cert);
	else
		cert = Py_NewRef(Py_None);
	PyMem_RawFree(a.peer.der);
	entry = b != NULL && cert != NULL ? PyTuple_Pack(2, b, cert) : NULL;
	Py_XDECREF(b);
	Py_XDECREF(cert);
	if (entry == NULL) {
		PyErr_Clear();
		return;
	}
	pyussl_context_store_session(self->context, self->session_key, entry);
	Py_DECREF(entry);
}

void pyussl_socket_handshake_done(PyUsslSocket *self)
{
	save_session(self, 0, 1, 0.0);
}

static void get_reused(PyUsslSocket *self, void *p)
{
	*(int *)p = ussl_conn_session_reused(self->conn);
}

static PyObject *get_session_reused(PyUsslSocket *self, void *closure)
{
	int reused = 0;

	(void)closure;
	if (!self->closed)
		pyussl_with_conn(self, get_reused, &reused);
	return PyBool_FromLong(reused);
}

/* ---------------------------------------------------------------------- */
/* ALPN, CPython-style aliases                                             */

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

static PyObject *would_block(void)
{
	errno = EAGAIN;
	return PyErr_SetFromErrno(PyExc_BlockingIOError);
}

PyDoc_STRVAR(recv_doc,
"recv($self, bufsize, flags=0, /)\n--\n\n"
"Like read(bufsize), but a non-blocking socket that would block raises\n"
"BlockingIOError instead of returning None.");

static PyObject *s_recv(PyUsslSocket *self, PyObject *const *args,
    Py_ssize_t nargs)
{
	Py_ssize_t n;
	PyObject *r;

	if (!nargs_ok("recv", nargs, 1, 2) ||
	    (nargs > 1 && !flags_ok(args[1])) || !size_conv(args[0], &n))
		return NULL;
	r = do_read(self, n);
	if (r == Py_None) {
		Py_DECREF(r);
		return would_block();
	}
	return r;
}

PyDoc_STRVAR(recv_into_doc,
"recv_into($self, buffer, nbytes=0, flags=0, /)\n--\n\n"
"Like readinto(); BlockingIOError instead of None.");

static PyObject *s_recv_into(PyUsslSocket *self, PyObject *const *args,
    Py_ssize_t nargs)
{
	Py_ssize_t n = 0;
	PyObject *r, *n_obj = NULL;

	if (!nargs_ok("recv_into", nargs, 1, 3))
		return NULL;
	if (nargs > 1) {
		n = PyNumber_AsSsize_t(args[1], PyExc_OverflowError);
		if (n == -1 && PyErr_Occurred())
			return NULL;
	}
	if (nargs > 2 && !flags_ok(args[2]))
		return NULL;
	/* nbytes 0 (or less): the whole buffer. */
	if (n > 0)
		n_obj = args[1];
	r = do_readinto(self, args[0], n_obj);
	if (r == Py_None) {
		Py_DECREF(r);
		return would_block();
	}
	return r;
}

PyDoc_STRVAR(send_doc,
"send($self, data, flags=0, /)\n--\n\n"
"Like write(data); BlockingIOError instead of None.");

static PyObject *s_send(PyUsslSocket *self, PyObject *const *args,
    Py_ssize_t nargs)
{
	Py_ssize_t r;

	if (!nargs_ok("send", nargs, 1, 2) ||
	    (nargs > 1 && !flags_ok(args[1])))
		return NULL;
	r = do_write(self, args[0], 0);
	if (r == PYUSSL_WOULDBLOCK)
		return would_block();
	return r < 0 ? NULL : PyLong_FromSsize_t(r);
}

PyDoc_STRVAR(sendall_doc,
"sendall($self, data, flags=0, /)\n--\n\n"
"Write all of data (BlockingIOError if a non-blocking socket fills up).");

static PyObject *s_sendall(PyUsslSocket *self, PyObject *const *args,
    Py_ssize_t nargs)
{
	Py_ssize_t r;

	if (!nargs_ok("sendall", nargs, 1, 2) ||
	    (nargs > 1 && !flags_ok(args[1])))
		return NULL;
	r = do_write(self, args[0], 1);
	if (r == PYUSSL_WOULDBLOCK)
		return would_block();
	if (r < 0)
		return NULL;
	Py_RETURN_NONE;
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
/* Closing                                                                 */

struct detach_arg {
	ussl_conn *conn;
	unsigned char *rbuf;
};

static void detach(PyUsslSocket *self, void *p)
{
	struct detach_arg *a = p;

	a->conn = self->conn;
	a->rbuf = self->rbuf;
	self->conn = NULL;
	self->rbuf = NULL;
	self->rpos = self->rlen = self->rcap = 0;
}

/* Best effort close_notify, waiting at most `wait` seconds for the
   socket to take it.  Runs without the GIL. */
static void send_close_notify(ussl_conn *conn, int fd, double wait)
{
	double end = pyussl_now() + wait, left;
	int r;

	for (;;) {
		r = ussl_close(conn);
		if (r != USSL_WANT_READ && r != USSL_WANT_WRITE)
			return;
		left = end - pyussl_now();
		if (left <= 0.0)
			return;
		/* A signal (EINTR) also ends the attempt: no handlers can
		   run here, and closing must not hang. */
		if (ussl_fd_wait(fd, r, (int)(left * 1000.0) + 1) <= 0)
			return;
	}
}

/*
 * Discard what the peer sent that nobody read (typically TLS 1.3 session
 * tickets after an upload).  Closing a TCP socket with unread input makes
 * the kernel send RST instead of FIN, which also throws away our own
 * unsent data, close_notify included.  Bounded: a peer that keeps
 * sending gets the RST it deserves.
 */
static void drain_input(int fd)
{
	unsigned char buf[16384];
	ssize_t n;
	int i;

	for (i = 0; i < 64; i++) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0 && !(n < 0 && errno == EINTR))
			return;
	}
}

PyDoc_STRVAR(close_doc,
"close($self)\n--\n\n"
"Send close_notify (best effort: a dead peer is no error), free the TLS\n"
"state and close the underlying socket.  Calling it again does nothing.");

static PyObject *s_close(PyUsslSocket *self, PyObject *unused)
{
	struct detach_arg d = { NULL, NULL };
	pyussl_deadline dl;
	double wait = 1.0;
	PyObject *sock, *r;
	int fd_ok = 1;

	(void)unused;
	if (self->closed)
		Py_RETURN_NONE;
	self->closed = 1;
	/* Wait for the socket to take close_notify no longer than its own
	   timeout allows, and never more than a second.  If the socket no
	   longer has our descriptor, nothing may be sent on that number. */
	if (pyussl_deadline_init(self, &dl) < 0) {
		PyErr_Clear();
		fd_ok = 0;
	} else if (dl.mode == PYUSSL_NONBLOCK) {
		wait = 0.0;
	} else if (dl.mode == PYUSSL_DEADLINE && dl.timeout < wait) {
		wait = dl.timeout;
	}
	/* A TLS 1.3 ticket may have arrived since the handshake. */
	if (self->session_key != NULL && self->hs_done && fd_ok)
		save_session(self, 1, 0, wait);
	pyussl_with_conn(self, detach, &d);
	if (d.conn != NULL) {
		Py_BEGIN_ALLOW_THREADS
		if (fd_ok)
			send_close_notify(d.conn, self->fd, wait);
		ussl_conn_free(d.conn);
		if (fd_ok)
			drain_input(self->fd);
		Py_END_ALLOW_THREADS
	}
	PyMem_RawFree(d.rbuf);
	self->want = PYUSSL_WANT_NONE;
	sock = self->sock;
	self->sock = NULL;
	if (sock == NULL)
		Py_RETURN_NONE;
	r = PyObject_CallMethod(sock, "close", NULL);
	Py_DECREF(sock);
	if (r == NULL)
		return NULL;
	Py_DECREF(r);
	Py_RETURN_NONE;
}

static PyObject *s_enter(PyUsslSocket *self, PyObject *unused)
{
	(void)unused;
	CHECK_OPEN(self);
	return Py_NewRef(self);
}

static PyObject *s_exit(PyUsslSocket *self, PyObject *args)
{
	(void)args;
	return s_close(self, NULL);
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
	Py_CLEAR(self->session_key);
	Py_CLEAR(self->session_cert);
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
	self->context = NULL;
	self->hostname = NULL;
	self->session_key = NULL;
	self->session_cert = NULL;
	self->lock = PyThread_allocate_lock();
	pyussl_set_fd_transport(conn, fd);
	PyObject_GC_Track(self);
	if (self->lock == NULL) {
		Py_DECREF(self);
		return PyErr_NoMemory();
	}
	return (PyObject *)self;
}

static PyMethodDef s_methods[] = {
	{ "read", (PyCFunction)(void (*)(void))s_read, METH_FASTCALL,
	  read_doc },
	{ "readinto", (PyCFunction)(void (*)(void))s_readinto,
	  METH_FASTCALL, readinto_doc },
	{ "readline", (PyCFunction)s_readline, METH_NOARGS, readline_doc },
	{ "write", (PyCFunction)(void (*)(void))s_write, METH_FASTCALL,
	  write_doc },
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
	{ "recv", (PyCFunction)(void (*)(void))s_recv, METH_FASTCALL,
	  recv_doc },
	{ "recv_into", (PyCFunction)(void (*)(void))s_recv_into,
	  METH_FASTCALL, recv_into_doc },
	{ "send", (PyCFunction)(void (*)(void))s_send, METH_FASTCALL,
	  send_doc },
	{ "sendall", (PyCFunction)(void (*)(void))s_sendall,
	  METH_FASTCALL, sendall_doc },
	{ "getpeername", (PyCFunction)s_getpeername, METH_NOARGS, NULL },
	{ "getsockname", (PyCFunction)s_getsockname, METH_NOARGS, NULL },
	{ "close", (PyCFunction)s_close, METH_NOARGS, close_doc },
	{ "__enter__", (PyCFunction)s_enter, METH_NOARGS, NULL },
	{ "__exit__", (PyCFunction)s_exit, METH_VARARGS, NULL },
	{ NULL, NULL, 0, NULL }
};

static PyGetSetDef s_getset[] = {
	{ "want", (getter)get_want, NULL,
	  "0, WANT_READ or WANT_WRITE: the direction the last call that\n"
	  "returned None (or the pending handshake) waits for.", NULL },
	{ "handshake_done", (getter)get_handshake_done, NULL,
	  "True once the handshake has completed.", NULL },
	{ "server_side", (getter)get_server_side, NULL,
	  "True for the server end of the connection.", NULL },
	{ "session_reused", (getter)get_session_reused, NULL,
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
