"""test_nonblocking.py - ussl on non-blocking sockets driven by a
`selectors` event loop: read/write return None when they would block and
`want` names the direction to wait for; many connections at once, client
side and server side; partial writes retried with the same data.

Every loop has an overall deadline, so a lost wake-up fails the test
instead of hanging it.
"""

import hashlib
import selectors
import threading
import time
import unittest

import ussl

import ussl_testlib as tl

DEADLINE = 40.0 * tl.TIME_SCALE
WANT_EVENTS = {ussl.WANT_READ: selectors.EVENT_READ,
               ussl.WANT_WRITE: selectors.EVENT_WRITE}


def echo_handler(conn, srv):
    n = 0
    while True:
        b = conn.recv(16384)
        if not b:
            return n
        conn.sendall(b)
        n += len(b)


def delayed_echo_handler(raw, srv):
    """Wait before answering the ClientHello, so that a client's first
    non-blocking handshake step cannot complete (on a busy machine the
    whole TLS 1.3 handshake can otherwise finish within one call)."""
    time.sleep(0.3)
    with tl.server_context().wrap_socket(raw, server_side=True,
                                         suppress_ragged_eofs=False) as conn:
        return echo_handler(conn, srv)


class Conn:
    """One non-blocking client connection's progress."""

    def __init__(self, s, data):
        self.s = s
        self.data = data
        self.sent = 0
        self.got = bytearray()
        self.events = 0
        self.nones = []        # the `want` seen with each None

    def step(self):
        """Make all the progress possible now; return the selector events
        to wait for, or 0 when finished."""
        wait = 0
        progressed = True
        while progressed:
            progressed = False
            wait = 0
            hs_before = self.s.handshake_done
            if self.sent < len(self.data):
                n = self.s.write(self.data[self.sent:self.sent + 16384])
                if n is None:
                    self.nones.append(self.s.want)
                    wait |= WANT_EVENTS[self.s.want]
                else:
                    assert n > 0, n
                    self.sent += n
                    progressed = True
            if len(self.got) < len(self.data):
                b = self.s.read(16384)
                if b is None:
                    self.nones.append(self.s.want)
                    wait |= WANT_EVENTS[self.s.want]
                elif b == b"":
                    raise EOFError("end of stream after %d bytes"
                                   % len(self.got))
                else:
                    self.got += b
                    progressed = True
            if len(self.got) >= len(self.data):
                return 0
            # A read may finish the handshake that an earlier write in
            # this round waited for: the write must be tried again now,
            # not after the next (maybe never) readable event.
            if not hs_before and self.s.handshake_done:
                progressed = True
        return wait


def run_loop(tc, sel, conns, deadline):
    """Drive the Conn objects registered in sel until all are done."""
    pending = set(conns)
    while pending:
        left = deadline - time.monotonic()
        if left <= 0:
            tc.fail("deadline passed with %d of %d connections unfinished"
                    % (len(pending), len(conns)))
        for key, _ev in sel.select(min(left, 1.0)):
            c = key.data
            ev = c.step()
            if ev == 0:
                sel.unregister(c.s)
                pending.discard(c)
            elif ev != c.events:
                sel.modify(c.s, ev, c)
                c.events = ev


