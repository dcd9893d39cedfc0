#!/usr/bin/env bash
# run.sh - what `make bench` and `make bench-smoke` run once the trees are
# built: bench/bench.py over the given build trees (default build/ and
# build-openssl/), from the top of the source tree.
#
# Usage: bench/run.sh [--quick] [bench.py options] [TREE ...]
#   --quick      everything once with tiny sizes (a check, under a minute)
#   --rounds R --seconds S --mbytes N --tests hs,bulk,heap --out DIR --chart PNG
#   env: BENCH_ROUNDS, BENCH_SECONDS, BENCH_MBYTES, BENCH_TESTS, BENCH_TREES,
#        BENCH_QUICK=1, PYTHON (default python3)
# Output: the table on stdout and in bench/out/table.txt, every run in
# bench/out/results.json, the chart in docs/bench.png (quick mode:
# bench/out/bench-quick.png).  Exit status 1 if any run failed.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v gnuplot >/dev/null 2>&1; then
    echo "run.sh: gnuplot not found (make deps installs gnuplot-nox): no chart" >&2
fi
exec "${PYTHON:-python3}" bench/bench.py "$@"
