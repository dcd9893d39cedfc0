"""test_context_sessions.py - session resumption with ussl.SSLContext.

Client side: a context caches sessions (TLS 1.2 sessions and TLS 1.3
tickets) per (server name, port) and offers them again; the peer
(CPython's ssl, `openssl s_server`) must report the connection as resumed.
Server side: a server context issues tickets that CPython clients resume.
"""

import socket
import threading
import time
import unittest

import ussl

import ussl_testlib as tl

LINE = b"resume me\n"


def echo_handler(conn, srv):
    info = dict(reused=conn.session_reused, version=conn.version())
    line = tl.recv_line(conn)
    conn.sendall(b"echo: " + line)
    info["tail"] = conn.recv(100)
    return info


def client_ctx(version=None):
    ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(tl.cert("ca.pem"))
    if version is not None:
        ctx.minimum_version = ctx.maximum_version = version
    return ctx


def exchange(ctx, port, hostname="localhost"):
    s = ctx.wrap_socket(tl.connect(port), server_hostname=hostname)
    try:
        reused_at_handshake = s.session_reused
        s.write(LINE)
        reply = s.readline()
        cert = s.getpeercert(True)
    finally:
        s.close()
    return dict(reused=reused_at_handshake, reply=reply, cert=cert)


class ClientResumption(unittest.TestCase):

    def cpython_server(self, conns, version=None, **kw):
        ctx = tl.server_context(version=version, **kw)
        return tl.ThreadedServer(self, echo_handler, ctx, conns=conns)

    def test_resumed_by_cpython_server(self):
        for vname, ver, _flag in tl.VERSIONS:
            with self.subTest(version=vname):
                srv = self.cpython_server(3, ver)
                ctx = client_ctx(ver)
                ours = [exchange(ctx, srv.port) for _ in range(3)]
                self.assertTrue(srv.join())
                self.assertEqual(srv.errors, [])
                theirs = [r["reused"] for r in srv.results]
                self.assertEqual(theirs, [False, True, True])
                self.assertEqual([o["reused"] for o in ours],
                                 [False, True, True])
                for o in ours:
                    self.assertEqual(o["reply"], b"echo: " + LINE)
                    # The peer certificate is known after resumption too.
                    self.assertEqual(o["cert"],
                                     tl.cert_bytes("server-ec.der"))
                stats = ctx.session_stats()
                self.assertEqual((stats["hits"], stats["misses"]), (2, 0))
                self.assertEqual(stats["number"], 1)

    def test_default_versions(self):
        srv = self.cpython_server(2)
        ctx = client_ctx()
        exchange(ctx, srv.port)
        self.assertTrue(exchange(ctx, srv.port)["reused"])
        self.assertTrue(srv.join())
        self.assertEqual([r["reused"] for r in srv.results], [False, True])

    def test_closed_right_after_handshake(self):
        # No data read: close() still picks up the TLS 1.3 ticket that
        # the server sends just after the handshake.
        def record(conn, srv):
            reused = conn.session_reused
            conn.recv(10)
            return reused
        srv = tl.ThreadedServer(self, record, tl.server_context(), conns=3)
        ctx = client_ctx()
        for _ in range(3):
            ctx.wrap_socket(tl.connect(srv.port),
                            server_hostname="localhost").close()
        self.assertTrue(srv.join())
        self.assertEqual(srv.errors, [])
        self.assertEqual(srv.results, [False, True, True])

    def test_op_no_ticket_turns_it_off(self):
        srv = self.cpython_server(2)
        ctx = client_ctx()
        ctx.options |= ussl.OP_NO_TICKET
        self.assertTrue(ctx.options & ussl.OP_NO_TICKET)
        exchange(ctx, srv.port)
        exchange(ctx, srv.port)
        self.assertTrue(srv.join())
        self.assertEqual([r["reused"] for r in srv.results], [False, False])
        self.assertEqual(ctx.session_stats()["number"], 0)

    def test_not_shared_between_contexts(self):
        srv = self.cpython_server(2)
        exchange(client_ctx(), srv.port)
        exchange(client_ctx(), srv.port)
        self.assertTrue(srv.join())
        self.assertEqual([r["reused"] for r in srv.results], [False, False])

    def test_keyed_by_name_and_port(self):
        srv1 = self.cpython_server(3)
        srv2 = self.cpython_server(1)
        ctx = client_ctx()
        exchange(ctx, srv1.port, "localhost")
        # Same server under another name: no session for that name.
        exchange(ctx, srv1.port, "127.0.0.1")
        self.assertTrue(exchange(ctx, srv1.port, "localhost")["reused"])
        # Another port: nothing cached for it.
        self.assertFalse(exchange(ctx, srv2.port, "localhost")["reused"])
        self.assertTrue(srv1.join() and srv2.join())
        self.assertEqual([r["reused"] for r in srv1.results],
                         [False, False, True])
        self.assertEqual(ctx.session_stats()["number"], 3)

    def test_settings_change_forgets_sessions(self):
        srv = self.cpython_server(2)
        ctx = client_ctx()
        exchange(ctx, srv.port)
        ctx.load_verify_locations(tl.cert("other-ca.pem"))
        self.assertEqual(ctx.session_stats()["number"], 0)
        self.assertFalse(exchange(ctx, srv.port)["reused"])
        self.assertTrue(srv.join())

    def test_resumed_by_openssl_server(self):
        srv = tl.OpenSSLServer(self, ["-www"])
        ctx = client_ctx()
        pages = []
        for _ in range(2):
            s = ctx.wrap_socket(tl.connect(srv.port),
                                server_hostname="localhost")
            try:
                s.write(b"GET / HTTP/1.0\r\n\r\n")
                pages.append((s.session_reused, tl.ussl_read_until_eof(s)))
            finally:
                s.close()
        self.assertFalse(pages[0][0])
        self.assertIn(b"New, ", pages[0][1])
        self.assertTrue(pages[1][0])
        self.assertIn(b"Reused, ", pages[1][1])


