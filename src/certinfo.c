/*
 * certinfo.c - describe an X.509 certificate (DER) piece by piece:
 * version, serial number, issuer, validity, subject, subjectAltName,
 * authorityInfoAccess and cRLDistributionPoints, in the text forms that
 * CPython's ssl module uses for getpeercert().
 *
 * Engine-neutral and allocation-free, standard C only (no POSIX), so any
 * host and any engine can use it.  It reads what peers send: every
 * length is checked against the enclosing element before anything is
 * touched, recursion is bounded by the structure (no nesting loops over
 * attacker-chosen depths), and text conversions write into fixed buffers.
 * It reads with the core's DER reader (der.h), as the policy does.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "der.h"
#include "ussl.h"

#define T_BOOLEAN   DER_BOOLEAN
#define T_INTEGER   DER_INTEGER
#define T_OCTETS    DER_OCTETS
#define T_OID       DER_OID
#define T_UTF8      DER_UTF8
#define T_NUMERIC   DER_NUMERIC
#define T_PRINTABLE DER_PRINTABLE
#define T_T61       DER_T61
#define T_IA5       DER_IA5
#define T_UTCTIME   DER_UTCTIME
#define T_GENTIME   DER_GENTIME
#define T_VISIBLE   DER_VISIBLE
#define T_UNIVERSAL DER_UNIVERSAL
#define T_BMP       DER_BMP
#define T_SEQ       DER_SEQ
#define T_SET       DER_SET

/* ---------------------------------------------------------------------- */
/* Bounded text output                                                    */

struct out {
	char *buf;
	size_t size, len;        /* len never exceeds size */
	int full;                /* something did not fit */
};

static void out_init(struct out *o, char *buf, size_t size)
{
	o->buf = buf;
	o->size = size;
	o->len = 0;
	o->full = 0;
}

static void out_bytes(struct out *o, const char *s, size_t n)
{
	if (n > o->size - o->len) {
		n = o->size - o->len;
		o->full = 1;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void out_str(struct out *o, const char *s)
{
	out_bytes(o, s, strlen(s));
}

static void out_char(struct out *o, char c)
{
	out_bytes(o, &c, 1);
}

/* Unsigned decimal; width > 0 pads with pad on the left. */
static void out_dec(struct out *o, uint64_t v, int width, char pad)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v != 0 && n < (int)sizeof(tmp));
	while (width-- > n)
		out_char(o, pad);
	while (n > 0)
		out_char(o, tmp[--n]);
}

static void out_hex(struct out *o, unsigned v, int digits)
{
	static const char hex[] = "0123456789ABCDEF";
	int i, started = 0;

	/* digits == 0: no leading zeros (at least one digit). */
	for (i = 7; i >= 0; i--) {
		unsigned nib = (v >> (4 * i)) & 0xfu;

		if (digits > 0 ? i < digits : (nib != 0 || started || i == 0)) {
			out_char(o, hex[nib]);
			started = 1;
		}
	}
}

/* A code point as UTF-8; never splits a character at the end. */
static void out_utf8(struct out *o, uint32_t cp)
{
	char b[4];
	size_t n;

	if (cp > 0x10ffffu || (cp >= 0xd800u && cp <= 0xdfffu))
		cp = 0xfffdu;
	if (cp < 0x80u) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800u) {
		b[0] = (char)(0xc0u | (cp >> 6));
		b[1] = (char)(0x80u | (cp & 0x3fu));
		n = 2;
	} else if (cp < 0x10000u) {
		b[0] = (char)(0xe0u | (cp >> 12));
		b[1] = (char)(0x80u | ((cp >> 6) & 0x3fu));
		b[2] = (char)(0x80u | (cp & 0x3fu));
		n = 3;
	} else {
		b[0] = (char)(0xf0u | (cp >> 18));
		b[1] = (char)(0x80u | ((cp >> 12) & 0x3fu));
		b[2] = (char)(0x80u | ((cp >> 6) & 0x3fu));
		b[3] = (char)(0x80u | (cp & 0x3fu));
		n = 4;
	}
	if (n > o->size - o->len) {
		o->full = 1;
		return;
	}
	out_bytes(o, b, n);
}

