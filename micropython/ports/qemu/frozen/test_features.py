# test_features.py - the firmware's optional features (micropython.mk's
# USSL_PSK, USSL_SESSIONS, USSL_ALPN, USSL_SIGNCB, USSL_PEM, USSL_DTLS):
# each is wholly there or wholly absent, and works when there; what every
# build keeps (certificate chain and host name verification) works; and
# when USSL_EXPECT_FEATURES names a set (qemu.sh sets it per firmware),
# the firmware has exactly that set.  DER certificates, which every build
# reads; in-memory client and server.
import os
import tls
from mptest import Pipe, check, data, done, handshake, raises


def der(name):
    with open("/data/der/" + name, "rb") as f:
        return f.read()


ANCHOR = der("int.der")
LEAF = der("server-ec.der")
KEY = der("server-ec.key.der")


def contexts(anchor=ANCHOR):
    cctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
    cctx.verify_mode = tls.CERT_REQUIRED
    cctx.load_verify_locations(anchor)
    sctx = tls.SSLContext(tls.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(LEAF, KEY)
    return cctx, sctx


def pair(cctx, sctx, host="localhost"):
    cio, sio = Pipe.pair()
    c = cctx.wrap_socket(cio, server_hostname=host,
                         do_handshake_on_connect=False)
    s = sctx.wrap_socket(sio, server_side=True, do_handshake_on_connect=False)
    return c, s


def connects(name, cctx, sctx):
    c, s = pair(cctx, sctx)
    ok = handshake(c, s) < 10
    if ok:
        c.write(b"ping")
        ok = s.read(4) == b"ping"
    check(name, ok)
    return c, s


# --- what every build has ------------------------------------------------------
cctx, sctx = contexts()
c, s = connects("verified handshake and data (DER, CERT_REQUIRED)", cctx,
                sctx)
c.close()
s.close()
c, s = pair(cctx, sctx, host="wrong.example")
raises("a wrong host name is refused", ValueError, handshake, c, s)
cctx, sctx = contexts(anchor=data("ca.der"))
c, s = pair(cctx, sctx)
raises("an untrusted chain is refused", ValueError, handshake, c, s)

# --- optional features: all or nothing -----------------------------------------
have = []
cctx, sctx = contexts()

names = [hasattr(cctx, a) for a in ("psk_identity", "psk_key",
                                    "server_psk_keys")]
check("PSK: all attributes or none", all(names) or not any(names))
if all(names):
    have.append("psk")

names = [hasattr(tls, "SSLSession"), hasattr(cctx, "session_stats")]
check("sessions: SSLSession and session_stats or neither",
      all(names) or not any(names))
if all(names):
    have.append("sessions")
    c, s = connects("sessions: handshake", cctx, sctx)
    check("sessions: the client's session", isinstance(c.session,
                                                       tls.SSLSession))
else:
    c, s = connects("no sessions: handshake", cctx, sctx)
    check("no sessions: no session attribute", not hasattr(c, "session"))
    raises("no sessions: wrap_socket(session=) refused", TypeError,
           cctx.wrap_socket, Pipe.pair()[0], server_hostname="localhost",
           session=None)

names = [hasattr(cctx, "set_alpn_protocols"),
         hasattr(c, "selected_alpn_protocol")]
check("ALPN: both methods or neither", all(names) or not any(names))
if all(names):
    have.append("alpn")
    a, b = contexts()
    a.set_alpn_protocols(["x-test"])
    b.set_alpn_protocols(["x-test"])
    c, s = connects("ALPN: handshake", a, b)
    check("ALPN: agreed", c.selected_alpn_protocol() == "x-test")

names = [hasattr(sctx, "ecdsa_sign_callback"),
         hasattr(sctx, "sign_callback")]
check("signing callbacks: both or neither", all(names) or not any(names))
if all(names):
    have.append("signcb")
    calls = []
    a, b = contexts()
    b.ecdsa_sign_callback = lambda key, digest: calls.append(1)
    connects("signing callback declines: the key signs", a, b)
    check("signing callback: called", len(calls) == 1, repr(calls))

try:
    cctx.load_verify_locations(data("int.pem"))
    have.append("pem")
except (ValueError, OSError):
    pass

dtls = hasattr(tls, "PROTOCOL_DTLS_CLIENT")
if dtls:
    have.append("dtls")
    check("DTLS: a datagram context",
          tls.SSLContext(tls.PROTOCOL_DTLS_CLIENT) is not None)
else:
    raises("no DTLS: protocol 2 refused", ValueError, tls.SSLContext, 2)

print("INFO features:", " ".join(have) if have else "none")
want = os.getenv("USSL_EXPECT_FEATURES")
if want is not None:
    check("the features this firmware was built with",
          sorted(want.split()) == sorted(have),
          "expected %r, found %r" % (want, " ".join(have)))
done()
