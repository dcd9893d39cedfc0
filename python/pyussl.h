/*
 * pyussl.h - declarations shared by the files of the CPython module ussl
 * (module.c, context.c, the SSLSocket files sslsocket.c, sockstream.c,
 * socksession.c and sockclose.c, certdict.c, transport.c).  Nothing here
 * is public.
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
 *  - everything else (sock, closed, want, hs_done, context, ...) is
 *    touched only with the GIL held; flags is fixed once the socket is
 *    made and may be read anywhere.
 * The lock is never waited for while holding the GIL, so a reader thread
 * and a writer thread can share one socket without deadlock.  The GIL is
 * waited for with the lock held only by the verification callback of an
 * SSLContext (it runs inside the handshake); that is safe because of the
 * first rule.
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
	int flags;               /* PYUSSL_SOCK_*, fixed once made (steps
	                            read it without the GIL) */
	int got_data;            /* a read returned application data */
	PyObject *context;       /* the SSLContext it was made from */
	PyObject *hostname;      /* server_hostname as given (str) or NULL */
	/* makefile() objects alive (socket.socket's _io_refs): close()
	   waits for the last one (sockfile.c). */
	int io_refs;
	int close_pending;       /* close() was called while io_refs > 0 */
} PyUsslSocket;

/* Behaviour chosen by whoever made the socket (PyUsslSocket.flags). */
#define PYUSSL_SOCK_LEGACY   0x1  /* module-level wrap_socket(): the
                                     seed's getpeercert() and fileno() */
#define PYUSSL_SOCK_RAGGED   0x2  /* suppress_ragged_eofs: a bare FIN
                                     reads as the end of the stream */
#define PYUSSL_SOCK_CACHED   0x4  /* a client using the context's
                                     session cache (socksession.c) */

extern PyTypeObject PyUsslSocket_Type;

/* sslsocket.c: wrap a new connection; takes ownership of conn (freed on
   failure too).  Installs the fd transport. */
PyObject *pyussl_socket_new(PyObject *sock, int fd, ussl_conn *conn,
    int server_side);

/* sslsocket.c: PyType_Ready() for SSLSocket, once its method table is
   put together from the parts' (0, or -1 with an exception). */
int pyussl_socket_type_ready(void);
/* The parts' methods (NULL-terminated tables). */
extern PyMethodDef pyussl_sock_stream_methods[];   /* sockstream.c */
extern PyMethodDef pyussl_sock_close_methods[];    /* sockclose.c */
extern PyMethodDef pyussl_sock_file_methods[];     /* sockfile.c */
extern PyGetSetDef pyussl_sock_file_getset[];      /* sockfile.c */
/* sockclose.c: the close itself (close() once no makefile() object is
   left); None, or NULL with an exception. */
PyObject *pyussl_sock_real_close(PyUsslSocket *self);

/* Methods raise OSError for a socket that close() has begun to close. */
#define CHECK_OPEN(self) \
	do { \
		if ((self)->closed) \
			return pyussl_raise_closed(); \
	} while (0)

/* socksession.c: client session resumption through the core's cache of
   the context.  Use the cache for conn, keyed by (server_hostname or
   the peer's address, port); 1 if it is used, 0 if not (no address to
   key it on).  Never raises. */
int pyussl_session_use_cache(ussl_conn *conn, PyObject *sock,
    PyObject *hostname);
/* close() of a client using the cache: take a TLS 1.3 ticket that
   arrived, or that arrives within wait seconds (at most 0.1), so that
   the core stores it when the connection ends.  GIL held. */
void pyussl_session_await_ticket(PyUsslSocket *self, double wait);
/* SSLSocket.session_reused. */
PyObject *pyussl_sock_get_session_reused(PyUsslSocket *self,
    void *closure);

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

/*
 * Raise for a context setup error (bad material or settings are the
 * caller's values: ValueError; a missing file: OSError with errno; out
 * of memory: MemoryError).  what names the offending argument(s) and may
 * be NULL.  Returns NULL.
 */
PyObject *pyussl_raise_setup_error(const pyussl_errinfo *e, PyObject *what);

/* ---------------------------------------------------------------------- */
/* module.c: arguments shared by wrap_socket() and SSLContext             */

/* A certificate, key or CA item: a path (read from disk) or data. */
typedef struct {
	const char *path_arg;    /* argument names, for messages */
	const char *data_arg;
	PyObject *path_obj;      /* the path as given (borrowed) */
	PyObject *path;          /* file system encoded (bytes), or NULL */
	Py_buffer data;
	int have_data;
	unsigned char *file;     /* the file's contents once loaded */
	size_t file_len;
} pyussl_item;

