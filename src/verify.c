/*
 * verify.c - the entry points of our certificate policy, run on top of
 * the engine's chain check.  Engine-neutral: the policy reads the chain
 * the engine built as DER (ussl_chain) with the core's DER reader, so
 * every engine applies the same rules:
 *
 *   - the name a verifying client asked for (verify_names.c); a
 *     verifying client always has one, unless its context says it does
 *     not check names (USSL_RELAX_NO_NAME, insecure);
 *   - the leaf's purpose: keyUsage and extendedKeyUsage
 *     (verify_profile.c);
 *   - the RFC 5280 / CA/B Forum profile rules the engines let through
 *     (verify_profile.c) and name constraints (verify_nc.c);
 *   - the one rule for the application's verify callback: it may add a
 *     rejection, never remove one (ussl_verify_user).
 *
 * The context's USSL_RELAX_* flags each bring back one group of older
 * practice, USSL_STRICT_EKU asks for the CA/B Forum leaf profile.
 * docs/limbo.md explains each rule by the x509-limbo cases behind it.
 */
#include <string.h>

#include "engine.h"
#include "verify_int.h"

void ussl_vwhy(const ussl_vstate *vs, unsigned flag, const char *text)
{
	ussl_vreason *w = vs->why;
	size_t i;

	if (w == NULL)
		return;
	for (i = 0; i < USSL_VWHY_MAX; i++) {
		if (w->flag[i] == flag)
			return;                 /* the first reason stays */
		if (w->flag[i] == 0) {
			w->flag[i] = flag;
			w->text[i] = text;
			return;
		}
	}
}

static unsigned fail(const ussl_vstate *vs, unsigned flag, const char *text)
{
	ussl_vwhy(vs, flag, text);
	return flag;
}

void ussl_chain_note(ussl_chain *c, int depth, const unsigned char *der,
    size_t len)
{
	if (depth < 0 || depth >= USSL_CHAIN_MAX) {
		c->overflow = 1;
		return;
	}
	c->der[depth] = der;
	c->len[depth] = len;
	if ((size_t)depth + 1 > c->n)
		c->n = (size_t)depth + 1;
}

unsigned ussl_verify_leaf(const ussl_vstate *vs, const ussl_chain *ch)
{
	unsigned relax = vs->ctx != NULL ? vs->ctx->relax : 0, f = 0;
	cert_info *ci;
	size_t i, n;

	if (ch == NULL || ch->n == 0 || ch->der[0] == NULL)
		return fail(vs, USSL_VFY_OTHER, "no certificate to judge");
	if (ch->overflow || ch->n > USSL_CHAIN_MAX)
		return fail(vs, USSL_VFY_POLICY, "certificate chain too long");
	n = ch->n;
	ci = USSL_CALLOC(n, sizeof(*ci));
	if (ci == NULL)
		return fail(vs, USSL_VFY_OTHER, "out of memory");
	for (i = 0; i < n; i++) {
		if (ussl_x509_read(ch->der[i], ch->len[i], &ci[i]) != 0) {
			f = fail(vs, USSL_VFY_POLICY, "malformed certificate");
			goto out;
		}
	}
	/* A client checks the server's name; without one to check it fails
	   (a chain alone accepts any host), unless the context was told
	   that names are not checked. */
	if (vs->role == USSL_CLIENT && !(relax & USSL_RELAX_NO_NAME)) {
		if (vs->name == NULL || vs->name->host == NULL)
			f |= fail(vs, USSL_VFY_NAME_MISMATCH, "no host name to "
			    "check the certificate against");
		else if (!ussl_name_matches(vs->name, &ci[0], relax))
			f |= USSL_VFY_NAME_MISMATCH;
	}
	/* A root without AKI whose issuer name differs from its subject may
	   still be self-signed (a renamed root): the signature tells. */
	i = n - 1;
	if (!HAS(&ci[i], X_AKI) && !ci[i].self_issued)
		ci[i].self_signed = eng_cert_self_signed(ch->der[i],
		    ch->len[i]);
	for (i = 0; i < n; i++)
		f |= ussl_cert_rules(vs, ci, i, n);
	if (ussl_name_constraints(vs, ci, n))
		f |= fail(vs, USSL_VFY_POLICY, "a name outside a CA's "
		    "nameConstraints");
out:
	USSL_FREE(ci);
	return f;
}

/* Every USSL_VFY_* flag the library defines. */
#define VFY_KNOWN (USSL_VFY_EXPIRED | USSL_VFY_NOT_YET_VALID | \
	USSL_VFY_UNTRUSTED | USSL_VFY_NAME_MISMATCH | USSL_VFY_BAD_USAGE | \
	USSL_VFY_NO_CERT | USSL_VFY_REVOKED | USSL_VFY_BAD_SIGNATURE | \
	USSL_VFY_BAD_KEY | USSL_VFY_POLICY | USSL_VFY_OTHER)

unsigned ussl_verify_user(const ussl_vstate *vs, const unsigned char *der,
    size_t len, int depth, unsigned flags)
{
	const ussl_ctx *ctx = vs->ctx;
	unsigned seen = flags, added;
	int r;

	if (ctx == NULL || ctx->verify_fn == NULL)
		return flags;
	r = ctx->verify_fn(ctx->verify_arg, der, len, depth, &seen);
	/* What it cleared is ignored; what it set is a rejection. */
	added = seen & ~flags;
	if (added & ~VFY_KNOWN)
		added = (added & VFY_KNOWN) | USSL_VFY_OTHER;
	if (r != 0 && added == 0)
		added = USSL_VFY_OTHER;
	if (added & USSL_VFY_OTHER)
		ussl_vwhy(vs, USSL_VFY_OTHER,
		    "rejected by the verify callback");
	return flags | added;
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
