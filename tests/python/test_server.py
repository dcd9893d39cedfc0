"""test_server.py - ussl as a TLS server: CERT_NONE / OPTIONAL / REQUIRED
semantics, client certificates, the forms key and certificate may take,
against CPython ssl clients (threads) and `openssl s_client`.
"""

import pathlib
import re
import unittest

import ussl

import ussl_testlib as tl

LINE = b"hello from the client\n"

EC = dict(keyfile=tl.cert("server-ec.key"),
          certfile=tl.cert("server-ec-chain.pem"))
RSA = dict(keyfile=tl.cert("server-rsa.key"),
           certfile=tl.cert("server-rsa.pem"))


def client_exchange(s):
    """CPython client side: one line each way, then expect the server's
    close_notify (recv -> b"")."""
    info = dict(version=s.version(), cipher=s.cipher(),
                peercert=s.getpeercert(binary_form=True))
    s.sendall(LINE)
    info["reply"] = tl.recv_line(s)
    info["tail"] = s.recv(100)
    return info


class CPythonClientTests(unittest.TestCase):

    def serve(self, client_ctx, func=client_exchange, **wrap_kw):
        """Accept one CPython client and run the ussl side of the exchange.
        Returns (ussl facts, client thread)."""
        lst = tl.Listener(self)
        cli = tl.cpython_client(self, lst.port, client_ctx, func)
        conn = lst.accept()
        try:
            s = ussl.wrap_socket(conn, server_side=True, **wrap_kw)
        except BaseException:
            conn.close()
            cli.join()
            raise
        self.assertTrue(s.handshake_done)
        self.assertIs(s.server_side, True)
        line = s.readline()
        s.write(b"server got: " + line)
        facts = dict(line=line, version=s.version(), cipher=s.cipher(),
                     peercert=s.getpeercert(), subject=s.peer_subject())
        s.close()
        cli.join()
        return facts, cli

    def check_ok(self, facts, cli):
        self.assertIsNone(cli.error)
        self.assertEqual(facts["line"], LINE)
        theirs = cli.result
        self.assertEqual(theirs["reply"], b"server got: " + LINE)
        self.assertEqual(theirs["tail"], b"", "no close_notify from server")
        self.assertEqual(facts["version"], theirs["version"])
        self.assertEqual(facts["cipher"][0],
                         tl.iana_cipher_name(theirs["cipher"][0]))
        self.assertEqual(facts["cipher"][2], theirs["cipher"][2])
        return theirs

    def test_versions_and_key_types(self):
        for vname, ver, _flag in tl.VERSIONS:
            for label, keys, der in (("ec", EC, "server-ec.der"),
                                     ("rsa", RSA, "server-rsa.der")):
                with self.subTest(version=vname, key=label):
                    facts, cli = self.serve(tl.client_context(version=ver),
                                            **keys)
                    theirs = self.check_ok(facts, cli)
                    self.assertEqual(facts["version"], vname)
                    self.assertEqual(theirs["peercert"], tl.cert_bytes(der))
                    self.assertIsNone(facts["peercert"])

    def test_cert_none_does_not_request(self):
        # The client has a certificate but is not asked for it.
        ctx = tl.client_context(chain="client.pem", key="client.key")
        facts, cli = self.serve(ctx, cert_reqs=ussl.CERT_NONE, **EC)
        self.check_ok(facts, cli)
        self.assertIsNone(facts["peercert"])
        self.assertIsNone(facts["subject"])

    def test_optional_without_client_cert(self):
        facts, cli = self.serve(tl.client_context(),
                                cert_reqs=ussl.CERT_OPTIONAL,
                                ca_certs=tl.cert("ca.pem"), **EC)
        self.check_ok(facts, cli)
        self.assertIsNone(facts["peercert"])

    def test_optional_with_client_cert(self):
        for vname, ver, _flag in tl.VERSIONS:
            with self.subTest(version=vname):
                ctx = tl.client_context(chain="client.pem", key="client.key",
                                        version=ver)
                facts, cli = self.serve(ctx, cert_reqs=ussl.CERT_OPTIONAL,
                                        ca_certs=tl.cert("ca.pem"), **EC)
                self.check_ok(facts, cli)
                self.assertEqual(facts["peercert"],
                                 tl.pem_to_der("client.pem"))
                self.assertIn("CN=ussl test client", facts["subject"])

    def test_required_with_client_cert(self):
        for vname, ver, _flag in tl.VERSIONS:
            with self.subTest(version=vname):
                ctx = tl.client_context(chain="client.pem", key="client.key",
                                        version=ver)
                facts, cli = self.serve(ctx, cert_reqs=ussl.CERT_REQUIRED,
                                        ca_certs=tl.cert("ca.pem"), **RSA)
                self.check_ok(facts, cli)
                self.assertEqual(facts["peercert"],
                                 tl.pem_to_der("client.pem"))
                self.assertIn("CN=ussl test client", facts["subject"])
                self.assertIn("O=ussl tests", facts["subject"])

    def expect_handshake_failure(self, ctx, **wrap_kw):
        with self.assertRaises(OSError) as cm:
            self.serve(ctx, **wrap_kw)
        self.assertNotIsInstance(cm.exception, TimeoutError)
        return cm.exception

    def test_required_without_client_cert(self):
        for vname, ver, _flag in tl.VERSIONS:
            with self.subTest(version=vname):
                e = self.expect_handshake_failure(
                    tl.client_context(version=ver),
                    cert_reqs=ussl.CERT_REQUIRED,
                    ca_certs=tl.cert("ca.pem"), **EC)
                self.assertIn(e.args[0], (ussl.E_VERIFY, ussl.E_HANDSHAKE),
                              repr(e))

    def test_required_client_cert_wrong_ca(self):
        for vname, ver, _flag in tl.VERSIONS:
            with self.subTest(version=vname):
                ctx = tl.client_context(chain="client-other.pem",
                                        key="client-other.key", version=ver)
                e = self.expect_handshake_failure(
                    ctx, cert_reqs=ussl.CERT_REQUIRED,
                    ca_certs=tl.cert("ca.pem"), **EC)
                self.assertEqual(e.args[0], ussl.E_VERIFY, repr(e))

    def test_optional_client_cert_wrong_ca(self):
        ctx = tl.client_context(chain="client-other.pem",
                                key="client-other.key")
        e = self.expect_handshake_failure(
            ctx, cert_reqs=ussl.CERT_OPTIONAL, ca_certs=tl.cert("ca.pem"),
            **EC)
        self.assertEqual(e.args[0], ussl.E_VERIFY, repr(e))

    def test_server_sends_its_chain(self):
        # The client trusts only the root: it needs the intermediate from
        # server-ec-chain.pem.  With the bare leaf it must fail.
        facts, cli = self.serve(tl.client_context(), **EC)
        self.check_ok(facts, cli)
        with self.assertRaises(OSError):
            self.serve(tl.client_context(), keyfile=tl.cert("server-ec.key"),
                       certfile=tl.cert("server-ec.pem"))

    # -- the forms key/cert/CA may take ---------------------------------

    def check_forms(self, client_ctx=None, **wrap_kw):
        facts, cli = self.serve(client_ctx or tl.client_context(), **wrap_kw)
        self.check_ok(facts, cli)
        return facts

    def test_form_combined_file(self):
        self.check_forms(certfile=tl.cert("server-ec-combined.pem"))

    def test_form_combined_data(self):
        self.check_forms(cert=tl.cert_bytes("server-ec-combined.pem"))

    def test_form_pem_data(self):
        self.check_forms(key=tl.cert_bytes("server-ec.key"),
                         cert=tl.cert_bytes("server-ec-chain.pem"))

    def test_form_der_files(self):
        self.check_forms(keyfile=tl.cert("server-rsa.key.der"),
                         certfile=tl.cert("server-rsa.der"))

    def test_form_der_data(self):
        self.check_forms(key=tl.cert_bytes("server-rsa.key.der"),
                         cert=tl.cert_bytes("server-rsa.der"))

    def test_form_der_data_ec_memoryview_bytearray(self):
        # DER holds one certificate, the leaf without its intermediate, so
        # the client is given the intermediate itself.
        ctx = tl.client_context()
        ctx.load_verify_locations(tl.cert("int.pem"))
        self.check_forms(ctx,
                         key=bytearray(tl.cert_bytes("server-ec.key.der")),
                         cert=memoryview(tl.cert_bytes("server-ec.der")))

    def test_form_path_types(self):
        for conv in (str, lambda p: p.encode(), pathlib.Path):
            with self.subTest(conv=conv):
                self.check_forms(keyfile=conv(tl.cert("server-ec.key")),
                                 certfile=conv(tl.cert("server-ec-chain.pem")))

    def test_form_cadata_pem_and_der(self):
        for cadata in (tl.cert_bytes("ca.pem"), tl.cert_bytes("ca.der")):
            with self.subTest(der=cadata[:1] != b"-"):
                ctx = tl.client_context(chain="client.pem", key="client.key")
                facts = self.check_forms(ctx, cert_reqs=ussl.CERT_REQUIRED,
                                         cadata=cadata, **EC)
                self.assertEqual(facts["peercert"],
                                 tl.pem_to_der("client.pem"))

    def test_form_cadata_der_wrong_ca_rejects(self):
        ctx = tl.client_context(chain="client.pem", key="client.key")
        with self.assertRaises(OSError) as cm:
            self.serve(ctx, cert_reqs=ussl.CERT_REQUIRED,
                       cadata=tl.pem_to_der("other-ca.pem"), **EC)
        self.assertEqual(cm.exception.args[0], ussl.E_VERIFY)


