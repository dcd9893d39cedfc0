/*
 * error.c - error state of contexts and connections: codes, names,
 * messages, and the readable list of verification failures.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"

static const char *const err_names[] = {
	"USSL_E_IO", "USSL_E_TIMEOUT", "USSL_E_VERIFY", "USSL_E_PROTOCOL",
	"USSL_E_PEER_ALERT", "USSL_E_HANDSHAKE", "USSL_E_TRUNCATED",
	"USSL_E_CLOSED", "USSL_E_NOMEM", "USSL_E_BADARG", "USSL_E_BADKEY",
	"USSL_E_BADCERT", "USSL_E_CONFIG", "USSL_E_INTERNAL", "USSL_E_NOFILE",
	"USSL_E_HELLO_VERIFY",
};

const char *ussl_strerror(int code)
{
	if (code == USSL_E_NONE)
		return "USSL_E_NONE";
	if (code >= USSL_E_IO && code <= USSL_E_HELLO_VERIFY)
		return err_names[code - USSL_E_IO];
	return "USSL_E_UNKNOWN";
}

void ussl_err_clear(ussl_errstate *e)
{
	e->pub.code = USSL_E_NONE;
	e->pub.sys_errno = 0;
	e->pub.verify = 0;
	e->pub.alert = -1;
	if (e->buf != NULL)
		e->buf[0] = '\0';
	e->pub.msg = e->buf != NULL ? e->buf : "";
}

void ussl_err_free(ussl_errstate *e)
{
	USSL_FREE(e->buf);
	e->buf = NULL;
	e->pub.msg = "";
}

int ussl_err_set(ussl_errstate *e, int code, const char *fmt, ...)
{
	va_list ap;

	ussl_err_clear(e);
	e->pub.code = code;
	if (e->buf == NULL &&
	    (e->buf = USSL_CALLOC(1, USSL_ERRMSG_MAX)) == NULL) {
		e->pub.msg = ussl_strerror(code);   /* out of memory: the name */
		return USSL_ERROR;
	}
	e->pub.msg = e->buf;
	va_start(ap, fmt);
	vsnprintf(e->buf, USSL_ERRMSG_MAX, fmt, ap);
	va_end(ap);
	return USSL_ERROR;
}

void ussl_err_append(ussl_errstate *e, const char *fmt, ...)
{
	char detail[160];
	size_t n;
	va_list ap;

	if (e->buf == NULL)
		return;
	n = strlen(e->buf);
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	snprintf(e->buf + n, USSL_ERRMSG_MAX - n, n ? " (%s)" : "%s", detail);
}

void ussl_failure_init(ussl_failure *f, int code)
{
	memset(f, 0, sizeof(*f));
	f->code = code;
	f->alert = -1;
}

/*
 * The one wording of connection failures: what the engine found (code,
 * alert, verification flags) decides the text, so both engines say the
 * same for the same failure; the engine's own text follows in brackets.
 */
int ussl_fail(ussl_errstate *e, const ussl_failure *f, const char *during,
    int in_handshake)
{
	char vtext[200];

	switch (f->code) {
	case USSL_E_IO:
		ussl_err_set(e, f->code, "%s: transport error", during);
		e->pub.sys_errno = f->sys_errno;
		break;
	case USSL_E_TIMEOUT:
		ussl_err_set(e, f->code, "%s timed out", during);
		break;
	case USSL_E_VERIFY:
		ussl_vfy_explain(f->verify ? f->verify : USSL_VFY_OTHER,
		    f->why, vtext, sizeof(vtext));
		ussl_err_set(e, f->code, "certificate verify failed: %s",
		    vtext);
		e->pub.verify = f->verify ? f->verify : USSL_VFY_OTHER;
		break;
	case USSL_E_TRUNCATED:
		ussl_err_set(e, f->code, in_handshake ? "connection closed by "
		    "peer during the handshake" : "connection truncated: peer "
		    "closed the transport without close_notify");
		break;
	case USSL_E_PEER_ALERT:
		ussl_err_set(e, f->code, "%s: peer sent fatal alert %d (%s)",
		    during, f->alert, ussl_alert_name(f->alert));
		e->pub.alert = f->alert;
		break;
	case USSL_E_NOMEM:
		ussl_err_set(e, f->code, "%s: out of memory", during);
		break;
	case USSL_E_HANDSHAKE:
		ussl_err_set(e, f->code, "%s: no protocol version, cipher or "
		    "parameters in common", during);
		break;
	case USSL_E_PROTOCOL:
		if (f->reason == USSL_FR_PEER_CLOSED)
			ussl_err_set(e, f->code, "%s: peer closed the "
			    "connection", during);
		else if (f->reason == USSL_FR_KEY_UPDATE)
			ussl_err_set(e, f->code, "%s: the peer sent a TLS 1.3 "
			    "KeyUpdate, which %s does not implement, so the "
			    "connection cannot go on (ussl built on OpenSSL, "
			    "make ENGINE=openssl, handles it)", during,
			    eng_version());
		else if (f->reason == USSL_FR_EMPTY_RECORD)
			ussl_err_set(e, f->code, "%s failed: empty handshake, "
			    "alert or change_cipher_spec record", during);
		else
			ussl_err_set(e, f->code, "%s failed", during);
		break;
	default:
		ussl_err_set(e, f->code, "%s: engine failure", during);
		break;
	}
	if (f->detail[0] != '\0')
		ussl_err_append(e, "%s", f->detail);
	return USSL_ERROR;
}

