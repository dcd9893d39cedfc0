"""test_ctxcache.py - the module-level wrap_socket() parses its files once.

Calls with the same keyfile/certfile/ca_certs share one context (one
parsed CA store for the process); a file that changes on disk gives a new
one; data arguments are never cached; the shared context cannot be reached
(and changed) through a socket.
"""

import os
import shutil
import socket
import tempfile
import unittest

import ussl

import ussl_testlib as tl


def greet_handler(conn, srv):
    conn.sendall(b"welcome\n")
    return conn.recv(100)


class ContextCache(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ussl-ctxcache-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def ca_copy(self, name, src="ca.pem"):
        path = os.path.join(self.dir, name)
        shutil.copyfile(tl.cert(src), path)
        return path

    def connect(self, ca, n=1, **kw):
        srv = tl.ThreadedServer(self, greet_handler,
                                tl.server_context("server-ec-chain.pem",
                                                  "server-ec.key"), conns=n)
        for _ in range(n):
            s = tl.ussl_client(srv.port, cert_reqs=ussl.CERT_REQUIRED,
                               server_hostname="localhost", **(
                                   {"ca_certs": ca} if ca else kw))
            try:
                self.assertEqual(tl.ussl_read_exact(s, 8), b"welcome\n")
                s.write(b"bye")
                self.assertIsNone(s.context)
            finally:
                s.close()
        srv.join()

    def test_same_file_shares_one_context(self):
        ca = self.ca_copy("same.pem")
        before = ussl._ctx_cache_size()
        self.connect(ca, n=3)
        self.assertEqual(ussl._ctx_cache_size(), before + 1)
        # Another name for other contents: one more.
        self.connect(self.ca_copy("second.pem"))
        self.assertEqual(ussl._ctx_cache_size(), min(before + 2, 16))

    def test_changed_file_is_read_again(self):
        ca = self.ca_copy("changing.pem")
        self.connect(ca)
        # Now the file trusts another CA only: verification must fail.
        shutil.copyfile(tl.cert("other-ca.pem"), ca)
        os.utime(ca, ns=(1, 2))   # a different identity even within a tick
        srv = tl.ThreadedServer(self, greet_handler,
                                tl.server_context("server-ec-chain.pem",
                                                  "server-ec.key"))
        with self.assertRaises(OSError) as cm:
            s = tl.ussl_client(srv.port, cert_reqs=ussl.CERT_REQUIRED,
                               ca_certs=ca, server_hostname="localhost")
            s.close()
        self.assertEqual(cm.exception.args[0], ussl.E_VERIFY)
        srv.join()

    def test_removed_file_is_an_error(self):
        ca = self.ca_copy("gone.pem")
        self.connect(ca)
        os.unlink(ca)
        a, b = socket.socketpair()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        with self.assertRaises(OSError):
            ussl.wrap_socket(a, cert_reqs=ussl.CERT_REQUIRED, ca_certs=ca,
                             server_hostname="localhost",
                             do_handshake=False)

    def test_data_is_not_cached(self):
        before = ussl._ctx_cache_size()
        self.connect(None, cadata=tl.cert_bytes("ca.pem"))
        self.assertEqual(ussl._ctx_cache_size(), before)


if __name__ == "__main__":
    unittest.main()
