"""test_psk.py - pre-shared keys in the CPython module: the attributes
psk_identity, psk_key and server_psk_keys (a dict or any object with
get()), ussl to ussl and against `openssl s_server -psk` / `s_client
-psk`, TLS 1.2 and 1.3; refusals: wrong key, unknown identity, a lookup
that raises or returns a non-key, a PSK client against a trusted
certificate server, a certificate client against a PSK server with a
certificate; bad types and lengths (the key never in a message); binary
identities; a change after use applies to new sockets only.
"""

import os
import re
import socket
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ussl  # noqa: E402

import ussl_testlib as tl  # noqa: E402

ID = b"device-1"
KEY = b"secret-shared-key"
VERSIONS = [ussl.TLSVersion.TLSv1_2] if hasattr(ussl, "TLSVersion") else []


def versions():
    out = ["1.2"]
    if tl.HAS_TLS13:
        out.append("1.3")
    return out


def set_version(ctx, v):
    ctx.minimum_version = ctx.maximum_version = (
        ussl.TLSv1_2 if v == "1.2" else ussl.TLSv1_3)


def psk_client(v, ident=ID, key=KEY):
    ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
    set_version(ctx, v)
    ctx.psk_identity = ident
    ctx.psk_key = key
    return ctx


def psk_server(v, keys=None):
    ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_SERVER)
    set_version(ctx, v)
    ctx.server_psk_keys = {ID: KEY} if keys is None else keys
    return ctx


class Pair:
    """A ussl server thread on 127.0.0.1 (one connection) and a client:
    outcome of each side, and what the server read."""

    def __init__(self, tc, sctx, cctx, hostname=None):
        lsock = socket.socket()
        tc.addCleanup(lsock.close)
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(1)
        lsock.settimeout(tl.TIMEOUT)
        self.server_error = self.client_error = None
        self.got = None
        self.server_identity = None

        def serve():
            try:
                conn, _ = lsock.accept()
            except OSError as e:
                self.server_error = e
                return
            try:
                conn.settimeout(tl.TIMEOUT)
                s = sctx.wrap_socket(conn, server_side=True)
                self.got = s.read(4)
                s.write(b"pong")
                s.close()
            except Exception as e:     # the failure is what is tested
                self.server_error = e
                conn.close()

        t = threading.Thread(target=serve, daemon=True)
        t.start()
        sock = tl.connect(lsock.getsockname()[1])
        try:
            c = cctx.wrap_socket(sock, server_hostname=hostname)
            c.write(b"ping")
            self.reply = tl.ussl_read_exact(c, 4)
            self.cipher = c.cipher()
            self.peercert = c.getpeercert(True)
            c.close()
        except Exception as e:
            self.client_error = e
            sock.close()
        t.join(tl.TIMEOUT)

    @property
    def ok(self):
        return self.server_error is None and self.client_error is None


