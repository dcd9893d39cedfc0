"""ussl_asyncio.py - asyncio streams over ussl; also reachable as ussl.asyncio.

open_connection() and start_server() work like asyncio's functions of the
same names, with ssl= a ussl.SSLContext, and hand out asyncio's own
StreamReader and StreamWriter objects.  Underneath, SSLTransport drives a
non-blocking ussl.SSLSocket from the event loop's add_reader()/add_writer()
callbacks: the TLS engine says which direction it waits for (`want`), and
the transport asks the loop for exactly that.

    from ussl import asyncio as uasyncio     # or: import ussl_asyncio

    reader, writer = await uasyncio.open_connection(
        "example.com", 443, ssl=ctx, server_hostname="example.com")
"""

import asyncio
import logging
import socket

import ussl

__all__ = ["open_connection", "start_server", "Server", "SSLTransport"]

_log = logging.getLogger("ussl.asyncio")

# Plaintext read per call; a TLS record holds at most 16 KiB.
_READ_CHUNK = 65536
# Plaintext handed to one write call.
_WRITE_CHUNK = 65536
# Reads done in one callback before yielding to other connections.
_READS_PER_TURN = 16
_HANDSHAKE_TIMEOUT = 60.0


async def _wait_fd(loop, fd, want):
    """Wait until fd is ready in the direction `want` (ussl.WANT_*)."""
    fut = loop.create_future()

    def ready():
        if not fut.done():
            fut.set_result(None)

    if want == ussl.WANT_WRITE:
        loop.add_writer(fd, ready)
        try:
            await fut
        finally:
            loop.remove_writer(fd)
    else:
        loop.add_reader(fd, ready)
        try:
            await fut
        finally:
            loop.remove_reader(fd)


async def _handshake(loop, ssock, timeout):
    async def run():
        fd = ssock.fileno()
        while not ssock.do_handshake():
            await _wait_fd(loop, fd, ssock.want)

    await asyncio.wait_for(run(), _HANDSHAKE_TIMEOUT if timeout is None
                           else timeout)


