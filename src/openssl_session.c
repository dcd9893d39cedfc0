/*
 * openssl_session.c - session resumption on the OpenSSL engine: server
 * ticket keys that rotate every lifetime seconds (the previous key is
 * still accepted, as mbedTLS's ticket module does), the client's
 * serialized sessions (the core wraps and checks them, see session.c),
 * and what the core's session code asks of an engine (digest, random
 * bytes, clock, the CA set).
 */
#include <limits.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "openssl_engine.h"

struct tkey {
	unsigned char name[16];
	unsigned char aes[32];
	unsigned char mac[32];
	time_t born;
	int valid;
};

struct oeng_tickets {
	CRYPTO_RWLOCK *lock;  /* one context serves many threads */
	unsigned lifetime;
	struct tkey cur, prev;
};

static void wipe_key(struct tkey *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

static int new_key(struct tkey *k, time_t now)
{
	if (RAND_bytes(k->name, sizeof(k->name)) != 1 ||
	    RAND_priv_bytes(k->aes, sizeof(k->aes)) != 1 ||
	    RAND_priv_bytes(k->mac, sizeof(k->mac)) != 1) {
		wipe_key(k);
		return 0;
	}
	k->born = now;
	k->valid = 1;
	return 1;
}

/* Under the lock: a key encrypts for one lifetime, then decrypts only,
   for one more. */
static void rotate(struct oeng_tickets *t, time_t now)
{
	if (t->cur.valid && now - t->cur.born >= (time_t)t->lifetime) {
		t->prev = t->cur;
		wipe_key(&t->cur);
	}
	if (t->prev.valid && now - t->prev.born >= 2 * (time_t)t->lifetime)
		wipe_key(&t->prev);
	if (!t->cur.valid)
		new_key(&t->cur, now);
}

/*
 * OpenSSL's ticket callback: enc 1 picks the current key for a new
 * ticket, enc 0 finds the key a ticket names.  Returns 1 (go on), 2 (go
 * on, and issue a fresh ticket: the key is the previous one), 0 (no
 * such key: full handshake) or -1 (error).
 */
static int ticket_cb(SSL *ssl, unsigned char *name, unsigned char *iv,
    EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
	static char digest[] = "SHA256";
	ussl_conn *conn = SSL_get_app_data(ssl);
	struct oeng_tickets *t = conn != NULL ? conn->ctx->eng->tickets : NULL;
	OSSL_PARAM params[3];
	struct tkey k;
	int r = 1;

	if (t == NULL || CRYPTO_THREAD_write_lock(t->lock) != 1)
		return enc ? -1 : 0;
	rotate(t, time(NULL));
	if (enc)
		k = t->cur;
	else if (t->cur.valid && memcmp(name, t->cur.name, 16) == 0)
		/* TLS 1.3 clients use a ticket once (RFC 8446 C.4, the core's
		   cache): a resumed connection gets a fresh one, as mbedTLS
		   servers send, which OpenSSL does only when told to renew. */
		k = t->cur, r = SSL_version(ssl) == TLS1_3_VERSION ? 2 : 1;
	else if (t->prev.valid && memcmp(name, t->prev.name, 16) == 0)
		k = t->prev, r = 2;
	else
		memset(&k, 0, sizeof(k));
	CRYPTO_THREAD_unlock(t->lock);
	if (!k.valid) {
		r = enc ? -1 : 0;
		goto out;
	}
	if (enc) {
		memcpy(name, k.name, 16);
		if (RAND_bytes(iv, 16) != 1 ||
		    EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k.aes,
		    iv) != 1) {
			r = -1;
			goto out;
		}
	} else if (EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k.aes,
	    iv) != 1) {
		r = -1;
		goto out;
	}
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY,
	    k.mac, sizeof(k.mac));
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    digest, 0);
	params[2] = OSSL_PARAM_construct_end();
	if (EVP_MAC_CTX_set_params(hctx, params) != 1)
		r = -1;
out:
	wipe_key(&k);
	return r;
}

int oeng_tickets_apply(ussl_ctx *ctx, SSL_CTX *ssl)
{
	struct oeng_tickets *t = ctx->eng->tickets;

	if (ctx->role != USSL_SERVER)
		return 1;
	if (t == NULL) {
		/* No tickets, and no session cache: nothing to resume. */
		SSL_CTX_set_options(ssl, SSL_OP_NO_TICKET);
		SSL_CTX_set_num_tickets(ssl, 0);
		return 1;
	}
	SSL_CTX_clear_options(ssl, SSL_OP_NO_TICKET);
	/* One TLS 1.3 ticket per handshake, as mbedTLS sends. */
	SSL_CTX_set_num_tickets(ssl, 1);
	SSL_CTX_set_timeout(ssl, (long)t->lifetime);
	return SSL_CTX_set_tlsext_ticket_key_evp_cb(ssl, ticket_cb) == 1;
}

