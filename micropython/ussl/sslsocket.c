/*
 * sslsocket.c - the SSLSocket object of both modules: a MicroPython
 * stream over a ussl connection, whose transport is any other MicroPython
 * stream (a socket, or any object with the stream protocol).
 *
 * Nothing here sleeps or spins.  A would-block from the engine is
 * reported as EAGAIN with the direction remembered for MP_STREAM_POLL;
 * only a handshake that the caller asked to complete at once waits, with
 * select.poll on the direction the engine named.
 */
#include "py/runtime.h"
#include "py/stream.h"
#include "py/mperrno.h"
#include "py/gc.h"

#include <string.h>

#include "ussl_mp.h"

#define POLL_RDWR (MP_STREAM_POLL_RD | MP_STREAM_POLL_WR)

/* Connections not yet freed (see ussl_mp_psa_crowded). */
static size_t live_conns;

/* ---------------------------------------------------------------------- */
/* Transport: the wrapped stream                                          */

/*
 * One read or write on the wrapped stream.  What the stream raises (a
 * Python-level stream, KeyboardInterrupt) is caught and kept: unwinding
 * through the engine would leave it in the middle of a record.
 */
static long stream_io(ussl_mp_socket_t *self, void *buf, size_t len,
    bool writing, int *err)
{
	const mp_stream_p_t *p;
	nlr_buf_t nlr;
	mp_uint_t n;
	int e = 0;

	if (self->sock == MP_OBJ_NULL) {
		*err = MP_EBADF;
		return USSL_ERROR;
	}
	p = mp_get_stream(self->sock);
	if (nlr_push(&nlr) != 0) {
		self->io_exc = MP_OBJ_FROM_PTR(nlr.ret_val);
		*err = MP_EIO;
		return USSL_ERROR;
	}
	n = writing ? p->write(self->sock, buf, len, &e) :
	    p->read(self->sock, buf, len, &e);
	nlr_pop();
	if (n == MP_STREAM_ERROR) {
		if (mp_is_nonblocking_error(e)) {
			self->blocked = 1;
			return writing ? USSL_WANT_WRITE : USSL_WANT_READ;
		}
		/* A timeout of a blocking socket leaves the TLS session
		   usable; ussl's transport contract spells it -1. */
		*err = e == MP_ETIMEDOUT ? -1 : (e != 0 ? e : MP_EIO);
		return USSL_ERROR;
	}
	if (n == 0 && writing) {
		*err = MP_EIO;
		return USSL_ERROR;
	}
	return (long)n;
}

static long tr_send(void *arg, const unsigned char *buf, size_t len,
    int *err)
{
	return stream_io(ussl_mp_unhide(arg), (void *)buf, len, true, err);
}

static long tr_recv(void *arg, unsigned char *buf, size_t len, int *err)
{
	return stream_io(ussl_mp_unhide(arg), buf, len, false, err);
}

/* ---------------------------------------------------------------------- */
/* Errors and state                                                       */

/* Release the TLS state; notify: send close_notify first (best effort). */
static void drop_conn(ussl_mp_socket_t *self, bool notify)
{
	if (self->conn == NULL)
		return;
	if (notify && !self->failed)
		(void)ussl_close(self->conn);
	ussl_conn_free(self->conn);
	self->conn = NULL;
	live_conns--;
	self->io_exc = MP_OBJ_NULL;
}

/* Raise the error of the last ussl call on self->conn. */
static MP_NORETURN void raise_conn_error(ussl_mp_socket_t *self)
{
	const ussl_error *e = ussl_conn_error(self->conn);
	mp_obj_t exc = self->io_exc;

	if (e->code != USSL_E_TIMEOUT && e->code != USSL_E_BADARG &&
	    e->code != USSL_E_CLOSED)
		self->failed = 1;
	/* What the stream or the verify callback raised explains the
	   failure better than our code does. */
	self->io_exc = MP_OBJ_NULL;
	if (exc == MP_OBJ_NULL && self->context != MP_OBJ_NULL) {
		ussl_mp_context_t *c = MP_OBJ_TO_PTR(self->context);

		exc = c->cb_exc;
		c->cb_exc = MP_OBJ_NULL;
	}
	if (exc != MP_OBJ_NULL)
		nlr_raise(exc);
	ussl_mp_raise(e, self->style, self->role);
}