class OpenSSLClientTests(unittest.TestCase):
    """Against `openssl s_client` in a subprocess."""

    def serve(self, client_args, data=b"ping\n", **wrap_kw):
        lst = tl.Listener(self)
        cli = tl.OpenSSLClient(self, lst.port, client_args, data)
        conn = lst.accept()
        try:
            s = ussl.wrap_socket(conn, server_side=True, **wrap_kw)
        except BaseException:
            conn.close()
            raise
        line = s.readline()
        s.write(b"server got: " + line)
        facts = dict(line=line, version=s.version(), cipher=s.cipher(),
                     peercert=s.getpeercert(), subject=s.peer_subject())
        s.close()
        rc, out = cli.wait_exit()
        return facts, rc, out

    def test_versions_and_key_types(self):
        for vname, _ver, flag in tl.VERSIONS:
            for label, keys in (("ec", EC), ("rsa", RSA)):
                with self.subTest(version=vname, key=label):
                    facts, rc, out = self.serve(
                        [flag, "-CAfile", tl.cert("ca.pem"),
                         "-verify_return_error", "-servername", "localhost",
                         "-verify_hostname", "localhost"], **keys)
                    self.assertEqual(facts["line"], b"ping\n")
                    self.assertIn("server got: ping", out)
                    self.assertIn("Verify return code: 0 (ok)", out)
                    m = re.search(r"New, (\S+), Cipher is (\S+)", out)
                    self.assertIsNotNone(m, out)
                    self.assertEqual(facts["version"], vname)
                    self.assertEqual(m.group(1), vname)
                    self.assertEqual(facts["cipher"][0],
                                     tl.iana_cipher_name(m.group(2)))
                    self.assertEqual(rc, 0, out)

    def test_client_cert(self):
        for vname, _ver, flag in tl.VERSIONS:
            with self.subTest(version=vname):
                facts, rc, out = self.serve(
                    [flag, "-CAfile", tl.cert("ca.pem"),
                     "-cert", tl.cert("client.pem"),
                     "-key", tl.cert("client.key")],
                    cert_reqs=ussl.CERT_REQUIRED,
                    ca_certs=tl.cert("ca.pem"), **EC)
                self.assertEqual(facts["peercert"],
                                 tl.pem_to_der("client.pem"))
                self.assertIn("CN=ussl test client", facts["subject"])
                self.assertIn("server got: ping", out)

    def test_client_cert_missing(self):
        for vname, _ver, flag in tl.VERSIONS:
            with self.subTest(version=vname):
                with self.assertRaises(OSError) as cm:
                    self.serve([flag, "-CAfile", tl.cert("ca.pem")],
                               cert_reqs=ussl.CERT_REQUIRED,
                               ca_certs=tl.cert("ca.pem"), **EC)
                self.assertNotIsInstance(cm.exception, TimeoutError)


if __name__ == "__main__":
    unittest.main()
