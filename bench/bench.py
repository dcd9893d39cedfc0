#!/usr/bin/env python3
"""bench.py - the driver of `make bench`: runs every benchmark program of the
given build trees and CPython's ssl, interleaved round by round, and prints one
table of medians with ratios, the machine above it.

  python3 bench/bench.py [options] [TREE ...]      (default: build build-openssl)

For each tree: <tree>/bench/ussl-bench (our C API), raw-mbedtls-bench or
raw-openssl-bench (the same benchmark written straight on the engine, the
ceiling) and bench/py_bench.py against <tree>/python (our CPython module, one
SSLContext reused, and on mbedTLS trees also the seed ussl.wrap_socket() per
connection); once: bench/py_bench.py on CPython's ssl.  Programs a tree lacks
are left out (their cells show "-").  Every round runs every test once for
every implementation in a fixed order, so that slow drifts of the machine
touch all of them alike; the table quotes the median of the rounds.

Writes <out>/results.json (every run and the medians), <out>/table.txt and
the chart (gnuplot, bench/chart.gp).  Exit 1 if any run failed (its cells say
FAIL and its error is printed below the table).
"""
import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PY_BENCH = os.path.join(HERE, "py_bench.py")

# Columns of the table: key, heading, program kind.  "raw" is whichever
# raw-*-bench the tree has.
COLS = ["raw", "c", "ctx", "wrap", "cpython"]
PY_COLS = ("ctx", "wrap", "cpython")
COL_IMPL = {"raw": None, "c": "ussl-c", "ctx": "ussl-py-ctx",
            "wrap": "ussl-py-wrap", "cpython": "cpython-ssl"}

KEYS = ("ecdsa", "rsa")
TLSS = ("12", "13")
SUITES = ("aes128gcm", "chacha20")
SUITE_NAME = {"aes128gcm": "AES-128-GCM", "chacha20": "ChaCha20-Poly1305"}


def env_num(name, default, conv):
    v = os.environ.get(name)
    return conv(v) if v not in (None, "") else default


def parse_args():
    ap = argparse.ArgumentParser(
        description="ussl benchmarks: one table of medians over interleaved rounds.")
    ap.add_argument("trees", nargs="*",
                    help="build trees (default: $BENCH_TREES or build build-openssl)")
    ap.add_argument("--quick", action="store_true",
                    default=os.environ.get("BENCH_QUICK") not in (None, "", "0"),
                    help="smoke test: 1 round, 0.2 s runs, 2 MiB bulk ($BENCH_QUICK=1)")
    ap.add_argument("--rounds", type=int, help="rounds (default 5, $BENCH_ROUNDS)")
    ap.add_argument("--seconds", type=float,
                    help="seconds per handshake run (default 2, $BENCH_SECONDS)")
    ap.add_argument("--mbytes", type=int,
                    help="MiB per bulk direction (default 64, $BENCH_MBYTES)")
    ap.add_argument("--tests", default=os.environ.get("BENCH_TESTS", "hs,bulk,heap"),
                    help="comma-separated subset of hs,bulk,heap")
    ap.add_argument("--certs", help="certificate directory (default: made in OUT/certs "
                    "by tests/certs/mkcerts.sh)")
    ap.add_argument("--out", default=os.path.join(HERE, "out"),
                    help="results directory (default bench/out)")
    ap.add_argument("--chart", help="PNG to write ('' for none; default docs/bench.png, "
                    "with --quick OUT/bench-quick.png so that a smoke run leaves the "
                    "published chart alone)")
    a = ap.parse_args()
    quick = a.quick
    if a.rounds is None:
        a.rounds = 1 if quick else env_num("BENCH_ROUNDS", 5, int)
    if a.seconds is None:
        a.seconds = 0.2 if quick else env_num("BENCH_SECONDS", 2.0, float)
    if a.mbytes is None:
        a.mbytes = 2 if quick else env_num("BENCH_MBYTES", 64, int)
    if a.chart is None:
        a.chart = os.path.join(a.out, "bench-quick.png") if quick else \
            os.path.join(ROOT, "docs", "bench.png")
    if not a.trees:
        a.trees = os.environ.get("BENCH_TREES", "build build-openssl").split()
    a.tests = [t for t in a.tests.split(",") if t]
    bad = set(a.tests) - {"hs", "bulk", "heap"}
    if bad or a.rounds < 1 or a.seconds <= 0 or a.mbytes < 1:
        ap.error("bad --tests/--rounds/--seconds/--mbytes")
    return a


