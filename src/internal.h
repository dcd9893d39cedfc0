/*
 * internal.h - the core's private structures, shared by ctx.c, conn.c,
 * verify.c, error.c and the engine.  Nothing here is public API.
 */
#ifndef USSL_INTERNAL_H
#define USSL_INTERNAL_H

#include <stdlib.h>

#include "ussl.h"

/*
 * Every allocation of the core goes through these, so a host can route
 * them to its own heap (MicroPython: -DUSSL_CALLOC=m_tracked_calloc
 * -DUSSL_FREE=m_tracked_free).  USSL_CALLOC must return zeroed memory.
 */
#ifndef USSL_CALLOC
#define USSL_CALLOC(n, size) calloc((n), (size))
#define USSL_FREE(p) free(p)
#define USSL_MALLOC(size) malloc(size)
#endif
/* Memory the caller fills at once (record buffers): not zeroed, unless
   the host routes allocations to its own heap (then USSL_CALLOC). */
#ifndef USSL_MALLOC
#define USSL_MALLOC(size) USSL_CALLOC(1, (size))
#endif

#define USSL_ERRMSG_MAX 256
#define USSL_ALPN_MAX 16
/* Default rotation period of server ticket keys, seconds. */
#define USSL_TICKET_LIFETIME 7200

/* Error state embedded in contexts and connections. */
typedef struct ussl_errstate {
	ussl_error pub;
	char *buf;       /* USSL_ERRMSG_MAX bytes for the message, made at the
	                    first error: a connection that never fails does
	                    not carry it */
} ussl_errstate;

struct eng_ctx;
struct eng_conn;
struct ussl_scache;
struct ussl_sess_conn;
struct ussl_psk;

/* A client context's session state (session.c, session_cache.c).  A
   copy made by ussl_ctx_dup() MUST start with this zeroed but for the
   bound (cache_max, cache_set): its own empty cache, its own digest of
   its CA set. */
typedef struct ussl_sess_ctx {
	struct ussl_scache *cache;   /* made when first used, NULL: none */
	size_t cache_max;            /* bound set by the user, 0: default */
	int cache_set;               /* cache_max was set (0 turns it off) */
	/* Digest of the trusted CA set (session binding), for ca_id. */
	uint64_t ca_digest_for;
	unsigned char ca_digest[32];
} ussl_sess_ctx;

struct ussl_ctx {
	int refs;
	int frozen;           /* a connection was made from it: setters
	                         refuse (atomic, see ussl_ctx_freeze) */
	int role;
	int verify;
	int min_version, max_version;
	int has_chain;
	int n_ca;
	/* Identity of the trusted CA set: a process-unique number given
	   whenever ussl_ctx_add_ca() changes the set (0: none loaded yet).
	   Copies of a context share it until their set changes.  Sessions
	   are bound to it (a session verified under one CA set is never
	   resumed under another). */
	uint64_t ca_id;
	unsigned relax;       /* USSL_RELAX_* */
	unsigned strict;      /* USSL_STRICT_* */
	unsigned max_frag;    /* requested max_fragment_length, 0 = none */
	unsigned tickets;     /* server ticket key lifetime, 0 = off */
	int dtls;             /* USSL_DTLS: datagrams (dtls.c) */
	unsigned char cookie_key[32]; /* DTLS server: cookie secret */
	/* ALPN names, NULL-terminated (engines keep a pointer to it). */
	char *alpn[USSL_ALPN_MAX + 1];
	ussl_verify_fn verify_fn;
	void *verify_arg;
	ussl_sign_fn sign_fn;     /* signing callback (sign.c), NULL: none */
	void *sign_arg;
	int keyless;          /* the chain was loaded without a private key */
	ussl_sess_ctx sess;   /* the mutable part of a used context */
	struct ussl_psk *psk; /* pre-shared keys (psk.c), NULL: none */
	ussl_errstate err;
	struct eng_ctx *eng;
};

enum conn_state {
	ST_NEW = 0,      /* nothing sent yet */
	ST_HANDSHAKE,    /* handshake under way */
	ST_OPEN,         /* application data flows */
	ST_PEER_CLOSED,  /* close_notify received: reads return 0 */
	ST_CLOSED,       /* ussl_close called */
	ST_FAILED        /* sticky fatal error */
};

