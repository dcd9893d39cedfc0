/*
 * context.c - ussl.SSLContext: one configuration shared by many
 * connections (role, verification, own chain, CA store, ALPN, cipher
 * suites, versions, session tickets), the client session cache, and
 * wrap_socket(), which the module-level wrap_socket() shares.
 *
 * The core forbids changing a ussl_ctx once a connection uses it, while
 * Python code may call a setter at any time.  So the object keeps its
 * whole configuration (cfg) besides the engine context: a setter on a
 * context that connections already use builds a fresh ussl_ctx from cfg,
 * applies the change to it and swaps it in, and the connections made
 * before keep the old one (it is reference-counted).  A mutex orders the
 * setters and wrap_socket() of different threads; like the socket lock,
 * it is never waited for with the GIL held.
 */
#include "pyussl.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* CPython's values, so that code written for ssl reads the same. */
#define PROTOCOL_TLS_CLIENT 16
#define PROTOCOL_TLS_SERVER 17
#define OP_NO_TICKET 0x4000L
#define VERSION_MIN_SUPPORTED (-2)
#define VERSION_MAX_SUPPORTED (-1)

/* The session cache forgets its oldest entry beyond this many hosts. */
#define SESSIONS_MAX 1000

/* cb_flags: what the verification trampoline has to do. */
#define CB_PYTHON  0x1           /* call verify_callback */
#define CB_NO_NAME 0x2           /* check_hostname is off */

struct blob {
	unsigned char *p;
	size_t len;
};

/* Everything a ussl_ctx is built from. */
struct cfg {
	int verify;
	int min_version, max_version;    /* as set in Python (see below) */
	struct blob cert, key;           /* cert.p != NULL: chain loaded */
	char *password;
	struct blob *ca;
	size_t n_ca;
	char **alpn;
	size_t n_alpn;
	char **ciphers;                  /* n_ciphers == 0: engine default */
	size_t n_ciphers;
	long tickets;                    /* server: lifetime; -1: default */
};

struct PyUsslContext {
	PyObject_HEAD
	PyObject *weakreflist;
	int role;
	PyThread_type_lock mutex;        /* guards ctx, used and cfg */
	ussl_ctx *ctx;
	int used;                        /* a connection was made from ctx */
	struct cfg cfg;
	int check_hostname;
	volatile int cb_flags;           /* read without the GIL */
	long options;
	PyObject *verify_cb;
	PyObject *sessions;              /* {(host, port): bytes} */
	unsigned long hits, misses;
};

/* ---------------------------------------------------------------------- */
/* Small helpers                                                           */

static void blob_free(struct blob *b)
{
	if (b->p != NULL) {
		pyussl_wipe(b->p, b->len);
		PyMem_RawFree(b->p);
	}
	b->p = NULL;
	b->len = 0;
}

static int blob_set(struct blob *b, const unsigned char *p, size_t len)
{
	b->p = NULL;
	b->len = 0;
	if (p == NULL)
		return 0;
	b->p = PyMem_RawMalloc(len ? len : 1);
	if (b->p == NULL)
		return -1;
	memcpy(b->p, p, len);
	b->len = len;
	return 0;
}

static void strv_free(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		PyMem_RawFree(v[i]);
	PyMem_RawFree(v);
}

static char *str_dup(const char *s, size_t len)
{
	char *d = PyMem_RawMalloc(len + 1);

	if (d != NULL) {
		memcpy(d, s, len);
		d[len] = '\0';
	}
	return d;
}

/* memmem() is not standard C. */
static int contains(const unsigned char *p, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; n <= len && i <= len - n; i++)
		if (p[i] == (unsigned char)needle[0] &&
		    memcmp(p + i, needle, n) == 0)
			return 1;
	return 0;
}

static void set_nomem(pyussl_errinfo *e)
{
	e->code = USSL_E_NOMEM;
	e->sys_errno = 0;
	strcpy(e->msg, "out of memory");
}

/* Take the mutex without ever waiting for it with the GIL held. */
static void ctx_lock(PyUsslContext *c)
{
	if (PyThread_acquire_lock(c->mutex, NOWAIT_LOCK))
		return;
	Py_BEGIN_ALLOW_THREADS
	PyThread_acquire_lock(c->mutex, WAIT_LOCK);
	Py_END_ALLOW_THREADS
}

static void ctx_unlock(PyUsslContext *c)
{
	PyThread_release_lock(c->mutex);
}

static int to_core_version(int v)
{
	return v == VERSION_MIN_SUPPORTED || v == VERSION_MAX_SUPPORTED ?
	    0 : v;
}

/* ---------------------------------------------------------------------- */
/* Verification callback                                                   */

/*
 * Runs in the handshake (GIL released, socket lock held).  The socket
 * holds a reference to this context, so c outlives every handshake that
 * can call here.  Without a Python callback the GIL is not taken.
 */
static int verify_tramp(void *arg, const unsigned char *der, size_t len,
    int depth, unsigned *flags)
{
	PyUsslContext *c = arg;
	int mode = c->cb_flags, reject = 0;
	PyGILState_STATE g;
	PyObject *cb, *b, *r;
	long v;

	if ((mode & CB_NO_NAME) && depth == 0)
		*flags &= ~(unsigned)USSL_VFY_NAME_MISMATCH;
	if (!(mode & CB_PYTHON))
		return 0;
	g = PyGILState_Ensure();
	cb = c->verify_cb;
	if (cb != NULL) {
		Py_INCREF(cb);
		b = PyBytes_FromStringAndSize((const char *)der,
		    (Py_ssize_t)len);
		r = b != NULL ? PyObject_CallFunction(cb, "Oi", b, depth) : NULL;
		Py_XDECREF(b);
		/* MicroPython's convention: the result replaces the failure
		   flags, so 0 accepts and anything else rejects; None keeps
		   the library's own judgement. */
		if (r == NULL) {
			PyErr_WriteUnraisable(cb);
			reject = 1;
		} else if (r != Py_None) {
			v = PyLong_Check(r) ? PyLong_AsLong(r) : -1;
			if (v == -1 && PyErr_Occurred()) {
				PyErr_WriteUnraisable(cb);
				reject = 1;
			} else if (!PyLong_Check(r)) {
				PyErr_Format(PyExc_TypeError, "verify_callback "
				    "must return an int or None, not %.100s",
				    Py_TYPE(r)->tp_name);
				PyErr_WriteUnraisable(cb);
				reject = 1;
			} else if (v == 0) {
				*flags = 0;
			} else {
				reject = 1;
			}
		}
		Py_XDECREF(r);
		Py_DECREF(cb);
	}
	PyGILState_Release(g);
	return reject;
}

