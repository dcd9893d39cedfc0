/*
 * transport.c - the socket transport under each connection, and the loop
 * that turns the core's USSL_WANT_* answers into what the Python socket's
 * mode asks for: None (non-blocking), a wait with poll() (blocking), or
 * TimeoutError (timeout).  The GIL is released for crypto and waits.
 */
#include "pyussl.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <time.h>

/*
 * The transport never blocks, whatever mode the descriptor is in (a
 * Python socket without timeout has a blocking fd): blocking and
 * timeouts are done by pyussl_run() with the GIL released, which is what
 * makes timeouts and signals work.
 */
void pyussl_set_fd_transport(ussl_conn *conn, int fd)
{
	ussl_conn_set_fd_flags(conn, fd, USSL_FD_DONTWAIT);
}

double pyussl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* sock.<name>() for a method name interned on first use: every I/O call
   makes two such calls, so neither the name nor an argument tuple is
   built each time. */
static PyObject *call_noargs(PyObject *sock, PyObject **name, const char *s)
{
	if (*name == NULL && (*name = PyUnicode_InternFromString(s)) == NULL)
		return NULL;
	return PyObject_CallMethodNoArgs(sock, *name);
}

int pyussl_deadline_init(PyUsslSocket *self, pyussl_deadline *dl)
{
	static PyObject *s_fileno, *s_gettimeout;
	PyObject *sock = self->sock, *t;
	double v;

	if (sock == NULL) {
		pyussl_raise_closed();
		return -1;
	}
	Py_INCREF(sock);
	/* The socket object may have been closed (or detached) behind our
	   back; its old descriptor number may already name another file,
	   which must never see our records. */
	t = call_noargs(sock, &s_fileno, "fileno");
	if (t != NULL) {
		long fd = PyLong_AsLong(t);

		Py_DECREF(t);
		if (fd == -1 && PyErr_Occurred()) {
			t = NULL;
		} else if (fd != self->fd) {
			errno = EBADF;
			PyErr_SetFromErrno(PyExc_OSError);
			t = NULL;
		} else {
			t = call_noargs(sock, &s_gettimeout, "gettimeout");
		}
	}
	Py_DECREF(sock);
	if (t == NULL)
		return -1;
	dl->timeout = 0.0;
	dl->end = 0.0;
	if (t == Py_None) {
		dl->mode = PYUSSL_FOREVER;
		Py_DECREF(t);
		return 0;
	}
	v = PyFloat_AsDouble(t);
	Py_DECREF(t);
	if (v == -1.0 && PyErr_Occurred())
		return -1;
	if (!(v > 0.0)) {
		dl->mode = PYUSSL_NONBLOCK;
	} else {
		dl->mode = PYUSSL_DEADLINE;
		dl->timeout = v;
		dl->end = pyussl_now() + v;
	}
	return 0;
}

static PyObject *raise_timeout(const char *op)
{
	PyObject *args = Py_BuildValue("(is)", ETIMEDOUT,
	    op != NULL ? op : "operation timed out");

	if (args != NULL) {
		PyErr_SetObject(PyExc_TimeoutError, args);
		Py_DECREF(args);
	}
	return NULL;
}

/* Wait until fd is ready for dir (USSL_WANT_*).  0, or -1 with an
   exception (timeout, signal handler's exception, poll failure). */
static int wait_fd(PyUsslSocket *self, int dir, const pyussl_deadline *dl,
    const char *op, int timer_ms)
{
	char msg[64];
	double left;
	int ms, r, e, timer;

	for (;;) {
		if (dl->mode == PYUSSL_FOREVER) {
			ms = -1;
		} else {
			left = dl->end - pyussl_now();
			if (left <= 0.0) {
				snprintf(msg, sizeof(msg), "%s timed out", op);
				raise_timeout(msg);
				return -1;
			}
			/* Rounded up, so that a wake-up never comes early. */
			left = left * 1000.0 + 1.0;
			ms = left >= (double)INT_MAX ? INT_MAX : (int)left;
		}
		/* A DTLS retransmission timer that fires first: call the
		   library again then. */
		timer = timer_ms >= 0 && (ms < 0 || timer_ms < ms);
		if (timer)
			ms = timer_ms;
		Py_BEGIN_ALLOW_THREADS
		r = ussl_fd_wait(self->fd, dir, ms);
		e = errno;
		Py_END_ALLOW_THREADS
		if (r > 0 || (r == 0 && timer))
			return 0;
		if (r == 0)
			continue;       /* the top of the loop raises */
		if (e == EINTR) {
			/* Run Python signal handlers (KeyboardInterrupt...). */
			if (PyErr_CheckSignals() < 0)
				return -1;
			continue;
		}
		errno = e;
		PyErr_SetFromErrno(PyExc_OSError);
		return -1;
	}
}

long pyussl_run(PyUsslSocket *self, const char *op, pyussl_step step,
    void *arg, const pyussl_deadline *dl)
{
	pyussl_errinfo ei;
	long r;
	int hs = 0, dir, timer = -1;

	for (;;) {
		Py_BEGIN_ALLOW_THREADS
		PyThread_acquire_lock(self->lock, WAIT_LOCK);
		if (self->conn == NULL) {
			r = PYUSSL_STEP_CLOSED;
		} else {
			r = step(self, arg);
			hs = ussl_handshake_done(self->conn);
			/* A DTLS server sent a cookie: the connection waits
			   for the client to come back with it. */
			if (r == USSL_ERROR && ussl_conn_error(self->conn)->code
			    == USSL_E_HELLO_VERIFY)
				r = USSL_WANT_READ;
			if (r == USSL_ERROR)
				pyussl_errinfo_copy(&ei,
				    ussl_conn_error(self->conn));
			timer = ussl_conn_timeout_ms(self->conn);
		}
		PyThread_release_lock(self->lock);
		Py_END_ALLOW_THREADS

		if (r != PYUSSL_STEP_CLOSED) {
			self->hs_done = hs;
		}
		if (r >= 0) {
			self->want = PYUSSL_WANT_NONE;
			if (r > 0 && strcmp(op, "read") == 0)
				self->got_data = 1;
			return r;
		}
		if (r != USSL_WANT_READ && r != USSL_WANT_WRITE) {
			self->want = PYUSSL_WANT_NONE;
			if (r == PYUSSL_STEP_CLOSED)
				pyussl_raise_closed();
			else if (r == PYUSSL_STEP_NOMEM)
				PyErr_NoMemory();
			else if (r == USSL_ERROR)
				pyussl_raise_errinfo(&ei);
			else
				PyErr_Format(PyExc_SystemError,
				    "ussl: unexpected result %ld", r);
			return PYUSSL_RAISED;
		}
		dir = r == USSL_WANT_READ ? PYUSSL_WANT_READ : PYUSSL_WANT_WRITE;
		self->want = dir;
		if (dl->mode == PYUSSL_NONBLOCK)
			return PYUSSL_WOULDBLOCK;
		if (wait_fd(self, (int)r, dl, op, timer) < 0)
			return PYUSSL_RAISED;
	}
}
