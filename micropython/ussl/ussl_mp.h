/*
 * ussl_mp.h - what the files of the MicroPython binding share: the
 * context and socket objects, and how failures become exceptions.
 */
#ifndef USSL_MP_H
#define USSL_MP_H

#include "py/obj.h"
#include "py/objstr.h"
#include "ussl.h"
#include "ussl_mp_features.h"

/*
 * Two exception styles.  The `tls` module mimics MicroPython's stock
 * module, so that code (and MicroPython's own tests) written for it keep
 * working: OSError(mbedTLS-style number, 'MBEDTLS_ERR_...') and ValueError
 * with mbedTLS's verification text.  The `ussl` module reports ussl's own
 * codes and messages: OSError(USSL_E_*, message), as the CPython binding.
 */
enum { USSL_MP_NATIVE = 0, USSL_MP_COMPAT = 1 };

/*
 * The verification policy's relaxations both modules start with.  The
 * stock module (mbedTLS's own checks) matches a certificate without
 * subjectAltName on its CN and takes one without extendedKeyUsage for any
 * purpose, and MicroPython's own test certificates are like that; the
 * core's default is strict.  SSLContext.verify_relax = 0 (or
 * ussl.wrap_socket(..., verify_relax=0)) makes a context strict.
 */
#define USSL_MP_RELAX_DEFAULT (USSL_RELAX_CN_ONLY | USSL_RELAX_NO_EKU)

/* tls.SSLContext */
typedef struct _ussl_mp_context_t {
	mp_obj_base_t base;
	ussl_ctx *ctx;          /* NULL once finalised */
	mp_obj_t verify_cb;     /* None or a callable(cert, depth) */
	mp_obj_t cb_exc;        /* what verify_cb raised, to re-raise later */
	mp_obj_t ecdsa_sign_cb; /* None or a callable(key, digest) */
	mp_obj_t sign_cb;       /* None or a callable(alg, digest) */
	uint16_t max_frag;      /* max_fragment_length (the core has no
	                           getters for these two) */
	uint8_t relax;          /* verify_relax */
	mp_obj_t psk_identity;  /* pre-shared keys (mod_tls_psk.c) */
	mp_obj_t psk_key;
	mp_obj_t server_psk_keys;
} ussl_mp_context_t;

/* mod_tls_psk.c: the PSK attributes (psk_identity, psk_key,
   server_psk_keys); true when attr is one of them (handled). */
void ussl_mp_psk_init(ussl_mp_context_t *self);
bool ussl_mp_psk_attr(mp_obj_t self_in, qstr attr, mp_obj_t *dest);

/* The socket both modules return. */
typedef struct _ussl_mp_socket_t {
	mp_obj_base_t base;
	/* The wrapped stream; MP_OBJ_NULL once closed.  The transport's arg
	   points at this object, never at the stream, so the stream stays
	   reachable from GC-scanned memory for as long as it is used. */
	mp_obj_t sock;
	mp_obj_t context;       /* the SSLContext (keeps verify_cb alive) */
	mp_obj_t io_exc;        /* what the stream raised inside a ussl call */
	ussl_conn *conn;        /* NULL if it could not be created, or closed */
	const char *dead_msg;   /* why conn could not be created (deferred) */
	int dead_code;
	uint8_t poll_mask;      /* direction the engine needs, see ioctl */
	uint8_t style;          /* USSL_MP_NATIVE or USSL_MP_COMPAT */
	uint8_t role;           /* USSL_CLIENT or USSL_SERVER */
	uint8_t failed;         /* a fatal error happened: poll says NVAL */
	uint8_t blocked;        /* the stream would block in this call */
	uint8_t no_ca;          /* dead_code is a verifying context
	                           without trusted CAs */
	uint8_t eof;            /* tls style: the peer ended without
	                           close_notify, reads return 0 */
	uint8_t dtls;           /* a datagram (DTLS) connection */
} ussl_mp_socket_t;

extern const mp_obj_type_t ussl_mp_socket_type;

/*
 * The transport's arg and the verify callback's arg are kept by the core
 * in memory the port may take from the GC heap as a root (m_tracked_calloc
 * nodes are reachable from MP_STATE_VM).  A plain pointer there to the
 * object that owns that memory would keep the object alive for ever: a
 * cycle through a root, never collected, never finalised.  So the core
 * is given the pointer inverted, which the collector does not follow; the
 * object itself stays reachable through the user's references, and its
 * finaliser frees the core's memory before the pointer could dangle.
 */
static inline void *ussl_mp_hide(void *p)
{
	return (void *)~(uintptr_t)p;
}
#define ussl_mp_unhide ussl_mp_hide

/*
 * Wrap stream sock with a new connection of ctx.  context is the Python
 * SSLContext (or MP_OBJ_NULL).  A failure to create the connection is
 * raised at once when do_handshake is set, else at the first I/O (as the
 * stock module, which only fails at the handshake).
 */
mp_obj_t ussl_mp_wrap(ussl_ctx *ctx, mp_obj_t context, mp_obj_t sock,
    const char *hostname, bool do_handshake, int style, mp_obj_t session);

/*
 * DTLS server: give the socket sock (from ussl_mp_wrap, made with
 * do_handshake false) the client's transport address client_id (a
 * buffer; anything else raises), then run the handshake if do_handshake.
 */
void ussl_mp_dtls_server_start(mp_obj_t sock, mp_obj_t client_id,
    bool do_handshake);

/* Raise the exception for error e in the given style. */
MP_NORETURN void ussl_mp_raise(const ussl_error *e, int style, int role);

