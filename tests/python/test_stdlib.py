"""test_stdlib.py - the standard library's clients with a ussl context.

http.client.HTTPSConnection(context=...), urllib.request.urlopen(context=
...), smtplib.SMTP.starttls(context=...), imaplib.IMAP4_SSL(ssl_context=
...), poplib.POP3_SSL(context=...) and ftplib.FTP_TLS(context=...) wrap their socket with the context
they are given and then read through sock.makefile().  Each runs against
a local server on 127.0.0.1 (CPython's http.server over CPython's ssl; a
small SMTP, IMAP, POP3 and FTP server written here), with the server verified
by the ussl context.  Also makefile() itself: modes, buffering, text,
and socket.socket's rule that close() waits for the files.
"""
import ftplib
import http.client
import http.server
import imaplib
import io
import os
import poplib
import smtplib
import socket
import ssl
import threading
import unittest
import urllib.request

import ussl
import ussl_testlib as tl

BODY = b"ussl over the standard library\n" * 300


def server_ctx():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tl.cert("server-ec-chain.pem"), tl.cert("server-ec.key"))
    return ctx


def client_ctx():
    ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(tl.cert("ca.pem"))
    return ctx


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = BODY if self.path == "/" else b"not here\n"
        self.send_response(200 if self.path == "/" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class LineServer(threading.Thread):
    """One connection of a line protocol: script is a list of (expect,
    reply) pairs; expect None means "send reply at once"; the special
    reply "STARTTLS" wraps the socket with CPython's ssl after replying."""

    def __init__(self, script, implicit_tls=False):
        super().__init__(daemon=True)
        self.script = script
        self.implicit_tls = implicit_tls
        self.ls = socket.socket()
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(1)
        self.ls.settimeout(30)
        self.port = self.ls.getsockname()[1]
        self.received = []
        self.error = None

    def run(self):
        try:
            c, _ = self.ls.accept()
            c.settimeout(30)
            if self.implicit_tls:
                c = server_ctx().wrap_socket(c, server_side=True)
            f = c.makefile("rb")
            for expect, reply in self.script:
                if expect is not None:
                    line = f.readline()
                    self.received.append(line)
                    if not line.upper().startswith(expect):
                        raise AssertionError("expected %r, got %r" % (expect, line))
                    if expect == b"DATA":
                        c.sendall(b"354 go ahead\r\n")
                        while True:
                            data = f.readline()
                            self.received.append(data)
                            if data in (b".\r\n", b""):
                                break
                if reply == "STARTTLS":
                    c.sendall(b"220 ready for TLS\r\n")
                    f.close()
                    c = server_ctx().wrap_socket(c, server_side=True)
                    f = c.makefile("rb")
                elif reply is not None:
                    c.sendall(reply)
            f.close()
            c.close()
        except Exception as e:       # reported by the test
            self.error = e
        finally:
            self.ls.close()


class StdlibClients(unittest.TestCase):
    def test_http_client_and_urllib(self):
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.socket = server_ctx().wrap_socket(httpd.socket, server_side=True)
        t = threading.Thread(target=httpd.serve_forever, daemon=True)
        t.start()
        self.addCleanup(lambda: (httpd.shutdown(), httpd.server_close()))
        port = httpd.server_address[1]
        ctx = client_ctx()
        conn = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=30)
        for _ in range(3):             # keep-alive: three on one connection
            conn.request("GET", "/")
            r = conn.getresponse()
            self.assertEqual(r.status, 200)
            self.assertEqual(r.read(), BODY)
        self.assertIsInstance(conn.sock, ussl.SSLSocket)
        conn.request("GET", "/missing")
        r = conn.getresponse()
        self.assertEqual(r.status, 404)
        self.assertEqual(r.read(), b"not here\n")
        conn.close()
        # urllib closes the socket as soon as it has the response object
        # and reads the body afterwards: the file keeps the TLS
        # connection until it is closed (socket.socket's rule).
        with urllib.request.urlopen("https://localhost:%d/" % port, context=ctx,
                                    timeout=30) as u:
            self.assertEqual(u.status, 200)
            self.assertEqual(u.read(), BODY)
        # A server from a CA the context does not trust fails
        # verification through urllib too.
        bad = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
        bad.load_verify_locations(tl.cert("other-ca.pem"))
        with self.assertRaises(urllib.error.URLError) as cm:
            urllib.request.urlopen("https://localhost:%d/" % port, context=bad, timeout=30)
        self.assertIn("verify", str(cm.exception.reason))

    def test_smtp_starttls(self):
        srv = LineServer([
            (None, b"220 localhost ESMTP test\r\n"),
            (b"EHLO", b"250-localhost\r\n250 STARTTLS\r\n"),
            (b"STARTTLS", "STARTTLS"),
            (b"EHLO", b"250-localhost\r\n250 SIZE 1000000\r\n"),
            (b"MAIL FROM", b"250 ok\r\n"),
            (b"RCPT TO", b"250 ok\r\n"),
            (b"DATA", b"250 queued\r\n"),
            (b"QUIT", b"221 bye\r\n"),
        ])
        srv.start()
        with smtplib.SMTP("localhost", srv.port, timeout=30) as s:
            s.starttls(context=client_ctx())
            self.assertIsInstance(s.sock, ussl.SSLSocket)
            s.sendmail("a@example.com", ["b@example.com"], "Subject: hi\r\n\r\nover ussl\r\n")
        srv.join(30)
        self.assertIsNone(srv.error)
        self.assertIn(b"over ussl\r\n", srv.received)

    def test_imap4_ssl(self):
        srv = LineServer([], implicit_tls=True)
        srv.run = self._imap_run(srv)     # a tagged protocol: its own loop
        srv.start()
        m = imaplib.IMAP4_SSL("localhost", srv.port, ssl_context=client_ctx(), timeout=30)
        self.assertIsInstance(m.sock, ussl.SSLSocket)
        typ, data = m.noop()
        self.assertEqual(typ, "OK")
        m.logout()
        srv.join(30)
        self.assertIsNone(srv.error)

    def _imap_run(self, srv):
        def run():
            try:
                c, _ = srv.ls.accept()
                c = server_ctx().wrap_socket(c, server_side=True)
                c.settimeout(30)
                f = c.makefile("rb")
                c.sendall(b"* OK [CAPABILITY IMAP4rev1] ready\r\n")
                while True:
                    line = f.readline()
                    if not line:
                        break
                    tag, cmd = line.split(b" ", 2)[:2]
                    cmd = cmd.strip().upper()
                    if cmd == b"CAPABILITY":
                        c.sendall(b"* CAPABILITY IMAP4rev1\r\n" + tag + b" OK done\r\n")
                    elif cmd == b"NOOP":
                        c.sendall(tag + b" OK noop\r\n")
                    elif cmd == b"LOGOUT":
                        c.sendall(b"* BYE\r\n" + tag + b" OK bye\r\n")
                        break
                    else:
                        c.sendall(tag + b" BAD\r\n")
                f.close()
                c.close()
            except Exception as e:
                srv.error = e
            finally:
                srv.ls.close()
        return run

    def test_ftp_tls(self):
        """FTP_TLS: AUTH TLS on the control connection, PROT P, and a
        listing over a TLS data connection (each wrapped by the ussl
        context, the listing read through makefile())."""
        srv = LineServer([])
        listing = ["-rw-r--r-- 1 u g %d Jan 1 2026 file%d" % (i, i) for i in range(50)]

        def run():
            try:
                c, _ = srv.ls.accept()
                c.settimeout(30)
                c.sendall(b"220 ftp ready\r\n")
                f = c.makefile("rb")
                data_ls = None
                while True:
                    line = f.readline()
                    if not line:
                        break
                    srv.received.append(line)
                    cmd = line.split(b" ")[0].strip().upper()
                    if cmd == b"AUTH":
                        c.sendall(b"234 go\r\n")
                        f.close()
                        c = server_ctx().wrap_socket(c, server_side=True)
                        f = c.makefile("rb")
                    elif cmd == b"USER":
                        c.sendall(b"331 password\r\n")
                    elif cmd == b"PASS":
                        c.sendall(b"230 in\r\n")
                    elif cmd in (b"PBSZ", b"PROT", b"TYPE"):
                        c.sendall(b"200 ok\r\n")
                    elif cmd == b"PASV":
                        data_ls = socket.socket()
                        data_ls.bind(("127.0.0.1", 0))
                        data_ls.listen(1)
                        data_ls.settimeout(30)
                        p = data_ls.getsockname()[1]
                        c.sendall(b"227 Entering Passive Mode (127,0,0,1,%d,%d)\r\n"
                                  % (p >> 8, p & 255))
                    elif cmd == b"LIST":
                        c.sendall(b"150 here it comes\r\n")
                        d, _ = data_ls.accept()
                        d = server_ctx().wrap_socket(d, server_side=True)
                        d.sendall(("\r\n".join(listing) + "\r\n").encode())
                        # close_notify ends the listing (ussl reports a
                        # bare TCP close as truncation).
                        d.unwrap().close()
                        data_ls.close()
                        c.sendall(b"226 done\r\n")
                    elif cmd == b"QUIT":
                        c.sendall(b"221 bye\r\n")
                        break
                    else:
                        c.sendall(b"502 no\r\n")
                f.close()
                c.close()
            except Exception as e:
                srv.error = e
            finally:
                srv.ls.close()
        srv.run = run
        srv.start()
        ftp = ftplib.FTP_TLS(context=client_ctx(), timeout=30)
        ftp.connect("localhost", srv.port)
        ftp.login("user", "secret")          # AUTH TLS first, then USER/PASS
        self.assertIsInstance(ftp.sock, ussl.SSLSocket)
        ftp.prot_p()
        got = []
        ftp.retrlines("LIST", got.append)
        self.assertEqual(got, listing)
        ftp.quit()
        srv.join(30)
        self.assertIsNone(srv.error)
        self.assertIn(b"PROT P\r\n", srv.received)

    def test_pop3_ssl(self):
        srv = LineServer([
            (None, b"+OK POP3 ready\r\n"),
            (b"STAT", b"+OK 1 42\r\n"),
            (b"QUIT", b"+OK bye\r\n"),
        ], implicit_tls=True)
        srv.start()
        p = poplib.POP3_SSL("localhost", srv.port, context=client_ctx(), timeout=30)
        self.assertEqual(p.stat(), (1, 42))
        p.quit()
        srv.join(30)
        self.assertIsNone(srv.error)


