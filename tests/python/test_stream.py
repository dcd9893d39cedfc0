"""test_stream.py - the stream interface of a ussl client: read(n),
read(-1), readline, readinto, pending; clean end (close_notify) versus
truncation (bare FIN) and reset; close() sending close_notify.

The peer is a CPython ssl server in a thread; it reports ragged EOFs as
errors (suppress_ragged_eofs=False), so it can tell whether ussl sent
close_notify.
"""

import os
import socket
import ssl
import struct
import unittest

import ussl

import ussl_testlib as tl


def serve(tc, handler, version=None):
    return tl.ThreadedServer(tc, handler, tl.server_context(version=version))


def client(srv):
    return tl.ussl_client(srv.port, **tl.verify_kwargs())


def send_then_unwrap(payload):
    """Handler: send payload, close cleanly (close_notify), wait for the
    client's close_notify (unwrap returns only once it came)."""
    def handler(conn, srv):
        conn.sendall(payload)
        conn.unwrap()
        return "unwrapped"
    return handler


def send_then_fin(payload):
    """Handler: send payload, then end the TCP stream without
    close_notify."""
    def handler(conn, srv):
        conn.sendall(payload)
        tl.hard_close(conn)
        return "fin"
    return handler


class CleanEnd(unittest.TestCase):

    def test_read_returns_empty_at_close_notify(self):
        for vname, ver, _flag in tl.VERSIONS:
            with self.subTest(version=vname):
                srv = serve(self, send_then_unwrap(b"0123456789"), ver)
                s = client(srv)
                self.assertEqual(tl.ussl_read_exact(s, 10), b"0123456789")
                self.assertEqual(s.read(100), b"")
                # Every later read also reports the end.
                self.assertEqual(s.read(100), b"")
                self.assertEqual(s.read(), b"")
                s.close()
                # The server's unwrap() finished: our close_notify arrived.
                self.assertTrue(srv.join())
                self.assertEqual(srv.errors, [])
                self.assertEqual(srv.results, ["unwrapped"])

    def test_read_all(self):
        payload = tl.pattern(300000, seed=1)
        srv = serve(self, send_then_unwrap(payload))
        s = client(srv)
        self.assertEqual(s.read(-1), payload)
        s.close()
        self.assertTrue(srv.join())
        self.assertEqual(srv.errors, [])

    def test_read_default_is_read_all(self):
        payload = tl.pattern(50000, seed=2)
        srv = serve(self, send_then_unwrap(payload))
        s = client(srv)
        self.assertEqual(s.read(), payload)
        s.close()

    def test_readline(self):
        long_line = b"x" * 100000 + b"\n"
        payload = b"line1\nline2\n\n" + long_line + b"partial"
        srv = serve(self, send_then_unwrap(payload))
        s = client(srv)
        self.assertEqual(s.readline(), b"line1\n")
        self.assertEqual(s.readline(), b"line2\n")
        self.assertEqual(s.readline(), b"\n")
        self.assertEqual(s.readline(), long_line)
        self.assertEqual(s.readline(), b"partial")
        self.assertEqual(s.readline(), b"")
        s.close()
        self.assertTrue(srv.join())
        self.assertEqual(srv.errors, [])

    def test_readinto(self):
        payload = tl.pattern(70000, seed=3)
        srv = serve(self, send_then_unwrap(payload))
        s = client(srv)
        got = bytearray()
        buf = bytearray(4096)
        # With an explicit n smaller than the buffer.
        n = s.readinto(buf, 10)
        self.assertTrue(1 <= n <= 10)
        got += buf[:n]
        # Into a memoryview slice.
        mv = memoryview(buf)[100:200]
        n = s.readinto(mv)
        self.assertTrue(1 <= n <= 100)
        got += buf[100:100 + n]
        while True:
            n = s.readinto(buf)
            self.assertIsNotNone(n)
            if n == 0:
                break
            self.assertLessEqual(n, len(buf))
            got += buf[:n]
        self.assertEqual(bytes(got), payload)
        self.assertEqual(s.readinto(buf), 0)
        s.close()

    def test_readinto_rejects_readonly_and_bad_n(self):
        srv = serve(self, send_then_unwrap(b"abc"))
        s = client(srv)
        with self.assertRaises(TypeError):
            s.readinto(b"immutable")
        # n beyond the buffer: clamped or refused, never an overrun.
        small = bytearray(2)
        try:
            n = s.readinto(small, 10)
        except ValueError:
            n = 0
        self.assertLessEqual(n, 2)
        self.assertEqual(len(small), 2)
        buf = bytearray(8)
        got = bytes(small[:n])
        while len(got) < 3:
            k = s.readinto(buf, 3 - len(got))
            self.assertTrue(1 <= k <= 3 - len(got))
            got += buf[:k]
        self.assertEqual(got, b"abc")
        s.close()

    def test_read_returns_available_without_waiting_for_n(self):
        # One 10000-byte record: read(100) leaves the rest pending, and a
        # big read returns that rest without waiting for more.
        def handler(conn, srv):
            conn.sendall(b"a" * 10000)
            tl.recv_line(conn)
            conn.sendall(b"bye")
            conn.unwrap()
        srv = serve(self, handler)
        s = client(srv)
        first = s.read(100)
        self.assertEqual(first, b"a" * 100)
        self.assertEqual(s.pending(), 9900)
        self.assertEqual(s.read(1 << 20), b"a" * 9900)
        self.assertEqual(s.pending(), 0)
        s.write(b"next\n")
        self.assertEqual(s.read(1 << 20), b"bye")
        self.assertEqual(s.read(10), b"")
        s.close()
        self.assertTrue(srv.join())
        self.assertEqual(srv.errors, [])


