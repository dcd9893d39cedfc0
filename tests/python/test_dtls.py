"""test_dtls.py - DTLS 1.2 in the ussl module over connected UDP sockets.

ussl to ussl (the server's cookie turn is handled inside do_handshake),
through a lossy relay that drops handshake datagrams (retransmission
recovers), replays and alters application datagrams (dropped, the
connection goes on); a peer that never answers (the timeout is honoured
while the retransmission timer runs); interop with openssl s_server and
s_client in -dtls1_2 mode.  Everything on 127.0.0.1, bounded in time.
"""

import os
import shutil
import socket
import subprocess
import threading
import time
import unittest

import ussl

import ussl_testlib as tl

T = tl.TIMEOUT


def server_ctx():
    ctx = ussl.SSLContext(ussl.PROTOCOL_DTLS_SERVER)
    ctx.load_cert_chain(tl.cert("server-ec-chain.pem"),
                        tl.cert("server-ec.key"))
    return ctx


def client_ctx():
    ctx = ussl.SSLContext(ussl.PROTOCOL_DTLS_CLIENT)
    ctx.load_verify_locations(tl.cert("ca.pem"))
    return ctx


def udp(bind_port=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", bind_port))
    return s


def accept_dgram(listener, timeout=T):
    """The DTLS server's side of 'accept': learn the client's address
    from its first datagram (left queued) and connect to it."""
    listener.settimeout(timeout)
    _, addr = listener.recvfrom(1, socket.MSG_PEEK)
    listener.connect(addr)
    return listener


class Relay(threading.Thread):
    """A UDP relay between a client and a server port, which can drop,
    duplicate and alter datagrams, by direction and count."""

    def __init__(self, server_port):
        super().__init__(daemon=True)
        self.sock = udp()
        self.port = self.sock.getsockname()[1]
        self.server = ("127.0.0.1", server_port)
        self.client = None
        self.n = {"c2s": 0, "s2c": 0}
        self.drop = {"c2s": set(), "s2c": set()}
        self.dup_app = False
        self.alter_app = 0
        self.altered = 0
        self.dupped = 0
        self.stop = False
        self.sock.settimeout(0.1)

    def run(self):
        while not self.stop:
            try:
                data, addr = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            if addr == self.server:
                d, to = "s2c", self.client
            else:
                self.client = addr
                d, to = "c2s", self.server
            i = self.n[d]
            self.n[d] += 1
            if i in self.drop[d] or to is None:
                continue
            if data[0] == 23 and d == "c2s":     # application data
                if self.alter_app > 0:
                    self.alter_app -= 1
                    self.altered += 1
                    bad = bytearray(data)
                    bad[-2] ^= 0x55
                    self.sock.sendto(bytes(bad), to)
                if self.dup_app:
                    self.dupped += 1
                    self.sock.sendto(data, to)
            self.sock.sendto(data, to)

    def close(self):
        self.stop = True
        self.join(5)
        self.sock.close()


class DtlsPair(unittest.TestCase):

    def run_server(self, listener, rounds, result):
        try:
            s = accept_dgram(listener)
            s.settimeout(T)
            ss = server_ctx().wrap_socket(s, server_side=True)
            for _ in range(rounds):
                msg = ss.recv(2048)
                ss.send(b"echo:" + msg)
            result.append(ss.version())
            ss.close()
        except Exception as e:       # reported by the test
            result.append(e)

    def client(self, port):
        c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        c.settimeout(T)
        c.connect(("127.0.0.1", port))
        return client_ctx().wrap_socket(c, server_hostname="localhost")

    def test_ussl_to_ussl(self):
        listener = udp()
        port = listener.getsockname()[1]
        result = []
        th = threading.Thread(target=self.run_server,
                              args=(listener, 3, result))
        th.start()
        cs = self.client(port)
        self.assertEqual(cs.version(), "DTLSv1.2")
        for i in range(3):
            msg = b"datagram %d" % i
            self.assertEqual(cs.send(msg), len(msg))
            self.assertEqual(cs.recv(2048), b"echo:" + msg)
        # One record per send: larger than a record is refused whole.
        with self.assertRaises(OSError) as cm:
            cs.send(bytes(5000))
        self.assertEqual(cm.exception.args[0], ussl.E_BADARG)
        cs.close()
        th.join(T)
        self.assertEqual(result, ["DTLSv1.2"])

    def test_lossy_replaying_relay(self):
        listener = udp()
        relay = Relay(listener.getsockname()[1])
        # Lost: the client's first ClientHello and the server's first
        # flight after the cookie (its datagrams 1 and 2).
        relay.drop["c2s"] = {0}
        relay.drop["s2c"] = {1, 2}
        relay.dup_app = True
        relay.alter_app = 2
        relay.start()
        result = []
        th = threading.Thread(target=self.run_server,
                              args=(listener, 4, result))
        th.start()
        try:
            t0 = time.monotonic()
            cs = self.client(relay.port)
            # Recovery needs retransmission timers (1 s, then 2 s...).
            self.assertGreater(time.monotonic() - t0, 0.9)
            got = []
            for i in range(4):
                msg = b"m%d" % i
                cs.send(msg)
                if i < 2:
                    # Altered copies went first and were dropped; the
                    # replayed copies too: exactly one answer each.
                    pass
                got.append(cs.recv(2048))
            self.assertEqual(got, [b"echo:m%d" % i for i in range(4)])
            cs.close()
            th.join(T)
            self.assertEqual(result, ["DTLSv1.2"])
            self.assertEqual(relay.altered, 2)
            self.assertGreaterEqual(relay.dupped, 4)
        finally:
            relay.close()
            listener.close()

    def test_no_answer_times_out(self):
        # Nobody reads this port: the handshake resends until the
        # socket's timeout, then raises TimeoutError (no hang).
        sink = udp()
        c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        c.connect(sink.getsockname())
        c.settimeout(2.5)
        t0 = time.monotonic()
        with self.assertRaises(TimeoutError):
            client_ctx().wrap_socket(c, server_hostname="localhost")
        self.assertLess(time.monotonic() - t0, 2.5 + 5 * tl.TIME_SCALE)
        # 1 s timer: the ClientHello went at least twice.
        sink.settimeout(0.5)
        n = 0
        try:
            while True:
                sink.recvfrom(65536)
                n += 1
        except socket.timeout:
            pass
        self.assertGreaterEqual(n, 2)
        c.close()
        sink.close()

    def test_protocol_constants(self):
        self.assertEqual(server_ctx().protocol, ussl.PROTOCOL_DTLS_SERVER)
        self.assertEqual(client_ctx().protocol, ussl.PROTOCOL_DTLS_CLIENT)


@unittest.skipUnless(shutil.which("openssl"), "openssl not installed")
class DtlsOpenssl(unittest.TestCase):

    def test_client_to_openssl_server(self):
        port = tl.free_port()
        p = subprocess.Popen(
            ["openssl", "s_server", "-dtls1_2", "-accept",
             "127.0.0.1:%d" % port, "-cert", tl.cert("server-ec.pem"),
             "-cert_chain", tl.cert("int.pem"),
             "-key", tl.cert("server-ec.key"), "-naccept", "1"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT)
        try:
            # Listening once it says so (bounded by the pipe's end).
            for line in p.stdout:
                if line.startswith(b"ACCEPT"):
                    break
            c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            c.settimeout(T)
            c.connect(("127.0.0.1", port))
            cs = client_ctx().wrap_socket(c, server_hostname="localhost")
            self.assertEqual(cs.version(), "DTLSv1.2")
            cs.send(b"hello from ussl\n")
            for line in p.stdout:
                if b"hello from ussl" in line:
                    break
            p.stdin.write(b"hello from openssl\n")
            p.stdin.flush()
            self.assertEqual(cs.recv(100), b"hello from openssl\n")
            cs.close()
            c.close()
        finally:
            p.kill()
            p.wait(T)
            p.stdout.close()
            p.stdin.close()

    def test_openssl_client_to_server(self):
        listener = udp()
        port = listener.getsockname()[1]
        out = []

        def serve():
            try:
                s = accept_dgram(listener)
                s.settimeout(T)
                ss = server_ctx().wrap_socket(s, server_side=True)
                out.append(ss.recv(100))
                ss.send(b"from ussl\n")
                out.append(ss.version())
            except Exception as e:
                out.append(e)

        th = threading.Thread(target=serve)
        th.start()
        p = subprocess.Popen(
            ["openssl", "s_client", "-dtls1_2", "-connect",
             "127.0.0.1:%d" % port, "-CAfile", tl.cert("ca.pem"),
             "-verify_return_error", "-servername", "localhost", "-quiet"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL)
        try:
            p.stdin.write(b"from openssl\n")
            p.stdin.flush()
            th.join(T)
            line = p.stdout.readline()
        finally:
            p.kill()
            p.wait(T)
            p.stdout.close()
            p.stdin.close()
            listener.close()
        self.assertEqual(out, [b"from openssl\n", "DTLSv1.2"])
        self.assertEqual(line, b"from ussl\n")


if __name__ == "__main__":
    unittest.main()
