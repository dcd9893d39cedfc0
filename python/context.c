/*
 * context.c - the ussl.SSLContext type: creation, attributes, cipher
 * and ALPN lists, wrap_socket() (shared with the module-level
 * wrap_socket()), session statistics (the client session cache is the
 * core's, on the engine context: socksession.c) and
 * create_default_context().  How the settings are changed: ctxcfg.c;
 * loading certificates and keys: ctxload.c; the design: ctxint.h.
 */
#include "ctxint.h"

#include <string.h>

/* ---------------------------------------------------------------------- */
/* Life cycle                                                              */

PyUsslContext *pyussl_context_create(int role)
{
	PyUsslContext *c;

	c = PyObject_GC_New(PyUsslContext, &PyUsslContext_Type);
	if (c == NULL)
		return NULL;
	c->weakreflist = NULL;
	c->dtls = (role & USSL_DTLS) != 0;
	role &= ~USSL_DTLS;
	c->role = role;
	c->mutex = NULL;
	c->ctx = NULL;
	c->vcb = NULL;
	c->scb = NULL;
	c->verify = role == USSL_CLIENT ? USSL_VERIFY_REQUIRED :
	    USSL_VERIFY_NONE;
	c->min_version = VERSION_MIN_SUPPORTED;
	c->max_version = VERSION_MAX_SUPPORTED;
	c->tickets = TICKETS_DEFAULT;
	c->relax = 0;
	c->max_frag = 0;
	c->has_ca = 0;
	c->check_hostname = role == USSL_CLIENT;
	c->options = 0;
	c->verify_cb = NULL;
	c->psk_identity = c->psk_key = c->server_psk_keys = NULL;
	pyussl_ctx_update_cb_flags(c);
	PyObject_GC_Track(c);
	c->mutex = PyThread_allocate_lock();
	if (c->mutex == NULL) {
		PyErr_NoMemory();
		goto fail;
	}
	if (pyussl_ctx_init_core(c) < 0)
		goto fail;
	return c;
fail:
	Py_DECREF(c);
	return NULL;
}

static PyObject *c_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "protocol", NULL };
	int protocol;

	(void)type;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "i:SSLContext", kwlist,
	    &protocol))
		return NULL;
	if (protocol < PROTOCOL_TLS_CLIENT ||
	    protocol > PROTOCOL_DTLS_SERVER) {
		PyErr_SetString(PyExc_ValueError, "protocol must be "
		    "PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER, "
		    "PROTOCOL_DTLS_CLIENT or PROTOCOL_DTLS_SERVER");
		return NULL;
	}
	return (PyObject *)pyussl_context_create(
	    (protocol == PROTOCOL_TLS_CLIENT ||
	    protocol == PROTOCOL_DTLS_CLIENT ? USSL_CLIENT : USSL_SERVER) |
	    (protocol >= PROTOCOL_DTLS_CLIENT ? USSL_DTLS : 0));
}

static int c_traverse(PyUsslContext *c, visitproc visit, void *arg)
{
	Py_VISIT(c->verify_cb);
	Py_VISIT(c->psk_identity);
	Py_VISIT(c->psk_key);
	Py_VISIT(c->server_psk_keys);
	if (pyussl_ctx_scb_traverse(c, visit, arg) != 0)
		return -1;
	return pyussl_ctx_vcb_traverse(c, visit, arg);
}

static int c_clear(PyUsslContext *c)
{
	Py_CLEAR(c->verify_cb);
	Py_CLEAR(c->psk_identity);
	Py_CLEAR(c->psk_key);
	Py_CLEAR(c->server_psk_keys);
	pyussl_ctx_vcb_clear(c);
	pyussl_ctx_scb_clear(c);
	pyussl_ctx_update_cb_flags(c);
	return 0;
}

static void c_dealloc(PyUsslContext *c)
{
	PyObject_GC_UnTrack(c);
	if (c->weakreflist != NULL)
		PyObject_ClearWeakRefs((PyObject *)c);
	c_clear(c);
	/* Connections still using the engine context hold this object. */
	ussl_ctx_free(c->ctx);
	pyussl_ctx_vcb_free(c);
	pyussl_ctx_scb_free(c);
	if (c->mutex != NULL)
		PyThread_free_lock(c->mutex);
	Py_TYPE(c)->tp_free((PyObject *)c);
}

/* ---------------------------------------------------------------------- */
/* wrap_socket                                                             */

