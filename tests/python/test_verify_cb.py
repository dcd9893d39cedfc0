"""test_verify_cb.py - verification that no setting of the CPython module
can bypass, against CPython's ssl server on 127.0.0.1.

- SSLContext.verify_callback may add a rejection, never remove one: a
  callback returning 0, None, 1 or raising never makes a server with the
  wrong name or a self-signed server acceptable (check_hostname on,
  CERT_REQUIRED); on a good server 0 and None are "no objection", 1 and
  an exception reject.
- check_hostname = False skips the name check only (the core's
  USSL_RELAX_NO_NAME): the chain is still checked, with or without a
  callback, with or without server_hostname; check_hostname = True checks
  the name again.
- A leaf without extendedKeyUsage (and without keyUsage) from a trusted
  private CA is accepted; a clientAuth-only leaf is refused with a
  message naming the purpose.
"""

import unittest

import ussl

import ussl_testlib as tl

LINE = b"ping from ussl\n"


def echo_handler(conn, srv):
    line = tl.recv_line(conn)
    conn.sendall(b"echo: " + line)
    return line


def client_ctx(ca="ca.pem"):
    ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(tl.cert(ca))
    return ctx


def raising(cert, depth):
    raise RuntimeError("callback refuses")


# (name, callback, rejects a good server)
CALLBACKS = (
    ("none", None, False),
    ("return 0", lambda cert, depth: 0, False),
    ("return None", lambda cert, depth: None, False),
    ("return False", lambda cert, depth: False, False),
    ("return 1", lambda cert, depth: 1, True),
    ("return -1", lambda cert, depth: -1, True),
    ("return 1 at the leaf", lambda cert, depth: 1 if depth == 0 else 0,
     True),
    ("return 2**70", lambda cert, depth: 1 << 70, True),
    ("raise", raising, True),
    ("return a str", lambda cert, depth: "yes", True),
)


class Base(unittest.TestCase):

    def setUp(self):
        # What a callback raises is reported as unraisable; keep the
        # output clean and see that it happened.
        import sys
        self.unraisable = []
        old = sys.unraisablehook
        sys.unraisablehook = lambda u: self.unraisable.append(u.exc_value)
        self.addCleanup(setattr, sys, "unraisablehook", old)

    def attempt(self, ctx, chain, key, hostname="localhost"):
        """Connect to a CPython server presenting chain/key.  Returns the
        echo on success; raises what wrap_socket or the I/O raised."""
        srv = tl.ThreadedServer(self, echo_handler,
                                tl.server_context(chain, key))
        sock = tl.connect(srv.port)
        try:
            s = ctx.wrap_socket(sock, server_hostname=hostname)
        except BaseException:
            sock.close()
            srv.join()
            raise
        try:
            s.write(LINE)
            reply = s.readline()
        finally:
            s.close()
        self.assertTrue(srv.join())
        self.assertEqual(srv.errors, [])
        return reply

    def accepted(self, ctx, chain, key, hostname="localhost"):
        self.assertEqual(self.attempt(ctx, chain, key, hostname),
                         b"echo: " + LINE)

    def refused(self, ctx, chain, key, hostname="localhost", words=()):
        with self.assertRaises(OSError) as cm:
            self.attempt(ctx, chain, key, hostname)
        tl.assert_verify_error(self, cm.exception, *words)
        return cm.exception


