"""test_leaks.py - hundreds of wrap/close cycles (good handshakes, failed
verifications, never-started connections, argument errors) must not leave
file descriptors open or let the process's resident memory grow.
"""

import gc
import os
import unittest

import ussl

import ussl_testlib as tl

ROUNDS = 20 if tl.SLOW else 75   # x 4 kinds = 300 cycles


def drain(conn, srv):
    while conn.recv(65536):
        pass


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Leaks(unittest.TestCase):

    def one_round(self, srv):
        # A good handshake, some data, close.
        s = tl.ussl_client(srv.port, **tl.verify_kwargs())
        s.write(b"ping")
        s.close()
        # A verification failure (wrong name): the error path.
        with self.assertRaises(OSError):
            tl.ussl_client(srv.port, **tl.verify_kwargs("wrong.example"))
        # Wrapped, never started, closed.
        a, b = tl.socketpair_with_timeout()
        s = ussl.wrap_socket(a, server_side=True, do_handshake=False,
                             keyfile=tl.cert("server-ec.key"),
                             certfile=tl.cert("server-ec-chain.pem"))
        s.close()
        b.close()
        # Refused arguments after files were read and parsed.
        a, b = tl.socketpair_with_timeout()
        with self.assertRaises(ValueError):
            ussl.wrap_socket(a, server_side=True,
                             keyfile=tl.cert("server-rsa.key"),
                             certfile=tl.cert("server-ec-chain.pem"))
        a.close()
        b.close()

    def test_no_fd_or_memory_growth(self):
        warmup = 10
        # Concurrent: a sequential server would wait for each close_notify
        # (held back by Nagle's algorithm) before the next handshake.
        srv = tl.ThreadedServer(self, drain, tl.server_context(),
                                conns=2 * (ROUNDS + warmup),
                                timeout=30 * tl.TIME_SCALE, concurrent=True)
        for _ in range(warmup):
            self.one_round(srv)
        gc.collect()
        fds0 = tl.fd_count()
        rss0 = rss_bytes()
        for _ in range(ROUNDS):
            self.one_round(srv)
        self.assertTrue(srv.join(30 * tl.TIME_SCALE))
        gc.collect()
        fds1 = tl.fd_count()
        rss1 = rss_bytes()
        self.assertLessEqual(fds1, fds0, "file descriptors leaked")
        # One leaked connection costs tens of KB with mbedTLS's buffers;
        # 2 * ROUNDS of them would be several MB.
        if tl.SLOW:
            return      # valgrind / ASan do their own leak accounting
        self.assertLess(rss1 - rss0, 3 << 20,
                        "RSS grew by %d KB" % ((rss1 - rss0) >> 10))

    def test_dealloc_without_close(self):
        # Dropping an SSLSocket without close() frees it; the socket object
        # it wrapped is the caller's and still closes normally.
        fds0 = tl.fd_count()
        for _ in range(100):
            a, b = tl.socketpair_with_timeout()
            s = ussl.wrap_socket(a, do_handshake=False)
            del s
            a.close()
            b.close()
        gc.collect()
        self.assertLessEqual(tl.fd_count(), fds0)


if __name__ == "__main__":
    unittest.main()
