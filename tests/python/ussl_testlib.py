"""ussl_testlib.py - shared helpers for the ussl Python and interop tests.

What lives here: locating (or generating) the test PKI, facts about the
engine under test (TLS 1.3 or not), CPython `ssl` peers running in threads,
and `openssl`/`gnutls` peers running as subprocesses.  Every peer listens on
127.0.0.1 on a port the kernel picked, every wait has a timeout, and every
peer is stopped (thread joined, process killed by PID) in a cleanup
registered on the test case, so a failing test cannot leave anything behind.

Both suites import this module: tests/python via PYTHONPATH, tests/interop
by adding this directory to sys.path.
"""

import atexit
import os
import random
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

import ussl

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MKCERTS = os.path.join(ROOT, "tests", "certs", "mkcerts.sh")
HEADER = os.path.join(ROOT, "include", "ussl.h")

# Under valgrind (the whole interpreter: USSL_VALGRIND=all) or with the
# ASan runtime preloaded, everything runs many times slower: waits are
# stretched and bulk sizes shrunk by these factors.
UNDER_VALGRIND = os.environ.get("USSL_VALGRIND") == "all"
UNDER_ASAN = bool(os.environ.get("USSL_ASAN_PRELOAD"))
SLOW = UNDER_VALGRIND or UNDER_ASAN
TIME_SCALE = 20 if UNDER_VALGRIND else 3 if UNDER_ASAN else 1

# Generous upper bound for any single network wait in a test; tests that
# measure time use their own, tighter, bounds.
TIMEOUT = 15.0 * TIME_SCALE


def bulk_size(n):
    """n bytes normally; a few MiB when the run is instrumented."""
    if UNDER_VALGRIND:
        return min(n, 2 << 20)
    if UNDER_ASAN:
        return min(n, 16 << 20)
    return n

# ---------------------------------------------------------------------------
# Certificates

_certdir = None
_certdir_lock = threading.Lock()


def certs_dir():
    """The directory with the files made by tests/certs/mkcerts.sh.

    USSL_TEST_CERTS names it when set (mkcerts.sh is still run on it: it
    returns at once when the set is complete).  Otherwise a private
    temporary directory is filled and removed at exit.
    """
    global _certdir
    with _certdir_lock:
        if _certdir is None:
            d = os.environ.get("USSL_TEST_CERTS")
            if not d:
                d = tempfile.mkdtemp(prefix="ussl-certs-")
                atexit.register(shutil.rmtree, d, True)
            subprocess.run([MKCERTS, d], check=True, timeout=120,
                           stdout=subprocess.DEVNULL)
            _certdir = d
        return _certdir


def cert(name):
    """Path of a file of the test PKI."""
    return os.path.join(certs_dir(), name)


def cert_bytes(name):
    with open(cert(name), "rb") as f:
        return f.read()


def pem_to_der(name):
    """DER of the first certificate in a PEM file of the test PKI."""
    return ssl.PEM_cert_to_DER_cert(cert_bytes(name).decode("ascii"))


# Verified-client keyword arguments for ussl.wrap_socket().
def verify_kwargs(hostname="localhost", ca="ca.pem"):
    return dict(cert_reqs=ussl.CERT_REQUIRED, ca_certs=cert(ca),
                server_hostname=hostname)


# ---------------------------------------------------------------------------
# Engine facts


def engine_version():
    """(major, minor) of the engine, parsed from ussl.MBEDTLS_VERSION."""
    m = re.search(r"(\d+)\.(\d+)", ussl.MBEDTLS_VERSION)
    if not m:
        return (0, 0)
    return (int(m.group(1)), int(m.group(2)))


def engine_has_tls13():
    engine = getattr(ussl, "ENGINE", "mbedtls")
    if engine == "mbedtls":
        # mbedTLS 2.28 (Debian 12's system library) has no TLS 1.3.
        return engine_version() >= (3, 0)
    return True


HAS_TLS13 = engine_has_tls13()
NO_TLS13_REASON = ("engine %r has no TLS 1.3" % ussl.MBEDTLS_VERSION)
requires_tls13 = unittest.skipUnless(HAS_TLS13, NO_TLS13_REASON)