/*
 * A DTLS server socket of an unusable context (no certificate), in the
 * stock module's style: that module fails only once a client's datagram
 * arrives, so until one does, reads and writes would block.  1 when a
 * datagram came (it is dropped: the connection cannot take it).
 */
static int dead_peer_came(ussl_mp_socket_t *self)
{
	unsigned char b[1];
	int e = 0;

	return stream_io(self, b, sizeof(b), false, &e) != USSL_WANT_READ;
}

/* Raise if there is no connection to use (closed, or never created):
   returns 0 when it is open, 1 for "would block" (see above). */
static int check_open(ussl_mp_socket_t *self)
{
	ussl_error e;

	if (self->conn != NULL)
		return 0;
	e.sys_errno = 0;
	e.verify = 0;
	e.alert = -1;
	if (self->sock == MP_OBJ_NULL) {
		e.code = USSL_E_CLOSED;
		e.msg = "I/O on a closed TLS connection";
	} else {
		e.code = self->dead_code;
		e.msg = self->dead_msg;
		if (self->dtls && self->role == USSL_SERVER &&
		    self->style == USSL_MP_COMPAT && !dead_peer_came(self))
			return 1;
		if (self->no_ca)
			ussl_mp_raise_no_ca(&e, self->style, self->role);
	}
	ussl_mp_raise(&e, self->style, self->role);
}

/*
 * Map a ussl result to the stream protocol.  A would-block in the
 * direction opposite to the call (a read that must write, a write that
 * must read) is remembered in poll_mask, so that polling for the call's
 * own direction checks the one the engine needs.
 */
static mp_uint_t stream_result(ussl_mp_socket_t *self, long r,
    uint8_t opposite, int *errcode)
{
	uint8_t dir;

	if (r >= 0)
		return (mp_uint_t)r;
	if (r == USSL_WANT_READ || r == USSL_WANT_WRITE) {
		dir = r == USSL_WANT_READ ? MP_STREAM_POLL_RD :
		    MP_STREAM_POLL_WR;
		if (dir == opposite)
			self->poll_mask = dir;
		*errcode = MP_EAGAIN;
		return MP_STREAM_ERROR;
	}
	raise_conn_error(self);
}

/*
 * Run one ussl I/O call.  mbedTLS also says "want read" when it only
 * wants to be called again (after a TLS 1.3 NewSessionTicket, or an
 * ignored warning alert) without the stream having been short of data;
 * then call again at once rather than report a would-block that no
 * readiness will resolve (and a None from a blocking socket).
 */
enum { OP_READ, OP_WRITE, OP_HANDSHAKE };

static long conn_call(ussl_mp_socket_t *self, int op, void *buf, size_t len)
{
	int tries = 0;
	long r;

	do {
		self->blocked = 0;
		if (op == OP_READ)
			r = ussl_read(self->conn, buf, len);
		else if (op == OP_WRITE)
			r = ussl_write(self->conn, buf, len);
		else
			r = ussl_handshake(self->conn);
	} while ((r == USSL_WANT_READ || r == USSL_WANT_WRITE) &&
	    !self->blocked && ++tries < 8);
	return r;
}

/* ---------------------------------------------------------------------- */
/* Stream protocol                                                        */

static mp_uint_t sock_read(mp_obj_t self_in, void *buf, mp_uint_t size,
    int *errcode)
{
	ussl_mp_socket_t *self = MP_OBJ_TO_PTR(self_in);
	bool open;
	long r;

	self->poll_mask = 0;
	if (check_open(self)) {
		*errcode = MP_EAGAIN;
		return MP_STREAM_ERROR;
	}
	if (self->eof)
		return 0;
	open = ussl_handshake_done(self->conn);
	r = conn_call(self, OP_READ, buf, size);
	/*
	 * The stock module (which never sends close_notify itself) and
	 * CPython (suppress_ragged_eofs) take a bare end of stream after the
	 * handshake as the end of the data; so does the `tls` module.  The
	 * `ussl` module reports it: OSError(E_TRUNCATED).
	 */
	if (r == USSL_ERROR && open && self->style == USSL_MP_COMPAT &&
	    ussl_conn_error(self->conn)->code == USSL_E_TRUNCATED) {
		self->eof = 1;
		return 0;
	}
	return stream_result(self, r, MP_STREAM_POLL_WR, errcode);
}

