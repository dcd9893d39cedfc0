/*
 * conn.c - the connection state machine (ussl_conn): deferred handshake,
 * sticky errors, clean close versus truncation, and the one output path
 * (what the transport has not taken yet, write retries, gathered sends)
 * with the transport glue the engine calls.  Engine-neutral.
 */
#include <errno.h>
#include <string.h>

#include "engine.h"
#include "psk.h"

static void out_drop(ussl_conn *conn);

static int set_static_err(ussl_error *err, int code, const char *msg)
{
	if (err != NULL) {
		err->code = code;
		err->sys_errno = 0;
		err->verify = 0;
		err->alert = -1;
		err->msg = msg;
	}
	return USSL_ERROR;
}

ussl_conn *ussl_conn_new(ussl_ctx *ctx, const char *server_name,
    ussl_error *err)
{
	ussl_conn *conn;

	if (ctx == NULL) {
		set_static_err(err, USSL_E_BADARG, "no context");
		return NULL;
	}
	/* A PSK context authenticates by the key only: no certificate is
	   exchanged, so neither name nor CA nor chain is needed. */
	if (ctx->role == USSL_CLIENT && ctx->verify != USSL_VERIFY_NONE &&
	    !ussl_psk_active(ctx)) {
		/* Checking a chain without a name accepts any host: only a
		   context told that names are not checked goes without. */
		if ((server_name == NULL || server_name[0] == '\0') &&
		    !(ctx->relax & USSL_RELAX_NO_NAME)) {
			set_static_err(err, USSL_E_BADARG, "certificate "
			    "verification needs a server host name (or "
			    "verification turned off explicitly)");
			return NULL;
		}
		if (ctx->n_ca == 0) {
			set_static_err(err, USSL_E_CONFIG, "certificate "
			    "verification needs trusted CA certificates");
			return NULL;
		}
	}
	if (ctx->role == USSL_SERVER && !ctx->has_chain &&
	    !ussl_psk_active(ctx)) {
		set_static_err(err, USSL_E_CONFIG,
		    "a server needs a certificate and a private key");
		return NULL;
	}
	if (ctx->role == USSL_SERVER && ctx->verify != USSL_VERIFY_NONE &&
	    ctx->n_ca == 0) {
		set_static_err(err, USSL_E_CONFIG, "client certificate "
		    "verification needs trusted CA certificates");
		return NULL;
	}
	conn = USSL_CALLOC(1, sizeof(*conn));
	if (conn == NULL) {
		set_static_err(err, USSL_E_NOMEM, "out of memory");
		return NULL;
	}
	ussl_err_clear(&conn->err);
	conn->role = ctx->role;
	conn->state = ST_NEW;
	if (ctx->role == USSL_CLIENT && server_name != NULL &&
	    ussl_name_set(&conn->name, server_name) != USSL_OK) {
		ussl_err_free(&conn->err);
		USSL_FREE(conn);
		set_static_err(err, USSL_E_NOMEM, "out of memory");
		return NULL;
	}
	/* From now on the context is read by this connection: it no longer
	   changes (ussl_ctx_dup makes a copy that may). */
	ussl_ctx_freeze(ctx);
	conn->ctx = ussl_ctx_ref(ctx);
	if (eng_conn_init(conn) != USSL_OK) {
		/* The engine's message is in conn->err: keep the code only. */
		set_static_err(err, conn->err.pub.code,
		    "cannot create the TLS session");
		ussl_name_free(&conn->name);
		ussl_ctx_free(conn->ctx);
		ussl_err_free(&conn->err);
		USSL_FREE(conn);
		return NULL;
	}
	if (err != NULL)
		set_static_err(err, USSL_E_NONE, "");
	return conn;
}

void ussl_conn_free(ussl_conn *conn)
{
	if (conn == NULL)
		return;
	ussl_sess_conn_end(conn);
	ussl_sess_conn_free(conn);
	ussl_psk_conn_free(conn);
	eng_conn_free(conn);
	out_drop(conn);
	ussl_name_free(&conn->name);
	ussl_ctx_free(conn->ctx);
	ussl_err_free(&conn->err);
	USSL_FREE(conn->dtls_id);
	ussl_wipe(conn, sizeof(*conn));
	USSL_FREE(conn);
}

void ussl_conn_set_transport(ussl_conn *conn, const ussl_transport *tr)
{
	conn->tr = *tr;
}

