/*
 * engine_mbedtls.c - the mbedTLS engine (2.28 and 3.6) behind engine.h.
 *
 * Translates between the core's model (states, codes, policy) and
 * mbedTLS.  Version differences live in mbedtls_compat.h.
 */
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "mbedtls_compat.h"

#include <mbedtls/md.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/platform.h>
#if defined(MBEDTLS_SSL_TICKET_C)
#include <mbedtls/ssl_ticket.h>
#endif

/* Return code our transport callbacks give mbedTLS for a hard failure;
   the real cause (errno) is kept in the connection. */
#define IO_FAILED MBEDTLS_ERR_NET_SEND_FAILED

struct eng_ctx {
	mbedtls_ssl_config conf;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_x509_crt chain;
	mbedtls_pk_context key;
	mbedtls_x509_crt ca;
	int has_ca;
	int *suites;          /* set_ciphers list, NULL: the default */
#if defined(MBEDTLS_SSL_TICKET_C)
	mbedtls_ssl_ticket_context ticket;
	int has_ticket;
#endif
};

/* What the verification callback works on: the state to judge against
   and the chain mbedTLS shows it, root first, for the policy's chain
   rules at the leaf. */
struct vrun {
	const ussl_vstate *vs;
	ussl_chain *chain;        /* a connection's lives only while the
	                             certificates are being verified */
	struct eng_conn *e;       /* the connection verified, NULL if none */
};

#define CIPHER_NAME_MAX 64

struct eng_conn {
	mbedtls_ssl_context ssl;
	ussl_vstate vs;
	struct vrun vr;
	unsigned char *session;   /* last serialized session (client) */
	size_t session_len;
	/* The peer's leaf certificate (DER), kept by us so that a client
	   need not keep mbedTLS's parsed copy of the peer's chain for the
	   connection's life (about 2 KB per certificate). */
	unsigned char *peer;
	size_t peer_len;
	/* The leaf saved with a session given to ussl_conn_set_session:
	   becomes peer if the handshake resumes that session. */
	unsigned char *resume_peer;
	size_t resume_peer_len;
	int saw_cert_state;       /* the handshake went through the
	                             server-certificate step: no resumption */
	size_t write_pending;     /* length of our record left half-sent by
	                             a write that returned WANT_* */
	char *cipher;             /* IANA suite name, made when asked for */
};

/* Modern suites only: AEAD with forward secrecy. */
static const int ciphersuites[] = {
	COMPAT_TLS13_SUITES
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	0
};

const char *eng_version(void)
{
	return MBEDTLS_VERSION_STRING_FULL;
}

/* "(mbedTLS -0x2700: X509 - Certificate verification failed...)" */
static void append_detail(ussl_errstate *e, int ret)
{
	char text[120];

	text[0] = '\0';
#if defined(MBEDTLS_ERROR_C)
	mbedtls_strerror(ret, text, sizeof(text));
#endif
	ussl_err_append(e, "mbedTLS -0x%04X%s%s", (unsigned)-ret,
	    text[0] ? ": " : "", text);
}

/* ---------------------------------------------------------------------- */
/* Context                                                                 */

static int conf_apply(ussl_ctx *ctx);

int eng_ctx_init(ussl_ctx *ctx)
{
	struct eng_ctx *e;
	int endpoint;
	static const char pers[] = "ussl";

	if (compat_global_init() != 0)
		return USSL_ERROR;
	e = USSL_CALLOC(1, sizeof(*e));
	if (e == NULL)
		return USSL_ERROR;
	mbedtls_ssl_config_init(&e->conf);
	mbedtls_entropy_init(&e->entropy);
	mbedtls_ctr_drbg_init(&e->drbg);
	mbedtls_x509_crt_init(&e->chain);
	mbedtls_pk_init(&e->key);
	mbedtls_x509_crt_init(&e->ca);
	ctx->eng = e;
	endpoint = ctx->role == USSL_SERVER ? MBEDTLS_SSL_IS_SERVER :
	    MBEDTLS_SSL_IS_CLIENT;
	if (mbedtls_ctr_drbg_seed(&e->drbg, mbedtls_entropy_func, &e->entropy,
	    (const unsigned char *)pers, sizeof(pers) - 1) != 0 ||
	    mbedtls_ssl_config_defaults(&e->conf, endpoint,
	    MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT) != 0) {
		eng_ctx_free(ctx);
		return USSL_ERROR;
	}
	mbedtls_ssl_conf_rng(&e->conf, mbedtls_ctr_drbg_random, &e->drbg);
	mbedtls_ssl_conf_ciphersuites(&e->conf, ciphersuites);
	compat_conf_sig_algs(&e->conf);
	compat_conf_tls13_tickets(&e->conf);
#if defined(MBEDTLS_SSL_RENEGOTIATION)
	mbedtls_ssl_conf_renegotiation(&e->conf,
	    MBEDTLS_SSL_RENEGOTIATION_DISABLED);
#endif
	conf_apply(ctx);
	if (ctx->role == USSL_SERVER &&
	    eng_ctx_set_tickets(ctx, USSL_TICKET_LIFETIME) != USSL_OK) {
		eng_ctx_free(ctx);
		return USSL_ERROR;
	}
	return USSL_OK;
}

int eng_ctx_set_tickets(ussl_ctx *ctx, unsigned lifetime)
{
#if defined(MBEDTLS_SSL_TICKET_C) && defined(MBEDTLS_SSL_SESSION_TICKETS)
	struct eng_ctx *e = ctx->eng;
	int ret;

	mbedtls_ssl_conf_session_tickets_cb(&e->conf, NULL, NULL, NULL);
	if (e->has_ticket) {
		mbedtls_ssl_ticket_free(&e->ticket);
		e->has_ticket = 0;
	}
	if (lifetime == 0)
		return USSL_OK;
	mbedtls_ssl_ticket_init(&e->ticket);
	e->has_ticket = 1;
	/* mbedTLS rotates the key once it is lifetime old, and accepts
	   tickets under the previous key too. */
	ret = mbedtls_ssl_ticket_setup(&e->ticket, mbedtls_ctr_drbg_random,
	    &e->drbg, MBEDTLS_CIPHER_AES_256_GCM, lifetime);
	if (ret != 0) {
		ussl_err_set(&ctx->err, USSL_E_INTERNAL,
		    "cannot set up session tickets");
		append_detail(&ctx->err, ret);
		return USSL_ERROR;
	}
	mbedtls_ssl_conf_session_tickets_cb(&e->conf, mbedtls_ssl_ticket_write,
	    mbedtls_ssl_ticket_parse, &e->ticket);
	return USSL_OK;
#else
	(void)ctx;
	(void)lifetime;
	return USSL_OK;
#endif
}

void eng_ctx_free(ussl_ctx *ctx)
{
	struct eng_ctx *e = ctx->eng;

	if (e == NULL)
		return;
	mbedtls_ssl_config_free(&e->conf);
	mbedtls_x509_crt_free(&e->chain);
	mbedtls_pk_free(&e->key);
	mbedtls_x509_crt_free(&e->ca);
	USSL_FREE(e->suites);
#if defined(MBEDTLS_SSL_TICKET_C)
	if (e->has_ticket)
		mbedtls_ssl_ticket_free(&e->ticket);
#endif
	mbedtls_ctr_drbg_free(&e->drbg);
	mbedtls_entropy_free(&e->entropy);
	ussl_wipe(e, sizeof(*e));
	USSL_FREE(e);
	ctx->eng = NULL;
}