class ServerTickets(unittest.TestCase):
    """A ussl server context issues tickets; CPython clients resume."""

    def serve(self, ctx, conns):
        lst = tl.Listener(self)
        results = []

        def run():
            for _ in range(conns):
                raw = lst.accept()
                try:
                    s = ctx.wrap_socket(raw, server_side=True)
                except OSError:
                    raw.close()
                    continue
                try:
                    line = s.readline()
                    s.write(b"echo: " + line)
                    results.append(s.session_reused)
                    s.read(10)      # the client's close_notify
                finally:
                    s.close()
            return results
        return lst.port, tl.ThreadedClient(self, run)

    def client(self, port, cctx, session=None):
        with socket.create_connection(("127.0.0.1", port),
                                      timeout=tl.TIMEOUT) as raw:
            with cctx.wrap_socket(raw, server_hostname="localhost",
                                  session=session) as s:
                s.sendall(LINE)
                reply = tl.recv_line(s)
                out = (s.session_reused, s.session, reply)
                s.unwrap()
                return out

    def resume_twice(self, ctx, version):
        port, t = self.serve(ctx, 2)
        cctx = tl.client_context(version=version)
        r1, sess, reply = self.client(port, cctx)
        self.assertEqual(reply, b"echo: " + LINE)
        r2, _, _ = self.client(port, cctx, session=sess)
        t.join()
        self.assertIsNone(t.error, repr(t.error))
        return [r1, r2], t.result

    def test_cpython_client_resumes(self):
        for vname, ver, _flag in tl.VERSIONS:
            with self.subTest(version=vname):
                ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain(tl.cert("server-ec-chain.pem"),
                                    tl.cert("server-ec.key"))
                theirs, ours = self.resume_twice(ctx, ver)
                self.assertEqual(theirs, [False, True])
                self.assertEqual(ours, [False, True])

    def test_tickets_off(self):
        for how in ("lifetime", "option"):
            for vname, ver, _flag in tl.VERSIONS:
                with self.subTest(how=how, version=vname):
                    ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_SERVER)
                    ctx.load_cert_chain(tl.cert("server-ec-chain.pem"),
                                        tl.cert("server-ec.key"))
                    if how == "lifetime":
                        ctx.ticket_lifetime = 0
                        self.assertEqual(ctx.ticket_lifetime, 0)
                    else:
                        ctx.options |= ussl.OP_NO_TICKET
                    theirs, ours = self.resume_twice(ctx, ver)
                    self.assertEqual(theirs, [False, False])
                    self.assertEqual(ours, [False, False])

    @unittest.skipIf(tl.SLOW, "timing-based")
    def test_expired_ticket_not_resumed(self):
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(tl.cert("server-ec-chain.pem"),
                            tl.cert("server-ec.key"))
        ctx.ticket_lifetime = 1
        port, t = self.serve(ctx, 3)
        cctx = tl.client_context(version=tl.VERSIONS[0][1])   # TLS 1.2
        _, sess, _ = self.client(port, cctx)
        r_fresh, _, _ = self.client(port, cctx, session=sess)
        time.sleep(2.5)
        r_late, _, _ = self.client(port, cctx, session=sess)
        t.join()
        self.assertIsNone(t.error, repr(t.error))
        self.assertTrue(r_fresh)
        self.assertFalse(r_late)

    def test_ticket_lifetime_is_server_only(self):
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
        with self.assertRaises(ValueError):
            ctx.ticket_lifetime = 10
        sctx = ussl.SSLContext(ussl.PROTOCOL_TLS_SERVER)
        with self.assertRaises(ValueError):
            sctx.ticket_lifetime = -1

    def test_ussl_client_and_server(self):
        sctx = ussl.SSLContext(ussl.PROTOCOL_TLS_SERVER)
        sctx.load_cert_chain(tl.cert("server-ec-chain.pem"),
                             tl.cert("server-ec.key"))
        port, t = self.serve(sctx, 3)
        ctx = client_ctx()
        ours = [exchange(ctx, port)["reused"] for _ in range(3)]
        t.join()
        self.assertIsNone(t.error, repr(t.error))
        self.assertEqual(ours, [False, True, True])
        self.assertEqual(t.result, [False, True, True])


