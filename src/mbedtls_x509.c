/*
 * mbedtls_x509.c - the mbedTLS engine's certificates: parsing chains,
 * keys and CA stores, and chain verification with the core's policy
 * (verify.c) called from mbedTLS's verification callback.
 */
#include "mbedtls_engine.h"

/*
 * mbedTLS parses PEM only from a NUL-terminated buffer whose length
 * counts the NUL; DER is taken as is.  Returns a buffer to pass (maybe
 * data itself) and its length, or NULL if out of memory.
 */
static const unsigned char *as_parse_input(const unsigned char *data,
    size_t len, size_t *out_len, unsigned char **owned)
{
	static const char marker[] = "-----BEGIN";
	unsigned char *copy;
	size_t i;
	int pem = 0;

	*owned = NULL;
	*out_len = len;
	for (i = 0; i + sizeof(marker) - 1 <= len; i++) {
		if (data[i] == '-' &&
		    memcmp(data + i, marker, sizeof(marker) - 1) == 0) {
			pem = 1;
			break;
		}
	}
	if (!pem || data[len - 1] == '\0')
		return data;
	copy = USSL_CALLOC(1, len + 1);
	if (copy == NULL)
		return NULL;
	memcpy(copy, data, len);
	copy[len] = '\0';
	*owned = copy;
	*out_len = len + 1;
	return copy;
}

static void free_parse_input(unsigned char *owned, size_t len)
{
	if (owned != NULL) {
		ussl_wipe(owned, len);
		USSL_FREE(owned);
	}
}

/*
 * mbedTLS refuses a certificate with a critical extension it does not
 * know.  Name constraints are such an extension, but our policy enforces
 * them (verify.c reads every chain certificate's DER), so they may pass.
 */
static int policy_ext(void *arg, mbedtls_x509_crt const *crt,
    mbedtls_x509_buf const *oid, int critical, const unsigned char *p,
    const unsigned char *end)
{
	static const unsigned char name_constraints[] = { 0x55, 0x1D, 0x1E };

	(void)arg;
	(void)crt;
	(void)critical;
	(void)p;
	(void)end;
	return oid->len == sizeof(name_constraints) &&
	    memcmp(oid->p, name_constraints, oid->len) == 0 ? 0 : -1;
}

/*
 * mbedtls_x509_crt_parse() with policy_ext: DER, or every CERTIFICATE
 * block of NUL-terminated PEM.  Returns 0, the number of PEM blocks that
 * failed, or a negative mbedTLS code.
 */
static int crt_parse(mbedtls_x509_crt *crt, const unsigned char *buf,
    size_t len)
{
#if !defined(MBEDTLS_PEM_PARSE_C)
	/* A configuration without PEM (MicroPython's USSL_PEM=0): DER
	   only; PEM text then fails to parse as DER. */
	return mbedtls_x509_crt_parse_der_with_ext_cb(crt, buf, len, 1,
	    policy_ext, NULL);
#else
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	static const char end[] = "-----END CERTIFICATE-----";
	mbedtls_pem_context pem;
	size_t used;
	int ret = 0, good = 0, failed = 0, first = 0;

	if (len == 0 || buf[len - 1] != '\0' ||
	    strstr((const char *)buf, begin) == NULL)
		return mbedtls_x509_crt_parse_der_with_ext_cb(crt, buf, len, 1,
		    policy_ext, NULL);
	while (len > 1) {
		mbedtls_pem_init(&pem);
		used = 0;
		ret = mbedtls_pem_read_buffer(&pem, begin, end, buf, NULL, 0,
		    &used);
		if (ret == 0)
			ret = mbedtls_x509_crt_parse_der_with_ext_cb(crt,
			    pem.COMPAT_PRIV(buf), pem.COMPAT_PRIV(buflen), 1,
			    policy_ext, NULL);
		else if (ret == MBEDTLS_ERR_PEM_NO_HEADER_FOOTER_PRESENT ||
		    ret == MBEDTLS_ERR_PEM_BAD_INPUT_DATA)
			used = 0;         /* nothing more to read */
		mbedtls_pem_free(&pem);
		if (used == 0 || used > len ||
		    ret == MBEDTLS_ERR_X509_ALLOC_FAILED)
			break;
		buf += used;
		len -= used;
		if (ret == 0) {
			good++;
		} else {
			failed++;
			first = first ? first : ret;
		}
	}
	if (ret == MBEDTLS_ERR_X509_ALLOC_FAILED)
		return ret;
	if (good > 0)
		return failed;
	return first ? first : MBEDTLS_ERR_X509_CERT_UNKNOWN_FORMAT;
#endif
}

