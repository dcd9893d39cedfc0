# test_port.py - the qemu firmware's port glue (micropython/ports/qemu):
# the clock mbedTLS checks certificate dates against, mbedTLS's memory on
# the MicroPython heap (returned when connections go), and running out of
# that heap: a clean error, after which connections work again.
# Output as the other test scripts (mptest): "PASS name" / "FAIL name".
import gc

import qemuport
import tls
from mptest import Pipe, check, data, done, handshake, raises

CA = data("ca.pem")
CHAIN = data("server-ec-chain.pem")
KEY = data("server-ec.key")


def pair(chain=CHAIN, key=KEY, cctx=None, sctx=None):
    if cctx is None:
        cctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
        cctx.load_verify_locations(CA)
    if sctx is None:
        sctx = tls.SSLContext(tls.PROTOCOL_TLS_SERVER)
        sctx.load_cert_chain(chain, key)
    cio, sio = Pipe.pair()
    c = cctx.wrap_socket(cio, server_hostname="localhost",
                         do_handshake_on_connect=False)
    s = sctx.wrap_socket(sio, server_side=True, do_handshake_on_connect=False)
    return c, s


# --- the clock ----------------------------------------------------------------
now = qemuport.time()
check("clock is set (after 2024)", now > 1704067200, repr(now))
check("test-only RNG is flagged", qemuport.TEST_ONLY_RNG is True)
c, s = pair()
check("valid certificate accepted", handshake(c, s) < 10)
c.close()
s.close()
# Certificate dates are checked against the firmware's clock: both fail
# only if time and calendar hooks work (a clock at 0 would make every
# certificate "not yet valid"; no clock would accept both).
c, s = pair(data("expired.pem"), data("expired.key"))
raises("expired certificate refused", ValueError, handshake, c, s,
       match="expired")
c, s = pair(data("notyet.pem"), data("notyet.key"))
raises("not-yet-valid certificate refused", ValueError, handshake, c, s,
       match="future")

# --- mbedTLS's memory is on the heap, and is given back -----------------------
cctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
cctx.load_verify_locations(CA)
sctx = tls.SSLContext(tls.PROTOCOL_TLS_SERVER)
sctx.load_cert_chain(CHAIN, KEY)
c, s = pair(cctx=cctx, sctx=sctx)
handshake(c, s)
gc.collect()
with_pair = gc.mem_free()
c.close()
s.close()
c = s = None
gc.collect()
free = gc.mem_free()
live = free - with_pair
# Each end keeps at least its 16 KB input record buffer (and its output
# buffer, its cipher contexts and the rest, a few KB more).
check("a connected pair lives on the heap", live > 2 * 16384, "%d" % live)
print("INFO heap per connected pair: %d bytes" % live)
for i in range(5):
    c, s = pair(cctx=cctx, sctx=sctx)
    handshake(c, s)
    c.write(b"x")
    s.read(1)
    c.close()
    s.close()
c = s = None
gc.collect()
check("closed connections give it back", gc.mem_free() > free - 1024,
      "lost %d" % (free - gc.mem_free()))

# --- running out of heap --------------------------------------------------------
kept = []
err = None
try:
    for i in range(40):
        c, s = pair(cctx=cctx, sctx=sctx)
        if handshake(c, s) >= 10:
            break
        kept.append((c, s))
except (MemoryError, OSError) as e:
    err = e
c = s = None
print("INFO connected pairs in the heap: %d (%r)" % (len(kept), err))
check("out of heap: a clean error", err is not None and
      (isinstance(err, MemoryError) or err.args[0] in (12, -0x7F00)),
      repr(err))
check("out of heap: pairs before it", len(kept) >= 2, "%d" % len(kept))
for c, s in kept:
    c.close()
    s.close()
kept = c = s = None
gc.collect()
c, s = pair(cctx=cctx, sctx=sctx)
check("after running out: a new connection", handshake(c, s) < 10)
c.write(b"again")
check("after running out: data", s.read(5) == b"again")
c.close()
s.close()

done()
