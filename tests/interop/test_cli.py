"""test_cli.py - tests of the usslcat command line tool.

usslcat is run as a client against `openssl s_server` and CPython's ssl
module, as a server against `openssl s_client`, and against itself; its
exit codes (0 ok, 1 usage, 2 config, 3 network, 4 handshake, 5
verification, 6 after-handshake I/O / truncation, 7 timeout) and its
close_notify behaviour are checked.

Environment: USSLCAT (the binary, or a wrapper such as the valgrind one),
USSL_TEST_CERTS (directory made by tests/certs/mkcerts.sh; when unset the
script is run into a temporary directory).  Everything happens on
127.0.0.1 with ports chosen by the kernel; every process is bounded in
time and killed by PID in cleanup.
"""
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("USSL_SRC") or os.path.dirname(os.path.dirname(HERE))
# Outer bound for any one process; generous because USSLCAT may run under
# valgrind.  IO_TIMEOUT is usslcat's own --timeout (handshake and idle).
PROC_TIMEOUT = float(os.environ.get("USSL_CLI_TIMEOUT", "60"))
IO_TIMEOUT = "30"
HAVE_OPENSSL = shutil.which("openssl") is not None

EXIT_OK, EXIT_USAGE, EXIT_CONFIG, EXIT_NET = 0, 1, 2, 3
EXIT_HANDSHAKE, EXIT_VERIFY, EXIT_IO, EXIT_TIMEOUT = 4, 5, 6, 7

USSLCAT = None
CERTS = None
_tmp_certs = None
_tls13 = None           # does the engine speak TLS 1.3? (require_tls13)


def setUpModule():
    global USSLCAT, CERTS, _tmp_certs
    USSLCAT = os.environ.get("USSLCAT") or os.path.join(SRC, "build", "usslcat")
    if not os.access(USSLCAT, os.X_OK):
        raise unittest.SkipTest("usslcat not built (%s)" % USSLCAT)
    CERTS = os.environ.get("USSL_TEST_CERTS")
    if not CERTS or not os.path.exists(os.path.join(CERTS, "ca.pem")):
        _tmp_certs = tempfile.mkdtemp(prefix="usslcat-certs-")
        CERTS = _tmp_certs
        subprocess.run(["bash", os.path.join(SRC, "tests", "certs", "mkcerts.sh"),
                        CERTS], check=True, timeout=300,
                       stdout=subprocess.DEVNULL)


def tearDownModule():
    if _tmp_certs:
        shutil.rmtree(_tmp_certs, ignore_errors=True)


def cert(name):
    return os.path.join(CERTS, name)


def kill_group(p):
    """Kill a child started with start_new_session=True together with
    anything it started (USSLCAT may be a wrapper script that runs
    valgrind as its own child)."""
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class Proc:
    """A child process whose stdout and stderr are collected by threads,
    so that a test can wait for some output while the process runs."""

    def __init__(self, test, args, stdin=subprocess.PIPE):
        self.args = args
        self.p = subprocess.Popen(args, stdin=stdin, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, start_new_session=True)
        self.out = bytearray()
        self.err = bytearray()
        self.cond = threading.Condition()
        self.threads = [threading.Thread(target=self._collect, args=(f, buf), daemon=True)
                        for f, buf in ((self.p.stdout, self.out), (self.p.stderr, self.err))]
        for t in self.threads:
            t.start()
        test.addCleanup(self.kill)

    def _collect(self, f, buf):
        while True:
            chunk = os.read(f.fileno(), 65536)
            with self.cond:
                if chunk:
                    buf += chunk
                self.cond.notify_all()
            if not chunk:
                return

    def wait_out(self, pattern, timeout=PROC_TIMEOUT, stream="out"):
        """Wait until stdout (or stderr) matches the bytes regex; return
        the match, or None after the timeout or at the end of output."""
        buf = self.out if stream == "out" else self.err
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                m = re.search(pattern, bytes(buf))
                if m or self.p.poll() is not None and not any(
                        t.is_alive() for t in self.threads):
                    return m
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(min(left, 0.2))

    def send(self, data):
        # A process that died early shows up in the next wait_out().
        try:
            self.p.stdin.write(data)
            self.p.stdin.flush()
        except BrokenPipeError:
            pass

    def close_stdin(self):
        if self.p.stdin and not self.p.stdin.closed:
            try:
                self.p.stdin.close()
            except BrokenPipeError:
                pass

    def wait(self, timeout=PROC_TIMEOUT):
        rc = self.p.wait(timeout)
        for t in self.threads:
            t.join(timeout)
        return rc

    def kill(self):
        # Only while the leader is not reaped: until then its PID (the
        # group's ID) cannot have been given to another process.
        if self.p.returncode is None:
            kill_group(self.p)
        self.p.wait(PROC_TIMEOUT)
        self.close_stdin()
        for t in self.threads:
            t.join(PROC_TIMEOUT)
        self.p.stdout.close()
        self.p.stderr.close()

    def describe(self):
        return "%s\nstdout: %r\nstderr: %s" % (
            " ".join(self.args), bytes(self.out)[-2000:],
            bytes(self.err)[-3000:].decode(errors="replace"))


class CliTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="usslcat-test-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.nport = 0

    # --- running usslcat ---------------------------------------------------

    def run_cat(self, *args, input=b""):
        """usslcat to completion; returns the CompletedProcess."""
        cmd = [USSLCAT, *args]
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, start_new_session=True)
        try:
            out, err = p.communicate(input, timeout=PROC_TIMEOUT)
        except subprocess.TimeoutExpired:
            kill_group(p)   # not reaped yet: the group ID is still ours
            p.communicate()
            raise
        return subprocess.CompletedProcess(cmd, p.returncode, out, err)

    def client_args(self, *extra, name="localhost", ca="ca.pem", client_cert=True):
        args = ["--timeout", IO_TIMEOUT, "--server-hostname", name]
        if ca:
            args += ["--ca-certs", cert(ca)]
        if client_cert:
            args += ["--certfile", cert("client.pem"), "--keyfile", cert("client.key")]
        return args + list(extra)

    def start_server(self, *args, certfile="server-ec-chain.pem", keyfile="server-ec.key",
                     stdin=subprocess.PIPE):
        """usslcat --listen on 127.0.0.1, any port; returns (Proc, port)."""
        self.nport += 1
        pf = os.path.join(self.tmp, "port%d" % self.nport)
        proc = Proc(self, [USSLCAT, "--listen", "127.0.0.1", "0", "--port-file", pf,
                           "--timeout", IO_TIMEOUT, "--certfile", cert(certfile),
                           "--keyfile", cert(keyfile), *args], stdin=stdin)
        deadline = time.monotonic() + PROC_TIMEOUT
        while not os.path.exists(pf):
            if proc.p.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                self.fail("usslcat server did not start:\n" + proc.describe())
            time.sleep(0.05)
        with open(pf) as f:
            return proc, int(f.read())

    def require_tls13(self):
        """Skip unless the engine speaks TLS 1.3 (mbedTLS 2.28 does not):
        found out once.  An engine without it refuses --min-version 1.3
        as a configuration error, before connecting; otherwise a usslcat
        pair limited to TLS 1.3 must work."""
        global _tls13
        if _tls13 is None:
            r = self.run_cat("--quiet", "--insecure", "--min-version", "1.3",
                             "127.0.0.1", "1")
            if r.returncode == EXIT_CONFIG:
                _tls13 = False
            else:
                server, port = self.start_server("--echo", "--quiet",
                                                 "--min-version", "1.3")
                r = self.run_cat("--quiet", "--insecure", "--min-version",
                                 "1.3", "127.0.0.1", str(port), input=b"probe")
                server.kill()
                _tls13 = r.returncode == EXIT_OK and r.stdout == b"probe"
                self.assertTrue(_tls13, "TLS 1.3 accepted but not working")
        if not _tls13:
            self.skipTest("the TLS engine has no TLS 1.3")

    def assertCompleted(self, r, rc):
        self.assertEqual(r.returncode, rc, "exit status; stderr:\n" +
                         r.stderr.decode(errors="replace"))