/* Parse certificates into crt; a partial failure is a failure. */
static int parse_certs(ussl_errstate *err, mbedtls_x509_crt *crt,
    const unsigned char *data, size_t len, const char *what)
{
	const unsigned char *in;
	unsigned char *owned;
	size_t in_len;
	int ret;

	in = as_parse_input(data, len, &in_len, &owned);
	if (in == NULL)
		return ussl_err_set(err, USSL_E_NOMEM, "out of memory");
	ret = crt_parse(crt, in, in_len);
	free_parse_input(owned, in_len);
	if (ret == MBEDTLS_ERR_X509_ALLOC_FAILED)
		return ussl_err_set(err, USSL_E_NOMEM, "out of memory");
	if (ret > 0) {
		return ussl_err_set(err, USSL_E_BADCERT,
		    "%s: %d certificate(s) could not be parsed", what, ret);
	}
	if (ret < 0 || crt->raw.p == NULL) {
		ussl_err_set(err, USSL_E_BADCERT,
		    "%s: not a valid PEM or DER certificate", what);
		if (ret < 0)
			meng_append_detail(err, ret);
		return USSL_ERROR;
	}
	return USSL_OK;
}

void meng_own_release(struct meng_own *o)
{
	if (o == NULL || ussl_ref_dec(&o->refs) > 0)
		return;
	mbedtls_x509_crt_free(&o->chain);
	meng_sign_unwrap(o);
	mbedtls_pk_free(&o->key);
	ussl_wipe(o, sizeof(*o));
	USSL_FREE(o);
}

void meng_cas_release(struct meng_cas *h)
{
	struct meng_cas *tail;

	while (h != NULL && ussl_ref_dec(&h->refs) == 0) {
		tail = h->tail;
		h->last->next = NULL;       /* the tail's are not ours */
		mbedtls_x509_crt_free(&h->crt);
		USSL_FREE(h);
		h = tail;
	}
}

/* mbedTLS appends to its list of own certificates; ours replace it. */
static int set_own_cert(struct eng_ctx *e, struct meng_own *o)
{
	compat_conf_clear_own_cert(&e->conf);
	return mbedtls_ssl_conf_own_cert(&e->conf, &o->chain, &o->key);
}

static int install_own(ussl_ctx *ctx, struct meng_own *o);

/* A new own-chain holder with cert parsed into it, or NULL (error set).
   A new holder each time: contexts sharing the old one (copies made by
   ussl_ctx_dup) keep it. */
static struct meng_own *new_own(ussl_ctx *ctx, const unsigned char *cert,
    size_t cert_len)
{
	struct meng_own *o = USSL_CALLOC(1, sizeof(*o));

	if (o == NULL) {
		ussl_err_set(&ctx->err, USSL_E_NOMEM, "out of memory");
		return NULL;
	}
	o->refs = 1;
	mbedtls_x509_crt_init(&o->chain);
	mbedtls_pk_init(&o->key);
	if (parse_certs(&ctx->err, &o->chain, cert, cert_len,
	    "certificate") != USSL_OK) {
		meng_own_release(o);
		return NULL;
	}
	return o;
}

