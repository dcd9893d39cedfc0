/*
 * socksession.c - client session resumption of SSLSocket.  The sessions
 * live in the core's cache on the context (ussl_ctx_set_session_cache and
 * friends), which binds each to the name and policy that verified the
 * peer; this file only chooses the key, (server_hostname or the peer's
 * address, port), and at close() gives a TLS 1.3 ticket the chance to
 * arrive so that the core can store it.  What was offered and whether it
 * resumed is the core's business too (session_reused, session_stats()).
 */
#include "pyussl.h"

#include <string.h>

int pyussl_session_use_cache(ussl_conn *conn, PyObject *sock,
    PyObject *hostname)
{
	PyObject *peer, *host = NULL;
	const char *name;
	long port;
	int used = 0;

	peer = PyObject_CallMethod(sock, "getpeername", NULL);
	if (peer == NULL) {
		PyErr_Clear();
		return 0;
	}
	/* An address without a port (AF_UNIX) keys nothing. */
	if (!PyTuple_Check(peer) || PyTuple_GET_SIZE(peer) < 2 ||
	    !PyLong_Check(PyTuple_GET_ITEM(peer, 1)))
		goto out;
	port = PyLong_AsLong(PyTuple_GET_ITEM(peer, 1));
	if (port < 0 || port > 65535) {
		PyErr_Clear();
		goto out;
	}
	host = hostname != NULL && hostname != Py_None ? hostname :
	    PyTuple_GET_ITEM(peer, 0);
	if (!PyUnicode_Check(host) || (name = PyUnicode_AsUTF8(host)) == NULL) {
		PyErr_Clear();
		goto out;
	}
	/* The key only picks the entry: the core offers it only to a
	   connection with the name and policy that verified it. */
	used = ussl_conn_set_cache_key(conn, name, (unsigned)port) == USSL_OK;
out:
	Py_DECREF(peer);
	return used;
}

struct ticket_arg {
	int tls13;
	int have;                /* a session to store is known */
	int ended;               /* reading met the end or an error */
};

/* With the lock held: process what already arrived (the transport
   never blocks; application data read here was unwanted anyway, as the
   socket is being closed) and see whether a session is known now. */
static void take_ticket(PyUsslSocket *self, void *p)
{
	struct ticket_arg *a = p;
	unsigned char scratch[2048];
	const char *v;
	size_t len = 0;
	long r;
	int i;

	v = ussl_conn_version(self->conn);
	a->tls13 = v != NULL && strcmp(v, "TLSv1.3") == 0;
	if (!a->tls13)
		return;
	/* A ticket that came with earlier reads is enough: reading on could
	   meet the peer's end of the connection and fail it. */
	(void)ussl_conn_get_session(self->conn, NULL, &len);
	if ((a->have = len > 0))
		return;
	for (i = 0; i < 32; i++) {
		r = ussl_read(self->conn, scratch, sizeof(scratch));
		if (r <= 0) {
			a->ended = r == 0 || r == USSL_ERROR;
			break;
		}
	}
	(void)ussl_conn_get_session(self->conn, NULL, &len);
	a->have = len > 0;
}

/* How long close() waits for a TLS 1.3 ticket that has not come yet. */
#define TICKET_WAIT 0.1

/*
 * wait > 0 (close() of a blocking socket): a TLS 1.3 client that has
 * read nothing has seen no ticket yet, because servers send them just
 * after the handshake; wait that long (at most) for one, so that a
 * connection closed right after its handshake can still be resumed.
 * The core stores the session when the connection is closed.
 */
void pyussl_session_await_ticket(PyUsslSocket *self, double wait)
{
	struct ticket_arg a;
	double end, left;
	int ready;

	memset(&a, 0, sizeof(a));
	if (!pyussl_with_conn(self, take_ticket, &a) || !a.tls13 || a.have ||
	    a.ended || wait <= 0.0 || self->got_data)
		return;
	/* The ticket may come in several pieces: wait again until the time
	   is up. */
	end = pyussl_now() + (wait < TICKET_WAIT ? wait : TICKET_WAIT);
	while (!a.have && !a.ended && (left = end - pyussl_now()) > 0.0) {
		Py_BEGIN_ALLOW_THREADS
		ready = ussl_fd_wait(self->fd, USSL_WANT_READ,
		    (int)(left * 1000.0) + 1);
		Py_END_ALLOW_THREADS
		if (ready <= 0 || !pyussl_with_conn(self, take_ticket, &a))
			return;
	}
}

static void get_reused(PyUsslSocket *self, void *p)
{
	*(int *)p = ussl_conn_session_reused(self->conn);
}

PyObject *pyussl_sock_get_session_reused(PyUsslSocket *self, void *closure)
{
	int reused = 0;

	(void)closure;
	if (!self->closed)
		pyussl_with_conn(self, get_reused, &reused);
	return PyBool_FromLong(reused);
}
