/*
 * limbo_harness.c - runs the x509-limbo test suite through ussl's own
 * verification path (ussl_ctx_verify_chain: the engine's chain check plus
 * the library's policy, exactly as a connection applies them).
 *
 *   limbo-harness [--relax FLAGS] [--strict FLAGS] < limbo.json > results.json
 *
 * Cases run under the library's default policy.  --relax gives
 * USSL_RELAX_* flags (a number, e.g. 7 for all) to see what they let
 * through, --strict USSL_STRICT_* flags (1: USSL_STRICT_EKU, the CA/B
 * Forum leaf profile); the harness name then says so.  The ctest never
 * uses them.
 *
 * Reads the suite ({"version":1,"testcases":[...]}) on stdin and writes
 * {"version":1,"harness":"ussl-<engine>","results":[{"id","actual_result",
 * "context"}]} on stdout.  A case the library cannot express is SKIPPED
 * with the reason in its context; everything else is run:
 *
 *   validation_kind SERVER   a client context checks the server chain
 *   validation_kind CLIENT   a server context checks the client chain
 *   trusted_certs            ussl_ctx_add_ca, one by one
 *   expected_peer_name       the name given to ussl_ctx_verify_chain
 *                            (DNS or IP; client certificates carry no
 *                            name check in ussl, so CLIENT cases run
 *                            without one; a SERVER case without one runs
 *                            with USSL_RELAX_NO_NAME, as a verifying
 *                            client never goes without a name otherwise)
 *   validation_time          at_time (fractions of a second dropped)
 *   extended_key_usage       must be the role's own EKU (serverAuth for
 *                            SERVER, clientAuth for CLIENT), which the
 *                            policy demands of a leaf that has an EKU
 *                            (and, with USSL_STRICT_EKU, of every leaf);
 *                            others are skipped
 *   key_usage                only digitalSignature, which the policy
 *                            demands of every leaf (our suites sign)
 *   max_chain_depth          through the public verification callback,
 *                            as an application would limit the depth
 *   crls                     skipped: ussl does no revocation checking
 *
 * Exit status: 0 when every case was processed (whatever the results),
 * 1 on unreadable input, 2 on usage errors.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "ussl.h"

#define MAX_DEPTH_SEEN 64

enum outcome { R_SUCCESS, R_FAILURE, R_SKIPPED };

/* --relax, --strict: USSL_RELAX_* and USSL_STRICT_* flags for every
   case; 0 is the default policy. */
static unsigned relax_flags, strict_flags;

static const char *const outcome_name[] = { "SUCCESS", "FAILURE", "SKIPPED" };

/* ---------------------------------------------------------------------- */
/* Small helpers                                                           */

static unsigned char *read_all(FILE *f, size_t *len)
{
	size_t cap = 1 << 20, n = 0, r;
	unsigned char *buf = malloc(cap), *q;

	while (buf != NULL) {
		r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (n < cap) {
			if (ferror(f))
				break;
			*len = n;
			return buf;
		}
		q = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
		if (q == NULL)
			break;
		buf = q;
		cap *= 2;
	}
	free(buf);
	return NULL;
}

/* JSON string literal of s on stdout. */
static void put_json_string(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	putchar('"');
	for (; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", stdout);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

/* Append printf-style text ("; "-separated) to a context buffer. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void note(char *buf, size_t size, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 3 >= size)
		return;
	if (used > 0) {
		memcpy(buf + used, "; ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(buf + used, size - used, fmt, ap);
	va_end(ap);
}

static void describe_flags(unsigned f, char *buf, size_t size)
{
	static const struct { unsigned bit; const char *name; } names[] = {
		{ USSL_VFY_EXPIRED, "expired" },
		{ USSL_VFY_NOT_YET_VALID, "not yet valid" },
		{ USSL_VFY_UNTRUSTED, "untrusted" },
		{ USSL_VFY_NAME_MISMATCH, "name mismatch" },
		{ USSL_VFY_BAD_USAGE, "bad usage" },
		{ USSL_VFY_NO_CERT, "no certificate" },
		{ USSL_VFY_REVOKED, "revoked" },
		{ USSL_VFY_BAD_SIGNATURE, "bad signature" },
		{ USSL_VFY_BAD_KEY, "bad key" },
		{ USSL_VFY_POLICY, "policy" },
		{ USSL_VFY_OTHER, "other" },
	};
	size_t i, used = 0;
	int n;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(f & names[i].bit))
			continue;
		n = snprintf(buf + used, size - used, "%s%s",
		    used ? ", " : "", names[i].name);
		if (n < 0 || (size_t)n >= size - used)
			return;
		used += (size_t)n;
	}
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int digits(const char *s, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/*
 * RFC 3339 time ("2024-03-01T00:00:00.999+00:00") to seconds since 1970.
 * The fraction is dropped (floor): certificate times have whole seconds.
 */
static int parse_time(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, se, oh = 0, om = 0, sign = 0;
	int64_t t;

	if (strlen(s) < 19 || digits(s, 4, &y) || s[4] != '-' ||
	    digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) ||
	    s[16] != ':' || digits(s + 17, 2, &se))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    se > 60)
		return -1;
	s += 19;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return -1;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s == '-' ? -1 : 1;
		if (digits(s + 1, 2, &oh) || s[3] != ':' || digits(s + 4, 2, &om))
			return -1;
		s += 6;
	} else {
		return -1;
	}
	if (*s != '\0')
		return -1;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	*out = t - sign * (oh * 3600 + om * 60);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* max_chain_depth through the verification callback                       */

