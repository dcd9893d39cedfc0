"""test_asyncio_ussl.py - ussl.asyncio (python/ussl_asyncio.py): asyncio
streams over non-blocking ussl sockets.

Many concurrent connections between a ussl.asyncio client and server,
interop with asyncio's own TLS (CPython's ssl) on either side, large
transfers with flow control, handshake failures and timeouts.
"""

import asyncio
import os
import socket
import ssl
import sys
import unittest

import ussl

import ussl_testlib as tl

try:
    import ussl_asyncio
except ImportError:
    # Not yet copied next to the module by the build: use the source.
    sys.path.insert(0, os.path.join(tl.ROOT, "python"))
    import ussl_asyncio

N_CONCURRENT = 10 if tl.SLOW else 50


def client_ctx():
    ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(tl.cert("ca.pem"))
    return ctx


def server_ctx():
    ctx = ussl.SSLContext(ussl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tl.cert("server-ec-chain.pem"),
                        tl.cert("server-ec.key"))
    return ctx


async def echo(reader, writer):
    """Echo lines; 'BULK n' answers n pattern bytes."""
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            if line.startswith(b"BULK "):
                n = int(line.split()[1])
                writer.write(tl.pattern(n, seed=n))
            else:
                writer.write(b"echo: " + line)
            await writer.drain()
    finally:
        writer.close()


def run(coro, timeout=tl.TIMEOUT * 2):
    async def bounded():
        return await asyncio.wait_for(coro, timeout)
    return asyncio.run(bounded())


class ImportForms(unittest.TestCase):

    def test_names(self):
        self.assertTrue(callable(ussl_asyncio.open_connection))
        self.assertTrue(callable(ussl_asyncio.start_server))
        # ussl.asyncio resolves once ussl_asyncio is importable.
        self.assertIs(ussl.asyncio, ussl_asyncio)
        from ussl import asyncio as again
        self.assertIs(again, ussl_asyncio)
        self.assertIs(sys.modules["ussl.asyncio"], ussl_asyncio)
        with self.assertRaises(AttributeError):
            ussl.no_such_thing


class Streams(unittest.TestCase):

    def test_many_concurrent_connections(self):
        async def main():
            srv = await ussl_asyncio.start_server(
                echo, "127.0.0.1", 0, ssl=server_ctx())
            port = srv.sockets[0].getsockname()[1]
            ctx = client_ctx()

            async def one(i):
                r, w = await ussl_asyncio.open_connection(
                    "127.0.0.1", port, ssl=ctx, server_hostname="localhost")
                for k in range(5):
                    msg = b"conn %d line %d\n" % (i, k)
                    w.write(msg)
                    await w.drain()
                    self.assertEqual(await r.readline(), b"echo: " + msg)
                n = 20000 + i
                w.write(b"BULK %d\n" % n)
                self.assertEqual(await r.readexactly(n),
                                 tl.pattern(n, seed=n))
                cert = w.get_extra_info("peercert")
                self.assertIn((("commonName", "localhost"),),
                              cert["subject"])
                self.assertIsNotNone(w.get_extra_info("cipher"))
                w.close()
                await w.wait_closed()
                return i
            done = await asyncio.gather(*(one(i)
                                          for i in range(N_CONCURRENT)))
            srv.close()
            await srv.wait_closed()
            return done
        self.assertEqual(sorted(run(main())), list(range(N_CONCURRENT)))

    def test_against_asyncio_ssl_server(self):
        async def main():
            sctx = tl.server_context()
            srv = await asyncio.start_server(echo, "127.0.0.1", 0,
                                             ssl=sctx)
            port = srv.sockets[0].getsockname()[1]
            ctx = client_ctx()

            async def one(i):
                r, w = await ussl_asyncio.open_connection(
                    "127.0.0.1", port, ssl=ctx, server_hostname="localhost")
                w.write(b"hi %d\n" % i)
                self.assertEqual(await r.readline(), b"echo: hi %d\n" % i)
                w.write(b"BULK 300000\n")
                self.assertEqual(await r.readexactly(300000),
                                 tl.pattern(300000, seed=300000))
                w.close()
                await w.wait_closed()
            await asyncio.gather(*(one(i) for i in range(30)))
            srv.close()
            await srv.wait_closed()
        run(main())

    def test_asyncio_ssl_clients(self):
        async def main():
            srv = await ussl_asyncio.start_server(
                echo, "127.0.0.1", 0, ssl=server_ctx())
            async with srv:
                port = srv.sockets[0].getsockname()[1]
                cctx = tl.client_context()

                async def one(i):
                    r, w = await asyncio.open_connection(
                        "127.0.0.1", port, ssl=cctx,
                        server_hostname="localhost")
                    w.write(b"from asyncio %d\n" % i)
                    line = await r.readline()
                    w.close()
                    try:
                        await w.wait_closed()
                    except (ssl.SSLError, ConnectionError):
                        pass
                    return line
                lines = await asyncio.gather(*(one(i) for i in range(20)))
            return lines
        lines = run(main())
        self.assertEqual(sorted(lines),
                         sorted(b"echo: from asyncio %d\n" % i
                                for i in range(20)))

    def test_large_transfer_with_flow_control(self):
        size = tl.bulk_size(8 << 20)

        async def sink(reader, writer):
            n = int(await reader.readline())
            total = 0
            while total < n:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                total += len(chunk)
                # A slow consumer at first: the client's writer must wait.
                if total < n // 2:
                    await asyncio.sleep(0)
            writer.write(b"%d\n" % total)
            await writer.drain()
            writer.close()

        async def main():
            srv = await ussl_asyncio.start_server(
                sink, "127.0.0.1", 0, ssl=server_ctx())
            port = srv.sockets[0].getsockname()[1]
            r, w = await ussl_asyncio.open_connection(
                "127.0.0.1", port, ssl=client_ctx(),
                server_hostname="localhost")
            transport = w.transport
            transport.set_write_buffer_limits(high=256 * 1024)
            self.assertEqual(transport.get_write_buffer_limits(),
                             (64 * 1024, 256 * 1024))
            self.assertFalse(w.can_write_eof())
            data = tl.pattern(size, seed=7)
            w.write(b"%d\n" % size)
            peak = 0
            for off in range(0, size, 1 << 20):
                w.write(data[off:off + (1 << 20)])
                peak = max(peak, transport.get_write_buffer_size())
                await w.drain()
            self.assertEqual(await r.readline(), b"%d\n" % size)
            w.close()
            await w.wait_closed()
            srv.close()
            await srv.wait_closed()
            return peak
        peak = run(main())
        self.assertGreater(peak, 256 * 1024)

    def test_reader_pauses_transport(self):
        async def flood(reader, writer):
            writer.write(tl.pattern(2 << 20, seed=3))
            await writer.drain()
            await reader.read(1)
            writer.close()

        async def main():
            srv = await ussl_asyncio.start_server(
                flood, "127.0.0.1", 0, ssl=server_ctx())
            port = srv.sockets[0].getsockname()[1]
            r, w = await ussl_asyncio.open_connection(
                "127.0.0.1", port, ssl=client_ctx(),
                server_hostname="localhost", limit=64 * 1024)
            await asyncio.sleep(0.3)
            # The reader's buffer stays bounded (the transport paused).
            self.assertFalse(w.transport.is_reading())
            self.assertLess(len(r._buffer), 1 << 20)
            got = await r.readexactly(2 << 20)
            self.assertEqual(got, tl.pattern(2 << 20, seed=3))
            w.write(b"x")
            await w.drain()
            w.close()
            await w.wait_closed()
            srv.close()
            await srv.wait_closed()
        run(main())

    def test_eof_reported(self):
        async def hello_bye(reader, writer):
            writer.write(b"bye\n")
            await writer.drain()
            writer.close()

        async def main():
            srv = await ussl_asyncio.start_server(
                hello_bye, "127.0.0.1", 0, ssl=server_ctx())
            port = srv.sockets[0].getsockname()[1]
            r, w = await ussl_asyncio.open_connection(
                "127.0.0.1", port, ssl=client_ctx(),
                server_hostname="localhost")
            self.assertEqual(await r.read(), b"bye\n")
            self.assertTrue(r.at_eof())
            w.close()
            await w.wait_closed()
            srv.close()
            await srv.wait_closed()
        run(main())


