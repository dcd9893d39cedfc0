# test_psk.py - pre-shared keys in the tls module, client and server in
# one process over an in-memory stream pair (no network, no files): the
# attributes psk_identity, psk_key and server_psk_keys as MicroPython's
# own module has them (defaults None, read back, OSError for a key over
# 48 bytes whichever is set last), a dict and an object with get(),
# binary identities, no certificate on a PSK connection; refusals: wrong
# key, unknown identity, a lookup that raises or returns a non-key, a PSK
# client against a certificate server it trusts, a certificate client
# against a PSK server that has a certificate.
import tls
from mptest import Pipe, check, data, done, handshake, raises

ID = b"micropython"
KEY = b"secret-shared-key"


def client(ident=ID, key=KEY):
    ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
    ctx.psk_identity = ident
    ctx.psk_key = key
    return ctx


def server(keys=None):
    ctx = tls.SSLContext(tls.PROTOCOL_TLS_SERVER)
    ctx.server_psk_keys = {ID: KEY} if keys is None else keys
    return ctx


def connect(sctx, cctx, host="micropython.local"):
    # (ok, client socket, server socket): both handshakes done, or not.
    # A client that verifies (the default) needs a server_hostname, as
    # with the stock module, PSK or not.
    cio, sio = Pipe.pair()
    c = cctx.wrap_socket(cio, server_hostname=host,
                         do_handshake_on_connect=False)
    s = sctx.wrap_socket(sio, server_side=True,
                         do_handshake_on_connect=False)
    try:
        ok = handshake(c, s) < 50
    except OSError:
        ok = False
    return ok, c, s


# --- attributes -----------------------------------------------------------
ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
check("defaults are None", (ctx.psk_identity, ctx.psk_key,
                            ctx.server_psk_keys) == (None, None, None))
ctx.psk_identity = b"micropython"
ctx.psk_key = b"secret-shared-key"
ctx.server_psk_keys = {b"micropython": b"secret-shared-key"}
check("read back", (ctx.psk_identity, ctx.psk_key, ctx.server_psk_keys) ==
      (b"micropython", b"secret-shared-key",
       {b"micropython": b"secret-shared-key"}))
raises("a 49-byte key: OSError", OSError, setattr, ctx, "psk_key", b"x" * 49)
check("a refused key changes nothing", ctx.psk_key == b"secret-shared-key")
ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
ctx.psk_key = b"x" * 49
check("a key alone is kept", ctx.psk_key == b"x" * 49)
raises("the long key refused once the identity comes", OSError, setattr,
       ctx, "psk_identity", b"micropython")
raises("a key of another type: TypeError", TypeError, setattr, ctx,
       "psk_key", 12345)
raises("an identity of another type: TypeError", TypeError, setattr, ctx,
       "psk_identity", 12345)
ctx.psk_key = KEY
ctx.psk_identity = "text identity"
check("a str identity", ctx.psk_identity == "text identity")

# --- handshakes -----------------------------------------------------------
ok, c, s = connect(server(), client(), host="micropython.local")
check("PSK handshake (client verifies by default, no CA)", ok)
if ok:
    check("data client to server", c.write(b"ping") == 4 and
          s.read(4) == b"ping")
    check("data server to client", s.write(b"pong") == 4 and
          c.read(4) == b"pong")
    check("no certificate either way",
          c.getpeercert(True) is None and s.getpeercert(True) is None)
    check("a PSK suite or TLS 1.3", "PSK" in c.cipher()[0] or
          c.cipher()[1] == "TLSv1.3", repr(c.cipher()))
    c.close()
    s.close()

seen = []


class Store:
    def get(self, identity):
        seen.append(identity)
        return KEY if identity == b"\xff\xfe\xfd" else None


ok, c, s = connect(server(Store()), client(b"\xff\xfe\xfd"))
check("binary identity, object with get()", ok)
check("get() saw the identity as bytes", b"\xff\xfe\xfd" in seen, repr(seen))


class Raises:
    def get(self, identity):
        raise ValueError("no")


class NotAKey:
    def get(self, identity):
        return 12345


for name, sctx, cctx in (
        ("wrong key", server(), client(key=b"wrong-key")),
        ("unknown identity", server(), client(ident=b"stranger")),
        ("unknown identity (get)", server(Store()), client()),
        ("get() raises", server(Raises()), client()),
        ("get() returns a non-key", server(NotAKey()), client()),
        ("no get()", server(object()), client())):
    ok, c, s = connect(sctx, cctx)
    check("refused: " + name, not ok)

# No fallback to certificates, either way.
CA = data("ca.pem")
CHAIN = data("server-ec-chain.pem")
SKEY = data("server-ec.key")
cert_server = tls.SSLContext(tls.PROTOCOL_TLS_SERVER)
cert_server.load_cert_chain(CHAIN, SKEY)
cctx = client()
cctx.load_verify_locations(CA)
ok, c, s = connect(cert_server, cctx, host="localhost")
check("refused: PSK client, trusted certificate server", not ok)
sctx = server()
sctx.load_cert_chain(CHAIN, SKEY)
cert_client = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
cert_client.load_verify_locations(CA)
ok, c, s = connect(sctx, cert_client, host="localhost")
check("refused: certificate client, PSK server with a certificate", not ok)
sctx.server_psk_keys = None
ok, c, s = connect(sctx, cert_client, host="localhost")
check("the same pair connects once the PSK is removed", ok)

done()
