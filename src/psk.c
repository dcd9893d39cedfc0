/*
 * psk.c - pre-shared keys: the context's PSK state (client identity and
 * key, server table and lookup callback), its checks and its place in
 * the session fingerprint.  The engines apply it (eng_ctx_psk_update).
 */
#include <string.h>

#include "engine.h"
#include "psk.h"

int ussl_psk_active(const ussl_ctx *ctx)
{
	const struct ussl_psk *p = ctx->psk;

	if (p == NULL)
		return 0;
	return ctx->role == USSL_CLIENT ? p->id_len > 0 :
	    p->table != NULL || p->fn != NULL;
}

int ussl_ctx_has_psk(const ussl_ctx *ctx)
{
	return ussl_psk_active(ctx);
}

static void table_free(struct ussl_psk_entry *t)
{
	struct ussl_psk_entry *next;

	for (; t != NULL; t = next) {
		next = t->next;
		ussl_wipe(t, sizeof(*t));
		USSL_FREE(t);
	}
}

void ussl_psk_free(ussl_ctx *ctx)
{
	if (ctx->psk == NULL)
		return;
	table_free(ctx->psk->table);
	ussl_wipe(ctx->psk, sizeof(*ctx->psk));
	USSL_FREE(ctx->psk);
	ctx->psk = NULL;
}

/* Identity and key rules; the key never appears in a message. */
static int check(ussl_ctx *ctx, const unsigned char *id, size_t id_len,
    const unsigned char *key, size_t key_len)
{
	if (id == NULL || id_len == 0 || id_len > USSL_PSK_MAX_IDENTITY)
		return ussl_err_set(&ctx->err, USSL_E_BADARG, "a PSK identity "
		    "must be 1 to %d bytes", USSL_PSK_MAX_IDENTITY);
	if (memchr(id, 0, id_len) != NULL)
		return ussl_err_set(&ctx->err, USSL_E_BADARG,
		    "a PSK identity must not hold a zero byte");
	if (key == NULL || key_len == 0 || key_len > USSL_PSK_MAX_KEY)
		return ussl_err_set(&ctx->err, USSL_E_BADARG, "a PSK key must "
		    "be 1 to %d bytes", USSL_PSK_MAX_KEY);
	return USSL_OK;
}

static struct ussl_psk *get(ussl_ctx *ctx)
{
	if (ctx->psk == NULL)
		ctx->psk = USSL_CALLOC(1, sizeof(*ctx->psk));
	if (ctx->psk == NULL)
		ussl_err_set(&ctx->err, USSL_E_NOMEM, "out of memory");
	return ctx->psk;
}

/* After a change: the engine follows, or the change is undone by the
   caller (which kept what it needs). */
static int apply(ussl_ctx *ctx)
{
	/* A PSK server issues no tickets: a ticket would outlive the
	   identity it was issued to. */
	if (ctx->role == USSL_SERVER && ussl_psk_active(ctx) &&
	    ctx->tickets != 0) {
		if (eng_ctx_set_tickets(ctx, 0) != USSL_OK)
			return USSL_ERROR;
		ctx->tickets = 0;
	}
	return eng_ctx_psk_update(ctx);
}

int ussl_ctx_set_psk(ussl_ctx *ctx, const unsigned char *identity,
    size_t identity_len, const unsigned char *key, size_t key_len)
{
	struct ussl_psk *p, old;
	int r;

	if (ussl_ctx_check_mutable(ctx) != USSL_OK)
		return USSL_ERROR;
	if (ctx->role != USSL_CLIENT)
		return ussl_err_set(&ctx->err, USSL_E_BADARG, "a server "
		    "accepts PSKs with ussl_ctx_add_psk/ussl_ctx_set_psk_cb");
	if (identity == NULL && key == NULL) {
		if (ctx->psk != NULL) {
			ussl_wipe(ctx->psk->key, sizeof(ctx->psk->key));
			ctx->psk->id_len = ctx->psk->key_len = 0;
		}
		return eng_ctx_psk_update(ctx);
	}
	if (check(ctx, identity, identity_len, key, key_len) != USSL_OK ||
	    (p = get(ctx)) == NULL)
		return USSL_ERROR;
	old = *p;
	memcpy(p->id, identity, identity_len);
	p->id_len = identity_len;
	ussl_wipe(p->key, sizeof(p->key));
	memcpy(p->key, key, key_len);
	p->key_len = key_len;
	r = eng_ctx_psk_update(ctx);
	if (r != USSL_OK) {
		*p = old;
		(void)eng_ctx_psk_update(ctx);
	}
	ussl_wipe(&old, sizeof(old));
	return r;
}

int ussl_ctx_add_psk(ussl_ctx *ctx, const unsigned char *identity,
    size_t identity_len, const unsigned char *key, size_t key_len)
{
	struct ussl_psk_entry *t;
	struct ussl_psk *p;
	int added = 0;

	if (ussl_ctx_check_mutable(ctx) != USSL_OK)
		return USSL_ERROR;
	if (ctx->role != USSL_SERVER)
		return ussl_err_set(&ctx->err, USSL_E_BADARG,
		    "a client sets its PSK with ussl_ctx_set_psk");
	if (check(ctx, identity, identity_len, key, key_len) != USSL_OK ||
	    (p = get(ctx)) == NULL)
		return USSL_ERROR;
	for (t = p->table; t != NULL; t = t->next)
		if (t->id_len == identity_len &&
		    memcmp(t->id, identity, identity_len) == 0)
			break;
	if (t == NULL) {
		if ((t = USSL_CALLOC(1, sizeof(*t))) == NULL)
			return ussl_err_set(&ctx->err, USSL_E_NOMEM,
			    "out of memory");
		memcpy(t->id, identity, identity_len);
		t->id_len = identity_len;
		t->next = p->table;
		p->table = t;
		added = 1;
	}
	ussl_wipe(t->key, sizeof(t->key));
	memcpy(t->key, key, key_len);
	t->key_len = key_len;
	if (apply(ctx) != USSL_OK) {
		if (added) {
			p->table = t->next;
			t->next = NULL;
			table_free(t);
		}
		return USSL_ERROR;
	}
	return USSL_OK;
}

