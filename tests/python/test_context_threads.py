"""test_context_threads.py - one ussl.SSLContext used by many threads.

30 client connections at once from one context (to a CPython server) and
30 server connections at once from one server context (from CPython
clients); full-duplex use of one connection by two threads (one reads a
long stream while the other writes one); the GIL released while a call
blocks; a context changed while other threads use it.
"""

import selectors
import socket
import ssl
import threading
import time
import unittest

import ussl

import ussl_testlib as tl

N_CONN = 30
LINE = b"hello from a thread\n"


def client_ctx():
    ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(tl.cert("ca.pem"))
    return ctx


def server_ctx():
    ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tl.cert("server-ec-chain.pem"),
                        tl.cert("server-ec.key"))
    return ctx


def echo_lines(conn, srv):
    n = 0
    while True:
        line = tl.recv_line(conn)
        if not line:
            return n
        conn.sendall(b"echo: " + line)
        n += 1


def run_threads(tc, n, func):
    """Run func(i) in n threads started together; returns the errors."""
    errors = []
    start = threading.Barrier(n)

    def body(i):
        try:
            start.wait(tl.TIMEOUT)
            func(i)
        except Exception as e:          # collected for the assertion
            errors.append((i, e))
    threads = [threading.Thread(target=body, args=(i,), daemon=True)
               for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(tl.TIMEOUT * 2)
        tc.assertFalse(t.is_alive(), "a thread hung")
    return errors


class ManyConnections(unittest.TestCase):

    def test_30_clients_from_one_context(self):
        srv = tl.ThreadedServer(self, echo_lines, tl.server_context(),
                                conns=N_CONN, concurrent=True)
        ctx = client_ctx()
        ctx.set_alpn_protocols(["http/1.1"])
        # The Python verification callback runs in every handshake thread.
        depths = []
        ctx.verify_callback = lambda cert, depth: depths.append(depth)
        seen = []

        def one(i):
            s = ctx.wrap_socket(tl.connect(srv.port),
                                server_hostname="localhost")
            try:
                self.assertIs(s.context, ctx)
                for k in range(5):
                    msg = b"%d-%d " % (i, k) + LINE
                    s.write(msg)
                    self.assertEqual(s.readline(), b"echo: " + msg)
                seen.append(s.getpeercert()["subject"])
            finally:
                s.close()
        errors = run_threads(self, N_CONN, one)
        self.assertEqual(errors, [])
        self.assertTrue(srv.join())
        self.assertEqual(srv.errors, [])
        self.assertEqual(sorted(srv.results), [5] * N_CONN)
        self.assertEqual(len(seen), N_CONN)
        stats = ctx.session_stats()
        full = N_CONN - stats["hits"]
        self.assertEqual(depths.count(0), full)

    def test_30_server_connections_from_one_context(self):
        ctx = server_ctx()
        lst = tl.Listener(self, backlog=N_CONN)
        served = []

        def serve(i):
            raw = lst.accept()
            s = ctx.wrap_socket(raw, server_side=True)
            try:
                line = s.readline()
                s.write(b"echo: " + line)
                served.append(s.version())
                self.assertEqual(s.read(10), b"")   # close_notify
            finally:
                s.close()

        cctx = tl.client_context()

        def client(i):
            with socket.create_connection(("127.0.0.1", lst.port),
                                          timeout=tl.TIMEOUT) as raw:
                with cctx.wrap_socket(raw, server_hostname="localhost") as c:
                    c.sendall(b"%d " % i + LINE)
                    reply = tl.recv_line(c)
                    c.unwrap()
            self.assertEqual(reply, b"echo: %d " % i + LINE)

        errors = []
        server_threads = []
        for i in range(N_CONN):
            t = threading.Thread(target=lambda i=i: self._collect(
                errors, serve, i), daemon=True)
            t.start()
            server_threads.append(t)
        errors += run_threads(self, N_CONN, client)
        for t in server_threads:
            t.join(tl.TIMEOUT)
        self.assertEqual(errors, [])
        self.assertEqual(len(served), N_CONN)

    @staticmethod
    def _collect(errors, func, i):
        try:
            func(i)
        except Exception as e:          # collected for the assertion
            errors.append((i, e))

    def test_context_changed_while_in_use(self):
        # Connections keep working while another thread changes the
        # context (each change makes a new engine context; the ones in
        # use are left alone).
        n = 8
        srv = tl.ThreadedServer(self, echo_lines, tl.server_context(),
                                conns=n * 3, concurrent=True)
        ctx = client_ctx()
        stop = threading.Event()

        def churn():
            k = 0
            while not stop.is_set():
                ctx.set_alpn_protocols(["http/1.1"] if k % 2 else ["h2"])
                ctx.verify_mode = ussl.CERT_REQUIRED
                k += 1
                time.sleep(0.001)
        changer = threading.Thread(target=churn, daemon=True)
        changer.start()

        def one(i):
            for _ in range(3):
                s = ctx.wrap_socket(tl.connect(srv.port),
                                    server_hostname="localhost")
                try:
                    s.write(LINE)
                    self.assertEqual(s.readline(), b"echo: " + LINE)
                finally:
                    s.close()
        try:
            errors = run_threads(self, n, one)
        finally:
            stop.set()
            changer.join(tl.TIMEOUT)
        self.assertEqual(errors, [])
        self.assertTrue(srv.join())
        self.assertEqual(srv.errors, [])


class DuplexPeer:
    """A CPython TLS peer in one thread that sends n_send bytes and
    receives n_recv bytes at the same time (non-blocking socket, one
    selector), then checks what it received and closes cleanly."""

    def __init__(self, tc, raw, ctx, server_side, n_send, n_recv):
        self.error = None
        self.received_ok = False
        self._args = (raw, ctx, server_side, n_send, n_recv)
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        tc.addCleanup(self._t.join, tl.TIMEOUT)

    def join(self):
        self._t.join(tl.TIMEOUT * 4)
        if self._t.is_alive():
            raise TimeoutError("duplex peer still running")

    def _run(self):
        raw, ctx, server_side, n_send, n_recv = self._args
        try:
            raw.settimeout(tl.TIMEOUT)
            kw = {} if server_side else {"server_hostname": "localhost"}
            s = ctx.wrap_socket(raw, server_side=server_side, **kw)
            try:
                self._pump(s, n_send, n_recv)
                s.settimeout(tl.TIMEOUT)
                try:
                    s.unwrap()
                except (ConnectionResetError, BrokenPipeError):
                    # The ussl side may close its socket while our
                    # close_notify is still unread by it, and TCP then
                    # resets; the data was already checked above.
                    pass
            finally:
                s.close()
        except Exception as e:          # reported by the test
            self.error = e

    def _pump(self, s, n_send, n_recv):
        out = tl.pattern(n_send, seed=1)
        want = tl.pattern(n_recv, seed=2)
        got = bytearray()
        sent = 0
        s.setblocking(False)
        sel = selectors.DefaultSelector()
        deadline = time.monotonic() + tl.TIMEOUT * 4
        try:
            while sent < n_send or len(got) < n_recv:
                progress = False
                try:
                    d = s.recv(65536)
                    if not d:
                        raise EOFError("peer closed early")
                    got += d
                    progress = True
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    pass
                if sent < n_send:
                    try:
                        sent += s.send(out[sent:sent + 16384])
                        progress = True
                    except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                        pass
                if progress:
                    continue
                if time.monotonic() > deadline:
                    raise TimeoutError("duplex transfer stalled")
                events = selectors.EVENT_READ
                if sent < n_send:
                    events |= selectors.EVENT_WRITE
                sel.register(s, events)
                sel.select(1.0)
                sel.unregister(s)
        finally:
            sel.close()
        self.received_ok = bytes(got) == want


class FullDuplex(unittest.TestCase):

    SIZE = tl.bulk_size(8 << 20)

    def duplex(self, s):
        """One thread reads SIZE bytes while another writes SIZE bytes on
        the same ussl socket."""
        results = {}

        def reader():
            results["read"] = tl.ussl_read_exact(s, self.SIZE)

        def writer():
            data = tl.pattern(self.SIZE, seed=2)
            for off in range(0, len(data), 65536):
                s.write(data[off:off + 65536])
            results["wrote"] = True

        threads = [threading.Thread(target=f, daemon=True)
                   for f in (reader, writer)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(tl.TIMEOUT * 4)
            self.assertFalse(t.is_alive(), "deadlock: a thread hung")
        self.assertTrue(results.get("wrote"))
        self.assertEqual(results.get("read"), tl.pattern(self.SIZE, seed=1))

    def test_client_reads_and_writes_at_once(self):
        lst = tl.Listener(self)
        sock = tl.connect(lst.port)
        raw = lst.accept()
        peer = DuplexPeer(self, raw, tl.server_context(), True,
                          self.SIZE, self.SIZE)
        s = client_ctx().wrap_socket(sock, server_hostname="localhost")
        try:
            self.duplex(s)
        finally:
            s.close()
        peer.join()
        self.assertIsNone(peer.error, repr(peer.error))
        self.assertTrue(peer.received_ok, "peer received corrupted data")

    def test_server_reads_and_writes_at_once(self):
        lst = tl.Listener(self)
        sock = tl.connect(lst.port)
        raw = lst.accept()
        peer = DuplexPeer(self, sock, tl.client_context(), False,
                          self.SIZE, self.SIZE)
        s = server_ctx().wrap_socket(raw, server_side=True)
        try:
            self.duplex(s)
        finally:
            s.close()
        peer.join()
        self.assertIsNone(peer.error, repr(peer.error))
        self.assertTrue(peer.received_ok, "peer received corrupted data")


class GilReleased(unittest.TestCase):

    def test_blocked_read_lets_other_threads_run(self):
        release = threading.Event()

        def slow_handler(conn, srv):
            release.wait(tl.TIMEOUT)
            conn.sendall(b"late\n")
            conn.recv(10)
            return True
        srv = tl.ThreadedServer(self, slow_handler, tl.server_context())
        s = client_ctx().wrap_socket(tl.connect(srv.port),
                                     server_hostname="localhost")
        got = {}
        t = threading.Thread(target=lambda: got.update(line=s.readline()),
                             daemon=True)
        t.start()
        # While the reader waits, this thread keeps running Python code.
        end = time.monotonic() + 0.3
        spins = 0
        while time.monotonic() < end:
            spins += 1
        self.assertTrue(t.is_alive())
        self.assertGreater(spins, 1000)
        release.set()
        t.join(tl.TIMEOUT)
        self.assertEqual(got.get("line"), b"late\n")
        s.close()
        self.assertTrue(srv.join())

    def test_handshakes_run_in_parallel_threads(self):
        # Handshakes release the GIL: a thread spinning in Python is not
        # starved while others handshake, and all of them complete.
        srv = tl.ThreadedServer(self, echo_lines, tl.server_context(),
                                conns=6, concurrent=True)
        ctx = client_ctx()
        stop = threading.Event()
        spins = [0]

        def spinner():
            while not stop.is_set():
                spins[0] += 1
        sp = threading.Thread(target=spinner, daemon=True)
        sp.start()

        def one(i):
            s = ctx.wrap_socket(tl.connect(srv.port),
                                server_hostname="localhost")
            s.close()
        try:
            errors = run_threads(self, 6, one)
        finally:
            stop.set()
            sp.join(tl.TIMEOUT)
        self.assertEqual(errors, [])
        self.assertGreater(spins[0], 0)
        self.assertTrue(srv.join())


if __name__ == "__main__":
    unittest.main()
