"""test_psk.py - pre-shared keys with usslcat (--psk-identity, --psk)
against `openssl s_server -psk` and `openssl s_client -psk`, TLS 1.2 and
1.3, and usslcat to usslcat: data both ways and the identity reported; a
wrong key, an unknown identity, a PSK client against a certificate server
(which it trusts) and a certificate client against a PSK server all fail;
bad --psk values are refused without echoing the key.
"""

import os
import unittest

import test_cli as cli

KEY = "00112233445566778899aabbccddeeff"
OTHER = "ffeeddccbbaa99887766554433221100"
ID = "device-1"
VERSION_OPT = {"1.2": "-tls1_2", "1.3": "-tls1_3"}


def setUpModule():
    cli.setUpModule()


def tearDownModule():
    cli.tearDownModule()


@unittest.skipUnless(cli.HAVE_OPENSSL, "openssl not installed")
class PskTest(cli.CliTest):

    def versions(self):
        out = ["1.2"]
        r = self.run_cat("--quiet", "--insecure", "--min-version", "1.3",
                         "127.0.0.1", "1")
        if r.returncode != cli.EXIT_CONFIG:
            out.append("1.3")
        return out

    def s_server(self, *args, psk=KEY, cert=False):
        cmd = ["openssl", "s_server", "-accept", "127.0.0.1:0",
               "-naccept", "1", "-rev"]
        if cert:
            cmd += ["-cert", cli.cert("server-ec.pem"), "-key",
                    cli.cert("server-ec.key"), "-cert_chain",
                    cli.cert("int.pem")]
        else:
            cmd += ["-nocert"]
        if psk:
            cmd += ["-psk", psk, "-psk_identity", ID]
        proc = cli.Proc(self, cmd + list(args))
        m = proc.wait_out(rb"ACCEPT 127\.0\.0\.1:(\d+)")
        if not m:
            self.fail("s_server did not start:\n" + proc.describe())
        return proc, int(m.group(1))

    def cat_client(self, port, *extra, key=KEY, ident=ID, data=b"hello psk\n"):
        return self.run_cat("--timeout", cli.IO_TIMEOUT, "--psk-identity",
                            ident, "--psk", key, *extra, "127.0.0.1",
                            str(port), input=data)

    def test_client_to_s_server(self):
        for v in self.versions():
            with self.subTest(version=v):
                srv, port = self.s_server(VERSION_OPT[v])
                r = self.cat_client(port, "--min-version", v,
                                    "--max-version", v)
                self.assertCompleted(r, cli.EXIT_OK)
                self.assertEqual(r.stdout, b"ksp olleh\n")
                self.assertIn(b"psk identity: device-1", r.stderr)
                self.assertIn(b"peer certificate: none", r.stderr)
                self.assertIn(b"protocol: TLSv" + v.encode(), r.stderr)
                self.assertNotIn(KEY.encode(), r.stderr)

    def test_client_refused(self):
        for v in self.versions():
            with self.subTest(version=v, case="wrong key"):
                srv, port = self.s_server(VERSION_OPT[v])
                r = self.cat_client(port, key=OTHER)
                self.assertEqual(r.returncode, cli.EXIT_HANDSHAKE, r.stderr)
                self.assertNotIn(OTHER.encode(), r.stderr)
            # A certificate server the client would trust: no fallback.
            with self.subTest(version=v, case="certificate server"):
                srv, port = self.s_server(VERSION_OPT[v], psk=None,
                                          cert=True)
                r = self.cat_client(port, "--ca-certs", cli.cert("ca.pem"),
                                    "--server-hostname", "localhost")
                self.assertIn(r.returncode, (cli.EXIT_HANDSHAKE,
                                             cli.EXIT_VERIFY), r.stderr)
                self.assertEqual(r.stdout, b"")

    def cat_server(self, *extra):
        return self.start_server("--psk-identity", ID, "--psk", KEY,
                                 "--echo", "--quiet", *extra)

    def test_s_client_to_server(self):
        for v in self.versions():
            with self.subTest(version=v):
                server, port = self.cat_server()
                c = cli.Proc(self, ["openssl", "s_client", "-connect",
                                    "127.0.0.1:%d" % port, "-ign_eof",
                                    VERSION_OPT[v], "-psk", KEY,
                                    "-psk_identity", ID])
                c.send(b"echo me\n")
                # s_client prints what it receives, not what it sends.
                self.assertTrue(c.wait_out(rb"echo me"), c.describe())
                self.assertTrue(c.wait_out(rb"(New|Reused), TLSv" +
                                           v.encode()), c.describe())
                c.kill()
                server.kill()

    def test_s_client_refused(self):
        for v in self.versions():
            for ident, key in ((ID, OTHER), ("stranger", KEY)):
                with self.subTest(version=v, identity=ident):
                    server, port = self.cat_server()
                    c = cli.Proc(self, ["openssl", "s_client", "-connect",
                                        "127.0.0.1:%d" % port,
                                        VERSION_OPT[v], "-psk", key,
                                        "-psk_identity", ident])
                    c.close_stdin()
                    self.assertNotEqual(c.wait(), 0, c.describe())
                    server.kill()
            with self.subTest(version=v, case="certificate client"):
                server, port = self.cat_server(
                    "--certfile", cli.cert("server-ec-chain.pem"),
                    "--keyfile", cli.cert("server-ec.key"))
                c = cli.Proc(self, ["openssl", "s_client", "-connect",
                                    "127.0.0.1:%d" % port, VERSION_OPT[v],
                                    "-CAfile", cli.cert("ca.pem")])
                c.close_stdin()
                self.assertNotEqual(c.wait(), 0, c.describe())
                server.kill()

    def test_usslcat_pair(self):
        for v in self.versions():
            with self.subTest(version=v):
                server, port = self.cat_server("--min-version", v)
                r = self.cat_client(port, "--quiet", data=b"pair")
                self.assertCompleted(r, cli.EXIT_OK)
                self.assertEqual(r.stdout, b"pair")
                server.kill()

    def test_bad_options(self):
        for args in (["--psk", KEY], ["--psk-identity", ID],
                     ["--psk-identity", ID, "--psk", "abc"],
                     ["--psk-identity", ID, "--psk", "zz" + KEY],
                     ["--psk-identity", ID, "--psk", "00" * 49]):
            with self.subTest(args=args):
                r = self.run_cat(*args, "127.0.0.1", "1")
                self.assertEqual(r.returncode, cli.EXIT_USAGE, r.stderr)
                self.assertNotIn(KEY.encode(), r.stderr)
        r = self.run_cat("--psk-identity", "x" * 129, "--psk", KEY,
                         "127.0.0.1", "1")
        self.assertEqual(r.returncode, cli.EXIT_CONFIG, r.stderr)
        self.assertNotIn(KEY.encode(), r.stderr)


if __name__ == "__main__":
    unittest.main()
