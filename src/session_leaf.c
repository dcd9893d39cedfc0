/*
 * session_leaf.c - the policy run again on the leaf certificate saved
 * with a session, before the session is offered: the host name and the
 * role's extendedKeyUsage (through ussl_verify_leaf(), as for a peer in
 * a handshake) and the validity period at the current time.  A session
 * resumes without any certificate: this is what keeps an expired or
 * otherwise no longer acceptable leaf from passing that way.  The reader
 * is deliberately small: anything it cannot follow means "do not offer",
 * never a guess.
 */
#include <string.h>

#include "session.h"

typedef struct span {
	const unsigned char *p;
	size_t len;
} span;

/* Take the next element off *in (definite lengths, at most 4 bytes). */
static int take(span *in, unsigned *tag, span *val)
{
	size_t len, i, n;

	if (in->len < 2)
		return -1;
	*tag = in->p[0];
	len = in->p[1];
	i = 2;
	if ((*tag & 0x1f) == 0x1f)
		return -1;
	if (len & 0x80) {
		n = len & 0x7f;
		if (n == 0 || n > 4 || in->len < 2 + n)
			return -1;
		for (len = 0; i < 2 + n; i++)
			len = len << 8 | in->p[i];
	}
	if (len > in->len - i)
		return -1;
	val->p = in->p + i;
	val->len = len;
	in->p += i + len;
	in->len -= i + len;
	return 0;
}

static int want(span *in, unsigned tag, span *val)
{
	unsigned t;

	return take(in, &t, val) == 0 && t == tag ? 0 : -1;
}

static int is(span s, const unsigned char *b, size_t n)
{
	return s.len == n && memcmp(s.p, b, n) == 0;
}

static const unsigned char OID_CN[] = { 0x55, 0x04, 0x03 };
static const unsigned char OID_SAN[] = { 0x55, 0x1d, 0x11 };
static const unsigned char OID_EKU[] = { 0x55, 0x1d, 0x25 };
static const unsigned char OID_EKU_ANY[] = { 0x55, 0x1d, 0x25, 0x00 };
static const unsigned char OID_SERVER[] = { 0x2b, 0x06, 0x01, 0x05, 0x05,
    0x07, 0x03, 0x01 };
static const unsigned char OID_CLIENT[] = { 0x2b, 0x06, 0x01, 0x05, 0x05,
    0x07, 0x03, 0x02 };

struct leaf {
	span not_before, not_after;
	unsigned nb_tag, na_tag;
	span san;                /* contents of the SAN's GeneralNames */
	ussl_leaf_view v;
};

