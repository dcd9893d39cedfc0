#!/usr/bin/env python3
"""py_bench.py - the Python rows of `make bench`: handshakes/s, bulk MB/s and
heap per connection for our CPython module (one SSLContext reused, or the
seed API ussl.wrap_socket() per connection) and for CPython's own ssl.

Same command line and output as the C bench programs (bench/ussl_bench.c),
see docs/performance.md, plus:
  --impl ussl-ctx|ussl-wrap|cpython    which implementation (default ussl-ctx)
  --pythonpath DIR                     where `import ussl` is found
                                       (e.g. build/python)
The server is the same implementation in a child process (this script run
again with --serve) on 127.0.0.1, port 0; the client kills it by PID at the
end.  Every socket has a timeout and both processes an alarm(), so a stuck
peer ends the run with an error instead of hanging it.

For ussl-wrap only the client uses the seed API: it has no version, suite or
session arguments, so the server (a ussl SSLContext, as for ussl-ctx) picks
the version and suite, and resumption cannot be measured (exit 1 if asked).

As in the C programs, servers issue one session ticket per handshake in every
test (CPython's is told to: OpenSSL sends two in TLS 1.3 by default); full
handshakes are full because the client offers nothing (ussl: the context's
session cache off with OP_NO_TICKET; CPython: no session=).  Resumed runs
check every connection after the first really resumed (exit 1 if not).
Closing: both close_notify alerts are processed, as in the C programs.

Heap: glibc's mallinfo2() (uordblks + hblkhd), after gc.collect(), in each
process: the client before and after opening 50 connections that each
received one 16 KiB record, the server before and after accepting them and
sending that record on each; the delta / 50 is printed for each role (the
server's figure comes to the client on the server's stdout).  The
connections then sit idle, as a server's many held connections do.  Run
with PYTHONMALLOC=malloc (bench.py does) to count Python's own objects too;
otherwise those live in pymalloc arenas mallinfo2 does not see.
"""
import argparse
import ctypes
import gc
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time

REC = 16384                 # application write size and heap-test record
HELD = 50                   # connections held by the heap test
IO_TIMEOUT = 30.0           # per socket operation