class TestUsage(CliTest):
    def test_help(self):
        r = self.run_cat("--help")
        self.assertCompleted(r, EXIT_OK)
        out = r.stdout.decode()
        for word in ("Usage:", "--listen", "--cert-reqs", "--insecure", "--timeout",
                     "Exit status", "verification failure"):
            self.assertIn(word, out)

    def test_version(self):
        r = self.run_cat("--version")
        self.assertCompleted(r, EXIT_OK)
        self.assertTrue(r.stdout.startswith(b"usslcat "), r.stdout)

    def test_usage_errors(self):
        cases = [
            ["--no-such-option", "127.0.0.1", "1"],
            ["127.0.0.1"],                                  # no PORT
            ["--listen"],                                   # no PORT
            ["--listen", "0"],                              # server without cert
            ["--cert-reqs", "maybe", "127.0.0.1", "1"],
            ["--timeout", "-3", "127.0.0.1", "1"],
            ["--insecure", "--cert-reqs", "required", "127.0.0.1", "1"],
            ["--keep-open", "127.0.0.1", "1"],              # client
            ["--keyfile", cert("client.key"), "127.0.0.1", "1"],
        ]
        for args in cases:
            with self.subTest(args=args):
                r = self.run_cat(*args)
                self.assertCompleted(r, EXIT_USAGE)
                self.assertTrue(r.stderr.startswith(b"usslcat: "), r.stderr)


class TestConfigErrors(CliTest):
    def test_client_files(self):
        cases = [
            ["--ca-certs", os.path.join(self.tmp, "missing.pem")],
            ["--ca-certs", cert("garbage.pem")],
            ["--ca-certs", cert("ca.pem"), "--certfile", cert("truncated.pem"),
             "--keyfile", cert("client.key")],
            ["--ca-certs", cert("ca.pem"), "--certfile", cert("client.pem"),
             "--keyfile", os.path.join(self.tmp, "missing.key")],
        ]
        for args in cases:
            with self.subTest(args=args):
                # Port 9 on 127.0.0.1 is never reached: files are loaded first.
                r = self.run_cat(*args, "127.0.0.1", "9")
                self.assertCompleted(r, EXIT_CONFIG)
                self.assertTrue(r.stderr.startswith(b"usslcat: "), r.stderr)

    def test_server_files(self):
        cases = [
            ("truncated.pem", "server-ec.key"),
            ("garbage.pem", "server-ec.key"),
            ("server-ec.pem", "server-rsa.key"),      # key does not match
            ("server-ec.pem", "encrypted.key"),       # no password given
        ]
        for certfile, keyfile in cases:
            with self.subTest(cert=certfile, key=keyfile):
                pf = os.path.join(self.tmp, "port")
                r = self.run_cat("--listen", "127.0.0.1", "0", "--port-file", pf,
                                 "--certfile", cert(certfile), "--keyfile", cert(keyfile))
                self.assertCompleted(r, EXIT_CONFIG)
                self.assertFalse(os.path.exists(pf), "listened despite a bad key")


class TestNetwork(CliTest):
    def test_connection_refused(self):
        # A bound socket that does not listen: connect() is refused, and
        # nobody else can take the port while the test runs.
        s = socket.socket()
        self.addCleanup(s.close)
        s.bind(("127.0.0.1", 0))
        r = self.run_cat(*self.client_args(), "127.0.0.1", str(s.getsockname()[1]))
        self.assertCompleted(r, EXIT_NET)
        self.assertIn(b"refused", r.stderr)

    def test_handshake_timeout(self):
        # The kernel completes the TCP connection from the backlog; the
        # "server" never answers the ClientHello.
        s = socket.socket()
        self.addCleanup(s.close)
        s.bind(("127.0.0.1", 0))
        s.listen(4)
        start = time.monotonic()
        r = self.run_cat("--timeout", "1", "--ca-certs", cert("ca.pem"),
                         "127.0.0.1", str(s.getsockname()[1]))
        self.assertCompleted(r, EXIT_TIMEOUT)
        self.assertLess(time.monotonic() - start, PROC_TIMEOUT / 2)


