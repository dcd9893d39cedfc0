/*
 * ctxcfg.c - every change to an SSLContext's settings: made in place on
 * its ussl_ctx while no connection uses it, else on a copy
 * (ussl_ctx_dup) that replaces it, so that connections keep what they
 * were made with (see ctxint.h).  Also the state handed to the
 * verification trampoline (verifycb.c) of each ussl_ctx.
 */
#include "ctxint.h"

#include <string.h>

/* ---------------------------------------------------------------------- */
/* Small helpers                                                           */

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
/* Changing the settings                                                   */

int pyussl_ctx_init_core(PyUsslContext *c)
{
	c->ctx = ussl_ctx_new(c->role | (c->dtls ? USSL_DTLS : 0));
	if (c->ctx == NULL) {
		PyErr_NoMemory();
		return -1;
	}
	return 0;
}

/*
 * One change: op applies it to x (possibly without the GIL) and counts
 * in *applied the units that took (several CA certificates may be added
 * by one call, and those before a bad one stay).  Returns USSL_OK or
 * USSL_ERROR with the error in x.
 */
typedef int (*ctx_op)(ussl_ctx *x, void *arg, size_t *applied);

void pyussl_ctx_forget_sessions(PyUsslContext *c)
{
	pyussl_ctx_lock(c);
	ussl_ctx_flush_sessions(c->ctx);
	pyussl_ctx_unlock(c);
}

/*
 * Apply op to c's ussl_ctx: in place while no connection uses it, else
 * to a copy that replaces it once something took.  slow: release the
 * GIL (keys and certificates are parsed).  Called with the GIL held;
 * 0, or -1 with *e filled.
 */
static int modify(PyUsslContext *c, ctx_op op, void *arg, int slow,
    pyussl_errinfo *e)
{
	ussl_ctx *target, *fresh = NULL, *old = NULL;
	PyThreadState *ts = NULL;
	size_t applied = 0;
	int r = USSL_ERROR, frozen;

	pyussl_ctx_lock(c);
	frozen = ussl_ctx_frozen(c->ctx);
	if (slow || frozen)
		ts = PyEval_SaveThread();
	target = frozen ? (fresh = ussl_ctx_dup(c->ctx)) : c->ctx;
	if (target == NULL) {
		set_nomem(e);
	} else {
		r = op(target, arg, &applied);
		if (r != USSL_OK)
			pyussl_errinfo_copy(e, ussl_ctx_error(target));
	}
	if (ts != NULL)
		PyEval_RestoreThread(ts);
	if (applied > 0 && fresh != NULL) {
		old = c->ctx;
		c->ctx = fresh;
		fresh = NULL;
		/* The copy shares the trampoline state with the connections
		   of old: it must not change any more. */
		if (c->vcb != NULL)
			c->vcb->owner = NULL;
	}
	pyussl_ctx_unlock(c);
	ussl_ctx_free(fresh);
	ussl_ctx_free(old);     /* its connections hold their references */
	/* A session made under other settings must not skip the new ones. */
	if (applied > 0)
		pyussl_ctx_forget_sessions(c);
	return r == USSL_OK ? 0 : -1;
}

int pyussl_ctx_modify(PyUsslContext *c, pyussl_ctx_op op, void *arg,
    int slow, pyussl_errinfo *e)
{
	return modify(c, op, arg, slow, e);
}

/* --- verify mode --- */

static int op_verify(ussl_ctx *x, void *arg, size_t *applied)
{
	int r = ussl_ctx_set_verify(x, *(int *)arg);

	*applied = r == USSL_OK;
	return r;
}

