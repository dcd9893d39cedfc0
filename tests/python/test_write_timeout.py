"""test_write_timeout.py - the write rule through the CPython module: a
write that times out while the peer does not read, then a write of other
data once it reads again.  The peer must receive a prefix of the first
write's data (what was accepted before the timeout) followed by exactly
the second write's bytes, on every engine, TLS 1.2 and 1.3.  Non-blocking:
writes that fill the socket, with other data after each refusal; what was
taken but not yet sent is announced (want) and sent by write(b"").
"""

import select
import ssl
import threading
import unittest

import ussl

import ussl_testlib as tl


class WriteAfterTimeout(unittest.TestCase):

    def run_case(self, version):
        gate = threading.Event()

        def handler(conn, srv):
            gate.wait(30)          # read nothing until the client gave up
            got = bytearray()
            while True:
                b = conn.recv(65536)
                if not b:
                    return bytes(got)
                got += b

        srv = tl.ThreadedServer(self, handler,
                                tl.server_context(version=version))
        self.addCleanup(gate.set)
        s = tl.ussl_client(srv.port, **tl.verify_kwargs())
        self.addCleanup(s.close)
        s.settimeout(0.5)
        big = tl.pattern(4 << 20)
        with self.assertRaises(TimeoutError):
            s.write(big)
        # The peer reads again; the next write carries other data.
        gate.set()
        s.settimeout(10)
        self.assertEqual(s.write(b"BBBBB"), 5)
        s.close()
        self.assertTrue(srv.join())
        self.assertEqual(srv.errors, [])
        got = srv.results[0]
        self.assertTrue(got.endswith(b"BBBBB"), got[-20:])
        prefix = got[:-5]
        self.assertGreater(len(prefix), 0)
        self.assertLess(len(prefix), len(big))
        self.assertEqual(prefix, big[:len(prefix)],
                         "the bytes before BBBBB are not what was written")

    def test_tls12(self):
        self.run_case(ssl.TLSVersion.TLSv1_2)

    @tl.requires_tls13
    def test_tls13(self):
        self.run_case(ssl.TLSVersion.TLSv1_3)

    def test_nonblocking_any_data_after_refusal(self):
        gate = threading.Event()

        def handler(conn, srv):
            gate.wait(30)
            got = bytearray()
            while True:
                b = conn.recv(65536)
                if not b:
                    return bytes(got)
                got += b

        srv = tl.ThreadedServer(self, handler, tl.server_context())
        self.addCleanup(gate.set)
        s = tl.ussl_client(srv.port, **tl.verify_kwargs())
        self.addCleanup(s.close)
        s.setblocking(False)
        sent = bytearray()
        refused = 0
        i = 0
        # Until the socket is full: every refused write is followed by a
        # write of other data, never a retry of the same.
        while refused < 5:
            data = tl.pattern(20000 + i * 7, seed=i)
            i += 1
            n = s.write(data)
            if n is None:
                refused += 1
                continue
            sent += data[:n]
        # Taken but not all in the socket: want says so, write(b"")
        # sends it once the peer reads.
        self.assertEqual(s.want, ussl.WANT_WRITE)
        gate.set()
        for _ in range(2000):
            if s.write(b"") == 0:
                break
            select.select([], [s], [], 1.0)
        else:
            self.fail("write(b'') never sent what was left")
        s.setblocking(True)
        s.settimeout(10)
        s.close()
        self.assertTrue(srv.join())
        self.assertEqual(srv.errors, [])
        self.assertEqual(srv.results[0], bytes(sent))


if __name__ == "__main__":
    unittest.main()
