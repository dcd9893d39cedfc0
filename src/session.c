/*
 * session.c - session data bound to what verified the peer.
 *
 * Engines serialize their own session state; this file wraps it with the
 * peer's name, a fingerprint of the policy the peer was verified under,
 * whether it was verified, and the peer's leaf, and on the way back
 * refuses data that is malformed (USSL_E_BADARG, before any engine
 * parses it) and does not offer data made under another policy or for
 * another name (the handshake is then a full one).  The format, all
 * integers big-endian:
 *
 *     0  4  magic "uSSN"
 *     4  1  format version (1)
 *     5  1  engine format (ENG_SESS_*)
 *     6  1  TLS version (3: 1.2, 4: 1.3)
 *     7  1  flags: 0x01 peer verified, 0x02 a verify callback judged it
 *     8  1  role (USSL_CLIENT)
 *     9  1  verify mode
 *    10  2  zero
 *    12  4  relax flags (USSL_RELAX_*)
 *    16 32  policy digest (policy_digest() below)
 *    48  2  name length (0: none, at most 255)
 *    50  4  leaf length (0: none, at most SESS_LEAF_MAX)
 *    54  4  engine data length (1 to SESS_ENG_MAX)
 *    58     name, leaf (DER), engine data
 *   end 32  SHA-256 of everything before
 *
 * The trailing digest detects damage, not forgery: whoever can write
 * session data can make its holder trust a server (see ussl.h).
 */
#include <string.h>

#include "session.h"
#include "psk.h"
#include "ussl_lock.h"

#define SESS_MAGIC "uSSN"
#define SESS_VERSION 1
#define SESS_HDR 58
#define SESS_SUM 32
#define SESS_NAME_MAX 255
#define SESS_LEAF_MAX 65536
#define SESS_ENG_MAX 65536

#define F_VERIFIED 0x01u
#define F_CALLBACK 0x02u
#define F_KNOWN (F_VERIFIED | F_CALLBACK)

/* Guards every context's CA set digest and the process nonce. */
USSL_LOCK_STATIC(digest_lock);

/* Random bytes, made once per process, that bind a session judged by a
   verify callback to this process (function and argument are addresses,
   which another run may give to something else). */
static unsigned char nonce[16];
static int nonce_state;      /* 0: not yet, 1: made, -1: unavailable */

/* A parsed session (pointers into the caller's buffer). */
typedef struct sess_view {
	unsigned tls, flags, role, verify;
	unsigned long relax;
	const unsigned char *policy;
	const unsigned char *name, *leaf, *eng;
	size_t name_len, leaf_len, eng_len;
} sess_view;

