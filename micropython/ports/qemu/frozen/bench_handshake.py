# bench_handshake.py - instructions per full TLS handshake inside the
# firmware, for scripts/micropython/qemu.sh (run with QEMU's
# -icount shift=0, where qemuport.ticks() * qemuport.INSNS_PER_TICK counts
# guest instructions).  Works with either `tls` module, ussl's or the
# stock one.  A "full handshake": both sockets wrapped, a TLS 1.2 ECDHE-
# ECDSA handshake (P-256) over an in-memory pipe, the client verifying the
# server's certificate (against its issuing CA, the test intermediate) and
# host name, then 4 bytes of data.  Certificates and key are DER, which
# both modules parse (MicroPython 1.26's configuration has no PEM).
# Prints "BENCH key value" lines; no timing is asserted.
# handshake_insns: from the first wrap_socket to the 4 bytes read (close
# not included); resumed_insns (ussl only): the same for a handshake that
# resumes a saved session (tls.SSLSession).  heap_pair_bytes: the heap a connected pair keeps.
import gc

import qemuport
import tls
from mptest import Pipe


def der(name):
    with open("/data/der/" + name, "rb") as f:
        return f.read()


N = 5
MASK = 0xFFFFFFFF if qemuport.INSNS_PER_TICK != 1 else (1 << 64) - 1


def insns(t0, t1):
    return ((t1 - t0) & MASK) * qemuport.INSNS_PER_TICK


# The same random numbers in every firmware and run (test-only PRNG).
qemuport.rng_seed(1)
t0 = qemuport.ticks()


def client_ctx():
    # A context per handshake: ussl's contexts keep sessions (a second
    # handshake of one context to the same name would be a resumed one).
    cctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
    cctx.verify_mode = tls.CERT_REQUIRED
    cctx.load_verify_locations(der("int.der"))
    return cctx


cctx = client_ctx()
sctx = tls.SSLContext(tls.PROTOCOL_TLS_SERVER)
sctx.load_cert_chain(der("server-ec.der"), der("server-ec.key.der"))
print("BENCH contexts_insns", insns(t0, qemuport.ticks()))

for i in range(N):
    if i > 0:
        cctx = client_ctx()
    gc.collect()
    free0 = gc.mem_free()
    t0 = qemuport.ticks()
    cio, sio = Pipe.pair()
    c = cctx.wrap_socket(cio, server_hostname="localhost",
                         do_handshake_on_connect=False)
    s = sctx.wrap_socket(sio, server_side=True, do_handshake_on_connect=False)
    got = None
    for r in range(20):
        n = c.write(b"ping")
        got = s.read(4)
        if got:
            break
    t1 = qemuport.ticks()
    ok = n == 4 and got == b"ping"
    print("BENCH handshake_insns", insns(t0, t1) if ok else -1)
    if i == 0:
        print("BENCH cipher", c.cipher()[0], c.cipher()[1])
        gc.collect()
        print("BENCH heap_pair_bytes", free0 - gc.mem_free())
    c.close()
    s.close()
    c = s = cio = sio = None


def pair(cctx, session=None):
    # A wrapped pair, handshake driven by the 4 bytes; (client, server,
    # whether the bytes arrived).
    cio, sio = Pipe.pair()
    kw = {} if session is None else {"session": session}
    c = cctx.wrap_socket(cio, server_hostname="localhost",
                         do_handshake_on_connect=False, **kw)
    s = sctx.wrap_socket(sio, server_side=True, do_handshake_on_connect=False)
    got = None
    for r in range(20):
        n = c.write(b"ping")
        got = s.read(4)
        if got:
            break
    return c, s, n == 4 and got == b"ping"


# Resumed handshakes (ussl's tls.SSLSession; the stock module has none):
# the session of a full handshake offered by a fresh context each time,
# so that neither a cache nor a parsed context helps.
# resumed_insns: as handshake_insns, -1 if the handshake did not resume.
if hasattr(tls, "SSLSession"):
    c, s, ok = pair(client_ctx())
    sess = c.session
    c.close()
    s.close()
    for i in range(N):
        cctx = client_ctx()
        gc.collect()
        t0 = qemuport.ticks()
        c, s, ok = pair(cctx, sess)
        t1 = qemuport.ticks()
        print("BENCH resumed_insns",
              insns(t0, t1) if ok and c.session_reused else -1)
        c.close()
        s.close()
        c = s = None
print("BENCH done")