class MakeFile(unittest.TestCase):
    def setUp(self):
        self.srv = LineServer([(None, BODY), (b"PING", b"PONG\r\n")],
                              implicit_tls=True)
        self.srv.start()
        self.s = client_ctx().wrap_socket(tl.connect(self.srv.port),
                                          server_hostname="localhost")

    def tearDown(self):
        self.s.close()
        self.srv.join(30)

    def test_modes(self):
        rb = self.s.makefile("rb")
        self.assertIsInstance(rb, io.BufferedReader)
        self.assertEqual(rb.read(len(BODY)), BODY)
        wb = self.s.makefile("wb", buffering=0)
        self.assertIsInstance(wb, io.RawIOBase)
        wb.write(b"PING\r\n")
        txt = self.s.makefile("r", encoding="ascii", newline="")
        self.assertEqual(txt.readline(), "PONG\r\n")
        self.assertEqual(self.s._io_refs, 3)
        for f in (rb, wb, txt):
            f.close()
        self.assertEqual(self.s._io_refs, 0)
        with self.assertRaises(ValueError):
            self.s.makefile("x")
        with self.assertRaises(ValueError):
            self.s.makefile("r", buffering=0)

    def test_close_waits_for_files(self):
        f = self.s.makefile("rb")
        self.s.close()                       # deferred: a file is open
        self.assertEqual(f.read(len(BODY)), BODY)
        f.close()                            # now the socket closes
        self.assertTrue(self.s._closed)
        with self.assertRaises((OSError, ValueError)):
            self.s.write(b"x")
        with self.assertRaises(ValueError):
            self.s.makefile("rb")


if __name__ == "__main__":
    unittest.main()
