"""test_badinput.py - wrap_socket's argument checking: ValueError for bad
values, TypeError for wrong types, OSError subclasses for unreadable files.

No peer is needed: these fail before any handshake.  The sockets are one
end of a socketpair with a timeout, so a check that is wrongly missing
shows up as a TimeoutError (a handshake nobody answers), not as a hang.
"""

import errno
import os
import unittest

import ussl

import ussl_testlib as tl

SERVER_EC = dict(keyfile=tl.cert("server-ec.key"),
                 certfile=tl.cert("server-ec-chain.pem"))


class BadInput(unittest.TestCase):

    def setUp(self):
        self.a, self.b = tl.socketpair_with_timeout(3.0)
        self.addCleanup(self.a.close)
        self.addCleanup(self.b.close)

    def wrap(self, **kw):
        s = ussl.wrap_socket(self.a, **kw)
        self.addCleanup(s.close)
        return s

    def assert_value_error(self, **kw):
        with self.assertRaises(ValueError):
            self.wrap(**kw)

    def assert_type_error(self, *args, **kw):
        with self.assertRaises(TypeError):
            ussl.wrap_socket(*args, **kw)

    def assert_still_usable(self):
        # A failed wrap_socket leaves the socket open and untouched.
        self.assertNotEqual(self.a.fileno(), -1)
        self.a.sendall(b"x")
        self.assertEqual(self.b.recv(1), b"x")

    # -- ValueError ------------------------------------------------------

    def test_verify_without_server_hostname(self):
        for reqs in (ussl.CERT_REQUIRED, ussl.CERT_OPTIONAL):
            with self.subTest(reqs=reqs):
                self.assert_value_error(cert_reqs=reqs,
                                        ca_certs=tl.cert("ca.pem"))
        self.assert_still_usable()

    def test_verify_without_ca(self):
        self.assert_value_error(cert_reqs=ussl.CERT_REQUIRED,
                                server_hostname="localhost")

    def test_server_without_key_or_cert(self):
        self.assert_value_error(server_side=True)
        self.assert_value_error(server_side=True,
                                certfile=tl.cert("server-ec.pem"))
        self.assert_value_error(server_side=True,
                                keyfile=tl.cert("server-ec.key"))
        self.assert_value_error(server_side=True,
                                cert=tl.cert_bytes("server-ec.pem"))
        self.assert_still_usable()

    def test_bad_cert_reqs(self):
        for reqs in (3, -1, 100, 1 << 40):
            with self.subTest(reqs=reqs):
                self.assert_value_error(cert_reqs=reqs)
        self.assert_still_usable()

    def test_both_path_and_data(self):
        self.assert_value_error(server_side=True,
                                keyfile=tl.cert("server-ec.key"),
                                key=tl.cert_bytes("server-ec.key"),
                                certfile=tl.cert("server-ec.pem"))
        self.assert_value_error(server_side=True,
                                keyfile=tl.cert("server-ec.key"),
                                certfile=tl.cert("server-ec.pem"),
                                cert=tl.cert_bytes("server-ec.pem"))
        self.assert_value_error(cert_reqs=ussl.CERT_REQUIRED,
                                server_hostname="localhost",
                                ca_certs=tl.cert("ca.pem"),
                                cadata=tl.cert_bytes("ca.pem"))

    def test_garbage_pem(self):
        g = tl.cert("garbage.pem")
        self.assert_value_error(server_side=True,
                                keyfile=tl.cert("server-ec.key"),
                                certfile=g)
        self.assert_value_error(server_side=True, keyfile=g,
                                certfile=tl.cert("server-ec.pem"))
        self.assert_value_error(cert_reqs=ussl.CERT_REQUIRED, ca_certs=g,
                                server_hostname="localhost")
        self.assert_value_error(cert_reqs=ussl.CERT_REQUIRED,
                                cadata=tl.cert_bytes("garbage.pem"),
                                server_hostname="localhost")

    def test_not_pem_at_all(self):
        junk = os.urandom(300)
        self.assert_value_error(server_side=True, key=junk,
                                cert=tl.cert_bytes("server-ec.pem"))
        self.assert_value_error(server_side=True,
                                key=tl.cert_bytes("server-ec.key"),
                                cert=junk)
        self.assert_value_error(cert_reqs=ussl.CERT_REQUIRED, cadata=junk,
                                server_hostname="localhost")

    def test_truncated_pem(self):
        self.assert_value_error(server_side=True,
                                keyfile=tl.cert("server-ec.key"),
                                certfile=tl.cert("truncated.pem"))
        self.assert_value_error(cert_reqs=ussl.CERT_REQUIRED,
                                ca_certs=tl.cert("truncated.pem"),
                                server_hostname="localhost")
        key = tl.cert_bytes("server-ec.key")
        self.assert_value_error(server_side=True, key=key[:len(key) // 2],
                                cert=tl.cert_bytes("server-ec.pem"))
        der = tl.cert_bytes("server-ec.der")
        self.assert_value_error(server_side=True, key=key,
                                cert=der[:len(der) - 10])

    def test_mismatched_key_and_cert(self):
        self.assert_value_error(server_side=True,
                                keyfile=tl.cert("server-rsa.key"),
                                certfile=tl.cert("server-ec.pem"))
        self.assert_value_error(server_side=True,
                                keyfile=tl.cert("client.key"),
                                certfile=tl.cert("server-ec.pem"))
        # Client certificates are checked the same way.
        self.assert_value_error(keyfile=tl.cert("server-ec.key"),
                                certfile=tl.cert("client.pem"))
        self.assert_still_usable()

    def test_encrypted_key_without_password(self):
        self.assert_value_error(server_side=True,
                                keyfile=tl.cert("encrypted.key"),
                                certfile=tl.cert("server-ec.pem"))

    def test_empty_data(self):
        self.assert_value_error(server_side=True, key=b"",
                                cert=tl.cert_bytes("server-ec.pem"))
        self.assert_value_error(server_side=True,
                                key=tl.cert_bytes("server-ec.key"),
                                cert=b"")
        self.assert_value_error(cert_reqs=ussl.CERT_REQUIRED, cadata=b"",
                                server_hostname="localhost")

    def test_empty_file(self):
        path = os.path.join(tl.certs_dir(), "..",
                            "ussl-empty-%d.pem" % os.getpid())
        path = os.path.normpath(path)
        with open(path, "wb"):
            pass
        self.addCleanup(os.unlink, path)
        self.assert_value_error(server_side=True,
                                keyfile=tl.cert("server-ec.key"),
                                certfile=path)

    def test_server_hostname_with_nul(self):
        with self.assertRaises((ValueError, TypeError)):
            self.wrap(server_hostname="local\0host")

    # -- files -----------------------------------------------------------

    def test_missing_files(self):
        missing = os.path.join(tl.certs_dir(), "does-not-exist.pem")
        cases = [
            dict(server_side=True, keyfile=missing,
                 certfile=tl.cert("server-ec.pem")),
            dict(server_side=True, keyfile=tl.cert("server-ec.key"),
                 certfile=missing),
            dict(cert_reqs=ussl.CERT_REQUIRED, ca_certs=missing,
                 server_hostname="localhost"),
        ]
        for kw in cases:
            with self.subTest(kw=sorted(kw)):
                with self.assertRaises(FileNotFoundError) as cm:
                    self.wrap(**kw)
                self.assertEqual(cm.exception.errno, errno.ENOENT)
        self.assert_still_usable()

    def test_directory_as_file(self):
        with self.assertRaises(OSError) as cm:
            self.wrap(cert_reqs=ussl.CERT_REQUIRED,
                      ca_certs=tl.certs_dir(), server_hostname="localhost")
        self.assertNotIsInstance(cm.exception, TimeoutError)
        self.assertIn(cm.exception.errno, (errno.EISDIR, ussl.E_NOFILE,
                                           ussl.E_BADCERT))

    # -- TypeError -------------------------------------------------------

    def test_not_a_socket(self):
        for obj in (None, 42, "127.0.0.1", b"x", object(), [self.a]):
            with self.subTest(obj=type(obj).__name__):
                self.assert_type_error(obj)

    def test_wrong_types(self):
        bad = [
            dict(cert_reqs="required"),
            dict(cert_reqs=2.0),
            dict(server_hostname=123),
            dict(server_hostname=["localhost"]),
            dict(keyfile=123, certfile=tl.cert("server-ec.pem"),
                 server_side=True),
            dict(certfile=4.5, keyfile=tl.cert("server-ec.key"),
                 server_side=True),
            dict(ca_certs=[tl.cert("ca.pem")], cert_reqs=ussl.CERT_REQUIRED,
                 server_hostname="localhost"),
            dict(key=12, cert=tl.cert_bytes("server-ec.pem"),
                 server_side=True),
            dict(key=tl.cert_bytes("server-ec.key"), cert=object(),
                 server_side=True),
            dict(cadata=123, cert_reqs=ussl.CERT_REQUIRED,
                 server_hostname="localhost"),
        ]
        for kw in bad:
            with self.subTest(kw=kw):
                self.assert_type_error(self.a, **kw)
        self.assert_still_usable()

    def test_key_data_is_keyword_only(self):
        # key/cert/cadata are keyword-only; a ninth positional argument is
        # an error, not a key.
        self.assert_type_error(self.a, True, None, None, 0, None, None,
                               False, tl.cert_bytes("server-ec.key"))

    def test_closed_socket(self):
        self.a.close()
        with self.assertRaises((ValueError, OSError, TypeError)) as cm:
            ussl.wrap_socket(self.a)
        self.assertNotIsInstance(cm.exception, TimeoutError)


class GoodInputFormsNoNetwork(unittest.TestCase):
    """Every accepted form gives a working object (do_handshake=False: no
    peer needed); the handshakes with these forms are in test_server."""

    def wrap(self, **kw):
        a, b = tl.socketpair_with_timeout(3.0)
        self.addCleanup(b.close)
        try:
            s = ussl.wrap_socket(a, do_handshake=False, **kw)
        except BaseException:
            a.close()
            raise
        self.addCleanup(s.close)
        return s

    def test_server_forms(self):
        forms = [
            dict(keyfile=tl.cert("server-ec.key"),
                 certfile=tl.cert("server-ec.pem")),
            dict(certfile=tl.cert("server-ec-combined.pem")),
            dict(cert=tl.cert_bytes("server-ec-combined.pem")),
            dict(keyfile=tl.cert("server-ec.key.der"),
                 certfile=tl.cert("server-ec.der")),
            dict(key=tl.cert_bytes("server-rsa.key.der"),
                 cert=tl.cert_bytes("server-rsa.der")),
            dict(key=bytearray(tl.cert_bytes("server-rsa.key")),
                 cert=memoryview(tl.cert_bytes("server-rsa.pem"))),
            dict(keyfile=tl.cert("server-ec.key").encode(),
                 certfile=tl.cert("server-ec.pem").encode()),
        ]
        for kw in forms:
            with self.subTest(kw=sorted(kw)):
                s = self.wrap(server_side=True, **kw)
                self.assertIs(s.server_side, True)
                self.assertIs(s.handshake_done, False)

    def test_client_ca_forms(self):
        forms = [dict(ca_certs=tl.cert("ca.pem")),
                 dict(ca_certs=tl.cert("ca.der")),
                 dict(cadata=tl.cert_bytes("ca.pem")),
                 dict(cadata=tl.cert_bytes("ca.der")),
                 dict(cadata=bytearray(tl.cert_bytes("ca.der")))]
        for kw in forms:
            with self.subTest(kw=sorted(kw)):
                s = self.wrap(cert_reqs=ussl.CERT_REQUIRED,
                              server_hostname="localhost", **kw)
                self.assertIs(s.server_side, False)


if __name__ == "__main__":
    unittest.main()
