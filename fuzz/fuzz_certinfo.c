/*
 * fuzz_certinfo.c - libFuzzer target: ussl_cert_info(), the certificate
 * walker that reads DER without mbedTLS.
 *
 * Input: the DER bytes, copied to an allocation of exactly their size.
 * The callback checks each item against the contract in ussl.h and reads
 * every byte it is given, so that ASan flags a pointer out of bounds.  A
 * second walk stops at an item picked from the input, to exercise the
 * early return.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"

struct walk {
	unsigned items;
	unsigned stop_at;   /* 0: never */
	int last_field;
};

static void touch(const void *p, size_t n)
{
	const volatile unsigned char *b = p;
	unsigned char x = 0;
	size_t i;

	for (i = 0; i < n; i++)
		x ^= b[i];
	(void)x;
}

static int on_item(void *arg, const ussl_cert_item *it)
{
	struct walk *w = arg;

	if (it == NULL)
		fu_die("NULL item");
	if (it->field < USSL_CERT_VERSION || it->field > USSL_CERT_CRL_DP)
		fu_die("unknown field %d", it->field);
	if (it->value == NULL && it->value_len != 0)
		fu_die("NULL value of length %zu", it->value_len);
	if (it->value_len > (1u << 20))
		fu_die("implausible value length %zu", it->value_len);
	if (it->index < 0)
		fu_die("negative index");
	if (it->value != NULL)
		touch(it->value, it->value_len);
	if (it->name != NULL)
		touch(it->name, strlen(it->name) + 1);
	if (it->short_name != NULL)
		touch(it->short_name, strlen(it->short_name) + 1);
	switch (it->field) {
	case USSL_CERT_ISSUER:
	case USSL_CERT_SUBJECT:
	case USSL_CERT_SAN_DIRNAME:
	case USSL_CERT_SAN:
		if (it->name == NULL)
			fu_die("field %d without a name", it->field);
		break;
	default:
		if (it->name != NULL || it->index != 0)
			fu_die("field %d with a name or index", it->field);
	}
	/* A directoryName attribute follows its SAN entry. */
	if (it->field == USSL_CERT_SAN_DIRNAME &&
	    w->last_field != USSL_CERT_SAN &&
	    w->last_field != USSL_CERT_SAN_DIRNAME)
		fu_die("SAN_DIRNAME after field %d", w->last_field);
	w->last_field = it->field;
	w->items++;
	if (w->stop_at != 0 && w->items == w->stop_at)
		return 7;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *der = malloc(size ? size : 1);
	struct walk w;
	int rc, rc2;

	memcpy(der, data, size);
	memset(&w, 0, sizeof(w));
	rc = ussl_cert_info(der, size, on_item, &w);
	if (rc != 0 && rc != -1)
		fu_die("ussl_cert_info returned %d", rc);
	if (w.items > 0) {
		unsigned total = w.items;

		memset(&w, 0, sizeof(w));
		w.stop_at = (size % total) + 1;
		rc2 = ussl_cert_info(der, size, on_item, &w);
		/* The walk is deterministic: the first one reported that
		   many items, so this one reaches the item it stops at. */
		if (rc2 != 7)
			fu_die("stopped walk returned %d (first %d)", rc2, rc);
		if (rc2 == 7 && w.items != w.stop_at)
			fu_die("walk went on after the callback stopped it");
	}
	free(der);
	return 0;
}