/*
 * Bring the mbedTLS configuration in line with the context's settings.
 * Called after every change; mbedTLS keeps pointers to chain, key, CA
 * and ALPN list, which live as long as the context.
 */
static int conf_apply(ussl_ctx *ctx)
{
	struct eng_ctx *e = ctx->eng;
	int max = ctx->max_version ? ctx->max_version : compat_max_version();
	int authmode;

	if (ctx->min_version > compat_max_version())
		return ussl_err_set(&ctx->err, USSL_E_BADARG,
		    "TLS 1.3 is not available with %s", eng_version());
	if (max > compat_max_version())
		max = compat_max_version();
	/* mbedTLS's TLS 1.3 client sends max_fragment_length in its
	   ClientHello but rejects the server's answer (in
	   EncryptedExtensions): a client that asks for it speaks TLS 1.2. */
	if (ctx->role == USSL_CLIENT && ctx->max_frag != 0 &&
	    max > USSL_TLS1_2) {
		if (ctx->min_version > USSL_TLS1_2)
			return ussl_err_set(&ctx->err, USSL_E_BADARG,
			    "max fragment length needs TLS 1.2 with %s",
			    eng_version());
		max = USSL_TLS1_2;
	}
	compat_conf_versions(&e->conf, ctx->min_version, max);
	if (ctx->verify == USSL_VERIFY_NONE && ctx->role == USSL_SERVER)
		authmode = MBEDTLS_SSL_VERIFY_NONE;
	else if (ctx->verify == USSL_VERIFY_NONE)
		/* mbedTLS skips the verify callback under NONE; the callback
		   is where we keep the peer's leaf, and it accepts anything
		   when the context does not verify. */
		authmode = MBEDTLS_SSL_VERIFY_OPTIONAL;
	else if (ctx->role == USSL_SERVER &&
	    ctx->verify == USSL_VERIFY_OPTIONAL)
		authmode = MBEDTLS_SSL_VERIFY_OPTIONAL;
	else
		authmode = MBEDTLS_SSL_VERIFY_REQUIRED;
	mbedtls_ssl_conf_authmode(&e->conf, authmode);
	if (ctx->role == USSL_CLIENT) {
#if defined(MBEDTLS_SSL_MAX_FRAGMENT_LENGTH)
		unsigned char code = MBEDTLS_SSL_MAX_FRAG_LEN_NONE;

		switch (ctx->max_frag) {
		case 512:  code = MBEDTLS_SSL_MAX_FRAG_LEN_512; break;
		case 1024: code = MBEDTLS_SSL_MAX_FRAG_LEN_1024; break;
		case 2048: code = MBEDTLS_SSL_MAX_FRAG_LEN_2048; break;
		case 4096: code = MBEDTLS_SSL_MAX_FRAG_LEN_4096; break;
		}
		if (mbedtls_ssl_conf_max_frag_len(&e->conf, code) != 0)
			return ussl_err_set(&ctx->err, USSL_E_BADARG,
			    "max fragment length %u is larger than this "
			    "build's record buffers", ctx->max_frag);
#else
		if (ctx->max_frag != 0)
			return ussl_err_set(&ctx->err, USSL_E_CONFIG,
			    "max fragment length: not in this mbedTLS build");
#endif
	}
	mbedtls_ssl_conf_ca_chain(&e->conf, e->has_ca ? &e->ca : NULL, NULL);
#if defined(MBEDTLS_SSL_ALPN)
	if (ctx->alpn[0] != NULL)
		mbedtls_ssl_conf_alpn_protocols(&e->conf,
		    (const char **)ctx->alpn);
	else
		e->conf.COMPAT_PRIV(alpn_list) = NULL;   /* no setter clears */
#endif
	return USSL_OK;
}

int eng_ctx_update(ussl_ctx *ctx)
{
	return conf_apply(ctx);
}

/*
 * mbedTLS parses PEM only from a NUL-terminated buffer whose length
 * counts the NUL; DER is taken as is.  Returns a buffer to pass (maybe
 * data itself) and its length, or NULL if out of memory.
 */
static const unsigned char *as_parse_input(const unsigned char *data,
    size_t len, size_t *out_len, unsigned char **owned)
{
	static const char marker[] = "-----BEGIN";
	unsigned char *copy;
	size_t i;
	int pem = 0;

	*owned = NULL;
	*out_len = len;
	for (i = 0; i + sizeof(marker) - 1 <= len; i++) {
		if (data[i] == '-' &&
		    memcmp(data + i, marker, sizeof(marker) - 1) == 0) {
			pem = 1;
			break;
		}
	}
	if (!pem || data[len - 1] == '\0')
		return data;
	copy = USSL_CALLOC(1, len + 1);
	if (copy == NULL)
		return NULL;
	memcpy(copy, data, len);
	copy[len] = '\0';
	*owned = copy;
	*out_len = len + 1;
	return copy;
}

static void free_parse_input(unsigned char *owned, size_t len)
{
	if (owned != NULL) {
		ussl_wipe(owned, len);
		USSL_FREE(owned);
	}
}

/*
 * mbedTLS refuses a certificate with a critical extension it does not
 * know.  Name constraints are such an extension, but our policy enforces
 * them (verify.c reads every chain certificate's DER), so they may pass.
 */
static int policy_ext(void *arg, mbedtls_x509_crt const *crt,
    mbedtls_x509_buf const *oid, int critical, const unsigned char *p,
    const unsigned char *end)
{
	static const unsigned char name_constraints[] = { 0x55, 0x1D, 0x1E };

	(void)arg;
	(void)crt;
	(void)critical;
	(void)p;
	(void)end;
	return oid->len == sizeof(name_constraints) &&
	    memcmp(oid->p, name_constraints, oid->len) == 0 ? 0 : -1;
}

/*
 * mbedtls_x509_crt_parse() with policy_ext: DER, or every CERTIFICATE
 * block of NUL-terminated PEM.  Returns 0, the number of PEM blocks that
 * failed, or a negative mbedTLS code.
 */
static int crt_parse(mbedtls_x509_crt *crt, const unsigned char *buf,
    size_t len)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	static const char end[] = "-----END CERTIFICATE-----";
	mbedtls_pem_context pem;
	size_t used;
	int ret = 0, good = 0, failed = 0, first = 0;

	if (len == 0 || buf[len - 1] != '\0' ||
	    strstr((const char *)buf, begin) == NULL)
		return mbedtls_x509_crt_parse_der_with_ext_cb(crt, buf, len, 1,
		    policy_ext, NULL);
	while (len > 1) {
		mbedtls_pem_init(&pem);
		used = 0;
		ret = mbedtls_pem_read_buffer(&pem, begin, end, buf, NULL, 0,
		    &used);
		if (ret == 0)
			ret = mbedtls_x509_crt_parse_der_with_ext_cb(crt,
			    pem.COMPAT_PRIV(buf), pem.COMPAT_PRIV(buflen), 1,
			    policy_ext, NULL);
		else if (ret == MBEDTLS_ERR_PEM_NO_HEADER_FOOTER_PRESENT ||
		    ret == MBEDTLS_ERR_PEM_BAD_INPUT_DATA)
			used = 0;         /* nothing more to read */
		mbedtls_pem_free(&pem);
		if (used == 0 || used > len ||
		    ret == MBEDTLS_ERR_X509_ALLOC_FAILED)
			break;
		buf += used;
		len -= used;
		if (ret == 0) {
			good++;
		} else {
			failed++;
			first = first ? first : ret;
		}
	}
	if (ret == MBEDTLS_ERR_X509_ALLOC_FAILED)
		return ret;
	if (good > 0)
		return failed;
	return first ? first : MBEDTLS_ERR_X509_CERT_UNKNOWN_FORMAT;
}