static void put16(unsigned char *p, size_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static void put32(unsigned char *p, unsigned long v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static unsigned long get32(const unsigned char *p)
{
	return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 |
	    (unsigned long)p[2] << 8 | p[3];
}

/* ---------------------------------------------------------------------- */
/* What verified the peer                                                 */

struct ca_digests {
	unsigned char *d;        /* 32 bytes per certificate */
	size_t n, cap;
};

static int ca_count(void *arg, const unsigned char *der, size_t len)
{
	(void)der;
	(void)len;
	((struct ca_digests *)arg)->cap++;
	return 0;
}

static int ca_hash(void *arg, const unsigned char *der, size_t len)
{
	struct ca_digests *a = arg;

	if (a->n >= a->cap || eng_sha256(der, len, a->d + 32 * a->n) != 0)
		return -1;
	a->n++;
	return 0;
}

/* Sort n 32-byte digests in place.  Insertion sort: a CA bundle holds
   at most a few hundred, and bare-metal C libraries may lack qsort. */
static void sort32(unsigned char *d, size_t n)
{
	unsigned char t[32];
	size_t i, j;

	for (i = 1; i < n; i++) {
		memcpy(t, d + 32 * i, 32);
		for (j = i; j > 0 && memcmp(d + 32 * (j - 1), t, 32) > 0; j--)
			memcpy(d + 32 * j, d + 32 * (j - 1), 32);
		memcpy(d + 32 * j, t, 32);
	}
}

/*
 * Digest of the context's trusted CA set, independent of the order the
 * certificates were loaded in: SHA-256 over the sorted digests of the
 * certificates.  Unlike ctx->ca_id it means the same in another process
 * (a session kept in flash across a reboot).  Made once per CA set.
 */
static int ca_digest(ussl_ctx *ctx, unsigned char out[32])
{
	struct ca_digests a = { NULL, 0, 0 };
	static const char tag[] = "ussl ca set 1";
	unsigned char *buf;
	size_t len;
	int r = -1;

	ussl_lock(&digest_lock);
	if (ctx->sess.ca_digest_for == ctx->ca_id + 1) {
		memcpy(out, ctx->sess.ca_digest, 32);
		ussl_unlock(&digest_lock);
		return 0;
	}
	if (eng_ctx_ca_each(ctx, ca_count, &a) != 0)
		goto out;
	len = sizeof(tag) + 32 * a.cap;
	if ((buf = USSL_CALLOC(1, len)) == NULL)
		goto out;
	memcpy(buf, tag, sizeof(tag));
	a.d = buf + sizeof(tag);
	if (eng_ctx_ca_each(ctx, ca_hash, &a) == 0 && a.n == a.cap) {
		sort32(a.d, a.n);
		if (eng_sha256(buf, len, out) == 0) {
			memcpy(ctx->sess.ca_digest, out, 32);
			ctx->sess.ca_digest_for = ctx->ca_id + 1;
			r = 0;
		}
	}
	USSL_FREE(buf);
out:
	ussl_unlock(&digest_lock);
	return r;
}

static int get_nonce(unsigned char out[16])
{
	ussl_lock(&digest_lock);
	if (nonce_state == 0)
		nonce_state = eng_random(nonce, sizeof(nonce)) == 0 ? 1 : -1;
	if (nonce_state == 1)
		memcpy(out, nonce, sizeof(nonce));
	ussl_unlock(&digest_lock);
	return nonce_state == 1 ? 0 : -1;
}

/*
 * The fingerprint of ctx's verification policy: role, verify mode,
 * relaxations, the CA set, and the verify callback (function and
 * argument, in this process).  Sessions carry it; a session is offered
 * only to a connection whose context has the same.  ALPN is left out on
 * purpose: it is negotiated again on every handshake, resumed ones
 * included, and plays no part in verifying the peer.
 */
static int policy_digest(ussl_ctx *ctx, unsigned char out[32])
{
	static const char tag[] = "ussl session policy 1";
	unsigned char buf[sizeof(tag) + 7 + 32 + 1 + sizeof(ussl_verify_fn) +
	    sizeof(void *) + 16 + 1 + 32];
	unsigned char *p = buf;

	memcpy(p, tag, sizeof(tag));
	p += sizeof(tag);
	*p++ = (unsigned char)ctx->role;
	*p++ = (unsigned char)ctx->verify;
	put32(p, ctx->relax);
	p += 4;
	*p++ = 0;
	if (ca_digest(ctx, p) != 0)
		return -1;
	p += 32;
	*p++ = ctx->verify_fn != NULL;
	if (ctx->verify_fn != NULL) {
		memcpy(p, &ctx->verify_fn, sizeof(ctx->verify_fn));
		p += sizeof(ctx->verify_fn);
		memcpy(p, &ctx->verify_arg, sizeof(ctx->verify_arg));
		p += sizeof(ctx->verify_arg);
		if (get_nonce(p) != 0)
			return -1;
		p += 16;
	}
	/* The PSK, when there is one (so that the fingerprints of other
	   contexts stay as they were): sessions never cross PSKs. */
	if (ussl_psk_active(ctx)) {
		*p++ = 'P';
		if (ussl_psk_digest(ctx, p) != 0)
			return -1;
		p += 32;
	}
	return eng_sha256(buf, (size_t)(p - buf), out);
}

/* ---------------------------------------------------------------------- */
/* The format                                                             */

struct ussl_sess_conn *ussl_sess_get(ussl_conn *conn)
{
	if (conn->sess == NULL)
		conn->sess = USSL_CALLOC(1, sizeof(*conn->sess));
	return conn->sess;
}

/* Is eng the TLS 1.3 ticket conn was offered?  A ticket is used once
   (RFC 8446 C.4): it is not handed out again. */
static int reoffer(const ussl_conn *conn, const unsigned char *eng,
    size_t len)
{
	unsigned char id[32];

	return conn->sess != NULL && conn->sess->offered &&
	    (eng_sha256(eng, len, id) != 0 ||
	    memcmp(id, conn->sess->offered_id, 32) == 0);
}

unsigned char *ussl_sess_make(const ussl_conn *conn, size_t *len,
    int *tls13)
{
	const unsigned char *leaf = NULL;
	const char *name = conn->name.host, *v;
	unsigned char pol[32], *buf, *p;
	size_t leaf_len = 0, name_len, eng_len = 0, total;
	unsigned flags = 0;

	*len = 0;
	*tls13 = 0;
	if (conn->role != USSL_CLIENT || !conn->hs_complete ||
	    conn->eng == NULL)
		return NULL;
	if (eng_conn_get_session(conn, NULL, &eng_len) == 0 || eng_len == 0 ||
	    eng_len > SESS_ENG_MAX)
		return NULL;
	if (eng_conn_peer_cert(conn, &leaf, &leaf_len) != 0 ||
	    leaf_len > SESS_LEAF_MAX)
		leaf = NULL, leaf_len = 0;
	name_len = name != NULL ? strlen(name) : 0;
	if (name_len > SESS_NAME_MAX || policy_digest(conn->ctx, pol) != 0)
		return NULL;
	v = eng_conn_version(conn);
	*tls13 = v != NULL && strcmp(v, "TLSv1.3") == 0;
	if (conn->peer_verified && leaf != NULL)
		flags |= F_VERIFIED;
	if (conn->ctx->verify_fn != NULL)
		flags |= F_CALLBACK;
	total = SESS_HDR + name_len + leaf_len + eng_len + SESS_SUM;
	if ((buf = USSL_CALLOC(1, total)) == NULL)
		return NULL;
	p = buf;
	memcpy(p, SESS_MAGIC, 4);
	p[4] = SESS_VERSION;
	p[5] = (unsigned char)eng_session_format();
	p[6] = *tls13 ? 4 : 3;
	p[7] = (unsigned char)flags;
	p[8] = (unsigned char)conn->role;
	p[9] = (unsigned char)conn->ctx->verify;
	put32(p + 12, conn->ctx->relax);
	memcpy(p + 16, pol, 32);
	put16(p + 48, name_len);
	put32(p + 50, (unsigned long)leaf_len);
	put32(p + 54, (unsigned long)eng_len);
	p += SESS_HDR;
	if (name_len > 0)
		memcpy(p, name, name_len);
	p += name_len;
	if (leaf_len > 0)
		memcpy(p, leaf, leaf_len);
	p += leaf_len;
	if (eng_conn_get_session(conn, p, &eng_len) != 0 ||
	    p + eng_len + SESS_SUM != buf + total ||
	    eng_sha256(buf, total - SESS_SUM, buf + total - SESS_SUM) != 0 ||
	    (*tls13 && reoffer(conn, p, eng_len))) {
		ussl_wipe(buf, total);
		USSL_FREE(buf);
		return NULL;
	}
	*len = total;
	return buf;
}

/* Check the structure of session data; 0 with *v filled, or -1. */
static int parse(const unsigned char *buf, size_t len, sess_view *v)
{
	unsigned char sum[32];
	size_t i;

	if (len < SESS_HDR + SESS_SUM || memcmp(buf, SESS_MAGIC, 4) != 0 ||
	    buf[4] != SESS_VERSION || buf[10] != 0 || buf[11] != 0)
		return -1;
	v->tls = buf[6];
	v->flags = buf[7];
	v->role = buf[8];
	v->verify = buf[9];
	v->relax = get32(buf + 12);
	v->policy = buf + 16;
	v->name_len = (size_t)buf[48] << 8 | buf[49];
	v->leaf_len = get32(buf + 50);
	v->eng_len = get32(buf + 54);
	if ((v->tls != 3 && v->tls != 4) || (v->flags & ~F_KNOWN) != 0 ||
	    v->role != USSL_CLIENT || v->verify > USSL_VERIFY_REQUIRED ||
	    v->name_len > SESS_NAME_MAX || v->leaf_len > SESS_LEAF_MAX ||
	    v->eng_len == 0 || v->eng_len > SESS_ENG_MAX ||
	    ((v->flags & F_VERIFIED) && v->leaf_len == 0) ||
	    len != SESS_HDR + v->name_len + v->leaf_len + v->eng_len +
	    SESS_SUM)
		return -1;
	v->name = buf + SESS_HDR;
	v->leaf = v->name + v->name_len;
	v->eng = v->leaf + v->leaf_len;
	for (i = 0; i < v->name_len; i++)
		if (v->name[i] <= 0x20 || v->name[i] >= 0x7f)
			return -1;
	if (eng_sha256(buf, len - SESS_SUM, sum) != 0 ||
	    memcmp(sum, buf + len - SESS_SUM, SESS_SUM) != 0)
		return -1;
	return 0;
}

/* The session's name is the connection's: none for none, the same
   address for an IP literal, the same host name byte for byte (mbedTLS
   compares a TLS 1.3 ticket's name exactly, and fails the handshake on a
   difference instead of falling back). */
static int same_name(const ussl_conn *conn, const sess_view *v)
{
	const ussl_peer_name *n = &conn->name;
	char host[SESS_NAME_MAX + 1];
	unsigned char ip[16];
	size_t ip_len;

	if (n->host == NULL || v->name_len == 0)
		return n->host == NULL && v->name_len == 0;
	memcpy(host, v->name, v->name_len);
	host[v->name_len] = '\0';
	if (n->is_ip)
		return ussl_parse_ip(host, ip, &ip_len) == 0 &&
		    ip_len == n->ip_len && memcmp(ip, n->ip, ip_len) == 0;
	return strcmp(n->host, host) == 0;
}

/*
 * Whether v may be offered by conn: made under the same policy, for the
 * same name, verified if conn verifies, and its leaf still passing the
 * policy.  1 or 0.
 */
static int bound_to(ussl_conn *conn, const sess_view *v)
{
	ussl_ctx *ctx = conn->ctx;
	unsigned char pol[32];

	if (v->role != (unsigned)ctx->role ||
	    v->verify != (unsigned)ctx->verify || v->relax != ctx->relax ||
	    ((v->flags & F_CALLBACK) != 0) != (ctx->verify_fn != NULL) ||
	    (int)v->tls - 3 + USSL_TLS1_2 < ctx->min_version ||
	    (ctx->max_version != 0 &&
	    (int)v->tls - 3 + USSL_TLS1_2 > ctx->max_version))
		return 0;
	if (policy_digest(ctx, pol) != 0 || memcmp(pol, v->policy, 32) != 0)
		return 0;
	if (!same_name(conn, v))
		return 0;
	/* Made under this very PSK (the fingerprint says so): the PSK,
	   not a certificate, authenticated the peer. */
	if (ctx->verify == USSL_VERIFY_NONE || ussl_psk_active(ctx))
		return 1;
	return (v->flags & F_VERIFIED) &&
	    ussl_sess_leaf_check(conn, v->leaf, v->leaf_len) == 0;
}

int ussl_sess_offer(ussl_conn *conn, const unsigned char *buf, size_t len)
{
	struct ussl_sess_conn *s;
	sess_view v;

	if (parse(buf, len, &v) != 0)
		return ussl_err_set(&conn->err, USSL_E_BADARG,
		    "unusable session data (damaged, truncated or not "
		    "made by ussl)");
	if (buf[5] != (unsigned char)eng_session_format())
		return ussl_err_set(&conn->err, USSL_E_BADARG, "unusable "
		    "session data (made by another TLS engine)");
	if ((s = ussl_sess_get(conn)) == NULL)
		return ussl_err_set(&conn->err, USSL_E_NOMEM, "out of memory");
	/* Another policy or name: not offered, the handshake is full. */
	if (!bound_to(conn, &v))
		return USSL_OK;
	if (eng_sha256(v.eng, v.eng_len, s->offered_id) != 0)
		return ussl_err_set(&conn->err, USSL_E_INTERNAL,
		    "cannot read session data");
	if (eng_conn_set_session(conn, v.eng, v.eng_len, v.leaf,
	    v.leaf_len) != USSL_OK)
		return USSL_ERROR;
	s->offered = 1;
	s->offered_verified = (v.flags & F_VERIFIED) != 0 &&
	    conn->ctx->verify != USSL_VERIFY_NONE;
	return USSL_OK;
}

/* ---------------------------------------------------------------------- */
/* The connection's side                                                  */

int ussl_conn_get_session(const ussl_conn *conn, unsigned char *buf,
    size_t *len)
{
	unsigned char *data;
	size_t n;
	int tls13, r = -1;

	if ((data = ussl_sess_make(conn, &n, &tls13)) == NULL) {
		*len = 0;
		return -1;
	}
	if (buf != NULL && *len >= n) {
		memcpy(buf, data, n);
		r = 0;
	}
	*len = n;
	ussl_wipe(data, n);
	USSL_FREE(data);
	return r;
}

int ussl_conn_set_session(ussl_conn *conn, const unsigned char *buf,
    size_t len)
{
	if (conn->state == ST_FAILED)
		return USSL_ERROR;       /* the fatal error stays */
	ussl_err_clear(&conn->err);
	if (conn->role != USSL_CLIENT || conn->state != ST_NEW)
		return ussl_err_set(&conn->err, USSL_E_BADARG, "a session "
		    "can only be offered by a client before its handshake");
	if (conn->sess != NULL && conn->sess->offered)
		return ussl_err_set(&conn->err, USSL_E_BADARG,
		    "a session was offered already");
	if (buf == NULL || len == 0)
		return ussl_err_set(&conn->err, USSL_E_BADARG, "no session");
	return ussl_sess_offer(conn, buf, len);
}

int ussl_conn_set_cache_key(ussl_conn *conn, const char *host,
    unsigned port)
{
	struct ussl_sess_conn *s;
	unsigned char *data;
	size_t len, n;

	if (conn->state == ST_FAILED)
		return USSL_ERROR;       /* the fatal error stays */
	ussl_err_clear(&conn->err);
	if (conn->role != USSL_CLIENT || conn->state != ST_NEW ||
	    (conn->sess != NULL && (conn->sess->offered ||
	    conn->sess->use_cache)))
		return ussl_err_set(&conn->err, USSL_E_BADARG, "the session "
		    "cache is for clients, once, before the handshake");
	if (host == NULL)
		host = conn->name.host != NULL ? conn->name.host : "";
	n = strlen(host);
	if (n > SESS_NAME_MAX)
		return ussl_err_set(&conn->err, USSL_E_BADARG,
		    "cache key too long");
	if ((s = ussl_sess_get(conn)) == NULL ||
	    (s->key_host = USSL_CALLOC(1, n + 1)) == NULL)
		return ussl_err_set(&conn->err, USSL_E_NOMEM, "out of memory");
	memcpy(s->key_host, host, n);
	s->port = port;
	s->use_cache = 1;
	data = ussl_scache_take(conn->ctx, s->key_host, port, &len);
	if (data == NULL)
		return USSL_OK;
	if (ussl_sess_offer(conn, data, len) != USSL_OK || !s->offered) {
		/* Made under another policy or for another name (or
		   damaged): never to be offered by this context. */
		ussl_scache_drop(conn->ctx, s->key_host, port);
		ussl_scache_count(conn->ctx, USSL_SCACHE_DROPPED);
		ussl_err_clear(&conn->err);
	} else {
		s->from_cache = 1;
	}
	ussl_wipe(data, len);
	USSL_FREE(data);
	return USSL_OK;
}

static int is_tls13(const ussl_conn *conn)
{
	const char *v = eng_conn_version(conn);

	return v != NULL && strcmp(v, "TLSv1.3") == 0;
}

/* Put conn's session in the cache (a TLS 1.3 ticket that was offered
   is not made again, see reoffer()). */
static void store(ussl_conn *conn)
{
	struct ussl_sess_conn *s = conn->sess;
	unsigned char *data;
	size_t len;
	int tls13;

	if ((data = ussl_sess_make(conn, &len, &tls13)) == NULL)
		return;
	ussl_scache_put(conn->ctx, s->key_host, s->port, data, len, tls13);
	s->stored = 1;
}

void ussl_sess_handshake_done(ussl_conn *conn)
{
	struct ussl_sess_conn *s = conn->sess;
	int reused;

	if (conn->role != USSL_CLIENT)
		return;
	reused = eng_conn_session_reused(conn);
	/* A resumed session exchanged no certificate: the peer is as
	   verified as the session says, under this very policy. */
	if (reused)
		conn->peer_verified = s != NULL && s->offered &&
		    s->offered_verified;
	if (s == NULL)
		return;
	if (s->use_cache) {
		if (s->from_cache) {
			ussl_scache_count(conn->ctx, reused ? USSL_SCACHE_HIT :
			    USSL_SCACHE_MISS);
			if (!reused)
				ussl_scache_drop(conn->ctx, s->key_host,
				    s->port);
		}
		store(conn);    /* TLS 1.2: the session is known now */
	}
	/* Without TLS 1.3 tickets to come, the state is spent once the
	   session is in the cache (or none goes there): a held connection
	   does not keep it. */
	if ((!s->use_cache || s->stored) && !is_tls13(conn))
		ussl_sess_conn_free(conn);
}

void ussl_sess_conn_end(ussl_conn *conn)
{
	struct ussl_sess_conn *s = conn->sess;

	/* A TLS 1.3 ticket comes after the handshake: take the last one. */
	if (s != NULL && s->use_cache && !s->stored && conn->hs_complete &&
	    conn->state != ST_FAILED && conn->eng != NULL)
		store(conn);
	if (s != NULL)
		s->stored = 1;
}

void ussl_sess_conn_free(ussl_conn *conn)
{
	struct ussl_sess_conn *s = conn->sess;

	if (s == NULL)
		return;
	USSL_FREE(s->key_host);
	ussl_wipe(s, sizeof(*s));
	USSL_FREE(s);
	conn->sess = NULL;
}
