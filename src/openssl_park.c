/*
 * openssl_park.c - parking an OpenSSL connection: at an idle moment
 * after the handshake the engine frees OpenSSL's SSL object and its own
 * record layer (openssl_record.c) carries the connection on, so that an
 * idle connection holds a few hundred bytes of cipher state.
 *
 * OpenSSL runs the handshake (and everything before parking: tickets,
 * key updates, the first data).  oeng_park() parks when nothing is
 * buffered in OpenSSL (not even a record header), no key update is owed
 * and no close_notify was seen or sent, for TLS 1.2 and 1.3 with AES-GCM
 * or ChaCha20-Poly1305 (the only suites the engine offers; anything else
 * stays on OpenSSL).  What the getters need (version, suite, peer
 * certificate, session data) is kept.
 *
 * Keys: TLS 1.3 traffic secrets come from the key-log callback
 * (oeng_keylog), TLS 1.2 keys from the master secret and the randoms
 * (RFC 5246 6.3).  Sequence numbers: the message callback counts the
 * records that went each way since the last key change (oeng_rec_watch):
 * TLS 1.2 keys change at change_cipher_spec, TLS 1.3 application keys
 * after Finished and at each KeyUpdate.  A wrong count or key cannot go
 * unnoticed: the first record would fail authentication.
 */
#include <string.h>

#include <openssl/hmac.h>

#include "openssl_rec.h"

/* ---------------------------------------------------------------------- */
/* Watching the handshake: secrets and record counts                       */

static int unhex(const char *s, unsigned char *out, size_t max, size_t *n)
{
	size_t i = 0;
	int hi, lo;

	while (s[0] != '\0' && s[0] != ' ') {
		if (i == max || s[1] == '\0')
			return -1;
		hi = OPENSSL_hexchar2int((unsigned char)s[0]);
		lo = OPENSSL_hexchar2int((unsigned char)s[1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i++] = (unsigned char)(hi << 4 | lo);
		s += 2;
	}
	*n = i;
	return 0;
}

void oeng_keylog(const SSL *ssl, const char *line)
{
	ussl_conn *conn = SSL_get_app_data(ssl);
	struct oeng_pre *p;
	const char *s;
	size_t n;
	int who;

	if (conn == NULL || conn->eng == NULL)
		return;
	p = &conn->eng->pre;
	if (strncmp(line, "CLIENT_TRAFFIC_SECRET_0 ", 24) == 0)
		who = 0;
	else if (strncmp(line, "SERVER_TRAFFIC_SECRET_0 ", 24) == 0)
		who = 1;
	else
		return;
	/* "<label> <client random> <secret>" */
	if ((s = strchr(line + 24, ' ')) == NULL ||
	    unhex(s + 1, p->sec[who], sizeof(p->sec[who]), &n) != 0 ||
	    n == 0) {
		p->seclen[who] = 0;
		return;
	}
	p->seclen[who] = (unsigned char)n;
}

void oeng_rec_watch(struct eng_conn *e, int write_p, int version,
    int content_type, const unsigned char *buf, size_t len)
{
	struct oeng_pre *p = &e->pre;
	int d = write_p ? WR : RD;

	if (content_type == SSL3_RT_HEADER && len > 0) {
		/* TLS 1.2: the record after change_cipher_spec is the first
		   under new keys.  (TLS 1.3's compatibility record changes
		   nothing; Finished comes after it.)  Only the header of a
		   received one is reported. */
		if (buf[0] == SSL3_RT_CHANGE_CIPHER_SPEC)
			p->count[d] = 0;
		else
			p->count[d]++;
	} else if (content_type == SSL3_RT_HANDSHAKE && len > 0 &&
	    version == TLS1_3_VERSION) {
		if (buf[0] == SSL3_MT_NEWSESSION_TICKET && !write_p) {
			p->tickets++;
		} else if (buf[0] == SSL3_MT_FINISHED) {
			p->count[d] = 0;
		} else if (buf[0] == SSL3_MT_KEY_UPDATE) {
			p->count[d] = 0;
			p->updates[d]++;
		}
	}
}

void oeng_rec_wrote(struct eng_conn *e, const unsigned char *p, size_t n)
{
	struct oeng_pre *pre = &e->pre;
	size_t len;

	while (n >= 5) {
		len = (size_t)p[3] << 8 | p[4];
		if (p[0] == SSL3_RT_CHANGE_CIPHER_SPEC) {
			pre->ccs_written = 1;
			pre->have_explicit = 0;
		} else if (pre->ccs_written && len >= 8 && n >= 13) {
			memcpy(pre->explicit_nonce, p + 5, 8);
			pre->have_explicit = 1;
		}
		if (n - 5 < len)
			break;
		p += 5 + len;
		n -= 5 + len;
	}
}

/* ---------------------------------------------------------------------- */
/* Keys                                                                    */

/* HKDF-Expand (RFC 5869) of at most one hash length. */
static int hkdf_expand1(const EVP_MD *md, const unsigned char *prk,
    size_t prk_len, const unsigned char *info, size_t info_len,
    unsigned char *out, size_t out_len)
{
	unsigned char in[300], t[EVP_MAX_MD_SIZE];
	unsigned int tl = 0;

	if (info_len + 1 > sizeof(in) || out_len > (size_t)EVP_MD_get_size(md))
		return -1;
	memcpy(in, info, info_len);
	in[info_len] = 1;
	if (HMAC(md, prk, (int)prk_len, in, info_len + 1, t, &tl) == NULL ||
	    tl < out_len)
		return -1;
	memcpy(out, t, out_len);
	OPENSSL_cleanse(t, sizeof(t));
	return 0;
}

/* HKDF-Expand-Label(secret, label, "", len) (RFC 8446 7.1). */
static int expand_label(const EVP_MD *md, const unsigned char *secret,
    size_t slen, const char *label, unsigned char *out, size_t len)
{
	unsigned char info[2 + 1 + 6 + 32 + 1];
	size_t ll = strlen(label), n = 0;

	if (ll > 32)
		return -1;
	info[n++] = (unsigned char)(len >> 8);
	info[n++] = (unsigned char)len;
	info[n++] = (unsigned char)(6 + ll);
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, label, ll);
	n += ll;
	info[n++] = 0;
	return hkdf_expand1(md, secret, slen, info, n, out, len);
}