void oeng_tickets_free(struct eng_ctx *e)
{
	struct oeng_tickets *t = e->tickets;

	if (t == NULL)
		return;
	CRYPTO_THREAD_lock_free(t->lock);
	ussl_wipe(t, sizeof(*t));
	USSL_FREE(t);
	e->tickets = NULL;
}

int eng_ctx_set_tickets(ussl_ctx *ctx, unsigned lifetime)
{
	struct eng_ctx *e = ctx->eng;
	struct oeng_tickets *t = NULL;

	if (lifetime > 0) {
		t = USSL_CALLOC(1, sizeof(*t));
		if (t == NULL || (t->lock = CRYPTO_THREAD_lock_new()) == NULL) {
			USSL_FREE(t);
			return ussl_err_set(&ctx->err, USSL_E_NOMEM,
			    "out of memory");
		}
		/* Seconds fit a long (session timeout) on every host. */
		t->lifetime = lifetime > 0x7fffffffu ? 0x7fffffffu : lifetime;
	}
	oeng_tickets_free(e);
	e->tickets = t;
	ERR_clear_error();
	if (e->ssl != NULL && !oeng_tickets_apply(ctx, e->ssl)) {
		ERR_clear_error();
		return ussl_err_set(&ctx->err, USSL_E_INTERNAL,
		    "cannot set up session tickets");
	}
	return USSL_OK;
}

/*
 * The sessions this context handed out lately, with their parsed form.
 * Session data usually comes back to the process that made it (a client
 * cache), and parsing it costs more than a resumed handshake saves:
 * d2i_SSL_SESSION decodes the peer's certificate, which OpenSSL 3.0 does
 * through its slow decoder framework.  Exact bytes only: anything else is
 * parsed and checked as before.
 */
#define MEMO_N 8

struct oeng_memo {
	CRYPTO_RWLOCK *lock;
	unsigned next;
	struct memo_entry {
		unsigned char *der;
		size_t len;
		SSL_SESSION *s;
	} e[MEMO_N];
};

int oeng_memo_new(struct eng_ctx *e)
{
	struct oeng_memo *m = USSL_CALLOC(1, sizeof(*m));

	if (m == NULL || (m->lock = CRYPTO_THREAD_lock_new()) == NULL) {
		USSL_FREE(m);
		return -1;
	}
	e->memo = m;
	return 0;
}

static void memo_clear(struct memo_entry *me)
{
	if (me->der != NULL) {
		ussl_wipe(me->der, me->len);
		USSL_FREE(me->der);
	}
	SSL_SESSION_free(me->s);
	memset(me, 0, sizeof(*me));
}

void oeng_memo_free(struct eng_ctx *e)
{
	struct oeng_memo *m = e->memo;
	unsigned i;

	if (m == NULL)
		return;
	for (i = 0; i < MEMO_N; i++)
		memo_clear(&m->e[i]);
	CRYPTO_THREAD_lock_free(m->lock);
	USSL_FREE(m);
	e->memo = NULL;
}

static void memo_put(struct oeng_memo *m, const unsigned char *der,
    size_t len, SSL_SESSION *s)
{
	struct memo_entry *me;
	unsigned char *copy;
	SSL_SESSION *dup;
	unsigned i;

	if (m == NULL || !CRYPTO_THREAD_write_lock(m->lock))
		return;
	for (i = 0; i < MEMO_N; i++)
		if (m->e[i].len == len &&
		    memcmp(m->e[i].der, der, len) == 0)
			goto out;       /* asked twice for the same session */
	/* Copies, here and in memo_get: OpenSSL marks a session object
	   unresumable when a connection using it ends without close_notify,
	   and the memo's must stay as the bytes describe it. */
	if ((copy = USSL_CALLOC(1, len)) == NULL ||
	    (dup = SSL_SESSION_dup(s)) == NULL) {
		USSL_FREE(copy);
		goto out;
	}
	memcpy(copy, der, len);
	me = &m->e[m->next++ % MEMO_N];
	memo_clear(me);
	me->der = copy;
	me->len = len;
	me->s = dup;
out:
	CRYPTO_THREAD_unlock(m->lock);
}

/* A copy of the parsed session for exactly these bytes, or NULL. */
static SSL_SESSION *memo_get(struct oeng_memo *m, const unsigned char *der,
    size_t len)
{
	SSL_SESSION *s = NULL;
	unsigned i;

	if (m == NULL || !CRYPTO_THREAD_read_lock(m->lock))
		return NULL;
	for (i = 0; i < MEMO_N; i++) {
		if (m->e[i].s != NULL && m->e[i].len == len &&
		    memcmp(m->e[i].der, der, len) == 0) {
			s = SSL_SESSION_dup(m->e[i].s);
			break;
		}
	}
	CRYPTO_THREAD_unlock(m->lock);
	return s;
}