class CallbackCannotAccept(Base):

    BAD = (("wronghost.pem", "wronghost.key", "host name"),
           ("selfsigned.pem", "selfsigned.key", "trusted issuer"))

    def test_bad_servers_refused_whatever_the_callback(self):
        for chain, key, words in self.BAD:
            for name, cb, _ in CALLBACKS:
                with self.subTest(server=chain, callback=name):
                    ctx = client_ctx()
                    self.assertTrue(ctx.check_hostname)
                    self.assertEqual(ctx.verify_mode, ussl.CERT_REQUIRED)
                    ctx.verify_callback = cb
                    self.refused(ctx, chain, key, words=(words,))

    def test_good_server(self):
        for name, cb, rejects in CALLBACKS:
            with self.subTest(callback=name):
                ctx = client_ctx()
                ctx.verify_callback = cb
                if rejects:
                    self.refused(ctx, "server-ec-chain.pem",
                                 "server-ec.key")
                else:
                    self.accepted(ctx, "server-ec-chain.pem",
                                  "server-ec.key")

    def test_raise_is_reported(self):
        ctx = client_ctx()
        ctx.verify_callback = raising
        self.refused(ctx, "server-ec-chain.pem", "server-ec.key")
        self.assertTrue(any(isinstance(e, RuntimeError)
                            for e in self.unraisable), self.unraisable)

    def test_callback_sees_the_failure_and_cannot_clear_it(self):
        seen = []

        def cb(cert, depth):
            seen.append(depth)
            return 0
        ctx = client_ctx()
        ctx.verify_callback = cb
        self.refused(ctx, "wronghost.pem", "wronghost.key",
                     words=("host name",))
        self.assertEqual(seen[-1], 0)


class CheckHostname(Base):

    def test_off_skips_the_name_only(self):
        for name, cb, rejects in CALLBACKS[:4]:
            with self.subTest(callback=name):
                ctx = client_ctx()
                ctx.check_hostname = False
                self.assertEqual(ctx.verify_mode, ussl.CERT_REQUIRED)
                ctx.verify_callback = cb
                # Any name of a trusted CA's certificate passes ...
                self.accepted(ctx, "wronghost.pem", "wronghost.key")
                self.accepted(ctx, "wronghost.pem", "wronghost.key",
                              hostname=None)
                # ... an untrusted chain does not.
                self.refused(ctx, "selfsigned.pem", "selfsigned.key",
                             words=("trusted issuer",))
                self.refused(ctx, "selfsigned.pem", "selfsigned.key",
                             hostname=None, words=("trusted issuer",))

    def test_on_again_checks_the_name(self):
        ctx = client_ctx()
        ctx.check_hostname = False
        self.accepted(ctx, "wronghost.pem", "wronghost.key")
        ctx.check_hostname = True
        self.refused(ctx, "wronghost.pem", "wronghost.key",
                     words=("host name",))
        with self.assertRaises(ValueError):
            self.attempt(ctx, "wronghost.pem", "wronghost.key",
                         hostname=None)

    def test_on_by_default(self):
        ctx = client_ctx()
        self.assertTrue(ctx.check_hostname)
        self.refused(ctx, "wronghost.pem", "wronghost.key",
                     words=("host name",))
        self.accepted(ctx, "server-ec-chain.pem", "server-ec.key")
        self.accepted(ctx, "server-ec-chain.pem", "server-ec.key",
                      hostname="127.0.0.1")


class DefaultPolicy(Base):

    def test_private_ca_leaf_without_eku(self):
        # No extendedKeyUsage and no keyUsage: RFC 5280 puts no limit on
        # such a leaf, and neither does CPython's ssl.
        ctx = client_ctx("private-ca.pem")
        self.accepted(ctx, "private-leaf.pem", "private-leaf.key")
        self.accepted(ctx, "private-leaf.pem", "private-leaf.key",
                      hostname="127.0.0.1")
        self.refused(ctx, "private-leaf.pem", "private-leaf.key",
                     hostname="other.example", words=("host name",))
        # Trust is still needed.
        self.refused(client_ctx(), "private-leaf.pem", "private-leaf.key",
                     words=("trusted issuer",))

    def test_leaf_for_clients_only(self):
        for relax in (0, 7):
            with self.subTest(relax=relax):
                ctx = client_ctx()
                ctx.verify_relax = relax
                self.refused(ctx, "client-san.pem", "client.key",
                             words=("extendedKeyUsage does not allow "
                                    "server authentication",))


if __name__ == "__main__":
    unittest.main()
