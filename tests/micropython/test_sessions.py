# test_sessions.py - ALPN and session resumption in one MicroPython
# process over an in-memory stream pair (no network: also for firmware
# under QEMU).  ALPN: agreement, errors as CPython's, no agreement.
# Sessions: a full then a resumed handshake, SSLSession to bytes and
# back, the context's automatic cache, and what must never resume: a
# session for another host, under another CA store or verify mode,
# damaged data, and sessions offered by servers.
import tls
from mptest import Pipe, check, data, done, handshake, raises, seed_module

ussl = seed_module()

CA = data("ca.pem")
OTHER_CA = data("other-ca.pem")
CHAIN = data("server-ec-chain.pem")
KEY = data("server-ec.key")


def server_ctx(alpn=None):
    ctx = tls.SSLContext(tls.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(CHAIN, KEY)
    if alpn is not None:
        ctx.set_alpn_protocols(alpn)
    return ctx


def client_ctx(ca=(CA,), alpn=None, mode=None):
    ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
    for c in ca:
        ctx.load_verify_locations(c)
    if mode is not None:
        ctx.verify_mode = mode
    if alpn is not None:
        ctx.set_alpn_protocols(alpn)
    return ctx


def connect(cctx, sctx, host="localhost", session=None, talk=True):
    # One connection; returns (client, server) after the handshake and,
    # if talk, an exchange (server first: a TLS 1.3 ticket is read).
    cio, sio = Pipe.pair()
    kw = {"server_hostname": host, "do_handshake_on_connect": False}
    if session is not None:
        kw["session"] = session
    c = cctx.wrap_socket(cio, **kw)
    s = sctx.wrap_socket(sio, server_side=True, do_handshake_on_connect=False)
    handshake(c, s)
    if talk and c.cipher() is not None and s.cipher() is not None:
        s.write(b"hi")
        got = b""
        for i in range(10):
            got += c.read(2) or b""
            if len(got) == 2:
                break
    return c, s


def ok(c, s):
    return c.cipher() is not None and s.cipher() is not None


def close(*socks):
    for x in socks:
        x.close()


# --- ALPN ----------------------------------------------------------------
SRV_ALPN = server_ctx(["http/1.1", "x-amzn-mqtt-ca"])
c, s = connect(client_ctx(alpn=["x-amzn-mqtt-ca"]), SRV_ALPN)
check("alpn: agreed on x-amzn-mqtt-ca",
      c.selected_alpn_protocol() == "x-amzn-mqtt-ca"
      and s.selected_alpn_protocol() == "x-amzn-mqtt-ca",
      repr((c.selected_alpn_protocol(), s.selected_alpn_protocol())))
close(c, s)
c, s = connect(client_ctx(alpn=["h2", "http/1.1"]), SRV_ALPN)
check("alpn: the client's first the server accepts",
      c.selected_alpn_protocol() == "http/1.1",
      repr(c.selected_alpn_protocol()))
close(c, s)
c, s = connect(client_ctx(), SRV_ALPN)
check("alpn: client offers none: None on both sides",
      ok(c, s) and c.selected_alpn_protocol() is None
      and s.selected_alpn_protocol() is None)
close(c, s)
c, s = connect(client_ctx(alpn=["h2"]), server_ctx())
check("alpn: server has none: handshake completes, None",
      ok(c, s) and c.selected_alpn_protocol() is None)
close(c, s)
cio, sio = Pipe.pair()
c = client_ctx(alpn=["h2"]).wrap_socket(cio, server_hostname="localhost",
                                        do_handshake_on_connect=False)
check("alpn: None before the handshake", c.selected_alpn_protocol() is None)
c.close()

ctx = client_ctx()
raises("alpn: a str, not a list: TypeError", TypeError,
       ctx.set_alpn_protocols, "h2")
raises("alpn: bytes names: TypeError", TypeError,
       ctx.set_alpn_protocols, [b"h2"])
raises("alpn: a number: TypeError", TypeError, ctx.set_alpn_protocols, [1])
raises("alpn: not a sequence: TypeError", TypeError,
       ctx.set_alpn_protocols, None)
raises("alpn: empty name: ValueError", ValueError,
       ctx.set_alpn_protocols, ["h2", ""], match="1 to 255")
raises("alpn: 256-byte name: ValueError", ValueError,
       ctx.set_alpn_protocols, ["x" * 256], match="1 to 255")
raises("alpn: too many names: ValueError", ValueError,
       ctx.set_alpn_protocols, ["p%d" % i for i in range(17)])
ctx.set_alpn_protocols(["x" * 255])
check("alpn: a 255-byte name is accepted", True)
ctx = client_ctx(alpn=["x-amzn-mqtt-ca"])
try:
    ctx.set_alpn_protocols([""])
except ValueError:
    pass
c, s = connect(ctx, SRV_ALPN)
check("alpn: a refused list changes nothing",
      c.selected_alpn_protocol() == "x-amzn-mqtt-ca")
close(c, s)
# On a context in use (a copy takes the change; the socket keeps its own)
ctx.set_alpn_protocols(["http/1.1"])
c2, s2 = connect(ctx, SRV_ALPN)
check("alpn: changed on a context in use",
      c2.selected_alpn_protocol() == "http/1.1")
close(c2, s2)
ctx.set_alpn_protocols([])
c, s = connect(ctx, SRV_ALPN)
check("alpn: [] turns it off", ok(c, s) and c.selected_alpn_protocol() is None)
close(c, s)

# --- sessions: full, then resumed -----------------------------------------
SRV = server_ctx()
c, s = connect(client_ctx(), SRV)
check("session: first handshake is full", ok(c, s) and not c.session_reused)
sess = c.session
check("session: client has an SSLSession",
      isinstance(sess, tls.SSLSession), repr(sess))
check("session: server socket has none", s.session is None)
close(c, s)
blob = bytes(sess)
check("session: bytes(session) == serialize()",
      blob == sess.serialize() and len(blob) > 100, "%d bytes" % len(blob))
again = tls.SSLSession(blob)
check("session: SSLSession(bytes) round trip", bytes(again) == blob)
check("session: SSLSession(bytearray)",
      bytes(tls.SSLSession(bytearray(blob))) == blob)

# A new context (no cache shared), same policy: resumes, verified.
c, s = connect(client_ctx(), SRV, session=again)
check("session: resumed from bytes (session_reused)",
      ok(c, s) and c.session_reused, repr(c.cipher()))
check("session: resumed keeps the peer's certificate",
      (c.getpeercert(True) or b"")[:1] == b"\x30")
close(c, s)

# sock.session = s before a deferred handshake
cio, sio = Pipe.pair()
c = client_ctx().wrap_socket(cio, server_hostname="localhost",
                             do_handshake_on_connect=False)
c.session = again
s = SRV.wrap_socket(sio, server_side=True, do_handshake_on_connect=False)
handshake(c, s)
check("session: set by sock.session = s", ok(c, s) and c.session_reused)
raises("session: set after the handshake: ValueError", ValueError,
       setattr, c, "session", again)
close(c, s)

# Another server context (other ticket keys): a full handshake.
c, s = connect(client_ctx(), server_ctx(), session=again)
check("session: another server: full handshake",
      ok(c, s) and not c.session_reused)
close(c, s)

# --- sessions that must not resume ----------------------------------------
c, s = connect(client_ctx(), SRV, host="127.0.0.1", session=again)
check("session for localhost offered to 127.0.0.1: full, verified",
      ok(c, s) and not c.session_reused)
close(c, s)
c, s = connect(client_ctx(ca=(CA, OTHER_CA)), SRV, session=again)
check("session under another CA store: full handshake",
      ok(c, s) and not c.session_reused)
close(c, s)
c, s = connect(client_ctx(mode=tls.CERT_NONE), SRV, session=again)
check("session under CERT_REQUIRED offered with CERT_NONE: full",
      ok(c, s) and not c.session_reused)
close(c, s)
# Only an untrusted CA: the full handshake fails verification.
try:
    c, s = connect(client_ctx(ca=(OTHER_CA,)), SRV, session=again)
    check("session with a CA store that refuses the server: not resumed",
          not ok(c, s))
except (OSError, ValueError) as e:
    check("session with a CA store that refuses the server: refused", True)
# Made without verification, offered by a verifying context.
c, s = connect(client_ctx(mode=tls.CERT_NONE), SRV)
unverified = c.session
close(c, s)
c, s = connect(client_ctx(mode=tls.CERT_NONE), SRV, session=unverified)
check("session under CERT_NONE resumes under CERT_NONE",
      ok(c, s) and c.session_reused)
close(c, s)
c, s = connect(client_ctx(), SRV, session=unverified)
check("session under CERT_NONE offered with CERT_REQUIRED: full",
      ok(c, s) and not c.session_reused)
close(c, s)
# A verify callback binds a session to its context and process.
cb = client_ctx()
cb.verify_callback = lambda cert, depth: None
c, s = connect(cb, SRV)
cbsess = c.session
close(c, s)
c, s = connect(cb, SRV, session=cbsess)
check("session under a verify callback resumes in its context",
      ok(c, s) and c.session_reused)
close(c, s)
c, s = connect(client_ctx(), SRV, session=cbsess)
check("session under a verify callback: full in another context",
      ok(c, s) and not c.session_reused)
close(c, s)


def offer(name, blob, match="session data"):
    cio, sio = Pipe.pair()
    raises(name, ValueError, client_ctx().wrap_socket, cio,
           server_hostname="localhost", session=tls.SSLSession(blob),
           match=match)


for i in (0, 4, 60, len(blob) // 2, len(blob) - 1):
    bad = bytearray(blob)
    bad[i] ^= 0x01
    offer("damaged session data (byte %d): ValueError" % i, bad)
offer("truncated session data: ValueError", blob[:-1])
offer("random bytes as session: ValueError", b"\x30" * 200)
raises("empty session data: ValueError", ValueError, tls.SSLSession, b"")
raises("SSLSession(None): TypeError", TypeError, tls.SSLSession, None)
cio, sio = Pipe.pair()
raises("session= not an SSLSession: TypeError", TypeError,
       client_ctx().wrap_socket, cio, server_hostname="localhost",
       session=blob)
# A damaged session in a deferred socket: nothing is left half made;
# the next connection does a full, verified handshake.
c, s = connect(client_ctx(), SRV)
check("after damaged data: a full verified handshake",
      ok(c, s) and not c.session_reused)
close(c, s)
# A server offered a session (a client's, or what a server socket has).
cio, sio = Pipe.pair()
raises("server_side wrap_socket with a session: ValueError", ValueError,
       SRV.wrap_socket, sio, server_side=True, session=again,
       match="client")

# --- the context's automatic cache ----------------------------------------
cached = client_ctx()
st = cached.session_stats()
check("cache: session_stats() keys", st["number"] == 0 and st["max"] > 0
      and st["hits"] == 0, repr(st))
c, s = connect(cached, SRV)
check("cache: first full", ok(c, s) and not c.session_reused)
close(c, s)
c, s = connect(cached, SRV)
check("cache: second resumed without session=",
      ok(c, s) and c.session_reused)
close(c, s)
st = cached.session_stats()
check("cache: one hit", st["hits"] >= 1 and st["number"] >= 1, repr(st))
# Held connections of a caching context keep no copy of their session
# (the engine's own state gives it): each still gives its session when
# asked late, after another connection replaced the cache's entry, as
# often as asked, and it resumes elsewhere.
c1, s1 = connect(cached, SRV)
c2, s2 = connect(cached, SRV)
late1, late2 = c1.session, c2.session
check("cache: held connections give their session late",
      late1 is not None and late2 is not None
      and bytes(c1.session) == bytes(late1)
      and bytes(c2.session) == bytes(late2), repr((late1, late2)))
for i, late in enumerate((late1, late2)):
    c, s = connect(client_ctx(), SRV, session=late)
    check("cache: late session %d resumes in another context" % (i + 1),
          ok(c, s) and c.session_reused
          and c.getpeercert(True) is not None)
    check("cache: a resumed connection gives its session too",
          c.session is not None)
    close(c, s)
close(c1, s1, c2, s2)
c, s = connect(cached, SRV, host="127.0.0.1")
check("cache: another name: full", ok(c, s) and not c.session_reused)
close(c, s)
# A change of settings (a copy of the context) forgets what was cached.
cached.verify_mode = tls.CERT_NONE
c, s = connect(cached, SRV)
check("cache: changed settings: full", ok(c, s) and not c.session_reused)
close(c, s)
check("cache: bound kept by a copy",
      cached.session_stats()["max"] == st["max"])
n = st["max"]
hosts = ["h%d.example" % i for i in range(n + 2)]
ncache = client_ctx(mode=tls.CERT_NONE)
for h in hosts:
    c, s = connect(ncache, SRV, host=h)
    close(c, s)
check("cache: bounded to max", ncache.session_stats()["number"] == n,
      repr(ncache.session_stats()))
check("cache: server context has none", SRV.session_stats()["max"] == 0)

# --- the ssl and ussl modules ---------------------------------------------
try:
    import ssl
except ImportError:
    ssl = None
if ssl is not None and hasattr(ssl, "SSLSession"):
    check("ssl: SSLSession is tls's", ssl.SSLSession is tls.SSLSession)
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    sctx.load_verify_locations(cadata=CA)
    sctx.verify_mode = ssl.CERT_REQUIRED
    sctx.set_alpn_protocols(["x-amzn-mqtt-ca"])
    c, s = connect(sctx, SRV, session=again)
    check("ssl: resumed with a tls session", ok(c, s) and c.session_reused)
    close(c, s)
    c, s = connect(sctx, SRV_ALPN)
    check("ssl: ALPN agreed", c.selected_alpn_protocol() == "x-amzn-mqtt-ca")
    close(c, s)
else:
    print("SKIP ssl module: not the built-in one")
if ussl is not None:
    cio, sio = Pipe.pair()
    c = ussl.wrap_socket(cio, server_hostname="localhost", cadata=CA,
                         cert_reqs=ussl.CERT_REQUIRED, do_handshake=False,
                         session=again)
    s = SRV.wrap_socket(sio, server_side=True, do_handshake_on_connect=False)
    handshake(c, s)
    check("ussl: wrap_socket(session=) resumes",
          ok(c, s) and c.session_reused)
    close(c, s)
    cio, sio = Pipe.pair()
    raises("ussl: damaged session: ValueError", ValueError, ussl.wrap_socket,
           cio, server_hostname="localhost", cadata=CA,
           cert_reqs=ussl.CERT_REQUIRED, session=tls.SSLSession(blob[:-2]))
done()
