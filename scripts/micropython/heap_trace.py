#!/usr/bin/env python3
"""heap_trace.py - where a held TLS client connection's RAM goes in
MicroPython's unix port: every block the module and mbedTLS hold
(m_tracked_calloc, the GC heap) while one connection is held, with the
calls that made it.

Runs scripts/micropython/bench_ram.py (role client, one connection,
16 KB each way) against one `openssl s_server` under gdb, with
breakpoints on m_tracked_calloc / m_tracked_free; at the last
gc_collect() (bench_ram.py's measurement, connection held) it lists the
live blocks: bytes asked, bytes of heap taken (the 16-byte tracked
header and 32-byte GC blocks of the 64-bit port), and five callers.
The context's own blocks (made before the connection) and its session
cache entry are in the list too.  Slow (a few minutes: every
allocation of the handshake stops in gdb).

Usage: heap_trace.py MICROPYTHON [MFL]     (needs gdb and openssl; the
binary: a unix coverage build of build-micropython/, with symbols)
"""

import os
import sys

try:
    import gdb
except ImportError:
    gdb = None

if gdb is not None:
    # Inside gdb: the breakpoints, and the report at exit.
    live = {}
    last = {}

    class Done(gdb.FinishBreakpoint):
        def __init__(self, size, calls):
            super().__init__(gdb.newest_frame(), internal=True)
            self.size, self.calls = size, calls

        def stop(self):
            p = int(self.return_value)
            if p:
                live[p] = (self.size, self.calls)
            return False

    class Alloc(gdb.Breakpoint):
        def stop(self):
            n = (int(gdb.parse_and_eval("nmemb")) *
                 int(gdb.parse_and_eval("size")))
            calls, fr = [], gdb.newest_frame().older()
            while fr is not None and len(calls) < 5:
                calls.append(fr.name() or "?")
                fr = fr.older()
            Done(n, " < ".join(calls))
            return False

    class Free(gdb.Breakpoint):
        def stop(self):
            live.pop(int(gdb.parse_and_eval("ptr_in")), None)
            return False

    class Collect(gdb.Breakpoint):
        def stop(self):
            last.clear()
            last.update(live)
            return False

    def report(_event):
        total = 0
        print("%7s %7s  %s" % ("asked", "heap", "made by"))
        for size, calls in sorted(last.values(), key=lambda v: -v[0]):
            heap = (size + 16 + 31) // 32 * 32
            total += heap
            print("%7d %7d  %s" % (size, heap, calls))
        print("%7s %7d  (%d blocks)" % ("", total, len(last)))

    Alloc("m_tracked_calloc", internal=True)
    Free("m_tracked_free", internal=True)
    Collect("gc_collect", internal=True)
    gdb.events.exited.connect(report)
else:
    import shutil
    import subprocess
    import tempfile

    HERE = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, HERE)
    import bench_ram_run as b

    def main():
        if len(sys.argv) not in (2, 3):
            sys.exit(__doc__)
        mfl = int(sys.argv[2]) if len(sys.argv) == 3 else 0
        work = tempfile.mkdtemp(prefix="ussl-heap-trace-")
        peers = b.Peers()
        try:
            certs = b.make_certs(work)
            ports = b.s_servers(peers, 1, certs, work)
            env = dict(os.environ, BENCH_ROLE="client",
                       BENCH_PORTS=str(ports[0]), BENCH_MFL=str(mfl),
                       BENCH_BYTES=str(b.BYTES),
                       GCOV_PREFIX=os.path.join(work, "gcov"))
            r = subprocess.run(["gdb", "-q", "-batch", "-x",
                                os.path.abspath(__file__), "-ex", "run",
                                "--args", sys.argv[1], b.SCRIPT],
                               env=env, timeout=1800, capture_output=True,
                               text=True)
            for line in r.stdout.splitlines():
                if not line.startswith("[") and "libthread_db" not in line:
                    print(line)
            return r.returncode
        finally:
            peers.stop()
            shutil.rmtree(work, ignore_errors=True)

    if __name__ == "__main__":
        sys.exit(main())