class UsslPair(unittest.TestCase):

    def test_connect(self):
        for v in versions():
            with self.subTest(version=v):
                p = Pair(self, psk_server(v), psk_client(v))
                self.assertTrue(p.ok, (p.server_error, p.client_error))
                self.assertEqual(p.got, b"ping")
                self.assertEqual(p.reply, b"pong")
                self.assertIsNone(p.peercert)
                if v == "1.2":
                    self.assertIn("PSK", p.cipher[0])

    def test_defaults_and_types(self):
        c = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
        self.assertEqual((c.psk_identity, c.psk_key, c.server_psk_keys),
                         (None, None, None))
        c.psk_identity = "text-id"          # str is taken, as UTF-8
        c.psk_key = bytearray(b"k" * 32)     # 2.28 takes up to 32
        self.assertEqual(c.psk_identity, "text-id")
        with self.assertRaises(TypeError):
            c.psk_identity = 12
        with self.assertRaises(TypeError):
            c.psk_key = 12345
        with self.assertRaises(Exception) as cm:
            c.psk_key = b"SECRET" * 9       # 54 bytes
        self.assertNotIn("SECRET", str(cm.exception))
        self.assertEqual(c.psk_key, bytearray(b"k" * 32))   # unchanged
        with self.assertRaises(Exception):
            c.psk_identity = b"a\x00b"
        with self.assertRaises(Exception):
            c.psk_identity = b"x" * 129
        with self.assertRaises(AttributeError):
            del c.psk_key

    def test_binary_identity_and_object(self):
        calls = []

        class Store:
            def get(self, identity):
                calls.append(identity)
                return KEY if identity == b"\xff\xfe\xfd" else None

        for v in versions():
            with self.subTest(version=v):
                del calls[:]
                p = Pair(self, psk_server(v, Store()),
                         psk_client(v, b"\xff\xfe\xfd"))
                self.assertTrue(p.ok, (p.server_error, p.client_error))
                self.assertIn(b"\xff\xfe\xfd", calls)

    def test_refusals(self):
        class Raises:
            def get(self, identity):
                raise RuntimeError("lookup failed")

        class NotAKey:
            def get(self, identity):
                return 12345

        cases = [
            ("wrong key", None, dict(key=b"wrong-key")),
            ("unknown identity", None, dict(ident=b"stranger")),
            ("lookup raises", Raises(), {}),
            ("lookup returns a non-key", NotAKey(), {}),
            ("no get()", object(), {}),
        ]
        for v in versions():
            for name, keys, kw in cases:
                with self.subTest(version=v, case=name):
                    p = Pair(self, psk_server(v, keys), psk_client(v, **kw))
                    self.assertIsNotNone(p.client_error)
                    self.assertIsNotNone(p.server_error)

    def test_no_certificate_fallback(self):
        for v in versions():
            # A PSK client that trusts the certificate server.
            with self.subTest(version=v, case="client"):
                sctx = ussl.SSLContext(ussl.PROTOCOL_TLS_SERVER)
                sctx.load_cert_chain(tl.cert("server-ec-chain.pem"),
                                     tl.cert("server-ec.key"))
                set_version(sctx, v)
                cctx = psk_client(v)
                cctx.load_verify_locations(tl.cert("ca.pem"))
                p = Pair(self, sctx, cctx, hostname="localhost")
                self.assertIsNotNone(p.client_error)
                self.assertIsNotNone(p.server_error)
            # A certificate client against a PSK server that has a
            # certificate the client trusts.
            with self.subTest(version=v, case="server"):
                sctx = psk_server(v)
                sctx.load_cert_chain(tl.cert("server-ec-chain.pem"),
                                     tl.cert("server-ec.key"))
                cctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
                cctx.load_verify_locations(tl.cert("ca.pem"))
                set_version(cctx, v)
                p = Pair(self, sctx, cctx, hostname="localhost")
                self.assertIsNotNone(p.client_error)
                self.assertIsNotNone(p.server_error)
                # The same client connects once the PSK is gone.
                sctx.server_psk_keys = None
                p = Pair(self, sctx, cctx, hostname="localhost")
                self.assertTrue(p.ok, (p.server_error, p.client_error))

    def test_change_after_use(self):
        v = "1.2"
        sctx = psk_server(v)
        cctx = psk_client(v)
        self.assertTrue(Pair(self, sctx, cctx).ok)
        cctx.psk_key = b"another-key"        # a copy from now on
        self.assertFalse(Pair(self, sctx, cctx).ok)
        sctx.server_psk_keys = {ID: b"another-key"}
        self.assertTrue(Pair(self, sctx, cctx).ok)


@unittest.skipUnless(tl.have_program("openssl"), "openssl not installed")
class AgainstOpenSSL(unittest.TestCase):

    FLAG = {"1.2": "-tls1_2", "1.3": "-tls1_3"}

    def test_client_to_s_server(self):
        for v in versions():
            with self.subTest(version=v):
                p = tl.Proc(self, ["openssl", "s_server", "-accept",
                                   "127.0.0.1:0", "-naccept", "1", "-nocert",
                                   "-rev", self.FLAG[v], "-psk", KEY.hex(),
                                   "-psk_identity", ID.decode()])
                port = int(p.wait_for(r"ACCEPT 127\.0\.0\.1:(\d+)").group(1))
                sock = tl.connect(port)
                s = psk_client(v).wrap_socket(sock)
                s.write(b"abc\n")
                self.assertEqual(tl.ussl_read_exact(s, 4), b"cba\n")
                self.assertEqual(s.version(), "TLSv" + v)
                s.close()

    def test_s_client_to_server(self):
        for v in versions():
            with self.subTest(version=v):
                lsock = socket.socket()
                self.addCleanup(lsock.close)
                lsock.bind(("127.0.0.1", 0))
                lsock.listen(1)
                lsock.settimeout(tl.TIMEOUT)
                c = tl.Proc(self, ["openssl", "s_client", "-connect",
                                   "127.0.0.1:%d" % lsock.getsockname()[1],
                                   "-ign_eof", self.FLAG[v], "-psk",
                                   KEY.hex(), "-psk_identity", ID.decode()])
                conn, _ = lsock.accept()
                conn.settimeout(tl.TIMEOUT)
                s = psk_server(v).wrap_socket(conn, server_side=True)
                s.write(b"from ussl\n")
                c.wait_for(r"from ussl")
                c.wait_for(r"(New|Reused), TLSv" + re.escape(v))
                s.close()


if __name__ == "__main__":
    unittest.main()