# Protocol versions to test: (name, ssl.TLSVersion, openssl flag).
VERSIONS = [("TLSv1.2", ssl.TLSVersion.TLSv1_2, "-tls1_2")]
if HAS_TLS13:
    VERSIONS.append(("TLSv1.3", ssl.TLSVersion.TLSv1_3, "-tls1_3"))

# Server identities: (label, chain file, key file, leaf DER file).
SERVER_KEYS = [
    ("ec", "server-ec-chain.pem", "server-ec.key", "server-ec.der"),
    ("rsa", "server-rsa.pem", "server-rsa.key", "server-rsa.der"),
]


def header_error_codes():
    """{'E_IO': 1001, ...} parsed from include/ussl.h's enum ussl_err."""
    with open(HEADER) as f:
        text = f.read()
    return {"E_" + m.group(1): int(m.group(2))
            for m in re.finditer(r"USSL_E_([A-Z_]+)\s*=\s*(\d+)", text)
            if m.group(1) != "NONE"}


_cipher_names = None


def iana_cipher_name(openssl_name):
    """IANA name of an OpenSSL cipher suite name ('ECDHE-ECDSA-AES...' ->
    'TLS_ECDHE_ECDSA_WITH_AES...'); TLS 1.3 names are the same in both."""
    global _cipher_names
    if _cipher_names is None:
        out = subprocess.run(["openssl", "ciphers", "-stdname", "ALL"],
                             capture_output=True, text=True, timeout=30,
                             check=True).stdout
        _cipher_names = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[1] == "-":
                _cipher_names[parts[2]] = parts[0]
    return _cipher_names.get(openssl_name, openssl_name)


# ---------------------------------------------------------------------------
# Small utilities


def fd_count():
    return len(os.listdir("/proc/self/fd"))


def connect(port, timeout=TIMEOUT):
    """A TCP connection to 127.0.0.1:port with a timeout set."""
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def ussl_client(port, timeout=TIMEOUT, **kw):
    """Connect and wrap as a ussl client; the socket is closed if wrapping
    fails (it is not ussl's until wrap_socket returns)."""
    sock = connect(port, timeout)
    try:
        return ussl.wrap_socket(sock, **kw)
    except BaseException:
        sock.close()
        raise


def ussl_read_exact(s, n):
    """Read exactly n bytes from a ussl socket (blocking)."""
    parts = []
    while n > 0:
        b = s.read(min(n, 65536))
        if not b:
            raise EOFError("end of stream with %d bytes missing" % n)
        parts.append(b)
        n -= len(b)
    return b"".join(parts)


def ussl_read_until_eof(s):
    parts = []
    while True:
        b = s.read(65536)
        if not b:
            return b"".join(parts)
        parts.append(b)


def recv_exact(sock, n):
    """Read exactly n bytes from a CPython (ssl) socket."""
    parts = []
    while n > 0:
        b = sock.recv(min(n, 65536))
        if not b:
            raise EOFError("end of stream with %d bytes missing" % n)
        parts.append(b)
        n -= len(b)
    return b"".join(parts)


def recv_line(sock, limit=1 << 20):
    buf = bytearray()
    while not buf.endswith(b"\n"):
        b = sock.recv(1)
        if not b:
            break
        buf += b
        if len(buf) > limit:
            raise ValueError("line too long")
    return bytes(buf)


def pattern(n, seed=0):
    """n pseudo-random bytes, the same for the same seed (no period that
    could hide reordered or repeated records)."""
    return random.Random(seed).randbytes(n)


def hard_close(ssl_sock):
    """End the TCP stream under a CPython SSL socket with a bare FIN (no
    close_notify): shutdown() on a duplicate of its descriptor."""
    dup = socket.socket(fileno=os.dup(ssl_sock.fileno()))
    try:
        dup.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        dup.close()


def wait_port(port, timeout=TIMEOUT, proc=None):
    """Poll-connect until 127.0.0.1:port accepts (or the process died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("peer exited with %s before listening"
                               % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError("nothing listens on port %d" % port)


def free_port():
    """A port that was free a moment ago (for peers that cannot bind 0)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------
# CPython ssl contexts


def server_context(chain="server-ec-chain.pem", key="server-ec.key",
                   version=None, verify=ssl.CERT_NONE, ca=None,
                   sni_log=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert(chain), cert(key))
    if version is not None:
        ctx.minimum_version = ctx.maximum_version = version
    ctx.verify_mode = verify
    if ca is not None:
        ctx.load_verify_locations(cert(ca))
    if sni_log is not None:
        def sni(sslobj, name, _ctx):
            sni_log.append(name)
        ctx.sni_callback = sni
    return ctx


