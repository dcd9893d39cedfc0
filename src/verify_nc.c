/*
 * verify_nc.c - name constraints (RFC 5280 4.2.1.10): whether a CA's
 * nameConstraints are well formed, and every CA's constraints (the trust
 * anchor's too) over every name of the certificates below it: DNS, IP,
 * e-mail and directory names.  What cannot be decided is rejected.
 */
#include <string.h>

#include "verify_int.h"

/* Budget of subtree visits per chain: a quadratic flood of names and
   constraints is rejected rather than evaluated. */
#define NC_BUDGET 262144ul

/* Strip one trailing dot. */
static size_t dns_len(const unsigned char *s, size_t len)
{
	return len > 0 && s[len - 1] == '.' ? len - 1 : len;
}

/* Is name (no wildcard) inside the DNS subtree c: c itself or below it? */
static int dns_within(const unsigned char *n, size_t nl,
    const unsigned char *c, size_t cl)
{
	nl = dns_len(n, nl);
	cl = dns_len(c, cl);
	if (cl == 0)
		return 1;                 /* an empty constraint is every name */
	if (nl < cl || !ussl_same_ci(n + nl - cl, c, cl))
		return 0;
	return nl == cl || n[nl - cl - 1] == '.';
}

/*
 * A dNSName against one DNS subtree.  A wildcard name "*.B" stands for
 * every one-label name under B: it is permitted only when all of them
 * are (B inside the subtree), and excluded when any of them is (B inside
 * the subtree, or the subtree exactly one label below B).  Otherwise a
 * wildcard could reach a name the constraint forbids (CVE-2025-61727).
 */
static int dns_constraint(ussl_span name, ussl_span c, int excluded)
{
	const unsigned char *b;
	size_t bl, cl, i;

	if (name.len < 2 || name.p[0] != '*')
		return dns_within(name.p, name.len, c.p, c.len);
	b = name.p + 2;
	bl = dns_len(b, name.len - 2);
	if (dns_within(b, bl, c.p, c.len))
		return 1;
	if (!excluded)
		return 0;
	cl = dns_len(c.p, c.len);
	if (cl <= bl + 1 || !dns_within(c.p, cl, b, bl))
		return 0;
	for (i = 0; i < cl - bl - 1; i++)
		if (c.p[i] == '.')
			return 0;
	return 1;
}

/* local@domain with printable ASCII, one '@' and a valid domain. */
static int email_valid(ussl_span s, int constraint)
{
	const unsigned char *at = NULL;
	size_t i;

	for (i = 0; i < s.len; i++) {
		if (s.p[i] <= 0x20 || s.p[i] >= 0x7F)
			return 0;
		if (s.p[i] == '@') {
			if (at != NULL)
				return 0;
			at = s.p + i;
		}
	}
	if (at == NULL) {
		/* A constraint may be a host, or a domain with a leading
		   dot for every host below it. */
		if (!constraint)
			return 0;
		if (s.len > 0 && s.p[0] == '.')
			return ussl_dns_valid(s.p + 1, s.len - 1, 0);
		return ussl_dns_valid(s.p, s.len, 0);
	}
	return at > s.p &&
	    ussl_dns_valid(at + 1, (size_t)(s.p + s.len - at - 1), 0);
}

/* rfc822Name against a constraint (RFC 5280 4.2.1.10): a mailbox
   matches exactly (the local part case-sensitively), a host all of its
   mailboxes, ".domain" every host below the domain. */
static int email_constraint(ussl_span name, ussl_span c)
{
	const unsigned char *at = memchr(name.p, '@', name.len);
	const unsigned char *dom = at + 1;
	size_t dl = (size_t)(name.p + name.len - dom), local = (size_t)(at - name.p);

	if (memchr(c.p, '@', c.len) != NULL)
		return c.len == name.len && memcmp(c.p, name.p, local + 1) == 0 &&
		    ussl_same_ci(c.p + local + 1, dom, dl);
	if (c.len > 0 && c.p[0] == '.')
		return dl > c.len - 1 && dns_within(dom, dl, c.p + 1, c.len - 1);
	return dns_len(dom, dl) == dns_len(c.p, c.len) &&
	    ussl_same_ci(dom, c.p, dns_len(c.p, c.len));
}