/* TLS 1.2 PRF (RFC 5246 5) with the suite's hash. */
static int prf12(const EVP_MD *md, const unsigned char *secret, size_t slen,
    const unsigned char *seed, size_t seed_len, unsigned char *out,
    size_t len)
{
	unsigned char a[EVP_MAX_MD_SIZE], in[EVP_MAX_MD_SIZE + 128],
	    t[EVP_MAX_MD_SIZE];
	unsigned int al = 0, tl = 0;
	size_t done = 0, k;
	int r = -1;

	if (seed_len > 128 ||
	    HMAC(md, secret, (int)slen, seed, seed_len, a, &al) == NULL)
		return -1;
	while (done < len) {
		memcpy(in, a, al);
		memcpy(in + al, seed, seed_len);
		if (HMAC(md, secret, (int)slen, in, al + seed_len, t, &tl) ==
		    NULL)
			goto out;
		k = len - done < tl ? len - done : tl;
		memcpy(out + done, t, k);
		done += k;
		if (HMAC(md, secret, (int)slen, a, al, a, &al) == NULL)
			goto out;
	}
	r = 0;
out:
	OPENSSL_cleanse(a, sizeof(a));
	OPENSSL_cleanse(t, sizeof(t));
	OPENSSL_cleanse(in, sizeof(in));
	return r;
}

