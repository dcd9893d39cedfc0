"""test_keyupdate.py - a TLS 1.3 peer that sends KeyUpdate (RFC 8446 4.6.3).

`openssl s_server` sends one when its stdin gets the command "k".  The
OpenSSL engine takes it and the connection goes on; mbedTLS 3.6 does not
implement KeyUpdate, and the error must say so (what happened, that the
engine lacks it, and what to use instead), never just "unexpected
message".  Everything runs on 127.0.0.1; s_server is killed by PID.
"""
import os
import select
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "python"))

import ussl  # noqa: E402
import ussl_testlib as tl  # noqa: E402

OPENSSL = shutil.which("openssl")


@unittest.skipUnless(OPENSSL, "openssl not installed")
class KeyUpdate(unittest.TestCase):
    def setUp(self):
        if not tl.engine_has_tls13():
            self.skipTest("this engine has no TLS 1.3")
        self.port = tl.free_port()
        self.proc = subprocess.Popen(
            [OPENSSL, "s_server", "-accept", "127.0.0.1:%d" % self.port,
             "-tls1_3", "-cert", tl.cert("server-ec-chain.pem"),
             "-cert_chain", tl.cert("server-ec-chain.pem"),
             # Not -quiet: s_server takes commands ("k") only without it.
             "-key", tl.cert("server-ec.key")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        tl.wait_port(self.port, proc=self.proc)

    def server_got(self, line, timeout=20):
        """Read s_server's stdout (its log and what it received) until
        line comes; False if it does not within timeout."""
        end = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        buf = b""
        while time.monotonic() < end:
            r, _, _ = select.select([fd], [], [], end - time.monotonic())
            if not r:
                break
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            buf += chunk
            if line in buf.split(b"\n"):
                return True
        return False

    def tearDown(self):
        self.proc.kill()
        self.proc.wait(timeout=10)
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            f.close()

    def test_keyupdate(self):
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(tl.cert("ca.pem"))
        s = ctx.wrap_socket(tl.connect(self.port), server_hostname="localhost")
        self.addCleanup(s.close)
        s.settimeout(20)
        s.write(b"ping\n")
        self.assertTrue(self.server_got(b"ping"))
        # "k": s_server sends a KeyUpdate, then the line.
        self.proc.stdin.write(b"k\n")
        self.proc.stdin.flush()
        time.sleep(0.2)
        self.proc.stdin.write(b"after the update\n")
        self.proc.stdin.flush()
        if "OpenSSL" in ussl.MBEDTLS_VERSION:
            self.assertEqual(tl.ussl_read_exact(s, 17), b"after the update\n")
            s.write(b"pong\n")
            self.assertTrue(self.server_got(b"pong"))
        else:
            with self.assertRaises(OSError) as cm:
                tl.ussl_read_exact(s, 17)
            msg = str(cm.exception)
            self.assertIn("KeyUpdate", msg)
            self.assertIn("does not implement", msg)
            self.assertIn("ENGINE=openssl", msg)


if __name__ == "__main__":
    unittest.main()