int pyussl_context_set_verify(PyUsslContext *c, int mode, pyussl_errinfo *e)
{
	if (modify(c, op_verify, &mode, 0, e) != 0)
		return -1;
	c->verify = mode;
	return 0;
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

int pyussl_ctx_set_versions(PyUsslContext *c, int min, int max,
    pyussl_errinfo *e)
{
	struct versions_arg a;

	a.min = min;
	a.max = max;
	if (modify(c, op_versions, &a, 0, e) != 0)
		return -1;
	c->min_version = min;
	c->max_version = max;
	return 0;
}

/* --- own chain --- */

struct chain_arg {
	const unsigned char *cert, *key;
	size_t cert_len, key_len;
	const char *password;
};

static int op_chain(ussl_ctx *x, void *arg, size_t *applied)
{
	struct chain_arg *a = arg;
	int r = ussl_ctx_use_cert_chain(x, a->cert, a->cert_len, a->key,
	    a->key_len, a->password);

	*applied = r == USSL_OK;
	return r;
}

/* The caller keeps the data alive during the call (the GIL is let go
   while it is parsed). */
int pyussl_context_set_chain(PyUsslContext *c, const unsigned char *cert,
    size_t cert_len, const unsigned char *key, size_t key_len,
    const char *password, pyussl_errinfo *e)
{
	struct chain_arg a;

	a.cert = cert;
	a.cert_len = cert_len;
	a.key = key;
	a.key_len = key_len;
	a.password = password;
	return modify(c, op_chain, &a, 1, e);
}

/* --- trusted CAs --- */

struct piece {
	const unsigned char *p;
	size_t len;
};

struct ca_arg {
	const struct piece *items;
	size_t n;
	size_t applied;          /* how many took */
};

static int op_ca(ussl_ctx *x, void *arg, size_t *applied)
{
	struct ca_arg *a = arg;
	size_t i;

	for (i = 0; i < a->n; i++) {
		if (ussl_ctx_add_ca(x, a->items[i].p, a->items[i].len) !=
		    USSL_OK)
			return USSL_ERROR;
		*applied = a->applied = i + 1;
	}
	return USSL_OK;
}

/* Add CA data in pieces (each one DER certificate or PEM text). */
static int add_cas(PyUsslContext *c, const struct piece *pieces, size_t n,
    pyussl_errinfo *e)
{
	struct ca_arg a;
	int r;

	a.items = pieces;
	a.n = n;
	a.applied = 0;
	r = modify(c, op_ca, &a, 1, e);
	/* Those before a bad one stay loaded. */
	if (a.applied > 0)
		c->has_ca = 1;
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
	struct piece pieces[64], one;
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
		pieces[n].p = data + off;
		pieces[n].len = hdr + body;
		n++;
		off += hdr + body;
	}
	if (n > 0)
		return add_cas(c, pieces, n, e);
whole:
	/* Not a clean run of DER elements: let the core judge it whole. */
	one.p = data;
	one.len = len;
	return add_cas(c, &one, 1, e);
}