/*
 * Raise the error of a verifying context without trusted CAs: the stock
 * module's OSError(-0x7680, 'MBEDTLS_ERR_SSL_CA_CHAIN_REQUIRED') in its
 * style, e otherwise.
 */
MP_NORETURN void ussl_mp_raise_no_ca(const ussl_error *e, int style,
    int role);

/* Raise the last error of a context operation. */
MP_NORETURN void ussl_mp_raise_ctx(ussl_ctx *ctx, int style);

/* Verification callback installed on contexts (arg: ussl_mp_context_t). */
int ussl_mp_verify_cb(void *arg, const unsigned char *der, size_t len,
    int depth, unsigned *flags);

/* signcb.c: the sign callback installed on contexts (arg: hidden
   ussl_mp_context_t), and loading a chain without a key (the callback
   signs). */
int ussl_mp_sign_cb(void *arg, int alg, const unsigned char *hash,
    size_t hash_len, unsigned char *sig, size_t *sig_len);
void ussl_mp_load_signer(ussl_ctx *ctx, mp_obj_t cert, void *hidden_self,
    int style);

/* tls.SSLContext's type; ssl.SSLContext (mod_ssl.c) derives from it. */
extern const mp_obj_type_t ussl_mp_tls_context_type;

/* The contents of the file at path (str), read through the VFS. */
mp_obj_t ussl_mp_read_file(mp_obj_t path);

/* Load cert/key/CA data (bytes-like) into ctx; raises on failure. */
void ussl_mp_load_chain(ussl_ctx *ctx, mp_obj_t cert, mp_obj_t key,
    int style);
void ussl_mp_load_ca(ussl_ctx *ctx, mp_obj_t cadata, int style);

/* Apply fn to a tls.SSLContext's settings (on a copy once the ussl_ctx
   is frozen; see mod_tls.c); fn raises on failure, changing nothing. */
typedef void (*ussl_mp_change_fn)(ussl_ctx *ctx, void *arg);
void ussl_mp_ctx_change(mp_obj_t self_in, ussl_mp_change_fn fn, void *arg);

/* --- sslsession.c: sessions, the session cache and ALPN --------------- */

/*
 * Entries of a client context's automatic session cache (sessions kept
 * per server name and offered again, under the core's binding rules); 0
 * turns it off.  Each holds about 1 to 2 KB (the server's certificate
 * and the session's secret).  make USSL_SESSION_CACHE=N sets it.
 */
#ifndef USSL_MP_SESSION_CACHE
#if defined(__unix__) || defined(__APPLE__)
#define USSL_MP_SESSION_CACHE 16
#else
#define USSL_MP_SESSION_CACHE 2
#endif
#endif

extern const mp_obj_type_t ussl_mp_session_type;
/* Raise TypeError unless session is MP_OBJ_NULL, None or an SSLSession. */
void ussl_mp_session_check_arg(mp_obj_t session);
/* Offer session (an SSLSession; MP_OBJ_NULL or None: none) on a new
   client connection, or else, if cache, the context's cached session
   for hostname.  USSL_OK, or USSL_ERROR with the connection's error. */
int ussl_mp_session_offer(ussl_conn *conn, mp_obj_t session,
    const char *hostname, bool cache);
/* Bound a new client context's cache to USSL_MP_SESSION_CACHE. */
void ussl_mp_session_cache_init(ussl_ctx *ctx);
/* SSLSocket's attr slot: session, session_reused; else its locals. */
void ussl_mp_socket_attr(mp_obj_t self_in, qstr attr, mp_obj_t *dest);
MP_DECLARE_CONST_FUN_OBJ_1(ussl_mp_selected_alpn_protocol_obj);
MP_DECLARE_CONST_FUN_OBJ_2(ussl_mp_set_alpn_protocols_obj);
MP_DECLARE_CONST_FUN_OBJ_1(ussl_mp_session_stats_obj);

/* --- mbedtls_glue.c: what the stock module exposed of mbedTLS -------- */

/* mbedTLS's readable text for verification flags, "\n"-prefixed lines
   as the stock module raises them; returns the length (0 if none). */
int ussl_mp_verify_text(unsigned vflags, char *buf, size_t size);

/*
 * PSA key slots.  With MBEDTLS_USE_PSA_CRYPTO (the bundled default) record
 * keys and EC private keys live in a static table of PSA key slots, freed
 * only when their connection or context is; objects dropped without
 * close() hold theirs until the collector finalises them, and running out
 * of slots fails a handshake without making the collector run (as
 * running out of heap would).  So the binding counts what is alive,
 * collects first when a new connection might not find slots, and refuses
 * it (ENOMEM) if the live objects alone hold too many.
 * ussl_mp_psa_crowded() says whether that is so for conns connections
 * and ctxs contexts alive (always false when records do not use PSA).
 */
bool ussl_mp_psa_crowded(size_t conns, size_t ctxs);
extern size_t ussl_mp_live_ctxs;

/* Every cipher suite the engine was built with, mbedTLS's spelling, as
   the stock get_ciphers() returns them. */
size_t ussl_mp_engine_suite_count(void);
/* MBEDTLS_VERSION: the engine's version string ("Mbed TLS 3.6.7"). */
extern const mp_obj_str_t ussl_mp_engine_version_obj;
const char *ussl_mp_engine_suite(size_t i);
/* mbedTLS's spelling of the suite the core names by its IANA name
   (ussl_conn_cipher), as cipher() returns it; NULL if unknown. */
const char *ussl_mp_engine_suite_name(const char *iana);

#endif /* USSL_MP_H */