static const struct {
	unsigned flag;
	const char *text;
} vfy_texts[] = {
	{ USSL_VFY_EXPIRED, "certificate has expired" },
	{ USSL_VFY_NOT_YET_VALID, "certificate is not yet valid" },
	{ USSL_VFY_UNTRUSTED, "unable to get a trusted issuer "
	    "(unknown CA, self-signed or incomplete chain)" },
	{ USSL_VFY_NAME_MISMATCH, "host name mismatch" },
	{ USSL_VFY_BAD_USAGE, "keyUsage or extendedKeyUsage does not allow "
	    "this role" },
	{ USSL_VFY_NO_CERT, "peer sent no certificate" },
	{ USSL_VFY_REVOKED, "certificate revoked" },
	{ USSL_VFY_BAD_SIGNATURE, "unacceptable signature" },
	{ USSL_VFY_BAD_KEY, "unacceptable key" },
	{ USSL_VFY_POLICY, "certificate policy violation" },
	{ USSL_VFY_OTHER, "other verification failure" },
};

void ussl_vfy_explain(unsigned flags, const ussl_vreason *why, char *buf,
    size_t size)
{
	const char *text;
	size_t i, j, n = 0;

	if (size == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < sizeof(vfy_texts) / sizeof(vfy_texts[0]); i++) {
		if (!(flags & vfy_texts[i].flag))
			continue;
		text = vfy_texts[i].text;
		for (j = 0; why != NULL && j < USSL_VWHY_MAX; j++)
			if (why->flag[j] == vfy_texts[i].flag &&
			    why->text[j] != NULL)
				text = why->text[j];
		n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%s%s",
		    n ? ", " : "", text);
		if (n >= size)
			return;
	}
}

void ussl_vfy_describe(unsigned flags, char *buf, size_t size)
{
	ussl_vfy_explain(flags, NULL, buf, size);
}

/*
 * Names of TLS alert descriptions (RFC 8446, 6.2), for messages: each
 * entry is the alert's number (one byte, never 0), its name and a NUL; an
 * empty entry ends the list.  Packed rather than a switch, whose jump
 * table of pointers took more flash than the names.
 */
static const char alert_names[] =
	"\x0a" "unexpected_message\0"
	"\x14" "bad_record_mac\0"
	"\x28" "handshake_failure\0"
	"\x2a" "bad_certificate\0"
	"\x2b" "unsupported_certificate\0"
	"\x2c" "certificate_revoked\0"
	"\x2d" "certificate_expired\0"
	"\x2e" "certificate_unknown\0"
	"\x2f" "illegal_parameter\0"
	"\x30" "unknown_ca\0"
	"\x31" "access_denied\0"
	"\x32" "decode_error\0"
	"\x33" "decrypt_error\0"
	"\x46" "protocol_version\0"
	"\x47" "insufficient_security\0"
	"\x50" "internal_error\0"
	"\x56" "inappropriate_fallback\0"
	"\x5a" "user_canceled\0"
	"\x6d" "missing_extension\0"
	"\x6e" "unsupported_extension\0"
	"\x70" "unrecognized_name\0"
	"\x73" "unknown_psk_identity\0"
	"\x74" "certificate_required\0"
	"\x78" "no_application_protocol\0";

const char *ussl_alert_name(int a)
{
	const char *p = alert_names;

	for (; *p != '\0'; p += strlen(p + 1) + 2)
		if ((unsigned char)*p == a)
			return p + 1;
	return "alert";
}

void ussl_wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
}