static int cb_flags_of(PyUsslContext *c)
{
	return (c->verify_cb != NULL ? CB_PYTHON : 0) |
	    (c->role == USSL_CLIENT && !c->check_hostname ? CB_NO_NAME : 0);
}

static void update_cb_flags(PyUsslContext *c)
{
	c->cb_flags = cb_flags_of(c);
}

/* ---------------------------------------------------------------------- */
/* Building and changing the engine context                               */

/* A ussl_ctx made from cfg.  Runs without the GIL, with the mutex held
   (or before the object is shared).  NULL with *e filled on failure. */
static ussl_ctx *build(PyUsslContext *c, pyussl_errinfo *e)
{
	const struct cfg *g = &c->cfg;
	ussl_ctx *x;
	size_t i;

	x = ussl_ctx_new(c->role);
	if (x == NULL) {
		set_nomem(e);
		return NULL;
	}
	if (ussl_ctx_set_verify(x, g->verify) != USSL_OK)
		goto fail;
	if ((to_core_version(g->min_version) != 0 ||
	    to_core_version(g->max_version) != 0) &&
	    ussl_ctx_set_versions(x, to_core_version(g->min_version),
	    to_core_version(g->max_version)) != USSL_OK)
		goto fail;
	if (g->cert.p != NULL && ussl_ctx_use_cert_chain(x, g->cert.p,
	    g->cert.len, g->key.p, g->key.len, g->password) != USSL_OK)
		goto fail;
	for (i = 0; i < g->n_ca; i++)
		if (ussl_ctx_add_ca(x, g->ca[i].p, g->ca[i].len) != USSL_OK)
			goto fail;
	if (g->n_alpn > 0 && ussl_ctx_set_alpn(x,
	    (const char *const *)g->alpn, g->n_alpn) != USSL_OK)
		goto fail;
	if (g->n_ciphers > 0 && ussl_ctx_set_ciphers(x,
	    (const char *const *)g->ciphers, g->n_ciphers) != USSL_OK)
		goto fail;
	if (c->role == USSL_SERVER && g->tickets >= 0 &&
	    ussl_ctx_set_tickets(x, (unsigned)g->tickets) != USSL_OK)
		goto fail;
	/* Only when needed: the engine's plain path otherwise. */
	if (c->cb_flags != 0)
		ussl_ctx_set_verify_cb(x, verify_tramp, c);
	return x;
fail:
	pyussl_errinfo_copy(e, ussl_ctx_error(x));
	ussl_ctx_free(x);
	return NULL;
}

/*
 * One change: op applies it to an engine context (without the GIL) and
 * counts in *applied the units that took (several CA certificates may be
 * added by one call, and those before a bad one stay); commit records
 * them in cfg (GIL and mutex held, must not fail).
 */
typedef int (*ctx_op)(ussl_ctx *x, void *arg, size_t *applied);
typedef void (*cfg_commit)(struct cfg *g, void *arg, size_t applied);

static void forget_sessions(PyUsslContext *c)
{
	if (c->sessions != NULL)
		PyDict_Clear(c->sessions);
}

static int modify(PyUsslContext *c, ctx_op op, cfg_commit commit, void *arg,
    int slow, pyussl_errinfo *e)
{
	ussl_ctx *target, *fresh = NULL, *old = NULL;
	size_t applied = 0;
	int r = USSL_ERROR;
	PyThreadState *ts = NULL;

	ctx_lock(c);
	if (slow || c->used)
		ts = PyEval_SaveThread();
	target = c->used ? (fresh = build(c, e)) : c->ctx;
	if (target != NULL) {
		r = op(target, arg, &applied);
		if (r != USSL_OK)
			pyussl_errinfo_copy(e, ussl_ctx_error(target));
	}
	if (ts != NULL)
		PyEval_RestoreThread(ts);
	if (applied > 0) {
		commit(&c->cfg, arg, applied);
		if (fresh != NULL) {
			old = c->ctx;
			c->ctx = fresh;
			c->used = 0;
			fresh = NULL;
		}
	}
	ctx_unlock(c);
	ussl_ctx_free(fresh);
	ussl_ctx_free(old);
	/* A session made under other settings must not skip the new ones. */
	if (applied > 0)
		forget_sessions(c);
	return r == USSL_OK ? 0 : -1;
}

/* --- verify mode --- */

static int op_verify(ussl_ctx *x, void *arg, size_t *applied)
{
	int r = ussl_ctx_set_verify(x, *(int *)arg);

	*applied = r == USSL_OK;
	return r;
}

static void commit_verify(struct cfg *g, void *arg, size_t applied)
{
	(void)applied;
	g->verify = *(int *)arg;
}

int pyussl_context_set_verify(PyUsslContext *c, int mode, pyussl_errinfo *e)
{
	return modify(c, op_verify, commit_verify, &mode, 0, e);
}

/* --- versions --- */

struct versions_arg {
	int min, max;
};

static int op_versions(ussl_ctx *x, void *arg, size_t *applied)
{
	struct versions_arg *a = arg;
	int r = ussl_ctx_set_versions(x, to_core_version(a->min),
	    to_core_version(a->max));

	*applied = r == USSL_OK;
	return r;
}

static void commit_versions(struct cfg *g, void *arg, size_t applied)
{
	struct versions_arg *a = arg;

	(void)applied;
	g->min_version = a->min;
	g->max_version = a->max;
}

