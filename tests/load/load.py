#!/usr/bin/env python3
"""load.py - many concurrent TLS connections, some of them hostile,
against one non-blocking ussl server.

The script starts the server as a child process (this file with --serve):
ussl on 127.0.0.1, one `selectors` loop, every accepted socket wrapped
with do_handshake=False and driven by read/write returning None and
`want`.  The driver (this process) opens all the connections of a round
at once and runs them from one `selectors` loop as well:

  good      ussl client, verifies the server, sends SIZE bytes, gets back
            sha256(what it sent) + SIZE bytes derived from that digest,
            checks both, closes with close_notify
  garbage   raw TCP, sends random bytes instead of a ClientHello
  stall     raw TCP, sends the first bytes of a ClientHello, then nothing
  drop      ussl client that vanishes mid-handshake (FIN or RST) once the
            server has answered its ClientHello
  truncate  ussl client that sends half its data, then a bare FIN

A misbehaving connection counts as handled when the server ends it (the
driver sees EOF or a reset) and the server's own tally shows one error
per such connection.  Each round checks that every good connection got
verified data, that the server ends with no connection and no descriptor
left, and samples the server's resident memory (VmRSS, VmHWM) from /proc;
two or more rounds show whether memory comes back to the same level.

Everything is bounded: an overall deadline per round, a handshake/idle
timeout in the server, loopback only.  Exit status 0 when every check
passed.  --json prints the summary as one JSON line at the end (used by
tests/python/test_load_smoke.py).

Usage: PYTHONPATH=build/python python3 tests/load/load.py
           [--connections N] [--quick] [--rounds R] [--misbehave F]
           [--size BYTES] [--idle S] [--deadline S] [--api auto|context|wrap]
           [--resume] [--json]
(tests/load/README.md has the details.)
"""

import argparse
import collections
import errno
import hashlib
import json
import os
import random
import resource
import selectors
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "python"))

try:
    import ussl
except ImportError:                      # not on PYTHONPATH: the default tree
    sys.path.insert(0, os.path.join(ROOT, "build", "python"))
    import ussl

EV = {ussl.WANT_READ: selectors.EVENT_READ,
      ussl.WANT_WRITE: selectors.EVENT_WRITE}
DIGEST = 32
KINDS = ["good", "garbage", "stall", "drop", "truncate"]
BAD_KINDS = KINDS[1:]


def reply_for(digest, size):
    """What the server sends back for data whose sha256 is digest."""
    return digest + hashlib.shake_256(digest).digest(size)


def err_name(e):
    """A short name for an exception: E_* code, errno name, or class."""
    if isinstance(e, TimeoutError):
        return "timeout"
    if isinstance(e, OSError) and e.args and isinstance(e.args[0], int):
        code = e.args[0]
        for k, v in vars(ussl).items():
            if k.startswith("E_") and v == code:
                return k
        if e.errno is not None:
            return errno.errorcode.get(e.errno, str(e.errno))
    return type(e).__name__


def child_env():
    """The environment for a Python child that imports ussl.  In
    sanitizer builds the ASan runtime must be preloaded into every
    interpreter that loads the module (the test set-up keeps it out of
    other programs, so it is put back here)."""
    env = dict(os.environ)
    if env.get("USSL_ASAN_PRELOAD"):
        env["LD_PRELOAD"] = env["USSL_ASAN_PRELOAD"]
    return env