static PyObject *raise_verify_setup(const char *msg)
{
	PyObject *args = Py_BuildValue("(is)", USSL_E_VERIFY, msg);

	if (args != NULL) {
		PyErr_SetObject(PyExc_OSError, args);
		Py_DECREF(args);
	}
	return NULL;
}

PyObject *pyussl_context_wrap(PyUsslContext *c, PyObject *sock,
    int server_side, int do_handshake, PyObject *hostname, int flags)
{
	PyObject *host = NULL, *res = NULL, *hs;
	PyUsslSocket *s;
	ussl_error cerr;
	ussl_conn *conn;
	int fd, legacy = (flags & PYUSSL_SOCK_LEGACY) != 0;
	int cached = 0;

	if (pyussl_check_socket(sock) < 0)
		return NULL;
	if (!legacy && server_side != (c->role == USSL_SERVER)) {
		PyErr_SetString(PyExc_ValueError, server_side ?
		    "a server socket needs a PROTOCOL_TLS_SERVER context" :
		    "a client socket needs a PROTOCOL_TLS_CLIENT context");
		return NULL;
	}
	if (pyussl_parse_hostname(hostname, server_side, &host) < 0)
		return NULL;
	/* A PSK context exchanges no certificate (ctxpsk.c). */
	if (!legacy && c->role == USSL_CLIENT &&
	    c->verify != USSL_VERIFY_NONE && !ussl_ctx_has_psk(c->ctx)) {
		if (host == NULL && c->check_hostname) {
			PyErr_SetString(PyExc_ValueError, "check_hostname "
			    "requires server_hostname (or verify_mode = "
			    "CERT_NONE to skip verification)");
			goto out;
		}
		if (!c->has_ca) {
			raise_verify_setup("certificate verify failed: no "
			    "trusted CA certificates loaded (use "
			    "load_verify_locations() or load_default_certs())");
			goto out;
		}
	}
	if ((fd = pyussl_get_fd(sock)) < 0)
		goto out;

	/* Made under the mutex: the connection freezes the ussl_ctx, which a
	   setter of another thread must see (it then changes a copy). */
	pyussl_ctx_lock(c);
	conn = ussl_conn_new(c->ctx, host != NULL ? PyBytes_AS_STRING(host) :
	    NULL, &cerr);
	pyussl_ctx_unlock(c);
	if (conn == NULL) {
		pyussl_errinfo e;

		pyussl_errinfo_copy(&e, &cerr);
		pyussl_raise_setup_error(&e, NULL);
		goto out;
	}
	/* OP_NO_TICKET: no resumption at all. */
	if (!legacy && c->role == USSL_CLIENT && !(c->options & OP_NO_TICKET))
		cached = pyussl_session_use_cache(conn, sock, hostname);
	res = pyussl_socket_new(sock, fd, conn, server_side);
	if (res == NULL)
		goto out;
	s = (PyUsslSocket *)res;
	s->context = Py_NewRef((PyObject *)c);
	s->flags = flags | (cached ? PYUSSL_SOCK_CACHED : 0);
	s->hostname = hostname != Py_None ? Py_NewRef(hostname) : NULL;
	if (do_handshake) {
		hs = pyussl_do_handshake(s, NULL);
		if (hs == NULL)
			Py_CLEAR(res);
		Py_XDECREF(hs);
	}
out:
	Py_XDECREF(host);
	return res;
}

PyDoc_STRVAR(wrap_socket_doc,
"wrap_socket($self, /, sock, server_side=False,\n"
"            do_handshake_on_connect=True, suppress_ragged_eofs=False,\n"
"            server_hostname=None)\n"
"--\n\n"
"Wrap the connected stream socket sock in TLS and return an SSLSocket.\n\n"
"server_side must match the context's protocol.  A verifying client\n"
"needs server_hostname (the name the certificate must match) unless\n"
"check_hostname is off.  do_handshake_on_connect=True runs the handshake\n"
"now (on a non-blocking socket it is only started).  With\n"
"suppress_ragged_eofs=True a TCP end without close_notify reads as the\n"
"end of the stream instead of raising OSError(E_TRUNCATED).");

static PyObject *c_wrap_socket(PyUsslContext *c, PyObject *args,
    PyObject *kw)
{
	static char *kwlist[] = {
		"sock", "server_side", "do_handshake_on_connect",
		"suppress_ragged_eofs", "server_hostname", NULL
	};
	PyObject *sock, *hostname = Py_None;
	int server_side = 0, do_hs = 1, ragged = 0;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|pppO:wrap_socket", kwlist,
	    &sock, &server_side, &do_hs, &ragged, &hostname))
		return NULL;
	return pyussl_context_wrap(c, sock, server_side, do_hs, hostname,
	    ragged ? PYUSSL_SOCK_RAGGED : 0);
}

