/*
 * openssl_record.c - the OpenSSL engine's own record layer for
 * established connections, so that an idle connection holds a few
 * hundred bytes of cipher state instead of OpenSSL's SSL object.
 *
 * OpenSSL runs the handshake (and everything before the connection is
 * "parked": tickets, key updates, the first data).  At an idle moment
 * (nothing buffered in OpenSSL, no key update owed, no close_notify seen
 * or sent) oeng_park() takes the traffic keys and sequence numbers,
 * frees the SSL object, and this file seals and opens the records from
 * then on: TLS 1.2 and 1.3 with AES-GCM or ChaCha20-Poly1305 (the only
 * suites the engine offers; anything else stays on OpenSSL), alerts,
 * close_notify, TLS 1.3 KeyUpdate both ways.  What the getters need
 * (version, suite, peer certificate, session data) is kept at parking.
 *
 * Keys: TLS 1.3 traffic secrets come from the key-log callback
 * (oeng_keylog), TLS 1.2 keys from the master secret and the randoms
 * (RFC 5246 6.3).  Sequence numbers: the message callback counts the
 * records that went each way since the last key change (oeng_rec_watch):
 * TLS 1.2 keys change at change_cipher_spec, TLS 1.3 application keys
 * after Finished and at each KeyUpdate.  A wrong count or key cannot go
 * unnoticed: the first record would fail authentication.
 *
 * After parking, a TLS 1.3 client ignores further NewSessionTickets
 * (a client parks once it has one, or has read data) and a TLS 1.2 peer
 * asking to renegotiate gets a no_renegotiation warning, as OpenSSL
 * under SSL_OP_NO_RENEGOTIATION answers.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "openssl_engine.h"

#define TAG_LEN 16
#define PLAIN_MAX 16384
/* Ciphertext limits (RFC 8446 5.2, RFC 5246 6.2.3). */
#define CIPHER_MAX13 (PLAIN_MAX + 256)
#define CIPHER_MAX12 (PLAIN_MAX + 2048)
/* TLS 1.3 handshake messages after the handshake (tickets): at most. */
#define HS_MAX (65536 + 4)
/* Records that carry nothing for the reader (empty ones, warning
   alerts, ignored handshake messages) in a row before it gives up, as
   OpenSSL does. */
#define IDLE_RECORDS_MAX 32

enum { RD = 0, WR = 1 };

struct oeng_rec {
	EVP_CIPHER_CTX *c[2];          /* keyed, per direction */
	unsigned char iv[2][12];       /* TLS 1.2 GCM: 4-byte salt */
	uint64_t seq[2];
	unsigned char secret[2][48];   /* TLS 1.3 traffic secrets */
	const EVP_MD *md;              /* TLS 1.3 hash */
	const EVP_CIPHER *cipher;
	unsigned char tls13, gcm12;    /* gcm12: explicit nonce */
	unsigned char peer_closed, failed, close_sent;
	unsigned char update_owed;     /* the peer asked for a key update */
	size_t keylen, secretlen;
	size_t maxfrag;                /* plaintext per record, both ways */
	unsigned idle_records;
	/* Reading: a header, then the record's body, which keeps its
	   plaintext until it is taken. */
	unsigned char hdr[5];
	size_t hdr_have;
	unsigned char *body;
	size_t body_len, body_have, pt_off, pt_len;
	unsigned char *hs;             /* TLS 1.3 handshake bytes */
	size_t hs_len;
	/* What the getters return. */
	const char *version;
	const SSL_CIPHER *suite;
	int reused;
	unsigned char *sess;           /* client: session data, or NULL */
	size_t sess_len;
};

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
static int update13(struct oeng_rec *r, int d)
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

