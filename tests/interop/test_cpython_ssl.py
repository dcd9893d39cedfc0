"""test_cpython_ssl.py - interop matrix against CPython's ssl module (the
system OpenSSL behind it): versions x key types x TLS 1.2 cipher suites in
both directions, and record-boundary sizes (1 byte, around 16 KiB, many
small writes) both ways.
"""

import os
import ssl
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "python"))

import ussl  # noqa: E402

import ussl_testlib as tl  # noqa: E402

TLS12_SUITES = {
    "ec": ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
           "ECDHE-ECDSA-CHACHA20-POLY1305"],
    "rsa": ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384",
            "ECDHE-RSA-CHACHA20-POLY1305"],
}
KEYS = {label: (chain, key, der) for label, chain, key, der in tl.SERVER_KEYS}
SERVER_KW = {
    "ec": dict(keyfile=tl.cert("server-ec.key"),
               certfile=tl.cert("server-ec-chain.pem")),
    "rsa": dict(keyfile=tl.cert("server-rsa.key"),
                certfile=tl.cert("server-rsa.pem")),
}
# Sizes around record boundaries (16384 bytes of plaintext per record).
SIZES = [1, 2, 100, 16383, 16384, 16385, 32768, 32769, 100000]


def echo_sizes(conn, srv):
    """Echo len-prefixed messages until a zero length arrives."""
    while True:
        n = int(tl.recv_line(conn))
        if n == 0:
            return "done"
        conn.sendall(tl.recv_exact(conn, n))


class UsslClient(unittest.TestCase):

    def server(self, label, version=None, ciphers=None):
        chain, key, _der = KEYS[label]
        ctx = tl.server_context(chain, key, version)
        if ciphers:
            ctx.set_ciphers(ciphers)
        return ctx

    def test_matrix(self):
        for vname, ver, _flag in tl.VERSIONS:
            for label in KEYS:
                suites = TLS12_SUITES[label] if vname == "TLSv1.2" else [None]
                for suite in suites:
                    with self.subTest(version=vname, key=label, suite=suite):
                        self.one(vname, ver, label, suite)

    def one(self, vname, ver, label, suite):
        info = {}

        def handler(conn, srv):
            info["cipher"] = conn.cipher()
            info["version"] = conn.version()
            return echo_sizes(conn, srv)
        srv = tl.ThreadedServer(self, handler, self.server(label, ver, suite))
        s = tl.ussl_client(srv.port, **tl.verify_kwargs())
        for n in (1, 16385):
            data = tl.pattern(n, seed=n)
            s.write(b"%d\n" % n + data)
            self.assertEqual(tl.ussl_read_exact(s, n), data)
        s.write(b"0\n")
        s.close()
        self.assertTrue(srv.join())
        self.assertEqual(srv.errors, [])
        self.assertEqual(info["version"], vname)
        if suite:
            self.assertEqual(info["cipher"][0], suite)

    def test_record_boundaries(self):
        for vname, ver, _flag in tl.VERSIONS:
            with self.subTest(version=vname):
                srv = tl.ThreadedServer(self, echo_sizes,
                                        self.server("ec", ver))
                s = tl.ussl_client(srv.port, **tl.verify_kwargs())
                for n in SIZES:
                    data = tl.pattern(n, seed=n)
                    self.assertEqual(s.write(b"%d\n" % n), len(b"%d\n" % n))
                    self.assertEqual(s.write(data), n)
                    self.assertEqual(tl.ussl_read_exact(s, n), data)
                # Many tiny writes: one byte per record.
                data = tl.pattern(500, seed=1)
                s.write(b"500\n")
                for i in range(500):
                    self.assertEqual(s.write(data[i:i + 1]), 1)
                self.assertEqual(tl.ussl_read_exact(s, 500), data)
                s.write(b"0\n")
                s.close()
                self.assertTrue(srv.join())
                self.assertEqual(srv.errors, [])
                self.assertEqual(srv.results, ["done"])

    def test_many_small_records_from_peer(self):
        # The peer sends 2000 one-byte records; reads return them in order
        # and never more than asked.
        def handler(conn, srv):
            for i in range(2000):
                conn.sendall(bytes([i % 256]))
            conn.unwrap()
        srv = tl.ThreadedServer(self, handler, self.server("ec"))
        s = tl.ussl_client(srv.port, **tl.verify_kwargs())
        got = bytearray()
        while True:
            b = s.read(7)
            if not b:
                break
            self.assertLessEqual(len(b), 7)
            got += b
        self.assertEqual(bytes(got), bytes(i % 256 for i in range(2000)))
        s.close()


class CPythonClient(unittest.TestCase):

    def serve_echo(self, label, ctx):
        lst = tl.Listener(self)

        def client(s):
            out = {}
            out["version"] = s.version()
            out["cipher"] = s.cipher()
            for n in SIZES:
                data = tl.pattern(n, seed=n)
                s.sendall(b"%d\n" % n + data)
                out[n] = tl.recv_exact(s, n) == data
            s.sendall(b"0\n")
            out["tail"] = s.recv(10)
            return out
        cli = tl.cpython_client(self, lst.port, ctx, client)
        conn = lst.accept()
        try:
            s = ussl.wrap_socket(conn, server_side=True, **SERVER_KW[label])
        except BaseException:
            conn.close()
            raise
        while True:
            n = int(s.readline())
            if n == 0:
                break
            s.write(tl.ussl_read_exact(s, n))
        facts = (s.version(), s.cipher())
        s.close()
        cli.join()
        self.assertIsNone(cli.error)
        return facts, cli.result

    def test_matrix(self):
        for vname, ver, _flag in tl.VERSIONS:
            for label in KEYS:
                suites = TLS12_SUITES[label] if vname == "TLSv1.2" else [None]
                for suite in suites:
                    with self.subTest(version=vname, key=label, suite=suite):
                        ctx = tl.client_context(version=ver)
                        if suite:
                            ctx.set_ciphers(suite)
                        facts, theirs = self.serve_echo(label, ctx)
                        self.assertTrue(all(theirs[n] for n in SIZES))
                        self.assertEqual(theirs["tail"], b"")
                        self.assertEqual(facts[0], vname)
                        self.assertEqual(theirs["version"], vname)
                        self.assertEqual(facts[1][0],
                                         tl.iana_cipher_name(
                                             theirs["cipher"][0]))
                        if suite:
                            self.assertEqual(theirs["cipher"][0], suite)

    def test_ussl_server_prefers_strong_tls12(self):
        # Offered everything, a ussl server picks an AEAD suite with ECDHE.
        ctx = tl.client_context(version=ssl.TLSVersion.TLSv1_2)
        ctx.set_ciphers("ALL:@SECLEVEL=0")
        facts, theirs = self.serve_echo("ec", ctx)
        name = facts[1][0]
        self.assertIn("ECDHE", name)
        self.assertTrue("GCM" in name or "CHACHA20" in name, name)


if __name__ == "__main__":
    unittest.main()