class Truncation(unittest.TestCase):

    def test_fin_without_close_notify(self):
        for vname, ver, _flag in tl.VERSIONS:
            with self.subTest(version=vname):
                srv = serve(self, send_then_fin(b"0123456789"), ver)
                s = client(srv)
                self.assertEqual(tl.ussl_read_exact(s, 10), b"0123456789")
                with self.assertRaises(OSError) as cm:
                    s.read(100)
                self.assertEqual(cm.exception.args[0], ussl.E_TRUNCATED,
                                 repr(cm.exception))
                self.assertIn("truncat", str(cm.exception).lower())
                # Sticky.
                with self.assertRaises(OSError) as cm:
                    s.read(100)
                self.assertEqual(cm.exception.args[0], ussl.E_TRUNCATED)
                s.close()

    def test_read_all_truncated(self):
        srv = serve(self, send_then_fin(b"x" * 5000))
        s = client(srv)
        with self.assertRaises(OSError) as cm:
            s.read(-1)
        self.assertEqual(cm.exception.args[0], ussl.E_TRUNCATED)
        s.close()

    def test_readline_truncated(self):
        srv = serve(self, send_then_fin(b"complete\nincompl"))
        s = client(srv)
        self.assertEqual(s.readline(), b"complete\n")
        with self.assertRaises(OSError) as cm:
            s.readline()
        self.assertEqual(cm.exception.args[0], ussl.E_TRUNCATED)
        s.close()

    def test_fin_during_handshake(self):
        def handler(raw, srv):
            raw.recv(10)           # part of the ClientHello
            raw.shutdown(socket.SHUT_RDWR)
        srv = tl.ThreadedServer(self, handler)  # raw TCP
        with self.assertRaises(OSError) as cm:
            client(srv)
        self.assertNotIsInstance(cm.exception, TimeoutError)

    def test_garbage_instead_of_tls(self):
        def handler(raw, srv):
            raw.recv(10)
            raw.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n" * 20)
            raw.recv(100)
        srv = tl.ThreadedServer(self, handler)
        with self.assertRaises(OSError) as cm:
            client(srv)
        self.assertNotIsInstance(cm.exception, TimeoutError)
        self.assertIn(cm.exception.args[0],
                      (ussl.E_PROTOCOL, ussl.E_HANDSHAKE), repr(cm.exception))

    def test_reset(self):
        def handler(conn, srv):
            conn.sendall(b"hi")
            tl.recv_line(conn)
            raw = socket.socket(fileno=os.dup(conn.fileno()))
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                           struct.pack("ii", 1, 0))
            raw.close()
            # Closing the last descriptor with linger 0 sends RST.
            conn.close()
        srv = serve(self, handler)
        s = client(srv)
        self.assertEqual(tl.ussl_read_exact(s, 2), b"hi")
        s.write(b"go\n")
        with self.assertRaises(OSError) as cm:
            s.read(100)
        self.assertIsInstance(cm.exception, ConnectionResetError,
                              repr(cm.exception))
        s.close()


class CloseNotifySent(unittest.TestCase):

    def recv_until_end(self, conn, srv):
        data = bytearray()
        while True:
            b = conn.recv(65536)
            if not b:
                return bytes(data)
            data += b

    def test_close_sends_close_notify(self):
        for vname, ver, _flag in tl.VERSIONS:
            with self.subTest(version=vname):
                srv = serve(self, self.recv_until_end, ver)
                s = client(srv)
                s.write(b"all of it")
                s.close()
                self.assertTrue(srv.join())
                self.assertEqual(srv.errors, [])
                self.assertEqual(srv.results, [b"all of it"])

    def test_control_bare_close_is_seen(self):
        # The check above can fail: closing the socket under ussl (no
        # close_notify) is an error for the server.
        srv = serve(self, self.recv_until_end)
        sock = tl.connect(srv.port)
        s = ussl.wrap_socket(sock, **tl.verify_kwargs())
        s.write(b"data")
        sock.close()
        self.assertTrue(srv.join())
        self.assertEqual(srv.results, [])
        self.assertEqual(len(srv.errors), 1)
        self.assertIsInstance(srv.errors[0], ssl.SSLEOFError)
        s.close()

    def test_close_to_dead_peer_does_not_raise(self):
        def handler(conn, srv):
            conn.sendall(b"x")
            # Reset only once the client has read: a reset discards data
            # not yet read.
            tl.recv_line(conn)
            raw = socket.socket(fileno=os.dup(conn.fileno()))
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                           struct.pack("ii", 1, 0))
            raw.close()
        srv = serve(self, handler)
        s = client(srv)
        self.assertEqual(s.read(1), b"x")
        s.write(b"read it\n")
        self.assertTrue(srv.join())
        s.close()          # best effort, must not raise
        s.close()


if __name__ == "__main__":
    unittest.main()