/* "YYMMDDHHMMSSZ" (UTCTime) or "YYYYMMDDHHMMSSZ" (GeneralizedTime). */
static int der_time(unsigned tag, span t, int64_t *out)
{
	int f[7], i, n, year;
	const unsigned char *p = t.p;

	n = tag == 0x17 ? 6 : tag == 0x18 ? 7 : 0;
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

static int next_san(const void *cert, const void **it, int *type,
    const unsigned char **p, size_t *len)
{
	const struct leaf *l = cert;
	span in, val;
	unsigned tag;

	in.p = *it != NULL ? *it : l->san.p;
	in.len = l->san.len - (size_t)(in.p - l->san.p);
	while (in.len > 0) {
		if (take(&in, &tag, &val) != 0)
			return 0;
		*it = in.p;
		if (tag == 0x82 || tag == 0x87) {
			*type = tag == 0x82 ? USSL_SAN_DNS : USSL_SAN_IP;
			*p = val.p;
			*len = val.len;
			return 1;
		}
	}
	return 0;
}

static int read_name_cn(struct leaf *l, span name)
{
	span rdn, atv, oid, val;
	unsigned tag;

	while (name.len > 0) {
		if (want(&name, 0x31, &rdn) != 0)
			return -1;
		while (rdn.len > 0) {
			if (want(&rdn, 0x30, &atv) != 0 ||
			    want(&atv, 0x06, &oid) != 0 ||
			    take(&atv, &tag, &val) != 0)
				return -1;
			if (is(oid, OID_CN, sizeof(OID_CN))) {
				l->v.cn = val.p;
				l->v.cn_len = val.len;
			}
		}
	}
	return 0;
}

static int read_eku(struct leaf *l, span v)
{
	span seq, oid;

	if (want(&v, 0x30, &seq) != 0 || v.len != 0)
		return -1;
	l->v.has_eku = 1;
	while (seq.len > 0) {
		if (want(&seq, 0x06, &oid) != 0)
			return -1;
		if (is(oid, OID_SERVER, sizeof(OID_SERVER)))
			l->v.eku_server = 1;
		else if (is(oid, OID_CLIENT, sizeof(OID_CLIENT)))
			l->v.eku_client = 1;
		else if (is(oid, OID_EKU_ANY, sizeof(OID_EKU_ANY)))
			l->v.eku_any = 1;
	}
	return 0;
}

static int read_extensions(struct leaf *l, span exts)
{
	span list, ext, oid, val;
	unsigned tag;

	if (want(&exts, 0x30, &list) != 0 || exts.len != 0)
		return -1;
	while (list.len > 0) {
		if (want(&list, 0x30, &ext) != 0 ||
		    want(&ext, 0x06, &oid) != 0 ||
		    take(&ext, &tag, &val) != 0)
			return -1;
		if (tag == 0x01 && take(&ext, &tag, &val) != 0)
			return -1;
		if (tag != 0x04 || ext.len != 0)
			return -1;
		if (is(oid, OID_SAN, sizeof(OID_SAN))) {
			if (want(&val, 0x30, &l->san) != 0 || val.len != 0)
				return -1;
			l->v.has_san = 1;
		} else if (is(oid, OID_EKU, sizeof(OID_EKU)) &&
		    read_eku(l, val) != 0) {
			return -1;
		}
	}
	return 0;
}

static int read_leaf(struct leaf *l, const unsigned char *der, size_t len)
{
	span in = { der, len }, cert, tbs, val, validity, subject;
	unsigned tag;

	if (want(&in, 0x30, &cert) != 0 || in.len != 0 ||
	    want(&cert, 0x30, &tbs) != 0)
		return -1;
	if (tbs.len > 0 && tbs.p[0] == 0xa0 && take(&tbs, &tag, &val) != 0)
		return -1;
	if (want(&tbs, 0x02, &val) != 0 ||      /* serial */
	    want(&tbs, 0x30, &val) != 0 ||      /* signature algorithm */
	    want(&tbs, 0x30, &val) != 0 ||      /* issuer */
	    want(&tbs, 0x30, &validity) != 0 ||
	    take(&validity, &l->nb_tag, &l->not_before) != 0 ||
	    take(&validity, &l->na_tag, &l->not_after) != 0 ||
	    validity.len != 0 ||
	    want(&tbs, 0x30, &subject) != 0 ||
	    want(&tbs, 0x30, &val) != 0 ||      /* public key */
	    read_name_cn(l, subject) != 0)
		return -1;
	while (tbs.len > 0) {                   /* unique ids, extensions */
		if (take(&tbs, &tag, &val) != 0)
			return -1;
		if (tag == 0xa3 && read_extensions(l, val) != 0)
			return -1;
	}
	return 0;
}

unsigned ussl_sess_leaf_check(const ussl_conn *conn,
    const unsigned char *der, size_t len)
{
	struct leaf l;
	ussl_vstate vs;
	unsigned flags = 0;
	int64_t now, nb, na;

	memset(&l, 0, sizeof(l));
	if (der == NULL || len == 0 || read_leaf(&l, der, len) != 0 ||
	    der_time(l.nb_tag, l.not_before, &nb) != 0 ||
	    der_time(l.na_tag, l.not_after, &na) != 0)
		return USSL_VFY_OTHER;
	l.v.cert = &l;
	l.v.next_san = next_san;
	l.v.chain = NULL;               /* chain rules: judged when made */
	memset(&vs, 0, sizeof(vs));
	vs.ctx = conn->ctx;
	vs.role = conn->role;
	vs.name = conn->role == USSL_CLIENT ? &conn->name : NULL;
	vs.flags = &flags;
	flags |= ussl_verify_leaf(&vs, &l.v);
	if ((now = eng_time_now()) != 0) {
		if (now < nb)
			flags |= USSL_VFY_NOT_YET_VALID;
		if (now > na)
			flags |= USSL_VFY_EXPIRED;
	}
	return flags;
}
