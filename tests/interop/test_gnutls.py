"""test_gnutls.py - interop with GnuTLS (gnutls-serv / gnutls-cli), when
installed: versions x key types in both directions, data both ways and
the version both ends report.  Skipped cleanly without gnutls-bin.

gnutls-serv cannot bind port 0, so a port that was free a moment ago is
used (with retries); readiness is polled by connecting.
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
PRIORITY = {"TLSv1.2": "NORMAL:-VERS-ALL:+VERS-TLS1.2",
            "TLSv1.3": "NORMAL:-VERS-ALL:+VERS-TLS1.3"}
GNUTLS_NAME = {"TLSv1.2": "TLS1.2", "TLSv1.3": "TLS1.3"}
SERVER_FILES = {"ec": ("server-ec-chain.pem", "server-ec.key"),
                "rsa": ("server-rsa.pem", "server-rsa.key")}
SERVER_KW = {label: dict(certfile=tl.cert(c), keyfile=tl.cert(k))
             for label, (c, k) in SERVER_FILES.items()}


@unittest.skipUnless(HAVE_GNUTLS, "gnutls-bin (gnutls-serv, gnutls-cli) "
                     "not installed")
class GnuTLS(unittest.TestCase):

    def gnutls_server(self, version, label):
        chain, key = SERVER_FILES[label]
        for _attempt in range(3):
            port = tl.free_port()
            proc = tl.Proc(self, [
                "gnutls-serv", "--echo", "-a", "-p", str(port),
                "--x509certfile", tl.cert(chain), "--x509keyfile",
                tl.cert(key), "--priority", PRIORITY[version]])
            try:
                proc.wait_for(r"listening on IPv4 [^\n]*port %d" % port, 10)
                tl.wait_port(port, proc=proc.proc)
                return proc, port
            except (AssertionError, RuntimeError, TimeoutError):
                proc.stop()
        self.fail("gnutls-serv did not start")

    def test_ussl_client_to_gnutls_serv(self):
        for vname, _ver, _flag in tl.VERSIONS:
            for label in SERVER_FILES:
                with self.subTest(version=vname, key=label):
                    proc, port = self.gnutls_server(vname, label)
                    s = tl.ussl_client(port, **tl.verify_kwargs())
                    s.write(b"echo me\n")
                    self.assertEqual(s.readline(), b"echo me\n")
                    self.assertEqual(s.version(), vname)
                    out = proc.wait_for(r"- Version: (\S+)[^\n]*\n"
                                        r"[\s\S]*?- Cipher: (\S+)")
                    self.assertEqual(out.group(1), GNUTLS_NAME[vname])
                    # "AES-256-GCM" vs "TLS_..._AES_256_GCM_SHA384"
                    self.assertIn(out.group(2).replace("-", "_"),
                                  s.cipher()[0])
                    s.close()

    def test_gnutls_cli_to_ussl_server(self):
        for vname, _ver, _flag in tl.VERSIONS:
            for label in SERVER_FILES:
                with self.subTest(version=vname, key=label):
                    lst = tl.Listener(self)
                    cli = tl.Proc(self, [
                        "gnutls-cli", "-p", str(lst.port), "127.0.0.1",
                        "--x509cafile", tl.cert("ca.pem"),
                        "--verify-hostname", "localhost",
                        "--priority", PRIORITY[vname]])
                    conn = lst.accept()
                    try:
                        s = ussl.wrap_socket(conn, server_side=True,
                                             **SERVER_KW[label])
                    except BaseException:
                        conn.close()
                        raise
                    cli.write(b"from gnutls\n")
                    self.assertEqual(s.readline(), b"from gnutls\n")
                    s.write(b"from ussl\n")
                    cli.wait_for(r"from ussl")
                    m = cli.wait_for(r"- Description: \((TLS1\.\d)")
                    self.assertEqual(m.group(1), GNUTLS_NAME[vname])
                    self.assertIn("The certificate is trusted", cli.output)
                    self.assertEqual(s.version(), vname)
                    s.close()
                    rc, out = cli.wait_exit()
                    self.assertEqual(rc, 0, out[-2000:])

    def test_gnutls_rejects_untrusted_ussl_server(self):
        lst = tl.Listener(self)
        cli = tl.Proc(self, ["gnutls-cli", "-p", str(lst.port), "127.0.0.1",
                             "--x509cafile", tl.cert("other-ca.pem"),
                             "--verify-hostname", "localhost"])
        conn = lst.accept()
        self.addCleanup(conn.close)
        with self.assertRaises(OSError) as cm:
            ussl.wrap_socket(conn, server_side=True, **SERVER_KW["ec"])
        self.assertNotIsInstance(cm.exception, TimeoutError)
        rc, out = cli.wait_exit()
        self.assertNotEqual(rc, 0)
        self.assertTrue(re.search(r"(?i)not trusted|verification|"
                                  r"signer", out), out[-2000:])


if __name__ == "__main__":
    unittest.main()
