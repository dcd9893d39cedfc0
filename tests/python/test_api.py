"""test_api.py - the ussl module's surface: constants, names, types.

No network here: what the module exports must match docs/python-api.md and
the error codes of include/ussl.h.
"""

import inspect
import re
import unittest

import ussl

import ussl_testlib as tl


class ModuleSurface(unittest.TestCase):

    def test_cert_reqs_constants(self):
        self.assertEqual(ussl.CERT_NONE, 0)
        self.assertEqual(ussl.CERT_OPTIONAL, 1)
        self.assertEqual(ussl.CERT_REQUIRED, 2)

    def test_want_constants(self):
        self.assertEqual(ussl.WANT_READ, 1)
        self.assertEqual(ussl.WANT_WRITE, 2)

    def test_error_codes_match_header(self):
        expected = tl.header_error_codes()
        # The documented list; the header must not have lost any of them.
        documented = ["E_IO", "E_TIMEOUT", "E_VERIFY", "E_PROTOCOL",
                      "E_PEER_ALERT", "E_HANDSHAKE", "E_TRUNCATED",
                      "E_CLOSED", "E_NOMEM", "E_BADARG", "E_BADKEY",
                      "E_BADCERT", "E_CONFIG", "E_INTERNAL", "E_NOFILE"]
        for name in documented:
            self.assertIn(name, expected)
        for name, value in expected.items():
            with self.subTest(name=name):
                self.assertTrue(hasattr(ussl, name), name)
                self.assertIsInstance(getattr(ussl, name), int)
                self.assertEqual(getattr(ussl, name), value)

    def test_error_codes_distinct_and_above_errno(self):
        codes = [getattr(ussl, n) for n in tl.header_error_codes()]
        self.assertEqual(len(codes), len(set(codes)))
        self.assertTrue(all(c > 1000 for c in codes))

    def test_no_sslerror(self):
        self.assertFalse(hasattr(ussl, "SSLError"))

    def test_version(self):
        self.assertIsInstance(ussl.__version__, str)
        self.assertRegex(ussl.__version__, r"^\d+\.\d+\.\d+")
        with open(tl.HEADER) as f:
            m = re.search(r'#define USSL_VERSION_STRING "([^"]+)"', f.read())
        self.assertIsNotNone(m)
        self.assertEqual(ussl.__version__, m.group(1))

    def test_engine_version(self):
        self.assertIsInstance(ussl.MBEDTLS_VERSION, str)
        self.assertRegex(ussl.MBEDTLS_VERSION, r"\d+\.\d+\.\d+")
        self.assertGreaterEqual(tl.engine_version(), (2, 28))

    def test_engine_name(self):
        self.assertIn(ussl.ENGINE, ("mbedtls", "openssl"))
        if ussl.ENGINE == "mbedtls":
            self.assertRegex(ussl.MBEDTLS_VERSION.lower(), r"mbed ?tls")

    def test_wrap_socket_signature(self):
        self.assertTrue(callable(ussl.wrap_socket))
        try:
            sig = inspect.signature(ussl.wrap_socket)
        except (TypeError, ValueError):
            self.skipTest("wrap_socket has no introspectable signature")
        params = list(sig.parameters)
        self.assertEqual(params[:8], [
            "sock", "server_side", "keyfile", "certfile", "cert_reqs",
            "ca_certs", "server_hostname", "do_handshake"])
        for kw in ("key", "cert", "cadata"):
            self.assertEqual(sig.parameters[kw].kind,
                             inspect.Parameter.KEYWORD_ONLY)

    def test_keyword_names_accepted(self):
        # Every documented keyword is accepted (a bad value for one of
        # them must raise ValueError/TypeError, not "unexpected keyword").
        a, b = tl.socketpair_with_timeout()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        for kw in ("server_side", "keyfile", "certfile", "cert_reqs",
                   "ca_certs", "server_hostname", "do_handshake", "key",
                   "cert", "cadata"):
            with self.subTest(kw=kw):
                args = {kw: object()}
                if kw != "cert_reqs":
                    # Makes the call fail whatever the order of checks,
                    # so that it never starts a handshake.
                    args["cert_reqs"] = 99
                try:
                    ussl.wrap_socket(a, **args)
                except TypeError as e:
                    self.assertNotIn("unexpected keyword", str(e))
                    self.assertNotIn("invalid keyword", str(e))
                except ValueError:
                    pass
                else:
                    self.fail("object() accepted for %s" % kw)

    def test_sslsocket_type(self):
        a, b = tl.socketpair_with_timeout()
        self.addCleanup(b.close)
        s = ussl.wrap_socket(a, do_handshake=False)
        self.addCleanup(s.close)
        self.assertEqual(type(s).__name__, "SSLSocket")
        self.assertEqual(type(s).__module__, "ussl")
        for name in ("read", "readinto", "readline", "write", "setblocking",
                     "settimeout", "gettimeout", "fileno", "pending",
                     "do_handshake", "version", "cipher", "getpeercert",
                     "peer_subject", "close", "__enter__", "__exit__"):
            self.assertTrue(callable(getattr(s, name, None)), name)
        self.assertIs(s.server_side, False)
        self.assertIs(s.handshake_done, False)
        self.assertEqual(s.want, 0)
        self.assertEqual(s.fileno(), a.fileno())

    def test_socket_stays_usable_object(self):
        # wrap_socket keeps (does not detach) the socket object.
        a, b = tl.socketpair_with_timeout(3.0)
        self.addCleanup(b.close)
        fd = a.fileno()
        s = ussl.wrap_socket(a, do_handshake=False)
        self.addCleanup(s.close)
        self.assertEqual(a.fileno(), fd)
        self.assertEqual(s.gettimeout(), 3.0)
        s.settimeout(1.5)
        self.assertEqual(a.gettimeout(), 1.5)
        s.setblocking(False)
        self.assertEqual(a.gettimeout(), 0.0)
        s.setblocking(True)
        self.assertIsNone(a.gettimeout())
        self.assertIsNone(s.gettimeout())

    def test_not_connected_queries_before_handshake(self):
        a, b = tl.socketpair_with_timeout()
        self.addCleanup(b.close)
        s = ussl.wrap_socket(a, do_handshake=False)
        self.addCleanup(s.close)
        self.assertIsNone(s.version())
        self.assertIsNone(s.cipher())
        self.assertIsNone(s.getpeercert())
        self.assertIsNone(s.peer_subject())
        self.assertEqual(s.pending(), 0)


if __name__ == "__main__":
    unittest.main()
