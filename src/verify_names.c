/*
 * verify_names.c - the names a certificate proves: host names and IP
 * literals as the caller gives them, DNS names and wildcards as
 * certificates carry them (RFC 9525 / RFC 6125 rules), matching the
 * leaf against the name asked for, and the CA/B Forum rule that a
 * server certificate's CN repeats its subjectAltName.
 */
#include <string.h>

#include "verify_int.h"

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Strict dotted quad: four decimal parts 0-255, no leading zeros. */
static int parse_ipv4(const char *s, unsigned char out[4])
{
	int part, digits, i;

	for (i = 0; i < 4; i++) {
		part = 0;
		digits = 0;
		while (*s >= '0' && *s <= '9') {
			if (digits > 0 && part == 0)
				return -1;
			part = part * 10 + (*s++ - '0');
			if (++digits > 3 || part > 255)
				return -1;
		}
		if (digits == 0)
			return -1;
		out[i] = (unsigned char)part;
		if (i < 3 && *s++ != '.')
			return -1;
	}
	return *s == '\0' ? 0 : -1;
}

/* RFC 4291 text form, with "::" and an optional trailing dotted quad. */
static int parse_ipv6(const char *s, unsigned char out[16])
{
	unsigned char buf[16];
	int n = 0, gap = -1, v, digits;

	if (s[0] == ':' && s[1] == ':') {
		gap = 0;
		s += 2;
	}
	while (*s != '\0') {
		if (n >= 16)
			return -1;
		if (strchr(s, '.') != NULL && strchr(s, ':') == NULL) {
			if (n > 12 || parse_ipv4(s, buf + n) != 0)
				return -1;
			n += 4;
			break;
		}
		v = 0;
		for (digits = 0; hexval(*s) >= 0; digits++, s++) {
			if (digits == 4)
				return -1;
			v = v * 16 + hexval(*s);
		}
		if (digits == 0)
			return -1;
		buf[n++] = (unsigned char)(v >> 8);
		buf[n++] = (unsigned char)v;
		if (*s == ':') {
			s++;
			if (*s == ':') {
				if (gap >= 0)
					return -1;
				gap = n;
				s++;
			} else if (*s == '\0') {
				return -1;
			}
		} else if (*s != '\0') {
			return -1;
		}
	}
	if (gap >= 0) {
		if (n == 16)
			return -1;
		memset(out, 0, 16);
		memcpy(out, buf, (size_t)gap);
		memcpy(out + 16 - (n - gap), buf + gap, (size_t)(n - gap));
	} else {
		if (n != 16)
			return -1;
		memcpy(out, buf, 16);
	}
	return 0;
}

int ussl_parse_ip(const char *s, unsigned char out[16], size_t *len)
{
	if (parse_ipv4(s, out) == 0) {
		*len = 4;
		return 0;
	}
	if (strchr(s, ':') != NULL && parse_ipv6(s, out) == 0) {
		*len = 16;
		return 0;
	}
	return -1;
}

int ussl_name_set(ussl_peer_name *n, const char *host)
{
	size_t len = strlen(host);

	n->host = USSL_CALLOC(1, len + 1);
	if (n->host == NULL)
		return USSL_ERROR;
	memcpy(n->host, host, len + 1);
	n->is_ip = ussl_parse_ip(host, n->ip, &n->ip_len) == 0;
	return USSL_OK;
}

void ussl_name_free(ussl_peer_name *n)
{
	USSL_FREE(n->host);
	n->host = NULL;
}

/* ---------------------------------------------------------------------- */
/* Host names                                                              */

int ussl_same_ci(const unsigned char *a, const unsigned char *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (lower(a[i]) != lower(b[i]))
			return 0;
	return 1;
}

/* A certificate label run against part of the host the caller gave. */
static int same(const unsigned char *a, const char *b, size_t len)
{
	return ussl_same_ci(a, (const unsigned char *)b, len);
}

static int is_ldh(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

/*
 * Is s[0..len) a DNS name in the "preferred name syntax" that RFC 5280
 * (4.2.1.6) demands of a dNSName: labels of 1 to 63 letters, digits and
 * hyphens, not starting or ending with a hyphen, 253 bytes at most; one
 * trailing dot is tolerated.  With wildcard set, a first label of just
 * "*" is allowed too.  Anything else (underscores, spaces, NUL bytes,
 * non-ASCII, empty labels, partial wildcards) is not a host name, and
 * a certificate name that is not one never matches.
 */
int ussl_dns_valid(const unsigned char *s, size_t len, int wildcard)
{
	size_t i, label = 0;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (wildcard && len >= 2 && s[0] == '*' && s[1] == '.') {
		s += 2;
		len -= 2;
	}
	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
		} else if (!is_ldh(s[i]) || (label == 0 && s[i] == '-') ||
		    ++label > 63) {
			return 0;
		}
	}
	return label > 0 && s[len - 1] != '-';
}

