"""test_cli_dtls.py - usslcat --dtls against openssl s_server/s_client
(-dtls1_2) and against itself, over UDP on 127.0.0.1: data both ways,
DTLSv1.2 negotiated, clean close.

Environment as test_cli.py: USSLCAT (the binary or a wrapper),
USSL_TEST_CERTS (the test PKI; made here otherwise).
"""

import os
import shutil
import subprocess
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("USSL_SRC") or os.path.dirname(os.path.dirname(HERE))
PROC_TIMEOUT = float(os.environ.get("USSL_CLI_TIMEOUT", "60"))
HAVE_OPENSSL = shutil.which("openssl") is not None

USSLCAT = None
CERTS = None
_tmp = None


def setUpModule():
    global USSLCAT, CERTS, _tmp
    USSLCAT = os.environ.get("USSLCAT") or os.path.join(SRC, "build",
                                                         "usslcat")
    if not os.access(USSLCAT, os.X_OK):
        raise unittest.SkipTest("usslcat not built (%s)" % USSLCAT)
    _tmp = tempfile.mkdtemp(prefix="usslcat-dtls-")
    CERTS = os.environ.get("USSL_TEST_CERTS")
    if not CERTS or not os.path.exists(os.path.join(CERTS, "ca.pem")):
        CERTS = os.path.join(_tmp, "certs")
        subprocess.run(["bash", os.path.join(SRC, "tests", "certs",
                                             "mkcerts.sh"), CERTS],
                       check=True, timeout=300, stdout=subprocess.DEVNULL)


def tearDownModule():
    if _tmp:
        shutil.rmtree(_tmp, ignore_errors=True)


def cert(name):
    return os.path.join(CERTS, name)


def wait_file(path, proc):
    deadline = time.monotonic() + PROC_TIMEOUT
    while time.monotonic() < deadline:
        if os.path.exists(path) and os.path.getsize(path) > 0:
            with open(path) as f:
                return int(f.read().strip())
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    raise AssertionError("no port file from the server")


class CliDtls(unittest.TestCase):

    def listen(self, *extra):
        pf = os.path.join(_tmp, "port-%d" % time.monotonic_ns())
        p = subprocess.Popen(
            [USSLCAT, "--dtls", "-l", "--certfile",
             cert("server-ec-chain.pem"), "--keyfile", cert("server-ec.key"),
             "--port-file", pf, "--timeout", "30", *extra, "127.0.0.1", "0"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        self.addCleanup(self.reap, p)
        return p, wait_file(pf, p)

    def reap(self, p):
        if p.poll() is None:
            p.kill()
        p.wait(timeout=PROC_TIMEOUT)
        for f in (p.stdin, p.stdout, p.stderr):
            if f is not None:
                f.close()

    def finish(self, p):
        """Wait for p to end; its stderr."""
        if p.stdin and not p.stdin.closed:
            p.stdin.close()
        p.wait(timeout=PROC_TIMEOUT)
        return p.stderr.read() if p.stderr else b""

    def client_cmd(self, port):
        return [USSLCAT, "--dtls", "--ca-certs", cert("ca.pem"),
                "--server-hostname", "localhost", "--timeout", "30",
                "127.0.0.1", str(port)]

    def test_usslcat_to_usslcat(self):
        srv, port = self.listen("--echo")
        out = subprocess.run(self.client_cmd(port), input=b"ping\n",
                             capture_output=True, timeout=PROC_TIMEOUT)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout, b"ping\n")
        self.assertIn(b"protocol: DTLSv1.2", out.stderr)
        err = self.finish(srv)
        self.assertEqual(srv.returncode, 0, err)

    @unittest.skipUnless(HAVE_OPENSSL, "openssl CLI not found")
    def test_openssl_client(self):
        srv, port = self.listen()
        cli = subprocess.Popen(
            ["openssl", "s_client", "-dtls1_2", "-connect",
             "127.0.0.1:%d" % port, "-CAfile", cert("ca.pem"),
             "-verify_return_error", "-servername", "localhost", "-quiet"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL)
        self.addCleanup(self.reap, cli)
        cli.stdin.write(b"from openssl\n")
        cli.stdin.flush()
        self.assertEqual(srv.stdout.readline(), b"from openssl\n")
        srv.stdin.write(b"from usslcat\n")
        srv.stdin.close()
        self.assertEqual(cli.stdout.readline(), b"from usslcat\n")
        cli.stdin.close()
        err = self.finish(srv)
        self.assertIn(b"protocol: DTLSv1.2", err)

    @unittest.skipUnless(HAVE_OPENSSL, "openssl CLI not found")
    def test_openssl_server(self):
        srv = subprocess.Popen(
            ["openssl", "s_server", "-dtls1_2", "-accept", "127.0.0.1:0",
             "-naccept", "1", "-cert", cert("server-ec.pem"),
             "-cert_chain", cert("int.pem"), "-key", cert("server-ec.key")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT)
        self.addCleanup(self.reap, srv)
        port = None
        for line in srv.stdout:
            if line.startswith(b"ACCEPT"):
                port = int(line.rsplit(b":", 1)[1])
                break
        self.assertIsNotNone(port)
        cli = subprocess.Popen(self.client_cmd(port), stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
        self.addCleanup(self.reap, cli)
        cli.stdin.write(b"from usslcat\n")
        cli.stdin.flush()
        for line in srv.stdout:
            if b"from usslcat" in line:
                break
        srv.stdin.write(b"from openssl\n")
        srv.stdin.flush()
        self.assertEqual(cli.stdout.readline(), b"from openssl\n")
        err = self.finish(cli)
        self.assertEqual(cli.returncode, 0, err)
        self.assertIn(b"protocol: DTLSv1.2", err)


if __name__ == "__main__":
    unittest.main()
