"""test_frozen.py - a socket keeps the settings of its SSLContext as they
were when it was made.

For each setting: a client socket is made with do_handshake_on_connect=False,
the setting is changed on the context, and only then is the handshake run
(against a CPython ssl server on 127.0.0.1): it must behave by the old
setting.  A socket made after the change must behave by the new one, so
that each test also proves the change took effect.  The settings that
guard verification are tried in the direction an attacker would want
(turning a check off must not reach an existing socket) and in the other
(turning one on must not break it either).
"""

import socket
import ssl
import unittest

import ussl

import ussl_testlib as tl


def done_handler(conn, srv):
    """Answer one line, so that a failure after the handshake (TLS 1.3
    client certificates) shows on the client's read."""
    line = tl.recv_line(conn)
    conn.sendall(line)
    return conn.version()


def no_resumption(ctx):
    """Every connection makes a full handshake, so that what it verifies
    shows (whether a resumed session may skip the new rules is tested
    with the session cache)."""
    ctx.options |= ssl.OP_NO_TICKET
    return ctx


class Server:
    """A CPython server for n sequential connections, no resumption."""

    def __init__(self, tc, n=2, **kw):
        self.srv = tl.ThreadedServer(tc, done_handler,
                                     no_resumption(tl.server_context(**kw)),
                                     conns=n)
        self.port = self.srv.port


def make(tc, ctx, port, hostname="localhost"):
    """A client socket whose handshake has not run yet."""
    raw = tl.connect(port)
    try:
        s = ctx.wrap_socket(raw, server_hostname=hostname,
                            do_handshake_on_connect=False)
    except BaseException:
        raw.close()
        raise
    tc.addCleanup(s.close)
    return s


def talk(s):
    """Handshake, one line each way; returns the socket's version."""
    s.do_handshake()
    s.write(b"hello\n")
    if s.readline() != b"hello\n":
        raise AssertionError("no echo")
    return s.version()


def client(ca="ca.pem"):
    ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
    # No session cache either: each socket makes a full handshake.
    ctx.options |= ussl.OP_NO_TICKET
    if ca is not None:
        ctx.load_verify_locations(tl.cert(ca))
    return ctx