/* ---------------------------------------------------------------------- */
/* Cipher suites, ALPN                                                     */

/* Facts about a suite, from its IANA name. */
static PyObject *cipher_dict(const char *name)
{
	int tls13 = strstr(name, "_WITH_") == NULL;
	int bits = strstr(name, "_256") != NULL ||
	    strstr(name, "CHACHA20") != NULL ? 256 : 128;
	int aead = strstr(name, "GCM") != NULL || strstr(name, "CCM") != NULL ||
	    strstr(name, "POLY1305") != NULL;
	const char *kea, *auth;

	if (tls13) {
		kea = "kx-any";
		auth = "auth-any";
	} else {
		kea = strncmp(name, "TLS_ECDHE_", 10) == 0 ? "kx-ecdhe" :
		    strncmp(name, "TLS_DHE_", 8) == 0 ? "kx-dhe" :
		    strncmp(name, "TLS_RSA_", 8) == 0 ? "kx-rsa" : "kx-other";
		auth = strstr(name, "_ECDSA_") != NULL ? "auth-ecdsa" :
		    strstr(name, "_RSA_") != NULL ? "auth-rsa" :
		    strstr(name, "_PSK_") != NULL ? "auth-psk" : "auth-other";
	}
	return Py_BuildValue("{s:s,s:s,s:s,s:i,s:i,s:O,s:s,s:s}",
	    "name", name, "protocol", tls13 ? "TLSv1.3" : "TLSv1.2",
	    "description", name, "strength_bits", bits, "alg_bits", bits,
	    "aead", aead ? Py_True : Py_False, "kea", kea, "auth", auth);
}

PyDoc_STRVAR(get_ciphers_doc,
"get_ciphers($self, /)\n--\n\n"
"The cipher suites this context offers, in preference order: a list of\n"
"dicts with 'name' (IANA), 'protocol', 'strength_bits', 'alg_bits',\n"
"'aead', 'kea', 'auth' and 'description'.");

static PyObject *c_get_ciphers(PyUsslContext *c, PyObject *unused)
{
	char (*names)[128] = NULL, (*grown)[128];
	PyObject *list, *d;
	size_t i, n = 0, cap = 0;
	int nomem = 0;

	(void)unused;
	/* Names are copied under the mutex, objects made after it (making
	   them may run arbitrary code through the garbage collector). */
	pyussl_ctx_lock(c);
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			grown = PyMem_RawRealloc(names, cap * sizeof(*names));
			if (grown == NULL) {
				nomem = 1;
				break;
			}
			names = grown;
		}
		if (ussl_ctx_cipher_name(c->ctx, n, names[n],
		    sizeof(names[n])) < 0)
			break;
		n++;
	}
	pyussl_ctx_unlock(c);
	list = nomem ? PyErr_NoMemory() : PyList_New(0);
	for (i = 0; list != NULL && i < n; i++) {
		d = cipher_dict(names[i]);
		if (d == NULL || PyList_Append(list, d) < 0)
			Py_CLEAR(list);
		Py_XDECREF(d);
	}
	PyMem_RawFree(names);
	return list;
}

struct names {
	char **v;                /* PyMem_Raw strings */
	size_t n;
};

/* A list of names from a sequence of str/bytes (or, for ciphers, one
   str separated by ':' or ','). 0 or -1. */
static int names_from(PyObject *o, const char *what, int split,
    struct names *a)
{
	PyObject *seq = NULL, *item, *b;
	Py_ssize_t i, n;
	const char *p;
	Py_ssize_t len;

