# handshake_time.py - per-connection time of a MicroPython TLS client
# (connect + handshake + 5-byte echo, TCP_NODELAY set, EC P-256 server
# certificate) against a CPython ssl echo server on 127.0.0.1; a
# measurement for docs/micropython.md, not a test.
#
#   python3 scripts/micropython/handshake_time.py serve CERTDIR PORT N &
#   MICROPY -c "..."   (run by `... client`, see below)
#   micropython scripts/micropython/handshake_time.py client PORT N
# The server serves N connections; the client prints the median and the
# range of N sequential connections in ms.
import sys

if sys.argv[1] == "serve":
    import socket, ssl
    certs, port, n = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(certs + "/server-ec-chain.pem", certs + "/server-ec.key")
    srv = socket.create_server(("127.0.0.1", port))
    for i in range(n):
        c, _ = srv.accept()
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            with ctx.wrap_socket(c, server_side=True) as s:
                s.sendall(s.recv(5))
        except OSError:
            pass
else:
    import socket, time, tls
    port, n = int(sys.argv[2]), int(sys.argv[3])
    ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
    ctx.verify_mode = tls.CERT_NONE
    addr = socket.getaddrinfo("127.0.0.1", port)[0][-1]
    times = []
    for i in range(n):
        t0 = time.ticks_us()
        s = socket.socket()
        s.setsockopt(6, 1, 1)  # IPPROTO_TCP, TCP_NODELAY
        s.connect(addr)
        s = ctx.wrap_socket(s)
        s.write(b"hello")
        s.read(5)
        s.close()
        times.append(time.ticks_diff(time.ticks_us(), t0) / 1000)
    times.sort()
    print("median %.1f ms, min %.1f, max %.1f (%d connections)" % (
        times[len(times) // 2], times[0], times[-1], n))