/* IP constraint: address and mask of the same family, mask contiguous. */
static int ip_constraint_valid(ussl_span c)
{
	size_t i, half = c.len / 2;
	int zero = 0, b;

	if (c.len != 8 && c.len != 32)
		return 0;
	for (i = half; i < c.len; i++) {
		for (b = 7; b >= 0; b--) {
			if (c.p[i] & (1 << b)) {
				if (zero)
					return 0;
			} else {
				zero = 1;
			}
		}
	}
	return 1;
}

static int ip_within(ussl_span ip, ussl_span c)
{
	size_t i;

	if (c.len != 2 * ip.len)
		return 0;                 /* the other address family */
	for (i = 0; i < ip.len; i++)
		if ((ip.p[i] & c.p[ip.len + i]) != (c.p[i] & c.p[ip.len + i]))
			return 0;
	return 1;
}

/* The RDNs of the constraint are the first RDNs of the name. */
static int dn_within(ussl_span name, ussl_span c)
{
	ussl_span a, b;
	unsigned ta, tb;
	const unsigned char *pa, *pb;

	while (c.len > 0) {
		pa = name.p;
		pb = c.p;
		if (ussl_der_take(&c, &tb, &b))
			return -1;
		if (name.len == 0)
			return 0;
		if (ussl_der_take(&name, &ta, &a))
			return -1;
		if ((size_t)(name.p - pa) != (size_t)(c.p - pb) ||
		    memcmp(pa, pb, (size_t)(c.p - pb)) != 0)
			return 0;
	}
	return 1;
}

/* The contents of the Name inside a directoryName ([4] EXPLICIT). */
static int dir_name(ussl_span v, ussl_span *rdns)
{
	return ussl_der_want(&v, DER_SEQ, rdns) == 0 && v.len == 0 ? 0 : -1;
}

/* Is a constraint's base well formed for its form? */
static int nc_base_valid(unsigned tag, ussl_span base)
{
	ussl_span rdns;

	switch (tag) {
	case DER_CTX(GN_DNS):
		return base.len == 0 || ussl_dns_valid(base.p, base.len, 0);
	case DER_CTX(GN_EMAIL):
		return email_valid(base, 1);
	case DER_CTX(GN_IP):
		return ip_constraint_valid(base);
	case DER_CTXC(GN_DIR):
		return dir_name(base, &rdns) == 0;
	case DER_CTXC(0): case DER_CTXC(3): case DER_CTXC(5):    /* otherName, */
	case DER_CTX(6): case DER_CTX(8):       /* x400, edi, URI, registeredID */
		return 1;         /* not evaluated: names of these forms fail */
	default:
		return 0;
	}
}

/*
 * nameConstraints well formed (RFC 5280 4.2.1.10, CA/B BR 7.1.2.5.2):
 * permitted and/or excluded subtrees, each list non-empty, minimum 0
 * and no maximum, every base valid for its form.
 */
int ussl_nc_valid(ussl_span nc)
{
	ussl_span seq, part, sub, base, m;
	unsigned tag, ptag, last = 0;

	if (ussl_der_want(&nc, DER_SEQ, &seq) || nc.len != 0 || seq.len == 0)
		return 0;
	while (seq.len > 0) {
		if (ussl_der_take(&seq, &ptag, &part) || part.len == 0 ||
		    (ptag != DER_CTXC(0) && ptag != DER_CTXC(1)) || ptag <= last)
			return 0;
		last = ptag;
		while (part.len > 0) {
			if (ussl_der_want(&part, DER_SEQ, &sub) ||
			    ussl_der_take(&sub, &tag, &base) ||
			    !nc_base_valid(tag, base))
				return 0;
			if (ussl_der_next_is(&sub, DER_CTX(0)) &&
			    (ussl_der_want(&sub, DER_CTX(0), &m) ||
			    !ussl_span_zero(m)))
				return 0;
			if (sub.len != 0)
				return 0;
		}
	}
	return 1;
}

/*
 * One name of form `form` against one base: 1 inside, 0 outside, -1
 * when it cannot be decided (a malformed name, a form we do not
 * evaluate).  RFC 5280 lets us reject what we cannot process.
 */
