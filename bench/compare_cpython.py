"""compare_cpython.py BUILD_PYTHON_DIR CERT_DIR - side-by-side client figures,
ussl (the given build) against CPython ssl, both talking to one CPython ssl
server in a subprocess on 127.0.0.1: TLS 1.3 ECDSA handshakes/s and bulk
MB/s (64 KiB writes), 5 interleaved rounds, medians, ratios.  The server is
CPython too, so it bounds both sides; a first figure until make bench.
Example: python3 bench/compare_cpython.py build-openssl/python build-openssl/test-certs
"""
import sys, os, ssl, socket, time, subprocess, statistics
sys.path.insert(0, sys.argv[1]); import ussl
C = sys.argv[2]
srv_code = r'''
import ssl, socket, sys, threading
C = sys.argv[1]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(C+"/server-ec-chain.pem", C+"/server-ec.key")
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); ls.bind(("127.0.0.1", 0)); ls.listen(128)
print(ls.getsockname()[1], flush=True)
def h(c):
    try:
        t = ctx.wrap_socket(c, server_side=True)
        cmd = t.recv(1)
        if cmd == b"b":
            n = 0; buf = bytearray(65536)
            while True:
                k = t.recv_into(buf)
                if not k: break
        t.close()
    except Exception: pass
while True:
    c, _ = ls.accept(); threading.Thread(target=h, args=(c,), daemon=True).start()
'''
p = subprocess.Popen([sys.executable, "-c", srv_code, C], stdout=subprocess.PIPE)
port = int(p.stdout.readline())
cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); cctx.load_verify_locations(C+"/ca.pem")
uctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT); uctx.load_verify_locations(C+"/ca.pem"); uctx.options |= ussl.OP_NO_TICKET
def hs_cpy():
    s = socket.create_connection(("127.0.0.1", port)); t = cctx.wrap_socket(s, server_hostname="localhost"); t.send(b"h"); t.close()
def hs_us():
    s = socket.create_connection(("127.0.0.1", port)); t = uctx.wrap_socket(s, server_hostname="localhost"); t.write(b"h"); t.close()
data = os.urandom(16384) * 4
def bulk_cpy(total):
    s = socket.create_connection(("127.0.0.1", port)); t = cctx.wrap_socket(s, server_hostname="localhost"); t.send(b"b")
    t0 = time.perf_counter(); n = 0
    while n < total: t.sendall(data); n += len(data)
    dt = time.perf_counter() - t0; t.close(); return total/dt/1e6
def bulk_us(total):
    s = socket.create_connection(("127.0.0.1", port)); t = uctx.wrap_socket(s, server_hostname="localhost"); t.write(b"b")
    t0 = time.perf_counter(); n = 0
    while n < total: t.write(data); n += len(data)
    dt = time.perf_counter() - t0; t.close(); return total/dt/1e6
res = {"hs_cpy": [], "hs_us": [], "bk_cpy": [], "bk_us": []}
N = 100
for r in range(5):
    t0 = time.perf_counter(); [hs_cpy() for _ in range(N)]; res["hs_cpy"].append(N/(time.perf_counter()-t0))
    t0 = time.perf_counter(); [hs_us() for _ in range(N)]; res["hs_us"].append(N/(time.perf_counter()-t0))
    res["bk_cpy"].append(bulk_cpy(64 << 20)); res["bk_us"].append(bulk_us(64 << 20))
p.kill()
m = {k: statistics.median(v) for k, v in res.items()}
print("engine:", ussl.ENGINE, ussl.MBEDTLS_VERSION)
print("handshakes/s (client, TLS 1.3 ECDSA, CPython ssl server): ussl %.0f  CPython ssl %.0f  ratio %.2f" % (m["hs_us"], m["hs_cpy"], m["hs_us"]/m["hs_cpy"]))
print("bulk MB/s client->server (64 KiB writes): ussl %.0f  CPython ssl %.0f  ratio %.2f" % (m["bk_us"], m["bk_cpy"], m["bk_us"]/m["bk_cpy"]))