@unittest.skipUnless(HAVE_OPENSSL, "openssl CLI not found")
class TestClientAgainstOpenSSL(CliTest):
    """usslcat as the client, `openssl s_server` as the server."""

    def s_server(self, *args, certfile="server-ec.pem", keyfile="server-ec.key",
                 chain="int.pem"):
        cmd = ["openssl", "s_server", "-accept", "127.0.0.1:0", "-naccept", "1",
               "-cert", cert(certfile), "-key", cert(keyfile)]
        if chain:
            cmd += ["-cert_chain", cert(chain)]
        proc = Proc(self, cmd + list(args))
        m = proc.wait_out(rb"ACCEPT 127\.0\.0\.1:(\d+)\r?\n")
        if not m:
            self.fail("s_server did not start:\n" + proc.describe())
        return proc, int(m.group(1))

    def exchange(self, version_opt, version_name):
        server, port = self.s_server(version_opt, "-Verify", "1", "-CAfile", cert("ca.pem"))
        client = Proc(self, [USSLCAT, *self.client_args(), "127.0.0.1", str(port)])
        server.send(b"hello from s_server\n")
        client.send(b"hello from usslcat\n")
        self.assertTrue(client.wait_out(rb"hello from s_server\n"), client.describe())
        self.assertTrue(server.wait_out(rb"hello from usslcat\n"), server.describe())
        # End of stdin: usslcat sends close_notify, s_server answers with
        # its own, and only then does usslcat exit (0: clean close).
        client.close_stdin()
        self.assertEqual(client.wait(), EXIT_OK, client.describe())
        server.close_stdin()
        server.wait()
        self.assertEqual(bytes(client.out), b"hello from s_server\n")
        err = client.err.decode()
        self.assertIn("protocol: " + version_name, err)
        self.assertIn("cipher: ", err)
        self.assertRegex(err, r"peer subject: .*CN=localhost")
        self.assertRegex(err, r"peer issuer: .*CN=ussl test intermediate CA")
        self.assertIn("verification: verified", err)
        self.assertIn("closed cleanly", err)
        # s_server printed the client certificate it verified.
        self.assertIn(b"ussl test client", bytes(server.out) + bytes(server.err))

    def test_tls12_client_auth(self):
        self.exchange("-tls1_2", "TLSv1.2")

    def test_tls13_client_auth(self):
        self.require_tls13()
        self.exchange("-tls1_3", "TLSv1.3")

    def refused(self, *client_extra, name="localhost", ca="ca.pem", **server_kw):
        server, port = self.s_server(**server_kw)
        r = self.run_cat(*self.client_args(*client_extra, name=name, ca=ca),
                         "127.0.0.1", str(port))
        return r

    def test_wrong_host_name(self):
        r = self.refused(name="wrong.example")
        self.assertCompleted(r, EXIT_VERIFY)
        self.assertEqual(r.stdout, b"")
        self.assertIn(b"usslcat: handshake with 127.0.0.1 port ", r.stderr)

    def test_untrusted_root(self):
        r = self.refused(ca="other-ca.pem")
        self.assertCompleted(r, EXIT_VERIFY)

    def test_self_signed(self):
        r = self.refused(certfile="selfsigned.pem", keyfile="selfsigned.key", chain=None)
        self.assertCompleted(r, EXIT_VERIFY)

    def test_incomplete_chain(self):
        r = self.refused(certfile="leaf-only-int.pem", keyfile="leaf-only-int.key",
                         chain=None)
        self.assertCompleted(r, EXIT_VERIFY)

    def test_expired(self):
        r = self.refused(certfile="expired.pem", keyfile="expired.key", chain=None)
        self.assertCompleted(r, EXIT_VERIFY)

    def test_insecure_accepts_anything(self):
        server, port = self.s_server(certfile="selfsigned.pem", keyfile="selfsigned.key",
                                     chain=None)
        client = Proc(self, [USSLCAT, "--insecure", "--timeout", IO_TIMEOUT,
                             "127.0.0.1", str(port)])
        server.send(b"unverified hello\n")
        self.assertTrue(client.wait_out(rb"unverified hello\n"), client.describe())
        client.close_stdin()
        self.assertEqual(client.wait(), EXIT_OK, client.describe())
        self.assertIn(b"not verified (cert-reqs none)", bytes(client.err))

    def test_missing_client_certificate(self):
        # s_server requires a client certificate and we send none.  In
        # TLS 1.3 the client finishes its handshake before the server's
        # alert arrives, so the failure may come on the first read (6).
        server, port = self.s_server("-Verify", "1", "-CAfile", cert("ca.pem"))
        r = self.run_cat(*self.client_args(client_cert=False), "127.0.0.1", str(port),
                         input=b"x\n")
        self.assertIn(r.returncode, (EXIT_HANDSHAKE, EXIT_IO), r.stderr)


