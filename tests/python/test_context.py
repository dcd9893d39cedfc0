"""test_context.py - ussl.SSLContext: defaults, loading certificates and
CA data in every accepted form, cipher suites, ALPN, peer certificates,
mutual TLS with a server context, the verification callback, versions,
and the socket details (cipher, version, getpeercert, fileno after close).

Peers: CPython's ssl module (threads) and the openssl CLI (processes), on
127.0.0.1 with kernel-chosen ports, every wait bounded.
"""

import os
import pathlib
import selectors
import shutil
import ssl
import subprocess
import tempfile
import unittest

import ussl

import ussl_testlib as tl

LINE = b"ping from ussl\n"


def echo_handler(conn, srv):
    """Answer one line, then wait for the client's close_notify."""
    info = dict(version=conn.version(), cipher=conn.cipher(),
                reused=conn.session_reused,
                alpn=conn.selected_alpn_protocol(),
                peercert=conn.getpeercert(binary_form=True))
    line = tl.recv_line(conn)
    conn.sendall(b"echo: " + line)
    info["tail"] = conn.recv(100)
    return info


# CPython's own decoder of certificate files (used by its test suite).
decode_cert_file = getattr(ssl._ssl, "_test_decode_cert", None)
needs_decoder = unittest.skipIf(decode_cert_file is None,
                                "CPython has no _ssl._test_decode_cert")


def private_dir(tc):
    d = tempfile.mkdtemp(prefix="ussl-ctx-")
    tc.addCleanup(shutil.rmtree, d, True)
    return d


def client_ctx(ca="ca.pem"):
    ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(tl.cert(ca))
    return ctx


def server_ctx(chain="server-ec-chain.pem", key="server-ec.key"):
    ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tl.cert(chain), tl.cert(key))
    return ctx


def exchange(ctx, port, hostname="localhost", **kw):
    """Connect, send LINE, read the echo, close; returns what the socket
    said about the connection."""
    sock = tl.connect(port)
    try:
        s = ctx.wrap_socket(sock, server_hostname=hostname, **kw)
    except BaseException:
        sock.close()
        raise
    try:
        s.write(LINE)
        reply = s.readline()
        info = dict(version=s.version(), cipher=s.cipher(),
                    alpn=s.selected_alpn_protocol(),
                    reused=s.session_reused, reply=reply,
                    cert=s.getpeercert(), der=s.getpeercert(True))
    finally:
        s.close()
    return info


class CPythonPeer:
    """A CPython server for `conns` sequential connections."""

    def __init__(self, tc, conns=1, ctx=None, handler=echo_handler):
        self.srv = tl.ThreadedServer(tc, handler,
                                     ctx or tl.server_context(), conns=conns)
        self.port = self.srv.port

    def finish(self, tc):
        tc.assertTrue(self.srv.join(), "server did not finish")
        tc.assertEqual(self.srv.errors, [])
        return self.srv.results


def run_ussl_server(tc, ctx, handler):
    """Serve one connection with ctx in a thread; returns (port, thread)
    where thread.result is handler(sslsock) or thread.error."""
    lst = tl.Listener(tc)

    def run():
        raw = lst.accept()
        try:
            s = ctx.wrap_socket(raw, server_side=True)
        except BaseException:
            raw.close()
            raise
        try:
            return handler(s)
        finally:
            s.close()
    return lst.port, tl.ThreadedClient(tc, run)


def ussl_echo(s):
    info = dict(cert=s.getpeercert(), der=s.getpeercert(True),
                version=s.version(), alpn=s.selected_alpn_protocol(),
                reused=s.session_reused)
    line = s.readline()
    s.write(b"echo: " + line)
    return info


def cpython_exchange(sock):
    sock.sendall(LINE)
    reply = tl.recv_line(sock)
    info = dict(reply=reply, version=sock.version(),
                alpn=sock.selected_alpn_protocol(),
                reused=sock.session_reused, session=sock.session)
    sock.unwrap()
    return info


# ---------------------------------------------------------------------------