int pyussl_context_add_ca(PyUsslContext *c, const unsigned char *data,
    size_t len, pyussl_errinfo *e)
{
	struct piece one;

	one.p = data;
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

int pyussl_ctx_set_names(PyUsslContext *c, int which, char **v, size_t n,
    pyussl_errinfo *e)
{
	struct strv_arg a;

	a.v = v;
	a.n = n;
	a.which = which;
	return modify(c, op_strv, &a, 0, e);
}

/* --- tickets --- */

static int op_tickets(ussl_ctx *x, void *arg, size_t *applied)
{
	int r = ussl_ctx_set_tickets(x, (unsigned)*(long *)arg);

	*applied = r == USSL_OK;
	return r;
}

int pyussl_ctx_set_tickets(PyUsslContext *c, long lifetime,
    pyussl_errinfo *e)
{
	if (modify(c, op_tickets, &lifetime, 0, e) != 0)
		return -1;
	c->tickets = lifetime;
	return 0;
}

/* --- policy relaxations (verify_relax) --- */

static int op_relax(ussl_ctx *x, void *arg, size_t *applied)
{
	int r = ussl_ctx_set_verify_relax(x, *(unsigned *)arg);

	*applied = r == USSL_OK;
	return r;
}

/* --- max_fragment_length --- */

static int op_max_frag(ussl_ctx *x, void *arg, size_t *applied)
{
	int r = ussl_ctx_set_max_fragment(x, *(unsigned *)arg);

	*applied = r == USSL_OK;
	return r;
}

/* --- verification trampoline (cb_flags already updated) --- */

/*
 * The trampoline's state for x: the newest one if x (not frozen) alone
 * uses it, else a new one (the older ones stay, for the connections and
 * copies that use them); x NULL: for a copy still to be made.  GIL and
 * mutex held.  NULL if out of memory.
 */
static struct pyussl_vcb *vcb_for(PyUsslContext *c, ussl_ctx *x)
{
	struct pyussl_vcb *v = c->vcb;

	if (x != NULL && v != NULL && v->owner == x)
		return v;
	v = PyMem_RawCalloc(1, sizeof(*v));
	if (v == NULL)
		return NULL;
	v->next = c->vcb;
	c->vcb = v;
	v->owner = x;
	return v;
}

struct cb_arg {
	struct pyussl_vcb *v;    /* NULL: no trampoline */
	unsigned relax;          /* verify_relax plus check_hostname's part */
};

static int op_cb(ussl_ctx *x, void *arg, size_t *applied)
{
	struct cb_arg *a = arg;
	int r;

	/* check_hostname off is the core's USSL_RELAX_NO_NAME. */
	r = ussl_ctx_set_verify_relax(x, a->relax);
	if (r == USSL_OK)
		r = a->v != NULL ?
		    ussl_ctx_set_verify_cb(x, pyussl_verify_tramp, a->v) :
		    ussl_ctx_set_verify_cb(x, NULL, NULL);
	*applied = r == USSL_OK;
	return r;
}

/*
 * Install or remove the trampoline for new connections after
 * verify_callback or check_hostname changed.  0 or -1 with an exception.
 * The state is made first, GIL held (it holds a Python reference), for
 * the ussl_ctx that will carry it: the current one if it may change,
 * else its coming copy (modify then dups; owner is set to it below).
 */
int pyussl_ctx_apply_cb_flags(PyUsslContext *c)
{
	struct pyussl_vcb *v = NULL;
	struct cb_arg a;
	PyObject *drop = NULL;
	pyussl_errinfo e;
	int r;

	pyussl_ctx_update_cb_flags(c);
	if (c->cb_flags != 0) {
		pyussl_ctx_lock(c);
		v = vcb_for(c, ussl_ctx_frozen(c->ctx) ? NULL : c->ctx);
		if (v != NULL) {
			drop = v->verify_cb;
			v->verify_cb = Py_XNewRef(c->verify_cb);
			v->cb_flags = c->cb_flags;
		}
		pyussl_ctx_unlock(c);
		Py_XDECREF(drop);
		if (v == NULL) {
			PyErr_NoMemory();
			return -1;
		}
	}
	a.v = v;
	a.relax = c->relax | pyussl_ctx_no_name(c);
	r = modify(c, op_cb, &a, 0, &e);
	if (r != 0) {
		pyussl_raise_setup_error(&e, NULL);
		return -1;
	}
	return 0;
}

void pyussl_ctx_vcb_clear(PyUsslContext *c)
{
	struct pyussl_vcb *v;

	for (v = c->vcb; v != NULL; v = v->next)
		Py_CLEAR(v->verify_cb);
}

int pyussl_ctx_vcb_traverse(PyUsslContext *c, visitproc visit, void *arg)
{
	struct pyussl_vcb *v;

	for (v = c->vcb; v != NULL; v = v->next)
		Py_VISIT(v->verify_cb);
	return 0;
}

void pyussl_ctx_vcb_free(PyUsslContext *c)
{
	struct pyussl_vcb *v, *next;

	pyussl_ctx_vcb_clear(c);
	for (v = c->vcb; v != NULL; v = next) {
		next = v->next;
		PyMem_RawFree(v);
	}
	c->vcb = NULL;
}

/* ---------------------------------------------------------------------- */
/* SSLContext.verify_relax                                                 */

PyObject *pyussl_ctx_get_verify_relax(PyUsslContext *c, void *closure)
{
	(void)closure;
	return PyLong_FromUnsignedLong(c->relax);
}

/* Sessions made under the old flags are forgotten (modify), so that a
   resumption never skips a check the new flags make. */
int pyussl_ctx_set_verify_relax(PyUsslContext *c, PyObject *v,
    void *closure)
{
	pyussl_errinfo e;
	unsigned flags, core;
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
	if (flags == c->relax)
		return 0;
	core = flags | pyussl_ctx_no_name(c);   /* check_hostname's part */
	if (modify(c, op_relax, &core, 0, &e) != 0) {
		pyussl_raise_setup_error(&e, NULL);
		return -1;
	}
	c->relax = flags;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* SSLContext.max_fragment_length                                          */

PyObject *pyussl_ctx_get_max_frag(PyUsslContext *c, void *closure)
{
	(void)closure;
	if (c->max_frag == 0)
		Py_RETURN_NONE;
	return PyLong_FromUnsignedLong(c->max_frag);
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
	if (len == c->max_frag)
		return 0;
	if (modify(c, op_max_frag, &len, 0, &e) != 0) {
		pyussl_raise_setup_error(&e, NULL);
		return -1;
	}
	c->max_frag = len;
	return 0;
}
