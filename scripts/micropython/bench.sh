#!/usr/bin/env bash
# bench.sh - `make bench-micropython`: ours and the stock module side by
# side, one table at the end (scripts/micropython/bench_table.py):
#   1. builds (or reuses) build-micropython/unix-bundled and unix-stock,
#      as scripts/micropython/unix.sh does (USSL_MP_BUILD_ONLY);
#   2. RAM per held client and server connection and the handshake peak
#      in the unix port (bench_ram_run.py -> build-micropython/bench-ram.json;
#      needs openssl, and Go for the peer that ignores max_fragment_length);
#   3. the firmware under QEMU (USSL_QEMU_BENCH=1 qemu.sh, which writes
#      build-micropython/qemu/bench.json: flash and static RAM per
#      firmware, instructions per full and resumed handshake).
#      USSL_BENCH_QEMU=0 skips it; the table says when the file is absent.
# Exits non-zero when a part failed (the table is printed anyway).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/build-micropython
rc=0

echo "== bench-micropython: building the unix port (ours, stock)"
if ! USSL_MP_BUILD_ONLY="unix-bundled unix-stock" \
    bash "$root/scripts/micropython/unix.sh"; then
	echo "bench-micropython: build failed"
	exit 1
fi

echo "== bench-micropython: RAM per connection (unix port)"
rm -f "$out/bench-ram.json"
python3 "$root/scripts/micropython/bench_ram_run.py" \
	"$out/unix-bundled/micropython" "$out/unix-stock/micropython" \
	"$out/bench-ram.json" || { echo "bench-micropython: RAM benchmark incomplete"; rc=1; }

qjson=$out/qemu/bench.json
if [ "${USSL_BENCH_QEMU:-1}" = 1 ]; then
	echo "== bench-micropython: firmware under QEMU (log: $out/qemu-bench.log)"
	# A file left by an earlier run must not pass for this one's.
	rm -f "$qjson"
	USSL_QEMU_BENCH=1 bash "$root/scripts/micropython/qemu.sh" \
		>"$out/qemu-bench.log" 2>&1 || {
		echo "bench-micropython: qemu.sh failed (log: $out/qemu-bench.log)"
		tail -n 5 "$out/qemu-bench.log"
		rc=1
	}
	[ -f "$qjson" ] || echo "bench-micropython: qemu.sh wrote no $qjson"
else
	echo "== bench-micropython: QEMU part skipped (USSL_BENCH_QEMU=0)"
	rm -f "$qjson"
fi

echo "== bench-micropython: ours and stock"
python3 "$root/scripts/micropython/bench_table.py" "$out/bench-ram.json" "$qjson"
exit $rc
