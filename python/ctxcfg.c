/*
 * ctxcfg.c - the configuration an SSLContext keeps (cfg), the engine
 * contexts built from it, and every change to it: made in place while no
 * connection uses the engine context, else on a fresh one that replaces
 * it (see ctxint.h).  The verification trampoline is in verifycb.c.
 */
#include "ctxint.h"

#include <string.h>

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

void pyussl_ctx_strv_free(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		PyMem_RawFree(v[i]);
	PyMem_RawFree(v);
}

char *pyussl_ctx_str_dup(const char *s, size_t len)
{
	char *d = PyMem_RawMalloc(len + 1);

	if (d != NULL) {
		memcpy(d, s, len);
		d[len] = '\0';
	}
	return d;
}

/* memmem() is not standard C. */
int pyussl_ctx_contains(const unsigned char *p, size_t len,
    const char *needle)
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
void pyussl_ctx_lock(PyUsslContext *c)
{
	if (PyThread_acquire_lock(c->mutex, NOWAIT_LOCK))
		return;
	Py_BEGIN_ALLOW_THREADS
	PyThread_acquire_lock(c->mutex, WAIT_LOCK);
	Py_END_ALLOW_THREADS
}

void pyussl_ctx_unlock(PyUsslContext *c)
{
	PyThread_release_lock(c->mutex);
}

static int to_core_version(int v)
{
	return v == VERSION_MIN_SUPPORTED || v == VERSION_MAX_SUPPORTED ?
	    0 : v;
}

/* ---------------------------------------------------------------------- */
/* Building and changing the engine context                               */

/* See ctxint.h. */
ussl_ctx *pyussl_ctx_build(PyUsslContext *c, pyussl_errinfo *e)
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
	if (g->relax != 0 && ussl_ctx_set_verify_relax(x, g->relax) != USSL_OK)
		goto fail;
	if (g->max_frag != 0 &&
	    ussl_ctx_set_max_fragment(x, g->max_frag) != USSL_OK)
		goto fail;
	/* Only when needed: the engine's plain path otherwise. */
	if (c->cb_flags != 0)
		ussl_ctx_set_verify_cb(x, pyussl_verify_tramp, c);
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

void pyussl_ctx_forget_sessions(PyUsslContext *c)
{
	pyussl_ctx_lock(c);
	ussl_ctx_flush_sessions(c->ctx);
	pyussl_ctx_unlock(c);
}

