/*
 * sslsession.c - client session resumption and ALPN of both modules:
 * tls.SSLSession (saved session data, kept as bytes in flash or RTC
 * memory and made into a session again), the session, session_reused
 * and selected_alpn_protocol() of SSLSocket, and the context's automatic
 * session cache.  What a session may resume is the core's business: it
 * offers saved data only under the name and policy that verified the
 * peer (else the handshake is a full, verified one) and refuses damaged
 * data; this file moves the bytes.
 */
#include <string.h>

#include "py/runtime.h"
#include "py/mperrno.h"

#include "ussl_mp.h"

/* Sessions (USSL_MP_SESSIONS) and ALPN (USSL_MP_ALPN) are each a build
   option (micropython.mk); this file is compiled when either is on. */
#if USSL_MP_SESSIONS

/* ---------------------------------------------------------------------- */
/* SSLSession                                                             */

/*
 * The data holds the session's secret: it lives in a buffer of its own,
 * wiped when the object is finalised (ports with MICROPY_PY_SSL_FINALISER)
 * rather than left in freed heap.
 */
typedef struct _ussl_mp_session_t {
	mp_obj_base_t base;
	unsigned char *data;
	size_t len;
} ussl_mp_session_t;

static mp_obj_t session_new(const unsigned char *data, size_t len)
{
	ussl_mp_session_t *self;

	#if MICROPY_PY_SSL_FINALISER
	self = mp_obj_malloc_with_finaliser(ussl_mp_session_t,
	    &ussl_mp_session_type);
	#else
	self = mp_obj_malloc(ussl_mp_session_t, &ussl_mp_session_type);
	#endif
	self->len = 0;
	self->data = m_new(unsigned char, len);
	memcpy(self->data, data, len);
	self->len = len;
	return MP_OBJ_FROM_PTR(self);
}

/*
 * SSLSession(data): session data saved earlier (bytes(session)).  Its
 * structure is checked when it is offered (wrap_socket(session=...)),
 * by the core: damaged data raises ValueError there.
 */
static mp_obj_t session_make_new(const mp_obj_type_t *type, size_t n_args,
    size_t n_kw, const mp_obj_t *args)
{
	mp_buffer_info_t b;

	(void)type;
	mp_arg_check_num(n_args, n_kw, 1, 1, false);
	mp_get_buffer_raise(args[0], &b, MP_BUFFER_READ);
	if (b.len == 0)
		mp_raise_ValueError(MP_ERROR_TEXT("no session data"));
	return session_new(b.buf, b.len);
}

static mp_obj_t session_serialize(mp_obj_t self_in)
{
	ussl_mp_session_t *self = MP_OBJ_TO_PTR(self_in);

	return mp_obj_new_bytes(self->data, self->len);
}
static MP_DEFINE_CONST_FUN_OBJ_1(session_serialize_obj, session_serialize);

/* bytes(session), and any reader of the buffer protocol. */
static mp_int_t session_get_buffer(mp_obj_t self_in, mp_buffer_info_t *b,
    mp_uint_t flags)
{
	ussl_mp_session_t *self = MP_OBJ_TO_PTR(self_in);

	if (flags & MP_BUFFER_WRITE)
		return 1;
	b->buf = self->data;
	b->len = self->len;
	b->typecode = 'B';
	return 0;
}

