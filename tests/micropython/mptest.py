# mptest.py - tiny helpers shared by the MicroPython test scripts: results
# printed as "PASS name" / "FAIL name: why" lines that run.sh counts, an
# in-memory stream pair, and the certificate directory.
import io
import os
import sys

CERTS = os.getenv("USSL_CERTS") or "certs"
_failed = 0


def check(name, cond, why=""):
    global _failed
    if cond:
        print("PASS", name)
    else:
        _failed += 1
        print("FAIL", name + ":", why)


def raises(name, exc_type, fn, *args, match=None, **kw):
    try:
        fn(*args, **kw)
    except exc_type as e:
        text = str(e)
        check(name, match is None or match in text, "message %r" % text)
        return e
    except Exception as e:
        check(name, False, "raised %r" % e)
        return e
    check(name, False, "did not raise")


def data(name):
    with open(CERTS + "/" + name, "rb") as f:
        return f.read()


def done():
    sys.exit(1 if _failed else 0)


def seed_module():
    # The `ussl` module, or None in a build without it (USSL_SEED_MODULE=0);
    # scripts test it last and stop before it then.
    try:
        import ussl
        return ussl
    except ImportError:
        print("SKIP the ussl module: not in this build")
        return None


_POLL = 3
_CLOSE = 4
_RD = 0x0001
_WR = 0x0004


class Pipe(io.IOBase):
    # One end of an in-memory stream pair; never blocks: an empty read and
    # a blocked write give None (would block), like a non-blocking socket.
    # io_calls counts reads and writes, to show that nothing spins.

    def __init__(self):
        self.other = None
        self.inbox = bytearray()
        self.closed = False
        self.io_calls = 0
        self.eof = False

    def readinto(self, buf):
        self.io_calls += 1
        if not self.inbox:
            return 0 if self.other.closed or self.eof else None
        n = min(len(buf), len(self.inbox))
        buf[:n] = self.inbox[:n]
        self.inbox = self.inbox[n:]
        return n

    def write(self, buf):
        self.io_calls += 1
        if self.other.closed:
            raise OSError(32)
        self.other.inbox += buf
        return len(buf)

    def ioctl(self, req, arg):
        if req == _POLL:
            r = 0
            if arg & _RD and (self.inbox or self.other.closed):
                r |= _RD
            if arg & _WR:
                r |= _WR
            return r
        if req == _CLOSE:
            self.closed = True
            return 0
        raise OSError(22)

    @staticmethod
    def pair():
        a, b = Pipe(), Pipe()
        a.other, b.other = b, a
        return a, b


def handshake(a, b, limit=50):
    # Drive two non-blocking TLS ends (deferred handshakes) with reads
    # until both have finished; returns the rounds used, limit if stuck.
    # Each round is one read per end: no sleeping, no polling loop.
    buf = bytearray(16)
    for i in range(limit):
        if a.cipher() is not None and b.cipher() is not None:
            return i
        for s in (a, b):
            if s.cipher() is None:
                s.readinto(buf)
    return limit
