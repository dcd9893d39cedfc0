"""test_client.py - ussl as a TLS client against CPython's ssl module and
`openssl s_server`: versions x key types, data both ways, what was
negotiated, SNI, and client certificates.
"""

import ssl
import unittest


import ussl_testlib as tl

LINE = b"hello from the ussl client\n"


def exchange_handler(conn, srv):
    """Server side of one exchange: report what was negotiated, answer one
    line, then expect the client's close_notify (recv -> b"")."""
    info = dict(version=conn.version(), cipher=conn.cipher(),
                peercert=conn.getpeercert(binary_form=True))
    line = tl.recv_line(conn)
    info["line"] = line
    conn.sendall(b"server got: " + line)
    info["tail"] = conn.recv(100)
    return info


class CPythonServerTests(unittest.TestCase):

    def run_exchange(self, version, chain, key, leaf_der, **wrap_kw):
        srv = tl.ThreadedServer(self, exchange_handler,
                                tl.server_context(chain, key, version))
        kw = tl.verify_kwargs()
        kw.update(wrap_kw)
        s = tl.ussl_client(srv.port, **kw)
        self.assertTrue(s.handshake_done)
        self.assertIs(s.server_side, False)
        s.write(LINE)
        self.assertEqual(s.readline(), b"server got: " + LINE)
        ours = dict(version=s.version(), cipher=s.cipher(),
                    peercert=s.getpeercert(), subject=s.peer_subject())
        s.close()
        self.assertTrue(srv.join(), "server did not finish")
        self.assertEqual(srv.errors, [])
        theirs = srv.results[0]
        self.assertEqual(theirs["line"], LINE)
        self.assertEqual(theirs["tail"], b"", "no close_notify seen")
        self.assertEqual(ours["version"], theirs["version"])
        name, cver, bits = ours["cipher"]
        self.assertEqual(name, tl.iana_cipher_name(theirs["cipher"][0]))
        self.assertEqual(cver, ours["version"])
        self.assertEqual(bits, theirs["cipher"][2])
        self.assertEqual(ours["peercert"], tl.cert_bytes(leaf_der))
        self.assertIn("CN=localhost", ours["subject"])
        self.assertIn("O=ussl tests", ours["subject"])
        return ours

    def test_versions_and_key_types(self):
        for vname, ver, _flag in tl.VERSIONS:
            for label, chain, key, der in tl.SERVER_KEYS:
                with self.subTest(version=vname, key=label):
                    ours = self.run_exchange(ver, chain, key, der)
                    self.assertEqual(ours["version"], vname)

    @tl.requires_tls13
    def test_default_is_tls13_with_tls13_peer(self):
        ours = self.run_exchange(None, "server-ec-chain.pem",
                                 "server-ec.key", "server-ec.der")
        self.assertEqual(ours["version"], "TLSv1.3")

    def test_default_without_tls13_is_tls12(self):
        if tl.HAS_TLS13:
            self.skipTest("engine has TLS 1.3")
        ours = self.run_exchange(None, "server-ec-chain.pem",
                                 "server-ec.key", "server-ec.der")
        self.assertEqual(ours["version"], "TLSv1.2")

    def test_sni_sent(self):
        names = []
        srv = tl.ThreadedServer(self, exchange_handler,
                                tl.server_context(sni_log=names))
        s = tl.ussl_client(srv.port, **tl.verify_kwargs("localhost"))
        s.write(LINE)
        s.readline()
        s.close()
        self.assertTrue(srv.join())
        self.assertEqual(names, ["localhost"])

    def test_sni_not_sent_for_ip_literal(self):
        names = []
        srv = tl.ThreadedServer(self, exchange_handler,
                                tl.server_context(sni_log=names))
        s = tl.ussl_client(srv.port, **tl.verify_kwargs("127.0.0.1"))
        s.write(LINE)
        self.assertEqual(s.readline(), b"server got: " + LINE)
        s.close()
        self.assertTrue(srv.join())
        self.assertEqual(srv.errors, [])
        self.assertEqual(names, [None])

    def test_sni_with_cert_none(self):
        # server_hostname is still sent when verification is off.
        names = []
        srv = tl.ThreadedServer(self, exchange_handler,
                                tl.server_context(sni_log=names))
        s = tl.ussl_client(srv.port, server_hostname="localhost")
        s.write(LINE)
        s.readline()
        s.close()
        self.assertTrue(srv.join())
        self.assertEqual(names, ["localhost"])

    # -- client certificates ------------------------------------------

    def client_auth(self, version, **wrap_kw):
        srv = tl.ThreadedServer(
            self, exchange_handler,
            tl.server_context(version=version, verify=ssl.CERT_REQUIRED,
                              ca="ca.pem"))
        kw = tl.verify_kwargs()
        kw.update(wrap_kw)
        return srv, kw

    def test_client_cert_accepted(self):
        for vname, ver, _flag in tl.VERSIONS:
            with self.subTest(version=vname):
                srv, kw = self.client_auth(ver, keyfile=tl.cert("client.key"),
                                           certfile=tl.cert("client.pem"))
                s = tl.ussl_client(srv.port, **kw)
                s.write(LINE)
                self.assertEqual(s.readline(), b"server got: " + LINE)
                s.close()
                self.assertTrue(srv.join())
                self.assertEqual(srv.errors, [])
                self.assertEqual(srv.results[0]["peercert"],
                                 tl.pem_to_der("client.pem"))

    def test_client_cert_as_data(self):
        srv, kw = self.client_auth(None, key=tl.cert_bytes("client.key"),
                                   cert=tl.cert_bytes("client.pem"))
        s = tl.ussl_client(srv.port, **kw)
        s.write(LINE)
        self.assertEqual(s.readline(), b"server got: " + LINE)
        s.close()
        self.assertTrue(srv.join())
        self.assertEqual(srv.results[0]["peercert"],
                         tl.pem_to_der("client.pem"))

    def expect_rejected(self, srv, kw):
        # TLS 1.2 fails in the handshake; TLS 1.3 may only fail when the
        # client next reads (the server checks after the client finished).
        with self.assertRaises(OSError) as cm:
            s = tl.ussl_client(srv.port, **kw)
            try:
                s.write(LINE)
                s.read(100)
            finally:
                s.close()
        self.assertNotIsInstance(cm.exception, TimeoutError)
        self.assertTrue(srv.join())
        self.assertEqual(srv.results, [])
        self.assertEqual(len(srv.errors), 1)
        self.assertIsInstance(srv.errors[0], ssl.SSLError)
        return cm.exception

    def test_client_cert_missing(self):
        for vname, ver, _flag in tl.VERSIONS:
            with self.subTest(version=vname):
                srv, kw = self.client_auth(ver)
                self.expect_rejected(srv, kw)

    def test_client_cert_wrong_ca(self):
        for vname, ver, _flag in tl.VERSIONS:
            with self.subTest(version=vname):
                srv, kw = self.client_auth(
                    ver, keyfile=tl.cert("client-other.key"),
                    certfile=tl.cert("client-other.pem"))
                self.expect_rejected(srv, kw)


