"""test_misbehave.py - ussl against peers that break the rules: garbage
instead of a ServerHello or a ClientHello, records altered in transit,
renegotiation attempts, TLS 1.0/1.1 peers, a TCP stream cut at every
stage, a slow-loris handshake, a reset in the middle of a record, and a
relay that delivers everything one byte per segment.

Faults are injected by `Proxy`, a relay thread between a ussl endpoint and
a CPython ssl peer that parses the TLS record layer as bytes pass (no
keys: it only knows where records begin) and can flip a byte, cut the
stream (a bare FIN) or reset it at a chosen offset.  What every test asks
of ussl is the same: a clean OSError in bounded time (never a hang, never
TimeoutError where the peer did answer), and never wrong or silently
shortened data.
"""

import select
import socket
import struct
import threading
import time
import unittest

import ussl

import ussl_testlib as tl

# Socket timeout of the endpoints: faults must be detected from what the
# peer sends, long before this.
T = 5.0 * tl.TIME_SCALE

# Content types of the TLS record layer.
CCS, ALERT, HANDSHAKE, APPDATA = 20, 21, 22, 23

# Application data big enough to be told apart from session tickets (the
# only other records of type 23 after a TLS 1.3 handshake) by its length.
PAYLOAD = tl.pattern(6000, seed=41)
BIG_RECORD = 4000


def server_kwargs():
    return dict(server_side=True, keyfile=tl.cert("server-ec.key"),
                certfile=tl.cert("server-ec-chain.pem"))


# ---------------------------------------------------------------------------
# The tampering relay


class RecordParser:
    """Follows the record layer of one direction of a TLS stream: records
    (absolute offset of the header, content type, body length) in the
    order their headers completed."""

    def __init__(self):
        self.pos = 0            # stream offset of the next byte fed
        self.next = 0           # stream offset of the next record header
        self.hdr = bytearray()
        self.records = []

    def feed(self, chunk):
        """Parse chunk; return the records whose header completed in it."""
        base, i, new = self.pos, 0, []
        while i < len(chunk):
            if base + i < self.next:
                i = self.next - base
                continue
            take = chunk[i:i + 5 - len(self.hdr)]
            self.hdr += take
            i += len(take)
            if len(self.hdr) == 5:
                rec = (self.next, self.hdr[0],
                       int.from_bytes(self.hdr[3:5], "big"))
                self.records.append(rec)
                new.append(rec)
                self.next = rec[0] + 5 + rec[2]
                self.hdr.clear()
        self.pos = base + len(chunk)
        return new


class Tamper:
    """What to do to one direction of the relay.

    action: "flip" (xor one byte with 0x80), "cut" (stop relaying: a bare
    FIN to the receiver, whose later input is drained so it never gets a
    RST) or "rst" (close the receiver's socket with SO_LINGER 0).
    Where: at stream offset `at`, or in the body of the first record for
    which pick(index, type, length) returns True (the middle byte) or an
    offset into the body.
    segment: relay one byte per send() (TCP_NODELAY is set).
    """

    def __init__(self, action=None, at=None, pick=None, segment=False):
        self.action = action
        self.at = at
        self.pick = pick
        self.segment = segment


