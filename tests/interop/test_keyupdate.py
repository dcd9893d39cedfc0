"""test_keyupdate.py - a peer that changes keys or records after the handshake.

`openssl s_server` sends a KeyUpdate (RFC 8446 4.6.3) when its stdin gets
the command "k", one that asks for ours with "K", and a TLS 1.2
HelloRequest with "r".  The OpenSSL engine takes key updates and the
connection goes on, also once the connection is parked (our own record
layer, src/openssl_record.c: a client parks once it has read data), and
answers "K" with its own, which s_server must be able to read; with
-record_padding and -max_send_frag its records are padded or small.  A
renegotiation is refused (no_renegotiation), as OpenSSL refuses it, and
s_server then ends the connection.  mbedTLS 3.6 does not implement
KeyUpdate, and the error must say so (what happened, that the engine
lacks it, and what to use instead), never just "unexpected message".
Everything runs on 127.0.0.1; s_server is killed by PID.
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
    ARGS = ["-tls1_3", "-msg"]

    def setUp(self):
        if not tl.engine_has_tls13():
            self.skipTest("this engine has no TLS 1.3")
        self.start()

    def start(self, extra=()):
        self.port = tl.free_port()
        self.proc = subprocess.Popen(
            [OPENSSL, "s_server", "-accept", "127.0.0.1:%d" % self.port,
             "-cert", tl.cert("server-ec-chain.pem"),
             "-cert_chain", tl.cert("server-ec-chain.pem"),
             # Not -quiet: s_server takes commands ("k") only without it.
             "-key", tl.cert("server-ec.key")] + self.ARGS + list(extra),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        tl.wait_port(self.port, proc=self.proc)

    def client(self):
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(tl.cert("ca.pem"))
        s = ctx.wrap_socket(tl.connect(self.port), server_hostname="localhost")
        self.addCleanup(s.close)
        s.settimeout(20)
        return s

    def type_line(self, line):
        self.proc.stdin.write(line)
        self.proc.stdin.flush()

    def server_got(self, line, timeout=20, part=False):
        """Read s_server's stdout (its log and what it received) until
        line comes (part: a line holding it); False if it does not
        within timeout."""
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
            lines = buf.split(b"\n")
            if line in lines or (part and any(line in x for x in lines)):
                return True
        return False

    def tearDown(self):
        self.proc.kill()
        self.proc.wait(timeout=10)
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            f.close()

    def test_keyupdate(self):
        s = self.client()
        s.write(b"ping\n")
        self.assertTrue(self.server_got(b"ping"))
        # "k": s_server sends a KeyUpdate, then the line.
        self.type_line(b"k\n")
        time.sleep(0.2)
        self.type_line(b"after the update\n")
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

    def updates_after_data(self):
        """Data first (an OpenSSL-engine client parks then), then key
        updates of both kinds, each followed by data both ways: s_server
        reading our lines after "K" proves our own update was right."""
        if "OpenSSL" not in ussl.MBEDTLS_VERSION:
            self.skipTest("mbedTLS 3.6 has no KeyUpdate (test_keyupdate)")
        s = self.client()
        self.type_line(b"hello\n")
        self.assertEqual(tl.ussl_read_exact(s, 6), b"hello\n")
        for i, cmd in enumerate([b"k", b"K", b"K", b"k", b"K"]):
            self.type_line(cmd + b"\n")
            time.sleep(0.2)
            line = b"line %d after %s\n" % (i, cmd)
            self.type_line(line)
            self.assertEqual(tl.ussl_read_exact(s, len(line)), line)
            if cmd == b"K":
                # Asked for ours: s_server (-msg) logs it as received.
                self.assertTrue(self.server_got(b"<<< TLS 1.3, Handshake "
                                                b"[length 0005], KeyUpdate",
                                                part=True))
            s.write(b"pong %d\n" % i)
            self.assertTrue(self.server_got(b"pong %d" % i))
        s.write(b"x" * 100000 + b"\nend\n")
        self.assertTrue(self.server_got(b"end"))

    def test_updates_parked(self):
        self.updates_after_data()

    def test_updates_padded_records(self):
        # Padded TLS 1.3 records (RFC 8446 5.4) and small ones.
        self.proc.kill()
        self.proc.wait(timeout=10)
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            f.close()
        self.start(["-record_padding", "512", "-max_send_frag", "512"])
        self.updates_after_data()


class Renegotiation(KeyUpdate):
    """TLS 1.2: s_server's "r" asks to renegotiate (HelloRequest)."""
    ARGS = ["-tls1_2"]

    def setUp(self):
        self.start()

    test_keyupdate = test_updates_parked = test_updates_padded_records = None

    def test_refused(self):
        s = self.client()
        self.type_line(b"hello\n")
        self.assertEqual(tl.ussl_read_exact(s, 6), b"hello\n")
        s.write(b"before\n")
        self.assertTrue(self.server_got(b"before"))
        self.type_line(b"r\n")
        # We say no_renegotiation; OpenSSL's server, whose renegotiation
        # was refused, ends the connection with handshake_failure (as
        # it does with an OpenSSL client).
        with self.assertRaises(OSError) as cm:
            tl.ussl_read_exact(s, 1)
        self.assertIn("alert 40", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
