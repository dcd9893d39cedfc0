# bench_ram.py - RAM per TLS connection, run inside MicroPython (ours or
# the stock module) by scripts/micropython/bench_ram_run.py, which starts
# the peers.  Prints one line "RESULT k=v ..." (or "ERROR ...").
#
# Environment:
#   BENCH_ROLE   client | server | probe-client | probe-server
#   BENCH_PORTS  client: comma-separated ports, one connection to each
#                (a port may repeat)
#   BENCH_PORT   server: port to listen on (127.0.0.1)
#   BENCH_N      server: connections to accept
#   BENCH_MFL    client: SSLContext.max_fragment_length to ask for (0: none)
#   BENCH_BYTES  bytes sent and then received per connection (16384)
#   BENCH_CERT, BENCH_KEY   server: DER certificate and key
#
# client/server: every connection does a TLS 1.2 handshake, sends BYTES
# and receives BYTES (the peer answers in records as large as it may),
# and is then held; with all of them held, the heap the connections take
# (gc.mem_free() before and after, after a collection) divided by their
# number is "per_conn": the TCP socket, the TLS socket and everything the
# module and mbedTLS allocate (on the GC heap in the unix coverage build).
# probe-*: one connection, handshake only; prints the heap in use just
# before the handshake ("before") and the usable heap ("total"): the
# driver finds the smallest -X heapsize that still completes, so that
# total - before is the handshake's peak (fragmentation included).
import gc
import os
import socket
import tls

ROLE = os.getenv("BENCH_ROLE") or "client"
BYTES = int(os.getenv("BENCH_BYTES") or "16384")
MFL = int(os.getenv("BENCH_MFL") or "0")
OUT = IN = None


def buffers():
    global OUT, IN
    b = bytearray(BYTES)
    for i in range(BYTES):
        b[i] = i % 251
    OUT = memoryview(b)
    IN = bytearray(4096)


def heap_used():
    gc.collect()
    return gc.mem_alloc()


def exchange(s):
    n = 0
    while n < BYTES:
        n += s.write(OUT[n:])
    got = 0
    while got < BYTES:
        k = s.readinto(IN)
        if not k:
            raise OSError("peer closed after %d bytes" % got)
        got += k


def client_ctx():
    ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
    ctx.verify_mode = tls.CERT_NONE
    if MFL:
        ctx.max_fragment_length = MFL
    return ctx


def server_ctx():
    with open(os.getenv("BENCH_CERT"), "rb") as f:
        cert = f.read()
    with open(os.getenv("BENCH_KEY"), "rb") as f:
        key = f.read()
    ctx = tls.SSLContext(tls.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


def listener(n):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(socket.getaddrinfo("127.0.0.1", int(os.getenv("BENCH_PORT")))[0][-1])
    ls.listen(n)
    print("LISTENING")
    return ls


def main():
    held = []
    if not ROLE.startswith("probe"):
        buffers()
    if ROLE in ("client", "probe-client"):
        ctx = client_ctx()
        addrs = [socket.getaddrinfo("127.0.0.1", int(p))[0][-1]
                 for p in os.getenv("BENCH_PORTS").split(",")]
        if ROLE == "probe-client":
            addrs = addrs[:1]
        base = heap_used()
        for a in addrs:
            sock = socket.socket()
            sock.connect(a)
            if ROLE == "probe-client":
                before = heap_used()
                total = gc.mem_free() + gc.mem_alloc()
            s = ctx.wrap_socket(sock, server_hostname="localhost")
            if ROLE == "client":
                exchange(s)
            held.append(s)
    else:
        ctx = server_ctx()
        n = 1 if ROLE == "probe-server" else int(os.getenv("BENCH_N"))
        ls = listener(n)
        base = heap_used()
        for _ in range(n):
            sock, _addr = ls.accept()
            if ROLE == "probe-server":
                before = heap_used()
                total = gc.mem_free() + gc.mem_alloc()
            s = ctx.wrap_socket(sock, server_side=True)
            if ROLE == "server":
                exchange(s)
            held.append(s)
    if ROLE.startswith("probe"):
        print("RESULT before=%d total=%d" % (before, total))
    else:
        used = heap_used() - base
        print("RESULT n=%d per_conn=%d" % (len(held), used // len(held)))
    for s in held:
        s.close()


try:
    main()
except Exception as e:
    print("ERROR %s: %r" % (type(e).__name__, e.args))