/* Whether conn may leave OpenSSL now, and with which cipher. */
static const EVP_CIPHER *parkable(ussl_conn *conn, int *tls13)
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

	if (e->rec != NULL || ssl == NULL ||
	    (cipher = parkable(conn, &tls13)) == NULL)
		return 0;
	if ((r = USSL_CALLOC(1, sizeof(*r))) == NULL)
		return 0;
	r->cipher = cipher;
	r->tls13 = (unsigned char)tls13;
	r->keylen = (size_t)EVP_CIPHER_get_key_length(cipher);
	r->gcm12 = !tls13 && EVP_CIPHER_get_mode(cipher) == EVP_CIPH_GCM_MODE;
	r->md = SSL_CIPHER_get_handshake_digest(SSL_get_current_cipher(ssl));
	r->suite = SSL_get_current_cipher(ssl);
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
				if (update13(r, d) != 0)
					goto fail;
		}
	} else if (keys12(r, ssl, conn->role == USSL_SERVER) != 0) {
		goto fail;
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

/* ---------------------------------------------------------------------- */
/* Records                                                                 */

static void put64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

static void nonce_of(const struct oeng_rec *r, int d,
    const unsigned char *explicit_nonce, unsigned char nonce[12])
{
	unsigned char s[8];
	int i;

	if (r->gcm12) {
		memcpy(nonce, r->iv[d], 4);
		memcpy(nonce + 4, explicit_nonce, 8);
		return;
	}
	put64(s, r->seq[d]);
	memcpy(nonce, r->iv[d], 12);
	for (i = 0; i < 8; i++)
		nonce[4 + i] ^= s[i];
}

/* Seal one record of type with n bytes of p into out (room for
   n + 5 + 8 + 1 + TAG_LEN); its length, or 0 on failure. */
static size_t seal(struct oeng_rec *r, int type, const unsigned char *p,
    size_t n, unsigned char *out)
{
	EVP_CIPHER_CTX *c = r->c[WR];
	unsigned char nonce[12], aad[13], tb = (unsigned char)type;
	size_t ex = r->gcm12 ? 8 : 0, body, at;
	int outl;

	if (r->seq[WR] == UINT64_MAX)
		return 0;       /* never reached: 2^64 records */
	body = ex + n + (r->tls13 ? 1 : 0) + TAG_LEN;
	out[0] = r->tls13 ? SSL3_RT_APPLICATION_DATA : tb;
	out[1] = 3;
	out[2] = 3;
	out[3] = (unsigned char)(body >> 8);
	out[4] = (unsigned char)body;
	if (ex)
		put64(out + 5, r->seq[WR]);
	nonce_of(r, WR, out + 5, nonce);
	if (r->tls13) {
		memcpy(aad, out, 5);
	} else {
		put64(aad, r->seq[WR]);
		aad[8] = tb;
		aad[9] = 3;
		aad[10] = 3;
		aad[11] = (unsigned char)(n >> 8);
		aad[12] = (unsigned char)n;
	}
	at = 5 + ex;
	if (EVP_CipherInit_ex(c, NULL, NULL, NULL, nonce, 1) != 1 ||
	    EVP_EncryptUpdate(c, NULL, &outl, aad, r->tls13 ? 5 : 13) != 1 ||
	    (n > 0 && EVP_EncryptUpdate(c, out + at, &outl, p, (int)n) != 1) ||
	    (r->tls13 && EVP_EncryptUpdate(c, out + at + n, &outl, &tb, 1) !=
	    1) ||
	    EVP_EncryptFinal_ex(c, out + at, &outl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, TAG_LEN,
	    out + 5 + body - TAG_LEN) != 1)
		return 0;
	r->seq[WR]++;
	return 5 + body;
}

/* Open the record in r->hdr / r->body in place: 0 with the plaintext at
   r->body + *off, *len bytes, of *type; else the alert to send. */
static int open_record(struct oeng_rec *r, int *type, size_t *off,
    size_t *len)
{
	EVP_CIPHER_CTX *c = r->c[RD];
	unsigned char nonce[12], aad[13], *b = r->body;
	size_t ex = r->gcm12 ? 8 : 0, n;
	int outl;

	if (r->body_len < ex + TAG_LEN + (r->tls13 ? 1 : 0))
		return SSL_AD_BAD_RECORD_MAC;
	n = r->body_len - ex - TAG_LEN;
	nonce_of(r, RD, b, nonce);
	if (r->tls13) {
		memcpy(aad, r->hdr, 5);
	} else {
		if (n > r->maxfrag)
			return SSL_AD_RECORD_OVERFLOW;
		put64(aad, r->seq[RD]);
		aad[8] = r->hdr[0];
		aad[9] = 3;
		aad[10] = 3;
		aad[11] = (unsigned char)(n >> 8);
		aad[12] = (unsigned char)n;
	}
	if (EVP_CipherInit_ex(c, NULL, NULL, NULL, nonce, 0) != 1 ||
	    EVP_DecryptUpdate(c, NULL, &outl, aad, r->tls13 ? 5 : 13) != 1 ||
	    EVP_DecryptUpdate(c, b + ex, &outl, b + ex, (int)n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, TAG_LEN,
	    b + ex + n) != 1 ||
	    EVP_DecryptFinal_ex(c, b + ex + n, &outl) != 1) {
		ERR_clear_error();
		return SSL_AD_BAD_RECORD_MAC;
	}
	r->seq[RD]++;
	if (r->tls13) {
		/* Padding, then the real type (RFC 8446 5.4). */
		while (n > 0 && b[n - 1] == 0)
			n--;
		if (n == 0)
			return SSL_AD_UNEXPECTED_MESSAGE;
		*type = b[--n];
		if (n > r->maxfrag)
			return SSL_AD_RECORD_OVERFLOW;
	} else {
		*type = r->hdr[0];
	}
	*off = ex;
	*len = n;
	return 0;
}

/* Seal and send one record; USSL_OK or USSL_ERROR (conn->err set). */
int oeng_rec_send(ussl_conn *conn, int type, const unsigned char *p,
    size_t n, const char *during)
{
	struct oeng_rec *r = conn->eng->rec;
	unsigned char small[64], *out = small;
	size_t need = n + 5 + 8 + 1 + TAG_LEN, len;
	ussl_failure f;
	long s;

	if (need > sizeof(small) && (out = USSL_CALLOC(1, need)) == NULL) {
		ussl_failure_init(&f, USSL_E_NOMEM);
		return ussl_fail(&conn->err, &f, during, 0);
	}
	len = seal(r, type, p, n, out);
	s = len > 0 ? eng_io_send(conn, out, len) : USSL_ERROR;
	if (out != small)
		USSL_FREE(out);
	if (len == 0) {
		ERR_clear_error();
		r->failed = 1;
		ussl_failure_init(&f, USSL_E_INTERNAL);
		snprintf(f.detail, sizeof(f.detail), "record encryption "
		    "failed");
		return ussl_fail(&conn->err, &f, during, 0);
	}
	if (s < 0) {
		ussl_failure_init(&f, conn->out_nomem ? USSL_E_NOMEM :
		    USSL_E_IO);
		f.sys_errno = conn->tr_errno;
		return ussl_fail(&conn->err, &f, during, 0);
	}
	return USSL_OK;
}

static void send_alert(ussl_conn *conn, int level, int desc)
{
	unsigned char a[2];
	ussl_errstate keep = conn->err;

	a[0] = (unsigned char)level;
	a[1] = (unsigned char)desc;
	/* Best effort: the failure that made the alert is what counts. */
	if (oeng_rec_send(conn, SSL3_RT_ALERT, a, 2, "alert") != USSL_OK)
		conn->err = keep;
}

/* The connection ended badly (a fatal alert, either way, or cut short):
   its session must not be resumed (RFC 5246 7.2.2; OpenSSL marks it
   unresumable), so the kept copy goes. */
static void rec_fatal(struct oeng_rec *r)
{
	r->failed = 1;
	if (r->sess != NULL) {
		ussl_wipe(r->sess, r->sess_len);
		USSL_FREE(r->sess);
		r->sess = NULL;
		r->sess_len = 0;
	}
}

/* Our earlier output still waits for the transport: what we would send
   unasked (answers to the peer's requests) waits too, or is dropped,
   rather than piling up while the peer does not read. */
static int out_busy(const ussl_conn *conn)
{
	return conn->out_len > conn->out_off;
}

/* A fatal failure found here: the alert goes to the peer. */
static long local_fatal(ussl_conn *conn, int alert, const char *during)
{
	struct oeng_rec *r = conn->eng->rec;
	ussl_failure f;

	if (!r->close_sent)
		send_alert(conn, SSL3_AL_FATAL, alert);
	rec_fatal(r);
	ussl_failure_init(&f, USSL_E_PROTOCOL);
	snprintf(f.detail, sizeof(f.detail), "record layer: %s",
	    alert == SSL_AD_BAD_RECORD_MAC ? "decryption failed or bad "
	    "record mac" : alert == SSL_AD_RECORD_OVERFLOW ? "record too "
	    "long" : alert == SSL_AD_DECODE_ERROR ? "malformed record" :
	    alert == SSL_AD_ILLEGAL_PARAMETER ? "illegal parameter" :
	    alert == SSL_AD_PROTOCOL_VERSION ? "wrong record version" :
	    alert == SSL_AD_INTERNAL_ERROR ? "key update failed" :
	    "unexpected message");
	return ussl_fail(&conn->err, &f, during, 0);
}

/* The key update the peer asked for (RFC 8446 4.6.3: before our next
   application data; one answers any number of requests); USSL_OK or
   USSL_ERROR. */
static int send_owed_update(ussl_conn *conn, const char *during)
{
	static const unsigned char msg[5] = { SSL3_MT_KEY_UPDATE, 0, 0, 1,
	    0 };
	struct oeng_rec *r = conn->eng->rec;

	if (!r->update_owed)
		return USSL_OK;
	r->update_owed = 0;
	if (r->close_sent)
		return USSL_OK;
	if (oeng_rec_send(conn, SSL3_RT_HANDSHAKE, msg, sizeof(msg),
	    during) != USSL_OK) {
		r->failed = 1;
		return USSL_ERROR;
	}
	if (update13(r, WR) != 0) {
		(void)local_fatal(conn, SSL_AD_INTERNAL_ERROR, during);
		return USSL_ERROR;
	}
	return USSL_OK;
}

/* What the transport said (0: end of stream, < 0: its code). */
static long io_result(ussl_conn *conn, long n)
{
	ussl_failure f;

	if (n == USSL_WANT_READ || n == USSL_WANT_WRITE)
		return n;
	if (n == 0) {
		rec_fatal(conn->eng->rec);
		ussl_failure_init(&f, USSL_E_TRUNCATED);
	} else {
		ussl_failure_init(&f, conn->out_nomem ? USSL_E_NOMEM :
		    USSL_E_IO);
		f.sys_errno = conn->tr_errno;
	}
	return ussl_fail(&conn->err, &f, "read", 0);
}

/* Read the next whole record into r->hdr / r->body: 0, or what to
   return. */
static long fetch(ussl_conn *conn)
{
	struct oeng_rec *r = conn->eng->rec;
	size_t max;
	long n;

	while (r->hdr_have < 5) {
		n = eng_io_recv(conn, r->hdr + r->hdr_have, 5 - r->hdr_have);
		if (n <= 0)
			return io_result(conn, n);
		r->hdr_have += (size_t)n;
	}
	if (r->body == NULL) {
		max = r->tls13 ? CIPHER_MAX13 : CIPHER_MAX12;
		r->body_len = (size_t)r->hdr[3] << 8 | r->hdr[4];
		if (r->hdr[1] != 3 || r->hdr[2] != 3)
			return local_fatal(conn, SSL_AD_PROTOCOL_VERSION,
			    "read");
		if (r->body_len > max)
			return local_fatal(conn, SSL_AD_RECORD_OVERFLOW, "read");
		if (r->tls13 ? r->hdr[0] != SSL3_RT_APPLICATION_DATA :
		    r->hdr[0] < SSL3_RT_ALERT ||
		    r->hdr[0] > SSL3_RT_APPLICATION_DATA)
			return local_fatal(conn, SSL_AD_UNEXPECTED_MESSAGE,
			    "read");
		if ((r->body = USSL_CALLOC(1, r->body_len + 1)) == NULL) {
			ussl_failure f;

			ussl_failure_init(&f, USSL_E_NOMEM);
			return ussl_fail(&conn->err, &f, "read", 0);
		}
		r->body_have = 0;
	}
	while (r->body_have < r->body_len) {
		n = eng_io_recv(conn, r->body + r->body_have,
		    r->body_len - r->body_have);
		if (n <= 0)
			return io_result(conn, n);
		r->body_have += (size_t)n;
	}
	return 0;
}

static void drop_body(struct oeng_rec *r)
{
	USSL_FREE(r->body);
	r->body = NULL;
	r->body_len = r->body_have = r->pt_off = r->pt_len = 0;
	r->hdr_have = 0;
}

static long on_alert(ussl_conn *conn, const unsigned char *p, size_t n)
{
	struct oeng_rec *r = conn->eng->rec;
	ussl_failure f;

	if (n != 2)
		return local_fatal(conn, SSL_AD_DECODE_ERROR, "read");
	if (p[1] == SSL_AD_CLOSE_NOTIFY) {
		r->peer_closed = 1;
		return 0;
	}
	/* Warnings carry on (TLS 1.3 knows only user_canceled as one). */
	if (r->tls13 ? p[1] == SSL_AD_USER_CANCELLED :
	    p[0] == SSL3_AL_WARNING)
		return 1;
	rec_fatal(r);
	ussl_failure_init(&f, USSL_E_PEER_ALERT);
	f.alert = p[1];
	return ussl_fail(&conn->err, &f, "read", 0);
}

/* TLS 1.3 handshake messages after the handshake: 1 to go on, else what
   to return. */
static long on_handshake13(ussl_conn *conn, const unsigned char *p,
    size_t n)
{
	struct oeng_rec *r = conn->eng->rec;
	unsigned char *h, ku;
	size_t mlen;

	if (r->hs_len + n > HS_MAX)
		return local_fatal(conn, SSL_AD_UNEXPECTED_MESSAGE, "read");
	if ((h = USSL_CALLOC(1, r->hs_len + n)) == NULL) {
		ussl_failure f;

		ussl_failure_init(&f, USSL_E_NOMEM);
		return ussl_fail(&conn->err, &f, "read", 0);
	}
	if (r->hs_len > 0)
		memcpy(h, r->hs, r->hs_len);
	memcpy(h + r->hs_len, p, n);
	USSL_FREE(r->hs);
	r->hs = h;
	r->hs_len += n;
	while (r->hs_len >= 4) {
		h = r->hs;
		mlen = (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
		if (mlen > HS_MAX - 4)
			return local_fatal(conn, SSL_AD_UNEXPECTED_MESSAGE,
			    "read");
		if (r->hs_len < 4 + mlen)
			return 1;       /* the rest comes in later records */
		if (h[0] == SSL3_MT_NEWSESSION_TICKET &&
		    conn->role == USSL_CLIENT) {
			/* Ignored: the session was kept when parking. */
		} else if (h[0] == SSL3_MT_KEY_UPDATE) {
			/* One byte, and the last of its record (RFC 8446
			   5.1). */
			if (mlen != 1 || r->hs_len != 5)
				return local_fatal(conn, mlen != 1 ?
				    SSL_AD_DECODE_ERROR :
				    SSL_AD_UNEXPECTED_MESSAGE, "read");
			ku = h[4];
			if (ku > 1)
				return local_fatal(conn,
				    SSL_AD_ILLEGAL_PARAMETER, "read");
			if (update13(r, RD) != 0)
				return local_fatal(conn,
				    SSL_AD_INTERNAL_ERROR, "read");
			/* Asked to update ours: say so, then do (at once,
			   or once our output has left). */
			if (ku == 1 && !r->close_sent)
				r->update_owed = 1;
			if (r->update_owed && !out_busy(conn) &&
			    send_owed_update(conn, "read") != USSL_OK)
				return USSL_ERROR;
		} else {
			return local_fatal(conn, SSL_AD_UNEXPECTED_MESSAGE,
			    "read");
		}
		memmove(r->hs, r->hs + 4 + mlen, r->hs_len - 4 - mlen);
		r->hs_len -= 4 + mlen;
	}
	if (r->hs_len == 0) {
		USSL_FREE(r->hs);
		r->hs = NULL;
	}
	return 1;
}

long oeng_rec_read(ussl_conn *conn, unsigned char *buf, size_t len)
{
	struct oeng_rec *r = conn->eng->rec;
	size_t off, n;
	long ret;
	int type, alert;

	if (r->failed)
		return USSL_ERROR;
	if (r->update_owed && !out_busy(conn) &&
	    send_owed_update(conn, "read") != USSL_OK)
		return USSL_ERROR;
	for (;;) {
		if (r->pt_len > 0) {
			n = r->pt_len < len ? r->pt_len : len;
			memcpy(buf, r->body + r->pt_off, n);
			r->pt_off += n;
			r->pt_len -= n;
			if (r->pt_len == 0)
				drop_body(r);
			r->idle_records = 0;
			return (long)n;
		}
		if (r->peer_closed)
			return 0;
		if ((ret = fetch(conn)) != 0)
			return ret;
		if ((alert = open_record(r, &type, &off, &n)) != 0) {
			drop_body(r);
			return local_fatal(conn, alert, "read");
		}
		/* Nothing may come between the parts of a handshake
		   message. */
		if (r->hs_len > 0 && type != SSL3_RT_HANDSHAKE) {
			drop_body(r);
			return local_fatal(conn, SSL_AD_UNEXPECTED_MESSAGE,
			    "read");
		}
		if (type == SSL3_RT_APPLICATION_DATA && n > 0) {
			r->pt_off = off;
			r->pt_len = n;
			r->hdr_have = 0;
			continue;
		}
		if (type == SSL3_RT_APPLICATION_DATA) {
			ret = 1;        /* empty: allowed, counted */
		} else if (type == SSL3_RT_ALERT) {
			ret = on_alert(conn, r->body + off, n);
		} else if (type == SSL3_RT_HANDSHAKE && n == 0) {
			ret = local_fatal(conn, SSL_AD_UNEXPECTED_MESSAGE,
			    "read");
		} else if (type == SSL3_RT_HANDSHAKE && r->tls13) {
			ret = on_handshake13(conn, r->body + off, n);
		} else if (type == SSL3_RT_HANDSHAKE) {
			/* TLS 1.2 renegotiation: refused, not fatal (and
			   after our close_notify, nothing more is sent). */
			if (!r->close_sent && !out_busy(conn))
				send_alert(conn, SSL3_AL_WARNING,
				    SSL_AD_NO_RENEGOTIATION);
			ret = 1;
		} else {
			ret = local_fatal(conn, SSL_AD_UNEXPECTED_MESSAGE,
			    "read");
		}
		drop_body(r);
		if (ret != 1)
			return ret;
		if (++r->idle_records > IDLE_RECORDS_MAX)
			return local_fatal(conn, SSL_AD_UNEXPECTED_MESSAGE,
			    "read");
	}
}

long oeng_rec_write(ussl_conn *conn, const unsigned char *buf, size_t len)
{
	struct oeng_rec *r = conn->eng->rec;
	size_t n = len < r->maxfrag ? len : r->maxfrag;

	if (r->failed || send_owed_update(conn, "write") != USSL_OK)
		return USSL_ERROR;
	if (oeng_rec_send(conn, SSL3_RT_APPLICATION_DATA, buf, n, "write") !=
	    USSL_OK) {
		r->failed = 1;
		return USSL_ERROR;
	}
	return (long)n;
}

int oeng_rec_close_notify(ussl_conn *conn)
{
	struct oeng_rec *r = conn->eng->rec;

	if (r->failed)
		return USSL_ERROR;
	static const unsigned char a[2] = { SSL3_AL_WARNING,
	    SSL_AD_CLOSE_NOTIFY };

	if (r->close_sent)
		return USSL_OK;
	r->close_sent = 1;
	return oeng_rec_send(conn, SSL3_RT_ALERT, a, 2, "close");
}

int oeng_key_update(ussl_conn *conn, int request)
{
	struct oeng_rec *r = conn->eng->rec;
	unsigned char msg[5] = { SSL3_MT_KEY_UPDATE, 0, 0, 1, 0 };

	if (r == NULL)
		return SSL_key_update(conn->eng->ssl, request ?
		    SSL_KEY_UPDATE_REQUESTED : SSL_KEY_UPDATE_NOT_REQUESTED) ==
		    1 ? USSL_OK : USSL_ERROR;
	if (!r->tls13 || r->failed || r->close_sent)
		return USSL_ERROR;
	/* This one answers a request too. */
	r->update_owed = 0;
	msg[4] = request ? 1 : 0;
	if (oeng_rec_send(conn, SSL3_RT_HANDSHAKE, msg, sizeof(msg),
	    "write") != USSL_OK)
		return USSL_ERROR;
	if (update13(r, WR) != 0) {
		local_fatal(conn, SSL_AD_INTERNAL_ERROR, "write");
		return USSL_ERROR;
	}
	return USSL_OK;
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