int eng_ctx_use_cert_chain(ussl_ctx *ctx, const unsigned char *cert,
    size_t cert_len, const unsigned char *key, size_t key_len,
    const char *password)
{
	struct eng_ctx *e = ctx->eng;
	struct meng_own *o;
	const unsigned char *in;
	unsigned char *owned;
	size_t in_len, pwlen = password ? strlen(password) : 0;
	int ret;

	if ((o = new_own(ctx, cert, cert_len)) == NULL)
		return USSL_ERROR;
	/* Without a separate key, the key is in the certificate data. */
	if (key == NULL) {
		key = cert;
		key_len = cert_len;
	}
	in = as_parse_input(key, key_len, &in_len, &owned);
	if (in == NULL) {
		ussl_err_set(&ctx->err, USSL_E_NOMEM, "out of memory");
		goto fail;
	}
	ret = compat_pk_parse_key(&o->key, in, in_len,
	    (const unsigned char *)password, pwlen, &e->drbg);
	free_parse_input(owned, in_len);
	if (ret != 0) {
		if (ret == MBEDTLS_ERR_PK_PASSWORD_REQUIRED)
			ussl_err_set(&ctx->err, USSL_E_BADKEY,
			    "private key is encrypted and no password given");
		else if (ret == MBEDTLS_ERR_PK_PASSWORD_MISMATCH)
			ussl_err_set(&ctx->err, USSL_E_BADKEY,
			    "wrong password for the private key");
		else if (ret == MBEDTLS_ERR_PK_ALLOC_FAILED)
			ussl_err_set(&ctx->err, USSL_E_NOMEM, "out of memory");
		else
			ussl_err_set(&ctx->err, USSL_E_BADKEY,
			    "not a valid PEM or DER private key");
		meng_append_detail(&ctx->err, ret);
		goto fail;
	}
	ret = compat_pk_check_pair(&o->chain.pk, &o->key, &e->drbg);
	if (ret != 0) {
		ussl_err_set(&ctx->err, USSL_E_BADKEY,
		    "private key does not match the certificate");
		goto fail;
	}
	if (meng_sign_wrap(&ctx->err, o, 0) != USSL_OK)
		goto fail;
	return install_own(ctx, o);
fail:
	meng_own_release(o);
	return USSL_ERROR;
}

/* Swap o in (a failure leaves the context as it was). */
static int install_own(ussl_ctx *ctx, struct meng_own *o)
{
	struct eng_ctx *e = ctx->eng;

	if (set_own_cert(e, o) != 0) {
		if (e->own != NULL)
			(void)set_own_cert(e, e->own);
		ussl_err_set(&ctx->err, USSL_E_NOMEM, "out of memory");
		goto fail;
	}
	meng_own_release(e->own);
	e->own = o;
	return USSL_OK;
fail:
	meng_own_release(o);
	return USSL_ERROR;
}

int eng_ctx_use_cert_signer(ussl_ctx *ctx, const unsigned char *cert,
    size_t cert_len)
{
	struct meng_own *o;
	int ret;

	if ((o = new_own(ctx, cert, cert_len)) == NULL)
		return USSL_ERROR;
	/* The leaf's public key, parsed again: the key the callback signs
	   for, with a table of our own. */
	ret = mbedtls_pk_parse_public_key(&o->key,
	    o->chain.pk_raw.p, o->chain.pk_raw.len);
	if (ret != 0) {
		ussl_err_set(&ctx->err, ret == MBEDTLS_ERR_PK_ALLOC_FAILED ?
		    USSL_E_NOMEM : USSL_E_BADCERT,
		    "the certificate's public key is not usable");
		meng_append_detail(&ctx->err, ret);
		goto fail;
	}
	if (meng_sign_wrap(&ctx->err, o, 1) != USSL_OK)
		goto fail;
	if (meng_sign_tls12_only(o) && ctx->min_version > USSL_TLS1_2) {
		ussl_err_set(&ctx->err, USSL_E_CONFIG, "an RSA key behind a "
		    "sign callback needs TLS 1.2 with %s", eng_version());
		goto fail;
	}
	if (install_own(ctx, o) != USSL_OK)
		return USSL_ERROR;
	return eng_ctx_update(ctx);
fail:
	meng_own_release(o);
	return USSL_ERROR;
}