/* Parse certificates into crt; a partial failure is a failure. */
static int parse_certs(ussl_errstate *err, mbedtls_x509_crt *crt,
    const unsigned char *data, size_t len, const char *what)
{
	const unsigned char *in;
	unsigned char *owned;
	size_t in_len;
	int ret;

	in = as_parse_input(data, len, &in_len, &owned);
	if (in == NULL)
		return ussl_err_set(err, USSL_E_NOMEM, "out of memory");
	ret = crt_parse(crt, in, in_len);
	free_parse_input(owned, in_len);
	if (ret == MBEDTLS_ERR_X509_ALLOC_FAILED)
		return ussl_err_set(err, USSL_E_NOMEM, "out of memory");
	if (ret > 0) {
		return ussl_err_set(err, USSL_E_BADCERT,
		    "%s: %d certificate(s) could not be parsed", what, ret);
	}
	if (ret < 0 || crt->raw.p == NULL) {
		ussl_err_set(err, USSL_E_BADCERT,
		    "%s: not a valid PEM or DER certificate", what);
		if (ret < 0)
			append_detail(err, ret);
		return USSL_ERROR;
	}
	return USSL_OK;
}

int eng_ctx_use_cert_chain(ussl_ctx *ctx, const unsigned char *cert,
    size_t cert_len, const unsigned char *key, size_t key_len,
    const char *password)
{
	struct eng_ctx *e = ctx->eng;
	mbedtls_x509_crt chain;
	mbedtls_pk_context pk;
	const unsigned char *in;
	unsigned char *owned;
	size_t in_len, pwlen = password ? strlen(password) : 0;
	int ret;

	mbedtls_x509_crt_init(&chain);
	mbedtls_pk_init(&pk);
	if (parse_certs(&ctx->err, &chain, cert, cert_len,
	    "certificate") != USSL_OK)
		goto fail;
	/* Without a separate key, the key is in the certificate data. */
	if (key == NULL) {
		key = cert;
		key_len = cert_len;
	}
	in = as_parse_input(key, key_len, &in_len, &owned);
	if (in == NULL) {
		ussl_err_set(&ctx->err, USSL_E_NOMEM, "out of memory");
		goto fail;
	}
	ret = compat_pk_parse_key(&pk, in, in_len,
	    (const unsigned char *)password, pwlen, &e->drbg);
	free_parse_input(owned, in_len);
	if (ret != 0) {
		if (ret == MBEDTLS_ERR_PK_PASSWORD_REQUIRED)
			ussl_err_set(&ctx->err, USSL_E_BADKEY,
			    "private key is encrypted and no password given");
		else if (ret == MBEDTLS_ERR_PK_PASSWORD_MISMATCH)
			ussl_err_set(&ctx->err, USSL_E_BADKEY,
			    "wrong password for the private key");
		else if (ret == MBEDTLS_ERR_PK_ALLOC_FAILED)
			ussl_err_set(&ctx->err, USSL_E_NOMEM, "out of memory");
		else
			ussl_err_set(&ctx->err, USSL_E_BADKEY,
			    "not a valid PEM or DER private key");
		append_detail(&ctx->err, ret);
		goto fail;
	}
	ret = compat_pk_check_pair(&chain.pk, &pk, &e->drbg);
	if (ret != 0) {
		ussl_err_set(&ctx->err, USSL_E_BADKEY,
		    "private key does not match the certificate");
		goto fail;
	}
	/* Swap in only now, so a failure leaves the context as it was. */
	mbedtls_x509_crt_free(&e->chain);
	mbedtls_pk_free(&e->key);
	e->chain = chain;
	e->key = pk;
	if ((ret = mbedtls_ssl_conf_own_cert(&e->conf, &e->chain,
	    &e->key)) != 0) {
		ussl_err_set(&ctx->err, USSL_E_NOMEM, "out of memory");
		return USSL_ERROR;
	}
	return USSL_OK;
fail:
	mbedtls_x509_crt_free(&chain);
	mbedtls_pk_free(&pk);
	return USSL_ERROR;
}

int eng_ctx_add_ca(ussl_ctx *ctx, const unsigned char *data, size_t len)
{
	struct eng_ctx *e = ctx->eng;
	mbedtls_x509_crt add;
	mbedtls_x509_crt *last;

	/* Parse apart first so that bad data leaves the store untouched. */
	mbedtls_x509_crt_init(&add);
	if (parse_certs(&ctx->err, &add, data, len, "CA data") != USSL_OK) {
		mbedtls_x509_crt_free(&add);
		return USSL_ERROR;
	}
	if (!e->has_ca) {
		e->ca = add;
		e->has_ca = 1;
	} else {
		/* Append the new list: move its head into a heap node,
		   allocated as mbedtls_x509_crt_free() will free it. */
		mbedtls_x509_crt *head = mbedtls_calloc(1, sizeof(*head));

		if (head == NULL) {
			mbedtls_x509_crt_free(&add);
			return ussl_err_set(&ctx->err, USSL_E_NOMEM,
			    "out of memory");
		}
		*head = add;
		for (last = &e->ca; last->next != NULL; last = last->next)
			;
		last->next = head;
	}
	return conf_apply(ctx);
}

/* ---------------------------------------------------------------------- */
/* Cipher suites                                                           */

/* mbedTLS names suites "TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256" and
   "TLS1-3-AES-128-GCM-SHA256"; the API speaks IANA names. */
static int to_iana(const char *name, char *buf, size_t size)
{
	size_t i;
	int n;

	if (strncmp(name, "TLS1-3-", 7) == 0)
		n = snprintf(buf, size, "TLS_%s", name + 7);
	else
		n = snprintf(buf, size, "%s", name);
	if (n < 0 || (size_t)n >= size)
		return -1;
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] == '-')
			buf[i] = '_';
	return n;
}

/* Suite id for an IANA or mbedTLS name, 0 if the engine lacks it. */
static int suite_id(const char *name)
{
	char buf[80];
	size_t i;
	int n;

	n = mbedtls_ssl_get_ciphersuite_id(name);
	if (n != 0)
		return n;
	if (strncmp(name, "TLS_", 4) != 0 || strlen(name) + 4 > sizeof(buf))
		return 0;
	/* IANA: TLS 1.3 suites have no "_WITH_". */
	if (strstr(name, "_WITH_") == NULL)
		snprintf(buf, sizeof(buf), "TLS1-3-%s", name + 4);
	else
		snprintf(buf, sizeof(buf), "%s", name);
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] == '_')
			buf[i] = '-';
	return mbedtls_ssl_get_ciphersuite_id(buf);
}

int eng_ctx_set_ciphers(ussl_ctx *ctx, const char *const *names, size_t n)
{
	struct eng_ctx *e = ctx->eng;
	int *list;
	size_t i;

	if (n == 0) {
		USSL_FREE(e->suites);
		e->suites = NULL;
		mbedtls_ssl_conf_ciphersuites(&e->conf, ciphersuites);
		return USSL_OK;
	}
	list = USSL_CALLOC(n + 1, sizeof(*list));
	if (list == NULL)
		return ussl_err_set(&ctx->err, USSL_E_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		list[i] = names[i] != NULL ? suite_id(names[i]) : 0;
		if (list[i] == 0) {
			USSL_FREE(list);
			return ussl_err_set(&ctx->err, USSL_E_BADARG,
			    "unknown or unsupported cipher suite: %s",
			    names[i] ? names[i] : "(null)");
		}
	}
	mbedtls_ssl_conf_ciphersuites(&e->conf, list);
	USSL_FREE(e->suites);
	e->suites = list;
	return USSL_OK;
}

