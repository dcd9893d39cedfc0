/*
 * sockclose.c - ending an SSLSocket: close() (the context manager's exit
 * too) sends close_notify as far as the socket's timeout allows, lets a
 * TLS 1.3 client first take the session ticket the server may still be
 * sending (socksession.c), frees the TLS state, discards what the peer
 * sent that nobody read, and closes the socket.
 */
#include "pyussl.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/types.h>

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
"state and close the underlying socket.  Calling it again does nothing.\n"
"While files made by makefile() are open, that happens when the last of\n"
"them is closed (as with socket.socket).");

static PyObject *s_close(PyUsslSocket *self, PyObject *unused)
{
	(void)unused;
	/* Files from makefile() keep the connection until they are closed
	   too, as with socket.socket (http.client relies on it). */
	if (self->io_refs > 0) {
		self->close_pending = 1;
		Py_RETURN_NONE;
	}
	return pyussl_sock_real_close(self);
}

PyObject *pyussl_sock_real_close(PyUsslSocket *self)
{
	struct detach_arg d = { NULL, NULL };
	pyussl_deadline dl;
	double wait = 1.0;
	PyObject *sock, *r;
	int fd_ok = 1;

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
	if ((self->flags & PYUSSL_SOCK_CACHED) && self->hs_done && fd_ok)
		pyussl_session_await_ticket(self, wait);
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


PyMethodDef pyussl_sock_close_methods[] = {
	{ "close", (PyCFunction)s_close, METH_NOARGS, close_doc },
	{ "__enter__", (PyCFunction)s_enter, METH_NOARGS, NULL },
	{ "__exit__", (PyCFunction)s_exit, METH_VARARGS, NULL },
	{ NULL, NULL, 0, NULL }
};
