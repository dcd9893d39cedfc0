# test_frozen.py - a socket keeps the settings of its tls.SSLContext as
# they were when it was wrapped: verify_mode, load_verify_locations,
# load_cert_chain, set_ciphers and verify_relax changed afterwards (before
# the deferred handshake) apply to new sockets only.  First the pattern of
# CVE-2025-27809: a client wrapped with CERT_NONE and no server_hostname,
# then CERT_REQUIRED: the existing socket must not start checking the
# chain without a name, and a new wrap without server_hostname must fail.
# In memory (mptest.Pipe), client and server in this process.
import tls
from mptest import Pipe, check, data, done, handshake, raises

CA = data("ca.pem")
OTHER_CA = data("other-ca.pem")


def server_ctx(chain="server-ec-chain.pem", key="server-ec.key"):
    ctx = tls.SSLContext(tls.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(data(chain), data(key))
    return ctx


def client_ctx(ca=CA):
    ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(ca)
    return ctx


def wrap(cctx, sctx, host="localhost"):
    cio, sio = Pipe.pair()
    c = cctx.wrap_socket(cio, server_hostname=host,
                         do_handshake_on_connect=False)
    s = sctx.wrap_socket(sio, server_side=True,
                         do_handshake_on_connect=False)
    return c, s


def run(c, s):
    # None if both ends finished their handshake, else what was raised.
    try:
        if handshake(c, s) >= 50:
            return "stuck"
        return None
    except Exception as e:
        return e


def close(*socks):
    for x in socks:
        try:
            x.close()
        except Exception:
            pass


# --- CERT_NONE, no name, then CERT_REQUIRED ------------------------------
# A server no CA signed: a socket that checks the chain fails on it.
bad = server_ctx("selfsigned.pem", "selfsigned.key")
cctx = client_ctx()
cctx.verify_mode = tls.CERT_NONE
c1, s1 = wrap(cctx, bad, None)
cctx.verify_mode = tls.CERT_REQUIRED
check("verify_mode reads back", cctx.verify_mode == tls.CERT_REQUIRED)
r = run(c1, s1)
check("existing socket keeps CERT_NONE (no chain check without a name)",
      r is None, repr(r))
close(c1, s1)
raises("new wrap without server_hostname refused", ValueError,
       cctx.wrap_socket, Pipe.pair()[0], do_handshake_on_connect=False)
c2, s2 = wrap(cctx, bad, "localhost")
check("new socket verifies", run(c2, s2) is not None)
close(c2, s2)
# The same with a good chain for another host: the new socket checks the
# name, the old one nothing.
good = server_ctx()
cctx = client_ctx()
cctx.verify_mode = tls.CERT_NONE
c1, s1 = wrap(cctx, good, None)
cctx.verify_mode = tls.CERT_REQUIRED
check("existing socket, good chain", run(c1, s1) is None)
close(c1, s1)
c2, s2 = wrap(cctx, good, "wrong.example")
check("new socket checks the name", run(c2, s2) is not None)
close(c2, s2)

# --- CERT_REQUIRED, then CERT_NONE ---------------------------------------
cctx = client_ctx()
c1, s1 = wrap(cctx, bad)
cctx.verify_mode = tls.CERT_NONE
check("existing socket keeps CERT_REQUIRED", run(c1, s1) is not None)
close(c1, s1)
c2, s2 = wrap(cctx, bad, None)
check("new socket does not verify", run(c2, s2) is None)
close(c2, s2)

# --- load_verify_locations -----------------------------------------------
cctx = client_ctx(OTHER_CA)
c1, s1 = wrap(cctx, good)
cctx.load_verify_locations(CA)
check("existing socket keeps its CA set", run(c1, s1) is not None)
close(c1, s1)
c2, s2 = wrap(cctx, good)
r = run(c2, s2)
check("new socket trusts the added CA", r is None, repr(r))
close(c2, s2)

# --- load_cert_chain (server) --------------------------------------------
sctx = server_ctx()
cctx = client_ctx()
c1, s1 = wrap(cctx, sctx)
sctx.load_cert_chain(data("server-rsa.pem"), data("server-rsa.key"))
check("server socket after reload", run(c1, s1) is None)
check("existing server socket keeps its chain",
      c1.getpeercert(True) == data("server-ec.der"))
close(c1, s1)
c2, s2 = wrap(cctx, sctx)
check("new server socket", run(c2, s2) is None)
check("new server socket uses the new chain",
      c2.getpeercert(True) == data("server-rsa.der"))
close(c2, s2)

# --- set_ciphers ----------------------------------------------------------
cctx = client_ctx()
c1, s1 = wrap(cctx, good)
cctx.set_ciphers(["TLS-ECDHE-ECDSA-WITH-AES-256-GCM-SHA384"])
check("handshake after set_ciphers", run(c1, s1) is None)
n1 = c1.cipher()[0]
close(c1, s1)
c2, s2 = wrap(cctx, good)
check("new socket after set_ciphers", run(c2, s2) is None)
n2 = c2.cipher()[0]
close(c2, s2)
check("new socket uses the new list", "256" in n2, n2)
check("existing socket kept the old list", n1 != n2, n1)

# --- verify_relax ---------------------------------------------------------
cn = server_ctx("cnonly.pem", "cnonly.key")
cctx = client_ctx()
cctx.verify_relax = tls.RELAX_CN_ONLY
c1, s1 = wrap(cctx, cn)
cctx.verify_relax = 0
r = run(c1, s1)
check("existing socket keeps its relaxation", r is None, repr(r))
close(c1, s1)
c2, s2 = wrap(cctx, cn)
check("new socket is strict", run(c2, s2) is not None)
close(c2, s2)

# --- a refused change changes nothing -------------------------------------
cctx = client_ctx()
c1, s1 = wrap(cctx, good)
raises("bad CA data refused", ValueError, cctx.load_verify_locations,
       b"not a certificate")
check("still verifying", cctx.verify_mode == tls.CERT_REQUIRED)
check("existing socket unaffected", run(c1, s1) is None)
close(c1, s1)
c2, s2 = wrap(cctx, good)
check("context still usable", run(c2, s2) is None)
close(c2, s2)

done()