def raise_fd_limit(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < need:
        new = need if hard == resource.RLIM_INFINITY else min(need, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def proc_status(pid):
    """{'VmRSS': kB, 'VmHWM': kB} of a process."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0])
    return out


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


class Certs:
    """The test PKI (tests/certs/mkcerts.sh, via ussl_testlib)."""

    def __init__(self):
        import ussl_testlib
        self.chain = ussl_testlib.cert("server-ec-chain.pem")
        self.key = ussl_testlib.cert("server-ec.key")
        self.ca = ussl_testlib.cert("ca.pem")


def client_factory(ca_path, api, resume):
    """A function (sock) -> SSLSocket for verified, deferred-handshake
    clients: one shared SSLContext if the module has them (its session
    cache off unless resume), else the module-level wrap_socket() with
    the CA as data."""
    with open(ca_path, "rb") as f:
        ca = f.read()
    if api == "context" or (api == "auto" and hasattr(ussl, "SSLContext")):
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(cadata=ca)
        if not resume:
            ctx.options |= ussl.OP_NO_TICKET
        return lambda sock: ctx.wrap_socket(
            sock, server_hostname="localhost",
            do_handshake_on_connect=False), "SSLContext"
    return lambda sock: ussl.wrap_socket(
        sock, do_handshake=False, cert_reqs=ussl.CERT_REQUIRED, cadata=ca,
        server_hostname="localhost"), "wrap_socket"


def server_factory(chain, key, api):
    with open(chain, "rb") as f:
        cert_data = f.read()
    with open(key, "rb") as f:
        key_data = f.read()
    if api == "context" or (api == "auto" and hasattr(ussl, "SSLContext")):
        ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(chain, key)
        return lambda sock: ctx.wrap_socket(
            sock, server_side=True, do_handshake_on_connect=False)
    return lambda sock: ussl.wrap_socket(
        sock, server_side=True, do_handshake=False, key=key_data,
        cert=cert_data)


# ---------------------------------------------------------------------------
# Server (child process)


class SrvConn:
    def __init__(self, sock, s, now):
        self.sock = sock
        self.fd = sock.fileno()
        self.s = s
        self.phase = "recv"
        self.hash = hashlib.sha256()
        self.got = 0
        self.reply = None
        self.sent = 0
        self.active = now
        self.events = selectors.EVENT_READ
        self.hs_counted = False


class Server:
    def __init__(self, args):
        self.size = args.size
        self.idle = args.idle
        self.wrap = server_factory(args.chain, args.key, args.api)
        self.sel = selectors.DefaultSelector()
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(4096)
        self.lsock.setblocking(False)
        self.sel.register(self.lsock, selectors.EVENT_READ, "listen")
        self.sel.register(sys.stdin.fileno(), selectors.EVENT_READ, "stdin")
        self.conns = {}
        self.stats = collections.Counter()
        self.errors = collections.Counter()
        self.max_open = 0
        self.stdin_buf = b""
        self.running = True

    def say(self, obj):
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    def run(self):
        self.say({"port": self.lsock.getsockname()[1], "pid": os.getpid()})
        last_scan = time.monotonic()
        while self.running:
            for key, ev in self.sel.select(0.2):
                if key.data == "listen":
                    self.accept()
                elif key.data == "stdin":
                    self.command()
                else:
                    self.step(key.data)
            now = time.monotonic()
            if now - last_scan > 0.25:
                last_scan = now
                self.expire(now)

    def command(self):
        b = os.read(sys.stdin.fileno(), 4096)
        if not b:
            self.running = False
            return
        self.stdin_buf += b
        while b"\n" in self.stdin_buf:
            line, self.stdin_buf = self.stdin_buf.split(b"\n", 1)
            cmd = line.strip().decode()
            if cmd == "stats":
                st = proc_status(os.getpid())
                self.say({"stats": dict(self.stats),
                          "errors": dict(self.errors),
                          "open": len(self.conns),
                          "max_open": self.max_open,
                          "rss_kb": st["VmRSS"], "hwm_kb": st["VmHWM"],
                          "fds": fd_count(os.getpid())})
            elif cmd == "reset":
                self.stats.clear()
                self.errors.clear()
                self.max_open = len(self.conns)
                self.say({"reset": True})
            elif cmd == "quit":
                self.running = False

    def accept(self):
        for _ in range(256):
            try:
                sock, _ = self.lsock.accept()
            except BlockingIOError:
                return
            except OSError as e:     # EMFILE and the like: count, go on
                self.errors["accept:" + err_name(e)] += 1
                return
            sock.setblocking(False)
            # Small records (handshake flights, the reply after the last
            # read) must not wait for delayed ACKs: 40 ms each otherwise.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                s = self.wrap(sock)
            except OSError as e:
                self.errors["wrap:" + err_name(e)] += 1
                sock.close()
                continue
            c = SrvConn(sock, s, time.monotonic())
            self.conns[c.fd] = c
            self.sel.register(c.fd, c.events, c)
            self.stats["accepted"] += 1
            self.max_open = max(self.max_open, len(self.conns))

    def finish(self, c, outcome):
        self.sel.unregister(c.fd)
        del self.conns[c.fd]
        if outcome == "ok":
            self.stats["ok"] += 1
        else:
            self.errors[outcome] += 1
        try:
            c.s.close()
        except OSError:
            pass
        c.sock.close()

    def step(self, c):
        c.active = time.monotonic()      # the peer did something
        try:
            ev = self.advance(c)
        except OSError as e:
            self.count_handshake(c)
            self.finish(c, err_name(e))
            return
        except ValueError:
            self.finish(c, "bad-data")
            return
        if ev == 0:
            self.finish(c, "ok")
        elif ev != c.events:
            self.sel.modify(c.fd, ev, c)
            c.events = ev

    def count_handshake(self, c, data=False):
        # Application data means the handshake is done, whatever
        # handshake_done says by now (it reads False again once the
        # connection has failed, possibly in the call that returned it).
        if not c.hs_counted and (data or c.s.handshake_done):
            c.hs_counted = True
            self.stats["handshakes"] += 1

    def advance(self, c):
        """Progress as far as possible; the events to wait for, 0 when
        the exchange is complete."""
        s = c.s
        while True:
            if c.phase == "recv":
                b = s.read(min(65536, self.size - c.got))
                self.count_handshake(c, bool(b))
                if b is None:
                    return EV[s.want]
                if b == b"":
                    raise ValueError("end of stream before all data")
                c.active = time.monotonic()
                c.hash.update(b)
                c.got += len(b)
                if c.got == self.size:
                    c.reply = memoryview(reply_for(c.hash.digest(),
                                                   self.size))
                    c.phase = "send"
            elif c.phase == "send":
                n = s.write(c.reply[c.sent:])
                if n is None:
                    return EV[s.want]
                c.active = time.monotonic()
                c.sent += n
                if c.sent == len(c.reply):
                    c.phase = "drain"
            else:                       # wait for the client's close_notify
                b = s.read(4096)
                if b is None:
                    return EV[s.want]
                if b:
                    raise ValueError("data after the exchange")
                return 0

    def expire(self, now):
        """Close connections idle for longer than self.idle (slow peers,
        stalled handshakes) unless input is waiting for them."""
        old = [c for c in self.conns.values() if now - c.active > self.idle]
        if not old:
            return
        busy = set()
        poller = selectors.DefaultSelector()
        try:
            for c in old:
                poller.register(c.fd, c.events)
            busy = {k.fd for k, _ in poller.select(0)}
        finally:
            poller.close()
        for c in old:
            if c.fd not in busy:
                phase = c.phase if c.s.handshake_done else "handshake"
                self.finish(c, "idle-timeout:" + phase)


def serve(args):
    raise_fd_limit(args.fds)
    Server(args).run()


# ---------------------------------------------------------------------------
# Driver


class Client:
    """One connection of the driver, of one of KINDS."""

    def __init__(self, kind, idx, sock, payload=None, s=None):
        self.kind = kind
        self.idx = idx
        self.sock = sock
        self.fd = sock.fileno()
        self.s = s
        self.payload = payload
        self.phase = "start"
        self.sent = 0
        self.got = bytearray()
        self.events = 0
        self.result = None
        self.t_hs = None
        self.t_done = None


class Driver:
    def __init__(self, args):
        self.args = args
        self.certs = Certs()
        self.new_client, self.api = client_factory(self.certs.ca, args.api,
                                                   args.resume)
        self.rng = random.Random(args.seed)

    # -- server process ------------------------------------------------

    def start_server(self):
        argv = [sys.executable, os.path.abspath(__file__), "--serve",
                "--size", str(self.args.size), "--idle", str(self.args.idle),
                "--chain", self.certs.chain, "--key", self.certs.key,
                "--api", self.args.api, "--fds", str(self.args.fds)]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     env=child_env())
        hello = self.server_line(30)
        self.port = hello["port"]
        self.spid = self.proc.pid

    def server_line(self, timeout):
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        try:
            if not sel.select(timeout):
                raise RuntimeError("server silent for %ss" % timeout)
        finally:
            sel.close()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("server exited (%s)" % self.proc.poll())
        return json.loads(line)

    def server_cmd(self, cmd, timeout=30):
        self.proc.stdin.write(cmd.encode() + b"\n")
        self.proc.stdin.flush()
        return self.server_line(timeout)

    def stop_server(self):
        if getattr(self, "proc", None) is None:
            return
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(b"quit\n")
                self.proc.stdin.flush()
                self.proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.proc.poll() is None:
            os.kill(self.proc.pid, 9)
            self.proc.wait(10)

    def server_mem(self):
        try:
            return proc_status(self.spid)
        except OSError:
            return {"VmRSS": 0, "VmHWM": 0}

    def wait_server_idle(self, timeout):
        """Stats once the server holds no connection (or timeout)."""
        end = time.monotonic() + timeout
        while True:
            st = self.server_cmd("stats")
            if st["open"] == 0 or time.monotonic() > end:
                return st
            time.sleep(0.1)

    # -- connections ---------------------------------------------------

    def kinds(self, n):
        """n kinds: a share of misbehaving ones, spread evenly, in a
        shuffled order."""
        bad = int(round(n * self.args.misbehave))
        kinds = ["good"] * (n - bad) + [BAD_KINDS[i % len(BAD_KINDS)]
                                        for i in range(bad)]
        self.rng.shuffle(kinds)
        return kinds

    def open(self, kind, idx):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        if kind in ("good", "drop", "truncate"):
            payload = random.Random(idx).randbytes(self.args.size)
            c = Client(kind, idx, sock, payload, self.new_client(sock))
            c.events = selectors.EVENT_WRITE
        else:
            c = Client(kind, idx, sock)
            if kind == "garbage":
                sock.send(self.rng.randbytes(self.rng.randrange(64, 4096)))
            else:       # stall: the start of a record header, then silence
                sock.send(b"\x16\x03\x01\x02")
            c.events = selectors.EVENT_READ
        return c

    def step(self, c):
        """Advance c; the events to wait for, or 0 when it is finished
        (c.result set)."""
        try:
            return getattr(self, "step_" + c.kind)(c)
        except (OSError, ValueError) as e:
            if c.kind in BAD_KINDS and c.phase == "await-close":
                return self.server_closed(c)
            c.result = err_name(e)
            return 0

    def step_good(self, c):
        s = c.s
        while True:
            if c.phase in ("start", "send"):
                c.phase = "send"
                n = s.write(memoryview(c.payload)[c.sent:])
                if n is None:
                    return EV[s.want]
                if c.t_hs is None and s.handshake_done:
                    c.t_hs = time.monotonic()
                c.sent += n
                if c.sent == len(c.payload):
                    c.phase = "recv"
            else:
                b = s.read(65536)
                if b is None:
                    return EV[s.want]
                if b == b"":
                    raise ValueError("end of stream after %d bytes"
                                     % len(c.got))
                c.got += b
                if len(c.got) >= DIGEST + self.args.size:
                    want = reply_for(hashlib.sha256(c.payload).digest(),
                                     self.args.size)
                    c.result = "ok" if bytes(c.got) == want else "bad-data"
                    c.t_done = time.monotonic()
                    c.version = s.version()
                    c.resumed = bool(getattr(s, "session_reused", False))
                    s.close()
                    return 0

    def step_drop(self, c):
        s = c.s
        if c.phase == "start":
            r = s.do_handshake()
            if r is None and s.want == ussl.WANT_WRITE:
                return selectors.EVENT_WRITE
            c.phase = "wait-answer"
            return selectors.EVENT_READ
        # The server's first flight has arrived: vanish, nothing from
        # TLS.  Every other one with a RST; the rest with a FIN (what
        # arrived is read first: closing with unread input is a RST).
        if c.idx % 2:
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                              struct.pack("ii", 1, 0))
        else:
            try:
                while c.sock.recv(65536):
                    pass
            except OSError:
                pass
        c.sock.close()
        s.close()
        c.result = "ok"
        return 0

    def step_truncate(self, c):
        s = c.s
        if c.phase in ("start", "send"):
            c.phase = "send"
            half = len(c.payload) // 2
            while c.sent < half:
                n = s.write(memoryview(c.payload)[c.sent:half])
                if n is None:
                    return EV[s.want]
                c.sent += n
            c.sock.shutdown(socket.SHUT_WR)        # bare FIN
            c.phase = "await-close"
            return selectors.EVENT_READ
        return self.await_close(c)

    def step_garbage(self, c):
        c.phase = "await-close"
        return self.await_close(c)

    step_stall = step_garbage

    def await_close(self, c):
        """Read (raw, discarding: alerts, tickets) until the server ends
        the connection."""
        while True:
            b = c.sock.recv(65536)
            if not b:
                return self.server_closed(c)

    def server_closed(self, c):
        c.result = "ok"
        c.t_done = time.monotonic()
        return 0

    def close(self, c):
        try:
            if c.s is not None:
                c.s.close()
        except OSError:
            pass
        c.sock.close()

    # -- a round -------------------------------------------------------

    def round(self, n):
        kinds = self.kinds(n)
        mem0 = self.server_mem()
        sel = selectors.DefaultSelector()
        t0 = time.monotonic()
        deadline = t0 + self.args.deadline
        clients = []
        for i, kind in enumerate(kinds):
            c = self.open(kind, i)
            clients.append(c)
            sel.register(c.fd, c.events, c)
        t_open = time.monotonic() - t0
        pending = set(clients)
        peak = mem0.get("VmRSS", 0)
        next_sample = 0.0
        while pending and time.monotonic() < deadline:
            for key, _ev in sel.select(0.2):
                c = key.data
                ev = self.step(c)
                if ev == 0:
                    sel.unregister(c.fd)
                    pending.discard(c)
                    self.close(c)
                elif ev != c.events:
                    sel.modify(c.fd, ev, c)
                    c.events = ev
            now = time.monotonic()
            if now >= next_sample:
                next_sample = now + 0.1
                peak = max(peak, self.server_mem().get("VmRSS", 0))
        t_end = time.monotonic()
        for c in pending:
            c.result = "deadline"
            sel.unregister(c.fd)
            self.close(c)
        sel.close()
        left = ["%s#%d(%s)" % (c.kind, c.idx, c.result) for c in clients
                if c.sock.fileno() != -1]
        st = self.wait_server_idle(10)
        mem1 = self.server_mem()
        good = [c for c in clients if c.kind == "good"]
        good_ok = [c for c in good if c.result == "ok"]
        last = max((c.t_done for c in good_ok), default=t_end)
        by_kind = {k: collections.Counter(c.result for c in clients
                                          if c.kind == k) for k in KINDS}
        return {
            "connections": n,
            "by_kind": {k: dict(v) for k, v in by_kind.items() if v},
            "open_s": round(t_open, 3),
            "good_s": round(last - t0, 3),
            "total_s": round(t_end - t0, 3),
            "handshakes_per_s": round(len(good_ok) / max(last - t0, 1e-6),
                                      1),
            "resumed": sum(getattr(c, "resumed", False) for c in good_ok),
            "server": st,
            "rss_before_kb": mem0.get("VmRSS", 0),
            "rss_peak_kb": peak,
            "rss_after_kb": mem1.get("VmRSS", 0),
            "hwm_kb": mem1.get("VmHWM", 0),
            "version": self.version,
            "driver_left_open": left,
            "driver_sockets": self.open_sockets(),
        }

    @staticmethod
    def open_sockets():
        n = 0
        for x in os.listdir("/proc/self/fd"):
            try:
                n += os.readlink("/proc/self/fd/" + x).startswith("socket:")
            except OSError:
                pass
        return n

    def probe_version(self):
        """One good connection first: the negotiated version, and the
        server warmed up (imports, first allocations)."""
        c = self.open("good", 10 ** 6)
        sel = selectors.DefaultSelector()
        sel.register(c.fd, c.events, c)
        end = time.monotonic() + 10
        ev = c.events
        while ev and time.monotonic() < end:
            if sel.select(0.5):
                ev = self.step(c)
                if ev:
                    sel.modify(c.fd, ev, c)
        self.version = getattr(c, "version", None)
        sel.close()
        self.close(c)
        if c.result != "ok":
            raise RuntimeError("probe connection failed: %s" % c.result)


def check_round(r, args, idle_fds):
    """Problems found in one round's figures."""
    bad = []
    n_kind = collections.Counter()
    for k, v in r["by_kind"].items():
        n_kind[k] = sum(v.values())
        failed = {x: y for x, y in v.items() if x != "ok"}
        if failed:
            bad.append("%s: %s" % (k, failed))
    if r["driver_left_open"] or r["driver_sockets"]:
        bad.append("driver sockets left open: %d %s" % (
            r["driver_sockets"], r["driver_left_open"][:10]))
    srv = r["server"]
    if srv["open"] != 0:
        bad.append("server still holds %d connections" % srv["open"])
    if srv["stats"].get("ok", 0) != n_kind["good"]:
        bad.append("server completed %d exchanges for %d good clients"
                   % (srv["stats"].get("ok", 0), n_kind["good"]))
    n_bad = sum(n_kind[k] for k in BAD_KINDS)
    if sum(srv["errors"].values()) != n_bad:
        bad.append("server counted %d failed connections for %d "
                   "misbehaving clients" % (sum(srv["errors"].values()),
                                            n_bad))
    if srv["fds"] > idle_fds:
        bad.append("server has %d descriptors, %d when idle"
                   % (srv["fds"], idle_fds))
    return bad


def print_report(rounds, args, drv, problems, out):
    w = out.write
    w("\nussl load test: %s, %s, %s, %d connections per round "
      "(%.0f%% misbehaving), %d bytes each way\n"
      % (ussl.MBEDTLS_VERSION, rounds[0]["version"], drv.api,
         args.connections, 100 * args.misbehave, args.size))
    w("\n%-10s" % "kind" + "".join("%12s" % ("round %d" % (i + 1))
                                   for i in range(len(rounds))) + "\n")
    for k in KINDS:
        if not any(k in r["by_kind"] for r in rounds):
            continue
        cells = []
        for r in rounds:
            v = r["by_kind"].get(k, {})
            cells.append("%d/%d ok" % (v.get("ok", 0), sum(v.values())))
        w("%-10s" % k + "".join("%12s" % x for x in cells) + "\n")
    rows = [
        ("open (s)", "open_s", "%.2f"),
        ("good done (s)", "good_s", "%.2f"),
        ("round (s)", "total_s", "%.2f"),
        ("handshakes/s", "handshakes_per_s", "%.0f"),
        ("of them resumed", "resumed", "%d"),
        ("srv RSS before (MB)", "rss_before_kb", None),
        ("srv RSS peak (MB)", "rss_peak_kb", None),
        ("srv RSS after (MB)", "rss_after_kb", None),
        ("srv VmHWM (MB)", "hwm_kb", None),
    ]
    for label, key, fmt in rows:
        cells = []
        for r in rounds:
            v = r[key]
            cells.append("%.1f" % (v / 1024.0) if fmt is None else fmt % v)
        w("%-20s" % label + "".join("%10s" % x for x in cells) + "\n")
    w("%-20s" % "srv max open" + "".join(
        "%10d" % r["server"]["max_open"] for r in rounds) + "\n")
    for i, r in enumerate(rounds):
        w("round %d server: %s; failures: %s\n" % (
            i + 1, r["server"]["stats"],
            dict(sorted(r["server"]["errors"].items()))))
    w("result: %s\n" % ("PASS" if not problems else
                        "FAIL\n  " + "\n  ".join(problems)))


def drive(args):
    raise_fd_limit(args.fds)
    drv = Driver(args)
    problems, rounds = [], []
    try:
        drv.start_server()
        drv.probe_version()
        st = drv.wait_server_idle(10)
        idle_fds = st["fds"]
        for i in range(args.rounds):
            drv.server_cmd("reset")
            r = drv.round(args.connections)
            rounds.append(r)
            problems += ["round %d: %s" % (i + 1, p)
                         for p in check_round(r, args, idle_fds)]
        if len(rounds) >= 2:
            # Bounded memory: later rounds reuse what the first one took.
            first = rounds[0]["rss_after_kb"]
            last = rounds[-1]["rss_after_kb"]
            peak1 = rounds[0]["rss_peak_kb"]
            allowed = max(8 * 1024, (peak1 - rounds[0]["rss_before_kb"])
                          // 4)
            if last - first > allowed:
                problems.append("server RSS grew by %d kB from round 1 to "
                                "round %d (allowed %d kB)"
                                % (last - first, len(rounds), allowed))
    finally:
        drv.stop_server()
    out = sys.stderr if args.json else sys.stdout
    print_report(rounds, args, drv, problems, out)
    if args.json:
        print(json.dumps({"ok": not problems, "problems": problems,
                          "rounds": rounds, "engine": ussl.MBEDTLS_VERSION,
                          "api": drv.api}))
    return 0 if not problems else 1


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--connections", type=int, default=None,
                   help="connections per round, all at once "
                        "(default 1000, quick 100)")
    p.add_argument("--quick", action="store_true",
                   help="a short run: 100 connections")
    p.add_argument("--rounds", type=int, default=2,
                   help="rounds (memory is compared between them)")
    p.add_argument("--misbehave", type=float, default=0.10,
                   help="share of misbehaving connections (default 0.10)")
    p.add_argument("--size", type=int, default=16384,
                   help="bytes each way per good connection")
    p.add_argument("--deadline", type=float, default=None,
                   help="seconds a round may take (default 3 * idle + "
                        "connections / 10)")
    p.add_argument("--idle", type=float, default=None,
                   help="server: close connections idle this long "
                        "(default 3 + connections / 50)")
    p.add_argument("--api", choices=["auto", "context", "wrap"],
                   default="auto",
                   help="SSLContext.wrap_socket or the module-level "
                        "wrap_socket (auto: SSLContext if there is one)")
    p.add_argument("--resume", action="store_true",
                   help="let clients resume sessions (SSLContext only; "
                        "default: every handshake is a full one)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", action="store_true",
                   help="summary as one JSON line on stdout (the table "
                        "goes to stderr)")
    # Internal: the server process.
    p.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--chain", help=argparse.SUPPRESS)
    p.add_argument("--key", help=argparse.SUPPRESS)
    p.add_argument("--fds", type=int, default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.connections is None:
        args.connections = 100 if args.quick else 1000
    # One loop serves every connection on each side, so the time between
    # two steps of a connection grows with their number: the server's
    # idle limit must too, or it cuts off good clients that simply wait
    # for their turn.
    if args.idle is None:
        args.idle = 3.0 + args.connections / 50.0
    if args.deadline is None:
        args.deadline = 3 * args.idle + args.connections / 10.0
    if args.fds is None:
        args.fds = 2 * args.connections + 256
    if args.serve:
        serve(args)
        return 0
    if args.idle >= args.deadline:
        p.error("--idle must be shorter than --deadline")
    return drive(args)


if __name__ == "__main__":
    sys.exit(main())