def client_context(ca="ca.pem", chain=None, key=None, version=None,
                   check_hostname=True):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca is None:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    else:
        ctx.load_verify_locations(cert(ca))
        ctx.check_hostname = check_hostname
    if chain is not None:
        ctx.load_cert_chain(cert(chain), cert(key))
    if version is not None:
        ctx.minimum_version = ctx.maximum_version = version
    return ctx


# ---------------------------------------------------------------------------
# Peers in threads


class ThreadedServer:
    """A CPython server on 127.0.0.1:0 that accepts `conns` connections.

    For each one, `handler(conn, server)` runs; `conn` is a CPython
    SSLSocket (ctx given, handshake done, ragged EOFs reported as errors) or
    the raw socket (ctx None).  Its return value is appended to `results`;
    exceptions go to `errors` (a handshake failure is often what a test
    wants to see).  With concurrent=True every connection gets a thread.
    """

    def __init__(self, testcase, handler, ctx=None, conns=1,
                 concurrent=False, timeout=TIMEOUT):
        self.handler = handler
        self.ctx = ctx
        self.conns = conns
        self.concurrent = concurrent
        self.timeout = timeout
        self.results = []
        self.errors = []
        self._lock = threading.Lock()
        self._threads = []
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(max(conns, 8))
        self.lsock.settimeout(timeout)
        self.port = self.lsock.getsockname()[1]
        self._main = threading.Thread(target=self._accept_loop, daemon=True)
        self._main.start()
        testcase.addCleanup(self.stop)

    def _accept_loop(self):
        try:
            for _ in range(self.conns):
                try:
                    raw, _addr = self.lsock.accept()
                except OSError as e:
                    self._record_error(e)
                    return
                if self.concurrent:
                    t = threading.Thread(target=self._serve, args=(raw,),
                                         daemon=True)
                    self._threads.append(t)
                    t.start()
                else:
                    self._serve(raw)
        finally:
            for t in self._threads:
                t.join(self.timeout)

    def _record_error(self, e):
        with self._lock:
            self.errors.append(e)

    def _serve(self, raw):
        conn = raw
        try:
            raw.settimeout(self.timeout)
            if self.ctx is not None:
                conn = self.ctx.wrap_socket(raw, server_side=True,
                                            suppress_ragged_eofs=False)
            result = self.handler(conn, self)
            with self._lock:
                self.results.append(result)
        except Exception as e:
            self._record_error(e)
        finally:
            try:
                conn.close()
            except OSError:
                pass
            raw.close()

    def join(self, timeout=TIMEOUT):
        """Wait until every connection was served; True if they were."""
        self._main.join(timeout)
        return not self._main.is_alive()

    def stop(self):
        self.lsock.close()
        self._main.join(self.timeout)


class ThreadedClient:
    """Runs func() in a thread; result or exception kept for the test."""

    def __init__(self, testcase, func):
        self.result = None
        self.error = None
        self._t = threading.Thread(target=self._run, args=(func,),
                                   daemon=True)
        self._t.start()
        testcase.addCleanup(self._t.join, TIMEOUT)

    def _run(self, func):
        try:
            self.result = func()
        except BaseException as e:
            self.error = e

    def join(self, timeout=TIMEOUT):
        self._t.join(timeout)
        if self._t.is_alive():
            raise TimeoutError("peer thread still running")
        return self


def cpython_client(testcase, port, ctx, func, hostname="localhost"):
    """Connect a CPython ssl client in a thread and run func(sslsock)."""
    def run():
        with socket.create_connection(("127.0.0.1", port),
                                      timeout=TIMEOUT) as raw:
            with ctx.wrap_socket(raw, server_hostname=hostname,
                                 suppress_ragged_eofs=False) as s:
                return func(s)
    return ThreadedClient(testcase, run)


class Listener:
    """A listening socket for ussl servers: accept() with a timeout."""

    def __init__(self, testcase, backlog=64):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(backlog)
        self.sock.settimeout(TIMEOUT)
        self.port = self.sock.getsockname()[1]
        testcase.addCleanup(self.sock.close)

    def accept(self, timeout=TIMEOUT):
        conn, _ = self.sock.accept()
        conn.settimeout(timeout)
        return conn