class SSLTransport(asyncio.Transport):
    """An asyncio transport over a non-blocking ussl.SSLSocket.

    Writes are buffered and flushed when the socket allows; after the
    engine answers "would block" the same chunk is offered again, as the
    engine requires.  Flow control follows asyncio's: pause_writing() on
    the protocol above the high-water mark, pause_reading() from the
    StreamReader when its buffer is full.
    """

    def __init__(self, loop, ssock, rawsock, protocol, server=None):
        super().__init__()
        self._loop = loop
        self._ssl = ssock
        self._raw = rawsock
        self._fd = ssock.fileno()
        self._protocol = protocol
        self._server = server
        self._wbuf = bytearray()
        self._chunk = None          # offered to write(), not yet taken
        self._read_want = 0         # what a blocked read waits for
        self._write_want = 0        # what a blocked write waits for
        self._unflushed = False     # written output still in the socket
        self._reading = True
        self._eof = False
        self._closing = False
        self._closed = False
        self._reader_on = False
        self._writer_on = False
        self._high = 64 * 1024
        self._low = 16 * 1024
        self._writing_paused = False
        self._scheduled = False
        try:
            peername = rawsock.getpeername()
        except OSError:
            peername = None
        self._extra = {
            "socket": rawsock,
            "peername": peername,
            "sockname": rawsock.getsockname(),
            "ssl_object": ssock,
            "sslcontext": ssock.context,
            "compression": None,
        }
        if server is not None:
            server._attach(self)
        self._protocol.connection_made(self)
        self._loop.call_soon(self._on_ready)

    # --- asyncio.BaseTransport / ReadTransport / WriteTransport ---------

    def get_extra_info(self, name, default=None):
        if name in ("peercert", "cipher"):
            if self._closed:
                return default
            return (self._ssl.getpeercert() if name == "peercert"
                    else self._ssl.cipher())
        return self._extra.get(name, default)

    def is_closing(self):
        return self._closing or self._closed

    def get_protocol(self):
        return self._protocol

    def set_protocol(self, protocol):
        self._protocol = protocol

    def is_reading(self):
        return self._reading and not self._closing and not self._closed

    def pause_reading(self):
        self._reading = False
        self._update_interest()

    def resume_reading(self):
        if not self._reading:
            self._reading = True
            self._schedule()

    def set_write_buffer_limits(self, high=None, low=None):
        if high is None:
            high = 64 * 1024 if low is None else 4 * low
        if low is None:
            low = high // 4
        if not high >= low >= 0:
            raise ValueError("high (%r) must be >= low (%r) must be >= 0"
                             % (high, low))
        self._high, self._low = high, low
        self._check_pause()

    def get_write_buffer_limits(self):
        return (self._low, self._high)

    def get_write_buffer_size(self):
        return len(self._wbuf)

    def write(self, data):
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError("data must be bytes-like, not %s"
                            % type(data).__name__)
        if self._closing or self._closed:
            return
        if not data:
            return
        self._wbuf += data
        self._flush()
        self._check_pause()
        self._update_interest()

    def writelines(self, list_of_data):
        for data in list_of_data:
            self.write(data)

    def can_write_eof(self):
        # TLS has no half-close of the sending side short of close_notify.
        return False

    def write_eof(self):
        raise NotImplementedError("TLS streams cannot write EOF; close()")

    def close(self):
        if self._closing or self._closed:
            return
        self._closing = True
        self._reading = False
        if not self._wbuf:
            self._loop.call_soon(self._finish, None)
        else:
            self._update_interest()

    def abort(self):
        if not self._closed:
            self._wbuf.clear()
            self._chunk = None
            self._finish(None)

    # --- driving the socket ----------------------------------------------

    def _schedule(self):
        if not self._scheduled and not self._closed:
            self._scheduled = True
            self._loop.call_soon(self._on_ready)

    def _on_ready(self):
        self._scheduled = False
        if self._closed:
            return
        self._flush()
        if not self._closed:
            self._read_some()
        if not self._closed:
            self._update_interest()

    def _flush(self):
        while self._wbuf and not self._closed:
            if self._chunk is None:
                self._chunk = bytes(self._wbuf[:_WRITE_CHUNK])
            try:
                n = self._ssl.write(self._chunk)
            except OSError as e:
                self._fatal(e)
                return
            if n is None:
                self._write_want = self._ssl.want
                return
            self._write_want = 0
            del self._wbuf[:n]
            self._chunk = None
        if not self._wbuf and not self._closed:
            # Taken is not yet sent: what the socket did not take waits
            # in the connection until write(b"") (or a read) sends it.
            try:
                self._unflushed = self._ssl.write(b"") is None
            except OSError as e:
                self._fatal(e)
                return
        if not self._wbuf:
            self._write_want = 0
            self._check_pause()
            if self._closing:
                self._finish(None)

    def _read_some(self):
        for _ in range(_READS_PER_TURN):
            if not self._reading or self._eof or self._closed:
                return
            try:
                data = self._ssl.read(_READ_CHUNK)
            except OSError as e:
                self._fatal(e)
                return
            if data is None:
                self._read_want = self._ssl.want
                return
            self._read_want = 0
            if not data:
                self._eof = True
                keep_open = self._protocol.eof_received()
                if not keep_open:
                    self.close()
                return
            self._protocol.data_received(data)
        # More may be decrypted already: come back after other callbacks.
        self._schedule()

    def _check_pause(self):
        size = len(self._wbuf)
        if not self._writing_paused and size > self._high:
            self._writing_paused = True
            self._protocol.pause_writing()
        elif self._writing_paused and size <= self._low:
            self._writing_paused = False
            self._protocol.resume_writing()

    def _update_interest(self):
        if self._closed:
            return
        want_read = want_write = False
        if self._reading and not self._eof and not self._closing:
            if self._read_want == ussl.WANT_WRITE:
                want_write = True
            else:
                want_read = True
        if self._wbuf or self._unflushed:
            if self._write_want == ussl.WANT_READ:
                want_read = True
            else:
                want_write = True
        if want_read != self._reader_on:
            if want_read:
                self._loop.add_reader(self._fd, self._on_ready)
            else:
                self._loop.remove_reader(self._fd)
            self._reader_on = want_read
        if want_write != self._writer_on:
            if want_write:
                self._loop.add_writer(self._fd, self._on_ready)
            else:
                self._loop.remove_writer(self._fd)
            self._writer_on = want_write

    def _fatal(self, exc):
        _log.debug("%r: %r", self, exc)
        self._finish(exc)

    def _finish(self, exc):
        if self._closed:
            return
        self._closed = True
        self._closing = True
        if self._reader_on:
            self._loop.remove_reader(self._fd)
            self._reader_on = False
        if self._writer_on:
            self._loop.remove_writer(self._fd)
            self._writer_on = False
        self._wbuf.clear()
        self._chunk = None
        try:
            # close_notify (best effort, never blocks here), then the socket.
            self._ssl.close()
        except OSError:
            pass
        if self._server is not None:
            self._server._detach(self)
            self._server = None
        self._loop.call_soon(self._protocol.connection_lost, exc)

    def __repr__(self):
        state = "closed" if self._closed else (
            "closing" if self._closing else "open")
        return "<ussl_asyncio.SSLTransport fd=%d %s>" % (self._fd, state)


