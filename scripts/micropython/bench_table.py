#!/usr/bin/env python3
"""bench_table.py - the one table of `make bench-micropython`: ours and
the stock module side by side, with ratios (ours / stock).

Usage: bench_table.py RAM.json QEMU.json
  RAM.json   written by bench_ram_run.py (unix port, this run)
  QEMU.json  build-micropython/qemu/bench.json, written by qemu.sh with
             USSL_QEMU_BENCH=1: per board and firmware (ours, stock,
             none, and ours built other ways: ours_stockfeat, the stock
             module's features; ours_small, the smallest profile;
             ours_no_FEATURE, the default less one feature) text, data
             and bss, and instructions per full and resumed handshake
             (null when unavailable).  Read tolerantly:
             a mapping board -> firmware -> fields, or a list of records
             with "board" and "firmware" keys, possibly under a top-level
             key; field names are matched by what they contain.  When the
             file is missing the table says so.
"""

import json
import os
import sys

FIRMWARES = ("ours", "stock", "none")
# ours built other ways (qemu.sh): label and firmware name.
VARIANTS = (("stock features (USSL_FEATURES=stock)", "ours_stockfeat"),
            ("small profile (USSL_PROFILE=small)", "ours_small"))
# What each feature of the default costs: the default less the firmware
# built without it (qemu.sh's ours_no_FEATURE).
FEATURES = (("pre-shared keys (USSL_PSK)", "psk"),
            ("sessions and tickets (USSL_SESSIONS)", "sessions"),
            ("ALPN (USSL_ALPN)", "alpn"),
            ("signing callbacks (USSL_SIGNCB)", "signcb"),
            ("PEM input (USSL_PEM)", "pem"),
            ("DTLS (USSL_DTLS)", "dtls"),
            ("ChaCha20-Poly1305 suites (USSL_CHACHA)", "chacha"),
            ("the ssl module (USSL_SSL_MODULE)", "ssl"),
            ("the ussl module (USSL_SEED_MODULE)", "ussl"))
KNOWN = FIRMWARES + tuple(v for _, v in VARIANTS) + \
    tuple("ours_no_" + f for _, f in FEATURES)


def ratio(a, b):
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b:
        return "%.2fx" % (a / b)
    return "-"


def cell(v, note=None):
    if v is None:
        return "n/a (%s)" % note if note else "n/a"
    return str(v)


def qemu_records(data):
    """(board, firmware, fields) from bench.json, whatever its nesting."""
    out = []

    def walk(node, path):
        if isinstance(node, dict):
            fw = node.get("firmware") or node.get("kind")
            board = node.get("board")
            if any(k in node for k in ("text", "bss")) or \
                    any("handshake" in k or "insn" in k for k in node):
                if fw is None:
                    fw = next((p for p in reversed(path)
                               if p in KNOWN), None)
                if board is None:
                    board = next((p for p in reversed(path)
                                  if p not in KNOWN and
                                  p not in ("boards", "results")), None)
                out.append((board or "?", fw or "?", node))
                return
            for k, v in node.items():
                walk(v, path + [k])
        elif isinstance(node, list):
            for v in node:
                walk(v, path)

    walk(data, [])
    return out


def field(rec, *names):
    for key, v in rec.items():
        k = key.lower()
        if all(n in k for n in names):
            return v
    return None


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    rows = []   # (what, ours, stock, ratio)
    try:
        with open(sys.argv[1]) as f:
            ram = json.load(f)
    except (OSError, ValueError) as e:
        ram = None
        rows.append(("RAM benchmark (unix port)", "absent: %s" % e, "", ""))
    if ram:
        n = ram.get("n")
        for r in ram["rows"]:
            o, s = r.get("ours"), r.get("stock")
            rows.append(("%s [bytes]" % r["what"],
                         cell(o, r.get("ours_note")),
                         cell(s, r.get("stock_note")), ratio(o, s)))
    q = sys.argv[2]
    if not os.path.exists(q):
        rows.append(("QEMU firmware (flash, static RAM, instructions)",
                     "absent: %s not written" % q, "", ""))
    else:
        try:
            with open(q) as f:
                recs = qemu_records(json.load(f))
        except (OSError, ValueError) as e:
            recs = []
            rows.append(("QEMU bench.json", "unreadable: %s" % e, "", ""))
        by = {}
        for board, fw, rec in recs:
            by.setdefault(board, {})[fw] = rec
        for board in sorted(by):
            fws = by[board]
            none = fws.get("none", {})

            def get(fw, *names):
                return field(fws.get(fw, {}), *names)

            def flash(fw):
                t, d = get(fw, "text"), get(fw, "data")
                return t + d if isinstance(t, int) and isinstance(d, int) \
                    else None

            def sram(fw):
                d, b = get(fw, "data"), get(fw, "bss")
                return d + b if isinstance(d, int) and isinstance(b, int) \
                    else None

            for label, fn in (("flash (text+data)", flash),
                              ("static RAM (data+bss)", sram)):
                o, s, z = fn("ours"), fn("stock"), fn("none")
                rows.append(("%s %s [bytes]" % (board, label),
                             cell(o), cell(s), ratio(o, s)))
                if z is not None:
                    do = o - z if o is not None else None
                    ds = s - z if s is not None else None
                    rows.append(("%s %s over no-TLS firmware" % (board, label),
                                 cell(do), cell(ds), ratio(do, ds)))
                    if fn is not flash:
                        continue
                    for vlabel, v in VARIANTS:
                        f = fn(v)
                        if f is None:
                            continue
                        rows.append(("%s flash over no-TLS, ours with %s" %
                                     (board, vlabel), cell(f - z),
                                     cell(ds), ratio(f - z, ds)))
                    for flabel, feat in FEATURES:
                        f = fn("ours_no_" + feat)
                        if f is None or o is None:
                            continue
                        rows.append(("%s flash cost of %s in ours" %
                                     (board, flabel), cell(o - f), "",
                                     ""))
            for label, names in (("instructions per full handshake",
                                  ("handshake", "insns")),
                                 ("instructions per resumed handshake",
                                  ("resum",))):
                o, s = get("ours", *names), get("stock", *names)
                rows.append(("%s %s" % (board, label), cell(o), cell(s),
                             ratio(o, s)))
        if not by:
            rows.append(("QEMU bench.json", "no records found in %s" % q,
                         "", ""))
    w0 = max(len(r[0]) for r in rows)
    w1 = max(max(len(r[1]) for r in rows), 4)
    w2 = max(max(len(r[2]) for r in rows), 5)
    print("%-*s  %*s  %*s  %s" % (w0, "", w1, "ours", w2, "stock",
                                  "ours/stock"))
    for r in rows:
        print("%-*s  %*s  %*s  %s" % (w0, r[0], w1, r[1], w2, r[2], r[3]))
    if ram:
        print("(unix port, coverage variant, EC P-256, TLS 1.2; RAM per "
              "held connection = heap in use with %s held, each after 16 KB "
              "each way, / %s; handshake peak = least usable heap that "
              "completes one handshake less the heap in use before it)"
              % (n, n))


if __name__ == "__main__":
    main()
