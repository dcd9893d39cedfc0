#!/usr/bin/env python3
"""score.py - run the x509-limbo harness and score it against the suite.

    score.py --harness build/limbo-harness --limbo ../shared/x509-limbo/limbo.json
             [--floors tests/limbo] [--results out.json] [--quiet] [--relax N]

Prints "limbo: N agree, M disagree (K false accepts, R false rejects),
S skipped of T" and every disagreement, then fails (exit 1) when:
  - a case expected to FAIL is accepted (a false accept) and is not one of
    the deliberate deviations listed in deviations.txt (in --floors), or
  - agreements fall below the floor for this engine: floor-<key>.txt in
    --floors, the key derived from the harness name (mbedtls3, mbedtls2,
    openssl), else floor.txt; a floor file holds one integer (lines
    starting with '#' are comments), or
  - the harness fails or does not answer every case exactly once.
--relax N runs the harness with USSL_RELAX_* flags N (to see what they let
through; false accepts are then expected and fail the run, the floor is
not checked).  --strict N runs it with USSL_STRICT_* flags N (false
accepts still fail the run, the floor is not checked).  Exit 77 (ctest's skip code here) when the suite file does not exist.
"""
import argparse
import json
import os
import re
import subprocess
import sys


def floor_key(harness_name):
    """'ussl-Mbed TLS 3.6.4' -> 'mbedtls3'; 'ussl-OpenSSL 3.0.13' -> 'openssl'."""
    flat = re.sub(r"[^a-z0-9.]", "", harness_name.lower())
    if "openssl" in flat:
        return "openssl"
    m = re.search(r"mbedtls(\d+)", flat)
    if m:
        return "mbedtls" + m.group(1)
    return None


def read_floor(floors_dir, key):
    names = (["floor-%s.txt" % key] if key else []) + ["floor.txt"]
    for name in names:
        path = os.path.join(floors_dir, name)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                for line in f:
                    line = line.strip()
                    if line and not line.startswith("#"):
                        return int(line), name
    return None, None


def read_deviations(floors_dir):
    """{case id: reason} from deviations.txt ('#' starts a comment line)."""
    path = os.path.join(floors_dir, "deviations.txt")
    devs = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#"):
                    parts = line.split(None, 1)
                    devs[parts[0]] = parts[1] if len(parts) > 1 else ""
    return devs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--harness", required=True)
    ap.add_argument("--limbo", required=True)
    ap.add_argument("--floors", default=os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--results", help="also write the harness output here")
    ap.add_argument("--quiet", action="store_true",
                    help="only the summary line and failures")
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--relax", help="USSL_RELAX_* flags for the harness")
    ap.add_argument("--strict", help="USSL_STRICT_* flags for the harness")
    args = ap.parse_args()

    if not os.path.exists(args.limbo):
        print("limbo: suite not found at %s: skipped" % args.limbo)
        return 77
    with open(args.limbo, "rb") as f:
        suite_bytes = f.read()
    suite = json.loads(suite_bytes)
    expected = {tc["id"]: tc["expected_result"] for tc in suite["testcases"]}

    try:
        argv = [args.harness] + (["--relax", args.relax] if args.relax else []) + \
            (["--strict", args.strict] if args.strict else [])
        proc = subprocess.run(argv, input=suite_bytes,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=args.timeout, check=False)
    except subprocess.TimeoutExpired:
        print("limbo: FAIL: harness did not finish in %.0f s" % args.timeout)
        return 1
    if proc.returncode != 0:
        print("limbo: FAIL: harness exited with %d" % proc.returncode)
        sys.stdout.write(proc.stderr.decode("utf-8", "replace"))
        return 1
    if args.results:
        with open(args.results, "wb") as f:
            f.write(proc.stdout)
    try:
        out = json.loads(proc.stdout)
        results = out["results"]
        harness = out["harness"]
    except (ValueError, KeyError, TypeError) as e:
        print("limbo: FAIL: harness output is not result JSON: %s" % e)
        return 1

    problems = []
    seen = {}
    for r in results:
        rid = r.get("id")
        if rid in seen:
            problems.append("duplicate result for %s" % rid)
        seen[rid] = r
    missing = [i for i in expected if i not in seen]
    extra = [i for i in seen if i not in expected]
    if missing:
        problems.append("no result for %d case(s): %s" % (len(missing), ", ".join(missing[:5])))
    if extra:
        problems.append("results for unknown case(s): %s" % ", ".join(extra[:5]))

    agree, disagree, false_acc, skipped = [], [], [], []
    for cid, exp in expected.items():
        r = seen.get(cid)
        if r is None:
            continue
        act = r.get("actual_result")
        if act == "SKIPPED":
            skipped.append(r)
        elif act == exp:
            agree.append(r)
        elif act in ("SUCCESS", "FAILURE"):
            disagree.append((cid, exp, r))
            if exp == "FAILURE":
                false_acc.append(cid)
        else:
            problems.append("bad actual_result %r for %s" % (act, cid))

    devs = read_deviations(args.floors)
    undocumented = [c for c in false_acc if c not in devs]
    print("limbo: %d agree, %d disagree (%d false accepts, %d false rejects), "
          "%d skipped of %d"
          % (len(agree), len(disagree), len(false_acc),
             len(disagree) - len(false_acc), len(skipped), len(expected)))
    print("false accepts: %d deliberate (deviations.txt), %d not"
          % (len(false_acc) - len(undocumented), len(undocumented)))
    print("harness: %s" % harness)
    if disagree:
        print("disagreements (expected -> actual):")
        for cid, exp, r in disagree:
            mark = ""
            if exp == "FAILURE":
                mark = "  false accept (deliberate)" if cid in devs else "  FALSE ACCEPT"
            print("  %-70s %s -> %s%s" % (cid, exp, r["actual_result"], mark))
            if not args.quiet:
                print("      %s" % r.get("context", ""))
    if skipped and not args.quiet:
        print("skipped:")
        for r in skipped:
            print("  %-70s %s" % (r["id"], r.get("context", "")))

    key = floor_key(harness)
    floor, floor_file = read_floor(args.floors, key)
    if args.relax or args.strict:
        print("floor: not checked with --relax or --strict")
    elif floor is None:
        print("limbo: no floor file for %r (key %s): agreements not checked" % (harness, key))
    else:
        print("floor: %d agreements (%s)" % (floor, floor_file))
        if len(agree) < floor:
            problems.append("%d agreements, below the floor of %d in %s"
                            % (len(agree), floor, floor_file))
    stale = [c for c in devs if c in expected and seen.get(c, {}).get("actual_result") == "FAILURE"]
    if stale and not args.strict:
        print("note: listed deviations the policy now rejects (remove them): %s"
              % ", ".join(stale))
    if undocumented:
        problems.append("%d false accept(s) not in deviations.txt: %s"
                        % (len(undocumented), ", ".join(undocumented)))
    for p in problems:
        print("limbo: FAIL: %s" % p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
