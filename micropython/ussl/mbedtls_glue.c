/*
 * mbedtls_glue.c - the binding's only direct use of mbedTLS: what the
 * stock `tls` module exposed of it (verification text, the engine's suite
 * names), the PSA key slot budget, the entropy hook some ports leave to
 * the stock module, and a PSA initialiser for mbedTLS builds without PSA.
 */
#include "py/mpconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/ssl.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>
#if MBEDTLS_VERSION_MAJOR >= 3
#include <psa/crypto.h>
#endif

#include "ussl_mp.h"

/*
 * The core reads certificates and keys in PEM as well as DER.  Ports'
 * own mbedTLS configurations may leave PEM out (MicroPython 1.26's does;
 * ussl_mbedtls_config.h puts it back): say so here rather than fail at
 * run time on every PEM input.
 */
#if USSL_MP_PEM && MBEDTLS_VERSION_MAJOR >= 3 && \
	(!defined(MBEDTLS_PEM_PARSE_C) || !defined(MBEDTLS_BASE64_C))
#error "ussl needs MBEDTLS_PEM_PARSE_C and MBEDTLS_BASE64_C in the mbedTLS configuration (micropython/ussl/ussl_mbedtls_config.h has them)"
#endif

static const struct {
	unsigned ours;
	uint32_t theirs;
} vflag_map[] = {
	{ USSL_VFY_EXPIRED, MBEDTLS_X509_BADCERT_EXPIRED },
	{ USSL_VFY_NOT_YET_VALID, MBEDTLS_X509_BADCERT_FUTURE },
	{ USSL_VFY_UNTRUSTED, MBEDTLS_X509_BADCERT_NOT_TRUSTED },
	{ USSL_VFY_NAME_MISMATCH, MBEDTLS_X509_BADCERT_CN_MISMATCH },
	{ USSL_VFY_BAD_USAGE, MBEDTLS_X509_BADCERT_EXT_KEY_USAGE },
	{ USSL_VFY_NO_CERT, MBEDTLS_X509_BADCERT_MISSING },
	{ USSL_VFY_REVOKED, MBEDTLS_X509_BADCERT_REVOKED },
	{ USSL_VFY_BAD_SIGNATURE, MBEDTLS_X509_BADCERT_BAD_MD },
	{ USSL_VFY_BAD_KEY, MBEDTLS_X509_BADCERT_BAD_KEY },
	{ USSL_VFY_POLICY, MBEDTLS_X509_BADCERT_OTHER },
	{ USSL_VFY_OTHER, MBEDTLS_X509_BADCERT_OTHER },
};

#if defined(MBEDTLS_X509_REMOVE_INFO)
/*
 * Without mbedtls_x509_crt_verify_info() (MBEDTLS_X509_REMOVE_INFO, which
 * also drops the OID descriptions and certificate dumps nothing here
 * uses), the same texts from mbedTLS's public list, only for the flags
 * vflag_map can produce (the compiler drops the other strings).
 */
#define USSL_MP_MAPPED_FLAGS (MBEDTLS_X509_BADCERT_EXPIRED | \
	MBEDTLS_X509_BADCERT_FUTURE | MBEDTLS_X509_BADCERT_NOT_TRUSTED | \
	MBEDTLS_X509_BADCERT_CN_MISMATCH | MBEDTLS_X509_BADCERT_EXT_KEY_USAGE | \
	MBEDTLS_X509_BADCERT_MISSING | MBEDTLS_X509_BADCERT_REVOKED | \
	MBEDTLS_X509_BADCERT_BAD_MD | MBEDTLS_X509_BADCERT_BAD_KEY | \
	MBEDTLS_X509_BADCERT_OTHER)
#define X509_CRT_ERROR_INFO(err, name, info) \
	{ (err) & USSL_MP_MAPPED_FLAGS, \
	  ((err) & USSL_MP_MAPPED_FLAGS) ? (info) : NULL },
static const struct {
	uint32_t code;
	const char *text;
} verify_texts[] = {
	MBEDTLS_X509_CRT_ERROR_INFO_LIST
};
#undef X509_CRT_ERROR_INFO

static int verify_info(char *buf, size_t size, uint32_t f)
{
	size_t i, n = 0;
	int r;

	for (i = 0; i < sizeof(verify_texts) / sizeof(verify_texts[0]); i++) {
		if (!(f & verify_texts[i].code))
			continue;
		/* mbedTLS's format: prefix, text, newline. */
		r = snprintf(buf + n, size - n, "\n%s\n", verify_texts[i].text);
		if (r < 0 || (size_t)r >= size - n)
			return (int)(size - 1);
		n += (size_t)r;
	}
	return (int)n;
}
#else
static int verify_info(char *buf, size_t size, uint32_t f)
{
	return mbedtls_x509_crt_verify_info(buf, size, "\n", f);
}
#endif