static int set_key(struct oeng_rec *r, int d, const unsigned char *key)
{
	if (r->c[d] == NULL && (r->c[d] = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	return EVP_CipherInit_ex(r->c[d], r->cipher, NULL, key, NULL,
	    d == WR) == 1 ? 0 : -1;
}

/* TLS 1.3: key and IV of direction d from its secret. */
static int keys13(struct oeng_rec *r, int d)
{
	unsigned char key[32];
	int ret;

	ret = expand_label(r->md, r->secret[d], r->secretlen, "key", key,
	    r->keylen) == 0 && expand_label(r->md, r->secret[d],
	    r->secretlen, "iv", r->iv[d], 12) == 0 ? set_key(r, d, key) : -1;
	OPENSSL_cleanse(key, sizeof(key));
	r->seq[d] = 0;
	return ret;
}

/* TLS 1.3: the next traffic secret of direction d (RFC 8446 7.2). */
int oeng_rec_update13(struct oeng_rec *r, int d)
{
	unsigned char next[48];

	if (expand_label(r->md, r->secret[d], r->secretlen, "traffic upd",
	    next, r->secretlen) != 0)
		return -1;
	memcpy(r->secret[d], next, r->secretlen);
	OPENSSL_cleanse(next, sizeof(next));
	return keys13(r, d);
}

static int keys12(struct oeng_rec *r, SSL *ssl, int server)
{
	unsigned char ms[48], seed[13 + 64], block[2 * 32 + 2 * 12];
	size_t ivlen = r->gcm12 ? 4 : 12, off;
	int ret = -1, w = server ? 1 : 0;

	if (SSL_SESSION_get_master_key(SSL_get_session(ssl), ms,
	    sizeof(ms)) != sizeof(ms))
		return -1;
	memcpy(seed, "key expansion", 13);
	if (SSL_get_server_random(ssl, seed + 13, 32) != 32 ||
	    SSL_get_client_random(ssl, seed + 45, 32) != 32 ||
	    prf12(r->md, ms, sizeof(ms), seed, sizeof(seed), block,
	    2 * r->keylen + 2 * ivlen) != 0)
		goto out;
	/* client key, server key, client IV, server IV (no MAC keys). */
	off = 2 * r->keylen;
	memcpy(r->iv[WR], block + off + (size_t)w * ivlen, ivlen);
	memcpy(r->iv[RD], block + off + (size_t)(1 - w) * ivlen, ivlen);
	if (set_key(r, WR, block + (size_t)w * r->keylen) == 0 &&
	    set_key(r, RD, block + (size_t)(1 - w) * r->keylen) == 0)
		ret = 0;
out:
	OPENSSL_cleanse(ms, sizeof(ms));
	OPENSSL_cleanse(block, sizeof(block));
	return ret;
}

/* ---------------------------------------------------------------------- */
/* Parking                                                                 */

static void rec_free(struct oeng_rec *r)
{
	if (r == NULL)
		return;
	EVP_CIPHER_CTX_free(r->c[RD]);
	EVP_CIPHER_CTX_free(r->c[WR]);
	USSL_FREE(r->body);
	USSL_FREE(r->hs);
	if (r->sess != NULL) {
		ussl_wipe(r->sess, r->sess_len);
		USSL_FREE(r->sess);
	}
	ussl_wipe(r, sizeof(*r));
	USSL_FREE(r);
}

void oeng_rec_free(struct eng_conn *e)
{
	rec_free(e->rec);
	e->rec = NULL;
}

/* Whether conn may leave OpenSSL now, and with which cipher (the
   suite in *suite). */
static const EVP_CIPHER *parkable(ussl_conn *conn, int *tls13,
    const SSL_CIPHER **suite)
{
	struct eng_conn *e = conn->eng;
	SSL *ssl = e->ssl;
	const SSL_CIPHER *c;
	SSL_SESSION *s;
	int v;

	/* Half a record read (its header, the body not yet come) is
	   nothing SSL_has_pending() reports: the record layer's state
	   says it ("RH": at a record boundary). */
	if (conn->ctx->dtls || !SSL_is_init_finished(ssl) ||
	    SSL_has_pending(ssl) || SSL_get_shutdown(ssl) != 0 ||
	    strcmp(SSL_rstate_string(ssl), "RH") != 0 ||
	    SSL_want(ssl) != SSL_NOTHING ||
	    (c = SSL_get_current_cipher(ssl)) == NULL ||
	    (s = SSL_get_session(ssl)) == NULL)
		return NULL;
	v = SSL_version(ssl);
	if (v == TLS1_3_VERSION) {
		if (SSL_get_key_update_type(ssl) != SSL_KEY_UPDATE_NONE ||
		    e->pre.seclen[0] == 0 ||
		    e->pre.seclen[0] != e->pre.seclen[1])
			return NULL;
		/* A client waits for its ticket (it comes first from every
		   server known), or for data, after which none is waited
		   for. */
		if (conn->role == USSL_CLIENT && !e->got_data &&
		    e->pre.tickets == 0)
			return NULL;
		*tls13 = 1;
	} else if (v == TLS1_2_VERSION) {
		*tls13 = 0;
	} else {
		return NULL;
	}
	*suite = c;
	switch (SSL_CIPHER_get_cipher_nid(c)) {
	case NID_aes_128_gcm:
		return EVP_aes_128_gcm();
	case NID_aes_256_gcm:
		return EVP_aes_256_gcm();
	case NID_chacha20_poly1305:
		return EVP_chacha20_poly1305();
	default:
		return NULL;
	}
}

int oeng_park(ussl_conn *conn)
{
	struct eng_conn *e = conn->eng;
	SSL *ssl = e->ssl;
	struct oeng_rec *r;
	const unsigned char *der;
	size_t der_len;
	unsigned i, code;
	int tls13 = 0, d, who;
	const EVP_CIPHER *cipher;
	const SSL_CIPHER *suite = NULL;

	if (e->rec != NULL || ssl == NULL ||
	    (cipher = parkable(conn, &tls13, &suite)) == NULL)
		return 0;
	if ((r = USSL_CALLOC(1, sizeof(*r))) == NULL)
		return 0;
	r->cipher = cipher;
	r->tls13 = (unsigned char)tls13;
	r->keylen = (size_t)EVP_CIPHER_get_key_length(cipher);
	r->gcm12 = !tls13 && EVP_CIPHER_get_mode(cipher) == EVP_CIPH_GCM_MODE;
	r->md = SSL_CIPHER_get_handshake_digest(suite);
	r->suite = suite;
	r->version = SSL_get_version(ssl);
	r->reused = SSL_session_reused(ssl);
	code = SSL_SESSION_get_max_fragment_length(SSL_get_session(ssl));
	r->maxfrag = code >= 1 && code <= 4 ? (size_t)256 << code : PLAIN_MAX;
	if (r->md == NULL || r->keylen > 32)
		goto fail;
	if (tls13) {
		r->secretlen = e->pre.seclen[0];
		if (r->secretlen != (size_t)EVP_MD_get_size(r->md))
			goto fail;
		for (d = RD; d <= WR; d++) {
			/* Our writes use our role's secret. */
			who = (d == WR) == (conn->role == USSL_SERVER);
			memcpy(r->secret[d], e->pre.sec[who], r->secretlen);
			if (keys13(r, d) != 0)
				goto fail;
			for (i = 0; i < e->pre.updates[d]; i++)
				if (oeng_rec_update13(r, d) != 0)
					goto fail;
		}
	} else if (keys12(r, ssl, conn->role == USSL_SERVER) != 0) {
		goto fail;
	} else if (r->gcm12) {
		/* Our explicit nonces go on from OpenSSL's last. */
		if (!e->pre.have_explicit)
			goto fail;
		for (i = 0; i < 8; i++)
			r->explicit_next = r->explicit_next << 8 |
			    e->pre.explicit_nonce[i];
		r->explicit_next++;
	}
	r->seq[RD] = e->pre.count[RD];
	r->seq[WR] = e->pre.count[WR];
	/* What the getters need once the SSL object is gone. */
	if (eng_conn_peer_cert(conn, &der, &der_len) != 0)
		ERR_clear_error();
	if (conn->role == USSL_CLIENT &&
	    oeng_session_copy(conn, &r->sess, &r->sess_len) != 0)
		goto fail;
	/* Not an unclean end: OpenSSL would mark the session unusable. */
	SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(ssl);
	e->ssl = NULL;
	e->rec = r;
	ussl_wipe(&e->pre, sizeof(e->pre));
	ERR_clear_error();
	return 1;
fail:
	ERR_clear_error();
	rec_free(r);
	return 0;
}

size_t oeng_rec_pending(const struct eng_conn *e)
{
	return e->rec->pt_len;
}

const char *oeng_rec_version(const struct eng_conn *e)
{
	return e->rec->version;
}

const SSL_CIPHER *oeng_rec_suite(const struct eng_conn *e)
{
	return e->rec->suite;
}

int oeng_rec_reused(const struct eng_conn *e)
{
	return e->rec->reused;
}

int oeng_rec_session(const struct eng_conn *e, unsigned char *buf,
    size_t *len)
{
	struct oeng_rec *r = e->rec;

	if (r->sess == NULL) {
		*len = 0;
		return -1;
	}
	if (buf == NULL || *len < r->sess_len) {
		*len = r->sess_len;
		return -1;
	}
	memcpy(buf, r->sess, r->sess_len);
	*len = r->sess_len;
	return 0;
}
