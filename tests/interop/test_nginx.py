"""test_nginx.py - usslcat against nginx, the way people use it:

    printf 'GET / HTTP/1.0\\r\\n\\r\\n' | usslcat HOST 443

nginx answers, sees our close_notify and closes the TCP connection
without its own close_notify: the exchange is complete and usslcat must
exit 0 with the whole response on stdout, on TLS 1.2 and 1.3, every time.
Against a server that closes TCP *before* our close_notify, the truncation
is still reported (exit 6); `--strict-close` reports a peer that closes
without close_notify even after ours.

nginx runs on 127.0.0.1 on a free port from a configuration written into
a temporary directory (no daemon, its own pid and log files) and is
stopped by PID.  Environment: USSLCAT, USSL_TEST_CERTS (as test_cli.py).
"""
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("USSL_SRC") or os.path.dirname(os.path.dirname(HERE))
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
RUNS = 11
BODY = b"ussl nginx interop " * 400          # 7.6 KB, several records' worth

CONF = """
daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {d}/tmp; proxy_temp_path {d}/tmp;
    fastcgi_temp_path {d}/tmp; uwsgi_temp_path {d}/tmp; scgi_temp_path {d}/tmp;
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {certs}/server-ec-chain.pem;
        ssl_certificate_key {certs}/server-ec.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        root {d}/www;
    }}
}}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NginxTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if NGINX is None:
            # make deps installs it: a missing nginx is a broken set-up.
            raise AssertionError("nginx not installed (make deps installs nginx-light)")
        cls.usslcat = os.environ.get("USSLCAT") or os.path.join(SRC, "build", "usslcat")
        cls.certs = os.environ["USSL_TEST_CERTS"]
        cls.dir = tempfile.mkdtemp(prefix="ussl-nginx-")
        os.makedirs(os.path.join(cls.dir, "www"))
        os.makedirs(os.path.join(cls.dir, "tmp"))
        with open(os.path.join(cls.dir, "www", "index.html"), "wb") as f:
            f.write(BODY)
        cls.port = free_port()
        conf = os.path.join(cls.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(CONF.format(d=cls.dir, port=cls.port, certs=cls.certs))
        cls.proc = subprocess.Popen([NGINX, "-p", cls.dir, "-c", conf,
                                     "-e", os.path.join(cls.dir, "error.log")],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if cls.proc.poll() is not None:
                raise AssertionError("nginx exited: %s" % cls.proc.stderr.read().decode(errors="replace"))
            try:
                socket.create_connection(("127.0.0.1", cls.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("nginx did not listen")

    @classmethod
    def tearDownClass(cls):
        proc = getattr(cls, "proc", None)
        if proc is not None:
            proc.kill()
            proc.wait(timeout=10)
            proc.stderr.close()
        shutil.rmtree(getattr(cls, "dir", "/nonexistent"), ignore_errors=True)

    def get(self, version, *extra):
        r = subprocess.run(
            [self.usslcat, "--ca-certs", os.path.join(self.certs, "ca.pem"),
             "--server-hostname", "localhost", "--timeout", "30",
             "--min-version", version, "--max-version", version] + list(extra) +
            ["127.0.0.1", str(self.port)],
            input=b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n",
            capture_output=True, timeout=60)
        return r

    def check_get(self, version):
        for i in range(RUNS):
            r = self.get(version)
            msg = "run %d: exit %d, stderr: %s" % (i, r.returncode, r.stderr.decode(errors="replace"))
            self.assertEqual(r.returncode, 0, msg)
            self.assertTrue(r.stdout.startswith(b"HTTP/1.1 200 OK"), msg)
            self.assertTrue(r.stdout.endswith(b"\r\n\r\n" + BODY), msg)

    def test_get_tls12(self):
        self.check_get("1.2")

    def test_get_tls13(self):
        if b"TLSv1.3" not in subprocess.run(
                [self.usslcat, "--version"], capture_output=True).stdout + \
                self.get("1.3").stderr:
            self.skipTest("this engine has no TLS 1.3")
        self.check_get("1.3")


class TruncationTest(unittest.TestCase):
    """A CPython ssl server that drops TCP without close_notify."""

    def serve(self, wait_for_close_notify):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        certs = os.environ["USSL_TEST_CERTS"]
        ctx.load_cert_chain(os.path.join(certs, "server-ec-chain.pem"),
                            os.path.join(certs, "server-ec.key"))
        ls = socket.socket()
        ls.bind(("127.0.0.1", 0))
        ls.listen(1)
        ls.settimeout(30)

        def run():
            c, _ = ls.accept()
            s = ctx.wrap_socket(c, server_side=True)
            s.recv(100)
            s.sendall(b"partial answer")
            if wait_for_close_notify:
                # Read until our peer's close_notify (SSLZeroReturnError
                # or b""), then drop TCP without our own.
                try:
                    while s.recv(100):
                        pass
                except ssl.SSLError:
                    pass
            os.close(s.detach())     # TCP FIN, no close_notify
            ls.close()
        t = threading.Thread(target=run, daemon=True)
        t.start()
        return ls.getsockname()[1], t

    def run_cat(self, port, stdin_open, *extra):
        usslcat = os.environ.get("USSLCAT") or os.path.join(SRC, "build", "usslcat")
        certs = os.environ["USSL_TEST_CERTS"]
        cmd = [usslcat, "--ca-certs", os.path.join(certs, "ca.pem"), "--timeout", "30",
               "--server-hostname", "localhost"] + list(extra) + ["127.0.0.1", str(port)]
        if stdin_open:
            # stdin stays open: the server's drop comes before our close_notify.
            p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
            p.stdin.write(b"hello\n")
            p.stdin.flush()
            killer = threading.Timer(60, p.kill)
            killer.start()
            try:
                out = p.stdout.read()       # until usslcat exits
                err = p.stderr.read()
                p.wait()
            finally:
                killer.cancel()
                p.stdin.close()
                p.stdout.close()
                p.stderr.close()
            return p.returncode, out, err
        r = subprocess.run(cmd, input=b"hello\n", capture_output=True, timeout=60)
        return r.returncode, r.stdout, r.stderr

    def test_drop_before_our_close_notify_is_truncation(self):
        port, t = self.serve(wait_for_close_notify=False)
        rc, out, err = self.run_cat(port, stdin_open=True)
        t.join(30)
        self.assertEqual(rc, 6, err)
        self.assertIn(b"truncat", err.lower())

    def test_drop_after_our_close_notify_ends_the_exchange(self):
        port, t = self.serve(wait_for_close_notify=True)
        rc, out, err = self.run_cat(port, stdin_open=False)
        t.join(30)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, b"partial answer")
        self.assertIn(b"without its own", err)

    def test_strict_close_reports_it(self):
        port, t = self.serve(wait_for_close_notify=True)
        rc, out, err = self.run_cat(port, False, "--strict-close")
        t.join(30)
        self.assertEqual(rc, 6, err)
        self.assertEqual(out, b"partial answer")


if __name__ == "__main__":
    unittest.main()