/* --- own chain --- */

struct chain_arg {
	struct blob cert, key;
	char *password;
};

static int op_chain(ussl_ctx *x, void *arg, size_t *applied)
{
	struct chain_arg *a = arg;
	int r = ussl_ctx_use_cert_chain(x, a->cert.p, a->cert.len, a->key.p,
	    a->key.len, a->password);

	*applied = r == USSL_OK;
	return r;
}

static void commit_chain(struct cfg *g, void *arg, size_t applied)
{
	struct chain_arg *a = arg;

	(void)applied;
	blob_free(&g->cert);
	blob_free(&g->key);
	if (g->password != NULL) {
		pyussl_wipe(g->password, strlen(g->password));
		PyMem_RawFree(g->password);
	}
	g->cert = a->cert;
	g->key = a->key;
	g->password = a->password;
	memset(a, 0, sizeof(*a));
}

static void chain_arg_free(struct chain_arg *a)
{
	blob_free(&a->cert);
	blob_free(&a->key);
	if (a->password != NULL) {
		pyussl_wipe(a->password, strlen(a->password));
		PyMem_RawFree(a->password);
	}
	memset(a, 0, sizeof(*a));
}

int pyussl_context_set_chain(PyUsslContext *c, const unsigned char *cert,
    size_t cert_len, const unsigned char *key, size_t key_len,
    const char *password, pyussl_errinfo *e)
{
	struct chain_arg a;
	int r;

	memset(&a, 0, sizeof(a));
	if (blob_set(&a.cert, cert, cert_len) < 0 ||
	    blob_set(&a.key, key, key_len) < 0 ||
	    (password != NULL &&
	    (a.password = str_dup(password, strlen(password))) == NULL)) {
		chain_arg_free(&a);
		set_nomem(e);
		return -1;
	}
	r = modify(c, op_chain, commit_chain, &a, 1, e);
	chain_arg_free(&a);     /* emptied by commit on success */
	return r;
}

/* --- trusted CAs --- */

struct ca_arg {
	struct blob *items;
	size_t n;
};

static int op_ca(ussl_ctx *x, void *arg, size_t *applied)
{
	struct ca_arg *a = arg;
	size_t i;

	for (i = 0; i < a->n; i++) {
		if (ussl_ctx_add_ca(x, a->items[i].p, a->items[i].len) !=
		    USSL_OK)
			return USSL_ERROR;
		*applied = i + 1;
	}
	return USSL_OK;
}

static void commit_ca(struct cfg *g, void *arg, size_t applied)
{
	struct ca_arg *a = arg;
	size_t i;

	/* The room was reserved by add_cas(). */
	for (i = 0; i < applied; i++) {
		g->ca[g->n_ca++] = a->items[i];
		a->items[i].p = NULL;
		a->items[i].len = 0;
	}
}

/* Add CA data in pieces (each one DER certificate or PEM text). */
static int add_cas(PyUsslContext *c, const struct blob *pieces, size_t n,
    pyussl_errinfo *e)
{
	struct ca_arg a;
	struct blob *grown;
	size_t i;
	int r = -1;

	a.n = n;
	a.items = PyMem_RawCalloc(n ? n : 1, sizeof(*a.items));
	if (a.items == NULL)
		goto nomem;
	for (i = 0; i < n; i++)
		if (blob_set(&a.items[i], pieces[i].p, pieces[i].len) < 0)
			goto nomem;
	/* Reserve cfg room first, so that commit cannot fail. */
	ctx_lock(c);
	grown = PyMem_RawRealloc(c->cfg.ca,
	    (c->cfg.n_ca + n + 1) * sizeof(*grown));
	if (grown != NULL)
		c->cfg.ca = grown;
	ctx_unlock(c);
	if (grown == NULL)
		goto nomem;
	r = modify(c, op_ca, commit_ca, &a, 1, e);
	goto out;
nomem:
	set_nomem(e);
out:
	if (a.items != NULL) {
		for (i = 0; i < n; i++)
			blob_free(&a.items[i]);
		PyMem_RawFree(a.items);
	}
	return r;
}

/*
 * CA data as the callers give it: PEM text (any number of certificates,
 * one piece for the core), or DER, where CPython allows several
 * certificates back to back: split at the top-level elements.
 */
static int add_ca_data(PyUsslContext *c, const unsigned char *data,
    size_t len, pyussl_errinfo *e)
{
	struct blob pieces[64], one;
	size_t n = 0, off = 0, hdr, body, k;
	int r;

	if (contains(data, len, "-----BEGIN"))
		goto whole;
	while (off < len) {
		if (len - off < 2 || data[off] != 0x30)
			goto whole;
		body = data[off + 1];
		hdr = 2;
		if (body & 0x80) {
			k = body & 0x7f;
			if (k == 0 || k > 4 || len - off - 2 < k)
				goto whole;
			body = 0;
			while (k--)
				body = (body << 8) | data[off + hdr++];
		}
		if (body > len - off - hdr)
			goto whole;
		if (n == sizeof(pieces) / sizeof(pieces[0])) {
			r = add_cas(c, pieces, n, e);
			if (r != 0)
				return r;
			n = 0;
		}
		pieces[n].p = (unsigned char *)data + off;
		pieces[n].len = hdr + body;
		n++;
		off += hdr + body;
	}
	if (n > 0)
		return add_cas(c, pieces, n, e);
whole:
	/* Not a clean run of DER elements: let the core judge it whole. */
	one.p = (unsigned char *)data;
	one.len = len;
	return add_cas(c, &one, 1, e);
}

int pyussl_context_add_ca(PyUsslContext *c, const unsigned char *data,
    size_t len, pyussl_errinfo *e)
{
	struct blob one;

	one.p = (unsigned char *)data;
	one.len = len;
	return add_cas(c, &one, 1, e);
}

/* --- string lists: ALPN and cipher suites --- */

struct strv_arg {
	char **v;
	size_t n;
	int which;               /* 0: ALPN, 1: ciphers */
};