	a->v = NULL;
	a->n = 0;
	if (split && PyUnicode_Check(o)) {
		PyObject *sep = PyUnicode_FromString(":"), *parts, *norm;

		if (sep == NULL)
			return -1;
		norm = PyObject_CallMethod(o, "replace", "ss", ",", ":");
		parts = norm != NULL ? PyUnicode_Split(norm, sep, -1) : NULL;
		Py_XDECREF(norm);
		Py_DECREF(sep);
		if (parts == NULL)
			return -1;
		seq = PyList_New(0);
		for (i = 0; seq != NULL && i < PyList_GET_SIZE(parts); i++) {
			PyObject *s = PyObject_CallMethod(
			    PyList_GET_ITEM(parts, i), "strip", NULL);

			if (s == NULL || (PyUnicode_GET_LENGTH(s) > 0 &&
			    PyList_Append(seq, s) < 0))
				Py_CLEAR(seq);
			Py_XDECREF(s);
		}
		Py_DECREF(parts);
		if (seq == NULL)
			return -1;
	} else if (PyUnicode_Check(o) || PyBytes_Check(o)) {
		PyErr_Format(PyExc_TypeError, "%s must be a list of names",
		    what);
		return -1;
	} else {
		seq = PySequence_Fast(o, "expected a list of names");
		if (seq == NULL)
			return -1;
	}
	n = PySequence_Fast_GET_SIZE(seq);
	a->v = PyMem_RawCalloc(n ? (size_t)n : 1, sizeof(char *));
	if (a->v == NULL) {
		PyErr_NoMemory();
		goto fail;
	}
	for (i = 0; i < n; i++) {
		item = PySequence_Fast_GET_ITEM(seq, i);
		if (PyUnicode_Check(item)) {
			b = PyUnicode_AsUTF8String(item);
		} else if (PyBytes_Check(item) || PyByteArray_Check(item)) {
			b = PyBytes_FromObject(item);
		} else {
			PyErr_Format(PyExc_TypeError, "%s: names must be str "
			    "or bytes, not %.100s", what,
			    Py_TYPE(item)->tp_name);
			goto fail;
		}
		if (b == NULL)
			goto fail;
		p = PyBytes_AS_STRING(b);
		len = PyBytes_GET_SIZE(b);
		if (len == 0 || memchr(p, 0, (size_t)len) != NULL) {
			Py_DECREF(b);
			PyErr_Format(PyExc_ValueError, "%s: names must be "
			    "non-empty and hold no NUL", what);
			goto fail;
		}
		a->v[i] = pyussl_ctx_str_dup(p, (size_t)len);
		Py_DECREF(b);
		if (a->v[i] == NULL) {
			PyErr_NoMemory();
			goto fail;
		}
		a->n = (size_t)i + 1;
	}
	Py_DECREF(seq);
	return 0;
fail:
	Py_XDECREF(seq);
	pyussl_ctx_strv_free(a->v, a->n);
	a->v = NULL;
	a->n = 0;
	return -1;
}

static PyObject *set_strv(PyUsslContext *c, PyObject *o, int which,
    const char *what)
{
	struct names a;
	pyussl_errinfo e;
	PyObject *label;
	int r;

	if (names_from(o, what, which == 1, &a) < 0)
		return NULL;
	if (which == 1 && a.n == 0) {
		pyussl_ctx_strv_free(a.v, a.n);
		PyErr_SetString(PyExc_ValueError,
		    "set_ciphers: no cipher suite named");
		return NULL;
	}
	r = pyussl_ctx_set_names(c, which, a.v, a.n, &e);
	pyussl_ctx_strv_free(a.v, a.n);
	if (r != 0) {
		label = PyUnicode_FromString(what);
		if (label == NULL)
			PyErr_Clear();
		pyussl_raise_setup_error(&e, label);
		Py_XDECREF(label);
		return NULL;
	}
	Py_RETURN_NONE;
}

PyDoc_STRVAR(set_ciphers_doc,
"set_ciphers($self, ciphers, /)\n--\n\n"
"Offer these cipher suites, in this order: a list of IANA names\n"
"(\"TLS_AES_128_GCM_SHA256\", \"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\")\n"
"or one str of names separated by ':'.  A name the engine does not\n"
"support raises ValueError naming it, and nothing is changed.");

static PyObject *c_set_ciphers(PyUsslContext *c, PyObject *o)
{
	return set_strv(c, o, 1, "set_ciphers");
}

PyDoc_STRVAR(set_alpn_protocols_doc,
"set_alpn_protocols($self, protocols, /)\n--\n\n"
"Offer (client) or accept (server) these ALPN protocols, in preference\n"
"order, e.g. ['h2', 'http/1.1'].  An empty list turns ALPN off.");

static PyObject *c_set_alpn_protocols(PyUsslContext *c, PyObject *o)
{
	return set_strv(c, o, 0, "set_alpn_protocols");
}

PyDoc_STRVAR(session_stats_doc,
"session_stats($self, /)\n--\n\n"
"Client session cache statistics: a dict with 'number' (hosts cached),\n"
"'hits' (offered sessions the server resumed) and 'misses' (offered\n"
"sessions it did not).");

