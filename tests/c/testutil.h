/*
 * testutil.h - shared helpers of the C tests: assertions, certificate
 * paths, an in-memory transport pair, and a client/server pump.
 */
#ifndef USSL_TESTUTIL_H
#define USSL_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>

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

/* One direction of an in-memory connection. */
typedef struct tu_pipe {
	unsigned char *buf;
	size_t len, cap, max_chunk;
	int closed;          /* writer closed: reader sees EOF */
} tu_pipe;

/* Both ends: a client writes c2s and reads s2c. */
typedef struct tu_link {
	tu_pipe c2s, s2c;
	unsigned seed;
	int chunk;           /* max bytes per transport call, 0: any */
} tu_link;

void tu_link_init(tu_link *l, int chunk);
void tu_link_free(tu_link *l);
void tu_attach(ussl_conn *conn, tu_link *l, int is_client);
/* Close one direction, as if the writer's TCP side sent FIN. */
void tu_fin(tu_link *l, int from_client);

/* Run both handshakes until done or an error; returns 0 if both done. */
int tu_handshake_pair(ussl_conn *c, ussl_conn *s);

/* Contexts from the test PKI. */
ussl_ctx *tu_server_ctx(const char *cert, const char *key, int verify);
ussl_ctx *tu_client_ctx(const char *ca, int verify);

int tu_report(const char *name);

#endif
