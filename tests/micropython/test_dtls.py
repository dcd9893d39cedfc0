# test_dtls.py - DTLS 1.2 in the tls module: PROTOCOL_DTLS_* contexts
# over an in-memory datagram pair and over connected UDP sockets, the
# stock module's "hello verify required" turn (OSError -0x6A80, cookie
# tied to the SSLContext and to client_id), client_id checks, replayed
# and altered datagrams dropped while the connection goes on, and one
# send per datagram.  Over UDP: MicroPython's multi_net
# tls_dtls_server_client.py (scripts/micropython/unix.sh).
import io
import tls
from mptest import check, data, done, raises

CA = data("ca.pem")
CHAIN = data("server-ec-chain.pem")
KEY = data("server-ec.key")
HVR = -0x6A80


class DgramPipe(io.IOBase):
    """One end of a datagram link: each write is one datagram."""

    def __init__(self):
        self.inq = []
        self.peer = None
        self.sent = 0

    def readinto(self, buf):
        if not self.inq:
            return None
        d = self.inq.pop(0)
        n = min(len(d), len(buf))
        buf[:n] = d[:n]
        return n

    def write(self, buf):
        self.sent += 1
        self.peer.inq.append(bytes(buf))
        return len(buf)

    def ioctl(self, req, arg):
        if req == 4:
            return 0
        if req == 3:
            return arg & 1 if self.inq else 0
        return -1

    @staticmethod
    def pair():
        a, b = DgramPipe(), DgramPipe()
        a.peer, b.peer = b, a
        return a, b


def server_ctx():
    ctx = tls.SSLContext(tls.PROTOCOL_DTLS_SERVER)
    ctx.load_cert_chain(CHAIN, KEY)
    return ctx


def client_ctx():
    ctx = tls.SSLContext(tls.PROTOCOL_DTLS_CLIENT)
    ctx.load_verify_locations(CA)
    return ctx


def step(sock, op):
    try:
        return op(sock)
    except OSError as e:
        return e


check("constants", tls.PROTOCOL_DTLS_CLIENT == 2
      and tls.PROTOCOL_DTLS_SERVER == 3)

# --- the cookie turn, in memory -------------------------------------------
sctx = server_ctx()
cio, sio = DgramPipe.pair()
c = client_ctx().wrap_socket(cio, server_hostname="localhost",
                             do_handshake_on_connect=False)
raises("server without client_id", OSError, sctx.wrap_socket, sio,
       server_side=True, do_handshake_on_connect=False)
raises("client_id not bytes", OSError, sctx.wrap_socket, sio,
       server_side=True, do_handshake_on_connect=False, client_id=4)
s = sctx.wrap_socket(sio, server_side=True, do_handshake_on_connect=False,
                     client_id=b"10.0.0.2:4000")
check("client: hello sent", c.write(b"x") is None and len(sio.inq) == 1)
first_hello = sio.inq[0]
r = step(s, lambda k: k.read(100))
check("server: hello verify required", isinstance(r, OSError)
      and r.args[0] == HVR, repr(r))
check("server: HelloVerifyRequest sent", len(cio.inq) == 1)
check("client: hello with the cookie", c.write(b"x") is None
      and len(sio.inq) == 1)
# Another server socket, another client id: the cookie is refused.
s2 = sctx.wrap_socket(sio, server_side=True, do_handshake_on_connect=False,
                      client_id=b"10.0.0.3:4000")
with_cookie = sio.inq[0]
r = step(s2, lambda k: k.read(100))
check("cookie bound to client_id", isinstance(r, OSError)
      and r.args[0] == HVR, repr(r))
# A server of another context: refused too.
sio.inq.append(with_cookie)
s3 = server_ctx().wrap_socket(sio, server_side=True,
                              do_handshake_on_connect=False,
                              client_id=b"10.0.0.2:4000")
r = step(s3, lambda k: k.read(100))
check("cookie bound to the context", isinstance(r, OSError)
      and r.args[0] == HVR, repr(r))
# The client that never returns the cookie: HelloVerifyRequests only.
for i in range(3):
    sio.inq.append(first_hello)
    s4 = sctx.wrap_socket(sio, server_side=True,
                          do_handshake_on_connect=False,
                          client_id=b"10.0.0.2:4000")
    r = step(s4, lambda k: k.read(100))
    check("no cookie, no state %d" % i, isinstance(r, OSError)
          and r.args[0] == HVR, repr(r))
cio.inq.clear()
# The right id on a new socket of the same context: accepted.
sio.inq.append(with_cookie)
s = sctx.wrap_socket(sio, server_side=True, do_handshake_on_connect=False,
                     client_id=b"10.0.0.2:4000")
done_c = done_s = False
for i in range(20):
    if not done_c:
        done_c = c.write(b"ping") == 4
    got = step(s, lambda k: k.read(100))
    if got == b"ping":
        done_s = True
    if done_c and done_s:
        break
check("handshake after the cookie", done_c and done_s)
check("version", c.cipher()[1] == "DTLSv1.2", repr(c.cipher()))

# --- one write, one datagram; replays and damage dropped ------------------
n = cio.sent
c.write(b"one")
c.write(b"two")
check("one datagram per write", cio.sent == n + 2)
check("records in order, one per recv()", s.recv(100) == b"one"
      and s.recv(100) == b"two")
c.write(b"three")
sio.inq.append(sio.inq[0])          # a replay
check("replayed: once", s.read(100) == b"three" and s.read(100) is None)
c.write(b"four")
d = bytearray(sio.inq[0])
d[-1] ^= 1
sio.inq[0] = bytes(d)
check("altered: dropped", s.read(100) is None)
c.write(b"five")
check("alive after damage", s.read(100) == b"five")
s.write(b"back")
check("server to client", c.read(100) == b"back")
r = step(c, lambda k: k.write(bytes(5000)))
check("larger than a record: refused", isinstance(r, OSError), repr(r))
check("still usable", c.write(b"six") == 3 and s.read(100) == b"six")
c.close()
s.close()

done()