int eng_ctx_cipher_name(const ussl_ctx *ctx, size_t i, char *buf,
    size_t size)
{
	const struct eng_ctx *e = ctx->eng;
	const int *list = e->suites ? e->suites : ciphersuites;
	const char *name;
	size_t k;

	for (k = 0; k < i && list[k] != 0; k++)
		;
	if (list[k] == 0)
		return -1;
	name = mbedtls_ssl_get_ciphersuite_name(list[k]);
	return name != NULL ? to_iana(name, buf, size) : -1;
}

/* ---------------------------------------------------------------------- */
/* Verification glue                                                       */

static unsigned map_vflags(uint32_t f)
{
	unsigned u = 0;

	if (f & MBEDTLS_X509_BADCERT_EXPIRED)
		u |= USSL_VFY_EXPIRED;
	if (f & MBEDTLS_X509_BADCERT_FUTURE)
		u |= USSL_VFY_NOT_YET_VALID;
	if (f & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
		u |= USSL_VFY_UNTRUSTED;
	if (f & MBEDTLS_X509_BADCERT_CN_MISMATCH)
		u |= USSL_VFY_NAME_MISMATCH;
	if (f & (MBEDTLS_X509_BADCERT_KEY_USAGE |
	    MBEDTLS_X509_BADCERT_EXT_KEY_USAGE | MBEDTLS_X509_BADCERT_NS_CERT_TYPE))
		u |= USSL_VFY_BAD_USAGE;
	if (f & MBEDTLS_X509_BADCERT_REVOKED)
		u |= USSL_VFY_REVOKED;
	if (f & MBEDTLS_X509_BADCERT_MISSING)
		u |= USSL_VFY_NO_CERT;
	if (f & MBEDTLS_X509_BADCERT_BAD_MD)
		u |= USSL_VFY_BAD_SIGNATURE;
	if (f & (MBEDTLS_X509_BADCERT_BAD_PK | MBEDTLS_X509_BADCERT_BAD_KEY))
		u |= USSL_VFY_BAD_KEY;
	if (f & MBEDTLS_X509_BADCERT_OTHER)
		u |= USSL_VFY_POLICY;
	if (f & MBEDTLS_X509_BADCERT_SKIP_VERIFY)
		u |= USSL_VFY_OTHER;
	if (f != 0 && u == 0)
		u = USSL_VFY_OTHER;
	return u;
}

/* The inverse of map_vflags, for flags a verify callback set. */
static uint32_t unmap_vflags(unsigned u)
{
	uint32_t f = 0;

	if (u & USSL_VFY_EXPIRED)
		f |= MBEDTLS_X509_BADCERT_EXPIRED;
	if (u & USSL_VFY_NOT_YET_VALID)
		f |= MBEDTLS_X509_BADCERT_FUTURE;
	if (u & USSL_VFY_UNTRUSTED)
		f |= MBEDTLS_X509_BADCERT_NOT_TRUSTED;
	if (u & USSL_VFY_NAME_MISMATCH)
		f |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
	if (u & USSL_VFY_BAD_USAGE)
		f |= MBEDTLS_X509_BADCERT_EXT_KEY_USAGE;
	if (u & USSL_VFY_NO_CERT)
		f |= MBEDTLS_X509_BADCERT_MISSING;
	if (u & USSL_VFY_REVOKED)
		f |= MBEDTLS_X509_BADCERT_REVOKED;
	if (u & USSL_VFY_BAD_SIGNATURE)
		f |= MBEDTLS_X509_BADCERT_BAD_MD;
	if (u & USSL_VFY_BAD_KEY)
		f |= MBEDTLS_X509_BADCERT_BAD_KEY;
	if (u & USSL_VFY_POLICY)
		f |= MBEDTLS_X509_BADCERT_OTHER;
	if (u & USSL_VFY_OTHER)
		f |= MBEDTLS_X509_BADCERT_SKIP_VERIFY;
	return f;
}

static int san_next(const void *cert, const void **it, int *type,
    const unsigned char **p, size_t *len)
{
	const mbedtls_x509_crt *c = cert;
	const mbedtls_x509_sequence *s = *it;

	s = s == NULL ? &c->subject_alt_names : s->next;
	if (s == NULL || s->buf.p == NULL)
		return 0;
	*it = s;
	*type = s->buf.tag & MBEDTLS_ASN1_TAG_VALUE_MASK;
	*p = s->buf.p;
	*len = s->buf.len;
	return 1;
}

/* Fill the engine-neutral view of a leaf that verify.c inspects. */
static void leaf_view(const mbedtls_x509_crt *c, ussl_leaf_view *v)
{
	const mbedtls_x509_name *n;
	const mbedtls_x509_sequence *s;

	memset(v, 0, sizeof(*v));
	v->cert = c;
	v->next_san = san_next;
	v->has_san = compat_crt_has_ext(c, MBEDTLS_X509_EXT_SUBJECT_ALT_NAME);
	for (n = &c->subject; n != NULL; n = n->next) {
		if (n->oid.p != NULL && MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN,
		    &n->oid) == 0) {
			v->cn = n->val.p;
			v->cn_len = n->val.len;
		}
	}
	v->is_ca = compat_crt_is_ca(c);
	v->has_eku = compat_crt_has_ext(c, MBEDTLS_X509_EXT_EXTENDED_KEY_USAGE);
	for (s = &c->ext_key_usage; v->has_eku && s != NULL; s = s->next) {
		if (s->buf.p == NULL)
			continue;
		if (MBEDTLS_OID_CMP(MBEDTLS_OID_SERVER_AUTH, &s->buf) == 0)
			v->eku_server = 1;
		else if (MBEDTLS_OID_CMP(MBEDTLS_OID_CLIENT_AUTH, &s->buf) == 0)
			v->eku_client = 1;
		else if (MBEDTLS_OID_CMP(MBEDTLS_OID_ANY_EXTENDED_KEY_USAGE,
		    &s->buf) == 0)
			v->eku_any = 1;
	}
}

/* Validity judged at a fixed time instead of the engine's clock. */
static uint32_t time_flags(const mbedtls_x509_crt *c, int64_t now)
{
	const mbedtls_x509_time *f = &c->valid_from, *t = &c->valid_to;
	uint32_t flags = 0;

	if (now < ussl_epoch(f->year, f->mon, f->day, f->hour, f->min, f->sec))
		flags |= MBEDTLS_X509_BADCERT_FUTURE;
	if (now > ussl_epoch(t->year, t->mon, t->day, t->hour, t->min, t->sec))
		flags |= MBEDTLS_X509_BADCERT_EXPIRED;
	return flags;
}

/*
 * Called by mbedTLS for every certificate of the chain, root first.  At
 * the leaf our policy replaces mbedTLS's own name check (which knows
 * nothing of IP addresses and falls back to the CN too eagerly).
 */
static void set_peer(struct eng_conn *e, unsigned char *der, size_t len)
{
	USSL_FREE(e->peer);
	e->peer = der;
	e->peer_len = len;
}