/* ---------------------------------------------------------------------- */
/* Output: the one path every byte for the peer takes                     */

/*
 * The engine encrypts; this file sends.  The engine's send callback
 * (eng_io_send) takes every record whole: what the transport does not
 * take at once is kept in conn->out and goes out before anything else,
 * on the next call of any kind.  So a record is never left half-sent
 * inside an engine, which would tie the next write to the same data:
 * after USSL_WANT_* or a timeout, the next write may carry any data, and
 * the peer receives exactly the bytes ussl_write() accepted, in order.
 *
 * Handshake messages are gathered and sent as one flight (Nagle's
 * algorithm and delayed ACKs then do not stall the handshake); a large
 * write gathers up to eng_write_gather bytes of records per send.
 */

/* A flight is sent once this much is gathered. */
#define FLIGHT_MAX 4096
/* Largest plaintext of a record: a longer write makes several. */
#define RECORD_MAX 16384

static size_t out_pending(const ussl_conn *conn)
{
	return conn->out_len - conn->out_off;
}

static void out_drop(ussl_conn *conn)
{
	USSL_FREE(conn->out);
	conn->out = NULL;
	conn->out_off = conn->out_len = conn->out_cap = 0;
}

/* Keep len more bytes of output; 0, or -1 when out of memory. */
static int out_keep(ussl_conn *conn, const unsigned char *buf, size_t len)
{
	size_t need = out_pending(conn) + len, cap;
	unsigned char *nb;

	if (conn->out_off > 0 && conn->out_len + len > conn->out_cap) {
		memmove(conn->out, conn->out + conn->out_off,
		    out_pending(conn));
		conn->out_len -= conn->out_off;
		conn->out_off = 0;
	}
	if (need > conn->out_cap) {
		/* Room for what is gathered at once (one allocation per
		   flight or large write), else for what waits now. */
		cap = need;
		if (conn->out_gather > 0 && cap < conn->out_gather + 1024)
			cap = conn->out_gather + 1024;
		cap = (cap + 255) & ~(size_t)255;
		nb = USSL_MALLOC(cap);
		if (nb == NULL)
			return -1;
		if (conn->out_len > 0)
			memcpy(nb, conn->out, conn->out_len);
		USSL_FREE(conn->out);
		conn->out = nb;
		conn->out_cap = cap;
	}
	memcpy(conn->out + conn->out_len, buf, len);
	conn->out_len += len;
	return 0;
}

/* One call of the transport's send: a count (> 0), USSL_WANT_* (the
   transport's timeout included, recorded in tr_timeout) or USSL_ERROR
   (recorded in send_failed). */
static long raw_send(ussl_conn *conn, const unsigned char *buf, size_t len)
{
	int e = 0;
	long r;

	if (conn->tr.send == NULL) {
		r = USSL_ERROR;
		e = 0;    /* no transport: errno unknown (-1) */
	} else {
		r = conn->tr.send(conn->tr.arg, buf, len, &e);
	}
	if (r > 0 && r < (long)len && conn->ctx->dtls) {
		/* A datagram goes whole or not at all: the transport broke
		   its contract. */
		r = USSL_ERROR;
		e = EMSGSIZE;
	} else if (r > 0) {
		return r > (long)len ? (long)len : r;
	}
	if (r == 0 || r == USSL_WANT_WRITE || r == USSL_WANT_READ)
		return USSL_WANT_WRITE;
	if (r == USSL_ERROR && e == -1) {
		/* A deadline passed: not a failure of the connection. */
		conn->tr_timeout = 1;
		return USSL_WANT_WRITE;
	}
	conn->send_failed = 1;
	conn->send_errno = e != 0 ? e : -1;
	conn->tr_errno = conn->send_errno;
	return USSL_ERROR;
}

/*
 * Send what conn->out holds.  0 once it is empty (the buffer is freed),
 * USSL_WANT_WRITE when the transport stopped taking it (a timeout
 * included), USSL_ERROR when a send failed.
 */
static long out_push(ussl_conn *conn)
{
	long r;

	while (out_pending(conn) > 0) {
		if (conn->send_failed)
			return USSL_ERROR;
		r = raw_send(conn, conn->out + conn->out_off,
		    out_pending(conn));
		if (r < 0)
			return r;
		conn->out_off += (size_t)r;
	}
	if (conn->out != NULL && conn->out_gather == 0)
		out_drop(conn);
	conn->out_off = conn->out_len = 0;
	return 0;
}