def _stream_pair(loop, limit):
    reader = asyncio.StreamReader(limit=limit, loop=loop)
    protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
    return reader, protocol


async def open_connection(host=None, port=None, *, ssl, server_hostname=None,
                          limit=2 ** 16, family=0, sock=None,
                          ssl_handshake_timeout=None):
    """Connect to host:port over TLS; returns (StreamReader, StreamWriter).

    ssl is a ussl.SSLContext (client).  server_hostname defaults to host,
    as in asyncio; it is sent as SNI and checked against the certificate.
    sock: an already connected socket to use instead of host and port.
    """
    if not isinstance(ssl, ussl.SSLContext):
        raise TypeError("ssl must be a ussl.SSLContext")
    loop = asyncio.get_running_loop()
    if server_hostname is None and isinstance(host, str) and host:
        server_hostname = host
    if sock is None:
        raw = await _connect(loop, host, port, family)
    else:
        raw = sock
        raw.setblocking(False)
    try:
        ssock = ssl.wrap_socket(raw, server_hostname=server_hostname,
                                do_handshake_on_connect=False)
    except BaseException:
        raw.close()
        raise
    try:
        await _handshake(loop, ssock, ssl_handshake_timeout)
    except BaseException:
        ssock.close()
        raise
    reader, protocol = _stream_pair(loop, limit)
    transport = SSLTransport(loop, ssock, raw, protocol)
    writer = asyncio.StreamWriter(transport, protocol, reader, loop)
    return reader, writer


async def _connect(loop, host, port, family):
    infos = await loop.getaddrinfo(host, port, family=family,
                                   type=socket.SOCK_STREAM)
    if not infos:
        raise OSError("getaddrinfo(%r) returned nothing" % (host,))
    errors = []
    for fam, typ, proto, _name, addr in infos:
        raw = socket.socket(fam, typ, proto)
        try:
            raw.setblocking(False)
            await loop.sock_connect(raw, addr)
            return raw
        except OSError as e:
            raw.close()
            errors.append(e)
        except BaseException:
            raw.close()
            raise
    if len(errors) == 1:
        raise errors[0]
    raise OSError("could not connect to %r: %s" % (
        (host, port), ", ".join(str(e) for e in errors)))


