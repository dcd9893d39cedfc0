/*
 * testutil.h - shared helpers of the C tests: assertions, certificate
 * paths, the in-memory transport (memtransport.h), context builders.
 */
#ifndef USSL_TESTUTIL_H
#define USSL_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>

#include "memtransport.h"
#include "ussl.h"

extern int tu_failures;
extern int tu_checks;

#define CHECK(cond) do { \
	tu_checks++; \
	if (!(cond)) { \
		tu_failures++; \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
		    __LINE__, #cond); \
	} \
} while (0)

/* Path of a file in the test certificate directory (static buffer). */
const char *tu_cert(const char *name);
/* Read a whole file; exits on failure.  Caller frees. */
unsigned char *tu_read(const char *name, size_t *len);

/* The in-memory transport (memtransport.h) under the tests' names. */
typedef mt_pipe tu_pipe;
typedef mt_link tu_link;

/* A link whose transport calls move at most chunk bytes (0: any). */
void tu_link_init(tu_link *l, int chunk);
#define tu_link_free(l) mt_link_free(l)
#define tu_attach(conn, l, is_client) mt_attach((conn), (l), (is_client))
/* Close one direction, as if the writer's TCP side sent FIN. */
void tu_fin(tu_link *l, int from_client);

/* Run both handshakes until done or an error; returns 0 if both done. */
#define tu_handshake_pair(c, s) mt_handshake_pair((c), (s), 1000)

/* Contexts from the test PKI. */
ussl_ctx *tu_server_ctx(const char *cert, const char *key, int verify);
ussl_ctx *tu_client_ctx(const char *ca, int verify);

/* A verify callback that objects to nothing and counts its calls in
 * tu_cb_calls. */
extern int tu_cb_calls;
int tu_count_cb(void *arg, const unsigned char *der, size_t len, int depth,
    unsigned *flags);

int tu_report(const char *name);

#endif
