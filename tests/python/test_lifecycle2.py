"""test_lifecycle2.py - the end of an SSLSocket's life in the ways real
programs get it wrong: closing twice (after failures too), using it after
close, closing the underlying socket first (even when its descriptor
number is then reused), closing from another thread while a read waits,
dropping it without close() (garbage collection), and a thousand
connections in a row without a descriptor left behind.

Complements test_lifecycle.py (the ordinary life) and test_leaks.py
(memory).  Every check wants a clean OSError, never a crash, a hang or a
byte written to a descriptor that is no longer ussl's.
"""

import gc
import os
import socket
import struct
import threading
import time
import unittest
import warnings

import ussl

import ussl_testlib as tl

T = 5.0 * tl.TIME_SCALE
# The thousand-connection run: fewer when instrumented.
MANY = 100 if tl.SLOW else 1000


def hold_until_eof(conn, srv):
    """Server: answer "ping" with "pong", then read until the end."""
    # Without it, "pong" waits for the ACK of the session tickets, which
    # the client delays: 40 ms per connection.
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        if conn.recv(4) == b"ping":
            conn.sendall(b"pong")
        while conn.recv(4096):
            pass
    except OSError as e:
        return e
    return "eof"


def quiet_for(seconds):
    """Server: after the handshake, say nothing for a while, then close."""
    def handler(conn, srv):
        time.sleep(seconds)
    return handler


def server_kwargs():
    return dict(server_side=True, keyfile=tl.cert("server-ec.key"),
                certfile=tl.cert("server-ec-chain.pem"))


class Base(unittest.TestCase):

    def setUp(self):
        # Sockets dropped on purpose below warn when finalised.
        self.enterContext(warnings.catch_warnings())
        warnings.simplefilter("ignore", ResourceWarning)

    def server(self, handler=hold_until_eof, conns=1, **kw):
        return tl.ThreadedServer(self, handler, tl.server_context(),
                                 conns=conns, timeout=T, **kw)

    def client(self, port, **kw):
        return tl.ussl_client(port, timeout=T, **dict(tl.verify_kwargs(),
                                                      **kw))

    def assert_oserror(self, call, codes=None):
        with self.assertRaises(OSError) as cm:
            call()
        e = cm.exception
        self.assertNotIsInstance(e, TimeoutError, repr(e))
        if codes is not None:
            self.assertIn(e.args[0], codes, repr(e))
        return e


class DoubleClose(Base):

    def test_close_twice_after_failed_handshake(self):
        srv = self.server()
        sock = tl.connect(srv.port, T)
        s = ussl.wrap_socket(sock, do_handshake=False,
                             **tl.verify_kwargs("wrong.example"))
        e = self.assert_oserror(s.do_handshake, (ussl.E_VERIFY,))
        # Sticky: the same error again, not a second handshake.
        e2 = self.assert_oserror(lambda: s.write(b"x"))
        self.assertEqual(e2.args[0], e.args[0])
        s.close()
        s.close()
        self.assertEqual(sock.fileno(), -1)
        self.assert_oserror(lambda: s.read(1), (ussl.E_CLOSED,))

    def test_close_twice_after_reset(self):
        def reset(conn, srv):
            conn.sendall(b"x")
            tl.recv_exact(conn, 1)
            raw = socket.socket(fileno=os.dup(conn.fileno()))
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                           struct.pack("ii", 1, 0))
            raw.close()
        srv = self.server(reset)
        s = self.client(srv.port)
        self.assertEqual(s.read(1), b"x")
        s.write(b"y")
        self.assertTrue(srv.join(T))
        self.assert_oserror(lambda: s.read(10))
        s.close()
        s.close()
        self.assert_oserror(lambda: s.write(b"z"), (ussl.E_CLOSED,))

    def test_close_twice_server_side(self):
        lst = tl.Listener(self)
        cli = tl.cpython_client(self, lst.port, tl.client_context(),
                                lambda cs: cs.recv(10))
        s = ussl.wrap_socket(lst.accept(T), **server_kwargs())
        s.write(b"hello")
        s.close()
        s.close()
        cli.join(T)
        self.assertEqual(cli.result, b"hello")
        self.assert_oserror(lambda: s.write(b"x"), (ussl.E_CLOSED,))

    def test_context_manager_after_close(self):
        srv = self.server()
        s = self.client(srv.port)
        s.close()
        # __enter__ on a closed socket refuses; __exit__ is harmless.
        self.assert_oserror(s.__enter__, (ussl.E_CLOSED,))
        s.__exit__(None, None, None)

    def test_close_nonblocking_mid_handshake(self):
        silent = tl.Listener(self)         # never answers a ClientHello
        sock = tl.connect(silent.port, T)
        sock.setblocking(False)
        s = ussl.wrap_socket(sock, do_handshake=False, **tl.verify_kwargs())
        self.assertIsNone(s.do_handshake())     # ClientHello sent
        s.close()
        s.close()
        self.assertEqual(sock.fileno(), -1)
        self.assert_oserror(s.do_handshake, (ussl.E_CLOSED,))


