"""test_sign_cb.py - load_cert_chain(sign_callback=fn): a private key that
never enters the process.  The "secure element" here is `openssl pkeyutl`
in a child process, which holds the key and signs the digest it is given.

- A client whose chain has no key authenticates to `openssl s_server
  -Verify 1 -verify_return_error` (TLS 1.2 and 1.3), the callback asked
  for ECDSA over a digest of the right length.
- A ussl server with an EC (TLS 1.2 and 1.3) or RSA (TLS 1.2, PKCS#1
  v1.5) key behind the callback serves CPython's ssl client.
- A callback that raises, returns another type, a wrong length, or an
  invalid signature fails the handshake with OSError(E_HANDSHAKE) naming
  the sign callback; nothing it raised or returned is in the message.
- With keyfile given, the callback is asked first; None lets the library
  sign with the key.
"""

import os
import socket
import ssl
import subprocess
import sys
import tempfile
import unittest

import ussl

import ussl_testlib as tl

DIGESTS = {32: "sha256", 48: "sha384", 64: "sha512"}


class Signer:
    """The callback: signs with `openssl pkeyutl` (key in a child)."""

    def __init__(self, keyfile, mode="sign"):
        self.keyfile = keyfile
        self.mode = mode
        self.calls = []

    def __call__(self, alg, digest):
        self.calls.append((alg, len(digest)))
        if self.mode == "raise":
            raise RuntimeError("SECRET-IN-EXCEPTION")
        if self.mode == "str":
            return "SECRET-STRING"
        if self.mode == "none":
            return None
        if self.mode == "huge":
            return b"S" * 70000
        if self.mode == "empty":
            return b""
        if self.mode == "garbage":
            return b"\x30\x44" + b"\x02\x20" + b"\x11" * 32 + \
                b"\x02\x20" + b"\x22" * 32
        sig = self.sign(alg, digest)
        if self.mode == "bitflip":
            sig = sig[:-3] + bytes([sig[-3] ^ 1]) + sig[-2:]
        return sig

    def sign(self, alg, digest):
        argv = ["openssl", "pkeyutl", "-sign", "-inkey", self.keyfile,
                "-pkeyopt", "digest:" + DIGESTS[len(digest)]]
        if alg & 0xff == 0x01:
            argv += ["-pkeyopt", "rsa_padding_mode:pkcs1"]
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "digest")
            with open(path, "wb") as f:
                f.write(digest)
            r = subprocess.run(argv + ["-in", path], capture_output=True,
                               timeout=tl.TIMEOUT, check=True)
        return r.stdout


class Unraisable:
    """Collect what callbacks raise (sys.unraisablehook) during a test."""

    def __init__(self, tc):
        self.seen = []
        old = sys.unraisablehook
        sys.unraisablehook = lambda u: self.seen.append(u.exc_value)
        tc.addCleanup(setattr, sys, "unraisablehook", old)


def client_ctx(signer=None, chain="client.pem", key=None, version=None):
    ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(tl.cert("ca.pem"))
    ctx.load_cert_chain(tl.cert(chain), tl.cert(key) if key else None,
                        sign_callback=signer)
    if version is not None:
        ctx.minimum_version = ctx.maximum_version = version
    return ctx