static int modify(PyUsslContext *c, ctx_op op, cfg_commit commit, void *arg,
    int slow, pyussl_errinfo *e)
{
	ussl_ctx *target, *fresh = NULL, *old = NULL;
	size_t applied = 0;
	int r = USSL_ERROR;
	PyThreadState *ts = NULL;

	pyussl_ctx_lock(c);
	if (slow || c->used)
		ts = PyEval_SaveThread();
	target = c->used ? (fresh = pyussl_ctx_build(c, e)) : c->ctx;
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
	pyussl_ctx_unlock(c);
	ussl_ctx_free(fresh);
	ussl_ctx_free(old);
	/* A session made under other settings must not skip the new ones. */
	if (applied > 0)
		pyussl_ctx_forget_sessions(c);
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
	    (a.password = pyussl_ctx_str_dup(password,
	    strlen(password))) == NULL)) {
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
	pyussl_ctx_lock(c);
	grown = PyMem_RawRealloc(c->cfg.ca,
	    (c->cfg.n_ca + n + 1) * sizeof(*grown));
	if (grown != NULL)
		c->cfg.ca = grown;
	pyussl_ctx_unlock(c);
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
int pyussl_ctx_add_ca_data(PyUsslContext *c, const unsigned char *data,
    size_t len, pyussl_errinfo *e)
{
	struct blob pieces[64], one;
	size_t n = 0, off = 0, hdr, body, k;
	int r;

	if (pyussl_ctx_contains(data, len, "-----BEGIN"))
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
		pyussl_ctx_strv_free(g->alpn, g->n_alpn);
		g->alpn = a->v;
		g->n_alpn = a->n;
	} else {
		pyussl_ctx_strv_free(g->ciphers, g->n_ciphers);
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

/* --- policy relaxations (verify_relax) --- */

static int op_relax(ussl_ctx *x, void *arg, size_t *applied)
{
	int r = ussl_ctx_set_verify_relax(x, *(unsigned *)arg);

	*applied = r == USSL_OK;
	return r;
}

static void commit_relax(struct cfg *g, void *arg, size_t applied)
{
	(void)applied;
	g->relax = *(unsigned *)arg;
}

/* --- max_fragment_length --- */

static int op_max_frag(ussl_ctx *x, void *arg, size_t *applied)
{
	int r = ussl_ctx_set_max_fragment(x, *(unsigned *)arg);

	*applied = r == USSL_OK;
	return r;
}

static void commit_max_frag(struct cfg *g, void *arg, size_t applied)
{
	(void)applied;
	g->max_frag = *(unsigned *)arg;
}

/* --- verification trampoline (cb_flags already updated) --- */

static int op_cb(ussl_ctx *x, void *arg, size_t *applied)
{
	PyUsslContext *c = arg;

	ussl_ctx_set_verify_cb(x, c->cb_flags != 0 ? pyussl_verify_tramp : NULL,
	    c);
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
int pyussl_ctx_apply_cb_flags(PyUsslContext *c)
{
	pyussl_errinfo e;

	pyussl_ctx_update_cb_flags(c);
	if (modify(c, op_cb, commit_nothing, c, 0, &e) != 0) {
		pyussl_raise_setup_error(&e, NULL);
		return -1;
	}
	return 0;
}

void pyussl_ctx_cfg_free(struct cfg *g)
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
	pyussl_ctx_strv_free(g->alpn, g->n_alpn);
	pyussl_ctx_strv_free(g->ciphers, g->n_ciphers);
	memset(g, 0, sizeof(*g));
}

/* ---------------------------------------------------------------------- */
/* Setters for context.c                                                   */

int pyussl_ctx_set_versions(PyUsslContext *c, int min, int max,
    pyussl_errinfo *e)
{
	struct versions_arg a;

	a.min = min;
	a.max = max;
	return modify(c, op_versions, commit_versions, &a, 0, e);
}

int pyussl_ctx_set_tickets(PyUsslContext *c, long lifetime,
    pyussl_errinfo *e)
{
	return modify(c, op_tickets, commit_tickets, &lifetime, 0, e);
}

int pyussl_ctx_set_names(PyUsslContext *c, int which, char **v, size_t n,
    pyussl_errinfo *e)
{
	struct strv_arg a;
	int r;

	a.v = v;
	a.n = n;
	a.which = which;
	r = modify(c, op_strv, commit_strv, &a, 0, e);
	pyussl_ctx_strv_free(a.v, a.n);     /* emptied by commit on success */
	return r;
}

/* ---------------------------------------------------------------------- */
/* SSLContext.verify_relax                                                 */

PyObject *pyussl_ctx_get_verify_relax(PyUsslContext *c, void *closure)
{
	(void)closure;
	return PyLong_FromUnsignedLong(c->cfg.relax);
}

/* Sessions made under the old flags are forgotten (modify), so that a
   resumption never skips a check the new flags make. */
int pyussl_ctx_set_verify_relax(PyUsslContext *c, PyObject *v,
    void *closure)
{
	pyussl_errinfo e;
	unsigned flags;
	long n;

	(void)closure;
	if (v == NULL) {
		PyErr_SetString(PyExc_AttributeError,
		    "cannot delete verify_relax");
		return -1;
	}
	if (!PyLong_Check(v)) {
		PyErr_Format(PyExc_TypeError, "verify_relax must be an int, "
		    "not %.100s", Py_TYPE(v)->tp_name);
		return -1;
	}
	n = PyLong_AsLong(v);
	if (n == -1 && PyErr_Occurred())
		return -1;
	if (n < 0 || ((unsigned long)n & ~(unsigned long)USSL_RELAX_ALL) != 0) {
		PyErr_Format(PyExc_ValueError, "verify_relax %ld: only "
		    "RELAX_CN_ONLY, RELAX_NO_EKU and RELAX_LEGACY_CA may be "
		    "set", n);
		return -1;
	}
	flags = (unsigned)n;
	if (flags == c->cfg.relax)
		return 0;
	if (modify(c, op_relax, commit_relax, &flags, 0, &e) != 0) {
		pyussl_raise_setup_error(&e, NULL);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* SSLContext.max_fragment_length                                          */

PyObject *pyussl_ctx_get_max_frag(PyUsslContext *c, void *closure)
{
	(void)closure;
	if (c->cfg.max_frag == 0)
		Py_RETURN_NONE;
	return PyLong_FromUnsignedLong(c->cfg.max_frag);
}

int pyussl_ctx_set_max_frag(PyUsslContext *c, PyObject *v, void *closure)
{
	pyussl_errinfo e;
	unsigned len;
	long n = 0;

	(void)closure;
	if (v == NULL) {
		PyErr_SetString(PyExc_AttributeError,
		    "cannot delete max_fragment_length");
		return -1;
	}
	if (v != Py_None) {
		if (!PyLong_Check(v)) {
			PyErr_Format(PyExc_TypeError, "max_fragment_length "
			    "must be None or an int, not %.100s",
			    Py_TYPE(v)->tp_name);
			return -1;
		}
		n = PyLong_AsLong(v);
		if (n == -1 && PyErr_Occurred())
			return -1;
		if (n != 512 && n != 1024 && n != 2048 && n != 4096) {
			PyErr_Format(PyExc_ValueError, "max_fragment_length %ld:"
			    " use 512, 1024, 2048, 4096 or None", n);
			return -1;
		}
	}
	if (c->role != USSL_CLIENT) {
		PyErr_SetString(PyExc_ValueError, "max_fragment_length is "
		    "asked for by clients (servers honour it by themselves)");
		return -1;
	}
	len = (unsigned)n;
	if (len == c->cfg.max_frag)
		return 0;
	if (modify(c, op_max_frag, commit_max_frag, &len, 0, &e) != 0) {
		pyussl_raise_setup_error(&e, NULL);
		return -1;
	}
	return 0;
}
