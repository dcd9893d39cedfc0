/*
 * benchutil.h - what the C benchmark programs (ussl-bench,
 * raw-mbedtls-bench, raw-openssl-bench) share: the command line, the
 * forked loopback client/server, the clock, the JSON output, a malloc
 * wrapper that counts live heap bytes, and the three tests themselves.
 *
 * Each program supplies only a bu_ops table: how to make a context and
 * a connection with its TLS stack and how to move bytes through it.  The
 * tests (hs, bulk, heap) are this file's, so every program runs exactly
 * the same sequence of operations and the figures compare like with
 * like.  Every operation reports its own failure and exits (bu_die):
 * a benchmark that half-works measures nothing.
 */
#ifndef USSL_BENCHUTIL_H
#define USSL_BENCHUTIL_H

#include <stddef.h>

enum bu_test { BU_HS, BU_BULK, BU_HEAP };

/* Size of every application write and of the reads; one TLS record. */
#define BU_CHUNK 16384

typedef struct bu_opts {
	const char *certs;   /* directory with ca.pem and the server keys */
	int test;            /* enum bu_test */
	int rsa;             /* --key rsa (hs, heap); bulk is always ECDSA */
	int tls;             /* 12 or 13 */
	int resume;          /* --resume (hs) */
	int chacha;          /* --suite chacha20 (bulk) */
	double seconds;      /* --seconds (hs) */
	long mbytes;         /* --mbytes (bulk), MiB each way */
	/* Derived from the above by bu_parse(). */
	char ca[4096], cert[4096], key[4096];
	const char *suite;   /* bulk: IANA suite name, else NULL */
} bu_opts;

/*
 * One TLS stack.  Contexts and connections are the stack's own objects
 * behind void pointers.  Every function exits through bu_die() on
 * failure, with the stack's own error text, so none returns an error.
 */
typedef struct bu_ops {
	const char *impl;    /* "ussl-c", "raw-mbedtls", "raw-openssl" */
	/* The stack's name and version as the library reports it. */
	const char *(*engine)(void);
	/* Context for the server (certificate and key of o->cert/o->key,
	   tickets on) or the client (trusts o->ca only); versions from
	   o->tls, the suite o->suite if set. */
	void *(*ctx_new)(const bu_opts *o, int server);
	void (*ctx_free)(void *ctx);
	/* A connection over the connected TCP socket fd (not owned); a
	   client verifies the server as "localhost". */
	void *(*conn_new)(void *ctx, int fd);
	void (*conn_free)(void *conn);
	void (*handshake)(void *conn);
	void (*write_all)(void *conn, const void *buf, size_t len);
	/* Up to len bytes (> 0), or 0 once the peer sent close_notify. */
	size_t (*read)(void *conn, void *buf, size_t len);
	/* Send close_notify, then read until the peer's close_notify. */
	void (*close)(void *conn);
	/* Client resumption: keep the connection's session in the
	   context (TLS 1.3: the ticket has been read by then), offer the
	   kept one on a new connection, and say whether it was resumed. */
	void (*save_session)(void *ctx, void *conn);
	void (*offer_session)(void *ctx, void *conn);
	int (*reused)(void *conn);
} bu_ops;

/* Parse the command line into o (usage message and exit 2 when wrong). */
void bu_parse(int argc, char **argv, bu_opts *o);

/* Run the test o->test; returns the process exit code (0). */
int bu_run(const bu_ops *ops, const bu_opts *o);

/* Print "PROG: message" on stderr and exit 1. */
void bu_die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
    noreturn));

/* Monotonic clock, seconds. */
double bu_now(void);

/* "mbedTLS 3.6.6" / "OpenSSL 3.0.19" from whatever text a library gives
   ("Mbed TLS 3.6.6", "OpenSSL 3.0.19 27 Jan 2026"); static buffer. */
const char *bu_engine_name(const char *text);

/*
 * Heap accounting by the malloc wrapper in benchutil.c: bu_heap_mark()
 * sets the baseline (and restarts the peak there); the others give
 * bytes above it.
 */
void bu_heap_mark(void);
long bu_heap_peak(void);
long bu_heap_live(void);

#endif
