#!/usr/bin/env bash
# rp2.sh - links MicroPython's ports/rp2 firmware for the board RPI_PICO
# (RP2040, no radio) with the ussl module (part of make check-micropython),
# when the Raspberry Pi Pico SDK and TinyUSB are available from Debian
# without a network: the binary packages pico-sdk-source and
# tinyusb-source (Debian 13 "trixie" and later; not in Debian 12), found at
# their installed paths or through PICO_SDK_PATH / PICO_TINYUSB_PATH.
# RPI_PICO needs no lwIP, cyw43-driver or btstack (radio boards need the
# last two, which Debian does not package).  Without the SDK it prints one
# skip line, counted as skipped, and exits 0.
#
# Ends with "N passed, N failed, N skipped"; exits 1 if the link fails.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/build-micropython/rp2
jobs=${JOBS:-2}

finish() { # PASSED FAILED SKIPPED
	echo "$1 passed, $2 failed, $3 skipped"
	[ "$2" -eq 0 ]
	exit
}

first_dir() { # the first argument that is a directory holding FILE ($1)
	local probe=$1 d
	shift
	for d in "$@"; do
		[ -n "$d" ] && [ -e "$d/$probe" ] && { echo "$d"; return 0; }
	done
	return 1
}

sdk=$(first_dir pico_sdk_init.cmake "${PICO_SDK_PATH:-}" \
	/usr/share/pico-sdk /usr/src/pico-sdk /usr/lib/pico-sdk)
tusb=$(first_dir src/tusb.h "${PICO_TINYUSB_PATH:-}" \
	/usr/share/tinyusb /usr/src/tinyusb /usr/lib/tinyusb)
why=""
[ -n "$sdk" ] || why="no Pico SDK (Debian package pico-sdk-source, which Debian 12 does not have; PICO_SDK_PATH)"
[ -n "$tusb" ] || why="${why:+$why; }no TinyUSB (Debian package tinyusb-source, which Debian 12 does not have; PICO_TINYUSB_PATH)"
command -v arm-none-eabi-gcc >/dev/null || why="${why:+$why; }no arm-none-eabi-gcc"
command -v cmake >/dev/null || why="${why:+$why; }no cmake"
if [ -n "$why" ]; then
	echo "  SKIP rp2 RPI_PICO link with ussl: $why"
	finish 0 0 1
fi

tree=$(bash "$root/scripts/micropython/prepare.sh" | tail -n 1) ||
	{ echo "  FAIL MicroPython source (prepare.sh)"; finish 0 1 0; }
mkdir -p "$out"
# Frozen modules: none from micropython-lib (Debian's source has none).
echo 'freeze("$(MPY_DIR)/ports/rp2/modules")' >"$out/manifest.py"
log=$out/build.log
if timeout 3600 cmake -S "$tree/ports/rp2" -B "$out/RPI_PICO" \
	-DMICROPY_BOARD=RPI_PICO -DPICO_SDK_PATH="$sdk" \
	-DPICO_TINYUSB_PATH="$tusb" \
	-DUSER_C_MODULES="$root/micropython/micropython.cmake" \
	-DMICROPY_FROZEN_MANIFEST="$out/manifest.py" \
	-DMICROPY_PY_SSL=OFF >"$log" 2>&1 &&
	timeout 3600 cmake --build "$out/RPI_PICO" -j "$jobs" >>"$log" 2>&1 &&
	[ -f "$out/RPI_PICO/firmware.elf" ]; then
	echo "  PASS rp2 RPI_PICO linked with ussl: $out/RPI_PICO/firmware.elf"
	arm-none-eabi-size "$out/RPI_PICO/firmware.elf" | sed 's/^/    /'
	finish 1 0 0
fi
grep -E "error|Error" "$log" | head -n 10 | sed 's/^/    | /'
echo "  FAIL rp2 RPI_PICO link with ussl (log: $log)"
finish 0 1 0