# --- what is there to run ----------------------------------------------------

def cmake_cache(tree):
    vals = {}
    try:
        with open(os.path.join(tree, "CMakeCache.txt")) as f:
            for line in f:
                m = re.match(r"([A-Za-z_0-9]+):[A-Z]+=(.*)", line)
                if m:
                    vals[m.group(1)] = m.group(2)
    except OSError:
        pass
    return vals


def module_version(pydir):
    """The engine version string of the ussl module in pydir, or None."""
    code = "import sys; sys.path.insert(0, sys.argv[1]); import ussl; print(ussl.MBEDTLS_VERSION)"
    try:
        r = subprocess.run([sys.executable, "-c", code, pydir], capture_output=True,
                           text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return None
    return r.stdout.strip() if r.returncode == 0 else None


def short_engine(version):
    """'Mbed TLS 3.6.6' -> 'mbedTLS 3.6', 'OpenSSL 3.0.19 27 Jan 2026' -> 'OpenSSL 3.0'."""
    m = re.search(r"(\d+)\.(\d+)", version or "")
    if not m:
        return version or "?"
    name = "OpenSSL" if "openssl" in version.lower() else "mbedTLS"
    return "%s %s.%s" % (name, m.group(1), m.group(2))


class Tree:
    def __init__(self, path):
        self.path = path
        cache = cmake_cache(path)
        self.kind = cache.get("USSL_ENGINE", "mbedtls").lower()
        self.pydir = os.path.join(path, "python")
        self.version = None
        if any(n.startswith("ussl") and n.endswith(".so") for n in listdir(self.pydir)):
            self.version = module_version(self.pydir)
        if self.version is None:
            self.pydir = None
        self.progs = {}
        for col, name in (("c", "ussl-bench"),
                          ("raw", "raw-openssl-bench" if self.kind == "openssl"
                           else "raw-mbedtls-bench")):
            p = os.path.join(path, "bench", name)
            if os.access(p, os.X_OK):
                self.progs[col] = p
        self.label = short_engine(self.version) if self.version else self.kind
        # mbedTLS 2.28 (Debian 12's, USSL_MBEDTLS=system) has no TLS 1.3.
        if self.version:
            self.tls13 = not self.version.lower().startswith("mbed tls 2.")
        else:
            self.tls13 = cache.get("USSL_MBEDTLS") != "system" or self.kind == "openssl"

    def cols(self):
        c = [k for k in ("raw", "c") if k in self.progs]
        if self.pydir:
            c.append("ctx")
            if self.kind != "openssl":
                c.append("wrap")
        return c


def listdir(d):
    try:
        return os.listdir(d)
    except OSError:
        return []


# --- the tests and their runs ------------------------------------------------

def configs(a):
    """(test, params) in table order; params are the programs' options."""
    out = []
    if "hs" in a.tests:
        for key in KEYS:
            for tls in TLSS:
                for resume in (False, True):
                    out.append(("hs", {"key": key, "tls": tls, "resume": resume}))
    if "bulk" in a.tests:
        for suite in SUITES:
            out.append(("bulk", {"suite": suite, "tls": "12"}))
    if "heap" in a.tests:
        for tls in TLSS:
            out.append(("heap", {"key": "ecdsa", "tls": tls}))
    return out


def argv_for(a, tree, col, test, p):
    args = ["--certs", a.certs, "--test", test, "--tls", p["tls"]]
    if "key" in p:
        args += ["--key", p["key"]]
    if p.get("resume"):
        args.append("--resume")
    if test == "bulk":
        args += ["--suite", p["suite"], "--mbytes", str(a.mbytes)]
    if test == "hs":
        args += ["--seconds", repr(a.seconds)]
    if col in ("raw", "c"):
        return [tree.progs[col]] + args
    impl = {"ctx": "ussl-ctx", "wrap": "ussl-wrap", "cpython": "cpython"}[col]
    argv = [sys.executable, PY_BENCH, "--impl", impl] + args
    if tree is not None:
        argv += ["--pythonpath", tree.pydir]
    return argv


def runs_for(a, trees, test, p):
    """[(tree or None, col)] that take part in this test."""
    out = []
    for t in trees:
        if p["tls"] == "13" and not t.tls13:
            continue
        for col in t.cols():
            if col == "wrap" and p.get("resume"):
                continue            # the seed API has no sessions
            out.append((t, col))
    if out or not trees:
        out.append((None, "cpython"))   # for comparison with what ran
    return out


def run_one(a, tree, col, test, p):
    """Run one program; returns (records, error text or None)."""
    argv = argv_for(a, tree, col, test, p)
    env = dict(os.environ)
    if test == "heap" and col in ("ctx", "wrap", "cpython"):
        env["PYTHONMALLOC"] = "malloc"      # Python's objects counted too
    limit = 90 + a.seconds * 2 + a.mbytes
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=limit,
                           env=env, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return [], "timed out after %d s: %s" % (limit, " ".join(argv))
    except OSError as e:
        return [], "%s: %s" % (argv[0], e)
    recs = []
    for line in r.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                recs.append(json.loads(line))
            except ValueError:
                return [], "bad JSON line from %s: %r" % (argv[0], line)
    if r.returncode != 0 or not recs:
        msg = (r.stderr.strip() or "exit %d, no output" % r.returncode).splitlines()
        return recs, "%s: %s" % (" ".join(os.path.basename(x) for x in argv[:3]),
                                 " | ".join(msg[-3:]))
    return recs, None


def metrics_of(test, p, rec):
    """[(metric id, value)] a record gives; metric ids name table rows."""
    if test == "hs":
        return [(("hs", p["key"], p["tls"], p["resume"]), rec["value"])]
    if test == "bulk":
        return [(("bulk", p["suite"], p["tls"], rec["dir"]), rec["value"])]
    out = []
    for which in ("steady", "hs_peak"):
        if rec.get(which) is not None:
            out.append((("heap", rec.get("role", "client"), p["tls"], which), rec[which]))
    return out


def metric_label(m):
    if m[0] == "hs":
        return "hs/s %s TLS1.%s %s" % ("ECDSA" if m[1] == "ecdsa" else "RSA-2048",
                                       m[2][1], "resumed" if m[3] else "full")
    if m[0] == "bulk":
        return "MB/s %s %s" % (SUITE_NAME[m[1]], m[3])
    return "heap KiB %s TLS1.%s %s" % ("cli" if m[1] == "client" else "srv", m[2][1],
                                       "steady" if m[3] == "steady" else "hs peak")


def metric_order(a):
    order = []
    for test, p in configs(a):
        if test == "hs":
            order.append(("hs", p["key"], p["tls"], p["resume"]))
        elif test == "bulk":
            order += [("bulk", p["suite"], p["tls"], d) for d in ("c2s", "s2c")]
    if "heap" in a.tests:
        for role in ("client", "server"):
            for tls in TLSS:
                for which in ("steady", "hs_peak"):
                    order.append(("heap", role, tls, which))
    return order


# --- the machine -------------------------------------------------------------

def machine(trees):
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    import ssl
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "kernel": "%s %s" % (platform.system(), platform.release()),
        "python": platform.python_implementation() + " " + platform.python_version(),
        "cpython_ssl": ssl.OPENSSL_VERSION,
        "engines": {t.path: t.version for t in trees},
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
    }


