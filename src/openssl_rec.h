/*
 * openssl_rec.h - what the two halves of the OpenSSL engine's record
 * layer for parked connections share: openssl_park.c (keys, sequence
 * numbers, parking, the getters) and openssl_record.c (sealing and
 * opening records, alerts, post-handshake messages).  Private to them.
 */
#ifndef USSL_OPENSSL_REC_H
#define USSL_OPENSSL_REC_H

#include <openssl/evp.h>

#include "openssl_engine.h"

#define TAG_LEN 16
#define PLAIN_MAX 16384
/* Ciphertext limits (RFC 8446 5.2, RFC 5246 6.2.3). */
#define CIPHER_MAX13 (PLAIN_MAX + 256)
#define CIPHER_MAX12 (PLAIN_MAX + 2048)
/* TLS 1.3 handshake messages after the handshake (tickets): at most. */
#define HS_MAX (65536 + 4)
/* Records that carry nothing for the reader (empty ones, warning
   alerts, ignored handshake messages) in a row before it gives up, as
   OpenSSL does. */
#define IDLE_RECORDS_MAX 32
/* Warning alerts in a row (OpenSSL's MAX_WARN_ALERT_COUNT). */
#define WARNINGS_MAX 5

enum { RD = 0, WR = 1 };

struct oeng_rec {
	EVP_CIPHER_CTX *c[2];          /* keyed, per direction */
	unsigned char iv[2][12];       /* TLS 1.2 GCM: 4-byte salt */
	uint64_t seq[2];
	uint64_t explicit_next;        /* TLS 1.2 GCM: next explicit nonce */
	unsigned char secret[2][48];   /* TLS 1.3 traffic secrets */
	const EVP_MD *md;              /* TLS 1.3 hash */
	const EVP_CIPHER *cipher;
	unsigned char tls13, gcm12;    /* gcm12: explicit nonce */
	unsigned char peer_closed, failed, close_sent;
	unsigned char update_owed;     /* the peer asked for a key update */
	size_t keylen, secretlen;
	size_t maxfrag;                /* plaintext per record, both ways */
	unsigned idle_records, warnings;
	/* Reading: a header, then the record's body, which keeps its
	   plaintext until it is taken. */
	unsigned char hdr[5];
	size_t hdr_have;
	unsigned char *body;
	size_t body_len, body_have, pt_off, pt_len;
	unsigned char *hs;             /* TLS 1.3 handshake bytes */
	size_t hs_len;
	/* What the getters return. */
	const char *version;
	const SSL_CIPHER *suite;
	int reused;
	unsigned char *sess;           /* client: session data, or NULL */
	size_t sess_len;
};

/* openssl_park.c: TLS 1.3, the next traffic secret of direction d and
   its key and IV (RFC 8446 7.2); 0 or -1. */
int oeng_rec_update13(struct oeng_rec *r, int d);

#endif /* USSL_OPENSSL_REC_H */
