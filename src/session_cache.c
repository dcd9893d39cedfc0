/*
 * session_cache.c - a client context's session cache: session data (the
 * format of session.c) kept per (host, port), least recently used first
 * out beyond its bound, shared by the threads using the context under a
 * lock of its own.  A TLS 1.3 entry is taken out when offered (tickets
 * are used once, RFC 8446 C.4); a TLS 1.2 entry stays until replaced.
 * Entries are checked like any session data when offered (session.c).
 */
#include <string.h>

#include "session.h"
#include "ussl_lock.h"

struct entry {
	struct entry *prev, *next;   /* next: less recently used */
	char *host;
	unsigned port;
	int tls13;
	unsigned char *data;
	size_t len;
};

struct ussl_scache {
	ussl_lock_t lock;
	struct entry *head, *tail;   /* most / least recently used */
	size_t n, max;
	unsigned long long hits, misses, dropped;
};

/* Makes every context's cache (contexts are shared by threads). */
USSL_LOCK_STATIC(make_lock);

static size_t bound(const ussl_ctx *ctx)
{
	return ctx->sess.cache_set ? ctx->sess.cache_max :
	    USSL_SESSION_CACHE_DEFAULT;
}

/* ctx's cache, made if absent and wanted; NULL if off or out of memory. */
static struct ussl_scache *get_cache(ussl_ctx *ctx, int make)
{
	struct ussl_scache *c;

	ussl_lock(&make_lock);
	c = ctx->sess.cache;
	if (c == NULL && make && ctx->role == USSL_CLIENT &&
	    bound(ctx) > 0 && (c = USSL_CALLOC(1, sizeof(*c))) != NULL) {
		if (ussl_lock_init(&c->lock) != 0) {
			USSL_FREE(c);
			c = NULL;
		} else {
			c->max = bound(ctx);
			ctx->sess.cache = c;
		}
	}
	ussl_unlock(&make_lock);
	return c;
}

static void entry_free(struct entry *e)
{
	ussl_wipe(e->data, e->len);
	USSL_FREE(e->data);
	USSL_FREE(e->host);
	USSL_FREE(e);
}

/* Under the lock. */
static void unlink_entry(struct ussl_scache *c, struct entry *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
	c->n--;
}

static void push_front(struct ussl_scache *c, struct entry *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head != NULL)
		c->head->prev = e;
	c->head = e;
	if (c->tail == NULL)
		c->tail = e;
	c->n++;
}

static struct entry *find(struct ussl_scache *c, const char *host,
    unsigned port)
{
	struct entry *e;

	for (e = c->head; e != NULL; e = e->next)
		if (e->port == port && strcmp(e->host, host) == 0)
			return e;
	return NULL;
}

/* Under the lock: drop the least recently used beyond max. */
static void trim(struct ussl_scache *c, size_t max)
{
	struct entry *e;

	while (c->n > max && (e = c->tail) != NULL) {
		unlink_entry(c, e);
		entry_free(e);
	}
}

unsigned char *ussl_scache_take(ussl_ctx *ctx, const char *host,
    unsigned port, size_t *len)
{
	struct ussl_scache *c = get_cache(ctx, 0);
	unsigned char *data = NULL;
	struct entry *e;

	*len = 0;
	if (c == NULL)
		return NULL;
	ussl_lock(&c->lock);
	if ((e = find(c, host, port)) != NULL) {
		unlink_entry(c, e);
		if (e->tls13) {
			data = e->data;      /* used once: out it goes */
			*len = e->len;
			e->data = NULL;
			e->len = 0;
			entry_free(e);
		} else if ((data = USSL_CALLOC(1, e->len)) != NULL) {
			memcpy(data, e->data, e->len);
			*len = e->len;
			push_front(c, e);
		} else {
			push_front(c, e);
		}
	}
	ussl_unlock(&c->lock);
	return data;
}

void ussl_scache_put(ussl_ctx *ctx, const char *host, unsigned port,
    unsigned char *data, size_t len, int tls13)
{
	struct ussl_scache *c = get_cache(ctx, 1);
	struct entry *e = NULL, *old;
	size_t n = strlen(host);

	if (c == NULL || (e = USSL_CALLOC(1, sizeof(*e))) == NULL ||
	    (e->host = USSL_CALLOC(1, n + 1)) == NULL) {
		USSL_FREE(e);
		ussl_wipe(data, len);
		USSL_FREE(data);
		return;
	}
	memcpy(e->host, host, n);
	e->port = port;
	e->tls13 = tls13;
	e->data = data;
	e->len = len;
	ussl_lock(&c->lock);
	if ((old = find(c, host, port)) != NULL) {
		unlink_entry(c, old);
		entry_free(old);
	}
	push_front(c, e);
	trim(c, c->max);
	ussl_unlock(&c->lock);
}

void ussl_scache_drop(ussl_ctx *ctx, const char *host, unsigned port)
{
	struct ussl_scache *c = get_cache(ctx, 0);
	struct entry *e;

	if (c == NULL)
		return;
	ussl_lock(&c->lock);
	if ((e = find(c, host, port)) != NULL) {
		unlink_entry(c, e);
		entry_free(e);
	}
	ussl_unlock(&c->lock);
}

void ussl_scache_count(ussl_ctx *ctx, int what)
{
	struct ussl_scache *c = get_cache(ctx, 1);

	if (c == NULL)
		return;
	ussl_lock(&c->lock);
	if (what == USSL_SCACHE_HIT)
		c->hits++;
	else if (what == USSL_SCACHE_MISS)
		c->misses++;
	else
		c->dropped++;
	ussl_unlock(&c->lock);
}

/* ---------------------------------------------------------------------- */
/* Public API                                                              */

int ussl_ctx_set_session_cache(ussl_ctx *ctx, size_t max_entries)
{
	struct ussl_scache *c;

	ussl_err_clear(&ctx->err);
	if (ctx->role != USSL_CLIENT)
		return ussl_err_set(&ctx->err, USSL_E_BADARG,
		    "the session cache is for client contexts");
	ussl_lock(&make_lock);
	ctx->sess.cache_max = max_entries;
	ctx->sess.cache_set = 1;
	c = ctx->sess.cache;
	ussl_unlock(&make_lock);
	if (c != NULL) {
		ussl_lock(&c->lock);
		c->max = max_entries;
		trim(c, max_entries);
		ussl_unlock(&c->lock);
	}
	return USSL_OK;
}

void ussl_ctx_flush_sessions(ussl_ctx *ctx)
{
	struct ussl_scache *c = get_cache(ctx, 0);

	if (c == NULL)
		return;
	ussl_lock(&c->lock);
	trim(c, 0);
	ussl_unlock(&c->lock);
}

void ussl_ctx_session_stats(ussl_ctx *ctx, ussl_session_stats *st)
{
	struct ussl_scache *c = get_cache(ctx, 0);

	memset(st, 0, sizeof(*st));
	ussl_lock(&make_lock);
	st->max_entries = ctx->role == USSL_CLIENT ? bound(ctx) : 0;
	ussl_unlock(&make_lock);
	if (c == NULL)
		return;
	ussl_lock(&c->lock);
	st->entries = c->n;
	st->hits = c->hits;
	st->misses = c->misses;
	st->dropped = c->dropped;
	ussl_unlock(&c->lock);
}

void ussl_sess_ctx_free(ussl_ctx *ctx)
{
	struct ussl_scache *c = ctx->sess.cache;

	if (c == NULL)
		return;
	trim(c, 0);
	ussl_lock_free(&c->lock);
	USSL_FREE(c);
	ctx->sess.cache = NULL;
}
