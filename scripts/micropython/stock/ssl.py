# ssl.py - MicroPython's documented `ssl` API over the stock `tls` module,
# frozen into the stock-module binary that scripts/micropython/unix.sh
# builds for pairing tests: Debian's MicroPython source leaves out
# micropython-lib, whose ssl.py plays this part in upstream builds.  (Our
# module has its own built-in `ssl`, micropython/ussl/mod_ssl.c.)
import tls
from tls import (CERT_NONE, CERT_OPTIONAL, CERT_REQUIRED, MBEDTLS_VERSION,
                 PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER)


def _data(x):
    if isinstance(x, str):
        with open(x, "rb") as f:
            return f.read()
    return x


class SSLContext:
    def __init__(self, *args):
        self._ctx = tls.SSLContext(*args)
        self._ctx.verify_mode = CERT_NONE

    @property
    def verify_mode(self):
        return self._ctx.verify_mode

    @verify_mode.setter
    def verify_mode(self, v):
        self._ctx.verify_mode = v

    def load_cert_chain(self, certfile, keyfile):
        self._ctx.load_cert_chain(_data(certfile), _data(keyfile))

    def load_verify_locations(self, cafile=None, cadata=None):
        self._ctx.load_verify_locations(_data(cafile) if cafile else cadata)

    def wrap_socket(self, sock, server_side=False, do_handshake_on_connect=True,
                    server_hostname=None):
        return self._ctx.wrap_socket(
            sock, server_side=server_side,
            do_handshake_on_connect=do_handshake_on_connect,
            server_hostname=server_hostname)


def wrap_socket(sock, server_side=False, key=None, cert=None,
                cert_reqs=CERT_NONE, cadata=None, server_hostname=None,
                do_handshake=True):
    ctx = SSLContext(PROTOCOL_TLS_SERVER if server_side else PROTOCOL_TLS_CLIENT)
    if cert or key:
        ctx.load_cert_chain(cert, key)
    if cadata:
        ctx.load_verify_locations(cadata=cadata)
    ctx.verify_mode = cert_reqs
    return ctx.wrap_socket(sock, server_side=server_side,
                           do_handshake_on_connect=do_handshake,
                           server_hostname=server_hostname)