# --- output ------------------------------------------------------------------

def fmt_val(m, v):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    if m[0] == "heap":
        return "%.1f" % (v / 1024.0)
    return "%.0f" % v if v >= 10 else "%.1f" % v


def ratio(x, y):
    if isinstance(x, (int, float)) and isinstance(y, (int, float)) and y:
        return "%.2f" % (x / y)
    return ""


HEAD = [("raw", 7), ("ussl-c", 7), ("c/raw", 6), ("py-ctx", 7), ("ctx/c", 6),
        ("ctx/cpy", 8), ("py-wrap", 8), ("wrap/c", 7), ("wrap/cpy", 9),
        ("cpython", 8)]


def table(a, trees, med, failed, info, hows):
    """The text table: a row per metric and tree, medians and ratios."""
    lw = max(len(metric_label(m)) for m in metric_order(a)) + 1
    ew = max([len(t.label) for t in trees] + [6]) + 1
    lines = []
    p = lines.append
    p("ussl benchmark  %s" % info["date"])
    p("machine: %s, %s cores, %s, %s (ssl: %s)" % (
        info["cpu"], info["cores"], info["kernel"], info["python"], info["cpython_ssl"]))
    for t in trees:
        have = ", ".join(COL_IMPL[c] or os.path.basename(t.progs["raw"]) for c in t.cols())
        p("tree %s: %s  [%s]" % (t.path, t.version or t.kind, have or "nothing to run"))
    p("%d round%s interleaved, medians; handshake runs %.3g s, bulk %d MiB each way "
      "in 16 KiB writes (TLS 1.2, ECDSA)" % (a.rounds, "" if a.rounds == 1 else "s",
                                             a.seconds, a.mbytes))
    p("")
    p("%-*s%-*s" % (lw, "", ew, "engine") + "".join("%*s" % (w, h) for h, w in HEAD))
    prev = None
    for m in metric_order(a):
        if not any((t.path, c, m) in med for t in trees for c in COLS) and \
                (None, "cpython", m) not in med:
            continue            # e.g. server heap with no C programs
        if prev is not None and prev[0] != m[0]:
            p("")
        prev = m
        first = True
        for t in trees:
            if m[2] == "13" and not t.tls13:
                continue
            get = lambda c: med.get((t.path, c, m), failed.get((t.path, c, m)))
            raw, c, ctx, wrap = get("raw"), get("c"), get("ctx"), get("wrap")
            cpy = med.get((None, "cpython", m), failed.get((None, "cpython", m)))
            cells = [fmt_val(m, raw), fmt_val(m, c), ratio(c, raw),
                     fmt_val(m, ctx), ratio(ctx, c), ratio(ctx, cpy),
                     fmt_val(m, wrap) if t.kind != "openssl" else "",
                     ratio(wrap, c), ratio(wrap, cpy), fmt_val(m, cpy)]
            p("%-*s%-*s" % (lw, metric_label(m) if first else "", ew, t.label) +
              "".join("%*s" % (w, x) for (h, w), x in zip(HEAD, cells)))
            first = False
    p("")
    p("raw = the same benchmark written directly on the engine (the ceiling); ussl-c = our C API;")
    p("py-ctx = our CPython module, one SSLContext; py-wrap = ussl.wrap_socket() per connection;")
    p("cpython = CPython's ssl.  Ratios: c/raw, ctx/c = py-ctx / ussl-c, ctx/cpy = py-ctx / cpython.")
    p("hs/s and MB/s: higher is better; heap: lower is better.  '-' = not measured.")
    if hows:
        p("heap, KiB (1024 bytes) per connection, measured by")
        for k, v in sorted(hows.items()):
            p("  %s: %s" % (k, ", ".join(sorted(v))))
        p("  (the Python rows: steady state of 50 connections held idle, client and server "
          "process each, PYTHONMALLOC=malloc so that Python's objects count too)")
    summary(a, trees, med, p)
    return "\n".join(lines) + "\n"


