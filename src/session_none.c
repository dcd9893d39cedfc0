/*
 * session_none.c - the core's session hooks in a build without session
 * resumption (USSL_NO_SESSIONS, MicroPython's USSL_SESSIONS=0), compiled
 * instead of session.c, session_cache.c and session_leaf.c.  Such a
 * build never offers a session (the API that would is absent) and issues
 * no tickets, so no handshake resumes; should one ever claim to, the
 * peer counts as unverified.
 */
#include "engine.h"

#if !defined(USSL_NO_SESSIONS)
#error "session_none.c is for builds with USSL_NO_SESSIONS"
#endif

void ussl_sess_handshake_done(ussl_conn *conn)
{
	if (conn->role == USSL_CLIENT && eng_conn_session_reused(conn))
		conn->peer_verified = 0;
}

void ussl_sess_conn_end(ussl_conn *conn)
{
	(void)conn;
}

void ussl_sess_conn_free(ussl_conn *conn)
{
	(void)conn;
}

void ussl_sess_ctx_free(ussl_ctx *ctx)
{
	(void)ctx;
}
