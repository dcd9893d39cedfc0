# test_signcb.py - signing callbacks of tls.SSLContext over an in-memory
# stream pair, the signature made in Python (P-256 ECDSA below, with the
# key the callback holds or is given):
#   ecdsa_sign_callback, as MicroPython's stock module has it: called as
#   cb(key, digest) with the loaded key's private value and the digest;
#   its DER signature is used, None lets the library sign; what it
#   raises or returns wrong fails the handshake, nothing crashes;
#   sign_callback (ussl's): cb(alg, digest) for a chain loaded without a
#   key (load_cert_chain(cert, None)); the same failures.
import binascii
import random
import tls
from mptest import Pipe, check, data, done, handshake

CA = data("ca.pem")
CHAIN = data("server-ec-chain.pem")
KEY = data("server-ec.key")

# --- P-256 ECDSA, just enough to sign ---------------------------------------
P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
G = (0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
     0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5, 1)


def jdouble(pt):
    x, y, z = pt
    if y == 0:
        return (0, 1, 0)
    zz = z * z % P
    m = 3 * (x - zz) * (x + zz) % P          # a = -3
    yy = y * y % P
    s = 4 * x * yy % P
    x3 = (m * m - 2 * s) % P
    return (x3, (m * (s - x3) - 8 * yy * yy) % P, 2 * y * z % P)


def jadd(p1, p2):
    if p1[2] == 0:
        return p2
    if p2[2] == 0:
        return p1
    x1, y1, z1 = p1
    x2, y2, z2 = p2
    z1z1, z2z2 = z1 * z1 % P, z2 * z2 % P
    u1, u2 = x1 * z2z2 % P, x2 * z1z1 % P
    s1, s2 = y1 * z2 * z2z2 % P, y2 * z1 * z1z1 % P
    if u1 == u2:
        return jdouble(p1) if s1 == s2 else (0, 1, 0)
    h, r = (u2 - u1) % P, (s2 - s1) % P
    hh = h * h % P
    hhh = h * hh % P
    v = u1 * hh % P
    x3 = (r * r - hhh - 2 * v) % P
    return (x3, (r * (v - x3) - s1 * hhh) % P, h * z1 * z2 % P)


def mul(k, pt):
    acc = (0, 1, 0)
    for i in range(255, -1, -1):
        acc = jdouble(acc)
        if (k >> i) & 1:
            acc = jadd(acc, pt)
    zi = pow(acc[2], P - 2, P)
    return acc[0] * zi * zi % P


def der_int(v):
    b = v.to_bytes(33, "big")
    i = 0
    while i < 32 and b[i] == 0 and b[i + 1] < 0x80:
        i += 1
    b = b[i:]
    return bytes([2, len(b)]) + b


def ecdsa_sign(d, digest):
    e = int.from_bytes(digest[:32], "big")
    while True:
        k = random.getrandbits(32)
        for i in range(7):
            k = (k << 32) | random.getrandbits(32)
        k = k % (N - 1) + 1
        r = mul(k, G) % N
        s = pow(k, N - 2, N) * (e + r * d) % N
        if r and s:
            body = der_int(r) + der_int(s)
            return bytes([0x30, len(body)]) + body


def key_scalar(pem):
    # The private value of a PEM EC key (SEC1 or PKCS#8): the OCTET
    # STRING after ECPrivateKey's version 1.
    b64 = b"".join(l for l in pem.split(b"\n") if l and not l.startswith(b"-"))
    der = binascii.a2b_base64(b64)
    i = der.find(b"\x02\x01\x01\x04\x20")
    return int.from_bytes(der[i + 5:i + 37], "big")


D = key_scalar(KEY)