static PyObject *c_session_stats(PyUsslContext *c, PyObject *unused)
{
	ussl_session_stats st;
	ussl_ctx *x;

	(void)unused;
	pyussl_ctx_lock(c);
	x = ussl_ctx_ref(c->ctx);
	pyussl_ctx_unlock(c);
	ussl_ctx_session_stats(x, &st);
	ussl_ctx_free(x);
	return Py_BuildValue("{s:n,s:K,s:K}", "number", (Py_ssize_t)st.entries,
	    "hits", st.hits, "misses", st.misses);
}

/* ---------------------------------------------------------------------- */
/* Attributes                                                              */

static PyObject *get_protocol(PyUsslContext *c, void *closure)
{
	(void)closure;
	return PyLong_FromLong((c->role == USSL_CLIENT ? PROTOCOL_TLS_CLIENT :
	    PROTOCOL_TLS_SERVER) + (c->dtls ? 2 : 0));
}

static PyObject *get_verify_mode(PyUsslContext *c, void *closure)
{
	(void)closure;
	return PyLong_FromLong(c->verify);
}

static int need_value(PyObject *v, const char *name)
{
	if (v == NULL) {
		PyErr_Format(PyExc_AttributeError, "cannot delete %s", name);
		return -1;
	}
	return 0;
}

static int set_verify_value(PyUsslContext *c, int mode)
{
	pyussl_errinfo e;

	if (pyussl_context_set_verify(c, mode, &e) != 0) {
		pyussl_raise_setup_error(&e, NULL);
		return -1;
	}
	return 0;
}

static int set_verify_mode(PyUsslContext *c, PyObject *v, void *closure)
{
	long mode;

	(void)closure;
	if (need_value(v, "verify_mode") < 0)
		return -1;
	if (!PyLong_Check(v)) {
		PyErr_Format(PyExc_TypeError, "verify_mode must be an int, not "
		    "%.100s", Py_TYPE(v)->tp_name);
		return -1;
	}
	mode = PyLong_AsLong(v);
	if (mode == -1 && PyErr_Occurred())
		return -1;
	if (mode != USSL_VERIFY_NONE && mode != USSL_VERIFY_OPTIONAL &&
	    mode != USSL_VERIFY_REQUIRED) {
		PyErr_SetString(PyExc_ValueError, "verify_mode must be "
		    "CERT_NONE, CERT_OPTIONAL or CERT_REQUIRED");
		return -1;
	}
	if (set_verify_value(c, (int)mode) < 0)
		return -1;
	/* CPython refuses CERT_NONE while check_hostname is on; turning
	   verification off explicitly turns the name check off with it. */
	if (mode == USSL_VERIFY_NONE && c->check_hostname) {
		c->check_hostname = 0;
		return pyussl_ctx_apply_cb_flags(c);
	}
	return 0;
}

static PyObject *get_check_hostname(PyUsslContext *c, void *closure)
{
	(void)closure;
	return PyBool_FromLong(c->check_hostname);
}

static int set_check_hostname(PyUsslContext *c, PyObject *v, void *closure)
{
	int on;

	(void)closure;
	if (need_value(v, "check_hostname") < 0)
		return -1;
	on = PyObject_IsTrue(v);
	if (on < 0)
		return -1;
	/* As in CPython: checking names implies verifying the chain. */
	if (on && c->verify == USSL_VERIFY_NONE &&
	    set_verify_value(c, USSL_VERIFY_REQUIRED) < 0)
		return -1;
	if (on != c->check_hostname) {
		c->check_hostname = on;
		return pyussl_ctx_apply_cb_flags(c);
	}
	return 0;
}

static PyObject *get_options(PyUsslContext *c, void *closure)
{
	(void)closure;
	return PyLong_FromLong(c->options);
}

static int set_options(PyUsslContext *c, PyObject *v, void *closure)
{
	long opts, lifetime;
	pyussl_errinfo e;

	(void)closure;
	if (need_value(v, "options") < 0)
		return -1;
	opts = PyLong_AsLong(v);
	if (opts == -1 && PyErr_Occurred())
		return -1;
	if (c->role == USSL_SERVER &&
	    (opts & OP_NO_TICKET) != (c->options & OP_NO_TICKET)) {
		lifetime = (opts & OP_NO_TICKET) ? 0 : TICKETS_DEFAULT;
		if (pyussl_ctx_set_tickets(c, lifetime, &e) != 0) {
			pyussl_raise_setup_error(&e, NULL);
			return -1;
		}
	}
	if (opts & OP_NO_TICKET)
		pyussl_ctx_forget_sessions(c);
	c->options = opts;
	return 0;
}

