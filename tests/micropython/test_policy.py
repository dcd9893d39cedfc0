# test_policy.py - what the MicroPython binding adds on top of the stock
# module's API: the verification relaxations both modules start with (so
# that certificates the stock module accepts, like MicroPython's own test
# certificates, still verify), verify_relax = 0 for the core's strict
# policy, and max_fragment_length.  In-memory client and server.
import os
import tls
from mptest import (CERTS, Pipe, check, data, done, handshake, raises,
                    seed_module)

ussl = seed_module()

CA = data("ca.pem")
DEFAULT = tls.RELAX_CN_ONLY | tls.RELAX_NO_EKU


def exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def pair(chain, key, host="localhost", ca=CA, relax=None, mfl=None):
    cctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
    cctx.load_verify_locations(ca)
    if relax is not None:
        cctx.verify_relax = relax
    if mfl is not None:
        cctx.max_fragment_length = mfl
    sctx = tls.SSLContext(tls.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(chain, key)
    cio, sio = Pipe.pair()
    c = cctx.wrap_socket(cio, server_hostname=host,
                         do_handshake_on_connect=False)
    s = sctx.wrap_socket(sio, server_side=True, do_handshake_on_connect=False)
    return c, s


def connects(name, chain, key, **kw):
    c, s = pair(chain, key, **kw)
    check(name, handshake(c, s) < 10)
    c.close()
    s.close()


def refused(name, chain, key, match, **kw):
    c, s = pair(chain, key, **kw)
    raises(name, ValueError, handshake, c, s, match=match)


# --- defaults ----------------------------------------------------------------
ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
check("verify_relax defaults to CN_ONLY | NO_EKU", ctx.verify_relax == DEFAULT,
      repr(ctx.verify_relax))
check("server too", tls.SSLContext(tls.PROTOCOL_TLS_SERVER).verify_relax ==
      DEFAULT)
ctx.verify_relax = 0
check("verify_relax can be cleared", ctx.verify_relax == 0)
raises("unknown relax flag", ValueError, setattr, ctx, "verify_relax", 0x100)
check("unchanged after a refused value", ctx.verify_relax == 0)

# A certificate with subjectAltName and serverAuth passes either way.
CHAIN = data("server-ec-chain.pem")
KEY = data("server-ec.key")
connects("SAN + EKU: default", CHAIN, KEY)
connects("SAN + EKU: strict", CHAIN, KEY, relax=0)

# --- certificates the strict policy refuses ----------------------------------
if exists(CERTS + "/cnonly.pem"):
    connects("v1 CN-only leaf: accepted by default",
             data("cnonly.pem"), data("cnonly.key"))
    refused("v1 CN-only leaf: refused when strict", data("cnonly.pem"),
            data("cnonly.key"), "Common Name", relax=0)
if exists(CERTS + "/noeku.pem"):
    connects("no EKU: accepted by default", data("noeku.pem"),
             data("noeku.key"))
    # RFC 5280 4.2.1.12: no EKU is no restriction, in every binding and
    # whatever the relaxations (the core's default since it became one).
    connects("no EKU: accepted with verify_relax=0", data("noeku.pem"),
             data("noeku.key"), relax=0)
    connects("no EKU: accepted with CN_ONLY alone", data("noeku.pem"),
             data("noeku.key"), relax=tls.RELAX_CN_ONLY)


# The form of MicroPython's own test certificates (tests/multi_net): self
# signed, CA:TRUE, CN only, no EKU, trusted directly.  run.sh makes one.
MP = os.getenv("USSL_MPCERTS")
if MP:
    mp_cert = open(MP + "/mp_cert.der", "rb").read()
    mp_key = open(MP + "/mp_key.der", "rb").read()
    connects("MicroPython test certificate: default", mp_cert, mp_key,
             host="micropython.local", ca=mp_cert)
    refused("MicroPython test certificate: strict", mp_cert, mp_key,
            "Common Name", host="micropython.local", ca=mp_cert, relax=0)
    refused("MicroPython test certificate: name still checked", mp_cert,
            mp_key, "Common Name", host="other.local", ca=mp_cert)

# --- max_fragment_length -----------------------------------------------------
ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
check("max_fragment_length defaults to 0", ctx.max_fragment_length == 0)
raises("max_fragment_length 1000 refused", ValueError, setattr, ctx,
       "max_fragment_length", 1000)
check("unchanged after a refused value", ctx.max_fragment_length == 0)
for mfl in (512, 4096):
    c, s = pair(CHAIN, KEY, mfl=mfl)
    check("mfl %d: handshake" % mfl, handshake(c, s) < 10)
    check("mfl %d: TLS 1.2" % mfl, c.cipher()[1] == "TLSv1.2",
          repr(c.cipher()))
    ok = True
    for a, b in ((c, s), (s, c)):
        a.write(b"m" * 9000)
        got = b""
        for i in range(40):
            part = b.read(9000 - len(got))
            if part:
                got += part
            if len(got) == 9000:
                break
        ok = ok and got == b"m" * 9000
    check("mfl %d: 9000 bytes both ways" % mfl, ok)
    c.close()
    s.close()

# --- the ussl module: verify_relax keyword, same default ---------------------
if ussl is None:
    done()
check("ussl module constants", ussl.RELAX_CN_ONLY == tls.RELAX_CN_ONLY and
      ussl.RELAX_NO_EKU == tls.RELAX_NO_EKU and
      ussl.RELAX_LEGACY_CA == tls.RELAX_LEGACY_CA)
if exists(CERTS + "/noeku.pem"):
    for relax, want in ((None, "ok"), (0, "ok")):
        cio, sio = Pipe.pair()
        kw = {} if relax is None else {"verify_relax": relax}
        c = ussl.wrap_socket(cio, cert_reqs=ussl.CERT_REQUIRED, cadata=CA,
                             server_hostname="localhost", do_handshake=False,
                             **kw)
        s = ussl.wrap_socket(sio, server_side=True, cert=data("noeku.pem"),
                             key=data("noeku.key"), do_handshake=False)
        try:
            got = "ok" if handshake(c, s) < 10 else "stuck"
        except OSError as e:
            got = "E_VERIFY" if e.args[0] == ussl.E_VERIFY else repr(e)
        check("ussl: no EKU, verify_relax=%r" % relax, got == want, got)
raises("ussl: bad verify_relax", ValueError, ussl.wrap_socket, Pipe.pair()[0],
       verify_relax=-1)

done()