/* ---------------------------------------------------------------------- */
/* Walk state                                                             */

struct walk {
	ussl_cert_item_fn fn;
	void *arg;
	char oid[128];           /* a dotted OID */
	char text[512];          /* converted strings, times, serials */
};

static int emit(struct walk *w, int field, int index, const char *name,
    const char *short_name, const char *value, size_t len)
{
	ussl_cert_item it;

	it.field = field;
	it.index = index;
	it.name = name;
	it.short_name = short_name;
	it.value = value;
	it.value_len = len;
	return w->fn(w->arg, &it);
}

/* Dotted text of an OID's contents into buf (NUL-terminated); a text that
   does not fit ends in "...".  0, or -1 if the encoding is malformed. */
static int oid_text(const ussl_span *o, char *buf, size_t size)
{
	struct out out;
	const unsigned char *p;
	uint64_t v = 0;
	int first = 1, pending = 0;

	if (o->len == 0)
		return -1;
	out_init(&out, buf, size - 4);
	for (p = o->p; p < o->p + o->len; p++) {
		if (v > (UINT64_MAX >> 7))
			return -1;
		v = (v << 7) | (*p & 0x7fu);
		pending = (*p & 0x80u) != 0;
		if (pending)
			continue;
		if (first) {
			unsigned arc = v < 40 ? 0 : v < 80 ? 1 : 2;

			out_dec(&out, arc, 0, ' ');
			v -= (uint64_t)arc * 40;
			first = 0;
		}
		out_char(&out, '.');
		out_dec(&out, v, 0, ' ');
		v = 0;
	}
	if (pending)
		return -1;
	if (out.full) {
		memcpy(buf + out.len, "...", 3);
		out.len += 3;
	}
	buf[out.len] = '\0';
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Names                                                                  */

struct attr_name {
	unsigned char len;
	unsigned char oid[11];
	const char *sn, *ln;
};

/* Attribute types with OpenSSL's short and long names (CPython shows the
   long ones). */
static const struct attr_name attr_names[] = {
	{ 3, { 0x55, 0x04, 0x03 }, "CN", "commonName" },
	{ 3, { 0x55, 0x04, 0x04 }, "SN", "surname" },
	{ 3, { 0x55, 0x04, 0x05 }, "serialNumber", "serialNumber" },
	{ 3, { 0x55, 0x04, 0x06 }, "C", "countryName" },
	{ 3, { 0x55, 0x04, 0x07 }, "L", "localityName" },
	{ 3, { 0x55, 0x04, 0x08 }, "ST", "stateOrProvinceName" },
	{ 3, { 0x55, 0x04, 0x09 }, "street", "streetAddress" },
	{ 3, { 0x55, 0x04, 0x0a }, "O", "organizationName" },
	{ 3, { 0x55, 0x04, 0x0b }, "OU", "organizationalUnitName" },
	{ 3, { 0x55, 0x04, 0x0c }, "title", "title" },
	{ 3, { 0x55, 0x04, 0x0d }, "description", "description" },
	{ 3, { 0x55, 0x04, 0x0f }, "businessCategory", "businessCategory" },
	{ 3, { 0x55, 0x04, 0x11 }, "postalCode", "postalCode" },
	{ 3, { 0x55, 0x04, 0x29 }, "name", "name" },
	{ 3, { 0x55, 0x04, 0x2a }, "GN", "givenName" },
	{ 3, { 0x55, 0x04, 0x2b }, "initials", "initials" },
	{ 3, { 0x55, 0x04, 0x2c }, "generationQualifier",
	  "generationQualifier" },
	{ 3, { 0x55, 0x04, 0x2e }, "dnQualifier", "dnQualifier" },
	{ 3, { 0x55, 0x04, 0x41 }, "pseudonym", "pseudonym" },
	{ 3, { 0x55, 0x04, 0x61 }, "organizationIdentifier",
	  "organizationIdentifier" },
	{ 9, { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01 },
	  "emailAddress", "emailAddress" },
	{ 10, { 0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01,
	  0x19 }, "DC", "domainComponent" },
	{ 10, { 0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01,
	  0x01 }, "UID", "userId" },
	{ 11, { 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x3c, 0x02, 0x01,
	  0x01 }, "jurisdictionL", "jurisdictionLocalityName" },
	{ 11, { 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x3c, 0x02, 0x01,
	  0x02 }, "jurisdictionST", "jurisdictionStateOrProvinceName" },
	{ 11, { 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x3c, 0x02, 0x01,
	  0x03 }, "jurisdictionC", "jurisdictionCountryName" },
};

/*
 * The text of an attribute value: a pointer into the certificate when
 * the string type is already ASCII/UTF-8, else a conversion into
 * w->text (cut at a character boundary if it does not fit).  Types that
 * are not strings read "#" and their contents in hex.
 */
static void string_value(struct walk *w, unsigned tag, const ussl_span *v,
    const char **val, size_t *len)
{
	struct out o;
	const unsigned char *p;
	uint32_t cp, lo;

	switch (tag) {
	case T_UTF8:
	case T_PRINTABLE:
	case T_IA5:
	case T_VISIBLE:
	case T_NUMERIC:
		*val = (const char *)v->p;
		*len = (size_t)(v->len);
		return;
	default:
		break;
	}
	out_init(&o, w->text, sizeof(w->text));
	switch (tag) {
	case T_T61:
		/* Treated as Latin-1, as OpenSSL does. */
		for (p = v->p; p < v->p + v->len && !o.full; p++)
			out_utf8(&o, *p);
		break;
	case T_BMP:
		for (p = v->p; (v->p + v->len) - p >= 2 && !o.full; p += 2) {
			cp = ((uint32_t)p[0] << 8) | p[1];
			if (cp >= 0xd800u && cp <= 0xdbffu &&
			    (v->p + v->len) - p >= 4) {
				lo = ((uint32_t)p[2] << 8) | p[3];
				if (lo >= 0xdc00u && lo <= 0xdfffu) {
					cp = 0x10000u + ((cp - 0xd800u) << 10) +
					    (lo - 0xdc00u);
					p += 2;
				}
			}
			out_utf8(&o, cp);
		}
		break;
	case T_UNIVERSAL:
		for (p = v->p; (v->p + v->len) - p >= 4 && !o.full; p += 4)
			out_utf8(&o, ((uint32_t)p[0] << 24) |
			    ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) |
			    p[3]);
		break;
	default:
		out_char(&o, '#');
		for (p = v->p; p < v->p + v->len && !o.full; p++)
			out_hex(&o, *p, 2);
		break;
	}
	*val = w->text;
	*len = o.len;
}

