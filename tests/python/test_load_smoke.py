"""test_load_smoke.py - a short run of tests/load/load.py: 100 concurrent
connections (10% misbehaving: garbage, stalls, mid-handshake drops,
truncation) against a non-blocking ussl server in a child process, one
round.  Every good connection must get verified data back, every
misbehaving one must be ended by the server, and the server must end with
no connection and no descriptor left.  The full run (1,000 connections,
two rounds, memory figures) is `python3 tests/load/load.py`.
"""

import json
import os
import subprocess
import sys
import unittest

import ussl_testlib as tl

LOAD = os.path.join(tl.ROOT, "tests", "load", "load.py")


@unittest.skipIf(tl.UNDER_VALGRIND, "a load test under valgrind says little")
class LoadSmoke(unittest.TestCase):

    def test_hundred_connections(self):
        n = 40 if tl.SLOW else 100
        argv = [sys.executable, LOAD, "--connections", str(n),
                "--rounds", "1", "--idle", str(5 * tl.TIME_SCALE), "--json"]
        # The child inherits PYTHONPATH (the ussl under test) and
        # USSL_TEST_CERTS; its own deadline is well inside this timeout.
        env = dict(os.environ)
        if tl.UNDER_ASAN:         # the module needs the runtime preloaded
            env["LD_PRELOAD"] = os.environ["USSL_ASAN_PRELOAD"]
        p = subprocess.run(argv, capture_output=True, text=True, env=env,
                           timeout=120 * tl.TIME_SCALE)
        lines = p.stdout.strip().splitlines()
        self.assertTrue(lines, "no summary; stderr:\n" + p.stderr[-3000:])
        summary = json.loads(lines[-1])
        self.assertEqual(summary["problems"], [], p.stderr[-3000:])
        self.assertTrue(summary["ok"])
        self.assertEqual(p.returncode, 0, p.stderr[-3000:])
        r = summary["rounds"][0]
        self.assertEqual(r["by_kind"]["good"].get("ok"), n - n // 10)
        bad = sum(sum(v.values()) for k, v in r["by_kind"].items()
                  if k != "good")
        self.assertEqual(bad, n // 10)
        self.assertEqual(r["server"]["open"], 0)


if __name__ == "__main__":
    unittest.main()