/*
 * Datagrams: conn->out holds at most one, sent whole by out_push().  A
 * datagram the transport would not take is kept (the engine is told it
 * went); while one is kept, the next is refused (USSL_WANT_WRITE: the
 * engine makes it again later), so two are never joined.
 */
static long dgram_send(ussl_conn *conn, const unsigned char *buf,
    size_t len)
{
	long r;

	if (out_pending(conn) > 0 && out_push(conn) != 0)
		return conn->send_failed ? (long)len : USSL_WANT_WRITE;
	r = raw_send(conn, buf, len);
	if (r >= 0 || conn->send_failed)
		return (long)len;
	if (out_keep(conn, buf, len) != 0) {
		conn->out_nomem = 1;
		conn->tr_errno = -1;
		return USSL_ERROR;
	}
	return (long)len;
}

long eng_io_send(ussl_conn *conn, const unsigned char *buf, size_t len)
{
	long r = 0;

	/* After a failed send nothing more can reach the peer. */
	if (conn->send_failed)
		return (long)len;
	if (conn->ctx->dtls)
		return dgram_send(conn, buf, len);
	if (out_pending(conn) > 0 && conn->out_gather == 0)
		(void)out_push(conn);
	if (out_pending(conn) == 0 && conn->out_gather == 0 &&
	    !conn->send_failed) {
		r = raw_send(conn, buf, len);
		if (r < 0)
			r = 0;
	}
	if (conn->send_failed)
		return (long)len;
	if ((size_t)r < len && out_keep(conn, buf + r, len - (size_t)r) != 0) {
		conn->out_nomem = 1;
		conn->tr_errno = -1;
		return USSL_ERROR;
	}
	if (conn->out_gather > 0 && out_pending(conn) >= conn->out_gather)
		(void)out_push(conn);
	return (long)len;
}

long eng_io_flush(ussl_conn *conn)
{
	long r = out_push(conn);

	/* A failed send is looked into when the engine next reads. */
	return r == USSL_ERROR ? 0 : r;
}

/*
 * A failed send may follow the peer's fatal alert (it closed after
 * sending it): the transport error is the consequence, the alert the
 * reason.  Only transport errors that say the peer is gone allow a look
 * at what it sent (a receive then cannot block).
 */
static int may_read_after_send_failure(const ussl_conn *conn)
{
#if defined(EPIPE) && defined(ECONNRESET)
	return conn->send_errno == EPIPE || conn->send_errno == ECONNRESET;
#else
	(void)conn;
	return 0;
#endif
}

long eng_io_recv(ussl_conn *conn, unsigned char *buf, size_t len)
{
	int e = 0, i;
	long r;

	/* The peer may be waiting for what we have not sent yet. */
	if (out_pending(conn) > 0)
		(void)out_push(conn);
	if (conn->send_failed && !may_read_after_send_failure(conn)) {
		conn->tr_errno = conn->send_errno;
		return USSL_ERROR;
	}
	if (conn->tr.recv == NULL) {
		conn->tr_errno = -1;
		return USSL_ERROR;
	}
	r = conn->tr.recv(conn->tr.arg, buf, len, &e);
	/* An empty datagram is no end of anything: there is none in DTLS.
	   Look at the next (a bounded number of times). */
	for (i = 0; r == 0 && conn->ctx->dtls && i < 8; i++)
		r = conn->tr.recv(conn->tr.arg, buf, len, &e);
	if (r == 0 && conn->ctx->dtls)
		r = USSL_WANT_READ;
	if (r == 0) {
		conn->tr_eof = 1;
		return 0;
	}
	if (r > 0)
		return r > (long)len ? (long)len : r;
	if (r == USSL_WANT_WRITE || r == USSL_WANT_READ ||
	    (r == USSL_ERROR && e == -1)) {
		if (r == USSL_ERROR)
			conn->tr_timeout = 1;
		if (conn->send_failed) {
			/* Nothing more came: the send failure it is. */
			conn->tr_errno = conn->send_errno;
			return USSL_ERROR;
		}
		conn->tr_blocked = 1;
		/* Our output first: wait until it can go. */
		if (out_pending(conn) > 0)
			return USSL_WANT_WRITE;
		return r == USSL_ERROR ? USSL_WANT_READ : r;
	}
	conn->tr_errno = e != 0 ? e : -1;
	return USSL_ERROR;
}