class OpenSSLServerTests(unittest.TestCase):
    """Against `openssl s_server -rev` (answers each line reversed)."""

    def start(self, flag=None, label="ec", extra=()):
        args = ["-rev", "-msg", "-naccept", "1"] + list(extra)
        if flag:
            args.append(flag)
        return tl.OpenSSLServer(self, args, **tl.openssl_server_for(label))

    def test_versions_and_key_types(self):
        for vname, _ver, flag in tl.VERSIONS:
            for label, _chain, _key, der in tl.SERVER_KEYS:
                with self.subTest(version=vname, key=label):
                    srv = self.start(flag, label)
                    s = tl.ussl_client(srv.port, **tl.verify_kwargs())
                    s.write(b"hello world\n")
                    self.assertEqual(tl.ussl_read_exact(s, 12),
                                     b"dlrow olleh\n")
                    m = srv.wait_for(r"Protocol version: (\S+)")
                    self.assertEqual(s.version(), vname)
                    self.assertEqual(m.group(1), vname)
                    m = srv.wait_for(r"Ciphersuite: (\S+)")
                    self.assertEqual(s.cipher()[0],
                                     tl.iana_cipher_name(m.group(1)))
                    self.assertEqual(s.getpeercert(), tl.cert_bytes(der))
                    s.close()
                    # Our close() sent close_notify.
                    srv.wait_for(r"<<< [^\n]*Alert[^\n]*close_notify")
                    rc, _out = srv.wait_exit()
                    self.assertEqual(rc, 0)

    def test_larger_data_both_ways(self):
        # s_server without -rev: what it receives goes to its stdout, what
        # it reads from its stdin goes to the client.
        srv = tl.OpenSSLServer(self, ["-naccept", "1"])
        s = tl.ussl_client(srv.port, **tl.verify_kwargs())
        up = tl.pattern(15000, seed=21).hex()
        s.write(up.encode())
        srv.wait_for(up)
        down = tl.pattern(15000, seed=22).hex() + "\n"
        srv.write(down.encode())
        self.assertEqual(tl.ussl_read_exact(s, len(down)), down.encode())
        s.close()

    def test_client_cert_required(self):
        for vname, _ver, flag in tl.VERSIONS:
            with self.subTest(version=vname):
                srv = self.start(flag, extra=[
                    "-Verify", "1", "-verify_return_error",
                    "-CAfile", tl.cert("ca.pem")])
                s = tl.ussl_client(srv.port, keyfile=tl.cert("client.key"),
                                   certfile=tl.cert("client.pem"),
                                   **tl.verify_kwargs())
                s.write(b"abc\n")
                self.assertEqual(tl.ussl_read_exact(s, 4), b"cba\n")
                s.close()
                srv.wait_for(r"Peer certificate: .*ussl test client")

    def test_client_cert_required_missing(self):
        for vname, _ver, flag in tl.VERSIONS:
            with self.subTest(version=vname):
                srv = self.start(flag, extra=[
                    "-Verify", "1", "-verify_return_error",
                    "-CAfile", tl.cert("ca.pem")])
                with self.assertRaises(OSError) as cm:
                    s = tl.ussl_client(srv.port, **tl.verify_kwargs())
                    try:
                        s.write(b"abc\n")
                        s.read(10)
                    finally:
                        s.close()
                self.assertNotIsInstance(cm.exception, TimeoutError)

    def test_client_cert_wrong_ca(self):
        for vname, _ver, flag in tl.VERSIONS:
            with self.subTest(version=vname):
                srv = self.start(flag, extra=[
                    "-Verify", "1", "-verify_return_error",
                    "-CAfile", tl.cert("ca.pem")])
                with self.assertRaises(OSError) as cm:
                    s = tl.ussl_client(
                        srv.port, keyfile=tl.cert("client-other.key"),
                        certfile=tl.cert("client-other.pem"),
                        **tl.verify_kwargs())
                    try:
                        s.write(b"abc\n")
                        s.read(10)
                    finally:
                        s.close()
                self.assertNotIsInstance(cm.exception, TimeoutError)
                srv.wait_for(r"(?i)verify error|certificate verify failed"
                             r"|unknown ca")


if __name__ == "__main__":
    unittest.main()