def summary(a, trees, med, p):
    """Our CPython module against CPython's ssl, per tree: the range of the
    handshake and bulk ratios (higher is better) and heap per held idle
    connection (lower is better), from the medians above."""
    rows = []
    for t in trees:
        if "ctx" not in t.cols():
            continue
        r = {"hs": [], "bulk": [], "heap": []}
        for m in metric_order(a):
            if m[0] == "heap" and m[3] != "steady":
                continue
            if m[2] == "13" and not t.tls13:
                continue
            x, y = med.get((t.path, "ctx", m)), med.get((None, "cpython", m))
            if isinstance(x, (int, float)) and isinstance(y, (int, float)) and y:
                r[m[0]].append((m, x / y))
        rows.append((t, r))
    if not rows:
        return
    p("")
    p("py-ctx / cpython (CPython's ssl), same run:")
    for t, r in rows:
        for kind, what in (("hs", "handshakes/s"), ("bulk", "bulk MB/s")):
            v = [x for _, x in r[kind]]
            if v:
                p("  %-12s %-13s %.2fx .. %.2fx (%d rows; higher is better)" % (
                    t.label, what, min(v), max(v), len(v)))
        for m, x in r["heap"]:
            p("  %-12s heap held idle %s TLS1.%s  %.2fx (%.1f / %.1f KiB; lower is better)" % (
                t.label, "client" if m[1] == "client" else "server", m[2][1], x,
                med[(t.path, "ctx", m)] / 1024.0, med[(None, "cpython", m)] / 1024.0))


