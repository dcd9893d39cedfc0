"""test_mfl.py - SSLContext.max_fragment_length (RFC 6066).

The attribute's values and errors, and real exchanges against CPython's
ssl (OpenSSL honours the request) with each allowed size: every byte
arrives both ways, a full-size record from a peer that ignores nothing
still fits, and on mbedTLS the client speaks TLS 1.2.  Record sizes on
the wire are checked by tests/c/test_mfl.c.
"""

import ssl
import unittest

import ussl

import ussl_testlib as tl

PAYLOAD = bytes(range(256)) * 90      # 23040 bytes: several full records


def echo_all(conn, srv):
    got = b""
    while len(got) < len(PAYLOAD):
        chunk = conn.recv(65536)
        if not chunk:
            break
        got += chunk
    conn.sendall(got)
    return got


def client_ctx():
    ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(tl.cert("ca.pem"))
    return ctx


class Attribute(unittest.TestCase):

    def test_default_none_and_values(self):
        ctx = client_ctx()
        self.assertIsNone(ctx.max_fragment_length)
        for n in (512, 1024, 2048, 4096):
            ctx.max_fragment_length = n
            self.assertEqual(ctx.max_fragment_length, n)
        ctx.max_fragment_length = None
        self.assertIsNone(ctx.max_fragment_length)

    def test_bad_values(self):
        ctx = client_ctx()
        for bad in (0, 1, 511, 3000, 8192, 16384, -512):
            with self.assertRaises(ValueError):
                ctx.max_fragment_length = bad
        for bad in ("512", 512.0, b"x"):
            with self.assertRaises(TypeError):
                ctx.max_fragment_length = bad
        with self.assertRaises(AttributeError):
            del ctx.max_fragment_length
        self.assertIsNone(ctx.max_fragment_length)

    def test_server_context_refuses(self):
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_SERVER)
        with self.assertRaises(ValueError):
            ctx.max_fragment_length = 512


class Exchange(unittest.TestCase):

    def run_size(self, n):
        srv = tl.ThreadedServer(self, echo_all, tl.server_context())
        ctx = client_ctx()
        ctx.max_fragment_length = n
        s = ctx.wrap_socket(tl.connect(srv.port), server_hostname="localhost")
        try:
            if ussl.ENGINE == "mbedtls":
                self.assertEqual(s.version(), "TLSv1.2")
            s.sendall(PAYLOAD)
            got = bytearray()
            buf = bytearray(4096)
            while len(got) < len(PAYLOAD):
                k = s.recv_into(buf)
                self.assertGreater(k, 0)
                got += buf[:k]
            self.assertEqual(bytes(got), PAYLOAD)
        finally:
            s.close()
        srv.join()
        self.assertEqual(srv.results, [PAYLOAD])

    def test_each_size_against_openssl(self):
        # mbedTLS 2.28 cannot reassemble a handshake message split over
        # records: the server's certificate message (about 900 bytes
        # here) must fit the size asked for.
        old = ussl.MBEDTLS_VERSION.startswith("mbed TLS 2.")
        for n in (512, 1024, 2048, 4096):
            if old and n < 1024:
                continue
            with self.subTest(n=n):
                self.run_size(n)

    @tl.requires_tls13
    def test_tls13_only_context(self):
        ctx = client_ctx()
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        if ussl.ENGINE != "mbedtls":
            ctx.max_fragment_length = 512     # OpenSSL: TLS 1.3 works
            return
        with self.assertRaises((ValueError, OSError)):
            ctx.max_fragment_length = 512


if __name__ == "__main__":
    unittest.main()