static PyObject *get_ticket_lifetime(PyUsslContext *c, void *closure)
{
	(void)closure;
	if (c->role != USSL_SERVER)
		Py_RETURN_NONE;
	return PyLong_FromLong(c->tickets);
}

static int set_ticket_lifetime(PyUsslContext *c, PyObject *v, void *closure)
{
	pyussl_errinfo e;
	long lifetime;

	(void)closure;
	if (need_value(v, "ticket_lifetime") < 0)
		return -1;
	if (c->role != USSL_SERVER) {
		PyErr_SetString(PyExc_ValueError, "session tickets are issued "
		    "by servers (a client turns resumption off with "
		    "options |= OP_NO_TICKET)");
		return -1;
	}
	lifetime = PyLong_AsLong(v);
	if (lifetime == -1 && PyErr_Occurred())
		return -1;
	if (lifetime < 0 || (unsigned long)lifetime > 0xffffffffUL) {
		PyErr_SetString(PyExc_ValueError,
		    "ticket_lifetime must be 0 (off) or a number of seconds");
		return -1;
	}
	if (pyussl_ctx_set_tickets(c, lifetime, &e) != 0) {
		pyussl_raise_setup_error(&e, NULL);
		return -1;
	}
	return 0;
}

static PyObject *get_verify_callback(PyUsslContext *c, void *closure)
{
	(void)closure;
	return Py_NewRef(c->verify_cb != NULL ? c->verify_cb : Py_None);
}

static int set_verify_callback(PyUsslContext *c, PyObject *v, void *closure)
{
	PyObject *old = c->verify_cb;

	(void)closure;
	if (v != NULL && v != Py_None && !PyCallable_Check(v)) {
		PyErr_SetString(PyExc_TypeError,
		    "verify_callback must be callable or None");
		return -1;
	}
	c->verify_cb = v != NULL && v != Py_None ? Py_NewRef(v) : NULL;
	Py_XDECREF(old);
	return pyussl_ctx_apply_cb_flags(c);
}

static int version_value(PyObject *v, int *out)
{
	long x;

	if (v == NULL) {
		PyErr_SetString(PyExc_AttributeError,
		    "cannot delete the version");
		return -1;
	}
	x = PyLong_AsLong(v);
	if (x == -1 && PyErr_Occurred())
		return -1;
	if (x != VERSION_MIN_SUPPORTED && x != VERSION_MAX_SUPPORTED &&
	    x != USSL_TLS1_2 && x != USSL_TLS1_3) {
		PyErr_SetString(PyExc_ValueError, "unsupported TLS version "
		    "(TLSv1_2, TLSv1_3, or MINIMUM_SUPPORTED/"
		    "MAXIMUM_SUPPORTED)");
		return -1;
	}
	*out = (int)x;
	return 0;
}

static int set_versions(PyUsslContext *c, int min, int max)
{
	pyussl_errinfo e;

	if (pyussl_ctx_set_versions(c, min, max, &e) != 0) {
		pyussl_raise_setup_error(&e, NULL);
		return -1;
	}
	return 0;
}

static PyObject *get_min_version(PyUsslContext *c, void *closure)
{
	(void)closure;
	return PyLong_FromLong(c->min_version);
}

static int set_min_version(PyUsslContext *c, PyObject *v, void *closure)
{
	int x;

	(void)closure;
	if (version_value(v, &x) < 0)
		return -1;
	return set_versions(c, x, c->max_version);
}

static PyObject *get_max_version(PyUsslContext *c, void *closure)
{
	(void)closure;
	return PyLong_FromLong(c->max_version);
}

static int set_max_version(PyUsslContext *c, PyObject *v, void *closure)
{
	int x;

	(void)closure;
	if (version_value(v, &x) < 0)
		return -1;
	return set_versions(c, c->min_version, x);
}

/* ---------------------------------------------------------------------- */
/* create_default_context                                                  */

#define OID_CLIENT_AUTH "1.3.6.1.5.5.7.3.2"

/* Is purpose CLIENT_AUTH (ssl.Purpose.CLIENT_AUTH, or its OID)?  1, 0, or
   -1 with an exception. */