def chart(a, trees, med, path):
    """Data files for bench/chart.gp, then gnuplot; returns an error or None."""
    series = []                                 # (title, tree path, col, colour)
    palettes = [["#08306b", "#2171b5", "#6baed6", "#9ecae1"],
                ["#67000d", "#cb181d", "#fb6a4a", "#fcbba1"],
                ["#00441b", "#238b45", "#74c476", "#c7e9c0"]]
    for i, t in enumerate(trees):
        pal = palettes[i % len(palettes)]
        for j, c in enumerate(t.cols()):
            name = os.path.basename(t.progs["raw"]).replace("-bench", "") if c == "raw" \
                else COL_IMPL[c]
            series.append(("%s (%s)" % (name, t.label), t.path, c, pal[j % len(pal)]))
    series.append(("cpython-ssl (%s)" % short_engine(__import__("ssl").OPENSSL_VERSION),
                   None, "cpython", "#636363"))
    order = metric_order(a)
    hs_lab = lambda m: "%s\\nTLS 1.%s" % ("ECDSA" if m[1] == "ecdsa" else "RSA", m[2][1])
    panels = [
        ("hs-full", [m for m in order if m[0] == "hs" and not m[3]], hs_lab),
        ("hs-resumed", [m for m in order if m[0] == "hs" and m[3]], hs_lab),
        ("bulk", [m for m in order if m[0] == "bulk"],
         lambda m: "%s\\n%s" % ("AES-128-GCM" if m[1] == "aes128gcm" else "ChaCha20", m[3])),
        ("heap", [m for m in order if m[0] == "heap" and m[1] == "client"
                  and m[3] == "steady"],
         lambda m: "client, TLS 1.%s" % m[2][1]),
    ]
    os.makedirs(a.out, exist_ok=True)
    for name, ms, lab in panels:
        with open(os.path.join(a.out, "chart-%s.dat" % name), "w") as f:
            f.write("metric\t" + "\t".join('"%s"' % s[0] for s in series) + "\n")
            for m in ms:
                row = []
                for _, tp, c, _ in series:
                    v = med.get((tp, c, m))
                    if isinstance(v, (int, float)) and m[0] == "heap":
                        v = v / 1024.0
                    row.append("%.1f" % v if isinstance(v, (int, float)) else "-")
                f.write('"%s"\t%s\n' % (lab(m), "\t".join(row)))
    colours = " ".join(s[3] for s in series)
    title = "ussl on %s; %s, %s cores, %s; median of %d round%s" % (
        ", ".join(t.label for t in trees), a.info["cpu"], a.info["cores"],
        a.info["kernel"], a.rounds, "" if a.rounds == 1 else "s")
    cmd = ["gnuplot", "-e", "dir='%s'; out='%s'; n=%d; colours='%s'; title='%s'" % (
        a.out, path, len(series), colours, title.replace("'", "")),
        os.path.join(HERE, "chart.gp")]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return "gnuplot: %s" % e
    if r.returncode != 0:
        return "gnuplot: %s" % r.stderr.strip()
    return None