class FrozenTest(unittest.TestCase):

    def assert_fails(self, s):
        with self.assertRaises(OSError):
            talk(s)

    def test_check_hostname_off_later_with_callback(self):
        # The CPython pattern: callback installed, check_hostname turned
        # off after the socket was made: its name check must stay.
        srv = Server(self)
        ctx = client()
        calls = []
        ctx.verify_callback = lambda der, depth: calls.append(depth)
        s1 = make(self, ctx, srv.port, "wrong.example")
        ctx.check_hostname = False
        self.assert_fails(s1)
        s2 = make(self, ctx, srv.port, "wrong.example")
        talk(s2)
        self.assertTrue(calls)

    def test_check_hostname_off_later(self):
        srv = Server(self)
        ctx = client()
        s1 = make(self, ctx, srv.port, "wrong.example")
        ctx.check_hostname = False
        self.assert_fails(s1)
        talk(make(self, ctx, srv.port, "wrong.example"))

    def test_check_hostname_on_later(self):
        srv = Server(self)
        ctx = client()
        ctx.check_hostname = False
        s1 = make(self, ctx, srv.port, "wrong.example")
        ctx.check_hostname = True
        talk(s1)
        self.assert_fails(make(self, ctx, srv.port, "wrong.example"))

    def test_verify_mode_none_later(self):
        srv = Server(self, chain="selfsigned.pem", key="selfsigned.key")
        ctx = client()
        s1 = make(self, ctx, srv.port)
        ctx.verify_mode = ussl.CERT_NONE
        self.assertFalse(ctx.check_hostname)
        self.assert_fails(s1)
        talk(make(self, ctx, srv.port))

    def test_verify_mode_required_later(self):
        srv = Server(self, chain="selfsigned.pem", key="selfsigned.key")
        ctx = client()
        ctx.check_hostname = False
        ctx.verify_mode = ussl.CERT_NONE
        s1 = make(self, ctx, srv.port)
        ctx.verify_mode = ussl.CERT_REQUIRED
        ctx.check_hostname = True
        talk(s1)
        self.assert_fails(make(self, ctx, srv.port))

    def test_load_verify_locations_later(self):
        srv = Server(self)
        ctx = client("other-ca.pem")
        s1 = make(self, ctx, srv.port)
        ctx.load_verify_locations(tl.cert("ca.pem"))
        self.assert_fails(s1)
        talk(make(self, ctx, srv.port))

    def test_verify_callback_later(self):
        srv = Server(self, n=4)
        ctx = client()
        s1 = make(self, ctx, srv.port)
        ctx.verify_callback = lambda der, depth: 1      # reject all
        talk(s1)
        s2 = make(self, ctx, srv.port)
        self.assert_fails(s2)
        s3 = make(self, ctx, srv.port)
        ctx.verify_callback = None
        self.assert_fails(s3)
        talk(make(self, ctx, srv.port))

    def test_verify_relax_later(self):
        srv = Server(self, chain="cnonly.pem", key="cnonly.key")
        ctx = client()
        ctx.verify_relax = ussl.RELAX_CN_ONLY
        s1 = make(self, ctx, srv.port)
        ctx.verify_relax = 0
        talk(s1)
        self.assert_fails(make(self, ctx, srv.port))

    def test_load_cert_chain_later(self):
        # TLS 1.2, so that the missing certificate fails the handshake.
        srv = Server(self, verify=ssl.CERT_REQUIRED, ca="ca.pem",
                     version=ssl.TLSVersion.TLSv1_2)
        ctx = client()
        s1 = make(self, ctx, srv.port)
        ctx.load_cert_chain(tl.cert("client.pem"), tl.cert("client.key"))
        self.assert_fails(s1)
        talk(make(self, ctx, srv.port))

    def test_set_ciphers_later(self):
        srv = no_resumption(tl.server_context(
            version=ssl.TLSVersion.TLSv1_2))
        srv.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256")
        peer = tl.ThreadedServer(self, done_handler, srv, conns=2)
        ctx = client()
        s1 = make(self, ctx, peer.port)
        ctx.set_ciphers("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384")
        talk(s1)
        self.assertEqual(s1.cipher()[0],
                         "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")
        self.assert_fails(make(self, ctx, peer.port))

    def test_alpn_later(self):
        srv = no_resumption(tl.server_context())
        srv.set_alpn_protocols(["h2", "http/1.1"])
        peer = tl.ThreadedServer(self, done_handler, srv, conns=2)
        ctx = client()
        ctx.set_alpn_protocols(["http/1.1"])
        s1 = make(self, ctx, peer.port)
        ctx.set_alpn_protocols(["h2"])
        talk(s1)
        self.assertEqual(s1.selected_alpn_protocol(), "http/1.1")
        s2 = make(self, ctx, peer.port)
        talk(s2)
        self.assertEqual(s2.selected_alpn_protocol(), "h2")

    @unittest.skipUnless(tl.engine_has_tls13(), "engine without TLS 1.3")
    def test_versions_later(self):
        srv = Server(self)
        ctx = client()
        ctx.maximum_version = ussl.TLSv1_2
        s1 = make(self, ctx, srv.port)
        ctx.maximum_version = ussl.TLSv1_3
        ctx.minimum_version = ussl.TLSv1_3
        self.assertEqual(talk(s1), "TLSv1.2")
        self.assertEqual(talk(make(self, ctx, srv.port)), "TLSv1.3")

    def test_server_chain_later(self):
        # A ussl server: its socket keeps the chain it was made with.
        sctx = ussl.SSLContext(ussl.PROTOCOL_TLS_SERVER)
        sctx.load_cert_chain(tl.cert("server-ec-chain.pem"),
                             tl.cert("server-ec.key"))
        lst = tl.Listener(self)
        c = tl.client_context()
        got = []

        def run():
            with socket.create_connection(("127.0.0.1", lst.port),
                                          timeout=tl.TIMEOUT) as raw:
                with c.wrap_socket(raw, server_hostname="localhost") as s:
                    got.append(s.getpeercert(True))
                    s.sendall(b"x")
                    s.recv(1)
        peer = tl.ThreadedClient(self, run)
        raw = lst.accept()
        s = sctx.wrap_socket(raw, server_side=True,
                             do_handshake_on_connect=False)
        self.addCleanup(s.close)
        sctx.load_cert_chain(tl.cert("server-rsa.pem"),
                             tl.cert("server-rsa.key"))
        s.do_handshake()
        s.read(1)
        s.write(b"y")
        peer.join()
        self.assertIsNone(peer.error)
        self.assertEqual(got, [tl.cert_bytes("server-ec.der")])


if __name__ == "__main__":
    unittest.main()