static int op_strv(ussl_ctx *x, void *arg, size_t *applied)
{
	struct strv_arg *a = arg;
	int r = a->which == 0 ?
	    ussl_ctx_set_alpn(x, (const char *const *)a->v, a->n) :
	    ussl_ctx_set_ciphers(x, (const char *const *)a->v, a->n);

	*applied = r == USSL_OK;
	return r;
}

static void commit_strv(struct cfg *g, void *arg, size_t applied)
{
	struct strv_arg *a = arg;

	(void)applied;
	if (a->which == 0) {
		strv_free(g->alpn, g->n_alpn);
		g->alpn = a->v;
		g->n_alpn = a->n;
	} else {
		strv_free(g->ciphers, g->n_ciphers);
		g->ciphers = a->v;
		g->n_ciphers = a->n;
	}
	a->v = NULL;
	a->n = 0;
}

/* --- tickets --- */

static int op_tickets(ussl_ctx *x, void *arg, size_t *applied)
{
	int r = ussl_ctx_set_tickets(x, (unsigned)*(long *)arg);

	*applied = r == USSL_OK;
	return r;
}

static void commit_tickets(struct cfg *g, void *arg, size_t applied)
{
	(void)applied;
	g->tickets = *(long *)arg;
}

/* --- verification trampoline (cb_flags already updated) --- */

static int op_cb(ussl_ctx *x, void *arg, size_t *applied)
{
	PyUsslContext *c = arg;

	ussl_ctx_set_verify_cb(x, c->cb_flags != 0 ? verify_tramp : NULL, c);
	*applied = 1;
	return USSL_OK;
}

static void commit_nothing(struct cfg *g, void *arg, size_t applied)
{
	(void)g;
	(void)arg;
	(void)applied;
}

/* Install or remove the trampoline after verify_callback or
   check_hostname changed.  0 or -1 with an exception. */