int ussl_mp_verify_text(unsigned vflags, char *buf, size_t size)
{
	uint32_t f = 0;
	size_t i;
	int n;

	for (i = 0; i < sizeof(vflag_map) / sizeof(vflag_map[0]); i++)
		if (vflags & vflag_map[i].ours)
			f |= vflag_map[i].theirs;
	if (f == 0 || size == 0)
		return 0;
	n = verify_info(buf, size, f);
	return n < 0 ? 0 : n;
}

bool ussl_mp_psa_crowded(size_t conns, size_t ctxs)
{
#if defined(MBEDTLS_USE_PSA_CRYPTO)
	/* A TLS 1.2 connection keeps 2 keys, a TLS 1.3 one 4 (the
	   handshake's and the application's; any connection may be TLS 1.3
	   when it is built in); a context's EC key takes 1; a handshake
	   needs up to 3 more for a moment (ECDHE, peer key). */
#if defined(MBEDTLS_SSL_PROTO_TLS1_3)
	size_t per_conn = 4;
#else
	size_t per_conn = 2;
#endif
	return conns * per_conn + ctxs + 3 > MBEDTLS_PSA_KEY_SLOT_COUNT;
#else
	(void)conns;
	(void)ctxs;
	return false;
#endif
}

const MP_DEFINE_STR_OBJ(ussl_mp_engine_version_obj,
    MBEDTLS_VERSION_STRING_FULL);

size_t ussl_mp_engine_suite_count(void)
{
	const int *list = mbedtls_ssl_list_ciphersuites();
	size_t n = 0;

	while (list[n] != 0)
		n++;
	return n;
}

/*
 * mbedTLS's name (as get_ciphers() lists it) of the suite the core
 * names by its IANA name; NULL if the engine does not know it.
 * IANA "TLS_AES_128_GCM_SHA256" is mbedTLS's "TLS1-3-AES-128-GCM-SHA256",
 * the others differ in '_' for '-'.
 */
const char *ussl_mp_engine_suite_name(const char *iana)
{
	char buf[80];
	size_t i, off = 0;
	int id;

	if (iana == NULL || strncmp(iana, "TLS_", 4) != 0 ||
	    strlen(iana) + 4 >= sizeof(buf))
		return NULL;
	if (strstr(iana, "_WITH_") == NULL) {
		memcpy(buf, "TLS1-3-", 7);
		off = 7;
		iana += 4;
	}
	for (i = 0; iana[i] != '\0'; i++)
		buf[off + i] = iana[i] == '_' ? '-' : iana[i];
	buf[off + i] = '\0';
	id = mbedtls_ssl_get_ciphersuite_id(buf);
	return id != 0 ? mbedtls_ssl_get_ciphersuite_name(id) : NULL;
}

const char *ussl_mp_engine_suite(size_t i)
{
	return mbedtls_ssl_get_ciphersuite_name(
	    mbedtls_ssl_list_ciphersuites()[i]);
}

/*
 * Bare-metal ports declare MBEDTLS_ENTROPY_HARDWARE_ALT.  Where the port
 * defines mbedtls_hardware_poll matters: MicroPython 1.26 has it in each
 * port's mbedtls/mbedtls_port.c (compiled with the module, see
 * micropython.mk), later versions in places compiled only with the stock
 * module.  So this one is weak: the port's own wins wherever it exists.
 * ESP-IDF brings its own.
 */
#if defined(MBEDTLS_ENTROPY_HARDWARE_ALT) && \
	!(MICROPY_PY_SSL && MICROPY_SSL_MBEDTLS) && !defined(ESP_PLATFORM)
#include "py/mphal.h"

/*
 * MicroPython 1.26 declares mp_hal_get_random only in the unix and
 * windows ports' headers; a bare-metal port that provides it (any port
 * with this module must: it is the entropy source) may not declare it.
 * A matching second declaration is harmless.
 */
void mp_hal_get_random(size_t n, void *buf);

/* mbedTLS declares it in a private header (library/entropy_poll.h). */
int mbedtls_hardware_poll(void *data, unsigned char *output, size_t len,
    size_t *olen);

MP_WEAK int mbedtls_hardware_poll(void *data, unsigned char *output,
    size_t len, size_t *olen)
{
	(void)data;
	mp_hal_get_random(len, output);
	*olen = len;
	return 0;
}
#endif

/*
 * The core calls psa_crypto_init() in every mbedTLS 3 build.  A port's
 * own configuration (the CMake path without USSL_MBEDTLS_CONFIG) may
 * have no PSA at all, and then nothing uses PSA: initialising it is
 * trivially successful.
 */
#if MBEDTLS_VERSION_MAJOR >= 3 && !defined(MBEDTLS_PSA_CRYPTO_C)
psa_status_t psa_crypto_init(void)
{
	return PSA_SUCCESS;
}
#endif

/* The core's clock for DTLS retransmission timers (USSL_CLOCK_MS). */
#include "py/mphal.h"

uint32_t ussl_mp_ticks_ms(void);

uint32_t ussl_mp_ticks_ms(void)
{
	return (uint32_t)mp_hal_ticks_ms();
}