class UseAfterClose(Base):

    def test_every_call_after_close_server_side(self):
        lst = tl.Listener(self)
        tl.cpython_client(self, lst.port, tl.client_context(),
                          lambda cs: cs.recv(10))
        s = ussl.wrap_socket(lst.accept(T), **server_kwargs())
        s.close()
        for name, call in [("read", lambda: s.read(1)),
                           ("readinto", lambda: s.readinto(bytearray(4))),
                           ("readline", s.readline),
                           ("write", lambda: s.write(b"x")),
                           ("do_handshake", s.do_handshake),
                           ("fileno", s.fileno),
                           ("pending", s.pending),
                           ("settimeout", lambda: s.settimeout(1))]:
            with self.subTest(call=name):
                self.assert_oserror(call, (ussl.E_CLOSED,))
        self.assertIn("closed", repr(s))

    def test_attributes_after_close(self):
        srv = self.server()
        s = self.client(srv.port)
        s.close()
        # Plain attributes stay readable and do not crash.
        self.assertIn(s.handshake_done, (True, False))
        self.assertIs(s.server_side, False)
        self.assertIn(s.want, (0, ussl.WANT_READ, ussl.WANT_WRITE))


class SocketClosedFirst(Base):
    """The socket object under the SSLSocket is closed (or detached) by
    the program: ussl must not go on using that descriptor number."""

    def test_socket_closed_then_used(self):
        srv = self.server()
        sock = tl.connect(srv.port, T)
        s = ussl.wrap_socket(sock, **tl.verify_kwargs())
        sock.close()
        self.assert_oserror(lambda: s.write(b"x"))
        self.assert_oserror(lambda: s.read(1))
        self.assert_oserror(s.readline)
        s.close()                     # no error, no double close
        s.close()
        self.assert_oserror(lambda: s.write(b"x"), (ussl.E_CLOSED,))

    def test_descriptor_reused_gets_nothing(self):
        srv = self.server()
        sock = tl.connect(srv.port, T)
        s = ussl.wrap_socket(sock, **tl.verify_kwargs())
        fd = sock.fileno()
        sock.close()
        # The lowest free number is reused by the next open.
        a, b = socket.socketpair()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        if fd not in (a.fileno(), b.fileno()):
            self.skipTest("descriptor %d was not reused" % fd)
        victim = a if a.fileno() == fd else b
        other = b if victim is a else a
        self.assert_oserror(lambda: s.write(b"secret"))
        self.assert_oserror(lambda: s.read(1))
        s.close()                     # must not send close_notify on fd
        self.assertNotEqual(victim.fileno(), -1)
        other.setblocking(False)
        with self.assertRaises(BlockingIOError):
            data = other.recv(100)
            self.fail("bytes reached the new owner of the fd: %r" % data)
        # The descriptor still works for its new owner (not closed).
        victim.sendall(b"ok")
        other.setblocking(True)
        other.settimeout(T)
        self.assertEqual(other.recv(2), b"ok")

    def test_socket_detached_then_used(self):
        srv = self.server()
        sock = tl.connect(srv.port, T)
        s = ussl.wrap_socket(sock, **tl.verify_kwargs())
        fd = sock.detach()
        self.addCleanup(os.close, fd)
        self.assert_oserror(lambda: s.write(b"x"))
        s.close()
        os.fstat(fd)                  # still open: it is the caller's

    def test_socket_shut_down_under_ussl(self):
        srv = self.server()
        sock = tl.connect(srv.port, T)
        s = ussl.wrap_socket(sock, **tl.verify_kwargs())
        sock.shutdown(socket.SHUT_RDWR)
        # E_TRUNCATED, or a reset if the peer's answer to our FIN met a
        # socket shut for reading.
        self.assert_oserror(lambda: s.read(1))
        self.assert_oserror(lambda: s.write(b"x"))
        s.close()

    def test_socket_closed_before_deferred_handshake(self):
        srv = self.server()
        sock = tl.connect(srv.port, T)
        s = ussl.wrap_socket(sock, do_handshake=False, **tl.verify_kwargs())
        sock.close()
        self.assert_oserror(s.do_handshake)
        self.assertFalse(s.handshake_done)
        s.close()


