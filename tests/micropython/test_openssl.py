# test_openssl.py - MicroPython client against `openssl s_server -rev`
# (started by run.sh on 127.0.0.1:$USSL_PORT, three connections): a
# blocking socket, a non-blocking one whose handshake wrap_socket must
# still complete (waiting with select.poll, not sleeping), and asyncio.
import os
import select
import socket
import tls
from mptest import check, data, done

PORT = int(os.getenv("USSL_PORT"))
ADDR = socket.getaddrinfo("127.0.0.1", PORT)[0][-1]
ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(data("ca.pem"))


def rev(s):
    s.write(b"hello ussl\n")
    line = s.readline()
    s.close()
    return line


# 1. blocking socket, handshake in wrap_socket
sock = socket.socket()
sock.connect(ADDR)
s = ctx.wrap_socket(sock, server_hostname="localhost")
check("openssl: TLS 1.3 with the bundled engine or 1.2 with 2.28",
      s.cipher()[1] in ("TLSv1.3", "TLSv1.2"), repr(s.cipher()))
check("openssl: blocking echo", rev(s) == b"lssu olleh\n")

# 2. non-blocking socket, handshake still completed by wrap_socket
sock = socket.socket()
sock.connect(ADDR)
sock.setblocking(False)
s = ctx.wrap_socket(sock, server_hostname="localhost")
check("openssl: handshake on a non-blocking socket", s.cipher() is not None)
s.write(b"hello ussl\n")
p = select.poll()
p.register(s, select.POLLIN)
line = b""
waits = 0
while not line.endswith(b"\n") and waits < 20:
    p.poll(5000)
    waits += 1
    part = s.read(64)
    if part:
        line += part
check("openssl: poll-driven read", line == b"lssu olleh\n", repr(line))
check("openssl: no busy loop", waits <= 3, "%d waits" % waits)
s.close()

# 3. asyncio streams over the tls module (deferred handshake)
try:
    import asyncio
except ImportError:
    asyncio = None
if asyncio:
    async def main():
        r, w = await asyncio.open_connection("127.0.0.1", PORT, ssl=ctx,
                                             server_hostname="localhost")
        w.write(b"hello ussl\n")
        await w.drain()
        line = await r.readline()
        w.close()
        await w.wait_closed()
        return line

    check("openssl: asyncio", asyncio.run(main()) == b"lssu olleh\n")
else:
    print("SKIP openssl: asyncio: not in this build (not frozen)")

done()