static int apply_cb_flags(PyUsslContext *c)
{
	pyussl_errinfo e;

	update_cb_flags(c);
	if (modify(c, op_cb, commit_nothing, c, 0, &e) != 0) {
		pyussl_raise_setup_error(&e, NULL);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Life cycle                                                              */

static void cfg_free(struct cfg *g)
{
	size_t i;

	blob_free(&g->cert);
	blob_free(&g->key);
	if (g->password != NULL) {
		pyussl_wipe(g->password, strlen(g->password));
		PyMem_RawFree(g->password);
	}
	for (i = 0; i < g->n_ca; i++)
		blob_free(&g->ca[i]);
	PyMem_RawFree(g->ca);
	strv_free(g->alpn, g->n_alpn);
	strv_free(g->ciphers, g->n_ciphers);
	memset(g, 0, sizeof(*g));
}

PyUsslContext *pyussl_context_create(int role)
{
	PyUsslContext *c;
	pyussl_errinfo e;

	c = PyObject_GC_New(PyUsslContext, &PyUsslContext_Type);
	if (c == NULL)
		return NULL;
	c->weakreflist = NULL;
	c->role = role;
	c->mutex = NULL;
	c->ctx = NULL;
	c->used = 0;
	memset(&c->cfg, 0, sizeof(c->cfg));
	c->cfg.verify = role == USSL_CLIENT ? USSL_VERIFY_REQUIRED :
	    USSL_VERIFY_NONE;
	c->cfg.min_version = VERSION_MIN_SUPPORTED;
	c->cfg.max_version = VERSION_MAX_SUPPORTED;
	c->cfg.tickets = -1;
	c->check_hostname = role == USSL_CLIENT;
	c->options = 0;
	c->verify_cb = NULL;
	c->hits = c->misses = 0;
	update_cb_flags(c);
	c->sessions = PyDict_New();
	PyObject_GC_Track(c);
	if (c->sessions == NULL)
		goto fail;
	c->mutex = PyThread_allocate_lock();
	if (c->mutex == NULL) {
		PyErr_NoMemory();
		goto fail;
	}
	c->ctx = build(c, &e);
	if (c->ctx == NULL) {
		pyussl_raise_setup_error(&e, NULL);
		goto fail;
	}
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
	if (protocol != PROTOCOL_TLS_CLIENT && protocol != PROTOCOL_TLS_SERVER) {
		PyErr_SetString(PyExc_ValueError, "protocol must be "
		    "PROTOCOL_TLS_CLIENT or PROTOCOL_TLS_SERVER");
		return NULL;
	}
	return (PyObject *)pyussl_context_create(
	    protocol == PROTOCOL_TLS_CLIENT ? USSL_CLIENT : USSL_SERVER);
}

static int c_traverse(PyUsslContext *c, visitproc visit, void *arg)
{
	Py_VISIT(c->verify_cb);
	Py_VISIT(c->sessions);
	return 0;
}

static int c_clear(PyUsslContext *c)
{
	Py_CLEAR(c->verify_cb);
	Py_CLEAR(c->sessions);
	update_cb_flags(c);
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
	cfg_free(&c->cfg);
	if (c->mutex != NULL)
		PyThread_free_lock(c->mutex);
	Py_TYPE(c)->tp_free((PyObject *)c);
}

/* ---------------------------------------------------------------------- */
/* Session cache                                                           */

void pyussl_context_store_session(PyObject *obj, PyObject *key,
    PyObject *session)
{
	PyUsslContext *c = (PyUsslContext *)obj;
	PyObject *first;
	Py_ssize_t pos = 0;

	if (c->sessions == NULL || (c->options & OP_NO_TICKET))
		return;
	if (!PyDict_Contains(c->sessions, key) &&
	    PyDict_GET_SIZE(c->sessions) >= SESSIONS_MAX &&
	    PyDict_Next(c->sessions, &pos, &first, NULL)) {
		Py_INCREF(first);
		PyDict_DelItem(c->sessions, first);
		Py_DECREF(first);
	}
	if (PyDict_SetItem(c->sessions, key, session) < 0)
		PyErr_Clear();  /* a cache: losing an entry is no error */
}

PyObject *pyussl_context_find_session(PyObject *obj, PyObject *key)
{
	PyUsslContext *c = (PyUsslContext *)obj;
	PyObject *s;

	if (c->sessions == NULL || (c->options & OP_NO_TICKET))
		return NULL;
	s = PyDict_GetItemWithError(c->sessions, key);
	if (s == NULL) {
		PyErr_Clear();
		return NULL;
	}
	return Py_NewRef(s);
}

void pyussl_context_count_resumption(PyObject *obj, int reused)
{
	PyUsslContext *c = (PyUsslContext *)obj;

	if (reused)
		c->hits++;
	else
		c->misses++;
}

/* The cache key of a client connection: (server_hostname or the peer's
   address, port).  New reference, or NULL (no caching, no exception). */
static PyObject *session_key(PyObject *sock, PyObject *hostname)
{
	PyObject *peer, *key = NULL, *host, *port;

	peer = PyObject_CallMethod(sock, "getpeername", NULL);
	if (peer == NULL) {
		PyErr_Clear();
		return NULL;
	}
	if (PyTuple_Check(peer) && PyTuple_GET_SIZE(peer) >= 2) {
		host = hostname != Py_None ? hostname : PyTuple_GET_ITEM(peer, 0);
		port = PyTuple_GET_ITEM(peer, 1);
		key = PyTuple_Pack(2, host, port);
	} else {
		key = PyTuple_Pack(2, hostname, peer);
	}
	Py_DECREF(peer);
	if (key == NULL)
		PyErr_Clear();
	return key;
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

/* The peer's address as IDNA-free bytes, to stand in for a host name
   that is not checked (check_hostname off).  0 or -1. */
static int peer_ip_name(PyObject *sock, PyObject **out)
{
	PyObject *peer, *ip;

	peer = PyObject_CallMethod(sock, "getpeername", NULL);
	if (peer == NULL)
		return -1;
	if (!PyTuple_Check(peer) || PyTuple_GET_SIZE(peer) < 2 ||
	    !PyUnicode_Check(PyTuple_GET_ITEM(peer, 0))) {
		Py_DECREF(peer);
		PyErr_SetString(PyExc_ValueError, "verifying a peer that has "
		    "no IP address needs server_hostname");
		return -1;
	}
	ip = PyUnicode_AsASCIIString(PyTuple_GET_ITEM(peer, 0));
	Py_DECREF(peer);
	if (ip == NULL)
		return -1;
	*out = ip;
	return 0;
}

PyObject *pyussl_context_wrap(PyUsslContext *c, PyObject *sock,
    int server_side, int do_handshake, PyObject *hostname, int flags)
{
	PyObject *host = NULL, *key = NULL, *sess = NULL, *res = NULL, *hs;
	PyUsslSocket *s;
	ussl_error cerr;
	ussl_conn *conn;
	ussl_ctx *x;
	int fd, legacy = (flags & PYUSSL_SOCK_LEGACY) != 0;
	int offered = 0;

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
	if (!legacy && c->role == USSL_CLIENT &&
	    c->cfg.verify != USSL_VERIFY_NONE) {
		if (host == NULL && c->check_hostname) {
			PyErr_SetString(PyExc_ValueError, "check_hostname "
			    "requires server_hostname (or verify_mode = "
			    "CERT_NONE to skip verification)");
			goto out;
		}
		if (host == NULL && peer_ip_name(sock, &host) < 0)
			goto out;
		if (c->cfg.n_ca == 0) {
			raise_verify_setup("certificate verify failed: no "
			    "trusted CA certificates loaded (use "
			    "load_verify_locations() or load_default_certs())");
			goto out;
		}
	}
	if ((fd = pyussl_get_fd(sock)) < 0)
		goto out;
	if (!legacy && c->role == USSL_CLIENT && !(c->options & OP_NO_TICKET)) {
		key = session_key(sock, hostname);
		if (key != NULL)
			sess = pyussl_context_find_session((PyObject *)c, key);
	}

	ctx_lock(c);
	c->used = 1;
	x = ussl_ctx_ref(c->ctx);
	ctx_unlock(c);
	conn = ussl_conn_new(x, host != NULL ? PyBytes_AS_STRING(host) : NULL,
	    &cerr);
	ussl_ctx_free(x);       /* the connection keeps its reference */
	if (conn == NULL) {
		pyussl_errinfo e;

		pyussl_errinfo_copy(&e, &cerr);
		pyussl_raise_setup_error(&e, NULL);
		goto out;
	}
	if (sess != NULL) {
		PyObject *data = PyTuple_GET_ITEM(sess, 0);

		if (ussl_conn_set_session(conn,
		    (const unsigned char *)PyBytes_AS_STRING(data),
		    (size_t)PyBytes_GET_SIZE(data)) == USSL_OK) {
			offered = 1;
		} else if (PyDict_DelItem(c->sessions, key) < 0) {
			PyErr_Clear();
		}
	}
	res = pyussl_socket_new(sock, fd, conn, server_side);
	if (res == NULL)
		goto out;
	s = (PyUsslSocket *)res;
	s->context = Py_NewRef((PyObject *)c);
	s->flags = flags | (offered ? PYUSSL_SOCK_OFFERED : 0);
	s->hostname = hostname != Py_None ? Py_NewRef(hostname) : NULL;
	s->session_key = key;
	key = NULL;
	if (offered && PyTuple_GET_ITEM(sess, 1) != Py_None)
		s->session_cert = Py_NewRef(PyTuple_GET_ITEM(sess, 1));
	if (do_handshake) {
		hs = pyussl_do_handshake(s, NULL);
		if (hs == NULL)
			Py_CLEAR(res);
		Py_XDECREF(hs);
	}
out:
	Py_XDECREF(host);
	Py_XDECREF(key);
	Py_XDECREF(sess);
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
/* Loading material                                                        */

/* A str/PathLike names a file, anything bytes-like is the data itself. */
static int item_from(pyussl_item *it, PyObject *o)
{
	if (o == Py_None)
		return 0;
	if (PyObject_CheckBuffer(o))
		return pyussl_item_parse(it, Py_None, o);
	if (PyUnicode_Check(o) || PyObject_HasAttrString(o, "__fspath__"))
		return pyussl_item_parse(it, o, Py_None);
	PyErr_Format(PyExc_TypeError, "%s must be a path (str or os.PathLike) "
	    "or data (bytes-like), not %.100s", it->path_arg,
	    Py_TYPE(o)->tp_name);
	return -1;
}

static void raise_item_error(const pyussl_errinfo *e, const pyussl_item *a,
    const pyussl_item *b)
{
	PyObject *what = NULL, *l1, *l2;

	l1 = pyussl_item_label(a);
	if (l1 != NULL && b != NULL && pyussl_item_present(b)) {
		l2 = pyussl_item_label(b);
		if (l2 != NULL)
			what = PyUnicode_FromFormat("%U, %U", l1, l2);
		Py_XDECREF(l2);
		Py_DECREF(l1);
	} else {
		what = l1;
	}
	if (what == NULL)
		PyErr_Clear();
	pyussl_raise_setup_error(e, what);
	Py_XDECREF(what);
}

/* password: None, str, bytes-like, or a callable returning one of those.
   *out is a PyMem_Raw copy (or NULL for None).  0 or -1. */
static int get_password(PyObject *o, char **out)
{
	PyObject *v = NULL, *b = NULL;
	Py_buffer view;
	int r = -1;

	*out = NULL;
	if (o == Py_None)
		return 0;
	if (PyCallable_Check(o)) {
		v = PyObject_CallNoArgs(o);
		if (v == NULL)
			return -1;
		o = v;
	}
	if (PyUnicode_Check(o)) {
		b = PyUnicode_AsUTF8String(o);
		if (b == NULL)
			goto out;
		o = b;
	}
	if (!PyObject_CheckBuffer(o)) {
		PyErr_Format(PyExc_TypeError, "password must be str, bytes or "
		    "a callable returning one, not %.100s", Py_TYPE(o)->tp_name);
		goto out;
	}
	if (PyObject_GetBuffer(o, &view, PyBUF_SIMPLE) < 0)
		goto out;
	if (memchr(view.buf, 0, (size_t)view.len) != NULL) {
		PyErr_SetString(PyExc_ValueError, "password contains a NUL");
	} else if ((*out = str_dup(view.buf, (size_t)view.len)) == NULL) {
		PyErr_NoMemory();
	} else {
		r = 0;
	}
	PyBuffer_Release(&view);
out:
	Py_XDECREF(b);
	Py_XDECREF(v);
	return r;
}

PyDoc_STRVAR(load_cert_chain_doc,
"load_cert_chain($self, /, certfile, keyfile=None, password=None)\n--\n\n"
"Load this side's certificate chain (leaf first, then intermediates,\n"
"which are sent to the peer) and private key.  A str or os.PathLike is a\n"
"file name, bytes-like is the data itself (PEM or DER).  Without keyfile\n"
"the key is read from certfile.  password (str, bytes or a callable\n"
"returning them) decrypts an encrypted key.");

static PyObject *c_load_cert_chain(PyUsslContext *c, PyObject *args,
    PyObject *kw)
{
	static char *kwlist[] = { "certfile", "keyfile", "password", NULL };
	PyObject *certfile, *keyfile = Py_None, *pw_obj = Py_None;
	const unsigned char *cp, *kp;
	pyussl_item it_cert, it_key;
	pyussl_errinfo e;
	PyObject *res = NULL;
	char *pw = NULL;
	size_t cl, kl;

	pyussl_item_init(&it_cert, "certfile", "certfile");
	pyussl_item_init(&it_key, "keyfile", "keyfile");
	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OO:load_cert_chain",
	    kwlist, &certfile, &keyfile, &pw_obj))
		return NULL;
	if (certfile == Py_None) {
		PyErr_SetString(PyExc_TypeError, "certfile must not be None");
		return NULL;
	}
	if (item_from(&it_cert, certfile) < 0 || item_from(&it_key, keyfile) < 0)
		goto out;
	if (get_password(pw_obj, &pw) < 0)
		goto out;
	if (pyussl_item_load(&it_cert) < 0 || pyussl_item_load(&it_key) < 0)
		goto out;
	pyussl_item_bytes(&it_cert, &cp, &cl);
	pyussl_item_bytes(&it_key, &kp, &kl);
	if (pyussl_context_set_chain(c, cp, cl, kp, kl, pw, &e) != 0) {
		raise_item_error(&e, &it_cert, &it_key);
		goto out;
	}
	res = Py_NewRef(Py_None);
out:
	if (pw != NULL) {
		pyussl_wipe(pw, strlen(pw));
		PyMem_RawFree(pw);
	}
	pyussl_item_free(&it_cert);
	pyussl_item_free(&it_key);
	return res;
}

/* Load one file of trusted certificates.  0 or -1 with an exception. */
static int load_ca_item(PyUsslContext *c, pyussl_item *it)
{
	const unsigned char *p;
	pyussl_errinfo e;
	size_t len;

	if (pyussl_item_load(it) < 0)
		return -1;
	pyussl_item_bytes(it, &p, &len);
	if (add_ca_data(c, p, len, &e) != 0) {
		raise_item_error(&e, it, NULL);
		return -1;
	}
	return 0;
}

/*
 * capath: every regular file in the directory that holds a PEM
 * certificate (OpenSSL looks up hashed names instead; loading them all
 * gives the same trust).  Returns 0 or -1 with an exception.
 */
static int load_ca_dir(PyUsslContext *c, PyObject *dir_obj)
{
	PyObject *dir_b = NULL, *path = NULL;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int r = -1;

	if (!PyUnicode_FSConverter(dir_obj, &dir_b))
		return -1;
	d = opendir(PyBytes_AS_STRING(dir_b));
	if (d == NULL) {
		PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, dir_obj);
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		pyussl_item it;
		const unsigned char *p;
		size_t len;

		if (de->d_name[0] == '.')
			continue;
		path = PyBytes_FromFormat("%s/%s", PyBytes_AS_STRING(dir_b),
		    de->d_name);
		if (path == NULL)
			goto close;
		if (stat(PyBytes_AS_STRING(path), &st) != 0 ||
		    !S_ISREG(st.st_mode)) {
			Py_CLEAR(path);
			continue;
		}
		pyussl_item_init(&it, "capath", "capath");
		if (pyussl_item_parse(&it, path, Py_None) < 0 ||
		    pyussl_item_load(&it) < 0) {
			/* Unreadable or empty files give no trust: skip. */
			PyErr_Clear();
			pyussl_item_free(&it);
			Py_CLEAR(path);
			continue;
		}
		pyussl_item_bytes(&it, &p, &len);
		if (contains(p, len, "-----BEGIN CERTIFICATE-----") &&
		    load_ca_item(c, &it) < 0) {
			pyussl_item_free(&it);
			goto close;
		}
		pyussl_item_free(&it);
		Py_CLEAR(path);
	}
	r = 0;
close:
	closedir(d);
out:
	Py_XDECREF(path);
	Py_XDECREF(dir_b);
	return r;
}

PyDoc_STRVAR(load_verify_locations_doc,
"load_verify_locations($self, /, cafile=None, capath=None, cadata=None)\n"
"--\n\n"
"Add trusted CA certificates.  cafile: a file name (str or os.PathLike)\n"
"or, as in MicroPython, the data itself (bytes-like).  capath: a\n"
"directory whose PEM files are all loaded.  cadata: PEM text (str or\n"
"bytes) or DER bytes (one certificate or several back to back).  A\n"
"bytes-like second positional argument is taken as cadata, following\n"
"MicroPython's load_verify_locations(cafile, cadata).");

static PyObject *c_load_verify_locations(PyUsslContext *c, PyObject *args,
    PyObject *kw)
{
	static char *kwlist[] = { "cafile", "capath", "cadata", NULL };
	PyObject *cafile = Py_None, *capath = Py_None, *cadata = Py_None;
	PyObject *res = NULL, *ascii = NULL;
	pyussl_item it_file, it_data;

	pyussl_item_init(&it_file, "cafile", "cafile");
	pyussl_item_init(&it_data, "cadata", "cadata");
	if (!PyArg_ParseTupleAndKeywords(args, kw, "|OOO:load_verify_locations",
	    kwlist, &cafile, &capath, &cadata))
		return NULL;
	if (capath != Py_None && cadata == Py_None &&
	    PyObject_CheckBuffer(capath)) {
		cadata = capath;
		capath = Py_None;
	}
	if (cafile == Py_None && capath == Py_None && cadata == Py_None) {
		PyErr_SetString(PyExc_TypeError, "cafile, capath and cadata "
		    "cannot be all omitted");
		return NULL;
	}
	if (PyUnicode_Check(cadata)) {
		ascii = PyUnicode_AsASCIIString(cadata);
		if (ascii == NULL)
			return NULL;
		cadata = ascii;
	} else if (cadata != Py_None && !PyObject_CheckBuffer(cadata)) {
		PyErr_Format(PyExc_TypeError, "cadata should be an ASCII string "
		    "or a bytes-like object, not %.100s",
		    Py_TYPE(cadata)->tp_name);
		return NULL;
	}
	if (item_from(&it_file, cafile) < 0 ||
	    pyussl_item_parse(&it_data, Py_None, cadata) < 0)
		goto out;
	if (pyussl_item_present(&it_file) && load_ca_item(c, &it_file) < 0)
		goto out;
	if (capath != Py_None && load_ca_dir(c, capath) < 0)
		goto out;
	if (pyussl_item_present(&it_data) && load_ca_item(c, &it_data) < 0)
		goto out;
	res = Py_NewRef(Py_None);
out:
	Py_XDECREF(ascii);
	pyussl_item_free(&it_file);
	pyussl_item_free(&it_data);
	return res;
}

/* Where Linux distributions keep their CA bundle. */
static const char *const default_bundles[] = {
	"/etc/ssl/certs/ca-certificates.crt",   /* Debian, Ubuntu, Alpine */
	"/etc/pki/tls/certs/ca-bundle.crt",     /* Fedora, RHEL */
	"/etc/ssl/ca-bundle.pem",               /* openSUSE */
	"/etc/ssl/cert.pem",                    /* macOS, BSDs */
};

PyDoc_STRVAR(load_default_certs_doc,
"load_default_certs($self, /, purpose=None)\n--\n\n"
"Trust the system's CA certificates: the file named by SSL_CERT_FILE\n"
"and the directory named by SSL_CERT_DIR if set, else the first bundle\n"
"found in the usual places.  Nothing is loaded if there is none.");

static PyObject *c_load_default_certs(PyUsslContext *c, PyObject *args,
    PyObject *kw)
{
	static char *kwlist[] = { "purpose", NULL };
	PyObject *purpose = Py_None, *o;
	const char *env_file, *env_dir;
	pyussl_item it;
	struct stat st;
	size_t i;
	int r;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:load_default_certs",
	    kwlist, &purpose))
		return NULL;
	env_file = getenv("SSL_CERT_FILE");
	env_dir = getenv("SSL_CERT_DIR");
	for (i = 0; env_file == NULL && env_dir == NULL &&
	    i < sizeof(default_bundles) / sizeof(default_bundles[0]); i++) {
		if (stat(default_bundles[i], &st) == 0 && S_ISREG(st.st_mode))
			env_file = default_bundles[i];
	}
	if (env_file != NULL && env_file[0] != '\0') {
		o = PyUnicode_DecodeFSDefault(env_file);
		if (o == NULL)
			return NULL;
		pyussl_item_init(&it, "cafile", "cafile");
		r = pyussl_item_parse(&it, o, Py_None) < 0 ? -1 :
		    load_ca_item(c, &it);
		pyussl_item_free(&it);
		Py_DECREF(o);
		if (r < 0)
			return NULL;
	}
	if (env_dir != NULL && env_dir[0] != '\0') {
		o = PyUnicode_DecodeFSDefault(env_dir);
		if (o == NULL)
			return NULL;
		r = load_ca_dir(c, o);
		Py_DECREF(o);
		if (r < 0)
			return NULL;
	}
	Py_RETURN_NONE;
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
	ctx_lock(c);
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
	ctx_unlock(c);
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