static int gn_within(int form, ussl_span name, ussl_span base, int excluded)
{
	ussl_span rdns;

	switch (form) {
	case GN_DNS:
		if (!ussl_dns_valid(name.p, name.len, 1))
			return -1;
		return dns_constraint(name, base, excluded);
	case GN_EMAIL:
		if (!email_valid(name, 0))
			return -1;
		return email_constraint(name, base);
	case GN_IP:
		if (name.len != 4 && name.len != 16)
			return -1;
		return ip_within(name, base);
	case GN_DIR:
		return dir_name(base, &rdns) ? -1 : dn_within(name, rdns);
	default:
		return -1;
	}
}

/* 0 when the name satisfies the constraints nc, -1 when it does not or
   cannot be checked.  Subtrees of other forms do not concern it. */
static int nc_check_name(ussl_span nc, int form, ussl_span name,
    unsigned long *budget)
{
	ussl_span seq, part, sub, base;
	unsigned tag, ptag;
	int has_permitted = 0, permitted = 0, m;

	if (ussl_der_want(&nc, DER_SEQ, &seq))
		return -1;
	while (seq.len > 0) {
		if (ussl_der_take(&seq, &ptag, &part))
			return -1;
		while (part.len > 0) {
			if (*budget == 0)
				return -1;
			(*budget)--;
			if (ussl_der_want(&part, DER_SEQ, &sub) ||
			    ussl_der_take(&sub, &tag, &base))
				return -1;
			if ((int)(tag & 0x1F) != form)
				continue;
			m = gn_within(form, name, base, ptag == DER_CTXC(1));
			if (m < 0 || (m && ptag == DER_CTXC(1)))
				return -1;
			if (ptag == DER_CTXC(0)) {
				has_permitted = 1;
				permitted |= m;
			}
		}
	}
	return has_permitted && !permitted ? -1 : 0;
}

/*
 * Every name of certificate c under the constraints nc: its subject (a
 * directoryName) and the e-mail addresses in it, its subjectAltName
 * entries, and - for a server leaf without subjectAltName, whose CN may
 * stand in as host name - the CNs that are host names.
 */
static int nc_check_cert(ussl_span nc, const cert_info *c, int cn_as_host,
    unsigned long *budget)
{
	ussl_name_iter it;
	ussl_span oid, val, list, gn;
	unsigned tag;
	int r;

	if (c->subject.len > 0 &&
	    nc_check_name(nc, GN_DIR, c->subject, budget) != 0)
		return -1;
	ussl_name_begin(&it, c->subject);
	while ((r = ussl_name_next(&it, &oid, &val, NULL)) > 0) {
		if (USSL_SPAN_IS(oid, OID_EMAIL) &&
		    nc_check_name(nc, GN_EMAIL, val, budget) != 0)
			return -1;
		if (cn_as_host && USSL_SPAN_IS(oid, OID_CN) &&
		    ussl_dns_valid(val.p, val.len, 1) &&
		    nc_check_name(nc, GN_DNS, val, budget) != 0)
			return -1;
	}
	if (r < 0)
		return -1;
	if (!HAS(c, X_SAN))
		return 0;
	val = c->ext[X_SAN];
	if (ussl_der_want(&val, DER_SEQ, &list) || val.len != 0)
		return -1;
	while (list.len > 0) {
		if (ussl_der_take(&list, &tag, &gn))
			return -1;
		if ((tag & 0x1F) == GN_DIR && dir_name(gn, &gn) != 0)
			return -1;
		if (nc_check_name(nc, (int)(tag & 0x1F), gn, budget) != 0)
			return -1;
	}
	return 0;
}

/*
 * Name constraints of every CA in the chain (the trust anchor's too)
 * over every certificate below it, self-issued intermediates excepted
 * (RFC 5280 6.1.3 b/c, 4.2.1.10).  Each CA's constraints apply on their
 * own, so a lower CA cannot widen what a higher one allowed.
 */
unsigned ussl_name_constraints(const ussl_vstate *vs, const cert_info *ci,
    size_t n)
{
	unsigned long budget = NC_BUDGET;
	size_t i, j;

	for (j = 1; j < n; j++) {
		if (!HAS(&ci[j], X_NC))
			continue;
		for (i = 0; i < j; i++) {
			if (i > 0 && ci[i].self_issued)
				continue;
			if (nc_check_cert(ci[j].ext[X_NC], &ci[i], i == 0 &&
			    vs->role == USSL_CLIENT && !HAS(&ci[i], X_SAN),
			    &budget) != 0)
				return USSL_VFY_POLICY;
		}
	}
	return 0;
}
