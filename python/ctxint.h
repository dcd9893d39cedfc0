/*
 * ctxint.h - the inside of ussl.SSLContext, shared by context.c (the
 * Python type: attributes, wrap_socket, session cache), ctxcfg.c (the
 * stored configuration and the engine contexts built from it) and
 * ctxload.c (loading certificates, keys and CA data).  Nothing here is
 * public.
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
#ifndef PYUSSL_CTXINT_H
#define PYUSSL_CTXINT_H

#include "pyussl.h"

/* CPython's values, so that code written for ssl reads the same. */
#define PROTOCOL_TLS_CLIENT 16
#define PROTOCOL_TLS_SERVER 17
#define OP_NO_TICKET 0x4000L
#define VERSION_MIN_SUPPORTED (-2)
#define VERSION_MAX_SUPPORTED (-1)
/* A server context's ticket lifetime unless told otherwise (the core's). */
#define TICKETS_DEFAULT 7200

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
	int min_version, max_version;    /* as set in Python, may be
	                                    VERSION_*_SUPPORTED */
	struct blob cert, key;           /* cert.p != NULL: chain loaded */
	char *password;
	struct blob *ca;
	size_t n_ca;
	char **alpn;
	size_t n_alpn;
	char **ciphers;                  /* n_ciphers == 0: engine default */
	size_t n_ciphers;
	long tickets;                    /* server: lifetime; -1: default */
	unsigned relax;                  /* USSL_RELAX_* (verify_relax) */
	unsigned max_frag;               /* max_fragment_length, 0: none */
};

struct PyUsslContext {
	PyObject_HEAD
	PyObject *weakreflist;
	int role;
	PyThread_type_lock mutex;        /* guards ctx, used and cfg */
	ussl_ctx *ctx;
	int used;                        /* a connection was made from ctx */
	struct cfg cfg;                  /* written with the GIL and the
	                                    mutex held, so either is enough
	                                    to read it */
	int check_hostname;
	volatile int cb_flags;           /* read without the GIL */
	long options;
	PyObject *verify_cb;
};

/* ---------------------------------------------------------------------- */
/* ctxcfg.c                                                                */

/* Take / release the mutex (never waiting for it with the GIL held). */
void pyussl_ctx_lock(PyUsslContext *c);
void pyussl_ctx_unlock(PyUsslContext *c);

/* A ussl_ctx made from c->cfg.  Without the GIL, with the mutex held or
   before c is shared.  NULL with *e filled on failure. */
ussl_ctx *pyussl_ctx_build(PyUsslContext *c, pyussl_errinfo *e);
void pyussl_ctx_cfg_free(struct cfg *g);

/* verifycb.c: the ussl_verify_fn installed when cb_flags != 0 (arg: the
   PyUsslContext). */
int pyussl_verify_tramp(void *arg, const unsigned char *der, size_t len,
    int depth, unsigned *flags);

/* Recompute cb_flags from verify_cb and check_hostname; the apply form
   also installs or removes the trampoline (0, or -1 with an exception). */
void pyussl_ctx_update_cb_flags(PyUsslContext *c);
int pyussl_ctx_apply_cb_flags(PyUsslContext *c);

/* Empty the client session cache of c->ctx (settings changed; the
   cache is the core's, see socksession.c). */
void pyussl_ctx_forget_sessions(PyUsslContext *c);

/* Setters: 0, or -1 with *e filled (no exception). */
int pyussl_ctx_set_versions(PyUsslContext *c, int min, int max,
    pyussl_errinfo *e);
int pyussl_ctx_set_tickets(PyUsslContext *c, long lifetime,
    pyussl_errinfo *e);
/* SSLContext.max_fragment_length: getter and setter. */
PyObject *pyussl_ctx_get_max_frag(PyUsslContext *c, void *closure);
int pyussl_ctx_set_max_frag(PyUsslContext *c, PyObject *v, void *closure);
/* SSLContext.verify_relax (USSL_RELAX_* flags): getter and setter. */
PyObject *pyussl_ctx_get_verify_relax(PyUsslContext *c, void *closure);
int pyussl_ctx_set_verify_relax(PyUsslContext *c, PyObject *v,
    void *closure);
/* which: 0 ALPN, 1 cipher suites.  Takes ownership of v (PyMem_Raw
   strings in a PyMem_Raw array). */
int pyussl_ctx_set_names(PyUsslContext *c, int which, char **v, size_t n,
    pyussl_errinfo *e);
/* CA data: PEM text, or DER (several certificates back to back are
   split); certificates before a bad one stay loaded. */
int pyussl_ctx_add_ca_data(PyUsslContext *c, const unsigned char *data,
    size_t len, pyussl_errinfo *e);

/* Small helpers. */
int pyussl_ctx_contains(const unsigned char *p, size_t len,
    const char *needle);
char *pyussl_ctx_str_dup(const char *s, size_t len);
void pyussl_ctx_strv_free(char **v, size_t n);

/* ---------------------------------------------------------------------- */
/* ctxload.c: SSLContext methods                                           */

extern const char pyussl_ctx_load_cert_chain_doc[];
extern const char pyussl_ctx_load_verify_locations_doc[];
extern const char pyussl_ctx_load_default_certs_doc[];
PyObject *pyussl_ctx_load_cert_chain(PyUsslContext *c, PyObject *args,
    PyObject *kw);
PyObject *pyussl_ctx_load_verify_locations(PyUsslContext *c,
    PyObject *args, PyObject *kw);
PyObject *pyussl_ctx_load_default_certs(PyUsslContext *c, PyObject *args,
    PyObject *kw);

#endif /* PYUSSL_CTXINT_H */