class ConcurrentResumption(unittest.TestCase):

    def test_many_threads_share_the_cache(self):
        # A TLS 1.2 session stays in the cache: every thread resumes it.
        n = 12
        srv = tl.ThreadedServer(self, echo_handler,
                                tl.server_context(
                                    version=ssl_version("TLSv1.2")),
                                conns=n + 1, concurrent=True)
        ctx = client_ctx(ssl_version("TLSv1.2"))
        exchange(ctx, srv.port)          # fills the cache
        errors = []

        def one():
            try:
                if not exchange(ctx, srv.port)["reused"]:
                    errors.append("not reused")
            except Exception as e:      # reported below
                errors.append(e)
        threads = [threading.Thread(target=one) for _ in range(n)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(tl.TIMEOUT)
        self.assertTrue(srv.join())
        self.assertEqual(errors, [])
        self.assertEqual(srv.errors, [])
        self.assertEqual(sum(r["reused"] for r in srv.results), n)

    @unittest.skipUnless(tl.HAS_TLS13, "no TLS 1.3 in this Python's ssl")
    def test_tls13_ticket_used_once(self):
        # RFC 8446 C.4: a ticket offered is taken out of the cache; the
        # next connection gets the ticket the resumed one received.
        srv = tl.ThreadedServer(self, echo_handler,
                                tl.server_context(
                                    version=ssl_version("TLSv1.3")),
                                conns=4, concurrent=True)
        ctx = client_ctx(ssl_version("TLSv1.3"))
        exchange(ctx, srv.port)
        self.assertEqual(ctx.session_stats()["number"], 1)
        first = ctx.wrap_socket(tl.connect(srv.port),
                                server_hostname="localhost",
                                do_handshake_on_connect=False)
        # The ticket is out: a second connection meanwhile has none.
        self.assertEqual(ctx.session_stats()["number"], 0)
        second = exchange(ctx, srv.port)
        self.assertFalse(second["reused"])
        first.do_handshake()
        self.assertTrue(first.session_reused)
        first.write(LINE)
        self.assertEqual(first.readline(), b"echo: " + LINE)
        first.close()
        self.assertTrue(exchange(ctx, srv.port)["reused"])
        self.assertTrue(srv.join())
        self.assertEqual(sorted(r["reused"] for r in srv.results),
                         [False, False, True, True])


def ssl_version(name):
    return [v for n, v, _ in tl.VERSIONS if n == name][0]


if __name__ == "__main__":
    unittest.main()