class Proxy:
    """A relay on 127.0.0.1:0 to 127.0.0.1:upstream, for `conns` accepted
    connections in turn.  c2s / s2c: Tamper for the two directions.  The
    records seen in each direction (of the last connection) are kept in
    self.records["c2s"/"s2c"], the bytes relayed in self.relayed."""

    def __init__(self, tc, upstream, c2s=None, s2c=None, conns=1):
        self.upstream = upstream
        self.tamper = {"c2s": c2s or Tamper(), "s2c": s2c or Tamper()}
        self.records = {"c2s": [], "s2c": []}
        self.relayed = {"c2s": 0, "s2c": 0}
        self.fired = threading.Event()      # the tamper action happened
        self._stopping = threading.Event()
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(4)
        self.lsock.settimeout(T)
        self.port = self.lsock.getsockname()[1]
        self._main = threading.Thread(target=self._accept, args=(conns,),
                                      daemon=True)
        self._main.start()
        tc.addCleanup(self.stop)

    def _accept(self, conns):
        for _ in range(conns):
            try:
                c, _ = self.lsock.accept()
                s = socket.create_connection(("127.0.0.1", self.upstream),
                                             timeout=T)
            except OSError:
                return
            for x in (c, s):
                x.settimeout(T)
                x.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._parsers = {"c2s": RecordParser(), "s2c": RecordParser()}
            self._target = {"c2s": self.tamper["c2s"].at,
                            "s2c": self.tamper["s2c"].at}
            self.records = {k: p.records for k, p in self._parsers.items()}
            self.relayed = {"c2s": 0, "s2c": 0}
            self._relay(c, s)

    def _relay(self, c, s):
        """Relay one connection until both ends closed (or 3 T passed).
        One thread and select(), so that a RST can be sent at once: a
        socket another thread is blocked on would not really close."""
        peer = {c: (s, "c2s"), s: (c, "s2c")}
        live = [c, s]
        cut = False
        deadline = time.monotonic() + 3 * T
        try:
            while (live and time.monotonic() < deadline
                   and not self._stopping.is_set()):
                ready, _, _ = select.select(live, [], [], 0.2)
                for src in ready:
                    if src not in live:
                        continue
                    dst, name = peer[src]
                    try:
                        data = src.recv(65536)
                    except OSError:
                        data = b""
                    if cut:
                        # Drain the receiver of the cut stream, so that
                        # closing it later is a FIN, not a RST.
                        if not data:
                            live.remove(src)
                        continue
                    if not data:
                        try:
                            dst.shutdown(socket.SHUT_WR)
                        except OSError:
                            pass
                        live.remove(src)
                        continue
                    act = self._forward(name, data, dst)
                    if act == "rst":
                        dst.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
                        return
                    if act == "cut":
                        cut = True
                        try:
                            dst.shutdown(socket.SHUT_WR)
                        except OSError:
                            pass
                        # The sender loses its connection at once.
                        try:
                            src.shutdown(socket.SHUT_RDWR)
                        except OSError:
                            pass
                        live = [dst]
                    elif act == "failed":
                        return
        finally:
            c.close()
            s.close()

    def _forward(self, name, data, dst):
        """Send data on, tampered with as configured.  Returns None, "cut"
        or "rst" (the tamper action to finish), or "failed"."""
        tp = self.tamper[name]
        parser = self._parsers[name]
        base = parser.pos
        parser.feed(data)
        if self._target[name] is None and tp.pick is not None:
            for i, (start, typ, length) in enumerate(parser.records):
                off = tp.pick(i, typ, length) if length > 0 else False
                if off is not False and off is not None:
                    if off is True:
                        off = length // 2
                    self._target[name] = start + 5 + off
                    break
        target = self._target[name]
        act = None
        if (target is not None and tp.action is not None
                and base <= target < base + len(data)):
            act = tp.action
        if act == "flip":
            data = bytearray(data)
            data[target - base] ^= 0x80
            tp.action = None                    # once
            self.fired.set()
            act = None
        elif act in ("cut", "rst"):
            data = data[:target - base]
            self.fired.set()
        if data and not self._send(dst, data, tp.segment):
            return "failed"
        self.relayed[name] += len(data)
        return act

    @staticmethod
    def _send(dst, data, segment):
        try:
            if segment:
                for i in range(len(data)):
                    dst.sendall(data[i:i + 1])
            else:
                dst.sendall(data)
            return True
        except OSError:
            return False

    def stop(self):
        self._stopping.set()
        try:
            self.lsock.shutdown(socket.SHUT_RDWR)   # wakes accept()
        except OSError:
            pass
        self.lsock.close()
        self._main.join(4 * T)


def is_big_appdata(i, typ, length):
    return typ == APPDATA and length >= BIG_RECORD


# ---------------------------------------------------------------------------
# Peers


def send_payload_then_unwrap(conn, srv):
    """CPython server: wait for the client's request line, answer with
    PAYLOAD, close_notify, then wait for the client's."""
    tl.recv_line(conn)
    conn.sendall(PAYLOAD)
    conn.unwrap()
    return "done"


def cpython_server(tc, handler=send_payload_then_unwrap, version=None,
                   conns=1):
    return tl.ThreadedServer(tc, handler, tl.server_context(version=version),
                             conns=conns, timeout=T)


def read_all_until_error(s):
    """Read a ussl socket until the end or an error: (data, exception)."""
    got = bytearray()
    try:
        while True:
            b = s.read(65536)
            if not b:
                return bytes(got), None
            got += b
    except OSError as e:
        return bytes(got), e