class ClientSide(unittest.TestCase):

    def test_many_concurrent_clients(self):
        nconn = 50
        size = 48 * 1024
        srv = tl.ThreadedServer(self, delayed_echo_handler, conns=nconn,
                                concurrent=True, timeout=DEADLINE)
        sel = selectors.DefaultSelector()
        self.addCleanup(sel.close)
        conns = []
        for i in range(nconn):
            sock = tl.connect(srv.port)
            sock.setblocking(False)
            s = ussl.wrap_socket(sock, do_handshake=False,
                                 **tl.verify_kwargs())
            self.addCleanup(s.close)
            self.assertFalse(s.handshake_done)
            c = Conn(s, tl.pattern(size, seed=100 + i))
            conns.append(c)
            # Register the SSLSocket itself: it has fileno().
            c.events = selectors.EVENT_WRITE
            sel.register(s, c.events, c)
        run_loop(self, sel, conns, time.monotonic() + DEADLINE)
        for c in conns:
            self.assertEqual(bytes(c.got), c.data)
            self.assertTrue(c.s.handshake_done)
            self.assertTrue(all(w in (ussl.WANT_READ, ussl.WANT_WRITE)
                                for w in c.nones), c.nones)
            c.s.close()
        # With a deferred handshake, the first write cannot finish before
        # the server answers: every connection saw at least one None.
        self.assertTrue(all(c.nones for c in conns))
        self.assertIn(ussl.WANT_READ, [w for c in conns for w in c.nones])
        self.assertTrue(srv.join(DEADLINE))
        self.assertEqual(srv.errors, [])
        self.assertEqual(sorted(srv.results), [size] * nconn)

    def nb_client(self, srv):
        sock = tl.connect(srv.port)
        s = ussl.wrap_socket(sock, **tl.verify_kwargs())
        s.setblocking(False)
        self.addCleanup(s.close)
        return s

    def test_read_would_block(self):
        gate = threading.Event()

        def handler(conn, srv):
            gate.wait(10)
            conn.sendall(b"late")
            return tl.recv_line(conn)
        srv = tl.ThreadedServer(self, handler, tl.server_context())
        s = self.nb_client(srv)
        t0 = time.monotonic()
        self.assertIsNone(s.read(100))
        self.assertEqual(s.want, ussl.WANT_READ)
        self.assertIsNone(s.readinto(bytearray(10)))
        self.assertEqual(s.want, ussl.WANT_READ)
        self.assertLess(time.monotonic() - t0, 1.0)
        gate.set()
        sel = selectors.DefaultSelector()
        self.addCleanup(sel.close)
        sel.register(s, selectors.EVENT_READ)
        got = b""
        deadline = time.monotonic() + 10
        while len(got) < 4 and time.monotonic() < deadline:
            sel.select(1.0)
            b = s.read(100)
            if b is not None:
                got += b
        self.assertEqual(got, b"late")
        s.setblocking(True)
        s.write(b"done\n")
        self.assertTrue(srv.join())
        self.assertEqual(srv.results, [b"done\n"])

    def test_partial_writes_and_retry(self):
        # The server reads nothing until told, so the client's writes hit
        # a full socket buffer: write returns a short count or None with
        # WANT_WRITE, and a retry with the same data must lose nothing.
        gate = threading.Event()
        total = tl.bulk_size(8 << 20)

        def handler(conn, srv):
            gate.wait(20)
            h = hashlib.sha256()
            n = 0
            while n < total:
                b = conn.recv(65536)
                if not b:
                    break
                n += len(b)
                h.update(b)
            conn.sendall(b"ok")
            return n, h.hexdigest()
        srv = tl.ThreadedServer(self, handler, tl.server_context(),
                                timeout=DEADLINE)
        s = self.nb_client(srv)
        data = tl.pattern(total, seed=7)
        mv = memoryview(data)
        sent = 0
        blocked = 0
        sel = selectors.DefaultSelector()
        self.addCleanup(sel.close)
        sel.register(s, selectors.EVENT_WRITE)
        deadline = time.monotonic() + 30
        while sent < total:
            self.assertLess(time.monotonic(), deadline, "write stalled")
            n = s.write(mv[sent:sent + 1000000])
            if n is None:
                blocked += 1
                self.assertIn(s.want, (ussl.WANT_WRITE, ussl.WANT_READ))
                if blocked == 1:
                    # Buffers are full; let the server start reading.
                    gate.set()
                sel.modify(s, WANT_EVENTS[s.want])
                sel.select(1.0)
            else:
                self.assertGreater(n, 0)
                self.assertLessEqual(n, 1000000)
                sent += n
        gate.set()
        self.assertGreater(blocked, 0, "socket buffer never filled")
        s.setblocking(True)
        s.settimeout(20)
        self.assertEqual(tl.ussl_read_exact(s, 2), b"ok")
        self.assertTrue(srv.join(DEADLINE))
        self.assertEqual(srv.errors, [])
        self.assertEqual(srv.results,
                         [(total, hashlib.sha256(data).hexdigest())])

    def test_nonblocking_handshake_via_do_handshake(self):
        srv = tl.ThreadedServer(self, delayed_echo_handler)
        sock = tl.connect(srv.port)
        sock.setblocking(False)
        s = ussl.wrap_socket(sock, do_handshake=False, **tl.verify_kwargs())
        self.addCleanup(s.close)
        sel = selectors.DefaultSelector()
        self.addCleanup(sel.close)
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
        results = []
        deadline = time.monotonic() + 10
        while True:
            self.assertLess(time.monotonic(), deadline)
            r = s.do_handshake()
            results.append(r)
            if r is True:
                break
            self.assertIsNone(r)
            self.assertIn(s.want, (ussl.WANT_READ, ussl.WANT_WRITE))
            sel.modify(s, WANT_EVENTS[s.want])
            sel.select(1.0)
        self.assertIsNone(results[0])
        self.assertTrue(s.handshake_done)
        self.assertIs(s.do_handshake(), True)
        self.assertIsNotNone(s.version())

    def test_handshake_started_by_wrap_on_nonblocking_socket(self):
        # do_handshake=True on a non-blocking socket starts the handshake
        # and returns; it continues in later calls.
        srv = tl.ThreadedServer(self, echo_handler, tl.server_context())
        sock = tl.connect(srv.port)
        sock.setblocking(False)
        t0 = time.monotonic()
        s = ussl.wrap_socket(sock, **tl.verify_kwargs())
        self.addCleanup(s.close)
        self.assertLess(time.monotonic() - t0, 1.0)
        c = Conn(s, b"x" * 1000)
        sel = selectors.DefaultSelector()
        self.addCleanup(sel.close)
        c.events = selectors.EVENT_READ | selectors.EVENT_WRITE
        sel.register(s, c.events, c)
        run_loop(self, sel, [c], time.monotonic() + 10)
        self.assertEqual(bytes(c.got), c.data)


