/*
 * conn.c - the connection state machine (ussl_conn): deferred handshake,
 * sticky errors, clean close versus truncation, and the transport glue
 * the engine calls.  Engine-neutral.
 */
#include <string.h>

#include "engine.h"

static void drop_flight(ussl_conn *conn);

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
	if (ctx->role == USSL_CLIENT && ctx->verify != USSL_VERIFY_NONE) {
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
	if (ctx->role == USSL_SERVER && !ctx->has_chain) {
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
	eng_conn_free(conn);
	drop_flight(conn);
	ussl_name_free(&conn->name);
	ussl_ctx_free(conn->ctx);
	ussl_err_free(&conn->err);
	ussl_wipe(conn, sizeof(*conn));
	USSL_FREE(conn);
}

void ussl_conn_set_transport(ussl_conn *conn, const ussl_transport *tr)
{
	conn->tr = *tr;
}

/* ---------------------------------------------------------------------- */
/* Transport glue for the engine                                          */

/* Largest flight gathered; bigger messages go out directly. */
#define FLIGHT_MAX 4096

static long raw_send(ussl_conn *conn, const unsigned char *buf, size_t len)
{
	int e = 0;
	long r;

	if (conn->tr.send == NULL) {
		conn->tr_errno = -1;
		return USSL_ERROR;
	}
	r = conn->tr.send(conn->tr.arg, buf, len, &e);
	if (r == USSL_WANT_WRITE || r == USSL_WANT_READ)
		conn->tr_blocked = 1;
	if (r > 0 || r == USSL_WANT_WRITE || r == USSL_WANT_READ)
		return r > (long)len ? (long)len : r;
	if (r == USSL_ERROR && e == -1) {
		/* A deadline passed: tell the engine to wait, and the core
		   reports the timeout without killing the connection. */
		conn->tr_timeout = 1;
		conn->tr_blocked = 1;
		return USSL_WANT_WRITE;
	}
	conn->tr_errno = e != 0 ? e : -1;
	return USSL_ERROR;
}

/* Send what the flight buffer holds: 0 once empty, else a code. */
static long flush_flight(ussl_conn *conn)
{
	long r;

	while (conn->flight_off < conn->flight_len) {
		r = raw_send(conn, conn->flight + conn->flight_off,
		    conn->flight_len - conn->flight_off);
		if (r <= 0)
			return r == 0 ? USSL_WANT_WRITE : r;
		conn->flight_off += (size_t)r;
	}
	conn->flight_off = conn->flight_len = 0;
	return 0;
}

long eng_io_flush(ussl_conn *conn)
{
	long r = conn->flight_len > 0 ? flush_flight(conn) : 0;

	if (r == USSL_ERROR) {
		ussl_err_set(&conn->err, USSL_E_IO, "handshake: transport error");
		conn->err.pub.sys_errno = conn->tr_errno;
	}
	return r;
}

static void drop_flight(ussl_conn *conn)
{
	USSL_FREE(conn->flight);
	conn->flight = NULL;
	conn->flight_off = conn->flight_len = 0;
}

long eng_io_send(ussl_conn *conn, const unsigned char *buf, size_t len)
{
	long r;

	if (conn->state == ST_HANDSHAKE && len <= FLIGHT_MAX) {
		if (conn->flight == NULL)
			conn->flight = USSL_CALLOC(1, FLIGHT_MAX);
		if (conn->flight != NULL) {
			if (conn->flight_len + len > FLIGHT_MAX &&
			    (r = flush_flight(conn)) != 0)
				return r;
			memcpy(conn->flight + conn->flight_len, buf, len);
			conn->flight_len += len;
			return (long)len;
		}
	}
	if (conn->flight_len > 0 && (r = flush_flight(conn)) != 0)
		return r;
	return raw_send(conn, buf, len);
}

long eng_io_recv(ussl_conn *conn, unsigned char *buf, size_t len)
{
	int e = 0;
	long r;

	/* Before waiting for the peer, the peer must have our flight. */
	if (conn->flight_len > 0 && (r = flush_flight(conn)) != 0)
		return r;
	if (conn->tr.recv == NULL) {
		conn->tr_errno = -1;
		return USSL_ERROR;
	}
	r = conn->tr.recv(conn->tr.arg, buf, len, &e);
	if (r == 0) {
		conn->tr_eof = 1;
		return 0;
	}
	if (r == USSL_WANT_WRITE || r == USSL_WANT_READ)
		conn->tr_blocked = 1;
	if (r > 0 || r == USSL_WANT_WRITE || r == USSL_WANT_READ)
		return r > (long)len ? (long)len : r;
	if (r == USSL_ERROR && e == -1) {
		conn->tr_timeout = 1;
		conn->tr_blocked = 1;
		return USSL_WANT_READ;
	}
	conn->tr_errno = e != 0 ? e : -1;
	return USSL_ERROR;
}

/* ---------------------------------------------------------------------- */
/* State machine                                                           */

/*
 * Entry checks shared by all I/O calls.  Returns USSL_OK to go on, or the
 * value to return.  Non-sticky errors (timeout, bad argument) of the
 * previous call are cleared here; fatal ones are kept.  After our
 * close_notify, writing is over but reading goes on (half-close) until
 * the peer's close_notify.
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

/* After an engine call: make errors sticky, turn timeouts into theirs. */
static long leave(ussl_conn *conn, long r)
{
	if (r == USSL_WANT_READ || r == USSL_WANT_WRITE) {
		if (conn->tr_timeout)
			return ussl_err_set(&conn->err, USSL_E_TIMEOUT,
			    "operation timed out");
		return r;
	}
	if (r == USSL_ERROR) {
		if (conn->err.pub.code == USSL_E_NONE)
			ussl_err_set(&conn->err, USSL_E_INTERNAL,
			    "engine failure");
		conn->state = ST_FAILED;
	}
	return r;
}

static int do_handshake(ussl_conn *conn)
{
	long r;

	if (conn->state == ST_NEW)
		conn->state = ST_HANDSHAKE;
	if (conn->state != ST_HANDSHAKE)
		return USSL_OK;
	r = leave(conn, eng_handshake(conn));
	/* The last flight has nobody reading after it: send it now. */
	if (r == USSL_OK && conn->flight_len > 0)
		r = leave(conn, eng_io_flush(conn));
	if (r == USSL_OK) {
		conn->state = ST_OPEN;
		conn->hs_complete = 1;
		drop_flight(conn);
		ussl_sess_handshake_done(conn);
	} else if (r == USSL_ERROR && conn->flight_len > 0) {
		/* Best effort: the alert that says why is in the flight. */
		(void)flush_flight(conn);
		drop_flight(conn);
	}
	return (int)r;
}

int ussl_handshake(ussl_conn *conn)
{
	int r = enter(conn, 0);

	return r == USSL_OK ? do_handshake(conn) : r;
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
	if (conn->state == ST_PEER_CLOSED)
		return 0;
	r = leave(conn, eng_read(conn, buf, len));
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
	/* Several records; stop at the first would-block after progress
	   (the caller then comes back with the rest, which is exactly the
	   data the engine may hold half-sent). */
	while (done < len) {
		r = leave(conn, eng_write(conn, p + done, len - done));
		if (r < 0) {
			if (done > 0 && r != USSL_ERROR)
				break;
			return r;
		}
		done += (size_t)r;
	}
	return (long)done;
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

	if (conn->state == ST_CLOSED || conn->close_sent)
		return USSL_OK;
	if (conn->state == ST_FAILED || conn->state == ST_NEW ||
	    conn->state == ST_HANDSHAKE) {
		/* Nothing can be closed cleanly. */
		conn->state = ST_CLOSED;
		return USSL_OK;
	}
	conn->tr_timeout = 0;
	ussl_err_clear(&conn->err);
	ussl_sess_conn_end(conn);
	r = eng_close_notify(conn);
	if (r == USSL_WANT_READ || r == USSL_WANT_WRITE) {
		if (conn->tr_timeout)
			return ussl_err_set(&conn->err, USSL_E_TIMEOUT,
			    "operation timed out");
		return (int)r;
	}
	if (r == USSL_OK)
		conn->close_sent = 1;
	else
		conn->state = ST_FAILED;
	return (int)r;
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