class Failures(unittest.TestCase):

    def test_untrusted_server(self):
        async def main():
            sctx = ussl.SSLContext(ussl.PROTOCOL_TLS_SERVER)
            sctx.load_cert_chain(tl.cert("selfsigned.pem"),
                                 tl.cert("selfsigned.key"))
            srv = await ussl_asyncio.start_server(
                echo, "127.0.0.1", 0, ssl=sctx)
            port = srv.sockets[0].getsockname()[1]
            with self.assertRaises(OSError) as cm:
                await ussl_asyncio.open_connection(
                    "127.0.0.1", port, ssl=client_ctx(),
                    server_hostname="localhost")
            tl.assert_verify_error(self, cm.exception)
            # The server survives the failed handshake.
            insecure = ussl.SSLContext(ussl.PROTOCOL_TLS_CLIENT)
            insecure.verify_mode = ussl.CERT_NONE
            r, w = await ussl_asyncio.open_connection(
                "127.0.0.1", port, ssl=insecure)
            w.write(b"x\n")
            self.assertEqual(await r.readline(), b"echo: x\n")
            w.close()
            await w.wait_closed()
            srv.close()
            await srv.wait_closed()
        run(main())

    def test_server_survives_bad_clients(self):
        async def main():
            srv = await ussl_asyncio.start_server(
                echo, "127.0.0.1", 0, ssl=server_ctx())
            port = srv.sockets[0].getsockname()[1]
            # Plain text instead of a ClientHello, and a silent close.
            r, w = await asyncio.open_connection("127.0.0.1", port)
            w.write(b"GET / HTTP/1.0\r\n\r\n")
            await r.read()
            w.close()
            r, w = await asyncio.open_connection("127.0.0.1", port)
            w.close()
            # A good client still gets served.
            r, w = await ussl_asyncio.open_connection(
                "127.0.0.1", port, ssl=client_ctx(),
                server_hostname="localhost")
            w.write(b"still here\n")
            self.assertEqual(await r.readline(), b"echo: still here\n")
            w.close()
            await w.wait_closed()
            srv.close()
            await srv.wait_closed()
        run(main())

    def test_handshake_timeout(self):
        async def main():
            lsock = socket.socket()
            lsock.bind(("127.0.0.1", 0))
            lsock.listen(1)
            port = lsock.getsockname()[1]
            try:
                with self.assertRaises(asyncio.TimeoutError):
                    await ussl_asyncio.open_connection(
                        "127.0.0.1", port, ssl=client_ctx(),
                        server_hostname="localhost",
                        ssl_handshake_timeout=0.3)
            finally:
                lsock.close()
        run(main())

    def test_wrong_context_type(self):
        async def main():
            with self.assertRaises(TypeError):
                await ussl_asyncio.open_connection(
                    "127.0.0.1", 1, ssl=tl.client_context())
            with self.assertRaises(TypeError):
                await ussl_asyncio.start_server(echo, "127.0.0.1", 0,
                                                ssl=None)
        run(main())


if __name__ == "__main__":
    unittest.main()
