/*
 * fuzzutil.h - helpers shared by the fuzzers and the seed recorder: test
 * PKI files, in-memory transports, an input reader, a handshake pump.
 */
#ifndef FUZZUTIL_H
#define FUZZUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "memtransport.h"
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

/* The in-memory transport (tests/c/memtransport.h) under the fuzzers'
   names: a link's client sends into c2s, its server into s2c; chunk,
   eof_*, discard_*, sent_* and logging as described there. */
typedef mt_pipe fu_pipe;
typedef mt_link fu_link;
#define fu_pipe_put(p, d, n) mt_pipe_put((p), (d), (n))
#define fu_pipe_take(p, n) mt_pipe_take((p), (n))
#define fu_pipe_free(p) mt_pipe_free(p)
#define fu_link_init(l) mt_link_init(l)
#define fu_link_free(l) mt_link_free(l)
#define fu_attach(conn, l, is_client) mt_attach((conn), (l), (is_client))
/* Run both handshakes until both are done (0) or one fails (-1). */
#define fu_handshake_pair(c, s) mt_handshake_pair((c), (s), 200)

/* Read past records that carry no data (a TLS 1.3 ticket makes a read
   return USSL_WANT_READ); the result of the first read that gives data,
   end of stream or an error. */
long fu_read_some(ussl_conn *c);

/* Call the getters that are valid in any state, touching what they return
   so that ASan sees a bad pointer. */
void fu_poke_conn(const ussl_conn *conn);

#endif
