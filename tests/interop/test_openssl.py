"""test_openssl.py - interop matrix against the openssl CLI: protocol
versions x server key types x cipher suites x key-exchange groups, in both
directions (ussl client -> `openssl s_server`, `openssl s_client` -> ussl
server), plus TLS 1.3 KeyUpdate and refusal of versions below TLS 1.2.

Each case checks that data crosses both ways and that both ends agree on
the protocol version and cipher suite.
"""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "python"))

import ussl  # noqa: E402

import ussl_testlib as tl  # noqa: E402

# (version, key label, openssl cipher option, suite as OpenSSL names it)
SUITES = [
    ("TLSv1.2", "ec", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"),
    ("TLSv1.2", "ec", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"),
    ("TLSv1.2", "ec", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"),
    ("TLSv1.2", "rsa", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"),
    ("TLSv1.2", "rsa", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"),
    ("TLSv1.2", "rsa", "-cipher", "ECDHE-RSA-CHACHA20-POLY1305"),
    ("TLSv1.3", "ec", "-ciphersuites", "TLS_AES_128_GCM_SHA256"),
    ("TLSv1.3", "ec", "-ciphersuites", "TLS_AES_256_GCM_SHA384"),
    ("TLSv1.3", "ec", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"),
    ("TLSv1.3", "rsa", "-ciphersuites", "TLS_AES_128_GCM_SHA256"),
    ("TLSv1.3", "rsa", "-ciphersuites", "TLS_AES_256_GCM_SHA384"),
]
GROUPS = ["P-256", "P-384", "X25519"]
FLAG = {"TLSv1.2": "-tls1_2", "TLSv1.3": "-tls1_3"}

SERVER_KW = {
    "ec": dict(keyfile=tl.cert("server-ec.key"),
               certfile=tl.cert("server-ec-chain.pem")),
    "rsa": dict(keyfile=tl.cert("server-rsa.key"),
                certfile=tl.cert("server-rsa.pem")),
}
LEAF_DER = {"ec": "server-ec.der", "rsa": "server-rsa.der"}


def supported(version):
    return version == "TLSv1.2" or tl.HAS_TLS13


class UsslClientToSServer(unittest.TestCase):

    def run_case(self, version, label, extra):
        srv = tl.OpenSSLServer(
            self, ["-rev", "-msg", "-naccept", "1", FLAG[version]] + extra,
            **tl.openssl_server_for(label))
        s = tl.ussl_client(srv.port, **tl.verify_kwargs())
        msg = b"interop %s %s\n" % (version.encode(), label.encode())
        s.write(msg)
        self.assertEqual(tl.ussl_read_exact(s, len(msg)),
                         msg[:-1][::-1] + b"\n")
        self.assertEqual(s.version(), version)
        self.assertEqual(srv.wait_for(r"Protocol version: (\S+)").group(1),
                         version)
        theirs = srv.wait_for(r"Ciphersuite: (\S+)").group(1)
        self.assertEqual(s.cipher()[0], tl.iana_cipher_name(theirs))
        self.assertEqual(s.getpeercert(), tl.cert_bytes(LEAF_DER[label]))
        s.close()
        srv.wait_for(r"<<< [^\n]*Alert[^\n]*close_notify")
        self.assertEqual(srv.wait_exit()[0], 0)
        return theirs

    def test_cipher_suites(self):
        for version, label, opt, suite in SUITES:
            with self.subTest(version=version, key=label, suite=suite):
                if not supported(version):
                    self.skipTest(tl.NO_TLS13_REASON)
                got = self.run_case(version, label, [opt, suite])
                self.assertEqual(got, suite)

    def test_groups(self):
        for version in ("TLSv1.2", "TLSv1.3"):
            for group in GROUPS:
                with self.subTest(version=version, group=group):
                    if not supported(version):
                        self.skipTest(tl.NO_TLS13_REASON)
                    self.run_case(version, "ec", ["-groups", group])

    @tl.requires_tls13
    def test_key_update(self):
        # The server sends KeyUpdate(update_requested); ussl must answer
        # with its own and keep both directions working (engines that
        # support it).
        srv = tl.OpenSSLServer(self, ["-naccept", "1", "-tls1_3", "-msg"])
        s = tl.ussl_client(srv.port, **tl.verify_kwargs())
        s.write(b"before\n")
        srv.wait_for(r"before")
        # s_server takes "K" as a command only when it is alone in one read
        # of its stdin: wait until it sent the KeyUpdate (-msg logs it).
        srv.write(b"K\n")
        srv.wait_for(r">>> [^\n]*KeyUpdate")
        srv.write(b"after update\n")
        if ussl.ENGINE == "mbedtls":
            # mbedTLS 3.6 does not implement TLS 1.3 KeyUpdate: the
            # connection must then fail cleanly, not hang or pass data on.
            with self.assertRaises(OSError) as cm:
                s.readline()
            self.assertEqual(cm.exception.args[0], ussl.E_PROTOCOL)
            s.close()
            return
        self.assertEqual(s.readline(), b"after update\n")
        s.write(b"client after\n")
        srv.wait_for(r"client after")
        s.close()

    def test_tls12_rsa_pss_server_signature(self):
        # A TLS 1.2 server that signs its key exchange with RSA-PSS, as
        # OpenSSL does when it follows its own preference order (CPython's
        # default server context, nginx with ssl_prefer_server_ciphers).
        # A client that offers rsa_pss_rsae_* must accept it; one that
        # does not offer it gets a handshake failure from the server.  What
        # must not happen is offering PSS and then refusing it.
        srv = tl.OpenSSLServer(self, ["-rev", "-naccept", "1", "-tls1_2",
                                      "-sigalgs", "rsa_pss_rsae_sha256"],
                               **tl.openssl_server_for("rsa"))
        try:
            s = tl.ussl_client(srv.port, **tl.verify_kwargs())
        except OSError as e:
            self.assertNotIsInstance(e, TimeoutError)
            self.assertIn(e.args[0], (ussl.E_PEER_ALERT, ussl.E_HANDSHAKE),
                          "offered RSA-PSS, then refused it: %r" % (e,))
            srv.wait_for(r"(?i)no (suitable|shared) signature")
            return
        s.write(b"pss\n")
        self.assertEqual(tl.ussl_read_exact(s, 4), b"ssp\n")
        s.close()

    def test_refuses_tls11(self):
        srv = tl.OpenSSLServer(self, ["-rev", "-naccept", "1", "-tls1_1",
                                      "-cipher", "DEFAULT@SECLEVEL=0"])
        with self.assertRaises(OSError) as cm:
            tl.ussl_client(srv.port, **tl.verify_kwargs()).close()
        self.assertNotIsInstance(cm.exception, TimeoutError)
        self.assertIn(cm.exception.args[0],
                      (ussl.E_HANDSHAKE, ussl.E_PEER_ALERT, ussl.E_PROTOCOL),
                      repr(cm.exception))

    @unittest.skipIf(tl.HAS_TLS13, "engine speaks TLS 1.3")
    def test_tls13_only_server_without_tls13(self):
        srv = tl.OpenSSLServer(self, ["-rev", "-naccept", "1", "-tls1_3"])
        with self.assertRaises(OSError) as cm:
            tl.ussl_client(srv.port, **tl.verify_kwargs()).close()
        self.assertIn(cm.exception.args[0],
                      (ussl.E_HANDSHAKE, ussl.E_PEER_ALERT, ussl.E_PROTOCOL),
                      repr(cm.exception))

    def test_server_chain_in_one_file(self):
        # s_server given the chain through -cert_chain (EC) is what the
        # other cases use; here an RSA leaf directly under the root with
        # verification by IP address.
        srv = tl.OpenSSLServer(self, ["-rev", "-naccept", "1"],
                               **tl.openssl_server_for("rsa"))
        s = tl.ussl_client(srv.port, **tl.verify_kwargs("127.0.0.1"))
        s.write(b"ip\n")
        self.assertEqual(tl.ussl_read_exact(s, 3), b"pi\n")
        s.close()


class SClientToUsslServer(unittest.TestCase):

    def run_case(self, version, label, extra, data=b"ping\n"):
        lst = tl.Listener(self)
        cli = tl.OpenSSLClient(
            self, lst.port,
            [FLAG[version], "-CAfile", tl.cert("ca.pem"),
             "-verify_return_error", "-servername", "localhost",
             "-verify_hostname", "localhost"] + extra, data)
        conn = lst.accept()
        try:
            s = ussl.wrap_socket(conn, server_side=True, **SERVER_KW[label])
        except BaseException:
            conn.close()
            raise
        self.assertEqual(tl.ussl_read_exact(s, len(data)), data)
        s.write(b"pong:" + data)
        facts = (s.version(), s.cipher())
        s.close()
        rc, out = cli.wait_exit()
        self.assertEqual(rc, 0, out[-2000:])
        self.assertIn("pong:" + data.decode(), out)
        self.assertIn("Verify return code: 0 (ok)", out)
        m = re.search(r"New, (\S+), Cipher is (\S+)", out)
        self.assertIsNotNone(m, out[-2000:])
        self.assertEqual(facts[0], version)
        self.assertEqual(m.group(1), version)
        self.assertEqual(facts[1][0], tl.iana_cipher_name(m.group(2)))
        return m.group(2)

    def test_cipher_suites(self):
        for version, label, opt, suite in SUITES:
            with self.subTest(version=version, key=label, suite=suite):
                if not supported(version):
                    self.skipTest(tl.NO_TLS13_REASON)
                got = self.run_case(version, label, [opt, suite])
                self.assertEqual(got, suite)

    def test_groups(self):
        # In TLS 1.2 the client's group list also limits the curve of an
        # ECDSA server certificate (RFC 8422, 5.1): a client offering only
        # P-384 cannot be served with the P-256 key, hence RSA there.
        for version in ("TLSv1.2", "TLSv1.3"):
            for group in GROUPS:
                with self.subTest(version=version, group=group):
                    if not supported(version):
                        self.skipTest(tl.NO_TLS13_REASON)
                    label = "rsa" if version == "TLSv1.2" else "ec"
                    self.run_case(version, label, ["-groups", group])

    def test_tls12_ecdsa_needs_its_curve_offered(self):
        # The counterpart of the rule above: P-256 key, client offers
        # only X25519 for TLS 1.2 -> no usable suite.
        with self.assertRaises(OSError) as cm:
            self.run_case("TLSv1.2", "ec", [
                "-groups", "X25519",
                "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"])
        self.assertNotIsInstance(cm.exception, TimeoutError)
        self.assertEqual(cm.exception.args[0], ussl.E_HANDSHAKE)

    def test_larger_payload(self):
        data = (tl.pattern(30000, seed=9).hex()[:60000] + "\n").encode()
        self.run_case("TLSv1.2", "rsa", [], data)
        if tl.HAS_TLS13:
            self.run_case("TLSv1.3", "ec", [], data)

    def test_refuses_tls11_client(self):
        lst = tl.Listener(self)
        tl.OpenSSLClient(self, lst.port, ["-tls1_1", "-cipher",
                                          "DEFAULT@SECLEVEL=0"])
        conn = lst.accept()
        self.addCleanup(conn.close)
        with self.assertRaises(OSError) as cm:
            ussl.wrap_socket(conn, server_side=True, **SERVER_KW["ec"])
        self.assertNotIsInstance(cm.exception, TimeoutError)


if __name__ == "__main__":
    unittest.main()