def client_via(tc, port, **kw):
    """A ussl client (verified) to port; wrap errors propagate."""
    kw = dict(tl.verify_kwargs(), **kw)
    return tl.ussl_client(port, timeout=T, **kw)


def assert_clean_oserror(tc, e, codes=None):
    tc.assertIsInstance(e, OSError, repr(e))
    tc.assertNotIsInstance(e, TimeoutError, repr(e))
    if codes is not None:
        tc.assertIn(e.args[0], codes, repr(e))


# ---------------------------------------------------------------------------
# Garbage where a hello should be


class Garbage(unittest.TestCase):

    JUNK = [
        ("random", tl.pattern(3000, seed=7)),
        ("http", b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"),
        ("ssh", b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"),
        ("zeros", bytes(4096)),
        # Record headers that look right, with nonsense behind them.
        ("bad-version", b"\x16\x09\x09\x00\x10" + bytes(16)),
        ("oversized-record", b"\x16\x03\x03\xff\xff" + bytes(64)),
        ("empty-handshake-record", b"\x16\x03\x03\x00\x00" * 20),
        ("appdata-first", b"\x17\x03\x03\x00\x05hello"),
        ("bad-hello-body", b"\x16\x03\x03\x00\x08\x02\x00\x00\x04\xff\xff"
                           b"\xff\xff"),
        ("sslv2-hello", b"\x80\x2e\x01\x00\x02\x00\x15\x00\x00\x00\x10"
                        + bytes(40)),
    ]

    def test_garbage_instead_of_server_hello(self):
        for name, junk in self.JUNK:
            with self.subTest(junk=name):
                def handler(raw, srv, junk=junk):
                    raw.recv(4096)                 # the ClientHello
                    raw.sendall(junk)
                    raw.recv(4096)                 # an alert, or EOF
                srv = tl.ThreadedServer(self, handler, timeout=T)
                t0 = time.monotonic()
                with self.assertRaises(OSError) as cm:
                    s = client_via(self, srv.port)
                    s.close()
                assert_clean_oserror(self, cm.exception,
                                     (ussl.E_PROTOCOL, ussl.E_HANDSHAKE))
                self.assertLess(time.monotonic() - t0, 2.0 * tl.TIME_SCALE)

    def test_garbage_instead_of_client_hello(self):
        lst = tl.Listener(self)
        for name, junk in self.JUNK:
            with self.subTest(junk=name):
                raw = tl.connect(lst.port, T)
                self.addCleanup(raw.close)
                conn = lst.accept(T)
                raw.sendall(junk)
                t0 = time.monotonic()
                with self.assertRaises(OSError) as cm:
                    s = ussl.wrap_socket(conn, **server_kwargs())
                    s.close()
                conn.close()
                assert_clean_oserror(self, cm.exception,
                                     (ussl.E_PROTOCOL, ussl.E_HANDSHAKE))
                self.assertLess(time.monotonic() - t0, 2.0 * tl.TIME_SCALE)
                raw.close()

    def test_incomplete_hello_then_fin(self):
        # A record header promising more than ever comes, then a FIN:
        # truncated, not a wait for the rest.
        for server_side in (False, True):
            with self.subTest(server_side=server_side):
                a, b = socket.socketpair()
                self.addCleanup(a.close)
                self.addCleanup(b.close)
                a.settimeout(T)
                if server_side:
                    b.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03")
                    kw = server_kwargs()
                else:
                    b.sendall(b"\x16\x03\x03\x00\x40\x02\x00\x00\x3c")
                    kw = {}
                b.shutdown(socket.SHUT_WR)
                with self.assertRaises(OSError) as cm:
                    ussl.wrap_socket(a, **kw)
                assert_clean_oserror(self, cm.exception, (ussl.E_TRUNCATED,))


# ---------------------------------------------------------------------------
# Records altered in transit


class Corruption(unittest.TestCase):

    def test_flipped_appdata_byte_client(self):
        # Server -> ussl client: the record holding PAYLOAD has one bit
        # flipped: the read fails (bad MAC) and returns none of it.
        for vname, ver, _flag in tl.VERSIONS:
            with self.subTest(version=vname):
                srv = cpython_server(self, version=ver)
                px = Proxy(self, srv.port,
                           s2c=Tamper("flip", pick=is_big_appdata))
                s = client_via(self, px.port)
                s.write(b"send\n")
                got, err = read_all_until_error(s)
                s.close()
                self.assertTrue(px.fired.is_set())
                self.assertEqual(got, b"")
                assert_clean_oserror(self, err, (ussl.E_PROTOCOL,))
                self.assertIn("mac", str(err).lower())

    def test_flipped_appdata_byte_server(self):
        # CPython client -> ussl server, the same.
        for vname, ver, _flag in tl.VERSIONS:
            with self.subTest(version=vname):
                lst = tl.Listener(self)
                px = Proxy(self, lst.port,
                           c2s=Tamper("flip", pick=is_big_appdata))

                def talk(cs):
                    cs.sendall(PAYLOAD)
                    return cs.recv(10)
                tl.cpython_client(self, px.port,
                                  tl.client_context(version=ver), talk)
                conn = lst.accept(T)
                s = ussl.wrap_socket(conn, **server_kwargs())
                got, err = read_all_until_error(s)
                s.close()
                self.assertTrue(px.fired.is_set())
                self.assertEqual(got, b"")
                assert_clean_oserror(self, err, (ussl.E_PROTOCOL,))

    def test_flip_in_every_server_record(self):
        # Flip one byte in the middle of each record the server sends
        # (handshake messages, tickets, data, close_notify) in turn:
        # every one must be noticed, whether by the handshake (transcript,
        # signature, MAC) or by a later read.
        for vname, ver, _flag in tl.VERSIONS:
            with self.subTest(version=vname):
                srv = cpython_server(self, version=ver)
                px = Proxy(self, srv.port)
                s = client_via(self, px.port)
                s.write(b"send\n")
                got, err = read_all_until_error(s)
                s.close()
                self.assertIsNone(err)
                self.assertEqual(got, PAYLOAD)
                self.assertTrue(srv.join(T))
                n = len(px.records["s2c"])
                self.assertGreaterEqual(n, 3, px.records["s2c"])
                for i in range(n):
                    with self.subTest(version=vname, record=i,
                                      kind=px.records["s2c"][i][1]):
                        self.one_flip(ver, i)

    def one_flip(self, ver, index):
        def pick(i, typ, length):
            if i != index:
                return False
            if typ == HANDSHAKE and length // 2 < 4:
                # Not the length field of a short plaintext handshake
                # message (ServerHelloDone): a larger length is a promise
                # of more records, and both ends then rightly wait for
                # each other until a timeout.  Its type byte instead.
                return 0
            return True
        srv = cpython_server(self, version=ver)
        px = Proxy(self, srv.port, s2c=Tamper("flip", pick=pick))
        got, err = b"", None
        try:
            s = client_via(self, px.port)
        except OSError as e:
            err = e
        else:
            s.write(b"send\n")
            got, err = read_all_until_error(s)
            s.close()
        self.assertTrue(px.fired.is_set())
        self.assertIsNotNone(err, "a flipped byte went unnoticed")
        assert_clean_oserror(self, err)
        self.assertTrue(PAYLOAD.startswith(got))


# ---------------------------------------------------------------------------
# Renegotiation, old versions


def openssl_tls10_works(tc, flag):
    """True if this machine's openssl can still speak `flag` (-tls1,
    -tls1_1) to itself at security level 0."""
    key = "_tls_ok" + flag
    if key not in _cache:
        srv = tl.OpenSSLServer(tc, [flag, "-cipher", "DEFAULT:@SECLEVEL=0"],
                               **tl.openssl_server_for("rsa"))
        cli = tl.OpenSSLClient(tc, srv.port,
                               [flag, "-cipher", "DEFAULT:@SECLEVEL=0"],
                               data=b"Q\n")
        try:
            cli.wait_for(r"Protocol\s*: TLSv1(\.1)?\b", timeout=T)
            _cache[key] = True
        except AssertionError:
            _cache[key] = False
        cli.stop()
        srv.stop()
    return _cache[key]


_cache = {}


class Renegotiation(unittest.TestCase):
    """mbedTLS is configured without renegotiation: a HelloRequest from a
    server or a new ClientHello from a client is refused (a
    no_renegotiation alert, which OpenSSL answers with a fatal one)."""

    def test_server_requests_renegotiation(self):
        srv = tl.OpenSSLServer(self, ["-tls1_2"])
        s = client_via(self, srv.port)
        self.assertEqual(s.version(), "TLSv1.2")
        s.write(b"before\n")
        srv.wait_for("before")
        srv.write(b"R\n")          # s_server: send a HelloRequest
        got, err = read_all_until_error(s)
        s.close()
        # Nothing but the refusal: no data, no second handshake.
        self.assertEqual(got, b"")
        assert_clean_oserror(self, err, (ussl.E_PEER_ALERT, ussl.E_PROTOCOL))
        srv.wait_for(r"no renegotiation|renegotiat")

    def test_client_requests_renegotiation(self):
        lst = tl.Listener(self)
        # Without -ign_eof, s_client reads commands on stdin: R = renegotiate.
        cli = tl.Proc(self, ["openssl", "s_client", "-connect",
                             "127.0.0.1:%d" % lst.port, "-tls1_2"])
        conn = lst.accept(T)
        s = ussl.wrap_socket(conn, **server_kwargs())
        cli.wait_for("Verify return code")
        cli.write(b"one\n")
        self.assertEqual(tl.ussl_read_exact(s, 4), b"one\n")
        cli.write(b"R\n")
        cli.wait_for("RENEGOTIATING")
        got, err = read_all_until_error(s)
        s.close()
        self.assertEqual(got, b"")
        assert_clean_oserror(self, err, (ussl.E_PEER_ALERT, ussl.E_PROTOCOL))
        cli.wait_for(r"no renegotiation|alert|error")


class OldVersions(unittest.TestCase):
    """TLS 1.0 and 1.1 peers are refused, both ways."""

    FLAGS = [("TLSv1.0", "-tls1"), ("TLSv1.1", "-tls1_1")]
    OPTS = ["-cipher", "DEFAULT:@SECLEVEL=0"]

    def test_old_client_refused(self):
        lst = tl.Listener(self)
        for name, flag in self.FLAGS:
            with self.subTest(version=name):
                if not openssl_tls10_works(self, flag):
                    self.skipTest("local openssl cannot speak %s" % name)
                cli = tl.OpenSSLClient(self, lst.port, [flag] + self.OPTS)
                conn = lst.accept(T)
                with self.assertRaises(OSError) as cm:
                    s = ussl.wrap_socket(conn, **server_kwargs())
                    s.close()
                conn.close()
                assert_clean_oserror(self, cm.exception,
                                     (ussl.E_HANDSHAKE, ussl.E_PROTOCOL))
                rc, out = cli.wait_exit(T)
                # ussl answered with a protocol_version alert; no cipher.
                self.assertIn("Cipher is (NONE)", out)
                self.assertIn("alert protocol version", out)

    def test_old_server_refused(self):
        for name, flag in self.FLAGS:
            with self.subTest(version=name):
                if not openssl_tls10_works(self, flag):
                    self.skipTest("local openssl cannot speak %s" % name)
                srv = tl.OpenSSLServer(self, [flag] + self.OPTS,
                                       **tl.openssl_server_for("rsa"))
                with self.assertRaises(OSError) as cm:
                    s = client_via(self, srv.port)
                    s.close()
                assert_clean_oserror(self, cm.exception,
                                     (ussl.E_HANDSHAKE, ussl.E_PROTOCOL,
                                      ussl.E_PEER_ALERT))
                srv.stop()


# ---------------------------------------------------------------------------
# The stream cut at every stage


def cut_points(records, total):
    """Offsets to cut at: around every record boundary and inside every
    record (header and body), up to `total` minus a margin so the final
    close_notify is always lost (record sizes vary by a byte or two
    between runs: ECDSA signatures)."""
    pts = {0, 1}
    for start, _typ, length in records:
        for p in (start, start + 1, start + 4, start + 5,
                  start + 5 + length // 2, start + 5 + length - 1):
            pts.add(p)
    return sorted(p for p in pts if p <= total - 10)


class Truncation(unittest.TestCase):

    def test_cut_server_to_client(self):
        for vname, ver, _flag in tl.VERSIONS:
            with self.subTest(version=vname):
                # A first run without fault: where the records lie.
                srv = cpython_server(self, version=ver)
                px = Proxy(self, srv.port)
                s = client_via(self, px.port)
                s.write(b"send\n")
                got, err = read_all_until_error(s)
                s.close()
                self.assertIsNone(err)
                self.assertEqual(got, PAYLOAD)
                self.assertTrue(srv.join(T))
                px.stop()
                points = cut_points(px.records["s2c"], px.relayed["s2c"])
                self.assertGreater(len(points), 10)
                for n in points:
                    with self.subTest(version=vname, cut=n):
                        self.one_cut_s2c(ver, n)

    def one_cut_s2c(self, ver, n):
        srv = cpython_server(self, version=ver)
        px = Proxy(self, srv.port, s2c=Tamper("cut", at=n))
        t0 = time.monotonic()
        hs_done, got, err = False, b"", None
        try:
            s = client_via(self, px.port)
        except OSError as e:
            err = e
        else:
            hs_done = True
            try:
                s.write(b"send\n")
            except OSError as e:
                err = e
            else:
                got, err = read_all_until_error(s)
            s.close()
        self.assertIsNotNone(err, "cut stream read as a clean end")
        assert_clean_oserror(self, err)
        self.assertTrue(PAYLOAD.startswith(got), "wrong data")
        if hs_done:
            self.assertEqual(err.args[0], ussl.E_TRUNCATED, repr(err))
        else:
            self.assertIn(err.args[0], (ussl.E_TRUNCATED, ussl.E_PROTOCOL),
                          repr(err))
        self.assertLess(time.monotonic() - t0, 3.0 * tl.TIME_SCALE)
        srv.stop()
        px.stop()

    def test_cut_client_to_server(self):
        for vname, ver, _flag in tl.VERSIONS:
            with self.subTest(version=vname):
                lst = tl.Listener(self)
                px = Proxy(self, lst.port)
                tl.cpython_client(self, px.port,
                                  tl.client_context(version=ver),
                                  self.cpython_sender)
                conn = lst.accept(T)
                s = ussl.wrap_socket(conn, **server_kwargs())
                got, err = read_all_until_error(s)
                s.close()
                self.assertIsNone(err)
                self.assertEqual(got, PAYLOAD)
                px.stop()
                points = cut_points(px.records["c2s"], px.relayed["c2s"])
                self.assertGreater(len(points), 8)
                for n in points:
                    with self.subTest(version=vname, cut=n):
                        self.one_cut_c2s(lst, ver, n)

    @staticmethod
    def cpython_sender(cs):
        cs.sendall(PAYLOAD)
        cs.unwrap()

    def one_cut_c2s(self, lst, ver, n):
        px = Proxy(self, lst.port, c2s=Tamper("cut", at=n))
        tl.cpython_client(self, px.port, tl.client_context(version=ver),
                          self.cpython_sender)
        t0 = time.monotonic()
        hs_done, got, err = False, b"", None
        conn = lst.accept(T)
        try:
            s = ussl.wrap_socket(conn, **server_kwargs())
        except OSError as e:
            err = e
            conn.close()
        else:
            hs_done = True
            got, err = read_all_until_error(s)
            s.close()
        self.assertIsNotNone(err, "cut stream read as a clean end")
        assert_clean_oserror(self, err)
        self.assertTrue(PAYLOAD.startswith(got), "wrong data")
        if hs_done:
            self.assertEqual(err.args[0], ussl.E_TRUNCATED, repr(err))
        self.assertLess(time.monotonic() - t0, 3.0 * tl.TIME_SCALE)
        px.stop()

    def test_reset_mid_record(self):
        # SO_LINGER 0 close in the middle of the payload's record.
        for vname, ver, _flag in tl.VERSIONS:
            with self.subTest(version=vname):
                srv = cpython_server(self, version=ver)
                px = Proxy(self, srv.port,
                           s2c=Tamper("rst", pick=is_big_appdata))
                s = client_via(self, px.port)
                s.write(b"send\n")
                t0 = time.monotonic()
                got, err = read_all_until_error(s)
                self.assertTrue(px.fired.is_set())
                self.assertEqual(got, b"")
                assert_clean_oserror(self, err)
                self.assertLess(time.monotonic() - t0, 3.0 * tl.TIME_SCALE)
                self.assertTrue(isinstance(err, ConnectionResetError)
                                or err.args[0] == ussl.E_TRUNCATED, repr(err))
                # Sticky, and close() after a reset does not raise.
                with self.assertRaises(OSError):
                    s.read(10)
                s.close()
                s.close()


# ---------------------------------------------------------------------------
# Slow peers


class SlowLoris(unittest.TestCase):
    """A peer that trickles its hello: a socket timeout bounds the whole
    handshake, not each wait (bytes arriving do not extend it)."""

    HELLO = {
        False: b"\x16\x03\x03\x00\x7a\x02\x00\x00\x76\x03\x03" + bytes(200),
        True: b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(200),
    }

    def trickle(self, sock, data, interval, stop):
        for i in range(len(data)):
            if stop.wait(interval):
                return
            try:
                sock.send(data[i:i + 1])
            except OSError:
                return

    def run_case(self, server_side, interval, timeout=1.0):
        a, b = socket.socketpair()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        stop = threading.Event()
        t = threading.Thread(target=self.trickle, daemon=True,
                             args=(b, self.HELLO[server_side], interval,
                                   stop))
        t.start()
        self.addCleanup(t.join, T)
        self.addCleanup(stop.set)         # cleanups run last-in first-out
        a.settimeout(timeout)
        kw = server_kwargs() if server_side else {}
        t0 = time.monotonic()
        with self.assertRaises(OSError) as cm:
            ussl.wrap_socket(a, **kw)
        elapsed = time.monotonic() - t0
        self.assertIsInstance(cm.exception, TimeoutError,
                              repr(cm.exception))
        self.assertGreaterEqual(elapsed, timeout * 0.9)
        self.assertLess(elapsed, timeout + 1.0 * tl.TIME_SCALE)

    def test_client_one_byte_per_second(self):
        self.run_case(False, 1.0)

    def test_server_one_byte_per_second(self):
        self.run_case(True, 1.0)

    def test_client_fast_trickle(self):
        # Ten bytes a second: many wake-ups, the deadline still holds.
        self.run_case(False, 0.1, timeout=1.5)

    def test_server_fast_trickle(self):
        self.run_case(True, 0.1, timeout=1.5)


# ---------------------------------------------------------------------------
# One byte per segment


class Segmentation(unittest.TestCase):

    SIZE = 20000

    def echo(self, conn, srv):
        data = tl.recv_exact(conn, self.SIZE)
        conn.sendall(data)
        return len(data)

    def test_ussl_client_one_byte_segments(self):
        for vname, ver, _flag in tl.VERSIONS:
            with self.subTest(version=vname):
                srv = tl.ThreadedServer(self, self.echo,
                                        tl.server_context(version=ver),
                                        timeout=T)
                px = Proxy(self, srv.port, c2s=Tamper(segment=True),
                           s2c=Tamper(segment=True))
                s = client_via(self, px.port)
                self.assertEqual(s.version(), vname)
                data = tl.pattern(self.SIZE, seed=3)
                self.assertEqual(s.write(data), self.SIZE)
                self.assertEqual(tl.ussl_read_exact(s, self.SIZE), data)
                s.close()
                self.assertTrue(srv.join(T))
                self.assertEqual(srv.errors, [])

    def test_ussl_server_one_byte_segments(self):
        for vname, ver, _flag in tl.VERSIONS:
            with self.subTest(version=vname):
                lst = tl.Listener(self)
                px = Proxy(self, lst.port, c2s=Tamper(segment=True),
                           s2c=Tamper(segment=True))
                data = tl.pattern(self.SIZE, seed=4)

                def talk(cs):
                    cs.sendall(data)
                    return tl.recv_exact(cs, self.SIZE)
                cli = tl.cpython_client(self, px.port,
                                        tl.client_context(version=ver), talk)
                conn = lst.accept(T)
                s = ussl.wrap_socket(conn, **server_kwargs())
                self.assertEqual(s.version(), vname)
                got = tl.ussl_read_exact(s, self.SIZE)
                self.assertEqual(got, data)
                s.write(got)
                cli.join(T)
                self.assertIsNone(cli.error)
                self.assertEqual(cli.result, data)
                s.close()

    def test_ussl_to_ussl_one_byte_segments(self):
        lst = tl.Listener(self)
        px = Proxy(self, lst.port, c2s=Tamper(segment=True),
                   s2c=Tamper(segment=True))
        data = tl.pattern(self.SIZE, seed=5)

        def server():
            conn = lst.accept(T)
            with ussl.wrap_socket(conn, **server_kwargs()) as s:
                s.write(tl.ussl_read_exact(s, self.SIZE))
                return tl.ussl_read_until_eof(s)
        peer = tl.ThreadedClient(self, server)
        s = client_via(self, px.port)
        s.write(data)
        self.assertEqual(tl.ussl_read_exact(s, self.SIZE), data)
        s.close()
        peer.join(T)
        self.assertIsNone(peer.error)
        self.assertEqual(peer.result, b"")


if __name__ == "__main__":
    unittest.main()