/*
 * The callback sees the chain the engine built, root (highest depth)
 * first.  It remembers which certificates are self-issued; at the leaf
 * it counts the intermediates that are not (RFC 5280 does not count
 * self-issued ones against path lengths, and limbo's depth follows it)
 * and rejects the chain when there are more than allowed.
 */
typedef struct depth_limit {
	long max;                       /* -1: no limit */
	int top;                        /* highest depth seen, -1: none */
	unsigned char self_issued[MAX_DEPTH_SEEN];
	int over;                       /* the limit rejected the chain */
} depth_limit;

static int is_self_issued(const unsigned char *der, size_t len)
{
	char subject[1024], issuer[1024];

	if (ussl_cert_subject(der, len, subject, sizeof(subject)) < 0 ||
	    ussl_cert_issuer(der, len, issuer, sizeof(issuer)) < 0)
		return 0;
	return strcmp(subject, issuer) == 0;
}

static int depth_cb(void *arg, const unsigned char *der, size_t len,
    int depth, unsigned *flags)
{
	depth_limit *dl = arg;
	long count = 0;
	int d;

	(void)flags;
	if (dl->max < 0 || depth < 0)
		return 0;
	if (depth >= MAX_DEPTH_SEEN) {
		dl->over = 1;
		return 1;
	}
	if (depth > dl->top)
		dl->top = depth;
	dl->self_issued[depth] = (unsigned char)is_self_issued(der, len);
	if (depth != 0)
		return 0;
	/* Intermediates: between the leaf and the top (the anchor). */
	for (d = 1; d < dl->top; d++)
		count += !dl->self_issued[d];
	if (count > dl->max) {
		dl->over = 1;
		return 1;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* One test case                                                           */

typedef struct result {
	enum outcome outcome;
	char context[1024];
} result;

/* Does list (a JSON array of strings) hold only allowed entries? */
static int only(const json_value *list, const char *allowed, char *bad,
    size_t bad_size)
{
	size_t i;
	const char *s;

	for (i = 0; i < json_count(list); i++) {
		s = json_str(json_at(list, i));
		if (s == NULL || allowed == NULL || strcmp(s, allowed) != 0) {
			snprintf(bad, bad_size, "%s", s ? s : "(not a string)");
			return 0;
		}
	}
	return 1;
}

static void run_case(const json_value *tc, result *r)
{
	const json_value *trusted = json_get(tc, "trusted_certs");
	const json_value *inter = json_get(tc, "untrusted_intermediates");
	const json_value *pn = json_get(tc, "expected_peer_name");
	const json_value *pns = json_get(tc, "expected_peer_names");
	const json_value *depth = json_get(tc, "max_chain_depth");
	const char *kind = json_str(json_get(tc, "validation_kind"));
	const char *leaf = json_str(json_get(tc, "peer_certificate"));
	const char *when = json_str(json_get(tc, "validation_time"));
	const char *name = NULL, *s;
	const unsigned char **certs = NULL;
	size_t *lens = NULL, i, n = 0, nt = json_count(trusted), added = 0;
	size_t dropped = 0;
	ussl_ctx *ctx = NULL;
	depth_limit dl;
	char bad[128], text[256];
	int64_t at = 0;
	unsigned flags = 0;
	int server, role_eku;

	memset(r, 0, sizeof(*r));
	r->outcome = R_SKIPPED;
	if (kind == NULL || leaf == NULL || trusted == NULL ||
	    trusted->type != JSON_ARRAY) {
		note(r->context, sizeof(r->context), "malformed test case");
		return;
	}
	server = strcmp(kind, "SERVER") == 0;
	if (!server && strcmp(kind, "CLIENT") != 0) {
		note(r->context, sizeof(r->context),
		    "validation_kind %s is not SERVER or CLIENT", kind);
		return;
	}
	if (json_count(json_get(tc, "crls")) > 0) {
		note(r->context, sizeof(r->context),
		    "CRLs given: ussl does no revocation checking");
		return;
	}
	/* The policy demands the role's EKU of every leaf; a case asking
	   for anything else cannot be expressed. */
	if (!only(json_get(tc, "extended_key_usage"),
	    server ? "serverAuth" : "clientAuth", bad, sizeof(bad))) {
		note(r->context, sizeof(r->context),
		    "extended key usage %s cannot be requested (the policy "
		    "checks the role's own: %s)", bad,
		    server ? "serverAuth" : "clientAuth");
		return;
	}
	if (!only(json_get(tc, "key_usage"), "digitalSignature", bad,
	    sizeof(bad))) {
		note(r->context, sizeof(r->context),
		    "key usage %s cannot be requested", bad);
		return;
	}
	role_eku = json_count(json_get(tc, "extended_key_usage")) > 0;
	if (pn != NULL && pn->type == JSON_OBJECT) {
		s = json_str(json_get(pn, "kind"));
		name = json_str(json_get(pn, "value"));
		if (s == NULL || name == NULL ||
		    (strcmp(s, "DNS") != 0 && strcmp(s, "IP") != 0)) {
			note(r->context, sizeof(r->context),
			    "peer name of kind %s cannot be checked",
			    s ? s : "(none)");
			return;
		}
	}
	if (!server && (name != NULL || json_count(pns) > 0)) {
		/* ussl checks no name of a client certificate. */
		note(r->context, sizeof(r->context), "client certificate: "
		    "expected peer name(s) not checked (ussl matches no "
		    "name of a client certificate)");
		name = NULL;
	} else if (json_count(pns) > 0) {
		note(r->context, sizeof(r->context),
		    "expected_peer_names cannot be checked");
		return;
	}
	if (when != NULL && parse_time(when, &at) != 0) {
		note(r->context, sizeof(r->context),
		    "unreadable validation_time %s", when);
		return;
	}
	if (when != NULL && at == 0)
		at = 1;       /* 0 would mean "now"; one second off at 1970 */

	memset(&dl, 0, sizeof(dl));
	dl.max = -1;
	dl.top = -1;
	if (depth != NULL && depth->type == JSON_NUMBER) {
		if (depth->number < 0 || depth->number > 1e6) {
			note(r->context, sizeof(r->context),
			    "unusable max_chain_depth");
			return;
		}
		dl.max = (long)depth->number;
	}

	ctx = ussl_ctx_new(server ? USSL_CLIENT : USSL_SERVER);
	if (ctx == NULL) {
		note(r->context, sizeof(r->context), "out of memory");
		return;
	}
	ussl_ctx_set_verify(ctx, USSL_VERIFY_REQUIRED);
	/* A verifying client always checks a name; a case that gives none
	   is run as a context told not to check names. */
	if (server && name == NULL)
		note(r->context, sizeof(r->context), "no peer name: run with "
		    "USSL_RELAX_NO_NAME");
	if ((relax_flags != 0 || (server && name == NULL)) &&
	    ussl_ctx_set_verify_relax(ctx, relax_flags |
	    (server && name == NULL ? USSL_RELAX_NO_NAME : 0)) != USSL_OK) {
		note(r->context, sizeof(r->context), "relax flags refused");
		goto out;
	}
	if (strict_flags != 0 &&
	    ussl_ctx_set_verify_strict(ctx, strict_flags) != USSL_OK) {
		note(r->context, sizeof(r->context), "strict flags refused");
		goto out;
	}
	for (i = 0; i < nt; i++) {
		s = json_str(json_at(trusted, i));
		if (s != NULL && ussl_ctx_add_ca(ctx, (const unsigned char *)s,
		    strlen(s)) == USSL_OK)
			added++;
	}
	if (added < nt)
		note(r->context, sizeof(r->context), "%zu of %zu trusted "
		    "certificate(s) rejected by the engine", nt - added, nt);

	/* Leaf first, then the intermediates the library can parse at all
	   (tried alone through the same call): leaving out one it cannot
	   read never makes a bad chain good. */
	certs = calloc(json_count(inter) + 1, sizeof(*certs));
	lens = calloc(json_count(inter) + 1, sizeof(*lens));
	if (certs == NULL || lens == NULL) {
		note(r->context, sizeof(r->context), "out of memory");
		goto out;
	}
	certs[n] = (const unsigned char *)leaf;
	lens[n++] = strlen(leaf);
	for (i = 0; i < json_count(inter); i++) {
		s = json_str(json_at(inter, i));
		if (s == NULL)
			continue;
		certs[n] = (const unsigned char *)s;
		lens[n] = strlen(s);
		if (ussl_ctx_verify_chain(ctx, certs + n, lens + n, 1, NULL, at,
		    &flags) == USSL_OK)
			n++;
		else
			dropped++;
	}
	flags = 0;
	if (dropped > 0)
		note(r->context, sizeof(r->context), "%zu intermediate(s) the "
		    "engine cannot parse left out", dropped);

	if (dl.max >= 0)
		ussl_ctx_set_verify_cb(ctx, depth_cb, &dl);
	if (ussl_ctx_verify_chain(ctx, certs, lens, n, name, at,
	    &flags) != USSL_OK) {
		r->outcome = R_FAILURE;
		note(r->context, sizeof(r->context), "rejected: %s",
		    ussl_ctx_error(ctx)->msg);
		goto out;
	}
	if (flags != 0) {
		describe_flags(flags, text, sizeof(text));
		r->outcome = R_FAILURE;
		note(r->context, sizeof(r->context), "rejected: %s%s", text,
		    dl.over ? " (max_chain_depth exceeded)" : "");
	} else {
		r->outcome = R_SUCCESS;
		note(r->context, sizeof(r->context), "accepted%s%s",
		    role_eku ? " (role EKU checked)" : "",
		    dl.max >= 0 ? " (depth within max_chain_depth)" : "");
	}
out:
	free(certs);
	free(lens);
	ussl_ctx_free(ctx);
}

int main(int argc, char **argv)
{
	json_value *doc;
	const json_value *cases, *tc;
	unsigned char *input;
	size_t len, i;
	char err[160];
	result r;

	for (i = 1; i < (size_t)argc; i += 2) {
		int relax = strcmp(argv[i], "--relax") == 0;
		unsigned max = relax ? USSL_RELAX_ALL : USSL_STRICT_ALL;
		char *end;
		unsigned long v;

		if ((!relax && strcmp(argv[i], "--strict") != 0) ||
		    i + 1 >= (size_t)argc) {
			fprintf(stderr, "usage: limbo-harness [--relax FLAGS] "
			    "[--strict FLAGS] < limbo.json > results.json\n");
			return 2;
		}
		v = strtoul(argv[i + 1], &end, 0);
		if (*argv[i + 1] == '\0' || *end != '\0' || v == 0 ||
		    v > max) {
			fprintf(stderr, "limbo-harness: %s takes 1 to %u\n",
			    argv[i], max);
			return 2;
		}
		if (relax)
			relax_flags = (unsigned)v;
		else
			strict_flags = (unsigned)v;
	}
	input = read_all(stdin, &len);
	if (input == NULL) {
		fprintf(stderr, "limbo-harness: cannot read stdin\n");
		return 1;
	}
	doc = json_parse((const char *)input, len, err, sizeof(err));
	free(input);
	if (doc == NULL) {
		fprintf(stderr, "limbo-harness: %s\n", err);
		return 1;
	}
	cases = json_get(doc, "testcases");
	if (cases == NULL || cases->type != JSON_ARRAY) {
		fprintf(stderr, "limbo-harness: no \"testcases\" array\n");
		json_free(doc);
		return 1;
	}
	printf("{\"version\":1,\"harness\":");
	snprintf(err, sizeof(err), "ussl-%s", ussl_engine_version());
	if (relax_flags != 0)
		snprintf(err + strlen(err), sizeof(err) - strlen(err),
		    " relax=%u", relax_flags);
	if (strict_flags != 0)
		snprintf(err + strlen(err), sizeof(err) - strlen(err),
		    " strict=%u", strict_flags);
	put_json_string(err);
	printf(",\"results\":[");
	for (i = 0; i < json_count(cases); i++) {
		tc = json_at(cases, i);
		run_case(tc, &r);
		printf("%s\n{\"id\":", i ? "," : "");
		put_json_string(json_str(json_get(tc, "id")) ?
		    json_str(json_get(tc, "id")) : "(no id)");
		printf(",\"actual_result\":\"%s\",\"context\":",
		    outcome_name[r.outcome]);
		put_json_string(r.context);
		putchar('}');
	}
	printf("\n]}\n");
	json_free(doc);
	return fflush(stdout) == 0 ? 0 : 1;
}
