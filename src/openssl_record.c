/*
 * openssl_record.c - the record layer of parked OpenSSL connections
 * (openssl_park.c parks them): seals and opens TLS 1.2 and 1.3 records
 * with OpenSSL's AEAD ciphers, reads alerts (close_notify ends the
 * stream), takes and answers TLS 1.3 KeyUpdates, ignores a client's
 * later NewSessionTickets (its session was kept when parking) and
 * refuses TLS 1.2 renegotiation with a no_renegotiation warning, as
 * OpenSSL under SSL_OP_NO_RENEGOTIATION does.  Every failure is fatal,
 * sends its alert and stays.
 */
#include <stdio.h>
#include <string.h>

#include "openssl_rec.h"

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
	/* TLS 1.2 GCM: OpenSSL's explicit nonces count on from a random
	   start; ours go on from its last (RFC 5288 3: never reused). */
	if (ex)
		put64(out + 5, r->explicit_next);
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
	r->explicit_next++;
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

/* The transport failed for good (or keeping our output ran out of
   memory): USSL_ERROR with the transport's errno. */
static long io_fail(ussl_conn *conn, const char *during)
{
	ussl_failure f;

	ussl_failure_init(&f, conn->out_nomem ? USSL_E_NOMEM : USSL_E_IO);
	f.sys_errno = conn->tr_errno;
	return ussl_fail(&conn->err, &f, during, 0);
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

	if (need > sizeof(small) && (out = USSL_MALLOC(need)) == NULL) {
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
	return s < 0 ? (int)io_fail(conn, during) : USSL_OK;
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
	if (oeng_rec_update13(r, WR) != 0) {
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
	if (n != 0)
		return io_fail(conn, "read");
	rec_fatal(conn->eng->rec);
	ussl_failure_init(&f, USSL_E_TRUNCATED);
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
		if ((r->body = USSL_MALLOC(r->body_len + 1)) == NULL) {
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
	/* TLS 1.3 ignores the level (RFC 8446 6); in TLS 1.2 a fatal one
	   is fatal, close_notify too (as OpenSSL). */
	if (p[1] == SSL_AD_CLOSE_NOTIFY &&
	    (r->tls13 || p[0] == SSL3_AL_WARNING)) {
		r->peer_closed = 1;
		return 0;
	}
	/* Warnings carry on (TLS 1.3 knows only user_canceled as one), a
	   few in a row. */
	if (r->tls13 ? p[1] == SSL_AD_USER_CANCELLED :
	    p[0] == SSL3_AL_WARNING)
		return ++r->warnings > WARNINGS_MAX ? local_fatal(conn,
		    SSL_AD_UNEXPECTED_MESSAGE, "read") : 1;
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
	if ((h = USSL_MALLOC(r->hs_len + n)) == NULL) {
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
			if (oeng_rec_update13(r, RD) != 0)
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
		if (type != SSL3_RT_ALERT)
			r->warnings = 0;
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
		} else if (type == SSL3_RT_HANDSHAKE &&
		    r->body[off] != (conn->role == USSL_CLIENT ?
		    SSL3_MT_HELLO_REQUEST : SSL3_MT_CLIENT_HELLO)) {
			/* TLS 1.2: nothing else may come now. */
			ret = local_fatal(conn, SSL_AD_UNEXPECTED_MESSAGE,
			    "read");
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
	if (oeng_rec_update13(r, WR) != 0) {
		local_fatal(conn, SSL_AD_INTERNAL_ERROR, "write");
		return USSL_ERROR;
	}
	return USSL_OK;
}