/* The peer's leaf (DER), NULL if none. */
static const unsigned char *peer_der(const struct eng_conn *e, size_t *len)
{
#if COMPAT_KEEPS_PEER_CERT
	const mbedtls_x509_crt *c;
#endif

	if (e->peer != NULL) {
		*len = e->peer_len;
		return e->peer;
	}
#if COMPAT_KEEPS_PEER_CERT
	/* A server: the client's leaf stays in mbedTLS's session, a resumed
	   one's too (a client keeps its own copy, see drop_peer_chain). */
	c = mbedtls_ssl_get_peer_cert(&e->ssl);
	if (c != NULL && c->raw.p != NULL) {
		*len = c->raw.len;
		return c->raw.p;
	}
#endif
	return NULL;
}

/*
 * After the handshake mbedTLS no longer needs the peer's chain, which it
 * keeps parsed (about 2 KB per certificate) for the connection's life.
 * A client keeps just the leaf's DER itself (peer, and in its session
 * data) and drops the whole chain; a server keeps the client's leaf in
 * the session, where a resumed session finds it, and drops the rest.
 */
static void drop_peer_chain(struct eng_conn *e, int role)
{
#if COMPAT_KEEPS_PEER_CERT
	mbedtls_ssl_session *s = e->ssl.COMPAT_PRIV(session);
	mbedtls_x509_crt *leaf;

	if (s == NULL || (leaf = s->COMPAT_PRIV(peer_cert)) == NULL)
		return;
	if (role == USSL_CLIENT && e->peer != NULL) {
		mbedtls_x509_crt_free(leaf);
		mbedtls_free(leaf);
		s->COMPAT_PRIV(peer_cert) = NULL;
	} else if (leaf->next != NULL) {
		mbedtls_x509_crt_free(leaf->next);   /* frees all but itself */
		mbedtls_free(leaf->next);
		leaf->next = NULL;
	}
#else
	(void)e;
	(void)role;
#endif
}

static int keep_peer(struct eng_conn *e, const mbedtls_x509_crt *crt)
{
	unsigned char *der = USSL_CALLOC(1, crt->raw.len);

	if (der == NULL)
		return -1;
	memcpy(der, crt->raw.p, crt->raw.len);
	set_peer(e, der, crt->raw.len);
	return 0;
}

static int verify_cb(void *arg, mbedtls_x509_crt *crt, int depth,
    uint32_t *flags)
{
	struct vrun *vr = arg;
	const ussl_vstate *vs = vr->vs;
	ussl_leaf_view v;
	unsigned ours;

	/* mbedTLS may call back for an empty certificate (a peer that sent
	   none): there is nothing to judge or to show the user's callback. */
	if (crt == NULL || crt->raw.p == NULL || crt->raw.len == 0) {
		*flags |= MBEDTLS_X509_BADCERT_MISSING;
		*vs->flags |= map_vflags(*flags);
		return 0;
	}
	/* A server whose mbedTLS keeps the client's leaf in the session (see
	   drop_peer_chain) needs no second copy. */
	if (depth == 0 && vr->e != NULL &&
	    (vs->role == USSL_CLIENT || !COMPAT_KEEPS_PEER_CERT) &&
	    keep_peer(vr->e, crt) != 0)
		return MBEDTLS_ERR_X509_ALLOC_FAILED;
	if (vr->e != NULL && vs->ctx->verify == USSL_VERIFY_NONE) {
		/* A client connection that does not verify (see conf_apply);
		   ussl_ctx_verify_chain judges whatever the mode. */
		*flags = 0;
		return 0;
	}
	if (vs->at_time != 0) {
		*flags &= ~(uint32_t)(MBEDTLS_X509_BADCERT_EXPIRED |
		    MBEDTLS_X509_BADCERT_FUTURE);
		*flags |= time_flags(crt, vs->at_time);
	}
	if (vr->chain == NULL &&
	    (vr->chain = USSL_CALLOC(1, sizeof(*vr->chain))) == NULL)
		return MBEDTLS_ERR_X509_ALLOC_FAILED;
	ussl_chain_note(vr->chain, depth, crt->raw.p, crt->raw.len);
	if (depth == 0) {
		*flags &= ~(uint32_t)MBEDTLS_X509_BADCERT_CN_MISMATCH;
		leaf_view(crt, &v);
		v.chain = vr->chain;
		ours = ussl_verify_leaf(vs, &v);
		*flags |= unmap_vflags(ours);
		/* The leaf comes last: the next verification starts afresh. */
		memset(vr->chain, 0, sizeof(*vr->chain));
	}
	if (vs->ctx->verify_fn != NULL) {
		unsigned uf = map_vflags(*flags);

		if (vs->ctx->verify_fn(vs->ctx->verify_arg, crt->raw.p,
		    crt->raw.len, depth, &uf) != 0)
			uf |= USSL_VFY_OTHER;
		*flags = unmap_vflags(uf);
	}
	*vs->flags |= map_vflags(*flags);
	return 0;
}

/*
 * mbedTLS looks for a certificate's issuer among the trusted CAs and then
 * only among the certificates after it in the list.  Callers may give
 * intermediates in any order, so put them in issuing order: first those
 * named as the leaf's issuer, then their issuers, and so on; the others
 * follow in their own order.  Out of memory: left as given.
 */
static int self_issued(const mbedtls_x509_crt *c)
{
	return c->issuer_raw.len == c->subject_raw.len &&
	    memcmp(c->issuer_raw.p, c->subject_raw.p, c->subject_raw.len) == 0;
}

static void order_chain(mbedtls_x509_crt *leaf)
{
	mbedtls_x509_crt *c, **pool, **out;
	const mbedtls_x509_buf *iss;
	size_t n = 0, placed = 0, lo = 0, hi = 0, i, j, start, pass;
	int first = 1;

	for (c = leaf->next; c != NULL; c = c->next)
		n++;
	if (n < 2)
		return;
	pool = USSL_CALLOC(n, sizeof(*pool));
	out = USSL_CALLOC(n, sizeof(*out));
	if (pool == NULL || out == NULL)
		goto done;
	for (i = 0, c = leaf->next; c != NULL; c = c->next)
		pool[i++] = c;
	for (;;) {
		start = placed;
		/* Self-issued certificates first (pass 0): of two with one
		   name, a key-rollover certificate signs what is below it. */
		for (pass = 0; pass < 2 * n; pass++) {
			i = pass % n;
			if (pool[i] == NULL || (pass < n) != self_issued(pool[i]))
				continue;
			for (j = lo; pool[i] != NULL &&
			    j < (first ? lo + 1 : hi); j++) {
				iss = first ? &leaf->issuer_raw :
				    &out[j]->issuer_raw;
				if (iss->len == pool[i]->subject_raw.len &&
				    memcmp(iss->p, pool[i]->subject_raw.p,
				    iss->len) == 0) {
					out[placed++] = pool[i];
					pool[i] = NULL;
				}
			}
		}
		if (placed == start)
			break;
		lo = start;
		hi = placed;
		first = 0;
	}
	for (i = 0; i < n; i++)
		if (pool[i] != NULL)
			out[placed++] = pool[i];
	leaf->next = out[0];
	for (i = 0; i + 1 < n; i++)
		out[i]->next = out[i + 1];
	out[n - 1]->next = NULL;
done:
	USSL_FREE(pool);
	USSL_FREE(out);
}