/* A list of names from a sequence of str/bytes (or, for ciphers, one
   str separated by ':' or ','). 0 or -1. */
static int names_from(PyObject *o, const char *what, int split,
    struct strv_arg *a)
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
		a->v[i] = str_dup(p, (size_t)len);
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
	strv_free(a->v, a->n);
	a->v = NULL;
	a->n = 0;
	return -1;
}

static PyObject *set_strv(PyUsslContext *c, PyObject *o, int which,
    const char *what)
{
	struct strv_arg a;
	pyussl_errinfo e;
	PyObject *label;
	int r;

	if (names_from(o, what, which == 1, &a) < 0)
		return NULL;
	if (which == 1 && a.n == 0) {
		strv_free(a.v, a.n);
		PyErr_SetString(PyExc_ValueError,
		    "set_ciphers: no cipher suite named");
		return NULL;
	}
	a.which = which;
	r = modify(c, op_strv, commit_strv, &a, 0, &e);
	strv_free(a.v, a.n);
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
	(void)unused;
	return Py_BuildValue("{s:n,s:k,s:k}", "number",
	    c->sessions != NULL ? PyDict_GET_SIZE(c->sessions) : 0,
	    "hits", c->hits, "misses", c->misses);
}

/* ---------------------------------------------------------------------- */
/* Attributes                                                              */