class Defaults(unittest.TestCase):

    def test_constants(self):
        self.assertEqual(ussl.PROTOCOL_TLS_CLIENT, ssl.PROTOCOL_TLS_CLIENT)
        self.assertEqual(ussl.PROTOCOL_TLS_SERVER, ssl.PROTOCOL_TLS_SERVER)
        self.assertEqual(ussl.OP_NO_TICKET, ssl.OP_NO_TICKET)
        self.assertEqual(ussl.TLSv1_2, ssl.TLSVersion.TLSv1_2)
        self.assertEqual(ussl.TLSv1_3, ssl.TLSVersion.TLSv1_3)

    def test_client_defaults(self):
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
        self.assertEqual(ctx.protocol, ussl.PROTOCOL_TLS_CLIENT)
        self.assertEqual(ctx.verify_mode, ussl.CERT_REQUIRED)
        self.assertIs(ctx.check_hostname, True)
        self.assertIsNone(ctx.verify_callback)
        self.assertEqual(ctx.options & ussl.OP_NO_TICKET, 0)
        self.assertIsNone(ctx.ticket_lifetime)

    def test_server_defaults(self):
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_SERVER)
        self.assertEqual(ctx.protocol, ussl.PROTOCOL_TLS_SERVER)
        self.assertEqual(ctx.verify_mode, ussl.CERT_NONE)
        self.assertIs(ctx.check_hostname, False)
        self.assertEqual(ctx.ticket_lifetime, 7200)

    def test_protocol_required_and_checked(self):
        with self.assertRaises(TypeError):
            ussl.SSLContext()
        for bad in (0, 2, 99, -1):
            with self.subTest(protocol=bad):
                with self.assertRaises(ValueError):
                    ussl.SSLContext(bad)
        with self.assertRaises(TypeError):
            ussl.SSLContext("client")

    def test_verify_mode_values(self):
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
        for mode in (ussl.CERT_NONE, ussl.CERT_OPTIONAL, ussl.CERT_REQUIRED):
            ctx.verify_mode = mode
            self.assertEqual(ctx.verify_mode, mode)
        for bad in (3, -1, 100):
            with self.assertRaises(ValueError):
                ctx.verify_mode = bad
        with self.assertRaises(TypeError):
            ctx.verify_mode = "required"

    def test_cert_none_turns_name_check_off_and_back(self):
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
        ctx.verify_mode = ussl.CERT_NONE
        self.assertIs(ctx.check_hostname, False)
        # As in CPython, checking names implies verifying.
        ctx.check_hostname = True
        self.assertEqual(ctx.verify_mode, ussl.CERT_REQUIRED)

    def test_required_client_needs_server_hostname(self):
        a, b = tl.socketpair_with_timeout()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        ctx = client_ctx()
        with self.assertRaises(ValueError) as cm:
            ctx.wrap_socket(a)
        self.assertIn("server_hostname", str(cm.exception))
        ctx.verify_mode = ussl.CERT_OPTIONAL
        ctx.check_hostname = True
        with self.assertRaises(ValueError):
            ctx.wrap_socket(a)
        # Nothing was sent on the socket.
        b.setblocking(False)
        with self.assertRaises(BlockingIOError):
            b.recv(1)

    def test_role_must_match(self):
        a, b = tl.socketpair_with_timeout()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        with self.assertRaises(ValueError):
            client_ctx().wrap_socket(a, server_side=True)
        with self.assertRaises(ValueError):
            server_ctx().wrap_socket(a, server_side=False)

    def test_verifying_client_without_ca_fails_verification(self):
        a, b = tl.socketpair_with_timeout()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
        with self.assertRaises(OSError) as cm:
            ctx.wrap_socket(a, server_hostname="localhost")
        self.assertEqual(cm.exception.args[0], ussl.E_VERIFY)

    def test_server_without_certificate(self):
        a, b = tl.socketpair_with_timeout()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_SERVER)
        with self.assertRaises(ValueError):
            ctx.wrap_socket(a, server_side=True)

    def test_default_client_connects_and_verifies(self):
        peer = CPythonPeer(self)
        info = exchange(client_ctx(), peer.port)
        self.assertEqual(info["reply"], b"echo: " + LINE)
        self.assertEqual(info["der"], tl.cert_bytes("server-ec.der"))
        peer.finish(self)

    def test_default_client_rejects_untrusted(self):
        peer = CPythonPeer(self, ctx=tl.server_context("selfsigned.pem",
                                                       "selfsigned.key"))
        with self.assertRaises(OSError) as cm:
            exchange(client_ctx(), peer.port)
        tl.assert_verify_error(self, cm.exception)
        peer.srv.join()

    def test_default_client_checks_name(self):
        peer = CPythonPeer(self)
        with self.assertRaises(OSError) as cm:
            exchange(client_ctx(), peer.port, hostname="example.com")
        tl.assert_verify_error(self, cm.exception, "name")
        peer.srv.join()

    def test_check_hostname_off_keeps_chain_check(self):
        peer = CPythonPeer(self, conns=2)
        ctx = client_ctx()
        ctx.check_hostname = False
        self.assertEqual(ctx.verify_mode, ussl.CERT_REQUIRED)
        # A name that does not match, and no name at all: both accepted.
        self.assertEqual(exchange(ctx, peer.port, "example.com")["reply"],
                         b"echo: " + LINE)
        self.assertEqual(exchange(ctx, peer.port, None)["reply"],
                         b"echo: " + LINE)
        peer.finish(self)
        # ... but an untrusted chain is still refused.
        bad = CPythonPeer(self, ctx=tl.server_context("selfsigned.pem",
                                                      "selfsigned.key"))
        with self.assertRaises(OSError) as cm:
            exchange(ctx, bad.port, "localhost")
        tl.assert_verify_error(self, cm.exception)
        bad.srv.join()

    def test_cert_none_client(self):
        peer = CPythonPeer(self, ctx=tl.server_context("selfsigned.pem",
                                                       "selfsigned.key"))
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
        ctx.verify_mode = ussl.CERT_NONE
        info = exchange(ctx, peer.port, None)
        self.assertEqual(info["reply"], b"echo: " + LINE)
        peer.finish(self)

    def test_create_default_context(self):
        ctx = ussl.create_default_context(cafile=tl.cert("ca.pem"))
        self.assertEqual(ctx.protocol, ussl.PROTOCOL_TLS_CLIENT)
        self.assertEqual(ctx.verify_mode, ussl.CERT_REQUIRED)
        self.assertTrue(ctx.check_hostname)
        peer = CPythonPeer(self)
        exchange(ctx, peer.port)
        peer.finish(self)
        sctx = ussl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.assertEqual(sctx.protocol, ussl.PROTOCOL_TLS_SERVER)
        sctx = ussl.create_default_context(ussl.CLIENT_AUTH)
        self.assertEqual(sctx.protocol, ussl.PROTOCOL_TLS_SERVER)
        with self.assertRaises(ValueError):
            ussl.create_default_context("1.2.3")

    def test_load_default_certs(self):
        bundle = "/etc/ssl/certs/ca-certificates.crt"
        if not os.path.exists(bundle):
            self.skipTest("no system CA bundle")
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
        ctx.load_default_certs()
        # The system roots do not include the test CA.
        peer = CPythonPeer(self)
        with self.assertRaises(OSError) as cm:
            exchange(ctx, peer.port)
        tl.assert_verify_error(self, cm.exception)
        peer.srv.join()