/* Report each attribute of a Name (the contents of its SEQUENCE). */
static int walk_name(struct walk *w, ussl_span name, int field)
{
	ussl_span rdn, atv, oid, val;
	const struct attr_name *an;
	const char *ln, *sn, *text;
	size_t i, tlen;
	unsigned tag;
	int index = 0, r;

	while (name.len != 0) {
		if (ussl_der_want(&name, T_SET, &rdn) != 0 || rdn.len == 0)
			return -1;
		while (rdn.len != 0) {
			if (ussl_der_want(&rdn, T_SEQ, &atv) != 0 ||
			    ussl_der_want(&atv, T_OID, &oid) != 0 ||
			    ussl_der_take(&atv, &tag, &val) != 0 ||
			    atv.len != 0)
				return -1;
			ln = NULL;
			sn = NULL;
			for (i = 0; i < sizeof(attr_names) /
			    sizeof(attr_names[0]); i++) {
				an = &attr_names[i];
				if (ussl_span_is(oid, an->oid, an->len)) {
					ln = an->ln;
					sn = an->sn;
					break;
				}
			}
			if (ln == NULL) {
				if (oid_text(&oid, w->oid, sizeof(w->oid)) != 0)
					return -1;
				ln = w->oid;
			}
			string_value(w, tag, &val, &text, &tlen);
			r = emit(w, field, index, ln, sn, text, tlen);
			if (r != 0)
				return r;
		}
		index++;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Version, serial number, validity                                       */

static int emit_version(struct walk *w, ussl_span *tbs)
{
	ussl_span expl, in;
	unsigned v = 0;
	char c;

	if (ussl_der_peek(tbs) == 0xa0) {
		if (ussl_der_want(tbs, 0xa0, &expl) != 0 ||
		    ussl_der_want(&expl, T_INTEGER, &in) != 0 ||
		    expl.len != 0 || in.len != 1 || in.p[0] > 2)
			return -1;
		v = in.p[0];
	}
	c = (char)('1' + v);
	return emit(w, USSL_CERT_VERSION, 0, NULL, NULL, &c, 1);
}

static int emit_serial(struct walk *w, const ussl_span *in)
{
	unsigned char mag[64];
	size_t n = (size_t)(in->len), i, start = 0;
	struct out o;
	int neg;

	if (n == 0 || n > sizeof(mag))
		return -1;
	neg = (in->p[0] & 0x80u) != 0;
	memcpy(mag, in->p, n);
	if (neg) {
		/* Two's complement: the magnitude is ~x + 1. */
		unsigned carry = 1;

		for (i = n; i-- > 0;) {
			unsigned b = (unsigned)(~mag[i] & 0xffu) + carry;

			mag[i] = (unsigned char)b;
			carry = b >> 8;
		}
	}
	while (start + 1 < n && mag[start] == 0)
		start++;
	out_init(&o, w->text, sizeof(w->text));
	if (neg)
		out_char(&o, '-');
	for (i = start; i < n; i++)
		out_hex(&o, mag[i], 2);
	return emit(w, USSL_CERT_SERIAL, 0, NULL, NULL, w->text, o.len);
}

static int two_digits(const unsigned char *p, int *v)
{
	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
		return -1;
	*v = (p[0] - '0') * 10 + (p[1] - '0');
	return 0;
}

/*
 * UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSS[.f]Z) as
 * OpenSSL prints it: "Jun  1 00:00:00 2025 GMT".
 */
static int emit_time(struct walk *w, ussl_span *validity, int field)
{
	static const char months[12][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
	};
	const unsigned char *p, *frac = NULL;
	size_t n, fraclen = 0;
	int year, hi, mon, day, hour, min, sec;
	ussl_span t;
	unsigned tag;
	struct out o;

	if (ussl_der_take(validity, &tag, &t) != 0)
		return -1;
	p = t.p;
	n = (size_t)(t.len);
	if (tag == T_UTCTIME) {
		if (n != 13 || two_digits(p, &year) != 0)
			return -1;
		year += year < 50 ? 2000 : 1900;
		p += 2;
		n -= 2;
	} else if (tag == T_GENTIME) {
		if (n < 15 || two_digits(p, &hi) != 0 ||
		    two_digits(p + 2, &year) != 0)
			return -1;
		year += hi * 100;
		p += 4;
		n -= 4;
	} else {
		return -1;
	}
	/* p: MMDDHHMMSS then, for GeneralizedTime, an optional fraction. */
	if (two_digits(p, &mon) != 0 || two_digits(p + 2, &day) != 0 ||
	    two_digits(p + 4, &hour) != 0 || two_digits(p + 6, &min) != 0 ||
	    two_digits(p + 8, &sec) != 0)
		return -1;
	p += 10;
	n -= 10;
	if (tag == T_GENTIME && n > 1 && p[0] == '.') {
		frac = p;
		for (fraclen = 1; fraclen < n - 1; fraclen++)
			if (p[fraclen] < '0' || p[fraclen] > '9')
				return -1;
		if (fraclen < 2)
			return -1;
		p += fraclen;
		n -= fraclen;
	}
	if (n != 1 || p[0] != 'Z')
		return -1;
	if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 ||
	    min > 59 || sec > 60)
		return -1;
	out_init(&o, w->text, sizeof(w->text));
	out_str(&o, months[mon - 1]);
	out_char(&o, ' ');
	out_dec(&o, (uint64_t)day, 2, ' ');
	out_char(&o, ' ');
	out_dec(&o, (uint64_t)hour, 2, '0');
	out_char(&o, ':');
	out_dec(&o, (uint64_t)min, 2, '0');
	out_char(&o, ':');
	out_dec(&o, (uint64_t)sec, 2, '0');
	if (frac != NULL)
		out_bytes(&o, (const char *)frac, fraclen);
	out_char(&o, ' ');
	out_dec(&o, (uint64_t)year, 0, ' ');
	out_str(&o, " GMT");
	return emit(w, field, 0, NULL, NULL, w->text, o.len);
}

/* ---------------------------------------------------------------------- */
/* Extensions                                                             */

static const unsigned char oid_san[] = { 0x55, 0x1d, 0x11 };
static const unsigned char oid_cdp[] = { 0x55, 0x1d, 0x1f };
static const unsigned char oid_aia[] = {
	0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01
};
static const unsigned char oid_ocsp[] = {
	0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01
};
static const unsigned char oid_ca_issuers[] = {
	0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02
};

static const char unsupported[] = "<unsupported>";

/* otherName types OpenSSL prints (and so CPython shows) as "UPN:x". */
static const struct {
	unsigned char len;
	unsigned char oid[10];
	unsigned char tag;       /* the string type they must have */
	const char *label;
} other_names[] = {
	{ 10, { 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x14, 0x02, 0x03 },
	  T_UTF8, "UPN:" },
	{ 8, { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x08, 0x09 }, T_UTF8,
	  "SmtpUTF8Mailbox:" },
	{ 8, { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x08, 0x05 }, T_UTF8,
	  "XmppAddr:" },
	{ 8, { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x08, 0x07 }, T_IA5,
	  "SRVName:" },
	{ 8, { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x08, 0x08 }, T_UTF8,
	  "NAIRealm:" },
};

/* An otherName as "UPN:value", or "<unsupported>" for other types. */
static void other_name_text(struct walk *w, const ussl_span *v,
    const char **val, size_t *len)
{
	ussl_span in = *v, oid, expl, str;
	struct out o;
	unsigned tag;
	size_t i;

	*val = unsupported;
	*len = sizeof(unsupported) - 1;
	if (ussl_der_want(&in, T_OID, &oid) != 0 ||
	    ussl_der_want(&in, 0xa0, &expl) != 0 ||
	    ussl_der_take(&expl, &tag, &str) != 0 || expl.len != 0)
		return;
	for (i = 0; i < sizeof(other_names) / sizeof(other_names[0]); i++) {
		if (!ussl_span_is(oid, other_names[i].oid, other_names[i].len) ||
		    tag != other_names[i].tag)
			continue;
		out_init(&o, w->text, sizeof(w->text));
		out_str(&o, other_names[i].label);
		out_bytes(&o, (const char *)str.p, (size_t)(str.len));
		*val = w->text;
		*len = o.len;
		return;
	}
}

/* An iPAddress entry as text. */
static void ip_text(struct walk *w, const ussl_span *v, const char **val,
    size_t *len)
{
	size_t n = (size_t)(v->len), i;
	struct out o;

	out_init(&o, w->text, sizeof(w->text));
	if (n == 4) {
		for (i = 0; i < 4; i++) {
			if (i > 0)
				out_char(&o, '.');
			out_dec(&o, v->p[i], 0, ' ');
		}
	} else if (n == 16) {
		for (i = 0; i < 16; i += 2) {
			if (i > 0)
				out_char(&o, ':');
			out_hex(&o, ((unsigned)v->p[i] << 8) | v->p[i + 1], 0);
		}
	} else {
		out_str(&o, "<invalid>");
	}
	*val = w->text;
	*len = o.len;
}

/* One GeneralName of a subjectAltName. */
static int emit_general_name(struct walk *w, unsigned tag,
    const ussl_span *v, int index)
{
	const char *type, *val = (const char *)v->p;
	size_t len = (size_t)(v->len);
	ussl_span inner, name;
	int r;

	switch (tag) {
	case 0x81:
		type = "email";
		break;
	case 0x82:
		type = "DNS";
		break;
	case 0x86:
		type = "URI";
		break;
	case 0x87:
		type = "IP Address";
		ip_text(w, v, &val, &len);
		break;
	case 0x88:
		type = "Registered ID";
		if (oid_text(v, w->oid, sizeof(w->oid)) != 0)
			return -1;
		val = w->oid;
		len = strlen(w->oid);
		break;
	case 0xa0:
		type = "othername";
		other_name_text(w, v, &val, &len);
		break;
	case 0xa3:
		type = "X400Name";
		val = unsupported;
		len = sizeof(unsupported) - 1;
		break;
	case 0xa5:
		type = "EdiPartyName";
		val = unsupported;
		len = sizeof(unsupported) - 1;
		break;
	case 0xa4:
		/* [4] EXPLICIT Name: announce the entry, then its RDNs. */
		inner = *v;
		if (ussl_der_want(&inner, T_SEQ, &name) != 0 || inner.len != 0)
			return -1;
		r = emit(w, USSL_CERT_SAN, index, "DirName", NULL, "", 0);
		if (r != 0)
			return r;
		return walk_name(w, name, USSL_CERT_SAN_DIRNAME);
	default:
		return -1;
	}
	return emit(w, USSL_CERT_SAN, index, type, NULL, val, len);
}

static int walk_san(struct walk *w, ussl_span ext)
{
	ussl_span names, v;
	unsigned tag;
	int index = 0, r;

	if (ussl_der_want(&ext, T_SEQ, &names) != 0 || ext.len != 0)
		return -1;
	while (names.len != 0) {
		if (ussl_der_take(&names, &tag, &v) != 0)
			return -1;
		r = emit_general_name(w, tag, &v, index++);
		if (r != 0)
			return r;
	}
	return 0;
}

/* The URIs among GeneralNames (the contents of the sequence). */
static int emit_uris(struct walk *w, ussl_span names, int field)
{
	ussl_span v;
	unsigned tag;
	int r;

	while (names.len != 0) {
		if (ussl_der_take(&names, &tag, &v) != 0)
			return -1;
		if (tag != 0x86)
			continue;
		r = emit(w, field, 0, NULL, NULL, (const char *)v.p,
		    (size_t)(v.len));
		if (r != 0)
			return r;
	}
	return 0;
}

static int walk_aia(struct walk *w, ussl_span ext)
{
	ussl_span list, ad, method, loc;
	unsigned tag;
	int field, r;

	if (ussl_der_want(&ext, T_SEQ, &list) != 0 || ext.len != 0)
		return -1;
	while (list.len != 0) {
		if (ussl_der_want(&list, T_SEQ, &ad) != 0 ||
		    ussl_der_want(&ad, T_OID, &method) != 0 ||
		    ussl_der_take(&ad, &tag, &loc) != 0 || ad.len != 0)
			return -1;
		if (tag != 0x86)
			continue;
		if (ussl_span_is(method, oid_ocsp, sizeof(oid_ocsp)))
			field = USSL_CERT_OCSP;
		else if (ussl_span_is(method, oid_ca_issuers,
		    sizeof(oid_ca_issuers)))
			field = USSL_CERT_CA_ISSUERS;
		else
			continue;
		r = emit(w, field, 0, NULL, NULL, (const char *)loc.p,
		    (size_t)(loc.len));
		if (r != 0)
			return r;
	}
	return 0;
}

static int walk_cdp(struct walk *w, ussl_span ext)
{
	ussl_span list, dp, dpname, full;
	int r;

	if (ussl_der_want(&ext, T_SEQ, &list) != 0 || ext.len != 0)
		return -1;
	while (list.len != 0) {
		if (ussl_der_want(&list, T_SEQ, &dp) != 0)
			return -1;
		/* distributionPoint [0] { fullName [0] GeneralNames }; the
		   other forms carry no URI. */
		if (ussl_der_peek(&dp) != 0xa0)
			continue;
		if (ussl_der_want(&dp, 0xa0, &dpname) != 0)
			return -1;
		if (ussl_der_peek(&dpname) != 0xa0)
			continue;
		if (ussl_der_want(&dpname, 0xa0, &full) != 0)
			return -1;
		r = emit_uris(w, full, USSL_CERT_CRL_DP);
		if (r != 0)
			return r;
	}
	return 0;
}

static int walk_extensions(struct walk *w, ussl_span *tbs)
{
	ussl_span expl, list, ext, oid, val, b;
	int r;

	if (ussl_der_want(tbs, 0xa3, &expl) != 0 ||
	    ussl_der_want(&expl, T_SEQ, &list) != 0 || expl.len != 0)
		return -1;
	while (list.len != 0) {
		if (ussl_der_want(&list, T_SEQ, &ext) != 0 ||
		    ussl_der_want(&ext, T_OID, &oid) != 0)
			return -1;
		if (ussl_der_peek(&ext) == (int)T_BOOLEAN &&
		    ussl_der_want(&ext, T_BOOLEAN, &b) != 0)
			return -1;
		if (ussl_der_want(&ext, T_OCTETS, &val) != 0 || ext.len != 0)
			return -1;
		if (ussl_span_is(oid, oid_san, sizeof(oid_san)))
			r = walk_san(w, val);
		else if (ussl_span_is(oid, oid_aia, sizeof(oid_aia)))
			r = walk_aia(w, val);
		else if (ussl_span_is(oid, oid_cdp, sizeof(oid_cdp)))
			r = walk_cdp(w, val);
		else
			r = 0;
		if (r != 0)
			return r;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */

int ussl_cert_info(const unsigned char *der, size_t len,
    ussl_cert_item_fn fn, void *arg)
{
	ussl_span all, cert, tbs, serial, skip, issuer, validity, subject;
	struct walk w;
	unsigned tag;
	int r;

	if (der == NULL || fn == NULL)
		return -1;
	w.fn = fn;
	w.arg = arg;
	all.p = der;
	all.len = len;
	if (ussl_der_want(&all, T_SEQ, &cert) != 0 || all.len != 0 ||
	    ussl_der_want(&cert, T_SEQ, &tbs) != 0)
		return -1;
	if ((r = emit_version(&w, &tbs)) != 0)
		return r;
	if (ussl_der_want(&tbs, T_INTEGER, &serial) != 0 ||
	    ussl_der_want(&tbs, T_SEQ, &skip) != 0 ||          /* signature */
	    ussl_der_want(&tbs, T_SEQ, &issuer) != 0 ||
	    ussl_der_want(&tbs, T_SEQ, &validity) != 0 ||
	    ussl_der_want(&tbs, T_SEQ, &subject) != 0 ||
	    ussl_der_want(&tbs, T_SEQ, &skip) != 0)            /* public key */
		return -1;
	if ((r = emit_serial(&w, &serial)) != 0 ||
	    (r = walk_name(&w, issuer, USSL_CERT_ISSUER)) != 0 ||
	    (r = emit_time(&w, &validity, USSL_CERT_NOT_BEFORE)) != 0 ||
	    (r = emit_time(&w, &validity, USSL_CERT_NOT_AFTER)) != 0)
		return r;
	if (validity.len != 0)
		return -1;
	if ((r = walk_name(&w, subject, USSL_CERT_SUBJECT)) != 0)
		return r;
	/* issuerUniqueID [1], subjectUniqueID [2] (primitive in DER). */
	while (ussl_der_peek(&tbs) == 0x81 || ussl_der_peek(&tbs) == 0x82)
		if (ussl_der_take(&tbs, &tag, &skip) != 0)
			return -1;
	if (ussl_der_peek(&tbs) == 0xa3 && (r = walk_extensions(&w, &tbs)) != 0)
		return r;
	return tbs.len == 0 ? 0 : -1;
}