static PyObject *get_protocol(PyUsslContext *c, void *closure)
{
	(void)closure;
	return PyLong_FromLong(c->role == USSL_CLIENT ? PROTOCOL_TLS_CLIENT :
	    PROTOCOL_TLS_SERVER);
}

static PyObject *get_verify_mode(PyUsslContext *c, void *closure)
{
	(void)closure;
	return PyLong_FromLong(c->cfg.verify);
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
		return apply_cb_flags(c);
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
	if (on && c->cfg.verify == USSL_VERIFY_NONE &&
	    set_verify_value(c, USSL_VERIFY_REQUIRED) < 0)
		return -1;
	if (on != c->check_hostname) {
		c->check_hostname = on;
		return apply_cb_flags(c);
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
		lifetime = (opts & OP_NO_TICKET) ? 0 : 7200;
		if (modify(c, op_tickets, commit_tickets, &lifetime, 0, &e)) {
			pyussl_raise_setup_error(&e, NULL);
			return -1;
		}
	}
	if (opts & OP_NO_TICKET)
		forget_sessions(c);
	c->options = opts;
	return 0;
}

static PyObject *get_ticket_lifetime(PyUsslContext *c, void *closure)
{
	(void)closure;
	if (c->role != USSL_SERVER)
		Py_RETURN_NONE;
	return PyLong_FromLong(c->cfg.tickets >= 0 ? c->cfg.tickets : 7200);
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
	if (modify(c, op_tickets, commit_tickets, &lifetime, 0, &e) != 0) {
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
	return apply_cb_flags(c);
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
		    "(TLSv1_2, TLSv1_3, or MINIMUM_SUPPORTED/MAXIMUM_SUPPORTED)");
		return -1;
	}
	*out = (int)x;
	return 0;
}

