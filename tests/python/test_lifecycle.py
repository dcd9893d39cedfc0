"""test_lifecycle.py - an SSLSocket's life: deferred handshake on a
blocking socket, do_handshake(), close (idempotent, closes the socket,
everything after it raises E_CLOSED), the context manager, zero-length and
huge writes, read(0).
"""

import hashlib
import unittest

import ussl

import ussl_testlib as tl

WAIT = 60 * tl.TIME_SCALE


def echo_lines(conn, srv):
    """Echo until close_notify; returns everything received."""
    got = bytearray()
    while True:
        b = conn.recv(65536)
        if not b:
            return bytes(got)
        got += b
        conn.sendall(b)


class Lifecycle(unittest.TestCase):

    def server(self, handler=echo_lines, **kw):
        return tl.ThreadedServer(self, handler, tl.server_context(**kw))

    def test_deferred_handshake_on_write(self):
        names = []
        srv = self.server(sni_log=names)
        sock = tl.connect(srv.port)
        s = ussl.wrap_socket(sock, do_handshake=False, **tl.verify_kwargs())
        self.assertFalse(s.handshake_done)
        self.assertIsNone(s.version())
        self.assertEqual(s.want, 0)
        self.assertEqual(names, [])       # nothing was sent yet
        self.assertEqual(s.write(b"hello"), 5)
        self.assertTrue(s.handshake_done)
        self.assertIn(s.version(), ("TLSv1.2", "TLSv1.3"))
        self.assertEqual(names, ["localhost"])
        self.assertEqual(tl.ussl_read_exact(s, 5), b"hello")
        s.close()
        self.assertTrue(srv.join())
        self.assertEqual(srv.results, [b"hello"])

    def test_deferred_handshake_on_read(self):
        def greet(conn, srv):
            conn.sendall(b"greeting")
            return conn.recv(10)
        srv = self.server(greet)
        sock = tl.connect(srv.port)
        s = ussl.wrap_socket(sock, do_handshake=False, **tl.verify_kwargs())
        self.assertFalse(s.handshake_done)
        self.assertEqual(tl.ussl_read_exact(s, 8), b"greeting")
        self.assertTrue(s.handshake_done)
        s.write(b"k")
        s.close()
        self.assertTrue(srv.join())
        self.assertEqual(srv.results, [b"k"])

    def test_explicit_do_handshake(self):
        srv = self.server()
        sock = tl.connect(srv.port)
        s = ussl.wrap_socket(sock, do_handshake=False, **tl.verify_kwargs())
        self.assertIs(s.do_handshake(), True)
        self.assertTrue(s.handshake_done)
        self.assertIsNotNone(s.cipher())
        self.assertIs(s.do_handshake(), True)   # done already: no-op
        s.write(b"x")
        self.assertEqual(s.read(1), b"x")
        s.close()

    def test_close_idempotent_and_closes_socket(self):
        srv = self.server()
        sock = tl.connect(srv.port)
        s = ussl.wrap_socket(sock, **tl.verify_kwargs())
        fd = s.fileno()
        self.assertEqual(fd, sock.fileno())
        s.close()
        self.assertEqual(sock.fileno(), -1)
        s.close()
        s.close()
        self.assertTrue(srv.join())
        self.assertEqual(srv.errors, [])   # close_notify reached the server

    def test_use_after_close(self):
        srv = self.server()
        s = tl.ussl_client(srv.port, **tl.verify_kwargs())
        s.close()
        calls = {
            "read": lambda: s.read(10),
            "read_all": lambda: s.read(),
            "readinto": lambda: s.readinto(bytearray(10)),
            "readline": lambda: s.readline(),
            "write": lambda: s.write(b"x"),
            "write_empty": lambda: s.write(b""),
            "do_handshake": lambda: s.do_handshake(),
            "pending": lambda: s.pending(),
            "fileno": lambda: s.fileno(),
            "setblocking": lambda: s.setblocking(False),
            "settimeout": lambda: s.settimeout(1),
            "version": lambda: s.version(),
            "cipher": lambda: s.cipher(),
            "getpeercert": lambda: s.getpeercert(),
            "peer_subject": lambda: s.peer_subject(),
        }
        for name, call in calls.items():
            with self.subTest(call=name):
                with self.assertRaises(OSError) as cm:
                    call()
                self.assertEqual(cm.exception.args[0], ussl.E_CLOSED)

    def test_close_before_handshake(self):
        srv = self.server()
        sock = tl.connect(srv.port)
        s = ussl.wrap_socket(sock, do_handshake=False, **tl.verify_kwargs())
        s.close()
        self.assertEqual(sock.fileno(), -1)
        with self.assertRaises(OSError) as cm:
            s.write(b"x")
        self.assertEqual(cm.exception.args[0], ussl.E_CLOSED)

    def test_context_manager(self):
        srv = self.server()
        sock = tl.connect(srv.port)
        with ussl.wrap_socket(sock, **tl.verify_kwargs()) as s:
            self.assertIsInstance(s, type(s))
            s.write(b"ctx")
            self.assertEqual(tl.ussl_read_exact(s, 3), b"ctx")
        self.assertEqual(sock.fileno(), -1)
        with self.assertRaises(OSError) as cm:
            s.read(1)
        self.assertEqual(cm.exception.args[0], ussl.E_CLOSED)
        self.assertTrue(srv.join())
        self.assertEqual(srv.results, [b"ctx"])

    def test_context_manager_returns_self_and_closes_on_error(self):
        srv = self.server()
        sock = tl.connect(srv.port)
        s0 = ussl.wrap_socket(sock, **tl.verify_kwargs())
        with self.assertRaises(KeyError):
            with s0 as s:
                self.assertIs(s, s0)
                raise KeyError("boom")
        self.assertEqual(sock.fileno(), -1)

    def test_zero_length_write_and_read0(self):
        srv = self.server()
        s = tl.ussl_client(srv.port, **tl.verify_kwargs())
        self.assertEqual(s.write(b""), 0)
        self.assertEqual(s.write(bytearray()), 0)
        self.assertEqual(s.read(0), b"")
        self.assertEqual(s.readinto(bytearray(0)), 0)
        s.write(b"after")
        self.assertEqual(tl.ussl_read_exact(s, 5), b"after")
        s.close()
        self.assertTrue(srv.join())
        self.assertEqual(srv.results, [b"after"])

    def test_read0_does_not_block(self):
        srv = self.server()
        sock = tl.connect(srv.port)
        sock.settimeout(1.0)
        s = ussl.wrap_socket(sock, **tl.verify_kwargs())
        # Nothing is buffered and the server sends nothing: read(0) must
        # return at once rather than wait for a record.
        self.assertEqual(s.read(0), b"")
        s.close()

    def test_huge_single_write(self):
        total = tl.bulk_size(32 << 20)
        data = tl.pattern(1 << 20, seed=5) * (total >> 20)

        def sink(conn, srv):
            h = hashlib.sha256()
            n = 0
            while True:
                b = conn.recv(65536)
                if not b:
                    return n, h.hexdigest()
                n += len(b)
                h.update(b)
        srv = tl.ThreadedServer(self, sink, tl.server_context(), timeout=WAIT)
        s = tl.ussl_client(srv.port, timeout=WAIT, **tl.verify_kwargs())
        self.assertEqual(s.write(data), total)
        s.close()
        self.assertTrue(srv.join(WAIT))
        self.assertEqual(srv.errors, [])
        self.assertEqual(srv.results,
                         [(total, hashlib.sha256(data).hexdigest())])

    def test_write_accepts_buffer_types(self):
        srv = self.server()
        s = tl.ussl_client(srv.port, **tl.verify_kwargs())
        self.assertEqual(s.write(bytearray(b"ab")), 2)
        self.assertEqual(s.write(memoryview(b"xcdx")[1:3]), 2)
        self.assertEqual(tl.ussl_read_exact(s, 4), b"abcd")
        with self.assertRaises(TypeError):
            s.write("text")
        with self.assertRaises(TypeError):
            s.write(None)
        s.close()

    def test_server_side_attr(self):
        a, b = tl.socketpair_with_timeout()
        self.addCleanup(b.close)
        s = ussl.wrap_socket(a, server_side=True, do_handshake=False,
                             keyfile=tl.cert("server-ec.key"),
                             certfile=tl.cert("server-ec.pem"))
        self.addCleanup(s.close)
        self.assertIs(s.server_side, True)
        self.assertIs(s.handshake_done, False)


if __name__ == "__main__":
    unittest.main()
