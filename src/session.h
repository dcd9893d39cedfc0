/*
 * session.h - what the core's session files share: session.c (the
 * session data format and its binding to what verified the peer),
 * session_cache.c (a client context's cache) and session_leaf.c (the
 * policy run again on a session's stored leaf).  Nothing here is public.
 */
#ifndef USSL_SESSION_H
#define USSL_SESSION_H

#include "engine.h"

/* Default bound of a context's client session cache (entries). */
#ifndef USSL_SESSION_CACHE_DEFAULT
#define USSL_SESSION_CACHE_DEFAULT 100
#endif

/* A connection's session state, made when first needed. */
struct ussl_sess_conn {
	int offered;             /* session data went to the engine */
	int offered_verified;    /* ... made by a connection that verified
	                            its peer under this policy and name */
	unsigned char offered_id[32];   /* digest of the engine's bytes */
	int from_cache;          /* the session offered came from the cache */
	int use_cache;           /* ussl_conn_set_cache_key() was called */
	char *key_host;          /* cache key: host ("" if none) and port */
	unsigned port;
	int stored;              /* a session went to the cache; no more */
};

/* session.c */
/* Serialize conn's session in the core's format into a new buffer;
   NULL when there is none.  *tls13: the session is a TLS 1.3 ticket. */
unsigned char *ussl_sess_make(const ussl_conn *conn, size_t *len,
    int *tls13);
/* Offer session data to conn (see ussl_conn_set_session). */
int ussl_sess_offer(ussl_conn *conn, const unsigned char *buf, size_t len);
/* conn->sess, made if absent; NULL when out of memory. */
struct ussl_sess_conn *ussl_sess_get(ussl_conn *conn);

/* session_cache.c */
/* A copy of the entry for (host, port), taken out of the cache when it
   is a TLS 1.3 ticket (used once); NULL when there is none. */
unsigned char *ussl_scache_take(ussl_ctx *ctx, const char *host,
    unsigned port, size_t *len);
/* Store data (owned from now on) as the entry for (host, port). */
void ussl_scache_put(ussl_ctx *ctx, const char *host, unsigned port,
    unsigned char *data, size_t len, int tls13);
/* Remove the entry for (host, port), if any. */
void ussl_scache_drop(ussl_ctx *ctx, const char *host, unsigned port);
/* Count an offered cache entry: resumed (hit) or not (miss); or one
   that failed the binding checks (dropped). */
#define USSL_SCACHE_HIT 0
#define USSL_SCACHE_MISS 1
#define USSL_SCACHE_DROPPED 2
void ussl_scache_count(ussl_ctx *ctx, int what);

/* session_leaf.c */
/* USSL_VFY_* flags of the policy run again on a stored leaf (DER) for
   conn: host name, extendedKeyUsage for the role, validity at now.
   USSL_VFY_OTHER when the data cannot be read. */
unsigned ussl_sess_leaf_check(const ussl_conn *conn,
    const unsigned char *der, size_t len);

#endif /* USSL_SESSION_H */