@unittest.skipUnless(HAVE_OPENSSL, "openssl CLI not found")
class TestServerAgainstOpenSSL(CliTest):
    """usslcat --listen as the server, `openssl s_client` as the client."""

    def s_client(self, port, *args):
        return Proc(self, ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
                           "-brief", "-CAfile", cert("ca.pem"), "-verify_return_error",
                           "-verify_hostname", "localhost", "-servername", "localhost",
                           *args])

    def exchange(self, version_opt, version_name, server_args=(), client_args=()):
        server, port = self.start_server(*server_args)
        client = self.s_client(port, version_opt, *client_args)
        server.send(b"hello from usslcat\n")
        client.send(b"hello from s_client\n")
        self.assertTrue(client.wait_out(rb"hello from usslcat\n"), client.describe())
        self.assertTrue(server.wait_out(rb"hello from s_client\n"), server.describe())
        # s_client sends close_notify at the end of its stdin; usslcat
        # stops reading its own stdin, answers with close_notify, exits 0.
        client.close_stdin()
        self.assertEqual(server.wait(), EXIT_OK, server.describe())
        client.wait()
        self.assertEqual(bytes(server.out), b"hello from s_client\n")
        err = server.err.decode()
        self.assertIn("protocol: " + version_name, err)
        self.assertIn("closed cleanly", err)
        return err

    def test_tls12(self):
        err = self.exchange("-tls1_2", "TLSv1.2")
        self.assertIn("peer certificate: none", err)
        self.assertIn("not verified (cert-reqs none)", err)

    def test_tls13(self):
        self.require_tls13()
        self.exchange("-tls1_3", "TLSv1.3")

    def test_client_certificate_required(self):
        for opt, name in (("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")):
            with self.subTest(version=name):
                if name == "TLSv1.3":
                    self.require_tls13()
                err = self.exchange(opt, name,
                                    ("--cert-reqs", "required", "--ca-certs", cert("ca.pem")),
                                    ("-cert", cert("client.pem"), "-key", cert("client.key")))
                self.assertRegex(err, r"peer subject: .*CN=ussl test client")
                self.assertIn("verification: verified", err)

    def test_client_certificate_missing(self):
        server, port = self.start_server("--cert-reqs", "required",
                                         "--ca-certs", cert("ca.pem"))
        client = self.s_client(port)
        self.assertEqual(server.wait(), EXIT_VERIFY, server.describe())
        client.close_stdin()
        client.wait()

    def test_client_certificate_untrusted(self):
        server, port = self.start_server("--cert-reqs", "optional",
                                         "--ca-certs", cert("ca.pem"))
        client = self.s_client(port, "-cert", cert("client-other.pem"),
                               "-key", cert("client-other.key"))
        self.assertEqual(server.wait(), EXIT_VERIFY, server.describe())
        client.close_stdin()
        client.wait()


