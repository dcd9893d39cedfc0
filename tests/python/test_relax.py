"""test_relax.py - SSLContext.verify_relax and the RELAX_* constants.

The default certificate policy follows the Web PKI rules, with RFC
5280's reading of a leaf without extendedKeyUsage (no restriction).  Two
certificates of the test PKI (tests/certs/mkcerts.sh) break it the way
older tools and roots do: a CN-only X.509 v1 leaf and a root without
subjectKeyIdentifier.  Against a CPython ssl server presenting each, a
ussl client must fail with OSError(E_VERIFY, reason) by default, connect
with the matching flag and still fail with the other flags.  A leaf
without EKU (server or client certificate) is accepted under every
setting; a leaf whose EKU names another role is refused under every one.
"""

import ssl
import unittest

import ussl

import ussl_testlib as tl

LINE = b"ping from ussl\n"
USAGE = ("extendedKeyUsage",)
POLICY = ("profile",)
NAME = ("host name",)


def echo_handler(conn, srv):
    line = tl.recv_line(conn)
    conn.sendall(b"echo: " + line)
    return line


def client_ctx(ca, relax=None):
    ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(tl.cert(ca))
    if relax is not None:
        ctx.verify_relax = relax
    return ctx


class Attribute(unittest.TestCase):

    def test_constants(self):
        self.assertEqual(ussl.RELAX_CN_ONLY, 1)
        self.assertEqual(ussl.RELAX_NO_EKU, 2)
        self.assertEqual(ussl.RELAX_LEGACY_CA, 4)

    def test_default_is_strict(self):
        for proto in (ussl.PROTOCOL_TLS_CLIENT, ussl.PROTOCOL_TLS_SERVER):
            self.assertEqual(ussl.SSLContext(proto).verify_relax, 0)

    def test_set_and_read_back(self):
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
        all_flags = (ussl.RELAX_CN_ONLY | ussl.RELAX_NO_EKU |
                     ussl.RELAX_LEGACY_CA)
        for v in (ussl.RELAX_NO_EKU, all_flags, 0, ussl.RELAX_LEGACY_CA):
            ctx.verify_relax = v
            self.assertEqual(ctx.verify_relax, v)

    def test_bad_values(self):
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
        ctx.verify_relax = ussl.RELAX_NO_EKU
        for bad in (8, 0x100, -1):
            with self.assertRaises(ValueError):
                ctx.verify_relax = bad
        with self.assertRaises(OverflowError):
            ctx.verify_relax = 1 << 80
        for bad in ("1", 1.0, None):
            with self.assertRaises(TypeError):
                ctx.verify_relax = bad
        with self.assertRaises(AttributeError):
            del ctx.verify_relax
        self.assertEqual(ctx.verify_relax, ussl.RELAX_NO_EKU)