def make_certs(a):
    if a.certs:
        return
    a.certs = os.path.join(a.out, "certs")
    r = subprocess.run(["bash", os.path.join(ROOT, "tests", "certs", "mkcerts.sh"), a.certs],
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        sys.exit("bench: making certificates failed: %s" % r.stderr.strip())


def main():
    a = parse_args()
    os.makedirs(a.out, exist_ok=True)
    make_certs(a)
    trees = []
    for path in a.trees:
        if not os.path.isdir(path):
            print("bench: %s: no such build tree, skipped" % path, file=sys.stderr)
            continue
        t = Tree(path)
        if not t.cols():
            print("bench: %s: nothing to run (no bench programs, no Python module)" % path,
                  file=sys.stderr)
        trees.append(t)
    a.info = info = machine(trees)
    log = sys.stderr
    runs, errors = [], []
    samples = {}                # (tree path, col, metric) -> [values]
    failed = {}                 # (tree path, col, metric) -> "FAIL"
    hows = {}                   # heap method -> {impl}
    t_start = time.monotonic()
    for rnd in range(1, a.rounds + 1):
        for test, p in configs(a):
            shown = []
            for tree, col in runs_for(a, trees, test, p):
                recs, err = run_one(a, tree, col, test, p)
                tp = tree.path if tree else None
                for rec in recs:
                    rec.update(round=rnd, tree=tp, col=col)
                    runs.append(rec)
                    for m, v in metrics_of(test, p, rec):
                        samples.setdefault((tp, col, m), []).append(v)
                    if test == "heap" and rec.get("how"):
                        hows.setdefault(rec["how"], set()).add(rec.get("impl", col))
                if err:
                    errors.append({"round": rnd, "tree": tp, "col": col, "test": test,
                                   "params": p, "error": err})
                    for m in metric_order(a):
                        if m[0] != test or not all(m[i] == v for i, v in
                                                   _metric_params(test, p, m)):
                            continue
                        if col in PY_COLS and m[0] == "heap" and m[3] != "steady":
                            continue    # the Python rows measure only these
                        failed[(tp, col, m)] = "FAIL"
                vals = [r["value"] for r in recs if "value" in r] or \
                       [r.get("steady") for r in recs]
                shown.append("%s%s=%s" % (col, "" if tree is None else "/" + tree.label.split()[0],
                                          "FAIL" if err else ",".join(str(v) for v in vals)))
            print("[%d/%d %4.0fs] %s %s: %s" % (
                rnd, a.rounds, time.monotonic() - t_start, test,
                " ".join(("resumed" if v else "full") if k == "resume" else str(v)
                         for k, v in p.items()), " ".join(shown)), file=log, flush=True)
    med = {k: statistics.median(v) for k, v in samples.items()}
    text = table(a, trees, med, failed, info, hows)
    if errors:
        text += "\nFAILED RUNS:\n" + "".join(
            "  round %d %s %s %s: %s\n" % (e["round"], e["tree"] or "cpython", e["col"],
                                           e["test"], e["error"]) for e in errors)
    print(text, end="")
    with open(os.path.join(a.out, "table.txt"), "w") as f:
        f.write(text)
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump({
            "machine": info,
            "params": {"rounds": a.rounds, "seconds": a.seconds, "mbytes": a.mbytes,
                       "tests": a.tests, "certs": a.certs},
            "trees": [{"path": t.path, "engine": t.version, "kind": t.kind,
                       "programs": t.progs, "python": t.pydir, "columns": t.cols()}
                      for t in trees],
            "medians": [{"tree": k[0], "col": k[1], "metric": list(k[2]),
                         "label": metric_label(k[2]), "value": v, "n": len(samples[k])}
                        for k, v in sorted(med.items(), key=lambda kv: str(kv[0]))],
            "runs": runs,
            "errors": errors,
        }, f, indent=1)
        f.write("\n")
    print("results: %s, %s" % (os.path.join(a.out, "results.json"),
                               os.path.join(a.out, "table.txt")))
    if a.chart and set(a.tests) != {"hs", "bulk", "heap"}:
        print("chart: none (it needs all of hs, bulk and heap)")
    elif a.chart:
        err = chart(a, trees, med, a.chart)
        print("chart: %s" % (err or a.chart))
    return 1 if errors else 0


def _metric_params(test, p, m):
    """Which positions of metric id m must equal which params of the run."""
    if test == "hs":
        return [(1, p["key"]), (2, p["tls"]), (3, p["resume"])]
    if test == "bulk":
        return [(1, p["suite"]), (2, p["tls"])]
    return [(2, p["tls"])]


if __name__ == "__main__":
    sys.exit(main())