int eng_verify_chain(const ussl_vstate *vs, const unsigned char *const *certs,
    const size_t *lens, size_t n)
{
	struct eng_ctx *ec = vs->ctx->eng;
	mbedtls_x509_crt chain;
	struct vrun vr;
	ussl_chain chain_view;
	uint32_t flags = 0;
	size_t i;
	int ret;

	mbedtls_x509_crt_init(&chain);
	for (i = 0; i < n; i++) {
		if (parse_certs(&vs->ctx->err, &chain, certs[i], lens[i],
		    i == 0 ? "leaf certificate" : "intermediate") != USSL_OK) {
			mbedtls_x509_crt_free(&chain);
			return USSL_ERROR;
		}
	}
	order_chain(&chain);
	memset(&vr, 0, sizeof(vr));
	memset(&chain_view, 0, sizeof(chain_view));
	vr.chain = &chain_view;
	vr.vs = vs;
	ret = mbedtls_x509_crt_verify_with_profile(&chain,
	    ec->has_ca ? &ec->ca : NULL, NULL,
	    &mbedtls_x509_crt_profile_default, NULL, &flags,
	    verify_cb, &vr);
	if (ret != 0 && flags == 0)
		flags = MBEDTLS_X509_BADCERT_OTHER;
	*vs->flags |= map_vflags(flags);
	mbedtls_x509_crt_free(&chain);
	return USSL_OK;
}

/* ---------------------------------------------------------------------- */
/* Connection                                                              */

static int bio_send(void *arg, const unsigned char *buf, size_t len)
{
	long r = eng_io_send(arg, buf, len);

	if (r >= 0)
		return (int)r;
	return r == USSL_WANT_WRITE ? MBEDTLS_ERR_SSL_WANT_WRITE :
	    r == USSL_WANT_READ ? MBEDTLS_ERR_SSL_WANT_READ : IO_FAILED;
}

static int bio_recv(void *arg, unsigned char *buf, size_t len)
{
	long r = eng_io_recv(arg, buf, len);

	if (r >= 0)
		return (int)r;   /* 0 is end of stream: mbedTLS says CONN_EOF */
	return r == USSL_WANT_READ ? MBEDTLS_ERR_SSL_WANT_READ :
	    r == USSL_WANT_WRITE ? MBEDTLS_ERR_SSL_WANT_WRITE : IO_FAILED;
}

int eng_conn_init(ussl_conn *conn)
{
	struct eng_ctx *ec = conn->ctx->eng;
	struct eng_conn *e;
	int ret;

	e = USSL_CALLOC(1, sizeof(*e));
	if (e == NULL)
		return ussl_err_set(&conn->err, USSL_E_NOMEM, "out of memory");
	conn->eng = e;
	mbedtls_ssl_init(&e->ssl);
	ret = mbedtls_ssl_setup(&e->ssl, &ec->conf);
	if (ret == 0 && conn->role == USSL_CLIENT) {
		/* SNI and mbedTLS's name check take the DNS name; an IP
		   literal is never sent as SNI and is checked by us. */
		ret = mbedtls_ssl_set_hostname(&e->ssl,
		    conn->name.host != NULL && !conn->name.is_ip ?
		    conn->name.host : NULL);
	}
	if (ret != 0) {
		ussl_err_set(&conn->err, ret == MBEDTLS_ERR_SSL_ALLOC_FAILED ?
		    USSL_E_NOMEM : USSL_E_CONFIG, "cannot set up TLS session");
		append_detail(&conn->err, ret);
		eng_conn_free(conn);
		return USSL_ERROR;
	}
	e->vs.ctx = conn->ctx;
	e->vs.role = conn->role;
	e->vs.name = conn->role == USSL_CLIENT ? &conn->name : NULL;
	e->vs.at_time = 0;
	e->vs.flags = &conn->verify_flags;
	e->vr.vs = &e->vs;
	e->vr.e = e;
	mbedtls_ssl_set_verify(&e->ssl, verify_cb, &e->vr);
	mbedtls_ssl_set_bio(&e->ssl, conn, bio_send, bio_recv, NULL);
	return USSL_OK;
}

void eng_conn_free(ussl_conn *conn)
{
	struct eng_conn *e = conn->eng;

	if (e == NULL)
		return;
	if (e->session != NULL) {
		ussl_wipe(e->session, e->session_len);
		USSL_FREE(e->session);
	}
	USSL_FREE(e->peer);
	USSL_FREE(e->resume_peer);
	USSL_FREE(e->vr.chain);
	USSL_FREE(e->cipher);
	mbedtls_ssl_free(&e->ssl);
	ussl_wipe(e, sizeof(*e));
	USSL_FREE(e);
	conn->eng = NULL;
}

/*
 * Turn an mbedTLS failure into the library's error.  The transport's own
 * outcome (errno, EOF, timeout) takes precedence over mbedTLS's code.
 */
static int fail(ussl_conn *conn, int ret, const char *during)
{
	struct eng_conn *e = conn->eng;
	ussl_errstate *err = &conn->err;
	char vtext[200];
	int alert;

	if (ret == MBEDTLS_ERR_SSL_WANT_READ)
		return USSL_WANT_READ;
	if (ret == MBEDTLS_ERR_SSL_WANT_WRITE)
		return USSL_WANT_WRITE;
	if (ret == IO_FAILED && conn->tr_errno != 0) {
		ussl_err_set(err, USSL_E_IO, "%s: transport error", during);
		err->pub.sys_errno = conn->tr_errno;
		return USSL_ERROR;
	}
	switch (ret) {
	case MBEDTLS_ERR_X509_CERT_VERIFY_FAILED:
	case MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE:
		if (ret == MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE) {
			conn->verify_flags |= USSL_VFY_NO_CERT;
			/* mbedTLS 3.6 leaves the client waiting: tell it. */
			mbedtls_ssl_send_alert_message(&e->ssl,
			    MBEDTLS_SSL_ALERT_LEVEL_FATAL,
			    COMPAT_ALERT_CERT_REQUIRED);
		}
		if (conn->verify_flags == 0)
			conn->verify_flags = map_vflags(
			    mbedtls_ssl_get_verify_result(&e->ssl));
		if (conn->verify_flags == 0)
			conn->verify_flags = USSL_VFY_OTHER;
		ussl_vfy_describe(conn->verify_flags, vtext, sizeof(vtext));
		ussl_err_set(err, USSL_E_VERIFY,
		    "certificate verify failed: %s", vtext);
		err->pub.verify = conn->verify_flags;
		return USSL_ERROR;
	case MBEDTLS_ERR_SSL_CONN_EOF:
		return ussl_err_set(err, USSL_E_TRUNCATED, conn->state ==
		    ST_HANDSHAKE ? "connection closed by peer during the "
		    "handshake" : "connection truncated: peer closed the "
		    "transport without close_notify");
	case MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE:
		alert = compat_last_alert(&e->ssl);
		ussl_err_set(err, USSL_E_PEER_ALERT,
		    "%s: peer sent fatal alert %d (%s)", during, alert,
		    ussl_alert_name(alert));
		err->pub.alert = alert;
		return USSL_ERROR;
	case MBEDTLS_ERR_SSL_ALLOC_FAILED:
	case MBEDTLS_ERR_X509_ALLOC_FAILED:
	case MBEDTLS_ERR_PK_ALLOC_FAILED:
		return ussl_err_set(err, USSL_E_NOMEM, "%s: out of memory",
		    during);
	case COMPAT_ERR_NO_CIPHER:
	case COMPAT_ERR_HS_FAILURE:
	case COMPAT_ERR_BAD_VERSION:
	case COMPAT_ERR_NO_USABLE_SUITE:
	case MBEDTLS_ERR_SSL_NO_APPLICATION_PROTOCOL:
	case MBEDTLS_ERR_SSL_UNSUPPORTED_EXTENSION:
		ussl_err_set(err, USSL_E_HANDSHAKE,
		    "%s: no protocol version, cipher or parameters in common",
		    during);
		break;
	case MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY:
		ussl_err_set(err, USSL_E_PROTOCOL,
		    "%s: peer closed the connection", during);
		break;
	default:
		ussl_err_set(err, USSL_E_PROTOCOL, "%s failed", during);
		break;
	}
	append_detail(err, ret);
	return USSL_ERROR;
}