/* ---------------------------------------------------------------------- */
/* State machine                                                           */

/*
 * Entry checks shared by all I/O calls.  Returns USSL_OK to go on, or the
 * value to return.  Non-sticky errors (timeout, bad argument) of the
 * previous call are cleared here; fatal ones are kept, whatever was
 * called since (ussl_close() included).  After our close_notify, writing
 * is over but reading goes on (half-close) until the peer's close_notify.
 */
static int enter(ussl_conn *conn, int writing)
{
	conn->tr_timeout = 0;
	if (conn->state == ST_FAILED)
		return USSL_ERROR;
	ussl_err_clear(&conn->err);
	if (conn->state == ST_CLOSED || (writing && conn->close_sent))
		return ussl_err_set(&conn->err, USSL_E_CLOSED,
		    "I/O on a closed TLS connection");
	return USSL_OK;
}

/* The connection failed: sticky from now on. */
static long failed(ussl_conn *conn)
{
	if (conn->err.pub.code == USSL_E_NONE)
		ussl_err_set(&conn->err, USSL_E_INTERNAL, "engine failure");
	conn->state = ST_FAILED;
	return USSL_ERROR;
}

/*
 * A send failed for good.  Before reporting the transport error, read
 * what the peer already sent: a fatal alert there is the real reason.
 * The engine reads records until the transport has nothing more (after
 * such a failure a receive does not wait); application data found is
 * dropped, as the connection is over.
 */
static long send_failure(ussl_conn *conn, const char *during, int can_read)
{
	unsigned char scratch[256];
	ussl_failure f;
	long r = USSL_ERROR;
	int i;

	if (conn->err.pub.code != USSL_E_PEER_ALERT && can_read &&
	    may_read_after_send_failure(conn)) {
		for (i = 0; i < 1024; i++) {
			r = eng_read(conn, scratch, sizeof(scratch));
			if (r <= 0 && r != USSL_WANT_READ)
				break;
		}
	}
	if (r != USSL_ERROR || conn->err.pub.code != USSL_E_PEER_ALERT) {
		ussl_failure_init(&f, USSL_E_IO);
		f.sys_errno = conn->send_errno;
		ussl_fail(&conn->err, &f, during,
		    conn->state != ST_OPEN && conn->state != ST_PEER_CLOSED);
	}
	return failed(conn);
}

/* After an engine call: make errors sticky, turn timeouts into theirs,
   and let a peer's alert win over the send failure it caused. */
static long leave(ussl_conn *conn, long r, const char *during)
{
	ussl_failure f;

	/* The engine call ended well: it may read on to find the alert. */
	if (conn->send_failed)
		return send_failure(conn, during, r >= 0);
	if (conn->out_nomem) {
		ussl_failure_init(&f, USSL_E_NOMEM);
		ussl_fail(&conn->err, &f, during, 0);
		return failed(conn);
	}
	if (r == USSL_WANT_READ || r == USSL_WANT_WRITE) {
		if (conn->tr_timeout) {
			ussl_failure_init(&f, USSL_E_TIMEOUT);
			return ussl_fail(&conn->err, &f, during, 0);
		}
		return r;
	}
	/* A DTLS cookie was sent: the connection waits for the client to
	   come back with it (not a failure). */
	if (r == USSL_ERROR && conn->err.pub.code == USSL_E_HELLO_VERIFY)
		return r;
	if (r == USSL_ERROR)
		return failed(conn);
	return r;
}

/* Send what is pending before anything else: 0 once nothing is left,
   else what to return. */
static long push(ussl_conn *conn, const char *during)
{
	long r = out_push(conn);

	return r == 0 ? 0 : leave(conn, r, during);
}