static int purpose_is_client_auth(PyObject *purpose)
{
	PyObject *oid;
	int r;

	if (purpose == Py_None)
		return 0;
	oid = PyObject_HasAttrString(purpose, "oid") ?
	    PyObject_GetAttrString(purpose, "oid") : Py_NewRef(purpose);
	if (oid == NULL)
		return -1;
	if (!PyUnicode_Check(oid)) {
		Py_DECREF(oid);
		PyErr_SetString(PyExc_TypeError, "purpose must be SERVER_AUTH "
		    "or CLIENT_AUTH (ussl's or ssl.Purpose's)");
		return -1;
	}
	r = PyUnicode_CompareWithASCIIString(oid, OID_CLIENT_AUTH) == 0;
	if (!r && PyUnicode_CompareWithASCIIString(oid,
	    "1.3.6.1.5.5.7.3.1") != 0) {
		Py_DECREF(oid);
		PyErr_SetString(PyExc_ValueError, "purpose must be SERVER_AUTH "
		    "or CLIENT_AUTH");
		return -1;
	}
	Py_DECREF(oid);
	return r;
}

PyObject *pyussl_create_default_context(PyObject *module, PyObject *args,
    PyObject *kw)
{
	static char *kwlist[] = { "purpose", "cafile", "capath", "cadata",
		NULL };
	PyObject *purpose = Py_None, *cafile = Py_None, *capath = Py_None;
	PyObject *cadata = Py_None, *r, *a, *k;
	PyUsslContext *c;
	int server;

	(void)module;
	if (!PyArg_ParseTupleAndKeywords(args, kw,
	    "|O$OOO:create_default_context", kwlist, &purpose, &cafile,
	    &capath, &cadata))
		return NULL;
	server = purpose_is_client_auth(purpose);
	if (server < 0)
		return NULL;
	/* SERVER_AUTH: a client that authenticates servers, and the
	   reverse, as in CPython. */
	c = pyussl_context_create(server ? USSL_SERVER : USSL_CLIENT);
	if (c == NULL)
		return NULL;
	if (cafile != Py_None || capath != Py_None || cadata != Py_None) {
		a = PyTuple_New(0);
		k = a != NULL ? Py_BuildValue("{s:O,s:O,s:O}", "cafile", cafile,
		    "capath", capath, "cadata", cadata) : NULL;
		r = k != NULL ?
		    pyussl_ctx_load_verify_locations(c, a, k) : NULL;
		Py_XDECREF(a);
		Py_XDECREF(k);
	} else {
		a = PyTuple_New(0);
		r = a != NULL ?
		    pyussl_ctx_load_default_certs(c, a, NULL) : NULL;
		Py_XDECREF(a);
	}
	if (r == NULL) {
		Py_DECREF(c);
		return NULL;
	}
	Py_DECREF(r);
	return (PyObject *)c;
}

static PyObject *c_repr(PyUsslContext *c)
{
	return PyUnicode_FromFormat("<ussl.SSLContext %s, verify_mode=%d>",
	    c->role == USSL_CLIENT ? "client" : "server", c->verify);
}

static PyMethodDef c_methods[] = {
	{ "wrap_socket", (PyCFunction)(void (*)(void))c_wrap_socket,
	  METH_VARARGS | METH_KEYWORDS, wrap_socket_doc },
	{ "load_cert_chain",
	  (PyCFunction)(void (*)(void))pyussl_ctx_load_cert_chain,
	  METH_VARARGS | METH_KEYWORDS, pyussl_ctx_load_cert_chain_doc },
	{ "load_verify_locations",
	  (PyCFunction)(void (*)(void))pyussl_ctx_load_verify_locations,
	  METH_VARARGS | METH_KEYWORDS, pyussl_ctx_load_verify_locations_doc },
	{ "load_default_certs",
	  (PyCFunction)(void (*)(void))pyussl_ctx_load_default_certs,
	  METH_VARARGS | METH_KEYWORDS, pyussl_ctx_load_default_certs_doc },
	{ "set_default_verify_paths",
	  (PyCFunction)(void (*)(void))pyussl_ctx_load_default_certs,
	  METH_VARARGS | METH_KEYWORDS, pyussl_ctx_load_default_certs_doc },
	{ "get_ciphers", (PyCFunction)c_get_ciphers, METH_NOARGS,
	  get_ciphers_doc },
	{ "set_ciphers", (PyCFunction)c_set_ciphers, METH_O, set_ciphers_doc },
	{ "set_alpn_protocols", (PyCFunction)c_set_alpn_protocols, METH_O,
	  set_alpn_protocols_doc },
	{ "session_stats", (PyCFunction)c_session_stats, METH_NOARGS,
	  session_stats_doc },
	{ NULL, NULL, 0, NULL }
};

