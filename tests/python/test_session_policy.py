"""test_session_policy.py - a session never skips the verification that
the context asks for now.

A context connects with CERT_NONE and check_hostname False to a server
named evil.invalid (a certificate for another name, from a CA the
application will not trust).  The application then turns on
check_hostname and CERT_REQUIRED, loads a CA that never signed that
server, and only then closes the first socket, whose session is stored
as the connection ends.  The next connection must fail verification and
must not report session_reused.  A control proves the test can see a
resumption: the same steps under a policy that does verify the server
resume.  TLS 1.2 and 1.3, against CPython's ssl on 127.0.0.1.
"""

import unittest

import ussl

import ussl_testlib as tl

LINE = b"resume me?\n"


def echo_handler(conn, srv):
    info = dict(reused=conn.session_reused)
    line = tl.recv_line(conn)
    conn.sendall(b"echo: " + line)
    return info


def talk(s):
    s.write(LINE)
    return s.readline()


class SessionPolicy(unittest.TestCase):

    def server(self, version, conns):
        ctx = tl.server_context(version=version)
        return tl.ThreadedServer(self, echo_handler, ctx, conns=conns,
                                 concurrent=True)

    def client(self, version):
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ctx.maximum_version = version
        return ctx

    def test_unverified_session_not_resumed_after_policy_change(self):
        for vname, ver, _flag in tl.VERSIONS:
            with self.subTest(version=vname):
                srv = self.server(ver, 2)
                ctx = self.client(ver)
                ctx.check_hostname = False
                ctx.verify_mode = ussl.CERT_NONE
                first = ctx.wrap_socket(tl.connect(srv.port),
                                        server_hostname="evil.invalid")
                self.assertEqual(talk(first), b"echo: " + LINE)
                # Now the application wants verification...
                ctx.verify_mode = ussl.CERT_REQUIRED
                ctx.check_hostname = True
                ctx.load_verify_locations(tl.cert("other-ca.pem"))
                # ...and closes the first socket (its session is kept).
                first.close()
                reused = None
                raw = tl.connect(srv.port)
                try:
                    with self.assertRaises(OSError) as cm:
                        s = ctx.wrap_socket(raw,
                                            server_hostname="evil.invalid")
                        try:
                            reused = s.session_reused
                            talk(s)
                        finally:
                            s.close()
                finally:
                    raw.close()
                self.assertIsNot(reused, True)
                tl.assert_verify_error(self, cm.exception)
                srv.join()
                self.assertFalse(any(r["reused"] for r in srv.results))

    def test_same_names_other_ca(self):
        # Verified under one CA set; the next connection, under a CA set
        # that never signed the server, must not resume it.
        for vname, ver, _flag in tl.VERSIONS:
            with self.subTest(version=vname):
                srv = self.server(ver, 2)
                ctx = self.client(ver)
                ctx.load_verify_locations(tl.cert("ca.pem"))
                first = ctx.wrap_socket(tl.connect(srv.port),
                                        server_hostname="localhost")
                talk(first)
                ctx.load_verify_locations(tl.cert("other-ca.pem"))
                first.close()
                s = ctx.wrap_socket(tl.connect(srv.port),
                                    server_hostname="localhost")
                # ca.pem is still loaded: the server verifies, but the CA
                # set changed, so the handshake is a full one.
                self.assertFalse(s.session_reused)
                talk(s)
                s.close()
                srv.join()
                self.assertFalse(any(r["reused"] for r in srv.results))

    def test_control_same_policy_resumes(self):
        for vname, ver, _flag in tl.VERSIONS:
            with self.subTest(version=vname):
                srv = self.server(ver, 2)
                ctx = self.client(ver)
                ctx.load_verify_locations(tl.cert("ca.pem"))
                first = ctx.wrap_socket(tl.connect(srv.port),
                                        server_hostname="localhost")
                talk(first)
                first.close()
                s = ctx.wrap_socket(tl.connect(srv.port),
                                    server_hostname="localhost")
                self.assertTrue(s.session_reused)
                self.assertEqual(talk(s), b"echo: " + LINE)
                self.assertIsNotNone(s.getpeercert(True))
                s.close()
                srv.join()
                self.assertEqual(sorted(r["reused"] for r in srv.results),
                                 [False, True])


if __name__ == "__main__":
    unittest.main()
