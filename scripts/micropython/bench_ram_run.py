#!/usr/bin/env python3
"""bench_ram_run.py - RAM per TLS connection in MicroPython's unix port,
ours and the stock module side by side, in one run.

Runs scripts/micropython/bench_ram.py in each binary against peers it
starts on 127.0.0.1:
  - `openssl s_server` (one per held client connection): honours a
    client's max_fragment_length (RFC 6066) and otherwise sends 16 KB
    records;
  - tests/micropython/nomfl_server.go (Go's crypto/tls, `go run`): ignores
    max_fragment_length and sends 16 KB records;
  - `openssl s_client` (one per held server connection), with and
    without -maxfraglen.
Each connection sends 16 KB and receives 16 KB before it is held.  Rows:
per held connection (heap in use / connections, all held at once) and
the handshake peak (the least usable heap, -X heapsize, that completes
one handshake and exchange, less the heap in use just before it).

Usage: bench_ram_run.py OURS STOCK OUT.json   (binaries: unix coverage
builds of build-micropython/; BENCH_N=n connections per row, default 8)
Prints the table and writes OUT.json (a list of rows).
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCRIPT = os.path.join(HERE, "bench_ram.py")
GO_SERVER = os.path.join(ROOT, "tests", "micropython", "nomfl_server.go")
N = int(os.getenv("BENCH_N") or "8")
BYTES = 16384
MFL = 1024


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def make_certs(d):
    c, k = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-new", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-subj", "/CN=localhost", "-days", "30",
                    "-keyout", k, "-out", c],
                   check=True, capture_output=True)
    subprocess.run(["openssl", "x509", "-in", c, "-outform", "der",
                    "-out", c[:-4] + ".der"], check=True)
    subprocess.run(["openssl", "pkey", "-in", k, "-outform", "der",
                    "-out", k[:-4] + ".der"], check=True)
    return c, k


class Peers:
    """Processes started for one measurement, stopped by PID."""

    def __init__(self):
        self.procs = []

    def start(self, args, data=None, **kw):
        p = subprocess.Popen(args, stdin=subprocess.PIPE, **kw)
        if data is not None:
            p.stdin.write(data)
            p.stdin.flush()
        self.procs.append(p)
        return p

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()
            for f in (p.stdin, p.stdout):
                if f:
                    f.close()
        self.procs = []


def wait_file(path, text, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with open(path, "rb") as f:
                if text in f.read():
                    return True
        except OSError:
            pass
        time.sleep(0.02)
    return False


def s_servers(peers, n, certs, work):
    """n `openssl s_server`, one connection each; their ports."""
    ports = []
    payload = bytes(97 + i % 26 for i in range(BYTES))
    for i in range(n):
        port = free_port()
        log = os.path.join(work, "s_server%d.log" % len(peers.procs))
        with open(log, "wb") as out:
            peers.start(["openssl", "s_server", "-accept", str(port),
                         "-naccept", "1", "-tls1_2", "-cert", certs[0],
                         "-key", certs[1]], data=payload, stdout=out,
                        stderr=subprocess.STDOUT)
        if not wait_file(log, b"ACCEPT"):
            raise RuntimeError("s_server did not start (%s)" % log)
        ports.append(port)
    return ports


def go_server(peers, certs, work):
    exe = os.path.join(work, "nomfl_server")
    if not os.path.exists(exe):
        env = dict(os.environ, GOCACHE=os.path.join(work, "gocache"),
                   GOPATH=os.path.join(work, "gopath"), GO111MODULE="off")
        subprocess.run(["go", "build", "-o", exe, GO_SERVER], check=True,
                       env=env, capture_output=True)
    p = peers.start([exe, certs[0], certs[1], str(BYTES)],
                    stdout=subprocess.PIPE)
    line = p.stdout.readline().decode()
    if not line.startswith("PORT "):
        raise RuntimeError("nomfl_server did not start")
    return int(line.split()[1])


def run_mp(binary, env, heap=None, timeout=120):
    args = [binary]
    if heap:
        args += ["-X", "heapsize=%d" % heap]
    e = dict(os.environ, **env)
    return subprocess.Popen(args + [SCRIPT], env=e, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)


def result(p, timeout=120):
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
        return None, "timeout: " + out.decode(errors="replace")[-300:]
    text = out.decode(errors="replace")
    for line in text.splitlines():
        if line.startswith("RESULT "):
            return dict(kv.split("=") for kv in line.split()[1:]), None
    return None, text.strip()[-300:]


def client_row(binary, peer, mfl, certs, work, probe=False, heap=None):
    peers = Peers()
    try:
        if peer == "openssl":
            ports = s_servers(peers, 1 if probe else N, certs, work)
        else:
            port = go_server(peers, certs, work)
            ports = [port] * (1 if probe else N)
        env = {"BENCH_ROLE": "probe-client" if probe else "client",
               "BENCH_PORTS": ",".join(map(str, ports)),
               "BENCH_MFL": str(mfl), "BENCH_BYTES": str(BYTES)}
        return result(run_mp(binary, env, heap))
    finally:
        peers.stop()


def server_row(binary, mfl, certs, work, probe=False, heap=None):
    peers = Peers()
    n = 1 if probe else N
    port = free_port()
    env = {"BENCH_ROLE": "probe-server" if probe else "server",
           "BENCH_PORT": str(port), "BENCH_N": str(n),
           "BENCH_CERT": certs[0][:-4] + ".der",
           "BENCH_KEY": certs[1][:-4] + ".der", "BENCH_BYTES": str(BYTES)}
    mp = run_mp(binary, env, heap)
    try:
        line = mp.stdout.readline()
        if not line.startswith(b"LISTENING"):
            mp.kill()
            return None, line.decode(errors="replace")
        payload = bytes(97 + i % 26 for i in range(BYTES))
        for _ in range(n):
            args = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
                    "-tls1_2", "-quiet"]
            if mfl:
                args += ["-maxfraglen", str(mfl)]
            peers.start(args, data=payload, stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL)
        return result(mp)
    finally:
        if mp.poll() is None:
            mp.kill()
            mp.wait()
        peers.stop()


def peak(measure):
    """Least usable heap that completes, less the heap in use before the
    handshake: bisection over -X heapsize in 256-byte steps."""
    lo, hi = 16 * 1024, 256 * 1024
    r, err = measure(hi)
    if r is None:
        return None, err
    best = r
    while hi - lo > 256:
        mid = (lo + hi) // 2 // 256 * 256
        r, _ = measure(mid)
        if r is None:
            lo = mid
        else:
            hi, best = mid, r
    return int(best["total"]) - int(best["before"]), None


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    builds = {"ours": sys.argv[1], "stock": sys.argv[2]}
    for what in ("openssl",):
        if not shutil.which(what):
            sys.exit("bench_ram: %s not found" % what)
    have_go = shutil.which("go") is not None
    work = tempfile.mkdtemp(prefix="ussl-bench-ram-")
    certs = make_certs(work)
    rows = []

    def add(key, label, fn, stock=True):
        row = {"key": key, "what": label}
        for name, binary in builds.items():
            if not os.access(binary, os.X_OK):
                row[name], row[name + "_note"] = None, "no binary"
                continue
            if name == "stock" and not stock:
                row[name], row[name + "_note"] = None, "cannot ask (no API)"
                continue
            v, err = fn(binary)
            row[name] = v
            if err:
                row[name + "_note"] = err.replace("\n", " ")[:200]
        rows.append(row)
        print("  %-58s ours %-8s stock %s" % (label, row.get("ours"),
                                               row.get("stock")), flush=True)

    def per_conn(res):
        r, err = res
        return (int(r["per_conn"]) if r else None), err

    try:
        add("client", "client, s_server (honours MFL), none asked",
            lambda b: per_conn(client_row(b, "openssl", 0, certs, work)))
        add("client_mfl", "client, s_server (honours MFL), MFL %d" % MFL,
            lambda b: per_conn(client_row(b, "openssl", MFL, certs, work)),
            stock=False)
        for m in (512, 2048):
            add("client_mfl%d" % m,
                "client, s_server (honours MFL), MFL %d" % m,
                lambda b, m=m: per_conn(client_row(b, "openssl", m, certs,
                                                   work)), stock=False)
        if have_go:
            add("client_ign", "client, Go server (ignores MFL), none asked",
                lambda b: per_conn(client_row(b, "go", 0, certs, work)))
            add("client_ign_mfl",
                "client, Go server (ignores MFL), MFL %d asked" % MFL,
                lambda b: per_conn(client_row(b, "go", MFL, certs, work)),
                stock=False)
        else:
            rows.append({"key": "client_ign", "what": "client, Go server",
                         "ours": None, "stock": None,
                         "ours_note": "go not installed",
                         "stock_note": "go not installed"})
            print("  client, Go server (ignores MFL): not run (no `go`)")
        add("server", "server, s_client, none asked",
            lambda b: per_conn(server_row(b, 0, certs, work)))
        add("server_cmfl", "server, s_client -maxfraglen %d" % MFL,
            lambda b: per_conn(server_row(b, MFL, certs, work)))
        add("peak_client", "handshake peak, client (s_server)",
            lambda b: peak(lambda h: client_row(b, "openssl", 0, certs,
                                                work, True, h)))
        add("peak_server", "handshake peak, server (s_client)",
            lambda b: peak(lambda h: server_row(b, 0, certs, work, True,
                                                h)))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    with open(sys.argv[3], "w") as f:
        json.dump({"n": N, "bytes": BYTES, "rows": rows}, f, indent=1)
    bad = [r for r in rows if r.get("ours") is None and
           "go not installed" not in r.get("ours_note", "")]
    for r in rows:
        for k in ("ours_note", "stock_note"):
            if r.get(k) and r.get(k.split("_")[0]) is None:
                print("  note %s %s: %s" % (r["key"], k.split("_")[0], r[k]))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