class CaData(unittest.TestCase):
    """load_verify_locations() in every form; each is proved by a
    verified handshake (and the wrong CA by a failing one)."""

    def connect_with(self, *args, **kw):
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(*args, **kw)
        peer = CPythonPeer(self)
        try:
            info = exchange(ctx, peer.port)
        finally:
            peer.srv.join()
        self.assertEqual(info["reply"], b"echo: " + LINE)

    def rejected_with(self, *args, **kw):
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(*args, **kw)
        peer = CPythonPeer(self)
        with self.assertRaises(OSError) as cm:
            exchange(ctx, peer.port)
        tl.assert_verify_error(self, cm.exception)
        peer.srv.join()

    def test_cafile_str_path(self):
        self.connect_with(tl.cert("ca.pem"))
        self.connect_with(cafile=tl.cert("ca.pem"))

    def test_cafile_pathlike(self):
        self.connect_with(pathlib.Path(tl.cert("ca.pem")))

    def test_cafile_der_file(self):
        self.connect_with(cafile=tl.cert("ca.der"))

    def test_cafile_bytes_is_data(self):
        # MicroPython's facade: bytes are the data, not a file name.
        self.connect_with(cafile=tl.cert_bytes("ca.pem"))
        self.connect_with(tl.cert_bytes("ca.der"))

    def test_cadata_pem_str(self):
        self.connect_with(cadata=tl.cert_bytes("ca.pem").decode("ascii"))

    def test_cadata_pem_bytes(self):
        self.connect_with(cadata=tl.cert_bytes("ca.pem"))

    def test_cadata_der_bytes(self):
        self.connect_with(cadata=tl.cert_bytes("ca.der"))
        self.connect_with(cadata=bytearray(tl.cert_bytes("ca.der")))
        self.connect_with(cadata=memoryview(tl.cert_bytes("ca.der")))

    def test_cadata_several_pem(self):
        both = tl.cert_bytes("other-ca.pem") + tl.cert_bytes("ca.pem")
        self.connect_with(cadata=both)
        self.connect_with(cadata=both.decode("ascii"))

    def test_cadata_several_der(self):
        other = tl.pem_to_der("other-ca.pem")
        ca = tl.cert_bytes("ca.der")
        self.connect_with(cadata=other + ca)
        self.connect_with(cadata=ca + other)

    def test_micropython_positional_cadata(self):
        # MicroPython: load_verify_locations(cafile=None, cadata=None).
        self.connect_with(None, tl.cert_bytes("ca.der"))

    def test_capath(self):
        d = private_dir(self)
        with open(os.path.join(d, "root.pem"), "wb") as f:
            f.write(tl.cert_bytes("ca.pem"))
        with open(os.path.join(d, "README"), "w") as f:
            f.write("not a certificate\n")
        self.connect_with(capath=d)

    def test_wrong_ca_rejected(self):
        self.rejected_with(cadata=tl.cert_bytes("other-ca.pem"))
        self.rejected_with(cadata=tl.pem_to_der("other-ca.pem"))

    def test_bad_data(self):
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
        for bad in (b"garbage", tl.cert_bytes("garbage.pem"),
                    tl.cert_bytes("ca.der")[:100], "not pem"):
            with self.subTest(bad=bad[:20]):
                with self.assertRaises(ValueError) as cm:
                    ctx.load_verify_locations(cadata=bad)
                self.assertIn("cadata", str(cm.exception))
        with self.assertRaises(TypeError):
            ctx.load_verify_locations()
        with self.assertRaises(TypeError):
            ctx.load_verify_locations(cadata=12)
        with self.assertRaises(FileNotFoundError):
            ctx.load_verify_locations(os.path.join(tl.certs_dir(), "nope"))
        # Failed loads left nothing behind: still no trusted CA.
        a, b = tl.socketpair_with_timeout()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        with self.assertRaises(OSError) as cm:
            ctx.wrap_socket(a, server_hostname="localhost")
        self.assertEqual(cm.exception.args[0], ussl.E_VERIFY)


