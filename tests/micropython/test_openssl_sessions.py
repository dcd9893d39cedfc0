# test_openssl_sessions.py - ALPN and session resumption against
# `openssl s_server -rev -alpn x-amzn-mqtt-ca,http/1.1` (started by run.sh
# on 127.0.0.1:$USSL_PORT).  Run twice, as two MicroPython processes:
#   USSL_PHASE=save    ALPN agreed; a full handshake whose session goes to
#                      the file $USSL_SESSION_FILE; resumed in-process,
#                      from SSLSession and from the context's cache
#   USSL_PHASE=resume  a NEW process: the session read back from the file
#                      resumes; for another host or damaged it does not
import os
import socket
import tls
from mptest import check, data, done, raises

PORT = int(os.getenv("USSL_PORT"))
ADDR = socket.getaddrinfo("127.0.0.1", PORT)[0][-1]
PATH = os.getenv("USSL_SESSION_FILE")
PHASE = os.getenv("USSL_PHASE")
CA = data("ca.pem")


def client_ctx(alpn=None):
    ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(CA)
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx


def connect(ctx, host="localhost", session=None):
    sock = socket.socket()
    sock.connect(ADDR)
    if session is None:
        return ctx.wrap_socket(sock, server_hostname=host)
    return ctx.wrap_socket(sock, server_hostname=host, session=session)


def echo(s):
    s.write(b"hello ussl\n")
    return s.readline() == b"lssu olleh\n"


if PHASE == "save":
    ctx = client_ctx(["mqtt", "x-amzn-mqtt-ca"])
    s = connect(ctx)
    check("openssl alpn: x-amzn-mqtt-ca agreed",
          s.selected_alpn_protocol() == "x-amzn-mqtt-ca",
          repr(s.selected_alpn_protocol()))
    check("openssl session: first handshake full", not s.session_reused)
    sess = s.session
    check("openssl session: SSLSession after a TLS 1.2 handshake"
          " (1.3: after the data)", sess is not None or
          s.cipher()[1] == "TLSv1.3")
    check("openssl: echo", echo(s))
    sess = s.session or sess
    s.close()
    with open(PATH, "wb") as f:
        f.write(bytes(sess))
    s = connect(client_ctx(), session=tls.SSLSession(bytes(sess)))
    check("openssl session: resumed in the same process", s.session_reused)
    check("openssl session: echo after resumption", echo(s))
    s.close()
    # The context's cache: the first connection stored its session.
    s = connect(ctx)
    check("openssl cache: resumed without session=", s.session_reused)
    check("openssl cache: ALPN again on a resumed handshake",
          s.selected_alpn_protocol() == "x-amzn-mqtt-ca")
    echo(s)
    s.close()
    check("openssl cache: a hit", ctx.session_stats()["hits"] >= 1,
          repr(ctx.session_stats()))
elif PHASE == "resume":
    with open(PATH, "rb") as f:
        blob = f.read()
    sess = tls.SSLSession(blob)
    s = connect(client_ctx(["x-amzn-mqtt-ca"]), session=sess)
    check("openssl session: resumed in a new process from the file",
          s.session_reused)
    check("openssl session: ALPN in the new process",
          s.selected_alpn_protocol() == "x-amzn-mqtt-ca")
    check("openssl session: echo in the new process", echo(s))
    s.close()
    s = connect(client_ctx(), host="127.0.0.1", session=sess)
    check("openssl session: another host: full, verified",
          not s.session_reused and echo(s))
    s.close()
    bad = bytearray(blob)
    bad[len(bad) // 2] ^= 0x40
    sock = socket.socket()
    sock.connect(ADDR)
    raises("openssl session: damaged file: ValueError", ValueError,
           client_ctx().wrap_socket, sock, server_hostname="localhost",
           session=tls.SSLSession(bad))
    sock.close()
else:
    check("USSL_PHASE set", False, repr(PHASE))
done()