class CrossThreadClose(Base):

    def test_close_while_another_thread_reads(self):
        # The reader waits in poll(); close() does not wake it (as with
        # CPython's own sockets), but once the peer goes away it must end
        # with E_CLOSED, not touch freed state or another descriptor.
        srv = self.server(quiet_for(1.0))
        s = self.client(srv.port)
        res = {}

        def reader():
            try:
                res["data"] = s.read(10)
            except BaseException as e:
                res["error"] = e
        t = threading.Thread(target=reader, daemon=True)
        t.start()
        time.sleep(0.2)
        t0 = time.monotonic()
        s.close()
        self.assertLess(time.monotonic() - t0, 1.5)
        t.join(T)
        self.assertFalse(t.is_alive(), "reader still blocked")
        self.assertNotIn("data", res)
        self.assertIsInstance(res.get("error"), OSError, res)
        self.assertEqual(res["error"].args[0], ussl.E_CLOSED)

    def test_close_while_another_thread_writes(self):
        # A writer blocked on a full socket (the peer does not read).
        srv = self.server(quiet_for(1.0))
        s = self.client(srv.port)
        res = {}

        def writer():
            try:
                while True:
                    s.write(bytes(1 << 20))
            except BaseException as e:
                res["error"] = e
        t = threading.Thread(target=writer, daemon=True)
        t.start()
        time.sleep(0.3)
        s.close()
        t.join(T)
        self.assertFalse(t.is_alive(), "writer still blocked")
        self.assertIsInstance(res.get("error"), OSError, res)


