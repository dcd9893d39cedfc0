/*
 * test_tickets.c - a server's session ticket keys rotate: the key that
 * encrypts tickets is replaced once it is a lifetime old, a ticket under
 * the previous key still resumes (and gets a ticket under the new key),
 * and a ticket older than its lifetime does not resume although its key
 * is still known (the handshake is then a full one): a ticket is good
 * for one lifetime after it was issued, a key for two.  TLS 1.2, where
 * the server's NewSessionTicket travels before ChangeCipherSpec, so the
 * key that made a ticket is read from the wire: its first bytes name it
 * (4 random bytes on mbedTLS, 16 on OpenSSL).  Real time, lifetime 4 s:
 * about ten seconds.
 */
#define _POSIX_C_SOURCE 200809L
#include <string.h>
#include <time.h>

#include "testutil.h"

#define LIFETIME 4
#define NAME_LEN 4

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec t;

	if (s <= 0)
		return;
	t.tv_sec = (time_t)s;
	t.tv_nsec = (long)((s - (double)t.tv_sec) * 1e9);
	nanosleep(&t, NULL);
}

/*
 * The name of the key of the ticket in the server's cleartext flight
 * (TLS 1.2 handshake records before its ChangeCipherSpec): 0 with
 * name[] filled, -1 if the server sent no ticket.
 */
static int ticket_key_name(const mt_pipe *log, unsigned char name[NAME_LEN])
{
	const unsigned char *p = log->buf, *end = log->buf + log->len;
	const unsigned char *m, *mend;
	size_t rlen, mlen, tlen;

	while (end - p >= 5) {
		rlen = (size_t)p[3] << 8 | p[4];
		if ((size_t)(end - p) < 5 + rlen || p[0] == 20)
			return -1;      /* ChangeCipherSpec: encrypted after */
		if (p[0] == 22) {
			m = p + 5;
			mend = m + rlen;
			while (mend - m >= 4) {
				mlen = (size_t)m[1] << 16 | (size_t)m[2] << 8 |
				    m[3];
				if ((size_t)(mend - m) < 4 + mlen)
					break;
				/* new_session_ticket: lifetime hint (4),
				   ticket length (2), ticket */
				if (m[0] == 4 && mlen >= 6 + NAME_LEN) {
					tlen = (size_t)m[8] << 8 | m[9];
					if (tlen < NAME_LEN)
						return -1;
					memcpy(name, m + 10, NAME_LEN);
					return 0;
				}
				m += 4 + mlen;
			}
		}
		p += 5 + rlen;
	}
	return -1;
}

typedef struct res {
	int ok, reused, has_ticket;
	unsigned char key[NAME_LEN];    /* of the ticket the server sent */
	unsigned char *sess;            /* the client's session data */
	size_t slen;
} res;

/* One connection, offering sess if not NULL. */
static res run(ussl_ctx *sc, ussl_ctx *cc, const unsigned char *sess,
    size_t slen)
{
	ussl_conn *s, *c;
	ussl_error err;
	tu_link l;
	res r;

	memset(&r, 0, sizeof(r));
	tu_link_init(&l, 0);
	l.logging = 1;
	s = ussl_conn_new(sc, NULL, &err);
	c = ussl_conn_new(cc, NULL, &err);
	if (s == NULL || c == NULL) {
		fprintf(stderr, "conn_new: %s\n", err.msg);
		exit(2);
	}
	tu_attach(s, &l, 0);
	tu_attach(c, &l, 1);
	if (sess != NULL)
		CHECK(ussl_conn_set_session(c, sess, slen) == USSL_OK);
	r.ok = tu_handshake_pair(c, s) == 0;
	if (r.ok) {
		r.reused = ussl_conn_session_reused(c);
		r.has_ticket = ticket_key_name(&l.log_s2c, r.key) == 0;
		r.slen = 0;
		(void)ussl_conn_get_session(c, NULL, &r.slen);
		if (r.slen > 0 && (r.sess = malloc(r.slen)) != NULL &&
		    ussl_conn_get_session(c, r.sess, &r.slen) != 0) {
			free(r.sess);
			r.sess = NULL;
		}
	}
	ussl_conn_free(c);
	ussl_conn_free(s);
	tu_link_free(&l);
	return r;
}