/*
 * A DNS name from a certificate against the host the caller asked for.
 * Both must be valid host names (dns_valid).  Wildcards: only a whole
 * left-most label "*", matching exactly one non-empty label, and never
 * directly below a top-level label ("*.com").  One trailing dot on
 * either side is ignored.
 */
int ussl_dns_match(const unsigned char *pat, size_t pat_len,
    const char *host)
{
	size_t host_len = strlen(host), i, dots = 0;
	const char *rest;

	if (!ussl_dns_valid(pat, pat_len, 1) ||
	    !ussl_dns_valid((const unsigned char *)host, host_len, 0))
		return 0;
	if (pat[pat_len - 1] == '.')
		pat_len--;
	if (host[host_len - 1] == '.')
		host_len--;
	if (pat[0] == '*') {
		for (i = 2; i < pat_len; i++)
			dots += pat[i] == '.';
		if (dots == 0)
			return 0;
		rest = memchr(host, '.', host_len);
		if (rest == NULL || rest == host)
			return 0;
		return (size_t)(host + host_len - rest) == pat_len - 1 &&
		    same(pat + 1, rest, pat_len - 1);
	}
	return pat_len == host_len && same(pat, host, host_len);
}


/* ---------------------------------------------------------------------- */
/* The name the client asked for, against the leaf                         */

/*
 * subjectAltName entries: a dNSName ([2]) against a host name, an
 * iPAddress ([7]) against an IP literal, byte for byte.  The subject CN
 * counts only when asked for (USSL_RELAX_CN_ONLY: CN-only certificates
 * are what common tools still make; RFC 9525 and the CA/B BR want a
 * SAN), only for a DNS name and only when the certificate has no
 * subjectAltName at all; the last CN is the one taken.
 */
int ussl_name_matches(const ussl_peer_name *name, const cert_info *leaf,
    unsigned relax)
{
	ussl_span v, list, gn, oid, val, cn;
	ussl_name_iter it;
	unsigned tag;
	int r;

	if (HAS(leaf, X_SAN)) {
		v = leaf->ext[X_SAN];
		if (ussl_der_want(&v, DER_SEQ, &list) || v.len != 0)
			return 0;
		while (list.len > 0) {
			if (ussl_der_take(&list, &tag, &gn))
				return 0;
			if (tag == DER_CTX(GN_IP) && name->is_ip) {
				if (gn.len == name->ip_len &&
				    memcmp(gn.p, name->ip, gn.len) == 0)
					return 1;
			} else if (tag == DER_CTX(GN_DNS) && !name->is_ip &&
			    ussl_dns_match(gn.p, gn.len, name->host)) {
				return 1;
			}
		}
		return 0;
	}
	if (!(relax & USSL_RELAX_CN_ONLY) || name->is_ip)
		return 0;
	cn.p = NULL;
	cn.len = 0;
	ussl_name_begin(&it, leaf->subject);
	while ((r = ussl_name_next(&it, &oid, &val, NULL)) > 0)
		if (USSL_SPAN_IS(oid, OID_CN))
			cn = val;
	if (r < 0 || cn.p == NULL || cn.len == 0)
		return 0;
	return ussl_dns_match(cn.p, cn.len, name->host) && cn.p[0] != '*';
}

/* ---------------------------------------------------------------------- */
/* The server certificate's subject CN                                     */

/* Text form of an IP address as RFC 5952 (IPv6) or dotted quad writes
   it; out holds at least 46 bytes. */
