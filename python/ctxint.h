/*
 * ctxint.h - the inside of ussl.SSLContext, shared by context.c (the
 * Python type: attributes, wrap_socket, session cache), ctxcfg.c (every
 * change to the settings) and ctxload.c (loading certificates, keys and
 * CA data).  Nothing here is public.
 *
 * The SSLContext holds one ussl_ctx, the settings new connections get.
 * The core freezes a ussl_ctx at its first connection, while Python code
 * may call a setter at any time: a setter applies the change in place
 * while the ussl_ctx is not frozen, and otherwise to a copy
 * (ussl_ctx_dup, which shares the parsed CA store and chain) that then
 * replaces it.  Connections made before keep the old one (it is
 * reference-counted), and with it every setting they were made with.  A
 * mutex orders the setters and wrap_socket() of different threads; like
 * the socket lock, it is never waited for with the GIL held.
 */
#ifndef PYUSSL_CTXINT_H
#define PYUSSL_CTXINT_H

#include "pyussl.h"

/* CPython's values, so that code written for ssl reads the same. */
#define PROTOCOL_TLS_CLIENT 16
#define PROTOCOL_TLS_SERVER 17
/* DTLS 1.2 over a connected UDP socket (ussl's own; CPython has none). */
#define PROTOCOL_DTLS_CLIENT 18
#define PROTOCOL_DTLS_SERVER 19
#define OP_NO_TICKET 0x4000L
#define VERSION_MIN_SUPPORTED (-2)
#define VERSION_MAX_SUPPORTED (-1)
/* A server context's ticket lifetime unless told otherwise (the core's). */
#define TICKETS_DEFAULT 7200

/* cb_flags: what the verification trampoline has to do. */
#define CB_PYTHON  0x1           /* call verify_callback */

/*
 * What the verification trampoline of one ussl_ctx works on (its
 * verify_arg): verify_callback and check_hostname as they were when that
 * ussl_ctx got them, so that a connection keeps them.  Never changed once
 * a connection or a copy may use it (owner NULL); kept, in a list, until
 * the SSLContext goes (every connection holds a reference to it).
 */
struct pyussl_vcb {
	struct pyussl_vcb *next;         /* older ones */
	ussl_ctx *owner;                 /* the one ussl_ctx that uses it and
	                                    may still change, else NULL */
	volatile int cb_flags;           /* read without the GIL */
	PyObject *verify_cb;             /* strong reference, or NULL */
};

struct PyUsslContext {
	PyObject_HEAD
	PyObject *weakreflist;
	int role;
	int dtls;                        /* PROTOCOL_DTLS_* */
	PyThread_type_lock mutex;        /* guards ctx and vcb */
	ussl_ctx *ctx;                   /* settings of new connections */
	struct pyussl_vcb *vcb;          /* the newest trampoline state */
	struct pyussl_scb *scb;          /* sign callbacks given (signcb.c) */
	/* The settings as the attributes show them (the core keeps the
	   real ones in ctx; these are written after it took them, GIL
	   held): */
	int verify;
	int min_version, max_version;    /* may be VERSION_*_SUPPORTED */
	long tickets;                    /* server: lifetime */
	unsigned relax;                  /* USSL_RELAX_* (verify_relax) */
	unsigned max_frag;               /* max_fragment_length, 0: none */
	int has_ca;                      /* trusted CAs were loaded */
	int check_hostname;
	int cb_flags;                    /* for new connections */
	long options;
	PyObject *verify_cb;
	PyObject *psk_identity;          /* ctxpsk.c; NULL: None */
	PyObject *psk_key;
	PyObject *server_psk_keys;
};

/* ---------------------------------------------------------------------- */
/* ctxcfg.c                                                                */

/* Take / release the mutex (never waiting for it with the GIL held). */
void pyussl_ctx_lock(PyUsslContext *c);
void pyussl_ctx_unlock(PyUsslContext *c);

/* The ussl_ctx a new SSLContext starts with (relaxations etc. of the
   binding's defaults); 0, or -1 with an exception. */
int pyussl_ctx_init_core(PyUsslContext *c);
/* Free the trampoline states (dealloc), or drop their Python references
   (tp_clear); visit them (tp_traverse). */
void pyussl_ctx_vcb_free(PyUsslContext *c);
void pyussl_ctx_vcb_clear(PyUsslContext *c);
int pyussl_ctx_vcb_traverse(PyUsslContext *c, visitproc visit, void *arg);

/* verifycb.c: the ussl_verify_fn installed when cb_flags != 0 (arg: a
   struct pyussl_vcb). */
int pyussl_verify_tramp(void *arg, const unsigned char *der, size_t len,
    int depth, unsigned *flags);

/* Recompute cb_flags from verify_cb; the apply form also installs or
   removes the trampoline and sets the core's USSL_RELAX_NO_NAME from
   check_hostname (0, or -1 with an exception). */
void pyussl_ctx_update_cb_flags(PyUsslContext *c);
int pyussl_ctx_apply_cb_flags(PyUsslContext *c);

/* USSL_RELAX_NO_NAME when a client context does not check names
   (check_hostname off), else 0. */
unsigned pyussl_ctx_no_name(const PyUsslContext *c);

/* Empty the client session cache of c->ctx (settings changed; the
   cache is the core's, see socksession.c). */
void pyussl_ctx_forget_sessions(PyUsslContext *c);

/* ctxpsk.c: psk_identity (closure 0), psk_key (1), server_psk_keys (2). */
PyObject *pyussl_ctx_get_psk(PyUsslContext *c, void *closure);
int pyussl_ctx_set_psk(PyUsslContext *c, PyObject *v, void *closure);

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
/* which: 0 ALPN, 1 cipher suites.  v: PyMem_Raw strings in a PyMem_Raw
   array, which the caller keeps and frees. */
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

/* One change to c's ussl_ctx, in place or on a copy (see above): op
   applies it; slow: the GIL is let go.  0, or -1 with *e filled. */
typedef int (*pyussl_ctx_op)(ussl_ctx *x, void *arg, size_t *applied);
int pyussl_ctx_modify(PyUsslContext *c, pyussl_ctx_op op, void *arg,
    int slow, pyussl_errinfo *e);

/* signcb.c: load_cert_chain(sign_callback=fn).  keyless: cert is the
   chain, without a key; else fn joins the key already loaded (NULL:
   the context's callback is removed). */
int pyussl_ctx_set_signer(PyUsslContext *c, const unsigned char *cert,
    size_t cert_len, PyObject *fn, int keyless, pyussl_errinfo *e);
void pyussl_ctx_scb_clear(PyUsslContext *c);
int pyussl_ctx_scb_traverse(PyUsslContext *c, visitproc visit, void *arg);
void pyussl_ctx_scb_free(PyUsslContext *c);

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