class CertChain(unittest.TestCase):
    """load_cert_chain() forms, proved by a CPython client that trusts
    only the root (so intermediates must be sent)."""

    def serve_with(self, *args, **kw):
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*args, **kw)
        port, t = run_ussl_server(self, ctx, ussl_echo)
        c = tl.cpython_client(self, port, tl.client_context(),
                              cpython_exchange)
        c.join()
        t.join()
        self.assertIsNone(c.error, repr(c.error))
        self.assertIsNone(t.error, repr(t.error))
        self.assertEqual(c.result["reply"], b"echo: " + LINE)

    def test_paths_with_intermediate(self):
        self.serve_with(tl.cert("server-ec-chain.pem"),
                        tl.cert("server-ec.key"))

    def test_combined_pem_file(self):
        self.serve_with(tl.cert("server-ec-combined.pem"))

    def test_combined_pem_bytes(self):
        self.serve_with(tl.cert_bytes("server-ec-combined.pem"))

    def test_bytes_pem(self):
        self.serve_with(tl.cert_bytes("server-ec-chain.pem"),
                        tl.cert_bytes("server-ec.key"))

    def test_bytes_der(self):
        self.serve_with(tl.cert_bytes("server-rsa.der"),
                        tl.cert_bytes("server-rsa.key.der"))

    def test_pathlike(self):
        self.serve_with(pathlib.Path(tl.cert("server-ec-chain.pem")),
                        keyfile=pathlib.Path(tl.cert("server-ec.key")))

    def test_encrypted_key_passwords(self):
        for pw in ("secret", b"secret", bytearray(b"secret"),
                   lambda: "secret", lambda: b"secret"):
            with self.subTest(pw=pw):
                self.serve_with(tl.cert("server-ec-chain.pem"),
                                tl.cert("encrypted.key"), password=pw)

    def test_without_intermediate_client_fails(self):
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(tl.cert("leaf-only-int.pem"),
                            tl.cert("leaf-only-int.key"))
        port, t = run_ussl_server(self, ctx, ussl_echo)
        c = tl.cpython_client(self, port, tl.client_context(),
                              cpython_exchange)
        c.join()
        t.join()
        self.assertIsInstance(c.error, ssl.SSLCertVerificationError)

    def test_errors(self):
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_SERVER)
        with self.assertRaises(FileNotFoundError):
            ctx.load_cert_chain(os.path.join(tl.certs_dir(), "missing.pem"))
        with self.assertRaises(ValueError) as cm:
            ctx.load_cert_chain(tl.cert("server-ec.pem"),
                                tl.cert("server-rsa.key"))
        self.assertIn("certfile", str(cm.exception))
        with self.assertRaises(ValueError):
            ctx.load_cert_chain(tl.cert("server-ec-chain.pem"),
                                tl.cert("encrypted.key"), password="wrong")
        with self.assertRaises(ValueError):
            ctx.load_cert_chain(tl.cert_bytes("garbage.pem"),
                                tl.cert_bytes("server-ec.key"))
        with self.assertRaises(ValueError):
            # A certificate without any key.
            ctx.load_cert_chain(tl.cert("server-ec.pem"))
        with self.assertRaises(TypeError):
            ctx.load_cert_chain(12)
        with self.assertRaises(TypeError):
            ctx.load_cert_chain(tl.cert("server-ec-chain.pem"),
                                tl.cert("encrypted.key"), password=12)

    def test_replacing_chain_while_in_use(self):
        # The first chain serves a connection; loading another one later
        # changes what new connections present, not the old one.
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(tl.cert("server-ec-chain.pem"),
                            tl.cert("server-ec.key"))
        port, t = run_ussl_server(self, ctx, ussl_echo)
        c = tl.cpython_client(self, port, tl.client_context(),
                              lambda s: s.getpeercert(True))
        c.join()
        t.join()
        self.assertEqual(c.result, tl.cert_bytes("server-ec.der"))
        ctx.load_cert_chain(tl.cert("server-rsa.pem"),
                            tl.cert("server-rsa.key"))
        port, t = run_ussl_server(self, ctx, ussl_echo)
        c = tl.cpython_client(self, port, tl.client_context(),
                              lambda s: s.getpeercert(True))
        c.join()
        t.join()
        self.assertEqual(c.result, tl.cert_bytes("server-rsa.der"))