class Finalisation(Base):
    """Dropped without close(): the TLS state is freed without sending
    anything and the socket object closes its own descriptor when it is
    collected too."""

    def collect(self):
        for _ in range(3):
            gc.collect()

    def assert_fds_back_to(self, before):
        """The server threads of this process close their ends when they
        see ours go: give them a moment (a long one on a loaded machine:
        the wait ends as soon as the count is back, and a leaked
        descriptor never comes back)."""
        deadline = time.monotonic() + 4 * T
        while tl.fd_count() > before and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertLessEqual(tl.fd_count(), before, "descriptor left open")

    def test_drop_variants_leave_no_fd(self):
        srv = self.server(conns=4, concurrent=True)
        silent = tl.Listener(self)         # never answers a ClientHello
        self.collect()
        before = tl.fd_count()

        def established():
            s = self.client(srv.port)
            s.write(b"ping")
            self.assertEqual(s.read(4), b"pong")

        def in_a_cycle():
            s = self.client(srv.port)
            box = [s]
            box.append(box)           # only the collector can free it

        def mid_handshake():
            sock = tl.connect(silent.port, T)
            sock.setblocking(False)
            s = ussl.wrap_socket(sock, do_handshake=False,
                                 **tl.verify_kwargs())
            self.assertIsNone(s.do_handshake())

        def after_error():
            sock = tl.connect(srv.port, T)
            s = ussl.wrap_socket(sock, do_handshake=False,
                                 **tl.verify_kwargs("wrong.example"))
            with self.assertRaises(OSError):
                s.do_handshake()

        def never_started():
            sock = tl.connect(srv.port, T)
            ussl.wrap_socket(sock, do_handshake=False, **tl.verify_kwargs())

        def server_side():
            a, b = socket.socketpair()
            ussl.wrap_socket(a, do_handshake=False, **server_kwargs())
            b.close()

        for case in (established, in_a_cycle, mid_handshake, after_error,
                     never_started, server_side):
            with self.subTest(case=case.__name__):
                case()
                self.collect()
                self.assert_fds_back_to(before)
        self.assertTrue(srv.join(T))

    def test_drop_keeps_callers_socket_open(self):
        # The caller still holds the socket: dropping the SSLSocket must
        # not close it (it was never ussl's to close).
        srv = self.server()
        sock = tl.connect(srv.port, T)
        s = ussl.wrap_socket(sock, **tl.verify_kwargs())
        del s
        self.collect()
        self.assertNotEqual(sock.fileno(), -1)
        os.fstat(sock.fileno())
        sock.close()

    def test_drop_many_mid_handshake(self):
        # A hundred abandoned handshakes: no crash, no descriptor left.
        n = 100
        silent = tl.Listener(self, backlog=n)
        self.collect()
        before = tl.fd_count()
        for _ in range(n):
            sock = tl.connect(silent.port, T)
            sock.setblocking(False)
            s = ussl.wrap_socket(sock, do_handshake=False,
                                 **tl.verify_kwargs())
            self.assertIsNone(s.do_handshake())
            del s, sock
        self.collect()
        self.assert_fds_back_to(before)


class ManyConnections(Base):

    def test_thousand_connections_no_fd_leak(self):
        # Two client threads (the crypto runs without the GIL) against a
        # thread-per-connection CPython server; one connection in ten
        # verifies the server, the others skip it to keep this quick.
        warm = 6
        srv = self.server(conns=MANY + warm, concurrent=True)
        for i in range(warm):
            self.one(srv, i)
        for _ in range(3):
            gc.collect()
        before = tl.fd_count()
        errors = []

        def run(first, count):
            try:
                for i in range(first, first + count):
                    self.one(srv, i)
            except BaseException as e:
                errors.append(e)
        half = MANY // 2
        threads = [threading.Thread(target=run, args=(0, half)),
                   threading.Thread(target=run, args=(half, MANY - half))]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        elapsed = time.monotonic() - t0
        self.assertEqual(errors, [])
        self.assertTrue(srv.join(T))
        for _ in range(3):
            gc.collect()
        after = tl.fd_count()
        self.assertEqual(srv.errors, [])
        self.assertEqual(srv.results.count("eof"), MANY + warm)
        self.assertLessEqual(after, before,
                             "%d descriptors leaked" % (after - before))
        if not tl.SLOW:
            # Not a benchmark: this catches a wait per connection (a
            # 40 ms delayed ACK would take this past a minute).
            self.assertLess(elapsed, 40.0, "%.1f s" % elapsed)

    def one(self, srv, i):
        kw = tl.verify_kwargs() if i % 10 == 0 else {}
        s = tl.ussl_client(srv.port, timeout=T, **kw)
        try:
            s.write(b"ping")
            if tl.ussl_read_exact(s, 4) != b"pong":
                raise AssertionError("bad answer")
        finally:
            s.close()


if __name__ == "__main__":
    unittest.main()