static int do_handshake(ussl_conn *conn)
{
	long r;

	if (conn->state == ST_NEW && conn->ctx->dtls &&
	    conn->role == USSL_SERVER && conn->dtls_id == NULL)
		return ussl_err_set(&conn->err, USSL_E_BADARG, "a DTLS server "
		    "needs the client's transport address (client id)");
	if (conn->state == ST_NEW)
		conn->state = ST_HANDSHAKE;
	if (conn->state != ST_HANDSHAKE)
		return USSL_OK;
	/* Datagrams are never gathered: one record, one datagram. */
	conn->out_gather = conn->ctx->dtls ? 0 : FLIGHT_MAX;
	r = eng_handshake(conn);
	conn->out_gather = 0;
	r = leave(conn, r, "handshake");
	/* The last flight has nobody reading after it: send it now. */
	if (r == USSL_OK)
		r = push(conn, "handshake");
	if (r == USSL_OK) {
		conn->state = ST_OPEN;
		conn->hs_complete = 1;
		ussl_sess_handshake_done(conn);
		/* A PSK client's handshake is a PSK one (or resumes one made
		   under this PSK: the session is bound to it). */
		if (conn->role == USSL_CLIENT && ussl_psk_active(conn->ctx))
			(void)ussl_psk_note(conn, conn->ctx->psk->id,
			    conn->ctx->psk->id_len);
	} else if (r == USSL_ERROR && out_pending(conn) > 0 &&
	    !conn->send_failed) {
		/* Best effort: the alert that says why is in the flight. */
		(void)out_push(conn);
	}
	if (r == USSL_ERROR)
		out_drop(conn);
	else if (out_pending(conn) == 0)
		out_drop(conn);
	if (r == USSL_ERROR && conn->err.pub.code == USSL_E_HELLO_VERIFY)
		conn->state = ST_NEW;    /* the client is forgotten */
	return (int)r;
}

int ussl_handshake(ussl_conn *conn)
{
	int r = enter(conn, 0);

	if (r == USSL_OK)
		r = do_handshake(conn);
	/* Done already: what earlier writes left goes out. */
	if (r == USSL_OK && out_pending(conn) > 0)
		r = (int)push(conn, "handshake");
	return r;
}

int ussl_handshake_done(const ussl_conn *conn)
{
	/* Stays true after a later failure or close: what was negotiated
	   remains readable. */
	return conn->hs_complete;
}

long ussl_read(ussl_conn *conn, void *buf, size_t len)
{
	long r = enter(conn, 0);

	if (r != USSL_OK)
		return r;
	if (buf == NULL || len == 0)
		return ussl_err_set(&conn->err, USSL_E_BADARG,
		    "read needs a buffer of at least one byte");
	if ((r = do_handshake(conn)) != USSL_OK)
		return r;
	/* What we owe the peer goes first (a would-block is no reason not
	   to read: eng_io_recv asks to wait for writing if need be). */
	if (out_pending(conn) > 0 && out_push(conn) == USSL_ERROR)
		return send_failure(conn, "read", 1);
	if (conn->state == ST_PEER_CLOSED)
		return 0;
	r = leave(conn, eng_read(conn, buf, len), "read");
	if (r == 0)
		conn->state = ST_PEER_CLOSED;
	return r;
}

long ussl_write(ussl_conn *conn, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t done = 0;
	long r = enter(conn, 1);

	if (r != USSL_OK)
		return r;
	if (buf == NULL && len != 0)
		return ussl_err_set(&conn->err, USSL_E_BADARG, "no buffer");
	if ((r = do_handshake(conn)) != USSL_OK)
		return r;
	/* Output of earlier calls first: until it is out, nothing of this
	   call is accepted. */
	if ((r = push(conn, "write")) != 0 || len == 0)
		return r;
	/* A datagram write is one record, whole or not at all. */
	if (conn->ctx->dtls && len > eng_dtls_max_payload(conn))
		return ussl_err_set(&conn->err, USSL_E_BADARG, "%lu bytes do "
		    "not fit in one DTLS record (at most %lu)",
		    (unsigned long)len,
		    (unsigned long)eng_dtls_max_payload(conn));
	/* A write of several records gathers them (engines that gain from
	   fewer, larger sends). */
	if (len > RECORD_MAX && !conn->ctx->dtls)
		conn->out_gather = eng_write_gather;
	while (done < len) {
		/* At most one record (or what a gathering write collects)
		   waits in conn->out: a rest the transport does not take
		   ends the write. */
		if (out_pending(conn) > 0 && out_pending(conn) >=
		    conn->out_gather && (r = out_push(conn)) != 0)
			break;
		r = eng_write(conn, p + done, len - done);
		if (r <= 0 || conn->send_failed)
			break;
		/* The record is ours now: accepted. */
		done += (size_t)r;
		if (conn->ctx->dtls)
			break;
	}
	conn->out_gather = 0;
	/* The rest goes out; an empty buffer kept for gathering is freed
	   (an idle connection holds none). */
	if (r >= 0)
		r = out_push(conn);
	if (conn->send_failed)
		return send_failure(conn, "write", 1);
	if (r == USSL_ERROR)
		return leave(conn, r, "write");
	if (done > 0)
		return (long)done;
	return leave(conn, r >= 0 ? USSL_WANT_WRITE : r, "write");
}