static PyGetSetDef c_getset[] = {
	{ "protocol", (getter)get_protocol, NULL,
	  "PROTOCOL_TLS_CLIENT or PROTOCOL_TLS_SERVER.", NULL },
	{ "verify_mode", (getter)get_verify_mode, (setter)set_verify_mode,
	  "CERT_NONE, CERT_OPTIONAL or CERT_REQUIRED (client default\n"
	  "CERT_REQUIRED, server default CERT_NONE).", NULL },
	{ "check_hostname", (getter)get_check_hostname,
	  (setter)set_check_hostname,
	  "Check the server's name against server_hostname (client default\n"
	  "True).  Setting verify_mode = CERT_NONE turns it off.", NULL },
	{ "options", (getter)get_options, (setter)set_options,
	  "Option bits; OP_NO_TICKET turns session resumption off (client:\n"
	  "no session cache; server: no tickets).  Other bits are kept but\n"
	  "have no effect.", NULL },
	{ "ticket_lifetime", (getter)get_ticket_lifetime,
	  (setter)set_ticket_lifetime,
	  "Server: seconds between rotations of the session ticket key (a\n"
	  "ticket stays valid for up to two); 0 turns tickets off.  None on\n"
	  "a client context.", NULL },
	{ "verify_callback", (getter)get_verify_callback,
	  (setter)set_verify_callback,
	  "None, or callback(cert_der, depth) called for each certificate of\n"
	  "the peer's chain (root first, leaf at depth 0) when verifying.\n"
	  "Return None to keep the library's verdict, 0 to accept the\n"
	  "certificate, any other int to reject it.", NULL },
	{ "max_fragment_length", (getter)pyussl_ctx_get_max_frag,
	  (setter)pyussl_ctx_set_max_frag,
	  "Client: None (the default) or 512, 1024, 2048, 4096: ask the\n"
	  "server for records of at most that many bytes (RFC 6066).  With\n"
	  "the bundled mbedTLS the connection's buffers then shrink to that\n"
	  "size (most of its RAM); an mbedTLS client that asks speaks TLS\n"
	  "1.2.  A server that ignores the request still works.", NULL },
	{ "verify_relax", (getter)pyussl_ctx_get_verify_relax,
	  (setter)pyussl_ctx_set_verify_relax,
	  "Relaxations of the strict default certificate policy: 0 (the\n"
	  "default) or RELAX_CN_ONLY | RELAX_NO_EKU | RELAX_LEGACY_CA.", NULL },
	{ "psk_identity", (getter)pyussl_ctx_get_psk,
	  (setter)pyussl_ctx_set_psk,
	  "Client: the pre-shared key identity to send (bytes or str), used\n"
	  "with psk_key; while both are set, only PSK handshakes are made.",
	  (void *)0 },
	{ "psk_key", (getter)pyussl_ctx_get_psk, (setter)pyussl_ctx_set_psk,
	  "Client: the pre-shared key (bytes, 1 to 48), with psk_identity.",
	  (void *)1 },
	{ "server_psk_keys", (getter)pyussl_ctx_get_psk,
	  (setter)pyussl_ctx_set_psk,
	  "Server: a dict, or any object with get(identity) -> key bytes or\n"
	  "None, looked up during the handshake; while set, only PSK\n"
	  "handshakes are accepted.", (void *)2 },
	{ "minimum_version", (getter)get_min_version, (setter)set_min_version,
	  "Lowest TLS version: TLSv1_2 or TLSv1_3 (ssl.TLSVersion members\n"
	  "work too); MINIMUM_SUPPORTED by default.", NULL },
	{ "maximum_version", (getter)get_max_version, (setter)set_max_version,
	  "Highest TLS version; MAXIMUM_SUPPORTED by default.", NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

PyDoc_STRVAR(context_doc,
"SSLContext(protocol)\n--\n\n"
"A TLS configuration shared by many connections: PROTOCOL_TLS_CLIENT or\n"
"PROTOCOL_TLS_SERVER.  Safe to use from several threads at once; it\n"
"may be changed at any time (connections already made keep the\n"
"settings they started with).");

PyTypeObject PyUsslContext_Type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "ussl.SSLContext",
	.tp_basicsize = sizeof(PyUsslContext),
	.tp_dealloc = (destructor)c_dealloc,
	.tp_repr = (reprfunc)c_repr,
	.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
	.tp_doc = context_doc,
	.tp_traverse = (traverseproc)c_traverse,
	.tp_clear = (inquiry)c_clear,
	.tp_weaklistoffset = offsetof(PyUsslContext, weakreflist),
	.tp_methods = c_methods,
	.tp_getset = c_getset,
	.tp_new = c_new,
};
