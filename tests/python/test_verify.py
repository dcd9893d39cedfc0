"""test_verify.py - certificate verification by a ussl client.

Each bad server (expired, not yet valid, wrong host, self-signed, untrusted
root, incomplete chain) must make a CERT_REQUIRED client fail with
OSError(E_VERIFY, message naming the reason), and a CERT_NONE client must
connect to the very same server.  Positive cases cover IP addresses, CA
data forms and bundles.
"""

import ssl
import unittest

import ussl

import ussl_testlib as tl

UNTRUSTED_WORDS = ("untrusted", "not trusted", "unknown ca", "issuer",
                   "self-signed", "self signed")
NAME_WORDS = ("host name", "hostname", "name mismatch")


def greet_handler(conn, srv):
    conn.sendall(b"welcome\n")
    return conn.recv(100)


class BadServers(unittest.TestCase):

    def server(self, chain, key, version=None):
        return tl.ThreadedServer(self, greet_handler,
                                 tl.server_context(chain, key, version))

    def expect_verify_error(self, chain, key, words, hostname="localhost",
                            ca="ca.pem", reqs=ussl.CERT_REQUIRED,
                            version=None):
        srv = self.server(chain, key, version)
        with self.assertRaises(OSError) as cm:
            s = tl.ussl_client(srv.port, cert_reqs=reqs, ca_certs=tl.cert(ca),
                               server_hostname=hostname)
            s.close()
        tl.assert_verify_error(self, cm.exception, *words)
        # The server saw the handshake fail (an alert or a close), not a
        # hang.
        self.assertTrue(srv.join())
        self.assertEqual(srv.results, [])
        self.assertEqual(len(srv.errors), 1)
        self.assertIsInstance(srv.errors[0], ssl.SSLError)
        return cm.exception

    def expect_connects_unverified(self, chain, key, der=None):
        srv = self.server(chain, key)
        s = tl.ussl_client(srv.port, cert_reqs=ussl.CERT_NONE,
                           server_hostname="localhost")
        self.assertEqual(s.readline(), b"welcome\n")
        if der is not None:
            self.assertEqual(s.getpeercert(), der)
        s.write(b"bye")
        s.close()
        self.assertTrue(srv.join())
        self.assertEqual(srv.errors, [])
        self.assertEqual(srv.results, [b"bye"])

    def test_expired(self):
        for vname, ver, _flag in tl.VERSIONS:
            with self.subTest(version=vname):
                self.expect_verify_error("expired.pem", "expired.key",
                                         ["expired"], version=ver)
        self.expect_connects_unverified("expired.pem", "expired.key",
                                        tl.pem_to_der("expired.pem"))

    def test_not_yet_valid(self):
        self.expect_verify_error("notyet.pem", "notyet.key",
                                 ["not yet", "future", "not valid yet"])
        self.expect_connects_unverified("notyet.pem", "notyet.key")

    def test_wrong_host_in_cert(self):
        for vname, ver, _flag in tl.VERSIONS:
            with self.subTest(version=vname):
                self.expect_verify_error("wronghost.pem", "wronghost.key",
                                         NAME_WORDS, version=ver)
        self.expect_connects_unverified("wronghost.pem", "wronghost.key")

    def test_wrong_host_asked(self):
        for host in ("example.com", "localhost.example", "127.0.0.2",
                     "localhos"):
            with self.subTest(host=host):
                self.expect_verify_error("server-ec-chain.pem",
                                         "server-ec.key", NAME_WORDS,
                                         hostname=host)

    def test_self_signed(self):
        self.expect_verify_error("selfsigned.pem", "selfsigned.key",
                                 UNTRUSTED_WORDS)
        self.expect_connects_unverified("selfsigned.pem", "selfsigned.key",
                                        tl.pem_to_der("selfsigned.pem"))

    def test_self_signed_trusted_as_own_anchor_is_still_checked_for_name(self):
        # Trusting the self-signed certificate itself makes the chain good;
        # the host name must still be checked.
        srv = self.server("selfsigned.pem", "selfsigned.key")
        try:
            s = tl.ussl_client(srv.port, cert_reqs=ussl.CERT_REQUIRED,
                               ca_certs=tl.cert("selfsigned.pem"),
                               server_hostname="localhost")
        except OSError as e:
            # Some engines refuse a non-CA certificate as trust anchor;
            # that is a verify error too, never anything else.
            tl.assert_verify_error(self, e)
        else:
            self.assertEqual(s.readline(), b"welcome\n")
            s.close()
        srv2 = self.server("selfsigned.pem", "selfsigned.key")
        with self.assertRaises(OSError) as cm:
            tl.ussl_client(srv2.port, cert_reqs=ussl.CERT_REQUIRED,
                           ca_certs=tl.cert("selfsigned.pem"),
                           server_hostname="example.com").close()
        tl.assert_verify_error(self, cm.exception)

    def test_untrusted_root(self):
        self.expect_verify_error("server-ec-chain.pem", "server-ec.key",
                                 UNTRUSTED_WORDS, ca="other-ca.pem")

    def test_incomplete_chain(self):
        for vname, ver, _flag in tl.VERSIONS:
            with self.subTest(version=vname):
                self.expect_verify_error("leaf-only-int.pem",
                                         "leaf-only-int.key",
                                         UNTRUSTED_WORDS, version=ver)
        self.expect_connects_unverified("leaf-only-int.pem",
                                        "leaf-only-int.key")

    def test_optional_client_is_required(self):
        # A client with CERT_OPTIONAL verifies like CERT_REQUIRED.
        self.expect_verify_error("expired.pem", "expired.key", ["expired"],
                                 reqs=ussl.CERT_OPTIONAL)
        self.expect_verify_error("wronghost.pem", "wronghost.key",
                                 NAME_WORDS, reqs=ussl.CERT_OPTIONAL)

    def test_verify_error_is_sticky(self):
        srv = self.server("expired.pem", "expired.key")
        sock = tl.connect(srv.port)
        self.addCleanup(sock.close)
        s = ussl.wrap_socket(sock, do_handshake=False,
                             **tl.verify_kwargs())
        with self.assertRaises(OSError) as cm:
            s.write(b"x")
        tl.assert_verify_error(self, cm.exception, "expired")
        for op in (lambda: s.write(b"x"), lambda: s.read(1),
                   lambda: s.do_handshake()):
            with self.assertRaises(OSError) as cm2:
                op()
            self.assertEqual(cm2.exception.args[0], ussl.E_VERIFY)
        self.assertFalse(s.handshake_done)
        s.close()