/*
 * Why the policy set some of its flags, in words (static texts), so that
 * messages name the real failure ("extendedKeyUsage does not allow
 * server authentication" rather than "bad usage"): the first reason per
 * flag, for up to USSL_VWHY_MAX flags.
 */
#define USSL_VWHY_MAX 4
typedef struct ussl_vreason {
	unsigned flag[USSL_VWHY_MAX];     /* 0: free slot */
	const char *text[USSL_VWHY_MAX];
} ussl_vreason;

/* Name the peer must prove, kept in the forms verify.c compares. */
typedef struct ussl_peer_name {
	char *host;              /* as given, NULL if none */
	int is_ip;               /* host is an IPv4/IPv6 literal */
	unsigned char ip[16];
	size_t ip_len;           /* 4 or 16 when is_ip */
} ussl_peer_name;

struct ussl_conn {
	ussl_ctx *ctx;
	int role;
	int state;
	int close_sent;
	int hs_complete;         /* the handshake succeeded at some point */
	int peer_verified;
	unsigned verify_flags;
	ussl_vreason vwhy;       /* why verify_flags were set */
	ussl_peer_name name;
	ussl_transport tr;
	int tr_errno;            /* errno of the last transport failure */
	/* Flags are unsigned char where a connection keeps several: the
	   structure is held for the connection's life. */
	unsigned char tr_timeout;   /* the transport reported a timeout */
	unsigned char tr_eof;       /* the transport reported end of stream */
	unsigned char tr_blocked;   /* a receive said "would block" (set by
	                               conn.c, cleared by the engine) */
	/* Session binding and cache use (session.c), NULL until needed. */
	struct ussl_sess_conn *sess;
	/*
	 * The output the transport has not taken yet (conn.c): the rest of
	 * records the engine made, in order.  The engine's send callback
	 * always takes a whole record, so no engine ever holds a half-sent
	 * one.  Allocated while it holds something (at most about one
	 * record, or a handshake flight, or the records a large write
	 * gathers), freed once sent.
	 */
	unsigned char *out;
	size_t out_off, out_len, out_cap;
	size_t out_gather;       /* gather records up to this many bytes
	                            before sending (flights, large writes);
	                            0: send each at once */
	/* A send failed for good: what the engine sends from then on is
	   dropped, and the peer's last words (a fatal alert) are looked for
	   before the transport error is reported. */
	unsigned char send_failed;
	unsigned char out_nomem; /* output could not be kept: no memory */
	int send_errno;
	unsigned char *psk_id;   /* PSK identity the handshake used (psk.c) */
	size_t psk_id_len;
	/* DTLS (dtls.c): the client's transport address (server), and the
	   retransmission timer mbedTLS-style engines drive (ms, by
	   ussl_clock_ms()). */
	unsigned char *dtls_id;
	size_t dtls_id_len;
	uint32_t timer_start, timer_int, timer_fin;
	const char *sign_why;    /* the sign callback failed, why (static
	                            text; sign.c), NULL: it did not */
	ussl_errstate err;
	struct eng_conn *eng;
};

/* ctx.c: a process-unique, never-zero number. */
uint64_t ussl_new_id(void);
/* ctx.c: mark ctx as used by a connection (ussl_conn_new), after which
   every setter refuses; thread-safe. */
void ussl_ctx_freeze(ussl_ctx *ctx);
/* ctx.c: start of every setter: clears ctx->err, and returns USSL_OK if
   ctx may still change, else USSL_ERROR with USSL_E_BADARG set. */
int ussl_ctx_check_mutable(ussl_ctx *ctx);

/* Reference counts shared between threads (contexts, and the engines'
   shared CA stores and chains).  ussl_ref_dec returns what is left. */
static inline void ussl_ref_inc(int *refs)
{
#if defined(__GNUC__)
	__atomic_add_fetch(refs, 1, __ATOMIC_RELAXED);
#else
	++*refs;
#endif
}

static inline int ussl_ref_dec(int *refs)
{
#if defined(__GNUC__)
	return __atomic_sub_fetch(refs, 1, __ATOMIC_ACQ_REL);
#else
	return --*refs;
#endif
}

