#!/usr/bin/env bash
# check.sh - `make check-micropython`: every MicroPython part in turn, in
# this order: qemu.sh (the firmware with ussl for Cortex-M3 and RISC-V
# under QEMU: ussl's in-memory tests and MicroPython's ssl/tls tests),
# rp2.sh (the RP2040 link), unix.sh (the unix port and MicroPython's own
# tests) last, so that its total closes the run.  Each part prints its
# own "N passed, N failed, N skipped" line; this fails if any part fails.
# Benchmarks are not tests: make bench-micropython runs them (and the
# stock and no-TLS firmware builds of qemu.sh).
set -uo pipefail
cd "$(dirname "$0")/../.."
rc=0
for part in qemu rp2 unix; do
    if [ -f "scripts/micropython/$part.sh" ]; then
        echo "== check-micropython: $part"
        USSL_QEMU_BENCH=0 bash "scripts/micropython/$part.sh" || rc=1
    fi
done
exit $rc
