"""test_bulk.py - large transfers through a ussl client, checked with
SHA-256: 64 MiB each way in 64 KiB writes, and bulk
reads with read(n), readinto and read(-1).  (The single 32 MiB write is
in test_lifecycle.)

Peer: a CPython ssl server in a thread (ussl releases the GIL while it
encrypts and waits, so both sides run at once).
"""

import hashlib
import time
import unittest


import ussl

import ussl_testlib as tl

MIB = 1 << 20
CHUNK = 64 * 1024
WAIT = 60 * tl.TIME_SCALE


def chunk_source(total, seed):
    """A reusable 1 MiB block, sliced in CHUNK writes; the digest of the
    whole stream is computed once up front."""
    block = tl.pattern(MIB, seed)
    h = hashlib.sha256()
    for _ in range(total // MIB):
        h.update(block)
    return block, h.hexdigest()


def sink_handler(conn, srv):
    """Receive until close_notify; report size and digest."""
    h = hashlib.sha256()
    n = 0
    while True:
        b = conn.recv(CHUNK)
        if not b:
            return n, h.hexdigest()
        n += len(b)
        h.update(b)


def source_handler(total, block):
    def handler(conn, srv):
        mv = memoryview(block)
        for _ in range(total // MIB):
            for off in range(0, MIB, CHUNK):
                conn.sendall(mv[off:off + CHUNK])
        conn.unwrap()
        return "sent"
    return handler


class Bulk(unittest.TestCase):

    def upload(self, total, version=None):
        block, digest = chunk_source(total, seed=11)
        srv = tl.ThreadedServer(self, sink_handler,
                                tl.server_context(version=version),
                                timeout=WAIT)
        s = tl.ussl_client(srv.port, timeout=WAIT, **tl.verify_kwargs())
        mv = memoryview(block)
        t0 = time.monotonic()
        for _ in range(total // MIB):
            for off in range(0, MIB, CHUNK):
                self.assertEqual(s.write(mv[off:off + CHUNK]), CHUNK)
        s.close()
        self.assertTrue(srv.join(WAIT))
        self.assertEqual(srv.errors, [])
        self.assertEqual(srv.results, [(total, digest)])
        return time.monotonic() - t0

    def download(self, total, version=None, mode="read"):
        block, digest = chunk_source(total, seed=12)
        srv = tl.ThreadedServer(self, source_handler(total, block),
                                tl.server_context(version=version),
                                timeout=WAIT)
        s = tl.ussl_client(srv.port, timeout=WAIT, **tl.verify_kwargs())
        h = hashlib.sha256()
        n = 0
        if mode == "read":
            while True:
                b = s.read(CHUNK)
                if not b:
                    break
                self.assertLessEqual(len(b), CHUNK)
                n += len(b)
                h.update(b)
        elif mode == "readinto":
            buf = bytearray(CHUNK)
            mv = memoryview(buf)
            while True:
                k = s.readinto(buf)
                if not k:
                    break
                n += k
                h.update(mv[:k])
        else:
            data = s.read(-1)
            n = len(data)
            h.update(data)
        s.close()
        self.assertTrue(srv.join(WAIT))
        self.assertEqual(srv.errors, [])
        self.assertEqual(srv.results, ["sent"])
        self.assertEqual(n, total)
        self.assertEqual(h.hexdigest(), digest)

    def test_upload_64mib(self):
        self.upload(tl.bulk_size(64 * MIB))

    def test_download_64mib(self):
        self.download(tl.bulk_size(64 * MIB))

    def test_download_readinto(self):
        self.download(tl.bulk_size(16 * MIB), mode="readinto")

    def test_download_read_all(self):
        self.download(tl.bulk_size(16 * MIB), mode="readall")

    def test_other_versions(self):
        # The default version got the big runs; the others a smaller one.
        for vname, ver, _flag in tl.VERSIONS:
            with self.subTest(version=vname):
                self.upload(tl.bulk_size(8 * MIB), ver)
                self.download(tl.bulk_size(8 * MIB), ver)


class BulkServerSide(unittest.TestCase):
    """A ussl server receiving and sending full-size records."""

    def test_echo_both_ways(self):
        total = tl.bulk_size(8 * MIB)
        for vname, ver, _flag in tl.VERSIONS:
            with self.subTest(version=vname):
                block, digest = chunk_source(total, seed=14)
                lst = tl.Listener(self)

                def client(s):
                    mv = memoryview(block)
                    for _ in range(total // MIB):
                        for off in range(0, MIB, CHUNK):
                            s.sendall(mv[off:off + CHUNK])
                    h = hashlib.sha256()
                    n = 0
                    while n < total:
                        b = s.recv(CHUNK)
                        if not b:
                            break
                        n += len(b)
                        h.update(b)
                    return n, h.hexdigest(), s.recv(10)
                cli = tl.cpython_client(self, lst.port,
                                        tl.client_context(version=ver),
                                        client)
                conn = lst.accept(timeout=WAIT)
                s = ussl.wrap_socket(conn, server_side=True,
                                     keyfile=tl.cert("server-ec.key"),
                                     certfile=tl.cert("server-ec-chain.pem"))
                self.addCleanup(s.close)
                h = hashlib.sha256()
                n = 0
                while n < total:
                    b = s.read(CHUNK)
                    self.assertTrue(b, "end of stream after %d bytes" % n)
                    n += len(b)
                    h.update(b)
                self.assertEqual(h.hexdigest(), digest)
                mv = memoryview(block)
                for _ in range(total // MIB):
                    self.assertEqual(s.write(mv), MIB)
                s.close()
                cli.join(WAIT)
                self.assertIsNone(cli.error)
                self.assertEqual(cli.result, (total, digest, b""))


if __name__ == "__main__":
    unittest.main()
