# test_mfl_peers.py - a client that asks for small records
# (SSLContext.max_fragment_length) against real servers, started by
# run.sh on 127.0.0.1: `openssl s_server`, which honours the request
# (USSL_HONOUR_PORT), and nomfl_server.go, Go's crypto/tls, which ignores
# it and sends 16 KB records (USSL_IGNORE_PORT, several connections).
# run.sh checks both premises first with `openssl s_client -tlsextdebug`.
# Each connection sends 16 KB and must receive 16 KB intact: from the
# honouring server in records of the agreed size, from the other in full
# 16 KB records, which the client must still take.
import os
import socket
import tls
from mptest import check, done

N = 16384
PATTERN = bytes(i % 251 for i in range(N))


def exchange(port, mfl):
    ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
    ctx.verify_mode = tls.CERT_NONE
    if mfl:
        ctx.max_fragment_length = mfl
    sock = socket.socket()
    sock.connect(socket.getaddrinfo("127.0.0.1", port)[0][-1])
    s = ctx.wrap_socket(sock, server_hostname="localhost")
    try:
        mv = memoryview(PATTERN)
        n = 0
        while n < N:
            n += s.write(mv[n:])
        got = bytearray()
        while len(got) < N:
            part = s.read(N - len(got))
            if not part:
                break
            got += part
        return bytes(got)
    finally:
        s.close()


def attempt(name, port, mfl):
    try:
        got = exchange(port, mfl)
        check(name, got == PATTERN, "%d bytes, equal: %s" %
              (len(got), got == PATTERN))
    except Exception as e:
        check(name, False, repr(e))


honour = os.getenv("USSL_HONOUR_PORT")
ignore = os.getenv("USSL_IGNORE_PORT")
if honour:
    attempt("mfl: 1024 asked, s_server agrees: 16 KB each way", int(honour),
            1024)
else:
    print("SKIP mfl: no honouring server (openssl)")
if ignore:
    for mfl in (512, 1024, 4096, 0):
        attempt("mfl: %d asked, Go server ignores it: 16 KB records each way"
                % mfl, int(ignore), mfl)
else:
    print("SKIP mfl: no server that ignores max_fragment_length (go)")
done()
