#!/usr/bin/env bash
# check.sh - `make check-micropython`: every MicroPython part in turn
# (unix.sh: the unix port and MicroPython's own tests; qemu.sh: Cortex-M
# and RISC-V firmware under QEMU; rp2.sh: the RP2040 link).  Each part
# prints its own "N passed, N failed" line; this fails if any part fails.
set -uo pipefail
cd "$(dirname "$0")/../.."
rc=0
for part in unix qemu rp2; do
    if [ -f "scripts/micropython/$part.sh" ]; then
        echo "== check-micropython: $part"
        # Benchmarks are not tests: make bench-micropython runs them.
        USSL_QEMU_BENCH=0 bash "scripts/micropython/$part.sh" || rc=1
    fi
done
exit $rc
