"""test_timeout.py - socket timeouts are honoured by ussl's blocking calls:
a silent peer makes the handshake, a read or a write raise TimeoutError
(errno ETIMEDOUT) close to the timeout, and a timeout does not break the
connection.
"""

import errno
import socket
import threading
import time
import unittest

import ussl

import ussl_testlib as tl


class Timeouts(unittest.TestCase):

    def silent_peer(self):
        """A listener whose connections complete (kernel backlog) but never
        get a single byte."""
        lsock = socket.socket()
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(4)
        self.addCleanup(lsock.close)
        return lsock.getsockname()[1]

    def assert_timeout(self, cm, t0, low=0.4, high=3.0):
        high *= tl.TIME_SCALE
        elapsed = time.monotonic() - t0
        e = cm.exception
        self.assertIsInstance(e, TimeoutError, repr(e))
        self.assertEqual(e.errno, errno.ETIMEDOUT, repr(e))
        self.assertGreaterEqual(elapsed, low)
        self.assertLessEqual(elapsed, high)

    def test_handshake_timeout(self):
        port = self.silent_peer()
        sock = tl.connect(port)
        self.addCleanup(sock.close)
        sock.settimeout(0.5)
        t0 = time.monotonic()
        with self.assertRaises(OSError) as cm:
            ussl.wrap_socket(sock, **tl.verify_kwargs())
        self.assert_timeout(cm, t0)

    def test_server_handshake_timeout(self):
        # A ussl server whose client connects and says nothing.
        lst = tl.Listener(self)
        raw = tl.connect(lst.port)
        self.addCleanup(raw.close)
        conn = lst.accept(timeout=0.5)
        self.addCleanup(conn.close)
        t0 = time.monotonic()
        with self.assertRaises(OSError) as cm:
            ussl.wrap_socket(conn, server_side=True,
                             keyfile=tl.cert("server-ec.key"),
                             certfile=tl.cert("server-ec-chain.pem"))
        self.assert_timeout(cm, t0)

    def test_deferred_handshake_timeout(self):
        port = self.silent_peer()
        sock = tl.connect(port)
        self.addCleanup(sock.close)
        sock.settimeout(0.5)
        s = ussl.wrap_socket(sock, do_handshake=False, **tl.verify_kwargs())
        t0 = time.monotonic()
        with self.assertRaises(OSError) as cm:
            s.read(10)
        self.assert_timeout(cm, t0)

    def test_read_timeout_is_not_fatal(self):
        gate = threading.Event()

        def handler(conn, srv):
            gate.wait(10)
            conn.sendall(b"finally\n")
            return tl.recv_line(conn)
        srv = tl.ThreadedServer(self, handler, tl.server_context())
        s = tl.ussl_client(srv.port, **tl.verify_kwargs())
        s.settimeout(0.5)
        self.assertEqual(s.gettimeout(), 0.5)
        for _ in range(2):
            t0 = time.monotonic()
            with self.assertRaises(OSError) as cm:
                s.read(100)
            self.assert_timeout(cm, t0)
        gate.set()
        s.settimeout(10)
        self.assertEqual(s.readline(), b"finally\n")
        s.write(b"still works\n")
        s.close()
        self.assertTrue(srv.join())
        self.assertEqual(srv.errors, [])
        self.assertEqual(srv.results, [b"still works\n"])

    def test_write_timeout(self):
        gate = threading.Event()

        def handler(conn, srv):
            gate.wait(20)     # read nothing: the client's writes fill up
        srv = tl.ThreadedServer(self, handler, tl.server_context())
        self.addCleanup(gate.set)
        s = tl.ussl_client(srv.port, **tl.verify_kwargs())
        self.addCleanup(s.close)
        s.settimeout(0.5)
        chunk = b"z" * (1 << 20)
        t0 = time.monotonic()
        with self.assertRaises(OSError) as cm:
            for _ in range(256):       # far beyond any socket buffer
                s.write(chunk)
                t0 = time.monotonic()
        # Each write may take up to the timeout; the one that fails must
        # fail close to it.
        self.assert_timeout(cm, t0, low=0.3)

    def test_timeout_none_blocks_until_data(self):
        def handler(conn, srv):
            time.sleep(0.7)
            conn.sendall(b"x")
            conn.recv(10)
        srv = tl.ThreadedServer(self, handler, tl.server_context())
        s = tl.ussl_client(srv.port, **tl.verify_kwargs())
        s.settimeout(None)
        self.assertIsNone(s.gettimeout())
        t0 = time.monotonic()
        self.assertEqual(s.read(10), b"x")
        self.assertGreaterEqual(time.monotonic() - t0, 0.5)
        s.close()

    def test_gil_released_while_blocked(self):
        # A thread keeps counting while ussl blocks in read(): ussl must
        # not hold the GIL while it waits.
        stop = threading.Event()
        ticks = [0]

        def spin():
            while not stop.is_set():
                ticks[0] += 1
                time.sleep(0.001)
        port = self.silent_peer()
        sock = tl.connect(port)
        self.addCleanup(sock.close)
        sock.settimeout(1.0)
        t = threading.Thread(target=spin, daemon=True)
        t.start()
        try:
            with self.assertRaises(OSError):
                ussl.wrap_socket(sock, **tl.verify_kwargs())
        finally:
            stop.set()
            t.join(5)
        # Held GIL: ~0 ticks; released: hundreds (fewer on a loaded box).
        self.assertGreater(ticks[0], 20)


if __name__ == "__main__":
    unittest.main()
