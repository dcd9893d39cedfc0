/*
 * session_leaf.c - the policy run again on the leaf certificate saved
 * with a session, before the session is offered: the leaf's rules
 * (host name, the role's key usage, profile) through ussl_verify_leaf(),
 * exactly as for a peer in a handshake, and its validity period at the
 * current time.  A session resumes without any certificate: this is what
 * keeps an expired or otherwise no longer acceptable leaf from passing
 * that way.  Anything that cannot be read means "do not offer", never a
 * guess.
 */
#include <string.h>

#include "der.h"
#include "session.h"

/* "YYMMDDHHMMSSZ" (UTCTime) or "YYYYMMDDHHMMSSZ" (GeneralizedTime). */
static int der_time(unsigned tag, ussl_span t, int64_t *out)
{
	int f[7], i, n, year;
	const unsigned char *p = t.p;

	n = tag == DER_UTCTIME ? 6 : tag == DER_GENTIME ? 7 : 0;
	if (n == 0 || t.len != (size_t)n * 2 + 1 || p[t.len - 1] != 'Z')
		return -1;
	for (i = 0; i < n; i++) {
		if (p[2 * i] < '0' || p[2 * i] > '9' ||
		    p[2 * i + 1] < '0' || p[2 * i + 1] > '9')
			return -1;
		f[i] = (p[2 * i] - '0') * 10 + (p[2 * i + 1] - '0');
	}
	if (n == 6) {
		year = f[0] < 50 ? 2000 + f[0] : 1900 + f[0];
		i = 1;
	} else {
		year = f[0] * 100 + f[1];
		i = 2;
	}
	if (f[i] < 1 || f[i] > 12 || f[i + 1] < 1 || f[i + 1] > 31 ||
	    f[i + 2] > 23 || f[i + 3] > 59 || f[i + 4] > 60)
		return -1;
	*out = ussl_epoch(year, f[i], f[i + 1], f[i + 2], f[i + 3], f[i + 4]);
	return 0;
}

/* The validity period of a DER certificate, in seconds since 1970. */
static int read_validity(const unsigned char *der, size_t len, int64_t *nb,
    int64_t *na)
{
	ussl_span in = { der, len }, cert, tbs, val, validity, t;
	unsigned tag;

	if (ussl_der_want(&in, DER_SEQ, &cert) != 0 || in.len != 0 ||
	    ussl_der_want(&cert, DER_SEQ, &tbs) != 0)
		return -1;
	if (ussl_der_next_is(&tbs, DER_CTXC(0)) &&
	    ussl_der_take(&tbs, &tag, &val) != 0)
		return -1;
	if (ussl_der_want(&tbs, DER_INTEGER, &val) != 0 ||   /* serial */
	    ussl_der_want(&tbs, DER_SEQ, &val) != 0 ||       /* algorithm */
	    ussl_der_want(&tbs, DER_SEQ, &val) != 0 ||       /* issuer */
	    ussl_der_want(&tbs, DER_SEQ, &validity) != 0 ||
	    ussl_der_take(&validity, &tag, &t) != 0 ||
	    der_time(tag, t, nb) != 0 ||
	    ussl_der_take(&validity, &tag, &t) != 0 ||
	    der_time(tag, t, na) != 0 || validity.len != 0)
		return -1;
	return 0;
}

unsigned ussl_sess_leaf_check(const ussl_conn *conn,
    const unsigned char *der, size_t len)
{
	ussl_chain chain;
	ussl_vstate vs;
	unsigned flags = 0;
	int64_t now, nb, na;

	if (der == NULL || len == 0 || read_validity(der, len, &nb, &na) != 0)
		return USSL_VFY_OTHER;
	/* The leaf alone: the chain's rules were judged when the session
	   was made, under the same policy (the session's binding says so). */
	memset(&chain, 0, sizeof(chain));
	chain.n = 1;
	chain.der[0] = der;
	chain.len[0] = len;
	memset(&vs, 0, sizeof(vs));
	vs.ctx = conn->ctx;
	vs.role = conn->role;
	vs.name = conn->role == USSL_CLIENT ? &conn->name : NULL;
	vs.flags = &flags;
	flags |= ussl_verify_leaf(&vs, &chain);
	if ((now = eng_time_now()) != 0) {
		if (now < nb)
			flags |= USSL_VFY_NOT_YET_VALID;
		if (now > na)
			flags |= USSL_VFY_EXPIRED;
	}
	return flags;
}
