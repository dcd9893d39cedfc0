/*
 * sockstream.c - SSLSocket's data path: MicroPython's stream methods
 * (read, readinto, readline, write) and CPython's names for them (recv,
 * recv_into, send, sendall), their argument checks, and the readahead
 * buffer that readline() needs.
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
#include <string.h>

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
/* Argument helpers                                                        */

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
/* CPython-style aliases                                                   */

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


PyMethodDef pyussl_sock_stream_methods[] = {
	{ "read", (PyCFunction)(void (*)(void))s_read, METH_FASTCALL,
	  read_doc },
	{ "readinto", (PyCFunction)(void (*)(void))s_readinto,
	  METH_FASTCALL, readinto_doc },
	{ "readline", (PyCFunction)s_readline, METH_NOARGS, readline_doc },
	{ "write", (PyCFunction)(void (*)(void))s_write, METH_FASTCALL,
	  write_doc },
	{ "recv", (PyCFunction)(void (*)(void))s_recv, METH_FASTCALL,
	  recv_doc },
	{ "recv_into", (PyCFunction)(void (*)(void))s_recv_into,
	  METH_FASTCALL, recv_into_doc },
	{ "send", (PyCFunction)(void (*)(void))s_send, METH_FASTCALL,
	  send_doc },
	{ "sendall", (PyCFunction)(void (*)(void))s_sendall,
	  METH_FASTCALL, sendall_doc },
	{ NULL, NULL, 0, NULL }
};
