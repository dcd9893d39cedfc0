# handshake_time.py - per-connection time of a MicroPython TLS client
# (connect + handshake + 5-byte echo, TCP_NODELAY set, EC P-256 server
# certificate) against a CPython ssl echo server on 127.0.0.1, full
# handshakes and handshakes resuming a saved session (tls.SSLSession:
# ours only, the stock module has no sessions); a measurement for
# docs/micropython.md, not a test.
#
#   python3 scripts/micropython/handshake_time.py table CERTDIR N MICROPY...
#       serves, runs each MicroPython binary as a client (full, then
#       resumed) and prints a table of medians and ranges in ms
#   python3 scripts/micropython/handshake_time.py serve CERTDIR PORT N &
#   micropython scripts/micropython/handshake_time.py client PORT N [resumed]
# The server serves N connections; the client prints the median and the
# range of N sequential connections in ms ("resumed": one full handshake
# first, whose session every measured connection offers; "n/a" without
# tls.SSLSession, or if a connection did not resume).
import sys

if sys.argv[1] == "serve":
    import socket, ssl
    certs, port, n = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(certs + "/server-ec-chain.pem", certs + "/server-ec.key")
    srv = socket.create_server(("127.0.0.1", port))
    print("ready", flush=True)
    for i in range(n):
        c, _ = srv.accept()
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            with ctx.wrap_socket(c, server_side=True) as s:
                s.sendall(s.recv(5))
        except OSError:
            pass
elif sys.argv[1] == "table":
    import os, socket, subprocess
    certs, n, binaries = sys.argv[2], int(sys.argv[3]), sys.argv[4:]
    me = os.path.abspath(__file__)
    print("| binary | full: median (min-max) ms | resumed: median (min-max) ms |")
    print("| --- | --- | --- |")
    for mp in binaries:
        row = [mp]
        for mode in ("full", "resumed"):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            s.close()
            # The resumed run makes one full handshake first.
            conns = n + (1 if mode == "resumed" else 0)
            srv = subprocess.Popen([sys.executable, me, "serve", certs,
                                    str(port), str(conns)],
                                   stdout=subprocess.PIPE, text=True)
            try:
                srv.stdout.readline()       # "ready": listening
                out = subprocess.run([mp, me, "client", str(port), str(n),
                                      mode], capture_output=True, text=True,
                                     timeout=600).stdout.strip()
            finally:
                srv.kill()
                srv.wait()
            row.append(out.splitlines()[-1] if out else "failed")
        print("| " + " | ".join(row) + " |")
else:
    import socket, time, tls
    port, n = int(sys.argv[2]), int(sys.argv[3])
    resumed = len(sys.argv) > 4 and sys.argv[4] == "resumed"
    ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
    ctx.verify_mode = tls.CERT_NONE
    addr = socket.getaddrinfo("127.0.0.1", port)[0][-1]

    def one(session=None):
        s = socket.socket()
        s.setsockopt(6, 1, 1)  # IPPROTO_TCP, TCP_NODELAY
        s.connect(addr)
        if session is None:
            s = ctx.wrap_socket(s)
        else:
            s = ctx.wrap_socket(s, session=session)
        s.write(b"hello")
        s.read(5)
        return s

    session = None
    if resumed:
        if not hasattr(tls, "SSLSession"):
            print("n/a (no tls.SSLSession)")
            sys.exit(0)
        s = one()
        session = s.session
        s.close()
    times = []
    for i in range(n):
        t0 = time.ticks_us()
        s = one(session)
        if resumed and not s.session_reused:
            print("n/a (not resumed)")
            sys.exit(0)
        s.close()
        times.append(time.ticks_diff(time.ticks_us(), t0) / 1000)
    times.sort()
    print("%.1f (%.1f-%.1f), %d connections" % (
        times[len(times) // 2], times[0], times[-1], n))