class Server:
    """What start_server() returns: like asyncio.Server (close(),
    wait_closed(), sockets, serve_forever(), async with)."""

    def __init__(self, loop, sockets, ctx, callback, limit, hs_timeout):
        self._loop = loop
        self._sockets = sockets
        self._ctx = ctx
        self._callback = callback
        self._limit = limit
        self._hs_timeout = hs_timeout
        self._tasks = set()         # accept loops and handshakes
        self._transports = set()
        self._serving = False
        self._closed = False
        self._waiters = []

    @property
    def sockets(self):
        return tuple(self._sockets)

    def get_loop(self):
        return self._loop

    def is_serving(self):
        return self._serving

    async def start_serving(self):
        if self._serving or self._closed:
            return
        self._serving = True
        for lsock in self._sockets:
            self._spawn(self._accept_loop(lsock))

    async def serve_forever(self):
        await self.start_serving()
        fut = self._loop.create_future()
        self._waiters.append(fut)
        try:
            await fut
        finally:
            self.close()

    def close(self):
        if self._closed:
            return
        self._closed = True
        self._serving = False
        for lsock in self._sockets:
            lsock.close()
        for t in list(self._tasks):
            t.cancel()
        for fut in self._waiters:
            if not fut.done():
                fut.set_result(None)

    async def wait_closed(self):
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        self.close()
        await self.wait_closed()

    # --- internals ---

    def _spawn(self, coro):
        task = self._loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _attach(self, transport):
        self._transports.add(transport)

    def _detach(self, transport):
        self._transports.discard(transport)

    async def _accept_loop(self, lsock):
        while not self._closed:
            try:
                raw, _addr = await self._loop.sock_accept(lsock)
            except asyncio.CancelledError:
                raise
            except OSError as e:
                if self._closed:
                    return
                _log.debug("accept failed: %r", e)
                await asyncio.sleep(0.1)
                continue
            self._spawn(self._serve(raw))

    async def _serve(self, raw):
        raw.setblocking(False)
        try:
            ssock = self._ctx.wrap_socket(raw, server_side=True,
                                          do_handshake_on_connect=False)
        except Exception as e:
            _log.debug("wrap_socket failed: %r", e)
            raw.close()
            return
        try:
            await _handshake(self._loop, ssock, self._hs_timeout)
        except (Exception, asyncio.CancelledError) as e:
            _log.debug("handshake failed: %r", e)
            ssock.close()
            if isinstance(e, asyncio.CancelledError):
                raise
            return
        reader = asyncio.StreamReader(limit=self._limit, loop=self._loop)
        protocol = asyncio.StreamReaderProtocol(reader, self._callback,
                                                loop=self._loop)
        SSLTransport(self._loop, ssock, raw, protocol, server=self)


async def start_server(client_connected_cb, host=None, port=None, *, ssl,
                       limit=2 ** 16, family=socket.AF_UNSPEC, backlog=100,
                       reuse_address=True, sock=None,
                       ssl_handshake_timeout=None, start_serving=True):
    """Serve TLS on host:port; client_connected_cb(reader, writer) (a
    function or a coroutine function) runs for each connection once its
    handshake is done.  ssl is a ussl.SSLContext (server)."""
    if not isinstance(ssl, ussl.SSLContext):
        raise TypeError("ssl must be a ussl.SSLContext")
    loop = asyncio.get_running_loop()
    if sock is not None:
        sock.setblocking(False)
        sockets = [sock]
    else:
        sockets = await _listen(loop, host, port, family, backlog,
                                reuse_address)
    server = Server(loop, sockets, ssl, client_connected_cb, limit,
                    ssl_handshake_timeout)
    if start_serving:
        await server.start_serving()
    return server


async def _listen(loop, host, port, family, backlog, reuse_address):
    infos = await loop.getaddrinfo(host, port, family=family,
                                   type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    sockets = []
    try:
        for fam, typ, proto, _name, addr in infos:
            lsock = socket.socket(fam, typ, proto)
            sockets.append(lsock)
            if reuse_address:
                lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if fam == socket.AF_INET6 and hasattr(socket, "IPPROTO_IPV6"):
                lsock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            lsock.bind(addr)
            lsock.listen(backlog)
            lsock.setblocking(False)
    except BaseException:
        for s in sockets:
            s.close()
        raise
    if not sockets:
        raise OSError("nothing to listen on for %r" % ((host, port),))
    return sockets