int ussl_flush(ussl_conn *conn)
{
	if (conn->state == ST_FAILED)
		return USSL_ERROR;
	conn->tr_timeout = 0;
	if (conn->err.pub.code != USSL_E_NONE)
		ussl_err_clear(&conn->err);
	return (int)push(conn, "write");
}

size_t ussl_pending(const ussl_conn *conn)
{
	if (conn->state != ST_OPEN || conn->eng == NULL)
		return 0;
	return eng_pending(conn);
}

int ussl_close(ussl_conn *conn)
{
	long r;

	/* A failed connection keeps its error for every later call. */
	if (conn->state == ST_FAILED || conn->state == ST_CLOSED)
		return USSL_OK;
	if (conn->state == ST_NEW || conn->state == ST_HANDSHAKE) {
		/* Nothing can be closed cleanly. */
		conn->state = ST_CLOSED;
		out_drop(conn);
		return USSL_OK;
	}
	conn->tr_timeout = 0;
	ussl_err_clear(&conn->err);
	if (!conn->close_sent) {
		ussl_sess_conn_end(conn);
		if ((r = push(conn, "close")) != 0)
			return (int)r;
		r = leave(conn, eng_close_notify(conn), "close");
		if (r != USSL_OK)
			return (int)r;
		conn->close_sent = 1;
	}
	/* close_notify is made: done once it has left. */
	return (int)push(conn, "close");
}

const ussl_error *ussl_conn_error(const ussl_conn *conn)
{
	return &conn->err.pub;
}

void ussl_conn_set_timeout_error(ussl_conn *conn)
{
	if (conn->state != ST_FAILED)
		ussl_err_set(&conn->err, USSL_E_TIMEOUT, "operation timed out");
}

int ussl_conn_role(const ussl_conn *conn)
{
	return conn->role;
}

/* ---------------------------------------------------------------------- */
/* Negotiated parameters                                                   */

const char *ussl_conn_version(const ussl_conn *conn)
{
	return ussl_handshake_done(conn) && conn->eng ?
	    eng_conn_version(conn) : NULL;
}

const char *ussl_conn_cipher(const ussl_conn *conn)
{
	return ussl_handshake_done(conn) && conn->eng ?
	    eng_conn_cipher(conn) : NULL;
}

int ussl_conn_cipher_bits(const ussl_conn *conn)
{
	return ussl_handshake_done(conn) && conn->eng ?
	    eng_conn_cipher_bits(conn) : 0;
}

const char *ussl_conn_alpn(const ussl_conn *conn)
{
	return ussl_handshake_done(conn) && conn->eng ?
	    eng_conn_alpn(conn) : NULL;
}

int ussl_conn_peer_cert(const ussl_conn *conn, const unsigned char **der,
    size_t *len)
{
	if (!ussl_handshake_done(conn) || conn->eng == NULL)
		return -1;
	return eng_conn_peer_cert(conn, der, len);
}

int ussl_conn_session_reused(const ussl_conn *conn)
{
	return ussl_handshake_done(conn) && eng_conn_session_reused(conn);
}

unsigned ussl_conn_verify_flags(const ussl_conn *conn)
{
	return conn->verify_flags;
}

int ussl_conn_peer_verified(const ussl_conn *conn)
{
	return ussl_handshake_done(conn) && conn->peer_verified;
}

int ussl_cert_subject(const unsigned char *der, size_t len, char *buf,
    size_t size)
{
	if (size > 0)
		buf[0] = '\0';
	return der == NULL ? -1 : eng_cert_dn(der, len, 0, buf, size);
}

int ussl_cert_issuer(const unsigned char *der, size_t len, char *buf,
    size_t size)
{
	if (size > 0)
		buf[0] = '\0';
	return der == NULL ? -1 : eng_cert_dn(der, len, 1, buf, size);
}