/* Server with VERIFY_OPTIONAL: mbedTLS lets a bad certificate through
   (its OPTIONAL means "do not enforce"); ours means "check if sent". */
static int check_optional_client_cert(ussl_conn *conn)
{
	struct eng_conn *e = conn->eng;
	uint32_t flags;
	size_t len;

	if (peer_der(e, &len) == NULL)
		return USSL_OK;
	flags = mbedtls_ssl_get_verify_result(&e->ssl);
	if (flags == 0)
		return USSL_OK;
	mbedtls_ssl_send_alert_message(&e->ssl, MBEDTLS_SSL_ALERT_LEVEL_FATAL,
	    MBEDTLS_SSL_ALERT_MSG_BAD_CERT);
	conn->verify_flags |= map_vflags(flags);
	return fail(conn, MBEDTLS_ERR_X509_CERT_VERIFY_FAILED, "handshake");
}

/*
 * Session data: mbedTLS's serialized session, preceded by the peer's leaf
 * (which the client keeps apart, see drop_peer_chain), so that a resumed
 * connection still shows the certificate it was verified with:
 *     "uSP1" | leaf length (4 bytes, big endian) | leaf | mbedTLS session
 */
#define SESS_MAGIC "uSP1"
#define SESS_HDR 8

/* mbedTLS's serialized form of the connection's session, in a new
   buffer; NULL if there is none or memory ran out. */
static unsigned char *serialize_session(const struct eng_conn *e,
    size_t *len)
{
	mbedtls_ssl_session s;
	unsigned char *buf = NULL;

	*len = 0;
	mbedtls_ssl_session_init(&s);
	if (mbedtls_ssl_get_session(&e->ssl, &s) == 0 &&
	    mbedtls_ssl_session_save(&s, NULL, 0, len) ==
	    MBEDTLS_ERR_SSL_BUFFER_TOO_SMALL && *len > 0 &&
	    (buf = USSL_CALLOC(1, *len)) != NULL &&
	    mbedtls_ssl_session_save(&s, buf, *len, len) != 0) {
		USSL_FREE(buf);
		buf = NULL;
	}
	mbedtls_ssl_session_free(&s);
	return buf;
}

/* Keep the current session, serialized (mbedTLS gives each session out
   once): TLS 1.3 when a ticket arrives, TLS 1.2 when first asked for, so
   that a connection nobody asks holds no copy. */
static void keep_session(struct eng_conn *e)
{
	unsigned char *buf;
	size_t len;

	if ((buf = serialize_session(e, &len)) == NULL)
		return;
	if (e->session != NULL) {
		ussl_wipe(e->session, e->session_len);
		USSL_FREE(e->session);
	}
	e->session = buf;
	e->session_len = len;
}

int eng_handshake(ussl_conn *conn)
{
	struct eng_conn *e = conn->eng;
	size_t len;
	int ret, st;

	/* mbedtls_ssl_handshake() step by step, to see whether the
	   certificate step ran (it does not when a session is resumed). */
	while ((st = compat_ssl_state(&e->ssl)) != MBEDTLS_SSL_HANDSHAKE_OVER) {
		long r;

		if (st == MBEDTLS_SSL_SERVER_CERTIFICATE)
			e->saw_cert_state = 1;
		/* Before signing, let the peer have the messages so far (a
		   server's certificate above all): it checks them while we
		   sign, instead of waiting for the whole flight. */
		if ((st == MBEDTLS_SSL_SERVER_KEY_EXCHANGE ||
		    st == MBEDTLS_SSL_CERTIFICATE_VERIFY) &&
		    (r = eng_io_flush(conn)) != 0)
			return (int)r;
		ret = mbedtls_ssl_handshake_step(&e->ssl);
		if (ret == COMPAT_ERR_NEW_TICKET) {
			keep_session(conn->eng);
			continue;
		}
		if (ret != 0)
			return fail(conn, ret, "handshake");
	}
	if (conn->role == USSL_SERVER &&
	    conn->ctx->verify == USSL_VERIFY_OPTIONAL &&
	    check_optional_client_cert(conn) != USSL_OK)
		return USSL_ERROR;
	if (e->peer == NULL && e->resume_peer != NULL &&
	    !e->saw_cert_state) {
		/* Resumed: the leaf saved with the session is the peer's. */
		set_peer(e, e->resume_peer, e->resume_peer_len);
		e->resume_peer = NULL;
	}
	USSL_FREE(e->resume_peer);
	e->resume_peer = NULL;
	drop_peer_chain(e, conn->role);
	USSL_FREE(e->vr.chain);
	e->vr.chain = NULL;

	conn->peer_verified = conn->ctx->verify != USSL_VERIFY_NONE &&
	    peer_der(e, &len) != NULL &&
	    mbedtls_ssl_get_verify_result(&e->ssl) == 0;
	return USSL_OK;
}

long eng_read(ussl_conn *conn, unsigned char *buf, size_t len)
{
	struct eng_conn *e = conn->eng;
	int ret, again = 0;

	if (len > 0x7fffffff)
		len = 0x7fffffff;
	for (;;) {
		conn->tr_blocked = 0;
		ret = mbedtls_ssl_read(&e->ssl, buf, len);
		if (ret > 0)
			return ret;
		/* A TLS 1.3 ticket is not data: keep it and go on. */
		if (ret == COMPAT_ERR_NEW_TICKET) {
			keep_session(conn->eng);
			continue;
		}
		/* mbedTLS also says WANT_READ after a post-handshake message
		   or an ignored warning alert, meaning "call again", with the
		   transport never asked: on a blocking socket that would look
		   like a would-block.  Call again while that is so (bounded:
		   each round consumes a record). */
		if ((ret == MBEDTLS_ERR_SSL_WANT_READ ||
		    ret == MBEDTLS_ERR_SSL_WANT_WRITE) && !conn->tr_blocked &&
		    ++again < 64)
			continue;
		/* mbedTLS reports a transport EOF without close_notify as 0. */
		if (ret == 0)
			ret = MBEDTLS_ERR_SSL_CONN_EOF;
		if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
			return 0;
		return fail(conn, ret, "read");
	}
}

long eng_write(ussl_conn *conn, const unsigned char *buf, size_t len)
{
	struct eng_conn *e = conn->eng;
	size_t before;
	int ret;

	if (len > 0x7fffffff)
		len = 0x7fffffff;
	/*
	 * The caller repeats a write that returned WANT_* with the same data.
	 * mbedTLS then just flushes the half-sent record -- unless something
	 * else flushed it meanwhile (a read that processed a TLS 1.3 ticket
	 * runs a handshake step, which flushes first): mbedTLS would then
	 * take the repeat for new data and send the record twice.
	 */
	for (;;) {
		if (e->write_pending > 0 && compat_out_left(&e->ssl) == 0) {
			size_t n = e->write_pending < len ?
			    e->write_pending : len;

			e->write_pending = 0;
			return (long)n;
		}
		before = compat_out_left(&e->ssl);
		ret = mbedtls_ssl_write(&e->ssl, buf, len);
		/* A TLS 1.3 ticket read on the way is no failure: keep it,
		   then look again (handling it may have flushed our record). */
		if (ret != COMPAT_ERR_NEW_TICKET)
			break;
		keep_session(conn->eng);
	}
	if (ret >= 0) {
		e->write_pending = 0;
		return ret;
	}
	if ((ret == MBEDTLS_ERR_SSL_WANT_WRITE ||
	    ret == MBEDTLS_ERR_SSL_WANT_READ) && e->write_pending == 0 &&
	    before == 0 && compat_out_left(&e->ssl) > 0) {
		size_t max = (size_t)mbedtls_ssl_get_max_out_record_payload(
		    &e->ssl);

		e->write_pending = len < max ? len : max;
	}
	return fail(conn, ret, "write");
}