void pyussl_item_init(pyussl_item *it, const char *path_arg,
    const char *data_arg);
/* path (a path or None) and data (bytes-like or None).  0 or -1. */
int pyussl_item_parse(pyussl_item *it, PyObject *path, PyObject *data);
int pyussl_item_present(const pyussl_item *it);
/* Read the file, if the item has a path.  0, or -1 with OSError or
   ValueError (empty, too large). */
int pyussl_item_load(pyussl_item *it);
void pyussl_item_bytes(const pyussl_item *it, const unsigned char **p,
    size_t *len);
/* "certfile '/x.pem'" or "cert", for messages.  New reference. */
PyObject *pyussl_item_label(const pyussl_item *it);
/* Release everything; file contents are wiped (they may hold a key). */
void pyussl_item_free(pyussl_item *it);

/* Overwrite memory that held secrets. */
void pyussl_wipe(void *p, size_t n);

/* sock has fileno(), gettimeout() and setblocking().  0 or -1. */
int pyussl_check_socket(PyObject *sock);
/* sock.fileno() as a valid descriptor, or -1 with an exception. */
int pyussl_get_fd(PyObject *sock);
/* server_hostname (str or None) as the IDNA bytes sent as SNI, or NULL
   for None.  0, or -1 with an exception. */
int pyussl_parse_hostname(PyObject *o, int server_side, PyObject **out);

/* ---------------------------------------------------------------------- */
/* context.c: the SSLContext type                                          */

typedef struct PyUsslContext PyUsslContext;
extern PyTypeObject PyUsslContext_Type;

/* A new context for USSL_CLIENT or USSL_SERVER with that role's
   defaults.  New reference, or NULL with an exception. */
PyUsslContext *pyussl_context_create(int role);

/* ctxcache.c: contexts of the module-level wrap_socket(), shared while
   their files stay the same.  The key is NULL (and nothing is cached)
   unless every present item is a readable file; get gives a new
   reference or NULL. */
PyObject *pyussl_ctxcache_key(int role, int verify, const pyussl_item *cert,
    const pyussl_item *key, const pyussl_item *ca);
PyUsslContext *pyussl_ctxcache_get(PyObject *key);
void pyussl_ctxcache_put(PyObject *key, PyUsslContext *ctx);
void pyussl_ctxcache_clear(void);
PyObject *pyussl_ctxcache_size(PyObject *module, PyObject *unused);

/* Setters for C callers: 0, or -1 with *e filled and no exception set
   (the caller words the exception).  The GIL is released while keys and
   certificates are parsed. */
int pyussl_context_set_verify(PyUsslContext *c, int mode, pyussl_errinfo *e);
int pyussl_context_set_chain(PyUsslContext *c, const unsigned char *cert,
    size_t cert_len, const unsigned char *key, size_t key_len,
    const char *password, pyussl_errinfo *e);
int pyussl_context_add_ca(PyUsslContext *c, const unsigned char *data,
    size_t len, pyussl_errinfo *e);

/*
 * Wrap sock in a new connection of context c: the machinery shared by
 * SSLContext.wrap_socket() and the module-level wrap_socket().
 * hostname is a str or None; flags are PYUSSL_SOCK_*.  Legacy sockets
 * skip the SSLContext-level checks (their caller made its own) and the
 * session cache.  New reference, or NULL with an exception.
 */
PyObject *pyussl_context_wrap(PyUsslContext *c, PyObject *sock,
    int server_side, int do_handshake, PyObject *hostname, int flags);

/* ussl.create_default_context(). */
PyObject *pyussl_create_default_context(PyObject *module, PyObject *args,
    PyObject *kw);

/* ---------------------------------------------------------------------- */
/* certdict.c                                                              */

/* A certificate (DER) as the dict CPython's getpeercert() returns.  New
   reference, or NULL with an exception (ValueError if malformed). */
PyObject *pyussl_cert_dict(const unsigned char *der, size_t len);

/* ussl.cert_info(der): the same for any certificate. */
PyObject *pyussl_cert_info(PyObject *module, PyObject *der);

/* Raise for a failed context setter, naming the items involved. */
void pyussl_raise_item_error(const pyussl_errinfo *e, const pyussl_item *a,
    const pyussl_item *b);

#endif /* PYUSSL_H */