static void test_rotation(void)
{
	ussl_ctx *sc = tu_server_ctx("server-ec-chain.pem", "server-ec.key",
	    USSL_VERIFY_NONE);
	ussl_ctx *cc = tu_client_ctx(NULL, USSL_VERIFY_NONE);
	res first, last, cur, r;
	double t0, t_last, t_rot, t;

	CHECK(ussl_ctx_set_versions(sc, USSL_TLS1_2, USSL_TLS1_2) == USSL_OK);
	CHECK(ussl_ctx_set_versions(cc, USSL_TLS1_2, USSL_TLS1_2) == USSL_OK);
	CHECK(ussl_ctx_set_tickets(sc, LIFETIME) == USSL_OK);

	t0 = now();
	first = run(sc, cc, NULL, 0);
	CHECK(first.ok && !first.reused && first.has_ticket &&
	    first.sess != NULL);
	if (!first.ok || !first.has_ticket || first.sess == NULL)
		goto out0;
	/* Right away: the ticket resumes. */
	r = run(sc, cc, first.sess, first.slen);
	CHECK(r.ok && r.reused);
	free(r.sess);

	/* New tickets every 100 ms until the key changes: that must happen
	   once the key is a lifetime old (whole seconds on mbedTLS).  last:
	   the last ticket under the old key, t_last when its handshake
	   began. */
	memset(&last, 0, sizeof(last));
	last.has_ticket = 1;
	memcpy(last.key, first.key, NAME_LEN);
	t_last = t0;
	for (;;) {
		sleep_s(0.1);
		t = now();
		cur = run(sc, cc, NULL, 0);
		CHECK(cur.ok && cur.has_ticket);
		if (!cur.ok || !cur.has_ticket ||
		    memcmp(cur.key, last.key, NAME_LEN) != 0 ||
		    now() - t0 > 4 * LIFETIME + 10)
			break;
		free(last.sess);
		last = cur;
		t_last = t;
	}
	t_rot = now();
	CHECK(memcmp(cur.key, last.key, NAME_LEN) != 0);
	CHECK(t_rot - t0 >= LIFETIME - 1);
	fprintf(stderr, "  key rotated after %.1f s (lifetime %d s)\n",
	    t_rot - t0, LIFETIME);

	/* The last ticket under the old key: it resumes while younger than
	   its lifetime (checked when it is, with a second's margin for
	   engines counting whole seconds).  A ticket the server hands out
	   then (OpenSSL renews one under the previous key; mbedTLS keeps a
	   valid ticket) is under the new key. */
	if (last.sess != NULL) {
		r = run(sc, cc, last.sess, last.slen);
		CHECK(r.ok);
		if (now() - t_last < LIFETIME - 1)
			CHECK(r.reused);
		else
			fprintf(stderr, "  (machine too slow to check that the "
			    "previous key is accepted: %.1f s)\n",
			    now() - t_last);
		CHECK(!r.has_ticket || memcmp(r.key, cur.key, NAME_LEN) == 0);
		free(r.sess);
	}

	/* A ticket under the new key, once older than its lifetime (whole
	   seconds on some engines: a margin of 1.2 s), its key still the
	   current or previous one if the machine is quick: no resumption,
	   and a full handshake that succeeds. */
	sleep_s(LIFETIME + 1.2 - (now() - t_rot));
	r = run(sc, cc, cur.sess, cur.slen);
	CHECK(r.ok && !r.reused);
	free(r.sess);
	/* The first ticket, under a key long gone: full handshake. */
	r = run(sc, cc, first.sess, first.slen);
	CHECK(r.ok && !r.reused);
	free(r.sess);

	free(cur.sess);
	free(last.sess);
out0:
	free(first.sess);
	ussl_ctx_free(cc);
	ussl_ctx_free(sc);
}

/* Tickets off: the server sends none, and a session of a server that
   had them does not resume. */
static void test_off(void)
{
	ussl_ctx *sc = tu_server_ctx("server-ec-chain.pem", "server-ec.key",
	    USSL_VERIFY_NONE);
	ussl_ctx *sc2 = ussl_ctx_dup(sc);
	ussl_ctx *cc = tu_client_ctx(NULL, USSL_VERIFY_NONE);
	res a, b;

	CHECK(sc2 != NULL);
	CHECK(ussl_ctx_set_versions(sc, USSL_TLS1_2, USSL_TLS1_2) == USSL_OK);
	CHECK(ussl_ctx_set_versions(sc2, USSL_TLS1_2, USSL_TLS1_2) ==
	    USSL_OK);
	CHECK(ussl_ctx_set_versions(cc, USSL_TLS1_2, USSL_TLS1_2) == USSL_OK);
	CHECK(ussl_ctx_set_tickets(sc2, 0) == USSL_OK);
	a = run(sc, cc, NULL, 0);
	CHECK(a.ok && a.has_ticket && a.sess != NULL);
	b = run(sc2, cc, a.sess, a.slen);
	CHECK(b.ok && !b.reused && !b.has_ticket);
	free(a.sess);
	free(b.sess);
	/* A copy has ticket keys of its own: another server's tickets do
	   not resume there. */
	sc2 = (ussl_ctx_free(sc2), ussl_ctx_dup(sc));
	CHECK(sc2 != NULL);
	a = run(sc, cc, NULL, 0);
	b = run(sc2, cc, a.sess, a.slen);
	CHECK(a.ok && b.ok && !b.reused);
	CHECK(a.has_ticket && b.has_ticket &&
	    memcmp(a.key, b.key, NAME_LEN) != 0);
	free(a.sess);
	free(b.sess);
	ussl_ctx_free(sc2);
	ussl_ctx_free(sc);
	ussl_ctx_free(cc);
}

/* A copy keeps the bound of the client session cache. */
static void test_dup_cache_bound(void)
{
	ussl_ctx *cc = tu_client_ctx(NULL, USSL_VERIFY_NONE), *c2, *c3;
	ussl_session_stats st;

	CHECK(ussl_ctx_set_session_cache(cc, 3) == USSL_OK);
	c2 = ussl_ctx_dup(cc);
	CHECK(c2 != NULL);
	ussl_ctx_session_stats(c2, &st);
	CHECK(st.max_entries == 3 && st.entries == 0);
	CHECK(ussl_ctx_set_session_cache(c2, 0) == USSL_OK);
	c3 = ussl_ctx_dup(c2);
	CHECK(c3 != NULL);
	ussl_ctx_session_stats(c3, &st);
	CHECK(st.max_entries == 0);
	ussl_ctx_free(c3);
	ussl_ctx_free(c2);
	ussl_ctx_free(cc);
}

int main(void)
{
	test_dup_cache_bound();
	test_off();
	test_rotation();
	return tu_report("test_tickets");
}