int eng_conn_get_session(const ussl_conn *conn, unsigned char *buf,
    size_t *len)
{
	SSL *ssl = conn->eng->ssl;
	SSL_SESSION *s;
	unsigned char *p = buf;
	int n;

	if (conn->eng->rec != NULL)
		return oeng_rec_session(conn->eng, buf, len);
	s = SSL_get0_session(ssl);

	/* A TLS 1.3 session becomes resumable once its ticket was read. */
	if (!SSL_is_init_finished(ssl) || s == NULL ||
	    !SSL_SESSION_is_resumable(s) || (n = i2d_SSL_SESSION(s, NULL)) <= 0) {
		ERR_clear_error();
		*len = 0;
		return -1;
	}
	if (buf == NULL || *len < (size_t)n) {
		*len = (size_t)n;
		return -1;
	}
	*len = (size_t)i2d_SSL_SESSION(s, &p);
	memo_put(conn->ctx->eng->memo, buf, *len, s);
	ERR_clear_error();
	return 0;
}

int oeng_session_copy(ussl_conn *conn, unsigned char **out, size_t *len)
{
	size_t n = 0;

	*out = NULL;
	*len = 0;
	if (eng_conn_get_session(conn, NULL, &n) == 0 || n == 0)
		return 0;       /* nothing resumable */
	if ((*out = USSL_CALLOC(1, n)) == NULL)
		return -1;
	if (eng_conn_get_session(conn, *out, &n) != 0) {
		USSL_FREE(*out);
		*out = NULL;
		return 0;
	}
	*len = n;
	return 0;
}

int eng_conn_set_session(ussl_conn *conn, const unsigned char *buf,
    size_t len, const unsigned char *leaf, size_t leaf_len)
{
	const unsigned char *p = buf;
	SSL_SESSION *s;
	unsigned long code;
	int v;

	/* OpenSSL's session carries the peer's certificate itself. */
	(void)leaf;
	(void)leaf_len;
	ERR_clear_error();
	s = memo_get(conn->ctx->eng->memo, buf, len);
	if (s != NULL)
		p = buf + len;
	else if (len <= LONG_MAX)
		s = d2i_SSL_SESSION(NULL, &p, (long)len);
	v = s != NULL ? SSL_SESSION_get_protocol_version(s) : 0;
	if (s == NULL || p != buf + len ||
	    (v != TLS1_2_VERSION && v != TLS1_3_VERSION) ||
	    SSL_set_session(conn->eng->ssl, s) != 1) {
		code = ERR_peek_error();
		ussl_err_set(&conn->err, code != 0 &&
		    ERR_GET_REASON(code) == ERR_R_MALLOC_FAILURE ?
		    USSL_E_NOMEM : USSL_E_BADARG, "unusable session data");
		oeng_detail(&conn->err, code);
		SSL_SESSION_free(s);
		ERR_clear_error();
		return USSL_ERROR;
	}
	SSL_SESSION_free(s);   /* the connection holds its own reference */
	return USSL_OK;
}

int eng_conn_session_reused(const ussl_conn *conn)
{
	if (conn->eng->rec != NULL)
		return oeng_rec_reused(conn->eng);
	return SSL_session_reused(conn->eng->ssl);
}

int eng_session_format(void)
{
	return ENG_SESS_OPENSSL3;
}

int eng_sha256(const unsigned char *p, size_t n, unsigned char out[32])
{
	unsigned int len = 0;

	if (EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) != 1 ||
	    len != 32) {
		ERR_clear_error();
		return -1;
	}
	return 0;
}

int eng_random(unsigned char *buf, size_t n)
{
	if (n > INT_MAX || RAND_bytes(buf, (int)n) != 1) {
		ERR_clear_error();
		return -1;
	}
	return 0;
}

int64_t eng_time_now(void)
{
	return (int64_t)time(NULL);
}

int eng_ctx_ca_each(const ussl_ctx *ctx,
    int (*fn)(void *arg, const unsigned char *der, size_t len), void *arg)
{
	STACK_OF(X509) *certs;
	unsigned char *der;
	X509 *x;
	int i, n, r = 0;

	if (ctx->eng->store == NULL)
		return 0;
	/* A copy: the store may be sorted by a lookup meanwhile. */
	if ((certs = X509_STORE_get1_all_certs(ctx->eng->store)) == NULL) {
		ERR_clear_error();
		return -1;
	}
	for (i = 0; r == 0 && i < sk_X509_num(certs); i++) {
		x = sk_X509_value(certs, i);
		der = NULL;
		if ((n = i2d_X509(x, &der)) <= 0) {
			r = -1;
			break;
		}
		r = fn(arg, der, (size_t)n);
		OPENSSL_free(der);
	}
	sk_X509_pop_free(certs, X509_free);
	ERR_clear_error();
	return r;
}