@unittest.skipUnless(tl.have_program("openssl"), "no openssl program")
class ClientCertTests(unittest.TestCase):
    """The client's key is behind the callback."""

    def server(self, flag):
        return tl.OpenSSLServer(self, [
            "-rev", "-naccept", "1", flag, "-Verify", "1",
            "-verify_return_error", "-CAfile", tl.cert("ca.pem")])

    def connect(self, ctx, port):
        sock = tl.connect(port)
        try:
            return ctx.wrap_socket(sock, server_hostname="localhost")
        except BaseException:
            sock.close()
            raise

    def test_client_cert_through_callback(self):
        for vname, _ver, flag in tl.VERSIONS:
            with self.subTest(version=vname):
                signer = Signer(tl.cert("client.key"))
                srv = self.server(flag)
                s = self.connect(client_ctx(signer), srv.port)
                s.write(b"abc\n")
                self.assertEqual(tl.ussl_read_exact(s, 4), b"cba\n")
                self.assertEqual(s.version(), vname)
                s.close()
                srv.wait_for(r"Peer certificate: .*ussl test client")
                self.assertEqual(len(signer.calls), 1)
                alg, n = signer.calls[0]
                self.assertIn(alg, (ussl.SIGN_ECDSA_SHA256,
                                    ussl.SIGN_ECDSA_SHA384,
                                    ussl.SIGN_ECDSA_SHA512))
                self.assertEqual(n, {ussl.SIGN_ECDSA_SHA256: 32,
                                     ussl.SIGN_ECDSA_SHA384: 48,
                                     ussl.SIGN_ECDSA_SHA512: 64}[alg])

    def test_bad_callbacks_fail_the_handshake(self):
        cases = [("raise", "sign callback failed"),
                 ("str", "sign callback failed"),
                 ("none", "declined"),
                 ("huge", "wrong length"),
                 ("empty", "wrong length"),
                 ("garbage", "invalid signature"),
                 ("bitflip", "invalid signature")]
        for vname, _ver, flag in tl.VERSIONS:
            for mode, words in cases:
                with self.subTest(version=vname, mode=mode):
                    hook = Unraisable(self)
                    signer = Signer(tl.cert("client.key"), mode)
                    srv = self.server(flag)
                    with self.assertRaises(OSError) as cm:
                        s = self.connect(client_ctx(signer), srv.port)
                        s.close()
                    e = cm.exception
                    self.assertEqual(e.args[0], ussl.E_HANDSHAKE, repr(e))
                    self.assertIn(words, str(e))
                    self.assertNotIn("SECRET", str(e))
                    self.assertEqual(len(signer.calls), 1)
                    if mode in ("raise", "str"):
                        self.assertEqual(len(hook.seen), 1)
                    srv.stop()

    def test_loaded_key_callback_asked_first(self):
        signer = Signer(tl.cert("client.key"), "none")
        srv = self.server(tl.VERSIONS[-1][2])
        s = self.connect(client_ctx(signer, key="client.key"), srv.port)
        s.write(b"xy\n")
        self.assertEqual(tl.ussl_read_exact(s, 3), b"yx\n")
        s.close()
        self.assertEqual(len(signer.calls), 1)

    def test_argument_checks(self):
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
        with self.assertRaises(TypeError):
            ctx.load_cert_chain(tl.cert("client.pem"), sign_callback=5)
        with self.assertRaises(ValueError):
            ctx.load_cert_chain(b"junk", sign_callback=lambda a, d: b"")


class ServerTests(unittest.TestCase):
    """A ussl server whose key is behind the callback; CPython's client."""

    def serve(self, chain, keyfile, version, mode="sign"):
        signer = Signer(tl.cert(keyfile), mode)
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(tl.cert(chain), sign_callback=signer)
        lst = tl.Listener(self)
        cctx = tl.client_context(version=version)
        peer = tl.cpython_client(self, lst.port, cctx,
                                 lambda s: (s.sendall(b"hi\n"),
                                            s.recv(16), s.version()))
        conn = lst.accept()
        try:
            s = ctx.wrap_socket(conn, server_side=True)
        except BaseException:
            conn.close()
            peer.join()
            return signer, None, peer
        self.assertEqual(tl.ussl_read_exact(s, 3), b"hi\n")
        s.write(b"ok\n")
        peer.join()
        s.close()
        return signer, s, peer

    def test_ec_server(self):
        for vname, ver, _flag in tl.VERSIONS:
            with self.subTest(version=vname):
                signer, s, peer = self.serve("server-ec-chain.pem",
                                             "server-ec.key", ver)
                self.assertIsNotNone(s)
                self.assertIsNone(peer.error)
                self.assertEqual(peer.result[1:], (b"ok\n", vname))
                self.assertEqual(len(signer.calls), 1)

    def test_rsa_server_tls12(self):
        signer, s, peer = self.serve("server-rsa.pem", "server-rsa.key",
                                     None)
        self.assertIsNone(peer.error)
        self.assertEqual(peer.result[1:], (b"ok\n", "TLSv1.2"))
        self.assertEqual(len(signer.calls), 1)
        self.assertIn(signer.calls[0][0], (ussl.SIGN_RSA_PKCS1_SHA256,
                                           ussl.SIGN_RSA_PKCS1_SHA384,
                                           ussl.SIGN_RSA_PKCS1_SHA512))

    def test_invalid_signature_server(self):
        hook = Unraisable(self)
        signer, s, peer = self.serve("server-ec-chain.pem",
                                     "server-ec.key", None, "bitflip")
        self.assertIsNone(s)
        self.assertIsNotNone(peer.error)
        self.assertEqual(hook.seen, [])


if __name__ == "__main__":
    unittest.main()
