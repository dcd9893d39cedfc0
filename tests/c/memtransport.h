/*
 * memtransport.h - the in-memory transport shared by the C tests and the
 * fuzzers: two byte queues joining a client and a server connection, with
 * the faults the tests need (bytes per call, end of stream, a closed
 * peer, a send budget that ends in would-block or a timeout) and the
 * bookkeeping the fuzzers need (discarding or logging one side's output).
 */
#ifndef USSL_MEMTRANSPORT_H
#define USSL_MEMTRANSPORT_H

#include <stddef.h>

#include "ussl.h"

/* A growable byte queue: one direction.  buf[0..len) is what is queued
   (it may be changed in place); it starts at base + some offset, so that
   taking from the front is cheap even a byte at a time. */
typedef struct mt_pipe {
	unsigned char *buf, *base;
	size_t len, cap;
} mt_pipe;

void mt_pipe_put(mt_pipe *p, const void *data, size_t len);
void mt_pipe_take(mt_pipe *p, size_t n);
void mt_pipe_free(mt_pipe *p);

#define MT_UNLIMITED ((size_t)-1)

/*
 * A link: what the client sends goes into c2s, what the server sends into
 * s2c.  All fields may be changed at any time.
 */
typedef struct mt_link {
	mt_pipe c2s, s2c;
	size_t chunk;                     /* bytes per call at most, 0: any */
	int eof_to_client, eof_to_server; /* an empty queue reads as end of
	                                     stream, not USSL_WANT_READ */
	int fin_client, fin_server;       /* that end closed its side: the
	                                     other reads end of stream once
	                                     the queue is empty, and its own
	                                     sends fail with EPIPE */
	int discard_client, discard_server; /* that end's output is dropped */
	size_t budget_client, budget_server; /* bytes that end may still
	                                     send; then its sends block
	                                     (MT_UNLIMITED: no limit) */
	int block_timeout;                /* a blocked send reports the
	                                     caller's deadline (USSL_ERROR,
	                                     *err = -1) instead of
	                                     USSL_WANT_WRITE */
	size_t sent_client, sent_server;  /* bytes each end has sent */
	int logging;                      /* copy everything sent to: */
	mt_pipe log_c2s, log_s2c;
} mt_link;

void mt_link_init(mt_link *l);
void mt_link_free(mt_link *l);
/* Make conn the client (is_client) or server end of l. */
void mt_attach(ussl_conn *conn, mt_link *l, int is_client);
/* Run both handshakes until both are done (0) or one fails or rounds
   pass (-1). */
int mt_handshake_pair(ussl_conn *c, ussl_conn *s, int rounds);

#endif
