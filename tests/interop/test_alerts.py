"""test_alerts.py - the alerts a ussl server sends when it refuses a
client certificate fit the negotiated version and reach the client in a
form it can read (openssl s_client, gnutls-cli): handshake_failure (40)
under TLS 1.2 and certificate_required (116) under TLS 1.3 for a missing
certificate, unknown_ca (48) for an untrusted one; never a record the
client cannot decrypt.  And the reverse: a ussl client refused by
gnutls-serv reports the server's alert, not the broken pipe that follows
it.
"""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "python"))

import ussl  # noqa: E402

import ussl_testlib as tl  # noqa: E402

HAVE_GNUTLS = tl.have_program("gnutls-serv") and tl.have_program("gnutls-cli")
GNUTLS_PRIORITY = {"TLSv1.2": "NORMAL:-VERS-ALL:+VERS-TLS1.2",
                   "TLSv1.3": "NORMAL:-VERS-ALL:+VERS-TLS1.3"}
SERVER_KW = dict(keyfile=tl.cert("server-ec.key"),
                 certfile=tl.cert("server-ec-chain.pem"),
                 cert_reqs=ussl.CERT_REQUIRED, ca_certs=tl.cert("ca.pem"))
UNREADABLE = re.compile(r"bad record mac|decryption failed|Decryption has "
                        r"failed|MAC verification failed", re.I)


def missing_cert_alert(version):
    return 116 if version == "TLSv1.3" else 40


class ServerRefusesClientCertificate(unittest.TestCase):

    def serve(self, lst, client_cert=None):
        """Accept one client and refuse it; the ussl error."""
        conn = lst.accept()
        try:
            with self.assertRaises(OSError) as cm:
                ussl.wrap_socket(conn, server_side=True, **SERVER_KW)
        finally:
            conn.close()
        return cm.exception

    def s_client(self, version, flag, extra=()):
        lst = tl.Listener(self)
        cli = tl.OpenSSLClient(
            self, lst.port,
            [flag, "-CAfile", tl.cert("ca.pem"), "-servername",
             "localhost"] + list(extra), b"")
        err = self.serve(lst)
        rc, out = cli.wait_exit()
        self.assertNotEqual(rc, 0, out[-2000:])
        self.assertIsNone(UNREADABLE.search(out), out[-2000:])
        m = re.search(r"SSL alert number (\d+)", out)
        self.assertIsNotNone(m, out[-2000:])
        return err, int(m.group(1))

    def test_openssl_without_certificate(self):
        for version, _ver, flag in tl.VERSIONS:
            with self.subTest(version=version):
                err, alert = self.s_client(version, flag)
                self.assertEqual(err.args[0], ussl.E_VERIFY)
                self.assertEqual(alert, missing_cert_alert(version))

    def test_openssl_untrusted_certificate(self):
        for version, _ver, flag in tl.VERSIONS:
            with self.subTest(version=version):
                err, alert = self.s_client(
                    version, flag, ["-cert", tl.cert("client-other.pem"),
                                    "-key", tl.cert("client-other.key")])
                self.assertEqual(err.args[0], ussl.E_VERIFY)
                self.assertEqual(alert, 48)      # unknown_ca

    @unittest.skipUnless(HAVE_GNUTLS, "gnutls-bin not installed")
    def test_gnutls_without_certificate(self):
        for version, _ver, _flag in tl.VERSIONS:
            with self.subTest(version=version):
                lst = tl.Listener(self)
                cli = tl.Proc(self, [
                    "gnutls-cli", "-p", str(lst.port), "127.0.0.1",
                    "--x509cafile", tl.cert("ca.pem"),
                    "--verify-hostname", "localhost",
                    "--priority", GNUTLS_PRIORITY[version]])
                err = self.serve(lst)
                self.assertEqual(err.args[0], ussl.E_VERIFY)
                m = cli.wait_for(r"Received alert \[(\d+)\]")
                self.assertEqual(int(m.group(1)),
                                 missing_cert_alert(version))
                cli.stop()
                self.assertIsNone(UNREADABLE.search(cli.output),
                                  cli.output[-2000:])


@unittest.skipUnless(HAVE_GNUTLS, "gnutls-bin not installed")
class ClientReportsServerAlert(unittest.TestCase):

    def gnutls_server(self, version):
        for _attempt in range(3):
            port = tl.free_port()
            proc = tl.Proc(self, [
                "gnutls-serv", "--echo", "-p", str(port),
                "--require-client-cert", "--verify-client-cert",
                "--x509cafile", tl.cert("ca.pem"),
                "--x509certfile", tl.cert("server-ec-chain.pem"),
                "--x509keyfile", tl.cert("server-ec.key"),
                "--priority", GNUTLS_PRIORITY[version]])
            try:
                proc.wait_for(r"listening on IPv4 [^\n]*port %d" % port, 10)
                tl.wait_port(port, proc=proc.proc)
                return port
            except (AssertionError, RuntimeError, TimeoutError):
                proc.stop()
        self.fail("gnutls-serv did not start")

    def test_alert_not_broken_pipe(self):
        # The server refuses the certificate-less client and closes: a
        # write may then fail with EPIPE, but the reason is the alert.
        for version, _ver, _flag in tl.VERSIONS:
            port = self.gnutls_server(version)
            for i in range(6):
                with self.subTest(version=version, run=i):
                    with self.assertRaises(OSError) as cm:
                        s = tl.ussl_client(port, **tl.verify_kwargs())
                        try:
                            for _ in range(20):
                                s.write(b"x" * 1000)
                            s.read(10)
                        finally:
                            s.close()
                    e = cm.exception
                    self.assertEqual(e.args[0], ussl.E_PEER_ALERT, repr(e))


if __name__ == "__main__":
    unittest.main()