#if MICROPY_PY_SSL_FINALISER
static mp_obj_t session_del(mp_obj_t self_in)
{
	ussl_mp_session_t *self = MP_OBJ_TO_PTR(self_in);

	if (self->data != NULL)
		memset(self->data, 0, self->len);
	return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(session_del_obj, session_del);
#endif

static const mp_rom_map_elem_t session_locals_table[] = {
	#if MICROPY_PY_SSL_FINALISER
	{ MP_ROM_QSTR(MP_QSTR___del__), MP_ROM_PTR(&session_del_obj) },
	#endif
	{ MP_ROM_QSTR(MP_QSTR_serialize), MP_ROM_PTR(&session_serialize_obj) },
};
static MP_DEFINE_CONST_DICT(session_locals_dict, session_locals_table);

MP_DEFINE_CONST_OBJ_TYPE(
	ussl_mp_session_type,
	MP_QSTR_SSLSession,
	MP_TYPE_FLAG_NONE,
	make_new, session_make_new,
	buffer, session_get_buffer,
	locals_dict, &session_locals_dict
	);

/* ---------------------------------------------------------------------- */
/* Offering a session                                                     */

void ussl_mp_session_check_arg(mp_obj_t session)
{
	if (session != MP_OBJ_NULL && session != mp_const_none &&
	    !mp_obj_is_type(session, &ussl_mp_session_type))
		mp_raise_TypeError(MP_ERROR_TEXT("session must be an SSLSession"));
}

int ussl_mp_session_offer(ussl_conn *conn, mp_obj_t session,
    const char *hostname, bool cache)
{
	ussl_mp_session_t *s;

	if (session != MP_OBJ_NULL && session != mp_const_none) {
		s = MP_OBJ_TO_PTR(session);
		return ussl_conn_set_session(conn, s->data, s->len);
	}
	/* The context's cache, keyed by the name only: a MicroPython stream
	   need not know its peer's port.  The core offers an entry only
	   under the name and policy that verified it. */
	if (cache && hostname != NULL && *hostname != '\0' &&
	    ussl_conn_set_cache_key(conn, hostname, 0) != USSL_OK &&
	    ussl_conn_error(conn)->code == USSL_E_NOMEM)
		return USSL_ERROR;
	return USSL_OK;
}

/* ---------------------------------------------------------------------- */
/* SSLSocket attributes                                                   */

/* The session to save, or None (a server, no handshake yet, or a
   TLS 1.3 ticket not read yet). */
static mp_obj_t sock_session(ussl_mp_socket_t *self)
{
	size_t len = 0;
	unsigned char *buf;
	mp_obj_t o;

	if (self->conn == NULL)
		return mp_const_none;
	(void)ussl_conn_get_session(self->conn, NULL, &len);
	if (len == 0)
		return mp_const_none;
	buf = m_new(unsigned char, len);
	if (ussl_conn_get_session(self->conn, buf, &len) != 0) {
		m_del(unsigned char, buf, len);
		return mp_const_none;
	}
	o = session_new(buf, len);
	memset(buf, 0, len);
	m_del(unsigned char, buf, len);
	return o;
}

void ussl_mp_socket_attr(mp_obj_t self_in, qstr attr, mp_obj_t *dest)
{
	ussl_mp_socket_t *self = MP_OBJ_TO_PTR(self_in);

	if (dest[0] == MP_OBJ_NULL) {
		if (attr == MP_QSTR_session)
			dest[0] = sock_session(self);
		else if (attr == MP_QSTR_session_reused)
			dest[0] = mp_obj_new_bool(self->conn != NULL &&
			    ussl_handshake_done(self->conn) &&
			    ussl_conn_session_reused(self->conn));
		else
			dest[1] = MP_OBJ_SENTINEL;   /* go on to locals */
		return;
	}
	if (attr != MP_QSTR_session || dest[1] == MP_OBJ_NULL)
		return;
	/* sock.session = s before the handshake (do_handshake_on_connect=
	   False): as wrap_socket(session=s). */
	ussl_mp_session_check_arg(dest[1]);
	if (self->conn == NULL)
		mp_raise_OSError(MP_EBADF);
	if (dest[1] == mp_const_none)
		mp_raise_ValueError(MP_ERROR_TEXT("no session"));
	if (ussl_mp_session_offer(self->conn, dest[1], NULL, false) !=
	    USSL_OK)
		ussl_mp_raise(ussl_conn_error(self->conn), USSL_MP_NATIVE,
		    self->role);
	dest[0] = MP_OBJ_NULL;
}

#endif /* USSL_MP_SESSIONS */
#if USSL_MP_ALPN

/* The protocol the handshake agreed on (str), or None. */
static mp_obj_t sock_selected_alpn_protocol(mp_obj_t self_in)
{
	ussl_mp_socket_t *self = MP_OBJ_TO_PTR(self_in);
	const char *p;

	if (self->conn == NULL || !ussl_handshake_done(self->conn) ||
	    (p = ussl_conn_alpn(self->conn)) == NULL)
		return mp_const_none;
	return mp_obj_new_str_from_cstr(p);
}
MP_DEFINE_CONST_FUN_OBJ_1(ussl_mp_selected_alpn_protocol_obj,
    sock_selected_alpn_protocol);

/* ---------------------------------------------------------------------- */
/* SSLContext: ALPN and the session cache                                 */

struct alpn_arg {
	const char **names;
	size_t n;
};

static void set_alpn(ussl_ctx *ctx, void *arg)
{
	struct alpn_arg *a = arg;

	if (ussl_ctx_set_alpn(ctx, a->names, a->n) != USSL_OK)
		ussl_mp_raise_ctx(ctx, USSL_MP_NATIVE);
}

/*
 * set_alpn_protocols(list of str), in preference order; [] turns ALPN
 * off.  As CPython: a name that is not a str is a TypeError, an empty or
 * too long one (1 to 255 bytes) an error that changes nothing; too many
 * names (the core's limit) too.
 */
static mp_obj_t ctx_set_alpn_protocols(mp_obj_t self_in, mp_obj_t protos)
{
	struct alpn_arg a;
	mp_obj_t *items;
	size_t i, n;

	if (mp_obj_is_str_or_bytes(protos))
		mp_raise_TypeError(MP_ERROR_TEXT(
		    "ALPN protocols must be a list of str"));
	mp_obj_get_array(protos, &n, &items);
	/* On the GC heap: freed by the collector if a name raises. */
	a.names = m_new(const char *, n + 1);
	a.n = n;
	for (i = 0; i < n; i++) {
		if (!mp_obj_is_str(items[i]))
			mp_raise_TypeError(MP_ERROR_TEXT(
			    "ALPN protocols must be a list of str"));
		a.names[i] = mp_obj_str_get_str(items[i]);
	}
	ussl_mp_ctx_change(self_in, set_alpn, &a);
	m_del(const char *, a.names, n + 1);
	return mp_const_none;
}
MP_DEFINE_CONST_FUN_OBJ_2(ussl_mp_set_alpn_protocols_obj,
    ctx_set_alpn_protocols);

#endif /* USSL_MP_ALPN */
#if USSL_MP_SESSIONS

/*
 * session_stats(): the client session cache, as the CPython binding
 * reports it: {'number': entries, 'hits': ..., 'misses': ...} and the
 * bound ('max') the port configured (USSL_MP_SESSION_CACHE).
 */
static mp_obj_t ctx_session_stats(mp_obj_t self_in)
{
	ussl_mp_context_t *self = MP_OBJ_TO_PTR(self_in);
	ussl_session_stats st;
	mp_obj_t d;

	if (self->ctx == NULL)
		mp_raise_OSError(MP_EBADF);
	ussl_ctx_session_stats(self->ctx, &st);
	d = mp_obj_new_dict(4);
	mp_obj_dict_store(d, MP_OBJ_NEW_QSTR(MP_QSTR_number),
	    mp_obj_new_int_from_uint(st.entries));
	mp_obj_dict_store(d, MP_OBJ_NEW_QSTR(MP_QSTR_hits),
	    mp_obj_new_int_from_ull(st.hits));
	mp_obj_dict_store(d, MP_OBJ_NEW_QSTR(MP_QSTR_misses),
	    mp_obj_new_int_from_ull(st.misses));
	mp_obj_dict_store(d, MP_OBJ_NEW_QSTR(MP_QSTR_max),
	    mp_obj_new_int_from_uint(st.max_entries));
	return d;
}
MP_DEFINE_CONST_FUN_OBJ_1(ussl_mp_session_stats_obj, ctx_session_stats);

void ussl_mp_session_cache_init(ussl_ctx *ctx)
{
	if (ussl_ctx_role(ctx) == USSL_CLIENT)
		(void)ussl_ctx_set_session_cache(ctx, USSL_MP_SESSION_CACHE);
}

#endif /* USSL_MP_SESSIONS */