class TestUsslcatPair(CliTest):
    """usslcat against itself."""

    def test_echo(self):
        server, port = self.start_server("--echo", "--cert-reqs", "required",
                                         "--ca-certs", cert("ca.pem"))
        data = b"line one\nline two \xc3\xa9\n"
        r = self.run_cat(*self.client_args(), "127.0.0.1", str(port), input=data)
        self.assertCompleted(r, EXIT_OK)
        self.assertEqual(r.stdout, data)
        self.assertEqual(server.wait(), EXIT_OK, server.describe())
        self.assertIn(b"verification: verified", bytes(server.err))
        self.assertIn(b"echoed %d bytes" % len(data), bytes(server.err))

    def test_bulk_tls12(self):
        # Several MB both ways at once: partial writes, back-pressure and
        # the write retry rule all get exercised.
        server, port = self.start_server("--echo", "--quiet", "--max-version", "1.2")
        data = os.urandom(3 * 1024 * 1024 + 17)
        r = self.run_cat(*self.client_args(client_cert=False), "--quiet",
                         "127.0.0.1", str(port), input=data)
        self.assertCompleted(r, EXIT_OK)
        self.assertTrue(r.stdout == data, "echoed data differs (%d of %d bytes)"
                        % (len(r.stdout), len(data)))
        self.assertEqual(server.wait(), EXIT_OK, server.describe())
        self.assertEqual(r.stderr, b"")

    def test_bulk_tls13(self):
        self.require_tls13()
        server, port = self.start_server("--echo", "--quiet", "--min-version", "1.3")
        data = os.urandom(2 * 1024 * 1024 + 5)
        r = self.run_cat(*self.client_args(client_cert=False), "127.0.0.1", str(port),
                         input=data)
        self.assertCompleted(r, EXIT_OK)
        self.assertTrue(r.stdout == data, "echoed data differs")
        self.assertIn(b"protocol: TLSv1.3", r.stderr)
        self.assertEqual(server.wait(), EXIT_OK, server.describe())

    def test_greeting_and_upload(self):
        # Server stdin is a short file: it sends it, then close_notify, and
        # still prints what the client sends until the client closes.
        path = os.path.join(self.tmp, "greeting")
        with open(path, "wb") as f:
            f.write(b"greeting\n")
        with open(path, "rb") as greeting:
            server, port = self.start_server(stdin=greeting)
        r = self.run_cat(*self.client_args(client_cert=False), "127.0.0.1", str(port),
                         input=b"upload\n")
        self.assertCompleted(r, EXIT_OK)
        self.assertEqual(r.stdout, b"greeting\n")
        self.assertEqual(server.wait(), EXIT_OK, server.describe())
        # Depending on timing the client may see the server's close_notify
        # before sending; then it stops and "upload" is not sent.
        self.assertIn(bytes(server.out), (b"upload\n", b""))

    def test_wrong_host_name(self):
        server, port = self.start_server("--echo")
        r = self.run_cat(*self.client_args(name="wrong.example"), "127.0.0.1", str(port),
                         input=b"secret\n")
        self.assertCompleted(r, EXIT_VERIFY)
        self.assertEqual(r.stdout, b"")
        rc = server.wait()
        self.assertNotEqual(rc, EXIT_OK, server.describe())
        self.assertNotIn(b"secret", bytes(server.out))

    def test_ip_address_as_name(self):
        # The certificate has IP:127.0.0.1; the default name is HOST.
        server, port = self.start_server("--echo")
        r = self.run_cat("--timeout", IO_TIMEOUT, "--ca-certs", cert("ca.pem"),
                         "127.0.0.1", str(port), input=b"by address\n")
        self.assertCompleted(r, EXIT_OK)
        self.assertEqual(r.stdout, b"by address\n")
        self.assertEqual(server.wait(), EXIT_OK, server.describe())

    def test_idle_timeout(self):
        # Both stdins stay open and nobody sends: --timeout 1 ends the
        # client with 7; the server then sees the TCP end without
        # close_notify (6).
        server, port = self.start_server()
        start = time.monotonic()
        client = Proc(self, [USSLCAT, "--timeout", "1", "--ca-certs", cert("ca.pem"),
                             "--server-hostname", "localhost", "127.0.0.1", str(port)])
        self.assertEqual(client.wait(), EXIT_TIMEOUT, client.describe())
        self.assertLess(time.monotonic() - start, PROC_TIMEOUT / 2)
        self.assertIn(b"protocol: ", bytes(client.err))   # handshake was done
        self.assertEqual(server.wait(), EXIT_IO, server.describe())

    def test_alpn(self):
        server, port = self.start_server("--echo", "--alpn", "foo,http/1.1")
        r = self.run_cat(*self.client_args(client_cert=False), "--alpn", "h2,http/1.1",
                         "127.0.0.1", str(port), input=b"alpn\n")
        self.assertCompleted(r, EXIT_OK)
        self.assertIn(b"alpn: http/1.1", r.stderr)
        self.assertEqual(server.wait(), EXIT_OK, server.describe())
        self.assertIn(b"alpn: http/1.1", bytes(server.err))

    def test_keep_open(self):
        server, port = self.start_server("--echo", "--keep-open")
        for i in range(3):
            data = b"connection %d\n" % i
            r = self.run_cat(*self.client_args(client_cert=False), "127.0.0.1",
                             str(port), input=data)
            self.assertCompleted(r, EXIT_OK)
            self.assertEqual(r.stdout, data)
        self.assertIsNone(server.p.poll(), "--keep-open server exited")

    def test_single_connection_server_closes_listener(self):
        server, port = self.start_server("--echo")
        r = self.run_cat(*self.client_args(client_cert=False), "127.0.0.1", str(port),
                         input=b"one\n")
        self.assertCompleted(r, EXIT_OK)
        self.assertEqual(server.wait(), EXIT_OK, server.describe())
        r = self.run_cat(*self.client_args(client_cert=False), "127.0.0.1", str(port))
        self.assertCompleted(r, EXIT_NET)