class GoodServers(unittest.TestCase):

    def roundtrip(self, chain="server-ec-chain.pem", key="server-ec.key",
                  **kw):
        srv = tl.ThreadedServer(self, greet_handler,
                                tl.server_context(chain, key))
        s = tl.ussl_client(srv.port, **kw)
        self.assertEqual(s.readline(), b"welcome\n")
        s.write(b"bye")
        s.close()
        self.assertTrue(srv.join())
        self.assertEqual(srv.errors, [])
        self.assertEqual(srv.results, [b"bye"])

    def test_ip_address_san(self):
        self.roundtrip(**tl.verify_kwargs("127.0.0.1"))
        self.roundtrip("server-rsa.pem", "server-rsa.key",
                       **tl.verify_kwargs("127.0.0.1"))

    def test_hostname_case_insensitive(self):
        self.roundtrip(**tl.verify_kwargs("LocalHost"))

    def test_optional_mode_good_server(self):
        kw = tl.verify_kwargs()
        kw["cert_reqs"] = ussl.CERT_OPTIONAL
        self.roundtrip(**kw)

    def test_cadata_pem(self):
        self.roundtrip(cert_reqs=ussl.CERT_REQUIRED,
                       cadata=tl.cert_bytes("ca.pem"),
                       server_hostname="localhost")

    def test_cadata_der(self):
        self.roundtrip(cert_reqs=ussl.CERT_REQUIRED,
                       cadata=tl.cert_bytes("ca.der"),
                       server_hostname="localhost")

    def test_ca_certs_der_file(self):
        self.roundtrip(cert_reqs=ussl.CERT_REQUIRED,
                       ca_certs=tl.cert("ca.der"),
                       server_hostname="localhost")

    def test_ca_bundle_with_several_roots(self):
        bundle = tl.cert_bytes("other-ca.pem") + tl.cert_bytes("ca.pem")
        self.roundtrip(cert_reqs=ussl.CERT_REQUIRED, cadata=bundle,
                       server_hostname="localhost")
        bundle = tl.cert_bytes("ca.pem") + tl.cert_bytes("other-ca.pem")
        self.roundtrip("server-rsa.pem", "server-rsa.key",
                       cert_reqs=ussl.CERT_REQUIRED, cadata=bundle,
                       server_hostname="localhost")

    def test_intermediate_as_trust_anchor(self):
        # The bare leaf verifies when its issuer (the intermediate) is given
        # as a trusted CA together with the root.
        bundle = tl.cert_bytes("ca.pem") + tl.cert_bytes("int.pem")
        self.roundtrip("leaf-only-int.pem", "leaf-only-int.key",
                       cert_reqs=ussl.CERT_REQUIRED, cadata=bundle,
                       server_hostname="localhost")


if __name__ == "__main__":
    unittest.main()