static void ip_text(const unsigned char *ip, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	int g[8], i, best = -1, best_len = 1, run, k;
	char *o = out;

	if (len == 4) {
		/* By hand: bare-metal hosts (MicroPython) may lack sprintf. */
		for (i = 0; i < 4; i++) {
			if (ip[i] >= 100)
				*o++ = (char)('0' + ip[i] / 100);
			if (ip[i] >= 10)
				*o++ = (char)('0' + ip[i] / 10 % 10);
			*o++ = (char)('0' + ip[i] % 10);
			*o++ = i < 3 ? '.' : '\0';
		}
		return;
	}
	for (i = 0; i < 8; i++)
		g[i] = ip[2 * i] << 8 | ip[2 * i + 1];
	/* The first longest run of two or more zero groups becomes "::". */
	for (i = 0; i < 8; i += run > 0 ? run : 1) {
		for (run = 0; i + run < 8 && g[i + run] == 0; run++)
			;
		if (run > best_len) {
			best = i;
			best_len = run;
		}
	}
	for (i = 0; i < 8; i++) {
		if (i == best) {
			*o++ = ':';
			if (i == 0)
				*o++ = ':';
			i += best_len - 1;
			continue;
		}
		for (k = 12; k > 0 && (g[i] >> k) == 0; k -= 4)
			;
		for (; k >= 0; k -= 4)
			*o++ = hex[(g[i] >> k) & 15];
		if (i < 7)
			*o++ = ':';
	}
	*o = '\0';
}

/* How a CN reads: CN_IP for an address in any text form ("0xC0A80101",
   "2001:DB8::1"), CN_HOST for a host name, 0 for a label such as
   "My Server", "kube-apiserver" or "system:node:x", which names nothing. */
#define CN_HOST 1
#define CN_IP 2

static int cn_kind(ussl_span v)
{
	size_t i;
	int host = v.len > 0, ip = v.len > 0, dot = 0, colon = 0, digit = 0;

	for (i = 0; i < v.len; i++) {
		unsigned char c = v.p[i];

		dot |= c == '.';
		colon |= c == ':';
		digit |= c >= '0' && c <= '9';
		if (!is_ldh(c) && c != '.' && c != '*' && c != '_' && c < 0x80)
			host = 0;
		if (hexval(c) < 0 && c != '.' && c != ':' && c != 'x' &&
		    c != 'X')
			ip = 0;
	}
	if (ip && digit && (dot || colon || (v.len > 2 && v.p[0] == '0' &&
	    lower(v.p[1]) == 'x')))
		return CN_IP;
	return host && dot ? CN_HOST : 0;
}

/* Byte-for-byte: is a equal to b, or below it by whole labels? */
static int below_or_same(ussl_span a, ussl_span b)
{
	if (a.len < b.len || memcmp(a.p + a.len - b.len, b.p, b.len) != 0)
		return 0;
	return a.len == b.len || (b.len > 0 && a.p[a.len - b.len - 1] == '.');
}

/*
 * CA/B BR 7.1.4.3: a server certificate's CN, when it names a host or an
 * address, repeats what the subjectAltName says.  An address must be the
 * canonical text (dotted quad, RFC 5952) of an iPAddress entry; a host
 * name must be byte-for-byte one of the dNSNames, or their parent domain
 * or a host below one (a wildcard counting as its domain): certificates
 * commonly carry CN=example.com over SANs of hosts in example.com.  A CN
 * in another case, as a U-label or for a sibling host is refused: it is
 * a name the CA did not vouch for as the SAN shows it.  Certificates
 * with no SAN entry of the CN's kind are left alone.
 */
unsigned ussl_cn_rules(const cert_info *c)
{
	ussl_name_iter it;
	ussl_span oid, val, v, list, gn, base;
	unsigned tag;
	char text[48];
	int r, kind, found, any;

	if (!HAS(c, X_SAN))
		return 0;
	ussl_name_begin(&it, c->subject);
	while ((r = ussl_name_next(&it, &oid, &val, NULL)) > 0) {
		if (!USSL_SPAN_IS(oid, OID_CN) || (kind = cn_kind(val)) == 0)
			continue;
		v = c->ext[X_SAN];
		if (ussl_der_want(&v, DER_SEQ, &list))
			return USSL_VFY_POLICY;
		for (found = any = 0; !found && list.len > 0; ) {
			if (ussl_der_take(&list, &tag, &gn))
				return USSL_VFY_POLICY;
			if (kind == CN_HOST && tag == DER_CTX(GN_DNS)) {
				any = 1;
				base = gn;
				if (base.len >= 2 && base.p[0] == '*') {
					base.p += 2;
					base.len -= 2;
				}
				found = below_or_same(val, base) ||
				    below_or_same(base, val);
			} else if (kind == CN_IP && tag == DER_CTX(GN_IP) &&
			    (gn.len == 4 || gn.len == 16)) {
				any = 1;
				ip_text(gn.p, gn.len, text);
				found = strlen(text) == val.len &&
				    memcmp(text, val.p, val.len) == 0;
			}
		}
		if (any && !found)
			return USSL_VFY_POLICY;
	}
	return r < 0 ? USSL_VFY_POLICY : 0;
}
