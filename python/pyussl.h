/*
 * pyussl.h - declarations shared by the files of the CPython module ussl
 * (module.c, sslsocket.c, transport.c).  Nothing here is public.
 */
#ifndef PYUSSL_H
#define PYUSSL_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pythread.h>

#include "ussl.h"

/* The Python-level values of SSLSocket.want and of the WANT_* constants. */
#define PYUSSL_WANT_NONE  0
#define PYUSSL_WANT_READ  1
#define PYUSSL_WANT_WRITE 2

/*
 * Results of pyussl_run() besides counts >= 0: the call would block on a
 * non-blocking socket (the method then returns None), or a Python
 * exception has been set.
 */
#define PYUSSL_RAISED     (-1)
#define PYUSSL_WOULDBLOCK (-2)

/*
 * Extra results a step (see pyussl_step) may give besides the USSL_*
 * codes: the connection was closed meanwhile, or memory ran out.
 */
#define PYUSSL_STEP_CLOSED (-100)
#define PYUSSL_STEP_NOMEM  (-101)

/*
 * The SSLSocket object.  Two kinds of state, two guards:
 *  - conn and the readahead buffer (rbuf, rpos, rlen, rcap) are used with
 *    the GIL released and belong to whoever holds `lock`;
 *  - everything else (sock, closed, want, hs_done) is touched only with
 *    the GIL held.
 * The lock is never waited for while holding the GIL, and the GIL is never
 * waited for while holding the lock, so a reader thread and a writer
 * thread can share one socket without deadlock.
 */
typedef struct {
	PyObject_HEAD
	PyObject *sock;          /* the wrapped socket; NULL once closed */
	PyObject *weakreflist;
	PyThread_type_lock lock;
	ussl_conn *conn;         /* NULL once closed */
	unsigned char *rbuf;     /* readahead (readline), NULL when unused */
	size_t rpos, rlen, rcap; /* unread data is rbuf[rpos..rlen) */
	int fd;                  /* the socket's descriptor, read at wrap time */
	int server_side;
	int closed;              /* close() has begun */
	int want;                /* PYUSSL_WANT_* */
	int hs_done;             /* handshake completed (last seen) */
} PyUsslSocket;

extern PyTypeObject PyUsslSocket_Type;

/* sslsocket.c: wrap a new connection; takes ownership of conn (freed on
   failure too).  Installs the fd transport. */
PyObject *pyussl_socket_new(PyObject *sock, int fd, ussl_conn *conn,
    int server_side);

/* sslsocket.c: SSLSocket.do_handshake(): True, None (would block), or
   NULL with an exception. */
PyObject *pyussl_do_handshake(PyUsslSocket *self, PyObject *unused);

/*
 * Run fn(self, arg) with self->lock held and conn open, for short work
 * such as copying out negotiated parameters; fn must not touch Python
 * objects (it may run without the GIL).  Returns 1 if fn ran, 0 if the
 * socket is closed (fn did not run).  The GIL is held on return.
 */
int pyussl_with_conn(PyUsslSocket *self,
    void (*fn)(PyUsslSocket *self, void *arg), void *arg);

/* ---------------------------------------------------------------------- */
/* transport.c                                                             */

/* Non-blocking send()/recv() on fd, whatever the fd's own mode. */
void pyussl_set_fd_transport(ussl_conn *conn, int fd);

/* How long a Python-level call may wait, from sock.gettimeout(). */
enum { PYUSSL_NONBLOCK, PYUSSL_FOREVER, PYUSSL_DEADLINE };
typedef struct {
	int mode;
	double timeout;          /* seconds, when mode == PYUSSL_DEADLINE */
	double end;              /* monotonic time the deadline falls at */
} pyussl_deadline;

/* Read the socket's timeout once (at the start of a call), after checking
   that the socket still has the descriptor we use (else OSError EBADF).
   Returns 0, or -1 with an exception set. */
int pyussl_deadline_init(PyUsslSocket *self, pyussl_deadline *dl);

/* Monotonic clock in seconds. */
double pyussl_now(void);

/*
 * One step of an operation: called with self->lock held, the GIL
 * released and self->conn open.  Returns a count >= 0 when done, or
 * USSL_WANT_READ / USSL_WANT_WRITE / USSL_ERROR (error state in
 * self->conn) / PYUSSL_STEP_*.  After a USSL_WANT_* the step is called
 * again with the same arg once the socket is ready.
 */
typedef long (*pyussl_step)(PyUsslSocket *self, void *arg);

/*
 * The loop around every I/O operation: runs step, and on USSL_WANT_*
 * either returns PYUSSL_WOULDBLOCK (non-blocking socket; self->want set)
 * or waits with poll() until dl's deadline (TimeoutError "<op> timed
 * out").  Returns the step's count, PYUSSL_WOULDBLOCK or PYUSSL_RAISED.
 */
long pyussl_run(PyUsslSocket *self, const char *op, pyussl_step step,
    void *arg, const pyussl_deadline *dl);

/* ---------------------------------------------------------------------- */
/* module.c: errors                                                        */

/* A copy of a ussl_error that outlives the object it came from. */
typedef struct {
	int code;
	int sys_errno;
	char msg[320];
} pyussl_errinfo;

void pyussl_errinfo_copy(pyussl_errinfo *dst, const ussl_error *src);

/* Raise the exception for a connection error; returns NULL. */
PyObject *pyussl_raise_errinfo(const pyussl_errinfo *e);

/* Raise OSError(E_CLOSED, ...); returns NULL. */
PyObject *pyussl_raise_closed(void);

#endif /* PYUSSL_H */
