# test_server.py - a MicroPython TLS server (tls module, default
# configuration) for the clients run.sh starts against it: `openssl
# s_client` with default options, curl, and CPython's ssl default context
# (each offers TLS 1.3 and 1.2).  Listens on 127.0.0.1:$USSL_PORT, writes
# "ready" to $USSL_READY once listening, serves $USSL_CLIENTS connections:
# an HTTP request gets an HTTP answer, any other line comes back reversed.
# One PASS/FAIL line per connection, naming the client it said it was.
import os
import socket
import tls
from mptest import check, data, done

PORT = int(os.getenv("USSL_PORT"))
N = int(os.getenv("USSL_CLIENTS"))
ctx = tls.SSLContext(tls.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(data("server-ec-chain.pem"), data("server-ec.key"))
names = set(ctx.get_ciphers())

srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(socket.getaddrinfo("127.0.0.1", PORT)[0][-1])
srv.listen(4)
with open(os.getenv("USSL_READY"), "w") as f:
    f.write("ready\n")

for i in range(N):
    sock, _ = srv.accept()
    sock.settimeout(20)
    try:
        s = ctx.wrap_socket(sock, server_side=True)
    except Exception as e:
        sock.close()
        check("server: connection %d handshake" % i, False, repr(e))
        continue
    try:
        line = s.readline()
        suite, version = s.cipher()
        if line.startswith(b"GET "):
            who = "curl"
            while line not in (b"\r\n", b"\n", b""):
                line = s.readline()
            s.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
                    b"Content-Length: 5\r\n\r\nussl\n")
        else:
            who = line.strip().decode()
            s.write(bytes(reversed(line.strip())) + b"\n")
        check("server: %s handshake (%s)" % (who, version), True)
        check("server: %s cipher() name is one get_ciphers() lists" % who,
              suite in names, suite)
        s.close()
    except Exception as e:
        check("server: connection %d" % i, False, repr(e))
        s.close()
srv.close()
done()