# ---------------------------------------------------------------------------
# Peers in processes


class Proc:
    """A subprocess whose merged stdout/stderr is collected by a thread.

    Killed by PID in the test's cleanup.  `wait_for(regex)` waits until the
    output matches.
    """

    def __init__(self, testcase, argv, stdin=subprocess.PIPE):
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdin=stdin,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self._buf = bytearray()
        self._cond = threading.Condition()
        self._eof = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        testcase.addCleanup(self.stop)

    def _read(self):
        fd = self.proc.stdout.fileno()
        while True:
            try:
                b = os.read(fd, 65536)
            except OSError:
                b = b""
            with self._cond:
                if not b:
                    self._eof = True
                    self._cond.notify_all()
                    return
                self._buf += b
                self._cond.notify_all()

    @property
    def output(self):
        with self._cond:
            return self._buf.decode("utf-8", "replace")

    def wait_for(self, regex, timeout=TIMEOUT):
        """Wait until the output matches regex; return the match."""
        rx = re.compile(regex)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                m = rx.search(self._buf.decode("utf-8", "replace"))
                if m:
                    return m
                left = deadline - time.monotonic()
                if left <= 0 or self._eof:
                    raise AssertionError(
                        "%r not seen from %s within %.0fs; output:\n%s" % (
                            regex, self.argv[:2], timeout,
                            self._buf.decode("utf-8", "replace")[-3000:]))
                self._cond.wait(left)

    def write(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def wait_exit(self, timeout=TIMEOUT):
        """Wait for exit; return (returncode, output)."""
        self.proc.wait(timeout)
        self._reader.join(timeout)
        return self.proc.returncode, self.output

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, 9)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            pass
        for f in (self.proc.stdin, self.proc.stdout):
            if f is not None:
                try:
                    f.close()
                except OSError:
                    pass
        self._reader.join(TIMEOUT)


class OpenSSLServer(Proc):
    """`openssl s_server` on 127.0.0.1 with a kernel-chosen port (it prints
    the port it bound in its ACCEPT line, so there is no port race)."""

    def __init__(self, testcase, args, chain="server-ec.pem",
                 extra_chain="int.pem", key="server-ec.key"):
        argv = ["openssl", "s_server", "-accept", "127.0.0.1:0",
                "-cert", cert(chain), "-key", cert(key)]
        if extra_chain:
            argv += ["-cert_chain", cert(extra_chain)]
        super().__init__(testcase, argv + list(args))
        m = self.wait_for(r"ACCEPT 127\.0\.0\.1:(\d+)")
        self.port = int(m.group(1))


def openssl_server_for(label):
    """OpenSSLServer keyword arguments for a SERVER_KEYS label."""
    if label == "ec":
        return dict(chain="server-ec.pem", extra_chain="int.pem",
                    key="server-ec.key")
    return dict(chain="server-rsa.pem", extra_chain=None,
                key="server-rsa.key")


class OpenSSLClient(Proc):
    """`openssl s_client` to 127.0.0.1:port.  -ign_eof: it keeps reading
    after its stdin ends, until the server closes."""

    def __init__(self, testcase, port, args=(), data=b""):
        argv = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
                "-ign_eof"] + list(args)
        super().__init__(testcase, argv)
        if data:
            self.write(data)
        self.proc.stdin.close()


def have_program(name):
    return shutil.which(name) is not None


def socketpair_with_timeout(timeout=5.0):
    """A connected AF_UNIX stream pair for tests that never reach the
    network (argument checks); a timeout bounds any unexpected handshake."""
    a, b = socket.socketpair()
    a.settimeout(timeout)
    b.settimeout(timeout)
    return a, b


def assert_verify_error(tc, cm_exc, *words):
    """The exception is OSError(E_VERIFY, msg) and msg names the reason."""
    e = cm_exc
    tc.assertIsInstance(e, OSError)
    tc.assertEqual(e.args[0], ussl.E_VERIFY, "wrong code in %r" % (e,))
    msg = str(e.args[1]) if len(e.args) > 1 else ""
    if words:
        tc.assertTrue(any(w.lower() in msg.lower() for w in words),
                      "message %r names none of %r" % (msg, words))