class PyTLSServer:
    """A one-connection TLS server on CPython's ssl module, running
    handler(sslsock) in a thread; errors are re-raised by join()."""

    def __init__(self, test, handler, max_version=None):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert("server-ec-chain.pem"), cert("server-ec.key"))
        if max_version:
            ctx.maximum_version = max_version
        self.sock = socket.socket()
        test.addCleanup(self.sock.close)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.sock.settimeout(PROC_TIMEOUT)
        self.port = self.sock.getsockname()[1]
        self.error = None
        self.result = None

        def run():
            try:
                raw, _ = self.sock.accept()
                raw.settimeout(PROC_TIMEOUT)
                # Ragged EOFs must raise: we want to see close_notify.
                conn = ctx.wrap_socket(raw, server_side=True,
                                       suppress_ragged_eofs=False)
                with conn:
                    self.result = handler(conn)
            except BaseException as e:  # reported by join()
                self.error = e

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def join(self):
        self.thread.join(PROC_TIMEOUT)
        if self.error:
            raise self.error
        return self.result


def read_to_close_notify(conn):
    data = b""
    while True:
        chunk = conn.recv(65536)
        if not chunk:           # close_notify (a bare EOF would raise)
            return data
        data += chunk


class TestCloseNotify(CliTest):
    """What usslcat does at both ends of the stream."""

    def test_truncation_is_an_error(self):
        def handler(conn):
            conn.sendall(b"partial")
            # Close the TCP connection without close_notify.
            conn.close()

        srv = PyTLSServer(self, handler)
        client = Proc(self, [USSLCAT, *self.client_args(client_cert=False),
                             "127.0.0.1", str(srv.port)])
        rc = client.wait()
        srv.join()
        self.assertEqual(rc, EXIT_IO, client.describe())
        self.assertEqual(bytes(client.out), b"partial")
        self.assertIn(b"usslcat: receiving: ", bytes(client.err))

    def half_close(self, max_version):
        # The client's close_notify at the end of stdin only ends its own
        # direction: it keeps printing until the server's close_notify.
        def handler(conn):
            got = read_to_close_notify(conn)
            conn.sendall(b"reply after your close_notify\n")
            conn.unwrap()       # our close_notify
            return got

        srv = PyTLSServer(self, handler, max_version)
        r = self.run_cat(*self.client_args(client_cert=False), "127.0.0.1",
                         str(srv.port), input=b"question\n")
        self.assertEqual(srv.join(), b"question\n")
        self.assertCompleted(r, EXIT_OK)
        self.assertEqual(r.stdout, b"reply after your close_notify\n")

    def test_half_close_tls13(self):
        self.half_close(None)

    def test_half_close_tls12(self):
        self.half_close(ssl.TLSVersion.TLSv1_2)

    def test_server_half_close(self):
        # Mirror image: a usslcat server whose stdin ends at once sends
        # close_notify first, then still prints the client's data.
        path = os.path.join(self.tmp, "empty")
        open(path, "wb").close()
        with open(path, "rb") as empty:
            server, port = self.start_server(stdin=empty)
        ctx = ssl.create_default_context(cafile=cert("ca.pem"))
        with socket.create_connection(("127.0.0.1", port), timeout=PROC_TIMEOUT) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost",
                                 suppress_ragged_eofs=False) as conn:
                self.assertEqual(read_to_close_notify(conn), b"")
                conn.sendall(b"after the server closed\n")
                conn.unwrap()
        self.assertEqual(server.wait(), EXIT_OK, server.describe())
        self.assertEqual(bytes(server.out), b"after the server closed\n")

    def test_echo_server_closes_after_client(self):
        server, port = self.start_server("--echo")
        ctx = ssl.create_default_context(cafile=cert("ca.pem"))
        with socket.create_connection(("127.0.0.1", port), timeout=PROC_TIMEOUT) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost",
                                 suppress_ragged_eofs=False) as conn:
                conn.sendall(b"ping\n")
                self.assertEqual(conn.recv(100), b"ping\n")
                # unwrap() sends close_notify and waits for the server's.
                conn.unwrap()
        self.assertEqual(server.wait(), EXIT_OK, server.describe())


if __name__ == "__main__":
    unittest.main()