static mp_uint_t sock_write(mp_obj_t self_in, const void *buf,
    mp_uint_t size, int *errcode)
{
	ussl_mp_socket_t *self = MP_OBJ_TO_PTR(self_in);

	self->poll_mask = 0;
	if (check_open(self)) {
		*errcode = MP_EAGAIN;
		return MP_STREAM_ERROR;
	}
	return stream_result(self, conn_call(self, OP_WRITE, (void *)buf, size),
	    MP_STREAM_POLL_RD, errcode);
}

static mp_uint_t sock_poll(ussl_mp_socket_t *self, uintptr_t arg,
    int *errcode)
{
	mp_obj_t sock = self->sock;
	uintptr_t asked = 0;
	mp_uint_t ret = 0;

	if (sock == MP_OBJ_NULL || self->conn == NULL || self->failed)
		return MP_STREAM_POLL_NVAL;
	/* Output an earlier write accepted may still wait for the socket
	   (a non-blocking one that was full).  Send it now; while some
	   waits, a reader must wait for the socket to take it (the peer
	   answers only once it has it), so read readiness is looked for as
	   write readiness: the read then sends it first.  An error is left
	   for the next call to raise. */
	if (ussl_handshake_done(self->conn) &&
	    ussl_flush(self->conn) == USSL_WANT_WRITE &&
	    (arg & MP_STREAM_POLL_RD) && !self->poll_mask)
		self->poll_mask = MP_STREAM_POLL_WR;
	/* The engine needs the other direction: check that one, and report
	   the caller's direction ready when it is, so the caller calls us
	   again and the handshake (or key update) moves on. */
	if (self->poll_mask && (arg & POLL_RDWR)) {
		asked = arg & POLL_RDWR;
		arg = (arg & ~asked) | self->poll_mask;
	}
	/* Decrypted data waiting needs no I/O. */
	if ((arg & MP_STREAM_POLL_RD) && ussl_pending(self->conn) > 0) {
		ret |= MP_STREAM_POLL_RD;
		if (arg == MP_STREAM_POLL_RD)
			return ret;
	}
	ret |= mp_get_stream(sock)->ioctl(sock, MP_STREAM_POLL, arg, errcode);
	if (ret != MP_STREAM_ERROR && (ret & self->poll_mask))
		ret |= asked;
	return ret;
}

static mp_uint_t sock_ioctl(mp_obj_t self_in, mp_uint_t request,
    uintptr_t arg, int *errcode)
{
	ussl_mp_socket_t *self = MP_OBJ_TO_PTR(self_in);
	mp_obj_t sock = self->sock;

	if (request == MP_STREAM_POLL)
		return sock_poll(self, arg, errcode);
	if (request != MP_STREAM_CLOSE) {
		*errcode = MP_EINVAL;
		return MP_STREAM_ERROR;
	}
	if (sock == MP_OBJ_NULL)
		return 0;
	drop_conn(self, true);
	self->sock = MP_OBJ_NULL;
	/* Like the stock module: closing the TLS socket closes the stream. */
	return mp_get_stream(sock)->ioctl(sock, MP_STREAM_CLOSE, arg, errcode);
}

static const mp_stream_p_t sock_stream_p = {
	.read = sock_read,
	.write = sock_write,
	.ioctl = sock_ioctl,
};

/* ---------------------------------------------------------------------- */
/* Methods                                                                */

static mp_obj_t sock_setblocking(mp_obj_t self_in, mp_obj_t flag)
{
	ussl_mp_socket_t *self = MP_OBJ_TO_PTR(self_in);
	mp_obj_t dest[3];

	if (self->sock == MP_OBJ_NULL)
		mp_raise_OSError(MP_EBADF);
	mp_load_method(self->sock, MP_QSTR_setblocking, dest);
	dest[2] = flag;
	return mp_call_method_n_kw(1, 0, dest);
}
static MP_DEFINE_CONST_FUN_OBJ_2(sock_setblocking_obj, sock_setblocking);