int ussl_ctx_set_psk_cb(ussl_ctx *ctx, ussl_psk_fn fn, void *arg)
{
	struct ussl_psk *p;
	ussl_psk_fn old_fn;
	void *old_arg;

	if (ussl_ctx_check_mutable(ctx) != USSL_OK)
		return USSL_ERROR;
	if (ctx->role != USSL_SERVER)
		return ussl_err_set(&ctx->err, USSL_E_BADARG,
		    "a PSK lookup callback is for servers");
	if ((p = get(ctx)) == NULL)
		return USSL_ERROR;
	old_fn = p->fn;
	old_arg = p->arg;
	p->fn = fn;
	p->arg = fn != NULL ? arg : NULL;
	if (apply(ctx) != USSL_OK) {
		p->fn = old_fn;
		p->arg = old_arg;
		return USSL_ERROR;
	}
	return USSL_OK;
}

int ussl_ctx_clear_psk(ussl_ctx *ctx)
{
	if (ussl_ctx_check_mutable(ctx) != USSL_OK)
		return USSL_ERROR;
	ussl_psk_free(ctx);
	return eng_ctx_psk_update(ctx);
}

int ussl_psk_lookup(const ussl_ctx *ctx, const unsigned char *id,
    size_t id_len, unsigned char *key, size_t *key_len)
{
	const struct ussl_psk *p = ctx->psk;
	const struct ussl_psk_entry *t;
	size_t n;

	if (p == NULL || ctx->role != USSL_SERVER || id_len == 0)
		return -1;
	for (t = p->table; t != NULL; t = t->next)
		if (t->id_len == id_len && memcmp(t->id, id, id_len) == 0) {
			memcpy(key, t->key, t->key_len);
			*key_len = t->key_len;
			return 0;
		}
	if (p->fn == NULL)
		return -1;
	n = USSL_PSK_MAX_KEY;
	if (p->fn(p->arg, id, id_len, key, &n) != 0 || n == 0 ||
	    n > USSL_PSK_MAX_KEY) {
		ussl_wipe(key, USSL_PSK_MAX_KEY);
		return -1;
	}
	*key_len = n;
	return 0;
}

int ussl_psk_note(ussl_conn *conn, const unsigned char *id, size_t len)
{
	unsigned char *copy;

	if ((copy = USSL_CALLOC(1, len + 1)) == NULL)
		return -1;
	memcpy(copy, id, len);
	USSL_FREE(conn->psk_id);
	conn->psk_id = copy;
	conn->psk_id_len = len;
	return 0;
}

void ussl_psk_conn_free(ussl_conn *conn)
{
	USSL_FREE(conn->psk_id);
	conn->psk_id = NULL;
	conn->psk_id_len = 0;
}

int ussl_conn_psk_identity(const ussl_conn *conn,
    const unsigned char **identity, size_t *len)
{
	if (!conn->hs_complete || conn->psk_id == NULL)
		return -1;
	*identity = conn->psk_id;
	*len = conn->psk_id_len;
	return 0;
}

/*
 * What sessions are bound to: the client's identity and key (a session
 * holds its own secret anyway, so the key's digest tells nothing new),
 * or the server's table and callback.  A digest over it all.
 */
int ussl_psk_digest(const ussl_ctx *ctx, unsigned char out[32])
{
	static const char tag[] = "ussl psk 1";
	unsigned char buf[sizeof(tag) + 2 + USSL_PSK_MAX_IDENTITY +
	    USSL_PSK_MAX_KEY + 2];
	const struct ussl_psk *p = ctx->psk;
	unsigned char *q = buf;
	int r;

	memset(out, 0, 32);
	if (!ussl_psk_active(ctx) || ctx->role != USSL_CLIENT)
		return 0;   /* servers keep no sessions of their own */
	memcpy(q, tag, sizeof(tag));
	q += sizeof(tag);
	*q++ = (unsigned char)p->id_len;
	memcpy(q, p->id, p->id_len);
	q += p->id_len;
	*q++ = (unsigned char)p->key_len;
	memcpy(q, p->key, p->key_len);
	q += p->key_len;
	r = eng_sha256(buf, (size_t)(q - buf), out);
	ussl_wipe(buf, sizeof(buf));
	return r;
}

int ussl_psk_dup(ussl_ctx *dst, const ussl_ctx *src)
{
	const struct ussl_psk_entry *t;
	struct ussl_psk_entry *c, **tail;

	if (src->psk == NULL)
		return USSL_OK;
	if ((dst->psk = USSL_CALLOC(1, sizeof(*dst->psk))) == NULL)
		return USSL_ERROR;
	*dst->psk = *src->psk;
	dst->psk->table = NULL;
	tail = &dst->psk->table;
	for (t = src->psk->table; t != NULL; t = t->next) {
		if ((c = USSL_CALLOC(1, sizeof(*c))) == NULL)
			return USSL_ERROR;
		*c = *t;
		c->next = NULL;
		*tail = c;
		tail = &c->next;
	}
	return eng_ctx_psk_update(dst);
}