int eng_close_notify(ussl_conn *conn)
{
	int ret;

	while ((ret = mbedtls_ssl_close_notify(&conn->eng->ssl)) ==
	    COMPAT_ERR_NEW_TICKET)
		keep_session(conn->eng);
	return ret == 0 ? USSL_OK : fail(conn, ret, "close");
}

size_t eng_pending(const ussl_conn *conn)
{
	return mbedtls_ssl_get_bytes_avail(&conn->eng->ssl);
}

const char *eng_conn_version(const ussl_conn *conn)
{
	return mbedtls_ssl_get_version(&conn->eng->ssl);
}

const char *eng_conn_cipher(const ussl_conn *conn)
{
	struct eng_conn *e = conn->eng;
	const char *name = mbedtls_ssl_get_ciphersuite(&e->ssl);

	if (name == NULL || (e->cipher == NULL &&
	    (e->cipher = USSL_CALLOC(1, CIPHER_NAME_MAX)) == NULL) ||
	    to_iana(name, e->cipher, CIPHER_NAME_MAX) < 0)
		return NULL;
	return e->cipher;
}

int eng_conn_cipher_bits(const ussl_conn *conn)
{
	const char *c = eng_conn_cipher(conn);

	if (c == NULL)
		return 0;
	if (strstr(c, "_128_") != NULL)
		return 128;
	if (strstr(c, "_256_") != NULL || strstr(c, "CHACHA20") != NULL)
		return 256;
	return 0;
}

const char *eng_conn_alpn(const ussl_conn *conn)
{
#if defined(MBEDTLS_SSL_ALPN)
	return mbedtls_ssl_get_alpn_protocol(&conn->eng->ssl);
#else
	(void)conn;
	return NULL;
#endif
}

int eng_conn_peer_cert(const ussl_conn *conn, const unsigned char **der,
    size_t *len)
{
	*der = peer_der(conn->eng, len);
	return *der != NULL ? 0 : -1;
}

int eng_conn_get_session(const ussl_conn *conn, unsigned char *buf,
    size_t *len)
{
	struct eng_conn *e = conn->eng;
	const unsigned char *leaf;
	size_t leaf_len = 0, total;

	if (e->session == NULL && conn->role == USSL_CLIENT &&
	    conn->hs_complete &&
	    strcmp(mbedtls_ssl_get_version(&e->ssl), "TLSv1.2") == 0)
		keep_session(e);
	if ((leaf = peer_der(e, &leaf_len)) == NULL)
		leaf_len = 0;
	total = SESS_HDR + leaf_len + e->session_len;
	if (e->session == NULL || buf == NULL || *len < total) {
		*len = e->session != NULL ? total : 0;
		return -1;
	}
	memcpy(buf, SESS_MAGIC, 4);
	buf[4] = (unsigned char)(leaf_len >> 24);
	buf[5] = (unsigned char)(leaf_len >> 16);
	buf[6] = (unsigned char)(leaf_len >> 8);
	buf[7] = (unsigned char)leaf_len;
	if (leaf_len > 0)
		memcpy(buf + SESS_HDR, leaf, leaf_len);
	memcpy(buf + SESS_HDR + leaf_len, e->session, e->session_len);
	*len = total;
	return 0;
}

int eng_conn_set_session(ussl_conn *conn, const unsigned char *buf,
    size_t len)
{
	struct eng_conn *e = conn->eng;
	mbedtls_ssl_session s;
	unsigned char *leaf = NULL;
	size_t leaf_len = 0;
	int ret;

	if (len < SESS_HDR || memcmp(buf, SESS_MAGIC, 4) != 0)
		return ussl_err_set(&conn->err, USSL_E_BADARG,
		    "unusable session data (not from this build)");
	leaf_len = (size_t)buf[4] << 24 | (size_t)buf[5] << 16 |
	    (size_t)buf[6] << 8 | buf[7];
	if (leaf_len > len - SESS_HDR)
		return ussl_err_set(&conn->err, USSL_E_BADARG,
		    "unusable session data (truncated)");
	if (leaf_len > 0) {
		if ((leaf = USSL_CALLOC(1, leaf_len)) == NULL)
			return ussl_err_set(&conn->err, USSL_E_NOMEM,
			    "out of memory");
		memcpy(leaf, buf + SESS_HDR, leaf_len);
	}
	buf += SESS_HDR + leaf_len;
	len -= SESS_HDR + leaf_len;
	mbedtls_ssl_session_init(&s);
	ret = mbedtls_ssl_session_load(&s, buf, len);
	if (ret == 0)
		ret = mbedtls_ssl_set_session(&conn->eng->ssl, &s);
	mbedtls_ssl_session_free(&s);
	if (ret != 0) {
		USSL_FREE(leaf);
		ussl_err_set(&conn->err, ret == MBEDTLS_ERR_SSL_ALLOC_FAILED ?
		    USSL_E_NOMEM : USSL_E_BADARG, "unusable session data");
		append_detail(&conn->err, ret);
		return USSL_ERROR;
	}
	USSL_FREE(e->resume_peer);
	e->resume_peer = leaf;
	e->resume_peer_len = leaf_len;
	return USSL_OK;
}

int eng_conn_session_reused(const ussl_conn *conn)
{
	return !conn->eng->saw_cert_state;
}

int eng_cert_dn(const unsigned char *der, size_t len, int issuer, char *buf,
    size_t size)
{
	mbedtls_x509_crt c;
	int ret;

	mbedtls_x509_crt_init(&c);
	ret = mbedtls_x509_crt_parse_der(&c, der, len);
	if (ret == 0)
		ret = mbedtls_x509_dn_gets(buf, size,
		    issuer ? &c.issuer : &c.subject);
	mbedtls_x509_crt_free(&c);
	return ret < 0 ? -1 : ret;
}

int eng_cert_self_signed(const unsigned char *der, size_t len)
{
	unsigned char hash[MBEDTLS_MD_MAX_SIZE];
	const mbedtls_md_info_t *md;
	mbedtls_x509_crt c;
	int r = 0;

	mbedtls_x509_crt_init(&c);
	if (mbedtls_x509_crt_parse_der(&c, der, len) == 0 &&
	    (md = mbedtls_md_info_from_type(c.COMPAT_PRIV(sig_md))) != NULL &&
	    mbedtls_md(md, c.tbs.p, c.tbs.len, hash) == 0)
		r = mbedtls_pk_verify_ext(c.COMPAT_PRIV(sig_pk),
		    c.COMPAT_PRIV(sig_opts), &c.pk, c.COMPAT_PRIV(sig_md), hash,
		    mbedtls_md_get_size(md), c.COMPAT_PRIV(sig).p,
		    c.COMPAT_PRIV(sig).len) == 0;
	mbedtls_x509_crt_free(&c);
	return r;
}
