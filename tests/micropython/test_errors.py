# test_errors.py - argument and data errors of both modules, and the
# stock-compatible forms the `tls` module raises.
import io
import tls
from mptest import (CERTS, Pipe, check, data, done, handshake, raises,
                    seed_module)

ussl = seed_module()

CHAIN = data("server-ec-chain.pem")
KEY = data("server-ec.key")

check("tls constants", (tls.CERT_NONE, tls.CERT_OPTIONAL, tls.CERT_REQUIRED)
      == (0, 1, 2) and tls.PROTOCOL_TLS_CLIENT == 0)
check("MBEDTLS_VERSION", tls.MBEDTLS_VERSION.lower().startswith("mbed"),
      tls.MBEDTLS_VERSION)
raises("SSLContext() needs a protocol", TypeError, tls.SSLContext)
ctx = tls.SSLContext(tls.PROTOCOL_TLS_SERVER)
raises("bad key data", ValueError, ctx.load_cert_chain, CHAIN, b"nonsense",
       match="invalid key")
raises("bad cert data", ValueError, ctx.load_cert_chain, b"nonsense", KEY,
       match="invalid cert")
raises("key of another cert", ValueError, ctx.load_cert_chain, CHAIN,
       data("server-rsa.key"))
raises("bad CA data", ValueError, ctx.load_verify_locations, b"!",
       match="invalid cert")
ciphers = ctx.get_ciphers()
check("get_ciphers lists the engine's suites", len(ciphers) > 4 and
      all(isinstance(c, str) for c in ciphers))
ctx.set_ciphers(ciphers[:2])
e = raises("unknown suite", OSError, ctx.set_ciphers, ["NOPE"])
check("stock error form", e is not None and e.args ==
      (-24192, "MBEDTLS_ERR_SSL_BAD_CONFIG"), repr(e))
raises("set_ciphers needs a list", TypeError, ctx.set_ciphers, "x")
raises("verify_mode range", OSError, setattr, ctx, "verify_mode", 7)
raises("no attribute", AttributeError, getattr, ctx, "nope")

# A server without a certificate: the socket exists (as with the stock
# module) and fails at its first use.
s = tls.SSLContext(tls.PROTOCOL_TLS_SERVER).wrap_socket(
    io.BytesIO(), server_side=True, do_handshake_on_connect=False)
raises("server without cert fails on use", OSError, s.read, 1)
s.close()

# A verifying client without trusted CAs: the stock module's error
# (CA_CHAIN_REQUIRED), at once or at first use.
NO_CA = (-30336, "MBEDTLS_ERR_SSL_CA_CHAIN_REQUIRED")
c = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
e = raises("no CA: wrap_socket", OSError, c.wrap_socket, io.BytesIO(),
           server_hostname="localhost")
check("no CA: stock error form", e is not None and e.args == NO_CA, repr(e))
s = c.wrap_socket(io.BytesIO(), server_hostname="localhost",
                  do_handshake_on_connect=False)
e = raises("no CA: deferred, at first use", OSError, s.read, 1)
check("no CA: deferred, stock error form", e is not None and e.args == NO_CA,
      repr(e))
s.close()

# The `ssl` module (MicroPython's documented API; built in unless
# USSL_SSL_MODULE=0): contexts start with CERT_NONE, files or data.
try:
    import ssl
except ImportError:
    ssl = None
    print("SKIP the ssl module: not in this build")
if ssl:
    check("ssl: client context starts CERT_NONE",
          ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).verify_mode == ssl.CERT_NONE)
    check("ssl: constants", (ssl.CERT_NONE, ssl.CERT_OPTIONAL,
          ssl.CERT_REQUIRED) == (tls.CERT_NONE, tls.CERT_OPTIONAL,
          tls.CERT_REQUIRED))
    sc = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sc.load_cert_chain(CERTS + "/server-ec-chain.pem",
                       CERTS + "/server-ec.key")
    cc = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cc.load_verify_locations(cafile=CERTS + "/ca.pem")
    cc.verify_mode = ssl.CERT_REQUIRED
    cio, sio = Pipe.pair()
    a = cc.wrap_socket(cio, server_hostname="localhost",
                       do_handshake_on_connect=False)
    b = sc.wrap_socket(sio, server_side=True, do_handshake_on_connect=False)
    check("ssl: SSLContext with files, verified handshake",
          handshake(a, b) < 10)
    a.close()
    b.close()
    cio, sio = Pipe.pair()
    a = ssl.wrap_socket(cio, cert_reqs=ssl.CERT_REQUIRED,
                        cadata=data("ca.pem"), server_hostname="localhost",
                        do_handshake=False)
    b = ssl.wrap_socket(sio, server_side=True, cert=data("server-ec-chain.pem"),
                        key=data("server-ec.key"), do_handshake=False)
    check("ssl: wrap_socket with data", handshake(a, b) < 10)
    a.write(b"hi")
    check("ssl: data", b.read(2) == b"hi")
    a.close()
    b.close()
    raises("ssl: load_verify_locations needs something", TypeError,
           cc.load_verify_locations)

# The peer goes away in the middle of the handshake
cio, sio = Pipe.pair()
c = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
c.verify_mode = tls.CERT_NONE
c = c.wrap_socket(cio, do_handshake_on_connect=False)
check("handshake wants data", c.read(1) is None)
sio.closed = True
e = raises("EOF during handshake", OSError, c.read, 1)
check("stock form CONN_EOF", e is not None and e.args[0] == -29312, repr(e))
if hasattr(c, "ioctl"):  # coverage builds only
    check("failed socket polls NVAL", c.ioctl(3, 1) == 0x20)

# The ussl module
if ussl is None:
    done()
raises("ussl: path and data", ValueError, ussl.wrap_socket, Pipe.pair()[0],
       certfile=CERTS + "/server-ec.pem", cert=CHAIN)
raises("ussl: missing file", OSError, ussl.wrap_socket, Pipe.pair()[0],
       server_side=True, certfile=CERTS + "/nonexistent.pem", key=KEY)
raises("ussl: bad cert_reqs", ValueError, ussl.wrap_socket, Pipe.pair()[0],
       cert_reqs=9)
raises("ussl: verify without hostname", ValueError, ussl.wrap_socket,
       Pipe.pair()[0], cert_reqs=ussl.CERT_REQUIRED, cadata=data("ca.pem"))
raises("ussl: verify without CA", ValueError, ussl.wrap_socket,
       Pipe.pair()[0], cert_reqs=ussl.CERT_REQUIRED, server_hostname="x")
raises("ussl: server without cert", ValueError, ussl.wrap_socket,
       Pipe.pair()[0], server_side=True, do_handshake=False)
raises("ussl: garbage PEM", ValueError, ussl.wrap_socket, Pipe.pair()[0],
       server_side=True, certfile=CERTS + "/garbage.pem", key=KEY)
raises("ussl: encrypted key without password", ValueError,
       ussl.wrap_socket, Pipe.pair()[0], server_side=True,
       certfile=CERTS + "/server-ec.pem",
       keyfile=CERTS + "/encrypted.key")
raises("ussl: not a stream", OSError, ussl.wrap_socket, 42)

done()