class ServerSide(unittest.TestCase):

    def test_many_ussl_servers(self):
        nconn = 20
        size = 24 * 1024
        lst = tl.Listener(self)
        lst.sock.setblocking(False)

        def client_func(i):
            def run(s):
                data = tl.pattern(size, seed=200 + i)
                s.sendall(data)
                back = tl.recv_exact(s, size)
                s.unwrap()          # our close_notify, then theirs
                return back == data
            return run

        clients = [tl.cpython_client(self, lst.port, tl.client_context(),
                                     client_func(i)) for i in range(nconn)]
        sel = selectors.DefaultSelector()
        self.addCleanup(sel.close)
        sel.register(lst.sock, selectors.EVENT_READ, None)
        finished = 0
        wants = []
        deadline = time.monotonic() + DEADLINE

        def serve_step(st):
            """Echo until the client's close_notify; True when done."""
            s = st["s"]
            while True:
                if st["out"]:
                    n = s.write(st["out"])
                    if n is None:
                        wants.append(s.want)
                        return WANT_EVENTS[s.want]
                    del st["out"][:n]
                    continue
                b = s.read(16384)
                if b is None:
                    wants.append(s.want)
                    return WANT_EVENTS[s.want]
                if b == b"":
                    return 0
                st["out"] += b
                st["n"] += len(b)

        counts = []
        while finished < nconn:
            self.assertLess(time.monotonic(), deadline,
                            "%d of %d done" % (finished, nconn))
            for key, _ev in sel.select(1.0):
                if key.data is None:
                    try:
                        conn, _ = lst.sock.accept()
                    except BlockingIOError:
                        continue
                    conn.setblocking(False)
                    s = ussl.wrap_socket(
                        conn, server_side=True, do_handshake=False,
                        keyfile=tl.cert("server-ec.key"),
                        certfile=tl.cert("server-ec-chain.pem"))
                    self.addCleanup(s.close)
                    self.assertTrue(s.server_side)
                    st = dict(s=s, out=bytearray(), n=0,
                              ev=selectors.EVENT_READ)
                    sel.register(s, selectors.EVENT_READ, st)
                    continue
                st = key.data
                ev = serve_step(st)
                if ev == 0:
                    # Unregister first: a closed SSLSocket has no fileno().
                    sel.unregister(key.fileobj)
                    st["s"].close()
                    finished += 1
                    counts.append(st["n"])
                elif ev != st["ev"]:
                    sel.modify(key.fileobj, ev, st)
                    st["ev"] = ev
        for c in clients:
            c.join(DEADLINE)
            self.assertIsNone(c.error)
            self.assertIs(c.result, True)
        self.assertEqual(counts, [size] * nconn)
        self.assertTrue(all(w in (ussl.WANT_READ, ussl.WANT_WRITE)
                            for w in wants))
        self.assertIn(ussl.WANT_READ, wants)


if __name__ == "__main__":
    unittest.main()