class ServerCertificates(unittest.TestCase):
    """A ussl client against a CPython server presenting chain/key."""

    def connect(self, chain, key, ca, relax):
        srv = tl.ThreadedServer(self, echo_handler,
                                tl.server_context(chain, key))
        ctx = client_ctx(ca, relax)
        sock = tl.connect(srv.port)
        try:
            s = ctx.wrap_socket(sock, server_hostname="localhost")
        except BaseException:
            sock.close()
            srv.join()
            raise
        try:
            s.write(LINE)
            self.assertEqual(s.readline(), b"echo: " + LINE)
        finally:
            s.close()
        self.assertTrue(srv.join())
        self.assertEqual(srv.errors, [])

    def refused(self, chain, key, ca, relax, words):
        with self.assertRaises(OSError) as cm:
            self.connect(chain, key, ca, relax)
        tl.assert_verify_error(self, cm.exception, *words)

    def check(self, chain, key, ca, flag, words, others_words):
        """Default refuses with words, flag accepts, the others refuse."""
        others = (ussl.RELAX_CN_ONLY | ussl.RELAX_NO_EKU |
                  ussl.RELAX_LEGACY_CA) & ~flag
        with self.subTest(relax="default"):
            self.refused(chain, key, ca, None, words)
        with self.subTest(relax=flag):
            self.connect(chain, key, ca, flag)
        with self.subTest(relax=others):
            self.refused(chain, key, ca, others, others_words)

    def test_cn_only_v1_leaf(self):
        # No SAN, v1 (no AKI, no EKU): the name check fails first.
        self.check("cnonly.pem", "cnonly.key", "ca.pem",
                   ussl.RELAX_CN_ONLY, NAME, NAME)

    def test_leaf_without_eku(self):
        # RFC 5280 4.2.1.12: no EKU means no restriction, by default and
        # under every relaxation (a private CA's leaf).
        for relax in (None,) + tuple(range(8)):
            with self.subTest(relax=relax):
                self.connect("noeku.pem", "noeku.key", "ca.pem", relax)

    def test_leaf_for_another_role(self):
        # A clientAuth-only leaf is no server certificate, whatever the
        # relaxations; the message says so.
        for relax in (None, 7):
            with self.subTest(relax=relax):
                with self.assertRaises(OSError) as cm:
                    self.connect("client-san.pem", "client.key", "ca.pem",
                                 relax)
                tl.assert_verify_error(
                    self, cm.exception,
                    "extendedKeyUsage does not allow server authentication")

    def test_root_without_ski(self):
        self.check("legacy-leaf.pem", "legacy-leaf.key", "legacy-ca.pem",
                   ussl.RELAX_LEGACY_CA, POLICY, POLICY)

    def test_good_chain_under_every_setting(self):
        for relax in range(8):
            with self.subTest(relax=relax):
                self.connect("server-ec-chain.pem", "server-ec.key",
                             "ca.pem", relax)

    def test_change_applies_to_new_connections(self):
        # The setting may change on a context already used.
        srv = tl.ThreadedServer(self, echo_handler,
                                tl.server_context("cnonly.pem", "cnonly.key"),
                                conns=2)
        ctx = client_ctx("ca.pem", ussl.RELAX_CN_ONLY)
        for relax, ok in ((ussl.RELAX_CN_ONLY, True), (0, False)):
            ctx.verify_relax = relax
            sock = tl.connect(srv.port)
            try:
                s = ctx.wrap_socket(sock, server_hostname="localhost")
            except OSError as e:
                sock.close()
                self.assertFalse(ok)
                tl.assert_verify_error(self, e, *NAME)
                continue
            self.assertTrue(ok)
            s.write(LINE)
            self.assertEqual(s.readline(), b"echo: " + LINE)
            s.close()
        self.assertTrue(srv.join())


class ClientCertificates(unittest.TestCase):
    """A ussl server checking a CPython client's certificate."""

    def serve(self, relax):
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(tl.cert("server-ec-chain.pem"),
                            tl.cert("server-ec.key"))
        ctx.verify_mode = ussl.CERT_REQUIRED
        ctx.load_verify_locations(tl.cert("ca.pem"))
        if relax is not None:
            ctx.verify_relax = relax
        lst = tl.Listener(self)

        def run():
            raw = lst.accept()
            try:
                s = ctx.wrap_socket(raw, server_side=True)
            except BaseException:
                raw.close()
                raise
            try:
                line = s.readline()
                s.write(b"echo: " + line)
                return s.getpeercert(True)
            finally:
                s.close()
        server = tl.ThreadedClient(self, run)

        def talk(sock):
            sock.sendall(LINE)
            return tl.recv_line(sock)
        cctx = tl.client_context(chain="noeku.pem", key="noeku.key")
        client = tl.cpython_client(self, lst.port, cctx, talk)
        client.join()
        server.join()
        return server, client

    def test_client_without_eku(self):
        # Accepted by default and under every relaxation (RFC 5280).
        for relax in (None, ussl.RELAX_CN_ONLY | ussl.RELAX_LEGACY_CA,
                      ussl.RELAX_NO_EKU):
            with self.subTest(relax=relax):
                server, client = self.serve(relax)
                self.assertIsNone(server.error, repr(server.error))
                self.assertIsNone(client.error, repr(client.error))
                self.assertEqual(server.result, tl.pem_to_der("noeku.pem"))
                self.assertEqual(client.result, b"echo: " + LINE)


if __name__ == "__main__":
    unittest.main()