int eng_ctx_add_ca(ussl_ctx *ctx, const unsigned char *data, size_t len)
{
	struct eng_ctx *e = ctx->eng;
	struct meng_cas *h;

	/* Parse apart first so that bad data leaves the store untouched. */
	h = USSL_CALLOC(1, sizeof(*h));
	if (h == NULL)
		return ussl_err_set(&ctx->err, USSL_E_NOMEM, "out of memory");
	mbedtls_x509_crt_init(&h->crt);
	if (parse_certs(&ctx->err, &h->crt, data, len, "CA data") != USSL_OK) {
		mbedtls_x509_crt_free(&h->crt);
		USSL_FREE(h);
		return USSL_ERROR;
	}
	/* A new head in front of the store (which copies may share): its
	   last certificate leads on to the older ones. */
	h->refs = 1;
	for (h->last = &h->crt; h->last->next != NULL; h->last = h->last->next)
		;
	h->tail = e->ca;
	if (h->tail != NULL)
		h->last->next = &h->tail->crt;
	e->ca = h;                  /* takes over the context's reference */
	return eng_ctx_update(ctx);
}

/* ---------------------------------------------------------------------- */
/* Cipher suites                                                           */

/* ---------------------------------------------------------------------- */
/* Verification glue                                                       */

unsigned meng_map_vflags(uint32_t f)
{
	unsigned u = 0;

	if (f & MBEDTLS_X509_BADCERT_EXPIRED)
		u |= USSL_VFY_EXPIRED;
	if (f & MBEDTLS_X509_BADCERT_FUTURE)
		u |= USSL_VFY_NOT_YET_VALID;
	if (f & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
		u |= USSL_VFY_UNTRUSTED;
	if (f & MBEDTLS_X509_BADCERT_CN_MISMATCH)
		u |= USSL_VFY_NAME_MISMATCH;
	if (f & (MBEDTLS_X509_BADCERT_KEY_USAGE |
	    MBEDTLS_X509_BADCERT_EXT_KEY_USAGE | MBEDTLS_X509_BADCERT_NS_CERT_TYPE))
		u |= USSL_VFY_BAD_USAGE;
	if (f & MBEDTLS_X509_BADCERT_REVOKED)
		u |= USSL_VFY_REVOKED;
	if (f & MBEDTLS_X509_BADCERT_MISSING)
		u |= USSL_VFY_NO_CERT;
	if (f & MBEDTLS_X509_BADCERT_BAD_MD)
		u |= USSL_VFY_BAD_SIGNATURE;
	if (f & (MBEDTLS_X509_BADCERT_BAD_PK | MBEDTLS_X509_BADCERT_BAD_KEY))
		u |= USSL_VFY_BAD_KEY;
	if (f & MBEDTLS_X509_BADCERT_OTHER)
		u |= USSL_VFY_POLICY;
	if (f & MBEDTLS_X509_BADCERT_SKIP_VERIFY)
		u |= USSL_VFY_OTHER;
	if (f != 0 && u == 0)
		u = USSL_VFY_OTHER;
	return u;
}

/* The inverse of meng_map_vflags, for flags a verify callback set. */
static uint32_t unmap_vflags(unsigned u)
{
	uint32_t f = 0;

	if (u & USSL_VFY_EXPIRED)
		f |= MBEDTLS_X509_BADCERT_EXPIRED;
	if (u & USSL_VFY_NOT_YET_VALID)
		f |= MBEDTLS_X509_BADCERT_FUTURE;
	if (u & USSL_VFY_UNTRUSTED)
		f |= MBEDTLS_X509_BADCERT_NOT_TRUSTED;
	if (u & USSL_VFY_NAME_MISMATCH)
		f |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
	if (u & USSL_VFY_BAD_USAGE)
		f |= MBEDTLS_X509_BADCERT_EXT_KEY_USAGE;
	if (u & USSL_VFY_NO_CERT)
		f |= MBEDTLS_X509_BADCERT_MISSING;
	if (u & USSL_VFY_REVOKED)
		f |= MBEDTLS_X509_BADCERT_REVOKED;
	if (u & USSL_VFY_BAD_SIGNATURE)
		f |= MBEDTLS_X509_BADCERT_BAD_MD;
	if (u & USSL_VFY_BAD_KEY)
		f |= MBEDTLS_X509_BADCERT_BAD_KEY;
	if (u & USSL_VFY_POLICY)
		f |= MBEDTLS_X509_BADCERT_OTHER;
	if (u & USSL_VFY_OTHER)
		f |= MBEDTLS_X509_BADCERT_SKIP_VERIFY;
	return f;
}

/* Validity judged at a fixed time instead of the engine's clock. */
static uint32_t time_flags(const mbedtls_x509_crt *c, int64_t now)
{
	const mbedtls_x509_time *f = &c->valid_from, *t = &c->valid_to;
	uint32_t flags = 0;

	if (now < ussl_epoch(f->year, f->mon, f->day, f->hour, f->min, f->sec))
		flags |= MBEDTLS_X509_BADCERT_FUTURE;
	if (now > ussl_epoch(t->year, t->mon, t->day, t->hour, t->min, t->sec))
		flags |= MBEDTLS_X509_BADCERT_EXPIRED;
	return flags;
}

void meng_set_peer(struct eng_conn *e, unsigned char *der, size_t len)
{
	USSL_FREE(e->peer);
	e->peer = der;
	e->peer_len = (uint32_t)len;
}

/* The peer's leaf (DER), NULL if none. */
const unsigned char *meng_peer_der(const struct eng_conn *e, size_t *len)
{
#if COMPAT_KEEPS_PEER_CERT
	const mbedtls_x509_crt *c;
#endif

	if (e->peer != NULL) {
		*len = e->peer_len;
		return e->peer;
	}
#if COMPAT_KEEPS_PEER_CERT
	/* A server: the client's leaf stays in mbedTLS's session, a resumed
	   one's too (a client keeps its own copy, see meng_drop_peer_chain). */
	c = mbedtls_ssl_get_peer_cert(&e->ssl);
	if (c != NULL && c->raw.p != NULL) {
		*len = c->raw.len;
		return c->raw.p;
	}
#endif
	return NULL;
}

/*
 * After the handshake mbedTLS no longer needs the peer's chain, which it
 * keeps parsed (about 2 KB per certificate) for the connection's life.
 * A client keeps just the leaf's DER itself (peer, and in its session
 * data) and drops the whole chain; a server keeps the client's leaf in
 * the session, where a resumed session finds it, and drops the rest.
 */
void meng_drop_peer_chain(struct eng_conn *e, int role)
{
#if COMPAT_KEEPS_PEER_CERT
	mbedtls_ssl_session *s = e->ssl.COMPAT_PRIV(session);
	mbedtls_x509_crt *leaf;

	if (s == NULL || (leaf = s->COMPAT_PRIV(peer_cert)) == NULL)
		return;
	if (role == USSL_CLIENT && e->peer != NULL) {
		mbedtls_x509_crt_free(leaf);
		mbedtls_free(leaf);
		s->COMPAT_PRIV(peer_cert) = NULL;
	} else if (leaf->next != NULL) {
		mbedtls_x509_crt_free(leaf->next);   /* frees all but itself */
		mbedtls_free(leaf->next);
		leaf->next = NULL;
	}
#else
	(void)e;
	(void)role;
#endif
}

static int keep_peer(struct eng_conn *e, const mbedtls_x509_crt *crt)
{
	unsigned char *der = USSL_CALLOC(1, crt->raw.len);

	if (der == NULL)
		return -1;
	memcpy(der, crt->raw.p, crt->raw.len);
	meng_set_peer(e, der, crt->raw.len);
	return 0;
}

/*
 * Called by mbedTLS for every certificate of the chain, root first.  At
 * the leaf our policy (verify.c) judges the chain noted so far, and
 * replaces mbedTLS's own name check (which knows nothing of IP addresses
 * and falls back to the CN too eagerly).
 */
int meng_verify_cb(void *arg, mbedtls_x509_crt *crt, int depth,
    uint32_t *flags)
{
	struct vrun *vr = arg;
	const ussl_vstate *vs = &vr->vs;
	unsigned ours, uf, added;

	/* mbedTLS may call back for an empty certificate (a peer that sent
	   none): there is nothing to judge or to show the user's callback. */
	if (crt == NULL || crt->raw.p == NULL || crt->raw.len == 0) {
		*flags |= MBEDTLS_X509_BADCERT_MISSING;
		*vs->flags |= meng_map_vflags(*flags);
		return 0;
	}
	/* A server whose mbedTLS keeps the client's leaf in the session (see
	   meng_drop_peer_chain) needs no second copy. */
	if (depth == 0 && vr->e != NULL &&
	    (vs->role == USSL_CLIENT || !COMPAT_KEEPS_PEER_CERT) &&
	    keep_peer(vr->e, crt) != 0)
		return MBEDTLS_ERR_X509_ALLOC_FAILED;
	if (vr->e != NULL && vs->ctx->verify == USSL_VERIFY_NONE) {
		/* A client connection that does not verify (see conf_apply);
		   ussl_ctx_verify_chain judges whatever the mode.  mbedTLS's
		   OPTIONAL mode lets the handshake go on whatever the flags;
		   a non-zero result keeps the session from reading as
		   verified. */
		*flags = depth == 0 ? MBEDTLS_X509_BADCERT_SKIP_VERIFY : 0;
		return 0;
	}
	if (vs->at_time != 0) {
		*flags &= ~(uint32_t)(MBEDTLS_X509_BADCERT_EXPIRED |
		    MBEDTLS_X509_BADCERT_FUTURE);
		*flags |= time_flags(crt, vs->at_time);
	}
	if (vr->chain == NULL &&
	    (vr->chain = USSL_CALLOC(1, sizeof(*vr->chain))) == NULL)
		return MBEDTLS_ERR_X509_ALLOC_FAILED;
	ussl_chain_note(vr->chain, depth, crt->raw.p, crt->raw.len);
	if (depth == 0) {
		*flags &= ~(uint32_t)MBEDTLS_X509_BADCERT_CN_MISMATCH;
		ours = ussl_verify_leaf(vs, vr->chain);
		*flags |= unmap_vflags(ours);
		*vs->flags |= ours;
		/* The leaf comes last: the next verification starts afresh. */
		memset(vr->chain, 0, sizeof(*vr->chain));
	}
	/* The application's callback may add a rejection, never remove one
	   (the core's rule): only what it added goes back to mbedTLS. */
	uf = meng_map_vflags(*flags);
	added = ussl_verify_user(vs, crt->raw.p, crt->raw.len, depth, uf) &
	    ~uf;
	*flags |= unmap_vflags(added);
	*vs->flags |= added;
	*vs->flags |= meng_map_vflags(*flags);
	return 0;
}

/*
 * mbedTLS looks for a certificate's issuer among the trusted CAs and then
 * only among the certificates after it in the list.  Callers may give
 * intermediates in any order, so put them in issuing order: first those
 * named as the leaf's issuer, then their issuers, and so on; the others
 * follow in their own order.  Out of memory: left as given.
 */
static int self_issued(const mbedtls_x509_crt *c)
{
	return c->issuer_raw.len == c->subject_raw.len &&
	    memcmp(c->issuer_raw.p, c->subject_raw.p, c->subject_raw.len) == 0;
}

static void order_chain(mbedtls_x509_crt *leaf)
{
	mbedtls_x509_crt *c, **pool, **out;
	const mbedtls_x509_buf *iss;
	size_t n = 0, placed = 0, lo = 0, hi = 0, i, j, start, pass;
	int first = 1;

	for (c = leaf->next; c != NULL; c = c->next)
		n++;
	if (n < 2)
		return;
	pool = USSL_CALLOC(n, sizeof(*pool));
	out = USSL_CALLOC(n, sizeof(*out));
	if (pool == NULL || out == NULL)
		goto done;
	for (i = 0, c = leaf->next; c != NULL; c = c->next)
		pool[i++] = c;
	for (;;) {
		start = placed;
		/* Self-issued certificates first (pass 0): of two with one
		   name, a key-rollover certificate signs what is below it. */
		for (pass = 0; pass < 2 * n; pass++) {
			i = pass % n;
			if (pool[i] == NULL || (pass < n) != self_issued(pool[i]))
				continue;
			for (j = lo; pool[i] != NULL &&
			    j < (first ? lo + 1 : hi); j++) {
				iss = first ? &leaf->issuer_raw :
				    &out[j]->issuer_raw;
				if (iss->len == pool[i]->subject_raw.len &&
				    memcmp(iss->p, pool[i]->subject_raw.p,
				    iss->len) == 0) {
					out[placed++] = pool[i];
					pool[i] = NULL;
				}
			}
		}
		if (placed == start)
			break;
		lo = start;
		hi = placed;
		first = 0;
	}
	for (i = 0; i < n; i++)
		if (pool[i] != NULL)
			out[placed++] = pool[i];
	leaf->next = out[0];
	for (i = 0; i + 1 < n; i++)
		out[i]->next = out[i + 1];
	out[n - 1]->next = NULL;
done:
	USSL_FREE(pool);
	USSL_FREE(out);
}

int eng_verify_chain(const ussl_vstate *vs, const unsigned char *const *certs,
    const size_t *lens, size_t n)
{
	struct eng_ctx *ec = vs->ctx->eng;
	mbedtls_x509_crt chain;
	struct vrun vr;
	ussl_chain chain_view;
	uint32_t flags = 0;
	size_t i;
	int ret;

	mbedtls_x509_crt_init(&chain);
	for (i = 0; i < n; i++) {
		if (parse_certs(&vs->ctx->err, &chain, certs[i], lens[i],
		    i == 0 ? "leaf certificate" : "intermediate") != USSL_OK) {
			mbedtls_x509_crt_free(&chain);
			return USSL_ERROR;
		}
	}
	order_chain(&chain);
	memset(&vr, 0, sizeof(vr));
	memset(&chain_view, 0, sizeof(chain_view));
	vr.chain = &chain_view;
	vr.vs = *vs;
	ret = mbedtls_x509_crt_verify_with_profile(&chain,
	    ec->ca != NULL ? &ec->ca->crt : NULL, NULL,
	    &mbedtls_x509_crt_profile_default, NULL, &flags,
	    meng_verify_cb, &vr);
	if (ret != 0 && flags == 0)
		flags = MBEDTLS_X509_BADCERT_OTHER;
	*vs->flags |= meng_map_vflags(flags);
	mbedtls_x509_crt_free(&chain);
	return USSL_OK;
}

int eng_cert_dn(const unsigned char *der, size_t len, int issuer, char *buf,
    size_t size)
{
	mbedtls_x509_crt c;
	int ret;

	mbedtls_x509_crt_init(&c);
	ret = mbedtls_x509_crt_parse_der(&c, der, len);
	if (ret == 0)
		ret = mbedtls_x509_dn_gets(buf, size,
		    issuer ? &c.issuer : &c.subject);
	mbedtls_x509_crt_free(&c);
	return ret < 0 ? -1 : ret;
}

int eng_cert_self_signed(const unsigned char *der, size_t len)
{
	unsigned char hash[MBEDTLS_MD_MAX_SIZE];
	const mbedtls_md_info_t *md;
	mbedtls_x509_crt c;
	int r = 0;

	mbedtls_x509_crt_init(&c);
	if (mbedtls_x509_crt_parse_der(&c, der, len) == 0 &&
	    (md = mbedtls_md_info_from_type(c.COMPAT_PRIV(sig_md))) != NULL &&
	    mbedtls_md(md, c.tbs.p, c.tbs.len, hash) == 0)
		r = mbedtls_pk_verify_ext(c.COMPAT_PRIV(sig_pk),
		    c.COMPAT_PRIV(sig_opts), &c.pk, c.COMPAT_PRIV(sig_md), hash,
		    mbedtls_md_get_size(md), c.COMPAT_PRIV(sig).p,
		    c.COMPAT_PRIV(sig).len) == 0;
	mbedtls_x509_crt_free(&c);
	return r;
}
