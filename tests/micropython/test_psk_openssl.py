# test_psk_openssl.py - a MicroPython PSK client against `openssl s_server
# -psk -nocert -rev` (started by run.sh on 127.0.0.1:$USSL_PORT, two
# connections): the right key echoes, a wrong one fails the handshake.
import os
import socket
import tls
from mptest import check, done

ADDR = socket.getaddrinfo("127.0.0.1", int(os.getenv("USSL_PORT")))[0][-1]


def attempt(key):
    ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
    ctx.psk_identity = b"micropython"
    ctx.psk_key = key
    sock = socket.socket()
    sock.connect(ADDR)
    try:
        s = ctx.wrap_socket(sock, server_hostname="micropython.local")
    except OSError:
        sock.close()
        return None
    s.write(b"hello psk\n")
    line = s.readline()
    s.close()
    return line


check("openssl -psk: echo with the right key",
      attempt(b"secret-shared-key") == b"ksp olleh\n")
check("openssl -psk: a wrong key fails the handshake",
      attempt(b"wrong-key") is None)
done()