/* (suite, version) once the handshake is done, else None. */
static mp_obj_t sock_cipher(mp_obj_t self_in)
{
	ussl_mp_socket_t *self = MP_OBJ_TO_PTR(self_in);
	const char *name, *version;
	mp_obj_t t[2];

	if (self->conn == NULL || !ussl_handshake_done(self->conn))
		return mp_const_none;
	name = ussl_conn_cipher(self->conn);
	version = ussl_conn_version(self->conn);
	/* mbedTLS's spelling, as get_ciphers() lists them and the stock
	   module returns them; the IANA name if the engine lacks it. */
	if (ussl_mp_engine_suite_name(name) != NULL)
		name = ussl_mp_engine_suite_name(name);
	t[0] = mp_obj_new_str_from_cstr(name ? name : "");
	t[1] = mp_obj_new_str_from_cstr(version ? version : "");
	return mp_obj_new_tuple(2, t);
}
static MP_DEFINE_CONST_FUN_OBJ_1(sock_cipher_obj, sock_cipher);

/* The peer's certificate as DER (binary_form must be true), or None. */
static mp_obj_t sock_getpeercert(size_t n_args, const mp_obj_t *args)
{
	ussl_mp_socket_t *self = MP_OBJ_TO_PTR(args[0]);
	const unsigned char *der;
	size_t len;

	if (n_args > 1 && !mp_obj_is_true(args[1]))
		mp_raise_NotImplementedError(NULL);
	if (self->conn == NULL ||
	    ussl_conn_peer_cert(self->conn, &der, &len) != 0)
		return mp_const_none;
	return mp_obj_new_bytes(der, len);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(sock_getpeercert_obj, 1, 2,
    sock_getpeercert);

#if MICROPY_PY_SSL_FINALISER
/* Collected without close(): free the TLS state only.  No close_notify
   and no call into the stream, which may itself be being collected. */
static mp_obj_t sock_del(mp_obj_t self_in)
{
	drop_conn(MP_OBJ_TO_PTR(self_in), false);
	return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(sock_del_obj, sock_del);
#endif

static const mp_rom_map_elem_t sock_locals_table[] = {
	{ MP_ROM_QSTR(MP_QSTR_read), MP_ROM_PTR(&mp_stream_read_obj) },
	{ MP_ROM_QSTR(MP_QSTR_readinto), MP_ROM_PTR(&mp_stream_readinto_obj) },
	{ MP_ROM_QSTR(MP_QSTR_readline),
	  MP_ROM_PTR(&mp_stream_unbuffered_readline_obj) },
	{ MP_ROM_QSTR(MP_QSTR_write), MP_ROM_PTR(&mp_stream_write_obj) },
	/* Socket-style names, as the stock module (mbedTLS with DTLS, the
	   unix port's configuration) has them: recv(n) returns what one
	   read gives, send() what one write takes, sendall() all of it. */
	{ MP_ROM_QSTR(MP_QSTR_recv), MP_ROM_PTR(&mp_stream_read1_obj) },
	{ MP_ROM_QSTR(MP_QSTR_recv_into),
	  MP_ROM_PTR(&mp_stream_readinto_obj) },
	{ MP_ROM_QSTR(MP_QSTR_send), MP_ROM_PTR(&mp_stream_write1_obj) },
	{ MP_ROM_QSTR(MP_QSTR_sendall), MP_ROM_PTR(&mp_stream_write_obj) },
	{ MP_ROM_QSTR(MP_QSTR_setblocking), MP_ROM_PTR(&sock_setblocking_obj) },
	{ MP_ROM_QSTR(MP_QSTR_close), MP_ROM_PTR(&mp_stream_close_obj) },
	#if MICROPY_PY_SSL_FINALISER
	{ MP_ROM_QSTR(MP_QSTR___del__), MP_ROM_PTR(&sock_del_obj) },
	#endif
	#if MICROPY_UNIX_COVERAGE
	{ MP_ROM_QSTR(MP_QSTR_ioctl), MP_ROM_PTR(&mp_stream_ioctl_obj) },
	#endif
	{ MP_ROM_QSTR(MP_QSTR_getpeercert), MP_ROM_PTR(&sock_getpeercert_obj) },
	{ MP_ROM_QSTR(MP_QSTR_cipher), MP_ROM_PTR(&sock_cipher_obj) },
	#if USSL_MP_ALPN
	{ MP_ROM_QSTR(MP_QSTR_selected_alpn_protocol),
	  MP_ROM_PTR(&ussl_mp_selected_alpn_protocol_obj) },
	#endif
};
static MP_DEFINE_CONST_DICT(sock_locals_dict, sock_locals_table);

/* session and session_reused (sslsession.c) are attributes. */
#if USSL_MP_SESSIONS
MP_DEFINE_CONST_OBJ_TYPE(
	ussl_mp_socket_type,
	MP_QSTR_SSLSocket,
	MP_TYPE_FLAG_NONE,
	protocol, &sock_stream_p,
	attr, ussl_mp_socket_attr,
	locals_dict, &sock_locals_dict
	);
#else
MP_DEFINE_CONST_OBJ_TYPE(
	ussl_mp_socket_type,
	MP_QSTR_SSLSocket,
	MP_TYPE_FLAG_NONE,
	protocol, &sock_stream_p,
	locals_dict, &sock_locals_dict
	);
#endif

/* ---------------------------------------------------------------------- */
/* Creating a socket                                                      */

/* Block until the stream is ready in direction flag (MP_STREAM_POLL_*),
   with select.poll: the port's own way of waiting, never a sleep loop.
   A DTLS retransmission timer bounds the wait (timeout_ms, -1: none). */
static void wait_stream(mp_obj_t sock, mp_uint_t flag, int timeout_ms)
{
	mp_obj_t select, poller, dest[4];

	select = mp_import_name(MP_QSTR_select, mp_const_none,
	    MP_OBJ_NEW_SMALL_INT(0));
	poller = mp_call_function_0(mp_load_attr(select, MP_QSTR_poll));
	mp_load_method(poller, MP_QSTR_register, dest);
	dest[2] = sock;
	dest[3] = MP_OBJ_NEW_SMALL_INT(flag);
	mp_call_method_n_kw(2, 0, dest);
	mp_load_method(poller, MP_QSTR_poll, dest);
	if (timeout_ms >= 0) {
		dest[2] = MP_OBJ_NEW_SMALL_INT(timeout_ms);
		mp_call_method_n_kw(1, 0, dest);
	} else {
		mp_call_method_n_kw(0, 0, dest);
	}
}

/* A socket not handed out failed: free the TLS state now rather than at
   the next collection, then raise the connection's error. */
static MP_NORETURN void fail_new(ussl_mp_socket_t *self)
{
	nlr_buf_t nlr;

	if (nlr_push(&nlr) == 0)
		raise_conn_error(self);
	drop_conn(self, false);
	self->sock = MP_OBJ_NULL;
	nlr_jump(nlr.ret_val);
}

static void handshake_now(ussl_mp_socket_t *self)
{
	long r;

	for (;;) {
		r = conn_call(self, OP_HANDSHAKE, NULL, 0);
		if (r == USSL_OK)
			return;
		if (r != USSL_WANT_READ && r != USSL_WANT_WRITE)
			break;
		wait_stream(self->sock, r == USSL_WANT_READ ?
		    MP_STREAM_POLL_RD : MP_STREAM_POLL_WR,
		    ussl_conn_timeout_ms(self->conn));
	}
	fail_new(self);
}

mp_obj_t ussl_mp_wrap(ussl_ctx *ctx, mp_obj_t context, mp_obj_t sock,
    const char *hostname, bool do_handshake, int style, mp_obj_t session)
{
	ussl_mp_socket_t *self;
	ussl_transport tr;
	ussl_error err;

	mp_get_stream_raise(sock, MP_STREAM_OP_READ | MP_STREAM_OP_WRITE |
	    MP_STREAM_OP_IOCTL);
	#if USSL_MP_SESSIONS
	ussl_mp_session_check_arg(session);
	#else
	(void)session;
	#endif
	#if MICROPY_PY_SSL_FINALISER
	self = mp_obj_malloc_with_finaliser(ussl_mp_socket_t,
	    &ussl_mp_socket_type);
	#else
	self = mp_obj_malloc(ussl_mp_socket_t, &ussl_mp_socket_type);
	#endif
	self->sock = sock;
	self->context = context;
	self->io_exc = MP_OBJ_NULL;
	self->dead_msg = NULL;
	self->dead_code = 0;
	self->poll_mask = 0;
	self->style = style;
	self->role = ussl_ctx_role(ctx);
	self->failed = 0;
	self->eof = 0;
	self->no_ca = 0;
	self->blocked = 0;
	self->dtls = ussl_ctx_dtls(ctx);
	/*
	 * Sockets and contexts that are garbage but not yet finalised may
	 * hold PSA key slots the handshake will need.  If the live ones
	 * already hold too many, refuse now: mbedTLS 3.6 does not fail
	 * cleanly when a handshake runs out of slots (measured: a TLS 1.2
	 * client that ran out got the server's decrypt_error alert instead
	 * of a local error).
	 */
	if (ussl_mp_psa_crowded(live_conns + 1, ussl_mp_live_ctxs)) {
		gc_collect();
		if (ussl_mp_psa_crowded(live_conns + 1, ussl_mp_live_ctxs)) {
			err.code = USSL_E_NOMEM;
			err.sys_errno = 0;
			err.verify = 0;
			err.alert = -1;
			err.msg = "no free PSA key slots (USSL_PSA_KEY_SLOTS)";
			self->sock = MP_OBJ_NULL;
			ussl_mp_raise(&err, style, self->role);
		}
	}
	self->conn = ussl_conn_new(ctx, hostname, &err);
	if (self->conn == NULL && err.code == USSL_E_NOMEM) {
		/* Collected sockets not yet finalised may hold memory. */
		gc_collect();
		self->conn = ussl_conn_new(ctx, hostname, &err);
	}
	if (self->conn != NULL)
		live_conns++;
	/*
	 * A verifying end without trusted CAs: the one configuration error
	 * of a client that verifies (a server's other one is having no
	 * certificate, which comes with its own message).
	 */
	if (self->conn == NULL && err.code == USSL_E_CONFIG &&
	    ussl_ctx_verify(ctx) != USSL_VERIFY_NONE &&
	    (self->role == USSL_CLIENT || strstr(err.msg, "CA") != NULL))
		self->no_ca = 1;
	if (self->conn == NULL) {
		/* The stock module fails only at the handshake, so in its
		   style an unusable configuration (a server without a
		   certificate) still gives a socket, which raises at its
		   first use (err.msg is static text). */
		if (do_handshake || style != USSL_MP_COMPAT ||
		    err.code != USSL_E_CONFIG) {
			self->sock = MP_OBJ_NULL;
			if (self->no_ca)
				ussl_mp_raise_no_ca(&err, style, self->role);
			ussl_mp_raise(&err, style, self->role);
		}
		self->dead_code = err.code;
		self->dead_msg = err.msg;
		return MP_OBJ_FROM_PTR(self);
	}
	tr.arg = ussl_mp_hide(self);
	tr.send = tr_send;
	tr.recv = tr_recv;
	ussl_conn_set_transport(self->conn, &tr);
	#if USSL_MP_SESSIONS
	/* A session given, or the context's cache.  A session the core
	   refuses (damaged, or offered by a server) is a ValueError with
	   its message, in both modules (the stock module has none). */
	if (ussl_mp_session_offer(self->conn, session, hostname,
	    context != MP_OBJ_NULL) != USSL_OK) {
		self->style = USSL_MP_NATIVE;
		fail_new(self);
	}
	#endif
	if (do_handshake)
		handshake_now(self);
	return MP_OBJ_FROM_PTR(self);
}

#if USSL_MP_DTLS
void ussl_mp_dtls_server_start(mp_obj_t sock, mp_obj_t client_id,
    bool do_handshake)
{
	ussl_mp_socket_t *self = MP_OBJ_TO_PTR(sock);
	mp_buffer_info_t id;

	if (client_id == mp_const_none ||
	    !mp_get_buffer(client_id, &id, MP_BUFFER_READ) ||
	    (self->conn != NULL &&
	    ussl_conn_set_client_id(self->conn, id.buf, id.len) != USSL_OK)) {
		drop_conn(self, false);
		self->sock = MP_OBJ_NULL;
		/* As the stock module: mbedTLS's "bad input data". */
		mp_obj_t args[2] = {
			MP_OBJ_NEW_SMALL_INT(-0x7100), mp_obj_new_str_from_cstr(
			"DTLS server needs client_id (bytes)")
		};
		nlr_raise(mp_obj_exception_make_new(&mp_type_OSError, 2, 0,
		    args));
	}
	if (do_handshake && self->conn != NULL)
		handshake_now(self);
}
#endif /* USSL_MP_DTLS */
