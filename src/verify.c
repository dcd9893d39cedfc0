/*
 * verify.c - our certificate policy on top of the engine's chain check:
 * host name and IP address matching (RFC 6125 / RFC 9525 rules) and the
 * extended key usage the role needs.  Engine-neutral: it sees a leaf
 * only through ussl_leaf_view, so every engine applies the same rules.
 */
#include <string.h>

#include "internal.h"

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

/* Case-insensitive comparison of a certificate label run with host. */
static int same(const unsigned char *a, const char *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (lower(a[i]) != lower((unsigned char)b[i]))
			return 0;
	return 1;
}

/*
 * A DNS name from a certificate against the host the caller asked for.
 * Wildcards: only a whole left-most label "*", matching exactly one
 * non-empty label, and never directly below a top-level label
 * ("*.com").  One trailing dot on either side is ignored.
 */
int ussl_dns_match(const unsigned char *pat, size_t pat_len,
    const char *host)
{
	size_t host_len = strlen(host), i, dots = 0;
	const char *rest;

	if (pat_len > 0 && pat[pat_len - 1] == '.')
		pat_len--;
	if (host_len > 0 && host[host_len - 1] == '.')
		host_len--;
	if (pat_len == 0 || host_len == 0)
		return 0;
	for (i = 0; i < pat_len; i++)
		if (pat[i] == '\0')
			return 0;       /* embedded NUL: an attack */
	if (pat_len >= 2 && pat[0] == '*' && pat[1] == '.') {
		for (i = 2; i < pat_len; i++) {
			if (pat[i] == '*')
				return 0;
			dots += pat[i] == '.';
		}
		if (dots == 0)
			return 0;
		rest = memchr(host, '.', host_len);
		if (rest == NULL || rest == host)
			return 0;
		return (size_t)(host + host_len - rest) == pat_len - 1 &&
		    same(pat + 1, rest, pat_len - 1);
	}
	for (i = 0; i < pat_len; i++)
		if (pat[i] == '*')
			return 0;       /* partial wildcards are refused */
	return pat_len == host_len && same(pat, host, host_len);
}

static int name_matches(const ussl_peer_name *name, const ussl_leaf_view *v)
{
	const void *it = NULL;
	const unsigned char *p;
	size_t len;
	int type;

	while (v->next_san != NULL && v->next_san(v->cert, &it, &type, &p,
	    &len)) {
		if (type == USSL_SAN_IP && name->is_ip) {
			if (len == name->ip_len &&
			    memcmp(p, name->ip, len) == 0)
				return 1;
		} else if (type == USSL_SAN_DNS) {
			if (!name->is_ip && ussl_dns_match(p, len, name->host))
				return 1;
		}
	}
	/* The subject CN counts only for a DNS name and only when the
	   certificate has no subjectAltName at all. */
	if (name->is_ip || v->has_san || v->cn == NULL)
		return 0;
	return ussl_dns_match(v->cn, v->cn_len, name->host) &&
	    v->cn[0] != '*';
}

unsigned ussl_verify_leaf(const ussl_vstate *vs, const ussl_leaf_view *v)
{
	unsigned flags = 0;

	if (vs->name != NULL && vs->name->host != NULL &&
	    !name_matches(vs->name, v))
		flags |= USSL_VFY_NAME_MISMATCH;
	if (v->has_eku && !v->eku_any) {
		if (vs->role == USSL_CLIENT && !v->eku_server)
			flags |= USSL_VFY_BAD_USAGE;
		if (vs->role == USSL_SERVER && !v->eku_client)
			flags |= USSL_VFY_BAD_USAGE;
	}
	return flags;
}

int64_t ussl_epoch(int year, int mon, int day, int hour, int min, int sec)
{
	/* Days from civil (H. Hinnant's algorithm). */
	int64_t y = year - (mon <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = era * 146097 + doe - 719468;

	return days * 86400 + hour * 3600 + min * 60 + sec;
}