class CiphersAndVersions(unittest.TestCase):

    def test_get_ciphers(self):
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
        ciphers = ctx.get_ciphers()
        self.assertTrue(ciphers)
        names = [c["name"] for c in ciphers]
        self.assertEqual(len(names), len(set(names)))
        for c in ciphers:
            self.assertTrue(c["name"].startswith("TLS_"), c)
            self.assertIn(c["protocol"], ("TLSv1.2", "TLSv1.3"))
            self.assertIn(c["strength_bits"], (128, 256))
            self.assertTrue(c["aead"])      # the default list is AEAD only
        self.assertIn("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", names)
        if tl.HAS_TLS13:
            self.assertIn("TLS_AES_128_GCM_SHA256", names)

    def test_set_ciphers_restricts_and_is_used(self):
        name = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
        ctx = client_ctx()
        ctx.set_ciphers([name])
        self.assertEqual([c["name"] for c in ctx.get_ciphers()], [name])
        ctx.maximum_version = ussl.TLSv1_2
        peer = CPythonPeer(self)
        info = exchange(ctx, peer.port)
        self.assertEqual(info["cipher"], (name, "TLSv1.2", 128))
        theirs = peer.finish(self)[0]
        self.assertEqual(tl.iana_cipher_name(theirs["cipher"][0]), name)

    def test_set_ciphers_string_form(self):
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
        ctx.set_ciphers("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 : "
                        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
        self.assertEqual([c["name"] for c in ctx.get_ciphers()],
                         ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
                          "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"])

    def test_unknown_cipher_is_a_clear_error(self):
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
        before = ctx.get_ciphers()
        with self.assertRaises(ValueError) as cm:
            ctx.set_ciphers(["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                             "NO_SUCH_SUITE"])
        self.assertIn("NO_SUCH_SUITE", str(cm.exception))
        self.assertEqual(ctx.get_ciphers(), before)
        with self.assertRaises(ValueError):
            ctx.set_ciphers([])
        with self.assertRaises(ValueError):
            ctx.set_ciphers("")
        with self.assertRaises(TypeError):
            ctx.set_ciphers([1])

    def test_cipher_and_version_match_cpython_peer(self):
        for vname, ver, _flag in tl.VERSIONS:
            with self.subTest(version=vname):
                ctx = client_ctx()
                ctx.minimum_version = ctx.maximum_version = ver
                self.assertEqual(ctx.minimum_version, ver)
                peer = CPythonPeer(self)
                info = exchange(ctx, peer.port)
                theirs = peer.finish(self)[0]
                self.assertEqual(info["version"], vname)
                self.assertEqual(theirs["version"], vname)
                name, proto, bits = info["cipher"]
                self.assertEqual(name,
                                 tl.iana_cipher_name(theirs["cipher"][0]))
                self.assertEqual(proto, vname)
                self.assertEqual(bits, theirs["cipher"][2])

    def test_cipher_with_openssl_server(self):
        name = "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
        srv = tl.OpenSSLServer(self, ["-www", "-tls1_2", "-cipher",
                                      "ECDHE-ECDSA-AES256-GCM-SHA384"])
        s = client_ctx().wrap_socket(tl.connect(srv.port),
                                     server_hostname="localhost")
        try:
            self.assertEqual(s.cipher(), (name, "TLSv1.2", 256))
            s.write(b"GET / HTTP/1.0\r\n\r\n")
            page = tl.ussl_read_until_eof(s)
        finally:
            s.close()
        self.assertIn(b"ECDHE-ECDSA-AES256-GCM-SHA384", page)

    def test_version_values(self):
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
        self.assertEqual(ctx.minimum_version, ussl.MINIMUM_SUPPORTED)
        self.assertEqual(ctx.maximum_version, ussl.MAXIMUM_SUPPORTED)
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        self.assertEqual(ctx.maximum_version, ussl.TLSv1_2)
        for bad in (0x0301, 0x0302, 5):
            with self.assertRaises(ValueError):
                ctx.minimum_version = bad
        with self.assertRaises(ValueError):
            ctx.minimum_version = ussl.TLSv1_3   # above the maximum


class Alpn(unittest.TestCase):

    def test_client_with_cpython_server(self):
        sctx = tl.server_context()
        sctx.set_alpn_protocols(["http/1.1", "h2"])
        for offer, expected in ((["h2", "http/1.1"], "http/1.1"),
                                (["h2"], "h2"),
                                ([b"spdy/1", "h2"], "h2")):
            with self.subTest(offer=offer):
                ctx = client_ctx()
                ctx.set_alpn_protocols(offer)
                peer = CPythonPeer(self, ctx=sctx)
                info = exchange(ctx, peer.port)
                theirs = peer.finish(self)[0]
                self.assertEqual(info["alpn"], expected)
                self.assertEqual(theirs["alpn"], expected)

    def test_no_alpn(self):
        ctx = client_ctx()
        peer = CPythonPeer(self)
        self.assertIsNone(exchange(ctx, peer.port)["alpn"])
        peer.finish(self)
        ctx.set_alpn_protocols(["h2"])
        peer = CPythonPeer(self)     # server without ALPN
        self.assertIsNone(exchange(ctx, peer.port)["alpn"])
        peer.finish(self)

    def test_server_with_cpython_client(self):
        ctx = server_ctx()
        ctx.set_alpn_protocols(["h2", "http/1.1"])
        port, t = run_ussl_server(self, ctx, ussl_echo)
        cctx = tl.client_context()
        cctx.set_alpn_protocols(["http/1.1"])
        c = tl.cpython_client(self, port, cctx, cpython_exchange)
        c.join()
        t.join()
        self.assertIsNone(c.error, repr(c.error))
        self.assertEqual(c.result["alpn"], "http/1.1")
        self.assertEqual(t.result["alpn"], "http/1.1")

    def test_openssl_server(self):
        srv = tl.OpenSSLServer(self, ["-www", "-alpn", "h2,http/1.1"])
        ctx = client_ctx()
        ctx.set_alpn_protocols(["http/1.1"])
        s = ctx.wrap_socket(tl.connect(srv.port), server_hostname="localhost")
        try:
            self.assertEqual(s.selected_alpn_protocol(), "http/1.1")
        finally:
            s.close()

    def test_bad_values(self):
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
        with self.assertRaises(ValueError):
            ctx.set_alpn_protocols([""])
        with self.assertRaises(ValueError):
            ctx.set_alpn_protocols(["x" * 256])
        with self.assertRaises(TypeError):
            ctx.set_alpn_protocols("h2")
        with self.assertRaises(TypeError):
            ctx.set_alpn_protocols([2])
        ctx.set_alpn_protocols([])


class PeerCertificate(unittest.TestCase):

    @needs_decoder
    def test_dict_matches_cpython(self):
        peer = CPythonPeer(self)
        info = exchange(client_ctx(), peer.port)
        peer.finish(self)
        expected = decode_cert_file(tl.cert("server-ec.pem"))
        self.assertEqual(info["cert"], expected)
        self.assertEqual(info["cert"]["subject"],
                         ((("organizationName", "ussl tests"),),
                          (("commonName", "localhost"),)))
        self.assertEqual(info["cert"]["subjectAltName"],
                         (("DNS", "localhost"), ("IP Address", "127.0.0.1")))
        self.assertRegex(info["cert"]["notBefore"],
                         r"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4} GMT$")
        self.assertEqual(info["der"], tl.cert_bytes("server-ec.der"))

    def test_binary_form_keyword_and_positional(self):
        peer = CPythonPeer(self)
        sock = tl.connect(peer.port)
        s = client_ctx().wrap_socket(sock, server_hostname="localhost")
        try:
            der = tl.cert_bytes("server-ec.der")
            self.assertEqual(s.getpeercert(binary_form=True), der)
            self.assertEqual(s.getpeercert(True), der)
            self.assertIsInstance(s.getpeercert(), dict)
            self.assertIsInstance(s.getpeercert(binary_form=False), dict)
            s.write(LINE)
            s.readline()
        finally:
            s.close()
        peer.finish(self)

    def test_module_wrap_socket_keeps_its_getpeercert(self):
        peer = CPythonPeer(self)
        s = tl.ussl_client(peer.port, **tl.verify_kwargs())
        try:
            self.assertEqual(s.getpeercert(), tl.cert_bytes("server-ec.der"))
            d = s.getpeercert(binary_form=False)
            self.assertIn("CN=localhost", d["subject"])
            s.write(LINE)
            s.readline()
        finally:
            s.close()
        peer.finish(self)

    def test_before_handshake(self):
        a, b = tl.socketpair_with_timeout()
        self.addCleanup(b.close)
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
        ctx.verify_mode = ussl.CERT_NONE
        s = ctx.wrap_socket(a, do_handshake_on_connect=False)
        self.addCleanup(s.close)
        self.assertIsNone(s.getpeercert())
        self.assertIsNone(s.cipher())
        self.assertIsNone(s.version())
        self.assertIsNone(s.selected_alpn_protocol())
        self.assertIs(s.session_reused, False)
        self.assertIs(s.context, ctx)
        self.assertIsNone(s.server_hostname)

    @needs_decoder
    def test_cert_info_special_certificate(self):
        # Every SAN type, AIA, CRL distribution points, a multi-valued
        # RDN, UTF-8 names and a negative serial, against OpenSSL's
        # decoding as CPython reports it.
        d = private_dir(self)
        cnf = os.path.join(d, "ext.cnf")
        with open(cnf, "w") as f:
            f.write(SPECIAL_CNF)
        key = os.path.join(d, "k.pem")
        pem = os.path.join(d, "special.pem")
        run = lambda *a: run_quietly(a)  # noqa: E731
        run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-out", key)
        run("openssl", "req", "-new", "-x509", "-key", key, "-out", pem,
            "-days", "36500", "-config", cnf, "-extensions", "x", "-utf8",
            "-multivalue-rdn", "-set_serial", "-1234567", "-subj",
            "/C=US/ST=Cal/L=SF/O=Org, Inc./OU=Unit+CN=multi/"
            "CN=\u00dcn\u00efc\u00f6d\u00e9 \u540d\u524d/"
            "emailAddress=a@b.c/DC=example/DC=com/serialNumber=12345")
        with open(pem) as f:
            der = ssl.PEM_cert_to_DER_cert(f.read())
        ours = ussl.cert_info(der)
        self.assertEqual(ours, decode_cert_file(pem))
        self.assertEqual(ours["serialNumber"], "-12D687")
        self.assertIn(("IP Address", "2001:DB8:0:0:0:0:0:1"),
                      ours["subjectAltName"])
        self.assertEqual(ours["OCSP"], ("http://ocsp.example.com/",))

    @needs_decoder
    def test_cert_info_test_pki(self):
        for name in ("ca.pem", "int.pem", "server-ec.pem", "server-rsa.pem",
                     "client.pem", "expired.pem", "notyet.pem",
                     "selfsigned.pem", "wronghost.pem"):
            with self.subTest(cert=name):
                der = tl.pem_to_der(name)
                self.assertEqual(ussl.cert_info(der),
                                 decode_cert_file(tl.cert(name)))

    def test_cert_info_hostile_input(self):
        import random
        der = tl.pem_to_der("server-ec.pem")
        rnd = random.Random(1234)
        with self.assertRaises(ValueError):
            ussl.cert_info(b"")
        with self.assertRaises(ValueError):
            ussl.cert_info(der + b"\x00")
        for n in range(len(der)):
            with self.assertRaises(ValueError):
                ussl.cert_info(der[:n])
        for _ in range(3000):
            m = bytearray(der)
            for _ in range(rnd.randint(1, 6)):
                m[rnd.randrange(len(m))] = rnd.randrange(256)
            try:
                d = ussl.cert_info(bytes(m))
            except ValueError:
                continue
            self.assertIsInstance(d, dict)


SPECIAL_CNF = """
[req]
distinguished_name = dn
[dn]
[x]
subjectAltName = @alt
authorityInfoAccess = OCSP;URI:http://ocsp.example.com/,caIssuers;URI:http://ca.example.com/ca.crt
crlDistributionPoints = URI:http://crl.example.com/a.crl
[alt]
DNS.1 = example.com
IP.1 = 10.1.2.3
IP.2 = 2001:db8::1
URI.1 = https://example.com/path
email.1 = admin@example.com
RID.1 = 1.2.3.4.5
dirName.1 = dir_sect
otherName.1 = 1.3.6.1.4.1.311.20.2.3;UTF8:user@example.com
[dir_sect]
C = DE
O = Dir Org
CN = Dir Name
"""


def run_quietly(argv):
    subprocess.run(argv, check=True, timeout=60, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


class MutualTLS(unittest.TestCase):
    """A ussl server context asking for client certificates."""

    def server(self, mode):
        ctx = server_ctx()
        ctx.verify_mode = mode
        ctx.load_verify_locations(cadata=tl.cert_bytes("ca.pem"))
        return ctx

    @needs_decoder
    def test_required_with_cpython_client(self):
        ctx = self.server(ussl.CERT_REQUIRED)
        port, t = run_ussl_server(self, ctx, ussl_echo)
        cctx = tl.client_context(chain="client.pem", key="client.key")
        c = tl.cpython_client(self, port, cctx, cpython_exchange)
        c.join()
        t.join()
        self.assertIsNone(c.error, repr(c.error))
        self.assertIsNone(t.error, repr(t.error))
        cert = t.result["cert"]
        self.assertEqual(cert, decode_cert_file(tl.cert("client.pem")))
        self.assertIn((("commonName", "ussl test client"),), cert["subject"])
        self.assertEqual(t.result["der"], tl.pem_to_der("client.pem"))

    def test_required_without_client_cert(self):
        ctx = self.server(ussl.CERT_REQUIRED)
        port, t = run_ussl_server(self, ctx, ussl_echo)
        c = tl.cpython_client(self, port, tl.client_context(),
                              cpython_exchange)
        c.join()
        t.join()
        self.assertIsInstance(t.error, OSError)
        self.assertIsNotNone(c.error)

    def test_required_with_foreign_client_cert(self):
        ctx = self.server(ussl.CERT_REQUIRED)
        port, t = run_ussl_server(self, ctx, ussl_echo)
        cctx = tl.client_context(chain="client-other.pem",
                                 key="client-other.key")
        c = tl.cpython_client(self, port, cctx, cpython_exchange)
        c.join()
        t.join()
        tl.assert_verify_error(self, t.error)

    def test_optional_without_client_cert(self):
        ctx = self.server(ussl.CERT_OPTIONAL)
        port, t = run_ussl_server(self, ctx, ussl_echo)
        c = tl.cpython_client(self, port, tl.client_context(),
                              cpython_exchange)
        c.join()
        t.join()
        self.assertIsNone(t.error, repr(t.error))
        self.assertIsNone(t.result["cert"])

    def test_openssl_client(self):
        ctx = self.server(ussl.CERT_REQUIRED)
        port, t = run_ussl_server(self, ctx, ussl_echo)
        cli = tl.OpenSSLClient(self, port, ["-cert", tl.cert("client.pem"),
                                            "-key", tl.cert("client.key"),
                                            "-CAfile", tl.cert("ca.pem")],
                               data=LINE)
        t.join()
        self.assertIsNone(t.error, repr(t.error))
        self.assertIn((("commonName", "ussl test client"),),
                      t.result["cert"]["subject"])
        cli.wait_for(r"echo: ping")

    def test_ussl_client_certificate(self):
        ctx = self.server(ussl.CERT_REQUIRED)
        port, t = run_ussl_server(self, ctx, ussl_echo)
        cctx = client_ctx()
        cctx.load_cert_chain(tl.cert("client.pem"), tl.cert("client.key"))
        info = exchange(cctx, port)
        t.join()
        self.assertIsNone(t.error, repr(t.error))
        self.assertEqual(info["reply"], b"echo: " + LINE)


class VerifyCallback(unittest.TestCase):

    def test_called_per_certificate(self):
        calls = []

        def cb(cert, depth):
            calls.append((depth, cert))

        ctx = client_ctx()
        ctx.verify_callback = cb
        self.assertIs(ctx.verify_callback, cb)
        peer = CPythonPeer(self)
        exchange(ctx, peer.port)
        peer.finish(self)
        depths = [d for d, _ in calls]
        self.assertEqual(depths, sorted(depths, reverse=True))
        self.assertEqual(depths[-1], 0)
        self.assertEqual(calls[-1][1], tl.cert_bytes("server-ec.der"))
        self.assertIn(tl.pem_to_der("int.pem"), [c for _, c in calls])
        self.assertTrue(all(isinstance(c, bytes) for _, c in calls))

    def test_nonzero_rejects(self):
        ctx = client_ctx()
        ctx.verify_callback = lambda cert, depth: 1 if depth == 0 else None
        peer = CPythonPeer(self)
        with self.assertRaises(OSError) as cm:
            exchange(ctx, peer.port)
        tl.assert_verify_error(self, cm.exception)
        peer.srv.join()

    def test_zero_is_no_objection(self):
        # 0 means "no objection" (MicroPython's rule): the library's own
        # judgement stands, so an untrusted server stays refused.
        ctx = client_ctx()
        ctx.verify_callback = lambda cert, depth: 0
        peer = CPythonPeer(self, ctx=tl.server_context("selfsigned.pem",
                                                       "selfsigned.key"))
        with self.assertRaises(OSError) as cm:
            exchange(ctx, peer.port)
        tl.assert_verify_error(self, cm.exception)
        peer.srv.join()

    def test_exception_rejects(self):
        def cb(cert, depth):
            raise RuntimeError("no")

        ctx = client_ctx()
        ctx.verify_callback = cb
        peer = CPythonPeer(self)
        import io
        import contextlib
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            import sys
            old = sys.unraisablehook
            sys.unraisablehook = lambda u: err.write(repr(u.exc_value))
            try:
                with self.assertRaises(OSError) as cm:
                    exchange(ctx, peer.port)
            finally:
                sys.unraisablehook = old
        tl.assert_verify_error(self, cm.exception)
        self.assertIn("RuntimeError", err.getvalue())
        peer.srv.join()

    def test_removed(self):
        ctx = client_ctx()
        ctx.verify_callback = lambda cert, depth: 1
        ctx.verify_callback = None
        self.assertIsNone(ctx.verify_callback)
        peer = CPythonPeer(self)
        exchange(ctx, peer.port)
        peer.finish(self)
        with self.assertRaises(TypeError):
            ctx.verify_callback = 5


class SocketDetails(unittest.TestCase):

    def test_fileno_after_close_and_selectors(self):
        peer = CPythonPeer(self)
        sock = tl.connect(peer.port)
        s = client_ctx().wrap_socket(sock, server_hostname="localhost")
        fd = s.fileno()
        self.assertEqual(fd, sock.fileno())
        sel = selectors.DefaultSelector()
        self.addCleanup(sel.close)
        sel.register(s, selectors.EVENT_READ)
        s.write(LINE)
        s.readline()
        s.close()
        self.assertEqual(s.fileno(), -1)
        sel.unregister(s)
        peer.finish(self)

    def test_cpython_style_aliases(self):
        peer = CPythonPeer(self)
        sock = tl.connect(peer.port)
        s = client_ctx().wrap_socket(sock, server_hostname="localhost")
        try:
            self.assertEqual(s.getpeername(), sock.getpeername())
            self.assertEqual(s.getsockname(), sock.getsockname())
            s.sendall(LINE)
            buf = bytearray(6)
            self.assertEqual(s.recv_into(buf), 6)
            self.assertEqual(bytes(buf), b"echo: ")
            self.assertEqual(s.recv(100), LINE)
            s.setblocking(False)
            with self.assertRaises(BlockingIOError):
                s.recv(10)
            s.setblocking(True)
            self.assertEqual(s.server_hostname, "localhost")
        finally:
            s.close()
        peer.finish(self)

    def test_ragged_eof(self):
        def bare_close(conn, srv):
            conn.sendall(b"data")
            tl.hard_close(conn)
            return True

        for suppress in (False, True):
            with self.subTest(suppress=suppress):
                peer = CPythonPeer(self, handler=bare_close)
                sock = tl.connect(peer.port)
                s = client_ctx().wrap_socket(
                    sock, server_hostname="localhost",
                    suppress_ragged_eofs=suppress)
                try:
                    self.assertEqual(tl.ussl_read_exact(s, 4), b"data")
                    if suppress:
                        self.assertEqual(s.read(10), b"")
                        self.assertEqual(s.read(), b"")
                    else:
                        with self.assertRaises(OSError) as cm:
                            s.read(10)
                        self.assertEqual(cm.exception.args[0],
                                         ussl.E_TRUNCATED)
                finally:
                    s.close()
                peer.srv.join()

    def test_handshake_deferred_nonblocking(self):
        peer = CPythonPeer(self)
        sock = tl.connect(peer.port)
        sock.setblocking(False)
        s = client_ctx().wrap_socket(sock, server_hostname="localhost",
                                     do_handshake_on_connect=False)
        try:
            self.assertFalse(s.handshake_done)
            sel = selectors.DefaultSelector()
            self.addCleanup(sel.close)
            while not s.do_handshake():
                ev = (selectors.EVENT_READ if s.want == ussl.WANT_READ
                      else selectors.EVENT_WRITE)
                sel.register(s, ev)
                self.assertTrue(sel.select(tl.TIMEOUT))
                sel.unregister(s)
            self.assertTrue(s.handshake_done)
            s.settimeout(tl.TIMEOUT)
            s.write(LINE)
            self.assertEqual(s.readline(), b"echo: " + LINE)
        finally:
            s.close()
        peer.finish(self)


def drain(conn, srv):
    while conn.recv(65536):
        pass


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Leaks(unittest.TestCase):
    """Contexts made, changed while in use and dropped; connections with
    sessions, dict certificates and callbacks: no descriptor or memory
    growth."""

    ROUNDS = 15 if tl.SLOW else 60

    def one_round(self, port, shared):
        ctx = client_ctx()
        ctx.set_alpn_protocols(["h2", "http/1.1"])
        ctx.verify_callback = lambda cert, depth: None
        for c in (ctx, shared):
            s = c.wrap_socket(tl.connect(port), server_hostname="localhost")
            s.getpeercert()
            s.getpeercert(True)
            s.cipher()
            s.write(b"ping")
            s.close()
        # Changed while its engine context is in use by the cache.
        shared.set_ciphers(shared_ciphers())
        ussl.cert_info(tl.cert_bytes("server-ec.der"))
        with self.assertRaises(ValueError):
            ctx.set_ciphers(["NOPE"])
        with self.assertRaises(ValueError):
            ctx.load_cert_chain(tl.cert("server-ec.pem"),
                                tl.cert("server-rsa.key"))
        sctx = server_ctx()
        a, b = tl.socketpair_with_timeout()
        sctx.wrap_socket(a, server_side=True,
                         do_handshake_on_connect=False).close()
        b.close()

    def test_no_fd_or_memory_growth(self):
        import gc
        warmup = 10
        srv = tl.ThreadedServer(self, drain, tl.server_context(),
                                conns=2 * (self.ROUNDS + warmup),
                                timeout=30 * tl.TIME_SCALE, concurrent=True)
        shared = client_ctx()
        for _ in range(warmup):
            self.one_round(srv.port, shared)
        gc.collect()
        fds, rss = tl.fd_count(), rss_bytes()
        for _ in range(self.ROUNDS):
            self.one_round(srv.port, shared)
        gc.collect()
        self.assertTrue(srv.join())
        self.assertLessEqual(tl.fd_count(), fds)
        if tl.SLOW:
            return      # valgrind / ASan do their own leak accounting
        grown = rss_bytes() - rss
        self.assertLess(grown, 4 << 20, "RSS grew by %d bytes" % grown)


def shared_ciphers():
    return [c["name"] for c in client_ctx().get_ciphers()]


if __name__ == "__main__":
    unittest.main()