# --- helpers --------------------------------------------------------------
def run(sctx):
    # Handshake a verifying client against sctx; returns None when both
    # sides finished, else the exception the server raised.
    cctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
    cctx.load_verify_locations(CA)
    cio, sio = Pipe.pair()
    c = cctx.wrap_socket(cio, server_hostname="localhost",
                         do_handshake_on_connect=False)
    s = sctx.wrap_socket(sio, server_side=True, do_handshake_on_connect=False)
    err = None
    try:
        handshake(c, s)
    except OSError as e:
        err = e
    ok = c.cipher() is not None and s.cipher() is not None
    c.close()
    s.close()
    return None if ok else (err or OSError("no handshake"))


calls = []


def loaded(cb):
    ctx = tls.SSLContext(tls.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(CHAIN, KEY)
    ctx.ecdsa_sign_callback = cb
    return ctx


# --- ecdsa_sign_callback (stock module's) ---------------------------------
ctx = tls.SSLContext(tls.PROTOCOL_TLS_SERVER)
check("ecdsa_sign_callback defaults to None", ctx.ecdsa_sign_callback is None)


def cb_sign(key, digest):
    calls.append((bytes(key), len(digest)))
    return ecdsa_sign(int.from_bytes(key, "big"), digest)


check("ecdsa_sign_callback reads back", loaded(cb_sign).ecdsa_sign_callback
      is cb_sign)
calls.clear()
check("ecdsa_sign_callback signs", run(loaded(cb_sign)) is None)
check("called once with the key and a digest", len(calls) == 1 and
      calls[0][0] == D.to_bytes(32, "big") and calls[0][1] in (32, 48, 64),
      repr(calls))
check("None lets the library sign",
      run(loaded(lambda k, d: calls.append(1))) is None)
check("no callback: as before", run(loaded(None)) is None)


def cb_raise(k, d):
    raise ValueError("from the callback")


for name, cb in (("raises", cb_raise),
                 ("returns an int", lambda k, d: 5),
                 ("returns garbage", lambda k, d: b"\x30\x06\x02\x01\x01"
                  b"\x02\x01\x01"),
                 ("returns empty", lambda k, d: b""),
                 ("returns too much", lambda k, d: b"\x30" * 5000)):
    err = run(loaded(cb))
    check("ecdsa_sign_callback that " + name + " fails the handshake",
          isinstance(err, OSError) and "sign callback" in str(err) and
          "from the callback" not in str(err), repr(err))
# The key value handed out is zeroed once the call returns.
kept = []
run(loaded(lambda k, d: kept.append(k)))
check("the key passed is zeroed after the call",
      len(kept) == 1 and kept[0] == bytearray(32), repr(kept))

# --- sign_callback (ussl's): no key in the process --------------------------
seen = []


def keyless(cb):
    ctx = tls.SSLContext(tls.PROTOCOL_TLS_SERVER)
    ctx.sign_callback = cb
    ctx.load_cert_chain(CHAIN, None)
    return ctx


def cb_alg(alg, digest):
    seen.append((alg, len(digest)))
    return ecdsa_sign(D, digest)


check("keyless chain signs through sign_callback", run(keyless(cb_alg)) is None)
check("sign_callback gets (alg, digest)", len(seen) == 1 and
      seen[0][0] in (0x0403, 0x0503, 0x0603) and
      seen[0][1] == {0x0403: 32, 0x0503: 48, 0x0603: 64}[seen[0][0]],
      repr(seen))
for name, cb in (("declines (no key to fall back on)", lambda a, d: None),
                 ("raises", cb_raise),
                 ("returns a bad signature",
                  lambda a, d: ecdsa_sign(D + 1, d))):
    err = run(keyless(cb))
    check("keyless sign_callback that " + name + " fails the handshake",
          isinstance(err, OSError) and "sign callback" in str(err) and
          "from the callback" not in str(err), repr(err))
ctx = tls.SSLContext(tls.PROTOCOL_TLS_SERVER)
try:
    ctx.load_cert_chain(CHAIN, None)
    check("no key and no sign_callback is refused", False, "loaded")
except (ValueError, OSError):
    check("no key and no sign_callback is refused", True)
done()