static int set_versions(PyUsslContext *c, int min, int max)
{
	struct versions_arg a;
	pyussl_errinfo e;

	a.min = min;
	a.max = max;
	if (modify(c, op_versions, commit_versions, &a, 0, &e) != 0) {
		pyussl_raise_setup_error(&e, NULL);
		return -1;
	}
	return 0;
}

static PyObject *get_min_version(PyUsslContext *c, void *closure)
{
	(void)closure;
	return PyLong_FromLong(c->cfg.min_version);
}

static int set_min_version(PyUsslContext *c, PyObject *v, void *closure)
{
	int x;

	(void)closure;
	if (version_value(v, &x) < 0)
		return -1;
	return set_versions(c, x, c->cfg.max_version);
}

static PyObject *get_max_version(PyUsslContext *c, void *closure)
{
	(void)closure;
	return PyLong_FromLong(c->cfg.max_version);
}

static int set_max_version(PyUsslContext *c, PyObject *v, void *closure)
{
	int x;

	(void)closure;
	if (version_value(v, &x) < 0)
		return -1;
	return set_versions(c, c->cfg.min_version, x);
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
		r = k != NULL ? c_load_verify_locations(c, a, k) : NULL;
		Py_XDECREF(a);
		Py_XDECREF(k);
	} else {
		a = PyTuple_New(0);
		r = a != NULL ? c_load_default_certs(c, a, NULL) : NULL;
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
	    c->role == USSL_CLIENT ? "client" : "server", c->cfg.verify);
}

static PyMethodDef c_methods[] = {
	{ "wrap_socket", (PyCFunction)(void (*)(void))c_wrap_socket,
	  METH_VARARGS | METH_KEYWORDS, wrap_socket_doc },
	{ "load_cert_chain", (PyCFunction)(void (*)(void))c_load_cert_chain,
	  METH_VARARGS | METH_KEYWORDS, load_cert_chain_doc },
	{ "load_verify_locations",
	  (PyCFunction)(void (*)(void))c_load_verify_locations,
	  METH_VARARGS | METH_KEYWORDS, load_verify_locations_doc },
	{ "load_default_certs",
	  (PyCFunction)(void (*)(void))c_load_default_certs,
	  METH_VARARGS | METH_KEYWORDS, load_default_certs_doc },
	{ "set_default_verify_paths",
	  (PyCFunction)(void (*)(void))c_load_default_certs,
	  METH_VARARGS | METH_KEYWORDS, load_default_certs_doc },
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
