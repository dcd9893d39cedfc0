/*
 * fuzzutil.h - helpers shared by the fuzzers and the seed recorder: test
 * PKI files, in-memory transports, an input reader, a handshake pump.
 */
#ifndef FUZZUTIL_H
#define FUZZUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "ussl.h"

/* Abort with a message: a broken harness must not look like a finding. */
void fu_die(const char *fmt, ...);

/* Path of a file of the test PKI: $USSL_FUZZ_CERTS, else the directory
   build.sh made (compiled in as FUZZ_CERT_DIR).  Static buffer. */
const char *fu_cert_path(const char *name);
/* Whole file of the test PKI; dies if missing.  Caller frees. */
unsigned char *fu_cert_read(const char *name, size_t *len);

/* Consume an input front to back; reads past the end give zeros. */
typedef struct fu_input {
	const uint8_t *p;
	size_t len;
} fu_input;
unsigned fu_u8(fu_input *in);
unsigned fu_u16(fu_input *in);
/* Up to n bytes (fewer at the end); *got set to the count. */
const uint8_t *fu_bytes(fu_input *in, size_t n, size_t *got);

/* A growable byte queue: one direction of a connection.  buf[0..len) is
   what is queued (it may be changed in place); it starts base + some
   offset, so that taking from the front is cheap even a byte at a time. */
typedef struct fu_pipe {
	unsigned char *buf, *base;
	size_t len, cap;
} fu_pipe;
void fu_pipe_put(fu_pipe *p, const void *data, size_t len);
void fu_pipe_take(fu_pipe *p, size_t n);
void fu_pipe_free(fu_pipe *p);

/*
 * A link: what the client sends goes into c2s, what the server sends into
 * s2c.  chunk limits the bytes per recv call (0: no limit); eof_* make an
 * empty queue read as end of stream instead of USSL_WANT_READ.  A
 * discard_* end throws what it sends away (the fuzzers that play one
 * side from their input).
 */
typedef struct fu_link {
	fu_pipe c2s, s2c;
	size_t chunk;
	int eof_to_client, eof_to_server;
	int discard_client, discard_server;
	size_t sent_client, sent_server;  /* bytes each end has sent */
	int logging;                      /* copy everything sent to: */
	fu_pipe log_c2s, log_s2c;
} fu_link;

void fu_link_init(fu_link *l);
void fu_link_free(fu_link *l);
/* Make conn the client (is_client) or server end of l. */
void fu_attach(ussl_conn *conn, fu_link *l, int is_client);

/* Run both handshakes until both are done (0) or one fails (-1). */
int fu_handshake_pair(ussl_conn *c, ussl_conn *s);

/* Read past records that carry no data (a TLS 1.3 ticket makes a read
   return USSL_WANT_READ); the result of the first read that gives data,
   end of stream or an error. */
long fu_read_some(ussl_conn *c);

/* Call the getters that are valid in any state, touching what they return
   so that ASan sees a bad pointer. */
void fu_poke_conn(const ussl_conn *conn);

#endif