/* error.c */
void ussl_err_clear(ussl_errstate *e);
/* Release the message buffer (objects being freed). */
void ussl_err_free(ussl_errstate *e);
/* Set code and a printf-style message; returns USSL_ERROR. */
int ussl_err_set(ussl_errstate *e, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Append "; text" to the message (for engine detail). */
void ussl_err_append(ussl_errstate *e, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/*
 * A connection failure as an engine classifies it; ussl_fail() words the
 * message, the same for every engine.  Engines fill code and what applies
 * to it, and may add their own text as detail.
 */
enum ussl_fail_reason {
	USSL_FR_NONE = 0,
	USSL_FR_PEER_CLOSED,     /* E_PROTOCOL: close_notify where none may
	                            come (during the handshake) */
	USSL_FR_EMPTY_RECORD,    /* E_PROTOCOL: an empty handshake, alert or
	                            change_cipher_spec record */
	USSL_FR_KEY_UPDATE       /* E_PROTOCOL: a TLS 1.3 KeyUpdate, which
	                            the engine does not implement */
};
typedef struct ussl_failure {
	int code;                /* USSL_E_* */
	int reason;              /* USSL_FR_* */
	int alert;               /* E_PEER_ALERT: the alert received */
	unsigned verify;         /* E_VERIFY: USSL_VFY_* */
	const struct ussl_vreason *why; /* E_VERIFY: the policy's reasons,
	                            NULL if none */
	int sys_errno;           /* E_IO: the transport's errno */
	char detail[128];        /* the engine's own text, "" if none */
} ussl_failure;
/* Start a failure of the given code (the other fields cleared). */
void ussl_failure_init(ussl_failure *f, int code);
/* Word f into e (during: "handshake", "read", "write", "close";
   in_handshake: the handshake had not completed); returns USSL_ERROR. */
int ussl_fail(ussl_errstate *e, const ussl_failure *f, const char *during,
    int in_handshake);
/* Name of a TLS alert number ("bad_certificate"), "alert" if unknown. */
const char *ussl_alert_name(int alert);
/* Readable list of USSL_VFY_* flags ("expired, host name mismatch"). */
void ussl_vfy_describe(unsigned flags, char *buf, size_t size);
/* The same, where why (may be NULL) gives a flag's reason in words. */
void ussl_vfy_explain(unsigned flags, const ussl_vreason *why, char *buf,
    size_t size);

/* verify*.c: our policy on top of the engine's chain check. */

/*
 * The chain an engine built, as DER, for the policy's chain rules (name
 * constraints, CA and leaf profile rules): der[0] is the leaf, der[n - 1]
 * the top (the trust anchor when the chain is trusted).  The pointers
 * need only stay valid during ussl_verify_leaf().  An engine that is
 * called back per certificate fills it with ussl_chain_note(); a chain
 * longer than USSL_CHAIN_MAX sets overflow, which the policy rejects.
 */
#define USSL_CHAIN_MAX 16
typedef struct ussl_chain {
	size_t n;
	const unsigned char *der[USSL_CHAIN_MAX];
	size_t len[USSL_CHAIN_MAX];
	int overflow;
} ussl_chain;

/* Record certificate `depth` (0: leaf) of the chain being verified. */
void ussl_chain_note(ussl_chain *c, int depth, const unsigned char *der,
    size_t len);

int ussl_parse_ip(const char *s, unsigned char out[16], size_t *len);
int ussl_name_set(ussl_peer_name *n, const char *host);
void ussl_name_free(ussl_peer_name *n);
/* What a verification is judged against: shared by connections and
   ussl_ctx_verify_chain(). */
typedef struct ussl_vstate {
	ussl_ctx *ctx;
	int role;                      /* of the verifying side */
	const ussl_peer_name *name;    /* NULL: none (a client then fails
	                                  unless USSL_RELAX_NO_NAME) */
	int64_t at_time;               /* 0: the engine's clock */
	unsigned *flags;               /* accumulated USSL_VFY_* flags */
	ussl_vreason *why;             /* reasons, NULL: not kept */
} ussl_vstate;

/*
 * USSL_VFY_* flags of the policy, called once per verification with the
 * chain the engine built (leaf first; after the engine has seen the
 * whole chain): the name, the leaf's purpose, the profile rules and name
 * constraints (NAME_MISMATCH, BAD_USAGE, BAD_KEY, POLICY).  The policy
 * reads the DER itself.  The engine ORs them into the leaf's flags.
 */
unsigned ussl_verify_leaf(const ussl_vstate *vs, const ussl_chain *chain);
/*
 * The one rule for the application's verify callback, which every
 * engine calls for every certificate (depth 0: the leaf) with the flags
 * found so far: returns them with the callback's rejection added (the
 * flags it set, or USSL_VFY_OTHER when it returned non-zero without
 * setting any); a flag it cleared stays set.  Without a callback: flags.
 */
unsigned ussl_verify_user(const ussl_vstate *vs, const unsigned char *der,
    size_t len, int depth, unsigned flags);
/* Seconds since 1970 of a UTC calendar time (proleptic Gregorian). */
int64_t ussl_epoch(int year, int mon, int day, int hour, int min, int sec);
/* Exposed for unit tests: does DNS pattern (from a certificate) match
   host?  Both are compared case-insensitively; either one not a valid
   host name (LDH labels, a whole-label "*" first in the pattern) never
   matches. */
int ussl_dns_match(const unsigned char *pat, size_t pat_len,
    const char *host);

/* session.c: the core's side of session resumption. */
/* The handshake of conn completed: judge a resumption, feed the cache. */
void ussl_sess_handshake_done(ussl_conn *conn);
/* conn ends (ussl_close, ussl_conn_free): its last session to the cache. */
void ussl_sess_conn_end(ussl_conn *conn);
void ussl_sess_conn_free(ussl_conn *conn);
/* ussl_ctx_free: drop the cache. */
void ussl_sess_ctx_free(ussl_ctx *ctx);

/* dtls.c: the core's side of DTLS. */
/* A new DTLS context: its cookie secret (server). */
int ussl_dtls_ctx_init(ussl_ctx *ctx);
/* Milliseconds of a monotonic clock (wraps): the port's USSL_CLOCK_MS()
   when defined, else POSIX CLOCK_MONOTONIC. */
uint32_t ussl_clock_ms(void);
/* The retransmission timer as mbedTLS drives it (mbedtls_ssl_set_timer_cb
   semantics): set (fin_ms 0: cancel), and get (-1 cancelled, 0 running,
   1 intermediate delay passed, 2 final delay passed). */
void ussl_dtls_timer_set(ussl_conn *conn, uint32_t int_ms, uint32_t fin_ms);
int ussl_dtls_timer_get(const ussl_conn *conn);
/* Cookie for the connection's client id into out (USSL_DTLS_COOKIE_LEN
   bytes); check one (1 valid, 0 not). */
#define USSL_DTLS_COOKIE_LEN 17
int ussl_dtls_cookie_make(const ussl_ctx *ctx, const unsigned char *id,
    size_t id_len, unsigned char out[USSL_DTLS_COOKIE_LEN]);
int ussl_dtls_cookie_check(const ussl_ctx *ctx, const unsigned char *id,
    size_t id_len, const unsigned char *cookie, size_t len);
/*
 * sign.c: the signing callback, shared by the engines.  An engine's key
 * wrapper (mbedtls_sign.c, openssl_sign.c) learns which connection signs
 * from ussl_sign_enter(), which the engine calls around each handshake
 * step, and has the signature made by ussl_sign_run().
 */
void ussl_sign_enter(ussl_conn *conn);
void ussl_sign_leave(void);
/* The connection signing in this thread now, NULL if none. */
ussl_conn *ussl_sign_current(void);
/* Ask the callback of the current connection's context to sign hash with
   alg; sig holds *sig_len bytes.  Returns 0 (signed; *sig_len set, the
   length checked against want_len when that is not 0), USSL_SIGN_DECLINE
   (the engine signs with the loaded key; only returned when the context
   has one), or -1: failed, the reason kept in conn->sign_why. */
int ussl_sign_run(int alg, const unsigned char *hash, size_t hash_len,
    unsigned char *sig, size_t *sig_len, size_t want_len);
/* The engine found the signature invalid: record it (returns -1). */
int ussl_sign_bad(void);
/* The handshake of conn failed after the callback did: word it. */
int ussl_sign_fail(ussl_conn *conn, const char *during);

/* Secure wipe that the compiler cannot drop. */
void ussl_wipe(void *p, size_t n);

#endif /* USSL_INTERNAL_H */