# Suites by IANA name (ussl) and OpenSSL name (CPython ssl).
SUITES = {
    ("12", "aes128gcm"): ("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                          "ECDHE-ECDSA-AES128-GCM-SHA256"),
    ("12", "chacha20"): ("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
                         "ECDHE-ECDSA-CHACHA20-POLY1305"),
    ("13", "aes128gcm"): ("TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256"),
    ("13", "chacha20"): ("TLS_CHACHA20_POLY1305_SHA256",
                         "TLS_CHACHA20_POLY1305_SHA256"),
}
VERSION_NAME = {"12": "TLSv1.2", "13": "TLSv1.3"}


class BenchError(Exception):
    pass


def engine_name(text):
    """'Mbed TLS 3.6.6' -> 'mbedTLS 3.6.6', 'OpenSSL 3.0.19 27 Jan 2026' ->
    'OpenSSL 3.0.19': the form the C programs print."""
    ver = next((w for w in text.split() if w[:1].isdigit()), "?")
    return ("OpenSSL " if "OpenSSL" in text else "mbedTLS ") + ver


def nodelay(sock):
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.settimeout(IO_TIMEOUT)
    return sock


# --- implementations ---------------------------------------------------------
# Each wraps one TLS stack behind the few calls the tests need, so that the
# tests below are written once and measure the same work for every stack.

class Ussl:
    """Our module with one SSLContext per side (impl ussl-ctx)."""
    impl = "ussl-py-ctx"

    def __init__(self, args):
        import ussl
        self.m = ussl
        self.a = args
        self.engine = engine_name(ussl.MBEDTLS_VERSION)
        self.certs = args.certs
        self.ver = {"12": ussl.TLSv1_2, "13": ussl.TLSv1_3}[args.tls]

    def _limit(self, ctx, client):
        ctx.minimum_version = self.ver
        ctx.maximum_version = self.ver
        if self.a.test == "bulk":
            ctx.set_ciphers([SUITES[(self.a.tls, self.a.suite)][0]])
        if client and not self.a.resume:
            # Full handshakes: the client's session cache off, so nothing
            # is offered (the server issues tickets all the same, as the
            # C programs' servers do).
            ctx.options |= self.m.OP_NO_TICKET

    def server_ctx(self):
        m = self.m
        ctx = m.SSLContext(m.PROTOCOL_TLS_SERVER)
        chain, key = server_files(self.a)
        ctx.load_cert_chain(chain, key)
        self._limit(ctx, False)
        return ctx

    def client_setup(self):
        m = self.m
        self.cctx = m.SSLContext(m.PROTOCOL_TLS_CLIENT)
        self.cctx.load_verify_locations(os.path.join(self.certs, "ca.pem"))
        self._limit(self.cctx, True)
        if self.a.max_fragment:
            # Asks for small records (RFC 6066); needs TLS 1.2 on mbedTLS.
            self.cctx.max_fragment_length = self.a.max_fragment

    def connect(self, port):
        s = nodelay(socket.create_connection(("127.0.0.1", port),
                                             timeout=IO_TIMEOUT))
        return self.cctx.wrap_socket(s, server_hostname="localhost")

    def accept(self, sctx, conn):
        return sctx.wrap_socket(nodelay(conn), server_side=True)

    def readinto(self, t, buf):
        return t.readinto(buf)

    def write(self, t, data):
        t.write(data)

    def close(self, t):
        t.close()           # sends close_notify, closes the socket

    def close_client(self, t):
        # As the C programs do: both close_notify alerts are processed.
        # The module sends its own only when closing the socket, so the
        # client first reads the server's (sent as the server closes).
        buf = bytearray(256)
        while t.readinto(buf):
            pass
        t.close()

    def reused(self, t):
        return t.session_reused

    def note_session(self, t):
        pass                # the context's cache keeps it

    def check(self, t):
        v = t.version()
        if v != VERSION_NAME[self.a.tls]:
            raise BenchError("negotiated %s, wanted %s" % (v, VERSION_NAME[self.a.tls]))
        if self.a.test == "bulk":
            want = SUITES[(self.a.tls, self.a.suite)][0]
            got = t.cipher()[0]
            if got != want:
                raise BenchError("negotiated %s, wanted %s" % (got, want))


class UsslWrap(Ussl):
    """The seed API: ussl.wrap_socket() per client connection, which builds
    (and parses the CA into) a private context each time."""
    impl = "ussl-py-wrap"

    def client_setup(self):
        if self.a.resume:
            raise BenchError("ussl.wrap_socket() has no session argument: "
                             "resumption cannot be measured for ussl-wrap")
        self.ca = os.path.join(self.certs, "ca.pem")

    def connect(self, port):
        m = self.m
        s = nodelay(socket.create_connection(("127.0.0.1", port),
                                             timeout=IO_TIMEOUT))
        return m.wrap_socket(s, cert_reqs=m.CERT_REQUIRED, ca_certs=self.ca,
                             server_hostname="localhost")


class Cpython:
    """CPython's ssl module (OpenSSL underneath)."""
    impl = "cpython-ssl"

    def __init__(self, args):
        import ssl
        self.m = ssl
        self.a = args
        self.engine = engine_name(ssl.OPENSSL_VERSION)
        self.certs = args.certs
        self.ver = {"12": ssl.TLSVersion.TLSv1_2,
                    "13": ssl.TLSVersion.TLSv1_3}[args.tls]
        self.session = None
        if args.test == "bulk" and args.tls == "13":
            raise BenchError("CPython's ssl cannot choose TLS 1.3 suites")

    def _limit(self, ctx, server):
        ctx.minimum_version = self.ver
        ctx.maximum_version = self.ver
        if self.a.test == "bulk":
            ctx.set_ciphers(SUITES[(self.a.tls, self.a.suite)][1])
        if server:
            # One TLS 1.3 ticket per handshake (OpenSSL sends two by
            # default), as ussl's engines and the C programs' servers send.
            ctx.num_tickets = 1

    def server_ctx(self):
        m = self.m
        ctx = m.SSLContext(m.PROTOCOL_TLS_SERVER)
        chain, key = server_files(self.a)
        ctx.load_cert_chain(chain, key)
        self._limit(ctx, True)
        return ctx

    def client_setup(self):
        m = self.m
        self.cctx = m.SSLContext(m.PROTOCOL_TLS_CLIENT)
        self.cctx.load_verify_locations(os.path.join(self.certs, "ca.pem"))
        self._limit(self.cctx, False)

    def connect(self, port):
        s = nodelay(socket.create_connection(("127.0.0.1", port),
                                             timeout=IO_TIMEOUT))
        return self.cctx.wrap_socket(s, server_hostname="localhost",
                                     session=self.session)

    def accept(self, sctx, conn):
        return sctx.wrap_socket(nodelay(conn), server_side=True)

    def readinto(self, t, buf):
        return t.recv_into(buf)

    def write(self, t, data):
        t.sendall(data)

    def close(self, t):
        # CPython's close() sends no close_notify; unwrap() sends it and
        # waits for the peer's, as the other stacks' close does on its side.
        try:
            t.unwrap().close()
        except OSError:
            t.close()

    close_client = close

    def reused(self, t):
        return t.session_reused

    def note_session(self, t):
        if self.a.resume:
            self.session = t.session

    def check(self, t):
        v = t.version()
        if v != VERSION_NAME[self.a.tls]:
            raise BenchError("negotiated %s, wanted %s" % (v, VERSION_NAME[self.a.tls]))
        if self.a.test == "bulk":
            want = SUITES[(self.a.tls, self.a.suite)][1]
            got = t.cipher()[0]
            if got != want:
                raise BenchError("negotiated %s, wanted %s" % (got, want))


IMPLS = {"ussl-ctx": Ussl, "ussl-wrap": UsslWrap, "cpython": Cpython}


def server_files(a):
    if a.key == "rsa":
        names = ("server-rsa.pem", "server-rsa.key")
    else:
        names = ("server-ec-chain.pem", "server-ec.key")
    return tuple(os.path.join(a.certs, n) for n in names)


def read_exact(impl, t, buf, n):
    """Read n bytes into (and over) buf; the peer ending early is an error."""
    mv = memoryview(buf)
    got = 0
    while got < n:
        k = impl.readinto(t, mv[:min(len(buf), n - got)])
        if not k:
            raise BenchError("peer closed after %d of %d bytes" % (got, n))
        got += k
    return got


# --- server (child process) --------------------------------------------------

def serve(impl, a):
    sctx = impl.server_ctx()
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(128)
    print(ls.getsockname()[1], flush=True)
    buf = bytearray(REC)
    data = os.urandom(REC)
    held = []
    total = a.mbytes << 20
    while True:
        conn, _ = ls.accept()
        t = impl.accept(sctx, conn)
        if a.test == "hs":
            read_exact(impl, t, buf, 1)
            impl.write(t, b"s")
            impl.close(t)
        elif a.test == "bulk":
            read_exact(impl, t, buf, total)
            impl.write(t, b"k")
            for _ in range(total // REC):
                impl.write(t, data)
            impl.close(t)
        else:                           # heap: send one record, hold
            impl.write(t, data)
            held.append(t)
            # The first connection is the warm-up (see test_heap); the
            # figure covers the HELD after it.
            if len(held) == 1:
                base = heap_now()
            elif len(held) == HELD + 1:
                steady = (heap_now() - base) // HELD
                print(json.dumps({"role": "server", "steady": steady}),
                      flush=True)


# --- client tests ------------------------------------------------------------

SERVER = None                   # the server's Popen, for on_alarm()


def on_alarm(sig, frame):
    if SERVER is not None:
        SERVER.kill()
    sys.stderr.write("py_bench: time limit reached, giving up\n")
    os._exit(1)


def die_with_parent(ppid):
    """Serving process: end when the client ends, however it ends."""
    try:
        ctypes.CDLL(None).prctl(1, 9)   # PR_SET_PDEATHSIG, SIGKILL
    except (AttributeError, OSError):
        pass
    if os.getppid() != ppid:
        os._exit(1)


def start_server(a):
    global SERVER
    argv = [sys.executable, os.path.abspath(__file__), "--serve"] + sys.argv[1:]
    argv += ["--ppid", str(os.getpid())]
    p = SERVER = subprocess.Popen(argv, stdout=subprocess.PIPE)
    r, _, _ = select.select([p.stdout], [], [], 20)
    line = p.stdout.readline() if r else b""
    if not line.strip().isdigit():
        p.kill()
        p.wait()
        raise BenchError("server did not start")
    return p, int(line)


def test_hs(impl, a, port, out):
    buf = bytearray(1)

    def one(first):
        t = impl.connect(port)
        impl.write(t, b"c")
        read_exact(impl, t, buf, 1)
        if first:
            impl.check(t)
            if impl.reused(t):      # else the check below would prove nothing
                raise BenchError("a full handshake reported as resumed")
        elif a.resume and not impl.reused(t):
            raise BenchError("connection was not resumed")
        impl.note_session(t)
        impl.close_client(t)

    # Counted as the C programs count: from the first (full) connection on.
    t0 = time.perf_counter()
    one(True)
    n = 1
    while True:
        secs = time.perf_counter() - t0
        if secs >= a.seconds:
            break
        one(False)
        n += 1
    out(test="hs", key=a.key, tls=a.tls, resume=a.resume, n=n,
        secs=round(secs, 4), value=round(n / secs, 1), unit="hs/s")


def test_bulk(impl, a, port, out):
    total = a.mbytes << 20
    data = os.urandom(REC)
    buf = bytearray(REC)
    t = impl.connect(port)
    impl.check(t)
    t0 = time.perf_counter()
    for _ in range(total // REC):
        impl.write(t, data)
    read_exact(impl, t, buf, 1)         # the server has it all
    t1 = time.perf_counter()
    read_exact(impl, t, buf, total)
    t2 = time.perf_counter()
    impl.close_client(t)
    for d, secs in (("c2s", t1 - t0), ("s2c", t2 - t1)):
        out(test="bulk", suite=a.suite, tls=a.tls, dir=d, bytes=total,
            secs=round(secs, 4), value=round(total / secs / 1e6, 1),
            unit="MB/s")


class Mallinfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
        "fsmblks", "uordblks", "fordblks", "keepcost")]


def heap_now(libc=ctypes.CDLL(None)):
    gc.collect()
    libc.mallinfo2.restype = Mallinfo2
    mi = libc.mallinfo2()
    return mi.uordblks + mi.hblkhd


def test_heap(impl, a, port, out):
    buf = bytearray(REC)
    heap_now()                          # load ctypes' bits before the baseline
    # One connection first, so that what is made once per process (engine
    # tables, RNG, Python caches) is not counted per connection.
    # It stays open (inside the baseline): the server does not answer a
    # close_notify, which CPython's unwrap() would wait for.
    warm = impl.connect(port)
    impl.check(warm)
    read_exact(impl, warm, buf, REC)
    held = []
    base = heap_now()
    for _ in range(HELD):
        t = impl.connect(port)
        read_exact(impl, t, buf, REC)
        held.append(t)
    steady = (heap_now() - base) // HELD
    extra = {"max_fragment": a.max_fragment} if a.max_fragment else {}
    how = "mallinfo2 over %d held connections" % HELD
    out(test="heap", role="client", key=a.key, tls=a.tls, hs_peak=None,
        steady=steady, unit="bytes", how=how, **extra)
    # The server's figure (same method, its own process), once it has
    # written to every connection.
    r, _, _ = select.select([SERVER.stdout], [], [], IO_TIMEOUT)
    line = SERVER.stdout.readline() if r else b""
    try:
        srv = json.loads(line)["steady"]
    except (ValueError, KeyError, TypeError):
        raise BenchError("the server sent no heap figure")
    out(test="heap", role="server", key=a.key, tls=a.tls, hs_peak=None,
        steady=srv, unit="bytes", how=how, **extra)
    # No TLS closing, for the same reason: the sockets go with the process.
    del warm


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--certs", required=True)
    ap.add_argument("--test", required=True, choices=("hs", "bulk", "heap"))
    ap.add_argument("--key", default="ecdsa", choices=("ecdsa", "rsa"))
    ap.add_argument("--tls", default="12", choices=("12", "13"))
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--suite", default="aes128gcm", choices=("aes128gcm", "chacha20"))
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--mbytes", type=int, default=64)
    ap.add_argument("--impl", default="ussl-ctx", choices=sorted(IMPLS))
    ap.add_argument("--pythonpath")
    ap.add_argument("--max-fragment", type=int, default=0,
                    help="ussl-ctx client: SSLContext.max_fragment_length")
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--ppid", type=int, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.test == "bulk":
        a.key = "ecdsa"     # its TLS 1.2 suites are ECDSA ones (as in C)
    if a.pythonpath:
        sys.path.insert(0, os.path.abspath(a.pythonpath))
    # Bounded in time whatever happens: the server outlives the client by a
    # little, the client covers setup, the run and the closing.
    limit = int(a.seconds + a.mbytes / 4 + 60)
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(limit + (30 if a.serve else 0))
    if a.serve:
        die_with_parent(a.ppid)
    try:
        impl = IMPLS[a.impl](a)
        if a.serve:
            serve(impl, a)
            return 0
        impl.client_setup()
    except (BenchError, ImportError, OSError, ValueError) as e:
        print("py_bench %s: %s" % (a.impl, e), file=sys.stderr)
        return 1

    def out(**kw):
        rec = {"impl": impl.impl, "engine": impl.engine}
        rec.update(kw)
        print(json.dumps(rec), flush=True)

    p, port = None, None
    try:
        p, port = start_server(a)
        {"hs": test_hs, "bulk": test_bulk, "heap": test_heap}[a.test](impl, a, port, out)
    except (BenchError, OSError, ValueError) as e:
        print("py_bench %s %s: %s: %s" % (a.impl, a.test, type(e).__name__, e),
              file=sys.stderr)
        return 1
    finally:
        if p is not None:
            p.kill()
            p.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
